#!/usr/bin/env bash
# WB_MUST_USE: the compiler refuses a dropped result, WB_IGNORE_RESULT is
# the one way to drop it, and every function of the common/, ledger/ and
# cli/ headers that returns int, enum wb_err or bool is marked, apart from
# the few listed below whose result is a value, not an error. consensus/,
# storage/ and node/ headers are held to the same rule.
#
# Usage: must_use.sh [ROOT]   (ROOT: the source tree, default .; CC: compiler)
# Ends with "N passed, N failed".
set -u
ROOT=${1:-.}
CC=${CC:-cc}
pass=0
fail=0
report() { # name, status (0 ok)
    if [ "$2" -eq 0 ]; then
        printf 'must-use %-22s ok\n' "$1"
        pass=$((pass + 1))
    else
        printf 'must-use %-22s FAILED\n' "$1"
        fail=$((fail + 1))
    fi
}

# Lookups, predicates and mappings: an index, a digit or a yes/no about
# their argument, never a failure of theirs.
NOT_ERRORS="wb_addr_equal ledger_genesis_org_of_key ledger_genesis_org_by_name
ledger_genesis_validator_of_key ledger_iso6346_check_digit ledger_gs1_check_digit
ledger_rules_out_of_order ledger__sha256_supported ledger_item_held client_p2p_validator
cli_args_exit cons_waiting cons__vote_unsettled_copy cons__held_has cons__hrs_cmp
cons__seam_persist_late cons__reserved mempool_contains mempool_holds mempool__fail net_link_outbound
net_keyset_authorize net__uv_err node_build_heartbeat_due node_hold_is_fault
node_hold_classify_full ledger_pb_has_unknown ledger_action_is_gov ledger_genesis_name_ok
ledger_genesis_org_name_ok ledger_action_is_report ledger_device_kind_allows ledger_seal_number_ok
ledger_device_serial_ok device_send_obs_cmp device_seen_has ledger_locode_ok risk_flag_ledger_wide
risk_sampler_add"

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

# Compiled to an object: gcc reports an unused result only when it
# generates code, not under -fsyntax-only.
printf '#include "common/hex.h"\nvoid f(void);\nvoid f(void)\n{\n    unsigned char b[1];\n    wb_hex_decode("00", b, 1);\n}\n' >"$t/drop.c"
if "$CC" -std=c17 -I"$ROOT" -Wall -Werror -c -o "$t/drop.o" "$t/drop.c" 2>"$t/drop.log"; then
    echo "  a dropped wb_hex_decode result compiled"
    report dropped-result-refused 1
else
    grep -q "unused" "$t/drop.log" || { echo "  failed for another reason:"; cat "$t/drop.log"; }
    grep -q "unused" "$t/drop.log"
    report dropped-result-refused $?
fi

printf '#include "common/hex.h"\nvoid f(void);\nvoid f(void)\n{\n    unsigned char b[1];\n    WB_IGNORE_RESULT(wb_hex_decode("00", b, 1));\n}\n' >"$t/ignore.c"
"$CC" -std=c17 -I"$ROOT" -Wall -Wextra -Werror -c -o "$t/ignore.o" "$t/ignore.c" 2>"$t/ignore.log"
rc=$?
[ "$rc" -eq 0 ] || cat "$t/ignore.log"
report ignore-result-compiles "$rc"

missing=0
while IFS=: read -r file line name; do
    case " $(echo $NOT_ERRORS) " in
    *" $name "*) continue ;;
    esac
    echo "  $file:$line: $name returns int/enum wb_err/bool without WB_MUST_USE"
    missing=$((missing + 1))
done < <(cd "$ROOT" && grep -n -E '^(static inline )?(int|enum wb_err|bool) +\**[a-z_0-9]+\(' \
    common/*.h ledger/*.h risk/*.h cli/*.h consensus/*.h storage/*.h node/*.h | sed -E 's/^([^:]+):([0-9]+):[^(]*[ *]([a-z_0-9]+)\(.*/\1:\2:\3/')
[ "$missing" -eq 0 ]
report headers-marked $?

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
