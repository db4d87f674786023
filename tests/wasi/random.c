// random_get through getentropy and arc4random.
#include "common.h"
#include <wasi/api.h>

int main(void) {
    unsigned char a[256], b[256];
    CHECK("getentropy", getentropy(a, sizeof a));
    CHECK("getentropy again", getentropy(b, sizeof b));
    int zero = 0;
    for (int i = 0; i < 256; i++) zero += a[i] == 0;
    printf("mostly non-zero: %d\n", zero < 16);
    printf("two draws differ: %d\n", memcmp(a, b, sizeof a) != 0);
    CHECK("getentropy too long", getentropy(a, 257));
    unsigned seen = 0;
    for (int i = 0; i < 64; i++) seen |= arc4random();
    printf("arc4random covers bits: %d\n", seen == 0xffffffffu);
    static unsigned char big[1 << 20];
    CHECK_ERR("raw random_get 1 MiB", __wasi_random_get(big, sizeof big));
    CHECK_ERR("raw random_get 0", __wasi_random_get(big, 0));
    return 0;
}
