/* Direct imports of wasi_snapshot_preview1 with raw integer parameters, so
 * that tests can pass any pointer (wasi-libc's wrappers take typed
 * pointers and compute lengths themselves). */
#include <stdint.h>

#define WASI_IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

WASI_IMPORT(fd_write) int32_t raw_fd_write(int32_t fd, uint32_t iovs, uint32_t n, uint32_t nwritten);
WASI_IMPORT(fd_read) int32_t raw_fd_read(int32_t fd, uint32_t iovs, uint32_t n, uint32_t nread);
WASI_IMPORT(args_sizes_get) int32_t raw_args_sizes_get(uint32_t argc, uint32_t size);
WASI_IMPORT(args_get) int32_t raw_args_get(uint32_t argv, uint32_t buf);
WASI_IMPORT(environ_get) int32_t raw_environ_get(uint32_t env, uint32_t buf);
WASI_IMPORT(clock_time_get) int32_t raw_clock_time_get(uint32_t id, uint64_t precision, uint32_t out);
WASI_IMPORT(random_get) int32_t raw_random_get(uint32_t buf, uint32_t len);
WASI_IMPORT(path_open) int32_t raw_path_open(int32_t fd, uint32_t dirflags, uint32_t path, uint32_t path_len, uint32_t oflags,
                                             uint64_t base, uint64_t inheriting, uint32_t fdflags, uint32_t out);
WASI_IMPORT(path_create_directory) int32_t raw_path_create_directory(int32_t fd, uint32_t path, uint32_t len);
WASI_IMPORT(path_symlink) int32_t raw_path_symlink(uint32_t old, uint32_t old_len, int32_t fd, uint32_t path, uint32_t len);
WASI_IMPORT(path_filestat_get) int32_t raw_path_filestat_get(int32_t fd, uint32_t flags, uint32_t path, uint32_t len, uint32_t out);
WASI_IMPORT(fd_prestat_get) int32_t raw_fd_prestat_get(int32_t fd, uint32_t out);
WASI_IMPORT(fd_prestat_dir_name) int32_t raw_fd_prestat_dir_name(int32_t fd, uint32_t path, uint32_t len);
WASI_IMPORT(fd_readdir) int32_t raw_fd_readdir(int32_t fd, uint32_t buf, uint32_t len, uint64_t cookie, uint32_t used);
WASI_IMPORT(fd_filestat_get) int32_t raw_fd_filestat_get(int32_t fd, uint32_t out);
WASI_IMPORT(fd_fdstat_get) int32_t raw_fd_fdstat_get(int32_t fd, uint32_t out);
WASI_IMPORT(poll_oneoff) int32_t raw_poll_oneoff(uint32_t in, uint32_t out, uint32_t n, uint32_t nevents);
WASI_IMPORT(fd_seek) int32_t raw_fd_seek(int32_t fd, int64_t offset, uint32_t whence, uint32_t out);
WASI_IMPORT(path_readlink) int32_t raw_path_readlink(int32_t fd, uint32_t path, uint32_t len, uint32_t buf, uint32_t buf_len, uint32_t used);

#define PTR(p) ((uint32_t)(uintptr_t)(p))

/* One past the last byte of linear memory. */
__attribute__((unused)) static uint32_t mem_end(void) { return (uint32_t)(__builtin_wasm_memory_size(0) * 65536u); }

/* The descriptor of the preopen named `name`, or -1. */
__attribute__((unused)) static int preopen_fd(const char *name) {
    for (int fd = 3; fd < 64; fd++) {
        uint32_t pre[2];
        if (raw_fd_prestat_get(fd, PTR(pre)) != 0) continue;
        char buf[128];
        uint32_t len = pre[1];
        if (len >= sizeof buf) continue;
        if (raw_fd_prestat_dir_name(fd, PTR(buf), len) != 0) continue;
        buf[len] = 0;
        if (strcmp(buf, name) == 0) return fd;
    }
    return -1;
}
