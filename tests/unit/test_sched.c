/* tests/unit/test_sched.c - the scheduler (core/sched.c) on the simulation harness.
 *
 * Pins the scheduling rules of reference §2.1 and §1.4: every FOREGROUND job transfers
 * concurrently; at most one background (HIGH/NORMAL/LOW) job is active, alongside the
 * foreground ones; a higher background priority preempts a lower one at once and the preempted
 * job resumes from its checkpoint; jobs of equal background priority share time in round-robin
 * slices (manager option time_slice), going back to QUEUED when their slice ends, while a job
 * with nobody waiting keeps running past its slice. Priority changes of queued and running jobs
 * keep those rules (one background job stays active).
 *
 * Everything runs in virtual time. Resources are bandwidth-limited so a transfer spans a known
 * interval: with chunk size c and bandwidth b, chunk k of a GET is delivered at start + k*c/b
 * and the body ends one chunk-time after the last chunk. Chunk times are chosen so that no
 * chunk falls on the instant of an assertion that depends on it.
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
#define URL_A    "http://sched.test/a.bin"
#define URL_B    "http://sched.test/b.bin"
#define URL_C    "http://sched.test/c.bin"
#define S(x)     FX_S(x) /* seconds -> microseconds */

/* ---- fixture ----------------------------------------------------------------------------- */

static int setup(void **state)
{
    return fx_setup("sched", MAX_JOBS);
}

static int teardown(void **state)
{
    return fx_teardown();
}

/* Creates the simulation (chunk size in bytes) and a manager for user "alice" on it. */
static void start_sim(uint32_t chunk, uint32_t time_slice)
{
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;

    mo.time_slice = time_slice;
    fx_start_sim(chunk, &mo);
}

/* The local file holds the PATTERN bytes of seed. */
static void assert_pattern_file(const char *name, uint64_t length, uint32_t seed)
{
    char local[600];
    FILE *f;
    uint64_t i;
    int c;

    fx_local_path(local, sizeof(local), name);
    f = fopen(local, "rb");
    assert_non_null(f);
    for (i = 0; i < length; i++) {
        c = fgetc(f);
        if (c != bgcopy_sim_pattern_byte(seed, i)) {
            fclose(f);
            fail_msg("%s: byte %llu differs", name, (unsigned long long)i);
        }
    }
    assert_int_equal(fgetc(f), EOF);
    fclose(f);
}

/* ---- foreground concurrency ------------------------------------------------------------ */

/* Two FOREGROUND jobs transfer at the same time: both are TRANSFERRING at the same virtual
 * instants, each at its resource's full bandwidth, and both end at 10 s. */
