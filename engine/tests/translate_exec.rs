//! End-to-end tests of stages 3-4 through the public API: small hand-written
//! modules, one group per instruction family, focusing on what the spec
//! suite exercises little: many parameters and results across every kind of
//! call (direct, imported, indirect, host, from the host), v128 everywhere a
//! value can travel, traps from each mechanism (fault, explicit check,
//! libcall status, stack limit), and control flow with block parameters.

use engine::{Engine, Error, FuncType, Instance, Linker, Module, Store, TrapKind, TrapReason, Val, ValType};

struct Env {
    engine: Engine,
    store: Store,
    linker: Linker,
}

impl Env {
    fn new() -> Env {
        let engine = Engine::default();
        let store = Store::new(&engine);
        Env { engine, store, linker: Linker::new() }
    }

    fn instantiate(&mut self, wat: &str) -> Instance {
        let wasm = wat::parse_str(wat).expect("wat");
        let module = Module::new(&self.engine, &wasm).expect("compile");
        self.linker.instantiate(&mut self.store, &module).expect("instantiate")
    }

    fn call(&mut self, inst: Instance, name: &str, args: &[Val]) -> Result<Vec<Val>, Error> {
        let f = inst.get_func(&self.store, name).unwrap_or_else(|| panic!("no export {name}"));
        f.call(&mut self.store, args)
    }

