//! The snapshot file: a fixed header, the metadata, then memory 0's image
//! at a 64 KiB-aligned offset so that it can be mapped straight into a
//! linear memory.
//!
//! ```text
//! 0   magic "FAASMSNP", format version (u32 LE), reserved (u32)
//! 16  metadata length, image offset, image length (u64 LE each)
//! 40  XXH3-128 of the metadata, XXH3-128 of the image (u128 LE each)
//! 72  metadata (postcard), zero padding, the image
//! ```
//!
//! Files are written to a temporary name and renamed into place, never
//! changed afterwards: restored memories map the image privately, and a
//! file that changed under a mapping would change what they read. Loading
//! checks the size, both checksums and the layout before anything is
//! mapped, so a truncated or damaged file is an error, never a memory.

use crate::{Meta, Snapshot, SnapshotError};
use engine::instantiate::memory_image::{ImageLayout, MemoryImage};
use engine::MemoryType;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use xxhash_rust::xxh3::{xxh3_128, Xxh3};

const MAGIC: &[u8; 8] = b"FAASMSNP";
// 2: the module's SHA-256 became optional.
const VERSION: u32 = 2;
const HEADER_LEN: usize = 72;
const ALIGN: u64 = 65536;
/// Largest metadata accepted (a bound on what a damaged length makes us read).
const MAX_META: u64 = 256 << 20;

fn err(path: &Path, reason: impl Into<String>) -> SnapshotError {
    SnapshotError::File { path: path.display().to_string(), reason: reason.into() }
}

impl Snapshot {
    /// Writes the snapshot to `path` atomically.
    pub fn write(&self, path: &Path) -> Result<(), SnapshotError> {
        // A file is restored by module identity; without one it could be
        // restored into any module.
        if self.meta.module_sha256.is_none() {
            return Err(err(path, "the snapshot does not say which module it was taken of; it cannot be written"));
        }
        let meta = postcard::to_allocvec(&self.meta).map_err(|e| err(path, format!("cannot encode: {e}")))?;
        let image = self.image.read_contents().map_err(|e| err(path, format!("cannot read the memory image: {e}")))?;
        let data_offset = (HEADER_LEN as u64 + meta.len() as u64).div_ceil(ALIGN) * ALIGN;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&VERSION.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        header.extend_from_slice(&(meta.len() as u64).to_le_bytes());
        header.extend_from_slice(&data_offset.to_le_bytes());
        header.extend_from_slice(&(image.len() as u64).to_le_bytes());
        header.extend_from_slice(&xxh3_128(&meta).to_le_bytes());
        header.extend_from_slice(&xxh3_128(&image).to_le_bytes());
        debug_assert_eq!(header.len(), HEADER_LEN);
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let result = (|| -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(&header)?;
            f.write_all(&meta)?;
            let pad = data_offset as usize - HEADER_LEN - meta.len();
            f.write_all(&vec![0u8; pad])?;
            f.write_all(&image)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(err(path, format!("cannot write: {e}")));
        }
        Ok(())
    }

    /// Reads and checks the snapshot at `path`; its image stays in the file
    /// and is mapped copy-on-write by each restore.
    pub fn load(path: &Path) -> Result<Snapshot, SnapshotError> {
        let file = File::open(path).map_err(|e| err(path, e.to_string()))?;
        let size = file.metadata().map_err(|e| err(path, e.to_string()))?.len();
        let mut header = [0u8; HEADER_LEN];
        file.read_exact_at(&mut header, 0).map_err(|_| err(path, "not a snapshot (too short)"))?;
        if &header[..8] != MAGIC {
            return Err(err(path, "not a faasm-engine snapshot"));
        }
        let u32_at = |o: usize| u32::from_le_bytes(header[o..o + 4].try_into().unwrap_or_default());
        let u64_at = |o: usize| u64::from_le_bytes(header[o..o + 8].try_into().unwrap_or_default());
        let u128_at = |o: usize| u128::from_le_bytes(header[o..o + 16].try_into().unwrap_or_default());
        if u32_at(8) != VERSION {
            return Err(err(path, format!("snapshot format {} (this engine reads {VERSION}): take it again", u32_at(8))));
        }
        let (meta_len, data_offset, data_len) = (u64_at(16), u64_at(24), u64_at(32));
        let meta_end = (HEADER_LEN as u64).checked_add(meta_len).filter(|&e| meta_len <= MAX_META && e <= data_offset);
        let data_end = data_offset.checked_add(data_len);
        if meta_end.is_none() || data_offset % ALIGN != 0 || data_end != Some(size) {
            return Err(err(path, "damaged or truncated (its sizes do not match the file)"));
        }
        let mut meta = vec![0u8; meta_len as usize];
        file.read_exact_at(&mut meta, HEADER_LEN as u64).map_err(|e| err(path, e.to_string()))?;
        if xxh3_128(&meta) != u128_at(40) {
            return Err(err(path, "damaged (metadata checksum mismatch)"));
        }
        let meta: Meta = postcard::from_bytes(&meta).map_err(|e| err(path, format!("damaged metadata: {e}")))?;
        let mut h = Xxh3::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut at = data_offset;
        while at < size {
            let n = buf.len().min((size - at) as usize);
            file.read_exact_at(&mut buf[..n], at).map_err(|e| err(path, e.to_string()))?;
            h.update(&buf[..n]);
            at += n as u64;
        }
        if h.digest128() != u128_at(56) {
            return Err(err(path, "damaged (memory checksum mismatch)"));
        }
        if meta.image_len != data_len {
            return Err(err(path, "damaged (image length disagrees with the metadata)"));
        }
        let pages = meta.instances.first().and_then(|s| s.memory_pages.first()).copied().unwrap_or(0);
        let layout = ImageLayout { mem_offset: meta.image_offset, len: meta.image_len, segments: 0 };
        let image = MemoryImage::from_file(Arc::new(file), data_offset, layout, &MemoryType { min: pages, max: None })
            .map_err(|e| err(path, e))?;
        Ok(Snapshot { meta, image })
    }
}
