/* <dlfcn.h> for wasm32-wasi main modules run by faasm-engine: the dl*
 * functions are imports from `env`, implemented by the engine's loader.
 * (Debian's wasi-libc has no <dlfcn.h>.) */
#ifndef FAASM_DLFCN_H
#define FAASM_DLFCN_H
#define RTLD_LAZY 1
#define RTLD_NOW 2
#define RTLD_NOLOAD 4
#define RTLD_GLOBAL 256
#define RTLD_LOCAL 0
#define RTLD_NODELETE 4096
#define RTLD_DEFAULT ((void *)0)
__attribute__((import_module("env"), import_name("dlopen"))) void *dlopen(const char *path, int flags);
__attribute__((import_module("env"), import_name("dlsym"))) void *dlsym(void *handle, const char *name);
__attribute__((import_module("env"), import_name("dlclose"))) int dlclose(void *handle);
__attribute__((import_module("env"), import_name("dlerror"))) char *dlerror(void);
#endif