    fn ok(&mut self, inst: Instance, name: &str, args: &[Val]) -> Vec<Val> {
        self.call(inst, name, args).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn trap(&mut self, inst: Instance, name: &str, args: &[Val]) -> TrapKind {
        match self.call(inst, name, args) {
            Err(Error::Trap(t)) => match t.reason {
                TrapReason::Wasm(k) => k,
                other => panic!("{name}: unexpected trap reason {other:?}"),
            },
            other => panic!("{name}: expected a trap, got {other:?}"),
        }
    }
}

fn one(inst: Instance, env: &mut Env, name: &str, args: &[Val]) -> Val {
    let r = env.ok(inst, name, args);
    assert_eq!(r.len(), 1, "{name}");
    r[0]
}

fn i32s(v: &[Val]) -> Vec<i32> {
    v.iter()
        .map(|x| match x {
            Val::I32(i) => *i,
            other => panic!("not i32: {other:?}"),
        })
        .collect()
}

#[test]
fn numeric_edge_cases() {
    let mut env = Env::new();
    let i = env.instantiate(
        r#"(module
          (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
          (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
          (func (export "rem_s64") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
          (func (export "div_u") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
          (func (export "shl") (param i32 i32) (result i32) (i32.shl (local.get 0) (local.get 1)))
          (func (export "rotr64") (param i64 i64) (result i64) (i64.rotr (local.get 0) (local.get 1)))
          (func (export "clz") (param i64) (result i64) (i64.clz (local.get 0)))
          (func (export "trunc") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
          (func (export "trunc_u64") (param f64) (result i64) (i64.trunc_f64_u (local.get 0)))
          (func (export "trunc_sat") (param f64) (result i32) (i32.trunc_sat_f64_u (local.get 0)))
          (func (export "min") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
          (func (export "nearest") (param f32) (result f32) (f32.nearest (local.get 0)))
          (func (export "copysign") (param f32 f32) (result f32) (f32.copysign (local.get 0) (local.get 1)))
          (func (export "ext8") (param i32) (result i32) (i32.extend8_s (local.get 0)))
          (func (export "ext32") (param i64) (result i64) (i64.extend32_s (local.get 0)))
          (func (export "cvt_u") (param i64) (result f32) (f32.convert_i64_u (local.get 0)))
          (func (export "reinterp") (param f64) (result i64) (i64.reinterpret_f64 (local.get 0)))
        )"#,
    );
    use Val::*;
    assert_eq!(one(i, &mut env, "div_s", &[I32(-7), I32(2)]), I32(-3));
    assert_eq!(env.trap(i, "div_s", &[I32(i32::MIN), I32(-1)]), TrapKind::IntegerOverflow);
    assert_eq!(env.trap(i, "div_s", &[I32(1), I32(0)]), TrapKind::IntegerDivisionByZero);
    assert_eq!(one(i, &mut env, "rem_s", &[I32(i32::MIN), I32(-1)]), I32(0));
    assert_eq!(one(i, &mut env, "rem_s64", &[I64(i64::MIN), I64(-1)]), I64(0));
    assert_eq!(one(i, &mut env, "rem_s", &[I32(-7), I32(2)]), I32(-1));
    assert_eq!(env.trap(i, "div_u", &[I32(1), I32(0)]), TrapKind::IntegerDivisionByZero);
    assert_eq!(one(i, &mut env, "shl", &[I32(1), I32(33)]), I32(2));
    assert_eq!(one(i, &mut env, "rotr64", &[I64(1), I64(65)]), I64(i64::MIN));
    assert_eq!(one(i, &mut env, "clz", &[I64(0)]), I64(64));
    assert_eq!(one(i, &mut env, "trunc", &[F32((-1.9f32).to_bits())]), I32(-1));
    assert_eq!(env.trap(i, "trunc", &[F32(f32::NAN.to_bits())]), TrapKind::BadConversionToInteger);
    assert_eq!(env.trap(i, "trunc", &[F32(3e9f32.to_bits())]), TrapKind::IntegerOverflow);
    assert_eq!(env.trap(i, "trunc_u64", &[F64((-1.0f64).to_bits())]), TrapKind::IntegerOverflow);
    assert_eq!(one(i, &mut env, "trunc_u64", &[F64((-0.9f64).to_bits())]), I64(0));
    assert_eq!(one(i, &mut env, "trunc_sat", &[F64(1e20f64.to_bits())]), I32(-1));
    assert_eq!(one(i, &mut env, "trunc_sat", &[F64(f64::NAN.to_bits())]), I32(0));
    assert_eq!(one(i, &mut env, "min", &[F64(0.0f64.to_bits()), F64((-0.0f64).to_bits())]), F64((-0.0f64).to_bits()));
    match one(i, &mut env, "min", &[F64(1.0f64.to_bits()), F64(f64::NAN.to_bits())]) {
        F64(bits) => assert!(f64::from_bits(bits).is_nan()),
        other => panic!("{other:?}"),
    }
    assert_eq!(one(i, &mut env, "nearest", &[F32(2.5f32.to_bits())]), F32(2.0f32.to_bits()));
    assert_eq!(one(i, &mut env, "nearest", &[F32((-3.5f32).to_bits())]), F32((-4.0f32).to_bits()));
    assert_eq!(one(i, &mut env, "copysign", &[F32(1.5f32.to_bits()), F32((-0.0f32).to_bits())]), F32((-1.5f32).to_bits()));
    assert_eq!(one(i, &mut env, "ext8", &[I32(0x80)]), I32(-128));
    assert_eq!(one(i, &mut env, "ext32", &[I64(0xffff_ffff)]), I64(-1));
    assert_eq!(one(i, &mut env, "cvt_u", &[I64(-1)]), F32(18446744073709551616.0f32.to_bits()));
    // A NaN payload survives a call and a reinterpretation bit for bit.
    let payload = 0x7ff4_0000_0000_0001u64;
    assert_eq!(one(i, &mut env, "reinterp", &[F64(payload)]), I64(payload as i64));
}

#[test]
fn memory_accesses_and_traps() {
    let mut env = Env::new();
    let i = env.instantiate(
        r#"(module
          (memory (export "mem") 1 3)
          (func (export "store_load") (param i32 i64) (result i64 i32 i32)
            (i64.store offset=3 (local.get 0) (local.get 1))
            (i64.load offset=3 (local.get 0))
            (i32.load8_s offset=3 (local.get 0))
            (i32.load16_u offset=4 (local.get 0)))
          (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
          (func (export "load_far") (param i32) (result i32) (i32.load offset=0xfffffff0 (local.get 0)))
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
          (func (export "size") (result i32) (memory.size))
          (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
          (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
          (func (export "v128_roundtrip") (param i32) (result i64 i64)
            (v128.store offset=1 (local.get 0) (v128.const i64x2 0x0102030405060708 -2))
            (i64x2.extract_lane 0 (v128.load offset=1 (local.get 0)))
            (i64.load offset=9 (local.get 0)))
        )"#,
    );
    use Val::*;
    let r = env.ok(i, "store_load", &[I32(100), I64(0x1122_3344_5566_77f8)]);
    assert_eq!(r, vec![I64(0x1122_3344_5566_77f8), I32(-8), I32(0x6677)]);
    assert_eq!(one(i, &mut env, "load", &[I32(65532)]), I32(0));
    assert_eq!(env.trap(i, "load", &[I32(65533)]), TrapKind::MemoryOutOfBounds);
    assert_eq!(env.trap(i, "load", &[I32(-1)]), TrapKind::MemoryOutOfBounds);
    // index + offset beyond 4 GiB: still inside the reservation, still a trap.
    assert_eq!(env.trap(i, "load_far", &[I32(-1)]), TrapKind::MemoryOutOfBounds);
    assert_eq!(env.trap(i, "load_far", &[I32(0)]), TrapKind::MemoryOutOfBounds);
    assert_eq!(one(i, &mut env, "size", &[]), I32(1));
    assert_eq!(one(i, &mut env, "grow", &[I32(1)]), I32(1));
    assert_eq!(one(i, &mut env, "size", &[]), I32(2));
    assert_eq!(one(i, &mut env, "grow", &[I32(2)]), I32(-1));
    assert_eq!(one(i, &mut env, "load", &[I32(65536 * 2 - 4)]), I32(0));
    assert_eq!(env.trap(i, "load", &[I32(65536 * 2 - 3)]), TrapKind::MemoryOutOfBounds);
    env.ok(i, "fill", &[I32(10), I32(0xab), I32(4)]);
    assert_eq!(one(i, &mut env, "load", &[I32(10)]), I32(0xabababab_u32 as i32));
    env.ok(i, "copy", &[I32(20), I32(10), I32(4)]);
    assert_eq!(one(i, &mut env, "load", &[I32(20)]), I32(0xabababab_u32 as i32));
    // Bulk operations report their trap through the libcall status.
    assert_eq!(env.trap(i, "fill", &[I32(65536 * 2 - 1), I32(0), I32(2)]), TrapKind::MemoryOutOfBounds);
    assert_eq!(env.trap(i, "copy", &[I32(0), I32(65536 * 2), I32(1)]), TrapKind::MemoryOutOfBounds);
    assert_eq!(env.ok(i, "v128_roundtrip", &[I32(64)]), vec![I64(0x0102030405060708), I64(-2)]);
}

/// A function type with many mixed parameters and results, used below for
/// every kind of call. Far more than fit in registers either way.
const MANY: &str = "(param i32 i64 f32 f64 v128 i32 i64 f32 f64 v128 i32 i64 f32 f64 v128 i32)
                    (result i32 i64 f32 f64 v128 i32 i64 f32 f64 v128 i32 i64 f32 f64 v128 i32)";

fn many_args() -> Vec<Val> {
    use Val::*;
    (0..16)
        .map(|k| {
            let k = k as u64 + 1;
            match k % 5 {
                1 => I32(k as i32 * -3),
                2 => I64(-(k as i64) << 40),
                3 => F32((k as f32 + 0.5).to_bits()),
                4 => F64((k as f64 * 1e100).to_bits()),
                _ => V128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128.rotate_left(k as u32 * 8)),
            }
        })
        .collect()
}

fn many_type() -> FuncType {
    use ValType::*;
    let tys: Vec<ValType> = [I32, I64, F32, F64, V128].iter().cycle().take(15).copied().chain([I32]).collect();
    FuncType { params: tys.clone(), results: tys }
}

#[test]
fn many_values_through_every_kind_of_call() {
    let mut env = Env::new();
    // Host function: reverses nothing, just echoes its 16 params.
    env.linker.func_new("host", "echo", many_type(), |_, params, results| {
        results.clone_from_slice(params);
        Ok(())
    });
    let other = env.instantiate(&format!(
        r#"(module (func (export "echo") {MANY}
             {locals}))"#,
        locals = (0..16).map(|k| format!("(local.get {k})")).collect::<Vec<_>>().join(" ")
    ));
    env.linker.instance(&env.store, "other", other);
    let gets = (0..16).map(|k| format!("(local.get {k})")).collect::<Vec<_>>().join(" ");
    let i = env.instantiate(&format!(
        r#"(module
          (type $many (func {MANY}))
          (import "host" "echo" (func $host (type $many)))
          (import "other" "echo" (func $other (type $many)))
          (table 4 funcref)
          (elem (i32.const 0) $host $other $direct)
          (func $direct (type $many) {gets})
          (func (export "direct") (type $many) {gets} (call $direct))
          (func (export "host") (type $many) {gets} (call $host))
          (func (export "other") (type $many) {gets} (call $other))
          (func (export "indirect") (type $many) {gets} (call_indirect (type $many) (local.get 15)))
        )"#
    ));
    let args = many_args();
    for name in ["direct", "host", "other"] {
        assert_eq!(env.ok(i, name, &args), args, "{name}");
    }
    // Through the table: slot 0 is the host function, 1 the other
    // instance's, 2 the defined one; the last argument picks the slot.
    for slot in 0..3 {
        let mut a = args.clone();
        a[15] = Val::I32(slot);
        assert_eq!(env.ok(i, "indirect", &a), a, "slot {slot}");
    }
    let mut a = args.clone();
    a[15] = Val::I32(3);
    assert_eq!(env.trap(i, "indirect", &a), TrapKind::IndirectCallToNull);
    a[15] = Val::I32(4);
    assert_eq!(env.trap(i, "indirect", &a), TrapKind::IndirectCallOutOfBounds);
}

#[test]
fn call_indirect_checks_signatures_across_instances() {
    let mut env = Env::new();
    let a = env.instantiate(
        r#"(module
          (table (export "t") 2 funcref)
          (func $f (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
          (func $g (param i64) (result i64) (local.get 0))
          (elem (i32.const 0) $f $g))"#,
    );
    env.linker.instance(&env.store, "a", a);
    let b = env.instantiate(
        r#"(module
          (import "a" "t" (table 2 funcref))
          (type $t (func (param i32) (result i32)))
          (func (export "call") (param i32 i32) (result i32)
            (call_indirect (type $t) (local.get 0) (local.get 1))))"#,
    );
    assert_eq!(env.ok(b, "call", &[Val::I32(41), Val::I32(0)]), vec![Val::I32(42)]);
    assert_eq!(env.trap(b, "call", &[Val::I32(41), Val::I32(1)]), TrapKind::BadSignature);
}

#[test]
fn globals_of_the_right_instance() {
    let mut env = Env::new();
    let a = env.instantiate(
        r#"(module
          (global $g (export "g") (mut i32) (i32.const 10))
          (global $v (mut v128) (v128.const i32x4 1 2 3 4))
          (global $k i64 (i64.const 7))
          (func (export "bump") (result i32)
            (global.set $g (i32.add (global.get $g) (i32.const 1)))
            (global.set $v (i32x4.add (global.get $v) (global.get $v)))
            (global.get $g))
          (func (export "lane") (result i32 i64) (i32x4.extract_lane 3 (global.get $v)) (global.get $k)))"#,
    );
    env.linker.instance(&env.store, "a", a);
    let b = env.instantiate(
        r#"(module
          (import "a" "g" (global $g (mut i32)))
          (import "a" "bump" (func $bump (result i32)))
          (func (export "twice") (result i32)
            (drop (call $bump))
            (global.set $g (i32.mul (global.get $g) (i32.const 100)))
            (call $bump)))"#,
    );
    assert_eq!(env.ok(b, "twice", &[]), vec![Val::I32(1101)]);
    assert_eq!(env.ok(a, "lane", &[]), vec![Val::I32(16), Val::I64(7)]);
}

#[test]
fn control_flow_with_block_parameters() {
    let mut env = Env::new();
    let i = env.instantiate(
        r#"(module
          ;; sum 1..n with a loop carrying (i, acc) as loop parameters
          (func (export "sum") (param i32) (result i64) (local i64)
            (local.get 0) (i64.const 0)
            (loop $l (param i32 i64) (result i64)
              (local.set 1)
              (local.tee 0)
              (i64.extend_i32_u) (local.get 1) (i64.add)
              (local.set 1)
              (i32.sub (local.get 0) (i32.const 1))
              (local.get 1)
              (br_if $l (i32.ne (local.get 0) (i32.const 1)))
              (local.set 1) (drop) (local.get 1)))
          ;; br_table carrying two values to different targets
          (func (export "table") (param i32) (result i32 i32)
            (block $a (result i32 i32)
              (block $b (result i32 i32)
                (block $c (result i32 i32)
                  (i32.const 1) (i32.const 2)
                  (br_table $a $b $c (local.get 0)))
                (return (i32.const 30) (i32.const 31)))
              (return (i32.add) (i32.const 20))))
          ;; if with parameters and results, no else
          (func (export "if_params") (param i32) (result i32 i32)
            (i32.const 5) (i32.const 6)
            (if (param i32 i32) (result i32 i32) (local.get 0)
              (then (i32.mul) (i32.const 1))))
          ;; unreachable code nested inside dead branches
          (func (export "dead") (param i32) (result i32)
            (block $out (result i32)
              (if (local.get 0) (then (br $out (i32.const 7))))
              (return (i32.const 8))
              (block (loop (if (i32.const 1) (then (unreachable)) (else (nop))))) 
              (i32.const 9)))
          (func (export "select_v128") (param i32) (result i32)
            (i32x4.extract_lane 1
              (select (v128.const i32x4 1 2 3 4) (v128.const i32x4 5 6 7 8) (local.get 0))))
          (func (export "trap") (unreachable))
        )"#,
    );
    use Val::*;
    assert_eq!(env.ok(i, "sum", &[I32(100)]), vec![I64(5050)]);
    assert_eq!(i32s(&env.ok(i, "table", &[I32(0)])), vec![1, 2]);
    assert_eq!(i32s(&env.ok(i, "table", &[I32(1)])), vec![3, 20]);
    assert_eq!(i32s(&env.ok(i, "table", &[I32(2)])), vec![30, 31]);
    assert_eq!(i32s(&env.ok(i, "table", &[I32(99)])), vec![30, 31]);
    assert_eq!(i32s(&env.ok(i, "if_params", &[I32(1)])), vec![30, 1]);
    assert_eq!(i32s(&env.ok(i, "if_params", &[I32(0)])), vec![5, 6]);
    assert_eq!(env.ok(i, "dead", &[I32(1)]), vec![I32(7)]);
    assert_eq!(env.ok(i, "dead", &[I32(0)]), vec![I32(8)]);
    assert_eq!(env.ok(i, "select_v128", &[I32(1)]), vec![I32(2)]);
    assert_eq!(env.ok(i, "select_v128", &[I32(0)]), vec![I32(6)]);
    assert_eq!(env.trap(i, "trap", &[]), TrapKind::Unreachable);
}

#[test]
fn stack_overflow_is_a_trap_and_the_store_survives() {
    let mut env = Env::new();
    let i = env.instantiate(
        r#"(module
          (func $r (export "recurse") (param i64) (result i64)
            (i64.add (call $r (i64.add (local.get 0) (i64.const 1))) (local.get 0)))
          (func $big (export "big_frames") (param i32) (result i32)
            (local v128 v128 v128 v128 v128 v128 v128 v128)
            (if (result i32) (local.get 0)
              (then (call $big (i32.sub (local.get 0) (i32.const 1))))
              (else (i32.const 0))))
          (func (export "ok") (result i32) (i32.const 1)))"#,
    );
    assert_eq!(env.trap(i, "recurse", &[Val::I64(0)]), TrapKind::StackOverflow);
    assert_eq!(env.trap(i, "big_frames", &[Val::I32(-1)]), TrapKind::StackOverflow);
    assert_eq!(env.ok(i, "big_frames", &[Val::I32(1000)]), vec![Val::I32(0)]);
    assert_eq!(env.ok(i, "ok", &[]), vec![Val::I32(1)]);
}

