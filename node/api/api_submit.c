/* The client API's decision on a submitted event; see api_submit.h. */
#include "node/api/api_submit.h"

#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/event.h"

void api_submit_admit(api_event_location_fn location, void *location_ctx, struct mempool *mp,
                      const uint8_t *signed_event, size_t len, struct api_submit_outcome *out,
                      char *reason, size_t reason_len)
{
    char unused[1];
    if (!reason || reason_len == 0) {
        reason = unused;
        reason_len = sizeof unused;
    }
    reason[0] = '\0';
    memset(out, 0, sizeof *out);

    const uint8_t *body;
    size_t body_len;
    uint8_t sig[WB_SIG_LEN];
    if (ledger_signed_event_split(signed_event, len, &body, &body_len, sig) != WB_OK) {
        out->kind = API_SUBMIT_REFUSED;
        out->err = WB_ERR_DECODE;
        snprintf(reason, reason_len, "submit: the signed event does not decode");
        return;
    }
    ledger_sha256(body, body_len, out->id);

    int rc = mempool_add(mp, signed_event, len, NULL, reason, reason_len);
    if (rc == WB_OK || rc == WB_ERR_DUPLICATE) {
        out->kind = rc == WB_OK ? API_SUBMIT_ADMITTED : API_SUBMIT_PENDING;
        reason[0] = '\0';
        return;
    }
    /* Refused: perhaps because a committed block holds it (a retry). Only
     * now is the id looked up, so a new event costs no lookup. */
    int lrc = location(location_ctx, out->id, &out->height, &out->index);
    if (lrc == WB_OK) {
        out->kind = API_SUBMIT_ALREADY_COMMITTED;
        reason[0] = '\0';
        return;
    }
    out->height = 0;
    out->index = 0;
    if (lrc != WB_ERR_NOT_FOUND) {
        char hex[2 * WB_HASH_LEN + 1];
        size_t used = strlen(reason);
        snprintf(reason + used, reason_len - used,
                 "%s(cannot tell whether event %s is committed: %s)", used ? " " : "",
                 wb_hex_encode(out->id, WB_HASH_LEN, hex, sizeof hex), wb_strerror(lrc));
    }
    out->kind = API_SUBMIT_REFUSED;
    out->err = rc;
    if (!reason[0]) snprintf(reason, reason_len, "%s", wb_strerror(rc));
}
