/* probe: a hostile or curious client for the cluster tests. It opens links
 * a well-behaved node or CLI never would (wrong keys, garbage, oversized
 * frames) and rewrites proof bundles to check that verification notices.
 *
 *   probe handshake ADDR GENESIS KEYFILE      exit 0 if the link comes up, 1 if refused
 *   probe garbage ADDR BYTES                  sends random bytes; exit 0 if the node closes the link
 *   probe oversize ADDR GENESIS KEYFILE BYTES after the handshake sends one frame of BYTES;
 *                                             exit 0 if the node closes the link
 *   probe hashes ADDR GENESIS KEYFILE FROM TO prints "HEIGHT HASH" of blocks FROM..TO, over
 *                                             one connection (exit 1 if one is missing)
 *   probe liar ADDR GENESIS KEYFILE SECONDS   a validator that lies: dials ADDR's p2p port with
 *                                             KEYFILE (a validator key), claims height 10^9 every
 *                                             100 ms and answers nothing, for SECONDS
 *   probe ipv6                                exit 0 if TCP can listen on [::1] here, 1 if
 *                                             not (the reason on stderr)
 *   probe resubmit ADDR GENESIS KEYFILE FILE  submits the SignedEvent bytes of FILE as they are
 *                                             (a client retrying), then a status request on the
 *                                             same link. Prints "waiting" when the status answer
 *                                             comes first (the node holds the submit until the
 *                                             event commits), then "committed H:I" (with
 *                                             " already" when it was committed before) or
 *                                             "rejected CODE REASON". Exit 0 committed, 1
 *                                             rejected, 2 otherwise
 *   probe reports ADDR GENESIS KEY ITEM      every observation of the device reports on
 *                                             ITEM's chain, one line each, in chain order
 *   probe mutate MODE IN OUT                  rewrites a proof bundle; MODE is one of
 *       alter-event   flip one byte inside the middle event's body
 *       remove-middle drop the middle event
 *       few-sigs      keep only one precommit in every certificate
 *       foreign-sig   re-sign the first precommit of every certificate with a
 *                     fresh key that is not a validator's
 *       drop-newest   drop the last event (and a block no other event is in),
 *                     keeping the freshness proof
 *       strip-freshness  drop the freshness proof
 *       hide-newest   both: the newest event left out, and nothing to show it
 *       drop-newest-K the K newest events left out (and their blocks), proof kept
 *       flip-state-path  flip one byte of the freshness proof's audit path
 *       alter-event-K flip one byte inside event K's body (K from 0, bundle order)
 *       remove-event-K drop event K
 *       gov-alter-event-K, gov-remove-event-K  the same in the governance section
 *       gov-strip     drop the governance section
 *   probe mutate MODE IN OUT OTHER            the same, taking a part of bundle OTHER:
 *       freshness-from  OTHER's whole freshness proof (an older or another item's)
 *       leaf-from       OTHER's leaf and audit path under IN's header
 *       cert-from       OTHER's freshness certificate for IN's header
 *   probe flood-idle ADDR N SECONDS           keeps N TCP connections to ADDR (127.0.0.1 only)
 *                                             open that send nothing, reopening each one the
 *                                             node closes a second later, for SECONDS
 *   probe flood-halfopen ADDR N SECONDS       the same, each sending the first 20 bytes of a
 *                                             hello and then nothing
 *   probe storm ADDR N SECONDS                N at a time: connect, send a whole hello, close
 *                                             once the node's hello arrives, reconnect 10 ms
 *                                             later; for
 *                                             SECONDS. The three print "opened COUNT" and exit 0
 *   probe risk-context ADDR GENESIS KEY ITEM CONTAINER SEALS ORGS KEYS
 *                                             one risk context request (cli/risk_context.h's
 *                                             fetcher, which checks the answer); SEALS, ORGS
 *                                             and KEYS comma-separated, "-" for none (ITEM
 *                                             and CONTAINER too). Prints "answer HEX" (the
 *                                             RiskContext message as the node encoded it),
 *                                             then the context line by line, canonically:
 *                                             two nodes with the same index print the same
 *                                             bytes. Exit 0, 1 refused or malformed, 2 usage
 *   probe risk-bounds ADDR GENESIS KEY        risk context requests at and over each bound
 *                                             (seals, organisations, baseline keys), sent as
 *                                             they are: prints "NAME CODE" per request (0:
 *                                             answered; a node refuses over a bound with -2)
 *   probe rules                               prints the ledger rule table, "NAME<TAB>REASON"
 *                                             per rule in check order (docs/rules.md lists them)
 *   probe proxy CTLFILE PORTFILE TAG=TARGET... a TCP proxy the partition tests own: for each
 *                                             TAG (a word) listens on a free 127.0.0.1 port and
 *                                             forwards every connection to TARGET (ip:port). It
 *                                             writes "TAG PORT" lines to PORTFILE (renamed into
 *                                             place once all listen). Every 50 ms it reads
 *                                             CTLFILE: the TAGs it lists (whitespace-separated)
 *                                             are cut: nothing crosses, nothing is closed, and after
 *                                             the heal bytes move again at the next TCP
 *                                             retransmission time (see "proxy" below). Runs
 *                                             until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/risk_context.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "ledger/device.h"
#include "ledger/event.h"
#include "ledger/genesis.h"
#include "ledger/rules.h"
#include "node/keyfile.h"
#include "node/net/net.h"
#include "node/net/net_client.h"
#include "proto/waybill.pb-c.h"

static bool accept_any(void *ctx, const uint8_t pk[32])
{
    (void)ctx;
    (void)pk;
    return true;
}

static int load(const char *genesis_path, const char *key_path, struct ledger_genesis *g,
                struct net_client_config *cc)
{
    uint8_t *buf;
    size_t len;
    char msg[512];
    if (wb_read_file(genesis_path, 1u << 20, &buf, &len) != 0) return -1;
    int rc = ledger_genesis_parse(buf, len, g, msg, sizeof msg);
    free(buf);
    if (rc) {
        fprintf(stderr, "probe: genesis: %s\n", msg);
        return -1;
    }
    memset(cc, 0, sizeof *cc);
    memcpy(cc->chain_id, g->chain_id, 32);
    if (keyfile_load(key_path, cc->identity_pk, cc->identity_sk, msg, sizeof msg) != 0) {
        fprintf(stderr, "probe: %s\n", msg);
        return -1;
    }
    cc->authorize = accept_any;
    return 0;
}

static int raw_connect(const char *addr)
{
    char host[64];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host) return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {.tv_sec = 20};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends garbage, then reads until the peer closes (0) or 20 s pass (1). */
static int cmd_garbage(const char *addr, size_t n)
{
    int fd = raw_connect(addr);
    if (fd < 0) {
        fprintf(stderr, "probe: cannot connect to %s\n", addr);
        return 2;
    }
    uint8_t *junk = malloc(n);
    randombytes_buf(junk, n);
    ssize_t w = write(fd, junk, n);
    free(junk);
    (void)w;
    uint8_t buf[4096];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r == 0 || (r < 0 && (errno == ECONNRESET || errno == EPIPE))) {
            close(fd);
            printf("closed by node\n");
            return 0;
        }
        if (r < 0) {
            close(fd);
            printf("still open after 20 s\n");
            return 1;
        }
    }
}

