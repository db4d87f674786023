//! Type representations: `wasm_valtype_t` and the four extern type kinds,
//! with import and export types.
//!
//! The C API converts between `wasm_functype_t*` and `wasm_externtype_t*`
//! by pointer (`wasm_functype_as_externtype` returns the same object), so
//! all four kinds are one Rust type, [`wasm_externtype_t`], and the
//! per-kind C names are aliases of it; the `as_*` conversions check the
//! kind and give NULL on a mismatch. Each object keeps the engine's type
//! plus the C views the accessors return pointers into (the parameter
//! vectors, the content valtype, the limits).

use crate::ffi::{from_c, guard, ptr_mut, ptr_ref, to_c};
use crate::vec::{wasm_byte_vec_t, wasm_name_t, wasm_valtype_vec_t, wasm_vec};
use engine::{FuncType, GlobalType, MemoryType, RefType, TableType, ValType};

pub type wasm_valkind_t = u8;
pub const WASM_I32: u8 = 0;
pub const WASM_I64: u8 = 1;
pub const WASM_F32: u8 = 2;
pub const WASM_F64: u8 = 3;
/// Not in upstream's enum (its `wasm_val_t` has no 128-bit member): SIMD
/// types are reported with this kind; values of it cannot cross the API.
pub const WASM_V128: u8 = 4;
pub const WASM_EXTERNREF: u8 = 128;
pub const WASM_FUNCREF: u8 = 129;

pub type wasm_mutability_t = u8;
pub const WASM_CONST: u8 = 0;
pub const WASM_VAR: u8 = 1;

pub type wasm_externkind_t = u8;
pub const WASM_EXTERN_FUNC: u8 = 0;
pub const WASM_EXTERN_GLOBAL: u8 = 1;
pub const WASM_EXTERN_TABLE: u8 = 2;
pub const WASM_EXTERN_MEMORY: u8 = 3;

/// `max` of 0xffffffff means "no maximum".
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct wasm_limits_t {
    pub min: u32,
    pub max: u32,
}

pub const LIMITS_MAX_DEFAULT: u32 = 0xffff_ffff;

pub fn valkind_of(t: ValType) -> u8 {
    match t {
        ValType::I32 => WASM_I32,
        ValType::I64 => WASM_I64,
        ValType::F32 => WASM_F32,
        ValType::F64 => WASM_F64,
        ValType::V128 => WASM_V128,
        ValType::ExternRef => WASM_EXTERNREF,
        ValType::FuncRef => WASM_FUNCREF,
        // The C API has only the two 2.0 reference kinds: a typed
        // reference (3.0) shows as the kind it is at run time.
        ValType::Ref(_) if t.erased() == ValType::ExternRef => WASM_EXTERNREF,
        ValType::Ref(_) => WASM_FUNCREF,
    }
}

pub fn valtype_of_kind(k: u8) -> Option<ValType> {
    Some(match k {
        WASM_I32 => ValType::I32,
        WASM_I64 => ValType::I64,
        WASM_F32 => ValType::F32,
        WASM_F64 => ValType::F64,
        WASM_V128 => ValType::V128,
        WASM_EXTERNREF => ValType::ExternRef,
        WASM_FUNCREF => ValType::FuncRef,
        _ => return None,
    })
}

#[derive(Clone, Debug)]
pub struct wasm_valtype_t {
    pub ty: ValType,
}

/// An engine type of one of the four extern kinds.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineType {
    Func(FuncType),
    Global(GlobalType),
    Table(TableType),
    Memory(MemoryType),
}

/// Every type kind but valtype (see the module docs).
pub struct wasm_externtype_t {
    pub ty: EngineType,
    /// C views of `ty`, kept so accessors can return pointers into them.
    params: wasm_valtype_vec_t,
    results: wasm_valtype_vec_t,
    content: wasm_valtype_t,
    limits: wasm_limits_t,
}

