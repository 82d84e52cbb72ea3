/* Item id and location validation: ISO 6346 container numbers, GS1 SSCC,
 * GTIN + serial, urn: identifiers, UN/LOCODE (its country in the ISO 3166-1
 * table) and GLN, with check digits; and the case the CLI gives typed ids. */
#include "ledger/ids.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/wb_error.h"
#include "ledger/country.h"
#include "ledger/types.h"

/* Ids echoed into messages come from clients and peers: at most this many
 * bytes of them are shown, non-printable bytes as '?'. */
#define ECHO_MAX 48
#define ECHO_BUF (ECHO_MAX + 4)

#define SSCC_LEN 18
#define GTIN_LEN 14
#define GLN_LEN 13
#define LOCODE_LEN 5
#define CONTAINER_LEN 11
#define SERIAL_MAX 20

static const char *echo(const char *s, char out[ECHO_BUF])
{
    size_t i = 0;
    for (; s[i] && i < ECHO_MAX; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (s[i]) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
    return out;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_alpha(char c) { return is_upper(c) || (c >= 'a' && c <= 'z'); }

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i])) return false;
    return true;
}

/* ISO 6346 letter values: A = 10, counting up and skipping 11, 22 and 33. */
static const unsigned char iso6346_letter[26] = {
    10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24,
    25, 26, 27, 28, 29, 30, 31, 32, 34, 35, 36, 37, 38,
};

int ledger_iso6346_check_digit(const char *first10)
{
    if (!first10) return -1;
    unsigned long sum = 0;
    for (unsigned i = 0; i < 10; i++) {
        char c = first10[i];
        unsigned v;
        if (i < 4 && is_upper(c))
            v = iso6346_letter[c - 'A'];
        else if (i >= 4 && is_digit(c))
            v = (unsigned)(c - '0');
        else
            return -1;
        sum += (unsigned long)v << i;
    }
    return (int)(sum % 11 % 10);
}

int ledger_gs1_check_digit(const char *digits, size_t n)
{
    if (!digits) return -1;
    unsigned long sum = 0;
    /* Weights 3, 1, 3, ... counted from the rightmost digit. */
    for (size_t i = 0; i < n; i++) {
        char c = digits[n - 1 - i];
        if (!is_digit(c)) return -1;
        sum += (unsigned long)(c - '0') * (i % 2 == 0 ? 3u : 1u);
    }
    return (int)((10 - sum % 10) % 10);
}

static int check_container(const char *id, size_t len, char *msg, size_t msg_len)
{
    char e[ECHO_BUF];
    if (len != CONTAINER_LEN)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "container number %s: expected 11 characters (3-letter owner code, "
                        "category U, J or Z, 6-digit serial, check digit), got %zu",
                        echo(id, e), len);
    if (!is_upper(id[0]) || !is_upper(id[1]) || !is_upper(id[2]))
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "container number %s: owner code must be 3 uppercase letters A-Z",
                        echo(id, e));
    if (id[3] != 'U' && id[3] != 'J' && id[3] != 'Z')
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "container number %s: category is '%c', expected U, J or Z", echo(id, e),
                        is_alpha(id[3]) ? id[3] : '?');
    if (!all_digits(id + 4, 6))
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "container number %s: serial number must be 6 digits", echo(id, e));
    if (!is_digit(id[10]))
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "container number %s: check digit must be a digit", echo(id, e));
    int want = ledger_iso6346_check_digit(id);
    if (want != id[10] - '0')
        return wb_failf(WB_ERR_CHECK_DIGIT, msg, msg_len,
                        "container number %s: check digit is %c, expected %d", id, id[10], want);
    return WB_OK;
}

static int check_sscc(const char *id, size_t len, char *msg, size_t msg_len)
{
    char e[ECHO_BUF];
    if (len != SSCC_LEN)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "SSCC %s: expected 18 digits, got %zu",
                        echo(id, e), len);
    int want = ledger_gs1_check_digit(id, SSCC_LEN - 1);
    if (want != id[SSCC_LEN - 1] - '0')
        return wb_failf(WB_ERR_CHECK_DIGIT, msg, msg_len, "SSCC %s: check digit is %c, expected %d",
                        id, id[SSCC_LEN - 1], want);
    return WB_OK;
}

