//! Linear memories.
//!
//! Every memory reserves [`MEMORY_RESERVATION`] bytes of address space up
//! front, inaccessible, and makes the first `size` bytes read+write. Because
//! any 32-bit address plus any 32-bit offset stays inside the reservation,
//! compiled code needs no bounds checks: an out-of-bounds access faults on an
//! inaccessible page and becomes a trap. Growing only changes protections,
//! so the base never moves and compiled code may keep it in a register.
//!
//! A dropped memory is reset in place and kept for the next instance of the
//! same module rather than unmapped (see `memory_pool`), in its engine's
//! [`MemoryReuse`].

use crate::error::Error;
use crate::instantiate::hot_pages;
use crate::instantiate::memory_image::{MemoryImage, Pristine};
use crate::instantiate::memory_pool::{ImageKey, MemoryPool, Warm};
use crate::instantiate::store::{Store, StoreInner};
use crate::parse::types::MemoryType;
use crate::vm::layout::{VMMemory, MEMORY_RESERVATION, WASM_PAGE_SIZE};
use std::sync::Arc;

/// The most pages a 32-bit memory can have (4 GiB).
pub const MAX_PAGES: u64 = 1 << 16;

/// One linear memory and the record compiled code reads.
#[derive(Debug)]
pub struct LinearMemory {
    /// What compiled code sees; its address is stable (the memory is boxed).
    pub vm: VMMemory,
    /// Declared maximum, in pages (None: up to [`MAX_PAGES`]).
    max: Option<u64>,
    /// The embedder's cap in pages (the store's memory limit), on top of
    /// `max`: growing past it fails as growing past `max` does.
    cap: u64,
    /// Accessible bytes at creation.
    initial_len: usize,
    /// What the memory held when fresh besides zeros, if it can be reset
    /// and reused: `Some(None)` zeros only, `Some(Some(key))` that image.
    /// `None`: never reused (an image without a key).
    fresh: Option<Option<ImageKey>>,
    /// The image's bytes, to reset written pages from in place.
    pristine: Option<std::sync::Arc<Pristine>>,
    /// Where the reservation goes when the memory drops, and what learns
    /// from it: its engine's (`None`: a memory of no engine, unmapped).
    reuse: Option<Arc<MemoryReuse>>,
}

/// What an engine keeps of its linear memories for later ones: warm
/// reservations and the pages instances of each image write. Shared (an
/// `Arc`) by the engine and each of its memories, which give their
/// reservation back when they drop, possibly after the engine.
pub(crate) struct MemoryReuse {
    pub pool: MemoryPool,
    pub hot_pages: hot_pages::HotPages,
}

impl std::fmt::Debug for MemoryReuse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryReuse").finish_non_exhaustive()
    }
}

impl MemoryReuse {
    pub fn new(config: &crate::engine::PoolConfig) -> MemoryReuse {
        MemoryReuse { pool: MemoryPool::new(config.max_warm), hot_pages: hot_pages::HotPages::new(config.max_hot_sets) }
    }
}

/// Most private pages a memory keeps when it is reset in place: fewer than
/// 1 MiB, the cost of an idle pooled memory. A memory whose guest wrote
/// more is reset with `madvise` instead (its pages freed; the next one
/// faults them in again).
pub const MAX_RESIDENT_PAGES: usize = 255;

/// Largest initial size reset in place: finding the written pages reads
/// 8 bytes of `/proc/self/pagemap` per 4 KiB page (2 KiB per MiB), which
/// is no longer cheap next to `madvise` for a memory of gigabytes.
const MAX_IN_PLACE_SCAN: usize = 256 << 20;

// SAFETY: the reservation is owned exclusively by this value; the raw base
// pointer is only dereferenced through `&self`/`&mut self` or by compiled
// code running on the thread that currently owns the store.
unsafe impl Send for LinearMemory {}

impl LinearMemory {
    /// Reserves the address space and makes `ty.min` pages accessible (a
    /// memory of no engine: not pooled, unmapped when dropped).
    pub fn new(ty: &MemoryType) -> Result<LinearMemory, Error> {
        LinearMemory::with_image(ty, None, None)
    }

