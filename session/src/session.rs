//! One guest: its store (memory cap, interrupt handle, deadline), its WASI
//! context, the Faasm host interface when it makes Faasm calls, the
//! dynamic loader when it links side modules, and the linker that joins
//! them; started fresh or from a snapshot, then called.
//!
//! The order of set-up matters and is kept here once: WASI and Faasm are
//! linked before the loader is given the linker (side modules may import
//! them), the loader's `env.dl*` before unknown imports are made up (so
//! that only what nobody defines is), and the deadline is armed last, so
//! that it covers the guest's own code (its start function too) and not
//! the loading of its module.

use crate::error::SessionError;
use crate::host::Host;
use crate::outcome::Outcome;
use crate::spec::{GuestSpec, Timeout};
use crate::unknown_imports;
use engine::{Extern, Func, Instance, InterruptHandle, Linker, Module, Store, Val};
use hostabi::faasm::FaasmCtx;
use hostabi::wasi::WasiCtx;
use loader::saved_libraries::PreparedLibraries;
use snapshot::take::Source;
use snapshot::Snapshot;
use std::sync::{Arc, Mutex};

/// How a guest begins.
#[derive(Clone, Copy)]
pub enum Start<'a> {
    /// A new instance: segments, start function, side modules linked
    /// later as the guest opens them.
    Fresh,
    /// The state a snapshot holds; its side modules from `libraries`
    /// (compiled once by whoever restores it often) or compiled now.
    Restore { snapshot: &'a Snapshot, libraries: Option<&'a PreparedLibraries> },
}

pub struct Session {
    /// Shown in errors: the guest's `argv[0]`.
    name: String,
    module: Module,
    store: Store,
    linker: Linker,
    wasi: Arc<Mutex<WasiCtx>>,
    faasm: Option<Arc<Mutex<FaasmCtx>>>,
    loader: Option<loader::Loader>,
    instance: Option<Instance>,
    deadline: Option<engine::Deadline>,
}

impl Session {
    /// Sets up `module` as `spec` describes, ready to [`Session::start`].
    pub fn new(host: &Host, module: &Module, spec: GuestSpec) -> Result<Session, SessionError> {
        if spec.timeout != Timeout::None && !host.interrupt_checks() {
            return Err(SessionError::NoInterruptChecks);
        }
        let name = spec.args.first().cloned().unwrap_or_default();
        let mut store = Store::new(host.engine());
        store.set_memory_limit(spec.memory_limit);
        let mut b = WasiCtx::builder()
            .args(spec.args)
            .stdin(spec.stdin)
            .stdout(spec.stdout)
            .stderr(spec.stderr)
            .interrupt(store.interrupt_handle());
        for (k, v) in spec.env {
            b = b.env(k, v);
        }
        for v in spec.volumes {
            b = b.preopened_dir(v.host, v.guest, v.access);
        }
        let wasi = Arc::new(Mutex::new(b.build()?));
        let mut linker = Linker::new();
        hostabi::link(&mut linker, &hostabi::wasi::functions::<WasiCtx>(), &wasi);
        let faasm = spec.faasm.map(|ctx| {
            let ctx = Arc::new(Mutex::new(ctx));
            hostabi::faasm::link(&mut linker, &ctx);
            ctx
        });
        let loader =
            if spec.dynamic_loading && imports_dlopen(module) { Some(dynamic_loader(host, &wasi, &mut linker)?) } else { None };
        unknown_imports::define(&mut linker, module, spec.unknown_imports);
        let deadline = spec.timeout.remaining().map(|left| store.interrupt_handle().interrupt_after(left));
        Ok(Session { name, module: module.clone(), store, linker, wasi, faasm, loader, instance: None, deadline })
    }

    /// Instantiates the module, or restores a snapshot into it. A trap
    /// (in a start function or segment) or the deadline is the `Err`
    /// outcome, as is a failure to link.
    pub fn start(&mut self, how: Start<'_>) -> Result<Instance, Outcome> {
        let instance = match how {
            Start::Fresh => {
                let i = match self.linker.instantiate(&mut self.store, &self.module) {
                    Ok(i) => i,
                    Err(e) => {
                        let module = self.name.clone();
                        return Err(self.outcome_of(e, |cause| SessionError::Instantiate { module, cause }));
                    }
                };
                if let Some(l) = &self.loader {
                    // A main module without the exports side modules need
                    // still runs; its dlopen calls then fail with dlerror()
                    // saying what is missing.
                    if let Err(e) = l.attach(&self.store, i) {
                        tracing::debug!("{}: no dynamic loading: {e}", self.name);
                    }
                }
                i
            }
            Start::Restore { snapshot, libraries } => self.restore(snapshot, libraries).map_err(Outcome::Failed)?,
        };
        if let Some(ctx) = &self.faasm {
            // The host interface allocates results in the guest with its
            // own allocator (`__faasm_await_call_output`).
            let malloc = instance.get_func(&self.store, "malloc");
            ctx.lock().map_err(|_| Outcome::Failed(SessionError::Poisoned("Faasm")))?.malloc = malloc;
        }
        self.instance = Some(instance);
        Ok(instance)
    }

