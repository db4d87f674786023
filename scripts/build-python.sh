#!/usr/bin/env bash
# Builds the project's own CPython 3.11.2 for wasm32-wasi (preview1) as a
# dynamic-linking *main module*, with most standard-library C extensions as
# wasm *side modules* (dylink.0) that CPython loads with dlopen(), and
# installs the guest prefix tree:
#
#   workload/cpython/python.wasm                    the interpreter
#   workload/cpython/lib/python3.11/                stdlib .py + precompiled .pyc
#   workload/cpython/lib/python3.11/lib-dynload/    NAME.cpython-311-wasm32-wasi.so
#   workload/cpython/lib/python3.11/site-packages/  (empty)
#   workload/cpython/include/python3.11/            headers + pyconfig.h (scripts/build-ext.sh)
#
# The tree is meant to be mounted as the guest's /usr/local (CPython's
# default prefix, which this build keeps):
#   faasm-engine run --dir-ro workload/cpython::/usr/local workload/cpython/python.wasm -c '...'
#
# The linking interface between python.wasm and the host:
#   * python.wasm imports only wasi_snapshot_preview1.* and env.dlopen,
#     env.dlsym, env.dlerror, env.dlclose (declared in scripts/cpython/dlfcn.h;
#     CPython's dynload_shlib.c calls the first three, scripts/cpython/start.c
#     keeps dlclose referenced so the import exists for extensions that call it).
#   * it exports every symbol (--export-all: functions, and data symbols as
#     i32 globals holding their address) plus __stack_pointer, its memory and
#     its growable __indirect_function_table, so the host can link side
#     modules against it.
#   * side modules import env.memory, env.__indirect_function_table,
#     env.__stack_pointer, env.__memory_base, env.__table_base, functions
#     from env, and addresses through GOT.mem.* / GOT.func.*; they export
#     PyInit_NAME and __wasm_apply_data_relocs (+ __wasm_call_ctors).
# The script checks all of that at the end (scripts/cpython/wasm_sections.py).
#
# Which modules are side modules: scripts/python-modules.txt (one name a
# line) — every stdlib C extension that configure enables, except those
# that must stay built into python.wasm:
#   * Modules/Setup.bootstrap (posix, errno, _io, _codecs, _signal, _thread,
#     time, _sre, _weakref, _abc, _functools, _operator, _collections,
#     itertools, atexit, faulthandler, _tracemalloc, _stat, _symtable,
#     _locale): the interpreter imports several of them while it starts,
#     before the path-based importer (and with it dlopen) works — `-X
#     importtime -c pass` shows _io, marshal, posix, time, _codecs,
#     _signal, _abc, _stat, _collections_abc... — and the rest have C APIs
#     the core itself calls (Setup.bootstrap: "cannot be built as shared").
#   * the modules that are part of libpython itself: sys, builtins, marshal,
#     _imp, _warnings, _string, _tokenize, _ast, gc, _frozen_importlib(_external),
#     zipimport.
# So a plain `python -c pass` opens no side module at all.
# Not built at all: _ctypes (no libffi for wasm32-wasi), _ssl/_hashlib
# (OpenSSL), _sqlite3, _bz2, _lzma, _uuid, readline, _curses, _dbm/_gdbm,
# _tkinter (no wasm32-wasi builds of their libraries in bookworm);
# _posixsubprocess, _multiprocessing, _posixshmem, _xxsubinterpreters (no
# fork, dup/dup2, shared memory or threads in WASI preview1; e.g.
# _posixsubprocess.c does not compile); mmap (<sys/mman.h> is an #error
# unless one opts into wasi-libc's malloc-based emulation, not tried), fcntl, termios,
# resource, grp, pwd, syslog, spwd, nis (no locks, ttys, rusage, users or
# syslog in WASI: missing headers or fields). Configure marks all of these
# n/a or missing.
#
# Optimisation: -O2, not -O3 (CPython's own default). Measured on this
# project's 2-core machine with wasmtime 50 (best of 7, three rounds): -O3
# made python.wasm 2% larger (4.36 vs 4.27 MB) and its compile ~10% slower,
# while fib(25), a dict/str loop and a json round trip ran within the noise
# of -O2 (23 vs 24-27 ms, 249-260 vs 241-277 ms, 99 vs 95-101 ms). -O3's
# extra unrolling and inlining buys nothing for an interpreter whose hot
# loop is one huge function, and every cold start pays for the bigger code.
# Target features: see scripts/cpython/toolchain.sh.
#
# Sources: Debian bookworm's source packages, pinned by SHA-256:
# python3.11_3.11.2.orig.tar.gz (pristine upstream Python-3.11.2; Debian's
# patches are not applied — they e.g. rename site-packages to dist-packages)
# and zlib_1.2.13.dfsg.orig.tar.bz2. Toolchain: clang-19/lld-19 and
# wasi-libc from bookworm (scripts/setup-clang.sh); clang-16 cannot build
# PIC code for wasm32-wasi. The build python is Debian's /usr/bin/python3.11
# (3.11.2), which also precompiles the stdlib: same version, same bytecode
# magic number.
#
# Idempotent: every step records a key (a hash of its inputs: the pinned
# sources, the flags, the step's own code and the files it uses) in
# workload/cpython-build/stamps/ and is skipped when the key is unchanged
# and its outputs exist; a re-run with nothing to do takes about a second.
# Build tree: workload/cpython-build/ (git-ignored, like workload/cpython/).
# FORCE=1 rebuilds every step. JOBS=N sets make's parallelism (default nproc).
#
# Variant with some extensions built in (for benchmarks: the same module
# imported as a side module and as part of python.wasm):
#   BUILTIN="_json math _struct" OUT=workload/cpython-static bash scripts/build-python.sh
# puts the BUILTIN modules (names from scripts/python-modules.txt) into the
# *static* section of Modules/Setup.local, so they are linked into
# python.wasm (sys.builtin_module_names), and builds all the others as side
# modules as usual, into the prefix tree OUT. A variant has a build tree of
# its own, workload/cpython-build-<basename of OUT>/ (the pinned tarballs are
# linked from the default tree when it has them), so the default build's
# tree, stamps and output are never touched by it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here="$root/scripts/cpython"
W="$root/workload/cpython-build"
OUT_OVERRIDE=${OUT:-}   # a variant's prefix tree (see "variant" below)
OUT="$root/workload/cpython"
JOBS=${JOBS:-$(nproc)}