static int cmd_handshake(const char *addr, const char *genesis, const char *key)
{
    struct ledger_genesis *g = malloc(sizeof *g);
    struct net_client_config cc;
    if (!g || load(genesis, key, g, &cc) != 0) {
        free(g);
        return 2;
    }
    struct net_client *c;
    int rc = net_client_connect(addr, &cc, 10000, &c);
    free(g);
    if (rc == 0) {
        printf("link up\n");
        net_client_close(c);
        return 0;
    }
    printf("refused: %s\n", wb_strerror(rc));
    return rc == WB_ERR_REFUSED ? 1 : 2;
}

static int cmd_oversize(const char *addr, const char *genesis, const char *key, size_t n)
{
    struct ledger_genesis *g = malloc(sizeof *g);
    struct net_client_config cc;
    if (!g || load(genesis, key, g, &cc) != 0) {
        free(g);
        return 2;
    }
    free(g);
    cc.frame_max = n;
    struct net_client *c;
    int rc = net_client_connect(addr, &cc, 10000, &c);
    if (rc) {
        printf("handshake failed: %s\n", wb_strerror(rc));
        return 2;
    }
    uint8_t *big = calloc(1, n);
    rc = big ? net_client_send(c, big, n) : WB_ERR_NOMEM;
    free(big);
    /* A p2p node may still send us status or votes before it reads the
     * frame: skip those until the link closes or 20 s pass. */
    for (int frames = 0; rc == 0 && frames < 1000; frames++) {
        uint8_t *resp = NULL;
        size_t len;
        rc = net_client_recv(c, &resp, &len, 20000);
        free(resp);
    }
    net_client_close(c);
    if (rc == WB_ERR_CLOSED) {
        printf("closed by node\n");
        return 0;
    }
    printf("not closed: %s\n", wb_strerror(rc));
    return 1;
}

static int cmd_hashes(const char *addr, const char *genesis, const char *key, uint64_t from,
                      uint64_t to)
{
    struct ledger_genesis *g = malloc(sizeof *g);
    struct net_client_config cc;
    if (!g || load(genesis, key, g, &cc) != 0) {
        free(g);
        return 2;
    }
    free(g);
    cc.frame_max = 16u << 20;
    struct net_client *c;
    int rc = net_client_connect(addr, &cc, 10000, &c);
    if (rc) {
        fprintf(stderr, "probe: cannot connect to %s: %s\n", addr, wb_strerror(rc));
        return 2;
    }
    int status = 0;
    for (uint64_t h = from; h <= to && status == 0; h++) {
        Waybill__HeightRequest hr = WAYBILL__HEIGHT_REQUEST__INIT;
        hr.height = h;
        Waybill__ClientRequest rq = WAYBILL__CLIENT_REQUEST__INIT;
        rq.id = h;
        rq.req_case = WAYBILL__CLIENT_REQUEST__REQ_BLOCK;
        rq.block = &hr;
        uint8_t buf[64], *resp = NULL;
        size_t len = waybill__client_request__pack(&rq, buf), resp_len;
        rc = net_client_request(c, buf, len, &resp, &resp_len, 20000);
        Waybill__ClientResponse *r =
            rc == 0 ? waybill__client_response__unpack(NULL, resp_len, resp) : NULL;
        free(resp);
        if (!r || r->code != 0 || r->resp_case != WAYBILL__CLIENT_RESPONSE__RESP_BLOCK ||
            r->block->block_hash.len != 32) {
            fprintf(stderr, "probe: no block %llu at %s\n", (unsigned long long)h, addr);
            status = 1;
        } else {
            printf("%llu ", (unsigned long long)h);
            for (size_t i = 0; i < 32; i++) printf("%02x", r->block->block_hash.data[i]);
            printf("\n");
        }
        if (r) waybill__client_response__free_unpacked(r, NULL);
    }
    net_client_close(c);
    return status;
}

/* Every observation of every device report on ITEM's chain, one line each:
 * "SEQ KIND TIME_MS DEVICE8 VALUES" in chain order, decoded here from the
 * signed events the node's history holds (not through the CLI). */
static int cmd_reports(const char *addr, const char *genesis, const char *key, const char *item)
{
    struct ledger_genesis *g = malloc(sizeof *g);
    struct ledger_event *ev = malloc(sizeof *ev);
    struct ledger_device_report *r = malloc(sizeof *r);
    struct net_client_config cc;
    int status = 2;
    struct net_client *c = NULL;
    uint8_t *resp = NULL;
    Waybill__ClientResponse *rs = NULL;
    if (!g || !ev || !r || load(genesis, key, g, &cc) != 0) goto out;
    cc.frame_max = 64u << 20;
    int rc = net_client_connect(addr, &cc, 10000, &c);
    if (rc) {
        fprintf(stderr, "probe: cannot connect to %s: %s\n", addr, wb_strerror(rc));
        goto out;
    }
    Waybill__ItemRequest ir = WAYBILL__ITEM_REQUEST__INIT;
    ir.item = (char *)item;
    Waybill__ClientRequest rq = WAYBILL__CLIENT_REQUEST__INIT;
    rq.id = 1;
    rq.req_case = WAYBILL__CLIENT_REQUEST__REQ_HISTORY;
    rq.history = &ir;
    uint8_t buf[512];
    size_t len = waybill__client_request__pack(&rq, buf), resp_len;
    rc = net_client_request(c, buf, len, &resp, &resp_len, 60000);
    rs = rc == 0 ? waybill__client_response__unpack(NULL, resp_len, resp) : NULL;
    if (!rs || rs->code != 0 || rs->resp_case != WAYBILL__CLIENT_RESPONSE__RESP_HISTORY) {
        fprintf(stderr, "probe: no history of %s at %s\n", item, addr);
        goto out;
    }
    status = 0;
    for (size_t i = 0; i < rs->history->n_events && status == 0; i++) {
        const ProtobufCBinaryData *b = &rs->history->events[i]->signed_event;
        char msg[256];
        if (ledger_signed_event_open(g->chain_id, b->data, b->len, true, ev, msg, sizeof msg) ||
            (ledger_action_is_report(ev->action) &&
             ledger_device_report_decode(ev->device_report, ev->device_report_len, r, msg,
                                         sizeof msg))) {
            fprintf(stderr, "probe: event %zu: %s\n", i, msg);
            status = 1;
            break;
        }
        if (!ledger_action_is_report(ev->action)) continue;
        for (size_t k = 0; k < r->obs_count; k++) {
            const struct ledger_device_obs *o = &r->obs[k];
            printf("%llu %s %lld %02x%02x%02x%02x %d %s %d %d %u %s %d %lld\n",
                   (unsigned long long)r->seq, ledger_action_name(r->kind), (long long)o->time_ms,
                   r->device[0], r->device[1], r->device[2], r->device[3], (int)o->seal_state,
                   o->seal[0] ? o->seal : "-", o->lat_e6, o->lon_e6, o->accuracy_m,
                   o->locode[0] ? o->locode : "-", (int)o->measure, (long long)o->value_milli);
        }
    }
out:
    if (rs) waybill__client_response__free_unpacked(rs, NULL);
    free(resp);
    if (c) net_client_close(c);
    free(g);
    free(ev);
    free(r);
    return status;
}

