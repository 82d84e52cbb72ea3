/* Output helpers of the client commands; see print.h. */
#include "cli/print.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_util.h"
#include "common/hex.h"
#include "common/utf8.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"

char *print_time(int64_t ms, char out[PRINT_TIME_MAX])
{
    int64_t sec = ms / 1000, rem = ms % 1000;
    if (rem < 0) {
        rem += 1000;
        sec -= 1;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if ((int64_t)t != sec || !gmtime_r(&t, &tm)) {
        snprintf(out, PRINT_TIME_MAX, "%lld ms", (long long)ms);
        return out;
    }
    snprintf(out, PRINT_TIME_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)rem);
    return out;
}

char *print_age(int64_t ms, char out[PRINT_AGE_MAX])
{
    if (ms < 0) ms = 0;
    int64_t s = ms / 1000, m = s / 60, h = m / 60, d = h / 24;
    if (s == 0)
        snprintf(out, PRINT_AGE_MAX, "%lld ms", (long long)ms);
    else if (m == 0)
        snprintf(out, PRINT_AGE_MAX, "%lld s", (long long)s);
    else if (h == 0)
        snprintf(out, PRINT_AGE_MAX, "%lld min %lld s", (long long)m, (long long)(s % 60));
    else if (d == 0)
        snprintf(out, PRINT_AGE_MAX, "%lld h %lld min", (long long)h, (long long)(m % 60));
    else
        snprintf(out, PRINT_AGE_MAX, "%lld d %lld h", (long long)d, (long long)(h % 24));
    return out;
}

