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
//! * [`route_snapshot`]: the snapshots module routes restore per request.
//!
//! Every module is compiled once at start (through the host's
//! compiled-code cache), and snapshots are taken or loaded then; each
//! request runs a guest session (the `session` crate) that instantiates
//! the module or restores the snapshot, under the route's deadline. A failing
//! request never takes the server down: trap 500, timeout 504, a route
//! over its `http_max_concurrency` 503, malformed CGI output 502, no route
//! 404. `allowed_hosts` is parsed but outbound HTTP is not implemented: a
//! module importing Wagi's HTTP functions fails to link at start.

pub mod cgi;
pub mod config;
pub mod function;
pub mod route_snapshot;
pub mod routes;
pub mod runner;

use bytes_body::{full, Body};
use config::{Handler, ModuleConfig};
use engine::Module;
use hyper::{Request, Response, StatusCode};
use session::Host;
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

/// What `serve` needs from the command line.
pub struct ServeOptions {
    pub config: PathBuf,
    pub listen: SocketAddr,
    /// For every guest, before the CGI variables (which win).
    pub env: Vec<(String, String)>,
    /// The engine and compiled-code cache every route runs on.
    pub host: Host,
    /// The CPython build function routes run on (python.wasm and
    /// lib/python3.11 with pyfaasm).
    pub python: PathBuf,
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

/// What serves a route (as `config::Handler` names it): a module run as CGI,
/// with the snapshot its requests restore if any; or a Faasm function.
enum RouteHandler {
    Module(Module, Option<Arc<snapshot::Snapshot>>),
    Function(Arc<function::FunctionRoute>),
}

struct State {
    routes: Vec<Route>,
    env: Vec<(String, String)>,
    host: Host,
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
        let m = opts.host.load(path).map_err(|e| ServeError::Load {
            route: route.route.original().to_owned(),
            module: path.to_path_buf(),
            reason: e.to_string(),
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
                let snap = route_snapshot::for_route(&opts.host, &module, path, &cfg).map_err(|reason| ServeError::Load {
                    route: cfg.route.original().to_owned(),
                    module: path.clone(),
                    reason,
                })?;
                if let Some(s) = &snap {
                    tracing::info!(
                        "route {}: requests restore a snapshot of {} ({} pages, after {})",
                        cfg.route.original(),
                        path.display(),
                        s.memory_pages(),
                        s.meta.init
                    );
                }
                RouteHandler::Module(module, snap.map(Arc::new))
            }
            Handler::Function(file) => {
                let fail =
                    |reason: String| ServeError::Function { route: cfg.route.original().to_owned(), file: file.clone(), reason };
                if !python_wasm.is_file() {
                    return Err(fail(format!(
                        "{} is missing: build CPython with scripts/build-python.sh, or give --python DIR",
                        python_wasm.display()
                    )));
                }
                let module = load(&cfg, &python_wasm)?;
                let python = function::Python { host: &opts.host, module: &module, dir: &opts.python };
                let (route, note) = function::FunctionRoute::new(&python, file, &cfg, Arc::clone(&state)).map_err(fail)?;
                if let Some(why) = note {
                    tracing::warn!(
                        "route {}: {}: no snapshot ({why}); its requests start CPython from scratch",
                        cfg.route.original(),
                        file.display()
                    );
                }
                RouteHandler::Function(Arc::new(route))
            }
        };
        if !cfg.allowed_hosts.is_empty() {
            tracing::warn!(
                "route {}: allowed_hosts is accepted but outbound HTTP is not implemented; the module can reach no host",
                cfg.route.original()
            );
        }
        let slots = cfg.max_concurrency.map(|n| Arc::new(Semaphore::new(n as usize)));
        routes.push(Route { cfg, handler, slots });
    }
    let state = Arc::new(State { routes, env: opts.env, host: opts.host });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(session::GUEST_STACK)
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
                        tracing::warn!("accept failed: {e}");
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
    tracing::info!("Stopping: finishing requests in flight");
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(10)) => tracing::warn!("requests still running after 10 s; stopping anyway"),
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
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let (route, resp) = match routes::find(state.routes.iter().map(|r| &r.cfg.route), &path) {
        None => (None, plain(StatusCode::NOT_FOUND, format!("not found: no route serves {path}"))),
        Some(index) => (Some(index), serve_route(&state, index, &path, req, client, local).await),
    };
    let name = route.map_or("-", |i| state.routes[i].cfg.route.original());
    tracing::info!(
        route = name,
        status = resp.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "{method} {path} {}",
        resp.status().as_u16()
    );
    resp
}

