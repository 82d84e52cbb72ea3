/* The test seams' state (consensus/seam.h). Built only into
 * libconsensus_seams.a: the production archive leaves this file out. */
#ifndef CONS_SEAMS
#error "consensus/seam.c belongs to the seams build only (CONS_SEAMS)"
#endif

#include "common/wb_assert.h"
#include "consensus/internal.h"

void cons_seam_set(struct cons *c, enum cons_seam seam)
{
    WB_ASSERT(!c->started);
    WB_ASSERT(seam >= CONS_SEAM_NONE && seam <= CONS_SEAM_OLD_SET_KEYS);
    c->seams.on = seam;
    c->seams.safety_late = false;
}

bool cons__seam_persist_late(struct cons *c, bool dirty)
{
    bool emit = c->seams.safety_late;
    c->seams.safety_late = dirty;
    return emit;
}
