//! Stores holding several instances: every kind of import and export, host-made memories,
//! tables and globals, instances linked to instances and seeing each other's writes.

use wasmux_core::{
    Capability, Engine, Error, ExternKind, ExternType, FuncType, GlobalType, HostEnv, HostFunc,
    Imports, Instance, LinkError, LinkProblem, MemoryType, TableType, Val, ValType,
};

use crate::case::{Case, Ctx, Outcome, ensure, ensure_eq, ok};

pub(super) fn cases<E: Engine>() -> Vec<Case<E>> {
    vec![
        Case::new(
            "store",
            "instances_share_memory_and_table",
            instances_share_memory_and_table::<E>,
        ),
        Case::new("store", "host_made_items_are_imported", host_made_items_are_imported::<E>),
        Case::new("store", "exports_are_listed_with_types", exports_are_listed_with_types::<E>),
        Case::new("store", "link_errors_name_every_kind", link_errors_name_every_kind::<E>),
        Case::new("store", "bad_handles_are_refused", bad_handles_are_refused::<E>),
        Case::new(
            "store",
            "store_imports_reach_every_instance",
            store_imports_reach_every_instance::<E>,
        ),
        Case::new(
            "store",
            "host_function_sees_its_callers_memory",
            host_function_sees_its_callers_memory::<E, false>,
        ),
        Case::new(
            "store",
            "native_host_function_sees_its_callers_memory",
            host_function_sees_its_callers_memory::<E, true>,
        ),
        Case::new("store", "spectest_module_and_register", spectest_module_and_register::<E>),
        Case::new("store", "tags_link_between_instances", tags_link_between_instances::<E>)
            .requires(&[Capability::Exceptions]),
    ]
}

/// A library owning a memory and a table of functions.
const LIBRARY: &str = r#"(module
    (memory (export "memory") 1 4)
    (table (export "table") 2 funcref)
    (func $seven (result i32) i32.const 7)
    (elem (i32.const 0) $seven)
    (func (export "load") (param i32) (result i32) local.get 0 i32.load)
    (func (export "call_slot") (param i32) (result i32)
        local.get 0 call_indirect (result i32))
    (func (export "pages") (result i32) memory.size))"#;

/// An application that imports the library's memory and table, writes to both, and calls a
/// library function.
const APPLICATION: &str = r#"(module
    (import "lib" "memory" (memory 1))
    (import "lib" "table" (table 2 funcref))
    (import "lib" "load" (func $load (param i32) (result i32)))
    (func $eleven (result i32) i32.const 11)
    (elem (i32.const 1) $eleven)
    (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
    (func (export "load_through_lib") (param i32) (result i32) local.get 0 call $load)
    (func (export "grow") (result i32) i32.const 1 memory.grow))"#;

fn instances_share_memory_and_table<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let (library, application) = (ctx.compile(LIBRARY)?, ctx.compile(APPLICATION)?);
    let mut store = ok(ctx.engine.store(HostEnv::new()), "store")?;
    let lib = ok(ctx.engine.instantiate_in(&mut store, &library, &Imports::new()), "library")?;
    let mut imports = Imports::new();
    imports.instance("lib", &lib);
    let app = ok(ctx.engine.instantiate_in(&mut store, &application, &imports), "application")?;

    ok(store.call("store", &[Val::I32(64), Val::I32(0x1234)]), "application writes")?;
    let load = lib.get("load").ok_or("library exports `load`")?;
    let read = ok(store.call_extern(load, &[Val::I32(64)]), "library reads")?;
    ensure_eq(read, vec![Val::I32(0x1234)], "the library sees the application's write")?;
    let via = ok(store.call("load_through_lib", &[Val::I32(64)]), "call into the library")?;
    ensure_eq(via, vec![Val::I32(0x1234)], "a library function imported by the application")?;

    let slot = lib.get("call_slot").ok_or("library exports `call_slot`")?;
    for (index, expected) in [(0, 7), (1, 11)] {
        let result = ok(store.call_extern(slot, &[Val::I32(index)]), "call_indirect")?;
        ensure_eq(result, vec![Val::I32(expected)], "the shared table's element")?;
    }

    ok(store.call("grow", &[]), "the application grows the memory")?;
    let pages = ok(store.call_extern(lib.get("pages").ok_or("pages")?, &[]), "size")?;
    ensure_eq(pages, vec![Val::I32(2)], "the library sees the growth")?;
    ensure_eq(app.len(), 3, "the application's exports")?;
    let memory = lib.get("memory").ok_or("library exports `memory`")?;
    let bytes = ok(store.memory_data(memory), "memory bytes")?;
    ensure_eq(bytes.len(), 2 * 65536, "the host sees the growth")?;
    ensure_eq(&bytes[64..68], &0x1234u32.to_le_bytes()[..], "the host sees the write")
}

