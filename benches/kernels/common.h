/* Shared by the benchmark kernels: freestanding (no libc), so each kernel is
 * a module with no imports and a single export, `bench(n)`, which does n
 * rounds of work and returns a checksum. The benchmark checks that
 * faasm-engine and wasmtime return the same checksum before timing. */
#ifndef KERNEL_COMMON_H
#define KERNEL_COMMON_H

typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned char u8;
typedef unsigned long usize;

#define EXPORT(name) __attribute__((export_name(name)))

/* clang may turn loops into calls to these even without libc. */
void *memset(void *d, int c, usize n) {
    u8 *p = d;
    while (n--) *p++ = (u8)c;
    return d;
}
void *memcpy(void *d, const void *s, usize n) {
    u8 *p = d;
    const u8 *q = s;
    while (n--) *p++ = *q++;
    return d;
}

/* A small deterministic generator for input data. */
static inline u32 lcg(u32 *s) {
    *s = *s * 1664525u + 1013904223u;
    return *s;
}

#endif
