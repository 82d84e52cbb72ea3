/* store_open with the store's internal parameters (store.c), for the unit
 * tests of what they change. store.c calls store_lmdb.c and store_meta.c;
 * nothing in storage/ calls it. */
#ifndef STORAGE_STORE_OPEN_INTERNAL_H
#define STORAGE_STORE_OPEN_INTERNAL_H

#include <stdint.h>

#include "common/wb_error.h"
#include "storage/store.h"

/* store_open (which passes STORE__ID_EPOCH_EVENTS) with id epochs of
 * id_epoch_events events (>= 1): a unit test rolls epochs over with a few
 * events. The size is not recorded on disk; a store reopened with another
 * size reads the same and rolls over by the new size from then on.
 * Returns what store_open returns. */
WB_MUST_USE int store__open_with(const char *dir, const struct store_options *opt,
                                 uint32_t id_epoch_events, struct store **out);

#endif
