/* Entry point of python.wasm, the dynamic-linking main module
 * (scripts/build-python.sh links it with -nostartfiles instead of
 * wasi-libc's crt1-command.o).
 *
 * Why our own _start: python.wasm is linked with --export-all so that side
 * modules can import any libc or CPython symbol. That also exports
 * __wasm_call_ctors, and once it is exported wasm-ld no longer inserts the
 * implicit constructor call that crt1-command.o relies on, so wasi-libc's
 * preopened directories would never be registered (every open() of the
 * stdlib then fails with ENOTCAPABLE). Calling __wasm_call_ctors here by
 * hand keeps the constructors; it also stops wasm-ld from wrapping each
 * exported function in a ctor/dtor "command export" wrapper, which would
 * rerun the constructors on every call a side module makes. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wasi/api.h>

extern void __wasm_call_ctors(void);
extern int __main_void(void);

/* CPython's dynload_shlib.c never calls dlclose (extension modules stay
 * loaded for the life of the process), so nothing else references it.
 * Keeping its address here makes env.dlclose an import of python.wasm all
 * the same, so C extensions that do call dlclose link against a symbol the
 * main module provides, and the host's ABI has all four dl* functions. */
__attribute__((used)) int (*const faasm_keep_dlclose)(void *) = dlclose;

/* Snapshots (faasm-engine snapshot --init-python, and Faasm functions):
 * faasm_python_init initialises the interpreter and runs the code in
 * $FAASM_INIT_PYTHON (imports, typically) and returns, so that the host
 * can capture the initialised memory; an instance restored from that
 * snapshot then calls _start, which finds the interpreter initialised and
 * runs what the *restoring* program's arguments say, as python would:
 * `-c CODE`, `-m MODULE` or a script. The few CPython functions used are
 * declared here because this file is compiled before configure writes
 * pyconfig.h; they are part of CPython's stable ABI. */
typedef struct { int cf_flags; int cf_feature_version; } faasm_compiler_flags;
extern void Py_InitializeEx(int initsigs);
extern int PyRun_SimpleStringFlags(const char *code, faasm_compiler_flags *flags);
extern int PyRun_SimpleFileExFlags(FILE *fp, const char *name, int closeit, faasm_compiler_flags *flags);
extern wchar_t *Py_DecodeLocale(const char *arg, size_t *size);
extern void PySys_SetArgvEx(int argc, wchar_t **argv, int updatepath);
extern int Py_FinalizeEx(void);

static int faasm_initialised;
/* The first descriptor past the preopens wasi-libc registered during
 * initialisation: a restoring program may grant more directories after
 * those (the snapshot's must stay at their numbers), registered at restore. */
static __wasi_fd_t faasm_preopen_end = 3;

extern int __wasilibc_register_preopened_fd(int fd, const char *prefix);

static __wasi_fd_t faasm_preopens_from(__wasi_fd_t fd, int do_register) {
    for (;; fd++) {
        __wasi_prestat_t st;
        if (__wasi_fd_prestat_get(fd, &st) != 0 || st.tag != __WASI_PREOPENTYPE_DIR)
            return fd;
        if (!do_register)
            continue;
        char *name = calloc(1, st.u.dir.pr_name_len + 1);
        if (name && __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, st.u.dir.pr_name_len) == 0)
            __wasilibc_register_preopened_fd((int)fd, name);
        free(name);
    }
}

static const char faasm_flush[] =
    "import sys\n"
    "for _s in (sys.stdout, sys.stderr):\n"
    "    try:\n"
    "        _s.flush()\n"
    "    except Exception:\n"
    "        pass\n";

