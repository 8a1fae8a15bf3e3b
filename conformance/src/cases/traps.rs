//! Every trap code, raised by the guest or the limits, classified the same on every engine.

use std::time::Duration;

use wasmux_core::{Capability, Engine, HostEnv, Instance, Limits, TrapCode, Val};

use crate::case::{Case, Ctx, Outcome, ensure_eq, ensure_trap, ok};

pub(super) fn cases<E: Engine>() -> Vec<Case<E>> {
    vec![
        Case::new("traps", "unreachable", unreachable::<E>),
        Case::new("traps", "memory_out_of_bounds", memory_out_of_bounds::<E>),
        Case::new("traps", "table_out_of_bounds", table_out_of_bounds::<E>),
        Case::new("traps", "indirect_call_to_null", indirect_call_to_null::<E>),
        Case::new("traps", "bad_signature", bad_signature::<E>),
        Case::new("traps", "integer_overflow", integer_overflow::<E>),
        Case::new("traps", "integer_division_by_zero", integer_division_by_zero::<E>),
        Case::new("traps", "bad_conversion_to_integer", bad_conversion_to_integer::<E>),
        Case::new("traps", "stack_overflow", stack_overflow::<E>)
            .requires(&[Capability::StackOverflowTrap]),
        Case::new("traps", "recursion_within_default_stack", recursion_within_default_stack::<E>),
        Case::new("traps", "larger_stack_recurses_deeper", larger_stack_recurses_deeper::<E>)
            .configure(|config| config.max_wasm_stack = Some(4 << 20)),
        Case::new("traps", "out_of_fuel", out_of_fuel::<E>).requires(&[Capability::Fuel]),
        Case::new("traps", "deadline", deadline::<E>).requires(&[Capability::Deadline]),
        Case::new("traps", "interrupt", interrupt::<E>).requires(&[Capability::Interrupt]),
        Case::new("traps", "null_reference", null_reference::<E>)
            .requires(&[Capability::FunctionReferences]),
        Case::new("traps", "unaligned_atomic", unaligned_atomic::<E>)
            .requires(&[Capability::Threads]),
        Case::new("traps", "uncaught_exception", uncaught_exception::<E>)
            .requires(&[Capability::Exceptions]),
        Case::new("traps", "instance_usable_after_trap", instance_usable_after_trap::<E>),
        Case::new("traps", "long_loop_on_small_thread", long_loop_on_small_thread::<E>).configure(
            |config| {
                config.fuel = false;
                config.interruptible = false;
            },
        ),
        Case::new("traps", "refused_grows_on_small_thread", refused_grows_on_small_thread::<E>)
            .configure(|config| {
                config.fuel = false;
                config.interruptible = false;
            }),
        Case::new("traps", "start_function_trap", start_function_trap::<E>),
    ]
}

/// Instantiates `wat`, calls its export `go` with no arguments, and expects a `code` trap.
fn go_traps<E: Engine>(ctx: &Ctx<'_, E>, wat: &str, code: TrapCode) -> Outcome {
    let mut instance = ctx.instantiate(wat, HostEnv::new())?;
    ensure_trap(instance.call("go", &[]), code)
}

fn unreachable<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    go_traps(ctx, r#"(module (func (export "go") unreachable))"#, TrapCode::Unreachable)
}

fn memory_out_of_bounds<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    go_traps(
        ctx,
        r#"(module (memory 1) (func (export "go") (result i32) i32.const 65534 i32.load))"#,
        TrapCode::MemoryOutOfBounds,
    )
}

fn table_out_of_bounds<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    go_traps(
        ctx,
        r#"(module (table 1 funcref) (func (export "go") i32.const 5 call_indirect))"#,
        TrapCode::TableOutOfBounds,
    )
}

fn indirect_call_to_null<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    go_traps(
        ctx,
        r#"(module (table 2 funcref) (func (export "go") i32.const 1 call_indirect))"#,
        TrapCode::IndirectCallToNull,
    )
}

fn bad_signature<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    go_traps(
        ctx,
        r#"(module
          (type $takes_i32 (func (param i32) (result i32)))
          (func $no_params (result i32) i32.const 1)
          (table funcref (elem $no_params))
          (func (export "go") (result i32) i32.const 9 i32.const 0 call_indirect (type $takes_i32)))"#,
        TrapCode::BadSignature,
    )
}

fn integer_overflow<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    go_traps(
        ctx,
        r#"(module (func (export "go") (result i32) i32.const 0x80000000 i32.const -1 i32.div_s))"#,
        TrapCode::IntegerOverflow,
    )
}

