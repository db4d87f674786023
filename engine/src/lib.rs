//! faasm-engine core: a WebAssembly runtime built on Cranelift: 2.0 with
//! SIMD, and of 3.0 extended constant expressions, typed function
//! references, tail calls and relaxed SIMD (not yet GC, exception handling,
//! multi-memory or memory64).
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

mod engine;
mod error;
mod module;
pub use engine::{Config, Engine, OptLevel, PoolConfig};
pub use error::{Error, Frame, Trap, TrapReason};
pub use instantiate::func::{Caller, Func};
pub use instantiate::global::Global;
pub use instantiate::instance::Instance;
pub use instantiate::instance_state::{FuncSlot, GlobalValue, InstanceState, RefSlot, Restore};
pub use instantiate::linker::Linker;
pub use instantiate::memory::Memory;
pub use instantiate::store::Store;
pub use instantiate::table::Table;
pub use instantiate::values::{Extern, Val};
pub use module::{CachedModule, Module};
pub use parse::types::{
    Export, ExternKind, FuncType, GlobalType, Import, ImportKind, MemoryType, ModuleInfo, RefType, TableType, ValType,
};
pub use run::interrupt::{Deadline, InterruptHandle};
pub use vm::layout::ValRaw;
pub use vm::trap::TrapKind;
