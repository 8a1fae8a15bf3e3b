//! Typed calls through wasmer's own `TypedFunction`, the only entry point of wasmer that does
//! not allocate per call (`Function::call` clones the function type three times and allocates
//! the argument and result vectors).
//!
//! `TypedFunction` wants Rust types that wasmer knows, and a wasmux `TypedFunc<P, R>` only knows
//! that `P` and `R` are [`WasmTuple`]s. So each value travels as a [`Slot<L, I>`]: the raw bits
//! of value `I` of the list `L`, whose WebAssembly type wasmer reads from `L::TYPES[I]`, a
//! constant. The wasmer tuple of slots is picked by the arities of `P` and `R`, also constants:
//! after monomorphisation one arm of each `match` is left.

use std::any::{Any, TypeId};
use std::marker::PhantomData;
use std::sync::OnceLock;

use wasmer::{
    AsStoreMut, FromToNativeWasmType, Function, NativeWasmType, NativeWasmTypeInto, RuntimeError,
    Store, Type, TypedFunction, WasmTypeList,
};
use wasmer_types::RawValue;
use wasmux_core::{ValType, WasmTuple};

/// Value `I` of the WebAssembly types `L`, as bits (see `wasmux_core::WasmTy::to_bits`).
pub(crate) struct Slot<L, const I: usize>(u128, PhantomData<fn() -> L>);

impl<L: WasmTuple, const I: usize> Slot<L, I> {
    /// The slot's type; `None` past the end of `L`, in arms that are never taken.
    const TYPE: Option<ValType> = if I < L::TYPES.len() { Some(L::TYPES[I]) } else { None };

    fn new(bits: u128) -> Self {
        Slot(bits, PhantomData)
    }
}

impl<L: WasmTuple, const I: usize> NativeWasmType for Slot<L, I> {
    // Only wasmer's native host-function ABI uses `Abi`; slots never cross it.
    type Abi = u128;
    // A slot past the end cannot match any function, so `typed` refuses it.
    const WASM_TYPE: Type = match Self::TYPE {
        Some(ValType::I32) => Type::I32,
        Some(ValType::I64) => Type::I64,
        Some(ValType::F32) => Type::F32,
        Some(ValType::F64) => Type::F64,
        Some(ValType::V128) => Type::V128,
        Some(ValType::FuncRef) => Type::FuncRef,
        // Typed calls with references (or any later type) go through `Val`s and never here.
        _ => Type::ExternRef,
    };
}

impl<L: WasmTuple, const I: usize> NativeWasmTypeInto for Slot<L, I> {
    fn into_abi(self, _store: &mut impl AsStoreMut) -> u128 {
        self.0
    }

    unsafe fn from_abi(_store: &mut impl AsStoreMut, abi: u128) -> Self {
        Slot::new(abi)
    }

    #[inline(always)]
    fn into_raw(self, _store: &mut impl AsStoreMut) -> RawValue {
        RawValue { u128: self.0 }
    }

    /// Reads only the bytes the value's type occupies: the rest of a result slot may never
    /// have been written.
    #[inline(always)]
    unsafe fn from_raw(_store: &mut impl AsStoreMut, raw: RawValue) -> Self {
        // SAFETY: wasmer wrote a value of the slot's type, checked by `Function::typed`.
        let bits = unsafe {
            match Self::TYPE {
                Some(ValType::I32 | ValType::F32) => u128::from(raw.u32),
                Some(ValType::I64 | ValType::F64) => u128::from(raw.u64),
                Some(ValType::V128) => raw.u128,
                _ => 0,
            }
        };
        Slot::new(bits)
    }
}

// SAFETY: a slot is its own native type, and converts to and from raw values by its
// WebAssembly type, as wasmer's own number types do.
unsafe impl<L: WasmTuple, const I: usize> FromToNativeWasmType for Slot<L, I> {
    type Native = Self;

    #[inline(always)]
    fn from_native(native: Self) -> Self {
        native
    }

    #[inline(always)]
    fn to_native(self) -> Self {
        self
    }
}

