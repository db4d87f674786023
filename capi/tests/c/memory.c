/* memory: an exported memory read and written from both sides, grown, and
 * out-of-bounds accesses trapping; a stand-alone memory. */
#include "example.h"

static wasm_trap_t* call(wasm_func_t* f, int n, wasm_val_t* as, wasm_val_t* r) {
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = {(size_t)n, as}, results = WASM_ARRAY_VEC(rs);
  if (wasm_func_result_arity(f) == 0) results.size = 0;
  wasm_trap_t* t = wasm_func_call(f, &args, &results);
  *r = rs[0];
  return t;
}
static void check_call(wasm_func_t* f, int n, wasm_val_t* as, int32_t want) {
  wasm_val_t r;
  if (call(f, n, as, &r) || r.of.i32 != want) die("Error on result");
}
static void check_call0(wasm_func_t* f, int32_t want) { check_call(f, 0, NULL, want); }
static void check_call1(wasm_func_t* f, int32_t a, int32_t want) {
  wasm_val_t as[1] = {WASM_I32_VAL(a)};
  check_call(f, 1, as, want);
}
static void check_ok2(wasm_func_t* f, int32_t a, int32_t b) {
  wasm_val_t as[2] = {WASM_I32_VAL(a), WASM_I32_VAL(b)}, r;
  if (call(f, 2, as, &r)) die("Error on result, expected empty");
}
static void check_trap(wasm_func_t* f, int n, wasm_val_t* as) {
  wasm_val_t r;
  wasm_trap_t* t = call(f, n, as, &r);
  if (!t) die("Error on result, expected trap");
  wasm_trap_delete(t);
}
static void check_trap1(wasm_func_t* f, int32_t a) {
  wasm_val_t as[1] = {WASM_I32_VAL(a)};
  check_trap(f, 1, as);
}
static void check_trap2(wasm_func_t* f, int32_t a, int32_t b) {
  wasm_val_t as[2] = {WASM_I32_VAL(a), WASM_I32_VAL(b)};
  check_trap(f, 2, as);
}

int main(void) {
  printf("Initializing...\n");
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile_file(store, "memory.wasm");

  printf("Instantiating module...\n");
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) die("Error instantiating module!");

  printf("Extracting exports...\n");
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);
  wasm_memory_t* memory = export_memory(&e, 0);
  wasm_func_t* size = export_func(&e, 1);
  wasm_func_t* load = export_func(&e, 2);
  wasm_func_t* store_fn = export_func(&e, 3);
  wasm_module_delete(module);

  wasm_memory_t* copy = wasm_memory_copy(memory);
  CHECK(wasm_memory_same(memory, copy));
  wasm_memory_delete(copy);

  printf("Checking memory...\n");
  CHECK(wasm_memory_size(memory) == 2);
  CHECK(wasm_memory_data_size(memory) == 0x20000);
  CHECK(wasm_memory_data(memory)[0] == 0);
  CHECK(wasm_memory_data(memory)[0x1000] == 1);
  CHECK(wasm_memory_data(memory)[0x1003] == 4);
  check_call0(size, 2);
  check_call1(load, 0, 0);
  check_call1(load, 0x1000, 1);
  check_call1(load, 0x1003, 4);
  check_call1(load, 0x1ffff, 0);
  check_trap1(load, 0x20000);

  printf("Mutating memory...\n");
  wasm_memory_data(memory)[0x1003] = 5;
  check_ok2(store_fn, 0x1002, 6);
  check_trap2(store_fn, 0x20000, 0);
  CHECK(wasm_memory_data(memory)[0x1002] == 6);
  CHECK(wasm_memory_data(memory)[0x1003] == 5);
  check_call1(load, 0x1002, 6);
  check_call1(load, 0x1003, 5);

  printf("Growing memory...\n");
  CHECK(wasm_memory_grow(memory, 1));
  CHECK(wasm_memory_size(memory) == 3);
  CHECK(wasm_memory_data_size(memory) == 0x30000);
  check_call1(load, 0x20000, 0);
  check_ok2(store_fn, 0x20000, 0);
  check_trap1(load, 0x30000);
  check_trap2(store_fn, 0x30000, 0);
  CHECK(!wasm_memory_grow(memory, 1));
  CHECK(wasm_memory_grow(memory, 0));
  wasm_memorytype_t* mt = wasm_memory_type(memory);
  CHECK(wasm_memorytype_limits(mt)->min == 3 && wasm_memorytype_limits(mt)->max == 3);
  wasm_memorytype_delete(mt);

  wasm_extern_vec_delete(&e);
  wasm_instance_delete(instance);

  printf("Creating stand-alone memory...\n");
  wasm_limits_t limits = {5, 5};
  wasm_memorytype_t* memorytype = wasm_memorytype_new(&limits);
  wasm_memory_t* memory2 = wasm_memory_new(store, memorytype);
  CHECK(wasm_memory_size(memory2) == 5);
  CHECK(!wasm_memory_grow(memory2, 1));
  CHECK(wasm_memory_grow(memory2, 0));
  wasm_memorytype_delete(memorytype);
  wasm_memory_delete(memory2);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
