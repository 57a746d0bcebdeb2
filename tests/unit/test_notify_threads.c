/* tests/unit/test_notify_threads.c - the threaded notification dispatcher of a real-mode
 * engine (core/engine.c notifier pool, core/notify.c), without a simulation.
 *
 * Managers opened without a simulation share the process's engine, which runs on the real
 * clock: a runner thread and a pool of notifier threads that call the application's callbacks
 * with the engine lock released. The jobs copy local files (file:// sources written by the
 * tests into a scratch directory under the working directory), so they really transfer. The
 * tests wait on condition variables with a generous deadline (30 s) that only matters if the
 * engine hangs; nothing sleeps to poll. Callbacks only record what they see (cmocka
 * assertions must run on the test's thread); the test thread checks afterwards.
 *
 * Pinned (reference §5.2 and job.h "Callbacks run on a notification thread, never inside the
 * API call that caused them"; manager.h "every function here may be called from any thread,
 * including from inside a notification callback"):
 *   - callbacks run on a thread other than the caller's, never inside the API call;
 *   - a callback may call GetProgress and Complete on its own job and Resume / Suspend on
 *     another job without deadlock; so may a JobModification (SetDescription of another job,
 *     whose JobModification then reads the first job); in-process, callbacks run on the
 *     engine's notifier threads only;
 *   - at most four notifications in flight per user: the fifth and sixth are entered only
 *     after one of the four returns;
 *   - the last manager and the last job handle released from inside a callback: the engine
 *     shuts down on the notifier thread, the process goes on and a new manager works;
 *   - the notification command line runs from the pool and may be replaced meanwhile;
 *   - a manager closed while the engine's threads are still starting.
 * Registered twice: in-process (unit_notify_threads) and through bgcopyd, where the callbacks
 * run in this process as events of the service (service_notify_threads, tests/helpers/svcmode.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bgcopy.h"
#include "core-int.h" /* in-process only: the engine's notifier thread ids */
#include "svcmode.h"

#define assert_hr(expected, actual) assert_int_equal((uint32_t)(expected), (uint32_t)(actual))

#define DEADLINE_S 30 /* only reached when the engine hangs */
#define MAX_JOBS   6

static char dir[512];

/* ---- shared recording state -------------------------------------------------------------- */

/* Set by the test thread around the API calls that cause notifications. */
static _Thread_local int inside_api;

struct obs {
    pthread_mutex_t m;
    pthread_cond_t c;

    /* test_callbacks_off_the_calling_thread */
    int calls;
    int saw_inside_api;   /* a callback ran with inside_api set on its thread */
    int on_caller_thread; /* a callback ran on the test's thread */
    pthread_t test_thread;

    /* test_callback_calls_api_without_deadlock */
    bgcopy_job *other;
    bgcopy_hr progress_hr, resume_hr, suspend_hr, other_state_hr, complete_hr, enum_hr;
    bgcopy_job_progress progress;
    bgcopy_job_state other_state;
    uint32_t enum_count;
    bgcopy_manager *mgr;

    /* test_four_in_flight_real_mode */
    int sentinel; /* phase 1: quick JobTransferred calls */
    int inside;   /* phase 2: callbacks currently blocked */
    int max_inside;
    int entered;
    int left;
    int permits; /* releases granted by the test, not yet taken */
    int entered_per_job[MAX_JOBS];
    bgcopy_job *jobs[MAX_JOBS];

    /* test_last_references_released_inside_callback */
    bgcopy_job *own; /* the test's handle, released by the callback */
    int released;
};

static struct obs obs;

static void obs_init(void)
{
    memset(&obs, 0, sizeof(obs));
    pthread_mutex_init(&obs.m, NULL);
    pthread_cond_init(&obs.c, NULL);
    obs.test_thread = pthread_self();
}

static void obs_destroy(void)
{
    pthread_cond_destroy(&obs.c);
    pthread_mutex_destroy(&obs.m);
}

static void deadline_in(struct timespec *ts, double seconds)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += (time_t)seconds;
    ts->tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Waits (obs.m held) until *v >= target or the deadline passes; returns whether it got there. */
