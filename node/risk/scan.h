/* The risk index's prefilter (internal to node/risk/): reads the few fields
 * of an encoded EventBody that say whether the event can matter to the
 * index, without decoding it: its action, item id, submitter and whether
 * an attribute is named seal or container. A body of a committed block is
 * canonical (fields in number order, each once), so the scan stops at the
 * first field past the attributes and never reads a device report. */
#ifndef NODE_RISK_SCAN_H
#define NODE_RISK_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/types.h"

struct node_risk_scan {
    enum ledger_action action;       /* LEDGER_ACTION_NONE when absent */
    const char *item;                /* into the body, item_len bytes, not NUL-terminated */
    size_t item_len;
    const uint8_t *submitter;        /* into the body, WB_PUBKEY_LEN bytes; NULL when absent */
    bool seal_attr;                  /* an attribute with key "seal" */
    bool container_attr;             /* an attribute with key "container" */
};

/* Scans len bytes of an EventBody. Returns 0, or WB_ERR_DECODE when they
 * are not protobuf (a truncated field, a varint over 10 bytes) or a
 * field the scan reads has the wrong wire type or size. */
WB_MUST_USE int node_risk__scan(const uint8_t *body, size_t len, struct node_risk_scan *out);

#endif
