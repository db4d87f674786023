//! WASI preview1 (`wasi_snapshot_preview1`), all 46 functions.
//!
//! The state is a [`WasiCtx`] (built with [`WasiCtxBuilder`]); the table of
//! host functions is [`functions`], generic over any embedder state that can
//! lend a `WasiCtx` ([`WasiView`]). Each area has its own file: `args`,
//! `clock`, `random`, `fd` (descriptor I/O and metadata), `dir`
//! (`fd_readdir`), `path` (everything taking a path), `sandbox` (how paths
//! are kept inside preopened directories), `poll`, `proc`, `sock`.
//!
//! Choices where preview1 leaves room (tests/wasi.rs lists each place
//! where they differ from wasmtime-wasi):
//! * A path that would leave its directory (`..` past the root, an
//!   absolute path, a symlink leading out) is `NotCapable`, the errno
//!   wasi-libc itself gives for a path under no preopen. A change under a
//!   read-only grant is `Perm`. Reading a descriptor without `FD_READ` or
//!   writing one without `FD_WRITE` is `Badf`, as POSIX says; other missing
//!   rights are `NotCapable`.
//! * Creating a symlink with an absolute target is refused (it could never
//!   be followed inside the sandbox, and host programs would follow it).
//! * Every guest pointer and length is checked before any side effect and
//!   is `Fault` when out of range; an argument outside its enum or flag set
//!   is `Inval` (never a trap).
//! * `poll_oneoff` reports an unusable subscription (bad descriptor,
//!   unknown or CPU-time clock) as an event carrying the error.
//! * `fd_pwrite` on an `O_APPEND` descriptor is `NotSup`: Linux would append
//!   instead of writing at the offset.
//! * The CPU-time clocks are real (`CLOCK_PROCESS_CPUTIME_ID`,
//!   `CLOCK_THREAD_CPUTIME_ID`); `fd_allocate` really reserves space.
//! * `proc_raise` applies the signal's default action: terminating
//!   signals end the guest with exit status 128 + signal number.
//! * `sock_*` answer `NotSup` on sockets (the host never hands any out).

mod args;
mod clock;
mod ctx;
mod dir;
mod errno;
mod fd;
mod host_open;
mod interrupt;
mod open_files;
mod path;
mod poll;
mod proc;
mod random;
mod sandbox;
mod sock;
pub mod types;

pub use ctx::{Access, BuildError, Stdio, WasiCtx, WasiCtxBuilder, WasiView};
pub use host_open::describe as describe_errno;
pub use open_files::{OpenFile, SnapshotError, WasiState};
pub use types::Errno;

/// The import module name.
pub const MODULE: &str = "wasi_snapshot_preview1";