char *print_safe(const char *s, char *out, size_t cap)
{
    WB_ASSERT(cap >= 1);
    const uint8_t *p = (const uint8_t *)(s ? s : "");
    size_t o = 0;
    while (*p) {
        size_t n = wb_utf8_char_len(p);
        size_t take = n ? n : 1;
        /* Keep room for "..." unless this is the last character. */
        size_t reserve = p[take] ? 3 : 0;
        if (o + take + reserve >= cap) {
            if (cap > 3) {
                while (o + 3 >= cap) o--;
                memcpy(out + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (n)
            memcpy(out + o, p, n);
        else
            out[o] = '?';
        o += take;
        p += take;
    }
    out[o] = '\0';
    return out;
}

char *print_short_hex(const uint8_t *bytes, char out[PRINT_SHORT_HEX])
{
    return wb_hex_encode(bytes, PRINT_SHORT_BYTES, out, PRINT_SHORT_HEX);
}

const char *print_movement_name(enum ledger_movement m)
{
    const char *s = ledger_movement_name(m);
    return s ? s : "unknown";
}

const char *print_customs_name(enum ledger_customs c)
{
    const char *s = ledger_customs_name(c);
    return s ? s : "unknown";
}

const char *print_status_name(enum ledger_item_status s)
{
    switch (s) {
    case LEDGER_ITEM_ACTIVE:
        return "active";
    case LEDGER_ITEM_IN_TRANSFER:
        return "in transfer";
    case LEDGER_ITEM_DELIVERED:
        return "delivered";
    default:
        return "unknown";
    }
}

const char *print_org_of(const struct ledger_genesis *g, const uint8_t pk[WB_PUBKEY_LEN],
                         char *buf, size_t cap)
{
    int i = ledger_genesis_org_of_key(g, pk);
    if (i >= 0) return g->orgs[i].name;
    char h[PRINT_SHORT_HEX];
    snprintf(buf, cap, "key %s... (not a member)", print_short_hex(pk, h));
    return buf;
}

/* Appends `s` to out at *o, stopping (and marking with "...") at cap. */
static bool print__append(char *out, size_t cap, size_t *o, const char *s)
{
    size_t n = strlen(s);
    if (*o + n + 1 > cap) {
        if (cap >= 4) {
            size_t at = *o + 4 > cap ? cap - 4 : *o;
            memcpy(out + at, "...", 4);
            *o = at + 3;
        }
        return false;
    }
    memcpy(out + *o, s, n + 1);
    *o += n;
    return true;
}

/* key=value, the value quoted when it holds spaces or quotes or is empty. */
static bool print__append_kv(char *out, size_t cap, size_t *o, const char *k, const char *v)
{
    char buf[2 * WB_ATTR_VALUE_MAX + WB_ATTR_KEY_MAX + 8];
    bool quote = v[0] == '\0' || strpbrk(v, " \"\\") != NULL;
    size_t b = (size_t)snprintf(buf, sizeof buf, "%s=%s", k, quote ? "\"" : "");
    for (const char *q = v; *q && b + 3 < sizeof buf; q++) {
        if (quote && (*q == '"' || *q == '\\')) buf[b++] = '\\';
        buf[b++] = *q;
    }
    if (quote) buf[b++] = '"';
    buf[b] = '\0';
    return print__append(out, cap, o, buf);
}

char *print_event_attrs(const struct ledger_event *ev, char *out, size_t cap)
{
    WB_ASSERT(cap >= 2);
    size_t o = 0;
    out[0] = '\0';
    bool ok = true;
    if (ev->to_org[0]) ok = print__append_kv(out, cap, &o, "to", ev->to_org);
    for (size_t i = 0; ok && i < ev->attr_count && i < WB_ATTRS_MAX; i++) {
        if (o) ok = print__append(out, cap, &o, " ");
        if (ok) ok = print__append_kv(out, cap, &o, ev->attrs[i].key, ev->attrs[i].value);
    }
    if (o == 0) snprintf(out, cap, "-");
    return out;
}

/* ---- tables ----------------------------------------------------------- */

void print_table_init(struct print_table *t, size_t cols, const char *const *header)
{
    WB_ASSERT(cols > 0 && cols <= CLI_TABLE_COLS_MAX);
    memset(t, 0, sizeof *t);
    t->cols = cols;
    if (header) print_table_add(t, header);
}

void print_table_add(struct print_table *t, const char *const *cells)
{
    if (t->failed) return;
    if (t->rows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        char **grown = realloc(t->cells, cap * t->cols * sizeof *grown);
        if (!grown) goto err_nomem;
        t->cells = grown;
        t->cap = cap;
    }
    char **row = t->cells + t->rows * t->cols;
    for (size_t c = 0; c < t->cols; c++) {
        row[c] = strdup(cells[c] ? cells[c] : "-");
        if (!row[c]) {
            while (c > 0) free(row[--c]);
            goto err_nomem;
        }
    }
    t->rows++;
    return;
err_nomem:
    t->failed = true;
}

int print_table_out(const struct print_table *t, FILE *f)
{
    if (t->rows) cli_table_print(f, t->cols, t->rows, (const char *const *)t->cells);
    return t->failed ? WB_ERR_NOMEM : WB_OK;
}

void print_table_free(struct print_table *t)
{
    for (size_t i = 0; i < t->rows * t->cols; i++) free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

void print_fields_init(struct print_table *t) { print_table_init(t, 2, NULL); }

void print_field(struct print_table *t, const char *name, const char *fmt, ...)
{
    char value[PRINT_CELL_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    const char *row[2] = {name, value};
    print_table_add(t, row);
}

/* ---- JSON --------------------------------------------------------------- */

json_t *print_json_hex(const uint8_t *bytes, size_t len)
{
    char *hex = malloc(2 * len + 1);
    if (!hex) return NULL;
    json_t *s = json_string(wb_hex_encode(bytes, len, hex, 2 * len + 1));
    free(hex);
    return s;
}

json_t *print_json_text(const char *s)
{
    size_t cap = strlen(s) * 3 + 4;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    json_t *j = json_string(print_safe(s, buf, cap));
    free(buf);
    return j;
}

/* Sets key to value (stealing it); false when either is missing. */
static bool print__set(json_t *obj, const char *key, json_t *value)
{
    if (!obj || !value) {
        json_decref(value);
        return false;
    }
    return json_object_set_new(obj, key, value) == 0;
}

json_t *print_json_state(const struct ledger_item_state *st)
{
    char when[PRINT_TIME_MAX], when2[PRINT_TIME_MAX];
    json_t *o = json_object();
    bool ok = print__set(o, "item", print_json_text(st->item)) &&
              print__set(o, "head", st->count ? print_json_hex(st->head, WB_HASH_LEN)
                                              : json_null()) &&
              print__set(o, "custodian", print_json_text(st->custodian)) &&
              print__set(o, "status", json_string(print_status_name(st->status))) &&
              print__set(o, "held", json_boolean(ledger_item_held(st))) &&
              print__set(o, "customs", json_string(print_customs_name(st->customs))) &&
              print__set(o, "transfer_to", st->transfer_to[0] ? print_json_text(st->transfer_to)
                                                              : json_null()) &&
              print__set(o, "seal", st->seal[0] ? print_json_text(st->seal) : json_null()) &&
              print__set(o, "location", st->location[0] ? print_json_text(st->location)
                                                        : json_null()) &&
              print__set(o, "movement", json_string(print_movement_name(st->movement))) &&
              print__set(o, "commission_time_ms", st->count ? json_integer(
                                                                  st->commission_time_ms)
                                                            : json_null()) &&
              print__set(o, "commission_time",
                         st->count ? json_string(print_time(st->commission_time_ms, when))
                                   : json_null()) &&
              print__set(o, "latest_time_ms",
                         st->count ? json_integer(st->latest_time_ms) : json_null()) &&
              print__set(o, "latest_time",
                         st->count ? json_string(print_time(st->latest_time_ms, when2))
                                   : json_null()) &&
              print__set(o, "count", json_integer((json_int_t)st->count)) &&
              print__set(o, "first_height", json_integer((json_int_t)st->first_height)) &&
              print__set(o, "last_height", json_integer((json_int_t)st->last_height));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *print_json_event(const struct ledger_event *ev, const struct ledger_genesis *g)
{
    char when[PRINT_TIME_MAX];
    int org = ledger_genesis_org_of_key(g, ev->submitter);
    json_t *attrs = json_object();
    bool ok = attrs != NULL;
    for (size_t i = 0; ok && i < ev->attr_count && i < WB_ATTRS_MAX; i++)
        ok = print__set(attrs, ev->attrs[i].key, print_json_text(ev->attrs[i].value));
    json_t *o = json_object();
    ok = ok && print__set(o, "id", print_json_hex(ev->id, WB_HASH_LEN)) &&
         print__set(o, "item", print_json_text(ev->item)) &&
         print__set(o, "action", json_string(ledger_action_name(ev->action))) &&
         print__set(o, "location", ev->location[0] ? json_string(ev->location) : json_null()) &&
         print__set(o, "time_ms", json_integer((json_int_t)ev->time_ms)) &&
         print__set(o, "time", json_string(print_time(ev->time_ms, when))) &&
         print__set(o, "submitter", print_json_hex(ev->submitter, WB_PUBKEY_LEN)) &&
         print__set(o, "org", org >= 0 ? print_json_text(g->orgs[org].name) : json_null()) &&
         print__set(o, "prev", ev->has_prev ? print_json_hex(ev->prev, WB_HASH_LEN)
                                            : json_null()) &&
         print__set(o, "to_org", ev->to_org[0] ? print_json_text(ev->to_org) : json_null());
    if (ok) {
        ok = json_object_set_new(o, "attrs", attrs) == 0;
        attrs = NULL;
    }
    json_decref(attrs);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int print_json_error(const char *code, const char *message, const char *item)
{
    json_t *o = json_pack("{s:b, s:s, s:o}", "ok", 0, "code", code, "error",
                          print_json_text(message));
    if (o && item && json_object_set_new(o, "item", print_json_text(item)) != 0) {
        json_decref(o);
        o = NULL;
    }
    return print_json_out(o);
}

int print_exit(const char *cmd, int prc)
{
    if (prc == WB_OK) return CLI_EXIT_OK;
    if (prc != WB_ERR_IO) cli_error(cmd, "out of memory");
    return CLI_EXIT_FAILED;
}

int print_json_out(json_t *root)
{
    if (!root) return WB_ERR_NOMEM;
    int rc = json_dumpf(root, stdout, JSON_INDENT(2)) == 0 && fputc('\n', stdout) != EOF
                 ? WB_OK
                 : WB_ERR_IO;
    json_decref(root);
    return rc;
}
