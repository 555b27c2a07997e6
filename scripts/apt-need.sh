# Sourced by scripts/test.sh, interop/run.sh and .ci/run: `apt_need PKG…` installs, with apt-get,
# the Debian packages of the list that are not installed yet, so a dev box that has them pays nothing.
apt_need() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    if ! command -v apt-get >/dev/null; then
        echo "error: these Debian packages are needed but apt-get is not available: ${missing[*]}" >&2
        return 1
    fi
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    echo "installing: ${missing[*]}"
    "${sudo[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}
