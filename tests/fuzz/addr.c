/* Fuzz target: text through the one address grammar (common/addr.h), as
 * host:port (with and without port 0) and as a host alone. An accepted
 * address formats and parses back to an equal one, and a name is never one
 * that libc would read as a number; a refused one has the one message. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "common/wb_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "addr target: %s (%s)\n", what, detail);
    abort();
}

static void check_accepted(const struct wb_addr *a, const char *text, unsigned flags)
{
    size_t n = strnlen(a->host, sizeof a->host);
    if (n == 0 || n > WB_ADDR_HOST_MAX) fail("host length", text);
    unsigned char bin[sizeof(struct in6_addr)];
    struct in_addr v4;
    switch (a->kind) {
    case WB_ADDR_IPV4:
        if (inet_pton(AF_INET, a->host, bin) != 1) fail("IPv4 host inet_pton refuses", text);
        break;
    case WB_ADDR_IPV6:
        if (inet_pton(AF_INET6, a->host, bin) != 1) fail("IPv6 host inet_pton refuses", text);
        break;
    case WB_ADDR_NAME:
        /* getaddrinfo tries inet_aton first: a name must never be a number. */
        if (inet_aton(a->host, &v4) != 0) fail("name reads as an IPv4 number", text);
        if (strspn(a->host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") !=
            n)
            fail("name has a character outside the grammar", text);
        break;
    default:
        fail("unknown kind", text);
    }
    char out[WB_ADDR_STR_MAX];
    wb_addr_format(a, out, sizeof out);
    struct wb_addr back;
    int rc = a->port ? wb_addr_parse_opt(out, flags, &back, NULL, 0)
                     : wb_addr_parse_host(out, &back, NULL, 0);
    if (rc != WB_OK) fail("formatted address does not parse", out);
    if (!wb_addr_equal(a, &back) || strcmp(a->host, back.host) != 0 || a->kind != back.kind)
        fail("address does not survive format and parse", out);
}

static void check_refused(const struct wb_addr *a, const char *msg, const char *start,
                          const char *end, const char *text)
{
    static const struct wb_addr zero;
    if (memcmp(a, &zero, sizeof zero) != 0) fail("refused address not zeroed", text);
    size_t n = strlen(msg), e = strlen(end);
    if (n + 1 >= WB_ADDR_MSG_MAX) fail("message may be truncated", msg);
    if (strncmp(msg, "'", 1) != 0 || !strstr(msg, start)) fail("message shape", msg);
    if (n < e || strcmp(msg + n - e, end) != 0) fail("message does not end as expected", msg);
    for (size_t i = 0; i < n; i++)
        if (msg[i] < 0x20 || msg[i] > 0x7e) fail("message has a non-printable byte", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1024) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct wb_addr a;
    char msg[WB_ADDR_MSG_MAX];
    for (unsigned flags = 0; flags <= WB_ADDR_PORT_ANY; flags += WB_ADDR_PORT_ANY) {
        msg[0] = '\0';
        if (wb_addr_parse_opt(text, flags, &a, msg, sizeof msg) == WB_OK) {
            if (a.port == 0 && !(flags & WB_ADDR_PORT_ANY)) fail("port 0 accepted", text);
            check_accepted(&a, text, flags);
        } else {
            check_refused(&a, msg, "' is not host:port: ", "(" WB_ADDR_EXPECT ")", text);
        }
    }
    msg[0] = '\0';
    if (wb_addr_parse_host(text, &a, msg, sizeof msg) == WB_OK) {
        if (a.port != 0) fail("host alone has a port", text);
        check_accepted(&a, text, 0);
    } else {
        check_refused(&a, msg, "' is not a host: ", "(" WB_ADDR_HOST_EXPECT ")", text);
    }
    free(text);
    return 0;
}