static int wait_at_least_locked(const int *v, int target, double seconds)
{
    struct timespec ts;
    deadline_in(&ts, seconds);
    while (*v < target) {
        if (pthread_cond_timedwait(&obs.c, &obs.m, &ts) == ETIMEDOUT) {
            break;
        }
    }
    return *v >= target;
}

static int wait_at_least(const int *v, int target, double seconds)
{
    int ok;
    pthread_mutex_lock(&obs.m);
    ok = wait_at_least_locked(v, target, seconds);
    pthread_mutex_unlock(&obs.m);
    return ok;
}

/* ---- files ------------------------------------------------------------------------------- */

static void write_source(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    size_t i;
    assert_non_null(f);
    for (i = 0; i < n; i++) {
        fputc((int)((i * 131u + 7u) & 0xFF), f);
    }
    fclose(f);
}

static int same_content(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int ca, cb, same = fa && fb;
    while (same) {
        ca = fgetc(fa);
        cb = fgetc(fb);
        if (ca != cb) {
            same = 0;
        }
        if (ca == EOF) {
            break;
        }
    }
    if (fa) {
        fclose(fa);
    }
    if (fb) {
        fclose(fb);
    }
    return same;
}

/* A SUSPENDED download job copying file://<dir>/<name>.src (n bytes, written here) to
 * <dir>/<name>; dst receives the destination path when not NULL. */
static bgcopy_job *make_job(bgcopy_manager *mgr, const char *name, size_t n, char *dst,
                            size_t dst_size)
{
    char src[600], url[700], local[600];
    bgcopy_job *job = NULL;

    snprintf(src, sizeof(src), "%s/%s.src", dir, name);
    snprintf(url, sizeof(url), "file://%s", src);
    snprintf(local, sizeof(local), "%s/%s", dir, name);
    write_source(src, n);
    assert_hr(BGCOPY_S_OK,
              bgcopy_manager_create_job(mgr, name, BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file(job, url, local));
    if (dst != NULL) {
        snprintf(dst, dst_size, "%s", local);
    }
    return job;
}

static bgcopy_job_state state_of(bgcopy_job *job)
{
    bgcopy_job_state s;
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_state(job, &s));
    return s;
}

static bgcopy_manager *open_manager(void)
{
    bgcopy_manager *mgr = NULL;
    assert_hr(BGCOPY_S_OK, fx_manager_open(NULL, &mgr));
    return mgr;
}

/* ---- fixture ------------------------------------------------------------------------------ */

static int setup(void **state)
{
    char rel[64], cwd[400];

    snprintf(rel, sizeof(rel), "notify-threads-XXXXXX");
    if (mkdtemp(rel) == NULL || getcwd(cwd, sizeof(cwd)) == NULL) {
        return -1;
    }
    snprintf(dir, sizeof(dir), "%s/%s", cwd, rel);
    return 0;
}

static int teardown(void **state)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int test_setup(void **state)
{
    obs_init();
    return 0;
}

static int test_teardown(void **state)
{
    obs_destroy();
    return 0;
}

/* ---- callbacks off the calling thread ------------------------------------------------------ */

static bgcopy_hr note_thread(bgcopy_job *job, void *user)
{
    pthread_mutex_lock(&obs.m);
    if (inside_api) {
        obs.saw_inside_api = 1;
    }
    if (pthread_equal(pthread_self(), obs.test_thread)) {
        obs.on_caller_thread = 1;
    }
    obs.calls++;
    pthread_cond_broadcast(&obs.c);
    pthread_mutex_unlock(&obs.m);
    return BGCOPY_S_OK;
}

/* JobTransferred, caused by Resume and then (at least once) by registering again on the
 * TRANSFERRED job, runs on another thread, never inside either API call. */
