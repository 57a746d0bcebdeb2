/* tests/unit/test_sim.c - pins the simulation harness itself (include/bgcopy/sim.h, core/sim.c).
 *
 * Determinism (the same scenario in two fresh simulations gives the same request log and the
 * same virtual times), the exact shaping of virtual time by latency and bandwidth, the
 * lifetime rule of bgcopy_sim_destroy, argument checks of the declaration functions, fault-rule
 * matching and counting, and run_until_idle's promise not to jump over waiting timers. All in
 * virtual time; local files live in a fresh directory under the current directory.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core-int.h"

/* Compare as unsigned 32-bit so failures print the familiar hex value. */
#define assert_hr_equal(a, b) assert_int_equal((uint32_t)(a), (uint32_t)(b))

#define MIB              (1024ULL * 1024ULL)
#define PATH_CAP         4200
#define DEFAULT_START    1767225600.0 /* sim.h: 2026-01-01T00:00:00Z */
#define TICKS_PER_SECOND 10000000ULL  /* FILETIME */

/* ---- temporary directory ------------------------------------------------------------------ */

typedef struct tmpdir {
    char path[PATH_CAP - 256];
} tmpdir;

static void make_dir(tmpdir *d)
{
    char cwd[PATH_CAP - 512];
    int n;
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    n = snprintf(d->path, sizeof(d->path), "%s/sim-test-XXXXXX", cwd);
    assert_true(n > 0 && (size_t)n < sizeof(d->path));
    assert_non_null(mkdtemp(d->path));
}

static void remove_dir(tmpdir *d)
{
    DIR *dp = opendir(d->path);
    struct dirent *de;
    char p[PATH_CAP];

    if (dp == NULL)
        return;
    while ((de = readdir(dp)) != NULL) {
        int n;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        n = snprintf(p, sizeof(p), "%s/%s", d->path, de->d_name);
        if (n > 0 && (size_t)n < sizeof(p))
            (void)unlink(p);
    }
    closedir(dp);
    (void)rmdir(d->path);
}

static void local_path(const tmpdir *d, const char *name, char *out)
{
    int n = snprintf(out, PATH_CAP, "%s/%s", d->path, name);
    assert_true(n > 0 && n < PATH_CAP);
}

/* ---- helpers ------------------------------------------------------------------------------ */

static bgcopy_manager *open_manager(bgcopy_sim *sim)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL;
    o.sim = sim;
    o.user = "bob";
    assert_hr_equal(bgcopy_manager_open(&o, &mgr), BGCOPY_S_OK);
    return mgr;
}

static bgcopy_job *new_job(bgcopy_manager *mgr, const char *url, const char *local)
{
    bgcopy_job *job = NULL;
    assert_hr_equal(
        bgcopy_manager_create_job(mgr, "sim test", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job),
        BGCOPY_S_OK);
    if (url)
        assert_hr_equal(bgcopy_job_add_file(job, url, local), BGCOPY_S_OK);
    return job;
}

static void add_resource(bgcopy_sim *sim, const char *url, uint64_t length, uint32_t seed,
                         double latency, double bandwidth)
{
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    r.url = url;
    r.length = length;
    r.seed = seed;
    r.latency = latency;
    r.bandwidth = bandwidth;
    assert_hr_equal(bgcopy_sim_add_resource(sim, &r), BGCOPY_S_OK);
}

static void add_status_fault(bgcopy_sim *sim, const char *url, int status, uint32_t count)
{
    bgcopy_sim_fault ft = BGCOPY_SIM_FAULT_INIT;
    ft.kind = BGCOPY_SIM_FAULT_HTTP_STATUS;
    ft.url = url;
    ft.status = status;
    ft.count = count;
    assert_hr_equal(bgcopy_sim_add_fault(sim, &ft), BGCOPY_S_OK);
}

