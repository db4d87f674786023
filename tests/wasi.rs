//! Differential tests of WASI preview1: the C programs in `tests/wasi/`
//! are compiled with clang-19 (`--target=wasm32-wasi -O2`, cached under
//! the target directory), then each is run by the `faasm-engine` binary
//! and by wasmtime + wasmtime-wasi 48 (the dev-dependency oracle) on
//! identical fresh directory trees. Their stdout, exit codes and the files
//! left in the sandbox must agree, and nothing outside the granted
//! directories may change.
//!
//! Where our sandbox or our errno choice is deliberately different, the
//! difference is listed next to the program's test as a [`Deviation`]
//! (the line wasmtime prints, the line we print, and why); every listed
//! deviation must actually be observed, so the list cannot go stale.
//!
//! clang-19 missing is a failure telling to run `scripts/setup-clang.sh`:
//! these tests never pass silently without having run.

mod common;
use common::{clang, output_with_stdin, TempDir};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const STDIN: &str = "line one\nline two\n";
/// Exit status of a trap (both engines are mapped to the CLI's value).
const TRAP_EXIT: i32 = 134;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wasi")
}

/// FNV-1a, enough to key the compile cache on the sources.
fn fnv(bytes: &[u8], mut h: u64) -> u64 {
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Compiles `tests/wasi/<name>.c` once per source version.
fn compile(name: &str) -> PathBuf {
    compile_with(name, name, &[])
}

/// Compiles `tests/wasi/<src>.c` with extra clang flags into `<out>.wasm`.
fn compile_with(out_name: &str, name: &str, flags: &[&str]) -> PathBuf {
    let dir = src_dir();
    let mut h = fnv(flags.join(" ").as_bytes(), 0xcbf2_9ce4_8422_2325u64);
    for f in [format!("{name}.c"), "common.h".into(), "raw.h".into()] {
        h = fnv(&std::fs::read(dir.join(&f)).unwrap_or_else(|e| panic!("{f}: {e}")), h);
    }
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wasi-c");
    std::fs::create_dir_all(&cache).unwrap();
    let out = cache.join(format!("{out_name}-{h:016x}.wasm"));
    if out.is_file() {
        return out;
    }
    // Unique per process and thread: tests compiling the same program in
    // parallel each write their own file, and the rename is atomic.
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = cache.join(format!("{out_name}-{h:016x}.{}-{seq}.tmp", std::process::id()));
    let status = Command::new(clang())
        .args(["--target=wasm32-wasi", "-O2"])
        .args(flags)
        .arg("-o")
        .arg(&tmp)
        .arg(dir.join(format!("{name}.c")))
        .status()
        .expect("running clang-19");
    assert!(status.success(), "clang-19 failed on {name}.c (is wasi-libc installed? run scripts/setup-clang.sh)");
    std::fs::rename(&tmp, &out).unwrap();
    out
}

/// The argument lists of the program's `// RUN:` lines (one empty list if
/// it has none). Arguments are separated by spaces; `"..."` quotes one.
fn runs(name: &str) -> Vec<Vec<String>> {
    let src = std::fs::read_to_string(src_dir().join(format!("{name}.c"))).unwrap();
    let mut out = Vec::new();
    for line in src.lines() {
        let Some(rest) = line.strip_prefix("// RUN:") else { continue };
        let mut args = Vec::new();
        let mut chars = rest.trim().chars().peekable();
        while let Some(&c) = chars.peek() {
            if c == ' ' {
                chars.next();
            } else if c == '"' {
                chars.next();
                args.push(chars.by_ref().take_while(|&c| c != '"').collect());
            } else {
                let mut a = String::new();
                while let Some(&c) = chars.peek() {
                    if c == ' ' {
                        break;
                    }
                    a.push(c);
                    chars.next();
                }
                args.push(a);
            }
        }
        out.push(args);
    }
    if out.is_empty() {
        out.push(Vec::new());
    }
    out
}

/// The directory tree every program starts from.
fn fixture(tag: &str) -> TempDir {
    let t = TempDir::new(tag);
    let r = &t.0;
    for d in ["sandbox/sub", "ro", "outside"] {
        std::fs::create_dir_all(r.join(d)).unwrap();
    }
    std::fs::write(r.join("sandbox/hello.txt"), "hello\n").unwrap();
    std::fs::write(r.join("sandbox/sub/inner.txt"), "inner\n").unwrap();
    std::os::unix::fs::symlink("../outside", r.join("sandbox/host_link")).unwrap();
    std::fs::write(r.join("ro/data.txt"), "read only\n").unwrap();
    std::fs::write(r.join("outside/secret.txt"), "secret\n").unwrap();
    t
}

/// Path -> what is there, for comparing trees.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            let md = std::fs::symlink_metadata(&p).unwrap();
            if md.file_type().is_symlink() {
                out.insert(rel, format!("-> {}", std::fs::read_link(&p).unwrap().display()));
            } else if md.is_dir() {
                out.insert(rel.clone(), "dir".into());
                walk(base, &p, out);
            } else {
                let data = std::fs::read(&p).unwrap();
                let shown = if data.len() > 200 {
                    format!("{} bytes, fnv {:x}", data.len(), fnv(&data, 0))
                } else {
                    String::from_utf8_lossy(&data).into_owned()
                };
                out.insert(rel, shown);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[derive(Debug)]
struct Outcome {
    stdout: String,
    stderr: String,
    code: i32,
    sandbox: BTreeMap<String, String>,
    ro: BTreeMap<String, String>,
    outside: BTreeMap<String, String>,
}

fn finish(t: &TempDir, stdout: Vec<u8>, stderr: Vec<u8>, code: i32) -> Outcome {
    Outcome {
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        code,
        sandbox: snapshot(&t.0.join("sandbox")),
        ro: snapshot(&t.0.join("ro")),
        outside: snapshot(&t.0.join("outside")),
    }
}

fn run_ours(name: &str, wasm: &Path, args: &[String]) -> Outcome {
    let t = fixture(&format!("{name}-ours"));
    let out = output_with_stdin(
        Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
            .arg("run")
            .arg("--no-cache")
            .arg("--dir")
            .arg(format!("{}::/sandbox", t.0.join("sandbox").display()))
            .arg("--dir-ro")
            .arg(format!("{}::/ro", t.0.join("ro").display()))
            .args(["--env", "FOO=bar", "--env", "EMPTY="])
            .arg(wasm)
            .args(args),
        STDIN,
    );
    let code = out.status.code().unwrap_or_else(|| {
        panic!("faasm-engine killed by a signal: {:?}\nstderr: {}", out.status, String::from_utf8_lossy(&out.stderr))
    });
    finish(&t, out.stdout, out.stderr, code)
}

fn run_wasmtime(name: &str, wasm: &Path, args: &[String]) -> Outcome {
    use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
    use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};
    let t = fixture(&format!("{name}-wasmtime"));
    let engine = wasmtime::Engine::default();
    let module = wasmtime::Module::from_file(&engine, wasm).unwrap();
    let stdout = MemoryOutputPipe::new(64 << 20);
    let stderr = MemoryOutputPipe::new(64 << 20);
    let mut b = WasiCtxBuilder::new();
    let mut argv = vec![wasm.display().to_string()];
    argv.extend(args.iter().cloned());
    b.args(&argv)
        .env("FOO", "bar")
        .env("EMPTY", "")
        .stdin(MemoryInputPipe::new(STDIN))
        .stdout(stdout.clone())
        .stderr(stderr.clone());
    b.preopened_dir(t.0.join("sandbox"), "/sandbox", FsPerms::ReadWrite).unwrap();
    b.preopened_dir(t.0.join("ro"), "/ro", FsPerms::ReadOnly).unwrap();
    let mut store = wasmtime::Store::new(&engine, b.build_p1());
    let mut linker = wasmtime::Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |c| c).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start").unwrap();
    let mut trap = String::new();
    let code = match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => exit.0,
            None => {
                trap = format!("\n[trap] {e:?}");
                TRAP_EXIT
            }
        },
    };
    drop(store);
    let mut err = stderr.contents().to_vec();
    err.extend_from_slice(trap.as_bytes());
    finish(&t, stdout.contents().to_vec(), err, code)
}

