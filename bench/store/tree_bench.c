/* Start-up benchmark of the item-state tree: fills a fresh store with N
 * items (one commission each, in blocks of E events) through
 * store_append_checked, as a node's commit path writes them, then closes
 * it and times what a node does at start with it: store_open, and
 * node_tree_load, which reads every item in registration order from the
 * store's registration-order index and builds the tree in memory.
 *
 * The events are really signed (one Ed25519 signature each) before the
 * append, outside the timed parts; the generator hashes every item's leaf
 * itself, and the rebuilt tree's root and count must equal the root of
 * those leaves (else exit 1). The store's pages are in the page cache
 * when the load is timed (they were just written): a node restarted soon
 * after it stopped, not one after a reboot; the process may not drop the
 * caches of a shared machine.
 *
 * Usage: tree_bench [--items N] [--block E] [--dir D] [--random-items] [--loads K]
 *   N default 1000000, E default 5000; D default a fresh directory under
 *   /tmp, removed at the end unless given (it must not hold a store); item
 *   ids are serial numbers (urn:waybill:bench:...0001, ...: the items
 *   database in registration order), with --random-items spread over the id
 *   space (a hash of the number: the index's lookups jump about the items
 *   database). K (default 3): loads timed, each a store_open and
 *   node_tree_load after a store_close; the fastest and the slowest are
 *   printed. Wall times, so noisy on a busy machine.
 * The last line is `tree-load items=N ms=M` (M the fastest load). */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/store/store_bench.h"
#include "common/bytes.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "ledger/item_leaf.h"
#include "ledger/state_tree.h"
#include "ledger/validate.h"
#include "node/chain/tree_load.h"
#include "node/env.h"
#include "proto/waybill.pb-c.h"
#include "storage/store.h"

struct tb_opts {
    uint64_t items;
    uint32_t block;
    const char *dir;
    bool random_items;
    unsigned loads;
};

struct tb {
    struct tb_opts o;
    struct store *s;
    uint8_t chain_id[WB_CHAIN_ID_LEN];
    uint8_t pk[WB_PUBKEY_LEN], sk[WB_SECKEY_LEN];
    uint64_t height, registered;
    uint8_t last_hash[WB_HASH_LEN];
    int64_t time_ms;
    uint8_t *evbuf;
    const uint8_t **evs;
    size_t *lens;
    struct ledger_block_result r;
    uint8_t (*leaves)[MERKLE_HASH_LEN];   /* the generator's leaf of every item */
};

static double ms_since(uint64_t t0)
{
    return (double)(sb_now_ns() - t0) / 1e6;
}

static int parse_opts(int argc, char **argv, struct tb_opts *o)
{
    o->items = 1000000;
    o->block = 5000;
    o->dir = NULL;
    o->random_items = false;
    o->loads = 3;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: tree_bench [--items N] [--block E] [--dir D] [--random-items]\n"
                   "                  [--loads K]\n"
                   "Fills a fresh store with N items (default 1000000), one commission each in\n"
                   "blocks of E (default 5000), then times K (default 3) start-ups: store_open\n"
                   "and the item-state tree rebuilt from the store (node_tree_load).\n"
                   "D: the store folder (default a fresh one under /tmp, removed at the end).\n");
            exit(0);
        }
        if (strcmp(a, "--random-items") == 0) {
            o->random_items = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "tree_bench: %s needs a value (see --help)\n", a);
            return -1;
        }
        i++;
        if (strcmp(a, "--dir") == 0) {
            o->dir = v;
            continue;
        }
        errno = 0;
        char *end = NULL;
        unsigned long long num = strtoull(v, &end, 10);
        if (errno || end == v || *end || v[0] == '-') {
            fprintf(stderr, "tree_bench: %s wants a whole number, not '%s'\n", a, v);
            return -1;
        }
        if (strcmp(a, "--items") == 0) {
            o->items = num;
        } else if (strcmp(a, "--block") == 0 && num <= UINT32_MAX) {
            o->block = (uint32_t)num;
        } else if (strcmp(a, "--loads") == 0 && num <= 100) {
            o->loads = (unsigned)num;
        } else {
            fprintf(stderr, "tree_bench: unknown option %s or value out of range\n", a);
            return -1;
        }
    }
    if (o->items == 0 || o->block == 0 || o->loads == 0) {
        fprintf(stderr, "tree_bench: items, block and loads must be at least 1\n");
        return -1;
    }
    return 0;
}

static int open_store(struct tb *t)
{
    struct store_options so;
    store_options_init(&so);
    so.no_sync = true;
    return store_open(t->o.dir, &so, &t->s);
}

/* Builds and signs the next block of n commissions (untimed), then appends
 * it (timed into *ns). */
