//! What a cache entry is keyed by: the wasm bytes and everything about the
//! compiler that can change the machine code or how the runtime reads it.
//!
//! Two lookups share an entry only if they agree on all of it, so a stale
//! entry (another engine build, another CPU, other settings) is never found
//! under the key of the current one: it is simply another file.

use sha2::{Digest, Sha256};
use std::fmt;

/// The engine's build: workspace version plus a digest of the engine's
/// sources and locked dependencies (see `build.rs`).
pub const ENGINE_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("OBJCACHE_ENGINE_BUILD_ID"));

/// Identity of the compiler that produced (or would produce) an artifact,
/// apart from the wasm itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    /// [`ENGINE_VERSION`] for artifacts of this build.
    pub engine_version: String,
    /// Target triple, e.g. `x86_64-unknown-linux-gnu`.
    pub target: String,
    /// The ISA flags the code may use (e.g. `has_avx2`), in a canonical text
    /// form. Code compiled for a CPU with AVX-512 must not run on one without.
    pub cpu_features: String,
    /// SHA-256 of the canonical text of every compiler setting that affects
    /// the code (optimisation level, stack limit checks, Cranelift flags).
    pub settings_hash: [u8; 32],
}

impl Fingerprint {
    /// The hash stored in [`Fingerprint::settings_hash`] for a settings text.
    pub fn hash_settings(settings: &str) -> [u8; 32] {
        Sha256::digest(settings.as_bytes()).into()
    }

    /// Whether an artifact with this fingerprint can run under `current`,
    /// ignoring the settings (used to tell stale entries from ones that are
    /// merely compiled with other settings).
    pub fn same_build_and_cpu(&self, current: &Fingerprint) -> bool {
        self.engine_version == current.engine_version
            && self.target == current.target
            && self.cpu_features == current.cpu_features
    }
}

/// SHA-256 of the wasm bytes. A cryptographic hash because two modules that
/// collide would run each other's code.
pub fn wasm_sha256(wasm: &[u8]) -> [u8; 32] {
    Sha256::digest(wasm).into()
}

/// The name of a cache entry: SHA-256 over the format version, the
/// fingerprint and the wasm hash.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey(pub [u8; 32]);

impl CacheKey {
    pub fn new(fingerprint: &Fingerprint, wasm_sha256: &[u8; 32]) -> CacheKey {
        let mut h = Sha256::new();
        // Each field is length-prefixed so that no two field lists hash alike.
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        field(b"faasm-engine objcache key");
        field(&crate::format::FORMAT_VERSION.to_le_bytes());
        field(fingerprint.engine_version.as_bytes());
        field(fingerprint.target.as_bytes());
        field(fingerprint.cpu_features.as_bytes());
        field(&fingerprint.settings_hash);
        field(wasm_sha256);
        CacheKey(h.finalize().into())
    }

    /// Lower-case hex, the entry's file stem.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CacheKey({})", self.to_hex())
    }
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp() -> Fingerprint {
        Fingerprint {
            engine_version: ENGINE_VERSION.to_string(),
            target: "x86_64-unknown-linux-gnu".into(),
            cpu_features: "has_sse41=true,has_avx2=true".into(),
            settings_hash: Fingerprint::hash_settings("opt_level=speed"),
        }
    }

    #[test]
    fn key_is_stable_and_hex() {
        let w = wasm_sha256(b"\0asm\x01\0\0\0");
        let a = CacheKey::new(&fp(), &w);
        assert_eq!(a, CacheKey::new(&fp(), &w));
        let h = a.to_hex();
        assert_eq!(h.len(), 64);
        assert!(h.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn key_changes_with_every_input() {
        let w = wasm_sha256(b"\0asm\x01\0\0\0");
        let base = CacheKey::new(&fp(), &w);
        let other_wasm = wasm_sha256(b"\0asm\x01\0\0\0\0");
        assert_ne!(base, CacheKey::new(&fp(), &other_wasm));

        let mut f = fp();
        f.engine_version.push_str("-other");
        assert_ne!(base, CacheKey::new(&f, &w));
        let mut f = fp();
        f.target = "aarch64-unknown-linux-gnu".into();
        assert_ne!(base, CacheKey::new(&f, &w));
        let mut f = fp();
        f.cpu_features = "has_sse41=true,has_avx2=false".into();
        assert_ne!(base, CacheKey::new(&f, &w));
        let mut f = fp();
        f.settings_hash = Fingerprint::hash_settings("opt_level=none");
        assert_ne!(base, CacheKey::new(&f, &w));
    }

    #[test]
    fn fields_do_not_run_into_each_other() {
        // "ab" + "c" must not key like "a" + "bc".
        let w = [0u8; 32];
        let mut f1 = fp();
        f1.target = "ab".into();
        f1.cpu_features = "c".into();
        let mut f2 = fp();
        f2.target = "a".into();
        f2.cpu_features = "bc".into();
        assert_ne!(CacheKey::new(&f1, &w), CacheKey::new(&f2, &w));
    }

    #[test]
    fn engine_version_names_a_build() {
        let (version, build) = ENGINE_VERSION.split_once('+').unwrap();
        assert_eq!(version, env!("CARGO_PKG_VERSION"));
        assert!(!build.is_empty());
    }
}
