//! Every value type through calls into the guest.

use wasmux_core::{
    Capability, Engine, Error, ExternRef, HostEnv, Instance, TrapCode, TypedFunc, Val,
};

use crate::case::{Case, Ctx, Outcome, ensure, ensure_eq, ok};

pub(super) fn cases<E: Engine>() -> Vec<Case<E>> {
    vec![
        Case::new("values", "numbers_round_trip", numbers_round_trip::<E>),
        Case::new("values", "float_bits_preserved", float_bits_preserved::<E>),
        Case::new("values", "arithmetic", arithmetic::<E>),
        Case::new("values", "v128_round_trip", v128_round_trip::<E>).requires(&[Capability::Simd]),
        Case::new("values", "multi_value", multi_value::<E>).requires(&[Capability::MultiValue]),
        Case::new("values", "funcref_round_trip", funcref_round_trip::<E>)
            .requires(&[Capability::ReferenceTypes]),
        Case::new("values", "externref_round_trip", externref_round_trip::<E>)
            .requires(&[Capability::ReferenceTypes]),
        Case::new("values", "typed_call", typed_call::<E>),
        Case::new("values", "typed_every_number_type", typed_every_number_type::<E>)
            .requires(&[Capability::MultiValue]),
        Case::new("values", "typed_v128", typed_v128::<E>).requires(&[Capability::Simd]),
        Case::new("values", "typed_widest_signature", typed_widest_signature::<E>)
            .requires(&[Capability::MultiValue]),
        Case::new("values", "typed_handles_of_one_func", typed_handles_of_one_func::<E>),
        Case::new("values", "typed_call_traps", typed_call_traps::<E>),
        Case::new(
            "values",
            "func_of_another_instance_refused",
            func_of_another_instance_refused::<E>,
        ),
    ]
}

const IDENTITIES: &str = r#"(module
  (func (export "i32") (param i32) (result i32) local.get 0)
  (func (export "i64") (param i64) (result i64) local.get 0)
  (func (export "f32") (param f32) (result f32) local.get 0)
  (func (export "f64") (param f64) (result f64) local.get 0))"#;

fn round_trip<I: Instance>(instance: &mut I, export: &str, value: Val) -> Outcome {
    let results = ok(instance.call(export, std::slice::from_ref(&value)), export)?;
    ensure_eq(results, vec![value], export)
}

fn numbers_round_trip<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(IDENTITIES, HostEnv::new())?;
    for v in [0, 1, -1, i32::MIN, i32::MAX] {
        round_trip(&mut instance, "i32", Val::I32(v))?;
    }
    for v in [0, -1, i64::MIN, i64::MAX] {
        round_trip(&mut instance, "i64", Val::I64(v))?;
    }
    for v in [0.0f32, -0.0, 1.5, f32::INFINITY, f32::NEG_INFINITY, f32::MIN_POSITIVE] {
        round_trip(&mut instance, "f32", Val::from(v))?;
    }
    for v in [0.0f64, -0.0, -2.25, f64::INFINITY, f64::MAX] {
        round_trip(&mut instance, "f64", Val::from(v))?;
    }
    Ok(())
}

fn float_bits_preserved<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(IDENTITIES, HostEnv::new())?;
    // Quiet NaNs with payloads and both signs pass through `local.get` unchanged.
    for bits in [0x7fc0_0000u32, 0xffc0_0001, 0x7fc1_2345] {
        round_trip(&mut instance, "f32", Val::F32(bits))?;
    }
    for bits in [0x7ff8_0000_0000_0000u64, 0xfff8_0000_0000_0001] {
        round_trip(&mut instance, "f64", Val::F64(bits))?;
    }
    Ok(())
}

fn arithmetic<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module
          (func $fib (export "fib") (param i32) (result i32)
            local.get 0 i32.const 2 i32.lt_u
            if (result i32) local.get 0
            else local.get 0 i32.const 1 i32.sub call $fib
                 local.get 0 i32.const 2 i32.sub call $fib i32.add end)
          (func (export "mix") (param i32 i64 f32 f64) (result f64)
            local.get 0 f64.convert_i32_s local.get 1 f64.convert_i64_s f64.add
            local.get 2 f64.promote_f32 f64.add local.get 3 f64.mul))"#,
        HostEnv::new(),
    )?;
    ensure_eq(ok(instance.call("fib", &[Val::I32(20)]), "fib")?, vec![Val::I32(6765)], "fib(20)")?;
    let mixed = ok(
        instance.call("mix", &[Val::I32(-3), Val::I64(10), Val::from(0.5f32), Val::from(2.0f64)]),
        "mix",
    )?;
    ensure_eq(mixed, vec![Val::from(15.0f64)], "(-3 + 10 + 0.5) * 2")
}