static bgcopy_job_state state_of(bgcopy_job *job)
{
    bgcopy_job_state s = (bgcopy_job_state)-1;
    assert_hr_equal(bgcopy_job_get_state(job, &s), BGCOPY_S_OK);
    return s;
}

static uint64_t transferred_bytes(bgcopy_job *job)
{
    bgcopy_job_progress p;
    assert_hr_equal(bgcopy_job_get_progress(job, &p), BGCOPY_S_OK);
    return p.bytes_transferred;
}

static bgcopy_job_times times_of(bgcopy_job *job)
{
    bgcopy_job_times t;
    assert_hr_equal(bgcopy_job_get_times(job, &t), BGCOPY_S_OK);
    return t;
}

static void check_request(const bgcopy_sim_request *r, const char *method, const char *url,
                          int has_range, uint64_t first, uint64_t last, int status)
{
    assert_string_equal(r->method, method);
    assert_string_equal(r->url, url);
    assert_int_equal(r->has_range, has_range);
    if (has_range) {
        assert_int_equal(r->range_first, first);
        assert_int_equal(r->range_last, last);
    }
    assert_int_equal(r->status, status);
}

static void check_pattern_file(const char *path, uint32_t seed, uint64_t length)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf = malloc(length + 1);
    uint64_t i;
    size_t got;

    assert_non_null(fp);
    assert_non_null(buf);
    got = fread(buf, 1, length + 1, fp);
    fclose(fp);
    assert_int_equal(got, length);
    for (i = 0; i < length; i++) {
        uint8_t have = buf[i], want = bgcopy_sim_pattern_byte(seed, i);
        if (have != want) {
            free(buf);
            fail_msg("%s: byte %llu is 0x%02X, expected 0x%02X", path, (unsigned long long)i,
                     (unsigned)have, (unsigned)want);
        }
    }
    free(buf);
}

/* ---- determinism ------------------------------------------------------------------------- */

#define MAX_TRACE 64

typedef struct trace {
    size_t n;
    bgcopy_sim_request rq[MAX_TRACE];
    char urls[MAX_TRACE][64];
    double done_at[3]; /* virtual time each job reached TRANSFERRED */
    uint32_t errors[3];
    double end; /* virtual time at the end */
} trace;

/* Three jobs of different priorities over three shaped resources, with a reset, a 503 and a
 * retry, then Complete; records what the simulation saw. */
