//! A WASI module calling the Faasm host interface itself (a C program).
//! The main call runs `_start` (its exit code is the return code); a call
//! chained by name runs the export of that name, and one chained by
//! pointer the entry of `__indirect_function_table` (the module must export
//! its table, `-Wl,--export-table`), both as `int f(void)`, the signature
//! Faasm gives chained C functions.

use super::{call_result, Guest};
use crate::call::{Call, Target};
use engine::{Func, Module, Val};
use hostabi::faasm::{CallError, CallResult, ChainError, ChainTarget, Chainer, FaasmCtx, StateStore};
use session::{GuestSpec, Host, Session, Start, Timeout};
use std::sync::Arc;
use std::time::Instant;

pub struct WasmGuest {
    host: Host,
    module: Module,
    name: String,
}

impl WasmGuest {
    pub fn new(host: Host, module: Module, name: impl Into<String>) -> WasmGuest {
        WasmGuest { host, module, name: name.into() }
    }

    /// The function `target` designates in the started guest.
    fn entry(&self, s: &Session, target: &Target) -> Result<Func, String> {
        match target {
            Target::Main => s.func("_start").map_err(|_| format!("{} exports no `_start`", self.name)),
            Target::Name(n) | Target::Python(n) => s.func(n).map_err(|_| format!("{} exports no function `{n}`", self.name)),
            Target::Ptr(p) => {
                let instance = s.instance().ok_or_else(|| "the guest has not been started".to_owned())?;
                let table = instance
                    .get_table(s.store(), "__indirect_function_table")
                    .ok_or_else(|| format!("{} exports no function table (link with -Wl,--export-table)", self.name))?;
                match table.get(s.store(), *p) {
                    Some(Val::FuncRef(Some(f))) => Ok(f),
                    Some(_) => Err(format!("function pointer {p} is null")),
                    None => Err(format!("function pointer {p} is outside the table of {} entries", table.size(s.store()))),
                }
            }
        }
    }

    fn execute(&self, call: &Call, ctx: FaasmCtx, deadline: Option<Instant>) -> CallResult {
        let spec = GuestSpec::new(&self.name).inherit_stdio().timeout(Timeout::at(deadline)).faasm(ctx);
        let mut s = match Session::new(&self.host, &self.module, spec) {
            Ok(s) => s,
            Err(e) => return CallResult { return_code: 1, output: Vec::new(), error: Some(CallError::Failed(e.to_string())) },
        };
        let outcome = match s.start(Start::Fresh) {
            Err(o) => o,
            Ok(_) => match self.entry(&s, &call.target) {
                Err(msg) => return CallResult { return_code: 1, output: Vec::new(), error: Some(CallError::Failed(msg)) },
                Ok(func) => s.call_func(func, &call.target.to_string(), &[]),
            },
        };
        call_result(&s, outcome)
    }
}

impl Guest for WasmGuest {
    fn check(&self, target: &ChainTarget) -> Result<(), ChainError> {
        match target {
            ChainTarget::Name(n) | ChainTarget::Python(n) => {
                let exported = self.module.exports().any(|e| &e.name == n && matches!(e.kind, engine::ExternKind::Func));
                if exported {
                    Ok(())
                } else {
                    Err(ChainError::UnknownFunction(target.clone()))
                }
            }
            ChainTarget::Ptr(_) => Ok(()),
        }
    }

    fn run(&self, call: &Call, chainer: Arc<dyn Chainer>, state: Arc<dyn StateStore>, deadline: Option<Instant>) -> CallResult {
        let mut ctx = FaasmCtx::new(call.input.clone(), chainer, state);
        ctx.idx = call.id;
        let r = self.execute(call, ctx, deadline);
        if let Some(e) = &r.error {
            tracing::warn!("faasm: call {} ({}) of {} failed: {e}", call.id, call.target, self.name);
        }
        r
    }
}
