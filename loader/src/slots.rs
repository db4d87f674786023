//! Which slot of the shared function table holds a function.
//!
//! In the dynamic-linking ABI a function pointer is an index into the main
//! module's `__indirect_function_table`. C code compares function pointers
//! (CPython checks `tp_hash == PyObject_HashNotImplemented`, for one), so a
//! function must have one index everywhere: when a side module asks for
//! the address of a function (`GOT.func.X`, or `dlsym`), we give the slot
//! that already holds it and add a slot only for a function not yet in the
//! table. The index of the table's contents is built on first use and kept
//! up to date as the loader adds functions and side modules fill their
//! reserved slots.

use engine::{Func, Store, Table, Val};
use foldhash::fast::RandomState;
use std::collections::HashMap;

#[derive(Default)]
pub struct Slots {
    by_func: HashMap<Func, u32, RandomState>,
    scanned: bool,
}

impl Slots {
    /// Records the functions in slots `start..end` (first occurrence wins,
    /// as it would for a linker assigning one index per function).
    pub fn note_range(&mut self, store: &Store, table: Table, start: u32, end: u32) {
        for i in start..end.min(table.size(store)) {
            if let Some(Val::FuncRef(Some(f))) = table.get(store, i) {
                self.by_func.entry(f).or_insert(i);
            }
        }
    }

    /// The slot of `func`, adding one at the end of the table if it has
    /// none; `None` when the table cannot grow.
    pub fn index_of(&mut self, store: &mut Store, table: Table, func: Func) -> Option<u32> {
        if !self.scanned {
            self.scanned = true;
            let size = table.size(store);
            self.note_range(store, table, 0, size);
        }
        if let Some(&i) = self.by_func.get(&func) {
            // The guest may have overwritten the slot (table.set): check.
            if table.get(store, i) == Some(Val::FuncRef(Some(func))) {
                return Some(i);
            }
        }
        let i = table.grow(store, 1, Val::FuncRef(Some(func))).ok()?;
        self.by_func.insert(func, i);
        Some(i)
    }
}
