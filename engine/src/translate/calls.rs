//! `call` and `call_indirect`.
//!
//! Every callee gets `(callee_vmctx, caller_vmctx, args...)`. A defined
//! function is called directly (PC-relative, patched by `compile`) with our
//! own vmctx as both contexts; an imported one through its `VMFuncRef` in
//! `vmctx.funcs`; `call_indirect` through the funcref stored in the table,
//! after the table bounds, null and signature checks.

use super::environ::Env;
use super::func::FuncTranslator;
use crate::vm::layout::*;
use crate::vm::trap::TrapKind;
use crate::Error;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, Value};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    pub(crate) fn translate_call(&mut self, op: &Operator) -> Result<bool, Error> {
        if matches!(op, Operator::Call { .. } | Operator::CallIndirect { .. }) {
            // A function that calls checks for interrupts on entry (see
            // `Env::entry_interrupt_check`).
            self.env.entry_interrupt_check(&mut self.b)?;
        }
        match *op {
            Operator::Call { function_index } => self.call(function_index)?,
            Operator::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn call(&mut self, func: u32) -> Result<(), Error> {
        let info = self.env.info;
        let ty = *info
            .functions
            .get(func as usize)
            .ok_or_else(|| self.env.err(format!("call to unknown function {func}")))?;
        let n_params = info
            .types
            .get(ty as usize)
            .map(|t| t.params.len())
            .ok_or_else(|| self.env.err(format!("type {ty} out of range")))?;
        let args = self.pop_n(n_params)?;
        let vmctx = self.env.vmctx;
        let inst = if info.is_imported_func(func) {
            let fref = self.env.funcref_ptr(&mut self.b, func)?;
            let flags = Env::readonly_flags();
            let code = self
                .b
                .ins()
                .load(self.env.ptr, flags, fref, FUNCREF_CODE_OFFSET);
            let callee_vmctx = self
                .b
                .ins()
                .load(self.env.ptr, flags, fref, FUNCREF_VMCTX_OFFSET);
            let sig = self.env.sig_ref(&mut self.b, ty)?;
            let all = call_args(callee_vmctx, vmctx, &args);
            self.b.ins().call_indirect(sig, code, &all)
        } else {
            let f = self.env.direct_func(&mut self.b, func)?;
            let all = call_args(vmctx, vmctx, &args);
            self.b.ins().call(f, &all)
        };
        let results = self.b.inst_results(inst).to_vec();
        for r in results {
            self.push(r);
        }
        Ok(())
    }

    fn call_indirect(&mut self, type_index: u32, table: u32) -> Result<(), Error> {
        let n_params = self
            .env
            .info
            .types
            .get(type_index as usize)
            .map(|t| t.params.len())
            .ok_or_else(|| self.env.err(format!("type {type_index} out of range")))?;
        let index = self.pop()?;
        let args = self.pop_n(n_params)?;
        let funcref = self.table_element(table, index, TrapKind::IndirectCallOutOfBounds)?;
        self.b
            .ins()
            .trapz(funcref, TrapKind::IndirectCallToNull.to_trap_code());
        let flags = Env::readonly_flags();
        let actual = self
            .b
            .ins()
            .load(types::I32, flags, funcref, FUNCREF_TYPE_ID_OFFSET);
        let expected = self.env.type_id(&mut self.b, type_index)?;
        let mismatch = self.b.ins().icmp(IntCC::NotEqual, actual, expected);
        self.b
            .ins()
            .trapnz(mismatch, TrapKind::BadSignature.to_trap_code());
        let code = self
            .b
            .ins()
            .load(self.env.ptr, flags, funcref, FUNCREF_CODE_OFFSET);
        let callee_vmctx = self
            .b
            .ins()
            .load(self.env.ptr, flags, funcref, FUNCREF_VMCTX_OFFSET);
        let sig = self.env.sig_ref(&mut self.b, type_index)?;
        let all = call_args(callee_vmctx, self.env.vmctx, &args);
        let inst = self.b.ins().call_indirect(sig, code, &all);
        let results = self.b.inst_results(inst).to_vec();
        for r in results {
            self.push(r);
        }
        Ok(())
    }
}

fn call_args(callee_vmctx: Value, caller_vmctx: Value, args: &[Value]) -> Vec<Value> {
    let mut all = Vec::with_capacity(args.len() + 2);
    all.push(callee_vmctx);
    all.push(caller_vmctx);
    all.extend_from_slice(args);
    all
}
