/* An extension that declares a CPython function with the wrong signature
 * (PyLong_FromLong takes one long): importing it fails. No Python.h, or
 * the compiler would catch the mistake. */
typedef struct _object PyObject;
extern PyObject *PyLong_FromLong(long, long);
static PyObject *f(PyObject *self, PyObject *arg) { (void)self; (void)arg; return PyLong_FromLong(1, 2); }
/* A function-pointer table, as every real extension has. */
PyObject *(*const badsig_methods[])(PyObject *, PyObject *) = {f};
__attribute__((visibility("default"))) PyObject *PyInit_badsig_ext(void) { return badsig_methods[0](0, 0); }