crate::host_functions! {
    /// Every `wasi_snapshot_preview1` function, in witx order.
    pub fn functions<S: WasiView>() for "wasi_snapshot_preview1" via wasi {
        fn args_get(argv: u32, argv_buf: u32) -> errno = args::args_get;
        fn args_sizes_get(argc: u32, argv_buf_size: u32) -> errno = args::args_sizes_get;
        fn environ_get(environ: u32, environ_buf: u32) -> errno = args::environ_get;
        fn environ_sizes_get(count: u32, buf_size: u32) -> errno = args::environ_sizes_get;
        fn clock_res_get(id: u32, out: u32) -> errno = clock::clock_res_get;
        fn clock_time_get(id: u32, precision: u64, out: u32) -> errno = clock::clock_time_get;
        fn fd_advise(fd: u32, offset: u64, len: u64, advice: u32) -> errno = fd::fd_advise;
        fn fd_allocate(fd: u32, offset: u64, len: u64) -> errno = fd::fd_allocate;
        fn fd_close(fd: u32) -> errno = fd::fd_close;
        fn fd_datasync(fd: u32) -> errno = fd::fd_datasync;
        fn fd_fdstat_get(fd: u32, out: u32) -> errno = fd::fd_fdstat_get;
        fn fd_fdstat_set_flags(fd: u32, flags: u32) -> errno = fd::fd_fdstat_set_flags;
        fn fd_fdstat_set_rights(fd: u32, base: u64, inheriting: u64) -> errno = fd::fd_fdstat_set_rights;
        fn fd_filestat_get(fd: u32, out: u32) -> errno = fd::fd_filestat_get;
        fn fd_filestat_set_size(fd: u32, size: u64) -> errno = fd::fd_filestat_set_size;
        fn fd_filestat_set_times(fd: u32, atim: u64, mtim: u64, flags: u32) -> errno = fd::fd_filestat_set_times;
        fn fd_pread(fd: u32, iovs: u32, iovs_len: u32, offset: u64, nread: u32) -> errno = fd::fd_pread;
        fn fd_prestat_get(fd: u32, out: u32) -> errno = fd::fd_prestat_get;
        fn fd_prestat_dir_name(fd: u32, path: u32, path_len: u32) -> errno = fd::fd_prestat_dir_name;
        fn fd_pwrite(fd: u32, iovs: u32, iovs_len: u32, offset: u64, nwritten: u32) -> errno = fd::fd_pwrite;
        fn fd_read(fd: u32, iovs: u32, iovs_len: u32, nread: u32) -> errno = fd::fd_read;
        fn fd_readdir(fd: u32, buf: u32, buf_len: u32, cookie: u64, bufused: u32) -> errno = dir::fd_readdir;
        fn fd_renumber(fd: u32, to: u32) -> errno = fd::fd_renumber;
        fn fd_seek(fd: u32, offset: u64, whence: u32, newoffset: u32) -> errno = fd::fd_seek;
        fn fd_sync(fd: u32) -> errno = fd::fd_sync;
        fn fd_tell(fd: u32, out: u32) -> errno = fd::fd_tell;
        fn fd_write(fd: u32, iovs: u32, iovs_len: u32, nwritten: u32) -> errno = fd::fd_write;
        fn path_create_directory(fd: u32, path: u32, path_len: u32) -> errno = path::path_create_directory;
        fn path_filestat_get(fd: u32, flags: u32, path: u32, path_len: u32, out: u32) -> errno = path::path_filestat_get;
        fn path_filestat_set_times(fd: u32, flags: u32, path: u32, path_len: u32, atim: u64, mtim: u64, fst_flags: u32) -> errno = path::path_filestat_set_times;
        fn path_link(old_fd: u32, old_flags: u32, old_path: u32, old_path_len: u32, new_fd: u32, new_path: u32, new_path_len: u32) -> errno = path::path_link;
        fn path_open(fd: u32, dirflags: u32, path: u32, path_len: u32, oflags: u32, rights_base: u64, rights_inheriting: u64, fdflags: u32, out: u32) -> errno = path::path_open;
        fn path_readlink(fd: u32, path: u32, path_len: u32, buf: u32, buf_len: u32, bufused: u32) -> errno = path::path_readlink;
        fn path_remove_directory(fd: u32, path: u32, path_len: u32) -> errno = path::path_remove_directory;
        fn path_rename(fd: u32, old_path: u32, old_path_len: u32, new_fd: u32, new_path: u32, new_path_len: u32) -> errno = path::path_rename;
        fn path_symlink(old_path: u32, old_path_len: u32, fd: u32, new_path: u32, new_path_len: u32) -> errno = path::path_symlink;
        fn path_unlink_file(fd: u32, path: u32, path_len: u32) -> errno = path::path_unlink_file;
        fn poll_oneoff(subs: u32, events: u32, nsubscriptions: u32, nevents: u32) -> errno = poll::poll_oneoff;
        fn proc_exit(code: u32) -> never = proc::proc_exit;
        fn proc_raise(sig: u32) -> errno_or_trap = proc::proc_raise;
        fn sched_yield() -> errno = proc::sched_yield;
        fn random_get(buf: u32, buf_len: u32) -> errno = random::random_get;
        fn sock_accept(fd: u32, flags: u32, out: u32) -> errno = sock::sock_accept;
        fn sock_recv(fd: u32, ri_data: u32, ri_data_len: u32, ri_flags: u32, ro_datalen: u32, ro_flags: u32) -> errno = sock::sock_recv;
        fn sock_send(fd: u32, si_data: u32, si_data_len: u32, si_flags: u32, so_datalen: u32) -> errno = sock::sock_send;
        fn sock_shutdown(fd: u32, how: u32) -> errno = sock::sock_shutdown;
    }
}

#[cfg(test)]
mod tests;
