/* fuzz/replay.c - runs a libFuzzer target without libFuzzer, so every seed corpus is also an
 * ordinary test under gcc (ctest label "fuzz") and under the ASan build.
 *
 * Usage: <name>_replay [PATH...]. Each PATH is a file (fed as one input) or a directory (every
 * regular file directly inside it is fed, in name order, so runs are reproducible). Without
 * arguments the target's own corpus is replayed: BGCOPY_FUZZ_DEFAULT_CORPUS, compiled in by
 * fuzz/CMakeLists.txt as fuzz/corpus/<name>. An input that violates an invariant aborts inside
 * LLVMFuzzerTestOneInput, which fails the test; the driver itself exits 1 when a path cannot be
 * read or no input was found at all (an empty corpus must not pass silently), 0 otherwise.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz-util.h"

/* Feeds the file at path to the target, in a buffer of exactly its size so ASan catches reads
 * past the end, as under libFuzzer. Returns 0, or -1 when the file cannot be read. */
static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    long size;
    int rc = -1;

    if (f == NULL) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        goto out;
    }
    data = malloc(size > 0 ? (size_t)size : 1);
    if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size) {
        goto out;
    }
    (void)LLVMFuzzerTestOneInput(data, (size_t)size);
    rc = 0;
out:
    if (rc != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
    }
    free(data);
    fclose(f);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Feeds every regular file of directory dir, in name order. Adds the number fed to *count.
 * Returns 0 or -1. */
static int run_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL, path[4096];
    size_t n = 0, cap = 0, i;
    int rc = 0;

    if (d == NULL) {
        fprintf(stderr, "replay: cannot open directory %s\n", dir);
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            continue; /* ".", ".." and hidden files such as .gitkeep */
        }
        if (n == cap) {
            char **grown;

            cap = cap ? cap * 2 : 64;
            grown = realloc(names, cap * sizeof(*names));
            if (grown == NULL) {
                rc = -1;
                break;
            }
            names = grown;
        }
        names[n] = strdup(de->d_name);
        if (names[n] == NULL) {
            rc = -1;
            break;
        }
        n++;
    }
    closedir(d);
    if (n > 0) {
        qsort(names, n, sizeof(*names), name_cmp);
    }
    for (i = 0; i < n && rc == 0; i++) {
        struct stat st;

        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path) ||
            stat(path, &st) != 0) {
            rc = -1;
            break;
        }
        if (!S_ISREG(st.st_mode)) {
            continue;
        }
        if (run_file(path) != 0) {
            rc = -1;
            break;
        }
        (*count)++;
    }
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    static char *defaults[] = {NULL, NULL};
    char **paths = argv + 1;
    size_t count = 0;
    int i, npaths = argc - 1;

#ifdef BGCOPY_FUZZ_DEFAULT_CORPUS
    if (npaths == 0) {
        defaults[0] = BGCOPY_FUZZ_DEFAULT_CORPUS;
        paths = defaults;
        npaths = 1;
    }
#endif
    if (npaths == 0) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 1;
    }
    for (i = 0; i < npaths; i++) {
        struct stat st;

        if (stat(paths[i], &st) != 0) {
            fprintf(stderr, "replay: %s does not exist\n", paths[i]);
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            if (run_dir(paths[i], &count) != 0) {
                return 1;
            }
        } else {
            if (run_file(paths[i]) != 0) {
                return 1;
            }
            count++;
        }
    }
    if (count == 0) {
        fprintf(stderr, "replay: no input found\n");
        return 1;
    }
    printf("replay: %zu inputs, no invariant violated\n", count);
    return 0;
}
