/* The consensus safety record file (safety.rec): two alternating checksummed
 * slots, each put one pwrite and one fdatasync. Knows only a file
 * descriptor; the store (store_meta.c) wraps it for store_safety_put/get and
 * records write failures. */
#ifndef STORAGE_SAFETY_FILE_H
#define STORAGE_SAFETY_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"

#define SAFETY_FILE_NAME "safety.rec"
/* One slot: a header, the checksum and the record. */
#define SAFETY_FILE_SLOT 4096
/* Record bytes at most (= STORE_SAFETY_MAX). */
#define SAFETY_FILE_RECORD_MAX 4000

struct safety_file {
    int fd;                     /* -1 when closed */
    uint64_t seq;               /* sequence number of the record last put; 0 = none */
};

/* Opens (creating it at its full size, zeroed, if missing or short) the file
 * `dir`/safety.rec and reads the sequence number of its newest record.
 * Returns 0, WB_ERR_INVALID (path too long), WB_ERR_IO, WB_ERR_STORE (no slot
 * passes its checksum) or WB_ERR_NOMEM; on failure f->fd is -1. */
WB_MUST_USE int safety_file_open(struct safety_file *f, const char *dir);

/* Closes the file (no-op when not open). */
void safety_file_close(struct safety_file *f);

/* Writes rec (1..SAFETY_FILE_RECORD_MAX bytes) into the slot that does not
 * hold the current record and syncs it. Returns 0, WB_ERR_INVALID,
 * WB_ERR_TOO_LARGE, WB_ERR_STORE (sequence exhausted) or WB_ERR_IO; on
 * WB_ERR_IO *sys_err is the errno value and *what names the step ("write
 * the safety record", "sync the safety record"). */
WB_MUST_USE int safety_file_put(struct safety_file *f, const uint8_t *rec, size_t len, int *sys_err,
                                const char **what);

/* The record last put (*out malloc'd, caller frees); WB_ERR_NOT_FOUND if none,
 * WB_ERR_STORE if neither slot passes its checksum, WB_ERR_IO, WB_ERR_NOMEM. */
WB_MUST_USE int safety_file_get(const struct safety_file *f, uint8_t **out, size_t *len);

#endif