/* GS1 AI encodable character set 82 (GS1 General Specifications, figure
 * 7.11-1): ! " % & ' ( ) * + , - . / 0-9 : ; < = > ? A-Z _ a-z. */
static bool is_gs1_cset82(char c)
{
    if (is_alpha(c) || is_digit(c)) return true;
    return c != '\0' && strchr("!\"%&'()*+,-./:;<=>?_", c) != NULL;
}

static int check_gtin_serial(const char *id, size_t len, char *msg, size_t msg_len)
{
    char e[ECHO_BUF];
    const size_t serial_at = 4 + GTIN_LEN + 4;
    if (len < serial_at || !all_digits(id + 4, GTIN_LEN) ||
        memcmp(id + 4 + GTIN_LEN, "(21)", 4) != 0)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "item id %s: expected (01) followed by a 14-digit GTIN, then (21) and a "
                        "serial number",
                        echo(id, e));
    size_t serial_len = len - serial_at;
    if (serial_len < 1 || serial_len > SERIAL_MAX)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "item id %s: serial number must be 1 to 20 characters, got %zu",
                        echo(id, e), serial_len);
    for (size_t i = serial_at; i < len; i++)
        if (!is_gs1_cset82(id[i]))
            return wb_failf(
                WB_ERR_INVALID, msg, msg_len,
                "item id %s: serial number character %zu is not in the GS1 "
                "character set (A-Z a-z 0-9 and ! \" %% & ' ( ) * + , - . / : ; < = > ? _)",
                echo(id, e), i - serial_at + 1);
    int want = ledger_gs1_check_digit(id + 4, GTIN_LEN - 1);
    char found = id[4 + GTIN_LEN - 1];
    if (want != found - '0')
        return wb_failf(WB_ERR_CHECK_DIGIT, msg, msg_len,
                        "GTIN %.14s: check digit is %c, expected %d", id + 4, found, want);
    return WB_OK;
}

static int check_urn(const char *id, size_t len, char *msg, size_t msg_len)
{
    char e[ECHO_BUF];
    if (len == 4)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "urn identifier has nothing after 'urn:'");
    for (size_t i = 4; i < len; i++) {
        char c = id[i];
        if (c == ' ')
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "urn identifier %s: contains a space at byte %zu", echo(id, e), i + 1);
        if (c < 0x21 || c > 0x7e)
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "urn identifier %s: byte %zu is not printable ASCII", echo(id, e),
                            i + 1);
    }
    return WB_OK;
}

int ledger_item_id_check(const char *id, enum ledger_id_kind *kind, char *msg, size_t msg_len)
{
    char e[ECHO_BUF];
    if (kind) *kind = LEDGER_ID_INVALID;
    if (!id || !id[0]) return wb_failf(WB_ERR_INVALID, msg, msg_len, "item id is empty");
    size_t len = strnlen(id, WB_ITEM_MAX + 1);
    if (len > WB_ITEM_MAX)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "item id %s: longer than %d bytes",
                        echo(id, e), WB_ITEM_MAX);

    enum ledger_id_kind k;
    int rc;
    if (strncmp(id, "urn:", 4) == 0) {
        k = LEDGER_ID_URN;
        rc = check_urn(id, len, msg, msg_len);
    } else if (strncasecmp(id, "urn:", 4) == 0) {
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "item id %s: urn identifiers must start with lowercase 'urn:'",
                        echo(id, e));
    } else if (strncmp(id, "(01)", 4) == 0) {
        k = LEDGER_ID_GTIN_SERIAL;
        rc = check_gtin_serial(id, len, msg, msg_len);
    } else if (all_digits(id, len)) {
        k = LEDGER_ID_SSCC;
        rc = check_sscc(id, len, msg, msg_len);
    } else if ((len >= CONTAINER_LEN - 1 && len <= CONTAINER_LEN + 1 && is_alpha(id[0]) &&
                is_alpha(id[1]) && is_alpha(id[2]) && is_alpha(id[3])) ||
               (len == CONTAINER_LEN && is_alpha(id[0]))) {
        /* Looks like a container number: explain what is wrong with it. */
        k = LEDGER_ID_CONTAINER;
        rc = check_container(id, len, msg, msg_len);
    } else {
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "item id %s: expected an ISO 6346 container number (e.g. CSQU3054383), "
                        "an 18-digit SSCC, (01)<GTIN-14>(21)<serial> or a urn: identifier",
                        echo(id, e));
    }
    if (rc == WB_OK && kind) *kind = k;
    return rc;
}

