# Sourced by the setup scripts: apt_install TAG PACKAGE... installs those of
# the Debian packages that are missing (nothing is fetched when all are
# there) and returns 1 when there was nothing to do, 0 after installing.
apt_install() {
    local tag=$1; shift
    local missing=() p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "$tag: all of $* already installed"
        return 1
    fi
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    echo "$tag: installing ${missing[*]}"
    "${sudo[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}
