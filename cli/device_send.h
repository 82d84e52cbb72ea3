/* What `waybill device submit` and `waybill device import` share: a device
 * report signed with the device's key and carried in an event the
 * gateway's member key signs (ledger/device.h), and the item state that
 * says which seq the device uses next. */
#ifndef CLI_DEVICE_SEND_H
#define CLI_DEVICE_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/client.h"
#include "common/wb_error.h"
#include "ledger/device.h"
#include "ledger/genesis.h"
#include "ledger/readings.h"
#include "ledger/types.h"

/* Encodes report *r, signs the bytes with the device's secret key sk and
 * builds the carrying event in *ev (cleared first; prev set when prev is
 * not NULL, else left for the head lookup of submit_session_event).
 * Returns 0, WB_ERR_TOO_LARGE (the report is over WB_DEVICE_REPORT_MAX
 * bytes: send fewer observations), or WB_ERR_INVALID / WB_ERR_CRYPTO with
 * a sentence in msg. */
WB_MUST_USE int device_send_build(const uint8_t chain_id[WB_CHAIN_ID_LEN],
                                  const struct ledger_device_report *r,
                                  const uint8_t sk[WB_SECKEY_LEN], const uint8_t *prev,
                                  struct ledger_event *ev, char *msg, size_t msg_len);

/* The attachment of device pk in st, or NULL when it is not attached. */
const struct ledger_attached_device *device_send_attached(const struct ledger_item_state *st,
                                                          const uint8_t pk[WB_PUBKEY_LEN]);

/* What one device already reported on one item: every observation of its
 * reports in the item's history, with the report's kind, sorted by
 * device_send_obs_cmp. */
struct device_seen {
    struct ledger_reading *obs;          /* heap; item unused */
    size_t count, cap;
};

/* Orders observations by kind, time, then every other field: equal when
 * they are the same observation. */
int device_send_obs_cmp(const struct ledger_reading *a, const struct ledger_reading *b);

/* Asks c's node for item's history (chain g) and fills *st with its state
 * and *seen with what device pk reported on it (device_seen_free it after
 * a 0 return); an item the node does not know leaves both empty and *known
 * false. Prints why and returns the exit code on failure. */
WB_MUST_USE int device_send_history(struct client *c, const struct ledger_genesis *g,
                                    const char *item, const uint8_t pk[WB_PUBKEY_LEN],
                                    struct ledger_item_state *st, struct device_seen *seen,
                                    bool *known);

/* Whether *r is among seen (binary search). */
bool device_seen_has(const struct device_seen *seen, const struct ledger_reading *r);
void device_seen_free(struct device_seen *seen);

/* Loads a device's key file (option --device-key) into pk and sk. Prints
 * the reason and returns CLI_EXIT_FAILED on failure (pk, sk zeroed); the
 * caller wipes sk with sodium_memzero. */
WB_MUST_USE int device_send_key(const char *cmd, const char *path, uint8_t pk[WB_PUBKEY_LEN],
                                uint8_t sk[WB_SECKEY_LEN]);

#endif
