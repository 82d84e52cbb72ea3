/* Storage growth micro-benchmark: appends synthetic blocks of signed events
 * into a fresh store up to N events and prints, for every slice of events
 * (100,000 by default), the append cost per event: microseconds (wall time,
 * so noisy on a busy machine), bytes written to the store files (wchar of
 * /proc/self/io: LMDB writes its dirty pages with pwrite, so this is the
 * pages each commit writes) and pages written per block. The figures of the
 * first and the last slice show whether the cost per event grows with the
 * ledger.
 *
 * Workload: every block has E events; each item gets ITEM_EVENTS events, one
 * in each of ITEM_EVENTS consecutive blocks (a commission, then events that
 * follow the item's head), so a block commissions E / ITEM_EVENTS new items
 * and moves E - E / ITEM_EVENTS older ones. Item ids are serial numbers
 * (urn:waybill:bench:00000001, ...: new items sort after the old ones, as a
 * shipper's container or serial numbers do and as the loadgen's do); with
 * --random-items they are spread over the id space (a hash of the number),
 * the worst case for the items database.
 * Events are really signed (one Ed25519 signature each, outside the timed
 * append); blocks go in through store_append_checked with the ids and item
 * states the generator knows, as a node's commit path does.
 *
 * Usage: store_growth [--events N] [--block E] [--every K] [--dir D] [--sync]
 *                     [--random-items]
 *   N default 1000000, E default 500, K default 100000; D default a fresh
 *   directory under /tmp, removed at the end unless given. --sync syncs every
 *   commit (default: no_sync, the bytes written are the same).
 * After the appends it times lookups by event id (store_event_location,
 * which probes the id index once per id epoch): ids never stored (what a
 * submit of a new event asks), the first block's and the last block's
 * events, printed as `store-lookup epochs=.. us_missing=.. us_oldest=..
 * us_newest=..` (microseconds, so noisy on a busy machine).
 * The last line is `store-growth events=N first_bytes_per_ev=B0
 * last_bytes_per_ev=B1 ratio=R` (R = B1 / B0). */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/store/store_bench.h"
#include "common/bytes.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "ledger/genesis.h"
#include "ledger/validate.h"
#include "proto/waybill.pb-c.h"
#include "storage/store.h"

#define ITEM_EVENTS 4
#define PAGE_BYTES 4096.0
#define LOOKUP_MISSING 20000   /* lookups of ids never stored */
#define LOOKUP_ROUNDS 20       /* passes over the first and last block's ids */

struct bench_opts {
    uint64_t events;
    uint32_t block;
    uint64_t every;
    const char *dir;
    bool sync;
    bool random_items;
};

/* One item being moved: its state as the store holds it after its last event. */
struct bench_item {
    struct ledger_item_state st;
};

/* wchar of /proc/self/io: bytes this process passed to write calls. */
static int io_wchar(uint64_t *out)
{
    FILE *f = fopen("/proc/self/io", "r");
    if (!f) return -1;
    char line[128];
    int rc = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "wchar: %" SCNu64, out) == 1) {
            rc = 0;
            break;
        }
    fclose(f);
    return rc;
}

static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
    o->events = 1000000;
    o->block = 500;
    o->every = 100000;
    o->dir = NULL;
    o->sync = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: store_growth [--events N] [--block E] [--every K] [--dir D] [--sync]\n"
                   "                    [--random-items]\n"
                   "Appends signed synthetic blocks of E events (default 500, a multiple of %d)\n"
                   "into a fresh store up to N events (default 1000000) and prints, every K\n"
                   "events (default 100000), the append's microseconds, bytes written and\n"
                   "pages per block. D: the store folder (default a fresh one under /tmp,\n"
                   "removed at the end). --sync syncs every commit; --random-items spreads\n"
                   "item ids over the id space instead of numbering them in order.\n",
                   ITEM_EVENTS);
            exit(0);
        }
        if (strcmp(a, "--sync") == 0 || strcmp(a, "--random-items") == 0) {
            if (a[2] == 's') o->sync = true;
            else o->random_items = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "store_growth: %s needs a value (see the header of the source)\n", a);
            return -1;
        }
        i++;
        char *end = NULL;
        unsigned long long num = 0;
        if (strcmp(a, "--dir") != 0) {
            errno = 0;
            num = strtoull(v, &end, 10);
            if (errno || end == v || *end || v[0] == '-' ||
                (strcmp(a, "--block") == 0 && num > UINT32_MAX)) {
                fprintf(stderr, "store_growth: %s wants a whole number, not '%s'\n", a, v);
                return -1;
            }
        }
        if (strcmp(a, "--events") == 0) o->events = num;
        else if (strcmp(a, "--block") == 0) o->block = (uint32_t)num;
        else if (strcmp(a, "--every") == 0) o->every = num;
        else if (strcmp(a, "--dir") == 0) o->dir = v;
        else {
            fprintf(stderr, "store_growth: unknown option %s\n", a);
            return -1;
        }
    }
    if (o->events == 0 || o->block == 0 || o->block % ITEM_EVENTS || o->every == 0) {
        fprintf(stderr, "store_growth: events, every >= 1 and block a multiple of %d\n",
                ITEM_EVENTS);
        return -1;
    }
    return 0;
}

