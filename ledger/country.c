/* Look-ups in the country code table generated from ledger/data/. */
#include "ledger/country.h"

#include "ledger/country_table.h"

size_t ledger_country_count(void) { return ledger__country_count; }

const struct ledger_country *ledger_country_at(size_t i)
{
    return i < ledger__country_count ? &ledger__country_table[i] : NULL;
}

const struct ledger_country *ledger_country_find(const char *code)
{
    if (!code || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' || code[2])
        return NULL;
    unsigned slot = (unsigned)(code[0] - 'A') * 26u + (unsigned)(code[1] - 'A');
    unsigned at = ledger__country_index[slot];
    if (at == 0 || at > ledger__country_count) return NULL;
    return &ledger__country_table[at - 1];
}
