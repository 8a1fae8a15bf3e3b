//! Wasm 3.0 reference values crossing the boundary: GC objects and `i31`s (`anyref`),
//! conversions between the `any` and `extern` hierarchies, exception references, and host
//! functions and items declared with those types.

use wasmux_core::{
    AnyRef, AnyRefKind, Capability, Engine, Error, ExnRef, ExternRef, FuncType, GlobalType,
    HeapType, HostEnv, HostError, Instance, RefType, Val, ValType,
};

use crate::case::{Case, Ctx, Outcome, ensure, ensure_eq, ok};

pub(super) fn cases<E: Engine>() -> Vec<Case<E>> {
    vec![
        Case::new("gc_values", "objects_and_i31_round_trip", objects_and_i31_round_trip::<E>)
            .requires(&[Capability::Gc]),
        Case::new("gc_values", "objects_of_another_store_refused", objects_of_another_store::<E>)
            .requires(&[Capability::Gc]),
        Case::new("gc_values", "hierarchies_convert", hierarchies_convert::<E>)
            .requires(&[Capability::Gc]),
        Case::new("gc_values", "host_functions_take_and_give", host_functions::<E>)
            .requires(&[Capability::Gc]),
        Case::new("gc_values", "exnref_round_trip", exnref_round_trip::<E>)
            .requires(&[Capability::Exceptions]),
        Case::new("gc_values", "host_declared_typed_references", host_declared_types::<E>),
    ]
}

const OBJECTS: &str = r#"(module
  (type $pair (struct (field i32) (field i32)))
  (type $bytes (array (mut i8)))
  (func (export "i31") (param i32) (result (ref i31)) (ref.i31 (local.get 0)))
  (func (export "i31_get") (param i31ref) (result i32) (i31.get_s (local.get 0)))
  (func (export "pair") (param i32 i32) (result (ref $pair))
    (struct.new $pair (local.get 0) (local.get 1)))
  (func (export "sum") (param (ref null $pair)) (result i32)
    (i32.add (struct.get $pair 0 (local.get 0)) (struct.get $pair 1 (local.get 0))))
  (func (export "bytes") (param i32) (result (ref $bytes)) (array.new_default $bytes (local.get 0)))
  (func (export "len") (param arrayref) (result i32) (array.len (local.get 0)))
  (func (export "id") (param anyref) (result anyref) (local.get 0))
  (func (export "same") (param eqref eqref) (result i32) (ref.eq (local.get 0) (local.get 1)))
  (func (export "is_null") (param anyref) (result i32) (ref.is_null (local.get 0))))"#;

fn one(results: Vec<Val>, what: &str) -> Result<Val, String> {
    match <[Val; 1]>::try_from(results) {
        Ok([value]) => Ok(value),
        Err(results) => Err(format!("{what}: expected one result, got {results:?}")),
    }
}

fn any_ref(value: Val, kind: AnyRefKind, what: &str) -> Result<AnyRef, String> {
    match value {
        Val::AnyRef(Some(r)) if r.kind() == kind => Ok(r),
        other => Err(format!("{what}: expected a non-null {kind:?} anyref, got {other:?}")),
    }
}

fn objects_and_i31_round_trip<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(OBJECTS, HostEnv::new())?;
    let pair_result = instance.exports().iter().find(|e| e.name == "pair").map(|e| e.ty.clone());
    let concrete_struct = ValType::Ref(RefType { nullable: false, heap: HeapType::ConcreteStruct });
    ensure_eq(
        pair_result,
        Some(wasmux_core::ExternType::Func(FuncType::new(
            [ValType::I32, ValType::I32],
            [concrete_struct],
        ))),
        "type of a function returning a struct",
    )?;

    let i31 = one(ok(instance.call("i31", &[Val::I32(i32::MAX)]), "i31")?, "i31")?;
    ensure_eq(any_ref(i31, AnyRefKind::I31, "i31")?.as_i31(), Some(-1), "31 bits, sign-extended")?;
    let host_i31 = Val::AnyRef(Some(AnyRef::i31(-5)));
    ensure_eq(ok(instance.call("i31_get", &[host_i31]), "i31_get")?, vec![Val::I32(-5)], "i31")?;

    let pair = one(ok(instance.call("pair", &[Val::I32(3), Val::I32(4)]), "pair")?, "pair")?;
    let pair = any_ref(pair, AnyRefKind::Struct, "pair")?;
    let sum = instance.call("sum", &[Val::AnyRef(Some(pair.clone()))]);
    ensure_eq(ok(sum, "sum")?, vec![Val::I32(7)], "a struct passed back")?;
    let wrong = instance.call("sum", &[Val::AnyRef(Some(AnyRef::i31(1)))]);
    ensure(wrong.is_err(), || format!("an i31 was accepted as a struct: {wrong:?}"))?;

    let bytes = one(ok(instance.call("bytes", &[Val::I32(5)]), "bytes")?, "bytes")?;
    let bytes = any_ref(bytes, AnyRefKind::Array, "bytes")?;
    let len = instance.call("len", &[Val::AnyRef(Some(bytes))]);
    ensure_eq(ok(len, "len")?, vec![Val::I32(5)], "an array passed back")?;

    // The object keeps its identity through the host and back.
    let back = one(ok(instance.call("id", &[Val::AnyRef(Some(pair.clone()))]), "id")?, "id")?;
    let same = instance.call("same", &[Val::AnyRef(Some(pair.clone())), back]);
    ensure_eq(ok(same, "same")?, vec![Val::I32(1)], "ref.eq of the object and its round trip")?;
    let other = one(ok(instance.call("pair", &[Val::I32(3), Val::I32(4)]), "pair")?, "pair")?;
    let same = instance.call("same", &[Val::AnyRef(Some(pair)), other]);
    ensure_eq(ok(same, "same")?, vec![Val::I32(0)], "ref.eq of two equal structs")?;

    ensure_eq(
        ok(instance.call("id", &[Val::AnyRef(None)]), "id")?,
        vec![Val::AnyRef(None)],
        "null",
    )?;
    ensure_eq(
        ok(instance.call("is_null", &[Val::AnyRef(None)]), "is_null")?,
        vec![Val::I32(1)],
        "a null anyref reaches the guest as null",
    )
}

