//! The instance API: exports, globals, memory, start functions, commands, dynamic dispatch.

use wasmux_core::{
    Engine, Error, ExportInfo, ExternType, FuncType, GlobalType, HostEnv, ImportInfo, Instance,
    MemoryType, TableType, Val, ValType,
};

use crate::case::{Case, Ctx, Outcome, ensure, ensure_eq, ok};

pub(super) fn cases<E: Engine>() -> Vec<Case<E>> {
    vec![
        Case::new("instance", "module_info", module_info::<E>),
        Case::new("instance", "globals", globals::<E>),
        Case::new("instance", "memory_access", memory_access::<E>),
        Case::new("instance", "missing_export", missing_export::<E>),
        Case::new("instance", "wrong_arguments", wrong_arguments::<E>),
        Case::new("instance", "start_function_runs", start_function_runs::<E>),
        Case::new("instance", "command_returns_zero", command_returns_zero::<E>),
        Case::new("instance", "exports_listed_in_order", exports_listed_in_order::<E>),
        Case::new("instance", "reactor_runs_initialize_then_default", reactor_runs::<E>),
        Case::new("instance", "no_entry_point_names_both", no_entry_point::<E>),
        Case::new("instance", "dynamic_dispatch", dynamic_dispatch::<E>),
        Case::new("instance", "instances_on_many_threads", instances_on_many_threads::<E>),
    ]
}

fn module_info<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let module = ctx.compile(
        r#"(module
          (import "env" "f" (func (param i32) (result i64)))
          (memory (export "mem") 2 10)
          (table (export "tab") 3 funcref)
          (global (export "g") (mut f32) (f32.const 0))
          (func (export "h") (param f64 f64)))"#,
    )?;
    let info = ctx.engine.module_info(&module);
    ensure_eq(
        info.imports.clone(),
        vec![ImportInfo {
            module: "env".into(),
            name: "f".into(),
            ty: ExternType::Func(FuncType::new([ValType::I32], [ValType::I64])),
        }],
        "imports",
    )?;
    ensure_eq(
        info.exports.clone(),
        vec![
            ExportInfo {
                name: "mem".into(),
                ty: ExternType::Memory(MemoryType {
                    min: 2,
                    max: Some(10),
                    memory64: false,
                    shared: false,
                }),
            },
            ExportInfo {
                name: "tab".into(),
                ty: ExternType::Table(TableType { element: ValType::FuncRef, min: 3, max: None }),
            },
            ExportInfo {
                name: "g".into(),
                ty: ExternType::Global(GlobalType { content: ValType::F32, mutable: true }),
            },
            ExportInfo {
                name: "h".into(),
                ty: ExternType::Func(FuncType::new([ValType::F64, ValType::F64], [])),
            },
        ],
        "exports",
    )
}

fn globals<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module
          (global $counter (export "counter") (mut i64) (i64.const 5))
          (global (export "pi") f64 (f64.const 3.5))
          (func (export "bump") global.get $counter i64.const 1 i64.add global.set $counter))"#,
        HostEnv::new(),
    )?;
    ensure_eq(ok(instance.get_global("pi"), "get pi")?, Val::from(3.5f64), "immutable global")?;
    ok(instance.set_global("counter", Val::I64(41)), "set counter")?;
    ok(instance.call("bump", &[]), "bump")?;
    ensure_eq(
        ok(instance.get_global("counter"), "get counter")?,
        Val::I64(42),
        "guest saw the host's write",
    )?;
    ensure(instance.set_global("pi", Val::from(1.0f64)).is_err(), || {
        "an immutable global was set".into()
    })?;
    ensure(instance.set_global("counter", Val::I32(1)).is_err(), || {
        "a global was set to the wrong type".into()
    })?;
    match instance.get_global("missing") {
        Err(Error::Export { name, .. }) if name == "missing" => Ok(()),
        other => Err(format!("expected an export error, got {other:?}")),
    }
}

fn memory_access<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module (memory (export "memory") 1)
             (func (export "sum") (param i32 i32) (result i32) (local i32)
               (block $done (loop $l
                 local.get 1 i32.eqz br_if $done
                 local.get 2 local.get 0 i32.load8_u i32.add local.set 2
                 local.get 0 i32.const 1 i32.add local.set 0
                 local.get 1 i32.const 1 i32.sub local.set 1 br $l))
               local.get 2))"#,
        HostEnv::new(),
    )?;
    ok(instance.write_memory("memory", 100, &[1, 2, 3, 250]), "write")?;
    ensure_eq(
        ok(instance.call("sum", &[Val::I32(100), Val::I32(4)]), "sum")?,
        vec![Val::I32(256)],
        "sum",
    )?;
    let mut back = [0u8; 4];
    ok(instance.read_memory("memory", 100, &mut back), "read")?;
    ensure_eq(back, [1, 2, 3, 250], "read back")?;
    ensure(
        matches!(instance.read_memory("memory", 65534, &mut back), Err(Error::InvalidArgument(_))),
        || "a read past the end must be refused".into(),
    )?;
    ensure(
        matches!(instance.write_memory("memory", u64::MAX, &back), Err(Error::InvalidArgument(_))),
        || "a write at an overflowing offset must be refused".into(),
    )?;
    ensure(matches!(instance.memory("nope"), Err(Error::Export { .. })), || {
        "a missing memory must be an export error".into()
    })
}