fn integer_division_by_zero<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    go_traps(
        ctx,
        r#"(module (func (export "go") (result i64) i64.const 1 i64.const 0 i64.rem_u))"#,
        TrapCode::IntegerDivisionByZero,
    )
}

fn bad_conversion_to_integer<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    go_traps(
        ctx,
        r#"(module (func (export "go") (result i32) f32.const nan i32.trunc_f32_s))"#,
        TrapCode::BadConversionToInteger,
    )?;
    // Out of range is an overflow, as the specification's tests say; only NaN is "invalid".
    go_traps(
        ctx,
        r#"(module (func (export "go") (result i32) f64.const 1e10 i32.trunc_f64_u))"#,
        TrapCode::IntegerOverflow,
    )
}

fn stack_overflow<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    go_traps(
        ctx,
        r#"(module (func $down (export "go") (param) (result i32) call $down i32.const 1 i32.add))"#,
        TrapCode::StackOverflow,
    )
}

/// `shallow` recurses with the smallest frame; `wide` keeps eight i64 locals live across each
/// call, as real code keeps its variables. Both return their depth.
const RECURSE: &str = r#"(module
  (func $shallow (export "shallow") (param i32) (result i32)
    local.get 0 i32.eqz
    if (result i32) i32.const 0
    else local.get 0 i32.const 1 i32.sub call $shallow i32.const 1 i32.add end)
  (func $wide (export "wide") (param i32) (result i32) (local i64 i64 i64 i64 i64 i64 i64 i64)
    local.get 0 i32.eqz
    if (result i32) i32.const 0
    else
      local.get 0 i64.extend_i32_u local.tee 1 i64.const 3 i64.mul local.tee 2
      i64.const 5 i64.mul local.tee 3 i64.const 7 i64.mul local.tee 4
      i64.const 9 i64.mul local.tee 5 i64.const 11 i64.mul local.tee 6
      i64.const 13 i64.mul local.tee 7 i64.const 15 i64.mul local.set 8
      local.get 0 i32.const 1 i32.sub call $wide
      local.get 1 local.get 2 i64.add local.get 3 i64.add local.get 4 i64.add
      local.get 5 i64.add local.get 6 i64.add local.get 7 i64.add local.get 8 i64.add
      local.get 0 i64.extend_i32_u i64.const 2173624 i64.mul i64.sub
      i32.wrap_i64 i32.add i32.const 1 i32.add
    end))"#;

/// Depths wasmtime's default stack allows (it stops at 32 738 `shallow` and 16 368 `wide`
/// calls): every engine's default configuration must complete them.
fn recursion_within_default_stack<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(RECURSE, HostEnv::new())?;
    for (func, depth) in [("shallow", 32_000), ("wide", 16_000)] {
        ensure_eq(
            ok(instance.call(func, &[Val::I32(depth)]), func)?,
            vec![Val::I32(depth)],
            &format!("{func} recursion to depth {depth}"),
        )?;
    }
    ensure_trap(instance.call("shallow", &[Val::I32(10_000_000)]), TrapCode::StackOverflow)
}

/// A 4 MiB `max_wasm_stack` is eight times the default: recursion four times deeper than the
/// default allows completes, so every engine applies the setting. wasmtime runs guests on the
/// calling thread's stack, so the call gets a thread whose stack holds that much.
fn larger_stack_recurses_deeper<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let module = ctx.compile(RECURSE)?;
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .stack_size(16 << 20)
            .spawn_scoped(scope, || -> Outcome {
                let mut instance =
                    ok(ctx.engine.instantiate(&module, HostEnv::new()), "instantiate")?;
                let depth = 130_000;
                ensure_eq(
                    ok(instance.call("shallow", &[Val::I32(depth)]), "shallow")?,
                    vec![Val::I32(depth)],
                    &format!("recursion to depth {depth}"),
                )?;
                ensure_trap(
                    instance.call("shallow", &[Val::I32(10_000_000)]),
                    TrapCode::StackOverflow,
                )
            })
            .map_err(|e| e.to_string())?;
        worker.join().map_err(|_| "worker panicked".to_string())?
    })
}

const SPIN: &str = r#"(module
  (func (export "spin") (loop br 0))
  (func (export "quick") (result i32) i32.const 42))"#;

fn out_of_fuel<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.limits(Limits::new().fuel(100_000).clone());
    let mut instance = ctx.instantiate(SPIN, env)?;
    ensure_trap(instance.call("spin", &[]), TrapCode::OutOfFuel)
}