    /// A memory of type `ty` holding `image` (mapped copy-on-write), from
    /// a warm reservation left by an earlier memory like it in `reuse` if
    /// there is one (see `memory_pool`), else freshly reserved.
    pub(crate) fn with_image(
        ty: &MemoryType,
        image: Option<&MemoryImage>,
        reuse: Option<&Arc<MemoryReuse>>,
    ) -> Result<LinearMemory, Error> {
        if ty.min > MAX_PAGES || ty.max.is_some_and(|m| m > MAX_PAGES || m < ty.min) {
            return Err(Error::Resource(format!(
                "memory type {{min {}, max {:?}}} exceeds the 4 GiB limit of a 32-bit memory",
                ty.min, ty.max
            )));
        }
        let len = ty.min as usize * WASM_PAGE_SIZE;
        // Only a memory of an engine can be reused.
        let fresh = match (reuse, image) {
            (None, _) => None,
            (Some(_), None) => Some(None),
            (Some(_), Some(image)) => image.pool_key(),
        };
        // Only a reusable memory is ever reset in place.
        let pristine = fresh.and(image).and_then(MemoryImage::pristine);
        if let (Some(key), Some(reuse)) = (fresh, reuse) {
            if let Some(warm) = reuse.pool.take(len, key) {
                if let (Some(key), false) = (&key, warm.resident) {
                    reuse.hot_pages.populate(key, warm.base, warm.len);
                }
                return Ok(LinearMemory {
                    vm: VMMemory { base: warm.base, length: warm.len },
                    max: ty.max,
                    cap: MAX_PAGES,
                    initial_len: len,
                    fresh,
                    pristine,
                    reuse: Some(Arc::clone(reuse)),
                });
            }
        }
        let mut mem = LinearMemory::reserve(ty)?;
        if let Some(image) = image {
            mem.map_image(image)?;
        }
        if let (Some(Some(key)), Some(reuse)) = (&fresh, reuse) {
            reuse.hot_pages.populate(key, mem.vm.base, len);
        }
        mem.fresh = fresh;
        mem.pristine = pristine;
        mem.reuse = reuse.cloned();
        Ok(mem)
    }

    /// A new reservation with `ty.min` pages accessible (not poolable
    /// until the caller says what it holds).
    fn reserve(ty: &MemoryType) -> Result<LinearMemory, Error> {
        // SAFETY: an anonymous PROT_NONE reservation; MAP_NORESERVE so that
        // untouched address space costs no commit charge.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                MEMORY_RESERVATION,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(Error::Resource(format!(
                "cannot reserve {MEMORY_RESERVATION} bytes for a linear memory: {}",
                std::io::Error::last_os_error()
            )));
        }
        let mut mem = LinearMemory {
            vm: VMMemory { base: base as *mut u8, length: 0 },
            max: ty.max,
            cap: MAX_PAGES,
            initial_len: ty.min as usize * WASM_PAGE_SIZE,
            fresh: None,
            pristine: None,
            reuse: None,
        };
        if ty.min > 0 {
            mem.grow(ty.min).ok_or_else(|| Error::Resource(format!("cannot commit {} pages of linear memory", ty.min)))?;
        }
        Ok(mem)
    }

    /// Maps `image` copy-on-write over its place in this memory, so that
    /// the memory holds the module's data. Only for a fresh memory whose
    /// accessible size covers the image.
    fn map_image(&mut self, image: &MemoryImage) -> Result<(), Error> {
        let layout = image.layout();
        let end = layout.mem_offset.saturating_add(layout.len);
        if end > self.vm.length as u64 {
            return Err(Error::Instantiation(format!(
                "memory image ends at byte {end}, past the memory's {} bytes",
                self.vm.length
            )));
        }
        // SAFETY: the image's range lies in the accessible part of our own
        // reservation (checked above); `&mut self` means no one else holds
        // a reference to these pages. Replacing them keeps them read+write;
        // dropping the memory unmaps the image with the whole reservation.
        unsafe { image.map_at(self.vm.base) }.map_err(|e| Error::Resource(format!("cannot map the memory image: {e}")))
    }

    pub fn size_pages(&self) -> u64 {
        (self.vm.length / WASM_PAGE_SIZE) as u64
    }

    pub fn max_pages(&self) -> Option<u64> {
        self.max
    }

    /// Applies a store's memory limit (see `Store::set_memory_limit`).
    pub(crate) fn set_cap(&mut self, limit_bytes: Option<u64>) {
        self.cap = limit_pages(limit_bytes);
    }

    /// Current type: the minimum is the current size, as the spec's import
    /// matching requires.
    pub fn ty(&self) -> MemoryType {
        MemoryType { min: self.size_pages(), max: self.max }
    }

    /// Grows by `delta` pages; returns the old size in pages, or `None` if
    /// that would pass the maximum or the OS refuses. The base never moves.
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.size_pages();
        let new = old.checked_add(delta)?;
        if new > self.max.unwrap_or(MAX_PAGES).min(MAX_PAGES).min(self.cap) {
            return None;
        }
        if delta == 0 {
            return Some(old);
        }
        let old_len = self.vm.length;
        let new_len = new as usize * WASM_PAGE_SIZE;
        // SAFETY: `old_len..new_len` lies inside our reservation (new_len <=
        // 4 GiB < MEMORY_RESERVATION); making it read+write exposes fresh
        // zero pages and touches nothing else.
        let rc = unsafe {
            libc::mprotect(self.vm.base.add(old_len) as *mut libc::c_void, new_len - old_len, libc::PROT_READ | libc::PROT_WRITE)
        };
        if rc != 0 {
            return None;
        }
        self.vm.length = new_len;
        Some(old)
    }

    pub fn data(&self) -> &[u8] {
        // SAFETY: the first `length` bytes are mapped read+write and owned by us.
        unsafe { std::slice::from_raw_parts(self.vm.base, self.vm.length) }
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `data`, and `&mut self` makes the borrow exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.vm.base, self.vm.length) }
    }
}

