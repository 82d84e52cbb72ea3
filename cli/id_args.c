/* Item ids and locations from the command line: canonical case, a note when
 * it changed them, and the ledger's checks. */
#include "cli/id_args.h"

#include <stdbool.h>

#include "common/wb_error.h"
#include "ledger/ids.h"

int cli_item_arg(const struct cli_usage *u, const char *what, const char *arg,
                 char out[static WB_ITEM_MAX + 1])
{
    bool changed;
    if (ledger_item_id_canonical(arg, out, WB_ITEM_MAX + 1, &changed) != WB_OK)
        return cli_usage_error(u, "%s: longer than %d bytes", what, WB_ITEM_MAX);
    /* Only an id of letters and digits is ever changed, so both are safe to show. */
    if (changed) cli_error(u->cmd, "note: item '%s' taken as '%s'", arg, out);
    char msg[256];
    msg[0] = '\0';
    if (ledger_item_id_check(out, NULL, msg, sizeof msg) != WB_OK)
        return cli_usage_error(u, "%s: %s", what, msg[0] ? msg : "not a valid item id");
    return CLI_EXIT_OK;
}

int cli_location_arg(const struct cli_usage *u, const char *what, const char *arg,
                     char out[static WB_LOCATION_MAX + 1])
{
    bool changed;
    if (ledger_location_canonical(arg, out, WB_LOCATION_MAX + 1, &changed) != WB_OK)
        return cli_usage_error(u, "%s: expected a UN/LOCODE (5 characters) or a GLN (13 digits)",
                               what);
    if (changed) cli_error(u->cmd, "note: location '%s' taken as '%s'", arg, out);
    char msg[256];
    msg[0] = '\0';
    if (ledger_location_check(out, msg, sizeof msg) != WB_OK)
        return cli_usage_error(u, "%s: %s", what, msg[0] ? msg : "not a valid location");
    return CLI_EXIT_OK;
}
