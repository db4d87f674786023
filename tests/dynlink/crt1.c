/* _start of a main module linked with --export-all: it must run the
 * constructors itself, because wasm-ld stops calling __wasm_call_ctors from
 * the standard crt1 once that function is exported. __main_void is
 * wasi-libc's: it fetches argv and calls main. */
extern void __wasm_call_ctors(void);
extern int __main_void(void);
extern void exit(int);
__attribute__((export_name("_start"))) void _start(void) {
    __wasm_call_ctors();
    exit(__main_void());
}
