// Every guest pointer is checked against linear memory: out-of-range
// pointers and lengths are EFAULT, never a crash, and change nothing.
// One check per run (wasmtime traps on some of these instead of EFAULT).
// RUN: fd_write_iovs_past_end
// RUN: fd_write_iovs_wrap
// RUN: fd_write_buffer_past_end
// RUN: fd_write_buffer_wraps
// RUN: fd_write_nwritten_past_end
// RUN: fd_read_buffer_past_end
// RUN: fd_read_nread_past_end
// RUN: args_sizes_get
// RUN: args_get_argv
// RUN: args_get_buf
// RUN: environ_get_buf
// RUN: clock_time_get_out
// RUN: random_get
// RUN: random_get_wrap
// RUN: path_open_path
// RUN: path_open_out
// RUN: path_create_directory
// RUN: path_symlink_old
// RUN: path_filestat_get_out
// RUN: fd_prestat_dir_name
// RUN: fd_readdir_buf
// RUN: fd_filestat_get
// RUN: fd_fdstat_get
// RUN: fd_seek_out
// RUN: path_readlink_buf
// RUN: poll_oneoff_in
// RUN: poll_oneoff_out
#include "common.h"
#include "raw.h"

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "";
    uint32_t end = mem_end();
    uint32_t n = 0;
    static char buf[64];
    static uint64_t subs[6];
    uint32_t iov[2] = {PTR(buf), 8};
    memcpy(buf, "written\n", 8);
    uint32_t bad_iov[2] = {end - 4, 8};
    uint32_t wrap_iov[2] = {0xfffffff0u, 0x20};
    uint32_t newfd;
    int dir = preopen_fd("/sandbox");
    int fd = open("/sandbox/hello.txt", O_RDONLY);
    int out = open("/sandbox/out.txt", O_CREAT | O_WRONLY, 0644);
    int e = -1;

    if (!strcmp(m, "fd_write_iovs_past_end")) e = raw_fd_write(out, end - 4, 1, PTR(&n));
    else if (!strcmp(m, "fd_write_iovs_wrap")) e = raw_fd_write(out, 0xfffffff8u, 2, PTR(&n));
    else if (!strcmp(m, "fd_write_buffer_past_end")) e = raw_fd_write(out, PTR(bad_iov), 1, PTR(&n));
    else if (!strcmp(m, "fd_write_buffer_wraps")) e = raw_fd_write(out, PTR(wrap_iov), 1, PTR(&n));
    else if (!strcmp(m, "fd_write_nwritten_past_end")) e = raw_fd_write(out, PTR(iov), 1, end - 2);
    else if (!strcmp(m, "fd_read_buffer_past_end")) {
        uint32_t r[2] = {end - 2, 6};
        e = raw_fd_read(fd, PTR(r), 1, PTR(&n));
    } else if (!strcmp(m, "fd_read_nread_past_end")) e = raw_fd_read(fd, PTR(iov), 1, end - 1);
    else if (!strcmp(m, "args_sizes_get")) e = raw_args_sizes_get(end, PTR(&n));
    else if (!strcmp(m, "args_get_argv")) e = raw_args_get(end - 2, PTR(buf));
    else if (!strcmp(m, "args_get_buf")) e = raw_args_get(PTR(subs), end - 1);
    else if (!strcmp(m, "environ_get_buf")) e = raw_environ_get(PTR(subs), 0xffffffffu);
    else if (!strcmp(m, "clock_time_get_out")) e = raw_clock_time_get(0, 0, end - 7);
    else if (!strcmp(m, "random_get")) e = raw_random_get(end - 8, 16);
    else if (!strcmp(m, "random_get_wrap")) e = raw_random_get(0xffffffffu, 2);
    else if (!strcmp(m, "path_open_path")) e = raw_path_open(dir, 0, end - 3, 10, 0, 2, 2, 0, PTR(&newfd));
    else if (!strcmp(m, "path_open_out")) e = raw_path_open(dir, 0, PTR("hello.txt"), 9, 0, 2, 2, 0, end);
    else if (!strcmp(m, "path_create_directory")) e = raw_path_create_directory(dir, 0xfffffff0u, 0x20);
    else if (!strcmp(m, "path_symlink_old")) e = raw_path_symlink(end, 5, dir, PTR("lnk"), 3);
    else if (!strcmp(m, "path_filestat_get_out")) e = raw_path_filestat_get(dir, 0, PTR("hello.txt"), 9, end - 63);
    else if (!strcmp(m, "fd_prestat_dir_name")) e = raw_fd_prestat_dir_name(dir, end - 2, 8);
    else if (!strcmp(m, "fd_readdir_buf")) e = raw_fd_readdir(dir, end - 16, 256, 0, PTR(&n));
    else if (!strcmp(m, "fd_filestat_get")) e = raw_fd_filestat_get(fd, end - 8);
    else if (!strcmp(m, "fd_fdstat_get")) e = raw_fd_fdstat_get(fd, end - 8);
    else if (!strcmp(m, "fd_seek_out")) e = raw_fd_seek(fd, 0, 0, end - 4);
    else if (!strcmp(m, "path_readlink_buf")) e = raw_path_readlink(dir, PTR("host_link"), 9, end - 2, 100, PTR(&n));
    else if (!strcmp(m, "poll_oneoff_in")) e = raw_poll_oneoff(end - 40, PTR(buf), 1, PTR(&n));
    else if (!strcmp(m, "poll_oneoff_out")) e = raw_poll_oneoff(PTR(subs), end - 16, 1, PTR(&n));
    printf("%s: %s\n", m, e < 0 ? "unknown mode" : e ? ename(e) : "ok");

    /* The failed call changed nothing: no link, nothing written, nothing
     * consumed from hello.txt. */
    struct stat st;
    CHECK("lnk absent", lstat("/sandbox/lnk", &st));
    fstat(out, &st);
    printf("out.txt size: %lld\n", (long long)st.st_size);
    char rest[16] = {0};
    printf("hello.txt unread: %zd\n", read(fd, rest, sizeof rest));
    return 0;
}
