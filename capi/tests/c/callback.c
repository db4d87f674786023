/* callback: host functions with parameters and results, with and without an
 * environment. */
#include "example.h"

static wasm_trap_t* print_callback(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  printf("Calling back...\n> %" PRIu32 "\n", (uint32_t)args->data[0].of.i32);
  wasm_val_copy(&results->data[0], &args->data[0]);
  return NULL;
}

static wasm_trap_t* closure_callback(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  int i = *(int*)env;
  printf("Calling back closure...\n> %d\n", i);
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = i;
  return NULL;
}

int main(void) {
  printf("Initializing...\n");
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile_file(store, "callback.wasm");

  printf("Creating callback...\n");
  wasm_functype_t* print_ty = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* print = wasm_func_new(store, print_ty, print_callback);
  int env = 42;
  wasm_functype_t* closure_ty = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasm_func_t* closure = wasm_func_new_with_env(store, closure_ty, closure_callback, &env, NULL);
  CHECK(wasm_func_param_arity(print) == 1 && wasm_func_result_arity(closure) == 1);
  wasm_functype_delete(print_ty);
  wasm_functype_delete(closure_ty);

  printf("Instantiating module...\n");
  wasm_extern_t* items[] = {wasm_func_as_extern(print), wasm_func_as_extern(closure)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(items);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) die("Error instantiating module!");
  wasm_func_delete(print);
  wasm_func_delete(closure);

  printf("Extracting export...\n");
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  const wasm_func_t* run = export_func(&exports, 0);
  wasm_module_delete(module);
  wasm_instance_delete(instance);

  printf("Calling export...\n");
  wasm_val_t as[2] = {WASM_I32_VAL(3), WASM_I32_VAL(4)};
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(as), results = WASM_ARRAY_VEC(rs);
  if (wasm_func_call(run, &args, &results)) die("Error calling function!");
  wasm_extern_vec_delete(&exports);

  printf("Printing result...\n> %u\n", (unsigned)rs[0].of.i32);
  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
