//! Compiles a whole module into one position-independent code blob.
//!
//! Every defined function is translated and compiled on its own (in
//! parallel with rayon, one Cranelift `Context` per worker); the results are
//! gathered in index order, so the output is deterministic. Functions and
//! trampolines are then laid out in one buffer, direct calls between
//! functions are patched PC-relative, and trap sites are collected relative
//! to the start of the blob.

use super::artifact::{CodeRange, CompiledCode, TrapSite};
use super::trampolines::{entry_trampoline, host_trampoline};
use crate::parse::types::ModuleInfo;
use crate::translate::{translate_function_with, Codegen, FUNC_NAMESPACE};
use crate::vm::trap::TrapKind;
use crate::Error;
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{self, ExternalName};
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::{Context, FinalizedRelocTarget};
use cranelift_frontend::FunctionBuilderContext;
use rayon::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What to compile.
#[derive(Copy, Clone, Debug)]
enum Job {
    /// Defined function (index among defined functions).
    Func(u32),
    /// Entry trampoline for a type-section entry.
    Entry(u32),
    /// Host trampoline for a type-section entry.
    Host(u32),
}

/// Where a relocation points.
#[derive(Copy, Clone, Debug)]
enum Target {
    /// Start of a defined function.
    Func(u32),
    /// An offset inside the function containing the relocation.
    SelfOffset(u32),
}

#[derive(Debug)]
struct Relocation {
    offset: u32,
    kind: Reloc,
    target: Target,
    addend: i64,
}

/// Machine code of one function before linking.
struct Compiled {
    code: Vec<u8>,
    alignment: u32,
    relocs: Vec<Relocation>,
    traps: Vec<(u32, TrapKind)>,
    /// (offset in this function's code, wasm module offset), see
    /// `address_map`.
    addresses: Vec<(u32, u32)>,
}

/// Per-worker state reused across functions.
struct Worker {
    ctx: Context,
    builder: FunctionBuilderContext,
}

impl Worker {
    fn new() -> Worker {
        Worker { ctx: Context::new(), builder: FunctionBuilderContext::new() }
    }
}

/// Compiles every defined function of a valid module plus the trampolines of
/// every type into one position-independent [`CompiledCode`].
pub fn compile_module(isa: &dyn TargetIsa, info: &ModuleInfo, wasm: &[u8], parallel: bool) -> Result<CompiledCode, Error> {
    compile_module_with_progress(isa, info, wasm, parallel, Codegen::default(), None)
}

/// Reports `(jobs done, total jobs)` (functions and trampolines), from any
/// worker thread, after each one is compiled.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// [`compile_module`] that also reports its progress (for a progress bar).
pub fn compile_module_with_progress(
    isa: &dyn TargetIsa,
    info: &ModuleInfo,
    wasm: &[u8],
    parallel: bool,
    codegen: Codegen,
    progress: Option<Progress<'_>>,
) -> Result<CompiledCode, Error> {
    if info.bodies.len() != info.num_defined_funcs() as usize {
        return Err(Error::Compile {
            func: None,
            message: format!("{} function bodies for {} defined functions", info.bodies.len(), info.num_defined_funcs()),
        });
    }
    let n_types = u32::try_from(info.types.len()).map_err(|_| Error::Compile { func: None, message: "too many types".into() })?;
    let jobs: Vec<Job> = (0..info.num_defined_funcs())
        .map(Job::Func)
        .chain((0..n_types).map(Job::Entry))
        .chain((0..n_types).map(Job::Host))
        .collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let run = |w: &mut Worker, job: &Job| {
        let r = compile_job(w, isa, info, wasm, codegen, *job);
        if let Some(report) = progress {
            report(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, jobs.len());
        }
        r
    };
    let results: Vec<Result<Compiled, Error>> = if parallel {
        jobs.par_iter().map_init(Worker::new, run).collect()
    } else {
        let mut w = Worker::new();
        jobs.iter().map(|j| run(&mut w, j)).collect()
    };
    let compiled = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    link(info, compiled, n_types as usize)
}

