/* The pending file of `waybill submit`: the signed bytes of a submit that got
 * no definite answer, kept so that running the same submit again resends
 * those bytes instead of signing a second event (docs/cli.md, "Retrying a
 * submit"). */
#ifndef CLI_SUBMIT_PENDING_H
#define CLI_SUBMIT_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/client.h"
#include "common/wb_error.h"
#include "ledger/types.h"

/* The environment variable naming the folder that holds pending/; default:
 * the key file's folder. */
#define SUBMIT_PENDING_ENV_STATE "WAYBILL_STATE_DIR"
#define SUBMIT_PENDING_SUBDIR "pending"
#define SUBMIT_PENDING_SUFFIX ".event"

/* Where one submit's pending file lives, and what identifies the submit. */
struct submit_pending {
    char state_dir[CLIENT_PATH_MAX];   /* $WAYBILL_STATE_DIR or the key file's folder */
    char dir[CLIENT_PATH_MAX];         /* state_dir/pending */
    char path[CLIENT_PATH_MAX];        /* dir/<64 hex of key>.event */
    uint8_t key[WB_HASH_LEN];
    bool has_prev;                     /* --prev was given: prev is part of the key */
    bool has_time;                     /* --time was given: the time is part of the key */
};

/* The key of "the same submit": SHA-256 over a domain tag, the chain id, the
 * signer's public key and the event fields the options gave: item, action,
 * location, to, the attributes (sorted by key, so their order on the command
 * line does not matter), prev only when has_prev, the time only when
 * has_time, and a device report's bytes and device signature when the event
 * carries one. Never the nonce, the event's signature, a prev looked up
 * from the node or a default time. ev->submitter is not read (pk is). */
void submit_pending_key(const uint8_t chain_id[WB_CHAIN_ID_LEN], const uint8_t pk[WB_PUBKEY_LEN],
                        const struct ledger_event *ev, bool has_prev, bool has_time,
                        uint8_t key[WB_HASH_LEN]);

/* Fills p for the submit of ev (the event as the options built it, before a
 * head lookup) by key pk signing for chain_id. key_path is the key file;
 * $WAYBILL_STATE_DIR, when set and not empty, replaces its folder. Returns 0
 * or WB_ERR_TOO_LARGE (a path too long; p is then unusable). */
WB_MUST_USE int submit_pending_init(struct submit_pending *p, const char *key_path,
                                    const uint8_t chain_id[WB_CHAIN_ID_LEN],
                                    const uint8_t pk[WB_PUBKEY_LEN], const struct ledger_event *ev,
                                    bool has_prev, bool has_time);

/* Reads p's pending file. On 0: bytes[0..*len) are its SignedEvent bytes,
 * *ev the event they hold (signature verified against ev->submitter for
 * chain_id, which is pk, and with p's key), *signed_at_ms when the file was
 * written (unix milliseconds). Returns WB_ERR_NOT_FOUND when there is none,
 * WB_ERR_INVALID when the file holds something else (msg says what:
 * malformed, another key, another submit), WB_ERR_IO when it cannot be read
 * (msg says why). */
WB_MUST_USE int submit_pending_load(const struct submit_pending *p,
                                    const uint8_t chain_id[WB_CHAIN_ID_LEN],
                                    const uint8_t pk[WB_PUBKEY_LEN], uint8_t *bytes, size_t cap,
                                    size_t *len, struct ledger_event *ev, int64_t *signed_at_ms,
                                    char *msg, size_t msg_len);

/* Writes the signed bytes to p's file, atomically (temporary file, fsync,
 * rename), mode 0600, creating state_dir (if missing) and dir with mode
 * 0700. Returns 0 or WB_ERR_IO with the reason in msg. */
WB_MUST_USE int submit_pending_save(const struct submit_pending *p, const uint8_t *bytes,
                                    size_t len, char *msg, size_t msg_len);

/* Removes p's file; one that is not there is fine. Returns 0 or WB_ERR_IO. */
WB_MUST_USE int submit_pending_remove(const struct submit_pending *p);

#endif
