//! The artifact file format: encoding, and decoding that trusts nothing.
//!
//! See the crate documentation for the layout. Decoding checks, in this
//! order, each step cheap before the next: the fixed header and the file
//! length, the identity fields against the current engine, the checksum over
//! the whole file, then the metadata and the data and trap sections. Only a
//! file that passes all of it reaches the engine, which checks the compiled
//! code's ranges against the code before making it executable
//! (`Module::from_cached`).

use crate::key::Fingerprint;
use engine::compile::address_map::ADDRESS_ENTRY_LEN;
use engine::compile::trap_table::TRAP_SITE_LEN;
use engine::compile::{AddressMap, CodeRange, CompiledCode, TrapTable};
use engine::instantiate::memory_image::ImageLayout;
use engine::ModuleInfo;
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::ops::Range;
use xxhash_rust::xxh3::{xxh3_128, Xxh3};

/// The checksum hashes the file in chunks of this many bytes, then the
/// chunks' digests: chunks can be verified on several cores at once.
const CHECKSUM_CHUNK: usize = 1 << 20;

/// First bytes of every artifact. A wasm module starts with `\0asm`, so the
/// two can be told apart from their first bytes.
pub const MAGIC: [u8; 8] = *b"FAASMOBJ";
/// Bumped on any change of the layout below or of its meaning, and of the
/// `VMContext` layout the stored code assumes (2: per-module inline area;
/// 3: memory image section, trap table read in place; 5: address map
/// section, function body starts).
pub const FORMAT_VERSION: u32 = 5;
/// Alignment of the image and code sections in the file. 64 KiB is a
/// multiple of every page size Linux uses (4 KiB, 16 KiB, 64 KiB), so the
/// code can be made executable in place and the image mapped into linear
/// memory, and no other section shares a page with either.
pub const CODE_ALIGN: u64 = 64 * 1024;

/// Bytes the checksum does not cover: magic, version, header length, file
/// length and the checksum itself.
const CHECKSUMMED_FROM: usize = 40;
/// Everything up to the first variable-length field.
const FIXED_HEADER_LEN: usize = 200;
/// The longest a header can be: the fixed part and three strings of at most
/// 64 KiB, each with its 2-byte length.
pub const MAX_HEADER_LEN: usize = FIXED_HEADER_LEN + 3 * (2 + u16::MAX as usize);

/// Why a file was not accepted as an artifact for the current engine.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the file is empty")]
    Empty,
    #[error("truncated: {len} bytes, shorter than the header")]
    Truncated { len: u64 },
    #[error("length mismatch (truncated or extended): the header says {expected} bytes, the file has {actual}")]
    Length { expected: u64, actual: u64 },
    #[error("not a faasm-engine artifact (bad magic)")]
    BadMagic,
    #[error("artifact format version {found}, this engine reads version {FORMAT_VERSION}")]
    Version { found: u32 },
    #[error("malformed header: {0}")]
    Layout(&'static str),
    #[error("compiled for another {field} ({found}; this engine: {expected})")]
    Mismatch { field: &'static str, found: String, expected: String },
    #[error("checksum mismatch (corrupt file)")]
    Checksum,
    #[error("unreadable metadata: {0}")]
    Metadata(String),
    #[error("inconsistent metadata: {0}")]
    Inconsistent(String),
    #[error("not owned by the current user")]
    Untrusted,
    #[error("cannot read it: {0}")]
    Io(String),
}

/// What a file's header says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub format_version: u32,
    pub file_len: u64,
    pub checksum: u128,
    pub wasm_sha256: [u8; 32],
    pub fingerprint: Fingerprint,
    pub metadata: Range<u64>,
    pub data: Range<u64>,
    pub traps: Range<u64>,
    pub image: Range<u64>,
    pub code: Range<u64>,
    /// Between the trap table and the image's padding.
    pub addresses: Range<u64>,
}

/// What the metadata section holds: the module and its compiled code minus
/// the bulky parts that have sections of their own (python3.wasm has 7 MB
/// of data segments and 640,000 trap sites; decoding them with serde took
/// longer than everything else together) and minus what only compilation
/// needs (function body ranges in the wasm).
#[derive(Serialize, Deserialize)]
struct Metadata {
    /// With empty data segment bytes (they are in the data section), or no
    /// data segments at all when `image` stands for them.
    info: ModuleInfo,
    /// Without code and trap sites (code and trap sections).
    compiled: CompiledCode,
    /// Length of each data segment, in order, in the data section.
    data_lens: Vec<u64>,
    /// The memory image in the image section, if the module has one.
    image: Option<ImageLayout>,
}

