//! Shared state by key: the `__faasm_*_state*` functions. Keys are C
//! strings; values are bytes. Every guest range is checked before the store
//! is touched, and size limits are checked before anything is written.
//!
//! * A missing key has size 0; reading it fills the buffer with zeros and
//!   returns 0 (Faasm creates a zeroed value of the asked size instead; we
//!   do not invent a value the caller never wrote).
//! * `read_state` copies `min(len, size)` bytes, zero-fills the rest of the
//!   buffer and returns the value's full size, so `len == 0` asks the size.
//! * Offsets: `offset + len` must fit `total_len`, which must fit the
//!   store's limit; a shorter value reads as zeros past its end and is
//!   grown with zeros to `total_len` on a write.
//! * `__faasm_appended_state_sizes` is ours, not Faasm's: Faasm's
//!   `read_appended_state` needs the caller to know the values' sizes,
//!   which a Python caller does not.

use super::api::{check_size, LockKind, StateError};
use super::ctx::FaasmCtx;
use super::guest::{self, FaasmError};
use crate::memory::GuestMemory;

fn key(mem: &GuestMemory<'_>, ptr: u32) -> Result<String, FaasmError> {
    let k = guest::c_str(mem, "state key", ptr)?;
    if k.is_empty() {
        return Err(StateError::EmptyKey.into());
    }
    Ok(k)
}

pub fn read_state(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, key_ptr: u32, buf: u32, len: u32) -> Result<i32, FaasmError> {
    let key = key(mem, key_ptr)?;
    let len = guest::length("state buffer length", len)?;
    guest::check(mem, "state buffer", buf, len)?;
    if len == 0 {
        return Ok(ctx.state.size(&key)?.min(i32::MAX as u64) as i32);
    }
    let value = ctx.state.get(&key)?;
    let out = guest::bytes_mut(mem, "state buffer", buf, len)?;
    let n = value.len().min(out.len());
    out[..n].copy_from_slice(&value[..n]);
    out[n..].fill(0);
    Ok(value.len().min(i32::MAX as usize) as i32)
}

fn check_range(ctx: &FaasmCtx, key: &str, total: u32, offset: u32, len: u32) -> Result<(), FaasmError> {
    check_size(key, u64::from(total), ctx.state.max_value_size())?;
    if u64::from(offset) + u64::from(len) > u64::from(total) {
        return Err(StateError::Range { key: key.to_owned(), offset: offset.into(), len: len.into(), total: total.into() }.into());
    }
    Ok(())
}

pub fn read_state_offset(
    ctx: &mut FaasmCtx,
    mem: &mut GuestMemory<'_>,
    key_ptr: u32,
    total: u32,
    offset: u32,
    buf: u32,
    len: u32,
) -> Result<(), FaasmError> {
    let key = key(mem, key_ptr)?;
    let total = guest::length("state total length", total)?;
    let offset = guest::length("state offset", offset)?;
    let len = guest::length("state buffer length", len)?;
    guest::check(mem, "state buffer", buf, len)?;
    check_range(ctx, &key, total, offset, len)?;
    let chunk = ctx.state.get_range(&key, offset.into(), len.into())?;
    let out = guest::bytes_mut(mem, "state buffer", buf, len)?;
    let n = chunk.len().min(out.len());
    out[..n].copy_from_slice(&chunk[..n]);
    out[n..].fill(0);
    Ok(())
}

pub fn write_state(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, key_ptr: u32, data: u32, len: u32) -> Result<(), FaasmError> {
    let key = key(mem, key_ptr)?;
    let len = guest::length("state value length", len)?;
    check_size(&key, len.into(), ctx.state.max_value_size())?;
    let value = guest::bytes(mem, "state value", data, len)?;
    ctx.state.set(&key, value)?;
    Ok(())
}

pub fn write_state_offset(
    ctx: &mut FaasmCtx,
    mem: &mut GuestMemory<'_>,
    key_ptr: u32,
    total: u32,
    offset: u32,
    data: u32,
    len: u32,
) -> Result<(), FaasmError> {
    let key = key(mem, key_ptr)?;
    let total = guest::length("state total length", total)?;
    let offset = guest::length("state offset", offset)?;
    let len = guest::length("state value length", len)?;
    check_range(ctx, &key, total, offset, len)?;
    let value = guest::bytes(mem, "state value", data, len)?;
    ctx.state.set_range(&key, total.into(), offset.into(), value)?;
    Ok(())
}

pub fn append_state(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, key_ptr: u32, data: u32, len: u32) -> Result<(), FaasmError> {
    let key = key(mem, key_ptr)?;
    let len = guest::length("appended value length", len)?;
    check_size(&key, len.into(), ctx.state.max_value_size())?;
    let value = guest::bytes(mem, "appended value", data, len)?;
    ctx.state.append(&key, value)?;
    Ok(())
}

