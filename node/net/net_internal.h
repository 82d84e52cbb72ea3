/* The structures shared by the files of node/net/ (not part of the public
 * API, node/net/net.h). This header declares no functions: each file's own
 * functions are in its header, net_<file>_internal.h.
 *
 * The files form layers; each calls functions of the layers below it only
 * (and includes their headers), never of one above:
 *
 *   net.c            the endpoint: create, listen, accept and the handshake
 *                    pool's admission, send/broadcast, accessors, close
 *   net_dial.c       outbound dials: resolve, connect, retry with backoff,
 *                    pause while another up link to the peer exists
 *   net_read.c       the read path: buffers a link's bytes, cuts them into
 *                    hello, header and frames, decrypts, and hands each to
 *                    the handshake step or (up) to on_frame
 *   net_handshake.c  the handshake steps: hello, header, PeerAuth, accept
 *   net_up.c         a verified link going up: the one-link-per-peer rule,
 *                    on_link_up, then the link's heartbeats
 *   net_frame.c      the write path: raw writes, sealed frames, the send bound
 *   net_link.c       the link object: new, close, fail, find; the handshake
 *                    deadline; the endpoint's reference count
 *   net_quiet.c      the summary line of failed inbound handshakes
 *   net_addr.c       address text, resolver results (no state)
 *
 * net_client.c, the blocking client, uses the public API (and net__uv_err).
 * Where a lower layer must tell a higher one something (a link failed,
 * went up, is gone: the dialer must know), it calls through net->hooks
 * (struct net_link_hooks), which the higher one registers. */
#ifndef WB_NET_INTERNAL_H
#define WB_NET_INTERNAL_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netdb.h>
#include <sys/socket.h>
#include <uv.h>

#include "common/log.h"
#include "common/wb_error.h"
#include "node/net/net.h"

/* A record of `net` (a struct net *): dropped below its cfg.log_level, else
 * as wb_log under the process level. The file's LOG_MOD names the module. */
#define NET_LOG(net, level, ...) wb_log_at((net)->cfg.log_level, (level), LOG_MOD, __VA_ARGS__)
#define NET_DEBUG(net, ...) NET_LOG(net, WB_LOG_DEBUG, __VA_ARGS__)
#define NET_INFO(net, ...) NET_LOG(net, WB_LOG_INFO, __VA_ARGS__)
#define NET_WARN(net, ...) NET_LOG(net, WB_LOG_WARN, __VA_ARGS__)
#define NET_ERROR(net, ...) NET_LOG(net, WB_LOG_ERROR, __VA_ARGS__)

#define NET_HELLO_LEN (NET_VERSION_TAG_LEN + crypto_kx_PUBLICKEYBYTES)
#define NET_HEADER_LEN crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define NET_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define NET_LEN_BYTES 4u
/* Plaintext limit of the two handshake frames (an encoded PeerAuth is ~100
 * bytes), so an unauthenticated peer cannot make us buffer frame_max. */
#define NET_HS_FRAME_MAX 256u
/* Receive buffer kept per link between frames; larger frames grow it to
 * exactly their size and it shrinks back once they are consumed. */
#define NET_RX_CHUNK (64u * 1024u)
/* The same before the link is up: a pool of pending handshakes stays small. */
#define NET_RX_CHUNK_HS 1024u
#define NET_ACCEPTS_PER_TURN 16u

enum net_link_state {
    NET_LINK_CONNECTING, /* outbound, TCP connect in flight */
    NET_LINK_HELLO,      /* waiting for the peer's version tag + ephemeral key */
    NET_LINK_HEADER,     /* waiting for the peer's secretstream header */
    NET_LINK_AUTH,       /* waiting for the peer's PeerAuth frame */
    NET_LINK_ACCEPT,     /* waiting for the peer's (empty) accept frame */
    NET_LINK_UP,
};

struct net_dialer; /* net_dial.c's; opaque to the layers below it */

