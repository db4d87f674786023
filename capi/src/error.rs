//! Error objects of the `faasm_*` extensions, and the per-thread "last
//! error" that the standard functions, which have no error channel (they
//! return NULL or false), leave for `faasm_last_error_message`.

use crate::ffi::{from_c, guard, ptr_ref, to_c};
use crate::vec::{wasm_message_write, wasm_name_t};
use std::cell::RefCell;

pub struct faasm_error_t {
    pub message: String,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<String>> = const { RefCell::new(None) };
}

pub fn set_last_error(message: String) {
    LAST_ERROR.with(|e| *e.borrow_mut() = Some(message));
}

pub fn new_error(message: String) -> *mut faasm_error_t {
    to_c(faasm_error_t { message })
}

/// The message of an error object (NUL-terminated).
#[no_mangle]
pub unsafe extern "C" fn faasm_error_message(e: *const faasm_error_t, out: *mut wasm_name_t) {
    guard((), || {
        // SAFETY: NULL or an error of ours; `out` the caller's slot.
        let msg = unsafe { ptr_ref(e) }.map(|e| e.message.as_str()).unwrap_or("");
        // SAFETY: `out` is NULL or the caller's slot for a vector.
        unsafe { wasm_message_write(out, msg) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn faasm_error_delete(e: *mut faasm_error_t) {
    // SAFETY: NULL or an error of ours, given up.
    guard((), || drop(unsafe { from_c(e) }))
}

/// Why the latest standard function that failed on this thread (returned
/// NULL or false) failed. False if none has failed yet; the message stays
/// until the next failure.
#[no_mangle]
pub unsafe extern "C" fn faasm_last_error_message(out: *mut wasm_name_t) -> bool {
    guard(false, || {
        let msg = LAST_ERROR.with(|e| e.borrow().clone());
        match msg {
            Some(m) => {
                // SAFETY: the caller's output slot.
                unsafe { wasm_message_write(out, &m) };
                true
            }
            None => false,
        }
    })
}
