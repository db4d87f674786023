//! The `fd_*` calls: I/O, seeking, metadata and the descriptor table
//! itself (close, renumber, preopen queries).
//!
//! Every call checks, in this order: the descriptor exists (`Badf`), it
//! carries the rights the call needs, every guest range is inside linear
//! memory (`Fault`, before any side effect), and for calls that modify the
//! file system, that the descriptor's grant is writable (`Perm`).

use super::ctx::{host_fdflags, wasi_filetype, Descriptor, WasiCtx};
use super::types::{advice, fdflags, filetype, fstflags, layout, rights, whence, Errno, PREOPENTYPE_DIR};
use crate::memory::GuestMemory;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{FileType, OFlags, Stat, Timespec, Timestamps};
use rustix::io::{IoSlice, IoSliceMut};

/// Linux refuses more iovecs than this in one call; a guest that passes
/// more gets a short transfer of the first `IOV_MAX`, which is a valid
/// outcome of `readv`/`writev`.
const IOV_MAX: usize = 1024;

/// Bounce-buffer size when a guest's read iovecs overlap each other (a
/// short read is a valid outcome, and it bounds what a guest can make the
/// host allocate).
const BOUNCE_MAX: usize = 64 * 1024;

fn retry<T>(mut f: impl FnMut() -> rustix::io::Result<T>) -> Result<T, Errno> {
    loop {
        match f() {
            Err(e) if e == rustix::io::Errno::INTR => continue,
            r => return r.map_err(Errno::from),
        }
    }
}

/// Reads from `fd` (at `offset` if given) into the guest buffers described
/// by the iovec array, straight into linear memory when the buffers are
/// disjoint (the normal case).
pub(crate) fn read_vectored(
    fd: BorrowedFd<'_>,
    mem: &mut GuestMemory<'_>,
    iovs_ptr: u32,
    iovs_len: u32,
    offset: Option<u64>,
) -> Result<usize, Errno> {
    let mut iovs = mem.read_iovecs(iovs_ptr, iovs_len)?;
    iovs.truncate(IOV_MAX);
    if let Some(mut bufs) = mem.disjoint_slices_mut(&iovs)? {
        let mut io: Vec<IoSliceMut<'_>> = bufs.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        return retry(|| match offset {
            None => rustix::io::readv(fd, &mut io),
            Some(o) => rustix::io::preadv(fd, &mut io, o),
        });
    }
    let total: usize = iovs.iter().map(|&(_, l)| l as usize).sum();
    let mut tmp = vec![0u8; total.min(BOUNCE_MAX)];
    let n = retry(|| match offset {
        None => rustix::io::read(fd, &mut tmp[..]),
        Some(o) => rustix::io::pread(fd, &mut tmp[..], o),
    })?;
    let mut data = tmp.get(..n).unwrap_or(&[]);
    for (ptr, len) in iovs {
        if data.is_empty() {
            break;
        }
        let k = data.len().min(len as usize);
        mem.write_bytes(ptr, &data[..k])?;
        data = &data[k..];
    }
    Ok(n)
}

/// Writes the guest buffers described by the iovec array to `fd`.
pub(crate) fn write_vectored(
    fd: BorrowedFd<'_>,
    mem: &GuestMemory<'_>,
    iovs_ptr: u32,
    iovs_len: u32,
    offset: Option<u64>,
) -> Result<usize, Errno> {
    let mut iovs = mem.read_iovecs(iovs_ptr, iovs_len)?;
    iovs.truncate(IOV_MAX);
    let bufs = mem.slices(&iovs)?;
    let io: Vec<IoSlice<'_>> = bufs.iter().map(|b| IoSlice::new(b)).collect();
    retry(|| match offset {
        None => rustix::io::writev(fd, &io),
        Some(o) => rustix::io::pwritev(fd, &io, o),
    })
}

fn out_size(n: usize) -> Result<u32, Errno> {
    u32::try_from(n).map_err(|_| Errno::Overflow)
}

/// The descriptor `fd` for a transfer needing `right`, plus `FD_SEEK` when
/// positioned (`offset` is `Some`), with the guest's 4-byte count at `out`
/// checked before any byte moves.
fn transfer_descriptor<'c>(
    ctx: &'c WasiCtx,
    mem: &GuestMemory<'_>,
    fd: u32,
    right: u64,
    offset: Option<u64>,
    out: u32,
) -> Result<&'c Descriptor, Errno> {
    let d = ctx.get(fd)?;
    let seek = if offset.is_some() { rights::FD_SEEK } else { 0 };
    d.require(right | seek)?;
    mem.check(out, 4)?;
    Ok(d)
}

