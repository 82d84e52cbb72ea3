/* Whole-file reads and atomic writes (temp file + fsync + rename). */
#ifndef WB_FILE_H
#define WB_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/wb_error.h"

/* Reads all of `path` (at most `max` bytes, else WB_ERR_TOO_LARGE) into a
 * malloc'd buffer with a NUL appended (not counted in *len). The caller frees
 * *out. Returns 0, WB_ERR_NOT_FOUND, WB_ERR_IO, WB_ERR_TOO_LARGE or WB_ERR_NOMEM. */
WB_MUST_USE int wb_read_file(const char *path, size_t max, uint8_t **out, size_t *len);

/* Writes `data` to `path` with permission bits `mode`, atomically: a crash
 * leaves either the old file or the whole new one. Returns 0 or WB_ERR_IO. */
WB_MUST_USE int wb_write_file(const char *path, const void *data, size_t len, mode_t mode);

#endif
