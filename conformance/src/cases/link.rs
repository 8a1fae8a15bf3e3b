//! Imports the host cannot satisfy are named precisely, the same way on every engine.

use wasmux_core::{
    Engine, Error, ExternType, FuncType, HostEnv, HostFunc, LinkError, LinkProblem, ValType,
};

use crate::case::{Case, Ctx, Outcome, ensure, ensure_eq};

pub(super) fn cases<E: Engine>() -> Vec<Case<E>> {
    vec![
        Case::new("link", "missing_import_is_named", missing_import_is_named::<E>),
        Case::new("link", "mismatched_import_is_named", mismatched_import_is_named::<E>),
        Case::new("link", "imported_memory_is_missing", imported_memory_is_missing::<E>),
    ]
}

fn link_error<E: Engine>(ctx: &Ctx<'_, E>, wat: &str, env: HostEnv) -> Result<LinkError, String> {
    let module = ctx.compile(wat)?;
    match ctx.engine.instantiate(&module, env) {
        Err(Error::Link(error)) => Ok(*error),
        other => Err(format!("expected a link error, got {other:?}")),
    }
}

fn missing_import_is_named<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let error = link_error(
        ctx,
        r#"(module (import "env" "log" (func (param i32 i64))) (func (export "f")))"#,
        HostEnv::new(),
    )?;
    ensure_eq(
        error.clone(),
        LinkError {
            module: "env".into(),
            field: "log".into(),
            expected: ExternType::Func(FuncType::new([ValType::I32, ValType::I64], [])),
            problem: LinkProblem::Missing,
        },
        "link error",
    )?;
    let message = error.to_string();
    ensure(message.contains("env::log") && message.contains("(param i32 i64)"), || {
        format!("message must name the import and its type: {message}")
    })
}

fn mismatched_import_is_named<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let mut env = HostEnv::new();
    env.func(HostFunc::wrap("env", "log", |_caller, _value: i64| Ok(())));
    let error = link_error(ctx, r#"(module (import "env" "log" (func (param i32))))"#, env)?;
    ensure_eq(
        error.problem,
        LinkProblem::Mismatch { found: ExternType::Func(FuncType::new([ValType::I64], [])) },
        "what the host provided",
    )
}

fn imported_memory_is_missing<E: Engine>(ctx: &Ctx<'_, E>) -> Outcome {
    let error = link_error(ctx, r#"(module (import "env" "memory" (memory 1)))"#, HostEnv::new())?;
    ensure_eq(
        (error.module.as_str(), error.field.as_str(), error.problem),
        ("env", "memory", LinkProblem::Missing),
        "imported memory",
    )
}
