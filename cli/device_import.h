/* `waybill device import`: a gateway's readings file (ledger/readings.h,
 * one JSON object a line) submitted as device reports in batches, each
 * reading once: what the item's chain holds already is skipped, so an
 * import that was interrupted is finished by running it again. */
#ifndef CLI_DEVICE_IMPORT_H
#define CLI_DEVICE_IMPORT_H

#include "cli/client.h"
#include "common/wb_error.h"

/* The subcommand's handler (argv[0] "import"); returns the exit code. */
WB_MUST_USE int device_import_run(const struct client_connector *conn, int argc, char **argv);

#endif
