/* reflect: the types of a module's exports, from the module and from the
 * instance's externals. */
#include "example.h"

static void print_limits(const wasm_limits_t* l) {
  printf("%ud", l->min);
  if (l->max < wasm_limits_max_default) printf(" %ud", l->max);
}

static void print_valtype(const wasm_valtype_t* t) {
  switch (wasm_valtype_kind(t)) {
    case WASM_I32: printf("i32"); break;
    case WASM_I64: printf("i64"); break;
    case WASM_F32: printf("f32"); break;
    case WASM_F64: printf("f64"); break;
    case WASM_EXTERNREF: printf("externref"); break;
    case WASM_FUNCREF: printf("funcref"); break;
  }
}

static void print_valtypes(const wasm_valtype_vec_t* ts) {
  for (size_t i = 0; i < ts->size; ++i) {
    if (i) printf(" ");
    print_valtype(ts->data[i]);
  }
}

static void print_externtype(const wasm_externtype_t* t) {
  switch (wasm_externtype_kind(t)) {
    case WASM_EXTERN_FUNC: {
      const wasm_functype_t* f = wasm_externtype_as_functype_const(t);
      printf("func ");
      print_valtypes(wasm_functype_params(f));
      printf(" -> ");
      print_valtypes(wasm_functype_results(f));
    } break;
    case WASM_EXTERN_GLOBAL: {
      const wasm_globaltype_t* g = wasm_externtype_as_globaltype_const(t);
      printf("global %s ", wasm_globaltype_mutability(g) == WASM_VAR ? "var" : "const");
      print_valtype(wasm_globaltype_content(g));
    } break;
    case WASM_EXTERN_TABLE: {
      const wasm_tabletype_t* tt = wasm_externtype_as_tabletype_const(t);
      printf("table ");
      print_limits(wasm_tabletype_limits(tt));
      printf(" ");
      print_valtype(wasm_tabletype_element(tt));
    } break;
    case WASM_EXTERN_MEMORY: {
      printf("memory ");
      print_limits(wasm_memorytype_limits(wasm_externtype_as_memorytype_const(t)));
    } break;
  }
}

int main(void) {
  printf("Initializing...\n");
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = compile_file(store, "reflect.wasm");

  printf("Instantiating module...\n");
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) die("Error instantiating module!");

  printf("Extracting export...\n");
  wasm_exporttype_vec_t types;
  wasm_extern_vec_t exports;
  wasm_module_exports(module, &types);
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == types.size);
  for (size_t i = 0; i < exports.size; ++i) {
    CHECK(wasm_extern_kind(exports.data[i]) == wasm_externtype_kind(wasm_exporttype_type(types.data[i])));
    const wasm_name_t* name = wasm_exporttype_name(types.data[i]);
    printf("> export %zu \"%.*s\"\n", i, (int)name->size, name->data);
    printf(">> initial: ");
    print_externtype(wasm_exporttype_type(types.data[i]));
    printf("\n>> current: ");
    wasm_externtype_t* current = wasm_extern_type(exports.data[i]);
    print_externtype(current);
    wasm_externtype_delete(current);
    printf("\n");
    if (wasm_extern_kind(exports.data[i]) == WASM_EXTERN_FUNC) {
      wasm_func_t* f = wasm_extern_as_func(exports.data[i]);
      printf(">> in-arity: %zu, out-arity: %zu\n", wasm_func_param_arity(f), wasm_func_result_arity(f));
    }
  }
  /* The wrong kind converts to NULL. */
  CHECK(wasm_extern_as_memory(exports.data[0]) == NULL);
  CHECK(wasm_externtype_as_tabletype_const(wasm_exporttype_type(types.data[0])) == NULL);

  /* Copies are deep and equal. */
  wasm_exporttype_vec_t copy;
  wasm_exporttype_vec_copy(&copy, &types);
  CHECK(copy.size == types.size && wasm_exporttype_name(copy.data[1])->size == 6);
  wasm_exporttype_vec_delete(&copy);

  wasm_module_delete(module);
  wasm_instance_delete(instance);
  wasm_extern_vec_delete(&exports);
  wasm_exporttype_vec_delete(&types);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
