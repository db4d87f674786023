//! The pages that instances of a memory image write, learned from the
//! first few instances and faulted in writable ahead for the later ones:
//! an engine's [`HotPages`].
//!
//! Why: an instance restored from a snapshot (or made from a module with a
//! memory image) maps the image copy-on-write, and its first write to each
//! page traps into the kernel. When the page was read first — by the guest,
//! or by the kernel's fault-around that maps neighbours of a read page —
//! that write replaces a present read-only entry, which costs a TLB flush
//! on every CPU running a thread of the process: an IPI per page. Serving
//! CPython functions on two busy cores, those flushes took more time than
//! the functions. `madvise(MADV_POPULATE_WRITE)` makes the private copies
//! of the learned pages in one call per run of pages, before any entry is
//! present, so nothing needs flushing.
//!
//! What was written is read from `/proc/self/pagemap` when an instance's
//! memory is reset: a page is counted when it is present, not backed by the
//! file and mapped only here (a private copy, or an anonymous page that
//! was written; the shared zero page of a page only read is not). Learning
//! stops after [`LEARN_ROUNDS`] instances; the union of what they wrote is
//! what later instances get. Anything missing is still faulted in on
//! demand, anything extra costs a page of memory: never a wrong byte.
//!
//! The sets belong to an `Engine`, like its memory pool: an embedder can
//! bound them or turn the learning off per engine
//! (`PoolConfig::max_hot_sets`).

use super::memory_pool::ImageKey;
use std::sync::Mutex;

/// Instances a set is learned from.
pub const LEARN_ROUNDS: u32 = 4;
/// Sets kept at most by default (one per image and initial size in use).
pub const MAX_SETS: usize = 16;
pub(crate) const PAGE: usize = 4096;
/// `MADV_POPULATE_WRITE` (Linux 5.14); older kernels answer EINVAL.
const MADV_POPULATE_WRITE: libc::c_int = 23;

struct HotSet {
    key: ImageKey,
    len: usize,
    rounds: u32,
    /// One bit per page of the initial memory.
    pages: Vec<u64>,
    /// Once learned: (first page, pages) runs to populate.
    runs: Option<Vec<(usize, usize)>>,
}

/// Whether the kernel lacks `MADV_POPULATE_WRITE`: a fact about the
/// machine, not about an engine, so process-wide.
static UNSUPPORTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// An engine's learned write sets, oldest first, at most `max_sets`.
pub(crate) struct HotPages {
    sets: Mutex<Vec<HotSet>>,
    max_sets: usize,
}

impl HotPages {
    /// Learning for at most `max_sets` images at once (0: none, nothing is
    /// learned or populated).
    pub fn new(max_sets: usize) -> HotPages {
        HotPages { sets: Mutex::new(Vec::new()), max_sets }
    }

    /// Whether instances of `key` with `len` initial bytes are still being
    /// learned from (the caller then reads their pages before the reset).
    pub fn learning(&self, key: &ImageKey, len: usize) -> bool {
        if self.max_sets == 0 || UNSUPPORTED.load(std::sync::atomic::Ordering::Relaxed) {
            return false;
        }
        let sets = self.sets.lock().unwrap_or_else(|p| p.into_inner());
        sets.iter().find(|s| s.key == *key && s.len == len).is_none_or(|s| s.runs.is_none())
    }

    /// Records `written`, the pages written in a memory of `len` initial bytes
    /// holding `key` that is about to be reset.
    pub fn learn(&self, key: ImageKey, len: usize, written: &Written) {
        if written.swapped || self.max_sets == 0 {
            return;
        }
        let written = &written.pages;
        let mut sets = self.sets.lock().unwrap_or_else(|p| p.into_inner());
        let i = match sets.iter().position(|s| s.key == key && s.len == len) {
            Some(i) => i,
            None => {
                if sets.len() >= self.max_sets {
                    sets.remove(0);
                }
                sets.push(HotSet { key, len, rounds: 0, pages: vec![0; written.len()], runs: None });
                sets.len() - 1
            }
        };
        let set = &mut sets[i];
        if set.runs.is_some() {
            return;
        }
        for (have, new) in set.pages.iter_mut().zip(written) {
            *have |= new;
        }
        set.rounds += 1;
        if set.rounds >= LEARN_ROUNDS {
            set.runs = Some(runs_of(&set.pages));
            set.pages = Vec::new();
        }
    }

