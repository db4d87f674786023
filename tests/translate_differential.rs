//! Differential test of the compiler against wasmtime: random valid modules
//! from `wasm-smith` (WebAssembly 2.0 + SIMD and the 3.0 parts the engine
//! implements that wasm-smith can generate without GC: tail calls,
//! extended constant expressions, relaxed SIMD; no imports, everything
//! exported, NaNs canonicalised so results are deterministic, loops and
//! recursion bounded by fuel) run on faasm-engine and on wasmtime; every
//! exported function is called with zeros and with random arguments, and
//! the results (or trap kinds), then the exported globals and memories,
//! must be identical.
//!
//! A stack overflow on either side makes the rest of that module
//! inconclusive (the engines have different stack limits and frame sizes),
//! so its comparison stops there.
//!
//! `DIFF_MODULES` (default 300) sets how many modules run; `DIFF_SEED`
//! changes the sequence; `DIFF_VERBOSE` prints every call's outcome;
//! `DIFF_FILE=path.wasm` compares just that module (e.g. a saved failure).

use arbitrary::Unstructured;

/// Random bytes per module: more bytes, bigger modules.
const DIFF_BYTES: usize = 32768;
use engine::{Extern as EExtern, TrapKind, TrapReason, Val as EVal, ValType as EValType};
use wasmtime::{Extern as WExtern, Val as WVal, ValType as WValType};

/// A value as both engines can express it. References compare by nullness.
#[derive(Clone, Debug, PartialEq)]
enum V {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    Ref { null: bool },
}

/// The outcome of one call.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Values(Vec<V>),
    Trap(&'static str),
    /// Something other than a wasm trap (a host error, an engine error).
    Error(String),
}

fn our_trap(k: TrapKind) -> &'static str {
    match k {
        TrapKind::StackOverflow => "stack overflow",
        TrapKind::MemoryOutOfBounds => "memory out of bounds",
        TrapKind::TableOutOfBounds | TrapKind::IndirectCallOutOfBounds => "table out of bounds",
        TrapKind::IndirectCallToNull => "null funcref",
        TrapKind::BadSignature => "bad signature",
        TrapKind::IntegerOverflow => "integer overflow",
        TrapKind::IntegerDivisionByZero => "division by zero",
        TrapKind::BadConversionToInteger => "bad conversion",
        TrapKind::Unreachable => "unreachable",
        TrapKind::NullReference => "null reference",
        TrapKind::Deferred => "deferred (unresolved)",
        TrapKind::Interrupt => "interrupt",
        TrapKind::NullFunctionReference => "null reference",
    }
}

fn their_trap(e: &wasmtime::Error) -> Option<&'static str> {
    use wasmtime::Trap::*;
    Some(match e.downcast_ref::<wasmtime::Trap>()? {
        StackOverflow => "stack overflow",
        MemoryOutOfBounds => "memory out of bounds",
        TableOutOfBounds => "table out of bounds",
        IndirectCallToNull => "null funcref",
        BadSignature => "bad signature",
        IntegerOverflow => "integer overflow",
        IntegerDivisionByZero => "division by zero",
        BadConversionToInteger => "bad conversion",
        UnreachableCodeReached => "unreachable",
        NullReference => "null reference",
        _ => return None,
    })
}

fn from_ours(v: &EVal) -> V {
    match v {
        EVal::I32(x) => V::I32(*x),
        EVal::I64(x) => V::I64(*x),
        EVal::F32(x) => V::F32(*x),
        EVal::F64(x) => V::F64(*x),
        EVal::V128(x) => V::V128(*x),
        EVal::FuncRef(f) => V::Ref { null: f.is_none() },
        EVal::ExternRef(r) => V::Ref { null: r.is_none() },
    }
}

fn from_theirs(v: &WVal) -> V {
    match v {
        WVal::I32(x) => V::I32(*x),
        WVal::I64(x) => V::I64(*x),
        WVal::F32(x) => V::F32(*x),
        WVal::F64(x) => V::F64(*x),
        WVal::V128(x) => V::V128(x.as_u128()),
        WVal::FuncRef(f) => V::Ref { null: f.is_none() },
        WVal::ExternRef(r) => V::Ref { null: r.is_none() },
        other => panic!("unexpected wasmtime value {other:?}"),
    }
}

