//! `modules.toml`, as Wagi reads it, plus our limits.
//!
//! Each `[[module]]` maps a route to a module: `route` (exact, or a prefix
//! ending in `/...`), `module` (a path, or a `file://` URL, relative to the
//! file), `volumes` (guest path = host path), `argv` (a template, see
//! `cgi::argv`), `entrypoint` (default `_start`), `allowed_hosts` and
//! `http_max_concurrency`; our additions `timeout` (seconds) and
//! `max_memory` (MiB). Unknown fields are errors: a misspelt limit must not
//! silently leave a route unlimited. Every error names the file, the line
//! and the reason.

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
    module: toml::Spanned<String>,
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
}

/// One route, validated, with paths resolved.
#[derive(Debug, Clone)]
pub struct ModuleConfig {
    pub route: RoutePattern,
    pub module: PathBuf,
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
    let invalid = |offset: usize, reason: String| ConfigError::Invalid { path: path.to_path_buf(), line: line_of(text, offset), reason };
    let file: File = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        invalid(at, e.message().trim().to_owned())
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let resolve = |p: &str| -> PathBuf {
        let p = p.strip_prefix("file://").unwrap_or(p);
        let p = Path::new(p);
        if p.is_absolute() { p.to_path_buf() } else { base.join(p) }
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
        let module_ref = m.module.get_ref();
        if module_ref.starts_with("bindle:") || module_ref.starts_with("oci:") {
            return Err(invalid(m.module.span().start, format!("module {module_ref:?}: only file paths are supported (no bindle or OCI)")));
        }
        let module = resolve(module_ref);
        if !module.is_file() {
            return Err(invalid(m.module.span().start, format!("module {} does not exist", module.display())));
        }
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
            Some(v) => Some(v.get_ref().checked_mul(1 << 20).filter(|&b| b > 0).ok_or_else(|| {
                invalid(v.span().start, format!("max_memory {} MiB is out of range", v.get_ref()))
            })?),
            None => None,
        };
        let max_concurrency = match m.http_max_concurrency {
            Some(c) if *c.get_ref() == 0 => return Err(invalid(c.span().start, "http_max_concurrency must be at least 1".into())),
            Some(c) => Some(*c.get_ref()),
            None => None,
        };
        out.push(ModuleConfig {
            route,
            module,
            volumes,
            argv: m.argv,
            entrypoint: m.entrypoint.unwrap_or_else(|| "_start".into()),
            allowed_hosts: m.allowed_hosts,
            max_concurrency,
            timeout,
            max_memory,
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
    }
}
