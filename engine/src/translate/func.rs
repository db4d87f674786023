//! The translation driver for one function body: locals, the operand stack
//! (Cranelift `Value`s), the control stack, and reachability.
//!
//! Instruction families are implemented in sibling modules as further
//! `impl FuncTranslator` blocks; this file reads the operators and
//! dispatches them. Code after an unconditional branch is unreachable until
//! the enclosing construct ends: its operators are skipped, only nesting is
//! tracked so that `else`/`end` still match up.

use super::environ::{vector_bitcast_flags, Env};
use super::{error, ir_type, wasm_signature};
use crate::parse::types::{FuncType, ModuleInfo, ValType};
use crate::Error;
use cranelift_codegen::ir::{self, types, Block, BlockArg, InstBuilder, Type, UserFuncName, Value};
use cranelift_codegen::isa::TargetIsa;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use wasmparser::{BinaryReader, FunctionBody, Operator};

/// What kind of construct a control frame is.
#[derive(Clone, Debug)]
pub(crate) enum FrameKind {
    /// The function body itself; its `next` block returns.
    Function,
    Block,
    /// Branches go back to `header`, with the loop's parameters.
    Loop {
        header: Block,
    },
    /// `else_params` are the parameter values for the else arm; `has_else`
    /// once `else` was seen.
    If {
        else_block: Block,
        else_params: Vec<Value>,
        has_else: bool,
    },
    /// Opened in unreachable code: no blocks, only nesting.
    Dead,
}

#[derive(Clone, Debug)]
pub(crate) struct Frame {
    pub kind: FrameKind,
    /// Where control continues after `end`, with the results as parameters.
    pub next: Block,
    pub param_types: Vec<Type>,
    pub result_types: Vec<Type>,
    /// Operand stack height below the frame's parameters.
    pub height: usize,
    /// Whether anything jumps to `next` (else the code after `end` is dead).
    pub next_reached: bool,
}

impl Frame {
    /// Number of values a branch to this frame carries.
    pub fn branch_arity(&self) -> usize {
        match self.kind {
            FrameKind::Loop { .. } => self.param_types.len(),
            _ => self.result_types.len(),
        }
    }
}

pub(crate) struct FuncTranslator<'a, 'b> {
    pub b: FunctionBuilder<'b>,
    pub env: Env<'a>,
    pub stack: Vec<Value>,
    pub control: Vec<Frame>,
    pub locals: Vec<(Variable, Type)>,
    /// False after an unconditional branch, until the construct ends.
    pub reachable: bool,
}

/// Translates one defined function.
pub fn translate(
    ctx: &mut FunctionBuilderContext,
    isa: &dyn TargetIsa,
    info: &ModuleInfo,
    def_index: u32,
    wasm: &[u8],
    codegen: super::Codegen,
) -> Result<ir::Function, Error> {
    let func_index = info.num_imported_funcs.checked_add(def_index).ok_or_else(|| error(u32::MAX, "function index overflow"))?;
    let err = |m: String| error(func_index, m);
    let ty_index = *info.functions.get(func_index as usize).ok_or_else(|| err(format!("no function {func_index}")))?;
    let fty = info.types.get(ty_index as usize).ok_or_else(|| err(format!("no type {ty_index}")))?;
    let body_range = info
        .bodies
        .get(def_index as usize)
        .ok_or_else(|| err(format!("no body for defined function {def_index}")))?
        .range
        .clone();
    let body_bytes = wasm.get(body_range.clone()).ok_or_else(|| err("function body outside the module bytes".into()))?;
    let body = FunctionBody::new(BinaryReader::new(body_bytes, body_range.start));

    let mut func =
        ir::Function::with_name_signature(UserFuncName::user(super::FUNC_NAMESPACE, def_index), wasm_signature(isa, fty));
    let b = FunctionBuilder::new(&mut func, ctx);
    let mut t = FuncTranslator::start(b, isa, info, func_index, fty, codegen)?;
    t.declare_locals(&body, fty)?;
    t.translate_body(&body)?;
    t.b.finalize(isa.frontend_config());
    Ok(func)
}

