//! Content digests (`sha256:…`, `sha512:…`): computing and checking them.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

use oci_spec::image::{Descriptor, Digest, DigestAlgorithm};
use sha2::{Digest as _, Sha256, Sha384, Sha512};

use crate::error::{Error, Result};

/// A running hash of one of the algorithms OCI digests use.
#[derive(Clone, Debug)]
pub(crate) enum Hasher {
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl Hasher {
    /// A hasher for `algorithm`, or an error naming it if it is not supported.
    pub(crate) fn new(algorithm: &DigestAlgorithm) -> Result<Hasher> {
        match algorithm {
            DigestAlgorithm::Sha256 => Ok(Hasher::Sha256(Sha256::new())),
            DigestAlgorithm::Sha384 => Ok(Hasher::Sha384(Sha384::new())),
            DigestAlgorithm::Sha512 => Ok(Hasher::Sha512(Sha512::new())),
            other => Err(Error::invalid(
                "digest",
                format!("unsupported digest algorithm `{other}` (sha256, sha384 and sha512 are)"),
            )),
        }
    }

    pub(crate) fn sha256() -> Hasher {
        Hasher::Sha256(Sha256::new())
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha384(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest, as `algorithm:hex`.
    pub(crate) fn finish(self) -> String {
        match self {
            Hasher::Sha256(h) => format!("sha256:{:x}", h.finalize()),
            Hasher::Sha384(h) => format!("sha384:{:x}", h.finalize()),
            Hasher::Sha512(h) => format!("sha512:{:x}", h.finalize()),
        }
    }
}

/// The sha256 digest of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> Digest {
    let mut hasher = Hasher::sha256();
    hasher.update(bytes);
    parse(&hasher.finish()).unwrap_or_else(|_| unreachable!("a sha256 digest is well formed"))
}

/// Parses a digest string.
pub(crate) fn parse(text: &str) -> Result<Digest> {
    text.parse::<Digest>().map_err(|e| Error::invalid("digest", format!("`{text}`: {e}")))
}

/// A reader that hashes what passes through it.
#[derive(Debug)]
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Hasher,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    pub(crate) fn new(inner: R, hasher: Hasher) -> Self {
        HashingReader { inner, hasher, count: 0 }
    }

    /// Reads what is left, then returns the digest and the number of bytes read in all.
    pub(crate) fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((self.hasher.finish(), self.count))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// A writer that hashes what passes through it.
#[derive(Debug)]
pub(crate) struct HashingWriter<W> {
    pub(crate) inner: W,
    hasher: Hasher,
    count: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W, hasher: Hasher) -> Self {
        HashingWriter { inner, hasher, count: 0 }
    }

    /// The digest and size of what was written, and the writer.
    pub(crate) fn finish(self) -> (String, u64, W) {
        (self.hasher.finish(), self.count, self.inner)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Checks `bytes` against `descriptor`'s size and digest.
pub(crate) fn verify_bytes(bytes: &[u8], descriptor: &Descriptor, what: &str) -> Result<()> {
    check_size(descriptor, bytes.len() as u64, what)?;
    let mut hasher = Hasher::new(descriptor.digest().algorithm())?;
    hasher.update(bytes);
    check_digest(descriptor.digest(), hasher.finish(), what)
}

/// Checks an open file against `descriptor` and rewinds it for use.
pub(crate) fn verify_file(file: &mut File, descriptor: &Descriptor, what: &str) -> Result<()> {
    let len = file.metadata().map_err(|e| Error::io(format!("reading {what}"), e))?.len();
    check_size(descriptor, len, what)?;
    verify_reader(&mut *file, descriptor.digest(), what)?;
    file.seek(SeekFrom::Start(0)).map_err(|e| Error::io(format!("reading {what}"), e))?;
    Ok(())
}

/// Hashes all of `reader` and compares with `expected`.
pub(crate) fn verify_reader(reader: impl Read, expected: &Digest, what: &str) -> Result<u64> {
    let hashing = HashingReader::new(reader, Hasher::new(expected.algorithm())?);
    let (actual, count) =
        hashing.finish().map_err(|e| Error::io(format!("reading {what} {expected}"), e))?;
    check_digest(expected, actual, what)?;
    Ok(count)
}

fn check_size(descriptor: &Descriptor, actual: u64, what: &str) -> Result<()> {
    if descriptor.size() != actual {
        return Err(Error::SizeMismatch {
            what: what.to_string(),
            digest: descriptor.digest().to_string(),
            expected: descriptor.size(),
            actual,
        });
    }
    Ok(())
}

pub(crate) fn check_digest(expected: &Digest, actual: String, what: &str) -> Result<()> {
    if actual != expected.as_ref() {
        return Err(Error::DigestMismatch {
            what: what.to_string(),
            expected: expected.to_string(),
            actual,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_nothing() {
        assert_eq!(
            sha256(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn mismatches_name_both_digests() {
        let expected = sha256(b"a");
        let err = verify_reader(&b"b"[..], &expected, "layer").expect_err("a mismatch").to_string();
        assert!(err.contains(expected.as_ref()) && err.contains(sha256(b"b").as_ref()), "{err}");
    }
}
