//! Host functions: wasmux's [`HostFunc`]s bound as wasmer functions of one instance of a store,
//! and the one place where guest memory is lent to the host as a slice.

use std::sync::Arc;

use wasmer::{
    AsStoreMut, AsStoreRef, Function, FunctionEnv, FunctionEnvMut, Memory, RuntimeError, Store,
    Value,
};

use wasmux_core::backend::{BitsBuf, CallerAccess, CallerExterns, ScopeMark};
use wasmux_core::{Caller, HostError, HostFunc, HostState, Val};

use crate::native::Native;
use crate::tunables::LimitTunables;
use crate::values::{bits_to_wasmer, from_wasmer, to_wasmer, to_wasmer_func_type, wasmer_to_bits};

/// What the host functions of a store share, kept in the store.
pub(crate) struct Env {
    /// The embedder's data and the WASI context.
    pub state: HostState,
    /// Each instance's export `memory`, by the instance's number in the store, set right after
    /// its instantiation (before any guest code runs: the start function is called afterwards).
    pub memories: Vec<Option<Memory>>,
    /// Each instance, by its number, set with its memory: where `Caller::get_export` looks.
    pub instances: Vec<Option<Arc<wasmer::Instance>>>,
    /// The handles host calls got from `Caller::get_export`.
    pub caller_externs: CallerExterns<wasmer::Extern>,
    /// Whether the store's calls run metered or watched for a deadline: the bookkeeping of
    /// both lives with the instance's own calls, so a host function cannot call the guest.
    pub guarded: bool,
    /// The store's limits, for growing a memory from a host function.
    pub tunables: Arc<LimitTunables>,
}

impl Env {
    pub(crate) fn new(state: HostState, guarded: bool, tunables: Arc<LimitTunables>) -> Self {
        Env {
            tunables,
            state,
            memories: Vec::new(),
            instances: Vec::new(),
            caller_externs: CallerExterns::default(),
            guarded,
        }
    }

    /// Numbers the next instance, whose memory and exports are not known yet.
    pub(crate) fn add_instance(&mut self) -> usize {
        self.memories.push(None);
        self.instances.push(None);
        self.memories.len() - 1
    }
}

/// The bytes of `memory`, for as long as the store is borrowed.
///
/// This is the only place the backend turns guest memory into a Rust slice.
#[inline]
pub(crate) fn guest_memory<'a>(memory: &Memory, store: impl AsStoreMut + 'a) -> &'a mut [u8] {
    let view = memory.view(&store);
    let (ptr, len) = (view.data_ptr(), usize::try_from(view.data_size()).unwrap_or(0));
    if ptr.is_null() || len == 0 {
        return &mut [];
    }
    // SAFETY: `ptr..ptr+len` is the memory's current accessible range, as wasmer's own
    // `MemoryView::data_unchecked_mut` builds it. Its requirement holds for `'a`: while the
    // slice lives, the memory is neither accessed except through it nor resized. The slice
    // borrows `store` exclusively for `'a`, and all guest code, `memory.grow` included, runs
    // only through a `&mut` borrow of that store, so none can run while the slice lives;
    // the host reaches this memory only through that same store. The memory belongs to one
    // store, used by one thread at a time, so even a `shared` memory has no other thread
    // running code on it.
    unsafe { std::slice::from_raw_parts_mut(ptr, len) }
}

/// `func` as a wasmer function of instance number `instance` of the store whose environment is
/// `env`: it sees that instance's memory.
///
/// A function made by `HostFunc::wrap_for::<WasmerEngine>` becomes a typed wasmer function,
/// which the guest calls natively. Otherwise a signature of numbers and vectors only passes
/// its arguments as bits on the stack ([`HostFunc::call_bits`]); wasmer's dynamic functions
/// still return a `Vec` of results.
pub(crate) fn bind(
    store: &mut Store,
    env: &FunctionEnv<Env>,
    instance: usize,
    func: HostFunc,
) -> Function {
    if let Some(Native(bind_native)) = func.native::<Native>() {
        return bind_native(store, env, instance);
    }
    let ty = to_wasmer_func_type(func.ty());
    if func.ty().is_numeric() {
        return Function::new_with_env(
            store,
            env,
            ty,
            move |mut env: FunctionEnvMut<'_, Env>, args| {
                let results = func.ty().results();
                let mut bits = BitsBuf::new(args.len().max(results.len()));
                let bits = bits.as_mut_slice();
                for (slot, arg) in bits.iter_mut().zip(args) {
                    *slot = wasmer_to_bits(arg);
                }
                run(&mut env, instance, |caller| func.call_bits(caller, bits))
                    .map_err(host_trap)?;
                Ok(results
                    .iter()
                    .zip(bits.iter())
                    .map(|(ty, bits)| bits_to_wasmer(*ty, *bits))
                    .collect())
            },
        );
    }
    let empty_results: Vec<Val> =
        func.ty().results().iter().map(|t| Val::default_for(*t)).collect();
    Function::new_with_env(store, env, ty, move |mut env: FunctionEnvMut<'_, Env>, args| {
        let params: Vec<Val> = args.iter().map(|v| from_wasmer(v, &env.as_store_ref())).collect();
        let mut results = empty_results.clone();
        run(&mut env, instance, |caller| func.call(caller, &params, &mut results))
            .map_err(host_trap)?;
        let mut store = env.as_store_mut();
        results
            .iter()
            .map(|v| to_wasmer(v, &mut store))
            .collect::<Result<Vec<Value>, _>>()
            .map_err(|error| host_trap(HostError::trap(error.to_string())))
    })
}

/// Runs a host function's body, which sees instance number `instance`'s memory and the host
/// state on demand.
#[inline]
fn run(
    env: &mut FunctionEnvMut<'_, Env>,
    instance: usize,
    body: impl FnOnce(&mut Caller<'_>) -> Result<(), HostError>,
) -> Result<(), HostError> {
    body(&mut Caller::lend(&mut Access::new(env, instance)))
}

/// What a host function sees of its caller, instance number `instance` of the store; its
/// exports are in `caller_exports`.
pub(crate) struct Access<'a, 'b> {
    pub(crate) env: &'a mut FunctionEnvMut<'b, Env>,
    pub(crate) instance: usize,
    /// The scope of the handles this host call got from `get_export`, once it has any.
    pub(crate) mark: Option<ScopeMark>,
}

impl<'a, 'b> Access<'a, 'b> {
    #[inline(always)]
    pub(crate) fn new(env: &'a mut FunctionEnvMut<'b, Env>, instance: usize) -> Self {
        Access { env, instance, mark: None }
    }
}

impl Drop for Access<'_, '_> {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(mark) = self.mark.take() {
            self.env.data_mut().caller_externs.close(mark);
        }
    }
}

impl CallerAccess for Access<'_, '_> {
    #[inline(always)]
    fn memory_and_state(&mut self) -> (Option<&mut [u8]>, &mut HostState) {
        let (data, store) = self.env.data_and_store_mut();
        let memory = data.memories.get(self.instance).and_then(Option::as_ref);
        (memory.map(|memory| guest_memory(memory, store)), &mut data.state)
    }

    #[inline]
    fn state(&mut self) -> &mut HostState {
        &mut self.env.data_mut().state
    }
}

/// A host function's failure as the trap wasmer unwinds the guest with; recovered by
/// [`crate::traps::from_runtime_error`].
pub(crate) fn host_trap(error: HostError) -> RuntimeError {
    RuntimeError::user(Box::new(crate::traps::HostFailure(error)))
}
