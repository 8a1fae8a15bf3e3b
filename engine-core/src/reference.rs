//! The reference types of typed function references, garbage collection and exception
//! handling (Wasm 3.0), and the values of the `any` and `exn` hierarchies.
//!
//! `funcref` and `externref`, the two reference types of Wasm 2.0, stay
//! [`ValType::FuncRef`](crate::ValType::FuncRef) and [`ValType::ExternRef`](crate::ValType::ExternRef);
//! every other reference type is a [`RefType`] in [`ValType::Ref`](crate::ValType::Ref).

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::value::{ExternRef, ValType};

/// Refuses a host-declared type that uses a Wasm 3.0 reference type, on an engine that has
/// none (typed function references, GC, exception references). For backends.
pub fn refuse_typed_refs<'a>(
    engine: &'static str,
    types: impl IntoIterator<Item = &'a ValType>,
) -> Result<()> {
    match types.into_iter().find(|t| matches!(t, ValType::Ref(_))) {
        Some(ty) => Err(Error::unsupported(
            engine,
            format!("the reference type {ty} (typed function references, GC and exceptions)"),
        )),
        None => Ok(()),
    }
}

/// What a reference may point to.
///
/// A module's own types (`(ref $t)`) are described by their kind only: which function,
/// struct or array type a reference names is the engine's to check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum HeapType {
    /// Any function.
    Func,
    /// A function of one of the module's function types.
    ConcreteFunc,
    /// No function: only null.
    NoFunc,
    /// Any host value.
    Extern,
    /// No host value: only null.
    NoExtern,
    /// Any internal value: GC objects, `i31`s, and host values converted with `any.convert_extern`.
    Any,
    /// A value that can be compared with `ref.eq`.
    Eq,
    /// An unboxed 31-bit integer.
    I31,
    /// Any struct.
    Struct,
    /// A struct of one of the module's struct types.
    ConcreteStruct,
    /// Any array.
    Array,
    /// An array of one of the module's array types.
    ConcreteArray,
    /// No internal value: only null.
    None,
    /// Any exception.
    Exn,
    /// No exception: only null.
    NoExn,
}

impl HeapType {
    /// The top of this type's hierarchy: `func`, `extern`, `any` or `exn`. A value of any type
    /// of one hierarchy is the same kind of [`Val`](crate::Val).
    pub fn top(self) -> HeapType {
        match self {
            HeapType::Func | HeapType::ConcreteFunc | HeapType::NoFunc => HeapType::Func,
            HeapType::Extern | HeapType::NoExtern => HeapType::Extern,
            HeapType::Exn | HeapType::NoExn => HeapType::Exn,
            HeapType::Any
            | HeapType::Eq
            | HeapType::I31
            | HeapType::Struct
            | HeapType::ConcreteStruct
            | HeapType::Array
            | HeapType::ConcreteArray
            | HeapType::None => HeapType::Any,
        }
    }

    /// Whether it is the bottom of its hierarchy, whose only value is null.
    pub fn is_bottom(self) -> bool {
        matches!(self, HeapType::NoFunc | HeapType::NoExtern | HeapType::None | HeapType::NoExn)
    }

    fn text(self) -> &'static str {
        match self {
            HeapType::Func => "func",
            HeapType::ConcreteFunc => "$func-type",
            HeapType::NoFunc => "nofunc",
            HeapType::Extern => "extern",
            HeapType::NoExtern => "noextern",
            HeapType::Any => "any",
            HeapType::Eq => "eq",
            HeapType::I31 => "i31",
            HeapType::Struct => "struct",
            HeapType::ConcreteStruct => "$struct-type",
            HeapType::Array => "array",
            HeapType::ConcreteArray => "$array-type",
            HeapType::None => "none",
            HeapType::Exn => "exn",
            HeapType::NoExn => "noexn",
        }
    }
}

