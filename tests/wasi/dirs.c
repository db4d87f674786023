// Directories and symlinks: mkdir, rmdir, rename, symlink, readlink,
// lstat/stat, *at calls on directory descriptors.
#include "common.h"

int main(void) {
    CHECK("mkdir", mkdir("/sandbox/d", 0755));
    CHECK("mkdir exists", mkdir("/sandbox/d", 0755));
    CHECK("mkdir nested missing", mkdir("/sandbox/x/y", 0755));
    CHECK("mkdir trailing slash", mkdir("/sandbox/d/e/", 0755));
    CHECK("mkdir over file", mkdir("/sandbox/hello.txt", 0755));
    put_file("/sandbox/d/e/f.txt", "f\n");
    CHECK("rmdir non-empty", rmdir("/sandbox/d"));
    CHECK("rmdir file", rmdir("/sandbox/hello.txt"));
    CHECK("rmdir missing", rmdir("/sandbox/nothere"));
    CHECK("rename dir", rename("/sandbox/d", "/sandbox/d2"));
    show_file("moved file", "/sandbox/d2/e/f.txt");
    CHECK("rename dir over file", rename("/sandbox/d2", "/sandbox/hello.txt"));
    CHECK("rename file over dir", rename("/sandbox/hello.txt", "/sandbox/d2"));
    CHECK("rename dir into itself", rename("/sandbox/d2", "/sandbox/d2/e/inside"));

    struct stat st;
    CHECK("stat dir", stat("/sandbox/d2", &st));
    printf("is dir: %d\n", S_ISDIR(st.st_mode));

    // Symlinks inside the sandbox work.
    CHECK("symlink", symlink("d2/e/f.txt", "/sandbox/ln"));
    CHECK("symlink exists", symlink("x", "/sandbox/ln"));
    char buf[64];
    ssize_t n = readlink("/sandbox/ln", buf, sizeof buf);
    printf("readlink: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
    n = readlink("/sandbox/ln", buf, 3);
    printf("readlink short: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
    CHECK("readlink not a link", readlink("/sandbox/hello.txt", buf, sizeof buf));
    CHECK("lstat", lstat("/sandbox/ln", &st));
    printf("lstat is link: %d\n", S_ISLNK(st.st_mode));
    CHECK("stat through link", stat("/sandbox/ln", &st));
    printf("stat is regular: %d size: %lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
    show_file("read through link", "/sandbox/ln");
    CHECK("symlink to dir", symlink("d2/e", "/sandbox/dirlink"));
    show_file("path through dir link", "/sandbox/dirlink/f.txt");
    CHECK("dangling symlink", symlink("nowhere.txt", "/sandbox/dangling"));
    CHECK("open dangling", open("/sandbox/dangling", O_RDONLY));
    int fd = open("/sandbox/dangling", O_CREAT | O_WRONLY, 0644);
    printf("create through dangling: %s\n", fd >= 0 ? "ok" : ename(errno));
    if (fd >= 0) {
        write(fd, "made\n", 5);
        close(fd);
    }
    show_file("nowhere.txt", "/sandbox/nowhere.txt");
    CHECK("symlink loop a", symlink("loopb", "/sandbox/loopa"));
    CHECK("symlink loop b", symlink("loopa", "/sandbox/loopb"));
    CHECK("open loop", open("/sandbox/loopa", O_RDONLY));
    CHECK("open nofollow", open("/sandbox/ln", O_RDONLY | O_NOFOLLOW));
    CHECK("unlink symlink", unlink("/sandbox/ln"));
    CHECK("target kept", access("/sandbox/d2/e/f.txt", F_OK));

    // *at calls relative to a directory descriptor.
    int dfd = open("/sandbox/d2", O_RDONLY | O_DIRECTORY);
    printf("open dir: %s\n", dfd >= 0 ? "ok" : ename(errno));
    CHECK("mkdirat", mkdirat(dfd, "sub", 0755));
    fd = openat(dfd, "sub/g.txt", O_CREAT | O_WRONLY, 0644);
    printf("openat create: %s\n", fd >= 0 ? "ok" : ename(errno));
    write(fd, "g\n", 2);
    close(fd);
    CHECK("fstatat", fstatat(dfd, "sub/g.txt", &st, 0));
    printf("fstatat size: %lld\n", (long long)st.st_size);
    CHECK("renameat", renameat(dfd, "sub/g.txt", dfd, "g2.txt"));
    CHECK("unlinkat", unlinkat(dfd, "g2.txt", 0));
    CHECK("unlinkat dir", unlinkat(dfd, "sub", AT_REMOVEDIR));
    CHECK("fstat dir", fstat(dfd, &st));
    printf("fstat is dir: %d\n", S_ISDIR(st.st_mode));
    CHECK("read dir fd", read(dfd, buf, 1));
    close(dfd);

    // Clean up the tree, deepest first.
    CHECK("unlink f", unlink("/sandbox/d2/e/f.txt"));
    CHECK("rmdir e", rmdir("/sandbox/d2/e"));
    CHECK("rmdir d2", rmdir("/sandbox/d2"));
    CHECK("stat removed", stat("/sandbox/d2", &st));
    return 0;
}
