/* Entry point of python.wasm, the dynamic-linking main module
 * (scripts/build-python.sh links it with -nostartfiles instead of
 * wasi-libc's crt1-command.o).
 *
 * Why our own _start: python.wasm is linked with --export-all so that side
 * modules can import any libc or CPython symbol. That also exports
 * __wasm_call_ctors, and once it is exported wasm-ld no longer inserts the
 * implicit constructor call that crt1-command.o relies on, so wasi-libc's
 * preopened directories would never be registered (every open() of the
 * stdlib then fails with ENOTCAPABLE). Calling __wasm_call_ctors here by
 * hand keeps the constructors; it also stops wasm-ld from wrapping each
 * exported function in a ctor/dtor "command export" wrapper, which would
 * rerun the constructors on every call a side module makes. */
#include <dlfcn.h>
#include <stdlib.h>

extern void __wasm_call_ctors(void);
extern int __main_void(void);

/* CPython's dynload_shlib.c never calls dlclose (extension modules stay
 * loaded for the life of the process), so nothing else references it.
 * Keeping its address here makes env.dlclose an import of python.wasm all
 * the same, so C extensions that do call dlclose link against a symbol the
 * main module provides, and the host's ABI has all four dl* functions. */
__attribute__((used)) int (*const faasm_keep_dlclose)(void *) = dlclose;

__attribute__((export_name("_start")))
void _start(void) {
    __wasm_call_ctors();
    /* __main_void reads argv/environ from WASI and calls main(argc, argv);
     * exit() runs atexit handlers and flushes stdio before proc_exit. */
    exit(__main_void());
}
