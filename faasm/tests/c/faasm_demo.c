/* A Faasm function in C using the host interface directly. The input's
 * first word picks what it does; the output says what it saw, so the test
 * (faasm/tests/c_host_interface.rs) can check every step. */
#include "faasm_host.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char out[4096];
static int outlen;

/* Appends to the output: `fmt` has one %.*s (the `len` bytes at `s`, which
 * need no NUL: outputs from the host have none) and one %ld. */
static void say(const char *fmt, const char *s, int len, long n) {
    outlen += snprintf(out + outlen, sizeof out - outlen, fmt, len, s ? s : "", n);
}
/* Appends with `fmt` holding one %ld. */
static void sayn(const char *fmt, long n) {
    outlen += snprintf(out + outlen, sizeof out - outlen, fmt, n);
}
/* Appends with `fmt` holding one %.*s. */
static void says(const char *fmt, const char *s, int len) {
    outlen += snprintf(out + outlen, sizeof out - outlen, fmt, len, s);
}
#define SAYN(fmt, n) sayn(fmt, (long)(n))
#define SAYS(fmt, s, len) says(fmt, s, len)

static unsigned char input[1024];
static long inlen;

static void read_input(void) {
    long size = __faasm_read_input(input, 0);
    inlen = __faasm_read_input(input, sizeof input - 1);
    input[inlen] = 0;
    if (size != inlen) SAYN("size mismatch %ld;", size);
}

/* Chained by name: upper-cases its input into its output; returns 0. */
__attribute__((export_name("child_upper"))) int child_upper(void) {
    read_input();
    for (long i = 0; i < inlen; i++)
        if (input[i] >= 'a' && input[i] <= 'z') input[i] -= 32;
    __faasm_write_output((const char *)input, inlen);
    return 0;
}

/* Chained by name: fails with return code 7. */
__attribute__((export_name("child_fail"))) int child_fail(void) { return 7; }

/* Chained by name: traps. */
__attribute__((export_name("child_trap"))) int child_trap(void) { __builtin_trap(); }

/* Chained by name: appends its input to the list "fan" under a lock-free
 * append, and adds 1 to the counter "count" under the write lock. */
__attribute__((export_name("child_add"))) int child_add(void) {
    read_input();
    __faasm_append_state("fan", input, inlen);
    __faasm_lock_state_write("count");
    unsigned char c[4] = {0};
    __faasm_read_state("count", c, 4);
    int n;
    memcpy(&n, c, 4);
    n++;
    memcpy(c, &n, 4);
    __faasm_write_state("count", c, 4);
    __faasm_unlock_state_write("count");
    return 0;
}

/* Chained by pointer (Faasm's `int f()`): reports its call index and input. */
static int child_ptr(void) {
    read_input();
    char buf[64];
    int n = snprintf(buf, sizeof buf, "ptr idx=%d in=%s", __faasm_get_idx(), (char *)input);
    __faasm_write_output(buf, n);
    return 3;
}

/* Chained by name: chains again (a chain of chains). */
__attribute__((export_name("child_nested"))) int child_nested(void) {
    unsigned int id = __faasm_chain_name("child_upper", (const unsigned char *)"deep", 4);
    char *o = NULL;
    int ol = 0;
    int rc = __faasm_await_call_output(id, &o, &ol);
    __faasm_write_output(o, ol);
    free(o);
    return rc;
}

static void do_state(void) {
    long n = __faasm_read_state("missing", NULL, 0);
    SAYN("missing=%ld;", n);
    __faasm_write_state("k", (const unsigned char *)"0123456789", 10);
    __faasm_push_state("k");
    __faasm_write_state_offset("k", 10, 2, (const unsigned char *)"999", 3);
    __faasm_pull_state("k", 10);
    unsigned char v[11] = {0};
    SAYN("size=%ld;", __faasm_read_state("k", v, 10));
    SAYS("value=%.*s;", (char *)v, 10);
    unsigned char seg[5] = {0};
    __faasm_read_state_offset("k", 10, 4, seg, 4);
    SAYS("seg=%.*s;", (char *)seg, 4);
    __faasm_clear_appended_state("list");
    __faasm_append_state("list", (const unsigned char *)"ab", 2);
    __faasm_append_state("list", (const unsigned char *)"cd", 2);
    unsigned char app[5] = {0};
    __faasm_read_appended_state("list", app, 4, 2);
    SAYS("appended=%.*s;", (char *)app, 4);
    SAYN("flag=%ld;", __faasm_conf_flag("ALWAYS_ON"));
}

