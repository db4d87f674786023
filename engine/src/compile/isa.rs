//! The Cranelift target for the machine we run on, and the fingerprint of its
//! settings.
//!
//! Everything that changes the machine code we emit (optimisation level,
//! frame-pointer policy, CPU features) is decided here in one place, so the
//! on-disk cache can key compiled code on exactly these choices.

use crate::Error;
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};

/// How hard Cranelift optimises.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum OptLevel {
    /// No optimisation passes: fastest compilation.
    None,
    /// Cranelift's e-graph optimiser (GVN, LICM, constant folding, ...).
    #[default]
    Speed,
}

/// Builds the target ISA for the host with every CPU feature it has.
///
/// Flags and why:
/// - `preserve_frame_pointers`: the runtime walks the frame-pointer chain to
///   build trap backtraces.
/// - `enable_multi_ret_implicit_sret`: multi-value functions may return more
///   values than fit in registers.
/// - `enable_probestack` off: stack overflow is detected by the explicit
///   stack-limit check in every prologue (see `translate::environ`).
/// - `unwind_info` off: nothing consumes it (no system unwinder registration).
/// - the verifier runs in debug builds only; it is slow.
pub fn host_isa(opt_level: OptLevel) -> Result<OwnedTargetIsa, Error> {
    let err = |message: String| Error::Compile { func: None, message };
    let mut flags = settings::builder();
    let opt = match opt_level {
        OptLevel::None => "none",
        OptLevel::Speed => "speed",
    };
    let settings: [(&str, &str); 6] = [
        ("opt_level", opt),
        ("preserve_frame_pointers", "true"),
        ("enable_multi_ret_implicit_sret", "true"),
        ("enable_probestack", "false"),
        ("unwind_info", "false"),
        ("enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" }),
    ];
    for (name, value) in settings {
        flags.set(name, value).map_err(|e| err(format!("cranelift setting {name}={value}: {e}")))?;
    }
    // Infers every CPU feature the host has (SSE4.1, AVX, ...).
    let builder = cranelift_native::builder().map_err(|e| err(format!("host not supported: {e}")))?;
    let isa = builder.finish(settings::Flags::new(flags)).map_err(|e| err(format!("cannot build the host ISA: {e}")))?;
    check_required_features(&*isa)?;
    Ok(isa)
}

/// Refuses hosts where Cranelift would lower some wasm operations to calls of
/// external helper functions (e.g. x86-64 without SSE4.1 turns `f32.ceil`
/// into a libcall): our code blob must be self-contained.
fn check_required_features(isa: &dyn TargetIsa) -> Result<(), Error> {
    if isa.triple().architecture == target_lexicon::Architecture::X86_64 {
        let has = |name: &str| isa.isa_flags().iter().any(|v| v.name == name && v.as_bool() == Some(true));
        for feature in ["has_sse41", "has_ssse3"] {
            if !has(feature) {
                return Err(Error::Compile {
                    func: None,
                    message: format!("this CPU lacks {feature}, which the engine requires"),
                });
            }
        }
    }
    Ok(())
}

/// A string identifying everything about `isa` that affects generated code:
/// the target triple, the shared flags and the ISA-specific flags (CPU
/// features). Two ISAs with equal fingerprints produce identical code.
pub fn settings_fingerprint(isa: &dyn TargetIsa) -> String {
    let mut out = format!("{}\n", isa.triple());
    for v in isa.flags().iter() {
        out.push_str(&format!("{v}\n"));
    }
    for v in isa.isa_flags() {
        out.push_str(&format!("{v}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_depends_on_opt_level() {
        let a = host_isa(OptLevel::Speed).unwrap();
        let b = host_isa(OptLevel::None).unwrap();
        let fa = settings_fingerprint(&*a);
        assert_eq!(fa, settings_fingerprint(&*host_isa(OptLevel::Speed).unwrap()));
        assert_ne!(fa, settings_fingerprint(&*b));
        assert!(fa.contains("preserve_frame_pointers=1"), "{fa}");
    }
}
