// A CGI program for tests/serve.rs: answers with what it was given
// (argv, CGI variables, the body), or, by query string, a redirect
// (`redirect`), a status of its own (`status`), or a non-zero exit (`exit`).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env(const char *name) {
    const char *v = getenv(name);
    return v ? v : "(unset)";
}

int main(int argc, char **argv) {
    const char *q = env("QUERY_STRING");
    fprintf(stderr, "echo: handling %s\n", env("PATH_INFO"));
    if (strcmp(q, "redirect") == 0) {
        printf("Location: /elsewhere\n\n");
        return 0;
    }
    if (strcmp(q, "exit") == 0) {
        return 3;
    }
    if (strcmp(q, "status") == 0) {
        printf("Status: 418 I'm a teapot\r\nContent-Type: text/plain\r\n\r\nteapot\n");
        return 0;
    }
    printf("Content-Type: text/plain\nX-Echo: yes\n\n");
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    const char *names[] = {"REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "X_MATCHED_ROUTE", "SCRIPT_NAME",
                           "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "HTTP_X_TEST", "CONTENT_LENGTH",
                           "GREETING", "FROM_FILE", 0};
    for (int i = 0; names[i]; i++) printf("%s=%s\n", names[i], env(names[i]));
    char buf[256];
    size_t n;
    printf("body=");
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, stdout);
    printf("\n");
    return 0;
}