/// A wasmer result list made of slots, read back as bits.
pub(crate) trait SlotList: WasmTypeList + 'static {
    /// Writes the values' bits to the first slots of `bits`.
    fn write_bits(self, bits: &mut [u128]);
}

impl SlotList for () {
    fn write_bits(self, _bits: &mut [u128]) {}
}

impl<L: WasmTuple, const I: usize> SlotList for Slot<L, I> {
    #[inline(always)]
    fn write_bits(self, bits: &mut [u128]) {
        bits[0] = self.0;
    }
}

macro_rules! slot_lists {
    ($(($($i:tt)+))*) => {$(
        impl<L: WasmTuple> SlotList for ($(Slot<L, $i>,)+) {
            #[inline(always)]
            fn write_bits(self, bits: &mut [u128]) {
                $(bits[$i] = self.$i.0;)+
            }
        }
    )*};
}

slot_lists! {
    (0 1) (0 1 2) (0 1 2 3) (0 1 2 3 4) (0 1 2 3 4 5) (0 1 2 3 4 5 6) (0 1 2 3 4 5 6 7)
}

/// The wasmer handle of a function, made on its first typed call and kept with it.
///
/// It keeps the handle's `TypeId` beside it: `Any::downcast_ref` would ask the box for it
/// through a virtual call on every call, which cost about 3 % of a wasmer call.
#[derive(Default)]
pub(crate) struct NativeCache(OnceLock<CacheEntry>);

struct CacheEntry {
    type_id: TypeId,
    handle: Box<dyn Any + Send + Sync>,
}

impl NativeCache {
    /// The handle, if the cache holds a `T`.
    #[inline(always)]
    fn get<T: Any>(&self) -> Option<&T> {
        let entry = self.0.get()?;
        if entry.type_id != TypeId::of::<T>() {
            return None;
        }
        let handle: *const (dyn Any + Send + Sync) = &*entry.handle;
        // SAFETY: the box holds a `T`: `type_id` was taken from the value put in it.
        Some(unsafe { &*handle.cast::<T>() })
    }

    /// The handle, made by `make` if the cache is empty; `None` if it holds another type.
    fn get_or_init<T: Any + Send + Sync>(&self, make: impl FnOnce() -> T) -> Option<&T> {
        self.0.get_or_init(|| CacheEntry { type_id: TypeId::of::<T>(), handle: Box::new(make()) });
        self.get()
    }
}

/// Calls `func`, whose type is `P -> R` (checked by `TypedFunc::new`), with `params`.
#[inline]
pub(crate) fn call<P: WasmTuple, R: WasmTuple>(
    cache: &NativeCache,
    func: &Function,
    store: &mut Store,
    params: &[u128],
) -> Result<R, RuntimeError> {
    macro_rules! with_results {
        ($($n:literal => $rets:ty,)*) => {
            match const { R::TYPES.len() } {
                $($n => with_params::<P, R, $rets>(cache, func, store, params),)*
                _ => unreachable!("a WasmTuple has at most 8 values"),
            }
        };
    }
    with_results! {
        0 => (),
        1 => Slot<R, 0>,
        2 => (Slot<R, 0>, Slot<R, 1>),
        3 => (Slot<R, 0>, Slot<R, 1>, Slot<R, 2>),
        4 => (Slot<R, 0>, Slot<R, 1>, Slot<R, 2>, Slot<R, 3>),
        5 => (Slot<R, 0>, Slot<R, 1>, Slot<R, 2>, Slot<R, 3>, Slot<R, 4>),
        6 => (Slot<R, 0>, Slot<R, 1>, Slot<R, 2>, Slot<R, 3>, Slot<R, 4>, Slot<R, 5>),
        7 => (Slot<R, 0>, Slot<R, 1>, Slot<R, 2>, Slot<R, 3>, Slot<R, 4>, Slot<R, 5>, Slot<R, 6>),
        8 => (Slot<R, 0>, Slot<R, 1>, Slot<R, 2>, Slot<R, 3>, Slot<R, 4>, Slot<R, 5>, Slot<R, 6>, Slot<R, 7>),
    }
}

