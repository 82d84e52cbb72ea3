/* The consensus safety record in its own small file (safety.rec): two
 * alternating checksummed slots, each put one pwrite and one fdatasync.
 * Knows the file only, not the store (safety_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/log.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "storage/safety_file.h"

/* Slot layout (SAFETY_FILE_SLOT bytes, the rest zero):
 *   magic "WBS1" | seq u64 BE | len u32 BE | BLAKE2b-256 of (bytes 0..15 || record) | record
 * A put writes the slot its sequence number selects (seq % 2), so the slot
 * holding the record last put is never overwritten by the next put: a write
 * torn by a crash fails its checksum and the other slot still holds the
 * previous record, the one in force, since the torn put never returned. */
#define SAFETY_MAGIC "WBS1"
#define SAFETY_SUM_LEN 32
#define SAFETY_HEAD_LEN (4 + 8 + 4)
#define SAFETY_DATA_OFF (SAFETY_HEAD_LEN + SAFETY_SUM_LEN)
#define SAFETY_SLOTS 2
#define SAFETY_FILE_LEN (SAFETY_SLOTS * SAFETY_FILE_SLOT)

_Static_assert(SAFETY_DATA_OFF + SAFETY_FILE_RECORD_MAX <= SAFETY_FILE_SLOT,
               "a record of SAFETY_FILE_RECORD_MAX bytes fits a slot");

/* What one slot holds. */
enum safety_slot_state { SAFETY_SLOT_BLANK, SAFETY_SLOT_VALID, SAFETY_SLOT_BAD };

static void safety_sum(const uint8_t *slot, size_t len, uint8_t out[SAFETY_SUM_LEN])
{
    crypto_generichash_state st;
    int rc = crypto_generichash_init(&st, NULL, 0, SAFETY_SUM_LEN);
    rc |= crypto_generichash_update(&st, slot, SAFETY_HEAD_LEN);
    rc |= crypto_generichash_update(&st, slot + SAFETY_DATA_OFF, len);
    rc |= crypto_generichash_final(&st, out, SAFETY_SUM_LEN);
    WB_ASSERT(rc == 0);
}

static enum safety_slot_state safety_slot_parse(const uint8_t *slot, uint64_t *seq,
                                                size_t *len)
{
    static const uint8_t zero[SAFETY_FILE_SLOT];
    if (memcmp(slot, zero, sizeof zero) == 0) return SAFETY_SLOT_BLANK;
    if (memcmp(slot, SAFETY_MAGIC, 4) != 0) return SAFETY_SLOT_BAD;
    uint64_t s = wb_get_u64be(slot + 4);
    uint32_t n = wb_get_u32be(slot + 12);
    if (s == 0 || n == 0 || n > SAFETY_FILE_RECORD_MAX) return SAFETY_SLOT_BAD;
    uint8_t sum[SAFETY_SUM_LEN];
    safety_sum(slot, n, sum);
    if (sodium_memcmp(sum, slot + SAFETY_HEAD_LEN, SAFETY_SUM_LEN) != 0) return SAFETY_SLOT_BAD;
    *seq = s;
    *len = n;
    return SAFETY_SLOT_VALID;
}