static void run_scenario(trace *t)
{
    static const char a[] = "http://a.test/one.bin";
    static const char b[] = "http://b.test/two.bin";
    static const char c[] = "https://c.test/three.bin";
    bgcopy_sim_options so = BGCOPY_SIM_OPTIONS_INIT;
    bgcopy_sim_fault ft = BGCOPY_SIM_FAULT_INIT;
    const bgcopy_sim_request *rq;
    char la[PATH_CAP], lb[PATH_CAP], lc[PATH_CAP], lb2[PATH_CAP];
    bgcopy_job *jobs[3];
    bgcopy_manager *mgr;
    bgcopy_sim *sim = NULL;
    tmpdir d;
    size_t i;

    memset(t, 0, sizeof(*t));
    make_dir(&d);
    so.chunk_size = 65536;
    assert_hr_equal(bgcopy_sim_create(&so, &sim), BGCOPY_S_OK);
    mgr = open_manager(sim);
    add_resource(sim, a, 3 * MIB + 7, 1, 0.25, 2.0 * MIB);
    add_resource(sim, b, 500000, 2, 0.1, 300000.0);
    add_resource(sim, c, MIB, 3, 0.0, 0.0);
    ft.kind = BGCOPY_SIM_FAULT_RESET;
    ft.url = a;
    ft.count = 1;
    ft.after_bytes = 1000000;
    assert_hr_equal(bgcopy_sim_add_fault(sim, &ft), BGCOPY_S_OK);
    add_status_fault(sim, b, 503, 1);

    local_path(&d, "a.bin", la);
    local_path(&d, "b.bin", lb);
    local_path(&d, "c.bin", lc);
    local_path(&d, "b2.bin", lb2);
    jobs[0] = new_job(mgr, a, la);
    assert_hr_equal(bgcopy_job_add_file(jobs[0], b, lb), BGCOPY_S_OK);
    jobs[1] = new_job(mgr, c, lc);
    assert_hr_equal(bgcopy_job_set_priority(jobs[1], BGCOPY_JOB_PRIORITY_FOREGROUND), BGCOPY_S_OK);
    jobs[2] = new_job(mgr, b, lb2);
    assert_hr_equal(bgcopy_job_set_priority(jobs[2], BGCOPY_JOB_PRIORITY_HIGH), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_minimum_retry_delay(jobs[0], 30), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_minimum_retry_delay(jobs[2], 30), BGCOPY_S_OK);
    for (i = 0; i < 3; i++)
        assert_hr_equal(bgcopy_job_resume(jobs[i]), BGCOPY_S_OK);

    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(sim, 30), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(sim, 30), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);

    for (i = 0; i < 3; i++) {
        bgcopy_job_times tm = times_of(jobs[i]);
        assert_int_equal(state_of(jobs[i]), BGCOPY_JOB_STATE_TRANSFERRED);
        t->done_at[i] = bgcopy_filetime_to_unix(tm.transfer_completion_time) - DEFAULT_START;
        assert_hr_equal(bgcopy_job_get_error_count(jobs[i], &t->errors[i]), BGCOPY_S_OK);
    }
    t->end = bgcopy_sim_now(sim);
    t->n = bgcopy_sim_requests(sim, &rq);
    assert_true(t->n <= MAX_TRACE);
    for (i = 0; i < t->n; i++) {
        t->rq[i] = rq[i];
        assert_true(strlen(rq[i].url) < sizeof(t->urls[i]));
        strcpy(t->urls[i], rq[i].url);
        t->rq[i].url = NULL;
    }
    for (i = 0; i < 3; i++) {
        assert_hr_equal(bgcopy_job_complete(jobs[i]), BGCOPY_S_OK);
        bgcopy_job_release(jobs[i]);
    }
    check_pattern_file(la, 1, 3 * MIB + 7);
    check_pattern_file(lb, 2, 500000);
    check_pattern_file(lc, 3, MIB);
    check_pattern_file(lb2, 2, 500000);
    bgcopy_manager_close(mgr);
    assert_hr_equal(bgcopy_sim_destroy(sim), BGCOPY_S_OK);
    remove_dir(&d);
}

static void test_determinism(void **state)
{
    trace *t1 = calloc(1, sizeof(*t1)), *t2 = calloc(1, sizeof(*t2));
    size_t i;

    (void)state;
    assert_non_null(t1);
    assert_non_null(t2);
    run_scenario(t1);
    run_scenario(t2);

    /* The scenario is not trivial: retries happened and several requests were made. */
    assert_true(t1->n >= 10);
    assert_int_equal(t1->errors[0], 1);
    assert_int_equal(t1->errors[1], 0);
    assert_int_equal(t1->errors[2], 1);

    assert_int_equal(t1->n, t2->n);
    for (i = 0; i < t1->n; i++) {
        const bgcopy_sim_request *x = &t1->rq[i], *y = &t2->rq[i];
        assert_string_equal(x->method, y->method);
        assert_string_equal(t1->urls[i], t2->urls[i]);
        assert_int_equal(x->has_range, y->has_range);
        assert_int_equal(x->range_first, y->range_first);
        assert_int_equal(x->range_last, y->range_last);
        assert_int_equal(x->status, y->status);
        if (x->time != y->time)
            fail_msg("request %zu at %.6f s in run 1, %.6f s in run 2", i, x->time, y->time);
    }
    for (i = 0; i < 3; i++) {
        if (t1->done_at[i] != t2->done_at[i])
            fail_msg("job %zu done at %.6f s, then at %.6f s", i, t1->done_at[i], t2->done_at[i]);
        assert_int_equal(t1->errors[i], t2->errors[i]);
    }
    assert_true(t1->end == t2->end);
    free(t1);
    free(t2);
}

