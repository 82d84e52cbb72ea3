/* Internal: the tables that the build generates from ledger/data/ (by
 * ledger/data/gen_countries.awk into $(BUILD)/gen/ledger/countries.c); read
 * them through ledger/country.h. */
#ifndef LEDGER_COUNTRY_TABLE_H
#define LEDGER_COUNTRY_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/country.h"

/* Slots of the index: one per pair of letters A-Z. */
#define LEDGER_COUNTRY_INDEX_LEN (26 * 26)

/* Every code, in data file order. */
extern const struct ledger_country ledger__country_table[];
extern const size_t ledger__country_count;
/* ledger__country_index[(first - 'A') * 26 + (second - 'A')]: 1 + the
 * code's position in ledger__country_table, 0 for a code not in it. */
extern const uint16_t ledger__country_index[LEDGER_COUNTRY_INDEX_LEN];

#endif
