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
WB_MUST_USE int cmd_gov_via(const struct client_connector *conn, int argc, char **argv);
WB_MUST_USE int cmd_key_via(const struct client_connector *conn, int argc, char **argv);
WB_MUST_USE int cmd_device_via(const struct client_connector *conn, int argc, char **argv);
WB_MUST_USE int cmd_plan_via(const struct client_connector *conn, int argc, char **argv);
WB_MUST_USE int cmd_risk_via(const struct client_connector *conn, int argc, char **argv);

/* What a node answered to a submit (submit_session_event). */
struct submit_outcome {
    /* In: a refusal because the item's head moved on (WB_ERR_STALE, a
     * freshly signed event only) is not printed: the caller looks up the
     * head again and retries. */
    bool quiet_stale;
    /* Out, on exit 1: the wb error the node refused the event with, or 0
     * (another failure). The fields below are set on success only. */
    int refused;
    bool committed;                       /* false only with no_wait */
    bool already_committed;               /* a resent event the node had committed */
    uint64_t height;
    uint32_t index;
    bool resent;                          /* the bytes came from a pending file */
};

/* The submit of `waybill submit` for an event built by another command
 * (waybill gov, waybill key) on an open session: the pending-file safety
 * (cli/submit_pending.h: an identical earlier submit's kept bytes are
 * resent unless `fresh`), the head lookup for prev (unless ev->has_prev; an
 * item the node does not know leaves it without), the submitter, nonce and,
 * unless has_time, the time now, the signature, the submit and its answer.
 * ev: the event as the options built it; on return the event sent (its id
 * set). out: filled on success, when nothing is printed on stdout (the
 * caller prints); NULL prints as `waybill submit` does. A failure is
 * printed as `waybill submit` prints it (but see out->quiet_stale).
 * Returns the exit code. */
WB_MUST_USE int submit_session_event(struct client_session *s, struct ledger_event *ev,
                                     bool has_time, bool fresh, bool no_wait,
                                     struct submit_outcome *out);

#endif
