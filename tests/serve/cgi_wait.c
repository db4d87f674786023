// Reads its whole body before answering, so a request whose body is still
// being sent keeps its route busy (tests/serve.rs: the second request of a
// route limited to one at a time gets 503).
#include <stdio.h>
int main(void) {
    char buf[256];
    size_t total = 0, n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) total += n;
    printf("Content-Type: text/plain\n\nread %zu bytes\n", total);
    return 0;
}
