//! A WASI module calling the Faasm host interface itself (a C program).
//! The main call runs `_start` (its exit code is the return code); a call
//! chained by name runs the export of that name, and one chained by
//! pointer the entry of `__indirect_function_table` (the module must export
//! its table, `-Wl,--export-table`), both as `int f(void)`, the signature
//! Faasm gives chained C functions.

use super::Guest;
use crate::call::{Call, Target};
use engine::{Engine, Error, Func, Linker, Module, Store, Val};
use hostabi::faasm::{CallResult, ChainError, ChainTarget, Chainer, FaasmCtx, StateStore};
use hostabi::wasi::WasiCtx;
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub struct WasmGuest {
    engine: Engine,
    module: Module,
    name: String,
}

impl WasmGuest {
    pub fn new(engine: Engine, module: Module, name: impl Into<String>) -> WasmGuest {
        WasmGuest { engine, module, name: name.into() }
    }

    fn entry(&self, store: &mut Store, instance: engine::Instance, target: &Target) -> Result<Func, String> {
        match target {
            Target::Main => instance.get_func(store, "_start").ok_or_else(|| format!("{} exports no `_start`", self.name)),
            Target::Name(n) | Target::Python(n) => {
                instance.get_func(store, n).ok_or_else(|| format!("{} exports no function `{n}`", self.name))
            }
            Target::Ptr(p) => {
                let table = instance
                    .get_table(store, "__indirect_function_table")
                    .ok_or_else(|| format!("{} exports no function table (link with -Wl,--export-table)", self.name))?;
                match table.get(store, *p) {
                    Some(Val::FuncRef(Some(f))) => Ok(f),
                    Some(_) => Err(format!("function pointer {p} is null")),
                    None => Err(format!("function pointer {p} is outside the table of {} entries", table.size(store))),
                }
            }
        }
    }

    fn execute(&self, call: &Call, ctx: FaasmCtx, deadline: Option<Instant>) -> Result<(i32, Option<Vec<u8>>), String> {
        let mut store = Store::new(&self.engine);
        let mut linker = Linker::new();
        let interrupt = store.interrupt_handle();
        let _deadline = deadline.map(|d| interrupt.interrupt_after(d.saturating_duration_since(Instant::now())));
        let wasi =
            WasiCtx::builder().inherit_stdio().arg(&self.name).interrupt(interrupt).build().map_err(|e| e.to_string())?;
        let wasi = Arc::new(Mutex::new(wasi));
        hostabi::link(&mut linker, &hostabi::wasi::functions::<WasiCtx>(), &wasi);
        let faasm = Arc::new(Mutex::new(ctx));
        hostabi::faasm::link(&mut linker, &faasm);
        let outcome = linker.instantiate(&mut store, &self.module).and_then(|instance| {
            let func = self.entry(&mut store, instance, &call.target).map_err(Error::Instantiation)?;
            func.call(&mut store, &[])
        });
        let code = match outcome {
            Ok(results) => match results.first() {
                Some(Val::I32(c)) => *c,
                _ => 0,
            },
            Err(Error::Trap(t)) => match t.exit_code() {
                Some(c) => c,
                None => return Err(t.to_string()),
            },
            Err(e) => return Err(e.to_string()),
        };
        let mut ctx = faasm.lock().map_err(|_| "host state poisoned".to_owned())?;
        ctx.release_locks();
        Ok((code, ctx.output.take()))
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
        match self.execute(call, ctx, deadline) {
            Ok((return_code, output)) => CallResult { return_code, output: output.unwrap_or_default(), error: None },
            Err(msg) => {
                eprintln!("faasm: call {} ({}) of {} failed: {msg}", call.id, call.target, self.name);
                CallResult { return_code: 1, output: Vec::new(), error: Some(msg) }
            }
        }
    }
}
