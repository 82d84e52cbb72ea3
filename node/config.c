/* node.ini loading: a table of known fields, libinih for the syntax, strict
 * checks with messages naming file, field and expectation; see config.h. */
#include "node/config.h"

#include <arpa/inet.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/file.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"

/* ---- the field table ------------------------------------------------------ */

enum config_kind {
    CONFIG_NAME,      /* 1..64 of [A-Za-z0-9._-] */
    CONFIG_PATH,      /* resolved against the config file's folder */
    CONFIG_LOG_LEVEL,
    CONFIG_ADDR,
    CONFIG_PEERS,     /* comma-separated host:port, may continue on indented lines */
    CONFIG_U32,
    CONFIG_U64,
    CONFIG_BOOL,
    CONFIG_LOCAL_ADDR, /* host:port, or a port alone for NODE_DEFAULT_METRICS_HOST:port */
};

struct config_field {
    const char *section;
    const char *key;
    enum config_kind kind;
    bool required;
    size_t offset;          /* into struct node_config */
    uint64_t min, max;      /* numbers only */
    const char *what;       /* for "missing" messages */
};

#define CFG_OFF(member) offsetof(struct node_config, member)
#define MS_MAX 600000u      /* ten minutes */

static const struct config_field config_fields[] = {
    {"node", "name", CONFIG_NAME, true, CFG_OFF(name), 0, 0,
     "this validator's name as listed in genesis"},
    {"node", "data_dir", CONFIG_PATH, true, CFG_OFF(data_dir), 0, 0,
     "the folder of the node's ledger database"},
    {"node", "key_file", CONFIG_PATH, true, CFG_OFF(key_file), 0, 0,
     "the path of the validator's key file"},
    {"node", "genesis", CONFIG_PATH, true, CFG_OFF(genesis), 0, 0,
     "the path of the genesis file"},
    {"node", "log_level", CONFIG_LOG_LEVEL, false, CFG_OFF(log_level), 0, 0, NULL},
    {"p2p", "listen", CONFIG_ADDR, true, CFG_OFF(p2p_listen), 0, 0,
     "the host:port this node accepts validator links on"},
    {"p2p", "peers", CONFIG_PEERS, false, 0, 0, 0, NULL},
    {"api", "listen", CONFIG_ADDR, false, CFG_OFF(api_listen), 0, 0, NULL},
    {"consensus", "timeout_propose_ms", CONFIG_U32, false, CFG_OFF(timeouts.propose_ms), 1,
     MS_MAX, NULL},
    {"consensus", "timeout_propose_delta_ms", CONFIG_U32, false,
     CFG_OFF(timeouts.propose_delta_ms), 0, MS_MAX, NULL},
    {"consensus", "timeout_prevote_ms", CONFIG_U32, false, CFG_OFF(timeouts.prevote_ms), 1,
     MS_MAX, NULL},
    {"consensus", "timeout_prevote_delta_ms", CONFIG_U32, false,
     CFG_OFF(timeouts.prevote_delta_ms), 0, MS_MAX, NULL},
    {"consensus", "timeout_precommit_ms", CONFIG_U32, false, CFG_OFF(timeouts.precommit_ms), 1,
     MS_MAX, NULL},
    {"consensus", "timeout_precommit_delta_ms", CONFIG_U32, false,
     CFG_OFF(timeouts.precommit_delta_ms), 0, MS_MAX, NULL},
    {"consensus", "block_time_drift_ms", CONFIG_U32, false,
     CFG_OFF(timeouts.block_time_drift_ms), 0, MS_MAX, NULL},
    {"limits", "block_events_max", CONFIG_U32, false, CFG_OFF(limits.block_events_max), 1,
     1000000, NULL},
    {"limits", "block_bytes_max", CONFIG_U32, false, CFG_OFF(limits.block_bytes_max),
     WB_SIGNED_EVENT_MAX + 1024, 64u * 1024 * 1024, NULL},
    {"limits", "mempool_events_max", CONFIG_U32, false, CFG_OFF(limits.mempool_events_max), 1,
     10000000, NULL},
    {"limits", "mempool_bytes_max", CONFIG_U64, false, CFG_OFF(limits.mempool_bytes_max),
     WB_SIGNED_EVENT_MAX, 16ull * 1024 * 1024 * 1024, NULL},
    {"limits", "frame_bytes_max", CONFIG_U32, false, CFG_OFF(limits.frame_bytes_max),
     WB_SIGNED_EVENT_MAX + 1024 + NODE_FRAME_OVERHEAD_MIN, 256u * 1024 * 1024, NULL},
    {"limits", "api_clients_max", CONFIG_U32, false, CFG_OFF(limits.api_clients_max), 1, 4096,
     NULL},
    {"limits", "handshake_timeout_ms", CONFIG_U32, false, CFG_OFF(limits.handshake_timeout_ms),
     100, 60000, NULL},
    {"limits", "handshakes_max", CONFIG_U32, false, CFG_OFF(limits.handshakes_max), 1, 4096,
     NULL},
    {"limits", "handshakes_per_source_max", CONFIG_U32, false,
     CFG_OFF(limits.handshakes_per_source_max), 1, 4096, NULL},
    {"storage", "sync", CONFIG_BOOL, false, CFG_OFF(sync), 0, 0, NULL},
    {"metrics", "listen", CONFIG_LOCAL_ADDR, false, CFG_OFF(metrics.listen), 0, 0, NULL},
    {"metrics", "public", CONFIG_BOOL, false, CFG_OFF(metrics.public_ok), 0, 0, NULL},
    {"metrics", "health_window_ms", CONFIG_U32, false, CFG_OFF(metrics.health_window_ms), 1000,
     3600000, NULL},
    {"metrics", "ready_heartbeats", CONFIG_U32, false, CFG_OFF(metrics.ready_heartbeats), 1,
     1000, NULL},
    {"risk", "policy", CONFIG_PATH, false, CFG_OFF(risk_policy), 0, 0, NULL},
};

