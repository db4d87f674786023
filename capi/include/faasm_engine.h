/*
 * faasm-engine's extensions to the standard WebAssembly C API (wasm.h).
 *
 * - errors: functions that can fail for a reason return an owned
 *   faasm_error_t* (NULL on success); the standard functions, which can only
 *   return NULL or false, leave their reason for faasm_last_error_message();
 * - engine configuration, the text format, modules through the on-disk
 *   compiled-code cache, traps' full text and WASI exit codes, frame names;
 * - WASI preview1 configuration and a linker that resolves imports by name.
 *
 * - the engine's limits: a store's memory cap, its timeout, and an
 *   interrupt handle for other threads.
 */

#ifndef FAASM_ENGINE_H
#define FAASM_ENGINE_H

#include "wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Errors ----------------------------------------------------------------------- */

typedef struct faasm_error_t faasm_error_t;

/* The message, NUL-terminated (out->size counts the NUL). */
void faasm_error_message(const faasm_error_t*, wasm_name_t* out);
void faasm_error_delete(faasm_error_t*);

/* Why the latest standard function that failed on this thread failed (its
 * NUL-terminated message into *out); false if none has failed yet. */
bool faasm_last_error_message(wasm_name_t* out);

/* ---- Engine configuration ---------------------------------------------------------- */

/* Stack wasm code may use per call from the host, in bytes (default 1 MiB;
 * the calling thread's stack must be larger). */
void faasm_config_max_wasm_stack(wasm_config_t*, size_t bytes);
/* Compile a module's functions on several threads (default true). */
void faasm_config_parallel_compilation(wasm_config_t*, bool);
/* Linear memories the engine keeps, reset, when its stores drop them, for
 * its next stores (default 16; 0: none, every memory is unmapped). The
 * stores of one engine share them; two engines never do. */
void faasm_config_memory_pool(wasm_config_t*, size_t max_warm);
/* Memory images whose written pages the engine learns from its first
 * instances and faults in ahead for later ones (default 16; 0: off). */
void faasm_config_hot_pages(wasm_config_t*, size_t max_images);
/* How many dropped linear memories the engine keeps right now. */
size_t faasm_engine_pooled_memories(const wasm_engine_t*);

/* ---- Text format ------------------------------------------------------------------- */

/* WebAssembly text (or binary, passed through) of `len` bytes into a binary
 * module in *out (empty on error; the error names line and column). */
faasm_error_t* faasm_wat2wasm(const char* text, size_t len, wasm_byte_vec_t* out);

/* ---- Modules ----------------------------------------------------------------------- */

/* wasm_module_new with the reason for a failure (malformed or invalid bytes,
 * with the byte offset). */
faasm_error_t* faasm_module_new(wasm_store_t*, const wasm_byte_vec_t* binary, wasm_module_t** out);

/* Loads a wasm file through the compiled-code cache in `cache_dir` (NULL:
 * $FAASM_ENGINE_CACHE_DIR, else $XDG_CACHE_HOME/faasm-engine, else
 * ~/.cache/faasm-engine): compiled once, mapped from the cache afterwards. */
faasm_error_t* faasm_module_from_file(wasm_store_t*, const char* path, const char* cache_dir,
                                      wasm_module_t** out);
/* The same for bytes in memory. */
faasm_error_t* faasm_module_new_cached(wasm_store_t*, const wasm_byte_vec_t* binary, const char* cache_dir,
                                       wasm_module_t** out);

/* The export `name` (`len` bytes) of an instance, or NULL. */
wasm_extern_t* faasm_instance_export(const wasm_instance_t*, const char* name, size_t len);

/* ---- Traps and frames ---------------------------------------------------------------- */

/* The trap as the engine prints it: the reason, then "wasm backtrace:" and
 * one line per frame with function names (NUL-terminated). */
void faasm_trap_display(const wasm_trap_t*, wasm_name_t* out);
/* True if the trap is a WASI proc_exit; the exit status goes to *code. */
bool faasm_trap_exit_code(const wasm_trap_t*, int32_t* code);
/* The frame's function and module names from the name section, if any. */
bool faasm_frame_func_name(const wasm_frame_t*, wasm_name_t* out);
bool faasm_frame_module_name(const wasm_frame_t*, wasm_name_t* out);

/* ---- WASI ---------------------------------------------------------------------------- */

typedef struct faasm_wasi_config_t faasm_wasi_config_t;

faasm_wasi_config_t* faasm_wasi_config_new(void);
void faasm_wasi_config_delete(faasm_wasi_config_t*);
/* Appends to argv (the first is the program name). */
bool faasm_wasi_config_push_arg(faasm_wasi_config_t*, const char* arg);
bool faasm_wasi_config_push_env(faasm_wasi_config_t*, const char* key, const char* value);
/* Grants host directory `host` to the guest under the name `guest`. */
bool faasm_wasi_config_preopen_dir(faasm_wasi_config_t*, const char* host, const char* guest, bool read_only);
/* Stream 0 (stdin), 1 (stdout) or 2 (stderr) inherits the host's. Streams not
 * configured are /dev/null. */
bool faasm_wasi_config_inherit(faasm_wasi_config_t*, uint32_t stream);
/* Stream 0 reads the file at `path`; 1 or 2 create or truncate it. */
faasm_error_t* faasm_wasi_config_file(faasm_wasi_config_t*, uint32_t stream, const char* path);

/* ---- Linker ---------------------------------------------------------------------------- */

typedef struct faasm_linker_t faasm_linker_t;

/* A linker for objects of `store`. */
faasm_linker_t* faasm_linker_new(wasm_store_t* store);
void faasm_linker_delete(faasm_linker_t*);
faasm_error_t* faasm_linker_define(faasm_linker_t*, const char* module, const char* name, const wasm_extern_t*);
/* Every export of `instance` under the module name `module`. */
faasm_error_t* faasm_linker_define_instance(faasm_linker_t*, const char* module, const wasm_instance_t*);
/* All of wasi_snapshot_preview1; takes the configuration (also on failure). */
faasm_error_t* faasm_linker_define_wasi(faasm_linker_t*, faasm_wasi_config_t* config);
/* Instantiates with every import resolved by name. A link error (naming the
 * import) is returned; a trap while instantiating (start function, proc_exit)
 * goes to *trap if `trap` is not NULL. */
faasm_error_t* faasm_linker_instantiate(const faasm_linker_t*, const wasm_module_t*, wasm_instance_t** out,
                                        wasm_trap_t** trap);

/* ---- Limits ------------------------------------------------------------------------ */

/* Caps every linear memory of the store at `bytes` (0: no cap): memory.grow
 * past it returns -1, a memory that would start above it is refused. */
void faasm_store_set_memory_limit(wasm_store_t*, uint64_t bytes);

/* Interrupts the store's running guest code `seconds` from now: it traps
 * ("interrupted") at its next loop header or call, and so does every later
 * call into the store (the interrupt stays). A later call replaces a pending
 * timeout; seconds <= 0 cancels it. A WASI call blocked in the host at that
 * moment finishes first. */
void faasm_store_set_timeout(wasm_store_t*, double seconds);

/* A handle that interrupts the store from any thread, as the timeout does.
 * Owned by the caller; harmless after the store is deleted. */
typedef struct faasm_interrupt_handle_t faasm_interrupt_handle_t;
faasm_interrupt_handle_t* faasm_store_interrupt_handle(wasm_store_t*);
void faasm_interrupt_handle_interrupt(const faasm_interrupt_handle_t*);
void faasm_interrupt_handle_delete(faasm_interrupt_handle_t*);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* FAASM_ENGINE_H */
