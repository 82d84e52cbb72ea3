/* Fuzz target: SafetyRecord bytes through cons_safety_decode; a record that
 * decodes must encode and decode back to itself, and a consensus core
 * restored from it must start and time out without ever signing below it. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "consensus/cons.h"
#include "fuzz_fixture.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fx fixture;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fx_init(&fixture);
    return 0;
}

static void fail(const char *what)
{
    fprintf(stderr, "safety target: %s\n", what);
    abort();
}

static bool same_record(const struct cons_safety *a, const struct cons_safety *b)
{
    return a->height == b->height && a->round == b->round && a->step == b->step &&
           a->locked_round == b->locked_round &&
           (a->locked_round < 0 || memcmp(a->locked_hash, b->locked_hash, WB_HASH_LEN) == 0) &&
           a->valid_round == b->valid_round &&
           (a->valid_round < 0 || memcmp(a->valid_hash, b->valid_hash, WB_HASH_LEN) == 0) &&
           a->signed_len == b->signed_len &&
           memcmp(a->signed_msg, b->signed_msg, a->signed_len) == 0 &&
           (a->signed_len == 0 || memcmp(a->signature, b->signature, WB_SIG_LEN) == 0);
}

/* (h, r, step) order of the signing rule. */
static int hrs_cmp(const struct cons_safety *a, const struct cons_safety *b)
{
    if (a->height != b->height) return a->height < b->height ? -1 : 1;
    if (a->round != b->round) return a->round < b->round ? -1 : 1;
    if (a->step != b->step) return a->step < b->step ? -1 : 1;
    return 0;
}

/* Whatever the core asks to persist stays at or above the restored record. */
static void check_update(const struct cons_safety *restored, const struct cons_update *up)
{
    if (up->persist && restored->height != 0 && hrs_cmp(up->persist, restored) < 0)
        fail("core persisted a record below the restored one (it signed below it)");
    if (up->msg_count > CONS_UPDATE_MSGS_MAX || up->timer_count > CONS_UPDATE_TIMERS_MAX)
        fail("update lists over their bounds");
}

static void run_core(const struct cons_safety *s, uint32_t self, uint64_t next_height)
{
    struct cons_config cfg;
    fx_cons_config(&fixture, self, &cfg);
    static struct cons c;
    int rc = cons_init(&c, &cfg, next_height, s);
    if (rc == WB_ERR_CONFIG) return; /* refused: fine */
    if (rc) fail("cons_init failed unexpectedly");
    struct cons_update up;
    struct cons_event ev = {.kind = CONS_EV_START, .now_ms = FX_GENESIS_MS};
    if (cons_step(&c, &ev, &up) != WB_OK) fail("start refused");
    check_update(s, &up);
    /* Fire every timer the core arms (a few rounds' worth). */
    struct cons_timer timers[3 * CONS_UPDATE_TIMERS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < up.timer_count; i++) timers[n++] = up.timers[i];
    for (size_t i = 0; i < n && i < 12; i++) {
        struct cons_event t = {.kind = CONS_EV_TIMEOUT,
                               .now_ms = FX_GENESIS_MS + 1000 * (int64_t)(i + 1)};
        t.timeout.height = timers[i].height;
        t.timeout.round = timers[i].round;
        t.timeout.step = timers[i].step;
        if (cons_step(&c, &t, &up) != WB_OK) fail("timeout refused");
        check_update(s, &up);
        for (size_t k = 0; k < up.timer_count && n < sizeof timers / sizeof timers[0]; k++)
            timers[n++] = up.timers[k];
    }
    const struct cons_msg *own;
    size_t own_n;
    cons_own_messages(&c, &own, &own_n);
    for (size_t i = 0; i < own_n; i++)
        if (own[i].kind == CONS_MSG_PROPOSAL && own[i].proposal.block_len)
            (void)own[i].proposal.block[own[i].proposal.block_len - 1];
    cons_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cons_safety s;
    if (cons_safety_decode(data, size, &s) != WB_OK) return 0;
    if (s.step > CONS_STEP_PRECOMMIT || s.signed_len > WB_SIGMSG_MAX) fail("decoded out of range");
    if (s.locked_round < -1 || s.valid_round < -1) fail("decoded round below -1");

    uint8_t buf[CONS_SAFETY_MAX];
    size_t len = 0;
    if (cons_safety_encode(&s, buf, sizeof buf, &len) != WB_OK)
        fail("a decoded record does not encode");
    struct cons_safety back;
    if (cons_safety_decode(buf, len, &back) != WB_OK) fail("an encoded record does not decode");
    if (!same_record(&s, &back)) fail("record changed through encode and decode");

    /* Restore the validator whose signature the record holds (validator 0
     * if none verifies): at the record's height, and one height below (a
     * record ahead of storage). */
    uint32_t self = 0;
    for (uint32_t v = 0; v < FX_VALIDATORS && s.signed_len; v++)
        if (wb_verify(s.signed_msg, s.signed_len, fixture.val_pk[v], s.signature) == WB_OK)
            self = v;
    uint64_t h = s.height ? s.height : 1;
    if (h < UINT64_MAX - 8) run_core(&s, self, h);
    if (h > 1 && h < UINT64_MAX - 8) run_core(&s, self, h - 1);
    return 0;
}