/// `fd_read` and `fd_pread`: `offset` is `Some` for a positioned read,
/// which also needs `FD_SEEK`.
fn read_common(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: Option<u64>,
    nread: u32,
) -> Result<(), Errno> {
    let interrupt = ctx.interrupt.clone();
    let d = transfer_descriptor(ctx, mem, fd, rights::FD_READ, offset, nread)?;
    // A stream read may block indefinitely; with an interrupt handle, wait
    // for data first so that a timeout can end the wait. A non-blocking
    // descriptor never waits (its read answers `Again` at once).
    if let Some(h) = &interrupt {
        let stream = d.filetype != filetype::REGULAR_FILE && !d.is_dir();
        if stream && host_fdflags(d.fd.as_fd())? & fdflags::NONBLOCK == 0 {
            super::interrupt::wait_readable(h, d.fd.as_fd())?;
        }
    }
    let n = read_vectored(d.fd.as_fd(), mem, iovs, iovs_len, offset)?;
    mem.write_u32(nread, out_size(n)?)
}

/// `fd_write` and `fd_pwrite`: `offset` is `Some` for a positioned write,
/// which also needs `FD_SEEK`.
fn write_common(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: Option<u64>,
    nwritten: u32,
) -> Result<(), Errno> {
    let d = transfer_descriptor(ctx, mem, fd, rights::FD_WRITE, offset, nwritten)?;
    // Linux's pwrite ignores the offset on an O_APPEND descriptor and
    // appends; refuse instead of writing somewhere the guest did not ask.
    if offset.is_some() && host_fdflags(d.fd.as_fd())? & fdflags::APPEND != 0 {
        return Err(Errno::NotSup);
    }
    let n = write_vectored(d.fd.as_fd(), mem, iovs, iovs_len, offset)?;
    mem.write_u32(nwritten, out_size(n)?)
}

pub fn fd_read(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, iovs: u32, iovs_len: u32, nread: u32) -> Result<(), Errno> {
    read_common(ctx, mem, fd, iovs, iovs_len, None, nread)
}

pub fn fd_pread(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nread: u32,
) -> Result<(), Errno> {
    read_common(ctx, mem, fd, iovs, iovs_len, Some(offset), nread)
}

pub fn fd_write(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nwritten: u32,
) -> Result<(), Errno> {
    write_common(ctx, mem, fd, iovs, iovs_len, None, nwritten)
}

pub fn fd_pwrite(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nwritten: u32,
) -> Result<(), Errno> {
    write_common(ctx, mem, fd, iovs, iovs_len, Some(offset), nwritten)
}

/// Seeking needs `FD_SEEK` (or just `FD_TELL` to ask the position). A
/// stream without those rights (a terminal) answers `Spipe`, the error a
/// native program gets from `lseek` on one.
fn require_seek(d: &Descriptor, needed: u64) -> Result<(), Errno> {
    if d.rights_base & needed == needed {
        Ok(())
    } else if d.is_dir() {
        Err(Errno::Badf)
    } else {
        Err(Errno::Spipe)
    }
}

pub fn fd_seek(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, offset: u64, wh: u32, newoffset: u32) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    let offset = offset as i64;
    let needed = if wh == whence::CUR && offset == 0 { rights::FD_TELL } else { rights::FD_SEEK };
    require_seek(d, needed)?;
    mem.check(newoffset, 8)?;
    let pos = match wh {
        whence::SET => rustix::fs::SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
        whence::CUR => rustix::fs::SeekFrom::Current(offset),
        whence::END => rustix::fs::SeekFrom::End(offset),
        _ => return Err(Errno::Inval),
    };
    let n = retry(|| rustix::fs::seek(d.fd.as_fd(), pos))?;
    mem.write_u64(newoffset, n)
}

pub fn fd_tell(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    require_seek(d, rights::FD_TELL)?;
    mem.check(out, 8)?;
    let n = retry(|| rustix::fs::tell(d.fd.as_fd()))?;
    mem.write_u64(out, n)
}

