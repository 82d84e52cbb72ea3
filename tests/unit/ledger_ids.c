/* Unit tests of ledger/ids.c: item ids (ISO 6346, SSCC, GTIN + serial, urn:)
 * and locations (UN/LOCODE with its country in the table, GLN), check digits
 * and their messages, the case given to typed ids; and of ledger/country.c:
 * the country table generated from ledger/data/ matches those files. Run from
 * the repository root (make test does), where ledger/data/ is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/wb_error.h"
#include "ledger/country.h"
#include "ledger/event.h"
#include "ledger/ids.h"
#include "ledger/types.h"

#define MSG_LEN 256

/* Fails with both strings when msg does not contain want. */
#define assert_msg_has(msg, want)                                                 \
    do {                                                                          \
        if (!strstr((msg), (want)))                                               \
            fail_msg("message \"%s\" does not contain \"%s\"", (msg), (want));    \
    } while (0)

static void expect_item_ok(const char *id, enum ledger_id_kind want)
{
    char msg[MSG_LEN] = "";
    enum ledger_id_kind kind = LEDGER_ID_INVALID;
    int rc = ledger_item_id_check(id, &kind, msg, sizeof msg);
    if (rc != WB_OK) fail_msg("%s rejected (%d): %s", id, rc, msg);
    if (kind != want) fail_msg("%s classified as kind %d, expected %d", id, kind, want);
}

static void expect_item_err(const char *id, int want_rc, const char *want_msg)
{
    char msg[MSG_LEN] = "";
    enum ledger_id_kind kind = LEDGER_ID_CONTAINER;
    int rc = ledger_item_id_check(id, &kind, msg, sizeof msg);
    if (rc != want_rc)
        fail_msg("%s: got %d (%s), expected %d", id ? id : "(null)", rc, msg, want_rc);
    assert_int_equal(kind, LEDGER_ID_INVALID);
    if (want_msg) assert_msg_has(msg, want_msg);
}

/* For an id whose check digit is at `pos`, every other digit there must be
 * refused with WB_ERR_CHECK_DIGIT and a message naming both digits. */
static void expect_every_wrong_digit_refused(const char *good, size_t pos)
{
    char id[WB_ITEM_MAX + 1], want[64];
    for (char d = '0'; d <= '9'; d++) {
        if (d == good[pos]) continue;
        snprintf(id, sizeof id, "%s", good);
        id[pos] = d;
        snprintf(want, sizeof want, "check digit is %c, expected %c", d, good[pos]);
        expect_item_err(id, WB_ERR_CHECK_DIGIT, want);
    }
}

/* ---- ISO 6346 -------------------------------------------------------------- */

static const char *const good_containers[] = {
    "CSQU3054383", /* the ISO 6346 standard's own example */
    "BICU1234565", /* the BIC's published example */
    "MSCU1234566",
    "MSKU9070323",
    "HLXJ0012346", /* category J */
    "ABCZ1234564", /* category Z */
    "CSQU0000070", /* sum mod 11 is 10: check digit 0 */
};

static void container_numbers_with_correct_check_digit_accepted(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof good_containers / sizeof *good_containers; i++)
        expect_item_ok(good_containers[i], LEDGER_ID_CONTAINER);
}

static void container_wrong_check_digit_names_found_and_expected(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof good_containers / sizeof *good_containers; i++)
        expect_every_wrong_digit_refused(good_containers[i], 10);
    char msg[MSG_LEN];
    assert_int_equal(ledger_item_id_check("MSCU1234565", NULL, msg, sizeof msg),
                     WB_ERR_CHECK_DIGIT);
    assert_string_equal(msg, "container number MSCU1234565: check digit is 5, expected 6");
    assert_int_equal(ledger_item_id_check("CSQU3054384", NULL, msg, sizeof msg),
                     WB_ERR_CHECK_DIGIT);
    assert_string_equal(msg, "container number CSQU3054384: check digit is 4, expected 3");
}

