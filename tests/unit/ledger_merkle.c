/* Unit tests of ledger/merkle.c: RFC 6962 hashing, tree heads, audit paths
 * and RFC 9162 verification, against hand computations, an in-test
 * recursive reference and the Certificate Transparency test vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/merkle.h"

#define MAX_N 65

typedef uint8_t hash_t[MERKLE_HASH_LEN];

static void sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    assert_int_equal(crypto_hash_sha256(out, data, len), 0);
}

static void assert_hash_hex(const uint8_t h[32], const char *want_hex, const char *what)
{
    char got[65];
    wb_hex_encode(h, 32, got, sizeof got);
    if (strcmp(got, want_hex) != 0) fail_msg("%s: got %s, expected %s", what, got, want_hex);
}

/* Leaf hashes of n distinct data strings "leaf <i>". */
static void make_leaves(hash_t *leaves, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char data[32];
        int len = snprintf(data, sizeof data, "leaf %zu", i);
        merkle_leaf_hash((const uint8_t *)data, (size_t)len, leaves[i]);
    }
}

/* ---- the RFC 6962 definitions, recursively, as a reference --------------- */

static size_t ref_split(size_t n)
{
    size_t k = 1;
    while (2 * k < n) k *= 2;
    return k;
}

static void ref_mth(const hash_t *d, size_t n, uint8_t out[32])
{
    if (n == 1) {
        memcpy(out, d[0], 32);
        return;
    }
    size_t k = ref_split(n);
    uint8_t buf[65];
    buf[0] = 1;
    ref_mth(d, k, buf + 1);
    ref_mth(d + k, n - k, buf + 33);
    sha256(buf, sizeof buf, out);
}

/* PATH(m, D[n]) of RFC 9162 2.1.3.1. Returns the length. */
static size_t ref_path(size_t m, const hash_t *d, size_t n, hash_t *path)
{
    if (n <= 1) return 0;
    size_t k = ref_split(n), len;
    if (m < k) {
        len = ref_path(m, d, k, path);
        ref_mth(d + k, n - k, path[len]);
    } else {
        len = ref_path(m - k, d + k, n - k, path);
        ref_mth(d, k, path[len]);
    }
    return len + 1;
}

/* The shape of PATH(m, D[n]): dirs[i] is 1 when element i is a left
 * sibling. Returns the length. */
static size_t ref_shape(size_t m, size_t n, unsigned char *dirs)
{
    if (n <= 1) return 0;
    size_t k = ref_split(n), len;
    if (m < k) {
        len = ref_shape(m, k, dirs);
        dirs[len] = 0;
    } else {
        len = ref_shape(m - k, n - k, dirs);
        dirs[len] = 1;
    }
    return len + 1;
}

/* ---- hashing --------------------------------------------------------------- */

static void leaf_hash_is_sha256_of_zero_byte_then_data(void **state)
{
    (void)state;
    const uint8_t data[] = {'a', 'b', 'c'};
    const uint8_t prefixed[] = {0x00, 'a', 'b', 'c'};
    uint8_t got[32], want[32];
    merkle_leaf_hash(data, sizeof data, got);
    sha256(prefixed, sizeof prefixed, want);
    assert_memory_equal(got, want, 32);
    /* The empty leaf: SHA-256 of the single byte 0x00. */
    merkle_leaf_hash(NULL, 0, got);
    assert_hash_hex(got, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "leaf hash of empty data");
}

static void node_hash_is_sha256_of_one_byte_then_left_then_right(void **state)
{
    (void)state;
    uint8_t l[32], r[32], buf[65], got[32], want[32];
    memset(l, 0xaa, 32);
    memset(r, 0x55, 32);
    buf[0] = 0x01;
    memcpy(buf + 1, l, 32);
    memcpy(buf + 33, r, 32);
    sha256(buf, sizeof buf, want);
    merkle_node_hash(l, r, got);
    assert_memory_equal(got, want, 32);
    merkle_node_hash(r, l, got);
    if (memcmp(got, want, 32) == 0) fail_msg("node hash does not depend on the order");
}

static void root_of_empty_tree_is_sha256_of_empty_string(void **state)
{
    (void)state;
    uint8_t root[32];
    assert_int_equal(merkle_root(NULL, 0, root), WB_OK);
    assert_hash_hex(root, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                    "root of the empty tree");
}

