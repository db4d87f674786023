//! Copy-on-write images of a module's initial linear memory.
//!
//! CPython's module has ~7 MB of active data segments; copying them into
//! every fresh memory made instantiation cost milliseconds. When memory 0 is
//! defined by the module and every data segment is active on it at a
//! constant offset inside its initial size, the initialised contents cannot
//! depend on anything at instantiation time and no segment can trap. Then
//! the contents are laid out once per module — in a sealed memfd for a
//! module compiled in this process, or as a section of its artifact file
//! in the on-disk cache — and each instantiation maps them privately over
//! their place in the memory: the kernel shares the pages (between
//! instances, and with the page cache) until the guest writes to one.
//!
//! Any other module (imported memory, passive segments, offsets from
//! globals, segments past the initial size) gets no image and keeps the
//! per-segment copy with the spec's trap semantics. So does everything if
//! `memfd_create` is unavailable.

use crate::instantiate::memory_pool::ImageKey;
use crate::parse::types::{ConstOp, DataMode, MemoryType, ModuleInfo};
use crate::vm::layout::WASM_PAGE_SIZE;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

/// Where an image lies in memory 0 and what it stands for. Offset and
/// length are multiples of the 64 KiB wasm page, hence of every host page
/// size, so the image can be mapped from any page-aligned file offset.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageLayout {
    /// First byte of memory the image covers.
    pub mem_offset: u64,
    /// Bytes covered (0: the data is all zeros, a fresh memory already is
    /// the image).
    pub len: u64,
    /// Number of data segments (all active) the image replaces.
    pub segments: u32,
}

/// What backs an image's pages.
#[derive(Debug)]
enum Source {
    /// A sealed memfd holding exactly the image (modules compiled in this
    /// process).
    Memfd(OwnedFd),
    /// A page-aligned range of an artifact file from the on-disk cache.
    File { file: Arc<File>, offset: u64 },
}

/// The initial contents of a module's memory 0, ready to be mapped.
#[derive(Debug)]
pub struct MemoryImage {
    /// None when `layout.len` is 0.
    source: Option<Source>,
    layout: ImageLayout,
    /// What identifies the source's bytes, for reusing memories (see
    /// `memory_pool`); None if the kernel could not say.
    key: Option<ImageKey>,
    /// A read-only view of the source, made when a memory is first reset
    /// in place (see `LinearMemory::reset_in_place`).
    pristine: std::sync::OnceLock<Option<Arc<Pristine>>>,
}

/// The image's bytes mapped shared and read-only: what a page a guest
/// wrote is copied back from when its memory is reset in place.
#[derive(Debug)]
pub(crate) struct Pristine {
    ptr: *const u8,
    /// Where the bytes lie in memory 0.
    pub mem_offset: usize,
    pub len: usize,
}

// SAFETY: a read-only mapping nothing writes (the memfd is sealed against
// writes; artifact files are never modified in place): any thread may read it.
unsafe impl Send for Pristine {}
// SAFETY: as for Send; only shared reads.
unsafe impl Sync for Pristine {}

impl Pristine {
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes for as long as self lives.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for Pristine {
    fn drop(&mut self) {
        // SAFETY: our own mapping of `len` bytes; no slice of it outlives self.
        unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
    }
}

/// Active data segments as (offset in memory 0, bytes), in application order.
type Placements<'a> = Vec<(usize, &'a [u8])>;

/// The segments' placement in memory 0 if they qualify for an image (see
/// the module comment): (offset, bytes) in application order, and the
/// initial size of the memory in bytes.
fn qualifying_segments(info: &ModuleInfo) -> Option<(Placements<'_>, usize)> {
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
    Some((out, initial))
}

/// The image of `info`'s memory 0 — its layout and bytes — or None when
/// the module does not qualify.
pub fn plan(info: &ModuleInfo) -> Option<(ImageLayout, Vec<u8>)> {
    let (segs, initial) = qualifying_segments(info)?;
    let segments = u32::try_from(segs.len()).ok()?;
    // The image spans the non-zero bytes only: zeros around them are what
    // a fresh memory holds anyway.
    let (mut lo, mut hi) = (usize::MAX, 0usize);
    for &(off, bytes) in &segs {
        if let Some(first) = bytes.iter().position(|&b| b != 0) {
            let last = bytes.iter().rposition(|&b| b != 0).unwrap_or(first);
            lo = lo.min(off + first);
            hi = hi.max(off + last + 1);
        }
    }
    if hi == 0 {
        return Some((ImageLayout { mem_offset: 0, len: 0, segments }, Vec::new()));
    }
    // Whole wasm pages: still inside the initial size, a multiple of them.
    let start = lo / WASM_PAGE_SIZE * WASM_PAGE_SIZE;
    let end = hi.div_ceil(WASM_PAGE_SIZE) * WASM_PAGE_SIZE;
    debug_assert!(end <= initial);
    let mut contents = vec![0u8; end - start];
    for &(off, bytes) in &segs {
        // Clip each segment to [start, end): what lies outside is zeros.
        let (s, e) = (off.max(start), (off + bytes.len()).min(end));
        if s < e {
            contents.get_mut(s - start..e - start)?.copy_from_slice(bytes.get(s - off..e - off)?);
        }
    }
    let layout = ImageLayout { mem_offset: start as u64, len: contents.len() as u64, segments };
    Some((layout, contents))
}

