/* The node's LMDB store (DESIGN.md section 5): blocks, certificates, the
 * event/item indices, item states, the consensus safety record, evidence. */
#ifndef STORAGE_STORE_H
#define STORAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/types.h"
#include "ledger/validate.h"

/* Defaults and limits. */
#define STORE_MAP_SIZE_DEFAULT ((size_t)64 << 20)       /* 64 MiB initial map */
#define STORE_MAP_SIZE_MAX_DEFAULT ((size_t)1 << 40)    /* grow up to 1 TiB */
#define STORE_SAFETY_MAX 4000                           /* safety record bytes */
#define STORE_EVIDENCE_MAX 4096                         /* one evidence record bytes */
#define STORE_CERT_MAX (1u << 20)                       /* certificate bytes */
#define STORE_HISTORY_MAX 1000000u                      /* events of one item returned */

/* Layout on disk, layout 4 (for readers of the data dir; callers never need
 * it; docs/formats.md, "Store"):
 *   blocks       height u64 BE            -> Block bytes
 *   certs        height u64 BE            -> CommitCert bytes
 *   block_index  block hash (32)          -> height u64 BE
 *   event_log    height u64 BE || index u32 BE (the event's position)
 *                                         -> event id (32) || position of the same
 *                                            item's previous event (0s: none)
 *   event_ids    id epoch u32 BE || first 8 bytes of the event id (sorted
 *                duplicates)              -> position
 *   items        item id bytes            -> position of the item's head (its last
 *                                            event) || ItemState bytes
 *   items_reg    registration index u64 BE -> item id bytes (one entry per item,
 *                                            indexes 0..n-1: registration order)
 *   evidence     h u64 BE || r u32 BE || type u8 || validator u32 BE -> Evidence bytes
 *   meta         "genesis"                -> genesis hash (32)
 *                "last"                   -> height u64 BE || hash (32) || time i64 BE
 *                "id_epoch"               -> epoch u32 BE || events in it u32 BE (the
 *                                            epoch the last block's ids went into)
 *                "layout"                 -> u32 BE, 4 (a store of another layout is
 *                                            refused at open; docs/operating.md,
 *                                            "Store layout")
 * and, beside data.mdb and lock.mdb, safety.rec: the consensus safety record
 * in two alternating 4 KiB slots (magic, sequence number, length, BLAKE2b-256
 * checksum, record), so a put is one write and one flush and a torn write
 * leaves the previous record readable. */

struct store;

struct store_options {
    size_t map_size_initial;    /* bytes; 0 = STORE_MAP_SIZE_DEFAULT */
    size_t map_size_max;        /* the map never grows beyond; 0 = STORE_MAP_SIZE_MAX_DEFAULT */
    bool no_sync;               /* false (default): every commit is fsync'd. true: commits
                                 * are not synced (tests, benchmarks); a crash may lose the
                                 * latest commits but never tears one. The safety record is
                                 * synced regardless. */
};

/* Fills *opt with the defaults (equivalent to passing NULL to store_open). */
void store_options_init(struct store_options *opt);

/* Opens (creating it and missing parents, mode 0700, if needed) the store in
 * directory `dir`: the LMDB environment with its named databases (files
 * data.mdb and lock.mdb) and the safety record file safety.rec (a record an
 * older store kept in the meta database moves into it). Takes an exclusive
 * flock on `dir`/waybill.lock for the life of the store, so two nodes never
 * share one data dir. Clears reader slots left by dead processes.
 * opt may be NULL (defaults). On success *out is the store (close with
 * store_close).
 * Returns 0, WB_ERR_INVALID (bad argument), WB_ERR_IO (cannot create or lock
 * the directory or its files), WB_ERR_BUSY (another process or store holds the
 * directory), WB_ERR_STORE (LMDB failure, logged; or safety.rec corrupt) or
 * WB_ERR_NOMEM. */
WB_MUST_USE int store_open(const char *dir, const struct store_options *opt, struct store **out);

/* Closes the environment and releases the directory lock. NULL is a no-op.
 * No other call on this store may be in progress. */
void store_close(struct store *s);

/* Binds the store to a chain: the first call records genesis_hash; later calls
 * (also after reopening) with the same hash return 0 and a different hash is
 * refused with WB_ERR_CONFIG (the hashes are logged), so a data dir is never
 * reused for another chain. Returns 0, WB_ERR_CONFIG or WB_ERR_STORE. */
WB_MUST_USE int store_bind_genesis(struct store *s, const uint8_t genesis_hash[WB_HASH_LEN]);

