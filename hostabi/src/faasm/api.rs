//! The two pluggable runtime pieces behind the Faasm host interface: a
//! [`Chainer`] (runs chained calls and hands back their results) and a
//! [`StateStore`] (shared state by key). The host functions only speak to
//! these traits, so the same rows serve an in-process runtime, a Redis-backed
//! one and the tests' fakes; the `faasm` crate provides the real ones.

/// What a chained call runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainTarget {
    /// `__faasm_chain_name`: a function of the same program by name (for a
    /// C module, an export `int name(void)`; for Python, a function of the
    /// same file).
    Name(String),
    /// `__faasm_chain_ptr`: an entry of the module's function table, called
    /// as `int f(void)` (a C function pointer).
    Ptr(u32),
    /// `__faasm_chain_py`: a Python function of the same file by name.
    Python(String),
}

impl std::fmt::Display for ChainTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainTarget::Name(n) => write!(f, "function `{n}`"),
            ChainTarget::Ptr(p) => write!(f, "function pointer {p}"),
            ChainTarget::Python(n) => write!(f, "Python function `{n}`"),
        }
    }
}

/// How a chained call ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallResult {
    /// 0 when the function returned normally; non-zero when it failed
    /// (a non-zero exit or return code, an exception, a trap).
    pub return_code: i32,
    /// What it wrote with `__faasm_write_output` (or returned, for Python).
    pub output: Vec<u8>,
    /// Why it failed, when the runtime knows; `None` for a plain non-zero
    /// return (a C function's code, a Python exception, which reports its
    /// own traceback).
    pub error: Option<CallError>,
}

impl CallResult {
    /// Whether the call ran past its deadline (told by the engine's
    /// deadline, never by comparing clocks).
    pub fn timed_out(&self) -> bool {
        self.error == Some(CallError::TimedOut)
    }
}

/// Why a call failed, beyond its return code: typed, so that every edge
/// (an HTTP status, an exit code) can tell a timeout from a crash.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum CallError {
    /// Stopped by its deadline.
    #[error("timed out")]
    TimedOut,
    /// A wasm trap or a failing host function (with its wasm backtrace).
    #[error("{0}")]
    Trapped(String),
    /// The call could not be set up, or its function does not exist.
    #[error("{0}")]
    Failed(String),
}

/// Why a chained call could not be made or awaited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("no {0} to chain to")]
    UnknownFunction(ChainTarget),
    #[error("call {0} was not chained by this call (or was already awaited)")]
    UnknownCall(u32),
    #[error("gave up waiting for call {id} after {secs} s")]
    Timeout { id: u32, secs: u64 },
    #[error("{0}")]
    Backend(String),
}

/// Runs chained calls. `chain` must return at once (the call runs
/// elsewhere: a thread pool, another host); `await_call` blocks until the
/// call has ended.
pub trait Chainer: Send + Sync {
    fn chain(&self, target: ChainTarget, input: Vec<u8>) -> Result<u32, ChainError>;
    fn await_call(&self, id: u32) -> Result<CallResult, ChainError>;
}

/// Why a state operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("state value for key {key:?} would be {size} bytes, over the limit of {limit} bytes")]
    TooLarge { key: String, size: u64, limit: u64 },
    #[error("range of {len} bytes at offset {offset} of key {key:?} does not fit its total size of {total} bytes")]
    Range { key: String, offset: u64, len: u64, total: u64 },
    #[error("key {key:?} is not {kind}-locked by this call")]
    NotLocked { key: String, kind: LockKind },
    #[error("key {key:?} has {have} appended values, {wanted} were asked for")]
    NotEnoughAppended { key: String, wanted: u64, have: u64 },
    #[error("state key must not be empty")]
    EmptyKey,
    #[error("state store: {0}")]
    Backend(String),
}

/// Read (shared) or write (exclusive) lock of a key.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum LockKind {
    Read,
    Write,
}

impl std::fmt::Display for LockKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LockKind::Read => "read",
            LockKind::Write => "write",
        })
    }
}

/// Shared state: a byte value per key plus a list of appended values per
/// key (Faasm keeps the two apart: appending never changes the value).
///
/// A missing key reads as empty (size 0), as Faasm's `read_state_size`
/// answers 0 for it. Writes are write-through: once `set` returns, every
/// other call sees the value, which is why `push`/`pull` have nothing left
/// to move in the stores of the `faasm` crate (they still exist so Faasm
/// programs keep working, and a store with local replicas may use them).
pub trait StateStore: Send + Sync {
    /// The largest value a key may hold, in bytes.
    fn max_value_size(&self) -> u64;
    /// The value's size; 0 for a missing key.
    fn size(&self, key: &str) -> Result<u64, StateError>;
    /// The whole value; empty for a missing key.
    fn get(&self, key: &str) -> Result<Vec<u8>, StateError>;
    /// Replaces the value.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StateError>;
    /// `len` bytes at `offset`; bytes past the end of a shorter value read
    /// as zero.
    fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, StateError>;
    /// Writes `data` at `offset`, first growing the value with zeros to at
    /// least `total` bytes.
    fn set_range(&self, key: &str, total: u64, offset: u64, data: &[u8]) -> Result<(), StateError>;
    /// Appends one value to the key's appended list.
    fn append(&self, key: &str, data: &[u8]) -> Result<(), StateError>;
    /// The first `n` appended values, oldest first.
    fn read_appended(&self, key: &str, n: u64) -> Result<Vec<Vec<u8>>, StateError>;
    /// Empties the appended list.
    fn clear_appended(&self, key: &str) -> Result<(), StateError>;
    /// Makes local changes visible to everyone (see the trait's note).
    fn push(&self, key: &str) -> Result<(), StateError>;
    /// Refreshes a local copy of `len` bytes (see the trait's note).
    fn pull(&self, key: &str, len: u64) -> Result<(), StateError>;
    /// Blocks until the lock is held.
    fn lock(&self, key: &str, kind: LockKind) -> Result<(), StateError>;
    fn unlock(&self, key: &str, kind: LockKind) -> Result<(), StateError>;
}

/// Checks a value size against the store's limit.
pub fn check_size(key: &str, size: u64, limit: u64) -> Result<(), StateError> {
    if key.is_empty() {
        return Err(StateError::EmptyKey);
    }
    if size > limit {
        return Err(StateError::TooLarge { key: key.to_owned(), size, limit });
    }
    Ok(())
}
