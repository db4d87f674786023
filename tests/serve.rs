//! `faasm-engine serve` end to end: a modules.toml of small C CGI programs
//! (compiled with clang-19 like tests/wasi.rs), a python3.wasm route and
//! Faasm function routes on our CPython build, served on a free port, requested over plain TCP. Every failure class
//! has its status and a short body, and the server keeps serving after
//! each; SIGTERM stops it cleanly.
//!
//! Outcomes are asserted, never durations: the 503 case holds a route busy
//! by not finishing a request body, and retries until the limit shows.

#[allow(dead_code)] // not every helper is used here
mod common;
use common::TempDir;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn clang() -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("clang-19"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("clang-19 is not installed: run scripts/setup-clang.sh"))
}

/// Compiles `tests/serve/<name>.c` into `dir`.
fn compile(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(format!("{name}.wasm"));
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/serve/{name}.c"));
    let status =
        Command::new(clang()).args(["--target=wasm32-wasi", "-O2", "-o"]).arg(&out).arg(&src).status().expect("running clang-19");
    assert!(status.success(), "clang-19 failed on {name}.c (run scripts/setup-clang.sh)");
    out
}

fn python() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("workload/python3.wasm");
    assert!(p.is_file(), "{} is missing: run scripts/fetch-python.sh", p.display());
    p
}

/// Shared with tests/python.rs, so python3.wasm is compiled once.
fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-objcache")
}

struct Server {
    child: Child,
    addr: SocketAddr,
    stderr: std::thread::JoinHandle<String>,
}

/// Starts `faasm-engine serve` on a free port and waits for its Ready line.
fn start(config: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
        .arg("serve")
        .arg("-c")
        .arg(config)
        .args(["--listen", "127.0.0.1:0", "--cache-dir"])
        .arg(cache_dir())
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting faasm-engine serve");
    let mut err = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let Some(addr) = line.trim().strip_prefix("Ready: serving on http://") else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("no Ready line: {line:?}; stderr:\n{}", stderr.join().unwrap());
    };
    let addr = addr.parse().unwrap_or_else(|e| panic!("{addr:?}: {e}"));
    Server { child, addr, stderr }
}

impl Server {
    /// Stops with SIGTERM; returns the exit status and stderr.
    fn stop(mut self) -> (Option<i32>, String) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > Duration::from_secs(120) {
                let _ = self.child.kill();
                panic!("the server did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        (status.code(), self.stderr.join().unwrap())
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn parse_reply(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no header end in {text:?}"));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{status_line:?}"));
    let headers = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    Reply { status, headers, body: body.to_owned() }
}

fn request(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req =
        format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    parse_reply(&raw)
}

fn get(addr: SocketAddr, target: &str) -> Reply {
    request(addr, "GET", target, &[], "")
}

#[test]
fn cgi_routes_and_every_failure_class() {
    let d = TempDir::new("serve");
    for name in ["cgi_echo", "cgi_trap", "cgi_spin", "cgi_sleep", "cgi_bad", "cgi_wait"] {
        compile(&d.0, name);
    }
    std::fs::write(d.0.join("env.txt"), "# comment\nFROM_FILE = \"file value\"\nGREETING=overridden\n").unwrap();
    let config = d.0.join("modules.toml");
    std::fs::write(
        &config,
        r#"
[[module]]
route = "/echo/..."
module = "cgi_echo.wasm"

[[module]]
route = "/args"
module = "file://cgi_echo.wasm"
argv = "echo.wasm --script ${SCRIPT_NAME} ${ARGS}"

[[module]]
route = "/trap"
module = "cgi_trap.wasm"

[[module]]
route = "/spin"
module = "cgi_spin.wasm"
timeout = 1

[[module]]
route = "/sleep"
module = "cgi_sleep.wasm"
timeout = 0.5

[[module]]
route = "/bad"
module = "cgi_bad.wasm"

[[module]]
route = "/one"
module = "cgi_wait.wasm"
http_max_concurrency = 1
allowed_hosts = ["https://example.com"]
"#,
    )
    .unwrap();
    let env_file = d.0.join("env.txt");
    let server = start(&config, &["--env", "GREETING=hello", "--env-file", env_file.to_str().unwrap()]);
    let addr = server.addr;

    let r = request(addr, "POST", "/echo/a%20b/c?x=1&y=2", &[("X-Test", "yes")], "the body");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.header("x-echo"), Some("yes"));
    for want in [
        "argv[0]=/echo/a%20b/c\n",
        "argv[1]=x=1\n",
        "argv[2]=y=2\n",
        "REQUEST_METHOD=POST\n",
        "PATH_INFO=/a b/c\n",
        "QUERY_STRING=x=1&y=2\n",
        "X_MATCHED_ROUTE=/echo/...\n",
        "SCRIPT_NAME=/echo\n",
        "SERVER_NAME=127.0.0.1\n",
        &format!("SERVER_PORT={}\n", addr.port()),
        "SERVER_PROTOCOL=HTTP/1.1\n",
        "HTTP_X_TEST=yes\n",
        "CONTENT_LENGTH=8\n",
        "GREETING=hello\n",
        "FROM_FILE=file value\n",
        "body=the body\n",
    ] {
        assert!(r.body.contains(want), "missing {want:?} in:\n{}", r.body);
    }
    let r = get(addr, "/echo");
    assert!(r.body.contains("PATH_INFO=\n"), "{}", r.body);

