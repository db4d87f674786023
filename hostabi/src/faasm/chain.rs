//! Chaining: `__faasm_chain_name`, `__faasm_chain_ptr`, `__faasm_chain_py`
//! and `__faasm_await_call`. (`__faasm_await_call_output` allocates in the
//! guest, so it is not a table row: see `output.rs`.)

use super::api::ChainTarget;
use super::ctx::FaasmCtx;
use super::guest::{self, FaasmError};
use crate::memory::GuestMemory;

fn chain(ctx: &mut FaasmCtx, mem: &GuestMemory<'_>, target: ChainTarget, input: u32, len: u32) -> Result<i32, FaasmError> {
    let len = guest::length("chained input length", len)?;
    let data = guest::bytes(mem, "chained input", input, len)?.to_vec();
    let id = ctx.chainer.chain(target, data)?;
    Ok(id as i32)
}

pub fn chain_name(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, name: u32, input: u32, len: u32) -> Result<i32, FaasmError> {
    let name = guest::c_str(mem, "function name", name)?;
    chain(ctx, mem, ChainTarget::Name(name), input, len)
}

pub fn chain_ptr(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, func: u32, input: u32, len: u32) -> Result<i32, FaasmError> {
    if func == 0 {
        return Err(FaasmError::Null { what: "function pointer" });
    }
    chain(ctx, mem, ChainTarget::Ptr(func), input, len)
}

pub fn chain_py(ctx: &mut FaasmCtx, mem: &mut GuestMemory<'_>, name: u32, input: u32, len: u32) -> Result<i32, FaasmError> {
    let name = guest::c_str(mem, "Python function name", name)?;
    chain(ctx, mem, ChainTarget::Python(name), input, len)
}

/// The chained call's return code (0: it succeeded).
pub fn await_call(ctx: &mut FaasmCtx, _mem: &mut GuestMemory<'_>, id: u32) -> Result<i32, FaasmError> {
    Ok(ctx.chainer.await_call(id)?.return_code)
}