/* The last appended block: height, hash and header time. An empty store gives
 * 0 with *height = 0, hash zeroed and *time_ms = 0. hash and time_ms may be
 * NULL. Returns 0 or WB_ERR_STORE. */
WB_MUST_USE int store_last(struct store *s, uint64_t *height, uint8_t hash[WB_HASH_LEN],
                           int64_t *time_ms);

/* Appends a decided block in one durable write transaction: the block bytes,
 * its certificate bytes, block_index, the event_log and event_ids entries, the
 * item states, the items_reg entry of every item the block registers and the
 * last height/hash/time. Either all of it is on disk
 * afterwards or none of it. A full map is grown and the transaction retried
 * (up to map_size_max); the caller never sees MDB_MAP_FULL.
 *   b            the decoded block (ledger_block_decode of `block`), checked by
 *                ledger_block_check against the state before it;
 *   block        its bytes (block_len), stored as given;
 *   cert         its encoded CommitCert (cert_len <= STORE_CERT_MAX); it must
 *                decode and name b's height and hash (signatures are the
 *                caller's business: ledger_cert_verify);
 *   states       the item states after the block, exactly as ledger_block_check
 *                returned them (one per item the block touches), stored as given.
 * Every event is opened (decoded, its id hashed) to find its id and its
 * item's state; store_append_checked takes those from the caller instead.
 * Refused with WB_ERR_INVALID, leaving the store unchanged, when the height is
 * not last + 1, prev_hash is not the last hash, an event does not open, the
 * certificate does not match, the states do not agree with the block and the
 * stored states (count, head, heights), or an event does not follow its
 * item's head: its prev must be the item's stored head (for the item's first
 * event in the block; none for an item never seen) or the item's previous
 * event in the block. That also refuses an event already stored (its item's
 * head has moved past it), so the id index is not probed. Registration
 * indexes (ledger_item_state.reg_index) are checked too: an item already
 * stored must keep its stored index, and the items the block registers
 * (those without a stored state) must take exactly the next indexes, n,
 * n+1, ... where n is store_item_count before the block; else refused.
 * Returns 0, WB_ERR_INVALID, WB_ERR_TOO_LARGE (map_size_max reached),
 * WB_ERR_NOMEM or WB_ERR_STORE. */
WB_MUST_USE int store_append(struct store *s, const struct ledger_block *b, const uint8_t *block,
                             size_t block_len, const uint8_t *cert, size_t cert_len,
                             const struct ledger_item_state *states, size_t n_states);

/* store_append for a caller that checked the block itself and kept what the
 * check learnt: r is exactly what ledger_block_check_full (ledger/validate.h)
 * returned for b against the state before it (r->states are stored as given,
 * like store_append's states). The events are not opened again: THE CALLER
 * VOUCHES that r->ids[i] is the id of event i and that r->state_of[i] names
 * the state of event i's item; storage cannot tell otherwise, and wrong ids
 * or items would be stored as given. What needs no decoding is still
 * checked, as in store_append: the header hash, event count, certificate,
 * height and prev hash, one state per item, every state_of index in range,
 * and each state against the block (touched, count, last height, head = the
 * id given for the item's last event in the block) and against the stored
 * state (count, first height, registration index, new items' indexes next);
 * and each event's prev (read from its bytes without decoding the event)
 * against its item's head before it, the stored head or the id given for
 * the item's previous event in the block, as in store_append (so an event
 * already stored is refused). Writes the same
 * records store_append writes for the same block.
 * Returns what store_append returns; WB_ERR_INVALID also when r is NULL or
 * r->event_count is not b->event_count. */
WB_MUST_USE int store_append_checked(struct store *s, const struct ledger_block *b,
                                     const uint8_t *block, size_t block_len, const uint8_t *cert,
                                     size_t cert_len, const struct ledger_block_result *r);

/* Lets the next append reuse the pages the last one freed: a transaction of
 * its own that rewrites the last height record unchanged (LMDB reuses a
 * commit's freed pages only once a later commit exists, so with appends
 * alone the file keeps one more copy of every page a block rewrites: 11 to
 * 14% of the file in the benchmark). It changes no value and syncs its
 * data pages but not its meta page, so a crash may undo it and lose nothing.
 * Call it after an append, once whatever waits on the append is done: it
 * costs one device flush. Harmless on an empty store (WB_ERR_NOT_FOUND, no
 * change). Returns 0, WB_ERR_NOT_FOUND or WB_ERR_STORE. */
WB_MUST_USE int store_release_pages(struct store *s);

