//! The C-ABI edge: what every exported function uses to stay panic-free and
//! NULL-safe.
//!
//! C callers pass raw pointers that may be NULL; a Rust panic unwinding
//! into C would be undefined behaviour (Rust aborts instead, which is still
//! a crash of the embedding program). So each `extern "C"` function runs its
//! body under [`guard`], and dereferences its arguments through [`ptr_ref`]
//! / [`ptr_mut`], which turn NULL into `None`.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`; if it panics, prints the panic on stderr and returns `fallback`
/// (NULL, false, zero: whatever the function returns on a bad argument).
pub fn guard<R>(fallback: R, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".into());
            eprintln!("faasm_engine: internal error (panic caught at the C API boundary): {msg}");
            fallback
        }
    }
}

/// [`guard`] for functions whose fallback is an object (an error, a trap):
/// it is made only if `f` panics. Made eagerly it would be allocated, and
/// leaked, on every call that succeeds.
pub fn guard_or<R>(fallback: impl FnOnce() -> R, f: impl FnOnce() -> R) -> R {
    guard(None, || Some(f())).unwrap_or_else(fallback)
}

/// Records a misuse of the API in a function that has no error channel (a
/// NULL where an object is required, an object of the wrong kind): the
/// message is what `faasm_last_error_message` returns next on this thread.
pub fn misuse(function: &str, what: &str) {
    crate::error::set_last_error(format!("{function}: {what}"));
}

/// `p` as a shared reference, or None for NULL.
///
/// # Safety
/// A non-NULL `p` must point to a live `T` that nothing mutates while the
/// reference is used (the C API's contract for objects it handed out).
pub unsafe fn ptr_ref<'a, T>(p: *const T) -> Option<&'a T> {
    // SAFETY: the caller guarantees that a non-NULL `p` is valid.
    unsafe { p.as_ref() }
}

/// `p` as an exclusive reference, or None for NULL.
///
/// # Safety
/// A non-NULL `p` must point to a live `T` not otherwise referenced while
/// the reference is used.
pub unsafe fn ptr_mut<'a, T>(p: *mut T) -> Option<&'a mut T> {
    // SAFETY: the caller guarantees that a non-NULL `p` is valid and unaliased.
    unsafe { p.as_mut() }
}

/// A NUL-terminated C string as UTF-8 (None for NULL or invalid UTF-8).
///
/// # Safety
/// A non-NULL `s` must point to a NUL-terminated string.
pub unsafe fn c_str<'a>(s: *const std::os::raw::c_char) -> Option<&'a str> {
    if s.is_null() {
        return None;
    }
    // SAFETY: non-NULL and NUL-terminated, by the caller's contract.
    unsafe { std::ffi::CStr::from_ptr(s) }.to_str().ok()
}

/// Moves `v` to the heap and hands the pointer to C (freed by the matching
/// `_delete`, which calls [`from_c`]).
pub fn to_c<T>(v: T) -> *mut T {
    Box::into_raw(Box::new(v))
}

/// Takes back an object handed out by [`to_c`] (None for NULL).
///
/// # Safety
/// A non-NULL `p` must come from [`to_c`] for the same `T` and not have
/// been taken back before.
pub unsafe fn from_c<T>(p: *mut T) -> Option<Box<T>> {
    if p.is_null() {
        None
    } else {
        // SAFETY: allocated by `to_c` (Box) and owned by the caller, who gives it up.
        Some(unsafe { Box::from_raw(p) })
    }
}