fn v128_round_trip<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module
          (func (export "id") (param v128) (result v128) local.get 0)
          (func (export "add") (param v128 v128) (result v128) local.get 0 local.get 1 i32x4.add))"#,
        HostEnv::new(),
    )?;
    let value = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128;
    round_trip(&mut instance, "id", Val::V128(value))?;
    let lanes = |a: u32, b: u32, c: u32, d: u32| {
        u128::from(a) | u128::from(b) << 32 | u128::from(c) << 64 | u128::from(d) << 96
    };
    let sum = ok(
        instance
            .call("add", &[Val::V128(lanes(1, 2, 3, u32::MAX)), Val::V128(lanes(10, 20, 30, 1))]),
        "i32x4.add",
    )?;
    ensure_eq(sum, vec![Val::V128(lanes(11, 22, 33, 0))], "lane-wise sum with wrap-around")
}

fn multi_value<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module (func (export "swap") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
             local.get 3 local.get 2 local.get 1 local.get 0))"#,
        HostEnv::new(),
    )?;
    let results = ok(
        instance.call("swap", &[Val::I32(1), Val::I64(2), Val::from(3.0f32), Val::from(4.0f64)]),
        "swap",
    )?;
    ensure_eq(
        results,
        vec![Val::from(4.0f64), Val::from(3.0f32), Val::I64(2), Val::I32(1)],
        "four results in reverse order",
    )
}

fn funcref_round_trip<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module
          (type $t (func (result i32)))
          (table 1 funcref)
          (func $seven (type $t) i32.const 7)
          (elem declare func $seven)
          (func (export "get") (result funcref) ref.func $seven)
          (func (export "null") (result funcref) ref.null func)
          (func (export "is_null") (param funcref) (result i32) local.get 0 ref.is_null)
          (func (export "call") (param funcref) (result i32)
            i32.const 0 local.get 0 table.set 0
            i32.const 0 call_indirect (type $t)))"#,
        HostEnv::new(),
    )?;
    let func = ok(instance.call("get", &[]), "get")?;
    ensure(matches!(func.as_slice(), [Val::FuncRef(Some(_))]), || {
        format!("expected a funcref, got {func:?}")
    })?;
    ensure_eq(
        ok(instance.call("call", &func), "call")?,
        vec![Val::I32(7)],
        "calling the returned funcref",
    )?;
    ensure_eq(ok(instance.call("null", &[]), "null")?, vec![Val::FuncRef(None)], "ref.null func")?;
    ensure_eq(
        ok(instance.call("is_null", &[Val::FuncRef(None)]), "is_null")?,
        vec![Val::I32(1)],
        "a null funcref from the host is null in the guest",
    )
}

fn externref_round_trip<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module
          (func (export "id") (param externref) (result externref) local.get 0)
          (func (export "is_null") (param externref) (result i32) local.get 0 ref.is_null))"#,
        HostEnv::new(),
    )?;
    let host_value = ExternRef::new(String::from("host object"));
    let back = ok(instance.call("id", &[Val::ExternRef(Some(host_value.clone()))]), "id")?;
    match back.as_slice() {
        [Val::ExternRef(Some(r))] if *r == host_value => {}
        other => return Err(format!("expected the same externref back, got {other:?}")),
    }
    ensure_eq(
        back[0].clone(),
        Val::ExternRef(Some(host_value.clone())),
        "identity of the host object",
    )?;
    ensure_eq(
        ok(instance.call("is_null", &[Val::ExternRef(None)]), "is_null")?,
        vec![Val::I32(1)],
        "null externref",
    )?;
    ensure_eq(
        ok(instance.call("is_null", &[Val::ExternRef(Some(host_value))]), "is_null")?,
        vec![Val::I32(0)],
        "non-null externref",
    )
}