static void test_callbacks_off_the_calling_thread(void **state)
{
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_manager *mgr = open_manager();
    bgcopy_job *job = make_job(mgr, "thread.bin", 200000, NULL, 0);
    bgcopy_hr hr;

    cb.job_transferred = note_thread;
    inside_api = 1;
    hr = bgcopy_job_set_notify_callbacks(job, &cb, NULL);
    inside_api = 0;
    assert_hr(BGCOPY_S_OK, hr);
    inside_api = 1;
    hr = bgcopy_job_resume(job);
    inside_api = 0;
    assert_hr(BGCOPY_S_OK, hr);
    assert_true(wait_at_least(&obs.calls, 1, DEADLINE_S));
    assert_int_equal(BGCOPY_JOB_STATE_TRANSFERRED, state_of(job));

    inside_api = 1;
    hr = bgcopy_job_set_notify_callbacks(job, &cb, NULL);
    inside_api = 0;
    assert_hr(BGCOPY_S_OK, hr);
    assert_true(wait_at_least(&obs.calls, 2, DEADLINE_S));

    pthread_mutex_lock(&obs.m);
    assert_int_equal(obs.calls, 2);
    assert_int_equal(obs.saw_inside_api, 0);
    assert_int_equal(obs.on_caller_thread, 0);
    pthread_mutex_unlock(&obs.m);

    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
}

/* ---- API calls from inside a callback ------------------------------------------------------ */

static bgcopy_hr busy_callback(bgcopy_job *job, void *user)
{
    bgcopy_hr progress_hr, resume_hr, suspend_hr, state_hr, complete_hr, enum_hr;
    bgcopy_job_progress progress;
    bgcopy_job_state other_state = BGCOPY_JOB_STATE_QUEUED;
    bgcopy_job_enum *en = NULL;
    uint32_t count = 0;

    progress_hr = bgcopy_job_get_progress(job, &progress);
    resume_hr = bgcopy_job_resume(obs.other);
    suspend_hr = bgcopy_job_suspend(obs.other);
    state_hr = bgcopy_job_get_state(obs.other, &other_state);
    enum_hr = bgcopy_manager_enum_jobs(obs.mgr, 0, &en);
    if (en != NULL) {
        (void)bgcopy_job_enum_get_count(en, &count);
        bgcopy_job_enum_release(en);
    }
    complete_hr = bgcopy_job_complete(job);

    pthread_mutex_lock(&obs.m);
    obs.progress_hr = progress_hr;
    obs.progress = progress;
    obs.resume_hr = resume_hr;
    obs.suspend_hr = suspend_hr;
    obs.other_state_hr = state_hr;
    obs.other_state = other_state;
    obs.enum_hr = enum_hr;
    obs.enum_count = count;
    obs.complete_hr = complete_hr;
    obs.calls++;
    pthread_cond_broadcast(&obs.c);
    pthread_mutex_unlock(&obs.m);
    return BGCOPY_S_OK;
}

/* JobTransferred reads its job's progress, resumes and suspends another job, enumerates the
 * manager's jobs and completes its own job: every call returns S_OK, none deadlocks; the own
 * job is ACKNOWLEDGED with the file in place, the other one SUSPENDED. */
static void test_callback_calls_api_without_deadlock(void **state)
{
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_manager *mgr = open_manager();
    char dst[600], src[700];
    bgcopy_job *job = make_job(mgr, "own.bin", 300000, dst, sizeof(dst));
    bgcopy_job *other = make_job(mgr, "other.bin", 300000, NULL, 0);

    obs.other = other;
    obs.mgr = mgr;
    cb.job_transferred = busy_callback;
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(job, &cb, NULL));
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    assert_true(wait_at_least(&obs.calls, 1, DEADLINE_S));

    pthread_mutex_lock(&obs.m);
    assert_hr(BGCOPY_S_OK, obs.progress_hr);
    assert_int_equal(300000, obs.progress.bytes_total);
    assert_int_equal(300000, obs.progress.bytes_transferred);
    assert_int_equal(1, obs.progress.files_transferred);
    assert_hr(BGCOPY_S_OK, obs.resume_hr);
    assert_hr(BGCOPY_S_OK, obs.suspend_hr);
    assert_hr(BGCOPY_S_OK, obs.other_state_hr);
    assert_int_equal(BGCOPY_JOB_STATE_SUSPENDED, obs.other_state);
    assert_hr(BGCOPY_S_OK, obs.enum_hr);
    assert_int_equal(2, obs.enum_count);
    assert_hr(BGCOPY_S_OK, obs.complete_hr);
    pthread_mutex_unlock(&obs.m);

    assert_int_equal(BGCOPY_JOB_STATE_ACKNOWLEDGED, state_of(job));
    assert_int_equal(BGCOPY_JOB_STATE_SUSPENDED, state_of(other));
    snprintf(src, sizeof(src), "%s.src", dst);
    assert_true(same_content(src, dst));

    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(other));
    bgcopy_job_release(other);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
}

