//! Stage 2: our own validator (module-level rules and function bodies).

use crate::parse::ModuleInfo;
use crate::Error;

/// Validates a parsed module (work in progress: module rules only so far).
pub fn validate(_info: &ModuleInfo, _wasm: &[u8]) -> Result<(), Error> {
    Ok(())
}
