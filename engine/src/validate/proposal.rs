//! Which proposal an operator belongs to, for a clear message when a body
//! uses an instruction outside WebAssembly 2.0 + SIMD. The table comes
//! from wasmparser's own operator list (`for_each_operator!`), so it
//! covers every operator the reader can produce.

use wasmparser::Operator;

macro_rules! define_proposal_of {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*) )*) => {
        /// The wasmparser proposal tag of `op` (e.g. `threads`, `gc`).
        pub fn proposal_of(op: &Operator<'_>) -> &'static str {
            #[allow(unreachable_patterns)]
            match op {
                $( Operator::$op { .. } => stringify!($proposal), )*
                _ => "unknown",
            }
        }
    };
}
wasmparser::for_each_operator!(define_proposal_of);

/// A readable name for a proposal tag.
pub fn describe(tag: &str) -> &str {
    match tag {
        "threads" => "threads (atomics)",
        "tail_call" => "tail-call",
        "exceptions" | "legacy_exceptions" => "exception-handling",
        "gc" => "GC",
        "function_references" => "typed function references",
        "relaxed_simd" => "relaxed SIMD",
        "memory_control" => "memory-control",
        "stack_switching" => "stack-switching",
        "wide_arithmetic" => "wide-arithmetic",
        "shared_everything_threads" => "shared-everything-threads",
        "custom_descriptors" => "custom-descriptors",
        other => other,
    }
}
