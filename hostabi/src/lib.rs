//! hostabi: the host functions a guest can import, as one declarative
//! table.
//!
//! * [`table`]: the table's row type ([`HostFunc`]) and the
//!   `host_functions!` macro that declares rows with typed parameters.
//! * [`memory`]: bounds-checked guest memory ([`GuestMemory`]); every guest
//!   pointer goes through it (out of range is EFAULT, never a host fault).
//! * [`wasi`]: WASI preview1, complete, with the sandbox that keeps paths
//!   inside preopened directories.
//!
//! The Faasm host interface will be added as another module of rows over
//! the same embedder state.

pub mod memory;
pub mod table;
pub mod wasi;

pub use memory::GuestMemory;
pub use table::{link, HostFn, HostFunc};
