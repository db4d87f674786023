//! The thread pool chained calls run on.
//!
//! Two limits, kept apart so that awaiting can never deadlock the pool:
//! * threads: a queued job always has a thread to take it (an idle one, or
//!   a new one is started), so a parent blocked in `await_call` never holds
//!   up the child it waits for; idle threads end after [`IDLE_EXIT`];
//! * permits: at most `running` calls execute guest code at once. A call
//!   gives its permit back while it is blocked awaiting another
//!   ([`Pool::blocking`]) and takes one again before it continues.
//!
//! Every thread has a large native stack ([`GUEST_STACK`]) because guest
//! code (CPython) runs on it, with the engine's wasm stack limit below.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Native stack of each pool thread (the same as `faasm-engine run`'s guest thread).
pub use session::GUEST_STACK;
/// How long an idle thread waits for work before it ends.
pub const IDLE_EXIT: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send + 'static>;

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    idle: usize,
}

struct Permits {
    free: Mutex<usize>,
    cv: Condvar,
}

impl Permits {
    fn acquire(&self) {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.cv.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
    }
    fn release(&self) {
        *self.free.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.cv.notify_one();
    }
}

thread_local! {
    /// The permit the current thread holds while it runs a call.
    static HELD: std::cell::RefCell<Option<Arc<Permits>>> = const { std::cell::RefCell::new(None) };
}

pub struct Pool {
    queue: Arc<(Mutex<Queue>, Condvar)>,
    permits: Arc<Permits>,
}

impl Pool {
    /// A pool running at most `running` calls at once (at least 1).
    pub fn new(running: usize) -> Pool {
        Pool {
            queue: Arc::new((Mutex::new(Queue::default()), Condvar::new())),
            permits: Arc::new(Permits { free: Mutex::new(running.max(1)), cv: Condvar::new() }),
        }
    }

    /// Queues `job`; it runs on a pool thread holding a permit.
    pub fn spawn(&self, job: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
        let permits = Arc::clone(&self.permits);
        let job: Job = Box::new(move || {
            permits.acquire();
            HELD.with(|h| *h.borrow_mut() = Some(Arc::clone(&permits)));
            job();
            HELD.with(|h| *h.borrow_mut() = None);
            permits.release();
        });
        let (lock, cv) = &*self.queue;
        let mut q = lock.lock().unwrap_or_else(|p| p.into_inner());
        q.jobs.push_back(job);
        let need_thread = q.idle < q.jobs.len();
        drop(q);
        if need_thread {
            let queue = Arc::clone(&self.queue);
            std::thread::Builder::new().name("faasm-call".into()).stack_size(GUEST_STACK).spawn(move || worker(&queue))?;
        } else {
            cv.notify_one();
        }
        Ok(())
    }

    /// Runs `f` (a wait for another call) without holding this thread's
    /// permit, so the awaited call can run.
    pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
        let held = HELD.with(|h| h.borrow_mut().take());
        if let Some(p) = &held {
            p.release();
        }
        let out = f();
        if let Some(p) = held {
            p.acquire();
            HELD.with(|h| *h.borrow_mut() = Some(p));
        }
        out
    }
}

fn worker(queue: &(Mutex<Queue>, Condvar)) {
    let (lock, cv) = queue;
    loop {
        let job = {
            let mut q = lock.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if let Some(j) = q.jobs.pop_front() {
                    break Some(j);
                }
                q.idle += 1;
                let (g, timeout) = cv.wait_timeout(q, IDLE_EXIT).unwrap_or_else(|p| p.into_inner());
                q = g;
                q.idle -= 1;
                if timeout.timed_out() && q.jobs.is_empty() {
                    break None;
                }
            }
        };
        match job {
            Some(j) => j(),
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    #[test]
    fn nested_waits_on_a_one_permit_pool_do_not_deadlock() {
        let pool = Arc::new(Pool::new(1));
        let (tx, rx) = mpsc::channel();
        let p2 = Arc::clone(&pool);
        pool.spawn(move || {
            // A parent that fans out 20 children and waits for them all.
            let (ctx, crx) = mpsc::channel();
            for i in 0..20 {
                let ctx = ctx.clone();
                p2.spawn(move || ctx.send(i).unwrap()).unwrap();
            }
            let sum: i32 = Pool::blocking(|| (0..20).map(|_| crx.recv().unwrap()).sum());
            tx.send(sum).unwrap();
        })
        .unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(20)).unwrap(), 190);
    }

    #[test]
    fn permits_bound_the_calls_running_at_once() {
        let pool = Pool::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel();
        for _ in 0..8 {
            let (running, peak, tx) = (running.clone(), peak.clone(), tx.clone());
            pool.spawn(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
                tx.send(()).unwrap();
            })
            .unwrap();
        }
        for _ in 0..8 {
            rx.recv_timeout(Duration::from_secs(20)).unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
