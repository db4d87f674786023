//! Why a `dlopen` or `dlsym` failed. The `Display` text of each variant is
//! what the guest's `dlerror()` returns, so CPython shows it verbatim in
//! its `ImportError`: it names the file and, where there is one, the symbol.

/// A dynamic-linking failure. Nothing of the library stays linked after one.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DlError {
    #[error("{path}: cannot open shared object file: {reason}")]
    Open { path: String, reason: String },
    #[error("{path}: not a WebAssembly file")]
    NotWasm { path: String },
    #[error("{path}: not a WebAssembly side module (it has no dylink.0 section first)")]
    NoDylink { path: String },
    #[error("{path}: malformed side module: {reason}")]
    Malformed { path: String, reason: String },
    #[error("{path}: cannot compile: {reason}")]
    Compile { path: String, reason: String },
    #[error("{path}: undefined symbol: {symbol}")]
    Undefined { path: String, symbol: String },
    #[error("{path}: symbol {symbol} has type {wanted} here but {found} where it is defined ({definer})")]
    Signature { path: String, symbol: String, wanted: String, found: String, definer: String },
    #[error("{path}: import {symbol} is {wanted}, but {found} is defined under that name ({definer})")]
    Kind { path: String, symbol: String, wanted: String, found: String, definer: String },
    #[error("{path}: unsupported: {what}")]
    Unsupported { path: String, what: String },
    #[error("{path}: out of memory: cannot allocate {bytes} bytes for its data")]
    OutOfMemory { path: String, bytes: u64 },
    #[error("{path}: out of table space: cannot add {slots} slots to the function table")]
    OutOfTable { path: String, slots: u64 },
    #[error("{path}: {stage} failed: {reason}")]
    Init { path: String, stage: String, reason: String },
    #[error("undefined symbol: {symbol}")]
    NoSymbol { symbol: String },
    #[error("invalid handle {0:#x}")]
    BadHandle(u32),
    #[error("{0}")]
    Guest(String),
}