struct bench {
    struct bench_opts o;
    struct store *s;
    uint8_t chain_id[WB_CHAIN_ID_LEN];
    uint8_t pk[WB_PUBKEY_LEN], sk[WB_SECKEY_LEN];
    /* Ring of ITEM_EVENTS generations of block / ITEM_EVENTS items. */
    struct bench_item *ring;
    uint32_t per_gen;
    uint64_t height, nonce;
    uint64_t registered;        /* items so far: the next registration index */
    uint8_t last_hash[WB_HASH_LEN];
    int64_t time_ms;
    /* Per block buffers. */
    uint8_t *evbuf;
    const uint8_t **evs;
    size_t *lens;
    struct ledger_block_result r;
    /* The first block's event ids, for the lookups at the end. */
    uint8_t (*first_ids)[WB_HASH_LEN];
    size_t n_first;
};

/* Builds block height+1 and appends it; adds the time of the append to *ns. */
static int bench_block(struct bench *bn, uint64_t *ns)
{
    const uint64_t height = bn->height + 1;
    const uint32_t n = bn->o.block;
    bn->time_ms += 1000;
    /* Generation g = height % ITEM_EVENTS is commissioned now; the other
     * generations (commissioned 1..ITEM_EVENTS-1 blocks ago) move on. */
    const uint32_t new_gen = (uint32_t)(height % ITEM_EVENTS);
    for (uint32_t j = 0; j < n; j++) {
        uint32_t gen = j / bn->per_gen, k = j % bn->per_gen;
        struct bench_item *it = &bn->ring[gen * bn->per_gen + k];
        struct ledger_event ev;
        memset(&ev, 0, sizeof ev);
        if (gen == new_gen) {
            memset(it, 0, sizeof *it);
            sb_item_name(bn->o.random_items, bn->nonce, it->st.item);
            snprintf(it->st.custodian, sizeof it->st.custodian, "acme");
            snprintf(it->st.location, sizeof it->st.location, "NLRTM");
            it->st.status = LEDGER_ITEM_ACTIVE;
            it->st.commission_time_ms = bn->time_ms;
            it->st.first_height = height;
            it->st.reg_index = bn->registered++;
            ev.action = LEDGER_COMMISSION;
            snprintf(ev.location, sizeof ev.location, "NLRTM");
        } else if (it->st.count == 0) {
            continue; /* the first blocks: older generations not there yet */
        } else {
            ev.action = LEDGER_INSPECT;
            ev.has_prev = true;
            memcpy(ev.prev, it->st.head, WB_HASH_LEN);
            snprintf(ev.attrs[0].key, sizeof ev.attrs[0].key, "result");
            snprintf(ev.attrs[0].value, sizeof ev.attrs[0].value, "ok");
            ev.attr_count = 1;
        }
        snprintf(ev.item, sizeof ev.item, "%s", it->st.item);
        ev.time_ms = bn->time_ms;
        ev.nonce = ++bn->nonce;
        memcpy(ev.submitter, bn->pk, WB_PUBKEY_LEN);
        size_t idx = bn->r.event_count;
        uint8_t *slot = bn->evbuf + idx * WB_SIGNED_EVENT_MAX;
        int rc = ledger_event_sign(bn->chain_id, &ev, bn->sk, slot, WB_SIGNED_EVENT_MAX,
                                   &bn->lens[idx]);
        if (rc) return rc;
        bn->evs[idx] = slot;
        memcpy(bn->r.ids[idx], ev.id, WB_HASH_LEN);
        it->st.count++;
        it->st.last_height = height;
        it->st.latest_time_ms = bn->time_ms;
        memcpy(it->st.head, ev.id, WB_HASH_LEN);
        bn->r.states[idx] = it->st;
        bn->r.state_of[idx] = (uint32_t)idx;
        bn->r.event_count++;
    }
    bn->r.state_count = bn->r.event_count;

    struct ledger_block_header h;
    memset(&h, 0, sizeof h);
    h.version = WB_BLOCK_VERSION;
    memcpy(h.chain_id, bn->chain_id, WB_CHAIN_ID_LEN);
    h.height = height;
    h.time_ms = bn->time_ms;
    memcpy(h.prev_hash, bn->last_hash, WB_HASH_LEN);
    uint8_t hash[WB_HASH_LEN];
    int rc = sb_append_block(bn->s, &h, bn->evs, bn->lens, bn->r.event_count, &bn->r, hash, ns);
    if (rc) return rc;
    bn->height = height;
    memcpy(bn->last_hash, hash, WB_HASH_LEN);
    if (height == 1) {
        memcpy(bn->first_ids, bn->r.ids, bn->r.event_count * sizeof bn->first_ids[0]);
        bn->n_first = bn->r.event_count;
    }
    return WB_OK;
}

