//! One request, one guest session (the `session` crate): the route's
//! memory limit and timeout (the engine's deadline), WASI with the request
//! as argv/environment/stdin and in-memory stdout/stderr, the module
//! instantiated (or the route's snapshot restored, see `route_snapshot`),
//! the entrypoint called; the session's typed outcome becomes the
//! response's. Runs on a blocking-pool thread.
//!
//! stdin, stdout and stderr are memfds: regular in-memory files, so the
//! guest never blocks on a pipe nobody drains. stdout and stderr are made
//! their full capacity up front and sealed against growing, so a guest
//! that writes without end gets an error from `fd_write` instead of using
//! the host's memory (untouched pages of a memfd cost nothing); what it
//! wrote is what lies before its file position.

use crate::config::ModuleConfig;
use engine::Module;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{MemfdFlags, SealFlags};
use session::{Access, GuestSpec, Host, Session, Start, Stdio, Timeout};
use std::collections::BTreeMap;

/// Most bytes of stdout a request may produce.
pub const MAX_STDOUT: u64 = 64 << 20;
/// Most bytes of stderr kept for the log per request.
pub const MAX_STDERR: u64 = 1 << 20;

/// How a request's module run ended.
#[derive(Debug)]
pub enum Outcome {
    /// The entrypoint returned, or the guest exited with status 0.
    Done { stdout: Vec<u8> },
    /// The guest exited with a non-zero status.
    Exit(i32),
    /// A function route's call ended (0 is success): its output, and what
    /// went wrong if it failed.
    Function { return_code: i32, output: Vec<u8>, error: Option<String> },
    /// Stopped by the route's timeout.
    Timeout,
    /// A wasm trap or a failing host function.
    Trap(String),
    /// The instance could not be set up (linking, memory limit, streams).
    Failed(String),
}

/// Everything one run needs besides the module.
pub struct Request {
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

fn memfd(name: &str) -> std::io::Result<OwnedFd> {
    Ok(rustix::fs::memfd_create(name, MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)?)
}

/// An output memfd holding at most `cap` bytes.
fn capped_output(name: &str, cap: u64) -> std::io::Result<OwnedFd> {
    let fd = memfd(name)?;
    rustix::fs::ftruncate(&fd, cap)?;
    rustix::fs::fcntl_add_seals(&fd, SealFlags::GROW | SealFlags::SHRINK)?;
    Ok(fd)
}

/// What was written to an output memfd: the bytes before its position.
fn written(fd: &OwnedFd) -> std::io::Result<Vec<u8>> {
    let len = rustix::fs::tell(fd)?;
    let mut out = vec![0u8; len as usize];
    let mut done = 0;
    while done < out.len() {
        let n = rustix::io::pread(fd, &mut out[done..], done as u64)?;
        if n == 0 {
            break;
        }
        done += n;
    }
    out.truncate(done);
    Ok(out)
}

fn stdin_with(body: &[u8]) -> std::io::Result<OwnedFd> {
    let fd = memfd("stdin")?;
    let mut done = 0;
    while done < body.len() {
        done += rustix::io::write(&fd, &body[done..])?;
    }
    rustix::fs::seek(&fd, rustix::fs::SeekFrom::Start(0))?;
    Ok(fd)
}

/// What every guest of a module route is given, its initialisation's
/// too: the route's limits, unknown-import policy and volumes. Module
/// routes link statically (see `route_snapshot`).
pub(crate) fn route_guest(cfg: &ModuleConfig, argv0: String) -> GuestSpec {
    let mut spec = GuestSpec::new(argv0)
        .memory_limit(cfg.max_memory)
        .timeout(Timeout::after(cfg.timeout))
        .unknown_imports(cfg.unknown_imports)
        .dynamic_loading(false);
    for (guest, host_dir) in &cfg.volumes {
        spec = spec.volume(host_dir, guest.clone(), Access::ReadWrite);
    }
    spec
}

/// Runs `module` for one request; `stderr` receives what the guest wrote
/// to its stderr.
pub fn run(
    host: &Host,
    module: &Module,
    snapshot: Option<&snapshot::Snapshot>,
    cfg: &ModuleConfig,
    req: Request,
    stderr: impl FnOnce(&[u8]),
) -> Outcome {
    let streams = (|| -> std::io::Result<_> {
        let out = capped_output("stdout", MAX_STDOUT)?;
        let err = capped_output("stderr", MAX_STDERR)?;
        Ok((stdin_with(&req.body)?, out.as_fd().try_clone_to_owned()?, out, err.as_fd().try_clone_to_owned()?, err))
    })();
    let (stdin, out_guest, out, err_guest, err) = match streams {
        Ok(s) => s,
        Err(e) => return Outcome::Failed(format!("cannot set up the standard streams: {e}")),
    };
    let mut argv = req.argv.into_iter();
    let spec = route_guest(cfg, argv.next().unwrap_or_default()).args(argv).envs(req.env).stdio(
        Stdio::Fd(stdin),
        Stdio::Fd(out_guest),
        Stdio::Fd(err_guest),
    );
    let outcome = match Session::new(host, module, spec) {
        Ok(mut s) => {
            let start = match snapshot {
                Some(snapshot) => Start::Restore { snapshot, libraries: None },
                None => Start::Fresh,
            };
            s.run(start, &cfg.entrypoint)
        }
        Err(e) => session::Outcome::Failed(e),
    };
    if let Ok(bytes) = written(&err) {
        if !bytes.is_empty() {
            stderr(&bytes);
        }
    }
    match outcome {
        session::Outcome::Returned(_) | session::Outcome::Exited(0) => match written(&out) {
            Ok(stdout) => Outcome::Done { stdout },
            Err(e) => Outcome::Failed(format!("cannot read the module's stdout: {e}")),
        },
        session::Outcome::Exited(c) => Outcome::Exit(c),
        session::Outcome::TimedOut => Outcome::Timeout,
        session::Outcome::Trapped(t) => Outcome::Trap(t.to_string()),
        session::Outcome::Failed(e) => Outcome::Failed(e.to_string()),
    }
}
