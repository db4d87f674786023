//! python3.wasm (CPython 3.12 for WASI) end to end through the
//! `faasm-engine` binary, the way a user runs it.
//!
//! The workload is fetched by `scripts/fetch-python.sh` into
//! `workload/python3.wasm` (git-ignored); without it these tests fail and
//! say so, they never pass without having run.

mod common;
use common::{output_with_stdin, TempDir};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn python() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("workload/python3.wasm");
    if !p.is_file() {
        panic!("{} is missing: run scripts/fetch-python.sh to fetch python3.wasm", p.display());
    }
    p
}

/// The compiled-code cache the tests share (under the target directory, so
/// a test run never touches the user's own cache).
fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-objcache")
}

/// Compiles python3.wasm into the cache once, before the first test runs
/// it, so that parallel tests do not all compile it at the same time.
fn warm_cache() {
    static WARM: std::sync::Once = std::sync::Once::new();
    WARM.call_once(|| {
        let o = Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
            .arg("run")
            .arg("--cache-dir")
            .arg(cache_dir())
            .arg(python())
            .args(["-c", "pass"])
            .stdin(Stdio::null())
            .output()
            .expect("starting faasm-engine");
        assert_eq!(o.status.code(), Some(0), "warming the cache: {}", describe(&o));
    });
}

/// Runs `faasm-engine run <flags> python3.wasm <args>` in `cwd`.
fn run(cwd: &Path, flags: &[&str], args: &[&str], stdin: &str) -> Output {
    warm_cache();
    output_with_stdin(
        Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
            .current_dir(cwd)
            .arg("run")
            .arg("--cache-dir")
            .arg(cache_dir())
            .args(flags)
            .arg(python())
            .args(args),
        stdin,
    )
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn describe(o: &Output) -> String {
    format!("exit {:?}\n--- stdout:\n{}\n--- stderr:\n{}", o.status.code(), text(&o.stdout), text(&o.stderr))
}

/// Asserts a clean exit and returns stdout.
fn ok(o: Output) -> String {
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    text(&o.stdout)
}

#[test]
fn hello_script_from_the_current_directory() {
    // As typed by a user: no --dir, the current directory is granted
    // read-only as `.`.
    let t = TempDir::new("hello");
    std::fs::write(t.0.join("hello.py"), "print('hello from python', 6 * 7)\n").unwrap();
    let out = ok(run(&t.0, &[], &["hello.py"], ""));
    assert_eq!(out, "hello from python 42\n");
}

#[test]
fn dash_c_and_argv() {
    let t = TempDir::new("dashc");
    let out = ok(run(&t.0, &[], &["-c", "import sys; print(sys.argv[1:], sys.version_info[:2])", "a", "b c"], ""));
    assert_eq!(out, "['a', 'b c'] (3, 12)\n");
}

#[test]
fn stdin_is_read_to_the_end() {
    let t = TempDir::new("stdin");
    let out =
        ok(run(&t.0, &[], &["-c", "import sys; d = sys.stdin.read(); print(len(d), d.upper().split())"], "one two\nthree\n"));
    assert_eq!(out, "14 ['ONE', 'TWO', 'THREE']\n");
    // A program read from stdin.
    let out = ok(run(&t.0, &[], &["-"], "x = 20\nprint(x + 1)\n"));
    assert_eq!(out, "21\n");
}

#[test]
fn environment_variables() {
    let t = TempDir::new("env");
    let out = ok(run(
        &t.0,
        &["--env", "GREETING=hi there", "--env", "EMPTY="],
        &["-c", "import os; print(os.environ['GREETING'], repr(os.environ['EMPTY']), os.environ.get('PATH'))"],
        "",
    ));
    assert_eq!(out, "hi there '' None\n");
}

#[test]
fn files_in_a_granted_directory() {
    let t = TempDir::new("files");
    let data = t.0.join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("input.txt"), "from the host\n").unwrap();
    let script = r#"
import os
os.chdir('/data')
with open('a.txt', 'w') as f:
    f.write('first\n')
os.mkdir('sub')
with open('sub/b.bin', 'wb') as f:
    f.write(bytes(range(256)) * 100)
print(sorted(os.listdir('.')))
os.rename('a.txt', 'renamed.txt')
print(sorted(os.listdir('.')))
print(open('renamed.txt').read().strip(), open('input.txt').read().strip())
print(os.path.getsize('sub/b.bin'), open('sub/b.bin', 'rb').read()[255:258])
with open('renamed.txt', 'a') as f:
    f.write('second\n')
print(open('renamed.txt').read().split())
os.remove('sub/b.bin'); os.rmdir('sub')
print(sorted(os.walk('.'))[0][1:])
"#;
    let out = ok(run(&t.0, &["--dir", &format!("{}::/data", data.display())], &["-c", script], ""));
    assert_eq!(
        out,
        "['a.txt', 'input.txt', 'sub']\n\
         ['input.txt', 'renamed.txt', 'sub']\n\
         first from the host\n\
         25600 b'\\xff\\x00\\x01'\n\
         ['first', 'second']\n\
         ([], ['input.txt', 'renamed.txt'])\n"
    );
    // The host sees what the guest did.
    assert_eq!(std::fs::read_to_string(data.join("renamed.txt")).unwrap(), "first\nsecond\n");
    assert!(!data.join("a.txt").exists() && !data.join("sub").exists());
}

