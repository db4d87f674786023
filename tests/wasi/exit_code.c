// Exit codes: exit(N), return from main, _Exit, and a trap.
// RUN: exit 7
// RUN: exit 0
// RUN: return 3
// RUN: _Exit 42
// RUN: exit 255
// RUN: trap
// RUN: abort
#include "common.h"

int main(int argc, char **argv) {
    if (argc < 2) return 99;
    printf("mode %s\n", argv[1]);
    fflush(stdout);
    int code = argc > 2 ? atoi(argv[2]) : 0;
    if (!strcmp(argv[1], "exit")) exit(code);
    if (!strcmp(argv[1], "return")) return code;
    if (!strcmp(argv[1], "_Exit")) _Exit(code);
    if (!strcmp(argv[1], "trap")) __builtin_trap();
    if (!strcmp(argv[1], "abort")) abort();
    return 98;
}
