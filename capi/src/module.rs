//! Modules: validate, compile, reflect on imports and exports, serialize to
//! bytes and back, and share between threads.
//!
//! A module belongs to an engine, not a store (the store passed to
//! `wasm_module_new` only names the engine). `wasm_module_serialize` writes
//! the on-disk cache's artifact format (objcache) and
//! `wasm_module_deserialize` reads it back through objcache's verification
//! (magic, engine build, CPU features, checksum): bytes from elsewhere are
//! refused, never executed. As with any runtime, deserializing is running
//! compiled code: only pass bytes `wasm_module_serialize` produced.

use crate::error::{faasm_error_t, new_error, set_last_error};
use crate::ffi::{from_c, guard, ptr_mut, ptr_ref, to_c};
use crate::refs::{as_kind, wasm_module_t, wasm_ref_t, Kind, Obj};
use crate::store::{wasm_store_t, HostInfo};
use crate::types::{name_vec, wasm_exporttype_t, wasm_externtype_t, wasm_importtype_t, EngineType};
use crate::vec::{bytes_vec, wasm_byte_vec_t, wasm_exporttype_vec_t, wasm_importtype_vec_t, wasm_vec, write_out};
use engine::{Engine, ExternKind, ImportKind, Module};
use std::cell::RefCell;
use std::rc::Rc;

pub struct ModuleObj {
    pub module: Module,
    /// SHA-256 of the wasm, when known (the artifact header records it).
    pub sha: Option<[u8; 32]>,
    pub host_info: RefCell<Option<HostInfo>>,
}

pub struct wasm_shared_module_t {
    module: Module,
    sha: Option<[u8; 32]>,
}

pub fn new_module(module: Module, sha: Option<[u8; 32]>) -> *mut wasm_module_t {
    to_c(wasm_ref_t { obj: Obj::Module(Rc::new(ModuleObj { module, sha, host_info: RefCell::new(None) })) })
}

/// # Safety
/// `m` must be NULL or a reference of ours.
pub unsafe fn module_obj<'a>(m: *const wasm_module_t) -> Option<&'a ModuleObj> {
    // SAFETY: by the function's contract.
    match unsafe { as_kind(m, Kind::Module) } {
        Some(wasm_ref_t { obj: Obj::Module(m) }) => Some(m),
        _ => None,
    }
}

/// # Safety
/// `b` must be NULL or a valid byte vector.
unsafe fn binary<'a>(b: *const wasm_byte_vec_t) -> Option<&'a [u8]> {
    // SAFETY: by the function's contract.
    unsafe { ptr_ref(b) }.map(|b| unsafe { b.as_slice() })
}

/// # Safety
/// `s` must be NULL or a store of ours.
pub unsafe fn store_engine<'a>(s: *const wasm_store_t) -> Option<&'a Engine> {
    // SAFETY: by the function's contract.
    unsafe { ptr_ref(s) }.map(|s| &s.data.engine)
}

