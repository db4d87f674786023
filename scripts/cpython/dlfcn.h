/* <dlfcn.h> for the faasm CPython build (scripts/build-python.sh).
 *
 * Debian bookworm's wasi-libc ships no <dlfcn.h>, and WASI preview1 has no
 * dynamic loading. Here the four dl* functions are declared as wasm imports
 * from the module "env": the host (the engine's loader) implements them by
 * instantiating a dylink.0 side module into python.wasm's memory and table.
 * dlopen returns an opaque non-zero handle, dlsym a table index (function)
 * or a linear-memory address (data), dlerror a guest string or NULL.
 *
 * The flag values only need to agree between CPython and the host; they are
 * Linux's, so code written for glibc behaves the same. */
#ifndef FAASM_WASI_DLFCN_H
#define FAASM_WASI_DLFCN_H

#ifdef __cplusplus
extern "C" {
#endif

#define RTLD_LAZY     0x0001
#define RTLD_NOW      0x0002
#define RTLD_NOLOAD   0x0004
#define RTLD_GLOBAL   0x0100
#define RTLD_LOCAL    0
#define RTLD_NODELETE 0x1000
#define RTLD_DEFAULT  ((void *)0)

#define FAASM_DL_IMPORT(name) \
    __attribute__((import_module("env"), import_name(#name)))

FAASM_DL_IMPORT(dlopen)  void *dlopen(const char *path, int flags);
FAASM_DL_IMPORT(dlsym)   void *dlsym(void *__restrict handle, const char *__restrict symbol);
FAASM_DL_IMPORT(dlclose) int dlclose(void *handle);
FAASM_DL_IMPORT(dlerror) char *dlerror(void);

#undef FAASM_DL_IMPORT

#ifdef __cplusplus
}
#endif

#endif
