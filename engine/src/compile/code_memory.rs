//! Executable memory for one module's machine code, and the process-wide
//! registry of where compiled code lives.
//!
//! Code is written while the pages are read+write and only then made
//! read+exec (W^X: never both at once). The registry lets the signal handler
//! in `run::signals` decide whether a faulting PC belongs to wasm and which
//! trap it means; that lookup runs inside a signal handler, so it must not
//! allocate nor block on a lock another thread could hold indefinitely (see
//! [`with_code_at`]).

use crate::compile::artifact::{CodeRange, CompiledCode};
use crate::compile::trap_table::TrapTable;
use crate::error::Error;
use crate::vm::trap::TrapKind;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, RwLock};

/// What the runtime needs to know about a mapped code blob: trap sites for
/// the signal handler and function ranges/names for backtraces. A module
/// keeps its code ranges only here (no second copy): `Module` reads its
/// functions and trampolines from `compiled`.
#[derive(Debug, Default)]
pub struct CodeMeta {
    /// Every trap site, sorted by offset.
    pub traps: TrapTable,
    /// The wasm offsets of trap sites and calls (frames' offsets).
    pub addresses: crate::compile::AddressMap,
    /// The ranges of the code (`code` and `traps` are empty): one per
    /// defined function, sorted by offset, and the trampolines.
    pub compiled: CompiledCode,
    /// Added to a defined-function index to get the module's function index.
    pub num_imported_funcs: u32,
    /// `name` section function names, sorted by index.
    pub func_names: Vec<(u32, String)>,
    pub module_name: Option<String>,
}

impl CodeMeta {
    /// Trap kind of the instruction at `offset`, if it is a trap site.
    pub fn trap_at(&self, offset: u32) -> Option<TrapKind> {
        self.traps.lookup(offset)
    }

    /// Module function index whose code contains `offset`.
    pub fn func_at(&self, offset: u32) -> Option<u32> {
        let functions = &self.compiled.functions;
        let i = functions.partition_point(|r| r.offset <= offset);
        let r = functions.get(i.checked_sub(1)?)?;
        let inside = u64::from(offset) < u64::from(r.offset) + u64::from(r.len);
        inside.then(|| (i - 1) as u32 + self.num_imported_funcs)
    }

    /// The wasm offsets (in the module, and in its function's body) of the
    /// code at `offset`, a trap site or the last byte of a call.
    pub fn wasm_offsets(&self, offset: u32, func_index: u32) -> Option<(u32, u32)> {
        let module_offset = self.addresses.lookup(offset)?;
        let def = func_index.checked_sub(self.num_imported_funcs)?;
        let start = *self.compiled.body_starts.get(def as usize)?;
        Some((module_offset, module_offset.checked_sub(start)?))
    }

    pub fn func_name(&self, index: u32) -> Option<&str> {
        let i = self.func_names.binary_search_by_key(&index, |(i, _)| *i).ok()?;
        self.func_names.get(i).map(|(_, n)| n.as_str())
    }
}

struct Registered {
    end: usize,
    meta: Arc<CodeMeta>,
}

/// Start address -> registered blob. Writers (module load/unload) hold the
/// write lock only for a map insert/remove.
static REGISTRY: RwLock<BTreeMap<usize, Registered>> = RwLock::new(BTreeMap::new());

/// Runs `f` with the metadata and offset of the code blob containing `pc`.
///
/// Safe to call from a signal handler: it never allocates and never blocks
/// in the kernel on the lock. It retries `try_read`; that ends because a
/// thread that faults in wasm code cannot itself be inside a registry write
/// (those happen only around module load/unload, never while compiled code
/// of that thread runs), so a writer is another thread finishing a short
/// critical section. The retries are bounded all the same so that a bug can
/// never hang the handler; giving up means "not wasm code", i.e. a crash.
/// A poisoned lock is still read: inserts/removes are single calls, so the
/// map is never left half-updated.
pub fn with_code_at<R>(pc: usize, f: impl FnOnce(&CodeMeta, u32) -> R) -> Option<R> {
    for attempt in 0u32..(1 << 24) {
        match REGISTRY.try_read() {
            Ok(map) => return lookup(&map, pc, f),
            Err(std::sync::TryLockError::Poisoned(p)) => return lookup(&p.into_inner(), pc, f),
            Err(std::sync::TryLockError::WouldBlock) => {
                if attempt % 64 == 63 {
                    // SAFETY: sched_yield has no preconditions and is async-signal-safe.
                    unsafe { libc::sched_yield() };
                } else {
                    std::hint::spin_loop();
                }
            }
        }
    }
    None
}

