//! The engine's error types: one enum for every way a module can fail to
//! load, link or run, so that callers (the CLI, the spec suite, the C ABI)
//! can tell malformed from invalid from a trap.

use crate::vm::trap::TrapKind;
use std::fmt;

/// Why an operation on a module failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not a well-formed binary module.
    #[error("malformed module at byte offset {offset:#x}: {message}")]
    Malformed { offset: usize, message: String },
    /// Well-formed but breaks a validation rule. `func` is the function
    /// index when the error is inside a function body.
    #[error("invalid module: {message} ({}byte offset {offset:#x})", func.map(|f| format!("function {f}, ")).unwrap_or_default())]
    Invalid { func: Option<u32>, offset: usize, message: String },
    /// Cranelift refused the code we gave it (a bug on our side, or a limit).
    #[error("compilation failed{}: {message}", func.map(|f| format!(" in function {f}")).unwrap_or_default())]
    Compile { func: Option<u32>, message: String },
    /// An import could not be satisfied.
    #[error("link error: {0}")]
    Link(String),
    /// Instantiation failed for a reason other than a trap (e.g. resources).
    #[error("instantiation failed: {0}")]
    Instantiation(String),
    /// Execution trapped (also during instantiation: segments, start function).
    #[error(transparent)]
    Trap(#[from] Trap),
    /// The operating system refused memory or another resource.
    #[error("resource error: {0}")]
    Resource(String),
    /// A handle (function, memory, table, global) was used with a store
    /// other than the one it belongs to.
    #[error("handle belongs to a different store")]
    ForeignHandle,
    /// A snapshot's state does not match the module (or the group) it is
    /// restored into: another module's snapshot, or a damaged one.
    #[error("the snapshot does not fit the module: {0}")]
    SnapshotMismatch(String),
    /// The engine broke one of its own invariants: a bug in the engine, not
    /// in the module or the embedder's use of it.
    #[error("internal error in the engine: {0}")]
    Internal(String),
}

impl Error {
    /// An [`Error::Internal`] saying which invariant broke.
    pub(crate) fn internal(what: impl Into<String>) -> Error {
        Error::Internal(what.into())
    }
}

/// Why execution stopped abnormally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrapReason {
    /// A wasm trap (spec semantics).
    Wasm(TrapKind),
    /// The guest asked to exit (WASI `proc_exit`); not an error for a CLI.
    Exit(i32),
    /// A host function failed.
    Host(String),
}

/// One frame of a trap backtrace, innermost first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub func_index: u32,
    pub func_name: Option<String>,
    pub module_name: Option<String>,
    /// Offset in the module's bytes of the instruction the frame is at (the
    /// trapping one, or the call to the next frame), if known.
    pub module_offset: Option<u32>,
    /// The same, from the start of the function's body.
    pub func_offset: Option<u32>,
}

/// A trap with its wasm backtrace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    pub reason: TrapReason,
    pub backtrace: Vec<Frame>,
}

impl Trap {
    pub fn new(kind: TrapKind) -> Trap {
        Trap { reason: TrapReason::Wasm(kind), backtrace: Vec::new() }
    }
    pub fn exit(code: i32) -> Trap {
        Trap { reason: TrapReason::Exit(code), backtrace: Vec::new() }
    }
    pub fn host(message: impl Into<String>) -> Trap {
        Trap { reason: TrapReason::Host(message.into()), backtrace: Vec::new() }
    }
    /// The exit code if this is a `proc_exit`.
    pub fn exit_code(&self) -> Option<i32> {
        match self.reason {
            TrapReason::Exit(c) => Some(c),
            _ => None,
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            TrapReason::Wasm(k) => write!(f, "wasm trap: {k}")?,
            TrapReason::Exit(c) => write!(f, "exited with code {c}")?,
            TrapReason::Host(m) => write!(f, "host function failed: {m}")?,
        }
        if !self.backtrace.is_empty() {
            write!(f, "\nwasm backtrace:")?;
            for (i, fr) in self.backtrace.iter().enumerate() {
                write!(f, "\n  {i:>3}: ")?;
                if let Some(m) = &fr.module_name {
                    write!(f, "{m}!")?;
                }
                match &fr.func_name {
                    Some(n) => write!(f, "{n}")?,
                    None => write!(f, "<wasm function {}>", fr.func_index)?,
                }
            }
        }
        Ok(())
    }
}

impl std::error::Error for Trap {}