/* Average microseconds of store_event_location over ids[0..n) `rounds`
 * times, after one untimed pass (so the pages are mapped, as in a running
 * node); want_found says whether each must be found. */
static int bench_lookups(struct store *s, const uint8_t (*ids)[WB_HASH_LEN], size_t n,
                         unsigned rounds, bool want_found, double *us)
{
    uint64_t t0 = 0;
    for (unsigned k = 0; k <= rounds; k++) {
        if (k == 1) t0 = sb_now_ns();
        for (size_t i = 0; i < n; i++) {
            uint64_t h;
            uint32_t idx;
            int rc = store_event_location(s, ids[i], &h, &idx);
            if (rc != (want_found ? WB_OK : WB_ERR_NOT_FOUND)) {
                fprintf(stderr, "store_growth: lookup %zu: %s\n", i, wb_strerror(rc));
                return rc ? rc : WB_ERR_INTERNAL;
            }
        }
    }
    *us = n && rounds ? (double)(sb_now_ns() - t0) / 1000.0 / (double)(n * rounds) : 0.0;
    return WB_OK;
}

/* The lookups by id after the appends (see the header). */
static int bench_lookup_report(struct bench *bn, uint64_t total)
{
    uint8_t (*missing)[WB_HASH_LEN] = malloc(LOOKUP_MISSING * sizeof *missing);
    if (!missing) return WB_ERR_NOMEM;
    for (size_t i = 0; i < LOOKUP_MISSING; i++) {
        uint8_t in[9] = {0xee};
        wb_put_u64be(in + 1, i);
        ledger_sha256(in, sizeof in, missing[i]);
    }
    double us_missing = 0, us_oldest = 0, us_newest = 0;
    int rc = bench_lookups(bn->s, (const uint8_t(*)[WB_HASH_LEN])missing, LOOKUP_MISSING, 1,
                           false, &us_missing);
    if (rc == WB_OK)
        rc = bench_lookups(bn->s, (const uint8_t(*)[WB_HASH_LEN])bn->first_ids, bn->n_first,
                           LOOKUP_ROUNDS, true, &us_oldest);
    if (rc == WB_OK)
        rc = bench_lookups(bn->s, (const uint8_t(*)[WB_HASH_LEN])bn->r.ids, bn->r.event_count,
                           LOOKUP_ROUNDS, true, &us_newest);
    free(missing);
    if (rc) return rc;
    printf("store-lookup events=%" PRIu64 " us_missing=%.2f us_oldest=%.2f us_newest=%.2f\n",
           total, us_missing, us_oldest, us_newest);
    return WB_OK;
}

