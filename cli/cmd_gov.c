/* `waybill gov propose | approve | list | show`: proposals of the member
 * organisations to change the members, the validators or a parameter, and
 * their approvals, as events on the governance chain (ledger/gov.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client_cmds.h"
#include "cli/commands.h"
#include "cli/gov_print.h"
#include "cli/gov_state.h"
#include "cli/print.h"
#include "common/addr.h"
#include "common/hex.h"
#include "common/wb_error.h"

/* ---- the options ---------------------------------------------------------------- */

enum {
    GOV_OPT_ORG,
    GOV_OPT_ROLE,
    GOV_OPT_MEMBER_KEY,
    GOV_OPT_NAME,
    GOV_OPT_VALIDATOR_KEY,
    GOV_OPT_P2P,
    GOV_OPT_API,
    GOV_OPT_PARAM,
    GOV_OPT_VALUE,
    GOV_OPT_NOTE,
    GOV_OPT_NEW,
    GOV_OPT_ALL,
    GOV_OPT_NODE,
    GOV_OPT_KEY,
    GOV_OPT_GENESIS,
    GOV_OPT_TIMEOUT,
    GOV_OPT_JSON,
    GOV_OPT_COUNT
};

#define GOV_OPT_ORG_INIT {"org", "NAME", "the organisation (add-member, remove-member, add-validator)"}
#define GOV_OPT_ROLE_INIT {"role", "ROLE", "add-member: shipper, carrier, customs or auditor"}
#define GOV_OPT_MEMBER_KEY_INIT {"member-key", "HEX|FILE",\
                            "add-member: a client key of the new member, 64 hex digits or a key "\
                            "file (its public key); 1 to 8, repeat the option"}
#define GOV_OPT_NAME_INIT {"name", "NAME", "the validator's name (add-validator, remove-validator)"}
#define GOV_OPT_VALIDATOR_KEY_INIT {"validator-key", "HEX|FILE",\
                               "add-validator: the node's key, 64 hex digits or its node.key "\
                               "file (its public key)"}
#define GOV_OPT_P2P_INIT {"p2p", "HOST:PORT", "add-validator: the node's p2p address"}
#define GOV_OPT_API_INIT {"api", "HOST:PORT", "add-validator: the node's client API address"}
#define GOV_OPT_PARAM_INIT {"param", "P",\
                       "set-param: heartbeat_ms, clock_skew_ms, backdate_max_ms, "\
                       "proposal_ttl_ms or block_events_max"}
#define GOV_OPT_VALUE_INIT {"value", "N", "set-param: the new value, an integer"}
#define GOV_OPT_NOTE_INIT {"note", "TEXT", "a note for the other members, kept with the proposal"}
#define GOV_OPT_NEW_INIT {"new", NULL,\
                     "sign a new event even if an identical one got no answer (do not resend "\
                     "its kept event)"}
#define GOV_OPT_ALL_INIT {"all", NULL, "every proposal, executed and expired ones too"}
#define GOV_OPT_NODE_INIT CLIENT_OPT_NODE
#define GOV_OPT_KEY_INIT CLIENT_OPT_KEY
#define GOV_OPT_GENESIS_INIT CLIENT_OPT_GENESIS
#define GOV_OPT_TIMEOUT_INIT CLIENT_OPT_TIMEOUT
#define GOV_OPT_JSON_INIT CLIENT_OPT_JSON

static const struct cli_opt gov_all_opts[GOV_OPT_COUNT] = {
    [GOV_OPT_ORG] = GOV_OPT_ORG_INIT,
    [GOV_OPT_ROLE] = GOV_OPT_ROLE_INIT,
    [GOV_OPT_MEMBER_KEY] = GOV_OPT_MEMBER_KEY_INIT,
    [GOV_OPT_NAME] = GOV_OPT_NAME_INIT,
    [GOV_OPT_VALIDATOR_KEY] = GOV_OPT_VALIDATOR_KEY_INIT,
    [GOV_OPT_P2P] = GOV_OPT_P2P_INIT,
    [GOV_OPT_API] = GOV_OPT_API_INIT,
    [GOV_OPT_PARAM] = GOV_OPT_PARAM_INIT,
    [GOV_OPT_VALUE] = GOV_OPT_VALUE_INIT,
    [GOV_OPT_NOTE] = GOV_OPT_NOTE_INIT,
    [GOV_OPT_NEW] = GOV_OPT_NEW_INIT,
    [GOV_OPT_ALL] = GOV_OPT_ALL_INIT,
    [GOV_OPT_NODE] = GOV_OPT_NODE_INIT,
    [GOV_OPT_KEY] = GOV_OPT_KEY_INIT,
    [GOV_OPT_GENESIS] = GOV_OPT_GENESIS_INIT,
    [GOV_OPT_TIMEOUT] = GOV_OPT_TIMEOUT_INIT,
    [GOV_OPT_JSON] = GOV_OPT_JSON_INIT,
};

