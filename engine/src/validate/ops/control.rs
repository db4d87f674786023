//! Control instructions: blocks, branches (with 3.0's `br_on_null` and
//! `br_on_non_null`), calls (with 3.0's `call_ref` and tail calls), `drop`
//! and `select`.

use crate::parse::{HeapType, ValType};
use crate::validate::func::{FrameKind, FuncValidator, Types};
use crate::Error;
use wasmparser::Operator as O;

impl<'a> FuncValidator<'a> {
    pub(in crate::validate) fn control(&mut self, op: &O<'_>) -> Result<bool, Error> {
        match op {
            O::Unreachable => self.set_unreachable(),
            O::Nop => {}
            O::Block { blockty } => {
                let sig = self.block_sig(*blockty)?;
                self.pop_types(sig.params)?;
                self.push_ctrl(FrameKind::Block, sig);
            }
            O::Loop { blockty } => {
                let sig = self.block_sig(*blockty)?;
                self.pop_types(sig.params)?;
                self.push_ctrl(FrameKind::Loop, sig);
            }
            O::If { blockty } => {
                let sig = self.block_sig(*blockty)?;
                self.pop_expect(ValType::I32)?;
                self.pop_types(sig.params)?;
                self.push_ctrl(FrameKind::If, sig);
            }
            O::Else => {
                if self.ctrls.last().map(|f| f.kind) != Some(FrameKind::If) {
                    return Err(self.err("else found outside of an `if` block"));
                }
                let frame = self.pop_ctrl()?;
                self.push_ctrl(FrameKind::Else, frame.sig);
            }
            O::End => {
                let frame = self.pop_ctrl()?;
                if frame.kind == FrameKind::If && !Self::if_without_else_ok(&frame.sig) {
                    return Err(self.err("type mismatch: if without else must have matching param and result types"));
                }
                if frame.kind != FrameKind::Func {
                    self.push_types(frame.sig.results);
                }
            }
            O::Br { relative_depth } => {
                let tys = self.frame_at(*relative_depth)?.label_types();
                self.pop_types(tys)?;
                self.set_unreachable();
            }
            O::BrIf { relative_depth } => {
                self.pop_expect(ValType::I32)?;
                let tys = self.frame_at(*relative_depth)?.label_types();
                self.pop_types(tys)?;
                self.push_types(tys);
            }
            O::BrTable { targets } => {
                self.pop_expect(ValType::I32)?;
                let default = self.frame_at(targets.default())?.label_types();
                for target in targets.targets() {
                    let depth = target.map_err(crate::parse::malformed)?;
                    let tys = self.frame_at(depth)?.label_types();
                    if tys.len() != default.len() {
                        return Err(self.err("type mismatch: br_table targets have different arities"));
                    }
                    self.check_top(tys)?;
                }
                self.pop_types(default)?;
                self.set_unreachable();
            }
            O::Return => {
                let tys = match self.ctrls.first() {
                    Some(f) => f.sig.results,
                    None => return Err(self.err("return outside of a function")),
                };
                self.pop_types(tys)?;
                self.set_unreachable();
            }
            O::Call { function_index } => {
                let ft = self.func_type(*function_index)?;
                self.pop_types(Types::Slice(&ft.params))?;
                self.push_types(Types::Slice(&ft.results));
            }
            O::CallIndirect { type_index, table_index } => {
                let Some(table) = self.info.tables.get(*table_index as usize) else {
                    return Err(self.err(format!("unknown table {table_index}")));
                };
                if !self.ctx.sub.matches(table.elem.into(), ValType::FuncRef) {
                    return Err(self.err("type mismatch: call_indirect needs a funcref table"));
                }
                let ft = self.type_at(*type_index)?;
                self.pop_expect(ValType::I32)?;
                self.pop_types(Types::Slice(&ft.params))?;
                self.push_types(Types::Slice(&ft.results));
            }
            O::ReturnCall { function_index } => {
                let ft = self.func_type(*function_index)?;
                self.pop_types(Types::Slice(&ft.params))?;
                self.tail_call_results(&ft.results)?;
            }
            O::ReturnCallIndirect { type_index, table_index } => {
                let Some(table) = self.info.tables.get(*table_index as usize) else {
                    return Err(self.err(format!("unknown table {table_index}")));
                };
                if !self.ctx.sub.matches(table.elem.into(), ValType::FuncRef) {
                    return Err(self.err("type mismatch: return_call_indirect needs a funcref table"));
                }
                let ft = self.type_at(*type_index)?;
                self.pop_expect(ValType::I32)?;
                self.pop_types(Types::Slice(&ft.params))?;
                self.tail_call_results(&ft.results)?;
            }
            O::ReturnCallRef { type_index } => {
                let ft = self.type_at(*type_index)?;
                self.pop_expect(ValType::reference(true, HeapType::Concrete(*type_index)))?;
                self.pop_types(Types::Slice(&ft.params))?;
                self.tail_call_results(&ft.results)?;
            }
            O::CallRef { type_index } => {
                let ft = self.type_at(*type_index)?;
                self.pop_expect(ValType::reference(true, HeapType::Concrete(*type_index)))?;
                self.pop_types(Types::Slice(&ft.params))?;
                self.push_types(Types::Slice(&ft.results));
            }
            O::BrOnNull { relative_depth } => {
                let operand = self.pop_ref()?;
                let tys = self.frame_at(*relative_depth)?.label_types();
                self.pop_types(tys)?;
                self.push_types(tys);
                self.push_opt(operand.map(|heap| ValType::reference(false, heap)));
            }
            O::BrOnNonNull { relative_depth } => {
                let operand = self.pop_ref()?;
                let tys = self.frame_at(*relative_depth)?.label_types();
                let Some(last) = tys.len().checked_sub(1).and_then(|i| tys.get(i)) else {
                    return Err(self.err("type mismatch: br_on_non_null target has no value for the reference"));
                };
                if !last.is_reference() {
                    return Err(self.err(format!("type mismatch: br_on_non_null target's last value is {last}, not a reference")));
                }
                if let Some(heap) = operand {
                    let non_null = ValType::reference(false, heap);
                    if !self.ctx.sub.matches(non_null, last) {
                        return Err(self.err(format!("type mismatch: expected {last}, found {non_null}")));
                    }
                }
                let rest = tys.without_last();
                self.pop_types(rest)?;
                self.push_types(rest);
            }
            O::Drop => {
                self.pop()?;
            }
            O::Select => {
                self.pop_expect(ValType::I32)?;
                let t1 = self.pop()?;
                let t2 = self.pop()?;
                let is_ref = |t: Option<ValType>| t.is_some_and(|t| t.is_reference());
                if is_ref(t1) || is_ref(t2) {
                    return Err(self.err("type mismatch: select without a type annotation needs numeric or vector operands"));
                }
                if let (Some(a), Some(b)) = (t1, t2) {
                    if a != b {
                        return Err(self.err("type mismatch: select operands have different types"));
                    }
                }
                self.push_opt(t1.or(t2));
            }
            O::TypedSelect { ty } => {
                let t = self.val_type(*ty)?;
                self.typed_select(t)?;
            }
            O::TypedSelectMulti { tys } => {
                // The reader only produces this for a count other than 1.
                return match tys.as_slice() {
                    [ty] => {
                        let t = self.val_type(*ty)?;
                        self.typed_select(t).map(|_| true)
                    }
                    _ => Err(self.err("invalid result arity")),
                };
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The end of a tail call: the callee's results become the caller's,
    /// so they must match them; the rest of the block is unreachable.
    fn tail_call_results(&mut self, results: &[ValType]) -> Result<(), Error> {
        let caller = match self.ctrls.first() {
            Some(f) => f.sig.results,
            None => return Err(self.err("return_call outside of a function")),
        };
        let ok = results.len() == caller.len()
            && results.iter().enumerate().all(|(i, r)| caller.get(i).is_some_and(|c| self.ctx.sub.matches(*r, c)));
        if !ok {
            return Err(self.err("type mismatch: the tail call's results differ from the function's"));
        }
        self.set_unreachable();
        Ok(())
    }

    /// Pops a reference operand: its heap type, `None` when unknown
    /// (unreachable code).
    pub(in crate::validate) fn pop_ref(&mut self) -> Result<Option<HeapType>, Error> {
        match self.pop()? {
            None => Ok(None),
            Some(t) => match t.as_reference() {
                Some((_, heap)) => Ok(Some(heap)),
                None => Err(self.err(format!("type mismatch: expected a reference, found {t}"))),
            },
        }
    }

    fn typed_select(&mut self, t: ValType) -> Result<(), Error> {
        self.pop_expect(ValType::I32)?;
        self.pop_expect(t)?;
        self.pop_expect(t)?;
        self.push(t);
        Ok(())
    }

    /// Checks that the top of the stack could be popped as `tys` (what a
    /// `br_table` target needs) without changing the stack.
    fn check_top(&self, tys: Types<'_>) -> Result<(), Error> {
        let Some(frame) = self.ctrls.last() else {
            return Err(self.err("type mismatch: no enclosing block"));
        };
        let n = tys.len();
        for i in 0..n {
            let expected = tys.get(n - 1 - i);
            // Position of the i-th value from the top, if it is inside
            // the current frame.
            let pos = self.vals.len().checked_sub(i + 1).filter(|p| *p >= frame.height);
            let actual = match pos {
                Some(p) => self.vals.get(p).copied().flatten(),
                None if frame.unreachable => None,
                None => return Err(self.err("type mismatch: not enough operands for br_table target")),
            };
            if let (Some(a), Some(e)) = (actual, expected) {
                if !self.ctx.sub.matches(a, e) {
                    return Err(self.err("type mismatch: br_table target types differ from the operands"));
                }
            }
        }
        Ok(())
    }
}
