/* Unit tests of node/keyfile: the 0600 hex-seed format, no accidental
 * overwrite, and refusal of exposed, malformed or missing key files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/wb_error.h"
#include "node/keyfile.h"

/* The six placeholder characters mkdtemp replaces. */
#define MKDTEMP_SLOTS "XX" "XX" "XX"

struct fixture {
    char dir[64];
    char path[128];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/waybill-keyfile-" MKDTEMP_SLOTS);
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/node.key", f->dir);
    *state = f;
    return 0;
}

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void write_raw(const char *path, const char *text, size_t len, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

static void generate_writes_0600_hex_seed_that_loads(void **state)
{
    struct fixture *f = *state;
    uint8_t pk[32], pk2[32], sk[64];
    char msg[KEYFILE_MSG_MAX];
    assert_int_equal(keyfile_generate(f->path, false, pk, msg, sizeof msg), WB_OK);

    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    if ((st.st_mode & 07777) != 0600)
        fail_msg("key file mode is %04o, expected 0600", (unsigned)(st.st_mode & 07777));
    assert_int_equal(st.st_size, 65);

    char text[80] = {0};
    FILE *fp = fopen(f->path, "r");
    assert_non_null(fp);
    assert_int_equal(fread(text, 1, sizeof text - 1, fp), 65);
    fclose(fp);
    assert_int_equal(text[64], '\n');
    text[64] = '\0';
    assert_int_equal(strspn(text, "0123456789abcdef"), 64);

    /* The file holds the seed: deriving from it gives the reported key. */
    uint8_t seed[32], want_pk[32], want_sk[64];
    assert_int_equal(wb_hex_decode(text, seed, 32), WB_OK);
    assert_int_equal(crypto_sign_seed_keypair(want_pk, want_sk, seed), 0);
    assert_memory_equal(want_pk, pk, 32);

    assert_int_equal(keyfile_load(f->path, pk2, sk, msg, sizeof msg), WB_OK);
    assert_memory_equal(pk2, pk, 32);
    assert_memory_equal(sk, want_sk, 64);

    /* The loaded secret signs for the public key. */
    uint8_t sig[64];
    const uint8_t m[] = "waybill";
    assert_int_equal(crypto_sign_detached(sig, NULL, m, sizeof m, sk), 0);
    assert_int_equal(crypto_sign_verify_detached(sig, m, sizeof m, pk), 0);

    /* Two keys differ. */
    char other[128];
    snprintf(other, sizeof other, "%s/other.key", f->dir);
    assert_int_equal(keyfile_generate(other, false, pk2, msg, sizeof msg), WB_OK);
    assert_memory_not_equal(pk, pk2, 32);
}

static void generate_refuses_existing_file_unless_overwrite(void **state)
{
    struct fixture *f = *state;
    uint8_t pk[32], loaded[32], sk[64];
    char msg[KEYFILE_MSG_MAX], want[512];
    write_raw(f->path, "keep me\n", 8, 0600);

    assert_int_equal(keyfile_generate(f->path, false, pk, msg, sizeof msg), WB_ERR_EXISTS);
    snprintf(want, sizeof want, "key file %s already exists; refusing to overwrite it",
             f->path);
    assert_string_equal(msg, want);
    char text[16] = {0};
    FILE *fp = fopen(f->path, "r");
    assert_non_null(fp);
    assert_int_equal(fread(text, 1, sizeof text - 1, fp), 8);
    fclose(fp);
    assert_string_equal(text, "keep me\n");

    assert_int_equal(keyfile_generate(f->path, true, pk, msg, sizeof msg), WB_OK);
    assert_int_equal(keyfile_load(f->path, loaded, sk, msg, sizeof msg), WB_OK);
    assert_memory_equal(loaded, pk, 32);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
}

static void generate_reports_unwritable_folder(void **state)
{
    struct fixture *f = *state;
    uint8_t pk[32];
    char msg[KEYFILE_MSG_MAX], path[160];
    snprintf(path, sizeof path, "%s/no-such-folder/node.key", f->dir);
    assert_int_equal(keyfile_generate(path, false, pk, msg, sizeof msg), WB_ERR_IO);
    if (!strstr(msg, "cannot create key file") || !strstr(msg, path))
        fail_msg("unexpected message: %s", msg);
}

static void load_refuses_group_or_other_access(void **state)
{
    struct fixture *f = *state;
    uint8_t pk[32], sk[64];
    char msg[KEYFILE_MSG_MAX], want[512];
    assert_int_equal(keyfile_generate(f->path, false, pk, msg, sizeof msg), WB_OK);

    static const struct {
        mode_t mode;
        const char *word;
    } cases[] = {
        {0644, "readable"}, {0640, "readable"}, {0604, "readable"}, {0660, "readable"},
        {0620, "writable"}, {0602, "writable"}, {0610, "accessible"}, {0601, "accessible"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(chmod(f->path, cases[i].mode), 0);
        memset(pk, 0xaa, sizeof pk);
        memset(sk, 0xaa, sizeof sk);
        int rc = keyfile_load(f->path, pk, sk, msg, sizeof msg);
        if (rc != WB_ERR_PERMISSION)
            fail_msg("mode %04o: got %d (%s), expected a permission refusal",
                     (unsigned)cases[i].mode, rc, msg);
        snprintf(want, sizeof want,
                 "key file %s is %s by group or others (mode %04o); run chmod 600 %s", f->path,
                 cases[i].word, (unsigned)cases[i].mode, f->path);
        assert_string_equal(msg, want);
        assert_true(all_zero(pk, 32));
        assert_true(all_zero(sk, 64));
    }
    /* Owner-only modes stricter than 0600 are fine. */
    assert_int_equal(chmod(f->path, 0400), 0);
    assert_int_equal(keyfile_load(f->path, pk, sk, msg, sizeof msg), WB_OK);
}

static void load_refuses_malformed_content(void **state)
{
    struct fixture *f = *state;
    uint8_t pk[32], sk[64];
    char msg[KEYFILE_MSG_MAX], good[65], want[512];
    uint8_t seed[32];
    randombytes_buf(seed, sizeof seed);
    wb_hex_encode(seed, 32, good, sizeof good);

    char bad_char[66];
    memcpy(bad_char, good, 64);
    bad_char[10] = 'g';
    bad_char[64] = '\n';
    char spaced[67];
    spaced[0] = ' ';
    memcpy(spaced + 1, good, 64);
    spaced[65] = '\n';
    char two_newlines[66];
    memcpy(two_newlines, good, 64);
    memcpy(two_newlines + 64, "\n\n", 2);
    char long_text[200];
    memset(long_text, 'a', sizeof long_text);

    static const char len_fmt[] = "key file %s: expected 64 hex characters and a newline, got %s%zu bytes";
    struct {
        const char *text;
        size_t len;
        const char *at_least;
        size_t reported;
    } by_length[] = {
        {"", 0, "", 0},
        {good, 63, "", 63},
        {spaced, 66, "", 66},
        {two_newlines, 66, "", 66},
        {long_text, sizeof long_text, "at least ", 73},
    };
    for (size_t i = 0; i < sizeof by_length / sizeof by_length[0]; i++) {
        write_raw(f->path, by_length[i].text, by_length[i].len, 0600);
        int rc = keyfile_load(f->path, pk, sk, msg, sizeof msg);
        if (rc != WB_ERR_DECODE) fail_msg("case %zu: got %d (%s), expected WB_ERR_DECODE", i, rc, msg);
        snprintf(want, sizeof want, len_fmt, f->path, by_length[i].at_least,
                 by_length[i].reported);
        assert_string_equal(msg, want);
        assert_true(all_zero(sk, 64));
    }

    write_raw(f->path, bad_char, 65, 0600);
    assert_int_equal(keyfile_load(f->path, pk, sk, msg, sizeof msg), WB_ERR_DECODE);
    snprintf(want, sizeof want,
             "key file %s: expected 64 hex characters and a newline, found a non-hex "
             "character at offset 10",
             f->path);
    assert_string_equal(msg, want);

    /* Without the final newline the seed is still accepted. */
    write_raw(f->path, good, 64, 0600);
    assert_int_equal(keyfile_load(f->path, pk, sk, msg, sizeof msg), WB_OK);
    uint8_t want_pk[32], want_sk[64];
    assert_int_equal(crypto_sign_seed_keypair(want_pk, want_sk, seed), 0);
    assert_memory_equal(pk, want_pk, 32);
}

static void load_refuses_missing_file_and_folder(void **state)
{
    struct fixture *f = *state;
    uint8_t pk[32], sk[64];
    char msg[KEYFILE_MSG_MAX], want[512], path[160];
    snprintf(path, sizeof path, "%s/absent.key", f->dir);
    assert_int_equal(keyfile_load(path, pk, sk, msg, sizeof msg), WB_ERR_NOT_FOUND);
    snprintf(want, sizeof want, "key file %s not found", path);
    assert_string_equal(msg, want);

    snprintf(path, sizeof path, "%s/folder.key", f->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(keyfile_load(path, pk, sk, msg, sizeof msg), WB_ERR_INVALID);
    snprintf(want, sizeof want, "key file %s is not a regular file", path);
    assert_string_equal(msg, want);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    umask(022);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(generate_writes_0600_hex_seed_that_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(generate_refuses_existing_file_unless_overwrite, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(generate_reports_unwritable_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(load_refuses_group_or_other_access, setup, teardown),
        cmocka_unit_test_setup_teardown(load_refuses_malformed_content, setup, teardown),
        cmocka_unit_test_setup_teardown(load_refuses_missing_file_and_folder, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
