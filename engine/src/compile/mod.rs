//! Stage 4: Cranelift IR -> position-independent machine code for the whole
//! module, functions compiled in parallel.
//!
//! `isa` builds the host target; `trampolines` generates the host<->wasm
//! adapters; `module` compiles everything and links it into one blob;
//! `code_memory` (owned by the runtime) maps it executable; `trap_table`
//! and `address_map` say what code offsets mean (traps, wasm offsets).

pub mod address_map;
pub mod artifact;
pub mod code_memory;
pub mod isa;
pub mod module;
pub mod perf_map;
pub mod table_bytes;
pub mod trampolines;
pub mod trap_table;
pub use address_map::AddressMap;
pub use artifact::*;
pub use isa::{host_isa, settings_fingerprint, OptLevel};
pub use module::{compile_module, compile_module_with_progress};
pub use trap_table::TrapTable;
