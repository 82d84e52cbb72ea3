/* Big-endian integer packing for the fixed binary layouts (keys, signing
 * messages, frame lengths). */
#ifndef WB_BYTES_H
#define WB_BYTES_H

#include <stdint.h>

static inline void wb_put_u32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static inline uint32_t wb_get_u32be(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void wb_put_u64be(uint8_t *p, uint64_t v)
{
    wb_put_u32be(p, (uint32_t)(v >> 32));
    wb_put_u32be(p + 4, (uint32_t)v);
}

static inline uint64_t wb_get_u64be(const uint8_t *p)
{
    return ((uint64_t)wb_get_u32be(p) << 32) | wb_get_u32be(p + 4);
}

#endif
