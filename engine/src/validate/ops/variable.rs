//! Variable instructions: locals and globals.

use crate::validate::func::FuncValidator;
use crate::Error;
use wasmparser::Operator as O;

impl<'a> FuncValidator<'a> {
    pub(in crate::validate) fn variable(&mut self, op: &O<'_>) -> Result<bool, Error> {
        match op {
            O::LocalGet { local_index } => {
                let t = self.local(*local_index)?;
                if !self.local_is_init(*local_index) {
                    return Err(self.err(format!("uninitialized local {local_index} of type {t}")));
                }
                self.push(t);
            }
            O::LocalSet { local_index } => {
                let t = self.local(*local_index)?;
                self.pop_expect(t)?;
                self.set_local_init(*local_index);
            }
            O::LocalTee { local_index } => {
                let t = self.local(*local_index)?;
                self.pop_expect(t)?;
                self.set_local_init(*local_index);
                self.push(t);
            }
            O::GlobalGet { global_index } => {
                let g = self.global(*global_index)?;
                self.push(g.ty);
            }
            O::GlobalSet { global_index } => {
                let g = self.global(*global_index)?;
                if !g.mutable {
                    return Err(self.err(format!("global is immutable: cannot set global {global_index}")));
                }
                self.pop_expect(g.ty)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn local(&self, i: u32) -> Result<crate::parse::ValType, Error> {
        self.locals.get(i as usize).copied().ok_or_else(|| self.err(format!("unknown local {i}")))
    }

    fn global(&self, i: u32) -> Result<crate::parse::GlobalType, Error> {
        self.info.globals.get(i as usize).copied().ok_or_else(|| self.err(format!("unknown global {i}")))
    }
}
