/* table: a funcref table exported by wasm, read, written and grown by the
 * host (with a host function in it), called through call_indirect; a
 * stand-alone table. */
#include "example.h"

static wasm_trap_t* neg_callback(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  printf("Calling back...\n");
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = -args->data[0].of.i32;
  return NULL;
}

static void check_table(wasm_table_t* t, int32_t i, int expect_set) {
  wasm_ref_t* r = wasm_table_get(t, i);
  check(!!r == expect_set, "table element set/unset");
  if (r) wasm_ref_delete(r);
}

static wasm_trap_t* call2(wasm_func_t* f, int32_t a, int32_t b, wasm_val_t* r) {
  wasm_val_t as[2] = {WASM_I32_VAL(a), WASM_I32_VAL(b)};
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(as), results = WASM_ARRAY_VEC(rs);
  wasm_trap_t* trap = wasm_func_call(f, &args, &results);
  *r = rs[0];
  return trap;
}

static void check_call(wasm_func_t* f, int32_t a, int32_t b, int32_t want) {
  wasm_val_t r;
  if (call2(f, a, b, &r) || r.of.i32 != want) die("Error on result");
}

static void check_trap(wasm_func_t* f, int32_t a, int32_t b) {
  wasm_val_t r;
  wasm_trap_t* trap = call2(f, a, b, &r);
  if (!trap) die("Error on result, expected trap");
  wasm_trap_delete(trap);
}

int main(void) {
  printf("Initializing...\n");
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile_file(store, "table.wasm");

  printf("Instantiating module...\n");
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) die("Error instantiating module!");

  printf("Extracting exports...\n");
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);
  wasm_table_t* table = export_table(&e, 0);
  wasm_func_t* call_indirect = export_func(&e, 1);
  wasm_func_t* f = export_func(&e, 2);
  wasm_func_t* g = export_func(&e, 3);
  wasm_module_delete(module);

  printf("Creating callback...\n");
  wasm_functype_t* neg_ty = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* h = wasm_func_new(store, neg_ty, neg_callback);
  wasm_functype_delete(neg_ty);

  wasm_table_t* copy = wasm_table_copy(table);
  CHECK(wasm_table_same(table, copy));
  wasm_table_delete(copy);

  printf("Checking table...\n");
  CHECK(wasm_table_size(table) == 2);
  check_table(table, 0, 0);
  check_table(table, 1, 1);
  check_trap(call_indirect, 0, 0);
  check_call(call_indirect, 7, 1, 7);
  check_trap(call_indirect, 0, 2);

  printf("Mutating table...\n");
  CHECK(wasm_table_set(table, 0, wasm_func_as_ref(g)));
  CHECK(wasm_table_set(table, 1, NULL));
  CHECK(!wasm_table_set(table, 2, wasm_func_as_ref(f)));
  check_table(table, 0, 1);
  check_table(table, 1, 0);
  check_call(call_indirect, 7, 0, 666);
  check_trap(call_indirect, 0, 1);
  check_trap(call_indirect, 0, 2);

  printf("Growing table...\n");
  CHECK(wasm_table_grow(table, 3, NULL));
  CHECK(wasm_table_size(table) == 5);
  CHECK(wasm_table_set(table, 2, wasm_func_as_ref(f)));
  CHECK(wasm_table_set(table, 3, wasm_func_as_ref(h)));
  CHECK(!wasm_table_set(table, 5, NULL));
  check_table(table, 2, 1);
  check_table(table, 3, 1);
  check_table(table, 4, 0);
  check_call(call_indirect, 5, 2, 5);
  check_call(call_indirect, 6, 3, -6);
  check_trap(call_indirect, 0, 4);
  check_trap(call_indirect, 0, 5);

  CHECK(wasm_table_grow(table, 2, wasm_func_as_ref(f)));
  CHECK(wasm_table_size(table) == 7);
  check_table(table, 5, 1);
  check_table(table, 6, 1);
  CHECK(!wasm_table_grow(table, 5, NULL));
  CHECK(wasm_table_grow(table, 3, NULL));
  CHECK(wasm_table_grow(table, 0, NULL));
  /* A function read back from the table is the same object. */
  wasm_ref_t* back = wasm_table_get(table, 3);
  CHECK(back && wasm_func_same(wasm_ref_as_func(back), h));
  wasm_ref_delete(back);

  wasm_func_delete(h);
  wasm_extern_vec_delete(&e);
  wasm_instance_delete(instance);

  printf("Creating stand-alone table...\n");
  wasm_limits_t limits = {5, 5};
  wasm_tabletype_t* tt = wasm_tabletype_new(wasm_valtype_new(WASM_FUNCREF), &limits);
  CHECK(wasm_tabletype_limits(tt)->max == 5 && wasm_valtype_kind(wasm_tabletype_element(tt)) == WASM_FUNCREF);
  wasm_table_t* table2 = wasm_table_new(store, tt, NULL);
  CHECK(wasm_table_size(table2) == 5);
  CHECK(!wasm_table_grow(table2, 1, NULL));
  CHECK(wasm_table_grow(table2, 0, NULL));
  wasm_tabletype_delete(tt);
  wasm_table_delete(table2);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
