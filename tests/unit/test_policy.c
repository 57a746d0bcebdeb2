/* tests/unit/test_policy.c - pins the MaxInternetBandwidth group policy (reference §7,
 * core/policy.c) on the simulation harness.
 *
 * Each test opens its own simulation, starting at a chosen time of day (the policy's hours are
 * UTC of the simulation's wall clock), and a manager with the policy options. Expectations are
 * exact: the transfer time a cap gives (pieces of a second's worth, so the virtual time of
 * TRANSFERRED and the bytes at a given second are known), the state, HRESULT and context of a
 * blocked job, that a block is neither retried by MinimumRetryDelay nor ended by
 * NoProgressTimeout nor counted as an error, that FOREGROUND jobs are never throttled, and that
 * blocked jobs go back to QUEUED at the end of the window.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bgcopy.h"

#define assert_hr(got, want) assert_int_equal((uint32_t)(got), (uint32_t)(want))

#define DAY0     1767225600.0 /* 2026-01-01T00:00:00Z */
#define HOUR     3600.0
#define FT_PER_S 10000000ULL
#define FT_UNIX  (11644473600ULL * FT_PER_S) /* FILETIME of the Unix epoch */
#define URL_A    "http://example.test/a.bin"
#define URL_B    "http://example.test/b.bin"
#define URL_F    "http://example.test/fg.bin"

struct fx {
    char dir[PATH_MAX];
    bgcopy_sim *sim;
    bgcopy_manager *mgr;
    double start; /* wall time at virtual time 0 */
};

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX + 256];

    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
            (void)unlink(path);
        }
        closedir(d);
    }
    (void)rmdir(dir);
}

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    char cwd[PATH_MAX - 64];

    if (fx == NULL || getcwd(cwd, sizeof(cwd)) == NULL) {
        free(fx);
        return -1;
    }
    snprintf(fx->dir, sizeof(fx->dir), "%s/test_policy.XXXXXX", cwd);
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    bgcopy_hr hr = BGCOPY_S_OK;

    bgcopy_manager_close(fx->mgr);
    if (fx->sim != NULL)
        hr = bgcopy_sim_destroy(fx->sim); /* E_UNEXPECTED when a test leaked a reference */
    remove_tree(fx->dir);
    free(fx);
    return hr == BGCOPY_S_OK ? 0 : -1;
}

/* Opens the simulation (starting at `start`, Unix seconds; body pieces of at most `chunk`
 * bytes, 0: 1 MiB) and the manager with o (sim and user filled in here). */
static void open_with(struct fx *fx, double start, uint32_t chunk, bgcopy_manager_options *o)
{
    bgcopy_sim_options so = BGCOPY_SIM_OPTIONS_INIT;

    so.start_wall_time = start;
    so.chunk_size = chunk;
    fx->start = start;
    assert_hr(bgcopy_sim_create(&so, &fx->sim), BGCOPY_S_OK);
    o->sim = fx->sim;
    o->user = "alice";
    assert_hr(bgcopy_manager_open(o, &fx->mgr), BGCOPY_S_OK);
}

static void add_resource(struct fx *fx, const char *url, uint64_t length, double bandwidth)
{
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;

    r.url = url;
    r.length = length;
    r.seed = 5;
    r.bandwidth = bandwidth;
    assert_hr(bgcopy_sim_add_resource(fx->sim, &r), BGCOPY_S_OK);
}

