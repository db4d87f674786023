/* python: CPython compiled to wasm32-wasi (workload/python3.wasm) run
 * through the WASI extension: arguments, environment, a preopened
 * directory, stdout to a file, exit codes through proc_exit; the module is
 * loaded through the compiled-code cache.
 *
 * usage: python PYTHON3_WASM CACHE_DIR OUT_FILE */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "faasm_engine.h"

static const char* wasm_path;
static const char* cache_dir;
static const char* out_path;

static void fail_error(const char* what, faasm_error_t* e) {
  wasm_name_t m;
  faasm_error_message(e, &m);
  printf("> %s: %s\n", what, m.data);
  wasm_name_delete(&m);
  faasm_error_delete(e);
  exit(1);
}

/* Runs python3 with `code` as -c; returns its exit status. */
static int run_python(wasm_store_t* store, wasm_module_t* module, const char* code, const char* out) {
  faasm_wasi_config_t* wasi = faasm_wasi_config_new();
  faasm_wasi_config_push_arg(wasi, "python3");
  faasm_wasi_config_push_arg(wasi, "-c");
  faasm_wasi_config_push_arg(wasi, code);
  faasm_wasi_config_push_env(wasi, "GREETING", "hello from C");
  faasm_wasi_config_preopen_dir(wasi, ".", ".", true);
  faasm_wasi_config_inherit(wasi, 2);
  faasm_error_t* e = faasm_wasi_config_file(wasi, 1, out);
  if (e) fail_error("stdout file", e);

  faasm_linker_t* linker = faasm_linker_new(store);
  if ((e = faasm_linker_define_wasi(linker, wasi))) fail_error("define_wasi", e);
  wasm_instance_t* instance = NULL;
  wasm_trap_t* trap = NULL;
  if ((e = faasm_linker_instantiate(linker, module, &instance, &trap))) fail_error("instantiate", e);
  if (trap) {
    printf("> trap while instantiating\n");
    exit(1);
  }
  wasm_extern_t* start = faasm_instance_export(instance, "_start", 6);
  if (!start || !wasm_extern_as_func(start)) {
    printf("> no _start\n");
    exit(1);
  }
  wasm_val_vec_t args = WASM_EMPTY_VEC, results = WASM_EMPTY_VEC;
  trap = wasm_func_call(wasm_extern_as_func(start), &args, &results);
  int status = 0;
  if (trap) {
    int32_t code_out;
    if (faasm_trap_exit_code(trap, &code_out)) {
      status = code_out;
    } else {
      wasm_name_t m;
      faasm_trap_display(trap, &m);
      printf("> python trapped: %s\n", m.data);
      wasm_name_delete(&m);
      status = -1;
    }
    wasm_trap_delete(trap);
  }
  wasm_extern_delete(start);
  wasm_instance_delete(instance);
  faasm_linker_delete(linker);
  return status;
}

static void* main_thread(void* unused) {
  (void)unused;
  wasm_config_t* config = wasm_config_new();
  faasm_config_max_wasm_stack(config, 16 << 20);
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  wasm_store_t* store = wasm_store_new(engine);

  wasm_module_t* module = NULL;
  faasm_error_t* e = faasm_module_from_file(store, wasm_path, cache_dir, &module);
  if (e) fail_error("load python3.wasm", e);
  printf("Loaded python3.wasm\n");

  int status = run_python(store, module,
                          "import os, sys\n"
                          "print('args', sys.argv[1:])\n"
                          "print('env', os.environ.get('GREETING'))\n"
                          "print('sum', sum(range(10)))\n",
                          out_path);
  printf("Exit status %d\n", status);
  status = run_python(store, module, "import sys; sys.exit(3)", "/dev/null");
  printf("Exit status %d\n", status);

  /* A missing file is an error that names it. */
  wasm_module_t* none = NULL;
  e = faasm_module_from_file(store, "does-not-exist.wasm", cache_dir, &none);
  if (!e || none) {
    printf("> expected an error\n");
    exit(1);
  }
  wasm_name_t m;
  faasm_error_message(e, &m);
  printf("Missing file: %s\n", strstr(m.data, "does-not-exist.wasm") ? "named" : m.data);
  wasm_name_delete(&m);
  faasm_error_delete(e);

  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s PYTHON3_WASM CACHE_DIR OUT_FILE\n", argv[0]);
    return 2;
  }
  wasm_path = argv[1];
  cache_dir = argv[2];
  out_path = argv[3];
  /* As `faasm-engine run` does: a large native stack for the guest's thread,
   * above the 16 MiB wasm stack limit. */
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 << 20);
  pthread_t t;
  pthread_create(&t, &attr, main_thread, NULL);
  pthread_join(t, NULL);
  return 0;
}
