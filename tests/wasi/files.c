// Files: create, read, write, seek, tell, pread/pwrite, truncate, append,
// O_EXCL/O_TRUNC, sync, advise, stat, times, rename, link, unlink, and the
// errors of each.
#include "common.h"
#include <sys/uio.h>

int main(void) {
    show_file("hello.txt", "/sandbox/hello.txt");
    show_file("sub/inner.txt", "/sandbox/sub/inner.txt");

    int fd = open("/sandbox/new.txt", O_CREAT | O_EXCL | O_RDWR, 0644);
    printf("create: %s\n", fd >= 0 ? "ok" : ename(errno));
    CHECK("create again excl", open("/sandbox/new.txt", O_CREAT | O_EXCL | O_RDWR, 0644));
    printf("write: %zd\n", write(fd, "0123456789", 10));
    printf("tell: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("seek set 2: %lld\n", (long long)lseek(fd, 2, SEEK_SET));
    char buf[64] = {0};
    printf("read 3: %zd [%.3s]\n", read(fd, buf, 3), buf);
    printf("seek cur +1: %lld\n", (long long)lseek(fd, 1, SEEK_CUR));
    printf("seek end -2: %lld\n", (long long)lseek(fd, -2, SEEK_END));
    memset(buf, 0, sizeof buf);
    printf("read rest: %zd [%s]\n", read(fd, buf, sizeof buf), buf);
    printf("read at eof: %zd\n", read(fd, buf, sizeof buf));
    CHECK("seek negative", lseek(fd, -100, SEEK_SET));
    printf("seek past end: %lld\n", (long long)lseek(fd, 20, SEEK_SET));
    printf("write past end: %zd\n", write(fd, "X", 1));

    struct stat st;
    CHECK("fstat", fstat(fd, &st));
    printf("size: %lld regular: %d nlink: %lld\n", (long long)st.st_size, S_ISREG(st.st_mode), (long long)st.st_nlink);

    memset(buf, 0, sizeof buf);
    printf("pread 4@3: %zd [%s]\n", pread(fd, buf, 4, 3), buf);
    printf("pwrite 2@0: %zd\n", pwrite(fd, "ab", 2, 0));
    printf("position kept: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));

    /* Vectored I/O: a short transfer is valid (wasmtime moves only the
     * first buffer per call), so loop as a careful program does. */
    struct iovec iov[3] = {{"<", 1}, {"vec", 3}, {">", 1}};
    lseek(fd, 0, SEEK_END);
    ssize_t total = 0;
    int iv = 0;
    while (iv < 3) {
        ssize_t w = writev(fd, iov + iv, 3 - iv);
        if (w <= 0) break;
        total += w;
        while (iv < 3 && (size_t)w >= iov[iv].iov_len) w -= iov[iv++].iov_len;
        if (iv < 3) {
            iov[iv].iov_base = (char *)iov[iv].iov_base + w;
            iov[iv].iov_len -= w;
        }
    }
    printf("writev total: %zd\n", total);
    char a[3] = {0}, b[4] = {0};
    struct iovec riov[2] = {{a, 2}, {b, 3}};
    lseek(fd, 0, SEEK_SET);
    ssize_t r = readv(fd, riov, 2);
    printf("readv: first buffer filled %d\n", r >= 2 && a[0] == 'a' && a[1] == 'b');
    lseek(fd, 21, SEEK_SET);
    memset(buf, 0, sizeof buf);
    printf("after writev: [%s]\n", (read(fd, buf, sizeof buf), buf));

    CHECK("ftruncate 5", ftruncate(fd, 5));
    CHECK("fsync", fsync(fd));
    CHECK("fdatasync", fdatasync(fd));
    CHECK_ERR("fadvise", posix_fadvise(fd, 0, 5, POSIX_FADV_SEQUENTIAL));
    fstat(fd, &st);
    printf("size after truncate: %lld\n", (long long)st.st_size);

    struct timespec times[2] = {{1000000, 5}, {2000000, 123456789}};
    CHECK("futimens", futimens(fd, times));
    fstat(fd, &st);
    printf("atime: %lld.%09ld mtime: %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {3000000, 0}};
    CHECK("utimensat", utimensat(AT_FDCWD, "/sandbox/new.txt", omit, 0));
    stat("/sandbox/new.txt", &st);
    printf("atime kept: %lld mtime: %lld\n", (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec);
    CHECK("close", close(fd));
    CHECK("close again", close(fd));
    CHECK("read closed", read(fd, buf, 1));
    show_file("new.txt", "/sandbox/new.txt");

    // Append mode.
    fd = open("/sandbox/new.txt", O_WRONLY | O_APPEND);
    lseek(fd, 0, SEEK_SET);
    printf("append write: %zd\n", write(fd, "++", 2));
    close(fd);
    show_file("after append", "/sandbox/new.txt");

    // O_TRUNC.
    fd = open("/sandbox/new.txt", O_WRONLY | O_TRUNC);
    printf("trunc open: %s\n", fd >= 0 ? "ok" : ename(errno));
    write(fd, "short", 5);
    close(fd);
    show_file("after trunc", "/sandbox/new.txt");

    // Access modes.
    fd = open("/sandbox/hello.txt", O_RDONLY);
    CHECK("write to read-only fd", write(fd, "x", 1));
    close(fd);
    fd = open("/sandbox/hello.txt", O_WRONLY);
    CHECK("read from write-only fd", read(fd, buf, 1));
    close(fd);

    // Errors.
    CHECK("open missing", open("/sandbox/missing.txt", O_RDONLY));
    CHECK("open missing dir component", open("/sandbox/nodir/x.txt", O_RDONLY));
    CHECK("open file as dir", open("/sandbox/hello.txt", O_RDONLY | O_DIRECTORY));
    CHECK("open dir for write", open("/sandbox/sub", O_WRONLY));
    CHECK("file as path component", open("/sandbox/hello.txt/x", O_RDONLY));
    CHECK("create in missing dir", open("/sandbox/nodir/x.txt", O_CREAT | O_WRONLY, 0644));

    // rename, link, unlink.
    CHECK("rename", rename("/sandbox/new.txt", "/sandbox/renamed.txt"));
    CHECK("rename missing", rename("/sandbox/new.txt", "/sandbox/x.txt"));
    CHECK("link", link("/sandbox/renamed.txt", "/sandbox/hard.txt"));
    CHECK("link exists", link("/sandbox/renamed.txt", "/sandbox/hello.txt"));
    stat("/sandbox/hard.txt", &st);
    printf("nlink after link: %lld\n", (long long)st.st_nlink);
    CHECK("unlink", unlink("/sandbox/renamed.txt"));
    CHECK("unlink again", unlink("/sandbox/renamed.txt"));
    CHECK("unlink dir", unlink("/sandbox/sub"));
    show_file("hard.txt", "/sandbox/hard.txt");
    CHECK("rename over existing", rename("/sandbox/hard.txt", "/sandbox/hello.txt"));
    show_file("hello.txt now", "/sandbox/hello.txt");
    return 0;
}
