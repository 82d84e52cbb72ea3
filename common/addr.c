/* host:port: the one parser, formatter and comparison of network addresses
 * (grammar in addr.h), with one message text for every caller. */
#include "common/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/wb_error.h"

#define ADDR_LABEL_MAX 63
#define ADDR_IPV6_TEXT_MAX 45 /* INET6_ADDRSTRLEN without the NUL */
/* Echoes of the input in messages: the whole text, and a part of it. */
#define ADDR_ECHO_TEXT 64
#define ADDR_ECHO_PART 40
#define ADDR_ECHO_BUF (ADDR_ECHO_TEXT + 4)
#define ADDR_WHY_MAX 192

/* The reason an address is refused, built while parsing. */
struct addr_why {
    char text[ADDR_WHY_MAX];
};

static void addr_why(struct addr_why *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void addr_why(struct addr_why *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->text, sizeof w->text, fmt, ap);
    va_end(ap);
}

/* s[0..n) for a message: printable ASCII, anything else '?', at most max
 * characters and then "...". out holds max + 4 bytes. */
static const char *addr_echo(const char *s, size_t n, size_t max, char *out)
{
    size_t i = 0;
    for (; i < n && i < max; i++) out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (i < n) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
    return out;
}

static bool addr_digit(char c) { return c >= '0' && c <= '9'; }

