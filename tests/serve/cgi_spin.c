// Never finishes (tests/serve.rs: the route's timeout gives 504).
int main(void) {
    volatile unsigned long n = 0;
    for (;;) n++;
}
