/* Internal: the place table that the build generates from ledger/data/
 * (by ledger/data/gen_locodes.awk into $(BUILD)/gen/ledger/locodes.c); read
 * it through ledger/locode.h. */
#ifndef LEDGER_LOCODE_TABLE_H
#define LEDGER_LOCODE_TABLE_H

#include <stddef.h>

#include "ledger/locode.h"

/* Every place, sorted by code, codes unique. */
extern const struct ledger_locode ledger__locode_table[];
extern const size_t ledger__locode_count;

#endif
