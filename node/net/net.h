/* Authenticated, encrypted framed transport over libuv TCP: one `struct net`
 * per endpoint (the p2p port, the client API port, or a CLI client's dialer). */
#ifndef WB_NET_H
#define WB_NET_H

/*
 * Wire protocol (DESIGN.md section 6), per direction, after TCP connect:
 *   hello   : 16-byte version tag NET_VERSION_TAG (zero padded) || X25519 eph (32)
 *   header  : 24-byte crypto_secretstream_xchacha20poly1305 header
 *   frames  : u32 BE ciphertext length || ciphertext (secretstream, TAG_MESSAGE)
 * Session keys come from crypto_kx (dialer = client, listener = server); the
 * first frame each way is an encoded PeerAuth (identity key + Ed25519 signature
 * over wb_sigmsg_p2p(chain_id, dialer eph, listener eph)); the second frame
 * each way is empty and means "I verified and accepted your identity". A link
 * is up (on_link_up) only after both: neither side reports a link the other
 * refused. A listener that does not accept the dialer's identity sends, in
 * place of the empty frame, the one-byte frame NET_REJECT_BYTE and closes, so
 * the dialer can tell "my key was not accepted" from a dropped connection.
 * Every later frame carries one application message.
 *
 * Threading: none. Every function must be called on the loop's thread, and
 * every callback runs on it. Callbacks may call any function below, including
 * net_link_close and net_close.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/addr.h"
#include "common/log.h"
#include "common/wb_error.h"

#define NET_VERSION_TAG "waybill/net/v1"
#define NET_VERSION_TAG_LEN 16
#define NET_REJECT_BYTE 0x01u /* second-frame payload: "identity not accepted" */

#define NET_FRAME_MAX_DEFAULT (4u << 20)      /* plaintext bytes per frame */
#define NET_FRAME_MAX_LIMIT (64u << 20)       /* largest frame_max accepted */
#define NET_SEND_QUEUE_MAX_DEFAULT (32u << 20) /* unsent bytes per link */
#define NET_HANDSHAKE_TIMEOUT_MS_DEFAULT 5000u
#define NET_RECONNECT_BASE_MS_DEFAULT 200u
#define NET_RECONNECT_MAX_MS_DEFAULT 10000u
#define NET_LINKS_MAX_DEFAULT 256u
#define NET_PENDING_MAX_DEFAULT 256u           /* inbound handshakes in flight */
#define NET_PENDING_PER_SOURCE_MAX_DEFAULT 64u /* of them from one IP address */
#define NET_REFUSAL_LOG_MS_DEFAULT 10000u      /* one summary line per interval */
#define NET_ADDR_MAX WB_ADDR_STR_MAX /* "host:port" text, including the NUL */

struct net;
struct net_link;

/* Decides whether an authenticated identity key may hold a link. */
typedef bool (*net_authorize_fn)(void *ctx, const uint8_t peer_pk[32]);

struct net_config {
    const char *name;           /* for logs ("p2p", "api", ...); copied; NULL = "net" */
    uint8_t chain_id[32];
    uint8_t identity_pk[32];    /* own Ed25519 identity */
    uint8_t identity_sk[64];    /* copied by net_create and wiped by net_close */
    net_authorize_fn authorize; /* required */
    void *ctx;                  /* passed to every callback */
    size_t frame_max;           /* plaintext bytes; 0 = NET_FRAME_MAX_DEFAULT */
    size_t send_queue_max;      /* bytes queued per link; 0 = default; must be
                                 * >= frame_max + 4 + 17 */
    uint32_t handshake_timeout_ms; /* 0 = default */
    uint32_t reconnect_base_ms;    /* first retry delay; 0 = default */
    uint32_t reconnect_max_ms;     /* cap of the exponential backoff; 0 = default */
    uint32_t links_max;            /* authenticated (up) links; 0 = default; an
                                    * inbound link authenticating over it is
                                    * refused. Connections still in their
                                    * handshake never count here. */
    /* Admission of inbound connections that have not finished the handshake
     * (DESIGN.md section 6): they form a pool separate from up links, bounded
     * in total (pending_max) and per source IP address
     * (pending_per_source_max), each with handshake_timeout_ms to finish.
     * Accepting never stops: a new connection over a bound evicts the
     * pending one (of that source, or of all) that made the least progress
     * through the handshake, the oldest among equals, so a peer that
     * answers promptly gets through a flood of idle or half-open ones.
     * 0 = the defaults above. Failed, evicted and refused inbound
     * handshakes are logged as one summary line per refusal_log_ms. */
    uint32_t pending_max;
    uint32_t pending_per_source_max;
    uint32_t refusal_log_ms;
    /* Link heartbeats (0 = off, the default): an up link on which nothing
     * was sent for keepalive_ms gets an empty frame, and an up link on
     * which nothing was received for idle_timeout_ms is closed with
     * WB_ERR_TIMEOUT (a peer behind a partition: TCP alone would keep the
     * link open for minutes). With either set, empty frames on up links are
     * heartbeats and are not passed to on_frame; both ends should agree. */
    uint32_t keepalive_ms;
    uint32_t idle_timeout_ms;
    /* At most one up link per peer identity (true for p2p). When a second one
     * authenticates, the link dialed by the side with the lexicographically
     * smaller identity key is kept (two links dialed by the same side: the
     * newer is kept) and the other is closed with WB_ERR_DUPLICATE. Leave
     * false for the client API, where one member key may run many clients. */
    bool unique_peers;
    /* This net's log records below this level are dropped (the process
     * level, common/log.h, still applies to the rest): the CLI's client sets
     * WB_LOG_ERROR, since it reports a failure in a sentence of its own.
     * 0 = WB_LOG_DEBUG: the process level alone decides. */
    enum wb_log_level log_level;

