//! Import matching: whether what is provided may be given for what a module imports, by the
//! WebAssembly rules, so a link error reads the same on every engine.

use crate::value::{ExternType, FuncType, ValType};

/// Whether `found` may be given for an import declared as `expected`. Functions and globals
/// must have the same type; a memory or table must have the same index or element type and be
/// at least as large as the import's minimum, with a maximum no larger than the import's
/// maximum (and one at all when the import has one). Wasm 3.0 reference types match by
/// hierarchy here; their subtyping is the engine's to check. Where either type is one wasmux
/// does not model ([`ExternType::Other`]: tags), the engine decides when it links.
pub fn import_accepts(expected: &ExternType, found: &ExternType) -> bool {
    match (expected, found) {
        (_, ExternType::Func(found)) => func_import_accepts(expected, found),
        (ExternType::Global(expected), ExternType::Global(found)) => {
            expected.mutable == found.mutable && types_accept(expected.content, found.content)
        }
        (ExternType::Memory(expected), ExternType::Memory(found)) => {
            expected.memory64 == found.memory64
                && expected.shared == found.shared
                && limits_accept((expected.min, expected.max), (found.min, found.max))
        }
        (ExternType::Table(expected), ExternType::Table(found)) => {
            types_accept(expected.element, found.element)
                && limits_accept((expected.min, expected.max), (found.min, found.max))
        }
        (ExternType::Other(_), _) | (_, ExternType::Other(_)) => true,
        _ => false,
    }
}

/// Whether a function of type `found` may be given for an import declared as `expected`: the
/// function case of [`import_accepts`], without wrapping `found` in an [`ExternType`].
pub fn func_import_accepts(expected: &ExternType, found: &FuncType) -> bool {
    match expected {
        ExternType::Func(expected) => {
            let all_accept = |e: &[ValType], f: &[ValType]| {
                e.len() == f.len() && e.iter().zip(f).all(|(e, f)| types_accept(*e, *f))
            };
            all_accept(expected.params(), found.params())
                && all_accept(expected.results(), found.results())
        }
        ExternType::Other(_) => true,
        _ => false,
    }
}

/// Whether a value of type `found` may stand where `expected` is declared: the same type, or,
/// where a Wasm 3.0 reference type is involved, a reference of the same hierarchy. Subtyping
/// and a module's own types are left to the engine, which checks them when it links; a number
/// never stands for a reference.
fn types_accept(expected: ValType, found: ValType) -> bool {
    if matches!(expected, ValType::Ref(_)) || matches!(found, ValType::Ref(_)) {
        expected.hierarchy().is_some() && expected.hierarchy() == found.hierarchy()
    } else {
        expected == found
    }
}

fn limits_accept(expected: (u64, Option<u64>), found: (u64, Option<u64>)) -> bool {
    let max_fits = match (expected.1, found.1) {
        (None, _) => true,
        (Some(expected), Some(found)) => found <= expected,
        (Some(_), None) => false,
    };
    found.0 >= expected.0 && max_fits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{GlobalType, MemoryType, TableType};

    fn memory(min: u64, max: Option<u64>) -> ExternType {
        ExternType::Memory(MemoryType { min, max, memory64: false, shared: false })
    }

    fn table(element: ValType, min: u64, max: Option<u64>) -> ExternType {
        ExternType::Table(TableType { element, min, max })
    }

    #[test]
    fn memories_and_tables_match_by_limits() {
        assert!(import_accepts(&memory(1, None), &memory(2, Some(3))));
        assert!(import_accepts(&memory(1, Some(4)), &memory(1, Some(4))));
        assert!(!import_accepts(&memory(2, None), &memory(1, None)), "smaller");
        assert!(!import_accepts(&memory(1, Some(2)), &memory(1, None)), "unbounded");
        assert!(!import_accepts(&memory(1, Some(2)), &memory(1, Some(3))), "larger maximum");
        let funcs = table(ValType::FuncRef, 10, None);
        assert!(import_accepts(&funcs, &table(ValType::FuncRef, 10, Some(20))));
        assert!(!import_accepts(&funcs, &table(ValType::ExternRef, 10, None)), "element");
    }

    #[test]
    fn globals_match_exactly_and_kinds_never_cross() {
        let global = |content, mutable| ExternType::Global(GlobalType { content, mutable });
        assert!(import_accepts(&global(ValType::I32, false), &global(ValType::I32, false)));
        assert!(!import_accepts(&global(ValType::I32, false), &global(ValType::I32, true)));
        assert!(!import_accepts(&global(ValType::I64, true), &global(ValType::I32, true)));
        assert!(!import_accepts(&memory(0, None), &global(ValType::I32, false)));
    }

    #[test]
    fn typed_references_are_left_to_the_engine_within_a_kind() {
        let i31 = ValType::reference(false, crate::HeapType::I31);
        let global = ExternType::Global(GlobalType { content: i31, mutable: false });
        let any = ValType::reference(true, crate::HeapType::Any);
        assert!(import_accepts(
            &global,
            &ExternType::Global(GlobalType { content: any, mutable: false })
        ));
        assert!(import_accepts(&table(any, 1, None), &table(i31, 1, None)));
        assert!(!import_accepts(&global, &memory(0, None)), "kinds still never cross");
        let i32_global = ExternType::Global(GlobalType { content: ValType::I32, mutable: false });
        assert!(!import_accepts(&global, &i32_global), "a number never stands for a reference");
        let func = |t| ExternType::Func(FuncType::new([t], []));
        assert!(import_accepts(&func(i31), &func(any)));
        assert!(!import_accepts(&func(i31), &func(ValType::ExternRef)), "another hierarchy");
        assert!(!import_accepts(&func(i31), &func(ValType::I32)));
    }
}
