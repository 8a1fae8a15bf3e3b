//! One error type for images: each variant reads as one line that names what is wrong.

use std::io;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while reading, unpacking, fetching or writing an image.
///
/// Every message is one line and names the thing at fault: the blob, the layer entry, the
/// reference or the registry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A blob the image refers to is not there.
    #[error("missing blob {digest} ({what}){}", in_place(.location))]
    MissingBlob {
        /// The blob's digest.
        digest: String,
        /// What the blob is: manifest, config, layer.
        what: String,
        /// Where it was looked for.
        location: String,
    },
    /// A blob's content does not match the digest it is referred to by.
    #[error("digest mismatch for {what} {expected}: the content hashes to {actual}")]
    DigestMismatch {
        /// What the blob is.
        what: String,
        /// The digest it is referred to by.
        expected: String,
        /// The digest of its content.
        actual: String,
    },
    /// A blob's size does not match its descriptor.
    #[error(
        "size mismatch for {what} {digest}: the descriptor says {expected} bytes, the blob has {actual}"
    )]
    SizeMismatch {
        /// What the blob is.
        what: String,
        /// Its digest.
        digest: String,
        /// The size in the descriptor.
        expected: u64,
        /// The size found.
        actual: u64,
    },
    /// A media type this crate does not know what to do with.
    #[error("unsupported media type `{media_type}` for {what}")]
    MediaType {
        /// What carries the media type: a layer, the config, a manifest.
        what: String,
        /// The media type.
        media_type: String,
    },
    /// The image index has no manifest for WASI and Wasm.
    #[error("no wasi/wasm platform in {place} (found: {found})")]
    NoWasmPlatform {
        /// The index or image that was searched.
        place: String,
        /// The platforms it offers.
        found: String,
    },
    /// The image names nothing to run: no entrypoint, no command, no Wasm layer.
    #[error(
        "image {0} has no entrypoint: it sets neither Entrypoint nor Cmd and has no Wasm layer (give the program as an argument)"
    )]
    NoEntrypoint(String),
    /// The program the entrypoint names is not a WebAssembly module.
    #[error("entrypoint `{path}` is not a WebAssembly module: {reason}")]
    NotWasm {
        /// The path in the image.
        path: String,
        /// Why not.
        reason: String,
    },
    /// A layer or archive entry tries to write outside its root, or is of a forbidden kind.
    #[error("refusing {archive}: entry `{entry}` {reason}")]
    UnsafeEntry {
        /// The layer or archive.
        archive: String,
        /// The entry's path as written in the archive.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A manifest, index, config or layout file is malformed.
    #[error("invalid {what}: {message}")]
    Invalid {
        /// What is malformed.
        what: String,
        /// The details.
        message: String,
    },
    /// An image reference could not be parsed or resolved.
    #[error("{0}")]
    Reference(String),
    /// A registry refused the request or could not be reached.
    #[error("registry {registry}: {message}")]
    Registry {
        /// The registry's host (and port).
        registry: String,
        /// What went wrong.
        message: String,
    },
    /// The registry wants credentials, or refused the ones given.
    #[error("registry {registry}: access to `{repository}` denied (401 Unauthorized){hint}")]
    Unauthorized {
        /// The registry's host (and port).
        registry: String,
        /// The repository.
        repository: String,
        /// What to do about it.
        hint: String,
    },
    /// The registry does not have the image.
    #[error("registry {registry}: {reference} not found (404)")]
    NotFound {
        /// The registry's host (and port).
        registry: String,
        /// The reference asked for.
        reference: String,
    },
    /// An argument is wrong (an option, a path that should not exist, a bad tag).
    #[error("{0}")]
    InvalidArgument(String),
    /// Running the module failed (compile, link, trap...).
    #[error(transparent)]
    Wasm(#[from] wasmux::Error),
}

fn in_place(location: &str) -> String {
    if location.is_empty() { String::new() } else { format!(" in {location}") }
}

impl Error {
    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }

    pub(crate) fn invalid(what: impl Into<String>, message: impl ToString) -> Self {
        Error::Invalid { what: what.into(), message: one_line(&message.to_string()) }
    }

    pub(crate) fn unsafe_entry(
        archive: impl Into<String>,
        entry: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::UnsafeEntry { archive: archive.into(), entry: entry.into(), reason: reason.into() }
    }
}

/// Joins a multi-line message into one line.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Images are bad input to wasmux: they surface as an invalid argument, keeping I/O errors and
/// errors of the run itself as they are.
impl From<Error> for wasmux::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::Wasm(inner) => inner,
            Error::Io { context, source } => wasmux::Error::Io { context, source },
            other => wasmux::Error::InvalidArgument(other.to_string()),
        }
    }
}
