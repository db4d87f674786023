//! `call`, `call_indirect`, 3.0's `call_ref`, and their tail-call forms
//! `return_call`, `return_call_indirect` and `return_call_ref`.
//!
//! Every callee gets `(callee_vmctx, caller_vmctx, args...)`. A defined
//! function is called directly (PC-relative, patched by `compile`) with our
//! own vmctx as both contexts; an imported one through its `VMFuncRef` in
//! `vmctx.funcs`; `call_indirect` through the funcref stored in the table,
//! after the table bounds, null and signature checks; `call_ref` through
//! the funcref operand after a null check only (its type is static).
//!
//! A tail call is the same call emitted as Cranelift's `return_call` /
//! `return_call_indirect`: the caller's frame is gone before the callee
//! runs, so mutual recursion through tail calls runs in constant stack.
//! Cranelift allows that only between functions of the `tail` calling
//! convention, which is why every wasm function has it (see
//! `translate::wasm_signature`); the validator has checked that the
//! callee's results are the caller's.

use super::environ::Env;
use super::func::FuncTranslator;
use crate::vm::layout::*;
use crate::vm::trap::TrapKind;
use crate::Error;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, FuncRef, InstBuilder, SigRef, Value};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    pub(crate) fn translate_call(&mut self, op: &Operator) -> Result<bool, Error> {
        let tail =
            matches!(op, Operator::ReturnCall { .. } | Operator::ReturnCallIndirect { .. } | Operator::ReturnCallRef { .. });
        if tail || matches!(op, Operator::Call { .. } | Operator::CallIndirect { .. } | Operator::CallRef { .. }) {
            // A function that calls checks for interrupts on entry (see
            // `Env::entry_interrupt_check`); a loop made of tail calls
            // passes through function entries, so it is interruptible too.
            self.env.entry_interrupt_check(&mut self.b)?;
        }
        match *op {
            Operator::Call { function_index } | Operator::ReturnCall { function_index } => self.call(function_index, tail)?,
            Operator::CallIndirect { type_index, table_index } | Operator::ReturnCallIndirect { type_index, table_index } => {
                self.call_indirect(type_index, table_index, tail)?
            }
            Operator::CallRef { type_index } | Operator::ReturnCallRef { type_index } => self.call_ref(type_index, tail)?,
            _ => return Ok(false),
        }
        if tail {
            // The rest of the block is dead, as after `return`.
            self.reachable = false;
        }
        Ok(true)
    }

    fn call(&mut self, func: u32, tail: bool) -> Result<(), Error> {
        let info = self.env.info;
        let ty = *info.functions.get(func as usize).ok_or_else(|| self.env.err(format!("call to unknown function {func}")))?;
        let n_params =
            info.types.get(ty as usize).map(|t| t.params.len()).ok_or_else(|| self.env.err(format!("type {ty} out of range")))?;
        let args = self.pop_n(n_params)?;
        let vmctx = self.env.vmctx;
        if info.is_imported_func(func) {
            let fref = self.env.funcref_ptr(&mut self.b, func)?;
            let flags = Env::readonly_flags();
            let code = self.b.ins().load(self.env.ptr, flags, fref, FUNCREF_CODE_OFFSET);
            let callee_vmctx = self.b.ins().load(self.env.ptr, flags, fref, FUNCREF_VMCTX_OFFSET);
            let sig = self.env.sig_ref(&mut self.b, ty)?;
            let all = call_args(callee_vmctx, vmctx, &args);
            self.emit_indirect(sig, code, &all, tail);
        } else {
            let f = self.env.direct_func(&mut self.b, func)?;
            let all = call_args(vmctx, vmctx, &args);
            self.emit_direct(f, &all, tail);
        }
        Ok(())
    }

    fn call_indirect(&mut self, type_index: u32, table: u32, tail: bool) -> Result<(), Error> {
        let n_params = self.n_params(type_index)?;
        let index = self.pop()?;
        let args = self.pop_n(n_params)?;
        let funcref = self.table_element(table, index, TrapKind::IndirectCallOutOfBounds)?;
        self.b.ins().trapz(funcref, TrapKind::IndirectCallToNull.to_trap_code());
        let flags = Env::readonly_flags();
        let actual = self.b.ins().load(types::I32, flags, funcref, FUNCREF_TYPE_ID_OFFSET);
        let expected = self.env.type_id(&mut self.b, type_index)?;
        let mismatch = self.b.ins().icmp(IntCC::NotEqual, actual, expected);
        self.b.ins().trapnz(mismatch, TrapKind::BadSignature.to_trap_code());
        self.call_funcref(type_index, funcref, &args, tail)
    }

    fn call_ref(&mut self, type_index: u32, tail: bool) -> Result<(), Error> {
        let n_params = self.n_params(type_index)?;
        let funcref = self.pop()?;
        let args = self.pop_n(n_params)?;
        self.b.ins().trapz(funcref, TrapKind::NullFunctionReference.to_trap_code());
        self.call_funcref(type_index, funcref, &args, tail)
    }

    fn n_params(&self, type_index: u32) -> Result<usize, Error> {
        self.env
            .info
            .types
            .get(type_index as usize)
            .map(|t| t.params.len())
            .ok_or_else(|| self.env.err(format!("type {type_index} out of range")))
    }

    /// Calls the non-null, type-checked `VMFuncRef` at `funcref`.
    fn call_funcref(&mut self, type_index: u32, funcref: Value, args: &[Value], tail: bool) -> Result<(), Error> {
        let flags = Env::readonly_flags();
        let code = self.b.ins().load(self.env.ptr, flags, funcref, FUNCREF_CODE_OFFSET);
        let callee_vmctx = self.b.ins().load(self.env.ptr, flags, funcref, FUNCREF_VMCTX_OFFSET);
        let sig = self.env.sig_ref(&mut self.b, type_index)?;
        let all = call_args(callee_vmctx, self.env.vmctx, args);
        self.emit_indirect(sig, code, &all, tail);
        Ok(())
    }

    fn emit_direct(&mut self, f: FuncRef, all: &[Value], tail: bool) {
        if tail {
            self.b.ins().return_call(f, all);
        } else {
            let inst = self.b.ins().call(f, all);
            self.push_results(inst);
        }
    }

    fn emit_indirect(&mut self, sig: SigRef, code: Value, all: &[Value], tail: bool) {
        if tail {
            self.b.ins().return_call_indirect(sig, code, all);
        } else {
            let inst = self.b.ins().call_indirect(sig, code, all);
            self.push_results(inst);
        }
    }

    fn push_results(&mut self, inst: cranelift_codegen::ir::Inst) {
        let results = self.b.inst_results(inst).to_vec();
        for r in results {
            self.push(r);
        }
    }
}

fn call_args(callee_vmctx: Value, caller_vmctx: Value, args: &[Value]) -> Vec<Value> {
    let mut all = Vec::with_capacity(args.len() + 2);
    all.push(callee_vmctx);
    all.push(caller_vmctx);
    all.extend_from_slice(args);
    all
}
