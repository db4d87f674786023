//! Linear memory reservations kept warm for the next instance.
//!
//! A fresh memory costs several system calls that touch the process's
//! memory map: reserve 8 GiB of address space, make the initial pages
//! accessible, map the module's memory image over them, and unmap it all
//! when the store drops. For CPython these dominated instantiation. Here a
//! dropped memory is instead *reset in place* and kept: `madvise(
//! MADV_DONTNEED)` discards every page the guest touched — private copies
//! of image pages revert to the image file's bytes, anonymous pages to
//! zeros — and pages the guest grew into are made inaccessible again. The
//! next instance of a module with the same image and initial size takes
//! the reservation as it is: its contents are exactly those of a fresh
//! memory with the image mapped, without a single system call.
//!
//! A pooled reservation keeps its image file mapped (so its inode alive),
//! so an image key — device, inode and offset of the image's bytes — can
//! never name another file's bytes while the reservation exists. At most
//! [`MAX_POOLED`] reservations are kept (address space only: their pages
//! were freed by the reset).

use std::sync::Mutex;

/// Reservations kept at most, process-wide.
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
}

// SAFETY: a pooled reservation is owned by the pool alone (nothing else
// holds its address), so it can move between threads.
unsafe impl Send for Warm {}

static POOL: Mutex<Vec<Warm>> = Mutex::new(Vec::new());

/// A warm reservation for a memory of `len` initial bytes with `image`.
pub(crate) fn take(len: usize, image: Option<ImageKey>) -> Option<Warm> {
    let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
    let i = pool.iter().rposition(|w| w.len == len && w.image == image)?;
    Some(pool.swap_remove(i))
}

/// Keeps `warm` for a later instance; gives it back when the pool is full.
pub(crate) fn give(warm: Warm) -> Result<(), Warm> {
    let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
    if pool.len() >= MAX_POOLED {
        return Err(warm);
    }
    pool.push(warm);
    Ok(())
}

/// How many reservations are kept (for tests).
pub fn pooled() -> usize {
    POOL.lock().unwrap_or_else(|p| p.into_inner()).len()
}
