/* tests/unit/test_transfer.c - pins the download protocol of core/transfer.c on the simulation
 * harness (reference 1.4, 1.6-1.8, 4.4, 6, 8.1-8.5).
 *
 * Every scenario runs in virtual time: the scripted network serves http:// resources, fault
 * rules inject HTTP statuses, DNS / connect failures, resets, mid-transfer changes and disk-full
 * errors, and the local side is a real temporary directory created under the current directory
 * and removed at the end. Expectations are exact: HRESULTs, states, error contexts, byte counts,
 * the request log (method, URL, range, status) and the downloaded bytes, checked one by one
 * against bgcopy_sim_pattern_byte.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core-int.h"

/* Compare as unsigned 32-bit so failures print the familiar hex value. */
#define assert_hr_equal(a, b) assert_int_equal((uint32_t)(a), (uint32_t)(b))

#define MIB           (1024ULL * 1024ULL)
#define GIB           (1024ULL * MIB)
#define LAST_MODIFIED 1700000000.5 /* a Last-Modified with a sub-second part */
#define PATH_CAP      4200

/* ---- fixture ------------------------------------------------------------------------------ */

typedef struct fx {
    bgcopy_sim *sim;
    bgcopy_manager *mgr;
    char dir[PATH_CAP - 256]; /* absolute path of the fresh temporary directory */
} fx;

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_CAP];

    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        int n = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (n > 0 && (size_t)n < sizeof(path) && unlink(path) != 0)
            (void)rmdir(path); /* an (empty) directory a test made */
    }
    closedir(d);
    (void)rmdir(dir);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    char cwd[PATH_CAP - 512];

    if (f == NULL || getcwd(cwd, sizeof(cwd)) == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "%s/transfer-test-XXXXXX", cwd);
    if (mkdtemp(f->dir) == NULL)
        return -1;
    if (BGCOPY_FAILED(bgcopy_sim_create(NULL, &f->sim)))
        return -1;
    o.sim = f->sim;
    o.user = "alice";
    if (BGCOPY_FAILED(bgcopy_manager_open(&o, &f->mgr)))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    bgcopy_hr hr;

    bgcopy_manager_close(f->mgr);
    hr = bgcopy_sim_destroy(f->sim);
    remove_tree(f->dir);
    free(f);
    /* Every job, file and error object must have been released by the test. */
    return hr == BGCOPY_S_OK ? 0 : -1;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static void local_path(const fx *f, const char *name, char *out)
{
    int n = snprintf(out, PATH_CAP, "%s/%s", f->dir, name);
    assert_true(n > 0 && n < PATH_CAP);
}

static void add_resource(fx *f, const char *url, uint64_t length, uint32_t seed)
{
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    r.url = url;
    r.length = length;
    r.seed = seed;
    r.last_modified = LAST_MODIFIED;
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
}

static void add_status_fault(fx *f, const char *url, int status, uint32_t count)
{
    bgcopy_sim_fault ft = BGCOPY_SIM_FAULT_INIT;
    ft.kind = BGCOPY_SIM_FAULT_HTTP_STATUS;
    ft.url = url;
    ft.status = status;
    ft.count = count;
    assert_hr_equal(bgcopy_sim_add_fault(f->sim, &ft), BGCOPY_S_OK);
}

static void add_fault(fx *f, bgcopy_sim_fault_kind kind, const char *url, uint32_t count,
                      uint64_t after_bytes, uint64_t new_length)
{
    bgcopy_sim_fault ft = BGCOPY_SIM_FAULT_INIT;
    ft.kind = kind;
    ft.url = url;
    ft.count = count;
    ft.after_bytes = after_bytes;
    ft.new_length = new_length;
    assert_hr_equal(bgcopy_sim_add_fault(f->sim, &ft), BGCOPY_S_OK);
}

static bgcopy_job *new_job(fx *f)
{
    bgcopy_job *job = NULL;
    assert_hr_equal(
        bgcopy_manager_create_job(f->mgr, "transfer test", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job),
        BGCOPY_S_OK);
    assert_non_null(job);
    return job;
}

/* A job with one file remote_url -> <dir>/name. */
static bgcopy_job *job_with_file(fx *f, const char *remote_url, const char *name)
{
    char local[PATH_CAP];
    bgcopy_job *job = new_job(f);
    local_path(f, name, local);
    assert_hr_equal(bgcopy_job_add_file(job, remote_url, local), BGCOPY_S_OK);
    return job;
}

static bgcopy_job_state state_of(bgcopy_job *job)
{
    bgcopy_job_state s = (bgcopy_job_state)-1;
    assert_hr_equal(bgcopy_job_get_state(job, &s), BGCOPY_S_OK);
    return s;
}

static bgcopy_job_progress progress_of(bgcopy_job *job)
{
    bgcopy_job_progress p;
    memset(&p, 0xAB, sizeof(p));
    assert_hr_equal(bgcopy_job_get_progress(job, &p), BGCOPY_S_OK);
    return p;
}

static void check_progress(bgcopy_job *job, uint64_t total, uint64_t done, uint32_t files_total,
                           uint32_t files_done)
{
    bgcopy_job_progress p = progress_of(job);
    assert_int_equal(p.bytes_total, total);
    assert_int_equal(p.bytes_transferred, done);
    assert_int_equal(p.files_total, files_total);
    assert_int_equal(p.files_transferred, files_done);
}

static uint32_t error_count_of(bgcopy_job *job)
{
    uint32_t n = 0xFFFFFFFFu;
    assert_hr_equal(bgcopy_job_get_error_count(job, &n), BGCOPY_S_OK);
    return n;
}

/* The job's current error must be (context, code). */
static void check_error(bgcopy_job *job, bgcopy_error_context context, bgcopy_hr code)
{
    bgcopy_error *err = NULL;
    bgcopy_error_context ctx = (bgcopy_error_context)-1;
    bgcopy_hr hr = BGCOPY_S_OK;

    assert_hr_equal(bgcopy_job_get_error(job, &err), BGCOPY_S_OK);
    assert_non_null(err);
    assert_hr_equal(bgcopy_error_get_error(err, &ctx, &hr), BGCOPY_S_OK);
    assert_int_equal(ctx, context);
    assert_hr_equal(hr, code);
    bgcopy_error_release(err);
}

static void check_error_protocol(bgcopy_job *job, const char *protocol)
{
    bgcopy_error *err = NULL;
    char *p = NULL;

    assert_hr_equal(bgcopy_job_get_error(job, &err), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_error_get_protocol(err, &p), BGCOPY_S_OK);
    assert_string_equal(p, protocol);
    bgcopy_free(p);
    bgcopy_error_release(err);
}

/* The file of the job's current error must be `expected` (same object, same local name). */
static void check_error_file(bgcopy_job *job, bgcopy_file *expected)
{
    bgcopy_error *err = NULL;
    bgcopy_file *file = NULL;
    char *a = NULL, *b = NULL;

    assert_hr_equal(bgcopy_job_get_error(job, &err), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_error_get_file(err, &file), BGCOPY_S_OK);
    assert_non_null(file);
    assert_ptr_equal(file, expected);
    assert_hr_equal(bgcopy_file_get_local_name(file, &a), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_file_get_local_name(expected, &b), BGCOPY_S_OK);
    assert_string_equal(a, b);
    bgcopy_free(a);
    bgcopy_free(b);
    bgcopy_file_release(file);
    bgcopy_error_release(err);
}

/* File `index` of job (a new reference). */
static bgcopy_file *file_at(bgcopy_job *job, uint32_t index)
{
    bgcopy_file_enum *e = NULL;
    bgcopy_file *file = NULL;
    uint32_t fetched = 0;

    assert_hr_equal(bgcopy_job_enum_files(job, &e), BGCOPY_S_OK);
    if (index)
        assert_hr_equal(bgcopy_file_enum_skip(e, index), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_file_enum_next(e, 1, &file, &fetched), BGCOPY_S_OK);
    assert_int_equal(fetched, 1);
    bgcopy_file_enum_release(e);
    return file;
}

static void check_file_progress(bgcopy_file *file, uint64_t total, uint64_t done, int completed)
{
    bgcopy_file_progress p;
    memset(&p, 0xAB, sizeof(p));
    assert_hr_equal(bgcopy_file_get_progress(file, &p), BGCOPY_S_OK);
    assert_int_equal(p.bytes_total, total);
    assert_int_equal(p.bytes_transferred, done);
    assert_int_equal(p.completed, completed);
}

static void run_idle(fx *f)
{
    assert_hr_equal(bgcopy_sim_run_until_idle(f->sim), BGCOPY_S_OK);
}

static void advance(fx *f, double seconds)
{
    assert_hr_equal(bgcopy_sim_advance(f->sim, seconds), BGCOPY_S_OK);
}

static int path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Whether name looks like BIT????.tmp (four hex digits). */
static int is_temp_name(const char *name)
{
    int i;
    if (strlen(name) != 11 || strncmp(name, "BIT", 3) != 0 || strcmp(name + 7, ".tmp") != 0)
        return 0;
    for (i = 3; i < 7; i++) {
        char c = name[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return 1;
}

/* Number of entries named BIT*.tmp in dir (and how many match BIT????.tmp exactly). */
static int count_temps(const char *dir, int *exact)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0, x = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len >= 7 && strncmp(de->d_name, "BIT", 3) == 0 &&
            strcmp(de->d_name + len - 4, ".tmp") == 0) {
            n++;
            if (is_temp_name(de->d_name))
                x++;
        }
    }
    closedir(d);
    if (exact)
        *exact = x;
    return n;
}

/* One piece of a local file: `length` bytes taken from remote offset `offset`. */
typedef struct segment {
    uint64_t offset;
    uint64_t length;
} segment;

/* The file at path must be exactly the concatenation of the segments of the PATTERN resource
 * with `seed`. */
