//! The trap path on hand-written x86-64 machine code, independent of the
//! compiler: a fault at a registered trap site becomes that trap, a stack
//! overflow becomes StackOverflow (on the alternate stack), the thread and
//! process survive, and a fault outside compiled code is not swallowed.

use crate::compile::artifact::{CodeRange, TrapSite};
use crate::compile::code_memory::{CodeMemory, CodeMeta};
use crate::error::{Error, TrapReason};
use crate::run::entry::{self, EntryTrampoline};
use crate::vm::layout::{VMContext, VMLimits, ValRaw};
use crate::vm::trap::TrapKind;
use std::sync::Arc;

/// `push rbp; mov rbp, rsp; call rdi; pop rbp; ret` — calls `code` with
/// the other argument registers untouched.
const TRAMPOLINE: &[u8] = &[0x55, 0x48, 0x89, 0xE5, 0xFF, 0xD7, 0x5D, 0xC3];
/// `push rbp; mov rbp, rsp; ud2`
const UNREACHABLE: &[u8] = &[0x55, 0x48, 0x89, 0xE5, 0x0F, 0x0B];
/// `push rbp; mov rbp, rsp; xor ecx, ecx; mov eax, 1; cdq; idiv ecx; pop rbp; ret`
const DIV_ZERO: &[u8] = &[0x55, 0x48, 0x89, 0xE5, 0x31, 0xC9, 0xB8, 1, 0, 0, 0, 0x99, 0xF7, 0xF9, 0x5D, 0xC3];
/// `push rbp; mov rbp, rsp; call <self>; pop rbp; ret` — unbounded recursion.
const RECURSE: &[u8] = &[0x55, 0x48, 0x89, 0xE5, 0xE8, 0xF7, 0xFF, 0xFF, 0xFF, 0x5D, 0xC3];
/// `mov qword [rcx], 42; ret` — writes the result slot.
const RETURN_42: &[u8] = &[0x48, 0xC7, 0x01, 0x2A, 0, 0, 0, 0xC3];
/// `push rbp; mov rbp, rsp; call rdx; pop rbp; ret` — calls a host pointer.
const CALL_RDX: &[u8] = &[0x55, 0x48, 0x89, 0xE5, 0xFF, 0xD2, 0x5D, 0xC3];

struct Blob {
    code: CodeMemory,
    /// Start of each function in FUNCS order.
    starts: Vec<usize>,
}

const FUNCS: [&[u8]; 5] = [UNREACHABLE, DIV_ZERO, RECURSE, RETURN_42, CALL_RDX];

fn blob() -> Blob {
    let mut bytes = TRAMPOLINE.to_vec();
    let mut functions = Vec::new();
    for f in FUNCS {
        functions.push(CodeRange { offset: bytes.len() as u32, len: f.len() as u32 });
        bytes.extend_from_slice(f);
    }
    let traps = vec![
        TrapSite { offset: functions[0].offset + 4, kind: TrapKind::Unreachable },
        TrapSite { offset: functions[1].offset + 12, kind: TrapKind::IntegerDivisionByZero },
    ];
    let mut code = CodeMemory::new(&bytes).unwrap();
    let starts = functions.iter().map(|r| code.as_ptr() as usize + r.offset as usize).collect();
    code.register(Arc::new(CodeMeta {
        traps: crate::compile::TrapTable::from_sites(&traps),
        compiled: crate::compile::CompiledCode { functions, ..Default::default() },
        num_imported_funcs: 1,
        func_names: vec![(1, "unreachable_fn".to_owned())],
        module_name: Some("raw".to_owned()),
        ..CodeMeta::default()
    }));
    Blob { code, starts }
}

fn call(blob: &Blob, func: usize, extra: *mut VMContext) -> Result<u64, Error> {
    let mut limits = VMLimits::default();
    let mut values = [ValRaw::default(); 1];
    // SAFETY: the trampoline has the EntryTrampoline ABI (it only forwards
    // to `code`), and every function of the blob is a valid target.
    unsafe {
        let tramp: EntryTrampoline = std::mem::transmute(blob.code.as_ptr());
        entry::call(
            &mut limits,
            1 << 20,
            tramp,
            blob.starts[func] as *const u8,
            std::ptr::null_mut(),
            extra,
            values.as_mut_ptr(),
        )?;
    }
    assert_eq!(limits.stack_limit, 0, "the outermost call resets the stack limit");
    Ok(values[0].get_u64())
}

fn trap_kind(r: Result<u64, Error>) -> (TrapKind, Vec<u32>) {
    match r {
        Err(Error::Trap(t)) => match t.reason {
            TrapReason::Wasm(k) => (k, t.backtrace.iter().map(|f| f.func_index).collect()),
            other => panic!("unexpected trap reason {other:?}"),
        },
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn traps_become_errors_and_the_thread_survives() {
    let b = blob();
    assert_eq!(call(&b, 3, std::ptr::null_mut()).unwrap(), 42);
    let (k, frames) = trap_kind(call(&b, 0, std::ptr::null_mut()));
    assert_eq!(k, TrapKind::Unreachable);
    assert_eq!(frames, vec![1], "one frame: function 1 (defined 0 + 1 import)");
    assert_eq!(trap_kind(call(&b, 1, std::ptr::null_mut())).0, TrapKind::IntegerDivisionByZero);
    // Still fine afterwards, repeatedly.
    for _ in 0..3 {
        assert_eq!(call(&b, 3, std::ptr::null_mut()).unwrap(), 42);
        assert_eq!(trap_kind(call(&b, 0, std::ptr::null_mut())).0, TrapKind::Unreachable);
    }
}

#[test]
fn runaway_recursion_is_a_stack_overflow() {
    // This raw code has no stack-limit check, so it runs into the thread's
    // guard page: the handler must run on the alternate stack and still
    // recognise the fault as a stack overflow.
    let b = blob();
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            let (k, frames) = trap_kind(call(&b, 2, std::ptr::null_mut()));
            assert_eq!(k, TrapKind::StackOverflow);
            assert_eq!(frames.len(), crate::run::backtrace::MAX_FRAMES);
            assert!(frames.iter().all(|&f| f == 3));
            assert_eq!(call(&b, 3, std::ptr::null_mut()).unwrap(), 42);
        })
        .unwrap()
        .join()
        .unwrap();
}

extern "C" fn host_fault() {
    // SAFETY: deliberately not safe: the child-process test below checks
    // that a fault in host code is not swallowed as a wasm trap.
    unsafe { std::ptr::read_volatile(std::ptr::null::<u64>()) };
}

const CHILD_ENV: &str = "FAASM_ENGINE_FAULT_CHILD";

/// Runs only as the child of `host_fault_is_not_swallowed`.
#[test]
#[ignore = "run as a child process by host_fault_is_not_swallowed"]
fn host_fault_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let b = blob();
    let _ = call(&b, 4, host_fault as *const () as *mut VMContext);
    // Reaching this line means the fault was swallowed.
    std::process::exit(0);
}

#[test]
fn host_fault_is_not_swallowed() {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let exe = std::env::current_exe().unwrap();
    let mut cmd = std::process::Command::new(exe);
    // SAFETY: setrlimit is async-signal-safe; disabling core dumps keeps
    // the deliberate crash from leaving a core file behind.
    unsafe {
        cmd.pre_exec(|| {
            let none = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            libc::setrlimit(libc::RLIMIT_CORE, &none);
            Ok(())
        });
    }
    let status = cmd
        .args(["--exact", "run::tests::host_fault_child", "--ignored", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(libc::SIGSEGV), "child must die of SIGSEGV, got {status:?}");
}
