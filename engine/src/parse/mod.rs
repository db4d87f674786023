//! Stage 1: wasm bytes -> [`ModuleInfo`].
//!
//! `wasmparser` is used only as a reader of sections and operators; every
//! rule of the spec is checked by our own `validate` stage.

pub mod types;
pub use types::*;
