/* Fuzz target: the link handshake and framing of node/net (net_handshake.c,
 * net_frame.c) as listener and as dialer, driven byte by byte. The harness
 * is an honest peer on the other end of a socket pair: it reads the node's
 * hello, builds the whole correct byte stream of its side (hello, stream
 * header, PeerAuth, the empty accept frame, then two ClientRequest frames),
 * and the input mutates that stream before it is fed one piece at a time,
 * the loop running after each piece.
 *
 * Input: byte 0 bit 0 = the node's role (0 listener, 1 dialer), bit 1 = the
 * peer presents a key the node does not accept, bits 2..7 = piece length - 1
 * (1..64, byte by byte when 0); then triples (offset u16 BE, xor byte), each
 * flipping one byte of the stream, offset 0xffff truncating it at the next
 * u16. Checks besides no crash and no sanitizer report: the link comes up at
 * most once, only for an unmutated stream of an accepted key, and then with
 * the peer's key; every frame delivered is one the harness sent; a mutated
 * or refused handshake never brings the link up. */
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "common/log.h"
#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "node/net/net.h"
#include "node/net/net_link_internal.h"
#include "node/net/net_read_internal.h"
#include "proto/waybill.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STREAM_MAX 1024

static void fail(const char *what)
{
    fprintf(stderr, "handshake target: %s\n", what);
    abort();
}

struct harness {
    bool up, down, refuse_peer;
    int frames;
    uint8_t peer_pk[32];
    size_t sent_len[2];
    uint8_t sent[2][64];
};

static bool authorize(void *ctx, const uint8_t pk[32])
{
    struct harness *h = ctx;
    return !h->refuse_peer && memcmp(pk, h->peer_pk, 32) == 0;
}

static void on_up(void *ctx, struct net_link *l, const uint8_t pk[32])
{
    struct harness *h = ctx;
    (void)l;
    if (h->up) fail("link up twice");
    if (memcmp(pk, h->peer_pk, 32) != 0) fail("link up with another key");
    h->up = true;
}

static void on_frame(void *ctx, struct net_link *l, const uint8_t *d, size_t n)
{
    struct harness *h = ctx;
    (void)l;
    if (!h->up || h->frames >= 2) fail("frame outside an up link, or one too many");
    if (n != h->sent_len[h->frames] || memcmp(d, h->sent[h->frames], n) != 0)
        fail("delivered frame differs from the one sent");
    h->frames++;
    /* Decoded as the client API does. */
    Waybill__ClientRequest *rq = waybill__client_request__unpack(NULL, n, d);
    if (rq) waybill__client_request__free_unpacked(rq, NULL);
}

static void on_down(void *ctx, struct net_link *l, int reason)
{
    struct harness *h = ctx;
    (void)l;
    (void)reason;
    if (!h->up || h->down) fail("down without up, or twice");
    h->down = true;
}