    /* A link is up: authenticated both ways and authorized. `peer_pk` is
     * valid during the call (and via net_link_peer_key while the link lives).
     * Required. */
    void (*on_link_up)(void *ctx, struct net_link *link, const uint8_t peer_pk[32]);
    /* One decrypted frame of an up link. `data` is valid only during the
     * call. Required. */
    void (*on_frame)(void *ctx, struct net_link *link, const uint8_t *data, size_t len);
    /* An up link is gone; called exactly once per on_link_up, after which the
     * link pointer is invalid. `reason`: 0 closed locally (net_link_close,
     * net_close), WB_ERR_CLOSED peer closed, WB_ERR_IO socket error,
     * WB_ERR_TIMEOUT nothing received for idle_timeout_ms,
     * WB_ERR_TOO_LARGE frame over the limit, WB_ERR_CRYPTO undecryptable
     * frame, WB_ERR_PROTOCOL bad frame tag, WB_ERR_BUSY send queue over its
     * bound (peer too slow), WB_ERR_DUPLICATE replaced by another link to the
     * same peer, WB_ERR_NOMEM. Required. */
    void (*on_link_down)(void *ctx, struct net_link *link, int reason);
    /* Optional (may be NULL): one attempt of a net_dial ended without a link
     * coming up. `err`: WB_ERR_UNREACHABLE (connect failed), WB_ERR_TIMEOUT
     * (handshake stalled), WB_ERR_REFUSED (the peer said it does not accept
     * our identity), WB_ERR_CLOSED (the peer closed the connection before the
     * handshake finished, e.g. overloaded), WB_ERR_PERMISSION (peer identity not authorized, not
     * the expected key, or our own), WB_ERR_DUPLICATE (lost the one-link rule
     * to an up link), or the failed check: WB_ERR_SIGNATURE (e.g. other chain
     * id), WB_ERR_PROTOCOL, WB_ERR_DECODE, WB_ERR_CRYPTO, WB_ERR_TOO_LARGE,
     * WB_ERR_IO, WB_ERR_NOMEM. `will_retry` says whether the dial will try
     * again. WB_ERR_NOT_FOUND: the address's name did not resolve; `why`
     * is then the resolver's answer (e.g. "unknown node or service"), NULL
     * for every other err. `addr` and `why` are valid during the call. */
    void (*on_dial_fail)(void *ctx, const char *addr, int err, const char *why,
                         bool will_retry);
};

/* Counters since net_create. */
struct net_stats {
    uint64_t links_accepted;     /* inbound TCP connections */
    uint64_t links_dialed;       /* outbound connect attempts */
    uint64_t links_up;           /* links that reached on_link_up */
    uint64_t links_refused;      /* identity not authorized/expected, own key,
                                  * or over links_max */
    uint64_t pending_evicted;    /* inbound handshakes dropped to admit a newer
                                  * connection (pending pool or per-source full) */
    uint64_t handshake_timeouts; /* handshakes that missed the deadline (also in
                                  * handshake_failures) */
    uint64_t links_duplicate;    /* closed by the one-link-per-peer rule */
    uint64_t links_too_slow;     /* closed because the send queue overflowed */
    uint64_t links_idle;         /* up links closed: nothing received for
                                  * idle_timeout_ms */
    uint64_t heartbeats_sent;    /* empty keepalive frames queued */
    uint64_t handshake_failures; /* bad tag, key exchange, signature, frame or
                                  * timeout before the link was up, or closed
                                  * by the peer during the handshake */
    uint64_t frames_sent;
    uint64_t frames_received;
    uint64_t frames_bad;         /* received frames that closed a link: over
                                  * the limit, undecryptable, bad tag */
    uint64_t frames_dropped;     /* frames not delivered: queued but never
                                  * written when their link closed, or refused
                                  * by net_send on an overflowing link */
    uint64_t connect_failures;   /* outbound connects that failed, lookups included */
    uint64_t lookups;            /* name lookups started by dials: one per
                                  * attempt at a name, never a cached answer */
};

