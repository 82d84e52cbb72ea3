/* File helpers; see file.h. */
#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/wb_error.h"

int wb_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? WB_ERR_NOT_FOUND : WB_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0) goto err_close;
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return WB_ERR_TOO_LARGE;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *buf = malloc(size + 1);
    if (!buf) {
        close(fd);
        return WB_ERR_NOMEM;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            free(buf);
            goto err_close;
        }
        got += (size_t)r;
    }
    close(fd);
    buf[size] = 0;
    *out = buf;
    *len = size;
    return WB_OK;
err_close:
    close(fd);
    return WB_ERR_IO;
}

int wb_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
        return WB_ERR_INVALID;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return WB_ERR_IO;
    if (fchmod(fd, mode) != 0) goto err_unlink;
    const uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) goto err_unlink;
        done += (size_t)w;
    }
    if (fsync(fd) != 0) goto err_unlink;
    if (close(fd) != 0) {
        unlink(tmp);
        return WB_ERR_IO;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return WB_ERR_IO;
    }
    return WB_OK;
err_unlink:
    close(fd);
    unlink(tmp);
    return WB_ERR_IO;
}
