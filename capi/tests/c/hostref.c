/* hostref: foreign objects with host info passed to wasm as externref,
 * stored in a global and a table, passed through a host function, and
 * recognised when they come back. */
#include "example.h"

static wasm_trap_t* callback(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  printf("Calling back...\n> ");
  printf("> %p\n", args->data[0].of.ref ? wasm_ref_get_host_info(args->data[0].of.ref) : NULL);
  wasm_val_copy(&results->data[0], &args->data[0]);
  return NULL;
}

static wasm_ref_t* call(const wasm_func_t* f, const char* name, int n, wasm_val_t* as, int nr) {
  printf("%s... ", name);
  fflush(stdout);
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = {(size_t)n, as}, results = {(size_t)nr, rs};
  if (wasm_func_call(f, &args, &results)) die("Error calling function!");
  printf("okay\n");
  return rs[0].of.ref;
}
static wasm_ref_t* call_v_r(const wasm_func_t* f) { return call(f, "call_v_r", 0, NULL, 1); }
static void call_r_v(const wasm_func_t* f, wasm_ref_t* r) {
  wasm_val_t as[1] = {WASM_REF_VAL(r)};
  call(f, "call_r_v", 1, as, 0);
}
static wasm_ref_t* call_r_r(const wasm_func_t* f, wasm_ref_t* r) {
  wasm_val_t as[1] = {WASM_REF_VAL(r)};
  return call(f, "call_r_r", 1, as, 1);
}
static void call_ir_v(const wasm_func_t* f, int32_t i, wasm_ref_t* r) {
  wasm_val_t as[2] = {WASM_I32_VAL(i), WASM_REF_VAL(r)};
  call(f, "call_ir_v", 2, as, 0);
}
static wasm_ref_t* call_i_r(const wasm_func_t* f, int32_t i) {
  wasm_val_t as[1] = {WASM_I32_VAL(i)};
  return call(f, "call_i_r", 1, as, 1);
}

static void expect(wasm_ref_t* actual, const wasm_ref_t* expected) {
  if (actual != expected && !(actual && expected && wasm_ref_same(actual, expected))) {
    printf("> Error reading reference, expected %p, got %p\n", expected ? wasm_ref_get_host_info(expected) : NULL,
           actual ? wasm_ref_get_host_info(actual) : NULL);
    exit(1);
  }
  if (actual) wasm_ref_delete(actual);
}

int main(void) {
  printf("Initializing...\n");
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile_file(store, "hostref.wasm");

  printf("Creating callback...\n");
  wasm_functype_t* ty = wasm_functype_new_1_1(wasm_valtype_new(WASM_EXTERNREF), wasm_valtype_new(WASM_EXTERNREF));
  wasm_func_t* cb = wasm_func_new(store, ty, callback);
  wasm_functype_delete(ty);

  printf("Instantiating module...\n");
  wasm_extern_t* items[] = {wasm_func_as_extern(cb)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(items);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) die("Error instantiating module!");
  wasm_func_delete(cb);
  wasm_module_delete(module);

  printf("Extracting exports...\n");
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);
  size_t i = 0;
  wasm_global_t* global = export_global(&e, i++);
  wasm_table_t* table = export_table(&e, i++);
  wasm_func_t* global_set = export_func(&e, i++);
  wasm_func_t* global_get = export_func(&e, i++);
  wasm_func_t* table_set = export_func(&e, i++);
  wasm_func_t* table_get = export_func(&e, i++);
  wasm_func_t* func_call = export_func(&e, i++);
  wasm_instance_delete(instance);

  printf("Creating host references...\n");
  wasm_ref_t* host1 = wasm_foreign_as_ref(wasm_foreign_new(store));
  wasm_ref_t* host2 = wasm_foreign_as_ref(wasm_foreign_new(store));
  wasm_ref_set_host_info(host1, (void*)1);
  wasm_ref_set_host_info(host2, (void*)2);

  expect(NULL, NULL);
  expect(wasm_ref_copy(host1), host1);
  expect(wasm_ref_copy(host2), host2);
  CHECK(!wasm_ref_same(host1, host2));
  CHECK(wasm_ref_as_foreign(host1) != NULL && wasm_ref_as_func(host1) == NULL);

  wasm_val_t val;
  val.kind = WASM_EXTERNREF;
  val.of.ref = wasm_ref_copy(host1);
  expect(wasm_ref_copy(val.of.ref), host1);
  wasm_val_delete(&val);

  printf("Accessing global...\n");
  expect(call_v_r(global_get), NULL);
  call_r_v(global_set, host1);
  expect(call_v_r(global_get), host1);
  call_r_v(global_set, host2);
  expect(call_v_r(global_get), host2);
  call_r_v(global_set, NULL);
  expect(call_v_r(global_get), NULL);

  wasm_global_get(global, &val);
  CHECK(val.kind == WASM_EXTERNREF);
  expect(val.of.ref, NULL);
  val.of.ref = host2;
  wasm_global_set(global, &val);
  expect(call_v_r(global_get), host2);
  wasm_global_get(global, &val);
  CHECK(val.kind == WASM_EXTERNREF);
  expect(val.of.ref, host2);

  printf("Accessing table...\n");
  expect(call_i_r(table_get, 0), NULL);
  expect(call_i_r(table_get, 1), NULL);
  call_ir_v(table_set, 0, host1);
  call_ir_v(table_set, 1, host2);
  expect(call_i_r(table_get, 0), host1);
  expect(call_i_r(table_get, 1), host2);
  call_ir_v(table_set, 0, NULL);
  expect(call_i_r(table_get, 0), NULL);

  expect(wasm_table_get(table, 2), NULL);
  CHECK(wasm_table_set(table, 2, host1));
  expect(call_i_r(table_get, 2), host1);
  expect(wasm_table_get(table, 2), host1);

  printf("Accessing function...\n");
  expect(call_r_r(func_call, NULL), NULL);
  expect(call_r_r(func_call, host1), host1);
  expect(call_r_r(func_call, host2), host2);

  wasm_ref_delete(host1);
  wasm_ref_delete(host2);
  wasm_extern_vec_delete(&e);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
