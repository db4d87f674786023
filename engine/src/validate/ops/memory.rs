//! Memory instructions of 2.0: scalar loads and stores, `memory.size`,
//! `memory.grow` and the bulk-memory instructions. The memarg check is
//! shared with the SIMD loads and stores.

use crate::parse::ValType::{self, F32, F64, I32, I64};
use crate::validate::func::FuncValidator;
use crate::Error;
use wasmparser::{MemArg, Operator as O};

/// A scalar load: natural alignment (log2 of the access size) and the
/// loaded type.
fn load(op: &O<'_>) -> Option<(MemArg, u8, ValType)> {
    Some(match *op {
        O::I32Load { memarg } => (memarg, 2, I32),
        O::I64Load { memarg } => (memarg, 3, I64),
        O::F32Load { memarg } => (memarg, 2, F32),
        O::F64Load { memarg } => (memarg, 3, F64),
        O::I32Load8S { memarg } | O::I32Load8U { memarg } => (memarg, 0, I32),
        O::I32Load16S { memarg } | O::I32Load16U { memarg } => (memarg, 1, I32),
        O::I64Load8S { memarg } | O::I64Load8U { memarg } => (memarg, 0, I64),
        O::I64Load16S { memarg } | O::I64Load16U { memarg } => (memarg, 1, I64),
        O::I64Load32S { memarg } | O::I64Load32U { memarg } => (memarg, 2, I64),
        _ => return None,
    })
}

/// A scalar store: natural alignment and the stored type.
fn store(op: &O<'_>) -> Option<(MemArg, u8, ValType)> {
    Some(match *op {
        O::I32Store { memarg } => (memarg, 2, I32),
        O::I64Store { memarg } => (memarg, 3, I64),
        O::F32Store { memarg } => (memarg, 2, F32),
        O::F64Store { memarg } => (memarg, 3, F64),
        O::I32Store8 { memarg } => (memarg, 0, I32),
        O::I32Store16 { memarg } => (memarg, 1, I32),
        O::I64Store8 { memarg } => (memarg, 0, I64),
        O::I64Store16 { memarg } => (memarg, 1, I64),
        O::I64Store32 { memarg } => (memarg, 2, I64),
        _ => return None,
    })
}

impl<'a> FuncValidator<'a> {
    pub(in crate::validate) fn memory(&mut self, op: &O<'_>) -> Result<bool, Error> {
        if let Some((memarg, natural, t)) = load(op) {
            self.memarg(&memarg, natural)?;
            self.pop_expect(I32)?;
            self.push(t);
            return Ok(true);
        }
        if let Some((memarg, natural, t)) = store(op) {
            self.memarg(&memarg, natural)?;
            self.pop_expect(t)?;
            self.pop_expect(I32)?;
            return Ok(true);
        }
        match *op {
            O::MemorySize { mem } => {
                self.memory_exists(mem)?;
                self.push(I32);
            }
            O::MemoryGrow { mem } => {
                self.memory_exists(mem)?;
                self.pop_expect(I32)?;
                self.push(I32);
            }
            O::MemoryInit { data_index, mem } => {
                self.memory_exists(mem)?;
                self.data_segment(data_index)?;
                self.pop3_i32()?;
            }
            O::DataDrop { data_index } => self.data_segment(data_index)?,
            O::MemoryCopy { dst_mem, src_mem } => {
                self.memory_exists(dst_mem)?;
                self.memory_exists(src_mem)?;
                self.pop3_i32()?;
            }
            O::MemoryFill { mem } => {
                self.memory_exists(mem)?;
                self.pop3_i32()?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn pop3_i32(&mut self) -> Result<(), Error> {
        self.pop_expect(I32)?;
        self.pop_expect(I32)?;
        self.pop_expect(I32)?;
        Ok(())
    }

    pub(in crate::validate) fn memory_exists(&self, mem: u32) -> Result<(), Error> {
        if (mem as usize) < self.info.memories.len() {
            Ok(())
        } else {
            Err(self.err(format!("unknown memory {mem}")))
        }
    }

    /// The memory must exist and the alignment must not exceed the
    /// natural alignment (`natural` is log2 of the access size).
    pub(in crate::validate) fn memarg(&self, memarg: &MemArg, natural: u8) -> Result<(), Error> {
        self.memory_exists(memarg.memory)?;
        if memarg.align > natural {
            return Err(self.err("alignment must not be larger than natural"));
        }
        if memarg.offset > u64::from(u32::MAX) {
            return Err(self.err("offset out of range"));
        }
        Ok(())
    }

    /// `memory.init` and `data.drop` name a data segment, which needs the
    /// data count section (bodies come before the data section).
    fn data_segment(&self, index: u32) -> Result<(), Error> {
        let Some(count) = self.info.data_count else {
            return Err(self.malformed_here("data count section required"));
        };
        if index >= count {
            return Err(self.err(format!("unknown data segment {index}")));
        }
        Ok(())
    }
}