static void check_pattern_file(const char *path, uint32_t seed, const segment *segs, size_t n)
{
    FILE *fp = fopen(path, "rb");
    uint64_t total = 0, pos = 0;
    size_t i;
    unsigned char *buf;
    size_t got;

    assert_non_null(fp);
    for (i = 0; i < n; i++)
        total += segs[i].length;
    buf = malloc(total + 1);
    assert_non_null(buf);
    got = fread(buf, 1, total + 1, fp);
    fclose(fp);
    assert_int_equal(got, total);
    for (i = 0; i < n; i++) {
        uint64_t k;
        for (k = 0; k < segs[i].length; k++, pos++) {
            uint8_t want = bgcopy_sim_pattern_byte(seed, segs[i].offset + k);
            uint8_t have = buf[pos];
            if (have != want) {
                free(buf);
                fail_msg("%s: byte %llu is 0x%02X, expected 0x%02X", path, (unsigned long long)pos,
                         (unsigned)have, (unsigned)want);
            }
        }
    }
    free(buf);
}

static void check_whole_pattern_file(const char *path, uint32_t seed, uint64_t length)
{
    segment s = {0, length};
    check_pattern_file(path, seed, &s, 1);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static void check_file_content(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf = malloc(len + 1);
    size_t got;

    assert_non_null(fp);
    assert_non_null(buf);
    got = fread(buf, 1, len + 1, fp);
    fclose(fp);
    assert_int_equal(got, len);
    assert_memory_equal(buf, data, len);
    free(buf);
}

static size_t requests(fx *f, const bgcopy_sim_request **out)
{
    return bgcopy_sim_requests(f->sim, out);
}

static void check_head(const bgcopy_sim_request *r, const char *url, int status)
{
    assert_string_equal(r->method, "HEAD");
    assert_string_equal(r->url, url);
    assert_int_equal(r->has_range, 0);
    assert_int_equal(r->status, status);
}

static void check_get(const bgcopy_sim_request *r, const char *url, uint64_t first, uint64_t last,
                      int status)
{
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->url, url);
    assert_int_equal(r->has_range, 1);
    assert_int_equal(r->range_first, first);
    assert_int_equal(r->range_last, last);
    assert_int_equal(r->status, status);
}

static void set_priority(bgcopy_job *job, bgcopy_job_priority p)
{
    assert_hr_equal(bgcopy_job_set_priority(job, p), BGCOPY_S_OK);
}

static void set_enable_property(bgcopy_job *job, bgcopy_job_property_id id, int enable)
{
    bgcopy_job_property_value v;
    memset(&v, 0, sizeof(v));
    v.enable = enable;
    assert_hr_equal(bgcopy_job_set_property(job, id, &v), BGCOPY_S_OK);
}

/* ---- happy path ---------------------------------------------------------------------------- */

static void test_happy_path(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/one.bin";
    char local[PATH_CAP], *temp = NULL;
    const bgcopy_sim_request *rq;
    bgcopy_job *job;
    bgcopy_file *file;
    struct stat st;
    int exact = 0;

    add_resource(f, url, MIB, 7);
    job = job_with_file(f, url, "one.bin");
    local_path(f, "one.bin", local);
    file = file_at(job, 0);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_QUEUED);
    run_idle(f);

    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 1048576, 1048576, 1, 1);
    check_file_progress(file, 1048576, 1048576, 0);
    assert_int_equal(error_count_of(job), 0);

    /* HEAD for the size, then one ranged GET for every byte (reference 8.2). */
    assert_int_equal(requests(f, &rq), 2);
    check_head(&rq[0], url, 200);
    check_get(&rq[1], url, 0, 1048575, 206);

    /* Before Complete only the temporary file exists, beside the destination (1.8). */
    assert_false(path_exists(local));
    assert_int_equal(count_temps(f->dir, &exact), 1);
    assert_int_equal(exact, 1);
    assert_hr_equal(bgcopy_file_get_temporary_name(file, &temp), BGCOPY_S_OK);
    assert_int_equal(strncmp(temp, f->dir, strlen(f->dir)), 0);
    assert_int_equal(temp[strlen(f->dir)], '/');
    assert_true(is_temp_name(temp + strlen(f->dir) + 1));
    assert_true(path_exists(temp));

    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ACKNOWLEDGED);

    check_whole_pattern_file(local, 7, MIB);
    /* mtime := the server's Last-Modified (reference 8.1), to the microsecond. */
    assert_int_equal(stat(local, &st), 0);
    assert_int_equal((int64_t)st.st_mtim.tv_sec, 1700000000);
    assert_int_equal((long)st.st_mtim.tv_nsec, 500000000L);
    assert_false(path_exists(temp));
    assert_int_equal(count_temps(f->dir, NULL), 0);
    check_file_progress(file, 1048576, 1048576, 1);

    bgcopy_free(temp);
    bgcopy_file_release(file);
    bgcopy_job_release(job);
}

static void test_files_in_add_order(void **state)
{
    fx *f = *state;
    static const char a[] = "http://example.test/a.bin";
    static const char b[] = "http://example.test/b.bin";
    static const char c[] = "http://example.test/c.bin";
    bgcopy_file_info set[2];
    char lc[PATH_CAP], la[PATH_CAP], lb[PATH_CAP];
    const bgcopy_sim_request *rq;
    bgcopy_job *job;

    add_resource(f, a, 1000, 1);
    add_resource(f, b, 2000, 2);
    add_resource(f, c, 3000, 3);
    local_path(f, "c.out", lc);
    local_path(f, "a.out", la);
    local_path(f, "b.out", lb);
    job = new_job(f);
    /* Added c, then a and b as a set: transferred in exactly that order. */
    assert_hr_equal(bgcopy_job_add_file(job, c, lc), BGCOPY_S_OK);
    set[0].remote_name = a;
    set[0].local_name = la;
    set[1].remote_name = b;
    set[1].local_name = lb;
    assert_hr_equal(bgcopy_job_add_file_set(job, 2, set), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);

    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 6000, 6000, 3, 3);
    assert_int_equal(requests(f, &rq), 6);
    check_head(&rq[0], c, 200);
    check_get(&rq[1], c, 0, 2999, 206);
    check_head(&rq[2], a, 200);
    check_get(&rq[3], a, 0, 999, 206);
    check_head(&rq[4], b, 200);
    check_get(&rq[5], b, 0, 1999, 206);

    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(lc, 3, 3000);
    check_whole_pattern_file(la, 1, 1000);
    check_whole_pattern_file(lb, 2, 2000);
    bgcopy_job_release(job);
}

/* ---- transient errors and retry ------------------------------------------------------------ */

static void test_503_retried_after_delay(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/busy.bin";
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    const bgcopy_sim_request *rq;
    bgcopy_error *err = NULL;
    char local[PATH_CAP];
    bgcopy_job *job;

    r.url = url;
    r.length = 5000;
    r.seed = 5;
    r.latency = 0.5;
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
    add_status_fault(f, url, 503, 1);
    job = job_with_file(f, url, "busy.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);

    /* 503 is transient (reference 4.4): TRANSIENT_ERROR, error record kept, one error. */
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, (bgcopy_hr)0x801901F7u);
    assert_int_equal(error_count_of(job), 1);
    assert_true(bgcopy_sim_now(f->sim) == 0.5);

    /* MinimumRetryDelay (600 s by default) counts from the failure at 0.5 s. */
    advance(f, 599);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(requests(f, &rq), 1);
    advance(f, 1);
    /* Retried: back through QUEUED, and the scheduler started it at once (the new HEAD is
     * waiting for the resource's 0.5 s latency). */
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_CONNECTING);
    assert_hr_equal(bgcopy_job_get_error(job, &err), BGCOPY_E_ERROR_INFORMATION_UNAVAILABLE);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(error_count_of(job), 1);

    assert_int_equal(requests(f, &rq), 3);
    check_head(&rq[0], url, 503);
    assert_true(rq[0].time == 0.5);
    check_head(&rq[1], url, 200);
    assert_true(rq[1].time == 601.0);
    check_get(&rq[2], url, 0, 4999, 206);
    assert_true(rq[2].time == 601.5);

    local_path(f, "busy.bin", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 5, 5000);
    bgcopy_job_release(job);
}

/* The retry puts the job back in the queue: with a HIGH priority job transferring at that
 * moment it stays QUEUED (one background job at a time) and runs after it. */
