//! Functions: host functions made from C callbacks (with or without an
//! environment), their types, and calling any function.
//!
//! A host function is an engine `Func::new` closure that converts the
//! engine's values to a `wasm_val_vec_t`, calls the C callback, and
//! converts the results back; a trap the callback returns becomes the
//! engine trap (see `trap::to_engine_trap`). The environment's finalizer
//! runs when the store is deleted: the function stays callable (through an
//! instance that imported it, a table) for as long as the store lives,
//! whatever happens to the `wasm_func_t` it was made as.

use crate::ffi::{from_c, guard, ptr_ref, to_c};
use crate::refs::{as_kind, wasm_func_t, wasm_ref_t, Kind};
use crate::store::{wasm_store_t, HostInfo, Identity, StoreData};
use crate::trap::{new_trap, to_engine_trap, trap_from_error, trap_obj};
use crate::types::{wasm_functype_t, wasm_externtype_t, EngineType};
use crate::val::{from_engine, to_engine, wasm_val_t};
use crate::vec::{wasm_val_vec_t, wasm_vec};
use crate::refs::wasm_trap_t;
use engine::{Func, FuncType, Trap, Val};
use std::ffi::c_void;
use std::rc::{Rc, Weak};

pub type wasm_func_callback_t = unsafe extern "C" fn(args: *const wasm_val_vec_t, results: *mut wasm_val_vec_t) -> *mut wasm_trap_t;
pub type wasm_func_callback_with_env_t =
    unsafe extern "C" fn(env: *mut c_void, args: *const wasm_val_vec_t, results: *mut wasm_val_vec_t) -> *mut wasm_trap_t;

#[derive(Copy, Clone)]
enum Callback {
    Plain(wasm_func_callback_t),
    WithEnv(wasm_func_callback_with_env_t, *mut c_void),
}

/// What a host closure captures.
struct HostCall {
    store: Weak<StoreData>,
    callback: Callback,
    ty: FuncType,
}

// SAFETY: the engine requires host closures to be Send + Sync because its
// stores may move between threads. A C API store (and everything of it,
// including this closure's `Weak` and env pointer) is used by one thread
// at a time, the API's contract, so nothing here is touched concurrently.
unsafe impl Send for HostCall {}
// SAFETY: as above.
unsafe impl Sync for HostCall {}

impl HostCall {
    fn call(&self, params: &[Val], results: &mut [Val]) -> Result<(), Trap> {
        let store = self.store.upgrade().ok_or_else(|| Trap::host("the store of this host function is gone"))?;
        let args: Vec<wasm_val_t> = params
            .iter()
            .map(|v| from_engine(&store, *v))
            .collect::<Result<_, _>>()
            .map_err(Trap::host)?;
        let args = wasm_vec::from_vec(args);
        let mut out = wasm_vec::from_vec(self.ty.results.iter().map(|&t| wasm_val_t::zero(t)).collect());
        // SAFETY: the callback is the embedder's, registered for this type;
        // both vectors are ours and live across the call.
        let trap = unsafe {
            match self.callback {
                Callback::Plain(f) => f(&args, &mut out),
                Callback::WithEnv(f, env) => f(env, &args, &mut out),
            }
        };
        // SAFETY: NULL or a trap the callback hands to us.
        if let Some(t) = unsafe { from_c(trap) } {
            // SAFETY: `t` is ours now.
            return Err(match unsafe { trap_obj(&*t) } {
                Some(obj) => to_engine_trap(obj),
                None => Trap::host("the host function returned an object that is not a trap"),
            });
        }
        // SAFETY: our own vector, of the result count (the callback may not
        // resize it: the API gives it `results->data` to fill in place).
        let vals = unsafe { out.as_slice() };
        for ((slot, v), &t) in results.iter_mut().zip(vals).zip(&self.ty.results) {
            *slot = to_engine(&store, v, t).map_err(|e| Trap::host(format!("host function result: {e}")))?;
        }
        Ok(())
    }
}

/// # Safety
/// `f` must be NULL or a reference of ours.
pub unsafe fn func_of<'a>(f: *const wasm_func_t) -> Option<(&'a Rc<StoreData>, Func)> {
    // SAFETY: by the function's contract.
    match unsafe { as_kind(f, Kind::Func) }?.store_identity()? {
        (s, Identity::Func(f)) => Some((s, f)),
        _ => None,
    }
}

