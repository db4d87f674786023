//! One call of a Faasm function, as the runtimes pass it around (and as the
//! Redis queue carries it, serialised with postcard).

use hostabi::faasm::ChainTarget;
use serde::{Deserialize, Serialize};

/// Which function of the program a call runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// The program's entry: `_start` of a wasm module, `faasm_main` of a
    /// Python file.
    Main,
    Name(String),
    Ptr(u32),
    Python(String),
}

impl From<ChainTarget> for Target {
    fn from(t: ChainTarget) -> Target {
        match t {
            ChainTarget::Name(n) => Target::Name(n),
            ChainTarget::Ptr(p) => Target::Ptr(p),
            ChainTarget::Python(n) => Target::Python(n),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Main => f.write_str("the main function"),
            Target::Name(n) => write!(f, "function `{n}`"),
            Target::Ptr(p) => write!(f, "function pointer {p}"),
            Target::Python(n) => write!(f, "Python function `{n}`"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// Unique within a run (in-process) or a Redis server (queue); 0 is
    /// the first call of an `invoke`. Also the call's `__faasm_get_idx`.
    pub id: u32,
    pub target: Target,
    pub input: Vec<u8>,
}
