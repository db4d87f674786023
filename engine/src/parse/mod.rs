//! Stage 1: wasm bytes -> [`ModuleInfo`].
//!
//! `wasmparser` is used only as a reader of sections and operators; every
//! rule of the spec is checked by our own `validate` stage. The reader is
//! configured for exactly WebAssembly 2.0 + fixed-width SIMD so that
//! encodings which later proposals reinterpret (memarg flags, limits
//! widths, compact imports, ...) are decoded the 2.0 way.
//!
//! `parse` rejects what `ModuleInfo` cannot express (GC types, shared or
//! 64-bit memories, tags, non-constant operators in constant expressions,
//! ...) with a clear message; everything it can express is left for
//! `validate` to judge.

mod const_expr;
mod convert;
mod module;
mod names;
pub mod types;

pub(crate) use const_expr::heap_type as convert_heap_type;
pub(crate) use convert::val_type as convert_val_type;
pub use module::parse;
pub use types::*;

/// The feature set the reader decodes with: WebAssembly 2.0, which in
/// wasmparser's terms already includes fixed-width SIMD, plus the parts of
/// 3.0 the engine implements. None of them changes how a 2.0 module
/// decodes (unlike multi-memory's memarg flags or memory64's limits).
pub(crate) fn reader_features() -> wasmparser::WasmFeatures {
    use wasmparser::WasmFeatures as F;
    F::WASM2 | F::EXTENDED_CONST | F::FUNCTION_REFERENCES | F::TAIL_CALL | F::RELAXED_SIMD
}

/// A decoding error from wasmparser, as our `Malformed` error.
pub(crate) fn malformed(e: wasmparser::BinaryReaderError) -> crate::Error {
    crate::Error::Malformed { offset: e.offset(), message: e.message().to_string() }
}

/// What the engine implements, for "not supported" messages.
pub(crate) const SUPPORTED: &str =
    "WebAssembly 2.0 + SIMD, and of 3.0 extended-const, typed function references, tail calls and relaxed SIMD";

/// A construct from a proposal the engine does not implement.
pub(crate) fn unsupported(offset: usize, what: &str) -> crate::Error {
    crate::Error::Invalid { func: None, offset, message: format!("{what} not supported (the engine supports {SUPPORTED})") }
}