unsafe fn new_host_func(
    store: *mut wasm_store_t,
    ty: *const wasm_functype_t,
    callback: Callback,
    env: Option<HostInfo>,
) -> *mut wasm_func_t {
    // SAFETY: NULL or our store / type.
    let (Some(s), Some(ft)) = (unsafe { ptr_ref(store) }, unsafe { ptr_ref(ty) }.and_then(|t| t.func())) else {
        crate::ffi::misuse("wasm_func_new", "NULL store or not a function type");
        return std::ptr::null_mut();
    };
    let data = &s.data;
    let host = HostCall { store: Rc::downgrade(data), callback, ty: ft.clone() };
    let f = data.with(|st| Func::new(st, ft.clone(), move |_caller, params, results| host.call(params, results)));
    if let Some(env) = env {
        data.add_env(env);
    }
    to_c(wasm_ref_t::store_obj(data, Identity::Func(f)))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_func_new(
    store: *mut wasm_store_t,
    ty: *const wasm_functype_t,
    callback: Option<wasm_func_callback_t>,
) -> *mut wasm_func_t {
    guard(std::ptr::null_mut(), || match callback {
        // SAFETY: arguments checked by `new_host_func`.
        Some(cb) => unsafe { new_host_func(store, ty, Callback::Plain(cb), None) },
        None => {
            crate::ffi::misuse("wasm_func_new", "NULL callback");
            std::ptr::null_mut()
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_func_new_with_env(
    store: *mut wasm_store_t,
    ty: *const wasm_functype_t,
    callback: Option<wasm_func_callback_with_env_t>,
    env: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) -> *mut wasm_func_t {
    guard(std::ptr::null_mut(), || match callback {
        Some(cb) => {
            let fin = HostInfo { data: env, finalizer };
            // SAFETY: arguments checked by `new_host_func`.
            unsafe { new_host_func(store, ty, Callback::WithEnv(cb, env), Some(fin)) }
        }
        None => {
            crate::ffi::misuse("wasm_func_new_with_env", "NULL callback");
            std::ptr::null_mut()
        }
    })
}

fn func_type(s: &StoreData, f: Func) -> FuncType {
    s.with(|st| f.ty(st))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_func_type(f: *const wasm_func_t) -> *mut wasm_functype_t {
    // SAFETY: NULL or a reference of ours.
    guard(std::ptr::null_mut(), || match unsafe { func_of(f) } {
        Some((s, f)) => to_c(wasm_externtype_t::new(EngineType::Func(func_type(s, f)))),
        None => std::ptr::null_mut(),
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_func_param_arity(f: *const wasm_func_t) -> usize {
    // SAFETY: NULL or a reference of ours.
    guard(0, || unsafe { func_of(f) }.map(|(s, f)| func_type(s, f).params.len()).unwrap_or(0))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_func_result_arity(f: *const wasm_func_t) -> usize {
    // SAFETY: NULL or a reference of ours.
    guard(0, || unsafe { func_of(f) }.map(|(s, f)| func_type(s, f).results.len()).unwrap_or(0))
}

/// Calls `f` with `args` (one per parameter, of its types); the results go
/// to `results->data`, which must have room for one per result. A trap, or
/// a bad argument, comes back as a trap the caller owns.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_call(
    f: *const wasm_func_t,
    args: *const wasm_val_vec_t,
    results: *mut wasm_val_vec_t,
) -> *mut wasm_trap_t {
    guard(new_trap("internal error in wasm_func_call".into(), None), || {
        // SAFETY: NULL or a reference of ours.
        let Some((s, f)) = (unsafe { func_of(f) }) else {
            return new_trap("wasm_func_call: NULL or not a function".into(), None);
        };
        let ty = func_type(s, f);
        // SAFETY: NULL or the caller's vectors.
        let args: &[wasm_val_t] = match unsafe { args.as_ref() } {
            Some(a) => unsafe { a.as_slice() },
            None => &[],
        };
        if args.len() != ty.params.len() {
            return new_trap(format!("wasm_func_call: {} arguments given, the function takes {}", args.len(), ty.params.len()), None);
        }
        let mut params = Vec::with_capacity(args.len());
        for (i, (a, &t)) in args.iter().zip(&ty.params).enumerate() {
            match to_engine(s, a, t) {
                Ok(v) => params.push(v),
                Err(e) => return new_trap(format!("wasm_func_call: argument {i}: {e}"), None),
            }
        }
        // SAFETY: NULL or the caller's result vector.
        let out: &mut [wasm_val_t] = match unsafe { results.as_mut() } {
            Some(r) => unsafe { r.as_mut_slice() },
            None => &mut [],
        };
        let vals = match s.with(|st| f.call(st, &params)) {
            Ok(v) => v,
            Err(e) => return trap_from_error(e),
        };
        // Checked after the call: a call that traps reports its trap even
        // when the caller gave no room for results (upstream's trap example).
        if out.len() < ty.results.len() {
            return new_trap(
                format!("wasm_func_call: room for {} results given, the function returns {}", out.len(), ty.results.len()),
                None,
            );
        }
        for (slot, v) in out.iter_mut().zip(vals) {
            match from_engine(s, v) {
                Ok(c) => *slot = c,
                Err(e) => return new_trap(format!("wasm_func_call: {e}"), None),
            }
        }
        std::ptr::null_mut()
    })
}