fn host_made_items_are_imported<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let module = ctx.compile(
        r#"(module
            (import "host" "memory" (memory 1 2))
            (import "host" "table" (table 3 funcref))
            (import "host" "counter" (global $counter (mut i32)))
            (import "host" "limit" (global $limit i64))
            (func $answer (result i32) i32.const 42)
            (elem (i32.const 2) $answer)
            (func (export "run") (result i64)
                (i32.store8 (i32.const 5) (i32.const 99))
                (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
                global.get $limit)
            (func (export "pages") (result i32) memory.size)
            (func (export "slot") (param i32) (result i32) local.get 0 call_indirect (result i32)))"#,
    )?;
    let mut store = ok(ctx.engine.store(HostEnv::new()), "store")?;
    let memory_type = MemoryType { min: 1, max: Some(2), memory64: false, shared: false };
    let memory = ok(store.new_memory(&memory_type), "new memory")?;
    let table_type = TableType { element: ValType::FuncRef, min: 3, max: None };
    let table = ok(store.new_table(&table_type, Val::FuncRef(None)), "new table")?;
    let counter_type = GlobalType { content: ValType::I32, mutable: true };
    let counter = ok(store.new_global(&counter_type, Val::I32(41)), "new global")?;
    let limit_type = GlobalType { content: ValType::I64, mutable: false };
    let limit = ok(store.new_global(&limit_type, Val::I64(-3)), "new immutable global")?;
    ok(store.memory_data(memory), "memory bytes")?[0] = 17;

    let mut imports = Imports::new();
    imports
        .define("host", "memory", memory)
        .define("host", "table", table)
        .define("host", "counter", counter)
        .define("host", "limit", limit);
    ok(ctx.engine.instantiate_in(&mut store, &module, &imports), "instantiate")?;
    ensure_eq(ok(store.call("run", &[]), "run")?, vec![Val::I64(-3)], "the imported global")?;
    ensure_eq(ok(store.global_get(counter), "counter")?, Val::I32(42), "the guest's write")?;
    let bytes = ok(store.memory_data(memory), "memory bytes")?;
    ensure_eq((bytes[0], bytes[5]), (17, 99), "host and guest writes")?;

    ensure_eq(ok(store.memory_grow(memory, 1), "grow")?, 1, "previous size")?;
    ensure_eq(ok(store.call("pages", &[]), "pages")?, vec![Val::I32(2)], "growth seen")?;
    ensure(store.memory_grow(memory, 1).is_err(), || "grew past the maximum".into())?;

    ensure_eq(ok(store.table_size(table), "table size")?, 3, "table size")?;
    let answer = ok(store.table_get(table, 2), "element set by the module")?;
    ensure(matches!(answer, Val::FuncRef(Some(_))), || format!("element 2: {answer:?}"))?;
    ok(store.table_set(table, 0, answer), "copy the element")?;
    ensure_eq(ok(store.call("slot", &[Val::I32(0)]), "slot 0")?, vec![Val::I32(42)], "copied")?;
    ensure_eq(ok(store.table_grow(table, 2, Val::FuncRef(None)), "grow")?, 3, "old size")?;
    ensure_eq(ok(store.table_size(table), "table size")?, 5, "grown table")?;

    ok(store.global_set(counter, Val::I32(-1)), "set the counter")?;
    ok(store.call("run", &[]), "run again")?;
    ensure_eq(ok(store.global_get(counter), "counter")?, Val::I32(0), "the host's write seen")
}

