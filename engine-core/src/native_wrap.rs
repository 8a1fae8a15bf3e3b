//! Host functions with a Rust signature, made in each engine's own typed form while the
//! signature is still known.
//!
//! A [`HostFunc`] is type-erased so that one value serves every engine. Erased, a call from the
//! guest reaches the body through a per-slot conversion and a virtual call, where an engine's
//! own typed host function (wasmtime's `func_wrap`, wasmer's typed functions, wasmi's
//! `Func::wrap`) is one monomorphic call. [`HostFunc::wrap_for`] therefore asks each engine
//! named by its type parameter for that typed form and keeps it beside the erased body; a
//! backend that finds its own form ([`HostFunc::native`]) defines that, and any other engine
//! runs the erased body.

use std::any::Any;
use std::sync::Arc;

use crate::host::{Caller, DataType, HostError, HostFunc};
use crate::typed::WasmTuple;
use crate::value::{FuncType, Val};

/// The body of a host function with a Rust signature: parameters `P`, results `R`, both
/// [`WasmTuple`]s, working on host data of type `T` (`()`: none).
pub trait HostFn<P, R, T = ()>:
    Fn(&mut Caller<'_, T>, P) -> Result<R, HostError> + Send + Sync + 'static
{
}

impl<P, R, T, F> HostFn<P, R, T> for F where
    F: Fn(&mut Caller<'_, T>, P) -> Result<R, HostError> + Send + Sync + 'static
{
}

/// Engines that make host functions of parameters `P` and results `R` in their own typed
/// form. Each backend's engine type implements it for every signature its engine has a
/// typed form of; `()` makes none, and a tuple of engines makes each one's (the facade's
/// `wasmux::CompiledEngines` names every engine compiled in).
pub trait NativeWrap<P, R, T = ()> {
    /// Adds the engines' typed forms of `body` to `natives`. Each is a value of a type private
    /// to its backend, which finds it again with [`HostFunc::native`].
    fn natives<F: HostFn<P, R, T>>(body: &Arc<F>, natives: &mut Vec<Box<dyn Any + Send + Sync>>);
}

impl<P, R, T> NativeWrap<P, R, T> for () {
    fn natives<F: HostFn<P, R, T>>(_: &Arc<F>, _: &mut Vec<Box<dyn Any + Send + Sync>>) {}
}

macro_rules! native_wrap_tuple {
    ($($engine:ident),+) => {
        impl<P, R, T, $($engine: NativeWrap<P, R, T>),+> NativeWrap<P, R, T> for ($($engine,)+) {
            fn natives<F: HostFn<P, R, T>>(
                body: &Arc<F>,
                natives: &mut Vec<Box<dyn Any + Send + Sync>>,
            ) {
                $($engine::natives(body, natives);)+
            }
        }
    };
}

native_wrap_tuple!(A);
native_wrap_tuple!(A, B);
native_wrap_tuple!(A, B, C);

impl HostFunc {
    /// A host function with a Rust signature, accepted by every engine: its WebAssembly type is
    /// derived from `P` and `R`. Each call runs type-erased; [`HostFunc::wrap_for`] makes the
    /// engines' own typed forms too.
    ///
    /// ```
    /// use wasmux_core::{HostFunc, HostError};
    /// let add = HostFunc::wrap("env", "add", |_caller, (a, b): (i32, i32)| Ok::<_, HostError>(a + b));
    /// assert_eq!(add.ty().to_string(), "(func (param i32 i32) (result i32))");
    /// ```
    pub fn wrap<P: WasmTuple, R: WasmTuple>(
        module: impl Into<String>,
        name: impl Into<String>,
        body: impl HostFn<P, R>,
    ) -> Self {
        Self::wrap_for::<(), P, R>(module, name, body)
    }

    /// [`HostFunc::wrap`], plus the function in the own typed form of each engine `E` names
    /// (one backend's engine type, a tuple of them, or the facade's `CompiledEngines`): on
    /// those engines a guest's call reaches `body` as the engine's own typed host function
    /// would, and every other engine still accepts it.
    pub fn wrap_for<E: NativeWrap<P, R>, P: WasmTuple, R: WasmTuple>(
        module: impl Into<String>,
        name: impl Into<String>,
        body: impl HostFn<P, R>,
    ) -> Self {
        Self::wrap_with_data::<(), E, P, R>(module, name, body)
    }

    /// [`HostFunc::wrap_for`] for a function that works on host data of type `T`
    /// ([`Caller::data_mut`]); instances whose host data has another type refuse it at link
    /// time. [`HostEnv::wrap`](crate::HostEnv::wrap) makes these with `T` inferred.
    pub fn wrap_with_data<T: Any + Send, E: NativeWrap<P, R, T>, P: WasmTuple, R: WasmTuple>(
        module: impl Into<String>,
        name: impl Into<String>,
        body: impl HostFn<P, R, T>,
    ) -> Self {
        let body = Arc::new(body);
        let mut natives = Vec::new();
        E::natives(&body, &mut natives);
        let ty = FuncType::new(P::TYPES.iter().copied(), R::TYPES.iter().copied());
        let data = Some(DataType::of::<T>());
        if !(P::NUMERIC && R::NUMERIC) {
            // References have no bits: they come and go as `Val`s.
            let callback = move |caller: &mut Caller<'_>, params: &[Val], results: &mut [Val]| {
                let params = P::from_vals(params)
                    .ok_or_else(|| HostError::trap("host function called with wrong types"))?;
                let values = body(caller.with_data(), params)?.into_vals();
                results.clone_from_slice(values.as_ref());
                Ok(())
            };
            return HostFunc::from_vals(module, name, ty, callback, data, natives);
        }
        HostFunc::from_bits(
            module,
            name,
            ty,
            move |caller, bits| {
                let results = body(caller.with_data(), P::from_bits(bits))?.into_bits();
                bits[..R::TYPES.len()].copy_from_slice(results.as_ref());
                Ok(())
            },
            data,
            natives,
        )
    }
}
