//! The `spectest` host module every script may import from, as the spec
//! reference interpreter defines it (interpreter/host/spectest.ml): print
//! functions that do nothing observable, four immutable globals holding 666
//! (666.6 for floats), a funcref table of 10..20 and a memory of 1..2 pages.
//!
//! Only the description lives here; each backend materialises it with its
//! own API so both run scripts against the same host module.

/// A parameter type of a `print*` function.
#[derive(Copy, Clone, Debug)]
pub enum Ty {
    I32,
    I64,
    F32,
    F64,
}

/// The `print*` functions: name and parameter types, no results.
pub const PRINT_FUNCS: &[(&str, &[Ty])] = &[
    ("print", &[]),
    ("print_i32", &[Ty::I32]),
    ("print_i64", &[Ty::I64]),
    ("print_f32", &[Ty::F32]),
    ("print_f64", &[Ty::F64]),
    ("print_i32_f32", &[Ty::I32, Ty::F32]),
    ("print_f64_f64", &[Ty::F64, Ty::F64]),
];

pub const GLOBAL_I32: i32 = 666;
pub const GLOBAL_I64: i64 = 666;
pub fn global_f32_bits() -> u32 {
    666.6f32.to_bits()
}
pub fn global_f64_bits() -> u64 {
    666.6f64.to_bits()
}

/// `(table 10 20 funcref)`
pub const TABLE_MIN: u32 = 10;
pub const TABLE_MAX: u32 = 20;
/// `(memory 1 2)`
pub const MEMORY_MIN: u64 = 1;
pub const MEMORY_MAX: u64 = 2;
