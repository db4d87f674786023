//! The module description every later stage works from.
//!
//! `parse` fills a [`ModuleInfo`] from the wasm bytes; `validate` checks it,
//! `translate` and `compile` read it, `instantiate` builds instances from it,
//! and `objcache` stores it (hence `serde`) so that a cache hit needs neither
//! the parser nor the validator. Index spaces follow the spec: imported
//! entities come first, then the module's own definitions.

use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A WebAssembly value type: the numeric and vector types, the two
/// reference types of 2.0, and the typed references of 3.0 (typed function
/// references: non-nullable or to a concrete function type).
///
/// `FuncRef` and `ExternRef` are `(ref null func)` and `(ref null extern)`;
/// `Ref` holds every other reference type, never those two (build
/// reference types with [`ValType::reference`] to keep that so), so that
/// equal types compare equal.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    V128,
    FuncRef,
    ExternRef,
    Ref(TypedRef),
}

/// A reference type beyond 2.0's: see [`ValType`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TypedRef {
    pub nullable: bool,
    pub heap: HeapType,
}

/// What a reference points to. Only the function-reference heap types:
/// GC's abstract types are not supported.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HeapType {
    Func,
    Extern,
    /// The function type at this index of the module's type section.
    Concrete(u32),
    /// An engine-wide signature id (`Engine::signature_id`): only in the
    /// engine's signature registry, where types of different modules must
    /// be compared; never in a module's own types.
    Engine(u32),
}

impl ValType {
    /// The reference type `(ref null? heap)`, in canonical form.
    pub fn reference(nullable: bool, heap: HeapType) -> ValType {
        match (nullable, heap) {
            (true, HeapType::Func) => ValType::FuncRef,
            (true, HeapType::Extern) => ValType::ExternRef,
            _ => ValType::Ref(TypedRef { nullable, heap }),
        }
    }

    /// `(nullable, heap type)` of a reference type; `None` for the others.
    pub fn as_reference(self) -> Option<(bool, HeapType)> {
        match self {
            ValType::FuncRef => Some((true, HeapType::Func)),
            ValType::ExternRef => Some((true, HeapType::Extern)),
            ValType::Ref(r) => Some((r.nullable, r.heap)),
            _ => None,
        }
    }

    /// Subtyping between types in engine-wide form (`HeapType::Engine`,
    /// see `Module::engine_type`), as linking needs it: equal, or
    /// references with compatible nullability whose heap types match
    /// (`Engine(id) <: func`, equal ids). Type indices of a module
    /// (`Concrete`) match nothing but themselves here.
    pub fn matches_across_modules(self, b: ValType) -> bool {
        if self == b {
            return true;
        }
        let (Some((a_null, a_heap)), Some((b_null, b_heap))) = (self.as_reference(), b.as_reference()) else {
            return false;
        };
        (!a_null || b_null)
            && match (a_heap, b_heap) {
                (HeapType::Func, HeapType::Func) | (HeapType::Extern, HeapType::Extern) => true,
                (HeapType::Engine(_), HeapType::Func) => true,
                (HeapType::Engine(x), HeapType::Engine(y)) => x == y,
                _ => false,
            }
    }

    pub fn is_reference(self) -> bool {
        self.as_reference().is_some()
    }

    /// Whether a local of this type can start without a value (all but
    /// the non-nullable references).
    pub fn is_defaultable(self) -> bool {
        !matches!(self, ValType::Ref(TypedRef { nullable: false, .. }))
    }

    /// The 2.0 type with the same run-time representation: function
    /// references of any kind are `funcref` pointers, extern references
    /// `externref` handles. What the translator, the runtime and the host
    /// API see.
    pub fn erased(self) -> ValType {
        match self {
            ValType::Ref(TypedRef { heap: HeapType::Extern, .. }) => ValType::ExternRef,
            ValType::Ref(_) => ValType::FuncRef,
            other => other,
        }
    }

    /// The type's name in the text format, as error messages show it
    /// (typed references: see the `Display` impl).
    pub fn name(self) -> &'static str {
        match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
            ValType::Ref(_) => "ref",
        }
    }
}

impl std::fmt::Display for ValType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValType::Ref(r) => {
                f.write_str(if r.nullable { "(ref null " } else { "(ref " })?;
                match r.heap {
                    HeapType::Func => f.write_str("func")?,
                    HeapType::Extern => f.write_str("extern")?,
                    HeapType::Concrete(i) => write!(f, "{i}")?,
                    HeapType::Engine(i) => write!(f, "<signature {i}>")?,
                }
                f.write_str(")")
            }
            other => f.write_str(other.name()),
        }
    }
}

