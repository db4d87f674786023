// Output that is not a CGI response: no header block (tests/serve.rs: 502).
#include <stdio.h>
int main(void) { printf("hello without any headers"); return 0; }
