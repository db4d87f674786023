// Arguments outside their WASI enum or flag set: WASI defines an errno for
// each (EINVAL), and that is what the guest gets. One check per run, so
// that each can be compared on its own (wasmtime traps on some of them).
// RUN: clock_time_get_bad_id
// RUN: clock_res_get_bad_id
// RUN: seek_bad_whence
// RUN: advise_bad_advice
// RUN: path_open_bad_oflags
// RUN: path_open_bad_fdflags
// RUN: set_flags_bad_flags
// RUN: set_times_bad_flags
// RUN: set_times_both_now_and_value
// RUN: poll_bad_tag
// RUN: poll_bad_clock
// RUN: poll_zero_subscriptions
// RUN: readdir_not_a_dir
// RUN: prestat_not_a_preopen
// RUN: bad_fd
// RUN: path_open_directory_on_file
// RUN: invalid_utf8_path
#include "common.h"
#include "raw.h"
#include <wasi/api.h>

WASI_IMPORT(clock_res_get) int32_t raw_clock_res_get(uint32_t id, uint32_t out);
WASI_IMPORT(fd_advise) int32_t raw_fd_advise(int32_t fd, uint64_t off, uint64_t len, uint32_t advice);
WASI_IMPORT(fd_fdstat_set_flags) int32_t raw_fd_fdstat_set_flags(int32_t fd, uint32_t flags);
WASI_IMPORT(fd_filestat_set_times) int32_t raw_fd_filestat_set_times(int32_t fd, uint64_t a, uint64_t m, uint32_t flags);
WASI_IMPORT(fd_close) int32_t raw_fd_close(int32_t fd);

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    int sb = preopen_fd("/sandbox");
    int fd = open("/sandbox/hello.txt", O_RDWR);
    uint64_t out64;
    uint32_t out32;
    int e = -1;
    if (!strcmp(m, "clock_time_get_bad_id")) e = raw_clock_time_get(9, 0, PTR(&out64));
    else if (!strcmp(m, "clock_res_get_bad_id")) e = raw_clock_res_get(9, PTR(&out64));
    else if (!strcmp(m, "seek_bad_whence")) e = raw_fd_seek(fd, 0, 7, PTR(&out64));
    else if (!strcmp(m, "advise_bad_advice")) e = raw_fd_advise(fd, 0, 10, 77);
    else if (!strcmp(m, "path_open_bad_oflags")) e = raw_path_open(sb, 0, PTR("hello.txt"), 9, 0x100, 2, 0, 0, PTR(&out32));
    else if (!strcmp(m, "path_open_bad_fdflags")) e = raw_path_open(sb, 0, PTR("hello.txt"), 9, 0, 2, 0, 0x800, PTR(&out32));
    else if (!strcmp(m, "set_flags_bad_flags")) e = raw_fd_fdstat_set_flags(fd, 0x4000);
    else if (!strcmp(m, "set_times_bad_flags")) e = raw_fd_filestat_set_times(fd, 0, 0, 0x100);
    else if (!strcmp(m, "set_times_both_now_and_value")) e = raw_fd_filestat_set_times(fd, 5, 0, 3);
    else if (!strcmp(m, "poll_bad_tag") || !strcmp(m, "poll_bad_clock") || !strcmp(m, "poll_zero_subscriptions")) {
        __wasi_subscription_t s;
        __wasi_event_t ev;
        memset(&s, 0, sizeof s);
        s.userdata = 5;
        s.u.tag = __WASI_EVENTTYPE_CLOCK;
        s.u.u.clock.id = 9;
        if (!strcmp(m, "poll_bad_tag")) s.u.tag = 3;
        e = raw_poll_oneoff(PTR(&s), PTR(&ev), !strcmp(m, "poll_zero_subscriptions") ? 0 : 1, PTR(&out32));
        if (e == 0) printf("events %u error %s\n", out32, ename(ev.error));
    } else if (!strcmp(m, "readdir_not_a_dir")) e = raw_fd_readdir(fd, PTR(&out64), 8, 0, PTR(&out32));
    else if (!strcmp(m, "prestat_not_a_preopen")) e = raw_fd_prestat_get(fd, PTR(&out64));
    else if (!strcmp(m, "bad_fd")) e = raw_fd_close(1234);
    else if (!strcmp(m, "path_open_directory_on_file"))
        e = raw_path_open(sb, 0, PTR("hello.txt"), 9, __WASI_OFLAGS_DIRECTORY, 2, 0, 0, PTR(&out32));
    else if (!strcmp(m, "invalid_utf8_path")) e = raw_path_open(sb, 0, PTR("\xff\xfe"), 2, 0, 2, 0, 0, PTR(&out32));
    printf("%s: %s\n", m, e < 0 ? "unknown mode" : e ? ename(e) : "ok");
    return 0;
}
