//! Values and types crossing the boundary between host and guest.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::reference::{AnyRef, ExnRef, Externalized, HeapType, RefType};

/// A WebAssembly value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
    /// 128-bit SIMD vector.
    V128,
    /// Nullable reference to a function.
    FuncRef,
    /// Nullable reference to a host value.
    ExternRef,
    /// Any other reference type (Wasm 3.0): typed function references, GC and exception
    /// references. Never `(ref null func)` or `(ref null extern)`, which are `FuncRef` and
    /// `ExternRef`; [`ValType::reference`] keeps to that.
    Ref(RefType),
}

impl ValType {
    /// The reference type `(ref null? heap)`, as `FuncRef` or `ExternRef` when it is one.
    pub fn reference(nullable: bool, heap: HeapType) -> ValType {
        match (nullable, heap) {
            (true, HeapType::Func) => ValType::FuncRef,
            (true, HeapType::Extern) => ValType::ExternRef,
            _ => ValType::Ref(RefType { nullable, heap }),
        }
    }

    /// Whether it is a reference type.
    pub const fn is_ref(self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef | ValType::Ref(_))
    }

    /// The top of its reference hierarchy (`func`, `extern`, `any` or `exn`); `None` for a
    /// number or vector.
    pub fn hierarchy(self) -> Option<HeapType> {
        match self {
            ValType::FuncRef => Some(HeapType::Func),
            ValType::ExternRef => Some(HeapType::Extern),
            ValType::Ref(r) => Some(r.heap.top()),
            _ => None,
        }
    }

    /// Whether `value` may be given where this type is expected, as far as the host can tell:
    /// numbers by type, references by hierarchy, null only where the type is nullable. Which
    /// of a module's own types a reference has is the engine's to check.
    pub fn accepts(self, value: &Val) -> bool {
        let (top, is_null) = match value {
            Val::FuncRef(r) => (HeapType::Func, r.is_none()),
            Val::ExternRef(r) => (HeapType::Extern, r.is_none()),
            Val::AnyRef(r) => (HeapType::Any, r.is_none()),
            Val::ExnRef(r) => (HeapType::Exn, r.is_none()),
            number => return number.ty() == self,
        };
        let (nullable, bottom) = match self {
            ValType::Ref(r) => (r.nullable, r.heap.is_bottom()),
            _ => (true, false),
        };
        self.hierarchy() == Some(top) && if is_null { nullable } else { !bottom }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
            ValType::Ref(r) => return write!(f, "{r}"),
        })
    }
}

/// An opaque host value carried by an `externref`.
///
/// Equality is identity: two `ExternRef`s are equal when they hold the same allocation, which
/// is what a guest sees when it passes a reference back unchanged. One the guest made from an
/// internal value (`extern.convert_any`) holds that [`AnyRef`] instead of a host value.
#[derive(Clone)]
pub struct ExternRef(Arc<dyn Any + Send + Sync>);

impl ExternRef {
    /// Wraps a host value.
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        ExternRef(Arc::new(value))
    }

    /// Rebuilds a reference from the shared allocation a backend kept.
    pub fn from_arc(value: Arc<dyn Any + Send + Sync>) -> Self {
        ExternRef(value)
    }

    /// The shared allocation, for backends that store it inside the engine.
    pub fn as_arc(&self) -> &Arc<dyn Any + Send + Sync> {
        &self.0
    }

    /// The host value, if it has type `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }

    /// An internal value seen from the `extern` hierarchy, as `extern.convert_any` makes it.
    pub fn from_any(inner: AnyRef) -> ExternRef {
        match inner.as_extern() {
            Some(host) => host.clone(),
            None => ExternRef(Arc::new(Externalized(inner))),
        }
    }

    /// The internal value, if this reference was made from one with `extern.convert_any`
    /// (by the guest or by [`ExternRef::from_any`]) rather than from a host value.
    pub fn as_any(&self) -> Option<&AnyRef> {
        self.0.downcast_ref::<Externalized>().map(|Externalized(inner)| inner)
    }
}

impl PartialEq for ExternRef {
    /// Host values by identity; internal values converted with `extern.convert_any` as their
    /// [`AnyRef`]s compare.
    fn eq(&self, other: &Self) -> bool {
        match (self.as_any(), other.as_any()) {
            (Some(a), Some(b)) => a == b,
            _ => Arc::ptr_eq(&self.0, &other.0),
        }
    }
}

impl fmt::Debug for ExternRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(inner) = self.as_any() {
            return write!(f, "ExternRef({inner:?})");
        }
        write!(f, "ExternRef({:p})", Arc::as_ptr(&self.0).cast::<()>())
    }
}