static int bench_setup(struct bench *bn)
{
    uint8_t seed[32] = {0x42};
    if (sodium_init() < 0 || crypto_sign_seed_keypair(bn->pk, bn->sk, seed) != 0)
        return WB_ERR_CRYPTO;
    ledger_chain_id("store-growth", bn->chain_id);
    bn->time_ms = INT64_C(1760000000000);
    bn->per_gen = bn->o.block / ITEM_EVENTS;
    size_t n = bn->o.block;
    bn->ring = calloc(n, sizeof bn->ring[0]);
    bn->evbuf = malloc(n * WB_SIGNED_EVENT_MAX);
    bn->evs = calloc(n, sizeof bn->evs[0]);
    bn->lens = calloc(n, sizeof bn->lens[0]);
    bn->r.states = calloc(n, sizeof bn->r.states[0]);
    bn->r.ids = calloc(n, sizeof bn->r.ids[0]);
    bn->r.state_of = calloc(n, sizeof bn->r.state_of[0]);
    bn->first_ids = calloc(n, sizeof bn->first_ids[0]);
    if (!bn->ring || !bn->evbuf || !bn->evs || !bn->lens || !bn->r.states || !bn->r.ids ||
        !bn->r.state_of || !bn->first_ids)
        return WB_ERR_NOMEM;
    struct store_options so;
    store_options_init(&so);
    so.no_sync = !bn->o.sync;
    return store_open(bn->o.dir, &so, &bn->s);
}

static void bench_free(struct bench *bn)
{
    store_close(bn->s);
    free(bn->ring);
    free(bn->evbuf);
    free(bn->evs);
    free(bn->lens);
    free(bn->r.states);
    free(bn->r.ids);
    free(bn->r.state_of);
    free(bn->first_ids);
}

int main(int argc, char **argv)
{
    struct bench bn;
    memset(&bn, 0, sizeof bn);
    if (parse_opts(argc, argv, &bn.o)) return 2;
    char tmp[64] = "/tmp/waybill-store-growth-XXXXXX";
    bool own_dir = !bn.o.dir;
    if (own_dir) {
        if (!mkdtemp(tmp)) {
            fprintf(stderr, "store_growth: mkdtemp: %s\n", strerror(errno));
            return 1;
        }
        bn.o.dir = tmp;
    }
    int rc = bench_setup(&bn);
    if (rc) {
        fprintf(stderr, "store_growth: setup: %s\n", wb_strerror(rc));
        bench_free(&bn);
        return 1;
    }
    printf("store_growth: %" PRIu64 " events in blocks of %u into %s (%s, %s item ids)\n",
           bn.o.events, bn.o.block, bn.o.dir, bn.o.sync ? "synced" : "no_sync",
           bn.o.random_items ? "random" : "serial");
    printf("%10s %10s %12s %14s %12s\n", "events", "blocks", "us_per_ev", "bytes_per_ev",
           "pages_per_blk");
    uint64_t total = 0, slice_ns = 0, slice_events = 0, slice_blocks = 0, w0 = 0, w1 = 0;
    double first_bpe = 0, last_bpe = 0;
    bool have_first = false;
    if (io_wchar(&w0)) {
        fprintf(stderr, "store_growth: cannot read /proc/self/io\n");
        rc = WB_ERR_IO;
    }
    while (rc == WB_OK && total < bn.o.events) {
        bn.r.event_count = 0;
        /* Only the append's own writes count: the generator writes nothing. */
        rc = bench_block(&bn, &slice_ns);
        if (rc) {
            fprintf(stderr, "store_growth: block %" PRIu64 ": %s\n", bn.height + 1,
                    wb_strerror(rc));
            break;
        }
        total += bn.r.event_count;
        slice_events += bn.r.event_count;
        slice_blocks++;
        if (slice_events >= bn.o.every || total >= bn.o.events) {
            if (io_wchar(&w1)) {
                rc = WB_ERR_IO;
                break;
            }
            double bpe = (double)(w1 - w0) / (double)slice_events;
            printf("%10" PRIu64 " %10" PRIu64 " %12.2f %14.0f %12.1f\n", total, bn.height,
                   (double)slice_ns / 1000.0 / (double)slice_events, bpe,
                   (double)(w1 - w0) / PAGE_BYTES / (double)slice_blocks);
            fflush(stdout);
            if (!have_first) first_bpe = bpe;
            have_first = true;
            last_bpe = bpe;
            w0 = w1;
            slice_ns = slice_events = slice_blocks = 0;
        }
    }
    if (rc == WB_OK) rc = bench_lookup_report(&bn, total);
    bench_free(&bn);
    if (own_dir) sb_remove_tree(tmp);
    if (rc) return 1;
    printf("store-growth events=%" PRIu64 " first_bytes_per_ev=%.0f last_bytes_per_ev=%.0f "
           "ratio=%.2f\n",
           total, first_bpe, last_bpe, first_bpe > 0 ? last_bpe / first_bpe : 0.0);
    return 0;
}