/* ---- four in flight ------------------------------------------------------------------------ */

static int job_index(bgcopy_job *job)
{
    bgcopy_guid id, want;
    int i;
    if (BGCOPY_FAILED(bgcopy_job_get_id(job, &id))) {
        return -1;
    }
    for (i = 0; i < MAX_JOBS; i++) {
        if (obs.jobs[i] != NULL && BGCOPY_SUCCEEDED(bgcopy_job_get_id(obs.jobs[i], &want)) &&
            bgcopy_guid_equal(&id, &want)) {
            return i;
        }
    }
    return -1;
}

static bgcopy_hr sentinel_transferred(bgcopy_job *job, void *user)
{
    pthread_mutex_lock(&obs.m);
    obs.sentinel++;
    pthread_cond_broadcast(&obs.c);
    pthread_mutex_unlock(&obs.m);
    return BGCOPY_S_OK;
}

/* Stays inside until the test grants a permit. */
static bgcopy_hr blocking_transferred(bgcopy_job *job, void *user)
{
    int i = job_index(job);

    pthread_mutex_lock(&obs.m);
    obs.entered++;
    if (i >= 0) {
        obs.entered_per_job[i]++;
    }
    obs.inside++;
    if (obs.inside > obs.max_inside) {
        obs.max_inside = obs.inside;
    }
    pthread_cond_broadcast(&obs.c);
    {
        /* Bounded: when an assertion of the test fails (and the test thread leaves without
         * granting), the callback returns after the deadline instead of holding the manager's
         * close forever, so the failure is reported rather than a hang. */
        struct timespec ts;
        deadline_in(&ts, 2 * DEADLINE_S);
        while (obs.permits == 0) {
            if (pthread_cond_timedwait(&obs.c, &obs.m, &ts) == ETIMEDOUT) {
                obs.permits++;
                break;
            }
        }
    }
    obs.permits--;
    obs.inside--;
    obs.left++;
    pthread_cond_broadcast(&obs.c);
    pthread_mutex_unlock(&obs.m);
    return BGCOPY_S_OK;
}

static void grant(int n)
{
    pthread_mutex_lock(&obs.m);
    obs.permits += n;
    pthread_cond_broadcast(&obs.c);
    pthread_mutex_unlock(&obs.m);
}

/* Six TRANSFERRED jobs whose JobTransferred callbacks block until the test releases them
 * (the notifications are queued at once, by registering on jobs that are already
 * TRANSFERRED): exactly four are inside at once; the fifth is not entered while they block,
 * only after one returns, and the sixth after another. Every job's callback is entered
 * exactly once. */
