//! The per-instance WASI state: arguments, environment, the descriptor
//! table, and how an embedder builds it.
//!
//! A descriptor is a host file descriptor plus what the guest may do with it:
//! its WASI rights and the [`Access`] of the grant it descends from. A
//! directory opened below a read-only preopen stays read-only however the
//! guest reaches it, because the access travels with every descriptor
//! derived from it (see `path_open`).

use super::types::{fdflags, filetype, rights, Errno};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{FileType, Mode, OFlags};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a guest may do below a preopened directory.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read files, list directories, stat; nothing that changes the tree or
    /// file contents. Attempts get `Errno::Perm`.
    ReadOnly,
    ReadWrite,
}

/// Where a standard stream of the guest goes.
#[derive(Debug)]
pub enum Stdio {
    /// The host process's own stream (a duplicate of fd 0, 1 or 2).
    Inherit,
    /// `/dev/null`.
    Null,
    /// Any host descriptor (a file, a pipe, a socket).
    Fd(OwnedFd),
}

/// Why a [`WasiCtx`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot open directory {path:?} to preopen: {source}")]
    Preopen { path: PathBuf, source: std::io::Error },
    #[error("{path:?} is not a directory")]
    NotADirectory { path: PathBuf },
    #[error("preopen guest name {0:?} is empty or contains a NUL byte")]
    BadGuestName(String),
    #[error("argument {0:?} contains a NUL byte")]
    BadArg(String),
    #[error("environment entry {0:?}: names must be non-empty and contain no '=' or NUL, values no NUL")]
    BadEnv(String),
    #[error("cannot set up standard stream: {0}")]
    Stdio(std::io::Error),
}

/// Cached directory listing for `fd_readdir` (see `dir.rs`).
#[derive(Debug, Clone)]
pub(crate) struct DirListing {
    pub entries: Vec<super::dir::Entry>,
}

/// One open guest descriptor.
#[derive(Debug)]
pub(crate) struct Descriptor {
    pub fd: OwnedFd,
    pub filetype: u8,
    pub rights_base: u64,
    pub rights_inheriting: u64,
    pub access: Access,
    /// The guest-visible name if this is a preopened directory.
    pub preopen: Option<String>,
    /// Listing read by the last `fd_readdir` with cookie 0.
    pub listing: Option<DirListing>,
}

impl Descriptor {
    pub fn is_dir(&self) -> bool {
        self.filetype == filetype::DIRECTORY
    }

    /// Checks that the descriptor carries `needed` rights. Missing rights
    /// that stand for the access mode (reading; writing, truncating,
    /// preallocating) are `Badf`, the errno POSIX gives for using a
    /// descriptor not open for that (and wasmtime's); other missing rights
    /// are WASI's `NotCapable`.
    pub fn require(&self, needed: u64) -> Result<(), Errno> {
        let missing = needed & !self.rights_base;
        let access = rights::FD_READ | rights::FD_WRITE | rights::FD_FILESTAT_SET_SIZE | rights::FD_ALLOCATE;
        if missing == 0 {
            Ok(())
        } else if missing & access != 0 {
            Err(Errno::Badf)
        } else {
            Err(Errno::NotCapable)
        }
    }

    /// Fails with `Perm` if the descriptor descends from a read-only grant.
    pub fn require_writable_grant(&self) -> Result<(), Errno> {
        match self.access {
            Access::ReadWrite => Ok(()),
            Access::ReadOnly => Err(Errno::Perm),
        }
    }
}

