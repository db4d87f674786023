//! Linear memories: made by the host or exported by an instance; the byte
//! array, its size and growth.
//!
//! `wasm_memory_data` points straight at the guest's memory. The base never
//! moves (the engine reserves the whole 4 GiB range up front), so the
//! pointer stays valid across growth; only `wasm_memory_data_size` bytes of
//! it are accessible.

use crate::ffi::{guard, ptr_ref, to_c};
use crate::refs::{as_kind, wasm_memory_t, wasm_ref_t, Kind};
use crate::store::{wasm_store_t, Identity, StoreData};
use crate::types::{wasm_externtype_t, wasm_memorytype_t, EngineType};
use engine::Memory;
use std::rc::Rc;

pub type wasm_memory_pages_t = u32;

/// # Safety
/// `m` must be NULL or a reference of ours.
pub unsafe fn memory_of<'a>(m: *const wasm_memory_t) -> Option<(&'a Rc<StoreData>, Memory)> {
    // SAFETY: by the function's contract.
    match unsafe { as_kind(m, Kind::Memory) }?.store_identity()? {
        (s, Identity::Memory(m)) => Some((s, m)),
        _ => None,
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_memory_new(store: *mut wasm_store_t, ty: *const wasm_memorytype_t) -> *mut wasm_memory_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or our objects.
        let (Some(s), Some(mt)) = (unsafe { ptr_ref(store) }, unsafe { ptr_ref(ty) }.and_then(|t| t.memory())) else {
            crate::ffi::misuse("wasm_memory_new", "NULL store or not a memory type");
            return std::ptr::null_mut();
        };
        match s.data.with(|st| Memory::new(st, *mt)) {
            Ok(m) => to_c(wasm_ref_t::store_obj(&s.data, Identity::Memory(m))),
            Err(e) => {
                crate::ffi::misuse("wasm_memory_new", &e.to_string());
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_memory_type(m: *const wasm_memory_t) -> *mut wasm_memorytype_t {
    // SAFETY: NULL or a reference of ours.
    guard(std::ptr::null_mut(), || match unsafe { memory_of(m) } {
        Some((s, m)) => to_c(wasm_externtype_t::new(EngineType::Memory(s.with(|st| m.ty(st))))),
        None => std::ptr::null_mut(),
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_memory_data(m: *mut wasm_memory_t) -> *mut u8 {
    // SAFETY: NULL or a reference of ours.
    guard(std::ptr::null_mut(), || match unsafe { memory_of(m) } {
        Some((s, m)) => s.with(|st| m.data_mut(st).as_mut_ptr()),
        None => std::ptr::null_mut(),
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_memory_data_size(m: *const wasm_memory_t) -> usize {
    // SAFETY: NULL or a reference of ours.
    guard(0, || unsafe { memory_of(m) }.map(|(s, m)| s.with(|st| m.data(st).len())).unwrap_or(0))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_memory_size(m: *const wasm_memory_t) -> wasm_memory_pages_t {
    guard(0, || {
        // SAFETY: NULL or a reference of ours.
        unsafe { memory_of(m) }.map(|(s, m)| u32::try_from(s.with(|st| m.size_pages(st))).unwrap_or(u32::MAX)).unwrap_or(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_memory_grow(m: *mut wasm_memory_t, delta: wasm_memory_pages_t) -> bool {
    guard(false, || {
        // SAFETY: NULL or a reference of ours.
        let Some((s, m)) = (unsafe { memory_of(m) }) else { return false };
        s.with(|st| m.grow(st, delta.into())).map_err(|e| crate::ffi::misuse("wasm_memory_grow", &e.to_string())).is_ok()
    })
}
