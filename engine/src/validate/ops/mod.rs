//! Instruction families, each adding one `FuncValidator` method that
//! checks the operators of its family and returns `Ok(false)` for any
//! other operator (the dispatcher in `func` then tries the next family,
//! and reports an operator no family claims as unsupported).

mod control;
mod memory;
mod numeric;
mod reference;
mod simd;
mod variable;
