//! Dynamic linking end to end, without CPython: a C main module
//! (`tests/dynlink/main.c`) dlopen()s C side modules built with clang-19
//! (`-fPIC -shared`, dylink.0) from a read-only grant, through the
//! `faasm-engine` binary, and prints what it sees. The output is compared
//! line by line: data and functions of the main module used from a side
//! module, function-pointer identity across modules, data relocations and
//! a function-pointer table, constructors, static state, refcounted
//! handles, `needed` libraries, and each failure's dlerror() text.

mod common;
use common::{clang, TempDir};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dynlink").join(name)
}

fn cc(args: &[&str], inputs: &[PathBuf], out: &Path) {
    let status = Command::new(clang())
        .args(["--target=wasm32-wasi", "-O2"])
        .args(args)
        .args(inputs)
        .arg("-o")
        .arg(out)
        .status()
        .expect("running clang-19");
    assert!(status.success(), "clang-19 failed building {}", out.display());
}

/// The flags of a main module that side modules can link against.
const MAIN: &[&str] = &[
    "-nostartfiles",
    "-Wl,--export-all",
    "-Wl,--export=__stack_pointer",
    "-Wl,--export-table",
    "-Wl,--growable-table",
    "-Wl,--whole-archive",
    "-lc",
    "-Wl,--no-whole-archive",
];

/// The flags of a side module (wasm clang hides symbols by default).
const SIDE: &[&str] = &[
    "-fPIC",
    "-fvisibility=default",
    "-shared",
    "-nostdlib",
    "-Wl,--no-entry",
    "-Wl,--experimental-pic",
    "-Wl,--unresolved-symbols=import-dynamic",
    "-Wl,-Bsymbolic",
];

/// Builds the main module into `dir/main.wasm` and the libraries into `dir/lib/`.
fn build(dir: &Path) -> PathBuf {
    let lib = dir.join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    let main = dir.join("main.wasm");
    cc(&[&["-I", src("").to_str().unwrap()], MAIN].concat(), &[src("crt1.c"), src("main.c")], &main);
    for name in ["side", "undef", "badsig"] {
        cc(SIDE, &[src(&format!("{name}.c"))], &lib.join(format!("lib{name}.so")));
    }
    // libuser.so names libside.so in its `needed` list.
    cc(SIDE, &[src("user.c"), lib.join("libside.so")], &lib.join("libuser.so"));
    cc(&["-nostdlib", "-Wl,--no-entry", "-Wl,--export-all"], &[src("plain.c")], &lib.join("plain.wasm"));
    std::fs::write(lib.join("notwasm.so"), "this is not wasm\n").unwrap();
    let side = std::fs::read(lib.join("libside.so")).unwrap();
    std::fs::write(lib.join("truncated.so"), &side[..side.len() * 2 / 3]).unwrap();
    main
}

fn run(dir: &Path, main: &Path, cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
        .arg("run")
        .arg("--cache-dir")
        .arg(cache)
        .arg("--dir-ro")
        .arg(format!("{}::/lib", dir.join("lib").display()))
        .arg(main)
        .stdin(Stdio::null())
        .output()
        .expect("starting faasm-engine")
}

const EXPECTED: &[&str] = &[
    "dlerror after success: NULL",
    "side_twice(21) = 42",
    "function pointer identity: same",
    "dlsym and the library agree: same",
    "callback: side_apply(main_add, 2, 3) = 5",
    "side_call_main(4, 5) = 90",
    "main_counter after bump = 105",
    "side_value = 42, same address: yes",
    "side_value through the library = 43",
    "constructor ran: 7",
    "static state: 1 2",
    "table[0] inc(10) = 11",
    "table[1] neg(10) = -10",
    "table[2] twice(10) = 20",
    "second dlopen: same handle",
    "dlclose: 0 0",
    "dlsym after the last dlclose: NULL (invalid handle 0x2)",
    "reopened: yes, state kept: 3",
    "needed library: user_call(5) = 11, side_value seen = 43",
    "RTLD_DEFAULT finds side_twice: yes",
    "main handle finds main_add: yes",
    "missing symbol: NULL: /lib/libside.so: undefined symbol: nope",
    "missing file: NULL: /lib/missing.so: cannot open shared object file: No such file or directory",
    "outside the sandbox: NULL: /etc/passwd: cannot open shared object file: outside the directories granted to the guest",
    "not wasm: NULL: /lib/notwasm.so: not a WebAssembly file",
    "no dylink.0: NULL: /lib/plain.wasm: not a WebAssembly side module (it has no dylink.0 section first)",
];

#[test]
fn c_side_modules_link_and_fail_cleanly() {
    let tmp = TempDir::new("dynlink");
    let main = build(&tmp.0);
    let cache = tmp.0.join("cache");
    let out = run(&tmp.0, &main, &cache);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status);
    let lines: Vec<&str> = stdout.lines().collect();
    for (i, want) in EXPECTED.iter().enumerate() {
        assert_eq!(lines.get(i).copied(), Some(*want), "line {i}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    }
    let rest = &lines[EXPECTED.len()..];
    let find = |prefix: &str| -> &str {
        rest.iter().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no line {prefix:?} in\n{stdout}"))
    };
    // The compiler's wording after the file name is the engine's; the
    // loader's part is fixed.
    let truncated = find("truncated: NULL: /lib/truncated.so: ");
    assert!(truncated.contains("cannot compile") || truncated.contains("malformed"), "{truncated}");
    assert_eq!(find("unresolved symbol: "), "unresolved symbol: NULL: /lib/libundef.so: undefined symbol: no_such_function");
    assert_eq!(
        find("signature mismatch: "),
        "signature mismatch: NULL: /lib/libbadsig.so: symbol main_add has type func [i32] -> [i32] here \
         but func [i32 i32] -> [i32] where it is defined (the main module)"
    );
    assert_eq!(lines.last().copied(), Some("still running: 100"), "{stdout}");
}

/// Side modules go through the compiled-code cache: a second process
/// start maps them instead of compiling (no new entry, entries unchanged).
#[test]
fn side_modules_are_cached() {
    let tmp = TempDir::new("dynlink-cache");
    let main = build(&tmp.0);
    let cache = tmp.0.join("cache");
    let entries = || -> Vec<(PathBuf, std::time::SystemTime)> {
        let mut v: Vec<_> = std::fs::read_dir(&cache)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "fobj"))
            .map(|p| {
                let t = std::fs::metadata(&p).unwrap().modified().unwrap();
                (p, t)
            })
            .collect();
        v.sort();
        v
    };
    assert!(run(&tmp.0, &main, &cache).status.success());
    let first = entries();
    // main.wasm, libside.so, libuser.so, and libundef.so and libbadsig.so,
    // which compile before their imports fail to resolve (the files that
    // are not side modules, or are truncated, are never stored).
    assert_eq!(first.len(), 5, "{first:?}");
    assert!(run(&tmp.0, &main, &cache).status.success());
    assert_eq!(entries(), first, "the second run compiled again");
}
