/* Unit tests of common/addr: the one host:port grammar (names, IPv4, IPv6,
 * ports), its exact messages, formatting back, equality, and a host alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "common/wb_error.h"

#define TAIL " (" WB_ADDR_EXPECT ")"

static void accepts_names_ipv4_and_bracketed_ipv6(void **state)
{
    (void)state;
    static const struct {
        const char *in, *host;
        unsigned port;
        enum wb_addr_kind kind;
    } good[] = {
        {"127.0.0.1:1", "127.0.0.1", 1, WB_ADDR_IPV4},
        {"0.0.0.0:65535", "0.0.0.0", 65535, WB_ADDR_IPV4},
        {"255.255.255.255:80", "255.255.255.255", 80, WB_ADDR_IPV4},
        {"10.0.0.10:26600", "10.0.0.10", 26600, WB_ADDR_IPV4},
        {"[::1]:7000", "::1", 7000, WB_ADDR_IPV6},
        {"[::]:7000", "::", 7000, WB_ADDR_IPV6},
        {"[2001:db8::7]:26600", "2001:db8::7", 26600, WB_ADDR_IPV6},
        {"[::ffff:192.0.2.1]:1", "::ffff:192.0.2.1", 1, WB_ADDR_IPV6},
        {"localhost:80", "localhost", 80, WB_ADDR_NAME},
        {"node-1.Example.com:26600", "node-1.Example.com", 26600, WB_ADDR_NAME},
        {"waybill.acme.example.:26600", "waybill.acme.example.", 26600, WB_ADDR_NAME},
        {"3com.example:1", "3com.example", 1, WB_ADDR_NAME},
        {"a:1", "a", 1, WB_ADDR_NAME},
        {"x1:1", "x1", 1, WB_ADDR_NAME},
        {"1.2.3.4a:1", "1.2.3.4a", 1, WB_ADDR_NAME},
        {"xn--bcher-kva.example:443", "xn--bcher-kva.example", 443, WB_ADDR_NAME},
    };
    struct wb_addr a;
    char msg[WB_ADDR_MSG_MAX], out[WB_ADDR_STR_MAX];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (wb_addr_parse(good[i].in, &a, msg, sizeof msg) != WB_OK)
            fail_msg("'%s' was refused: %s", good[i].in, msg);
        assert_string_equal(a.host, good[i].host);
        assert_int_equal(a.port, good[i].port);
        assert_int_equal(a.kind, good[i].kind);
        assert_string_equal(wb_addr_format(&a, out, sizeof out), good[i].in);
    }
}

static void refuses_with_one_exact_message(void **state)
{
    (void)state;
    static const struct {
        const char *in, *why;
    } bad[] = {
        /* the example: the genesis accepted it, the node could not dial it */
        {"node_1:27101", "host 'node_1' has '_'"},
        {"", "it is empty"},
        {"localhost", "no ':port' after the host"},
        {":80", "the host is empty"},
        {"host:", "no port after ':'"},
        {"host:0", "port 0 is not 1 to 65535"},
        {"host:65536", "port '65536' is over 65535"},
        {"host:123456", "port '123456' is over 65535"},
        {"host:+80", "port '+80' is not a decimal number"},
        {"host:-1", "port '-1' is not a decimal number"},
        {"host:8o", "port '8o' is not a decimal number"},
        {"host:080", "port '080' has a leading zero"},
        {"host:80 ", "port '80 ' is not a decimal number"},
        {"256.1.1.1:80", "host '256.1.1.1' is not an IPv4 address: part '256' is over 255"},
        {"1.2.3.1000:80", "host '1.2.3.1000' is not an IPv4 address: part '1000' is over 255"},
        {"1.2.3:80", "host '1.2.3' is not an IPv4 address: it has 3 parts, not 4"},
        {"1.2.3.4.5:80", "host '1.2.3.4.5' is not an IPv4 address: it has 5 parts, not 4"},
        {"2130706433:80", "host '2130706433' is not an IPv4 address: part '21307064...' is "
                          "over 255"},
        {"127:80", "host '127' is not an IPv4 address: it has 1 part, not 4"},
        {"01.2.3.4:80", "host '01.2.3.4' is not an IPv4 address: part '01' has a leading zero"},
        {"1..2.3:80", "host '1..2.3' is not an IPv4 address: it has an empty part"},
        {"1.2.3.4.:80", "host '1.2.3.4.' is not an IPv4 address: it has an empty part"},
        {"::1:80", "host '::1' has ':'; an IPv6 address goes in brackets"},
        {"a:b:80", "host 'a:b' has ':'; an IPv6 address goes in brackets"},
        {"[::1:80", "no ']' closes the IPv6 address"},
        {"[::1]", "no ':port' after ']'"},
        {"[::1]7000", "no ':port' after ']'"},
        {"[]:80", "the brackets hold no IPv6 address"},
        {"[nothost]:80", "host '[nothost]' is not an IPv6 address"},
        {"[127.0.0.1]:80", "host '[127.0.0.1]' is not an IPv6 address"},
        {"[fe80::1%eth0]:80", "host '[fe80::1%eth0]' is not an IPv6 address"},
        {"-bad.com:80", "host '-bad.com' has a label starting with '-'"},
        {"bad-.com:80", "host 'bad-.com' has a label ending with '-'"},
        {"a..b:80", "host 'a..b' has an empty label"},
        {".a:80", "host '.a' has an empty label"},
        {".:80", "host '.' has an empty label"},
        {"a..:80", "host 'a..' has an empty label"},
        {"host name:80", "host 'host name' has a space"},
        {" host:80", "host ' host' has a space"},
        {"h\tst:80", "host 'h?st' has the byte 0x09"},
        {"caf\xc3\xa9.example:80", "host 'caf??.example' has the byte 0xc3"},
        {"a[b:80", "host 'a[b' has '['"},
        {"example.123:80", "host 'example.123' ends in the numeric label '123' (a name's last "
                           "label is not a number)"},
        {"0x7f000001:80", "host '0x7f000001' ends in the numeric label '0x7f000001' (a name's "
                          "last label is not a number)"},
        {"0x7f.1:80", "host '0x7f.1' ends in the numeric label '1' (a name's last label is not "
                      "a number)"},
        {"a.0X:80", "host 'a.0X' ends in the numeric label '0X' (a name's last label is not a "
                    "number)"},
    };
    struct wb_addr a;
    char msg[WB_ADDR_MSG_MAX], want[WB_ADDR_MSG_MAX + 64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&a, 0x5a, sizeof a);
        if (wb_addr_parse(bad[i].in, &a, msg, sizeof msg) != WB_ERR_INVALID)
            fail_msg("'%s' was accepted as %s:%u", bad[i].in, a.host, a.port);
        char echo[96];
        size_t k = 0;
        for (const char *c = bad[i].in; *c; c++) echo[k++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
        echo[k] = '\0';
        snprintf(want, sizeof want, "'%s' is not host:port: %s" TAIL, echo, bad[i].why);
        if (strcmp(msg, want) != 0) fail_msg("for '%s'\n got: %s\nwant: %s", echo, msg, want);
        /* Refused: nothing half-parsed is left. */
        static const struct wb_addr zero;
        assert_memory_equal(&a, &zero, sizeof a);
    }
    /* NULL is an empty address; no message buffer is fine. */
    assert_int_equal(wb_addr_parse(NULL, &a, msg, sizeof msg), WB_ERR_INVALID);
    assert_string_equal(msg, "'' is not host:port: it is empty" TAIL);
    assert_int_equal(wb_addr_parse("node_1:1", &a, NULL, 0), WB_ERR_INVALID);
}