static void iso6346_check_digit_matches_reference_for_every_letter(void **state)
{
    (void)state;
    /* Check digit of the owner code "AAA" with one letter replaced, at
     * positions 0, 1 and 2, category U, serial 000000; computed
     * independently of this code from the ISO 6346 letter values
     * (A=10, B=12 ... skipping multiples of 11) and weights 2^i. */
    static const char *const want[3] = {
        "79001234567900123456790012",
        "70246801357024680135702468",
        "74815926037481592603748159",
    };
    for (int pos = 0; pos < 3; pos++) {
        for (int l = 0; l < 26; l++) {
            char first10[11] = "AAAU000000";
            first10[pos] = (char)('A' + l);
            int got = ledger_iso6346_check_digit(first10);
            if (got != want[pos][l] - '0')
                fail_msg("check digit of %s is %d, expected %c", first10, got, want[pos][l]);
        }
    }
    assert_int_equal(ledger_iso6346_check_digit("CSQU305438"), 3);
    assert_int_equal(ledger_iso6346_check_digit("CSQU30543"), -1);
    assert_int_equal(ledger_iso6346_check_digit("csqU305438"), -1);
    assert_int_equal(ledger_iso6346_check_digit("CSQ1305438"), -1);
    assert_int_equal(ledger_iso6346_check_digit("CSQUX05438"), -1);
    assert_int_equal(ledger_iso6346_check_digit(NULL), -1);
}

static void malformed_container_numbers_rejected(void **state)
{
    (void)state;
    expect_item_err("CSQU305438", WB_ERR_INVALID, "expected 11 characters");
    expect_item_err("CSQU30543833", WB_ERR_INVALID, "expected 11 characters");
    expect_item_err("csqu3054383", WB_ERR_INVALID, "owner code must be 3 uppercase letters");
    expect_item_err("CsQU3054383", WB_ERR_INVALID, "owner code must be 3 uppercase letters");
    expect_item_err("CSQA3054383", WB_ERR_INVALID, "category is 'A', expected U, J or Z");
    expect_item_err("CSQu3054383", WB_ERR_INVALID, "category is 'u', expected U, J or Z");
    expect_item_err("CSQU30A4383", WB_ERR_INVALID, "serial number must be 6 digits");
    expect_item_err("CSQU305438X", WB_ERR_INVALID, "check digit must be a digit");
    expect_item_err("CSQU 305438", WB_ERR_INVALID, NULL);
}

/* ---- GS1 ---------------------------------------------------------------------- */

static const char *const good_ssccs[] = {
    "106141412345678908", /* GS1 General Specifications example */
    "376104250021234569", /* GS1 logistic label example */
    "340123450000000000",
};

static void ssccs_with_correct_check_digit_accepted(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof good_ssccs / sizeof *good_ssccs; i++)
        expect_item_ok(good_ssccs[i], LEDGER_ID_SSCC);
    assert_int_equal(ledger_gs1_check_digit("10614141234567890", 17), 8);
    assert_int_equal(ledger_gs1_check_digit("400638133393", 12), 1);
    assert_int_equal(ledger_gs1_check_digit("40063813339x", 12), -1);
}

static void sscc_wrong_check_digit_names_expected(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof good_ssccs / sizeof *good_ssccs; i++)
        expect_every_wrong_digit_refused(good_ssccs[i], 17);
    char msg[MSG_LEN];
    assert_int_equal(ledger_item_id_check("106141412345678907", NULL, msg, sizeof msg),
                     WB_ERR_CHECK_DIGIT);
    assert_string_equal(msg, "SSCC 106141412345678907: check digit is 7, expected 8");
}

static void malformed_ssccs_rejected(void **state)
{
    (void)state;
    expect_item_err("10614141234567890", WB_ERR_INVALID, "expected 18 digits, got 17");
    expect_item_err("1061414123456789080", WB_ERR_INVALID, "expected 18 digits, got 19");
}

static const char *const good_gtin_serials[] = {
    "(01)09506000134352(21)ABC123",
    "(01)04006381333931(21)1",
    "(01)10614141000415(21)!\"%&'()*+,-./:;<=>?_", /* every punctuation mark */
    "(01)10614141000415(21)12345678901234567890",  /* 20 characters */
};

static void gtin_serials_with_correct_check_digit_accepted(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof good_gtin_serials / sizeof *good_gtin_serials; i++)
        expect_item_ok(good_gtin_serials[i], LEDGER_ID_GTIN_SERIAL);
}