/* ---- virtual time: latency and bandwidth ----------------------------------------------------- */

/* Downloads one 1 MiB resource (latency 0.5 s, 1 MiB/s) on a simulation with the given piece
 * size, and checks the exact timeline. */
static void check_timeline(uint32_t chunk_size, uint64_t at_1_5)
{
    static const char url[] = "http://timed.test/f.bin";
    bgcopy_sim_options so = BGCOPY_SIM_OPTIONS_INIT;
    const bgcopy_sim_request *rq;
    bgcopy_manager *mgr;
    bgcopy_sim *sim = NULL;
    bgcopy_job_times tm;
    char local[PATH_CAP];
    bgcopy_job *job;
    tmpdir d;

    make_dir(&d);
    so.chunk_size = chunk_size;
    assert_hr_equal(bgcopy_sim_create(&so, &sim), BGCOPY_S_OK);
    assert_true(bgcopy_sim_now(sim) == 0.0);
    mgr = open_manager(sim);
    add_resource(sim, url, MIB, 5, 0.5, (double)MIB);
    local_path(&d, "f.bin", local);
    job = new_job(mgr, url, local);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);

    /* HEAD answered after 0.5 s; the GET after another 0.5 s; then 1 s of body at 1 MiB/s. */
    assert_hr_equal(bgcopy_sim_advance(sim, 0.75), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_CONNECTING);
    assert_hr_equal(bgcopy_sim_advance(sim, 0.75), BGCOPY_S_OK);
    assert_true(bgcopy_sim_now(sim) == 1.5);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(transferred_bytes(job), at_1_5);

    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(transferred_bytes(job), MIB);
    /* HEAD latency + GET latency + 1 MiB / (1 MiB/s) = 0.5 + 0.5 + 1.0. */
    assert_true(bgcopy_sim_now(sim) == 2.0);
    tm = times_of(job);
    assert_int_equal(tm.creation_time, bgcopy_filetime_from_unix(DEFAULT_START));
    assert_int_equal(tm.transfer_completion_time - tm.creation_time, 2 * TICKS_PER_SECOND);

    /* Requests are logged when answered, i.e. after the latency. */
    assert_int_equal(bgcopy_sim_requests(sim, &rq), 2);
    check_request(&rq[0], "HEAD", url, 0, 0, 0, 200);
    assert_true(rq[0].time == 0.5);
    check_request(&rq[1], "GET", url, 1, 0, MIB - 1, 206);
    assert_true(rq[1].time == 1.0);

    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_pattern_file(local, 5, MIB);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    assert_hr_equal(bgcopy_sim_destroy(sim), BGCOPY_S_OK);
    remove_dir(&d);
}

static void test_latency_and_bandwidth(void **state)
{
    (void)state;
    /* One 1 MiB piece: delivered at 1.0 s, the body ends when the bandwidth allows (2.0 s). */
    check_timeline(0, MIB);
    /* 64 KiB pieces every 1/16 s from 1.0 s: nine pieces by 1.5 s; same end time. */
    check_timeline(65536, 9 * 65536);
}

