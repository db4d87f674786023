//! WASI configuration (`faasm_wasi_config_t`): arguments, environment,
//! preopened directories, and where the guest's stdin/stdout/stderr go
//! (inherited from the host process, a file, or nothing: `/dev/null`, the
//! default). The configuration is turned into hostabi's `WasiCtx` when a
//! linker takes it (`faasm_linker_define_wasi`).

use crate::error::{faasm_error_t, new_error};
use crate::ffi::{c_str, from_c, guard, guard_or, ptr_mut, to_c};
use hostabi::wasi::{Access, Stdio, WasiCtx};
use std::fs::OpenOptions;
use std::os::fd::OwnedFd;
use std::path::PathBuf;

#[derive(Default)]
pub struct faasm_wasi_config_t {
    args: Vec<String>,
    env: Vec<(String, String)>,
    dirs: Vec<(PathBuf, String, Access)>,
    stdio: [Option<StdioSpec>; 3],
}

enum StdioSpec {
    Inherit,
    File(OwnedFd),
}

impl faasm_wasi_config_t {
    /// The context this configuration describes.
    pub fn build(self) -> Result<WasiCtx, String> {
        let mut b = WasiCtx::builder().args(self.args);
        for (k, v) in self.env {
            b = b.env(k, v);
        }
        for (host, guest, access) in self.dirs {
            b = b.preopened_dir(host, guest, access);
        }
        let [i, o, e] = self.stdio;
        let conv = |s: Option<StdioSpec>| match s {
            None => Stdio::Null,
            Some(StdioSpec::Inherit) => Stdio::Inherit,
            Some(StdioSpec::File(fd)) => Stdio::Fd(fd),
        };
        b = b.stdin(conv(i)).stdout(conv(o)).stderr(conv(e));
        b.build().map_err(|e| e.to_string())
    }
}

#[no_mangle]
pub extern "C" fn faasm_wasi_config_new() -> *mut faasm_wasi_config_t {
    guard(std::ptr::null_mut(), || to_c(faasm_wasi_config_t::default()))
}

#[no_mangle]
pub unsafe extern "C" fn faasm_wasi_config_delete(c: *mut faasm_wasi_config_t) {
    // SAFETY: NULL or a config of ours, given up.
    guard((), || drop(unsafe { from_c(c) }))
}

/// Appends one argument (the first is the program name, `argv[0]`).
#[no_mangle]
pub unsafe extern "C" fn faasm_wasi_config_push_arg(c: *mut faasm_wasi_config_t, arg: *const std::os::raw::c_char) -> bool {
    guard(false, || {
        // SAFETY: NULL or our config; NULL or a C string.
        match (unsafe { ptr_mut(c) }, unsafe { c_str(arg) }) {
            (Some(c), Some(a)) => {
                c.args.push(a.to_owned());
                true
            }
            _ => false,
        }
    })
}

/// Adds `KEY=VALUE` to the guest's environment.
#[no_mangle]
pub unsafe extern "C" fn faasm_wasi_config_push_env(
    c: *mut faasm_wasi_config_t,
    key: *const std::os::raw::c_char,
    value: *const std::os::raw::c_char,
) -> bool {
    guard(false, || {
        // SAFETY: NULL or our config; NULL or C strings.
        match (unsafe { ptr_mut(c) }, unsafe { c_str(key) }, unsafe { c_str(value) }) {
            (Some(c), Some(k), Some(v)) if !k.contains('=') => {
                c.env.push((k.to_owned(), v.to_owned()));
                true
            }
            _ => false,
        }
    })
}

/// Grants the host directory `host` to the guest as `guest`. The directory
/// is opened when the configuration is used (an error then names it).
#[no_mangle]
pub unsafe extern "C" fn faasm_wasi_config_preopen_dir(
    c: *mut faasm_wasi_config_t,
    host: *const std::os::raw::c_char,
    guest: *const std::os::raw::c_char,
    read_only: bool,
) -> bool {
    guard(false, || {
        // SAFETY: NULL or our config; NULL or C strings.
        match (unsafe { ptr_mut(c) }, unsafe { c_str(host) }, unsafe { c_str(guest) }) {
            (Some(c), Some(h), Some(g)) => {
                let access = if read_only { Access::ReadOnly } else { Access::ReadWrite };
                c.dirs.push((PathBuf::from(h), g.to_owned(), access));
                true
            }
            _ => false,
        }
    })
}

/// Stream 0, 1 or 2 of the guest inherits the host process's.
#[no_mangle]
pub unsafe extern "C" fn faasm_wasi_config_inherit(c: *mut faasm_wasi_config_t, stream: u32) -> bool {
    guard(false, || {
        // SAFETY: NULL or our config.
        match (unsafe { ptr_mut(c) }, stream) {
            (Some(c), 0..=2) => {
                c.stdio[stream as usize] = Some(StdioSpec::Inherit);
                true
            }
            _ => false,
        }
    })
}

/// Stream 0, 1 or 2 of the guest is the file at `path`: stdin reads it;
/// stdout and stderr create or truncate it. Opened now, so that an error
/// (with the reason) comes from here.
#[no_mangle]
pub unsafe extern "C" fn faasm_wasi_config_file(
    c: *mut faasm_wasi_config_t,
    stream: u32,
    path: *const std::os::raw::c_char,
) -> *mut faasm_error_t {
    guard_or(
        || new_error("internal error in faasm_wasi_config_file".into()),
        || {
            // SAFETY: NULL or our config; NULL or a C string.
            let (Some(c), Some(p)) = (unsafe { ptr_mut(c) }, unsafe { c_str(path) }) else {
                return new_error("faasm_wasi_config_file: NULL config or path".into());
            };
            if stream > 2 {
                return new_error(format!("faasm_wasi_config_file: stream {stream} is not 0, 1 or 2"));
            }
            let file = if stream == 0 {
                OpenOptions::new().read(true).open(p)
            } else {
                OpenOptions::new().write(true).create(true).truncate(true).open(p)
            };
            match file {
                Ok(f) => {
                    c.stdio[stream as usize] = Some(StdioSpec::File(f.into()));
                    std::ptr::null_mut()
                }
                Err(e) => new_error(format!("cannot open {p}: {e}")),
            }
        },
    )
}