    /// Faults in writable, in the fresh memory at `base`, the pages instances
    /// of `key` were learned to write.
    pub fn populate(&self, key: &ImageKey, base: *mut u8, len: usize) {
        if self.max_sets == 0 || UNSUPPORTED.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let runs = {
            let sets = self.sets.lock().unwrap_or_else(|p| p.into_inner());
            match sets.iter().find(|s| s.key == *key && s.len == len).and_then(|s| s.runs.clone()) {
                Some(r) => r,
                None => return,
            }
        };
        for (first, n) in runs {
            if (first + n) * PAGE > len {
                break;
            }
            // SAFETY: the range lies in the first `len` bytes of the caller's
            // fresh memory, which are mapped read+write; populating changes
            // where its bytes live, never what they are.
            let rc = unsafe { libc::madvise(base.add(first * PAGE) as *mut libc::c_void, n * PAGE, MADV_POPULATE_WRITE) };
            if rc != 0 {
                if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
                    UNSUPPORTED.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                // Out of memory, say: the rest faults in on demand as usual.
                return;
            }
        }
    }
}

/// What pagemap says of a range.
pub(crate) struct Written {
    /// One bit per page: set when the page is a private page of this
    /// mapping (see the module comment).
    pub pages: Vec<u64>,
    /// Whether any page is swapped out (then `pages` misses it).
    pub swapped: bool,
}

/// The private pages of `base..base + len`. `None` if pagemap cannot be read.
pub(crate) fn written_pages(base: *const u8, len: usize) -> Option<Written> {
    use std::os::unix::fs::FileExt;
    const PRESENT: u64 = 1 << 63;
    const FILE_OR_SHARED: u64 = 1 << 61;
    const EXCLUSIVE: u64 = 1 << 56;
    const SWAPPED: u64 = 1 << 62;
    let pages = len / PAGE;
    let file = std::fs::File::open("/proc/self/pagemap").ok()?;
    let mut bits = vec![0u64; pages.div_ceil(64)];
    let mut swapped = false;
    let mut buf = vec![0u8; 8 * 512];
    let mut page = 0;
    while page < pages {
        let n = (pages - page).min(512);
        let offset = ((base as usize / PAGE + page) * 8) as u64;
        file.read_exact_at(&mut buf[..n * 8], offset).ok()?;
        for (j, entry) in buf[..n * 8].chunks_exact(8).enumerate() {
            let e = u64::from_ne_bytes(entry.try_into().ok()?);
            swapped |= e & SWAPPED != 0;
            if e & PRESENT != 0 && e & FILE_OR_SHARED == 0 && e & EXCLUSIVE != 0 {
                let p = page + j;
                bits[p / 64] |= 1 << (p % 64);
            }
        }
        page += n;
    }
    Some(Written { pages: bits, swapped })
}

/// The runs of set bits, as (first, count).
pub(crate) fn runs_of(bits: &[u64]) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (w, word) in bits.iter().enumerate() {
        let mut word = *word;
        while word != 0 {
            let b = word.trailing_zeros() as usize;
            word &= word - 1;
            let p = w * 64 + b;
            match runs.last_mut() {
                Some((first, n)) if *first + *n == p => *n += 1,
                _ => runs.push((p, 1)),
            }
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_join_neighbouring_pages() {
        let mut bits = vec![0u64; 3];
        for p in [0, 1, 2, 63, 64, 65, 130] {
            bits[p / 64] |= 1 << (p % 64);
        }
        assert_eq!(runs_of(&bits), vec![(0, 3), (63, 3), (130, 1)]);
    }

    #[test]
    fn pagemap_sees_written_private_pages_only() {
        let len = 16 * PAGE;
        // SAFETY: a fresh private anonymous mapping of our own.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        } as *mut u8;
        assert_ne!(base as *mut libc::c_void, libc::MAP_FAILED);
        // SAFETY: inside the mapping above.
        unsafe {
            base.add(3 * PAGE).write_volatile(1);
            let _ = base.add(5 * PAGE).read_volatile(); // the zero page: not written
            base.add(9 * PAGE + 17).write_volatile(1);
        }
        let bits = written_pages(base, len).expect("pagemap").pages;
        // SAFETY: unmapping our own mapping, no reference left.
        unsafe { libc::munmap(base as *mut libc::c_void, len) };
        assert_eq!(runs_of(&bits), vec![(3, 1), (9, 1)]);
    }
}