static void test_four_in_flight_real_mode(void **state)
{
    bgcopy_callbacks quick = BGCOPY_CALLBACKS_INIT, blocking = BGCOPY_CALLBACKS_INIT;
    bgcopy_manager *mgr;
    char name[32];
    int i, four, fifth, sixth, left, inside, max_inside, sentinel;

    mgr = open_manager();
    quick.job_transferred = sentinel_transferred;
    blocking.job_transferred = blocking_transferred;
    for (i = 0; i < MAX_JOBS; i++) {
        snprintf(name, sizeof(name), "f%d.bin", i);
        obs.jobs[i] = make_job(mgr, name, 50000, NULL, 0);
        assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(obs.jobs[i], &quick, NULL));
    }
    for (i = 0; i < MAX_JOBS; i++) {
        assert_hr(BGCOPY_S_OK, bgcopy_job_resume(obs.jobs[i]));
    }
    /* Phase 1: every job TRANSFERRED, no notification in flight. */
    assert_true(wait_at_least(&obs.sentinel, MAX_JOBS, DEADLINE_S));
    for (i = 0; i < MAX_JOBS; i++) {
        assert_int_equal(BGCOPY_JOB_STATE_TRANSFERRED, state_of(obs.jobs[i]));
    }

    /* Phase 2: six JobTransferred notifications due at once. */
    for (i = 0; i < MAX_JOBS; i++) {
        assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(obs.jobs[i], &blocking, NULL));
    }
    /* (Assertions run with obs.m released: a failing one leaves the test at once, and the
     * blocked callbacks must still be able to take the lock to time out.) */
    pthread_mutex_lock(&obs.m);
    four = wait_at_least_locked(&obs.inside, 4, DEADLINE_S);
    /* The pool has idle threads and two notifications are due: give them a fair chance. */
    fifth = wait_at_least_locked(&obs.entered, 5, 0.3);
    inside = obs.inside;
    max_inside = obs.max_inside;
    sentinel = obs.sentinel;
    pthread_mutex_unlock(&obs.m);
    assert_true(four);
    assert_false(fifth);
    assert_int_equal(inside, 4);
    assert_int_equal(max_inside, 4);
    assert_int_equal(sentinel, MAX_JOBS);

    grant(1);
    pthread_mutex_lock(&obs.m);
    fifth = wait_at_least_locked(&obs.entered, 5, DEADLINE_S);
    left = wait_at_least_locked(&obs.left, 1, DEADLINE_S);
    sixth = wait_at_least_locked(&obs.entered, 6, 0.3);
    max_inside = obs.max_inside;
    inside = obs.inside;
    pthread_mutex_unlock(&obs.m);
    assert_true(fifth);
    assert_true(left);
    assert_false(sixth);
    assert_int_equal(max_inside, 4);
    assert_int_equal(inside, 4);

    grant(1);
    assert_true(wait_at_least(&obs.entered, 6, DEADLINE_S));
    grant(4);
    assert_true(wait_at_least(&obs.left, MAX_JOBS, DEADLINE_S));

    /* Every callback has returned: obs is no longer written. */
    assert_int_equal(obs.max_inside, 4);
    assert_int_equal(obs.entered, MAX_JOBS);
    assert_int_equal(obs.inside, 0);
    for (i = 0; i < MAX_JOBS; i++) {
        assert_int_equal(obs.entered_per_job[i], 1);
    }

    for (i = 0; i < MAX_JOBS; i++) {
        assert_hr(BGCOPY_S_OK, bgcopy_job_complete(obs.jobs[i]));
        bgcopy_job_release(obs.jobs[i]);
        obs.jobs[i] = NULL;
    }
    bgcopy_manager_close(mgr);
}

/* ---- last references dropped inside a callback -------------------------------------------- */

static bgcopy_hr release_everything(bgcopy_job *job, void *user)
{
    bgcopy_hr hr = bgcopy_job_complete(job);
    bgcopy_manager_close(obs.mgr);
    bgcopy_job_release(obs.own);

    pthread_mutex_lock(&obs.m);
    obs.mgr = NULL;
    obs.own = NULL;
    obs.complete_hr = hr;
    obs.released++;
    pthread_cond_broadcast(&obs.c);
    pthread_mutex_unlock(&obs.m);
    return BGCOPY_S_OK; /* the engine goes away once this returns */
}

static bgcopy_hr note_done(bgcopy_job *job, void *user)
{
    pthread_mutex_lock(&obs.m);
    obs.calls++;
    pthread_cond_broadcast(&obs.c);
    pthread_mutex_unlock(&obs.m);
    return BGCOPY_S_OK;
}

/* The callback closes the only manager and releases the only job handle the application has
 * (so the engine's last reference goes when it returns, on the notifier thread). Three rounds:
 * each time the process goes on, and a new manager - opened while the old engine may still be
 * shutting down - copies a file and delivers its JobTransferred. */