/* Each subcommand's options, in the order --help lists them; the
 * handlers find an option by its name in gov_all_opts. */
#define GOV_COMMON                                                                          \
    GOV_OPT_NODE_INIT, GOV_OPT_KEY_INIT, GOV_OPT_GENESIS_INIT, GOV_OPT_TIMEOUT_INIT,        \
        GOV_OPT_JSON_INIT
#define GOV_OPT(i) i##_INIT

static const struct cli_opt propose_opts[] = {
    GOV_OPT(GOV_OPT_ORG),   GOV_OPT(GOV_OPT_ROLE),  GOV_OPT(GOV_OPT_MEMBER_KEY),
    GOV_OPT(GOV_OPT_NAME),  GOV_OPT(GOV_OPT_VALIDATOR_KEY), GOV_OPT(GOV_OPT_P2P),
    GOV_OPT(GOV_OPT_API),   GOV_OPT(GOV_OPT_PARAM), GOV_OPT(GOV_OPT_VALUE),
    GOV_OPT(GOV_OPT_NOTE),  GOV_OPT(GOV_OPT_NEW),   GOV_COMMON,
};
static const struct cli_opt approve_opts[] = {GOV_OPT(GOV_OPT_NEW), GOV_COMMON};
static const struct cli_opt list_opts[] = {GOV_OPT(GOV_OPT_ALL), GOV_COMMON};
static const struct cli_opt show_opts[] = {GOV_COMMON};
static const struct cli_opt gov_common_opts[] = {GOV_COMMON};
#define GOV_N(t) (sizeof t / sizeof t[0])

#define GOV_CLIENT_SYNOPSIS "[--json] [--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS]"

static const struct cli_usage propose_usage = {
    .cmd = "gov propose",
    .synopsis =
        "KIND ARGS... [--note TEXT] [--new] " GOV_CLIENT_SYNOPSIS "\n"
        "  KIND ARGS is one of\n"
        "    add-member --org NAME --role ROLE --member-key HEX|FILE [--member-key HEX|FILE]...\n"
        "    remove-member --org NAME\n"
        "    add-validator --name NAME --org ORG --validator-key HEX|FILE --p2p HOST:PORT "
        "[--api HOST:PORT]\n"
        "    remove-validator --name NAME\n"
        "    set-param --param P --value N",
    .description =
        "Proposes a change to the members, the validators or a chain parameter: signs a\n"
        "gov_propose event on the governance chain (" WB_GOV_CHAIN ") with your key,\n"
        "linked to the chain's head, submits it and waits for its commit. Your organisation\n"
        "must be a member of a voting role (genesis governance.voting_roles); proposing\n"
        "counts as its approval. Prints the proposal id (the event id, 64 hex digits), what\n"
        "it changes and the approvals it has and needs, as the governance chain replayed\n"
        "from the genesis file shows after the commit. The proposal executes in the block\n"
        "of the approval that brings it to the threshold (genesis governance.threshold,\n"
        "default 2/3 of the voting organisations); it expires proposal_ttl_ms (default 7\n"
        "days) after its block if not approved by then. A validator change applies from\n"
        "the height after the next. The change is checked here against the governance\n"
        "chain first: a refusal (\"refused: REASON (rule gov_NAME)\") signs nothing, exit 1.\n"
        "An event that got no definite answer is kept and resent by the same command, as\n"
        "waybill submit does (--new signs a new one).\n",
    .opts = propose_opts,
    .opt_count = GOV_N(propose_opts),
};

static const struct cli_usage approve_usage = {
    .cmd = "gov approve",
    .synopsis = "ID [--new] " GOV_CLIENT_SYNOPSIS,
    .description =
        "Approves proposal ID (its full id, or a prefix of at least 8 hex digits that one\n"
        "proposal's id starts with) for your organisation: signs a gov_approve event on the\n"
        "governance chain, submits it and waits for its commit. Each organisation counts\n"
        "once; a proposal that is executed or expired cannot be approved (checked here\n"
        "first: \"refused: REASON\", exit 1, nothing signed). Prints the approvals after\n"
        "the commit, and \"executed at height H\" when this approval executed it.\n",
    .opts = approve_opts,
    .opt_count = GOV_N(approve_opts),
};

