/* seed-callback-test.c - CMocka unit tests of notification callbacks on the
 * simulation harness: the pattern to copy into an application's own CI.
 *
 * The code under test is the application's: here the IBackgroundCopyCallback
 * handlers of the BITS documentation in seed-handlers.h (JobTransferred
 * completes, JobError retries range failures at FOREGROUND, JobModification
 * reads progress). Each test builds a small world - scripted servers and
 * faults on a simulation, a manager on its virtual clock, a scratch directory
 * for the downloads - registers the handlers on a job, moves virtual time, and
 * asserts the exact outcome: state, priority, HRESULT, what the handlers saw,
 * the requests the servers got, the bytes on disk. Nothing sleeps and no
 * network is used; 90 days of virtual time cost microseconds.
 *
 * Build: cc seed-callback-test.c $(pkg-config --cflags --libs bgcopy cmocka)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bgcopy.h"
#include "seed-handlers.h"

#define assert_hr(expected, actual) assert_int_equal((uint32_t)(expected), (uint32_t)(actual))

#define URL  "http://downloads.example.test/update.bin"
#define SEED 5
#define DAY  86400.0
#define MiB  (1u << 20)

/* One test's world: a simulation, a manager on it, a job with the seed
 * handlers registered, and a scratch directory for the local file. */
struct world {
    bgcopy_sim *sim;
    bgcopy_manager *mgr;
    bgcopy_job *job;
    struct seed_log log;
    char dir[64];
    char local[128];
};

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    bgcopy_sim_options so = BGCOPY_SIM_OPTIONS_INIT;
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;

    assert_non_null(w);
    snprintf(w->dir, sizeof(w->dir), "/tmp/bgcopy-example-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    snprintf(w->local, sizeof(w->local), "%s/update.bin", w->dir);
    so.chunk_size = 64 * 1024; /* fine-grained progress */
    assert_hr(BGCOPY_S_OK, bgcopy_sim_create(&so, &w->sim));
    mo.sim = w->sim;
    assert_hr(BGCOPY_S_OK, bgcopy_manager_open(&mo, &w->mgr));
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    char path[160];

    if (w->job) {
        bgcopy_job_state s;
        bgcopy_job_get_state(w->job, &s);
        if (s != BGCOPY_JOB_STATE_ACKNOWLEDGED && s != BGCOPY_JOB_STATE_CANCELLED)
            bgcopy_job_cancel(w->job);
        bgcopy_job_release(w->job);
    }
    bgcopy_manager_close(w->mgr);
    assert_hr(BGCOPY_S_OK, bgcopy_sim_destroy(w->sim));
    remove(w->local);
    snprintf(path, sizeof(path), "%s", w->dir);
    assert_int_equal(rmdir(path), 0); /* nothing else left behind, no BIT*.tmp */
    free(w);
    return 0;
}

/* Declares URL: length bytes of the PATTERN content, with or without Range
 * support and Content-Length, at bandwidth bytes/s (0: unlimited). */
static void serve(struct world *w, uint64_t length, int ranges, int content_length,
                  double bandwidth)
{
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;

    r.url = URL;
    r.length = length;
    r.seed = SEED;
    r.content = length > 64 * MiB ? BGCOPY_SIM_CONTENT_ZERO : BGCOPY_SIM_CONTENT_PATTERN;
    r.no_ranges = !ranges;
    r.no_content_length = !content_length;
    r.bandwidth = bandwidth;
    assert_hr(BGCOPY_S_OK, bgcopy_sim_add_resource(w->sim, &r));
}

/* The next `count` requests for URL get HTTP `status`. */
static void fail_requests(struct world *w, int status, uint32_t count)
{
    bgcopy_sim_fault f = BGCOPY_SIM_FAULT_INIT;

    f.kind = BGCOPY_SIM_FAULT_HTTP_STATUS;
    f.url = URL;
    f.status = status;
    f.count = count;
    assert_hr(BGCOPY_S_OK, bgcopy_sim_add_fault(w->sim, &f));
}

/* Creates the job, registers the handlers as the application does, resumes. */
static void start_job(struct world *w)
{
    assert_hr(BGCOPY_S_OK,
              bgcopy_manager_create_job(w->mgr, "update", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &w->job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file(w->job, URL, w->local));
    assert_hr(BGCOPY_S_OK, seed_register(w->job, &w->log));
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(w->job));
}

static bgcopy_job_state job_state(struct world *w)
{
    bgcopy_job_state s;
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_state(w->job, &s));
    return s;
}

