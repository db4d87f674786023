// Sandbox escapes, each refused: `..` past the root, absolute paths at the
// host interface, symlinks leading outside (planted by the host, and made
// by the guest itself), and every change under a read-only grant.
#include "common.h"
#include "raw.h"

static void try_open(const char *label, const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        char buf[64] = {0};
        read(fd, buf, sizeof buf - 1);
        printf("%s: ESCAPED, read [%s]\n", label, buf);
        close(fd);
    } else {
        printf("%s: refused %s\n", label, ename(errno));
    }
}

/* path_open straight on the preopen descriptor, bypassing wasi-libc's own
 * path handling. "opened" is an escape unless the label says the path
 * stays inside. */
static void raw_open(const char *label, int dir, const char *path, int follow) {
    uint32_t fd;
    int e = raw_path_open(dir, follow, PTR(path), strlen(path), 0, 2 /* FD_READ */, 0, 0, PTR(&fd));
    printf("%s: %s\n", label, e ? ename(e) : "opened");
}

int main(void) {
    int sb = preopen_fd("/sandbox");
    int ro = preopen_fd("/ro");
    printf("preopens found: %d %d\n", sb >= 0, ro >= 0);

    // `..` past the root.
    try_open("dotdot", "/sandbox/../outside/secret.txt");
    try_open("dotdot via sub", "/sandbox/sub/../../outside/secret.txt");
    raw_open("raw dotdot", sb, "../outside/secret.txt", 0);
    raw_open("raw dotdot alone", sb, "..", 0);
    raw_open("raw sub dotdot dotdot", sb, "sub/../../outside/secret.txt", 0);
    int sub = open("/sandbox/sub", O_RDONLY | O_DIRECTORY);
    int fd = openat(sub, "../hello.txt", O_RDONLY);
    printf("openat sub ../hello.txt: %s\n", fd >= 0 ? "ESCAPED" : ename(errno));
    raw_open("raw dotdot staying inside (allowed)", sb, "sub/../hello.txt", 0);

    // Absolute paths.
    try_open("libc absolute outside", "/outside/secret.txt");
    raw_open("raw absolute", sb, "/etc/passwd", 0);
    raw_open("raw absolute root", sb, "/", 0);

    // A symlink planted by the host that leads outside.
    try_open("host symlink", "/sandbox/host_link/secret.txt");
    raw_open("raw host symlink followed", sb, "host_link", 1);
    struct stat st;
    CHECK("stat through host symlink", stat("/sandbox/host_link/secret.txt", &st));
    CHECK("opendir host symlink", (long)(opendir("/sandbox/host_link") ? 0 : -1));
    char lbuf[64];
    ssize_t ln = readlink("/sandbox/host_link", lbuf, sizeof lbuf);
    printf("readlink host symlink (allowed): %.*s\n", (int)(ln > 0 ? ln : 0), lbuf);

    // Symlinks the guest creates.
    CHECK("symlink ../outside", symlink("../outside", "/sandbox/esc"));
    try_open("guest symlink", "/sandbox/esc/secret.txt");
    CHECK("symlink deep relative", symlink("../../../../../../../../etc/passwd", "/sandbox/deep"));
    try_open("guest deep symlink", "/sandbox/deep");
    CHECK("symlink via sub", symlink("sub/../../outside/secret.txt", "/sandbox/viasub"));
    try_open("guest symlink via sub", "/sandbox/viasub");
    CHECK("symlink to symlink", symlink("esc", "/sandbox/chain"));
    try_open("guest symlink chain", "/sandbox/chain/secret.txt");
    int e = raw_path_symlink(PTR("/etc/passwd"), 11, sb, PTR("abs"), 3);
    printf("symlink absolute target: %s\n", e ? "refused" : "created");
    if (!e) try_open("guest absolute symlink", "/sandbox/abs");

    // Operations other than open through escaping paths.
    CHECK("mkdir outside", mkdir("/sandbox/../outside/newdir", 0755));
    CHECK("mkdir via symlink", mkdir("/sandbox/esc/newdir", 0755));
    CHECK("create via symlink", open("/sandbox/esc/new.txt", O_CREAT | O_WRONLY, 0644));
    CHECK("unlink via symlink", unlink("/sandbox/esc/secret.txt"));
    CHECK("rename out", rename("/sandbox/hello.txt", "/sandbox/esc/stolen.txt"));
    CHECK("rename in", rename("/sandbox/esc/secret.txt", "/sandbox/stolen.txt"));
    CHECK("link in", link("/sandbox/esc/secret.txt", "/sandbox/stolen.txt"));
    CHECK("utimensat via symlink", utimensat(AT_FDCWD, "/sandbox/esc/secret.txt", NULL, 0));
    CHECK("remove escaping symlink", unlink("/sandbox/esc"));

    // Read-only grant: reading works, nothing can change.
    show_file("ro read", "/ro/data.txt");
    CHECK("ro open write", open("/ro/data.txt", O_WRONLY));
    CHECK("ro open rdwr", open("/ro/data.txt", O_RDWR));
    CHECK("ro open trunc", open("/ro/data.txt", O_RDONLY | O_TRUNC));
    CHECK("ro create", open("/ro/new.txt", O_CREAT | O_WRONLY, 0644));
    CHECK("ro append", open("/ro/data.txt", O_WRONLY | O_APPEND));
    CHECK("ro mkdir", mkdir("/ro/d", 0755));
    CHECK("ro unlink", unlink("/ro/data.txt"));
    CHECK("ro rename", rename("/ro/data.txt", "/ro/moved.txt"));
    CHECK("ro rename out", rename("/ro/data.txt", "/sandbox/moved.txt"));
    CHECK("ro link out", link("/ro/data.txt", "/sandbox/linked.txt"));
    CHECK("ro symlink", symlink("data.txt", "/ro/ln"));
    CHECK("ro utimensat", utimensat(AT_FDCWD, "/ro/data.txt", NULL, 0));
    show_file("ro unchanged", "/ro/data.txt");
    return 0;
}