/* ---- reads: each runs in its own read transaction (a consistent snapshot),
 * never blocks the writer, and copies its result out. Buffers returned in
 * *out are malloc'd and owned by the caller (free()). Every read returns 0,
 * WB_ERR_NOT_FOUND, WB_ERR_NOMEM or WB_ERR_STORE (corrupt or LMDB failure). */

/* Block bytes at `height` (1..last). */
WB_MUST_USE int store_get_block(struct store *s, uint64_t height, uint8_t **out, size_t *len);

/* CommitCert bytes of the block at `height`. */
WB_MUST_USE int store_get_cert(struct store *s, uint64_t height, uint8_t **out, size_t *len);

/* Height of the block whose hash is `hash`. */
WB_MUST_USE int store_height_of_hash(struct store *s, const uint8_t hash[WB_HASH_LEN],
                                     uint64_t *height);

/* Where event `id` sits: block height and index in the block. Probes the id
 * index once per id epoch (STORE__ID_EPOCH_EVENTS events each), the newest
 * first: an id never stored costs one probe per epoch (8 at 1,000,000
 * events), a recent one about one. store_get_event finds the event so too. */
WB_MUST_USE int store_event_location(struct store *s, const uint8_t id[WB_HASH_LEN],
                                     uint64_t *height, uint32_t *index);

/* SignedEvent bytes of event `id` (*out, *len) and where it sits. height and
 * index may be NULL. */
WB_MUST_USE int store_get_event(struct store *s, const uint8_t id[WB_HASH_LEN], uint8_t **out,
                                size_t *len, uint64_t *height, uint32_t *index);

/* SignedEvent bytes of the event at (height, index) (*out, *len), e.g. a
 * position store_item_history gave: no id lookup. With id not NULL the
 * event there must have that id (else WB_ERR_NOT_FOUND, as when there is
 * no such block or index). */
WB_MUST_USE int store_get_event_at(struct store *s, uint64_t height, uint32_t index,
                                   const uint8_t id[WB_HASH_LEN], uint8_t **out, size_t *len);

/* The committed state of `item`; WB_ERR_NOT_FOUND if no block touched it
 * (*st untouched then). */
WB_MUST_USE int store_item_state(struct store *s, const char *item, struct ledger_item_state *st);

/* store_item_state shaped as ledger_state_lookup_fn (ledger/validate.h), to
 * pass to ledger_block_check with ctx = the struct store. */
WB_MUST_USE int store_state_lookup(void *store, const char *item, struct ledger_item_state *st);

/* One event of an item's history. */
struct store_event_ref {
    uint8_t id[WB_HASH_LEN];
    uint64_t height;
    uint32_t index;
};

/* The events of `item`, commission first, head last: *out is a malloc'd array
 * of *n refs (caller frees). WB_ERR_NOT_FOUND if the item was never seen,
 * WB_ERR_TOO_LARGE if it has more than STORE_HISTORY_MAX events. */
WB_MUST_USE int store_item_history(struct store *s, const char *item, struct store_event_ref **out,
                                   size_t *n);

/* Limits of store_items_scan. */
#define STORE_ITEMS_LIMIT_DEFAULT 100u   /* items per page when none is asked */
#define STORE_ITEMS_LIMIT_MAX 1000u      /* items per page at most */
#define STORE_ITEMS_SCAN_MAX 5000u       /* states examined per call at most */

/* What store_items_scan keeps: NULL or "" strings and false mean "any". */
struct store_items_filter {
    const char *custodian;      /* the custodian organisation */
    bool held;                  /* only items customs holds (ledger_item_held) */
    bool by_status;             /* only items whose status is `status` */
    enum ledger_item_status status;
    const char *location;       /* the item's last location */
};

/* One page of item states in item id order: those after the item id `after`
 * (NULL or "" = from the first) that pass filter f (NULL = every item), at
 * most `limit` of them into out[0..*n) (caller's array of `limit`), examining
 * at most scan_max states (so a filter matching few items never walks the
 * whole database in one call). *more says whether states after next_after
 * exist; next_after is the id of the last state examined (the cursor for the
 * next page; "" when nothing was examined). limit and scan_max must be >= 1.
 * Returns 0, WB_ERR_INVALID, WB_ERR_STORE (a state that does not decode,
 * logged) or another read error. */
WB_MUST_USE int store_items_scan(struct store *s, const struct store_items_filter *f,
                                 const char *after, size_t limit, size_t scan_max,
                                 struct ledger_item_state *out, size_t *n, bool *more,
                                 char next_after[static WB_ITEM_MAX + 1]);

/* Items the store holds, which is the number of entries of the
 * registration-order index and the registration index the next new item
 * gets. Returns 0 or a read error. */
