//! Opening a file by the guest's own path, on the host's behalf — for host
//! services that act for the guest, such as the dynamic loader's `dlopen`.
//!
//! The guest names files by absolute paths that wasi-libc maps onto its
//! preopened directories; the host must map them the same way, and must not
//! be able to reach anything the guest could not. So: the preopen whose
//! name is the longest prefix of the path on a component boundary (names
//! compared as wasi-libc stores them, without leading `/` or `./`, so `/`
//! and `.` match every path), then the rest of the path walked inside that
//! directory by the sandbox (`..` and symlinks cannot climb out).

use super::ctx::WasiCtx;
use super::sandbox::resolve;
use super::types::Errno;
use rustix::fd::AsFd;
use rustix::fs::{Mode, OFlags};

/// Why a guest path could not be opened, in the words of `strerror`.
pub fn describe(e: Errno) -> String {
    match e {
        Errno::NoEnt => "No such file or directory".into(),
        Errno::NotCapable => "outside the directories granted to the guest".into(),
        Errno::Acces | Errno::Perm => "Permission denied".into(),
        Errno::IsDir => "Is a directory".into(),
        Errno::NotDir => "Not a directory".into(),
        Errno::Loop => "Too many levels of symbolic links".into(),
        other => other.to_string(),
    }
}

/// wasi-libc's form of a path or preopen name: no leading `/` or `./`.
fn strip(mut p: &str) -> &str {
    loop {
        if let Some(rest) = p.strip_prefix('/') {
            p = rest;
        } else if let Some(rest) = p.strip_prefix("./") {
            p = rest;
        } else if p == "." {
            return "";
        } else {
            return p;
        }
    }
}

fn prefix_matches(prefix: &str, path: &str) -> bool {
    if prefix.is_empty() {
        return true;
    }
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/') || prefix.ends_with('/'),
        None => false,
    }
}

impl WasiCtx {
    /// Opens `guest_path` read-only as the guest would see it, or fails
    /// with the errno the guest would get (`NotCapable` for a path under no
    /// preopen).
    pub fn open_guest_file(&self, guest_path: &str) -> Result<std::fs::File, Errno> {
        let path = strip(guest_path);
        let mut best: Option<(usize, &super::ctx::Descriptor)> = None;
        for d in self.fds.values() {
            let Some(name) = &d.preopen else { continue };
            let name = strip(name);
            if prefix_matches(name, path) && best.is_none_or(|(len, _)| name.len() > len) {
                best = Some((name.len(), d));
            }
        }
        let (len, dir) = best.ok_or(Errno::NotCapable)?;
        let rest = path[len..].trim_start_matches('/');
        let rest = if rest.is_empty() { "." } else { rest };
        let r = resolve(dir.fd.as_fd(), rest, true)?;
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NOFOLLOW;
        let fd = loop {
            match rustix::fs::openat(&r.dir, r.name(), flags, Mode::empty()) {
                Err(e) if e == rustix::io::Errno::INTR => continue,
                other => break other?,
            }
        };
        Ok(std::fs::File::from(fd))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasi::Access;
    use std::io::Read;

    fn read(ctx: &WasiCtx, p: &str) -> Result<String, Errno> {
        let mut s = String::new();
        ctx.open_guest_file(p)?.read_to_string(&mut s).map_err(|_| Errno::Io)?;
        Ok(s)
    }

    #[test]
    fn maps_paths_onto_preopens_like_wasi_libc() {
        let root = tempfile::tempdir().unwrap();
        let lib = root.path().join("lib");
        let deep = lib.join("python");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(lib.join("a.so"), "lib a").unwrap();
        std::fs::write(deep.join("b.so"), "deep b").unwrap();
        std::fs::write(root.path().join("secret"), "secret").unwrap();
        std::os::unix::fs::symlink("../secret", lib.join("escape")).unwrap();
        let ctx = WasiCtx::builder()
            .preopened_dir(&lib, "/usr/local/lib", Access::ReadOnly)
            .preopened_dir(&deep, "/usr/local/lib/python", Access::ReadOnly)
            .build()
            .unwrap();
        assert_eq!(read(&ctx, "/usr/local/lib/a.so").unwrap(), "lib a");
        // The longest prefix wins.
        assert_eq!(read(&ctx, "/usr/local/lib/python/b.so").unwrap(), "deep b");
        assert_eq!(read(&ctx, "/usr/local/lib/./python/../a.so").unwrap(), "lib a");
        // Only on a component boundary.
        assert_eq!(read(&ctx, "/usr/local/libx/a.so"), Err(Errno::NotCapable));
        assert_eq!(read(&ctx, "/etc/passwd"), Err(Errno::NotCapable));
        assert_eq!(read(&ctx, "/usr/local/lib/../secret"), Err(Errno::NotCapable));
        assert_eq!(read(&ctx, "/usr/local/lib/escape"), Err(Errno::NotCapable));
        assert_eq!(read(&ctx, "/usr/local/lib/none.so"), Err(Errno::NoEnt));
    }

    #[test]
    fn dot_preopen_takes_relative_and_absolute_paths() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("m.so"), "m").unwrap();
        let ctx = WasiCtx::builder().preopened_dir(root.path(), ".", Access::ReadOnly).build().unwrap();
        assert_eq!(read(&ctx, "m.so").unwrap(), "m");
        assert_eq!(read(&ctx, "./m.so").unwrap(), "m");
        assert_eq!(read(&ctx, "/m.so").unwrap(), "m");
        assert_eq!(describe(Errno::NoEnt), "No such file or directory");
    }
}