static bgcopy_job *job_for(struct fx *fx, const char *url, const char *name,
                           bgcopy_job_priority prio)
{
    bgcopy_job *job = NULL;
    char local[PATH_MAX + 64];

    snprintf(local, sizeof(local), "%s/%s", fx->dir, name);
    assert_hr(bgcopy_manager_create_job(fx->mgr, name, BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_add_file(job, url, local), BGCOPY_S_OK);
    assert_hr(bgcopy_job_set_priority(job, prio), BGCOPY_S_OK);
    return job;
}

static bgcopy_job_state state_of(bgcopy_job *job)
{
    bgcopy_job_state s = (bgcopy_job_state)-1;

    assert_hr(bgcopy_job_get_state(job, &s), BGCOPY_S_OK);
    return s;
}

static uint64_t bytes_of(bgcopy_job *job)
{
    bgcopy_job_progress p;

    assert_hr(bgcopy_job_get_progress(job, &p), BGCOPY_S_OK);
    return p.bytes_transferred;
}

static uint32_t errors_of(bgcopy_job *job)
{
    uint32_t n = 0xFFFFFFFFu;

    assert_hr(bgcopy_job_get_error_count(job, &n), BGCOPY_S_OK);
    return n;
}

/* The virtual second at which the job reached TRANSFERRED. */
static double transferred_at(struct fx *fx, bgcopy_job *job)
{
    bgcopy_job_times t;
    uint64_t origin = FT_UNIX + (uint64_t)fx->start * FT_PER_S;

    assert_hr(bgcopy_job_get_times(job, &t), BGCOPY_S_OK);
    assert_true(t.transfer_completion_time >= origin);
    return (double)(t.transfer_completion_time - origin) / (double)FT_PER_S;
}

/* The job is blocked by the policy: TRANSIENT_ERROR, BG_E_BLOCKED_BY_POLICY in context
 * GENERAL_QUEUE_MANAGER, about no file. */
static void check_blocked(bgcopy_job *job)
{
    bgcopy_error *err = NULL;
    bgcopy_error_context ctx = (bgcopy_error_context)-1;
    bgcopy_hr code = BGCOPY_S_OK;
    bgcopy_file *file = (bgcopy_file *)&code;

    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_hr(bgcopy_job_get_error(job, &err), BGCOPY_S_OK);
    assert_hr(bgcopy_error_get_error(err, &ctx, &code), BGCOPY_S_OK);
    assert_hr(code, 0x8020003Eu);
    assert_hr(code, BGCOPY_E_BLOCKED_BY_POLICY);
    assert_int_equal(ctx, BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER);
    assert_int_equal(ctx, 2);
    assert_hr(bgcopy_error_get_file(err, &file), BGCOPY_E_FILE_NOT_AVAILABLE);
    assert_null(file);
    bgcopy_error_release(err);
}

static size_t request_count(struct fx *fx)
{
    const bgcopy_sim_request *rq = NULL;
    return bgcopy_sim_requests(fx->sim, &rq);
}

static void run_idle(struct fx *fx)
{
    assert_hr(bgcopy_sim_run_until_idle(fx->sim), BGCOPY_S_OK);
}

static void advance(struct fx *fx, double s)
{
    assert_hr(bgcopy_sim_advance(fx->sim, s), BGCOPY_S_OK);
}

/* ---- options ------------------------------------------------------------------------------ */

/* The policy is off by default and its fields are checked at open; a caller built against the
 * options before the policy fields (a smaller size) gets no policy. */
static void test_options(void **state)
{
    struct fx *fx = *state;
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager_options old;
    bgcopy_manager *m = (bgcopy_manager *)fx;
    bgcopy_job *job;

    assert_int_equal(o.bandwidth_policy, 0);
    assert_int_equal(o.bandwidth_kbps, 0);
    assert_int_equal(o.bandwidth_start_hour, 0);
    assert_int_equal(o.bandwidth_end_hour, 0);
    assert_int_equal(o.bandwidth_outside_kbps, 0);
    assert_int_equal(BGCOPY_BANDWIDTH_UNLIMITED, 0xFFFFFFFFu);

    assert_hr(bgcopy_sim_create(NULL, &fx->sim), BGCOPY_S_OK);
    fx->start = DAY0; /* the simulation's default start */
    o.sim = fx->sim;
    o.bandwidth_policy = 2;
    assert_hr(bgcopy_manager_open(&o, &m), BGCOPY_E_INVALIDARG);
    assert_null(m);
    o.bandwidth_policy = 1;
    o.bandwidth_start_hour = 24;
    assert_hr(bgcopy_manager_open(&o, &m), BGCOPY_E_INVALIDARG);
    o.bandwidth_start_hour = 23;
    o.bandwidth_end_hour = 24;
    assert_hr(bgcopy_manager_open(&o, &m), BGCOPY_E_INVALIDARG);
    assert_null(m);

    /* The old size: the policy fields (here 1, 0 Kbps = blocked) are not read. */
    o.bandwidth_end_hour = 23;
    o.bandwidth_kbps = 0;
    old = o;
    old.size = offsetof(bgcopy_manager_options, bandwidth_policy);
    assert_hr(bgcopy_manager_open(&old, &fx->mgr), BGCOPY_S_OK);
    add_resource(fx, URL_A, 100000, 0);
    job = job_for(fx, URL_A, "a.bin", BGCOPY_JOB_PRIORITY_LOW);
    assert_hr(bgcopy_job_resume(job), BGCOPY_S_OK);
    run_idle(fx);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_true(transferred_at(fx, job) == 0.0);
    bgcopy_job_release(job);
}

/* ---- caps --------------------------------------------------------------------------------- */

/* 80 Kbps all day = 10,000 bytes/s: 100,000 bytes take 10 s for a background job, in 10,000-byte
 * pieces at t = 0 .. 9; a FOREGROUND job is not throttled. */
static void test_cap_all_day(void **state)
{
    struct fx *fx = *state;
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_job *bg, *fg;

    o.bandwidth_policy = 1;
    o.bandwidth_kbps = 80;
    open_with(fx, DAY0 + 13 * HOUR, 0, &o);
    add_resource(fx, URL_A, 100000, 0);
    add_resource(fx, URL_F, 100000, 0);

    bg = job_for(fx, URL_A, "a.bin", BGCOPY_JOB_PRIORITY_NORMAL);
    assert_hr(bgcopy_job_resume(bg), BGCOPY_S_OK);
    advance(fx, 4.5);
    assert_int_equal(state_of(bg), BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(bytes_of(bg), 50000);
    advance(fx, 5.0); /* t = 9.5: every byte is in, the last piece's second is not over */
    assert_int_equal(state_of(bg), BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(bytes_of(bg), 100000);

    /* A FOREGROUND job alongside gets every byte at once. */
    fg = job_for(fx, URL_F, "fg.bin", BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr(bgcopy_job_resume(fg), BGCOPY_S_OK);
    run_idle(fx);
    assert_int_equal(state_of(fg), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_true(transferred_at(fx, fg) == 9.5);
    assert_int_equal(state_of(bg), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_true(transferred_at(fx, bg) == 10.0);
    assert_int_equal(errors_of(bg), 0);
    bgcopy_job_release(bg);
    bgcopy_job_release(fg);
}

/* A cap below 2 Kbps is raised to 2 Kbps (250 bytes/s): 1,000 bytes take 4 s. */
static void test_minimum_cap(void **state)
{
    struct fx *fx = *state;
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_job *job;

    o.bandwidth_policy = 1;
    o.bandwidth_kbps = 1;
    open_with(fx, DAY0, 0, &o);
    add_resource(fx, URL_A, 1000, 0);
    job = job_for(fx, URL_A, "a.bin", BGCOPY_JOB_PRIORITY_HIGH);
    assert_hr(bgcopy_job_resume(job), BGCOPY_S_OK);
    advance(fx, 2.5);
    assert_int_equal(bytes_of(job), 750);
    run_idle(fx);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_true(transferred_at(fx, job) == 4.0);
    bgcopy_job_release(job);
}

/* The cap of the window (09:00-17:00, 8 Kbps = 1,000 bytes/s) and the cap outside it (80 Kbps =
 * 10,000 bytes/s): a job started at 08:59:50 gets 100,000 bytes in its first 10 s, then 1,000
 * bytes a second from 09:00, so 110,000 bytes are in at 20 s. */
static void test_cap_inside_and_outside_window(void **state)
{
    struct fx *fx = *state;
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_job *job;

    o.bandwidth_policy = 1;
    o.bandwidth_kbps = 8;
    o.bandwidth_start_hour = 9;
    o.bandwidth_end_hour = 17;
    o.bandwidth_outside_kbps = 80;
    open_with(fx, DAY0 + 9 * HOUR - 10.0, 0, &o);
    add_resource(fx, URL_A, 110000, 0);
    job = job_for(fx, URL_A, "a.bin", BGCOPY_JOB_PRIORITY_NORMAL);
    assert_hr(bgcopy_job_resume(job), BGCOPY_S_OK);
    advance(fx, 9.5);
    assert_int_equal(bytes_of(job), 100000);
    advance(fx, 5.0); /* pieces at 10, 11, 12, 13, 14 s */
    assert_int_equal(bytes_of(job), 105000);
    run_idle(fx);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_true(transferred_at(fx, job) == 20.0);
    bgcopy_job_release(job);
}

/* ---- 0 Kbps: blocked --------------------------------------------------------------------------
 */

/* 0 Kbps all day: every background job that is resumed goes to TRANSIENT_ERROR with
 * BG_E_BLOCKED_BY_POLICY and stays there past MinimumRetryDelay and NoProgressTimeout, with no
 * request made and no error counted; Resume blocks it again; FOREGROUND jobs transfer; a
 * blocked job made FOREGROUND goes back to QUEUED and transfers. */
static void test_zero_blocks_background_jobs(void **state)
{
    struct fx *fx = *state;
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    const bgcopy_sim_request *rq = NULL;
    bgcopy_job *high, *normal, *low, *fg;

    o.bandwidth_policy = 1;
    o.bandwidth_kbps = 0;
    open_with(fx, DAY0, 0, &o);
    add_resource(fx, URL_A, 5000, 0);
    add_resource(fx, URL_F, 7000, 0);
    high = job_for(fx, URL_A, "high.bin", BGCOPY_JOB_PRIORITY_HIGH);
    normal = job_for(fx, URL_A, "normal.bin", BGCOPY_JOB_PRIORITY_NORMAL);
    low = job_for(fx, URL_A, "low.bin", BGCOPY_JOB_PRIORITY_LOW);
    fg = job_for(fx, URL_F, "fg.bin", BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr(bgcopy_job_set_minimum_retry_delay(normal, 60), BGCOPY_S_OK);
    assert_hr(bgcopy_job_set_no_progress_timeout(normal, 120), BGCOPY_S_OK);
    assert_hr(bgcopy_job_resume(high), BGCOPY_S_OK);
    assert_hr(bgcopy_job_resume(normal), BGCOPY_S_OK);
    assert_hr(bgcopy_job_resume(low), BGCOPY_S_OK);
    assert_hr(bgcopy_job_resume(fg), BGCOPY_S_OK);
    run_idle(fx);

    check_blocked(high);
    check_blocked(normal);
    check_blocked(low);
    assert_int_equal(errors_of(normal), 0);
    assert_int_equal(state_of(fg), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(bytes_of(fg), 7000);
    /* Only the FOREGROUND job asked the server anything. */
    assert_int_equal(bgcopy_sim_requests(fx->sim, &rq), 2);
    assert_string_equal(rq[0].url, URL_F);
    assert_string_equal(rq[1].url, URL_F);

    /* Past MinimumRetryDelay (60 s) and NoProgressTimeout (120 s), and past a day: no retry,
     * no ERROR, nothing counted. */
    advance(fx, 86400.0 * 2);
    check_blocked(high);
    check_blocked(normal);
    check_blocked(low);
    assert_int_equal(errors_of(normal), 0);
    assert_int_equal(request_count(fx), 2);

    /* Resume forces a retry, which the policy blocks again. */
    assert_hr(bgcopy_job_resume(normal), BGCOPY_S_OK);
    run_idle(fx);
    check_blocked(normal);
    assert_int_equal(request_count(fx), 2);

    /* Suspend leaves the block; Resume brings it back. */
    assert_hr(bgcopy_job_suspend(low), BGCOPY_S_OK);
    assert_int_equal(state_of(low), BGCOPY_JOB_STATE_SUSPENDED);
    advance(fx, 10.0);
    assert_int_equal(state_of(low), BGCOPY_JOB_STATE_SUSPENDED);
    assert_hr(bgcopy_job_resume(low), BGCOPY_S_OK);
    run_idle(fx);
    check_blocked(low);

    /* FOREGROUND is not throttled: the job leaves the block and transfers. */
    assert_hr(bgcopy_job_set_priority(high, BGCOPY_JOB_PRIORITY_FOREGROUND), BGCOPY_S_OK);
    run_idle(fx);
    assert_int_equal(state_of(high), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(bytes_of(high), 5000);
    assert_int_equal(errors_of(high), 0);
    check_blocked(normal);
    assert_int_equal(request_count(fx), 4);

    assert_hr(bgcopy_job_cancel(normal), BGCOPY_S_OK);
    assert_hr(bgcopy_job_cancel(low), BGCOPY_S_OK);
    bgcopy_job_release(high);
    bgcopy_job_release(normal);
    bgcopy_job_release(low);
    bgcopy_job_release(fg);
}

/* 0 Kbps from 09:00 to 17:00, no cap outside. At 16:00 resumed background jobs are blocked; at
 * 16:59:59 still; at 17:00 both go back to QUEUED: the HIGH one starts at once, the NORMAL one
 * waits in QUEUED behind it (one background job at a time), then transfers. */
static void test_window_end_requeues(void **state)
{
    struct fx *fx = *state;
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    const bgcopy_sim_request *rq = NULL;
    bgcopy_job *high, *normal;
    size_t n;

    o.bandwidth_policy = 1;
    o.bandwidth_kbps = 0;
    o.bandwidth_start_hour = 9;
    o.bandwidth_end_hour = 17;
    o.bandwidth_outside_kbps = BGCOPY_BANDWIDTH_UNLIMITED;
    open_with(fx, DAY0 + 16 * HOUR, 0, &o);
    add_resource(fx, URL_A, 4000, 1000.0); /* 4 s per transfer */
    add_resource(fx, URL_B, 2000, 1000.0);
    high = job_for(fx, URL_A, "high.bin", BGCOPY_JOB_PRIORITY_HIGH);
    normal = job_for(fx, URL_B, "normal.bin", BGCOPY_JOB_PRIORITY_NORMAL);
    assert_hr(bgcopy_job_resume(normal), BGCOPY_S_OK);
    assert_hr(bgcopy_job_resume(high), BGCOPY_S_OK);
    run_idle(fx);
    check_blocked(high);
    check_blocked(normal);

    advance(fx, HOUR - 1.0);
    check_blocked(high);
    check_blocked(normal);
    assert_int_equal(request_count(fx), 0);

    advance(fx, 1.0); /* 17:00 */
    assert_int_equal(state_of(high), BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(state_of(normal), BGCOPY_JOB_STATE_QUEUED);
    n = bgcopy_sim_requests(fx->sim, &rq);
    assert_int_equal(n, 2);
    assert_string_equal(rq[0].method, "HEAD");
    assert_string_equal(rq[0].url, URL_A);
    assert_true(rq[0].time == HOUR);
    assert_string_equal(rq[1].method, "GET");
    assert_true(rq[1].time == HOUR);

    run_idle(fx);
    assert_int_equal(state_of(high), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_true(transferred_at(fx, high) == HOUR + 4.0);
    assert_int_equal(state_of(normal), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_true(transferred_at(fx, normal) == HOUR + 6.0);
    assert_int_equal(errors_of(high), 0);
    assert_int_equal(errors_of(normal), 0);
    bgcopy_job_release(high);
    bgcopy_job_release(normal);
}

/* A transfer running when the window opens is stopped and blocked; its bytes are kept, and it
 * continues from there when the window closes (the window spans midnight: 22:00-06:00). */
static void test_window_start_blocks_running_job(void **state)
{
    struct fx *fx = *state;
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_job *job;

    o.bandwidth_policy = 1;
    o.bandwidth_kbps = 0;
    o.bandwidth_start_hour = 22;
    o.bandwidth_end_hour = 6;
    o.bandwidth_outside_kbps = BGCOPY_BANDWIDTH_UNLIMITED;
    open_with(fx, DAY0 + 22 * HOUR - 3.0, 1000, &o); /* 21:59:57, 1,000-byte pieces */
    add_resource(fx, URL_A, 10000, 1000.0);
    job = job_for(fx, URL_A, "a.bin", BGCOPY_JOB_PRIORITY_LOW);
    assert_hr(bgcopy_job_resume(job), BGCOPY_S_OK);
    advance(fx, 2.5);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(bytes_of(job), 3000);
    advance(fx, 0.5); /* 22:00 */
    check_blocked(job);
    assert_int_equal(bytes_of(job), 3000);
    advance(fx, 8 * HOUR - 1.0); /* 05:59:59 the next day */
    check_blocked(job);
    advance(fx, 1.0); /* 06:00 */
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRING);
    run_idle(fx);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(bytes_of(job), 10000);
    assert_true(transferred_at(fx, job) == 8 * HOUR + 3.0 + 7.0);
    assert_int_equal(errors_of(job), 0);
    bgcopy_job_release(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_all_day, setup, teardown),
        cmocka_unit_test_setup_teardown(test_minimum_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_inside_and_outside_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_blocks_background_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_end_requeues, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_start_blocks_running_job, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
