/* fuzz/fuzz-util.h - helpers shared by the libFuzzer targets in fuzz/: a checked assertion that
 * aborts (so libFuzzer and the replay driver both report the input), a bounded reader that turns
 * the fuzzer's bytes into values, scratch directories under $TMPDIR and their removal.
 *
 * Every target is one <name>_fuzzer.c defining LLVMFuzzerTestOneInput; it is linked either with
 * libFuzzer (make fuzz, clang) or with fuzz/replay.c (the gcc build, ctest label "fuzz"). The
 * helpers are plain POSIX and single-threaded, like the targets.
 */
#ifndef BGCOPY_FUZZ_UTIL_H
#define BGCOPY_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry point every target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reports a violated invariant (file, line, the expression as text) on stderr and aborts. */
void fz_fail(const char *file, int line, const char *what);

/* Aborts with the failed expression unless cond holds. Evaluates cond once. */
#define FZ_CHECK(cond)                          \
    do {                                        \
        if (!(cond)) {                          \
            fz_fail(__FILE__, __LINE__, #cond); \
        }                                       \
    } while (0)

/* A cursor over the input. Reads past the end give zeros, so every input is a valid program. */
typedef struct fz_reader {
    const uint8_t *p;
    size_t left;
} fz_reader;

void fz_reader_init(fz_reader *r, const uint8_t *data, size_t size);
uint8_t fz_u8(fz_reader *r);
uint16_t fz_u16(fz_reader *r);
uint32_t fz_u32(fz_reader *r);
uint64_t fz_u64(fz_reader *r);
/* Whether unread bytes remain. */
int fz_more(const fz_reader *r);

/* A malloc'ed NUL-terminated copy of data[0, size) (an embedded NUL ends the string early).
 * Aborts when memory runs out. */
char *fz_cstr(const uint8_t *data, size_t size);

/* Creates a fresh directory "$TMPDIR/bgcopy-fuzz-<tag>-XXXXXX" (TMPDIR defaults to /tmp) and
 * writes its absolute path to buf. Aborts on failure. */
void fz_tempdir(char *buf, size_t size, const char *tag);

/* Removes path and, when it is a directory, everything below it (symbolic links are removed,
 * not followed). Errors are ignored. */
void fz_rmtree(const char *path);

/* Writes len bytes of a deterministic pattern into a new file at path. Aborts on failure. */
void fz_write_file(const char *path, size_t len);

#endif /* BGCOPY_FUZZ_UTIL_H */
