//! `sock_*`: preview1's socket calls.
//!
//! A guest can only hold a socket that the embedder handed it (preview1 has
//! no way to create one), and this host never does, so these calls check
//! the descriptor and answer `NotSup` for sockets (`NotSock` for anything
//! else, `Badf` for no descriptor). This is the behaviour the issue allows;
//! real socket support would start here.

use super::ctx::WasiCtx;
use super::types::{filetype, Errno};
use crate::memory::GuestMemory;

fn socket(ctx: &WasiCtx, fd: u32) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    match d.filetype {
        filetype::SOCKET_STREAM | filetype::SOCKET_DGRAM => Err(Errno::NotSup),
        _ => Err(Errno::NotSock),
    }
}

pub fn sock_accept(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, _flags: u32, _out: u32) -> Result<(), Errno> {
    socket(ctx, fd)
}

#[allow(clippy::too_many_arguments)]
pub fn sock_recv(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    _ri_data: u32,
    _ri_data_len: u32,
    _ri_flags: u32,
    _ro_datalen: u32,
    _ro_flags: u32,
) -> Result<(), Errno> {
    socket(ctx, fd)
}

pub fn sock_send(
    ctx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    _si_data: u32,
    _si_data_len: u32,
    _si_flags: u32,
    _so_datalen: u32,
) -> Result<(), Errno> {
    socket(ctx, fd)
}

pub fn sock_shutdown(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, _how: u32) -> Result<(), Errno> {
    socket(ctx, fd)
}