/// Arguments for one call, as plain values (references are always null).
fn args_for(tys: &[EValType], rng: &mut Rng, zero: bool) -> Vec<V> {
    tys.iter()
        .map(|t| {
            let r = if zero { 0 } else { rng.interesting() };
            match t {
                EValType::I32 => V::I32(r as i32),
                EValType::I64 => V::I64(r as i64),
                EValType::F32 => V::F32(r as u32),
                EValType::F64 => V::F64(r),
                EValType::V128 => V::V128((r as u128) << 64 | rng.next() as u128),
                // wasm-smith makes typed references only with GC, which is
                // off here.
                EValType::FuncRef | EValType::ExternRef | EValType::Ref(_) => V::Ref { null: true },
            }
        })
        .collect()
}

fn to_ours(v: &V, ty: EValType) -> EVal {
    match (v, ty) {
        (V::I32(x), _) => EVal::I32(*x),
        (V::I64(x), _) => EVal::I64(*x),
        (V::F32(x), _) => EVal::F32(*x),
        (V::F64(x), _) => EVal::F64(*x),
        (V::V128(x), _) => EVal::V128(*x),
        (V::Ref { .. }, EValType::FuncRef) => EVal::FuncRef(None),
        (V::Ref { .. }, _) => EVal::ExternRef(None),
    }
}

fn to_theirs(v: &V, ty: &WValType) -> WVal {
    match v {
        V::I32(x) => WVal::I32(*x),
        V::I64(x) => WVal::I64(*x),
        V::F32(x) => WVal::F32(*x),
        V::F64(x) => WVal::F64(*x),
        V::V128(x) => WVal::V128((*x).into()),
        V::Ref { .. } => match ty {
            WValType::Ref(r) if r.heap_type().is_func() => WVal::null_func_ref(),
            _ => WVal::null_extern_ref(),
        },
    }
}

/// xorshift64*: reproducible randomness without extra dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Mostly boundary values, which is where semantics differ.
    fn interesting(&mut self) -> u64 {
        const EDGES: [u64; 10] = [
            0,
            1,
            u64::MAX,
            0x8000_0000,
            0x7fff_ffff,
            0x8000_0000_0000_0000,
            0xffff_fff0,
            0x7fc0_0000,
            0x7ff8_0000_0000_0000,
            65536,
        ];
        let r = self.next();
        if r.is_multiple_of(3) {
            r >> 8
        } else {
            EDGES[(r % EDGES.len() as u64) as usize]
        }
    }
}

/// Half of the modules are generated without traps (wasm-smith guards
/// divisions, memory accesses, ...), so that they compute real results
/// instead of stopping at the first fault.
fn smith_config(disallow_traps: bool) -> wasm_smith::Config {
    wasm_smith::Config {
        disallow_traps,
        max_imports: 0,
        min_funcs: 1,
        max_funcs: 12,
        max_instructions: 200,
        export_everything: true,
        canonicalize_nans: true,
        allow_start_export: true,
        max_memories: 1,
        max_tables: 2,
        // Small, bounded memories and tables: growth beyond a maximum fails
        // in both engines, while growth of an unbounded one may fail in
        // one and succeed in the other (both allowed by the spec).
        max_memory32_bytes: 8 << 16,
        max_table_elements: 1000,
        memory_max_size_required: true,
        table_max_size_required: true,
        memory64_enabled: false,
        // Relaxed SIMD results are the same as wasmtime's on x86-64 (see
        // `engine::translate::relaxed_simd`), so they are compared too.
        relaxed_simd_enabled: true,
        exceptions_enabled: false,
        gc_enabled: false,
        tail_call_enabled: true,
        threads_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: true,
        custom_page_sizes_enabled: false,
        compact_imports_enabled: false,
        ..wasm_smith::Config::default()
    }
}

