//! Where an image comes from: a layout directory, an archive, or a registry — parsed from what
//! a user types.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use oci_spec::distribution::Reference;
use oci_spec::image::Digest;

use crate::digest;
use crate::error::{Error, Result};

/// Which image of a layout or archive: `PATH` (the only one, or the one for WASI/Wasm),
/// `PATH:TAG` or `PATH@sha256:…`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Selector {
    /// The only image, or the only one for WASI/Wasm.
    #[default]
    Default,
    /// The image of this tag (`org.opencontainers.image.ref.name`, or a `docker save` tag).
    Tag(String),
    /// The manifest (or index) of this digest.
    Digest(Digest),
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Default => Ok(()),
            Selector::Tag(tag) => write!(f, ":{tag}"),
            Selector::Digest(digest) => write!(f, "@{digest}"),
        }
    }
}

/// Where an image comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// An OCI image layout directory (or an unpacked `docker save` directory).
    Layout {
        /// The directory.
        path: PathBuf,
        /// Which image in it.
        selector: Selector,
    },
    /// A tar (optionally gzip-compressed) of an OCI image layout, or a `docker save` tarball.
    Archive {
        /// The file.
        path: PathBuf,
        /// Which image in it.
        selector: Selector,
    },
    /// An image in an OCI registry, e.g. `127.0.0.1:5000/hello:v1`.
    Registry(Reference),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Layout { path, selector } | Source::Archive { path, selector } => {
                write!(f, "{}{selector}", path.display())
            }
            Source::Registry(reference) => write!(f, "{reference}"),
        }
    }
}

impl Source {
    /// Parses an image argument, deciding by what exists on disk:
    ///
    /// - `oci:PATH[:TAG]`, `oci-archive:PATH[:TAG]`, `docker-archive:PATH[:TAG]` and
    ///   `docker://REF` say what they are;
    /// - an existing directory with `index.json` (or a `docker save` `manifest.json`) is a
    ///   layout, an existing tar or gzip file an archive, each optionally followed by `:TAG` or
    ///   `@sha256:…`;
    /// - anything else is a registry reference (`registry.example/repo:tag`; a name without a
    ///   registry means Docker Hub).
    ///
    /// # Errors
    /// [`Error::Reference`] when the text is none of these.
    pub fn parse(text: &str) -> Result<Source> {
        if let Some(source) = Source::detect(text)? {
            return Ok(source);
        }
        if Path::new(text).exists() {
            return Err(Error::Reference(format!(
                "{text} is neither an OCI image layout (no index.json) nor an image archive"
            )));
        }
        parse_reference(text).map(Source::Registry)
    }

    /// Like [`Source::parse`], but only for text that clearly names an image, so that a tool
    /// taking either a module or an image can try this first: `Ok(None)` for an existing file
    /// that is not an archive, an existing directory that is not a layout, and a missing path
    /// that does not start with a registry host (`HOST.DOMAIN/…`, `HOST:PORT/…`,
    /// `localhost/…`).
    ///
    /// # Errors
    /// [`Error::Reference`] for a transport prefix (`oci:`…) with a bad reference after it, and
    /// [`Error::Io`] when an existing file cannot be read.
    pub fn detect(text: &str) -> Result<Option<Source>> {
        for (prefix, archive) in
            [("oci:", false), ("oci-archive:", true), ("docker-archive:", true)]
        {
            if let Some(rest) = text.strip_prefix(prefix) {
                let (path, selector) =
                    split_selector(rest).unwrap_or((PathBuf::from(rest), Selector::Default));
                return Ok(Some(if archive {
                    Source::Archive { path, selector }
                } else {
                    Source::Layout { path, selector }
                }));
            }
        }
        if let Some(rest) = text.strip_prefix("docker://") {
            return parse_reference(rest).map(|r| Some(Source::Registry(r)));
        }
        let whole = Path::new(text);
        if whole.exists() {
            return local(whole, Selector::Default);
        }
        if let Some((path, selector)) = split_selector(text)
            && path.exists()
        {
            return local(&path, selector);
        }
        if looks_like_registry_reference(text) {
            return parse_reference(text).map(|r| Some(Source::Registry(r)));
        }
        Ok(None)
    }
}

/// Parses a registry reference (`HOST[:PORT]/REPO[:TAG][@DIGEST]`).
///
/// # Errors
/// [`Error::Reference`] naming the text.
pub fn parse_reference(text: &str) -> Result<Reference> {
    text.parse::<Reference>()
        .map_err(|e| Error::Reference(format!("`{text}` is not a valid image reference: {e}")))
}

