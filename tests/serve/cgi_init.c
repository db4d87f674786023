// A CGI program with Wizer's `wizer.initialize` (tests/serve.rs): the
// initialisation builds a greeting on the heap, reads the first line of a
// file from the /data volume and leaves it open; each request reports that state, its
// own count of requests (1 when every request starts from the same
// snapshot), and its PATH_INFO.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *greeting;
static FILE *words;
static int requests;

__attribute__((export_name("wizer.initialize"))) void initialize(void) {
    greeting = strdup("built at initialisation");
    words = fopen("/data/words.txt", "r");
    char first[64];
    if (words) fgets(first, sizeof first, words);
}

int main(void) {
    requests++;
    char line[64] = "(no file)";
    if (words && fgets(line, sizeof line, words)) line[strcspn(line, "\n")] = 0;
    const char *path = getenv("PATH_INFO");
    printf("Content-Type: text/plain\n\n%s; first line: %s; request %d; path %s\n",
           greeting ? greeting : "not initialised", line, requests, path ? path : "(unset)");
    return 0;
}
