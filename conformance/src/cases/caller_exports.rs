//! Host functions reaching their calling instance's exports by name (`Caller::get_export`):
//! memories other than `memory`, globals, tables and functions, the guest called again from
//! the host, and handles that end with the host call that got them.

use wasmux_core::{
    Engine, Error, ExternKind, ExternType, FuncType, HostEnv, HostError, Instance, MemoryType, Val,
    ValType,
};

use super::host::wrap;
use crate::case::{Case, Ctx, Outcome, ensure, ensure_eq, ok};

pub(super) fn cases<E: Engine>() -> Vec<Case<E>> {
    vec![
        Case::new("caller", "every_kind_of_export", every_kind_of_export::<E, false>),
        Case::new("caller", "native_every_kind_of_export", every_kind_of_export::<E, true>),
        Case::new("caller", "handles_end_with_their_host_call", handles_end_with_the_call::<E>),
        Case::new("caller", "nested_host_calls_keep_their_handles", nested_host_calls::<E>),
        Case::new("caller", "bad_input_is_an_error", bad_input_is_an_error::<E>),
        Case::new("caller", "calls_back_under_a_deadline", calls_back_under_a_deadline::<E>)
            .configure(|config| config.interruptible = true),
    ]
}

/// A module whose memory is not named `memory`, with a mutable global, a table holding a
/// function, and a function the host calls back.
const EXPORTS: &str = r#"(module
  (import "host" "probe" (func $probe (param i32) (result i32)))
  (memory (export "heap") 1 3)
  (global (export "counter") (mut i32) (i32.const 40))
  (table (export "funcs") 2 funcref)
  (elem (i32.const 0) $triple)
  (func $triple (export "triple") (param i32) (result i32)
    (i32.mul (local.get 0) (i32.const 3)))
  (func (export "go") (param i32) (result i32) (call $probe (local.get 0)))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0))))"#;

/// What the host function does with each kind of export; the sum of what it read.
fn probe(caller: &mut wasmux_core::Caller<'_>, x: i32) -> Result<i32, HostError> {
    let heap = caller.get_export("heap").ok_or_else(|| HostError::trap("no export `heap`"))?;
    if heap.kind() != ExternKind::Memory || caller.get_export("memory").is_some() {
        return Err(HostError::trap("wrong kinds"));
    }
    if caller.get_export("nope").is_some() {
        return Err(HostError::trap("an export that does not exist was found"));
    }
    caller.memory_data(heap)?[100..104].copy_from_slice(b"wasm");
    let grown_from = caller.memory_grow(heap, 1)?;
    let ExternType::Memory(MemoryType { min: pages, .. }) = caller.extern_type(heap)? else {
        return Err(HostError::trap("the memory's type is not a memory type"));
    };
    let counter = caller.get_export("counter").ok_or_else(|| HostError::trap("no counter"))?;
    let count = caller.global_get(counter)?.i32().ok_or_else(|| HostError::trap("not i32"))?;
    caller.global_set(counter, Val::I32(count + 2))?;
    let funcs = caller.get_export("funcs").ok_or_else(|| HostError::trap("no table"))?;
    let size = caller.table_size(funcs)?;
    let first = caller.table_get(funcs, 0)?;
    if !matches!(first, Val::FuncRef(Some(_))) || caller.table_get(funcs, 1)? != Val::FuncRef(None)
    {
        return Err(HostError::trap("the table does not hold what the module put there"));
    }
    caller.table_set(funcs, 1, first)?;
    let triple = caller.get_export("triple").ok_or_else(|| HostError::trap("no triple"))?;
    let tripled = caller.call(triple, &[Val::I32(x)])?;
    let tripled = tripled.first().and_then(Val::i32).ok_or_else(|| HostError::trap("result"))?;
    Ok(tripled + count + grown_from as i32 * 100 + pages as i32 * 1000 + size as i32 * 10_000)
}

