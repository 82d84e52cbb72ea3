/* Fuzz target: CommitCert bytes through ledger_cert_verify_bytes for a
 * fixed (height, block hash) of the fixed chain; an accepted certificate is
 * its canonical encoding (decode, re-encode, compare) and is recounted
 * independently (distinct validators with a valid precommit). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "fuzz_fixture.h"
#include "ledger/cert.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fx fixture;
static uint8_t cert_hash[WB_HASH_LEN];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fx_init(&fixture);
    fx_cert_hash(cert_hash);
    return 0;
}

static void fail(const char *what, const char *msg)
{
    fprintf(stderr, "cert target: %s (%s)\n", what, msg);
    abort();
}

static size_t recount(const Waybill__CommitCert *cert)
{
    const struct ledger_genesis *g = fixture.g;
    uint8_t sigmsg[WB_SIGMSG_MAX];
    size_t len = wb_sigmsg_vote(sigmsg, g->chain_id, WAYBILL__VOTE_TYPE__PRECOMMIT,
                                FX_CERT_HEIGHT, cert->round, cert_hash);
    bool seen[FX_VALIDATORS] = {false};
    size_t distinct = 0;
    for (size_t i = 0; i < cert->n_precommits; i++) {
        const Waybill__Vote *v = cert->precommits[i];
        if (v->validator >= FX_VALIDATORS || v->signature.len != WB_SIG_LEN) continue;
        if (v->type != WAYBILL__VOTE_TYPE__PRECOMMIT || v->height != FX_CERT_HEIGHT ||
            v->round != cert->round || v->block_hash.len != WB_HASH_LEN ||
            memcmp(v->block_hash.data, cert_hash, WB_HASH_LEN) != 0)
            continue;
        if (wb_verify(sigmsg, len, g->validators[v->validator].key, v->signature.data) != 0)
            continue;
        if (!seen[v->validator]) {
            seen[v->validator] = true;
            distinct++;
        }
    }
    return distinct;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg[512] = "";
    int rc = ledger_cert_verify_bytes(fixture.g, data, size, FX_CERT_HEIGHT, cert_hash, msg,
                                      sizeof msg);
    if (rc != WB_OK) {
        if (rc != WB_ERR_VERIFY && rc != WB_ERR_DECODE)
            fail("unexpected return code", wb_strerror(rc));
        if (!msg[0]) fail("failure without a message", "");
        return 0;
    }
    fx_assert_canonical(&waybill__commit_cert__descriptor, data, size, "certificate");
    Waybill__CommitCert *cert = waybill__commit_cert__unpack(NULL, size, data);
    if (!cert) fail("accepted bytes that do not decode", "");
    size_t distinct = recount(cert);
    waybill__commit_cert__free_unpacked(cert, NULL);
    if (distinct < ledger_genesis_quorum(fixture.g))
        fail("accepted a certificate without a quorum of valid precommits", "");
    return 0;
}
