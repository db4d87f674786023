//! Stage 4: Cranelift IR -> position-independent machine code for the whole
//! module, functions compiled in parallel.

pub mod artifact;
pub use artifact::*;
