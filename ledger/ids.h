/* Identifier validation: item ids and locations (DESIGN.md section 2). */
#ifndef LEDGER_IDS_H
#define LEDGER_IDS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/wb_error.h"

enum ledger_id_kind {
    LEDGER_ID_INVALID = 0,
    LEDGER_ID_CONTAINER,  /* ISO 6346, e.g. CSQU3054383 (11 chars, check digit last) */
    LEDGER_ID_SSCC,       /* GS1 SSCC: 18 digits, mod-10 check digit last */
    LEDGER_ID_GTIN_SERIAL,/* "(01)" GTIN-14 "(21)" serial (1..20 of GS1 AI 82 chars) */
    LEDGER_ID_URN,        /* "urn:" + printable non-space ASCII, <= WB_ITEM_MAX bytes */
};

/* Classifies and validates an item id. Returns 0 and sets *kind, or
 * WB_ERR_INVALID (malformed) / WB_ERR_CHECK_DIGIT (wrong check digit) with a
 * sentence in msg; a check-digit message names the expected digit, e.g.
 * "container number MSCU1234565: check digit is 5, expected 6" (the ISO 6346
 * check digit of MSCU123456 is 6). */
WB_MUST_USE int ledger_item_id_check(const char *id, enum ledger_id_kind *kind, char *msg,
                                     size_t msg_len);

/* Validates a location: a UN/LOCODE or a 13-digit GLN with a valid check
 * digit. A UN/LOCODE is 5 characters: a country code, which must be in the
 * table of ledger/country.h (ISO 3166-1 alpha-2, or XZ, UN/LOCODE's code for
 * installations in international waters), then 3 of A-Z and 2-9 (e.g.
 * NLRTM); upper case only. "ZZZZZ", UN/LOCODE's placeholder for an unknown
 * place, is refused. Returns 0, WB_ERR_INVALID or WB_ERR_CHECK_DIGIT, with
 * msg as above, e.g. "location 'QQRTM': 'QQ' is not an ISO 3166-1 country
 * code". */
WB_MUST_USE int ledger_location_check(const char *loc, char *msg, size_t msg_len);

/* Whether s (n bytes) is a UN/LOCODE as ledger_location_check takes it
 * (5 characters, the country in ledger/country.h's table, not ZZZZZ): the
 * form of a device report's locode and of a route plan's stops, which take
 * no GLN. */
bool ledger_locode_ok(const char *s, size_t n);

/* The spelling to sign of an id a person typed, for the CLI (the ledger
 * itself takes ids exactly as signed and refuses lower case where it is
 * wrong). Letters are upper case by the standard of these forms, so they
 * are upper-cased:
 * - an item id of 11 characters, letters and digits, starting with 4
 *   letters: the form of an ISO 6346 container number ("mscu1234566");
 * - a location of 5 letters and digits: the form of a UN/LOCODE ("nlrtm").
 * Every other id is copied unchanged: an SSCC and a GLN are digits, the
 * serial of (01)GTIN(21)serial is case-sensitive (GS1 application
 * identifier 21), and so is a urn: id (RFC 8141: the namespace-specific
 * part is case-sensitive; its 'urn:' must be lowercase here).
 * Writes the result into out, NUL-terminated. Returns WB_OK, or
 * WB_ERR_INVALID (out set to "") when the id is NULL or does not fit in
 * out_size bytes with its NUL. *changed (if not NULL) tells whether the
 * result differs from the input. */
WB_MUST_USE int ledger_item_id_canonical(const char *id, char *out, size_t out_size, bool *changed);
WB_MUST_USE int ledger_location_canonical(const char *loc, char *out, size_t out_size,
                                          bool *changed);

/* ISO 6346 check digit of the first 10 characters; -1 if they are malformed. */
int ledger_iso6346_check_digit(const char *first10);
/* GS1 mod-10 check digit of `n` digits (the digits before the check digit);
 * -1 if a character is not a digit. */
int ledger_gs1_check_digit(const char *digits, size_t n);

#endif