/// Everything an artifact holds, borrowed, for writing.
pub struct ArtifactRef<'a> {
    pub fingerprint: &'a Fingerprint,
    pub wasm_sha256: [u8; 32],
    pub info: &'a ModuleInfo,
    /// Its `code` and `traps` fields are ignored: see `code` and `traps`.
    pub compiled: &'a CompiledCode,
    pub code: &'a [u8],
    /// Must be sorted (checked: a writer never stores a table that lookups
    /// would miss).
    pub traps: &'a TrapTable,
    /// Must be sorted, as `traps`.
    pub addresses: &'a AddressMap,
    /// The memory image and its contents (`layout.len` bytes), which stand
    /// for all of `info`'s data segments.
    pub image: Option<(ImageLayout, &'a [u8])>,
}

/// A verified artifact: its header, metadata, and where the code, trap
/// table and memory image sit in the file's bytes.
#[derive(Clone, Debug)]
pub struct Decoded {
    pub header: Header,
    /// No data segments when `image` stands for them.
    pub info: ModuleInfo,
    /// `code` and `traps` are empty; the code is `bytes[code_range]` of
    /// the file, the trap table `bytes[traps_range]`.
    pub compiled: CompiledCode,
    pub code_range: Range<usize>,
    pub traps_range: Range<usize>,
    /// The address map, `bytes[addresses_range]`.
    pub addresses_range: Range<usize>,
    /// The memory image's layout and range in the file.
    pub image: Option<(ImageLayout, Range<usize>)>,
}

/// Writes `a` to `w` in the artifact format. Returns the file length.
pub fn encode<W: Write>(w: &mut W, a: &ArtifactRef<'_>) -> io::Result<u64> {
    let invalid = |m: &str| io::Error::new(io::ErrorKind::InvalidInput, m.to_string());
    if !a.traps.is_sorted() {
        return Err(invalid("trap table is not sorted"));
    }
    if !a.addresses.is_sorted() {
        return Err(invalid("address map is not sorted"));
    }
    let image_bytes: &[u8] = match a.image {
        Some((layout, bytes)) if layout.len == bytes.len() as u64 && layout.len % CODE_ALIGN == 0 => bytes,
        Some(_) => return Err(invalid("memory image length does not match its layout")),
        None => &[],
    };
    let mut info = a.info.clone();
    info.bodies = Vec::new();
    let func_types = std::mem::take(&mut info.functions);
    let (data_lens, segment_bytes): (Vec<u64>, Vec<&[u8]>) = if a.image.is_some() {
        info.data = Vec::new();
        (Vec::new(), Vec::new())
    } else {
        for d in &mut info.data {
            d.bytes = Vec::new();
        }
        a.info.data.iter().map(|d| (d.bytes.len() as u64, d.bytes.as_slice())).unzip()
    };
    let compiled = CompiledCode {
        code: Vec::new(),
        traps: Vec::new(),
        functions: Vec::new(),
        entry_trampolines: Vec::new(),
        host_trampolines: Vec::new(),
        addresses: Vec::new(),
        body_starts: a.compiled.body_starts.clone(),
    };
    let mut metadata = postcard::to_stdvec(&Metadata { info, compiled, data_lens, image: a.image.map(|(layout, _)| layout) })
        .map_err(|e| io::Error::other(format!("serialising module metadata: {e}")))?;
    encode_tables(&mut metadata, &func_types, a.compiled);
    let data_len: u64 = segment_bytes.iter().map(|d| d.len() as u64).sum();
    let traps = a.traps.bytes();

    let fp = a.fingerprint;
    let strings: [&str; 3] = [&fp.engine_version, &fp.target, &fp.cpu_features];
    let header_len = FIXED_HEADER_LEN + strings.iter().map(|s| 2 + s.len()).sum::<usize>();
    let metadata_offset = header_len as u64;
    let data_offset = metadata_offset + metadata.len() as u64;
    let traps_offset = data_offset + data_len;
    let traps_end = traps_offset + traps.len() as u64;
    let addresses = a.addresses.bytes();
    let addresses_offset = traps_end;
    let addresses_end = addresses_offset + addresses.len() as u64;
    let image_offset = addresses_end.next_multiple_of(CODE_ALIGN);
    let image_end = image_offset + image_bytes.len() as u64;
    let code_offset = image_end.next_multiple_of(CODE_ALIGN);
    let code_len = a.code.len() as u64;
    let file_len = code_offset + code_len;

    let mut header = Vec::with_capacity(header_len);
    header.extend_from_slice(&MAGIC);
    header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    header.extend_from_slice(&(header_len as u32).to_le_bytes());
    header.extend_from_slice(&file_len.to_le_bytes());
    header.extend_from_slice(&0u128.to_le_bytes()); // checksum, filled in below
    header.extend_from_slice(&a.wasm_sha256);
    header.extend_from_slice(&fp.settings_hash);
    let sections = [
        (metadata_offset, metadata.len() as u64),
        (data_offset, data_len),
        (traps_offset, traps.len() as u64),
        (image_offset, image_bytes.len() as u64),
        (code_offset, code_len),
        (addresses_offset, addresses.len() as u64),
    ];
    for (offset, len) in sections {
        header.extend_from_slice(&offset.to_le_bytes());
        header.extend_from_slice(&len.to_le_bytes());
    }
    debug_assert_eq!(header.len(), FIXED_HEADER_LEN);
    for s in strings {
        let len = u16::try_from(s.len()).map_err(|_| invalid("fingerprint field longer than 64 KiB"))?;
        header.extend_from_slice(&len.to_le_bytes());
        header.extend_from_slice(s.as_bytes());
    }
    debug_assert_eq!(header.len(), header_len);

    // Everything after the header, in file order, padding included.
    let mut body: Vec<Part<'_>> = vec![Part::Bytes(&metadata)];
    body.extend(segment_bytes.iter().map(|d| Part::Bytes(d)));
    body.extend([
        Part::Bytes(traps),
        Part::Bytes(addresses),
        Part::Zeros((image_offset - addresses_end) as usize),
        Part::Bytes(image_bytes),
        Part::Zeros((code_offset - image_end) as usize),
        Part::Bytes(a.code),
    ]);

    let mut sum = ChunkedSum::default();
    sum.update(&header[CHECKSUMMED_FROM..]);
    for p in &body {
        p.each(|b| sum.update(b));
    }
    header[24..40].copy_from_slice(&sum.finish().to_le_bytes());

    w.write_all(&header)?;
    for p in &body {
        let mut res = Ok(());
        p.each(|b| {
            if res.is_ok() {
                res = w.write_all(b);
            }
        });
        res?;
    }
    Ok(file_len)
}