impl MemoryImage {
    /// Builds the image of `info`'s memory 0 in a memfd, or None when the
    /// module does not qualify or the kernel cannot provide a memfd.
    pub fn build(info: &ModuleInfo) -> Option<MemoryImage> {
        let (layout, contents) = plan(info)?;
        if layout.len == 0 {
            return Some(MemoryImage { source: None, layout, key: None, pristine: Default::default() });
        }
        let fd = create_sealed_memfd(&contents)?;
        let key = image_key(&File::from(fd.try_clone().ok()?), 0, layout);
        Some(MemoryImage { source: Some(Source::Memfd(fd)), layout, key, pristine: Default::default() })
    }

    /// An image of `contents` placed at `mem_offset` (both whole wasm
    /// pages), held in a sealed memfd: a snapshot taken in this process.
    pub fn from_contents(mem_offset: u64, contents: &[u8]) -> Result<MemoryImage, String> {
        let page = WASM_PAGE_SIZE as u64;
        let len = contents.len() as u64;
        if !mem_offset.is_multiple_of(page) || !len.is_multiple_of(page) {
            return Err(format!("memory image of {len} bytes at {mem_offset} is not whole wasm pages"));
        }
        let layout = ImageLayout { mem_offset, len, segments: 0 };
        if len == 0 {
            return Ok(MemoryImage { source: None, layout, key: None, pristine: Default::default() });
        }
        let fd = create_sealed_memfd(contents).ok_or("cannot create a sealed memfd for the memory image")?;
        let key = File::from(fd.try_clone().map_err(|e| e.to_string())?);
        let key = image_key(&key, 0, layout);
        Ok(MemoryImage { source: Some(Source::Memfd(fd)), layout, key, pristine: Default::default() })
    }

    /// The image stored at `offset` of an artifact `file`, for a module
    /// whose memory 0 has type `memory`. Checks that the layout is aligned
    /// and fits in the memory's initial size; the caller has verified that
    /// the file holds `layout.len` bytes at `offset`.
    pub fn from_file(file: Arc<File>, offset: u64, layout: ImageLayout, memory: &MemoryType) -> Result<MemoryImage, String> {
        let page = WASM_PAGE_SIZE as u64;
        if !layout.mem_offset.is_multiple_of(page) || !layout.len.is_multiple_of(page) || !offset.is_multiple_of(page) {
            return Err(format!("memory image {layout:?} at file offset {offset} is not page-aligned"));
        }
        let end = layout.mem_offset.checked_add(layout.len).ok_or("memory image range overflows")?;
        if end > memory.min.saturating_mul(page) {
            return Err(format!("memory image ends at {end}, past the initial {} pages", memory.min));
        }
        let key = image_key(&file, offset, layout);
        let source = (layout.len > 0).then_some(Source::File { file, offset });
        Ok(MemoryImage { source, layout, key, pristine: Default::default() })
    }

    pub fn layout(&self) -> ImageLayout {
        self.layout
    }

    /// What a memory holding this image starts out with, besides zeros,
    /// for `memory_pool`: `Some(None)` nothing (an empty image),
    /// `Some(Some(key))` this image's bytes, `None` unknown (never reused).
    pub(crate) fn pool_key(&self) -> Option<Option<ImageKey>> {
        match self.source {
            None => Some(None),
            Some(_) => self.key.map(Some),
        }
    }

    /// The image's bytes mapped read-only (None for an empty image, or if
    /// the kernel refuses the mapping).
    pub(crate) fn pristine(&self) -> Option<Arc<Pristine>> {
        self.pristine
            .get_or_init(|| {
                let (fd, offset) = match self.source.as_ref()? {
                    Source::Memfd(fd) => (fd.as_raw_fd(), 0u64),
                    Source::File { file, offset } => (file.as_raw_fd(), *offset),
                };
                let len = usize::try_from(self.layout.len).ok()?;
                // SAFETY: a new shared read-only mapping of a page-aligned
                // range the source holds (checked when the image was made);
                // nothing else is replaced.
                let p = unsafe {
                    libc::mmap(
                        std::ptr::null_mut(),
                        len,
                        libc::PROT_READ,
                        libc::MAP_SHARED,
                        fd,
                        libc::off_t::try_from(offset).ok()?,
                    )
                };
                (p != libc::MAP_FAILED)
                    .then(|| Arc::new(Pristine { ptr: p as *const u8, mem_offset: self.layout.mem_offset as usize, len }))
            })
            .clone()
    }

