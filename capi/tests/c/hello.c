/* hello: a host function imported by a module, called back from wasm. */
#include "example.h"

static wasm_trap_t* hello_callback(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args; (void)results;
  printf("Calling back...\n> Hello World!\n");
  return NULL;
}

int main(void) {
  printf("Initializing...\n");
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);

  wasm_byte_vec_t bytes = read_wasm("hello.wasm");
  printf("Validating module...\n");
  CHECK(wasm_module_validate(store, &bytes));
  printf("Compiling module...\n");
  wasm_module_t* module = wasm_module_new(store, &bytes);
  wasm_byte_vec_delete(&bytes);
  if (!module) die("Error compiling module!");

  printf("Creating callback...\n");
  wasm_functype_t* ty = wasm_functype_new_0_0();
  wasm_func_t* hello = wasm_func_new(store, ty, hello_callback);
  wasm_functype_delete(ty);

  printf("Instantiating module...\n");
  wasm_extern_t* items[] = {wasm_func_as_extern(hello)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(items);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) die("Error instantiating module!");
  /* The function, module and instance stay alive through the export. */
  wasm_func_delete(hello);

  printf("Extracting export...\n");
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  const wasm_func_t* run = export_func(&exports, 0);
  wasm_module_delete(module);
  wasm_instance_delete(instance);

  printf("Calling export...\n");
  wasm_val_vec_t args = WASM_EMPTY_VEC, results = WASM_EMPTY_VEC;
  if (wasm_func_call(run, &args, &results)) die("Error calling function!");
  wasm_extern_vec_delete(&exports);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
