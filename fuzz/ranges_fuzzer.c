/* fuzz/ranges_fuzzer.c - fuzzes the range lists of AddFileWithRanges
 * (bgcopy_job_add_file_with_ranges) on a simulated manager against an independent oracle
 * written from reference 8.5.
 *
 * Input: byte 0 picks the job (bit 0: an upload job; bit 1: a download job with
 * DYNAMIC_CONTENT). The rest is a list of ranges, each two values (offset, length); a value is a
 * tag byte and its payload: 0 u8, 1 u16, 2 u32, 3 u64, 4 UINT64_MAX - u8, 5 BG_LENGTH_TO_EOF,
 * 6 zero, 7 "adjacent" (the previous range's end for an offset, 1 + u8 for a length). At most 64
 * ranges; the manager allows 16 per file (MaxRangesPerFile), so that limit is reached too.
 * Oracle (each defect maps to the HRESULT the reference gives it):
 *   - count 0 or a zero length -> E_INVALIDARG; an offset of BG_LENGTH_TO_EOF ->
 * BG_E_INVALID_RANGE, as is a range whose end lies past 2^64 (it cannot be inside any file:
 * INFERRED, see core/api.c check_ranges);
 *   - two ranges sharing a byte, found by comparing every pair as half-open intervals (a to-EOF
 *     range runs to infinity) -> BG_E_OVERLAPPING_RANGES;
 *   - more ranges than MaxRangesPerFile -> BG_E_TOO_MANY_RANGES_IN_FILE; an upload job ->
 *     E_NOTIMPL; DYNAMIC_CONTENT -> BG_E_UNSUPPORTED_JOB_CONFIGURATION.
 * The call must succeed exactly when there is no defect, and fail with the defect's HRESULT when
 * there is exactly one (with several, with one of theirs). After a success the file reports the
 * ranges in the order given and a BytesTotal equal to their sum (BG_SIZE_UNKNOWN with a to-EOF
 * range), as does the job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgcopy.h"
#include "fuzz-util.h"

#define MAX_RANGES      64
#define RANGES_PER_FILE 16
#define EOF64           BGCOPY_LENGTH_TO_EOF

static bgcopy_sim *sim;
static bgcopy_manager *mgr;
static char dir[512], local[600];

static void cleanup(void)
{
    bgcopy_manager_close(mgr);
    (void)bgcopy_sim_destroy(sim);
    fz_rmtree(dir);
}

static void setup(void)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;

    fz_tempdir(dir, sizeof(dir), "ranges");
    snprintf(local, sizeof(local), "%s/out.bin", dir);
    FZ_CHECK(bgcopy_sim_create(NULL, &sim) == BGCOPY_S_OK);
    o.sim = sim;
    o.user = "fuzz";
    o.max_ranges_per_file = RANGES_PER_FILE;
    FZ_CHECK(bgcopy_manager_open(&o, &mgr) == BGCOPY_S_OK);
    atexit(cleanup);
}

static uint64_t value(fz_reader *r, int is_offset, const bgcopy_file_range *prev)
{
    switch (fz_u8(r) & 7) {
    case 0:
        return fz_u8(r);
    case 1:
        return fz_u16(r);
    case 2:
        return fz_u32(r);
    case 3:
        return fz_u64(r);
    case 4:
        return EOF64 - fz_u8(r);
    case 5:
        return EOF64;
    case 6:
        return 0;
    default:
        if (is_offset) {
            return prev == NULL ? 0 : prev->initial_offset + prev->length; /* may wrap */
        }
        return 1u + fz_u8(r);
    }
}

/* Whether [a) and [b) share a byte; a to-EOF length runs to infinity. */
static int overlap(const bgcopy_file_range *a, const bgcopy_file_range *b)
{
    int a_inf = a->length == EOF64, b_inf = b->length == EOF64;
    /* a.start < b.end and b.start < a.end, without computing ends that wrap */
    int a_before_b_end = b_inf || (a->initial_offset < b->initial_offset ||
                                   a->initial_offset - b->initial_offset < b->length);
    int b_before_a_end = a_inf || (b->initial_offset < a->initial_offset ||
                                   b->initial_offset - a->initial_offset < a->length);

    return a_before_b_end && b_before_a_end;
}

/* Defects of the list, as bits. */
enum {
    D_ARG = 1,     /* E_INVALIDARG */
    D_RANGE = 2,   /* BG_E_INVALID_RANGE */
    D_OVERLAP = 4, /* BG_E_OVERLAPPING_RANGES */
    D_MANY = 8,    /* BG_E_TOO_MANY_RANGES_IN_FILE */
    D_UPLOAD = 16, /* E_NOTIMPL */
    D_DYNAMIC = 32 /* BG_E_UNSUPPORTED_JOB_CONFIGURATION */
};

static const bgcopy_hr defect_hr[] = {BGCOPY_E_INVALIDARG,
                                      BGCOPY_E_INVALID_RANGE,
                                      BGCOPY_E_OVERLAPPING_RANGES,
                                      BGCOPY_E_TOO_MANY_RANGES_IN_FILE,
                                      BGCOPY_E_NOTIMPL,
                                      BGCOPY_E_UNSUPPORTED_JOB_CONFIGURATION};

