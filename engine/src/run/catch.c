/* The one piece of the trap path that cannot be written in Rust: a
 * sigsetjmp/siglongjmp pair around a call into compiled code.
 *
 * faasm_engine_catch calls the entry trampoline directly, so the only frames
 * between the sigsetjmp and a trapping instruction are this C frame, the
 * trampoline and wasm frames; siglongjmp therefore never skips a Rust frame
 * (which could own values needing Drop) and no Rust frame is returned into
 * twice. */
#include <setjmp.h>
#include <stddef.h>

typedef void (*entry_trampoline_t)(const void *code, void *callee_vmctx,
                                   void *caller_vmctx, void *values);

/* Returns 1 if the call returned normally, 0 if it was unwound by
 * faasm_engine_unwind. `*slot` holds the innermost active jump buffer of this
 * thread; it is restored on both paths so nested calls work. */
int faasm_engine_catch(entry_trampoline_t trampoline, const void *code,
                       void *callee_vmctx, void *caller_vmctx, void *values,
                       void **slot) {
  sigjmp_buf buf;
  void *volatile prev = *slot;
  /* 0: do not save the signal mask. Handlers are installed with SA_NODEFER,
   * so the mask inside the handler equals the mask here and nothing needs
   * restoring; skipping it saves a syscall per call. */
  if (sigsetjmp(buf, 0) == 0) {
    *slot = &buf;
    trampoline(code, callee_vmctx, caller_vmctx, values);
    *slot = prev;
    return 1;
  }
  *slot = prev;
  return 0;
}

/* Called from the signal handler to abandon the wasm frames. */
void faasm_engine_unwind(void *jmp_buf) {
  siglongjmp(*(sigjmp_buf *)jmp_buf, 1);
}

/* Instruction-cache maintenance after writing code (needed off x86). */
void faasm_engine_clear_cache(char *start, char *end) {
  __builtin___clear_cache(start, end);
}
