//! Implementation limits (spec appendix "Implementation Limitations").
//!
//! The spec lets an implementation bound the size of modules; we use the
//! same bounds as wasmparser/wasmtime so that a module accepted elsewhere
//! is accepted here, and so that later stages (Cranelift, the runtime)
//! never face absurd counts from hostile input.

pub const MAX_TYPES: usize = 1_000_000;
pub const MAX_FUNCTIONS: usize = 1_000_000;
pub const MAX_IMPORTS: usize = 1_000_000;
pub const MAX_EXPORTS: usize = 1_000_000;
pub const MAX_GLOBALS: usize = 1_000_000;
pub const MAX_ELEMENT_SEGMENTS: usize = 100_000;
pub const MAX_DATA_SEGMENTS: usize = 100_000;
pub const MAX_TABLES: usize = 100;
/// Elements in one element segment.
pub const MAX_SEGMENT_ELEMENTS: usize = 10_000_000;
/// Locals of one function, parameters included.
pub const MAX_LOCALS: u32 = 50_000;
/// Bytes of one function body.
pub const MAX_FUNCTION_SIZE: usize = 7_654_321;
/// Pages of a 32-bit memory (4 GiB): a spec rule, not a choice.
pub const MAX_MEMORY_PAGES: u64 = 65_536;
