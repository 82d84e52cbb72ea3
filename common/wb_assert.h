/* Assertions for programmer errors (broken invariants), never for bad input.
 * Still evaluated under NDEBUG. Tests may redirect failures through
 * wb_assert_set_handler() to check that an invariant is enforced. */
#ifndef WB_ASSERT_H
#define WB_ASSERT_H

typedef void (*wb_assert_handler)(const char *expr, const char *file, int line);

/* Replace the handler (NULL restores the default: print and abort). */
void wb_assert_set_handler(wb_assert_handler h);
void wb__assert_fail(const char *expr, const char *file, int line);

#define WB_ASSERT(expr) \
    ((expr) ? (void)0 : wb__assert_fail(#expr, __FILE__, __LINE__))

#endif
