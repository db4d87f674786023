//! Stage 6: calling into compiled code, traps and signal handling.
//!
//! `entry` calls compiled code inside a sigsetjmp catch (catch.c),
//! `signals` turns faults in compiled code into traps, and `backtrace`
//! walks the frame-pointer chain of a trap; `interrupt` stops guest code
//! from another thread (timeouts).

pub mod backtrace;
pub mod entry;
pub mod interrupt;
pub mod signals;

#[cfg(all(test, target_arch = "x86_64", target_os = "linux"))]
mod tests;
