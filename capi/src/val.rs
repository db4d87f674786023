//! `wasm_val_t` and its conversion to and from the engine's `Val`.
//!
//! References in values are owned `wasm_ref_t*`s. Going to the engine, a
//! funcref must be a function of the same store; an externref may be any
//! object of the store (it gets an interned handle, see
//! `StoreData::externref_handle`). Coming back, each non-null reference is
//! a new `wasm_ref_t` the receiver owns.

use crate::ffi::{from_c, guard, ptr_ref, to_c};
use crate::refs::{wasm_ref_t, Obj};
use crate::store::{Identity, StoreData};
use crate::types::{valkind_of, WASM_EXTERNREF, WASM_F32, WASM_F64, WASM_FUNCREF, WASM_I32, WASM_I64};
use crate::vec::Element;
use engine::{Val, ValType};
use std::rc::Rc;

#[repr(C)]
#[derive(Copy, Clone)]
pub union wasm_val_union {
    pub i32: i32,
    pub i64: i64,
    pub f32: f32,
    pub f64: f64,
    pub ref_: *mut wasm_ref_t,
}

#[repr(C)]
#[derive(Copy, Clone)]
pub struct wasm_val_t {
    pub kind: u8,
    pub of: wasm_val_union,
}

impl wasm_val_t {
    pub fn null_ref(kind: u8) -> wasm_val_t {
        wasm_val_t { kind, of: wasm_val_union { ref_: std::ptr::null_mut() } }
    }

    /// A zero (or null) value of type `ty`: what result slots start as.
    pub fn zero(ty: ValType) -> wasm_val_t {
        match ty {
            ValType::FuncRef | ValType::ExternRef | ValType::Ref(_) => wasm_val_t::null_ref(valkind_of(ty)),
            _ => wasm_val_t { kind: valkind_of(ty), of: wasm_val_union { i64: 0 } },
        }
    }

    fn is_ref(&self) -> bool {
        self.kind == WASM_EXTERNREF || self.kind == WASM_FUNCREF
    }

    /// The reference this value holds, if any.
    pub fn ref_ptr(&self) -> *mut wasm_ref_t {
        if self.is_ref() {
            // SAFETY: a value of a reference kind holds the `ref_` member.
            unsafe { self.of.ref_ }
        } else {
            std::ptr::null_mut()
        }
    }
}

impl Element for wasm_val_t {
    fn blank() -> wasm_val_t {
        wasm_val_t::null_ref(WASM_EXTERNREF)
    }
    fn duplicate(&self) -> wasm_val_t {
        copy_val(self)
    }
    fn release(&mut self) {
        let r = self.ref_ptr();
        // SAFETY: a reference in a value is owned by it (API rules).
        drop(unsafe { from_c(r) });
        *self = wasm_val_t::blank();
    }
}

fn copy_val(v: &wasm_val_t) -> wasm_val_t {
    let r = v.ref_ptr();
    if r.is_null() {
        return *v;
    }
    // SAFETY: a non-null reference in a value is one of ours.
    let copy = unsafe { ptr_ref(r) }.map(|r| to_c(r.clone())).unwrap_or(std::ptr::null_mut());
    wasm_val_t { kind: v.kind, of: wasm_val_union { ref_: copy } }
}

/// The engine value for reference `r` (NULL: the null reference) where a
/// value of reference type `want` is expected, in `store`.
///
/// # Safety
/// `r` must be NULL or a reference of ours.
pub unsafe fn ref_to_val(store: &Rc<StoreData>, r: *const wasm_ref_t, want: ValType) -> Result<Val, String> {
    // SAFETY: by the function's contract.
    let r = unsafe { ptr_ref(r) };
    match want {
        ValType::FuncRef => match r {
            None => Ok(Val::FuncRef(None)),
            Some(wasm_ref_t { obj: Obj::Store(s, Identity::Func(f)) }) if Rc::ptr_eq(s, store) => Ok(Val::FuncRef(Some(*f))),
            Some(wasm_ref_t { obj: Obj::Store(s, Identity::Func(_)) }) if !Rc::ptr_eq(s, store) => {
                Err("the function belongs to another store".into())
            }
            Some(_) => Err("a funcref must be a function".into()),
        },
        ValType::ExternRef => match r {
            None => Ok(Val::ExternRef(None)),
            Some(wasm_ref_t { obj: Obj::Store(s, id) }) if Rc::ptr_eq(s, store) => {
                Ok(Val::ExternRef(Some(store.externref_handle(*id))))
            }
            Some(wasm_ref_t { obj: Obj::Store(..) }) => Err("the reference belongs to another store".into()),
            Some(_) => Err("only objects of a store (not traps or modules) can be passed as externref".into()),
        },
        other => Err(format!("expected a value of type {other}, got a reference")),
    }
}

