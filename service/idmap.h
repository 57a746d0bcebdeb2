/* service/idmap.h - a small hash table from non-zero 64-bit keys to pointers, used by the
 * service client (handles -> objects) and the daemon (handles -> entries, objects -> entries,
 * registration ids -> registrations).
 *
 * Open addressing with linear probing and backward-shift deletion; no allocation until the
 * first put. Not thread-safe: each table is guarded by its owner's lock. Iterate with
 *     for (i = 0; i < m.cap; i++) if (m.keys[i] != 0) use(m.vals[i]);
 * (without modifying the table inside the loop).
 */
#ifndef BGCOPY_SERVICE_IDMAP_H
#define BGCOPY_SERVICE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct bgcopy__idmap {
    uint64_t *keys; /* 0: empty slot */
    void **vals;
    size_t cap; /* a power of two, or 0 */
    size_t count;
};

/* Inserts or replaces key (non-zero) -> val. Returns 0, or -1 when out of memory (the table
 * is unchanged then). */
int bgcopy__idmap_put(struct bgcopy__idmap *m, uint64_t key, void *val);
/* The value of key, or NULL. */
void *bgcopy__idmap_get(const struct bgcopy__idmap *m, uint64_t key);
/* Removes key; returns its value, or NULL when absent. */
void *bgcopy__idmap_del(struct bgcopy__idmap *m, uint64_t key);
/* Frees the table's memory (not the values) and empties it. */
void bgcopy__idmap_free(struct bgcopy__idmap *m);

#endif /* BGCOPY_SERVICE_IDMAP_H */
