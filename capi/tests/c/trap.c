/* trap: a trap made by a host function and a wasm trap, each with its
 * message, origin and trace. */
#include "example.h"
#include "frame.h"

static wasm_trap_t* fail_callback(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args; (void)results;
  printf("Calling back...\n");
  wasm_name_t message;
  wasm_name_new_from_string_nt(&message, "callback abort");
  wasm_trap_t* trap = wasm_trap_new((wasm_store_t*)env, &message);
  wasm_name_delete(&message);
  return trap;
}

int main(void) {
  printf("Initializing...\n");
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile_file(store, "trap.wasm");

  printf("Creating callback...\n");
  wasm_functype_t* ty = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasm_func_t* fail = wasm_func_new_with_env(store, ty, fail_callback, store, NULL);
  wasm_functype_delete(ty);

  printf("Instantiating module...\n");
  wasm_extern_t* items[] = {wasm_func_as_extern(fail)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(items);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) die("Error instantiating module!");
  wasm_func_delete(fail);

  printf("Extracting exports...\n");
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == 2);
  wasm_module_delete(module);
  wasm_instance_delete(instance);

  for (int i = 0; i < 2; ++i) {
    const wasm_func_t* func = export_func(&exports, i);
    printf("Calling export %d...\n", i);
    /* As upstream's example does: no room for the i32 result, the trap comes first. */
    wasm_val_vec_t args = WASM_EMPTY_VEC, results = WASM_EMPTY_VEC;
    wasm_trap_t* trap = wasm_func_call(func, &args, &results);
    if (!trap) die("Error calling function, expected trap!");
    print_trap(trap);
    wasm_trap_t* copy = wasm_trap_copy(trap);
    CHECK(wasm_trap_same(trap, copy));
    wasm_trap_delete(copy);
    wasm_trap_delete(trap);
  }
  wasm_extern_vec_delete(&exports);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