impl<'a, 'b> FuncTranslator<'a, 'b> {
    /// Creates the entry block (parameters, locals, cached loads) and the
    /// first body block.
    fn start(
        mut b: FunctionBuilder<'b>,
        isa: &'a dyn TargetIsa,
        info: &'a ModuleInfo,
        func_index: u32,
        fty: &FuncType,
        codegen: super::Codegen,
    ) -> Result<Self, Error> {
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let vmctx = *b.block_params(entry).first().ok_or_else(|| error(func_index, "no vmctx"))?;
        let mut env = Env::new(isa, info, func_index, vmctx, codegen)?;
        env.prologue(&mut b)?;
        let ret = b.create_block();
        for r in &fty.results {
            b.append_block_param(ret, ir_type(*r));
        }
        let mut t = FuncTranslator {
            b,
            env,
            stack: Vec::new(),
            control: vec![Frame {
                kind: FrameKind::Function,
                next: ret,
                param_types: Vec::new(),
                result_types: fty.results.iter().map(|t| ir_type(*t)).collect(),
                height: 0,
                next_reached: false,
            }],
            locals: Vec::new(),
            reachable: true,
        };
        // Parameters are the first locals.
        let params: Vec<Value> = t.b.block_params(entry).get(2..).unwrap_or_default().to_vec();
        for (p, ty) in params.iter().zip(&fty.params) {
            let ty = ir_type(*ty);
            let var = t.b.declare_var(ty);
            t.b.def_var(var, *p);
            t.locals.push((var, ty));
        }
        Ok(t)
    }

    /// Declares the body's own locals (zero-initialised), then closes the
    /// entry block with a jump to the first body block. Loads cached by
    /// `Env` are later inserted before that jump.
    fn declare_locals(&mut self, body: &FunctionBody, fty: &FuncType) -> Result<(), Error> {
        let reader = body.get_locals_reader().map_err(|e| self.env.err(e.to_string()))?;
        let mut total = fty.params.len() as u64;
        for local in reader {
            let (count, ty) = local.map_err(|e| self.env.err(e.to_string()))?;
            total += count as u64;
            if total > 1_000_000 {
                return Err(self.env.err("too many locals"));
            }
            let vt = valtype(ty).ok_or_else(|| self.env.err(format!("unsupported local type {ty:?}")))?;
            let ty = ir_type(vt);
            let zero = self.zero(ty);
            for _ in 0..count {
                let var = self.b.declare_var(ty);
                self.b.def_var(var, zero);
                self.locals.push((var, ty));
            }
        }
        let first = self.b.create_block();
        let jump = self.b.ins().jump(first, &[]);
        self.env.set_entry_jump(jump);
        self.b.switch_to_block(first);
        self.b.seal_block(first);
        Ok(())
    }

    /// A zero of `ty` (locals' initial value, `ref.null`).
    pub fn zero(&mut self, ty: Type) -> Value {
        match ty {
            types::F32 => self.b.ins().f32const(0.0),
            types::F64 => self.b.ins().f64const(0.0),
            t if t.is_vector() => self.vconst(t, [0u8; 16]),
            t => self.b.ins().iconst(t, 0),
        }
    }

    /// A 128-bit constant of vector type `ty`.
    pub fn vconst(&mut self, ty: Type, bytes: [u8; 16]) -> Value {
        let c = self.b.func.dfg.constants.insert(bytes.to_vec().into());
        self.b.ins().vconst(ty, c)
    }

    fn translate_body(&mut self, body: &FunctionBody) -> Result<(), Error> {
        let mut reader = body.get_operators_reader().map_err(|e| self.env.err(e.to_string()))?;
        while !self.control.is_empty() {
            // Every instruction remembers the wasm offset it comes from
            // (frames' offsets, see `compile::address_map`).
            let at = u32::try_from(reader.original_position()).unwrap_or(u32::MAX);
            self.b.set_srcloc(ir::SourceLoc::new(at));
            let op = reader.read().map_err(|e| self.env.err(e.to_string()))?;
            self.translate_op(op)?;
        }
        Ok(())
    }

    fn translate_op(&mut self, op: Operator) -> Result<(), Error> {
        if !self.reachable {
            return self.translate_unreachable_op(&op);
        }
        if self.translate_control(&op)?
            || self.translate_call(&op)?
            || self.translate_variable(&op)?
            || self.translate_numeric(&op)?
            || self.translate_memory(&op)?
            || self.translate_table(&op)?
            || self.translate_bulk(&op)?
            || self.translate_simd(&op)?
            || self.translate_relaxed_simd(&op)?
        {
            Ok(())
        } else {
            Err(self.env.err(format!("unsupported operator {op:?}")))
        }
    }

