/* net_link.c: the link object and its lifecycle (creation, closing,
 * failure, lookup, the handshake deadline) and the endpoint's reference
 * count that every handle and object of a net holds. Calls only net_quiet.c
 * below it; tells the dialer through net->hooks (failing, gone). */
#ifndef WB_NET_LINK_INTERNAL_H
#define WB_NET_LINK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "node/net/net_internal.h"

/* libuv error -> wb_err. */
int net__uv_err(int uv_rc);
/* A key's first 8 bytes as 16 hex digits, for logs. */
void net__key_short(const uint8_t key[32], char out[17]);
/* Called whenever an object of the net finished closing; frees the net
 * (and runs its close_cb) once the last one has and net_close was called. */
void net__unref(struct net *net);

/* Allocates a link on the net's loop (tcp + timer initialised, handshake
 * timer armed, ephemeral key made) and inserts it. Returns 0 and *out,
 * WB_ERR_NOMEM, WB_ERR_CRYPTO, or a libuv failure (the link is closed). */
WB_MUST_USE int net__link_new(struct net *net, bool outbound, struct net_link **out);
/* Closes the link once, remembering `reason`; frees it from the close
 * callbacks (on_link_down first when it was up, then hooks->gone). */
void net__link_close(struct net_link *l, int reason);
/* Logs a handshake/link failure once, counts it, closes with `reason`.
 * Failures of inbound handshakes go into one summary line per interval
 * (net_quiet.c); a dial's repeated failures are logged at debug level
 * (hooks->failing). */
void net__link_fail(struct net_link *l, int reason, const char *what);
/* Up link to `peer_pk` other than `except`, or NULL. */
struct net_link *net__find_up(struct net *net, const uint8_t peer_pk[32],
                              const struct net_link *except);

#endif
