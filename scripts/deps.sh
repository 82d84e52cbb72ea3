#!/bin/sh
# Checks for (check) or installs (install) the Debian packages Waybill builds
# and tests with.
set -e
PKGS="libsodium lmdb libuv libprotobuf-c inih jansson libmicrohttpd cmocka"
DEBS="build-essential pkg-config libsodium-dev liblmdb-dev libuv1-dev libprotobuf-c-dev protobuf-c-compiler libinih-dev libjansson-dev libmicrohttpd-dev libcmocka-dev"
# The tests also need curl (to scrape the metrics endpoint) and prometheus
# (its promtool checks the exposition and the alerting rules, and
# tests/cluster/test_metrics.sh runs a real server against a node). Without
# their recommends: prometheus would bring node-exporter and its collectors.
TEST_DEBS="curl prometheus"
TOOLS="pkg-config protoc-c curl promtool prometheus"

have_all() {
    for t in $TOOLS; do
        command -v "$t" >/dev/null 2>&1 || return 1
    done
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
            echo "deps: missing packages and not root; install: $DEBS $TEST_DEBS" >&2; exit 1
        fi
    fi
    echo "deps: installing $DEBS $TEST_DEBS"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $DEBS </dev/null
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        $TEST_DEBS </dev/null
    have_all || { echo "deps: packages installed but still missing some of: the libraries $PKGS (pkg-config) or the tools $TOOLS" >&2; exit 1; }
    ;;
*)
    echo "usage: deps.sh check|install" >&2; exit 2 ;;
esac
