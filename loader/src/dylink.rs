//! Reading the `dylink.0` custom section of a wasm side module.
//!
//! The WebAssembly tool-conventions (DynamicLinking.md) put this section
//! first in a side module: it says how much linear memory and how many
//! table slots the module needs (and their alignment), which libraries it
//! needs loaded first, and flags of its exports and imports (weak imports
//! may stay undefined). We read it from the raw bytes ourselves, before the
//! module is compiled, so that "not a side module" is reported without
//! compiling anything. Every read is bounds-checked: a truncated or
//! malformed section is an error, never a panic.

use crate::error::DlError;

/// The magic and version every wasm binary starts with.
const WASM_HEADER: [u8; 8] = *b"\0asm\x01\0\0\0";

const MEM_INFO: u8 = 1;
const NEEDED: u8 = 2;
const EXPORT_INFO: u8 = 3;
const IMPORT_INFO: u8 = 4;

/// `WASM_SYMBOL_BINDING_WEAK`: an undefined weak import resolves to null.
pub const SYMBOL_BINDING_WEAK: u32 = 0x1;
/// `WASM_SYMBOL_TLS`: a thread-local symbol (no threads here, see `link`).
pub const SYMBOL_TLS: u32 = 0x100;

/// What `dylink.0` says about one side module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DylinkInfo {
    /// Bytes of linear memory the module's data needs (`__memory_base`).
    pub mem_size: u32,
    /// log2 of the alignment of that memory.
    pub mem_align: u32,
    /// Table slots the module's element segments fill (`__table_base`).
    pub table_size: u32,
    /// log2 of the alignment of those slots.
    pub table_align: u32,
    /// Libraries to load before this one, by file name.
    pub needed: Vec<String>,
    /// (symbol, flags) of exports that carry flags.
    pub export_info: Vec<(String, u32)>,
    /// (module, field, flags) of imports that carry flags.
    pub import_info: Vec<(String, String, u32)>,
}

impl DylinkInfo {
    /// The flags `dylink.0` gives import `module.field` (0 when none).
    pub fn import_flags(&self, module: &str, field: &str) -> u32 {
        self.import_info.iter().find(|(m, f, _)| m == module && f == field).map_or(0, |(_, _, flags)| *flags)
    }
}

/// A cursor over a byte slice with the LEB128 and name reads wasm needs.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.bytes.get(self.pos).ok_or("unexpected end of the section")?;
        self.pos += 1;
        Ok(b)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let mut result: u64 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            result |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return u32::try_from(result).map_err(|_| "integer too large".to_owned());
            }
        }
        Err("integer representation too long".to_owned())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or("unexpected end of the section")?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn name(&mut self) -> Result<String, String> {
        let n = self.u32()? as usize;
        let s = self.take(n)?;
        String::from_utf8(s.to_vec()).map_err(|_| "a name is not valid UTF-8".to_owned())
    }

    fn count(&mut self) -> Result<usize, String> {
        let n = self.u32()? as usize;
        // Each entry takes at least one byte: a count larger than what is
        // left is malformed (and must not make us reserve memory for it).
        if n > self.bytes.len() - self.pos {
            return Err("a count exceeds the section's size".to_owned());
        }
        Ok(n)
    }
}

/// Checks the wasm header and reads the `dylink.0` section that must come
/// first. `path` only names the file in errors.
pub fn parse(path: &str, wasm: &[u8]) -> Result<DylinkInfo, DlError> {
    if wasm.len() < WASM_HEADER.len() || wasm[..8] != WASM_HEADER {
        return Err(DlError::NotWasm { path: path.to_owned() });
    }
    let mut r = Reader::new(&wasm[8..]);
    let malformed = |reason: String| DlError::Malformed { path: path.to_owned(), reason: format!("dylink.0: {reason}") };
    if r.at_end() {
        return Err(DlError::NoDylink { path: path.to_owned() });
    }
    let id = r.byte().map_err(malformed)?;
    if id != 0 {
        return Err(DlError::NoDylink { path: path.to_owned() });
    }
    let size = r.u32().map_err(malformed)? as usize;
    let body = r.take(size).map_err(|_| DlError::Malformed {
        path: path.to_owned(),
        reason: "the file is truncated inside its first section".to_owned(),
    })?;
    let mut s = Reader::new(body);
    let name = s.name().map_err(malformed)?;
    match name.as_str() {
        "dylink.0" => {}
        "dylink" => {
            return Err(DlError::Malformed {
                path: path.to_owned(),
                reason: "it has the old `dylink` section; rebuild it with clang 13 or newer (`dylink.0`)".to_owned(),
            })
        }
        _ => return Err(DlError::NoDylink { path: path.to_owned() }),
    }
    parse_subsections(&mut s).map_err(malformed)
}

