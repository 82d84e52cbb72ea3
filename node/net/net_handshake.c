/* The link handshake (DESIGN.md section 6): version tag + X25519 ephemeral
 * key each way, crypto_kx session keys (dialer = client), one secretstream
 * per direction, then PeerAuth (identity + signature over
 * "waybill/p2p/v1" || chain_id || dialer eph || listener eph) each way,
 * then the accept frame each way (empty, or NET_REJECT_BYTE from a listener
 * that does not accept the dialer). One function per unit the read path
 * delivers; the last one hands the link to net__link_up. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/sigbytes.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "node/net/net_frame_internal.h"
#include "node/net/net_handshake_internal.h"
#include "node/net/net_link_internal.h"
#include "node/net/net_quiet_internal.h"
#include "node/net/net_up_internal.h"
#include "proto/waybill.pb-c.h"

#define LOG_MOD "net"

static void net_version_tag(uint8_t tag[NET_VERSION_TAG_LEN])
{
    memset(tag, 0, NET_VERSION_TAG_LEN);
    memcpy(tag, NET_VERSION_TAG, sizeof NET_VERSION_TAG - 1);
}

int net__hs_start(struct net_link *l)
{
    struct net *net = l->net;
    /* Latency matters more than packet count for votes; keepalive finds
     * half-open links. Neither failing stops the link. */
    int rc = uv_tcp_nodelay(&l->tcp, 1);
    if (rc) NET_DEBUG(net, "%s: %s: nodelay: %s", net->name, l->addr, uv_strerror(rc));
    rc = uv_tcp_keepalive(&l->tcp, 1, 60);
    if (rc) NET_DEBUG(net, "%s: %s: keepalive: %s", net->name, l->addr, uv_strerror(rc));

    l->state = NET_LINK_HELLO;
    struct net_wreq *w = net__wreq_new(NET_HELLO_LEN, false);
    if (!w) return WB_ERR_NOMEM;
    uint8_t *p = net__wreq_data(w);
    net_version_tag(p);
    memcpy(p + NET_VERSION_TAG_LEN, l->eph_pk, sizeof l->eph_pk);
    return net__write(l, w);
}

/* Signs and packs our PeerAuth into out (NET_HS_FRAME_MAX bytes). */
static int net_auth_build(struct net_link *l, uint8_t out[NET_HS_FRAME_MAX], size_t *len)
{
    struct net *net = l->net;
    const uint8_t *dialer_eph = l->outbound ? l->eph_pk : l->peer_eph;
    const uint8_t *listener_eph = l->outbound ? l->peer_eph : l->eph_pk;
    uint8_t msg[WB_SIGMSG_MAX], sig[WB_SIG_LEN];
    size_t mlen = wb_sigmsg_p2p(msg, net->cfg.chain_id, dialer_eph, listener_eph);
    int rc = wb_sign(msg, mlen, net->cfg.identity_sk, sig);
    if (rc) return rc;
    Waybill__PeerAuth auth = WAYBILL__PEER_AUTH__INIT;
    auth.identity.data = net->cfg.identity_pk;
    auth.identity.len = sizeof net->cfg.identity_pk;
    auth.signature.data = sig;
    auth.signature.len = sizeof sig;
    size_t n = waybill__peer_auth__get_packed_size(&auth);
    WB_ASSERT(n <= NET_HS_FRAME_MAX);
    *len = waybill__peer_auth__pack(&auth, out);
    WB_ASSERT(*len == n);
    return WB_OK;
}

