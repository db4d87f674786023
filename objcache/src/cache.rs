//! The cache directory: where entries live, lookup with recovery, and the
//! housekeeping commands (`stats`, `clear`).
//!
//! An entry is the file `<key>.fobj`, `key` being the [`CacheKey`] in hex.
//! Beside the entries live the module index (`<hex>.widx`, see
//! [`crate::index`]) and verification memos (`<hex>.fver`, see
//! [`crate::verified`]).
//! Lookup never fails a run: a missing entry is a miss, a bad one is
//! reported in one warning line, recompiled and replaced, and an entry that
//! cannot be written only costs the next run a compilation.

use crate::file::{self, Mapped, TMP_SUFFIX};
use crate::format::{ArtifactRef, Rejection};
use crate::key::{CacheKey, Fingerprint};
use crate::verified::{Memo, MEMO_EXTENSION};
use engine::compile::{AddressMap, CompiledCode, TrapTable};
use engine::instantiate::memory_image::ImageLayout;
use engine::ModuleInfo;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// File extension of cache entries and of `faasm-engine compile` output.
pub const EXTENSION: &str = "fobj";

/// How a module was obtained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Mapped from a valid cache entry, without compiling.
    Hit,
    /// No entry: compiled, and stored for next time.
    Miss,
    /// The entry was unusable for the reason given: compiled and replaced.
    Recovered(Rejection),
}

/// A compiled module as the cache stores it. Implemented for
/// `engine::Module`; tests implement it for synthetic values.
pub trait Artifact {
    fn info(&self) -> &ModuleInfo;
    /// Everything but the code (`compiled().code` is not read).
    fn compiled(&self) -> &CompiledCode;
    /// The machine code, position independent.
    fn code(&self) -> &[u8];
    /// The trap sites of the code.
    fn trap_table(&self) -> &TrapTable;
    /// The wasm offsets of trap sites and calls.
    fn address_map(&self) -> &AddressMap;
    /// The memory image standing for all data segments, with its bytes.
    fn memory_image(&self) -> io::Result<Option<(ImageLayout, Vec<u8>)>>;
}

/// Entries found by [`Cache::stats`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Entry files (`<key>.fobj`).
    pub entries: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Entries whose header says they were made by this engine build for this
    /// CPU (any settings). The others are stale or unreadable and will never
    /// be used again; `clear` removes them.
    pub current: u64,
    /// Temporary files: writes in progress, or left by a crashed writer.
    pub temp_files: u64,
    pub temp_bytes: u64,
    /// Module index files (`<key>.widx`, see `index`).
    pub index_files: u64,
    /// Verification memos (`<hex>.fver`, see `verified`).
    pub memo_files: u64,
}

/// What [`Cache::clear`] removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cleared {
    pub files: u64,
    pub bytes: u64,
}

/// A cache directory.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
    warnings: bool,
}

impl Cache {
    /// Opens the cache in `dir`, creating it (and its parents) if needed.
    /// A directory it creates is private to the user (mode 0700).
    pub fn new(dir: impl Into<PathBuf>) -> io::Result<Cache> {
        let dir = dir.into();
        let mut b = fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(&dir).map_err(|e| io::Error::new(e.kind(), format!("cache directory {}: {e}", dir.display())))?;
        Ok(Cache { dir, warnings: true })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether rejected entries and failed writes are reported on stderr
    /// (default: yes, one line each).
    pub fn set_warnings(&mut self, on: bool) {
        self.warnings = on;
    }

    /// The file of the entry `key`.
    pub fn entry_path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(format!("{}.{EXTENSION}", key.to_hex()))
    }

    /// Where a verification of the artifact at `artifact` (an entry, or any
    /// other artifact file) is remembered for later processes.
    pub fn memo(&self, artifact: &Path) -> Memo {
        Memo::new(&self.dir, artifact)
    }

    /// The entry for `wasm_sha256` compiled by `current`, mapped and verified.
    /// `Ok(None)`: no entry. `Err`: an entry that must not be used.
    pub fn lookup(&self, current: &Fingerprint, wasm_sha256: &[u8; 32]) -> Result<Option<Mapped>, Rejection> {
        let path = self.entry_path(&CacheKey::new(current, wasm_sha256));
        file::open_verified(&path, current, Some(wasm_sha256), Some(&self.memo(&path)))
    }

