#!/bin/sh
# Checks for (check) or installs (install) the Debian packages Waybill builds with.
set -e
PKGS="libsodium lmdb libuv libprotobuf-c inih jansson cmocka"
DEBS="build-essential pkg-config libsodium-dev liblmdb-dev libuv1-dev libprotobuf-c-dev protobuf-c-compiler libinih-dev libjansson-dev libcmocka-dev"

have_all() {
    command -v pkg-config >/dev/null 2>&1 || return 1
    command -v protoc-c >/dev/null 2>&1 || return 1
    pkg-config --exists $PKGS || return 1
}

case "${1:-install}" in
check)
    have_all ;;
install)
    if have_all; then echo "deps: all packages present"; exit 0; fi
    SUDO=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
            echo "deps: missing packages and not root; install: $DEBS" >&2; exit 1
        fi
    fi
    echo "deps: installing $DEBS"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $DEBS </dev/null
    have_all || { echo "deps: packages installed but pkg-config still misses some of: $PKGS" >&2; exit 1; }
    ;;
*)
    echo "usage: deps.sh check|install" >&2; exit 2 ;;
esac
