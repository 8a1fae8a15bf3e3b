//! Host functions made by `HostFunc::wrap_for::<WasmiEngine>` as wasmi's typed host functions
//! (`Linker::func_wrap`), which read their arguments straight from wasmi's value cells where
//! an untyped function (`Linker::func_new`) gets them as `Val`s.
//!
//! wasmi's typed functions take each value as a Rust type wasmi knows, so the form is made per
//! arity.

use std::any::Any;
use std::sync::Arc;

use wasmi::{Caller as WasmiCaller, Linker, V128};
use wasmux_core::{Caller, ExternRef, FuncRef, HostFn, NativeWrap, WasmTuple, WasmTy};

use crate::WasmiEngine;
use crate::host::{Access, catch_panic};
use crate::store::StoreData;

/// Defines a typed function as `module::name`.
type DefineNative = dyn Fn(&mut Linker<StoreData>, &str, &str) -> Result<(), wasmi::errors::LinkerError>
    + Send
    + Sync;

/// wasmi's form of a function made by `HostFunc::wrap_for` (see `HostFunc::native`).
pub(crate) struct Native(pub(crate) Box<DefineNative>);

/// A value type as wasmi's typed functions take it.
pub trait WasmiTy: WasmTy {
    /// wasmi's type.
    type Native: wasmi::WasmTy;
    /// Whether the typed form takes it (references go through `Val`s, which wasmux converts).
    const NATIVE: bool = true;
    /// The value from wasmi's.
    fn from_native(native: Self::Native) -> Self;
    /// The value as wasmi's.
    fn into_native(self) -> Self::Native;
}

macro_rules! wasmi_ty {
    ($($ty:ty),*) => {$(
        impl WasmiTy for $ty {
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

wasmi_ty!(i32, u32, i64, u64, f32, f64);

impl WasmiTy for u128 {
    type Native = V128;
    #[inline(always)]
    fn from_native(native: V128) -> u128 {
        native.as_u128()
    }
    #[inline(always)]
    fn into_native(self) -> V128 {
        V128::from(self)
    }
}

/// References run as untyped functions, which convert them through `Val`s; no typed form is
/// made for a signature with one.
macro_rules! wasmi_no_native {
    ($($ty:ty),*) => {$(
        impl WasmiTy for $ty {
            type Native = i32;
            const NATIVE: bool = false;
            fn from_native(_: i32) -> $ty {
                unreachable!("no typed wasmi function is made with a reference")
            }
            fn into_native(self) -> i32 {
                unreachable!("no typed wasmi function is made with a reference")
            }
        }
    )*};
}

wasmi_no_native!(Option<ExternRef>, Option<FuncRef>);

/// Results as wasmi's typed functions return them.
pub trait WasmiResults: WasmTuple {
    /// wasmi's list of result types.
    type Native;
    /// The results as wasmi's.
    fn into_native(self) -> Self::Native;
}

impl<T: WasmiTy> WasmiResults for T {
    type Native = T::Native;
    #[inline(always)]
    fn into_native(self) -> T::Native {
        WasmiTy::into_native(self)
    }
}

macro_rules! wasmi_results {
    ($($t:ident $i:tt),*) => {
        impl<$($t: WasmiTy),*> WasmiResults for ($($t,)*) {
            type Native = ($($t::Native,)*);
            #[inline(always)]
            #[allow(clippy::unused_unit)]
            fn into_native(self) -> Self::Native {
                ($(self.$i.into_native(),)*)
            }
        }
    };
}

wasmi_results!();
wasmi_results!(A 0);
wasmi_results!(A 0, B 1);
wasmi_results!(A 0, B 1, C 2);
wasmi_results!(A 0, B 1, C 2, D 3);
wasmi_results!(A 0, B 1, C 2, D 3, E 4);
wasmi_results!(A 0, B 1, C 2, D 3, E 4, F 5);
wasmi_results!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
wasmi_results!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// The typed form of `body`, taking `$v: $t` and handing the body `$params`.
macro_rules! native_form {
    ($body:ident, $params:expr, $($t:ident $v:ident),*) => {{
        let $body = Arc::clone($body);
        let define = move |linker: &mut Linker<StoreData>, module: &str, name: &str| {
            let $body = Arc::clone(&$body);
            let typed = move |mut caller: WasmiCaller<'_, StoreData>, $($v: $t::Native),*| {
                catch_panic(&mut caller, |caller| {
                    $body(Caller::lend(&mut Access::new(caller)).with_data(), $params)
                })
                .map(WasmiResults::into_native)
            };
            linker.func_wrap(module, name, typed).map(drop)
        };
        Box::new(Native(Box::new(define)))
    }};
}

/// A single parameter, which `WasmTuple` has both bare and as a one-tuple.
impl<A: WasmiTy, R: WasmiResults, T: Any> NativeWrap<A, R, T> for WasmiEngine
where
    Result<R::Native, wasmi::Error>: wasmi::WasmRet,
{
    fn natives<F: HostFn<A, R, T>>(body: &Arc<F>, natives: &mut Vec<Box<dyn Any + Send + Sync>>) {
        if A::NATIVE && R::NUMERIC {
            natives.push(native_form!(body, A::from_native(a), A a));
        }
    }
}

macro_rules! native_wrap {
    ($($t:ident $v:ident),*) => {
        impl<$($t: WasmiTy,)* R: WasmiResults, T: Any> NativeWrap<($($t,)*), R, T> for WasmiEngine
        where
            Result<R::Native, wasmi::Error>: wasmi::WasmRet,
        {
            fn natives<F: HostFn<($($t,)*), R, T>>(
                body: &Arc<F>,
                natives: &mut Vec<Box<dyn Any + Send + Sync>>,
            ) {
                if true $(&& $t::NATIVE)* && R::NUMERIC {
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