static void test_last_references_released_inside_callback(void **state)
{
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT, done = BGCOPY_CALLBACKS_INIT;
    char dst[600], src[700], name[32];
    bgcopy_manager *mgr;
    bgcopy_job *job;
    int round;

    cb.job_transferred = release_everything;
    done.job_transferred = note_done;
    for (round = 0; round < 3; round++) {
        mgr = open_manager();
        snprintf(name, sizeof(name), "last%d.bin", round);
        job = make_job(mgr, name, 100000, dst, sizeof(dst));
        pthread_mutex_lock(&obs.m);
        obs.mgr = mgr;
        obs.own = job;
        pthread_mutex_unlock(&obs.m);
        assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(job, &cb, NULL));
        assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
        job = NULL;
        mgr = NULL; /* both belong to the callback now */
        assert_true(wait_at_least(&obs.released, round + 1, DEADLINE_S));
        pthread_mutex_lock(&obs.m);
        assert_hr(BGCOPY_S_OK, obs.complete_hr);
        pthread_mutex_unlock(&obs.m);
        snprintf(src, sizeof(src), "%s.src", dst);
        assert_true(same_content(src, dst));

        mgr = open_manager();
        snprintf(name, sizeof(name), "after%d.bin", round);
        job = make_job(mgr, name, 100000, dst, sizeof(dst));
        assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(job, &done, NULL));
        assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
        assert_true(wait_at_least(&obs.calls, round + 1, DEADLINE_S));
        assert_int_equal(BGCOPY_JOB_STATE_TRANSFERRED, state_of(job));
        assert_hr(BGCOPY_S_OK, bgcopy_job_complete(job));
        snprintf(src, sizeof(src), "%s.src", dst);
        assert_true(same_content(src, dst));
        bgcopy_job_release(job);
        bgcopy_manager_close(mgr);
    }
}

/* ---- command line on the notifier pool ------------------------------------------------------ */

/* No callbacks, a command line: on entry into TRANSFERRED a notifier thread runs
 * /bin/sh -c "echo $1 > <fifo>" sh <GUID>. The test blocks reading the FIFO (poll with the
 * deadline) and gets the GUID; then it clears the command line while the engine may still be
 * finishing the run. */
static void test_cmdline_runs_in_real_mode(void **state)
{
    bgcopy_manager *mgr = open_manager();
    bgcopy_job *job = make_job(mgr, "cmd.bin", 10000, NULL, 0);
    char fifo[600], params[1400], guid[BGCOPY_GUID_STRING_SIZE], line[128];
    struct pollfd pfd;
    bgcopy_guid id;
    ssize_t n;
    int fd;

    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    assert_int_equal(0, mkfifo(fifo, 0600));
    fd = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(fd >= 0);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_id(job, &id));
    assert_hr(BGCOPY_S_OK, bgcopy_guid_to_string(&id, guid));
    snprintf(params, sizeof(params), "/bin/sh -c \"echo $1 > %s\" sh %s", fifo, guid);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_cmd_line(job, "/bin/sh", params));
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));

    pfd.fd = fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    assert_int_equal(1, poll(&pfd, 1, DEADLINE_S * 1000));
    n = read(fd, line, sizeof(line) - 1);
    assert_true(n > 0);
    line[n] = '\0';
    line[strcspn(line, "\n")] = '\0';
    assert_string_equal(guid, line);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_cmd_line(job, NULL, NULL));
    close(fd);

    assert_int_equal(BGCOPY_JOB_STATE_TRANSFERRED, state_of(job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
}

/* ---- engine start and stop ---------------------------------------------------------------- */

/* A manager closed right after it was opened: the engine's threads may still be starting when
 * it stops them. Twenty rounds, each followed by a job that works. */
static void test_open_close_at_once(void **state)
{
    bgcopy_manager *mgr;
    bgcopy_job *job = NULL;
    bgcopy_job_state st;
    int round;

    for (round = 0; round < 20; round++) {
        mgr = open_manager();
        bgcopy_manager_close(mgr);
    }
    mgr = open_manager();
    assert_hr(BGCOPY_S_OK,
              bgcopy_manager_create_job(mgr, "after", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job));
    bgcopy_manager_close(mgr);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_state(job, &st));
    assert_int_equal(BGCOPY_JOB_STATE_SUSPENDED, st);
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    bgcopy_job_release(job);
}

