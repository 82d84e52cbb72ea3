/* Assertion failure path; see wb_assert.h. */
#include "common/wb_assert.h"

#include <stdio.h>
#include <stdlib.h>

static wb_assert_handler assert_handler;

void wb_assert_set_handler(wb_assert_handler h) { assert_handler = h; }

void wb__assert_fail(const char *expr, const char *file, int line)
{
    if (assert_handler) {
        assert_handler(expr, file, line);
        return;
    }
    fprintf(stderr, "assertion failed: %s (%s:%d)\n", expr, file, line);
    abort();
}
