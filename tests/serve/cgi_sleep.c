// Sleeps for an hour in a blocking WASI call (poll_oneoff): the route's
// timeout must stop it there, through the engine's deadline (tests/serve.rs).
#include <unistd.h>

int main(void) {
    sleep(3600);
    return 0;
}