pub fn fd_close(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> Result<(), Errno> {
    // Dropping the OwnedFd closes the host descriptor; close(2) errors are
    // not reportable after the fact on Linux (the descriptor is gone).
    ctx.fds.remove(&fd).map(drop).ok_or(Errno::Badf)
}

pub fn fd_renumber(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, from: u32, to: u32) -> Result<(), Errno> {
    if !ctx.fds.contains_key(&from) || !ctx.fds.contains_key(&to) {
        return Err(Errno::Badf);
    }
    if from == to {
        return Ok(());
    }
    let d = ctx.fds.remove(&from).ok_or(Errno::Badf)?;
    // Replaces (and closes) whatever `to` was.
    ctx.fds.insert(to, d);
    Ok(())
}

pub fn fd_sync(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    d.require(rights::FD_SYNC)?;
    retry(|| rustix::fs::fsync(d.fd.as_fd()))
}

pub fn fd_datasync(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    // The right to sync everything includes syncing the data: wasi-libc
    // asks FD_SYNC but not FD_DATASYNC for read-only opens, and a native
    // fdatasync works on those.
    if d.rights_base & rights::FD_SYNC == 0 {
        d.require(rights::FD_DATASYNC)?;
    }
    retry(|| rustix::fs::fdatasync(d.fd.as_fd()))
}

pub fn fd_advise(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, offset: u64, len: u64, adv: u32) -> Result<(), Errno> {
    use rustix::fs::Advice;
    let d = ctx.get(fd)?;
    d.require(rights::FD_ADVISE)?;
    let a = match adv {
        advice::NORMAL => Advice::Normal,
        advice::SEQUENTIAL => Advice::Sequential,
        advice::RANDOM => Advice::Random,
        advice::WILLNEED => Advice::WillNeed,
        advice::DONTNEED => Advice::DontNeed,
        advice::NOREUSE => Advice::NoReuse,
        _ => return Err(Errno::Inval),
    };
    if d.is_dir() {
        return Err(Errno::Badf);
    }
    // posix_fadvise takes signed offsets; larger ones are invalid natively
    // too.
    if i64::try_from(offset).is_err() || i64::try_from(len).is_err() {
        return Err(Errno::Inval);
    }
    retry(|| rustix::fs::fadvise(d.fd.as_fd(), offset, std::num::NonZeroU64::new(len), a))
}

pub fn fd_allocate(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, offset: u64, len: u64) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    d.require(rights::FD_ALLOCATE)?;
    d.require_writable_grant()?;
    if d.is_dir() {
        return Err(Errno::Badf);
    }
    let end = offset.checked_add(len).filter(|&e| i64::try_from(e).is_ok()).ok_or(Errno::Fbig)?;
    if len == 0 {
        return Err(Errno::Inval);
    }
    match retry(|| rustix::fs::fallocate(d.fd.as_fd(), rustix::fs::FallocateFlags::empty(), offset, len)) {
        // Some file systems cannot reserve blocks; posix_fallocate's
        // guarantee that later writes up to `end` succeed is then
        // approximated by extending the file, as glibc does.
        Err(Errno::NotSup) => {
            let st = rustix::fs::fstat(d.fd.as_fd())?;
            if (st.st_size as u64) < end {
                retry(|| rustix::fs::ftruncate(d.fd.as_fd(), end))?;
            }
            Ok(())
        }
        r => r,
    }
}

pub fn fd_fdstat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    mem.check(out, layout::FDSTAT_SIZE)?;
    let flags = host_fdflags(d.fd.as_fd())?;
    let mut b = [0u8; layout::FDSTAT_SIZE as usize];
    b[layout::FDSTAT_FILETYPE as usize] = d.filetype;
    put(&mut b, layout::FDSTAT_FLAGS, &flags.to_le_bytes());
    put(&mut b, layout::FDSTAT_RIGHTS_BASE, &d.rights_base.to_le_bytes());
    put(&mut b, layout::FDSTAT_RIGHTS_INHERITING, &d.rights_inheriting.to_le_bytes());
    mem.write_bytes(out, &b)
}

fn put(buf: &mut [u8], at: u32, bytes: &[u8]) {
    let at = at as usize;
    if let Some(dst) = buf.get_mut(at..at + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}

pub fn fd_fdstat_set_flags(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, flags: u32) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    d.require(rights::FD_FDSTAT_SET_FLAGS)?;
    let flags = u16::try_from(flags).ok().filter(|f| f & !fdflags::ALL == 0).ok_or(Errno::Inval)?;
    let cur = host_fdflags(d.fd.as_fd())?;
    // Linux cannot change the synchronisation flags of an open file
    // (F_SETFL ignores them): refuse rather than pretend.
    let sync = fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC;
    let sync_now = cur & sync;
    let sync_wanted = flags & sync;
    let equivalent = sync_now == sync_wanted || (sync_now == fdflags::SYNC && sync_wanted & fdflags::SYNC != 0);
    if !equivalent {
        return Err(Errno::NotSup);
    }
    let mut fl = rustix::fs::fcntl_getfl(d.fd.as_fd())?;
    fl.set(OFlags::APPEND, flags & fdflags::APPEND != 0);
    fl.set(OFlags::NONBLOCK, flags & fdflags::NONBLOCK != 0);
    rustix::fs::fcntl_setfl(d.fd.as_fd(), fl)?;
    Ok(())
}