struct liar {
    uv_loop_t loop;
    uv_timer_t tick, stop;
    struct net *net;
    struct net_link *link;
    unsigned sent;
};

static void liar_on_up(void *ctx, struct net_link *link, const uint8_t pk[32])
{
    (void)pk;
    ((struct liar *)ctx)->link = link;
}

static void liar_on_frame(void *ctx, struct net_link *link, const uint8_t *d, size_t len)
{
    (void)ctx, (void)link, (void)d, (void)len; /* hears everything, answers nothing */
}

static void liar_on_down(void *ctx, struct net_link *link, int reason)
{
    (void)link, (void)reason;
    ((struct liar *)ctx)->link = NULL;
}

static void liar_on_tick(uv_timer_t *t)
{
    struct liar *l = t->data;
    if (!l->link) return;
    Waybill__PeerStatus st = WAYBILL__PEER_STATUS__INIT;
    st.height = 1000000000;
    Waybill__PeerMessage m = WAYBILL__PEER_MESSAGE__INIT;
    m.msg_case = WAYBILL__PEER_MESSAGE__MSG_STATUS;
    m.status = &st;
    uint8_t buf[64];
    size_t len = waybill__peer_message__pack(&m, buf);
    if (net_send(l->link, buf, len) == 0) l->sent++;
}

static void liar_closed(uv_handle_t *h)
{
    (void)h;
}

static void liar_on_stop(uv_timer_t *t)
{
    struct liar *l = t->data;
    uv_close((uv_handle_t *)&l->tick, liar_closed);
    uv_close((uv_handle_t *)&l->stop, liar_closed);
    net_close(l->net, NULL);
}

static int cmd_liar(const char *addr, const char *genesis, const char *key, unsigned seconds)
{
    struct ledger_genesis *g = malloc(sizeof *g);
    struct net_client_config cc;
    if (!g || load(genesis, key, g, &cc) != 0) {
        free(g);
        return 2;
    }
    free(g);
    struct liar l = {0};
    uv_loop_init(&l.loop);
    struct net_config nc = {
        .name = "liar",
        .authorize = accept_any,
        .ctx = &l,
        .frame_max = 16u << 20,
        .on_link_up = liar_on_up,
        .on_frame = liar_on_frame,
        .on_link_down = liar_on_down,
    };
    memcpy(nc.chain_id, cc.chain_id, 32);
    memcpy(nc.identity_pk, cc.identity_pk, 32);
    memcpy(nc.identity_sk, cc.identity_sk, 64);
    if (net_create(&l.loop, &nc, &l.net) != 0 || net_dial(l.net, addr, NULL, true) != 0) {
        fprintf(stderr, "probe: cannot dial %s\n", addr);
        return 2;
    }
    uv_timer_init(&l.loop, &l.tick);
    uv_timer_init(&l.loop, &l.stop);
    l.tick.data = l.stop.data = &l;
    uv_timer_start(&l.tick, liar_on_tick, 100, 100);
    uv_timer_start(&l.stop, liar_on_stop, (uint64_t)seconds * 1000, 0);
    uv_run(&l.loop, UV_RUN_DEFAULT);
    uv_loop_close(&l.loop);
    printf("sent %u false status messages\n", l.sent);
    return l.sent > 0 ? 0 : 1;
}

/* Prints the answer to the submit; returns the exit code. */
static int resubmit_answer(const Waybill__ClientResponse *r)
{
    if (r->code < 0) {
        printf("rejected %d %s\n", (int)r->code, r->reason ? r->reason : "");
        return 1;
    }
    if (r->resp_case != WAYBILL__CLIENT_RESPONSE__RESP_SUBMIT || !r->submit->committed) {
        printf("unexpected answer\n");
        return 2;
    }
    printf("committed %llu:%u%s\n", (unsigned long long)r->submit->height,
           (unsigned)r->submit->index, r->submit->already_committed ? " already" : "");
    return 0;
}

static int cmd_resubmit(const char *addr, const char *genesis, const char *key, const char *file)
{
    struct ledger_genesis *g = malloc(sizeof *g);
    struct net_client_config cc;
    if (!g || load(genesis, key, g, &cc) != 0) {
        free(g);
        return 2;
    }
    free(g);
    uint8_t *ev;
    size_t ev_len;
    if (wb_read_file(file, 1u << 16, &ev, &ev_len) != 0) {
        fprintf(stderr, "probe: cannot read %s\n", file);
        return 2;
    }
    cc.frame_max = 16u << 20;
    struct net_client *c;
    int rc = net_client_connect(addr, &cc, 10000, &c);
    if (rc) {
        free(ev);
        fprintf(stderr, "probe: cannot connect to %s: %s\n", addr, wb_strerror(rc));
        return 2;
    }
    Waybill__SubmitRequest sr = WAYBILL__SUBMIT_REQUEST__INIT;
    sr.signed_event.data = ev;
    sr.signed_event.len = ev_len;
    Waybill__ClientRequest submit = WAYBILL__CLIENT_REQUEST__INIT;
    submit.id = 1;
    submit.req_case = WAYBILL__CLIENT_REQUEST__REQ_SUBMIT;
    submit.submit = &sr;
    Waybill__StatusRequest st = WAYBILL__STATUS_REQUEST__INIT;
    Waybill__ClientRequest status = WAYBILL__CLIENT_REQUEST__INIT;
    status.id = 2;
    status.req_case = WAYBILL__CLIENT_REQUEST__REQ_STATUS;
    status.status = &st;
    uint8_t buf[1u << 16], sbuf[64];
    size_t len = waybill__client_request__pack(&submit, buf);
    size_t slen = waybill__client_request__pack(&status, sbuf);
    free(ev);
    rc = net_client_send(c, buf, len);
    if (rc == 0) rc = net_client_send(c, sbuf, slen);
    int result = 2;
    bool answered = false;
    /* Two answers: the status one, and the submit one (which may come last). */
    for (int frames = 0; rc == 0 && frames < 2; frames++) {
        uint8_t *resp = NULL;
        size_t resp_len;
        rc = net_client_recv(c, &resp, &resp_len, 180000);
        Waybill__ClientResponse *r =
            rc == 0 ? waybill__client_response__unpack(NULL, resp_len, resp) : NULL;
        free(resp);
        if (!r) break;
        if (r->id == 2 && !answered) {
            printf("waiting\n");
            fflush(stdout);
        } else if (r->id == 1) {
            result = resubmit_answer(r);
            answered = true;
            fflush(stdout);
        }
        waybill__client_response__free_unpacked(r, NULL);
    }
    if (!answered) printf("no answer: %s\n", wb_strerror(rc));
    net_client_close(c);
    return result;
}