static const struct cli_usage list_usage = {
    .cmd = "gov list",
    .synopsis = "[--all] " GOV_CLIENT_SYNOPSIS,
    .description =
        "Lists the pending proposals (with --all every proposal) of the governance chain\n"
        "as the node holds it, replayed here from the genesis file: id prefix, kind, the\n"
        "change, the proposing organisation, approvals counted/needed and by whom, the\n"
        "height of the proposal, its status and when it expires.\n",
    .opts = list_opts,
    .opt_count = GOV_N(list_opts),
};

static const struct cli_usage show_usage = {
    .cmd = "gov show",
    .synopsis = "ID " GOV_CLIENT_SYNOPSIS,
    .description =
        "Shows everything about proposal ID (its full id or a prefix of at least 8 hex\n"
        "digits): the change and each of its arguments, the note, the proposer, when it\n"
        "was proposed, its status, every approval with its height, the approvals it needs,\n"
        "when it expires and when it was executed.\n",
    .opts = show_opts,
    .opt_count = GOV_N(show_opts),
};

static const struct cli_usage gov_usage = {
    .cmd = "gov",
    .synopsis = "propose KIND ARGS... | approve ID | list [--all] | show ID  [--json] [--node "
                "ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS]",
    .description =
        "Governance of the chain by its member organisations (docs/governance.md):\n"
        "  propose  propose adding or removing a member or a validator, or a parameter\n"
        "  approve  approve a pending proposal for your organisation\n"
        "  list     list the pending proposals (--all: every one)\n"
        "  show     show one proposal in full\n"
        "waybill gov SUBCOMMAND --help shows a subcommand's options. Every subcommand\n"
        "talks to a node and takes these:\n",
    .opts = gov_common_opts,
    .opt_count = GOV_N(gov_common_opts),
};

/* What the options said. */
struct gov_args {
    const struct cli_usage *u;
    const char *vals[GOV_OPT_COUNT];      /* single-valued options */
    const char *member_keys[WB_ORG_KEYS_MAX];
    size_t member_key_count;
    bool fresh, all;
};

static int gov_own_opt(void *ctx, int i, const char *value)
{
    struct gov_args *ga = ctx;
    int opt = 0;
    while (opt < GOV_OPT_COUNT && strcmp(gov_all_opts[opt].name, ga->u->opts[i].name) != 0)
        opt++;
    switch (opt) {
    case GOV_OPT_MEMBER_KEY:
        if (ga->member_key_count == WB_ORG_KEYS_MAX)
            return cli_usage_error(ga->u, "at most %d --member-key options", WB_ORG_KEYS_MAX);
        ga->member_keys[ga->member_key_count++] = value;
        return CLI_EXIT_OK;
    case GOV_OPT_NEW:
        ga->fresh = true;
        return CLI_EXIT_OK;
    case GOV_OPT_ALL:
        ga->all = true;
        return CLI_EXIT_OK;
    default:
        return client_opt_once(ga->u, &ga->vals[opt], gov_all_opts[opt].name, value);
    }
}

/* Parses argv (argv[0] the subcommand's name) for usage u; npos: the
 * positional arguments it takes (all required). */
static int gov_parse(const struct cli_usage *u, int argc, char **argv, struct client_opts *co,
                     struct gov_args *ga, size_t npos, const char *pos_name, char **pos)
{
    struct cli_args args;
    memset(ga, 0, sizeof *ga);
    ga->u = u;
    int ex = client_args_parse(&args, u, argc, argv, co, gov_own_opt, ga);
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count < npos) return cli_usage_error(u, "%s is required", pos_name);
    if (args.pos_count > npos)
        return cli_usage_error(u, "unexpected argument '%s'", args.pos[npos]);
    if (npos) *pos = args.pos[0];
    return client_opts_finish(co, u, true);
}

/* ---- building a proposal ---------------------------------------------------------- */

/* The options each kind takes, and those it requires. */
struct gov_kind_opts {
    const char *word;
    enum ledger_gov_kind kind;
    uint32_t takes, needs;
};

#define B(o) (1u << (o))
static const struct gov_kind_opts gov_kinds[] = {
    {"add-member", LEDGER_GOV_ADD_MEMBER, B(GOV_OPT_ORG) | B(GOV_OPT_ROLE) | B(GOV_OPT_MEMBER_KEY),
     B(GOV_OPT_ORG) | B(GOV_OPT_ROLE) | B(GOV_OPT_MEMBER_KEY)},
    {"remove-member", LEDGER_GOV_REMOVE_MEMBER, B(GOV_OPT_ORG), B(GOV_OPT_ORG)},
    {"add-validator", LEDGER_GOV_ADD_VALIDATOR,
     B(GOV_OPT_NAME) | B(GOV_OPT_ORG) | B(GOV_OPT_VALIDATOR_KEY) | B(GOV_OPT_P2P) | B(GOV_OPT_API),
     B(GOV_OPT_NAME) | B(GOV_OPT_ORG) | B(GOV_OPT_VALIDATOR_KEY) | B(GOV_OPT_P2P)},
    {"remove-validator", LEDGER_GOV_REMOVE_VALIDATOR, B(GOV_OPT_NAME), B(GOV_OPT_NAME)},
    {"set-param", LEDGER_GOV_SET_PARAM, B(GOV_OPT_PARAM) | B(GOV_OPT_VALUE),
     B(GOV_OPT_PARAM) | B(GOV_OPT_VALUE)},
};
#undef B

