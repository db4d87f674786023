/* Sorts 64 Ki pseudo-random 32-bit keys, n times: quicksort (median of
 * three, insertion sort below 16 elements): compares, branches, loads and
 * stores through linear memory, and recursion. */
#include "common.h"

#define N (64 * 1024)
static u32 a[N];

static void insertion(u32 *v, int lo, int hi) {
    for (int i = lo + 1; i <= hi; i++) {
        u32 x = v[i];
        int j = i - 1;
        while (j >= lo && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static void quicksort(u32 *v, int lo, int hi) {
    while (hi - lo > 16) {
        int mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo]) { u32 t = v[mid]; v[mid] = v[lo]; v[lo] = t; }
        if (v[hi] < v[lo]) { u32 t = v[hi]; v[hi] = v[lo]; v[lo] = t; }
        if (v[hi] < v[mid]) { u32 t = v[hi]; v[hi] = v[mid]; v[mid] = t; }
        u32 p = v[mid];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < p) i++;
            while (v[j] > p) j--;
            if (i <= j) { u32 t = v[i]; v[i] = v[j]; v[j] = t; i++; j--; }
        }
        /* Recurse into the smaller side, loop on the larger: bounded stack. */
        if (j - lo < hi - i) { quicksort(v, lo, j); lo = i; }
        else { quicksort(v, i, hi); hi = j; }
    }
    insertion(v, lo, hi);
}

EXPORT("bench") u32 bench(int n) {
    u32 seed = 42, sum = 0;
    for (int r = 0; r < n; r++) {
        for (int i = 0; i < N; i++) a[i] = lcg(&seed);
        quicksort(a, 0, N - 1);
        for (int i = 0; i < N; i += 97) sum = sum * 31 + a[i];
    }
    return sum;
}