    fn restore(&mut self, snap: &Snapshot, libraries: Option<&PreparedLibraries>) -> Result<Instance, SessionError> {
        self.wasi
            .lock()
            .map_err(|_| SessionError::Poisoned("WASI"))?
            .restore_state(&snap.meta.wasi)
            .map_err(snapshot::SnapshotError::from)?;
        let compiled;
        let libraries = match (&self.loader, &snap.meta.loader) {
            (Some(loader), Some(state)) => {
                let prepared = match libraries {
                    Some(p) => p,
                    None => {
                        compiled = loader.prepare(state)?;
                        &compiled
                    }
                };
                Some(snapshot::restore::Libraries { loader, prepared })
            }
            _ => None,
        };
        Ok(snap.restore(&mut self.store, &self.linker, &self.module, libraries)?)
    }

    /// Calls the started guest's export `name` with `params`.
    pub fn call(&mut self, name: &str, params: &[Val]) -> Outcome {
        match self.func(name) {
            Ok(f) => self.call_func(f, name, params),
            Err(e) => Outcome::Failed(e),
        }
    }

    /// Calls `func` of the started guest (an export, a table entry), shown
    /// as `name` in errors.
    pub fn call_func(&mut self, func: Func, name: &str, params: &[Val]) -> Outcome {
        match func.call(&mut self.store, params) {
            Ok(results) => Outcome::Returned(results),
            Err(e) => {
                let name = name.to_owned();
                self.outcome_of(e, |cause| SessionError::Call { name, cause })
            }
        }
    }

    /// Starts the guest as `how` says and calls `entry` without parameters.
    /// The session stays for what the caller reads afterwards (the Faasm
    /// output, the store).
    pub fn run(&mut self, how: Start<'_>, entry: &str) -> Outcome {
        match self.start(how) {
            Ok(_) => self.call(entry, &[]),
            Err(o) => o,
        }
    }

    /// Runs the started guest's export `init` as its initialisation and
    /// captures the state it left (memory, globals, tables, open files,
    /// side modules): a snapshot to restore with [`Start::Restore`].
    pub fn take_snapshot(&mut self, init: &str, source: Source<'_>) -> Result<Snapshot, SessionError> {
        let instance = self.instance.ok_or(SessionError::NotStarted)?;
        Ok(snapshot::take::take(&mut self.store, instance, init, &self.wasi, self.loader.as_ref(), source)?)
    }

    /// The side modules of `snap`, compiled once, for many restores.
    pub fn prepare_libraries(&self, snap: &Snapshot) -> Result<Option<PreparedLibraries>, SessionError> {
        match (&self.loader, &snap.meta.loader) {
            (Some(l), Some(state)) => Ok(Some(l.prepare(state)?)),
            _ => Ok(None),
        }
    }

    /// The started guest's exported function `name`.
    pub fn func(&self, name: &str) -> Result<Func, SessionError> {
        let instance = self.instance.ok_or(SessionError::NotStarted)?;
        match instance.get_export(&self.store, name) {
            Some(Extern::Func(f)) => Ok(f),
            _ => Err(SessionError::NoExport { module: self.name.clone(), name: name.to_owned() }),
        }
    }

    /// The started guest's instance (its main module's).
    pub fn instance(&self) -> Option<Instance> {
        self.instance
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Stops the guest from another thread (a client that went away): its
    /// run ends as a trap, not a timeout.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.store.interrupt_handle()
    }

    /// The Faasm host interface's state (output, locks), for a Faasm call.
    pub fn faasm(&self) -> Option<&Arc<Mutex<FaasmCtx>>> {
        self.faasm.as_ref()
    }

    fn outcome_of(&self, e: engine::Error, otherwise: impl FnOnce(engine::Error) -> SessionError) -> Outcome {
        let fired = self.deadline.as_ref().is_some_and(engine::Deadline::has_fired);
        Outcome::of_error(e, fired, otherwise)
    }
}

/// Whether a main module links side modules (imports `env.dlopen` & co.).
fn imports_dlopen(module: &Module) -> bool {
    module.imports().any(|i| i.module == "env" && i.name.starts_with("dl"))
}

/// A dynamic loader whose side modules are opened inside the guest's WASI
/// sandbox and compiled through the host's cache, and may import what the
/// main module may (WASI, Faasm) besides the main module's exports.
fn dynamic_loader(host: &Host, wasi: &Arc<Mutex<WasiCtx>>, linker: &mut Linker) -> Result<loader::Loader, SessionError> {
    let wasi = Arc::clone(wasi);
    let open = move |path: &str| -> Result<std::fs::File, String> {
        let ctx = wasi.lock().map_err(|_| "the WASI state is poisoned".to_owned())?;
        ctx.open_guest_file(path).map_err(hostabi::wasi::describe_errno)
    };
    let l = loader::Loader::new(loader::Config {
        engine: host.engine().clone(),
        cache: host.cache().cloned(),
        open: Box::new(open),
        verbose: host.dynload_verbose(),
    });
    l.set_host_imports(linker.clone())?;
    l.define(linker);
    Ok(l)
}