/// The checksum of a stream of bytes: XXH3-128 over the little-endian
/// XXH3-128 digests of its consecutive [`CHECKSUM_CHUNK`]-byte chunks (the
/// last one shorter). Equal to [`checksum`] of the whole stream.
#[derive(Default)]
struct ChunkedSum {
    chunk: Xxh3,
    in_chunk: usize,
    digests: Vec<u8>,
}

impl ChunkedSum {
    fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let n = bytes.len().min(CHECKSUM_CHUNK - self.in_chunk);
            self.chunk.update(&bytes[..n]);
            self.in_chunk += n;
            bytes = &bytes[n..];
            if self.in_chunk == CHECKSUM_CHUNK {
                self.digests.extend_from_slice(&self.chunk.digest128().to_le_bytes());
                self.chunk = Xxh3::new();
                self.in_chunk = 0;
            }
        }
    }

    fn finish(mut self) -> u128 {
        if self.in_chunk > 0 || self.digests.is_empty() {
            self.digests.extend_from_slice(&self.chunk.digest128().to_le_bytes());
        }
        xxh3_128(&self.digests)
    }
}

/// The checksum of `bytes` (see [`ChunkedSum`]), hashing its chunks on up
/// to two threads: the verification of a warm start is mostly this, and a
/// second core halves it.
fn checksum(bytes: &[u8]) -> u128 {
    let chunks: Vec<&[u8]> = if bytes.is_empty() { vec![bytes] } else { bytes.chunks(CHECKSUM_CHUNK).collect() };
    let hash_all = |cs: &[&[u8]]| cs.iter().flat_map(|c| xxh3_128(c).to_le_bytes()).collect::<Vec<u8>>();
    let parallel = chunks.len() >= 4 && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    let digests = if parallel {
        let (first, second) = chunks.split_at(chunks.len() / 2);
        std::thread::scope(|s| {
            let other = s.spawn(|| hash_all(second));
            let mut d = hash_all(first);
            // A panic in the helper (impossible: hashing slices) would
            // only mean a mismatch, i.e. a recompilation.
            d.extend(other.join().unwrap_or_default());
            d
        })
    } else {
        hash_all(&chunks)
    };
    xxh3_128(&digests)
}

/// The per-function tables, after the postcard part of the metadata: each
/// function's type index, then the code ranges of the functions, entry and
/// host trampolines, each as a `u32` count and `u32` values. python3.wasm
/// has 11,448 functions; read with one tight loop per table instead of
/// serde's varints, they no longer dominate a load.
fn encode_tables(out: &mut Vec<u8>, func_types: &[u32], compiled: &CompiledCode) {
    let mut put = |xs: &mut dyn ExactSizeIterator<Item = u32>| {
        out.extend_from_slice(&(xs.len() as u32).to_le_bytes());
        for x in xs {
            out.extend_from_slice(&x.to_le_bytes());
        }
    };
    put(&mut func_types.iter().copied());
    for ranges in [&compiled.functions, &compiled.entry_trampolines, &compiled.host_trampolines] {
        put(&mut ranges.iter().flat_map(|r| [r.offset, r.len]).collect::<Vec<_>>().into_iter());
    }
}

