/* The consensus safety record file (storage/store_safety.c): alternating
 * slots, torn and corrupt slots, reopening, and moving a record out of the
 * meta database of an older store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>

#include "common/log.h"
#include "storage/store.h"
#include "tests/unit/storage_support.h"

#define SLOT 4096

struct fx {
    char dir[64];
    char file[96];
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || tc_tmpdir(f->dir) != 0) return -1;
    snprintf(f->file, sizeof f->file, "%s/safety.rec", f->dir);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    tc_rmtree(f->dir);
    free(f);
    return 0;
}

/* The record the store gives back must be exactly `want`. */
static void expect_record(struct store *s, const char *want)
{
    uint8_t *got = NULL;
    size_t len = 0;
    CHECK_OK(store_safety_get(s, &got, &len));
    if (len != strlen(want) || memcmp(got, want, len) != 0)
        fail_msg("safety record is \"%.*s\", want \"%s\"", (int)len, (const char *)got, want);
    free(got);
}

static void put(struct store *s, const char *rec)
{
    CHECK_OK(store_safety_put(s, (const uint8_t *)rec, strlen(rec)));
}

/* Overwrites `len` bytes of the file at `off` with `byte`, as a torn or
 * decayed write would leave them. */
static void scribble(const char *file, off_t off, size_t len, uint8_t byte)
{
    int fd = open(file, O_WRONLY);
    assert_true(fd >= 0);
    uint8_t buf[SLOT];
    assert_true(len <= sizeof buf);
    memset(buf, byte, len);
    assert_int_equal(pwrite(fd, buf, len, off), (ssize_t)len);
    close(fd);
}

/* Which slot holds a record starting with `prefix` (-1 if none). */
static int slot_of(const char *file, const char *prefix)
{
    int fd = open(file, O_RDONLY);
    assert_true(fd >= 0);
    uint8_t buf[2 * SLOT];
    assert_int_equal(pread(fd, buf, sizeof buf, 0), (ssize_t)sizeof buf);
    close(fd);
    for (int i = 0; i < 2; i++) {
        const uint8_t *slot = buf + i * SLOT;
        for (size_t off = 0; off + strlen(prefix) <= SLOT; off++)
            if (memcmp(slot + off, prefix, strlen(prefix)) == 0) return i;
    }
    return -1;
}

static void file_is_two_slots_and_records_alternate(void **state)
{
    struct fx *f = *state;
    struct store *s;
    CHECK_OK(store_open(f->dir, NULL, &s));
    struct stat st;
    assert_int_equal(stat(f->file, &st), 0);
    assert_int_equal(st.st_size, 2 * SLOT);
    assert_int_equal(st.st_mode & 0777, 0600);
    uint8_t *got;
    size_t len;
    CHECK_RC(store_safety_get(s, &got, &len), WB_ERR_NOT_FOUND);

    put(s, "record-one");
    expect_record(s, "record-one");
    put(s, "record-two");
    expect_record(s, "record-two");
    int one = slot_of(f->file, "record-one"), two = slot_of(f->file, "record-two");
    assert_true(one >= 0 && two >= 0);
    assert_int_not_equal(one, two);
    put(s, "record-three");
    assert_int_equal(slot_of(f->file, "record-three"), one);
    assert_int_equal(slot_of(f->file, "record-two"), two);
    expect_record(s, "record-three");
    assert_int_equal(stat(f->file, &st), 0);
    assert_int_equal(st.st_size, 2 * SLOT);
    store_close(s);
}

static void limits_and_bad_arguments(void **state)
{
    struct fx *f = *state;
    struct store *s;
    CHECK_OK(store_open(f->dir, NULL, &s));
    uint8_t *big = malloc(STORE_SAFETY_MAX + 1);
    assert_non_null(big);
    for (size_t i = 0; i <= STORE_SAFETY_MAX; i++) big[i] = (uint8_t)(i * 13 + 1);
    CHECK_RC(store_safety_put(s, big, STORE_SAFETY_MAX + 1), WB_ERR_TOO_LARGE);
    CHECK_RC(store_safety_put(s, big, 0), WB_ERR_INVALID);
    CHECK_RC(store_safety_put(NULL, big, 1), WB_ERR_INVALID);
    CHECK_OK(store_safety_put(s, big, STORE_SAFETY_MAX));
    uint8_t *got;
    size_t len;
    CHECK_OK(store_safety_get(s, &got, &len));
    assert_int_equal(len, STORE_SAFETY_MAX);
    assert_memory_equal(got, big, len);
    free(got);
    free(big);
    store_close(s);
}

