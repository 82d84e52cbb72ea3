/* The one grammar of a network address, "host:port", shared by genesis
 * (ledger/), node config and the net layer (node/) and the CLI's --node.
 * Syntax only: nothing here resolves a name (ledger/ is pure); node/net_*.c
 * resolves names with libuv's getaddrinfo.
 *
 *   address = host ":" port
 *   host    = name | ipv4 | "[" ipv6 "]"
 *   name    = an RFC 1123 host name: labels of 1 to 63 letters, digits and
 *             '-' (not first or last in a label) joined by '.', at most 253
 *             characters, optionally ending in one '.' (an absolute name,
 *             which the resolver does not extend by its search domains). Its
 *             last label is not a number (all digits, or 0x and hex digits),
 *             so a name can never be read as an IPv4 address in another form.
 *   ipv4    = four decimal parts 0 to 255 joined by '.', no leading zeros;
 *             any host of digits and dots only must be one
 *   ipv6    = an IPv6 address as inet_pton(AF_INET6) reads it (no zone id)
 *   port    = 1 to 65535 in decimal, no sign, no leading zero
 *
 * docs/formats.md ("Addresses") describes the same grammar for users.
 */
#ifndef WB_ADDR_H
#define WB_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"

#define WB_ADDR_NAME_MAX 253                 /* a name, without its trailing dot */
#define WB_ADDR_HOST_MAX (WB_ADDR_NAME_MAX + 1) /* host bytes kept, trailing dot included */
#define WB_ADDR_TEXT_MAX (WB_ADDR_HOST_MAX + 6) /* longest "host:port": name + ":65535" */
#define WB_ADDR_STR_MAX (WB_ADDR_TEXT_MAX + 1)  /* ... with its NUL */
/* A message buffer of this size holds every message wb_addr_parse writes
 * (echoes of the input are shortened, so messages stay under 390 bytes). */
#define WB_ADDR_MSG_MAX 400

/* What every address message ends with, in parentheses. */
#define WB_ADDR_HOST_EXPECT \
    "a host is a DNS name, an IPv4 address or a bracketed IPv6 address such as [::1]"
#define WB_ADDR_EXPECT WB_ADDR_HOST_EXPECT "; port 1 to 65535"

enum wb_addr_kind {
    WB_ADDR_NAME = 1, /* a DNS name: resolve it */
    WB_ADDR_IPV4,
    WB_ADDR_IPV6,
};

/* A parsed address. host is NUL-terminated, as written (a name keeps its
 * case and trailing dot; an IPv6 address is kept without its brackets). */
struct wb_addr {
    char host[WB_ADDR_HOST_MAX + 1];
    uint16_t port;
    enum wb_addr_kind kind;
};

/* Flags of wb_addr_parse_opt. */
#define WB_ADDR_PORT_ANY 1u /* also accept port 0: "any free port", for a listener */

/* Parses `text` ("host:port", NUL-terminated) into *out. Returns 0, or
 * WB_ERR_INVALID with *out zeroed and, when msg_len > 0, one sentence in msg
 * naming what is wrong and what is expected, the same for every caller, e.g.
 *   "'node_1:27101' is not host:port: host 'node_1' has '_' (a host is a DNS
 *    name, an IPv4 address or a bracketed IPv6 address such as [::1]; port 1
 *    to 65535)"
 * Callers prefix their context (a genesis field, a config line, --node).
 * Text from the input is echoed with anything but printable ASCII replaced
 * by '?' and long parts shortened with "...". NULL text is WB_ERR_INVALID. */
WB_MUST_USE int wb_addr_parse(const char *text, struct wb_addr *out, char *msg, size_t msg_len);

/* wb_addr_parse with flags (WB_ADDR_PORT_ANY, or 0 for wb_addr_parse). */
WB_MUST_USE int wb_addr_parse_opt(const char *text, unsigned flags, struct wb_addr *out, char *msg,
                                  size_t msg_len);

/* Parses a host alone (a name, an IPv4 address or a bracketed IPv6
 * address) into out->host and out->kind; out->port is 0. Returns 0 or
 * WB_ERR_INVALID with a message "'x' is not a host: <why> (<expected>)". */
WB_MUST_USE int wb_addr_parse_host(const char *text, struct wb_addr *out, char *msg,
                                   size_t msg_len);

/* Writes `a` as text: "host:port", "[v6]:port" for IPv6, into out (cap
 * bytes; WB_ADDR_STR_MAX always suffices; shorter is truncated). With
 * port 0 (a host from wb_addr_parse_host) only the host: "host", "[v6]".
 * Returns out. wb_addr_parse reads the result back to an equal address. */
char *wb_addr_format(const struct wb_addr *a, char *out, size_t cap);

/* Whether a and b name the same endpoint as written: same kind and port,
 * and the same name (ignoring case and a trailing dot), the same IPv4
 * address, or the same IPv6 address ("[::1]" equals "[0::1]"). Two names
 * that resolve to one address are not equal here. */
bool wb_addr_equal(const struct wb_addr *a, const struct wb_addr *b);

#endif