/* Appends one sealed frame of `pt` to the stream. */
static size_t seal(crypto_secretstream_xchacha20poly1305_state *st, const uint8_t *pt, size_t len,
                   uint8_t *out)
{
    static const uint8_t empty[1];
    uint32_t clen = (uint32_t)(len + NET_ABYTES);
    out[0] = (uint8_t)(clen >> 24);
    out[1] = (uint8_t)(clen >> 16);
    out[2] = (uint8_t)(clen >> 8);
    out[3] = (uint8_t)clen;
    crypto_secretstream_xchacha20poly1305_push(st, out + 4, NULL, len ? pt : empty, len, NULL, 0,
                                               crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
    return 4 + clen;
}

static void run_turns(uv_loop_t *loop, int n)
{
    for (int i = 0; i < n; i++) uv_run(loop, UV_RUN_NOWAIT);
}

static void drain(int fd)
{
    uint8_t b[4096];
    while (recv(fd, b, sizeof b, MSG_DONTWAIT) > 0) {
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    static uint8_t node_pk[32], node_sk[64], peer_pk[32], peer_sk[64], chain[32];
    if (!init) {
        if (sodium_init() < 0) fail("sodium_init");
        wb_log_set_level(getenv("HS_LOG") ? WB_LOG_DEBUG : WB_LOG_OFF);
        uint8_t seed[32];
        memset(seed, 1, sizeof seed);
        crypto_sign_seed_keypair(node_pk, node_sk, seed);
        memset(seed, 2, sizeof seed);
        crypto_sign_seed_keypair(peer_pk, peer_sk, seed);
        memset(chain, 7, sizeof chain);
        init = true;
    }
    if (size < 1) return 0;
    bool dialer = data[0] & 1;
    struct harness h;
    memset(&h, 0, sizeof h);
    h.refuse_peer = (data[0] & 2) != 0;
    memcpy(h.peer_pk, peer_pk, 32);
    size_t piece = (size_t)(data[0] >> 2) + 1;

    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) fail("loop");
    struct net_config nc;
    memset(&nc, 0, sizeof nc);
    nc.name = "fuzz";
    memcpy(nc.chain_id, chain, 32);
    memcpy(nc.identity_pk, node_pk, 32);
    memcpy(nc.identity_sk, node_sk, 64);
    nc.authorize = authorize;
    nc.ctx = &h;
    nc.frame_max = 4096;
    nc.handshake_timeout_ms = 60000;
    nc.on_link_up = on_up;
    nc.on_frame = on_frame;
    nc.on_link_down = on_down;
    struct net *net;
    if (net_create(&loop, &nc, &net) != 0) fail("net_create");
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) fail("socketpair");
    struct net_link *l;
    if (net__link_new(net, dialer, &l) != 0) fail("link");
    if (uv_tcp_open(&l->tcp, sv[0]) != 0) fail("uv_tcp_open");
    snprintf(l->addr, sizeof l->addr, "fuzz");
    if (net__read_start(l) != 0) fail("read_start");
    run_turns(&loop, 4);

    /* The node's hello. */
    uint8_t node_hello[NET_HELLO_LEN];
    size_t got = 0;
    for (int tries = 0; got < sizeof node_hello && tries < 100; tries++) {
        ssize_t r = recv(sv[1], node_hello + got, sizeof node_hello - got, MSG_DONTWAIT);
        if (r > 0) got += (size_t)r;
        else run_turns(&loop, 1);
    }
    if (got != sizeof node_hello) fail("no hello from the node");
    const uint8_t *node_eph = node_hello + NET_VERSION_TAG_LEN;

    /* The honest peer's stream. */
    uint8_t stream[STREAM_MAX];
    size_t n = 0;
    uint8_t eph_pk[32], eph_sk[32], rx[32], tx[32];
    crypto_kx_keypair(eph_pk, eph_sk);
    memset(stream, 0, NET_VERSION_TAG_LEN);
    memcpy(stream, NET_VERSION_TAG, strlen(NET_VERSION_TAG));
    memcpy(stream + NET_VERSION_TAG_LEN, eph_pk, 32);
    n = NET_HELLO_LEN;
    /* The node dialed: the harness is the kx server, and vice versa. */
    int kx = dialer ? crypto_kx_server_session_keys(rx, tx, eph_pk, eph_sk, node_eph)
                    : crypto_kx_client_session_keys(rx, tx, eph_pk, eph_sk, node_eph);
    if (kx != 0) fail("kx");
    crypto_secretstream_xchacha20poly1305_state st;
    crypto_secretstream_xchacha20poly1305_init_push(&st, stream + n, tx);
    n += NET_HEADER_LEN;
    uint8_t msg[WB_SIGMSG_MAX], sig[WB_SIG_LEN];
    size_t mlen = wb_sigmsg_p2p(msg, chain, dialer ? node_eph : eph_pk, dialer ? eph_pk : node_eph);
    if (wb_sign(msg, mlen, peer_sk, sig) != 0) fail("sign");
    Waybill__PeerAuth auth = WAYBILL__PEER_AUTH__INIT;
    auth.identity.data = peer_pk;
    auth.identity.len = 32;
    auth.signature.data = sig;
    auth.signature.len = sizeof sig;
    uint8_t ab[256];
    size_t alen = waybill__peer_auth__pack(&auth, ab);
    n += seal(&st, ab, alen, stream + n);
    n += seal(&st, NULL, 0, stream + n);
    size_t hs_end = n; /* a mutation before here must keep the link down */
    for (int i = 0; i < 2; i++) {
        Waybill__ClientRequest rq = WAYBILL__CLIENT_REQUEST__INIT;
        Waybill__StatusRequest sr = WAYBILL__STATUS_REQUEST__INIT;
        rq.id = (uint64_t)i + 1;
        rq.req_case = WAYBILL__CLIENT_REQUEST__REQ_STATUS;
        rq.status = &sr;
        h.sent_len[i] = waybill__client_request__pack(&rq, h.sent[i]);
        n += seal(&st, h.sent[i], h.sent_len[i], stream + n);
    }

    /* Mutations. */
    uint8_t orig[STREAM_MAX];
    size_t orig_n = n;
    memcpy(orig, stream, n);
    for (size_t i = 1; i + 3 <= size; i += 3) {
        size_t off = ((size_t)data[i] << 8) | data[i + 1];
        if (off == 0xffff) {
            size_t cut = data[i + 2] % (n + 1);
            if (cut < n) n = cut;
            continue;
        }
        if (off < n) stream[off] ^= data[i + 2];
    }
    /* Judged on the result: two flips of one byte cancel out. */
    bool mutated = n != orig_n || memcmp(stream, orig, n) != 0;
    bool hs_mutated = n < hs_end || memcmp(stream, orig, hs_end) != 0;

    /* Fed piece by piece; whatever the node writes is read and dropped. */
    for (size_t off = 0; off < n && net->links && !net->links->closing; off += piece) {
        size_t len = n - off < piece ? n - off : piece;
        if (send(sv[1], stream + off, len, MSG_NOSIGNAL) != (ssize_t)len) break;
        run_turns(&loop, 2);
        drain(sv[1]);
    }
    run_turns(&loop, 4);
    if (h.up && (hs_mutated || h.refuse_peer))
        fail("link up from a mutated handshake or a refused key");
    if (!mutated && !h.refuse_peer && !h.up) fail("honest stream did not bring the link up");
    if (h.up && !mutated && h.frames != 2) fail("frames of an honest stream not all delivered");

    close(sv[1]);
    net_close(net, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (h.up && !h.down) fail("up link not reported down at close");
    if (uv_loop_close(&loop) != 0) fail("loop did not close");
    sodium_memzero(eph_sk, sizeof eph_sk);
    return 0;
}
