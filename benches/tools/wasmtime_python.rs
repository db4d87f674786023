//! The comparison runtime for our CPython build: wasmtime 48 (a
//! dev-dependency) with a dynamic loader written against wasmtime's API, so
//! that the same python.wasm and the same side modules can be run under
//! both engines — for CPython's regression tests (the pass/fail counts must
//! agree, `scripts/cpython-regrtest.sh`) and for benchmarks.
//!
//!     wasmtime-python [--dir HOST::GUEST]... [--dir-ro HOST::GUEST]... [--env K=V]... MODULE [ARGS...]
//!
//! The loader follows the same tool-conventions ABI as `loader/` (memory
//! through the guest's malloc, table slots reused for functions already in
//! the table, GOT entries, data relocations, constructors) but keeps only
//! what CPython's extensions need: no RTLD_GLOBAL scope, no `needed`
//! libraries, no dlclose. It is a measuring instrument, not part of the
//! product. Compiled side modules are cached beside the serialized main
//! module in `$WASMTIME_PYTHON_CACHE` (default target/wasmtime-python-cache),
//! as a wasmtime user would cache them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use wasmtime::error::Context;
use wasmtime::{bail, format_err as anyhow, Result};
use wasmtime::{
    Caller, Config, Engine, Extern, Func, FuncType, Global, GlobalType, Instance, Linker, Module, Mutability, Ref, Store, Val,
    ValType,
};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

struct Lib {
    exports: HashMap<String, Extern>,
    memory_base: u32,
}

#[derive(Default)]
struct Dl {
    main: Option<Instance>,
    main_exports: HashMap<String, Extern>,
    libs: Vec<Lib>,
    by_path: HashMap<PathBuf, usize>,
    /// Funcref identity (wasmtime's raw pointer) -> table slot.
    slots: HashMap<usize, u32>,
    scanned: bool,
    error: Option<String>,
    /// (guest prefix, host directory), longest first.
    mounts: Vec<(String, PathBuf)>,
    cache: PathBuf,
}

struct Host {
    wasi: WasiP1Ctx,
    dl: Dl,
}

fn cached_module(engine: &Engine, cache: &Path, bytes: &[u8]) -> Result<Module> {
    use sha2::Digest;
    let key: String = sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    let path = cache.join(format!("{key}.cwasm"));
    if path.is_file() {
        // SAFETY: files in this cache are written below by this same wasmtime
        // build from `Module::serialize`, keyed by the wasm's hash.
        if let Ok(m) = unsafe { Module::deserialize_file(engine, &path) } {
            return Ok(m);
        }
    }
    let m = Module::new(engine, bytes)?;
    std::fs::create_dir_all(cache)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, m.serialize()?)?;
    std::fs::rename(&tmp, &path)?;
    Ok(m)
}

fn host_path(dl: &Dl, guest: &str) -> Result<PathBuf> {
    for (prefix, host) in &dl.mounts {
        let rest = match guest.strip_prefix(prefix.as_str()) {
            Some(r) if r.is_empty() || r.starts_with('/') || prefix.ends_with('/') => r.trim_start_matches('/'),
            _ => continue,
        };
        let p = host.join(rest).canonicalize().context("cannot open shared object file")?;
        if !p.starts_with(host.canonicalize()?) {
            bail!("outside the granted directories");
        }
        return Ok(p);
    }
    bail!("outside the granted directories")
}

fn c_string(caller: &mut Caller<'_, Host>, ptr: u32) -> Result<String> {
    let mem = caller.get_export("memory").and_then(Extern::into_memory).ok_or_else(|| anyhow!("no memory"))?;
    let data = mem.data(&caller);
    let tail = data.get(ptr as usize..).ok_or_else(|| anyhow!("pointer out of bounds"))?;
    let len = tail.iter().position(|&b| b == 0).ok_or_else(|| anyhow!("unterminated string"))?;
    Ok(String::from_utf8_lossy(&tail[..len]).into_owned())
}

fn call_i32(caller: &mut Caller<'_, Host>, f: &Func, args: &[Val]) -> Result<i32> {
    let mut r = [Val::I32(0)];
    f.call(&mut *caller, args, &mut r)?;
    r[0].i32().ok_or_else(|| anyhow!("not an i32"))
}

