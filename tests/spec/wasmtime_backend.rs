//! wasmtime 48 as a backend: the oracle that shows the driver itself is
//! right (it should pass the whole suite), selected with
//! `SPEC_BACKEND=wasmtime`.
//!
//! Two things wasmtime's API does not tell us are reconstructed here:
//! - Malformed versus invalid: wasmtime returns one error for both. A module
//!   wasmtime rejects is classified by [`decode_only`], a pure decoding pass
//!   (wasmparser as a reader, plus the binary format's structural rules
//!   that wasmparser leaves to its validator): if decoding fails the module
//!   is malformed, otherwise invalid.
//! - Link errors versus other instantiation failures: wasmtime's link errors
//!   are plain errors whose text starts with the spec's own wording
//!   ("unknown import", "incompatible import type"); traps are typed.
//!   (`Linker::instantiate_pre` would separate linking cleanly, but it checks
//!   imported memories and tables against their size when they were
//!   registered rather than their current size, which the spec requires.)

use crate::backend::{Backend, Failure};
use crate::spectest;
use crate::values::Value;
use wasmparser::{ElementItems, ElementKind, Imports, Operator, Payload, TableInit, WasmFeatures};
use wasmtime::{
    Config, Engine, ExternRef, Func, FuncType, Global, GlobalType, Instance, Linker, Memory, MemoryType, Module, Mutability,
    RefType, Store, Table, TableType, Trap, Val, ValType, V128,
};

pub struct Wasmtime {
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
}

impl Backend for Wasmtime {
    type Module = Module;
    type Instance = Instance;

    fn new() -> Result<Self, String> {
        let mut config = Config::new();
        // Exactly what faasm-engine implements (WebAssembly 2.0 with
        // fixed-width SIMD, and the 3.0 parts of `driver::supported_features`):
        // other proposals make some of the suite's invalid modules valid.
        config.wasm_features(WasmFeatures::all(), false);
        config.wasm_features(crate::driver::supported_features(), true);
        config.wasm_component_model(false);
        let engine = Engine::new(&config).map_err(|e| format!("{e:?}"))?;
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        linker.allow_shadowing(true);
        define_spectest(&mut store, &mut linker).map_err(|e| format!("{e:?}"))?;
        Ok(Wasmtime { engine, store, linker })
    }

    fn compile(&mut self, wasm: &[u8]) -> Result<Module, Failure> {
        match Module::new(&self.engine, wasm) {
            Ok(m) => Ok(m),
            Err(e) => {
                let msg = format!("{e:#}");
                match decode_only(wasm) {
                    Err(decode) => Err(Failure::Malformed(format!("{decode} (wasmtime: {msg})"))),
                    Ok(()) => Err(Failure::Invalid(msg)),
                }
            }
        }
    }

    fn instantiate(&mut self, module: &Module) -> Result<Instance, Failure> {
        self.linker.instantiate(&mut self.store, module).map_err(|e| {
            let msg = format!("{e:#}");
            if e.downcast_ref::<Trap>().is_none()
                && (msg.starts_with("unknown import") || msg.starts_with("incompatible import type"))
            {
                Failure::Unlinkable(msg)
            } else {
                error(e)
            }
        })
    }

    fn register(&mut self, name: &str, instance: &Instance) -> Result<(), Failure> {
        self.linker.instance(&mut self.store, name, *instance).map(|_| ()).map_err(|e| Failure::Other(format!("{e:#}")))
    }

    fn invoke(&mut self, instance: &Instance, func: &str, args: &[Value]) -> Result<Vec<Value>, Failure> {
        let f =
            instance.get_func(&mut self.store, func).ok_or_else(|| Failure::Other(format!("no exported function \"{func}\"")))?;
        let params = args.iter().map(|a| self.wasmtime_val(a)).collect::<Result<Vec<_>, _>>()?;
        let n_results = f.ty(&self.store).results().len();
        let mut results = vec![Val::I32(0); n_results];
        f.call(&mut self.store, &params, &mut results).map_err(error)?;
        results.iter().map(|v| self.script_value(v)).collect()
    }

    fn get(&mut self, instance: &Instance, global: &str) -> Result<Value, Failure> {
        let g = instance
            .get_global(&mut self.store, global)
            .ok_or_else(|| Failure::Other(format!("no exported global \"{global}\"")))?;
        let v = g.get(&mut self.store);
        self.script_value(&v)
    }

    /// wasmtime has one trap code for "table index out of bounds", which the
    /// spec words "undefined element" for `call_indirect` and "out of bounds
    /// table access" for the table instructions; accept either for it.
    fn trap_matches(&self, actual: &str, expected: &str) -> bool {
        actual.starts_with(expected)
            || (actual == TABLE_OOB && expected == "undefined element")
            // wasmtime has one trap for every null reference, `call_ref`'s
            // included.
            || (actual == "null reference" && expected == "null function reference")
    }
}

const TABLE_OOB: &str = "out of bounds table access";