#define CONFIG_FIELD_COUNT (sizeof config_fields / sizeof config_fields[0])

static const char *const config_sections[] = {"node", "p2p", "api", "consensus", "limits",
                                              "storage", "metrics", "risk"};
#define CONFIG_SECTION_COUNT (sizeof config_sections / sizeof config_sections[0])

/* ---- parse state ------------------------------------------------------------ */

struct config_ctx {
    const char *path;                       /* as given, for messages */
    char dir[NODE_PATH_MAX];                /* its folder ("" = current folder) */
    const char *text;
    size_t len, pos;
    unsigned lineno;                        /* line the handler is looking at */
    unsigned set_line[CONFIG_FIELD_COUNT];  /* where each field was set, 0 = unset */
    struct node_config *cfg;
    char *msg;
    size_t msg_len;
    unsigned error_line;                    /* line of the recorded error, 0 = none */
    bool failed;
};

static void config_fail(struct config_ctx *c, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error only: later lines are not looked at once one failed. */
static void config_fail(struct config_ctx *c, unsigned line, const char *fmt, ...)
{
    if (c->failed) return;
    c->failed = true;
    c->error_line = line;
    if (!c->msg || c->msg_len == 0) return;
    int n = snprintf(c->msg, c->msg_len, "%s: ", c->path);
    if (n < 0 || (size_t)n >= c->msg_len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg + n, c->msg_len - (size_t)n, fmt, ap);
    va_end(ap);
}

/* fgets-style reader for ini_parse_stream: counts lines for messages and
 * refuses a line too long for inih's buffer instead of letting it be cut. */
static char *config_read_line(char *str, int num, void *stream)
{
    struct config_ctx *c = stream;
    if (c->failed || c->pos >= c->len) return NULL;
    const char *start = c->text + c->pos;
    size_t rest = c->len - c->pos;
    const char *nl = memchr(start, '\n', rest);
    size_t line_len = nl ? (size_t)(nl - start) + 1 : rest;
    size_t content = line_len;
    if (content && start[content - 1] == '\n') content--;
    if (content && start[content - 1] == '\r') content--;
    c->lineno++;
    if (content > NODE_CONFIG_LINE_MAX || num < 1 || line_len > (size_t)num - 1) {
        config_fail(c, c->lineno,
                     "line %u is longer than %d characters; continue a long peers list "
                     "on indented lines",
                     c->lineno, NODE_CONFIG_LINE_MAX);
        return NULL;
    }
    memcpy(str, start, line_len);
    str[line_len] = '\0';
    c->pos += line_len;
    return str;
}

static bool config_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > WB_NODE_NAME_MAX) return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* Strict decimal: digits only, no sign, no spaces, no overflow. */
static bool config_parse_u64(const char *s, uint64_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 20 || strspn(s, "0123456789") != n) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static int config_resolve(const struct config_ctx *c, const char *value, char *out)
{
    int n;
    if (value[0] == '/' || c->dir[0] == '\0')
        n = snprintf(out, NODE_PATH_MAX, "%s", value);
    else if (strcmp(c->dir, "/") == 0)
        n = snprintf(out, NODE_PATH_MAX, "/%s", value);
    else
        n = snprintf(out, NODE_PATH_MAX, "%s/%s", c->dir, value);
    return n < 0 || n >= NODE_PATH_MAX ? WB_ERR_TOO_LARGE : WB_OK;
}

