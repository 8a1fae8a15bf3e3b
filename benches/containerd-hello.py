#!/usr/bin/env python3
"""containerd benchmark: a whole `ctr run --rm` of a hello container, on the wasmux shim
(`io.containerd.wasmux.v1`, the module already in the compiled-module cache) against
`containerd-shim-runc-v2` running a static ELF hello (busybox `echo`), in the same containerd.

Starts a containerd of its own (root, state and sockets in a temporary directory, the release
shim first on its PATH), imports both images, warms up once each, then times paired runs in
alternating order and prints the medians. Every run's output is checked.

Needs root, containerd, ctr, runc and /bin/busybox from Debian's busybox-static
(scripts/install-test-deps installs them).

    benches/containerd-hello.py                  # 15 pairs, default engine
    benches/containerd-hello.py --runs 5 --engine wasmi
"""

import argparse
import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GREETING = b"Hello from WebAssembly!\n"
ELF_GREETING = "Hello from ELF!"


def hello_wasm():
    """The binary of a WASI hello: fd_write(1, "Hello from WebAssembly!\\n"), then return."""

    def vec(items):
        assert len(items) < 128
        return bytes([len(items)]) + b"".join(items)

    def name(text):
        return vec([bytes([b]) for b in text.encode()])

    def section(sid, body):
        assert len(body) < 128
        return bytes([sid, len(body)]) + body

    i32 = 0x7F
    types = vec([bytes([0x60, 4, i32, i32, i32, i32, 1, i32]), bytes([0x60, 0, 0])])
    imports = vec([name("wasi_snapshot_preview1") + name("fd_write") + bytes([0, 0])])
    functions = vec([bytes([1])])
    memory = vec([bytes([0, 1])])
    exports = vec([name("memory") + bytes([2, 0]), name("_start") + bytes([0, 1])])
    code = bytes([
        0x41, 0, 0x41, 16, 0x36, 2, 0,  # iovec.buf = 16
        0x41, 4, 0x41, len(GREETING), 0x36, 2, 0,  # iovec.len
        0x41, 1, 0x41, 0, 0x41, 1, 0x41, 8, 0x10, 0, 0x1A,  # drop(fd_write(1, iovec, 1, &n))
        0x0B,
    ])
    body = bytes([0]) + code  # no locals
    codes = vec([bytes([len(body)]) + body])
    data = vec([bytes([0, 0x41, 16, 0x0B]) + vec([bytes([b]) for b in GREETING])])
    return (b"\0asm\x01\0\0\0" + section(1, types) + section(2, imports) + section(3, functions)
            + section(5, memory) + section(7, exports) + section(10, codes) + section(11, data))


