/* "host:port" parsing and formatting for the net transport: IPv4 and
 * bracketed IPv6 literals, or a DNS name left for the resolver. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "node/net_internal.h"

/* Letters, digits, '-' and '.', labels of 1..63 characters, at most 253. */
static bool net_host_name_ok(const char *h)
{
    size_t n = strlen(h), label = 0;
    if (n == 0 || n > 253) return false;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  (c == '-' && label > 0);
        if (!ok || ++label > 63) return false;
    }
    return true;
}

int net__addr_parse(const char *text, struct sockaddr_storage *out, char name[NET_ADDR_MAX],
                    uint16_t *port_out)
{
    if (!text) return WB_ERR_INVALID;
    size_t n = strlen(text);
    if (n == 0 || n >= NET_ADDR_MAX) return WB_ERR_INVALID;

    char host[NET_ADDR_MAX];
    const char *port_text;
    bool v6 = false;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':') return WB_ERR_INVALID;
        size_t hl = (size_t)(close - text - 1);
        memcpy(host, text + 1, hl);
        host[hl] = '\0';
        port_text = close + 2;
        v6 = true;
    } else {
        const char *colon = strrchr(text, ':');
        if (!colon || strchr(text, ':') != colon) return WB_ERR_INVALID;
        size_t hl = (size_t)(colon - text);
        memcpy(host, text, hl);
        host[hl] = '\0';
        port_text = colon + 1;
    }
    if (host[0] == '\0' || port_text[0] == '\0' || strlen(port_text) > 5) return WB_ERR_INVALID;
    unsigned long port = 0;
    for (const char *p = port_text; *p; p++) {
        if (*p < '0' || *p > '9') return WB_ERR_INVALID;
        port = port * 10 + (unsigned long)(*p - '0');
    }
    if (port > 65535) return WB_ERR_INVALID;

    memset(out, 0, sizeof *out);
    name[0] = '\0';
    *port_out = (uint16_t)port;
    if (v6) {
        return uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)out) == 0 ? WB_OK
                                                                             : WB_ERR_INVALID;
    }
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)out) == 0) return WB_OK;
    /* Not a dotted quad: a name for the resolver, unless it looks like a
     * malformed number (all digits and dots). */
    if (strspn(host, "0123456789.") == strlen(host) || !net_host_name_ok(host))
        return WB_ERR_INVALID;
    memset(out, 0, sizeof *out);
    memcpy(name, host, strlen(host) + 1);
    return WB_OK;
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
