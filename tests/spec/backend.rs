//! The small interface the driver runs scripts against.
//!
//! Keeping the driver behind this trait lets the same script interpreter run
//! on wasmtime (`SPEC_BACKEND=wasmtime`), which checks the driver itself,
//! and on faasm-engine, which is what the suite is for.

use crate::values::Value;
use std::fmt;

/// Why a backend operation failed, in the categories the spec's assertions
/// distinguish. The strings are the backend's own messages, shown in failure
/// details.
#[derive(Clone, Debug)]
pub enum Failure {
    /// The binary could not be decoded (`assert_malformed`).
    Malformed(String),
    /// The module decoded but failed validation (`assert_invalid`).
    Invalid(String),
    /// An import could not be resolved or had the wrong type (`assert_unlinkable`).
    Unlinkable(String),
    /// Execution trapped, including stack exhaustion and traps while
    /// instantiating (segment initialisation, start function). The message
    /// is compared with the script's by [`Backend::trap_matches`].
    Trap(String),
    /// Anything else: compilation errors, resource errors, missing exports,
    /// argument type mismatches. Never satisfies an assertion.
    Other(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Malformed(m) => write!(f, "malformed: {m}"),
            Failure::Invalid(m) => write!(f, "invalid: {m}"),
            Failure::Unlinkable(m) => write!(f, "unlinkable: {m}"),
            Failure::Trap(m) => write!(f, "trap: {m}"),
            Failure::Other(m) => write!(f, "error: {m}"),
        }
    }
}

/// One engine under test. A value of this type is one fresh store plus one
/// linker in which the `spectest` module (see `spectest.rs`) is already
/// defined; the driver creates a new one for every script.
pub trait Backend: Sized {
    /// A compiled module (kept for `module definition`/`module instance`).
    type Module: Clone;
    /// An instance handle.
    type Instance: Clone;

    fn new() -> Result<Self, String>;

    /// Decode, validate and compile.
    fn compile(&mut self, wasm: &[u8]) -> Result<Self::Module, Failure>;

    /// Instantiate against everything registered so far (and `spectest`).
    fn instantiate(&mut self, module: &Self::Module) -> Result<Self::Instance, Failure>;

    /// Make every export of `instance` importable under module name `name`.
    fn register(&mut self, name: &str, instance: &Self::Instance) -> Result<(), Failure>;

    /// Call exported function `func`.
    fn invoke(&mut self, instance: &Self::Instance, func: &str, args: &[Value]) -> Result<Vec<Value>, Failure>;

    /// Read exported global `global`.
    fn get(&mut self, instance: &Self::Instance, global: &str) -> Result<Value, Failure>;

    /// Whether the backend's trap message satisfies the script's expected
    /// text. The spec reference interpreter's messages are matched by
    /// prefix (it appends details such as the offending index).
    fn trap_matches(&self, actual: &str, expected: &str) -> bool {
        actual.starts_with(expected)
    }
}
