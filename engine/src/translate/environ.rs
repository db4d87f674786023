//! How wasm state maps onto the `VMContext` (layout in `vm::layout`).
//!
//! Everything compiled code reaches goes through the callee `vmctx`
//! parameter. The hottest things are one load from it, at offsets computed
//! per module (`VMOffsets`): each memory's base, each defined global's value
//! (stored inline), the pointers to imported globals and to tables.
//! Pointers that never change while an instance lives (memory bases,
//! `VMMemory`/`VMTable`/imported-global pointers, the header's arrays, type
//! ids, libcall addresses) are loaded once per function, lazily, at the end
//! of the entry block: the entry block dominates the whole body, so one load
//! serves every use. Values that can change (memory length, table base and
//! length, mutable globals) are loaded where they are used.

use super::error;
use crate::parse::types::ModuleInfo;
use crate::vm::layout::*;
use crate::vm::libcalls::Libcall;
use crate::vm::trap::TrapKind;
use crate::Error;
use cranelift_codegen::cursor::{Cursor, FuncCursor};
use cranelift_codegen::ir::{
    types, AbiParam, AliasRegion, AliasRegionData, Endianness, ExtFuncData, ExternalName, FuncRef, GlobalValueData, Inst,
    InstBuilder, MemFlagsData, SigRef, Signature, TrapCode, Type, UserExternalName, Value,
};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_frontend::FunctionBuilder;
use std::collections::HashMap;

/// Values loaded once in the entry block.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
enum Cached {
    /// A header field: `vmctx.funcs`, `.type_ids`, `.libcalls`.
    Field(i32),
    /// `*mut VMMemory` of memory i.
    MemoryPtr(u32),
    /// Base address of memory i.
    MemoryBase(u32),
    /// Storage of imported global i.
    GlobalPtr(u32),
    /// Value of immutable global i.
    GlobalValue(u32),
    /// `*mut VMTable` of table i.
    TablePtr(u32),
    /// Element array of table i, which has `max == min`.
    FixedTableBase(u32),
    /// Engine-wide signature id of type i.
    TypeId(u32),
    /// Address of a libcall.
    Libcall(u32),
    /// `(*vmctx.limits).interrupt`: the store's interrupt flag.
    InterruptFlag,
}

/// The part of translation that knows the `VMContext` layout.
pub(crate) struct Env<'a> {
    pub info: &'a ModuleInfo,
    pub isa: &'a dyn TargetIsa,
    pub ptr: Type,
    pub call_conv: CallConv,
    /// Function index (module index space), for error messages.
    pub func_index: u32,
    /// The callee vmctx parameter: our own instance.
    pub vmctx: Value,
    /// Where the module's inline `VMContext` area puts things.
    offsets: VMOffsets,
    /// The terminator of the entry block; cached loads go just before it.
    entry_jump: Option<Inst>,
    cache: HashMap<Cached, Value>,
    sigs: HashMap<u32, SigRef>,
    libcall_sigs: HashMap<Libcall, SigRef>,
    direct: HashMap<u32, FuncRef>,
    heap_region: Option<AliasRegion>,
    table_region: Option<AliasRegion>,
    global_region: Option<AliasRegion>,
    /// Whether the entry block checks the interrupt flag yet.
    entry_checked: bool,
    codegen: super::Codegen,
}

