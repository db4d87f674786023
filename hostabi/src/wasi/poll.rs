//! `poll_oneoff`: wait for clocks and descriptors.
//!
//! Clock subscriptions become deadlines on the host's monotonic clock (an
//! absolute realtime deadline is converted once, when the call starts).
//! Regular files and directories are always ready, as POSIX `poll` says;
//! streams (pipes, terminals, sockets) are polled with `ppoll(2)`, which has
//! nanosecond timeouts. A subscription that cannot be honoured (unknown
//! clock, CPU-time clock, bad descriptor) produces an event carrying the
//! error, as the WASI contract says, instead of failing the whole call.

use super::clock;
use super::ctx::WasiCtx;
use super::types::{clockid, eventrwflags, eventtype, filetype, layout, rights, subclockflags, Errno};
use crate::memory::GuestMemory;
use rustix::event::{PollFd, PollFlags};
use rustix::fd::AsFd;

#[derive(Debug)]
enum What {
    /// Fires when the monotonic clock reaches this many nanoseconds.
    Clock(u64),
    /// A stream polled by the host; `read` tells read from write.
    Stream { fd: u32, read: bool },
    /// Ready at once with this event payload.
    Now { error: Errno, nbytes: u64, flags: u16 },
}

#[derive(Debug)]
struct Sub {
    userdata: u64,
    tag: u8,
    what: What,
}

#[derive(Debug, Clone, Copy)]
struct Event {
    userdata: u64,
    error: Errno,
    tag: u8,
    nbytes: u64,
    flags: u16,
}

fn now_mono() -> Result<u64, Errno> {
    clock::now(clockid::MONOTONIC)
}

fn parse(ctx: &WasiCtx, mem: &GuestMemory<'_>, at: u32, now: u64) -> Result<Sub, Errno> {
    let userdata = mem.read_u64(at + layout::SUBSCRIPTION_USERDATA)?;
    let tag = mem.read_u8(at + layout::SUBSCRIPTION_TAG)?;
    let now_err = |error| What::Now { error, nbytes: 0, flags: 0 };
    let what = match tag {
        eventtype::CLOCK => {
            let id = mem.read_u32(at + layout::SUBSCRIPTION_CLOCK_ID)?;
            let timeout = mem.read_u64(at + layout::SUBSCRIPTION_CLOCK_TIMEOUT)?;
            let flags = mem.read_u16(at + layout::SUBSCRIPTION_CLOCK_FLAGS)?;
            let abs = flags & subclockflags::ABSTIME != 0;
            if flags & !subclockflags::ABSTIME != 0 {
                now_err(Errno::Inval)
            } else {
                match (id, abs) {
                    (clockid::MONOTONIC, true) => What::Clock(timeout),
                    (clockid::MONOTONIC | clockid::REALTIME, false) => What::Clock(now.saturating_add(timeout)),
                    (clockid::REALTIME, true) => {
                        let real = clock::now(clockid::REALTIME)?;
                        What::Clock(now.saturating_add(timeout.saturating_sub(real)))
                    }
                    // A CPU-time deadline cannot be waited for while the
                    // guest is blocked (its CPU time does not advance).
                    _ => now_err(Errno::Inval),
                }
            }
        }
        eventtype::FD_READ | eventtype::FD_WRITE => {
            let fd = mem.read_u32(at + layout::SUBSCRIPTION_FD)?;
            let read = tag == eventtype::FD_READ;
            match ctx.get(fd) {
                Err(e) => now_err(e),
                Ok(d) if d.rights_base & rights::POLL_FD_READWRITE == 0 => now_err(Errno::NotCapable),
                Ok(d) if d.filetype == filetype::REGULAR_FILE => {
                    // Always ready; for reading, report what is left.
                    let nbytes = if read {
                        let size = rustix::fs::fstat(d.fd.as_fd()).map(|s| s.st_size as u64).unwrap_or(0);
                        let pos = rustix::fs::tell(d.fd.as_fd()).unwrap_or(0);
                        size.saturating_sub(pos)
                    } else {
                        0
                    };
                    What::Now { error: Errno::Success, nbytes, flags: 0 }
                }
                Ok(d) if d.filetype == filetype::DIRECTORY => now_err(Errno::Badf),
                Ok(_) => What::Stream { fd, read },
            }
        }
        _ => return Err(Errno::Inval),
    };
    Ok(Sub { userdata, tag, what })
}