static void gtin_wrong_check_digit_names_expected(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof good_gtin_serials / sizeof *good_gtin_serials; i++)
        expect_every_wrong_digit_refused(good_gtin_serials[i], 17);
    char msg[MSG_LEN];
    assert_int_equal(
        ledger_item_id_check("(01)09506000134353(21)ABC123", NULL, msg, sizeof msg),
        WB_ERR_CHECK_DIGIT);
    assert_string_equal(msg, "GTIN 09506000134353: check digit is 3, expected 2");
}

static void malformed_gtin_serials_rejected(void **state)
{
    (void)state;
    expect_item_err("(01)0950600013435(21)ABC", WB_ERR_INVALID, "14-digit GTIN");
    expect_item_err("(01)09506000134352ABC", WB_ERR_INVALID, "(21)");
    expect_item_err("(01)09506000134352(22)ABC", WB_ERR_INVALID, "(21)");
    expect_item_err("(01)09506000134352(21)", WB_ERR_INVALID, "1 to 20 characters, got 0");
    expect_item_err("(01)09506000134352(21)123456789012345678901", WB_ERR_INVALID,
                    "1 to 20 characters, got 21");
    expect_item_err("(01)09506000134352(21)AB C", WB_ERR_INVALID, "character 3");
    expect_item_err("(01)09506000134352(21)AB#", WB_ERR_INVALID, "character 3");
    expect_item_err("(01)09506000134352(21)A~", WB_ERR_INVALID, "character 2");
}

/* ---- urn: ---------------------------------------------------------------------- */

static void urn_ids_accepted_up_to_limit(void **state)
{
    (void)state;
    expect_item_ok("urn:epc:id:sscc:0614141.1234567890", LEDGER_ID_URN);
    expect_item_ok("urn:epc:id:sgtin:0614141.112345.400", LEDGER_ID_URN);
    expect_item_ok("urn:x", LEDGER_ID_URN);
    char id[WB_ITEM_MAX + 2];
    memset(id, 'a', sizeof id);
    memcpy(id, "urn:", 4);
    id[WB_ITEM_MAX] = '\0';
    expect_item_ok(id, LEDGER_ID_URN);
}

static void malformed_urn_ids_rejected(void **state)
{
    (void)state;
    char id[WB_ITEM_MAX + 2];
    memset(id, 'a', sizeof id);
    memcpy(id, "urn:", 4);
    id[WB_ITEM_MAX + 1] = '\0';
    expect_item_err(id, WB_ERR_INVALID, "longer than 128 bytes");
    expect_item_err("urn:", WB_ERR_INVALID, "nothing after 'urn:'");
    expect_item_err("urn:epc:id:sscc 0614141", WB_ERR_INVALID, "contains a space at byte 16");
    expect_item_err("urn:epc\tid", WB_ERR_INVALID, "not printable ASCII");
    expect_item_err("urn:epc\xc3\xa9", WB_ERR_INVALID, "not printable ASCII");
    expect_item_err("URN:epc:id:sscc:0614141.1234567890", WB_ERR_INVALID, "lowercase 'urn:'");
}

static void unrecognised_item_ids_rejected(void **state)
{
    (void)state;
    char msg[MSG_LEN];
    expect_item_err("", WB_ERR_INVALID, "item id is empty");
    expect_item_err(NULL, WB_ERR_INVALID, "item id is empty");
    expect_item_err("pallet-7", WB_ERR_INVALID, "expected an ISO 6346 container number");
    expect_item_err("12-34", WB_ERR_INVALID, "expected an ISO 6346 container number");
    /* No message buffer: still classified and refused. */
    assert_int_equal(ledger_item_id_check("CSQU3054384", NULL, NULL, 0), WB_ERR_CHECK_DIGIT);
    /* Untrusted bytes are not echoed raw. */
    assert_int_equal(ledger_item_id_check("ab\x01\x02-x", NULL, msg, sizeof msg),
                     WB_ERR_INVALID);
    assert_null(strchr(msg, '\x01'));
    /* A tiny buffer is truncated, not overrun. */
    char tiny[8];
    memset(tiny, 'Z', sizeof tiny);
    assert_int_equal(ledger_item_id_check("CSQU3054384", NULL, tiny, 5), WB_ERR_CHECK_DIGIT);
    assert_int_equal(tiny[4], '\0');
    assert_int_equal(tiny[5], 'Z');
}