#[test]
fn tables_and_references() {
    let mut env = Env::new();
    let i = env.instantiate(
        r#"(module
          (table $t (export "t") 2 10 funcref)
          (table $e 1 externref)
          (elem $seg func $a $b)
          (func $a (result i32) (i32.const 1))
          (func $b (result i32) (i32.const 2))
          (func (export "grow") (param i32) (result i32) (table.grow $t (ref.func $b) (local.get 0)))
          (func (export "size") (result i32) (table.size $t))
          (func (export "init") (param i32 i32 i32) (table.init $t $seg (local.get 0) (local.get 1) (local.get 2)))
          (func (export "drop") (elem.drop $seg))
          (func (export "call") (param i32) (result i32) (call_indirect $t (result i32) (local.get 0)))
          (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
          (func (export "same") (result i32)
            (table.set $t (i32.const 0) (ref.func $a))
            (call_indirect $t (result i32) (i32.const 0)))
          (func (export "set_ext") (param externref) (table.set $e (i32.const 0) (local.get 0)))
          (func (export "get_ext") (result externref) (table.get $e (i32.const 0)))
          (func (export "fill") (param i32 i32) (table.fill $t (local.get 0) (ref.null func) (local.get 1)))
          (func (export "get_oob") (param i32) (result funcref) (table.get $t (local.get 0))))"#,
    );
    use Val::*;
    assert_eq!(env.ok(i, "is_null", &[I32(0)]), vec![I32(1)]);
    assert_eq!(env.ok(i, "same", &[]), vec![I32(1)]);
    assert_eq!(env.ok(i, "is_null", &[I32(0)]), vec![I32(0)]);
    assert_eq!(env.ok(i, "grow", &[I32(3)]), vec![I32(2)]);
    assert_eq!(env.ok(i, "size", &[]), vec![I32(5)]);
    assert_eq!(env.ok(i, "call", &[I32(4)]), vec![I32(2)]);
    assert_eq!(env.ok(i, "grow", &[I32(6)]), vec![I32(-1)]);
    env.ok(i, "init", &[I32(3), I32(0), I32(2)]);
    assert_eq!(env.ok(i, "call", &[I32(3)]), vec![I32(1)]);
    assert_eq!(env.trap(i, "init", &[I32(4), I32(0), I32(2)]), TrapKind::TableOutOfBounds);
    env.ok(i, "drop", &[]);
    assert_eq!(env.trap(i, "init", &[I32(0), I32(0), I32(1)]), TrapKind::TableOutOfBounds);
    env.ok(i, "fill", &[I32(1), I32(4)]);
    assert_eq!(env.trap(i, "call", &[I32(4)]), TrapKind::IndirectCallToNull);
    assert_eq!(env.trap(i, "get_oob", &[I32(5)]), TrapKind::TableOutOfBounds);
    assert_eq!(env.trap(i, "fill", &[I32(4), I32(2)]), TrapKind::TableOutOfBounds);
    env.ok(i, "set_ext", &[ExternRef(Some(0xdead_beef))]);
    assert_eq!(env.ok(i, "get_ext", &[]), vec![ExternRef(Some(0xdead_beef))]);
    // ref.func yields the same funcref the table holds.
    let f = match env.ok(i, "get_oob", &[I32(0)]).pop() {
        Some(FuncRef(Some(f))) => f,
        other => panic!("{other:?}"),
    };
    assert_eq!(f.call(&mut env.store, &[]).expect("call funcref"), vec![I32(1)]);
}