struct net_link {
    struct net *net;
    struct net_link *prev, *next;
    struct net_dialer *dialer; /* outbound links only; NULL once the dialer is gone;
                                * set and read by net_dial.c alone */
    uv_tcp_t tcp;
    uv_timer_t timer;          /* handshake timeout, then heartbeats once up */
    uv_connect_t connect_req;
    unsigned handles_open;
    enum net_link_state state;
    bool outbound;
    bool closing;
    bool was_up;
    bool tcp_inited;
    bool pending;              /* inbound, in the handshake pool (struct net.pending) */
    bool rejecting;            /* sent NET_REJECT_BYTE: closes once it is written */
    int close_reason;
    uint64_t accept_seq;       /* inbound: order of acceptance (eviction picks the lowest) */
    uint64_t accepted_ms;      /* inbound: uv_now when accepted */
    uint8_t src[17];           /* inbound: address family byte || IP (16 bytes, v4 padded) */

    uint8_t eph_pk[crypto_kx_PUBLICKEYBYTES];
    uint8_t eph_sk[crypto_kx_SECRETKEYBYTES];
    uint8_t peer_eph[crypto_kx_PUBLICKEYBYTES];
    uint8_t rx_key[crypto_kx_SESSIONKEYBYTES]; /* until the peer's header arrives */
    uint8_t peer_pk[32];
    bool has_expected;         /* outbound: the dialer named the peer's identity */
    uint8_t expected_pk[32];
    crypto_secretstream_xchacha20poly1305_state tx_st, rx_st;

    uint8_t *rx_buf;
    size_t rx_cap, rx_len;
    size_t rx_need;            /* bytes the next unit needs from rx_buf's start */
    size_t tx_queued;          /* bytes handed to uv_write, not yet completed */
    uint64_t last_rx_ms;       /* loop time of the last bytes read */
    uint64_t last_tx_ms;       /* loop time of the last bytes queued */
    uint64_t rx_bytes;         /* bytes read from the socket, handshake included */
    uint64_t tx_bytes;         /* bytes the socket took (completed writes) */

    char addr[NET_ADDR_MAX];
    void *data;
};

/* What the lower layers tell the dialer (net_dial.c), which sits above
 * them: net_dial() registers these in net->hooks; NULL until the first
 * dial (there is no dialer to tell before). Each runs on the loop thread,
 * from inside the named function. */
struct net_link_hooks {
    /* net__link_fail, for a link that is neither up nor in the inbound
     * handshake pool: returns true when its dial has logged a failure
     * already (this one is logged at debug level), and marks the dial as
     * having logged one. */
    bool (*failing)(struct net_link *l);
    /* net__link_up: the peer's identity was verified and accepted; called
     * before the one-link-per-peer rule, which may close the link. */
    void (*verified)(struct net_link *l);
    /* net__link_up: the link is up (it won the rule), before on_link_up. */
    void (*up)(struct net_link *l);
    /* The link is off the net's list and about to be freed (after
     * on_link_down when it was up); l->close_reason says why. */
    void (*gone)(struct net_link *l);
};

struct net {
    uv_loop_t *loop;
    struct net_config cfg;
    char name[16];
    uv_tcp_t listener;
    uv_timer_t own_timer; /* always open, so net_close always completes from a callback */
    enum { NET_LISTEN_NONE, NET_LISTEN_ACTIVE, NET_LISTEN_CLOSING } listen_state;
    bool closing;
    unsigned refs;        /* open handles/objects; the net is freed at 0 once closing */
    void (*close_cb)(void *ctx);
    struct net_link *links;
    size_t links_open, links_up;
    size_t pending;       /* inbound links not yet up (the handshake pool) */
    /* At most NET_ACCEPTS_PER_TURN connections are accepted per loop
     * iteration, so a connection flood cannot keep the loop from reading
     * links or running timers; accept_check resumes a deferred accept. */
    uv_check_t accept_check;
    unsigned accepts_this_turn;
    bool accept_deferred;
    uint64_t accept_seq;
    /* Inbound handshakes that failed or were refused since the last summary
     * line (one per cfg.refusal_log_ms, flushed by own_timer). */
    struct {
        uint64_t failed, timed_out, evicted, refused;
        char last[320];   /* the latest one: "addr: what (error)" */
        uint64_t logged_at_ms;
        bool timer_armed;
    } quiet;
    struct net_dialer *dialers; /* net_dial.c's list */
    const struct net_link_hooks *hooks; /* NULL = none registered */
    uint8_t *pt_buf;      /* decrypted frame scratch, shared by all links */
    size_t pt_cap;
    struct net_stats stats;
};

#endif