/* Creates an endpoint on `loop` (which the caller owns and runs). Copies
 * `cfg` (and the secret key). Returns 0 and *out, WB_ERR_INVALID (missing
 * callback, frame_max over NET_FRAME_MAX_LIMIT, send_queue_max too small),
 * WB_ERR_NOMEM, WB_ERR_IO (libuv). Release with net_close. */
WB_MUST_USE int net_create(uv_loop_t *loop, const struct net_config *cfg, struct net **out);

/* Addresses are "host:port" in the grammar of common/addr.h: an IPv4
 * address, a bracketed IPv6 address ("[::1]:7000") or a DNS name, which is
 * resolved with uv_getaddrinfo: the first IPv4 address it returns, else the
 * first IPv6 one.
 *
 * Listens on `addr` (a name is resolved here, synchronously: startup
 * only; port 0 picks a free port, see net_bound_port). One listener per net.
 * Returns 0, WB_ERR_INVALID (bad address, already listening, closing),
 * WB_ERR_NOT_FOUND (the name did not resolve; logged with the resolver's
 * answer), WB_ERR_EXISTS (address in use), WB_ERR_IO. */
WB_MUST_USE int net_listen(struct net *net, const char *addr);

/* The port the listener is bound to. Returns 0, WB_ERR_INVALID (not listening). */
WB_MUST_USE int net_bound_port(const struct net *net, uint16_t *port);

/* Dials `addr` (a name is resolved again, off the loop thread, before every
 * attempt, never cached, so a peer that moves is found; a failed lookup is
 * on_dial_fail's WB_ERR_NOT_FOUND and is retried like a failed connect).
 * `expected_peer_pk` (32 bytes, copied) or NULL: when given, a peer
 * presenting another identity is refused.
 * With `reconnect`, a failed or lost link is redialed after a capped
 * exponential backoff with jitter, until net_close; while another up link
 * to the same peer exists (unique_peers) the dialer waits for it to go down.
 * Without it, one attempt: success is on_link_up, failure on_dial_fail.
 * The connect starts on the next loop iteration. Returns 0, WB_ERR_INVALID
 * (bad address, closing), WB_ERR_NOMEM, WB_ERR_IO. */
WB_MUST_USE int net_dial(struct net *net, const char *addr, const uint8_t *expected_peer_pk,
                         bool reconnect);

/* Encrypts and queues one frame (len <= frame_max) on an up link; `data` is
 * not kept. Frames arrive in order. Returns 0, WB_ERR_TOO_LARGE (len over
 * frame_max; the link stays up), WB_ERR_CLOSED (link closing), WB_ERR_BUSY
 * (the link's send queue would exceed send_queue_max: the link is closed as
 * too slow), WB_ERR_NOMEM, WB_ERR_CRYPTO, WB_ERR_IO (the last three close
 * the link). */
WB_MUST_USE int net_send(struct net_link *link, const uint8_t *data, size_t len);

/* net_send to every up link. Returns the number of links it queued to. */
size_t net_broadcast(struct net *net, const uint8_t *data, size_t len);

/* Closes a link; on_link_down(reason 0) follows from the loop. Idempotent. */
void net_link_close(struct net_link *link);

/* The authenticated identity key of an up link (valid while it lives). */
const uint8_t *net_link_peer_key(const struct net_link *link);
/* The peer's address as text (valid while the link lives): for a dialed
 * link the address given to net_dial, for an accepted one "ip:port". */
const char *net_link_peer_addr(const struct net_link *link);
/* Whether this side dialed the link. */
bool net_link_outbound(const struct net_link *link);
/* Caller data attached to a link (NULL until set). */
void net_link_set_data(struct net_link *link, void *data);
void *net_link_data(const struct net_link *link);
/* Bytes of this link handed to the socket and not yet written (0 for a
 * closing link's completed writes): a sender can hold back while it is high. */
size_t net_link_queued_bytes(const struct net_link *link);
/* Bytes of this link read from its socket and written to it (completed
 * writes) since it was created, the handshake included. */
void net_link_bytes(const struct net_link *link, uint64_t *received, uint64_t *sent);
/* The endpoint a link belongs to. */
struct net *net_link_net(const struct net_link *link);

/* Number of links currently up. */
size_t net_links_up(const struct net *net);
/* Number of inbound connections in their handshake (the pool). */
size_t net_pending(const struct net *net);
/* Copies the counters. */
void net_get_stats(const struct net *net, struct net_stats *out);

/* Closes the listener, every link (each up link gets on_link_down(0)) and
 * every dialer. When the last libuv handle has closed, the net is freed,
 * secrets wiped, and close_cb(cfg.ctx) runs (close_cb may be NULL). The
 * caller keeps running the loop until then. Calling it again is a no-op. */
void net_close(struct net *net, void (*close_cb)(void *ctx));

/* An authorize callback over a fixed list of keys: ctx is a struct net_keyset. */
struct net_keyset {
    const uint8_t (*keys)[32];
    size_t count;
};
bool net_keyset_authorize(void *ctx, const uint8_t peer_pk[32]);

#endif