static void test_unshaped_resource_takes_no_time(void **state)
{
    static const char url[] = "http://fast.test/f.bin";
    bgcopy_sim *sim = NULL;
    bgcopy_manager *mgr;
    char local[PATH_CAP];
    bgcopy_job *job;
    tmpdir d;

    (void)state;
    make_dir(&d);
    assert_hr_equal(bgcopy_sim_create(NULL, &sim), BGCOPY_S_OK);
    mgr = open_manager(sim);
    add_resource(sim, url, 5 * MIB, 6, 0.0, 0.0);
    local_path(&d, "f.bin", local);
    job = new_job(mgr, url, local);
    assert_hr_equal(bgcopy_sim_advance(sim, 10), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_true(bgcopy_sim_now(sim) == 10.0);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_pattern_file(local, 6, 5 * MIB);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    assert_hr_equal(bgcopy_sim_destroy(sim), BGCOPY_S_OK);
    remove_dir(&d);
}

static void test_start_wall_time(void **state)
{
    bgcopy_sim_options so = BGCOPY_SIM_OPTIONS_INIT;
    bgcopy_sim *sim = NULL;
    bgcopy_manager *mgr;
    bgcopy_job *job;
    bgcopy_job_times tm;

    (void)state;
    so.start_wall_time = 1000000000.0;
    assert_hr_equal(bgcopy_sim_create(&so, &sim), BGCOPY_S_OK);
    mgr = open_manager(sim);
    assert_hr_equal(bgcopy_sim_advance(sim, 2.5), BGCOPY_S_OK);
    job = new_job(mgr, NULL, NULL);
    tm = times_of(job);
    assert_int_equal(tm.creation_time, bgcopy_filetime_from_unix(1000000002.5));
    assert_int_equal(tm.modification_time, tm.creation_time);
    assert_int_equal(tm.transfer_completion_time, 0);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    assert_hr_equal(bgcopy_sim_destroy(sim), BGCOPY_S_OK);
}

/* ---- lifetime -------------------------------------------------------------------------------- */

static void test_destroy_needs_everything_closed(void **state)
{
    bgcopy_sim *sim = NULL;
    bgcopy_manager *mgr;
    bgcopy_job *job;

    (void)state;
    assert_hr_equal(bgcopy_sim_destroy(NULL), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_create(NULL, NULL), BGCOPY_E_POINTER);
    {
        bgcopy_sim_options bad = BGCOPY_SIM_OPTIONS_INIT;
        bad.size = 0;
        assert_hr_equal(bgcopy_sim_create(&bad, &sim), BGCOPY_E_INVALIDARG);
    }
    assert_hr_equal(bgcopy_sim_create(NULL, &sim), BGCOPY_S_OK);
    mgr = open_manager(sim);
    assert_hr_equal(bgcopy_sim_destroy(sim), (bgcopy_hr)0x8000FFFFu);
    /* Nothing was freed: the manager still works. */
    job = new_job(mgr, NULL, NULL);
    bgcopy_manager_close(mgr);
    /* A job object still held keeps the engine: still refused. */
    assert_hr_equal(bgcopy_sim_destroy(sim), (bgcopy_hr)0x8000FFFFu);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_SUSPENDED);
    bgcopy_job_release(job);
    assert_hr_equal(bgcopy_sim_destroy(sim), BGCOPY_S_OK);

    /* A simulation no manager was ever opened on. */
    assert_hr_equal(bgcopy_sim_create(NULL, &sim), BGCOPY_S_OK);
    assert_true(bgcopy_sim_now(sim) == 0.0);
    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_destroy(sim), BGCOPY_S_OK);
}

/* ---- argument checks ------------------------------------------------------------------------ */

static void test_add_resource_arguments(void **state)
{
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    bgcopy_sim *sim = NULL;

    (void)state;
    assert_hr_equal(bgcopy_sim_create(NULL, &sim), BGCOPY_S_OK);
    r.length = 10;
    r.url = "ftp://files.test/a.bin";
    assert_hr_equal(bgcopy_sim_add_resource(sim, &r), BGCOPY_E_INVALIDARG);
    r.url = "file:///tmp/a.bin";
    assert_hr_equal(bgcopy_sim_add_resource(sim, &r), BGCOPY_E_INVALIDARG);
    r.url = "/tmp/a.bin";
    assert_hr_equal(bgcopy_sim_add_resource(sim, &r), BGCOPY_E_INVALIDARG);
    r.url = NULL;
    assert_hr_equal(bgcopy_sim_add_resource(sim, &r), BGCOPY_E_INVALIDARG);
    assert_hr_equal(bgcopy_sim_add_resource(sim, NULL), BGCOPY_E_INVALIDARG);
    r.url = "http://files.test/a.bin";
    assert_hr_equal(bgcopy_sim_add_resource(sim, &r), BGCOPY_S_OK);
    /* Declaring it again replaces it. */
    assert_hr_equal(bgcopy_sim_add_resource(sim, &r), BGCOPY_S_OK);
    r.url = "https://files.test/a.bin";
    assert_hr_equal(bgcopy_sim_add_resource(sim, &r), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_destroy(sim), BGCOPY_S_OK);
}

