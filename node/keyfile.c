/* Ed25519 key files: generate (mode 0600, never clobbering by accident) and
 * load (refusing files others can touch); see keyfile.h. */
#include "node/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/wb_error.h"

#define SEED_LEN crypto_sign_SEEDBYTES

static void keyfile_msg(char *msg, size_t msg_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void keyfile_msg(char *msg, size_t msg_len, const char *fmt, ...)
{
    if (!msg || msg_len == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msg_len, fmt, ap);
    va_end(ap);
}

int keyfile_generate(const char *path, bool overwrite, uint8_t pk_out[WB_PUBKEY_LEN],
                     char *msg, size_t msg_len)
{
    uint8_t seed[SEED_LEN], sk[WB_SECKEY_LEN];
    char text[2 * SEED_LEN + 2];
    bool placeholder = false;
    int rc;

    if (sodium_init() < 0) {
        keyfile_msg(msg, msg_len, "cannot initialise libsodium");
        return WB_ERR_CRYPTO;
    }
    if (!overwrite) {
        /* Claim the name first: O_EXCL makes "exists" and "create" one step,
         * so a file appearing between a check and the write is never lost.
         * The atomic write below then replaces this empty placeholder. */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            if (errno == EEXIST) {
                keyfile_msg(msg, msg_len, "key file %s already exists; refusing to overwrite it",
                             path);
                return WB_ERR_EXISTS;
            }
            keyfile_msg(msg, msg_len, "cannot create key file %s: %s", path, strerror(errno));
            return WB_ERR_IO;
        }
        close(fd);
        placeholder = true;
    }

    randombytes_buf(seed, sizeof seed);
    if (crypto_sign_seed_keypair(pk_out, sk, seed) != 0) {
        keyfile_msg(msg, msg_len, "cannot derive an Ed25519 key pair");
        rc = WB_ERR_CRYPTO;
        goto err_remove_placeholder;
    }
    sodium_bin2hex(text, sizeof text, seed, sizeof seed); /* constant time, like the decode */
    text[2 * SEED_LEN] = '\n';
    rc = wb_write_file(path, text, KEYFILE_LEN, 0600);
    if (rc != WB_OK) {
        keyfile_msg(msg, msg_len, "cannot write key file %s: %s", path,
                     rc == WB_ERR_IO ? strerror(errno) : wb_strerror(rc));
        goto err_remove_placeholder;
    }
    rc = WB_OK;
    goto wipe;

err_remove_placeholder:
    if (placeholder) unlink(path);
    sodium_memzero(pk_out, WB_PUBKEY_LEN);
wipe:
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(text, sizeof text);
    return rc;
}

/* The word for which group/other bits are set, for the refusal message. */
static const char *keyfile_exposure(mode_t mode)
{
    if (mode & (S_IRGRP | S_IROTH)) return "readable";
    if (mode & (S_IWGRP | S_IWOTH)) return "writable";
    return "accessible";
}

int keyfile_load(const char *path, uint8_t pk[WB_PUBKEY_LEN], uint8_t sk[WB_SECKEY_LEN],
                 char *msg, size_t msg_len)
{
    /* Room for a little more than a key file, to tell "too long" apart. */
    char text[KEYFILE_LEN + 8];
    uint8_t seed[SEED_LEN];
    size_t got = 0;
    int rc;

    sodium_memzero(pk, WB_PUBKEY_LEN);
    sodium_memzero(sk, WB_SECKEY_LEN);
    if (sodium_init() < 0) {
        keyfile_msg(msg, msg_len, "cannot initialise libsodium");
        return WB_ERR_CRYPTO;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            keyfile_msg(msg, msg_len, "key file %s not found", path);
            return WB_ERR_NOT_FOUND;
        }
        keyfile_msg(msg, msg_len, "cannot open key file %s: %s", path, strerror(errno));
        return WB_ERR_IO;
    }
    /* Checks run on the open descriptor, so they describe the very file read. */
    struct stat st;
    if (fstat(fd, &st) != 0) {
        keyfile_msg(msg, msg_len, "cannot stat key file %s: %s", path, strerror(errno));
        rc = WB_ERR_IO;
        goto err_close;
    }
    if (!S_ISREG(st.st_mode)) {
        keyfile_msg(msg, msg_len, "key file %s is not a regular file", path);
        rc = WB_ERR_INVALID;
        goto err_close;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        keyfile_msg(msg, msg_len,
                     "key file %s is %s by group or others (mode %04o); run chmod 600 %s",
                     path, keyfile_exposure(st.st_mode), (unsigned)(st.st_mode & 07777),
                     path);
        rc = WB_ERR_PERMISSION;
        goto err_close;
    }
    while (got < sizeof text) {
        ssize_t r = read(fd, text + got, sizeof text - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            keyfile_msg(msg, msg_len, "cannot read key file %s: %s", path, strerror(errno));
            rc = WB_ERR_IO;
            goto err_wipe;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    close(fd);
    fd = -1;

    size_t hex_len = got;
    if (hex_len == KEYFILE_LEN && text[KEYFILE_LEN - 1] == '\n') hex_len--;
    if (hex_len != 2 * SEED_LEN) {
        keyfile_msg(msg, msg_len,
                     "key file %s: expected 64 hex characters and a newline, got %s%zu bytes",
                     path, got == sizeof text ? "at least " : "", got);
        rc = WB_ERR_DECODE;
        goto err_wipe;
    }
    text[hex_len] = '\0';
    /* sodium_hex2bin runs in time independent of the digits' values, so
     * decoding the secret leaks nothing of it through timing. It stops at
     * the first non-hex character, which hex_end then points at. */
    size_t seed_len = 0;
    const char *hex_end = NULL;
    if (sodium_hex2bin(seed, sizeof seed, text, hex_len, NULL, &seed_len, &hex_end) != 0 ||
        seed_len != sizeof seed || hex_end != text + hex_len) {
        size_t bad = hex_end && hex_end >= text ? (size_t)(hex_end - text) : 0;
        keyfile_msg(msg, msg_len,
                     "key file %s: expected 64 hex characters and a newline, found a "
                     "non-hex character at offset %zu",
                     path, bad);
        rc = WB_ERR_DECODE;
        goto err_wipe;
    }
    if (crypto_sign_seed_keypair(pk, sk, seed) != 0) {
        keyfile_msg(msg, msg_len, "key file %s: cannot derive an Ed25519 key pair", path);
        rc = WB_ERR_CRYPTO;
        goto err_wipe;
    }
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(text, sizeof text);
    return WB_OK;

err_close:
    close(fd);
    return rc;
err_wipe:
    if (fd >= 0) close(fd);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(text, sizeof text);
    sodium_memzero(pk, WB_PUBKEY_LEN);
    sodium_memzero(sk, WB_SECKEY_LEN);
    return rc;
}