impl<'a> Env<'a> {
    pub fn new(
        isa: &'a dyn TargetIsa,
        info: &'a ModuleInfo,
        func_index: u32,
        vmctx: Value,
        codegen: super::Codegen,
    ) -> Result<Env<'a>, Error> {
        let offsets = module_offsets(info).ok_or_else(|| error(func_index, "too many memories, tables or globals"))?;
        Ok(Env {
            info,
            isa,
            ptr: isa.pointer_type(),
            call_conv: CallConv::triple_default(isa.triple()),
            func_index,
            vmctx,
            offsets,
            entry_jump: None,
            cache: HashMap::new(),
            sigs: HashMap::new(),
            libcall_sigs: HashMap::new(),
            direct: HashMap::new(),
            heap_region: None,
            table_region: None,
            global_region: None,
            entry_checked: false,
            codegen,
        })
    }

    pub fn err(&self, message: impl Into<String>) -> Error {
        error(self.func_index, message)
    }

    /// Declares the alias regions and the stack limit; called once, in the
    /// entry block.
    pub fn prologue(&mut self, b: &mut FunctionBuilder) -> Result<(), Error> {
        let mut region = |id: u32, name: &'static str| {
            Some(b.func.dfg.alias_regions.insert(AliasRegionData { user_id: id, description: name.into() }))
        };
        self.heap_region = region(0, "linear memory");
        self.table_region = region(1, "tables");
        self.global_region = region(2, "globals");

        // stack_limit = (*vmctx.limits).stack_limit, checked by Cranelift in
        // the prologue: frames that would go below it trap STACK_OVERFLOW.
        let flags = b
            .func
            .dfg
            .mem_flags
            .insert(MemFlagsData::trusted().with_readonly())
            .map_err(|_| self.err("too many memory flag sets"))?;
        let vmctx_gv = b.create_global_value(GlobalValueData::VMContext);
        let limits = b.create_global_value(GlobalValueData::Load {
            base: vmctx_gv,
            offset: VMCTX_LIMITS_OFFSET.into(),
            global_type: self.ptr,
            flags,
        });
        let stack_limit = b.create_global_value(GlobalValueData::Load {
            base: limits,
            offset: LIMITS_STACK_LIMIT_OFFSET.into(),
            global_type: self.ptr,
            flags,
        });
        b.func.stack_limit = Some(stack_limit);
        Ok(())
    }

    /// Traps `Interrupt` if the store's interrupt flag is set, here; emitted
    /// at every loop header (see `run::interrupt`). The flag's address is
    /// loaded once per function; the check itself is one load, a compare
    /// and a branch to an out-of-line trap. The load is atomic so that
    /// Cranelift never merges it with an earlier one (a plain load in a loop
    /// without stores would be forwarded from before the loop, and the loop
    /// would never see the flag change); on x86-64 an atomic 32-bit load is
    /// an ordinary `mov`.
    pub fn interrupt_check(&mut self, b: &mut FunctionBuilder) -> Result<(), Error> {
        if !self.codegen.interrupt_checks {
            return Ok(());
        }
        let flag_ptr = self.interrupt_flag_ptr(b)?;
        let flag = b.ins().atomic_load(types::I32, MemFlagsData::trusted(), flag_ptr);
        b.ins().trapnz(flag, TrapKind::Interrupt.to_trap_code());
        Ok(())
    }

    /// The same check at the function's entry, emitted (once) when the
    /// first call is translated. Only functions that call need it: work
    /// without end needs a loop (checked at its header) or a chain of calls
    /// without end, and every function in such a chain makes calls; a leaf
    /// function without loops always finishes, so it pays nothing.
    pub fn entry_interrupt_check(&mut self, b: &mut FunctionBuilder) -> Result<(), Error> {
        if self.entry_checked || !self.codegen.interrupt_checks {
            return Ok(());
        }
        self.entry_checked = true;
        let flag_ptr = self.interrupt_flag_ptr(b)?;
        let at = self.entry_jump.ok_or_else(|| self.err("entry block not set up"))?;
        let mut pos = FuncCursor::new(b.func).at_inst(at);
        let flag = pos.ins().atomic_load(types::I32, MemFlagsData::trusted(), flag_ptr);
        pos.ins().trapnz(flag, TrapKind::Interrupt.to_trap_code());
        Ok(())
    }

    fn interrupt_flag_ptr(&mut self, b: &mut FunctionBuilder) -> Result<Value, Error> {
        let limits = self.vmctx_field(b, VMCTX_LIMITS_OFFSET)?;
        self.entry_load(b, Cached::InterruptFlag, self.ptr, Self::readonly_flags(), limits, LIMITS_INTERRUPT_OFFSET)
    }

    /// Records the entry block's terminator, before which cached loads go.
    pub fn set_entry_jump(&mut self, inst: Inst) {
        self.entry_jump = Some(inst);
    }

    // ---- memory flags -------------------------------------------------

    /// Loads of runtime structures that never change while the instance lives.
    pub fn readonly_flags() -> MemFlagsData {
        MemFlagsData::trusted().with_readonly()
    }

    /// A linear-memory access: may fault (out of bounds), little-endian.
    pub fn heap_flags(&self) -> MemFlagsData {
        MemFlagsData::new()
            .with_endianness(Endianness::Little)
            .with_trap_code(Some(TrapCode::HEAP_OUT_OF_BOUNDS))
            .with_alias_region(self.heap_region)
    }

    /// Table metadata and elements (bounds already checked).
    pub fn table_flags(&self) -> MemFlagsData {
        MemFlagsData::trusted().with_alias_region(self.table_region)
    }

    /// Global storage.
    pub fn global_flags(&self) -> MemFlagsData {
        MemFlagsData::trusted().with_endianness(Endianness::Little).with_alias_region(self.global_region)
    }

    // ---- cached loads ---------------------------------------------------

    /// A load of `ty` from `base + offset` placed at the end of the entry
    /// block, so that it dominates every use.
    fn entry_load(
        &mut self,
        b: &mut FunctionBuilder,
        key: Cached,
        ty: Type,
        flags: MemFlagsData,
        base: Value,
        offset: i32,
    ) -> Result<Value, Error> {
        if let Some(v) = self.cache.get(&key) {
            return Ok(*v);
        }
        let at = self.entry_jump.ok_or_else(|| self.err("entry block not set up"))?;
        let mut pos = FuncCursor::new(b.func).at_inst(at);
        let v = pos.ins().load(ty, flags, base, offset);
        self.cache.insert(key, v);
        Ok(v)
    }

    fn vmctx_field(&mut self, b: &mut FunctionBuilder, offset: i32) -> Result<Value, Error> {
        let vmctx = self.vmctx;
        self.entry_load(b, Cached::Field(offset), self.ptr, Self::readonly_flags(), vmctx, offset)
    }

    /// Byte offset of element `index` in an array of `size`-byte entries.
    fn array_offset(&self, index: u32, size: i32) -> Result<i32, Error> {
        i32::try_from(index as i64 * size as i64).map_err(|_| self.err("index too large"))
    }

    /// `*mut VMMemory` of memory `mem`.
    pub fn memory_ptr(&mut self, b: &mut FunctionBuilder, mem: u32) -> Result<Value, Error> {
        let off = self.offsets.memory_ptr(mem).ok_or_else(|| self.err(format!("memory {mem} out of range")))?;
        let vmctx = self.vmctx;
        self.entry_load(b, Cached::MemoryPtr(mem), self.ptr, Self::readonly_flags(), vmctx, off)
    }

    /// Base address of memory `mem`; never moves (see `MEMORY_RESERVATION`).
    pub fn memory_base(&mut self, b: &mut FunctionBuilder, mem: u32) -> Result<Value, Error> {
        let off = self.offsets.memory_base(mem).ok_or_else(|| self.err(format!("memory {mem} out of range")))?;
        let vmctx = self.vmctx;
        self.entry_load(b, Cached::MemoryBase(mem), self.ptr, Self::readonly_flags(), vmctx, off)
    }

    /// Base and offset of global `g`'s storage: `(vmctx, off)` for a defined
    /// global (inline in the context), `(pointer, 0)` for an imported one.
    pub fn global_addr(&mut self, b: &mut FunctionBuilder, g: u32) -> Result<(Value, i32), Error> {
        match self.offsets.global(g).ok_or_else(|| self.err(format!("global {g} out of range")))? {
            GlobalSlot::Defined(off) => Ok((self.vmctx, off)),
            GlobalSlot::Imported(off) => {
                let vmctx = self.vmctx;
                let p = self.entry_load(b, Cached::GlobalPtr(g), self.ptr, Self::readonly_flags(), vmctx, off)?;
                Ok((p, 0))
            }
        }
    }

    /// Reads global `g` (immutable globals once per function).
    pub fn global_get(&mut self, b: &mut FunctionBuilder, g: u32) -> Result<Value, Error> {
        let gt = *self.info.globals.get(g as usize).ok_or_else(|| self.err(format!("global {g} out of range")))?;
        let ty = super::ir_type(gt.ty);
        let (p, off) = self.global_addr(b, g)?;
        if gt.mutable {
            Ok(b.ins().load(ty, self.global_flags(), p, off))
        } else {
            let flags = self.global_flags().with_readonly();
            self.entry_load(b, Cached::GlobalValue(g), ty, flags, p, off)
        }
    }

    pub fn global_set(&mut self, b: &mut FunctionBuilder, g: u32, v: Value) -> Result<(), Error> {
        let (p, off) = self.global_addr(b, g)?;
        b.ins().store(self.global_flags(), v, p, off);
        Ok(())
    }

    /// `*mut VMTable` of table `t`.
    pub fn table_ptr(&mut self, b: &mut FunctionBuilder, t: u32) -> Result<Value, Error> {
        let off = self.offsets.table_ptr(t).ok_or_else(|| self.err(format!("table {t} out of range")))?;
        let vmctx = self.vmctx;
        self.entry_load(b, Cached::TablePtr(t), self.ptr, Self::readonly_flags(), vmctx, off)
    }

    /// Element array of a table that can never grow (`max == min`).
    pub fn fixed_table_base(&mut self, b: &mut FunctionBuilder, t: u32) -> Result<Value, Error> {
        let table = self.table_ptr(b, t)?;
        let flags = Self::readonly_flags();
        self.entry_load(b, Cached::FixedTableBase(t), self.ptr, flags, table, TABLE_BASE_OFFSET)
    }

    /// `&vmctx.funcs[i]`: the `VMFuncRef` of function `i` (also `ref.func i`).
    pub fn funcref_ptr(&mut self, b: &mut FunctionBuilder, i: u32) -> Result<Value, Error> {
        let array = self.vmctx_field(b, VMCTX_FUNCS_OFFSET)?;
        let off = self.array_offset(i, FUNCREF_SIZE)?;
        Ok(b.ins().iadd_imm_s(array, off as i64))
    }

    /// Engine-wide signature id of type `ty` (`u32`).
    pub fn type_id(&mut self, b: &mut FunctionBuilder, ty: u32) -> Result<Value, Error> {
        let array = self.vmctx_field(b, VMCTX_TYPE_IDS_OFFSET)?;
        let off = self.array_offset(ty, 4)?;
        self.entry_load(b, Cached::TypeId(ty), types::I32, Self::readonly_flags(), array, off)
    }

    // ---- signatures and calls -------------------------------------------

    /// The imported signature of type-section entry `ty`.
    pub fn sig_ref(&mut self, b: &mut FunctionBuilder, ty: u32) -> Result<SigRef, Error> {
        if let Some(s) = self.sigs.get(&ty) {
            return Ok(*s);
        }
        let ft = self.info.types.get(ty as usize).ok_or_else(|| self.err(format!("type {ty} out of range")))?;
        let sig = super::wasm_signature(self.isa, ft);
        let s = b.import_signature(sig);
        self.sigs.insert(ty, s);
        Ok(s)
    }

    /// `FuncRef` for a direct call to defined function `def` (colocated:
    /// the call is PC-relative and patched by `compile`).
    pub fn direct_func(&mut self, b: &mut FunctionBuilder, func: u32) -> Result<FuncRef, Error> {
        if let Some(f) = self.direct.get(&func) {
            return Ok(*f);
        }
        let ty = *self.info.functions.get(func as usize).ok_or_else(|| self.err(format!("function {func} out of range")))?;
        let def =
            func.checked_sub(self.info.num_imported_funcs).ok_or_else(|| self.err(format!("function {func} is imported")))?;
        let signature = self.sig_ref(b, ty)?;
        let name = b.func.declare_imported_user_function(UserExternalName::new(super::FUNC_NAMESPACE, def));
        let f = b.import_function(ExtFuncData { name: ExternalName::user(name), signature, colocated: true, patchable: false });
        self.direct.insert(func, f);
        Ok(f)
    }

    /// Calls runtime function `lc` with `vmctx` followed by `args`; returns
    /// its `u32` result if it has one.
    pub fn call_libcall(&mut self, b: &mut FunctionBuilder, lc: Libcall, args: &[Value]) -> Result<Option<Value>, Error> {
        let returns = !matches!(lc, Libcall::DataDrop | Libcall::ElemDrop);
        let sig = match self.libcall_sigs.get(&lc) {
            Some(s) => *s,
            None => {
                let mut sig = Signature::new(self.call_conv);
                sig.params.push(AbiParam::new(self.ptr));
                for a in args {
                    sig.params.push(AbiParam::new(b.func.dfg.value_type(*a)));
                }
                if returns {
                    sig.returns.push(AbiParam::new(types::I32));
                }
                let s = b.import_signature(sig);
                self.libcall_sigs.insert(lc, s);
                s
            }
        };
        let table = self.vmctx_field(b, VMCTX_LIBCALLS_OFFSET)?;
        let off = self.array_offset(lc as u32, self.ptr.bytes() as i32)?;
        let callee = self.entry_load(b, Cached::Libcall(lc as u32), self.ptr, Self::readonly_flags(), table, off)?;
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(self.vmctx);
        all.extend_from_slice(args);
        let call = b.ins().call_indirect(sig, callee, &all);
        Ok(b.inst_results(call).first().copied())
    }

    /// Calls a libcall that returns a status and traps (`Deferred`) on failure.
    pub fn call_libcall_checked(&mut self, b: &mut FunctionBuilder, lc: Libcall, args: &[Value]) -> Result<(), Error> {
        let status = self.call_libcall(b, lc, args)?.ok_or_else(|| self.err(format!("libcall {lc:?} has no status")))?;
        b.ins().trapnz(status, TrapKind::Deferred.to_trap_code());
        Ok(())
    }
}

/// Bitcast flags for vector reinterpretation: wasm lanes are little-endian.
pub(crate) fn vector_bitcast_flags() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// Creates a `u32`-as-`i32` constant.
pub(crate) fn iconst_u32(b: &mut FunctionBuilder, v: u32) -> Value {
    b.ins().iconst(types::I32, v as i32 as i64)
}