/* ---- locations ----------------------------------------------------------------- */

static void expect_location(const char *loc, int want_rc, const char *want_msg)
{
    char msg[MSG_LEN] = "";
    int rc = ledger_location_check(loc, msg, sizeof msg);
    if (rc != want_rc) fail_msg("location %s: got %d (%s), expected %d", loc, rc, msg, want_rc);
    if (want_msg) assert_msg_has(msg, want_msg);
}

static void unlocodes_and_glns_accepted(void **state)
{
    (void)state;
    expect_location("NLRTM", WB_OK, NULL);
    expect_location("DEHAM", WB_OK, NULL);
    expect_location("SGSIN", WB_OK, NULL);
    expect_location("US2NY", WB_OK, NULL);
    expect_location("GBZ99", WB_OK, NULL);
    expect_location("4000001000005", WB_OK, NULL);
    expect_location("0614141000012", WB_OK, NULL);
    expect_location("5901234123457", WB_OK, NULL);
}

static void unlocode_country_must_be_in_the_table(void **state)
{
    (void)state;
    expect_location("NLRTM", WB_OK, NULL);
    expect_location("DEHAM", WB_OK, NULL);
    expect_location("CNSHA", WB_OK, NULL);
    expect_location("USNYC", WB_OK, NULL);
    expect_location("ADALV", WB_OK, NULL); /* the data file's first code */
    expect_location("ZWHRE", WB_OK, NULL); /* and its last */
    /* XZ: UN/LOCODE's installations in international waters */
    expect_location("XZABC", WB_OK, NULL);

    char msg[MSG_LEN];
    assert_int_equal(ledger_location_check("QQRTM", msg, sizeof msg), WB_ERR_INVALID);
    assert_string_equal(msg, "location 'QQRTM': 'QQ' is not an ISO 3166-1 country code");
    /* user-assigned ISO 3166-1 codes other than XZ are no countries */
    expect_location("ZZABC", WB_ERR_INVALID, "'ZZ' is not an ISO 3166-1 country code");
    expect_location("AAABC", WB_ERR_INVALID, "'AA' is not an ISO 3166-1 country code");
    expect_location("XXABC", WB_ERR_INVALID, "'XX' is not an ISO 3166-1 country code");
    expect_location("QMABC", WB_ERR_INVALID, "'QM' is not an ISO 3166-1 country code");
    /* codes ISO 3166-1 withdrew (ISO 3166-3) */
    expect_location("YUBEG", WB_ERR_INVALID, "'YU' is not an ISO 3166-1 country code");
    expect_location("ANWIL", WB_ERR_INVALID, "'AN' is not an ISO 3166-1 country code");

    /* the placeholder for an unknown place, whatever the table says */
    assert_int_equal(ledger_location_check("ZZZZZ", msg, sizeof msg), WB_ERR_INVALID);
    assert_string_equal(msg, "'ZZZZZ' is the placeholder for an unknown location; give the "
                             "real UN/LOCODE or a GLN");
    /* the place part is checked before the country */
    expect_location("QQR1M", WB_ERR_INVALID, "3 of A-Z or 2-9");
}

static void malformed_locations_rejected(void **state)
{
    (void)state;
    expect_location("", WB_ERR_INVALID, "location is empty");
    expect_location(NULL, WB_ERR_INVALID, "location is empty");
    expect_location("nlrtm", WB_ERR_INVALID, "expected a UN/LOCODE");
    expect_location("NLRT", WB_ERR_INVALID, "expected a UN/LOCODE");
    expect_location("NLRTMX", WB_ERR_INVALID, "expected a UN/LOCODE");
    expect_location("N1RTM", WB_ERR_INVALID, "expected a UN/LOCODE");
    expect_location("NL1TM", WB_ERR_INVALID, "3 of A-Z or 2-9");
    expect_location("NLR0M", WB_ERR_INVALID, "3 of A-Z or 2-9");
    expect_location("NLRtM", WB_ERR_INVALID, "3 of A-Z or 2-9");
    expect_location("400000100000", WB_ERR_INVALID, "13-digit GLN");
    expect_location("40000010000050", WB_ERR_INVALID, "13-digit GLN");
    expect_location("400000100000A", WB_ERR_INVALID, "13-digit GLN");
}

