// Clocks: every clock id reads and has a resolution; monotonic never goes
// back; sleeping lasts at least as long as asked; invalid ids fail.
#include "common.h"

int main(void) {
    clockid_t ids[4] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
    const char *names[4] = {"realtime", "monotonic", "process", "thread"};
    for (int i = 0; i < 4; i++) {
        struct timespec ts, res;
        int a = clock_gettime(ids[i], &ts);
        int b = clock_getres(ids[i], &res);
        printf("%s: gettime %s getres %s res>0 %d\n", names[i], a ? ename(errno) : "ok", b ? ename(errno) : "ok",
               res.tv_sec > 0 || res.tv_nsec > 0);
    }
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    printf("realtime after 2020: %d\n", rt.tv_sec > 1577836800);
    time_t t = time(NULL);
    printf("time() after 2020: %d\n", t > 1577836800);

    struct timespec prev, now;
    clock_gettime(CLOCK_MONOTONIC, &prev);
    int backwards = 0;
    for (int i = 0; i < 10000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec < prev.tv_sec || (now.tv_sec == prev.tv_sec && now.tv_nsec < prev.tv_nsec)) backwards = 1;
        prev = now;
    }
    printf("monotonic never goes back: %d\n", !backwards);

    /* A sleep can be longer than asked, never shorter. */
    struct timespec s0, s1, req = {0, 20 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &s0);
    CHECK("nanosleep", nanosleep(&req, NULL));
    clock_gettime(CLOCK_MONOTONIC, &s1);
    long long ns = (s1.tv_sec - s0.tv_sec) * 1000000000LL + (s1.tv_nsec - s0.tv_nsec);
    printf("slept at least 20ms: %d\n", ns >= 20 * 1000 * 1000);
    clock_gettime(CLOCK_MONOTONIC, &s0);
    CHECK("usleep", usleep(5000));
    clock_gettime(CLOCK_MONOTONIC, &s1);
    ns = (s1.tv_sec - s0.tv_sec) * 1000000000LL + (s1.tv_nsec - s0.tv_nsec);
    printf("usleep at least 5ms: %d\n", ns >= 5 * 1000 * 1000);

    /* Process CPU time advances with work. */
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 50000000UL; i++) x += i;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    printf("cpu time advances: %d\n", c1.tv_sec > c0.tv_sec || c1.tv_nsec > c0.tv_nsec);
    return 0;
}
