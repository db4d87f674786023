//! The contract between compiled code and the runtime.
//!
//! Compiled wasm reaches everything it needs through one pointer, the
//! `VMContext` of its instance. `layout` fixes what sits where, `libcalls`
//! lists the runtime functions compiled code may call, and `trap` names the
//! ways execution can stop. `translate` only emits loads at these offsets and
//! `instantiate` only fills them in, so the two never need to know more of
//! each other than this module.

pub mod layout;
pub mod libcalls;
pub mod trap;