fn exports_are_listed_with_types<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut store = ok(ctx.engine.instantiate(&ctx.compile(LIBRARY)?, HostEnv::new()), "lib")?;
    let exports = ok(store.instance_exports(), "exports")?;
    let kinds: Vec<(&str, ExternKind)> =
        exports.iter().map(|(info, item)| (info.name.as_str(), item.kind())).collect();
    ensure_eq(
        kinds,
        vec![
            ("memory", ExternKind::Memory),
            ("table", ExternKind::Table),
            ("load", ExternKind::Func),
            ("call_slot", ExternKind::Func),
            ("pages", ExternKind::Func),
        ],
        "exports in order",
    )?;
    let memory = ok(store.get_export("memory"), "memory export")?;
    ensure_eq(ok(store.get_export("memory"), "again")?, memory, "one handle per export")?;
    ensure_eq(exports.get("memory"), Some(memory), "the listed handle is the one by name")?;
    ensure_eq(ok(store.instance_exports(), "exports again")?, exports, "listed again, the same")?;
    ok(store.memory_grow(memory, 2), "grow")?;
    ensure_eq(
        ok(store.extern_type(memory), "memory type")?,
        ExternType::Memory(MemoryType { min: 3, max: Some(4), memory64: false, shared: false }),
        "the current size is the minimum",
    )?;
    let load = ok(store.get_export("load"), "load export")?;
    ensure_eq(
        ok(store.extern_type(load), "function type")?,
        ExternType::Func(FuncType::new([ValType::I32], [ValType::I32])),
        "function type",
    )?;
    match store.get_export("nothing") {
        Err(Error::Export { name, .. }) if name == "nothing" => Ok(()),
        other => Err(format!("a missing export: {other:?}")),
    }
}

