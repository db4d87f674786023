/* Declares main_add with the wrong signature. */
extern int main_add(int);
int badsig_call(int x) { return main_add(x); }