#[test]
fn an_uncaught_exception_prints_the_traceback_and_exits_1() {
    let t = TempDir::new("exc");
    std::fs::write(t.0.join("boom.py"), "def f():\n    raise ValueError('boom here')\nf()\n").unwrap();
    let o = run(&t.0, &[], &["boom.py"], "");
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let err = text(&o.stderr);
    assert!(err.contains("Traceback (most recent call last):"), "{err}");
    assert!(err.contains("line 2, in f"), "{err}");
    assert!(err.contains("ValueError: boom here"), "{err}");
}

#[test]
fn sys_exit_code_reaches_the_process() {
    let t = TempDir::new("exit");
    let o = run(&t.0, &[], &["-c", "import sys; print('bye'); sys.exit(3)"], "");
    assert_eq!(o.status.code(), Some(3), "{}", describe(&o));
    assert_eq!(text(&o.stdout), "bye\n");
}

#[test]
fn standard_library_modules_work() {
    let t = TempDir::new("stdlib");
    let script = r#"
import json, re, decimal, sqlite3, zlib, hashlib, datetime
print(json.dumps({'b': [1, 2.5, None], 'a': 'x'}, sort_keys=True), json.loads('[1, {"k": true}]'))
print(re.findall(r'(\w+)@(\w+)\.com', 'ann@foo.com, bob@bar.com'), re.sub(r'\d+', '#', 'a1b22c333'))
decimal.getcontext().prec = 30
print(decimal.Decimal(1) / decimal.Decimal(7), decimal.Decimal('0.1') + decimal.Decimal('0.2'))
db = sqlite3.connect(':memory:')
db.execute('create table t (k text primary key, v integer)')
db.executemany('insert into t values (?, ?)', [('a', 1), ('b', 2), ('c', 3)])
print(db.execute('select count(*), sum(v), group_concat(k) from t where v > 1').fetchone(), sqlite3.sqlite_version_info >= (3, 0))
data = b'hello zlib ' * 1000
packed = zlib.compress(data, 9)
print(len(packed) < 200, zlib.decompress(packed) == data, zlib.crc32(b'abc'))
print(hashlib.sha256(b'abc').hexdigest()[:16], hashlib.md5(b'').hexdigest()[:8], hashlib.sha1(b'x').hexdigest()[:8])
d = datetime.datetime(2024, 2, 28, 23, 30) + datetime.timedelta(hours=1)
print(d.isoformat(), d.strftime('%A %j'), datetime.date(2024, 3, 1) - datetime.date(2023, 3, 1))
print(datetime.datetime.now().year >= 2024)
"#;
    let out = ok(run(&t.0, &[], &["-c", script], ""));
    assert_eq!(
        out,
        "{\"a\": \"x\", \"b\": [1, 2.5, null]} [1, {'k': True}]\n\
         [('ann', 'foo'), ('bob', 'bar')] a#b#c#\n\
         0.142857142857142857142857142857 0.3\n\
         (2, 5, 'b,c') True\n\
         True True 891568578\n\
         ba7816bf8f01cfea d41d8cd9 11f6ad8e\n\
         2024-02-29T00:30:00 Thursday 060 366 days, 0:00:00\n\
         True\n"
    );
}

