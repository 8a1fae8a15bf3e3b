//! Relaxed SIMD: instructions whose results the specification lets each engine choose among
//! a few (to match the host CPU), so engines may legitimately disagree on them.

use wasmparser::{Operator, Parser, Payload};

/// The relaxed-SIMD instruction classes `wasm` uses, by their text names, in order of first
/// use. Empty for a module that uses none, or that does not parse.
pub fn relaxed_simd_instructions(wasm: &[u8]) -> Vec<&'static str> {
    let mut found = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(Payload::CodeSectionEntry(body)) = payload else { continue };
        let Ok(mut operators) = body.get_operators_reader() else { continue };
        while let Ok(operator) = operators.read() {
            if let Some(name) = relaxed_name(&operator)
                && !found.contains(&name)
            {
                found.push(name);
            }
        }
    }
    found
}

fn relaxed_name(operator: &Operator<'_>) -> Option<&'static str> {
    Some(match operator {
        Operator::I8x16RelaxedSwizzle => "i8x16.relaxed_swizzle",
        Operator::I32x4RelaxedTruncF32x4S => "i32x4.relaxed_trunc_f32x4_s",
        Operator::I32x4RelaxedTruncF32x4U => "i32x4.relaxed_trunc_f32x4_u",
        Operator::I32x4RelaxedTruncF64x2SZero => "i32x4.relaxed_trunc_f64x2_s_zero",
        Operator::I32x4RelaxedTruncF64x2UZero => "i32x4.relaxed_trunc_f64x2_u_zero",
        Operator::F32x4RelaxedMadd => "f32x4.relaxed_madd",
        Operator::F32x4RelaxedNmadd => "f32x4.relaxed_nmadd",
        Operator::F64x2RelaxedMadd => "f64x2.relaxed_madd",
        Operator::F64x2RelaxedNmadd => "f64x2.relaxed_nmadd",
        Operator::I8x16RelaxedLaneselect => "i8x16.relaxed_laneselect",
        Operator::I16x8RelaxedLaneselect => "i16x8.relaxed_laneselect",
        Operator::I32x4RelaxedLaneselect => "i32x4.relaxed_laneselect",
        Operator::I64x2RelaxedLaneselect => "i64x2.relaxed_laneselect",
        Operator::F32x4RelaxedMin => "f32x4.relaxed_min",
        Operator::F32x4RelaxedMax => "f32x4.relaxed_max",
        Operator::F64x2RelaxedMin => "f64x2.relaxed_min",
        Operator::F64x2RelaxedMax => "f64x2.relaxed_max",
        Operator::I16x8RelaxedQ15mulrS => "i16x8.relaxed_q15mulr_s",
        Operator::I16x8RelaxedDotI8x16I7x16S => "i16x8.relaxed_dot_i8x16_i7x16_s",
        Operator::I32x4RelaxedDotI8x16I7x16AddS => "i32x4.relaxed_dot_i8x16_i7x16_add_s",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_relaxed_instruction_once_in_order() {
        let wasm = wat::parse_str(
            r#"(module (func (param v128 v128) (result v128)
                 (f32x4.relaxed_min
                   (i8x16.relaxed_swizzle (local.get 0) (local.get 1))
                   (i8x16.relaxed_swizzle (local.get 1) (local.get 0)))))"#,
        )
        .expect("valid text");
        assert_eq!(
            relaxed_simd_instructions(&wasm),
            ["i8x16.relaxed_swizzle", "f32x4.relaxed_min"]
        );
        let plain = wat::parse_str("(module (func (result i32) (i32.const 1)))").expect("text");
        assert!(relaxed_simd_instructions(&plain).is_empty());
    }
}