static void test_add_fault_arguments(void **state)
{
    bgcopy_sim_fault ft = BGCOPY_SIM_FAULT_INIT;
    bgcopy_sim *sim = NULL;

    (void)state;
    assert_hr_equal(bgcopy_sim_create(NULL, &sim), BGCOPY_S_OK);
    ft.kind = BGCOPY_SIM_FAULT_HTTP_STATUS;
    ft.status = 99;
    assert_hr_equal(bgcopy_sim_add_fault(sim, &ft), BGCOPY_E_INVALIDARG);
    ft.status = 600;
    assert_hr_equal(bgcopy_sim_add_fault(sim, &ft), BGCOPY_E_INVALIDARG);
    ft.status = 0;
    assert_hr_equal(bgcopy_sim_add_fault(sim, &ft), BGCOPY_E_INVALIDARG);
    ft.status = 100;
    assert_hr_equal(bgcopy_sim_add_fault(sim, &ft), BGCOPY_S_OK);
    ft.status = 599;
    assert_hr_equal(bgcopy_sim_add_fault(sim, &ft), BGCOPY_S_OK);
    ft.kind = (bgcopy_sim_fault_kind)0;
    assert_hr_equal(bgcopy_sim_add_fault(sim, &ft), BGCOPY_E_INVALIDARG);
    ft.kind = (bgcopy_sim_fault_kind)8;
    assert_hr_equal(bgcopy_sim_add_fault(sim, &ft), BGCOPY_E_INVALIDARG);
    assert_hr_equal(bgcopy_sim_add_fault(sim, NULL), BGCOPY_E_INVALIDARG);
    bgcopy_sim_clear_faults(sim);
    assert_hr_equal(bgcopy_sim_destroy(sim), BGCOPY_S_OK);
}

static void test_change_and_remove_resource(void **state)
{
    static const char url[] = "http://files.test/c.bin";
    const bgcopy_sim_request *rq;
    bgcopy_sim *sim = NULL;
    bgcopy_manager *mgr;
    char local[PATH_CAP];
    bgcopy_job *job;
    struct stat st;
    tmpdir d;

    (void)state;
    make_dir(&d);
    assert_hr_equal(bgcopy_sim_create(NULL, &sim), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_change_resource(sim, "http://files.test/unknown", 5, 0.0),
                    (bgcopy_hr)0x80200001u);
    mgr = open_manager(sim);
    add_resource(sim, url, 1000, 7, 0.0, 0.0);
    assert_hr_equal(bgcopy_sim_change_resource(sim, url, 4321, 1600000000.0), BGCOPY_S_OK);
    local_path(&d, "c.bin", local);
    job = new_job(mgr, url, local);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(transferred_bytes(job), 4321);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_pattern_file(local, 7, 4321);
    assert_int_equal(stat(local, &st), 0);
    assert_int_equal((int64_t)st.st_mtime, 1600000000);
    bgcopy_job_release(job);

    /* Removed: later requests get 404. */
    assert_hr_equal(bgcopy_sim_remove_resource(sim, url), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_change_resource(sim, url, 5, 0.0), (bgcopy_hr)0x80200001u);
    local_path(&d, "c2.bin", local);
    job = new_job(mgr, url, local);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(bgcopy_sim_requests(sim, &rq), 3);
    check_request(&rq[2], "HEAD", url, 0, 0, 0, 404);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    assert_hr_equal(bgcopy_sim_destroy(sim), BGCOPY_S_OK);
    remove_dir(&d);
}

