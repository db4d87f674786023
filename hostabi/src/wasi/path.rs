//! The `path_*` calls: everything that names a file by a path relative to
//! a directory descriptor.
//!
//! Each call resolves its path with [`sandbox::resolve`] (which keeps it
//! inside the directory) and then makes exactly one "no follow" `*at`
//! system call on the returned parent descriptor and single name, so the
//! kernel never walks a multi-component path or follows a symlink on the
//! guest's behalf.

use super::ctx::{rights_for, wasi_filetype, Access, Descriptor, WasiCtx};
use super::fd::{filestat_bytes, timestamps};
use super::sandbox::{resolve, Resolved};
use super::types::{fdflags, layout, lookupflags, oflags, rights, Errno};
use crate::memory::GuestMemory;
use rustix::fd::AsFd;
use rustix::fs::{AtFlags, FileType, Mode, OFlags};

/// The directory descriptor a path call works from: it must exist, be a
/// directory and carry `needed`.
fn dir_of(ctx: &WasiCtx, fd: u32, needed: u64) -> Result<&Descriptor, Errno> {
    let d = ctx.get(fd)?;
    if !d.is_dir() {
        return Err(Errno::NotDir);
    }
    d.require(needed)?;
    Ok(d)
}

/// As [`dir_of`], for a call that changes the tree: the directory must
/// also belong to a writable grant.
fn writable_dir_of(ctx: &WasiCtx, fd: u32, needed: u64) -> Result<&Descriptor, Errno> {
    let d = dir_of(ctx, fd, needed)?;
    d.require_writable_grant()?;
    Ok(d)
}

/// The source and target directories of `path_link`/`path_rename`, each
/// `(fd, needed rights)`. Both grants must be writable: a hard link made in
/// a writable grant to a file of a read-only grant would make that file
/// writable, and a rename changes both directories.
fn writable_pair(ctx: &WasiCtx, old: (u32, u64), new: (u32, u64)) -> Result<(&Descriptor, &Descriptor), Errno> {
    let o = dir_of(ctx, old.0, old.1)?;
    let n = dir_of(ctx, new.0, new.1)?;
    o.require_writable_grant()?;
    n.require_writable_grant()?;
    Ok((o, n))
}

/// The guest path at `path`/`len` resolved below `dir` (see [`resolve`]).
fn resolve_arg<'d>(
    dir: &'d Descriptor,
    mem: &GuestMemory<'_>,
    path: u32,
    len: u32,
    follow_final: bool,
) -> Result<Resolved<'d>, Errno> {
    resolve(dir.fd.as_fd(), mem.read_str(path, len)?, follow_final)
}

fn follow(flags: u32) -> Result<bool, Errno> {
    if flags & !lookupflags::SYMLINK_FOLLOW != 0 {
        return Err(Errno::Inval);
    }
    Ok(flags & lookupflags::SYMLINK_FOLLOW != 0)
}

fn lstat(r: &Resolved<'_>) -> Result<rustix::fs::Stat, Errno> {
    Ok(rustix::fs::statat(&r.dir, r.name(), AtFlags::SYMLINK_NOFOLLOW)?)
}

fn is_dir(st: &rustix::fs::Stat) -> bool {
    FileType::from_raw_mode(st.st_mode as _) == FileType::Directory
}