/* Adds each comma-separated address of one peers line. */
static void config_add_peers(struct config_ctx *c, const char *value)
{
    struct node_config *cfg = c->cfg;
    const char *p = value;
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *item = p;
        p += n;
        if (*p == ',') p++;
        while (n && (item[0] == ' ' || item[0] == '\t')) {
            item++;
            n--;
        }
        while (n && (item[n - 1] == ' ' || item[n - 1] == '\t')) n--;
        if (n == 0) continue; /* "a, b," and continuation lines leave empty items */
        /* A value is part of one line, so an entry is never longer. */
        char one[NODE_CONFIG_LINE_MAX + 1], why[WB_ADDR_MSG_MAX];
        struct wb_addr addr;
        WB_ASSERT(n < sizeof one);
        memcpy(one, item, n);
        one[n] = '\0';
        if (wb_addr_parse(one, &addr, why, sizeof why) != WB_OK) {
            config_fail(c, c->lineno, "[p2p] peers: %s (line %u)", why, c->lineno);
            return;
        }
        for (size_t i = 0; i < cfg->peer_count; i++) {
            if (wb_addr_equal(&cfg->peers[i], &addr)) {
                config_fail(c, c->lineno, "[p2p] peers: '%s' is listed twice (line %u)", one,
                             c->lineno);
                return;
            }
        }
        if (cfg->peer_count == NODE_PEERS_MAX) {
            config_fail(c, c->lineno, "[p2p] peers: expected at most %d peers (line %u)",
                         NODE_PEERS_MAX, c->lineno);
            return;
        }
        cfg->peers[cfg->peer_count++] = addr;
    }
}

