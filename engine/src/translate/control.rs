//! Structured control flow: `block`, `loop`, `if`/`else`, `end`, branches
//! (with 3.0's `br_on_null` and `br_on_non_null`), `return`,
//! `unreachable`, plus the parametric `drop` and `select`.
//!
//! Each construct gets a continuation block whose Cranelift parameters are
//! the construct's results (multi-value); a loop also gets a header block
//! whose parameters are the loop's parameters. Branches pass the top values
//! of the operand stack as block arguments.

use super::func::{Frame, FrameKind, FuncTranslator};
use crate::vm::trap::TrapKind;
use crate::Error;
use cranelift_codegen::ir::{InstBuilder, JumpTableData};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    pub(crate) fn translate_control(&mut self, op: &Operator) -> Result<bool, Error> {
        match op {
            Operator::Nop => {}
            Operator::Unreachable => {
                self.b.ins().trap(TrapKind::Unreachable.to_trap_code());
                self.reachable = false;
            }
            Operator::Block { blockty } => {
                let (params, results) = self.block_type(*blockty)?;
                let next = self.b.create_block();
                for t in &results {
                    self.b.append_block_param(next, *t);
                }
                let height = self.frame_height(params.len())?;
                self.control.push(Frame {
                    kind: FrameKind::Block,
                    next,
                    param_types: params,
                    result_types: results,
                    height,
                    next_reached: false,
                });
            }
            Operator::Loop { blockty } => {
                let (params, results) = self.block_type(*blockty)?;
                let header = self.b.create_block();
                for t in &params {
                    self.b.append_block_param(header, *t);
                }
                let next = self.b.create_block();
                for t in &results {
                    self.b.append_block_param(next, *t);
                }
                let args = self.pop_n(params.len())?;
                self.b.ins().jump(header, &Self::args(&args));
                self.b.switch_to_block(header);
                // Every iteration passes the header (see `run::interrupt`).
                self.env.interrupt_check(&mut self.b)?;
                let height = self.stack.len();
                let header_params = self.b.block_params(header).to_vec();
                self.stack.extend(header_params);
                self.control.push(Frame {
                    kind: FrameKind::Loop { header },
                    next,
                    param_types: params,
                    result_types: results,
                    height,
                    next_reached: false,
                });
            }
            Operator::If { blockty } => {
                let cond = self.pop()?;
                let (params, results) = self.block_type(*blockty)?;
                let next = self.b.create_block();
                for t in &results {
                    self.b.append_block_param(next, *t);
                }
                let then_block = self.b.create_block();
                let else_block = self.b.create_block();
                self.b.ins().brif(cond, then_block, &[], else_block, &[]);
                self.b.seal_block(then_block);
                self.b.seal_block(else_block);
                self.b.switch_to_block(then_block);
                let height = self.frame_height(params.len())?;
                let else_params = self.peek_n(params.len())?.to_vec();
                self.control.push(Frame {
                    kind: FrameKind::If { else_block, else_params, has_else: false },
                    next,
                    param_types: params,
                    result_types: results,
                    height,
                    next_reached: false,
                });
            }
            Operator::Else => self.translate_else()?,
            Operator::End => self.translate_end()?,
            Operator::Br { relative_depth } => {
                self.branch(*relative_depth)?;
                self.reachable = false;
            }
            Operator::BrIf { relative_depth } => {
                let cond = self.pop()?;
                let (target, args) = self.branch_target(*relative_depth)?;
                let cont = self.b.create_block();
                self.b.ins().brif(cond, target, &Self::args(&args), cont, &[]);
                self.b.seal_block(cont);
                self.b.switch_to_block(cont);
            }
            Operator::BrTable { targets } => {
                let index = self.pop()?;
                let mut depths = Vec::with_capacity(targets.len() as usize + 1);
                for d in targets.targets() {
                    depths.push(d.map_err(|e| self.env.err(e.to_string()))?);
                }
                let default = targets.default();
                let (def_block, def_args) = self.branch_target(default)?;
                let def_call = self.b.func.dfg.block_call(def_block, &Self::args(&def_args));
                let mut calls = Vec::with_capacity(depths.len());
                for d in depths {
                    let (block, args) = self.branch_target(d)?;
                    calls.push(self.b.func.dfg.block_call(block, &Self::args(&args)));
                }
                let jt = self.b.create_jump_table(JumpTableData::new(def_call, &calls));
                self.b.ins().br_table(index, jt);
                self.reachable = false;
            }
            Operator::Return => {
                self.emit_return()?;
                self.reachable = false;
            }
            // 3.0: branch if the reference is null (dropping it), else go
            // on with it.
            Operator::BrOnNull { relative_depth } => {
                let r = self.pop()?;
                let (target, args) = self.branch_target(*relative_depth)?;
                let cont = self.b.create_block();
                self.b.ins().brif(r, cont, &[], target, &Self::args(&args));
                self.b.seal_block(cont);
                self.b.switch_to_block(cont);
                self.push(r);
            }
            // 3.0: branch with the reference if it is not null, else drop
            // it and go on.
            Operator::BrOnNonNull { relative_depth } => {
                let r = self.peek()?;
                let (target, args) = self.branch_target(*relative_depth)?;
                self.pop()?;
                let cont = self.b.create_block();
                self.b.ins().brif(r, target, &Self::args(&args), cont, &[]);
                self.b.seal_block(cont);
                self.b.switch_to_block(cont);
            }
            Operator::Drop => {
                self.pop()?;
            }
            Operator::Select | Operator::TypedSelect { .. } => {
                let (a, b, c) = self.pop3()?;
                let v = self.b.ins().select(c, a, b);
                self.push(v);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Stack height below the top `n_params` values, which become the new
    /// frame's parameters.
    fn frame_height(&self, n_params: usize) -> Result<usize, Error> {
        let floor = self.control.last().map_or(0, |f| f.height);
        self.stack
            .len()
            .checked_sub(n_params)
            .filter(|h| *h >= floor)
            .ok_or_else(|| self.env.err("operand stack underflow at block entry"))
    }

    /// In unreachable code only nesting matters.
    pub(crate) fn translate_unreachable_op(&mut self, op: &Operator) -> Result<(), Error> {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                let next = self.control.last().map(|f| f.next).ok_or_else(|| self.env.err("no frame"))?;
                self.control.push(Frame {
                    kind: FrameKind::Dead,
                    next,
                    param_types: Vec::new(),
                    result_types: Vec::new(),
                    height: self.stack.len(),
                    next_reached: false,
                });
            }
            Operator::Else => self.translate_else()?,
            Operator::End => self.translate_end()?,
            _ => {}
        }
        Ok(())
    }

    fn translate_else(&mut self) -> Result<(), Error> {
        let reachable = self.reachable;
        let frame = self.control.last_mut().ok_or_else(|| self.env.err("else without if"))?;
        let (else_block, else_params) = match &mut frame.kind {
            FrameKind::Dead => return Ok(()),
            FrameKind::If { else_block, else_params, has_else } => {
                *has_else = true;
                (*else_block, std::mem::take(else_params))
            }
            _ => return Err(self.env.err("else without if")),
        };
        let next = frame.next;
        let n_results = frame.result_types.len();
        let height = frame.height;
        if reachable {
            frame.next_reached = true;
            let results = self.pop_n(n_results)?;
            self.b.ins().jump(next, &Self::args(&results));
        }
        self.stack.truncate(height);
        self.stack.extend(else_params);
        self.b.switch_to_block(else_block);
        self.reachable = true;
        Ok(())
    }

    fn translate_end(&mut self) -> Result<(), Error> {
        let reachable = self.reachable;
        let frame = self.control.last().ok_or_else(|| self.env.err("end without block"))?.clone();
        if let FrameKind::Dead = frame.kind {
            self.control.pop();
            return Ok(());
        }
        let mut next_reached = frame.next_reached;
        if reachable {
            let results = self.pop_n(frame.result_types.len())?;
            self.b.ins().jump(frame.next, &Self::args(&results));
            next_reached = true;
        }
        match &frame.kind {
            FrameKind::Loop { header } => self.b.seal_block(*header),
            FrameKind::If { else_block, else_params, has_else: false } => {
                // No else arm: the parameters flow straight to the results
                // (validation guarantees their types are equal).
                self.b.switch_to_block(*else_block);
                self.b.ins().jump(frame.next, &Self::args(else_params));
                next_reached = true;
            }
            _ => {}
        }
        self.control.pop();
        self.stack.truncate(frame.height);
        self.b.switch_to_block(frame.next);
        self.b.seal_block(frame.next);
        let params = self.b.block_params(frame.next).to_vec();
        self.stack.extend(params);
        self.reachable = next_reached;
        if let FrameKind::Function = frame.kind {
            if next_reached {
                let results = self.pop_n(frame.result_types.len())?;
                self.b.ins().return_(&results);
            }
            self.reachable = false;
        }
        Ok(())
    }

    /// The block a branch to `depth` goes to and the values it carries.
    fn branch_target(&mut self, depth: u32) -> Result<(cranelift_codegen::ir::Block, Vec<cranelift_codegen::ir::Value>), Error> {
        let i = self
            .control
            .len()
            .checked_sub(depth as usize + 1)
            .ok_or_else(|| self.env.err(format!("branch depth {depth} out of range")))?;
        let frame = &mut self.control[i];
        let n = frame.branch_arity();
        let block = match frame.kind {
            FrameKind::Loop { header } => header,
            _ => {
                frame.next_reached = true;
                frame.next
            }
        };
        let args = self.peek_n(n)?.to_vec();
        Ok((block, args))
    }

    fn branch(&mut self, depth: u32) -> Result<(), Error> {
        let (block, args) = self.branch_target(depth)?;
        self.b.ins().jump(block, &Self::args(&args));
        Ok(())
    }

    fn emit_return(&mut self) -> Result<(), Error> {
        let n = self.control.first().map(|f| f.result_types.len()).ok_or_else(|| self.env.err("no function frame"))?;
        let results = self.peek_n(n)?.to_vec();
        self.b.ins().return_(&results);
        Ok(())
    }
}
