/* The main module of the dynamic-linking tests: loads side modules from
 * /lib (a read-only grant) and prints what it sees; tests/dynlink.rs
 * compares the output line by line. */
#include <stdio.h>
#include <string.h>
#include "dlfcn.h"

int main_counter = 100;
int main_add(int a, int b) { return a + b; }
typedef int (*binop)(int, int);
typedef int (*unop)(int);

static void *sym(void *h, const char *name) {
    void *p = dlsym(h, name);
    if (!p) printf("dlsym %s failed: %s\n", name, dlerror());
    return p;
}

static void expect_failure(const char *what, const char *path) {
    void *h = dlopen(path, RTLD_NOW);
    const char *e = dlerror();
    printf("%s: %s: %s\n", what, h ? "loaded?!" : "NULL", e ? e : "(no dlerror)");
}

int main(int argc, char **argv) {
    (void)argc; (void)argv;
    void *h = dlopen("/lib/libside.so", RTLD_NOW);
    if (!h) { printf("dlopen libside.so failed: %s\n", dlerror()); return 1; }
    printf("dlerror after success: %s\n", dlerror() ? "set" : "NULL");

    unop twice = (unop)sym(h, "side_twice");
    printf("side_twice(21) = %d\n", twice(21));
    binop (*get_add)(void) = (binop (*)(void))sym(h, "side_get_main_add");
    printf("function pointer identity: %s\n", get_add() == main_add ? "same" : "DIFFERENT");
    unop (*twice_ptr)(void) = (unop (*)(void))sym(h, "side_twice_ptr");
    printf("dlsym and the library agree: %s\n", twice_ptr() == twice ? "same" : "DIFFERENT");
    int (*apply)(binop, int, int) = (int (*)(binop, int, int))sym(h, "side_apply");
    printf("callback: side_apply(main_add, 2, 3) = %d\n", apply(main_add, 2, 3));
    binop call_main = (binop)sym(h, "side_call_main");
    printf("side_call_main(4, 5) = %d\n", call_main(4, 5));
    void (*bump)(void) = (void (*)(void))sym(h, "side_bump_counter");
    bump();
    printf("main_counter after bump = %d\n", main_counter);

    int *value = (int *)sym(h, "side_value");
    int *(*value_ptr)(void) = (int *(*)(void))sym(h, "side_value_ptr");
    printf("side_value = %d, same address: %s\n", *value, value_ptr() == value ? "yes" : "NO");
    *value = 43;
    printf("side_value through the library = %d\n", *value_ptr());
    printf("constructor ran: %d\n", *(int *)sym(h, "side_ctor_ran"));
    int (*next)(void) = (int (*)(void))sym(h, "side_next");
    int a = next(), b = next();
    printf("static state: %d %d\n", a, b);
    int (*dispatch)(int, int) = (int (*)(int, int))sym(h, "side_dispatch");
    const char *(*name)(int) = (const char *(*)(int))sym(h, "side_name");
    for (int i = 0; i < 3; i++) printf("table[%d] %s(10) = %d\n", i, name(i), dispatch(i, 10));

    void *again = dlopen("/lib/./libside.so", RTLD_NOW);
    printf("second dlopen: %s\n", again == h ? "same handle" : "DIFFERENT handle");
    printf("dlclose: %d %d\n", dlclose(again), dlclose(h));
    void *gone = dlsym(h, "side_twice");
    printf("dlsym after the last dlclose: %s (%s)\n", gone ? "found?!" : "NULL", dlerror());
    h = dlopen("/lib/libside.so", RTLD_NOW | RTLD_GLOBAL);
    printf("reopened: %s, state kept: %d\n", h ? "yes" : "no", next());

    void *u = dlopen("/lib/libuser.so", RTLD_NOW);
    if (!u) { printf("dlopen libuser.so failed: %s\n", dlerror()); return 1; }
    int (*user_call)(int) = (int (*)(int))sym(u, "user_call");
    int (*user_value)(void) = (int (*)(void))sym(u, "user_side_value");
    printf("needed library: user_call(5) = %d, side_value seen = %d\n", user_call(5), user_value());
    printf("RTLD_DEFAULT finds side_twice: %s\n", dlsym(RTLD_DEFAULT, "side_twice") == (void *)twice ? "yes" : "no");
    printf("main handle finds main_add: %s\n", dlsym(dlopen(NULL, RTLD_NOW), "main_add") == (void *)main_add ? "yes" : "no");

    printf("missing symbol: %s: %s\n", dlsym(h, "nope") ? "found?!" : "NULL", dlerror());
    expect_failure("missing file", "/lib/missing.so");
    expect_failure("outside the sandbox", "/etc/passwd");
    expect_failure("not wasm", "/lib/notwasm.so");
    expect_failure("no dylink.0", "/lib/plain.wasm");
    expect_failure("truncated", "/lib/truncated.so");
    expect_failure("unresolved symbol", "/lib/libundef.so");
    expect_failure("signature mismatch", "/lib/libbadsig.so");
    printf("still running: %d\n", twice(50));
    return 0;
}