    let r = get(addr, "/args?p=q&r=s");
    assert_eq!(r.status, 200);
    assert!(
        r.body.starts_with("argv[0]=echo.wasm\nargv[1]=--script\nargv[2]=/args\nargv[3]=p=q\nargv[4]=r=s\nREQUEST"),
        "{}",
        r.body
    );

    let r = get(addr, "/echo/x?redirect");
    assert_eq!((r.status, r.header("location")), (302, Some("/elsewhere")));
    let r = get(addr, "/echo/x?status");
    assert_eq!((r.status, r.body.as_str()), (418, "teapot\n"));
    let r = get(addr, "/echo/x?exit");
    assert_eq!(r.status, 500);
    assert!(r.body.contains("exited with status 3"), "{}", r.body);

    let r = get(addr, "/trap");
    assert_eq!(r.status, 500);
    assert!(r.body.contains("trapped"), "{}", r.body);
    let r = get(addr, "/spin");
    assert_eq!(r.status, 504);
    assert!(r.body.contains("timeout of 1 s"), "{}", r.body);
    // Blocked in a WASI sleep: the engine's deadline wakes it.
    let r = get(addr, "/sleep");
    assert_eq!(r.status, 504, "{}", r.body);
    assert!(r.body.contains("timeout of 0.5 s"), "{}", r.body);
    let r = get(addr, "/bad");
    assert_eq!(r.status, 502);
    assert!(r.body.contains("malformed"), "{}", r.body);
    let r = get(addr, "/nowhere");
    assert_eq!(r.status, 404);
    assert!(r.body.contains("/nowhere"), "{}", r.body);

    // Hold /one busy: headers sent, body unfinished.
    let mut busy = TcpStream::connect(addr).unwrap();
    busy.write_all(
        format!("POST /one HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 10\r\n\r\n12345").as_bytes(),
    )
    .unwrap();
    let start = Instant::now();
    let limited = loop {
        let r = get(addr, "/one");
        if r.status == 503 {
            break r;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "never saw 503 while /one was busy (last {})", r.status);
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(limited.body.contains("/one"), "{}", limited.body);
    busy.write_all(b"67890").unwrap();
    let mut raw = Vec::new();
    busy.read_to_end(&mut raw).unwrap();
    let r = parse_reply(&raw);
    assert_eq!((r.status, r.body.as_str()), (200, "read 10 bytes\n"));

    // Still serving after every failure.
    assert_eq!(get(addr, "/echo/again").status, 200);

    let (code, stderr) = server.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("[/echo/...] echo: handling /a b/c"), "the guest's stderr is logged:\n{stderr}");
    assert!(stderr.contains("allowed_hosts"), "{stderr}");
}

