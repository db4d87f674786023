//! Values crossing the driver/backend boundary, and the spec's result
//! patterns (`nan:canonical`, `nan:arithmetic`, per-lane v128 patterns,
//! reference patterns) matched against them.
//!
//! The driver never hands `wast` types to a backend: arguments are converted
//! to [`Value`] here once, so both backends see exactly the same inputs and
//! are judged by exactly the same matcher.

use std::fmt;
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

/// A wasm value as seen by the driver. Floats are raw IEEE bits so NaN
/// payloads survive the round trip; references carry only what a spec
/// script can observe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    /// `None` is `ref.null func`; `Some(())` any non-null function reference
    /// (scripts cannot name a particular function instance).
    FuncRef(Option<()>),
    /// `None` is `ref.null extern`; `Some(n)` is the script's `ref.extern n`.
    ExternRef(Option<u32>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::I32(v) => write!(f, "i32:{v} ({:#x})", *v as u32),
            Value::I64(v) => write!(f, "i64:{v} ({:#x})", *v as u64),
            Value::F32(b) => write!(f, "f32:{} ({b:#010x})", f32::from_bits(*b)),
            Value::F64(b) => write!(f, "f64:{} ({b:#018x})", f64::from_bits(*b)),
            Value::V128(b) => write!(f, "v128:{b:#034x}"),
            Value::FuncRef(None) => write!(f, "ref.null func"),
            Value::FuncRef(Some(())) => write!(f, "ref.func"),
            Value::ExternRef(None) => write!(f, "ref.null extern"),
            Value::ExternRef(Some(n)) => write!(f, "ref.extern {n}"),
        }
    }
}

/// Formats a list of values for failure messages.
pub fn show(values: &[Value]) -> String {
    let parts: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// Converts an `invoke` argument. `Err` carries a skip reason: the argument
/// needs a proposal beyond WebAssembly 2.0 + SIMD.
pub fn arg(a: &WastArg<'_>) -> Result<Value, String> {
    let WastArg::Core(a) = a else {
        return Err("component-model argument".into());
    };
    Ok(match a {
        WastArgCore::I32(v) => Value::I32(*v),
        WastArgCore::I64(v) => Value::I64(*v),
        WastArgCore::F32(v) => Value::F32(v.bits),
        WastArgCore::F64(v) => Value::F64(v.bits),
        WastArgCore::V128(v) => Value::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(h) => match ref_kind(h)? {
            RefKind::Func => Value::FuncRef(None),
            RefKind::Extern => Value::ExternRef(None),
        },
        WastArgCore::RefExtern(n) => Value::ExternRef(Some(*n)),
        WastArgCore::RefHost(_) => return Err("ref.host argument (GC proposal)".into()),
    })
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RefKind {
    Func,
    Extern,
}

fn ref_kind(h: &HeapType<'_>) -> Result<RefKind, String> {
    match h {
        HeapType::Abstract { shared: false, ty: AbstractHeapType::Func } => Ok(RefKind::Func),
        HeapType::Abstract { shared: false, ty: AbstractHeapType::Extern } => Ok(RefKind::Extern),
        other => Err(format!("heap type {other:?} (beyond WebAssembly 2.0)")),
    }
}

/// A float expectation: an exact bit pattern or one of the NaN classes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FloatPat<T> {
    Bits(T),
    CanonicalNan,
    ArithmeticNan,
}

/// An expected `v128`: integer lanes compare exactly; float lanes may be NaN
/// patterns, checked lane by lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum V128Pat {
    Bits(u128),
    F32x4([FloatPat<u32>; 4]),
    F64x2([FloatPat<u64>; 2]),
}

/// One expected result of `assert_return`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    I32(i32),
    I64(i64),
    F32(FloatPat<u32>),
    F64(FloatPat<u64>),
    V128(V128Pat),
    /// `ref.null`, optionally of a given kind.
    RefNull(Option<RefKind>),
    /// A non-null externref, optionally holding a given script value.
    RefExtern(Option<u32>),
    /// Any non-null funcref. A function index in the pattern cannot be
    /// checked from outside (it names a function of some instance), so, like
    /// the reference interpreter, only non-nullness is checked.
    RefFunc,
    /// Any of the alternatives.
    Either(Vec<Expected>),
}

