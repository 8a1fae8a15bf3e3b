//! The `spectest` host module that spec tests import: print functions.

use wasmux_core::{FuncType, HostFunc, ValType};

/// The `spectest` print function `name`, if there is one. Printing goes nowhere: spec tests only
/// need the functions to exist with the right signatures.
pub(crate) fn func(name: &str) -> Option<HostFunc> {
    use ValType::{F32, F64, I32, I64};
    let params: &[ValType] = match name {
        "print" => &[],
        "print_i32" => &[I32],
        "print_i64" => &[I64],
        "print_f32" => &[F32],
        "print_f64" => &[F64],
        "print_i32_f32" => &[I32, F32],
        "print_f64_f64" => &[F64, F64],
        _ => return None,
    };
    let ty = FuncType::new(params.iter().copied(), []);
    Some(HostFunc::new("spectest", name, ty, |_caller, _params, _results| Ok(())))
}
