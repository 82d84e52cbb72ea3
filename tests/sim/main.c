/* The simulator's command line: the default suite (what `make test` runs),
 * a single replayable run, and a longer campaign. The last line printed is
 * always "N passed, N failed". */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/sim/sim.h"

#define DEFAULT_SEEDS 1000
#define SEED_BASE 0x5eed0000ull
#define TEETH_BUDGET 400
#define QUIET_HEIGHTS 10
#define LIVENESS_MS 60000

static const char *const bug_names[] = {"none", "skip-lock-check", "send-before-persist",
                                        "count-duplicates", "skip-idle-wait", "relay-unchecked",
                                        "old-set-keys"};
#define BUG_COUNT (int)(sizeof bug_names / sizeof bug_names[0])

static const char *const valset_names[] = {"none", "add", "remove", "replace"};
_Static_assert(sizeof valset_names / sizeof valset_names[0] == SIM_VS_KINDS, "valset names");
/* A kind, or "any" (SIM_VS_KINDS: every seed gets one, cycling). */
static int valset_parse(const char *s)
{
    if (strcmp(s, "any") == 0) return SIM_VS_KINDS;
    for (int i = 0; i < SIM_VS_KINDS; i++)
        if (strcmp(valset_names[i], s) == 0) return i;
    return -1;
}
static int bug_parse(const char *s)
{
    for (int i = 0; i < BUG_COUNT; i++)
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
                   enum cons_seam bug)
{
    memset(c, 0, sizeof *c);
    c->seed = seed;
    c->n = n;
    c->mix = mix;
    c->bug = bug;
    c->quiet_heights = QUIET_HEIGHTS;
    c->liveness_ms = LIVENESS_MS;
}

/* An idle run: long enough for the burst at SIM_IDLE_MS and its commit. */
static void config_idle(struct sim_config *c)
{
    c->idle_run = true;
    c->liveness_ms = SIM_IDLE_MS + 10000;
}

static void print_replay(const struct sim_config *c)
{
    printf("  replay: %s --seed %" PRIu64 " --n %zu --mix %s", prog, c->seed, c->n,
           c->mix->name);
    if (c->bug) printf(" --bug %s", bug_names[c->bug]);
    if (c->no_record_check) printf(" --no-record-check");
    if (c->no_lock_check) printf(" --no-lock-check");
    if (c->idle_run) printf(" --idle");
    if (c->valset) printf(" --valset %s", valset_names[c->valset]);
    printf(" --trace\n");
}

static void print_failure(const struct sim_config *c, const struct sim_result *r)
{
    printf("FAIL seed=%" PRIu64 " n=%zu mix=%s%s%s%s%s%s: %s\n", c->seed, c->n, c->mix->name,
           c->bug ? " bug=" : "", c->bug ? bug_names[c->bug] : "", c->idle_run ? " idle" : "",
           c->valset ? " valset=" : "", c->valset ? valset_names[c->valset] : "", r->failure);
    print_replay(c);
}

/* The i-th run of the suite: n and fault mix cycle with i; one run in
 * VALSET_EVERY has validator-set changes (n = 4, the kind cycling). */
#define VALSET_EVERY 16
static void suite_config(struct sim_config *c, uint64_t i, enum cons_seam bug)
{
    size_t n = (i % 5 < 3) ? 4 : 7;
    const struct sim_mix *mix = &sim_mixes[(i / 5 + i) % sim_mix_count];
    config(c, SEED_BASE + i, n, mix, bug);
    /* At n = 4: a replacement at n = 7 runs 14 nodes, for the campaign. */
    if (i % VALSET_EVERY == VALSET_EVERY - 1) {
        c->n = 4;
        c->valset = (uint8_t)(1 + (i / VALSET_EVERY) % (SIM_VS_KINDS - 1));
    }
}

struct totals {
    unsigned passed, failed;
    uint64_t valset_runs, set_changes, changes_under_faults;
    uint64_t heights, syncs, restarts, evidence, deliveries, empty, sig_checks, decisions, forged,
        rejected_sig;
};

static bool run_one(const struct sim_config *c, struct sim_result *r, struct totals *t)
{
    sim_run(c, r);
    t->heights += r->heights;
    return r->ok;
}

/* What a worker reports about one run. */
struct run_record {
    uint64_t index;
    struct sim_result r;
};

