//! The engine's limits through the C API: a store's memory cap, its
//! timeout, and an interrupt handle another thread can use.
//!
//! All three act on the store as the engine does: `memory.grow` past the
//! cap returns -1 (and a memory or instance that would start above it is
//! refused); an interrupted store's running guest code traps at its next
//! loop header or call (the trap's message says "interrupted"), and keeps
//! trapping on later calls, since the flag stays set.

use crate::ffi::{from_c, guard, ptr_ref, to_c};
use crate::store::wasm_store_t;
use engine::InterruptHandle;

/// Caps every linear memory of the store at `bytes` (0: no cap).
#[no_mangle]
pub unsafe extern "C" fn faasm_store_set_memory_limit(s: *mut wasm_store_t, bytes: u64) {
    guard((), || {
        // SAFETY: NULL or our store.
        if let Some(s) = unsafe { ptr_ref(s) } {
            s.data.with(|st| st.set_memory_limit((bytes > 0).then_some(bytes)));
        }
    })
}

/// Interrupts the store's guest code `seconds` from now; a later call
/// replaces the pending timeout, and a non-positive (or NaN) `seconds`
/// cancels it.
#[no_mangle]
pub unsafe extern "C" fn faasm_store_set_timeout(s: *mut wasm_store_t, seconds: f64) {
    guard((), || {
        // SAFETY: NULL or our store.
        let Some(s) = (unsafe { ptr_ref(s) }) else { return };
        let mut pending = s.data.deadline.borrow_mut();
        *pending = None;
        if seconds > 0.0 {
            let after = std::time::Duration::try_from_secs_f64(seconds).unwrap_or(std::time::Duration::MAX);
            *pending = Some(s.data.with(|st| st.interrupt_handle()).interrupt_after(after));
        }
    })
}

/// A handle that interrupts one store from any thread.
pub struct faasm_interrupt_handle_t {
    handle: InterruptHandle,
}

/// The store's interrupt handle (owned by the caller; it may outlive the
/// store, and is then harmless).
#[no_mangle]
pub unsafe extern "C" fn faasm_store_interrupt_handle(s: *mut wasm_store_t) -> *mut faasm_interrupt_handle_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or our store.
        match unsafe { ptr_ref(s) } {
            Some(s) => to_c(faasm_interrupt_handle_t { handle: s.data.with(|st| st.interrupt_handle()) }),
            None => std::ptr::null_mut(),
        }
    })
}

/// Interrupts the handle's store. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn faasm_interrupt_handle_interrupt(h: *const faasm_interrupt_handle_t) {
    guard((), || {
        // SAFETY: NULL or our handle, which is Sync.
        if let Some(h) = unsafe { ptr_ref(h) } {
            h.handle.interrupt();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn faasm_interrupt_handle_delete(h: *mut faasm_interrupt_handle_t) {
    // SAFETY: NULL or a handle we gave out, deleted once.
    guard((), || drop(unsafe { from_c(h) }))
}