static void test_foreground_jobs_run_concurrently(void **state)
{
    bgcopy_job *a, *b;

    /* 1,000,000 bytes at 100,000 B/s in chunks of 10,000: a chunk every 0.1 s, 10 s in all. */
    start_sim(10000, 0);
    fx_add_resource(URL_A, 1000000, 100000.0, 1);
    fx_add_resource(URL_B, 1000000, 100000.0, 2);
    a = fx_make_job("fg-a", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_A, "a.bin");
    b = fx_make_job("fg-b", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_B, "b.bin");
    assert_hr_equal(bgcopy_job_resume(a), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(b), BGCOPY_S_OK);
    assert_state(a, BGCOPY_JOB_STATE_QUEUED);
    assert_state(b, BGCOPY_JOB_STATE_QUEUED);

    fx_advance_to_us(0);
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(b, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_assert_get(URL_A, 0, 0.0, 0, 999999, 206);
    fx_assert_get(URL_B, 0, 0.0, 0, 999999, 206);

    fx_advance_to_us(S(5.05));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(b, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(fx_job_bytes(a), 510000); /* chunks at 0.0, 0.1, ..., 5.0 */
    assert_int_equal(fx_job_bytes(b), 510000);

    fx_advance_to_us(S(9.95));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(b, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(fx_job_bytes(a), 1000000);
    assert_int_equal(fx_job_bytes(b), 1000000);

    fx_advance_to_us(S(10.0));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_state(b, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(fx_count_requests(URL_A, "GET"), 1);
    assert_int_equal(fx_count_requests(URL_B, "GET"), 1);
}

/* "All foreground jobs run concurrently with one background job": a FOREGROUND job transfers
 * alongside the single active NORMAL job, and a second NORMAL job still waits. */
static void test_foreground_runs_alongside_one_background_job(void **state)
{
    bgcopy_job *fg, *n1, *n2;

    start_sim(10000, 0);
    fx_add_resource(URL_A, 1000000, 100000.0, 1);
    fx_add_resource(URL_B, 1000000, 100000.0, 2);
    fx_add_resource(URL_C, 1000000, 100000.0, 3);
    n1 = fx_make_job("normal-1", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    n2 = fx_make_job("normal-2", BGCOPY_JOB_PRIORITY_NORMAL, URL_B, "b.bin");
    fg = fx_make_job("fg", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_C, "c.bin");
    assert_hr_equal(bgcopy_job_resume(n1), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(n2), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(fg), BGCOPY_S_OK);

    fx_advance_to_us(S(5.05));
    assert_state(fg, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(n1, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(n2, BGCOPY_JOB_STATE_QUEUED);
    assert_int_equal(fx_job_bytes(fg), 510000);
    assert_int_equal(fx_job_bytes(n1), 510000);
    assert_int_equal(fx_job_bytes(n2), 0);
    assert_int_equal(fx_count_requests(URL_B, "HEAD") + fx_count_requests(URL_B, "GET"), 0);

    /* Both active jobs end at 10 s; then the waiting NORMAL job starts at once. */
    fx_advance_to_us(S(10.0));
    assert_state(fg, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_state(n1, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_state(n2, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_assert_get(URL_B, 0, 10.0, 0, 999999, 206);

    fx_advance_to_us(S(20.0));
    assert_state(n2, BGCOPY_JOB_STATE_TRANSFERRED);
}

/* ---- one background job at a time ----------------------------------------------------------- */

/* Two NORMAL jobs: only the first (earliest to enter QUEUED) is active; the other stays QUEUED,
 * without a single request, until the first is TRANSFERRED. */
static void test_normal_jobs_run_one_at_a_time(void **state)
{
    bgcopy_job *a, *b;

    start_sim(10000, 0);
    fx_add_resource(URL_A, 1000000, 100000.0, 1);
    fx_add_resource(URL_B, 1000000, 100000.0, 2);
    a = fx_make_job("normal-a", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    b = fx_make_job("normal-b", BGCOPY_JOB_PRIORITY_NORMAL, URL_B, "b.bin");
    assert_hr_equal(bgcopy_job_resume(a), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(b), BGCOPY_S_OK);

    fx_advance_to_us(0);
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(b, BGCOPY_JOB_STATE_QUEUED);

    fx_advance_to_us(S(9.95));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(b, BGCOPY_JOB_STATE_QUEUED);
    assert_int_equal(fx_job_bytes(b), 0);
    assert_int_equal(fx_count_requests(URL_B, "HEAD") + fx_count_requests(URL_B, "GET"), 0);

    fx_advance_to_us(S(10.0));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_state(b, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal((int64_t)llround(fx_nth_request(URL_B, "HEAD", 0).time * 1e6), S(10.0));
    fx_assert_get(URL_B, 0, 10.0, 0, 999999, 206);

    fx_advance_to_us(S(19.95));
    assert_state(b, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(20.0));
    assert_state(b, BGCOPY_JOB_STATE_TRANSFERRED);
}

/* ---- strict priority ---------------------------------------------------------------------- */

/* A HIGH job resumed while a NORMAL job transfers preempts it at once: NORMAL -> QUEUED and
 * HIGH -> TRANSFERRING at the same instant. The NORMAL job gets no time until the HIGH one is
 * TRANSFERRED, then resumes from its checkpoint (its next GET starts at the byte where it
 * stopped) and the assembled file is intact. */
static void test_high_preempts_normal_which_resumes_from_checkpoint(void **state)
{
    bgcopy_job *n, *h;
    bgcopy_sim_request head;

    start_sim(10000, 0);
    fx_add_resource(URL_A, 1000000, 100000.0, 7); /* NORMAL: 10 s */
    fx_add_resource(URL_B, 500000, 100000.0, 8);  /* HIGH: 5 s */
    n = fx_make_job("normal", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "n.bin");
    h = fx_make_job("high", BGCOPY_JOB_PRIORITY_HIGH, URL_B, "h.bin");
    assert_hr_equal(bgcopy_job_resume(n), BGCOPY_S_OK);

    fx_advance_to_us(S(3.05));
    assert_state(n, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(fx_job_bytes(n), 310000); /* chunks at 0.0 ... 3.0 */

    assert_hr_equal(bgcopy_job_resume(h), BGCOPY_S_OK);
    fx_advance_to_us(S(3.05)); /* the scheduling pass runs at the same instant */
    assert_state(n, BGCOPY_JOB_STATE_QUEUED);
    assert_state(h, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_assert_get(URL_B, 0, 3.05, 0, 499999, 206);

    /* The NORMAL job stays QUEUED, its checkpoint untouched, while HIGH transfers. */
    fx_advance_to_us(S(8.0));
    assert_state(h, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(n, BGCOPY_JOB_STATE_QUEUED);
    assert_int_equal(fx_job_bytes(n), 310000);
    assert_int_equal(fx_count_requests(URL_A, "GET"), 1);

    /* HIGH ends at 3.05 + 5 = 8.05 s; NORMAL restarts at that instant with a HEAD and a GET
     * from byte 310,000. */
    fx_advance_to_us(S(8.05));
    assert_state(h, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_state(n, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 2);
    head = fx_nth_request(URL_A, "HEAD", 1);
    assert_int_equal((int64_t)llround(head.time * 1e6), S(8.05));
    assert_int_equal(fx_count_requests(URL_A, "GET"), 2);
    fx_assert_get(URL_A, 1, 8.05, 310000, 999999, 206);

    /* 690,000 bytes left: 69 chunks, the last at 8.05 + 6.8, the body ends 0.1 s later. */
    fx_advance_to_us(S(14.9));
    assert_state(n, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(fx_job_bytes(n), 1000000);
    fx_advance_to_us(S(14.95));
    assert_state(n, BGCOPY_JOB_STATE_TRANSFERRED);

    assert_hr_equal(bgcopy_job_complete(n), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_complete(h), BGCOPY_S_OK);
    assert_pattern_file("n.bin", 1000000, 7);
    assert_pattern_file("h.bin", 500000, 8);
}

/* LOW waits for NORMAL: with both queued, the NORMAL job runs first even though the LOW job
 * entered QUEUED earlier; LOW gets no request until NORMAL is TRANSFERRED. A NORMAL job resumed
 * while a LOW one transfers preempts it. */
static void test_low_waits_for_normal(void **state)
{
    bgcopy_job *low, *normal;

    start_sim(10000, 0);
    fx_add_resource(URL_A, 1000000, 100000.0, 1);
    fx_add_resource(URL_B, 1000000, 100000.0, 2);
    low = fx_make_job("low", BGCOPY_JOB_PRIORITY_LOW, URL_A, "low.bin");
    normal = fx_make_job("normal", BGCOPY_JOB_PRIORITY_NORMAL, URL_B, "normal.bin");

    /* Both queued at the same instant, LOW first. */
    assert_hr_equal(bgcopy_job_resume(low), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(normal), BGCOPY_S_OK);
    fx_advance_to_us(0);
    assert_state(normal, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(low, BGCOPY_JOB_STATE_QUEUED);

    fx_advance_to_us(S(9.95));
    assert_state(normal, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(low, BGCOPY_JOB_STATE_QUEUED);
    assert_int_equal(fx_count_requests(URL_A, "HEAD") + fx_count_requests(URL_A, "GET"), 0);

    fx_advance_to_us(S(10.0));
    assert_state(normal, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_state(low, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_assert_get(URL_A, 0, 10.0, 0, 999999, 206);

    /* A new NORMAL job preempts the running LOW one at once. */
    assert_hr_equal(bgcopy_job_complete(normal), BGCOPY_S_OK);
    fx_add_resource(URL_C, 200000, 100000.0, 3);
    normal = fx_make_job("normal-2", BGCOPY_JOB_PRIORITY_NORMAL, URL_C, "normal2.bin");
    fx_advance_to_us(S(12.05));
    assert_int_equal(fx_job_bytes(low), 210000); /* chunks at 10.0 ... 12.0 */
    assert_hr_equal(bgcopy_job_resume(normal), BGCOPY_S_OK);
    fx_advance_to_us(S(12.05));
    assert_state(normal, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(low, BGCOPY_JOB_STATE_QUEUED);

    /* NORMAL needs 2 s; LOW then continues from byte 210,000. */
    fx_advance_to_us(S(14.05));
    assert_state(normal, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_state(low, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_assert_get(URL_A, 1, 14.05, 210000, 999999, 206);
}

/* "Lower-priority jobs get no time until all higher jobs are transferred or in an error
 * state": while the HIGH job waits in TRANSIENT_ERROR the NORMAL job runs; when the HIGH job's
 * retry delay ends it is QUEUED again and preempts the NORMAL job at that instant. */
static void test_high_in_transient_error_lets_normal_run(void **state)
{
    bgcopy_job *n, *h;
    bgcopy_sim_fault f = BGCOPY_SIM_FAULT_INIT;

    start_sim(30000, 0); /* chunks every 0.3 s: none falls on 5.0 s */
    fx_add_resource(URL_A, 1000000, 100000.0, 1);
    fx_add_resource(URL_B, 100000, 100000.0, 2);
    f.kind = BGCOPY_SIM_FAULT_HTTP_STATUS;
    f.url = URL_B;
    f.count = 1;
    f.status = 503;
    assert_hr_equal(bgcopy_sim_add_fault(fx_env.sim, &f), BGCOPY_S_OK);
    h = fx_make_job("high", BGCOPY_JOB_PRIORITY_HIGH, URL_B, "h.bin");
    n = fx_make_job("normal", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "n.bin");
    assert_hr_equal(bgcopy_job_set_minimum_retry_delay(h, 5), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(h), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(n), BGCOPY_S_OK);

    fx_advance_to_us(0);
    assert_state(h, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_state(n, BGCOPY_JOB_STATE_TRANSFERRING);

    fx_advance_to_us(S(4.95));
    assert_state(h, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_state(n, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(fx_job_bytes(n), 510000); /* 17 chunks at 0.0 ... 4.8 */

    fx_advance_to_us(S(5.0));
    assert_state(h, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(n, BGCOPY_JOB_STATE_QUEUED);
    assert_int_equal(fx_job_bytes(n), 510000);

    /* HIGH needs 1 s; NORMAL then continues from byte 510,000. */
    fx_advance_to_us(S(6.0));
    assert_state(h, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_state(n, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_assert_get(URL_A, 1, 6.0, 510000, 999999, 206);
}

/* ---- priority changes --------------------------------------------------------------------- */

/* Raising a QUEUED NORMAL job to FOREGROUND starts it at once, next to the running NORMAL job
 * (foreground jobs do not need the background slot). */
static void test_raising_queued_job_to_foreground_starts_it(void **state)
{
    bgcopy_job *a, *b;

    start_sim(10000, 0);
    fx_add_resource(URL_A, 1000000, 100000.0, 1);
    fx_add_resource(URL_B, 1000000, 100000.0, 2);
    a = fx_make_job("normal-a", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    b = fx_make_job("normal-b", BGCOPY_JOB_PRIORITY_NORMAL, URL_B, "b.bin");
    assert_hr_equal(bgcopy_job_resume(a), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(b), BGCOPY_S_OK);
    fx_advance_to_us(S(2.05));
    assert_state(b, BGCOPY_JOB_STATE_QUEUED);
    assert_hr_equal(bgcopy_job_set_priority(b, BGCOPY_JOB_PRIORITY_FOREGROUND), BGCOPY_S_OK);
    fx_advance_to_us(S(2.05));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(b, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_assert_get(URL_B, 0, 2.05, 0, 999999, 206);
}

/* Lowering a transferring FOREGROUND job to a background priority while another background
 * job transfers must leave one background job active:
 *   - to LOW, below the running NORMAL job: the lowered job goes back to QUEUED;
 *   - to NORMAL, equal to the running NORMAL job that entered the queue first: the lowered job
 *     waits its turn in QUEUED;
 *   - to HIGH, above the running NORMAL job: the NORMAL job is preempted (QUEUED) and the
 *     lowered job keeps transferring as the background job. */
static void lowered_foreground_case(bgcopy_job_priority lowered_to, int lowered_keeps_running)
{
    bgcopy_job *n, *f;
    int64_t t;

    fx_add_resource(URL_A, 1000000, 100000.0, 1);
    fx_add_resource(URL_B, 1000000, 100000.0, 2);
    n = fx_make_job("normal", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "n.bin");
    f = fx_make_job("fg", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_B, "f.bin");
    t = fx_now_us();
    assert_hr_equal(bgcopy_job_resume(n), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(f), BGCOPY_S_OK);
    fx_advance_to_us(t + S(3.05));
    assert_state(n, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(f, BGCOPY_JOB_STATE_TRANSFERRING);

    assert_hr_equal(bgcopy_job_set_priority(f, lowered_to), BGCOPY_S_OK);
    fx_advance_to_us(t + S(3.05));
    if (lowered_keeps_running) {
        assert_state(f, BGCOPY_JOB_STATE_TRANSFERRING);
        assert_state(n, BGCOPY_JOB_STATE_QUEUED);
    } else {
        assert_state(f, BGCOPY_JOB_STATE_QUEUED);
        assert_state(n, BGCOPY_JOB_STATE_TRANSFERRING);
    }
    fx_advance_to_us(t + S(5.05));
    if (lowered_keeps_running) {
        assert_state(f, BGCOPY_JOB_STATE_TRANSFERRING);
        assert_state(n, BGCOPY_JOB_STATE_QUEUED);
        assert_int_equal(fx_job_bytes(n), 310000);
    } else {
        assert_state(f, BGCOPY_JOB_STATE_QUEUED);
        assert_state(n, BGCOPY_JOB_STATE_TRANSFERRING);
        assert_int_equal(fx_job_bytes(f), 310000);
    }
    assert_hr_equal(bgcopy_job_cancel(n), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_cancel(f), BGCOPY_S_OK);
    fx_advance_to_us(t + S(5.05));
}

static void test_lowering_foreground_job_keeps_one_background_job(void **state)
{
    start_sim(10000, 0);
    lowered_foreground_case(BGCOPY_JOB_PRIORITY_LOW, 0);
    lowered_foreground_case(BGCOPY_JOB_PRIORITY_NORMAL, 0);
    lowered_foreground_case(BGCOPY_JOB_PRIORITY_HIGH, 1);
}

/* A running NORMAL job raised to FOREGROUND keeps running, as a foreground job, and frees the
 * background slot: the next NORMAL job starts at once. */
static void test_raising_running_job_to_foreground_frees_background_slot(void **state)
{
    bgcopy_job *a, *b;

    start_sim(10000, 0);
    fx_add_resource(URL_A, 1000000, 100000.0, 1);
    fx_add_resource(URL_B, 1000000, 100000.0, 2);
    a = fx_make_job("normal-a", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    b = fx_make_job("normal-b", BGCOPY_JOB_PRIORITY_NORMAL, URL_B, "b.bin");
    assert_hr_equal(bgcopy_job_resume(a), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(b), BGCOPY_S_OK);
    fx_advance_to_us(S(2.05));
    assert_hr_equal(bgcopy_job_set_priority(a, BGCOPY_JOB_PRIORITY_FOREGROUND), BGCOPY_S_OK);
    fx_advance_to_us(S(2.05));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(b, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(fx_count_requests(URL_A, "GET"), 1); /* a was not interrupted */
    fx_advance_to_us(S(10.0));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRED);
}

/* ---- round robin ----------------------------------------------------------------------------- */

/* time_slice = 10 and two NORMAL jobs of 100 s downloads: the first runs [0, 10), then goes
 * back to QUEUED and the second runs [10, 20), then the first again [20, 30), and so on; each
 * continues from its own checkpoint. Chunks of 30,000 bytes at 100,000 B/s arrive every 0.3 s,
 * so a 10 s slice moves 34 chunks (at +0.0 ... +9.9) = 1,020,000 bytes. */
static void test_round_robin_between_equal_normal_jobs(void **state)
{
    bgcopy_job *a, *b;

    start_sim(30000, 10);
    fx_add_resource(URL_A, 10000000, 100000.0, 1);
    fx_add_resource(URL_B, 10000000, 100000.0, 2);
    a = fx_make_job("rr-a", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    b = fx_make_job("rr-b", BGCOPY_JOB_PRIORITY_NORMAL, URL_B, "b.bin");
    assert_hr_equal(bgcopy_job_resume(a), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(b), BGCOPY_S_OK);

    fx_advance_to_us(S(9.95));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(b, BGCOPY_JOB_STATE_QUEUED);
    assert_int_equal(fx_job_bytes(a), 1020000);

    fx_advance_to_us(S(10.0));
    assert_state(a, BGCOPY_JOB_STATE_QUEUED);
    assert_state(b, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(fx_job_bytes(a), 1020000);
    fx_assert_get(URL_B, 0, 10.0, 0, 9999999, 206);

    fx_advance_to_us(S(19.95));
    assert_state(a, BGCOPY_JOB_STATE_QUEUED);
    assert_state(b, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(fx_job_bytes(a), 1020000);
    assert_int_equal(fx_job_bytes(b), 1020000);

    fx_advance_to_us(S(20.0));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(b, BGCOPY_JOB_STATE_QUEUED);
    fx_assert_get(URL_A, 1, 20.0, 1020000, 9999999, 206);

    fx_advance_to_us(S(30.0));
    assert_state(a, BGCOPY_JOB_STATE_QUEUED);
    assert_state(b, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(fx_job_bytes(a), 2040000);
    fx_assert_get(URL_B, 1, 30.0, 1020000, 9999999, 206);

    fx_advance_to_us(S(40.0));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(b, BGCOPY_JOB_STATE_QUEUED);
    assert_int_equal(fx_job_bytes(b), 2040000);
    assert_int_equal(fx_count_requests(URL_A, "GET"), 3);
    assert_int_equal(fx_count_requests(URL_B, "GET"), 2);
}

/* Three NORMAL jobs with time_slice = 10 take turns in queue order - A, B, C, A, ... - each
 * job going to the back of the line when its slice ends. */
static void test_round_robin_rotates_through_three_jobs(void **state)
{
    bgcopy_job *j[3];
    const char *urls[3] = {URL_A, URL_B, URL_C};
    const char *names[3] = {"a.bin", "b.bin", "c.bin"};
    int slice, i;

    start_sim(30000, 10);
    for (i = 0; i < 3; i++) {
        fx_add_resource(urls[i], 10000000, 100000.0, (uint32_t)i + 1);
        j[i] = fx_make_job(names[i], BGCOPY_JOB_PRIORITY_NORMAL, urls[i], names[i]);
    }
    for (i = 0; i < 3; i++) {
        assert_hr_equal(bgcopy_job_resume(j[i]), BGCOPY_S_OK);
    }
    for (slice = 0; slice < 6; slice++) {
        fx_advance_to_us(S(10.0 * slice + 5.0));
        for (i = 0; i < 3; i++) {
            assert_state(j[i],
                         i == slice % 3 ? BGCOPY_JOB_STATE_TRANSFERRING : BGCOPY_JOB_STATE_QUEUED);
        }
    }
    /* Each job had two slices of 34 chunks (the last at 59.9 s). */
    fx_advance_to_us(S(59.95));
    for (i = 0; i < 3; i++) {
        assert_int_equal(fx_job_bytes(j[i]), 2040000);
    }
}

/* A single NORMAL job with time_slice = 10 keeps running past its slice: nobody waits at its
 * priority, so it is never sent back to QUEUED and its one GET is never interrupted. */
static void test_single_normal_job_keeps_running_past_slice(void **state)
{
    bgcopy_job *a;

    /* 1,000,000 bytes at 20,000 B/s in 30,000-byte chunks: every 1.5 s, 50 s in all (the last
     * chunk at 49.5 s carries 10,000 bytes and the body ends 0.5 s later). */
    start_sim(30000, 10);
    fx_add_resource(URL_A, 1000000, 20000.0, 4);
    a = fx_make_job("alone", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    assert_hr_equal(bgcopy_job_resume(a), BGCOPY_S_OK);

    fx_advance_to_us(S(10.0));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(25.0));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRING);
    fx_advance_to_us(S(49.9));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(fx_job_bytes(a), 1000000);
    fx_advance_to_us(S(50.0));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(fx_count_requests(URL_A, "HEAD"), 1);
    assert_int_equal(fx_count_requests(URL_A, "GET"), 1);
    assert_hr_equal(bgcopy_job_complete(a), BGCOPY_S_OK);
    assert_pattern_file("a.bin", 1000000, 4);
}

/* The default slice (time_slice 0 = 300 s; docs/fidelity.md): two NORMAL jobs of 1,000 s
 * downloads (30,000-byte chunks at 10,000 B/s, one every 3 s) switch at exactly 300 s and
 * 600 s; a slice moves 100 chunks (at +0 ... +297 s) = 3,000,000 bytes. */
static void test_round_robin_default_slice_is_300_s(void **state)
{
    bgcopy_job *a, *b;

    start_sim(30000, 0);
    fx_add_resource(URL_A, 10000000, 10000.0, 5);
    fx_add_resource(URL_B, 10000000, 10000.0, 6);
    a = fx_make_job("slice-a", BGCOPY_JOB_PRIORITY_NORMAL, URL_A, "a.bin");
    b = fx_make_job("slice-b", BGCOPY_JOB_PRIORITY_NORMAL, URL_B, "b.bin");
    assert_hr_equal(bgcopy_job_resume(a), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(b), BGCOPY_S_OK);

    fx_advance_to_us(S(299.5));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(b, BGCOPY_JOB_STATE_QUEUED);
    assert_int_equal(fx_job_bytes(a), 3000000);
    assert_int_equal(fx_count_requests(URL_B, "HEAD"), 0);

    fx_advance_to_us(S(300.0));
    assert_state(a, BGCOPY_JOB_STATE_QUEUED);
    assert_state(b, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(fx_job_bytes(a), 3000000);
    fx_assert_get(URL_B, 0, 300.0, 0, 9999999, 206);

    fx_advance_to_us(S(599.5));
    assert_state(a, BGCOPY_JOB_STATE_QUEUED);
    assert_state(b, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_int_equal(fx_job_bytes(b), 3000000);

    fx_advance_to_us(S(600.0));
    assert_state(a, BGCOPY_JOB_STATE_TRANSFERRING);
    assert_state(b, BGCOPY_JOB_STATE_QUEUED);
    fx_assert_get(URL_A, 1, 600.0, 3000000, 9999999, 206);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_foreground_jobs_run_concurrently, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreground_runs_alongside_one_background_job, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_normal_jobs_run_one_at_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_high_preempts_normal_which_resumes_from_checkpoint,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_low_waits_for_normal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_high_in_transient_error_lets_normal_run, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_raising_queued_job_to_foreground_starts_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lowering_foreground_job_keeps_one_background_job,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_raising_running_job_to_foreground_frees_background_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_robin_between_equal_normal_jobs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_round_robin_rotates_through_three_jobs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_single_normal_job_keeps_running_past_slice, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_round_robin_default_slice_is_300_s, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
