//! The address map: for each code offset a backtrace can show — a trap
//! site, or the last byte of a call instruction (a return address minus
//! one) — the offset in the wasm module of the instruction it was compiled
//! from. Frames report it as their module offset (and, less the function
//! body's start, their function offset), as the wasm C API asks.
//!
//! Only those offsets are kept, not every instruction's: they are all a
//! backtrace can meet, and python3.wasm has millions of instructions. The
//! encoding serves memory and disk, like the trap table's: every entry's
//! code offset as a little-endian `u32`, sorted, then every entry's wasm
//! offset; a cached module reads it in place from its mapped artifact.

use crate::compile::table_bytes::{find_u32, u32s_sorted, TableBytes};
use crate::error::Error;
use std::ops::Range;
use std::sync::Arc;

/// Bytes per entry: two `u32`s.
pub const ADDRESS_ENTRY_LEN: usize = 8;

#[derive(Default)]
pub struct AddressMap {
    storage: TableBytes,
}

impl std::fmt::Debug for AddressMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddressMap").field("entries", &self.len()).finish()
    }
}

impl AddressMap {
    /// Encodes `(code offset, wasm offset)` entries sorted by code offset.
    pub fn from_entries(entries: &[(u32, u32)]) -> AddressMap {
        let mut out = Vec::with_capacity(entries.len() * ADDRESS_ENTRY_LEN);
        for (code, _) in entries {
            out.extend_from_slice(&code.to_le_bytes());
        }
        for (_, wasm) in entries {
            out.extend_from_slice(&wasm.to_le_bytes());
        }
        AddressMap { storage: TableBytes::Owned(out.into_boxed_slice()) }
    }

    /// Uses `range` of a mapped artifact as the map, in place (checked: in
    /// the mapping, whole entries; the order is the writer's, covered by
    /// the artifact's checksum, and could only make a lookup miss).
    pub fn from_mapping(map: Arc<memmap2::MmapMut>, range: Range<usize>) -> Result<AddressMap, Error> {
        let bad = |m: &str| Error::Compile { func: None, message: format!("inconsistent address map: {m}") };
        Ok(AddressMap { storage: TableBytes::mapped_entries(map, range, ADDRESS_ENTRY_LEN).map_err(bad)? })
    }

    pub fn bytes(&self) -> &[u8] {
        self.storage.bytes()
    }

    pub fn len(&self) -> usize {
        self.bytes().len() / ADDRESS_ENTRY_LEN
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The wasm offset of the code at `code_offset`, if it is an entry.
    pub fn lookup(&self, code_offset: u32) -> Option<u32> {
        let n = self.len();
        let i = find_u32(&self.storage, n, code_offset)?;
        Some(self.storage.u32_at(n + i))
    }

    /// Whether the code offsets are sorted.
    pub fn is_sorted(&self) -> bool {
        u32s_sorted(&self.storage, self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_owned_and_mapped() {
        let entries = [(4, 100), (17, 90), (30, 7)];
        let m = AddressMap::from_entries(&entries);
        assert_eq!((m.lookup(4), m.lookup(17), m.lookup(30), m.lookup(5)), (Some(100), Some(90), Some(7), None));
        assert!(m.is_sorted());
        let bytes = m.bytes().to_vec();
        let mut map = memmap2::MmapMut::map_anon(bytes.len() + 3).unwrap();
        map[3..].copy_from_slice(&bytes);
        let map = Arc::new(map);
        let mapped = AddressMap::from_mapping(map.clone(), 3..3 + bytes.len()).unwrap();
        assert_eq!(mapped.lookup(17), Some(90));
        assert!(AddressMap::from_mapping(map.clone(), 3..2 + bytes.len()).is_err());
        assert!(AddressMap::from_mapping(map, 3..11 + bytes.len()).is_err());
        assert_eq!(AddressMap::default().lookup(0), None);
    }
}