#[allow(clippy::too_many_arguments)]
pub fn path_open(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    dirfd: u32,
    dirflags: u32,
    path: u32,
    path_len: u32,
    oflags_raw: u32,
    rights_base: u64,
    rights_inheriting: u64,
    fdflags_raw: u32,
    out: u32,
) -> Result<(), Errno> {
    let d = dir_of(ctx, dirfd, rights::PATH_OPEN)?;
    let of = u16::try_from(oflags_raw).ok().filter(|f| f & !oflags::ALL == 0).ok_or(Errno::Inval)?;
    let ff = u16::try_from(fdflags_raw).ok().filter(|f| f & !fdflags::ALL == 0).ok_or(Errno::Inval)?;
    let creat = of & oflags::CREAT != 0;
    let excl = of & oflags::EXCL != 0;
    let trunc = of & oflags::TRUNC != 0;
    let directory = of & oflags::DIRECTORY != 0;
    if creat {
        d.require(rights::PATH_CREATE_FILE)?;
    }
    if trunc {
        d.require(rights::PATH_FILESTAT_SET_SIZE)?;
    }
    if creat && directory {
        return Err(Errno::Inval);
    }
    // wasi-libc asks for FD_READ for O_RDONLY/O_RDWR and FD_WRITE for
    // O_WRONLY/O_RDWR; the host descriptor gets the same access mode.
    let read = rights_base & (rights::FD_READ | rights::FD_READDIR) != 0;
    let write = rights_base & rights::FD_WRITE != 0;
    if d.access == Access::ReadOnly && (creat || trunc || write || ff & fdflags::APPEND != 0) {
        return Err(Errno::Perm);
    }
    mem.check(out, 4)?;
    let p = mem.read_str(path, path_len)?;
    // POSIX: O_CREAT|O_EXCL never follows a final symlink.
    let r = resolve(d.fd.as_fd(), p, follow(dirflags)? && !(creat && excl))?;

    let mut flags = OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NOFOLLOW;
    flags |= match (read, write) {
        (_, false) => OFlags::RDONLY,
        (false, true) => OFlags::WRONLY,
        (true, true) => OFlags::RDWR,
    };
    if directory || r.must_be_dir {
        flags |= OFlags::DIRECTORY;
    }
    if creat {
        flags |= OFlags::CREATE;
    }
    if excl {
        flags |= OFlags::EXCL;
    }
    if trunc {
        flags |= OFlags::TRUNC;
    }
    if ff & fdflags::APPEND != 0 {
        flags |= OFlags::APPEND;
    }
    if ff & fdflags::NONBLOCK != 0 {
        flags |= OFlags::NONBLOCK;
    }
    if ff & fdflags::SYNC != 0 {
        flags |= OFlags::SYNC;
    }
    if ff & fdflags::DSYNC != 0 {
        flags |= OFlags::DSYNC;
    }
    if ff & fdflags::RSYNC != 0 {
        flags |= OFlags::RSYNC;
    }
    let fd = loop {
        match rustix::fs::openat(&r.dir, r.name(), flags, Mode::from_raw_mode(0o666)) {
            Err(e) if e == rustix::io::Errno::INTR => continue,
            other => break other?,
        }
    };
    let st = rustix::fs::fstat(&fd)?;
    let ft = wasi_filetype(FileType::from_raw_mode(st.st_mode as _));
    let new = Descriptor {
        fd,
        filetype: ft,
        rights_base: rights_base & d.rights_inheriting & rights_for(ft),
        rights_inheriting: rights_inheriting & d.rights_inheriting,
        access: d.access,
        preopen: None,
        listing: None,
    };
    drop(r);
    let n = ctx.insert(new)?;
    mem.write_u32(out, n)
}

pub fn path_create_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let d = writable_dir_of(ctx, fd, rights::PATH_CREATE_DIRECTORY)?;
    let r = resolve_arg(d, mem, path, path_len, false)?;
    Ok(rustix::fs::mkdirat(&r.dir, r.name(), Mode::from_raw_mode(0o777))?)
}

pub fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    out: u32,
) -> Result<(), Errno> {
    let d = dir_of(ctx, fd, rights::PATH_FILESTAT_GET)?;
    mem.check(out, layout::FILESTAT_SIZE)?;
    let r = resolve_arg(d, mem, path, path_len, follow(flags)?)?;
    let st = lstat(&r)?;
    if r.must_be_dir && !is_dir(&st) {
        return Err(Errno::NotDir);
    }
    mem.write_bytes(out, &filestat_bytes(&st))
}

#[allow(clippy::too_many_arguments)]
pub fn path_filestat_set_times(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    atim: u64,
    mtim: u64,
    fst: u32,
) -> Result<(), Errno> {
    let d = dir_of(ctx, fd, rights::PATH_FILESTAT_SET_TIMES)?;
    let ts = timestamps(atim, mtim, fst)?;
    d.require_writable_grant()?;
    let r = resolve_arg(d, mem, path, path_len, follow(flags)?)?;
    if r.must_be_dir && !is_dir(&lstat(&r)?) {
        return Err(Errno::NotDir);
    }
    Ok(rustix::fs::utimensat(&r.dir, r.name(), &ts, AtFlags::SYMLINK_NOFOLLOW)?)
}