static void test_retry_goes_through_queued(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/later.bin";
    static const char slow[] = "http://slow.test/high.bin";
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    const bgcopy_sim_request *rq;
    bgcopy_job *job, *high;

    add_resource(f, url, 1000, 22);
    add_status_fault(f, url, 503, 1);
    r.url = slow;
    r.length = 1000000;
    r.seed = 23;
    r.bandwidth = 1000.0; /* 1000 s of body */
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
    job = job_with_file(f, url, "later.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);

    advance(f, 300);
    high = job_with_file(f, slow, "high.bin");
    set_priority(high, BGCOPY_JOB_PRIORITY_HIGH);
    assert_hr_equal(bgcopy_job_resume(high), BGCOPY_S_OK);
    advance(f, 299);
    assert_int_equal(state_of(high), BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    advance(f, 1);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_QUEUED);
    assert_int_equal(state_of(high), BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(requests(f, &rq), 3);

    run_idle(f);
    assert_int_equal(state_of(high), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(requests(f, &rq), 5);
    check_get(&rq[2], slow, 0, 999999, 206);
    check_head(&rq[3], url, 200);
    check_get(&rq[4], url, 0, 999, 206);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_complete(high), BGCOPY_S_OK);
    bgcopy_job_release(job);
    bgcopy_job_release(high);
}

/* One job per status on a URL with an unlimited fault rule. */
static void check_status(fx *f, int status, bgcopy_job_state expected)
{
    char url[128], name[32];
    const bgcopy_sim_request *rq;
    size_t before, after;
    bgcopy_job *job;

    snprintf(url, sizeof(url), "http://status.test/s%d.bin", status);
    snprintf(name, sizeof(name), "s%d.bin", status);
    add_resource(f, url, 4096, 9);
    add_status_fault(f, url, status, 0);
    before = requests(f, &rq);
    job = job_with_file(f, url, name);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    if (state_of(job) != expected)
        fail_msg("status %d: state %d, expected %d", status, (int)state_of(job), (int)expected);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR(status));
    assert_int_equal(error_count_of(job), 1);
    check_progress(job, BGCOPY_SIZE_UNKNOWN, 0, 1, 0);
    /* The HEAD got the status; no GET followed - except for 405 and 501
     * ("HEAD not supported"), where the size is asked of a first ranged GET,
     * which got the status too. */
    after = requests(f, &rq);
    check_head(&rq[before], url, status);
    if (status == 405 || status == 501) {
        assert_int_equal(after, before + 2);
        check_get(&rq[before + 1], url, 0, BGCOPY__MAX_RANGE_REQUEST - 1, status);
    } else {
        assert_int_equal(after, before + 1);
    }
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
}

static void test_http_status_classification(void **state)
{
    fx *f = *state;

    check_status(f, 403, BGCOPY_JOB_STATE_ERROR);
    check_status(f, 404, BGCOPY_JOB_STATE_ERROR);
    check_status(f, 408, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_status(f, 409, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_status(f, 500, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_status(f, 405, BGCOPY_JOB_STATE_ERROR);
    check_status(f, 501, BGCOPY_JOB_STATE_ERROR);
    check_status(f, 502, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_status(f, 503, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_status(f, 504, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_status(f, 505, BGCOPY_JOB_STATE_ERROR);
    check_status(f, 301, BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(count_temps(f->dir, NULL), 0);
}

static void test_404_missing_resource(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/missing.bin";
    const bgcopy_sim_request *rq;
    bgcopy_job *job;
    bgcopy_file *file;

    /* No resource declared: the scripted server answers 404. */
    job = job_with_file(f, url, "missing.bin");
    file = file_at(job, 0);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, (bgcopy_hr)0x80190194u);
    check_error_file(job, file);
    check_error_protocol(job, "http");
    assert_int_equal(error_count_of(job), 1);
    assert_int_equal(requests(f, &rq), 1);
    check_head(&rq[0], url, 404);
    /* A fatal error is not retried: nothing happens however long we wait. */
    advance(f, 3600);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(requests(f, &rq), 1);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_file_release(file);
    bgcopy_job_release(job);
}

static void test_403_fatal(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/forbidden.bin";
    bgcopy_job *job;

    add_resource(f, url, 100, 1);
    add_status_fault(f, url, 403, 1);
    job = job_with_file(f, url, "forbidden.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, (bgcopy_hr)0x80190193u);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
}

static void test_connection_failures(void **state)
{
    fx *f = *state;
    static const char dns[] = "http://nowhere.test/a.bin";
    static const char refused[] = "http://closed.test/a.bin";
    const bgcopy_sim_request *rq;
    bgcopy_job *j1, *j2;

    add_resource(f, dns, 100, 1);
    add_resource(f, refused, 100, 1);
    add_fault(f, BGCOPY_SIM_FAULT_DNS, dns, 1, 0, 0);
    add_fault(f, BGCOPY_SIM_FAULT_REFUSED, refused, 1, 0, 0);

    j1 = job_with_file(f, dns, "dns.bin");
    assert_hr_equal(bgcopy_job_resume(j1), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(j1), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_error(j1, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, (bgcopy_hr)0x80072EE7u);
    check_error_protocol(j1, "http");

    j2 = job_with_file(f, refused, "refused.bin");
    assert_hr_equal(bgcopy_job_resume(j2), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(j2), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_error(j2, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, (bgcopy_hr)0x80072EFDu);

    /* A failed connection is logged with status 0. */
    assert_int_equal(requests(f, &rq), 2);
    check_head(&rq[0], dns, 0);
    check_head(&rq[1], refused, 0);

    /* Both rules were used up: the retries succeed. */
    advance(f, 600);
    run_idle(f);
    assert_int_equal(state_of(j1), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(state_of(j2), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(error_count_of(j1), 1);
    assert_int_equal(error_count_of(j2), 1);
    assert_hr_equal(bgcopy_job_complete(j1), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_complete(j2), BGCOPY_S_OK);
    bgcopy_job_release(j1);
    bgcopy_job_release(j2);
}

static void test_network_down(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/net.bin";
    char local[PATH_CAP];
    bgcopy_job *job;

    add_resource(f, url, 3000, 4);
    job = job_with_file(f, url, "net.bin");
    bgcopy_sim_set_network_up(f->sim, 0);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    /* sim.h: with the network down every connection fails as refused. */
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, (bgcopy_hr)0x80072EFDu);

    /* Still down at the first retry: another failure. */
    advance(f, 600);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(error_count_of(job), 2);

    bgcopy_sim_set_network_up(f->sim, 1);
    advance(f, 601);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 3000, 3000, 1, 1);
    local_path(f, "net.bin", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 4, 3000);
    bgcopy_job_release(job);
}

static void test_reset_resumes_at_checkpoint(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/reset.bin";
    const uint64_t len = 3 * MIB + 12345, n = 1500000;
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    bgcopy_job *job;

    add_resource(f, url, len, 21);
    add_fault(f, BGCOPY_SIM_FAULT_RESET, url, 1, n, 0);
    job = job_with_file(f, url, "reset.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);

    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_WINHTTP_CONNECTION_ERROR);
    check_progress(job, len, n, 1, 0);

    advance(f, 600);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, len, len, 1, 1);
    assert_int_equal(requests(f, &rq), 4);
    check_head(&rq[0], url, 200);
    check_get(&rq[1], url, 0, len - 1, 206);
    check_head(&rq[2], url, 200);
    /* Checkpoint restart: the next GET starts at exactly the first missing byte. */
    check_get(&rq[3], url, n, len - 1, 206);

    local_path(f, "reset.bin", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 21, len);
    bgcopy_job_release(job);
}

/* ---- range support, Content-Length, dynamic content ----------------------------------------- */

static void add_no_ranges(fx *f, const char *url, uint64_t length, bgcopy_sim_content content,
                          uint32_t seed)
{
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    r.url = url;
    r.length = length;
    r.content = content;
    r.seed = seed;
    r.no_ranges = 1;
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
}

static void test_no_ranges_normal_priority_fails(void **state)
{
    fx *f = *state;
    static const char url[] = "http://norange.test/a.bin";
    const bgcopy_sim_request *rq;
    bgcopy_job *job;

    add_no_ranges(f, url, MIB, BGCOPY_SIM_CONTENT_PATTERN, 3);
    job = job_with_file(f, url, "a.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, (bgcopy_hr)0x80200013u);
    check_progress(job, MIB, 0, 1, 0);
    assert_int_equal(requests(f, &rq), 2);
    check_head(&rq[0], url, 200);
    check_get(&rq[1], url, 0, MIB - 1, 200);
    assert_int_equal(count_temps(f->dir, NULL), 0);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
}

static void test_no_ranges_foreground_small_file(void **state)
{
    fx *f = *state;
    static const char url[] = "http://norange.test/b.bin";
    char local[PATH_CAP];
    bgcopy_job *job;

    add_no_ranges(f, url, MIB, BGCOPY_SIM_CONTENT_PATTERN, 4);
    job = job_with_file(f, url, "b.bin");
    set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, MIB, MIB, 1, 1);
    local_path(f, "b.bin", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 4, MIB);
    bgcopy_job_release(job);
}

static void test_no_ranges_foreground_huge_file(void **state)
{
    fx *f = *state;
    static const char url[] = "http://norange.test/huge.bin";
    const bgcopy_sim_request *rq;
    bgcopy_job *job;

    /* Files of 2 GiB or more always need ranges (reference 8.2); no body is fetched. */
    add_no_ranges(f, url, 3 * GIB, BGCOPY_SIM_CONTENT_ZERO, 0);
    job = job_with_file(f, url, "huge.bin");
    set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, (bgcopy_hr)0x80200013u);
    check_progress(job, 3 * GIB, 0, 1, 0);
    assert_int_equal(requests(f, &rq), 2);
    check_head(&rq[0], url, 200);
    check_get(&rq[1], url, 0, 2 * GIB - 1, 200);
    assert_int_equal(count_temps(f->dir, NULL), 0);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
}

/* The documented recovery (reference 8.2): on BG_E_INSUFFICIENT_RANGE_SUPPORT switch the job
 * to FOREGROUND and Resume; works for files under 2 GiB. */
static void test_no_ranges_switch_to_foreground(void **state)
{
    fx *f = *state;
    static const char url[] = "http://norange.test/seed.bin";
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    bgcopy_job *job;

    add_no_ranges(f, url, 700000, BGCOPY_SIM_CONTENT_PATTERN, 12);
    job = job_with_file(f, url, "seed.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT);

    set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 700000, 700000, 1, 1);
    assert_int_equal(error_count_of(job), 1);
    assert_int_equal(requests(f, &rq), 4);
    check_get(&rq[1], url, 0, 699999, 200);
    check_head(&rq[2], url, 200);
    check_get(&rq[3], url, 0, 699999, 200);

    local_path(f, "seed.bin", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 12, 700000);
    bgcopy_job_release(job);
}

static void add_no_length(fx *f, const char *url, uint64_t length, uint32_t seed)
{
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    r.url = url;
    r.length = length;
    r.seed = seed;
    r.no_content_length = 1;
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
}

static void test_missing_content_length(void **state)
{
    fx *f = *state;
    static const char url[] = "http://dynamic.test/a";
    const bgcopy_sim_request *rq;
    bgcopy_job *job;

    add_no_length(f, url, 5000, 8);
    job = job_with_file(f, url, "a.out");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, (bgcopy_hr)0x80200011u);
    check_progress(job, BGCOPY_SIZE_UNKNOWN, 0, 1, 0);
    assert_int_equal(requests(f, &rq), 1);
    check_head(&rq[0], url, 200);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
}

static void test_dynamic_content_foreground(void **state)
{
    fx *f = *state;
    static const char url[] = "http://dynamic.test/b";
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    bgcopy_job *job;

    add_no_length(f, url, 5000, 9);
    job = job_with_file(f, url, "b.out");
    set_enable_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, 1);
    set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 5000, 5000, 1, 1);
    /* No HEAD and no Range (reference 8.3). */
    assert_int_equal(requests(f, &rq), 1);
    assert_string_equal(rq[0].method, "GET");
    assert_string_equal(rq[0].url, url);
    assert_int_equal(rq[0].has_range, 0);
    assert_int_equal(rq[0].status, 200);
    local_path(f, "b.out", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 9, 5000);
    bgcopy_job_release(job);
}

static void test_dynamic_content_background_waits(void **state)
{
    fx *f = *state;
    static const char url[] = "http://dynamic.test/c";
    const bgcopy_sim_request *rq;
    bgcopy_job *job;

    add_no_length(f, url, 5000, 10);
    job = job_with_file(f, url, "c.out");
    set_enable_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, 1);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    /* Dynamic content transfers only at FOREGROUND priority (reference 8.3). */
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_QUEUED);
    advance(f, 3600);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_QUEUED);
    assert_int_equal(requests(f, &rq), 0);
    check_progress(job, BGCOPY_SIZE_UNKNOWN, 0, 1, 0);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
}

/* Dynamic content is "not with file ranges" (reference 8.3): adding ranges to a dynamic job and
 * making a job with ranged files dynamic are both refused, so ranges are never ignored. */
static void test_dynamic_content_excludes_ranges(void **state)
{
    fx *f = *state;
    static const char url[] = "http://ranges.test/dyn.bin";
    static const bgcopy_file_range range = {200, 300};
    static const segment expect = {200, 300};
    bgcopy_job_property_value v;
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    bgcopy_job *job;

    add_resource(f, url, 5000, 47);
    local_path(f, "dyn.bin", local);

    job = new_job(f);
    set_enable_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, 1);
    assert_hr_equal(bgcopy_job_add_file_with_ranges(job, url, local, 1, &range),
                    (bgcopy_hr)0x80200072u);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_job_release(job);

    job = new_job(f);
    assert_hr_equal(bgcopy_job_add_file_with_ranges(job, url, local, 1, &range), BGCOPY_S_OK);
    memset(&v, 0, sizeof(v));
    v.enable = 1;
    assert_hr_equal(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, &v),
                    (bgcopy_hr)0x80200072u);
    memset(&v, 0xFF, sizeof(v));
    assert_hr_equal(bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, &v),
                    BGCOPY_S_OK);
    assert_int_equal(v.enable, 0);
    /* Turning it off conflicts with nothing. */
    set_enable_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, 0);
    set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 300, 300, 1, 1);
    assert_int_equal(requests(f, &rq), 2);
    check_get(&rq[1], url, 200, 499, 206);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_pattern_file(local, 47, &expect, 1);
    bgcopy_job_release(job);
}

