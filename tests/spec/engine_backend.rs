//! faasm-engine as a backend, through its public API only (the same one
//! embedders use), so the suite tests what users get.

use crate::backend::{Backend, Failure};
use crate::spectest;
use crate::values::Value;
use engine::{
    Engine, Error, Extern, FuncType, Global, GlobalType, Instance, Linker, Memory, MemoryType, Module, RefType, Store, Table,
    TableType, TrapReason, Val, ValType,
};

pub struct FaasmEngine {
    engine: Engine,
    store: Store,
    linker: Linker,
}

impl Backend for FaasmEngine {
    type Module = Module;
    type Instance = Instance;

    fn new() -> Result<Self, String> {
        let engine = Engine::default();
        let mut store = Store::new(&engine);
        let mut linker = Linker::new();
        define_spectest(&mut store, &mut linker).map_err(|e| e.to_string())?;
        Ok(FaasmEngine { engine, store, linker })
    }

    fn compile(&mut self, wasm: &[u8]) -> Result<Module, Failure> {
        Module::new(&self.engine, wasm).map_err(failure)
    }

    fn instantiate(&mut self, module: &Module) -> Result<Instance, Failure> {
        self.linker.instantiate(&mut self.store, module).map_err(failure)
    }

    fn register(&mut self, name: &str, instance: &Instance) -> Result<(), Failure> {
        self.linker.instance(&self.store, name, *instance);
        Ok(())
    }

    fn invoke(&mut self, instance: &Instance, func: &str, args: &[Value]) -> Result<Vec<Value>, Failure> {
        let f = instance.get_func(&self.store, func).ok_or_else(|| Failure::Other(format!("no exported function \"{func}\"")))?;
        let params = args.iter().map(to_val).collect::<Result<Vec<_>, _>>()?;
        let results = f.call(&mut self.store, &params).map_err(failure)?;
        results.iter().map(from_val).collect()
    }

    fn get(&mut self, instance: &Instance, global: &str) -> Result<Value, Failure> {
        match instance.get_export(&self.store, global) {
            Some(Extern::Global(g)) => from_val(&g.get(&self.store)),
            Some(_) => Err(Failure::Other(format!("export \"{global}\" is not a global"))),
            None => Err(Failure::Other(format!("no exported global \"{global}\""))),
        }
    }
}

fn failure(e: Error) -> Failure {
    match e {
        Error::Malformed { .. } => Failure::Malformed(e.to_string()),
        Error::Invalid { .. } => Failure::Invalid(e.to_string()),
        Error::Link(_) => Failure::Unlinkable(e.to_string()),
        // The spec's wording is the trap kind's text; the backtrace and the
        // "wasm trap:" prefix of `Trap`'s Display are not part of it.
        Error::Trap(t) => match t.reason {
            TrapReason::Wasm(kind) => Failure::Trap(kind.to_string()),
            _ => Failure::Trap(t.to_string()),
        },
        other => Failure::Other(other.to_string()),
    }
}

/// Script `ref.extern n` values become host handles `n + 1`: the engine
/// reserves handle 0 (it is never a valid externref), scripts use 0 freely.
fn to_val(v: &Value) -> Result<Val, Failure> {
    Ok(match v {
        Value::I32(x) => Val::I32(*x),
        Value::I64(x) => Val::I64(*x),
        Value::F32(b) => Val::F32(*b),
        Value::F64(b) => Val::F64(*b),
        Value::V128(b) => Val::V128(*b),
        Value::FuncRef(None) => Val::FuncRef(None),
        Value::FuncRef(Some(())) => return Err(Failure::Other("scripts cannot pass a non-null funcref".into())),
        Value::ExternRef(None) => Val::ExternRef(None),
        Value::ExternRef(Some(n)) => Val::ExternRef(Some(u64::from(*n) + 1)),
    })
}

fn from_val(v: &Val) -> Result<Value, Failure> {
    Ok(match v {
        Val::I32(x) => Value::I32(*x),
        Val::I64(x) => Value::I64(*x),
        Val::F32(b) => Value::F32(*b),
        Val::F64(b) => Value::F64(*b),
        Val::V128(b) => Value::V128(*b),
        Val::FuncRef(f) => Value::FuncRef(f.map(|_| ())),
        Val::ExternRef(None) => Value::ExternRef(None),
        Val::ExternRef(Some(h)) => match h.checked_sub(1).and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Value::ExternRef(Some(n)),
            None => return Err(Failure::Other(format!("externref handle {h} was not created by the script"))),
        },
    })
}

fn define_spectest(store: &mut Store, linker: &mut Linker) -> Result<(), Error> {
    for (name, params) in spectest::PRINT_FUNCS {
        let params = params
            .iter()
            .map(|t| match t {
                spectest::Ty::I32 => ValType::I32,
                spectest::Ty::I64 => ValType::I64,
                spectest::Ty::F32 => ValType::F32,
                spectest::Ty::F64 => ValType::F64,
            })
            .collect();
        let ty = FuncType { params, results: Vec::new() };
        linker.func_new("spectest", name, ty, |_, _, _| Ok(()));
    }
    let globals = [
        ("global_i32", ValType::I32, Val::I32(spectest::GLOBAL_I32)),
        ("global_i64", ValType::I64, Val::I64(spectest::GLOBAL_I64)),
        ("global_f32", ValType::F32, Val::F32(spectest::global_f32_bits())),
        ("global_f64", ValType::F64, Val::F64(spectest::global_f64_bits())),
    ];
    for (name, ty, v) in globals {
        let g = Global::new(store, GlobalType { ty, mutable: false }, v)?;
        linker.define("spectest", name, Extern::Global(g));
    }
    let table = Table::new(
        store,
        TableType { elem: RefType::FuncRef, min: spectest::TABLE_MIN, max: Some(spectest::TABLE_MAX) },
        Val::FuncRef(None),
    )?;
    linker.define("spectest", "table", Extern::Table(table));
    let memory = Memory::new(store, MemoryType { min: spectest::MEMORY_MIN, max: Some(spectest::MEMORY_MAX) })?;
    linker.define("spectest", "memory", Extern::Memory(memory));
    Ok(())
}
