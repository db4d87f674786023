/* global: globals made by the host and exported by wasm, read and written
 * from both sides. */
#include "example.h"

static void expect_f32(wasm_val_t v, float want, const char* what) {
  if (v.kind != WASM_F32 || v.of.f32 != want) { printf("> Error reading value %s\n", what); exit(1); }
}
static void expect_i64(wasm_val_t v, int64_t want, const char* what) {
  if (v.kind != WASM_I64 || v.of.i64 != want) { printf("> Error reading value %s\n", what); exit(1); }
}
static wasm_val_t get(const wasm_global_t* g) { wasm_val_t v; wasm_global_get(g, &v); return v; }
static wasm_val_t call0(const wasm_func_t* f) {
  wasm_val_t rs[1];
  wasm_val_vec_t args = WASM_EMPTY_VEC, results = WASM_ARRAY_VEC(rs);
  if (wasm_func_call(f, &args, &results)) die("Error calling function!");
  return rs[0];
}
static void call1(const wasm_func_t* f, wasm_val_t a) {
  wasm_val_t as[1] = {a};
  wasm_val_vec_t args = WASM_ARRAY_VEC(as), results = WASM_EMPTY_VEC;
  if (wasm_func_call(f, &args, &results)) die("Error calling function!");
}

int main(void) {
  printf("Initializing...\n");
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile_file(store, "global.wasm");

  printf("Creating globals...\n");
  wasm_globaltype_t* cf = wasm_globaltype_new(wasm_valtype_new(WASM_F32), WASM_CONST);
  wasm_globaltype_t* ci = wasm_globaltype_new(wasm_valtype_new(WASM_I64), WASM_CONST);
  wasm_globaltype_t* vf = wasm_globaltype_new(wasm_valtype_new(WASM_F32), WASM_VAR);
  wasm_globaltype_t* vi = wasm_globaltype_new(wasm_valtype_new(WASM_I64), WASM_VAR);
  CHECK(wasm_globaltype_mutability(vf) == WASM_VAR && wasm_valtype_kind(wasm_globaltype_content(ci)) == WASM_I64);
  wasm_val_t v1 = WASM_F32_VAL(1), v2 = WASM_I64_VAL(2), v3 = WASM_F32_VAL(3), v4 = WASM_I64_VAL(4);
  wasm_global_t* ci_f32 = wasm_global_new(store, cf, &v1);
  wasm_global_t* ci_i64 = wasm_global_new(store, ci, &v2);
  wasm_global_t* vi_f32 = wasm_global_new(store, vf, &v3);
  wasm_global_t* vi_i64 = wasm_global_new(store, vi, &v4);
  /* A value of the wrong type makes no global. */
  CHECK(wasm_global_new(store, cf, &v2) == NULL);
  wasm_globaltype_delete(cf);
  wasm_globaltype_delete(ci);
  wasm_globaltype_delete(vf);
  wasm_globaltype_delete(vi);

  printf("Instantiating module...\n");
  wasm_extern_t* items[] = {wasm_global_as_extern(ci_f32), wasm_global_as_extern(ci_i64),
                            wasm_global_as_extern(vi_f32), wasm_global_as_extern(vi_i64)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(items);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) die("Error instantiating module!");
  wasm_module_delete(module);

  printf("Extracting exports...\n");
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);
  size_t i = 0;
  wasm_global_t* ce_f32 = export_global(&e, i++);
  wasm_global_t* ce_i64 = export_global(&e, i++);
  wasm_global_t* ve_f32 = export_global(&e, i++);
  wasm_global_t* ve_i64 = export_global(&e, i++);
  wasm_func_t* get_ci_f32 = export_func(&e, i++);
  wasm_func_t* get_ci_i64 = export_func(&e, i++);
  wasm_func_t* get_vi_f32 = export_func(&e, i++);
  wasm_func_t* get_vi_i64 = export_func(&e, i++);
  wasm_func_t* get_ce_f32 = export_func(&e, i++);
  wasm_func_t* get_ce_i64 = export_func(&e, i++);
  wasm_func_t* get_ve_f32 = export_func(&e, i++);
  wasm_func_t* get_ve_i64 = export_func(&e, i++);
  wasm_func_t* set_vi_f32 = export_func(&e, i++);
  wasm_func_t* set_vi_i64 = export_func(&e, i++);
  wasm_func_t* set_ve_f32 = export_func(&e, i++);
  wasm_func_t* set_ve_i64 = export_func(&e, i++);

  wasm_global_t* copy = wasm_global_copy(vi_f32);
  CHECK(wasm_global_same(vi_f32, copy));
  CHECK(!wasm_global_same(vi_f32, vi_i64));
  wasm_global_delete(copy);

  printf("Accessing globals...\n");
  expect_f32(get(ci_f32), 1, "const f32 import"); expect_i64(get(ci_i64), 2, "const i64 import");
  expect_f32(get(vi_f32), 3, "var f32 import");   expect_i64(get(vi_i64), 4, "var i64 import");
  expect_f32(get(ce_f32), 5, "const f32 export"); expect_i64(get(ce_i64), 6, "const i64 export");
  expect_f32(get(ve_f32), 7, "var f32 export");   expect_i64(get(ve_i64), 8, "var i64 export");
  expect_f32(call0(get_ci_f32), 1, "f1"); expect_i64(call0(get_ci_i64), 2, "f2");
  expect_f32(call0(get_vi_f32), 3, "f3"); expect_i64(call0(get_vi_i64), 4, "f4");
  expect_f32(call0(get_ce_f32), 5, "f5"); expect_i64(call0(get_ce_i64), 6, "f6");
  expect_f32(call0(get_ve_f32), 7, "f7"); expect_i64(call0(get_ve_i64), 8, "f8");

  /* Host writes; a write to a constant global changes nothing. */
  wasm_val_t v33 = WASM_F32_VAL(33), v34 = WASM_I64_VAL(34), v37 = WASM_F32_VAL(37), v38 = WASM_I64_VAL(38);
  wasm_global_set(vi_f32, &v33);
  wasm_global_set(vi_i64, &v34);
  wasm_global_set(ve_f32, &v37);
  wasm_global_set(ve_i64, &v38);
  wasm_global_set(ci_f32, &v33);
  expect_f32(get(ci_f32), 1, "const after set");
  expect_f32(get(vi_f32), 33, "g33"); expect_i64(get(vi_i64), 34, "g34");
  expect_f32(get(ve_f32), 37, "g37"); expect_i64(get(ve_i64), 38, "g38");
  expect_f32(call0(get_vi_f32), 33, "f33"); expect_i64(call0(get_vi_i64), 34, "f34");
  expect_f32(call0(get_ve_f32), 37, "f37"); expect_i64(call0(get_ve_i64), 38, "f38");

  /* Wasm writes. */
  call1(set_vi_f32, (wasm_val_t)WASM_F32_VAL(73));
  call1(set_vi_i64, (wasm_val_t)WASM_I64_VAL(74));
  call1(set_ve_f32, (wasm_val_t)WASM_F32_VAL(77));
  call1(set_ve_i64, (wasm_val_t)WASM_I64_VAL(78));
  expect_f32(get(vi_f32), 73, "g73"); expect_i64(get(vi_i64), 74, "g74");
  expect_f32(get(ve_f32), 77, "g77"); expect_i64(get(ve_i64), 78, "g78");
  expect_f32(call0(get_vi_f32), 73, "f73"); expect_i64(call0(get_vi_i64), 74, "f74");
  expect_f32(call0(get_ve_f32), 77, "f77"); expect_i64(call0(get_ve_i64), 78, "f78");

  wasm_global_delete(ci_f32);
  wasm_global_delete(ci_i64);
  wasm_global_delete(vi_f32);
  wasm_global_delete(vi_i64);
  wasm_extern_vec_delete(&e);
  wasm_instance_delete(instance);
  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
