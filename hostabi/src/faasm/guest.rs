//! Reading the Faasm host interface's arguments out of guest memory, with
//! every failure typed: C strings (keys, names) must end with a NUL inside
//! memory and be UTF-8; buffers must lie inside memory; lengths are C
//! `long`s (i32 on wasm32) and must not be negative.

use super::api::{ChainError, StateError};
use crate::memory::GuestMemory;

/// The longest key or function name accepted, NUL excluded.
pub const MAX_NAME_LEN: u32 = 4096;

/// Why a Faasm host call traps.
#[derive(Debug, thiserror::Error)]
pub enum FaasmError {
    #[error("{what} ({len} bytes at {ptr:#x}) is outside the guest's {mem}-byte memory")]
    OutOfBounds { what: &'static str, ptr: u32, len: u64, mem: usize },
    #[error("{what} at {ptr:#x} has no NUL terminator within {MAX_NAME_LEN} bytes inside memory")]
    Unterminated { what: &'static str, ptr: u32 },
    #[error("{what} at {ptr:#x} is not UTF-8")]
    NotUtf8 { what: &'static str, ptr: u32 },
    #[error("{what} is negative ({value})")]
    Negative { what: &'static str, value: i32 },
    #[error("NULL {what}")]
    Null { what: &'static str },
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("{0}")]
    Other(String),
}

/// A C `long` length argument.
pub fn length(what: &'static str, raw: u32) -> Result<u32, FaasmError> {
    let value = raw as i32;
    if value < 0 {
        return Err(FaasmError::Negative { what, value });
    }
    Ok(raw)
}

/// A NUL-terminated UTF-8 string (a state key, a function name).
pub fn c_str(mem: &GuestMemory<'_>, what: &'static str, ptr: u32) -> Result<String, FaasmError> {
    if ptr == 0 {
        return Err(FaasmError::Null { what });
    }
    let avail = (mem.len() as u64).saturating_sub(u64::from(ptr));
    if avail == 0 {
        return Err(FaasmError::OutOfBounds { what, ptr, len: 1, mem: mem.len() });
    }
    let window = avail.min(u64::from(MAX_NAME_LEN) + 1) as u32;
    let bytes = mem.slice(ptr, window).map_err(|_| FaasmError::OutOfBounds { what, ptr, len: 1, mem: mem.len() })?;
    let end = bytes.iter().position(|&b| b == 0).ok_or(FaasmError::Unterminated { what, ptr })?;
    let s = std::str::from_utf8(&bytes[..end]).map_err(|_| FaasmError::NotUtf8 { what, ptr })?;
    Ok(s.to_owned())
}

/// A guest buffer to read.
pub fn bytes<'m>(mem: &'m GuestMemory<'_>, what: &'static str, ptr: u32, len: u32) -> Result<&'m [u8], FaasmError> {
    mem.slice(ptr, len).map_err(|_| FaasmError::OutOfBounds { what, ptr, len: u64::from(len), mem: mem.len() })
}

/// A guest buffer to write.
pub fn bytes_mut<'m>(mem: &'m mut GuestMemory<'_>, what: &'static str, ptr: u32, len: u32) -> Result<&'m mut [u8], FaasmError> {
    let size = mem.len();
    mem.slice_mut(ptr, len).map_err(|_| FaasmError::OutOfBounds { what, ptr, len: u64::from(len), mem: size })
}

/// Checks a range before any side effect (so a bad output pointer does not
/// leave a half-done operation behind).
pub fn check(mem: &GuestMemory<'_>, what: &'static str, ptr: u32, len: u32) -> Result<(), FaasmError> {
    mem.check(ptr, len).map_err(|_| FaasmError::OutOfBounds { what, ptr, len: u64::from(len), mem: mem.len() })
}
