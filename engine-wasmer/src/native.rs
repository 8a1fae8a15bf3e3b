//! Host functions made by `HostFunc::wrap_for::<WasmerEngine>` as wasmer's typed functions,
//! which compiled guest code calls natively (`Function::new_typed_with_env`), where a dynamic
//! function passes vectors of `Value`s.
//!
//! wasmer's typed functions take each value as a Rust type it knows, so the form is made per
//! arity, for parameters and results whose every type has a wasmer counterpart. wasmer has none
//! for `v128`: a signature with a `u128` gets no typed form and runs as a dynamic function.

use std::any::Any;
use std::sync::Arc;

use wasmer::{FromToNativeWasmType, Function, FunctionEnv, FunctionEnvMut, Store, WasmTypeList};
use wasmux_core::{Caller, ExternRef, FuncRef, HostFn, NativeWrap, WasmTuple, WasmTy};

use crate::WasmerEngine;
use crate::host::{Access, Env};
use crate::traps::HostFailure;

/// Binds a typed function to an instance of a store.
type BindNative = dyn Fn(&mut Store, &FunctionEnv<Env>, usize) -> Function + Send + Sync;

/// wasmer's form of a function made by `HostFunc::wrap_for` (see `HostFunc::native`).
pub(crate) struct Native(pub(crate) Box<BindNative>);

/// A value type as wasmer's typed functions take it.
pub trait WasmerTy: WasmTy {
    /// wasmer's type.
    type Native: FromToNativeWasmType;
    /// Whether wasmer's typed functions take the type (numbers, not `v128` or references).
    const NATIVE: bool = true;
    /// The value from wasmer's.
    fn from_native(native: Self::Native) -> Self;
    /// The value as wasmer's.
    fn into_native(self) -> Self::Native;
}

macro_rules! wasmer_ty {
    ($($ty:ty),*) => {$(
        impl WasmerTy for $ty {
            type Native = $ty;
            #[inline(always)]
            fn from_native(native: $ty) -> $ty {
                native
            }
            #[inline(always)]
            fn into_native(self) -> $ty {
                self
            }
        }
    )*};
}

wasmer_ty!(i32, u32, i64, u64, f32, f64);

/// Types with no typed form: wasmer's typed functions take no `v128`, and references run as
/// dynamic functions, which convert them through wasmer's `Value`. The conversions are never
/// called, as no typed form is made for a signature with one of these.
macro_rules! wasmer_no_native {
    ($($ty:ty),*) => {$(
        impl WasmerTy for $ty {
            type Native = i32;
            const NATIVE: bool = false;
            fn from_native(_: i32) -> $ty {
                unreachable!("no typed wasmer function is made with this type")
            }
            fn into_native(self) -> i32 {
                unreachable!("no typed wasmer function is made with this type")
            }
        }
    )*};
}

wasmer_no_native!(u128, Option<ExternRef>, Option<FuncRef>);

/// Results as wasmer's typed functions return them.
pub trait WasmerResults: WasmTuple {
    /// wasmer's list of result types.
    type Native: WasmTypeList;
    /// Whether wasmer has every type.
    const NATIVE: bool;
    /// The results as wasmer's.
    fn into_native(self) -> Self::Native;
}

impl WasmerResults for () {
    type Native = ();
    const NATIVE: bool = true;
    #[inline(always)]
    fn into_native(self) {}
}

impl<T: WasmerTy> WasmerResults for T {
    type Native = T::Native;
    const NATIVE: bool = T::NATIVE;
    #[inline(always)]
    fn into_native(self) -> T::Native {
        WasmerTy::into_native(self)
    }
}

macro_rules! wasmer_results {
    ($($t:ident $i:tt),+) => {
        // wasmer's list of one type is that type, not a one-tuple.
        #[allow(unused_parens)]
        impl<$($t: WasmerTy),+> WasmerResults for ($($t,)+) {
            type Native = ($($t::Native),+);
            const NATIVE: bool = $($t::NATIVE)&&+;
            #[inline(always)]
            fn into_native(self) -> Self::Native {
                ($(self.$i.into_native()),+)
            }
        }
    };
}

wasmer_results!(A 0);
wasmer_results!(A 0, B 1);
wasmer_results!(A 0, B 1, C 2);
wasmer_results!(A 0, B 1, C 2, D 3);
wasmer_results!(A 0, B 1, C 2, D 3, E 4);
wasmer_results!(A 0, B 1, C 2, D 3, E 4, F 5);
wasmer_results!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
wasmer_results!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// The typed form of `body`, taking `$v: $t` and handing the body `$params`.
macro_rules! native_form {
    ($body:ident, $params:expr, $($t:ident $v:ident),*) => {{
        let $body = Arc::clone($body);
        let bind = move |store: &mut Store, env: &FunctionEnv<Env>, instance: usize| {
            let $body = Arc::clone(&$body);
            let typed = move |mut env: FunctionEnvMut<'_, Env>, $($v: $t::Native),*| {
                let mut access = Access::new(&mut env, instance);
                match $body(Caller::lend(&mut access).with_data(), $params) {
                    Ok(results) => Ok(results.into_native()),
                    Err(error) => Err(HostFailure(error)),
                }
            };
            Function::new_typed_with_env(store, env, typed)
        };
        Box::new(Native(Box::new(bind)))
    }};
}

/// A single parameter, which `WasmTuple` has both bare and as a one-tuple.
impl<A: WasmerTy, R: WasmerResults, T: Any> NativeWrap<A, R, T> for WasmerEngine {
    fn natives<F: HostFn<A, R, T>>(body: &Arc<F>, natives: &mut Vec<Box<dyn Any + Send + Sync>>) {
        if A::NATIVE && R::NATIVE {
            natives.push(native_form!(body, A::from_native(a), A a));
        }
    }
}

macro_rules! native_wrap {
    ($($t:ident $v:ident),*) => {
        impl<$($t: WasmerTy,)* R: WasmerResults, T: Any> NativeWrap<($($t,)*), R, T> for WasmerEngine {
            fn natives<F: HostFn<($($t,)*), R, T>>(
                body: &Arc<F>,
                natives: &mut Vec<Box<dyn Any + Send + Sync>>,
            ) {
                if true $(&& $t::NATIVE)* && R::NATIVE {
                    natives.push(native_form!(body, ($($t::from_native($v),)*), $($t $v),*));
                }
            }
        }
    };
}

native_wrap!();
native_wrap!(A a);
native_wrap!(A a, B b);
native_wrap!(A a, B b, C c);
native_wrap!(A a, B b, C c, D d);
native_wrap!(A a, B b, C c, D d, E e);
native_wrap!(A a, B b, C c, D d, E e, G g);
native_wrap!(A a, B b, C c, D d, E e, G g, H h);
native_wrap!(A a, B b, C c, D d, E e, G g, H h, I i);
