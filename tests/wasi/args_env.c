// Arguments and environment.
// RUN:
// RUN: one "two words" ""
#include "common.h"

extern char **environ;

int main(int argc, char **argv) {
    printf("argc: %d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d]: [%s]\n", i, argv[i]);
    printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
    int n = 0;
    for (char **e = environ; *e; e++) {
        printf("environ[%d]: [%s]\n", n, *e);
        n++;
    }
    const char *foo = getenv("FOO");
    printf("getenv FOO: [%s]\n", foo ? foo : "(null)");
    const char *empty = getenv("EMPTY");
    printf("getenv EMPTY: [%s]\n", empty ? empty : "(null)");
    printf("getenv MISSING: %s\n", getenv("MISSING") ? "set" : "(null)");
    return 0;
}
