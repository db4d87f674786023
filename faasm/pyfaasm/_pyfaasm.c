/* _pyfaasm: the Faasm host interface (env.__faasm_*) for Python, a C
 * extension built as a wasm side module (scripts/build-pyfaasm.sh). The
 * friendly names and the old aliases live in the pure-Python package
 * pyfaasm (pyfaasm/core.py); this file only moves bytes across. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <stdlib.h>

#define HOST(name) __attribute__((import_module("env"), import_name(#name)))

HOST(__faasm_read_input) long __faasm_read_input(unsigned char *buf, long len);
HOST(__faasm_write_output) void __faasm_write_output(const char *buf, long len);
HOST(__faasm_get_idx) int __faasm_get_idx(void);
HOST(__faasm_get_py_entry) void __faasm_get_py_entry(char *buf, int len);
HOST(__faasm_conf_flag) unsigned int __faasm_conf_flag(const char *key);
HOST(__faasm_chain_name) unsigned int __faasm_chain_name(const char *name, const unsigned char *in, long len);
HOST(__faasm_chain_py) unsigned int __faasm_chain_py(const char *name, const unsigned char *in, long len);
HOST(__faasm_await_call) int __faasm_await_call(unsigned int id);
HOST(__faasm_await_call_output) int __faasm_await_call_output(unsigned int id, char **out, int *outlen);
HOST(__faasm_read_state) long __faasm_read_state(const char *key, unsigned char *buf, long len);
HOST(__faasm_read_state_offset) void __faasm_read_state_offset(const char *key, long total, long off, unsigned char *buf, long len);
HOST(__faasm_write_state) void __faasm_write_state(const char *key, const unsigned char *data, long len);
HOST(__faasm_write_state_offset) void __faasm_write_state_offset(const char *key, long total, long off, const unsigned char *data, long len);
HOST(__faasm_append_state) void __faasm_append_state(const char *key, const unsigned char *data, long len);
HOST(__faasm_read_appended_state) void __faasm_read_appended_state(const char *key, unsigned char *buf, long len, long n);
HOST(__faasm_appended_state_sizes) int __faasm_appended_state_sizes(const char *key, int *sizes, long n);
HOST(__faasm_clear_appended_state) void __faasm_clear_appended_state(const char *key);
HOST(__faasm_push_state) void __faasm_push_state(const char *key);
HOST(__faasm_push_state_partial) void __faasm_push_state_partial(const char *key);
HOST(__faasm_pull_state) void __faasm_pull_state(const char *key, long len);
HOST(__faasm_lock_state_read) void __faasm_lock_state_read(const char *key);
HOST(__faasm_unlock_state_read) void __faasm_unlock_state_read(const char *key);
HOST(__faasm_lock_state_write) void __faasm_lock_state_write(const char *key);
HOST(__faasm_unlock_state_write) void __faasm_unlock_state_write(const char *key);

/* A length for the host (a C long, 32 bits here): negative or too big is a
 * ValueError before the host sees it. */
static int to_len(Py_ssize_t n, long *out, const char *what) {
    if (n < 0 || n > 0x7fffffff) {
        PyErr_Format(PyExc_ValueError, "%s must be between 0 and 2**31-1, not %zd", what, n);
        return -1;
    }
    *out = (long)n;
    return 0;
}

static PyObject *new_bytes(Py_ssize_t n, char **buf) {
    PyObject *b = PyBytes_FromStringAndSize(NULL, n);
    if (b) *buf = PyBytes_AS_STRING(b);
    return b;
}

static PyObject *read_input(PyObject *self, PyObject *args) {
    Py_ssize_t n = -1;
    if (!PyArg_ParseTuple(args, "|n", &n)) return NULL;
    unsigned char dummy;
    long size = __faasm_read_input(&dummy, 0);
    long want = size;
    if (n >= 0 && to_len(n, &want, "length") < 0) return NULL;
    if (want > size) want = size;
    char *buf;
    PyObject *b = new_bytes(want, &buf);
    if (!b) return NULL;
    if (want > 0) __faasm_read_input((unsigned char *)buf, want);
    return b;
}