/* Which option an attribute of a gov_propose event comes from, to say a
 * decoder's complaint in the options' words. */
static const char *gov_attr_option(const char *msg)
{
    static const struct {
        const char *attr, *opt;
    } map[] = {
        {"'org'", "--org"},     {"'role'", "--role"},   {"'key", "--member-key / --validator-key"},
        {"'name'", "--name"},   {"'p2p'", "--p2p"},     {"'api'", "--api"},
        {"'param'", "--param"}, {"'value'", "--value"}, {"'note'", "--note"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strstr(msg, map[i].attr)) return map[i].opt;
    return NULL;
}

static int gov_key_opt(const struct cli_usage *u, const char *opt, const char *arg,
                       uint8_t pk[WB_PUBKEY_LEN])
{
    char msg[1024];
    if (gov_state_key_arg(arg, pk, msg, sizeof msg) != WB_OK)
        return cli_usage_error(u, "--%s: %s", opt, msg);
    return CLI_EXIT_OK;
}

static int gov_copy(const struct cli_usage *u, const char *opt, const char *v, char *dst,
                    size_t cap)
{
    if (strlen(v) >= cap)
        return cli_usage_error(u, "--%s: '%.40s...' is longer than %zu bytes", opt, v, cap - 1);
    memcpy(dst, v, strlen(v) + 1);
    return CLI_EXIT_OK;
}

/* Fills *a from KIND and the options and checks it as the ledger decodes
 * it (into ev, with ledger_gov_action_encode). Returns CLI_EXIT_OK or a
 * usage error (printed). */
static int gov_build_proposal(const struct gov_args *ga, const char *word,
                              struct ledger_gov_action *a, struct ledger_event *ev)
{
    const struct cli_usage *u = &propose_usage;
    const struct gov_kind_opts *k = NULL;
    for (size_t i = 0; i < sizeof gov_kinds / sizeof gov_kinds[0]; i++)
        if (strcmp(gov_kinds[i].word, word) == 0) k = &gov_kinds[i];
    if (!k)
        return cli_usage_error(u,
                               "KIND: unknown kind '%.40s' (add-member, remove-member, "
                               "add-validator, remove-validator or set-param)",
                               word);
    for (int o = GOV_OPT_ORG; o <= GOV_OPT_VALUE; o++) {
        bool given = o == GOV_OPT_MEMBER_KEY ? ga->member_key_count > 0 : ga->vals[o] != NULL;
        if (given && !(k->takes & (1u << o)))
            return cli_usage_error(u, "--%s is not an option of %s", gov_all_opts[o].name,
                                   k->word);
        if (!given && (k->needs & (1u << o)))
            return cli_usage_error(u, "%s needs --%s %s", k->word, gov_all_opts[o].name,
                                   gov_all_opts[o].arg);
    }
    memset(a, 0, sizeof *a);
    memset(ev, 0, sizeof *ev);
    a->action = LEDGER_GOV_PROPOSE;
    a->kind = k->kind;
    int ex = CLI_EXIT_OK;
    const char *const *v = ga->vals;
    switch (k->kind) {
    case LEDGER_GOV_ADD_MEMBER:
        ex = gov_copy(u, "org", v[GOV_OPT_ORG], a->member.name, sizeof a->member.name);
        a->member.role = ledger_role_parse(v[GOV_OPT_ROLE]);
        if (ex == CLI_EXIT_OK && a->member.role == LEDGER_ROLE_NONE)
            ex = cli_usage_error(u, "--role: expected shipper, carrier, customs or auditor, got "
                                    "'%.40s'",
                                 v[GOV_OPT_ROLE]);
        for (size_t i = 0; ex == CLI_EXIT_OK && i < ga->member_key_count; i++)
            ex = gov_key_opt(u, "member-key", ga->member_keys[i], a->member.keys[i]);
        a->member.key_count = ga->member_key_count;
        break;
    case LEDGER_GOV_REMOVE_MEMBER:
        ex = gov_copy(u, "org", v[GOV_OPT_ORG], a->member.name, sizeof a->member.name);
        break;
    case LEDGER_GOV_ADD_VALIDATOR:
        ex = gov_copy(u, "name", v[GOV_OPT_NAME], a->validator.name, sizeof a->validator.name);
        if (ex == CLI_EXIT_OK)
            ex = gov_copy(u, "org", v[GOV_OPT_ORG], a->validator.org, sizeof a->validator.org);
        if (ex == CLI_EXIT_OK)
            ex = gov_key_opt(u, "validator-key", v[GOV_OPT_VALIDATOR_KEY], a->validator.key);
        if (ex == CLI_EXIT_OK)
            ex = gov_copy(u, "p2p", v[GOV_OPT_P2P], a->validator.p2p, sizeof a->validator.p2p);
        if (ex == CLI_EXIT_OK && v[GOV_OPT_API])
            ex = gov_copy(u, "api", v[GOV_OPT_API], a->validator.api, sizeof a->validator.api);
        break;
    case LEDGER_GOV_REMOVE_VALIDATOR:
        ex = gov_copy(u, "name", v[GOV_OPT_NAME], a->validator.name, sizeof a->validator.name);
        break;
    default: {
        a->param = ledger_gov_param_parse(v[GOV_OPT_PARAM]);
        if (a->param == LEDGER_PARAM_NONE)
            return cli_usage_error(u,
                                   "--param: expected heartbeat_ms, clock_skew_ms, "
                                   "backdate_max_ms, proposal_ttl_ms or block_events_max, got "
                                   "'%.40s'",
                                   v[GOV_OPT_PARAM]);
        uint64_t n;
        if (cli_parse_u64(v[GOV_OPT_VALUE], 0, INT64_MAX, &n) != WB_OK)
            return cli_usage_error(u, "--value: expected a non-negative integer, got '%.40s'",
                                   v[GOV_OPT_VALUE]);
        a->value = (int64_t)n;
        break;
    }
    }
    if (ex == CLI_EXIT_OK && v[GOV_OPT_NOTE])
        ex = gov_copy(u, "note", v[GOV_OPT_NOTE], a->note, sizeof a->note);
    if (ex != CLI_EXIT_OK) return ex;
    char msg[512] = "";
    struct ledger_gov_action back;
    if (ledger_gov_action_encode(a, ev, msg, sizeof msg) != WB_OK ||
        ledger_gov_action_decode(ev, &back, msg, sizeof msg) != WB_OK) {
        const char *opt = gov_attr_option(msg);
        char safe[600];
        print_safe(msg, safe, sizeof safe);
        return opt ? cli_usage_error(u, "%s: %s", opt, safe) : cli_usage_error(u, "%s", safe);
    }
    return CLI_EXIT_OK;
}

/* ---- printing ----------------------------------------------------------------------- */

/* The validator set a change executed at `height` installs, for the line
 * after an executed validator change. */
static void gov_print_new_set(const struct ledger_gov *gv, uint64_t height)
{
    const struct ledger_gov_epoch *e;
    WB_IGNORE_RESULT(ledger_gov_validators_at(gv, height + 2, &e));
    char safe[4 * WB_NODE_NAME_MAX + 8];
    printf("validators from height %" PRIu64 ":", e->from_height);
    for (size_t i = 0; i < e->count; i++)
        printf("%s %s", i ? "," : "", print_safe(e->validators[i].name, safe, sizeof safe));
    printf(" (%zu)\n", e->count);
}

/* After a committed propose or approve: what the chain now says. */
static int gov_print_after(const struct client_opts *co, const struct ledger_gov *gv,
                           const struct ledger_gov_proposal *p, const struct ledger_event *ev,
                           const struct submit_outcome *out, const char *what)
{
    char id[PRINT_HEX32], sum[GOV_PRINT_LINE_MAX], ap[GOV_PRINT_LINE_MAX], t[PRINT_TIME_MAX];
    if (co->json) {
        json_t *o = json_pack("{s:o, s:o, s:s, s:I, s:I, s:b, s:b, s:o}", "id",
                              print_json_hex(p->id, WB_HASH_LEN), "event_id",
                              print_json_hex(ev->id, WB_HASH_LEN), "action",
                              ledger_action_name(ev->action), "height", (json_int_t)out->height,
                              "index", (json_int_t)out->index, "already_committed",
                              out->already_committed, "resent", out->resent, "proposal",
                              gov_print_proposal_json(gv, p));
        return print_exit(co->cmd, print_json_out(o));
    }
    wb_hex_encode(p->id, WB_HASH_LEN, id, sizeof id);
    printf("%s %s %scommitted at height %" PRIu64 ": %s\n", what, id,
           out->already_committed ? "already " : "", out->height,
           gov_print_summary(&p->action, sum, sizeof sum));
    gov_print_approvals(gv, p, ap, sizeof ap);
    if (p->status == LEDGER_PROPOSAL_EXECUTED) {
        printf("executed at height %" PRIu64 ": %s\n", p->executed_height, ap);
        if (p->action.kind == LEDGER_GOV_ADD_VALIDATOR ||
            p->action.kind == LEDGER_GOV_REMOVE_VALIDATOR)
            gov_print_new_set(gv, p->executed_height);
    } else {
        size_t have = gov_state_approvals(gv, p), need = ledger_gov_threshold(gv);
        printf("%s: %s; %zu more needed, expires %s\n", ledger_gov_status_name(p->status), ap,
               need > have ? need - have : 0, print_time(gov_state_expires_ms(gv, p), t));
    }
    return CLI_EXIT_OK;
}

/* ---- the subcommands ---------------------------------------------------------------- */

/* Signs and submits ev, then prints the proposal it concerns (id: ev's own
 * for a proposal). */
static int gov_sign_and_show(struct client_session *s, struct ledger_gov *gv,
                             struct ledger_event *ev, bool fresh, const uint8_t *proposal_id)
{
    struct submit_outcome out = {0};
    if (gov_state_signer(s, gv) < 0) return CLI_EXIT_FAILED;
    int ex = gov_state_submit(s, gv, ev, fresh, &out);
    if (ex != CLI_EXIT_OK) return ex;
    const struct ledger_gov_proposal *p =
        ledger_gov_proposal_find(gv, proposal_id ? proposal_id : ev->id);
    if (!p) {
        char id[PRINT_HEX32];
        cli_error(s->c.opts->cmd,
                  "event %s was committed at height %" PRIu64
                  ", but the node's governance chain does not show it",
                  wb_hex_encode(ev->id, WB_HASH_LEN, id, sizeof id), out.height);
        return CLI_EXIT_FAILED;
    }
    return gov_print_after(s->c.opts, gv, p, ev, &out,
                           proposal_id ? "approval of proposal" : "proposal");
}

static int gov_propose(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct gov_args ga;
    char *kind = NULL;
    client_opts_init(&co, "gov propose");
    int ex = gov_parse(&propose_usage, argc, argv, &co, &ga, 1, "KIND", &kind);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    struct ledger_gov_action *a = malloc(sizeof *a);
    struct ledger_event *ev = malloc(sizeof *ev);
    struct client_session s;
    struct ledger_gov gv;
    bool loaded = false;
    memset(&s, 0, sizeof s);
    if (!a || !ev) {
        cli_error(co.cmd, "out of memory");
        ex = CLI_EXIT_FAILED;
        goto done;
    }
    ex = gov_build_proposal(&ga, kind, a, ev);
    if (ex != CLI_EXIT_OK) goto done;
    ex = gov_state_open(&s, &co, conn, &gv);
    loaded = ex == CLI_EXIT_OK;
    if (ex == CLI_EXIT_OK) ex = gov_sign_and_show(&s, &gv, ev, ga.fresh, NULL);
done:
    if (loaded) ledger_gov_free(&gv);
    client_session_close(&s);
    free(a);
    free(ev);
    return ex;
}

static int gov_approve(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct gov_args ga;
    char *id = NULL;
    client_opts_init(&co, "gov approve");
    int ex = gov_parse(&approve_usage, argc, argv, &co, &ga, 1, "ID", &id);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    char msg[GOV_STATE_MSG_MAX];
    const struct ledger_gov_proposal *p;
    /* The form of ID before anything is asked of the node. */
    if (gov_state_resolve(&(struct ledger_gov){0}, id, &p, msg, sizeof msg) == WB_ERR_INVALID)
        return cli_usage_error(&approve_usage, "%s", msg);
    struct client_session s;
    struct ledger_gov gv;
    struct ledger_event *ev = malloc(sizeof *ev);
    if (!ev) {
        cli_error(co.cmd, "out of memory");
        return CLI_EXIT_FAILED;
    }
    ex = gov_state_open(&s, &co, conn, &gv);
    if (ex == CLI_EXIT_OK) {
        if (gov_state_resolve(&gv, id, &p, msg, sizeof msg) != WB_OK) {
            cli_error(co.cmd, "%s", msg);
            ex = CLI_EXIT_FAILED;
        } else {
            struct ledger_gov_action a;
            uint8_t pid[WB_HASH_LEN];
            memset(&a, 0, sizeof a);
            memset(ev, 0, sizeof *ev);
            a.action = LEDGER_GOV_APPROVE;
            memcpy(a.proposal, p->id, WB_HASH_LEN);
            memcpy(pid, p->id, WB_HASH_LEN);
            if (ledger_gov_action_encode(&a, ev, msg, sizeof msg) != WB_OK) {
                cli_error(co.cmd, "cannot build the approval: %s", msg);
                ex = CLI_EXIT_FAILED;
            } else {
                ex = gov_sign_and_show(&s, &gv, ev, ga.fresh, pid);
            }
        }
        ledger_gov_free(&gv);
    }
    client_session_close(&s);
    free(ev);
    return ex;
}

static int gov_list_text(const struct ledger_gov *gv, bool all)
{
    static const char *const header[] = {"ID",     "KIND",   "CHANGE", "PROPOSER", "APPROVALS",
                                         "HEIGHT", "STATUS", "EXPIRES"};
    struct print_table t;
    print_table_init(&t, 8, header);
    size_t shown = 0;
    for (size_t i = 0; i < gv->proposal_count; i++) {
        const struct ledger_gov_proposal *p = &gv->proposals[i];
        if (!all && p->status != LEDGER_PROPOSAL_PENDING) continue;
        char id[PRINT_SHORT_HEX], sum[GOV_PRINT_LINE_MAX], ap[GOV_PRINT_LINE_MAX];
        char who[4 * WB_ORG_MAX + 8], h[24], st[48], t1[PRINT_TIME_MAX];
        snprintf(h, sizeof h, "%" PRIu64, p->height);
        if (p->status == LEDGER_PROPOSAL_EXECUTED)
            snprintf(st, sizeof st, "executed at %" PRIu64, p->executed_height);
        else
            snprintf(st, sizeof st, "%s", ledger_gov_status_name(p->status));
        const char *row[8] = {print_short_hex(p->id, id),
                              gov_print_kind(p->action.kind),
                              gov_print_summary(&p->action, sum, sizeof sum),
                              print_safe(p->proposer, who, sizeof who),
                              gov_print_approvals(gv, p, ap, sizeof ap) + strlen("approvals "),
                              h,
                              st,
                              p->status == LEDGER_PROPOSAL_EXECUTED
                                  ? "-"
                                  : print_time(gov_state_expires_ms(gv, p), t1)};
        print_table_add(&t, row);
        shown++;
    }
    int rc = WB_OK;
    if (shown == 0 && gv->event_count == 0)
        printf("no %sproposals (no governance event yet)\n", all ? "" : "pending ");
    else if (shown == 0)
        printf("no %sproposals (governance chain as of height %" PRIu64 ")\n",
               all ? "" : "pending ", gv->height);
    else
        rc = print_table_out(&t, stdout);
    print_table_free(&t);
    return rc;
}

static json_t *gov_list_json(const struct ledger_gov *gv, bool all)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < gv->proposal_count; i++) {
        const struct ledger_gov_proposal *p = &gv->proposals[i];
        if (!all && p->status != LEDGER_PROPOSAL_PENDING) continue;
        if (json_array_append_new(arr, gov_print_proposal_json(gv, p))) {
            json_decref(arr);
            arr = NULL;
        }
    }
    char t[PRINT_TIME_MAX];
    return json_pack("{s:I, s:s, s:I, s:o}", "height", (json_int_t)gv->height, "time",
                     print_time(gv->time_ms, t), "needed", (json_int_t)ledger_gov_threshold(gv),
                     "proposals", arr);
}