    /// Stores `artifact` (atomically) as the entry for its wasm and fingerprint.
    pub fn insert(&self, artifact: &ArtifactRef<'_>) -> io::Result<PathBuf> {
        let path = self.entry_path(&CacheKey::new(artifact.fingerprint, &artifact.wasm_sha256));
        file::write_atomic(&path, artifact)?;
        Ok(path)
    }

    /// The cache's core, independent of how modules are compiled and loaded:
    /// looks the entry up and `load`s it; on a miss, or when the entry or
    /// `load` rejects it, `build`s the module and stores it.
    ///
    /// `load` gets a verified mapping; it may still refuse it (for example
    /// when the engine cannot make it executable), which counts as a
    /// rejected entry. Only `build`'s errors are errors: a cache that cannot
    /// be read or written costs time, never a run.
    pub fn load_or_build<T: Artifact, E>(
        &self,
        current: &Fingerprint,
        wasm_sha256: &[u8; 32],
        load: impl FnOnce(Mapped) -> Result<T, Rejection>,
        build: impl FnOnce() -> Result<T, E>,
    ) -> Result<(T, Outcome), E> {
        let path = self.entry_path(&CacheKey::new(current, wasm_sha256));
        let outcome = match file::open_verified(&path, current, Some(wasm_sha256), Some(&self.memo(&path)))
            .and_then(|m| m.map(load).transpose())
        {
            Ok(Some(module)) => return Ok((module, Outcome::Hit)),
            Ok(None) => Outcome::Miss,
            Err(reason) => {
                self.warn(format_args!("cache entry {} is unusable ({reason}); recompiling", path.display()));
                Outcome::Recovered(reason)
            }
        };
        let module = build()?;
        let stored = module.memory_image().and_then(|image| {
            self.insert(&ArtifactRef {
                fingerprint: current,
                wasm_sha256: *wasm_sha256,
                info: module.info(),
                compiled: module.compiled(),
                code: module.code(),
                traps: module.trap_table(),
                addresses: module.address_map(),
                image: image.as_ref().map(|(layout, bytes)| (*layout, bytes.as_slice())),
            })
        });
        if let Err(e) = stored {
            self.warn(format_args!("cannot store the compiled module in the cache ({}): {e}", path.display()));
        }
        Ok((module, outcome))
    }

    fn warn(&self, msg: std::fmt::Arguments<'_>) {
        if self.warnings {
            tracing::warn!("{msg}");
        }
    }

    /// Counts entries and temporary files; `current` classifies entries by
    /// their header (it does not verify checksums).
    pub fn stats(&self, current: &Fingerprint) -> io::Result<Stats> {
        let mut s = Stats::default();
        for (path, kind, len) in self.our_files()? {
            match kind {
                FileKind::Entry => {
                    s.entries += 1;
                    s.bytes += len;
                    if file::read_header(&path).is_ok_and(|h| h.fingerprint.same_build_and_cpu(current)) {
                        s.current += 1;
                    }
                }
                FileKind::Temp => {
                    s.temp_files += 1;
                    s.temp_bytes += len;
                }
                FileKind::Index => s.index_files += 1,
                FileKind::Memo => s.memo_files += 1,
            }
        }
        Ok(s)
    }

    /// Removes every entry and temporary file, and nothing else: the
    /// directory may be one the user also keeps other files in. A process
    /// still using an entry keeps its mapping.
    pub fn clear(&self) -> io::Result<Cleared> {
        let mut c = Cleared::default();
        for (path, _, len) in self.our_files()? {
            match fs::remove_file(&path) {
                Ok(()) => {
                    c.files += 1;
                    c.bytes += len;
                }
                // Another process cleared or published it meanwhile.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
            }
        }
        Ok(c)
    }

