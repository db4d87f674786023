/* A C extension built as a wasm side module by scripts/build-ext.sh, used
 * by tests/cpython.rs. It exercises what an extension needs of the dynamic
 * linker: data of the main module (Py_None, exception objects, type
 * objects), its functions, function-pointer tables of its own (a method
 * table, a type's slots, a dispatch array), static state, and callbacks
 * into Python. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static long calls = 0;           /* static state, kept across calls */

static PyObject *count(PyObject *self, PyObject *args) {
    (void)self; (void)args;
    return PyLong_FromLong(++calls);
}

/* Calls back into Python: f(x) for each x, summed. */
static PyObject *map_sum(PyObject *self, PyObject *args) {
    PyObject *f, *seq;
    (void)self;
    if (!PyArg_ParseTuple(args, "OO", &f, &seq)) return NULL;
    if (!PyCallable_Check(f)) {
        PyErr_SetString(PyExc_TypeError, "map_sum: f must be callable");
        return NULL;
    }
    PyObject *it = PyObject_GetIter(seq);
    if (!it) return NULL;
    long total = 0;
    PyObject *x;
    while ((x = PyIter_Next(it))) {
        PyObject *r = PyObject_CallOneArg(f, x);
        Py_DECREF(x);
        if (!r) { Py_DECREF(it); return NULL; }
        total += PyLong_AsLong(r);
        Py_DECREF(r);
        if (PyErr_Occurred()) { Py_DECREF(it); return NULL; }
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) return NULL;
    return PyLong_FromLong(total);
}

typedef long (*op_fn)(long, long);
static long op_add(long a, long b) { return a + b; }
static long op_sub(long a, long b) { return a - b; }
static long op_mul(long a, long b) { return a * b; }
static const struct { const char *name; op_fn fn; } ops[] = {
    {"add", op_add}, {"sub", op_sub}, {"mul", op_mul},
};

static PyObject *apply(PyObject *self, PyObject *args) {
    const char *name;
    long a, b;
    (void)self;
    if (!PyArg_ParseTuple(args, "sll", &name, &a, &b)) return NULL;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(ops[i].name, name) == 0) return PyLong_FromLong(ops[i].fn(a, b));
    PyErr_Format(PyExc_ValueError, "unknown op %s", name);
    return NULL;
}

/* Main-module data seen from here is the main module's object. */
static PyObject *is_none(PyObject *self, PyObject *arg) {
    (void)self;
    return PyBool_FromLong(arg == Py_None);
}

/* A type whose slots are function pointers into this module; its tp_hash
 * is the main module's PyObject_HashNotImplemented, which CPython compares
 * by address. */
typedef struct { PyObject_HEAD long value; } CounterObject;

static PyObject *counter_incr(CounterObject *self, PyObject *Py_UNUSED(ignored)) {
    self->value++;
    return PyLong_FromLong(self->value);
}

static PyMethodDef counter_methods[] = {
    {"incr", (PyCFunction)counter_incr, METH_NOARGS, "add one"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject CounterType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "extdemo.Counter",
    .tp_basicsize = sizeof(CounterObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_methods = counter_methods,
    .tp_hash = PyObject_HashNotImplemented,
};

static PyMethodDef methods[] = {
    {"count", count, METH_NOARGS, "calls so far"},
    {"map_sum", map_sum, METH_VARARGS, "sum of f(x)"},
    {"apply", apply, METH_VARARGS, "apply a named op"},
    {"is_none", is_none, METH_O, "arg is None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "extdemo", "dynamic-linking test extension", -1, methods};

PyMODINIT_FUNC PyInit_extdemo(void) {
    if (PyType_Ready(&CounterType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&CounterType);
    if (PyModule_AddObject(m, "Counter", (PyObject *)&CounterType) < 0) return NULL;
    PyModule_AddStringConstant(m, "greeting", "hello from a side module");
    return m;
}
