/* A side module that needs libside.so (its dylink.0 `needed` list). */
extern int side_twice(int);
extern int side_value;
int user_call(int x) { return side_twice(x) + 1; }
int user_side_value(void) { return side_value; }