static void test_dynamic_content_max_download_size(void **state)
{
    fx *f = *state;
    static const char url[] = "http://dynamic.test/capped";
    bgcopy_job_property_value v;
    bgcopy_job *job;

    add_no_length(f, url, 5000, 48);
    job = job_with_file(f, url, "capped.out");
    set_enable_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, 1);
    memset(&v, 0, sizeof(v));
    v.uint64 = 3000;
    assert_hr_equal(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &v),
                    BGCOPY_S_OK);
    set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    /* The size is learnt from the body: the cap stops it there. */
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    assert_int_equal(count_temps(f->dir, NULL), 0);
    bgcopy_job_release(job);
}

/* A range longer than 2 GiB is fetched in 2 GiB GETs too, and the ranges stay back to back. */
static void test_ranges_over_2gib(void **state)
{
    fx *f = *state;
    static const char url[] = "http://big.test/ranges.img";
    static const bgcopy_file_range ranges[2] = {{100, 2 * GIB + 10},
                                                {3 * GIB - 5, BGCOPY_LENGTH_TO_EOF}};
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    bgcopy_job *job;
    struct stat st;

    r.url = url;
    r.length = 3 * GIB;
    r.content = BGCOPY_SIM_CONTENT_ZERO;
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
    local_path(f, "ranges.img", local);
    job = new_job(f);
    assert_hr_equal(bgcopy_job_add_file_with_ranges(job, url, local, 2, ranges), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 2 * GIB + 15, 2 * GIB + 15, 1, 1);
    assert_int_equal(requests(f, &rq), 4);
    check_get(&rq[1], url, 100, 100 + 2 * GIB - 1, 206);
    check_get(&rq[2], url, 100 + 2 * GIB, 100 + 2 * GIB + 9, 206);
    check_get(&rq[3], url, 3 * GIB - 5, 3 * GIB - 1, 206);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    assert_int_equal(stat(local, &st), 0);
    assert_int_equal((uint64_t)st.st_size, 2 * GIB + 15);
    bgcopy_job_release(job);
}

/* ---- large files ---------------------------------------------------------------------------- */

static void test_3gib_in_two_ranges(void **state)
{
    fx *f = *state;
    static const char url[] = "http://big.test/disk.img";
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    bgcopy_job *job;
    struct stat st;

    r.url = url;
    r.length = 3 * GIB;
    r.content = BGCOPY_SIM_CONTENT_ZERO;
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
    job = job_with_file(f, url, "disk.img");
    set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);

    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 3221225472ULL, 3221225472ULL, 1, 1);
    /* At most 2 GiB per GET (reference 8.2). */
    assert_int_equal(requests(f, &rq), 3);
    check_head(&rq[0], url, 200);
    check_get(&rq[1], url, 0, 2147483647ULL, 206);
    check_get(&rq[2], url, 2147483648ULL, 3221225471ULL, 206);

    local_path(f, "disk.img", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    assert_int_equal(stat(local, &st), 0);
    assert_int_equal((uint64_t)st.st_size, 3221225472ULL);
    /* Zero content is written as holes: the file occupies (almost) no disk. */
    assert_true((uint64_t)st.st_blocks * 512u < MIB);
    bgcopy_job_release(job);
}

/* ---- consistency: the resource changes mid-transfer ------------------------------------------ */

static void test_resource_changed_restarts_file(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/changing.bin";
    const uint64_t old_len = 2 * MIB, new_len = 1572864;
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    bgcopy_job *job;
    bgcopy_file *file;
    struct stat st;

    add_resource(f, url, old_len, 30);
    add_fault(f, BGCOPY_SIM_FAULT_CHANGE, url, 1, MIB, new_len);
    job = job_with_file(f, url, "changing.bin");
    file = file_at(job, 0);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_progress(job, old_len, MIB, 1, 0);

    advance(f, 600);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    /* Size and date changed: the file restarted from byte 0 with the new size (8.2). */
    check_progress(job, new_len, new_len, 1, 1);
    check_file_progress(file, new_len, new_len, 0);
    assert_int_equal(requests(f, &rq), 4);
    check_head(&rq[0], url, 200);
    check_get(&rq[1], url, 0, old_len - 1, 206);
    check_head(&rq[2], url, 200);
    check_get(&rq[3], url, 0, new_len - 1, 206);

    local_path(f, "changing.bin", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 30, new_len);
    /* The new Last-Modified is one second later. */
    assert_int_equal(stat(local, &st), 0);
    assert_int_equal((int64_t)st.st_mtim.tv_sec, 1700000001);
    assert_int_equal((long)st.st_mtim.tv_nsec, 500000000L);
    bgcopy_file_release(file);
    bgcopy_job_release(job);
}

/* ---- AddFileWithRanges ------------------------------------------------------------------------
 */

static void test_file_ranges(void **state)
{
    fx *f = *state;
    static const char url[] = "http://ranges.test/r.bin";
    static const bgcopy_file_range ranges[3] = {{0, 100}, {1000, 50}, {5000, BGCOPY_LENGTH_TO_EOF}};
    static const segment expect[3] = {{0, 100}, {1000, 50}, {5000, 1000}};
    const bgcopy_sim_request *rq;
    bgcopy_file_range *got = NULL;
    char local[PATH_CAP];
    uint32_t count = 0;
    bgcopy_job *job;
    bgcopy_file *file;

    add_resource(f, url, 6000, 44);
    local_path(f, "r.bin", local);
    job = new_job(f);
    assert_hr_equal(bgcopy_job_add_file_with_ranges(job, url, local, 3, ranges), BGCOPY_S_OK);
    file = file_at(job, 0);
    assert_hr_equal(bgcopy_file_get_file_ranges(file, &count, &got), BGCOPY_S_OK);
    assert_int_equal(count, 3);
    assert_memory_equal(got, ranges, sizeof(ranges));
    bgcopy_free(got);
    /* The size of a range "to EOF" is unknown until the HEAD. */
    check_progress(job, BGCOPY_SIZE_UNKNOWN, 0, 1, 0);

    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 1150, 1150, 1, 1);
    check_file_progress(file, 1150, 1150, 0);
    assert_int_equal(requests(f, &rq), 4);
    check_head(&rq[0], url, 200);
    check_get(&rq[1], url, 0, 99, 206);
    check_get(&rq[2], url, 1000, 1049, 206);
    check_get(&rq[3], url, 5000, 5999, 206);

    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    /* Written back to back in the order given (reference 8.5). */
    check_pattern_file(local, 44, expect, 3);
    bgcopy_file_release(file);
    bgcopy_job_release(job);
}