fn main_export(caller: &Caller<'_, Host>, name: &str) -> Result<Extern> {
    caller.data().dl.main_exports.get(name).cloned().ok_or_else(|| anyhow!("main module exports no {name}"))
}

fn slot_of(caller: &mut Caller<'_, Host>, f: Func) -> Result<u32> {
    let table = main_export(caller, "__indirect_function_table")?.into_table().ok_or_else(|| anyhow!("no table"))?;
    if !caller.data().dl.scanned {
        let size = table.size(&*caller) as u32;
        let mut found = Vec::new();
        for i in 0..size {
            if let Some(Ref::Func(Some(g))) = table.get(&mut *caller, i.into()) {
                found.push((g.to_raw(&mut *caller) as usize, i));
            }
        }
        let dl = &mut caller.data_mut().dl;
        for (k, i) in found {
            dl.slots.entry(k).or_insert(i);
        }
        dl.scanned = true;
    }
    let key = f.to_raw(&mut *caller) as usize;
    if let Some(&i) = caller.data().dl.slots.get(&key) {
        return Ok(i);
    }
    let i = table.grow(&mut *caller, 1, Ref::Func(Some(f)))? as u32;
    caller.data_mut().dl.slots.insert(key, i);
    Ok(i)
}

fn symbol(caller: &Caller<'_, Host>, name: &str) -> Option<(Extern, u32)> {
    let dl = &caller.data().dl;
    if let Some(e) = dl.main_exports.get(name) {
        return Some((e.clone(), 0));
    }
    dl.libs.iter().find_map(|l| l.exports.get(name).map(|e| (e.clone(), l.memory_base)))
}

/// Reads the `dylink.0` memory info: (mem_size, mem_align, table_size, table_align).
fn mem_info(wasm: &[u8]) -> Result<(u32, u32, u32, u32)> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CustomSection(c) = payload? {
            if c.name() == "dylink.0" {
                let mut r = wasmparser::BinaryReader::new(c.data(), 0);
                while !r.eof() {
                    let kind = r.read_u8()?;
                    let len = r.read_var_u32()? as usize;
                    let body = r.read_bytes(len)?;
                    if kind == 1 {
                        let mut b = wasmparser::BinaryReader::new(body, 0);
                        return Ok((b.read_var_u32()?, b.read_var_u32()?, b.read_var_u32()?, b.read_var_u32()?));
                    }
                }
            }
        }
    }
    bail!("no dylink.0 memory info")
}

