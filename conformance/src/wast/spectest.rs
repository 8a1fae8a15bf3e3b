//! The `spectest` host module that spec tests import: print functions, globals, a table and
//! memories, made in the store a script runs in.

use wasmux_core::{
    DynInstance, Error, FuncType, GlobalType, HostFunc, Imports, MemoryType, TableType, Val,
    ValType,
};

/// Makes the `spectest` items in `store` and offers them, with its print functions, under
/// the module name `spectest`. Printing goes nowhere: spec tests only need the functions to
/// exist with the right signatures. `shared_memory` is offered only where the engine has
/// threads.
pub(crate) fn define(store: &mut dyn DynInstance, threads: bool) -> Result<Imports, Error> {
    use ValType::{F32, F64, I32, I64};
    let mut imports = Imports::new();
    let prints: [(&str, &[ValType]); 7] = [
        ("print", &[]),
        ("print_i32", &[I32]),
        ("print_i64", &[I64]),
        ("print_f32", &[F32]),
        ("print_f64", &[F64]),
        ("print_i32_f32", &[I32, F32]),
        ("print_f64_f64", &[F64, F64]),
    ];
    for (name, params) in prints {
        let ty = FuncType::new(params.iter().copied(), []);
        imports.func(HostFunc::new("spectest", name, ty, |_caller, _params, _results| Ok(())));
    }
    let globals = [
        ("global_i32", Val::I32(666)),
        ("global_i64", Val::I64(666)),
        ("global_f32", Val::from(666.6f32)),
        ("global_f64", Val::from(666.6f64)),
    ];
    for (name, value) in globals {
        let global =
            store.new_global(&GlobalType { content: value.ty(), mutable: false }, value)?;
        imports.define("spectest", name, global);
    }
    let table = TableType { element: ValType::FuncRef, min: 10, max: Some(20) };
    let table = store.new_table(&table, Val::FuncRef(None))?;
    imports.define("spectest", "table", table);
    let memory = MemoryType { min: 1, max: Some(2), memory64: false, shared: false };
    imports.define("spectest", "memory", store.new_memory(&memory)?);
    if threads {
        let shared = MemoryType { min: 1, max: Some(1), memory64: false, shared: true };
        imports.define("spectest", "shared_memory", store.new_memory(&shared)?);
    }
    Ok(imports)
}