PY_VERSION=3.11.2
PY_TARBALL=python3.11_3.11.2.orig.tar.gz
PY_SHA256=2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849
ZLIB_TARBALL=zlib_1.2.13.dfsg.orig.tar.bz2
ZLIB_SHA256=71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1
ZLIB_DIRNAME=zlib-1.2.13.dfsg
BUILD_PYTHON=/usr/bin/python3.11   # Debian's: a pyenv shim on PATH may be another 3.11.x

# --- variant: BUILTIN / OUT (see the header) -----------------------------------
# Everything a variant changes is decided here, before any key is computed, and
# only when BUILTIN or OUT is given: the default build's step functions and keys
# stay byte-for-byte what they were, so its stamps stay valid.
BUILTIN_MODULES=()
VARIANT_FUNCS=   # functions only a variant defines, hashed into its configure key
VARIANT_KEY=     # and its module list (both empty for the default build)
if [ -n "${BUILTIN:-}$OUT_OVERRIDE" ]; then
    [ -n "$OUT_OVERRIDE" ] || { echo "build-python: error: BUILTIN needs OUT (a prefix tree other than workload/cpython)" >&2; exit 1; }
    OUT=$(realpath -m "$OUT_OVERRIDE")
    [ "$OUT" != "$root/workload/cpython" ] || { echo "build-python: error: OUT=$OUT is the default build's tree; a variant needs its own" >&2; exit 1; }
    W="$root/workload/cpython-build-$(basename "$OUT")"
    # Sorted, so that the order given does not matter (nor rebuild).
    read -r -a BUILTIN_MODULES <<<"$(printf '%s\n' ${BUILTIN:-} | sort -u | tr '\n' ' ')"
    VARIANT_KEY="BUILTIN=${BUILTIN_MODULES[*]}"
    for m in "${BUILTIN_MODULES[@]}"; do
        sed -e 's/#.*//' -e 's/[[:space:]]//g' "$root/scripts/python-modules.txt" | grep -qx -- "$m" ||
            { echo "build-python: error: BUILTIN module $m is not in scripts/python-modules.txt" >&2; exit 1; }
    done
    # The pinned tarballs, hard-linked (or copied) from the default tree, so
    # a variant downloads nothing the default build already has; the SHA-256
    # is checked again by the sources step.
    mkdir -p "$W/src"
    for f in "$PY_TARBALL" "$ZLIB_TARBALL"; do
        if [ ! -f "$W/src/$f" ] && [ -f "$root/workload/cpython-build/src/$f" ]; then
            ln "$root/workload/cpython-build/src/$f" "$W/src/$f" 2>/dev/null ||
                cp "$root/workload/cpython-build/src/$f" "$W/src/$f"
        fi
    done
