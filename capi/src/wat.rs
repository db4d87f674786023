//! The text format: `.wat` to binary with the `wat` crate (which also
//! passes binary input through unchanged).

use crate::error::{faasm_error_t, new_error};
use crate::ffi::guard;
use crate::vec::{bytes_vec, wasm_byte_vec_t, write_out};

/// Translates `len` bytes of WebAssembly text at `text` into a binary
/// module in `*out`; a syntax error comes back as an error (with line and
/// column) and `*out` is left empty.
#[no_mangle]
pub unsafe extern "C" fn faasm_wat2wasm(text: *const u8, len: usize, out: *mut wasm_byte_vec_t) -> *mut faasm_error_t {
    guard(new_error("internal error in faasm_wat2wasm".into()), || {
        if text.is_null() && len > 0 {
            // SAFETY: the caller's output slot.
            unsafe { write_out(out, bytes_vec(&[])) };
            return new_error("faasm_wat2wasm: NULL text".into());
        }
        let bytes = if len == 0 {
            &[][..]
        } else {
            // SAFETY: the caller passes `len` bytes at `text`.
            unsafe { std::slice::from_raw_parts(text, len) }
        };
        let (result, err) = match wat::parse_bytes(bytes) {
            Ok(wasm) => (bytes_vec(&wasm), std::ptr::null_mut()),
            Err(e) => (bytes_vec(&[]), new_error(e.to_string())),
        };
        // SAFETY: the caller's output slot.
        unsafe { write_out(out, result) };
        err
    })
}
