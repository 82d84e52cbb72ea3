/* What the benchmark reads from the system: node CPU time and memory from
 * /proc, bytes on disk, the wall time of a spawned command, and this
 * machine's Ed25519 verification rate. */
#include <fcntl.h>
#include <dirent.h>
#include <sodium.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/lg.h"
#include "common/wb_error.h"

extern char **environ;

int lg_proc_cpu(pid_t pid, struct lg_cpu *out)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return WB_ERR_NOT_FOUND;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces: fields count from the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p) return WB_ERR_DECODE;
    unsigned long utime = 0, stime = 0;
    /* After ")": state(3) ... utime is field 14, stime 15. */
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) !=
        2)
        return WB_ERR_DECODE;
    double hz = (double)sysconf(_SC_CLK_TCK);
    out->user_s = (double)utime / hz;
    out->sys_s = (double)stime / hz;
    return WB_OK;
}

int lg_proc_mem(pid_t pid, uint64_t *hwm_kb, uint64_t *rss_kb, uint64_t *anon_kb)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return WB_ERR_NOT_FOUND;
    *hwm_kb = *rss_kb = *anon_kb = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long v;
        if (sscanf(line, "VmHWM: %llu", &v) == 1) *hwm_kb = v;
        else if (sscanf(line, "VmRSS: %llu", &v) == 1) *rss_kb = v;
        else if (sscanf(line, "RssAnon: %llu", &v) == 1) *anon_kb = v;
    }
    fclose(f);
    return WB_OK;
}

int lg_proc_sched(pid_t pid, double *run_s, double *wait_s)
{
    char path[64];
    *run_s = *wait_s = 0;
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d) return WB_ERR_NOT_FOUND;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
        char file[320];
        snprintf(file, sizeof file, "/proc/%d/task/%s/schedstat", (int)pid, de->d_name);
        FILE *f = fopen(file, "r");
        if (!f) continue;
        unsigned long long run = 0, wait = 0;
        if (fscanf(f, "%llu %llu", &run, &wait) == 2) {
            *run_s += (double)run / 1e9;
            *wait_s += (double)wait / 1e9;
        }
        fclose(f);
    }
    closedir(d);
    return WB_OK;
}

int lg_sys_cpu(struct lg_sys_cpu *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return WB_ERR_NOT_FOUND;
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n < 8) return WB_ERR_DECODE;
    double hz = (double)sysconf(_SC_CLK_TCK);
    out->busy_s = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / hz;
    out->idle_s = (double)(v[3] + v[4]) / hz;
    out->steal_s = (double)v[7] / hz;
    return WB_OK;
}

/* Adds the blocks and sizes under dir (at most `depth` levels down). */
static int du_walk(int fd_dir, uint64_t *alloc, uint64_t *apparent, int depth)
{
    DIR *d = fdopendir(fd_dir);
    if (!d) {
        close(fd_dir);
        return WB_ERR_IO;
    }
    int rc = WB_OK;
    struct dirent *de;
    while (rc == WB_OK && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = WB_ERR_IO;
            break;
        }
        *alloc += (uint64_t)st.st_blocks * 512u;
        if (S_ISREG(st.st_mode)) *apparent += (uint64_t)st.st_size;
        if (S_ISDIR(st.st_mode) && depth > 0) {
            int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            rc = fd < 0 ? WB_ERR_IO : du_walk(fd, alloc, apparent, depth - 1);
        }
    }
    closedir(d);
    return rc;
}

int lg_du(const char *path, uint64_t *alloc_bytes, uint64_t *apparent_bytes)
{
    *alloc_bytes = *apparent_bytes = 0;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return WB_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) == 0) *alloc_bytes += (uint64_t)st.st_blocks * 512u;
    return du_walk(fd, alloc_bytes, apparent_bytes, 8);
}

double lg_fsync_probe(const char *dir, int rounds)
{
    char path[4200];
    snprintf(path, sizeof path, "%.4000s/.fsync-probe", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    uint8_t block[4096];
    memset(block, 0x5a, sizeof block);
    double ms[64];
    if (rounds > 64) rounds = 64;
    int done = 0;
    /* The first write allocates the block; the timed ones overwrite it. */
    if (pwrite(fd, block, sizeof block, 0) == (ssize_t)sizeof block && fdatasync(fd) == 0)
        for (; done < rounds; done++) {
            int64_t t0 = lg_now_ns();
            if (pwrite(fd, block, sizeof block, 0) != (ssize_t)sizeof block || fdatasync(fd) != 0)
                break;
            ms[done] = (double)(lg_now_ns() - t0) / 1e6;
        }
    close(fd);
    unlink(path);
    return done ? lg_percentile(ms, (size_t)done, 50) : -1;
}

int lg_spawn_timed(char *const argv[], double *wall_s)
{
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) return -1;
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int64_t t0 = lg_now_ns();
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    int status;
    if (waitpid(pid, &status, 0) != pid) return -1;
    *wall_s = (double)(lg_now_ns() - t0) / 1e9;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

double lg_verify_rate(size_t msg_len, double seconds, int windows)
{
    if (windows < 1) windows = 1;
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    unsigned char sig[crypto_sign_BYTES];
    unsigned char *msg = malloc(msg_len);
    if (!msg) return 0;
    randombytes_buf(msg, msg_len);
    if (crypto_sign_keypair(pk, sk) != 0 ||
        crypto_sign_detached(sig, NULL, msg, msg_len, sk) != 0) {
        free(msg);
        return 0;
    }
    /* Warm up, then count whole batches in several windows and keep the
     * best: other work on the machine only ever slows a window down. */
    for (int i = 0; i < 200; i++)
        if (crypto_sign_verify_detached(sig, msg, msg_len, pk) != 0) goto bad;
    double best = 0;
    for (int w = 0; w < windows; w++) {
        uint64_t done = 0;
        int64_t t0 = lg_now_ns(), until = t0 + (int64_t)(seconds / windows * 1e9), now;
        do {
            for (int i = 0; i < 64; i++)
                if (crypto_sign_verify_detached(sig, msg, msg_len, pk) != 0) goto bad;
            done += 64;
            now = lg_now_ns();
        } while (now < until);
        double rate = (double)done / ((double)(now - t0) / 1e9);
        if (rate > best) best = rate;
    }
    sodium_memzero(sk, sizeof sk);
    free(msg);
    return best;
bad:
    sodium_memzero(sk, sizeof sk);
    free(msg);
    return 0;
}