static void gln_wrong_check_digit_names_expected(void **state)
{
    (void)state;
    char loc[14], want[64];
    for (char d = '0'; d <= '9'; d++) {
        if (d == '5') continue;
        snprintf(loc, sizeof loc, "400000100000%c", d);
        snprintf(want, sizeof want, "GLN %s: check digit is %c, expected 5", loc, d);
        expect_location(loc, WB_ERR_CHECK_DIGIT, want);
    }
}

/* The ledger decoder (every node, the customs verifier) applies the same
 * rule: an event signed with such a location never decodes. */
static void events_at_a_location_of_no_country_do_not_decode(void **state)
{
    (void)state;
    static const struct {
        const char *loc;
        int rc;
        const char *msg;
    } cases[] = {
        {"NLRTM", WB_OK, NULL},
        {"XZABC", WB_OK, NULL},
        {"QQRTM", WB_ERR_INVALID, "location 'QQRTM': 'QQ' is not an ISO 3166-1 country code"},
        {"ZZZZZ", WB_ERR_INVALID, "'ZZZZZ' is the placeholder for an unknown location"},
        {"nlrtm", WB_ERR_INVALID, "expected a UN/LOCODE"}, /* the ledger does not fold case */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ledger_event ev, back;
        memset(&ev, 0, sizeof ev);
        strcpy(ev.item, "CSQU3054383");
        ev.action = LEDGER_COMMISSION;
        strcpy(ev.location, cases[i].loc);
        ev.time_ms = 1795000000123;
        memset(ev.submitter, 7, sizeof ev.submitter);
        uint8_t body[WB_EVENT_BODY_MAX];
        size_t len;
        assert_int_equal(ledger_event_encode(&ev, body, sizeof body, &len), WB_OK);
        char msg[MSG_LEN] = "";
        int rc = ledger_event_decode(body, len, &back, msg, sizeof msg);
        if (rc != cases[i].rc)
            fail_msg("event at %s: decode gave %d (%s), expected %d", cases[i].loc, rc, msg,
                     cases[i].rc);
        if (cases[i].msg) assert_msg_has(msg, cases[i].msg);
        else assert_string_equal(back.location, cases[i].loc);
    }
}

/* ---- the country table -------------------------------------------------------- */

static const struct ledger_country *expect_country(const char *code, const char *name,
                                                    bool iso3166)
{
    const struct ledger_country *c = ledger_country_find(code);
    if (!c) fail_msg("country %s is not in the table", code);
    assert_string_equal(c->code, code);
    assert_string_equal(c->name, name);
    if (c->iso3166 != iso3166)
        fail_msg("country %s: iso3166 is %d, expected %d", code, c->iso3166, iso3166);
    return c;
}

static void country_table_holds_known_entries(void **state)
{
    (void)state;
    expect_country("NL", "Netherlands", true);
    expect_country("DE", "Germany", true);
    expect_country("CN", "China", true);
    expect_country("US", "United States", true);
    expect_country("AD", "Andorra", true);
    expect_country("ZW", "Zimbabwe", true);
    expect_country("CI", "C\xc3\xb4te d'Ivoire", true); /* names are UTF-8 */
    expect_country("XZ", "Installations in International Waters", false);
    static const char *const absent[] = {"QQ", "ZZ", "AA", "XX", "QM", "XA", "YU", "AN",
                                         "UK", "EU"};
    for (size_t i = 0; i < sizeof absent / sizeof *absent; i++)
        if (ledger_country_find(absent[i]))
            fail_msg("%s is in the country table; it is no ISO 3166-1 code", absent[i]);
    /* exact two capital letters only */
    assert_null(ledger_country_find("nl"));
    assert_null(ledger_country_find("Nl"));
    assert_null(ledger_country_find("N"));
    assert_null(ledger_country_find("NLD"));
    assert_null(ledger_country_find(""));
    assert_null(ledger_country_find(NULL));
    assert_null(ledger_country_find("[A"));
    assert_null(ledger_country_find("A@"));
}