fn link_errors_name_every_kind<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut store = ok(ctx.engine.store(HostEnv::new()), "store")?;
    let memory_type = MemoryType { min: 1, max: None, memory64: false, shared: false };
    let memory = ok(store.new_memory(&memory_type), "memory")?;
    let externs = TableType { element: ValType::ExternRef, min: 1, max: None };
    let table = ok(store.new_table(&externs, Val::ExternRef(None)), "table")?;
    let immutable = GlobalType { content: ValType::I32, mutable: false };
    let global = ok(store.new_global(&immutable, Val::I32(1)), "global")?;
    let checks = [
        (r#"(module (import "m" "x" (memory 2)))"#, memory, ExternType::Memory(memory_type)),
        (r#"(module (import "m" "x" (table 1 funcref)))"#, table, ExternType::Table(externs)),
        (r#"(module (import "m" "x" (global (mut i32))))"#, global, ExternType::Global(immutable)),
        (
            r#"(module (import "m" "x" (func)))"#,
            memory,
            ExternType::Memory(MemoryType { min: 1, max: None, memory64: false, shared: false }),
        ),
    ];
    for (wat, given, found) in checks {
        let module = ctx.compile(wat)?;
        let mut imports = Imports::new();
        imports.define("m", "x", given);
        match ctx.engine.instantiate_in(&mut store, &module, &imports) {
            Err(Error::Link(error)) => {
                let LinkError { module, field, problem, .. } = *error;
                ensure_eq(
                    (module.as_str(), field.as_str(), problem),
                    ("m", "x", LinkProblem::Mismatch { found: found.clone() }),
                    wat,
                )?;
            }
            other => return Err(format!("{wat}: expected a link error, got {other:?}")),
        }
    }
    let module = ctx.compile(r#"(module (import "m" "y" (global i32)))"#)?;
    match ctx.engine.instantiate_in(&mut store, &module, &Imports::new()) {
        Err(Error::Link(error)) if error.problem == LinkProblem::Missing => {
            let message = error.to_string();
            ensure(message.contains("m::y") && message.contains("(global i32)"), || message)
        }
        other => Err(format!("a missing global: {other:?}")),
    }
}

fn bad_handles_are_refused<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut first = ok(ctx.engine.instantiate(&ctx.compile(LIBRARY)?, HostEnv::new()), "first")?;
    let mut second = ok(ctx.engine.instantiate(&ctx.compile(LIBRARY)?, HostEnv::new()), "second")?;
    let memory = ok(first.get_export("memory"), "memory")?;
    let table = ok(first.get_export("table"), "table")?;
    let invalid = |what: &str, result: Result<(), Error>| match result {
        Err(Error::InvalidArgument(_)) => Ok(()),
        other => Err(format!("{what}: expected an invalid argument, got {other:?}")),
    };
    invalid("another store's memory", second.memory_data(memory).map(|_| ()))?;
    let module = ctx.compile(r#"(module (import "m" "memory" (memory 1)))"#)?;
    let mut imports = Imports::new();
    imports.define("m", "memory", memory);
    invalid(
        "another store's import",
        ctx.engine.instantiate_in(&mut second, &module, &imports).map(|_| ()),
    )?;
    invalid("a table as a memory", first.memory_grow(table, 1).map(|_| ()))?;
    invalid("a memory as a function", first.extern_func(memory).map(|_| ()))?;
    invalid("an element out of bounds", first.table_get(table, 2).map(|_| ()))?;
    invalid("setting out of bounds", first.table_set(table, 9, Val::FuncRef(None)))?;
    invalid("an element of the wrong type", first.table_set(table, 0, Val::I32(1)))?;
    let constant = ok(
        first.new_global(&GlobalType { content: ValType::F64, mutable: false }, Val::from(1.5)),
        "global",
    )?;
    invalid("setting an immutable global", first.global_set(constant, Val::from(2.5)))?;
    invalid(
        "a global of the wrong initial type",
        first
            .new_global(&GlobalType { content: ValType::I32, mutable: true }, Val::I64(1))
            .map(|_| ()),
    )?;
    let mut empty = ok(ctx.engine.store(HostEnv::new()), "empty store")?;
    match empty.call("load", &[Val::I32(0)]) {
        Err(Error::Export { .. }) => Ok(()),
        other => Err(format!("a call in a store without instances: {other:?}")),
    }
}

fn store_imports_reach_every_instance<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func(HostFunc::wrap("env", "double", |_caller, v: i32| {
        Ok::<_, wasmux_core::HostError>(v * 2)
    }));
    let mut store = ok(ctx.engine.store(env), "store")?;
    let wat = r#"(module (import "env" "double" (func $d (param i32) (result i32)))
        (func (export "f") (param i32) (result i32) local.get 0 call $d))"#;
    let module = ctx.compile(wat)?;
    let first = ok(ctx.engine.instantiate_in(&mut store, &module, &Imports::new()), "first")?;
    let mut imports = Imports::new();
    imports.func(HostFunc::wrap("env", "double", |_caller, v: i32| {
        Ok::<_, wasmux_core::HostError>(v * 3)
    }));
    ok(ctx.engine.instantiate_in(&mut store, &module, &imports), "second, own import")?;
    ensure_eq(
        ok(store.call("f", &[Val::I32(5)]), "second")?,
        vec![Val::I32(15)],
        "own import first",
    )?;
    let f = first.get("f").ok_or("f")?;
    ensure_eq(
        ok(store.call_extern(f, &[Val::I32(5)]), "first")?,
        vec![Val::I32(10)],
        "store's import",
    )
}

/// With several instances in the store, a host function looks the caller's memory up by name
/// on each call (in the type-erased form, and in each engine's own typed form when `NATIVE`).
fn host_function_sees_its_callers_memory<E: Engine, const NATIVE: bool>(
    ctx: &Ctx<'_, E>,
) -> Outcome {
    let mut env = HostEnv::new();
    env.func(super::host::wrap::<NATIVE, (), i32>("env", "first_byte", |caller, (): ()| {
        Ok::<_, wasmux_core::HostError>(i32::from(caller.read(0, 1)?[0]))
    }));
    let mut store = ok(ctx.engine.store(env), "store")?;
    let wat = |byte: u8| {
        format!(
            r#"(module (import "env" "first_byte" (func $f (result i32)))
                (memory (export "memory") 1) (data (i32.const 0) "\{byte:02x}")
                (func (export "f") (result i32) call $f))"#
        )
    };
    let one =
        ok(ctx.engine.instantiate_in(&mut store, &ctx.compile(&wat(1))?, &Imports::new()), "one")?;
    let two =
        ok(ctx.engine.instantiate_in(&mut store, &ctx.compile(&wat(2))?, &Imports::new()), "two")?;
    for (exports, expected) in [(one, 1), (two, 2)] {
        let f = exports.get("f").ok_or("f")?;
        let result = ok(store.call_extern(f, &[]), "f")?;
        ensure_eq(result, vec![Val::I32(expected)], "the calling instance's memory")?;
    }
    Ok(())
}