fn compile_job(
    w: &mut Worker,
    isa: &dyn TargetIsa,
    info: &ModuleInfo,
    wasm: &[u8],
    codegen: Codegen,
    job: Job,
) -> Result<Compiled, Error> {
    let func_index = match job {
        Job::Func(d) => Some(info.num_imported_funcs.saturating_add(d)),
        _ => None,
    };
    let err = |message: String| Error::Compile { func: func_index, message };
    // Cranelift reports problems as errors, but a bug on either side can
    // still surface as a panic; a module must never take the process down.
    catch_unwind(AssertUnwindSafe(|| {
        let func = match job {
            Job::Func(d) => translate_function_with(&mut w.builder, isa, info, d, wasm, codegen)?,
            Job::Entry(t) | Job::Host(t) => {
                let ty = info.types.get(t as usize).ok_or_else(|| err(format!("no type {t}")))?;
                match job {
                    Job::Entry(_) => entry_trampoline(&mut w.builder, isa, ty, t),
                    _ => host_trampoline(&mut w.builder, isa, ty, t),
                }
            }
        };
        compile_function(&mut w.ctx, isa, func, job).map_err(err)
    }))
    .unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        // The context may be left inconsistent by the panic.
        *w = Worker::new();
        Err(err(format!("code generator panicked: {what}")))
    })
}

/// Runs Cranelift on `func` and extracts code, relocations and trap sites.
fn compile_function(ctx: &mut Context, isa: &dyn TargetIsa, func: ir::Function, job: Job) -> Result<Compiled, String> {
    ctx.clear();
    ctx.func = func;
    ctx.compile(isa, &mut ControlPlane::default()).map_err(|e| format!("{:?}", e.inner))?;
    let compiled = ctx.compiled_code().ok_or("no compiled code")?;
    let buffer = &compiled.buffer;
    let code = buffer.data().to_vec();
    let alignment = buffer.alignment;
    let mut traps = Vec::with_capacity(buffer.traps().len());
    for t in buffer.traps() {
        let kind =
            TrapKind::from_trap_code(t.code).ok_or_else(|| format!("unexpected trap code {} at {:#x}", t.code, t.offset))?;
        traps.push((t.offset, kind));
    }
    // The wasm offset each trap site and call came from (the translator
    // sets every operator's offset as the source location).
    let srclocs = buffer.get_srclocs_sorted();
    let wasm_offset = |at: u32| {
        let i = srclocs.partition_point(|s| s.end <= at);
        srclocs.get(i).filter(|s| s.start <= at && !s.loc.is_default()).map(|s| s.loc.bits())
    };
    let mut addresses: Vec<(u32, u32)> = traps.iter().filter_map(|&(at, _)| Some((at, wasm_offset(at)?))).collect();
    addresses.extend(buffer.call_sites().filter_map(|c| {
        let at = c.ret_addr.checked_sub(1)?;
        Some((at, wasm_offset(at)?))
    }));
    addresses.sort_unstable();
    addresses.dedup_by_key(|a| a.0);
    let mut relocs = Vec::new();
    for r in buffer.relocs() {
        let target = match &r.target {
            FinalizedRelocTarget::ExternalName(ExternalName::User(name)) => {
                let name = &ctx.func.params.user_named_funcs()[*name];
                if name.namespace != FUNC_NAMESPACE || matches!(job, Job::Entry(_) | Job::Host(_)) {
                    return Err(format!("unexpected relocation target {name:?}"));
                }
                Target::Func(name.index)
            }
            FinalizedRelocTarget::Func(off) => Target::SelfOffset(*off),
            other => return Err(format!("unsupported relocation target {other:?}")),
        };
        relocs.push(Relocation { offset: r.offset, kind: r.kind, target, addend: r.addend });
    }
    Ok(Compiled { code, alignment, relocs, traps, addresses })
}

fn align_to(offset: usize, align: usize) -> usize {
    offset.div_ceil(align) * align
}