    /// The image's bytes (`layout().len` of them), read back from its file.
    pub fn read_contents(&self) -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0u8; usize::try_from(self.layout.len).map_err(std::io::Error::other)?];
        match &self.source {
            None => {}
            Some(Source::Memfd(fd)) => File::from(fd.try_clone()?).read_exact_at(&mut buf, 0)?,
            Some(Source::File { file, offset }) => file.read_exact_at(&mut buf, *offset)?,
        }
        Ok(buf)
    }

    /// Maps the image privately over its place in the memory at `base`.
    ///
    /// # Safety
    /// `base + mem_offset .. + len` must lie in the accessible part of a
    /// reservation owned by the caller that nothing else references (its
    /// pages are replaced).
    pub(crate) unsafe fn map_at(&self, base: *mut u8) -> std::io::Result<()> {
        let (fd, offset) = match &self.source {
            None => return Ok(()),
            Some(Source::Memfd(fd)) => (fd.as_raw_fd(), 0u64),
            Some(Source::File { file, offset }) => (file.as_raw_fd(), *offset),
        };
        let offset = libc::off_t::try_from(offset).map_err(std::io::Error::other)?;
        // SAFETY: per this function's contract the range is ours to replace.
        // The memfd is sealed at exactly `len` bytes; the artifact file is
        // never modified in place (its writers publish by rename) and holds
        // the range (checked at load), so every page is backed and stable.
        // MAP_PRIVATE gives the instance its own copy of any page it writes.
        let p = unsafe {
            libc::mmap(
                base.add(self.layout.mem_offset as usize) as *mut libc::c_void,
                self.layout.len as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_FIXED,
                fd,
                offset,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}

/// The identity of the image bytes at `offset` of `file`: its inode.
fn image_key(file: &File, offset: u64, layout: ImageLayout) -> Option<ImageKey> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata().ok()?;
    Some(ImageKey { dev: meta.dev(), ino: meta.ino(), file_offset: offset, mem_offset: layout.mem_offset, len: layout.len })
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
        let img = image(r#"(module (memory 3) (data (i32.const 70000) "\01") (data (i32.const 9000) "\00"))"#).unwrap();
        // The wasm pages holding non-zero bytes only.
        assert_eq!(img.layout(), ImageLayout { mem_offset: 65536, len: 65536, segments: 2 });
        let bytes = img.read_contents().unwrap();
        assert_eq!(bytes[70000 - 65536], 1);
        assert_eq!(bytes.iter().filter(|&&b| b != 0).count(), 1);
        let zero = image(r#"(module (memory 1) (data (i32.const 0) "\00\00"))"#).unwrap();
        assert_eq!(zero.layout(), ImageLayout { mem_offset: 0, len: 0, segments: 1 });
        assert_eq!(image(r#"(module (memory 1))"#).unwrap().layout().len, 0);
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

    #[test]
    fn later_segments_win() {
        let img = image(r#"(module (memory 1) (data (i32.const 10) "abc") (data (i32.const 11) "X"))"#).unwrap();
        assert_eq!(&img.read_contents().unwrap()[10..13], b"aXc");
    }

    #[test]
    fn file_images_are_checked() {
        let file = Arc::new(tempfile_like());
        let ty = MemoryType { min: 2, max: None };
        let ok = ImageLayout { mem_offset: 65536, len: 65536, segments: 1 };
        assert!(MemoryImage::from_file(file.clone(), 0, ok, &ty).is_ok());
        assert!(MemoryImage::from_file(file.clone(), 4096, ok, &ty).is_err(), "unaligned file offset");
        let past = ImageLayout { mem_offset: 65536, len: 2 * 65536, segments: 1 };
        assert!(MemoryImage::from_file(file.clone(), 0, past, &ty).is_err(), "past the initial size");
        let odd = ImageLayout { mem_offset: 100, len: 65536, segments: 1 };
        assert!(MemoryImage::from_file(file, 0, odd, &ty).is_err(), "unaligned memory offset");
    }

    /// An anonymous file (the checks above never read it).
    fn tempfile_like() -> File {
        // SAFETY: a valid NUL-terminated name; the fd is ours alone.
        let raw = unsafe { libc::memfd_create(c"test".as_ptr(), libc::MFD_CLOEXEC) };
        assert!(raw >= 0);
        // SAFETY: `raw` is a fresh fd nobody else owns.
        File::from(unsafe { OwnedFd::from_raw_fd(raw) })
    }
}