fn lookup<R>(map: &BTreeMap<usize, Registered>, pc: usize, f: impl FnOnce(&CodeMeta, u32) -> R) -> Option<R> {
    let (start, reg) = map.range(..=pc).next_back()?;
    if pc >= reg.end {
        return None;
    }
    Some(f(&reg.meta, (pc - start) as u32))
}

/// Like [`with_code_at`] but returns a shared handle; for ordinary code
/// such as the backtrace builder (it may block on the lock).
pub fn code_meta_at(pc: usize) -> Option<(Arc<CodeMeta>, u32)> {
    let map = REGISTRY.read().unwrap_or_else(|p| p.into_inner());
    let (start, reg) = map.range(..=pc).next_back()?;
    (pc < reg.end).then(|| (reg.meta.clone(), (pc - start) as u32))
}

enum Backing {
    /// Anonymous mapping holding a copy of the code.
    Anon(memmap2::Mmap),
    /// Private copy-on-write file mapping from the on-disk cache (shared
    /// with the module's trap table, which lives in the same file).
    File(Arc<memmap2::MmapMut>),
}

/// A module's machine code, mapped read+exec.
pub struct CodeMemory {
    backing: Backing,
    /// The code inside the mapping.
    code: Range<usize>,
    registered: bool,
}

// SAFETY: the mapping is immutable (read+exec) after construction; the raw
// pointers inside the memmap2 handles are only used to unmap on drop.
unsafe impl Send for CodeMemory {}
// SAFETY: as for `Send`: nothing is written through the mapping after
// construction, so shared references from several threads only read it.
unsafe impl Sync for CodeMemory {}

fn page_size() -> usize {
    region::page::size()
}

impl CodeMemory {
    /// Copies `code` into fresh pages and makes them read+exec.
    pub fn new(code: &[u8]) -> Result<CodeMemory, Error> {
        let len = code.len().max(1).next_multiple_of(page_size());
        let mut map =
            memmap2::MmapMut::map_anon(len).map_err(|e| Error::Resource(format!("cannot map {len} bytes for code: {e}")))?;
        map[..code.len()].copy_from_slice(code);
        let map = map.make_exec().map_err(|e| Error::Resource(format!("cannot make code executable: {e}")))?;
        flush_icache(map.as_ptr(), code.len());
        Ok(CodeMemory { backing: Backing::Anon(map), code: 0..code.len(), registered: false })
    }

    /// Uses `code_range` of a private file mapping as code without copying:
    /// the range must start on a page boundary; its pages become read+exec.
    pub fn from_mmap(mmap: Arc<memmap2::MmapMut>, code_range: Range<usize>) -> Result<CodeMemory, Error> {
        let page = page_size();
        if !code_range.start.is_multiple_of(page) || code_range.start > code_range.end || code_range.end > mmap.len() {
            // A malformed artifact, not a lack of resources: the caller
            // must refuse it rather than fall back to copying.
            return Err(Error::Compile {
                func: None,
                message: format!("code range {code_range:?} is not page-aligned inside a {}-byte mapping", mmap.len()),
            });
        }
        let prot_len = (code_range.end - code_range.start).next_multiple_of(page);
        if prot_len > 0 {
            // SAFETY: `start .. start+prot_len` lies within the mapping (its
            // length is page-rounded by the kernel) and nothing else holds a
            // reference into these pages while we change their protection
            // (other holders of the mapping use other sections of the file);
            // the mapping is kept alive by `self` afterwards and never written.
            let rc = unsafe {
                libc::mprotect(
                    mmap.as_ptr().add(code_range.start) as *mut libc::c_void,
                    prot_len,
                    libc::PROT_READ | libc::PROT_EXEC,
                )
            };
            if rc != 0 {
                return Err(Error::Resource(format!("cannot make cached code executable: {}", std::io::Error::last_os_error())));
            }
        }
        flush_icache(mmap.as_ptr().wrapping_add(code_range.start), code_range.len());
        Ok(CodeMemory { backing: Backing::File(mmap), code: code_range, registered: false })
    }

