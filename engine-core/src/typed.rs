//! Statically typed calls: the export's signature is checked once, when the handle is made,
//! and each call converts Rust values without allocating.
//!
//! Besides [`Val`]s, every typed value has a form as plain bits (`u128`, zero-extended; floats
//! by their bit pattern), with its type known at compile time: a backend's
//! [`Instance::call_typed`] turns those straight into its engine's raw values, and after
//! inlining the per-type choice disappears.

use std::marker::PhantomData;

use crate::engine::Instance;
use crate::error::{Error, Result};
use crate::value::{ExternRef, FuncRef, FuncType, Val, ValType};

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that is one WebAssembly value type.
pub trait WasmTy: sealed::Sealed + Sized + Send + 'static {
    /// The WebAssembly type.
    const TYPE: ValType;
    /// As a [`Val`].
    fn into_val(self) -> Val;
    /// From a [`Val`] of type [`Self::TYPE`].
    fn from_val(val: &Val) -> Option<Self>;
    /// The value's bits, zero-extended to 128. Numbers and vectors only: a reference has no
    /// bits, and every path that uses them first checks [`WasmTuple::NUMERIC`].
    fn to_bits(self) -> u128;
    /// The value whose bits are the low bits of `bits`. Numbers and vectors only.
    fn from_bits(bits: u128) -> Self;
}

macro_rules! wasm_ty {
    ($($ty:ty => $variant:ident, $to:expr, $from:expr, $bits:ty;)*) => {$(
        impl sealed::Sealed for $ty {}
        impl WasmTy for $ty {
            const TYPE: ValType = ValType::$variant;
            fn into_val(self) -> Val {
                Val::$variant($to(self))
            }
            fn from_val(val: &Val) -> Option<Self> {
                match val {
                    Val::$variant(v) => Some($from(*v)),
                    _ => None,
                }
            }
            #[inline(always)]
            fn to_bits(self) -> u128 {
                u128::from($to(self) as $bits)
            }
            #[inline(always)]
            fn from_bits(bits: u128) -> Self {
                $from(bits as $bits as _)
            }
        }
    )*};
}

// Unsigned integers are WebAssembly's i32 and i64 read as unsigned, as wasmtime's `WasmTy`
// has them: the bits are the same.
wasm_ty! {
    i32 => I32, |v| v, |v| v, u32;
    u32 => I32, |v: u32| v as i32, |v: i32| v as u32, u32;
    i64 => I64, |v| v, |v| v, u64;
    u64 => I64, |v: u64| v as i64, |v: i64| v as u64, u64;
    f32 => F32, f32::to_bits, f32::from_bits, u32;
    f64 => F64, f64::to_bits, f64::from_bits, u64;
    u128 => V128, |v| v, |v| v, u128;
}

macro_rules! wasm_ref_ty {
    ($($ty:ty => $variant:ident;)*) => {$(
        impl sealed::Sealed for Option<$ty> {}
        /// A nullable reference: `None` is null. Typed calls and host functions with one run
        /// through [`Val`]s, as references must be rooted and checked by their engine.
        impl WasmTy for Option<$ty> {
            const TYPE: ValType = ValType::$variant;
            fn into_val(self) -> Val {
                Val::$variant(self)
            }
            fn from_val(val: &Val) -> Option<Self> {
                match val {
                    Val::$variant(r) => Some(r.clone()),
                    _ => None,
                }
            }
            fn to_bits(self) -> u128 {
                unreachable!("a reference has no bits form: callers check WasmTuple::NUMERIC")
            }
            fn from_bits(_: u128) -> Self {
                unreachable!("a reference has no bits form: callers check WasmTuple::NUMERIC")
            }
        }
    )*};
}

wasm_ref_ty! {
    FuncRef => FuncRef;
    ExternRef => ExternRef;
}

/// Whether every type of `types` is a number or vector.
const fn all_numeric(types: &[ValType]) -> bool {
    let mut i = 0;
    while i < types.len() {
        if types[i].is_ref() {
            return false;
        }
        i += 1;
    }
    true
}

/// A list of WebAssembly values as a Rust type: `()`, a single [`WasmTy`], or a tuple of up to
/// eight of them. Used for both parameters and results.
pub trait WasmTuple: Sized + Send + 'static {
    /// The WebAssembly types, in order.
    const TYPES: &'static [ValType];
    /// Whether every value is a number or vector, and so has bits ([`WasmTy::to_bits`]):
    /// typed paths on bits serve only such lists, and the rest go through [`Val`]s.
    const NUMERIC: bool = all_numeric(Self::TYPES);
    /// A fixed-size buffer of values.
    type Vals: AsRef<[Val]> + AsMut<[Val]>;
    /// The values, in order.
    fn into_vals(self) -> Self::Vals;
    /// A buffer of zero values, ready to receive results.
    fn empty_vals() -> Self::Vals;
    /// Reads values of types [`Self::TYPES`].
    fn from_vals(vals: &[Val]) -> Option<Self>;
    /// One slot of bits per value (see [`WasmTy::to_bits`]).
    type Bits: AsRef<[u128]> + AsMut<[u128]>;
    /// The values' bits, in order.
    fn into_bits(self) -> Self::Bits;
    /// A buffer of zero bits, ready to receive results.
    fn zero_bits() -> Self::Bits;
    /// The values whose bits are the first slots of `bits`, one per type of [`Self::TYPES`].
    ///
    /// # Panics
    /// If `bits` has fewer slots than there are types.
    fn from_bits(bits: &[u128]) -> Self;
}

