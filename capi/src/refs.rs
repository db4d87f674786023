//! References: `wasm_ref_t`, the one object behind every runtime reference
//! kind of the C API (func, global, table, memory, extern, instance,
//! foreign, trap, module), host info with finalizers, and foreign objects.
//!
//! The API converts `wasm_func_t*` to `wasm_ref_t*` and `wasm_extern_t*` by
//! pointer, so all kinds share one Rust type and the C names are aliases;
//! conversions back check the kind (NULL on a mismatch). A `wasm_ref_t` is
//! one *reference*: `_copy` makes another reference to the same object,
//! `_delete` drops one, `_same` compares objects.
//!
//! Host info belongs to the object, not to one reference: a reference that
//! comes back from wasm (an externref read from a table) sees the info set
//! through another. For store objects it lives in the store (finalized with
//! it); traps and modules carry theirs (finalized with the last reference).

use crate::ffi::{from_c, guard, ptr_ref, to_c};
use crate::module::ModuleObj;
use crate::store::{wasm_store_t, HostInfo, Identity, StoreData};
use crate::trap::TrapObj;
use std::cell::RefCell;
use std::ffi::c_void;
use std::rc::Rc;

#[derive(Clone)]
pub enum Obj {
    /// An object of a store.
    Store(Rc<StoreData>, Identity),
    Trap(Rc<TrapObj>),
    Module(Rc<ModuleObj>),
}

#[derive(Clone)]
pub struct wasm_ref_t {
    pub obj: Obj,
}

pub type wasm_func_t = wasm_ref_t;
pub type wasm_global_t = wasm_ref_t;
pub type wasm_table_t = wasm_ref_t;
pub type wasm_memory_t = wasm_ref_t;
pub type wasm_extern_t = wasm_ref_t;
pub type wasm_instance_t = wasm_ref_t;
pub type wasm_foreign_t = wasm_ref_t;
pub type wasm_trap_t = wasm_ref_t;
pub type wasm_module_t = wasm_ref_t;

/// Which kinds of reference a C type name admits.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Kind {
    Any,
    Func,
    Global,
    Table,
    Memory,
    /// One of the four above.
    Extern,
    Instance,
    Foreign,
    Trap,
    Module,
}

impl wasm_ref_t {
    pub fn store_obj(store: &Rc<StoreData>, id: Identity) -> wasm_ref_t {
        wasm_ref_t { obj: Obj::Store(store.clone(), id) }
    }

    pub fn is(&self, kind: Kind) -> bool {
        let id = match &self.obj {
            Obj::Trap(_) => return matches!(kind, Kind::Any | Kind::Trap),
            Obj::Module(_) => return matches!(kind, Kind::Any | Kind::Module),
            Obj::Store(_, id) => id,
        };
        matches!(
            (kind, id),
            (Kind::Any, _)
                | (Kind::Func | Kind::Extern, Identity::Func(_))
                | (Kind::Global | Kind::Extern, Identity::Global(_))
                | (Kind::Table | Kind::Extern, Identity::Table(_))
                | (Kind::Memory | Kind::Extern, Identity::Memory(_))
                | (Kind::Instance, Identity::Instance(_))
                | (Kind::Foreign, Identity::Foreign(_))
        )
    }

    /// The store and identity of a store object.
    pub fn store_identity(&self) -> Option<(&Rc<StoreData>, Identity)> {
        match &self.obj {
            Obj::Store(s, id) => Some((s, *id)),
            _ => None,
        }
    }