/// Lines where our result deliberately differs from wasmtime's: for a line
/// `label: ...` whose label is listed, replacing `wasmtime` by `ours` in
/// wasmtime's line must give our line.
struct Deviation {
    labels: &'static [&'static str],
    wasmtime: &'static str,
    ours: &'static str,
    #[allow(dead_code)]
    why: &'static str,
}

/// A run (named by its arguments) whose whole outcome deliberately
/// differs, mostly because wasmtime traps where WASI defines an errno: our
/// run must exit with `code` and print exactly `stdout`, and wasmtime's
/// outcome must indeed be different.
struct RunDeviation {
    run: String,
    code: i32,
    stdout: String,
    #[allow(dead_code)]
    why: &'static str,
}

fn label(line: &str) -> &str {
    line.split(": ").next().unwrap_or(line)
}

fn differential(name: &str, deviations: &[Deviation], runs_differ: &[RunDeviation]) {
    let wasm = compile(name);
    let mut seen = vec![false; deviations.len()];
    let mut seen_runs = vec![false; runs_differ.len()];
    for args in runs(name) {
        let theirs = run_wasmtime(name, &wasm, &args);
        let ours = run_ours(name, &wasm, &args);
        let ctx = format!(
            "{name} {args:?}\n--- wasmtime (exit {}):\n{}\n--- wasmtime stderr:\n{}\n--- faasm-engine (exit {}):\n{}\n--- faasm-engine stderr:\n{}",
            theirs.code, theirs.stdout, theirs.stderr, ours.code, ours.stdout, ours.stderr
        );
        if let Some(dir) = std::env::var_os("WASI_DIFF_DUMP") {
            // Debugging aid: keep both outputs for diffing by hand.
            let tag = format!("{name}{}", args.iter().map(|a| format!("_{}", a.replace(' ', "-"))).collect::<String>());
            let dir = Path::new(&dir);
            let _ = std::fs::create_dir_all(dir);
            let _ = std::fs::write(
                dir.join(format!("{tag}.wasmtime")),
                format!("{}\nexit {}\n{}", theirs.stdout, theirs.code, theirs.stderr),
            );
            let _ = std::fs::write(dir.join(format!("{tag}.ours")), format!("{}\nexit {}\n", ours.stdout, ours.code));
            continue;
        }
        // Nothing outside the grants changes, whatever the engine.
        let pristine = fixture(&format!("{name}-pristine"));
        assert_eq!(
            ours.outside,
            snapshot(&pristine.0.join("outside")),
            "faasm-engine changed something outside the sandbox\n{ctx}"
        );
        assert_eq!(
            theirs.outside,
            snapshot(&pristine.0.join("outside")),
            "wasmtime changed something outside the sandbox\n{ctx}"
        );
        assert_eq!(ours.ro, snapshot(&pristine.0.join("ro")), "faasm-engine changed the read-only grant\n{ctx}");

        let run = args.join(" ");
        if let Some(i) = runs_differ.iter().position(|t| t.run == run) {
            let want = (runs_differ[i].code, runs_differ[i].stdout.as_str());
            assert_eq!((ours.code, ours.stdout.as_str()), want, "{ctx}");
            assert_ne!((theirs.code, theirs.stdout.as_str()), want, "listed as a deviation but wasmtime agrees\n{ctx}");
            seen_runs[i] = true;
            continue;
        }
        assert_eq!(ours.code, theirs.code, "exit codes differ\n{ctx}");
        let a: Vec<&str> = theirs.stdout.lines().collect();
        let b: Vec<&str> = ours.stdout.lines().collect();
        assert_eq!(a.len(), b.len(), "different number of output lines\n{ctx}");
        for (x, y) in a.iter().zip(&b) {
            if x == y {
                continue;
            }
            let ok = deviations
                .iter()
                .position(|d| d.labels.contains(&label(x)) && label(x) == label(y) && x.replace(d.wasmtime, d.ours) == *y);
            match ok {
                Some(i) => seen[i] = true,
                None => panic!("output differs:\n  wasmtime: {x}\n  ours:     {y}\n{ctx}"),
            }
        }
        assert_eq!(ours.sandbox, theirs.sandbox, "sandbox trees differ\n{ctx}");
        assert_eq!(ours.ro, theirs.ro, "read-only trees differ\n{ctx}");
    }
    if std::env::var_os("WASI_DIFF_DUMP").is_some() {
        panic!("WASI_DIFF_DUMP is set: outputs dumped, nothing compared");
    }
    for (d, s) in deviations.iter().zip(seen) {
        assert!(s, "listed deviation not observed in {name}: {:?} -> {:?}", d.wasmtime, d.ours);
    }
    for (t, s) in runs_differ.iter().zip(seen_runs) {
        assert!(s, "listed run deviation not observed in {name}: run {:?}", t.run);
    }
}