pub fn poll_oneoff(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    subs: u32,
    events: u32,
    nsubs: u32,
    nevents: u32,
) -> Result<(), Errno> {
    if nsubs == 0 {
        // Waiting for nothing would block forever.
        return Err(Errno::Inval);
    }
    mem.check(subs, nsubs.checked_mul(layout::SUBSCRIPTION_SIZE).ok_or(Errno::Fault)?)?;
    mem.check(events, nsubs.checked_mul(layout::EVENT_SIZE).ok_or(Errno::Fault)?)?;
    mem.check(nevents, 4)?;

    let start = now_mono()?;
    let mut list = Vec::with_capacity(nsubs as usize);
    for i in 0..nsubs {
        list.push(parse(ctx, mem, subs + i * layout::SUBSCRIPTION_SIZE, start)?);
    }

    let ready = wait(ctx, &list)?;
    for (i, ev) in ready.iter().enumerate() {
        let at = events + i as u32 * layout::EVENT_SIZE;
        let mut b = [0u8; layout::EVENT_SIZE as usize];
        b[0..8].copy_from_slice(&ev.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&ev.error.code().to_le_bytes());
        b[10] = ev.tag;
        b[16..24].copy_from_slice(&ev.nbytes.to_le_bytes());
        b[24..26].copy_from_slice(&ev.flags.to_le_bytes());
        mem.write_bytes(at, &b)?;
    }
    mem.write_u32(nevents, ready.len() as u32)
}

/// The event of subscription `s` with no payload.
fn plain(s: &Sub) -> Event {
    Event { userdata: s.userdata, error: Errno::Success, tag: s.tag, nbytes: 0, flags: 0 }
}

/// Blocks until at least one subscription is ready and returns the ready
/// ones, in subscription order.
fn wait(ctx: &WasiCtx, list: &[Sub]) -> Result<Vec<Event>, Errno> {
    loop {
        let now = now_mono()?;
        let mut ready: Vec<(usize, Event)> = Vec::new();
        let mut deadline: Option<u64> = None;
        let mut streams: Vec<(usize, u32, bool)> = Vec::new();
        for (i, s) in list.iter().enumerate() {
            match s.what {
                What::Now { error, nbytes, flags } => ready.push((i, Event { error, nbytes, flags, ..plain(s) })),
                What::Clock(t) if t <= now => ready.push((i, plain(s))),
                What::Clock(t) => deadline = Some(deadline.map_or(t, |d: u64| d.min(t))),
                What::Stream { fd, read } => streams.push((i, fd, read)),
            }
        }

        // Poll the streams, without waiting if something is ready already.
        let mut pollfds = Vec::with_capacity(streams.len() + 1);
        for &(_, fd, read) in &streams {
            let d = ctx.get(fd)?;
            let ev = if read { PollFlags::IN } else { PollFlags::OUT };
            pollfds.push(PollFd::from_borrowed_fd(d.fd.as_fd(), ev));
        }
        // Last: the interrupt eventfd, so that a timeout ends the wait
        // (see `interrupt.rs`); the engine then stops the guest.
        if let Some(wake) = ctx.interrupt.as_ref().and_then(|h| h.wait_fd()) {
            pollfds.push(PollFd::from_borrowed_fd(wake, PollFlags::IN));
        }
        let timeout = if ready.is_empty() { deadline.map(|d| d.saturating_sub(now)) } else { Some(0) };
        let ts =
            timeout.map(|ns| rustix::time::Timespec { tv_sec: (ns / 1_000_000_000) as i64, tv_nsec: (ns % 1_000_000_000) as _ });
        match rustix::event::poll(&mut pollfds, ts.as_ref()) {
            Ok(_) => {}
            Err(e) if e == rustix::io::Errno::INTR => continue,
            Err(e) => return Err(e.into()),
        }
        if ctx.interrupt.as_ref().is_some_and(|h| h.is_interrupted()) {
            return Err(Errno::Intr);
        }
        for (&(i, fd, read), p) in streams.iter().zip(pollfds.iter()) {
            let re = p.revents();
            let Some(s) = list.get(i) else { continue };
            if re.is_empty() {
                continue;
            }
            let mut ev = plain(s);
            if re.contains(PollFlags::NVAL) {
                ev.error = Errno::Badf;
            } else if re.contains(PollFlags::ERR) && !re.intersects(PollFlags::IN | PollFlags::OUT) {
                ev.error = Errno::Io;
            }
            if re.contains(PollFlags::HUP) {
                ev.flags |= eventrwflags::HANGUP;
            }
            if read && ev.error == Errno::Success {
                if let Ok(d) = ctx.get(fd) {
                    ev.nbytes = rustix::io::ioctl_fionread(d.fd.as_fd()).unwrap_or(0);
                }
            }
            ready.push((i, ev));
        }
        drop(pollfds);

        if ready.is_empty() {
            // Clocks that expired while we waited.
            let after = now_mono()?;
            for (i, s) in list.iter().enumerate() {
                if matches!(s.what, What::Clock(t) if t <= after) {
                    ready.push((i, plain(s)));
                }
            }
        }
        if ready.is_empty() {
            // Woken early (a signal): wait again.
            continue;
        }
        ready.sort_by_key(|&(i, _)| i);
        return Ok(ready.into_iter().map(|(_, e)| e).collect());
    }
}
