/* finalize: host info with finalizers on many instances of two stores; every
 * finalizer runs exactly once, when its store goes. */
#include "example.h"

#include <assert.h>

#define ITERATIONS 100000

static int live_count = 0;

static void finalize(void* data) {
  intptr_t i = (intptr_t)data;
  if (i % (ITERATIONS / 10) == 0) printf("Finalizing #%" PRIdPTR "...\n", i);
  --live_count;
}

static void run_in_store(wasm_store_t* store) {
  wasm_module_t* module = compile_file(store, "finalize.wasm");
  printf("Instantiating modules...\n");
  for (int i = 0; i <= ITERATIONS; ++i) {
    if (i % (ITERATIONS / 10) == 0) printf("%d\n", i);
    wasm_extern_vec_t imports = WASM_EMPTY_VEC;
    wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
    if (!instance) die("Error instantiating module!");
    wasm_instance_set_host_info_with_finalizer(instance, (void*)(intptr_t)i, &finalize);
    wasm_instance_delete(instance);
    ++live_count;
  }
  wasm_module_delete(module);
}

int main(void) {
  printf("Initializing...\n");
  wasm_engine_t* engine = wasm_engine_new();

  printf("Live count %d\n", live_count);
  printf("Creating store 1...\n");
  wasm_store_t* store1 = wasm_store_new(engine);
  printf("Running in store 1...\n");
  run_in_store(store1);
  printf("Live count %d\n", live_count);

  printf("Creating store 2...\n");
  wasm_store_t* store2 = wasm_store_new(engine);
  printf("Running in store 2...\n");
  run_in_store(store2);
  printf("Live count %d\n", live_count);

  printf("Deleting store 2...\n");
  wasm_store_delete(store2);
  printf("Live count %d\n", live_count);

  printf("Running in store 1...\n");
  run_in_store(store1);
  printf("Live count %d\n", live_count);

  printf("Deleting store 1...\n");
  wasm_store_delete(store1);
  printf("Live count %d\n", live_count);
  assert(live_count == 0);

  /* Host info on a foreign object, replaced: the old info is finalized then. */
  wasm_store_t* store3 = wasm_store_new(engine);
  wasm_foreign_t* foreign = wasm_foreign_new(store3);
  wasm_foreign_set_host_info_with_finalizer(foreign, (void*)(intptr_t)(ITERATIONS / 10), &finalize);
  ++live_count;
  wasm_foreign_set_host_info(foreign, (void*)7);
  CHECK(wasm_foreign_get_host_info(foreign) == (void*)7);
  printf("Live count %d\n", live_count);
  wasm_foreign_delete(foreign);
  wasm_store_delete(store3);

  printf("Shutting down...\n");
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
