#!/bin/sh
# Rewrites ledger/data/iso3166-1.tsv from Debian's iso-codes package (run it
# from the repository root after `apt-get install iso-codes jq`). The build
# never runs this: it turns the committed .tsv into C (gen_countries.awk).
set -eu
json=/usr/share/iso-codes/json/iso_3166-1.json
out=ledger/data/iso3166-1.tsv
[ -r "$json" ] || { echo "refresh_iso3166.sh: $json missing: apt-get install iso-codes" >&2; exit 1; }
command -v jq >/dev/null || { echo "refresh_iso3166.sh: needs jq" >&2; exit 1; }
version=$(dpkg-query -W -f '${Version}' iso-codes)
# The package's release date: the trailer line of its newest changelog entry.
released=$(zcat /usr/share/doc/iso-codes/changelog.Debian.gz |
    sed -n 's/^ -- .*>  \(.*\)$/\1/p' | head -1)
released=$(date -u -d "$released" +%F)
count=$(jq '."3166-1" | length' "$json")
tmp=$out.tmp
{
    echo "# ISO 3166-1 alpha-2 country codes: CODE<TAB>NAME, one a line, sorted by code ($count codes)."
    echo "# Source: Debian package iso-codes $version (released $released),"
    echo "#   $json, fields alpha_2 and name;"
    echo "#   upstream https://salsa.debian.org/iso-codes-team/iso-codes"
    echo "# Licence: LGPL-2.1-or-later (the iso-codes package)."
    echo "# Copied on $(date -u +%F) with ledger/data/refresh_iso3166.sh; the build turns it into C"
    echo "# (ledger/data/gen_countries.awk)."
    jq -r '."3166-1"[] | "\(.alpha_2)\t\(.name)"' "$json" | LC_ALL=C sort
} >"$tmp"
mv "$tmp" "$out"
echo "wrote $out: $count codes from iso-codes $version"
