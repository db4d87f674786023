#!/usr/bin/env bash
# Compiles a C extension module for the project's CPython build
# (scripts/build-python.sh) into a wasm side module (dylink.0):
#
#   scripts/build-ext.sh FILE.c OUTDIR [MORE.c ...] [-IDIR | -DNAME[=VALUE] ...]
#
# writes OUTDIR/NAME.cpython-311-wasm32-wasi.so, NAME being FILE.c's base
# name; the module must define PyInit_NAME. Put OUTDIR on the guest's
# sys.path (e.g. workload/cpython/lib/python3.11/site-packages, which the
# guest sees as /usr/local/lib/python3.11/site-packages) and `import NAME`
# dlopens it. Undefined functions become env.* imports, resolved by the host
# against python.wasm's exports (libc and the Python C API) or its own host
# functions; data addresses come through GOT.mem.* / GOT.func.*.
#
# It uses the headers and pyconfig.h installed by build-python.sh
# (workload/cpython/include/python3.11) and the same compiler flags
# (scripts/cpython/toolchain.sh), and checks the result's linking interface
# with scripts/cpython/wasm_sections.py.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here="$root/scripts/cpython"
INCLUDE="$root/workload/cpython/include/python3.11"

die() { echo "build-ext: error: $*" >&2; exit 1; }

if [ $# -lt 2 ]; then
    echo "usage: $0 FILE.c OUTDIR [MORE.c ...] [-IDIR | -DNAME[=VALUE] ...]" >&2
    exit 2
fi
main_src=$1
outdir=$2
shift 2

case $main_src in
    *.c) ;;
    *) die "$main_src: the first argument must be a .c file" ;;
esac
[ -f "$main_src" ] || die "$main_src: no such file"
name=$(basename "$main_src" .c)
case $name in
    [A-Za-z_]*) ;;
    *) die "$name is not a valid module name (it must start with a letter or _)" ;;
esac
case $name in
    *[!A-Za-z0-9_]*) die "$name is not a valid module name (letters, digits and _ only)" ;;
esac

srcs=("$main_src")
cflags=()
for a in "$@"; do
    case $a in
        *.c) [ -f "$a" ] || die "$a: no such file"; srcs+=("$a") ;;
        -I*|-D*|-U*) cflags+=("$a") ;;
        *) die "unsupported argument $a (only .c files, -I, -D and -U)" ;;
    esac
done

if [ ! -f "$INCLUDE/Python.h" ] || [ ! -f "$INCLUDE/pyconfig.h" ]; then
    die "the CPython wasm build is missing ($INCLUDE): run scripts/build-python.sh first"
fi
command -v clang-19 >/dev/null || die "clang-19 not found: run scripts/setup-clang.sh (or scripts/build-python.sh)"
[ -d /usr/include/wasm32-wasi ] || die "wasi-libc headers missing: run scripts/setup-clang.sh"

mkdir -p "$outdir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The same two-symlink sysroot as build-python.sh (it keeps the host's
# /usr/include out of the search path), made here so only the installed
# tree workload/cpython is needed, not the build tree.
SYSROOT="$tmp/sysroot"
mkdir -p "$SYSROOT/include" "$SYSROOT/lib"
ln -s /usr/include/wasm32-wasi "$SYSROOT/include/wasm32-wasi"
ln -s /usr/lib/wasm32-wasi "$SYSROOT/lib/wasm32-wasi"
# shellcheck source=scripts/cpython/toolchain.sh
. "$here/toolchain.sh"

objs=()
i=0
for s in "${srcs[@]}"; do
    o="$tmp/$i-$(basename "$s" .c).o"
    # -DNDEBUG -fwrapv: what CPython's own modules are compiled with (its OPT).
    $CC_WASI $FEATURES $OPT_FLAGS -DNDEBUG -fwrapv -fPIC -I"$INCLUDE" "${cflags[@]}" -c "$s" -o "$o"
    objs+=("$o")
    i=$((i + 1))
done

out="$outdir/$name$SOABI_SUFFIX"
$SIDE_LINK "${objs[@]}" -o "$tmp/$name.so"
python3 "$here/wasm_sections.py" side "$tmp/$name.so" >/dev/null ||
    die "$out would not be a loadable side module (see the message above)"
mv "$tmp/$name.so" "$out"
echo "build-ext: wrote $out ($(stat -c %s "$out") bytes)"
