//! Input, output and call facts: `__faasm_read_input`,
//! `__faasm_write_output`, `__faasm_get_idx`, `__faasm_conf_flag` and the
//! Python entry names (`__faasm_get_py_user/func/entry`).

use super::ctx::FaasmCtx;
use super::guest::{self, FaasmError};
use crate::memory::GuestMemory;

/// With `len == 0`, the input's size; otherwise copies up to `len` bytes
/// and returns how many were copied (Faasm's `doFaasmReadInput`).
pub fn read_input(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, buf: u32, len: u32) -> Result<i32, FaasmError> {
    let len = guest::length("input buffer length", len)?;
    let size = ctx.input.len();
    if len == 0 {
        return i32::try_from(size).map_err(|_| FaasmError::Other(format!("input of {size} bytes is too large")));
    }
    let n = size.min(len as usize);
    guest::bytes_mut(mem, "input buffer", buf, n as u32)?.copy_from_slice(&ctx.input[..n]);
    Ok(n as i32)
}

/// Replaces the call's output.
pub fn write_output(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, buf: u32, len: u32) -> Result<(), FaasmError> {
    let len = guest::length("output length", len)?;
    ctx.output = Some(guest::bytes(mem, "output buffer", buf, len)?.to_vec());
    Ok(())
}

pub fn get_idx(ctx: &mut FaasmCtx, _mem: &mut GuestMemory<'_>) -> Result<i32, FaasmError> {
    Ok(ctx.idx as i32)
}

/// A configuration flag; unknown names are 0, as in Faasm.
pub fn conf_flag(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, key: u32) -> Result<i32, FaasmError> {
    let key = guest::c_str(mem, "flag name", key)?;
    Ok(ctx.conf.get(&key).copied().unwrap_or(0) as i32)
}

/// Writes `value` NUL-terminated into `[buf, buf + len)`; a value that does
/// not fit traps rather than being cut silently.
fn write_name(mem: &mut GuestMemory<'_>, buf: u32, len: u32, value: &str) -> Result<(), FaasmError> {
    let len = guest::length("name buffer length", len)?;
    let need = value.len() + 1;
    if need > len as usize {
        return Err(FaasmError::Other(format!("name {value:?} needs {need} bytes, the buffer has {len}")));
    }
    let out = guest::bytes_mut(mem, "name buffer", buf, need as u32)?;
    out[..value.len()].copy_from_slice(value.as_bytes());
    out[value.len()] = 0;
    Ok(())
}

pub fn get_py_user(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, buf: u32, len: u32) -> Result<(), FaasmError> {
    write_name(mem, buf, len, &ctx.python.user)
}

pub fn get_py_func(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, buf: u32, len: u32) -> Result<(), FaasmError> {
    write_name(mem, buf, len, &ctx.python.func)
}

pub fn get_py_entry(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, buf: u32, len: u32) -> Result<(), FaasmError> {
    write_name(mem, buf, len, &ctx.python.entry)
}
