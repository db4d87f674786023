//! `faasm-engine serve`: WASI modules behind HTTP, the way Wagi serves
//! them (CGI 1.1 over a `modules.toml`), on hyper and tokio.
//!
//! * [`config`]: `modules.toml` (Wagi's fields plus `timeout`,
//!   `max_memory`, `function` and `snapshot`), errors with file and line.
//! * [`routes`]: exact and `/...` prefix routes.
//! * [`cgi`]: argv, the CGI environment, parsing the module's output.
//! * [`runner`]: one fresh (or restored) instance per request, on a
//!   blocking thread.
//! * [`function`]: `function = "f.py"` routes, Faasm Python functions
//!   restored from a snapshot per request.
//! * [`module_snapshot`]: the snapshots module routes restore per request.
//!
//! Every module is compiled once at start (through the caller's loader,
//! i.e. the compiled-code cache), and snapshots are taken or loaded then;
//! each request instantiates the module or restores the snapshot. A failing
//! request never takes the server down: trap 500, timeout 504, a route
//! over its `http_max_concurrency` 503, malformed CGI output 502, no route
//! 404. `allowed_hosts` is parsed but outbound HTTP is not implemented: a
//! module importing Wagi's HTTP functions fails to link at start.

pub mod cgi;
pub mod config;
pub mod function;
pub mod module_snapshot;
pub mod routes;
pub mod runner;

use bytes_body::{full, Body};
use config::{Handler, ModuleConfig};
use engine::{Engine, Module};
use hyper::{Request, Response, StatusCode};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Why the server could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("{path}:{line}: {reason}")]
    EnvFile { path: PathBuf, line: usize, reason: String },
    #[error("route {route}: cannot load {module}: {reason}")]
    Load { route: String, module: PathBuf, reason: String },
    #[error("route {route}: {file}: {reason}")]
    Function { route: String, file: PathBuf, reason: String },
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("cannot start the server runtime: {0}")]
    Runtime(std::io::Error),
}

/// Loads (compiles, or maps from the cache) the module at a path.
pub type Loader = Box<dyn Fn(&Path) -> Result<Module, String> + Send + Sync>;

/// What `serve` needs from the command line.
pub struct ServeOptions {
    pub config: PathBuf,
    pub listen: SocketAddr,
    /// For every guest, before the CGI variables (which win).
    pub env: Vec<(String, String)>,
    pub engine: Engine,
    pub load: Loader,
    /// Native stack of the threads that run guests (see `faasm-engine run`).
    pub guest_stack: usize,
    /// The CPython build function routes run on (python.wasm and
    /// lib/python3.11 with pyfaasm).
    pub python: PathBuf,
    /// Where the build's side modules are cached once compiled.
    pub side_module_cache: Option<PathBuf>,
}

/// Reads an env file: `NAME=value` lines (spaces around `=` and quotes
/// around the value allowed), blank lines and `#` comments skipped.
pub fn read_env_file(path: &Path) -> Result<Vec<(String, String)>, ServeError> {
    let err = |line: usize, reason: String| ServeError::EnvFile { path: path.to_path_buf(), line, reason };
    let text = std::fs::read_to_string(path).map_err(|e| err(0, format!("cannot read: {e}")))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line.split_once('=').ok_or_else(|| err(i + 1, format!("{line:?} is not NAME=value")))?;
        let (k, mut v) = (k.trim(), v.trim());
        for q in ['"', '\''] {
            if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
                v = &v[1..v.len() - 1];
            }
        }
        if k.is_empty() || k.contains(char::is_whitespace) {
            return Err(err(i + 1, format!("{k:?} is not a variable name")));
        }
        out.push((k.to_owned(), v.to_owned()));
    }
    Ok(out)
}

/// One route ready to serve.
struct Route {
    cfg: ModuleConfig,
    handler: RouteHandler,
    slots: Option<Arc<Semaphore>>,
}

enum RouteHandler {
    Cgi(Module, Option<Arc<snapshot::Snapshot>>),
    Function(Arc<function::FunctionRoute>),
}

struct State {
    routes: Vec<Route>,
    env: Vec<(String, String)>,
    engine: Engine,
}

/// Largest request body accepted (larger: 413).
const MAX_BODY: usize = 16 << 20;

