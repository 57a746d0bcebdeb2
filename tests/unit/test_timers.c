/* tests/unit/test_timers.c - the per-job timers (core/timers.c) on the simulation harness.
 *
 * Pins reference §6 and §1.4 in virtual time:
 *   - MinimumRetryDelay: a job in TRANSIENT_ERROR is QUEUED again exactly when the delay ends
 *     (not a microsecond before); values below 5 s read back as 5 s; every failed attempt
 *     adds one to the error count.
 *   - NoProgressTimeout: measured from the first transient error, reset by any transferred
 *     byte; on expiry TRANSIENT_ERROR -> ERROR keeping the last error; 0 makes every error
 *     fatal; a retry delay larger than the timeout means no retry at all.
 *   - MaximumDownloadTime: counts only CONNECTING + TRANSFERRING time; expiry is ERROR with
 *     BG_E_MAXDOWNLOAD_TIMEOUT (0x80200054) in context GENERAL_QUEUE_MANAGER (2); Resume
 *     restarts the budget.
 *   - JobInactivityTimeout (§7, default 90 days): a job without activity (API change or
 *     transferred byte) is cancelled with its temporary files; the manager option
 *     job_inactivity_timeout changes the limit.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

#define MAX_JOBS 8
#define URL_A    "http://timers.test/a.bin"
#define URL_B    "http://timers.test/b.bin"
#define URL_C    "http://timers.test/c.bin"
#define DAY      86400.0
#define S(x)     FX_S(x) /* seconds -> microseconds */

/* ---- fixture ----------------------------------------------------------------------------- */

static int setup(void **state)
{
    return fx_setup("timers", MAX_JOBS);
}

static int teardown(void **state)
{
    return fx_teardown();
}

static uint32_t error_count(bgcopy_job *job)
{
    uint32_t n;
    assert_hr_equal(bgcopy_job_get_error_count(job, &n), BGCOPY_S_OK);
    return n;
}

/* The job's current error has this context and code, and names the file whose remote name is
 * url (url NULL: the error concerns no file). */
static void assert_job_error(bgcopy_job *job, bgcopy_error_context context, bgcopy_hr code,
                             const char *url)
{
    bgcopy_error *err = NULL;
    bgcopy_error_context ctx;
    bgcopy_hr hr;
    bgcopy_file *file = NULL;
    char *name = NULL;

    assert_hr_equal(bgcopy_job_get_error(job, &err), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_error_get_error(err, &ctx, &hr), BGCOPY_S_OK);
    assert_int_equal(ctx, context);
    assert_hr_equal(hr, code);
    if (url != NULL) {
        assert_hr_equal(bgcopy_error_get_file(err, &file), BGCOPY_S_OK);
        assert_hr_equal(bgcopy_file_get_remote_name(file, &name), BGCOPY_S_OK);
        assert_string_equal(name, url);
        bgcopy_free(name);
        bgcopy_file_release(file);
    } else {
        assert_hr_equal(bgcopy_error_get_file(err, &file), BGCOPY_E_FILE_NOT_AVAILABLE);
        assert_null(file);
    }
    bgcopy_error_release(err);
}

/* BIT*.tmp files in the scratch directory. */
static int count_temp_files(void)
{
    DIR *d = opendir(fx_env.dir);
    struct dirent *de;
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len > 7 && strncmp(de->d_name, "BIT", 3) == 0 &&
            strcmp(de->d_name + len - 4, ".tmp") == 0) {
            n++;
        }
    }
    closedir(d);
    return n;
}

static int local_exists(const char *name)
{
    char p[600];
    fx_local_path(p, sizeof(p), name);
    return access(p, F_OK) == 0;
}

static double request_time(const char *url, const char *method, size_t index)
{
    return fx_nth_request(url, method, index).time;
}

#define assert_time(t, expected) assert_int_equal((int64_t)llround((t)*1e6), S(expected))

/* ---- MinimumRetryDelay ---------------------------------------------------------------------- */

/* A job failing with 503 waits in TRANSIENT_ERROR for exactly MinimumRetryDelay (600 s) and is
 * then QUEUED again. To see QUEUED, a second NORMAL job holds the single background slot (the
 * time slice is made longer than the test), so the retried job has to wait in QUEUED. */
