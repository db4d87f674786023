//! Stage 3: wasm function bodies -> Cranelift IR (`cranelift-frontend`).
//!
//! [`translate_function`] turns one defined function into an `ir::Function`
//! that `compile` hands to Cranelift. The module is assumed valid (the
//! validator ran first), but anything unexpected still comes back as
//! `Error::Compile` rather than a panic.
//!
//! Files by concern: `func` drives the translation (locals, operand and
//! control stacks, reachability); `environ` maps wasm state onto the
//! `VMContext` (see `vm::layout`); the instruction families live in
//! `numeric`, `memory`, `control`, `calls`, `table`, `bulk`, `simd` and
//! `relaxed_simd`.

mod bulk;
mod calls;
mod control;
mod environ;
mod func;
mod memory;
mod numeric;
mod relaxed_simd;
mod simd;
mod table;

use crate::parse::types::{FuncType, ModuleInfo, ValType};
use crate::Error;
use cranelift_codegen::ir::{self, types, AbiParam, ArgumentPurpose, Signature};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_frontend::FunctionBuilderContext;

/// Namespace of the `UserExternalName`s that name defined functions; the
/// index is the defined-function index (func index - imported funcs).
pub const FUNC_NAMESPACE: u32 = 0;

/// Choices that change the code a translation emits (and so belong in
/// the compiled-code cache's key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Codegen {
    /// Check the store's interrupt flag at loop headers and at the entry of
    /// functions that call (see `run::interrupt`). Without the checks,
    /// timeouts cannot stop running guest code; only for measuring what
    /// the checks cost.
    pub interrupt_checks: bool,
}

impl Default for Codegen {
    fn default() -> Codegen {
        Codegen { interrupt_checks: true }
    }
}

/// Translates defined function `def_index` of a valid module to Cranelift IR.
pub fn translate_function(isa: &dyn TargetIsa, info: &ModuleInfo, def_index: u32, wasm: &[u8]) -> Result<ir::Function, Error> {
    let mut ctx = FunctionBuilderContext::new();
    translate_function_with(&mut ctx, isa, info, def_index, wasm, Codegen::default())
}

/// Like [`translate_function`], reusing `ctx`'s allocations (one per thread
/// when compiling a module).
pub use func::translate as translate_function_with;

/// The Cranelift type of a wasm value: `v128` is canonically `i8x16`,
/// references are 64-bit (pointer or host handle).
pub fn ir_type(ty: ValType) -> ir::Type {
    match ty {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::V128 => types::I8X16,
        ValType::FuncRef | ValType::ExternRef | ValType::Ref(_) => types::I64,
    }
}

/// The signature every wasm function has (see `vm::layout`):
/// `(callee_vmctx, caller_vmctx, params...) -> results`, in Cranelift's
/// `tail` calling convention: only between functions of that convention
/// can Cranelift emit the tail calls of `return_call*` (see `calls`). On
/// x86-64 it saves the same registers as System V around a call, but the
/// callee pops its stack arguments and more results go in registers. The
/// host never calls it directly: the trampolines (`compile::trampolines`)
/// adapt between it and the host's convention.
pub fn wasm_signature(isa: &dyn TargetIsa, ty: &FuncType) -> Signature {
    let call_conv = CallConv::Tail;
    let ptr = isa.pointer_type();
    let mut sig = Signature::new(call_conv);
    sig.params.push(AbiParam::special(ptr, ArgumentPurpose::VMContext));
    sig.params.push(AbiParam::new(ptr));
    sig.params.extend(ty.params.iter().map(|t| AbiParam::new(ir_type(*t))));
    sig.returns.extend(ty.results.iter().map(|t| AbiParam::new(ir_type(*t))));
    sig
}

/// A compile error attributed to function `func` (module index space).
pub(crate) fn error(func: u32, message: impl Into<String>) -> Error {
    Error::Compile { func: Some(func), message: message.into() }
}
