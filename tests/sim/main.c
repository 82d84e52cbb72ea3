/* The simulator's command line: the default suite (what `make test` runs),
 * a single replayable run, and a longer campaign. The last line printed is
 * always "N passed, N failed". */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/sim/sim.h"

#define DEFAULT_SEEDS 1000
#define SEED_BASE 0x5eed0000ull
#define TEETH_BUDGET 400
#define QUIET_HEIGHTS 10
#define LIVENESS_MS 60000

static const char *const bug_names[] = {"none", "skip-lock-check", "send-before-persist",
                                        "count-duplicates"};

static int bug_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(bug_names[i], s) == 0) return i;
    return -1;
}

/* Wall time, for reporting only: nothing in a run depends on it. */
static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *prog = "sim";

static void config(struct sim_config *c, uint64_t seed, size_t n, const struct sim_mix *mix,
                   enum cons_test_bug bug)
{
    memset(c, 0, sizeof *c);
    c->seed = seed;
    c->n = n;
    c->mix = mix;
    c->bug = bug;
    c->quiet_heights = QUIET_HEIGHTS;
    c->liveness_ms = LIVENESS_MS;
}

static void print_replay(const struct sim_config *c)
{
    printf("  replay: %s --seed %" PRIu64 " --n %zu --mix %s", prog, c->seed, c->n,
           c->mix->name);
    if (c->bug) printf(" --bug %s", bug_names[c->bug]);
    if (c->no_record_check) printf(" --no-record-check");
    printf(" --trace\n");
}

static void print_failure(const struct sim_config *c, const struct sim_result *r)
{
    printf("FAIL seed=%" PRIu64 " n=%zu mix=%s%s%s: %s\n", c->seed, c->n, c->mix->name,
           c->bug ? " bug=" : "", c->bug ? bug_names[c->bug] : "", r->failure);
    print_replay(c);
}

/* The i-th run of the suite: n and fault mix cycle with i. */
static void suite_config(struct sim_config *c, uint64_t i, enum cons_test_bug bug)
{
    size_t n = (i % 5 < 3) ? 4 : 7;
    const struct sim_mix *mix = &sim_mixes[(i / 5 + i) % sim_mix_count];
    config(c, SEED_BASE + i, n, mix, bug);
}

struct totals {
    unsigned passed, failed;
    uint64_t heights, syncs, restarts, evidence, deliveries;
};

static bool run_one(const struct sim_config *c, struct sim_result *r, struct totals *t,
                    bool expect_ok)
{
    sim_run(c, r);
    t->heights += r->heights;
    t->syncs += r->syncs;
    t->restarts += r->restarts;
    t->evidence += r->evidence;
    t->deliveries += r->deliveries;
    if (expect_ok && !r->ok) print_failure(c, r);
    return r->ok;
}

static void run_seeds(uint64_t count, struct totals *t)
{
    unsigned per_mix_fail[16] = {0};
    for (uint64_t i = 0; i < count; i++) {
        struct sim_config c;
        struct sim_result r;
        suite_config(&c, i, CONS_BUG_NONE);
        if (run_one(&c, &r, t, true)) {
            t->passed++;
        } else {
            t->failed++;
            per_mix_fail[(i / 5 + i) % sim_mix_count]++;
        }
    }
    for (size_t m = 0; m < sim_mix_count; m++)
        if (per_mix_fail[m]) printf("  mix %s: %u failed runs\n", sim_mixes[m].name, per_mix_fail[m]);
}

/* A deliberate bug is caught when some run of the budget fails a check. */
static void teeth(struct totals *t, enum cons_test_bug bug, bool no_record_check,
                  const char *const *mixes, size_t mix_n)
{
    struct totals scratch = {0};
    for (uint64_t i = 0; i < TEETH_BUDGET; i++) {
        struct sim_config c;
        struct sim_result r;
        config(&c, SEED_BASE + 0x100000 + i, i % 2 ? 7 : 4,
               sim_mix_find(mixes[i % mix_n]), bug);
        c.no_record_check = no_record_check;
        if (!run_one(&c, &r, &scratch, false)) {
            printf("teeth: bug %s%s caught by check '%s' after %" PRIu64
                   " run(s): seed=%" PRIu64 " n=%zu mix=%s\n        %s\n",
                   bug_names[bug], no_record_check ? " (record check off)" : "", r.check,
                   i + 1, c.seed, c.n, c.mix->name, r.failure);
            t->passed++;
            return;
        }
    }
    printf("FAIL teeth: bug %s%s NOT caught in %d runs\n", bug_names[bug],
           no_record_check ? " (record check off)" : "", TEETH_BUDGET);
    t->failed++;
}

/* Same seed, same trace, byte for byte (compared by hash); another seed
 * gives another trace. */
static void determinism(struct totals *t)
{
    struct sim_config c;
    struct sim_result a, b, other;
    config(&c, SEED_BASE + 77, 7, sim_mix_find("chaos"), CONS_BUG_NONE);
    sim_run(&c, &a);
    sim_run(&c, &b);
    c.seed++;
    sim_run(&c, &other);
    if (a.trace_hash == b.trace_hash && a.trace_hash != other.trace_hash && a.ok == b.ok) {
        printf("determinism: seed %" PRIu64 " twice -> trace hash %016" PRIx64 " both times "
               "(%" PRIu64 " deliveries)\n", c.seed - 1, a.trace_hash, a.deliveries);
        t->passed++;
    } else {
        printf("FAIL determinism: seed %" PRIu64 " gave trace hashes %016" PRIx64 " and %016"
               PRIx64 " (next seed %016" PRIx64 ")\n", c.seed - 1, a.trace_hash, b.trace_hash,
               other.trace_hash);
        t->failed++;
    }
}