pub type wasm_functype_t = wasm_externtype_t;
pub type wasm_globaltype_t = wasm_externtype_t;
pub type wasm_tabletype_t = wasm_externtype_t;
pub type wasm_memorytype_t = wasm_externtype_t;

fn valtype_vec(types: &[ValType]) -> wasm_valtype_vec_t {
    wasm_vec::from_vec(types.iter().map(|&ty| to_c(wasm_valtype_t { ty })).collect())
}

fn limits(min: u64, max: Option<u64>) -> wasm_limits_t {
    wasm_limits_t {
        min: u32::try_from(min).unwrap_or(u32::MAX),
        max: max.map(|m| u32::try_from(m).unwrap_or(u32::MAX)).unwrap_or(LIMITS_MAX_DEFAULT),
    }
}

impl wasm_externtype_t {
    pub fn new(ty: EngineType) -> wasm_externtype_t {
        let mut t = wasm_externtype_t {
            params: wasm_vec::empty(),
            results: wasm_vec::empty(),
            content: wasm_valtype_t { ty: ValType::I32 },
            limits: wasm_limits_t { min: 0, max: LIMITS_MAX_DEFAULT },
            ty,
        };
        match &t.ty {
            EngineType::Func(f) => {
                t.params = valtype_vec(&f.params);
                t.results = valtype_vec(&f.results);
            }
            EngineType::Global(g) => t.content.ty = g.ty,
            EngineType::Table(tt) => {
                t.content.ty = tt.elem.into();
                t.limits = limits(tt.min.into(), tt.max.map(u64::from));
            }
            EngineType::Memory(m) => t.limits = limits(m.min, m.max),
        }
        t
    }

    pub fn kind(&self) -> u8 {
        match self.ty {
            EngineType::Func(_) => WASM_EXTERN_FUNC,
            EngineType::Global(_) => WASM_EXTERN_GLOBAL,
            EngineType::Table(_) => WASM_EXTERN_TABLE,
            EngineType::Memory(_) => WASM_EXTERN_MEMORY,
        }
    }

    pub fn func(&self) -> Option<&FuncType> {
        if let EngineType::Func(f) = &self.ty {
            Some(f)
        } else {
            None
        }
    }
    pub fn global(&self) -> Option<&GlobalType> {
        if let EngineType::Global(g) = &self.ty {
            Some(g)
        } else {
            None
        }
    }
    pub fn table(&self) -> Option<&TableType> {
        if let EngineType::Table(t) = &self.ty {
            Some(t)
        } else {
            None
        }
    }
    pub fn memory(&self) -> Option<&MemoryType> {
        if let EngineType::Memory(m) = &self.ty {
            Some(m)
        } else {
            None
        }
    }
}

impl Clone for wasm_externtype_t {
    fn clone(&self) -> Self {
        wasm_externtype_t::new(self.ty.clone())
    }
}

#[derive(Clone)]
pub struct wasm_importtype_t {
    pub module: wasm_name_t,
    pub name: wasm_name_t,
    pub ty: wasm_externtype_t,
}

#[derive(Clone)]
pub struct wasm_exporttype_t {
    pub name: wasm_name_t,
    pub ty: wasm_externtype_t,
}

impl Clone for wasm_byte_vec_t {
    fn clone(&self) -> Self {
        // SAFETY: a vector inside one of our objects is one we allocated.
        wasm_vec::from_vec(unsafe { self.as_slice() }.to_vec())
    }
}

/// The bytes of a name vector given by C.
///
/// # Safety
/// `v` must be NULL or a valid vector.
pub unsafe fn name_bytes<'a>(v: *const wasm_byte_vec_t) -> &'a [u8] {
    // SAFETY: by the function's contract.
    match unsafe { v.as_ref() } {
        // SAFETY: a valid vector holds `size` bytes at `data` (the contract).
        Some(v) => unsafe { v.as_slice() },
        None => &[],
    }
}

// ---- valtype ---------------------------------------------------------------

