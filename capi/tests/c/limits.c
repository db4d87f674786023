/* limits (ours, not upstream's): the engine's limits through
 * faasm_engine.h — a store's memory cap, its timeout (cancelled, then
 * firing), and an interrupt handle used from another thread. */
#include <pthread.h>
#include <unistd.h>

#include "example.h"
#include "faasm_engine.h"

static wasm_instance_t* instantiate(wasm_store_t* store, wasm_module_t* module, wasm_extern_vec_t* exports) {
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) die("Error instantiating module!");
  wasm_instance_exports(instance, exports);
  return instance;
}

static void grow(wasm_func_t* f, int32_t pages) {
  wasm_val_t as[1] = {WASM_I32_VAL(pages)};
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(as), results = WASM_ARRAY_VEC(rs);
  wasm_trap_t* trap = wasm_func_call(f, &args, &results);
  if (trap) die("Error calling grow!");
  printf("> grow(%" PRId32 ") = %" PRId32 "\n", pages, rs[0].of.i32);
}

static void spin(wasm_func_t* f) {
  wasm_val_vec_t args = WASM_EMPTY_VEC, results = WASM_EMPTY_VEC;
  wasm_trap_t* trap = wasm_func_call(f, &args, &results);
  if (!trap) die("spin returned!");
  wasm_message_t m;
  wasm_trap_message(trap, &m);
  printf("> spin trapped: %s\n", m.data);
  wasm_byte_vec_delete(&m);
  wasm_trap_delete(trap);
}

static void* interrupt_later(void* h) {
  usleep(50 * 1000);
  faasm_interrupt_handle_interrupt((const faasm_interrupt_handle_t*)h);
  return NULL;
}

int main(void) {
  printf("Initializing...\n");
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile_file(store, "limits.wasm");

  printf("Capping memory at 4 pages...\n");
  faasm_store_set_memory_limit(store, 4 * 65536);
  wasm_extern_vec_t exports;
  wasm_instance_t* instance = instantiate(store, module, &exports);
  wasm_func_t* grow_f = export_func(&exports, 1);
  wasm_func_t* spin_f = export_func(&exports, 2);
  grow(grow_f, 2);
  grow(grow_f, 2);
  grow(grow_f, 1);

  printf("A timeout set, then cancelled...\n");
  faasm_store_set_timeout(store, 0.05);
  faasm_store_set_timeout(store, 0);
  usleep(100 * 1000);
  grow(grow_f, 0);
  printf("A timeout of 0.1 s...\n");
  faasm_store_set_timeout(store, 0.1);
  spin(spin_f);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);

  printf("Interrupting from another thread...\n");
  wasm_store_t* other = wasm_store_new(engine);
  instance = instantiate(other, module, &exports);
  faasm_interrupt_handle_t* h = faasm_store_interrupt_handle(other);
  pthread_t t;
  if (pthread_create(&t, NULL, interrupt_later, h) != 0) die("Error starting thread!");
  spin(export_func(&exports, 2));
  pthread_join(t, NULL);
  printf("The interrupt stays...\n");
  spin(export_func(&exports, 2));
  faasm_interrupt_handle_delete(h);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);

  printf("Shutting down...\n");
  wasm_module_delete(module);
  wasm_store_delete(other);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
