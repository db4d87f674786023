//! The module description every later stage works from.
//!
//! `parse` fills a [`ModuleInfo`] from the wasm bytes; `validate` checks it,
//! `translate` and `compile` read it, `instantiate` builds instances from it,
//! and `objcache` stores it (hence `serde`) so that a cache hit needs neither
//! the parser nor the validator. Index spaces follow the spec: imported
//! entities come first, then the module's own definitions.

use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A WebAssembly value type (2.0 + SIMD).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    V128,
    FuncRef,
    ExternRef,
}

impl ValType {
    /// The type's name in the text format, as error messages show it.
    pub fn name(self) -> &'static str {
        match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        }
    }
}

impl std::fmt::Display for ValType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The element type of a table or segment: the two reference types of 2.0.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RefType {
    FuncRef,
    ExternRef,
}

impl From<RefType> for ValType {
    fn from(r: RefType) -> ValType {
        match r {
            RefType::FuncRef => ValType::FuncRef,
            RefType::ExternRef => ValType::ExternRef,
        }
    }
}

/// A function signature.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FuncType {
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

/// `func [i32 i64] -> [f32]`, the form error messages use.
impl std::fmt::Display for FuncType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn list(f: &mut std::fmt::Formatter<'_>, types: &[ValType]) -> std::fmt::Result {
            f.write_str("[")?;
            for (i, t) in types.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                f.write_str(t.name())?;
            }
            f.write_str("]")
        }
        f.write_str("func ")?;
        list(f, &self.params)?;
        f.write_str(" -> ")?;
        list(f, &self.results)
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableType {
    pub elem: RefType,
    pub min: u32,
    pub max: Option<u32>,
}

/// Limits are in 64 KiB pages.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryType {
    pub min: u64,
    pub max: Option<u64>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlobalType {
    pub ty: ValType,
    pub mutable: bool,
}

/// One instruction of a constant expression (the `end` is implicit).
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ConstOp {
    I32Const(i32),
    I64Const(i64),
    /// Raw IEEE bits, so NaN payloads survive.
    F32Const(u32),
    F64Const(u64),
    V128Const(u128),
    RefNull(RefType),
    RefFunc(u32),
    GlobalGet(u32),
}

/// A constant expression: a short sequence of [`ConstOp`]s leaving one value.
/// Almost always one op (wasm 2.0 allows nothing else), held inline: a
/// module can have tens of thousands (CPython's function table has 5,902
/// `ref.func` items), and a heap allocation each made loading them from
/// the cache slow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConstExpr {
    pub ops: ConstOps,
}

/// The ops of a [`ConstExpr`].
pub type ConstOps = smallvec::SmallVec<[ConstOp; 1]>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportKind {
    /// Type index.
    Func(u32),
    Table(TableType),
    Memory(MemoryType),
    Global(GlobalType),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub kind: ImportKind,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExternKind {
    Func,
    Table,
    Memory,
    Global,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    pub name: String,
    pub kind: ExternKind,
    pub index: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ElementMode {
    Passive,
    Active { table: u32, offset: ConstExpr },
    Declared,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ElementSegment {
    pub mode: ElementMode,
    pub ty: RefType,
    pub items: ElementItems,
}

/// The items of an element segment.
///
/// Two forms, as in the binary format: a plain list of function indices
/// (each item `ref.func f`), or one constant expression per item. Function
/// lists stay lists all the way to instantiation, which writes them into
/// tables without evaluating anything, and through the compiled-code
/// cache, which stores them as integers (CPython's table: 5,902 functions).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ElementItems {
    /// `ref.func f` for each `f`.
    Funcs(Vec<u32>),
    /// Any constant expressions of the segment's type.
    Exprs(Vec<ConstExpr>),
}

impl ElementItems {
    pub fn len(&self) -> usize {
        match self {
            ElementItems::Funcs(f) => f.len(),
            ElementItems::Exprs(e) => e.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every item as a constant expression (function indices become
    /// `ref.func`), for the stages that treat both forms alike.
    pub fn exprs(&self) -> impl Iterator<Item = std::borrow::Cow<'_, ConstExpr>> + '_ {
        let (funcs, exprs) = match self {
            ElementItems::Funcs(f) => (f.as_slice(), &[][..]),
            ElementItems::Exprs(e) => (&[][..], e.as_slice()),
        };
        funcs
            .iter()
            .map(|&f| std::borrow::Cow::Owned(ConstExpr { ops: smallvec::smallvec![ConstOp::RefFunc(f)] }))
            .chain(exprs.iter().map(std::borrow::Cow::Borrowed))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum DataMode {
    Passive,
    Active { memory: u32, offset: ConstExpr },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSegment {
    pub mode: DataMode,
    pub bytes: Vec<u8>,
}

/// Where a defined function's body sits in the original wasm bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionBody {
    /// Byte range of the body (locals + code, without the size prefix).
    pub range: Range<usize>,
}

/// Everything about a module except compiled code.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModuleInfo {
    pub types: Vec<FuncType>,
    pub imports: Vec<Import>,
    /// Type index of every function, imported ones first.
    pub functions: Vec<u32>,
    pub tables: Vec<TableType>,
    pub memories: Vec<MemoryType>,
    pub globals: Vec<GlobalType>,
    /// Initialisers of the defined (non-imported) globals, in order.
    pub global_inits: Vec<ConstExpr>,
    pub exports: Vec<Export>,
    pub start: Option<u32>,
    pub elements: Vec<ElementSegment>,
    pub data: Vec<DataSegment>,
    pub data_count: Option<u32>,
    /// Bodies of the defined functions, in order (index = func index - num_imported_funcs).
    pub bodies: Vec<FunctionBody>,
    pub num_imported_funcs: u32,
    pub num_imported_tables: u32,
    pub num_imported_memories: u32,
    pub num_imported_globals: u32,
    /// Function names from the `name` custom section, sorted by index (for backtraces).
    pub func_names: Vec<(u32, String)>,
    /// Module name from the `name` section, if any.
    pub name: Option<String>,
}

impl ModuleInfo {
    /// The signature of function `index`.
    ///
    /// Only for a validated module (or one restored from the cache, which
    /// stores validated modules only) and an index below
    /// `functions.len()`: validation guarantees every entry of `functions`
    /// names an existing type, so the indexing cannot fail then.
    pub fn func_type(&self, index: u32) -> &FuncType {
        &self.types[self.functions[index as usize] as usize]
    }

    pub fn is_imported_func(&self, index: u32) -> bool {
        index < self.num_imported_funcs
    }

    pub fn num_defined_funcs(&self) -> u32 {
        self.functions.len() as u32 - self.num_imported_funcs
    }

    /// Name from the `name` section, for backtraces and error messages.
    pub fn func_name(&self, index: u32) -> Option<&str> {
        self.func_names
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()
            // `i` was just found by the search: in range.
            .map(|i| self.func_names[i].1.as_str())
    }
}
