// Prints 32 bytes from random_get (through getentropy) in hex.
#include <stdio.h>
#include <unistd.h>

int main(void) {
    unsigned char bytes[32];
    if (getentropy(bytes, sizeof bytes) != 0) {
        perror("getentropy");
        return 1;
    }
    for (size_t i = 0; i < sizeof bytes; i++) printf("%02x", bytes[i]);
    putchar('\n');
    return 0;
}