/// Reads what [`encode_tables`] wrote into `info` and `compiled`; all of
/// `bytes` must be used.
fn decode_tables(mut bytes: &[u8], info: &mut ModuleInfo, compiled: &mut CompiledCode) -> Result<(), Rejection> {
    // The next table: its values' bytes, `width` u32s per entry.
    let mut next = |width: usize| -> Result<&[u8], Rejection> {
        let bad = || Rejection::Metadata("function tables truncated".into());
        let (n, rest) = bytes.split_first_chunk::<4>().ok_or_else(bad)?;
        let n = u32::from_le_bytes(*n) as usize;
        if !n.is_multiple_of(width) {
            return Err(Rejection::Metadata("odd code range table".into()));
        }
        let len = n.checked_mul(4).filter(|&l| l <= rest.len()).ok_or_else(bad)?;
        let (values, rest) = rest.split_at(len);
        bytes = rest;
        Ok(values)
    };
    let u32_at = |c: &[u8], i: usize| u32::from_le_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
    info.functions = next(1)?.chunks_exact(4).map(|c| u32_at(c, 0)).collect();
    let ranges = |b: &[u8]| b.chunks_exact(8).map(|c| CodeRange { offset: u32_at(c, 0), len: u32_at(c, 4) }).collect();
    compiled.functions = ranges(next(2)?);
    compiled.entry_trampolines = ranges(next(2)?);
    compiled.host_trampolines = ranges(next(2)?);
    if !bytes.is_empty() {
        return Err(Rejection::Metadata(format!("{} trailing bytes", bytes.len())));
    }
    Ok(())
}

/// A piece of the file: bytes, or a run of zero padding.
enum Part<'a> {
    Bytes(&'a [u8]),
    Zeros(usize),
}

impl Part<'_> {
    fn each(&self, mut f: impl FnMut(&[u8])) {
        match self {
            Part::Bytes(b) => f(b),
            Part::Zeros(n) => for_zeros(*n, f),
        }
    }
}

fn for_zeros(mut n: usize, mut f: impl FnMut(&[u8])) {
    const ZEROS: [u8; 4096] = [0; 4096];
    while n > 0 {
        let k = n.min(ZEROS.len());
        f(&ZEROS[..k]);
        n -= k;
    }
}

/// Whether `bytes` (the start of a file) look like an artifact rather than
/// a wasm module.
pub fn is_artifact(prefix: &[u8]) -> bool {
    prefix.starts_with(&MAGIC)
}

/// A little-endian reader over the fixed header; every read is bounds-checked.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Rejection> {
        let end = self.pos.checked_add(n).ok_or(Rejection::Layout("header field out of range"))?;
        let s = self.bytes.get(self.pos..end).ok_or(Rejection::Layout("header field out of range"))?;
        self.pos = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], Rejection> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    fn u16(&mut self) -> Result<u16, Rejection> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, Rejection> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, Rejection> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn string(&mut self) -> Result<String, Rejection> {
        let n = self.u16()? as usize;
        let s = self.take(n)?;
        String::from_utf8(s.to_vec()).map_err(|_| Rejection::Layout("header string is not UTF-8"))
    }
}

/// Parses and sanity-checks the header of a whole file's `bytes`.
pub fn read_header(bytes: &[u8]) -> Result<Header, Rejection> {
    read_header_prefix(bytes, bytes.len() as u64)
}

/// Like [`read_header`] from the first bytes of a file of `actual_len`
/// bytes; `prefix` must hold at least the whole header (a header never
/// exceeds [`MAX_HEADER_LEN`]).
pub fn read_header_prefix(bytes: &[u8], actual_len: u64) -> Result<Header, Rejection> {
    if actual_len == 0 {
        return Err(Rejection::Empty);
    }
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(Rejection::BadMagic);
    }
    if actual_len < FIXED_HEADER_LEN as u64 || bytes.len() < FIXED_HEADER_LEN {
        return Err(Rejection::Truncated { len: actual_len });
    }
    let mut r = Reader { bytes, pos: MAGIC.len() };
    let format_version = r.u32()?;
    if format_version != FORMAT_VERSION {
        return Err(Rejection::Version { found: format_version });
    }
    let header_len = r.u32()? as u64;
    let file_len = r.u64()?;
    if file_len != actual_len {
        return Err(Rejection::Length { expected: file_len, actual: actual_len });
    }
    let checksum = u128::from_le_bytes(r.array()?);
    let wasm_sha256 = r.array()?;
    let settings_hash = r.array()?;
    let mut section = || -> Result<Range<u64>, Rejection> {
        let (offset, len) = (r.u64()?, r.u64()?);
        let end = offset.checked_add(len).ok_or(Rejection::Layout("section range overflows"))?;
        Ok(offset..end)
    };
    let (metadata, data, traps, image, code) = (section()?, section()?, section()?, section()?, section()?);
    let addresses = section()?;
    // Strings are read from the header only, so a bad length cannot reach
    // into the metadata.
    let mut r = Reader {
        bytes: bytes.get(..header_len as usize).ok_or(Rejection::Layout("header length beyond the file or the prefix read"))?,
        pos: FIXED_HEADER_LEN,
    };
    let engine_version = r.string()?;
    let target = r.string()?;
    let cpu_features = r.string()?;
    if r.pos as u64 != header_len {
        return Err(Rejection::Layout("header length does not match its fields"));
    }
    // The sections follow each other in this order, the code last, alone
    // on its pages, up to the end of the file.
    if metadata.start != header_len || data.start != metadata.end || traps.start != data.end {
        return Err(Rejection::Layout("sections misplaced"));
    }
    if (traps.end - traps.start) % TRAP_SITE_LEN as u64 != 0 {
        return Err(Rejection::Layout("trap section length"));
    }
    if addresses.start != traps.end || (addresses.end - addresses.start) % ADDRESS_ENTRY_LEN as u64 != 0 {
        return Err(Rejection::Layout("address map section"));
    }
    if addresses.end > image.start || image.start % CODE_ALIGN != 0 || (image.end - image.start) % CODE_ALIGN != 0 {
        return Err(Rejection::Layout("image section misplaced"));
    }
    if image.end > code.start || code.start % CODE_ALIGN != 0 || code.end != file_len {
        return Err(Rejection::Layout("code section misplaced"));
    }
    Ok(Header {
        format_version,
        file_len,
        checksum,
        wasm_sha256,
        fingerprint: Fingerprint { engine_version, target, cpu_features, settings_hash },
        metadata,
        data,
        traps,
        image,
        code,
        addresses,
    })
}

