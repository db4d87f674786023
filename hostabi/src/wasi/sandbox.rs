//! Path resolution confined to a directory descriptor: the sandbox.
//!
//! A guest path is always relative to a directory descriptor it holds (a
//! preopen or a directory opened below one), and must never reach anything
//! outside that directory. [`resolve`] walks the path one component at a
//! time, on directory descriptors, and hands the operation a parent
//! directory descriptor plus a single final component:
//!
//! * absolute paths are refused (`NotCapable`);
//! * `..` pops a stack of the descriptors we opened ourselves, so it can
//!   never climb above the starting directory (popping past it is
//!   `NotCapable`), and the kernel never evaluates a `..` on our behalf;
//! * every intermediate component is opened with
//!   `O_PATH | O_DIRECTORY | O_NOFOLLOW`, so the kernel never follows a
//!   symlink for us; a symlink is read with `readlinkat` and its target
//!   spliced into the remaining components, where the same rules apply (an
//!   absolute target is `NotCapable`, a `..` that climbs out is
//!   `NotCapable`), with at most [`MAX_SYMLINK_EXPANSIONS`] expansions
//!   (`Loop`, as Linux's limit);
//! * the final component is followed the same way when the operation asks
//!   for it, and the operation itself then uses a "no follow" `*at` call
//!   with the parent descriptor and that single name.
//!
//! Why a component walk rather than `openat2(RESOLVE_BENEATH)`: it is one
//! algorithm with one set of semantics that we control and test on every
//! kernel, instead of a fast path plus a fallback that would have to agree
//! with it exactly. `openat2` is missing before Linux 5.6 and is commonly
//! refused by container seccomp profiles and by gVisor, so the fallback
//! would be the code that actually runs in many deployments while the fast
//! path would be the one that gets tested. The walk costs one `openat` per
//! directory component, which is small next to the I/O itself; and it is
//! race-free against a concurrent rename or symlink swap in the host tree,
//! because every step is taken from a descriptor and no path string is ever
//! re-resolved by the kernel.

use super::types::Errno;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use std::collections::VecDeque;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// Linux's own limit on symlink expansions in one lookup.
pub const MAX_SYMLINK_EXPANSIONS: u32 = 40;

/// A directory the final component lives in: the starting descriptor or
/// one we opened during the walk.
#[derive(Debug)]
pub(crate) enum DirRef<'a> {
    Base(BorrowedFd<'a>),
    Owned(OwnedFd),
}

impl AsFd for DirRef<'_> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            DirRef::Base(b) => *b,
            DirRef::Owned(o) => o.as_fd(),
        }
    }
}

/// The outcome of resolving a guest path.
#[derive(Debug)]
pub(crate) struct Resolved<'a> {
    /// The directory holding the final component.
    pub dir: DirRef<'a>,
    /// A single path component (no `/`), or `.` for `dir` itself. Never
    /// `..`.
    pub name: Vec<u8>,
    /// The guest path ended in `/` (or `/.`): the target must be a
    /// directory.
    pub must_be_dir: bool,
}

impl Resolved<'_> {
    pub fn name(&self) -> &OsStr {
        OsStr::from_bytes(&self.name)
    }
}

fn components(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    path.split(|&b| b == b'/').filter(|c| !c.is_empty() && *c != b".")
}