static PyObject *get_input_len(PyObject *self, PyObject *noargs) {
    unsigned char dummy;
    return PyLong_FromLong(__faasm_read_input(&dummy, 0));
}

static PyObject *write_output(PyObject *self, PyObject *args) {
    Py_buffer b;
    long len;
    if (!PyArg_ParseTuple(args, "y*", &b)) return NULL;
    if (to_len(b.len, &len, "output length") < 0) { PyBuffer_Release(&b); return NULL; }
    __faasm_write_output(b.buf, len);
    PyBuffer_Release(&b);
    Py_RETURN_NONE;
}

static PyObject *chain_common(PyObject *args, int python) {
    const char *name;
    Py_buffer b;
    long len;
    if (!PyArg_ParseTuple(args, "sy*", &name, &b)) return NULL;
    if (to_len(b.len, &len, "input length") < 0) { PyBuffer_Release(&b); return NULL; }
    unsigned int id = python ? __faasm_chain_py(name, b.buf, len) : __faasm_chain_name(name, b.buf, len);
    PyBuffer_Release(&b);
    return PyLong_FromUnsignedLong(id);
}

static PyObject *chain_py(PyObject *self, PyObject *args) { return chain_common(args, 1); }
static PyObject *chain_name(PyObject *self, PyObject *args) { return chain_common(args, 0); }

static PyObject *await_call(PyObject *self, PyObject *args) {
    unsigned int id;
    if (!PyArg_ParseTuple(args, "I", &id)) return NULL;
    int rc;
    rc = __faasm_await_call(id);
    return PyLong_FromLong(rc);
}

/* -> (return_code, output bytes); the host mallocs the output here. */
static PyObject *await_call_output(PyObject *self, PyObject *args) {
    unsigned int id;
    if (!PyArg_ParseTuple(args, "I", &id)) return NULL;
    char *out = NULL;
    int outlen = 0;
    int rc = __faasm_await_call_output(id, &out, &outlen);
    PyObject *b = PyBytes_FromStringAndSize(out ? out : "", out ? outlen : 0);
    free(out);
    if (!b) return NULL;
    return Py_BuildValue("(iN)", rc, b);
}

static PyObject *read_state(PyObject *self, PyObject *args) {
    const char *key;
    Py_ssize_t n = -1;
    if (!PyArg_ParseTuple(args, "s|n", &key, &n)) return NULL;
    long size = __faasm_read_state(key, NULL, 0);
    long want = size;
    if (n >= 0 && to_len(n, &want, "size") < 0) return NULL;
    if (want == 0) return PyBytes_FromStringAndSize("", 0);
    char *buf;
    PyObject *b = new_bytes(want, &buf);
    if (!b) return NULL;
    long full = __faasm_read_state(key, (unsigned char *)buf, want);
    /* A value shorter than asked for (or missing) comes back as it is,
     * not padded with zeros. */
    if (full < want && _PyBytes_Resize(&b, full) < 0) return NULL;
    return b;
}

static PyObject *read_state_size(PyObject *self, PyObject *args) {
    const char *key;
    if (!PyArg_ParseTuple(args, "s", &key)) return NULL;
    return PyLong_FromLong(__faasm_read_state(key, NULL, 0));
}

static PyObject *read_state_offset(PyObject *self, PyObject *args) {
    const char *key;
    Py_ssize_t total, off, n;
    long t, o, l;
    if (!PyArg_ParseTuple(args, "snnn", &key, &total, &off, &n)) return NULL;
    if (to_len(total, &t, "total size") < 0 || to_len(off, &o, "offset") < 0 || to_len(n, &l, "size") < 0) return NULL;
    char *buf;
    PyObject *b = new_bytes(l, &buf);
    if (!b) return NULL;
    __faasm_read_state_offset(key, t, o, (unsigned char *)buf, l);
    return b;
}

