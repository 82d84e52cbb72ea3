/* Conversions between the core's structs and the protobuf messages of
 * proto/waybill.proto: Vote, Proposal, PeerMessage, CommitCert, Evidence,
 * SafetyRecord. */
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "consensus/internal.h"

int cons_vote_from_pb(const Waybill__Vote *pb, struct cons_vote *v)
{
    if (pb->type != WAYBILL__VOTE_TYPE__PREVOTE && pb->type != WAYBILL__VOTE_TYPE__PRECOMMIT)
        return WB_ERR_DECODE;
    if (pb->block_hash.len != 0 && pb->block_hash.len != WB_HASH_LEN) return WB_ERR_DECODE;
    if (pb->signature.len != WB_SIG_LEN) return WB_ERR_DECODE;
    memset(v, 0, sizeof *v);
    v->type = (uint8_t)pb->type;
    v->height = pb->height;
    v->round = pb->round;
    v->nil = pb->block_hash.len == 0;
    if (!v->nil) memcpy(v->hash, pb->block_hash.data, WB_HASH_LEN);
    v->validator = pb->validator;
    memcpy(v->signature, pb->signature.data, WB_SIG_LEN);
    return WB_OK;
}

int cons_proposal_from_pb(const Waybill__Proposal *pb, struct cons_proposal *p)
{
    if (pb->valid_round < -1) return WB_ERR_DECODE;
    if (pb->block_hash.len != WB_HASH_LEN || pb->signature.len != WB_SIG_LEN)
        return WB_ERR_DECODE;
    if (pb->block.len == 0) return WB_ERR_DECODE;
    memset(p, 0, sizeof *p);
    p->height = pb->height;
    p->round = pb->round;
    p->valid_round = pb->valid_round;
    p->proposer = pb->proposer;
    memcpy(p->hash, pb->block_hash.data, WB_HASH_LEN);
    p->block = pb->block.data;
    p->block_len = pb->block.len;
    memcpy(p->signature, pb->signature.data, WB_SIG_LEN);
    return WB_OK;
}

void cons_vote_to_pb(const struct cons_vote *v, Waybill__Vote *pb)
{
    waybill__vote__init(pb);
    pb->type = (Waybill__VoteType)v->type;
    pb->height = v->height;
    pb->round = v->round;
    if (!v->nil) {
        pb->block_hash.data = (uint8_t *)v->hash;
        pb->block_hash.len = WB_HASH_LEN;
    }
    pb->validator = v->validator;
    pb->signature.data = (uint8_t *)v->signature;
    pb->signature.len = WB_SIG_LEN;
}

void cons_proposal_to_pb(const struct cons_proposal *p, Waybill__Proposal *pb)
{
    waybill__proposal__init(pb);
    pb->height = p->height;
    pb->round = p->round;
    pb->valid_round = p->valid_round;
    pb->proposer = p->proposer;
    pb->block_hash.data = (uint8_t *)p->hash;
    pb->block_hash.len = WB_HASH_LEN;
    pb->block.data = (uint8_t *)p->block;
    pb->block.len = p->block_len;
    pb->signature.data = (uint8_t *)p->signature;
    pb->signature.len = WB_SIG_LEN;
}

static int pack_alloc(const ProtobufCMessage *msg, uint8_t **out, size_t *len)
{
    size_t size = protobuf_c_message_get_packed_size(msg);
    /* An empty message packs to zero bytes; keep the pointer non-NULL. */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return WB_ERR_NOMEM;
    *len = protobuf_c_message_pack(msg, buf);
    *out = buf;
    return WB_OK;
}

int cons_msg_encode(const struct cons_msg *m, uint8_t **out, size_t *len)
{
    Waybill__PeerMessage pm = WAYBILL__PEER_MESSAGE__INIT;
    Waybill__Vote vote;
    Waybill__Proposal prop;
    if (m->kind == CONS_MSG_VOTE) {
        cons_vote_to_pb(&m->vote, &vote);
        pm.msg_case = WAYBILL__PEER_MESSAGE__MSG_VOTE;
        pm.vote = &vote;
    } else {
        cons_proposal_to_pb(&m->proposal, &prop);
        pm.msg_case = WAYBILL__PEER_MESSAGE__MSG_PROPOSAL;
        pm.proposal = &prop;
    }
    return pack_alloc(&pm.base, out, len);
}

