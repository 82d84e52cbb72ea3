/* Node configuration: the INI file a validator runs from (node.ini), its
 * defaults and checks. Addresses follow common/addr.h. */
#ifndef NODE_CONFIG_H
#define NODE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "ledger/genesis.h"

#define NODE_PATH_MAX 4096        /* bytes of a resolved path, NUL included */
#define NODE_PEERS_MAX WB_VALIDATORS_MAX
#define NODE_CONFIG_FILE_MAX (64 * 1024)
/* inih reads lines into a fixed buffer of 200 bytes; a longer line is an
 * error here (never silently truncated). Long peer lists continue on
 * indented lines. */
#define NODE_CONFIG_LINE_MAX 197
/* A message buffer of this size holds every message node_config_load
 * writes for paths up to about 300 characters; longer ones are truncated. */
#define NODE_CONFIG_MSG_MAX 1024

/* Consensus timeouts. The timeout of step S in round r is
 * timeout_S_ms + r * timeout_S_delta_ms (DESIGN.md section 4). */
struct node_timeouts {
    uint32_t propose_ms;
    uint32_t propose_delta_ms;
    uint32_t prevote_ms;
    uint32_t prevote_delta_ms;
    uint32_t precommit_ms;
    uint32_t precommit_delta_ms;
    /* A proposed block's time may lie at most this far ahead of the local clock. */
    uint32_t block_time_drift_ms;
};

struct node_limits {
    uint32_t block_events_max;      /* signed events per block */
    uint32_t block_bytes_max;       /* encoded block bytes */
    uint32_t mempool_events_max;    /* events waiting in the mempool */
    uint64_t mempool_bytes_max;     /* their signed bytes */
    uint32_t frame_bytes_max;       /* one p2p or client frame (plaintext bytes) */
    uint32_t api_clients_max;       /* concurrent client API connections */
    /* Inbound connections still in their handshake, on each of the p2p and
     * client API ports: a pool apart from authenticated links (node/net.h). */
    uint32_t handshake_timeout_ms;  /* deadline to finish the handshake */
    uint32_t handshakes_max;        /* in flight at once, in total */
    uint32_t handshakes_per_source_max; /* in flight at once from one IP address */
};

/* [metrics]: the node's Prometheus and health endpoint (node/metrics/;
 * docs/operating.md, "Metrics and health"). Off unless listen is set. */
struct node_metrics_config {
    bool enabled;                 /* [metrics] listen is set */
    struct wb_addr listen;        /* [metrics] listen: HOST:PORT, or PORT alone for
                                     127.0.0.1:PORT; a loopback host unless public */
    bool public_ok;               /* [metrics] public: another host is allowed, default false */
    uint32_t health_window_ms;    /* [metrics] health_window_ms: /healthz wants a quorum
                                     connected at some moment this recent */
    uint32_t ready_heartbeats;    /* [metrics] ready_heartbeats: /readyz wants a head
                                     block at most this many heartbeats old */
};

/* Everything a node reads from its config file. Paths are resolved: a
 * relative path in the file is taken relative to the folder holding the
 * file. The struct is about 30 KiB; the caller owns it (no heap inside). */
struct node_config {
    char name[WB_NODE_NAME_MAX + 1];      /* [node] name: this validator's name in genesis */
    char data_dir[NODE_PATH_MAX];         /* [node] data_dir: the LMDB environment */
    char key_file[NODE_PATH_MAX];         /* [node] key_file: the validator's key file */
    char genesis[NODE_PATH_MAX];          /* [node] genesis: the genesis JSON file */
    enum wb_log_level log_level;          /* [node] log_level, default info */

    struct wb_addr p2p_listen;            /* [p2p] listen */
    /* [p2p] peers. peer_count == 0 means "not configured": the daemon then
     * dials every other validator's p2p address from genesis. */
    size_t peer_count;
    struct wb_addr peers[NODE_PEERS_MAX];

    struct wb_addr api_listen;            /* [api] listen, default 127.0.0.1:<p2p port + 100> */

    struct node_timeouts timeouts;        /* [consensus] */
    struct node_limits limits;            /* [limits] */
    bool sync;                            /* [storage] sync: fsync every commit, default true */
    struct node_metrics_config metrics;   /* [metrics] */
    char risk_policy[NODE_PATH_MAX];      /* [risk] policy: the risk policy file the node's
                                             scores judge with; "" = the built-in defaults */
};

