//! `__faasm_await_call_output(id, char **output, int *output_len) -> int`:
//! waits for a chained call and hands its output to the guest in a buffer
//! the host allocates *in the guest*, with the guest's own `malloc`, as
//! Faasm does. Calling back into wasm needs the engine's `Caller` (its store
//! and the caller's exports), which the table's row signature (state,
//! memory, slots) does not carry, so this one function is linked directly
//! with `Linker::func_raw`. The state lock is released before `malloc`
//! runs, so an allocator that calls host functions cannot deadlock on it.

use super::ctx::FaasmView;
use super::guest::{self, FaasmError};
use crate::memory::GuestMemory;
use engine::{Caller, Extern, Func, FuncType, Trap, Val, ValRaw, ValType};
use std::sync::{Arc, Mutex};

pub const NAME: &str = "__faasm_await_call_output";

fn trap(e: impl std::fmt::Display) -> Trap {
    Trap::host(format!("{}.{NAME}: {e}", super::MODULE))
}

fn memory<'c>(caller: &'c mut Caller<'_>) -> GuestMemory<'c> {
    GuestMemory::new(caller.memory().unwrap_or_default())
}

pub(super) fn link<S: FaasmView + Send + 'static>(linker: &mut engine::Linker, state: &Arc<Mutex<S>>) {
    let st = Arc::clone(state);
    let ty = FuncType { params: vec![ValType::I32; 3], results: vec![ValType::I32] };
    linker.func_raw(super::MODULE, NAME, ty, move |caller, args| {
        let id = args.first().map_or(0, |v| v.get_u32());
        let out_ptr = args.get(1).map_or(0, |v| v.get_u32());
        let out_len = args.get(2).map_or(0, |v| v.get_u32());
        {
            let mem = memory(caller);
            guest::check(&mem, "output pointer slot", out_ptr, 4).map_err(trap)?;
            guest::check(&mem, "output length slot", out_len, 4).map_err(trap)?;
        }
        let (result, fallback) = {
            let mut guard = st.lock().map_err(|_| trap("host state poisoned by an earlier panic"))?;
            let ctx = guard.faasm();
            let result = ctx.chainer.await_call(id).map_err(|e| trap(FaasmError::from(e)))?;
            (result, ctx.malloc)
        };
        let len = u32::try_from(result.output.len())
            .ok()
            .filter(|&l| l <= i32::MAX as u32)
            .ok_or_else(|| trap(format!("output of call {id} is {} bytes, too large for wasm32", result.output.len())))?;
        let malloc = match caller.get_export("malloc") {
            Some(Extern::Func(f)) => f,
            _ => fallback.ok_or_else(|| trap("the guest exports no `malloc` to allocate the output with"))?,
        };
        let ptr = call_malloc(caller, malloc, len.max(1))?;
        let mut mem = memory(caller);
        guest::bytes_mut(&mut mem, "allocated output buffer", ptr, len).map_err(trap)?.copy_from_slice(&result.output);
        mem.write_u32(out_ptr, ptr).map_err(|_| trap("output pointer slot out of bounds"))?;
        mem.write_u32(out_len, len).map_err(|_| trap("output length slot out of bounds"))?;
        if let Some(slot) = args.first_mut() {
            *slot = ValRaw::i32(result.return_code);
        }
        Ok(())
    });
}

fn call_malloc(caller: &mut Caller<'_>, malloc: Func, size: u32) -> Result<u32, Trap> {
    let results = malloc.call(caller.store(), &[Val::I32(size as i32)]).map_err(|e| match e {
        engine::Error::Trap(t) => t,
        other => trap(format!("calling the guest's malloc: {other}")),
    })?;
    match results.first() {
        Some(Val::I32(0)) => Err(trap(format!("the guest's malloc could not allocate {size} bytes"))),
        Some(Val::I32(p)) => Ok(*p as u32),
        _ => Err(trap("the guest's `malloc` is not `i32 -> i32`")),
    }
}