    fn base(&self) -> *const u8 {
        match &self.backing {
            Backing::Anon(m) => m.as_ptr(),
            Backing::File(m) => m.as_ptr(),
        }
    }

    /// Start of the code.
    pub fn as_ptr(&self) -> *const u8 {
        self.base().wrapping_add(self.code.start)
    }

    pub fn len(&self) -> usize {
        self.code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// The code bytes (readable: pages are read+exec).
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the range lies inside a live mapping with PROT_READ that
        // nobody writes after construction.
        unsafe { std::slice::from_raw_parts(self.as_ptr(), self.code.len()) }
    }

    /// Address of `range` inside the code, if it is in bounds.
    pub fn ptr_of(&self, range: CodeRange) -> Option<*const u8> {
        let end = range.offset as usize + range.len as usize;
        (end <= self.code.len()).then(|| self.as_ptr().wrapping_add(range.offset as usize))
    }

    /// Publishes this code to the signal handler and backtraces.
    pub fn register(&mut self, meta: Arc<CodeMeta>) {
        if self.registered || self.code.is_empty() {
            return;
        }
        let start = self.as_ptr() as usize;
        let end = start + self.code.len();
        let mut map = REGISTRY.write().unwrap_or_else(|p| p.into_inner());
        map.insert(start, Registered { end, meta });
        self.registered = true;
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        if self.registered {
            let start = self.as_ptr() as usize;
            let mut map = REGISTRY.write().unwrap_or_else(|p| p.into_inner());
            map.remove(&start);
        }
    }
}

impl std::fmt::Debug for CodeMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeMemory").field("ptr", &self.as_ptr()).field("len", &self.len()).finish()
    }
}

#[cfg(target_arch = "aarch64")]
fn flush_icache(ptr: *const u8, len: usize) {
    extern "C" {
        fn faasm_engine_clear_cache(start: *const u8, end: *const u8);
    }
    // SAFETY: the range is mapped; clearing caches has no other effect.
    unsafe { faasm_engine_clear_cache(ptr, ptr.wrapping_add(len)) }
}

#[cfg(not(target_arch = "aarch64"))]
fn flush_icache(_ptr: *const u8, _len: usize) {
    // x86 keeps instruction and data caches coherent.
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_mapped_and_registered() {
        let code = [0xC3u8, 0x90, 0x90, 0x0F, 0x0B];
        let mut cm = CodeMemory::new(&code).unwrap();
        assert_eq!(cm.bytes(), &code);
        let meta = Arc::new(CodeMeta {
            traps: TrapTable::from_sites(&[crate::compile::TrapSite { offset: 3, kind: TrapKind::Unreachable }]),
            compiled: CompiledCode { functions: vec![CodeRange { offset: 0, len: 5 }], ..CompiledCode::default() },
            num_imported_funcs: 2,
            ..CodeMeta::default()
        });
        cm.register(meta);
        let pc = cm.as_ptr() as usize;
        assert_eq!(with_code_at(pc + 3, |m, off| m.trap_at(off)), Some(Some(TrapKind::Unreachable)));
        assert_eq!(with_code_at(pc + 1, |m, off| m.func_at(off)), Some(Some(2)));
        assert_eq!(with_code_at(pc + 5, |_, _| ()), None);
        drop(cm);
        assert_eq!(with_code_at(pc + 3, |_, _| ()), None);
    }

    #[test]
    fn from_mmap_rejects_unaligned_range() {
        let map = Arc::new(memmap2::MmapMut::map_anon(2 * page_size()).unwrap());
        assert!(CodeMemory::from_mmap(map.clone(), 1..10).is_err());
        assert!(CodeMemory::from_mmap(map, 0..3 * page_size()).is_err());
        let mut map = memmap2::MmapMut::map_anon(2 * page_size()).unwrap();
        map[page_size()] = 0xC3;
        let cm = CodeMemory::from_mmap(Arc::new(map), page_size()..page_size() + 1).unwrap();
        assert_eq!(cm.bytes(), &[0xC3]);
    }
}