static void country_table_has_249_iso_codes_sorted_then_xz(void **state)
{
    (void)state;
    size_t n = ledger_country_count(), iso = 0;
    for (size_t i = 0; i < n; i++) {
        const struct ledger_country *c = ledger_country_at(i);
        assert_non_null(c);
        /* every entry is found by its own code */
        assert_ptr_equal(ledger_country_find(c->code), c);
        if (c->iso3166) {
            if (iso != i) fail_msg("ISO 3166-1 entry %s follows a UN/LOCODE one", c->code);
            iso++;
            if (i > 0 && strcmp(ledger_country_at(i - 1)->code, c->code) >= 0)
                fail_msg("ISO codes out of order at %s", c->code);
        }
    }
    /* ISO 3166-1 has 249 alpha-2 codes (iso-codes 4.15.0) */
    assert_int_equal(iso, 249);
    assert_int_equal(n, 250);
    assert_string_equal(ledger_country_at(n - 1)->code, "XZ");
    assert_null(ledger_country_at(n));
    /* every other pair of letters is absent: the table holds nothing more */
    size_t found = 0;
    for (char a = 'A'; a <= 'Z'; a++)
        for (char b = 'A'; b <= 'Z'; b++) {
            const char code[3] = {a, b, '\0'};
            if (ledger_country_find(code)) found++;
        }
    assert_int_equal(found, n);
}

/* Reads one data file of ledger/data/ and checks each of its rows against
 * the compiled table, from position *at on. Returns the number of rows. */
static size_t expect_table_matches_file(const char *path, bool iso3166, size_t *at)
{
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s (run the test from the repository root)", path);
    char line[512];
    size_t rows = 0, lineno = 0;
    bool header_count = false;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\n') line[--len] = '\0';
        if (line[0] == '#') {
            if (strstr(line, "(249 codes)")) header_count = true;
            continue;
        }
        if (!line[0]) continue;
        char *tab = strchr(line, '\t');
        if (!tab || tab - line != 2) fail_msg("%s:%zu: not CODE<TAB>NAME", path, lineno);
        *tab = '\0';
        const struct ledger_country *c = ledger_country_at(*at);
        if (!c) fail_msg("%s:%zu: %s is past the end of the table", path, lineno, line);
        if (strcmp(c->code, line) != 0 || strcmp(c->name, tab + 1) != 0 ||
            c->iso3166 != iso3166)
            fail_msg("%s:%zu: file says %s '%s', table entry %zu is %s '%s' (iso3166 %d)",
                     path, lineno, line, tab + 1, *at, c->code, c->name, c->iso3166);
        assert_ptr_equal(ledger_country_find(line), c);
        (*at)++;
        rows++;
    }
    fclose(f);
    if (iso3166 && !header_count) fail_msg("%s: its header does not say (249 codes)", path);
    return rows;
}

static void country_table_equals_the_data_files(void **state)
{
    (void)state;
    size_t at = 0;
    size_t iso = expect_table_matches_file("ledger/data/iso3166-1.tsv", true, &at);
    size_t extra = expect_table_matches_file("ledger/data/unlocode-countries.tsv", false, &at);
    assert_int_equal(iso, 249);
    assert_int_equal(extra, 1);
    /* the other way: the table holds nothing the files do not */
    assert_int_equal(ledger_country_count(), at);
}

/* ---- the case of typed ids ------------------------------------------------------- */

static void expect_canonical(bool location, const char *in, const char *want, bool want_changed)
{
    char out[WB_ITEM_MAX + 1];
    bool changed = !want_changed;
    int rc = location ? ledger_location_canonical(in, out, sizeof out, &changed)
                      : ledger_item_id_canonical(in, out, sizeof out, &changed);
    if (rc != WB_OK) fail_msg("%s: canonical form refused (%d)", in, rc);
    if (strcmp(out, want) != 0) fail_msg("%s became '%s', expected '%s'", in, out, want);
    if (changed != want_changed)
        fail_msg("%s -> %s: changed is %d, expected %d", in, out, changed, want_changed);
}

