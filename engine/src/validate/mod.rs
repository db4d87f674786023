//! Stage 2: our own validator: WebAssembly 2.0 + fixed-width SIMD, and
//! the parts of 3.0 the engine implements (extended constant expressions,
//! typed function references, tail calls, relaxed SIMD; `subtype` has the
//! type matching).
//!
//! `module` checks the module-level rules (index spaces, limits, constant
//! expressions, segments, exports, start); `func` checks one function body
//! with an operand stack and a control stack, helped by one file per
//! instruction family under `ops/`. Function bodies are independent once
//! the module-level facts are known ([`Context`]), so they are checked in
//! parallel; the error reported is always the one of the lowest function
//! index, whatever the scheduling.
//!
//! Every failure is `Error::Invalid { func, offset, message }` (or
//! `Error::Malformed` for a body whose bytes do not decode), `func` being
//! the absolute function index for errors inside a body.

mod const_expr;
mod context;
mod func;
mod limits;
mod locate;
mod module;
mod ops;
mod proposal;
mod subtype;

pub use context::Context;

use crate::parse::ModuleInfo;
use crate::Error;
use rayon::prelude::*;

/// Validates a module that [`crate::parse::parse`] decoded from `wasm`.
pub fn validate(info: &ModuleInfo, wasm: &[u8]) -> Result<(), Error> {
    module::validate_module(info, wasm)?;
    let ctx = Context::new(info);
    let n = info.bodies.len();
    let first_error = (0..n).into_par_iter().find_map_first(|i| {
        // `n` came from a Vec length; the module check above guarantees
        // the defined functions fit the u32 index space.
        let def = u32::try_from(i).ok()?;
        func::validate_body(&ctx, def, wasm).err()
    });
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Validates only the body of defined function `def_index` (0 = first
/// non-imported function), assuming the module-level rules hold. Useful
/// to re-check one function, e.g. when compiling lazily. Builds a
/// [`Context`] each call; use [`validate_function_in`] for many calls.
pub fn validate_function(info: &ModuleInfo, def_index: u32, wasm: &[u8]) -> Result<(), Error> {
    let ctx = Context::new(info);
    func::validate_body(&ctx, def_index, wasm)
}

/// [`validate_function`] with a [`Context`] built once for the module.
pub fn validate_function_in(ctx: &Context<'_>, def_index: u32, wasm: &[u8]) -> Result<(), Error> {
    func::validate_body(ctx, def_index, wasm)
}