static void test_file_range_beyond_end(void **state)
{
    fx *f = *state;
    static const char url[] = "http://ranges.test/short.bin";
    static const bgcopy_file_range ranges[2] = {{0, 10}, {7000, 10}};
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    bgcopy_job *job;

    add_resource(f, url, 6000, 45);
    local_path(f, "short.bin", local);
    job = new_job(f);
    assert_hr_equal(bgcopy_job_add_file_with_ranges(job, url, local, 2, ranges), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, (bgcopy_hr)0x8020002Bu);
    /* Detected from the HEAD's size, before any GET. */
    assert_int_equal(requests(f, &rq), 1);
    check_head(&rq[0], url, 200);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
}

/* ---- local-side failures -----------------------------------------------------------------------
 */

static void test_disk_full(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/full.bin";
    bgcopy_job *job;

    add_resource(f, url, 100000, 50);
    add_fault(f, BGCOPY_SIM_FAULT_DISK_FULL, url, 1, 4096, 0);
    job = job_with_file(f, url, "full.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_LOCAL_FILE, (bgcopy_hr)0x80070070u);
    check_progress(job, 100000, 4096, 1, 0);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    assert_int_equal(count_temps(f->dir, NULL), 0);
    bgcopy_job_release(job);
}

/* ---- Complete and Cancel --------------------------------------------------------------------- */

static void test_partial_complete(void **state)
{
    fx *f = *state;
    static const char good[] = "http://example.test/good.bin";
    static const char gone[] = "http://example.test/gone.bin";
    char l1[PATH_CAP], l2[PATH_CAP];
    bgcopy_job *job;
    bgcopy_file *f1, *f2;

    add_resource(f, good, 9000, 60);
    local_path(f, "good.bin", l1);
    local_path(f, "gone.bin", l2);
    job = new_job(f);
    assert_hr_equal(bgcopy_job_add_file(job, good, l1), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_add_file(job, gone, l2), BGCOPY_S_OK);
    f1 = file_at(job, 0);
    f2 = file_at(job, 1);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, (bgcopy_hr)0x80190194u);
    check_error_file(job, f2);
    check_progress(job, BGCOPY_SIZE_UNKNOWN, 9000, 2, 1);

    assert_hr_equal(bgcopy_job_complete(job), (bgcopy_hr)0x00200017u);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ACKNOWLEDGED);
    check_whole_pattern_file(l1, 60, 9000);
    assert_false(path_exists(l2));
    assert_int_equal(count_temps(f->dir, NULL), 0);
    check_file_progress(f1, 9000, 9000, 1);
    check_file_progress(f2, BGCOPY_SIZE_UNKNOWN, 0, 0);
    bgcopy_file_release(f1);
    bgcopy_file_release(f2);
    bgcopy_job_release(job);
}

static void test_cancel_while_transferring(void **state)
{
    fx *f = *state;
    static const char url[] = "http://slow.test/big.bin";
    static const char original[] = "this file was here before the job\n";
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    size_t n;
    bgcopy_job *job;

    r.url = url;
    r.length = 4 * MIB;
    r.seed = 70;
    r.bandwidth = (double)MIB; /* 1 MiB/s */
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
    local_path(f, "keep.bin", local);
    write_file(local, original, sizeof(original) - 1);

    job = job_with_file(f, url, "keep.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    advance(f, 1.5);
    /* 1 MiB pieces at t = 0 and t = 1 s. */
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRING);
    check_progress(job, 4 * MIB, 2 * MIB, 1, 0);
    assert_int_equal(count_temps(f->dir, NULL), 1);

    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_CANCELLED);
    assert_int_equal(count_temps(f->dir, NULL), 0);
    check_file_content(local, original, sizeof(original) - 1);

    /* The request in flight is gone: nothing more arrives. */
    n = requests(f, &rq);
    run_idle(f);
    advance(f, 60);
    assert_int_equal(requests(f, &rq), n);
    assert_int_equal(count_temps(f->dir, NULL), 0);
    check_file_content(local, original, sizeof(original) - 1);
    bgcopy_job_release(job);
}

/* A rename that fails leaves the job TRANSFERRED with the files renamed so far completed;
 * Complete succeeds once the problem is fixed (reference 1.6). */
static void test_complete_rename_failure(void **state)
{
    fx *f = *state;
    static const char u1[] = "http://example.test/ok.bin";
    static const char u2[] = "http://example.test/blocked.bin";
    char l1[PATH_CAP], l2[PATH_CAP];
    bgcopy_job *job;
    bgcopy_file *f1, *f2;

    add_resource(f, u1, 3000, 61);
    add_resource(f, u2, 4000, 62);
    local_path(f, "ok.bin", l1);
    local_path(f, "blocked.bin", l2);
    job = new_job(f);
    assert_hr_equal(bgcopy_job_add_file(job, u1, l1), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_add_file(job, u2, l2), BGCOPY_S_OK);
    f1 = file_at(job, 0);
    f2 = file_at(job, 1);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);

    /* A directory in the way of the second file: rename(2) fails with EISDIR. */
    assert_int_equal(mkdir(l2, 0700), 0);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_E_ACCESSDENIED);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_file_progress(f1, 3000, 3000, 1);
    check_file_progress(f2, 4000, 4000, 0);
    check_whole_pattern_file(l1, 61, 3000);
    assert_int_equal(count_temps(f->dir, NULL), 1);

    assert_int_equal(rmdir(l2), 0);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ACKNOWLEDGED);
    check_file_progress(f2, 4000, 4000, 1);
    check_whole_pattern_file(l1, 61, 3000);
    check_whole_pattern_file(l2, 62, 4000);
    assert_int_equal(count_temps(f->dir, NULL), 0);
    bgcopy_file_release(f1);
    bgcopy_file_release(f2);
    bgcopy_job_release(job);
}

/* ---- job properties that stop a transfer ------------------------------------------------------
 */

static void test_max_download_size(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/capped.bin";
    bgcopy_job_property_value v;
    bgcopy_job *job;

    add_resource(f, url, MIB, 80);
    job = job_with_file(f, url, "capped.bin");
    memset(&v, 0, sizeof(v));
    v.uint64 = MIB - 1;
    assert_hr_equal(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &v),
                    BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, (bgcopy_hr)0x80200064u);
    check_progress(job, MIB, 0, 1, 0);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
}

/* ---- remote-name changes (reference 8.4) -------------------------------------------------------
 */

static void test_replace_remote_prefix(void **state)
{
    fx *f = *state;
    static const char old_url[] = "http://old.test/dir/r.bin";
    static const char new_url[] = "http://new.test/dir/r.bin";
    const bgcopy_sim_request *rq;
    char local[PATH_CAP], *name = NULL;
    bgcopy_job *job;
    bgcopy_file *file;

    add_resource(f, new_url, 20000, 90);
    job = job_with_file(f, old_url, "r.bin");
    file = file_at(job, 0);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR_404);

    /* Nothing matches (the match is case-sensitive): S_FALSE, name unchanged. */
    assert_hr_equal(bgcopy_job_replace_remote_prefix(job, "http://other.test/", "http://new.test/"),
                    BGCOPY_S_FALSE);
    assert_hr_equal(bgcopy_job_replace_remote_prefix(job, "HTTP://old.test/", "http://new.test/"),
                    BGCOPY_S_FALSE);
    assert_hr_equal(bgcopy_file_get_remote_name(file, &name), BGCOPY_S_OK);
    assert_string_equal(name, old_url);
    bgcopy_free(name);

    assert_hr_equal(bgcopy_job_replace_remote_prefix(job, "http://old.test/", "http://new.test/"),
                    BGCOPY_S_OK);
    assert_hr_equal(bgcopy_file_get_remote_name(file, &name), BGCOPY_S_OK);
    assert_string_equal(name, new_url);
    bgcopy_free(name);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);

    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(requests(f, &rq), 3);
    check_head(&rq[0], old_url, 404);
    check_head(&rq[1], new_url, 200);
    check_get(&rq[2], new_url, 0, 19999, 206);
    local_path(f, "r.bin", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 90, 20000);
    bgcopy_file_release(file);
    bgcopy_job_release(job);
}

static void test_set_remote_name(void **state)
{
    fx *f = *state;
    static const char old_url[] = "http://old.test/s.bin";
    static const char new_url[] = "http://mirror.test/s.bin";
    const bgcopy_sim_request *rq;
    char local[PATH_CAP], *name = NULL;
    bgcopy_job *job;
    bgcopy_file *file;

    add_resource(f, old_url, 30000, 91);
    add_resource(f, new_url, 30000, 91);
    job = job_with_file(f, old_url, "s.bin");
    file = file_at(job, 0);
    /* Suspended, never resumed: change the name, then Resume. */
    assert_hr_equal(bgcopy_file_set_remote_name(file, new_url), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_file_get_remote_name(file, &name), BGCOPY_S_OK);
    assert_string_equal(name, new_url);
    bgcopy_free(name);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(requests(f, &rq), 2);
    check_head(&rq[0], new_url, 200);
    check_get(&rq[1], new_url, 0, 29999, 206);
    local_path(f, "s.bin", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 91, 30000);
    bgcopy_file_release(file);
    bgcopy_job_release(job);
}

/* ---- the local-file transport (file:// and absolute paths) -------------------------------------
 */

static void write_pattern_file(const char *path, uint32_t seed, size_t len)
{
    unsigned char *buf = malloc(len);
    size_t i;
    assert_non_null(buf);
    for (i = 0; i < len; i++)
        buf[i] = bgcopy_sim_pattern_byte(seed, i);
    write_file(path, buf, len);
    free(buf);
}