fi

SRC="$W/src/Python-$PY_VERSION"
ZSRC="$W/src/$ZLIB_DIRNAME"
SYSROOT="$W/sysroot"
ZLIB="$W/zlib"
BUILD="$W/build"
STAMPS="$W/stamps"
LIB="$OUT/lib/python3.11"

# --- toolchain flags (part of every compile step's key) ----------------------
# shellcheck source=scripts/cpython/toolchain.sh
. "$here/toolchain.sh"
# Main module: our _start (start.c), everything exported, __stack_pointer
# exported (--export-all leaves it out), a table the host can grow, and the
# whole of libc linked in so side modules can import any libc function.
MAIN_LINK="-nostartfiles $BUILD/start.o -Wl,--export-all -Wl,--export=__stack_pointer -Wl,--export-table -Wl,--growable-table -Wl,--whole-archive -lc -Wl,--no-whole-archive"
# Reproducible output: clang takes __DATE__/__TIME__ (CPython's build info,
# sys.version) from here, 3.11.2's release day, instead of the clock.
export SOURCE_DATE_EPOCH=1675814400
FLAGS_KEY="$FEATURES|$OPT_FLAGS|$CC_WASI|$SIDE_LINK|$MAIN_LINK|$SOURCE_DATE_EPOCH"

say() { echo "build-python: $*"; }
die() { echo "build-python: error: $*" >&2; exit 1; }

# --- steps: timing and stamps -------------------------------------------------
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# run_step NAME KEY OUTPUT...: runs step_NAME unless stamps/NAME holds KEY
# and every OUTPUT exists; prints how long it took either way.
run_step() {
    local name=$1 key=$2
    shift 2
    local ok=1 t0
    t0=$(date +%s.%N)
    if [ "${FORCE:-0}" = 1 ] || [ ! -f "$STAMPS/$name" ] || [ "$(cat "$STAMPS/$name")" != "$key" ]; then
        ok=0
    fi
    for o in "$@"; do [ -e "$o" ] || ok=0; done
    if [ $ok = 1 ]; then
        say "step $name: up to date ($(elapsed "$t0" "$(date +%s.%N)")s)"
        return
    fi
    rm -f "$STAMPS/$name"
    "step_$name"
    mkdir -p "$STAMPS"
    echo "$key" >"$STAMPS/$name"
    say "step $name: done in $(elapsed "$t0" "$(date +%s.%N)")s"
}

