//! The module index: which wasm a file on disk holds, without reading it.
//!
//! A cache entry is keyed by the SHA-256 of the wasm, and python3.wasm is
//! 26 MB: reading and hashing it took ~20 ms, far longer than mapping its
//! compiled code. The index remembers, per file identity (device, inode,
//! size, modification and change times), the hash it had, in a small file
//! `<64 hex>.widx` of the cache directory; a warm start then stats the wasm
//! and opens two small files instead of reading 26 MB.
//!
//! An identity is only recorded when the file's change time lies
//! [`crate::verified::SETTLED`] in the past (the rule for verified artifacts):
//! any later write sets the ctime to a new, later time that no
//! unprivileged process can set back, so a recorded identity can never
//! name different bytes. A hit only selects which cache entry to try; the
//! entry itself records the wasm hash it was compiled from and is verified
//! as usual.

use crate::file::create_temp;
use crate::verified::settled_ctime;
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// File extension of index entries.
pub const INDEX_EXTENSION: &str = "widx";

/// What identifies a file's contents without reading them, as text (also
/// stored in the entry, so that a hash collision of names cannot mislead).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileIdentity {
    text: String,
    ctime: Duration,
}

impl FileIdentity {
    #[cfg(unix)]
    pub fn of(meta: &fs::Metadata) -> FileIdentity {
        use std::os::unix::fs::MetadataExt;
        let text = format!(
            "dev={} ino={} size={} mtime={}.{:09} ctime={}.{:09}",
            meta.dev(),
            meta.ino(),
            meta.len(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec()
        );
        let ctime = Duration::new(meta.ctime().max(0) as u64, meta.ctime_nsec().clamp(0, 999_999_999) as u32);
        FileIdentity { text, ctime }
    }

    /// Whether the identity can be recorded (see the module docs).
    fn settled(&self) -> bool {
        settled_ctime(self.ctime)
    }

    fn entry_name(&self) -> String {
        let digest: [u8; 32] = Sha256::digest(self.text.as_bytes()).into();
        format!("{}.{INDEX_EXTENSION}", crate::key::hex(&digest))
    }
}

fn entry_path(dir: &Path, id: &FileIdentity) -> PathBuf {
    dir.join(id.entry_name())
}

/// The wasm hash recorded for `id` in the cache directory `dir`, if any.
/// Anything unexpected (no entry, a short or foreign file) is a miss.
pub fn lookup(dir: &Path, id: &FileIdentity) -> Option<[u8; 32]> {
    let f = File::open(entry_path(dir, id)).ok()?;
    let mut buf = Vec::with_capacity(32 + id.text.len());
    f.take(32 + id.text.len() as u64 + 1).read_to_end(&mut buf).ok()?;
    if buf.len() != 32 + id.text.len() || &buf[32..] != id.text.as_bytes() {
        return None;
    }
    let mut sha = [0u8; 32];
    sha.copy_from_slice(&buf[..32]);
    Some(sha)
}

/// Records that the file with identity `id` holds the wasm `sha`, if the
/// identity is settled; atomically (temporary file, then rename).
pub fn record(dir: &Path, id: &FileIdentity, sha: &[u8; 32]) -> io::Result<()> {
    if !id.settled() {
        return Ok(());
    }
    let path = entry_path(dir, id);
    let (tmp, mut f) = create_temp(dir, &id.entry_name())?;
    let result = f.write_all(sha).and_then(|_| f.write_all(id.text.as_bytes())).and_then(|_| fs::rename(&tmp, &path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(path: &Path) -> FileIdentity {
        FileIdentity::of(&fs::metadata(path).unwrap())
    }

    #[test]
    fn fresh_files_are_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("m.wasm");
        fs::write(&wasm, b"\0asm").unwrap();
        let id = identity(&wasm);
        record(dir.path(), &id, &[1; 32]).unwrap();
        assert_eq!(lookup(dir.path(), &id), None, "changed just now: not settled");
    }

    #[test]
    fn settled_identities_round_trip_and_changes_miss() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("m.wasm");
        fs::write(&wasm, b"\0asm").unwrap();
        // Pretend the file was last changed long ago.
        let mut id = identity(&wasm);
        id.ctime = Duration::from_secs(1_000_000);
        record(dir.path(), &id, &[7; 32]).unwrap();
        assert_eq!(lookup(dir.path(), &id), Some([7; 32]));
        // Any change of the file changes its identity.
        fs::write(&wasm, b"\0asm\x01").unwrap();
        assert_eq!(lookup(dir.path(), &identity(&wasm)), None);
        // A damaged entry is a miss.
        let entry = entry_path(dir.path(), &id);
        let mut bytes = fs::read(&entry).unwrap();
        bytes.truncate(40);
        fs::write(&entry, bytes).unwrap();
        assert_eq!(lookup(dir.path(), &id), None);
    }
}