static PyObject *write_state(PyObject *self, PyObject *args) {
    const char *key;
    Py_buffer b;
    long len;
    if (!PyArg_ParseTuple(args, "sy*", &key, &b)) return NULL;
    if (to_len(b.len, &len, "value length") < 0) { PyBuffer_Release(&b); return NULL; }
    __faasm_write_state(key, b.buf, len);
    PyBuffer_Release(&b);
    Py_RETURN_NONE;
}

static PyObject *write_state_offset(PyObject *self, PyObject *args) {
    const char *key;
    Py_ssize_t total, off;
    Py_buffer b;
    long t, o, len;
    if (!PyArg_ParseTuple(args, "snny*", &key, &total, &off, &b)) return NULL;
    if (to_len(total, &t, "total size") < 0 || to_len(off, &o, "offset") < 0 || to_len(b.len, &len, "value length") < 0) {
        PyBuffer_Release(&b);
        return NULL;
    }
    __faasm_write_state_offset(key, t, o, b.buf, len);
    PyBuffer_Release(&b);
    Py_RETURN_NONE;
}

static PyObject *append_state(PyObject *self, PyObject *args) {
    const char *key;
    Py_buffer b;
    long len;
    if (!PyArg_ParseTuple(args, "sy*", &key, &b)) return NULL;
    if (to_len(b.len, &len, "value length") < 0) { PyBuffer_Release(&b); return NULL; }
    __faasm_append_state(key, b.buf, len);
    PyBuffer_Release(&b);
    Py_RETURN_NONE;
}

/* -> list of the first n appended values (all of them when n < 0). */
static PyObject *read_appended_state(PyObject *self, PyObject *args) {
    const char *key;
    Py_ssize_t n = -1;
    if (!PyArg_ParseTuple(args, "s|n", &key, &n)) return NULL;
    int count = __faasm_appended_state_sizes(key, NULL, 0);
    long want = count;
    if (n >= 0 && to_len(n, &want, "number of values") < 0) return NULL;
    if (want > count) {
        PyErr_Format(PyExc_ValueError, "key %s has %d appended values, %ld were asked for", key, count, want);
        return NULL;
    }
    PyObject *list = PyList_New(want);
    if (!list || want == 0) return list;
    int *sizes = malloc(sizeof(int) * want);
    if (!sizes) { Py_DECREF(list); return PyErr_NoMemory(); }
    __faasm_appended_state_sizes(key, sizes, want);
    long total = 0;
    for (long i = 0; i < want; i++) total += sizes[i];
    unsigned char *buf = malloc(total ? total : 1);
    if (!buf) { free(sizes); Py_DECREF(list); return PyErr_NoMemory(); }
    __faasm_read_appended_state(key, buf, total, want);
    long at = 0;
    for (long i = 0; i < want; i++) {
        PyObject *item = PyBytes_FromStringAndSize((const char *)buf + at, sizes[i]);
        if (!item) { free(buf); free(sizes); Py_DECREF(list); return NULL; }
        PyList_SET_ITEM(list, i, item);
        at += sizes[i];
    }
    free(buf);
    free(sizes);
    return list;
}

#define KEY_FN(pyname, call)                                        \
    static PyObject *pyname(PyObject *self, PyObject *args) {       \
        const char *key;                                            \
        if (!PyArg_ParseTuple(args, "s", &key)) return NULL;        \
        call(key);                                                  \
        Py_RETURN_NONE;                                             \
    }
KEY_FN(clear_appended_state, __faasm_clear_appended_state)
KEY_FN(push_state, __faasm_push_state)
KEY_FN(push_state_partial, __faasm_push_state_partial)
KEY_FN(lock_state_read, __faasm_lock_state_read)
KEY_FN(unlock_state_read, __faasm_unlock_state_read)
KEY_FN(lock_state_write, __faasm_lock_state_write)
KEY_FN(unlock_state_write, __faasm_unlock_state_write)