static void test_local_file_transport(void **state)
{
    fx *f = *state;
    const size_t len = 1500000;
    char src[PATH_CAP], url[PATH_CAP + 16], out1[PATH_CAP], out2[PATH_CAP];
    const bgcopy_sim_request *rq;
    struct timespec times[2];
    struct stat st;
    bgcopy_job *j1, *j2;

    local_path(f, "source.bin", src);
    write_pattern_file(src, 100, len);
    times[0].tv_sec = times[1].tv_sec = 1650000000;
    times[0].tv_nsec = times[1].tv_nsec = 250000000;
    assert_int_equal(utimensat(AT_FDCWD, src, times, 0), 0);
    snprintf(url, sizeof(url), "file://%s", src);
    local_path(f, "copy1.bin", out1);
    local_path(f, "copy2.bin", out2);

    j1 = new_job(f);
    assert_hr_equal(bgcopy_job_add_file(j1, url, out1), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(j1), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(j1), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(j1, len, len, 1, 1);
    assert_hr_equal(bgcopy_job_complete(j1), BGCOPY_S_OK);
    check_whole_pattern_file(out1, 100, len);
    /* The source's modification time is carried over (reference 8.1). */
    assert_int_equal(stat(out1, &st), 0);
    assert_int_equal((int64_t)st.st_mtim.tv_sec, 1650000000);
    assert_int_equal((long)st.st_mtim.tv_nsec, 250000000L);

    j2 = new_job(f);
    assert_hr_equal(bgcopy_job_add_file(j2, src, out2), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(j2), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(j2), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(j2, len, len, 1, 1);
    assert_hr_equal(bgcopy_job_complete(j2), BGCOPY_S_OK);
    check_whole_pattern_file(out2, 100, len);
    /* The source is untouched and the scripted network saw nothing. */
    check_whole_pattern_file(src, 100, len);
    assert_int_equal(requests(f, &rq), 0);
    assert_int_equal(count_temps(f->dir, NULL), 0);
    bgcopy_job_release(j1);
    bgcopy_job_release(j2);
}

static void test_local_file_missing_source(void **state)
{
    fx *f = *state;
    char src[PATH_CAP], url[PATH_CAP + 16], out[PATH_CAP];
    bgcopy_job *job;
    bgcopy_file *file;

    local_path(f, "does-not-exist.bin", src);
    snprintf(url, sizeof(url), "file://%s", src);
    local_path(f, "out.bin", out);
    job = new_job(f);
    assert_hr_equal(bgcopy_job_add_file(job, url, out), BGCOPY_S_OK);
    file = file_at(job, 0);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, (bgcopy_hr)0x80070002u);
    check_error_protocol(job, "file");
    check_error_file(job, file);
    assert_int_equal(error_count_of(job), 1);
    assert_false(path_exists(out));
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_file_release(file);
    bgcopy_job_release(job);
}

/* ---- more protocol edge cases ------------------------------------------------------------------
 */

/* A transient failure on the second file: the retry fetches only that file. */
static void test_retry_skips_finished_files(void **state)
{
    fx *f = *state;
    static const char u1[] = "http://example.test/first.bin";
    static const char u2[] = "http://example.test/second.bin";
    char l1[PATH_CAP], l2[PATH_CAP];
    const bgcopy_sim_request *rq;
    bgcopy_job *job;

    add_resource(f, u1, 4000, 1);
    add_resource(f, u2, 6000, 2);
    add_status_fault(f, u2, 503, 1);
    local_path(f, "first.bin", l1);
    local_path(f, "second.bin", l2);
    job = new_job(f);
    assert_hr_equal(bgcopy_job_add_file(job, u1, l1), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_add_file(job, u2, l2), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_progress(job, BGCOPY_SIZE_UNKNOWN, 4000, 2, 1);
    advance(f, 600);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 10000, 10000, 2, 2);
    assert_int_equal(requests(f, &rq), 5);
    check_head(&rq[0], u1, 200);
    check_get(&rq[1], u1, 0, 3999, 206);
    check_head(&rq[2], u2, 503);
    check_head(&rq[3], u2, 200);
    check_get(&rq[4], u2, 0, 5999, 206);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(l1, 1, 4000);
    check_whole_pattern_file(l2, 2, 6000);
    bgcopy_job_release(job);
}

/* Suspend mid-transfer, Resume: the transfer continues where it stopped. */
static void test_suspend_resume_continues(void **state)
{
    fx *f = *state;
    static const char url[] = "http://slow.test/s.bin";
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    bgcopy_job *job;

    r.url = url;
    r.length = 4 * MIB;
    r.seed = 71;
    r.bandwidth = (double)MIB;
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
    job = job_with_file(f, url, "s.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    advance(f, 1.5);
    check_progress(job, 4 * MIB, 2 * MIB, 1, 0);
    assert_hr_equal(bgcopy_job_suspend(job), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_SUSPENDED);
    advance(f, 100);
    check_progress(job, 4 * MIB, 2 * MIB, 1, 0);
    assert_int_equal(requests(f, &rq), 2);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(requests(f, &rq), 4);
    check_get(&rq[1], url, 0, 4 * MIB - 1, 206);
    check_head(&rq[2], url, 200);
    check_get(&rq[3], url, 2 * MIB, 4 * MIB - 1, 206);
    local_path(f, "s.bin", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 71, 4 * MIB);
    bgcopy_job_release(job);
}

/* Complete while the second file is in flight keeps only the finished file (reference 1.6). */
static void test_complete_while_transferring(void **state)
{
    fx *f = *state;
    static const char u1[] = "http://example.test/done.bin";
    static const char u2[] = "http://slow.test/half.bin";
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    char l1[PATH_CAP], l2[PATH_CAP];
    const bgcopy_sim_request *rq;
    size_t n;
    bgcopy_job *job;

    add_resource(f, u1, 5000, 72);
    r.url = u2;
    r.length = 4 * MIB;
    r.seed = 73;
    r.bandwidth = (double)MIB;
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
    local_path(f, "done.bin", l1);
    local_path(f, "half.bin", l2);
    job = new_job(f);
    assert_hr_equal(bgcopy_job_add_file(job, u1, l1), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_add_file(job, u2, l2), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    advance(f, 1.5);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRING);
    check_progress(job, 5000 + 4 * MIB, 5000 + 2 * MIB, 2, 1);
    assert_int_equal(count_temps(f->dir, NULL), 2);

    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_PARTIAL_COMPLETE);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ACKNOWLEDGED);
    check_whole_pattern_file(l1, 72, 5000);
    assert_false(path_exists(l2));
    assert_int_equal(count_temps(f->dir, NULL), 0);
    n = requests(f, &rq);
    run_idle(f);
    advance(f, 60);
    assert_int_equal(requests(f, &rq), n);
    assert_int_equal(count_temps(f->dir, NULL), 0);
    bgcopy_job_release(job);
}

/* Files added to a TRANSFERRED job are fetched by the next Resume; earlier ones are not. */
static void test_add_file_after_transferred(void **state)
{
    fx *f = *state;
    static const char u1[] = "http://example.test/v1.bin";
    static const char u2[] = "http://example.test/v2.bin";
    char l1[PATH_CAP], l2[PATH_CAP];
    const bgcopy_sim_request *rq;
    bgcopy_job *job;

    add_resource(f, u1, 1000, 74);
    add_resource(f, u2, 2000, 75);
    local_path(f, "v1.bin", l1);
    local_path(f, "v2.bin", l2);
    job = job_with_file(f, u1, "v1.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_hr_equal(bgcopy_job_add_file(job, u2, l2), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, BGCOPY_SIZE_UNKNOWN, 1000, 2, 1);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_QUEUED);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 3000, 3000, 2, 2);
    assert_int_equal(requests(f, &rq), 4);
    check_head(&rq[2], u2, 200);
    check_get(&rq[3], u2, 0, 1999, 206);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(l1, 74, 1000);
    check_whole_pattern_file(l2, 75, 2000);
    bgcopy_job_release(job);
}

static void test_zero_length_file(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/empty";
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    struct stat st;
    bgcopy_job *job;

    add_resource(f, url, 0, 0);
    job = job_with_file(f, url, "empty.out");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 0, 0, 1, 1);
    /* The size is known from the HEAD: there is nothing to GET. */
    assert_int_equal(requests(f, &rq), 1);
    check_head(&rq[0], url, 200);
    local_path(f, "empty.out", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    assert_int_equal(stat(local, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal((int64_t)st.st_mtim.tv_sec, 1700000000);
    assert_int_equal(count_temps(f->dir, NULL), 0);
    bgcopy_job_release(job);
}

/* A reset in the middle of the first range of a ranged file: the retry asks for the rest of
 * that range, then the others, and the bytes still land back to back. */
static void test_file_ranges_checkpoint(void **state)
{
    fx *f = *state;
    static const char url[] = "http://ranges.test/cp.bin";
    static const bgcopy_file_range ranges[3] = {{100, 200}, {4000, 300}, {1000, 10}};
    static const segment expect[3] = {{100, 200}, {4000, 300}, {1000, 10}};
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    bgcopy_job *job;

    add_resource(f, url, 6000, 46);
    add_fault(f, BGCOPY_SIM_FAULT_RESET, url, 1, 60, 0);
    local_path(f, "cp.bin", local);
    job = new_job(f);
    assert_hr_equal(bgcopy_job_add_file_with_ranges(job, url, local, 3, ranges), BGCOPY_S_OK);
    check_progress(job, 510, 0, 1, 0);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_progress(job, 510, 60, 1, 0);
    advance(f, 600);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 510, 510, 1, 1);
    assert_int_equal(requests(f, &rq), 6);
    check_get(&rq[1], url, 100, 299, 206);
    check_head(&rq[2], url, 200);
    check_get(&rq[3], url, 160, 299, 206);
    check_get(&rq[4], url, 4000, 4299, 206);
    check_get(&rq[5], url, 1000, 1009, 206);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_pattern_file(local, 46, expect, 3);
    bgcopy_job_release(job);
}

/* A range-less FOREGROUND download that is interrupted fails on the restart, which needs a
 * range request (reference 8.2). */
static void test_no_ranges_foreground_interrupted(void **state)
{
    fx *f = *state;
    static const char url[] = "http://norange.test/int.bin";
    const bgcopy_sim_request *rq;
    bgcopy_job *job;

    add_no_ranges(f, url, 3 * MIB, BGCOPY_SIM_CONTENT_PATTERN, 13);
    add_fault(f, BGCOPY_SIM_FAULT_RESET, url, 1, MIB, 0);
    job = job_with_file(f, url, "int.bin");
    set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_progress(job, 3 * MIB, MIB, 1, 0);
    advance(f, 600);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT);
    assert_int_equal(requests(f, &rq), 4);
    check_get(&rq[3], url, MIB, 3 * MIB - 1, 200);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    assert_int_equal(count_temps(f->dir, NULL), 0);
    bgcopy_job_release(job);
}

/* Dynamic content cannot resume: an interrupted download restarts from byte 0 (reference 8.3). */
static void test_dynamic_content_restarts_from_zero(void **state)
{
    fx *f = *state;
    static const char url[] = "http://dynamic.test/r";
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    bgcopy_job *job;

    add_no_length(f, url, 5000, 14);
    add_fault(f, BGCOPY_SIM_FAULT_RESET, url, 1, 2000, 0);
    job = job_with_file(f, url, "r.out");
    set_enable_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, 1);
    set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    advance(f, 600);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 5000, 5000, 1, 1);
    assert_int_equal(requests(f, &rq), 2);
    assert_int_equal(rq[1].has_range, 0);
    local_path(f, "r.out", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 14, 5000);
    bgcopy_job_release(job);
}