/* OTHER's freshness proof, unpacked (NULL with a message when it has none). */
static Waybill__ProofBundle *other_bundle(const char *path)
{
    uint8_t *buf;
    size_t len;
    if (!path || wb_read_file(path, 64u << 20, &buf, &len) != 0) {
        fprintf(stderr, "probe: cannot read the other bundle %s\n", path ? path : "(none)");
        return NULL;
    }
    Waybill__ProofBundle *o = waybill__proof_bundle__unpack(NULL, len, buf);
    free(buf);
    if (!o || !o->freshness) {
        fprintf(stderr, "probe: %s has no freshness proof\n", path);
        if (o) waybill__proof_bundle__free_unpacked(o, NULL);
        return NULL;
    }
    return o;
}

/* Drops the newest event of b and its block when no other event is in it. */
static void drop_newest(Waybill__ProofBundle *b)
{
    uint64_t h = b->events[b->n_events - 1]->height;
    waybill__proof_event__free_unpacked(b->events[--b->n_events], NULL);
    bool used = false;
    for (size_t i = 0; i < b->n_events; i++) used |= b->events[i]->height == h;
    for (size_t i = 0; !used && i < b->n_blocks; i++) {
        if (b->blocks[i]->height != h) continue;
        waybill__proof_block__free_unpacked(b->blocks[i], NULL);
        memmove(&b->blocks[i], &b->blocks[i + 1], (b->n_blocks - i - 1) * sizeof b->blocks[0]);
        b->n_blocks--;
        break;
    }
}

/* Swaps field `f` of the two freshness proofs' (bytes) and keeps a's. */
#define SWAP_BYTES(a, b, f)                  \
    do {                                     \
        ProtobufCBinaryData t_ = (a)->f;     \
        (a)->f = (b)->f;                     \
        (b)->f = t_;                         \
    } while (0)

/* Drops event k of bundle b. */
static void drop_event(Waybill__ProofBundle *b, size_t k)
{
    waybill__proof_event__free_unpacked(b->events[k], NULL);
    memmove(&b->events[k], &b->events[k + 1], (b->n_events - k - 1) * sizeof b->events[0]);
    b->n_events--;
}

/* The modes naming an event by index (alter-event-K, remove-event-K, and
 * with gov- the governance section's), and gov-strip: returns whether mode
 * is one, with *rc 0 when done and 1 (said on stderr) when it cannot be. */
static bool mutate_indexed(Waybill__ProofBundle *b, const char *mode, int *rc)
{
    *rc = 0;
    if (strcmp(mode, "gov-strip") == 0) {
        if (!b->governance) {
            fprintf(stderr, "probe: the bundle has no governance section\n");
            *rc = 1;
            return true;
        }
        waybill__proof_bundle__free_unpacked(b->governance, NULL);
        b->governance = NULL;
        return true;
    }
    const char *m = mode;
    Waybill__ProofBundle *t = b;
    if (strncmp(m, "gov-", 4) == 0) {
        m += 4;
        t = b->governance;
    }
    bool alter = strncmp(m, "alter-event-", 12) == 0, remove = strncmp(m, "remove-event-", 13) == 0;
    if (!alter && !remove) return false;
    char *end;
    unsigned long k = strtoul(m + (alter ? 12 : 13), &end, 10);
    if (!t || *end != '\0' || k >= t->n_events) {
        fprintf(stderr, "probe: %s: no such event in the bundle\n", mode);
        *rc = 1;
        return true;
    }
    if (alter) {
        ProtobufCBinaryData *ev = &t->events[k]->signed_event;
        ev->data[ev->len / 3] ^= 0x01;
    } else {
        drop_event(t, k);
    }
    return true;
}

