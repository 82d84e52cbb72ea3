/* SHA-256: libsodium's portable code, a compression function on the x86-64
 * SHA extensions with its own block buffering and padding, and the run-time
 * choice between them. */
#include "ledger/sha256.h"

#include <sodium.h>
#include <string.h>

#include "common/bytes.h"
#include "common/wb_assert.h"
#include "ledger/sha256_impl.h"

/* SHA-NI needs a compiler with the intrinsics and function-level target
 * attributes, so the rest of the build keeps its flags. */
#if defined(__x86_64__) && (defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 5))
#define SHA256_HAVE_SHANI 1
#include <immintrin.h>
#define SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))
#if !defined(__clang__) && __GNUC__ >= 12
/* gcc 12 knows "sha" in __builtin_cpu_supports: a load and a bit test of
 * what libgcc read from CPUID at start-up. */
#define SHA256_CPU_BUILTIN 1
#else
/* clang (through 14 at least) rejects "sha" there, so ask CPUID ourselves. */
#include <cpuid.h>
#include <stdatomic.h>
#endif
#endif

/* ---- SHA-NI ------------------------------------------------------------------- */

#ifdef SHA256_HAVE_SHANI

/* FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of
 * the cube roots of the first 64 primes. */
static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

/* Rounds 4g..4g+3 with message words w = W[4g..4g+3] (word i in lane i).
 * SHA256RNDS2 does two rounds on the state split as ABEF and CDGH (A in the
 * top lane) with W+K for those rounds in the low two lanes of its third
 * operand, and returns the new ABEF; the new CDGH is the old ABEF. So the
 * second call takes the registers in swapped roles and leaves them named
 * correctly again. */
SHANI_TARGET static inline void shani_rounds4(__m128i *abef, __m128i *cdgh, __m128i w,
                                              unsigned g)
{
    __m128i wk = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)(const void *)&sha256_k[4 * g]));
    *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, wk);
    *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32(wk, 0x0E));
}

/* W[t..t+3] from the previous sixteen words m0 = W[t-16..t-13] .. m3 =
 * W[t-4..t-1]: SHA256MSG1 adds sigma0(W[t-15+i]) to W[t-16+i], the
 * W[t-7+i] term is m3:m2 shifted by one word, and SHA256MSG2 adds
 * sigma1(W[t-2+i]), taking W[t-2], W[t-1] from m3 and the first two new
 * words for the last two. */
SHANI_TARGET static inline __m128i shani_schedule(__m128i m0, __m128i m1, __m128i m2,
                                                  __m128i m3)
{
    __m128i t = _mm_sha256msg1_epu32(m0, m1);
    t = _mm_add_epi32(t, _mm_alignr_epi8(m3, m2, 4));
    return _mm_sha256msg2_epu32(t, m3);
}

/* Runs the compression function over n whole 64-byte blocks. */
SHANI_TARGET static void shani_compress(uint32_t state[8], const uint8_t *blocks, size_t n)
{
    /* Byte order within each 32-bit lane reversed: message words are big-endian. */
    const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    __m128i lo = _mm_loadu_si128((const __m128i *)(const void *)&state[0]);  /* a b c d */
    __m128i hi = _mm_loadu_si128((const __m128i *)(const void *)&state[4]);  /* e f g h */
    lo = _mm_shuffle_epi32(lo, 0x1B);                                         /* d c b a */
    hi = _mm_shuffle_epi32(hi, 0x1B);                                         /* h g f e */
    __m128i abef = _mm_unpackhi_epi64(hi, lo);                                /* f e b a */
    __m128i cdgh = _mm_unpacklo_epi64(hi, lo);                                /* h g d c */

    for (size_t b = 0; b < n; b++, blocks += LEDGER_SHA256_BLOCK_LEN) {
        const __m128i abef_in = abef, cdgh_in = cdgh;
        __m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)blocks), bswap);
        __m128i m1 = _mm_shuffle_epi8(
            _mm_loadu_si128((const __m128i *)(const void *)(blocks + 16)), bswap);
        __m128i m2 = _mm_shuffle_epi8(
            _mm_loadu_si128((const __m128i *)(const void *)(blocks + 32)), bswap);
        __m128i m3 = _mm_shuffle_epi8(
            _mm_loadu_si128((const __m128i *)(const void *)(blocks + 48)), bswap);
        shani_rounds4(&abef, &cdgh, m0, 0);
        shani_rounds4(&abef, &cdgh, m1, 1);
        shani_rounds4(&abef, &cdgh, m2, 2);
        shani_rounds4(&abef, &cdgh, m3, 3);
        /* The four registers rotate: each new group replaces the oldest. */
        for (unsigned g = 4; g < 16; g += 4) {
            m0 = shani_schedule(m0, m1, m2, m3);
            shani_rounds4(&abef, &cdgh, m0, g);
            m1 = shani_schedule(m1, m2, m3, m0);
            shani_rounds4(&abef, &cdgh, m1, g + 1);
            m2 = shani_schedule(m2, m3, m0, m1);
            shani_rounds4(&abef, &cdgh, m2, g + 2);
            m3 = shani_schedule(m3, m0, m1, m2);
            shani_rounds4(&abef, &cdgh, m3, g + 3);
        }
        abef = _mm_add_epi32(abef, abef_in);
        cdgh = _mm_add_epi32(cdgh, cdgh_in);
    }

    lo = _mm_shuffle_epi32(_mm_unpackhi_epi64(cdgh, abef), 0x1B);            /* a b c d */
    hi = _mm_shuffle_epi32(_mm_unpacklo_epi64(cdgh, abef), 0x1B);            /* e f g h */
    _mm_storeu_si128((__m128i *)(void *)&state[0], lo);
    _mm_storeu_si128((__m128i *)(void *)&state[4], hi);
}

