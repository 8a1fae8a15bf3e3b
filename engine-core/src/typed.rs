//! Statically typed calls: the export's signature is checked once, when the handle is made,
//! and each call converts Rust values without allocating.

use std::marker::PhantomData;

use crate::engine::Instance;
use crate::error::{Error, Result};
use crate::value::{FuncType, Val, ValType};

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
}

macro_rules! wasm_ty {
    ($($ty:ty => $variant:ident, $to:expr, $from:expr;)*) => {$(
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
        }
    )*};
}

wasm_ty! {
    i32 => I32, |v| v, |v| v;
    i64 => I64, |v| v, |v| v;
    f32 => F32, f32::to_bits, f32::from_bits;
    f64 => F64, f64::to_bits, f64::from_bits;
    u128 => V128, |v| v, |v| v;
}

/// A list of WebAssembly values as a Rust type: `()`, a single [`WasmTy`], or a tuple of up to
/// eight of them. Used for both parameters and results.
pub trait WasmTuple: Sized + Send + 'static {
    /// The WebAssembly types, in order.
    const TYPES: &'static [ValType];
    /// A fixed-size buffer of values.
    type Vals: AsRef<[Val]> + AsMut<[Val]>;
    /// The values, in order.
    fn into_vals(self) -> Self::Vals;
    /// A buffer of zero values, ready to receive results.
    fn empty_vals() -> Self::Vals;
    /// Reads values of types [`Self::TYPES`].
    fn from_vals(vals: &[Val]) -> Option<Self>;
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
    /// Checks that `func`, of type `ty`, takes `P` and returns `R`.
    pub fn new(name: &str, func: I::Func, ty: &FuncType) -> Result<Self> {
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
    pub fn call(&self, instance: &mut I, params: P) -> Result<R> {
        let mut results = R::empty_vals();
        instance.call_func(&self.func, params.into_vals().as_ref(), results.as_mut())?;
        R::from_vals(results.as_ref())
            .ok_or_else(|| Error::InvalidArgument("engine returned values of the wrong type".into()))
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

impl crate::host::HostFunc {
    /// A host function with a Rust signature: its WebAssembly type is derived from `P` and `R`.
    ///
    /// ```
    /// use wasmux_core::{HostFunc, HostError};
    /// let add = HostFunc::wrap("env", "add", |_caller, (a, b): (i32, i32)| Ok::<_, HostError>(a + b));
    /// assert_eq!(add.ty().to_string(), "(func (param i32 i32) (result i32))");
    /// ```
    pub fn wrap<P: WasmTuple, R: WasmTuple>(
        module: impl Into<String>,
        name: impl Into<String>,
        func: impl Fn(&mut crate::host::Caller<'_>, P) -> Result<R, crate::host::HostError>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        let ty = FuncType::new(P::TYPES.iter().copied(), R::TYPES.iter().copied());
        crate::host::HostFunc::new(module, name, ty, move |caller, params, results| {
            let params = P::from_vals(params)
                .ok_or_else(|| crate::host::HostError::trap("parameters of the wrong type"))?;
            let values = func(caller, params)?.into_vals();
            results.clone_from_slice(values.as_ref());
            Ok(())
        })
    }
}
