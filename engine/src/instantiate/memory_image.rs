//! Copy-on-write images of a module's initial linear memory.
//!
//! CPython's module has ~7 MB of active data segments; copying them into
//! every fresh memory made instantiation cost milliseconds. When memory 0 is
//! defined by the module and every data segment is active on it at a
//! constant offset inside its initial size, the initialised contents cannot
//! depend on anything at instantiation time and no segment can trap. Then
//! the contents are written once per module into a sealed memfd, and each
//! instantiation maps that file privately over the start of the memory: the
//! kernel shares the pages until the guest writes to one.
//!
//! Any other module (imported memory, passive segments, offsets from
//! globals, segments past the initial size) gets no image and keeps the
//! per-segment copy with the spec's trap semantics. So does everything if
//! `memfd_create` is unavailable.

use crate::parse::types::{ConstOp, DataMode, ModuleInfo};
use crate::vm::layout::WASM_PAGE_SIZE;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// The initial contents of a module's memory 0, ready to be mapped.
#[derive(Debug)]
pub struct MemoryImage {
    /// Sealed memfd of `len` bytes; None when the contents are all zero
    /// (then a fresh memory already is the image).
    fd: Option<OwnedFd>,
    /// Bytes of the image: a multiple of the host page size, at most the
    /// memory's initial size.
    len: usize,
}

/// Host page size (the granularity of `mmap`).
fn host_page() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

/// The segments' placement in memory 0 if they qualify for an image (see
/// the module comment): (offset, bytes) in application order.
fn qualifying_segments(info: &ModuleInfo) -> Option<Vec<(usize, &[u8])>> {
    if info.num_imported_memories != 0 {
        return None;
    }
    let initial = usize::try_from(info.memories.first()?.min).ok()?.checked_mul(WASM_PAGE_SIZE)?;
    let mut out = Vec::with_capacity(info.data.len());
    for seg in &info.data {
        let DataMode::Active { memory: 0, offset } = &seg.mode else { return None };
        let [ConstOp::I32Const(off)] = offset.ops.as_slice() else { return None };
        let off = *off as u32 as usize;
        let end = off.checked_add(seg.bytes.len())?;
        if end > initial {
            return None;
        }
        out.push((off, seg.bytes.as_slice()));
    }
    Some(out)
}

impl MemoryImage {
    /// Builds the image of `info`'s memory 0, or None when the module does
    /// not qualify or the kernel cannot provide a memfd.
    pub fn build(info: &ModuleInfo) -> Option<MemoryImage> {
        let segs = qualifying_segments(info)?;
        // The image ends at the last non-zero byte: trailing zeros are what a
        // fresh memory holds anyway.
        let mut last = 0usize;
        for &(off, bytes) in &segs {
            if let Some(p) = bytes.iter().rposition(|&b| b != 0) {
                last = last.max(off + p + 1);
            }
        }
        if last == 0 {
            return Some(MemoryImage { fd: None, len: 0 });
        }
        let page = host_page();
        // Rounding up to a host page stays inside the initial size, which
        // is a multiple of the 64 KiB wasm page.
        let len = last.div_ceil(page) * page;
        let mut contents = vec![0u8; len];
        for &(off, bytes) in &segs {
            let end = (off + bytes.len()).min(len);
            if off < end {
                contents.get_mut(off..end)?.copy_from_slice(bytes.get(..end - off)?);
            }
        }
        let fd = create_sealed_memfd(&contents)?;
        Some(MemoryImage { fd: Some(fd), len })
    }

    /// Bytes covered by the image (0 if all zero).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Maps the image privately over `[base, base + len)`.
    ///
    /// # Safety
    /// `base..base + self.len()` must be inside a reservation owned by the
    /// caller that nothing else references (it is replaced).
    pub(crate) unsafe fn map_at(&self, base: *mut u8) -> std::io::Result<()> {
        let Some(fd) = &self.fd else { return Ok(()) };
        // SAFETY: per this function's contract the range is ours to
        // replace; the file is sealed at exactly `len` bytes, so every page
        // of the mapping is backed (no SIGBUS) and cannot change under us.
        // MAP_PRIVATE gives the instance its own copy of any page it writes.
        let p = unsafe {
            libc::mmap(
                base as *mut libc::c_void,
                self.len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_FIXED,
                fd.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}

/// A memfd holding `contents`, sealed against any change of size or bytes.
fn create_sealed_memfd(contents: &[u8]) -> Option<OwnedFd> {
    // SAFETY: a valid NUL-terminated name and flags; the returned fd (if
    // any) is owned by us alone.
    let raw = unsafe { libc::memfd_create(c"faasm-memory-image".as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING) };
    if raw < 0 {
        return None;
    }
    // SAFETY: `raw` is a fresh fd nobody else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let mut file = std::fs::File::from(fd);
    std::io::Write::write_all(&mut file, contents).ok()?;
    let fd = OwnedFd::from(file);
    let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
    // SAFETY: fcntl on an fd we own, with an integer argument.
    if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
        return None;
    }
    Some(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(wat: &str) -> Option<MemoryImage> {
        let info = crate::parse::parse(&wat::parse_str(wat).unwrap()).unwrap();
        MemoryImage::build(&info)
    }

    #[test]
    fn which_modules_get_an_image() {
        let img = image(r#"(module (memory 1) (data (i32.const 5000) "\01") (data (i32.const 9000) "\00"))"#).unwrap();
        // Up to the last non-zero byte, rounded to a host page.
        assert_eq!(img.len(), 5001usize.div_ceil(host_page()) * host_page());
        assert!(image(r#"(module (memory 1) (data (i32.const 0) "\00\00"))"#).unwrap().is_empty());
        assert!(image(r#"(module (memory 1))"#).unwrap().is_empty());
        for wat in [
            r#"(module (memory 1) (data (i32.const 65535) "ab"))"#,
            r#"(module (memory 1) (data (i32.const -1) "a"))"#,
            r#"(module (memory 1) (data "passive"))"#,
            r#"(module (global i32 (i32.const 0)) (memory 1) (data (global.get 0) "g"))"#,
            r#"(module (import "m" "m" (memory 1)) (data (i32.const 0) "i"))"#,
            r#"(module)"#,
        ] {
            assert!(image(wat).is_none(), "{wat}");
        }
    }
}