impl Header {
    /// Checks that the artifact was made by the engine `current` describes
    /// and, if `wasm_sha256` is given, from that wasm.
    pub fn check_identity(&self, current: &Fingerprint, wasm_sha256: Option<&[u8; 32]>) -> Result<(), Rejection> {
        let found = &self.fingerprint;
        let mismatch = |field, found: &str, expected: &str| Rejection::Mismatch {
            field,
            found: found.to_string(),
            expected: expected.to_string(),
        };
        if found.engine_version != current.engine_version {
            return Err(mismatch("engine build", &found.engine_version, &current.engine_version));
        }
        if found.target != current.target {
            return Err(mismatch("target", &found.target, &current.target));
        }
        if found.cpu_features != current.cpu_features {
            return Err(mismatch("set of CPU features", &found.cpu_features, &current.cpu_features));
        }
        if found.settings_hash != current.settings_hash {
            return Err(mismatch(
                "compiler settings",
                &crate::key::hex(&found.settings_hash),
                &crate::key::hex(&current.settings_hash),
            ));
        }
        if let Some(w) = wasm_sha256 {
            if &self.wasm_sha256 != w {
                return Err(mismatch("wasm module", &crate::key::hex(&self.wasm_sha256), &crate::key::hex(w)));
            }
        }
        Ok(())
    }
}

/// Verifies the checksum of a whole file whose header is `header`.
pub fn verify_checksum(bytes: &[u8], header: &Header) -> Result<(), Rejection> {
    let covered = bytes.get(CHECKSUMMED_FROM..).ok_or(Rejection::Truncated { len: bytes.len() as u64 })?;
    if checksum(covered) == header.checksum {
        Ok(())
    } else {
        Err(Rejection::Checksum)
    }
}

/// Decodes and verifies a whole artifact file. `current` is the engine that
/// will run it; `wasm_sha256`, if known, the module it must be compiled from.
pub fn decode(bytes: &[u8], current: &Fingerprint, wasm_sha256: Option<&[u8; 32]>) -> Result<Decoded, Rejection> {
    decode_with(bytes, read_header(bytes)?, current, wasm_sha256, true)
}

/// [`decode`] of a file whose `header` was already read, skipping the
/// checksum when `verify` is false (for a file known verified and unchanged
/// since, see `crate::verified`).
pub(crate) fn decode_with(
    bytes: &[u8],
    header: Header,
    current: &Fingerprint,
    wasm_sha256: Option<&[u8; 32]>,
    verify: bool,
) -> Result<Decoded, Rejection> {
    header.check_identity(current, wasm_sha256)?;
    if verify {
        verify_checksum(bytes, &header)?;
    }
    let section = |r: &Range<u64>| bytes.get(usize_range(r)?).ok_or(Rejection::Layout("section beyond the file"));
    let (Metadata { mut info, mut compiled, data_lens, image }, rest) =
        postcard::take_from_bytes::<Metadata>(section(&header.metadata)?).map_err(|e| Rejection::Metadata(e.to_string()))?;
    decode_tables(rest, &mut info, &mut compiled)?;
    let mut data = section(&header.data)?;
    let total = data_lens.iter().try_fold(0u64, |sum, &len| sum.checked_add(len));
    if data_lens.len() != info.data.len() || total != Some(data.len() as u64) {
        return Err(Rejection::Inconsistent("data segment lengths".into()));
    }
    for (segment, &len) in info.data.iter_mut().zip(&data_lens) {
        // In range: the lengths add up to the section's length.
        let (bytes, rest) = data.split_at(len as usize);
        segment.bytes = bytes.to_vec();
        data = rest;
    }
    let image_range = usize_range(&header.image)?;
    let image = match image {
        Some(layout) if layout.len == image_range.len() as u64 && info.data.is_empty() => Some((layout, image_range)),
        None if image_range.is_empty() => None,
        _ => return Err(Rejection::Inconsistent("memory image section".into())),
    };
    // Checked by `read_header`: both lie in the file.
    let code_range = usize_range(&header.code)?;
    let traps_range = usize_range(&header.traps)?;
    let addresses_range = usize_range(&header.addresses)?;
    Ok(Decoded { header, info, compiled, code_range, traps_range, addresses_range, image })
}