fn float_pat<T: Copy, U>(p: &NanPattern<T>, bits: impl Fn(&T) -> U) -> FloatPat<U> {
    match p {
        NanPattern::CanonicalNan => FloatPat::CanonicalNan,
        NanPattern::ArithmeticNan => FloatPat::ArithmeticNan,
        NanPattern::Value(v) => FloatPat::Bits(bits(v)),
    }
}

fn lanes_to_u128<const N: usize, const W: usize>(lanes: [[u8; W]; N]) -> u128 {
    let mut bytes = [0u8; 16];
    for (i, lane) in lanes.iter().enumerate() {
        bytes[i * W..(i + 1) * W].copy_from_slice(lane);
    }
    u128::from_le_bytes(bytes)
}

/// Converts an `assert_return` result pattern. `Err` carries a skip reason.
pub fn expected(r: &WastRet<'_>) -> Result<Expected, String> {
    let WastRet::Core(r) = r else {
        return Err("component-model result".into());
    };
    expected_core(r)
}

fn expected_core(r: &WastRetCore<'_>) -> Result<Expected, String> {
    Ok(match r {
        WastRetCore::I32(v) => Expected::I32(*v),
        WastRetCore::I64(v) => Expected::I64(*v),
        WastRetCore::F32(p) => Expected::F32(float_pat(p, |f| f.bits)),
        WastRetCore::F64(p) => Expected::F64(float_pat(p, |f| f.bits)),
        WastRetCore::V128(p) => Expected::V128(match p {
            V128Pattern::I8x16(l) => V128Pat::Bits(lanes_to_u128(l.map(|x| x.to_le_bytes()))),
            V128Pattern::I16x8(l) => V128Pat::Bits(lanes_to_u128(l.map(|x| x.to_le_bytes()))),
            V128Pattern::I32x4(l) => V128Pat::Bits(lanes_to_u128(l.map(|x| x.to_le_bytes()))),
            V128Pattern::I64x2(l) => V128Pat::Bits(lanes_to_u128(l.map(|x| x.to_le_bytes()))),
            V128Pattern::F32x4(l) => V128Pat::F32x4(l.map(|p| float_pat(&p, |f| f.bits))),
            V128Pattern::F64x2(l) => V128Pat::F64x2(l.map(|p| float_pat(&p, |f| f.bits))),
        }),
        WastRetCore::RefNull(None) => Expected::RefNull(None),
        WastRetCore::RefNull(Some(h)) => Expected::RefNull(Some(ref_kind(h)?)),
        WastRetCore::RefExtern(n) => Expected::RefExtern(*n),
        WastRetCore::RefFunc(_) => Expected::RefFunc,
        WastRetCore::Either(alts) => Expected::Either(alts.iter().map(expected_core).collect::<Result<_, _>>()?),
        other => return Err(format!("result pattern {other:?} (beyond WebAssembly 2.0)")),
    })
}

impl Expected {
    /// Whether `got` satisfies this pattern.
    pub fn matches(&self, got: &Value) -> bool {
        match (self, got) {
            (Expected::I32(e), Value::I32(g)) => e == g,
            (Expected::I64(e), Value::I64(g)) => e == g,
            (Expected::F32(p), Value::F32(g)) => f32_matches(*p, *g),
            (Expected::F64(p), Value::F64(g)) => f64_matches(*p, *g),
            (Expected::V128(p), Value::V128(g)) => v128_matches(p, *g),
            (Expected::RefNull(k), Value::FuncRef(None)) => matches!(k, None | Some(RefKind::Func)),
            (Expected::RefNull(k), Value::ExternRef(None)) => {
                matches!(k, None | Some(RefKind::Extern))
            }
            (Expected::RefExtern(e), Value::ExternRef(Some(g))) => e.is_none_or(|e| e == *g),
            (Expected::RefFunc, Value::FuncRef(Some(()))) => true,
            (Expected::Either(alts), g) => alts.iter().any(|a| a.matches(g)),
            _ => false,
        }
    }
}

const F32_EXP_QUIET: u32 = 0x7fc0_0000;
const F64_EXP_QUIET: u64 = 0x7ff8_0000_0000_0000;