/// The engine value of `v`, which must have type `want`.
pub fn to_engine(store: &Rc<StoreData>, v: &wasm_val_t, want: ValType) -> Result<Val, String> {
    let got = match v.kind {
        // SAFETY: the union member read is the one `kind` names.
        WASM_I32 => Val::I32(unsafe { v.of.i32 }),
        // SAFETY: as above.
        WASM_I64 => Val::I64(unsafe { v.of.i64 }),
        // SAFETY: as above.
        WASM_F32 => Val::F32(unsafe { v.of.f32 }.to_bits()),
        // SAFETY: as above.
        WASM_F64 => Val::F64(unsafe { v.of.f64 }.to_bits()),
        WASM_EXTERNREF | WASM_FUNCREF => {
            if !want.is_reference() {
                return Err(format!("expected a value of type {want}, got a reference"));
            }
            // SAFETY: a reference kind holds `ref_`, NULL or one of ours.
            // (A typed reference is checked further by the engine.)
            return unsafe { ref_to_val(store, v.of.ref_, want.erased()) };
        }
        k => return Err(format!("unknown value kind {k}")),
    };
    if got.ty() != want {
        return Err(format!("expected a value of type {want}, got one of type {}", got.ty()));
    }
    Ok(got)
}

/// `v` as a C value (references become new owned `wasm_ref_t`s).
pub fn from_engine(store: &Rc<StoreData>, v: Val) -> Result<wasm_val_t, String> {
    let of = |of| wasm_val_t { kind: valkind_of(v.ty()), of };
    Ok(match v {
        Val::I32(x) => of(wasm_val_union { i32: x }),
        Val::I64(x) => of(wasm_val_union { i64: x }),
        Val::F32(b) => of(wasm_val_union { f32: f32::from_bits(b) }),
        Val::F64(b) => of(wasm_val_union { f64: f64::from_bits(b) }),
        Val::V128(_) => return Err("v128 values cannot be passed through the wasm C API".into()),
        Val::FuncRef(None) => wasm_val_t::null_ref(WASM_FUNCREF),
        Val::ExternRef(None) => wasm_val_t::null_ref(WASM_EXTERNREF),
        Val::FuncRef(Some(f)) => of(wasm_val_union { ref_: to_c(wasm_ref_t::store_obj(store, Identity::Func(f))) }),
        Val::ExternRef(Some(h)) => {
            let id = store.externref_identity(h).ok_or_else(|| format!("externref handle {h} was not made by this store"))?;
            of(wasm_val_union { ref_: to_c(wasm_ref_t::store_obj(store, id)) })
        }
    })
}

/// The reference of an engine reference value (NULL for null).
pub fn ref_from_engine(store: &Rc<StoreData>, v: Val) -> Result<*mut wasm_ref_t, String> {
    Ok(from_engine(store, v)?.ref_ptr())
}

#[no_mangle]
pub unsafe extern "C" fn wasm_val_delete(v: *mut wasm_val_t) {
    guard((), || {
        // SAFETY: NULL or a value the caller owns.
        if let Some(v) = unsafe { v.as_mut() } {
            v.release();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_val_copy(out: *mut wasm_val_t, src: *const wasm_val_t) {
    guard((), || {
        // SAFETY: `src` NULL or a valid value; `out` NULL or writable.
        if let (Some(src), false) = (unsafe { ptr_ref(src) }, out.is_null()) {
            // SAFETY: `out` is not NULL, so writable by the contract; `write`
            // does not drop its uninitialised old contents.
            unsafe { std::ptr::write(out, copy_val(src)) }
        }
    })
}
