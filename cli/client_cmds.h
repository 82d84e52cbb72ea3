/* The subcommands that talk to a node (or check its proofs): submit,
 * history, verify, state, proof, block, status. Each follows the handler contract of
 * cli/commands.h: argv[0] is the subcommand name, the return value the exit
 * code (0 ok, 1 rejected or verification failed, 2 usage, 3 node unreachable
 * or timed out). */
#ifndef CLI_CLIENT_CMDS_H
#define CLI_CLIENT_CMDS_H

#include "cli/client.h"
#include "common/wb_error.h"

WB_MUST_USE int cmd_submit(int argc, char **argv);
WB_MUST_USE int cmd_history(int argc, char **argv);
WB_MUST_USE int cmd_verify(int argc, char **argv);
WB_MUST_USE int cmd_state(int argc, char **argv);
WB_MUST_USE int cmd_proof(int argc, char **argv);
WB_MUST_USE int cmd_block(int argc, char **argv);
WB_MUST_USE int cmd_status(int argc, char **argv);
WB_MUST_USE int cmd_items(int argc, char **argv);
WB_MUST_USE int cmd_watch(int argc, char **argv);

/* The same commands over a given connector instead of the node's network
 * link (the handlers above pass client_net_connector()); tests use these
 * with a transport of their own. */
WB_MUST_USE int cmd_submit_via(const struct client_connector *conn, int argc, char **argv);
WB_MUST_USE int cmd_history_via(const struct client_connector *conn, int argc, char **argv);
WB_MUST_USE int cmd_verify_via(const struct client_connector *conn, int argc, char **argv);
WB_MUST_USE int cmd_state_via(const struct client_connector *conn, int argc, char **argv);
WB_MUST_USE int cmd_proof_via(const struct client_connector *conn, int argc, char **argv);
WB_MUST_USE int cmd_block_via(const struct client_connector *conn, int argc, char **argv);
WB_MUST_USE int cmd_status_via(const struct client_connector *conn, int argc, char **argv);
WB_MUST_USE int cmd_items_via(const struct client_connector *conn, int argc, char **argv);
WB_MUST_USE int cmd_watch_via(const struct client_connector *conn, int argc, char **argv);

#endif