#[test]
fn unbounded_recursion_is_a_recursion_error_not_a_crash() {
    let t = TempDir::new("recursion");
    let script = r#"
import sys
def f(n):
    return f(n + 1) + 1
try:
    f(0)
except RecursionError as e:
    print('RecursionError:', e)
# Deep but bounded recursion still works after that.
sys.setrecursionlimit(5000)
def depth(n):
    return 0 if n == 0 else 1 + depth(n - 1)
print(depth(4000))
# Recursion inside C code (repr, json, pickle of a deeply nested list).
import json, pickle
l = []
for i in range(200000):
    l = [l]
for name, f in [('repr', repr), ('json', json.dumps), ('pickle', pickle.dumps)]:
    try:
        f(l)
    except RecursionError:
        print(name, 'RecursionError')
"#;
    let out = ok(run(&t.0, &[], &["-c", script], ""));
    assert_eq!(
        out,
        "RecursionError: maximum recursion depth exceeded\n4000\n\
         repr RecursionError\njson RecursionError\npickle RecursionError\n"
    );
}

#[test]
fn files_outside_the_grant_cannot_be_opened() {
    let t = TempDir::new("outside");
    let inner = t.0.join("inner");
    std::fs::create_dir(&inner).unwrap();
    std::fs::write(t.0.join("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink("../secret.txt", inner.join("link")).unwrap();
    std::fs::write(inner.join("ok.txt"), "fine").unwrap();
    let script = r#"
import os
for p in ['/data/../secret.txt', '/data/link', '/etc/passwd', '../secret.txt', '/secret.txt']:
    try:
        print(p, 'OPENED', open(p).read())
    except OSError as e:
        print(p, type(e).__name__, os.strerror(e.errno))
print(open('/data/ok.txt').read())
try:
    open('/data/new.txt', 'w')
except OSError as e:
    print('write', type(e).__name__, os.strerror(e.errno))
"#;
    let o = run(&t.0, &["--dir-ro", &format!("{}::/data", inner.display())], &["-c", script], "");
    let out = ok(o);
    assert!(!out.contains("OPENED"), "{out}");
    assert_eq!(
        out,
        // The host refuses escapes with ENOTCAPABLE (CPython: PermissionError);
        // paths under no grant at all are not found by wasi-libc.
        "/data/../secret.txt PermissionError Capabilities insufficient\n\
         /data/link PermissionError Capabilities insufficient\n\
         /etc/passwd FileNotFoundError No such file or directory\n\
         ../secret.txt FileNotFoundError No such file or directory\n\
         /secret.txt FileNotFoundError No such file or directory\n\
         fine\n\
         write PermissionError Operation not permitted\n"
    );
    assert!(!inner.join("new.txt").exists());
}

#[test]
fn warm_starts_find_the_module_through_the_index() {
    // python3.wasm was fetched long ago (its change time is settled), so the
    // first run records its identity and the next one finds the compiled
    // module without reading the 26 MB file.
    warm_cache();
    let index_files = || {
        std::fs::read_dir(cache_dir())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".widx"))
            .count()
    };
    let ctime = std::os::unix::fs::MetadataExt::ctime(&std::fs::metadata(python()).unwrap());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let settled = now - ctime > 10;
    let dir = TempDir::new("index");
    assert_eq!(ok(run(&dir.0, &[], &["-c", "print(6 * 7)"], "")), "42\n");
    if settled {
        assert_eq!(index_files(), 1, "one index entry for python3.wasm");
    }
    assert_eq!(ok(run(&dir.0, &[], &["-c", "print(6 * 7)"], "")), "42\n");
}
