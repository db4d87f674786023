//! A linker by name (`faasm_linker_t`): definitions keyed by import module
//! and name (externals of one store, another instance's exports, all of
//! WASI), then instantiation that resolves every import through them. Link
//! errors name the import and the expected and found types.

use crate::error::{faasm_error_t, new_error};
use crate::externs::to_extern;
use crate::ffi::{c_str, from_c, guard, guard_or, ptr_mut, ptr_ref, to_c};
use crate::instance::instance_of;
use crate::module::module_obj;
use crate::refs::{as_kind, wasm_extern_t, wasm_instance_t, wasm_module_t, wasm_ref_t, wasm_trap_t, Kind};
use crate::store::{wasm_store_t, Identity, StoreData};
use crate::trap::trap_from_error;
use crate::wasi::faasm_wasi_config_t;
use engine::Linker;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

pub struct faasm_linker_t {
    linker: Linker,
    store: Rc<StoreData>,
}

#[no_mangle]
pub unsafe extern "C" fn faasm_linker_new(store: *mut wasm_store_t) -> *mut faasm_linker_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or our store.
        match unsafe { ptr_ref(store) } {
            Some(s) => to_c(faasm_linker_t { linker: Linker::new(), store: s.data.clone() }),
            None => std::ptr::null_mut(),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn faasm_linker_delete(l: *mut faasm_linker_t) {
    // SAFETY: NULL or a linker of ours, given up.
    guard((), || drop(unsafe { from_c(l) }))
}

/// Defines `module`.`name` as the external `item` (of the linker's store).
#[no_mangle]
pub unsafe extern "C" fn faasm_linker_define(
    l: *mut faasm_linker_t,
    module: *const std::os::raw::c_char,
    name: *const std::os::raw::c_char,
    item: *const wasm_extern_t,
) -> *mut faasm_error_t {
    guard_or(
        || new_error("internal error in faasm_linker_define".into()),
        || {
            // SAFETY: NULL or our objects; NULL or C strings.
            let (Some(l), Some(m), Some(n)) = (unsafe { ptr_mut(l) }, unsafe { c_str(module) }, unsafe { c_str(name) }) else {
                return new_error("faasm_linker_define: NULL linker or name".into());
            };
            // SAFETY: NULL or a reference of ours.
            let Some(r) = (unsafe { as_kind(item, Kind::Extern) }) else {
                return new_error(format!("faasm_linker_define: {m}.{n}: NULL or not an external"));
            };
            match (r.store_identity(), to_extern(r)) {
                (Some((s, _)), Some(e)) if Rc::ptr_eq(s, &l.store) => {
                    l.linker.define(m, n, e);
                    std::ptr::null_mut()
                }
                _ => new_error(format!("faasm_linker_define: {m}.{n} belongs to another store")),
            }
        },
    )
}

/// Defines every export of `instance` under the module name `module`.
#[no_mangle]
pub unsafe extern "C" fn faasm_linker_define_instance(
    l: *mut faasm_linker_t,
    module: *const std::os::raw::c_char,
    instance: *const wasm_instance_t,
) -> *mut faasm_error_t {
    guard_or(
        || new_error("internal error in faasm_linker_define_instance".into()),
        || {
            // SAFETY: NULL or our objects; NULL or a C string.
            let (Some(l), Some(m), Some((s, i))) =
                (unsafe { ptr_mut(l) }, unsafe { c_str(module) }, unsafe { instance_of(instance) })
            else {
                return new_error("faasm_linker_define_instance: NULL linker, name or instance".into());
            };
            if !Rc::ptr_eq(s, &l.store) {
                return new_error("faasm_linker_define_instance: the instance belongs to another store".into());
            }
            let linker = &mut l.linker;
            s.with(|st| {
                linker.instance(st, m, i);
            });
            std::ptr::null_mut()
        },
    )
}

/// Defines all of `wasi_snapshot_preview1` with the state `config`
/// describes. Takes the configuration (also on failure).
#[no_mangle]
pub unsafe extern "C" fn faasm_linker_define_wasi(
    l: *mut faasm_linker_t,
    config: *mut faasm_wasi_config_t,
) -> *mut faasm_error_t {
    guard_or(
        || new_error("internal error in faasm_linker_define_wasi".into()),
        || {
            // SAFETY: NULL or our linker; NULL or our config, passed to us.
            let (l, c) = (unsafe { ptr_mut(l) }, unsafe { from_c(config) });
            let (Some(l), Some(c)) = (l, c) else {
                return new_error("faasm_linker_define_wasi: NULL linker or config".into());
            };
            match c.build() {
                Ok(ctx) => {
                    let state = Arc::new(Mutex::new(ctx));
                    hostabi::link(&mut l.linker, &hostabi::wasi::functions::<hostabi::wasi::WasiCtx>(), &state);
                    std::ptr::null_mut()
                }
                Err(e) => new_error(format!("WASI configuration: {e}")),
            }
        },
    )
}

/// Instantiates `module`, resolving its imports by name. On success
/// `*out` is the instance. A link error (an import missing or of the wrong
/// type, named) is returned as an error; a trap while instantiating (the
/// start function, including a WASI `proc_exit`) goes to `*trap` if it is
/// not NULL, else becomes the error.
#[no_mangle]
pub unsafe extern "C" fn faasm_linker_instantiate(
    l: *const faasm_linker_t,
    module: *const wasm_module_t,
    out: *mut *mut wasm_instance_t,
    trap: *mut *mut wasm_trap_t,
) -> *mut faasm_error_t {
    guard_or(
        || new_error("internal error in faasm_linker_instantiate".into()),
        || {
            // SAFETY: NULL or writable slots.
            if let Some(o) = unsafe { out.as_mut() } {
                *o = std::ptr::null_mut();
            }
            // SAFETY: as above.
            if let Some(t) = unsafe { trap.as_mut() } {
                *t = std::ptr::null_mut();
            }
            // SAFETY: NULL or our objects.
            let (Some(l), Some(m)) = (unsafe { ptr_ref(l) }, unsafe { module_obj(module) }) else {
                return new_error("faasm_linker_instantiate: NULL linker or not a module".into());
            };
            match l.store.with(|st| l.linker.instantiate(st, &m.module)) {
                Ok(i) => {
                    let r = to_c(wasm_ref_t::store_obj(&l.store, Identity::Instance(i)));
                    // SAFETY: `out` is NULL or a writable slot (the header says so).
                    match unsafe { out.as_mut() } {
                        Some(o) => *o = r,
                        // SAFETY: ours, nobody to give it to.
                        None => drop(unsafe { from_c(r) }),
                    }
                    std::ptr::null_mut()
                }
                Err(engine::Error::Trap(t)) if !trap.is_null() => {
                    // SAFETY: checked non-NULL; the caller's slot.
                    unsafe { *trap = trap_from_error(engine::Error::Trap(t)) };
                    std::ptr::null_mut()
                }
                Err(e) => new_error(e.to_string()),
            }
        },
    )
}
