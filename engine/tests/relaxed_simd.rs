//! Relaxed SIMD picks, on x86-64, the results of the x86 instructions (as
//! wasmtime does there), on exactly the inputs where the spec allows a
//! choice: the spec scripts accept either answer, these tests pin the one
//! the engine promises (see `engine::translate::relaxed_simd`). Whole-range
//! agreement with wasmtime is checked by `tests/translate_differential.rs`.

#![cfg(target_arch = "x86_64")]

use engine::{Engine, Linker, Module, Store, Val};

/// Runs `(func (result v128) BODY)` and returns the vector.
fn run(body: &str) -> u128 {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let wat = format!("(module (func (export \"f\") (result v128) {body}))");
    let wasm = wat::parse_str(&wat).expect("wat");
    let module = Module::new(&engine, &wasm).expect("compile");
    let inst = Linker::new().instantiate(&mut store, &module).expect("instantiate");
    let f = inst.get_func(&store, "f").expect("export");
    match f.call(&mut store, &[]).expect("call").as_slice() {
        [Val::V128(v)] => *v,
        other => panic!("{body}: {other:?}"),
    }
}

fn i32x4(v: u128) -> [i32; 4] {
    std::array::from_fn(|i| (v >> (32 * i)) as u32 as i32)
}

fn i16x8(v: u128) -> [i16; 8] {
    std::array::from_fn(|i| (v >> (16 * i)) as u16 as i16)
}

fn u8x16(v: u128) -> [u8; 16] {
    v.to_le_bytes()
}

#[test]
fn trunc_gives_int_min_for_nan_and_out_of_range() {
    // cvttps2dq: NaN, +inf and 3e9 all give 0x80000000 (the saturating
    // form would give 0, i32::MAX, i32::MAX).
    let v = run("(i32x4.relaxed_trunc_f32x4_s (v128.const f32x4 nan inf 3e9 -7.9))");
    assert_eq!(i32x4(v), [i32::MIN, i32::MIN, i32::MIN, -7]);
    let v = run("(i32x4.relaxed_trunc_f64x2_s_zero (v128.const f64x2 nan 1e10))");
    assert_eq!(i32x4(v), [i32::MIN, i32::MIN, 0, 0]);
}

#[test]
fn swizzle_uses_low_four_bits_unless_top_bit_set() {
    // pshufb: index 0x11 selects lane 1, 0x80 gives 0 (plain swizzle: 0, 0).
    let v = run("(i8x16.relaxed_swizzle (v128.const i8x16 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25)
                                (v128.const i8x16 0x11 0x80 0 15 0x2f 0 0 0 0 0 0 0 0 0 0 0))");
    let lanes = u8x16(v);
    assert_eq!(&lanes[..5], &[11, 0, 10, 25, 25]);
}

#[test]
fn q15mulr_does_not_saturate() {
    // pmulhrsw: -32768 * -32768 wraps to -32768 (the saturating form: 32767).
    let v = run("(i16x8.relaxed_q15mulr_s (v128.const i16x8 -32768 16384 0 0 0 0 0 0)
                                         (v128.const i16x8 -32768 16384 0 0 0 0 0 0))");
    assert_eq!(i16x8(v)[..2], [-32768, 8192]);
}

#[test]
fn laneselect_looks_at_the_top_bit_only() {
    // blendv on 32-bit lanes: mask 0x80000000 selects the first operand
    // whole, 0x7fffffff the second whole (bitselect would mix bits).
    let v = run("(i32x4.relaxed_laneselect (v128.const i32x4 1 2 3 4) (v128.const i32x4 5 6 7 8)
                                   (v128.const i32x4 0x80000000 0x7fffffff -1 0))");
    assert_eq!(i32x4(v), [1, 6, 3, 8]);
}

#[test]
fn dot_treats_the_second_operand_as_unsigned() {
    // pmaddubsw: byte 0xff of the second operand (outside the i7 range the
    // spec promises a result for) is 255, not -1: 1*255 + 1*255 = 510
    // (signed: -2).
    let v = run("(i16x8.relaxed_dot_i8x16_i7x16_s (v128.const i8x16 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0)
                                                  (v128.const i8x16 -1 -1 0 0 0 0 0 0 0 0 0 0 0 0 0 0))");
    assert_eq!(i16x8(v)[0], 510);
}

#[test]
fn madd_is_fused() {
    // (1 + 2^-23) * (1 - 2^-23) - 1 = -2^-46 exactly when fused; the
    // unfused product rounds to 1 and the result is 0.
    let v = run("(f32x4.relaxed_madd (v128.const f32x4 0x1.000002p0 0 0 0) (v128.const f32x4 0x1.fffffcp-1 0 0 0)
                             (v128.const f32x4 -1 0 0 0))");
    assert_eq!(f32::from_bits(v as u32), -(2f32.powi(-46)));
}

#[test]
fn min_max_follow_minps_operand_order() {
    // min(a, b) = b < a ? b : a: the first operand unless the second is
    // smaller, so a NaN second operand or a pair of zeros gives the first
    // (fmin would give NaN and -0).
    let v = run("(f32x4.relaxed_min (v128.const f32x4 nan 1 -0 0) (v128.const f32x4 1 nan 0 -0))");
    let lanes: [u32; 4] = std::array::from_fn(|i| (v >> (32 * i)) as u32);
    assert!(f32::from_bits(lanes[0]).is_nan());
    assert_eq!(f32::from_bits(lanes[1]), 1.0);
    assert_eq!(lanes[2], (-0.0f32).to_bits());
    assert_eq!(lanes[3], 0.0f32.to_bits());
    // max(a, b) = a < b ? b : a.
    let v = run("(f32x4.relaxed_max (v128.const f32x4 nan 1 -0 0) (v128.const f32x4 1 nan 0 -0))");
    let lanes: [u32; 4] = std::array::from_fn(|i| (v >> (32 * i)) as u32);
    assert!(f32::from_bits(lanes[0]).is_nan());
    assert_eq!(f32::from_bits(lanes[1]), 1.0);
    assert_eq!(lanes[2], (-0.0f32).to_bits());
    assert_eq!(lanes[3], 0.0f32.to_bits());
}
