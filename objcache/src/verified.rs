//! Which artifact files are known to hold the bytes their checksum was
//! verified against, so that a load can skip reading all of them.
//!
//! The checksum reads every byte of a file (22 MB for python3.wasm, about
//! 0.5-0.9 ms on two cores): more than everything else a load does. A file
//! is provably unchanged since it was verified while its *identity* is:
//! device, inode, size, modification and change times, and the checksum in
//! its header. Any write to a file sets its change time (ctime) to the
//! current time, which no unprivileged process can set back; so an identity
//! is only remembered for a file whose ctime was already [`SETTLED`] in the
//! past when it was verified, and a later write always lands on a different
//! ctime, even with coarse file-system timestamps. Freshly written files
//! (every test that damages a file) are verified on every load.
//!
//! Remembered where:
//! - **in the process**, always: a process that loads the same file again
//!   (an embedder reloading a module, a worker serving the same function)
//!   reads nothing;
//! - **in a memo file** of the cache directory, `<64 hex>.fver` per
//!   artifact path, when the caller has a cache directory: the next process
//!   that loads the file in the same **boot** skips the checksum too. The
//!   memo holds the kernel's boot id, so after a reboot every file is
//!   verified again: a crash can leave a renamed file whose blocks never
//!   reached the disk, and bytes read back from a disk after a reboot are
//!   exactly what the checksum exists to doubt. Within one boot a file's
//!   bytes are what was written through the file system, which the identity
//!   pins down. A memo that is missing, damaged, foreign (another user's)
//!   or names another identity is simply a miss: the file is verified.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// File extension of memo files in a cache directory.
pub const MEMO_EXTENSION: &str = "fver";

/// How long ago a file's last change must be for its verification to be
/// remembered (see the module docs). File-system timestamps are at worst a
/// few milliseconds coarse; two seconds leaves a wide margin.
pub const SETTLED: Duration = Duration::from_secs(2);

/// What identifies a file's contents without reading them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Identity {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    checksum: u128,
}

impl Identity {
    /// The identity of the file with metadata `meta` whose header holds
    /// `checksum`.
    #[cfg(unix)]
    pub(crate) fn of(meta: &fs::Metadata, checksum: u128) -> Identity {
        use std::os::unix::fs::MetadataExt;
        Identity {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
            checksum,
        }
    }

    /// Without inode numbers nothing proves a file unchanged: an identity
    /// that is never settled keeps verifying.
    #[cfg(not(unix))]
    pub(crate) fn of(_meta: &fs::Metadata, checksum: u128) -> Identity {
        Identity { dev: 0, ino: 0, len: 0, mtime: (0, 0), ctime: (0, 0), checksum }
    }

    /// Whether the ctime lies at least [`SETTLED`] in the past.
    fn settled(&self) -> bool {
        let (secs, nanos) = self.ctime;
        settled_ctime(Duration::new(secs.max(0) as u64, nanos.clamp(0, 999_999_999) as u32))
    }

    /// The memo line for this identity in the boot `boot`.
    fn memo_text(&self, boot: &str) -> String {
        format!(
            "boot={boot} dev={} ino={} size={} mtime={}.{:09} ctime={}.{:09} checksum={:032x}\n",
            self.dev, self.ino, self.len, self.mtime.0, self.mtime.1, self.ctime.0, self.ctime.1, self.checksum
        )
    }
}

/// Whether a file whose change time is `ctime` (since the Unix epoch) can
/// be trusted to keep its contents while its identity is unchanged: the
/// time lies at least [`SETTLED`] in the past. A zero ctime means a file
/// system that keeps no change times, where nothing proves a file
/// unchanged: never settled.
pub(crate) fn settled_ctime(ctime: Duration) -> bool {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    !ctime.is_zero() && now.checked_sub(ctime).is_some_and(|age| age >= SETTLED)
}

/// Files this process verified, by identity.
static VERIFIED: Mutex<Option<HashSet<Identity>>> = Mutex::new(None);

/// Where a verification of one artifact file is remembered across
/// processes: its memo file in a cache directory.
#[derive(Clone, Debug)]
pub struct Memo {
    path: PathBuf,
}

impl Memo {
    /// The memo of the artifact at `artifact` in the cache directory `dir`.
    /// Named after the artifact's path, so that replacing a file (a new
    /// identity) overwrites its memo instead of adding one.
    pub fn new(dir: &Path, artifact: &Path) -> Memo {
        let absolute = std::path::absolute(artifact).unwrap_or_else(|_| artifact.to_path_buf());
        let digest: [u8; 32] = Sha256::digest(absolute.as_os_str().as_encoded_bytes()).into();
        Memo { path: dir.join(format!("{}.{MEMO_EXTENSION}", crate::key::hex(&digest))) }
    }

    /// Whether the memo says `id` was verified in this boot.
    fn says(&self, id: &Identity) -> bool {
        let (Some(boot), Ok(file)) = (boot_id(), File::open(&self.path)) else {
            return false;
        };
        if !owned_by_me(&file) {
            return false;
        }
        let expected = id.memo_text(boot);
        let mut text = Vec::with_capacity(expected.len() + 1);
        file.take(expected.len() as u64 + 1).read_to_end(&mut text).is_ok() && text == expected.as_bytes()
    }

    /// Records that `id` was verified (atomically: temporary file, then
    /// rename). Not fsync'ed: a memo lost in a crash only costs a checksum,
    /// and a reboot invalidates it anyway.
    fn record(&self, id: &Identity) {
        let (Some(boot), Some(dir), Some(name)) = (boot_id(), self.path.parent(), self.path.file_name()) else {
            return;
        };
        let Ok((tmp, mut f)) = crate::file::create_temp(dir, &name.to_string_lossy()) else {
            return;
        };
        if f.write_all(id.memo_text(boot).as_bytes()).and_then(|_| fs::rename(&tmp, &self.path)).is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }

