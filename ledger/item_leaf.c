/* The item-state leaf (item_leaf.h). Byte layout, docs/formats.md:
 *   0 version u8 | 1 status u8 | 2 customs u8 | 3 movement u8 | 4 count u32
 *   8 registration index u64 | 16 head height u64 | 24 first height u64
 *   32 item hash | 64 head event id | 96 custodian hash            (128) */
#include "ledger/item_leaf.h"

#include <string.h>

#include "common/bytes.h"
#include "ledger/sha256.h"

void ledger_item_leaf_name_hash(const char *name, uint8_t out[WB_HASH_LEN])
{
    ledger_sha256((const uint8_t *)name, strlen(name), out);
}

void ledger_item_leaf_from_state(const struct ledger_item_state *st, uint64_t reg_index,
                                 struct ledger_item_leaf *out)
{
    memset(out, 0, sizeof *out);
    ledger_item_leaf_name_hash(st->item, out->item_hash);
    out->reg_index = reg_index;
    memcpy(out->head, st->head, WB_HASH_LEN);
    out->count = st->count;
    out->head_height = st->last_height;
    out->first_height = st->first_height;
    ledger_item_leaf_name_hash(st->custodian, out->custodian_hash);
    out->status = st->status;
    out->customs = st->customs;
    out->movement = st->movement;
}

void ledger_item_leaf_encode(const struct ledger_item_leaf *leaf, uint8_t out[LEDGER_ITEM_LEAF_LEN])
{
    out[0] = LEDGER_ITEM_LEAF_VERSION;
    out[1] = (uint8_t)leaf->status;
    out[2] = (uint8_t)leaf->customs;
    out[3] = (uint8_t)leaf->movement;
    wb_put_u32be(out + 4, leaf->count);
    wb_put_u64be(out + 8, leaf->reg_index);
    wb_put_u64be(out + 16, leaf->head_height);
    wb_put_u64be(out + 24, leaf->first_height);
    memcpy(out + 32, leaf->item_hash, WB_HASH_LEN);
    memcpy(out + 64, leaf->head, WB_HASH_LEN);
    memcpy(out + 96, leaf->custodian_hash, WB_HASH_LEN);
}

int ledger_item_leaf_decode(const uint8_t *buf, size_t len, struct ledger_item_leaf *out,
                            char *msg, size_t msg_len)
{
    if (!buf || len != LEDGER_ITEM_LEAF_LEN)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "item leaf: %zu bytes, expected %d",
                        buf ? len : 0, LEDGER_ITEM_LEAF_LEN);
    if (buf[0] != LEDGER_ITEM_LEAF_VERSION)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "item leaf: version %u, expected %d",
                        buf[0], LEDGER_ITEM_LEAF_VERSION);
    if (buf[1] < LEDGER_ITEM_ACTIVE || buf[1] > LEDGER_ITEM_DELIVERED)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "item leaf: status %u out of range",
                        buf[1]);
    if (buf[2] > LEDGER_CUSTOMS_CLEARED)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "item leaf: customs status %u out of range",
                        buf[2]);
    if (buf[3] > LEDGER_MOVE_UNDERWAY)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "item leaf: movement %u out of range",
                        buf[3]);
    struct ledger_item_leaf l;
    memset(&l, 0, sizeof l);
    l.status = (enum ledger_item_status)buf[1];
    l.customs = (enum ledger_customs)buf[2];
    l.movement = (enum ledger_movement)buf[3];
    l.count = wb_get_u32be(buf + 4);
    l.reg_index = wb_get_u64be(buf + 8);
    l.head_height = wb_get_u64be(buf + 16);
    l.first_height = wb_get_u64be(buf + 24);
    memcpy(l.item_hash, buf + 32, WB_HASH_LEN);
    memcpy(l.head, buf + 64, WB_HASH_LEN);
    memcpy(l.custodian_hash, buf + 96, WB_HASH_LEN);
    if (l.count == 0)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "item leaf: an event count of 0");
    if (l.first_height == 0)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "item leaf: a first height of 0");
    if (l.head_height < l.first_height)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "item leaf: head height %llu below first height %llu",
                        (unsigned long long)l.head_height, (unsigned long long)l.first_height);
    *out = l;
    return WB_OK;
}

void ledger_item_leaf_hash(const struct ledger_item_leaf *leaf, uint8_t out[MERKLE_HASH_LEN])
{
    uint8_t buf[LEDGER_ITEM_LEAF_LEN];
    ledger_item_leaf_encode(leaf, buf);
    merkle_leaf_hash(buf, sizeof buf, out);
}