static int cmd_mutate(const char *mode, const char *in, const char *out, const char *other)
{
    int rc_indexed = 0;
    uint8_t *buf;
    size_t len;
    if (wb_read_file(in, 64u << 20, &buf, &len) != 0) {
        fprintf(stderr, "probe: cannot read %s\n", in);
        return 2;
    }
    Waybill__ProofBundle *b = waybill__proof_bundle__unpack(NULL, len, buf);
    free(buf);
    if (!b || b->n_events < 3) {
        fprintf(stderr, "probe: %s is not a bundle of at least 3 events\n", in);
        return 2;
    }
    size_t mid = b->n_events / 2;
    bool drop = strcmp(mode, "drop-newest") == 0 || strcmp(mode, "hide-newest") == 0;
    bool strip = strcmp(mode, "strip-freshness") == 0 || strcmp(mode, "hide-newest") == 0;
    unsigned long drop_k = 0;
    if (strncmp(mode, "drop-newest-", 12) == 0) {
        drop_k = strtoul(mode + 12, NULL, 10);
        if (drop_k == 0 || drop_k >= b->n_events) {
            fprintf(stderr, "probe: %s: K must be 1 to %zu\n", mode, b->n_events - 1);
            waybill__proof_bundle__free_unpacked(b, NULL);
            return 2;
        }
    }
    bool splice = strcmp(mode, "freshness-from") == 0 || strcmp(mode, "leaf-from") == 0 ||
                  strcmp(mode, "cert-from") == 0;
    bool flip = strcmp(mode, "flip-state-path") == 0;
    if (drop) drop_newest(b);
    for (unsigned long k = 0; k < drop_k; k++) drop_newest(b);
    if (strip && b->freshness) {
        waybill__proof_freshness__free_unpacked(b->freshness, NULL);
        b->freshness = NULL;
    }
    if (flip) {
        if (!b->freshness || b->freshness->n_state_path == 0) {
            fprintf(stderr, "probe: %s: no audit path to flip\n", in);
            waybill__proof_bundle__free_unpacked(b, NULL);
            return 2;
        }
        b->freshness->state_path[0].data[7] ^= 0x01;
    }
    if (splice) {
        Waybill__ProofBundle *o = other_bundle(other);
        if (!o || !b->freshness) {
            if (o) waybill__proof_bundle__free_unpacked(o, NULL);
            waybill__proof_bundle__free_unpacked(b, NULL);
            return 2;
        }
        Waybill__ProofFreshness *mine = b->freshness, *theirs = o->freshness;
        if (strcmp(mode, "freshness-from") == 0) {
            b->freshness = theirs;
            o->freshness = mine;
        } else if (strcmp(mode, "leaf-from") == 0) {
            SWAP_BYTES(mine, theirs, leaf);
            size_t n = mine->n_state_path;
            ProtobufCBinaryData *p = mine->state_path;
            mine->n_state_path = theirs->n_state_path;
            mine->state_path = theirs->state_path;
            theirs->n_state_path = n;
            theirs->state_path = p;
        } else {
            SWAP_BYTES(mine, theirs, cert);
        }
        waybill__proof_bundle__free_unpacked(o, NULL);
    }
    if (drop || strip || drop_k || flip || splice) {
        /* done above */
    } else if (mutate_indexed(b, mode, &rc_indexed)) {
        if (rc_indexed != 0) {
            waybill__proof_bundle__free_unpacked(b, NULL);
            return 2;
        }
    } else if (strcmp(mode, "alter-event") == 0) {
        ProtobufCBinaryData *ev = &b->events[mid]->signed_event;
        ev->data[ev->len / 3] ^= 0x01;
    } else if (strcmp(mode, "remove-middle") == 0) {
        waybill__proof_event__free_unpacked(b->events[mid], NULL);
        memmove(&b->events[mid], &b->events[mid + 1],
                (b->n_events - mid - 1) * sizeof b->events[0]);
        b->n_events--;
    } else if (strcmp(mode, "few-sigs") == 0) {
        for (size_t i = 0; i < b->n_blocks; i++) {
            Waybill__CommitCert *c = b->blocks[i]->cert;
            while (c && c->n_precommits > 1)
                waybill__vote__free_unpacked(c->precommits[--c->n_precommits], NULL);
        }
    } else if (strcmp(mode, "foreign-sig") == 0) {
        uint8_t pk[32], sk[64];
        crypto_sign_keypair(pk, sk);
        for (size_t i = 0; i < b->n_blocks; i++) {
            Waybill__CommitCert *c = b->blocks[i]->cert;
            if (!c || c->n_precommits == 0) continue;
            Waybill__Vote *v = c->precommits[0];
            if (v->signature.len != 64) continue;
            uint8_t chain[32], msg[WB_SIGMSG_MAX];
            /* A well-formed signature over the right vote bytes (chain id
             * from the block's header), by a key no validator holds. */
            Waybill__BlockHeader *h = waybill__block_header__unpack(
                NULL, b->blocks[i]->header.len, b->blocks[i]->header.data);
            if (!h || h->chain_id.len != 32) continue;
            memcpy(chain, h->chain_id.data, 32);
            waybill__block_header__free_unpacked(h, NULL);
            size_t m = wb_sigmsg_vote(msg, chain, (uint8_t)v->type, v->height, v->round,
                                      v->block_hash.len == 32 ? v->block_hash.data : NULL);
            if (wb_sign(msg, m, sk, v->signature.data) != WB_OK) {
                fprintf(stderr, "probe: cannot sign a vote\n");
                waybill__proof_bundle__free_unpacked(b, NULL);
                return 2;
            }
        }
    } else {
        fprintf(stderr, "probe: unknown mutation '%s'\n", mode);
        waybill__proof_bundle__free_unpacked(b, NULL);
        return 2;
    }
    size_t out_len = waybill__proof_bundle__get_packed_size(b);
    uint8_t *ob = malloc(out_len);
    waybill__proof_bundle__pack(b, ob);
    waybill__proof_bundle__free_unpacked(b, NULL);
    int rc = wb_write_file(out, ob, out_len, 0644);
    free(ob);
    return rc ? 2 : 0;
}

/* ---- connection floods (bounded in count and time, 127.0.0.1 only) ---------- */

enum flood_mode { FLOOD_IDLE, FLOOD_HALFOPEN, FLOOD_STORM };

#define FLOOD_N_MAX 1000
#define FLOOD_SECONDS_MAX 600

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct flood_slot {
    int fd;
    bool connected, sent;
    size_t got;
    double reopen_at; /* a closed slot reconnects from this time on */
};

static int flood_open(const struct sockaddr_in *sa, struct flood_slot *s)
{
    memset(s, 0, sizeof *s);
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (s->fd < 0) return -1;
    if (connect(s->fd, (const struct sockaddr *)sa, sizeof *sa) != 0 && errno != EINPROGRESS) {
        close(s->fd);
        s->fd = -1;
        return -1;
    }
    return 0;
}

/* Idle and half-open slots the node closed come back after a second (an
 * attacker holding connections open); storm slots after 10 ms. */
static void flood_drop(struct flood_slot *s, enum flood_mode mode)
{
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
    s->reopen_at = mono_s() + (mode == FLOOD_STORM ? 0.01 : 1.0);
}

static int cmd_flood(enum flood_mode mode, const char *addr, long n, long seconds)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) != strlen("127.0.0.1") ||
        strncmp(addr, "127.0.0.1", (size_t)(colon - addr)) != 0) {
        fprintf(stderr, "probe: floods go to 127.0.0.1:PORT only, not %s\n", addr);
        return 2;
    }
    if (n < 1 || n > FLOOD_N_MAX || seconds < 1 || seconds > FLOOD_SECONDS_MAX) {
        fprintf(stderr, "probe: N is 1..%d and SECONDS 1..%d\n", FLOOD_N_MAX, FLOOD_SECONDS_MAX);
        return 2;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(colon + 1));
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    struct flood_slot *slots = calloc((size_t)n, sizeof *slots);
    struct pollfd *pfd = calloc((size_t)n, sizeof *pfd);
    if (!slots || !pfd) return 2;
    for (long i = 0; i < n; i++) slots[i].fd = -1;
    uint8_t hello[NET_VERSION_TAG_LEN + 32];
    memset(hello, 0, sizeof hello);
    memcpy(hello, NET_VERSION_TAG, strlen(NET_VERSION_TAG));
    randombytes_buf(hello + NET_VERSION_TAG_LEN, 32);
    unsigned long long opened = 0;
    double end = mono_s() + (double)seconds;
    while (mono_s() < end) {
        for (long i = 0; i < n; i++) {
            if (slots[i].fd < 0 && mono_s() >= slots[i].reopen_at &&
                flood_open(&sa, &slots[i]) == 0)
                opened++;
            pfd[i].fd = slots[i].fd;
            pfd[i].events = slots[i].connected ? POLLIN : POLLOUT;
            pfd[i].revents = 0;
        }
        if (poll(pfd, (nfds_t)n, 50) < 0 && errno != EINTR) break;
        for (long i = 0; i < n; i++) {
            struct flood_slot *s = &slots[i];
            if (s->fd < 0 || !pfd[i].revents) continue;
            if (!s->connected) {
                int err = 0;
                socklen_t el = sizeof err;
                getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err || (pfd[i].revents & (POLLERR | POLLHUP))) {
                    flood_drop(s, mode);
                    continue;
                }
                s->connected = true;
                size_t len = mode == FLOOD_HALFOPEN ? 20 : mode == FLOOD_STORM ? sizeof hello : 0;
                if (len && send(s->fd, hello, len, MSG_NOSIGNAL) < 0) flood_drop(s, mode);
                continue;
            }
            uint8_t buf[512];
            ssize_t r = recv(s->fd, buf, sizeof buf, 0);
            if (r <= 0) {
                if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                flood_drop(s, mode); /* the node closed it: open another */
                continue;
            }
            s->got += (size_t)r;
            if (mode == FLOOD_STORM && s->got >= NET_VERSION_TAG_LEN + 32) flood_drop(s, mode);
        }
    }
    for (long i = 0; i < n; i++) flood_drop(&slots[i], mode);
    free(slots);
    free(pfd);
    printf("opened %llu\n", opened);
    return 0;
}

