/* A side module that uses the main module's data and functions, has its
 * own static state, constructor, data pointers and function-pointer table,
 * and calls back into the main module through pointers it is given. */
extern int main_counter;            /* GOT.mem */
extern int main_add(int, int);      /* env import, and GOT.func for &main_add */
typedef int (*binop)(int, int);
typedef int (*unop)(int);

int side_value = 42;
int *side_value_ptr(void) { return &side_value; }
int side_ctor_ran = 0;
__attribute__((constructor)) static void init(void) { side_ctor_ran = 7; }

int side_twice(int x) { return 2 * x; }
binop side_get_main_add(void) { return main_add; }
int side_apply(binop f, int a, int b) { return f(a, b); }
int side_call_main(int a, int b) { return main_add(a, b) * 10; }
void side_bump_counter(void) { main_counter += 5; }

static int calls = 0;
int side_next(void) { return ++calls; }

static int f_inc(int x) { return x + 1; }
static int f_neg(int x) { return -x; }
static unop table[] = { f_inc, f_neg, side_twice };   /* data relocations */
static const char *names[] = { "inc", "neg", "twice" };
int side_dispatch(int i, int x) { return table[i](x); }
const char *side_name(int i) { return names[i]; }
unop side_twice_ptr(void) { return side_twice; }
