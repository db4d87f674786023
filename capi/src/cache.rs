//! Loading modules through the on-disk compiled-code cache (objcache): the
//! first load of a module compiles it and stores the machine code, later
//! loads (in this or any later process) map it, as `faasm-engine run` does.

use crate::error::{faasm_error_t, new_error};
use crate::ffi::{c_str, guard_or, ptr_mut, ptr_ref};
use crate::module::{new_module, store_engine};
use crate::refs::wasm_module_t;
use crate::store::wasm_store_t;
use crate::vec::wasm_byte_vec_t;
use std::path::PathBuf;

/// The cache at `dir`, or the default one (`$FAASM_ENGINE_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/faasm-engine`, else `~/.cache/faasm-engine`) for NULL.
unsafe fn open_cache(dir: *const std::os::raw::c_char) -> Result<objcache::Cache, String> {
    let dir = if dir.is_null() {
        objcache::default_dir().ok_or("no cache directory: set FAASM_ENGINE_CACHE_DIR or HOME")?
    } else {
        // SAFETY: a C string by the caller's contract.
        PathBuf::from(unsafe { c_str(dir) }.ok_or("the cache directory is not UTF-8")?)
    };
    let mut cache = objcache::Cache::new(&dir).map_err(|e| format!("cache directory {}: {e}", dir.display()))?;
    cache.set_warnings(false);
    Ok(cache)
}

/// Loads the wasm file at `path` through the cache in `cache_dir` (NULL:
/// the default directory). On a warm start the file is not even read.
#[no_mangle]
pub unsafe extern "C" fn faasm_module_from_file(
    store: *mut wasm_store_t,
    path: *const std::os::raw::c_char,
    cache_dir: *const std::os::raw::c_char,
    out: *mut *mut wasm_module_t,
) -> *mut faasm_error_t {
    guard_or(
        || new_error("internal error in faasm_module_from_file".into()),
        || {
            // SAFETY: NULL or our store; NULL or a C string; NULL or a slot.
            let (Some(engine), Some(p), Some(out)) =
                (unsafe { store_engine(store) }, unsafe { c_str(path) }, unsafe { ptr_mut(out) })
            else {
                return new_error("faasm_module_from_file: NULL store, path or output".into());
            };
            *out = std::ptr::null_mut();
            // SAFETY: `cache_dir` is NULL or a C string, as the header requires.
            let cache = match unsafe { open_cache(cache_dir) } {
                Ok(c) => c,
                Err(e) => return new_error(e),
            };
            match cache.load_or_compile_file(engine, std::path::Path::new(p), None) {
                Ok((m, _)) => {
                    *out = new_module(m, None);
                    std::ptr::null_mut()
                }
                Err(e) => new_error(format!("{p}: {e}")),
            }
        },
    )
}

/// `wasm_module_new` through the cache in `cache_dir` (NULL: the default).
#[no_mangle]
pub unsafe extern "C" fn faasm_module_new_cached(
    store: *mut wasm_store_t,
    binary: *const wasm_byte_vec_t,
    cache_dir: *const std::os::raw::c_char,
    out: *mut *mut wasm_module_t,
) -> *mut faasm_error_t {
    guard_or(
        || new_error("internal error in faasm_module_new_cached".into()),
        || {
            // SAFETY: NULL or our objects.
            let (Some(engine), Some(b), Some(out)) =
                (unsafe { store_engine(store) }, unsafe { ptr_ref(binary) }, unsafe { ptr_mut(out) })
            else {
                return new_error("faasm_module_new_cached: NULL store, binary or output".into());
            };
            *out = std::ptr::null_mut();
            // SAFETY: a vector of the caller's.
            let bytes = unsafe { b.as_slice() };
            // SAFETY: `cache_dir` is NULL or a C string, as the header requires.
            let cache = match unsafe { open_cache(cache_dir) } {
                Ok(c) => c,
                Err(e) => return new_error(e),
            };
            match cache.load_or_compile(engine, bytes) {
                Ok((m, _)) => {
                    *out = new_module(m, Some(objcache::wasm_sha256(bytes)));
                    std::ptr::null_mut()
                }
                Err(e) => new_error(e.to_string()),
            }
        },
    )
}