/// Loads the configuration and every module, then serves until SIGINT
/// or SIGTERM.
pub fn serve(opts: ServeOptions) -> Result<(), ServeError> {
    limit_malloc_arenas();
    let cfgs = config::load(&opts.config)?;
    let mut loaded: Vec<(PathBuf, Module)> = Vec::new();
    let mut load = |route: &ModuleConfig, path: &Path| -> Result<Module, ServeError> {
        if let Some((_, m)) = loaded.iter().find(|(p, _)| p == path) {
            return Ok(m.clone());
        }
        let m = (opts.load)(path).map_err(|reason| ServeError::Load {
            route: route.route.original().to_owned(),
            module: path.to_path_buf(),
            reason,
        })?;
        loaded.push((path.to_path_buf(), m.clone()));
        Ok(m)
    };
    // Shared by every function route, as Faasm shares state between the
    // functions of a user.
    let state: Arc<dyn hostabi::faasm::StateStore> = Arc::new(faasm::state::EmbeddedStore::new(faasm::state::DEFAULT_MAX_VALUE));
    let python_wasm = opts.python.join("python.wasm");
    let mut routes = Vec::new();
    for cfg in cfgs {
        let handler = match &cfg.handler {
            Handler::Module(path) => {
                let module = load(&cfg, path)?;
                let snap = module_snapshot::for_route(&opts.engine, &module, path, &cfg).map_err(|reason| ServeError::Load {
                    route: cfg.route.original().to_owned(),
                    module: path.clone(),
                    reason,
                })?;
                if let Some(s) = &snap {
                    eprintln!(
                        "route {}: requests restore a snapshot of {} ({} pages, after {})",
                        cfg.route.original(),
                        path.display(),
                        s.memory_pages(),
                        s.meta.init
                    );
                }
                RouteHandler::Cgi(module, snap.map(Arc::new))
            }
            Handler::Function(file) => {
                let fail = |reason: String| ServeError::Function { route: cfg.route.original().to_owned(), file: file.clone(), reason };
                if !python_wasm.is_file() {
                    return Err(fail(format!(
                        "{} is missing: build CPython with scripts/build-python.sh, or give --python DIR",
                        python_wasm.display()
                    )));
                }
                let module = load(&cfg, &python_wasm)?;
                let python = function::Python {
                    engine: &opts.engine,
                    module: &module,
                    dir: &opts.python,
                    cache_dir: opts.side_module_cache.clone(),
                };
                let (route, note) = function::FunctionRoute::new(&python, file, &cfg, Arc::clone(&state)).map_err(fail)?;
                if let Some(why) = note {
                    eprintln!(
                        "warning: route {}: {}: no snapshot ({why}); its requests start CPython from scratch",
                        cfg.route.original(),
                        file.display()
                    );
                }
                RouteHandler::Function(Arc::new(route))
            }
        };
        if !cfg.allowed_hosts.is_empty() {
            eprintln!(
                "warning: route {}: allowed_hosts is accepted but outbound HTTP is not implemented; the module can reach no host",
                cfg.route.original()
            );
        }
        let slots = cfg.max_concurrency.map(|n| Arc::new(Semaphore::new(n as usize)));
        routes.push(Route { cfg, handler, slots });
    }
    let state = Arc::new(State { routes, env: opts.env, engine: opts.engine });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(opts.guest_stack)
        .thread_name("faasm-serve")
        .build()
        .map_err(ServeError::Runtime)?;
    let result = rt.block_on(accept_loop(state, opts.listen));
    // Guests still running without a timeout must not hold the exit.
    rt.shutdown_timeout(Duration::from_secs(1));
    result
}

async fn accept_loop(state: Arc<State>, addr: SocketAddr) -> Result<(), ServeError> {
    use tokio::signal::unix::{signal, SignalKind};
    let listen_err = |source| ServeError::Listen { addr, source };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(listen_err)?;
    let local = listener.local_addr().map_err(listen_err)?;
    let mut term = signal(SignalKind::terminate()).map_err(ServeError::Runtime)?;
    let mut int = signal(SignalKind::interrupt()).map_err(ServeError::Runtime)?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "Ready: serving on http://{local}");
        let _ = out.flush();
    }
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, client) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        eprintln!("warning: accept failed: {e}");
                        continue;
                    }
                };
                let state = state.clone();
                let svc = hyper::service::service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, std::convert::Infallible>(handle(state, req, client, local).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    drop(listener);
    eprintln!("Stopping: finishing requests in flight");
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(10)) => eprintln!("warning: requests still running after 10 s; stopping anyway"),
    }
    Ok(())
}

