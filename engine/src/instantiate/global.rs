//! Globals: a 16-byte cell compiled code reads and writes in place, plus its
//! type for import checks and host access. The cell of a global defined by
//! an instance lives inline in that instance's `VMContext` (one load from
//! `vmctx` for its own code); a global made by the host owns a boxed cell.

use crate::error::Error;
use crate::instantiate::store::{Store, StoreInner};
use crate::instantiate::values::Val;
use crate::parse::types::{GlobalType, ValType};
use crate::vm::layout::{VMGlobal, ValRaw};

#[derive(Debug)]
pub struct GlobalData {
    /// The cell: `own`'s, or one in an instance's context of the same
    /// store (the store frees instances and globals only together).
    vm: *mut VMGlobal,
    /// The cell of a host-made global (held so that it stays allocated).
    _own: Option<Box<VMGlobal>>,
    pub ty: GlobalType,
}

impl GlobalData {
    /// A global with its own cell holding `value`.
    pub fn owned(ty: GlobalType, value: ValRaw) -> GlobalData {
        let mut own = Box::new(VMGlobal { value });
        let vm: *mut VMGlobal = &mut *own;
        GlobalData { vm, _own: Some(own), ty }
    }

    /// A global whose cell is `cell` (inside an instance's context).
    ///
    /// # Safety
    /// `cell` must stay valid and 16-byte aligned for as long as the
    /// store that will hold this global.
    pub unsafe fn in_context(ty: GlobalType, cell: *mut VMGlobal) -> GlobalData {
        GlobalData { vm: cell, _own: None, ty }
    }

    /// The cell compiled code reads and writes.
    pub fn cell(&self) -> *mut VMGlobal {
        self.vm
    }

    pub fn value(&self) -> ValRaw {
        // SAFETY: `vm` is valid while the store lives (see the constructors),
        // and no compiled code runs while the host holds `&self`.
        unsafe { (*self.vm).value }
    }

    pub fn set_value(&mut self, value: ValRaw) {
        // SAFETY: as in `value`; `&mut self` means no other access.
        unsafe { (*self.vm).value = value }
    }
}

/// A handle to a global in a [`Store`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Global {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

impl Global {
    /// A new global of type `ty` holding `init` (which must be of `ty.ty`).
    pub fn new(store: &mut Store, ty: GlobalType, init: Val) -> Result<Global, Error> {
        if !init.fits(ty.ty) {
            return Err(Error::Instantiation(format!("global of type {:?} cannot hold a {:?} value", ty.ty, init.ty())));
        }
        let raw = store.inner.val_to_raw(&init)?;
        Ok(store.inner.push_global(GlobalData::owned(ty, raw)))
    }

    pub(crate) fn data<'a>(&self, store: &'a StoreInner) -> Option<&'a GlobalData> {
        if self.store != store.id {
            return None;
        }
        store.globals.get(self.index as usize).map(|g| &**g)
    }

    /// The current value. A handle of another store reads as `I32(0)`.
    pub fn get(&self, store: &Store) -> Val {
        match self.data(&store.inner) {
            Some(g) => store.inner.raw_to_val(g.value(), g.ty.ty),
            None => Val::I32(0),
        }
    }

    /// Sets a mutable global; the value must have the global's type.
    pub fn set(&self, store: &mut Store, value: Val) -> Result<(), Error> {
        let ty = self.data(&store.inner).ok_or(Error::ForeignHandle)?.ty;
        if !ty.mutable {
            return Err(Error::Instantiation("cannot set an immutable global".into()));
        }
        if !value.fits(ty.ty) {
            return Err(Error::Instantiation(format!("global of type {:?} cannot hold a {:?} value", ty.ty, value.ty())));
        }
        let raw = store.inner.val_to_raw(&value)?;
        let g = store.inner.globals.get_mut(self.index as usize).ok_or(Error::ForeignHandle)?;
        g.set_value(raw);
        Ok(())
    }

    /// The type. A handle of another store reports an immutable i32.
    pub fn ty(&self, store: &Store) -> GlobalType {
        self.data(&store.inner).map(|g| g.ty).unwrap_or(GlobalType { ty: ValType::I32, mutable: false })
    }
}
