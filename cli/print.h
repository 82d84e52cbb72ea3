/* Output helpers of the client commands: times, text from the network made
 * safe for a terminal, growable plain-text tables, and JSON values. */
#ifndef CLI_PRINT_H
#define CLI_PRINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/wb_error.h"
#include "ledger/genesis.h"
#include "ledger/types.h"

/* "2026-11-22T10:00:00.123Z" and a NUL, with room for any year. */
#define PRINT_TIME_MAX 80
/* Bytes of an id shown in tables ("1a2b3c4d"): enough to tell events apart
 * by eye; JSON always carries the full 64 hex digits. */
#define PRINT_SHORT_BYTES 4
#define PRINT_SHORT_HEX (2 * PRINT_SHORT_BYTES + 1)
#define PRINT_HEX32 (2 * 32 + 1)
/* Room for one table cell built from event fields (all attributes, quoted). */
#define PRINT_CELL_MAX 4096

/* Writes unix milliseconds as RFC 3339 UTC with milliseconds into out.
 * Returns out. */
char *print_time(int64_t ms, char out[PRINT_TIME_MAX]);

/* An age in milliseconds for a person: "850 ms", "12 s", "3 min 5 s",
 * "2 h 4 min", "3 d 2 h"; a negative age (a clock ahead of ours) is
 * "0 ms". Returns out. */
#define PRINT_AGE_MAX 48
char *print_age(int64_t ms, char out[PRINT_AGE_MAX]);

/* Copies `s` into out (cap >= 1 bytes), replacing every control character,
 * DEL, C1 control and malformed UTF-8 byte with '?', so text received from a
 * node can never drive the terminal. Truncates at a character boundary with
 * "..." when it does not fit. Returns out. */
char *print_safe(const char *s, char *out, size_t cap);

/* The first PRINT_SHORT_BYTES of `bytes` as hex. Returns out. */
char *print_short_hex(const uint8_t *bytes, char out[PRINT_SHORT_HEX]);

/* "active", "in transfer", "delivered", "unknown". */
const char *print_status_name(enum ledger_item_status s);
/* ledger_movement_name / ledger_customs_name, or "unknown". */
const char *print_movement_name(enum ledger_movement m);
const char *print_customs_name(enum ledger_customs c);

/* The organisation holding client key pk in g, or "key <8 hex>... (not a
 * member)" written into buf. Returns a string valid while g and buf are. */
const char *print_org_of(const struct ledger_genesis *g, const uint8_t pk[WB_PUBKEY_LEN],
                         char *buf, size_t cap);

/* An event's attributes (and "to=ORG" for a handover) as "k=v k2=\"v 2\"",
 * or "-" when it has none. Returns out. */
char *print_event_attrs(const struct ledger_event *ev, char *out, size_t cap);

/* A table built row by row, printed with cli_table_print. Cells are copied.
 * After an allocation failure `failed` is set and further rows are dropped;
 * the failure is not lost: print_table_out (whose result must be used)
 * reports it, so adding rows returns nothing. */
struct print_table {
    size_t cols;
    size_t rows;
    size_t cap;
    char **cells;
    bool failed;
};

/* `header` holds cols strings (cols <= CLI_TABLE_COLS_MAX). */
void print_table_init(struct print_table *t, size_t cols, const char *const *header);
/* Appends one row of t->cols strings (NULL prints as "-"); out of memory,
 * sets t->failed instead. */
void print_table_add(struct print_table *t, const char *const *cells);
/* Prints the table on f; returns 0 or WB_ERR_NOMEM if a row was lost. */
WB_MUST_USE int print_table_out(const struct print_table *t, FILE *f);
void print_table_free(struct print_table *t);

/* Lines "name   value" with aligned values: a two-column table without a
 * header. Same ownership and errors as print_table. */
void print_fields_init(struct print_table *t);
void print_field(struct print_table *t, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* JSON values; each returns a new reference or NULL when out of memory. */
json_t *print_json_hex(const uint8_t *bytes, size_t len);
/* A string of text that may come from elsewhere, made safe with print_safe
 * (and so valid UTF-8) first. */
json_t *print_json_text(const char *s);
/* {item, head, custodian, status, held, customs, transfer_to, seal,
 *  location, movement, commission_time_ms, commission_time, latest_time_ms,
 *  latest_time, count, first_height, last_height}; held is customs ==
 *  "held"; the times are null while count is 0. */
json_t *print_json_state(const struct ledger_item_state *st);
/* {id, item, action, location, time_ms, time, submitter, org, prev, to_org,
 *  attrs{}}; org is null when the submitter is not a member. */
json_t *print_json_event(const struct ledger_event *ev, const struct ledger_genesis *g);

/* The --json answer of a command that failed: {"ok": false, "code": CODE,
 * "error": MESSAGE} and "item": ITEM when item is not NULL, on stdout.
 * Returns as print_json_out. */
WB_MUST_USE int print_json_error(const char *code, const char *message, const char *item);

/* The exit code of printing that returned prc (print_json_out,
 * print_table_out, ...): CLI_EXIT_OK for 0; otherwise CLI_EXIT_FAILED,
 * after saying "out of memory" for anything but WB_ERR_IO (a lost write,
 * which cli_output_finish reports). */
WB_MUST_USE int print_exit(const char *cmd, int prc);

/* Writes `root` indented on stdout followed by a newline and drops the
 * reference (root may be NULL: then nothing is written and WB_ERR_NOMEM is
 * returned). Returns 0, WB_ERR_NOMEM or WB_ERR_IO. */
WB_MUST_USE int print_json_out(json_t *root);

#endif