fn parse_subsections(s: &mut Reader<'_>) -> Result<DylinkInfo, String> {
    let mut info = DylinkInfo::default();
    while !s.at_end() {
        let kind = s.byte()?;
        let len = s.u32()? as usize;
        let mut p = Reader::new(s.take(len)?);
        match kind {
            MEM_INFO => {
                info.mem_size = p.u32()?;
                info.mem_align = p.u32()?;
                info.table_size = p.u32()?;
                info.table_align = p.u32()?;
                if info.mem_align > 31 || info.table_align > 31 {
                    return Err("alignment exponent above 31".to_owned());
                }
            }
            NEEDED => {
                for _ in 0..p.count()? {
                    info.needed.push(p.name()?);
                }
            }
            EXPORT_INFO => {
                for _ in 0..p.count()? {
                    let name = p.name()?;
                    let flags = p.u32()?;
                    info.export_info.push((name, flags));
                }
            }
            IMPORT_INFO => {
                for _ in 0..p.count()? {
                    let module = p.name()?;
                    let field = p.name()?;
                    let flags = p.u32()?;
                    info.import_info.push((module, field, flags));
                }
            }
            // Later conventions may add subsections (e.g. runtime paths):
            // skipping what we do not know is what the conventions ask.
            _ => continue,
        }
        if !p.at_end() {
            return Err(format!("subsection {kind} has {} bytes left over", p.bytes.len() - p.pos));
        }
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leb(mut v: u32, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                break;
            }
            out.push(b | 0x80);
        }
    }

    fn name(s: &str, out: &mut Vec<u8>) {
        leb(s.len() as u32, out);
        out.extend_from_slice(s.as_bytes());
    }

    fn module_with(section_name: &str, subsections: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let mut body = Vec::new();
        name(section_name, &mut body);
        for (kind, payload) in subsections {
            body.push(*kind);
            leb(payload.len() as u32, &mut body);
            body.extend_from_slice(payload);
        }
        let mut wasm = WASM_HEADER.to_vec();
        wasm.push(0);
        leb(body.len() as u32, &mut wasm);
        wasm.extend(body);
        wasm
    }

    fn mem_info(mem: u32, malign: u32, table: u32, talign: u32) -> (u8, Vec<u8>) {
        let mut p = Vec::new();
        for v in [mem, malign, table, talign] {
            leb(v, &mut p);
        }
        (MEM_INFO, p)
    }

    #[test]
    fn reads_every_subsection() {
        let mut needed = Vec::new();
        leb(2, &mut needed);
        name("liba.so", &mut needed);
        name("libb.so", &mut needed);
        let mut exports = Vec::new();
        leb(1, &mut exports);
        name("tls_var", &mut exports);
        leb(SYMBOL_TLS, &mut exports);
        let mut imports = Vec::new();
        leb(1, &mut imports);
        name("env", &mut imports);
        name("maybe", &mut imports);
        leb(SYMBOL_BINDING_WEAK, &mut imports);
        let wasm = module_with(
            "dylink.0",
            &[mem_info(12736, 4, 64, 0), (NEEDED, needed), (EXPORT_INFO, exports), (IMPORT_INFO, imports), (9, vec![1, 2, 3])],
        );
        let info = parse("m.so", &wasm).unwrap();
        assert_eq!((info.mem_size, info.mem_align, info.table_size, info.table_align), (12736, 4, 64, 0));
        assert_eq!(info.needed, ["liba.so", "libb.so"]);
        assert_eq!(info.export_info, [("tls_var".to_owned(), SYMBOL_TLS)]);
        assert_eq!(info.import_flags("env", "maybe"), SYMBOL_BINDING_WEAK);
        assert_eq!(info.import_flags("env", "other"), 0);
    }

    #[test]
    fn refuses_what_is_not_a_side_module() {
        assert!(matches!(parse("x", b"\x7fELF\x02\x01\x01\0"), Err(DlError::NotWasm { .. })));
        assert!(matches!(parse("x", b"\0asm"), Err(DlError::NotWasm { .. })));
        assert!(matches!(parse("x", &WASM_HEADER), Err(DlError::NoDylink { .. })));
        // A type section first.
        let mut plain = WASM_HEADER.to_vec();
        plain.extend_from_slice(&[1, 1, 0]);
        assert!(matches!(parse("x", &plain), Err(DlError::NoDylink { .. })));
        // A custom section of another name first.
        let named = module_with("name", &[]);
        assert!(matches!(parse("x", &named), Err(DlError::NoDylink { .. })));
        let old = module_with("dylink", &[]);
        let err = parse("x", &old).unwrap_err().to_string();
        assert!(err.contains("old `dylink` section"), "{err}");
    }

    #[test]
    fn truncation_anywhere_is_an_error_not_a_panic() {
        let mut needed = Vec::new();
        leb(1, &mut needed);
        name("libz.so", &mut needed);
        let wasm = module_with("dylink.0", &[mem_info(100, 2, 3, 0), (NEEDED, needed)]);
        assert!(parse("x", &wasm).is_ok());
        for cut in 9..wasm.len() {
            let err = parse("x", &wasm[..cut]).unwrap_err();
            assert!(matches!(err, DlError::Malformed { .. }), "cut at {cut}: {err}");
        }
    }

    #[test]
    fn huge_counts_and_leftovers_are_malformed() {
        let mut needed = Vec::new();
        leb(u32::MAX, &mut needed);
        let wasm = module_with("dylink.0", &[(NEEDED, needed)]);
        assert!(parse("x", &wasm).unwrap_err().to_string().contains("count exceeds"));
        let (_, mut p) = mem_info(1, 0, 0, 0);
        p.push(7);
        let wasm = module_with("dylink.0", &[(MEM_INFO, p)]);
        assert!(parse("x", &wasm).unwrap_err().to_string().contains("left over"));
    }
}
