/* Fuzz target: node.ini text through node_config_parse, checking what a
 * parsed config promises (config.h) and that every parsed address formats
 * and parses back to itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/wb_error.h"
#include "node/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CONFIG_PATH "/etc/waybill/node.ini"

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "node_config target: %s (%s)\n", what, detail);
    abort();
}

static void check_addr(const struct wb_addr *a, const char *what)
{
    if (a->port == 0) fail("address without a port", what);
    if (strnlen(a->host, sizeof a->host) == 0) fail("address without a host", what);
    char text[WB_ADDR_STR_MAX];
    wb_addr_format(a, text, sizeof text);
    struct wb_addr back;
    if (wb_addr_parse(text, &back, NULL, 0) != WB_OK)
        fail("formatted address does not parse", text);
    if (back.port != a->port || back.kind != a->kind || strcmp(back.host, a->host) != 0 ||
        !wb_addr_equal(&back, a))
        fail("address does not survive format and parse", text);
}

static void check_path(const char *p, const char *what)
{
    size_t len = strnlen(p, NODE_PATH_MAX);
    if (len == 0 || len >= NODE_PATH_MAX) fail("path empty or unterminated", what);
    /* Relative paths resolve against the folder of an absolute config path. */
    if (p[0] != '/') fail("path not resolved to an absolute one", p);
}

static void check_parsed(const struct node_config *cfg)
{
    size_t name_len = strnlen(cfg->name, sizeof cfg->name);
    if (name_len == 0 || name_len > WB_NODE_NAME_MAX) fail("name length", cfg->name);
    check_path(cfg->data_dir, "data_dir");
    check_path(cfg->key_file, "key_file");
    check_path(cfg->genesis, "genesis");
    if (cfg->log_level > WB_LOG_OFF) fail("log level out of range", "");
    check_addr(&cfg->p2p_listen, "p2p listen");
    check_addr(&cfg->api_listen, "api listen");
    if (wb_addr_equal(&cfg->api_listen, &cfg->p2p_listen))
        fail("api listen equals p2p listen", cfg->api_listen.host);
    if (cfg->peer_count > NODE_PEERS_MAX) fail("too many peers", "");
    for (size_t i = 0; i < cfg->peer_count; i++) {
        check_addr(&cfg->peers[i], "peer");
        for (size_t j = 0; j < i; j++)
            if (wb_addr_equal(&cfg->peers[j], &cfg->peers[i])) fail("peer listed twice", "");
    }
    const struct node_timeouts *t = &cfg->timeouts;
    if (!t->propose_ms || !t->prevote_ms || !t->precommit_ms) fail("zero timeout", "");
    const struct node_limits *l = &cfg->limits;
    if (!l->block_events_max || !l->mempool_events_max || !l->api_clients_max)
        fail("zero limit", "");
    if ((uint64_t)l->frame_bytes_max < (uint64_t)l->block_bytes_max + NODE_FRAME_OVERHEAD_MIN)
        fail("frame limit below block limit + overhead", "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > NODE_CONFIG_FILE_MAX) return 0; /* node_config_load refuses these */
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    static struct node_config cfg;
    char msg[NODE_CONFIG_MSG_MAX] = "";
    int rc = node_config_parse(CONFIG_PATH, text, &cfg, msg, sizeof msg);
    if (rc == WB_OK) {
        check_parsed(&cfg);
    } else {
        if (rc != WB_ERR_CONFIG) fail("unexpected return code", wb_strerror(rc));
        if (strncmp(msg, CONFIG_PATH ": ", strlen(CONFIG_PATH ": ")) != 0)
            fail("message does not start with the file", msg);
    }
    free(text);
    return 0;
}
