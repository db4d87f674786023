/* Multiplies two 128 x 128 double matrices, n times (i-k-j order, the
 * cache-friendly naive loop): floating-point multiply-add and address
 * arithmetic over linear memory. */
#include "common.h"

#define D 128
static double A[D][D], B[D][D], C[D][D];

EXPORT("bench") u32 bench(int n) {
    u32 seed = 7;
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            A[i][j] = (double)(lcg(&seed) >> 16) / 65536.0 - 0.5;
            B[i][j] = (double)(lcg(&seed) >> 16) / 65536.0 - 0.5;
        }
    double trace = 0;
    for (int r = 0; r < n; r++) {
        for (int i = 0; i < D; i++)
            for (int j = 0; j < D; j++) C[i][j] = 0;
        for (int i = 0; i < D; i++)
            for (int k = 0; k < D; k++) {
                double aik = A[i][k];
                for (int j = 0; j < D; j++) C[i][j] += aik * B[k][j];
            }
        for (int i = 0; i < D; i++) trace += C[i][i];
        /* Feed the result back so rounds cannot be merged. */
        A[r % D][(r * 7) % D] += C[(r * 3) % D][r % D] * 1e-3;
    }
    union { double d; u64 u; } bits = { trace };
    return (u32)(bits.u ^ (bits.u >> 32));
}
