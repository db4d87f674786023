//! A progress bar for long compilations (compiled functions / total).
//!
//! Shown on stderr only when it is a terminal, and only once a compilation
//! has run for a moment, so quick compiles, pipes and CI logs stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Compilations shorter than this never show a bar.
const SHOW_AFTER: Duration = Duration::from_millis(300);

/// Receives `(compiled, total)` from the compile stage, from any thread.
pub struct CompileProgress {
    bar: ProgressBar,
    enabled: bool,
    shown: AtomicBool,
    done: AtomicU64,
    start: Instant,
}

impl CompileProgress {
    /// A bar labelled `what` (e.g. the module's file name), drawn on stderr
    /// if stderr is a terminal.
    pub fn new(what: &str) -> CompileProgress {
        Self::with_enabled(what, std::io::stderr().is_terminal())
    }

    /// A bar that never draws (for embedders and tests).
    pub fn hidden() -> CompileProgress {
        Self::with_enabled("", false)
    }

    fn with_enabled(what: &str, enabled: bool) -> CompileProgress {
        let bar = ProgressBar::hidden();
        if let Ok(style) = ProgressStyle::with_template(
            // `wide_bar` fits the line to the terminal, so it never wraps.
            "compiling {prefix} [{wide_bar}] {pos}/{len} ({elapsed})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(what.to_string());
        CompileProgress { bar, enabled, shown: AtomicBool::new(false), done: AtomicU64::new(0), start: Instant::now() }
    }

    /// `done` of `total` functions are compiled. Calls may come from many
    /// threads and out of order; the bar never goes backwards.
    pub fn update(&self, done: usize, total: usize) {
        let done = done as u64;
        let prev = self.done.fetch_max(done, Ordering::Relaxed);
        if !self.enabled || done < prev {
            return;
        }
        if !self.shown.load(Ordering::Relaxed) {
            if self.start.elapsed() < SHOW_AFTER || done >= total as u64 {
                return;
            }
            if self.shown.swap(true, Ordering::Relaxed) {
                return; // another thread is switching it on
            }
            self.bar.set_length(total as u64);
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.bar.set_length(total as u64);
        self.bar.set_position(done);
    }

    /// Whether the bar has been drawn.
    pub fn was_shown(&self) -> bool {
        self.shown.load(Ordering::Relaxed)
    }

    /// Highest count reported so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }
}

impl Drop for CompileProgress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_never_go_backwards_and_hidden_never_shows() {
        let p = CompileProgress::hidden();
        p.update(5, 10);
        p.update(3, 10);
        assert_eq!(p.done(), 5);
        std::thread::sleep(SHOW_AFTER);
        p.update(7, 10);
        assert_eq!(p.done(), 7);
        assert!(!p.was_shown());
    }

    #[test]
    fn concurrent_updates() {
        let p = CompileProgress::hidden();
        std::thread::scope(|s| {
            for t in 0..4 {
                let p = &p;
                s.spawn(move || (0..250).for_each(|i| p.update(t * 250 + i + 1, 1000)));
            }
        });
        assert_eq!(p.done(), 1000);
    }
}