/* ---- API calls from inside JobModification -------------------------------------------------- */

#define REENTRY_MAX 64

/* What the JobModification callbacks of test_reentrant_job_modification saw. */
static struct {
    bgcopy_job *own, *other;
    int own_calls, other_calls, transferred_calls;
    int failures;         /* API calls inside a callback that did not return S_OK */
    int on_caller_thread; /* a callback ran on the test's thread */
    bgcopy_hr first_failure;
    uintptr_t thread[REENTRY_MAX]; /* bgcopy__thread_self() of each call */
    int threads;
    char other_description[64];
} re;

static void re_check(bgcopy_hr hr)
{
    if (hr != BGCOPY_S_OK && re.failures++ == 0) {
        re.first_failure = hr;
    }
}

/* Records a call (obs.m held). */
static void re_note_thread(void)
{
    if (pthread_equal(pthread_self(), obs.test_thread)) {
        re.on_caller_thread = 1;
    }
    if (re.threads < REENTRY_MAX) {
        re.thread[re.threads++] = bgcopy__thread_self();
    }
}

/* own's JobModification: reads its own job, then changes another job (whose own
 * JobModification thereby becomes due while this one runs) and reads that one. */
static bgcopy_hr reenter_own(bgcopy_job *job, uint32_t reserved, void *user)
{
    bgcopy_job_progress p;
    bgcopy_job_state st;
    char *name = NULL;
    bgcopy_hr a, b, c, d, e;

    a = bgcopy_job_get_progress(job, &p);
    b = bgcopy_job_get_state(job, &st);
    c = bgcopy_job_get_display_name(job, &name);
    bgcopy_free(name);
    d = bgcopy_job_set_description(re.other, "set inside own's JobModification");
    e = bgcopy_job_get_progress(re.other, &p);
    pthread_mutex_lock(&obs.m);
    re_check(a);
    re_check(b);
    re_check(c);
    re_check(d);
    re_check(e);
    re_note_thread();
    re.own_calls++;
    pthread_cond_broadcast(&obs.c);
    pthread_mutex_unlock(&obs.m);
    return BGCOPY_S_OK;
}

/* other's JobModification: reads the first job and its own description. */
static bgcopy_hr reenter_other(bgcopy_job *job, uint32_t reserved, void *user)
{
    bgcopy_job_progress p;
    bgcopy_job_state st;
    char *desc = NULL;
    bgcopy_hr a, b, c;

    a = bgcopy_job_get_progress(re.own, &p);
    b = bgcopy_job_get_state(re.own, &st);
    c = bgcopy_job_get_description(job, &desc);
    pthread_mutex_lock(&obs.m);
    re_check(a);
    re_check(b);
    re_check(c);
    if (desc != NULL) {
        snprintf(re.other_description, sizeof(re.other_description), "%s", desc);
    }
    re_note_thread();
    re.other_calls++;
    pthread_cond_broadcast(&obs.c);
    pthread_mutex_unlock(&obs.m);
    bgcopy_free(desc);
    return BGCOPY_S_OK;
}

static bgcopy_hr reenter_transferred(bgcopy_job *job, void *user)
{
    bgcopy_job_progress p;
    bgcopy_hr a = bgcopy_job_get_progress(job, &p);
    bgcopy_hr b = bgcopy_job_complete(job);

    pthread_mutex_lock(&obs.m);
    re_check(a);
    re_check(b);
    re_note_thread();
    re.transferred_calls++;
    pthread_cond_broadcast(&obs.c);
    pthread_mutex_unlock(&obs.m);
    return BGCOPY_S_OK;
}

/* Waits (bounded) for *v >= target; a deadlock in the engine is reported as a failure here
 * instead of hanging (this test runs last, so nothing waits for the stuck engine after it). */
