//! Externals: a function, global, table or memory seen as one kind
//! (instance exports, import lists). `wasm_func_as_extern` and the others
//! return the same object (see `refs`); the way back checks the kind.

use crate::ffi::{guard, to_c};
use crate::refs::{as_kind, wasm_extern_t, wasm_ref_t, Kind};
use crate::store::Identity;
use crate::types::{
    wasm_externkind_t, wasm_externtype_t, EngineType, WASM_EXTERN_FUNC, WASM_EXTERN_GLOBAL, WASM_EXTERN_MEMORY, WASM_EXTERN_TABLE,
};
use engine::Extern;

/// The engine's view of an external.
pub fn to_extern(r: &wasm_ref_t) -> Option<Extern> {
    Some(match r.store_identity()?.1 {
        Identity::Func(f) => Extern::Func(f),
        Identity::Global(g) => Extern::Global(g),
        Identity::Table(t) => Extern::Table(t),
        Identity::Memory(m) => Extern::Memory(m),
        Identity::Instance(_) | Identity::Foreign(_) => return None,
    })
}

pub fn identity_of(e: Extern) -> Identity {
    match e {
        Extern::Func(f) => Identity::Func(f),
        Extern::Global(g) => Identity::Global(g),
        Extern::Table(t) => Identity::Table(t),
        Extern::Memory(m) => Identity::Memory(m),
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_extern_kind(e: *const wasm_extern_t) -> wasm_externkind_t {
    // SAFETY: NULL or a reference of ours.
    guard(WASM_EXTERN_FUNC, || match unsafe { as_kind(e, Kind::Extern) }.and_then(to_extern) {
        Some(Extern::Global(_)) => WASM_EXTERN_GLOBAL,
        Some(Extern::Table(_)) => WASM_EXTERN_TABLE,
        Some(Extern::Memory(_)) => WASM_EXTERN_MEMORY,
        _ => WASM_EXTERN_FUNC,
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_extern_type(e: *const wasm_extern_t) -> *mut wasm_externtype_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a reference of ours.
        let Some(r) = (unsafe { as_kind(e, Kind::Extern) }) else { return std::ptr::null_mut() };
        let (Some((s, _)), Some(ext)) = (r.store_identity(), to_extern(r)) else { return std::ptr::null_mut() };
        let ty = s.with(|st| match ext {
            Extern::Func(f) => EngineType::Func(f.ty(st)),
            Extern::Global(g) => EngineType::Global(g.ty(st)),
            Extern::Table(t) => EngineType::Table(t.ty(st)),
            Extern::Memory(m) => EngineType::Memory(m.ty(st)),
        });
        to_c(wasm_externtype_t::new(ty))
    })
}

macro_rules! extern_casts {
    ($kind:expr, $to:ident, $to_const:ident, $from:ident, $from_const:ident) => {
        /// The same object, as an external.
        #[no_mangle]
        pub extern "C" fn $to(r: *mut wasm_ref_t) -> *mut wasm_extern_t {
            r
        }
        #[no_mangle]
        pub extern "C" fn $to_const(r: *const wasm_ref_t) -> *const wasm_extern_t {
            r
        }
        /// The same object if the external is of this kind, else NULL.
        #[no_mangle]
        pub unsafe extern "C" fn $from(e: *mut wasm_extern_t) -> *mut wasm_ref_t {
            // SAFETY: NULL or a reference of ours.
            guard(std::ptr::null_mut(), || if unsafe { as_kind(e, $kind) }.is_some() { e } else { std::ptr::null_mut() })
        }
        #[no_mangle]
        pub unsafe extern "C" fn $from_const(e: *const wasm_extern_t) -> *const wasm_ref_t {
            // SAFETY: NULL or a reference of ours.
            guard(std::ptr::null(), || if unsafe { as_kind(e, $kind) }.is_some() { e } else { std::ptr::null() })
        }
    };
}

extern_casts!(Kind::Func, wasm_func_as_extern, wasm_func_as_extern_const, wasm_extern_as_func, wasm_extern_as_func_const);
extern_casts!(
    Kind::Global,
    wasm_global_as_extern,
    wasm_global_as_extern_const,
    wasm_extern_as_global,
    wasm_extern_as_global_const
);
extern_casts!(Kind::Table, wasm_table_as_extern, wasm_table_as_extern_const, wasm_extern_as_table, wasm_extern_as_table_const);
extern_casts!(
    Kind::Memory,
    wasm_memory_as_extern,
    wasm_memory_as_extern_const,
    wasm_extern_as_memory,
    wasm_extern_as_memory_const
);

/// Makes a new external reference for an engine external.
pub fn new_extern(s: &std::rc::Rc<crate::store::StoreData>, e: Extern) -> *mut wasm_extern_t {
    to_c(wasm_ref_t::store_obj(s, identity_of(e)))
}
