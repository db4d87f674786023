//! hostabi: the host functions a guest can import, as one declarative
//! table.
//!
//! * [`table`]: the table's row type ([`HostFunc`]) and the
//!   `host_functions!` macro that declares rows with typed parameters.
//! * [`memory`]: bounds-checked guest memory ([`GuestMemory`]); every guest
//!   pointer goes through it (out of range is EFAULT, never a host fault).
//! * [`wasi`]: WASI preview1, complete, with the sandbox that keeps paths
//!   inside preopened directories.
//! * [`faasm`]: the Faasm host interface (`env.__faasm_*`) over pluggable
//!   chaining and state traits.

pub mod faasm;
pub mod memory;
pub mod table;
pub mod wasi;

pub use memory::GuestMemory;
pub use table::{link, HostFn, HostFunc};
