//! Run OCI images of WebAssembly on any wasmux engine.
//!
//! An image comes from an OCI image layout directory, an OCI archive (a tar of a layout), a
//! `docker save` tarball, or a registry ([`Source`]). [`Image::open`] resolves it to the
//! manifest for platform `wasi/wasm`, checks every blob's digest and size, and unpacks the
//! layers into a root filesystem — refusing any entry that would land outside it. The image
//! configuration (`Entrypoint`, `Cmd`, `Env`, `WorkingDir`) becomes a WASI command
//! ([`Image::command`]) whose `/` is the root filesystem, read-only unless a writable copy is
//! asked for. Both kinds of Wasm image work: tar layers holding the `.wasm` file, and layers
//! that are the module itself (`application/wasm` and friends).
//!
//! [`pack`] writes a module as an image layout; [`push`] and [`pull`] move images to and from
//! registries (`oci-client`), storing blobs by digest in a [`Store`] so nothing is fetched
//! twice.
//!
//! ```no_run
//! use wasmux_oci::{pack, Image, OpenOptions, PackOptions, RunOptions, Source};
//!
//! let module = wasmux::parse(br#"(module (func (export "_start")))"#)?;
//! let digest = pack(&module, "hello-image".as_ref(), &PackOptions { tag: "v1".into(), ..Default::default() })?;
//! let image = Image::open(&Source::parse("hello-image:v1")?, &OpenOptions::default())?;
//! let command = image.command(&RunOptions { args: Some(vec!["--verbose".into()]), ..Default::default() })?;
//! assert_eq!(command.wasi.args, ["/module.wasm", "--verbose"]);
//! let status = command.run(wasmux::default_backend()?, &wasmux::Config::default(), Default::default())?;
//! # let _ = (digest, status);
//! # Ok::<(), wasmux_oci::Error>(())
//! ```
//!
//! Features `wasmtime`, `wasmer`, `wasmi` and `all-engines` (the default) choose the engines
//! [`Command::run`] can use; reading, unpacking and moving images needs none.

mod digest;
mod error;
mod extract;
mod image;
mod layout;
mod pack;
mod registry;
mod resolve;
mod source;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod whole_dir;

pub use error::{Error, Result};
pub use image::{Command, Image, OpenOptions, PullPolicy, RunOptions};
pub use layout::REF_NAME;
pub use pack::{LayerFormat, PackOptions, pack};
pub use registry::{Pulled, RegistryOptions, pull, push};
pub use resolve::WASM_LAYER_TYPES;
pub use source::{Selector, Source, parse_reference};
pub use store::{STORE_ENV, Store};

/// The OCI formats (`oci-spec`) and the registry reference type, as used in this API.
pub use oci_client::Reference;
pub use oci_spec::image::{Descriptor, Digest, ImageConfiguration, ImageManifest};
