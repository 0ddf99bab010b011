/* hash.h: FNV-1a 64, the project's checksum of bytes it wrote itself (checkpoints, run ids).
 * Not a defence against a deliberate forgery, only against truncation and corruption. */
#ifndef ST_HASH_H
#define ST_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV_OFFSET 0xcbf29ce484222325ULL

/* Continues hash h over n bytes at p; start with HASH_FNV_OFFSET. */
static inline uint64_t hash_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

#endif
