//! Why a guest could not be set up or run (as opposed to how a run that
//! did start ended, which is an [`crate::Outcome`]).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The compiler could not be set up for this CPU.
    #[error("cannot set up the compiler for this CPU: {0}")]
    Engine(engine::Error),
    /// A module file could not be read.
    #[error("cannot read {}: {cause}", path.display())]
    Read { path: PathBuf, cause: std::io::Error },
    /// A module is malformed, invalid or could not be compiled.
    #[error("cannot compile {name}: {cause}")]
    Compile { name: String, cause: engine::Error },
    /// A `faasm-engine compile` artifact could not be loaded.
    #[error("cannot load artifact {}: {cause}", path.display())]
    Artifact { path: PathBuf, cause: objcache::Error },
    /// The guest's WASI context could not be built (a granted directory
    /// that cannot be opened, a stream).
    #[error("{0}")]
    Wasi(#[from] hostabi::wasi::BuildError),
    /// Linking or instantiating failed for a reason other than a trap.
    #[error("cannot instantiate {module}: {cause}")]
    Instantiate { module: String, cause: engine::Error },
    /// A call failed for a reason other than a trap.
    #[error("cannot run `{name}`: {cause}")]
    Call { name: String, cause: engine::Error },
    /// A deadline was asked of code compiled without interrupt checks.
    #[error("a timeout needs the interrupt checks that FAASM_INTERRUPT_CHECKS=0 leaves out")]
    NoInterruptChecks,
    /// A snapshot could not be restored or taken.
    #[error(transparent)]
    Snapshot(#[from] snapshot::SnapshotError),
    /// The dynamic loader refused (boxed: `DlError` is large and would make
    /// every `Result` carrying this error as large).
    #[error(transparent)]
    Loader(Box<loader::DlError>),
    /// The guest has no exported function of that name.
    #[error("{module} exports no function `{name}`")]
    NoExport { module: String, name: String },
    /// An entry was called with parameters of the wrong number or types.
    #[error("cannot call `{name}`: {reason}")]
    BadCall { name: String, reason: String },
    /// A call was made before the guest was started.
    #[error("the guest has not been started")]
    NotStarted,
    /// A lock around the guest's host state was poisoned by a panic.
    #[error("the guest's {0} state is poisoned")]
    Poisoned(&'static str),
    /// The thread that runs the guest could not be started or panicked.
    #[error("the guest thread {0}")]
    Thread(String),
}

impl From<loader::DlError> for SessionError {
    fn from(e: loader::DlError) -> Self {
        SessionError::Loader(Box::new(e))
    }
}
