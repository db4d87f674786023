// A module without WASI or libc, for --invoke: exports add (i32), mul64
// (i64) and scale (f64). Built with -nostdlib -Wl,--no-entry.
__attribute__((export_name("add"))) int add(int a, int b) { return a + b; }
__attribute__((export_name("mul64"))) long long mul64(long long a, long long b) { return a * b; }
__attribute__((export_name("scale"))) double scale(double x, float f) { return x * f; }