static PyObject *pull_state(PyObject *self, PyObject *args) {
    const char *key;
    Py_ssize_t n;
    long l;
    if (!PyArg_ParseTuple(args, "sn", &key, &n)) return NULL;
    if (to_len(n, &l, "size") < 0) return NULL;
    __faasm_pull_state(key, l);
    Py_RETURN_NONE;
}

static PyObject *get_idx(PyObject *self, PyObject *noargs) { return PyLong_FromLong(__faasm_get_idx()); }

static PyObject *conf_flag(PyObject *self, PyObject *args) {
    const char *key;
    if (!PyArg_ParseTuple(args, "s", &key)) return NULL;
    return PyLong_FromUnsignedLong(__faasm_conf_flag(key));
}

/* The name of the function this call runs (empty: faasm_main), from the
 * host: a Python restored from a snapshot cannot learn it from its
 * environment, which is the snapshot's. */
static PyObject *get_py_entry(PyObject *self, PyObject *noargs) {
    char buf[256];
    memset(buf, 0, sizeof buf);
    __faasm_get_py_entry(buf, (int)sizeof buf - 1);
    return PyUnicode_FromString(buf);
}

static PyMethodDef methods[] = {
    {"get_py_entry", get_py_entry, METH_NOARGS, "the name of the function this call runs ('' for faasm_main)"},
    {"read_input", read_input, METH_VARARGS, "read_input([n]) -> bytes: the call's input (its first n bytes)"},
    {"get_input_len", get_input_len, METH_NOARGS, "the input's size"},
    {"write_output", write_output, METH_VARARGS, "write_output(data): replace the call's output"},
    {"chain_py", chain_py, METH_VARARGS, "chain_py(name, data) -> call id: run a Python function of this file"},
    {"chain_name", chain_name, METH_VARARGS, "chain_name(name, data) -> call id"},
    {"await_call", await_call, METH_VARARGS, "await_call(id) -> return code"},
    {"await_call_output", await_call_output, METH_VARARGS, "await_call_output(id) -> (return code, output)"},
    {"read_state", read_state, METH_VARARGS, "read_state(key[, size]) -> bytes"},
    {"read_state_size", read_state_size, METH_VARARGS, "read_state_size(key) -> int (0 for a missing key)"},
    {"read_state_offset", read_state_offset, METH_VARARGS, "read_state_offset(key, total, offset, size) -> bytes"},
    {"write_state", write_state, METH_VARARGS, "write_state(key, value)"},
    {"write_state_offset", write_state_offset, METH_VARARGS, "write_state_offset(key, total, offset, value)"},
    {"append_state", append_state, METH_VARARGS, "append_state(key, value)"},
    {"read_appended_state", read_appended_state, METH_VARARGS, "read_appended_state(key[, n]) -> list of bytes"},
    {"clear_appended_state", clear_appended_state, METH_VARARGS, "clear_appended_state(key)"},
    {"push_state", push_state, METH_VARARGS, "push_state(key)"},
    {"push_state_partial", push_state_partial, METH_VARARGS, "push_state_partial(key)"},
    {"pull_state", pull_state, METH_VARARGS, "pull_state(key, size)"},
    {"lock_state_read", lock_state_read, METH_VARARGS, "lock_state_read(key)"},
    {"unlock_state_read", unlock_state_read, METH_VARARGS, "unlock_state_read(key)"},
    {"lock_state_write", lock_state_write, METH_VARARGS, "lock_state_write(key)"},
    {"unlock_state_write", unlock_state_write, METH_VARARGS, "unlock_state_write(key)"},
    {"get_idx", get_idx, METH_NOARGS, "the call's index (its id; 0 for the first call)"},
    {"conf_flag", conf_flag, METH_VARARGS, "conf_flag(name) -> int"},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "_pyfaasm", "Faasm host interface", -1, methods};

PyMODINIT_FUNC PyInit__pyfaasm(void) { return PyModule_Create(&moddef); }
