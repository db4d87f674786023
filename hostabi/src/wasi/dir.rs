//! `fd_readdir`: directory listings with cookies.
//!
//! The WASI contract: entries are written as a `dirent` header followed by
//! the name, back to back; the last one may be cut off at the end of the
//! buffer (then `bufused == buf_len` and the guest retries with a larger
//! buffer from that entry's cookie). A cookie is the position of the next
//! entry: `d_next` of the entry at position `i` is `i + 1`, and cookie 0
//! starts over.
//!
//! The listing, `.` and `..` first (as a native `readdir` shows them), is
//! read from the host when the guest starts over (cookie 0) and kept with
//! the descriptor, so paging through a large directory costs one host
//! read, not one per call, and cookies stay stable while the guest pages
//! even if the directory changes meanwhile. A cookie past the end yields
//! nothing.

use super::ctx::{wasi_filetype, DirListing, WasiCtx};
use super::types::{filetype, layout, rights, Errno};
use crate::memory::GuestMemory;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags};

/// One listed entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: Vec<u8>,
    pub ino: u64,
    pub filetype: u8,
}

/// Reads the whole directory behind `fd` (through a fresh descriptor, so
/// the guest's descriptor offset is untouched).
pub(crate) fn read_listing(fd: BorrowedFd<'_>) -> Result<Vec<Entry>, Errno> {
    let own = rustix::fs::fstat(fd)?;
    let dirfd = rustix::fs::openat(fd, ".", OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
    let mut dir = rustix::fs::Dir::new(dirfd)?;
    // `..` of a preopen is outside the sandbox: report the directory's own
    // inode for it rather than reveal anything about the host parent.
    let mut out = vec![
        Entry { name: b".".to_vec(), ino: own.st_ino as u64, filetype: filetype::DIRECTORY },
        Entry { name: b"..".to_vec(), ino: own.st_ino as u64, filetype: filetype::DIRECTORY },
    ];
    let mut rest = Vec::new();
    while let Some(ent) = dir.read() {
        let ent = ent?;
        let name = ent.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let ft = match ent.file_type() {
            // Some file systems do not fill d_type; ask the inode.
            FileType::Unknown => rustix::fs::statat(fd, ent.file_name(), AtFlags::SYMLINK_NOFOLLOW)
                .map(|st| wasi_filetype(FileType::from_raw_mode(st.st_mode as _)))
                .unwrap_or(filetype::UNKNOWN),
            t => wasi_filetype(t),
        };
        rest.push(Entry { name: name.to_vec(), ino: ent.ino(), filetype: ft });
    }
    out.extend(rest);
    Ok(out)
}

/// Serialises entries from position `start` into at most `cap` bytes.
pub(crate) fn serialise(entries: &[Entry], start: u64, cap: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(cap.min(64 * 1024));
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    for (i, e) in entries.iter().enumerate().skip(start) {
        if out.len() >= cap {
            break;
        }
        let mut hdr = [0u8; layout::DIRENT_SIZE as usize];
        hdr[layout::DIRENT_NEXT..layout::DIRENT_NEXT + 8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        hdr[layout::DIRENT_INO..layout::DIRENT_INO + 8].copy_from_slice(&e.ino.to_le_bytes());
        hdr[layout::DIRENT_NAMLEN..layout::DIRENT_NAMLEN + 4].copy_from_slice(&(e.name.len() as u32).to_le_bytes());
        hdr[layout::DIRENT_TYPE] = e.filetype;
        out.extend_from_slice(&hdr);
        out.extend_from_slice(&e.name);
    }
    out.truncate(cap);
    out
}

pub fn fd_readdir(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    buf_len: u32,
    cookie: u64,
    bufused: u32,
) -> Result<(), Errno> {
    let d = ctx.get_mut(fd)?;
    if !d.is_dir() {
        return Err(Errno::NotDir);
    }
    d.require(rights::FD_READDIR)?;
    mem.check(buf, buf_len)?;
    mem.check(bufused, 4)?;
    if cookie == 0 || d.listing.is_none() {
        d.listing = Some(DirListing { entries: read_listing(d.fd.as_fd())? });
    }
    let entries = d.listing.as_ref().map(|l| l.entries.as_slice()).unwrap_or(&[]);
    let bytes = serialise(entries, cookie, buf_len as usize);
    mem.write_bytes(buf, &bytes)?;
    mem.write_u32(bufused, bytes.len() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(name: &str) -> Entry {
        Entry { name: name.as_bytes().to_vec(), ino: 7, filetype: filetype::REGULAR_FILE }
    }

    /// Parses a serialised buffer back into (d_next, name) pairs, noting a
    /// truncated tail.
    fn parse(b: &[u8]) -> (Vec<(u64, String)>, bool) {
        let mut out = Vec::new();
        let mut at = 0;
        while at < b.len() {
            if b.len() - at < 24 {
                return (out, true);
            }
            let next = u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
            let len = u32::from_le_bytes(b[at + 16..at + 20].try_into().unwrap()) as usize;
            at += 24;
            if b.len() - at < len {
                return (out, true);
            }
            out.push((next, String::from_utf8(b[at..at + len].to_vec()).unwrap()));
            at += len;
        }
        (out, false)
    }

    #[test]
    fn cookies_are_positions_and_d_next_points_past_the_entry() {
        let list = vec![e("."), e(".."), e("alpha"), e("b")];
        let (got, cut) = parse(&serialise(&list, 0, 4096));
        assert!(!cut);
        assert_eq!(got, vec![(1, ".".into()), (2, "..".into()), (3, "alpha".into()), (4, "b".into())]);
        let (got, _) = parse(&serialise(&list, 2, 4096));
        assert_eq!(got, vec![(3, "alpha".into()), (4, "b".into())]);
        assert!(serialise(&list, 4, 4096).is_empty());
        assert!(serialise(&list, u64::MAX, 4096).is_empty());
    }

    #[test]
    fn a_full_buffer_cuts_the_last_entry_and_the_cookie_resumes_it() {
        let list = vec![e("."), e(".."), e("alpha"), e("b")];
        // Room for "." (25) + ".." (26) + part of "alpha".
        let cap = 25 + 26 + 10;
        let b = serialise(&list, 0, cap);
        assert_eq!(b.len(), cap, "bufused == buf_len signals a cut entry");
        let (got, cut) = parse(&b);
        assert!(cut);
        assert_eq!(got.last().unwrap().0, 2);
        // Resume from cookie 2 with a big buffer.
        let (got, cut) = parse(&serialise(&list, 2, 4096));
        assert!(!cut);
        assert_eq!(got[0].1, "alpha");
    }

    #[test]
    fn zero_capacity_writes_nothing() {
        assert!(serialise(&[e("x")], 0, 0).is_empty());
    }
}
