//! Runs a WASI preview1 program on wasmtime 48 (the dev-dependency rival),
//! to compare with `faasm-engine run` on the same workload, e.g.
//!
//!     wasmtime_run workload/python3.wasm --dir examples::/w /w/perf_bench.py 100000
//!     faasm-engine run --dir examples::/w workload/python3.wasm /w/perf_bench.py 100000
//!
//! (perf_bench.py prints the in-guest time of its work loop, start-up
//! excluded.) Usage: `wasmtime_run MODULE.wasm [--dir HOST::GUEST]... [ARGS...]`.
//!
//! The compiled module is cached next to MODULE as `MODULE.cwasm`, so a
//! second run measures execution rather than compilation.

use anyhow::Context;
use wasmtime::{Config, Engine, Linker, Module, OptLevel, Store};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let wasm = args.next().context("usage: wasmtime_run MODULE.wasm [--dir HOST::GUEST]... [ARGS...]")?;
    let mut dirs = Vec::new();
    let mut guest_args = vec![wasm.clone()];
    let mut rest: Vec<String> = args.collect();
    while rest.first().map(String::as_str) == Some("--dir") {
        rest.remove(0);
        let d = rest.first().context("--dir needs HOST::GUEST")?.clone();
        rest.remove(0);
        let (h, g) = d.split_once("::").unwrap_or((d.as_str(), d.as_str()));
        dirs.push((h.to_string(), g.to_string()));
    }
    guest_args.extend(rest);

    let mut config = Config::new();
    config.cranelift_opt_level(OptLevel::Speed);
    let engine = Engine::new(&config)?;
    let cwasm = format!("{wasm}.cwasm");
    let module = match std::fs::metadata(&cwasm) {
        // SAFETY: the file was written by `serialize` below with this same
        // wasmtime build and configuration.
        Ok(_) => unsafe { Module::deserialize_file(&engine, &cwasm)? },
        Err(_) => {
            let m = Module::from_file(&engine, &wasm)?;
            std::fs::write(&cwasm, m.serialize()?)?;
            m
        }
    };
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    p1::add_to_linker_sync(&mut linker, |cx| cx)?;
    let mut b = WasiCtxBuilder::new();
    b.inherit_stdio().args(&guest_args);
    for (h, g) in &dirs {
        b.preopened_dir(h, g, FsPerms::ReadWrite)?;
    }
    let mut store = Store::new(&engine, b.build_p1());
    let instance = linker.instantiate(&mut store, &module)?;
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
    match start.call(&mut store, ()) {
        Ok(()) => Ok(()),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => std::process::exit(*code),
            None => Err(anyhow::anyhow!("{e:?}")),
        },
    }
}
