/* Country codes of UN/LOCODE: the ISO 3166-1 alpha-2 table and the codes
 * UN/LOCODE adds (XZ), compiled in from ledger/data/ at build time. */
#ifndef LEDGER_COUNTRY_H
#define LEDGER_COUNTRY_H

#include <stdbool.h>
#include <stddef.h>

/* One code. Entries live in a constant table: pointers to them and their
 * names stay valid for the life of the program. */
struct ledger_country {
    char code[3];           /* two capital letters and NUL: "NL" */
    const char *name;       /* as the data file gives it, UTF-8: "Netherlands" */
    bool iso3166;           /* false for a code UN/LOCODE adds (XZ) */
};

/* Number of entries: those of ledger/data/iso3166-1.tsv (249 in iso-codes
 * 4.15.0), then those of ledger/data/unlocode-countries.tsv. */
size_t ledger_country_count(void);

/* The i-th entry (i < ledger_country_count()), in data file order: the ISO
 * 3166-1 codes sorted by code, then UN/LOCODE's own. NULL past the end. */
const struct ledger_country *ledger_country_at(size_t i);

/* The entry for `code`, which must be exactly two capital letters A-Z (no
 * case folding, nothing after them), or NULL if the table has no such code
 * or `code` is NULL or malformed. */
const struct ledger_country *ledger_country_find(const char *code);

#endif