void net__hs_on_hello(struct net_link *l, const uint8_t hello[NET_HELLO_LEN])
{
    uint8_t tag[NET_VERSION_TAG_LEN];
    uint8_t tx_key[crypto_kx_SESSIONKEYBYTES];
    net_version_tag(tag);
    if (memcmp(hello, tag, sizeof tag) != 0) {
        net__link_fail(l, WB_ERR_PROTOCOL, "wrong version tag (not a waybill/net/v1 peer)");
        goto wipe_eph;
    }
    memcpy(l->peer_eph, hello + NET_VERSION_TAG_LEN, sizeof l->peer_eph);
    if (sodium_memcmp(l->peer_eph, l->eph_pk, sizeof l->eph_pk) == 0) {
        net__link_fail(l, WB_ERR_PROTOCOL, "peer echoed our ephemeral key");
        goto wipe_eph;
    }
    /* crypto_kx fails on a low-order or all-zero peer key (the shared point
     * would be zero); it hashes the point with both public keys. */
    int kx = l->outbound ? crypto_kx_client_session_keys(l->rx_key, tx_key, l->eph_pk,
                                                         l->eph_sk, l->peer_eph)
                         : crypto_kx_server_session_keys(l->rx_key, tx_key, l->eph_pk,
                                                         l->eph_sk, l->peer_eph);
    sodium_memzero(l->eph_sk, sizeof l->eph_sk);
    if (kx != 0) {
        net__link_fail(l, WB_ERR_CRYPTO, "key exchange failed (low-order peer key)");
        goto wipe_keys;
    }

    uint8_t auth[NET_HS_FRAME_MAX];
    size_t auth_len;
    int rc = net_auth_build(l, auth, &auth_len);
    if (rc) {
        net__link_fail(l, rc, "cannot sign our identity");
        goto wipe_keys;
    }
    /* Our stream header and our PeerAuth frame go out in one write. */
    struct net_wreq *w =
        net__wreq_new(NET_HEADER_LEN + NET_LEN_BYTES + auth_len + NET_ABYTES, false);
    if (!w) {
        net__link_fail(l, WB_ERR_NOMEM, "no memory for the handshake");
        goto wipe_keys;
    }
    uint8_t *p = net__wreq_data(w);
    if (crypto_secretstream_xchacha20poly1305_init_push(&l->tx_st, p, tx_key) != 0 ||
        net__frame_seal(l, auth, auth_len, p + NET_HEADER_LEN) != WB_OK) {
        free(w);
        net__link_fail(l, WB_ERR_CRYPTO, "cannot open the send stream");
        goto wipe_keys;
    }
    l->state = NET_LINK_HEADER;
    /* A failed write fails the link (net__write); the keys are wiped below. */
    WB_IGNORE_RESULT(net__write(l, w));
wipe_keys:
    sodium_memzero(tx_key, sizeof tx_key);
    if (l->closing) sodium_memzero(l->rx_key, sizeof l->rx_key);
wipe_eph:
    sodium_memzero(l->eph_sk, sizeof l->eph_sk);
}

void net__hs_on_header(struct net_link *l, const uint8_t header[NET_HEADER_LEN])
{
    int rc = crypto_secretstream_xchacha20poly1305_init_pull(&l->rx_st, header, l->rx_key);
    sodium_memzero(l->rx_key, sizeof l->rx_key);
    if (rc != 0) {
        net__link_fail(l, WB_ERR_CRYPTO, "bad stream header");
        return;
    }
    l->state = NET_LINK_AUTH;
}

/* The inbound dialer's identity is not accepted: counts and logs like
 * net__link_fail(WB_ERR_PERMISSION), sends NET_REJECT_BYTE and closes the
 * link once it is written (net_frame.c's write callback) or at the
 * handshake deadline (net_link.c). */
static void net_hs_reject(struct net_link *l, const char *what)
{
    if (l->closing || l->rejecting) return;
    struct net *net = l->net;
    net->stats.links_refused++;
    if (l->pending) {
        net->quiet.refused++;
        net__quiet_note(net, l, false, what, WB_ERR_PERMISSION);
    } else {
        NET_WARN(net, "%s: inbound %s: %s (%s)", net->name, l->addr, what,
                wb_strerror(WB_ERR_PERMISSION));
    }
    static const uint8_t reject = NET_REJECT_BYTE;
    l->rejecting = true;
    uv_read_stop((uv_stream_t *)&l->tcp);
    if (net__frame_send(l, &reject, 1, false) == WB_OK && l->tx_queued == 0 && !l->closing)
        net__link_close(l, WB_ERR_PERMISSION);
}