static void roots_of_zero_to_three_leaves_match_hand_computation(void **state)
{
    (void)state;
    hash_t leaves[3];
    const char *data[3] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        uint8_t buf[2] = {0x00, (uint8_t)data[i][0]};
        sha256(buf, 2, leaves[i]);
    }
    uint8_t root[32], want[32], buf[65];

    /* No leaves: SHA-256 of the empty string. */
    sha256(NULL, 0, want);
    assert_int_equal(merkle_root((const hash_t *)leaves, 0, root), WB_OK);
    assert_memory_equal(root, want, 32);

    /* One leaf: the root is the leaf hash itself. */
    assert_int_equal(merkle_root((const hash_t *)leaves, 1, root), WB_OK);
    assert_memory_equal(root, leaves[0], 32);

    /* Two leaves: SHA-256(0x01 || L0 || L1). */
    uint8_t n01[32];
    buf[0] = 1;
    memcpy(buf + 1, leaves[0], 32);
    memcpy(buf + 33, leaves[1], 32);
    sha256(buf, 65, n01);
    assert_int_equal(merkle_root((const hash_t *)leaves, 2, root), WB_OK);
    assert_memory_equal(root, n01, 32);

    /* Three leaves: split at 2, so SHA-256(0x01 || N01 || L2). */
    memcpy(buf + 1, n01, 32);
    memcpy(buf + 33, leaves[2], 32);
    sha256(buf, 65, want);
    assert_int_equal(merkle_root((const hash_t *)leaves, 3, root), WB_OK);
    assert_memory_equal(root, want, 32);
}

