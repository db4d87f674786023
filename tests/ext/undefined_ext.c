/* An extension calling a function no module defines: importing it fails. */
#include <Python.h>
extern long no_such_function_anywhere(long);
static PyObject *f(PyObject *self, PyObject *arg) {
    (void)self;
    return PyLong_FromLong(no_such_function_anywhere(PyLong_AsLong(arg)));
}
static PyMethodDef methods[] = {{"f", f, METH_O, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "undefined_ext", "", -1, methods};
PyMODINIT_FUNC PyInit_undefined_ext(void) { return PyModule_Create(&module); }
