//! Artifact files on disk: atomic publication and verified mapping.
//!
//! Files are only ever published by renaming a complete, fsync'ed temporary
//! file from the same directory over the final name, never modified in
//! place. A reader therefore sees either the old file or the new one, and a
//! mapping stays valid (it keeps the old inode) when a concurrent writer
//! replaces the file under it.
//!
//! A file whose identity shows it unchanged since an earlier verification
//! is not checksummed again: see [`crate::verified`].

use crate::format::{self, ArtifactRef, Decoded, Rejection};
use crate::key::Fingerprint;
use crate::verified::{self, Identity, Memo};
use memmap2::{MmapMut, MmapOptions};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A verified artifact and the private mapping of its file that holds the
/// code (at `decoded.code_range`). The mapping is copy-on-write and
/// writable, as the engine's code memory takes it (it turns the code pages
/// read+exec); nothing writes to it, so no page is ever copied. The open
/// file stays with it: the memory image is mapped from it at each
/// instantiation.
pub struct Mapped {
    pub mmap: Arc<MmapMut>,
    pub file: Arc<File>,
    pub decoded: Decoded,
    pub path: PathBuf,
}

impl std::fmt::Debug for Mapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapped").field("path", &self.path).field("len", &self.mmap.len()).finish()
    }
}

/// Maps the artifact at `path` and verifies it (see [`format::decode`]);
/// its checksum only if neither this process nor `memo` knows the file
/// verified (see [`crate::verified`]). `Ok(None)` when there is no such file.
pub fn open_verified(
    path: &Path,
    current: &Fingerprint,
    wasm_sha256: Option<&[u8; 32]>,
    memo: Option<&Memo>,
) -> Result<Option<Mapped>, Rejection> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Rejection::Io(e.to_string())),
    };
    let meta = file.metadata().map_err(|e| Rejection::Io(e.to_string()))?;
    if !meta.is_file() {
        return Err(Rejection::Io("not a regular file".into()));
    }
    check_owner(&meta)?;
    if meta.len() == 0 {
        // mmap refuses empty mappings; an empty file is just corrupt.
        return Err(Rejection::Empty);
    }
    // SAFETY: a private (copy-on-write) mapping of a file we opened. Its
    // contents could still change under us if another process wrote to the
    // file in place (or truncated it: SIGBUS). Our writers never do (they
    // publish by rename, which leaves this inode alone), the file is owned by
    // the current user (checked above), and everything that follows reads
    // the mapping through bounds-checked slices and verifies the checksum
    // before any of it can be made executable.
    let mmap = unsafe { MmapOptions::new().map_copy(&file) }.map_err(|e| Rejection::Io(format!("mmap: {e}")))?;
    let header = format::read_header(&mmap)?;
    let id = Identity::of(&meta, header.checksum);
    let known = verified::known(&id, memo);
    let decoded = format::decode_with(&mmap, header, current, wasm_sha256, !known)?;
    if !known {
        verified::remember(&id, memo);
    }
    Ok(Some(Mapped { mmap: Arc::new(mmap), file: Arc::new(file), decoded, path: path.to_path_buf() }))
}

/// Code from a file another user could have written must never run: whoever
/// can write the cache can make us execute anything (the checksum is no
/// signature).
#[cfg(unix)]
fn check_owner(meta: &fs::Metadata) -> Result<(), Rejection> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() == me {
        Ok(())
    } else {
        Err(Rejection::Untrusted)
    }
}

#[cfg(not(unix))]
fn check_owner(_meta: &fs::Metadata) -> Result<(), Rejection> {
    Ok(())
}

/// Reads just the header of the artifact at `path` (for statistics).
pub fn read_header(path: &Path) -> Result<format::Header, Rejection> {
    use std::io::Read;
    let file = File::open(path).map_err(|e| Rejection::Io(e.to_string()))?;
    let len = file.metadata().map_err(|e| Rejection::Io(e.to_string()))?.len();
    let mut prefix = Vec::new();
    file.take(format::MAX_HEADER_LEN as u64).read_to_end(&mut prefix).map_err(|e| Rejection::Io(e.to_string()))?;
    format::read_header_prefix(&prefix, len)
}

/// Suffix of temporary files; `clear` removes leftovers of crashed writers.
pub(crate) const TMP_SUFFIX: &str = ".tmp";

/// Writes `artifact` to `path` atomically: to a new temporary file in the
/// same directory, flushed and fsync'ed, then renamed over `path`, then the
/// directory fsync'ed so that the rename survives a crash. Any number of
/// processes may do this for the same path at once: each writes its own
/// temporary file and the last rename wins, with a complete file either way.
pub fn write_atomic(path: &Path, artifact: &ArtifactRef<'_>) -> io::Result<u64> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "artifact path has no file name"))?;
    let (tmp_path, file) = create_temp(dir, &name.to_string_lossy())?;
    let result = (|| {
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let len = format::encode(&mut w, artifact)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp_path, path)?;
        Ok(len)
    })();
    match result {
        Ok(len) => {
            // Durability of the rename only; the file is complete either way.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(len)
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp_path);
            Err(e)
        }
    }
}