/* ---- fault rules ----------------------------------------------------------------------------- */

static void test_fault_count_includes_heads(void **state)
{
    static const char url[] = "http://flaky.test/f.bin";
    static const char other[] = "http://flaky.test/other.bin";
    const bgcopy_sim_request *rq;
    bgcopy_sim *sim = NULL;
    bgcopy_manager *mgr;
    char local[PATH_CAP];
    uint32_t errors = 0;
    bgcopy_job *job;
    tmpdir d;

    (void)state;
    make_dir(&d);
    assert_hr_equal(bgcopy_sim_create(NULL, &sim), BGCOPY_S_OK);
    mgr = open_manager(sim);
    add_resource(sim, url, 3000, 8, 0.0, 0.0);
    add_resource(sim, other, 3000, 8, 0.0, 0.0);
    add_status_fault(sim, url, 503, 2);
    local_path(&d, "f.bin", local);
    job = new_job(mgr, url, local);
    assert_hr_equal(bgcopy_job_set_minimum_retry_delay(job, 5), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);

    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_hr_equal(bgcopy_sim_advance(sim, 5), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_hr_equal(bgcopy_sim_advance(sim, 5), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_hr_equal(bgcopy_job_get_error_count(job, &errors), BGCOPY_S_OK);
    assert_int_equal(errors, 2);

    /* Exactly two requests were affected, both HEADs. */
    assert_int_equal(bgcopy_sim_requests(sim, &rq), 4);
    check_request(&rq[0], "HEAD", url, 0, 0, 0, 503);
    assert_true(rq[0].time == 0.0);
    check_request(&rq[1], "HEAD", url, 0, 0, 0, 503);
    assert_true(rq[1].time == 5.0);
    check_request(&rq[2], "HEAD", url, 0, 0, 0, 200);
    assert_true(rq[2].time == 10.0);
    check_request(&rq[3], "GET", url, 1, 0, 2999, 206);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_pattern_file(local, 8, 3000);
    bgcopy_job_release(job);

    /* count 0: every matching request until the rules are cleared. */
    add_status_fault(sim, other, 500, 0);
    local_path(&d, "o.bin", local);
    job = new_job(mgr, other, local);
    assert_hr_equal(bgcopy_job_set_minimum_retry_delay(job, 5), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(sim, 5), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(sim, 5), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(sim, 5), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(bgcopy_sim_requests(sim, &rq), 8);
    check_request(&rq[4], "HEAD", other, 0, 0, 0, 500);
    check_request(&rq[7], "HEAD", other, 0, 0, 0, 500);
    bgcopy_sim_clear_faults(sim);
    assert_hr_equal(bgcopy_sim_advance(sim, 5), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(bgcopy_sim_requests(sim, &rq), 10);
    check_request(&rq[8], "HEAD", other, 0, 0, 0, 200);
    check_request(&rq[9], "GET", other, 1, 0, 2999, 206);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    assert_hr_equal(bgcopy_sim_destroy(sim), BGCOPY_S_OK);
    remove_dir(&d);
}

/* Rules are checked in the order added; the first match applies and is consumed. */
static void test_fault_first_match_in_order(void **state)
{
    static const char url[] = "http://order.test/f.bin";
    const bgcopy_sim_request *rq;
    bgcopy_sim *sim = NULL;
    bgcopy_manager *mgr;
    char local[PATH_CAP];
    bgcopy_job *job;
    tmpdir d;

    (void)state;
    make_dir(&d);
    assert_hr_equal(bgcopy_sim_create(NULL, &sim), BGCOPY_S_OK);
    mgr = open_manager(sim);
    add_resource(sim, url, 100, 9, 0.0, 0.0);
    add_status_fault(sim, "http://order.test/elsewhere", 404, 1); /* never matches */
    add_status_fault(sim, NULL, 502, 1);                          /* any URL, first */
    add_status_fault(sim, url, 504, 1);                           /* then this one */
    local_path(&d, "f.bin", local);
    job = new_job(mgr, url, local);
    assert_hr_equal(bgcopy_job_set_minimum_retry_delay(job, 5), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(sim, 5), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(sim, 5), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(bgcopy_sim_requests(sim, &rq), 4);
    check_request(&rq[0], "HEAD", url, 0, 0, 0, 502);
    check_request(&rq[1], "HEAD", url, 0, 0, 0, 504);
    check_request(&rq[2], "HEAD", url, 0, 0, 0, 200);
    check_request(&rq[3], "GET", url, 1, 0, 99, 206);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    assert_hr_equal(bgcopy_sim_destroy(sim), BGCOPY_S_OK);
    remove_dir(&d);
}

/* ---- run_until_idle ------------------------------------------------------------------------ */

static void test_run_until_idle_does_not_jump_to_retry(void **state)
{
    static const char url[] = "http://idle.test/f.bin";
    const bgcopy_sim_request *rq;
    bgcopy_sim *sim = NULL;
    bgcopy_manager *mgr;
    char local[PATH_CAP];
    bgcopy_job *job;
    tmpdir d;

    (void)state;
    make_dir(&d);
    assert_hr_equal(bgcopy_sim_create(NULL, &sim), BGCOPY_S_OK);
    mgr = open_manager(sim);
    add_resource(sim, url, 2000, 10, 0.0, 0.0);
    add_status_fault(sim, url, 503, 1);
    local_path(&d, "f.bin", local);
    job = new_job(mgr, url, local);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);

    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_true(bgcopy_sim_now(sim) == 0.0);
    /* Idle already: running again changes nothing. */
    assert_hr_equal(bgcopy_sim_run_until_idle(sim), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_true(bgcopy_sim_now(sim) == 0.0);
    assert_int_equal(bgcopy_sim_requests(sim, &rq), 1);

    /* The retry waits for the clock: not at 599.9 s, at 600 s. */
    assert_hr_equal(bgcopy_sim_advance(sim, 599.9), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_true(bgcopy_sim_now(sim) == 599.9);
    assert_hr_equal(bgcopy_sim_advance(sim, 0.1), BGCOPY_S_OK);
    assert_true(bgcopy_sim_now(sim) == 600.0);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(bgcopy_sim_requests(sim, &rq), 3);
    assert_true(rq[1].time == 600.0);
    assert_true(rq[2].time == 600.0);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    check_pattern_file(local, 10, 2000);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    assert_hr_equal(bgcopy_sim_destroy(sim), BGCOPY_S_OK);
    remove_dir(&d);
}

static void test_pattern_byte_is_a_function(void **state)
{
    uint64_t i;
    int differ = 0;

    (void)state;
    for (i = 0; i < 4096; i++) {
        assert_int_equal(bgcopy_sim_pattern_byte(42, i), bgcopy_sim_pattern_byte(42, i));
        if (bgcopy_sim_pattern_byte(42, i) != bgcopy_sim_pattern_byte(43, i))
            differ++;
    }
    /* Different seeds give different content. */
    assert_true(differ > 3000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_latency_and_bandwidth),
        cmocka_unit_test(test_unshaped_resource_takes_no_time),
        cmocka_unit_test(test_start_wall_time),
        cmocka_unit_test(test_destroy_needs_everything_closed),
        cmocka_unit_test(test_add_resource_arguments),
        cmocka_unit_test(test_add_fault_arguments),
        cmocka_unit_test(test_change_and_remove_resource),
        cmocka_unit_test(test_fault_count_includes_heads),
        cmocka_unit_test(test_fault_first_match_in_order),
        cmocka_unit_test(test_run_until_idle_does_not_jump_to_retry),
        cmocka_unit_test(test_pattern_byte_is_a_function),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