static void name_lengths_and_trailing_dot(void **state)
{
    (void)state;
    struct wb_addr a;
    char msg[WB_ADDR_MSG_MAX], text[WB_ADDR_STR_MAX + 16], out[WB_ADDR_STR_MAX];
    /* A label of 63 characters is fine, 64 is not. */
    char label[70];
    memset(label, 'l', 64);
    label[64] = '\0';
    snprintf(text, sizeof text, "%s.example:1", label + 1);
    assert_int_equal(wb_addr_parse(text, &a, msg, sizeof msg), WB_OK);
    snprintf(text, sizeof text, "%s.example:1", label);
    assert_int_equal(wb_addr_parse(text, &a, msg, sizeof msg), WB_ERR_INVALID);
    assert_non_null(strstr(msg, "has a label longer than 63 characters" TAIL));
    /* Echoes of long input are shortened. */
    assert_non_null(strstr(msg, "' is not host:port: host 'lllll"));
    assert_non_null(strstr(msg, "...' has a label"));

    /* 253 characters of name, with or without the trailing dot; then 254. */
    char host[WB_ADDR_NAME_MAX + 3];
    memset(host, 'a', sizeof host);
    for (size_t i = 63; i < sizeof host; i += 64) host[i] = '.';
    host[WB_ADDR_NAME_MAX] = '\0';
    snprintf(text, sizeof text, "%s:65535", host);
    assert_int_equal(wb_addr_parse(text, &a, msg, sizeof msg), WB_OK);
    assert_int_equal(strlen(a.host), WB_ADDR_NAME_MAX);
    snprintf(text, sizeof text, "%s.:65535", host);
    assert_int_equal(strlen(text), WB_ADDR_TEXT_MAX);
    if (wb_addr_parse(text, &a, msg, sizeof msg) != WB_OK) fail_msg("%s", msg);
    assert_int_equal(strlen(a.host), WB_ADDR_HOST_MAX);
    assert_string_equal(wb_addr_format(&a, out, sizeof out), text);
    host[WB_ADDR_NAME_MAX] = 'a';
    host[WB_ADDR_NAME_MAX + 1] = '\0';
    snprintf(text, sizeof text, "%s:65535", host);
    assert_int_equal(wb_addr_parse(text, &a, msg, sizeof msg), WB_ERR_INVALID);
    assert_non_null(strstr(msg, "is longer than 253 characters" TAIL));
    snprintf(text, sizeof text, "%s.:65535", host);
    assert_int_equal(wb_addr_parse(text, &a, msg, sizeof msg), WB_ERR_INVALID);
    assert_non_null(strstr(msg, ": it is longer than 260 characters" TAIL));

    /* The message fits its documented buffer, whatever is echoed. */
    /* The longest reason: long echoes of the text, the host and its label. */
    char worst[WB_ADDR_TEXT_MAX + 1];
    memset(worst, 'w', sizeof worst);
    worst[63] = worst[127] = '.';
    memcpy(worst + 128, "0x", 2);
    memset(worst + 130, 'f', 61);
    memcpy(worst + 191, ":65535", 7);
    assert_int_equal(wb_addr_parse(worst, &a, msg, sizeof msg), WB_ERR_INVALID);
    assert_true(strlen(msg) + 1 < sizeof msg);
    assert_non_null(strstr(msg, "ends in the numeric label '0xffff"));
    assert_non_null(strstr(msg, TAIL));
}