#ifdef SHA256_CPU_BUILTIN
static bool cpu_has_shani(void)
{
    return __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1") &&
           __builtin_cpu_supports("ssse3");
}
#else
/* CPUID traps to the hypervisor on a virtual machine (about 18 us on the
 * development VM), so its answer is kept: 0 = not asked yet, 1 = no SHA-NI,
 * 2 = SHA-NI. This is the one written file-scope variable of ledger/ (in
 * clang builds only; gcc's builtin reads what libgcc asked at start-up), and
 * it is a constant of the machine, not state: written at most once, by an
 * atomic compare-and-swap, with the answer every caller would compute, so
 * racing first callers on any threads agree and no result of the ledger
 * depends on who asked first (both implementations hash alike). */
static atomic_uchar shani_cpuid_answer;

static bool cpu_has_shani(void)
{
    unsigned char answer = atomic_load_explicit(&shani_cpuid_answer, memory_order_relaxed);
    if (answer == 0) {
        unsigned a, b, c, d;
        bool yes = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3) && (c & bit_SSE4_1) &&
                   __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
        unsigned char expected = 0;
        answer = yes ? 2 : 1;
        atomic_compare_exchange_strong_explicit(&shani_cpuid_answer, &expected, answer,
                                                memory_order_relaxed, memory_order_relaxed);
    }
    return answer == 2;
}
#endif

#endif /* SHA256_HAVE_SHANI */

/* ---- block buffering and padding for the SHA-NI path ------------------------------ */

/* FIPS 180-4 section 5.3.3. */
static const uint32_t sha256_h0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static void blocks_compress(uint32_t state[8], const uint8_t *blocks, size_t n)
{
#ifdef SHA256_HAVE_SHANI
    shani_compress(state, blocks, n);
#else
    /* Contexts are only ever set to SHA-NI where this build has it. */
    (void)state;
    (void)blocks;
    (void)n;
    WB_ASSERT(!"SHA-NI context in a build without SHA-NI");
#endif
}

static void blocks_init(struct ledger_sha256_ctx *ctx)
{
    memcpy(ctx->u.shani.state, sha256_h0, sizeof sha256_h0);
    ctx->u.shani.len = 0;
}

static void blocks_update(struct ledger_sha256_ctx *ctx, const uint8_t *data, size_t len)
{
    uint8_t *buf = ctx->u.shani.buf;
    size_t used = (size_t)(ctx->u.shani.len % LEDGER_SHA256_BLOCK_LEN);
    WB_ASSERT(len <= LEDGER_SHA256_INPUT_MAX - ctx->u.shani.len);
    ctx->u.shani.len += len;
    if (used) {
        size_t take = LEDGER_SHA256_BLOCK_LEN - used;
        if (take > len) take = len;
        memcpy(buf + used, data, take);
        data += take;
        len -= take;
        if (used + take < LEDGER_SHA256_BLOCK_LEN) return;
        blocks_compress(ctx->u.shani.state, buf, 1);
    }
    /* Whole blocks straight from the input, no copy. */
    size_t n = len / LEDGER_SHA256_BLOCK_LEN;
    if (n) {
        blocks_compress(ctx->u.shani.state, data, n);
        data += n * LEDGER_SHA256_BLOCK_LEN;
        len -= n * LEDGER_SHA256_BLOCK_LEN;
    }
    if (len) memcpy(buf, data, len);
}

