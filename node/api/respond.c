/* Answers on a client link (respond.h). */
#include "node/api/respond.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/wb_error.h"

void node_respond(struct net_link *link, Waybill__ClientResponse *r)
{
    size_t len = waybill__client_response__get_packed_size(r);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        WB_ERROR("api", "out of memory encoding a response");
        return;
    }
    waybill__client_response__pack(r, buf);
    int rc = net_send(link, buf, len);
    free(buf);
    if (rc == WB_ERR_TOO_LARGE && r->code == 0) {
        /* The client is told, rather than left waiting for an answer that
         * cannot be sent. */
        char msg[160];
        snprintf(msg, sizeof msg,
                 "the answer is %zu bytes, more than one frame of this node can carry", len);
        node_respond_error(link, r->id, WB_ERR_TOO_LARGE, msg);
    } else if (rc) {
        WB_WARN("api", "cannot send a response: %s", wb_strerror(rc));
    }
}

void node_respond_error(struct net_link *link, uint64_t id, int code, const char *reason)
{
    Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
    r.id = id;
    r.code = code;
    r.reason = (char *)(reason ? reason : wb_strerror(code));
    node_respond(link, &r);
}

void node_respond_submit(struct net_link *link, uint64_t req_id, const uint8_t id[WB_HASH_LEN],
                         uint64_t height, uint32_t index, bool committed,
                         bool already_committed)
{
    Waybill__SubmitResult sr = WAYBILL__SUBMIT_RESULT__INIT;
    sr.event_id.data = (uint8_t *)id;
    sr.event_id.len = WB_HASH_LEN;
    sr.height = height;
    sr.index = index;
    sr.committed = committed;
    sr.already_committed = already_committed;
    Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
    r.id = req_id;
    r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_SUBMIT;
    r.submit = &sr;
    node_respond(link, &r);
}
