/* Embedding overhead through the standard wasm C API only (wasm.h), so the
 * same program links against libfaasm_engine.so and against wasmtime's
 * libwasmtime.so: a call of a trivial export from C, a call from wasm into
 * a C host function, and instantiation. Prints one "name ns_per_op" line
 * per measurement.
 *
 * usage: call_overhead MODULE.wasm */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "wasm.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static wasm_trap_t* host(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = args->data[0].of.i32 + 1;
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  FILE* f = fopen(argv[1], "rb");
  if (!f) return 2;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  wasm_byte_vec_t bin;
  wasm_byte_vec_new_uninitialized(&bin, n);
  if (fread(bin.data, n, 1, f) != 1) return 2;
  fclose(f);

  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = wasm_module_new(store, &bin);
  if (!module) { fprintf(stderr, "compile failed\n"); return 1; }
  wasm_functype_t* ty = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* hf = wasm_func_new(store, ty, host);
  wasm_extern_t* items[] = {wasm_func_as_extern(hf)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(items);
  wasm_instance_t* inst = wasm_instance_new(store, module, &imports, NULL);
  if (!inst) { fprintf(stderr, "instantiate failed\n"); return 1; }
  wasm_extern_vec_t ex;
  wasm_instance_exports(inst, &ex);
  wasm_func_t* add = wasm_extern_as_func(ex.data[0]);
  wasm_func_t* loop = wasm_extern_as_func(ex.data[1]);

  const int calls = 1000000;
  wasm_val_t as[2] = {WASM_I32_VAL(1), WASM_I32_VAL(2)};
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(as), results = WASM_ARRAY_VEC(rs);
  for (int i = 0; i < 10000; i++) wasm_func_call(add, &args, &results);
  double t0 = now();
  for (int i = 0; i < calls; i++) {
    as[0].of.i32 = i;
    if (wasm_func_call(add, &args, &results)) return 1;
  }
  printf("c_call_export %.1f\n", (now() - t0) / calls * 1e9);

  wasm_val_t la[1] = {WASM_I32_VAL(calls)};
  wasm_val_vec_t largs = WASM_ARRAY_VEC(la);
  t0 = now();
  if (wasm_func_call(loop, &largs, &results)) return 1;
  printf("c_host_call %.1f\n", (now() - t0) / calls * 1e9);

  const int insts = 2000;
  t0 = now();
  for (int i = 0; i < insts; i++) {
    wasm_instance_t* x = wasm_instance_new(store, module, &imports, NULL);
    if (!x) return 1;
    wasm_instance_delete(x);
  }
  printf("c_instantiate %.1f\n", (now() - t0) / insts * 1e9);

  wasm_extern_vec_delete(&ex);
  wasm_instance_delete(inst);
  wasm_func_delete(hf);
  wasm_functype_delete(ty);
  wasm_module_delete(module);
  wasm_byte_vec_delete(&bin);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}