static void test_retry_requeues_exactly_after_minimum_retry_delay(void **state)
{
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_job *t, *blocker;
    uint32_t delay;

    mo.time_slice = 1000000;
    fx_start_sim(0, &mo);
    fx_add_resource(URL_A, 1000, 0.0, 1);
    fx_add_resource(URL_B, 100000000, 10000.0, 0); /* 10,000 s of zeros */
    fx_add_fault(BGCOPY_SIM_FAULT_HTTP_STATUS, URL_A, 0, 503, 0);
    t = fx_make_job("retried", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    blocker = fx_make_job("blocker", BGCOPY_JOB_PRIORITY_NORMAL, URL_B, "b.bin");
    assert_hr_equal(bgcopy_job_get_minimum_retry_delay(t, &delay), BGCOPY_S_OK);
    assert_int_equal(delay, 600);
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(blocker), BGCOPY_S_OK);

    fx_advance_to_us(0);
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_state(blocker, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(error_count(t), 1);
    assert_job_error(t, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR_503, URL_A);

    fx_advance_to_us(S(599.9));
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 1);

    fx_advance_to_us(S(600.0));
    assert_state(t, BGCOPY_JOB_STATE_QUEUED);
    assert_state(blocker, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(error_count(t), 1);
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 1);

    /* Free the slot: the retry runs at once and fails again. */
    assert_hr_equal(bgcopy_job_suspend(blocker), BGCOPY_S_OK);
    fx_advance_to_us(S(600.0));
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(error_count(t), 2);
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 2);
    assert_time(request_time(URL_A, "HEAD", 1), 600.0);
}

/* 503 forever: attempts at 0, 600, 1200, 1800 s (each exactly MinimumRetryDelay after the
 * previous failure), each adding one to the error count; the job stays in TRANSIENT_ERROR
 * (the no-progress timeout is 14 days) with the 503 error. */
static void test_error_count_grows_by_one_per_failed_attempt(void **state)
{
    bgcopy_job *t;
    int i;

    fx_start_sim(0, NULL);
    fx_add_resource(URL_A, 1000, 0.0, 1);
    fx_add_fault(BGCOPY_SIM_FAULT_HTTP_STATUS, URL_A, 0, 503, 0);
    t = fx_make_job("503", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    assert_int_equal(error_count(t), 0);
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);

    for (i = 0; i < 4; i++) {
        if (i > 0) {
            fx_advance_to_us(S(600.0 * i - 0.1));
            assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
            assert_int_equal(error_count(t), i);
            assert_int_equal(fx_count_requests(URL_A, "HEAD"), i);
        }
        fx_advance_to_us(S(600.0 * i));
        assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
        assert_int_equal(error_count(t), i + 1);
        assert_int_equal(fx_count_requests(URL_A, "HEAD"), i + 1);
        assert_time(request_time(URL_A, "HEAD", (size_t)i), 600.0 * i);
        assert_job_error(t, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR_503, URL_A);
    }
    assert_int_equal(fx_count_requests(URL_A, "GET"), 0);
}

/* SetMinimumRetryDelay(1) is raised to 5 s: it reads back 5 and the retry happens at 5 s. */
static void test_minimum_retry_delay_floor_is_five_seconds(void **state)
{
    bgcopy_job *t;
    uint32_t delay;

    fx_start_sim(0, NULL);
    fx_add_resource(URL_A, 1000, 0.0, 1);
    fx_add_fault(BGCOPY_SIM_FAULT_HTTP_STATUS, URL_A, 0, 503, 0);
    t = fx_make_job("floor", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    assert_hr_equal(bgcopy_job_set_minimum_retry_delay(t, 1), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_get_minimum_retry_delay(t, &delay), BGCOPY_S_OK);
    assert_int_equal(delay, 5);
    assert_hr_equal(bgcopy_job_set_minimum_retry_delay(t, 0), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_get_minimum_retry_delay(t, &delay), BGCOPY_S_OK);
    assert_int_equal(delay, 5);
    assert_hr_equal(bgcopy_job_set_minimum_retry_delay(t, 1), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);

    fx_advance_to_us(S(4.9));
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 1);
    assert_int_equal(error_count(t), 1);
    fx_advance_to_us(S(5.0));
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 2);
    assert_time(request_time(URL_A, "HEAD", 1), 5.0);
    assert_int_equal(error_count(t), 2);
    fx_advance_to_us(S(9.9));
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 2);
    fx_advance_to_us(S(10.0));
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 3);
    assert_int_equal(error_count(t), 3);
}

/* ---- NoProgressTimeout ------------------------------------------------------------------------
 */