fn every_kind_of_export<E: Engine, const NATIVE: bool>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func(wrap::<NATIVE, _, _>("host", "probe", probe));
    let mut instance = ctx.instantiate(EXPORTS, env)?;
    // 3 * 5 from the guest's function, 40 from the global, grown from 1 page to 2, 2 elements.
    ensure_eq(
        ok(instance.call("go", &[Val::I32(5)]), "go")?,
        vec![Val::I32(15 + 40 + 100 + 2000 + 20_000)],
        "what the host function read",
    )?;
    ensure_eq(ok(instance.get_global("counter"), "counter")?, Val::I32(42), "the global set")?;
    ensure_eq(
        ok(instance.call("byte", &[Val::I32(101)]), "byte")?,
        vec![Val::I32(i32::from(b'a'))],
        "bytes written",
    )?;
    let funcs = ok(instance.get_export("funcs"), "funcs")?;
    ensure(matches!(instance.table_get(funcs, 1), Ok(Val::FuncRef(Some(_)))), || {
        "the table element the host set is not there".into()
    })
}

/// A handle kept past its host call (in the host data) is refused by the next one, as is a
/// handle the embedder got from the instance: a caller's handles are its own.
fn handles_end_with_the_call<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::with_data(None::<wasmux_core::Extern>);
    env.func_new("host", "probe", FuncType::new([ValType::I32], [ValType::I32]), |caller, p, r| {
        let fresh = caller.get_export("counter").ok_or_else(|| HostError::trap("no counter"))?;
        let outcome = match caller.data_mut().replace(fresh) {
            // The first call: nothing kept yet.
            None => 0,
            Some(stale) => match caller.global_get(stale) {
                Err(Error::InvalidArgument(_)) => 1,
                other => return Err(HostError::trap(format!("a stale handle gave {other:?}"))),
            },
        };
        let given = p[0].i32().unwrap_or_default();
        r[0] = Val::I32(if given == 0 { outcome } else { given });
        Ok(())
    });
    let mut instance = ctx.instantiate(EXPORTS, env)?;
    ensure_eq(ok(instance.call("go", &[Val::I32(0)]), "first")?, vec![Val::I32(0)], "first call")?;
    ensure_eq(ok(instance.call("go", &[Val::I32(0)]), "second")?, vec![Val::I32(1)], "stale")?;

    let mut env = HostEnv::with_data(None::<wasmux_core::Extern>);
    env.func_new("host", "probe", FuncType::new([ValType::I32], [ValType::I32]), |caller, _, r| {
        let embedder_handle = caller.data().ok_or_else(|| HostError::trap("no handle given"))?;
        r[0] = Val::I32(match caller.global_get(embedder_handle) {
            Err(Error::InvalidArgument(_)) => 1,
            _ => 0,
        });
        Ok(())
    });
    let mut instance = ctx.instantiate(EXPORTS, env)?;
    let counter = ok(instance.get_export("counter"), "counter")?;
    *instance.host_state().data::<Option<wasmux_core::Extern>>().ok_or("host data")? =
        Some(counter);
    ensure_eq(
        ok(instance.call("go", &[Val::I32(0)]), "go")?,
        vec![Val::I32(1)],
        "an instance-level handle used through the caller",
    )
}

/// host → guest → host → guest: the inner host call gets its own handles, and the outer one's
/// still work once it returns.
fn nested_host_calls<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func_new("host", "probe", FuncType::new([ValType::I32], [ValType::I32]), |caller, p, r| {
        let depth = p[0].i32().unwrap_or_default();
        let counter = caller.get_export("counter").ok_or_else(|| HostError::trap("no counter"))?;
        let go = caller.get_export("go").ok_or_else(|| HostError::trap("no go"))?;
        let inner = if depth > 0 {
            caller.call(go, &[Val::I32(depth - 1)])?.first().and_then(Val::i32).unwrap_or(-1)
        } else {
            0
        };
        // The outer call's handle, used after the inner call returned.
        let count = caller.global_get(counter)?.i32().unwrap_or(-1);
        caller.global_set(counter, Val::I32(count + 1))?;
        r[0] = Val::I32(inner + count);
        Ok(())
    });
    let mut instance = ctx.instantiate(EXPORTS, env)?;
    // Innermost first: 40, then 41, then 42.
    ensure_eq(ok(instance.call("go", &[Val::I32(2)]), "go")?, vec![Val::I32(123)], "nested")?;
    ensure_eq(ok(instance.get_global("counter"), "counter")?, Val::I32(43), "three increments")
}