static int gov_list(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct gov_args ga;
    client_opts_init(&co, "gov list");
    int ex = gov_parse(&list_usage, argc, argv, &co, &ga, 0, NULL, NULL);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    struct client_session s;
    struct ledger_gov gv;
    ex = gov_state_open(&s, &co, conn, &gv);
    if (ex == CLI_EXIT_OK) {
        ex = print_exit(co.cmd, co.json ? print_json_out(gov_list_json(&gv, ga.all))
                                     : gov_list_text(&gv, ga.all));
        ledger_gov_free(&gv);
    }
    client_session_close(&s);
    return ex;
}

/* Every argument of the change, one field each. */
static void gov_show_change(struct print_table *f, const struct ledger_gov_action *a)
{
    char s[4 * WB_ATTR_VALUE_MAX + 8], hex[PRINT_HEX32];
    switch (a->kind) {
    case LEDGER_GOV_ADD_MEMBER:
        print_field(f, "org", "%s", print_safe(a->member.name, s, sizeof s));
        print_field(f, "role", "%s", ledger_role_name(a->member.role));
        for (size_t i = 0; i < a->member.key_count; i++)
            print_field(f, i ? "" : "member keys", "%s",
                        wb_hex_encode(a->member.keys[i], WB_PUBKEY_LEN, hex, sizeof hex));
        break;
    case LEDGER_GOV_REMOVE_MEMBER:
        print_field(f, "org", "%s", print_safe(a->member.name, s, sizeof s));
        break;
    case LEDGER_GOV_ADD_VALIDATOR:
        print_field(f, "name", "%s", print_safe(a->validator.name, s, sizeof s));
        print_field(f, "org", "%s", print_safe(a->validator.org, s, sizeof s));
        print_field(f, "validator key", "%s",
                    wb_hex_encode(a->validator.key, WB_PUBKEY_LEN, hex, sizeof hex));
        print_field(f, "p2p", "%s", print_safe(a->validator.p2p, s, sizeof s));
        print_field(f, "api", "%s",
                    a->validator.api[0] ? print_safe(a->validator.api, s, sizeof s) : "-");
        break;
    case LEDGER_GOV_REMOVE_VALIDATOR:
        print_field(f, "name", "%s", print_safe(a->validator.name, s, sizeof s));
        break;
    default:
        print_field(f, "param", "%s", ledger_gov_param_name(a->param));
        print_field(f, "value", "%" PRId64, a->value);
        break;
    }
}

