//! wasmtime-wasi's own WASI preview 1, on the wasmtime engine the wasmux backend uses: the raw
//! baseline of the WASI I/O group.

use std::path::Path;

use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

/// An instance of the WASI I/O module (`wat/wasi_io.wat`) with `dir` preopened as `/data`.
pub struct RawWasiIo {
    store: wasmtime::Store<WasiP1Ctx>,
    write: wasmtime::TypedFunc<i32, i64>,
    read: wasmtime::TypedFunc<(), i64>,
}

impl std::fmt::Debug for RawWasiIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawWasiIo")
    }
}

impl RawWasiIo {
    /// Instantiates `wasm` on `engine`, linked to wasmtime-wasi's preview 1.
    pub fn new(engine: &wasmtime::Engine, wasm: &[u8], dir: &Path) -> Self {
        let mut linker = wasmtime::Linker::new(engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |ctx| ctx).expect("link WASI");
        let wasi = WasiCtxBuilder::new()
            .preopened_dir(dir, "/data", FsPerms::ReadWrite)
            .expect("preopen")
            .build_p1();
        let mut store = wasmtime::Store::new(engine, wasi);
        let module = wasmtime::Module::new(engine, wasm).expect("compiles");
        let instance = linker.instantiate(&mut store, &module).expect("instantiates");
        let write = instance.get_typed_func(&mut store, "write_file").expect("write_file");
        let read = instance.get_typed_func(&mut store, "read_file").expect("read_file");
        RawWasiIo { store, write, read }
    }

    /// Writes the file in `chunks` chunks; returns the bytes written.
    pub fn write(&mut self, chunks: i32) -> i64 {
        self.write.call(&mut self.store, chunks).expect("write")
    }

    /// Reads the file back; returns the guest's checksum of it.
    pub fn read(&mut self) -> i64 {
        self.read.call(&mut self.store, ()).expect("read")
    }
}
