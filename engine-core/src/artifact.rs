//! The envelope every precompiled artifact is wrapped in, so that a foreign, stale, truncated or
//! bit-flipped artifact is refused before any engine deserialises native code from it.
//!
//! Layout (little-endian): magic `WASMUXA\0`, format version `u32`, then three length-prefixed
//! strings (engine name, engine version, compatibility key), the payload length `u64`, the
//! payload's CRC-32, and the payload itself.

use crate::error::{ArtifactProblem, Error, Result};

const MAGIC: &[u8; 8] = b"WASMUXA\0";
const FORMAT_VERSION: u32 = 1;
const WASM_MAGIC: &[u8; 4] = b"\0asm";

/// Who made an artifact: the engine, its exact version, and everything that must match for
/// its code to be valid here (compiler, proposals, fuel, interruption, target CPU).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactStamp {
    /// The engine's name, e.g. `wasmtime`.
    pub engine: &'static str,
    /// The engine's exact version.
    pub engine_version: String,
    /// Settings that change generated code, in a stable textual form.
    pub compat_key: String,
}

impl ArtifactStamp {
    /// Wraps an engine's serialized module in the envelope.
    pub fn seal(&self, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(payload.len() + 128);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        for field in [self.engine, &self.engine_version, &self.compat_key] {
            out.extend_from_slice(&(field.len() as u32).to_le_bytes());
            out.extend_from_slice(field.as_bytes());
        }
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        out.extend_from_slice(payload);
        out
    }

    /// Checks the envelope against this stamp and returns the payload, or says precisely why
    /// the artifact cannot be used here.
    pub fn open<'a>(&self, artifact: &'a [u8]) -> Result<&'a [u8]> {
        let fail =
            |problem, message: String| Error::Artifact { engine: self.engine, problem, message };
        let corrupt = |what: &str| fail(ArtifactProblem::Corrupt, what.to_string());
        if artifact.starts_with(WASM_MAGIC) {
            return Err(corrupt("this is a WebAssembly module, not a precompiled artifact"));
        }
        let mut reader = Reader(artifact);
        if reader.take(MAGIC.len()) != Some(MAGIC.as_slice()) {
            return Err(corrupt("not a wasmux artifact (bad magic)"));
        }
        let truncated = || corrupt("truncated header");
        let format = reader.u32().ok_or_else(truncated)?;
        if format != FORMAT_VERSION {
            return Err(fail(
                ArtifactProblem::OtherVersion,
                format!("artifact format {format}, this wasmux reads format {FORMAT_VERSION}"),
            ));
        }
        let engine = reader.string().ok_or_else(truncated)?;
        let version = reader.string().ok_or_else(truncated)?;
        let compat = reader.string().ok_or_else(truncated)?;
        let length = reader.u64().ok_or_else(truncated)?;
        let checksum = reader.u32().ok_or_else(truncated)?;
        if engine != self.engine {
            return Err(fail(
                ArtifactProblem::OtherEngine,
                format!("made by {engine}, cannot be loaded by {}", self.engine),
            ));
        }
        if version != self.engine_version {
            return Err(fail(
                ArtifactProblem::OtherVersion,
                format!("made by {engine} {version}, this is {engine} {}", self.engine_version),
            ));
        }
        if compat != self.compat_key {
            return Err(fail(
                ArtifactProblem::Incompatible,
                format!(
                    "compiled for `{compat}`, this engine is configured for `{}`",
                    self.compat_key
                ),
            ));
        }
        let payload = reader.0;
        if payload.len() as u64 != length {
            return Err(fail(
                ArtifactProblem::Corrupt,
                format!("payload is {} bytes, header says {length}", payload.len()),
            ));
        }
        if crc32fast::hash(payload) != checksum {
            return Err(corrupt("checksum mismatch: the artifact was modified or damaged"));
        }
        Ok(payload)
    }
}

/// The name of the engine that made `bytes`, if they are a wasmux artifact. Lets a caller pick
/// the engine for an artifact without being told.
pub fn artifact_engine(bytes: &[u8]) -> Option<&str> {
    let mut reader = Reader(bytes.strip_prefix(MAGIC.as_slice())?);
    reader.u32()?;
    reader.string()
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)?.try_into().ok().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8)?.try_into().ok().map(u64::from_le_bytes)
    }

    fn string(&mut self) -> Option<&'a str> {
        let len = self.u32()? as usize;
        std::str::from_utf8(self.take(len)?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp() -> ArtifactStamp {
        ArtifactStamp {
            engine: "wasmtime",
            engine_version: "48.0.0".into(),
            compat_key: "k".into(),
        }
    }

    fn problem(result: Result<&[u8]>) -> ArtifactProblem {
        match result {
            Err(Error::Artifact { problem, .. }) => problem,
            other => panic!("expected an artifact error, got {other:?}"),
        }
    }

    #[test]
    fn round_trip() {
        let sealed = stamp().seal(b"native code");
        assert_eq!(stamp().open(&sealed).ok(), Some(&b"native code"[..]));
    }

    #[test]
    fn every_truncation_is_corrupt() {
        let sealed = stamp().seal(b"native code");
        for len in 0..sealed.len() {
            assert_eq!(
                problem(stamp().open(&sealed[..len])),
                ArtifactProblem::Corrupt,
                "len {len}"
            );
        }
    }

    #[test]
    fn every_payload_bit_flip_is_corrupt() {
        let sealed = stamp().seal(b"native code");
        let payload_start = sealed.len() - b"native code".len();
        for byte in payload_start..sealed.len() {
            let mut flipped = sealed.clone();
            flipped[byte] ^= 0x10;
            assert_eq!(problem(stamp().open(&flipped)), ArtifactProblem::Corrupt);
        }
    }

    #[test]
    fn other_engine_version_and_settings_are_named() {
        let sealed = stamp().seal(b"x");
        let mut other = stamp();
        other.engine = "wasmer";
        assert_eq!(problem(other.open(&sealed)), ArtifactProblem::OtherEngine);
        let mut other = stamp();
        other.engine_version = "48.0.1".into();
        assert_eq!(problem(other.open(&sealed)), ArtifactProblem::OtherVersion);
        let mut other = stamp();
        other.compat_key = "fuel".into();
        assert_eq!(problem(other.open(&sealed)), ArtifactProblem::Incompatible);
    }

    #[test]
    fn the_engine_is_read_from_the_header() {
        assert_eq!(artifact_engine(&stamp().seal(b"x")), Some("wasmtime"));
        assert_eq!(artifact_engine(b"\0asm\x01\0\0\0"), None);
        assert_eq!(artifact_engine(&MAGIC[..]), None);
    }

    #[test]
    fn a_wasm_module_is_not_an_artifact() {
        assert_eq!(problem(stamp().open(b"\0asm\x01\0\0\0")), ArtifactProblem::Corrupt);
    }
}
