//! `clock_res_get` and `clock_time_get`: the four WASI clocks, read from the
//! host's `CLOCK_REALTIME`, `CLOCK_MONOTONIC`, `CLOCK_PROCESS_CPUTIME_ID`
//! and `CLOCK_THREAD_CPUTIME_ID`, in nanoseconds.

use super::ctx::WasiCtx;
use super::types::{clockid, Errno};
use crate::memory::GuestMemory;
use rustix::time::{ClockId, Timespec};

pub(crate) fn host_clock(id: u32) -> Result<ClockId, Errno> {
    match id {
        clockid::REALTIME => Ok(ClockId::Realtime),
        clockid::MONOTONIC => Ok(ClockId::Monotonic),
        clockid::PROCESS_CPUTIME_ID => Ok(ClockId::ProcessCPUTime),
        clockid::THREAD_CPUTIME_ID => Ok(ClockId::ThreadCPUTime),
        _ => Err(Errno::Inval),
    }
}

/// A timespec as WASI nanoseconds; times before the epoch or past the year
/// 2554 do not fit a WASI timestamp.
pub(crate) fn to_nanos(ts: Timespec) -> Result<u64, Errno> {
    let secs = u64::try_from(ts.tv_sec).map_err(|_| Errno::Overflow)?;
    let nsec = u64::try_from(ts.tv_nsec).map_err(|_| Errno::Overflow)?;
    secs.checked_mul(1_000_000_000).and_then(|n| n.checked_add(nsec)).ok_or(Errno::Overflow)
}

/// Current value of a WASI clock in nanoseconds.
pub(crate) fn now(id: u32) -> Result<u64, Errno> {
    to_nanos(rustix::time::clock_gettime(host_clock(id)?))
}

pub fn clock_res_get(_ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, id: u32, out: u32) -> Result<(), Errno> {
    let res = to_nanos(rustix::time::clock_getres(host_clock(id)?))?;
    // A resolution of 0 would tell the guest the clock never ticks.
    mem.write_u64(out, res.max(1))
}

pub fn clock_time_get(_ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, id: u32, _precision: u64, out: u32) -> Result<(), Errno> {
    // `precision` is a hint for clocks that can trade accuracy for speed;
    // the host clocks are read at full precision either way.
    mem.check(out, 8)?;
    let t = now(id)?;
    mem.write_u64(out, t)
}