/// Runs route `index` for `req` (at `path`) on a blocking thread; its response.
async fn serve_route(
    state: &Arc<State>,
    index: usize,
    path: &str,
    req: Request<hyper::body::Incoming>,
    client: SocketAddr,
    local: SocketAddr,
) -> Response<Body> {
    use http_body_util::BodyExt;
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
        RouteHandler::Module(m, s) => (m.clone(), s.clone()),
        RouteHandler::Function(f) => {
            // The function keeps its own deadline (the route's timeout,
            // for its chained calls too).
            let f = Arc::clone(f);
            let job = tokio::task::spawn_blocking(move || f.run(body));
            let outcome = job.await.unwrap_or_else(|e| runner::Outcome::Failed(format!("the request's thread failed: {e}")));
            return respond(&name, route.cfg.timeout, outcome);
        }
    };
    let headers: Vec<(String, String)> =
        parts.headers.iter().map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
    let version = format!("{:?}", parts.version);
    let info = cgi::RequestInfo {
        method: parts.method.as_str(),
        path,
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
    let st = Arc::clone(state);
    let log_name = name.clone();
    // The route's timeout is the session's deadline: the engine stops the
    // guest (also in a blocking WASI call), so the job always ends.
    let job = tokio::task::spawn_blocking(move || {
        let route = &st.routes[index];
        runner::run(&st.host, &module, snap.as_deref(), &route.cfg, run_req, |err| log_stderr(&log_name, err))
    });
    let outcome = match job.await {
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

/// What a guest wrote to its stderr, a log line each, named by its route.
fn log_stderr(route: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for line in text.lines() {
        tracing::info!(target: "guest", "[{route}] {line}");
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
                tracing::warn!("[{route}] malformed CGI response: {why}");
                plain(StatusCode::BAD_GATEWAY, format!("bad gateway: the module's response is malformed: {why}"))
            }
        },
        Outcome::Function { return_code: 0, output, error: None } => {
            let kind =
                if std::str::from_utf8(&output).is_ok() { "text/plain; charset=utf-8" } else { "application/octet-stream" };
            let mut resp = Response::new(full(output));
            resp.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(kind));
            resp
        }
        Outcome::Function { return_code, error, .. } => {
            let why = error.unwrap_or_else(|| format!("return code {return_code}"));
            tracing::warn!("[{route}] the function failed: {}", why.replace('\n', &format!("\n[{route}] ")));
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("internal server error: the function failed (return code {return_code})"),
            )
        }
        Outcome::Exit(code) => {
            tracing::warn!("[{route}] module exited with status {code}");
            plain(StatusCode::INTERNAL_SERVER_ERROR, format!("internal server error: the module exited with status {code}"))
        }
        Outcome::Timeout => {
            let secs = timeout.map(|t| t.as_secs_f64()).unwrap_or(0.0);
            tracing::warn!("[{route}] stopped after its timeout of {secs} s");
            plain(StatusCode::GATEWAY_TIMEOUT, format!("gateway timeout: the module ran past its timeout of {secs} s"))
        }
        Outcome::Trap(msg) => {
            tracing::warn!("[{route}] {}", msg.replace('\n', &format!("\n[{route}] ")));
            plain(StatusCode::INTERNAL_SERVER_ERROR, "internal server error: the module trapped".into())
        }
        Outcome::Failed(msg) => {
            tracing::warn!("[{route}] {msg}");
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
