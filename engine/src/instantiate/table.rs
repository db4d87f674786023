//! Tables: a growable vector of pointer-sized references and the `VMTable`
//! record compiled code reads (`base` and `length` are updated on every
//! grow, so compiled code reloads them on each access).

use crate::error::Error;
use crate::instantiate::store::{Store, StoreInner};
use crate::instantiate::values::Val;
use crate::parse::types::{RefType, TableType};
use crate::vm::layout::VMTable;

/// No table grows past this many elements, whatever its declared maximum:
/// a bound on what one guest can make the host allocate.
pub const MAX_TABLE_ELEMENTS: u32 = 10_000_000;

/// One table's storage. Elements are raw references: `*const VMFuncRef`
/// for funcref tables, the host handle for externref tables, 0 for null.
#[derive(Debug)]
pub struct TableData {
    pub vm: VMTable,
    pub elements: Vec<usize>,
    pub ty: TableType,
}

// SAFETY: `vm.base` points into `elements`, which this value owns.
unsafe impl Send for TableData {}

impl TableData {
    pub fn new(ty: TableType, init: usize) -> Result<TableData, Error> {
        let mut t = TableData {
            vm: VMTable { base: std::ptr::null_mut(), length: 0 },
            elements: Vec::new(),
            ty: TableType { min: 0, ..ty },
        };
        t.grow(ty.min, init).ok_or_else(|| Error::Resource(format!("cannot allocate a table of {} elements", ty.min)))?;
        t.ty.min = ty.min;
        Ok(t)
    }

    pub fn size(&self) -> u32 {
        self.vm.length
    }

    /// Grows by `delta` elements set to `init`; returns the old size, or
    /// `None` past the maximum or if memory cannot be had.
    pub fn grow(&mut self, delta: u32, init: usize) -> Option<u32> {
        let old = self.size();
        let new = old.checked_add(delta)?;
        if new > self.ty.max.unwrap_or(u32::MAX).min(MAX_TABLE_ELEMENTS) {
            return None;
        }
        self.elements.try_reserve_exact(delta as usize).ok()?;
        self.elements.resize(new as usize, init);
        self.vm.base = self.elements.as_mut_ptr();
        self.vm.length = new;
        self.ty.min = new;
        Some(old)
    }

    pub fn get(&self, index: u32) -> Option<usize> {
        self.elements.get(index as usize).copied()
    }

    pub fn set(&mut self, index: u32, value: usize) -> bool {
        match self.elements.get_mut(index as usize) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }
}

/// A handle to a table in a [`Store`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Table {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

impl Table {
    /// A new table of `ty.min` elements, all `init`.
    pub fn new(store: &mut Store, ty: TableType, init: Val) -> Result<Table, Error> {
        let raw = store.inner.ref_to_raw(&init, ty.elem)?;
        let data = TableData::new(ty, raw)?;
        Ok(store.inner.push_table(data))
    }

    pub(crate) fn get_data<'a>(&self, store: &'a StoreInner) -> Option<&'a TableData> {
        if self.store != store.id {
            return None;
        }
        store.tables.get(self.index as usize).map(|t| &**t)
    }

    pub(crate) fn get_data_mut<'a>(&self, store: &'a mut StoreInner) -> Option<&'a mut TableData> {
        if self.store != store.id {
            return None;
        }
        store.tables.get_mut(self.index as usize).map(|t| &mut **t)
    }

    /// Element `index`, or None if out of bounds (or a foreign handle).
    pub fn get(&self, store: &Store, index: u32) -> Option<Val> {
        let t = self.get_data(&store.inner)?;
        let raw = t.get(index)?;
        Some(store.inner.raw_to_ref(raw, t.ty.elem))
    }

    pub fn set(&self, store: &mut Store, index: u32, value: Val) -> Result<(), Error> {
        let elem = self.get_data(&store.inner).ok_or(Error::ForeignHandle)?.ty.elem;
        let raw = store.inner.ref_to_raw(&value, elem)?;
        let t = self.get_data_mut(&mut store.inner).ok_or(Error::ForeignHandle)?;
        if t.set(index, raw) {
            Ok(())
        } else {
            Err(Error::Trap(crate::error::Trap::new(crate::vm::trap::TrapKind::TableOutOfBounds)))
        }
    }

    /// Current size (0 for a foreign handle).
    pub fn size(&self, store: &Store) -> u32 {
        self.get_data(&store.inner).map(|t| t.size()).unwrap_or(0)
    }

    pub fn grow(&self, store: &mut Store, delta: u32, init: Val) -> Result<u32, Error> {
        let elem = self.get_data(&store.inner).ok_or(Error::ForeignHandle)?.ty.elem;
        let raw = store.inner.ref_to_raw(&init, elem)?;
        let t = self.get_data_mut(&mut store.inner).ok_or(Error::ForeignHandle)?;
        t.grow(delta, raw).ok_or_else(|| Error::Resource(format!("cannot grow table by {delta} elements")))
    }

    /// Current type (min = current size). For a foreign handle: an empty funcref table type.
    pub fn ty(&self, store: &Store) -> TableType {
        self.get_data(&store.inner).map(|t| t.ty).unwrap_or(TableType { elem: RefType::FuncRef, min: 0, max: Some(0) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grow_updates_record_and_respects_max() {
        let mut t = TableData::new(TableType { elem: RefType::ExternRef, min: 2, max: Some(5) }, 9).unwrap();
        assert_eq!(t.vm.length, 2);
        assert_eq!(t.get(1), Some(9));
        assert_eq!(t.grow(3, 4), Some(2));
        assert_eq!(t.vm.length, 5);
        assert_eq!(t.vm.base, t.elements.as_mut_ptr());
        assert_eq!(t.get(4), Some(4));
        assert_eq!(t.grow(1, 0), None);
        assert_eq!(t.grow(0, 0), Some(5));
        assert_eq!(t.get(5), None);
        assert_eq!(t.ty.min, 5);
    }

    #[test]
    fn huge_grow_fails_cleanly() {
        let mut t = TableData::new(TableType { elem: RefType::FuncRef, min: 16, max: None }, 0).unwrap();
        assert_eq!(t.grow(u32::MAX - 15, 0), None);
        assert_eq!(t.grow(u32::MAX, 0), None);
        assert_eq!(t.size(), 16);
    }
}
