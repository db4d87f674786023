// Directory listings: every entry exactly once whatever the directory size,
// d_type, rewinddir, telldir/seekdir (cookies), and listing errors.
#include "common.h"

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Lists a directory sorted (host order is unspecified), with types. */
static int list(const char *label, const char *path, int print) {
    DIR *d = opendir(path);
    if (!d) {
        printf("%s: %s\n", label, ename(errno));
        return -1;
    }
    char *names[600];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 600) {
        char *s = malloc(strlen(e->d_name) + 4);
        const char *t = e->d_type == DT_DIR ? "d" : e->d_type == DT_REG ? "f" : e->d_type == DT_LNK ? "l" : "?";
        sprintf(s, "%s %s", e->d_name, t);
        names[n++] = s;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("%s: %d entries\n", label, n);
    for (int i = 0; i < n; i++) {
        if (print) printf("  %s\n", names[i]);
        free(names[i]);
    }
    return n;
}

int main(void) {
    list("sandbox", "/sandbox", 1);
    list("ro", "/ro", 1);
    mkdir("/sandbox/many", 0755);
    char path[64];
    for (int i = 0; i < 300; i++) {
        snprintf(path, sizeof path, "/sandbox/many/entry-with-a-long-name-%03d.txt", i);
        close(open(path, O_CREAT | O_WRONLY, 0644));
    }
    int n = list("many", "/sandbox/many", 0);
    /* Check each name appears once: sum of indices. */
    DIR *d = opendir("/sandbox/many");
    long sum = 0;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int k;
        if (sscanf(e->d_name, "entry-with-a-long-name-%d.txt", &k) == 1) {
            sum += k;
            count++;
        }
    }
    printf("many: %d named entries, index sum %ld (expect 300, 44850), total %d\n", count, sum, n);

    /* rewinddir yields the same count again. */
    rewinddir(d);
    count = 0;
    while ((e = readdir(d))) count++;
    printf("after rewind: %d\n", count);

    /* telldir/seekdir: remember a position, read on, come back. */
    rewinddir(d);
    for (int i = 0; i < 100; i++) readdir(d);
    long pos = telldir(d);
    e = readdir(d);
    char first[256];
    snprintf(first, sizeof first, "%s", e ? e->d_name : "(none)");
    for (int i = 0; i < 50; i++) readdir(d);
    seekdir(d, pos);
    e = readdir(d);
    printf("seekdir returns same entry: %s\n", e && strcmp(e->d_name, first) == 0 ? "yes" : "no");
    closedir(d);

    /* Entries created and removed are reflected in a new listing. */
    unlink("/sandbox/many/entry-with-a-long-name-000.txt");
    printf("after unlink: %d\n", list("many again", "/sandbox/many", 0));

    list("listing a file", "/sandbox/hello.txt", 1);
    list("listing missing", "/sandbox/missing", 1);

    /* fdopendir on a descriptor from openat. */
    int fd = open("/sandbox/sub", O_RDONLY | O_DIRECTORY);
    d = fdopendir(fd);
    count = 0;
    while ((e = readdir(d))) count++;
    printf("fdopendir sub: %d\n", count);
    closedir(d);
    return 0;
}
