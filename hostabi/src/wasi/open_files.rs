//! The WASI state a snapshot keeps: which descriptors the guest had open
//! when its initialisation ended, so that a restored instance finds them
//! again — same numbers, same files, same offsets and flags.
//!
//! A descriptor is kept by *where it is* below a preopened directory, not
//! by its host descriptor (which dies with the process that took the
//! snapshot): on restore it is opened again through the restoring
//! context's own preopen of the same guest name, with the sandbox's path
//! resolution, so a snapshot can never reach more than the restoring
//! context grants. The standard streams and the preopens themselves come
//! from the restoring context (a restored program writes to today's
//! stdout); arguments and environment are the restoring context's too.
//! Pipes, sockets and files that cannot be found again under a preopen
//! cannot be kept: capturing them fails with a message.

use super::ctx::{Descriptor, WasiCtx};
use super::sandbox::resolve;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{Mode, OFlags};
use std::path::{Path, PathBuf};

/// One descriptor open at snapshot time (not a standard stream or preopen).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OpenFile {
    pub fd: u32,
    /// The guest name of the preopen it lies under, and its path there.
    pub preopen: String,
    pub path: String,
    pub filetype: u8,
    pub rights_base: u64,
    pub rights_inheriting: u64,
    /// Host open flags worth keeping: access mode, O_APPEND, O_NONBLOCK.
    pub flags: u32,
    pub offset: u64,
}

/// The descriptor table of a snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WasiState {
    /// (fd, guest name) of each preopen, which the restoring context must
    /// have at the same numbers.
    pub preopens: Vec<(u32, String)>,
    pub files: Vec<OpenFile>,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("descriptor {fd} ({what}) cannot be kept in a snapshot")]
    Unkeepable { fd: u32, what: String },
    #[error("the snapshot was taken with preopen {name:?} as descriptor {fd}; the restoring program {found}")]
    Preopen { fd: u32, name: String, found: String },
    #[error("cannot open {path:?} under {preopen:?} again for descriptor {fd}: {reason}")]
    Reopen { fd: u32, preopen: String, path: String, reason: String },
    #[error("descriptor {fd} is already open in the restoring program")]
    Taken { fd: u32 },
}

/// The host path a descriptor is open on (Linux's /proc/self/fd).
fn host_path(fd: BorrowedFd<'_>) -> Option<PathBuf> {
    use std::os::fd::AsRawFd;
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok()
}

impl WasiCtx {
    /// What [`WasiCtx::restore_state`] needs to reopen every descriptor
    /// beyond the standard streams and preopens.
    pub fn capture_state(&self) -> Result<WasiState, SnapshotError> {
        let mut state = WasiState::default();
        let mut roots: Vec<(PathBuf, String)> = Vec::new();
        for (&fd, d) in &self.fds {
            if let Some(name) = &d.preopen {
                state.preopens.push((fd, name.clone()));
                if let Some(p) = host_path(d.fd.as_fd()) {
                    roots.push((p, name.clone()));
                }
            }
        }
        for (&fd, d) in &self.fds {
            if fd <= 2 || d.preopen.is_some() {
                continue;
            }
            let unkeepable = |what: String| SnapshotError::Unkeepable { fd, what };
            let path = host_path(d.fd.as_fd()).ok_or_else(|| unkeepable("its path is unknown".into()))?;
            // The innermost preopen holding the path.
            let (root, name) = roots
                .iter()
                .filter(|(r, _)| path.starts_with(r))
                .max_by_key(|(r, _)| r.as_os_str().len())
                .ok_or_else(|| unkeepable(format!("{} is under no preopened directory", path.display())))?;
            let rel = path.strip_prefix(root).unwrap_or(Path::new(""));
            let rel = rel.to_str().ok_or_else(|| unkeepable(format!("{} is not UTF-8", path.display())))?;
            let flags = rustix::fs::fcntl_getfl(&d.fd).map_err(|e| unkeepable(format!("fcntl: {e}")))?;
            let keep = OFlags::RWMODE | OFlags::APPEND | OFlags::NONBLOCK;
            let offset = if d.is_dir() { 0 } else { rustix::fs::tell(&d.fd).unwrap_or(0) };
            state.files.push(OpenFile {
                fd,
                preopen: name.clone(),
                path: if rel.is_empty() { ".".into() } else { rel.to_owned() },
                filetype: d.filetype,
                rights_base: d.rights_base,
                rights_inheriting: d.rights_inheriting,
                flags: (flags & keep).bits(),
                offset,
            });
        }
        Ok(state)
    }

    /// Opens again, at their numbers, the descriptors of `state` in this
    /// (freshly built) context. Nothing is changed if any of it fails.
    pub fn restore_state(&mut self, state: &WasiState) -> Result<(), SnapshotError> {
        for (fd, name) in &state.preopens {
            let found = match self.fds.get(fd) {
                Some(d) if d.preopen.as_deref() == Some(name.as_str()) => continue,
                Some(d) => match &d.preopen {
                    Some(other) => format!("has {other:?} there"),
                    None => "has another descriptor there".to_owned(),
                },
                None => "has none there".to_owned(),
            };
            return Err(SnapshotError::Preopen { fd: *fd, name: name.clone(), found });
        }
        let mut opened = Vec::with_capacity(state.files.len());
        for f in &state.files {
            if self.fds.contains_key(&f.fd) || opened.iter().any(|(n, _)| *n == f.fd) {
                return Err(SnapshotError::Taken { fd: f.fd });
            }
            let reopen =
                |reason: String| SnapshotError::Reopen { fd: f.fd, preopen: f.preopen.clone(), path: f.path.clone(), reason };
            let root = state
                .preopens
                .iter()
                .find(|(_, n)| *n == f.preopen)
                .and_then(|(fd, _)| self.fds.get(fd))
                .ok_or_else(|| reopen("no such preopen".into()))?;
            let access = root.access;
            let dir = root.fd.as_fd();
            let fd = if f.path == "." {
                rustix::io::fcntl_dupfd_cloexec(dir, 0).map_err(|e| reopen(e.to_string()))?
            } else {
                let r = resolve(dir, &f.path, true).map_err(|e| reopen(super::describe_errno(e)))?;
                let keep = OFlags::from_bits_retain(f.flags);
                let flags = keep | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NOFOLLOW;
                rustix::fs::openat(&r.dir, r.name(), flags, Mode::empty()).map_err(|e| reopen(e.to_string()))?
            };
            if f.offset != 0 {
                rustix::fs::seek(&fd, rustix::fs::SeekFrom::Start(f.offset)).map_err(|e| reopen(e.to_string()))?;
            }
            opened.push((
                f.fd,
                Descriptor {
                    fd,
                    filetype: f.filetype,
                    rights_base: f.rights_base,
                    rights_inheriting: f.rights_inheriting,
                    access,
                    preopen: None,
                    listing: None,
                },
            ));
        }
        self.fds.extend(opened);
        Ok(())
    }
}