#[test]
fn simd_lane_semantics() {
    let mut env = Env::new();
    let i = env.instantiate(
        r#"(module
          (memory 1)
          (func (export "swizzle") (param v128 v128) (result v128)
            (i8x16.swizzle (local.get 0) (local.get 1)))
          (func (export "shuffle") (param v128 v128) (result v128)
            (i8x16.shuffle 31 0 30 1 29 2 28 3 27 4 26 5 25 6 24 7 (local.get 0) (local.get 1)))
          (func (export "q15") (param v128 v128) (result v128) (i16x8.q15mulr_sat_s (local.get 0) (local.get 1)))
          (func (export "narrow") (param v128 v128) (result v128) (i8x16.narrow_i16x8_u (local.get 0) (local.get 1)))
          (func (export "bitmask") (param v128) (result i32) (i8x16.bitmask (local.get 0)))
          (func (export "trunc_zero") (param v128) (result v128) (i32x4.trunc_sat_f64x2_u_zero (local.get 0)))
          (func (export "dot") (param v128 v128) (result v128) (i32x4.dot_i16x8_s (local.get 0) (local.get 1)))
          (func (export "pairwise") (param v128) (result v128) (i16x8.extadd_pairwise_i8x16_u (local.get 0)))
          (func (export "shl") (param v128 i32) (result v128) (i8x16.shl (local.get 0) (local.get 1)))
          (func (export "pmin") (param v128 v128) (result v128) (f32x4.pmin (local.get 0) (local.get 1)))
          (func (export "load_lane") (param v128) (result v128)
            (i32.store (i32.const 8) (i32.const 0x11223344))
            (v128.load32_lane 2 (i32.const 8) (local.get 0)))
          (func (export "load_zero") (result v128)
            (i64.store (i32.const 8) (i64.const -1))
            (v128.load32_zero (i32.const 8)))
          (func (export "load_oob") (result v128) (v128.load64_splat (i32.const 65529)))
        )"#,
    );
    use Val::*;
    fn bytes(v: &Val) -> [u8; 16] {
        match v {
            V128(x) => x.to_le_bytes(),
            other => panic!("{other:?}"),
        }
    }
    fn v(b: [u8; 16]) -> Val {
        V128(u128::from_le_bytes(b))
    }
    fn h(lanes: [i16; 8]) -> Val {
        let mut b = [0u8; 16];
        for (k, l) in lanes.iter().enumerate() {
            b[2 * k..2 * k + 2].copy_from_slice(&l.to_le_bytes());
        }
        v(b)
    }
    fn w(lanes: [u32; 4]) -> Val {
        let mut b = [0u8; 16];
        for (k, l) in lanes.iter().enumerate() {
            b[4 * k..4 * k + 4].copy_from_slice(&l.to_le_bytes());
        }
        v(b)
    }
    let seq: [u8; 16] = std::array::from_fn(|k| k as u8);
    let hi: [u8; 16] = std::array::from_fn(|k| 100 + k as u8);
    let idx = [15, 16, 255, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 128];
    let r = env.ok(i, "swizzle", &[v(hi), v(idx)]);
    assert_eq!(bytes(&r[0]), [115, 0, 0, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 0]);
    let r = env.ok(i, "shuffle", &[v(seq), v(hi)]);
    assert_eq!(bytes(&r[0]), [115, 0, 114, 1, 113, 2, 112, 3, 111, 4, 110, 5, 109, 6, 108, 7]);
    let r = env.ok(
        i,
        "q15",
        &[h([i16::MIN, i16::MIN, 16384, -16384, 1, 0, 3, 100]), h([i16::MIN, 32767, 16384, 16384, 16384, 5, -16384, 200])],
    );
    assert_eq!(r[0], h([i16::MAX, -32767, 8192, -8192, 1, 0, -1, 1]));
    let r = env.ok(i, "narrow", &[h([-1, 0, 255, 256, 300, -300, 128, 127]), h([1, 2, 3, 4, 5, 6, 7, 8])]);
    assert_eq!(bytes(&r[0]), [0, 0, 255, 255, 255, 0, 128, 127, 1, 2, 3, 4, 5, 6, 7, 8]);
    let mut m = [0u8; 16];
    m[0] = 0x80;
    m[15] = 0xff;
    m[7] = 0x7f;
    assert_eq!(env.ok(i, "bitmask", &[v(m)]), vec![I32(0x8001)]);
    let mut f = [0u8; 16];
    f[..8].copy_from_slice(&(-3.5f64).to_le_bytes());
    f[8..].copy_from_slice(&5e9f64.to_le_bytes());
    assert_eq!(env.ok(i, "trunc_zero", &[v(f)])[0], w([0, u32::MAX, 0, 0]));
    let r = env.ok(i, "dot", &[h([i16::MIN, i16::MIN, 1, 2, 3, 4, -5, 6]), h([i16::MIN, i16::MIN, 1, 1, 1, 1, 1, 1])]);
    assert_eq!(r[0], w([0x8000_0000, 3, 7, 1]));
    let r = env.ok(i, "pairwise", &[v([255; 16])]);
    assert_eq!(r[0], h([510; 8]));
    let r = env.ok(i, "shl", &[v([0x81; 16]), I32(9)]);
    assert_eq!(bytes(&r[0]), [0x02; 16]);
    let nan = f32::NAN.to_bits();
    let r = env.ok(
        i,
        "pmin",
        &[w([nan, 1f32.to_bits(), (-0f32).to_bits(), 2f32.to_bits()]), w([1f32.to_bits(), nan, 0f32.to_bits(), 1f32.to_bits()])],
    );
    assert_eq!(r[0], w([nan, 1f32.to_bits(), (-0f32).to_bits(), 1f32.to_bits()]));
    let r = env.ok(i, "load_lane", &[w([1, 2, 3, 4])]);
    assert_eq!(r[0], w([1, 2, 0x11223344, 4]));
    assert_eq!(env.ok(i, "load_zero", &[])[0], w([u32::MAX, 0, 0, 0]));
    assert_eq!(env.trap(i, "load_oob", &[]), TrapKind::MemoryOutOfBounds);
}

