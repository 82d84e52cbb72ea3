/* The subcommands of `waybill`: one line each in CLI_COMMANDS, one handler
 * cmd_NAME in cli/cmd_NAME.c. */
#ifndef CLI_COMMANDS_H
#define CLI_COMMANDS_H

#include "common/wb_error.h"

/* X(name, one-line summary). `waybill help` lists them in this order.
 * To add a subcommand: write cli/cmd_NAME.c defining
 *     int cmd_NAME(int argc, char **argv)
 * and add its X(...) line here; nothing else changes.
 *
 * Handler contract: argv[0] is the subcommand name and argv[1..argc-1] its
 * arguments (use cli_args_* from cli/cli_util.h); `--help` prints the usage
 * on stdout and returns 0; bad usage prints a message and the usage line on
 * stderr and returns CLI_EXIT_USAGE. The return value is the process exit
 * code (enum cli_exit). libsodium is initialised before a handler runs. */
#define CLI_COMMANDS(X)                                                               \
    X(keygen, "write a new key file and print its public key")                        \
    X(testnet, "write a ready-to-run local network: genesis, keys, node configs")     \
    X(node, "run a validator node from its config file")                              \
    X(submit, "sign an event about an item and submit it to a node")                  \
    X(history, "show an item's state and every committed event")                      \
    X(verify, "check an item's provenance chain against the genesis file")            \
    X(state, "show an item's state as of the latest certified height, proved")        \
    X(proof, "save an item's proof bundle to a file")                                 \
    X(block, "show a committed block and its certificate")                            \
    X(status, "show a node's height, peers and mempool")                             \
    X(items, "list items and their state, filtered and paged")                        \
    X(watch, "print committed events as they commit")                                 \
    X(gov, "propose, approve, list and show changes of members, validators, parameters") \
    X(key, "add and revoke your organisation's client keys; list every key the chain knows") \
    X(device, "register, attach and retire devices; submit and import what they observed") \
    X(plan, "record and show an item's route plan")                                  \
    X(risk, "judge an item for customs: its risk flags and score, explained")

#define CLI__DECLARE_HANDLER(name, summary) WB_MUST_USE int cmd_##name(int argc, char **argv);
CLI_COMMANDS(CLI__DECLARE_HANDLER)
#undef CLI__DECLARE_HANDLER

#endif