void net__hs_on_auth(struct net_link *l, const uint8_t *pt, size_t len)
{
    struct net *net = l->net;
    char what[96];
    Waybill__PeerAuth *auth = waybill__peer_auth__unpack(NULL, len, pt);
    if (!auth) {
        net__link_fail(l, WB_ERR_DECODE, "malformed PeerAuth");
        return;
    }
    if (auth->identity.len != WB_PUBKEY_LEN || auth->signature.len != WB_SIG_LEN) {
        net__link_fail(l, WB_ERR_DECODE, "PeerAuth with a bad key or signature length");
        goto free_auth;
    }
    /* Every check runs on locals; the link takes the key only once all pass. */
    uint8_t peer_pk[WB_PUBKEY_LEN];
    memcpy(peer_pk, auth->identity.data, sizeof peer_pk);
    const uint8_t *dialer_eph = l->outbound ? l->eph_pk : l->peer_eph;
    const uint8_t *listener_eph = l->outbound ? l->peer_eph : l->eph_pk;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t mlen = wb_sigmsg_p2p(msg, net->cfg.chain_id, dialer_eph, listener_eph);
    char key[17];
    net__key_short(peer_pk, key);
    if (wb_verify(msg, mlen, peer_pk, auth->signature.data) != WB_OK) {
        snprintf(what, sizeof what, "identity %s: bad signature (other chain id?)", key);
        net__link_fail(l, WB_ERR_SIGNATURE, what);
        goto free_auth;
    }
    if (memcmp(peer_pk, net->cfg.identity_pk, sizeof peer_pk) == 0) {
        if (l->outbound) net__link_fail(l, WB_ERR_PERMISSION, "peer presents our own identity");
        else net_hs_reject(l, "peer presents our own identity");
        goto free_auth;
    }
    if (l->has_expected && memcmp(peer_pk, l->expected_pk, sizeof peer_pk) != 0) {
        snprintf(what, sizeof what, "identity %s is not the expected peer", key);
        net__link_fail(l, WB_ERR_PERMISSION, what);
        goto free_auth;
    }
    if (!net->cfg.authorize(net->cfg.ctx, peer_pk)) {
        snprintf(what, sizeof what, "identity %s not authorized", key);
        if (l->outbound) net__link_fail(l, WB_ERR_PERMISSION, what);
        else net_hs_reject(l, what);
        goto free_auth;
    }
    if (l->closing) goto free_auth; /* authorize closed the link or the net */
    if (!l->outbound && net->links_up >= net->cfg.links_max) {
        /* Authenticated links have their own bound, apart from the pool of
         * handshakes in flight. */
        net->stats.links_refused++;
        snprintf(what, sizeof what, "identity %s: %zu links up, the most allowed", key,
                 net->links_up);
        net__link_fail(l, WB_ERR_BUSY, what);
        goto free_auth;
    }
    memcpy(l->peer_pk, peer_pk, sizeof peer_pk);
    l->state = NET_LINK_ACCEPT;
    /* The empty frame tells the peer we accepted it; it reports the link up
     * when it arrives, as we do when the peer's arrives. */
    /* On failure the link is failed and closed by net__frame_send itself. */
    WB_IGNORE_RESULT(net__frame_send(l, NULL, 0, false));
free_auth:
    waybill__peer_auth__free_unpacked(auth, NULL);
}

void net__hs_on_accept(struct net_link *l, const uint8_t *pt, size_t len)
{
    if (len == 1 && pt[0] == NET_REJECT_BYTE) {
        net__link_fail(l, WB_ERR_REFUSED, "the peer did not accept our identity");
        return;
    }
    if (len != 0) {
        l->net->stats.frames_bad++;
        net__link_fail(l, WB_ERR_PROTOCOL, "expected the empty accept frame");
        return;
    }
    net__link_up(l);
}
