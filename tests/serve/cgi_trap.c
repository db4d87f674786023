// Traps before writing anything (tests/serve.rs: 500).
int main(void) { __builtin_trap(); }
