//! Computes the engine build id that goes into every cache key.
//!
//! The workspace version alone is not enough: during development the engine
//! changes every day without a version bump, and executing code compiled by
//! an older engine (another `VMContext` layout, another trap table encoding)
//! would crash the host. So the build id is a digest of everything that
//! decides what the compiler emits and how the runtime reads it: the engine
//! crate's sources, this crate's sources (the file format) and the
//! workspace lock file (the exact Cranelift and wasmparser versions).
//! Outside this workspace (no `../engine`), only the version is used.

use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let engine_dir = manifest.join("../engine");
    let lock = manifest.join("../Cargo.lock");
    println!("cargo:rerun-if-changed=build.rs");

    let mut hasher = Sha256::new();
    let mut inputs = 0usize;
    // This crate's own sources too: a change of the file format that forgot
    // to bump FORMAT_VERSION must not make old files readable as new ones.
    for dir in [engine_dir, manifest.join("src")] {
        if !dir.is_dir() {
            continue;
        }
        // Cargo scans a directory given to rerun-if-changed recursively.
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        collect(&dir, &mut files);
        files.sort();
        for f in files {
            let Ok(bytes) = fs::read(&f) else { continue };
            let rel = f.strip_prefix(&manifest).unwrap_or(&f);
            hash_field(&mut hasher, rel.to_string_lossy().as_bytes());
            hash_field(&mut hasher, &bytes);
            inputs += 1;
        }
    }
    if let Ok(bytes) = fs::read(&lock) {
        println!("cargo:rerun-if-changed={}", lock.display());
        hash_field(&mut hasher, b"Cargo.lock");
        hash_field(&mut hasher, &bytes);
        inputs += 1;
    }
    let id = if inputs == 0 {
        String::from("release")
    } else {
        hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
    };
    println!("cargo:rustc-env=OBJCACHE_ENGINE_BUILD_ID={id}");
}

/// Length-prefixed so that no two different file sets hash alike.
fn hash_field(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// Every file under `dir` except build output, tests and editor/VCS droppings.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        // Tests and benchmarks do not change what the engine emits.
        if name.starts_with('.') || matches!(&*name, "target" | "tests" | "benches" | "examples") {
            continue;
        }
        match e.file_type() {
            Ok(t) if t.is_dir() => collect(&path, out),
            Ok(t) if t.is_file() => out.push(path),
            _ => {}
        }
    }
}
