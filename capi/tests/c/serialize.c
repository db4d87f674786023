/* serialize: a compiled module written to bytes, read back in a store and
 * run; bytes that are no serialized module are refused. */
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
  wasm_module_t* module = compile_file(store, "serialize.wasm");

  printf("Serializing module...\n");
  wasm_byte_vec_t serialized;
  wasm_module_serialize(module, &serialized);
  CHECK(serialized.size > 0);
  wasm_module_delete(module);

  printf("Deserializing module...\n");
  wasm_module_t* deserialized = wasm_module_deserialize(store, &serialized);
  if (!deserialized) die("Error deserializing module!");
  /* A damaged copy is refused (checksum), never run. */
  serialized.data[serialized.size - 1] ^= 0x55;
  CHECK(wasm_module_deserialize(store, &serialized) == NULL);
  wasm_byte_vec_delete(&serialized);

  printf("Creating callback...\n");
  wasm_functype_t* ty = wasm_functype_new_0_0();
  wasm_func_t* hello = wasm_func_new(store, ty, hello_callback);
  wasm_functype_delete(ty);

  printf("Instantiating deserialized module...\n");
  wasm_extern_t* items[] = {wasm_func_as_extern(hello)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(items);
  wasm_instance_t* instance = wasm_instance_new(store, deserialized, &imports, NULL);
  if (!instance) die("Error instantiating module!");
  wasm_func_delete(hello);

  printf("Extracting export...\n");
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  const wasm_func_t* run = export_func(&exports, 0);
  wasm_module_delete(deserialized);
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
