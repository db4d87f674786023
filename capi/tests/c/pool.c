/* pool (ours, not upstream's): an engine keeps the linear memories its
 * stores drop, reset, for its next stores; faasm_config_memory_pool sizes
 * that or turns it off, and two engines keep theirs apart. */
#include "example.h"
#include "faasm_engine.h"

/* Instantiates pool.wasm in a new store of `engine`, checks that its memory
 * is fresh, writes to it and deletes the store; returns where the memory
 * was. */
static uintptr_t use_once(wasm_engine_t* engine, const wasm_byte_vec_t* binary) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = wasm_module_new(store, binary);
  if (!module) die("Error compiling module!");
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) die("Error instantiating module!");
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  byte_t* data = wasm_memory_data(export_memory(&exports, 0));
  CHECK(data[9] == 0);
  data[9] = 9;
  uintptr_t at = (uintptr_t)data;
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  return at;
}

int main(void) {
  printf("Initializing...\n");
  wasm_byte_vec_t binary = read_wasm("pool.wasm");
  wasm_engine_t* a = wasm_engine_new();
  wasm_engine_t* b = wasm_engine_new();
  wasm_config_t* config = wasm_config_new();
  faasm_config_memory_pool(config, 0);
  faasm_config_hot_pages(config, 0);
  wasm_engine_t* off = wasm_engine_new_with_config(config);
  if (!a || !b || !off) die("Error creating engines!");

  printf("A store of engine a...\n");
  uintptr_t first = use_once(a, &binary);
  printf("> kept: a %zu, b %zu\n", faasm_engine_pooled_memories(a), faasm_engine_pooled_memories(b));

  printf("Another store of engine a...\n");
  printf("> same memory: %s\n", use_once(a, &binary) == first ? "yes" : "no");
  printf("> kept: a %zu, b %zu\n", faasm_engine_pooled_memories(a), faasm_engine_pooled_memories(b));

  printf("A store of engine b...\n");
  printf("> same memory: %s\n", use_once(b, &binary) == first ? "yes" : "no");
  printf("> kept: a %zu, b %zu\n", faasm_engine_pooled_memories(a), faasm_engine_pooled_memories(b));

  printf("Two stores of an engine without a pool...\n");
  use_once(off, &binary);
  use_once(off, &binary);
  printf("> kept: %zu\n", faasm_engine_pooled_memories(off));

  printf("Shutting down...\n");
  wasm_byte_vec_delete(&binary);
  wasm_engine_delete(off);
  wasm_engine_delete(b);
  wasm_engine_delete(a);
  printf("Done.\n");
  return 0;
}