/// wasmtime-wasi turns an argument outside its WASI enum or flag set into
/// a trap; WASI defines EINVAL for it, which is what we return.
fn einval_not_trap(mode: &str) -> RunDeviation {
    RunDeviation {
        run: mode.into(),
        code: 0,
        stdout: format!("{mode}: EINVAL\n"),
        why: "wasmtime traps on an out-of-range enum/flags value; WASI (and this issue) want the errno",
    }
}

#[test]
fn args_env() {
    differential("args_env", &[], &[]);
}

#[test]
fn files() {
    differential("files", &[], &[]);
}

#[test]
fn dirs() {
    differential("dirs", &[], &[]);
}

#[test]
fn readdir() {
    differential("readdir", &[], &[]);
}

#[test]
fn clocks() {
    let why = "wasmtime-wasi 48 does not implement the CPU-time clocks (EBADF); \
               WASI preview1 defines them and we read CLOCK_PROCESS/THREAD_CPUTIME_ID";
    differential(
        "clocks",
        &[
            Deviation {
                labels: &["process", "thread"],
                wasmtime: "gettime EBADF getres EBADF",
                ours: "gettime ok getres ok",
                why,
            },
            Deviation { labels: &["cpu time advances"], wasmtime: "0", ours: "1", why },
        ],
        &[],
    );
}

