/* Item ids and locations given on the command line: put into the case they
 * are signed and looked up in, then checked as the ledger checks them. */
#ifndef CLI_ID_ARGS_H
#define CLI_ID_ARGS_H

#include "cli/cli_util.h"
#include "common/wb_error.h"
#include "ledger/types.h"

/* Writes `arg` into out in its canonical case (ledger_item_id_canonical: a
 * container number upper-cased, every other kind as given) and checks it
 * with ledger_item_id_check. When the case changed, prints
 * "waybill CMD: note: item 'mscu1234566' taken as 'MSCU1234566'" on stderr
 * (never on stdout, so --json output stays one document). `what` names the
 * argument in messages ("--item", "ITEM"). Returns CLI_EXIT_OK, or
 * CLI_EXIT_USAGE after printing "WHAT: REASON" and u's usage line. */
WB_MUST_USE int cli_item_arg(const struct cli_usage *u, const char *what, const char *arg,
                             char out[static WB_ITEM_MAX + 1]);

/* The same for a location (ledger_location_canonical: a UN/LOCODE
 * upper-cased; ledger_location_check), with the note
 * "note: location 'nlrtm' taken as 'NLRTM'". */
WB_MUST_USE int cli_location_arg(const struct cli_usage *u, const char *what, const char *arg,
                                 char out[static WB_LOCATION_MAX + 1]);

#endif
