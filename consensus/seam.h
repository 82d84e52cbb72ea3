/* Test seams of the consensus core: deliberate bugs the simulator injects
 * to prove that its checks catch them (tests/sim).
 *
 * They exist only in a build with CONS_SEAMS defined: the Makefile compiles
 * consensus/ a second time with it into $(BUILD)/libconsensus_seams.a, and
 * the simulator (compiled with it too) links that archive. The production
 * archive $(BUILD)/libconsensus.a and everything linked with it (the node)
 * hold no seam: without CONS_SEAMS the hooks below are constants and the
 * state that backs them is no field of struct cons
 * (tests/unit/consensus_seams.c checks both archives and the node).
 *
 * A seam point in the core is one named hook:
 *   CONS_SEAM(c, NAME)         true when seam CONS_SEAM_NAME is set on c
 *                              (production: false)
 *   CONS_SEAM_PERSIST(c, e)    whether the safety record goes out with this
 *                              update, given e = "it changed" (production: e)
 * Code that would be built in one build only is written as such a hook,
 * never as an #ifdef around core logic. */
#ifndef CONSENSUS_SEAM_H
#define CONSENSUS_SEAM_H

#include <stdbool.h>

#ifdef CONS_SEAMS

/* One deliberate bug per core; the simulator sets it on honest nodes. */
enum cons_seam {
    CONS_SEAM_NONE = 0,
    CONS_SEAM_SKIP_LOCK_CHECK = 1,     /* prevote a proposal without the lock rule */
    CONS_SEAM_SEND_BEFORE_PERSIST = 2, /* hand the record to persist one update late */
    CONS_SEAM_COUNT_DUPLICATES = 3,    /* count a repeated vote again */
    CONS_SEAM_SKIP_IDLE_WAIT = 4,      /* start round 0 at once despite wait_for_work */
    CONS_SEAM_RELAY_UNCHECKED = 5,     /* relay votes kept unchecked without checking */
    CONS_SEAM_OLD_SET_KEYS = 6,        /* verify a new height's messages against the
                                          keys of the height before (valset only) */
};

/* The seam state inside struct cons (seams build only). */
struct cons_seams {
    enum cons_seam on;
    bool safety_late;                  /* SEND_BEFORE_PERSIST: a record is owed */
};

struct cons;

/* Sets the seam of c; call after cons_init (which clears it) and before
 * CONS_EV_START. */
void cons_seam_set(struct cons *c, enum cons_seam seam);

/* SEND_BEFORE_PERSIST: the record of this update's signatures reaches the
 * driver only with the next update, after they were sent. Returns whether
 * to emit the record now. */
bool cons__seam_persist_late(struct cons *c, bool dirty);

#define CONS_SEAM(c, name) ((c)->seams.on == CONS_SEAM_##name)
#define CONS_SEAM_PERSIST(c, dirty) \
    (CONS_SEAM(c, SEND_BEFORE_PERSIST) ? cons__seam_persist_late((c), (dirty)) : (dirty))

#else

#define CONS_SEAM(c, name) false
#define CONS_SEAM_PERSIST(c, dirty) (dirty)

#endif

#endif
