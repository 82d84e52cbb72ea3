/* The governance state from a node (ledger/gov.h): the proof bundle of the
 * governance chain (WB_GOV_CHAIN) fetched and replayed from the genesis
 * file, event by event with the height and time of its block; used by
 * `waybill gov`, `waybill key` and `waybill status`. A node without a
 * governance chain answers NOT_FOUND: that is the genesis state.
 *
 * The replay checks what it applies (each event's signature, its link to
 * the one before, ledger_gov_check), but not the blocks' certificates: it
 * shows what the node says the chain holds. `waybill verify` is the
 * command that proves a bundle. */
#ifndef CLI_GOV_STATE_H
#define CLI_GOV_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/client.h"
#include "cli/client_cmds.h"
#include "common/wb_error.h"
#include "ledger/genesis.h"
#include "ledger/gov.h"
#include "ledger/gov_history.h"

#define GOV_STATE_MSG_MAX 512

/* Replays the governance chain in bundle (the canonical packing of a
 * ProofBundle of WB_GOV_CHAIN) from genesis g into *gv (uninitialised on
 * entry; free it with ledger_gov_free after a 0 return): ledger_gov_init,
 * then per event ledger_gov_check and ledger_gov_apply at its block's
 * height and header time, then ledger_gov_advance to the latest block the
 * bundle shows (its freshness header when present, else its last block).
 * *events (may be NULL) is the number of events applied. Returns 0,
 * WB_ERR_NOMEM, or WB_ERR_PROTOCOL with a sentence in msg: the bundle does
 * not decode, is about another item, an event does not open (bad
 * signature, another chain), does not link to the one before, lies in a
 * block the bundle lacks, or is refused by the governance rules. */
WB_MUST_USE int gov_state_replay(const struct ledger_genesis *g, const uint8_t *bundle,
                                 size_t len, struct ledger_gov *gv, size_t *events, char *msg,
                                 size_t msg_len);

/* The fetch and replay of gov_state_load without printing: 0 (a node
 * without a governance chain gives the genesis state), or the error of
 * client_fetch_proof (c->reason) or of gov_state_replay (msg). */
WB_MUST_USE int gov_state_fetch(struct client *c, const struct ledger_genesis *g,
                                struct ledger_gov *gv, char *msg, size_t msg_len);

/* The fetch of gov_state_fetch, replayed into a history (ledger/gov_history.h:
 * the state after each block with governance events, initialised here),
 * so `waybill history` asks which registry was in effect at an event's
 * height. The node's word, as gov_state_fetch. Returns 0 (a node without a
 * governance chain gives the genesis state alone) or an error as
 * gov_state_fetch; after an error *hist is freed. */
WB_MUST_USE int gov_state_fetch_history(struct client *c, const struct ledger_genesis *g,
                                        struct ledger_gov_history *hist, char *msg,
                                        size_t msg_len);

/* A copy of gv's registry (gv->view: members as governance changed them)
 * whose validators are the set that signs `height`, in *out (heap; free
 * it). For checking a block's certificate and naming its signers. Returns
 * 0 or WB_ERR_NOMEM. */
WB_MUST_USE int gov_state_set_at(const struct ledger_gov *gv, uint64_t height,
                                 struct ledger_genesis **out);

/* Fetches the governance chain's proof bundle over s's connection and
 * replays it into *gv (uninitialised on entry; free it with ledger_gov_free
 * after CLI_EXIT_OK). A node that knows no governance chain gives the
 * genesis state. Prints why on stderr and returns the exit code (1, or 3
 * when the node cannot be reached) otherwise. */
WB_MUST_USE int gov_state_load(struct client_session *s, struct ledger_gov *gv);

/* client_session_open, then gov_state_load into *gv (free it with
 * ledger_gov_free after CLI_EXIT_OK). Returns the exit code (printed);
 * call client_session_close in any case. */
WB_MUST_USE int gov_state_open(struct client_session *s, const struct client_opts *o,
                               const struct client_connector *conn, struct ledger_gov *gv);

/* Signs and submits governance event ev (its item, action and attributes
 * built by ledger_gov_action_encode) with s's key, after checking it here
 * against *gv as the next block would (ledger_gov_check at the next
 * height, the time now): a refusal is printed as "refused: REASON" with
 * nothing signed (exit 1); unless an identical earlier run left its signed
 * event in its pending file (cli/submit_pending.h) and fresh is false: that
 * event may be committed already, and is resent unchecked. Then
 * submit_session_event (the pending-file safety; prev the governance
 * chain's head), and on the commit *gv is
 * replaced by the state fetched again (so it holds the event). On
 * CLI_EXIT_OK *out is the node's answer and ev the event sent. */
WB_MUST_USE int gov_state_submit(struct client_session *s, struct ledger_gov *gv,
                                 struct ledger_event *ev, bool fresh,
                                 struct submit_outcome *out);

/* The organisation (index into gv->view.orgs) whose active client key
 * signs for s, or, when there is none, prints why (a revoked key, its
 * organisation removed, or a key the chain does not know) and returns -1. */
WB_MUST_USE int gov_state_signer(const struct client_session *s, const struct ledger_gov *gv);

/* A public key given as 64 hex digits, or else as the path of a key file
 * `waybill keygen` wrote (its public key). Returns 0, or an error with a
 * sentence in msg (keyfile_load's for a file). */
WB_MUST_USE int gov_state_key_arg(const char *arg, uint8_t pk[WB_PUBKEY_LEN], char *msg,
                                  size_t msg_len);

/* The proposal an ID given on the command line names: 64 hex digits, or a
 * prefix of at least GOV_STATE_PREFIX_MIN hex digits that exactly one
 * proposal's id starts with (either case). Returns 0 with *p set, or
 * WB_ERR_INVALID (not hex, too short), WB_ERR_NOT_FOUND (no proposal) or
 * WB_ERR_EXISTS (more than one: msg lists them), with a sentence in msg. */
#define GOV_STATE_PREFIX_MIN 8
WB_MUST_USE int gov_state_resolve(const struct ledger_gov *gv, const char *arg,
                                  const struct ledger_gov_proposal **p, char *msg,
                                  size_t msg_len);

/* Approvals of p that count now: those of organisations still members of
 * a voting role (as ledger/gov.c counts them). */
size_t gov_state_approvals(const struct ledger_gov *gv, const struct ledger_gov_proposal *p);

/* When p expires: its block time plus proposal_ttl_ms; approvals in
 * blocks after this time are refused. */
int64_t gov_state_expires_ms(const struct ledger_gov *gv, const struct ledger_gov_proposal *p);

/* The pending proposals (status pending), in order, as pointers into gv;
 * *n of them, at most cap. */
size_t gov_state_pending(const struct ledger_gov *gv, const struct ledger_gov_proposal **out,
                         size_t cap);

#endif
