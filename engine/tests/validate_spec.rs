//! Differential test of stage 2 on the spec suite: every module of the
//! `wasm-v2` and `wasm-v3` tests and of the proposals the engine implements
//! (see `validate_support::spec_modules`) goes through our parse + validate
//! and through wasmparser's validator (with the engine's feature set);
//! both must give the same valid/invalid verdict, and that verdict must
//! be what the directive expects (`module` valid, `assert_invalid` and
//! binary `assert_malformed` rejected).

mod validate_support;

use validate_support::{oracle, ours, spec_modules, Expect};

#[test]
fn spec_modules_agree_with_oracle_and_expectations() {
    let modules = spec_modules();
    let (mut valid, mut invalid, mut agree) = (0usize, 0usize, 0usize);
    // How often our message contains the spec's expected wording
    // (informational: the spec driver checks verdicts, not text).
    let (mut worded, mut wording_total) = (0usize, 0usize);
    let show_wording = std::env::var_os("VALIDATE_SHOW_WORDING").is_some();
    let mut failures = Vec::new();
    for m in &modules {
        let our = match ours(&m.bytes) {
            Ok(r) => r,
            Err(panic) => {
                failures.push(format!("{}: our validator panicked: {panic}", m.origin));
                continue;
            }
        };
        let theirs = oracle(&m.bytes);
        if our.is_ok() == theirs.is_ok() {
            agree += 1;
        } else {
            failures.push(format!("{}: disagreement: ours = {:?}, wasmparser = {:?}", m.origin, our, theirs));
        }
        let expected_ok = match m.expect {
            Expect::Valid => Some(true),
            Expect::Invalid | Expect::Malformed => Some(false),
            Expect::NoClaim => None,
        };
        if let Some(expected_ok) = expected_ok {
            if our.is_ok() != expected_ok {
                failures.push(format!("{}: expected {:?}, ours = {:?}", m.origin, m.expect, our));
            }
        }
        if let (Expect::Invalid | Expect::Malformed, Err(e)) = (m.expect, &our) {
            wording_total += 1;
            if e.to_string().contains(m.message.as_str()) {
                worded += 1;
            } else if show_wording {
                println!("{}: expected \"{}\", got: {e}", m.origin, m.message);
            }
        }
        if our.is_ok() {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    println!(
        "spec modules: {} total, {agree} agree with wasmparser ({valid} valid, {invalid} rejected by us), {} failures",
        modules.len(),
        failures.len()
    );
    println!("spec wording: {worded} of {wording_total} rejections use the spec's message");
    assert!(modules.len() > 1000, "too few spec modules collected");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