pub fn fd_fdstat_set_rights(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> Result<(), Errno> {
    let d = ctx.get_mut(fd)?;
    // Rights can only be dropped, never gained.
    if base & !d.rights_base != 0 || inheriting & !d.rights_inheriting != 0 {
        return Err(Errno::NotCapable);
    }
    d.rights_base = base;
    d.rights_inheriting = inheriting;
    Ok(())
}

/// Nanoseconds since the epoch for a host timestamp; times before 1970 are
/// clamped to 0 (a WASI timestamp is unsigned).
fn stat_time(sec: i64, nsec: i64) -> u64 {
    u64::try_from(sec)
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .and_then(|n| n.checked_add(u64::try_from(nsec).unwrap_or(0)))
        .unwrap_or(0)
}

/// Encodes a host `stat` as a WASI `filestat`. (The casts are no-ops on
/// x86-64 but not on every target: `struct stat` field types vary.)
#[allow(clippy::unnecessary_cast)]
pub(crate) fn filestat_bytes(st: &Stat) -> [u8; layout::FILESTAT_SIZE as usize] {
    let mut b = [0u8; layout::FILESTAT_SIZE as usize];
    put(&mut b, layout::FILESTAT_DEV, &(st.st_dev as u64).to_le_bytes());
    put(&mut b, layout::FILESTAT_INO, &(st.st_ino as u64).to_le_bytes());
    b[layout::FILESTAT_FILETYPE as usize] = wasi_filetype(FileType::from_raw_mode(st.st_mode as _));
    put(&mut b, layout::FILESTAT_NLINK, &(st.st_nlink as u64).to_le_bytes());
    put(&mut b, layout::FILESTAT_FILESIZE, &(st.st_size as u64).to_le_bytes());
    put(&mut b, layout::FILESTAT_ATIM, &stat_time(st.st_atime as i64, st.st_atime_nsec as i64).to_le_bytes());
    put(&mut b, layout::FILESTAT_MTIM, &stat_time(st.st_mtime as i64, st.st_mtime_nsec as i64).to_le_bytes());
    put(&mut b, layout::FILESTAT_CTIM, &stat_time(st.st_ctime as i64, st.st_ctime_nsec as i64).to_le_bytes());
    b
}

pub fn fd_filestat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    d.require(rights::FD_FILESTAT_GET)?;
    mem.check(out, layout::FILESTAT_SIZE)?;
    let st = rustix::fs::fstat(d.fd.as_fd())?;
    mem.write_bytes(out, &filestat_bytes(&st))
}

pub fn fd_filestat_set_size(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, size: u64) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    d.require(rights::FD_FILESTAT_SET_SIZE)?;
    d.require_writable_grant()?;
    if i64::try_from(size).is_err() {
        return Err(Errno::Fbig);
    }
    retry(|| rustix::fs::ftruncate(d.fd.as_fd(), size))
}

/// Decodes the `*_set_times` arguments into host timestamps.
pub(crate) fn timestamps(atim: u64, mtim: u64, flags: u32) -> Result<Timestamps, Errno> {
    let flags = u16::try_from(flags).ok().filter(|f| f & !fstflags::ALL == 0).ok_or(Errno::Inval)?;
    let one = |t: u64, set: u16, now: u16| -> Result<Timespec, Errno> {
        match (flags & set != 0, flags & now != 0) {
            (true, true) => Err(Errno::Inval),
            (false, true) => Ok(Timespec { tv_sec: 0, tv_nsec: rustix::fs::UTIME_NOW }),
            (false, false) => Ok(Timespec { tv_sec: 0, tv_nsec: rustix::fs::UTIME_OMIT }),
            (true, false) => Ok(Timespec { tv_sec: (t / 1_000_000_000) as i64, tv_nsec: (t % 1_000_000_000) as _ }),
        }
    };
    Ok(Timestamps {
        last_access: one(atim, fstflags::ATIM, fstflags::ATIM_NOW)?,
        last_modification: one(mtim, fstflags::MTIM, fstflags::MTIM_NOW)?,
    })
}

pub fn fd_filestat_set_times(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    atim: u64,
    mtim: u64,
    flags: u32,
) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    d.require(rights::FD_FILESTAT_SET_TIMES)?;
    let ts = timestamps(atim, mtim, flags)?;
    d.require_writable_grant()?;
    retry(|| rustix::fs::futimens(d.fd.as_fd(), &ts))
}

pub fn fd_prestat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    let name = d.preopen.as_ref().ok_or(Errno::Badf)?;
    mem.check(out, layout::PRESTAT_SIZE)?;
    let len = u32::try_from(name.len()).map_err(|_| Errno::NameTooLong)?;
    mem.write_u8(out + layout::PRESTAT_TAG, PREOPENTYPE_DIR)?;
    mem.write_u32(out + layout::PRESTAT_NAME_LEN, len)
}

pub fn fd_prestat_dir_name(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, path: u32, path_len: u32) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    let name = d.preopen.as_ref().ok_or(Errno::Badf)?;
    if (path_len as usize) < name.len() {
        return Err(Errno::NameTooLong);
    }
    mem.write_bytes(path, name.as_bytes())
}