static int tb_block(struct tb *t, uint32_t n, uint64_t *ns)
{
    const uint64_t height = t->height + 1;
    t->time_ms += 1000;
    for (uint32_t j = 0; j < n; j++) {
        struct ledger_item_state *st = &t->r.states[j];
        memset(st, 0, sizeof *st);
        sb_item_name(t->o.random_items, t->registered, st->item);
        snprintf(st->custodian, sizeof st->custodian, "acme");
        snprintf(st->location, sizeof st->location, "NLRTM");
        st->status = LEDGER_ITEM_ACTIVE;
        st->commission_time_ms = t->time_ms;
        st->latest_time_ms = t->time_ms;
        st->count = 1;
        st->first_height = height;
        st->last_height = height;
        st->reg_index = t->registered;
        struct ledger_event ev;
        memset(&ev, 0, sizeof ev);
        ev.action = LEDGER_COMMISSION;
        snprintf(ev.location, sizeof ev.location, "NLRTM");
        snprintf(ev.item, sizeof ev.item, "%s", st->item);
        ev.time_ms = t->time_ms;
        ev.nonce = t->registered + 1;
        memcpy(ev.submitter, t->pk, WB_PUBKEY_LEN);
        uint8_t *slot = t->evbuf + (size_t)j * WB_SIGNED_EVENT_MAX;
        int rc = ledger_event_sign(t->chain_id, &ev, t->sk, slot, WB_SIGNED_EVENT_MAX,
                                   &t->lens[j]);
        if (rc) return rc;
        t->evs[j] = slot;
        memcpy(t->r.ids[j], ev.id, WB_HASH_LEN);
        memcpy(st->head, ev.id, WB_HASH_LEN);
        t->r.state_of[j] = j;
        struct ledger_item_leaf leaf;
        ledger_item_leaf_from_state(st, t->registered, &leaf);
        ledger_item_leaf_hash(&leaf, t->leaves[t->registered]);
        t->registered++;
    }
    t->r.event_count = n;
    t->r.state_count = n;

    struct ledger_block_header h;
    memset(&h, 0, sizeof h);
    h.version = WB_BLOCK_VERSION;
    memcpy(h.chain_id, t->chain_id, WB_CHAIN_ID_LEN);
    h.height = height;
    h.time_ms = t->time_ms;
    memcpy(h.prev_hash, t->last_hash, WB_HASH_LEN);
    uint8_t hash[WB_HASH_LEN];
    int rc = sb_append_block(t->s, &h, t->evs, t->lens, n, &t->r, hash, ns);
    if (rc) return rc;
    t->height = height;
    memcpy(t->last_hash, hash, WB_HASH_LEN);
    return WB_OK;
}

static int tb_setup(struct tb *t)
{
    uint8_t seed[32] = {0x43};
    if (sodium_init() < 0 || crypto_sign_seed_keypair(t->pk, t->sk, seed) != 0)
        return WB_ERR_CRYPTO;
    ledger_chain_id("tree-bench", t->chain_id);
    t->time_ms = INT64_C(1760000000000);
    size_t n = t->o.block;
    t->evbuf = malloc(n * WB_SIGNED_EVENT_MAX);
    t->evs = calloc(n, sizeof t->evs[0]);
    t->lens = calloc(n, sizeof t->lens[0]);
    t->r.states = calloc(n, sizeof t->r.states[0]);
    t->r.ids = calloc(n, sizeof t->r.ids[0]);
    t->r.state_of = calloc(n, sizeof t->r.state_of[0]);
    t->leaves = malloc((size_t)t->o.items * sizeof t->leaves[0]);
    if (!t->evbuf || !t->evs || !t->lens || !t->r.states || !t->r.ids || !t->r.state_of ||
        !t->leaves)
        return WB_ERR_NOMEM;
    return open_store(t);
}

static void tb_free(struct tb *t)
{
    store_close(t->s);
    free(t->evbuf);
    free(t->evs);
    free(t->lens);
    free(t->r.states);
    free(t->r.ids);
    free(t->r.state_of);
    free(t->leaves);
}

