//! `args_*` and `environ_*`: the program's arguments and environment, as
//! NUL-terminated strings plus an array of pointers to them.

use super::ctx::WasiCtx;
use super::types::Errno;
use crate::memory::GuestMemory;

/// Writes `strings` as C strings into `buf` and their addresses into
/// `ptrs`. Both ranges are checked before anything is written.
fn put_strings(mem: &mut GuestMemory<'_>, strings: &[Vec<u8>], ptrs: u32, buf: u32) -> Result<(), Errno> {
    let count = u32::try_from(strings.len()).map_err(|_| Errno::Overflow)?;
    let total: usize = strings.iter().map(|s| s.len() + 1).sum();
    let total = u32::try_from(total).map_err(|_| Errno::Overflow)?;
    mem.check(ptrs, count.checked_mul(4).ok_or(Errno::Fault)?)?;
    mem.check(buf, total)?;
    let mut at = buf;
    for (i, s) in strings.iter().enumerate() {
        mem.write_u32(ptrs + 4 * i as u32, at)?;
        mem.write_bytes(at, s)?;
        let len = s.len() as u32;
        mem.write_u8(at + len, 0)?;
        at += len + 1;
    }
    Ok(())
}

fn put_sizes(mem: &mut GuestMemory<'_>, strings: &[Vec<u8>], count_ptr: u32, size_ptr: u32) -> Result<(), Errno> {
    let count = u32::try_from(strings.len()).map_err(|_| Errno::Overflow)?;
    let total: usize = strings.iter().map(|s| s.len() + 1).sum();
    let total = u32::try_from(total).map_err(|_| Errno::Overflow)?;
    mem.check(count_ptr, 4)?;
    mem.check(size_ptr, 4)?;
    mem.write_u32(count_ptr, count)?;
    mem.write_u32(size_ptr, total)
}

pub fn args_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, argv: u32, argv_buf: u32) -> Result<(), Errno> {
    put_strings(mem, &ctx.args, argv, argv_buf)
}

pub fn args_sizes_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, argc: u32, size: u32) -> Result<(), Errno> {
    put_sizes(mem, &ctx.args, argc, size)
}

pub fn environ_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, environ: u32, buf: u32) -> Result<(), Errno> {
    put_strings(mem, &ctx.env, environ, buf)
}

pub fn environ_sizes_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, count: u32, size: u32) -> Result<(), Errno> {
    put_sizes(mem, &ctx.env, count, size)
}