fn usize_range(r: &Range<u64>) -> Result<Range<usize>, Rejection> {
    let conv = |v: u64| usize::try_from(v).map_err(|_| Rejection::Layout("offset beyond the address space"));
    Ok(conv(r.start)?..conv(r.end)?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::key::ENGINE_VERSION;
    use engine::compile::{CodeRange, TrapSite};
    use engine::parse::types::{ConstExpr, ConstOp, DataMode, DataSegment, ElementItems, ElementMode, ElementSegment, RefType};
    use engine::{FuncType, TrapKind, ValType};

    pub(crate) fn fingerprint() -> Fingerprint {
        Fingerprint {
            engine_version: ENGINE_VERSION.to_string(),
            target: "x86_64-unknown-linux-gnu".into(),
            cpu_features: "has_avx2=true".into(),
            settings_hash: Fingerprint::hash_settings("opt_level=speed"),
        }
    }

    /// A module of three functions (one imported) with made-up code.
    pub(crate) fn sample() -> (ModuleInfo, CompiledCode, Vec<u8>) {
        let info = ModuleInfo {
            types: vec![
                FuncType { params: vec![ValType::I32], results: vec![ValType::I32] },
                FuncType { params: vec![], results: vec![] },
            ],
            functions: vec![1, 0, 0],
            num_imported_funcs: 1,
            data: vec![
                DataSegment { mode: DataMode::Passive, bytes: b"first segment".to_vec() },
                DataSegment { mode: DataMode::Passive, bytes: Vec::new() },
                DataSegment {
                    mode: DataMode::Active { memory: 0, offset: ConstExpr { ops: [ConstOp::I32Const(8)].into_iter().collect() } },
                    bytes: (0..=255).collect(),
                },
            ],
            func_names: vec![(1, "f".into()), (2, "g".into())],
            elements: vec![
                ElementSegment { mode: ElementMode::Passive, ty: RefType::FuncRef, items: ElementItems::Funcs(vec![1, 2, 1]) },
                ElementSegment {
                    mode: ElementMode::Declared,
                    ty: RefType::FuncRef,
                    items: ElementItems::Exprs(vec![ConstExpr {
                        ops: [ConstOp::RefNull(RefType::FuncRef)].into_iter().collect(),
                    }]),
                },
            ],
            ..ModuleInfo::default()
        };
        let code: Vec<u8> = (0..5000u32).map(|i| (i * 7 + 3) as u8).collect();
        let compiled = CompiledCode {
            code: Vec::new(),
            functions: vec![CodeRange { offset: 0, len: 100 }, CodeRange { offset: 128, len: 200 }],
            entry_trampolines: vec![CodeRange { offset: 400, len: 32 }, CodeRange { offset: 448, len: 32 }],
            host_trampolines: vec![CodeRange { offset: 512, len: 64 }, CodeRange { offset: 576, len: 64 }],
            traps: vec![
                TrapSite { offset: 10, kind: TrapKind::Unreachable },
                TrapSite { offset: 150, kind: TrapKind::MemoryOutOfBounds },
            ],
            addresses: vec![(10, 77), (150, 91), (170, 95)],
            body_starts: vec![60, 85],
        };
        (info, compiled, code)
    }

    pub(crate) fn encode_sample(wasm_sha: [u8; 32]) -> Vec<u8> {
        let (info, compiled, code) = sample();
        let fp = fingerprint();
        let mut out = Vec::new();
        let len = encode(
            &mut out,
            &ArtifactRef {
                fingerprint: &fp,
                wasm_sha256: wasm_sha,
                info: &info,
                compiled: &compiled,
                code: &code,
                traps: &TrapTable::from_sites(&compiled.traps),
                addresses: &AddressMap::from_entries(&compiled.addresses),
                image: None,
            },
        )
        .unwrap();
        assert_eq!(len, out.len() as u64);
        out
    }

    #[test]
    fn round_trip() {
        let bytes = encode_sample([7; 32]);
        assert!(is_artifact(&bytes));
        let d = decode(&bytes, &fingerprint(), Some(&[7; 32])).unwrap();
        let (info, mut compiled, code) = sample();
        assert_eq!(d.info, info);
        assert_eq!(&bytes[d.traps_range.clone()], TrapTable::from_sites(&compiled.traps).bytes());
        assert_eq!(&bytes[d.addresses_range.clone()], AddressMap::from_entries(&compiled.addresses).bytes());
        compiled.traps.clear();
        compiled.addresses.clear();
        assert_eq!(d.compiled, compiled);
        assert_eq!(&bytes[d.code_range.clone()], &code[..]);
        assert!(d.image.is_none());
        assert_eq!(d.code_range.start as u64 % CODE_ALIGN, 0);
        assert_eq!(d.code_range.end, bytes.len());
        assert_eq!(d.header.fingerprint, fingerprint());
        // Without a wasm hash to compare (an artifact named on the command line).
        assert!(decode(&bytes, &fingerprint(), None).is_ok());
    }

    #[test]
    fn image_round_trip() {
        let (mut info, compiled, code) = sample();
        info.data.clear();
        let layout = ImageLayout { mem_offset: 65536, len: 2 * 65536, segments: 4 };
        let contents: Vec<u8> = (0..layout.len).map(|i| (i % 251) as u8).collect();
        let fp = fingerprint();
        let traps = TrapTable::from_sites(&compiled.traps);
        let addresses = AddressMap::default();
        let artifact = |image| ArtifactRef {
            fingerprint: &fp,
            wasm_sha256: [7; 32],
            info: &info,
            compiled: &compiled,
            code: &code,
            traps: &traps,
            addresses: &addresses,
            image,
        };
        let mut out = Vec::new();
        encode(&mut out, &artifact(Some((layout, &contents[..])))).unwrap();
        let d = decode(&out, &fp, Some(&[7; 32])).unwrap();
        let (l, range) = d.image.clone().unwrap();
        assert_eq!(l, layout);
        assert_eq!(range.start as u64 % CODE_ALIGN, 0);
        assert_eq!(&out[range], &contents[..]);
        assert_eq!(&out[d.code_range.clone()], &code[..]);
        assert_eq!(d.code_range.start as u64 % CODE_ALIGN, 0);
        // A layout that does not match its bytes is never written.
        let short = ImageLayout { len: 65536, ..layout };
        assert!(encode(&mut Vec::new(), &artifact(Some((short, &contents[..])))).is_err());
        // Unsorted trap tables neither.
        let unsorted = TrapTable::from_sites(&[
            TrapSite { offset: 9, kind: TrapKind::Unreachable },
            TrapSite { offset: 3, kind: TrapKind::Unreachable },
        ]);
        assert!(encode(&mut Vec::new(), &ArtifactRef { traps: &unsorted, ..artifact(None) }).is_err());
    }

    #[test]
    fn chunked_checksum_streams_and_splits_alike() {
        // Lengths around the chunk size, in pieces of awkward sizes.
        for len in [0, 1, CHECKSUM_CHUNK - 1, CHECKSUM_CHUNK, CHECKSUM_CHUNK + 1, 5 * CHECKSUM_CHUNK + 77] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let mut s = ChunkedSum::default();
            for piece in bytes.chunks(70_001) {
                s.update(piece);
            }
            assert_eq!(s.finish(), checksum(&bytes), "length {len}");
        }
        assert_ne!(checksum(&[0; 10]), checksum(&[0; 11]));
    }

    #[test]
    fn encoding_is_deterministic() {
        assert_eq!(encode_sample([1; 32]), encode_sample([1; 32]));
    }

    #[test]
    fn empty_code_section() {
        let info = ModuleInfo::default();
        let compiled = CompiledCode::default();
        let fp = fingerprint();
        let mut out = Vec::new();
        encode(
            &mut out,
            &ArtifactRef {
                fingerprint: &fp,
                wasm_sha256: [0; 32],
                info: &info,
                compiled: &compiled,
                code: &[],
                traps: &TrapTable::default(),
                addresses: &AddressMap::default(),
                image: None,
            },
        )
        .unwrap();
        let d = decode(&out, &fp, Some(&[0; 32])).unwrap();
        assert!(d.code_range.is_empty());
        assert_eq!(d.info, info);
    }

    #[test]
    fn every_truncation_is_rejected() {
        let bytes = encode_sample([7; 32]);
        // Every prefix length near the structure's boundaries, and a spread
        // of the others.
        let d = decode(&bytes, &fingerprint(), None).unwrap();
        let mut lens: Vec<usize> = (0..FIXED_HEADER_LEN + 64).collect();
        lens.extend((0..bytes.len()).step_by(97));
        lens.extend([d.code_range.start - 1, d.code_range.start, d.code_range.start + 1, bytes.len() - 1]);
        for len in lens {
            let r = decode(&bytes[..len], &fingerprint(), None);
            assert!(r.is_err(), "prefix of {len} bytes accepted");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(decode(&longer, &fingerprint(), None), Err(Rejection::Length { .. })));
        assert_eq!(decode(&[], &fingerprint(), None).unwrap_err(), Rejection::Empty);
    }

    #[test]
    fn every_flipped_bit_is_rejected() {
        let bytes = encode_sample([7; 32]);
        // Every bit of the header and metadata, and a spread over the code.
        let code_start = decode(&bytes, &fingerprint(), None).unwrap().code_range.start;
        let metadata_end = read_header(&bytes).unwrap().metadata.end as usize;
        let positions = (0..metadata_end).chain((metadata_end..bytes.len()).step_by(61)).chain([code_start, bytes.len() - 1]);
        for pos in positions {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[pos] ^= 1 << bit;
                assert!(decode(&b, &fingerprint(), Some(&[7; 32])).is_err(), "flipping bit {bit} of byte {pos} went unnoticed");
            }
        }
    }

    #[test]
    fn code_corruption_is_a_checksum_failure() {
        let mut bytes = encode_sample([7; 32]);
        let start = decode(&bytes, &fingerprint(), None).unwrap().code_range.start;
        bytes[start + 123] ^= 0x10;
        assert_eq!(decode(&bytes, &fingerprint(), None).unwrap_err(), Rejection::Checksum);
    }

    #[test]
    fn identity_mismatches_are_named() {
        let bytes = encode_sample([7; 32]);
        let field = |fp: &Fingerprint, w: Option<&[u8; 32]>| match decode(&bytes, fp, w) {
            Err(Rejection::Mismatch { field, .. }) => field,
            other => panic!("expected a mismatch, got {other:?}"),
        };
        assert_eq!(field(&fingerprint(), Some(&[8; 32])), "wasm module");
        let mut fp = fingerprint();
        fp.engine_version = "0.0.0+old".into();
        assert_eq!(field(&fp, None), "engine build");
        let mut fp = fingerprint();
        fp.target = "aarch64-unknown-linux-gnu".into();
        assert_eq!(field(&fp, None), "target");
        let mut fp = fingerprint();
        fp.cpu_features = "has_avx2=false".into();
        assert_eq!(field(&fp, None), "set of CPU features");
        let mut fp = fingerprint();
        fp.settings_hash = Fingerprint::hash_settings("opt_level=none");
        assert_eq!(field(&fp, None), "compiler settings");
    }

    #[test]
    fn other_versions_and_wasm_are_recognised() {
        let mut bytes = encode_sample([7; 32]);
        assert!(!is_artifact(b"\0asm\x01\0\0\0"));
        assert_eq!(decode(b"\0asm\x01\0\0\0", &fingerprint(), None).unwrap_err(), Rejection::BadMagic);
        bytes[8] = 99;
        assert_eq!(decode(&bytes, &fingerprint(), None).unwrap_err(), Rejection::Version { found: 99 });
    }

    /// Recomputes the checksum after a deliberate change, as a buggy or
    /// hostile writer would.
    fn reseal(bytes: &mut [u8]) {
        let sum = checksum(&bytes[CHECKSUMMED_FROM..]);
        bytes[24..40].copy_from_slice(&sum.to_le_bytes());
    }

    #[test]
    fn resealed_damage_never_panics() {
        // Past the checksum, every structural check must still hold: decode
        // each single-byte change of the header, metadata, data and trap
        // sections with a valid checksum; any outcome but a panic is fine.
        let bytes = encode_sample([7; 32]);
        let end = read_header(&bytes).unwrap().traps.end as usize;
        for pos in CHECKSUMMED_FROM..end {
            for v in [0x00, 0x01, 0x80, 0xFF] {
                let mut b = bytes.clone();
                b[pos] ^= v;
                reseal(&mut b);
                let _ = decode(&b, &fingerprint(), Some(&[7; 32]));
            }
        }
    }

    #[test]
    fn resealed_bad_sections_are_rejected() {
        let bytes = encode_sample([7; 32]);
        let h = read_header(&bytes).unwrap();
        // A trap section that is not a whole number of sites.
        let mut b = bytes.clone();
        let traps_len_field = 104 + 2 * 16 + 8;
        let len = u64::from_le_bytes(b[traps_len_field..traps_len_field + 8].try_into().unwrap());
        assert_eq!(len, h.traps.end - h.traps.start);
        b[traps_len_field..traps_len_field + 8].copy_from_slice(&(len - 1).to_le_bytes());
        reseal(&mut b);
        assert!(matches!(decode(&b, &fingerprint(), None), Err(Rejection::Layout(_))));
        // A data section one byte shorter than its segments.
        let mut b = bytes.clone();
        let data_len_field = 40 + 32 + 32 + 16 + 8;
        let len = u64::from_le_bytes(b[data_len_field..data_len_field + 8].try_into().unwrap());
        b[data_len_field..data_len_field + 8].copy_from_slice(&(len - 1).to_le_bytes());
        reseal(&mut b);
        assert!(matches!(decode(&b, &fingerprint(), None), Err(Rejection::Layout(_))));
    }
}
