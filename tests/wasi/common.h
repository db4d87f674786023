/* Shared helpers for the WASI test programs.
 *
 * Each program prints one line per check, "label: result", where a result
 * is "ok", a value, or the symbolic errno. The test runner (tests/wasi.rs)
 * runs every program under faasm-engine and under wasmtime + wasmtime-wasi
 * and compares the output, the exit code and the files left behind.
 *
 * Layout the runner provides: /sandbox (read-write) holding hello.txt
 * ("hello\n"), sub/inner.txt ("inner\n") and host_link -> ../outside (a
 * symlink planted by the host that leads out); /ro (read-only) holding
 * data.txt ("read only\n"); the outside directory, sibling of both, holds
 * secret.txt. Arguments: argv[1..] from the program's "// RUN:" lines; env
 * FOO=bar and EMPTY=; stdin "line one\nline two\n".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

__attribute__((unused)) static const char *ename(int e) {
    switch (e) {
    case 0: return "OK";
    case E2BIG: return "E2BIG";
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EFAULT: return "EFAULT";
    case EFBIG: return "EFBIG";
    case EILSEQ: return "EILSEQ";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case EISDIR: return "EISDIR";
    case ELOOP: return "ELOOP";
    case EMFILE: return "EMFILE";
    case EMLINK: return "EMLINK";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOENT: return "ENOENT";
    case ENOSPC: return "ENOSPC";
    case ENOSYS: return "ENOSYS";
    case ENOTDIR: return "ENOTDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOTSUP: return "ENOTSUP";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOTTY: return "ENOTTY";
    case EOVERFLOW: return "EOVERFLOW";
    case EPERM: return "EPERM";
    case EPIPE: return "EPIPE";
    case EROFS: return "EROFS";
    case ESPIPE: return "ESPIPE";
    case EXDEV: return "EXDEV";
    default: {
        static char buf[32];
        snprintf(buf, sizeof buf, "errno%d", e);
        return buf;
    }
    }
}

/* Runs a libc call that returns -1 (or NULL) on failure and prints
 * "label: ok" or "label: ENAME". */
#define CHECK(label, expr)                                                     \
    do {                                                                       \
        errno = 0;                                                             \
        long _r = (long)(expr);                                                \
        printf("%s: %s\n", (label), _r < 0 ? ename(errno) : "ok");              \
    } while (0)

/* For calls that return an errno value directly (raw WASI calls,
 * posix_fallocate, ...). */
#define CHECK_ERR(label, expr)                                                 \
    do {                                                                       \
        int _e = (int)(expr);                                                  \
        printf("%s: %s\n", (label), _e ? ename(_e) : "ok");                     \
    } while (0)

__attribute__((unused)) static void put_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) {
        printf("put_file %s: %s\n", path, ename(errno));
        return;
    }
    fputs(text, f);
    fclose(f);
}

/* Prints the content of a file, or the error opening it. */
__attribute__((unused)) static void show_file(const char *label, const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: %s\n", label, ename(errno));
        return;
    }
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n < 0) {
        printf("%s: read %s\n", label, ename(errno));
    } else {
        buf[n] = 0;
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] == '\n') buf[i] = '|';
        printf("%s: \"%s\"\n", label, buf);
    }
    close(fd);
}