/// Lays out everything in one buffer and resolves calls.
fn link(info: &ModuleInfo, compiled: Vec<Compiled>, n_types: usize) -> Result<CompiledCode, Error> {
    let n_funcs = compiled.len() - 2 * n_types;
    let mut code: Vec<u8> = Vec::new();
    let mut ranges = Vec::with_capacity(compiled.len());
    for c in &compiled {
        let start = align_to(code.len(), (c.alignment as usize).max(16));
        code.resize(start, 0);
        code.extend_from_slice(&c.code);
        let offset = u32::try_from(start);
        let len = u32::try_from(c.code.len());
        match (offset, len, u32::try_from(code.len())) {
            (Ok(offset), Ok(len), Ok(_)) => ranges.push(CodeRange { offset, len }),
            _ => return Err(Error::Compile { func: None, message: "module code exceeds 4 GiB".into() }),
        }
    }
    let mut traps = Vec::new();
    let mut addresses = Vec::new();
    for (i, c) in compiled.iter().enumerate() {
        let base = ranges[i].offset;
        let func_index = (i < n_funcs).then(|| info.num_imported_funcs.saturating_add(i as u32));
        let err = |message: String| Error::Compile { func: func_index, message };
        for r in &c.relocs {
            let site = base as i64 + r.offset as i64;
            let target = match r.target {
                Target::Func(d) => {
                    ranges
                        .get(d as usize)
                        .filter(|_| (d as usize) < n_funcs)
                        .ok_or_else(|| err(format!("call to unknown defined function {d}")))?
                        .offset as i64
                }
                Target::SelfOffset(o) => base as i64 + o as i64,
            };
            patch(&mut code, r.kind, site, target + r.addend).map_err(err)?;
        }
        traps.extend(c.traps.iter().map(|(off, kind)| TrapSite { offset: base + off, kind: *kind }));
        addresses.extend(c.addresses.iter().map(|(off, wasm)| (base + off, *wasm)));
    }
    traps.sort_by_key(|t| t.offset);
    // Functions are laid out in order and each one's entries are sorted.
    addresses.sort_unstable_by_key(|a| a.0);
    let body_starts = info.bodies.iter().map(|b| b.range.start as u32).collect();
    let entry_trampolines = ranges[n_funcs..n_funcs + n_types].to_vec();
    let host_trampolines = ranges[n_funcs + n_types..].to_vec();
    ranges.truncate(n_funcs);
    Ok(CompiledCode { code, functions: ranges, entry_trampolines, host_trampolines, traps, addresses, body_starts })
}

/// Writes a PC-relative reference to `target` at `site`.
fn patch(code: &mut [u8], kind: Reloc, site: i64, target: i64) -> Result<(), String> {
    let at = usize::try_from(site).map_err(|_| "relocation outside the code".to_string())?;
    match kind {
        // x86-64 `call rel32`: the displacement is relative to the site
        // (the addend already accounts for the end of the instruction).
        Reloc::X86CallPCRel4 | Reloc::X86PCRel4 => {
            let delta = i32::try_from(target - site).map_err(|_| "call displacement exceeds 32 bits".to_string())?;
            let bytes = code.get_mut(at..at + 4).ok_or("relocation outside the code")?;
            bytes.copy_from_slice(&delta.to_le_bytes());
            Ok(())
        }
        // AArch64 `bl imm26`: word offset in the low 26 bits.
        Reloc::Arm64Call => {
            let delta = target - site;
            if delta % 4 != 0 || !(-(1 << 27)..(1 << 27)).contains(&delta) {
                return Err(format!("call displacement {delta} out of range"));
            }
            let bytes = code.get_mut(at..at + 4).ok_or("relocation outside the code")?;
            let mut insn = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            insn = (insn & !0x03ff_ffff) | (((delta >> 2) as u32) & 0x03ff_ffff);
            bytes.copy_from_slice(&insn.to_le_bytes());
            Ok(())
        }
        other => Err(format!("unsupported relocation kind {other:?}")),
    }
}