/* Same size, new Last-Modified: the file restarts from zero (reference 8.2). */
static void test_date_change_restarts_file(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/dated.bin";
    const uint64_t len = 2 * MIB;
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    struct stat st;
    bgcopy_job *job;

    add_resource(f, url, len, 15);
    add_fault(f, BGCOPY_SIM_FAULT_RESET, url, 1, 3000, 0);
    job = job_with_file(f, url, "dated.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_progress(job, len, 3000, 1, 0);
    assert_hr_equal(bgcopy_sim_change_resource(f->sim, url, len, 1800000000.0), BGCOPY_S_OK);
    advance(f, 600);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, len, len, 1, 1);
    assert_int_equal(requests(f, &rq), 4);
    check_get(&rq[3], url, 0, len - 1, 206);
    local_path(f, "dated.bin", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 15, len);
    assert_int_equal(stat(local, &st), 0);
    assert_int_equal((int64_t)st.st_mtim.tv_sec, 1800000000);
    bgcopy_job_release(job);
}

/* The resource is replaced between the HEAD and the GET (the GET's Content-Range and
 * Last-Modified disagree with the HEAD): the file starts over, it is not a protocol error. */
static void test_change_between_head_and_get(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/race.bin";
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    bgcopy_job *job;

    r.url = url;
    r.length = 10000;
    r.seed = 16;
    r.last_modified = LAST_MODIFIED;
    r.latency = 1.0;
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
    job = job_with_file(f, url, "race.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    /* HEAD answered at t = 1; the GET is answered at t = 2. */
    advance(f, 1.5);
    assert_int_equal(requests(f, &rq), 1);
    assert_hr_equal(bgcopy_sim_change_resource(f->sim, url, 8000, LAST_MODIFIED + 60), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 8000, 8000, 1, 1);
    assert_int_equal(error_count_of(job), 0);
    assert_int_equal(requests(f, &rq), 4);
    check_get(&rq[1], url, 0, 9999, 206);
    check_head(&rq[2], url, 200);
    check_get(&rq[3], url, 0, 7999, 206);
    local_path(f, "race.bin", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 16, 8000);
    bgcopy_job_release(job);
}

/* Same race on a checkpoint restart: the entity shrank below the resume offset between the
 * HEAD and the GET, which is answered 416. The file starts over; no error. */
static void test_shrunk_below_checkpoint_between_head_and_get(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/shrink.bin";
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    bgcopy_job *job;

    r.url = url;
    r.length = 3 * MIB;
    r.seed = 20;
    r.last_modified = LAST_MODIFIED;
    r.latency = 1.0;
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
    add_fault(f, BGCOPY_SIM_FAULT_RESET, url, 1, 2 * MIB, 0);
    job = job_with_file(f, url, "shrink.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_true(bgcopy_sim_now(f->sim) == 2.0);
    check_progress(job, 3 * MIB, 2 * MIB, 1, 0);
    /* Retry at 602 s: HEAD answered at 603 s, GET answered at 604 s. */
    advance(f, 600);
    advance(f, 1.5);
    assert_int_equal(requests(f, &rq), 3);
    assert_hr_equal(bgcopy_sim_change_resource(f->sim, url, MIB, LAST_MODIFIED + 60), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, MIB, MIB, 1, 1);
    assert_int_equal(error_count_of(job), 1);
    assert_int_equal(requests(f, &rq), 6);
    check_head(&rq[2], url, 200);
    check_get(&rq[3], url, 2 * MIB, 3 * MIB - 1, 416);
    check_head(&rq[4], url, 200);
    check_get(&rq[5], url, 0, MIB - 1, 206);
    local_path(f, "shrink.bin", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 20, MIB);
    bgcopy_job_release(job);
}

/* ReplaceRemotePrefix to a mirror with the same size and date continues at the same offset;
 * it restarts only when they differ (reference 8.4, "same restart rules" as SetRemoteName). */
static void test_replace_prefix_keeps_checkpoint(void **state)
{
    fx *f = *state;
    static const char a[] = "http://primary.test/pkg/p.bin";
    static const char b[] = "http://mirror.test/pkg/p.bin";
    const uint64_t len = 3 * MIB, n = 1234567;
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    bgcopy_job *job;

    add_resource(f, a, len, 17);
    add_resource(f, b, len, 17);
    add_fault(f, BGCOPY_SIM_FAULT_RESET, a, 1, n, 0);
    job = job_with_file(f, a, "p.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_progress(job, len, n, 1, 0);
    assert_hr_equal(
        bgcopy_job_replace_remote_prefix(job, "http://primary.test/", "http://mirror.test/"),
        BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, len, len, 1, 1);
    assert_int_equal(requests(f, &rq), 4);
    check_head(&rq[2], b, 200);
    check_get(&rq[3], b, n, len - 1, 206);
    local_path(f, "p.bin", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 17, len);
    bgcopy_job_release(job);
}

/* SetRemoteName to a mirror: same size and date -> same offset; different -> from zero. */
static void test_set_remote_name_restart_rules(void **state)
{
    fx *f = *state;
    static const char a[] = "http://primary.test/q.bin";
    static const char same[] = "http://same.test/q.bin";
    static const char other[] = "http://other.test/q.bin";
    const uint64_t len = 3 * MIB, n1 = 1000000, n2 = 2000000;
    const bgcopy_sim_request *rq;
    char local[PATH_CAP];
    bgcopy_job *job;
    bgcopy_file *file;
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;

    add_resource(f, a, len, 18);
    add_resource(f, same, len, 18);
    r.url = other;
    r.length = len + 1;
    r.seed = 18;
    r.last_modified = LAST_MODIFIED;
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
    add_fault(f, BGCOPY_SIM_FAULT_RESET, a, 1, n1, 0);
    add_fault(f, BGCOPY_SIM_FAULT_RESET, same, 1, n2 - n1, 0);
    job = job_with_file(f, a, "q.bin");
    file = file_at(job, 0);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    check_progress(job, len, n1, 1, 0);

    assert_hr_equal(bgcopy_file_set_remote_name(file, same), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_progress(job, len, n2, 1, 0);

    assert_hr_equal(bgcopy_file_set_remote_name(file, other), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, len + 1, len + 1, 1, 1);
    assert_int_equal(requests(f, &rq), 6);
    check_head(&rq[2], same, 200);
    check_get(&rq[3], same, n1, len - 1, 206);
    check_head(&rq[4], other, 200);
    check_get(&rq[5], other, 0, len, 206);
    local_path(f, "q.bin", local);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(local, 18, len + 1);
    bgcopy_file_release(file);
    bgcopy_job_release(job);
}

/* A fatal error keeps the temporary file until Cancel or Complete (reference 1.8). */
static void test_fatal_error_keeps_temp_until_cancel(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/keep.bin";
    bgcopy_job *job;

    add_resource(f, url, 100000, 19);
    add_fault(f, BGCOPY_SIM_FAULT_DISK_FULL, url, 1, 50000, 0);
    job = job_with_file(f, url, "keep.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(count_temps(f->dir, NULL), 1);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    assert_int_equal(count_temps(f->dir, NULL), 0);
    bgcopy_job_release(job);
}

/* A server that refuses HEAD (405): the first ranged GET learns the size from
 * its Content-Range, and the download completes byte for byte. */
static void test_head_refused_size_from_first_get(void **state)
{
    fx *f = *state;
    static const char url[] = "http://nohead.test/a.bin";
    const bgcopy_sim_request *rq;
    bgcopy_job *job;
    char path[256];

    add_resource(f, url, 300000, 21);
    add_status_fault(f, url, 405, 1); /* only the HEAD */
    job = job_with_file(f, url, "nohead.bin");
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 300000, 300000, 1, 1);
    assert_int_equal(requests(f, &rq), 2);
    check_head(&rq[0], url, 405);
    check_get(&rq[1], url, 0, BGCOPY__MAX_RANGE_REQUEST - 1, 206);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    local_path(f, "nohead.bin", path);
    check_whole_pattern_file(path, 21, 300000);
    bgcopy_job_release(job);
}

/* The seed's "dynamic content" case: HEAD refused, and the GET answers 200
 * without Content-Length: BG_E_INSUFFICIENT_RANGE_SUPPORT with the file's
 * BytesTotal still BG_SIZE_UNKNOWN. */
static void test_head_refused_no_ranges_no_length(void **state)
{
    fx *f = *state;
    static const char url[] = "http://dynamic.test/a.bin";
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    bgcopy_job *job;
    bgcopy_file *file;

    r.url = url;
    r.length = 5000;
    r.seed = 3;
    r.no_ranges = 1;
    r.no_content_length = 1;
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
    add_status_fault(f, url, 405, 1);
    job = job_with_file(f, url, "dynamic.bin");
    file = file_at(job, 0);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT);
    check_file_progress(file, BGCOPY_SIZE_UNKNOWN, 0, 0);
    bgcopy_file_release(file);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
}

/* ---- stalls and undeletable temporary files -------------------------------------------------- */

/* A server that stops sending (BGCOPY_SIM_FAULT_STALL) ends the request once no byte came for the
 * manager's http_stall_timeout (60 s by default), as the HTTP transport does: ERROR_WINHTTP_TIMEOUT
 * (0x80072EE2), transient, context REMOTE_FILE, one error counted; the retry after
 * MinimumRetryDelay continues at the first missing byte. */
static void test_stall_times_out(void **state)
{
    fx *f = *state;
    static const char url[] = "http://example.test/stall.bin";
    const bgcopy_sim_request *rq;
    bgcopy_job *job;
    bgcopy_file *file;

    add_resource(f, url, 10000, 23);
    add_fault(f, BGCOPY_SIM_FAULT_STALL, url, 1, 4000, 0);
    job = job_with_file(f, url, "stall.bin");
    file = file_at(job, 0);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(f); /* returns while the request waits: nothing is in progress */
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRING);
    check_progress(job, 10000, 4000, 1, 0);

    advance(f, 59.999);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(error_count_of(job), 0);
    advance(f, 0.001); /* 60 s after the last byte */
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    check_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, (bgcopy_hr)0x80072EE2u);
    check_error(job, 5, BGCOPY_E_WINHTTP_TIMEOUT);
    check_error_file(job, file);
    check_error_protocol(job, "http");
    assert_int_equal(error_count_of(job), 1);
    check_progress(job, 10000, 4000, 1, 0);

    advance(f, 599.999);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    advance(f, 0.001);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(requests(f, &rq), 4);
    check_head(&rq[0], url, 200);
    check_get(&rq[1], url, 0, 9999, 206);
    check_head(&rq[2], url, 200);
    check_get(&rq[3], url, 4000, 9999, 206);
    assert_true(rq[2].time == 660.0);
    assert_int_equal(error_count_of(job), 1);
    bgcopy_file_release(file);
    bgcopy_job_release(job);
}

/* Puts an empty directory where file's temporary file is: unlink(2) then fails with EISDIR, for
 * root too. */
static void block_temp(bgcopy_file *file)
{
    char *temp = NULL;

    assert_hr_equal(bgcopy_file_get_temporary_name(file, &temp), BGCOPY_S_OK);
    assert_int_equal(unlink(temp), 0);
    assert_int_equal(mkdir(temp, 0700), 0);
    bgcopy_free(temp);
}

/* Cancel whose temporary file cannot be deleted: BG_S_UNABLE_TO_DELETE_FILES (0x0020001A), the
 * job is CANCELLED all the same (reference 1.7). */
static void test_cancel_unable_to_delete_files(void **state)
{
    fx *f = *state;
    static const char url[] = "http://slow.test/undeletable.bin";
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    bgcopy_job *job;
    bgcopy_file *file;

    r.url = url;
    r.length = 4 * MIB;
    r.seed = 71;
    r.bandwidth = (double)MIB;
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
    job = job_with_file(f, url, "undeletable.bin");
    file = file_at(job, 0);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    advance(f, 1.5);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(count_temps(f->dir, NULL), 1);
    block_temp(file);

    assert_hr_equal(bgcopy_job_cancel(job), (bgcopy_hr)0x0020001Au);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_CANCELLED);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_E_INVALID_STATE);
    assert_int_equal(count_temps(f->dir, NULL), 1); /* the directory is still there */
    bgcopy_file_release(file);
    bgcopy_job_release(job);
}