static int safety_read_all(const struct safety_file *f, uint8_t buf[SAFETY_FILE_LEN])
{
    size_t got = 0;
    while (got < SAFETY_FILE_LEN) {
        ssize_t r = pread(f->fd, buf + got, SAFETY_FILE_LEN - got, (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            WB_ERROR("store", "cannot read the safety record: %s", strerror(errno));
            return WB_ERR_IO;
        }
        if (r == 0) {
            WB_ERROR("store", "safety record file is %zu bytes, expected %d", got,
                     SAFETY_FILE_LEN);
            return WB_ERR_STORE;
        }
        got += (size_t)r;
    }
    return WB_OK;
}

/* The newest valid slot of the file: its index in *slot (or -1 when no
 * record was ever completed) and its sequence number in *seq (0 if none).
 * A file whose slots are neither blank nor valid is corrupt: WB_ERR_STORE. */
static int safety_newest(const struct safety_file *f, uint8_t buf[SAFETY_FILE_LEN], int *slot,
                         uint64_t *seq, size_t *len)
{
    int rc = safety_read_all(f, buf);
    if (rc) return rc;
    *slot = -1;
    *seq = 0;
    *len = 0;
    int bad = 0;
    for (int i = 0; i < SAFETY_SLOTS; i++) {
        uint64_t q = 0;
        size_t n = 0;
        enum safety_slot_state st = safety_slot_parse(buf + i * SAFETY_FILE_SLOT, &q, &n);
        if (st == SAFETY_SLOT_BAD) bad++;
        if (st == SAFETY_SLOT_VALID && q > *seq) {
            *slot = i;
            *seq = q;
            *len = n;
        }
    }
    if (bad == SAFETY_SLOTS) {
        WB_ERROR("store", "safety record file: no slot passes its checksum");
        return WB_ERR_STORE;
    }
    if (bad) WB_WARN("store", "safety record file: one slot torn, keeping the other");
    return WB_OK;
}

static int safety_write_slot(struct safety_file *f, const uint8_t *rec, size_t len,
                             uint64_t seq, int *sys_err, const char **what)
{
    uint8_t slot[SAFETY_FILE_SLOT];
    memset(slot, 0, sizeof slot);
    memcpy(slot, SAFETY_MAGIC, 4);
    wb_put_u64be(slot + 4, seq);
    wb_put_u32be(slot + 12, (uint32_t)len);
    memcpy(slot + SAFETY_DATA_OFF, rec, len);
    safety_sum(slot, len, slot + SAFETY_HEAD_LEN);
    off_t off = (off_t)(seq % SAFETY_SLOTS) * SAFETY_FILE_SLOT;
    size_t done = 0;
    while (done < sizeof slot) {
        ssize_t w = pwrite(f->fd, slot + done, sizeof slot - done, off + (off_t)done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            *sys_err = errno;
            *what = "write the safety record";
            return WB_ERR_IO;
        }
        done += (size_t)w;
    }
    if (fdatasync(f->fd) != 0) {
        *sys_err = errno;
        *what = "sync the safety record";
        return WB_ERR_IO;
    }
    return WB_OK;
}

int safety_file_put(struct safety_file *f, const uint8_t *rec, size_t len, int *sys_err,
                    const char **what)
{
    if (!f || f->fd < 0 || !rec || len == 0 || !sys_err || !what) return WB_ERR_INVALID;
    if (len > SAFETY_FILE_RECORD_MAX) return WB_ERR_TOO_LARGE;
    if (f->seq == UINT64_MAX) return WB_ERR_STORE;
    int rc = safety_write_slot(f, rec, len, f->seq + 1, sys_err, what);
    if (rc == WB_OK) f->seq++;
    return rc;
}

int safety_file_get(const struct safety_file *f, uint8_t **out, size_t *len)
{
    if (!f || f->fd < 0 || !out || !len) return WB_ERR_INVALID;
    uint8_t *buf = malloc(SAFETY_FILE_LEN);
    if (!buf) return WB_ERR_NOMEM;
    int slot;
    uint64_t seq;
    size_t n;
    int rc = safety_newest(f, buf, &slot, &seq, &n);
    if (rc == WB_OK && slot < 0) rc = WB_ERR_NOT_FOUND;
    if (rc == WB_OK) {
        *out = malloc(n);
        if (!*out) rc = WB_ERR_NOMEM;
        else {
            memcpy(*out, buf + slot * SAFETY_FILE_SLOT + SAFETY_DATA_OFF, n);
            *len = n;
        }
    }
    free(buf);
    return rc;
}

/* Creates the file at its full size, zeroed, and makes the new directory
 * entry durable, when it is missing or shorter (a creation cut short: no
 * record was ever put into a file that never reached its full size). */
static int safety_prepare_file(struct safety_file *f, const char *path, const char *dir)
{
    struct stat st;
    if (fstat(f->fd, &st) != 0) {
        WB_ERROR("store", "cannot stat %s: %s", path, strerror(errno));
        return WB_ERR_IO;
    }
    if (st.st_size >= SAFETY_FILE_LEN) return WB_OK;
    uint8_t *zero = calloc(1, SAFETY_FILE_LEN);
    if (!zero) return WB_ERR_NOMEM;
    ssize_t w = pwrite(f->fd, zero, SAFETY_FILE_LEN, 0);
    free(zero);
    if (w != SAFETY_FILE_LEN) {
        WB_ERROR("store", "cannot initialise %s: %s", path, w < 0 ? strerror(errno) : "short write");
        return WB_ERR_IO;
    }
    if (fsync(f->fd) != 0) {
        WB_ERROR("store", "cannot sync %s: %s", path, strerror(errno));
        return WB_ERR_IO;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) {
        WB_ERROR("store", "cannot sync directory %s: %s", dir, strerror(errno));
        if (dfd >= 0) close(dfd);
        return WB_ERR_IO;
    }
    close(dfd);
    return WB_OK;
}

int safety_file_open(struct safety_file *f, const char *dir)
{
    if (!f || !dir) return WB_ERR_INVALID;
    f->fd = -1;
    f->seq = 0;
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, SAFETY_FILE_NAME) >= sizeof path)
        return WB_ERR_INVALID;
    f->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f->fd < 0) {
        WB_ERROR("store", "cannot open %s: %s", path, strerror(errno));
        return WB_ERR_IO;
    }
    int rc = safety_prepare_file(f, path, dir);
    uint8_t *buf = rc ? NULL : malloc(SAFETY_FILE_LEN);
    if (!rc && !buf) rc = WB_ERR_NOMEM;
    if (!rc) {
        int slot;
        size_t len;
        rc = safety_newest(f, buf, &slot, &f->seq, &len);
    }
    free(buf);
    if (rc) safety_file_close(f);
    return rc;
}

void safety_file_close(struct safety_file *f)
{
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
}