    /// Locals and globals.
    fn translate_variable(&mut self, op: &Operator) -> Result<bool, Error> {
        match *op {
            Operator::LocalGet { local_index } => {
                let (var, _) = self.local(local_index)?;
                let v = self.b.use_var(var);
                self.push(v);
            }
            Operator::LocalSet { local_index } => {
                let (var, _) = self.local(local_index)?;
                let v = self.pop()?;
                self.b.def_var(var, v);
            }
            Operator::LocalTee { local_index } => {
                let (var, _) = self.local(local_index)?;
                let v = self.peek()?;
                self.b.def_var(var, v);
            }
            Operator::GlobalGet { global_index } => {
                let v = self.env.global_get(&mut self.b, global_index)?;
                self.push(v);
            }
            Operator::GlobalSet { global_index } => {
                let v = self.pop()?;
                self.env.global_set(&mut self.b, global_index, v)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn local(&self, i: u32) -> Result<(Variable, Type), Error> {
        self.locals.get(i as usize).copied().ok_or_else(|| self.env.err(format!("local {i} out of range")))
    }

    // ---- operand stack --------------------------------------------------

    /// Pushes a value; vectors are kept canonically as `i8x16`, so block
    /// parameters, locals and calls always agree on the type.
    pub fn push(&mut self, v: Value) {
        let ty = self.b.func.dfg.value_type(v);
        let v =
            if ty.is_vector() && ty != types::I8X16 { self.b.ins().bitcast(types::I8X16, vector_bitcast_flags(), v) } else { v };
        self.stack.push(v);
    }

    pub fn pop(&mut self) -> Result<Value, Error> {
        let floor = self.control.last().map_or(0, |f| f.height);
        if self.stack.len() <= floor {
            return Err(self.env.err("operand stack underflow"));
        }
        self.stack.pop().ok_or_else(|| self.env.err("operand stack underflow"))
    }

    /// Pops `(a, b)` where `b` was on top.
    pub fn pop2(&mut self) -> Result<(Value, Value), Error> {
        let b = self.pop()?;
        let a = self.pop()?;
        Ok((a, b))
    }

    pub fn pop3(&mut self) -> Result<(Value, Value, Value), Error> {
        let c = self.pop()?;
        let b = self.pop()?;
        let a = self.pop()?;
        Ok((a, b, c))
    }

    /// Pops `n` values, bottom first.
    pub fn pop_n(&mut self, n: usize) -> Result<Vec<Value>, Error> {
        let floor = self.control.last().map_or(0, |f| f.height);
        if self.stack.len() < floor + n {
            return Err(self.env.err("operand stack underflow"));
        }
        Ok(self.stack.split_off(self.stack.len() - n))
    }

    /// The top `n` values, bottom first, left on the stack.
    pub fn peek_n(&self, n: usize) -> Result<&[Value], Error> {
        let len = self.stack.len();
        let start = len.checked_sub(n).ok_or_else(|| self.env.err("operand stack underflow"))?;
        Ok(&self.stack[start..])
    }

    pub fn peek(&self) -> Result<Value, Error> {
        self.stack.last().copied().ok_or_else(|| self.env.err("operand stack underflow"))
    }

    /// Pops a vector and views it as `ty`.
    pub fn pop_vec(&mut self, ty: Type) -> Result<Value, Error> {
        let v = self.pop()?;
        Ok(self.as_vec(v, ty))
    }

    pub fn pop2_vec(&mut self, ty: Type) -> Result<(Value, Value), Error> {
        let (a, b) = self.pop2()?;
        Ok((self.as_vec(a, ty), self.as_vec(b, ty)))
    }

    /// Reinterprets vector `v` as `ty` (a no-op at run time).
    pub fn as_vec(&mut self, v: Value, ty: Type) -> Value {
        if self.b.func.dfg.value_type(v) == ty {
            v
        } else {
            self.b.ins().bitcast(ty, vector_bitcast_flags(), v)
        }
    }

    /// Block arguments from values.
    pub fn args(vals: &[Value]) -> Vec<BlockArg> {
        vals.iter().map(|v| BlockArg::Value(*v)).collect()
    }

    /// Resolves a block type to (params, results).
    pub fn block_type(&self, bt: wasmparser::BlockType) -> Result<(Vec<Type>, Vec<Type>), Error> {
        match bt {
            wasmparser::BlockType::Empty => Ok((Vec::new(), Vec::new())),
            wasmparser::BlockType::Type(t) => {
                let vt = valtype(t).ok_or_else(|| self.env.err(format!("unsupported block type {t:?}")))?;
                Ok((Vec::new(), vec![ir_type(vt)]))
            }
            wasmparser::BlockType::FuncType(i) => {
                let ft =
                    self.env.info.types.get(i as usize).ok_or_else(|| self.env.err(format!("block type {i} out of range")))?;
                Ok((ft.params.iter().map(|t| ir_type(*t)).collect(), ft.results.iter().map(|t| ir_type(*t)).collect()))
            }
        }
    }
}

/// Our value type for a wasmparser one (2.0 types only).
pub(crate) fn valtype(t: wasmparser::ValType) -> Option<ValType> {
    Some(match t {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        // Every function reference, typed or not, is a `VMFuncRef` pointer
        // at run time; extern references are host handles (see
        // `ValType::erased`). The validator refused other heap types.
        wasmparser::ValType::Ref(r) => match r.heap_type() {
            wasmparser::HeapType::Abstract { ty: wasmparser::AbstractHeapType::Extern, .. } => ValType::ExternRef,
            wasmparser::HeapType::Abstract { ty: wasmparser::AbstractHeapType::Func, .. } | wasmparser::HeapType::Concrete(_) => {
                ValType::FuncRef
            }
            _ => return None,
        },
    })
}
