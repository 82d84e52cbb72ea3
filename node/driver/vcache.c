/* Checked blocks kept until their height is decided (vcache.h). */
#include "node/driver/vcache.h"

#include <string.h>

static void entry_clear(struct node_vcache_entry *e)
{
    node_checked_free(&e->checked);
    memset(e, 0, sizeof *e);
}

void node_vcache_put(struct node_vcache *vc, uint64_t height, const uint8_t hash[WB_HASH_LEN],
                     struct node_checked *cb)
{
    struct node_vcache_entry *e = NULL;
    for (size_t i = 0; i < NODE_VCACHE && !e; i++)
        if (vc->entries[i].used && vc->entries[i].height == height &&
            memcmp(vc->entries[i].hash, hash, WB_HASH_LEN) == 0)
            e = &vc->entries[i];
    for (size_t i = 0; i < NODE_VCACHE && !e; i++)
        if (!vc->entries[i].used) e = &vc->entries[i];
    if (!e) {
        e = &vc->entries[vc->next];
        vc->next = (vc->next + 1) % NODE_VCACHE;
    }
    entry_clear(e);
    e->used = true;
    e->height = height;
    memcpy(e->hash, hash, WB_HASH_LEN);
    e->checked = *cb;
    memset(cb, 0, sizeof *cb);
}

bool node_vcache_take(struct node_vcache *vc, uint64_t height, const uint8_t hash[WB_HASH_LEN],
                      struct node_checked *out)
{
    for (size_t i = 0; i < NODE_VCACHE; i++) {
        struct node_vcache_entry *e = &vc->entries[i];
        if (!e->used || e->height != height || memcmp(e->hash, hash, WB_HASH_LEN) != 0)
            continue;
        *out = e->checked;
        memset(e, 0, sizeof *e);
        return true;
    }
    return false;
}

void node_vcache_drop_upto(struct node_vcache *vc, uint64_t height)
{
    for (size_t i = 0; i < NODE_VCACHE; i++)
        if (vc->entries[i].used && vc->entries[i].height <= height) entry_clear(&vc->entries[i]);
}

void node_vcache_clear(struct node_vcache *vc)
{
    for (size_t i = 0; i < NODE_VCACHE; i++) entry_clear(&vc->entries[i]);
    vc->next = 0;
}
