//! objcache: compile a module once, map its machine code from disk afterwards.
//!
//! python3.wasm has 11,448 functions; compiling it takes far longer than
//! running a small Python function. So the first run of a module stores
//! what compilation produced in an *artifact* file, and later runs map that
//! file and execute its code in place: no parsing, validation, translation
//! or compilation, and no copy of the code.
//!
//! Modules:
//! - [`key`]: what identifies an artifact (wasm SHA-256, engine build,
//!   target, CPU features, compiler settings) and the cache key built from it;
//! - [`mod@format`]: the file format below, written and verified;
//! - [`mod@file`]: atomic publication and verified, private mapping of files;
//! - [`verified`]: which files are known verified (per process, and per boot
//!   through memo files in the cache directory), so that their checksum is
//!   not read again;
//! - [`index`]: which wasm a file on disk holds, by file identity, so that
//!   a warm start neither reads nor hashes the wasm;
//! - [`cache`]: the cache directory, lookup with recovery, `stats`, `clear`;
//! - [`module`]: the same for `engine::Module`: `Cache::load_or_compile`,
//!   and stand-alone artifacts (`write_artifact`, `read_artifact`);
//! - [`progress`]: the progress bar shown during long compilations.
//!
//! # The artifact format (version 4)
//!
//! All integers little-endian. Offsets are from the start of the file.
//!
//! | offset | size | field |
//! |-------:|-----:|-------|
//! | 0   | 8  | magic `FAASMOBJ` (a wasm module starts with `\0asm`) |
//! | 8   | 4  | format version (4) |
//! | 12  | 4  | header length `H` (fixed part + strings) |
//! | 16  | 8  | file length |
//! | 24  | 16 | checksum of bytes `40..file length`: XXH3-128 of the XXH3-128 digests of its 1 MiB chunks (see below) |
//! | 40  | 32 | SHA-256 of the wasm module |
//! | 72  | 32 | compiler-settings hash (SHA-256 of the engine's settings fingerprint) |
//! | 104 | 6×(8+8) | offset and length of the metadata, data, trap, image and code sections, then of the address map section |
//! | 200 | 2+n each | engine build, target triple, CPU features: UTF-8, length-prefixed |
//! | `H` | | metadata: postcard encoding of `engine::ModuleInfo` (data segments' bytes emptied, or no data segments when there is an image; no function body ranges; element segments' function lists are plain integers, see `engine::parse::ElementItems`), `engine::compile::CompiledCode` (no code, no trap sites), the data segments' lengths, the image's layout |
//! | | | data: the bytes of every data segment, in order (empty when there is an image) |
//! | | | traps: `engine::compile::TrapTable` encoding: every trap site's code offset (`u32`), then every kind (`u8`, index in `TrapKind::ALL`) |
//! | | | address map: `engine::compile::AddressMap` encoding: the code offset of every trap site and call (`u32`), sorted, then each one's wasm offset (`u32`) |
//! | | | zero padding up to a multiple of 64 KiB |
//! | image offset | | memory 0's initial contents (whole wasm pages, `ImageLayout`), a multiple of 64 KiB long; may be empty |
//! | code offset | | machine code (`CompiledCode::code`), a multiple of 64 KiB from the start, running to the end of the file |
//!
//! The sections follow each other in this order. Data, image and trap
//! sites have raw sections because they are the bulk of a large module
//! (python3.wasm: 7 MB of data in 24,171 segments, 637,000 trap sites):
//! decoding them through serde took 30 ms. Now none of them is decoded at
//! load: the trap table is searched in place by the signal handler, and
//! when every data segment is active at a constant offset inside memory 0's
//! initial size (python3.wasm's are) the image section holds the memory's
//! initial contents, which each instantiation maps copy-on-write straight
//! from the file; only other modules keep per-segment data.
//!
//! The metadata holds everything instantiation needs: the module's types
//! (the engine interns them into signature ids at load, so ids are never
//! stored), imports, exports, globals, tables, memories, segments, names,
//! and the compiled code's function offsets, trampolines and trap table.
//! There are no relocations: the code is position independent (calls
//! between functions are PC-relative and already resolved; everything else
//! goes through the `VMContext`), so it runs wherever the file is mapped.
//!
//! Image and code are 64 KiB aligned, so the code can be made executable in
//! place and the image mapped into linear memory, and nothing else in the
//! file shares a page with either.
//!
//! ## Checksum
//! XXH3-128 rather than SHA-256: it guards against corruption (truncation,
//! flipped bits, torn writes), not against an attacker, who could rewrite
//! any checksum along with the code. On a 40 MiB artifact it takes ~1.7 ms
//! against ~24 ms for SHA-256 even with SHA extensions (measured on this
//! project's machines). It is still most of a load (python3.wasm's 22 MB
//! artifact: ~0.5 ms of ~0.6 ms on two cores), so a file is verified once per boot and
//! trusted afterwards only while its identity — including its change time,
//! which every write moves forward — is unchanged (see [`verified`]).
//! The file is hashed in 1 MiB chunks whose digests are hashed in turn, so
//! that a load verifies on two cores at once (~0.45 ms instead of ~0.9).
//! The wasm module is still identified by SHA-256, since two modules whose
//! hashes collide would run each other's code.
//!
//! ## Verification
//! Before anything is made executable: magic, version, lengths and layout;
//! identity (engine build, target, CPU features, settings, and the wasm hash
//! when known); the checksum (once per boot and file, see [`verified`]); the metadata
//! decodes exactly and the data, image and trap sections match it; then the
//! engine (`Module::from_cached`) checks every code range against the code,
//! the trap table's size and last site, and the image's alignment and fit
//! in memory 0. The order of the trap sites is checked when a file is
//! written, not at every load (a misordered table could only make a trap
//! look like a crash). A file failing any of
//! this is never executed: the cache recompiles and replaces it with one
//! warning line.
//!
//! ## Trust
//! Whoever can write an artifact can make the engine run arbitrary code, so
//! the cache creates its directory private (0700) and maps only files owned
//! by the current user.

pub mod cache;
pub mod file;
pub mod format;
pub mod index;
pub mod key;
pub mod module;
pub mod progress;
pub mod verified;

pub use cache::{default_dir, Artifact, Cache, Cleared, Outcome, Stats, EXTENSION};
pub use file::Mapped;
pub use format::{is_artifact, ArtifactRef, Rejection};
pub use index::INDEX_EXTENSION;
pub use key::{wasm_sha256, CacheKey, Fingerprint, ENGINE_VERSION};
pub use module::{compile_artifact, fingerprint, read_artifact, write_artifact, Error};
pub use progress::CompileProgress;
pub use verified::{forget_verified, Memo, MEMO_EXTENSION};