impl LinearMemory {
    /// Puts the memory back in its fresh state, keeping its private pages
    /// (see [`MAX_RESIDENT_PAGES`]): each page the guest wrote gets the
    /// image's bytes (or zeros) copied back, so the next instance writes
    /// to pages it already owns — no page fault, no page allocated, no TLB
    /// flush. Pages grown into since creation are made inaccessible and
    /// discarded first. `written`: what pagemap says of the initial pages.
    /// `false` if that cannot be done exactly.
    fn reset_in_place(&mut self, written: &hot_pages::Written) -> bool {
        let image = match (self.fresh, &self.pristine) {
            (Some(None), _) => None,
            (Some(Some(_)), Some(p)) => Some(std::sync::Arc::clone(p)),
            _ => return false,
        };
        let base = self.vm.base;
        let count: u32 = written.pages.iter().map(|w| w.count_ones()).sum();
        // A swapped-out page would be missed, and so keep the guest's bytes.
        if written.swapped || count as usize > MAX_RESIDENT_PAGES || !self.discard_grown() {
            return false;
        }
        let (img_start, img) = match &image {
            Some(p) => (p.mem_offset, p.bytes()),
            None => (0, &[][..]),
        };
        for (first, n) in hot_pages::runs_of(&written.pages) {
            let (start, end) = (first * hot_pages::PAGE, (first + n) * hot_pages::PAGE);
            // SAFETY: `start..end` lies in the first `initial_len` bytes of
            // our own reservation, read+write; the store that owned it is
            // dropping, so no compiled code runs on it and no reference to
            // its bytes is left.
            let dst = unsafe { std::slice::from_raw_parts_mut(base.add(start), end - start) };
            dst.fill(0);
            // The image's part of the range (wasm-page aligned, so whole pages).
            let (lo, hi) = (start.max(img_start), end.min(img_start + img.len()));
            if lo < hi {
                dst[lo - start..hi - start].copy_from_slice(&img[lo - img_start..hi - img_start]);
            }
        }
        true
    }