static int gov_show_text(const struct ledger_gov *gv, const struct ledger_gov_proposal *p)
{
    char hex[PRINT_HEX32], s[4 * WB_ATTR_VALUE_MAX + 8], t[PRINT_TIME_MAX];
    struct print_table f;
    print_fields_init(&f);
    print_field(&f, "proposal", "%s", wb_hex_encode(p->id, WB_HASH_LEN, hex, sizeof hex));
    print_field(&f, "kind", "%s", gov_print_kind(p->action.kind));
    print_field(&f, "change", "%s", gov_print_summary(&p->action, s, sizeof s));
    gov_show_change(&f, &p->action);
    print_field(&f, "note", "%s", p->action.note[0] ? print_safe(p->action.note, s, sizeof s) : "-");
    print_field(&f, "proposer", "%s", print_safe(p->proposer, s, sizeof s));
    print_field(&f, "proposed", "height %" PRIu64 " (%s)", p->height, print_time(p->time_ms, t));
    print_field(&f, "status", "%s", ledger_gov_status_name(p->status));
    if (p->status == LEDGER_PROPOSAL_EXECUTED)
        print_field(&f, "approvals", "%zu", p->approval_count);
    else
        print_field(&f, "approvals", "%zu of %zu needed", gov_state_approvals(gv, p),
                    ledger_gov_threshold(gv));
    for (size_t i = 0; i < p->approval_count; i++)
        print_field(&f, i ? "" : "approved by", "%s at height %" PRIu64,
                    print_safe(p->approvers[i], s, sizeof s), p->approval_heights[i]);
    if (p->status == LEDGER_PROPOSAL_EXECUTED)
        print_field(&f, "executed", "height %" PRIu64, p->executed_height);
    else
        print_field(&f, p->status == LEDGER_PROPOSAL_EXPIRED ? "expired" : "expires", "%s",
                    print_time(gov_state_expires_ms(gv, p), t));
    int rc = print_table_out(&f, stdout);
    print_table_free(&f);
    return rc;
}

