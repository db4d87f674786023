//! One request, one fresh instance: a new store (with the route's memory
//! limit and an interrupt handle for its timeout), WASI with the request
//! as argv/environment/stdin and in-memory stdout/stderr, the module
//! instantiated (or the route's snapshot restored, see `module_snapshot`),
//! the entrypoint called, the outcome classified. Runs on a blocking-pool
//! thread.
//!
//! stdin, stdout and stderr are memfds: regular in-memory files, so the
//! guest never blocks on a pipe nobody drains. stdout and stderr are made
//! their full capacity up front and sealed against growing, so a guest
//! that writes without end gets an error from `fd_write` instead of using
//! the host's memory (untouched pages of a memfd cost nothing); what it
//! wrote is what lies before its file position.

use crate::config::ModuleConfig;
use engine::{Engine, Error, Extern, InterruptHandle, Linker, Module, Store, TrapKind, TrapReason};
use hostabi::wasi::{Access, Stdio, WasiCtx};
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{MemfdFlags, SealFlags};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

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

/// Runs `module` for one request. `on_store` receives the store's
/// interrupt handle as soon as it exists (the caller's timer uses it);
/// `stderr` receives what the guest wrote to its stderr.
pub fn run(
    engine: &Engine,
    module: &Module,
    snapshot: Option<&snapshot::Snapshot>,
    cfg: &ModuleConfig,
    req: Request,
    on_store: impl FnOnce(InterruptHandle),
    stderr: impl FnOnce(&[u8]),
) -> Outcome {
    let mut store = Store::new(engine);
    store.set_memory_limit(cfg.max_memory);
    on_store(store.interrupt_handle());
    let streams = (|| -> std::io::Result<_> {
        let out = capped_output("stdout", MAX_STDOUT)?;
        let err = capped_output("stderr", MAX_STDERR)?;
        Ok((stdin_with(&req.body)?, out.as_fd().try_clone_to_owned()?, out, err.as_fd().try_clone_to_owned()?, err))
    })();
    let (stdin, out_guest, out, err_guest, err) = match streams {
        Ok(s) => s,
        Err(e) => return Outcome::Failed(format!("cannot set up the standard streams: {e}")),
    };
    let mut b = WasiCtx::builder()
        .args(req.argv)
        .stdin(Stdio::Fd(stdin))
        .stdout(Stdio::Fd(out_guest))
        .stderr(Stdio::Fd(err_guest))
        .interrupt(store.interrupt_handle());
    for (k, v) in req.env {
        b = b.env(k, v);
    }
    for (guest, host) in &cfg.volumes {
        b = b.preopened_dir(host, guest.clone(), Access::ReadWrite);
    }
    let mut wasi = match b.build() {
        Ok(w) => w,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    if let Some(s) = snapshot {
        if let Err(e) = s.restore_wasi(&mut wasi) {
            return Outcome::Failed(format!("cannot reopen the snapshot's files: {e}"));
        }
    }
    let outcome = call(&mut store, module, snapshot, &cfg.entrypoint, wasi);
    if let Ok(bytes) = written(&err) {
        if !bytes.is_empty() {
            stderr(&bytes);
        }
    }
    match outcome {
        Ok(()) => match written(&out) {
            Ok(stdout) => Outcome::Done { stdout },
            Err(e) => Outcome::Failed(format!("cannot read the module's stdout: {e}")),
        },
        Err(o) => o,
    }
}

fn call(store: &mut Store, module: &Module, snapshot: Option<&snapshot::Snapshot>, entrypoint: &str, wasi: WasiCtx) -> Result<(), Outcome> {
    let mut linker = Linker::new();
    let state = Arc::new(Mutex::new(wasi));
    hostabi::link(&mut linker, &hostabi::wasi::functions::<WasiCtx>(), &state);
    let classify = |e: Error| match e {
        Error::Trap(t) => match &t.reason {
            TrapReason::Exit(0) => Ok(()),
            TrapReason::Exit(c) => Err(Outcome::Exit(*c)),
            TrapReason::Wasm(TrapKind::Interrupt) => Err(Outcome::Timeout),
            _ => Err(Outcome::Trap(t.to_string())),
        },
        other => Err(Outcome::Failed(other.to_string())),
    };
    let instance = match snapshot {
        Some(s) => match s.restore(store, &linker, module, None) {
            Ok(i) => i,
            Err(e) => return Err(Outcome::Failed(format!("cannot restore the snapshot: {e}"))),
        },
        None => match linker.instantiate(store, module) {
            Ok(i) => i,
            Err(e) => return classify(e),
        },
    };
    let func = match instance.get_export(store, entrypoint) {
        Some(Extern::Func(f)) => f,
        _ => return Err(Outcome::Failed(format!("the module exports no function `{entrypoint}`"))),
    };
    match func.call(store, &[]) {
        Ok(_) => Ok(()),
        Err(e) => classify(e),
    }
}