    /// Makes the pages grown into since creation inaccessible and discards
    /// them. `false` if the kernel refused.
    fn discard_grown(&mut self) -> bool {
        let base = self.vm.base;
        let (init, len) = (self.initial_len, self.vm.length);
        if len > init {
            // SAFETY: the range lies in the accessible part of our own
            // reservation; no compiled code runs on it any more.
            unsafe {
                let grown = base.add(init) as *mut libc::c_void;
                if libc::mprotect(grown, len - init, libc::PROT_NONE) != 0
                    || libc::madvise(grown, len - init, libc::MADV_DONTNEED) != 0
                {
                    return false;
                }
            }
            self.vm.length = init;
        }
        true
    }

    /// Puts the memory back in its fresh state: pages grown into since
    /// creation inaccessible again, and every page discarded, so that the
    /// next access reads zeros or the image file's bytes. `false` if the
    /// kernel refused (then the reservation must not be reused).
    fn reset(&mut self) -> bool {
        let init = self.initial_len;
        // SAFETY: the range lies in the accessible part of our own
        // reservation; no compiled code can run on it any more (the store
        // that owned it is dropping) and no reference to its bytes is left.
        self.discard_grown()
            && (init == 0 || unsafe { libc::madvise(self.vm.base as *mut libc::c_void, init, libc::MADV_DONTNEED) } == 0)
    }
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        // The reservation to unmap: this one unless it is kept warm, then
        // the one the pool lets go to make room, if any.
        let mut unmap = Some(self.vm.base);
        if let (Some(image), Some(reuse)) = (self.fresh, self.reuse.take()) {
            // With the pool off, the learning alone may still read pagemap.
            let pooling = reuse.pool.enabled();
            let in_place = pooling && self.initial_len <= MAX_IN_PLACE_SCAN;
            // One read of pagemap serves both the learning of the image's
            // write set and the in-place reset.
            let learning = image.filter(|k| reuse.hot_pages.learning(k, self.initial_len));
            let written =
                (learning.is_some() || in_place).then(|| hot_pages::written_pages(self.vm.base, self.initial_len)).flatten();
            if let (Some(key), Some(w)) = (learning, &written) {
                reuse.hot_pages.learn(key, self.initial_len, w);
            }
            if pooling {
                let resident = in_place && written.as_ref().is_some_and(|w| self.reset_in_place(w));
                if resident || self.reset() {
                    let warm = Warm { base: self.vm.base, len: self.initial_len, image, resident };
                    unmap = reuse.pool.give(warm).map(|evicted| evicted.base);
                }
            }
        }
        if let Some(base) = unmap {
            // SAFETY: `base` starts a whole reservation that nothing uses
            // any more: ours (the store that owned it is dropping, no
            // compiled code can run on it), or one the pool owned alone.
            unsafe {
                libc::munmap(base as *mut libc::c_void, MEMORY_RESERVATION);
            }
        }
    }
}

/// A store's memory limit in whole pages.
fn limit_pages(limit_bytes: Option<u64>) -> u64 {
    limit_bytes.map_or(MAX_PAGES, |b| (b / WASM_PAGE_SIZE as u64).min(MAX_PAGES))
}

/// Refuses a memory type whose initial size is over a store's memory
/// limit, before any address space is reserved for it.
pub(crate) fn check_initial(ty: &MemoryType, limit_bytes: Option<u64>) -> Result<(), Error> {
    let cap = limit_pages(limit_bytes);
    if ty.min > cap {
        return Err(Error::Instantiation(format!(
            "linear memory starts at {} pages ({} MiB), over the memory limit of {} MiB",
            ty.min,
            (ty.min * WASM_PAGE_SIZE as u64) >> 20,
            (cap * WASM_PAGE_SIZE as u64) >> 20
        )));
    }
    Ok(())
}

/// A handle to a linear memory in a [`Store`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Memory {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

impl Memory {
    /// A new memory owned by `store`.
    pub fn new(store: &mut Store, ty: MemoryType) -> Result<Memory, Error> {
        check_initial(&ty, store.inner.memory_limit)?;
        let mut mem = LinearMemory::with_image(&ty, None, Some(store.inner.engine.memory_reuse()))?;
        mem.set_cap(store.inner.memory_limit);
        Ok(store.inner.push_memory(mem))
    }