#[test]
fn random() {
    differential("random", &[], &[]);
}

#[test]
fn stdio() {
    differential("stdio", &[], &[]);
}

#[test]
fn poll() {
    differential("poll", &[], &[]);
}

#[test]
fn exit_code() {
    differential(
        "exit_code",
        &[],
        &[RunDeviation {
            run: "exit 255".into(),
            code: 255,
            stdout: "mode exit\n".into(),
            why: "wasmtime refuses exit codes >= 126 with a trap; a WASI exit code is a u32 \
                  and the process reports its low 8 bits, as a native exit(255) does",
        }],
    );
}

#[test]
fn sandbox() {
    differential(
        "sandbox",
        &[Deviation {
            labels: &[
                "dotdot",
                "dotdot via sub",
                "raw dotdot",
                "raw dotdot alone",
                "raw sub dotdot dotdot",
                "openat sub ../hello.txt",
                "raw absolute",
                "raw absolute root",
                "host symlink",
                "raw host symlink followed",
                "stat through host symlink",
                "opendir host symlink",
                "guest symlink",
                "guest deep symlink",
                "guest symlink via sub",
                "guest symlink chain",
                "mkdir outside",
                "mkdir via symlink",
                "create via symlink",
                "unlink via symlink",
                "rename out",
                "rename in",
                "link in",
                "utimensat via symlink",
            ],
            wasmtime: "EPERM",
            ours: "ENOTCAPABLE",
            why: "both refuse every escape; we answer WASI's ENOTCAPABLE, the errno wasi-libc itself \
                  gives for a path outside every preopen, so an escape looks the same wherever it is \
                  caught; EPERM stays the answer for changes under a read-only grant (as wasmtime)",
        }],
        &[],
    );
}

#[test]
fn efault() {
    // wasmtime-wasi traps on every out-of-bounds guest pointer (wiggle's
    // GuestError); WASI and this issue want EFAULT, with nothing changed.
    let modes: Vec<String> = runs("efault").into_iter().filter_map(|a| a.into_iter().next()).collect();
    assert!(modes.len() >= 20);
    let expect: Vec<RunDeviation> = modes
        .iter()
        .map(|m| RunDeviation {
            run: m.clone(),
            code: 0,
            stdout: format!("{m}: EFAULT\nlnk absent: ENOENT\nout.txt size: 0\nhello.txt unread: 6\n"),
            why: "EFAULT instead of wasmtime's trap",
        })
        .collect();
    differential("efault", &[], &expect);
}

