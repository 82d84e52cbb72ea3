/* `waybill keygen --out FILE [--force]`: writes a new Ed25519 key file
 * (mode 0600) and prints its public key as hex on stdout. */
#include <stdbool.h>
#include <stdio.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/wb_error.h"
#include "node/keyfile.h"

enum { KEYGEN_OPT_OUT, KEYGEN_OPT_FORCE };

static const struct cli_opt keygen_opts[] = {
    [KEYGEN_OPT_OUT] = {"out", "FILE", "where to write the key file (required)"},
    [KEYGEN_OPT_FORCE] = {"force", NULL, "replace FILE if it exists"},
};

static const struct cli_usage keygen_usage = {
    .cmd = "keygen",
    .synopsis = "--out FILE [--force]",
    .description =
        "Creates a random Ed25519 key and writes its 32-byte seed to FILE as 64 hex\n"
        "characters and a newline, readable by you only (mode 0600). Prints the public\n"
        "key (64 hex characters) on stdout; put it in genesis as a member's client key\n"
        "or a validator's key. An existing FILE is never replaced without --force.\n",
    .opts = keygen_opts,
    .opt_count = sizeof keygen_opts / sizeof keygen_opts[0],
};

int cmd_keygen(int argc, char **argv)
{
    struct cli_args args;
    const char *out = NULL, *value;
    bool force = false;
    int opt;

    cli_args_init(&args, &keygen_usage, argc, argv);
    while ((opt = cli_args_next(&args, &value)) >= 0) {
        switch (opt) {
        case KEYGEN_OPT_OUT:
            if (out) return cli_usage_error(&keygen_usage, "--out given twice");
            if (value[0] == '\0') return cli_usage_error(&keygen_usage, "--out needs a path");
            out = value;
            break;
        case KEYGEN_OPT_FORCE:
            force = true;
            break;
        }
    }
    if (opt != CLI_ARGS_END) return cli_args_exit(opt);
    if (args.pos_count)
        return cli_usage_error(&keygen_usage, "unexpected argument '%s'", args.pos[0]);
    if (!out) return cli_usage_error(&keygen_usage, "--out FILE is required");

    uint8_t pk[WB_PUBKEY_LEN];
    char msg[KEYFILE_MSG_MAX];
    int rc = keyfile_generate(out, force, pk, msg, sizeof msg);
    if (rc == WB_ERR_EXISTS) {
        cli_error("keygen", "%s (use --force to replace it)", msg);
        return CLI_EXIT_FAILED;
    }
    if (rc != WB_OK) {
        cli_error("keygen", "%s", msg);
        return CLI_EXIT_FAILED;
    }
    cli_print_hex(stdout, pk, sizeof pk);
    fputc('\n', stdout);
    return CLI_EXIT_OK;
}