/* Whether this machine has an IPv6 loopback a node can listen on. */
static int cmd_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0) {
        fprintf(stderr, "probe: no IPv6 sockets: %s\n", strerror(errno));
        return 1;
    }
    struct sockaddr_in6 sa;
    memset(&sa, 0, sizeof sa);
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    int rc = 0;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0) {
        fprintf(stderr, "probe: cannot listen on [::1]: %s\n", strerror(errno));
        rc = 1;
    }
    close(fd);
    return rc;
}


/* ---- proxy ----------------------------------------------------------------- */

/* A partition as TCP lives it: nothing crosses, and nothing is lost or
 * closed either. A link that was open when the cut began is stalled: its
 * bytes wait in the kernel's buffers and the sender's TCP retransmits them
 * at exponentially spaced times (Linux: RTO 200 ms, doubling), so after the
 * heal they move again only at the next retransmission. A connection opened
 * during the cut has its SYN lost and retransmitted 1, 3, 7, 15... s after
 * it began, and completes at the first of those after the heal. A close
 * (FIN) during the cut reaches the other side only at that resume point. */
#define PX_TAGS_MAX 32
#define PX_CONNS_MAX 256

struct px_tag {
    char name[32];
    struct sockaddr_in target;
    int lfd;
    bool cut;
};

enum px_state { PX_FREE, PX_FLOWING, PX_STALLED, PX_HELD };

struct px_conn {
    enum px_state state;
    int cfd, ufd;      /* client side, upstream side (-1: closed or not yet connected) */
    int tag;
    int64_t since_ms;  /* stalled: when the cut began; held: when the client connected */
    int64_t resume_ms; /* after the heal: when the next retransmission gets through */
    bool half_closed;  /* one side closed while not flowing */
};

static int64_t px_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The first retransmission time at or after `now` of a sender that started
 * retransmitting at `since`, first after `first_ms`, then doubling. */
static int64_t px_next_retransmit(int64_t since, int64_t now, int64_t first_ms)
{
    int64_t t = since + first_ms, gap = first_ms;
    while (t < now && gap < 120000) {
        gap *= 2;
        t += gap;
    }
    return t;
}

static int px_parse_target(const char *text, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof host) return -1;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = 0;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)atoi(colon + 1));
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* Re-reads the control file: which tags are cut. A missing file cuts nothing. */
static void px_read_ctl(const char *path, struct px_tag *tags, size_t ntags)
{
    char buf[4096] = "";
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
    }
    for (size_t i = 0; i < ntags; i++) tags[i].cut = false;
    for (char *save = NULL, *w = strtok_r(buf, " \t\r\n", &save); w;
         w = strtok_r(NULL, " \t\r\n", &save))
        for (size_t i = 0; i < ntags; i++)
            if (strcmp(tags[i].name, w) == 0) tags[i].cut = true;
}

static void px_close(struct px_conn *c)
{
    if (c->cfd >= 0) close(c->cfd);
    if (c->ufd >= 0) close(c->ufd);
    c->cfd = c->ufd = -1;
    c->state = PX_FREE;
}

static bool px_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void px_connect_upstream(struct px_conn *c, const struct px_tag *t)
{
    c->ufd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->ufd < 0 || connect(c->ufd, (const struct sockaddr *)&t->target, sizeof t->target) != 0)
        px_close(c); /* target down: the client sees the close */
    else
        c->state = PX_FLOWING;
}

/* Moves one connection along as its tag's cut begins and ends. */
static void px_step(struct px_conn *c, const struct px_tag *t, int64_t now)
{
    switch (c->state) {
    case PX_FLOWING:
        if (t->cut) {
            c->state = PX_STALLED;
            c->since_ms = now;
            c->resume_ms = 0;
        }
        break;
    case PX_STALLED:
    case PX_HELD:
        if (t->cut) {
            c->resume_ms = 0;
            break;
        }
        if (!c->resume_ms)
            c->resume_ms = px_next_retransmit(c->since_ms, now, c->state == PX_HELD ? 1000 : 200);
        if (now < c->resume_ms) break;
        if (c->half_closed) px_close(c); /* the FIN gets through */
        else if (c->state == PX_HELD) px_connect_upstream(c, t);
        else c->state = PX_FLOWING;
        break;
    case PX_FREE:
        break;
    }
}

