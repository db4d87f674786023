/* A program whose initialisation (wizer.initialize) leaves state of every
 * kind a snapshot must keep: a global, heap memory (grown), a function
 * pointer (table), and a file opened and partly read (its descriptor
 * stays open). main() prints it,
 * so a restored run can be compared with an initialise-then-run one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static int counter;
static char *heap;
static int data = -1;
static char head[8];
static int (*op)(int);

static int twice(int x) { return 2 * x; }
static int thrice(int x) { return 3 * x; }

static void initialise(void) {
    counter = 41;
    heap = malloc(4 << 20); /* grows memory */
    strcpy(heap, "from the heap");
    /* A descriptor, not a FILE: stdio's buffer would hold the rest of
     * the file in memory, and the point is the descriptor's offset. */
    data = open("data.txt", O_RDONLY);
    if (data < 0 || read(data, head, 5) != 5)
        head[0] = '?';
    op = getenv("THRICE") ? thrice : twice;
}

__attribute__((export_name("wizer.initialize"))) void wizer_initialize(void) {
    initialise();
}

static int initialised(void) { return heap != NULL; }

int main(int argc, char **argv) {
    if (!initialised())
        initialise(); /* a fresh run does what the snapshot did */
    char rest[64] = {0};
    if (data >= 0)
        (void)!read(data, rest, sizeof rest - 1);
    printf("counter=%d heap=%s head=%s rest=%s op=%d args=", ++counter, heap, head, rest, op(7));
    for (int i = 1; i < argc; i++)
        printf("%s%s", i > 1 ? "," : "", argv[i]);
    printf("\n");
    heap[0] = 'X'; /* never seen by another restore */
    return 0;
}
