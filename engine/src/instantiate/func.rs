//! Functions as the host sees them: handles to wasm functions of an
//! instance or to host functions, calling them from the host, and the
//! `Caller` context given to host functions.

use crate::error::{Error, Trap};
use crate::instantiate::instance::Instance;
use crate::instantiate::store::Store;
use crate::instantiate::values::{Extern, Val};
use crate::parse::types::FuncType;
use crate::run::entry;
use crate::vm::layout::{VMContext, VMFuncRef, VMLimits, ValRaw};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// Params/results up to which [`Func::call_into`] needs no heap buffer.
pub const INLINE_VALUES: usize = 8;

/// A host function taking and returning typed values.
pub type TypedHostFn = dyn Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync;
/// A host function working on the raw value array: params in
/// `args[..n_params]`, results written to `args[..n_results]`.
pub type RawHostFn = dyn Fn(&mut Caller<'_>, &mut [ValRaw]) -> Result<(), Trap> + Send + Sync;

#[derive(Clone)]
pub(crate) enum HostFn {
    Typed(Arc<TypedHostFn>),
    Raw(Arc<RawHostFn>),
}

/// A host function owned by a store. Its address is the `vmctx` of every
/// VMFuncRef that calls it (the "host context" HostCall receives).
pub(crate) struct HostFuncData {
    /// Shared so a call can hold it without copying the type.
    pub ty: Arc<FuncType>,
    pub type_id: u32,
    pub func: HostFn,
    /// This function's own funcref, for when it is used as a value; `code`
    /// stays null until then (see `StoreInner::funcref_of`).
    pub funcref: VMFuncRef,
}

impl HostFuncData {
    pub fn ctx_ptr(&self) -> *mut VMContext {
        self as *const HostFuncData as *mut VMContext
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum FuncKind {
    /// A function defined (not imported) by instance `instance`.
    Wasm { instance: u32, index: u32 },
    /// `StoreInner::host_funcs[i]`.
    Host(u32),
}

/// A handle to a function in a [`Store`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Func {
    pub(crate) store: u64,
    pub(crate) kind: FuncKind,
}

/// Context given to a host function.
pub struct Caller<'a> {
    pub(crate) store: &'a mut Store,
    /// The calling instance, if called from wasm.
    pub(crate) instance: Option<u32>,
}

impl Caller<'_> {
    /// Linear memory of the calling instance: its export named "memory",
    /// else its memory 0. None when called directly from the host or when
    /// the instance has no memory.
    pub fn memory(&mut self) -> Option<&mut [u8]> {
        let inst = self.instance?;
        let inner = &mut *self.store.inner;
        let mem = inner.instances.get(inst as usize)?.caller_memory?;
        Some(mem.get_mut(inner)?.data_mut())
    }

    /// An export of the calling instance.
    pub fn get_export(&mut self, name: &str) -> Option<Extern> {
        let inst = self.instance?;
        let inner = &self.store.inner;
        inner.instances.get(inst as usize)?.export(inner.id, inst, name)
    }

    /// The calling instance, if called from wasm.
    pub fn instance(&self) -> Option<Instance> {
        self.instance.map(|index| Instance { store: self.store.inner.id, index })
    }

    pub fn store(&mut self) -> &mut Store {
        self.store
    }
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// Runs a host function on a raw value array, turning a panic into a trap
/// so it never unwinds into compiled code, and its return after an
/// interrupt into the interrupt trap.
pub(crate) fn invoke_host(caller: &mut Caller<'_>, ty: &FuncType, func: &HostFn, values: &mut [ValRaw]) -> Result<(), Trap> {
    let outcome = catch_unwind(AssertUnwindSafe(|| match func {
        HostFn::Raw(f) => f(caller, values),
        HostFn::Typed(f) => {
            let inner = &caller.store.inner;
            // Typed values on the stack for the usual small signatures, so
            // a host call allocates nothing.
            let (np, nr) = (ty.params.len(), ty.results.len());
            let mut inline = [Val::I32(0); 2 * INLINE_VALUES];
            let mut heap = Vec::new();
            let buf: &mut [Val] = if np <= INLINE_VALUES && nr <= INLINE_VALUES {
                &mut inline
            } else {
                heap.resize(np + nr, Val::I32(0));
                &mut heap
            };
            let (params, rest) = buf.split_at_mut(np.min(buf.len()));
            for ((slot, &t), &raw) in params.iter_mut().zip(ty.params.iter()).zip(values.iter()) {
                *slot = inner.raw_to_val(raw, t);
            }
            let results = &mut rest[..nr];
            for (slot, &t) in results.iter_mut().zip(ty.results.iter()) {
                *slot = Val::default_for(t);
            }
            let params: &[Val] = params;
            f(caller, params, results)?;
            for (i, (r, &t)) in results.iter().zip(ty.results.iter()).enumerate() {
                if !r.fits(t) {
                    return Err(Trap::host(format!("host function returned a {:?} for result {i} of type {t:?}", r.ty())));
                }
                let raw = caller.store.inner.val_to_raw(r).map_err(|e| Trap::host(e.to_string()))?;
                match values.get_mut(i) {
                    Some(slot) => *slot = raw,
                    None => return Err(Trap::host("result array too short")),
                }
            }
            Ok(())
        }
    }));
    let r = match outcome {
        Ok(r) => r,
        Err(p) => Err(Trap::host(format!("host function panicked: {}", panic_message(p)))),
    };
    // A host function that returns after the store was interrupted (woken
    // from a blocking wait, or finishing a slow call) stops the guest here
    // rather than at its next check; a guest that asked to exit still exits.
    match r {
        Err(t) if t.exit_code().is_some() => Err(t),
        _ if caller.store.inner.interrupt.is_interrupted() => Err(Trap::new(crate::vm::trap::TrapKind::Interrupt)),
        r => r,
    }
}

impl Func {
    /// A host function with typed values.
    pub fn new(
        store: &mut Store,
        ty: FuncType,
        f: impl Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> Func {
        Func::from_host_fn(store, Arc::new(ty), HostFn::Typed(Arc::new(f)))
    }

    /// A host function on the raw value array (the fast path used by
    /// hostabi): params in `args[..n_params]`, results to `args[..n_results]`.
    pub fn new_raw(
        store: &mut Store,
        ty: FuncType,
        f: impl Fn(&mut Caller<'_>, &mut [ValRaw]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> Func {
        Func::from_host_fn(store, Arc::new(ty), HostFn::Raw(Arc::new(f)))
    }

    pub(crate) fn from_host_fn(store: &mut Store, ty: Arc<FuncType>, func: HostFn) -> Func {
        let type_id = store.inner.engine.signature_id(&ty);
        let f = store.inner.push_host_func(HostFuncData {
            ty,
            type_id,
            func,
            funcref: VMFuncRef { code: std::ptr::null(), vmctx: std::ptr::null_mut(), type_id },
        });
        if let FuncKind::Host(h) = f.kind {
            if let Some(data) = store.inner.host_funcs.get_mut(h as usize) {
                data.funcref.vmctx = data.ctx_ptr();
            }
        }
        f
    }

    /// The function's type (empty for a handle of another store).
    pub fn ty(&self, store: &Store) -> FuncType {
        self.try_ty(store).unwrap_or_default()
    }

    fn try_ty(&self, store: &Store) -> Result<FuncType, Error> {
        self.try_ty_ref(store).cloned()
    }

    /// The function's type, borrowed from the store (no copy), or None for
    /// a handle of another store.
    pub fn ty_ref<'a>(&self, store: &'a Store) -> Option<&'a FuncType> {
        self.try_ty_ref(store).ok()
    }

    fn try_ty_ref<'a>(&self, store: &'a Store) -> Result<&'a FuncType, Error> {
        let inner = &store.inner;
        if self.store != inner.id {
            return Err(Error::ForeignHandle);
        }
        // A handle of this store names a function it has: stores only add.
        match self.kind {
            FuncKind::Host(h) => Ok(inner.host_funcs.get(h as usize).ok_or_else(missing_func)?.ty.as_ref()),
            FuncKind::Wasm { instance, index } => {
                let inst = inner.instances.get(instance as usize).ok_or_else(missing_func)?;
                let info = inst.module.info();
                let t = info.functions.get(index as usize).ok_or_else(missing_func)?;
                info.types.get(*t as usize).ok_or_else(missing_func)
            }
        }
    }

    /// Calls the function. Params are type-checked; a trap comes back as
    /// `Err(Error::Trap(..))` with a backtrace.
    pub fn call(&self, store: &mut Store, params: &[Val]) -> Result<Vec<Val>, Error> {
        let n = self.try_ty_ref(store)?.results.len();
        let mut results = vec![Val::I32(0); n];
        self.call_into(store, params, &mut results)?;
        Ok(results)
    }

    /// Calls the function with `params`, writing its results to `results`,
    /// which must have exactly one slot per result. Params are type-checked
    /// against the function's type where it is stored (no copy of it), and
    /// calls of up to [`INLINE_VALUES`] params/results convert on the stack:
    /// nothing is allocated per call. This is the embedding APIs' call path.
    pub fn call_into(&self, store: &mut Store, params: &[Val], results: &mut [Val]) -> Result<(), Error> {
        let ty = self.try_ty_ref(store)?;
        if params.len() != ty.params.len() {
            return Err(Error::Instantiation(format!("function expects {} arguments, got {}", ty.params.len(), params.len())));
        }
        if results.len() != ty.results.len() {
            return Err(Error::Instantiation(format!(
                "function returns {} results, room for {} given",
                ty.results.len(),
                results.len()
            )));
        }
        for (i, (p, &t)) in params.iter().zip(ty.params.iter()).enumerate() {
            if !p.fits(t) {
                return Err(Error::Instantiation(format!("argument {i} has type {:?}, the function expects {t:?}", p.ty())));
            }
        }
        let len = params.len().max(results.len()).max(1);
        let mut inline = [ValRaw::default(); INLINE_VALUES];
        let mut heap = Vec::new();
        let values: &mut [ValRaw] = if len <= INLINE_VALUES {
            &mut inline[..len]
        } else {
            heap.resize(len, ValRaw::default());
            &mut heap
        };
        for (slot, p) in values.iter_mut().zip(params) {
            *slot = store.inner.val_to_raw(p)?;
        }
        self.call_raw(store, values)?;
        // The type is read again: the call may have added to the store.
        let ty = self.try_ty_ref(store)?;
        for ((r, &t), &raw) in results.iter_mut().zip(ty.results.iter()).zip(values.iter()) {
            *r = store.inner.raw_to_val(raw, t);
        }
        Ok(())
    }

    /// Calls with a value array the caller has sized (max(params, results)
    /// slots) and filled with params of the function's types.
    fn call_raw(&self, store: &mut Store, values: &mut [ValRaw]) -> Result<(), Error> {
        store.enter();
        match self.kind {
            FuncKind::Host(h) => {
                let data = store.inner.host_funcs.get(h as usize).ok_or_else(missing_func)?;
                let (ty, func) = (data.ty.clone(), data.func.clone());
                let mut caller = Caller { store, instance: None };
                invoke_host(&mut caller, &ty, &func, values).map_err(Error::Trap)
            }
            FuncKind::Wasm { instance, index } => {
                let inner = &mut *store.inner;
                let inst = inner.instances.get(instance as usize).ok_or_else(missing_func)?;
                let funcref = inst.funcs.get(index as usize).ok_or_else(missing_func)?;
                let type_index = *inst.module.info().functions.get(index as usize).ok_or_else(missing_func)?;
                let trampoline = inst
                    .module
                    .entry_trampoline(type_index)
                    .ok_or_else(|| Error::Instantiation(format!("no entry trampoline for type {type_index}")))?;
                let (code, vmctx) = (funcref.code, funcref.vmctx);
                let max_stack = inner.engine.config().max_wasm_stack;
                let limits: *mut VMLimits = &mut inner.limits;
                // SAFETY: the trampoline is the module's entry trampoline for
                // the callee's type; `code`/`vmctx` come from the callee's
                // VMFuncRef in an instance this store keeps alive; `values`
                // has max(params, results) slots with the params converted
                // by type; `limits` is the store's, which its instances read.
                unsafe { entry::call(limits, max_stack, trampoline, code, vmctx, vmctx, values.as_mut_ptr()) }
            }
        }
    }
}

/// A function handle of the right store that names no function of it:
/// stores only ever add functions, so this is a bug of the engine's.
fn missing_func() -> Error {
    Error::internal("a function handle of this store names no function of it")
}