static void do_chain(void) {
    unsigned int a = __faasm_chain_name("child_upper", (const unsigned char *)"abc", 3);
    unsigned int b = __faasm_chain_ptr(child_ptr, (const unsigned char *)"xyz", 3);
    unsigned int c = __faasm_chain_name("child_fail", NULL, 0);
    unsigned int d = __faasm_chain_name("child_trap", NULL, 0);
    unsigned int e = __faasm_chain_name("child_nested", NULL, 0);
    char *o = NULL;
    int ol = 0;
    int rc = __faasm_await_call_output(a, &o, &ol);
    say("a=%.*s rc=%ld;", o, ol, rc);
    free(o);
    rc = __faasm_await_call_output(b, &o, &ol);
    say("b=%.*s rc=%ld;", o, ol, rc);
    free(o);
    SAYN("c rc=%ld;", __faasm_await_call(c));
    SAYN("d failed=%ld;", __faasm_await_call(d) != 0);
    rc = __faasm_await_call_output(e, &o, &ol);
    say("e=%.*s rc=%ld;", o, ol, rc);
    free(o);
}

static void do_fanout(int n) {
    unsigned int ids[128];
    __faasm_write_state("count", (const unsigned char *)"\0\0\0\0", 4);
    __faasm_clear_appended_state("fan");
    for (int i = 0; i < n; i++) ids[i] = __faasm_chain_name("child_add", (const unsigned char *)"x", 1);
    int failed = 0;
    for (int i = 0; i < n; i++) failed += __faasm_await_call(ids[i]) != 0;
    unsigned char c[4];
    __faasm_read_state("count", c, 4);
    int count;
    memcpy(&count, c, 4);
    unsigned char fan[128];
    __faasm_read_appended_state("fan", fan, n, n);
    int xs = 0;
    for (int i = 0; i < n; i++) xs += fan[i] == 'x';
    SAYN("failed=%ld;", failed);
    SAYN("count=%ld;", count);
    SAYN("appended=%ld;", xs);
}

int main(void) {
    read_input();
    const char *cmd = (const char *)input;
    if (strcmp(cmd, "echo") == 0 || strncmp(cmd, "echo ", 5) == 0) {
        __faasm_write_output(cmd, inlen);
        return 0;
    }
    if (strcmp(cmd, "state") == 0) do_state();
    else if (strcmp(cmd, "chain") == 0) do_chain();
    else if (strcmp(cmd, "fanout") == 0) do_fanout(100);
    else if (strcmp(cmd, "bad-output") == 0) __faasm_write_output((const char *)0x7ffffff0, 4096);
    else if (strcmp(cmd, "bad-key") == 0) __faasm_write_state((const char *)0xfffffff0, input, 1);
    else if (strcmp(cmd, "oversize") == 0) {
        unsigned char *big = calloc(1, 2 << 20);
        __faasm_write_state("big", big, 2 << 20);
    } else if (strcmp(cmd, "unknown") == 0) __faasm_chain_name("no_such_function", NULL, 0);
    else if (strcmp(cmd, "bad-await") == 0) __faasm_await_call(12345);
    else if (strcmp(cmd, "exit3") == 0) return 3;
    else {
        SAYS("unknown command %.*s", cmd, (int)inlen);
        __faasm_write_output(out, outlen);
        return 2;
    }
    __faasm_write_output(out, outlen);
    return 0;
}