/// Canonical NaN: quiet bit set, payload otherwise zero, either sign.
/// Arithmetic NaN: exponent all ones and the quiet bit set, any payload.
fn f32_matches(p: FloatPat<u32>, g: u32) -> bool {
    match p {
        FloatPat::Bits(b) => b == g,
        FloatPat::CanonicalNan => g & 0x7fff_ffff == F32_EXP_QUIET,
        FloatPat::ArithmeticNan => g & F32_EXP_QUIET == F32_EXP_QUIET,
    }
}

fn f64_matches(p: FloatPat<u64>, g: u64) -> bool {
    match p {
        FloatPat::Bits(b) => b == g,
        FloatPat::CanonicalNan => g & 0x7fff_ffff_ffff_ffff == F64_EXP_QUIET,
        FloatPat::ArithmeticNan => g & F64_EXP_QUIET == F64_EXP_QUIET,
    }
}

fn v128_matches(p: &V128Pat, g: u128) -> bool {
    let bytes = g.to_le_bytes();
    match p {
        V128Pat::Bits(b) => *b == g,
        V128Pat::F32x4(lanes) => lanes.iter().zip(bytes.chunks_exact(4)).all(|(p, c)| {
            let mut lane = [0u8; 4];
            lane.copy_from_slice(c);
            f32_matches(*p, u32::from_le_bytes(lane))
        }),
        V128Pat::F64x2(lanes) => lanes.iter().zip(bytes.chunks_exact(8)).all(|(p, c)| {
            let mut lane = [0u8; 8];
            lane.copy_from_slice(c);
            f64_matches(*p, u64::from_le_bytes(lane))
        }),
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn fp<T: fmt::LowerHex>(f: &mut fmt::Formatter<'_>, p: &FloatPat<T>, w: usize) -> fmt::Result {
            match p {
                FloatPat::Bits(b) => write!(f, "{b:#0w$x}", w = w + 2),
                FloatPat::CanonicalNan => write!(f, "nan:canonical"),
                FloatPat::ArithmeticNan => write!(f, "nan:arithmetic"),
            }
        }
        match self {
            Expected::I32(v) => write!(f, "i32:{v} ({:#x})", *v as u32),
            Expected::I64(v) => write!(f, "i64:{v} ({:#x})", *v as u64),
            Expected::F32(p) => {
                if let FloatPat::Bits(b) = p {
                    write!(f, "f32:{} ", f32::from_bits(*b))?;
                } else {
                    write!(f, "f32:")?;
                }
                fp(f, p, 8)
            }
            Expected::F64(p) => {
                if let FloatPat::Bits(b) = p {
                    write!(f, "f64:{} ", f64::from_bits(*b))?;
                } else {
                    write!(f, "f64:")?;
                }
                fp(f, p, 16)
            }
            Expected::V128(V128Pat::Bits(b)) => write!(f, "v128:{b:#034x}"),
            Expected::V128(V128Pat::F32x4(l)) => {
                write!(f, "f32x4:[")?;
                for (i, p) in l.iter().enumerate() {
                    if i > 0 {
                        write!(f, " ")?;
                    }
                    fp(f, p, 8)?;
                }
                write!(f, "]")
            }
            Expected::V128(V128Pat::F64x2(l)) => {
                write!(f, "f64x2:[")?;
                for (i, p) in l.iter().enumerate() {
                    if i > 0 {
                        write!(f, " ")?;
                    }
                    fp(f, p, 16)?;
                }
                write!(f, "]")
            }
            Expected::RefNull(None) => write!(f, "ref.null"),
            Expected::RefNull(Some(RefKind::Func)) => write!(f, "ref.null func"),
            Expected::RefNull(Some(RefKind::Extern)) => write!(f, "ref.null extern"),
            Expected::RefExtern(None) => write!(f, "ref.extern"),
            Expected::RefExtern(Some(n)) => write!(f, "ref.extern {n}"),
            Expected::RefFunc => write!(f, "ref.func"),
            Expected::Either(alts) => {
                write!(f, "either(")?;
                for (i, a) in alts.iter().enumerate() {
                    if i > 0 {
                        write!(f, " | ")?;
                    }
                    write!(f, "{a}")?;
                }
                write!(f, ")")
            }
        }
    }
}
