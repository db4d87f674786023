//! Linear memory reservations kept warm for the next instance: an
//! engine's [`MemoryPool`].
//!
//! A fresh memory costs several system calls that touch the process's
//! memory map: reserve 8 GiB of address space, make the initial pages
//! accessible, map the module's memory image over them, and unmap it all
//! when the store drops. For CPython these dominated instantiation. Here a
//! dropped memory is instead reset and kept (`LinearMemory::drop`): the
//! pages the guest wrote get the image's bytes (or zeros) copied back and
//! stay the memory's own, when they are fewer than
//! `memory::MAX_RESIDENT_PAGES` — the next instance then writes without a
//! page fault — else `madvise(MADV_DONTNEED)` discards every page the guest
//! touched (private copies of image pages revert to the image file's bytes,
//! anonymous pages to zeros). Pages the guest grew into are made
//! inaccessible again either way. The next instance of a module with the
//! same image and initial size takes the reservation as it is: its
//! contents are exactly those of a fresh memory with the image mapped,
//! without a single system call.
//!
//! A pooled reservation keeps its image file mapped (so its inode alive),
//! so an image key — device, inode and offset of the image's bytes — can
//! never name another file's bytes while the reservation exists. At most
//! `PoolConfig::max_warm` reservations are kept ([`MAX_POOLED`] unless the
//! embedder says otherwise: each holds address space, the image file it
//! maps, and under 1 MiB of pages kept by an in-place reset); when the
//! pool is full the oldest is let go, so that reservations of modules no
//! longer used never crowd out those of the modules that are.
//!
//! The pool belongs to an `Engine` (not the process): the stores of one
//! engine share it, two engines never see each other's reservations, and
//! an embedder can size it or turn it off per engine. Each memory holds the
//! pool (an `Arc`) so that it can give its reservation back even after
//! the engine handle is gone; the last one out unmaps what is left.

use crate::vm::layout::MEMORY_RESERVATION;
use std::sync::Mutex;

/// Reservations kept at most by default (`PoolConfig::default()`).
pub const MAX_POOLED: usize = 16;

/// What a memory's contents are when fresh, besides zeros: the image
/// mapped at creation, if any. Two memories with equal keys and equal
/// initial sizes start out byte for byte the same.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ImageKey {
    pub dev: u64,
    pub ino: u64,
    /// Offset of the image in its file, and where and how long it lies in
    /// memory.
    pub file_offset: u64,
    pub mem_offset: u64,
    pub len: u64,
}

/// A reset reservation: `base` is the start of a whole reservation whose
/// first `len` bytes are read+write with fresh contents (zeros, and the
/// image of `image` mapped copy-on-write), the rest inaccessible.
pub(crate) struct Warm {
    pub base: *mut u8,
    pub len: usize,
    pub image: Option<ImageKey>,
    /// Whether it was reset in place, keeping private pages (then they
    /// need no populating).
    pub resident: bool,
}

// SAFETY: a pooled reservation is owned by the pool alone (nothing else
// holds its address), so it can move between threads.
unsafe impl Send for Warm {}

/// An engine's warm reservations, oldest first, at most `max` of them.
pub(crate) struct MemoryPool {
    warm: Mutex<Vec<Warm>>,
    max: usize,
}

impl MemoryPool {
    /// A pool keeping at most `max` reservations (0: none, every dropped
    /// memory is unmapped).
    pub fn new(max: usize) -> MemoryPool {
        MemoryPool { warm: Mutex::new(Vec::new()), max }
    }

    /// Whether dropped memories are kept at all (else resetting them for
    /// reuse would be wasted work).
    pub fn enabled(&self) -> bool {
        self.max > 0
    }

    /// A warm reservation for a memory of `len` initial bytes with `image`.
    pub fn take(&self, len: usize, image: Option<ImageKey>) -> Option<Warm> {
        if !self.enabled() {
            return None;
        }
        take_from(&mut self.warm.lock().unwrap_or_else(|p| p.into_inner()), len, image)
    }