    pub(crate) fn get<'a>(&self, store: &'a StoreInner) -> Option<&'a LinearMemory> {
        if self.store != store.id {
            return None;
        }
        store.memories.get(self.index as usize).map(|m| &**m)
    }

    pub(crate) fn get_mut<'a>(&self, store: &'a mut StoreInner) -> Option<&'a mut LinearMemory> {
        if self.store != store.id {
            return None;
        }
        store.memories.get_mut(self.index as usize).map(|m| &mut **m)
    }

    /// The memory's bytes (empty for a handle of another store).
    pub fn data<'a>(&self, store: &'a Store) -> &'a [u8] {
        self.get(&store.inner).map(|m| m.data()).unwrap_or(&[])
    }

    /// The memory's bytes, writable (empty for a handle of another store).
    pub fn data_mut<'a>(&self, store: &'a mut Store) -> &'a mut [u8] {
        match self.get_mut(&mut store.inner) {
            Some(m) => m.data_mut(),
            None => &mut [],
        }
    }

    /// Current size in pages (0 for a handle of another store).
    pub fn size_pages(&self, store: &Store) -> u64 {
        self.get(&store.inner).map(|m| m.size_pages()).unwrap_or(0)
    }

    /// Grows by `delta_pages`, returning the old size.
    pub fn grow(&self, store: &mut Store, delta_pages: u64) -> Result<u64, Error> {
        let m = self.get_mut(&mut store.inner).ok_or(Error::ForeignHandle)?;
        m.grow(delta_pages).ok_or_else(|| Error::Resource(format!("cannot grow memory by {delta_pages} pages")))
    }

    /// Current type (min = current size). For a handle of another store: {0, Some(0)}.
    pub fn ty(&self, store: &Store) -> MemoryType {
        self.get(&store.inner).map(|m| m.ty()).unwrap_or(MemoryType { min: 0, max: Some(0) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_grow_and_limits() {
        let mut m = LinearMemory::new(&MemoryType { min: 1, max: Some(3) }).unwrap();
        let base = m.vm.base;
        assert_eq!(m.size_pages(), 1);
        assert!(m.data().iter().all(|&b| b == 0));
        m.data_mut()[WASM_PAGE_SIZE - 1] = 7;
        assert_eq!(m.grow(1), Some(1));
        assert_eq!(m.vm.base, base, "grow must not move the base");
        assert_eq!(m.data()[WASM_PAGE_SIZE - 1], 7);
        m.data_mut()[2 * WASM_PAGE_SIZE - 1] = 9;
        assert_eq!(m.grow(2), None, "past the maximum");
        assert_eq!(m.grow(0), Some(2));
        assert_eq!(m.grow(1), Some(2));
        assert_eq!(m.size_pages(), 3);
        assert_eq!(m.grow(1), None);
        assert_eq!(m.ty(), MemoryType { min: 3, max: Some(3) });
    }

    #[test]
    fn cap_limits_growth_below_the_declared_maximum() {
        let mut m = LinearMemory::new(&MemoryType { min: 1, max: None }).unwrap();
        m.set_cap(Some(3 * WASM_PAGE_SIZE as u64 + 100));
        assert_eq!(m.grow(2), Some(1));
        assert_eq!(m.grow(1), None, "past the cap");
        assert_eq!(m.size_pages(), 3);
        let ty = MemoryType { min: 4, max: None };
        assert!(check_initial(&ty, Some(3 * WASM_PAGE_SIZE as u64)).is_err());
        assert!(check_initial(&ty, Some(4 * WASM_PAGE_SIZE as u64)).is_ok());
        assert!(check_initial(&ty, None).is_ok());
    }

    #[test]
    fn four_gib_limit() {
        assert!(LinearMemory::new(&MemoryType { min: MAX_PAGES + 1, max: None }).is_err());
        assert!(LinearMemory::new(&MemoryType { min: 0, max: Some(MAX_PAGES + 1) }).is_err());
        let mut m = LinearMemory::new(&MemoryType { min: 0, max: None }).unwrap();
        assert_eq!(m.grow(MAX_PAGES + 1), None);
        assert_eq!(m.grow(u64::MAX), None);
        assert_eq!(m.size_pages(), 0);
    }
}
