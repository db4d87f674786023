//! session: the one way faasm-engine sets up and runs a guest.
//!
//! Every command and server above the engine — `run`, `snapshot`,
//! `invoke`, `worker`, `serve`'s module and function routes, the Faasm
//! guests — describes its guest with a [`GuestSpec`] and runs it through a
//! [`Session`]; none of them builds a store, a linker or a WASI context of
//! its own. A new limit or host interface is therefore added here, once.
//!
//! The pipeline, a file a stage:
//! * [`host`]: the engine and its compiled-code cache; loading a module
//!   (wasm through the cache, or a `compile` artifact) for every command;
//! * [`spec`]: what a guest is given — arguments, environment, standard
//!   streams, directories (in the order granted), memory cap, deadline,
//!   the policy for unknown imports, the Faasm host interface;
//! * [`session`](mod@session): one guest's store, linker, WASI context,
//!   Faasm context and dynamic loader; starting it (fresh or restored from a
//!   snapshot) and calling its exports;
//! * [`unknown_imports`]: function imports nothing defines, as traps or
//!   zeros (wasmtime's `unknown-imports-trap` / `-default`);
//! * [`outcome`]: how a run ended — returned, exited, timed out, trapped or
//!   failed — typed up to the edge, so that a timeout is told by the
//!   engine's deadline, never guessed from a clock;
//! * [`thread`]: the native stack guests run on.

pub mod error;
pub mod host;
pub mod outcome;
pub mod session;
pub mod spec;
pub mod thread;
pub mod unknown_imports;

pub use error::SessionError;
pub use host::{Host, HostOptions};
pub use outcome::Outcome;
pub use session::{Session, Start};
pub use spec::{GuestSpec, Timeout, UnknownImports, Volume};
pub use thread::{on_guest_thread, GUEST_STACK, WASM_STACK_LIMIT};

pub use hostabi::wasi::{Access, Stdio};