fn deadline<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.limits(Limits::new().deadline(Duration::from_millis(50)).clone());
    let mut instance = ctx.instantiate(SPIN, env)?;
    ensure_eq(ok(instance.call("quick", &[]), "quick call")?, vec![Val::I32(42)], "quick call")?;
    ensure_trap(instance.call("spin", &[]), TrapCode::Interrupt)?;
    // The deadline is per call: the next call gets a fresh one.
    ensure_eq(
        ok(instance.call("quick", &[]), "call after deadline")?,
        vec![Val::I32(42)],
        "next call",
    )
}

fn interrupt<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(SPIN, HostEnv::new())?;
    let handle = instance.interrupt_handle();
    let interrupter = {
        let handle = handle.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            handle.interrupt();
        })
    };
    let outcome = ensure_trap(instance.call("spin", &[]), TrapCode::Interrupt);
    interrupter.join().map_err(|_| "interrupting thread panicked".to_string())?;
    outcome?;
    ensure_trap(instance.call("quick", &[]), TrapCode::Interrupt)?;
    handle.clear();
    ensure_eq(
        ok(instance.call("quick", &[]), "call after clear")?,
        vec![Val::I32(42)],
        "after clear",
    )
}

fn null_reference<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    go_traps(
        ctx,
        r#"(module (type $t (func)) (func (export "go") ref.null $t call_ref $t))"#,
        TrapCode::NullReference,
    )
}

fn unaligned_atomic<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    go_traps(
        ctx,
        r#"(module (memory 1 1 shared) (func (export "go") (result i32) i32.const 1 i32.atomic.load))"#,
        TrapCode::UnalignedAtomic,
    )
}

fn uncaught_exception<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    go_traps(ctx, r#"(module (tag $e) (func (export "go") throw $e))"#, TrapCode::UncaughtException)
}

fn instance_usable_after_trap<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module (memory (export "memory") 1)
             (func (export "trap") unreachable)
             (func (export "store") (param i32) i32.const 0 local.get 0 i32.store)
             (func (export "load") (result i32) i32.const 0 i32.load))"#,
        HostEnv::new(),
    )?;
    ok(instance.call("store", &[Val::I32(99)]), "store")?;
    ensure_trap(instance.call("trap", &[]), TrapCode::Unreachable)?;
    ensure_eq(ok(instance.call("load", &[]), "load")?, vec![Val::I32(99)], "memory survives a trap")
}

fn start_function_trap<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let module = ctx.compile(r#"(module (func $s unreachable) (start $s))"#)?;
    ensure_trap(ctx.engine.instantiate(&module, HostEnv::new()), TrapCode::Unreachable)
}

/// A long-running loop must not consume native stack: an interpreter whose dispatch recursed
/// per instruction would abort a thread with a small stack (seen with wasmi's tail-call
/// dispatch when calls are not sliced by fuel).
fn long_loop_on_small_thread<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    count_on_small_thread(
        ctx,
        r#"(module (func (export "count") (param i32) (result i32) (local i32)
             (loop $l local.get 1 i32.const 1 i32.add local.tee 1 local.get 0 i32.lt_u br_if $l)
             local.get 1))"#,
        5_000_000,
    )
}

/// Refused `memory.grow` and `table.grow` in a loop must not consume native stack either.
/// wasmi 2.0.0's tail-call dispatch leaves a call, not a jump, after those two (its authors
/// say only Rust's unstable `become` fixes them): 176 bytes per refused grow, so this loop
/// aborts the thread there. It is why the wasmi backend uses wasmi's portable dispatch.
fn refused_grows_on_small_thread<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    count_on_small_thread(
        ctx,
        r#"(module (memory 1 1) (table 1 1 funcref)
             (func (export "count") (param i32) (result i32) (local i32)
               (loop $l
                 (if (i32.ne (memory.grow (i32.const 1)) (i32.const -1))
                   (then (return (i32.const -1))))
                 (if (i32.ne (table.grow (ref.null func) (i32.const 1)) (i32.const -1))
                   (then (return (i32.const -2))))
                 (local.tee 1 (i32.add (local.get 1) (i32.const 1)))
                 (br_if $l (i32.lt_u (local.get 0))))
               local.get 1))"#,
        20_000,
    )
}

/// Calls `count(n)` of `wat` on a 256 KiB thread and expects `n` back.
fn count_on_small_thread<E: Engine>(ctx: &Ctx<'_, E>, wat: &str, n: i32) -> Outcome {
    let module = ctx.compile(wat)?;
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn_scoped(scope, || -> Outcome {
                let mut instance =
                    ok(ctx.engine.instantiate(&module, HostEnv::new()), "instantiate")?;
                ensure_eq(
                    ok(instance.call("count", &[Val::I32(n)]), "count")?,
                    vec![Val::I32(n)],
                    "count",
                )
            })
            .map_err(|e| e.to_string())?;
        worker.join().map_err(|_| "worker panicked".to_string())?
    })
}
