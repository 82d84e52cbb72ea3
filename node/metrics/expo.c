/* The Prometheus text format writer (expo.h). */
#include "node/metrics/expo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_assert.h"

void expo_buf_init(struct expo_buf *b)
{
    memset(b, 0, sizeof *b);
}

void expo_buf_free(struct expo_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

int expo_buf_err(const struct expo_buf *b)
{
    return b->err;
}

char *expo_buf_take(struct expo_buf *b, size_t *len)
{
    char *d = b->data;
    *len = b->len;
    memset(b, 0, sizeof *b);
    return d;
}

static void put(struct expo_buf *b, const char *s, size_t n)
{
    if (b->err) return;
    if (n > EXPO_TEXT_MAX - b->len) {
        b->err = WB_ERR_TOO_LARGE;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->err = WB_ERR_NOMEM;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void puts_(struct expo_buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static bool name_ok(const char *s, bool colon)
{
    if (!s[0]) return false;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                     (colon && c == ':');
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

size_t expo_escape_label(const char *value, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = value; *p; p++) {
        char esc[2] = {*p, 0};
        size_t k = 1;
        if (*p == '\\' || *p == '"' || *p == '\n') {
            esc[0] = '\\';
            esc[1] = *p == '\n' ? 'n' : *p;
            k = 2;
        }
        for (size_t j = 0; j < k; j++, n++)
            if (n + 1 < cap) out[n] = esc[j];
    }
    if (cap) out[n < cap ? n : cap - 1] = '\0';
    return n;
}

static void put_escaped_label(struct expo_buf *b, const char *value)
{
    for (const char *p = value; *p; p++) {
        if (*p == '\\') puts_(b, "\\\\");
        else if (*p == '"') puts_(b, "\\\"");
        else if (*p == '\n') puts_(b, "\\n");
        else put(b, p, 1);
    }
}

static void put_escaped_help(struct expo_buf *b, const char *help)
{
    for (const char *p = help; *p; p++) {
        if (*p == '\\') puts_(b, "\\\\");
        else if (*p == '\n') puts_(b, "\\n");
        else put(b, p, 1);
    }
}

void expo_family(struct expo_buf *b, const char *name, enum expo_type type, const char *help)
{
    WB_ASSERT(name_ok(name, true));
    static const char *const types[] = {"counter", "gauge", "histogram"};
    WB_ASSERT((unsigned)type < sizeof types / sizeof types[0]);
    puts_(b, "# HELP ");
    puts_(b, name);
    puts_(b, " ");
    put_escaped_help(b, help);
    puts_(b, "\n# TYPE ");
    puts_(b, name);
    puts_(b, " ");
    puts_(b, types[type]);
    puts_(b, "\n");
}

static void put_head(struct expo_buf *b, const char *name, const struct expo_label *labels,
                     size_t n)
{
    WB_ASSERT(name_ok(name, true));
    puts_(b, name);
    if (n == 0) return;
    puts_(b, "{");
    for (size_t i = 0; i < n; i++) {
        WB_ASSERT(name_ok(labels[i].name, false));
        if (i) puts_(b, ",");
        puts_(b, labels[i].name);
        puts_(b, "=\"");
        put_escaped_label(b, labels[i].value);
        puts_(b, "\"");
    }
    puts_(b, "}");
}

/* v / 10^digits, exactly, with no trailing zeros after the point. */
static void put_fixed(struct expo_buf *b, int64_t v, unsigned digits)
{
    WB_ASSERT(digits <= 18);
    char out[48];
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t scale = 1;
    for (unsigned i = 0; i < digits; i++) scale *= 10;
    uint64_t ip = mag / scale, fp = mag % scale;
    int len = snprintf(out, sizeof out, "%s%llu", v < 0 ? "-" : "", (unsigned long long)ip);
    if (fp) {
        char frac[24];
        snprintf(frac, sizeof frac, "%0*llu", (int)digits, (unsigned long long)fp);
        size_t fl = strlen(frac);
        while (fl > 0 && frac[fl - 1] == '0') frac[--fl] = '\0';
        len += snprintf(out + len, sizeof out - (size_t)len, ".%s", frac);
    }
    put(b, out, (size_t)len);
}

void expo_sample_u64(struct expo_buf *b, const char *name, const struct expo_label *labels,
                     size_t n, uint64_t v)
{
    char num[24];
    int len = snprintf(num, sizeof num, " %llu\n", (unsigned long long)v);
    put_head(b, name, labels, n);
    put(b, num, (size_t)len);
}

void expo_sample_fixed(struct expo_buf *b, const char *name, const struct expo_label *labels,
                       size_t n, int64_t v, unsigned digits)
{
    put_head(b, name, labels, n);
    puts_(b, " ");
    put_fixed(b, v, digits);
    puts_(b, "\n");
}

/* name + suffix into out (asserted to fit: names are short constants). */
static void suffixed(char *out, size_t cap, const char *name, const char *suffix)
{
    int n = snprintf(out, cap, "%s%s", name, suffix);
    WB_ASSERT(n > 0 && (size_t)n < cap);
}

void expo_histogram(struct expo_buf *b, const char *name, const struct metrics_hist *h)
{
    char series[128];
    suffixed(series, sizeof series, name, "_bucket");
    uint64_t cum = 0;
    for (size_t i = 0; i <= h->bound_count; i++) {
        cum += h->counts[i];
        put_head(b, series, NULL, 0);
        puts_(b, "{le=\"");
        if (i < h->bound_count) {
            WB_ASSERT(h->bounds_ns[i] <= INT64_MAX);
            put_fixed(b, (int64_t)h->bounds_ns[i], 9);
        } else {
            puts_(b, "+Inf");
        }
        char num[24];
        int len = snprintf(num, sizeof num, "\"} %llu\n", (unsigned long long)cum);
        put(b, num, (size_t)len);
    }
    suffixed(series, sizeof series, name, "_sum");
    /* A sum past INT64_MAX ns (292 years) is not reached by a node. */
    expo_sample_fixed(b, series, NULL, 0,
                      h->sum_ns > INT64_MAX ? INT64_MAX : (int64_t)h->sum_ns, 9);
    suffixed(series, sizeof series, name, "_count");
    expo_sample_u64(b, series, NULL, 0, h->count);
}