WB_MUST_USE int store_item_count(struct store *s, uint64_t *n);

/* Items per call of store_items_by_reg at most. */
#define STORE_REG_LIMIT_MAX 4096u

/* The states of the items registered as numbers from, from+1, ... in that
 * order, up to `limit` of them (1..STORE_REG_LIMIT_MAX) into out[0..*n)
 * (the caller's array of `limit`), read in one snapshot: *n < limit means
 * the items ran out (from + *n is store_item_count then; from at or past it
 * gives *n = 0). Each state is the one `items` holds for the id the index
 * names, and it is checked to say that registration index: out[k].reg_index
 * == from + k. A missing index, an index naming an item without a state or
 * a state with another index is WB_ERR_STORE (logged). Paging with from +=
 * *n walks every item in registration order; pages are separate snapshots,
 * so a walk while blocks are appended also sees the items they register.
 * Returns 0, WB_ERR_INVALID, WB_ERR_STORE or another read error. */
WB_MUST_USE int store_items_by_reg(struct store *s, uint64_t from, size_t limit,
                                   struct ledger_item_state *out, size_t *n);

/* ---- consensus safety record: opaque bytes (an encoded SafetyRecord). */

/* Replaces the record (1..STORE_SAFETY_MAX bytes): written to the slot of
 * safety.rec that does not hold the current record and synced to disk
 * (fdatasync, also with no_sync) before returning. After a crash the record
 * read back is the last put that returned 0, or the one being put when the
 * crash came. Puts and gets of one store must not run concurrently.
 * Returns 0, WB_ERR_INVALID, WB_ERR_TOO_LARGE, WB_ERR_IO (write or sync
 * failed: the record in force is then unknown; stop signing) or WB_ERR_STORE. */
WB_MUST_USE int store_safety_put(struct store *s, const uint8_t *rec, size_t len);

/* The record last put (*out malloc'd, caller frees); WB_ERR_NOT_FOUND if none,
 * WB_ERR_STORE if neither slot passes its checksum, WB_ERR_IO. */
WB_MUST_USE int store_safety_get(struct store *s, uint8_t **out, size_t *len);

/* ---- evidence of equivocation. */

/* Keeps `ev` (an encoded Evidence, 1..STORE_EVIDENCE_MAX bytes) under
 * (height, round, type, validator) in its own durable write transaction.
 * Evidence already kept under that key is left as it is (0 is returned; the
 * count does not change). Returns 0, WB_ERR_INVALID, WB_ERR_TOO_LARGE or
 * WB_ERR_STORE. */
WB_MUST_USE int store_evidence_put(struct store *s, uint64_t height, uint32_t round, uint8_t type,
                                   uint32_t validator, const uint8_t *ev, size_t len);

/* Number of evidence records kept. Returns 0 or WB_ERR_STORE. */
WB_MUST_USE int store_evidence_count(struct store *s, uint64_t *n);

/* ---- write faults. */

/* How this store's last write ended: 0 when it succeeded (or none has failed
 * yet); else the error of the write that failed (an append, a page release,
 * evidence or the safety record; commit, write or sync): an errno value such
 * as ENOSPC, EDQUOT, EFBIG or EIO, ENOSPC also when the map reached
 * map_size_max, or an LMDB error code (negative). text (len bytes; may be
 * NULL) gets "what: description", e.g. "commit block: No space left on
 * device". A write that fails again with the same code logs at debug level
 * only, so a caller retrying a failed write does not flood the log. Call it
 * from the thread that writes. */
WB_MUST_USE int store_write_error(const struct store *s, char *text, size_t len);

/* ---- space. */

/* How much of its map and file the store uses. */
struct store_usage {
    uint64_t map_bytes;         /* the LMDB map now (it grows by doubling) */
    uint64_t map_max_bytes;     /* the size it may grow to */
    uint64_t used_bytes;        /* pages up to the last one in use, times the page size:
                                 * data.mdb's high-water mark (pages LMDB freed and
                                 * reuses count) */
    uint64_t page_bytes;        /* LMDB's page size */
};

/* Fills *out from the environment's info (no transaction). Returns 0,
 * WB_ERR_INVALID or WB_ERR_STORE (logged). */
WB_MUST_USE int store_usage(struct store *s, struct store_usage *out);

/* Safety records written durably (store_safety_put returned 0) since open. */
uint64_t store_safety_writes(const struct store *s);

/* Thread use: one struct store may be shared by threads. Reads run
 * concurrently with each other and with the (single) writer; growing the map
 * waits briefly for reads in progress. */

#endif
