/* carve.h: one allocation carved into named buffers (the llm.c way), without a list of sizes
 * kept in step with a list of pointers: the same function sizes and places them.
 *
 *     static size_t carve_all(thing_t *t, char *base)   // base NULL: only measure
 *     {
 *         size_t at = 0;
 *         t->a = carve(base, &at, n * sizeof *t->a);     // (n)
 *         t->b = carve(base, &at, m * sizeof *t->b);     // (m)
 *         return at;
 *     }
 *     t->block = aligned_alloc(64, carve_all(t, NULL));  carve_all(t, t->block);
 */
#ifndef ST_CARVE_H
#define ST_CARVE_H

#include <stddef.h>

/* The next buffer of `bytes` at *at in base, 64-byte aligned; advances *at by the rounded
 * size (a multiple of 64, so the total suits aligned_alloc). With base NULL it only measures
 * and returns NULL. */
static inline void *carve(char *base, size_t *at, size_t bytes)
{
    void *p = base ? base + *at : NULL;
    *at += (bytes + 63) / 64 * 64;
    return p;
}

#endif