static void add_result(struct totals *t, const struct sim_result *r)
{
    if (r->set_changes) t->valset_runs++;
    t->set_changes += r->set_changes;
    t->changes_under_faults += r->changes_under_faults;
    t->heights += r->heights;
    t->syncs += r->syncs;
    t->restarts += r->restarts;
    t->evidence += r->evidence;
    t->sig_checks += r->sig_checks;
    t->decisions += r->decisions;
    t->forged += r->forged;
    t->rejected_sig += r->rejected_signature;
    t->deliveries += r->deliveries;
    t->empty += r->empty_blocks;
}

static bool read_full(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t got = read(fd, p, len);
        if (got <= 0) return false;
        p += got;
        len -= (size_t)got;
    }
    return true;
}

static bool write_full(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t put = write(fd, p, len);
        if (put <= 0) return false;
        p += put;
        len -= (size_t)put;
    }
    return true;
}

/* Runs runs [0, count) of `make` (index -> config) on `jobs` worker
 * processes; every run is independent and fully determined by its config,
 * so results do not depend on the number of workers. results[i] gets run
 * i's result; returns false if a worker died. */
static bool run_parallel(uint64_t count, unsigned jobs,
                         void (*make)(struct sim_config *, uint64_t, const void *),
                         const void *arg, struct sim_result *results)
{
    if (jobs < 1) jobs = 1;
    if (jobs > 16) jobs = 16;
    int fds[16];
    pid_t pids[16];
    unsigned started = 0;
    fflush(stdout);
    for (unsigned k = 0; k < jobs && jobs > 1; k++) {
        int p[2];
        if (pipe(p) != 0) break;
        pid_t pid = fork();
        if (pid < 0) {
            close(p[0]);
            close(p[1]);
            break;
        }
        if (pid == 0) {
            close(p[0]);
            for (uint64_t i = k; i < count; i += jobs) {
                struct run_record rec;
                struct sim_config c;
                make(&c, i, arg);
                rec.index = i;
                sim_run(&c, &rec.r);
                if (!write_full(p[1], &rec, sizeof rec)) _exit(1);
            }
            close(p[1]);
            _exit(0);
        }
        close(p[1]);
        fds[started] = p[0];
        pids[started++] = pid;
    }
    bool ok = true;
    if (started == 0) {
        for (uint64_t i = 0; i < count; i++) {
            struct sim_config c;
            make(&c, i, arg);
            sim_run(&c, &results[i]);
        }
        return true;
    }
    /* Worker k owns runs k, k + jobs, ...: read them in that order. */
    uint64_t expect[16] = {0};
    for (unsigned k = 0; k < started; k++) expect[k] = k;
    for (uint64_t done = 0; done < count && ok;) {
        for (unsigned k = 0; k < started; k++) {
            if (expect[k] >= count) continue;
            struct run_record rec;
            if (!read_full(fds[k], &rec, sizeof rec) || rec.index != expect[k]) {
                ok = false;
                break;
            }
            results[rec.index] = rec.r;
            expect[k] += started;
            done++;
        }
    }
    for (unsigned k = 0; k < started; k++) {
        close(fds[k]);
        int st;
        waitpid(pids[k], &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) ok = false;
    }
    return ok;
}

static void make_suite(struct sim_config *c, uint64_t i, const void *arg)
{
    (void)arg;
    suite_config(c, i, CONS_SEAM_NONE);
}

static void run_seeds(uint64_t count, unsigned jobs, struct totals *t)
{
    unsigned per_mix_fail[16] = {0};
    struct sim_result *res = calloc(count ? count : 1, sizeof *res);
    if (!res || !run_parallel(count, jobs, make_suite, NULL, res)) {
        printf("FAIL seeds: a worker process failed\n");
        t->failed++;
        free(res);
        return;
    }
    for (uint64_t i = 0; i < count; i++) {
        struct sim_config c;
        suite_config(&c, i, CONS_SEAM_NONE);
        add_result(t, &res[i]);
        if (res[i].ok) {
            t->passed++;
        } else {
            t->failed++;
            per_mix_fail[(i / 5 + i) % sim_mix_count]++;
            print_failure(&c, &res[i]);
        }
    }
    free(res);
    for (size_t m = 0; m < sim_mix_count; m++)
        if (per_mix_fail[m]) printf("  mix %s: %u failed runs\n", sim_mixes[m].name, per_mix_fail[m]);
}

