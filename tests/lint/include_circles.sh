#!/usr/bin/env bash
# Include circles: fails when two files of one folder use functions the other
# defines, through the folder's headers.
#
# The rule. A header of a folder (internal, `*_internal.h` or `internal.h`,
# or public) declares functions that files of its folder define. File F
# "uses G through a header" when F includes a header of its folder and calls
# a function declared there that G (another .c file of the same folder)
# defines. Two files that do so of each other form a circle: neither can be read, changed or tested
# without the other, and one of them should own the shared part or hand it
# to a third file. Exempt: consensus/internal.h, the core's message handlers
# (consensus/recv_*.c and the steps they share with cons.c call one another
# by design; docs/architecture.md, "Include circles").
#
# Known exceptions: folders whose circles are being removed (each line says
# by what); their circles are printed but do not fail the check. --strict
# ignores this list (tests/lint/include_circles.sh --strict ROOT fails on
# main's tree before those fixes).
#
# Usage: include_circles.sh [--strict] [ROOT]   (ROOT: the source tree, default .)
# Checks every folder under common, ledger, risk, consensus, storage, node and cli
# that holds .c files. Prints one line per folder checked and ends with
# "N passed, N failed".
set -u
strict=0
if [ "${1:-}" = "--strict" ]; then
    strict=1
    shift
fi
ROOT=${1:-.}
TOPS="common ledger risk consensus storage node cli"
pass=0
fail=0

# Folder (relative to ROOT) -> why its circles are tolerated for now.
known_exception() {
    [ "$strict" -eq 1 ] && return 1
    case $1 in
    *) return 1 ;;
    esac
}

# The exempt headers (folder/header).
exempt() {
    case $1 in
    consensus/internal.h) return 0 ;;
    esac
    return 1
}

# Function names a header declares at the start of a line: "type name(" or
# "type *name(" (typedefs, macros and static inline helpers left out).
declared() {
    grep -E '^[A-Za-z_][A-Za-z0-9_ ]*[ *]\**[a-z_][a-z0-9_]*\(' "$1" |
        grep -vE '^(typedef|static|#|extern "C")' |
        sed -E 's/^[^(]*[ *]([a-z_][a-z0-9_]*)\(.*/\1/' | sort -u
}

# The .c file of folder $1 defining function $2 (a line at column 0 naming
# it, not a prototype), or nothing.
owner() {
    local f
    for f in "$1"/*.c; do
        [ -f "$f" ] || continue
        if grep -qE "^[A-Za-z_][A-Za-z0-9_ ]*[ *]\\**$2\\(" "$f" &&
            ! grep -qE "^[A-Za-z_][A-Za-z0-9_ ]*[ *]\\**$2\\(.*\\);[[:space:]]*$" "$f"; then
            echo "$f"
            return
        fi
    done
}

# Checks one folder (path $1, name for includes $2); prints the circles and
# returns 1 if there is one.
check_folder() {
    local dir=$1 name=$2 h hb fn own f
    local edges
    edges=$(mktemp)
    for h in "$dir"/*.h; do
        [ -f "$h" ] || continue
        hb=$(basename "$h")
        exempt "$name/$hb" && continue
        for fn in $(declared "$h"); do
            own=$(owner "$dir" "$fn")
            [ -n "$own" ] || continue
            for f in "$dir"/*.c; do
                [ "$f" = "$own" ] && continue
                grep -qE "#include \"$name/$hb\"" "$f" || continue
                grep -qE "(^|[^A-Za-z0-9_])$fn\\(" "$f" || continue
                printf '%s %s %s %s\n' "$(basename "$f")" "$(basename "$own")" "$fn" "$hb" \
                    >>"$edges"
            done
        done
    done
    local circles=0 a b fa hdr
    while read -r a b fa hdr; do
        # report each pair once, from its lexically smaller side
        [[ "$a" < "$b" ]] || continue
        local back
        back=$(awk -v a="$a" -v b="$b" '$1 == b && $2 == a { print $3 " (" $4 ")" }' "$edges" |
            sort -u | head -3 | tr '\n' ' ')
        [ -n "$back" ] || continue
        if ! grep -qx "$a $b" <<<"${seen:-}"; then
            seen="${seen:-}$a $b"$'\n'
            local fwd
            fwd=$(awk -v a="$a" -v b="$b" '$1 == a && $2 == b { print $3 " (" $4 ")" }' \
                "$edges" | sort -u | head -3 | tr '\n' ' ')
            echo "  circle in $name/: $a calls ${fwd}defined in $b, and $b calls ${back}defined in $a"
            circles=$((circles + 1))
        fi
    done <"$edges"
    rm -f "$edges"
    [ "$circles" -eq 0 ]
}

report() { # name, status (0 ok)
    local why
    if [ "$2" -eq 0 ]; then
        printf 'include-circles %-10s ok\n' "$1"
        pass=$((pass + 1))
    elif why=$(known_exception "$1"); then
        printf 'include-circles %-10s known exception: %s\n' "$1" "$why"
        pass=$((pass + 1))
    else
        printf 'include-circles %-10s FAILED\n' "$1"
        fail=$((fail + 1))
    fi
}

# The check itself: a planted circle is found, a one-way use is not.
self_test() {
    local t rc
    t=$(mktemp -d)
    mkdir -p "$t/m"
    printf 'int m__a(int x);\nint m__b(int x);\n' >"$t/m/m_internal.h"
    printf '#include "m/m_internal.h"\nint m__a(int x)\n{\n    return x;\n}\n' >"$t/m/a.c"
    printf '#include "m/m_internal.h"\nint m__b(int x)\n{\n    return m__a(x);\n}\n' >"$t/m/b.c"
    seen=
    check_folder "$t/m" m >/dev/null
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "  self-test: a one-way use was reported as a circle"
        rm -rf "$t"
        return 1
    fi
    printf '#include "m/m_internal.h"\nint m__a(int x)\n{\n    return x ? m__b(x - 1) : 0;\n}\n' \
        >"$t/m/a.c"
    seen=
    check_folder "$t/m" m >/dev/null
    rc=$?
    rm -rf "$t"
    if [ "$rc" -eq 0 ]; then
        echo "  self-test: a planted circle (a.c <-> b.c) was not found"
        return 1
    fi
    return 0
}

self_test
report self-test $?
for top in $TOPS; do
    [ -d "$ROOT/$top" ] || continue
    while read -r d; do
        d=${d#"$ROOT"/}
        compgen -G "$ROOT/$d/*.c" >/dev/null || continue
        seen=
        check_folder "$ROOT/$d" "$d"
        report "$d" $?
    done < <(find "$ROOT/$top" -type d -not -name data | sort)
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