    /// The regular files of the directory that the cache made.
    fn our_files(&self) -> io::Result<Vec<(PathBuf, FileKind, u64)>> {
        let mut out = Vec::new();
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", self.dir.display()))),
        };
        for e in entries {
            let e = e?;
            let Some(kind) = classify(&e.file_name()) else {
                continue;
            };
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_file() {
                out.push((e.path(), kind, meta.len()));
            }
        }
        out.sort();
        Ok(out)
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum FileKind {
    Entry,
    Temp,
    Index,
    Memo,
}

/// `<64 hex>.fobj` is an entry, `<64 hex>.widx` an index file,
/// `<64 hex>.fver` a memo, and `.<any of these>.<pid>.<n>.tmp` a temporary
/// file.
fn classify(name: &OsString) -> Option<FileKind> {
    let name = name.to_str()?;
    let named = |n: &str, ext: &str| {
        n.strip_suffix(ext)
            .and_then(|n| n.strip_suffix('.'))
            .is_some_and(|h| h.len() == 64 && h.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')))
    };
    let is_entry = |n: &str| named(n, EXTENSION) || named(n, crate::index::INDEX_EXTENSION) || named(n, MEMO_EXTENSION);
    if named(name, EXTENSION) {
        return Some(FileKind::Entry);
    }
    if named(name, crate::index::INDEX_EXTENSION) {
        return Some(FileKind::Index);
    }
    if named(name, MEMO_EXTENSION) {
        return Some(FileKind::Memo);
    }
    let rest = name.strip_prefix('.')?.strip_suffix(TMP_SUFFIX)?;
    let mut parts = rest.rsplitn(3, '.');
    let (n, pid, entry) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    (digits(n) && digits(pid) && is_entry(entry)).then_some(FileKind::Temp)
}

/// The default cache directory: `$FAASM_ENGINE_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/faasm-engine`, else `~/.cache/faasm-engine`. `None` when
/// none of these is set.
pub fn default_dir() -> Option<PathBuf> {
    default_dir_from(|name| std::env::var_os(name))
}

fn default_dir_from(env: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let set = |name| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(d) = set("FAASM_ENGINE_CACHE_DIR") {
        return Some(d);
    }
    // The XDG spec says to ignore a relative XDG_CACHE_HOME.
    if let Some(d) = set("XDG_CACHE_HOME").filter(|d| d.is_absolute()) {
        return Some(d.join("faasm-engine"));
    }
    set("HOME").map(|h| h.join(".cache").join("faasm-engine"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_dir_precedence() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| OsString::from(v))
        };
        let all = env(&[("FAASM_ENGINE_CACHE_DIR", "/c"), ("XDG_CACHE_HOME", "/x"), ("HOME", "/h")]);
        assert_eq!(default_dir_from(all), Some(PathBuf::from("/c")));
        let xdg = env(&[("FAASM_ENGINE_CACHE_DIR", ""), ("XDG_CACHE_HOME", "/x"), ("HOME", "/h")]);
        assert_eq!(default_dir_from(xdg), Some(PathBuf::from("/x/faasm-engine")));
        let relative_xdg = env(&[("XDG_CACHE_HOME", "x"), ("HOME", "/h")]);
        assert_eq!(default_dir_from(relative_xdg), Some(PathBuf::from("/h/.cache/faasm-engine")));
        assert_eq!(default_dir_from(env(&[])), None);
    }

    #[test]
    fn file_names() {
        let key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let c = |s: String| classify(&OsString::from(s));
        assert_eq!(c(format!("{key}.fobj")), Some(FileKind::Entry));
        assert_eq!(c(format!(".{key}.fobj.123.0.tmp")), Some(FileKind::Temp));
        assert_eq!(c(format!("{key}.widx")), Some(FileKind::Index));
        assert_eq!(c(format!("{key}.fver")), Some(FileKind::Memo));
        assert_eq!(c(format!(".{key}.fver.9.1.tmp")), Some(FileKind::Temp));
        assert_eq!(c(format!("{key}.fver~")), None);
        assert_eq!(c(format!("{key}.fobj.bak")), None);
        assert_eq!(c(format!("{}.fobj", &key[1..])), None);
        assert_eq!(c(format!("{}.fobj", key.to_uppercase())), None);
        assert_eq!(c(format!(".{key}.fobj.x.0.tmp")), None);
        assert_eq!(c(".notes.fobj.1.0.tmp".to_string()), None);
        assert_eq!(c("python3.wasm".into()), None);
    }
}