    /// Removes the memo, if any.
    pub fn forget(&self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Whether the file with identity `id` was verified before: by this
/// process, or in this boot according to `memo`.
pub(crate) fn known(id: &Identity, memo: Option<&Memo>) -> bool {
    let in_process = {
        let set = VERIFIED.lock().unwrap_or_else(|p| p.into_inner());
        set.as_ref().is_some_and(|s| s.contains(id))
    };
    if in_process {
        return true;
    }
    // Checked before the memo, so that even a memo written by hand for a
    // fresh file cannot skip its verification.
    if !id.settled() || !memo.is_some_and(|m| m.says(id)) {
        return false;
    }
    remember_in_process(id.clone());
    true
}

/// Remembers that the file with identity `id` was just verified, if its
/// identity is settled: in the process, and in `memo`.
pub(crate) fn remember(id: &Identity, memo: Option<&Memo>) {
    if !id.settled() {
        return;
    }
    remember_in_process(id.clone());
    if let Some(memo) = memo {
        memo.record(id);
    }
}

fn remember_in_process(id: Identity) {
    let mut set = VERIFIED.lock().unwrap_or_else(|p| p.into_inner());
    set.get_or_insert_with(HashSet::new).insert(id);
}

/// Forgets every file this process verified, so that the next load of each
/// consults its memo (or verifies), as the first load in a new process
/// does (for benchmarks that measure that load).
pub fn forget_verified() {
    let mut set = VERIFIED.lock().unwrap_or_else(|p| p.into_inner());
    *set = None;
}

/// The kernel's id of the current boot; `None` where there is none, and
/// then nothing is remembered across processes.
fn boot_id() -> Option<&'static str> {
    static BOOT: OnceLock<Option<String>> = OnceLock::new();
    BOOT.get_or_init(|| {
        let text = fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
        let id = text.trim();
        (!id.is_empty() && id.len() <= 64 && id.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-')).then(|| id.to_string())
    })
    .as_deref()
}

/// A memo another user could write must not vouch for our files.
#[cfg(unix)]
fn owned_by_me(file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    file.metadata().is_ok_and(|m| m.is_file() && m.uid() == me)
}

#[cfg(not(unix))]
fn owned_by_me(_file: &File) -> bool {
    false
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Tests that forget the process's verifications run one at a time, so
    /// that no test sees another's `forget_verified`.
    pub(crate) static SERIAL: Mutex<()> = Mutex::new(());

    fn id_aged(age: Duration, checksum: u128) -> Identity {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        let t = now - age;
        let t = (t.as_secs() as i64, t.subsec_nanos() as i64);
        Identity { dev: 1, ino: 2, len: 3, mtime: t, ctime: t, checksum }
    }

    #[test]
    fn only_settled_files_are_remembered() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        assert!(!id_aged(Duration::ZERO, 4).settled());
        assert!(!settled_ctime(Duration::ZERO), "a file system without change times");
        assert!(!id_aged(SETTLED / 2, 4).settled());
        assert!(id_aged(SETTLED * 2, 4).settled());
        let fresh = id_aged(Duration::ZERO, 4);
        remember(&fresh, None);
        assert!(!known(&fresh, None));
        let old = id_aged(SETTLED * 2, 4);
        remember(&old, None);
        assert!(known(&old, None));
        assert!(!known(&Identity { checksum: 5, ..old }, None));
    }

    #[test]
    fn memos_carry_verification_across_processes_of_one_boot() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        let Some(boot) = boot_id() else { return };
        let dir = tempfile::tempdir().unwrap();
        let memo = Memo::new(dir.path(), &dir.path().join("a.fobj"));
        let id = id_aged(SETTLED * 3, 0xfeed);
        remember(&id, Some(&memo));
        // A new process: nothing in memory, the memo vouches.
        forget_verified();
        assert!(known(&id, Some(&memo)));
        forget_verified();
        // Any other identity (a rewritten file) is a miss.
        let other = Identity { ino: 99, ..id.clone() };
        assert!(!known(&other, Some(&memo)));
        // A memo from another boot is a miss.
        fs::write(&memo.path, id.memo_text(&format!("{boot}0"))).unwrap();
        assert!(!known(&id, Some(&memo)));
        // So is a damaged one, and none at all.
        let mut text = id.memo_text(boot).into_bytes();
        text.truncate(text.len() - 3);
        fs::write(&memo.path, &text).unwrap();
        assert!(!known(&id, Some(&memo)));
        memo.forget();
        assert!(!known(&id, Some(&memo)));
        // A memo never vouches for a fresh file, even one that names it.
        let fresh = id_aged(Duration::ZERO, 0xfeed);
        fs::write(&memo.path, fresh.memo_text(boot)).unwrap();
        assert!(!known(&fresh, Some(&memo)));
        // Replacing the artifact's memo leaves one file, no temporaries.
        remember(&id, Some(&memo));
        remember(&other, Some(&memo));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn memo_names_follow_the_artifact_path() {
        let dir = Path::new("/cache");
        assert_eq!(Memo::new(dir, Path::new("/x/a.fobj")).path, Memo::new(dir, Path::new("/x/a.fobj")).path);
        assert_ne!(Memo::new(dir, Path::new("/x/a.fobj")).path, Memo::new(dir, Path::new("/x/b.fobj")).path);
        assert!(Memo::new(dir, Path::new("/x/a.fobj")).path.to_string_lossy().ends_with(".fver"));
    }
}
