//! Why wasm execution stopped.
//!
//! Compiled code never calls back into Rust to trap: it executes a faulting
//! instruction (a Cranelift `trap`, a load in a guard page, a hardware divide
//! error) and the signal handler in `run` maps the faulting PC to a
//! [`TrapKind`] through the trap table that `compile` records. Libcalls and
//! host functions that need to trap return a non-zero status; the code that
//! called them then traps with [`TrapKind::Deferred`] and the runtime reads
//! the real reason from where the libcall left it.

use cranelift_codegen::ir::TrapCode;
use serde::{Deserialize, Serialize};

/// A wasm trap reason. The `Display` text is the spec suite's wording.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
pub enum TrapKind {
    #[error("call stack exhausted")]
    StackOverflow,
    #[error("out of bounds memory access")]
    MemoryOutOfBounds,
    #[error("out of bounds table access")]
    TableOutOfBounds,
    /// `call_indirect` with an index beyond the table (the spec words this
    /// differently from the table instructions' out-of-bounds access).
    #[error("undefined element")]
    IndirectCallOutOfBounds,
    #[error("uninitialized element")]
    IndirectCallToNull,
    #[error("indirect call type mismatch")]
    BadSignature,
    #[error("integer overflow")]
    IntegerOverflow,
    #[error("integer divide by zero")]
    IntegerDivisionByZero,
    #[error("invalid conversion to integer")]
    BadConversionToInteger,
    #[error("unreachable")]
    Unreachable,
    #[error("null reference")]
    NullReference,
    /// A libcall or host function failed; the precise reason was stored by
    /// the runtime before returning the failure status.
    #[error("trap raised by the runtime")]
    Deferred,
    /// The store's interrupt handle was triggered (a timeout), see
    /// `run::interrupt`.
    #[error("interrupted (execution deadline reached)")]
    Interrupt,
    /// `call_ref` or `return_call_ref` of a null reference (3.0).
    #[error("null function reference")]
    NullFunctionReference,
}

impl TrapKind {
    pub const ALL: [TrapKind; 14] = [
        TrapKind::StackOverflow,
        TrapKind::MemoryOutOfBounds,
        TrapKind::TableOutOfBounds,
        TrapKind::IndirectCallOutOfBounds,
        TrapKind::IndirectCallToNull,
        TrapKind::BadSignature,
        TrapKind::IntegerOverflow,
        TrapKind::IntegerDivisionByZero,
        TrapKind::BadConversionToInteger,
        TrapKind::Unreachable,
        TrapKind::NullReference,
        TrapKind::Deferred,
        TrapKind::Interrupt,
        TrapKind::NullFunctionReference,
    ];

    /// The Cranelift trap code the translator attaches for this kind.
    pub fn to_trap_code(self) -> TrapCode {
        match self {
            TrapKind::StackOverflow => TrapCode::STACK_OVERFLOW,
            TrapKind::MemoryOutOfBounds => TrapCode::HEAP_OUT_OF_BOUNDS,
            TrapKind::IntegerOverflow => TrapCode::INTEGER_OVERFLOW,
            TrapKind::IntegerDivisionByZero => TrapCode::INTEGER_DIVISION_BY_ZERO,
            TrapKind::BadConversionToInteger => TrapCode::BAD_CONVERSION_TO_INTEGER,
            TrapKind::TableOutOfBounds => TrapCode::unwrap_user(1),
            TrapKind::IndirectCallToNull => TrapCode::unwrap_user(2),
            TrapKind::BadSignature => TrapCode::unwrap_user(3),
            TrapKind::Unreachable => TrapCode::unwrap_user(4),
            TrapKind::NullReference => TrapCode::unwrap_user(5),
            TrapKind::Deferred => TrapCode::unwrap_user(6),
            TrapKind::IndirectCallOutOfBounds => TrapCode::unwrap_user(7),
            TrapKind::Interrupt => TrapCode::unwrap_user(8),
            TrapKind::NullFunctionReference => TrapCode::unwrap_user(9),
        }
    }

    /// Inverse of [`TrapKind::to_trap_code`], for building trap tables.
    pub fn from_trap_code(code: TrapCode) -> Option<TrapKind> {
        TrapKind::ALL.into_iter().find(|k| k.to_trap_code() == code)
    }
}
