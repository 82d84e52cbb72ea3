/* Identifier validation: item ids and locations (DESIGN.md section 2). */
#ifndef LEDGER_IDS_H
#define LEDGER_IDS_H

#include <stddef.h>

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
int ledger_item_id_check(const char *id, enum ledger_id_kind *kind, char *msg, size_t msg_len);

/* Validates a location: UN/LOCODE (2 letters + 3 letters/digits 2-9, e.g.
 * NLRTM) or a 13-digit GLN with a valid check digit. Returns 0,
 * WB_ERR_INVALID or WB_ERR_CHECK_DIGIT, with msg as above. */
int ledger_location_check(const char *loc, char *msg, size_t msg_len);

/* ISO 6346 check digit of the first 10 characters; -1 if they are malformed. */
int ledger_iso6346_check_digit(const char *first10);
/* GS1 mod-10 check digit of `n` digits (the digits before the check digit);
 * -1 if a character is not a digit. */
int ledger_gs1_check_digit(const char *digits, size_t n);

#endif
