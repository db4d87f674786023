//! Traps and frames.
//!
//! A trap object holds its message and, when it came from the engine, the
//! engine's `Trap` (reason and wasm backtrace). A trap a host function
//! returns travels through wasm as that engine trap, so the caller of
//! `wasm_func_call` gets the same message back, plus the backtrace.
//!
//! Frames: the engine's backtraces name the function (index, name, module
//! name) and give the instruction's byte offset in the module and in its
//! function (from the compiled code's address map; 0 where a frame has
//! none). They do not record the instance, so `wasm_frame_instance` is
//! NULL; `faasm_frame_func_name` / `faasm_frame_module_name` give the names.

use crate::ffi::{from_c, guard, ptr_ref, to_c};
use crate::refs::{as_kind, wasm_ref_t, wasm_trap_t, Kind, Obj};
use crate::store::{wasm_store_t, HostInfo};
use crate::types::name_bytes;
use crate::vec::{wasm_frame_vec_t, wasm_message_write, wasm_name_t, wasm_vec, write_out};
use engine::{Frame, Trap, TrapReason};
use std::cell::RefCell;
use std::rc::Rc;

pub struct TrapObj {
    pub message: String,
    pub trap: Option<Trap>,
    pub host_info: RefCell<Option<HostInfo>>,
}

#[derive(Clone)]
pub struct wasm_frame_t {
    pub frame: Frame,
}

/// The message of an engine trap: the reason alone (the backtrace is in
/// the trace).
pub fn reason_message(t: &Trap) -> String {
    match &t.reason {
        TrapReason::Wasm(k) => k.to_string(),
        TrapReason::Host(m) => m.clone(),
        TrapReason::Exit(c) => format!("exited with code {c}"),
    }
}

pub fn new_trap(message: String, trap: Option<Trap>) -> *mut wasm_trap_t {
    to_c(wasm_ref_t { obj: Obj::Trap(Rc::new(TrapObj { message, trap, host_info: RefCell::new(None) })) })
}

/// A trap object for an engine error: a trap keeps its reason and trace;
/// any other error (a link error, a bad argument) becomes its message.
pub fn trap_from_error(e: engine::Error) -> *mut wasm_trap_t {
    match e {
        engine::Error::Trap(t) => new_trap(reason_message(&t), Some(t)),
        other => new_trap(other.to_string(), None),
    }
}

/// The engine trap a host function returns for a C trap object.
pub fn to_engine_trap(t: &TrapObj) -> Trap {
    match &t.trap {
        Some(trap) => Trap { reason: trap.reason.clone(), backtrace: Vec::new() },
        None => Trap::host(t.message.clone()),
    }
}

