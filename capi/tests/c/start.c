/* start: a start function that traps makes instantiation fail with the trap. */
#include "example.h"
#include "frame.h"

int main(void) {
  printf("Initializing...\n");
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile_file(store, "start.wasm");

  printf("Instantiating module...\n");
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_trap_t* trap = NULL;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, &trap);
  if (instance || !trap) die("Error instantiating module, expected trap!");
  wasm_module_delete(module);

  print_trap(trap);
  wasm_trap_delete(trap);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