static unsigned oracle(uint32_t n, const bgcopy_file_range *r)
{
    unsigned d = 0;
    uint32_t i, j;

    if (n == 0) {
        return D_ARG;
    }
    for (i = 0; i < n; i++) {
        if (r[i].length == 0) {
            d |= D_ARG;
        }
        if (r[i].initial_offset == EOF64 ||
            (r[i].length != EOF64 && r[i].length > EOF64 - r[i].initial_offset)) {
            d |= D_RANGE;
        }
    }
    if (d != 0) {
        return d; /* overlaps are only meaningful between well-formed ranges */
    }
    for (i = 0; i < n; i++) {
        for (j = i + 1; j < n; j++) {
            if (overlap(&r[i], &r[j])) {
                d |= D_OVERLAP;
            }
        }
    }
    if (n > RANGES_PER_FILE) {
        d |= D_MANY;
    }
    return d;
}

static void check_added(bgcopy_job *job, uint32_t n, const bgcopy_file_range *r)
{
    bgcopy_file_enum *e = NULL;
    bgcopy_file *file = NULL;
    bgcopy_file_range *back = NULL;
    bgcopy_file_progress fp;
    bgcopy_job_progress jp;
    uint32_t count = 0, fetched = 0, i;
    uint64_t sum = 0;

    for (i = 0; i < n; i++) {
        if (r[i].length == EOF64) {
            sum = BGCOPY_SIZE_UNKNOWN;
            break;
        }
        sum += r[i].length; /* disjoint ranges below 2^64: cannot wrap */
    }
    FZ_CHECK(bgcopy_job_enum_files(job, &e) == BGCOPY_S_OK);
    FZ_CHECK(bgcopy_file_enum_next(e, 1, &file, &fetched) == BGCOPY_S_OK && fetched == 1);
    FZ_CHECK(bgcopy_file_get_file_ranges(file, &count, &back) == BGCOPY_S_OK);
    FZ_CHECK(count == n && back != NULL);
    FZ_CHECK(memcmp(back, r, n * sizeof(*r)) == 0);
    FZ_CHECK(bgcopy_file_get_progress(file, &fp) == BGCOPY_S_OK);
    FZ_CHECK(fp.bytes_total == sum && fp.bytes_transferred == 0 && !fp.completed);
    FZ_CHECK(bgcopy_job_get_progress(job, &jp) == BGCOPY_S_OK);
    FZ_CHECK(jp.bytes_total == sum && jp.files_total == 1);
    bgcopy_free(back);
    bgcopy_file_release(file);
    bgcopy_file_enum_release(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bgcopy_file_range ranges[MAX_RANGES];
    bgcopy_job_property_value v;
    bgcopy_job *job = NULL;
    fz_reader rd;
    uint32_t n = 0, i;
    uint8_t mode;
    unsigned defects;
    bgcopy_hr hr;

    if (mgr == NULL) {
        setup();
    }
    fz_reader_init(&rd, data, size);
    mode = fz_u8(&rd);
    while (fz_more(&rd) && n < MAX_RANGES) {
        const bgcopy_file_range *prev = n > 0 ? &ranges[n - 1] : NULL;

        ranges[n].initial_offset = value(&rd, 1, prev);
        ranges[n].length = value(&rd, 0, prev);
        n++;
    }
    defects = oracle(n, ranges);
    FZ_CHECK(bgcopy_manager_create_job(
                 mgr, "ranges", (mode & 1) ? BGCOPY_JOB_TYPE_UPLOAD : BGCOPY_JOB_TYPE_DOWNLOAD,
                 NULL, &job) == BGCOPY_S_OK);
    if (mode & 1) {
        defects |= D_UPLOAD;
    } else if (mode & 2) {
        v.enable = 1;
        FZ_CHECK(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, &v) ==
                 BGCOPY_S_OK);
        defects |= D_DYNAMIC;
    }

    hr = bgcopy_job_add_file_with_ranges(job, "http://fuzz.test/file.bin", local, n,
                                         n > 0 ? ranges : NULL);
    if (defects == 0) {
        if (hr != BGCOPY_S_OK) {
            fprintf(stderr, "valid list of %u ranges refused with 0x%08x\n", (unsigned)n,
                    (unsigned)hr);
        }
        FZ_CHECK(hr == BGCOPY_S_OK);
        check_added(job, n, ranges);
    } else {
        int ok = 0;

        for (i = 0; i < sizeof(defect_hr) / sizeof(defect_hr[0]); i++) {
            if ((defects & (1u << i)) && hr == defect_hr[i]) {
                ok = 1;
            }
        }
        if (!ok) {
            fprintf(stderr, "%u ranges with defects 0x%x gave 0x%08x\n", (unsigned)n, defects,
                    (unsigned)hr);
        }
        FZ_CHECK(ok);
        /* A failed call adds nothing. */
        {
            bgcopy_job_progress jp;

            FZ_CHECK(bgcopy_job_get_progress(job, &jp) == BGCOPY_S_OK && jp.files_total == 0);
        }
    }
    FZ_CHECK(bgcopy_job_cancel(job) == BGCOPY_S_OK);
    bgcopy_job_release(job);
    return 0;
}