/* Defaults (also documented in config/node.example.ini and docs/cli.md). */
#define NODE_DEFAULT_API_PORT_OFFSET 100
#define NODE_DEFAULT_TIMEOUT_PROPOSE_MS 3000
#define NODE_DEFAULT_TIMEOUT_PROPOSE_DELTA_MS 500
#define NODE_DEFAULT_TIMEOUT_PREVOTE_MS 1000
#define NODE_DEFAULT_TIMEOUT_PREVOTE_DELTA_MS 500
#define NODE_DEFAULT_TIMEOUT_PRECOMMIT_MS 1000
#define NODE_DEFAULT_TIMEOUT_PRECOMMIT_DELTA_MS 500
#define NODE_DEFAULT_BLOCK_TIME_DRIFT_MS 5000
#define NODE_DEFAULT_BLOCK_EVENTS_MAX 4096
#define NODE_DEFAULT_BLOCK_BYTES_MAX (4u * 1024 * 1024)
#define NODE_DEFAULT_MEMPOOL_EVENTS_MAX 65536
#define NODE_DEFAULT_MEMPOOL_BYTES_MAX (64ull * 1024 * 1024)
#define NODE_DEFAULT_FRAME_BYTES_MAX (8u * 1024 * 1024)
#define NODE_DEFAULT_API_CLIENTS_MAX 64
#define NODE_DEFAULT_HANDSHAKE_TIMEOUT_MS 3000
#define NODE_DEFAULT_HANDSHAKES_MAX 256
#define NODE_DEFAULT_HANDSHAKES_PER_SOURCE_MAX 64
#define NODE_DEFAULT_METRICS_HOST "127.0.0.1"
#define NODE_DEFAULT_HEALTH_WINDOW_MS 10000
#define NODE_DEFAULT_READY_HEARTBEATS 3
/* Bytes a block may need beyond its events' own bytes: the encoded header
 * and each event's field tag and length. A proposer fills a block with at
 * most block_bytes_max - NODE_BLOCK_FRAMING(block_events_max) event bytes,
 * so block_bytes_max must leave room for one event of the largest size. */
#define NODE_BLOCK_FRAMING(events_max) (256u + 6u * (uint64_t)(events_max))
/* A frame must hold a whole block plus its proposal or certificate envelope. */
#define NODE_FRAME_OVERHEAD_MIN (64u * 1024)

/* Fills `cfg` with every default; the required fields (name, data_dir,
 * key_file, genesis, p2p listen) are left empty. */
void node_config_defaults(struct node_config *cfg);

/* Reads and checks the INI file at `path` into `cfg` (defaults first, then
 * the file). Required: [node] name, data_dir, key_file, genesis and
 * [p2p] listen. An unknown section or key, a key set twice, a missing
 * required field or a wrong value fails with WB_ERR_CONFIG and a message
 * naming the file, the field and what was expected, e.g.
 *   "node.ini: [p2p] listen: 'foo' is not host:port: no ':port' after the
 *    host (a host is a DNS name, ...; port 1 to 65535) (line 7)"
 * (an address's message is wb_addr_parse's). Two addresses are the same
 * (a peer listed twice, [api] listen equal to [p2p] listen) as
 * wb_addr_equal compares them. [metrics] listen must name a loopback host
 * (an IPv4 address 127.x.x.x, [::1] or localhost) unless [metrics] public
 * is true, and [metrics] keys other than listen need listen.
 * A missing file gives WB_ERR_NOT_FOUND, an unreadable one WB_ERR_IO, a
 * file over NODE_CONFIG_FILE_MAX bytes WB_ERR_TOO_LARGE, each with a message.
 * On failure `cfg` holds no meaningful values. */
WB_MUST_USE int node_config_load(const char *path, struct node_config *cfg, char *msg,
                                 size_t msg_len);

/* Same as node_config_load for INI text already in memory (NUL-terminated).
 * `path` names the file in messages and anchors relative paths. */
WB_MUST_USE int node_config_parse(const char *path, const char *text, struct node_config *cfg,
                                  char *msg, size_t msg_len);

#endif
