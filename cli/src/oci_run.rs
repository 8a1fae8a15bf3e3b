//! `wasmux run IMAGE [ARGS...]`: an OCI image in place of a module. A child of `run`, whose
//! options, limits, invocation and exit handling it shares.

use wasmux::Result;
use wasmux::wasi::{DirAccess, PreopenDir};
use wasmux_oci::{RunOptions, Source};

use super::{RunArgs, engine_config, instantiate_and_run};
use crate::{module, oci};

/// Runs the image: `Entrypoint` then ARGS (which replace `Cmd`), the image's `Env` then
/// `--env`, its root filesystem at `/` (read-only unless `--writable-rootfs`), `--dir`s and
/// `--read-only-dir`s after it. With `--invoke`, ARGS are the export's parameters and `Cmd` stays.
pub(super) fn run(args: &RunArgs, source: &Source, guest_args: &[String]) -> Result<u8> {
    let image = match oci::open(source, &args.image) {
        Ok(image) => image,
        Err(e) => return oci::fail(e),
    };
    let options = RunOptions {
        args: (args.invoke.is_none() && !guest_args.is_empty()).then(|| guest_args.to_vec()),
        env: args.envs.clone(),
        dirs: (args.dirs.iter().map(|d| (d, DirAccess::ReadWrite)))
            .chain(args.read_only_dirs.iter().map(|d| (d, DirAccess::ReadOnly)))
            .map(|(d, access)| PreopenDir { host: d.host.clone(), guest: d.guest.clone(), access })
            .collect(),
        writable_rootfs: args.image.writable_rootfs().map(Into::into),
    };
    let command = match image.command(&options) {
        Ok(command) => command,
        Err(e) => return oci::fail(e),
    };
    let mut wasi = command.wasi;
    wasi.inherit_stdio();
    if args.deterministic == Some(true) {
        wasi.deterministic();
    }
    let backend = match args.engine.as_deref() {
        Some(name) => name.parse()?,
        None => wasmux::default_backend()?,
    };
    let config = engine_config(args);
    let engine = module::engine(backend, &config)?;
    // An image's module was checked to be WebAssembly when the image was opened, so it is
    // compiled (through the compiled-module cache), never loaded as native code.
    let name = source.to_string();
    let compiled = module::load_cached(
        engine.as_ref(),
        &config,
        &command.module,
        std::path::Path::new(&name),
        false,
    )?;
    instantiate_and_run(args, engine.as_ref(), &config, &compiled, &wasi, guest_args)
}