/// # Safety
/// `t` must be NULL or a reference of ours.
pub unsafe fn trap_obj<'a>(t: *const wasm_trap_t) -> Option<&'a TrapObj> {
    // SAFETY: by the function's contract.
    match unsafe { as_kind(t, Kind::Trap) } {
        Some(wasm_ref_t { obj: Obj::Trap(t) }) => Some(t),
        _ => None,
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_trap_new(_store: *mut wasm_store_t, message: *const wasm_name_t) -> *mut wasm_trap_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a valid name vector.
        let bytes = unsafe { name_bytes(message) };
        // The API's messages are NUL-terminated; the NUL is not part of the text.
        let bytes = bytes.strip_suffix(&[0]).unwrap_or(bytes);
        new_trap(String::from_utf8_lossy(bytes).into_owned(), None)
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_trap_message(t: *const wasm_trap_t, out: *mut wasm_name_t) {
    guard((), || {
        // SAFETY: NULL or a trap of ours; `out` is the caller's slot.
        let msg = unsafe { trap_obj(t) }.map(|t| t.message.clone()).unwrap_or_default();
        // SAFETY: `out` is NULL or the caller's slot for a vector.
        unsafe { wasm_message_write(out, &msg) }
    })
}

fn frames(t: &TrapObj) -> &[Frame] {
    t.trap.as_ref().map(|t| t.backtrace.as_slice()).unwrap_or(&[])
}

#[no_mangle]
pub unsafe extern "C" fn wasm_trap_origin(t: *const wasm_trap_t) -> *mut wasm_frame_t {
    // SAFETY: NULL or a trap of ours.
    guard(std::ptr::null_mut(), || match unsafe { trap_obj(t) }.and_then(|t| frames(t).first()) {
        Some(f) => to_c(wasm_frame_t { frame: f.clone() }),
        None => std::ptr::null_mut(),
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_trap_trace(t: *const wasm_trap_t, out: *mut wasm_frame_vec_t) {
    guard((), || {
        // SAFETY: NULL or a trap of ours.
        let v = match unsafe { trap_obj(t) } {
            Some(t) => frames(t).iter().map(|f| to_c(wasm_frame_t { frame: f.clone() })).collect(),
            None => Vec::new(),
        };
        // SAFETY: `out` is the caller's slot.
        unsafe { write_out(out, wasm_vec::from_vec(v)) }
    })
}

/// The whole trap as the engine prints it: reason, then the wasm backtrace
/// with function names (NUL-terminated).
#[no_mangle]
pub unsafe extern "C" fn faasm_trap_display(t: *const wasm_trap_t, out: *mut wasm_name_t) {
    guard((), || {
        // SAFETY: NULL or a trap of ours.
        let text = match unsafe { trap_obj(t) } {
            Some(TrapObj { trap: Some(trap), .. }) => trap.to_string(),
            Some(t) => t.message.clone(),
            None => String::new(),
        };
        // SAFETY: `out` is the caller's slot.
        unsafe { wasm_message_write(out, &text) }
    })
}

/// Whether the trap is a WASI `proc_exit`; if so its status goes to `*code`.
#[no_mangle]
pub unsafe extern "C" fn faasm_trap_exit_code(t: *const wasm_trap_t, code: *mut i32) -> bool {
    guard(false, || {
        // SAFETY: NULL or a trap of ours.
        match unsafe { trap_obj(t) }.and_then(|t| t.trap.as_ref()).and_then(|t| t.exit_code()) {
            Some(c) => {
                // SAFETY: NULL or writable.
                if let Some(out) = unsafe { code.as_mut() } {
                    *out = c;
                }
                true
            }
            None => false,
        }
    })
}

// ---- frames -------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn wasm_frame_delete(f: *mut wasm_frame_t) {
    // SAFETY: NULL or a frame of ours, given up.
    guard((), || drop(unsafe { from_c(f) }))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_frame_copy(f: *const wasm_frame_t) -> *mut wasm_frame_t {
    // SAFETY: NULL or a frame of ours.
    guard(std::ptr::null_mut(), || unsafe { ptr_ref(f) }.map(|f| to_c(f.clone())).unwrap_or(std::ptr::null_mut()))
}

/// Always NULL: the engine's backtraces do not record the instance.
#[no_mangle]
pub extern "C" fn wasm_frame_instance(_f: *const wasm_frame_t) -> *mut wasm_ref_t {
    std::ptr::null_mut()
}

#[no_mangle]
pub unsafe extern "C" fn wasm_frame_func_index(f: *const wasm_frame_t) -> u32 {
    // SAFETY: NULL or a frame of ours.
    guard(0, || unsafe { ptr_ref(f) }.map(|f| f.frame.func_index).unwrap_or(0))
}

/// The instruction's offset from the start of its function's body (0 if
/// unknown).
#[no_mangle]
pub unsafe extern "C" fn wasm_frame_func_offset(f: *const wasm_frame_t) -> usize {
    // SAFETY: NULL or a frame of ours.
    guard(0, || unsafe { ptr_ref(f) }.and_then(|f| f.frame.func_offset).unwrap_or(0) as usize)
}

/// The instruction's offset in the module's bytes (0 if unknown).
#[no_mangle]
pub unsafe extern "C" fn wasm_frame_module_offset(f: *const wasm_frame_t) -> usize {
    // SAFETY: NULL or a frame of ours.
    guard(0, || unsafe { ptr_ref(f) }.and_then(|f| f.frame.module_offset).unwrap_or(0) as usize)
}

/// The function's name from the module's name section, if it has one
/// (NUL-terminated).
#[no_mangle]
pub unsafe extern "C" fn faasm_frame_func_name(f: *const wasm_frame_t, out: *mut wasm_name_t) -> bool {
    guard(false, || {
        // SAFETY: NULL or a frame of ours.
        match unsafe { ptr_ref(f) }.and_then(|f| f.frame.func_name.as_deref()) {
            // SAFETY: `out` is the caller's slot.
            Some(n) => unsafe { wasm_message_write(out, n) },
            None => return false,
        }
        true
    })
}

/// The module's name from its name section, if it has one (NUL-terminated).
#[no_mangle]
pub unsafe extern "C" fn faasm_frame_module_name(f: *const wasm_frame_t, out: *mut wasm_name_t) -> bool {
    guard(false, || {
        // SAFETY: NULL or a frame of ours.
        match unsafe { ptr_ref(f) }.and_then(|f| f.frame.module_name.as_deref()) {
            // SAFETY: `out` is the caller's slot.
            Some(n) => unsafe { wasm_message_write(out, n) },
            None => return false,
        }
        true
    })
}