    pub fn same(&self, other: &wasm_ref_t) -> bool {
        match (&self.obj, &other.obj) {
            (Obj::Store(a, x), Obj::Store(b, y)) => Rc::ptr_eq(a, b) && x == y,
            (Obj::Trap(a), Obj::Trap(b)) => Rc::ptr_eq(a, b),
            (Obj::Module(a), Obj::Module(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }

    fn host_info(&self) -> *mut c_void {
        match &self.obj {
            Obj::Store(s, id) => s.host_info(id),
            Obj::Trap(t) => cell_info(&t.host_info),
            Obj::Module(m) => cell_info(&m.host_info),
        }
    }

    fn set_host_info(&self, info: HostInfo) {
        let old = match &self.obj {
            Obj::Store(s, id) => return s.set_host_info(*id, info),
            Obj::Trap(t) => t.host_info.borrow_mut().replace(info),
            Obj::Module(m) => m.host_info.borrow_mut().replace(info),
        };
        // Finalized outside the borrow: the finalizer may call the API.
        drop(old);
    }
}

fn cell_info(c: &RefCell<Option<HostInfo>>) -> *mut c_void {
    c.borrow().as_ref().map(|h| h.data).unwrap_or(std::ptr::null_mut())
}

/// `r` if it is a reference of `kind`.
///
/// # Safety
/// `r` must be NULL or a reference made by this library.
pub unsafe fn as_kind<'a>(r: *const wasm_ref_t, kind: Kind) -> Option<&'a wasm_ref_t> {
    // SAFETY: by the function's contract.
    unsafe { ptr_ref(r) }.filter(|r| r.is(kind))
}

macro_rules! ref_base_api {
    ($kind:expr, $delete:ident, $copy:ident, $same:ident, $get:ident, $set:ident, $set_fin:ident) => {
        #[no_mangle]
        pub unsafe extern "C" fn $delete(r: *mut wasm_ref_t) {
            // SAFETY: NULL or a reference of ours, given up.
            guard((), || drop(unsafe { from_c(r) }))
        }

        #[no_mangle]
        pub unsafe extern "C" fn $copy(r: *const wasm_ref_t) -> *mut wasm_ref_t {
            // SAFETY: NULL or a reference of ours.
            guard(std::ptr::null_mut(), || match unsafe { as_kind(r, $kind) } {
                Some(r) => to_c(r.clone()),
                None => std::ptr::null_mut(),
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn $same(a: *const wasm_ref_t, b: *const wasm_ref_t) -> bool {
            // SAFETY: NULL or references of ours.
            guard(false, || match unsafe { (as_kind(a, $kind), as_kind(b, $kind)) } {
                (Some(a), Some(b)) => a.same(b),
                _ => false,
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn $get(r: *const wasm_ref_t) -> *mut c_void {
            // SAFETY: NULL or a reference of ours.
            guard(std::ptr::null_mut(), || match unsafe { as_kind(r, $kind) } {
                Some(r) => r.host_info(),
                None => std::ptr::null_mut(),
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn $set(r: *mut wasm_ref_t, data: *mut c_void) {
            guard((), || {
                // SAFETY: NULL or a reference of ours.
                if let Some(r) = unsafe { as_kind(r, $kind) } {
                    r.set_host_info(HostInfo { data, finalizer: None })
                }
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn $set_fin(
            r: *mut wasm_ref_t,
            data: *mut c_void,
            finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
        ) {
            guard((), || {
                // SAFETY: NULL or a reference of ours.
                if let Some(r) = unsafe { as_kind(r, $kind) } {
                    r.set_host_info(HostInfo { data, finalizer })
                }
            })
        }
    };
}

macro_rules! ref_api {
    ($kind:expr, $delete:ident, $copy:ident, $same:ident, $get:ident, $set:ident, $set_fin:ident,
     $as_ref:ident, $as_ref_const:ident, $ref_as:ident, $ref_as_const:ident) => {
        ref_base_api!($kind, $delete, $copy, $same, $get, $set, $set_fin);

        /// The same object, as a generic reference.
        #[no_mangle]
        pub extern "C" fn $as_ref(r: *mut wasm_ref_t) -> *mut wasm_ref_t {
            r
        }

        #[no_mangle]
        pub extern "C" fn $as_ref_const(r: *const wasm_ref_t) -> *const wasm_ref_t {
            r
        }

        /// The same object if it is of this kind, else NULL.
        #[no_mangle]
        pub unsafe extern "C" fn $ref_as(r: *mut wasm_ref_t) -> *mut wasm_ref_t {
            // SAFETY: NULL or a reference of ours.
            guard(std::ptr::null_mut(), || match unsafe { as_kind(r, $kind) } {
                Some(_) => r,
                None => std::ptr::null_mut(),
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn $ref_as_const(r: *const wasm_ref_t) -> *const wasm_ref_t {
            // SAFETY: NULL or a reference of ours.
            guard(std::ptr::null(), || match unsafe { as_kind(r, $kind) } {
                Some(_) => r,
                None => std::ptr::null(),
            })
        }
    };
}

ref_base_api!(
    Kind::Any,
    wasm_ref_delete,
    wasm_ref_copy,
    wasm_ref_same,
    wasm_ref_get_host_info,
    wasm_ref_set_host_info,
    wasm_ref_set_host_info_with_finalizer
);
ref_api!(
    Kind::Trap,
    wasm_trap_delete,
    wasm_trap_copy,
    wasm_trap_same,
    wasm_trap_get_host_info,
    wasm_trap_set_host_info,
    wasm_trap_set_host_info_with_finalizer,
    wasm_trap_as_ref,
    wasm_trap_as_ref_const,
    wasm_ref_as_trap,
    wasm_ref_as_trap_const
);
ref_api!(
    Kind::Foreign,
    wasm_foreign_delete,
    wasm_foreign_copy,
    wasm_foreign_same,
    wasm_foreign_get_host_info,
    wasm_foreign_set_host_info,
    wasm_foreign_set_host_info_with_finalizer,
    wasm_foreign_as_ref,
    wasm_foreign_as_ref_const,
    wasm_ref_as_foreign,
    wasm_ref_as_foreign_const
);
ref_api!(
    Kind::Module,
    wasm_module_delete,
    wasm_module_copy,
    wasm_module_same,
    wasm_module_get_host_info,
    wasm_module_set_host_info,
    wasm_module_set_host_info_with_finalizer,
    wasm_module_as_ref,
    wasm_module_as_ref_const,
    wasm_ref_as_module,
    wasm_ref_as_module_const
);
ref_api!(
    Kind::Func,
    wasm_func_delete,
    wasm_func_copy,
    wasm_func_same,
    wasm_func_get_host_info,
    wasm_func_set_host_info,
    wasm_func_set_host_info_with_finalizer,
    wasm_func_as_ref,
    wasm_func_as_ref_const,
    wasm_ref_as_func,
    wasm_ref_as_func_const
);
ref_api!(
    Kind::Global,
    wasm_global_delete,
    wasm_global_copy,
    wasm_global_same,
    wasm_global_get_host_info,
    wasm_global_set_host_info,
    wasm_global_set_host_info_with_finalizer,
    wasm_global_as_ref,
    wasm_global_as_ref_const,
    wasm_ref_as_global,
    wasm_ref_as_global_const
);
ref_api!(
    Kind::Table,
    wasm_table_delete,
    wasm_table_copy,
    wasm_table_same,
    wasm_table_get_host_info,
    wasm_table_set_host_info,
    wasm_table_set_host_info_with_finalizer,
    wasm_table_as_ref,
    wasm_table_as_ref_const,
    wasm_ref_as_table,
    wasm_ref_as_table_const
);
ref_api!(
    Kind::Memory,
    wasm_memory_delete,
    wasm_memory_copy,
    wasm_memory_same,
    wasm_memory_get_host_info,
    wasm_memory_set_host_info,
    wasm_memory_set_host_info_with_finalizer,
    wasm_memory_as_ref,
    wasm_memory_as_ref_const,
    wasm_ref_as_memory,
    wasm_ref_as_memory_const
);
ref_api!(
    Kind::Extern,
    wasm_extern_delete,
    wasm_extern_copy,
    wasm_extern_same,
    wasm_extern_get_host_info,
    wasm_extern_set_host_info,
    wasm_extern_set_host_info_with_finalizer,
    wasm_extern_as_ref,
    wasm_extern_as_ref_const,
    wasm_ref_as_extern,
    wasm_ref_as_extern_const
);
ref_api!(
    Kind::Instance,
    wasm_instance_delete,
    wasm_instance_copy,
    wasm_instance_same,
    wasm_instance_get_host_info,
    wasm_instance_set_host_info,
    wasm_instance_set_host_info_with_finalizer,
    wasm_instance_as_ref,
    wasm_instance_as_ref_const,
    wasm_ref_as_instance,
    wasm_ref_as_instance_const
);

// ---- foreign objects ------------------------------------------------------------

/// A new foreign object: an opaque reference of the host's, which wasm can
/// hold as an externref and give back.
#[no_mangle]
pub unsafe extern "C" fn wasm_foreign_new(store: *mut wasm_store_t) -> *mut wasm_foreign_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a store of ours.
        match unsafe { ptr_ref(store) } {
            Some(s) => to_c(wasm_ref_t::store_obj(&s.data, s.data.new_foreign())),
            None => {
                crate::ffi::misuse("wasm_foreign_new", "NULL store");
                std::ptr::null_mut()
            }
        }
    })
}