static void port_zero_only_when_asked(void **state)
{
    (void)state;
    struct wb_addr a;
    char msg[WB_ADDR_MSG_MAX];
    assert_int_equal(wb_addr_parse_opt("127.0.0.1:0", WB_ADDR_PORT_ANY, &a, msg, sizeof msg),
                     WB_OK);
    assert_int_equal(a.port, 0);
    assert_int_equal(wb_addr_parse_opt("localhost:0", WB_ADDR_PORT_ANY, &a, msg, sizeof msg),
                     WB_OK);
    assert_int_equal(wb_addr_parse_opt("localhost:00", WB_ADDR_PORT_ANY, &a, msg, sizeof msg),
                     WB_ERR_INVALID);
    assert_int_equal(wb_addr_parse_opt("localhost:0", 0, &a, msg, sizeof msg), WB_ERR_INVALID);
    assert_string_equal(msg, "'localhost:0' is not host:port: port 0 is not 1 to 65535" TAIL);
}

static void equal_compares_endpoints_as_written(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        bool equal;
    } cases[] = {
        {"Node-1.Example.org:1", "node-1.example.ORG.:1", true},
        {"node-1.example.org:1", "node-1.example.org:2", false},
        {"node-1.example.org:1", "node-2.example.org:1", false},
        {"a:1", "a.b:1", false},
        {"[::1]:7000", "[0:0::1]:7000", true},
        {"[::1]:7000", "[::2]:7000", false},
        {"[::ffff:127.0.0.1]:1", "127.0.0.1:1", false}, /* kinds differ */
        {"127.0.0.1:1", "127.0.0.1:1", true},
        {"localhost:1", "127.0.0.1:1", false},          /* names are not resolved */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct wb_addr a, b;
        assert_int_equal(wb_addr_parse(cases[i].a, &a, NULL, 0), WB_OK);
        assert_int_equal(wb_addr_parse(cases[i].b, &b, NULL, 0), WB_OK);
        if (wb_addr_equal(&a, &b) != cases[i].equal || wb_addr_equal(&b, &a) != cases[i].equal)
            fail_msg("'%s' and '%s': expected %s", cases[i].a, cases[i].b,
                     cases[i].equal ? "equal" : "different");
    }
}

