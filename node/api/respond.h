/* Answers on a client link: one ClientResponse frame. The lowest file of
 * node/api (it calls nothing else there). */
#ifndef NODE_API_RESPOND_H
#define NODE_API_RESPOND_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger/types.h"
#include "node/net/net.h"
#include "proto/waybill.pb-c.h"

/* Encodes and sends r. An answer larger than a frame becomes an error
 * answer with the same id that says so; other failures are logged. */
void node_respond(struct net_link *link, Waybill__ClientResponse *r);

/* An error answer: code (a negative wb_err) and reason (NULL: the code's text). */
void node_respond_error(struct net_link *link, uint64_t id, int code, const char *reason);

/* A SubmitResult answer. */
void node_respond_submit(struct net_link *link, uint64_t req_id, const uint8_t id[WB_HASH_LEN],
                         uint64_t height, uint32_t index, bool committed,
                         bool already_committed);

#endif