#[test]
fn python_route_with_a_volume() {
    let d = TempDir::new("serve-py");
    let config = d.0.join("modules.toml");
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/serve/app");
    std::fs::write(
        &config,
        format!(
            "[[module]]\nroute = \"/py/...\"\nmodule = {:?}\nargv = \"python3.wasm /app/hello.py\"\nvolumes = {{ \"/app\" = {:?} }}\nmax_memory = 256\ntimeout = 120\n",
            python().display().to_string(),
            app.display().to_string()
        ),
    )
    .unwrap();
    let server = start(&config, &[]);
    let r = request(server.addr, "POST", "/py/there", &[], "a body");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, "Hello from Python at /there with a body\n");
    let (code, stderr) = server.stop();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_bad_modules_toml_fails_at_start_with_file_and_line() {
    let d = TempDir::new("serve-bad");
    let config = d.0.join("modules.toml");
    std::fs::write(&config, "[[module]]\nroute = \"/a\"\nmodule = \"missing.wasm\"\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
        .arg("serve")
        .arg("-c")
        .arg(&config)
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("{}:3: module", config.display())) && err.contains("does not exist"), "{err}");
    assert!(String::from_utf8_lossy(&o.stdout).is_empty(), "no Ready line");
}

/// Our CPython build with pyfaasm (tests/faasm_invoke.rs builds it the same way).
fn cpython_build() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let d = root.join("workload/cpython");
    assert!(d.join("python.wasm").is_file(), "{} is missing: run scripts/build-python.sh", d.display());
    let o = Command::new("bash").arg(root.join("scripts/build-pyfaasm.sh")).output().unwrap();
    assert!(o.status.success(), "build-pyfaasm.sh failed:\n{}", String::from_utf8_lossy(&o.stderr));
    d
}

#[test]
fn function_routes_serve_faasm_python_functions_from_a_snapshot() {
    let python = cpython_build();
    let d = TempDir::new("serve-fn");
    let config = d.0.join("modules.toml");
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/serve/func/app.py");
    let app = app.display().to_string();
    std::fs::write(
        &config,
        format!(
            "[[module]]\nroute = \"/fn\"\nfunction = {app:?}\ntimeout = 3\nmax_memory = 512\n\n\
             [[module]]\nroute = \"/fresh/...\"\nfunction = {app:?}\nsnapshot = false\n"
        ),
    )
    .unwrap();
    let server = start(&config, &["--python", python.to_str().unwrap()]);
    let post = |route: &str, body: &str| request(server.addr, "POST", route, &[], body);
    // Every request restores the same initialised interpreter: the module
    // global counts 1 each time.
    for name in ["Ada", "Bob", "Ada"] {
        let r = post("/fn", name);
        assert_eq!((r.status, r.body.as_str()), (200, format!("Hello, {name}! (request 1 of this instance)").as_str()));
        assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
    }
    let r = post("/fresh/x", "Cy");
    assert_eq!((r.status, r.body.as_str()), (200, "Hello, Cy! (request 1 of this instance)"), "from scratch");
    let r = post("/fn", "chain:quiet");
    assert_eq!((r.status, r.body.as_str()), (200, "child said QUIET"));
    // State is shared between the requests (and routes) of one server.
    assert_eq!(post("/fn", "put:kept").body, "stored");
    assert_eq!(post("/fresh", "get").body, "state is kept");
    let r = post("/fn", "raise");
    assert_eq!(r.status, 500, "{}", r.body);
    let r = post("/fn", "spin");
    assert_eq!(r.status, 504, "{}", r.body);
    assert!(r.body.contains("timeout of 3 s"), "{}", r.body);
    // A function that fails by itself half a second before its deadline
    // failed: told by the engine's deadline, not by the elapsed time.
    let r = post("/fn", "late-fail:2.5");
    assert_eq!(r.status, 500, "{}", r.body);
    // Still serving after the failures.
    assert_eq!(post("/fn", "").body, "Hello, world! (request 1 of this instance)");
    let (code, stderr) = server.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("ValueError: asked to raise"), "the traceback is logged:\n{stderr}");
    assert!(stderr.contains("RuntimeError: failed by itself"), "{stderr}");
    assert!(!stderr.contains("no snapshot"), "{stderr}");
}

