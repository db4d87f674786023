//! What a guest is given: the one description every caller fills in
//! (`faasm-engine run`, a served request, a Faasm call, ...) and a
//! [`crate::Session`] sets up.

use hostabi::faasm::FaasmCtx;
use hostabi::wasi::{Access, Stdio};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A host directory the guest sees at `guest` (granted in the order given:
/// a snapshot's open descriptors are numbered by it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    pub host: PathBuf,
    pub guest: String,
    pub access: Access,
}

/// How long the guest may run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Timeout {
    /// No limit.
    #[default]
    None,
    /// This long from when the session is set up (its start function and
    /// its calls count, loading the module does not).
    After(Duration),
    /// Until this instant (a chained call inherits what is left of its
    /// caller's budget).
    At(Instant),
}

/// What becomes of a function import that nothing defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum UnknownImports {
    /// Linking fails, naming the import (the default, as in wasmtime).
    #[default]
    Reject,
    /// The import is a function that traps when called, naming itself.
    Trap,
    /// The import is a function that returns zeros (null references).
    Default,
}

/// Everything a guest is given besides its module.
pub struct GuestSpec {
    /// `argv`, `argv[0]` included.
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub stdin: Stdio,
    pub stdout: Stdio,
    pub stderr: Stdio,
    pub volumes: Vec<Volume>,
    /// Bytes each linear memory may grow to (`memory.grow` past it fails).
    pub memory_limit: Option<u64>,
    pub timeout: Timeout,
    pub unknown_imports: UnknownImports,
    /// The Faasm host interface (`env.__faasm_*`), for a Faasm call.
    pub faasm: Option<FaasmCtx>,
    /// Whether a main module importing `env.dlopen` gets the dynamic
    /// loader (side modules opened inside its sandbox). On by default.
    pub dynamic_loading: bool,
}

impl GuestSpec {
    /// A guest called `argv0`, given nothing else: no arguments, no
    /// environment, no directories, standard streams to `/dev/null`.
    pub fn new(argv0: impl Into<String>) -> GuestSpec {
        GuestSpec {
            args: vec![argv0.into()],
            env: Vec::new(),
            stdin: Stdio::Null,
            stdout: Stdio::Null,
            stderr: Stdio::Null,
            volumes: Vec::new(),
            memory_limit: None,
            timeout: Timeout::None,
            unknown_imports: UnknownImports::Reject,
            faasm: None,
            dynamic_loading: true,
        }
    }

    pub fn args<I: IntoIterator<Item = T>, T: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn envs<I: IntoIterator<Item = (K, V)>, K: Into<String>, V: Into<String>>(mut self, envs: I) -> Self {
        self.env.extend(envs.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The host process's own standard streams.
    pub fn inherit_stdio(self) -> Self {
        self.stdio(Stdio::Inherit, Stdio::Inherit, Stdio::Inherit)
    }

    pub fn stdio(mut self, stdin: Stdio, stdout: Stdio, stderr: Stdio) -> Self {
        self.stdin = stdin;
        self.stdout = stdout;
        self.stderr = stderr;
        self
    }

    pub fn volume(mut self, host: impl Into<PathBuf>, guest: impl Into<String>, access: Access) -> Self {
        self.volumes.push(Volume { host: host.into(), guest: guest.into(), access });
        self
    }

    pub fn memory_limit(mut self, bytes: Option<u64>) -> Self {
        self.memory_limit = bytes;
        self
    }

    pub fn timeout(mut self, timeout: Timeout) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn unknown_imports(mut self, policy: UnknownImports) -> Self {
        self.unknown_imports = policy;
        self
    }

    pub fn faasm(mut self, ctx: FaasmCtx) -> Self {
        self.faasm = Some(ctx);
        self
    }

    pub fn dynamic_loading(mut self, on: bool) -> Self {
        self.dynamic_loading = on;
        self
    }
}

impl GuestSpec {
    /// Fails as setting the guest up would on a granted directory that
    /// cannot be opened, so that a command can say so before it spends
    /// time loading a module.
    pub fn check_volumes(&self) -> Result<(), crate::SessionError> {
        use hostabi::wasi::BuildError;
        for v in &self.volumes {
            match std::fs::metadata(&v.host) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(BuildError::NotADirectory { path: v.host.clone() }.into()),
                Err(source) => return Err(BuildError::Preopen { path: v.host.clone(), source }.into()),
            }
        }
        Ok(())
    }
}

impl Timeout {
    /// A deadline at `at` if there is one.
    pub fn at(at: Option<Instant>) -> Timeout {
        at.map_or(Timeout::None, Timeout::At)
    }

    /// A limit of `limit` if there is one.
    pub fn after(limit: Option<Duration>) -> Timeout {
        limit.map_or(Timeout::None, Timeout::After)
    }

    /// How long from now, or `None` for no limit.
    pub(crate) fn remaining(self) -> Option<Duration> {
        match self {
            Timeout::None => None,
            Timeout::After(d) => Some(d),
            Timeout::At(at) => Some(at.saturating_duration_since(Instant::now())),
        }
    }
}