static bool addr_alnum(char c)
{
    return addr_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool addr_hex(char c)
{
    return addr_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A label a numeric parser (inet_aton, which getaddrinfo consults first)
 * would read as a number: decimal digits, or 0x and hex digits. */
static bool addr_numeric_label(const char *l, size_t n)
{
    size_t i = 0;
    if (n >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X')) {
        for (i = 2; i < n && addr_hex(l[i]); i++) {}
        return i == n;
    }
    for (; i < n && addr_digit(l[i]); i++) {}
    return n > 0 && i == n;
}

/* Dotted quad h[0..n) (only digits and dots). */
static bool addr_check_ipv4(const char *h, size_t n, struct addr_why *w)
{
    char e[ADDR_ECHO_BUF], pe[ADDR_ECHO_BUF];
    size_t parts = 0, i = 0;
    while (i <= n) {
        size_t start = i;
        while (i < n && h[i] != '.') i++;
        size_t len = i - start;
        const char *p = h + start;
        parts++;
        if (len == 0) {
            addr_why(w, "host '%s' is not an IPv4 address: it has an empty part",
                     addr_echo(h, n, ADDR_ECHO_PART, e));
            return false;
        }
        unsigned v = 0;
        for (size_t k = 0; k < len && k < 4; k++) v = v * 10 + (unsigned)(p[k] - '0');
        if (len > 3 || v > 255) {
            addr_why(w, "host '%s' is not an IPv4 address: part '%s' is over 255",
                     addr_echo(h, n, ADDR_ECHO_PART, e), addr_echo(p, len, 8, pe));
            return false;
        }
        if (len > 1 && p[0] == '0') {
            addr_why(w, "host '%s' is not an IPv4 address: part '%s' has a leading zero",
                     addr_echo(h, n, ADDR_ECHO_PART, e), addr_echo(p, len, 8, pe));
            return false;
        }
        i++; /* past the dot, or past the end */
    }
    if (parts != 4) {
        addr_why(w, "host '%s' is not an IPv4 address: it has %zu part%s, not 4",
                 addr_echo(h, n, ADDR_ECHO_PART, e), parts, parts == 1 ? "" : "s");
        return false;
    }
    return true;
}

/* RFC 1123 name h[0..n), as addr.h describes it. */
static bool addr_check_name(const char *h, size_t n, struct addr_why *w)
{
    char e[ADDR_ECHO_BUF], le[ADDR_ECHO_BUF];
    addr_echo(h, n, ADDR_ECHO_PART, e);
    size_t body = n > 1 && h[n - 1] == '.' ? n - 1 : n; /* without the trailing dot */
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (addr_alnum(c) || c == '-' || c == '.') continue;
        if (c == ':')
            addr_why(w, "host '%s' has ':'; an IPv6 address goes in brackets", e);
        else if (c > 0x20 && c < 0x7f)
            addr_why(w, "host '%s' has '%c'", e, c);
        else if (c == ' ')
            addr_why(w, "host '%s' has a space", e);
        else
            addr_why(w, "host '%s' has the byte 0x%02x", e, (unsigned)(unsigned char)c);
        return false;
    }
    if (body > WB_ADDR_NAME_MAX) {
        addr_why(w, "host '%s' is longer than %d characters", e, WB_ADDR_NAME_MAX);
        return false;
    }
    size_t i = 0, last = 0, last_len = 0;
    while (i <= body) {
        size_t start = i;
        while (i < body && h[i] != '.') i++;
        size_t len = i - start;
        if (len == 0) {
            addr_why(w, "host '%s' has an empty label", e);
            return false;
        }
        if (len > ADDR_LABEL_MAX) {
            addr_why(w, "host '%s' has a label longer than %d characters", e, ADDR_LABEL_MAX);
            return false;
        }
        if (h[start] == '-') {
            addr_why(w, "host '%s' has a label starting with '-'", e);
            return false;
        }
        if (h[i - 1] == '-') {
            addr_why(w, "host '%s' has a label ending with '-'", e);
            return false;
        }
        last = start;
        last_len = len;
        i++;
    }
    if (addr_numeric_label(h + last, last_len)) {
        addr_why(w, "host '%s' ends in the numeric label '%s' (a name's last label is not a "
                 "number)",
                 e, addr_echo(h + last, last_len, ADDR_ECHO_PART, le));
        return false;
    }
    return true;
}

/* Host h[0..n), the text between the brackets when `bracketed`. Fills
 * out->host and out->kind. */
static bool addr_check_host(const char *h, size_t n, bool bracketed, struct wb_addr *out,
                            struct addr_why *w)
{
    char e[ADDR_ECHO_BUF];
    if (bracketed) {
        char buf[ADDR_IPV6_TEXT_MAX + 1];
        unsigned char bin[sizeof(struct in6_addr)];
        if (n == 0) {
            addr_why(w, "the brackets hold no IPv6 address");
            return false;
        }
        if (n > ADDR_IPV6_TEXT_MAX || memchr(h, '\0', n)) goto not_v6;
        memcpy(buf, h, n);
        buf[n] = '\0';
        if (inet_pton(AF_INET6, buf, bin) != 1) goto not_v6;
        memcpy(out->host, buf, n + 1);
        out->kind = WB_ADDR_IPV6;
        return true;
    not_v6:
        addr_why(w, "host '[%s]' is not an IPv6 address", addr_echo(h, n, ADDR_ECHO_PART, e));
        return false;
    }
    if (n == 0) {
        addr_why(w, "the host is empty");
        return false;
    }
    /* Digits and dots only (at least one digit): it can only mean IPv4. */
    bool numeric = false;
    for (size_t i = 0; i < n; i++) {
        if (addr_digit(h[i])) numeric = true;
        else if (h[i] != '.') {
            numeric = false;
            break;
        }
    }
    if (numeric ? !addr_check_ipv4(h, n, w) : !addr_check_name(h, n, w)) return false;
    /* Both checks bound n: a quad is at most 15 bytes, a name WB_ADDR_HOST_MAX. */
    memcpy(out->host, h, n);
    out->host[n] = '\0';
    out->kind = numeric ? WB_ADDR_IPV4 : WB_ADDR_NAME;
    return true;
}

static bool addr_check_port(const char *p, unsigned flags, struct wb_addr *out,
                            struct addr_why *w)
{
    char e[ADDR_ECHO_BUF];
    size_t n = strlen(p);
    if (n == 0) {
        addr_why(w, "no port after ':'");
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (!addr_digit(p[i])) {
            addr_why(w, "port '%s' is not a decimal number", addr_echo(p, n, 8, e));
            return false;
        }
    if (n > 1 && p[0] == '0') {
        addr_why(w, "port '%s' has a leading zero", addr_echo(p, n, 8, e));
        return false;
    }
    unsigned long v = 0;
    for (size_t i = 0; i < n && i < 6; i++) v = v * 10 + (unsigned long)(p[i] - '0');
    if (n > 5 || v > 65535) {
        addr_why(w, "port '%s' is over 65535", addr_echo(p, n, 8, e));
        return false;
    }
    if (v == 0 && !(flags & WB_ADDR_PORT_ANY)) {
        addr_why(w, "port 0 is not 1 to 65535");
        return false;
    }
    out->port = (uint16_t)v;
    return true;
}

static bool addr_parse(const char *text, unsigned flags, struct wb_addr *out,
                       struct addr_why *w)
{
    size_t n = strlen(text);
    if (n == 0) {
        addr_why(w, "it is empty");
        return false;
    }
    if (n > WB_ADDR_TEXT_MAX) {
        addr_why(w, "it is longer than %d characters", WB_ADDR_TEXT_MAX);
        return false;
    }
    const char *port;
    if (text[0] == '[') {
        const char *close = memchr(text, ']', n);
        if (!close) {
            addr_why(w, "no ']' closes the IPv6 address");
            return false;
        }
        if (!addr_check_host(text + 1, (size_t)(close - text - 1), true, out, w)) return false;
        if (close[1] != ':') {
            addr_why(w, "no ':port' after ']'");
            return false;
        }
        port = close + 2;
    } else {
        const char *colon = strrchr(text, ':');
        if (!colon) {
            addr_why(w, "no ':port' after the host");
            return false;
        }
        if (!addr_check_host(text, (size_t)(colon - text), false, out, w)) return false;
        port = colon + 1;
    }
    return addr_check_port(port, flags, out, w);
}

int wb_addr_parse_opt(const char *text, unsigned flags, struct wb_addr *out, char *msg,
                      size_t msg_len)
{
    struct addr_why w = {{0}};
    memset(out, 0, sizeof *out);
    if (!text) text = "";
    if (addr_parse(text, flags, out, &w)) return WB_OK;
    memset(out, 0, sizeof *out);
    if (msg && msg_len) {
        char e[ADDR_ECHO_BUF];
        snprintf(msg, msg_len, "'%s' is not host:port: %s (" WB_ADDR_EXPECT ")",
                 addr_echo(text, strlen(text), ADDR_ECHO_TEXT, e), w.text);
    }
    return WB_ERR_INVALID;
}

int wb_addr_parse(const char *text, struct wb_addr *out, char *msg, size_t msg_len)
{
    return wb_addr_parse_opt(text, 0, out, msg, msg_len);
}

int wb_addr_parse_host(const char *text, struct wb_addr *out, char *msg, size_t msg_len)
{
    struct addr_why w = {{0}};
    memset(out, 0, sizeof *out);
    if (!text) text = "";
    size_t n = strlen(text);
    bool ok;
    if (n == 0) {
        addr_why(&w, "it is empty");
        ok = false;
    } else if (n > WB_ADDR_HOST_MAX) {
        addr_why(&w, "it is longer than %d characters", WB_ADDR_HOST_MAX);
        ok = false;
    } else if (text[0] == '[') {
        const char *close = memchr(text, ']', n);
        if (!close) {
            addr_why(&w, "no ']' closes the IPv6 address");
            ok = false;
        } else if (close[1] != '\0') {
            addr_why(&w, "something follows ']'");
            ok = false;
        } else {
            ok = addr_check_host(text + 1, n - 2, true, out, &w);
        }
    } else {
        ok = addr_check_host(text, n, false, out, &w);
    }
    if (ok) return WB_OK;
    memset(out, 0, sizeof *out);
    if (msg && msg_len) {
        char e[ADDR_ECHO_BUF];
        snprintf(msg, msg_len, "'%s' is not a host: %s (" WB_ADDR_HOST_EXPECT ")",
                 addr_echo(text, n, ADDR_ECHO_TEXT, e), w.text);
    }
    return WB_ERR_INVALID;
}

char *wb_addr_format(const struct wb_addr *a, char *out, size_t cap)
{
    if (!cap) return out;
    bool v6 = a->kind == WB_ADDR_IPV6;
    if (a->port)
        snprintf(out, cap, "%s%s%s:%u", v6 ? "[" : "", a->host, v6 ? "]" : "", (unsigned)a->port);
    else
        snprintf(out, cap, "%s%s%s", v6 ? "[" : "", a->host, v6 ? "]" : "");
    return out;
}

bool wb_addr_equal(const struct wb_addr *a, const struct wb_addr *b)
{
    if (a->kind != b->kind || a->port != b->port) return false;
    switch (a->kind) {
    case WB_ADDR_NAME: {
        size_t na = strlen(a->host), nb = strlen(b->host);
        if (na > 1 && a->host[na - 1] == '.') na--;
        if (nb > 1 && b->host[nb - 1] == '.') nb--;
        return na == nb && strncasecmp(a->host, b->host, na) == 0;
    }
    case WB_ADDR_IPV6: {
        unsigned char x[sizeof(struct in6_addr)], y[sizeof(struct in6_addr)];
        return inet_pton(AF_INET6, a->host, x) == 1 && inet_pton(AF_INET6, b->host, y) == 1 &&
               memcmp(x, y, sizeof x) == 0;
    }
    case WB_ADDR_IPV4:
        return strcmp(a->host, b->host) == 0;
    }
    return false;
}
