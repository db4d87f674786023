// Traps for the CLI tests: `unreachable` a few calls deep, unbounded
// recursion on the native stack, and an out-of-bounds load.
#include <stdio.h>
#include <string.h>

volatile int sink;

__attribute__((noinline)) static void innermost_function(void) { __builtin_trap(); }
__attribute__((noinline)) static void middle_function(void) { innermost_function(); sink++; }

__attribute__((noinline)) static int recurse_forever(int n) {
    if (sink == 123456789) return 0;
    int r = recurse_forever(n + 1);
    sink = r;
    return r + n;
}

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    printf("before %s\n", m);
    fflush(stdout);
    if (!strcmp(m, "unreachable")) middle_function();
    if (!strcmp(m, "recursion")) return recurse_forever(0);
    if (!strcmp(m, "oob")) return *(volatile int *)0xfffffff0u;
    return 0;
}
