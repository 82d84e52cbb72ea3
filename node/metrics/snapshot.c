/* The board the loop publishes its snapshot on (snapshot.h). */
#include "node/metrics/snapshot.h"

#include <string.h>

#include "common/wb_assert.h"

int metrics_board_init(struct metrics_board *b)
{
    memset(&b->snap, 0, sizeof b->snap);
    return pthread_mutex_init(&b->lock, NULL) == 0 ? WB_OK : WB_ERR_NOMEM;
}

/* A mutex that fails to lock or unlock (EINVAL, EDEADLK) is a programmer
 * error: the board was not initialised or is locked twice. */
void metrics_board_publish(struct metrics_board *b, const struct metrics_snapshot *s)
{
    WB_ASSERT(pthread_mutex_lock(&b->lock) == 0);
    memcpy(&b->snap, s, sizeof b->snap);
    WB_ASSERT(pthread_mutex_unlock(&b->lock) == 0);
}

void metrics_board_read(struct metrics_board *b, struct metrics_snapshot *out)
{
    WB_ASSERT(pthread_mutex_lock(&b->lock) == 0);
    memcpy(out, &b->snap, sizeof *out);
    WB_ASSERT(pthread_mutex_unlock(&b->lock) == 0);
}

void metrics_board_destroy(struct metrics_board *b)
{
    WB_ASSERT(pthread_mutex_destroy(&b->lock) == 0);
}