__attribute__((export_name("faasm_python_init")))
int faasm_python_init(void) {
    if (faasm_initialised)
        return 2;
    __wasm_call_ctors();
    faasm_preopen_end = faasm_preopens_from(3, 0);
    Py_InitializeEx(0);
    faasm_initialised = 1;
    int rc = 0;
    const char *code = getenv("FAASM_INIT_PYTHON");
    if (code && *code)
        rc = PyRun_SimpleStringFlags(code, NULL) != 0;
    PyRun_SimpleStringFlags(faasm_flush, NULL);
    return rc;
}

/* The arguments of the restoring program, read from WASI (wasi-libc's
 * own copy was made during initialisation). */
static int faasm_args(int *argc, char ***argv) {
    size_t n, size;
    if (__wasi_args_sizes_get(&n, &size) != 0)
        return -1;
    char **v = calloc(n + 1, sizeof(char *));
    char *buf = malloc(size ? size : 1);
    if (!v || !buf || __wasi_args_get((uint8_t **)v, (uint8_t *)buf) != 0)
        return -1;
    *argc = (int)n;
    *argv = v;
    return 0;
}

static int faasm_run_restored(void) {
    faasm_preopens_from(faasm_preopen_end, 1);
    int argc;
    char **argv;
    if (faasm_args(&argc, &argv) != 0) {
        fprintf(stderr, "python: cannot read the arguments\n");
        return 1;
    }
    /* sys.argv as python sets it: "-c" for code, the module's name for
     * -m (runpy replaces it), else the script and what follows it. */
    int first = 1;
    const char *mode = argc > 1 ? argv[1] : NULL;
    if (mode && (strcmp(mode, "-c") == 0 || strcmp(mode, "-m") == 0)) {
        if (argc < 3) {
            fprintf(stderr, "Argument expected for the %s option\n", mode);
            return 2;
        }
        first = 2;
    } else if (!mode) {
        fprintf(stderr, "python: a restored interpreter needs -c CODE, -m MODULE or a script\n");
        return 2;
    }
    int n = argc - first;
    wchar_t **wargv = calloc((size_t)n + 1, sizeof(wchar_t *));
    if (!wargv)
        return 1;
    for (int i = 0; i < n; i++) {
        /* argv[0]: "-c", or for -m the module's name (runpy reads it
         * there and replaces it with the module's file). */
        const char *a = argv[first + i];
        if (i == 0 && first == 2)
            a = strcmp(mode, "-c") == 0 ? "-c" : argv[2];
        wargv[i] = Py_DecodeLocale(a, NULL);
        if (!wargv[i])
            return 1;
    }
    /* updatepath: sys.path[0] becomes the script's directory, or '' for
     * -c and -m, as python does. */
    PySys_SetArgvEx(n, wargv, first == 2 ? 0 : 1);
    int rc;
    if (first == 2 && strcmp(mode, "-c") == 0) {
        PyRun_SimpleStringFlags("import sys; sys.path.insert(0, '')", NULL);
        rc = PyRun_SimpleStringFlags(argv[2], NULL) != 0;
    } else if (first == 2) {
        rc = PyRun_SimpleStringFlags(
                 "import sys, runpy; sys.path.insert(0, ''); runpy._run_module_as_main(sys.argv[0])", NULL) != 0;
    } else {
        FILE *fp = fopen(argv[1], "r");
        if (!fp) {
            fprintf(stderr, "python: can't open file '%s'\n", argv[1]);
            return 2;
        }
        rc = PyRun_SimpleFileExFlags(fp, argv[1], 1, NULL) != 0;
    }
    /* SystemExit ends the process inside PyRun_*; finalising flushes
     * sys.stdout/stderr and runs atexit callbacks, as python's exit does. */
    if (Py_FinalizeEx() < 0 && rc == 0)
        rc = 120;
    return rc;
}

__attribute__((export_name("_start")))
void _start(void) {
    if (faasm_initialised)
        exit(faasm_run_restored());
    __wasm_call_ctors();
    /* __main_void reads argv/environ from WASI and calls main(argc, argv);
     * exit() runs atexit handlers and flushes stdio before proc_exit. */
    exit(__main_void());
}
