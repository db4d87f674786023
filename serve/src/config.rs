//! `modules.toml`, as Wagi reads it, plus our limits.
//!
//! Each `[[module]]` maps a route to a module: `route` (exact, or a prefix
//! ending in `/...`), `module` (a path, or a `file://` URL, relative to the
//! file), `volumes` (guest path = host path), `argv` (a template, see
//! `cgi::argv`), `entrypoint` (default `_start`), `allowed_hosts` and
//! `http_max_concurrency`; our additions `timeout` (seconds),
//! `max_memory` (MiB), `function` (a Faasm Python function file, served
//! instead of a module) and `snapshot` (`true`/`false`, or for a module a
//! snapshot file made by `faasm-engine snapshot`) and `unknown_imports`
//! (`reject`, `trap`, `default`, for module routes). Unknown fields are
//! errors: a misspelt limit must not silently leave a route unlimited.
//! Every error names the file, the line and the reason.

use crate::routes::RoutePattern;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why `modules.toml` was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}: {reason}")]
    Invalid { path: PathBuf, line: usize, reason: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    module: Vec<toml::Spanned<RawModule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModule {
    route: toml::Spanned<String>,
    module: Option<toml::Spanned<String>>,
    function: Option<toml::Spanned<String>>,
    snapshot: Option<toml::Spanned<RawSnapshot>>,
    #[serde(default)]
    volumes: BTreeMap<String, String>,
    argv: Option<String>,
    entrypoint: Option<String>,
    #[serde(default)]
    allowed_hosts: Vec<String>,
    http_max_concurrency: Option<toml::Spanned<u32>>,
    /// Reserved by Wagi; accepted and ignored.
    #[allow(dead_code)]
    repository: Option<String>,
    timeout: Option<toml::Spanned<f64>>,
    max_memory: Option<toml::Spanned<u64>>,
    unknown_imports: Option<toml::Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawSnapshot {
    On(bool),
    File(String),
}

/// What a route runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handler {
    /// A WASI module run as CGI.
    Module(PathBuf),
    /// A Faasm Python function (`faasm_main` of the file): the request
    /// body is its input, its output the response body.
    Function(PathBuf),
}

/// Whether requests start from a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotChoice {
    /// Where it applies: a function route after its file is imported; a
    /// module route after `wizer.initialize` if the module exports it.
    Auto,
    /// Required: the server does not start without it (for a module
    /// route: the module must export `wizer.initialize`).
    On,
    Off,
    /// A module route restored from this file (`faasm-engine snapshot`).
    File(PathBuf),
}

/// One route, validated, with paths resolved.
#[derive(Debug, Clone)]
pub struct ModuleConfig {
    pub route: RoutePattern,
    pub handler: Handler,
    pub snapshot: SnapshotChoice,
    /// Guest path -> host directory.
    pub volumes: Vec<(String, PathBuf)>,
    pub argv: Option<String>,
    pub entrypoint: String,
    /// Parsed for compatibility; outbound HTTP is not implemented, so no
    /// module can reach any host whatever this says.
    pub allowed_hosts: Vec<String>,
    /// Requests this route runs at once; more are answered 503.
    pub max_concurrency: Option<u32>,
    pub timeout: Option<Duration>,
    /// Bytes per linear memory.
    pub max_memory: Option<u64>,
    /// What a function import that nothing defines becomes (`reject`,
    /// `trap` or `default`, as `faasm-engine run --unknown-imports`).
    pub unknown_imports: session::UnknownImports,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(1, |t| t.matches('\n').count() + 1)
}

/// Reads and validates `path`.
pub fn load(path: &Path) -> Result<Vec<ModuleConfig>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    parse(path, &text)
}

