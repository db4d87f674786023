# Shared by the fetch scripts (source it): download one pinned package file
# from PyPI with pip and check its SHA-256.
#
#   pip_download_verified TAG SHA256 OUT_DIR [PIP_DOWNLOAD_ARGS...]
#
# Downloads into OUT_DIR, which must end up holding exactly one file, checks
# that file against SHA256 and prints its path. TAG prefixes the messages.
# Exits with a message on any failure (no pip, not one file, wrong hash).

pip_download_verified() {
    local tag=$1 want=$2 out=$3
    shift 3
    local pip=()
    if command -v pip3 >/dev/null 2>&1; then pip=(pip3)
    elif command -v pip >/dev/null 2>&1; then pip=(pip)
    elif command -v python3 >/dev/null 2>&1; then pip=(python3 -m pip)
    else
        echo "$tag: need pip (or python3 -m pip) to download $*" >&2
        exit 1
    fi
    "${pip[@]}" download --quiet --no-deps --disable-pip-version-check -d "$out" "$@" >&2
    local files=()
    shopt -s nullglob
    files=("$out"/*)
    shopt -u nullglob
    if [ ${#files[@]} -ne 1 ]; then
        echo "$tag: expected one file in the download, found ${#files[@]}" >&2
        exit 1
    fi
    local got
    got=$(sha256sum "${files[0]}" | cut -d' ' -f1)
    if [ "$got" != "$want" ]; then
        echo "$tag: SHA-256 mismatch for $(basename "${files[0]}"): got $got, want $want" >&2
        exit 1
    fi
    printf '%s\n' "${files[0]}"
}