#[test]
fn host_function_traps_and_sees_caller_memory() {
    let mut env = Env::new();
    env.linker.func_new(
        "host",
        "peek",
        FuncType { params: vec![ValType::I32], results: vec![ValType::I32] },
        |caller, params, results| {
            let addr = match params[0] {
                Val::I32(a) => a as usize,
                _ => return Err(engine::Trap::host("bad arg")),
            };
            let mem = caller.memory().ok_or_else(|| engine::Trap::host("no memory"))?;
            let b = *mem.get(addr).ok_or_else(|| engine::Trap::host("out of range"))?;
            results[0] = Val::I32(b as i32);
            Ok(())
        },
    );
    let i = env.instantiate(
        r#"(module
          (import "host" "peek" (func $peek (param i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 5) "\2a")
          (func (export "peek") (param i32) (result i32) (i32.add (call $peek (local.get 0)) (i32.const 1))))"#,
    );
    assert_eq!(env.ok(i, "peek", &[Val::I32(5)]), vec![Val::I32(43)]);
    match env.call(i, "peek", &[Val::I32(70000)]) {
        Err(Error::Trap(t)) => assert_eq!(t.reason, TrapReason::Host("out of range".into())),
        other => panic!("{other:?}"),
    }
    // The instance is still usable after a host trap.
    assert_eq!(env.ok(i, "peek", &[Val::I32(0)]), vec![Val::I32(1)]);
}