static void config_set(struct config_ctx *c, const struct config_field *f, const char *value)
{
    char *dst = (char *)c->cfg + f->offset;
    unsigned line = c->lineno;
    switch (f->kind) {
    case CONFIG_NAME:
        if (!config_name_ok(value)) {
            config_fail(c, line,
                         "[%s] %s: expected 1 to %d characters from A-Z a-z 0-9 . _ -, got "
                         "'%s' (line %u)",
                         f->section, f->key, WB_NODE_NAME_MAX, value, line);
            return;
        }
        memcpy(dst, value, strlen(value) + 1);
        return;
    case CONFIG_PATH:
        if (value[0] == '\0') {
            config_fail(c, line, "[%s] %s: expected a path, got '' (line %u)", f->section,
                         f->key, line);
            return;
        }
        if (config_resolve(c, value, dst) != WB_OK)
            config_fail(c, line, "[%s] %s: expected a path of at most %d bytes (line %u)",
                         f->section, f->key, NODE_PATH_MAX - 1, line);
        return;
    case CONFIG_LOG_LEVEL: {
        int level = wb_log_level_parse(value);
        if (level < 0) {
            config_fail(c, line,
                         "[%s] %s: expected one of debug, info, warn, error, off, got '%s' "
                         "(line %u)",
                         f->section, f->key, value, line);
            return;
        }
        *(enum wb_log_level *)(void *)dst = (enum wb_log_level)level;
        return;
    }
    case CONFIG_ADDR: {
        char why[WB_ADDR_MSG_MAX];
        if (wb_addr_parse(value, (struct wb_addr *)(void *)dst, why, sizeof why) != WB_OK)
            config_fail(c, line, "[%s] %s: %s (line %u)", f->section, f->key, why, line);
        return;
    }
    case CONFIG_LOCAL_ADDR: {
        char why[WB_ADDR_MSG_MAX];
        struct wb_addr *a = (struct wb_addr *)(void *)dst;
        size_t n = strlen(value);
        if (n > 0 && n <= 5 && strspn(value, "0123456789") == n) {
            /* A port alone: on the loopback host. */
            char full[32];
            snprintf(full, sizeof full, "%s:%s", NODE_DEFAULT_METRICS_HOST, value);
            if (wb_addr_parse(full, a, why, sizeof why) != WB_OK)
                config_fail(c, line, "[%s] %s: expected a port from 1 to 65535 or host:port, "
                            "got '%s' (line %u)", f->section, f->key, value, line);
            return;
        }
        if (wb_addr_parse(value, a, why, sizeof why) != WB_OK)
            config_fail(c, line, "[%s] %s: %s, or a port alone (line %u)", f->section, f->key,
                        why, line);
        return;
    }
    case CONFIG_PEERS:
        config_add_peers(c, value);
        return;
    case CONFIG_U32:
    case CONFIG_U64: {
        uint64_t v;
        if (!config_parse_u64(value, &v) || v < f->min || v > f->max) {
            config_fail(c, line,
                         "[%s] %s: expected an integer from %llu to %llu, got '%s' (line %u)",
                         f->section, f->key, (unsigned long long)f->min,
                         (unsigned long long)f->max, value, line);
            return;
        }
        if (f->kind == CONFIG_U32)
            *(uint32_t *)(void *)dst = (uint32_t)v;
        else
            *(uint64_t *)(void *)dst = v;
        return;
    }
    case CONFIG_BOOL:
        if (strcmp(value, "true") == 0)
            *(bool *)(void *)dst = true;
        else if (strcmp(value, "false") == 0)
            *(bool *)(void *)dst = false;
        else
            config_fail(c, line, "[%s] %s: expected true or false, got '%s' (line %u)",
                         f->section, f->key, value, line);
        return;
    }
}

static void config_list_keys(const char *section, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < CONFIG_FIELD_COUNT; i++) {
        if (strcmp(config_fields[i].section, section) != 0) continue;
        int n = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", config_fields[i].key);
        if (n < 0 || (size_t)n >= cap - used) return;
        used += (size_t)n;
    }
}

