//! The operator validator core: one function body, checked with an
//! operand stack and a control stack as in the spec's validation
//! algorithm (appendix "Validation Algorithm").
//!
//! Operand types are `Option<ValType>`, `None` being the "unknown" type
//! that pops out of an unreachable (stack-polymorphic) frame. Block
//! signatures are referenced, not copied ([`Types`]), so checking a body
//! allocates only the two stacks and the flattened locals.
//! The instruction families live in `ops/`; this file owns the stacks,
//! the frames, the locals and the decoding loop.

use super::context::Context;
use super::limits::MAX_LOCALS;
use crate::parse::{malformed, reader_features, FuncType, ModuleInfo, ValType};
use crate::Error;
use wasmparser as wp;

/// A sequence of value types borrowed from the module (or a single inline
/// type, for `(result t)` blocks), cheap to copy.
#[derive(Copy, Clone, Debug)]
pub enum Types<'a> {
    Slice(&'a [ValType]),
    One(ValType),
}

impl<'a> Types<'a> {
    pub const EMPTY: Types<'static> = Types::Slice(&[]);

    pub fn len(&self) -> usize {
        match self {
            Types::Slice(s) => s.len(),
            Types::One(_) => 1,
        }
    }

    pub fn get(&self, i: usize) -> Option<ValType> {
        match self {
            Types::Slice(s) => s.get(i).copied(),
            Types::One(t) => (i == 0).then_some(*t),
        }
    }

    /// All but the last type.
    pub fn without_last(&self) -> Types<'a> {
        match *self {
            Types::Slice(s) => Types::Slice(s.split_last().map_or(&[][..], |(_, rest)| rest)),
            Types::One(_) => Types::Slice(&[]),
        }
    }

    fn eq(&self, other: &Types<'_>) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| self.get(i) == other.get(i))
    }
}

/// The type of a block, loop, if or function: parameters and results.
#[derive(Copy, Clone, Debug)]
pub struct BlockSig<'a> {
    pub params: Types<'a>,
    pub results: Types<'a>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FrameKind {
    Func,
    Block,
    Loop,
    If,
    Else,
}

#[derive(Clone, Debug)]
pub struct Frame<'a> {
    pub kind: FrameKind,
    pub sig: BlockSig<'a>,
    /// Operand stack height when the frame was entered (after its params
    /// were popped, before they were pushed back).
    pub height: usize,
    /// Set after an unconditional branch: the rest of the frame is
    /// stack-polymorphic.
    pub unreachable: bool,
    /// Height of `FuncValidator::inits_set` when the frame was entered:
    /// locals first set inside the frame are unset again when it ends.
    pub init_height: usize,
}

impl<'a> Frame<'a> {
    /// The types a branch to this frame's label carries.
    pub fn label_types(&self) -> Types<'a> {
        if self.kind == FrameKind::Loop {
            self.sig.params
        } else {
            self.sig.results
        }
    }
}

/// Validation state of one function body.
pub struct FuncValidator<'a> {
    pub ctx: &'a Context<'a>,
    pub info: &'a ModuleInfo,
    /// Absolute function index, for error messages.
    pub func: u32,
    /// Byte offset of the operator being checked.
    pub offset: usize,
    /// Parameters then declared locals, one entry per local.
    pub locals: Vec<ValType>,
    /// `inits[i]`: local `i` holds a value here. Only non-defaultable
    /// locals (non-nullable references, 3.0) start without one; a
    /// `local.set` or `local.tee` gives them one until the end of the
    /// innermost enclosing block.
    pub inits: Vec<bool>,
    /// Locals given a value inside the open blocks, innermost last.
    pub inits_set: Vec<u32>,
    pub vals: Vec<Option<ValType>>,
    pub ctrls: Vec<Frame<'a>>,
}

/// Validates the body of defined function `def` (absolute index
/// `num_imported_funcs + def`).
pub fn validate_body(ctx: &Context<'_>, def: u32, wasm: &[u8]) -> Result<(), Error> {
    let info = ctx.info;
    let func = info.num_imported_funcs.saturating_add(def);
    let invalid = |offset: usize, message: String| Error::Invalid { func: Some(func), offset, message };
    let Some(body) = info.bodies.get(def as usize) else {
        return Err(invalid(0, format!("function {func} has no body")));
    };
    let range = body.range.clone();
    let Some(bytes) = wasm.get(range.clone()) else {
        return Err(invalid(range.start, "function body lies outside the module bytes".into()));
    };
    let ty = info
        .functions
        .get(func as usize)
        .and_then(|t| info.types.get(*t as usize))
        .ok_or_else(|| invalid(range.start, format!("unknown type of function {func}")))?;

    let reader = wp::BinaryReader::new_features(bytes, range.start, reader_features());
    let body = wp::FunctionBody::new(reader);
    let mut locals_reader = body.get_locals_reader().map_err(malformed)?;
    let mut v = FuncValidator {
        ctx,
        info,
        func,
        offset: range.start,
        locals: Vec::new(),
        inits: Vec::new(),
        inits_set: Vec::new(),
        vals: Vec::new(),
        ctrls: Vec::new(),
    };
    v.define_locals(ty, &mut locals_reader)?;
    let ops = wp::OperatorsReader::new(locals_reader.get_binary_reader());
    v.run(ty, ops)
}