static int default_suite(uint64_t seeds)
{
    struct totals t = {0};
    double t0 = wall_s();
    run_seeds(seeds, &t);
    double t1 = wall_s();
    printf("seeds: %u passed, %u failed, %" PRIu64 " runs over n=4 and n=7 and %zu fault mixes "
           "in %.1f s; heights %" PRIu64 ", synced blocks %" PRIu64 ", restarts %" PRIu64
           ", evidence %" PRIu64 "\n",
           t.passed, t.failed, seeds, sim_mix_count, t1 - t0, t.heights, t.syncs, t.restarts,
           t.evidence);
    static const char *const byz_mixes[] = {"byzantine", "chaos"};
    static const char *const any_mixes[] = {"lossy", "crash", "byzantine", "chaos"};
    static const char *const crash_mixes[] = {"crash", "chaos"};
    teeth(&t, CONS_BUG_SKIP_LOCK_CHECK, false, byz_mixes, 2);
    teeth(&t, CONS_BUG_SEND_BEFORE_PERSIST, false, any_mixes, 4);
    teeth(&t, CONS_BUG_SEND_BEFORE_PERSIST, true, crash_mixes, 2);
    teeth(&t, CONS_BUG_COUNT_DUPLICATES, false, any_mixes, 4);
    determinism(&t);
    printf("wall time %.1f s\n", wall_s() - t0);
    printf("%u passed, %u failed\n", t.passed, t.failed);
    return t.failed ? 1 : 0;
}

static int campaign(uint64_t seeds, size_t n, const struct sim_mix *mix)
{
    struct totals t = {0};
    double t0 = wall_s();
    for (uint64_t i = 0; i < seeds; i++) {
        struct sim_config c;
        struct sim_result r;
        suite_config(&c, 0x1000000 + i, CONS_BUG_NONE);
        if (n) c.n = n;
        if (mix) c.mix = mix;
        if (run_one(&c, &r, &t, true))
            t.passed++;
        else
            t.failed++;
        if ((i + 1) % 500 == 0) {
            double s = wall_s() - t0;
            printf("campaign: %" PRIu64 " seeds, %.1f seeds/s, %" PRIu64 " heights decided\n",
                   i + 1, (double)(i + 1) / s, t.heights);
            fflush(stdout);
        }
    }
    double s = wall_s() - t0;
    printf("campaign: %" PRIu64 " seeds in %.1f s: %.1f seeds/s; %" PRIu64 " heights decided "
           "(%.0f heights/s); synced blocks %" PRIu64 ", restarts %" PRIu64 ", evidence %" PRIu64
           "\n", seeds, s, (double)seeds / s, t.heights, (double)t.heights / s, t.syncs,
           t.restarts, t.evidence);
    printf("%u passed, %u failed\n", t.passed, t.failed);
    return t.failed ? 1 : 0;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: %s                       default suite (make test)\n"
            "       %s --seeds N             default suite with N seeds\n"
            "       %s --campaign --seeds N [--n 4|7] [--mix M]\n"
            "       %s --seed S [--n 4|7] [--mix M] [--bug B] [--no-record-check] [--trace]\n"
            "mixes: clean lossy partition crash byzantine chaos\n"
            "bugs: skip-lock-check send-before-persist count-duplicates\n",
            prog, prog, prog, prog);
    printf("0 passed, 1 failed\n");
    return 2;
}

int main(int argc, char **argv)
{
    prog = argv[0];
    if (sodium_init() < 0) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    uint64_t seeds = DEFAULT_SEEDS, seed = 0;
    bool have_seed = false, camp = false, do_trace = false, no_record = false;
    size_t n = 0;
    const struct sim_mix *mix = NULL;
    int bug = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--campaign") == 0) {
            camp = true;
        } else if (strcmp(a, "--trace") == 0) {
            do_trace = true;
        } else if (strcmp(a, "--no-record-check") == 0) {
            no_record = true;
        } else if (strcmp(a, "--seeds") == 0 && v) {
            seeds = strtoull(v, NULL, 0);
            i++;
        } else if (strcmp(a, "--seed") == 0 && v) {
            seed = strtoull(v, NULL, 0);
            have_seed = true;
            i++;
        } else if (strcmp(a, "--n") == 0 && v) {
            n = (size_t)strtoul(v, NULL, 0);
            if (n != 4 && n != 7) return usage();
            i++;
        } else if (strcmp(a, "--mix") == 0 && v) {
            mix = sim_mix_find(v);
            if (!mix) return usage();
            i++;
        } else if (strcmp(a, "--bug") == 0 && v) {
            bug = bug_parse(v);
            if (bug < 0) return usage();
            i++;
        } else {
            return usage();
        }
    }
    if (camp) return campaign(seeds, n, mix);
    if (!have_seed) return default_suite(seeds);

    struct sim_config c;
    config(&c, seed, n ? n : 4, mix ? mix : sim_mix_find("chaos"), (enum cons_test_bug)bug);
    c.no_record_check = no_record;
    if (do_trace) c.trace = stdout;
    struct sim_result r;
    sim_run(&c, &r);
    if (!r.ok) print_failure(&c, &r);
    printf("seed %" PRIu64 ": %s; heights %" PRIu64 ", deliveries %" PRIu64 ", synced %" PRIu64
           ", restarts %" PRIu64 ", evidence %" PRIu64 ", simulated %lld ms, trace hash %016"
           PRIx64 "\n", seed, r.ok ? "ok" : "FAILED", r.heights, r.deliveries, r.syncs,
           r.restarts, r.evidence, (long long)r.sim_ms, r.trace_hash);
    printf("%u passed, %u failed\n", r.ok ? 1u : 0u, r.ok ? 0u : 1u);
    return r.ok ? 0 : 1;
}
