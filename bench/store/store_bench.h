/* What the storage micro-benchmarks (store_growth.c, tree_bench.c) share:
 * a monotonic clock, their item names, certificate bytes storage accepts
 * and the removal of their scratch folder. */
#ifndef BENCH_STORE_STORE_BENCH_H
#define BENCH_STORE_STORE_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/types.h"
#include "ledger/validate.h"
#include "storage/store.h"

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t sb_now_ns(void);

/* Item n's id: serial (urn:waybill:bench:<16 digits>, new items sort after
 * the old ones) or, with random, spread over the id space by a hash of n. */
void sb_item_name(bool random, uint64_t n, char out[WB_ITEM_MAX + 1]);

/* The certificate bytes storage needs (height and hash; it does not check
 * signatures): three precommits with zero signatures, the size of a real
 * one. *out is malloc'd. Returns 0 or WB_ERR_NOMEM. */
WB_MUST_USE int sb_make_cert(uint64_t height, const uint8_t hash[WB_HASH_LEN], uint8_t **out,
                             size_t *len);

/* Builds the block of header h (its events root and count filled in) over
 * the n events, decodes it and appends it with store_append_checked (r: the
 * check's result the caller made up for it), then releases the pages, as a
 * node's commit path does; the append and release add their time to *ns.
 * hash receives the block's hash. Returns 0 or the first error. */
WB_MUST_USE int sb_append_block(struct store *s, struct ledger_block_header *h,
                                const uint8_t *const *events, const size_t *lens, size_t n,
                                const struct ledger_block_result *r, uint8_t hash[WB_HASH_LEN],
                                uint64_t *ns);

/* Removes folder `dir` and everything in it; best effort. */
void sb_remove_tree(const char *dir);

#endif