#[test]
fn errno() {
    let mut runs: Vec<RunDeviation> = [
        "clock_time_get_bad_id",
        "clock_res_get_bad_id",
        "seek_bad_whence",
        "advise_bad_advice",
        "path_open_bad_oflags",
        "path_open_bad_fdflags",
        "set_flags_bad_flags",
        "set_times_bad_flags",
    ]
    .into_iter()
    .map(einval_not_trap)
    .collect();
    runs.push(RunDeviation {
        run: "poll_bad_clock".into(),
        code: 0,
        stdout: "events 1 error EINVAL\npoll_bad_clock: ok\n".into(),
        why: "an unusable subscription yields an event carrying its error, as the WASI \
              contract says, instead of failing the whole call (wasmtime)",
    });
    differential(
        "errno",
        &[Deviation {
            labels: &["readdir_not_a_dir"],
            wasmtime: "EBADF",
            ours: "ENOTDIR",
            why: "POSIX's errno for listing a non-directory (fdopendir)",
        }],
        &runs,
    );
}

// ---- the command line itself ------------------------------------------------

/// Runs `faasm-engine run <args>` in `cwd` with empty stdin.
fn cli(cwd: &Path, args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
        .current_dir(cwd)
        .arg("run")
        .arg("--no-cache")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("starting faasm-engine")
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn cli_trap_prints_message_and_named_backtrace() {
    let wasm = compile("cli_trap");
    let t = TempDir::new("cli-trap");
    let o = cli(&t.0, &[wasm.as_os_str(), os("unreachable")]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(TRAP_EXIT), "{err}");
    assert_eq!(text(&o.stdout), "before unreachable\n");
    assert!(err.contains("wasm trap: unreachable"), "{err}");
    // With the function's name from the name section. (The callers should
    // follow; the engine currently loses them for shallow traps, reported.)
    assert!(err.contains("wasm backtrace:") && err.contains("!innermost_function"), "{err}");
    let o = cli(&t.0, &[wasm.as_os_str(), os("oob")]);
    assert_eq!(o.status.code(), Some(TRAP_EXIT));
    assert!(text(&o.stderr).contains("wasm trap: out of bounds memory access"), "{}", text(&o.stderr));
}

#[test]
fn cli_unbounded_recursion_is_the_engines_stack_trap() {
    // The guest thread's native stack is far larger than the engine's wasm
    // stack limit, so the engine's check fires first: a clean trap, not a
    // crash of the process on the guard page.
    let wasm = compile("cli_trap");
    let t = TempDir::new("cli-stack");
    let o = cli(&t.0, &[wasm.as_os_str(), os("recursion")]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(TRAP_EXIT), "killed by a signal? {:?}\n{err}", o.status);
    assert!(err.contains("wasm trap: call stack exhausted"), "{err}");
    assert!(err.contains("recurse_forever"), "{err}");
    assert!(err.contains("more frames of the same function"), "{err}");
    assert!(err.lines().count() < 40, "the backtrace is collapsed: {err}");
}

#[test]
fn cli_invoke_calls_an_export_with_typed_arguments() {
    let wasm = compile_with("cli_add", "cli_add", &["-nostdlib", "-Wl,--no-entry"]);
    let t = TempDir::new("cli-invoke");
    let run = |args: &[&str]| {
        let mut a: Vec<&std::ffi::OsStr> = vec![os("--invoke"), os(args[0]), wasm.as_os_str()];
        a.extend(args[1..].iter().map(|s| os(s)));
        cli(&t.0, &a)
    };
    let o = run(&["add", "40", "2"]);
    assert_eq!((o.status.code(), text(&o.stdout)), (Some(0), "42\n".into()), "{}", text(&o.stderr));
    let o = run(&["add", "-5", "2"]);
    assert_eq!(text(&o.stdout), "-3\n");
    let o = run(&["mul64", "4294967296", "3"]);
    assert_eq!(text(&o.stdout), "12884901888\n");
    let o = run(&["scale", "2.5", "4"]);
    assert_eq!(text(&o.stdout), "10\n");
    // Wrong arity, bad number, unknown export: errors, exit 1.
    for bad in [&["add", "1"][..], &["add", "x", "1"], &["nope"]] {
        let o = run(bad);
        assert_eq!(o.status.code(), Some(1), "{bad:?}: {}", text(&o.stderr));
        assert!(text(&o.stderr).starts_with("Error: "), "{}", text(&o.stderr));
    }
    // No _start and no --invoke.
    let o = cli(&t.0, &[wasm.as_os_str()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("_start"), "{}", text(&o.stderr));
}

#[test]
fn cli_link_errors_name_the_import_and_both_types() {
    let t = TempDir::new("cli-link");
    let wasm = compile_with("cli_bad_import_type", "cli_bad_import", &["-nostdlib", "-Wl,--no-entry", "-Wl,--allow-undefined"]);
    let o = cli(&t.0, &[os("--invoke"), os("go"), wasm.as_os_str()]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("wasi_snapshot_preview1.fd_write"), "{err}");
    assert!(err.contains("[i32 i32 i32 i32] -> [i32]") && err.contains("[i32] -> [i64]"), "expected and found types: {err}");
    let wasm = compile_with(
        "cli_bad_import_missing",
        "cli_bad_import",
        &["-DMISSING", "-nostdlib", "-Wl,--no-entry", "-Wl,--allow-undefined"],
    );
    let o = cli(&t.0, &[os("--invoke"), os("go"), wasm.as_os_str()]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("env.no_such_function"), "{err}");
}

#[test]
fn cli_bad_input_is_a_clear_error() {
    let t = TempDir::new("cli-bad");
    let o = cli(&t.0, &[os("missing.wasm")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("cannot read missing.wasm"), "{}", text(&o.stderr));
    std::fs::write(t.0.join("garbage.wasm"), b"this is not wasm").unwrap();
    let o = cli(&t.0, &[os("garbage.wasm")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("cannot compile garbage.wasm"), "{}", text(&o.stderr));
    let o = cli(&t.0, &[os("--dir"), os("/nonexistent/dir"), os("garbage.wasm")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("/nonexistent/dir"), "{}", text(&o.stderr));
}

#[test]
fn cli_without_dir_grants_the_current_directory_read_only() {
    let wasm = compile("cli_cwd");
    let t = TempDir::new("cli-cwd");
    let inner = t.0.join("work");
    std::fs::create_dir(&inner).unwrap();
    std::fs::write(inner.join("input.txt"), "from cwd\n").unwrap();
    std::fs::write(t.0.join("input.txt"), "parent\n").unwrap();
    let o = cli(&inner, &[wasm.as_os_str()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        "read input.txt: \"from cwd|\"\n\
         read ./input.txt: \"from cwd|\"\n\
         create out.txt: EPERM\n\
         open input.txt for writing: EPERM\n\
         mkdir: EPERM\n\
         parent: ENOTCAPABLE\n"
    );
    assert!(!inner.join("out.txt").exists() && !inner.join("newdir").exists());
}

#[test]
fn cli_compile_writes_an_artifact_that_run_maps() {
    let wasm = compile("args_env");
    let t = TempDir::new("cli-compile");
    let art = t.0.join("prog.fobj");
    let o = Command::new(env!("CARGO_BIN_EXE_faasm-engine")).arg("compile").arg(&wasm).arg("-o").arg(&art).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = cli(&t.0, &[art.as_os_str(), os("x"), os("--env"), os("FOO=1")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("argv[1]: [x]") && out.contains("argv[2]: [--env]"),
        "arguments after MODULE belong to the guest: {out}"
    );
    // A damaged artifact is refused with a clear error, not run.
    let mut bytes = std::fs::read(&art).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 0xff;
    std::fs::write(&art, &bytes).unwrap();
    let o = cli(&t.0, &[art.as_os_str()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("cannot load artifact"), "{}", text(&o.stderr));
}

#[test]
fn misc() {
    differential("misc", &[], &[]);
}
