//! Linux `perf` symbol maps for compiled wasm code.
//!
//! Machine code mapped from a cache file or written into anonymous memory
//! has no ELF symbols, so `perf report` would show bare addresses. `perf`
//! reads `/tmp/perf-<pid>.map` ("START SIZE NAME" per line, hex) for such
//! code; this module appends one line per function of a module when it is
//! loaded and [`Config::perf_map`](crate::Config::perf_map) is set. It is a
//! profiling aid only: failures to write are ignored, never an error.

use crate::compile::code_memory::CodeMeta;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Mutex;

/// Serialises appends from modules loaded on several threads, so that
/// lines never interleave.
static LOCK: Mutex<()> = Mutex::new(());

/// Appends the functions of a module whose code starts at `base`.
pub fn append(base: usize, meta: &CodeMeta) {
    let mut text = String::new();
    let module = meta.module_name.as_deref().unwrap_or("wasm");
    for (def, range) in meta.compiled.functions.iter().enumerate() {
        let index = def as u32 + meta.num_imported_funcs;
        let start = base + range.offset as usize;
        let _ = match meta.func_name(index) {
            Some(name) => writeln!(text, "{start:x} {:x} {module}!{name}", range.len),
            None => writeln!(text, "{start:x} {:x} {module}!func[{index}]", range.len),
        };
    }
    let path = format!("/tmp/perf-{}.map", std::process::id());
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = file.write_all(text.as_bytes());
    }
}
