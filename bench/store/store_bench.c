/* Shared helpers of the storage micro-benchmarks (store_bench.h). */
#include "bench/store/store_bench.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/bytes.h"
#include "ledger/sha256.h"
#include "proto/waybill.pb-c.h"

uint64_t sb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void sb_item_name(bool random, uint64_t n, char out[WB_ITEM_MAX + 1])
{
    if (!random) {
        snprintf(out, WB_ITEM_MAX + 1, "urn:waybill:bench:%016" PRIu64, n);
        return;
    }
    uint8_t in[8], h[WB_HASH_LEN];
    wb_put_u64be(in, n);
    ledger_sha256(in, sizeof in, h);
    snprintf(out, WB_ITEM_MAX + 1, "urn:waybill:bench:%02x%02x%02x%02x%02x%02x%02x%02x", h[0],
             h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
}

int sb_make_cert(uint64_t height, const uint8_t hash[WB_HASH_LEN], uint8_t **out, size_t *len)
{
    static uint8_t zero_sig[WB_SIG_LEN];
    Waybill__Vote votes[3], *ptrs[3];
    for (int k = 0; k < 3; k++) {
        waybill__vote__init(&votes[k]);
        votes[k].type = WAYBILL__VOTE_TYPE__PRECOMMIT;
        votes[k].height = height;
        votes[k].block_hash.data = (uint8_t *)hash;
        votes[k].block_hash.len = WB_HASH_LEN;
        votes[k].validator = (uint32_t)k;
        votes[k].signature.data = zero_sig;
        votes[k].signature.len = WB_SIG_LEN;
        ptrs[k] = &votes[k];
    }
    Waybill__CommitCert cert = WAYBILL__COMMIT_CERT__INIT;
    cert.height = height;
    cert.block_hash.data = (uint8_t *)hash;
    cert.block_hash.len = WB_HASH_LEN;
    cert.n_precommits = 3;
    cert.precommits = ptrs;
    *len = waybill__commit_cert__get_packed_size(&cert);
    *out = malloc(*len);
    if (!*out) return WB_ERR_NOMEM;
    waybill__commit_cert__pack(&cert, *out);
    return WB_OK;
}

int sb_append_block(struct store *s, struct ledger_block_header *h, const uint8_t *const *events,
                    const size_t *lens, size_t n, const struct ledger_block_result *r,
                    uint8_t hash[WB_HASH_LEN], uint64_t *ns)
{
    uint8_t *bytes = NULL, *cert = NULL;
    size_t len, cert_len;
    struct ledger_block b;
    memset(&b, 0, sizeof b);
    int rc = ledger_block_build(h, events, lens, n, &bytes, &len, hash);
    if (rc == WB_OK) rc = ledger_block_decode(bytes, len, &b);
    if (rc == WB_OK) rc = sb_make_cert(h->height, hash, &cert, &cert_len);
    if (rc == WB_OK) {
        uint64_t t0 = sb_now_ns();
        rc = store_append_checked(s, &b, bytes, len, cert, cert_len, r);
        if (rc == WB_OK) rc = store_release_pages(s);
        *ns += sb_now_ns() - t0;
    }
    ledger_block_free(&b);
    free(bytes);
    free(cert);
    return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void sb_remove_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