/// Under a deadline the guest called back from a host function runs watched on wasmtime (its
/// epochs are the store's); wasmer and wasmi account deadlines (and fuel) in the instance's own
/// call loop, so they refuse the nested call as unsupported rather than misreport it.
fn calls_back_under_a_deadline<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func_new("host", "probe", FuncType::new([ValType::I32], [ValType::I32]), |caller, p, r| {
        let triple = caller.get_export("triple").ok_or_else(|| HostError::trap("no triple"))?;
        r[0] = match caller.call(triple, &p[..1]) {
            Ok(results) => results[0].clone(),
            Err(Error::Unsupported { .. }) => Val::I32(-1),
            Err(other) => return Err(other.into()),
        };
        Ok(())
    });
    env.limits_mut().deadline(std::time::Duration::from_secs(600));
    let mut instance = ctx.instantiate(EXPORTS, env)?;
    let expected = if ctx.engine.info().name == "wasmtime" { 21 } else { -1 };
    ensure_eq(ok(instance.call("go", &[Val::I32(7)]), "go")?, vec![Val::I32(expected)], "nested")
}

/// Every misuse of a caller's handle is an `InvalidArgument` the host function can handle,
/// never a panic: the wrong kind, an index past a table's end, growing past a memory's
/// maximum, an immutable global set, a value of the wrong type, a call with wrong arguments.
fn bad_input_is_an_error<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func_new("host", "probe", FuncType::new([ValType::I32], [ValType::I32]), |caller, _, r| {
        let find = |caller: &mut wasmux_core::Caller<'_>, name: &str| {
            caller.get_export(name).ok_or_else(|| HostError::trap(format!("no export `{name}`")))
        };
        let (heap, counter, funcs) =
            (find(caller, "heap")?, find(caller, "counter")?, find(caller, "funcs")?);
        let (fixed, triple) = (find(caller, "fixed")?, find(caller, "triple")?);
        let refused: [(&str, Result<(), Error>); 9] = [
            ("a memory read as a global", caller.global_get(heap).map(drop)),
            ("a global borrowed as a memory", caller.memory_data(counter).map(drop)),
            ("a table called", caller.call(funcs, &[]).map(drop)),
            ("an element past the table's end", caller.table_get(funcs, 2).map(drop)),
            ("an element set past the end", caller.table_set(funcs, 7, Val::FuncRef(None))),
            ("an i32 in a funcref table", caller.table_set(funcs, 0, Val::I32(1))),
            ("growing past the maximum", caller.memory_grow(heap, 5).map(drop)),
            ("an immutable global set", caller.global_set(fixed, Val::I32(1))),
            ("a call with the wrong arguments", caller.call(triple, &[Val::I64(1)]).map(drop)),
        ];
        for (what, outcome) in refused {
            if !matches!(outcome, Err(Error::InvalidArgument(_))) {
                return Err(HostError::trap(format!(
                    "{what}: expected InvalidArgument, got {outcome:?}"
                )));
            }
        }
        let wrong_type = caller.global_set(counter, Val::I64(1));
        if !matches!(wrong_type, Err(Error::InvalidArgument(_))) {
            return Err(HostError::trap(format!("an i64 in an i32 global: {wrong_type:?}")));
        }
        r[0] = Val::I32(i32::try_from(caller.table_size(funcs)?).unwrap_or(-1));
        Ok(())
    });
    let module = EXPORTS.replace(
        "(global (export \"counter\")",
        "(global (export \"fixed\") i32 (i32.const 9)) (global (export \"counter\")",
    );
    let mut instance = ctx.instantiate(&module, env)?;
    ensure_eq(ok(instance.call("go", &[Val::I32(0)]), "go")?, vec![Val::I32(2)], "still usable")
}
