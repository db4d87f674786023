/* A tiny bytecode interpreter whose every instruction is a call through a
 * table of function pointers (call_indirect in wasm): the dispatch pattern
 * of CPython's C code, without CPython. The program is a loop of
 * arithmetic on a small register file; n is the number of iterations. */
#include "common.h"

typedef struct {
    u32 r[4];
    int pc;
    int count;
} vm_t;

typedef void (*op_fn)(vm_t *, const u8 *);

__attribute__((noinline)) static void op_add(vm_t *m, const u8 *p) { m->r[p[1] & 3] += m->r[p[2] & 3]; m->pc += 3; }
__attribute__((noinline)) static void op_xor(vm_t *m, const u8 *p) { m->r[p[1] & 3] ^= m->r[p[2] & 3]; m->pc += 3; }
__attribute__((noinline)) static void op_rol(vm_t *m, const u8 *p) { u32 x = m->r[p[1] & 3]; m->r[p[1] & 3] = (x << 5) | (x >> 27); m->pc += 2; }
__attribute__((noinline)) static void op_mul(vm_t *m, const u8 *p) { m->r[p[1] & 3] *= 0x9e3779b1u; m->pc += 2; }
__attribute__((noinline)) static void op_inc(vm_t *m, const u8 *p) { m->r[p[1] & 3] += p[2]; m->pc += 3; }
__attribute__((noinline)) static void op_loop(vm_t *m, const u8 *p) {
    /* Jump back to the start while iterations remain. */
    if (--m->count > 0) m->pc = 0; else m->pc += 1;
}
__attribute__((noinline)) static void op_nop(vm_t *m, const u8 *p) { m->pc += 1; }

/* Not const: the table lives in memory and is read at run time, so the
 * compiler cannot turn the dispatch into direct calls. */
static op_fn ops[8] = { op_add, op_xor, op_rol, op_mul, op_inc, op_loop, op_nop, op_nop };

enum { ADD, XOR, ROL, MUL, INC, LOOP, NOP, HALT };

static u8 program[] = {
    INC, 0, 1,
    ADD, 1, 0,
    ROL, 1,
    XOR, 2, 1,
    MUL, 2,
    ADD, 3, 2,
    NOP,
    INC, 3, 7,
    XOR, 0, 3,
    ROL, 0,
    LOOP,
    HALT,
};

EXPORT("bench") u32 bench(int n) {
    vm_t m = { { 1, 2, 3, 4 }, 0, n };
    for (;;) {
        u8 op = program[m.pc];
        if (op == HALT) break;
        ops[op & 7](&m, &program[m.pc]);
    }
    return m.r[0] ^ m.r[1] ^ m.r[2] ^ m.r[3];
}