static void reopen_keeps_record_and_alternation(void **state)
{
    struct fx *f = *state;
    struct store *s;
    CHECK_OK(store_open(f->dir, NULL, &s));
    put(s, "first");
    put(s, "second");
    store_close(s);
    CHECK_OK(store_open(f->dir, NULL, &s));
    expect_record(s, "second");
    int second = slot_of(f->file, "second");
    put(s, "third");
    /* The next put goes to the slot not holding the record in force. */
    assert_int_equal(slot_of(f->file, "second"), second);
    assert_int_equal(slot_of(f->file, "third"), 1 - second);
    store_close(s);
    CHECK_OK(store_open(f->dir, NULL, &s));
    expect_record(s, "third");
    store_close(s);
}

static void torn_newest_slot_falls_back_to_previous(void **state)
{
    struct fx *f = *state;
    struct store *s;
    CHECK_OK(store_open(f->dir, NULL, &s));
    put(s, "older");
    put(s, "newer");
    int newer = slot_of(f->file, "newer");
    store_close(s);
    /* A write cut off halfway: the second half of the slot still zero or
     * old, the first half new; here the record bytes are damaged. */
    scribble(f->file, (off_t)newer * SLOT + 40, 16, 0x5a);
    CHECK_OK(store_open(f->dir, NULL, &s));
    expect_record(s, "older");
    /* The next put overwrites the torn slot, never the good one. */
    put(s, "after");
    assert_int_equal(slot_of(f->file, "after"), newer);
    assert_true(slot_of(f->file, "older") == 1 - newer);
    expect_record(s, "after");
    store_close(s);
}

static void torn_first_put_reads_as_none(void **state)
{
    struct fx *f = *state;
    struct store *s;
    CHECK_OK(store_open(f->dir, NULL, &s));
    put(s, "only");
    int only = slot_of(f->file, "only");
    store_close(s);
    scribble(f->file, (off_t)only * SLOT + 4, 4, 0xff); /* sequence number */
    CHECK_OK(store_open(f->dir, NULL, &s));
    uint8_t *got;
    size_t len;
    CHECK_RC(store_safety_get(s, &got, &len), WB_ERR_NOT_FOUND);
    put(s, "again");
    expect_record(s, "again");
    store_close(s);
}

static void both_slots_corrupt_refuses_to_open(void **state)
{
    struct fx *f = *state;
    struct store *s;
    CHECK_OK(store_open(f->dir, NULL, &s));
    put(s, "one");
    put(s, "two");
    store_close(s);
    scribble(f->file, 0, 1, 'X');    /* magic of slot 0 */
    scribble(f->file, SLOT + 20, 1, 0x01); /* checksum of slot 1 */
    CHECK_RC(store_open(f->dir, NULL, &s), WB_ERR_STORE);
    /* A file shorter than two slots is one whose creation never finished:
     * it held no record and is recreated empty. */
    assert_int_equal(truncate(f->file, 100), 0);
    CHECK_OK(store_open(f->dir, NULL, &s));
    uint8_t *got;
    size_t len;
    CHECK_RC(store_safety_get(s, &got, &len), WB_ERR_NOT_FOUND);
    store_close(s);
}

/* An older store kept the record under meta "safety" in LMDB. */
static void record_moves_out_of_the_meta_database(void **state)
{
    struct fx *f = *state;
    struct store *s;
    CHECK_OK(store_open(f->dir, NULL, &s));
    store_close(s);
    assert_int_equal(unlink(f->file), 0);

    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    MDB_val k = {.mv_size = 6, .mv_data = "safety"};
    MDB_val v = {.mv_size = 9, .mv_data = "old-store"};
    assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    CHECK_OK(store_open(f->dir, NULL, &s));
    expect_record(s, "old-store");
    put(s, "new-store");
    store_close(s);

    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, f->dir, MDB_RDONLY, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    assert_int_equal(mdb_get(txn, meta, &k, &v), MDB_NOTFOUND);
    mdb_txn_abort(txn);
    mdb_env_close(env);

    CHECK_OK(store_open(f->dir, NULL, &s));
    expect_record(s, "new-store");
    store_close(s);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const char *lv = getenv("WB_TEST_LOG");
    int level = lv ? wb_log_level_parse(lv) : -1;
    wb_log_set_level(level >= 0 ? (enum wb_log_level)level : WB_LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(file_is_two_slots_and_records_alternate, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(limits_and_bad_arguments, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(reopen_keeps_record_and_alternation, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(torn_newest_slot_falls_back_to_previous, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(torn_first_put_reads_as_none, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(both_slots_corrupt_refuses_to_open, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(record_moves_out_of_the_meta_database, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