/* A deliberate bug is caught when some run of the budget fails a check. */
static void teeth(struct totals *t, enum cons_seam bug, bool no_record_check,
                  const char *const *mixes, size_t mix_n, uint8_t valset)
{
    struct totals scratch = {0};
    for (uint64_t i = 0; i < TEETH_BUDGET; i++) {
        struct sim_config c;
        struct sim_result r;
        config(&c, SEED_BASE + 0x100000 + i, i % 2 ? 7 : 4,
               sim_mix_find(mixes[i % mix_n]), bug);
        c.no_record_check = no_record_check;
        c.valset = valset;
        /* The idle bug shows best where idle is the rule: every other run. */
        if (bug == CONS_SEAM_SKIP_IDLE_WAIT && i % 2) config_idle(&c);
        if (!run_one(&c, &r, &scratch)) {
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
    config(&c, SEED_BASE + 77, 7, sim_mix_find("chaos"), CONS_SEAM_NONE);
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

/* Idle runs: n = 4 and 7, the fault mixes without byzantine validators
 * (a byzantine proposer may cost the burst a round or two, which is not
 * what these measure), IDLE_SEEDS seeds each. */
#define IDLE_SEEDS 4
static const char *const idle_mixes[] = {"clean", "lossy", "partition", "crash"};
#define IDLE_MIXES (sizeof idle_mixes / sizeof idle_mixes[0])
#define IDLE_RUNS (2 * IDLE_MIXES * IDLE_SEEDS)

static void make_idle(struct sim_config *c, uint64_t i, const void *arg)
{
    (void)arg;
    config(c, SEED_BASE + 0x200000 + i, i % 2 ? 7 : 4,
           sim_mix_find(idle_mixes[(i / 2) % IDLE_MIXES]), CONS_SEAM_NONE);
    config_idle(c);
}

static void idle_suite(struct totals *t, unsigned jobs)
{
    struct sim_result res[IDLE_RUNS];
    if (!run_parallel(IDLE_RUNS, jobs, make_idle, NULL, res)) {
        printf("FAIL idle: a worker process failed\n");
        t->failed++;
        return;
    }
    unsigned ok = 0, bad = 0;
    uint64_t blocks_max = 0, bound = 0;
    int64_t gap_max = 0, lat_max = 0;
    for (uint64_t i = 0; i < IDLE_RUNS; i++) {
        const struct sim_result *r = &res[i];
        if (!r->ok) {
            struct sim_config c;
            make_idle(&c, i, NULL);
            print_failure(&c, r);
            bad++;
            continue;
        }
        ok++;
        if (r->idle_blocks > blocks_max) blocks_max = r->idle_blocks;
        if (r->idle_bound > bound) bound = r->idle_bound;
        if (r->idle_gap_ms > gap_max) gap_max = r->idle_gap_ms;
        if (r->idle_latency_ms > lat_max) lat_max = r->idle_latency_ms;
    }
    printf("idle: %u of %u runs ok (n=4 and n=7, %zu mixes): at most %" PRIu64 " blocks in "
           "about %d s idle (bound %" PRIu64 ", heartbeat %d ms), longest gap %lld ms, burst "
           "committed everywhere within %lld ms (bound %d)\n",
           ok, (unsigned)IDLE_RUNS, IDLE_MIXES, blocks_max, SIM_IDLE_MS / 1000, bound,
           SIM_HEARTBEAT_MS, (long long)gap_max, (long long)lat_max, SIM_IDLE_LATENCY_MS);
    t->passed += ok;
    t->failed += bad;
}

static int default_suite(uint64_t seeds, unsigned jobs)
{
    struct totals t = {0};
    double t0 = wall_s();
    run_seeds(seeds, jobs, &t);
    double t1 = wall_s();
    printf("seeds: %u passed, %u failed, %" PRIu64 " runs over n=4 and n=7 and %zu fault mixes "
           "in %.1f s (%u workers); heights %" PRIu64 " (empty %" PRIu64 "), synced blocks %"
           PRIu64 ", restarts %" PRIu64 ", evidence %" PRIu64
           "; signature checks per decision %.2f; forged votes %" PRIu64
           " (signatures refused %" PRIu64 ")\n",
           t.passed, t.failed, seeds, sim_mix_count, t1 - t0, jobs, t.heights, t.empty,
           t.syncs, t.restarts, t.evidence,
           t.decisions ? (double)t.sig_checks / (double)t.decisions : 0.0, t.forged,
           t.rejected_sig);
    printf("valset: %" PRIu64 " of those runs changed validator sets, %" PRIu64 " changes (%"
           PRIu64 " in blocks decided under faults)\n", t.valset_runs, t.set_changes,
           t.changes_under_faults);
    static const char *const byz_mixes[] = {"byzantine", "chaos"};
    static const char *const any_mixes[] = {"lossy", "crash", "byzantine", "chaos"};
    static const char *const crash_mixes[] = {"crash", "chaos"};
    teeth(&t, CONS_SEAM_SKIP_LOCK_CHECK, false, byz_mixes, 2, SIM_VS_NONE);
    teeth(&t, CONS_SEAM_SEND_BEFORE_PERSIST, false, any_mixes, 4, SIM_VS_NONE);
    teeth(&t, CONS_SEAM_SEND_BEFORE_PERSIST, true, crash_mixes, 2, SIM_VS_NONE);
    teeth(&t, CONS_SEAM_COUNT_DUPLICATES, false, any_mixes, 4, SIM_VS_NONE);
    teeth(&t, CONS_SEAM_SKIP_IDLE_WAIT, false, any_mixes, 4, SIM_VS_NONE);
    teeth(&t, CONS_SEAM_RELAY_UNCHECKED, false, byz_mixes, 2, SIM_VS_NONE);
    teeth(&t, CONS_SEAM_OLD_SET_KEYS, false, any_mixes, 4, SIM_VS_REPLACE);
    idle_suite(&t, jobs);
    determinism(&t);
    printf("wall time %.1f s\n", wall_s() - t0);
    printf("%u passed, %u failed\n", t.passed, t.failed);
    return t.failed ? 1 : 0;
}

struct campaign_arg {
    size_t n;
    const struct sim_mix *mix;
    int valset;                   /* -1: as the suite; SIM_VS_KINDS: every seed, cycling */
};

static void make_campaign(struct sim_config *c, uint64_t i, const void *arg);

struct chunk_arg {
    const struct campaign_arg *arg;
    uint64_t base;
};

static void make_campaign_chunk(struct sim_config *c, uint64_t i, const void *arg)
{
    const struct chunk_arg *ch = arg;
    make_campaign(c, ch->base + i, ch->arg);
}

static void make_campaign(struct sim_config *c, uint64_t i, const void *arg)
{
    const struct campaign_arg *a = arg;
    suite_config(c, 0x1000000 + i, CONS_SEAM_NONE);
    if (a->n) c->n = a->n;
    if (a->mix) c->mix = a->mix;
    if (a->valset == SIM_VS_KINDS)
        c->valset = (uint8_t)(1 + i % (SIM_VS_KINDS - 1));
    else if (a->valset >= 0)
        c->valset = (uint8_t)a->valset;
}

static int campaign(uint64_t seeds, unsigned jobs, size_t n, const struct sim_mix *mix,
                    int valset)
{
    struct totals t = {0};
    struct campaign_arg arg = {n, mix, valset};
    double t0 = wall_s();
    /* In chunks, to report progress and keep memory flat. */
    const uint64_t chunk = 1000;
    struct sim_result *res = calloc(chunk, sizeof *res);
    if (!res) return 1;
    for (uint64_t base = 0; base < seeds; base += chunk) {
        uint64_t count = seeds - base < chunk ? seeds - base : chunk;
        if (!run_parallel(count, jobs, make_campaign_chunk, &(struct chunk_arg){&arg, base},
                          res)) {
            printf("FAIL campaign: a worker process failed\n");
            t.failed++;
            break;
        }
        for (uint64_t i = 0; i < count; i++) {
            add_result(&t, &res[i]);
            if (res[i].ok) {
                t.passed++;
            } else {
                struct sim_config c;
                make_campaign(&c, base + i, &arg);
                print_failure(&c, &res[i]);
                t.failed++;
            }
        }
        double s = wall_s() - t0;
        printf("campaign: %" PRIu64 " seeds, %.1f seeds/s, %" PRIu64 " heights decided\n",
               base + count, (double)(base + count) / s, t.heights);
        fflush(stdout);
    }
    free(res);
    double s = wall_s() - t0;
    printf("campaign: %" PRIu64 " seeds in %.1f s (%u workers): %.1f seeds/s; %" PRIu64
           " heights decided (%.0f heights/s); synced blocks %" PRIu64 ", restarts %" PRIu64
           ", evidence %" PRIu64 "\n", seeds, s, jobs, (double)seeds / s, t.heights,
           (double)t.heights / s, t.syncs, t.restarts, t.evidence);
    printf("valset: %" PRIu64 " runs changed validator sets, %" PRIu64 " changes (%" PRIu64
           " in blocks decided under faults)\n", t.valset_runs, t.set_changes,
           t.changes_under_faults);
    printf("%u passed, %u failed\n", t.passed, t.failed);
    return t.failed ? 1 : 0;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: %s                       default suite (make test)\n"
            "       %s --seeds N             default suite with N seeds\n"
            "       %s --campaign --seeds N [--n 4|7] [--mix M] [--valset V]\n"
            "       (both take --jobs J: worker processes, default 2)\n"
            "       %s --seed S [--n 4|7] [--mix M] [--bug B] [--no-record-check]\n"
            "            [--no-lock-check] [--idle] [--valset V] [--trace]\n"
            "mixes: clean lossy partition crash byzantine chaos\n"
            "bugs: skip-lock-check send-before-persist count-duplicates skip-idle-wait\n"
            "      relay-unchecked old-set-keys\n"
            "valsets: none add remove replace (any: campaign only, every seed, cycling)\n"
            "--idle: an idle run (no events for %d s, then one burst)\n",
            prog, prog, prog, prog, SIM_IDLE_MS / 1000);
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
    unsigned jobs = 2;
    bool have_seed = false, camp = false, do_trace = false, no_record = false, no_lock = false,
         idle = false;
    size_t n = 0;
    const struct sim_mix *mix = NULL;
    int bug = 0, valset = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--campaign") == 0) {
            camp = true;
        } else if (strcmp(a, "--trace") == 0) {
            do_trace = true;
        } else if (strcmp(a, "--no-record-check") == 0) {
            no_record = true;
        } else if (strcmp(a, "--no-lock-check") == 0) {
            no_lock = true;
        } else if (strcmp(a, "--idle") == 0) {
            idle = true;
        } else if (strcmp(a, "--seeds") == 0 && v) {
            seeds = strtoull(v, NULL, 0);
            i++;
        } else if (strcmp(a, "--jobs") == 0 && v) {
            jobs = (unsigned)strtoul(v, NULL, 0);
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
        } else if (strcmp(a, "--valset") == 0 && v) {
            valset = valset_parse(v);
            if (valset < 0) return usage();
            i++;
        } else if (strcmp(a, "--bug") == 0 && v) {
            bug = bug_parse(v);
            if (bug < 0) return usage();
            i++;
        } else {
            return usage();
        }
    }
    if (camp) return campaign(seeds, jobs, n, mix, valset);
    if (valset == SIM_VS_KINDS) return usage();
    if (!have_seed) return default_suite(seeds, jobs);

    struct sim_config c;
    config(&c, seed, n ? n : 4, mix ? mix : sim_mix_find("chaos"), (enum cons_seam)bug);
    c.no_record_check = no_record;
    c.no_lock_check = no_lock;
    if (idle) config_idle(&c);
    if (valset > 0) c.valset = (uint8_t)valset;
    if (do_trace) c.trace = stdout;
    struct sim_result r;
    sim_run(&c, &r);
    if (!r.ok) print_failure(&c, &r);
    printf("seed %" PRIu64 ": %s; heights %" PRIu64 ", deliveries %" PRIu64 ", synced %" PRIu64
           ", restarts %" PRIu64 ", evidence %" PRIu64 ", simulated %lld ms, trace hash %016"
           PRIx64 "; signature checks per decision %.2f (%" PRIu64 " / %" PRIu64 ")\n", seed,
           r.ok ? "ok" : "FAILED", r.heights, r.deliveries, r.syncs, r.restarts, r.evidence,
           (long long)r.sim_ms, r.trace_hash,
           r.decisions ? (double)r.sig_checks / (double)r.decisions : 0.0, r.sig_checks,
           r.decisions);
    if (c.idle_run && r.ok)
        printf("idle: %" PRIu64 " blocks while idle (bound %" PRIu64 "), longest gap %lld ms, "
               "burst committed everywhere in %lld ms\n", r.idle_blocks, r.idle_bound,
               (long long)r.idle_gap_ms, (long long)r.idle_latency_ms);
    printf("%u passed, %u failed\n", r.ok ? 1u : 0u, r.ok ? 0u : 1u);
    return r.ok ? 0 : 1;
}