fn missing_export<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance =
        ctx.instantiate(r#"(module (memory (export "memory") 1))"#, HostEnv::new())?;
    for name in ["nope", "memory"] {
        match instance.call(name, &[]) {
            Err(Error::Export { name: n, .. }) if n == name => {}
            other => {
                return Err(format!("calling `{name}`: expected an export error, got {other:?}"));
            }
        }
    }
    Ok(())
}

fn wrong_arguments<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module (func (export "f") (param i32) (result i32) local.get 0))"#,
        HostEnv::new(),
    )?;
    for args in [vec![], vec![Val::I64(1)], vec![Val::I32(1), Val::I32(2)]] {
        ensure(matches!(instance.call("f", &args), Err(Error::InvalidArgument(_))), || {
            format!("call with {args:?} must be an invalid-argument error")
        })?;
    }
    Ok(())
}

fn start_function_runs<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module (global (export "g") (mut i32) (i32.const 0))
             (func $init i32.const 17 global.set 0) (start $init))"#,
        HostEnv::new(),
    )?;
    ensure_eq(ok(instance.get_global("g"), "g")?, Val::I32(17), "global set by the start function")
}

fn command_returns_zero<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(r#"(module (func (export "_start")))"#, HostEnv::new())?;
    ensure_eq(ok(instance.run(), "run")?, 0, "exit status")?;
    let mut library = ctx.instantiate(r#"(module (func (export "f")))"#, HostEnv::new())?;
    ensure(matches!(library.run(), Err(Error::Export { .. })), || {
        "a module without _start cannot run".into()
    })
}

fn dynamic_dispatch<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let engine = ctx.engine.as_dyn();
    let wasm = wasmux::parse(br#"(module (func (export "neg") (param i64) (result i64) i64.const 0 local.get 0 i64.sub))"#)
        .map_err(|e| e.to_string())?;
    let module = ok(engine.compile(&wasm), "compile")?;
    ensure_eq(ok(engine.module_info(&module), "module_info")?.exports.len(), 1, "exports")?;
    let mut instance = ok(engine.instantiate(&module, HostEnv::new()), "instantiate")?;
    ensure_eq(ok(instance.call("neg", &[Val::I64(5)]), "neg")?, vec![Val::I64(-5)], "dyn call")?;
    ensure_eq(
        ok(instance.export_func_type("neg"), "export_func_type")?,
        FuncType::new([ValType::I64], [ValType::I64]),
        "signature",
    )
}

fn instances_on_many_threads<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let module = ctx.compile(
        r#"(module (func $fib (export "fib") (param i32) (result i32)
             local.get 0 i32.const 2 i32.lt_u
             if (result i32) local.get 0
             else local.get 0 i32.const 1 i32.sub call $fib
                  local.get 0 i32.const 2 i32.sub call $fib i32.add end))"#,
    )?;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|n| {
                let module = module.clone();
                scope.spawn(move || -> Outcome {
                    let mut instance =
                        ok(ctx.engine.instantiate(&module, HostEnv::new()), "instantiate")?;
                    let expected = [55, 89, 144, 233][n];
                    ensure_eq(
                        ok(instance.call("fib", &[Val::I32(10 + n as i32)]), "fib")?,
                        vec![Val::I32(expected)],
                        "fib",
                    )
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| w.join().map_err(|_| "worker panicked".to_string())?)
    })
}

/// A WASI reactor: `_initialize` sets up state that its default export (the empty name) and
/// its other exports rely on.
const REACTOR: &str = r#"(module
  (global $state (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $state (i32.const 41)))
  (func (export "")
    (if (i32.ne (global.get $state) (i32.const 41)) (then unreachable))
    (global.set $state (i32.const 42)))
  (func (export "state") (result i32) (global.get $state)))"#;

fn exports_listed_in_order<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let instance = ctx.instantiate(REACTOR, HostEnv::new())?;
    let names: Vec<&str> = instance.exports().iter().map(|e| e.name.as_str()).collect();
    ensure_eq(names, vec!["_initialize", "", "state"], "export names")?;
    ensure_eq(
        instance.exports()[2].ty.clone(),
        ExternType::Func(FuncType::new([], [ValType::I32])),
        "type of `state`",
    )
}

fn reactor_runs<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(REACTOR, HostEnv::new())?;
    ensure_eq(ok(instance.run(), "run")?, 0, "exit status")?;
    ensure_eq(ok(instance.call("state", &[]), "state")?, vec![Val::I32(42)], "state after run")?;
    // Before calling any other export, `initialize` runs the constructor alone.
    let mut fresh = ctx.instantiate(REACTOR, HostEnv::new())?;
    ensure_eq(ok(fresh.initialize(), "initialize")?, None, "no exit")?;
    ensure_eq(ok(fresh.call("state", &[]), "state")?, vec![Val::I32(41)], "state after initialize")
}

fn no_entry_point<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(r#"(module (func (export "main")))"#, HostEnv::new())?;
    match instance.run() {
        Err(Error::Export { name, message })
            if name == "_start" && message.contains("default export") =>
        {
            Ok(())
        }
        other => Err(format!(
            "expected an export error naming `_start` and the default export, got {other:?}"
        )),
    }
}
