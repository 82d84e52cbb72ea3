/* waybill: entry point; dispatches to the subcommand table (cli/commands.h). */
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/log.h"

struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

static const struct cli_command cli_commands[] = {
#define CLI__TABLE_ENTRY(name, summary) {#name, summary, cmd_##name},
    CLI_COMMANDS(CLI__TABLE_ENTRY)
#undef CLI__TABLE_ENTRY
};
#define CLI_COMMAND_COUNT (sizeof cli_commands / sizeof cli_commands[0])

static void main_usage(FILE *f)
{
    size_t width = 0;
    for (size_t i = 0; i < CLI_COMMAND_COUNT; i++)
        if (strlen(cli_commands[i].name) > width) width = strlen(cli_commands[i].name);
    fprintf(f, "usage: waybill COMMAND [OPTIONS]\n\n"
               "Waybill: a permissioned BFT provenance ledger for supply chains.\n\n"
               "commands:\n");
    for (size_t i = 0; i < CLI_COMMAND_COUNT; i++)
        fprintf(f, "  %-*s  %s\n", (int)width, cli_commands[i].name, cli_commands[i].summary);
    fprintf(f, "\n'waybill COMMAND --help' shows a command's options.\n"
               "exit codes: 0 ok, 1 verification failed or rejected, 2 usage error,\n"
               "3 node unreachable or timed out.\n");
}

static const struct cli_command *main_find(const char *name)
{
    for (size_t i = 0; i < CLI_COMMAND_COUNT; i++)
        if (strcmp(cli_commands[i].name, name) == 0) return &cli_commands[i];
    return NULL;
}

static int main_unknown(const char *name)
{
    fprintf(stderr, "waybill: unknown command '%s'\n\n", name);
    main_usage(stderr);
    return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    /* Client commands log only problems; `waybill node` sets its own level. */
    wb_log_set_level(WB_LOG_WARN);
    /* A node that closes the link mid-write is an error to report, not a
     * silent death by SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    if (sodium_init() < 0) {
        fprintf(stderr, "waybill: cannot initialise libsodium\n");
        return CLI_EXIT_FAILED;
    }
    if (argc < 2) {
        main_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
        (strcmp(name, "help") == 0 && argc == 2)) {
        main_usage(stdout);
        return cli_output_finish("help", CLI_EXIT_OK);
    }
    if (strcmp(name, "help") == 0) {
        if (argc > 3) {
            fprintf(stderr, "waybill help: expected at most one command name\n");
            return CLI_EXIT_USAGE;
        }
        const struct cli_command *c = main_find(argv[2]);
        if (!c) return main_unknown(argv[2]);
        char help_flag[] = "--help";
        char *help_argv[] = {argv[2], help_flag, NULL};
        return cli_output_finish(c->name, c->run(2, help_argv));
    }
    const struct cli_command *c = main_find(name);
    if (!c) return main_unknown(name);
    return cli_output_finish(c->name, c->run(argc - 1, argv + 1));
}