/// A new file `.NAME.PID.N.tmp` in `dir`, created exclusively.
pub(crate) fn create_temp(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let pid = std::process::id();
    loop {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{pid}.{n}{TMP_SUFFIX}"));
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o644);
        }
        match opts.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            // A leftover of an earlier process with the same pid.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::tests::{fingerprint, sample};

    fn try_write_sample(path: &Path) -> std::io::Result<u64> {
        let (info, compiled, code) = sample();
        let fp = fingerprint();
        write_atomic(
            path,
            &ArtifactRef {
                fingerprint: &fp,
                wasm_sha256: [3; 32],
                info: &info,
                compiled: &compiled,
                code: &code,
                traps: &engine::compile::TrapTable::from_sites(&compiled.traps),
                addresses: &engine::compile::AddressMap::from_entries(&compiled.addresses),
                image: None,
            },
        )
    }

    fn write_sample(path: &Path) -> u64 {
        try_write_sample(path).unwrap()
    }

    #[test]
    fn write_then_map() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.fobj");
        let len = write_sample(&path);
        assert_eq!(fs::metadata(&path).unwrap().len(), len);
        let m = open_verified(&path, &fingerprint(), Some(&[3; 32]), None).unwrap().unwrap();
        let (info, _, code) = sample();
        assert_eq!(m.decoded.info, info);
        assert_eq!(&m.mmap[m.decoded.code_range.clone()], &code[..]);
        // The code starts on a page boundary of the mapping.
        assert_eq!((m.mmap.as_ptr() as usize + m.decoded.code_range.start) % 4096, 0);
        assert_eq!(format::read_header(&m.mmap).unwrap(), read_header(&path).unwrap());
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// Damages the file at `path` by a write into the same inode (no
    /// rename), as a stray writer would.
    fn flip_last_byte_in_place(path: &Path) {
        use std::io::{Read, Seek, SeekFrom, Write};
        let mut f = OpenOptions::new().read(true).write(true).open(path).unwrap();
        let mut byte = [0u8];
        f.seek(SeekFrom::End(-1)).unwrap();
        f.read_exact(&mut byte).unwrap();
        f.seek(SeekFrom::End(-1)).unwrap();
        f.write_all(&[byte[0] ^ 1]).unwrap();
    }

    #[test]
    fn in_place_damage_after_a_load_is_still_caught() {
        // The second load must not trust the first one's verification: the
        // file changed (within the same timestamp tick, possibly).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.fobj");
        write_sample(&path);
        drop(open_verified(&path, &fingerprint(), None, None).unwrap().unwrap());
        flip_last_byte_in_place(&path);
        assert_eq!(open_verified(&path, &fingerprint(), None, None).unwrap_err(), Rejection::Checksum);
    }

    #[test]
    fn damage_to_a_file_remembered_across_processes_is_still_caught() {
        let _serial = crate::verified::tests::SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.fobj");
        write_sample(&path);
        // Only a file changed long enough ago is remembered.
        std::thread::sleep(crate::verified::SETTLED + std::time::Duration::from_millis(200));
        let memo = Memo::new(dir.path(), &path);
        let m = open_verified(&path, &fingerprint(), None, Some(&memo)).unwrap().unwrap();
        let memo_files = || {
            fs::read_dir(dir.path())
                .unwrap()
                .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == crate::verified::MEMO_EXTENSION))
                .count()
        };
        assert_eq!(memo_files(), 1, "the verification is remembered");
        drop(m);
        // A later process (nothing remembered in memory) loads the damaged file.
        verified::forget_verified();
        flip_last_byte_in_place(&path);
        assert_eq!(open_verified(&path, &fingerprint(), None, Some(&memo)).unwrap_err(), Rejection::Checksum);
    }

    #[test]
    fn missing_and_empty_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.fobj");
        assert!(open_verified(&path, &fingerprint(), None, None).unwrap().is_none());
        File::create(&path).unwrap();
        assert_eq!(open_verified(&path, &fingerprint(), None, None).unwrap_err(), Rejection::Empty);
        fs::create_dir(dir.path().join("d")).unwrap();
        assert!(matches!(open_verified(&dir.path().join("d"), &fingerprint(), None, None), Err(Rejection::Io(_))));
    }

    #[test]
    fn replacing_a_mapped_file_leaves_the_mapping_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.fobj");
        write_sample(&path);
        let m = open_verified(&path, &fingerprint(), None, None).unwrap().unwrap();
        let before = m.mmap.to_vec();
        write_sample(&path);
        fs::remove_file(&path).unwrap();
        assert_eq!(&m.mmap[..], &before[..]);
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // Renaming a file over a non-empty directory fails.
        let path = dir.path().join("a.fobj");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("x"), b"x").unwrap();
        assert!(try_write_sample(&path).is_err());
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.fobj")]);
    }
}
