extern int no_such_function(int);
int undef_call(int x) { return no_such_function(x); }