static int config_on_value(void *user, const char *section, const char *key, const char *value)
{
    struct config_ctx *c = user;
    if (c->failed) return 0;
    if (section[0] == '\0') {
        config_fail(c, c->lineno,
                     "%s: key outside any section (line %u); expected it under one of [node], "
                     "[p2p], [api], [consensus], [limits], [storage], [metrics], [risk]",
                     key, c->lineno);
        return 0;
    }
    bool known_section = false;
    for (size_t i = 0; i < CONFIG_SECTION_COUNT; i++)
        if (strcmp(section, config_sections[i]) == 0) known_section = true;
    if (!known_section) {
        config_fail(c, c->lineno,
                     "unknown section [%s] (line %u); expected one of [node], [p2p], [api], "
                     "[consensus], [limits], [storage], [metrics], [risk]",
                     section, c->lineno);
        return 0;
    }
    for (size_t i = 0; i < CONFIG_FIELD_COUNT; i++) {
        const struct config_field *f = &config_fields[i];
        if (strcmp(f->section, section) != 0 || strcmp(f->key, key) != 0) continue;
        if (c->set_line[i] && f->kind != CONFIG_PEERS) {
            config_fail(c, c->lineno, "[%s] %s: set twice (lines %u and %u)", section, key,
                         c->set_line[i], c->lineno);
            return 0;
        }
        if (!c->set_line[i]) c->set_line[i] = c->lineno;
        config_set(c, f, value ? value : "");
        return c->failed ? 0 : 1;
    }
    char keys[512];
    config_list_keys(section, keys, sizeof keys);
    config_fail(c, c->lineno, "[%s] %s: unknown key (line %u); expected one of %s", section,
                 key, c->lineno, keys);
    return 0;
}

static size_t config_field_index(const char *section, const char *key)
{
    size_t i = 0;
    while (i < CONFIG_FIELD_COUNT && (strcmp(config_fields[i].section, section) != 0 ||
                                      strcmp(config_fields[i].key, key) != 0))
        i++;
    WB_ASSERT(i < CONFIG_FIELD_COUNT);
    return i;
}

/* Whether the host of `a` is this machine's loopback: an IPv4 address
 * 127.x.x.x, ::1 or the name localhost (which the server, binding, checks
 * again on what it resolves to). */
static bool config_loopback(const struct wb_addr *a)
{
    switch (a->kind) {
    case WB_ADDR_IPV4:
        return strncmp(a->host, "127.", 4) == 0;
    case WB_ADDR_IPV6: {
        struct in6_addr v6;
        return inet_pton(AF_INET6, a->host, &v6) == 1 && memcmp(&v6, &in6addr_loopback,
                                                                 sizeof v6) == 0;
    }
    case WB_ADDR_NAME:
        return strcasecmp(a->host, "localhost") == 0 || strcasecmp(a->host, "localhost.") == 0;
    }
    return false;
}

/* [metrics]: listen names where; the other keys only make sense with it. */
static void config_finish_metrics(struct config_ctx *c)
{
    struct node_config *cfg = c->cfg;
    static const char *const others[] = {"public", "health_window_ms", "ready_heartbeats"};
    cfg->metrics.enabled = c->set_line[config_field_index("metrics", "listen")] != 0;
    if (!cfg->metrics.enabled) {
        for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
            unsigned line = c->set_line[config_field_index("metrics", others[i])];
            if (line) {
                config_fail(c, line,
                            "[metrics] %s: set without [metrics] listen, which turns the "
                            "metrics endpoint on (line %u)",
                            others[i], line);
                return;
            }
        }
        return;
    }
    char a[WB_ADDR_STR_MAX];
    wb_addr_format(&cfg->metrics.listen, a, sizeof a);
    if (!cfg->metrics.public_ok && !config_loopback(&cfg->metrics.listen)) {
        config_fail(c, c->set_line[config_field_index("metrics", "listen")],
                    "[metrics] listen: %s is not a loopback address (127.x.x.x, [::1] or "
                    "localhost); metrics name peers and load, so set [metrics] public = true "
                    "to serve them on another address (line %u)",
                    a, c->set_line[config_field_index("metrics", "listen")]);
        return;
    }
    if (wb_addr_equal(&cfg->metrics.listen, &cfg->p2p_listen) ||
        wb_addr_equal(&cfg->metrics.listen, &cfg->api_listen))
        config_fail(c, 0,
                    "[metrics] listen: expected an address other than [p2p] listen and [api] "
                    "listen, got %s",
                    a);
}