    /// Keeps `warm` for a later instance. Returns the reservation the pool
    /// lets go to make room, if any, for the caller to unmap.
    pub fn give(&self, warm: Warm) -> Option<Warm> {
        give_to(&mut self.warm.lock().unwrap_or_else(|p| p.into_inner()), warm, self.max)
    }

    /// How many reservations are kept.
    pub fn len(&self) -> usize {
        self.warm.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl Drop for MemoryPool {
    fn drop(&mut self) {
        // The engine and all its memories are gone: nothing will take these.
        for w in self.warm.get_mut().unwrap_or_else(|p| p.into_inner()).drain(..) {
            // SAFETY: `w.base` starts a whole reservation that the pool
            // owned alone (no memory, instance or compiled code uses it).
            unsafe { libc::munmap(w.base as *mut libc::c_void, MEMORY_RESERVATION) };
        }
    }
}

/// The most recently kept reservation that fits, out of `pool` (oldest
/// first).
fn take_from(pool: &mut Vec<Warm>, len: usize, image: Option<ImageKey>) -> Option<Warm> {
    let i = pool.iter().rposition(|w| w.len == len && w.image == image)?;
    Some(pool.remove(i))
}

/// Appends `warm` to `pool` (oldest first), letting the oldest go when
/// `max` are kept already.
fn give_to(pool: &mut Vec<Warm>, warm: Warm, max: usize) -> Option<Warm> {
    if max == 0 {
        return Some(warm);
    }
    let evicted = (pool.len() >= max).then(|| pool.remove(0));
    pool.push(warm);
    evicted
}

/// How many reservations `engine` keeps (for tests; also
/// [`Engine::pooled_memories`](crate::Engine::pooled_memories)).
pub fn pooled(engine: &crate::Engine) -> usize {
    engine.pooled_memories()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Fake reservations in a local pool: nothing here maps or unmaps.
    fn key(ino: u64) -> ImageKey {
        ImageKey { dev: 1, ino, file_offset: 0, mem_offset: 0, len: 65536 }
    }

    fn warm(n: usize, len: usize, ino: Option<u64>) -> Warm {
        Warm { base: n as *mut u8, len, image: ino.map(key), resident: false }
    }

    #[test]
    fn takes_only_what_fits_newest_first() {
        let mut pool = Vec::new();
        assert!(give_to(&mut pool, warm(1, 65536, None), 4).is_none());
        assert!(give_to(&mut pool, warm(2, 65536, Some(7)), 4).is_none());
        assert!(give_to(&mut pool, warm(3, 65536, None), 4).is_none());
        assert!(take_from(&mut pool, 131072, None).is_none(), "another initial size");
        assert!(take_from(&mut pool, 65536, Some(key(8))).is_none(), "another image");
        assert_eq!(take_from(&mut pool, 65536, None).map(|w| w.base as usize), Some(3));
        assert_eq!(take_from(&mut pool, 65536, Some(key(7))).map(|w| w.base as usize), Some(2));
        assert_eq!(take_from(&mut pool, 65536, None).map(|w| w.base as usize), Some(1));
        assert!(pool.is_empty());
    }

    #[test]
    fn a_full_pool_lets_the_oldest_go() {
        let mut pool = Vec::new();
        for n in 1..=3 {
            assert!(give_to(&mut pool, warm(n, 65536, Some(n as u64)), 3).is_none());
        }
        // A module in use keeps getting its memories pooled, whatever the
        // pool held before.
        assert_eq!(give_to(&mut pool, warm(4, 65536, Some(9)), 3).map(|w| w.base as usize), Some(1));
        assert_eq!(give_to(&mut pool, warm(5, 65536, Some(9)), 3).map(|w| w.base as usize), Some(2));
        let bases: Vec<usize> = pool.iter().map(|w| w.base as usize).collect();
        assert_eq!(bases, vec![3, 4, 5]);
        assert!(give_to(&mut pool, warm(6, 65536, None), 0).is_some(), "a pool of none keeps nothing");
    }
}