int cons_cert_encode(const struct cons_decision *d, uint8_t **out, size_t *len)
{
    Waybill__CommitCert cert = WAYBILL__COMMIT_CERT__INIT;
    cert.height = d->height;
    cert.round = d->round;
    cert.block_hash.data = (uint8_t *)d->hash;
    cert.block_hash.len = WB_HASH_LEN;
    size_t k = d->precommit_count;
    Waybill__Vote *votes = calloc(k ? k : 1, sizeof *votes);
    Waybill__Vote **ptrs = calloc(k ? k : 1, sizeof *ptrs);
    int rc = WB_ERR_NOMEM;
    if (!votes || !ptrs) goto out_free;
    for (size_t i = 0; i < k; i++) {
        cons_vote_to_pb(&d->precommits[i], &votes[i]);
        ptrs[i] = &votes[i];
    }
    cert.n_precommits = k;
    cert.precommits = ptrs;
    rc = pack_alloc(&cert.base, out, len);
out_free:
    free(ptrs);
    free(votes);
    return rc;
}

int cons_evidence_encode(const struct cons_evidence *e, uint8_t **out, size_t *len)
{
    Waybill__Evidence ev = WAYBILL__EVIDENCE__INIT;
    Waybill__Vote a, b;
    cons_vote_to_pb(&e->a, &a);
    cons_vote_to_pb(&e->b, &b);
    ev.a = &a;
    ev.b = &b;
    return pack_alloc(&ev.base, out, len);
}

int cons_safety_encode(const struct cons_safety *s, uint8_t *out, size_t cap, size_t *len)
{
    Waybill__SafetyRecord r = WAYBILL__SAFETY_RECORD__INIT;
    r.height = s->height;
    r.round = s->round;
    r.step = s->step;
    r.locked_round = s->locked_round;
    if (s->locked_round >= 0) {
        r.locked_hash.data = (uint8_t *)s->locked_hash;
        r.locked_hash.len = WB_HASH_LEN;
    }
    r.valid_round = s->valid_round;
    if (s->valid_round >= 0) {
        r.valid_hash.data = (uint8_t *)s->valid_hash;
        r.valid_hash.len = WB_HASH_LEN;
    }
    if (s->signed_len > WB_SIGMSG_MAX) return WB_ERR_TOO_LARGE;
    if (s->signed_len) {
        r.signed_msg.data = (uint8_t *)s->signed_msg;
        r.signed_msg.len = s->signed_len;
        r.signature.data = (uint8_t *)s->signature;
        r.signature.len = WB_SIG_LEN;
    }
    r.reserve_height = s->reserve_height;
    size_t size = waybill__safety_record__get_packed_size(&r);
    if (size > cap || size > CONS_SAFETY_MAX) return WB_ERR_TOO_LARGE;
    *len = waybill__safety_record__pack(&r, out);
    return WB_OK;
}

int cons_safety_decode(const uint8_t *buf, size_t len, struct cons_safety *s)
{
    Waybill__SafetyRecord *r = waybill__safety_record__unpack(NULL, len, buf);
    if (!r) return WB_ERR_DECODE;
    int rc = WB_ERR_DECODE;
    if (r->step > CONS_STEP_PRECOMMIT || r->locked_round < -1 || r->valid_round < -1) goto out;
    if (r->locked_hash.len != (r->locked_round >= 0 ? WB_HASH_LEN : 0)) goto out;
    if (r->valid_hash.len != (r->valid_round >= 0 ? WB_HASH_LEN : 0)) goto out;
    if (r->signed_msg.len > WB_SIGMSG_MAX) goto out;
    if (r->signature.len != (r->signed_msg.len ? WB_SIG_LEN : 0)) goto out;
    memset(s, 0, sizeof *s);
    s->height = r->height;
    s->round = r->round;
    s->step = (uint8_t)r->step;
    s->locked_round = r->locked_round;
    if (r->locked_hash.len) memcpy(s->locked_hash, r->locked_hash.data, WB_HASH_LEN);
    s->valid_round = r->valid_round;
    if (r->valid_hash.len) memcpy(s->valid_hash, r->valid_hash.data, WB_HASH_LEN);
    s->signed_len = r->signed_msg.len;
    if (s->signed_len) memcpy(s->signed_msg, r->signed_msg.data, s->signed_len);
    if (r->signature.len) memcpy(s->signature, r->signature.data, WB_SIG_LEN);
    s->reserve_height = r->reserve_height;
    rc = WB_OK;
out:
    waybill__safety_record__free_unpacked(r, NULL);
    return rc;
}