impl<'a> FuncValidator<'a> {
    /// A validation error at the current operator.
    pub fn err(&self, message: impl Into<String>) -> Error {
        Error::Invalid { func: Some(self.func), offset: self.offset, message: message.into() }
    }

    /// A binary-format error at the current position: the spec treats a few
    /// decoding limits (the local count, the data count section's presence)
    /// as malformed rather than invalid, because they are rules of the
    /// encoding, not of typing.
    pub fn malformed_here(&self, message: impl Into<String>) -> Error {
        Error::Malformed { offset: self.offset, message: message.into() }
    }

    fn define_locals(&mut self, ty: &FuncType, reader: &mut wp::LocalsReader<'_>) -> Result<(), Error> {
        let mut total = u32::try_from(ty.params.len()).unwrap_or(u32::MAX);
        if total > MAX_LOCALS {
            return Err(self.malformed_here("too many locals"));
        }
        self.locals.extend_from_slice(&ty.params);
        for _ in 0..reader.get_count() {
            self.offset = reader.original_position();
            let (count, t) = reader.read().map_err(malformed)?;
            total = match total.checked_add(count) {
                Some(n) if n <= MAX_LOCALS => n,
                _ => return Err(self.malformed_here(format!("too many locals (at most {MAX_LOCALS})"))),
            };
            let t = self.val_type(t)?;
            // Bounded by MAX_LOCALS, checked just above.
            self.locals.extend(std::iter::repeat_n(t, count as usize));
        }
        self.inits = self.locals.iter().map(|t| t.is_defaultable()).collect();
        // Parameters hold their arguments.
        self.inits.iter_mut().take(ty.params.len()).for_each(|i| *i = true);
        Ok(())
    }

    fn run(&mut self, ty: &'a FuncType, mut ops: wp::OperatorsReader<'_>) -> Result<(), Error> {
        let sig = BlockSig { params: Types::EMPTY, results: Types::Slice(&ty.results) };
        self.ctrls.push(Frame { kind: FrameKind::Func, sig, height: 0, unreachable: false, init_height: 0 });
        while !ops.eof() {
            self.offset = ops.original_position();
            if self.ctrls.is_empty() {
                return Err(Error::Malformed {
                    offset: self.offset,
                    message: "operators remaining after end of function".into(),
                });
            }
            let op = ops.read().map_err(malformed)?;
            self.operator(op)?;
        }
        if !self.ctrls.is_empty() {
            return Err(Error::Malformed {
                offset: ops.original_position(),
                message: "unexpected end of function body: END opcode expected".into(),
            });
        }
        Ok(())
    }

    /// Dispatches one operator to its instruction family.
    fn operator(&mut self, op: wp::Operator<'_>) -> Result<(), Error> {
        if self.control(&op)?
            || self.variable(&op)?
            || self.numeric(&op)?
            || self.memory(&op)?
            || self.reference(&op)?
            || self.simd(&op)?
        {
            return Ok(());
        }
        let tag = super::proposal::proposal_of(&op);
        Err(self.err(format!(
            "unsupported instruction {}: the {} proposal is not supported (the engine supports {})",
            op_name(&op),
            super::proposal::describe(tag),
            crate::parse::SUPPORTED
        )))
    }

    // ---- operand stack -------------------------------------------------

    pub fn push(&mut self, t: ValType) {
        self.vals.push(Some(t));
    }

    pub fn push_opt(&mut self, t: Option<ValType>) {
        self.vals.push(t);
    }

    /// Pops any operand; `None` is the unknown type of unreachable code.
    pub fn pop(&mut self) -> Result<Option<ValType>, Error> {
        let Some(frame) = self.ctrls.last() else {
            return Err(self.err("type mismatch: no enclosing block"));
        };
        if self.vals.len() == frame.height {
            if frame.unreachable {
                return Ok(None);
            }
            return Err(self.err("type mismatch: operand stack is empty"));
        }
        Ok(self.vals.pop().flatten())
    }

    /// Pops an operand that must have type `expected`.
    pub fn pop_expect(&mut self, expected: ValType) -> Result<Option<ValType>, Error> {
        let Some(frame) = self.ctrls.last() else {
            return Err(self.err("type mismatch: no enclosing block"));
        };
        if self.vals.len() == frame.height {
            if frame.unreachable {
                return Ok(None);
            }
            return Err(self.err(format!("type mismatch: expected {} but nothing on stack", expected)));
        }
        match self.vals.pop().flatten() {
            Some(actual) if !self.ctx.sub.matches(actual, expected) => {
                Err(self.err(format!("type mismatch: expected {}, found {}", expected, actual)))
            }
            other => Ok(other),
        }
    }