/// The element type of a table or segment: the two reference types of
/// 2.0, or a typed reference (see [`ValType`]; never `(ref null func)` or
/// `(ref null extern)`, which are `FuncRef` and `ExternRef`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RefType {
    FuncRef,
    ExternRef,
    Typed(TypedRef),
}

impl RefType {
    /// The 2.0 reference type with the same run-time representation.
    pub fn erased(self) -> RefType {
        match self {
            RefType::Typed(TypedRef { heap: HeapType::Extern, .. }) => RefType::ExternRef,
            RefType::Typed(_) => RefType::FuncRef,
            other => other,
        }
    }
}

impl From<RefType> for ValType {
    fn from(r: RefType) -> ValType {
        match r {
            RefType::FuncRef => ValType::FuncRef,
            RefType::ExternRef => ValType::ExternRef,
            RefType::Typed(t) => ValType::Ref(t),
        }
    }
}

impl TryFrom<ValType> for RefType {
    type Error = ValType;

    /// The element type for a reference value type; the type itself back
    /// if it is not a reference.
    fn try_from(t: ValType) -> Result<RefType, ValType> {
        match t {
            ValType::FuncRef => Ok(RefType::FuncRef),
            ValType::ExternRef => Ok(RefType::ExternRef),
            ValType::Ref(r) => Ok(RefType::Typed(r)),
            other => Err(other),
        }
    }
}

/// A function signature.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FuncType {
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

impl FuncType {
    /// The same type with every concrete heap type `(ref null? i)`
    /// replaced by `(ref null? f(i))`: for comparing types across type
    /// index spaces (the validator's type equivalence, the engine's
    /// signature registry).
    pub fn map_concrete(&self, f: impl Fn(u32) -> HeapType) -> FuncType {
        let map = |t: &ValType| match *t {
            ValType::Ref(TypedRef { nullable, heap: HeapType::Concrete(i) }) => ValType::reference(nullable, f(i)),
            other => other,
        };
        FuncType { params: self.params.iter().map(map).collect(), results: self.results.iter().map(map).collect() }
    }

    /// Whether a type refers to other types (typed function references).
    pub fn has_concrete(&self) -> bool {
        self.params.iter().chain(&self.results).any(|t| matches!(t, ValType::Ref(TypedRef { heap: HeapType::Concrete(_), .. })))
    }
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
                write!(f, "{t}")?;
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
    /// Integer arithmetic of extended constant expressions (WebAssembly
    /// 3.0): pops two operands, pushes the result. Last, so that the
    /// serialised form of the other ops is unchanged.
    Arith(ConstArith),
}

/// The operators extended constant expressions add (all wrapping).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConstArith {
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
}

impl ConstArith {
    /// The type of both operands and of the result.
    pub fn ty(self) -> ValType {
        match self {
            ConstArith::I32Add | ConstArith::I32Sub | ConstArith::I32Mul => ValType::I32,
            ConstArith::I64Add | ConstArith::I64Sub | ConstArith::I64Mul => ValType::I64,
        }
    }

    /// Applies the operator to operands given as their low 64 bits (an
    /// `i32` in the low half). An `i32` result comes back zero-extended,
    /// the form `ValRaw::i32` stores.
    pub fn apply(self, x: u64, y: u64) -> u64 {
        let (a, b) = (x as u32, y as u32);
        match self {
            ConstArith::I32Add => u64::from(a.wrapping_add(b)),
            ConstArith::I32Sub => u64::from(a.wrapping_sub(b)),
            ConstArith::I32Mul => u64::from(a.wrapping_mul(b)),
            ConstArith::I64Add => x.wrapping_add(y),
            ConstArith::I64Sub => x.wrapping_sub(y),
            ConstArith::I64Mul => x.wrapping_mul(y),
        }
    }
}

/// A constant expression: a short sequence of [`ConstOp`]s leaving one value.
/// Almost always one op (wasm 2.0 allows nothing else; extended constant
/// expressions are rare), held inline: a
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
    /// Initial element of each defined (non-imported) table, in order:
    /// `None` for null (the only choice in 2.0), else the constant
    /// expression of a 3.0 table definition.
    pub table_inits: Vec<Option<ConstExpr>>,
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
