//! Memory, table, fuel and instance limits hold on every engine.

use wasmux_core::{Capability, Engine, Error, HostEnv, Instance, Limits, Resource, TrapCode, Val};

use crate::case::{Case, Ctx, Outcome, ensure, ensure_eq, ensure_trap, ok};

pub(super) fn cases<E: Engine>() -> Vec<Case<E>> {
    vec![
        Case::new("limits", "memory_growth_refused_at_limit", memory_growth_refused_at_limit::<E>)
            .requires(&[Capability::MemoryLimit]),
        Case::new(
            "limits",
            "memory_over_limit_at_instantiation",
            memory_over_limit_at_instantiation::<E>,
        )
        .requires(&[Capability::MemoryLimit]),
        Case::new("limits", "table_growth_refused_at_limit", table_growth_refused_at_limit::<E>)
            .requires(&[Capability::TableLimit, Capability::ReferenceTypes]),
        Case::new(
            "limits",
            "table_over_limit_at_instantiation",
            table_over_limit_at_instantiation::<E>,
        )
        .requires(&[Capability::TableLimit]),
        Case::new("limits", "fuel_is_consumed_and_refilled", fuel_is_consumed_and_refilled::<E>)
            .requires(&[Capability::Fuel]),
        Case::new("limits", "max_instances", max_instances::<E>),
        Case::new("limits", "engine_clones_share_the_instance_count", clones_share_instances::<E>),
        Case::new("limits", "unlimited_memory_grows", unlimited_memory_grows::<E>),
        Case::new(
            "limits",
            "start_trap_after_refused_growth",
            start_trap_after_refused_growth::<E>,
        )
        .requires(&[Capability::MemoryLimit]),
    ]
}

const PAGE: u64 = 65536;

const GROWER: &str = r#"(module (memory (export "memory") 1)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "size") (result i32) memory.size))"#;

fn with_limits(limits: &mut Limits) -> HostEnv {
    let mut env = HostEnv::new();
    env.limits(limits.clone());
    env
}

fn memory_growth_refused_at_limit<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance =
        ctx.instantiate(GROWER, with_limits(Limits::new().max_memory_bytes(3 * PAGE)))?;
    ensure_eq(
        ok(instance.call("grow", &[Val::I32(2)]), "grow")?,
        vec![Val::I32(1)],
        "grow to the limit",
    )?;
    ensure_eq(
        ok(instance.call("grow", &[Val::I32(1)]), "grow")?,
        vec![Val::I32(-1)],
        "grow past the limit",
    )?;
    ensure_eq(ok(instance.call("size", &[]), "size")?, vec![Val::I32(3)], "size after refusal")?;
    ensure_eq(
        ok(instance.memory("memory"), "memory")?.len() as u64,
        3 * PAGE,
        "host view of memory",
    )
}

fn memory_over_limit_at_instantiation<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let module = ctx.compile(r#"(module (memory 4))"#)?;
    match ctx.engine.instantiate(&module, with_limits(Limits::new().max_memory_bytes(2 * PAGE))) {
        Err(Error::ResourceLimit { resource: Resource::Memory, requested, limit }) => {
            ensure_eq((requested, limit), (4 * PAGE, 2 * PAGE), "requested and limit")
        }
        other => Err(format!("expected a memory ResourceLimit error, got {other:?}")),
    }
}

fn table_growth_refused_at_limit<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module (table 2 funcref)
             (func (export "grow") (param i32) (result i32) ref.null func local.get 0 table.grow 0))"#,
        with_limits(Limits::new().max_table_elements(10)),
    )?;
    ensure_eq(
        ok(instance.call("grow", &[Val::I32(8)]), "grow")?,
        vec![Val::I32(2)],
        "grow to the limit",
    )?;
    ensure_eq(
        ok(instance.call("grow", &[Val::I32(1)]), "grow")?,
        vec![Val::I32(-1)],
        "grow past it",
    )
}

