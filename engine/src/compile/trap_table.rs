//! The trap table: which faulting instructions of a module's code are wasm
//! traps, and which trap each one is.
//!
//! One encoding serves memory and disk: every site's code offset as a
//! little-endian `u32`, sorted, then every site's kind as one byte (its index
//! in `TrapKind::ALL`). python3.wasm has ~640,000 sites; kept in this form
//! the on-disk cache can hand the signal handler a view of the mapped file
//! instead of decoding and copying 3 MB on every load, and a freshly
//! compiled module keeps 5 bytes per site instead of a `Vec<TrapSite>`'s 8.

use crate::compile::artifact::TrapSite;
use crate::compile::table_bytes::{find_u32, u32s_sorted, TableBytes};
use crate::error::Error;
use crate::vm::trap::TrapKind;
use std::ops::Range;
use std::sync::Arc;

/// Bytes per site: a `u32` offset and a `u8` kind.
pub const TRAP_SITE_LEN: usize = 5;

/// A sorted table of trap sites in the encoding above.
#[derive(Default)]
pub struct TrapTable {
    storage: TableBytes,
}

impl std::fmt::Debug for TrapTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrapTable").field("sites", &self.len()).finish()
    }
}

impl TrapTable {
    /// Encodes `sites`, which should be sorted by offset (the compiler
    /// sorts them; lookups in a table out of order miss, see `is_sorted`).
    pub fn from_sites(sites: &[TrapSite]) -> TrapTable {
        let mut out = Vec::with_capacity(sites.len() * TRAP_SITE_LEN);
        for t in sites {
            out.extend_from_slice(&t.offset.to_le_bytes());
        }
        for t in sites {
            out.push(kind_index(t.kind));
        }
        TrapTable { storage: TableBytes::Owned(out.into_boxed_slice()) }
    }

    /// Uses `range` of a mapped artifact as the table, in place.
    ///
    /// Checked here: the range lies in the mapping and holds whole sites,
    /// and the last (highest) offset lies inside `code_len` bytes of code.
    /// Not checked on every load: the order of the 640,000 offsets; the
    /// writer encodes sorted sites and the artifact's checksum covers them.
    /// A table out of order could only make a lookup miss (a fault reported
    /// as a crash instead of a trap), never make an access legal, and an
    /// unknown kind byte reads as "not a trap site".
    pub fn from_mapping(map: Arc<memmap2::MmapMut>, range: Range<usize>, code_len: usize) -> Result<TrapTable, Error> {
        let bad = |m: &str| Error::Compile { func: None, message: format!("inconsistent trap table: {m}") };
        let table = TrapTable { storage: TableBytes::mapped_entries(map, range, TRAP_SITE_LEN).map_err(bad)? };
        if let Some(last) = table.len().checked_sub(1) {
            if table.offset(last) as usize >= code_len {
                return Err(bad("a site lies outside the code"));
            }
        }
        Ok(table)
    }

    /// The encoded table.
    pub fn bytes(&self) -> &[u8] {
        self.storage.bytes()
    }

    pub fn len(&self) -> usize {
        self.bytes().len() / TRAP_SITE_LEN
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn offset(&self, i: usize) -> u32 {
        self.storage.u32_at(i)
    }

    fn kind(&self, i: usize) -> Option<TrapKind> {
        let k = *self.bytes().get(self.len() * 4 + i)?;
        TrapKind::ALL.get(k as usize).copied()
    }

    /// Trap kind of the instruction at `offset`, if it is a trap site.
    /// Allocation-free: the signal handler calls it.
    pub fn lookup(&self, offset: u32) -> Option<TrapKind> {
        self.kind(find_u32(&self.storage, self.len(), offset)?)
    }

    /// Every site, in order.
    pub fn iter(&self) -> impl Iterator<Item = TrapSite> + '_ {
        (0..self.len()).filter_map(|i| Some(TrapSite { offset: self.offset(i), kind: self.kind(i)? }))
    }

    /// Whether the offsets are sorted (what a writer checks before storing
    /// a table).
    pub fn is_sorted(&self) -> bool {
        u32s_sorted(&self.storage, self.len())
    }
}

fn kind_index(kind: TrapKind) -> u8 {
    // ALL lists every kind, so the fallback is never taken.
    TrapKind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites() -> Vec<TrapSite> {
        vec![
            TrapSite { offset: 3, kind: TrapKind::Unreachable },
            TrapSite { offset: 40, kind: TrapKind::MemoryOutOfBounds },
            TrapSite { offset: 41, kind: TrapKind::IntegerDivisionByZero },
        ]
    }

    #[test]
    fn owned_lookup_and_round_trip() {
        let t = TrapTable::from_sites(&sites());
        assert_eq!(t.len(), 3);
        assert_eq!(t.lookup(40), Some(TrapKind::MemoryOutOfBounds));
        assert_eq!(t.lookup(41), Some(TrapKind::IntegerDivisionByZero));
        assert_eq!(t.lookup(3), Some(TrapKind::Unreachable));
        assert_eq!(t.lookup(4), None);
        assert_eq!(t.lookup(0), None);
        assert_eq!(t.iter().collect::<Vec<_>>(), sites());
        assert!(t.is_sorted());
        assert!(TrapTable::default().lookup(0).is_none());
    }

    #[test]
    fn mapped_table_is_checked() {
        let bytes = TrapTable::from_sites(&sites()).bytes().to_vec();
        let mut map = memmap2::MmapMut::map_anon(bytes.len() + 7).unwrap();
        map[7..].copy_from_slice(&bytes);
        let map = Arc::new(map);
        let t = TrapTable::from_mapping(map.clone(), 7..7 + bytes.len(), 42).unwrap();
        assert_eq!(t.iter().collect::<Vec<_>>(), sites());
        assert!(TrapTable::from_mapping(map.clone(), 7..7 + bytes.len(), 41).is_err(), "site past the code");
        assert!(TrapTable::from_mapping(map.clone(), 7..6 + bytes.len(), 100).is_err(), "partial site");
        assert!(TrapTable::from_mapping(map.clone(), 7..8 + bytes.len(), 100).is_err(), "past the mapping");
        // An unknown kind reads as no trap.
        let mut raw = bytes.clone();
        *raw.last_mut().unwrap() = 200;
        let mut m2 = memmap2::MmapMut::map_anon(raw.len()).unwrap();
        m2.copy_from_slice(&raw);
        let t = TrapTable::from_mapping(Arc::new(m2), 0..raw.len(), 100).unwrap();
        assert_eq!(t.lookup(41), None);
    }
}