    pub fn pop_types(&mut self, tys: Types<'_>) -> Result<(), Error> {
        for i in (0..tys.len()).rev() {
            if let Some(t) = tys.get(i) {
                self.pop_expect(t)?;
            }
        }
        Ok(())
    }

    pub fn push_types(&mut self, tys: Types<'_>) {
        for i in 0..tys.len() {
            if let Some(t) = tys.get(i) {
                self.push(t);
            }
        }
    }

    // ---- control stack -------------------------------------------------

    /// Enters a block whose params are already popped.
    pub fn push_ctrl(&mut self, kind: FrameKind, sig: BlockSig<'a>) {
        let height = self.vals.len();
        self.ctrls.push(Frame { kind, sig, height, unreachable: false, init_height: self.inits_set.len() });
        self.push_types(sig.params);
    }

    /// Leaves the innermost block: its results must be exactly what is on
    /// its part of the stack.
    pub fn pop_ctrl(&mut self) -> Result<Frame<'a>, Error> {
        let Some(frame) = self.ctrls.last() else {
            return Err(self.err("unexpected end: no block to close"));
        };
        let (results, height) = (frame.sig.results, frame.height);
        self.pop_types(results)?;
        if self.vals.len() != height {
            return Err(self.err("type mismatch: values remaining on stack at end of block"));
        }
        let frame = self.ctrls.pop().ok_or_else(|| self.err("unexpected end"))?;
        for l in self.inits_set.drain(frame.init_height.min(self.inits_set.len())..) {
            if let Some(i) = self.inits.get_mut(l as usize) {
                *i = false;
            }
        }
        Ok(frame)
    }

    /// The frame `depth` labels out (0 = innermost).
    pub fn frame_at(&self, depth: u32) -> Result<&Frame<'a>, Error> {
        let n = self.ctrls.len();
        (depth as usize)
            .checked_add(1)
            .and_then(|d| n.checked_sub(d))
            .and_then(|i| self.ctrls.get(i))
            .ok_or_else(|| self.err(format!("unknown label {depth}")))
    }

    /// Marks the rest of the current frame as unreachable.
    pub fn set_unreachable(&mut self) {
        if let Some(frame) = self.ctrls.last_mut() {
            self.vals.truncate(frame.height);
            frame.unreachable = true;
        }
    }

    /// The signature of a block type immediate.
    pub fn block_sig(&self, bt: wp::BlockType) -> Result<BlockSig<'a>, Error> {
        let info = self.info;
        Ok(match bt {
            wp::BlockType::Empty => BlockSig { params: Types::EMPTY, results: Types::EMPTY },
            wp::BlockType::Type(t) => BlockSig { params: Types::EMPTY, results: Types::One(self.val_type(t)?) },
            wp::BlockType::FuncType(idx) => {
                let Some(ft) = info.types.get(idx as usize) else {
                    return Err(self.err(format!("unknown type {idx}")));
                };
                BlockSig { params: Types::Slice(&ft.params), results: Types::Slice(&ft.results) }
            }
        })
    }

    /// Whether an `if` without `else` is well typed: the implicit else
    /// passes the params through as results.
    pub fn if_without_else_ok(sig: &BlockSig<'_>) -> bool {
        sig.params.eq(&sig.results)
    }

    // ---- module lookups shared by several families ----------------------

    /// A value type written in the body, whose type indices must exist.
    pub fn val_type(&self, t: wp::ValType) -> Result<ValType, Error> {
        let t = crate::parse::convert_val_type(t, self.offset)?;
        super::subtype::check_indices(t, self.info.types.len()).map_err(|m| self.err(m))?;
        Ok(t)
    }

    /// Records that local `i` holds a value from here to the end of the
    /// innermost block.
    pub fn set_local_init(&mut self, i: u32) {
        if let Some(init) = self.inits.get_mut(i as usize) {
            if !*init {
                *init = true;
                self.inits_set.push(i);
            }
        }
    }

    /// Whether local `i` may be read here.
    pub fn local_is_init(&self, i: u32) -> bool {
        self.inits.get(i as usize).copied().unwrap_or(true)
    }

    pub fn func_type(&self, f: u32) -> Result<&'a FuncType, Error> {
        let info = self.info;
        info.functions
            .get(f as usize)
            .and_then(|t| info.types.get(*t as usize))
            .ok_or_else(|| self.err(format!("unknown function {f}")))
    }

    pub fn type_at(&self, t: u32) -> Result<&'a FuncType, Error> {
        let info = self.info;
        info.types.get(t as usize).ok_or_else(|| self.err(format!("unknown type {t}")))
    }
}

/// The name of an operator for messages: its variant name without the
/// immediates.
pub fn op_name(op: &wp::Operator<'_>) -> String {
    let s = format!("{op:?}");
    // `end` is the position of an ASCII char (or the length): a char
    // boundary within `s`, so the slice cannot fail.
    let end = s.find([' ', '{', '(']).unwrap_or(s.len());
    s[..end].to_string()
}