/* FIPS 180-4 section 5.1.1: 0x80, zeros to 56 mod 64, the length in bits
 * as a big-endian 64-bit integer. */
static void blocks_final(struct ledger_sha256_ctx *ctx, uint8_t out[WB_HASH_LEN])
{
    uint8_t *buf = ctx->u.shani.buf;
    size_t used = (size_t)(ctx->u.shani.len % LEDGER_SHA256_BLOCK_LEN);
    buf[used++] = 0x80;
    if (used > LEDGER_SHA256_BLOCK_LEN - 8) {
        memset(buf + used, 0, LEDGER_SHA256_BLOCK_LEN - used);
        blocks_compress(ctx->u.shani.state, buf, 1);
        used = 0;
    }
    memset(buf + used, 0, LEDGER_SHA256_BLOCK_LEN - 8 - used);
    wb_put_u64be(buf + LEDGER_SHA256_BLOCK_LEN - 8, ctx->u.shani.len << 3);
    blocks_compress(ctx->u.shani.state, buf, 1);
    for (size_t i = 0; i < 8; i++) wb_put_u32be(out + 4 * i, ctx->u.shani.state[i]);
}

/* ---- dispatch ------------------------------------------------------------------- */

bool ledger__sha256_supported(enum ledger_sha256_impl impl)
{
    switch (impl) {
    case LEDGER_SHA256_PORTABLE:
        return true;
    case LEDGER_SHA256_SHANI:
#ifdef SHA256_HAVE_SHANI
        return cpu_has_shani();
#else
        return false;
#endif
    }
    return false;
}

enum ledger_sha256_impl ledger__sha256_default(void)
{
    return ledger__sha256_supported(LEDGER_SHA256_SHANI) ? LEDGER_SHA256_SHANI
                                                        : LEDGER_SHA256_PORTABLE;
}

static void init_on(struct ledger_sha256_ctx *ctx, enum ledger_sha256_impl impl)
{
    ctx->impl = impl;
    if (impl == LEDGER_SHA256_SHANI) {
        blocks_init(ctx);
        return;
    }
    int rc = crypto_hash_sha256_init(&ctx->u.portable);
    WB_ASSERT(rc == 0);
}

static void oneshot_on(enum ledger_sha256_impl impl, const uint8_t *data, size_t len,
                       uint8_t out[WB_HASH_LEN])
{
    if (impl == LEDGER_SHA256_SHANI) {
        struct ledger_sha256_ctx ctx;
        init_on(&ctx, impl);
        ledger_sha256_update(&ctx, data, len);
        ledger_sha256_final(&ctx, out);
        return;
    }
    /* libsodium wants a real pointer even for no bytes. */
    static const uint8_t empty[1];
    int rc = crypto_hash_sha256(out, len ? data : empty, len);
    WB_ASSERT(rc == 0);
}

void ledger__sha256_init_impl(struct ledger_sha256_ctx *ctx, enum ledger_sha256_impl impl)
{
    WB_ASSERT(ledger__sha256_supported(impl));
    init_on(ctx, impl);
}

void ledger__sha256_impl(enum ledger_sha256_impl impl, const uint8_t *data, size_t len,
                         uint8_t out[WB_HASH_LEN])
{
    WB_ASSERT(ledger__sha256_supported(impl));
    oneshot_on(impl, data, len, out);
}

void ledger_sha256(const uint8_t *data, size_t len, uint8_t out[WB_HASH_LEN])
{
    oneshot_on(ledger__sha256_default(), data, len, out);
}

void ledger_sha256_init(struct ledger_sha256_ctx *ctx)
{
    init_on(ctx, ledger__sha256_default());
}

void ledger_sha256_update(struct ledger_sha256_ctx *ctx, const uint8_t *data, size_t len)
{
    if (len == 0) return;
    if (ctx->impl == LEDGER_SHA256_SHANI) {
        blocks_update(ctx, data, len);
        return;
    }
    int rc = crypto_hash_sha256_update(&ctx->u.portable, data, len);
    WB_ASSERT(rc == 0);
}

void ledger_sha256_final(struct ledger_sha256_ctx *ctx, uint8_t out[WB_HASH_LEN])
{
    if (ctx->impl == LEDGER_SHA256_SHANI) {
        blocks_final(ctx, out);
        return;
    }
    int rc = crypto_hash_sha256_final(&ctx->u.portable, out);
    WB_ASSERT(rc == 0);
}