impl fmt::Display for HeapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// A reference type other than `funcref` and `externref`: `(ref null? HEAP)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RefType {
    /// Whether null is a value of the type.
    pub nullable: bool,
    /// What a non-null reference points to.
    pub heap: HeapType,
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let null = if self.nullable { "null " } else { "" };
        write!(f, "(ref {null}{})", self.heap)
    }
}

/// What an [`AnyRef`] points to, as far as the host can tell without the module's types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AnyRefKind {
    /// An unboxed 31-bit integer.
    I31,
    /// A struct.
    Struct,
    /// An array.
    Array,
    /// A host value converted into the `any` hierarchy (`any.convert_extern`).
    Host,
}

/// A non-null reference of the `any` hierarchy: a GC object, an `i31`, or a host value
/// converted with `any.convert_extern`.
///
/// An `i31` is a plain value and works on every engine with GC. A host value converted here is
/// an [`ExternRef`] seen from inside the `any` hierarchy: [`AnyRef::from_extern`] and
/// [`ExternRef::from_any`] undo each other, as `any.convert_extern` and `extern.convert_any`
/// do. A struct or array belongs to the store that made it; any other store refuses it with
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument).
#[derive(Clone)]
pub struct AnyRef(AnyRepr);

#[derive(Clone)]
enum AnyRepr {
    /// The low 31 bits, sign-extended.
    I31(i32),
    Host(ExternRef),
    Object {
        handle: Arc<dyn Any + Send + Sync>,
        kind: AnyRefKind,
    },
}

impl AnyRef {
    /// The `i31` holding the low 31 bits of `value` (`ref.i31`).
    pub fn i31(value: i32) -> AnyRef {
        AnyRef(AnyRepr::I31((value << 1) >> 1))
    }

    /// A host value seen from the `any` hierarchy, as `any.convert_extern` makes it.
    pub fn from_extern(host: ExternRef) -> AnyRef {
        match host.as_any() {
            Some(inner) => inner.clone(),
            None => AnyRef(AnyRepr::Host(host)),
        }
    }

    /// Wraps an engine's handle to a GC object of kind `kind`. For backends.
    #[doc(hidden)]
    pub fn from_engine<T: Any + Send + Sync>(handle: T, kind: AnyRefKind) -> AnyRef {
        AnyRef(AnyRepr::Object { handle: Arc::new(handle), kind })
    }

    /// What it points to.
    pub fn kind(&self) -> AnyRefKind {
        match &self.0 {
            AnyRepr::I31(_) => AnyRefKind::I31,
            AnyRepr::Host(_) => AnyRefKind::Host,
            AnyRepr::Object { kind, .. } => *kind,
        }
    }

    /// Its value, sign-extended (`i31.get_s`), if it is an `i31`.
    pub fn as_i31(&self) -> Option<i32> {
        if let AnyRepr::I31(v) = self.0 { Some(v) } else { None }
    }

    /// The host value, if it is one converted with `any.convert_extern`.
    pub fn as_extern(&self) -> Option<&ExternRef> {
        if let AnyRepr::Host(host) = &self.0 { Some(host) } else { None }
    }

    /// The engine's handle, if it is a GC object whose handle has type `T`. For backends.
    #[doc(hidden)]
    pub fn engine_handle<T: Any>(&self) -> Option<&T> {
        if let AnyRepr::Object { handle, .. } = &self.0 { handle.downcast_ref() } else { None }
    }
}

impl PartialEq for AnyRef {
    /// `i31`s are equal by value, host values by identity, and an object's handle equals its
    /// clones. Two handles the engine gave out for one object are not equal: `ref.eq` in the
    /// guest compares objects.
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (AnyRepr::I31(a), AnyRepr::I31(b)) => a == b,
            (AnyRepr::Host(a), AnyRepr::Host(b)) => a == b,
            (AnyRepr::Object { handle: a, .. }, AnyRepr::Object { handle: b, .. }) => {
                Arc::ptr_eq(a, b)
            }
            _ => false,
        }
    }
}

