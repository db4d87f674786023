//! The per-call Faasm state: the call's input and output, its index, the
//! configuration flags, the chainer and state store it uses, and the locks
//! it holds (released when the call ends, so a function that forgets to
//! unlock, or traps while holding a lock, cannot wedge the others).

use super::api::{Chainer, LockKind, StateStore};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Python entry names (`__faasm_get_py_*`) of a call.
#[derive(Clone, Debug, Default)]
pub struct PythonCall {
    pub user: String,
    pub func: String,
    /// The Python function to run; empty means `faasm_main`.
    pub entry: String,
}

/// Everything the `env.__faasm_*` functions of one call act on.
pub struct FaasmCtx {
    pub input: Vec<u8>,
    /// What the call wrote with `__faasm_write_output`; `None` if it never did.
    pub output: Option<Vec<u8>>,
    /// `__faasm_get_idx`: the call's index among the calls of its run (the
    /// first call is 0, chained calls count up from 1).
    pub idx: u32,
    /// `__faasm_conf_flag`: named flags; unknown names read 0 (Faasm's
    /// behaviour). `ALWAYS_ON` and `ALWAYS_OFF` are always defined.
    pub conf: BTreeMap<String, u32>,
    pub python: PythonCall,
    pub chainer: Arc<dyn Chainer>,
    pub state: Arc<dyn StateStore>,
    /// Locks taken by this call and not yet released.
    held: Vec<(String, LockKind)>,
    /// A guest `malloc` to allocate `__faasm_await_call_output`'s buffer
    /// with when the calling instance exports none (a side module calling
    /// from inside a dynamically linked program: the allocator is the main
    /// module's).
    pub malloc: Option<engine::Func>,
}

/// Embedder state that can lend a [`FaasmCtx`] to the Faasm host functions.
pub trait FaasmView {
    fn faasm(&mut self) -> &mut FaasmCtx;
}

impl FaasmView for FaasmCtx {
    fn faasm(&mut self) -> &mut FaasmCtx {
        self
    }
}

impl FaasmCtx {
    pub fn new(input: Vec<u8>, chainer: Arc<dyn Chainer>, state: Arc<dyn StateStore>) -> FaasmCtx {
        let mut conf = BTreeMap::new();
        conf.insert("ALWAYS_ON".to_owned(), 1);
        conf.insert("ALWAYS_OFF".to_owned(), 0);
        FaasmCtx {
            input,
            output: None,
            idx: 0,
            conf,
            python: PythonCall::default(),
            chainer,
            state,
            held: Vec::new(),
            malloc: None,
        }
    }

    pub(crate) fn note_locked(&mut self, key: &str, kind: LockKind) {
        self.held.push((key.to_owned(), kind));
    }

    /// Forgets one hold of `key`; false if this call holds none.
    pub(crate) fn note_unlocked(&mut self, key: &str, kind: LockKind) -> bool {
        match self.held.iter().rposition(|(k, l)| k == key && *l == kind) {
            Some(i) => {
                self.held.remove(i);
                true
            }
            None => false,
        }
    }

    /// Releases every lock this call still holds (also done on drop).
    pub fn release_locks(&mut self) {
        for (key, kind) in std::mem::take(&mut self.held).into_iter().rev() {
            // Best effort: the call is over, there is nobody to tell.
            let _ = self.state.unlock(&key, kind);
        }
    }
}

impl Drop for FaasmCtx {
    fn drop(&mut self) {
        self.release_locks();
    }
}
