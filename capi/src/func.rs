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

use crate::ffi::{from_c, guard, guard_or, ptr_ref, to_c};
use crate::refs::wasm_trap_t;
use crate::refs::{as_kind, wasm_func_t, wasm_ref_t, Kind};
use crate::store::{wasm_store_t, HostInfo, Identity, StoreData};
use crate::trap::{new_trap, to_engine_trap, trap_from_error, trap_obj};
use crate::types::{wasm_externtype_t, wasm_functype_t, EngineType};
use crate::val::{from_engine, to_engine, wasm_val_t};
use crate::vec::{wasm_val_vec_t, Element};
use engine::instantiate::func::INLINE_VALUES;
use engine::{Func, FuncType, Trap, Val, ValType};
use std::ffi::c_void;
use std::mem::ManuallyDrop;
use std::rc::{Rc, Weak};

pub type wasm_func_callback_t =
    unsafe extern "C" fn(args: *const wasm_val_vec_t, results: *mut wasm_val_vec_t) -> *mut wasm_trap_t;
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
        // The C vectors point into arrays on this frame for the usual small
        // signatures: a host call allocates nothing. They are ManuallyDrop:
        // a vector's Drop would free `data` as if this library allocated it.
        let (np, nr) = (params.len(), self.ty.results.len());
        let mut inline = [wasm_val_t::zero(ValType::I32); 2 * INLINE_VALUES];
        let mut heap = Vec::new();
        let buf: &mut [wasm_val_t] = if np <= INLINE_VALUES && nr <= INLINE_VALUES {
            &mut inline
        } else {
            heap.resize(np + nr, wasm_val_t::zero(ValType::I32));
            &mut heap
        };
        let (c_args, rest) = buf.split_at_mut(np);
        for (slot, v) in c_args.iter_mut().zip(params) {
            *slot = from_engine(&store, *v).map_err(Trap::host)?;
        }
        let c_results = &mut rest[..nr];
        for (slot, &t) in c_results.iter_mut().zip(&self.ty.results) {
            *slot = wasm_val_t::zero(t);
        }
        let args = ManuallyDrop::new(wasm_val_vec_t { size: np, data: c_args.as_mut_ptr() });
        let mut out = ManuallyDrop::new(wasm_val_vec_t { size: nr, data: c_results.as_mut_ptr() });
        let mut result = self.run_callback(&args, &mut out);
        if result.is_ok() {
            for ((slot, v), &t) in results.iter_mut().zip(c_results.iter()).zip(&self.ty.results) {
                if let Err(e) = to_engine(&store, v, t).map(|x| *slot = x) {
                    result = Err(Trap::host(format!("host function result: {e}")));
                    break;
                }
            }
        }
        // References in both arrays (funcref/externref values made for the
        // call, results the callback handed over) are owned by the arrays,
        // as they were by the vectors the API describes: released here.
        for v in c_args.iter_mut().chain(c_results.iter_mut()) {
            v.release();
        }
        result
    }

    fn run_callback(&self, args: &wasm_val_vec_t, out: &mut wasm_val_vec_t) -> Result<(), Trap> {
        // SAFETY: the callback is the embedder's, registered for this type;
        // both vectors are ours and live across the call.
        let trap = unsafe {
            match self.callback {
                Callback::Plain(f) => f(args, out),
                Callback::WithEnv(f, env) => f(env, args, out),
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
    guard_or(
        || new_trap("internal error in wasm_func_call".into(), None),
        || {
            // SAFETY: NULL or a reference of ours.
            let Some((s, f)) = (unsafe { func_of(f) }) else {
                return new_trap("wasm_func_call: NULL or not a function".into(), None);
            };
            // SAFETY: NULL or the caller's vectors.
            let args: &[wasm_val_t] = match unsafe { args.as_ref() } {
                // SAFETY: the caller's vector holds `size` values at `data`.
                Some(a) => unsafe { a.as_slice() },
                None => &[],
            };
            // SAFETY: NULL or the caller's result vector.
            let out: &mut [wasm_val_t] = match unsafe { results.as_mut() } {
                // SAFETY: the caller's vector holds `size` slots at `data`, and
                // nothing else refers to them during the call.
                Some(r) => unsafe { r.as_mut_slice() },
                None => &mut [],
            };
            // Engine values on the stack (no allocation per call for the usual
            // small signatures); the type is borrowed from the store, not copied.
            let mut inline = [Val::I32(0); 2 * INLINE_VALUES];
            let mut heap = Vec::new();
            let outcome = s.with(|st| {
                let Some(ty) = f.ty_ref(st) else {
                    return Err(new_trap("wasm_func_call: the function belongs to no live store".into(), None));
                };
                let (np, nr) = (ty.params.len(), ty.results.len());
                if args.len() != np {
                    return Err(new_trap(
                        format!("wasm_func_call: {} arguments given, the function takes {np}", args.len()),
                        None,
                    ));
                }
                let buf: &mut [Val] = if np <= INLINE_VALUES && nr <= INLINE_VALUES {
                    &mut inline
                } else {
                    heap.resize(np + nr, Val::I32(0));
                    &mut heap
                };
                let (params, rest) = buf.split_at_mut(np);
                for (i, ((slot, a), &t)) in params.iter_mut().zip(args).zip(&ty.params).enumerate() {
                    match to_engine(s, a, t) {
                        Ok(v) => *slot = v,
                        Err(e) => return Err(new_trap(format!("wasm_func_call: argument {i}: {e}"), None)),
                    }
                }
                let vals = &mut rest[..nr];
                match f.call_into(st, params, vals) {
                    Ok(()) => Ok(&*vals),
                    Err(e) => Err(trap_from_error(e)),
                }
            });
            let vals = match outcome {
                Ok(v) => v,
                Err(trap) => return trap,
            };
            // Checked after the call: a call that traps reports its trap even
            // when the caller gave no room for results (upstream's trap example).
            if out.len() < vals.len() {
                return new_trap(
                    format!("wasm_func_call: room for {} results given, the function returns {}", out.len(), vals.len()),
                    None,
                );
            }
            for (slot, v) in out.iter_mut().zip(vals) {
                match from_engine(s, *v) {
                    Ok(c) => *slot = c,
                    Err(e) => return new_trap(format!("wasm_func_call: {e}"), None),
                }
            }
            std::ptr::null_mut()
        },
    )
}