fn objects_of_another_store<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut first = ctx.instantiate(OBJECTS, HostEnv::new())?;
    let mut second = ctx.instantiate(OBJECTS, HostEnv::new())?;
    let pair = one(ok(first.call("pair", &[Val::I32(1), Val::I32(2)]), "pair")?, "pair")?;
    let refused = second.call("sum", std::slice::from_ref(&pair));
    ensure(matches!(refused, Err(Error::InvalidArgument(_))), || {
        format!("a struct of another store was not refused: {refused:?}")
    })?;
    // An i31 is a value, not an object: any store takes it.
    let i31 = one(ok(first.call("i31", &[Val::I32(6)]), "i31")?, "i31")?;
    ensure_eq(ok(second.call("i31_get", &[i31]), "i31_get")?, vec![Val::I32(6)], "i31")?;
    ensure_eq(ok(first.call("sum", &[pair]), "sum")?, vec![Val::I32(3)], "its own store")
}

fn hierarchies_convert<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut instance = ctx.instantiate(
        r#"(module
          (func (export "internalize") (param externref) (result anyref)
            (any.convert_extern (local.get 0)))
          (func (export "externalize") (param anyref) (result externref)
            (extern.convert_any (local.get 0)))
          (func (export "i31_as_extern") (param i32) (result externref)
            (extern.convert_any (ref.i31 (local.get 0)))))"#,
        HostEnv::new(),
    )?;
    let host = ExternRef::new(String::from("host object"));
    let inside = one(
        ok(instance.call("internalize", &[Val::ExternRef(Some(host.clone()))]), "internalize")?,
        "internalize",
    )?;
    let inside = any_ref(inside, AnyRefKind::Host, "internalized host value")?;
    ensure_eq(inside.as_extern(), Some(&host), "the host value inside anyref")?;
    let outside = instance.call("externalize", &[Val::AnyRef(Some(inside))]);
    ensure_eq(
        ok(outside, "externalize")?,
        vec![Val::ExternRef(Some(host))],
        "the same host value",
    )?;

    let made = one(ok(instance.call("i31_as_extern", &[Val::I32(9)]), "i31_as_extern")?, "made")?;
    let Val::ExternRef(Some(made)) = made else {
        return Err(format!("expected an externref, got {made:?}"));
    };
    ensure_eq(made.as_any(), Some(&AnyRef::i31(9)), "an i31 the guest externalized")?;
    let inside = instance.call("internalize", &[Val::ExternRef(Some(made))]);
    ensure_eq(ok(inside, "internalize")?, vec![Val::AnyRef(Some(AnyRef::i31(9)))], "back inside")?;
    let outside = one(
        ok(instance.call("externalize", &[Val::AnyRef(Some(AnyRef::i31(2)))]), "externalize")?,
        "externalize",
    )?;
    ensure_eq(
        outside,
        Val::ExternRef(Some(ExternRef::from_any(AnyRef::i31(2)))),
        "an i31 the host made, externalized",
    )
}

