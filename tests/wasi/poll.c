// poll_oneoff: clock subscriptions (relative, absolute, several), regular
// files, stdin with data, and errors.
#include "common.h"
#include <poll.h>
#include <wasi/api.h>

static void sub_clock(__wasi_subscription_t *s, uint64_t ud, __wasi_clockid_t id, uint64_t timeout, int abs) {
    memset(s, 0, sizeof *s);
    s->userdata = ud;
    s->u.tag = __WASI_EVENTTYPE_CLOCK;
    s->u.u.clock.id = id;
    s->u.u.clock.timeout = timeout;
    s->u.u.clock.flags = abs ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
}

static void sub_fd(__wasi_subscription_t *s, uint64_t ud, int read, int fd) {
    memset(s, 0, sizeof *s);
    s->userdata = ud;
    s->u.tag = read ? __WASI_EVENTTYPE_FD_READ : __WASI_EVENTTYPE_FD_WRITE;
    s->u.u.fd_read.file_descriptor = fd;
}

static long long mono(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
    __wasi_subscription_t s[4];
    __wasi_event_t ev[4];
    __wasi_size_t n = 0;

    long long t0 = mono();
    sub_clock(&s[0], 7, __WASI_CLOCKID_MONOTONIC, 15 * 1000000ULL, 0);
    CHECK_ERR("relative clock", __wasi_poll_oneoff(s, ev, 1, &n));
    printf("events %u userdata %llu type %u error %u waited>=15ms %d\n", (unsigned)n, (unsigned long long)ev[0].userdata,
           ev[0].type, ev[0].error, mono() - t0 >= 15000000LL);

    sub_clock(&s[0], 1, __WASI_CLOCKID_MONOTONIC, 3600ULL * 1000000000ULL, 0);
    sub_clock(&s[1], 2, __WASI_CLOCKID_MONOTONIC, 1000000ULL, 0);
    CHECK_ERR("two clocks", __wasi_poll_oneoff(s, ev, 2, &n));
    printf("events %u first userdata %llu\n", (unsigned)n, (unsigned long long)ev[0].userdata);

    __wasi_timestamp_t now;
    __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now);
    sub_clock(&s[0], 3, __WASI_CLOCKID_REALTIME, now + 5000000ULL, 1);
    t0 = mono();
    CHECK_ERR("absolute realtime", __wasi_poll_oneoff(s, ev, 1, &n));
    printf("events %u userdata %llu waited>=4ms %d\n", (unsigned)n, (unsigned long long)ev[0].userdata, mono() - t0 >= 4000000LL);
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &now);
    sub_clock(&s[0], 4, __WASI_CLOCKID_MONOTONIC, now + 2000000ULL, 1);
    CHECK_ERR("absolute monotonic", __wasi_poll_oneoff(s, ev, 1, &n));
    printf("events %u userdata %llu\n", (unsigned)n, (unsigned long long)ev[0].userdata);
    sub_clock(&s[0], 5, __WASI_CLOCKID_MONOTONIC, 1, 1);
    CHECK_ERR("absolute in the past", __wasi_poll_oneoff(s, ev, 1, &n));
    printf("events %u userdata %llu\n", (unsigned)n, (unsigned long long)ev[0].userdata);

    /* A regular file is always ready. */
    int fd = open("/sandbox/hello.txt", O_RDONLY);
    sub_fd(&s[0], 10, 1, fd);
    sub_clock(&s[1], 11, __WASI_CLOCKID_MONOTONIC, 3600ULL * 1000000000ULL, 0);
    CHECK_ERR("file readable", __wasi_poll_oneoff(s, ev, 2, &n));
    printf("events %u userdata %llu type %u error %u\n", (unsigned)n, (unsigned long long)ev[0].userdata, ev[0].type, ev[0].error);
    int wfd = open("/sandbox/out.txt", O_CREAT | O_WRONLY, 0644);
    sub_fd(&s[0], 12, 0, wfd);
    CHECK_ERR("file writable", __wasi_poll_oneoff(s, ev, 2, &n));
    printf("events %u userdata %llu type %u\n", (unsigned)n, (unsigned long long)ev[0].userdata, ev[0].type);

    /* stdin holds data: readable. */
    sub_fd(&s[0], 20, 1, 0);
    CHECK_ERR("stdin readable", __wasi_poll_oneoff(s, ev, 2, &n));
    printf("events %u userdata %llu type %u\n", (unsigned)n, (unsigned long long)ev[0].userdata, ev[0].type);

    /* libc poll(): timeout only, and on a file. */
    t0 = mono();
    printf("poll sleep: %d waited>=10ms %d\n", poll(NULL, 0, 10), mono() - t0 >= 10000000LL);
    struct pollfd p = {fd, POLLIN, 0};
    printf("poll file: %d revents POLLIN %d\n", poll(&p, 1, 1000), (p.revents & POLLIN) != 0);

    CHECK_ERR("no subscriptions", __wasi_poll_oneoff(s, ev, 0, &n));
    return 0;
}