fn typed_call<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module (func (export "add") (param i32 i64) (result i64)
             local.get 0 i64.extend_i32_s local.get 1 i64.add))"#,
        HostEnv::new(),
    )?;
    let add = ok(instance.typed::<(i32, i64), i64>("add"), "typed add")?;
    for (a, b) in [(1, 2), (-5, 5), (i32::MAX, i64::from(i32::MAX))] {
        ensure_eq(ok(add.call(&mut instance, (a, b)), "typed call")?, i64::from(a) + b, "sum")?;
    }
    ensure(instance.typed::<i32, i32>("add").is_err(), || {
        "a typed handle of the wrong signature was accepted".into()
    })
}

/// Typed calls pass values as raw bits on some engines: every number type, its extremes and
/// NaN payloads come back unchanged, in and out of order.
fn typed_every_number_type<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        &IDENTITIES.replace(
            "local.get 0))",
            r#"local.get 0)
          (func (export "swap") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
            local.get 3 local.get 2 local.get 1 local.get 0)
          (func (export "nothing")))"#,
        ),
        HostEnv::new(),
    )?;
    let i32_id = ok(instance.typed::<i32, i32>("i32"), "typed i32")?;
    for v in [0, 1, -1, i32::MIN, i32::MAX] {
        ensure_eq(ok(i32_id.call(&mut instance, v), "i32")?, v, "i32 identity")?;
    }
    let i64_id = ok(instance.typed::<i64, i64>("i64"), "typed i64")?;
    for v in [0, -1, i64::MIN, i64::MAX, 1 << 40] {
        ensure_eq(ok(i64_id.call(&mut instance, v), "i64")?, v, "i64 identity")?;
    }
    let u32_id = ok(instance.typed::<u32, u32>("i32"), "typed i32 as u32")?;
    for v in [0, 1, u32::MAX, 1 << 31] {
        ensure_eq(ok(u32_id.call(&mut instance, v), "u32")?, v, "u32 identity")?;
    }
    let u64_id = ok(instance.typed::<u64, u64>("i64"), "typed i64 as u64")?;
    for v in [0, u64::MAX, 1 << 63, 1 << 40] {
        ensure_eq(ok(u64_id.call(&mut instance, v), "u64")?, v, "u64 identity")?;
    }
    let f32_id = ok(instance.typed::<f32, f32>("f32"), "typed f32")?;
    for bits in [0, 0x8000_0000, 0x3fc0_0000, 0x7f80_0000, 0x7fc0_0001, 0xffc1_2345] {
        let got = ok(f32_id.call(&mut instance, f32::from_bits(bits)), "f32")?;
        ensure_eq(got.to_bits(), bits, "f32 bits")?;
    }
    let f64_id = ok(instance.typed::<f64, f64>("f64"), "typed f64")?;
    for bits in [0, 1 << 63, 0x7ff0_0000_0000_0000, 0xfff8_0000_0000_0001] {
        let got = ok(f64_id.call(&mut instance, f64::from_bits(bits)), "f64")?;
        ensure_eq(got.to_bits(), bits, "f64 bits")?;
    }
    let swap = ok(instance.typed::<(i32, i64, f32, f64), (f64, f32, i64, i32)>("swap"), "swap")?;
    let (d, c, b, a) = ok(swap.call(&mut instance, (-7, i64::MIN, 1.5, -0.0)), "swap")?;
    ensure_eq(
        (a, b, c.to_bits(), d.to_bits()),
        (-7, i64::MIN, 1.5f32.to_bits(), (-0.0f64).to_bits()),
        "swapped",
    )?;
    let nothing = ok(instance.typed::<(), ()>("nothing"), "typed nothing")?;
    ok(nothing.call(&mut instance, ()), "nothing")
}

fn typed_v128<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module (func (export "not") (param v128) (result v128) local.get 0 v128.not))"#,
        HostEnv::new(),
    )?;
    let not = ok(instance.typed::<u128, u128>("not"), "typed not")?;
    for v in [0, u128::MAX, 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210] {
        ensure_eq(ok(not.call(&mut instance, v), "not")?, !v, "v128.not")?;
    }
    Ok(())
}