fn dlopen(caller: &mut Caller<'_, Host>, guest: &str) -> Result<u32> {
    if caller.data().dl.main.is_none() {
        bail!("no main module");
    }
    let path = host_path(&caller.data().dl, guest)?;
    if let Some(&i) = caller.data().dl.by_path.get(&path) {
        return Ok(i as u32 + 2);
    }
    let bytes = std::fs::read(&path)?;
    let (mem_size, mem_align, table_size, table_align) = mem_info(&bytes)?;
    let module = cached_module(caller.engine(), &caller.data().dl.cache, &bytes)?;

    let malloc = main_export(caller, "malloc")?.into_func().ok_or_else(|| anyhow!("no malloc"))?;
    let align = 1u32 << mem_align;
    let raw = call_i32(caller, &malloc, &[Val::I32((mem_size + align) as i32)])? as u32;
    if raw == 0 && mem_size > 0 {
        bail!("out of memory");
    }
    let memory_base = raw.next_multiple_of(align);
    let memory = main_export(caller, "memory")?.into_memory().ok_or_else(|| anyhow!("no memory"))?;
    memory.data_mut(&mut *caller)[memory_base as usize..(memory_base + mem_size) as usize].fill(0);
    let table = main_export(caller, "__indirect_function_table")?.into_table().ok_or_else(|| anyhow!("no table"))?;
    let old = table.size(&*caller) as u32;
    let table_base = old.next_multiple_of(1 << table_align);
    table.grow(&mut *caller, (table_base - old + table_size).into(), Ref::Func(None))?;

    let i32g = |caller: &mut Caller<'_, Host>, m: Mutability, v: u32| -> Result<Extern> {
        Ok(Global::new(&mut *caller, GlobalType::new(ValType::I32, m), Val::I32(v as i32))?.into())
    };
    let mut imports = Vec::new();
    let mut own = Vec::new();
    for imp in module.imports() {
        let (m, n) = (imp.module(), imp.name());
        let ext = match (m, n) {
            ("env", "memory") => memory.into(),
            ("env", "__indirect_function_table") => table.into(),
            ("env", "__stack_pointer") => main_export(caller, "__stack_pointer")?,
            ("env", "__memory_base") => i32g(caller, Mutability::Const, memory_base)?,
            ("env", "__table_base") => i32g(caller, Mutability::Const, table_base)?,
            ("GOT.mem", n) => match symbol(caller, n) {
                Some((Extern::Global(g), base)) => {
                    let v = g.get(&mut *caller).i32().unwrap_or(0) as u32;
                    i32g(caller, Mutability::Var, v.wrapping_add(base))?
                }
                _ => {
                    let g = i32g(caller, Mutability::Var, 0)?;
                    own.push((g.clone(), n.to_owned()));
                    g
                }
            },
            ("GOT.func", n) => match symbol(caller, n) {
                Some((Extern::Func(f), _)) => {
                    let slot = slot_of(caller, f)?;
                    i32g(caller, Mutability::Var, slot)?
                }
                _ => {
                    let g = i32g(caller, Mutability::Var, 0)?;
                    own.push((g.clone(), n.to_owned()));
                    g
                }
            },
            (_, n) => match symbol(caller, n) {
                Some((e @ Extern::Func(_), _)) => e,
                _ => bail!("{guest}: undefined symbol: {n}"),
            },
        };
        imports.push(ext);
    }
    let instance = Instance::new(&mut *caller, &module, &imports)?;
    let exports: HashMap<String, Extern> =
        instance.exports(&mut *caller).map(|e| (e.name().to_owned(), e.into_extern())).collect::<Vec<_>>().into_iter().collect();
    for i in table_base..table_base + table_size {
        if let Some(Ref::Func(Some(f))) = table.get(&mut *caller, i.into()) {
            let k = f.to_raw(&mut *caller) as usize;
            caller.data_mut().dl.slots.entry(k).or_insert(i);
        }
    }
    for (g, name) in own {
        let v = match exports.get(&name) {
            Some(Extern::Func(f)) => slot_of(caller, *f)?,
            Some(Extern::Global(e)) => (e.get(&mut *caller).i32().unwrap_or(0) as u32).wrapping_add(memory_base),
            _ => bail!("{guest}: undefined symbol: {name}"),
        };
        if let Extern::Global(g) = g {
            g.set(&mut *caller, Val::I32(v as i32))?;
        }
    }
    for init in ["__wasm_apply_data_relocs", "__wasm_call_ctors"] {
        if let Some(Extern::Func(f)) = exports.get(init) {
            f.call(&mut *caller, &[], &mut [])?;
        }
    }
    let dl = &mut caller.data_mut().dl;
    dl.libs.push(Lib { exports, memory_base });
    dl.by_path.insert(path, dl.libs.len() - 1);
    Ok(dl.libs.len() as u32 + 1)
}

fn dlsym(caller: &mut Caller<'_, Host>, handle: u32, name: &str) -> Result<u32> {
    let lib = handle.checked_sub(2).and_then(|i| caller.data().dl.libs.get(i as usize)).ok_or_else(|| anyhow!("bad handle"))?;
    match lib.exports.get(name).cloned() {
        Some(Extern::Func(f)) => slot_of(caller, f),
        Some(Extern::Global(g)) => {
            let base = lib.memory_base;
            Ok((g.get(&mut *caller).i32().unwrap_or(0) as u32).wrapping_add(base))
        }
        _ => bail!("undefined symbol: {name}"),
    }
}

fn set_error(caller: &mut Caller<'_, Host>, e: wasmtime::Error) -> i32 {
    caller.data_mut().dl.error = Some(format!("{e:#}"));
    0
}

