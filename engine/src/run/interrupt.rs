//! Interrupting running guest code from another thread (timeouts).
//!
//! Every store owns one [`InterruptHandle`]. Its flag is a `u32` that
//! compiled code reads at every loop header and at the entry of every
//! function that makes calls (see `translate::environ::Env::interrupt_check`):
//! one load, one compare and a branch to a trap that is never taken until
//! the flag is set. Setting it makes the guest trap with
//! `TrapKind::Interrupt` at its next check, so any code path that runs
//! unboundedly (a loop, or a chain of calls) is stopped within one loop
//! iteration or call.
//!
//! A guest can also be stuck inside a host function (a WASI sleep, a read
//! of a pipe). Host functions that block wait on [`InterruptHandle::wait_fd`]
//! alongside what they wait for, an `eventfd` that becomes readable when
//! the handle is interrupted; and the engine turns the return of any host
//! function called after the interrupt into the same trap.
//!
//! The flag stays set: once interrupted, a store's guest code traps at its
//! first check on every later call too (as wasmtime's epoch deadline does).

use std::sync::atomic::{fence, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Cloneable, `Send + Sync` handle that interrupts one store's guest code.
#[derive(Clone, Debug, Default)]
pub struct InterruptHandle(Arc<State>);

#[derive(Debug, Default)]
struct State {
    /// Non-zero once interrupted; read by compiled code.
    flag: AtomicU32,
    /// Made on first use by a blocking host function: most stores never
    /// block, and an eventfd is a system call and a descriptor.
    event: OnceLock<Option<std::os::fd::OwnedFd>>,
}

impl InterruptHandle {
    pub fn new() -> InterruptHandle {
        InterruptHandle::default()
    }

    /// Stops the guest at its next check, and wakes a host function
    /// blocked on [`InterruptHandle::wait_fd`].
    pub fn interrupt(&self) {
        self.0.flag.store(1, Ordering::SeqCst);
        // Pairs with the fence in `wait_fd`: either the waiter sees the
        // flag, or we see its eventfd and wake it.
        fence(Ordering::SeqCst);
        if let Some(Some(fd)) = self.0.event.get() {
            wake(fd);
        }
    }

    pub fn is_interrupted(&self) -> bool {
        self.0.flag.load(Ordering::SeqCst) != 0
    }

    /// The address compiled code reads (see `VMLimits::interrupt`); valid
    /// as long as any clone of this handle lives.
    pub(crate) fn flag_ptr(&self) -> *const AtomicU32 {
        &self.0.flag
    }

    /// A descriptor that is readable once the handle is interrupted, for a
    /// host function to `poll` alongside what it waits for. `None` if the
    /// system refused an eventfd (then only the flag is available).
    pub fn wait_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        use std::os::fd::{AsFd, FromRawFd, OwnedFd};
        let ev = self.0.event.get_or_init(|| {
            // SAFETY: eventfd takes no pointers; a non-negative result is a
            // new descriptor that nothing else owns.
            let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
            // SAFETY: `raw` is a fresh descriptor we own (checked >= 0).
            (raw >= 0).then(|| unsafe { OwnedFd::from_raw_fd(raw) })
        });
        fence(Ordering::SeqCst);
        let fd = ev.as_ref()?;
        if self.is_interrupted() {
            // The interrupt may have come before the eventfd existed.
            wake(fd);
        }
        Some(fd.as_fd())
    }

    /// Interrupts after `timeout` unless the returned guard is dropped
    /// first; one timer thread per guard (for a command line run; a server
    /// uses its own timers and calls [`InterruptHandle::interrupt`]).
    pub fn interrupt_after(&self, timeout: Duration) -> Deadline {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let handle = self.clone();
        let thread = std::thread::Builder::new()
            .name("faasm-deadline".into())
            .spawn(move || {
                // A message or a hang-up means "cancelled"; only the timeout fires.
                if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(timeout) {
                    handle.interrupt();
                }
            })
            .ok();
        Deadline { cancel: Some(tx), thread }
    }

}

fn wake(fd: &std::os::fd::OwnedFd) {
    use std::os::fd::AsRawFd;
    let one: u64 = 1;
    // SAFETY: writes 8 bytes from a live local to a descriptor we own; a
    // full counter (EAGAIN) already means "readable", so errors are moot.
    unsafe { libc::write(fd.as_raw_fd(), &one as *const u64 as *const libc::c_void, 8) };
}

/// A pending [`InterruptHandle::interrupt_after`]; dropping it cancels.
#[derive(Debug)]
pub struct Deadline {
    cancel: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Deadline {
    fn drop(&mut self) {
        drop(self.cancel.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Never set: what `VMLimits` points to when no store owns it (tests that
/// drive compiled code by hand).
pub(crate) static NEVER_INTERRUPTED: AtomicU32 = AtomicU32::new(0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_fd_is_readable_after_interrupt_even_if_made_later() {
        let h = InterruptHandle::new();
        assert!(!h.is_interrupted());
        h.interrupt();
        assert!(h.is_interrupted());
        let fd = h.wait_fd().expect("eventfd");
        let mut p = [libc::pollfd { fd: std::os::fd::AsRawFd::as_raw_fd(&fd), events: libc::POLLIN, revents: 0 }];
        // SAFETY: one valid pollfd in a live array.
        let n = unsafe { libc::poll(p.as_mut_ptr(), 1, 5000) };
        assert_eq!(n, 1);
    }

    #[test]
    fn dropped_deadline_never_fires() {
        let h = InterruptHandle::new();
        drop(h.interrupt_after(Duration::from_secs(3600)));
        assert!(!h.is_interrupted());
        let d = h.interrupt_after(Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(200));
        assert!(h.is_interrupted());
        drop(d);
    }
}
