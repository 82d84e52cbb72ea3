/* Internal structures and helpers shared by the net_*.c files; not part of
 * the public API (node/net.h). */
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

struct net_dialer;

struct net_link {
    struct net *net;
    struct net_link *prev, *next;
    struct net_dialer *dialer; /* outbound links only; NULL once the dialer is gone */
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

    char addr[NET_ADDR_MAX];
    void *data;
};

enum net_dialer_state {
    NET_DIAL_WAIT,       /* timer armed for the next attempt */
    NET_DIAL_RESOLVING,  /* getaddrinfo of the name in flight */
    NET_DIAL_LINKED,     /* an attempt (or its up link) is in progress */
    NET_DIAL_SUPPRESSED, /* another up link to the peer exists */
    NET_DIAL_DONE,       /* closing */
};

struct net_dialer {
    struct net *net;
    struct net_dialer *prev, *next;
    uv_timer_t timer;
    enum net_dialer_state state;
    struct sockaddr_storage sa;
    char addr[NET_ADDR_MAX];
    char name[NET_ADDR_MAX];   /* DNS name resolved before each attempt, or "" */
    uint16_t port;
    uv_getaddrinfo_t gai;
    bool resolving;            /* gai in flight: the dialer outlives it */
    bool timer_closed;
    bool reconnect;
    bool has_key;              /* expected or learned peer identity */
    bool key_expected;
    uint8_t key[32];
    uint32_t attempt;          /* consecutive failed attempts */
    bool failing_logged;
    struct net_link *link;
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
    struct net_dialer *dialers;
    uint8_t *pt_buf;      /* decrypted frame scratch, shared by all links */
    size_t pt_cap;
    struct net_stats stats;
};

/* ---- net.c: link lifecycle ---- */
/* Allocates a link on the net's loop (tcp + timer initialised, handshake
 * timer armed, ephemeral key made) and inserts it. */
WB_MUST_USE int net__link_new(struct net *net, bool outbound, struct net_link **out);
/* Closes the link once, remembering `reason`; frees it from the close callbacks. */
void net__link_close(struct net_link *l, int reason);
/* Logs a handshake/link failure once, counts it, closes with `reason`.
 * Failures of inbound handshakes go into one summary line per interval. */
void net__link_fail(struct net_link *l, int reason, const char *what);
/* The inbound dialer's identity is not accepted: counts and logs like
 * net__link_fail(WB_ERR_PERMISSION), sends NET_REJECT_BYTE and closes the
 * link once it is written (or at the handshake deadline). */
void net__link_reject(struct net_link *l, const char *what);
/* Both identities verified and accepted: applies the one-link rule, reports up. */
void net__link_up(struct net_link *l);
/* Queues bytes already laid out in a write request made by net__wreq_new. */
struct net_wreq;
struct net_wreq *net__wreq_new(size_t len, bool app);
uint8_t *net__wreq_data(struct net_wreq *w);
WB_MUST_USE int net__write(struct net_link *l, struct net_wreq *w);
/* A key's first 8 bytes as 16 hex digits, for logs. */
void net__key_short(const uint8_t key[32], char out[17]);
/* Up link to `peer_pk` other than `except`, or NULL. */
struct net_link *net__find_up(struct net *net, const uint8_t peer_pk[32],
                              const struct net_link *except);

/* ---- net_handshake.c ---- */
/* Sends our hello and starts reading. */
WB_MUST_USE int net__hs_start(struct net_link *l);
void net__hs_on_hello(struct net_link *l, const uint8_t hello[NET_HELLO_LEN]);
void net__hs_on_header(struct net_link *l, const uint8_t header[NET_HEADER_LEN]);
void net__hs_on_auth(struct net_link *l, const uint8_t *pt, size_t len);

/* ---- net_frame.c ---- */
void net__on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
void net__on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
/* Seals `len` plaintext bytes as one frame into `out` (NET_LEN_BYTES + len +
 * NET_ABYTES bytes). Returns 0 or WB_ERR_CRYPTO. */
WB_MUST_USE int net__frame_seal(struct net_link *l, const uint8_t *pt, size_t len, uint8_t *out);
/* Seals and queues one frame. */
WB_MUST_USE int net__frame_send(struct net_link *l, const uint8_t *pt, size_t len, bool app);

/* ---- net_dial.c ---- */
void net__dialer_link_gone(struct net_dialer *d, struct net_link *l);
/* A link to `peer_pk` came up that no dialer of ours made: the dialers of
 * that peer stop waiting out their backoff (they pause while it is up and
 * redial at once when it goes). */
void net__dialers_heard(struct net *net, const uint8_t peer_pk[32]);
void net__dialer_link_up(struct net_dialer *d, struct net_link *l);
void net__dialers_wake(struct net *net, const uint8_t peer_pk[32]);
void net__dialer_close(struct net_dialer *d);

/* ---- net_addr.c ---- */
/* Parses "host:port" (common/addr.h; port 0 too when `listen`). For an IP
 * literal fills *out and sets name to ""; for a DNS name copies it into
 * name (to be resolved). Sets *port either way. Returns 0 or WB_ERR_INVALID. */
WB_MUST_USE int net__addr_parse(const char *text, bool listen, struct sockaddr_storage *out,
                                char name[NET_ADDR_MAX], uint16_t *port);
/* The resolver's answer as text, for a uv_getaddrinfo status (0: it found
 * no usable address). Static. */
const char *net__resolve_why(int uv_status);
/* Picks one resolver result (IPv4 preferred) into out with `port`.
 * Returns 0 or WB_ERR_NOT_FOUND. */
WB_MUST_USE int net__addr_pick(const struct addrinfo *res, uint16_t port,
                               struct sockaddr_storage *out);
/* "ip:port" ("[v6]:port") of a socket address into out (NET_ADDR_MAX). */
void net__addr_format(const struct sockaddr *sa, char out[NET_ADDR_MAX]);

/* libuv error -> wb_err. */
int net__uv_err(int uv_rc);
/* Called whenever an object of the net finished closing. */
void net__unref(struct net *net);

#endif
