// Run with no --dir: the current directory is the only grant, read-only,
// under the name ".".
#include "common.h"

int main(void) {
    show_file("read input.txt", "input.txt");
    show_file("read ./input.txt", "./input.txt");
    CHECK("create out.txt", open("out.txt", O_CREAT | O_WRONLY, 0644));
    CHECK("open input.txt for writing", open("input.txt", O_WRONLY));
    CHECK("mkdir", mkdir("newdir", 0755));
    CHECK("parent", open("../input.txt", O_RDONLY));
    return 0;
}