/// Copies the first `n` appended values, back to back, into the buffer;
/// they must fill it exactly (Faasm's callers size it as `n` times the
/// element size), so a mismatch traps instead of handing back garbage.
pub fn read_appended_state(
    ctx: &mut FaasmCtx,
    mem: &mut GuestMemory<'_>,
    key_ptr: u32,
    buf: u32,
    len: u32,
    n: u32,
) -> Result<(), FaasmError> {
    let key = key(mem, key_ptr)?;
    let len = guest::length("appended buffer length", len)?;
    let n = guest::length("number of appended values", n)?;
    guest::check(mem, "appended buffer", buf, len)?;
    let values = ctx.state.read_appended(&key, n.into())?;
    let total: u64 = values.iter().map(|v| v.len() as u64).sum();
    if total != u64::from(len) {
        return Err(FaasmError::Other(format!(
            "the first {n} values appended to key {key:?} hold {total} bytes, the buffer {len}"
        )));
    }
    let out = guest::bytes_mut(mem, "appended buffer", buf, len)?;
    let mut at = 0;
    for v in &values {
        out[at..at + v.len()].copy_from_slice(v);
        at += v.len();
    }
    Ok(())
}

/// Ours (see the module note): writes the sizes of the first
/// `min(n, count)` appended values as i32s at `sizes` and returns `count`,
/// the number of values appended to the key.
pub fn appended_state_sizes(
    ctx: &mut FaasmCtx,
    mem: &mut GuestMemory<'_>,
    key_ptr: u32,
    sizes: u32,
    n: u32,
) -> Result<i32, FaasmError> {
    let key = key(mem, key_ptr)?;
    let n = guest::length("number of sizes", n)?;
    let bytes = n.checked_mul(4).ok_or(FaasmError::OutOfBounds {
        what: "sizes array",
        ptr: sizes,
        len: u64::from(n) * 4,
        mem: mem.len(),
    })?;
    guest::check(mem, "sizes array", sizes, bytes)?;
    let all = ctx.state.read_appended(&key, u64::MAX)?;
    let out = guest::bytes_mut(mem, "sizes array", sizes, bytes)?;
    for (slot, v) in out.chunks_exact_mut(4).zip(&all) {
        slot.copy_from_slice(&(v.len() as u32).to_le_bytes());
    }
    Ok(all.len().min(i32::MAX as usize) as i32)
}

pub fn clear_appended_state(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, key_ptr: u32) -> Result<(), FaasmError> {
    let key = key(mem, key_ptr)?;
    ctx.state.clear_appended(&key)?;
    Ok(())
}

pub fn push_state(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, key_ptr: u32) -> Result<(), FaasmError> {
    let key = key(mem, key_ptr)?;
    ctx.state.push(&key)?;
    Ok(())
}

pub fn push_state_partial(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, key_ptr: u32) -> Result<(), FaasmError> {
    push_state(ctx, mem, key_ptr)
}

pub fn pull_state(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, key_ptr: u32, len: u32) -> Result<(), FaasmError> {
    let key = key(mem, key_ptr)?;
    let len = guest::length("state length", len)?;
    check_size(&key, len.into(), ctx.state.max_value_size())?;
    ctx.state.pull(&key, len.into())?;
    Ok(())
}

fn lock(ctx: &mut FaasmCtx, mem: &GuestMemory<'_>, key_ptr: u32, kind: LockKind) -> Result<(), FaasmError> {
    let key = key(mem, key_ptr)?;
    ctx.state.lock(&key, kind)?;
    ctx.note_locked(&key, kind);
    Ok(())
}

fn unlock(ctx: &mut FaasmCtx, mem: &GuestMemory<'_>, key_ptr: u32, kind: LockKind) -> Result<(), FaasmError> {
    let key = key(mem, key_ptr)?;
    if !ctx.note_unlocked(&key, kind) {
        return Err(StateError::NotLocked { key, kind }.into());
    }
    ctx.state.unlock(&key, kind)?;
    Ok(())
}

pub fn lock_state_read(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, key_ptr: u32) -> Result<(), FaasmError> {
    lock(ctx, mem, key_ptr, LockKind::Read)
}
pub fn lock_state_write(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, key_ptr: u32) -> Result<(), FaasmError> {
    lock(ctx, mem, key_ptr, LockKind::Write)
}
pub fn unlock_state_read(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, key_ptr: u32) -> Result<(), FaasmError> {
    unlock(ctx, mem, key_ptr, LockKind::Read)
}
pub fn unlock_state_write(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, key_ptr: u32) -> Result<(), FaasmError> {
    unlock(ctx, mem, key_ptr, LockKind::Write)
}
