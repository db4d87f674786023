/* misuse: bad arguments give NULL, false, errors or traps with messages,
 * never a crash; the extensions' error objects and the text format. */
#include "faasm_engine.h"

#include <stdio.h>
#include <stdlib.h>

static void check(int ok, const char* what) {
  if (!ok) {
    printf("> Error: check failed: %s\n", what);
    exit(1);
  }
}
#define CHECK(e) check((e), #e)

static void print_error(const char* what, faasm_error_t* e) {
  wasm_name_t m;
  faasm_error_message(e, &m);
  printf("%s: %s\n", what, m.data);
  wasm_name_delete(&m);
  faasm_error_delete(e);
}

static void print_last(const char* what) {
  wasm_name_t m;
  CHECK(faasm_last_error_message(&m));
  printf("%s: %s\n", what, m.data);
  wasm_name_delete(&m);
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);

  /* NULL everywhere. */
  CHECK(wasm_store_new(NULL) == NULL);
  CHECK(wasm_module_new(store, NULL) == NULL);
  CHECK(wasm_module_new(NULL, NULL) == NULL);
  CHECK(!wasm_module_validate(NULL, NULL));
  CHECK(wasm_func_type(NULL) == NULL);
  CHECK(wasm_memory_data(NULL) == NULL && wasm_memory_data_size(NULL) == 0);
  CHECK(!wasm_memory_grow(NULL, 1) && !wasm_table_grow(NULL, 1, NULL));
  CHECK(wasm_table_get(NULL, 0) == NULL && wasm_table_size(NULL) == 0);
  CHECK(wasm_extern_as_func(NULL) == NULL && wasm_ref_as_module(NULL) == NULL);
  CHECK(wasm_valtype_new(77) == NULL);
  CHECK(wasm_functype_params(NULL)->size == 0);
  wasm_global_get(NULL, NULL);
  wasm_global_set(NULL, NULL);
  wasm_ref_delete(NULL);
  wasm_val_vec_delete(NULL);
  wasm_trap_t* t = wasm_func_call(NULL, NULL, NULL);
  CHECK(t != NULL);
  wasm_message_t msg;
  wasm_trap_message(t, &msg);
  printf("call NULL: %s\n", msg.data);
  wasm_name_delete(&msg);
  wasm_trap_delete(t);

  /* Invalid bytes: NULL with a reason, and an error object with it. */
  wasm_byte_vec_t junk;
  wasm_byte_vec_new(&junk, 8, "\0asm\2\0\0\0");
  CHECK(!wasm_module_validate(store, &junk));
  CHECK(wasm_module_new(store, &junk) == NULL);
  print_last("wasm_module_new");
  wasm_module_t* m = NULL;
  print_error("faasm_module_new", faasm_module_new(store, &junk, &m));
  CHECK(m == NULL);
  wasm_byte_vec_delete(&junk);

  /* Text format. */
  wasm_byte_vec_t bin;
  const char* bad = "(module (func (result i32) i32.const))";
  print_error("faasm_wat2wasm", faasm_wat2wasm(bad, strlen(bad), &bin));
  CHECK(bin.size == 0);
  const char* wat =
      "(module (import \"env\" \"f\" (func $f (param i32) (result i32)))"
      " (memory (export \"memory\") 1)"
      " (func (export \"twice\") (param i32) (result i32) (call $f (i32.mul (local.get 0) (i32.const 2))))"
      " (func (export \"div\") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1))))";
  CHECK(faasm_wat2wasm(wat, strlen(wat), &bin) == NULL);
  CHECK(faasm_module_new(store, &bin, &m) == NULL && m != NULL);
  wasm_byte_vec_delete(&bin);

  /* Imports: missing, wrong count, wrong type. */
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  wasm_trap_t* trap = NULL;
  CHECK(wasm_instance_new(store, m, &none, &trap) == NULL && trap != NULL);
  wasm_trap_message(trap, &msg);
  printf("too few imports: %s\n", msg.data);
  wasm_name_delete(&msg);
  wasm_trap_delete(trap);

  wasm_limits_t lim = {1, 2};
  wasm_memorytype_t* mt = wasm_memorytype_new(&lim);
  wasm_memory_t* mem = wasm_memory_new(store, mt);
  wasm_memorytype_delete(mt);
  wasm_extern_t* wrong[] = {wasm_memory_as_extern(mem)};
  wasm_extern_vec_t wrong_vec = WASM_ARRAY_VEC(wrong);
  CHECK(wasm_instance_new(store, m, &wrong_vec, &trap) == NULL && trap != NULL);
  wasm_trap_message(trap, &msg);
  printf("wrong import: %s\n", msg.data);
  wasm_name_delete(&msg);
  wasm_trap_delete(trap);

  faasm_linker_t* linker = faasm_linker_new(store);
  wasm_instance_t* inst = NULL;
  print_error("linker, missing", faasm_linker_instantiate(linker, m, &inst, NULL));
  CHECK(inst == NULL);
  /* A function of the right type from another instance, by name. */
  const char* lib = "(module (func (export \"f\") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))";
  wasm_module_t* libm = NULL;
  CHECK(faasm_wat2wasm(lib, strlen(lib), &bin) == NULL && faasm_module_new(store, &bin, &libm) == NULL);
  wasm_byte_vec_delete(&bin);
  wasm_instance_t* libi = wasm_instance_new(store, libm, &none, NULL);
  CHECK(libi != NULL);
  CHECK(faasm_linker_define_instance(linker, "env", libi) == NULL);
  CHECK(faasm_linker_instantiate(linker, m, &inst, NULL) == NULL && inst != NULL);

  wasm_extern_t* twice = faasm_instance_export(inst, "twice", 5);
  wasm_val_t as[1] = {WASM_I32_VAL(20)};
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(as), results = WASM_ARRAY_VEC(rs);
  CHECK(wasm_func_call(wasm_extern_as_func(twice), &args, &results) == NULL);
  printf("twice(20) through env.f: %d\n", rs[0].of.i32);

  /* Wrong argument types and counts are traps, not crashes. */
  wasm_val_t bad_as[1] = {WASM_F64_VAL(1.5)};
  wasm_val_vec_t bad_args = WASM_ARRAY_VEC(bad_as);
  t = wasm_func_call(wasm_extern_as_func(twice), &bad_args, &results);
  wasm_trap_message(t, &msg);
  printf("wrong argument: %s\n", msg.data);
  wasm_name_delete(&msg);
  wasm_trap_delete(t);
  wasm_extern_t* div = faasm_instance_export(inst, "div", 3);
  t = wasm_func_call(wasm_extern_as_func(div), &args, &results);
  wasm_trap_message(t, &msg);
  printf("wrong count: %s\n", msg.data);
  wasm_name_delete(&msg);
  wasm_trap_delete(t);
  wasm_val_t d[2] = {WASM_I32_VAL(1), WASM_I32_VAL(0)};
  wasm_val_vec_t dargs = WASM_ARRAY_VEC(d);
  t = wasm_func_call(wasm_extern_as_func(div), &dargs, &results);
  faasm_trap_display(t, &msg);
  printf("divide: %s\n", msg.data);
  wasm_name_delete(&msg);
  wasm_trap_delete(t);
  CHECK(faasm_instance_export(inst, "nope", 4) == NULL);

  /* An object of another store is refused. */
  wasm_store_t* other = wasm_store_new(engine);
  wasm_extern_t* foreign_items[] = {twice};
  wasm_extern_vec_t foreign_vec = WASM_ARRAY_VEC(foreign_items);
  CHECK(wasm_instance_new(other, m, &foreign_vec, &trap) == NULL);
  wasm_trap_message(trap, &msg);
  printf("other store: %s\n", msg.data);
  wasm_name_delete(&msg);
  wasm_trap_delete(trap);
  wasm_store_delete(other);

  /* A module's imports. */
  wasm_importtype_vec_t imps;
  wasm_module_imports(m, &imps);
  CHECK(imps.size == 1);
  const wasm_name_t* mod = wasm_importtype_module(imps.data[0]);
  const wasm_name_t* name = wasm_importtype_name(imps.data[0]);
  printf("import: %.*s.%.*s kind %d\n", (int)mod->size, mod->data, (int)name->size, name->data,
         wasm_externtype_kind(wasm_importtype_type(imps.data[0])));
  wasm_importtype_vec_delete(&imps);

  wasm_extern_delete(twice);
  wasm_extern_delete(div);
  wasm_memory_delete(mem);
  wasm_instance_delete(inst);
  wasm_instance_delete(libi);
  wasm_module_delete(libm);
  wasm_module_delete(m);
  faasm_linker_delete(linker);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
