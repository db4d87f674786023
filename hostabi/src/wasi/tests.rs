//! Unit tests of the WASI functions, called through the host-function table
//! exactly as the engine calls them (raw values in, errno out) on a plain
//! byte vector standing in for linear memory.

use super::types::*;
use super::*;
use crate::table::{lookup, HostFunc};
use engine::{TrapReason, ValRaw};
use std::fs;
use std::os::unix::fs::symlink;
use std::path::PathBuf;

const MEM: usize = 1 << 16;
/// Where tests put strings, results and scratch buffers.
const PATH: u32 = 0x100;
const PATH2: u32 = 0x400;
const OUT: u32 = 0x800;
const IOV: u32 = 0x900;
const BUF: u32 = 0x1000;

struct TempDir(PathBuf);
impl TempDir {
    fn new() -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!("hostabi-wasi-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

enum V {
    I(u32),
    L(u64),
}

struct H {
    ctx: WasiCtx,
    mem: Vec<u8>,
    table: Vec<HostFunc<WasiCtx>>,
    tmp: TempDir,
}

/// Preopen layout: fd 3 = `<tmp>/sb` read-write as "sb", fd 4 = `<tmp>/ro`
/// read-only as "ro". `<tmp>/outside/secret` is outside both.
impl H {
    fn new() -> H {
        H::with(|b| b)
    }

    fn with(f: impl FnOnce(WasiCtxBuilder) -> WasiCtxBuilder) -> H {
        let tmp = TempDir::new();
        fs::create_dir_all(tmp.0.join("sb")).unwrap();
        fs::create_dir_all(tmp.0.join("ro/sub")).unwrap();
        fs::create_dir_all(tmp.0.join("outside")).unwrap();
        fs::write(tmp.0.join("outside/secret"), "top secret").unwrap();
        fs::write(tmp.0.join("ro/data.txt"), "read only data").unwrap();
        let b = WasiCtx::builder()
            .args(["prog", "arg one", "two"])
            .env("HOME", "/nowhere")
            .env("X", "1")
            .preopened_dir(tmp.0.join("sb"), "sb", Access::ReadWrite)
            .preopened_dir(tmp.0.join("ro"), "ro", Access::ReadOnly);
        let ctx = f(b).build().unwrap();
        H { ctx, mem: vec![0; MEM], table: functions::<WasiCtx>(), tmp }
    }

    fn sb(&self) -> PathBuf {
        self.tmp.0.join("sb")
    }

    fn raw(&mut self, name: &str, args: &[V]) -> Result<Vec<ValRaw>, engine::Trap> {
        let f = *lookup(&self.table, MODULE, name).unwrap_or_else(|| panic!("no {name}"));
        assert_eq!(f.params.len(), args.len(), "{name} arity");
        let mut slots: Vec<ValRaw> = args
            .iter()
            .map(|a| match a {
                V::I(x) => ValRaw::i32(*x as i32),
                V::L(x) => ValRaw::i64(*x as i64),
            })
            .collect();
        slots.resize(f.params.len().max(f.results.len()), ValRaw::default());
        f.invoke(&mut self.ctx, &mut self.mem, &mut slots)?;
        Ok(slots)
    }

    fn call(&mut self, name: &str, args: &[V]) -> u16 {
        let r = self.raw(name, args).unwrap_or_else(|t| panic!("{name} trapped: {t}"));
        r[0].get_u32() as u16
    }

    fn put(&mut self, at: u32, bytes: &[u8]) -> u32 {
        self.mem[at as usize..at as usize + bytes.len()].copy_from_slice(bytes);
        bytes.len() as u32
    }
    fn u32_at(&self, at: u32) -> u32 {
        u32::from_le_bytes(self.mem[at as usize..at as usize + 4].try_into().unwrap())
    }
    fn u64_at(&self, at: u32) -> u64 {
        u64::from_le_bytes(self.mem[at as usize..at as usize + 8].try_into().unwrap())
    }

    /// path_open with wasi-libc's rights for the access mode; returns the
    /// errno or the new fd.
    fn open(&mut self, dir: u32, path: &str, oflags: u16, write: bool, follow: bool) -> Result<u32, u16> {
        let len = self.put(PATH, path.as_bytes());
        // What wasi-libc asks for O_WRONLY and O_RDONLY.
        let base = if write {
            rights::ALL & !(rights::FD_READ | rights::FD_READDIR)
        } else {
            rights::ALL & !(rights::FD_WRITE | rights::FD_DATASYNC | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE)
        };
        let e = self.call(
            "path_open",
            &[
                V::I(dir),
                V::I(follow as u32),
                V::I(PATH),
                V::I(len),
                V::I(oflags as u32),
                V::L(base),
                V::L(rights::ALL),
                V::I(0),
                V::I(OUT),
            ],
        );
        if e == 0 {
            Ok(self.u32_at(OUT))
        } else {
            Err(e)
        }
    }

    fn path_call(&mut self, name: &str, dir: u32, path: &str) -> u16 {
        let len = self.put(PATH, path.as_bytes());
        self.call(name, &[V::I(dir), V::I(PATH), V::I(len)])
    }

    fn write_fd(&mut self, fd: u32, data: &[u8]) -> Result<u32, u16> {
        self.put(BUF, data);
        self.put(IOV, &BUF.to_le_bytes());
        self.put(IOV + 4, &(data.len() as u32).to_le_bytes());
        match self.call("fd_write", &[V::I(fd), V::I(IOV), V::I(1), V::I(OUT)]) {
            0 => Ok(self.u32_at(OUT)),
            e => Err(e),
        }
    }

    fn read_fd(&mut self, fd: u32, max: u32) -> Result<Vec<u8>, u16> {
        self.put(IOV, &BUF.to_le_bytes());
        self.put(IOV + 4, &max.to_le_bytes());
        match self.call("fd_read", &[V::I(fd), V::I(IOV), V::I(1), V::I(OUT)]) {
            0 => {
                let n = self.u32_at(OUT) as usize;
                Ok(self.mem[BUF as usize..BUF as usize + n].to_vec())
            }
            e => Err(e),
        }
    }
}

const E_BADF: u16 = Errno::Badf as u16;
const E_FAULT: u16 = Errno::Fault as u16;
const E_INVAL: u16 = Errno::Inval as u16;
const E_NOENT: u16 = Errno::NoEnt as u16;
const E_NOTCAPABLE: u16 = Errno::NotCapable as u16;
const E_PERM: u16 = Errno::Perm as u16;

// ---- the table -------------------------------------------------------------

#[test]
fn the_table_has_all_46_preview1_functions_with_witx_signatures() {
    use engine::ValType::{I32, I64};
    let t = functions::<WasiCtx>();
    assert_eq!(t.len(), 46);
    let mut names: Vec<_> = t.iter().map(|f| f.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 46, "no duplicates");
    assert!(t.iter().all(|f| f.module == "wasi_snapshot_preview1"));
    let sig = |n: &str| lookup(&t, MODULE, n).map(|f| (f.params.to_vec(), f.results.to_vec())).unwrap();
    assert_eq!(sig("fd_write"), (vec![I32, I32, I32, I32], vec![I32]));
    assert_eq!(sig("clock_time_get"), (vec![I32, I64, I32], vec![I32]));
    assert_eq!(sig("path_open"), (vec![I32, I32, I32, I32, I32, I64, I64, I32, I32], vec![I32]));
    assert_eq!(sig("fd_seek"), (vec![I32, I64, I32, I32], vec![I32]));
    assert_eq!(sig("path_filestat_set_times"), (vec![I32, I32, I32, I32, I64, I64, I32], vec![I32]));
    assert_eq!(sig("proc_exit"), (vec![I32], vec![]));
    assert_eq!(sig("sched_yield"), (vec![], vec![I32]));
    assert_eq!(sig("poll_oneoff"), (vec![I32, I32, I32, I32], vec![I32]));
}

#[test]
fn too_few_value_slots_is_a_host_error_not_a_panic() {
    let mut h = H::new();
    let f = *lookup(&h.table, MODULE, "fd_write").unwrap();
    let mut slots = vec![ValRaw::default(); 2];
    let e = f.invoke(&mut h.ctx, &mut h.mem, &mut slots).unwrap_err();
    assert!(matches!(e.reason, TrapReason::Host(_)));
}

// ---- args and environment ----------------------------------------------------

#[test]
fn args_and_environ_are_c_strings_with_pointer_arrays() {
    let mut h = H::new();
    assert_eq!(h.call("args_sizes_get", &[V::I(OUT), V::I(OUT + 4)]), 0);
    assert_eq!(h.u32_at(OUT), 3);
    assert_eq!(h.u32_at(OUT + 4), ("prog".len() + "arg one".len() + "two".len() + 3) as u32);
    assert_eq!(h.call("args_get", &[V::I(IOV), V::I(BUF)]), 0);
    let p1 = h.u32_at(IOV + 4) as usize;
    assert_eq!(&h.mem[p1..p1 + 8], b"arg one\0");
    assert_eq!(h.u32_at(IOV), BUF);

    assert_eq!(h.call("environ_sizes_get", &[V::I(OUT), V::I(OUT + 4)]), 0);
    assert_eq!(h.u32_at(OUT), 2);
    assert_eq!(h.u32_at(OUT + 4), ("HOME=/nowhere".len() + "X=1".len() + 2) as u32);
    assert_eq!(h.call("environ_get", &[V::I(IOV), V::I(BUF)]), 0);
    let p = h.u32_at(IOV + 4) as usize;
    assert_eq!(&h.mem[p..p + 4], b"X=1\0");
}

#[test]
fn args_out_of_bounds_is_efault_and_writes_nothing() {
    let mut h = H::new();
    let last = MEM as u32 - 4;
    assert_eq!(h.call("args_get", &[V::I(IOV), V::I(last)]), E_FAULT);
    assert_eq!(h.call("args_get", &[V::I(last), V::I(BUF)]), E_FAULT);
    assert!(h.mem.iter().all(|&b| b == 0), "nothing written on EFAULT");
    assert_eq!(h.call("args_sizes_get", &[V::I(u32::MAX), V::I(OUT)]), E_FAULT);
    assert_eq!(h.call("environ_get", &[V::I(u32::MAX - 2), V::I(BUF)]), E_FAULT);
}

#[test]
fn builder_rejects_nul_and_bad_env_names() {
    assert!(matches!(WasiCtx::builder().arg("a\0b").build(), Err(BuildError::BadArg(_))));
    assert!(matches!(WasiCtx::builder().env("A=B", "c").build(), Err(BuildError::BadEnv(_))));
    assert!(matches!(WasiCtx::builder().env("", "c").build(), Err(BuildError::BadEnv(_))));
    assert!(matches!(
        WasiCtx::builder().preopened_dir("/nonexistent/dir", "x", Access::ReadOnly).build(),
        Err(BuildError::Preopen { .. })
    ));
    assert!(matches!(
        WasiCtx::builder().preopened_dir("/etc/hostname", "x", Access::ReadOnly).build(),
        Err(BuildError::NotADirectory { .. }) | Err(BuildError::Preopen { .. })
    ));
}

// ---- clocks and random ---------------------------------------------------

#[test]
fn clocks_tick_and_report_a_resolution() {
    let mut h = H::new();
    for id in 0..4 {
        assert_eq!(h.call("clock_res_get", &[V::I(id), V::I(OUT)]), 0);
        assert!(h.u64_at(OUT) >= 1);
        assert_eq!(h.call("clock_time_get", &[V::I(id), V::L(1), V::I(OUT)]), 0, "clock {id}");
    }
    h.call("clock_time_get", &[V::I(1), V::L(0), V::I(OUT)]);
    let a = h.u64_at(OUT);
    h.call("clock_time_get", &[V::I(1), V::L(0), V::I(OUT)]);
    assert!(h.u64_at(OUT) >= a, "monotonic");
    h.call("clock_time_get", &[V::I(0), V::L(0), V::I(OUT)]);
    assert!(h.u64_at(OUT) > 1_600_000_000 * 1_000_000_000, "realtime is after 2020");
    assert_eq!(h.call("clock_time_get", &[V::I(4), V::L(0), V::I(OUT)]), E_INVAL);
    assert_eq!(h.call("clock_res_get", &[V::I(99), V::I(OUT)]), E_INVAL);
    assert_eq!(h.call("clock_time_get", &[V::I(0), V::L(0), V::I(MEM as u32 - 7)]), E_FAULT);
}

#[test]
fn random_get_fills_the_buffer_and_checks_bounds() {
    let mut h = H::new();
    assert_eq!(h.call("random_get", &[V::I(BUF), V::I(4096)]), 0);
    let nonzero = h.mem[BUF as usize..BUF as usize + 4096].iter().filter(|&&b| b != 0).count();
    assert!(nonzero > 3000, "random bytes, {nonzero} non-zero");
    assert_eq!(h.call("random_get", &[V::I(BUF), V::I(0)]), 0);
    assert_eq!(h.call("random_get", &[V::I(MEM as u32 - 10), V::I(11)]), E_FAULT);
}

// ---- proc ------------------------------------------------------------------

#[test]
fn proc_exit_is_an_exit_trap_with_the_code() {
    let mut h = H::new();
    let t = h.raw("proc_exit", &[V::I(3)]).unwrap_err();
    assert_eq!(t.exit_code(), Some(3));
    let t = h.raw("proc_exit", &[V::I(0)]).unwrap_err();
    assert_eq!(t.exit_code(), Some(0));
}

#[test]
fn proc_raise_applies_the_default_action() {
    let mut h = H::new();
    // SIGABRT (WASI 6) terminates: 128 + 6.
    let t = h.raw("proc_raise", &[V::I(6)]).unwrap_err();
    assert_eq!(t.exit_code(), Some(134));
    // SIGCHLD (WASI 16) and signal 0 are ignored.
    assert_eq!(h.call("proc_raise", &[V::I(16)]), 0);
    assert_eq!(h.call("proc_raise", &[V::I(0)]), 0);
    assert_eq!(h.call("proc_raise", &[V::I(31)]), E_INVAL);
    assert_eq!(h.call("sched_yield", &[]), 0);
}

// ---- descriptors -------------------------------------------------------------

#[test]
fn prestat_names_the_preopens_and_only_them() {
    let mut h = H::new();
    assert_eq!(h.call("fd_prestat_get", &[V::I(3), V::I(OUT)]), 0);
    assert_eq!(h.mem[OUT as usize], PREOPENTYPE_DIR);
    assert_eq!(h.u32_at(OUT + 4), 2);
    assert_eq!(h.call("fd_prestat_dir_name", &[V::I(3), V::I(BUF), V::I(2)]), 0);
    assert_eq!(&h.mem[BUF as usize..BUF as usize + 2], b"sb");
    assert_eq!(h.call("fd_prestat_dir_name", &[V::I(3), V::I(BUF), V::I(1)]), Errno::NameTooLong as u16);
    assert_eq!(h.call("fd_prestat_get", &[V::I(1), V::I(OUT)]), E_BADF);
    assert_eq!(h.call("fd_prestat_get", &[V::I(5), V::I(OUT)]), E_BADF);
    assert_eq!(h.call("fd_prestat_get", &[V::I(3), V::I(MEM as u32 - 4)]), E_FAULT);
}

#[test]
fn fdstat_reports_type_and_rights() {
    let mut h = H::new();
    assert_eq!(h.call("fd_fdstat_get", &[V::I(3), V::I(OUT)]), 0);
    assert_eq!(h.mem[OUT as usize], filetype::DIRECTORY);
    assert_eq!(h.u64_at(OUT + 8) & rights::PATH_OPEN, rights::PATH_OPEN);
    assert_eq!(h.u64_at(OUT + 16), rights::ALL);
    // Default stdio is /dev/null: a character device that is not a tty.
    assert_eq!(h.call("fd_fdstat_get", &[V::I(1), V::I(OUT)]), 0);
    assert_eq!(h.mem[OUT as usize], filetype::CHARACTER_DEVICE);
    assert_ne!(h.u64_at(OUT + 8) & rights::FD_WRITE, 0);
    assert_eq!(h.call("fd_fdstat_get", &[V::I(42), V::I(OUT)]), E_BADF);
}

#[test]
fn close_renumber_and_the_lowest_free_descriptor() {
    let mut h = H::new();
    fs::write(h.sb().join("f"), "x").unwrap();
    let a = h.open(3, "f", 0, false, false).unwrap();
    assert_eq!(a, 5);
    let b = h.open(3, "f", 0, false, false).unwrap();
    assert_eq!(b, 6);
    assert_eq!(h.call("fd_close", &[V::I(a)]), 0);
    assert_eq!(h.call("fd_close", &[V::I(a)]), E_BADF);
    assert_eq!(h.open(3, "f", 0, false, false).unwrap(), 5, "lowest free number is reused");
    // renumber 6 -> 5 closes the old 5.
    assert_eq!(h.call("fd_renumber", &[V::I(6), V::I(5)]), 0);
    assert_eq!(h.call("fd_fdstat_get", &[V::I(6), V::I(OUT)]), E_BADF);
    assert_eq!(h.call("fd_fdstat_get", &[V::I(5), V::I(OUT)]), 0);
    assert_eq!(h.call("fd_renumber", &[V::I(5), V::I(77)]), E_BADF);
    assert_eq!(h.call("fd_renumber", &[V::I(77), V::I(5)]), E_BADF);
    assert_eq!(h.call("fd_renumber", &[V::I(5), V::I(5)]), 0);
}

#[test]
fn write_seek_read_tell_roundtrip() {
    let mut h = H::new();
    let fd = h.open(3, "data", oflags::CREAT, true, false).unwrap();
    assert_eq!(h.write_fd(fd, b"hello world"), Ok(11));
    assert_eq!(h.call("fd_tell", &[V::I(fd), V::I(OUT)]), 0);
    assert_eq!(h.u64_at(OUT), 11);
    // The writer has no FD_READ: reading is EBADF as in POSIX.
    assert_eq!(h.read_fd(fd, 5), Err(E_BADF));
    assert_eq!(h.call("fd_close", &[V::I(fd)]), 0);
    let fd = h.open(3, "data", 0, false, false).unwrap();
    assert_eq!(h.write_fd(fd, b"x"), Err(E_BADF));
    assert_eq!(h.call("fd_seek", &[V::I(fd), V::L(6), V::I(whence::SET), V::I(OUT)]), 0);
    assert_eq!(h.u64_at(OUT), 6);
    assert_eq!(h.read_fd(fd, 100).unwrap(), b"world");
    assert_eq!(h.read_fd(fd, 100).unwrap(), b"", "end of file");
    assert_eq!(h.call("fd_seek", &[V::I(fd), V::L(-3i64 as u64), V::I(whence::END), V::I(OUT)]), 0);
    assert_eq!(h.u64_at(OUT), 8);
    assert_eq!(h.call("fd_seek", &[V::I(fd), V::L(-1i64 as u64), V::I(whence::SET), V::I(OUT)]), E_INVAL);
    assert_eq!(h.call("fd_seek", &[V::I(fd), V::L(0), V::I(3), V::I(OUT)]), E_INVAL);
    // pread does not move the position.
    h.put(IOV, &BUF.to_le_bytes());
    h.put(IOV + 4, &5u32.to_le_bytes());
    assert_eq!(h.call("fd_pread", &[V::I(fd), V::I(IOV), V::I(1), V::L(0), V::I(OUT)]), 0);
    assert_eq!(&h.mem[BUF as usize..BUF as usize + 5], b"hello");
    assert_eq!(h.call("fd_tell", &[V::I(fd), V::I(OUT)]), 0);
    assert_eq!(h.u64_at(OUT), 8);
}

#[test]
fn scattered_and_overlapping_iovecs() {
    let mut h = H::new();
    fs::write(h.sb().join("abc"), "abcdefghij").unwrap();
    let fd = h.open(3, "abc", 0, false, false).unwrap();
    // Two disjoint buffers, second one first in memory.
    h.put(IOV, &(BUF + 100).to_le_bytes());
    h.put(IOV + 4, &3u32.to_le_bytes());
    h.put(IOV + 8, &BUF.to_le_bytes());
    h.put(IOV + 12, &4u32.to_le_bytes());
    assert_eq!(h.call("fd_read", &[V::I(fd), V::I(IOV), V::I(2), V::I(OUT)]), 0);
    assert_eq!(h.u32_at(OUT), 7);
    assert_eq!(&h.mem[BUF as usize + 100..BUF as usize + 103], b"abc");
    assert_eq!(&h.mem[BUF as usize..BUF as usize + 4], b"defg");
    // Overlapping buffers: filled in order, later ones overwrite
    // ("hi" at BUF, then "j" at BUF+1; BUF+2 keeps its old "f").
    h.put(IOV, &BUF.to_le_bytes());
    h.put(IOV + 4, &2u32.to_le_bytes());
    h.put(IOV + 8, &(BUF + 1).to_le_bytes());
    h.put(IOV + 12, &2u32.to_le_bytes());
    assert_eq!(h.call("fd_read", &[V::I(fd), V::I(IOV), V::I(2), V::I(OUT)]), 0);
    assert_eq!(h.u32_at(OUT), 3);
    assert_eq!(&h.mem[BUF as usize..BUF as usize + 3], b"hjf");
}

#[test]
fn io_with_bad_pointers_is_efault_and_consumes_nothing() {
    let mut h = H::new();
    fs::write(h.sb().join("abc"), "abcdef").unwrap();
    let fd = h.open(3, "abc", 0, false, false).unwrap();
    let end = MEM as u32;
    // iovec array out of bounds.
    assert_eq!(h.call("fd_read", &[V::I(fd), V::I(end - 4), V::I(1), V::I(OUT)]), E_FAULT);
    // Buffer out of bounds.
    h.put(IOV, &(end - 2).to_le_bytes());
    h.put(IOV + 4, &3u32.to_le_bytes());
    assert_eq!(h.call("fd_read", &[V::I(fd), V::I(IOV), V::I(1), V::I(OUT)]), E_FAULT);
    // Result pointer out of bounds: checked before reading.
    assert_eq!(h.read_fd(fd, 0), Ok(vec![]));
    h.put(IOV, &BUF.to_le_bytes());
    assert_eq!(h.call("fd_read", &[V::I(fd), V::I(IOV), V::I(1), V::I(end)]), E_FAULT);
    // Nothing was consumed by the failed calls.
    assert_eq!(h.read_fd(fd, 100).unwrap(), b"abcdef");
    // Huge iovec count: EFAULT, no allocation of u32::MAX entries.
    assert_eq!(h.call("fd_write", &[V::I(1), V::I(IOV), V::I(u32::MAX), V::I(OUT)]), E_FAULT);
    assert_eq!(h.call("fd_write", &[V::I(1), V::I(IOV), V::I(0x2000_0000), V::I(OUT)]), E_FAULT);
    // Strings: path out of bounds.
    assert_eq!(h.call("path_create_directory", &[V::I(3), V::I(end - 1), V::I(5)]), E_FAULT);
    assert_eq!(
        h.call("path_open", &[V::I(3), V::I(0), V::I(end), V::I(1), V::I(0), V::L(0), V::L(0), V::I(0), V::I(OUT)]),
        E_FAULT
    );
}

#[test]
fn filestat_and_set_size_and_times() {
    let mut h = H::new();
    let fd = h.open(3, "f", oflags::CREAT, true, false).unwrap();
    h.write_fd(fd, b"12345").unwrap();
    assert_eq!(h.call("fd_filestat_get", &[V::I(fd), V::I(OUT)]), 0);
    assert_eq!(h.mem[OUT as usize + 16], filetype::REGULAR_FILE);
    assert_eq!(h.u64_at(OUT + 32), 5);
    assert_eq!(h.u64_at(OUT + 24), 1, "nlink");
    assert_eq!(h.call("fd_filestat_set_size", &[V::I(fd), V::L(2)]), 0);
    assert_eq!(fs::read(h.sb().join("f")).unwrap(), b"12");
    assert_eq!(
        h.call(
            "fd_filestat_set_times",
            &[V::I(fd), V::L(5_000_000_000), V::L(7_000_000_123), V::I((fstflags::ATIM | fstflags::MTIM) as u32)]
        ),
        0
    );
    assert_eq!(h.call("fd_filestat_get", &[V::I(fd), V::I(OUT)]), 0);
    assert_eq!(h.u64_at(OUT + 40), 5_000_000_000);
    assert_eq!(h.u64_at(OUT + 48), 7_000_000_123);
    assert_eq!(
        h.call("fd_filestat_set_times", &[V::I(fd), V::L(0), V::L(0), V::I((fstflags::ATIM | fstflags::ATIM_NOW) as u32)]),
        E_INVAL
    );
    assert_eq!(h.call("fd_filestat_set_times", &[V::I(fd), V::L(0), V::L(0), V::I(0x10)]), E_INVAL);
    // path_filestat_get on the same file, and on a directory.
    let len = h.put(PATH, b"f");
    assert_eq!(h.call("path_filestat_get", &[V::I(3), V::I(0), V::I(PATH), V::I(len), V::I(OUT)]), 0);
    assert_eq!(h.u64_at(OUT + 32), 2);
    let len = h.put(PATH, b".");
    assert_eq!(h.call("path_filestat_get", &[V::I(3), V::I(0), V::I(PATH), V::I(len), V::I(OUT)]), 0);
    assert_eq!(h.mem[OUT as usize + 16], filetype::DIRECTORY);
    // path_filestat_set_times with NOW.
    let len = h.put(PATH, b"f");
    assert_eq!(
        h.call(
            "path_filestat_set_times",
            &[V::I(3), V::I(0), V::I(PATH), V::I(len), V::L(0), V::L(0), V::I((fstflags::ATIM_NOW | fstflags::MTIM_NOW) as u32)]
        ),
        0
    );
    assert_eq!(h.call("path_filestat_get", &[V::I(3), V::I(0), V::I(PATH), V::I(len), V::I(OUT)]), 0);
    assert!(h.u64_at(OUT + 48) > 1_600_000_000_000_000_000);
}

#[test]
fn allocate_advise_sync_and_flags() {
    let mut h = H::new();
    let fd = h.open(3, "f", oflags::CREAT, true, false).unwrap();
    assert_eq!(h.call("fd_allocate", &[V::I(fd), V::L(0), V::L(1000)]), 0);
    assert_eq!(fs::metadata(h.sb().join("f")).unwrap().len(), 1000);
    assert_eq!(h.call("fd_allocate", &[V::I(fd), V::L(0), V::L(0)]), E_INVAL);
    assert_eq!(h.call("fd_allocate", &[V::I(fd), V::L(u64::MAX), V::L(2)]), Errno::Fbig as u16);
    assert_eq!(h.call("fd_advise", &[V::I(fd), V::L(0), V::L(100), V::I(advice::SEQUENTIAL)]), 0);
    assert_eq!(h.call("fd_advise", &[V::I(fd), V::L(0), V::L(100), V::I(9)]), E_INVAL);
    assert_eq!(h.call("fd_sync", &[V::I(fd)]), 0);
    assert_eq!(h.call("fd_datasync", &[V::I(fd)]), 0);
    let rd = h.open(3, "f", 0, false, false).unwrap();
    assert_eq!(h.call("fd_sync", &[V::I(rd)]), 0);
    // wasi-libc's O_RDONLY rights have FD_SYNC but not FD_DATASYNC; the
    // former covers the latter, as natively.
    assert_eq!(h.call("fd_datasync", &[V::I(rd)]), 0);
    assert_eq!(
        h.call("fd_fdstat_set_rights", &[V::I(rd), V::L(rights::FD_READ | rights::FD_DATASYNC), V::L(0)]),
        E_NOTCAPABLE,
        "a right the descriptor never had cannot be gained"
    );
    assert_eq!(h.call("fd_fdstat_set_rights", &[V::I(rd), V::L(rights::FD_READ | rights::FD_FILESTAT_GET), V::L(0)]), 0);
    assert_eq!(h.call("fd_datasync", &[V::I(rd)]), E_NOTCAPABLE);
    // Append flag round trip.
    assert_eq!(h.call("fd_fdstat_set_flags", &[V::I(fd), V::I(fdflags::APPEND as u32)]), 0);
    assert_eq!(h.call("fd_fdstat_get", &[V::I(fd), V::I(OUT)]), 0);
    assert_eq!(u16::from_le_bytes([h.mem[OUT as usize + 2], h.mem[OUT as usize + 3]]), fdflags::APPEND);
    h.write_fd(fd, b"END").unwrap();
    assert_eq!(fs::metadata(h.sb().join("f")).unwrap().len(), 1003);
    assert_eq!(h.call("fd_fdstat_set_flags", &[V::I(fd), V::I(fdflags::SYNC as u32)]), Errno::NotSup as u16);
    assert_eq!(h.call("fd_fdstat_set_flags", &[V::I(fd), V::I(0x100)]), E_INVAL);
    // Rights can be dropped, not regained.
    assert_eq!(h.call("fd_fdstat_set_rights", &[V::I(rd), V::L(rights::FD_READ), V::L(0)]), 0);
    assert_eq!(h.call("fd_filestat_get", &[V::I(rd), V::I(OUT)]), E_NOTCAPABLE);
    assert_eq!(h.call("fd_fdstat_set_rights", &[V::I(rd), V::L(rights::FD_READ | rights::FD_SEEK), V::L(0)]), E_NOTCAPABLE);
    assert_eq!(h.call("fd_fdstat_set_rights", &[V::I(rd), V::L(0), V::L(0)]), 0);
    assert_eq!(h.read_fd(rd, 1), Err(E_BADF), "without FD_READ");
}

// ---- paths and the sandbox ---------------------------------------------------

#[test]
fn directories_create_rename_link_symlink_readlink_unlink_remove() {
    let mut h = H::new();
    assert_eq!(h.path_call("path_create_directory", 3, "d"), 0);
    assert_eq!(h.path_call("path_create_directory", 3, "d"), Errno::Exist as u16);
    assert_eq!(h.path_call("path_create_directory", 3, "d/e/"), 0);
    assert!(h.sb().join("d/e").is_dir());
    let fd = h.open(3, "d/e/f", oflags::CREAT | oflags::EXCL, true, false).unwrap();
    h.write_fd(fd, b"content").unwrap();
    assert_eq!(h.open(3, "d/e/f", oflags::CREAT | oflags::EXCL, true, false), Err(Errno::Exist as u16));
    // rename d/e/f -> g
    let l1 = h.put(PATH, b"d/e/f");
    let l2 = h.put(PATH2, b"g");
    assert_eq!(h.call("path_rename", &[V::I(3), V::I(PATH), V::I(l1), V::I(3), V::I(PATH2), V::I(l2)]), 0);
    assert_eq!(fs::read(h.sb().join("g")).unwrap(), b"content");
    // hard link g -> h
    let l1 = h.put(PATH, b"g");
    let l2 = h.put(PATH2, b"h");
    assert_eq!(h.call("path_link", &[V::I(3), V::I(0), V::I(PATH), V::I(l1), V::I(3), V::I(PATH2), V::I(l2)]), 0);
    assert_eq!(fs::read(h.sb().join("h")).unwrap(), b"content");
    // symlink s -> g, readlink, open through it.
    let l1 = h.put(PATH, b"g");
    let l2 = h.put(PATH2, b"s");
    assert_eq!(h.call("path_symlink", &[V::I(PATH), V::I(l1), V::I(3), V::I(PATH2), V::I(l2)]), 0);
    let l = h.put(PATH, b"s");
    assert_eq!(h.call("path_readlink", &[V::I(3), V::I(PATH), V::I(l), V::I(BUF), V::I(100), V::I(OUT)]), 0);
    assert_eq!(h.u32_at(OUT), 1);
    assert_eq!(h.mem[BUF as usize], b'g');
    // Truncated readlink.
    assert_eq!(h.call("path_readlink", &[V::I(3), V::I(PATH), V::I(l), V::I(BUF), V::I(0), V::I(OUT)]), 0);
    assert_eq!(h.u32_at(OUT), 0);
    let rfd = h.open(3, "s", 0, false, true).unwrap();
    assert_eq!(h.read_fd(rfd, 100).unwrap(), b"content");
    // Without SYMLINK_FOLLOW the final symlink is not opened.
    assert_eq!(h.open(3, "s", 0, false, false), Err(Errno::Loop as u16));
    // unlink / rmdir and their errors.
    assert_eq!(h.path_call("path_unlink_file", 3, "d"), Errno::IsDir as u16);
    assert_eq!(h.path_call("path_remove_directory", 3, "d"), Errno::NotEmpty as u16);
    assert_eq!(h.path_call("path_remove_directory", 3, "g"), Errno::NotDir as u16);
    assert_eq!(h.path_call("path_unlink_file", 3, "g/"), Errno::NotDir as u16);
    assert_eq!(h.path_call("path_unlink_file", 3, "s"), 0);
    assert!(h.sb().join("g").exists(), "unlinking a symlink leaves its target");
    assert_eq!(h.path_call("path_unlink_file", 3, "g"), 0);
    assert_eq!(h.path_call("path_unlink_file", 3, "g"), E_NOENT);
    assert_eq!(h.path_call("path_remove_directory", 3, "d/e"), 0);
    assert_eq!(h.path_call("path_remove_directory", 3, "d"), 0);
    assert_eq!(h.path_call("path_remove_directory", 3, "."), E_INVAL);
}

#[test]
fn path_calls_need_a_directory_descriptor() {
    let mut h = H::new();
    assert_eq!(h.path_call("path_create_directory", 1, "x"), Errno::NotDir as u16);
    assert_eq!(h.path_call("path_create_directory", 99, "x"), E_BADF);
    assert_eq!(h.open(3, "x", 0x10, false, false), Err(E_INVAL), "unknown oflags");
    assert_eq!(h.open(3, "x", oflags::CREAT | oflags::DIRECTORY, false, false), Err(E_INVAL));
    assert_eq!(h.path_call("path_create_directory", 3, ""), E_NOENT);
    let len = h.put(PATH, b"\xff\xfe");
    assert_eq!(h.call("path_create_directory", &[V::I(3), V::I(PATH), V::I(len)]), Errno::Ilseq as u16);
}

#[test]
fn escapes_through_dotdot_absolute_paths_and_symlinks_are_refused() {
    let mut h = H::new();
    fs::create_dir_all(h.sb().join("sub")).unwrap();
    symlink("../outside", h.sb().join("out")).unwrap();
    symlink("/etc", h.sb().join("etc")).unwrap();
    symlink("sub/../../outside/secret", h.sb().join("sneaky")).unwrap();
    for p in ["../outside/secret", "sub/../../outside/secret", "/etc/passwd", "out/secret", "etc/passwd", "..", "/"] {
        assert_eq!(h.open(3, p, 0, false, true), Err(E_NOTCAPABLE), "{p}");
    }
    assert_eq!(h.open(3, "out", 0, false, true), Err(E_NOTCAPABLE));
    assert_eq!(h.open(3, "sneaky", 0, false, true), Err(E_NOTCAPABLE));
    // Creating through an escaping path is refused the same way and
    // leaves nothing outside.
    assert_eq!(h.open(3, "../outside/new", oflags::CREAT, true, false), Err(E_NOTCAPABLE));
    assert_eq!(h.open(3, "out/new", oflags::CREAT, true, true), Err(E_NOTCAPABLE));
    assert_eq!(h.path_call("path_create_directory", 3, "out/newdir"), E_NOTCAPABLE);
    assert_eq!(h.path_call("path_unlink_file", 3, "out/secret"), E_NOTCAPABLE);
    assert_eq!(h.path_call("path_unlink_file", 3, "../outside/secret"), E_NOTCAPABLE);
    let l1 = h.put(PATH, b"out/secret");
    let l2 = h.put(PATH2, b"stolen");
    assert_eq!(h.call("path_rename", &[V::I(3), V::I(PATH), V::I(l1), V::I(3), V::I(PATH2), V::I(l2)]), E_NOTCAPABLE);
    assert_eq!(h.call("path_link", &[V::I(3), V::I(1), V::I(PATH), V::I(l1), V::I(3), V::I(PATH2), V::I(l2)]), E_NOTCAPABLE);
    let len = h.put(PATH, b"out/secret");
    assert_eq!(h.call("path_filestat_get", &[V::I(3), V::I(1), V::I(PATH), V::I(len), V::I(OUT)]), E_NOTCAPABLE);
    assert_eq!(fs::read(h.tmp.0.join("outside/secret")).unwrap(), b"top secret");
    assert!(!h.tmp.0.join("outside/new").exists());
    assert!(!h.tmp.0.join("outside/newdir").exists());
    // The escaping symlink itself can be inspected and removed.
    let len = h.put(PATH, b"out");
    assert_eq!(h.call("path_filestat_get", &[V::I(3), V::I(0), V::I(PATH), V::I(len), V::I(OUT)]), 0);
    assert_eq!(h.mem[OUT as usize + 16], filetype::SYMBOLIC_LINK);
    assert_eq!(h.path_call("path_unlink_file", 3, "out"), 0);
}

#[test]
fn a_symlink_the_guest_creates_cannot_lead_outside() {
    let mut h = H::new();
    // Relative escape: creating is allowed (it is just a name), following is not.
    let l1 = h.put(PATH, b"../outside");
    let l2 = h.put(PATH2, b"mine");
    assert_eq!(h.call("path_symlink", &[V::I(PATH), V::I(l1), V::I(3), V::I(PATH2), V::I(l2)]), 0);
    assert_eq!(h.open(3, "mine/secret", 0, false, false), Err(E_NOTCAPABLE));
    assert_eq!(h.open(3, "mine", oflags::DIRECTORY, false, true), Err(E_NOTCAPABLE));
    // Absolute target: refused at creation.
    let l1 = h.put(PATH, b"/etc");
    let l2 = h.put(PATH2, b"abs");
    assert_eq!(h.call("path_symlink", &[V::I(PATH), V::I(l1), V::I(3), V::I(PATH2), V::I(l2)]), E_NOTCAPABLE);
    assert!(fs::symlink_metadata(h.sb().join("abs")).is_err());
    // A symlink into the other preopen is still outside this one.
    let l1 = h.put(PATH, b"../ro/data.txt");
    let l2 = h.put(PATH2, b"toro");
    assert_eq!(h.call("path_symlink", &[V::I(PATH), V::I(l1), V::I(3), V::I(PATH2), V::I(l2)]), 0);
    assert_eq!(h.open(3, "toro", 0, false, true), Err(E_NOTCAPABLE));
    // Loops end with ELOOP.
    let l1 = h.put(PATH, b"loop");
    let l2 = h.put(PATH2, b"loop");
    assert_eq!(h.call("path_symlink", &[V::I(PATH), V::I(l1), V::I(3), V::I(PATH2), V::I(l2)]), 0);
    assert_eq!(h.open(3, "loop", 0, false, true), Err(Errno::Loop as u16));
}

#[test]
fn a_directory_opened_below_a_preopen_is_confined_to_itself() {
    let mut h = H::new();
    fs::create_dir_all(h.sb().join("sub")).unwrap();
    fs::write(h.sb().join("top"), "t").unwrap();
    let sub = h.open(3, "sub", oflags::DIRECTORY, false, false).unwrap();
    assert_eq!(h.open(sub, "../top", 0, false, false), Err(E_NOTCAPABLE));
    assert_eq!(h.open(sub, "x", oflags::CREAT, true, false).map(|_| ()), Ok(()));
    assert!(h.sb().join("sub/x").exists());
    // Not a preopen.
    assert_eq!(h.call("fd_prestat_get", &[V::I(sub), V::I(OUT)]), E_BADF);
}

#[test]
fn read_only_grants_refuse_every_change() {
    let mut h = H::new();
    // Reading works, through a subdirectory too.
    let fd = h.open(4, "data.txt", 0, false, false).unwrap();
    assert_eq!(h.read_fd(fd, 100).unwrap(), b"read only data");
    let len = h.put(PATH, b"data.txt");
    assert_eq!(h.call("path_filestat_get", &[V::I(4), V::I(0), V::I(PATH), V::I(len), V::I(OUT)]), 0);
    // Every way of changing something is EPERM.
    assert_eq!(h.open(4, "data.txt", 0, true, false), Err(E_PERM));
    assert_eq!(h.open(4, "new.txt", oflags::CREAT, true, false), Err(E_PERM));
    assert_eq!(h.open(4, "new.txt", oflags::CREAT, false, false), Err(E_PERM));
    assert_eq!(h.open(4, "data.txt", oflags::TRUNC, false, false), Err(E_PERM));
    assert_eq!(h.path_call("path_create_directory", 4, "d"), E_PERM);
    assert_eq!(h.path_call("path_unlink_file", 4, "data.txt"), E_PERM);
    assert_eq!(h.path_call("path_remove_directory", 4, "sub"), E_PERM);
    let l1 = h.put(PATH, b"data.txt");
    let l2 = h.put(PATH2, b"moved.txt");
    assert_eq!(h.call("path_rename", &[V::I(4), V::I(PATH), V::I(l1), V::I(4), V::I(PATH2), V::I(l2)]), E_PERM);
    assert_eq!(h.call("path_symlink", &[V::I(PATH), V::I(l1), V::I(4), V::I(PATH2), V::I(l2)]), E_PERM);
    assert_eq!(h.call("path_link", &[V::I(4), V::I(0), V::I(PATH), V::I(l1), V::I(4), V::I(PATH2), V::I(l2)]), E_PERM);
    // Linking or renaming out of the read-only grant into a writable one
    // would make the file writable: refused.
    assert_eq!(h.call("path_link", &[V::I(4), V::I(0), V::I(PATH), V::I(l1), V::I(3), V::I(PATH2), V::I(l2)]), E_PERM);
    assert_eq!(h.call("path_rename", &[V::I(4), V::I(PATH), V::I(l1), V::I(3), V::I(PATH2), V::I(l2)]), E_PERM);
    assert_eq!(
        h.call(
            "path_filestat_set_times",
            &[V::I(4), V::I(0), V::I(PATH), V::I(l1), V::L(0), V::L(0), V::I(fstflags::MTIM_NOW as u32)]
        ),
        E_PERM
    );
    assert_eq!(h.call("fd_filestat_set_times", &[V::I(fd), V::L(0), V::L(0), V::I(fstflags::MTIM_NOW as u32)]), E_PERM);
    // A descriptor not open for writing: EBADF, as POSIX says.
    assert_eq!(h.call("fd_filestat_set_size", &[V::I(fd), V::L(0)]), E_BADF);
    assert_eq!(h.call("fd_allocate", &[V::I(fd), V::L(0), V::L(10)]), E_BADF);
    // The restriction is inherited by directories opened below.
    let sub = h.open(4, "sub", oflags::DIRECTORY, false, false).unwrap();
    assert_eq!(h.open(sub, "x", oflags::CREAT, true, false), Err(E_PERM));
    assert_eq!(h.path_call("path_create_directory", sub, "d"), E_PERM);
    assert_eq!(fs::read(h.tmp.0.join("ro/data.txt")).unwrap(), b"read only data");
    assert!(!h.tmp.0.join("ro/new.txt").exists());
}

// ---- readdir -----------------------------------------------------------------

/// Reads a whole directory with buffers of `bufsize`, following cookies,
/// and returns the names.
fn list(h: &mut H, fd: u32, bufsize: u32) -> Vec<String> {
    let mut names = Vec::new();
    let mut cookie = 0u64;
    loop {
        assert_eq!(h.call("fd_readdir", &[V::I(fd), V::I(BUF), V::I(bufsize), V::L(cookie), V::I(OUT)]), 0);
        let used = h.u32_at(OUT) as usize;
        let mut at = 0usize;
        let mut progressed = false;
        while at + 24 <= used {
            let b = BUF as usize + at;
            let next = u64::from_le_bytes(h.mem[b..b + 8].try_into().unwrap());
            let namlen = u32::from_le_bytes(h.mem[b + 16..b + 20].try_into().unwrap()) as usize;
            if at + 24 + namlen > used {
                break;
            }
            names.push(String::from_utf8(h.mem[b + 24..b + 24 + namlen].to_vec()).unwrap());
            cookie = next;
            progressed = true;
            at += 24 + namlen;
        }
        if used < bufsize as usize {
            return names;
        }
        assert!(progressed, "buffer of {bufsize} too small for one entry");
    }
}

#[test]
fn readdir_lists_everything_whatever_the_buffer_size() {
    let mut h = H::new();
    let mut want = vec![".".to_string(), "..".to_string()];
    for i in 0..100 {
        let n = format!("file-with-a-longish-name-{i:03}");
        fs::write(h.sb().join(&n), "").unwrap();
        want.push(n);
    }
    fs::create_dir(h.sb().join("subdir")).unwrap();
    want.push("subdir".into());
    want.sort();
    for bufsize in [64u32, 100, 256, 4096, 0x8000] {
        let mut got = list(&mut h, 3, bufsize);
        got.sort();
        assert_eq!(got, want, "buffer {bufsize}");
    }
}

#[test]
fn readdir_types_cookies_and_errors() {
    let mut h = H::new();
    fs::write(h.sb().join("f"), "").unwrap();
    fs::create_dir(h.sb().join("d")).unwrap();
    symlink("f", h.sb().join("l")).unwrap();
    assert_eq!(h.call("fd_readdir", &[V::I(3), V::I(BUF), V::I(4096), V::L(0), V::I(OUT)]), 0);
    let used = h.u32_at(OUT) as usize;
    let mut at = 0;
    let mut types = std::collections::BTreeMap::new();
    let mut cookies = Vec::new();
    while at < used {
        let b = BUF as usize + at;
        let next = u64::from_le_bytes(h.mem[b..b + 8].try_into().unwrap());
        let namlen = u32::from_le_bytes(h.mem[b + 16..b + 20].try_into().unwrap()) as usize;
        let name = String::from_utf8(h.mem[b + 24..b + 24 + namlen].to_vec()).unwrap();
        types.insert(name, h.mem[b + 20]);
        cookies.push(next);
        at += 24 + namlen;
    }
    assert_eq!(cookies, vec![1, 2, 3, 4, 5]);
    assert_eq!(types["f"], filetype::REGULAR_FILE);
    assert_eq!(types["d"], filetype::DIRECTORY);
    assert_eq!(types["l"], filetype::SYMBOLIC_LINK);
    assert_eq!(types["."], filetype::DIRECTORY);
    // A cookie past the end returns nothing.
    assert_eq!(h.call("fd_readdir", &[V::I(3), V::I(BUF), V::I(4096), V::L(99), V::I(OUT)]), 0);
    assert_eq!(h.u32_at(OUT), 0);
    // Errors: not a directory, bad descriptor, buffer out of bounds.
    assert_eq!(h.call("fd_readdir", &[V::I(1), V::I(BUF), V::I(4096), V::L(0), V::I(OUT)]), Errno::NotDir as u16);
    assert_eq!(h.call("fd_readdir", &[V::I(50), V::I(BUF), V::I(4096), V::L(0), V::I(OUT)]), E_BADF);
    assert_eq!(h.call("fd_readdir", &[V::I(3), V::I(MEM as u32 - 10), V::I(4096), V::L(0), V::I(OUT)]), E_FAULT);
}

// ---- poll ----------------------------------------------------------------------

fn put_clock_sub(h: &mut H, at: u32, userdata: u64, id: u32, timeout: u64, flags: u16) {
    h.put(at, &userdata.to_le_bytes());
    h.put(at + 8, &[eventtype::CLOCK]);
    h.put(at + 16, &id.to_le_bytes());
    h.put(at + 24, &timeout.to_le_bytes());
    h.put(at + 32, &0u64.to_le_bytes());
    h.put(at + 40, &flags.to_le_bytes());
}

fn put_fd_sub(h: &mut H, at: u32, userdata: u64, tag: u8, fd: u32) {
    h.put(at, &userdata.to_le_bytes());
    h.put(at + 8, &[tag]);
    h.put(at + 16, &fd.to_le_bytes());
}

/// (userdata, error, type, nbytes) of each returned event.
fn events(h: &H, n: u32) -> Vec<(u64, u16, u8, u64)> {
    (0..n)
        .map(|i| {
            let at = BUF + i * 32;
            (
                h.u64_at(at),
                u16::from_le_bytes([h.mem[at as usize + 8], h.mem[at as usize + 9]]),
                h.mem[at as usize + 10],
                h.u64_at(at + 16),
            )
        })
        .collect()
}

const SUBS: u32 = 0x4000;

#[test]
fn poll_relative_and_absolute_clocks() {
    let mut h = H::new();
    put_clock_sub(&mut h, SUBS, 11, clockid::MONOTONIC, 1_000_000, 0);
    assert_eq!(h.call("poll_oneoff", &[V::I(SUBS), V::I(BUF), V::I(1), V::I(OUT)]), 0);
    assert_eq!(h.u32_at(OUT), 1);
    assert_eq!(events(&h, 1), vec![(11, 0, eventtype::CLOCK, 0)]);
    // An absolute realtime deadline in the past fires at once.
    put_clock_sub(&mut h, SUBS, 12, clockid::REALTIME, 1, subclockflags::ABSTIME);
    assert_eq!(h.call("poll_oneoff", &[V::I(SUBS), V::I(BUF), V::I(1), V::I(OUT)]), 0);
    assert_eq!(events(&h, 1), vec![(12, 0, eventtype::CLOCK, 0)]);
    // Two clocks: only the short one fires.
    put_clock_sub(&mut h, SUBS, 1, clockid::MONOTONIC, 3_600_000_000_000, 0);
    put_clock_sub(&mut h, SUBS + 48, 2, clockid::MONOTONIC, 1_000, 0);
    assert_eq!(h.call("poll_oneoff", &[V::I(SUBS), V::I(BUF), V::I(2), V::I(OUT)]), 0);
    assert_eq!(h.u32_at(OUT), 1);
    assert_eq!(events(&h, 1)[0].0, 2);
}

#[test]
fn poll_files_are_ready_and_bad_subscriptions_carry_errors() {
    let mut h = H::new();
    fs::write(h.sb().join("f"), "0123456789").unwrap();
    let fd = h.open(3, "f", 0, false, false).unwrap();
    h.read_fd(fd, 4).unwrap();
    put_fd_sub(&mut h, SUBS, 1, eventtype::FD_READ, fd);
    put_clock_sub(&mut h, SUBS + 48, 2, clockid::MONOTONIC, 3_600_000_000_000, 0);
    put_fd_sub(&mut h, SUBS + 96, 3, eventtype::FD_READ, 99);
    put_clock_sub(&mut h, SUBS + 144, 4, 77, 0, 0);
    assert_eq!(h.call("poll_oneoff", &[V::I(SUBS), V::I(BUF), V::I(4), V::I(OUT)]), 0);
    assert_eq!(h.u32_at(OUT), 3);
    assert_eq!(
        events(&h, 3),
        vec![(1, 0, eventtype::FD_READ, 6), (3, E_BADF, eventtype::FD_READ, 0), (4, E_INVAL, eventtype::CLOCK, 0)]
    );
}

#[test]
fn poll_pipes_wait_for_data() {
    let (r, w) = rustix::pipe::pipe().unwrap();
    let mut h = H::with(|b| b.stdin(Stdio::Fd(r)));
    put_fd_sub(&mut h, SUBS, 1, eventtype::FD_READ, 0);
    put_clock_sub(&mut h, SUBS + 48, 2, clockid::MONOTONIC, 1_000_000, 0);
    // Nothing to read: the timeout fires.
    assert_eq!(h.call("poll_oneoff", &[V::I(SUBS), V::I(BUF), V::I(2), V::I(OUT)]), 0);
    assert_eq!(events(&h, h.u32_at(OUT)), vec![(2, 0, eventtype::CLOCK, 0)]);
    rustix::io::write(&w, b"abc").unwrap();
    assert_eq!(h.call("poll_oneoff", &[V::I(SUBS), V::I(BUF), V::I(1), V::I(OUT)]), 0);
    assert_eq!(events(&h, h.u32_at(OUT)), vec![(1, 0, eventtype::FD_READ, 3)]);
    drop(w);
    assert_eq!(h.read_fd(0, 10).unwrap(), b"abc");
    // Writer gone: readable with HANGUP.
    assert_eq!(h.call("poll_oneoff", &[V::I(SUBS), V::I(BUF), V::I(1), V::I(OUT)]), 0);
    assert_eq!(h.u32_at(OUT), 1);
    assert_eq!(u16::from_le_bytes([h.mem[BUF as usize + 24], h.mem[BUF as usize + 25]]), eventrwflags::HANGUP);
}

#[test]
fn poll_argument_errors() {
    let mut h = H::new();
    assert_eq!(h.call("poll_oneoff", &[V::I(SUBS), V::I(BUF), V::I(0), V::I(OUT)]), E_INVAL);
    assert_eq!(h.call("poll_oneoff", &[V::I(MEM as u32 - 47), V::I(BUF), V::I(1), V::I(OUT)]), E_FAULT);
    assert_eq!(h.call("poll_oneoff", &[V::I(SUBS), V::I(MEM as u32 - 31), V::I(1), V::I(OUT)]), E_FAULT);
    assert_eq!(h.call("poll_oneoff", &[V::I(SUBS), V::I(BUF), V::I(u32::MAX), V::I(OUT)]), E_FAULT);
    h.put(SUBS + 8, &[9]);
    assert_eq!(h.call("poll_oneoff", &[V::I(SUBS), V::I(BUF), V::I(1), V::I(OUT)]), E_INVAL, "unknown tag");
}

// ---- stdio and sockets -----------------------------------------------------------

#[test]
fn stdio_can_be_any_host_descriptor() {
    let (r, w) = rustix::pipe::pipe().unwrap();
    let mut h = H::with(|b| b.stdout(Stdio::Fd(w)));
    assert_eq!(h.write_fd(1, b"to the pipe"), Ok(11));
    let mut buf = [0u8; 32];
    let n = rustix::io::read(&r, &mut buf[..]).unwrap();
    assert_eq!(&buf[..n], b"to the pipe");
    // A pipe is no character device: not a tty for wasi-libc.
    assert_eq!(h.call("fd_fdstat_get", &[V::I(1), V::I(OUT)]), 0);
    assert_eq!(h.mem[OUT as usize], filetype::UNKNOWN);
    // Seeking a pipe is ESPIPE, as natively.
    assert_eq!(h.call("fd_seek", &[V::I(1), V::L(0), V::I(whence::SET), V::I(OUT)]), Errno::Spipe as u16);
    // Closed stdout: EBADF afterwards.
    assert_eq!(h.call("fd_close", &[V::I(1)]), 0);
    assert_eq!(h.write_fd(1, b"x"), Err(E_BADF));
}

#[test]
fn sockets_are_not_supported_and_say_so() {
    let mut h = H::new();
    assert_eq!(h.call("sock_shutdown", &[V::I(1), V::I(1)]), Errno::NotSock as u16);
    assert_eq!(h.call("sock_accept", &[V::I(9), V::I(0), V::I(OUT)]), E_BADF);
    assert_eq!(h.call("sock_recv", &[V::I(1), V::I(0), V::I(0), V::I(0), V::I(0), V::I(0)]), Errno::NotSock as u16);
    assert_eq!(h.call("sock_send", &[V::I(1), V::I(0), V::I(0), V::I(0), V::I(0)]), Errno::NotSock as u16);
}

#[test]
fn a_socket_descriptor_gets_enotsup() {
    let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    let mut h = H::with(|b| b.stdin(Stdio::Fd(a.into())));
    assert_eq!(h.call("fd_fdstat_get", &[V::I(0), V::I(OUT)]), 0);
    assert_eq!(h.mem[OUT as usize], filetype::SOCKET_STREAM);
    assert_eq!(h.call("sock_shutdown", &[V::I(0), V::I(1)]), Errno::NotSup as u16);
}
