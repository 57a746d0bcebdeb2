/* service/idmap.c - the 64-bit key -> pointer hash table of the service (contract in idmap.h).
 */
#include "idmap.h"

#include <stdlib.h>

/* Slot where key's probe sequence starts (Fibonacci hashing). */
static size_t home(const struct bgcopy__idmap *m, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 17) & (m->cap - 1);
}

static int grow(struct bgcopy__idmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16, i, j;
    uint64_t *keys = calloc(cap, sizeof(*keys));
    void **vals = calloc(cap, sizeof(*vals));
    struct bgcopy__idmap n;

    if (keys == NULL || vals == NULL) {
        free(keys);
        free(vals);
        return -1;
    }
    n.keys = keys;
    n.vals = vals;
    n.cap = cap;
    n.count = m->count;
    for (i = 0; i < m->cap; i++) {
        if (m->keys[i] == 0) {
            continue;
        }
        for (j = home(&n, m->keys[i]); keys[j] != 0; j = (j + 1) & (cap - 1)) {
        }
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    *m = n;
    return 0;
}

int bgcopy__idmap_put(struct bgcopy__idmap *m, uint64_t key, void *val)
{
    size_t i;

    if (key == 0) {
        return -1;
    }
    if ((m->count + 1) * 4 > m->cap * 3 && grow(m) != 0) {
        return -1;
    }
    for (i = home(m, key); m->keys[i] != 0; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) {
            m->vals[i] = val;
            return 0;
        }
    }
    m->keys[i] = key;
    m->vals[i] = val;
    m->count++;
    return 0;
}

void *bgcopy__idmap_get(const struct bgcopy__idmap *m, uint64_t key)
{
    size_t i;

    if (m->cap == 0 || key == 0) {
        return NULL;
    }
    for (i = home(m, key); m->keys[i] != 0; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) {
            return m->vals[i];
        }
    }
    return NULL;
}

void *bgcopy__idmap_del(struct bgcopy__idmap *m, uint64_t key)
{
    size_t i, j, h;
    void *val;

    if (m->cap == 0 || key == 0) {
        return NULL;
    }
    for (i = home(m, key); m->keys[i] != key; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == 0) {
            return NULL;
        }
    }
    val = m->vals[i];
    /* Backward shift: move later entries of the cluster into the hole when their home slot
     * does not lie cyclically in (i, j]. */
    for (j = (i + 1) & (m->cap - 1); m->keys[j] != 0; j = (j + 1) & (m->cap - 1)) {
        h = home(m, m->keys[j]);
        if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->keys[i] = 0;
    m->vals[i] = NULL;
    m->count--;
    return val;
}

void bgcopy__idmap_free(struct bgcopy__idmap *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->count = 0;
}
