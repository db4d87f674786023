//! How a guest's run ended, typed all the way to the edge (an exit status,
//! an HTTP status, a Faasm call result): a timeout is known from the
//! engine's deadline having fired, never guessed from elapsed time.

use crate::error::SessionError;
use engine::{Trap, TrapKind, TrapReason, Val};

#[derive(Debug)]
pub enum Outcome {
    /// The entry returned these results.
    Returned(Vec<Val>),
    /// The guest called `proc_exit` with this status (0 included).
    Exited(i32),
    /// The session's deadline stopped it.
    TimedOut,
    /// A wasm trap or a failing host function, with its wasm backtrace
    /// (an interrupt that did not come from the deadline is one too).
    Trapped(Trap),
    /// It could not be set up, or has no such entry.
    Failed(SessionError),
}

impl Outcome {
    /// Whether the guest finished normally: returned, or exited with 0.
    pub fn succeeded(&self) -> bool {
        matches!(self, Outcome::Returned(_) | Outcome::Exited(0))
    }

    /// The outcome of an engine error, given whether the deadline fired.
    /// An error that is not a trap becomes `Failed` through `otherwise`.
    pub(crate) fn of_error(
        error: engine::Error,
        deadline_fired: bool,
        otherwise: impl FnOnce(engine::Error) -> SessionError,
    ) -> Outcome {
        match error {
            engine::Error::Trap(t) => Outcome::of_trap(t, deadline_fired),
            other => Outcome::Failed(otherwise(other)),
        }
    }

    fn of_trap(t: Trap, deadline_fired: bool) -> Outcome {
        match t.reason {
            TrapReason::Exit(code) => Outcome::Exited(code),
            TrapReason::Wasm(TrapKind::Interrupt) if deadline_fired => Outcome::TimedOut,
            _ => Outcome::Trapped(t),
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Returned(_) => f.write_str("returned"),
            Outcome::Exited(code) => write!(f, "exited with status {code}"),
            Outcome::TimedOut => f.write_str("timed out"),
            Outcome::Trapped(t) => write!(f, "{t}"),
            Outcome::Failed(e) => write!(f, "{e}"),
        }
    }
}
