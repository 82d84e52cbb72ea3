/* The test seams of the consensus core (consensus/seam.h) exist only in the
 * seams build: the production archive and the node hold no seam function
 * and no seam field. Symbols are read with nm, fields and enumerators from
 * the debug information with objdump. A seam is a branch on seam state, and
 * that state is a field of struct cons (the core keeps no globals): no field,
 * no branch. Each check also runs on the seams archive, where it must find
 * them, so that a check that cannot see a seam does not pass.
 *
 * The build folder is the one this program was built into:
 * <build>/tests/unit/consensus_seams. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char build_dir[PATH_MAX];

static int find_build_dir(void)
{
    ssize_t n = readlink("/proc/self/exe", build_dir, sizeof build_dir - 1);
    if (n <= 0) return -1;
    build_dir[n] = '\0';
    for (int up = 0; up < 3; up++) {
        char *slash = strrchr(build_dir, '/');
        if (!slash) return -1;
        *slash = '\0';
    }
    return 0;
}

/* Lines of `cmd` (run through the shell) that contain `word`, ignoring
 * case; -1 when the command fails. */
static long count_lines(const char *cmd, const char *word)
{
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    long k = 0;
    char line[4096];
    size_t wl = strlen(word);
    while (fgets(line, sizeof line, p)) {
        for (char *s = line; *s; s++) {
            if (strncasecmp(s, word, wl) == 0) {
                k++;
                break;
            }
        }
    }
    int rc = pclose(p);
    return rc == 0 ? k : -1;
}

static void path_of(char *out, size_t cap, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", build_dir, name);
    assert_true(n > 0 && (size_t)n < cap);
    assert_int_equal(access(out, R_OK), 0);
}

static long seam_symbols(const char *file)
{
    char path[PATH_MAX + 64], cmd[PATH_MAX + 128];
    path_of(path, sizeof path, file);
    /* Symbol names only: not the member headers of an archive. */
    snprintf(cmd, sizeof cmd, "nm '%s' 2>/dev/null | awk 'NF >= 2 { print $NF }'", path);
    return count_lines(cmd, "seam");
}

/* Named entries of the debug information (functions, fields, types,
 * enumerators) with "seam" in their name. File names are not counted: a
 * production object may include consensus/seam.h for its constant hooks. */
static long seam_debug_names(const char *file)
{
    char path[PATH_MAX + 64], cmd[PATH_MAX + 160];
    path_of(path, sizeof path, file);
    snprintf(cmd, sizeof cmd,
             "objdump --dwarf=info '%s' 2>/dev/null | grep -E 'DW_AT_name' | "
             "grep -ivE '\\.[ch]( |$)'",
             path);
    return count_lines(cmd, "seam");
}

static void seams_archive_has_seams(void **state)
{
    (void)state;
    assert_true(seam_symbols("libconsensus_seams.a") > 0);
    if (seam_debug_names("libconsensus_seams.a") <= 0) {
        print_message("no debug information in the seams archive (OPT without -g)\n");
        skip();
    }
}

static void production_archive_has_none(void **state)
{
    (void)state;
    assert_int_equal(seam_symbols("libconsensus.a"), 0);
    if (seam_debug_names("libconsensus_seams.a") <= 0) skip();
    assert_int_equal(seam_debug_names("libconsensus.a"), 0);
}

static void node_has_none(void **state)
{
    (void)state;
    assert_int_equal(seam_symbols("waybill"), 0);
    if (seam_debug_names("libconsensus_seams.a") <= 0) skip();
    assert_int_equal(seam_debug_names("waybill"), 0);
}

int main(void)
{
    if (find_build_dir() != 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seams_archive_has_seams),
        cmocka_unit_test(production_archive_has_none),
        cmocka_unit_test(node_has_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