/// The spec's wording for a wasmtime trap code.
fn spec_trap_message(trap: &Trap) -> String {
    match trap {
        Trap::StackOverflow => "call stack exhausted".into(),
        Trap::MemoryOutOfBounds => "out of bounds memory access".into(),
        Trap::TableOutOfBounds => TABLE_OOB.into(),
        Trap::IndirectCallToNull => "uninitialized element".into(),
        Trap::BadSignature => "indirect call type mismatch".into(),
        Trap::IntegerOverflow => "integer overflow".into(),
        Trap::IntegerDivisionByZero => "integer divide by zero".into(),
        Trap::BadConversionToInteger => "invalid conversion to integer".into(),
        Trap::UnreachableCodeReached => "unreachable".into(),
        Trap::NullReference => "null reference".into(),
        other => format!("{other}"),
    }
}

fn error(e: wasmtime::Error) -> Failure {
    match e.downcast_ref::<Trap>() {
        Some(t) => Failure::Trap(spec_trap_message(t)),
        None => Failure::Other(format!("{e:#}")),
    }
}

impl Wasmtime {
    fn wasmtime_val(&mut self, v: &Value) -> Result<Val, Failure> {
        Ok(match v {
            Value::I32(x) => Val::I32(*x),
            Value::I64(x) => Val::I64(*x),
            Value::F32(b) => Val::F32(*b),
            Value::F64(b) => Val::F64(*b),
            Value::V128(b) => Val::V128(V128::from(*b)),
            Value::FuncRef(None) => Val::FuncRef(None),
            Value::FuncRef(Some(())) => return Err(Failure::Other("scripts cannot pass a non-null funcref".into())),
            Value::ExternRef(None) => Val::ExternRef(None),
            Value::ExternRef(Some(n)) => {
                Val::ExternRef(Some(ExternRef::new(&mut self.store, *n).map_err(|e| Failure::Other(format!("{e:#}")))?))
            }
        })
    }

    fn script_value(&self, v: &Val) -> Result<Value, Failure> {
        Ok(match v {
            Val::I32(x) => Value::I32(*x),
            Val::I64(x) => Value::I64(*x),
            Val::F32(b) => Value::F32(*b),
            Val::F64(b) => Value::F64(*b),
            Val::V128(b) => Value::V128(b.as_u128()),
            Val::FuncRef(f) => Value::FuncRef(f.map(|_| ())),
            Val::ExternRef(None) => Value::ExternRef(None),
            Val::ExternRef(Some(r)) => {
                let data = r.data(&self.store).map_err(|e| Failure::Other(format!("{e:#}")))?;
                match data.and_then(|d| d.downcast_ref::<u32>()) {
                    Some(n) => Value::ExternRef(Some(*n)),
                    None => return Err(Failure::Other("externref not created by the script".into())),
                }
            }
            other => return Err(Failure::Other(format!("value beyond WebAssembly 2.0: {other:?}"))),
        })
    }
}

fn define_spectest(store: &mut Store<()>, linker: &mut Linker<()>) -> wasmtime::Result<()> {
    let engine = store.engine().clone();
    for (name, params) in spectest::PRINT_FUNCS {
        let params = params.iter().map(|t| match t {
            spectest::Ty::I32 => ValType::I32,
            spectest::Ty::I64 => ValType::I64,
            spectest::Ty::F32 => ValType::F32,
            spectest::Ty::F64 => ValType::F64,
        });
        let ty = FuncType::new(&engine, params, []);
        let f = Func::new(&mut *store, ty, |_, _, _| Ok(()));
        linker.define(&mut *store, "spectest", name, f)?;
    }
    let globals = [
        ("global_i32", ValType::I32, Val::I32(spectest::GLOBAL_I32)),
        ("global_i64", ValType::I64, Val::I64(spectest::GLOBAL_I64)),
        ("global_f32", ValType::F32, Val::F32(spectest::global_f32_bits())),
        ("global_f64", ValType::F64, Val::F64(spectest::global_f64_bits())),
    ];
    for (name, t, v) in globals {
        let ty = GlobalType::new(t, Mutability::Const);
        let g = Global::new(&mut *store, ty, v)?;
        linker.define(&mut *store, "spectest", name, g)?;
    }
    let table = Table::new(
        &mut *store,
        TableType::new(RefType::FUNCREF, spectest::TABLE_MIN, Some(spectest::TABLE_MAX)),
        wasmtime::Ref::Func(None),
    )?;
    linker.define(&mut *store, "spectest", "table", table)?;
    let memory = Memory::new(&mut *store, MemoryType::new(spectest::MEMORY_MIN as u32, Some(spectest::MEMORY_MAX as u32)))?;
    linker.define(&mut *store, "spectest", "memory", memory)?;
    Ok(())
}

