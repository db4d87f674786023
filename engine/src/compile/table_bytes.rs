//! Where a table read by the signal handler or the backtrace keeps its
//! bytes: owned (a module compiled in this process) or a range of a mapped
//! artifact file (a module from the on-disk cache), used in place so a
//! load never decodes or copies it.

use std::ops::Range;
use std::sync::Arc;

pub enum TableBytes {
    Owned(Box<[u8]>),
    /// `range` of a mapped artifact file, shared with the code that maps it.
    Mapped {
        map: Arc<memmap2::MmapMut>,
        range: Range<usize>,
    },
}

impl Default for TableBytes {
    fn default() -> TableBytes {
        TableBytes::Owned(Box::default())
    }
}

impl TableBytes {
    /// A mapped range of whole `entry_len`-byte entries, checked to lie
    /// in the mapping; the error says which check failed.
    pub fn mapped_entries(map: Arc<memmap2::MmapMut>, range: Range<usize>, entry_len: usize) -> Result<TableBytes, &'static str> {
        if range.start > range.end || range.end > map.len() {
            return Err("outside the file");
        }
        if !range.len().is_multiple_of(entry_len) {
            return Err("not a whole number of entries");
        }
        Ok(TableBytes::Mapped { map, range })
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            TableBytes::Owned(b) => b,
            // In range: checked by `mapped_entries`.
            TableBytes::Mapped { map, range } => &map[range.clone()],
        }
    }

    /// The little-endian `u32` at index `i`, or `u32::MAX` past the end.
    pub fn u32_at(&self, i: usize) -> u32 {
        let at = i * 4;
        match self.bytes().get(at..at + 4) {
            Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
            _ => u32::MAX,
        }
    }
}

/// Whether the first `n` `u32`s of `t` are in order (what a writer checks
/// before storing a table lookups would otherwise miss in).
pub fn u32s_sorted(t: &TableBytes, n: usize) -> bool {
    (1..n).all(|i| t.u32_at(i - 1) <= t.u32_at(i))
}

/// The index of `key` among the first `n` sorted `u32`s of `t`, found by
/// binary search without allocating (the signal handler calls it).
pub fn find_u32(t: &TableBytes, n: usize, key: u32) -> Option<usize> {
    let (mut lo, mut hi) = (0usize, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match t.u32_at(mid).cmp(&key) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Some(mid),
        }
    }
    None
}