/* NoProgressTimeout 3600 s, retry delay 600 s, a server failing forever: the first transient
 * error is at 0 s, retries fail at 600 ... 3000 s, and at 3600 s - the first moment the window
 * has elapsed - the job goes to ERROR instead of retrying, keeping the last error (503). */
static void test_no_progress_timeout_moves_transient_error_to_error(void **state)
{
    bgcopy_job *t;

    fx_start_sim(0, NULL);
    fx_add_resource(URL_A, 1000, 0.0, 1);
    fx_add_fault(BGCOPY_SIM_FAULT_HTTP_STATUS, URL_A, 0, 503, 0);
    t = fx_make_job("no-progress", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    assert_hr_equal(bgcopy_job_set_no_progress_timeout(t, 3600), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);

    fx_advance_to_us(S(3599.9));
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(error_count(t), 6);
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 6);
    assert_time(request_time(URL_A, "HEAD", 5), 3000.0);

    fx_advance_to_us(S(3600.0));
    assert_state(t, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(t, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR_503, URL_A);
    assert_int_equal(error_count(t), 6);
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 6);

    /* ERROR is not retried. */
    fx_advance_to_us(S(3600.0 + 2 * 86400.0));
    assert_state(t, BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 6);
}

/* A transferred byte resets the no-progress window. Failure at 0 s (503) starts it; the retry
 * at 600 s moves 1,000 bytes and then loses the connection, so the window starts again at
 * 600 s; the server then fails forever. Without the reset the job would fail at 3600 s; with
 * it, it is still retrying then and goes to ERROR at 4200 s. */
