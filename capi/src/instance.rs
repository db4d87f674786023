//! Instances: instantiation with a positional import list, and exports.

use crate::externs::{new_extern, to_extern};
use crate::ffi::{guard, ptr_ref, to_c};
use crate::module::module_obj;
use crate::refs::{as_kind, wasm_instance_t, wasm_module_t, wasm_ref_t, wasm_trap_t, Kind};
use crate::store::{wasm_store_t, Identity, StoreData};
use crate::trap::{new_trap, trap_from_error};
use crate::vec::{wasm_extern_vec_t, wasm_vec, write_out};
use engine::{Extern, Instance};
use std::rc::Rc;

/// # Safety
/// `i` must be NULL or a reference of ours.
pub unsafe fn instance_of<'a>(i: *const wasm_instance_t) -> Option<(&'a Rc<StoreData>, Instance)> {
    // SAFETY: by the function's contract.
    match unsafe { as_kind(i, Kind::Instance) }?.store_identity()? {
        (s, Identity::Instance(i)) => Some((s, i)),
        _ => None,
    }
}

/// Reports a failure: into `*trap` if the caller asked for it.
///
/// # Safety
/// `trap` must be NULL or writable.
unsafe fn fail(trap: *mut *mut wasm_trap_t, t: *mut wasm_trap_t) -> *mut wasm_instance_t {
    // SAFETY: the caller guarantees `trap` is NULL or writable.
    if let Some(slot) = unsafe { trap.as_mut() } {
        *slot = t;
    } else {
        // SAFETY: ours, not handed out: keep its message, free it.
        if let Some(t) = unsafe { crate::trap::trap_obj(t) } {
            crate::error::set_last_error(t.message.clone());
        }
        // SAFETY: `t` is a trap this library just made and nobody else
        // holds: freed once, here.
        drop(unsafe { crate::ffi::from_c(t) });
    }
    std::ptr::null_mut()
}

/// Instantiates `module` with `imports` in the module's import order. On a
/// trap (start function, segment initialisation) or any other failure
/// (wrong count or type of imports: the message names the import) returns
/// NULL and, if `trap` is not NULL, a trap with the reason in `*trap`.
#[no_mangle]
pub unsafe extern "C" fn wasm_instance_new(
    store: *mut wasm_store_t,
    module: *const wasm_module_t,
    imports: *const wasm_extern_vec_t,
    trap: *mut *mut wasm_trap_t,
) -> *mut wasm_instance_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: `trap` is NULL or a writable slot (the C API contract); `fail` below relies on the same.
        if let Some(slot) = unsafe { trap.as_mut() } {
            *slot = std::ptr::null_mut();
        }
        // SAFETY: NULL or our objects.
        let (Some(s), Some(m)) = (unsafe { ptr_ref(store) }, unsafe { module_obj(module) }) else {
            // SAFETY: `trap` is NULL or writable (checked use above).
            return unsafe { fail(trap, new_trap("wasm_instance_new: NULL store or not a module".into(), None)) };
        };
        // SAFETY: NULL or the caller's vector of references of ours.
        let given: &[*mut wasm_ref_t] = match unsafe { imports.as_ref() } {
            // SAFETY: the caller's vector holds `size` references at `data`.
            Some(v) => unsafe { v.as_slice() },
            None => &[],
        };
        let mut exts: Vec<Extern> = Vec::with_capacity(given.len());
        for (i, &p) in given.iter().enumerate() {
            // SAFETY: NULL or a reference of ours.
            let r = unsafe { as_kind(p, Kind::Extern) };
            match r.and_then(|r| Some((r.store_identity()?.0, to_extern(r)?))) {
                Some((rs, e)) if Rc::ptr_eq(rs, &s.data) => exts.push(e),
                Some(_) => {
                    let trap_msg = new_trap(format!("wasm_instance_new: import {i} belongs to another store"), None);
                    // SAFETY: `trap` is NULL or writable (the C API contract).
                    return unsafe { fail(trap, trap_msg) };
                }
                None => {
                    let trap_msg = new_trap(format!("wasm_instance_new: import {i} is NULL or not an external"), None);
                    // SAFETY: `trap` is NULL or writable (the C API contract).
                    return unsafe { fail(trap, trap_msg) };
                }
            }
        }
        match s.data.with(|st| Instance::new(st, &m.module, &exts)) {
            Ok(i) => to_c(wasm_ref_t::store_obj(&s.data, Identity::Instance(i))),
            // SAFETY: `trap` is NULL or writable (the C API contract).
            Err(e) => unsafe { fail(trap, trap_from_error(e)) },
        }
    })
}

/// Every export, in the module's order (the order of `wasm_module_exports`).
#[no_mangle]
pub unsafe extern "C" fn wasm_instance_exports(i: *const wasm_instance_t, out: *mut wasm_extern_vec_t) {
    guard((), || {
        // SAFETY: NULL or a reference of ours.
        let v = match unsafe { instance_of(i) } {
            Some((s, i)) => s.with(|st| i.exports(st)).into_iter().map(|(_, e)| new_extern(s, e)).collect(),
            None => Vec::new(),
        };
        // SAFETY: the caller's output slot.
        unsafe { write_out(out, wasm_vec::from_vec(v)) }
    })
}

/// The export named `name` (`len` bytes), or NULL.
#[no_mangle]
pub unsafe extern "C" fn faasm_instance_export(
    i: *const wasm_instance_t,
    name: *const u8,
    len: usize,
) -> *mut crate::refs::wasm_extern_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a reference of ours; `name` has `len` bytes.
        let Some((s, i)) = (unsafe { instance_of(i) }) else { return std::ptr::null_mut() };
        if name.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: `name` is not NULL and points to `len` bytes (the C API contract).
        let bytes = unsafe { std::slice::from_raw_parts(name, len) };
        let Ok(name) = std::str::from_utf8(bytes) else { return std::ptr::null_mut() };
        match s.with(|st| i.get_export(st, name)) {
            Some(e) => new_extern(s, e),
            None => std::ptr::null_mut(),
        }
    })
}
