/*
 * alloc.c - 64-byte aligned allocation (memcom_malloc / memcom_free) and the
 * bucket hash.  The allocation stores the offset to the raw block just before
 * the aligned pointer, so it works with any malloc (including emmalloc).
 */
#include "base.h"

#include <stdlib.h>
#include <string.h>

void *memcom_malloc(size_t size)
{
    if (size > SIZE_MAX - MC_ALIGN) return NULL;
    uint8_t *raw = (uint8_t *)malloc(size + MC_ALIGN);
    if (!raw) return NULL;
    uintptr_t a = ((uintptr_t)raw + MC_ALIGN) & ~(uintptr_t)(MC_ALIGN - 1u);
    uint8_t *p = (uint8_t *)a;               /* at least 1, at most 64 bytes above raw */
    p[-1] = (uint8_t)(p - raw);              /* 1..64 fits in a byte */
    return p;
}

void *mcc_malloc_touched(size_t size)
{
    void *p = memcom_malloc(size);
    if (p) memset(p, 0, size);
    return p;
}

void memcom_free(void *ptr)
{
    if (!ptr) return;
    uint8_t *p = (uint8_t *)ptr;
    free(p - p[-1]);
}

uint32_t memcom_hash_bucket(uint32_t i, uint64_t seed, uint32_t m)
{
    if (m == 0) return 0;
    return (uint32_t)(mcc_splitmix64((uint64_t)i + seed) % m);
}