/* Cross-field checks and defaults that depend on other fields. */
static void config_finish(struct config_ctx *c)
{
    struct node_config *cfg = c->cfg;
    for (size_t i = 0; i < CONFIG_FIELD_COUNT && !c->failed; i++) {
        const struct config_field *f = &config_fields[i];
        if (f->required && !c->set_line[i])
            config_fail(c, 0, "[%s] %s: missing; expected %s", f->section, f->key, f->what);
    }
    if (c->failed) return;

    if (!c->set_line[config_field_index("api", "listen")]) {
        unsigned port = (unsigned)cfg->p2p_listen.port + NODE_DEFAULT_API_PORT_OFFSET;
        if (port > 65535) {
            config_fail(c, 0,
                         "[api] listen: missing, and the default (127.0.0.1 at the [p2p] "
                         "listen port + %d) would exceed port 65535; set it",
                         NODE_DEFAULT_API_PORT_OFFSET);
            return;
        }
        snprintf(cfg->api_listen.host, sizeof cfg->api_listen.host, "127.0.0.1");
        cfg->api_listen.port = (uint16_t)port;
        cfg->api_listen.kind = WB_ADDR_IPV4;
    }
    if (wb_addr_equal(&cfg->api_listen, &cfg->p2p_listen)) {
        char a[WB_ADDR_STR_MAX];
        config_fail(c, 0, "[api] listen: expected an address other than [p2p] listen, got %s",
                     wb_addr_format(&cfg->api_listen, a, sizeof a));
        return;
    }
    config_finish_metrics(c);
    if (c->failed) return;
    uint64_t block_min =
        WB_SIGNED_EVENT_MAX + NODE_BLOCK_FRAMING(cfg->limits.block_events_max);
    if (cfg->limits.block_bytes_max < block_min) {
        config_fail(c, 0,
                     "[limits] block_bytes_max: expected at least %llu (one largest event, %u "
                     "bytes, plus the framing of block_events_max = %u events), got %u",
                     (unsigned long long)block_min, (unsigned)WB_SIGNED_EVENT_MAX,
                     cfg->limits.block_events_max, cfg->limits.block_bytes_max);
        return;
    }
    uint64_t frame_min = (uint64_t)cfg->limits.block_bytes_max + NODE_FRAME_OVERHEAD_MIN;
    if (cfg->limits.frame_bytes_max < frame_min) {
        config_fail(c, 0,
                     "[limits] frame_bytes_max: expected at least block_bytes_max + %u = %llu "
                     "(a frame carries a whole block), got %u",
                     NODE_FRAME_OVERHEAD_MIN, (unsigned long long)frame_min,
                     cfg->limits.frame_bytes_max);
        return;
    }
}

/* ---- public ---------------------------------------------------------------- */