/* The leaves and heads of the Certificate Transparency reference tests. */
static const char *const ct_leaf_hex[8] = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};
static const char *const ct_root_hex[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void ct_leaves(hash_t leaves[8])
{
    for (int i = 0; i < 8; i++) {
        uint8_t data[16];
        size_t len = strlen(ct_leaf_hex[i]) / 2;
        assert_int_equal(wb_hex_decode(ct_leaf_hex[i], data, len), WB_OK);
        merkle_leaf_hash(data, len, leaves[i]);
    }
}

static void roots_match_certificate_transparency_vectors(void **state)
{
    (void)state;
    hash_t leaves[8];
    ct_leaves(leaves);
    for (size_t n = 1; n <= 8; n++) {
        uint8_t root[32];
        char what[32];
        snprintf(what, sizeof what, "root of %zu leaves", n);
        assert_int_equal(merkle_root((const hash_t *)leaves, n, root), WB_OK);
        assert_hash_hex(root, ct_root_hex[n - 1], what);
    }
}

static void audit_paths_match_certificate_transparency_vectors(void **state)
{
    (void)state;
    static const struct {
        size_t m, n, len;
        const char *hex[3];
    } cases[] = {
        {0, 8, 3,
         {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
          "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
          "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
        {5, 8, 3,
         {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
          "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
          "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
        {2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
        {0, 1, 0, {NULL}},
    };
    hash_t leaves[8];
    ct_leaves(leaves);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
        size_t len = 99;
        assert_int_equal(
            merkle_audit_path((const hash_t *)leaves, cases[c].n, cases[c].m, path, &len),
            WB_OK);
        if (len != cases[c].len)
            fail_msg("path of leaf %zu in %zu: length %zu, expected %zu", cases[c].m,
                     cases[c].n, len, cases[c].len);
        for (size_t i = 0; i < len; i++) {
            char what[64];
            snprintf(what, sizeof what, "path[%zu] of leaf %zu in %zu", i, cases[c].m,
                     cases[c].n);
            assert_hash_hex(path[i], cases[c].hex[i], what);
        }
        uint8_t root[32];
        assert_int_equal(wb_hex_decode(ct_root_hex[cases[c].n - 1], root, 32), WB_OK);
        assert_int_equal(merkle_verify(leaves[cases[c].m], cases[c].m, cases[c].n,
                                       (const hash_t *)path, len, root),
                         WB_OK);
    }
}

static void root_matches_rfc_definition_for_sizes_1_to_65(void **state)
{
    (void)state;
    hash_t leaves[MAX_N];
    make_leaves(leaves, MAX_N);
    for (size_t n = 1; n <= MAX_N; n++) {
        uint8_t got[32], want[32];
        assert_int_equal(merkle_root((const hash_t *)leaves, n, got), WB_OK);
        ref_mth((const hash_t *)leaves, n, want);
        if (memcmp(got, want, 32) != 0) fail_msg("root of %zu leaves differs from MTH", n);
    }
}

/* ---- audit paths --------------------------------------------------------------- */

static void every_audit_path_verifies_for_sizes_1_to_65(void **state)
{
    (void)state;
    hash_t leaves[MAX_N];
    make_leaves(leaves, MAX_N);
    for (size_t n = 1; n <= MAX_N; n++) {
        uint8_t root[32];
        assert_int_equal(merkle_root((const hash_t *)leaves, n, root), WB_OK);
        for (size_t m = 0; m < n; m++) {
            uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
            hash_t want[MERKLE_PATH_MAX];
            size_t len;
            assert_int_equal(merkle_audit_path((const hash_t *)leaves, n, m, path, &len), WB_OK);
            size_t want_len = ref_path(m, (const hash_t *)leaves, n, want);
            if (len != want_len || memcmp(path, want, len * 32) != 0)
                fail_msg("audit path of leaf %zu in %zu differs from RFC 9162 PATH", m, n);
            if (merkle_verify(leaves[m], m, n, (const hash_t *)path, len, root) != WB_OK)
                fail_msg("audit path of leaf %zu in %zu does not verify", m, n);
        }
    }
}

/* merkle_audit_path_len is the length of the RFC 9162 path for every leaf
 * of every size, 0 outside the tree; one longer or shorter path fails. */
static void audit_path_len_matches_rfc_paths_for_sizes_1_to_65(void **state)
{
    (void)state;
    hash_t leaves[MAX_N];
    make_leaves(leaves, MAX_N);
    for (size_t n = 1; n <= MAX_N; n++) {
        uint8_t root[32];
        assert_int_equal(merkle_root((const hash_t *)leaves, n, root), WB_OK);
        for (size_t m = 0; m < n; m++) {
            hash_t want[MERKLE_PATH_MAX + 1];
            size_t want_len = ref_path(m, (const hash_t *)leaves, n, want);
            if (merkle_audit_path_len(m, n) != want_len)
                fail_msg("path length of leaf %zu in %zu: %zu, RFC 9162 PATH has %zu", m, n,
                         merkle_audit_path_len(m, n), want_len);
            memset(want[want_len], 0, 32);
            if (merkle_verify(leaves[m], m, n, (const hash_t *)want, want_len + 1, root) ==
                    WB_OK ||
                (want_len && merkle_verify(leaves[m], m, n, (const hash_t *)want,
                                           want_len - 1, root) == WB_OK))
                fail_msg("a path of the wrong length verifies for leaf %zu in %zu", m, n);
        }
        assert_int_equal(merkle_audit_path_len(n, n), 0);
    }
    assert_int_equal(merkle_audit_path_len(0, 0), 0);
    assert_int_equal(merkle_audit_path_len(0, 1), 0);
    assert_int_equal(merkle_audit_path_len(0, 1u << 20), 20);
    assert_int_equal(merkle_audit_path_len((1u << 20) - 1, (1u << 20) + 1), 21);
    assert_int_equal(merkle_audit_path_len(1u << 20, (1u << 20) + 1), 1);
}

/* merkle_audit_paths gives, for any ascending set of leaves, exactly the
 * paths merkle_audit_path gives one at a time. Subsets: every leaf, every
 * third leaf from each offset, the first and last, a single leaf. */
static void batched_audit_paths_equal_single_paths_for_sizes_1_to_65(void **state)
{
    (void)state;
    static uint8_t paths[MAX_N][MERKLE_PATH_MAX][MERKLE_HASH_LEN];
    hash_t leaves[MAX_N];
    make_leaves(leaves, MAX_N);
    for (size_t n = 1; n <= MAX_N; n++) {
        for (size_t shape = 0; shape < 6; shape++) {
            size_t idx[MAX_N], lens[MAX_N], k = 0;
            for (size_t m = 0; m < n; m++) {
                bool take = shape == 0 || (shape <= 3 && m % 3 == shape - 1) ||
                            (shape == 4 && (m == 0 || m == n - 1)) || (shape == 5 && m == n / 2);
                if (take) idx[k++] = m;
            }
            assert_int_equal(merkle_audit_paths((const hash_t *)leaves, n, idx, k, paths, lens),
                             WB_OK);
            for (size_t j = 0; j < k; j++) {
                uint8_t one[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
                size_t len;
                assert_int_equal(
                    merkle_audit_path((const hash_t *)leaves, n, idx[j], one, &len), WB_OK);
                if (lens[j] != len || memcmp(paths[j], one, len * 32) != 0)
                    fail_msg("batched path of leaf %zu in %zu (shape %zu) differs", idx[j], n,
                             shape);
            }
        }
    }
    size_t bad[2] = {3, 3}, lens[2];
    assert_int_equal(merkle_audit_paths((const hash_t *)leaves, 8, bad, 2, paths, lens),
                     WB_ERR_INVALID);
    size_t beyond[1] = {8};
    assert_int_equal(merkle_audit_paths((const hash_t *)leaves, 8, beyond, 1, paths, lens),
                     WB_ERR_INVALID);
}

static void altered_proofs_fail_for_sizes_1_to_65(void **state)
{
    (void)state;
    hash_t leaves[MAX_N];
    make_leaves(leaves, MAX_N);
    for (size_t n = 1; n <= MAX_N; n++) {
        uint8_t root[32];
        assert_int_equal(merkle_root((const hash_t *)leaves, n, root), WB_OK);
        for (size_t m = 0; m < n; m++) {
            uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
            size_t len;
            assert_int_equal(merkle_audit_path((const hash_t *)leaves, n, m, path, &len), WB_OK);
            const hash_t *p = (const hash_t *)path;

            /* A changed leaf. */
            uint8_t leaf[32];
            memcpy(leaf, leaves[m], 32);
            leaf[m % 32] ^= 0x01;
            if (merkle_verify(leaf, m, n, p, len, root) != WB_ERR_VERIFY)
                fail_msg("changed leaf %zu in %zu verified", m, n);

            /* Any changed path element, one bit at a time. */
            for (size_t i = 0; i < len; i++) {
                for (size_t bit = 0; bit < 256; bit += 37) {
                    path[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
                    int rc = merkle_verify(leaves[m], m, n, p, len, root);
                    path[i][bit / 8] ^= (uint8_t)(1u << (bit % 8));
                    if (rc != WB_ERR_VERIFY)
                        fail_msg("leaf %zu in %zu verified with path[%zu] bit %zu flipped", m,
                                 n, i, bit);
                }
            }

            /* Every wrong index, including ones past the end. */
            for (size_t w = 0; w <= n + 1; w++) {
                if (w == m) continue;
                if (merkle_verify(leaves[m], w, n, p, len, root) != WB_ERR_VERIFY)
                    fail_msg("leaf %zu in %zu verified at index %zu", m, n, w);
            }

            /* A wrong tree size. RFC 9162 verification walks the path in the
             * shape the size implies, so it fails for every size whose proof
             * for index m has another shape (length or sibling sides); a size
             * with the very same shape (leaf 0 of 3 and of 4, say) computes
             * the same root by construction. The tree size a block commits
             * to is its header's event_count, so the header binds it. */
            unsigned char dirs[MERKLE_PATH_MAX], other_dirs[MERKLE_PATH_MAX];
            size_t shape_len = ref_shape(m, n, dirs);
            for (size_t w = 0; w <= MAX_N + 1; w++) {
                if (w == n) continue;
                int rc = merkle_verify(leaves[m], m, w, p, len, root);
                bool same_shape = false;
                if (m < w) {
                    size_t other_len = ref_shape(m, w, other_dirs);
                    same_shape = other_len == shape_len &&
                                 memcmp(dirs, other_dirs, shape_len) == 0;
                }
                if (!same_shape && rc != WB_ERR_VERIFY)
                    fail_msg("leaf %zu of %zu verified as a tree of %zu", m, n, w);
                if (same_shape && rc != WB_OK)
                    fail_msg("leaf %zu of %zu: size %zu has the same proof shape yet failed", m,
                             n, w);
            }

            /* A shortened or lengthened path, and another root. */
            if (len > 0 && merkle_verify(leaves[m], m, n, p, len - 1, root) != WB_ERR_VERIFY)
                fail_msg("leaf %zu in %zu verified with a shortened path", m, n);
            memcpy(path[len], root, 32);
            if (merkle_verify(leaves[m], m, n, p, len + 1, root) != WB_ERR_VERIFY)
                fail_msg("leaf %zu in %zu verified with a lengthened path", m, n);
            uint8_t other_root[32];
            memcpy(other_root, root, 32);
            other_root[31] ^= 0x80;
            if (merkle_verify(leaves[m], m, n, p, len, other_root) != WB_ERR_VERIFY)
                fail_msg("leaf %zu in %zu verified against another root", m, n);
        }
    }
    /* Sizes that are wrong for the one-leaf proof of leaf 0 of 4. */
    uint8_t root4[32], path[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
    size_t len;
    assert_int_equal(merkle_root((const hash_t *)leaves, 4, root4), WB_OK);
    assert_int_equal(merkle_audit_path((const hash_t *)leaves, 4, 0, path, &len), WB_OK);
    assert_int_equal(merkle_verify(leaves[0], 0, 5, (const hash_t *)path, len, root4),
                     WB_ERR_VERIFY);
    assert_int_equal(merkle_verify(leaves[0], 0, 2, (const hash_t *)path, len, root4),
                     WB_ERR_VERIFY);
}

static void out_of_range_arguments_rejected(void **state)
{
    (void)state;
    hash_t leaves[4];
    make_leaves(leaves, 4);
    uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN], root[32];
    size_t len;
    assert_int_equal(merkle_audit_path((const hash_t *)leaves, 4, 4, path, &len),
                     WB_ERR_INVALID);
    assert_int_equal(merkle_audit_path((const hash_t *)leaves, 0, 0, path, &len),
                     WB_ERR_INVALID);
    assert_int_equal(merkle_root((const hash_t *)leaves, 1, root), WB_OK);
    assert_int_equal(merkle_verify(leaves[0], 0, 0, NULL, 0, root), WB_ERR_VERIFY);
    assert_int_equal(merkle_verify(leaves[0], 0, 1, NULL, 0, root), WB_OK);
    assert_int_equal(
        merkle_verify(leaves[0], 0, 1, (const hash_t *)path, MERKLE_PATH_MAX + 1, root),
        WB_ERR_VERIFY);
}

static void million_leaf_tree_has_verifying_proofs(void **state)
{
    (void)state;
    /* Deep enough (21 levels) to show nothing recurses per leaf. */
    const size_t n = (1u << 20) + 3;
    hash_t *leaves = malloc(n * sizeof *leaves);
    assert_non_null(leaves);
    for (size_t i = 0; i < n; i++) {
        memset(leaves[i], 0, 32);
        memcpy(leaves[i], &i, sizeof i);
    }
    uint8_t root[32], path[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
    assert_int_equal(merkle_root((const hash_t *)leaves, n, root), WB_OK);
    const size_t probe[2] = {12345, n - 1};
    for (int i = 0; i < 2; i++) {
        size_t len;
        assert_int_equal(merkle_audit_path((const hash_t *)leaves, n, probe[i], path, &len),
                         WB_OK);
        assert_int_equal(len, probe[i] == n - 1 ? 2 : 21);
        assert_int_equal(
            merkle_verify(leaves[probe[i]], probe[i], n, (const hash_t *)path, len, root),
            WB_OK);
    }
    free(leaves);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(leaf_hash_is_sha256_of_zero_byte_then_data),
        cmocka_unit_test(node_hash_is_sha256_of_one_byte_then_left_then_right),
        cmocka_unit_test(root_of_empty_tree_is_sha256_of_empty_string),
        cmocka_unit_test(roots_of_zero_to_three_leaves_match_hand_computation),
        cmocka_unit_test(roots_match_certificate_transparency_vectors),
        cmocka_unit_test(audit_paths_match_certificate_transparency_vectors),
        cmocka_unit_test(root_matches_rfc_definition_for_sizes_1_to_65),
        cmocka_unit_test(every_audit_path_verifies_for_sizes_1_to_65),
        cmocka_unit_test(audit_path_len_matches_rfc_paths_for_sizes_1_to_65),
        cmocka_unit_test(batched_audit_paths_equal_single_paths_for_sizes_1_to_65),
        cmocka_unit_test(altered_proofs_fail_for_sizes_1_to_65),
        cmocka_unit_test(out_of_range_arguments_rejected),
        cmocka_unit_test(million_leaf_tree_has_verifying_proofs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