def tar_bytes(files):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for path, data, mode in files:
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def image_archive(path, name, os_name, arch, entrypoint, cmd, files):
    """An OCI image layout in a tar archive, one uncompressed layer, for `ctr image import`."""
    layer = tar_bytes(files)
    config = json.dumps({
        "architecture": arch, "os": os_name,
        "config": {"Entrypoint": entrypoint, "Cmd": cmd},
        "rootfs": {"type": "layers", "diff_ids": [digest(layer)]},
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": digest(layer), "size": len(layer)}],
    }).encode()
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": digest(manifest), "size": len(manifest),
                       "platform": {"architecture": arch, "os": os_name},
                       "annotations": {"io.containerd.image.name": name}}],
    }).encode()
    blobs = [(f"blobs/sha256/{digest(b)[7:]}", b, 0o644) for b in (layer, config, manifest)]
    Path(path).write_bytes(tar_bytes(
        [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}', 0o644), ("index.json", index, 0o644)] + blobs))


class Containerd:
    def __init__(self, shim_dir, cache_dir):
        self.dir = Path(tempfile.mkdtemp(prefix="wasmux-bench-containerd-"))
        sock = self.dir / "containerd.sock"
        (self.dir / "config.toml").write_text(
            f'version = 2\nroot = "{self.dir}/root"\nstate = "{self.dir}/state"\n'
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
            f'[grpc]\n  address = "{sock}"\n[ttrpc]\n  address = "{sock}.ttrpc"\n'
            f'[plugins."io.containerd.internal.v1.opt"]\n  path = "{self.dir}/opt"\n')
        env = dict(os.environ, PATH=f"{shim_dir}:{os.environ.get('PATH', '')}",
                   WASMUX_CACHE_DIR=str(cache_dir))
        self.log = open(self.dir / "containerd.log", "wb")
        self.proc = subprocess.Popen(["containerd", "--config", str(self.dir / "config.toml")],
                                     env=env, stdout=self.log, stderr=self.log)
        self.address = str(sock)
        deadline = time.monotonic() + 30
        while self.ctr("version", check=False).returncode != 0:
            if time.monotonic() > deadline:
                sys.exit("containerd did not start; see " + str(self.dir / "containerd.log"))
            time.sleep(0.1)

    def ctr(self, *args, check=True):
        result = subprocess.run(["ctr", "--address", self.address, "--namespace", "bench", *args],
                                capture_output=True, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            sys.exit(f"ctr {' '.join(args)} failed: {result.stderr.decode()}")
        return result

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        subprocess.run(["rm", "-rf", str(self.dir)], check=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed pairs (default 15)")
    parser.add_argument("--engine", help="run.wasmux.engine annotation (default: the shim's default)")
    parser.add_argument("--shim", type=Path, help="the shim binary (default: build it in release)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("containerd needs root")
    shim = args.shim
    if shim is None:
        target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "wasmux-containerd-shim"],
                       cwd=ROOT, check=True)
        shim = target / "release" / "containerd-shim-wasmux-v1"
    cache = Path(tempfile.mkdtemp(prefix="wasmux-bench-cache-"))
    containerd = Containerd(shim.resolve().parent, cache)
    try:
        work = containerd.dir / "images"
        work.mkdir()
        image_archive(work / "wasm.tar", "docker.io/bench/hello-wasm:latest", "wasip1", "wasm",
                      ["/hello.wasm"], [], [("hello.wasm", hello_wasm(), 0o755)])
        image_archive(work / "elf.tar", "docker.io/bench/hello-elf:latest", "linux", "amd64",
                      ["/busybox", "echo", ELF_GREETING], [],
                      [("busybox", Path("/bin/busybox").read_bytes(), 0o755)])
        containerd.ctr("image", "import", "--platform", "wasip1/wasm", str(work / "wasm.tar"))
        containerd.ctr("image", "import", "--platform", "linux/amd64", str(work / "elf.tar"))

        annotation = ["--annotation", f"run.wasmux.engine={args.engine}"] if args.engine else []
        runners = {
            "wasmux shim, wasm hello": (
                ["run", "--rm", "--runtime", "io.containerd.wasmux.v1", "--platform", "wasip1/wasm",
                 *annotation, "docker.io/bench/hello-wasm:latest"], GREETING),
            "runc-v2 shim, ELF hello": (
                ["run", "--rm", "--runtime", "io.containerd.runc.v2",
                 "docker.io/bench/hello-elf:latest"], (ELF_GREETING + "\n").encode()),
        }
        times = {name: [] for name in runners}
        counter = 0

        def once(name):
            nonlocal counter
            counter += 1
            command, expected = runners[name]
            start = time.perf_counter()
            result = containerd.ctr(*command, f"bench-{counter}")
            elapsed = time.perf_counter() - start
            if result.stdout != expected:
                sys.exit(f"{name}: unexpected output {result.stdout!r}")
            return elapsed

        for name in runners:  # warm-up: the module is compiled into the cache, images unpacked
            once(name)
        for i in range(args.runs):
            order = list(runners) if i % 2 == 0 else list(reversed(runners))
            for name in order:
                times[name].append(once(name))
        print(f"whole `ctr run --rm` of a hello container, median of {args.runs} "
              f"(engine: {args.engine or 'default'}):")
        for name, samples in times.items():
            print(f"  {name:26} {statistics.median(samples) * 1000:7.1f} ms "
                  f"(min {min(samples) * 1000:.1f}, max {max(samples) * 1000:.1f})")
    finally:
        containerd.stop()
        subprocess.run(["rm", "-rf", str(cache)], check=False)


if __name__ == "__main__":
    main()