/// Eight values each way, the most a `WasmTuple` holds, reversed by the guest.
fn typed_widest_signature<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module (func (export "reverse")
             (param i32 i64 f32 f64 i32 i64 f32 f64) (result f64 f32 i64 i32 f64 f32 i64 i32)
             local.get 7 local.get 6 local.get 5 local.get 4
             local.get 3 local.get 2 local.get 1 local.get 0))"#,
        HostEnv::new(),
    )?;
    type Params = (i32, i64, f32, f64, i32, i64, f32, f64);
    type Results = (f64, f32, i64, i32, f64, f32, i64, i32);
    let reverse = ok(instance.typed::<Params, Results>("reverse"), "typed reverse")?;
    let (h, g, f, e, d, c, b, a) = ok(
        reverse.call(&mut instance, (1, -2, 3.5, -4.25, i32::MIN, i64::MAX, f32::MAX, f64::MIN)),
        "reverse",
    )?;
    ensure_eq(
        (a, b, c.to_bits(), d.to_bits(), e, f, g.to_bits(), h.to_bits()),
        (
            1,
            -2,
            3.5f32.to_bits(),
            (-4.25f64).to_bits(),
            i32::MIN,
            i64::MAX,
            f32::MAX.to_bits(),
            f64::MIN.to_bits(),
        ),
        "reversed",
    )
}

/// One function handle behind two typed handles whose Rust signatures differ but mean the
/// same WebAssembly type (`i32` and `(i32,)`), called in turns: engines may keep a native
/// handle per typed handle, and must not mix them up.
fn typed_handles_of_one_func<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(IDENTITIES, HostEnv::new())?;
    let func = ok(instance.get_func("i32"), "get_func")?;
    let bare = ok(TypedFunc::<_, i32, i32>::new("i32", func.clone(), &instance), "bare")?;
    let tuple = ok(TypedFunc::<_, (i32,), (i32,)>::new("i32", func, &instance), "tuple")?;
    for v in [3, -9, i32::MAX] {
        ensure_eq(ok(bare.call(&mut instance, v), "bare call")?, v, "bare identity")?;
        ensure_eq(ok(tuple.call(&mut instance, (v,)), "tuple call")?, (v,), "tuple identity")?;
        ensure_eq(ok(bare.clone().call(&mut instance, v), "clone call")?, v, "clone identity")?;
    }
    Ok(())
}

/// A trap in a typed call is the same error as in an untyped one, and the instance goes on.
fn typed_call_traps<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module
             (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
             (func (export "boom") unreachable))"#,
        HostEnv::new(),
    )?;
    let div = ok(instance.typed::<(i32, i32), i32>("div"), "typed div")?;
    let boom = ok(instance.typed::<(), ()>("boom"), "typed boom")?;
    for (outcome, code) in [
        (div.call(&mut instance, (1, 0)).map(|_| ()), TrapCode::IntegerDivisionByZero),
        (div.call(&mut instance, (i32::MIN, -1)).map(|_| ()), TrapCode::IntegerOverflow),
        (boom.call(&mut instance, ()), TrapCode::Unreachable),
    ] {
        ensure(matches!(&outcome, Err(Error::Trap(trap)) if trap.code == code), || {
            format!("expected a {code:?} trap, got {outcome:?}")
        })?;
    }
    ensure_eq(ok(div.call(&mut instance, (7, 2)), "div after traps")?, 3, "quotient")
}

/// A function handle used on another instance of the same module is refused, typed or not,
/// and the instance stays usable.
fn func_of_another_instance_refused<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut first = ctx.instantiate(IDENTITIES, HostEnv::new())?;
    let mut second = ctx.instantiate(IDENTITIES, HostEnv::new())?;
    let typed = ok(first.typed::<i32, i32>("i32"), "typed i32")?;
    ensure(matches!(typed.call(&mut second, 1), Err(Error::InvalidArgument(_))), || {
        "a typed function of another instance was not refused".into()
    })?;
    let untyped = ok(first.get_func("i32"), "get_func")?;
    let mut results = [Val::I32(0)];
    let refused = second.call_func(&untyped, &[Val::I32(1)], &mut results);
    ensure(matches!(refused, Err(Error::InvalidArgument(_))), || {
        format!("a function of another instance was not refused: {refused:?}")
    })?;
    ensure_eq(ok(typed.call(&mut first, 5), "own instance")?, 5, "first still works")?;
    ensure_eq(
        ok(second.call("i32", &[Val::I32(6)]), "second")?,
        vec![Val::I32(6)],
        "second still works",
    )
}
