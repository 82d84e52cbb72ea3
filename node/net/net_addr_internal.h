/* net_addr.c: addresses for the transport (no state; calls no other file of
 * node/net/). */
#ifndef WB_NET_ADDR_INTERNAL_H
#define WB_NET_ADDR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <netdb.h>
#include <sys/socket.h>

#include "common/wb_error.h"
#include "node/net/net.h"

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

#endif
