// Standard streams: read stdin to the end, write stdout and stderr,
// isatty, fstat of the streams, and closing them.
#include "common.h"

int main(void) {
    char line[128];
    int n = 0;
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        printf("stdin %d: [%s]\n", n++, line);
    }
    printf("eof: %d\n", feof(stdin));
    char c;
    printf("read after eof: %zd\n", read(0, &c, 1));
    fprintf(stderr, "this goes to stderr\n");
    printf("isatty 0: %d\n", isatty(0));
    printf("isatty 1: %d\n", isatty(1));
    printf("isatty file: %d\n", isatty(open("/sandbox/hello.txt", O_RDONLY)));
    fflush(stdout);
    /* Big write in one call. */
    static char big[200000];
    memset(big, 'x', sizeof big);
    big[sizeof big - 1] = '\n';
    ssize_t total = 0;
    while (total < (ssize_t)sizeof big) {
        ssize_t w = write(1, big + total, sizeof big - total);
        if (w <= 0) break;
        total += w;
    }
    printf("big write: %zd\n", total);
    CHECK("seek stdout", lseek(1, 0, SEEK_CUR) >= 0 ? 0 : -1);
    fflush(stdout);
    CHECK("close stdin", close(0));
    CHECK("read closed stdin", read(0, &c, 1));
    return 0;
}
