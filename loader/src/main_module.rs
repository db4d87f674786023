//! The main module as the loader sees it: the exports every side module
//! links against (memory, function table, stack pointer, the symbol index),
//! and the guest's own allocator, which reserves each library's
//! `__memory_base` region.
//!
//! Why the guest's allocator and not a region the loader grows itself: the
//! guest's malloc (wasi-libc's dlmalloc) owns the top of linear memory and
//! extends it with `memory.grow`; memory taken behind its back would break
//! its assumption that sbrk space is contiguous. Allocating through it keeps
//! one owner of the heap, and a failed allocation is simply "out of memory".

use crate::error::DlError;
use engine::{Func, Global, Instance, Memory, Store, Table, Val};

/// Longest C string (path or symbol name) read from the guest.
pub const MAX_GUEST_STRING: usize = 4096;

/// What the loader needs of the main module.
pub struct MainModule {
    pub instance: Instance,
    pub memory: Memory,
    pub table: Table,
    pub stack_pointer: Global,
    malloc: Func,
    aligned_alloc: Option<Func>,
    free: Option<Func>,
}

fn missing(what: &str) -> DlError {
    DlError::Guest(format!(
        "the main module does not export `{what}` (link it with --export-all --export=__stack_pointer \
         --export-table --growable-table)"
    ))
}

impl MainModule {
    pub fn new(store: &Store, instance: Instance) -> Result<MainModule, DlError> {
        let get = |name: &str| instance.get_export(store, name).ok_or_else(|| missing(name));
        let memory = get("memory")?.into_memory().ok_or_else(|| missing("memory"))?;
        let table = get("__indirect_function_table")?.into_table().ok_or_else(|| missing("__indirect_function_table"))?;
        let stack_pointer = get("__stack_pointer")?.into_global().ok_or_else(|| missing("__stack_pointer"))?;
        let malloc = get("malloc")?.into_func().ok_or_else(|| missing("malloc"))?;
        let aligned_alloc = instance.get_func(store, "aligned_alloc");
        let free = instance.get_func(store, "free");
        Ok(MainModule { instance, memory, table, stack_pointer, malloc, aligned_alloc, free })
    }

    /// Reserves `size` zeroed bytes aligned to `align` (a power of two) in
    /// the guest's heap; `None` when the guest allocator says no.
    pub fn alloc_zeroed(&self, store: &mut Store, size: u32, align: u32) -> Result<Option<u32>, DlError> {
        let addr = match (self.aligned_alloc, align > 16) {
            (Some(f), true) => {
                // aligned_alloc wants the size to be a multiple of the alignment.
                let Some(rounded) = size.checked_next_multiple_of(align) else { return Ok(None) };
                call_i32(store, f, &[Val::I32(align as i32), Val::I32(rounded as i32)], "aligned_alloc")?
            }
            // malloc's own alignment (16 in wasi-libc) covers the rest; pad
            // for anything larger when there is no aligned_alloc.
            _ => {
                let pad = if align > 16 { align - 1 } else { 0 };
                let Some(total) = size.checked_add(pad) else { return Ok(None) };
                let raw = call_i32(store, self.malloc, &[Val::I32(total as i32)], "malloc")?;
                if raw == 0 {
                    0
                } else {
                    raw.checked_next_multiple_of(align).unwrap_or(0)
                }
            }
        };
        if addr == 0 {
            return Ok(None);
        }
        let data = self.memory.data_mut(store);
        let region = (addr as usize)
            .checked_add(size as usize)
            .and_then(|end| data.get_mut(addr as usize..end))
            .ok_or_else(|| DlError::Guest(format!("malloc returned {addr:#x}, outside linear memory")))?;
        region.fill(0);
        Ok(Some(addr))
    }

    /// Gives a block back to the guest's allocator (when it exports `free`).
    pub fn free(&self, store: &mut Store, addr: u32) {
        if let Some(f) = self.free {
            // A failing free only leaks the block.
            let _ = f.call(store, &[Val::I32(addr as i32)]);
        }
    }

    /// Reads the NUL-terminated string at `ptr`.
    pub fn read_c_string(&self, store: &Store, ptr: u32, what: &str) -> Result<String, DlError> {
        let data = self.memory.data(store);
        let tail = data
            .get(ptr as usize..)
            .ok_or_else(|| DlError::Guest(format!("{what} pointer {ptr:#x} is outside linear memory")))?;
        let window = &tail[..tail.len().min(MAX_GUEST_STRING)];
        let len = window
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| DlError::Guest(format!("{what} at {ptr:#x} is not NUL-terminated within {MAX_GUEST_STRING} bytes")))?;
        String::from_utf8(window[..len].to_vec()).map_err(|_| DlError::Guest(format!("{what} at {ptr:#x} is not valid UTF-8")))
    }

    /// Copies `text` and a NUL into a fresh guest allocation.
    pub fn write_c_string(&self, store: &mut Store, text: &str) -> Result<Option<u32>, DlError> {
        let len = u32::try_from(text.len() + 1).map_err(|_| DlError::Guest("string too long".into()))?;
        let Some(addr) = self.alloc_zeroed(store, len, 1)? else { return Ok(None) };
        let data = self.memory.data_mut(store);
        let start = addr as usize;
        if let Some(dst) = data.get_mut(start..start + text.len()) {
            dst.copy_from_slice(text.as_bytes());
        }
        Ok(Some(addr))
    }
}

/// Calls a guest function returning one i32, as an address.
fn call_i32(store: &mut Store, f: Func, args: &[Val], name: &str) -> Result<u32, DlError> {
    match f.call(store, args) {
        Ok(results) => match results.as_slice() {
            [Val::I32(v)] => Ok(*v as u32),
            _ => Err(DlError::Guest(format!("the main module's `{name}` does not return one i32"))),
        },
        Err(e) => Err(DlError::Guest(format!("the main module's `{name}` failed: {e}"))),
    }
}