fn local(path: &Path, selector: Selector) -> Result<Option<Source>> {
    let path = path.to_path_buf();
    if path.is_dir() {
        let is_layout =
            ["index.json", "oci-layout", "manifest.json"].iter().any(|f| path.join(f).is_file());
        return Ok(is_layout.then_some(Source::Layout { path, selector }));
    }
    let mut head = [0u8; 262];
    let mut file =
        File::open(&path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
        }
    }
    let head = &head[..read];
    let is_tar = head.len() >= 262 && &head[257..262] == b"ustar" || is_v7_tar_header(&mut file)?;
    let is_gzip = head.starts_with(&[0x1f, 0x8b]);
    Ok((is_tar || is_gzip).then_some(Source::Archive { path, selector }))
}

/// Whether the file starts with a pre-POSIX tar header: no magic, but a valid checksum.
fn is_v7_tar_header(file: &mut File) -> Result<bool> {
    use std::io::{Seek, SeekFrom};
    let mut header = [0u8; 512];
    file.seek(SeekFrom::Start(0)).and_then(|_| file.read_exact(&mut header)).map_or(
        Ok(false),
        |()| {
            let recorded = std::str::from_utf8(&header[148..156])
                .ok()
                .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
                .and_then(|s| u32::from_str_radix(s, 8).ok());
            let actual: u32 = header
                .iter()
                .enumerate()
                .map(|(i, b)| if (148..156).contains(&i) { u32::from(b' ') } else { u32::from(*b) })
                .sum();
            Ok(header[0] != 0 && recorded == Some(actual))
        },
    )
}

/// `PATH@DIGEST` or `PATH:TAG`, if the text has that shape.
fn split_selector(text: &str) -> Option<(PathBuf, Selector)> {
    if let Some((path, digest)) = text.rsplit_once('@')
        && let Ok(digest) = digest::parse(digest)
    {
        return Some((PathBuf::from(path), Selector::Digest(digest)));
    }
    let (path, tag) = text.rsplit_once(':')?;
    let valid = !tag.is_empty()
        && !path.is_empty()
        && tag.len() <= 128
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    valid.then(|| (PathBuf::from(path), Selector::Tag(tag.to_string())))
}

/// A reference that names its registry explicitly: the part before the first `/` has a dot,
/// a port or is `localhost`; and it does not look like a module file name.
fn looks_like_registry_reference(text: &str) -> bool {
    let Some((host, rest)) = text.split_once('/') else { return false };
    if rest.is_empty() || host == "." || host == ".." || host.is_empty() {
        return false;
    }
    let explicit = host.contains('.') || host.contains(':') || host == "localhost";
    let file_like =
        [".wasm", ".wat", ".cwasm", ".tar", ".tgz", ".gz"].iter().any(|ext| text.ends_with(ext));
    explicit && !file_like && parse_reference(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_references_need_an_explicit_host() {
        assert!(looks_like_registry_reference("127.0.0.1:5000/hello:v1"));
        assert!(looks_like_registry_reference("localhost/hello"));
        assert!(looks_like_registry_reference(
            "ghcr.io/org/app@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        ));
        assert!(!looks_like_registry_reference("examples/hello.wat"));
        assert!(!looks_like_registry_reference("./missing/x"));
        assert!(!looks_like_registry_reference("build.out/module.wasm"));
        assert!(!looks_like_registry_reference("hello:latest"));
    }

    #[test]
    fn selectors() {
        assert_eq!(
            split_selector("dir:v1"),
            Some((PathBuf::from("dir"), Selector::Tag("v1".into())))
        );
        let digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert!(matches!(
            split_selector(&format!("a.tar@{digest}")),
            Some((_, Selector::Digest(_)))
        ));
        assert_eq!(split_selector("dir/sub"), None);
        assert_eq!(split_selector("c:/x"), None);
    }

    #[test]
    fn transports() {
        assert_eq!(
            Source::detect("oci:some/dir:v2").ok().flatten(),
            Some(Source::Layout { path: "some/dir".into(), selector: Selector::Tag("v2".into()) })
        );
        assert!(matches!(
            Source::detect("docker://localhost:5000/x"),
            Ok(Some(Source::Registry(_)))
        ));
        assert_eq!(Source::detect("surely/not/here.wasm").ok().flatten(), None);
    }
}