fn host_functions<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let anyref = ValType::reference(true, HeapType::Any);
    let mut env = HostEnv::new();
    env.func_new("host", "kind", FuncType::new([anyref], [ValType::I32]), |_, params, results| {
        results[0] = Val::I32(match &params[0] {
            Val::AnyRef(None) => 0,
            Val::AnyRef(Some(r)) => match r.kind() {
                AnyRefKind::I31 => 1,
                AnyRefKind::Struct => 2,
                AnyRefKind::Array => 3,
                _ => 4,
            },
            _ => return Err(HostError::trap("anyref expected")),
        });
        Ok(())
    });
    env.func_new("host", "give", FuncType::new([], [anyref]), |_, _, results| {
        results[0] = Val::AnyRef(Some(AnyRef::i31(42)));
        Ok(())
    });
    let mut instance = ctx.instantiate(
        r#"(module
          (type $s (struct))
          (type $a (array i8))
          (import "host" "kind" (func $kind (param anyref) (result i32)))
          (import "host" "give" (func $give (result anyref)))
          (func (export "kinds") (result i32 i32 i32 i32)
            (call $kind (ref.null any))
            (call $kind (ref.i31 (i32.const 1)))
            (call $kind (struct.new $s))
            (call $kind (array.new_fixed $a 2 (i32.const 0) (i32.const 0))))
          (func (export "given") (result i32) (i31.get_s (ref.cast i31ref (call $give)))))"#,
        env,
    )?;
    ensure_eq(
        ok(instance.call("kinds", &[]), "kinds")?,
        vec![Val::I32(0), Val::I32(1), Val::I32(2), Val::I32(3)],
        "what the host function saw",
    )?;
    ensure_eq(ok(instance.call("given", &[]), "given")?, vec![Val::I32(42)], "an i31 from the host")
}

fn exnref_round_trip<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    const EXCEPTIONS: &str = r#"(module
      (tag $e (param i32))
      (func (export "catch") (result exnref)
        (local $x exnref)
        (block $h (result i32 exnref)
          (try_table (catch_ref $e $h) (throw $e (i32.const 3)))
          (unreachable))
        (local.set $x) (drop) (local.get $x))
      (func (export "is_null") (param exnref) (result i32) (ref.is_null (local.get 0)))
      (func (export "payload") (param exnref) (result i32)
        (block $h (result i32)
          (try_table (catch $e $h) (throw_ref (local.get 0)))
          (unreachable))))"#;
    let mut instance = ctx.instantiate(EXCEPTIONS, HostEnv::new())?;
    let caught = one(ok(instance.call("catch", &[]), "catch")?, "catch")?;
    let exn: ExnRef = match caught {
        Val::ExnRef(Some(exn)) => exn,
        other => return Err(format!("expected a non-null exnref, got {other:?}")),
    };
    let payload = instance.call("payload", &[Val::ExnRef(Some(exn.clone()))]);
    ensure_eq(ok(payload, "payload")?, vec![Val::I32(3)], "the exception rethrown")?;
    ensure_eq(
        ok(instance.call("is_null", &[Val::ExnRef(None)]), "is_null")?,
        vec![Val::I32(1)],
        "a null exnref",
    )?;
    let mut other = ctx.instantiate(EXCEPTIONS, HostEnv::new())?;
    let refused = other.call("payload", &[Val::ExnRef(Some(exn))]);
    ensure(matches!(refused, Err(Error::InvalidArgument(_))), || {
        format!("an exnref of another store was not refused: {refused:?}")
    })
}

/// A host function and a global declared with Wasm 3.0 reference types: an engine with GC
/// takes them (and refuses a function whose parameter is narrower than the import's); one
/// without refuses them as unsupported.
fn host_declared_types<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let has_gc = ctx.engine.info().capabilities.has(Capability::Gc);
    let non_null_extern = ValType::reference(false, HeapType::Extern);
    let import = r#"(module
      (import "host" "take" (func $take (param externref) (result i32)))
      (func (export "run") (param externref) (result i32) (call $take (local.get 0))))"#;
    let mut env = HostEnv::new();
    env.func_new("host", "take", FuncType::new([non_null_extern], [ValType::I32]), |_, p, r| {
        r[0] = Val::I32(i32::from(matches!(p[0], Val::ExternRef(Some(_)))));
        Ok(())
    });
    let module = ctx.compile(import)?;
    let narrower = ctx.engine.instantiate(&module, env);
    ensure(
        match &narrower {
            Err(Error::Unsupported { .. }) => !has_gc,
            Err(Error::Link(_) | Error::Instantiate { .. }) => has_gc,
            _ => false,
        },
        || {
            format!(
                "a host function taking (ref extern), linked to an import passing externref, \
                 must be {}: {:?}",
                if has_gc { "a link error" } else { "unsupported" },
                narrower.as_ref().err()
            )
        },
    )?;

    let mut store = ok(ctx.engine.store(HostEnv::new()), "store")?;
    let anyref = ValType::reference(true, HeapType::Any);
    let global = store.new_global(
        &GlobalType { content: anyref, mutable: true },
        Val::AnyRef(Some(AnyRef::i31(4))),
    );
    if !has_gc {
        return ensure(matches!(global, Err(Error::Unsupported { .. })), || {
            format!("an anyref global was not refused as unsupported: {global:?}")
        });
    }
    let global = ok(global, "anyref global")?;
    ensure_eq(
        ok(store.global_get(global), "global_get")?,
        Val::AnyRef(Some(AnyRef::i31(4))),
        "an i31 kept in a host-made global",
    )?;
    ok(store.global_set(global, Val::AnyRef(None)), "global_set")?;
    ensure_eq(ok(store.global_get(global), "global_get")?, Val::AnyRef(None), "set to null")
}