/// Validates the text of a `modules.toml` found at `path` (relative paths
/// inside are resolved against its directory).
pub fn parse(path: &Path, text: &str) -> Result<Vec<ModuleConfig>, ConfigError> {
    let invalid =
        |offset: usize, reason: String| ConfigError::Invalid { path: path.to_path_buf(), line: line_of(text, offset), reason };
    let file: File = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        invalid(at, e.message().trim().to_owned())
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let resolve = |p: &str| -> PathBuf {
        let p = p.strip_prefix("file://").unwrap_or(p);
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    if file.module.is_empty() {
        return Err(invalid(0, "no [[module]] entries".into()));
    }
    let mut out: Vec<ModuleConfig> = Vec::new();
    for m in file.module {
        let at = m.span().start;
        let m = m.into_inner();
        let route = RoutePattern::parse(m.route.get_ref())
            .map_err(|r| invalid(m.route.span().start, format!("route {:?}: {r}", m.route.get_ref())))?;
        if let Some(prev) = out.iter().find(|p| p.route == route) {
            return Err(invalid(m.route.span().start, format!("route {:?} is declared twice", prev.route.original())));
        }
        let handler = match (&m.module, &m.function) {
            (Some(module), None) => {
                let module_ref = module.get_ref();
                if module_ref.starts_with("bindle:") || module_ref.starts_with("oci:") {
                    return Err(invalid(
                        module.span().start,
                        format!("module {module_ref:?}: only file paths are supported (no bindle or OCI)"),
                    ));
                }
                let path = resolve(module_ref);
                if !path.is_file() {
                    return Err(invalid(module.span().start, format!("module {} does not exist", path.display())));
                }
                Handler::Module(path)
            }
            (None, Some(function)) => {
                let path = resolve(function.get_ref());
                if !path.is_file() {
                    return Err(invalid(function.span().start, format!("function {} does not exist", path.display())));
                }
                if path.extension().is_none_or(|e| e != "py") {
                    return Err(invalid(
                        function.span().start,
                        format!("function {}: a function route serves a Python file (.py)", path.display()),
                    ));
                }
                // CGI's settings mean nothing to a function.
                let cgi_only = [
                    ("argv", m.argv.is_some()),
                    ("entrypoint", m.entrypoint.is_some()),
                    ("unknown_imports", m.unknown_imports.is_some()),
                ];
                if let Some((name, _)) = cgi_only.iter().find(|(_, set)| *set) {
                    return Err(invalid(
                        function.span().start,
                        format!("{name} applies to module routes, not to a function route"),
                    ));
                }
                Handler::Function(path)
            }
            (Some(module), Some(_)) => {
                return Err(invalid(module.span().start, "a route has either module or function, not both".into()))
            }
            (None, None) => return Err(invalid(at, "a route needs module (a WASI module) or function (a Python file)".into())),
        };
        let snapshot = match m.snapshot {
            None => SnapshotChoice::Auto,
            Some(s) => {
                let at = s.span().start;
                match (s.into_inner(), &handler) {
                    (RawSnapshot::On(true), _) => SnapshotChoice::On,
                    (RawSnapshot::On(false), _) => SnapshotChoice::Off,
                    (RawSnapshot::File(_), Handler::Function(_)) => {
                        return Err(invalid(at, "a function route takes its own snapshot: snapshot is true or false".into()))
                    }
                    (RawSnapshot::File(f), Handler::Module(_)) => {
                        let path = resolve(&f);
                        if !path.is_file() {
                            return Err(invalid(at, format!("snapshot {} does not exist", path.display())));
                        }
                        SnapshotChoice::File(path)
                    }
                }
            }
        };
        let mut volumes = Vec::new();
        for (guest, host) in &m.volumes {
            let h = resolve(host);
            if !h.is_dir() {
                return Err(invalid(at, format!("volume {guest:?} = {host:?}: {} is not a directory", h.display())));
            }
            volumes.push((guest.clone(), h));
        }
        let timeout = match m.timeout {
            Some(t) if !(t.get_ref().is_finite() && *t.get_ref() > 0.0 && *t.get_ref() < 1e9) => {
                return Err(invalid(t.span().start, format!("timeout {} is not a positive number of seconds", t.get_ref())))
            }
            Some(t) => Some(Duration::from_secs_f64(*t.get_ref())),
            None => None,
        };
        let max_memory = match m.max_memory {
            Some(v) => Some(
                v.get_ref()
                    .checked_mul(1 << 20)
                    .filter(|&b| b > 0)
                    .ok_or_else(|| invalid(v.span().start, format!("max_memory {} MiB is out of range", v.get_ref())))?,
            ),
            None => None,
        };
        let max_concurrency = match m.http_max_concurrency {
            Some(c) if *c.get_ref() == 0 => {
                return Err(invalid(c.span().start, "http_max_concurrency must be at least 1".into()))
            }
            Some(c) => Some(*c.get_ref()),
            None => None,
        };
        let unknown_imports = match &m.unknown_imports {
            None => session::UnknownImports::Reject,
            Some(v) => match v.get_ref().as_str() {
                "reject" => session::UnknownImports::Reject,
                "trap" => session::UnknownImports::Trap,
                "default" => session::UnknownImports::Default,
                other => {
                    return Err(invalid(
                        v.span().start,
                        format!("unknown_imports = {other:?}: expected \"reject\", \"trap\" or \"default\""),
                    ))
                }
            },
        };
        out.push(ModuleConfig {
            route,
            handler,
            snapshot,
            volumes,
            argv: m.argv,
            entrypoint: m.entrypoint.unwrap_or_else(|| "_start".into()),
            allowed_hosts: m.allowed_hosts,
            max_concurrency,
            timeout,
            max_memory,
            unknown_imports,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(Path::new("/nonexistent/modules.toml"), text).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = err("[[module]]\nroute = \"/a\"\nmodule = \"x.wasm\"\ntimeot = 3\n");
        assert!(e.starts_with("/nonexistent/modules.toml:"), "{e}");
        assert!(e.contains("timeot"), "{e}");
        let e = err("[[module]]\nroute = \"/a\"\nmodule = \"missing.wasm\"\n");
        assert!(e.starts_with("/nonexistent/modules.toml:3: module /nonexistent/missing.wasm does not exist"), "{e}");
        let e = err("[[module]]\nroute = \"a\"\nmodule = \"x.wasm\"\n");
        assert!(e.starts_with("/nonexistent/modules.toml:2: route \"a\""), "{e}");
        let e = err("[[module]\n");
        assert!(e.starts_with("/nonexistent/modules.toml:1:"), "{e}");
        let e = err("[[module]]\nroute = \"/a\"\n");
        assert!(e.starts_with("/nonexistent/modules.toml:1: a route needs module"), "{e}");
        let e = err("[[module]]\nroute = \"/a\"\nfunction = \"f.py\"\n");
        assert!(e.starts_with("/nonexistent/modules.toml:3: function /nonexistent/f.py does not exist"), "{e}");
    }

    #[test]
    fn unknown_imports_is_a_module_route_policy() {
        let dir = std::env::temp_dir().join(format!("faasm-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("m.wasm"), b"").unwrap();
        std::fs::write(dir.join("f.py"), b"").unwrap();
        let at = dir.join("modules.toml");
        let parsed = |text: &str| parse(&at, text);
        let cfg = parsed("[[module]]\nroute = \"/a\"\nmodule = \"m.wasm\"\nunknown_imports = \"trap\"\n").unwrap();
        assert_eq!(cfg[0].unknown_imports, session::UnknownImports::Trap);
        let cfg = parsed("[[module]]\nroute = \"/a\"\nmodule = \"m.wasm\"\n").unwrap();
        assert_eq!(cfg[0].unknown_imports, session::UnknownImports::Reject);
        let e = parsed("[[module]]\nroute = \"/a\"\nmodule = \"m.wasm\"\nunknown_imports = \"maybe\"\n").unwrap_err().to_string();
        assert!(e.contains(":4: unknown_imports = \"maybe\": expected"), "{e}");
        let e = parsed("[[module]]\nroute = \"/a\"\nfunction = \"f.py\"\nunknown_imports = \"trap\"\n").unwrap_err().to_string();
        assert!(e.contains("unknown_imports applies to module routes"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
