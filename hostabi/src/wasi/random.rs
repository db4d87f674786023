//! `random_get`: bytes from the operating system's CSPRNG (`getrandom(2)`),
//! written straight into guest memory.

use super::ctx::WasiCtx;
use super::types::Errno;
use crate::memory::GuestMemory;
use rustix::rand::{getrandom, GetRandomFlags};

pub fn random_get(_ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, buf: u32, len: u32) -> Result<(), Errno> {
    let mut out = mem.slice_mut(buf, len)?;
    // getrandom returns at most 32 MiB per call and may be interrupted.
    while !out.is_empty() {
        match getrandom(&mut *out, GetRandomFlags::empty()) {
            Ok(0) => return Err(Errno::Io),
            Ok(n) => out = &mut out[n..],
            Err(e) if e == rustix::io::Errno::INTR => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