fn tags_link_between_instances<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let thrower = ctx.compile(
        r#"(module (tag $e (export "e") (param i32))
            (func (export "throw") (param i32) local.get 0 throw $e))"#,
    )?;
    let catcher = ctx.compile(
        r#"(module (import "t" "e" (tag $e (param i32)))
            (import "t" "throw" (func $throw (param i32)))
            (func (export "catch") (param i32) (result i32)
                (block $caught (result i32)
                    (try_table (catch $e $caught) (call $throw (local.get 0)))
                    i32.const -1)))"#,
    )?;
    let mut store = ok(ctx.engine.store(HostEnv::new()), "store")?;
    let t = ok(ctx.engine.instantiate_in(&mut store, &thrower, &Imports::new()), "thrower")?;
    let tag = t.get("e").ok_or("tag export")?;
    ensure_eq(ok(store.extern_type(tag), "tag type")?, ExternType::tag(&[ValType::I32]), "tag")?;
    let mut imports = Imports::new();
    imports.instance("t", &t);
    ok(ctx.engine.instantiate_in(&mut store, &catcher, &imports), "catcher")?;
    ensure_eq(ok(store.call("catch", &[Val::I32(9)]), "catch")?, vec![Val::I32(9)], "caught")
}

/// The standard `spectest` module that spec scripts import, and `register`, through the wast
/// runner: its globals, table, memory and print functions link, and registered instances share
/// their memory.
const SPECTEST_SCRIPT: &str = r#"
(module $lib
  (import "spectest" "global_i32" (global $g i32))
  (import "spectest" "table" (table 10 20 funcref))
  (import "spectest" "memory" (memory 1 2))
  (import "spectest" "print_i32" (func $print (param i32)))
  (func (export "global") (result i32) (call $print (global.get $g)) (global.get $g))
  (func (export "sizes") (result i32 i32) (table.size) (memory.size))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))
(register "lib" $lib)
(module (import "spectest" "memory" (memory 1))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1))))
(assert_return (invoke $lib "global") (i32.const 666))
(assert_return (invoke $lib "sizes") (i32.const 10) (i32.const 1))
(invoke "store" (i32.const 4) (i32.const 99))
(assert_return (invoke $lib "load" (i32.const 4)) (i32.const 99))
(assert_unlinkable (module (import "spectest" "memory" (memory 3))) "incompatible import")
(assert_unlinkable (module (import "lib" "global" (global i32))) "incompatible import")
(assert_return (get $lib "nothing_here_is_a_global_so_this_fails_if_reached") (i32.const 0))
"#;

fn spectest_module_and_register<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let report = crate::wast::run_wast(ctx.engine.as_dyn(), "spectest.wast", SPECTEST_SCRIPT)?;
    let statuses: Vec<(usize, &crate::wast::Status)> =
        report.outcomes.iter().map(|o| (o.line, &o.status)).collect();
    let (last, others) = statuses.split_last().ok_or("no directives")?;
    ensure(others.iter().all(|(_, status)| **status == crate::wast::Status::Passed), || {
        format!("every directive but the last must pass: {statuses:?}")
    })?;
    ensure(matches!(last.1, crate::wast::Status::Failed(_)), || {
        format!("reading a missing global must fail: {last:?}")
    })
}
