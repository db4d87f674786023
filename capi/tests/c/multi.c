/* multi: a host function with several parameters and several results. */
#include "example.h"

static wasm_trap_t* callback(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  printf("Calling back...\n> ");
  printf("> %" PRIu32 " %" PRIu64 " %" PRIu64 " %" PRIu32 "\n\n", (uint32_t)args->data[0].of.i32,
         (uint64_t)args->data[1].of.i64, (uint64_t)args->data[2].of.i64, (uint32_t)args->data[3].of.i32);
  wasm_val_copy(&results->data[0], &args->data[3]);
  wasm_val_copy(&results->data[1], &args->data[1]);
  wasm_val_copy(&results->data[2], &args->data[2]);
  wasm_val_copy(&results->data[3], &args->data[0]);
  return NULL;
}

int main(void) {
  printf("Initializing...\n");
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile_file(store, "multi.wasm");

  printf("Creating callback...\n");
  wasm_valtype_t* ps[4] = {wasm_valtype_new_i32(), wasm_valtype_new_i64(), wasm_valtype_new_i64(), wasm_valtype_new_i32()};
  wasm_valtype_t* rs[4] = {wasm_valtype_new_i32(), wasm_valtype_new_i64(), wasm_valtype_new_i64(), wasm_valtype_new_i32()};
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new(&params, 4, ps);
  wasm_valtype_vec_new(&results, 4, rs);
  wasm_functype_t* ty = wasm_functype_new(&params, &results);
  wasm_func_t* f = wasm_func_new(store, ty, callback);
  wasm_functype_delete(ty);

  printf("Instantiating module...\n");
  wasm_extern_t* items[] = {wasm_func_as_extern(f)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(items);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) die("Error instantiating module!");
  wasm_func_delete(f);

  printf("Extracting export...\n");
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);
  wasm_func_t* g = export_func(&e, 0);
  wasm_module_delete(module);
  wasm_instance_delete(instance);

  printf("Calling export...\n");
  wasm_val_t as[4] = {WASM_I32_VAL(1), WASM_I64_VAL(2), WASM_I64_VAL(3), WASM_I32_VAL(4)};
  wasm_val_t out[4] = {WASM_INIT_VAL, WASM_INIT_VAL, WASM_INIT_VAL, WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(as), res = WASM_ARRAY_VEC(out);
  if (wasm_func_call(g, &args, &res)) die("Error calling function!");
  wasm_extern_vec_delete(&e);

  printf("Printing result...\n");
  printf("> %" PRIu32 " %" PRIu64 " %" PRIu64 " %" PRIu32 "\n", (uint32_t)out[0].of.i32, (uint64_t)out[1].of.i64,
         (uint64_t)out[2].of.i64, (uint32_t)out[3].of.i32);
  CHECK(out[0].of.i32 == 4 && out[1].of.i64 == 3 && out[2].of.i64 == 2 && out[3].of.i32 == 1);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