static int cmd_proxy(const char *ctl, const char *portfile, int n, char **specs)
{
    static struct px_tag tags[PX_TAGS_MAX];
    static struct px_conn conns[PX_CONNS_MAX];
    signal(SIGPIPE, SIG_IGN);
    if (n < 1 || n > PX_TAGS_MAX) {
        fprintf(stderr, "probe proxy: 1 to %d TAG=TARGET expected\n", PX_TAGS_MAX);
        return 2;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", portfile);
    FILE *pf = fopen(tmp, "w");
    if (!pf) return 2;
    for (int i = 0; i < n; i++) {
        struct px_tag *t = &tags[i];
        const char *eq = strchr(specs[i], '=');
        if (!eq || (size_t)(eq - specs[i]) >= sizeof t->name ||
            px_parse_target(eq + 1, &t->target) != 0) {
            fprintf(stderr, "probe proxy: bad TAG=TARGET '%s'\n", specs[i]);
            return 2;
        }
        memcpy(t->name, specs[i], (size_t)(eq - specs[i]));
        t->lfd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t sl = sizeof sa;
        if (t->lfd < 0 || bind(t->lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
            listen(t->lfd, 64) != 0 || getsockname(t->lfd, (struct sockaddr *)&sa, &sl) != 0) {
            fprintf(stderr, "probe proxy: cannot listen: %s\n", strerror(errno));
            return 2;
        }
        fprintf(pf, "%s %u\n", t->name, (unsigned)ntohs(sa.sin_port));
    }
    if (fclose(pf) != 0 || rename(tmp, portfile) != 0) return 2;
    for (size_t i = 0; i < PX_CONNS_MAX; i++) conns[i] = (struct px_conn){.cfd = -1, .ufd = -1};

    struct pollfd pfd[PX_TAGS_MAX + 2 * PX_CONNS_MAX];
    struct px_conn *owner[PX_TAGS_MAX + 2 * PX_CONNS_MAX];
    static uint8_t buf[65536];
    for (;;) {
        px_read_ctl(ctl, tags, (size_t)n);
        int64_t now = px_now_ms();
        size_t np = 0;
        for (int i = 0; i < n; i++) {
            pfd[np] = (struct pollfd){.fd = tags[i].lfd, .events = POLLIN};
            owner[np++] = NULL;
        }
        for (size_t i = 0; i < PX_CONNS_MAX; i++) {
            struct px_conn *c = &conns[i];
            if (c->state == PX_FREE) continue;
            px_step(c, &tags[c->tag], now);
            if (c->state == PX_FREE) continue;
            /* Flowing: read. Otherwise only notice a close, leaving bytes queued. */
            short ev = c->state == PX_FLOWING ? POLLIN : POLLRDHUP;
            int fds[2] = {c->cfd, c->ufd};
            for (int s = 0; s < 2; s++) {
                if (fds[s] < 0) continue;
                pfd[np] = (struct pollfd){.fd = fds[s], .events = ev};
                owner[np++] = c;
            }
        }
        int r = poll(pfd, np, 20);
        if (r < 0 && errno != EINTR) return 2;
        if (r <= 0) continue;
        px_read_ctl(ctl, tags, (size_t)n); /* a cut takes effect before any byte passes */
        now = px_now_ms();
        for (size_t k = 0; k < np; k++) {
            if (!pfd[k].revents) continue;
            struct px_conn *c = owner[k];
            if (!c) {
                int tag = (int)k;
                int cfd = accept(tags[tag].lfd, NULL, NULL);
                if (cfd < 0) continue;
                struct px_conn *slot = NULL;
                for (size_t i = 0; i < PX_CONNS_MAX && !slot; i++)
                    if (conns[i].state == PX_FREE) slot = &conns[i];
                if (!slot) {
                    close(cfd);
                    continue;
                }
                *slot = (struct px_conn){.state = PX_HELD, .cfd = cfd, .ufd = -1, .tag = tag,
                                         .since_ms = now};
                if (!tags[tag].cut) px_connect_upstream(slot, &tags[tag]);
                continue;
            }
            if (c->state == PX_FREE) continue; /* closed earlier in this pass */
            int *side = pfd[k].fd == c->cfd ? &c->cfd : &c->ufd;
            if (*side < 0) continue;
            if (c->state != PX_FLOWING || tags[c->tag].cut) {
                if (pfd[k].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
                    close(*side); /* its FIN waits for the heal */
                    *side = -1;
                    c->half_closed = true;
                    if (c->cfd < 0 && c->ufd < 0) px_close(c);
                }
                continue;
            }
            int other = side == &c->cfd ? c->ufd : c->cfd;
            ssize_t got = read(*side, buf, sizeof buf);
            if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (got <= 0 || !px_write_all(other, buf, (size_t)got)) px_close(c);
        }
    }
}

/* ---- risk-context ------------------------------------------------------------------ */

/* The fetcher's transport: the probe's link, keeping the last answer's bytes. */
struct stash {
    struct net_client *nc;
    uint8_t *last;
    size_t last_len;
};

static int stash_request(void *impl, const uint8_t *req, size_t len, uint8_t **resp,
                         size_t *resp_len, uint32_t timeout_ms)
{
    struct stash *st = impl;
    int rc = net_client_request(st->nc, req, len, resp, resp_len, timeout_ms);
    if (rc) return rc;
    free(st->last);
    st->last = malloc(*resp_len ? *resp_len : 1);
    if (!st->last) return WB_ERR_NOMEM;
    memcpy(st->last, *resp, *resp_len);
    st->last_len = *resp_len;
    return WB_OK;
}

static void stash_close(void *impl) { (void)impl; }

/* Splits a comma-separated list ("-": none) in place into out (at most cap). */
static size_t split_list(char *s, const char **out, size_t cap)
{
    size_t n = 0;
    if (strcmp(s, "-") == 0) return 0;
    for (char *tok = strtok(s, ","); tok && n < cap; tok = strtok(NULL, ",")) out[n++] = tok;
    return n;
}

static int cmd_risk_context(char **argv)
{
    const char *addr = argv[2], *genesis = argv[3], *key = argv[4];
    const char *item = strcmp(argv[5], "-") == 0 ? NULL : argv[5];
    const char *container = strcmp(argv[6], "-") == 0 ? NULL : argv[6];
    static const char *seals[64], *orgs[128], *keys[128];
    size_t ns = split_list(argv[7], seals, 64), no = split_list(argv[8], orgs, 128),
           nk = split_list(argv[9], keys, 128);
    struct ledger_genesis *g = malloc(sizeof *g);
    struct net_client_config cc;
    if (!g || load(genesis, key, g, &cc) != 0) {
        free(g);
        return 2;
    }
    cc.frame_max = 16u << 20;
    struct stash st = {0};
    int rc = net_client_connect(addr, &cc, 10000, &st.nc);
    if (rc) {
        fprintf(stderr, "probe: cannot connect to %s: %s\n", addr, wb_strerror(rc));
        free(g);
        return 2;
    }
    struct client_opts o;
    client_opts_init(&o, "probe");
    o.node = addr;
    o.timeout_ms = 20000;
    struct client c;
    memset(&c, 0, sizeof c);
    c.opts = &o;
    c.genesis = g;
    c.t.request = stash_request;
    c.t.close = stash_close;
    c.t.impl = &st;
    c.connected = true;
    c.next_id = 1;
    c.deadline_ms = client_now_mono_ms() + o.timeout_ms;
    struct risk_context_data d;
    rc = risk_context_fetch(&c, item, seals, ns, container, orgs, no, keys, nk, &d);
    int status = 0;
    if (rc) {
        fprintf(stderr, "probe: risk context: %s: %s\n", wb_strerror(rc), c.reason);
        status = 1;
        goto out;
    }
    Waybill__ClientResponse *r = waybill__client_response__unpack(NULL, st.last_len, st.last);
    if (!r || !r->risk_context) {
        fprintf(stderr, "probe: the answer does not decode again\n");
        status = 1;
        if (r) waybill__client_response__free_unpacked(r, NULL);
        goto out;
    }
    size_t len = waybill__risk_context__get_packed_size(r->risk_context);
    uint8_t *bytes = malloc(len ? len : 1);
    char *hex = malloc(2 * len + 1);
    if (!bytes || !hex) {
        status = 2;
    } else {
        waybill__risk_context__pack(r->risk_context, bytes);
        printf("answer %s\n", wb_hex_encode(bytes, len, hex, 2 * len + 1));
    }
    free(bytes);
    free(hex);
    waybill__client_response__free_unpacked(r, NULL);
    if (status) goto out;
    printf("height %llu\n", (unsigned long long)d.height);
    for (size_t i = 0; i < d.seal_count; i++) {
        printf("seal %s total %llu:", d.seals[i].seal, (unsigned long long)d.seals[i].total);
        for (size_t k = 0; k < d.seals[i].item_count; k++) printf(" %s", d.seals[i].items[k]);
        printf("\n");
    }
    if (d.has_container) {
        printf("container %s total %llu\n", d.container, (unsigned long long)d.container_total);
        for (size_t k = 0; k < d.ref_count; k++) {
            char eh[65];
            printf("ref %s %s %lld %s\n", d.refs[k].item,
                   d.refs[k].location[0] ? d.refs[k].location : "-", (long long)d.refs[k].time_ms,
                   wb_hex_encode(d.refs[k].event, 32, eh, sizeof eh));
        }
    }
    for (size_t i = 0; i < d.party_count; i++) {
        const struct risk_context_party *p = &d.parties[i];
        if (p->known)
            printf("party %s known first_seen_ms %lld chains_completed %u\n", p->org,
                   (long long)p->party.first_seen_ms, p->party.chains_completed);
        else
            printf("party %s unknown\n", p->org);
    }
    for (size_t i = 0; i < d.baseline_count; i++) {
        const struct risk_context_baseline *b = &d.baselines[i];
        int64_t p50 = 0, p95 = 0;
        if (!b->known || !risk_dist_percentile(&b->dist, 50, &p50) ||
            !risk_dist_percentile(&b->dist, 95, &p95))
            printf("baseline %s none\n", b->key);
        else
            printf("baseline %s count %llu p50_ms %lld p95_ms %lld\n", b->key,
                   (unsigned long long)b->dist.count, (long long)p50, (long long)p95);
    }
out:
    risk_context_data_free(&d);
    free(st.last);
    net_client_close(st.nc);
    free(g);
    return status;
}

/* Risk context requests at and over the node's bounds, past the fetcher's
 * own checks: what the node answers to each. */
static int cmd_risk_bounds(const char *addr, const char *genesis, const char *key)
{
    struct ledger_genesis *g = malloc(sizeof *g);
    struct net_client_config cc;
    if (!g || load(genesis, key, g, &cc) != 0) {
        free(g);
        return 2;
    }
    free(g);
    cc.frame_max = 16u << 20;
    struct net_client *c;
    int rc = net_client_connect(addr, &cc, 10000, &c);
    if (rc) {
        fprintf(stderr, "probe: cannot connect to %s: %s\n", addr, wb_strerror(rc));
        return 2;
    }
    static char *names[80];
    for (size_t i = 0; i < 80; i++) names[i] = (char *)"SL-1";
    static char long_seal[WB_ATTR_VALUE_MAX + 2];
    memset(long_seal, 'S', WB_ATTR_VALUE_MAX + 1);
    char *long_one[1] = {long_seal};
    struct {
        const char *name;
        size_t seals, orgs, keys;
        char **seal_v;
    } cases[] = {
        {"at-bounds", 32, 64, 64, names},  {"seals-33", 33, 0, 0, names},
        {"orgs-65", 0, 65, 0, names},      {"keys-65", 0, 0, 65, names},
        {"seal-too-long", 1, 0, 0, long_one},
    };
    int status = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Waybill__RiskContextRequest q = WAYBILL__RISK_CONTEXT_REQUEST__INIT;
        q.n_seals = cases[i].seals;
        q.seals = cases[i].seal_v;
        q.n_orgs = cases[i].orgs;
        q.orgs = names;
        q.n_baseline_keys = cases[i].keys;
        q.baseline_keys = names;
        Waybill__ClientRequest rq = WAYBILL__CLIENT_REQUEST__INIT;
        rq.id = i + 1;
        rq.req_case = WAYBILL__CLIENT_REQUEST__REQ_RISK_CONTEXT;
        rq.risk_context = &q;
        size_t len = waybill__client_request__get_packed_size(&rq);
        uint8_t *buf = malloc(len), *resp = NULL;
        size_t resp_len;
        if (!buf) return 2;
        waybill__client_request__pack(&rq, buf);
        rc = net_client_request(c, buf, len, &resp, &resp_len, 20000);
        free(buf);
        Waybill__ClientResponse *r =
            rc == 0 ? waybill__client_response__unpack(NULL, resp_len, resp) : NULL;
        free(resp);
        if (!r || r->id != rq.id) {
            fprintf(stderr, "probe: no answer to %s\n", cases[i].name);
            status = 1;
        } else {
            printf("%s %d\n", cases[i].name, (int)r->code);
        }
        if (r) waybill__client_response__free_unpacked(r, NULL);
    }
    net_client_close(c);
    return status;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) return 2;
    if (argc >= 5 && strcmp(argv[1], "handshake") == 0)
        return cmd_handshake(argv[2], argv[3], argv[4]);
    if (argc >= 4 && strcmp(argv[1], "garbage") == 0)
        return cmd_garbage(argv[2], (size_t)atol(argv[3]));
    if (argc >= 6 && strcmp(argv[1], "oversize") == 0)
        return cmd_oversize(argv[2], argv[3], argv[4], (size_t)atol(argv[5]));
    if (argc >= 6 && strcmp(argv[1], "reports") == 0)
        return cmd_reports(argv[2], argv[3], argv[4], argv[5]);
    if (argc >= 7 && strcmp(argv[1], "hashes") == 0)
        return cmd_hashes(argv[2], argv[3], argv[4], strtoull(argv[5], NULL, 10),
                          strtoull(argv[6], NULL, 10));
    if (argc >= 6 && strcmp(argv[1], "liar") == 0)
        return cmd_liar(argv[2], argv[3], argv[4], (unsigned)atoi(argv[5]));
    if (argc >= 6 && strcmp(argv[1], "resubmit") == 0)
        return cmd_resubmit(argv[2], argv[3], argv[4], argv[5]);
    if (argc >= 5 && strcmp(argv[1], "mutate") == 0)
        return cmd_mutate(argv[2], argv[3], argv[4], argc >= 6 ? argv[5] : NULL);
    if (argc >= 2 && strcmp(argv[1], "ipv6") == 0) return cmd_ipv6();
    if (argc >= 5 && strcmp(argv[1], "flood-idle") == 0)
        return cmd_flood(FLOOD_IDLE, argv[2], atol(argv[3]), atol(argv[4]));
    if (argc >= 5 && strcmp(argv[1], "flood-halfopen") == 0)
        return cmd_flood(FLOOD_HALFOPEN, argv[2], atol(argv[3]), atol(argv[4]));
    if (argc >= 5 && strcmp(argv[1], "storm") == 0)
        return cmd_flood(FLOOD_STORM, argv[2], atol(argv[3]), atol(argv[4]));
    if (argc >= 5 && strcmp(argv[1], "proxy") == 0)
        return cmd_proxy(argv[2], argv[3], argc - 4, argv + 4);
    if (argc >= 10 && strcmp(argv[1], "risk-context") == 0) return cmd_risk_context(argv);
    if (argc >= 5 && strcmp(argv[1], "risk-bounds") == 0)
        return cmd_risk_bounds(argv[2], argv[3], argv[4]);
    if (argc >= 2 && strcmp(argv[1], "rules") == 0) {
        size_t n;
        const struct ledger_rule *t = ledger_rules_table(&n);
        for (size_t i = 0; i < n; i++) printf("%s\t%s\n", t[i].name, t[i].reason);
        return 0;
    }
    fprintf(stderr, "usage: see the comment at the top of tests/cluster/probe.c\n");
    return 2;
}