/// Resolves `path` below `base`. With `follow_final`, a symlink in the last
/// position is expanded too (as are all the others); a path ending in `/`
/// always follows it, as POSIX requires.
pub(crate) fn resolve<'a>(base: BorrowedFd<'a>, path: &str, follow_final: bool) -> Result<Resolved<'a>, Errno> {
    let bytes = path.as_bytes();
    if bytes.is_empty() {
        return Err(Errno::NoEnt);
    }
    if bytes.contains(&0) {
        return Err(Errno::Inval);
    }
    if bytes[0] == b'/' {
        return Err(Errno::NotCapable);
    }
    let mut must_be_dir = trailing_dir(bytes);
    let mut pending: VecDeque<Vec<u8>> = components(bytes).map(<[u8]>::to_vec).collect();
    let mut stack: Vec<OwnedFd> = Vec::new();
    let mut expansions = 0u32;

    let finish = |stack: Vec<OwnedFd>, name: Vec<u8>, must_be_dir: bool| -> Resolved<'a> {
        let dir = match stack.into_iter().last() {
            Some(fd) => DirRef::Owned(fd),
            None => DirRef::Base(base),
        };
        Resolved { dir, name, must_be_dir }
    };

    loop {
        let Some(comp) = pending.pop_front() else {
            return Ok(finish(stack, b".".to_vec(), true));
        };
        let last = pending.is_empty();
        if comp == b".." {
            if stack.pop().is_none() {
                return Err(Errno::NotCapable);
            }
            if last {
                return Ok(finish(stack, b".".to_vec(), true));
            }
            continue;
        }
        let cur: BorrowedFd<'_> = match stack.last() {
            Some(fd) => fd.as_fd(),
            None => base,
        };
        let name = OsStr::from_bytes(&comp);
        if last {
            if !(follow_final || must_be_dir) {
                return Ok(finish(stack, comp, must_be_dir));
            }
            match rustix::fs::readlinkat(cur, name, Vec::new()) {
                Ok(target) => {
                    let target = target.into_bytes();
                    expand(&mut pending, &target, &mut expansions)?;
                    if trailing_dir(&target) {
                        must_be_dir = true;
                    }
                    continue;
                }
                // Not a symlink, or nothing there yet (the operation may
                // create it): this is the final name.
                Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOENT => {
                    return Ok(finish(stack, comp, must_be_dir));
                }
                Err(e) => return Err(e.into()),
            }
        }
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        match rustix::fs::openat(cur, name, flags, Mode::empty()) {
            Ok(fd) => stack.push(fd),
            // With O_NOFOLLOW|O_DIRECTORY a symlink fails with ENOTDIR (or
            // ELOOP on some kernels): find out which it was.
            Err(e) if e == rustix::io::Errno::NOTDIR || e == rustix::io::Errno::LOOP => {
                match rustix::fs::readlinkat(cur, name, Vec::new()) {
                    Ok(target) => expand(&mut pending, &target.into_bytes(), &mut expansions)?,
                    Err(r) if r == rustix::io::Errno::INVAL => return Err(Errno::NotDir),
                    Err(r) => return Err(r.into()),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn trailing_dir(p: &[u8]) -> bool {
    p.ends_with(b"/") || p.ends_with(b"/.") || p == b"."
}

/// Splices a symlink's target in front of the components still to walk.
fn expand(pending: &mut VecDeque<Vec<u8>>, target: &[u8], expansions: &mut u32) -> Result<(), Errno> {
    *expansions += 1;
    if *expansions > MAX_SYMLINK_EXPANSIONS {
        return Err(Errno::Loop);
    }
    if target.is_empty() {
        return Err(Errno::NoEnt);
    }
    if target[0] == b'/' {
        return Err(Errno::NotCapable);
    }
    let comps: Vec<Vec<u8>> = components(target).map(<[u8]>::to_vec).collect();
    for c in comps.into_iter().rev() {
        pending.push_front(c);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    struct Tree {
        root: tempdir::Dir,
    }

    mod tempdir {
        /// A scratch directory removed on drop (tests only).
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new(tag: &str) -> Dir {
                use std::sync::atomic::{AtomicU32, Ordering};
                static N: AtomicU32 = AtomicU32::new(0);
                let p = std::env::temp_dir().join(format!(
                    "hostabi-sandbox-{}-{}-{}",
                    tag,
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                let _ = std::fs::remove_dir_all(&p);
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    /// outside/secret, sandbox/{a/b/file, link_in -> a/b, link_out -> ../outside,
    /// abs -> /etc, loop1 -> loop2 -> loop1, file}
    fn tree() -> (Tree, OwnedFd) {
        let root = tempdir::Dir::new("walk");
        let r = &root.0;
        fs::create_dir_all(r.join("outside")).unwrap();
        fs::write(r.join("outside/secret"), "s").unwrap();
        let sb = r.join("sandbox");
        fs::create_dir_all(sb.join("a/b")).unwrap();
        fs::write(sb.join("a/b/file"), "f").unwrap();
        fs::write(sb.join("file"), "f").unwrap();
        symlink("a/b", sb.join("link_in")).unwrap();
        symlink("../outside", sb.join("link_out")).unwrap();
        symlink("a/../../outside/secret", sb.join("sneaky")).unwrap();
        symlink("/etc", sb.join("abs")).unwrap();
        symlink("loop2", sb.join("loop1")).unwrap();
        symlink("loop1", sb.join("loop2")).unwrap();
        symlink("file", sb.join("to_file")).unwrap();
        let fd = rustix::fs::open(&sb, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).unwrap();
        (Tree { root }, fd)
    }

    fn ok(base: &OwnedFd, p: &str, follow: bool) -> (String, bool) {
        let r = resolve(base.as_fd(), p, follow).unwrap_or_else(|e| panic!("{p}: {e}"));
        (String::from_utf8(r.name.clone()).unwrap(), r.must_be_dir)
    }

    fn err(base: &OwnedFd, p: &str, follow: bool) -> Errno {
        resolve(base.as_fd(), p, follow).err().unwrap_or_else(|| panic!("{p} resolved"))
    }

    fn dir_has(r: &Resolved<'_>, entry: &str) -> bool {
        rustix::fs::statat(&r.dir, entry, rustix::fs::AtFlags::SYMLINK_NOFOLLOW).is_ok()
    }

    #[test]
    fn plain_paths_resolve_to_parent_and_name() {
        let (_t, base) = tree();
        assert_eq!(ok(&base, "file", false), ("file".into(), false));
        assert_eq!(ok(&base, "a/b/file", false), ("file".into(), false));
        assert_eq!(ok(&base, "./a//b/./file", false), ("file".into(), false));
        assert_eq!(ok(&base, "a/b/", false), ("b".into(), true));
        assert_eq!(ok(&base, ".", false), (".".into(), true));
        assert_eq!(ok(&base, "a/..", false), (".".into(), true));
        assert_eq!(ok(&base, "a/b/../b/file", false), ("file".into(), false));
        let r = resolve(base.as_fd(), "a/b/file", false).unwrap();
        assert!(dir_has(&r, "file"));
    }

    #[test]
    fn empty_absolute_and_nul_paths_are_refused() {
        let (_t, base) = tree();
        assert_eq!(err(&base, "", false), Errno::NoEnt);
        assert_eq!(err(&base, "/etc/passwd", false), Errno::NotCapable);
        assert_eq!(err(&base, "/", false), Errno::NotCapable);
        assert_eq!(err(&base, "a\0b", false), Errno::Inval);
    }

    #[test]
    fn dotdot_past_the_root_is_refused_even_if_it_comes_back() {
        let (_t, base) = tree();
        assert_eq!(err(&base, "..", false), Errno::NotCapable);
        assert_eq!(err(&base, "../outside/secret", false), Errno::NotCapable);
        assert_eq!(err(&base, "a/../../sandbox/file", false), Errno::NotCapable);
        assert_eq!(err(&base, "a/b/../../..", false), Errno::NotCapable);
    }

    #[test]
    fn symlinks_inside_are_followed() {
        let (_t, base) = tree();
        // Intermediate symlink.
        let r = resolve(base.as_fd(), "link_in/file", false).unwrap();
        assert_eq!(r.name, b"file");
        assert!(dir_has(&r, "file"));
        // Final symlink, followed only when asked.
        assert_eq!(ok(&base, "to_file", false).0, "to_file");
        assert_eq!(ok(&base, "to_file", true).0, "file");
        // Trailing slash forces following.
        let r = resolve(base.as_fd(), "link_in/", false).unwrap();
        assert_eq!(r.name, b"b");
        assert!(r.must_be_dir);
    }

    #[test]
    fn symlinks_leading_outside_are_refused() {
        let (_t, base) = tree();
        assert_eq!(err(&base, "link_out/secret", false), Errno::NotCapable);
        assert_eq!(err(&base, "link_out", true), Errno::NotCapable);
        assert_eq!(err(&base, "sneaky", true), Errno::NotCapable);
        assert_eq!(err(&base, "abs/passwd", false), Errno::NotCapable);
        assert_eq!(err(&base, "abs", true), Errno::NotCapable);
        // Not following the final symlink is fine: the operation acts on
        // the link itself (e.g. unlink, readlink, lstat).
        assert_eq!(ok(&base, "link_out", false).0, "link_out");
        assert_eq!(ok(&base, "abs", false).0, "abs");
    }

    #[test]
    fn symlink_loops_stop_with_eloop() {
        let (_t, base) = tree();
        assert_eq!(err(&base, "loop1", true), Errno::Loop);
        assert_eq!(err(&base, "loop1/x", false), Errno::Loop);
    }

    #[test]
    fn non_directories_in_the_middle_are_enotdir() {
        let (_t, base) = tree();
        assert_eq!(err(&base, "file/x", false), Errno::NotDir);
        assert_eq!(err(&base, "to_file/x", false), Errno::NotDir);
        assert_eq!(err(&base, "missing/x", false), Errno::NoEnt);
    }

    #[test]
    fn a_descendant_directory_is_its_own_root() {
        let (t, _base) = tree();
        let sub =
            rustix::fs::open(t.root.0.join("sandbox/a"), OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
                .unwrap();
        assert_eq!(err(&sub, "../file", false), Errno::NotCapable);
        assert_eq!(ok(&sub, "b/file", false).0, "file");
    }

    #[test]
    fn a_directory_swapped_for_an_escaping_symlink_is_not_followed_out() {
        // The check and the use are the same step: once `a` is replaced by
        // a link to the outside, the walk sees the link, not the old dir.
        let (t, base) = tree();
        let sb = t.root.0.join("sandbox");
        fs::rename(sb.join("a"), t.root.0.join("moved_a")).unwrap();
        symlink("../outside", sb.join("a")).unwrap();
        assert_eq!(err(&base, "a/secret", false), Errno::NotCapable);
    }
}
