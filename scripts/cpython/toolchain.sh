# Compiler and linker settings shared by scripts/build-python.sh and
# scripts/build-ext.sh, so that C extensions built later match the
# interpreter exactly. Sourced (not run); expects SYSROOT to be set.
#
# Target features pinned to MVP + mutable-globals + sign-ext (-mcpu=mvp plus
# two flags) so the output does not change when clang's default feature set
# does. -O2: build-python.sh says why not -O3.
FEATURES="-mcpu=mvp -mmutable-globals -msign-ext"
OPT_FLAGS="-O2"
CC_WASI="clang-19 --target=wasm32-wasi --sysroot=$SYSROOT"
# Side modules: PIC, no libc of their own (python.wasm exports all of libc),
# every undefined symbol becomes an import (env.* for functions, GOT.mem.* /
# GOT.func.* for addresses), their own definitions win over same-named ones
# elsewhere (-Bsymbolic, as with a -fPIC ELF .so), and no entry point
# (clang -shared would want _initialize).
SIDE_LINK="$CC_WASI $FEATURES -shared -nostdlib -Wl,--no-entry -Wl,--experimental-pic -Wl,--unresolved-symbols=import-dynamic -Wl,-Bsymbolic"
SOABI_SUFFIX=.cpython-311-wasm32-wasi.so
