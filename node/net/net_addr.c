/* Addresses for the net transport: the text parsed by the one grammar of
 * common/addr.h into a socket address (IP literals) or a name left for the
 * resolver; the pick among resolver results; socket addresses as text. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/wb_error.h"
#include "node/net/net_addr_internal.h"

int net__addr_parse(const char *text, bool listen, struct sockaddr_storage *out,
                    char name[NET_ADDR_MAX], uint16_t *port_out)
{
    struct wb_addr a;
    if (wb_addr_parse_opt(text, listen ? WB_ADDR_PORT_ANY : 0, &a, NULL, 0) != WB_OK)
        return WB_ERR_INVALID;
    memset(out, 0, sizeof *out);
    name[0] = '\0';
    *port_out = a.port;
    switch (a.kind) {
    case WB_ADDR_IPV4:
        return uv_ip4_addr(a.host, a.port, (struct sockaddr_in *)out) == 0 ? WB_OK
                                                                          : WB_ERR_INVALID;
    case WB_ADDR_IPV6:
        return uv_ip6_addr(a.host, a.port, (struct sockaddr_in6 *)out) == 0 ? WB_OK
                                                                           : WB_ERR_INVALID;
    case WB_ADDR_NAME:
        memcpy(name, a.host, strlen(a.host) + 1);
        return WB_OK;
    }
    return WB_ERR_INVALID;
}

int net__addr_pick(const struct addrinfo *res, uint16_t port, struct sockaddr_storage *out)
{
    const struct addrinfo *pick = NULL;
    for (const struct addrinfo *a = res; a; a = a->ai_next) {
        if (a->ai_family == AF_INET) {
            pick = a;
            break;
        }
        if (a->ai_family == AF_INET6 && !pick) pick = a;
    }
    if (!pick || pick->ai_addrlen > sizeof *out) return WB_ERR_NOT_FOUND;
    memset(out, 0, sizeof *out);
    memcpy(out, pick->ai_addr, pick->ai_addrlen);
    if (out->ss_family == AF_INET) ((struct sockaddr_in *)out)->sin_port = htons(port);
    else ((struct sockaddr_in6 *)out)->sin6_port = htons(port);
    return WB_OK;
}

const char *net__resolve_why(int uv_status)
{
    /* libuv's texts for the resolver's answers, as getaddrinfo gives them;
     * a lookup that succeeded with no usable address has status 0. */
    return uv_status ? uv_strerror(uv_status) : "no IPv4 or IPv6 address";
}

void net__addr_format(const struct sockaddr *sa, char out[NET_ADDR_MAX])
{
    char ip[48];
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        if (uv_ip6_name(s6, ip, sizeof ip) != 0) strcpy(ip, "?");
        snprintf(out, NET_ADDR_MAX, "[%s]:%u", ip, (unsigned)ntohs(s6->sin6_port));
    } else if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        if (uv_ip4_name(s4, ip, sizeof ip) != 0) strcpy(ip, "?");
        snprintf(out, NET_ADDR_MAX, "%s:%u", ip, (unsigned)ntohs(s4->sin_port));
    } else {
        snprintf(out, NET_ADDR_MAX, "?");
    }
}