fn define_dl(linker: &mut Linker<Host>, engine: &Engine) -> Result<()> {
    use ValType::I32;
    let t = |p: &[ValType], r: &[ValType]| FuncType::new(engine, p.iter().cloned(), r.iter().cloned());
    linker.func_new("env", "dlopen", t(&[I32, I32], &[I32]), |mut c, args, res| {
        let r = c_string(&mut c, args[0].unwrap_i32() as u32).and_then(|p| dlopen(&mut c, &p));
        res[0] = Val::I32(r.map(|h| h as i32).unwrap_or_else(|e| set_error(&mut c, e)));
        Ok(())
    })?;
    linker.func_new("env", "dlsym", t(&[I32, I32], &[I32]), |mut c, args, res| {
        let h = args[0].unwrap_i32() as u32;
        let r = c_string(&mut c, args[1].unwrap_i32() as u32).and_then(|n| dlsym(&mut c, h, &n));
        res[0] = Val::I32(r.map(|v| v as i32).unwrap_or_else(|e| set_error(&mut c, e)));
        Ok(())
    })?;
    linker.func_new("env", "dlclose", t(&[I32], &[I32]), |_, _, res| {
        res[0] = Val::I32(0);
        Ok(())
    })?;
    linker.func_new("env", "dlerror", t(&[], &[I32]), |mut c, _, res| {
        let Some(msg) = c.data_mut().dl.error.take() else {
            res[0] = Val::I32(0);
            return Ok(());
        };
        let malloc = main_export(&c, "malloc")?.into_func().ok_or_else(|| anyhow!("no malloc"))?;
        let p = call_i32(&mut c, &malloc, &[Val::I32(msg.len() as i32 + 1)])? as usize;
        let mem = main_export(&c, "memory")?.into_memory().ok_or_else(|| anyhow!("no memory"))?;
        let data = mem.data_mut(&mut c);
        data[p..p + msg.len()].copy_from_slice(msg.as_bytes());
        data[p + msg.len()] = 0;
        res[0] = Val::I32(p as i32);
        Ok(())
    })?;
    Ok(())
}

fn main() -> Result<()> {
    let worker = std::thread::Builder::new().stack_size(64 << 20).spawn(run)?;
    let code = worker.join().map_err(|_| anyhow!("the guest thread panicked"))??;
    std::process::exit(code)
}

fn run() -> Result<i32> {
    let mut args = std::env::args().skip(1).peekable();
    let mut wasi = WasiCtxBuilder::new();
    wasi.inherit_stdio();
    let mut mounts = Vec::new();
    while let Some(a) = args.peek().cloned() {
        let ro = match a.as_str() {
            "--dir" => false,
            "--dir-ro" => true,
            "--env" => {
                args.next();
                let kv = args.next().ok_or_else(|| anyhow!("--env needs K=V"))?;
                let (k, v) = kv.split_once('=').ok_or_else(|| anyhow!("--env needs K=V"))?;
                wasi.env(k, v);
                continue;
            }
            _ => break,
        };
        args.next();
        let spec = args.next().ok_or_else(|| anyhow!("{a} needs HOST::GUEST"))?;
        let (host, guest) = spec.split_once("::").unwrap_or((&spec, &spec));
        wasi.preopened_dir(host, guest, if ro { FsPerms::ReadOnly } else { FsPerms::ReadWrite })?;
        mounts.push((guest.trim_end_matches('/').to_owned(), PathBuf::from(host)));
    }
    mounts.sort_by_key(|(g, _)| std::cmp::Reverse(g.len()));
    let module_path =
        args.next().ok_or_else(|| anyhow!("usage: wasmtime-python [--dir[-ro] H::G]... [--env K=V]... MODULE [ARGS...]"))?;
    let guest_args: Vec<String> = std::iter::once(module_path.clone()).chain(args).collect();
    wasi.args(&guest_args);

    let mut config = Config::new();
    config.max_wasm_stack(16 << 20).async_stack_size(17 << 20).memory_init_cow(true);
    let engine = Engine::new(&config)?;
    let cache = std::env::var_os("WASMTIME_PYTHON_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/wasmtime-python-cache"));
    let module = cached_module(&engine, &cache, &std::fs::read(&module_path).with_context(|| module_path.clone())?)?;
    let mut linker: Linker<Host> = Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |h: &mut Host| &mut h.wasi)?;
    define_dl(&mut linker, &engine)?;
    let dl = Dl { mounts, cache, ..Dl::default() };
    let mut store = Store::new(&engine, Host { wasi: wasi.build_p1(), dl });
    let instance = linker.instantiate(&mut store, &module)?;
    let exports: Vec<(String, Extern)> = instance.exports(&mut store).map(|e| (e.name().to_owned(), e.into_extern())).collect();
    store.data_mut().dl.main_exports = exports.into_iter().collect();
    store.data_mut().dl.main = Some(instance);
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
    match start.call(&mut store, ()) {
        Ok(()) => Ok(0),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => Ok(exit.0),
            None => Err(e),
        },
    }
}