impl fmt::Debug for AnyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            AnyRepr::I31(v) => write!(f, "AnyRef(i31 {v})"),
            AnyRepr::Host(host) => write!(f, "AnyRef({host:?})"),
            AnyRepr::Object { handle, kind } => {
                write!(f, "AnyRef({kind:?} {:p})", Arc::as_ptr(handle).cast::<()>())
            }
        }
    }
}

/// An `any` reference converted into the `extern` hierarchy (`extern.convert_any`): what an
/// [`ExternRef`] made by the guest from an internal value holds.
pub(crate) struct Externalized(pub(crate) AnyRef);

/// A non-null exception reference (`exnref`), valid only with the store that made it. Only an
/// engine makes one; the host can pass it back.
#[derive(Clone)]
pub struct ExnRef(Arc<dyn Any + Send + Sync>);

impl ExnRef {
    /// Wraps an engine's exception handle. For backends.
    #[doc(hidden)]
    pub fn new<T: Any + Send + Sync>(handle: T) -> Self {
        ExnRef(Arc::new(handle))
    }

    /// The engine's exception handle, if it has type `T`. For backends.
    #[doc(hidden)]
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl PartialEq for ExnRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for ExnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExnRef({:p})", Arc::as_ptr(&self.0).cast::<()>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i31_keeps_the_low_31_bits_sign_extended() {
        assert_eq!(AnyRef::i31(5).as_i31(), Some(5));
        assert_eq!(AnyRef::i31(-1).as_i31(), Some(-1));
        assert_eq!(AnyRef::i31(0x4000_0000).as_i31(), Some(-0x4000_0000));
        assert_eq!(AnyRef::i31(i32::MAX).as_i31(), Some(-1));
        assert_eq!(AnyRef::i31(7), AnyRef::i31(7));
        assert_eq!(AnyRef::i31(7).kind(), AnyRefKind::I31);
    }

    #[test]
    fn converting_between_hierarchies_round_trips() {
        let host = ExternRef::new(3u32);
        let inside = AnyRef::from_extern(host.clone());
        assert_eq!(inside.kind(), AnyRefKind::Host);
        assert_eq!(inside.as_extern(), Some(&host));
        assert_eq!(ExternRef::from_any(inside.clone()), host);

        let i31 = AnyRef::i31(9);
        let outside = ExternRef::from_any(i31.clone());
        assert!(outside.downcast_ref::<u32>().is_none());
        assert_eq!(outside.as_any(), Some(&i31));
        assert_eq!(AnyRef::from_extern(outside), i31);
    }

    #[test]
    fn types_accept_values_by_hierarchy_and_nullness() {
        use crate::Val;
        let i31 = Val::AnyRef(Some(AnyRef::i31(1)));
        assert!(
            ValType::reference(false, HeapType::Struct).accepts(&i31),
            "the engine checks kinds"
        );
        assert!(!ValType::reference(false, HeapType::I31).accepts(&Val::AnyRef(None)));
        assert!(ValType::reference(true, HeapType::I31).accepts(&Val::AnyRef(None)));
        assert!(!ValType::reference(true, HeapType::None).accepts(&i31), "bottom: only null");
        assert!(!ValType::reference(true, HeapType::Extern).accepts(&i31), "another hierarchy");
        assert!(ValType::ExternRef.accepts(&Val::ExternRef(None)));
        assert!(!ValType::I32.accepts(&i31));
        assert_eq!(ValType::reference(true, HeapType::Func), ValType::FuncRef);
    }

    #[test]
    fn hierarchies_have_tops_and_bottoms() {
        assert_eq!(HeapType::ConcreteStruct.top(), HeapType::Any);
        assert_eq!(HeapType::NoFunc.top(), HeapType::Func);
        assert!(HeapType::None.is_bottom());
        assert!(!HeapType::I31.is_bottom());
        assert_eq!(RefType { nullable: false, heap: HeapType::I31 }.to_string(), "(ref i31)");
    }
}
