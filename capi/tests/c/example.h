/* Shared helpers of the C test programs: each program is one example of
 * upstream wasm-c-api's example/ directory, written again for our tests (the
 * same API calls and the same output), run by tests/examples.rs from a
 * directory that holds its NAME.wasm. */
#ifndef EXAMPLE_H
#define EXAMPLE_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm.h"

static void die(const char* what) {
  printf("> %s\n", what);
  exit(1);
}

/* The bytes of NAME.wasm in the current directory. */
static wasm_byte_vec_t read_wasm(const char* path) {
  wasm_byte_vec_t bytes;
  FILE* f = fopen(path, "rb");
  if (!f) die("Error loading module!");
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  wasm_byte_vec_new_uninitialized(&bytes, (size_t)n);
  if (n > 0 && fread(bytes.data, (size_t)n, 1, f) != 1) die("Error loading module!");
  fclose(f);
  return bytes;
}

static wasm_module_t* compile_file(wasm_store_t* store, const char* path) {
  printf("Loading binary...\n");
  wasm_byte_vec_t bytes = read_wasm(path);
  printf("Compiling module...\n");
  wasm_module_t* m = wasm_module_new(store, &bytes);
  wasm_byte_vec_delete(&bytes);
  if (!m) die("Error compiling module!");
  return m;
}

static wasm_extern_t* export_at(const wasm_extern_vec_t* exports, size_t i) {
  if (i >= exports->size) die("Error accessing export!");
  return exports->data[i];
}

static wasm_func_t* export_func(const wasm_extern_vec_t* e, size_t i) {
  wasm_func_t* f = wasm_extern_as_func(export_at(e, i));
  if (!f) die("Error accessing function export!");
  return f;
}

static wasm_global_t* export_global(const wasm_extern_vec_t* e, size_t i) {
  wasm_global_t* g = wasm_extern_as_global(export_at(e, i));
  if (!g) die("Error accessing global export!");
  return g;
}

static wasm_table_t* export_table(const wasm_extern_vec_t* e, size_t i) {
  wasm_table_t* t = wasm_extern_as_table(export_at(e, i));
  if (!t) die("Error accessing table export!");
  return t;
}

static wasm_memory_t* export_memory(const wasm_extern_vec_t* e, size_t i) {
  wasm_memory_t* m = wasm_extern_as_memory(export_at(e, i));
  if (!m) die("Error accessing memory export!");
  return m;
}

static void check(int ok, const char* what) {
  if (!ok) {
    printf("> Error: check failed: %s\n", what);
    exit(1);
  }
}
#define CHECK(e) check((e), #e)

#endif
