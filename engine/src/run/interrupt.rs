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

use std::sync::atomic::{fence, AtomicBool, AtomicU32, Ordering};
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
    /// first. All deadlines of the process share one timer thread, so a
    /// server can give every request its own deadline for the price of a
    /// map insertion.
    pub fn interrupt_after(&self, timeout: Duration) -> Deadline {
        let at = std::time::Instant::now().checked_add(timeout);
        let fired = Arc::new(AtomicBool::new(false));
        match at {
            // Beyond what an Instant can hold: never.
            None => Deadline { key: None, fired },
            Some(at) => Deadline { key: Some(timer::add(at, self.clone(), Arc::clone(&fired))), fired },
        }
    }
}

/// The process's one deadline thread: a map of pending deadlines ordered by
/// time, and a thread that sleeps until the earliest and fires what is due.
mod timer {
    use super::InterruptHandle;
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::sync::{Condvar, Mutex, OnceLock};
    use std::time::Instant;

    pub(super) type Key = (Instant, u64);

    #[derive(Default)]
    struct Pending {
        /// The handle to interrupt, and the flag its `Deadline` reads to
        /// tell a timeout from any other interrupt.
        map: BTreeMap<Key, (InterruptHandle, Arc<AtomicBool>)>,
        next_id: u64,
        /// Whether the thread is running (starting it can fail when the
        /// system is out of threads; `add` then tries again).
        running: bool,
    }

    struct Timer {
        pending: Mutex<Pending>,
        changed: Condvar,
    }

    fn timer() -> &'static Timer {
        static TIMER: OnceLock<Timer> = OnceLock::new();
        TIMER.get_or_init(|| {
            let t = Timer { pending: Mutex::new(Pending::default()), changed: Condvar::new() };
            let started = std::thread::Builder::new().name("faasm-deadline".into()).spawn(|| run(timer()));
            t.pending.lock().unwrap_or_else(|p| p.into_inner()).running = started.is_ok();
            t
        })
    }

    fn run(t: &Timer) {
        let mut p = t.pending.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let now = Instant::now();
            while let Some(entry) = p.map.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                let (handle, fired) = entry.remove();
                // Set before the interrupt, so that a guest stopped by it
                // always finds its deadline marked as the cause.
                fired.store(true, Ordering::SeqCst);
                handle.interrupt();
            }
            p = match p.map.first_key_value() {
                None => t.changed.wait(p).unwrap_or_else(|e| e.into_inner()),
                Some((k, _)) => {
                    let left = k.0.saturating_duration_since(now);
                    t.changed.wait_timeout(p, left).unwrap_or_else(|e| e.into_inner()).0
                }
            };
        }
    }

    pub(super) fn add(at: Instant, handle: InterruptHandle, fired: Arc<AtomicBool>) -> Key {
        let t = timer();
        let mut p = t.pending.lock().unwrap_or_else(|p| p.into_inner());
        let key = (at, p.next_id);
        p.next_id += 1;
        if !p.running {
            // The thread could not be started before (no resources):
            // try again, so a deadline is not silently lost.
            p.running = std::thread::Builder::new().name("faasm-deadline".into()).spawn(|| run(timer())).is_ok();
        }
        let earliest = p.map.first_key_value().is_none_or(|(k, _)| key < *k);
        p.map.insert(key, (handle, fired));
        drop(p);
        if earliest {
            t.changed.notify_one();
        }
        key
    }

    /// Cancels; after this returns the deadline will not fire.
    pub(super) fn remove(key: Key) {
        let t = timer();
        t.pending.lock().unwrap_or_else(|p| p.into_inner()).map.remove(&key);
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
    key: Option<timer::Key>,
    fired: Arc<AtomicBool>,
}

impl Deadline {
    /// Whether this deadline has interrupted its store: what tells a
    /// timeout from an interrupt for another reason (an embedder stopping
    /// the guest), without looking at a clock.
    pub fn has_fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            timer::remove(k);
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
        assert!(d.has_fired());
        drop(d);
    }

    #[test]
    fn an_interrupt_from_elsewhere_is_not_the_deadline() {
        let h = InterruptHandle::new();
        let d = h.interrupt_after(Duration::from_secs(3600));
        h.interrupt();
        assert!(h.is_interrupted());
        assert!(!d.has_fired());
    }

    #[test]
    fn deadlines_share_one_thread_and_fire_in_time_order() {
        let (late, early) = (InterruptHandle::new(), InterruptHandle::new());
        let _l = late.interrupt_after(Duration::from_secs(3600));
        // Added after a later one: the timer must wake earlier for it.
        let _e = early.interrupt_after(Duration::from_millis(5));
        let waited = std::time::Instant::now();
        while !early.is_interrupted() && waited.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(early.is_interrupted());
        assert!(!late.is_interrupted());
    }
}