fn wasmtime_engine() -> wasmtime::Engine {
    let mut config = wasmtime::Config::new();
    config.wasm_features(wasmtime::WasmFeatures::all(), false);
    config.wasm_features(wasmtime::WasmFeatures::WASM2, true);
    config.wasm_features(
        wasmtime::WasmFeatures::TAIL_CALL | wasmtime::WasmFeatures::EXTENDED_CONST | wasmtime::WasmFeatures::RELAXED_SIMD,
        true,
    );
    config.wasm_component_model(false);
    wasmtime::Engine::new(&config).expect("wasmtime engine")
}

/// Runs one module on both engines; returns a description of the first
/// difference, if any.
fn compare(wasm: &[u8], rng: &mut Rng, ours_engine: &engine::Engine, theirs_engine: &wasmtime::Engine) -> Result<usize, String> {
    let module = engine::Module::new(ours_engine, wasm).map_err(|e| format!("we reject it: {e}"))?;
    let wmodule = wasmtime::Module::new(theirs_engine, wasm).map_err(|e| format!("wasmtime rejects it: {e}"))?;
    let mut store = engine::Store::new(ours_engine);
    let mut wstore = wasmtime::Store::new(theirs_engine, ());
    let ours = engine::Linker::new().instantiate(&mut store, &module);
    let theirs = wasmtime::Linker::new(theirs_engine).instantiate(&mut wstore, &wmodule);
    let (inst, winst) = match (ours, theirs) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(engine::Error::Trap(t)), Err(e)) => {
            let ours = match t.reason {
                TrapReason::Wasm(k) => Some(our_trap(k)),
                _ => None,
            };
            return if ours.is_some() && ours == their_trap(&e) || ours == Some("stack overflow") {
                Ok(0)
            } else {
                Err(format!("instantiation: ours trapped {t}, wasmtime: {e:?}"))
            };
        }
        (a, b) => return Err(format!("instantiation differs: ours {:?}, wasmtime {:?}", a.err(), b.err())),
    };
    let mut calls = 0;
    for (name, ext) in inst.exports(&store) {
        let EExtern::Func(f) = ext else { continue };
        let wf = winst.get_func(&mut wstore, &name).ok_or("export missing in wasmtime")?;
        let ty = f.ty(&store);
        let wty = wf.ty(&wstore);
        let wparams: Vec<WValType> = wty.params().collect();
        for zero in [true, false] {
            let args = args_for(&ty.params, rng, zero);
            let ours = match f.call(&mut store, &args.iter().zip(&ty.params).map(|(v, t)| to_ours(v, *t)).collect::<Vec<_>>()) {
                Ok(r) => Outcome::Values(r.iter().map(from_ours).collect()),
                Err(engine::Error::Trap(t)) => match t.reason {
                    TrapReason::Wasm(k) => Outcome::Trap(our_trap(k)),
                    _ => Outcome::Error(t.to_string()),
                },
                Err(e) => Outcome::Error(e.to_string()),
            };
            let wargs: Vec<WVal> = args.iter().zip(&wparams).map(|(v, t)| to_theirs(v, t)).collect();
            let mut wres = vec![WVal::I32(0); wty.results().len()];
            let theirs = match wf.call(&mut wstore, &wargs, &mut wres) {
                Ok(()) => Outcome::Values(wres.iter().map(from_theirs).collect()),
                Err(e) => match their_trap(&e) {
                    Some(k) => Outcome::Trap(k),
                    None => Outcome::Error(format!("{e:?}")),
                },
            };
            calls += 1;
            if ours == Outcome::Trap("stack overflow") || theirs == Outcome::Trap("stack overflow") {
                return Ok(calls);
            }
            if std::env::var_os("DIFF_VERBOSE").is_some() {
                eprintln!("{name}({args:?}): {ours:?}");
                for (gname, ext) in inst.exports(&store) {
                    if let EExtern::Global(g) = ext {
                        let theirs = winst.get_global(&mut wstore, &gname).map(|wg| from_theirs(&wg.get(&mut wstore)));
                        eprintln!("  global {gname}: ours {:?}, wasmtime {theirs:?}", from_ours(&g.get(&store)));
                    }
                }
            }
            if ours != theirs {
                return Err(format!("{name}({args:?}): ours {ours:?}, wasmtime {theirs:?}"));
            }
        }
    }
    // Final state: exported globals and memories.
    for (name, ext) in inst.exports(&store) {
        match (ext, winst.get_export(&mut wstore, &name)) {
            (EExtern::Global(g), Some(WExtern::Global(wg))) => {
                let (a, b) = (from_ours(&g.get(&store)), from_theirs(&wg.get(&mut wstore)));
                if a != b {
                    return Err(format!("global {name}: ours {a:?}, wasmtime {b:?}"));
                }
            }
            (EExtern::Memory(m), Some(WExtern::Memory(wm))) if m.data(&store) != wm.data(&wstore) => {
                return Err(format!("memory {name} contents differ"));
            }
            _ => {}
        }
    }
    Ok(calls)
}

