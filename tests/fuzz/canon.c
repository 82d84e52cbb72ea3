/* Fuzz target: ledger_pb_decode (the canonical-encoding check every
 * decoder of signed, hashed or verified bytes applies) over each such
 * message type, picked by the first input byte. Its verdict must equal the
 * oracle's (fuzz_fixture.h: unpack, no unknown field anywhere, re-encode,
 * compare), and a refusal must say which message type and why. Nested
 * messages are judged with their outer one (a proof bundle's events, its
 * blocks with their certificates, its freshness proof ProofFreshness: the
 * corpus has a bundle with one); fields that hold an encoded message as
 * bytes (headers, signed events, the freshness proof's certificate) are
 * decoded on their own by their readers. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "fuzz_fixture.h"
#include "ledger/canon.h"
#include "proto/waybill.pb-c.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The selector byte of tests/fuzz/make_corpus.c's canon seeds: keep in step. */
static const struct {
    const ProtobufCMessageDescriptor *d;
    const char *what;
} types[] = {
    {&waybill__event_body__descriptor, "event body"},
    {&waybill__signed_event__descriptor, "signed event"},
    {&waybill__block_header__descriptor, "block header"},
    {&waybill__block__descriptor, "block"},
    {&waybill__commit_cert__descriptor, "certificate"},
    {&waybill__vote__descriptor, "vote"},
    {&waybill__proposal__descriptor, "proposal"},
    {&waybill__proof_bundle__descriptor, "proof bundle"},
    {&waybill__peer_message__descriptor, "peer message"},
};
#define N_TYPES (sizeof types / sizeof types[0])

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void fail(const char *what, const char *msg)
{
    fprintf(stderr, "canon target: %s (%s)\n", what, msg);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    size_t t = data[0] % N_TYPES;
    const uint8_t *bytes = data + 1;
    size_t len = size - 1;
    ProtobufCMessage *m = NULL;
    char msg[256] = "";
    int rc = ledger_pb_decode(types[t].d, NULL, bytes, len, types[t].what, &m, msg, sizeof msg);
    int oracle = fx_canonical(types[t].d, bytes, len);
    if (rc == WB_OK) {
        if (!m) fail("accepted without a message", types[t].what);
        if (oracle != 1) fail("accepted bytes that are not the canonical encoding", types[t].what);
        if (msg[0]) fail("a reason on success", msg);
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
    }
    if (rc != WB_ERR_DECODE) fail("unexpected return code", wb_strerror(rc));
    if (m) fail("refused but handed out a message", msg);
    if (oracle == 1) fail("refused the canonical encoding", msg);
    size_t wl = strlen(types[t].what);
    if (strncmp(msg, types[t].what, wl) != 0 || strncmp(msg + wl, ": ", 2) != 0)
        fail("the reason does not name the message type", msg);
    const char *why = msg + wl + 2;
    if (oracle == -1 ? strcmp(why, "malformed protobuf") != 0
                     : strncmp(why, "unknown field ", 14) != 0 &&
                           strncmp(why, "not the canonical encoding (", 28) != 0)
        fail("the reason is not one of ledger/canon.h's", msg);
    return 0;
}