fn table_over_limit_at_instantiation<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let module = ctx.compile(r#"(module (table 50 funcref))"#)?;
    match ctx.engine.instantiate(&module, with_limits(Limits::new().max_table_elements(10))) {
        Err(Error::ResourceLimit { resource: Resource::TableElements, requested, limit }) => {
            ensure_eq((requested, limit), (50, 10), "requested and limit")
        }
        other => Err(format!("expected a table ResourceLimit error, got {other:?}")),
    }
}

fn fuel_is_consumed_and_refilled<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module
          (func (export "count") (param i32) (result i32) (local i32)
            (loop $l local.get 1 i32.const 1 i32.add local.tee 1 local.get 0 i32.lt_u br_if $l)
            local.get 1))"#,
        with_limits(Limits::new().fuel(1_000_000)),
    )?;
    ensure_eq(instance.fuel(), Some(1_000_000), "fuel before any call")?;
    ensure_eq(
        ok(instance.call("count", &[Val::I32(1000)]), "count")?,
        vec![Val::I32(1000)],
        "count",
    )?;
    let left = instance.fuel().ok_or("fuel is counted but not reported")?;
    // Each engine charges its own costs per operator; 1000 iterations of six operators cost
    // thousands of units on all of them.
    ensure(left < 1_000_000 - 1000 && left > 900_000, || format!("implausible fuel left: {left}"))?;
    ensure_trap(instance.call("count", &[Val::I32(1_000_000)]), TrapCode::OutOfFuel)?;
    ok(instance.set_fuel(10_000_000), "set_fuel")?;
    ensure_eq(
        ok(instance.call("count", &[Val::I32(10)]), "count after refill")?,
        vec![Val::I32(10)],
        "refilled",
    )
}

fn max_instances<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    // A private engine: others running in parallel must not count against the limit.
    let engine = ctx.fresh_engine()?;
    let wasm = wasmux::parse(b"(module)").map_err(|e| e.to_string())?;
    let module = ok(engine.compile(&wasm), "compile")?;
    let limited = || engine.instantiate(&module, with_limits(Limits::new().max_instances(2)));
    let first = ok(limited(), "first instance")?;
    let _second = ok(limited(), "second instance")?;
    match limited() {
        Err(Error::ResourceLimit { resource: Resource::Instances, limit: 2, .. }) => {}
        other => return Err(format!("a third live instance must be refused, got {other:?}")),
    }
    drop(first);
    ok(limited(), "an instance after one was dropped").map(drop)
}

/// A clone of an engine is the same engine: instances made through either count against one
/// `max_instances`, and modules compiled by one instantiate on the other.
fn clones_share_instances<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let engine = ctx.fresh_engine()?;
    let clone = engine.clone();
    let wasm = wasmux::parse(b"(module)").map_err(|e| e.to_string())?;
    let module = ok(engine.compile(&wasm), "compile")?;
    let limited =
        |engine: &E| engine.instantiate(&module, with_limits(Limits::new().max_instances(1)));
    let first = ok(limited(&engine), "first instance")?;
    match limited(&clone) {
        Err(Error::ResourceLimit { resource: Resource::Instances, limit: 1, .. }) => {}
        other => {
            return Err(format!("the clone must count the original's instance, got {other:?}"));
        }
    }
    drop(first);
    ok(limited(&clone), "an instance of the clone once the original's was dropped").map(drop)
}

fn unlimited_memory_grows<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(GROWER, HostEnv::new())?;
    ensure_eq(
        ok(instance.call("grow", &[Val::I32(100)]), "grow")?,
        vec![Val::I32(1)],
        "grow by 100 pages",
    )
}

/// A start function whose growth was refused (memory.grow gives -1) and which then traps must
/// report the trap, not the refusal (found by the differential fuzzer).
fn start_trap_after_refused_growth<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let module = ctx.compile(
        r#"(module (memory 1)
             (func $start (drop (memory.grow (i32.const 100))) unreachable)
             (start $start))"#,
    )?;
    ensure_trap(
        ctx.engine.instantiate(&module, with_limits(Limits::new().max_memory_bytes(2 * PAGE))),
        TrapCode::Unreachable,
    )
}