// One parameter is `(Slot<P, 0>)`, which is wasmer's list of one: not a tuple.
#[allow(unused_parens)]
#[inline(always)]
fn with_params<P: WasmTuple, R: WasmTuple, Rets: SlotList>(
    cache: &NativeCache,
    func: &Function,
    store: &mut Store,
    params: &[u128],
) -> Result<R, RuntimeError> {
    macro_rules! with_params {
        ($($n:literal => ($($i:tt)*),)*) => {
            match const { P::TYPES.len() } {
                $($n => call_cached::<($(Slot<P, $i>),*), Rets>(cache, func, store, |typed, store| {
                    typed.call(store, $(Slot::new(params[$i])),*)
                }),)*
                _ => unreachable!("a WasmTuple has at most 8 values"),
            }
        };
    }
    let results = with_params! {
        0 => (),
        1 => (0),
        2 => (0 1),
        3 => (0 1 2),
        4 => (0 1 2 3),
        5 => (0 1 2 3 4),
        6 => (0 1 2 3 4 5),
        7 => (0 1 2 3 4 5 6),
        8 => (0 1 2 3 4 5 6 7),
    }?;
    let mut bits = R::zero_bits();
    results.write_bits(bits.as_mut());
    Ok(R::from_bits(bits.as_ref()))
}

/// What a cache holds: wasmer's typed handle, or why it could not be made.
type Handle<Args, Rets> = Result<TypedFunction<Args, Rets>, RuntimeError>;

/// Runs `call` with the cached `TypedFunction<Args, Rets>` of `func`. Only the cached case is
/// inlined, so that the whole call path fits in its caller.
#[inline(always)]
fn call_cached<Args, Rets>(
    cache: &NativeCache,
    func: &Function,
    store: &mut Store,
    call: impl FnOnce(&TypedFunction<Args, Rets>, &mut Store) -> Result<Rets, RuntimeError>,
) -> Result<Rets, RuntimeError>
where
    Args: WasmTypeList + 'static,
    Rets: WasmTypeList + 'static,
{
    match cache.get::<Handle<Args, Rets>>() {
        Some(Ok(typed)) => call(typed, store),
        _ => call_uncached(cache, func, store, call),
    }
}

/// The first call, or a failed one: makes the typed handle and keeps it.
///
/// A cache that holds another type is never seen: each `WasmerFunc` clone has a cache of its
/// own and a `TypedFunc` owns its clone, so one Rust signature uses each cache. Should it
/// happen, the call is still made, with a handle made for it alone.
#[cold]
#[inline(never)]
fn call_uncached<Args, Rets>(
    cache: &NativeCache,
    func: &Function,
    store: &mut Store,
    call: impl FnOnce(&TypedFunction<Args, Rets>, &mut Store) -> Result<Rets, RuntimeError>,
) -> Result<Rets, RuntimeError>
where
    Args: WasmTypeList + 'static,
    Rets: WasmTypeList + 'static,
{
    match cache.get_or_init(|| func.typed::<Args, Rets>(store)) {
        Some(Ok(typed)) => call(typed, store),
        Some(Err(error)) => Err(error.clone()),
        None => call(&func.typed::<Args, Rets>(store)?, store),
    }
}

#[cfg(test)]
mod tests {
    use super::NativeCache;

    #[test]
    fn the_cache_gives_back_only_the_type_it_holds() {
        let cache = NativeCache::default();
        assert_eq!(cache.get::<u32>(), None, "empty");
        assert_eq!(cache.get_or_init(|| 7u32), Some(&7));
        assert_eq!(cache.get::<u32>(), Some(&7));
        assert_eq!(cache.get::<i32>(), None, "same size, other type");
        assert_eq!(cache.get_or_init(|| 9u64), None, "a full cache is not replaced");
        assert_eq!(cache.get::<u32>(), Some(&7));
    }
}