static bgcopy_job_priority job_priority(struct world *w)
{
    bgcopy_job_priority p;
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_priority(w->job, &p));
    return p;
}

/* The local file holds exactly the served bytes. */
static void assert_downloaded(struct world *w, uint64_t length)
{
    FILE *f = fopen(w->local, "rb");
    uint64_t i;

    assert_non_null(f);
    for (i = 0; i < length; i++)
        assert_int_equal(getc(f), bgcopy_sim_pattern_byte(SEED, i));
    assert_int_equal(getc(f), EOF);
    fclose(f);
}

/* The i-th request the servers answered. */
static const bgcopy_sim_request *request(struct world *w, size_t i)
{
    const bgcopy_sim_request *rq;
    assert_true(i < bgcopy_sim_requests(w->sim, &rq));
    return &rq[i];
}

/* JobTransferred completes the job: the file appears whole, nothing is
 * reported, and the server saw a HEAD then one ranged GET. */
static void test_transferred_job_is_completed(void **state)
{
    struct world *w = *state;
    const bgcopy_sim_request *rq;

    serve(w, 1 * MiB, 1, 1, 0);
    start_job(w);
    assert_hr(BGCOPY_S_OK, bgcopy_sim_run_until_idle(w->sim));

    assert_int_equal(job_state(w), BGCOPY_JOB_STATE_ACKNOWLEDGED);
    assert_int_equal(w->log.transferred, 1);
    assert_hr(BGCOPY_S_OK, w->log.complete_hr);
    assert_int_equal(w->log.errors, 0);
    assert_downloaded(w, 1 * MiB);
    assert_int_equal(bgcopy_sim_requests(w->sim, &rq), 2);
    assert_string_equal(request(w, 0)->method, "HEAD");
    assert_string_equal(request(w, 1)->method, "GET");
    assert_true(request(w, 1)->has_range);
    assert_int_equal(request(w, 1)->range_first, 0);
    assert_int_equal(request(w, 1)->status, 206);
}

/* A server that ignores Range: JobError sees BG_E_INSUFFICIENT_RANGE_SUPPORT
 * for a 1 MiB file, switches the job to FOREGROUND and resumes it; the
 * foreground job accepts the whole body (200) and the job completes. */