/// Maps a host file type to the WASI `filetype`. FIFOs have no WASI type
/// and are `UNKNOWN`, as in wasmtime.
pub(crate) fn wasi_filetype(ft: FileType) -> u8 {
    match ft {
        FileType::RegularFile => filetype::REGULAR_FILE,
        FileType::Directory => filetype::DIRECTORY,
        FileType::Symlink => filetype::SYMBOLIC_LINK,
        FileType::CharacterDevice => filetype::CHARACTER_DEVICE,
        FileType::BlockDevice => filetype::BLOCK_DEVICE,
        FileType::Socket => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

/// Base rights a descriptor of this type can usefully carry.
pub(crate) fn rights_for(ft: u8) -> u64 {
    match ft {
        filetype::DIRECTORY => rights::DIRECTORY,
        filetype::SOCKET_STREAM | filetype::SOCKET_DGRAM => rights::SOCKET,
        _ => rights::FILE,
    }
}

/// The WASI state of one guest.
#[derive(Debug)]
pub struct WasiCtx {
    pub(crate) args: Vec<Vec<u8>>,
    pub(crate) env: Vec<Vec<u8>>,
    pub(crate) fds: BTreeMap<u32, Descriptor>,
    /// Wakes blocking calls when the guest's store is interrupted (see
    /// `interrupt.rs`); `None`: they block as the host call would.
    pub(crate) interrupt: Option<engine::InterruptHandle>,
}

/// Gives host-function rows access to the WASI state inside a larger
/// embedder state (the Faasm host interface will share the same state).
pub trait WasiView {
    fn wasi(&mut self) -> &mut WasiCtx;
}

impl WasiView for WasiCtx {
    fn wasi(&mut self) -> &mut WasiCtx {
        self
    }
}

impl WasiCtx {
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::default()
    }

    pub(crate) fn get(&self, fd: u32) -> Result<&Descriptor, Errno> {
        self.fds.get(&fd).ok_or(Errno::Badf)
    }

    pub(crate) fn get_mut(&mut self, fd: u32) -> Result<&mut Descriptor, Errno> {
        self.fds.get_mut(&fd).ok_or(Errno::Badf)
    }

    /// Installs a descriptor under the lowest free number, as POSIX does.
    pub(crate) fn insert(&mut self, d: Descriptor) -> Result<u32, Errno> {
        let mut n = 0u32;
        for &k in self.fds.keys() {
            if k != n {
                break;
            }
            n = n.checked_add(1).ok_or(Errno::Mfile)?;
        }
        // The guest's fd type is a signed 32-bit integer in C.
        if n > i32::MAX as u32 {
            return Err(Errno::Mfile);
        }
        self.fds.insert(n, d);
        Ok(n)
    }

    /// Lets a timeout cut short blocking calls (see
    /// [`WasiCtxBuilder::interrupt`]), for a context built before its store.
    pub fn set_interrupt(&mut self, handle: engine::InterruptHandle) {
        self.interrupt = Some(handle);
    }

    /// Number of open guest descriptors.
    pub fn open_descriptors(&self) -> usize {
        self.fds.len()
    }
}

/// Builds a [`WasiCtx`]: arguments, environment, standard streams and
/// preopened directories (which become descriptors 3, 4, ... in the order
/// they are added).
#[derive(Debug, Default)]
pub struct WasiCtxBuilder {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<Stdio>,
    stdout: Option<Stdio>,
    stderr: Option<Stdio>,
    preopens: Vec<(PathBuf, String, Access)>,
    interrupt: Option<engine::InterruptHandle>,
}

impl WasiCtxBuilder {
    /// Adds one argument (the first is the program name, `argv[0]`).
    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<I: IntoIterator<Item = T>, T: Into<String>>(mut self, it: I) -> Self {
        self.args.extend(it.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn stdin(mut self, s: Stdio) -> Self {
        self.stdin = Some(s);
        self
    }
    pub fn stdout(mut self, s: Stdio) -> Self {
        self.stdout = Some(s);
        self
    }
    pub fn stderr(mut self, s: Stdio) -> Self {
        self.stderr = Some(s);
        self
    }

    /// The host process's stdin, stdout and stderr.
    pub fn inherit_stdio(self) -> Self {
        self.stdin(Stdio::Inherit).stdout(Stdio::Inherit).stderr(Stdio::Inherit)
    }

    /// Lets a timeout cut short the guest's blocking calls (reads of
    /// streams, `poll_oneoff`): pass its store's `interrupt_handle()`.
    pub fn interrupt(mut self, handle: engine::InterruptHandle) -> Self {
        self.interrupt = Some(handle);
        self
    }

    /// Grants the guest the host directory `host` under the name `guest`.
    pub fn preopened_dir(mut self, host: impl AsRef<Path>, guest: impl Into<String>, access: Access) -> Self {
        self.preopens.push((host.as_ref().to_path_buf(), guest.into(), access));
        self
    }

    /// Standard streams default to `/dev/null`: a guest sees nothing of the
    /// host unless the embedder says so.
    pub fn build(self) -> Result<WasiCtx, BuildError> {
        let mut args = Vec::with_capacity(self.args.len());
        for a in self.args {
            if a.contains('\0') {
                return Err(BuildError::BadArg(a));
            }
            args.push(a.into_bytes());
        }
        let mut env = Vec::with_capacity(self.env.len());
        for (k, v) in self.env {
            if k.is_empty() || k.contains('=') || k.contains('\0') || v.contains('\0') {
                return Err(BuildError::BadEnv(format!("{k}={v}")));
            }
            env.push(format!("{k}={v}").into_bytes());
        }

        let mut ctx = WasiCtx { args, env, fds: BTreeMap::new(), interrupt: self.interrupt };
        for (i, s) in [self.stdin, self.stdout, self.stderr].into_iter().enumerate() {
            let d = stdio_descriptor(i as u32, s.unwrap_or(Stdio::Null)).map_err(BuildError::Stdio)?;
            ctx.fds.insert(i as u32, d);
        }
        for (host, guest, access) in self.preopens {
            if guest.is_empty() || guest.contains('\0') {
                return Err(BuildError::BadGuestName(guest));
            }
            let fd =
                rustix::fs::open(&host, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).map_err(|e| {
                    if e == rustix::io::Errno::NOTDIR {
                        BuildError::NotADirectory { path: host.clone() }
                    } else {
                        BuildError::Preopen { path: host.clone(), source: e.into() }
                    }
                })?;
            let d = Descriptor {
                fd,
                filetype: filetype::DIRECTORY,
                rights_base: rights::DIRECTORY,
                rights_inheriting: rights::ALL,
                access,
                preopen: Some(guest),
                listing: None,
            };
            // Cannot fail: fewer than 2^31 preopens fit in memory.
            ctx.insert(d).map_err(|e| BuildError::Stdio(std::io::Error::other(e.to_string())))?;
        }
        Ok(ctx)
    }
}

/// A descriptor for standard stream `n` (0, 1, 2). Its type and rights
/// follow what the host descriptor really is, so that wasi-libc's `isatty`
/// (character device without seek/tell rights) is true exactly for a
/// terminal.
fn stdio_descriptor(n: u32, s: Stdio) -> std::io::Result<Descriptor> {
    let fd: OwnedFd = match s {
        Stdio::Fd(fd) => fd,
        Stdio::Null => rustix::fs::open("/dev/null", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())?,
        // A duplicate, so that the guest closing its stdout closes only
        // its own copy. std's handles give the borrow without `unsafe`.
        Stdio::Inherit => match n {
            0 => std::io::stdin().as_fd().try_clone_to_owned(),
            1 => std::io::stdout().as_fd().try_clone_to_owned(),
            _ => std::io::stderr().as_fd().try_clone_to_owned(),
        }?,
    };
    let (ft, tty) = classify(fd.as_fd())?;
    let direction = if n == 0 { rights::FD_READ } else { rights::FD_WRITE };
    let mut base = direction | rights::FD_FDSTAT_SET_FLAGS | rights::FD_FILESTAT_GET | rights::POLL_FD_READWRITE;
    if ft == filetype::REGULAR_FILE || (ft == filetype::CHARACTER_DEVICE && !tty) {
        base |= rights::FD_SEEK | rights::FD_TELL;
    }
    if ft == filetype::REGULAR_FILE {
        base |= rights::FD_SYNC | rights::FD_DATASYNC | rights::FD_ADVISE;
    }
    Ok(Descriptor {
        fd,
        filetype: ft,
        rights_base: base,
        rights_inheriting: 0,
        access: Access::ReadWrite,
        preopen: None,
        listing: None,
    })
}

fn classify(fd: BorrowedFd<'_>) -> std::io::Result<(u8, bool)> {
    let st = rustix::fs::fstat(fd)?;
    let ft = wasi_filetype(FileType::from_raw_mode(st.st_mode));
    Ok((ft, rustix::termios::isatty(fd)))
}

/// Descriptor flags as WASI reports them, read back from the host so that
/// they are always the truth.
pub(crate) fn host_fdflags(fd: BorrowedFd<'_>) -> Result<u16, Errno> {
    let fl = rustix::fs::fcntl_getfl(fd)?;
    let mut out = 0;
    if fl.contains(OFlags::APPEND) {
        out |= fdflags::APPEND;
    }
    if fl.contains(OFlags::NONBLOCK) {
        out |= fdflags::NONBLOCK;
    }
    // O_SYNC includes the O_DSYNC bit on Linux.
    if fl.contains(OFlags::SYNC) {
        out |= fdflags::SYNC;
    } else if fl.contains(OFlags::DSYNC) {
        out |= fdflags::DSYNC;
    }
    // O_RSYNC has the value of O_SYNC on Linux, so RSYNC is never
    // reported separately.
    Ok(out)
}