#[no_mangle]
pub unsafe extern "C" fn wasm_module_validate(store: *mut wasm_store_t, b: *const wasm_byte_vec_t) -> bool {
    guard(false, || {
        // SAFETY: NULL or our store; NULL or a valid vector.
        let (Some(engine), Some(bytes)) = (unsafe { store_engine(store) }, unsafe { binary(b) }) else {
            crate::ffi::misuse("wasm_module_validate", "NULL store or binary");
            return false;
        };
        match Module::validate(engine, bytes) {
            Ok(()) => true,
            Err(e) => {
                set_last_error(e.to_string());
                false
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_module_new(store: *mut wasm_store_t, b: *const wasm_byte_vec_t) -> *mut wasm_module_t {
    let mut m = std::ptr::null_mut();
    // SAFETY: forwarded; the error's message also becomes the last error.
    let err = unsafe { faasm_module_new(store, b, &mut m) };
    // SAFETY: NULL or an error of ours, given up.
    if let Some(e) = unsafe { from_c(err) } {
        set_last_error(e.message);
    }
    m
}

/// `wasm_module_new` with the reason for a failure (malformed or invalid
/// bytes name the byte offset) as an error object.
#[no_mangle]
pub unsafe extern "C" fn faasm_module_new(
    store: *mut wasm_store_t,
    b: *const wasm_byte_vec_t,
    out: *mut *mut wasm_module_t,
) -> *mut faasm_error_t {
    guard(new_error("internal error in faasm_module_new".into()), || {
        // SAFETY: NULL or our store; NULL or a valid vector.
        let (Some(engine), Some(bytes)) = (unsafe { store_engine(store) }, unsafe { binary(b) }) else {
            return new_error("faasm_module_new: NULL store or binary".into());
        };
        // SAFETY: NULL or the caller's output slot.
        let Some(out) = (unsafe { ptr_mut(out) }) else {
            return new_error("faasm_module_new: NULL output".into());
        };
        *out = std::ptr::null_mut();
        match Module::new(engine, bytes) {
            Ok(m) => {
                *out = new_module(m, Some(objcache::wasm_sha256(bytes)));
                std::ptr::null_mut()
            }
            Err(e) => new_error(e.to_string()),
        }
    })
}

fn extern_type_of_import(m: &Module, kind: &ImportKind) -> Option<EngineType> {
    Some(match kind {
        ImportKind::Func(t) => EngineType::Func(m.info().types.get(*t as usize)?.clone()),
        ImportKind::Table(t) => EngineType::Table(*t),
        ImportKind::Memory(t) => EngineType::Memory(*t),
        ImportKind::Global(t) => EngineType::Global(*t),
    })
}

pub fn extern_type_of_export(m: &Module, kind: ExternKind, index: u32) -> Option<EngineType> {
    let info = m.info();
    let i = index as usize;
    Some(match kind {
        ExternKind::Func => {
            let t = *info.functions.get(i)?;
            EngineType::Func(info.types.get(t as usize)?.clone())
        }
        ExternKind::Table => EngineType::Table(*info.tables.get(i)?),
        ExternKind::Memory => EngineType::Memory(*info.memories.get(i)?),
        ExternKind::Global => EngineType::Global(*info.globals.get(i)?),
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_module_imports(m: *const wasm_module_t, out: *mut wasm_importtype_vec_t) {
    guard((), || {
        // SAFETY: NULL or a module of ours.
        let v = match unsafe { module_obj(m) } {
            Some(m) => m
                .module
                .imports()
                .filter_map(|imp| {
                    let ty = extern_type_of_import(&m.module, &imp.kind)?;
                    Some(to_c(wasm_importtype_t {
                        module: name_vec(&imp.module),
                        name: name_vec(&imp.name),
                        ty: wasm_externtype_t::new(ty),
                    }))
                })
                .collect(),
            None => Vec::new(),
        };
        // SAFETY: the caller's output slot.
        unsafe { write_out(out, wasm_vec::from_vec(v)) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_module_exports(m: *const wasm_module_t, out: *mut wasm_exporttype_vec_t) {
    guard((), || {
        // SAFETY: NULL or a module of ours.
        let v = match unsafe { module_obj(m) } {
            Some(m) => m
                .module
                .exports()
                .filter_map(|e| {
                    let ty = extern_type_of_export(&m.module, e.kind, e.index)?;
                    Some(to_c(wasm_exporttype_t { name: name_vec(&e.name), ty: wasm_externtype_t::new(ty) }))
                })
                .collect(),
            None => Vec::new(),
        };
        // SAFETY: the caller's output slot.
        unsafe { write_out(out, wasm_vec::from_vec(v)) }
    })
}

fn serialize(m: &ModuleObj) -> Result<Vec<u8>, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    let path = dir.path().join("module.faasmobj");
    objcache::write_artifact(m.module.engine(), &m.module, m.sha.unwrap_or([0; 32]), &path).map_err(|e| e.to_string())?;
    std::fs::read(&path).map_err(|e| format!("cannot read back the artifact: {e}"))
}

fn deserialize(engine: &Engine, bytes: &[u8]) -> Result<Module, String> {
    if !objcache::is_artifact(bytes) {
        return Err("not a serialized module (no faasm-engine artifact header)".into());
    }
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    let path = dir.path().join("module.faasmobj");
    std::fs::write(&path, bytes).map_err(|e| format!("cannot write a temporary file: {e}"))?;
    // The module maps the file; the mapping outlives the file's name.
    objcache::read_artifact(engine, &path).map_err(|e| e.to_string())
}

#[no_mangle]
pub unsafe extern "C" fn wasm_module_serialize(m: *const wasm_module_t, out: *mut wasm_byte_vec_t) {
    guard((), || {
        // SAFETY: NULL or a module of ours.
        let bytes = match unsafe { module_obj(m) } {
            Some(m) => serialize(m).unwrap_or_else(|e| {
                set_last_error(format!("wasm_module_serialize: {e}"));
                Vec::new()
            }),
            None => {
                crate::ffi::misuse("wasm_module_serialize", "NULL or not a module");
                Vec::new()
            }
        };
        // SAFETY: the caller's output slot.
        unsafe { write_out(out, bytes_vec(&bytes)) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_module_deserialize(store: *mut wasm_store_t, b: *const wasm_byte_vec_t) -> *mut wasm_module_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or our store; NULL or a valid vector.
        let (Some(engine), Some(bytes)) = (unsafe { store_engine(store) }, unsafe { binary(b) }) else {
            crate::ffi::misuse("wasm_module_deserialize", "NULL store or bytes");
            return std::ptr::null_mut();
        };
        match deserialize(engine, bytes) {
            Ok(m) => new_module(m, None),
            Err(e) => {
                set_last_error(format!("wasm_module_deserialize: {e}"));
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_module_share(m: *const wasm_module_t) -> *mut wasm_shared_module_t {
    // SAFETY: NULL or a module of ours.
    guard(std::ptr::null_mut(), || match unsafe { module_obj(m) } {
        Some(m) => to_c(wasm_shared_module_t { module: m.module.clone(), sha: m.sha }),
        None => std::ptr::null_mut(),
    })
}

/// The shared module in `store`, which must belong to the module's engine.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_obtain(store: *mut wasm_store_t, s: *const wasm_shared_module_t) -> *mut wasm_module_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or our store; NULL or a shared module of ours.
        let (Some(engine), Some(s)) = (unsafe { store_engine(store) }, unsafe { ptr_ref(s) }) else {
            crate::ffi::misuse("wasm_module_obtain", "NULL store or shared module");
            return std::ptr::null_mut();
        };
        if !Engine::same(engine, s.module.engine()) {
            crate::ffi::misuse("wasm_module_obtain", "the store belongs to another engine than the module");
            return std::ptr::null_mut();
        }
        new_module(s.module.clone(), s.sha)
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_shared_module_delete(s: *mut wasm_shared_module_t) {
    // SAFETY: NULL or a shared module of ours, given up.
    guard((), || drop(unsafe { from_c(s) }))
}