#[no_mangle]
pub extern "C" fn wasm_valtype_new(kind: wasm_valkind_t) -> *mut wasm_valtype_t {
    guard(std::ptr::null_mut(), || match valtype_of_kind(kind) {
        Some(ty) if ty != ValType::V128 => to_c(wasm_valtype_t { ty }),
        _ => {
            crate::ffi::misuse("wasm_valtype_new", &format!("unknown value kind {kind}"));
            std::ptr::null_mut()
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_valtype_kind(t: *const wasm_valtype_t) -> wasm_valkind_t {
    // SAFETY: NULL or a valtype of ours.
    guard(0, || unsafe { ptr_ref(t) }.map(|t| valkind_of(t.ty)).unwrap_or(0))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_valtype_delete(t: *mut wasm_valtype_t) {
    // SAFETY: NULL or a valtype of ours, given up.
    guard((), || drop(unsafe { from_c(t) }))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_valtype_copy(t: *const wasm_valtype_t) -> *mut wasm_valtype_t {
    // SAFETY: NULL or a valtype of ours.
    guard(std::ptr::null_mut(), || unsafe { ptr_ref(t) }.map(|t| to_c(t.clone())).unwrap_or(std::ptr::null_mut()))
}

// ---- the four kinds: delete and copy ----------------------------------------

macro_rules! type_own_copy {
    ($delete:ident, $copy:ident) => {
        #[no_mangle]
        pub unsafe extern "C" fn $delete(t: *mut wasm_externtype_t) {
            // SAFETY: NULL or a type object of ours, given up.
            guard((), || drop(unsafe { from_c(t) }))
        }
        #[no_mangle]
        pub unsafe extern "C" fn $copy(t: *const wasm_externtype_t) -> *mut wasm_externtype_t {
            guard(std::ptr::null_mut(), || {
                // SAFETY: NULL or a type object of ours.
                unsafe { ptr_ref(t) }.map(|t| to_c(t.clone())).unwrap_or(std::ptr::null_mut())
            })
        }
    };
}

type_own_copy!(wasm_functype_delete, wasm_functype_copy);
type_own_copy!(wasm_globaltype_delete, wasm_globaltype_copy);
type_own_copy!(wasm_tabletype_delete, wasm_tabletype_copy);
type_own_copy!(wasm_memorytype_delete, wasm_memorytype_copy);
type_own_copy!(wasm_externtype_delete, wasm_externtype_copy);

/// Takes the valtypes out of an owned vector C passes in (freeing it).
/// None if the vector holds a NULL element.
///
/// # Safety
/// `v` must be NULL or a valtype vector made by this library.
unsafe fn take_valtypes(v: *mut wasm_valtype_vec_t) -> Option<Vec<ValType>> {
    // SAFETY: by the function's contract.
    let Some(v) = (unsafe { ptr_mut(v) }) else { return Some(Vec::new()) };
    let mut out = Some(Vec::new());
    // SAFETY: made by this library (ownership passes to us).
    for p in unsafe { v.take() } {
        // SAFETY: each element is NULL or a valtype of ours, now ours to free.
        match unsafe { from_c(p) } {
            Some(b) => {
                if let Some(o) = out.as_mut() {
                    o.push(b.ty)
                }
            }
            None => out = None,
        }
    }
    out
}

// ---- functype ---------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn wasm_functype_new(
    params: *mut wasm_valtype_vec_t,
    results: *mut wasm_valtype_vec_t,
) -> *mut wasm_functype_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: owned vectors of ours, passed to us.
        let (p, r) = unsafe { (take_valtypes(params), take_valtypes(results)) };
        match (p, r) {
            (Some(params), Some(results)) => to_c(wasm_externtype_t::new(EngineType::Func(FuncType { params, results }))),
            _ => {
                crate::ffi::misuse("wasm_functype_new", "a NULL valtype in the parameter or result vector");
                std::ptr::null_mut()
            }
        }
    })
}

static EMPTY_VALTYPES: EmptyVec = EmptyVec(wasm_vec { size: 0, data: std::ptr::null_mut() });
struct EmptyVec(wasm_valtype_vec_t);
// SAFETY: an empty vector with a NULL pointer: nothing to share.
unsafe impl Sync for EmptyVec {}

#[no_mangle]
pub unsafe extern "C" fn wasm_functype_params(t: *const wasm_functype_t) -> *const wasm_valtype_vec_t {
    // SAFETY: NULL or a type of ours.
    guard(&EMPTY_VALTYPES.0, || match unsafe { ptr_ref(t) } {
        Some(t) if t.func().is_some() => &t.params,
        _ => &EMPTY_VALTYPES.0,
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_functype_results(t: *const wasm_functype_t) -> *const wasm_valtype_vec_t {
    // SAFETY: NULL or a type of ours.
    guard(&EMPTY_VALTYPES.0, || match unsafe { ptr_ref(t) } {
        Some(t) if t.func().is_some() => &t.results,
        _ => &EMPTY_VALTYPES.0,
    })
}

// ---- globaltype ---------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn wasm_globaltype_new(
    content: *mut wasm_valtype_t,
    mutability: wasm_mutability_t,
) -> *mut wasm_globaltype_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or an owned valtype of ours, passed to us.
        let Some(c) = (unsafe { from_c(content) }) else {
            crate::ffi::misuse("wasm_globaltype_new", "NULL content type");
            return std::ptr::null_mut();
        };
        if mutability > WASM_VAR {
            crate::ffi::misuse("wasm_globaltype_new", &format!("unknown mutability {mutability}"));
            return std::ptr::null_mut();
        }
        to_c(wasm_externtype_t::new(EngineType::Global(GlobalType { ty: c.ty, mutable: mutability == WASM_VAR })))
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_globaltype_content(t: *const wasm_globaltype_t) -> *const wasm_valtype_t {
    // SAFETY: NULL or a type of ours.
    guard(std::ptr::null(), || match unsafe { ptr_ref(t) } {
        Some(t) if t.global().is_some() => &t.content as *const _,
        _ => std::ptr::null(),
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_globaltype_mutability(t: *const wasm_globaltype_t) -> wasm_mutability_t {
    // SAFETY: NULL or a type of ours.
    guard(WASM_CONST, || match unsafe { ptr_ref(t) }.and_then(|t| t.global()) {
        Some(g) if g.mutable => WASM_VAR,
        _ => WASM_CONST,
    })
}

// ---- tabletype ---------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn wasm_tabletype_new(elem: *mut wasm_valtype_t, lim: *const wasm_limits_t) -> *mut wasm_tabletype_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or an owned valtype of ours, passed to us; `lim` NULL or valid.
        let (e, l) = unsafe { (from_c(elem), ptr_ref(lim)) };
        let (Some(e), Some(l)) = (e, l) else {
            crate::ffi::misuse("wasm_tabletype_new", "NULL element type or limits");
            return std::ptr::null_mut();
        };
        let elem = match e.ty {
            ValType::FuncRef => RefType::FuncRef,
            ValType::ExternRef => RefType::ExternRef,
            other => {
                crate::ffi::misuse("wasm_tabletype_new", &format!("a table cannot hold {other}"));
                return std::ptr::null_mut();
            }
        };
        let max = (l.max != LIMITS_MAX_DEFAULT).then_some(l.max);
        to_c(wasm_externtype_t::new(EngineType::Table(TableType { elem, min: l.min, max })))
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_tabletype_element(t: *const wasm_tabletype_t) -> *const wasm_valtype_t {
    // SAFETY: NULL or a type of ours.
    guard(std::ptr::null(), || match unsafe { ptr_ref(t) } {
        Some(t) if t.table().is_some() => &t.content as *const _,
        _ => std::ptr::null(),
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_tabletype_limits(t: *const wasm_tabletype_t) -> *const wasm_limits_t {
    // SAFETY: NULL or a type of ours.
    guard(std::ptr::null(), || match unsafe { ptr_ref(t) } {
        Some(t) if t.table().is_some() => &t.limits as *const _,
        _ => std::ptr::null(),
    })
}

// ---- memorytype ---------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn wasm_memorytype_new(lim: *const wasm_limits_t) -> *mut wasm_memorytype_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or valid limits.
        let Some(l) = (unsafe { ptr_ref(lim) }) else {
            crate::ffi::misuse("wasm_memorytype_new", "NULL limits");
            return std::ptr::null_mut();
        };
        let max = (l.max != LIMITS_MAX_DEFAULT).then_some(u64::from(l.max));
        to_c(wasm_externtype_t::new(EngineType::Memory(MemoryType { min: l.min.into(), max })))
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_memorytype_limits(t: *const wasm_memorytype_t) -> *const wasm_limits_t {
    // SAFETY: NULL or a type of ours.
    guard(std::ptr::null(), || match unsafe { ptr_ref(t) } {
        Some(t) if t.memory().is_some() => &t.limits as *const _,
        _ => std::ptr::null(),
    })
}

// ---- externtype ---------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn wasm_externtype_kind(t: *const wasm_externtype_t) -> wasm_externkind_t {
    // SAFETY: NULL or a type of ours.
    guard(WASM_EXTERN_FUNC, || unsafe { ptr_ref(t) }.map(|t| t.kind()).unwrap_or(WASM_EXTERN_FUNC))
}

macro_rules! type_casts {
    ($kind:expr, $to_ext:ident, $to_ext_const:ident, $from_ext:ident, $from_ext_const:ident) => {
        /// The same object, seen as an extern type.
        #[no_mangle]
        pub extern "C" fn $to_ext(t: *mut wasm_externtype_t) -> *mut wasm_externtype_t {
            t
        }
        #[no_mangle]
        pub extern "C" fn $to_ext_const(t: *const wasm_externtype_t) -> *const wasm_externtype_t {
            t
        }
        /// The same object if it is of this kind, else NULL.
        #[no_mangle]
        pub unsafe extern "C" fn $from_ext(t: *mut wasm_externtype_t) -> *mut wasm_externtype_t {
            // SAFETY: NULL or a type of ours.
            guard(std::ptr::null_mut(), || match unsafe { ptr_ref(t) } {
                Some(r) if r.kind() == $kind => t,
                _ => std::ptr::null_mut(),
            })
        }
        #[no_mangle]
        pub unsafe extern "C" fn $from_ext_const(t: *const wasm_externtype_t) -> *const wasm_externtype_t {
            // SAFETY: NULL or a type of ours.
            guard(std::ptr::null(), || match unsafe { ptr_ref(t) } {
                Some(r) if r.kind() == $kind => t,
                _ => std::ptr::null(),
            })
        }
    };
}

type_casts!(
    WASM_EXTERN_FUNC,
    wasm_functype_as_externtype,
    wasm_functype_as_externtype_const,
    wasm_externtype_as_functype,
    wasm_externtype_as_functype_const
);
type_casts!(
    WASM_EXTERN_GLOBAL,
    wasm_globaltype_as_externtype,
    wasm_globaltype_as_externtype_const,
    wasm_externtype_as_globaltype,
    wasm_externtype_as_globaltype_const
);
type_casts!(
    WASM_EXTERN_TABLE,
    wasm_tabletype_as_externtype,
    wasm_tabletype_as_externtype_const,
    wasm_externtype_as_tabletype,
    wasm_externtype_as_tabletype_const
);
type_casts!(
    WASM_EXTERN_MEMORY,
    wasm_memorytype_as_externtype,
    wasm_memorytype_as_externtype_const,
    wasm_externtype_as_memorytype,
    wasm_externtype_as_memorytype_const
);

// ---- importtype / exporttype ---------------------------------------------------

/// Takes an owned name vector C passes in.
///
/// # Safety
/// `v` must be NULL or a byte vector made by this library.
unsafe fn take_name(v: *mut wasm_name_t) -> wasm_name_t {
    // SAFETY: by the function's contract.
    match unsafe { ptr_mut(v) } {
        // SAFETY: made by this library (the contract), so `take` may own its storage.
        Some(v) => wasm_vec::from_vec(unsafe { v.take() }),
        None => wasm_vec::empty(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_new(
    module: *mut wasm_name_t,
    name: *mut wasm_name_t,
    ty: *mut wasm_externtype_t,
) -> *mut wasm_importtype_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: owned objects of ours, passed to us.
        let (module, name, ty) = unsafe { (take_name(module), take_name(name), from_c(ty)) };
        match ty {
            Some(ty) => to_c(wasm_importtype_t { module, name, ty: *ty }),
            None => {
                crate::ffi::misuse("wasm_importtype_new", "NULL type");
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_module(t: *const wasm_importtype_t) -> *const wasm_name_t {
    // SAFETY: NULL or an import type of ours.
    guard(std::ptr::null(), || unsafe { ptr_ref(t) }.map(|t| &t.module as *const _).unwrap_or(std::ptr::null()))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_name(t: *const wasm_importtype_t) -> *const wasm_name_t {
    // SAFETY: NULL or an import type of ours.
    guard(std::ptr::null(), || unsafe { ptr_ref(t) }.map(|t| &t.name as *const _).unwrap_or(std::ptr::null()))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_type(t: *const wasm_importtype_t) -> *const wasm_externtype_t {
    // SAFETY: NULL or an import type of ours.
    guard(std::ptr::null(), || unsafe { ptr_ref(t) }.map(|t| &t.ty as *const _).unwrap_or(std::ptr::null()))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_delete(t: *mut wasm_importtype_t) {
    // SAFETY: NULL or an import type of ours, given up.
    guard((), || drop(unsafe { from_c(t) }))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_copy(t: *const wasm_importtype_t) -> *mut wasm_importtype_t {
    // SAFETY: NULL or an import type of ours.
    guard(std::ptr::null_mut(), || unsafe { ptr_ref(t) }.map(|t| to_c(t.clone())).unwrap_or(std::ptr::null_mut()))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_new(name: *mut wasm_name_t, ty: *mut wasm_externtype_t) -> *mut wasm_exporttype_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: owned objects of ours, passed to us.
        let (name, ty) = unsafe { (take_name(name), from_c(ty)) };
        match ty {
            Some(ty) => to_c(wasm_exporttype_t { name, ty: *ty }),
            None => {
                crate::ffi::misuse("wasm_exporttype_new", "NULL type");
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_name(t: *const wasm_exporttype_t) -> *const wasm_name_t {
    // SAFETY: NULL or an export type of ours.
    guard(std::ptr::null(), || unsafe { ptr_ref(t) }.map(|t| &t.name as *const _).unwrap_or(std::ptr::null()))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_type(t: *const wasm_exporttype_t) -> *const wasm_externtype_t {
    // SAFETY: NULL or an export type of ours.
    guard(std::ptr::null(), || unsafe { ptr_ref(t) }.map(|t| &t.ty as *const _).unwrap_or(std::ptr::null()))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_delete(t: *mut wasm_exporttype_t) {
    // SAFETY: NULL or an export type of ours, given up.
    guard((), || drop(unsafe { from_c(t) }))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_copy(t: *const wasm_exporttype_t) -> *mut wasm_exporttype_t {
    // SAFETY: NULL or an export type of ours.
    guard(std::ptr::null_mut(), || unsafe { ptr_ref(t) }.map(|t| to_c(t.clone())).unwrap_or(std::ptr::null_mut()))
}

/// A byte vector holding `s` (not NUL-terminated: wasm names).
pub fn name_vec(s: &str) -> wasm_byte_vec_t {
    crate::vec::bytes_vec(s.as_bytes())
}