static void test_range_failure_is_retried_at_foreground(void **state)
{
    struct world *w = *state;
    bgcopy_error *err;

    serve(w, 1 * MiB, 0, 1, 0);
    start_job(w);
    assert_hr(BGCOPY_S_OK, bgcopy_sim_run_until_idle(w->sim));

    assert_int_equal(w->log.errors, 1);
    assert_hr(BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT, w->log.error_code);
    assert_hr(0x80200013, w->log.error_code); /* the value BITS uses */
    assert_int_equal(w->log.range_bytes, 1 * MiB);
    assert_int_equal(w->log.foreground_retries, 1);
    assert_int_equal(w->log.reported, 0);
    assert_int_equal(job_priority(w), BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_int_equal(job_state(w), BGCOPY_JOB_STATE_ACKNOWLEDGED);
    assert_int_equal(w->log.transferred, 1);
    assert_downloaded(w, 1 * MiB);
    /* The job left ERROR, so it has no error object any more. */
    assert_hr(BGCOPY_E_ERROR_INFORMATION_UNAVAILABLE, bgcopy_job_get_error(w->job, &err));
    assert_null(err);
}

/* Without Content-Length (dynamic content) the size is unknown: JobError
 * leaves the job in ERROR at its priority and reports the error. */
static void test_dynamic_content_is_reported(void **state)
{
    struct world *w = *state;
    bgcopy_error *err;
    bgcopy_error_context context;
    bgcopy_hr code;

    serve(w, 70000, 0, 0, 0);
    fail_requests(w, 405, 1); /* HEAD refused: the size stays unknown */
    start_job(w);
    assert_hr(BGCOPY_S_OK, bgcopy_sim_run_until_idle(w->sim));

    assert_int_equal(job_state(w), BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(job_priority(w), BGCOPY_JOB_PRIORITY_NORMAL);
    assert_int_equal(w->log.errors, 1);
    assert_int_equal(w->log.range_bytes, BGCOPY_SIZE_UNKNOWN);
    assert_int_equal(w->log.foreground_retries, 0);
    assert_int_equal(w->log.reported, 1);
    assert_string_equal(w->log.report,
                        "update: 0x80200013 The server or a proxy does not support HTTP range "
                        "requests.");
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_error(w->job, &err));
    assert_hr(BGCOPY_S_OK, bgcopy_error_get_error(err, &context, &code));
    assert_hr(BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT, code);
    assert_int_equal(context, BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
    bgcopy_error_release(err);
    assert_int_equal(w->log.transferred, 0);
}

/* Over 2 GB ranges are required whatever the priority: the job stays in
 * ERROR, and after 90 days without activity the engine cancels it
 * (JobInactivityTimeout) and deletes its temporary file. */
static void test_over_two_gb_stays_in_error_until_cancelled(void **state)
{
    struct world *w = *state;

    serve(w, 3ULL << 30, 0, 1, 0);
    start_job(w);
    assert_hr(BGCOPY_S_OK, bgcopy_sim_run_until_idle(w->sim));

    assert_int_equal(job_state(w), BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(w->log.range_bytes, 3ULL << 30);
    assert_int_equal(w->log.foreground_retries, 0);
    assert_int_equal(w->log.reported, 1);
    assert_int_equal(job_priority(w), BGCOPY_JOB_PRIORITY_NORMAL);

    assert_hr(BGCOPY_S_OK, bgcopy_sim_advance(w->sim, 89 * DAY));
    assert_int_equal(job_state(w), BGCOPY_JOB_STATE_ERROR);
    assert_hr(BGCOPY_S_OK, bgcopy_sim_advance(w->sim, 1 * DAY + 1));
    assert_int_equal(job_state(w), BGCOPY_JOB_STATE_CANCELLED);
    assert_int_equal(w->log.errors, 1); /* JobError returned S_OK: never called again */
}

/* Two 503s are transient errors: JobError is not called; the engine retries
 * after MinimumRetryDelay (600 s by default) and the job completes. */
static void test_transient_errors_do_not_call_job_error(void **state)
{
    struct world *w = *state;
    uint32_t count;

    serve(w, 1 * MiB, 1, 1, 0);
    fail_requests(w, 503, 2);
    start_job(w);
    assert_hr(BGCOPY_S_OK, bgcopy_sim_run_until_idle(w->sim));
    assert_int_equal(job_state(w), BGCOPY_JOB_STATE_TRANSIENT_ERROR);

    assert_hr(BGCOPY_S_OK, bgcopy_sim_advance(w->sim, 599));
    assert_int_equal(job_state(w), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_hr(BGCOPY_S_OK, bgcopy_sim_advance(w->sim, 1));
    assert_hr(BGCOPY_S_OK, bgcopy_sim_run_until_idle(w->sim));
    assert_int_equal(job_state(w), BGCOPY_JOB_STATE_TRANSIENT_ERROR); /* the second 503 */

    assert_hr(BGCOPY_S_OK, bgcopy_sim_advance(w->sim, 600));
    assert_hr(BGCOPY_S_OK, bgcopy_sim_run_until_idle(w->sim));
    assert_int_equal(job_state(w), BGCOPY_JOB_STATE_ACKNOWLEDGED);
    assert_int_equal(w->log.errors, 0);
    assert_int_equal(w->log.transferred, 1);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_error_count(w->job, &count));
    assert_int_equal(count, 2);
    assert_downloaded(w, 1 * MiB);
}

/* JobModification reads the progress while the bytes arrive: 4 MiB at
 * 1 MiB/s, observed each virtual second. */
static void test_job_modification_reads_progress(void **state)
{
    struct world *w = *state;
    uint64_t last = 0;
    int second;

    serve(w, 4 * MiB, 1, 1, 1.0 * MiB);
    start_job(w);
    for (second = 1; second <= 3; second++) {
        assert_hr(BGCOPY_S_OK, bgcopy_sim_advance(w->sim, 1.0));
        assert_int_equal(w->log.state, BGCOPY_JOB_STATE_TRANSFERRING);
        assert_int_equal(w->log.progress.bytes_total, 4 * MiB);
        assert_int_equal(w->log.progress.files_total, 1);
        assert_true(w->log.progress.bytes_transferred > last);
        assert_true(w->log.progress.bytes_transferred < 4 * MiB);
        last = w->log.progress.bytes_transferred;
    }
    assert_hr(BGCOPY_S_OK, bgcopy_sim_advance(w->sim, 2.0));
    assert_int_equal(job_state(w), BGCOPY_JOB_STATE_ACKNOWLEDGED);
    assert_true(w->log.modifications >= 3);
    assert_downloaded(w, 4 * MiB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_transferred_job_is_completed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_range_failure_is_retried_at_foreground, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dynamic_content_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_over_two_gb_stays_in_error_until_cancelled, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_transient_errors_do_not_call_job_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_job_modification_reads_progress, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
