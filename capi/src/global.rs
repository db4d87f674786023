//! Globals: made by the host or exported by an instance; typed get and set.

use crate::ffi::{guard, ptr_ref, to_c};
use crate::refs::{as_kind, wasm_global_t, wasm_ref_t, Kind};
use crate::store::{wasm_store_t, Identity, StoreData};
use crate::types::{wasm_externtype_t, wasm_globaltype_t, EngineType};
use crate::val::{from_engine, to_engine, wasm_val_t};
use engine::Global;
use std::rc::Rc;

/// # Safety
/// `g` must be NULL or a reference of ours.
unsafe fn global_of<'a>(g: *const wasm_global_t) -> Option<(&'a Rc<StoreData>, Global)> {
    // SAFETY: by the function's contract.
    match unsafe { as_kind(g, Kind::Global) }?.store_identity()? {
        (s, Identity::Global(g)) => Some((s, g)),
        _ => None,
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_global_new(
    store: *mut wasm_store_t,
    ty: *const wasm_globaltype_t,
    val: *const wasm_val_t,
) -> *mut wasm_global_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or our objects; `val` NULL or a valid value.
        let (Some(s), Some(gt), Some(v)) =
            (unsafe { ptr_ref(store) }, unsafe { ptr_ref(ty) }.and_then(|t| t.global()), unsafe { ptr_ref(val) })
        else {
            crate::ffi::misuse("wasm_global_new", "NULL store, value or not a global type");
            return std::ptr::null_mut();
        };
        let init = match to_engine(&s.data, v, gt.ty) {
            Ok(v) => v,
            Err(e) => {
                crate::ffi::misuse("wasm_global_new", &e);
                return std::ptr::null_mut();
            }
        };
        match s.data.with(|st| Global::new(st, *gt, init)) {
            Ok(g) => to_c(wasm_ref_t::store_obj(&s.data, Identity::Global(g))),
            Err(e) => {
                crate::ffi::misuse("wasm_global_new", &e.to_string());
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_global_type(g: *const wasm_global_t) -> *mut wasm_globaltype_t {
    // SAFETY: NULL or a reference of ours.
    guard(std::ptr::null_mut(), || match unsafe { global_of(g) } {
        Some((s, g)) => to_c(wasm_externtype_t::new(EngineType::Global(s.with(|st| g.ty(st))))),
        None => std::ptr::null_mut(),
    })
}

/// The value (a reference in it is a new one the caller owns). A NULL or
/// non-global `g` gives an i32 0.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_get(g: *const wasm_global_t, out: *mut wasm_val_t) {
    guard((), || {
        // SAFETY: NULL or a reference of ours.
        let v = match unsafe { global_of(g) } {
            Some((s, g)) => {
                let v = s.with(|st| g.get(st));
                from_engine(s, v).unwrap_or_else(|e| {
                    crate::ffi::misuse("wasm_global_get", &e);
                    wasm_val_t::zero(engine::ValType::I32)
                })
            }
            None => {
                crate::ffi::misuse("wasm_global_get", "NULL or not a global");
                wasm_val_t::zero(engine::ValType::I32)
            }
        };
        if !out.is_null() {
            // SAFETY: the caller's output slot.
            unsafe { std::ptr::write(out, v) }
        }
    })
}

/// Sets a mutable global; a wrong type or an immutable global leaves it
/// unchanged (the reason: `faasm_last_error_message`).
#[no_mangle]
pub unsafe extern "C" fn wasm_global_set(g: *mut wasm_global_t, val: *const wasm_val_t) {
    guard((), || {
        // SAFETY: NULL or our objects.
        let (Some((s, g)), Some(v)) = (unsafe { global_of(g) }, unsafe { ptr_ref(val) }) else {
            crate::ffi::misuse("wasm_global_set", "NULL value or not a global");
            return;
        };
        let ty = s.with(|st| g.ty(st));
        let r = to_engine(s, v, ty.ty).and_then(|v| s.with(|st| g.set(st, v)).map_err(|e| e.to_string()));
        if let Err(e) = r {
            crate::ffi::misuse("wasm_global_set", &e);
        }
    })
}