/// A reference to a guest function, valid only with the instance that produced it.
///
/// Backends store their own function handle inside; passing it to another engine's instance
/// is refused with [`Error::InvalidArgument`](crate::Error::InvalidArgument).
#[derive(Clone)]
pub struct FuncRef(Arc<dyn Any + Send + Sync>);

impl FuncRef {
    /// Wraps an engine's function handle. For backends.
    pub fn new<T: Any + Send + Sync>(handle: T) -> Self {
        FuncRef(Arc::new(handle))
    }

    /// The engine's function handle, if it has type `T`. For backends.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl PartialEq for FuncRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for FuncRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FuncRef({:p})", Arc::as_ptr(&self.0).cast::<()>())
    }
}

/// A WebAssembly value.
///
/// Floats are kept as their bit patterns so NaN payloads survive the trip through every engine.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Val {
    /// 32-bit integer.
    I32(i32),
    /// 64-bit integer.
    I64(i64),
    /// 32-bit float, as bits.
    F32(u32),
    /// 64-bit float, as bits.
    F64(u64),
    /// 128-bit vector, as bits.
    V128(u128),
    /// A function reference, or null.
    FuncRef(Option<FuncRef>),
    /// A host reference, or null.
    ExternRef(Option<ExternRef>),
    /// A reference of the `any` hierarchy (GC objects, `i31`s), or null.
    AnyRef(Option<AnyRef>),
    /// An exception reference, or null.
    ExnRef(Option<ExnRef>),
}

impl Val {
    /// The type of this value.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
            Val::AnyRef(_) => ValType::reference(true, HeapType::Any),
            Val::ExnRef(_) => ValType::reference(true, HeapType::Exn),
        }
    }

    /// The zero value (or null reference) of a type, used to fill result slots. For a
    /// non-nullable reference type that is null too: a placeholder, not a value of the type.
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
            ValType::Ref(r) => match r.heap.top() {
                HeapType::Func => Val::FuncRef(None),
                HeapType::Extern => Val::ExternRef(None),
                HeapType::Exn => Val::ExnRef(None),
                _ => Val::AnyRef(None),
            },
        }
    }

    /// The bits of a number or vector, zero-extended to 128 (see
    /// [`WasmTy::to_bits`](crate::WasmTy::to_bits)); `None` for a reference.
    pub fn to_bits(&self) -> Option<u128> {
        match *self {
            Val::I32(v) => Some(u128::from(v as u32)),
            Val::I64(v) => Some(u128::from(v as u64)),
            Val::F32(v) => Some(u128::from(v)),
            Val::F64(v) => Some(u128::from(v)),
            Val::V128(v) => Some(v),
            Val::FuncRef(_) | Val::ExternRef(_) | Val::AnyRef(_) | Val::ExnRef(_) => None,
        }
    }

    /// The number or vector of type `ty` whose bits are the low bits of `bits`; a null
    /// reference for a reference type.
    pub fn from_bits(ty: ValType, bits: u128) -> Val {
        match ty {
            ValType::I32 => Val::I32(bits as u32 as i32),
            ValType::I64 => Val::I64(bits as u64 as i64),
            ValType::F32 => Val::F32(bits as u32),
            ValType::F64 => Val::F64(bits as u64),
            ValType::V128 => Val::V128(bits),
            ValType::FuncRef | ValType::ExternRef | ValType::Ref(_) => Val::default_for(ty),
        }
    }

    /// The value as an `i32`, if it is one.
    pub fn i32(&self) -> Option<i32> {
        if let Val::I32(v) = self { Some(*v) } else { None }
    }

    /// The value as an `i64`, if it is one.
    pub fn i64(&self) -> Option<i64> {
        if let Val::I64(v) = self { Some(*v) } else { None }
    }

    /// The value as an `f32`, if it is one.
    pub fn f32(&self) -> Option<f32> {
        if let Val::F32(v) = self { Some(f32::from_bits(*v)) } else { None }
    }

    /// The value as an `f64`, if it is one.
    pub fn f64(&self) -> Option<f64> {
        if let Val::F64(v) = self { Some(f64::from_bits(*v)) } else { None }
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::I32(v) => write!(f, "{v}"),
            Val::I64(v) => write!(f, "{v}"),
            Val::F32(v) => write!(f, "{}", f32::from_bits(*v)),
            Val::F64(v) => write!(f, "{}", f64::from_bits(*v)),
            Val::V128(v) => write!(f, "0x{v:032x}"),
            Val::FuncRef(None) | Val::ExternRef(None) | Val::AnyRef(None) | Val::ExnRef(None) => {
                f.write_str("null")
            }
            Val::FuncRef(Some(r)) => write!(f, "{r:?}"),
            Val::ExternRef(Some(r)) => write!(f, "{r:?}"),
            Val::AnyRef(Some(r)) => write!(f, "{r:?}"),
            Val::ExnRef(Some(r)) => write!(f, "{r:?}"),
        }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}
impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}

/// The signature of a function.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FuncType {
    params: Box<[ValType]>,
    results: Box<[ValType]>,
}

impl FuncType {
    /// A signature from its parameter and result types.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> Self {
        FuncType { params: params.into_iter().collect(), results: results.into_iter().collect() }
    }

    /// Parameter types, in order.
    pub fn params(&self) -> &[ValType] {
        &self.params
    }

    /// Result types, in order.
    pub fn results(&self) -> &[ValType] {
        &self.results
    }

    /// Whether every parameter and result is a number or a vector (no reference): such a
    /// function's values can travel as bits.
    pub fn is_numeric(&self) -> bool {
        self.params.iter().chain(self.results.iter()).all(|t| !t.is_ref())
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(func")?;
        write_types(f, "param", &self.params)?;
        write_types(f, "result", &self.results)?;
        f.write_str(")")
    }
}

fn write_types(f: &mut fmt::Formatter<'_>, keyword: &str, types: &[ValType]) -> fmt::Result {
    if types.is_empty() {
        return Ok(());
    }
    write!(f, " ({keyword}")?;
    types.iter().try_for_each(|t| write!(f, " {t}"))?;
    f.write_str(")")
}

/// A linear memory's type; sizes in 64 KiB pages.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MemoryType {
    /// Initial size in pages.
    pub min: u64,
    /// Maximum size in pages, if declared.
    pub max: Option<u64>,
    /// Whether addresses are 64-bit (memory64).
    pub memory64: bool,
    /// Whether the memory is shared between threads.
    pub shared: bool,
}

/// A table's type; sizes in elements.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TableType {
    /// The element type: a reference type.
    pub element: ValType,
    /// Initial number of elements.
    pub min: u64,
    /// Maximum number of elements, if declared.
    pub max: Option<u64>,
}

/// A global's type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GlobalType {
    /// The type of the global's value.
    pub content: ValType,
    /// Whether the global can be set.
    pub mutable: bool,
}

/// The type of an import or an export.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExternType {
    /// A function.
    Func(FuncType),
    /// A linear memory.
    Memory(MemoryType),
    /// A table.
    Table(TableType),
    /// A global.
    Global(GlobalType),
    /// An exception tag, or another kind this version of wasmux does not model.
    Other(String),
}

impl ExternType {
    /// The type of an exception tag whose exceptions carry values of `params`, described
    /// alike on every engine.
    pub fn tag(params: &[ValType]) -> ExternType {
        let params: Vec<String> = params.iter().map(ValType::to_string).collect();
        if params.is_empty() {
            ExternType::Other("(tag)".into())
        } else {
            ExternType::Other(format!("(tag (param {}))", params.join(" ")))
        }
    }
}

impl fmt::Display for ExternType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternType::Func(t) => write!(f, "{t}"),
            ExternType::Memory(m) => {
                let index = if m.memory64 { " i64" } else { "" };
                write!(f, "(memory{index} {}", m.min)?;
                if let Some(max) = m.max {
                    write!(f, " {max}")?;
                }
                f.write_str(if m.shared { " shared)" } else { ")" })
            }
            ExternType::Table(t) => {
                write!(f, "(table {}", t.min)?;
                if let Some(max) = t.max {
                    write!(f, " {max}")?;
                }
                write!(f, " {})", t.element)
            }
            ExternType::Global(g) if g.mutable => write!(f, "(global (mut {}))", g.content),
            ExternType::Global(g) => write!(f, "(global {})", g.content),
            ExternType::Other(what) => f.write_str(what),
        }
    }
}

/// One import of a module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportInfo {
    /// The module name the import is looked up in.
    pub module: String,
    /// The field name within that module.
    pub name: String,
    /// What the module expects to receive.
    pub ty: ExternType,
}

/// One export of a module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportInfo {
    /// The export's name.
    pub name: String,
    /// What it is.
    pub ty: ExternType,
}

/// A module's interface: what it imports and what it exports, in declaration order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// Imports, in declaration order.
    pub imports: Vec<ImportInfo>,
    /// Exports, in declaration order.
    pub exports: Vec<ExportInfo>,
}

impl ModuleInfo {
    /// The export with this name, if any.
    pub fn export(&self, name: &str) -> Option<&ExportInfo> {
        self.exports.iter().find(|e| e.name == name)
    }
}