#[allow(clippy::too_many_arguments)]
pub fn path_link(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_fd: u32,
    old_flags: u32,
    old_path: u32,
    old_len: u32,
    new_fd: u32,
    new_path: u32,
    new_len: u32,
) -> Result<(), Errno> {
    let (old, new) = writable_pair(ctx, (old_fd, rights::PATH_LINK_SOURCE), (new_fd, rights::PATH_LINK_TARGET))?;
    let ro = resolve_arg(old, mem, old_path, old_len, follow(old_flags)?)?;
    let rn = resolve_arg(new, mem, new_path, new_len, false)?;
    if ro.must_be_dir || rn.must_be_dir {
        // Directories cannot be hard-linked; say which error applies.
        let st = lstat(&ro)?;
        return Err(if is_dir(&st) { Errno::Perm } else { Errno::NotDir });
    }
    Ok(rustix::fs::linkat(&ro.dir, ro.name(), &rn.dir, rn.name(), AtFlags::empty())?)
}

#[allow(clippy::too_many_arguments)]
pub fn path_readlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
    buf: u32,
    buf_len: u32,
    bufused: u32,
) -> Result<(), Errno> {
    let d = dir_of(ctx, fd, rights::PATH_READLINK)?;
    mem.check(buf, buf_len)?;
    mem.check(bufused, 4)?;
    let r = resolve_arg(d, mem, path, path_len, false)?;
    if r.must_be_dir {
        // "link/" names the directory the link points to, not the link.
        return Err(Errno::Inval);
    }
    let target = rustix::fs::readlinkat(&r.dir, r.name(), Vec::new())?.into_bytes();
    // Like readlink(2), a short buffer gets a truncated target.
    let n = target.len().min(buf_len as usize);
    mem.write_bytes(buf, &target[..n])?;
    mem.write_u32(bufused, n as u32)
}

pub fn path_remove_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let d = writable_dir_of(ctx, fd, rights::PATH_REMOVE_DIRECTORY)?;
    let r = resolve_arg(d, mem, path, path_len, false)?;
    Ok(rustix::fs::unlinkat(&r.dir, r.name(), AtFlags::REMOVEDIR)?)
}

#[allow(clippy::too_many_arguments)]
pub fn path_rename(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_fd: u32,
    old_path: u32,
    old_len: u32,
    new_fd: u32,
    new_path: u32,
    new_len: u32,
) -> Result<(), Errno> {
    let (old, new) = writable_pair(ctx, (old_fd, rights::PATH_RENAME_SOURCE), (new_fd, rights::PATH_RENAME_TARGET))?;
    let ro = resolve_arg(old, mem, old_path, old_len, false)?;
    let rn = resolve_arg(new, mem, new_path, new_len, false)?;
    if (ro.must_be_dir || rn.must_be_dir) && !is_dir(&lstat(&ro)?) {
        return Err(Errno::NotDir);
    }
    Ok(rustix::fs::renameat(&ro.dir, ro.name(), &rn.dir, rn.name())?)
}

pub fn path_symlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_path: u32,
    old_len: u32,
    fd: u32,
    new_path: u32,
    new_len: u32,
) -> Result<(), Errno> {
    let d = writable_dir_of(ctx, fd, rights::PATH_SYMLINK)?;
    let target = mem.read_str(old_path, old_len)?;
    if target.contains('\0') {
        return Err(Errno::Inval);
    }
    // An absolute target can never be followed inside the sandbox; refuse
    // to plant one for host programs that would follow it.
    if target.starts_with('/') {
        return Err(Errno::NotCapable);
    }
    let r = resolve_arg(d, mem, new_path, new_len, false)?;
    Ok(rustix::fs::symlinkat(target, &r.dir, r.name())?)
}

pub fn path_unlink_file(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, path: u32, path_len: u32) -> Result<(), Errno> {
    let d = writable_dir_of(ctx, fd, rights::PATH_UNLINK_FILE)?;
    let r = resolve_arg(d, mem, path, path_len, false)?;
    if r.must_be_dir {
        let st = lstat(&r)?;
        return Err(if is_dir(&st) { Errno::IsDir } else { Errno::NotDir });
    }
    Ok(rustix::fs::unlinkat(&r.dir, r.name(), AtFlags::empty())?)
}