fn plain(status: StatusCode, msg: String) -> Response<Body> {
    let mut r = Response::new(full(format!("{msg}\n").into_bytes()));
    *r.status_mut() = status;
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

async fn handle(state: Arc<State>, req: Request<hyper::body::Incoming>, client: SocketAddr, local: SocketAddr) -> Response<Body> {
    use http_body_util::BodyExt;
    let path = req.uri().path().to_owned();
    let Some(index) = routes::find(state.routes.iter().map(|r| &r.cfg.route), &path) else {
        return plain(StatusCode::NOT_FOUND, format!("not found: no route serves {path}"));
    };
    let route = &state.routes[index];
    let name = route.cfg.route.original().to_owned();
    let _permit = match &route.slots {
        None => None,
        Some(s) => match s.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => {
                return plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("service unavailable: route {name} is already running its limit of requests"),
                )
            }
        },
    };
    let (parts, body) = req.into_parts();
    let body = match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => return plain(StatusCode::PAYLOAD_TOO_LARGE, format!("request body over {MAX_BODY} bytes or broken")),
    };
    let (module, snap) = match &route.handler {
        RouteHandler::Cgi(m, s) => (m.clone(), s.clone()),
        RouteHandler::Function(f) => {
            // The function keeps its own deadline (the route's timeout,
            // for its chained calls too).
            let f = Arc::clone(f);
            let job = tokio::task::spawn_blocking(move || f.run(body));
            let outcome = job.await.unwrap_or_else(|e| runner::Outcome::Failed(format!("the request's thread failed: {e}")));
            return respond(&name, route.cfg.timeout, outcome);
        }
    };
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let version = format!("{:?}", parts.version);
    let info = cgi::RequestInfo {
        method: parts.method.as_str(),
        path: &path,
        query: parts.uri.query(),
        version: &version,
        headers,
        content_length: body.len(),
        client,
        local,
    };
    let run_req = runner::Request {
        argv: cgi::argv(route.cfg.argv.as_deref(), &info),
        env: cgi::environment(&state.env, &route.cfg.route, &info),
        body,
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let st = state.clone();
    let log_name = name.clone();
    let mut job = tokio::task::spawn_blocking(move || {
        let route = &st.routes[index];
        runner::run(
            &st.engine,
            &module,
            snap.as_deref(),
            &route.cfg,
            run_req,
            |h| {
                let _ = tx.send(h);
            },
            |err| log_stderr(&log_name, err),
        )
    });
    let joined = match route.cfg.timeout {
        None => job.await,
        Some(limit) => match tokio::time::timeout(limit, &mut job).await {
            Ok(r) => r,
            Err(_) => {
                if let Ok(h) = rx.await {
                    h.interrupt();
                }
                job.await
            }
        },
    };
    let outcome = match joined {
        Ok(o) => o,
        Err(e) => runner::Outcome::Failed(format!("the request's thread failed: {e}")),
    };
    respond(&name, route.cfg.timeout, outcome)
}

/// glibc gives each new thread a malloc arena of its own (up to 8 per
/// core), and an arena keeps what its thread freed. Every request thread
/// frees what its instance's set-up allocated, so with many request
/// threads each arena held ~0.5 MiB that no other thread could reuse:
/// most of the server's memory per idle instance. Two arenas, shared by
/// all threads, let that memory be reused; contention for them is rare
/// next to a request's work. `MALLOC_ARENA_MAX` in the environment wins.
fn limit_malloc_arenas() {
    // glibc has read the user's own choice already: keep it.
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt takes two integers and only changes a malloc
    // setting; called before this server starts any thread.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn log_stderr(route: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for line in text.lines() {
        eprintln!("[{route}] {line}");
    }
}

fn respond(route: &str, timeout: Option<Duration>, outcome: runner::Outcome) -> Response<Body> {
    use runner::Outcome;
    match outcome {
        Outcome::Done { stdout } => match cgi::parse_response(&stdout) {
            Ok(r) => {
                let mut resp = Response::new(full(r.body));
                *resp.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY);
                for (k, v) in r.headers {
                    if let (Ok(k), Ok(v)) =
                        (hyper::header::HeaderName::from_bytes(k.as_bytes()), hyper::header::HeaderValue::from_str(&v))
                    {
                        resp.headers_mut().append(k, v);
                    }
                }
                resp
            }
            Err(why) => {
                eprintln!("[{route}] malformed CGI response: {why}");
                plain(StatusCode::BAD_GATEWAY, format!("bad gateway: the module's response is malformed: {why}"))
            }
        },
        Outcome::Function { return_code: 0, output, error: None } => {
            let kind = if std::str::from_utf8(&output).is_ok() { "text/plain; charset=utf-8" } else { "application/octet-stream" };
            let mut resp = Response::new(full(output));
            resp.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(kind));
            resp
        }
        Outcome::Function { return_code, error, .. } => {
            let why = error.unwrap_or_else(|| format!("return code {return_code}"));
            eprintln!("[{route}] the function failed: {}", why.replace('\n', &format!("\n[{route}] ")));
            plain(StatusCode::INTERNAL_SERVER_ERROR, format!("internal server error: the function failed (return code {return_code})"))
        }
        Outcome::Exit(code) => {
            eprintln!("[{route}] module exited with status {code}");
            plain(StatusCode::INTERNAL_SERVER_ERROR, format!("internal server error: the module exited with status {code}"))
        }
        Outcome::Timeout => {
            let secs = timeout.map(|t| t.as_secs_f64()).unwrap_or(0.0);
            eprintln!("[{route}] stopped after its timeout of {secs} s");
            plain(StatusCode::GATEWAY_TIMEOUT, format!("gateway timeout: the module ran past its timeout of {secs} s"))
        }
        Outcome::Trap(msg) => {
            eprintln!("[{route}] {}", msg.replace('\n', &format!("\n[{route}] ")));
            plain(StatusCode::INTERNAL_SERVER_ERROR, "internal server error: the module trapped".into())
        }
        Outcome::Failed(msg) => {
            eprintln!("[{route}] {msg}");
            plain(StatusCode::INTERNAL_SERVER_ERROR, format!("internal server error: {msg}"))
        }
    }
}

/// The response body type: the whole body at once.
mod bytes_body {
    pub type Body = http_body_util::Full<hyper::body::Bytes>;
    pub fn full(b: Vec<u8>) -> Body {
        http_body_util::Full::new(hyper::body::Bytes::from(b))
    }
}
