//! The Faasm host interface: the `env.__faasm_*` imports with the
//! signatures of Faasm's `faasm/host_interface.h` (wasm32: pointers and
//! C `long`s are i32).
//!
//! The rows act on a [`FaasmCtx`] lent by any embedder state implementing
//! [`FaasmView`]; the context reaches the runtime through two traits, a
//! [`Chainer`] for chained calls and a [`StateStore`] for shared state, so
//! the same rows serve one process or many hosts (the `faasm` crate has the
//! implementations). Areas: `io` (input, output, flags, call index, Python
//! entry names), `chain`, `state`, and `output` (`await_call_output`, which
//! allocates in the guest and is linked apart from the table).
//!
//! Every pointer and length from the guest is checked (`guest.rs`): a bad
//! one traps the call with "env.__faasm_NAME: what was wrong", before any
//! side effect; the host never touches memory outside the guest's.
//!
//! Not provided (a module importing them fails to link, naming the import):
//! the shared-memory mappings `__faasm_read_state_ptr` /
//! `__faasm_read_state_offset_ptr` and the dirty flags that go with them,
//! `__faasm_write_state_from_file`, `__faasm_push_state_partial_mask`,
//! the OpenMP/MPI `__faasm_sm_*`, migration and S3 functions.

mod api;
mod chain;
mod ctx;
mod guest;
mod io;
mod output;
mod state;

pub use api::{check_size, CallError, CallResult, ChainError, ChainTarget, Chainer, LockKind, StateError, StateStore};
pub use ctx::{FaasmCtx, FaasmView, PythonCall};
pub use guest::FaasmError;

/// The import module name.
pub const MODULE: &str = "env";

crate::host_functions! {
    /// Every table row of the Faasm host interface (all but
    /// `__faasm_await_call_output`; [`link`] adds that one).
    pub fn functions<S: FaasmView>() for "env" via faasm {
        fn __faasm_read_input(buf: u32, len: u32) -> i32_or_trap = io::read_input;
        fn __faasm_write_output(buf: u32, len: u32) -> unit_or_trap = io::write_output;
        fn __faasm_get_idx() -> i32_or_trap = io::get_idx;
        fn __faasm_conf_flag(key: u32) -> i32_or_trap = io::conf_flag;
        fn __faasm_get_py_user(buf: u32, len: u32) -> unit_or_trap = io::get_py_user;
        fn __faasm_get_py_func(buf: u32, len: u32) -> unit_or_trap = io::get_py_func;
        fn __faasm_get_py_entry(buf: u32, len: u32) -> unit_or_trap = io::get_py_entry;
        fn __faasm_chain_name(name: u32, input: u32, len: u32) -> i32_or_trap = chain::chain_name;
        fn __faasm_chain_ptr(func: u32, input: u32, len: u32) -> i32_or_trap = chain::chain_ptr;
        fn __faasm_chain_py(name: u32, input: u32, len: u32) -> i32_or_trap = chain::chain_py;
        fn __faasm_await_call(id: u32) -> i32_or_trap = chain::await_call;
        fn __faasm_read_state(key: u32, buf: u32, len: u32) -> i32_or_trap = state::read_state;
        fn __faasm_read_state_offset(key: u32, total: u32, offset: u32, buf: u32, len: u32) -> unit_or_trap = state::read_state_offset;
        fn __faasm_write_state(key: u32, data: u32, len: u32) -> unit_or_trap = state::write_state;
        fn __faasm_write_state_offset(key: u32, total: u32, offset: u32, data: u32, len: u32) -> unit_or_trap = state::write_state_offset;
        fn __faasm_append_state(key: u32, data: u32, len: u32) -> unit_or_trap = state::append_state;
        fn __faasm_read_appended_state(key: u32, buf: u32, len: u32, n: u32) -> unit_or_trap = state::read_appended_state;
        fn __faasm_appended_state_sizes(key: u32, sizes: u32, n: u32) -> i32_or_trap = state::appended_state_sizes;
        fn __faasm_clear_appended_state(key: u32) -> unit_or_trap = state::clear_appended_state;
        fn __faasm_push_state(key: u32) -> unit_or_trap = state::push_state;
        fn __faasm_push_state_partial(key: u32) -> unit_or_trap = state::push_state_partial;
        fn __faasm_pull_state(key: u32, len: u32) -> unit_or_trap = state::pull_state;
        fn __faasm_lock_state_read(key: u32) -> unit_or_trap = state::lock_state_read;
        fn __faasm_unlock_state_read(key: u32) -> unit_or_trap = state::unlock_state_read;
        fn __faasm_lock_state_write(key: u32) -> unit_or_trap = state::lock_state_write;
        fn __faasm_unlock_state_write(key: u32) -> unit_or_trap = state::unlock_state_write;
    }
}

/// Defines the whole Faasm host interface in `linker`, acting on `state`:
/// the table rows through [`crate::link`] plus `__faasm_await_call_output`.
pub fn link<S: FaasmView + Send + 'static>(linker: &mut engine::Linker, state: &std::sync::Arc<std::sync::Mutex<S>>) {
    crate::link(linker, &functions::<S>(), state);
    output::link(linker, state);
}

/// Every import name this module defines (for loaders that resolve a side
/// module's `env.*` imports against host functions first).
pub fn names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = functions::<FaasmCtx>().iter().map(|f| f.name).collect();
    v.push(output::NAME);
    v
}

#[cfg(test)]
mod tests;