void node_config_defaults(struct node_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->log_level = WB_LOG_INFO;
    cfg->timeouts = (struct node_timeouts){
        .propose_ms = NODE_DEFAULT_TIMEOUT_PROPOSE_MS,
        .propose_delta_ms = NODE_DEFAULT_TIMEOUT_PROPOSE_DELTA_MS,
        .prevote_ms = NODE_DEFAULT_TIMEOUT_PREVOTE_MS,
        .prevote_delta_ms = NODE_DEFAULT_TIMEOUT_PREVOTE_DELTA_MS,
        .precommit_ms = NODE_DEFAULT_TIMEOUT_PRECOMMIT_MS,
        .precommit_delta_ms = NODE_DEFAULT_TIMEOUT_PRECOMMIT_DELTA_MS,
        .block_time_drift_ms = NODE_DEFAULT_BLOCK_TIME_DRIFT_MS,
    };
    cfg->limits = (struct node_limits){
        .block_events_max = NODE_DEFAULT_BLOCK_EVENTS_MAX,
        .block_bytes_max = NODE_DEFAULT_BLOCK_BYTES_MAX,
        .mempool_events_max = NODE_DEFAULT_MEMPOOL_EVENTS_MAX,
        .mempool_bytes_max = NODE_DEFAULT_MEMPOOL_BYTES_MAX,
        .frame_bytes_max = NODE_DEFAULT_FRAME_BYTES_MAX,
        .api_clients_max = NODE_DEFAULT_API_CLIENTS_MAX,
        .handshake_timeout_ms = NODE_DEFAULT_HANDSHAKE_TIMEOUT_MS,
        .handshakes_max = NODE_DEFAULT_HANDSHAKES_MAX,
        .handshakes_per_source_max = NODE_DEFAULT_HANDSHAKES_PER_SOURCE_MAX,
    };
    cfg->sync = true;
    cfg->metrics.health_window_ms = NODE_DEFAULT_HEALTH_WINDOW_MS;
    cfg->metrics.ready_heartbeats = NODE_DEFAULT_READY_HEARTBEATS;
}

int node_config_parse(const char *path, const char *text, struct node_config *cfg, char *msg,
                      size_t msg_len)
{
    struct config_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        if (msg && msg_len) snprintf(msg, msg_len, "%s: out of memory", path);
        return WB_ERR_NOMEM;
    }
    c->path = path;
    c->text = text;
    c->len = strlen(text);
    c->cfg = cfg;
    c->msg = msg;
    c->msg_len = msg_len;
    if (msg && msg_len) msg[0] = '\0';

    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) : 0;
    if (slash && dir_len == 0) dir_len = 1; /* "/node.ini": the root folder */
    if (dir_len >= sizeof c->dir) {
        config_fail(c, 0, "path of the config file is longer than %d bytes", NODE_PATH_MAX - 1);
    } else {
        memcpy(c->dir, path, dir_len);
        c->dir[dir_len] = '\0';
        node_config_defaults(cfg);
        int rc = ini_parse_stream(config_read_line, c, config_on_value, c);
        if (rc > 0 && (!c->failed || (unsigned)rc < c->error_line)) {
            c->failed = false; /* a syntax error on an earlier line wins */
            config_fail(c, (unsigned)rc,
                         "line %d: expected '[section]', 'key = value' or a comment", rc);
        } else if (rc < 0 && !c->failed) {
            config_fail(c, 0, "cannot parse: %s", rc == -2 ? "out of memory" : "reader failed");
        }
        if (!c->failed) config_finish(c);
    }
    int result = c->failed ? WB_ERR_CONFIG : WB_OK;
    free(c);
    return result;
}

int node_config_load(const char *path, struct node_config *cfg, char *msg, size_t msg_len)
{
    uint8_t *text = NULL;
    size_t len = 0;
    int rc = wb_read_file(path, NODE_CONFIG_FILE_MAX, &text, &len);
    if (rc != WB_OK) {
        if (msg && msg_len) {
            if (rc == WB_ERR_NOT_FOUND)
                snprintf(msg, msg_len, "%s: config file not found", path);
            else if (rc == WB_ERR_TOO_LARGE)
                snprintf(msg, msg_len, "%s: config file is larger than %d bytes", path,
                         NODE_CONFIG_FILE_MAX);
            else
                snprintf(msg, msg_len, "%s: cannot read config file: %s", path, wb_strerror(rc));
        }
        return rc;
    }
    if (memchr(text, '\0', len)) {
        if (msg && msg_len) snprintf(msg, msg_len, "%s: contains a NUL byte", path);
        free(text);
        return WB_ERR_CONFIG;
    }
    rc = node_config_parse(path, (const char *)text, cfg, msg, msg_len);
    free(text);
    return rc;
}