/* UN/LOCODE's placeholder for a location it has no code for. */
#define LOCODE_UNKNOWN "ZZZZZ"

int ledger_location_check(const char *loc, char *msg, size_t msg_len)
{
    char e[ECHO_BUF];
    if (!loc || !loc[0]) return wb_failf(WB_ERR_INVALID, msg, msg_len, "location is empty");
    size_t len = strnlen(loc, GLN_LEN + 1);
    if (len == GLN_LEN && all_digits(loc, len)) {
        int want = ledger_gs1_check_digit(loc, GLN_LEN - 1);
        if (want != loc[GLN_LEN - 1] - '0')
            return wb_failf(WB_ERR_CHECK_DIGIT, msg, msg_len,
                            "GLN %s: check digit is %c, expected %d", loc, loc[GLN_LEN - 1], want);
        return WB_OK;
    }
    if (len == LOCODE_LEN && is_upper(loc[0]) && is_upper(loc[1])) {
        for (size_t i = 2; i < LOCODE_LEN; i++) {
            char c = loc[i];
            if (!is_upper(c) && !(c >= '2' && c <= '9'))
                return wb_failf(WB_ERR_INVALID, msg, msg_len,
                                "location %s: UN/LOCODE place code must be 3 of A-Z or 2-9",
                                echo(loc, e));
        }
        /* Refused whatever the country table says: it names no place. */
        if (strcmp(loc, LOCODE_UNKNOWN) == 0)
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "'" LOCODE_UNKNOWN "' is the placeholder for an unknown location; give "
                            "the real UN/LOCODE or a GLN");
        const char country[3] = {loc[0], loc[1], '\0'};
        if (!ledger_country_find(country))
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "location '%s': '%s' is not an ISO 3166-1 country code", loc, country);
        return WB_OK;
    }
    return wb_failf(WB_ERR_INVALID, msg, msg_len,
                    "location %s: expected a UN/LOCODE (2 uppercase letters and 3 of A-Z, 2-9, "
                    "e.g. NLRTM) or a 13-digit GLN",
                    echo(loc, e));
}

/* Copies id into out, upper-casing it when upper is set. */
static int canonical_copy(const char *id, size_t len, bool upper, char *out, bool *changed)
{
    bool diff = false;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (upper && c >= 'a' && c <= 'z') {
            c = (char)(c - 'a' + 'A');
            diff = true;
        }
        out[i] = c;
    }
    out[len] = '\0';
    if (changed) *changed = diff;
    return WB_OK;
}

static bool all_alnum(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_alpha(s[i]) && !is_digit(s[i])) return false;
    return true;
}

/* Checks the arguments shared by both canonical functions; sets *len. */
static int canonical_args(const char *id, char *out, size_t out_size, bool *changed, size_t *len)
{
    if (changed) *changed = false;
    if (!out || out_size == 0) return WB_ERR_INVALID;
    out[0] = '\0';
    if (!id) return WB_ERR_INVALID;
    *len = strnlen(id, out_size);
    return *len < out_size ? WB_OK : WB_ERR_INVALID;
}

int ledger_item_id_canonical(const char *id, char *out, size_t out_size, bool *changed)
{
    size_t len;
    int rc = canonical_args(id, out, out_size, changed, &len);
    if (rc != WB_OK) return rc;
    bool container = len == CONTAINER_LEN && is_alpha(id[0]) && is_alpha(id[1]) &&
                     is_alpha(id[2]) && is_alpha(id[3]) && all_alnum(id, len);
    return canonical_copy(id, len, container, out, changed);
}

int ledger_location_canonical(const char *loc, char *out, size_t out_size, bool *changed)
{
    size_t len;
    int rc = canonical_args(loc, out, out_size, changed, &len);
    if (rc != WB_OK) return rc;
    bool locode = len == LOCODE_LEN && all_alnum(loc, len);
    return canonical_copy(loc, len, locode, out, changed);
}

bool ledger_locode_ok(const char *s, size_t n)
{
    char loc[6], msg[8];
    if (!s || n != 5 || memchr(s, '\0', n)) return false;
    memcpy(loc, s, 5);
    loc[5] = '\0';
    return ledger_location_check(loc, msg, sizeof msg) == WB_OK;
}