static int gov_show(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct gov_args ga;
    char *id = NULL;
    client_opts_init(&co, "gov show");
    int ex = gov_parse(&show_usage, argc, argv, &co, &ga, 1, "ID", &id);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    char msg[GOV_STATE_MSG_MAX];
    const struct ledger_gov_proposal *p;
    if (gov_state_resolve(&(struct ledger_gov){0}, id, &p, msg, sizeof msg) == WB_ERR_INVALID)
        return cli_usage_error(&show_usage, "%s", msg);
    struct client_session s;
    struct ledger_gov gv;
    ex = gov_state_open(&s, &co, conn, &gv);
    if (ex == CLI_EXIT_OK) {
        if (gov_state_resolve(&gv, id, &p, msg, sizeof msg) != WB_OK) {
            cli_error(co.cmd, "%s", msg);
            if (co.json) WB_IGNORE_RESULT(print_json_error("not_found", msg, NULL));
            ex = CLI_EXIT_FAILED;
        } else {
            ex = print_exit(co.cmd, co.json ? print_json_out(gov_print_proposal_json(&gv, p))
                                         : gov_show_text(&gv, p));
        }
        ledger_gov_free(&gv);
    }
    client_session_close(&s);
    return ex;
}

/* ---- dispatch ---------------------------------------------------------------------- */

static const struct client_subcommand gov_subs[] = {
    {"propose", gov_propose},
    {"approve", gov_approve},
    {"list", gov_list},
    {"show", gov_show},
};

int cmd_gov_via(const struct client_connector *conn, int argc, char **argv)
{
    return client_subcommand_run(&gov_usage, gov_subs, sizeof gov_subs / sizeof gov_subs[0], "propose, approve, list or show", conn, argc, argv);
}

int cmd_gov(int argc, char **argv) { return cmd_gov_via(client_net_connector(), argc, argv); }
