/* The risk engine (docs/risk.md): an item's accepted chain, its device
 * evidence and route plan, the coordinate table (ledger/locode.h), the
 * policy (risk/policy.h) and, online, ledger-wide context in; flags and a
 * score out. Each flag has a stable code (risk/flags.h), a severity, one
 * sentence a customs officer understands, the ids of the events that
 * raised it and the custodian at the time (who to ask). Deterministic: the
 * same input gives the same report on every node and offline, except the
 * flags that need ledger-wide context, which offline are listed as not
 * evaluable. Pure: no I/O, no clock (the reference time is an input), no
 * threads, no globals. */
#ifndef RISK_RISK_H
#define RISK_RISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/evidence.h"
#include "ledger/genesis.h"
#include "ledger/types.h"
#include "risk/baseline.h"
#include "risk/flags.h"
#include "risk/policy.h"

#define RISK_FLAGS_MAX 256            /* kept per item; more are counted */
#define RISK_FLAG_EVENTS_MAX 4        /* event ids named by one flag */
#define RISK_TEXT_MAX 400
#define RISK_BASIS_MAX 160

/* One accepted event of the chain, as the verifier or the node has it. */
struct risk_event {
    const struct ledger_event *ev;
    uint64_t height;
    int64_t block_time_ms;               /* its block's certified time: when it was recorded */
    const char *org;                     /* the submitter's organisation; NULL: not a member */
};

struct risk_input {
    const struct risk_event *events;     /* the item's accepted events, chain order, from commission */
    size_t count;
    const struct ledger_genesis *g;      /* the chain's parameters (custody replay) */
    const struct ledger_evidence *evidence; /* finished (ledger/evidence.h); NULL: none */
    /* The reference time: what "now" is for the flags about what has not
     * happened yet (a handover not received, a silence): the certified time
     * the verdict is as of (the freshness proof's, else the last block's). */
    int64_t as_of_ms;
};

/* What a party's history says (NEW_PARTY, and the org scores). */
struct risk_party {
    int64_t first_seen_ms;               /* block time of its first event on the ledger */
    uint32_t chains_completed;           /* items it delivered or handed over and saw received */
};

/* A reference to a container number on another item's chain: a packing or
 * load event of that item naming it (attribute container=). */
struct risk_container_ref {
    char item[WB_ITEM_MAX + 1];
    char location[WB_LOCATION_MAX + 1];
    int64_t time_ms;
    uint8_t event[WB_HASH_LEN];
};

/* Ledger-wide context, from the node (NULL offline). Each callback may be
 * NULL: its flags are then not evaluable. */
struct risk_context {
    void *ctx;
    /* The baseline of key (risk/baseline.h), or NULL when none. */
    const struct risk_dist *(*baseline)(void *ctx, const char *key);
    /* Other items whose chains name seal number `seal` (seal, load,
     * depart, ... attribute seal=, or an e-seal's number), `item` left out:
     * up to cap ids into out; returns how many there are. */
    size_t (*seal_items)(void *ctx, const char *seal, const char *item,
                         char (*out)[WB_ITEM_MAX + 1], size_t cap);
    /* References to container number `container` on other items' chains:
     * up to cap into out; returns how many there are. */
    size_t (*container_refs)(void *ctx, const char *container, struct risk_container_ref *out,
                             size_t cap);
    /* The history of party `org` as of the reference time; false when the
     * ledger never saw it. */
    bool (*party)(void *ctx, const char *org, struct risk_party *out);
};

/* How a threshold was set: the policy's default, or a learned baseline. */
enum risk_basis {
    RISK_BASIS_POLICY = 0,               /* a fixed threshold of the policy */
    RISK_BASIS_DEFAULT,                  /* a baseline's default: too few samples, or offline */
    RISK_BASIS_BASELINE,                 /* the policy's percentile of a baseline */
};

struct risk_flag {
    enum risk_flag_code code;
    enum risk_severity severity;
    char text[RISK_TEXT_MAX];            /* one sentence, ends with a full stop */
    size_t event_count;                  /* ids of the events that raised it */
    uint8_t events[RISK_FLAG_EVENTS_MAX][WB_HASH_LEN];
    uint32_t event_index[RISK_FLAG_EVENTS_MAX]; /* their numbers in the chain (# 0: commission) */
    char custodian[WB_ORG_MAX + 1];      /* at the time: who to ask; "" when none */
    int64_t time_ms;                     /* when it happened (the latest event's time) */
    enum risk_basis basis;
    char basis_text[RISK_BASIS_MAX];     /* "p95 of 120 dwells at NLRTM (3.2 d)",
                                          * "default 7 d: 5 samples at NLRTM, fewer than 30" */
};

struct risk_report {
    size_t flag_count;
    struct risk_flag *flags;             /* heap, RISK_FLAGS_MAX; free with risk_report_free */
    size_t flags_dropped;                /* raised beyond RISK_FLAGS_MAX (scored all the same) */
    uint32_t score;                      /* sum of the policy's weights of every flag raised */
    uint32_t counts[RISK_FLAG_COUNT];    /* flags raised per code */
    /* The codes that could not be judged, with why: ledger-wide ones
     * offline ("needs the ledger: offline"), ROUTE_DEVIATION without a plan,
     * distances to places the coordinate table lacks. */
    bool not_evaluable[RISK_FLAG_COUNT];
    char not_evaluable_why[RISK_FLAG_COUNT][RISK_BASIS_MAX];
    uint8_t policy_hash[RISK_POLICY_HASH_LEN];
};

/* Judges one item. ctx NULL: offline. Returns 0, WB_ERR_NOMEM, or
 * WB_ERR_INVALID (the events do not replay: not a chain from commission)
 * with a sentence in msg. out is initialised here; free it with
 * risk_report_free in every case. */
WB_MUST_USE int risk_assess(const struct risk_input *in, const struct risk_policy *p,
                            const struct risk_context *ctx, struct risk_report *out, char *msg,
                            size_t msg_len);
void risk_report_free(struct risk_report *r);

#endif