/// Tables with `max == min` are compiled with a constant length and a base
/// loaded once per function; their contents still change.
#[test]
fn fixed_size_tables() {
    let mut env = Env::new();
    let a = env.instantiate(
        r#"(module
          (table $t (export "t") 3 3 funcref)
          (func $one (result i32) (i32.const 1))
          (func $two (result i32) (i32.const 2))
          (elem (i32.const 0) $one)
          (elem declare func $two)
          (func (export "set2") (param i32) (table.set $t (local.get 0) (ref.func $two)))
          (func (export "grow0") (result i32) (table.grow $t (ref.null func) (i32.const 0)))
          (func (export "grow1") (result i32) (table.grow $t (ref.null func) (i32.const 1)))
          (func (export "call") (param i32) (result i32)
            (call_indirect $t (result i32) (local.get 0))))"#,
    );
    env.linker.instance(&env.store, "a", a);
    let b = env.instantiate(
        r#"(module
          (import "a" "t" (table 3 3 funcref))
          (import "a" "set2" (func $set2 (param i32)))
          (func (export "set_then_call") (param i32) (result i32)
            (call $set2 (local.get 0))
            (call_indirect (result i32) (local.get 0))))"#,
    );
    use Val::*;
    assert_eq!(env.ok(a, "call", &[I32(0)]), vec![I32(1)]);
    assert_eq!(env.trap(a, "call", &[I32(1)]), TrapKind::IndirectCallToNull);
    assert_eq!(env.trap(a, "call", &[I32(3)]), TrapKind::IndirectCallOutOfBounds);
    assert_eq!(env.trap(a, "call", &[I32(-1)]), TrapKind::IndirectCallOutOfBounds);
    // The import sees a change made by the owner during the same call.
    assert_eq!(env.ok(b, "set_then_call", &[I32(2)]), vec![I32(2)]);
    assert_eq!(env.ok(a, "grow0", &[]), vec![I32(3)]);
    assert_eq!(env.ok(a, "grow1", &[]), vec![I32(-1)]);
    assert_eq!(env.ok(a, "call", &[I32(2)]), vec![I32(2)]);
    assert_eq!(env.trap(b, "set_then_call", &[I32(3)]), TrapKind::TableOutOfBounds);
}