#[test]
fn bad_function_routes_fail_at_start() {
    let d = TempDir::new("serve-fn-bad");
    let config = d.0.join("modules.toml");
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/serve/func/app.py");
    let fails = |text: String| {
        std::fs::write(&config, text).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
            .args(["serve", "--listen", "127.0.0.1:0", "--python", "/nonexistent/build", "-c"])
            .arg(&config)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert!(o.stdout.is_empty(), "no Ready line");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let e = fails(format!("[[module]]\nroute = \"/a\"\nfunction = {:?}\nargv = \"x\"\n", app.display().to_string()));
    assert!(e.contains(&format!("{}:3: argv applies to module routes", config.display())), "{e}");
    let e = fails(format!("[[module]]\nroute = \"/a\"\nfunction = {:?}\nsnapshot = \"f.snap\"\n", app.display().to_string()));
    assert!(e.contains(":4: a function route takes its own snapshot"), "{e}");
    let e = fails(format!("[[module]]\nroute = \"/a\"\nfunction = {:?}\n", app.display().to_string()));
    assert!(e.contains("route /a:") && e.contains("/nonexistent/build/python.wasm is missing"), "{e}");
}

#[test]
fn module_routes_restore_a_snapshot_per_request() {
    let d = TempDir::new("serve-snap");
    let wasm = compile(&d.0, "cgi_init");
    let data = d.0.join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("words.txt"), "alpha\nbeta\n").unwrap();
    // A snapshot file made by `faasm-engine snapshot`, for the third route.
    let snap = d.0.join("init.snap");
    let o = Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
        .arg("snapshot")
        .args(["--no-cache", "--dir"])
        .arg(format!("{}::/data", data.display()))
        .arg(&wasm)
        .arg("-o")
        .arg(&snap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let config = d.0.join("modules.toml");
    let (w, v) = (wasm.display().to_string(), data.display().to_string());
    std::fs::write(
        &config,
        format!(
            "[[module]]\nroute = \"/auto/...\"\nmodule = {w:?}\nvolumes = {{ \"/data\" = {v:?} }}\n\n\
             [[module]]\nroute = \"/off\"\nmodule = {w:?}\nvolumes = {{ \"/data\" = {v:?} }}\nsnapshot = false\n\n\
             [[module]]\nroute = \"/file\"\nmodule = {w:?}\nvolumes = {{ \"/data\" = {v:?} }}\nsnapshot = \"init.snap\"\n"
        ),
    )
    .unwrap();
    let server = start(&config, &[]);
    for path in ["/auto/a", "/auto/b", "/file"] {
        let r = get(server.addr, path);
        let info = path.strip_prefix("/auto").filter(|_| path.starts_with("/auto")).unwrap_or("");
        assert_eq!(
            (r.status, r.body.as_str()),
            (200, format!("built at initialisation; first line: beta; request 1; path {info}\n").as_str()),
            "{path}: the file opened at initialisation is read on from where it was"
        );
    }
    let r = get(server.addr, "/off");
    assert_eq!(r.body, "not initialised; first line: (no file); request 1; path \n");
    let (code, stderr) = server.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("route /auto/...: requests restore a snapshot"), "{stderr}");

    // snapshot = true without the export, and a snapshot of another module, are refused.
    let other = compile(&d.0, "cgi_echo");
    std::fs::write(&config, format!("[[module]]\nroute = \"/a\"\nmodule = {:?}\nsnapshot = true\n", other.display().to_string()))
        .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
        .args(["serve", "--listen", "127.0.0.1:0", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("exports no `wizer.initialize`"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(
        &config,
        format!("[[module]]\nroute = \"/a\"\nmodule = {:?}\nsnapshot = \"init.snap\"\n", other.display().to_string()),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
        .args(["serve", "--listen", "127.0.0.1:0", "-c"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("route /a: cannot load"), "{}", String::from_utf8_lossy(&o.stderr));
}