/* Complete that keeps the whole first file but cannot delete the second file's partial temporary
 * file: BG_S_UNABLE_TO_DELETE_FILES (0x0020001A) rather than BG_S_PARTIAL_COMPLETE, the job is
 * ACKNOWLEDGED and the first file in place (reference 1.6). */
static void test_complete_unable_to_delete_files(void **state)
{
    fx *f = *state;
    static const char u1[] = "http://example.test/whole.bin";
    static const char u2[] = "http://slow.test/partial.bin";
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    char l1[PATH_CAP], l2[PATH_CAP];
    bgcopy_job *job;
    bgcopy_file *f1, *f2;

    add_resource(f, u1, 9000, 72);
    r.url = u2;
    r.length = 4 * MIB;
    r.seed = 73;
    r.bandwidth = (double)MIB;
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
    local_path(f, "whole.bin", l1);
    local_path(f, "partial.bin", l2);
    job = new_job(f);
    assert_hr_equal(bgcopy_job_add_file(job, u1, l1), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_add_file(job, u2, l2), BGCOPY_S_OK);
    f1 = file_at(job, 0);
    f2 = file_at(job, 1);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    advance(f, 1.5);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRING);
    check_progress(job, 9000 + 4 * MIB, 9000 + 2 * MIB, 2, 1);
    block_temp(f2);

    assert_hr_equal(bgcopy_job_complete(job), (bgcopy_hr)0x0020001Au);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_E_INVALID_STATE);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ACKNOWLEDGED);
    check_whole_pattern_file(l1, 72, 9000);
    check_file_progress(f1, 9000, 9000, 1);
    assert_false(path_exists(l2));
    bgcopy_file_release(f1);
    bgcopy_file_release(f2);
    bgcopy_job_release(job);
}

/* AddFile while the job transfers is accepted and the new file is fetched after the others; the
 * temporary file being written is mode 0600 (Appendix D item 1). */
static void test_add_file_while_transferring(void **state)
{
    fx *f = *state;
    static const char u1[] = "http://slow.test/first.bin";
    static const char u2[] = "http://example.test/added.bin";
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    const bgcopy_sim_request *rq;
    char l2[PATH_CAP], *temp = NULL;
    bgcopy_job *job;
    bgcopy_file *file;
    struct stat st;

    r.url = u1;
    r.length = 4 * MIB;
    r.seed = 74;
    r.bandwidth = (double)MIB;
    assert_hr_equal(bgcopy_sim_add_resource(f->sim, &r), BGCOPY_S_OK);
    add_resource(f, u2, 5000, 75);
    job = job_with_file(f, u1, "first.bin");
    file = file_at(job, 0);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    advance(f, 1.5);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRING);
    assert_hr_equal(bgcopy_file_get_temporary_name(file, &temp), BGCOPY_S_OK);
    assert_int_equal(stat(temp, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);

    local_path(f, "added.bin", l2);
    assert_hr_equal(bgcopy_job_add_file(job, u2, l2), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRING);
    check_progress(job, BGCOPY_SIZE_UNKNOWN, 2 * MIB, 2, 0);
    run_idle(f);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    check_progress(job, 4 * MIB + 5000, 4 * MIB + 5000, 2, 2);
    assert_int_equal(requests(f, &rq), 4);
    check_head(&rq[0], u1, 200);
    check_get(&rq[1], u1, 0, 4 * MIB - 1, 206);
    check_head(&rq[2], u2, 200);
    check_get(&rq[3], u2, 0, 4999, 206);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_whole_pattern_file(l2, 75, 5000);
    bgcopy_free(temp);
    bgcopy_file_release(file);
    bgcopy_job_release(job);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_happy_path),
        T(test_files_in_add_order),
        T(test_503_retried_after_delay),
        T(test_retry_goes_through_queued),
        T(test_http_status_classification),
        T(test_404_missing_resource),
        T(test_403_fatal),
        T(test_connection_failures),
        T(test_network_down),
        T(test_reset_resumes_at_checkpoint),
        T(test_no_ranges_normal_priority_fails),
        T(test_head_refused_size_from_first_get),
        T(test_head_refused_no_ranges_no_length),
        T(test_no_ranges_foreground_small_file),
        T(test_no_ranges_foreground_huge_file),
        T(test_no_ranges_switch_to_foreground),
        T(test_missing_content_length),
        T(test_dynamic_content_foreground),
        T(test_dynamic_content_background_waits),
        T(test_dynamic_content_excludes_ranges),
        T(test_dynamic_content_max_download_size),
        T(test_3gib_in_two_ranges),
        T(test_ranges_over_2gib),
        T(test_resource_changed_restarts_file),
        T(test_file_ranges),
        T(test_file_range_beyond_end),
        T(test_disk_full),
        T(test_partial_complete),
        T(test_cancel_while_transferring),
        T(test_complete_rename_failure),
        T(test_max_download_size),
        T(test_replace_remote_prefix),
        T(test_set_remote_name),
        T(test_local_file_transport),
        T(test_local_file_missing_source),
        T(test_retry_skips_finished_files),
        T(test_suspend_resume_continues),
        T(test_complete_while_transferring),
        T(test_add_file_after_transferred),
        T(test_zero_length_file),
        T(test_file_ranges_checkpoint),
        T(test_no_ranges_foreground_interrupted),
        T(test_dynamic_content_restarts_from_zero),
        T(test_date_change_restarts_file),
        T(test_change_between_head_and_get),
        T(test_shrunk_below_checkpoint_between_head_and_get),
        T(test_replace_prefix_keeps_checkpoint),
        T(test_set_remote_name_restart_rules),
        T(test_fatal_error_keeps_temp_until_cancel),
        T(test_stall_times_out),
        T(test_cancel_unable_to_delete_files),
        T(test_complete_unable_to_delete_files),
        T(test_add_file_while_transferring),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
