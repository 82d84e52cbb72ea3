/* `waybill node --config FILE`: runs a validator node until SIGINT/SIGTERM. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "node/config.h"
#include "node/node.h"

enum { NODE_OPT_CONFIG, NODE_OPT_LOG_LEVEL };

static const struct cli_opt node_opts[] = {
    [NODE_OPT_CONFIG] = {"config", "FILE", "the node's INI config (required)"},
    [NODE_OPT_LOG_LEVEL] = {"log-level", "LEVEL",
                            "debug, info, warn, error or off (overrides the config)"},
};

static const struct cli_usage node_usage = {
    .cmd = "node",
    .synopsis = "--config FILE [--log-level LEVEL]",
    .description =
        "Runs a validator: listens for its peers on the [p2p] address and for clients on\n"
        "the [api] address, takes part in consensus and keeps the ledger in data_dir.\n"
        "Logs go to stderr, one line per record. SIGINT or SIGTERM stops it cleanly.\n"
        "See config/node.example.ini for every setting.\n",
    .opts = node_opts,
    .opt_count = sizeof node_opts / sizeof node_opts[0],
};

int cmd_node(int argc, char **argv)
{
    struct cli_args args;
    const char *config = NULL, *level = NULL, *value;
    int opt;
    cli_args_init(&args, &node_usage, argc, argv);
    while ((opt = cli_args_next(&args, &value)) >= 0) {
        if (opt == NODE_OPT_CONFIG) config = value;
        else if (opt == NODE_OPT_LOG_LEVEL) level = value;
    }
    if (opt != CLI_ARGS_END) return cli_args_exit(opt);
    if (args.pos_count)
        return cli_usage_error(&node_usage, "unexpected argument '%s'", args.pos[0]);
    if (!config) return cli_usage_error(&node_usage, "--config FILE is required");
    int lv = level ? wb_log_level_parse(level) : 0;
    if (lv < 0) return cli_usage_error(&node_usage, "unknown log level '%s'", level);

    struct node_config *cfg = malloc(sizeof *cfg);
    if (!cfg) {
        cli_error("node", "out of memory");
        return CLI_EXIT_FAILED;
    }
    char msg[NODE_CONFIG_MSG_MAX];
    int rc = node_config_load(config, cfg, msg, sizeof msg);
    if (rc) {
        cli_error("node", "%s", msg);
        free(cfg);
        return CLI_EXIT_FAILED;
    }
    if (level) cfg->log_level = (enum wb_log_level)lv;
    rc = node_run(cfg);
    free(cfg);
    if (rc) {
        cli_error("node", "%s", wb_strerror(rc));
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}