static void test_progress_resets_no_progress_window(void **state)
{
    bgcopy_job *t;
    bgcopy_job_progress p;

    fx_start_sim(0, NULL);
    fx_add_resource(URL_A, 100000, 0.0, 1);
    fx_add_fault(BGCOPY_SIM_FAULT_HTTP_STATUS, URL_A, 1, 503, 0);
    t = fx_make_job("reset-window", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    assert_hr_equal(bgcopy_job_set_no_progress_timeout(t, 3600), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);

    fx_advance_to_us(0);
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(error_count(t), 1);

    bgcopy_sim_clear_faults(fx_env.sim);
    fx_add_fault(BGCOPY_SIM_FAULT_RESET, URL_A, 1, 0, 1000);
    fx_advance_to_us(S(600.0));
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(error_count(t), 2);
    assert_hr_equal(bgcopy_job_get_progress(t, &p), BGCOPY_S_OK);
    assert_int_equal(p.bytes_transferred, 1000);
    assert_job_error(t, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_WINHTTP_CONNECTION_ERROR, URL_A);

    bgcopy_sim_clear_faults(fx_env.sim);
    fx_add_fault(BGCOPY_SIM_FAULT_HTTP_STATUS, URL_A, 0, 503, 0);
    fx_advance_to_us(S(3600.0));
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(error_count(t), 7); /* failures at 1200, 1800, 2400, 3000, 3600 */

    fx_advance_to_us(S(4199.9));
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(error_count(t), 7);
    fx_advance_to_us(S(4200.0));
    assert_state(t, BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(error_count(t), 7);
    assert_job_error(t, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR_503, URL_A);
    assert_hr_equal(bgcopy_job_get_progress(t, &p), BGCOPY_S_OK);
    assert_int_equal(p.bytes_transferred, 1000);
}

/* NoProgressTimeout 0: the first transient error is fatal - ERROR at once, never retried. */
static void test_no_progress_timeout_zero_makes_first_error_fatal(void **state)
{
    bgcopy_job *t;
    uint32_t v;

    fx_start_sim(0, NULL);
    fx_add_resource(URL_A, 1000, 0.0, 1);
    fx_add_fault(BGCOPY_SIM_FAULT_HTTP_STATUS, URL_A, 0, 503, 0);
    t = fx_make_job("zero", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    assert_hr_equal(bgcopy_job_set_no_progress_timeout(t, 0), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_get_no_progress_timeout(t, &v), BGCOPY_S_OK);
    assert_int_equal(v, 0);
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);

    fx_advance_to_us(0);
    assert_state(t, BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(error_count(t), 1);
    assert_job_error(t, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR_503, URL_A);

    fx_advance_to_us(S(1800.0));
    assert_state(t, BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 1);
}

/* MinimumRetryDelay larger than NoProgressTimeout: BITS does not retry - ERROR at once. */
static void test_retry_delay_above_no_progress_timeout_is_fatal(void **state)
{
    bgcopy_job *t;

    fx_start_sim(0, NULL);
    fx_add_resource(URL_A, 1000, 0.0, 1);
    fx_add_fault(BGCOPY_SIM_FAULT_HTTP_STATUS, URL_A, 0, 503, 0);
    t = fx_make_job("no-retry", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    assert_hr_equal(bgcopy_job_set_minimum_retry_delay(t, 600), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_no_progress_timeout(t, 300), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);

    fx_advance_to_us(0);
    assert_state(t, BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(error_count(t), 1);
    assert_job_error(t, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR_503, URL_A);
    fx_advance_to_us(S(1800.0));
    assert_state(t, BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 1);
}

/* Resume in TRANSIENT_ERROR retries at once (reference §6) and restarts both the retry delay
 * and the no-progress window (docs/fidelity.md). NoProgressTimeout 3600 s: failure at 0 s;
 * Resume at 1000 s fails again at once; retries follow at 1600 ... 4000 s, and the window, now
 * counted from 1000 s, ends at 4600 s instead of 3600 s. */
static void test_resume_in_transient_error_retries_now_and_restarts_window(void **state)
{
    bgcopy_job *t;

    fx_start_sim(0, NULL);
    fx_add_resource(URL_A, 1000, 0.0, 1);
    fx_add_fault(BGCOPY_SIM_FAULT_HTTP_STATUS, URL_A, 0, 503, 0);
    t = fx_make_job("resumed", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    assert_hr_equal(bgcopy_job_set_no_progress_timeout(t, 3600), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);
    fx_advance_to_us(S(1000.0));
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(error_count(t), 2); /* 0 and 600 */

    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);
    assert_state(t, BGCOPY_JOB_STATE_QUEUED);
    fx_advance_to_us(S(1000.0));
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(error_count(t), 3);
    assert_time(request_time(URL_A, "HEAD", 2), 1000.0);

    fx_advance_to_us(S(1599.9));
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 3);
    fx_advance_to_us(S(1600.0));
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 4);
    assert_time(request_time(URL_A, "HEAD", 3), 1600.0);

    fx_advance_to_us(S(3600.0));
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    fx_advance_to_us(S(4599.9));
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(error_count(t), 8); /* ... 2800, 3400, 4000 */
    fx_advance_to_us(S(4600.0));
    assert_state(t, BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(error_count(t), 8);
    assert_job_error(t, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR_503, URL_A);
}

/* NoProgressTimeout changed while the window runs applies to that window, which still starts
 * at the first transient error (0 s): lowered from 14 days to 3,600 s at 100 s, the job fails at
 * 3,600 s; lowered to 1,000 s at 2,000 s (the window has already run longer), it fails at
 * once. MinimumRetryDelay changed in TRANSIENT_ERROR applies from the next transient error: the
 * retry already planned for 600 s stays, the following ones come 60 s apart. */
static void test_changed_timeouts_in_transient_error(void **state)
{
    bgcopy_job *a, *b, *c;

    fx_start_sim(0, NULL);
    fx_add_resource(URL_A, 1000, 0.0, 1);
    fx_add_resource(URL_B, 1000, 0.0, 2);
    fx_add_resource(URL_C, 1000, 0.0, 3);
    fx_add_fault(BGCOPY_SIM_FAULT_HTTP_STATUS, NULL, 0, 503, 0);
    a = fx_make_job("a", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_A, "a.bin");
    b = fx_make_job("b", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_B, "b.bin");
    c = fx_make_job("c", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_C, "c.bin");
    assert_hr_equal(bgcopy_job_resume(a), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(b), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(c), BGCOPY_S_OK);

    fx_advance_to_us(S(100.0));
    assert_state(a, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_hr_equal(bgcopy_job_set_no_progress_timeout(a, 3600), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_minimum_retry_delay(c, 60), BGCOPY_S_OK);

    fx_advance_to_us(S(599.9));
    assert_int_equal(fx_count_requests(URL_C, "HEAD"), 1);
    fx_advance_to_us(S(600.0));
    assert_int_equal(fx_count_requests(URL_C, "HEAD"), 2);
    fx_advance_to_us(S(659.9));
    assert_int_equal(fx_count_requests(URL_C, "HEAD"), 2);
    fx_advance_to_us(S(660.0));
    assert_int_equal(fx_count_requests(URL_C, "HEAD"), 3);
    assert_time(request_time(URL_C, "HEAD", 2), 660.0);

    fx_advance_to_us(S(2000.0));
    assert_state(b, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(error_count(b), 4); /* 0, 600, 1200, 1800 */
    assert_hr_equal(bgcopy_job_set_no_progress_timeout(b, 1000), BGCOPY_S_OK);
    fx_advance_to_us(S(2000.0));
    assert_state(b, BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(error_count(b), 4);
    assert_job_error(b, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR_503, URL_B);

    fx_advance_to_us(S(3599.9));
    assert_state(a, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    fx_advance_to_us(S(3600.0));
    assert_state(a, BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(error_count(a), 6);
}

/* ---- MaximumDownloadTime -------------------------------------------------------------------- */

/* MaximumDownloadTime 30 s on a download that needs 100 s (1,000,000 bytes at 10,000 B/s,
 * 7,000-byte chunks every 0.7 s): ERROR at 30 s of CONNECTING + TRANSFERRING with
 * BG_E_MAXDOWNLOAD_TIMEOUT in context GENERAL_QUEUE_MANAGER and no file. Resume restarts the
 * budget: the job transfers 30 s more and fails again at 60 s. */
static void test_max_download_time_expires_and_resume_resets_it(void **state)
{
    bgcopy_job *t;
    uint32_t v;

    fx_start_sim(7000, NULL);
    fx_add_resource(URL_A, 1000000, 10000.0, 1);
    t = fx_make_job("slow", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    assert_hr_equal(bgcopy_job_get_maximum_download_time(t, &v), BGCOPY_S_OK);
    assert_int_equal(v, 7776000);
    assert_hr_equal(bgcopy_job_set_maximum_download_time(t, 30), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_get_maximum_download_time(t, &v), BGCOPY_S_OK);
    assert_int_equal(v, 30);
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);

    fx_advance_to_us(S(29.9));
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(fx_job_bytes(t), 301000); /* 43 chunks at 0.0 ... 29.4 */
    assert_int_equal(error_count(t), 0);

    fx_advance_to_us(S(30.0));
    assert_state(t, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(t, BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, BGCOPY_E_MAXDOWNLOAD_TIMEOUT,
                     NULL);
    assert_hr_equal(BGCOPY_E_MAXDOWNLOAD_TIMEOUT, 0x80200054u);
    assert_int_equal(error_count(t), 1);
    assert_int_equal(fx_job_bytes(t), 301000);
    assert_int_equal(count_temp_files(), 1);

    /* Stays in ERROR: no retry. */
    fx_advance_to_us(S(1000.0));
    assert_state(t, BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(fx_count_requests(URL_A, "GET"), 1);

    /* Resume: a fresh 30 s budget, continuing from the checkpoint. */
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);
    fx_advance_to_us(S(1000.0));
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_assert_get(URL_A, 1, 1000.0, 301000, 999999, 206);
    fx_advance_to_us(S(1029.9));
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(1030.0));
    assert_state(t, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(t, BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, BGCOPY_E_MAXDOWNLOAD_TIMEOUT,
                     NULL);
    assert_int_equal(fx_job_bytes(t), 602000);
    assert_int_equal(error_count(t), 2);
}

/* Time in TRANSIENT_ERROR does not count: the connection drops after 140,000 bytes (20 chunks,
 * the body ends at 14.0 s), the job waits 5 s in TRANSIENT_ERROR and is active again from
 * 19.0 s; the 30 s budget then runs out at 19 + (30 - 14) = 35 s, not at 30 s. */
static void test_max_download_time_excludes_transient_error(void **state)
{
    bgcopy_job *t;

    fx_start_sim(7000, NULL);
    fx_add_resource(URL_A, 1000000, 10000.0, 1);
    fx_add_fault(BGCOPY_SIM_FAULT_RESET, URL_A, 1, 0, 140000);
    t = fx_make_job("flaky", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    assert_hr_equal(bgcopy_job_set_maximum_download_time(t, 30), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_minimum_retry_delay(t, 5), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);

    fx_advance_to_us(S(13.95));
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(14.0));
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(fx_job_bytes(t), 140000);
    fx_advance_to_us(S(18.95));
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    fx_advance_to_us(S(19.0));
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_assert_get(URL_A, 1, 19.0, 140000, 999999, 206);

    fx_advance_to_us(S(30.0));
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(34.95));
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(35.0));
    assert_state(t, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(t, BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, BGCOPY_E_MAXDOWNLOAD_TIMEOUT,
                     NULL);
    assert_int_equal(error_count(t), 2); /* the reset, then the timeout */
}

/* Time SUSPENDED does not count either. A suspended job can only go back to work through
 * Resume, which restarts the budget, so the two cannot be told apart through the API: after 20
 * active seconds and 1,000 suspended ones, the resumed job has a full 30 s again. */
static void test_max_download_time_excludes_suspended_time(void **state)
{
    bgcopy_job *t;

    fx_start_sim(7000, NULL);
    fx_add_resource(URL_A, 1000000, 10000.0, 1);
    t = fx_make_job("paused", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    assert_hr_equal(bgcopy_job_set_maximum_download_time(t, 30), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);

    fx_advance_to_us(S(20.0));
    assert_hr_equal(bgcopy_job_suspend(t), BGCOPY_S_OK);
    fx_advance_to_us(S(1020.0));
    assert_state(t, BGCOPY_JOB_STATE_SUSPENDED);
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);
    fx_advance_to_us(S(1049.9));
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(1050.0));
    assert_state(t, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(t, BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, BGCOPY_E_MAXDOWNLOAD_TIMEOUT,
                     NULL);
}

/* Time QUEUED does not count: the job transfers 10 s, is preempted by a HIGH job for 50 s and
 * waits QUEUED, then continues; the 30 s budget runs out at 60 + 20 = 80 s. */
static void test_max_download_time_excludes_queued_time(void **state)
{
    bgcopy_job *t, *h;

    fx_start_sim(7000, NULL);
    fx_add_resource(URL_A, 1000000, 10000.0, 1);
    fx_add_resource(URL_B, 500000, 10000.0, 2); /* 50 s */
    t = fx_make_job("limited", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    h = fx_make_job("high", BGCOPY_JOB_PRIORITY_HIGH, URL_B, "b.bin");
    assert_hr_equal(bgcopy_job_set_maximum_download_time(t, 30), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);

    fx_advance_to_us(S(10.0));
    assert_hr_equal(bgcopy_job_resume(h), BGCOPY_S_OK);
    fx_advance_to_us(S(10.0));
    assert_state(t, BGCOPY_JOB_STATE_QUEUED);
    assert_state(h, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(60.0));
    assert_state(h, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(79.9));
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(80.0));
    assert_state(t, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(t, BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, BGCOPY_E_MAXDOWNLOAD_TIMEOUT,
                     NULL);
}

/* SetMaximumDownloadTime on a transferring job takes effect for the running budget: raising it
 * to 60 s moves the failure from 30 s to 60 s; 0 means "no limit", so the job then finishes
 * (the header contract: "seconds spent CONNECTING or TRANSFERRING before the job fails ...;
 * 0 = no limit"). */
static void test_max_download_time_change_applies_to_active_job(void **state)
{
    bgcopy_job *t, *u;

    fx_start_sim(7000, NULL);
    fx_add_resource(URL_A, 1000000, 10000.0, 1); /* 100 s */
    fx_add_resource(URL_B, 1000000, 10000.0, 2);
    t = fx_make_job("raised", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_A, "a.bin");
    u = fx_make_job("unlimited", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_B, "b.bin");
    assert_hr_equal(bgcopy_job_set_maximum_download_time(t, 30), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_maximum_download_time(u, 30), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(u), BGCOPY_S_OK);

    fx_advance_to_us(S(10.0));
    assert_hr_equal(bgcopy_job_set_maximum_download_time(t, 60), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_maximum_download_time(u, 0), BGCOPY_S_OK);
    fx_advance_to_us(S(30.0));
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(u, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(59.9));
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(60.0));
    assert_state(t, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(t, BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, BGCOPY_E_MAXDOWNLOAD_TIMEOUT,
                     NULL);
    assert_state(u, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(100.0));
    assert_state(u, BGCOPY_JOB_STATE_TRANSFERRED);
}

/* The MaxDownloadTime policy (manager option max_download_time, 20 s here) is the default of
 * new jobs; a per-job value overrides it (reference §6, §7). */
static void test_max_download_time_policy_option(void **state)
{
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_job *p, *o;
    uint32_t v;

    mo.max_download_time = 20;
    fx_start_sim(7000, &mo);
    fx_add_resource(URL_A, 1000000, 10000.0, 1);
    fx_add_resource(URL_B, 1000000, 10000.0, 2);
    p = fx_make_job("policy", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_A, "a.bin");
    o = fx_make_job("override", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_B, "b.bin");
    assert_hr_equal(bgcopy_job_get_maximum_download_time(p, &v), BGCOPY_S_OK);
    assert_int_equal(v, 20);
    assert_hr_equal(bgcopy_job_set_maximum_download_time(o, 40), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(p), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(o), BGCOPY_S_OK);

    fx_advance_to_us(S(19.9));
    assert_state(p, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(20.0));
    assert_state(p, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(p, BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, BGCOPY_E_MAXDOWNLOAD_TIMEOUT,
                     NULL);
    assert_state(o, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(39.9));
    assert_state(o, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(40.0));
    assert_state(o, BGCOPY_JOB_STATE_ERROR);
}

/* ---- JobInactivityTimeout ---------------------------------------------------------------------
 */

/* A SUSPENDED job nobody touches for 90 days is cancelled: GetJob no longer finds it. */
static void test_inactive_suspended_job_is_cancelled_after_90_days(void **state)
{
    bgcopy_job *t, *found = NULL;
    bgcopy_guid id;
    bgcopy_job_enum *en = NULL;
    uint32_t n;

    fx_start_sim(0, NULL);
    fx_add_resource(URL_A, 1000, 0.0, 1);
    t = fx_make_job("idle", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    assert_hr_equal(bgcopy_job_get_id(t, &id), BGCOPY_S_OK);

    fx_advance_to_us(S(90 * DAY - 0.1));
    assert_state(t, BGCOPY_JOB_STATE_SUSPENDED);
    assert_hr_equal(bgcopy_manager_get_job(fx_env.mgr, &id, &found), BGCOPY_S_OK);
    bgcopy_job_release(found);

    fx_advance_to_us(S(90 * DAY));
    assert_state(t, BGCOPY_JOB_STATE_CANCELLED);
    assert_hr_equal(bgcopy_manager_get_job(fx_env.mgr, &id, &found), BGCOPY_E_NOT_FOUND);
    assert_hr_equal(BGCOPY_E_NOT_FOUND, 0x80200001u);
    assert_null(found);
    assert_hr_equal(bgcopy_manager_enum_jobs(fx_env.mgr, 0, &en), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_enum_get_count(en, &n), BGCOPY_S_OK);
    assert_int_equal(n, 0);
    bgcopy_job_enum_release(en);
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 0);
}

/* A job suspended mid-transfer keeps its partial BIT*.tmp file; when the inactivity timeout
 * (counted from the suspend, the last activity) cancels it, the file is deleted. */
static void test_inactivity_cancel_deletes_partial_temp_file(void **state)
{
    bgcopy_job *t;
    bgcopy_file_enum *fe = NULL;
    bgcopy_file *file = NULL;
    char *temp = NULL;

    fx_start_sim(10000, NULL);
    fx_add_resource(URL_A, 1000000, 100000.0, 1);
    t = fx_make_job("partial", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);
    fx_advance_to_us(S(5.05));
    assert_hr_equal(bgcopy_job_suspend(t), BGCOPY_S_OK);
    assert_int_equal(fx_job_bytes(t), 510000);
    assert_int_equal(count_temp_files(), 1);
    assert_hr_equal(bgcopy_job_enum_files(t, &fe), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_file_enum_next(fe, 1, &file, NULL), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_file_get_temporary_name(file, &temp), BGCOPY_S_OK);
    assert_int_equal(access(temp, F_OK), 0);

    fx_advance_to_us(S(5.05 + 90 * DAY - 0.1));
    assert_state(t, BGCOPY_JOB_STATE_SUSPENDED);
    assert_int_equal(count_temp_files(), 1);

    fx_advance_to_us(S(5.05 + 90 * DAY));
    assert_state(t, BGCOPY_JOB_STATE_CANCELLED);
    assert_int_equal(count_temp_files(), 0);
    assert_int_not_equal(access(temp, F_OK), 0);
    assert_false(local_exists("a.bin"));

    bgcopy_free(temp);
    bgcopy_file_release(file);
    bgcopy_file_enum_release(fe);
}

/* A property change is activity: SetDescription on day 60 moves the cancellation from day 90
 * to day 150. */
static void test_property_change_postpones_inactivity_cancel(void **state)
{
    bgcopy_job *t;

    fx_start_sim(0, NULL);
    fx_add_resource(URL_A, 1000, 0.0, 1);
    t = fx_make_job("touched", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");

    fx_advance_to_us(S(60 * DAY));
    assert_hr_equal(bgcopy_job_set_description(t, "still wanted"), BGCOPY_S_OK);
    fx_advance_to_us(S(90 * DAY));
    assert_state(t, BGCOPY_JOB_STATE_SUSPENDED);
    fx_advance_to_us(S(150 * DAY - 0.1));
    assert_state(t, BGCOPY_JOB_STATE_SUSPENDED);
    fx_advance_to_us(S(150 * DAY));
    assert_state(t, BGCOPY_JOB_STATE_CANCELLED);
}

/* The manager option job_inactivity_timeout (3,500 s here) replaces the 90 days, for jobs in
 * SUSPENDED, ERROR and TRANSIENT_ERROR alike: retries of the engine are not activity, so a job
 * whose NoProgressTimeout is longer than the inactivity limit is cancelled by the latter. */
static void test_job_inactivity_timeout_option(void **state)
{
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_job *s, *e, *t;

    mo.job_inactivity_timeout = 3500;
    fx_start_sim(0, &mo);
    fx_add_resource(URL_A, 1000, 0.0, 1);
    fx_add_resource(URL_C, 1000, 0.0, 3);
    fx_add_fault(BGCOPY_SIM_FAULT_HTTP_STATUS, URL_C, 0, 503, 0);
    s = fx_make_job("suspended", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    e = fx_make_job("error", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_B, "b.bin"); /* no resource: 404 */
    t = fx_make_job("transient", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_C, "c.bin");
    assert_hr_equal(bgcopy_job_resume(e), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);

    fx_advance_to_us(S(3499.9));
    assert_state(s, BGCOPY_JOB_STATE_SUSPENDED);
    assert_state(e, BGCOPY_JOB_STATE_ERROR);
    assert_state(t, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(error_count(t), 6); /* 0, 600, ..., 3000 */

    fx_advance_to_us(S(3500.0));
    assert_state(s, BGCOPY_JOB_STATE_CANCELLED);
    assert_state(e, BGCOPY_JOB_STATE_CANCELLED);
    assert_state(t, BGCOPY_JOB_STATE_CANCELLED);
    fx_advance_to_us(S(3600.0));
    assert_int_equal(fx_count_requests(URL_C, "HEAD"), 6);
}

/* Transferred bytes are activity: a download that keeps moving bytes for twice the inactivity
 * limit (3,500 s) is not cancelled; once TRANSFERRED and left alone, it is cancelled 3,500 s
 * after its last byte. */
static void test_transferred_bytes_are_activity(void **state)
{
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_job *t;

    mo.job_inactivity_timeout = 3500;
    fx_start_sim(100000, &mo);
    fx_add_resource(URL_A, 7000000, 1000.0, 0); /* 7,000 s of zeros, a chunk every 100 s */
    t = fx_make_job("busy", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    assert_hr_equal(bgcopy_job_resume(t), BGCOPY_S_OK);

    fx_advance_to_us(S(3600.0));
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(6999.9));
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(7000.0));
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(fx_job_bytes(t), 7000000);

    /* The last byte arrived with the chunk at 6,900 s. */
    fx_advance_to_us(S(6900.0 + 3499.9));
    assert_state(t, BGCOPY_JOB_STATE_TRANSFERRED);
    fx_advance_to_us(S(6900.0 + 3500.0));
    assert_state(t, BGCOPY_JOB_STATE_CANCELLED);
    assert_int_equal(count_temp_files(), 0);
    assert_false(local_exists("a.bin"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_retry_requeues_exactly_after_minimum_retry_delay,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_count_grows_by_one_per_failed_attempt, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_minimum_retry_delay_floor_is_five_seconds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_progress_timeout_moves_transient_error_to_error,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_resets_no_progress_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_progress_timeout_zero_makes_first_error_fatal,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_delay_above_no_progress_timeout_is_fatal, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_resume_in_transient_error_retries_now_and_restarts_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_timeouts_in_transient_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_download_time_expires_and_resume_resets_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_max_download_time_excludes_transient_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_max_download_time_excludes_suspended_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_max_download_time_excludes_queued_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_max_download_time_change_applies_to_active_job, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_max_download_time_policy_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inactive_suspended_job_is_cancelled_after_90_days,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_inactivity_cancel_deletes_partial_temp_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_property_change_postpones_inactivity_cancel, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_job_inactivity_timeout_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transferred_bytes_are_activity, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
