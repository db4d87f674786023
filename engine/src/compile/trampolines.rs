//! Adapters between the host's array calling convention and the wasm one,
//! one pair per type-section entry (see `CompiledCode` in `artifact`).
//!
//! - entry: `extern "C" fn(code, callee_vmctx, caller_vmctx, values: *mut ValRaw)`
//!   loads the params from `values`, calls `code` with the wasm convention
//!   and writes the results back from index 0.
//! - host: has the wasm convention; spills its params to a stack array of
//!   `ValRaw`, calls `Libcall::HostCall(callee_vmctx, caller_vmctx, values,
//!   len)` (len = the array's capacity, max(params, results)), traps
//!   `Deferred` on a non-zero status and returns the results from the array.
//!
//! Values are written as whole 16-byte `ValRaw`s, zero-extended, so a
//! `ValRaw` read back as `u128` is well defined.

use crate::parse::types::FuncType;
use crate::translate::{ir_type, wasm_signature};
use crate::vm::layout::VMCTX_LIBCALLS_OFFSET;
use crate::vm::libcalls::Libcall;
use crate::vm::trap::TrapKind;
use cranelift_codegen::ir::{
    self, types, AbiParam, Endianness, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind, Type, UserFuncName,
    Value,
};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

/// Namespaces of the trampolines' names (for debugging output only).
const ENTRY_NAMESPACE: u32 = 1;
const HOST_NAMESPACE: u32 = 2;

/// Size of one `ValRaw`.
const VALRAW: i32 = 16;

fn flags() -> MemFlagsData {
    MemFlagsData::trusted().with_endianness(Endianness::Little)
}

/// Reads a value of type `ty` from `ValRaw` slot `i` at `base`.
fn load_valraw(b: &mut FunctionBuilder, ty: Type, base: Value, i: usize) -> Value {
    b.ins().load(ty, flags(), base, i as i32 * VALRAW)
}

/// Writes `v` as the whole `ValRaw` slot `i` at `base`, zero-extended.
fn store_valraw(b: &mut FunctionBuilder, v: Value, base: Value, i: usize) {
    let off = i as i32 * VALRAW;
    let ty = b.func.dfg.value_type(v);
    if ty.is_vector() {
        b.ins().store(flags(), v, base, off);
        return;
    }
    let low = match ty {
        types::I64 => v,
        types::I32 => b.ins().uextend(types::I64, v),
        types::F32 => {
            let bits = b.ins().bitcast(types::I32, MemFlagsData::new(), v);
            b.ins().uextend(types::I64, bits)
        }
        _ => b.ins().bitcast(types::I64, MemFlagsData::new(), v),
    };
    let zero = b.ins().iconst(types::I64, 0);
    b.ins().store(flags(), low, base, off);
    b.ins().store(flags(), zero, base, off + 8);
}

/// Starts the one block a trampoline has; returns the function's parameters.
fn single_block_params(b: &mut FunctionBuilder) -> Vec<Value> {
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    b.block_params(entry).to_vec()
}

/// The host-to-wasm entry trampoline for functions of type `ty`.
pub fn entry_trampoline(ctx: &mut FunctionBuilderContext, isa: &dyn TargetIsa, ty: &FuncType, type_index: u32) -> ir::Function {
    let ptr = isa.pointer_type();
    let mut sig = Signature::new(CallConv::triple_default(isa.triple()));
    sig.params.extend([AbiParam::new(ptr); 4]);
    let mut func = ir::Function::with_name_signature(UserFuncName::user(ENTRY_NAMESPACE, type_index), sig);
    let mut b = FunctionBuilder::new(&mut func, ctx);
    let p = single_block_params(&mut b);
    let (code, callee_vmctx, caller_vmctx, values) = (p[0], p[1], p[2], p[3]);
    let mut args = vec![callee_vmctx, caller_vmctx];
    for (i, t) in ty.params.iter().enumerate() {
        args.push(load_valraw(&mut b, ir_type(*t), values, i));
    }
    let wasm_sig = b.import_signature(wasm_signature(isa, ty));
    let call = b.ins().call_indirect(wasm_sig, code, &args);
    let results = b.inst_results(call).to_vec();
    for (i, r) in results.into_iter().enumerate() {
        store_valraw(&mut b, r, values, i);
    }
    b.ins().return_(&[]);
    b.finalize(isa.frontend_config());
    func
}

/// The wasm-to-host trampoline for functions of type `ty`.
pub fn host_trampoline(ctx: &mut FunctionBuilderContext, isa: &dyn TargetIsa, ty: &FuncType, type_index: u32) -> ir::Function {
    let ptr = isa.pointer_type();
    let mut func = ir::Function::with_name_signature(UserFuncName::user(HOST_NAMESPACE, type_index), wasm_signature(isa, ty));
    let mut b = FunctionBuilder::new(&mut func, ctx);
    let p = single_block_params(&mut b);
    let (callee_vmctx, caller_vmctx) = (p[0], p[1]);
    let capacity = ty.params.len().max(ty.results.len()).max(1);
    let slot = b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        capacity as u32 * VALRAW as u32,
        4, // 16-byte aligned, like ValRaw
    ));
    let values = b.ins().stack_addr(ptr, slot, 0);
    for (i, v) in p[2..].iter().enumerate() {
        store_valraw(&mut b, *v, values, i);
    }

    let mut call_sig = Signature::new(CallConv::triple_default(isa.triple()));
    call_sig.params.extend([AbiParam::new(ptr); 3]);
    call_sig.params.push(AbiParam::new(types::I32));
    call_sig.returns.push(AbiParam::new(types::I32));
    let call_sig = b.import_signature(call_sig);
    let ro = MemFlagsData::trusted().with_readonly();
    let libcalls = b.ins().load(ptr, ro, caller_vmctx, VMCTX_LIBCALLS_OFFSET);
    let host_call = b.ins().load(ptr, ro, libcalls, Libcall::HostCall as i32 * ptr.bytes() as i32);
    let len = b.ins().iconst(types::I32, capacity as i64);
    let call = b.ins().call_indirect(call_sig, host_call, &[callee_vmctx, caller_vmctx, values, len]);
    let status = b.inst_results(call)[0];
    b.ins().trapnz(status, TrapKind::Deferred.to_trap_code());

    let results: Vec<Value> = ty.results.iter().enumerate().map(|(i, t)| load_valraw(&mut b, ir_type(*t), values, i)).collect();
    b.ins().return_(&results);
    b.finalize(isa.frontend_config());
    func
}
