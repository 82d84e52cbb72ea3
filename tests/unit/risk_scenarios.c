/* The risk scenario library: every journey file of tests/data/risk/ (docs/risk.md,
 * "Scenarios") is one test, loaded into a real chain that the ledger rules
 * accept, assessed by the risk engine and checked against its expect
 * lines; a mismatch fails naming the file and line. One more test checks
 * that the library covers every flag with a journey that raises it and a
 * near miss that does not. RISK_SCENARIOS_VERBOSE=1 prints every report.
 * Run from the repository's root (tests/run.sh
 * does). */
#include <dirent.h>

#include "tests/unit/risk_scenario.h"

#define SCENARIO_DIR "tests/data/risk"
#define SCENARIOS_MAX 256

static char *paths[SCENARIOS_MAX];
static size_t n_paths;

static void run_journey(void **state)
{
    const char *path = *state;
    struct rs_scenario *s = calloc(1, sizeof *s);
    assert_non_null(s);
    int rc = rs_run(s, path);
    if (getenv("RISK_SCENARIOS_VERBOSE") && s->assessed) {
        char got[8192];
        rs_flags_text(&s->report, got, sizeof got);
        printf("%s: score %u, %s\n", path, s->report.score, got);
        for (unsigned c = 0; c < RISK_FLAG_COUNT; c++)
            if (s->report.not_evaluable[c])
                printf("    not evaluable: %s: %s\n", risk_flag_name((enum risk_flag_code)c),
                       s->report.not_evaluable_why[c]);
    }
    char err[RS_ERR_MAX];
    snprintf(err, sizeof err, "%s", s->err);
    rs_free(s);
    free(s);
    if (rc) fail_msg("%s", err);
}

/* For each flag, a journey that expects it and another that expects it not. */
static void every_flag_covered(void **state)
{
    (void)state;
    bool raised[RISK_FLAG_COUNT] = {false}, missed[RISK_FLAG_COUNT] = {false};
    for (size_t k = 0; k < n_paths; k++) {
        struct rs_scenario *s = calloc(1, sizeof *s);
        assert_non_null(s);
        if (rs_load(s, paths[k])) fail_msg("%s", s->err);
        for (size_t e = 0; e < s->n_expects; e++) {
            const struct rs_expect *x = &s->expects[e];
            if (x->kind == RS_EXPECT) raised[x->code] = true;
            if (x->kind == RS_EXPECT_NOT) missed[x->code] = true;
        }
        rs_free(s);
        free(s);
    }
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++) {
        const char *name = risk_flag_name((enum risk_flag_code)c);
        if (!raised[c]) fail_msg("no journey of %s/ raises %s (expect %s)", SCENARIO_DIR, name, name);
        if (!missed[c])
            fail_msg("no near miss of %s/ for %s (expect-not %s)", SCENARIO_DIR, name, name);
    }
}

static int path_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    DIR *d = opendir(SCENARIO_DIR);
    if (!d) {
        fprintf(stderr, "risk_scenarios: cannot open %s (run from the repository's root)\n",
                SCENARIO_DIR);
        return 1;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 9 || strcmp(de->d_name + len - 8, ".journey") != 0) continue;
        if (n_paths == SCENARIOS_MAX) break;
        size_t cap = sizeof SCENARIO_DIR + len + 1;
        paths[n_paths] = malloc(cap);
        if (!paths[n_paths]) return 1;
        snprintf(paths[n_paths], cap, "%s/%s", SCENARIO_DIR, de->d_name);
        n_paths++;
    }
    closedir(d);
    qsort(paths, n_paths, sizeof *paths, path_cmp);
    struct CMUnitTest *tests = calloc(n_paths + 1, sizeof *tests);
    if (!tests) return 1;
    for (size_t k = 0; k < n_paths; k++) {
        tests[k].name = paths[k] + sizeof SCENARIO_DIR;
        tests[k].test_func = run_journey;
        tests[k].initial_state = paths[k];
    }
    tests[n_paths].name = "every_flag_covered";
    tests[n_paths].test_func = every_flag_covered;
    int failed = _cmocka_run_group_tests("risk_scenarios", tests, n_paths + 1, NULL, NULL);
    free(tests);
    for (size_t k = 0; k < n_paths; k++) free(paths[k]);
    return failed;
}