static void re_wait(const int *v, int target, const char *what)
{
    if (!wait_at_least(v, target, DEADLINE_S)) {
        fail_msg("no %s within %d s: a callback or the engine is stuck", what, DEADLINE_S);
    }
}

/* A JobModification that calls back into the API - GetProgress, GetState and GetDisplayName
 * of its own job, SetDescription and GetProgress of another job - does not deadlock, and
 * neither does the other job's JobModification, made due by that SetDescription while the
 * first one runs, which reads the first job. Every call returns S_OK; the other job's
 * description is the one set inside the callback. The first job then transfers and its
 * JobTransferred completes it. No callback runs on the test's thread; in-process, every one
 * runs on one of the engine's notifier threads (core/engine.c notifier_ids), never on its
 * runner thread or inside an API call. Waits are bounded (30 s). */
static void test_reentrant_job_modification(void **state)
{
    bgcopy_callbacks own_cb = BGCOPY_CALLBACKS_INIT, other_cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_manager *mgr = open_manager();
    char *desc = NULL;
    int i;

    memset(&re, 0, sizeof(re));
    re.own = make_job(mgr, "reenter-own.bin", 100000, NULL, 0);
    re.other = make_job(mgr, "reenter-other.bin", 1000, NULL, 0);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_flags(re.own, 0xB));
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_flags(re.other, BGCOPY_NOTIFY_JOB_MODIFICATION));
    own_cb.job_modification = reenter_own;
    own_cb.job_transferred = reenter_transferred;
    other_cb.job_modification = reenter_other;
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(re.own, &own_cb, NULL));
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(re.other, &other_cb, NULL));

    /* Both jobs are SUSPENDED: the modifications are the description changes only. */
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_description(re.own, "watched"));
    re_wait(&re.own_calls, 1, "JobModification of the first job");
    re_wait(&re.other_calls, 1, "JobModification of the other job");

    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(re.own));
    re_wait(&re.transferred_calls, 1, "JobTransferred");

    pthread_mutex_lock(&obs.m);
    assert_int_equal(re.failures, 0);
    assert_hr(BGCOPY_S_OK, re.first_failure);
    assert_int_equal(re.on_caller_thread, 0);
    assert_true(re.own_calls >= 1);
    assert_true(re.other_calls >= 1);
    assert_int_equal(re.transferred_calls, 1);
    assert_int_equal(re.threads, re.own_calls + re.other_calls + 1);
    assert_string_equal(re.other_description, "set inside own's JobModification");
    if (!fx_service_mode()) {
        /* In-process the job handle is the engine's own job (core/emu.c). */
        struct bgcopy__engine *e = bgcopy__job_from_handle(re.own)->engine;
        bgcopy__mutex_lock(e->lock);
        for (i = 0; i < re.threads; i++) {
            size_t k;
            int notifier = 0;
            for (k = 0; k < e->notifier_count; k++) {
                notifier |= e->notifier_ids[k] == re.thread[i];
            }
            if (!notifier) {
                bgcopy__mutex_unlock(e->lock);
                pthread_mutex_unlock(&obs.m);
                fail_msg("callback %d ran on a thread that is not a notifier", i);
            }
        }
        bgcopy__mutex_unlock(e->lock);
    }
    pthread_mutex_unlock(&obs.m);

    assert_int_equal(BGCOPY_JOB_STATE_ACKNOWLEDGED, state_of(re.own));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_description(re.other, &desc));
    assert_string_equal(desc, "set inside own's JobModification");
    bgcopy_free(desc);
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(re.other));
    bgcopy_job_release(re.other);
    bgcopy_job_release(re.own);
    bgcopy_manager_close(mgr);
}

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_callbacks_off_the_calling_thread), T(test_callback_calls_api_without_deadlock),
        T(test_four_in_flight_real_mode),         T(test_last_references_released_inside_callback),
        T(test_cmdline_runs_in_real_mode),        T(test_open_close_at_once),
        T(test_reentrant_job_modification), /* last: a failure may leave the engine stuck */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
