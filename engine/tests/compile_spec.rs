//! Stages 3-4 on the spec suite: every module of the `wasm-v2` tests and of
//! the `simd` proposal that our parser and validator accept is translated
//! and compiled (Cranelift's verifier on in debug builds) into one code
//! blob, which must be well formed: function ranges in order and inside the
//! blob, one pair of trampolines per type, trap sites sorted and inside
//! functions or trampolines.

mod validate_support;

use engine::compile::{compile_module, host_isa, OptLevel};
use validate_support::spec_modules;

#[test]
fn every_valid_spec_module_compiles() {
    let isa = host_isa(OptLevel::Speed).expect("host ISA");
    let modules = spec_modules();
    let mut compiled = 0usize;
    let mut functions = 0usize;
    let mut failures = Vec::new();
    for m in &modules {
        let Ok(info) = engine::parse::parse(&m.bytes) else {
            continue;
        };
        if engine::validate::validate(&info, &m.bytes).is_err() {
            continue;
        }
        match compile_module(&*isa, &info, &m.bytes, true) {
            Ok(code) => {
                compiled += 1;
                functions += code.functions.len();
                if let Err(e) = check_layout(&info, &code) {
                    failures.push(format!("{}: bad layout: {e}", m.origin));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", m.origin)),
        }
    }
    println!("compiled {compiled} spec modules ({functions} functions), {} failures", failures.len());
    assert!(compiled > 1000, "too few modules compiled: {compiled}");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

fn check_layout(info: &engine::ModuleInfo, code: &engine::compile::CompiledCode) -> Result<(), String> {
    if code.functions.len() != info.num_defined_funcs() as usize {
        return Err("wrong number of functions".into());
    }
    if code.entry_trampolines.len() != info.types.len() || code.host_trampolines.len() != info.types.len() {
        return Err("wrong number of trampolines".into());
    }
    let all: Vec<_> = code.functions.iter().chain(&code.entry_trampolines).chain(&code.host_trampolines).collect();
    let mut end = 0u32;
    for r in &all {
        if r.offset < end || r.offset % 16 != 0 || (r.offset + r.len) as usize > code.code.len() {
            return Err(format!("bad range {r:?}"));
        }
        end = r.offset + r.len;
    }
    if !code.traps.windows(2).all(|w| w[0].offset < w[1].offset) {
        return Err("trap sites not sorted".into());
    }
    for t in &code.traps {
        if !all.iter().any(|r| r.offset <= t.offset && t.offset < r.offset + r.len) {
            return Err(format!("trap site {t:?} outside any function"));
        }
    }
    Ok(())
}