#[test]
fn random_modules_behave_like_wasmtime() {
    let n: usize = std::env::var("DIFF_MODULES").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
    let seed: u64 = std::env::var("DIFF_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    let ours_engine = engine::Engine::default();
    let theirs_engine = wasmtime_engine();
    let mut rng = Rng(seed | 1);
    if let Some(path) = std::env::var_os("DIFF_FILE") {
        let wasm = std::fs::read(&path).expect("DIFF_FILE");
        let r = compare(&wasm, &mut rng, &ours_engine, &theirs_engine);
        assert!(r.is_ok(), "{}", r.unwrap_err());
        return;
    }
    let (mut modules, mut calls) = (0usize, 0usize);
    // Modules that use tail calls and relaxed SIMD (3.0), so that a
    // generator change that stops producing them is noticed.
    let (mut with_tail, mut with_relaxed) = (0usize, 0usize);
    let mut failures = Vec::new();
    for k in 0..n {
        let bytes: Vec<u8> = (0..DIFF_BYTES).map(|_| rng.next() as u8).collect();
        let mut u = Unstructured::new(&bytes);
        let Ok(mut m) = wasm_smith::Module::new(smith_config(k % 2 == 1), &mut u) else {
            continue;
        };
        if m.ensure_termination(5000).is_err() {
            continue;
        }
        let wasm = m.to_bytes();
        match compare(&wasm, &mut rng, &ours_engine, &theirs_engine) {
            Ok(c) => {
                modules += 1;
                calls += c;
                let (tail, relaxed) = uses_3_0(&wasm);
                with_tail += usize::from(tail);
                with_relaxed += usize::from(relaxed);
            }
            Err(e) => {
                let path = std::env::temp_dir().join(format!("diff-{seed}-{k}.wasm"));
                let _ = std::fs::write(&path, &wasm);
                failures.push(format!("module {k} (saved to {}): {e}", path.display()));
            }
        }
    }
    println!(
        "{modules} modules ({with_tail} with tail calls, {with_relaxed} with relaxed SIMD), \
         {calls} calls agree with wasmtime; {} differ",
        failures.len()
    );
    assert!(with_tail > 0 && with_relaxed > 0, "no module used tail calls or relaxed SIMD");
    assert!(modules > n / 2, "too few modules ran: {modules}");
    assert!(calls > n, "too few calls: {calls}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Whether a module's code uses tail calls, and relaxed SIMD.
fn uses_3_0(wasm: &[u8]) -> (bool, bool) {
    let (mut tail, mut relaxed) = (false, false);
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload else { continue };
        let Ok(mut ops) = body.get_operators_reader() else { continue };
        while !ops.eof() {
            let Ok(op) = ops.read() else { break };
            use wasmparser::Operator as O;
            tail |= matches!(op, O::ReturnCall { .. } | O::ReturnCallIndirect { .. } | O::ReturnCallRef { .. });
            relaxed |= format!("{op:?}").contains("Relaxed");
        }
    }
    (tail, relaxed)
}
