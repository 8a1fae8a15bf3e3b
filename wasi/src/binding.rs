//! Where a WASI context meets an instance: installed in its [`HostState`] beside the
//! embedder's data, with the preview 1 functions offered in its [`HostEnv`].

use wasmux_core::{HostEnv, HostState};

use crate::{WasiCtx, add_to_imports};

/// Gives an instance's [`HostEnv`] WASI: `env.wasi(ctx)`.
pub trait WasiEnvExt {
    /// Gives the instance the WASI context `ctx` and offers the preview 1 functions.
    fn wasi(&mut self, ctx: WasiCtx) -> &mut Self;
}

impl<T: std::any::Any + Send> WasiEnvExt for HostEnv<T> {
    fn wasi(&mut self, ctx: WasiCtx) -> &mut Self {
        add_to_imports(&mut self.imports);
        self.state.set_wasi(ctx);
        self
    }
}

/// Reaches the WASI context kept in an instance's [`HostState`].
pub trait WasiStateExt {
    /// The WASI context, if the instance has one.
    fn wasi(&mut self) -> Option<&mut WasiCtx>;

    /// Installs a WASI context.
    fn set_wasi(&mut self, ctx: WasiCtx);
}

impl WasiStateExt for HostState {
    fn wasi(&mut self) -> Option<&mut WasiCtx> {
        self.extension()
    }

    fn set_wasi(&mut self, ctx: WasiCtx) {
        self.set_extension(ctx);
    }
}
