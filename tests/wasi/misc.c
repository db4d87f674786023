// Descriptor flags, preallocation, renumbering, fdstat details, cwd
// emulation and cross-grant operations.
#include "common.h"
#include "raw.h"
#include <sched.h>
#include <wasi/api.h>

WASI_IMPORT(fd_renumber) int32_t raw_fd_renumber(int32_t from, int32_t to);
WASI_IMPORT(fd_fdstat_set_rights) int32_t raw_fd_fdstat_set_rights(int32_t fd, uint64_t base, uint64_t inh);
WASI_IMPORT(sched_yield) int32_t raw_sched_yield(void);

int main(void) {
    // fcntl flags round trip.
    int fd = open("/sandbox/flags.txt", O_CREAT | O_RDWR, 0644);
    int fl = fcntl(fd, F_GETFL);
    printf("initial append %d nonblock %d rdwr %d\n", !!(fl & O_APPEND), !!(fl & O_NONBLOCK), (fl & O_ACCMODE) == O_RDWR);
    CHECK("set append|nonblock", fcntl(fd, F_SETFL, fl | O_APPEND | O_NONBLOCK));
    fl = fcntl(fd, F_GETFL);
    printf("now append %d nonblock %d\n", !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
    write(fd, "a", 1);
    lseek(fd, 0, SEEK_SET);
    write(fd, "b", 1);
    CHECK("clear flags", fcntl(fd, F_SETFL, 0));
    fl = fcntl(fd, F_GETFL);
    printf("cleared append %d nonblock %d\n", !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
    lseek(fd, 0, SEEK_SET);
    write(fd, "c", 1);
    close(fd);
    show_file("flags.txt", "/sandbox/flags.txt");

    // fdstat of several kinds of descriptor.
    __wasi_fdstat_t st;
    int dir = open("/sandbox/sub", O_RDONLY | O_DIRECTORY);
    fd = open("/sandbox/hello.txt", O_RDONLY);
    CHECK_ERR("fdstat dir", __wasi_fd_fdstat_get(dir, &st));
    printf("dir filetype %u\n", st.fs_filetype);
    CHECK_ERR("fdstat file", __wasi_fd_fdstat_get(fd, &st));
    printf("file filetype %u can read %d can write %d\n", st.fs_filetype, !!(st.fs_rights_base & __WASI_RIGHTS_FD_READ),
           !!(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE));

    // Renumbering.
    int other = open("/sandbox/sub/inner.txt", O_RDONLY);
    CHECK_ERR("renumber", raw_fd_renumber(fd, other));
    char buf[16] = {0};
    read(other, buf, 5);
    printf("renumbered reads hello.txt: %d\n", strncmp(buf, "hello", 5) == 0);
    CHECK("old number closed", read(fd, buf, 1));
    CHECK_ERR("renumber bad", raw_fd_renumber(fd, other));

    // Path-based truncate and access.
    put_file("/sandbox/t.txt", "0123456789");
    CHECK("truncate", truncate("/sandbox/t.txt", 4));
    show_file("truncated", "/sandbox/t.txt");
    CHECK("access exists", access("/sandbox/t.txt", F_OK));
    CHECK("access missing", access("/sandbox/none.txt", F_OK));
    CHECK("ftruncate dir", ftruncate(dir, 0));

    // wasi-libc's emulated current directory.
    CHECK("chdir", chdir("/sandbox/sub"));
    char cwd[64];
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : ename(errno));
    show_file("relative after chdir", "inner.txt");
    show_file("dotdot after chdir", "../hello.txt");
    CHECK("chdir missing", chdir("/sandbox/nothere"));

    // Across grants.
    CHECK("rename across grants", rename("/sandbox/t.txt", "/ro/t.txt"));
    CHECK("link across grants", link("/sandbox/t.txt", "/ro/t.txt"));

    CHECK_ERR("sched_yield", raw_sched_yield());
    CHECK("sched_yield libc", sched_yield());
    return 0;
}
