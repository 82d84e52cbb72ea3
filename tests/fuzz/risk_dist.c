/* Fuzz target: a baseline's bytes (risk/baseline.h) through
 * risk_dist_decode. An accepted distribution re-encodes to the same bytes
 * (one encoding), its buckets sum to its count, and its percentiles are
 * defined and do not decrease with the percentage; a refused one is
 * WB_ERR_DECODE and zeroed. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "risk/baseline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "risk_dist target: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct risk_dist d;
    static const struct risk_dist zero;
    int rc = risk_dist_decode(data, size, &d);
    if (rc != WB_OK) {
        if (rc != WB_ERR_DECODE) fail("return code");
        if (memcmp(&d, &zero, sizeof d) != 0) fail("refused distribution not zeroed");
        return 0;
    }
    uint8_t buf[RISK_DIST_ENC_MAX];
    size_t n = risk_dist_encode(&d, buf);
    if (n != size || memcmp(buf, data, n) != 0) fail("accepted bytes are not canonical");
    uint64_t sum = 0;
    for (unsigned i = 0; i < RISK_DIST_BUCKETS; i++) sum += d.bucket[i];
    if (sum != d.count) fail("buckets do not sum to the count");
    int64_t prev = -1, ms;
    for (unsigned pct = 1; pct <= 100; pct++) {
        bool ok = risk_dist_percentile(&d, pct, &ms);
        if (ok != (d.count > 0)) fail("percentile defined exactly when not empty");
        if (ok && ms < prev) fail("percentiles decrease");
        if (ok) prev = ms;
    }
    return 0;
}
