//! Blocking WASI calls that a timeout can cut short.
//!
//! A guest blocked in the host (reading a pipe or terminal, sleeping in
//! `poll_oneoff`) runs no compiled code, so the engine's interrupt checks
//! never see its flag. When the embedder gave the context an
//! [`InterruptHandle`] (`WasiCtxBuilder::interrupt`), these waits also poll
//! the handle's eventfd and give up with `Intr` once it fires; the engine
//! then turns the host function's return into the interrupt trap.

use super::types::Errno;
use engine::InterruptHandle;
use rustix::event::{PollFd, PollFlags};
use rustix::fd::BorrowedFd;

/// Waits until `fd` is readable (or hung up, or in error: the read that
/// follows reports it), or fails with `Intr` once `interrupt` fires.
pub(crate) fn wait_readable(interrupt: &InterruptHandle, fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let Some(wake) = interrupt.wait_fd() else { return Ok(()) };
    loop {
        let mut fds = [PollFd::from_borrowed_fd(fd, PollFlags::IN), PollFd::from_borrowed_fd(wake, PollFlags::IN)];
        match rustix::event::poll(&mut fds, None) {
            Ok(_) => {}
            Err(e) if e == rustix::io::Errno::INTR => continue,
            Err(e) => return Err(e.into()),
        }
        if interrupt.is_interrupted() {
            return Err(Errno::Intr);
        }
        if !fds[0].revents().is_empty() {
            return Ok(());
        }
    }
}
