/* fuzz/fuzz-util.c - the helpers of fuzz-util.h: invariant failures, the input reader, scratch
 * directories. POSIX only (mkdtemp, nftw); contracts are in the header.
 */
#define _XOPEN_SOURCE 700
#include "fuzz-util.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

void fz_reader_init(fz_reader *r, const uint8_t *data, size_t size)
{
    r->p = data;
    r->left = data != NULL ? size : 0;
}

uint8_t fz_u8(fz_reader *r)
{
    uint8_t v = 0;

    if (r->left > 0) {
        v = *r->p++;
        r->left--;
    }
    return v;
}

uint16_t fz_u16(fz_reader *r)
{
    uint16_t hi = fz_u8(r);

    return (uint16_t)(hi << 8 | fz_u8(r));
}

uint32_t fz_u32(fz_reader *r)
{
    uint32_t hi = fz_u16(r);

    return hi << 16 | fz_u16(r);
}

uint64_t fz_u64(fz_reader *r)
{
    uint64_t hi = fz_u32(r);

    return hi << 32 | fz_u32(r);
}

int fz_more(const fz_reader *r)
{
    return r->left > 0;
}

char *fz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    FZ_CHECK(s != NULL);
    if (size > 0) {
        memcpy(s, data, size);
    }
    s[size] = '\0';
    return s;
}

void fz_tempdir(char *buf, size_t size, const char *tag)
{
    const char *base = getenv("TMPDIR");
    int n;

    if (base == NULL || base[0] != '/') {
        base = "/tmp";
    }
    n = snprintf(buf, size, "%s/bgcopy-fuzz-%s-XXXXXX", base, tag);
    FZ_CHECK(n > 0 && (size_t)n < size);
    FZ_CHECK(mkdtemp(buf) != NULL);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    (void)remove(path);
    return 0;
}

void fz_rmtree(const char *path)
{
    (void)nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fz_write_file(const char *path, size_t len)
{
    FILE *f = fopen(path, "wb");
    size_t i;

    FZ_CHECK(f != NULL);
    for (i = 0; i < len; i++) {
        FZ_CHECK(fputc((int)((i * 131u + 7u) & 0xFFu), f) != EOF);
    }
    FZ_CHECK(fclose(f) == 0);
}
