//! Stage 4: Cranelift IR -> position-independent machine code for the whole
//! module, functions compiled in parallel.
//!
//! `isa` builds the host target; `trampolines` generates the host<->wasm
//! adapters; `module` compiles everything and links it into one blob.

pub mod artifact;
pub mod isa;
pub mod module;
pub mod trampolines;
pub use artifact::*;
pub use isa::{host_isa, settings_fingerprint, OptLevel};
pub use module::compile_module;