static void host_alone(void **state)
{
    (void)state;
    struct wb_addr a;
    char msg[WB_ADDR_MSG_MAX], out[WB_ADDR_STR_MAX];
    assert_int_equal(wb_addr_parse_host("localhost", &a, msg, sizeof msg), WB_OK);
    assert_int_equal(a.kind, WB_ADDR_NAME);
    assert_int_equal(a.port, 0);
    assert_string_equal(wb_addr_format(&a, out, sizeof out), "localhost");
    assert_int_equal(wb_addr_parse_host("[::1]", &a, msg, sizeof msg), WB_OK);
    assert_int_equal(a.kind, WB_ADDR_IPV6);
    assert_string_equal(a.host, "::1");
    assert_string_equal(wb_addr_format(&a, out, sizeof out), "[::1]");
    a.port = 26600;
    assert_string_equal(wb_addr_format(&a, out, sizeof out), "[::1]:26600");
    assert_int_equal(wb_addr_parse_host("127.0.0.1", &a, msg, sizeof msg), WB_OK);
    assert_int_equal(a.kind, WB_ADDR_IPV4);

    static const struct {
        const char *in, *why;
    } bad[] = {
        {"node_1", "host 'node_1' has '_'"},
        {"::1", "host '::1' has ':'; an IPv6 address goes in brackets"},
        {"localhost:1", "host 'localhost:1' has ':'; an IPv6 address goes in brackets"},
        {"[::1]:1", "something follows ']'"},
        {"[::1", "no ']' closes the IPv6 address"},
        {"", "it is empty"},
        {"1.2.3", "host '1.2.3' is not an IPv4 address: it has 3 parts, not 4"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[WB_ADDR_MSG_MAX + 64];
        assert_int_equal(wb_addr_parse_host(bad[i].in, &a, msg, sizeof msg), WB_ERR_INVALID);
        snprintf(want, sizeof want, "'%s' is not a host: %s (" WB_ADDR_HOST_EXPECT ")",
                 bad[i].in, bad[i].why);
        assert_string_equal(msg, want);
    }
}

/* A short buffer gets a truncated, terminated message; format truncates too. */
static void short_buffers_truncate(void **state)
{
    (void)state;
    struct wb_addr a;
    char msg[12];
    memset(msg, 'x', sizeof msg);
    assert_int_equal(wb_addr_parse("node_1:27101", &a, msg, sizeof msg), WB_ERR_INVALID);
    assert_string_equal(msg, "'node_1:271");
    assert_int_equal(wb_addr_parse("[2001:db8::7]:26600", &a, NULL, 0), WB_OK);
    char out[8];
    assert_string_equal(wb_addr_format(&a, out, sizeof out), "[2001:d");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_names_ipv4_and_bracketed_ipv6),
        cmocka_unit_test(refuses_with_one_exact_message),
        cmocka_unit_test(name_lengths_and_trailing_dot),
        cmocka_unit_test(port_zero_only_when_asked),
        cmocka_unit_test(equal_compares_endpoints_as_written),
        cmocka_unit_test(host_alone),
        cmocka_unit_test(short_buffers_truncate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