static void container_numbers_and_locodes_are_upper_cased(void **state)
{
    (void)state;
    /* item ids: only the container form */
    expect_canonical(false, "mscu1234566", "MSCU1234566", true);
    expect_canonical(false, "Mscu1234566", "MSCU1234566", true);
    expect_canonical(false, "MSCU1234566", "MSCU1234566", false);
    expect_canonical(false, "csqu305438x", "CSQU305438X", true); /* then checked as usual */
    expect_canonical(false, "106141412345678908", "106141412345678908", false);
    expect_canonical(false, "(01)09506000134352(21)abc", "(01)09506000134352(21)abc", false);
    expect_canonical(false, "urn:epc:id:sgtin:0614141.112345.abc",
                     "urn:epc:id:sgtin:0614141.112345.abc", false);
    expect_canonical(false, "pallet-7", "pallet-7", false);
    expect_canonical(false, "mscu123456", "mscu123456", false);     /* 10 characters */
    expect_canonical(false, "mscu12345667", "mscu12345667", false); /* 12 characters */
    expect_canonical(false, "msc1u234566", "msc1u234566", false);   /* 3 letters first */
    expect_canonical(false, "mscu-234566", "mscu-234566", false);
    /* locations: the UN/LOCODE form */
    expect_canonical(true, "nlrtm", "NLRTM", true);
    expect_canonical(true, "Us2ny", "US2NY", true);
    expect_canonical(true, "NLRTM", "NLRTM", false);
    expect_canonical(true, "4000001000005", "4000001000005", false);
    expect_canonical(true, "rotterdam", "rotterdam", false);
    expect_canonical(true, "nl-rt", "nl-rt", false);
    expect_canonical(true, "", "", false);

    /* the result is what the checks accept */
    char out[WB_ITEM_MAX + 1];
    assert_int_equal(ledger_item_id_canonical("mscu1234566", out, sizeof out, NULL), WB_OK);
    expect_item_ok(out, LEDGER_ID_CONTAINER);
    assert_int_equal(ledger_location_canonical("nlrtm", out, sizeof out, NULL), WB_OK);
    expect_location(out, WB_OK, NULL);

    /* too long for out, or NULL: refused, out empty */
    char small[6];
    bool changed = true;
    memset(small, 'x', sizeof small);
    assert_int_equal(ledger_location_canonical("nlrtmx", small, sizeof small, &changed),
                     WB_ERR_INVALID);
    assert_string_equal(small, "");
    assert_false(changed);
    assert_int_equal(ledger_location_canonical("nlrtm", small, sizeof small, NULL), WB_OK);
    assert_string_equal(small, "NLRTM");
    assert_int_equal(ledger_item_id_canonical(NULL, out, sizeof out, NULL), WB_ERR_INVALID);
    assert_string_equal(out, "");
    assert_int_equal(ledger_item_id_canonical("x", NULL, 0, NULL), WB_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(container_numbers_with_correct_check_digit_accepted),
        cmocka_unit_test(container_wrong_check_digit_names_found_and_expected),
        cmocka_unit_test(iso6346_check_digit_matches_reference_for_every_letter),
        cmocka_unit_test(malformed_container_numbers_rejected),
        cmocka_unit_test(ssccs_with_correct_check_digit_accepted),
        cmocka_unit_test(sscc_wrong_check_digit_names_expected),
        cmocka_unit_test(malformed_ssccs_rejected),
        cmocka_unit_test(gtin_serials_with_correct_check_digit_accepted),
        cmocka_unit_test(gtin_wrong_check_digit_names_expected),
        cmocka_unit_test(malformed_gtin_serials_rejected),
        cmocka_unit_test(urn_ids_accepted_up_to_limit),
        cmocka_unit_test(malformed_urn_ids_rejected),
        cmocka_unit_test(unrecognised_item_ids_rejected),
        cmocka_unit_test(unlocodes_and_glns_accepted),
        cmocka_unit_test(unlocode_country_must_be_in_the_table),
        cmocka_unit_test(events_at_a_location_of_no_country_do_not_decode),
        cmocka_unit_test(malformed_locations_rejected),
        cmocka_unit_test(gln_wrong_check_digit_names_expected),
        cmocka_unit_test(country_table_holds_known_entries),
        cmocka_unit_test(country_table_has_249_iso_codes_sorted_then_xz),
        cmocka_unit_test(country_table_equals_the_data_files),
        cmocka_unit_test(container_numbers_and_locodes_are_upper_cased),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
