/* The Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): a growing
 * text buffer and the lines of it, "# HELP" and "# TYPE" of a family, one
 * sample with its labels (values escaped), a histogram's buckets, sum and
 * count. Knows nothing of Waybill: node/metrics/registry.c says what to
 * write. Numbers are written exactly: integers in decimal, fixed-point
 * values (nanoseconds or milliseconds as seconds) without rounding. */
#ifndef NODE_METRICS_EXPO_H
#define NODE_METRICS_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "node/metrics/hist.h"

/* The largest text a buffer grows to; beyond it the write fails. */
#define EXPO_TEXT_MAX (4u << 20)

/* Text being written. Owns data (malloc'd; NUL-terminated while len > 0).
 * A failed append (no memory, over EXPO_TEXT_MAX) is kept in err, and
 * later appends do nothing: check expo_buf_err once at the end. */
struct expo_buf {
    char *data;
    size_t len, cap;
    int err;                     /* 0, WB_ERR_NOMEM or WB_ERR_TOO_LARGE */
};

/* A label: name (a Prometheus label name, asserted) and value (any UTF-8
 * text; escaped on output). Both borrowed for the call. */
struct expo_label {
    const char *name;
    const char *value;
};

enum expo_type { EXPO_COUNTER, EXPO_GAUGE, EXPO_HISTOGRAM };

void expo_buf_init(struct expo_buf *b);
void expo_buf_free(struct expo_buf *b);
/* 0 when every append so far succeeded, else the first failure. */
WB_MUST_USE int expo_buf_err(const struct expo_buf *b);
/* Hands the text over (*len bytes, malloc'd, the caller frees it; NULL
 * when nothing was written) and empties b. */
char *expo_buf_take(struct expo_buf *b, size_t *len);

/* "# HELP name help" (help escaped: backslash and newline) and
 * "# TYPE name type". name must be a Prometheus metric name (asserted). */
void expo_family(struct expo_buf *b, const char *name, enum expo_type type, const char *help);

/* "name{labels} v" with an unsigned integer value (n labels, 0 for none). */
void expo_sample_u64(struct expo_buf *b, const char *name, const struct expo_label *labels,
                     size_t n, uint64_t v);

/* "name{labels} v" with v / 10^digits as the value, written exactly
 * (digits 0..18): 5000000 with 9 digits is "0.005", 1500 with 3 is "1.5". */
void expo_sample_fixed(struct expo_buf *b, const char *name, const struct expo_label *labels,
                       size_t n, int64_t v, unsigned digits);

/* A histogram's samples: name_bucket{le="..."} cumulative counts, the
 * +Inf bucket, name_sum (seconds) and name_count. */
void expo_histogram(struct expo_buf *b, const char *name, const struct metrics_hist *h);

/* Writes `value` escaped as a label value (backslash, double quote and
 * newline as \\, \" and \n) into out (cap bytes, NUL-terminated, cut to
 * fit). Returns the length it needed without the cut. */
size_t expo_escape_label(const char *value, char *out, size_t cap);

#endif
