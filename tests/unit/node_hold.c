/* Unit tests of node/chain/hold.c's pure parts: which append failures are
 * storage faults, when a failed write means "full", and what status says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "node/chain/hold.h"

static void disk_errors_are_faults_and_block_errors_are_not(void **state)
{
    (void)state;
    assert_true(node_hold_is_fault(WB_ERR_STORE));
    assert_true(node_hold_is_fault(WB_ERR_IO));
    assert_true(node_hold_is_fault(WB_ERR_TOO_LARGE)); /* map at its maximum */
    assert_false(node_hold_is_fault(WB_OK));
    assert_false(node_hold_is_fault(WB_ERR_INVALID)); /* the block, not the disk */
    assert_false(node_hold_is_fault(WB_ERR_NOMEM));
}

static void out_of_space_errors_and_an_empty_file_system_mean_full(void **state)
{
    (void)state;
    uint64_t plenty = (uint64_t)10 << 30;
    assert_true(node_hold_classify_full(ENOSPC, plenty));
    assert_true(node_hold_classify_full(EDQUOT, plenty));
    assert_true(node_hold_classify_full(EFBIG, plenty));
    /* LMDB reports a write cut short by a full disk as EIO. */
    assert_true(node_hold_classify_full(EIO, 0));
    assert_true(node_hold_classify_full(EIO, 4096));
    assert_false(node_hold_classify_full(EIO, plenty));
    assert_false(node_hold_classify_full(EIO, UINT64_MAX)); /* free space unknown */
    assert_false(node_hold_classify_full(0, plenty));
}

static void status_says_ok_full_or_the_error(void **state)
{
    (void)state;
    struct node_hold *h = calloc(1, sizeof *h);
    assert_non_null(h);
    char buf[256];
    assert_string_equal(node_hold_state(h, buf, sizeof buf), "ok");
    h->held = true;
    h->full = true;
    snprintf(h->error, sizeof h->error, "append block: No space left on device");
    assert_string_equal(node_hold_state(h, buf, sizeof buf), "full");
    h->full = false;
    snprintf(h->error, sizeof h->error, "append block: Input/output error");
    assert_string_equal(node_hold_state(h, buf, sizeof buf),
                        "error: append block: Input/output error");
    h->held = false;
    assert_string_equal(node_hold_state(h, buf, sizeof buf), "ok");
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(disk_errors_are_faults_and_block_errors_are_not),
        cmocka_unit_test(out_of_space_errors_and_an_empty_file_system_mean_full),
        cmocka_unit_test(status_says_ok_full_or_the_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
