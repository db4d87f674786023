//! faasm: running Faasm functions — a program whose calls read an input,
//! write an output, chain calls to other functions of the same program and
//! share state — on one host or on many.
//!
//! * [`guest`]: what a call runs (a C program's wasm module, or a Python
//!   function on the CPython build), each call in a new guest session
//!   (the `session` crate).
//! * [`local`]: the in-process scheduler (a [`pool`] of threads).
//! * [`state`]: the state stores (embedded, Redis).
//!
//! The host functions themselves are `hostabi::faasm`; this crate provides
//! the `Chainer` and `StateStore` they act through.

pub mod call;
pub mod guest;
pub mod local;
pub mod pool;
pub mod queue;
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;

pub use call::{Call, Target};
pub use hostabi::faasm::{CallError, CallResult, ChainError, StateError};