impl WasmTuple for () {
    const TYPES: &'static [ValType] = &[];
    type Vals = [Val; 0];
    fn into_vals(self) -> [Val; 0] {
        []
    }
    fn empty_vals() -> [Val; 0] {
        []
    }
    fn from_vals(_: &[Val]) -> Option<()> {
        Some(())
    }
    type Bits = [u128; 0];
    fn into_bits(self) -> [u128; 0] {
        []
    }
    fn zero_bits() -> [u128; 0] {
        []
    }
    fn from_bits(_: &[u128]) {}
}

impl<T: WasmTy> WasmTuple for T {
    const TYPES: &'static [ValType] = &[T::TYPE];
    type Vals = [Val; 1];
    fn into_vals(self) -> [Val; 1] {
        [self.into_val()]
    }
    fn empty_vals() -> [Val; 1] {
        [Val::default_for(T::TYPE)]
    }
    fn from_vals(vals: &[Val]) -> Option<T> {
        T::from_val(vals.first()?)
    }
    type Bits = [u128; 1];
    #[inline(always)]
    fn into_bits(self) -> [u128; 1] {
        [self.to_bits()]
    }
    #[inline(always)]
    fn zero_bits() -> [u128; 1] {
        [0]
    }
    #[inline(always)]
    fn from_bits(bits: &[u128]) -> T {
        T::from_bits(bits[0])
    }
}

macro_rules! wasm_tuple {
    ($n:literal: $($t:ident $i:tt),+) => {
        impl<$($t: WasmTy),+> WasmTuple for ($($t,)+) {
            const TYPES: &'static [ValType] = &[$($t::TYPE),+];
            type Vals = [Val; $n];
            fn into_vals(self) -> [Val; $n] {
                [$(self.$i.into_val()),+]
            }
            fn empty_vals() -> [Val; $n] {
                [$(Val::default_for($t::TYPE)),+]
            }
            fn from_vals(vals: &[Val]) -> Option<Self> {
                Some(($($t::from_val(vals.get($i)?)?,)+))
            }
            type Bits = [u128; $n];
            #[inline(always)]
            fn into_bits(self) -> [u128; $n] {
                [$(self.$i.to_bits()),+]
            }
            #[inline(always)]
            fn zero_bits() -> [u128; $n] {
                [0; $n]
            }
            #[inline(always)]
            fn from_bits(bits: &[u128]) -> Self {
                ($($t::from_bits(bits[$i]),)+)
            }
        }
    };
}

wasm_tuple!(1: A 0);
wasm_tuple!(2: A 0, B 1);
wasm_tuple!(3: A 0, B 1, C 2);
wasm_tuple!(4: A 0, B 1, C 2, D 3);
wasm_tuple!(5: A 0, B 1, C 2, D 3, E 4);
wasm_tuple!(6: A 0, B 1, C 2, D 3, E 4, F 5);
wasm_tuple!(7: A 0, B 1, C 2, D 3, E 4, F 5, G 6);
wasm_tuple!(8: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// An exported function of a known signature: `P` parameters, `R` results.
pub struct TypedFunc<I: Instance, P, R> {
    func: I::Func,
    _signature: PhantomData<fn(P) -> R>,
}

impl<I: Instance, P: WasmTuple, R: WasmTuple> TypedFunc<I, P, R> {
    /// Checks that `func`, the export `name` of `instance`, takes `P` and returns `R`.
    ///
    /// The type is asked of the instance, never taken on trust:
    /// [`Instance::call_typed`] relies on it to pass raw values unchecked.
    pub fn new(name: &str, func: I::Func, instance: &I) -> Result<Self> {
        let ty = instance.func_type(&func);
        if ty.params() != P::TYPES || ty.results() != R::TYPES {
            let wanted = FuncType::new(P::TYPES.iter().copied(), R::TYPES.iter().copied());
            return Err(Error::Export {
                name: name.to_string(),
                message: format!("has type {ty}, not {wanted}"),
            });
        }
        Ok(TypedFunc { func, _signature: PhantomData })
    }

    /// Calls the function on `instance`, which must be the instance it came from.
    #[inline]
    pub fn call(&self, instance: &mut I, params: P) -> Result<R> {
        if P::NUMERIC && R::NUMERIC {
            instance.call_typed(self, params)
        } else {
            // References have no bits: they go through `Val`s, which each engine roots.
            self.call_with_vals(instance, params)
        }
    }

    /// The function, as its instance's untyped handle.
    pub fn func(&self) -> &I::Func {
        &self.func
    }

    /// The call through [`Val`]s: [`Instance::call_typed`] unless an engine does better.
    pub fn call_with_vals(&self, instance: &mut I, params: P) -> Result<R> {
        let mut results = R::empty_vals();
        instance.call_func(&self.func, params.into_vals().as_ref(), results.as_mut())?;
        R::from_vals(results.as_ref()).ok_or_else(|| {
            Error::InvalidArgument("engine returned values of the wrong type".into())
        })
    }
}

impl<I: Instance, P, R> Clone for TypedFunc<I, P, R> {
    fn clone(&self) -> Self {
        TypedFunc { func: self.func.clone(), _signature: PhantomData }
    }
}

impl<I: Instance, P, R> std::fmt::Debug for TypedFunc<I, P, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedFunc").finish_non_exhaustive()
    }
}
