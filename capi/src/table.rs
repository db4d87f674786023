//! Tables: made by the host or exported by an instance; get, set, size and
//! grow with references (NULL is the null reference).

use crate::ffi::{guard, ptr_ref, to_c};
use crate::refs::{as_kind, wasm_ref_t, wasm_table_t, Kind};
use crate::store::{wasm_store_t, Identity, StoreData};
use crate::types::{wasm_externtype_t, wasm_tabletype_t, EngineType};
use crate::val::{ref_from_engine, ref_to_val};
use engine::Table;
use std::rc::Rc;

pub type wasm_table_size_t = u32;

/// # Safety
/// `t` must be NULL or a reference of ours.
unsafe fn table_of<'a>(t: *const wasm_table_t) -> Option<(&'a Rc<StoreData>, Table)> {
    // SAFETY: by the function's contract.
    match unsafe { as_kind(t, Kind::Table) }?.store_identity()? {
        (s, Identity::Table(t)) => Some((s, t)),
        _ => None,
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_table_new(
    store: *mut wasm_store_t,
    ty: *const wasm_tabletype_t,
    init: *mut wasm_ref_t,
) -> *mut wasm_table_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or our objects.
        let (Some(s), Some(tt)) = (unsafe { ptr_ref(store) }, unsafe { ptr_ref(ty) }.and_then(|t| t.table())) else {
            crate::ffi::misuse("wasm_table_new", "NULL store or not a table type");
            return std::ptr::null_mut();
        };
        // SAFETY: `init` NULL or a reference of ours.
        let r = unsafe { ref_to_val(&s.data, init, tt.elem.into()) }
            .and_then(|v| s.data.with(|st| Table::new(st, *tt, v)).map_err(|e| e.to_string()));
        match r {
            Ok(t) => to_c(wasm_ref_t::store_obj(&s.data, Identity::Table(t))),
            Err(e) => {
                crate::ffi::misuse("wasm_table_new", &e);
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_table_type(t: *const wasm_table_t) -> *mut wasm_tabletype_t {
    // SAFETY: NULL or a reference of ours.
    guard(std::ptr::null_mut(), || match unsafe { table_of(t) } {
        Some((s, t)) => to_c(wasm_externtype_t::new(EngineType::Table(s.with(|st| t.ty(st))))),
        None => std::ptr::null_mut(),
    })
}

/// Element `index` as a new reference, NULL for a null element or an index
/// out of range.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_get(t: *const wasm_table_t, index: wasm_table_size_t) -> *mut wasm_ref_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a reference of ours.
        let Some((s, t)) = (unsafe { table_of(t) }) else { return std::ptr::null_mut() };
        match s.with(|st| t.get(st, index)) {
            Some(v) => ref_from_engine(s, v).unwrap_or_else(|e| {
                crate::ffi::misuse("wasm_table_get", &e);
                std::ptr::null_mut()
            }),
            None => {
                crate::ffi::misuse("wasm_table_get", &format!("index {index} out of bounds"));
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_table_set(t: *mut wasm_table_t, index: wasm_table_size_t, r: *mut wasm_ref_t) -> bool {
    guard(false, || {
        // SAFETY: NULL or a reference of ours.
        let Some((s, t)) = (unsafe { table_of(t) }) else { return false };
        let elem = s.with(|st| t.ty(st)).elem;
        // SAFETY: `r` NULL or a reference of ours (borrowed, not taken).
        let res =
            unsafe { ref_to_val(s, r, elem.into()) }.and_then(|v| s.with(|st| t.set(st, index, v)).map_err(|e| e.to_string()));
        res.map_err(|e| crate::ffi::misuse("wasm_table_set", &e)).is_ok()
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_table_size(t: *const wasm_table_t) -> wasm_table_size_t {
    // SAFETY: NULL or a reference of ours.
    guard(0, || unsafe { table_of(t) }.map(|(s, t)| s.with(|st| t.size(st))).unwrap_or(0))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_table_grow(t: *mut wasm_table_t, delta: wasm_table_size_t, init: *mut wasm_ref_t) -> bool {
    guard(false, || {
        // SAFETY: NULL or a reference of ours.
        let Some((s, t)) = (unsafe { table_of(t) }) else { return false };
        let elem = s.with(|st| t.ty(st)).elem;
        // SAFETY: `init` NULL or a reference of ours.
        let res = unsafe { ref_to_val(s, init, elem.into()) }
            .and_then(|v| s.with(|st| t.grow(st, delta, v)).map_err(|e| e.to_string()));
        res.map_err(|e| crate::ffi::misuse("wasm_table_grow", &e)).is_ok()
    })
}