/// Decodes `wasm` without validating it: every section entry, constant
/// expression and function body is read, and the binary format's structural
/// rules are checked (section order, function/code and data-count/data
/// consistency, the data count section being required by `memory.init` and
/// `data.drop`). `Err` means the module is malformed.
pub fn decode_only(wasm: &[u8]) -> Result<(), String> {
    let mut parser = wasmparser::Parser::new(0);
    parser.set_features(crate::driver::supported_features());
    let mut last_rank = 0u8;
    let mut functions: u32 = 0;
    let mut code: u32 = 0;
    let mut data_count: Option<u32> = None;
    let mut data: u32 = 0;
    let mut uses_data_index = false;
    let e = |e: wasmparser::BinaryReaderError| e.message().to_string();
    for payload in parser.parse_all(wasm) {
        let payload = payload.map_err(e)?;
        // Rank of each non-custom section in the order the binary format
        // requires; each may occur at most once.
        let rank = match &payload {
            Payload::TypeSection(_) => 1,
            Payload::ImportSection(_) => 2,
            Payload::FunctionSection(_) => 3,
            Payload::TableSection(_) => 4,
            Payload::MemorySection(_) => 5,
            Payload::GlobalSection(_) => 6,
            Payload::ExportSection(_) => 7,
            Payload::StartSection { .. } => 8,
            Payload::ElementSection(_) => 9,
            Payload::DataCountSection { .. } => 10,
            Payload::CodeSectionStart { .. } => 11,
            Payload::DataSection(_) => 12,
            _ => 0,
        };
        if rank != 0 {
            if rank <= last_rank {
                return Err("unexpected content after last section (section out of order or repeated)".into());
            }
            last_rank = rank;
        }
        match payload {
            Payload::Version { .. } | Payload::End(_) | Payload::CustomSection(_) => {}
            Payload::TypeSection(r) => {
                for t in r {
                    t.map_err(e)?;
                }
            }
            Payload::ImportSection(r) => {
                for group in r {
                    match group.map_err(e)? {
                        Imports::Single(_, import) => {
                            if matches!(import.ty, wasmparser::TypeRef::Global(g) if g.shared) {
                                // As for a defined global, below.
                                return Err("malformed mutability".into());
                            }
                        }
                        Imports::Compact1 { items, .. } => {
                            for i in items {
                                i.map_err(e)?;
                            }
                        }
                        Imports::Compact2 { names, .. } => {
                            for n in names {
                                n.map_err(e)?;
                            }
                        }
                    }
                }
            }
            Payload::FunctionSection(r) => {
                functions = r.count();
                for f in r {
                    f.map_err(e)?;
                }
            }
            Payload::TableSection(r) => {
                for t in r {
                    if let TableInit::Expr(expr) = t.map_err(e)?.init {
                        read_expr(expr.get_operators_reader(), &mut uses_data_index).map_err(e)?;
                    }
                }
            }
            Payload::MemorySection(r) => {
                for m in r {
                    m.map_err(e)?;
                }
            }
            Payload::GlobalSection(r) => {
                for g in r {
                    let g = g.map_err(e)?;
                    if g.ty.shared {
                        // Shared-everything-threads' flag bit; without that
                        // proposal the mutability byte is malformed.
                        return Err("malformed mutability".into());
                    }
                    read_expr(g.init_expr.get_operators_reader(), &mut uses_data_index).map_err(e)?;
                }
            }
            Payload::ExportSection(r) => {
                for x in r {
                    x.map_err(e)?;
                }
            }
            Payload::StartSection { .. } => {}
            Payload::ElementSection(r) => {
                for el in r {
                    let el = el.map_err(e)?;
                    if let ElementKind::Active { offset_expr, .. } = el.kind {
                        read_expr(offset_expr.get_operators_reader(), &mut uses_data_index).map_err(e)?;
                    }
                    match el.items {
                        ElementItems::Functions(fs) => {
                            for f in fs {
                                f.map_err(e)?;
                            }
                        }
                        ElementItems::Expressions(_, exprs) => {
                            for x in exprs {
                                read_expr(x.map_err(e)?.get_operators_reader(), &mut uses_data_index).map_err(e)?;
                            }
                        }
                    }
                }
            }
            Payload::DataCountSection { count, .. } => data_count = Some(count),
            Payload::DataSection(r) => {
                data = r.count();
                for d in r {
                    if let wasmparser::DataKind::Active { offset_expr, .. } = d.map_err(e)?.kind {
                        read_expr(offset_expr.get_operators_reader(), &mut uses_data_index).map_err(e)?;
                    }
                }
            }
            Payload::CodeSectionStart { count, .. } => code = count,
            Payload::CodeSectionEntry(body) => {
                for l in body.get_locals_reader().map_err(e)? {
                    l.map_err(e)?;
                }
                read_expr(body.get_operators_reader().map_err(e)?, &mut uses_data_index).map_err(e)?;
            }
            _ => return Err("malformed section id".into()),
        }
    }
    if functions != code {
        return Err("function and code section have inconsistent lengths".into());
    }
    if let Some(n) = data_count {
        if n != data {
            return Err("data count and data section have inconsistent lengths".into());
        }
    } else if uses_data_index {
        return Err("data count section required".into());
    }
    Ok(())
}

fn read_expr(mut ops: wasmparser::OperatorsReader<'_>, uses_data_index: &mut bool) -> wasmparser::Result<()> {
    while !ops.eof() {
        if let Operator::MemoryInit { .. } | Operator::DataDrop { .. } = ops.read()? {
            *uses_data_index = true;
        }
    }
    ops.finish()
}
