/* A write that the file system refuses: the process's file size limit
 * (RLIMIT_FSIZE, a real kernel limit, no test seam in the store) stops
 * data.mdb from growing. The append fails without changing the store,
 * store_write_error names the failure, and once the limit is lifted the
 * same block appends and the error clears. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "common/log.h"
#include "storage/store.h"
#include "tests/unit/storage_support.h"

#define FAULT_ITEMS 64
#define FAULT_EVENTS 48          /* per block: a few pages of new data each */
#define FAULT_BLOCKS_MAX 400     /* bound on blocks tried before the limit bites */

static off_t file_size(const char *dir, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) != 0) fail_msg("stat %s: %s", path, strerror(errno));
    return st.st_size;
}

static void append_fails_while_the_file_cannot_grow_then_succeeds(void **state)
{
    (void)state;
    wb_log_set_level(WB_LOG_ERROR); /* the store warns about the refused write */
    char dir[64];
    assert_int_equal(tc_tmpdir(dir), 0);
    struct tc_chain c;
    CHECK_OK(tc_chain_init(&c, FAULT_ITEMS));
    struct store *s;
    CHECK_OK(store_open(dir, NULL, &s));
    CHECK_OK(store_bind_genesis(s, c.g->hash));
    char text[200];
    struct tc_block tb;
    char msg[256];
    for (int i = 0; i < 3; i++) {
        if (tc_build_block(&c, FAULT_EVENTS, &tb, msg, sizeof msg) != WB_OK) fail_msg("%s", msg);
        CHECK_OK(store_append(s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, tb.states,
                              tb.n_states));
        tc_block_free(&tb);
    }
    assert_int_equal(store_write_error(s, text, sizeof text), 0);
    assert_string_equal(text, "");

    /* data.mdb may not grow past its size now: the next appends that need
     * new pages fail (EFBIG, or EIO for a write cut short at the limit). */
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*old_xfsz)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {.rlim_cur = (rlim_t)file_size(dir, "data.mdb"), .rlim_max = old.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = WB_OK;
    uint64_t last = 0;
    for (int i = 0; i < FAULT_BLOCKS_MAX && rc == WB_OK; i++) {
        CHECK_OK(store_last(s, &last, NULL, NULL));
        if (tc_build_block(&c, FAULT_EVENTS, &tb, msg, sizeof msg) != WB_OK) fail_msg("%s", msg);
        rc = store_append(s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, tb.states,
                          tb.n_states);
        if (rc == WB_OK) tc_block_free(&tb);
    }
    if (rc == WB_OK) fail_msg("%d blocks appended although data.mdb could not grow",
                              FAULT_BLOCKS_MAX);
    assert_int_equal(rc, WB_ERR_STORE);
    int err = store_write_error(s, text, sizeof text);
    if (err != EFBIG && err != EIO)
        fail_msg("store_write_error gave %d (%s), want EFBIG or EIO", err, text);
    if (!strstr(text, err == EFBIG ? strerror(EFBIG) : strerror(EIO)))
        fail_msg("store_write_error text '%s' does not describe the error", text);
    uint64_t h;
    CHECK_OK(store_last(s, &h, NULL, NULL));
    assert_int_equal(h, last); /* nothing of the refused block is stored */
    uint8_t *got;
    size_t got_len;
    CHECK_RC(store_get_block(s, tb.b.header.height, &got, &got_len), WB_ERR_NOT_FOUND);
    /* Again: the same failure, still reported. */
    CHECK_RC(store_append(s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, tb.states,
                          tb.n_states),
             WB_ERR_STORE);
    assert_int_equal(store_write_error(s, NULL, 0), err);
    /* Reads go on while writes fail. */
    CHECK_OK(store_get_block(s, last, &got, &got_len));
    free(got);

    /* The limit goes: the same block appends, the error clears. */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_xfsz);
    CHECK_OK(store_append(s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, tb.states,
                          tb.n_states));
    assert_int_equal(store_write_error(s, text, sizeof text), 0);
    assert_string_equal(text, "");
    CHECK_OK(store_last(s, &h, NULL, NULL));
    assert_int_equal(h, last + 1);
    CHECK_OK(store_get_block(s, h, &got, &got_len));
    assert_int_equal(got_len, tb.len);
    assert_memory_equal(got, tb.bytes, tb.len);
    free(got);
    tc_block_free(&tb);
    store_close(s);

    /* Reopened, the store holds exactly the blocks that were appended. */
    CHECK_OK(store_open(dir, NULL, &s));
    CHECK_OK(store_last(s, &h, NULL, NULL));
    assert_int_equal(h, last + 1);
    store_close(s);
    tc_chain_free(&c);
    tc_rmtree(dir);
}

static void a_failed_safety_record_write_is_reported_and_a_later_one_clears_it(void **state)
{
    (void)state;
    wb_log_set_level(WB_LOG_ERROR);
    char dir[64];
    assert_int_equal(tc_tmpdir(dir), 0);
    struct store *s;
    CHECK_OK(store_open(dir, NULL, &s));
    const uint8_t rec1[] = "record one";
    CHECK_OK(store_safety_put(s, rec1, sizeof rec1));
    assert_int_equal(store_write_error(s, NULL, 0), 0);
    /* safety.rec is written in place: a limit below its size refuses the
     * slot that lies past it. */
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*old_xfsz)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {.rlim_cur = 4096, .rlim_max = old.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    const uint8_t rec2[] = "record two";
    int rc = store_safety_put(s, rec2, sizeof rec2);
    if (rc == WB_OK) rc = store_safety_put(s, rec2, sizeof rec2); /* the other slot */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_xfsz);
    CHECK_RC(rc, WB_ERR_IO);
    char text[200];
    assert_int_equal(store_write_error(s, text, sizeof text), EFBIG);
    if (!strstr(text, "safety record")) fail_msg("text '%s' does not name the safety record", text);
    CHECK_OK(store_safety_put(s, rec2, sizeof rec2));
    assert_int_equal(store_write_error(s, NULL, 0), 0);
    uint8_t *got;
    size_t len;
    CHECK_OK(store_safety_get(s, &got, &len));
    assert_int_equal(len, sizeof rec2);
    assert_memory_equal(got, rec2, len);
    free(got);
    store_close(s);
    tc_rmtree(dir);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(append_fails_while_the_file_cannot_grow_then_succeeds),
        cmocka_unit_test(a_failed_safety_record_write_is_reported_and_a_later_one_clears_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
