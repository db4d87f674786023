// Imports that cannot be linked: fd_write with a wrong signature (mode
// "type") or a function no host provides (mode "missing"). Built with
// -nostdlib -Wl,--no-entry; the mode is chosen at compile time (-DMISSING).
#ifdef MISSING
__attribute__((import_module("env"), import_name("no_such_function"))) int missing(int);
__attribute__((export_name("go"))) int go(void) { return missing(1); }
#else
__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_write"))) long long fd_write(int);
__attribute__((export_name("go"))) int go(void) { return (int)fd_write(1); }
#endif
