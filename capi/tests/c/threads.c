/* threads: one engine and one shared module used from several threads,
 * each with its own store (stores are single-threaded; engines and shared
 * modules are not). */
#include "example.h"

#include <pthread.h>
#include <unistd.h>

#define N_THREADS 10
#define N_REPS 3

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static wasm_trap_t* callback(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)results;
  pthread_mutex_lock(&print_lock);
  printf("> Thread %d running\n", args->data[0].of.i32);
  fflush(stdout);
  pthread_mutex_unlock(&print_lock);
  return NULL;
}

typedef struct {
  wasm_engine_t* engine;
  wasm_shared_module_t* module;
  int id;
  int ok;
} thread_args;

static void* run(void* p) {
  thread_args* a = p;
  a->ok = 0;
  for (int r = 0; r < N_REPS; ++r) {
    usleep(1000);
    wasm_store_t* store = wasm_store_new(a->engine);
    wasm_module_t* module = wasm_module_obtain(store, a->module);
    if (!module) return NULL;
    wasm_functype_t* fty = wasm_functype_new_1_0(wasm_valtype_new_i32());
    wasm_func_t* func = wasm_func_new(store, fty, callback);
    wasm_functype_delete(fty);
    wasm_val_t v = WASM_I32_VAL(a->id);
    wasm_globaltype_t* gty = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST);
    wasm_global_t* global = wasm_global_new(store, gty, &v);
    wasm_globaltype_delete(gty);
    wasm_extern_t* items[] = {wasm_func_as_extern(func), wasm_global_as_extern(global)};
    wasm_extern_vec_t imports = WASM_ARRAY_VEC(items);
    wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
    if (!instance) return NULL;
    wasm_func_delete(func);
    wasm_global_delete(global);
    wasm_extern_vec_t exports;
    wasm_instance_exports(instance, &exports);
    wasm_val_vec_t args = WASM_EMPTY_VEC, results = WASM_EMPTY_VEC;
    wasm_trap_t* trap = wasm_func_call(wasm_extern_as_func(exports.data[0]), &args, &results);
    if (trap) return NULL;
    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(instance);
    wasm_module_delete(module);
    wasm_store_delete(store);
  }
  a->ok = 1;
  return NULL;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_byte_vec_t bytes = read_wasm("threads.wasm");
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = wasm_module_new(store, &bytes);
  wasm_byte_vec_delete(&bytes);
  if (!module) die("Error compiling module!");
  wasm_shared_module_t* shared = wasm_module_share(module);
  wasm_module_delete(module);
  wasm_store_delete(store);

  pthread_t threads[N_THREADS];
  thread_args args[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    args[i] = (thread_args){engine, shared, i, 0};
    pthread_mutex_lock(&print_lock);
    printf("Initializing thread %d...\n", i);
    pthread_mutex_unlock(&print_lock);
    pthread_create(&threads[i], NULL, &run, &args[i]);
  }
  int ok = 1;
  for (int i = 0; i < N_THREADS; i++) {
    pthread_join(threads[i], NULL);
    pthread_mutex_lock(&print_lock);
    printf("Waiting for thread: %d\n", i);
    pthread_mutex_unlock(&print_lock);
    ok &= args[i].ok;
  }
  wasm_shared_module_delete(shared);
  wasm_engine_delete(engine);
  if (!ok) die("Error: a thread failed");
  printf("Done.\n");
  return 0;
}
