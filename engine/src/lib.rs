//! faasm-engine core: a WebAssembly 2.0 (+ SIMD) runtime built on Cranelift.
//!
//! The pipeline reads from the module names:
//! `parse` -> `validate` -> `translate` -> `compile` -> `instantiate` -> `run`.
//! `vm` holds the layout contract between compiled code and the runtime.

pub mod compile;
pub mod instantiate;
pub mod parse;
pub mod run;
pub mod translate;
pub mod validate;
pub mod vm;

mod error;
pub use error::{Error, Frame, Trap, TrapReason};
pub use parse::types::{
    ExternKind, FuncType, GlobalType, MemoryType, ModuleInfo, RefType, TableType, ValType,
};
pub use vm::layout::ValRaw;
pub use vm::trap::TrapKind;