/* The timed start-ups; each tree checked against the generator's root. */
static int tb_loads(struct tb *t, const uint8_t want_root[MERKLE_HASH_LEN], double *best_ms)
{
    double best = 0, worst = 0, best_open = 0;
    for (unsigned k = 0; k < t->o.loads; k++) {
        store_close(t->s);
        t->s = NULL;
        uint64_t t0 = sb_now_ns();
        int rc = open_store(t);
        double open_ms = ms_since(t0);
        if (rc) {
            fprintf(stderr, "tree_bench: store_open: %s\n", wb_strerror(rc));
            return rc;
        }
        struct node_env env;
        memset(&env, 0, sizeof env);
        env.store = t->s;
        struct ledger_state_tree tree;
        ledger_state_tree_init(&tree);
        uint64_t t1 = sb_now_ns();
        rc = node_tree_load(&tree, &env);
        double load_ms = ms_since(t1);
        if (rc) {
            fprintf(stderr, "tree_bench: node_tree_load: %s\n", wb_strerror(rc));
            ledger_state_tree_free(&tree);
            return rc;
        }
        uint8_t root[MERKLE_HASH_LEN];
        ledger_state_tree_root(&tree, root);
        uint64_t got = tree.count;
        bool same = got == t->registered && memcmp(root, want_root, sizeof root) == 0;
        ledger_state_tree_free(&tree);
        if (!same) {
            fprintf(stderr, "tree_bench: the rebuilt tree (%" PRIu64 " items) is not the "
                            "generator's tree of %" PRIu64 " items\n",
                    got, t->registered);
            return WB_ERR_INTERNAL;
        }
        printf("load %u: store_open %.1f ms, tree rebuilt in %.1f ms (%" PRIu64
               " items, root as the generator's)\n",
               k + 1, open_ms, load_ms, t->registered);
        if (k == 0 || load_ms < best) best = load_ms, best_open = open_ms;
        if (k == 0 || load_ms > worst) worst = load_ms;
    }
    printf("tree-load fastest %.1f ms (store_open %.1f ms), slowest %.1f ms of %u\n", best,
           best_open, worst, t->o.loads);
    *best_ms = best;
    return WB_OK;
}

int main(int argc, char **argv)
{
    struct tb t;
    memset(&t, 0, sizeof t);
    if (parse_opts(argc, argv, &t.o)) return 2;
    wb_log_set_level(WB_LOG_WARN);
    char tmp[64] = "/tmp/waybill-tree-bench-XXXXXX";
    bool own_dir = !t.o.dir;
    if (own_dir) {
        if (!mkdtemp(tmp)) {
            fprintf(stderr, "tree_bench: mkdtemp: %s\n", strerror(errno));
            return 1;
        }
        t.o.dir = tmp;
    }
    int rc = tb_setup(&t);
    if (rc) fprintf(stderr, "tree_bench: setup: %s\n", wb_strerror(rc));
    uint64_t last;
    if (rc == WB_OK && (rc = store_last(t.s, &last, NULL, NULL)) == WB_OK && last != 0) {
        fprintf(stderr, "tree_bench: %s already holds a store\n", t.o.dir);
        rc = WB_ERR_INVALID;
    }
    if (rc == WB_OK)
        printf("tree_bench: %" PRIu64 " items, one commission each, in blocks of %u into %s "
               "(no_sync, %s item ids)\n",
               t.o.items, t.o.block, t.o.dir, t.o.random_items ? "random" : "serial");
    uint64_t append_ns = 0, t0 = sb_now_ns();
    while (rc == WB_OK && t.registered < t.o.items) {
        uint64_t left = t.o.items - t.registered;
        rc = tb_block(&t, left < t.o.block ? (uint32_t)left : t.o.block, &append_ns);
        if (rc)
            fprintf(stderr, "tree_bench: block %" PRIu64 ": %s\n", t.height + 1,
                    wb_strerror(rc));
    }
    double fill_ms = ms_since(t0);
    uint8_t want[MERKLE_HASH_LEN];
    double best_ms = 0;
    if (rc == WB_OK) {
        printf("filled: %" PRIu64 " blocks in %.0f ms (appends %.0f ms, the rest signing)\n",
               t.height, fill_ms, (double)append_ns / 1e6);
        struct ledger_state_tree ref;
        ledger_state_tree_init(&ref);
        uint64_t t1 = sb_now_ns();
        rc = ledger_state_tree_build(&ref, (const uint8_t (*)[MERKLE_HASH_LEN])t.leaves,
                                     t.registered);
        double build_ms = ms_since(t1);
        ledger_state_tree_root(&ref, want);
        ledger_state_tree_free(&ref);
        /* The part of a load that is hashing the tree's interior nodes;
         * the rest is reading the items and hashing their leaves. */
        if (rc == WB_OK)
            printf("the generator's tree over the same leaves built in %.1f ms (interior "
                   "nodes only)\n",
                   build_ms);
    }
    if (rc == WB_OK) rc = tb_loads(&t, want, &best_ms);
    tb_free(&t);
    if (own_dir) sb_remove_tree(tmp);
    if (rc) return 1;
    printf("tree-load items=%" PRIu64 " ms=%.0f\n", t.registered, best_ms);
    return 0;
}