# key_of PREVIOUS_KEY STEP_FUNCTION [FILE...]: hash of the previous step's key,
# the step's own code, the shared flags, the toolchain's package versions
# (TOOLS_KEY, set once the toolchain is installed) and the given files.
key_of() {
    local prev=$1 fn=$2
    shift 2
    { echo "$prev"; declare -f "$fn"; echo "$FLAGS_KEY|$TOOLS_KEY"; cat "$@" /dev/null; } |
        sha256sum | cut -d' ' -f1
}

apt_install() {
    # apt occasionally fails transiently (e.g. "cannot access archive"): retry once.
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@" ||
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@"
}

apt_update() {
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    "${sudo[@]}" apt-get update -q || "${sudo[@]}" apt-get update -q
}

# --- step: toolchain ----------------------------------------------------------
# Not stamped: dpkg-query is quick, and packages can vanish between runs.
toolchain() {
    local t0
    t0=$(date +%s.%N)
    bash "$root/scripts/setup-clang.sh" >/dev/null || bash "$root/scripts/setup-clang.sh"
    # python3.11: the build python (/usr/bin/python3.11); bzip2: zlib's
    # source tarball is .tar.bz2.
    local missing=()
    for p in python3.11 make bzip2; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        apt_update
        apt_install "${missing[@]}"
    fi
    for tool in clang-19 wasm-ld-19 llvm-ar-19 llvm-ranlib-19 llvm-strip-19 make; do
        command -v "$tool" >/dev/null || die "$tool not found after installing the toolchain"
    done
    [ -x "$BUILD_PYTHON" ] || die "$BUILD_PYTHON not found (Debian package python3.11)"
    local v
    v=$("$BUILD_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    [ "$v" = 3.11 ] || die "$BUILD_PYTHON is Python $v; the cross build needs 3.11"
    # An upgraded compiler, libc or build python rebuilds everything after the sources.
    TOOLS_KEY=$(dpkg-query -W -f='${Package}=${Version} ' clang-19 lld-19 wasi-libc \
        libclang-rt-19-dev-wasm32 python3.11)
    say "step toolchain: done in $(elapsed "$t0" "$(date +%s.%N)")s"
}

# --- step: sources ------------------------------------------------------------
have_deb_src() {
    grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/
}

add_deb_src() {
    # Mirror the machine's main archive entry (the first stanza of
    # debian.sources; bookworm-security serves no sources) as deb-src.
    local list=/etc/apt/sources.list.d/debian.sources
    if [ -f "$list" ]; then
        awk 'BEGIN { RS = ""; ORS = "\n\n" } NR == 1' "$list" |
            sed -e 's/^Types:.*/Types: deb-src/' >/etc/apt/sources.list.d/faasm-deb-src.sources
    else
        echo "deb-src http://deb.debian.org/debian bookworm main" >/etc/apt/sources.list.d/faasm-deb-src.list
    fi
    say "added a deb-src entry for Debian's source packages"
}

fetch_tarball() {   # fetch_tarball SOURCE_PACKAGE FILE SHA256
    local pkg=$1 file=$2 sha=$3
    if [ -f "$W/src/$file" ] && echo "$sha  $W/src/$file" | sha256sum -c --quiet - 2>/dev/null; then
        return
    fi
    if ! have_deb_src; then
        add_deb_src
        apt_update
    fi
    (cd "$W/src" && { apt-get source -q --download-only "$pkg" || apt-get source -q --download-only "$pkg"; })
    echo "$sha  $W/src/$file" | sha256sum -c --quiet - ||
        die "$file does not have the pinned SHA-256 $sha"
}

step_sources() {
    mkdir -p "$W/src"
    fetch_tarball python3.11 "$PY_TARBALL" "$PY_SHA256"
    fetch_tarball zlib "$ZLIB_TARBALL" "$ZLIB_SHA256"
    rm -rf "$SRC" "$ZSRC"
    tar -C "$W/src" -xzf "$W/src/$PY_TARBALL"
    tar -C "$W/src" -xjf "$W/src/$ZLIB_TARBALL"
}

# --- step: sysroot ------------------------------------------------------------
# Debian's clang searches /usr/include and /usr/local/include even for
# wasm32-wasi, so configure would find the *host's* zlib, lzma, uuid... headers.
# A sysroot made of two symlinks to wasi-libc keeps the host out.
step_sysroot() {
    rm -rf "$SYSROOT"
    mkdir -p "$SYSROOT/include" "$SYSROOT/lib"
    ln -s /usr/include/wasm32-wasi "$SYSROOT/include/wasm32-wasi"
    ln -s /usr/lib/wasm32-wasi "$SYSROOT/lib/wasm32-wasi"
}

# --- step: zlib ---------------------------------------------------------------
# A static archive of position-independent code, linked into the zlib and
# binascii side modules (each gets its own copy; python.wasm has none).
# zlib's own configure is not needed: its sources build with plain defines.
ZLIB_OBJS=(adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast inflate inftrees trees uncompr zutil)
step_zlib() {
    rm -rf "$ZLIB"
    mkdir -p "$ZLIB/obj" "$ZLIB/include" "$ZLIB/lib"
    local pids=() o
    for o in "${ZLIB_OBJS[@]}"; do
        # HAVE_UNISTD_H / HAVE_STDARG_H: what zlib's configure would find in wasi-libc.
        # -Wno-deprecated-non-prototype: zlib 1.2.13 still has K&R definitions.
        $CC_WASI $FEATURES $OPT_FLAGS -fPIC -DHAVE_UNISTD_H -DHAVE_STDARG_H -D_LARGEFILE64_SOURCE=1 \
            -Wno-deprecated-non-prototype -I"$ZSRC" -c "$ZSRC/$o.c" -o "$ZLIB/obj/$o.o" &
        pids+=($!)
        if [ ${#pids[@]} -ge "$JOBS" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
    done
    for p in "${pids[@]}"; do wait "$p"; done
    for o in "${ZLIB_OBJS[@]}"; do [ -f "$ZLIB/obj/$o.o" ] || die "zlib: $o.c did not compile"; done
    (cd "$ZLIB/obj" && llvm-ar-19 rcs "$ZLIB/lib/libz.a" "${ZLIB_OBJS[@]/%/.o}")
    cp "$ZSRC/zlib.h" "$ZSRC/zconf.h" "$ZLIB/include/"
}

# --- step: configure ----------------------------------------------------------
# Modules/Setup.local: the *shared* section, one line per module of
# scripts/python-modules.txt, taken from CPython's own Setup.stdlib.in or
# Setup (its
# sources; no flags, so makesetup adds configure's MODULE_<NAME>_CFLAGS and
# _LDFLAGS, which carry e.g. zlib's archive). makesetup reads Setup.local
# first and the first rule for a module wins, so these override the static
# ones.
module_names() { sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$root/scripts/python-modules.txt"; }

write_setup_local() {
    local m line
    {
        echo "# Generated by scripts/build-python.sh from scripts/python-modules.txt"
        echo "*shared*"
        for m in $(module_names); do
            # Setup.stdlib.in guards each line with @MODULE_<NAME>_TRUE@;
            # Modules/Setup has a few more (xxsubtype), commented-out ones
            # start with '#'.
            line=$(cat "$SRC/Modules/Setup.stdlib.in" "$SRC/Modules/Setup" |
                sed -e 's/^@MODULE_[A-Z0-9_]*_TRUE@//' -e 's/[[:space:]]*#.*//' |
                awk -v m="$m" '$1 == m && !seen { print; seen = 1 }')
            [ -n "$line" ] || die "module $m (scripts/python-modules.txt) is in neither Modules/Setup.stdlib.in nor Modules/Setup"
            echo "$line"
        done
    } >"$1"
}

step_configure() {
    rm -rf "$BUILD"
    mkdir -p "$BUILD/include" "$BUILD/Modules"
    cp "$here/dlfcn.h" "$BUILD/include/dlfcn.h"
    write_setup_local "$BUILD/Modules/Setup.local"
    { cat "$SRC/Tools/wasm/config.site-wasm32-wasi"; cat "$here/config.site"; } >"$BUILD/config.site"
    $CC_WASI $FEATURES $OPT_FLAGS -I"$BUILD/include" -c "$here/start.c" -o "$BUILD/start.o"
    # OPT replaces configure's default "-g -O3": no DWARF (python.wasm is
    # stripped of it anyway, and the build is faster), our -O level.
    # -Wno-int-conversion: timemodule.c of 3.11.2 trips clang >= 16's error.
    # ZLIB_CFLAGS/ZLIB_LIBS: configure takes them instead of asking
    # pkg-config (which is pointed at the empty sysroot, so nothing of the
    # host leaks in).
    (
        cd "$BUILD"
        CONFIG_SITE="$BUILD/config.site" \
        PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$SYSROOT/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$SYSROOT" \
        CC="$CC_WASI" CPP="$CC_WASI -E" CXX="clang++-19 --target=wasm32-wasi --sysroot=$SYSROOT" \
        AR=llvm-ar-19 RANLIB=llvm-ranlib-19 READELF=true \
        OPT="-DNDEBUG -fwrapv $OPT_FLAGS -Wall" \
        CFLAGS="$FEATURES -Wno-int-conversion" CPPFLAGS="-I$BUILD/include" \
        CCSHARED="-fPIC" LDSHARED="$SIDE_LINK" LINKFORSHARED="$MAIN_LINK" \
        ZLIB_CFLAGS="-I$ZLIB/include" ZLIB_LIBS="$ZLIB/lib/libz.a" \
        "$SRC/configure" -C --host=wasm32-unknown-wasi --build=x86_64-pc-linux-gnu \
            --with-build-python="$BUILD_PYTHON" --disable-test-modules --without-ensurepip \
            >configure.log 2>&1
    ) || { tail -40 "$BUILD/configure.log"; die "configure failed (log: $BUILD/configure.log)"; }
    grep -q '^#define HAVE_DYNAMIC_LOADING 1' "$BUILD/pyconfig.h" || die "configure did not enable dynamic loading"
    grep -q '^DYNLOADFILE=.*dynload_shlib.o' "$BUILD/Makefile" || die "configure did not pick dynload_shlib"
}

# A variant's module lists: module_names (the side modules, which the make
# and verify steps check) leaves out the BUILTIN ones, and Setup.local gets a
# *static* section with them (makesetup's first rule for a module wins, so
# they override Setup.stdlib's lines). Defined only for a variant, so the
# default build's configure key (which hashes these functions) is unchanged.
if [ ${#BUILTIN_MODULES[@]} -gt 0 ]; then
    VARIANT_FUNCS=setup_line
    module_names() {
        sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$root/scripts/python-modules.txt" |
            grep -vxF -f <(printf '%s\n' "${BUILTIN_MODULES[@]}")
    }
    setup_line() {   # setup_line MODULE: its line of Setup.stdlib.in / Setup
        cat "$SRC/Modules/Setup.stdlib.in" "$SRC/Modules/Setup" |
            sed -e 's/^@MODULE_[A-Z0-9_]*_TRUE@//' -e 's/[[:space:]]*#.*//' |
            awk -v m="$1" '$1 == m && !seen { print; seen = 1 }'
    }
    write_setup_local() {
        local m line
        {
            echo "# Generated by scripts/build-python.sh (variant BUILTIN=${BUILTIN_MODULES[*]})"
            echo "*static*"
            for m in "${BUILTIN_MODULES[@]}"; do
                line=$(setup_line "$m")
                [ -n "$line" ] || die "module $m is in neither Modules/Setup.stdlib.in nor Modules/Setup"
                echo "$line"
            done
            echo "*shared*"
            for m in $(module_names); do
                line=$(setup_line "$m")
                [ -n "$line" ] || die "module $m (scripts/python-modules.txt) is in neither Modules/Setup.stdlib.in nor Modules/Setup"
                echo "$line"
            done
        } >"$1"
    }
fi

# --- step: make ---------------------------------------------------------------
step_make() {
    # BLDSHARED would add the main module's LDFLAGS_NODIST (--stack-first,
    # initial memory) to side modules: link them with SIDE_LINK alone.
    (cd "$BUILD" && make -j"$JOBS" BLDSHARED="$SIDE_LINK" >make.log 2>&1) ||
        { tail -60 "$BUILD/make.log"; die "make failed (log: $BUILD/make.log)"; }
    local m
    for m in $(module_names); do
        [ -f "$BUILD/Modules/$m$SOABI_SUFFIX" ] || die "side module $m was not built (see $BUILD/make.log)"
    done
}

# --- step: install ------------------------------------------------------------
STDLIB_DROP=(test idlelib tkinter turtledemo ensurepip lib2to3/tests turtle.py)
step_install() {
    rm -rf "$OUT"
    mkdir -p "$LIB/lib-dynload" "$LIB/site-packages" "$OUT/include/python3.11"
    # keeps the "name" section, so traps and profiles show function names
    llvm-strip-19 --strip-debug -o "$OUT/python.wasm" "$BUILD/python.wasm"
    cp -r "$SRC/Lib/." "$LIB/"
    local d
    for d in "${STDLIB_DROP[@]}"; do rm -rf "${LIB:?}/$d"; done
    find "$LIB" -name __pycache__ -prune -exec rm -rf {} +
    cp "$BUILD"/build/lib.wasi-wasm32-3.11/_sysconfigdata_*.py "$LIB/"
    local so
    for so in "$BUILD"/Modules/*"$SOABI_SUFFIX"; do
        llvm-strip-19 --strip-debug -o "$LIB/lib-dynload/$(basename "$so")" "$so"
    done
    cp -r "$SRC/Include/." "$OUT/include/python3.11/"
    cp "$BUILD/pyconfig.h" "$OUT/include/python3.11/"
    # Precompile with the host's 3.11 (same magic number as the guest).
    # unchecked-hash: the guest never compares the .pyc with its source's
    # mtime or hash (the mounted tree's mtimes are whatever the copy left,
    # and the prefix is read-only anyway). -s/-p: tracebacks name the guest
    # path. Errors (files with deliberately invalid syntax, e.g. in
    # lib2to3's test data) are listed, not fatal.
    "$BUILD_PYTHON" -m compileall -q -j "$JOBS" --invalidation-mode unchecked-hash \
        -s "$LIB" -p /usr/local/lib/python3.11 "$LIB" >"$W/compileall.log" 2>&1 ||
        { say "compileall reported errors (files left without .pyc):"; grep -E '^\*\*\*|Error' "$W/compileall.log" | head -20; }
    [ -f "$LIB/encodings/__pycache__/__init__.cpython-311.pyc" ] || die "compileall wrote no .pyc for encodings"
}

# --- step: verify -------------------------------------------------------------
step_verify() {
    "$BUILD_PYTHON" "$here/wasm_sections.py" main "$OUT/python.wasm"
    # --main: each side module's imports must all be defined by python.wasm
    # (or by the module itself), so a loader never meets an unknown symbol.
    "$BUILD_PYTHON" "$here/wasm_sections.py" side --main "$OUT/python.wasm" \
        "$LIB"/lib-dynload/*"$SOABI_SUFFIX" >"$W/side-modules.txt" ||
        { cat "$W/side-modules.txt"; die "a side module does not have the expected linking interface"; }
    local m
    for m in $(module_names); do
        [ -f "$LIB/lib-dynload/$m$SOABI_SUFFIX" ] || die "lib-dynload/$m$SOABI_SUFFIX missing"
    done
    # The .pyc must be of the unchecked-hash kind (PEP 552 flags word == 0b01).
    "$BUILD_PYTHON" - "$LIB" <<'PY'
import importlib.util, pathlib, sys
lib = pathlib.Path(sys.argv[1])
pycs = list(lib.rglob("__pycache__/*.cpython-311.pyc"))
bad = [p for p in pycs if p.read_bytes()[:4] != importlib.util.MAGIC_NUMBER
       or int.from_bytes(p.read_bytes()[4:8], "little") != 1]
if bad:
    sys.exit(f"build-python: {len(bad)} .pyc files are not unchecked-hash 3.11 bytecode, e.g. {bad[0]}")
print(f"{len(pycs)} .pyc files, all unchecked-hash with magic {importlib.util.MAGIC_NUMBER.hex()}")
PY
}

# --- main ---------------------------------------------------------------------
say "building CPython $PY_VERSION for wasm32-wasi into $OUT (build tree $W)"
T0=$(date +%s.%N)
toolchain

k_sources=$(echo "$PY_SHA256 $ZLIB_SHA256 $(declare -f step_sources fetch_tarball)" | sha256sum | cut -d' ' -f1)
run_step sources "$k_sources" "$SRC/configure" "$ZSRC/zlib.h"

k_sysroot=$(key_of "$k_sources" step_sysroot)
run_step sysroot "$k_sysroot" "$SYSROOT/include/wasm32-wasi/stdio.h"

k_zlib=$(key_of "$k_sysroot" step_zlib)
run_step zlib "$k_zlib" "$ZLIB/lib/libz.a" "$ZLIB/include/zlib.h"

k_configure=$(key_of "$k_zlib" step_configure "$here/dlfcn.h" "$here/start.c" "$here/config.site" \
    "$root/scripts/python-modules.txt" <(declare -f write_setup_local module_names $VARIANT_FUNCS; printf '%s' "$VARIANT_KEY"))
run_step configure "$k_configure" "$BUILD/Makefile" "$BUILD/pyconfig.h"

k_make=$(key_of "$k_configure" step_make)
run_step make "$k_make" "$BUILD/python.wasm"

k_install=$(key_of "$k_make" step_install <(printf '%s\n' "${STDLIB_DROP[@]}"))
run_step install "$k_install" "$OUT/python.wasm" "$LIB/os.py" "$OUT/include/python3.11/pyconfig.h"

k_verify=$(key_of "$k_install" step_verify "$here/wasm_sections.py")
run_step verify "$k_verify" "$W/side-modules.txt"

# A variant's built-in modules must not also be side modules.
for m in "${BUILTIN_MODULES[@]}"; do
    [ ! -e "$LIB/lib-dynload/$m$SOABI_SUFFIX" ] || die "BUILTIN module $m was built as a side module too"
done

# --- summary --------------------------------------------------------------------
mods=("$LIB"/lib-dynload/*"$SOABI_SUFFIX")
names=()
for so in "${mods[@]}"; do names+=("$(basename "$so" "$SOABI_SUFFIX")"); done
say "python.wasm: $(stat -c %s "$OUT/python.wasm") bytes"
say "${#mods[@]} side modules ($(du -cb "${mods[@]}" | tail -n1 | cut -f1) bytes): ${names[*]}"
[ ${#BUILTIN_MODULES[@]} -eq 0 ] || say "built into python.wasm (BUILTIN): ${BUILTIN_MODULES[*]}"
say "stdlib: $(du -sh "$LIB" | cut -f1) with $(find "$LIB" -name '*.pyc' | wc -l) .pyc"
say "total $(elapsed "$T0" "$(date +%s.%N)")s"
