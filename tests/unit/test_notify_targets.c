/* tests/unit/test_notify_targets.c - where a notification goes (core/notify.c, reference
 * §5.2-§5.4), on the simulation harness in virtual time.
 *
 * A notification goes to the job's live callbacks; without them to the named handler the job
 * designates (the counterpart of BITS's notification CLSID, §5.3), if its owner registered
 * one; without either - or when the callback fails - JobTransferred and JobError run the
 * job's notification command line (§5.4). Pinned here:
 *   - the command line runs once on entry to TRANSFERRED, receiving the job's GUID; a non-zero
 *     exit or a failed launch runs it again after the job's MinimumRetryDelay; exit 0 settles;
 *   - only the TRANSFERRED and ERROR flags gate it; MODIFICATION / FILE flags never run it;
 *     DISABLE suppresses it;
 *   - a callback returning S_OK keeps it from running; a failing one makes it run once and is
 *     not called again for that event, also when the callbacks are removed while it runs;
 *   - a command line set after the event still runs;
 *   - named handlers: delivery, owed notifications delivered on (re-)registration, per-user
 *     names, live callbacks first, argument checks;
 *   - at most four notifications in flight per user, across that user's managers;
 *   - the program gets the job owner's HOME, USER, LOGNAME and SHELL.
 *
 * The command line is "/bin/sh -c "<script>" sh <GUID>": the whole script is one
 * double-quoted token (Windows-style splitting), $1 in the script is the job's GUID. Scripts
 * append to files in the scratch directory, which the tests read back. In simulation the
 * engine waits for the program to end, so its effects are visible when the run function
 * returns.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"

#define MAX_JOBS 16
#define URL_A    "http://targets.test/a.bin"
#define URL_404  "http://targets.test/missing.bin" /* never declared: 404 */
#define S(x)     FX_S(x)
#define RETRY    60u /* the MinimumRetryDelay the command-line tests give their jobs */

/* ---- fixture ----------------------------------------------------------------------------- */

#define MAX_CALLS 64

struct rec {
    int n;
    bgcopy_guid id[MAX_CALLS];
    int64_t t_us[MAX_CALLS];
    bgcopy_job_state state[MAX_CALLS];
    void *user[MAX_CALLS];
    bgcopy_hr result; /* what the callback returns */
    double busy;      /* > 0: bgcopy_sim_callback_busy(sim, busy) in the callback */
};

static struct rec live, handler, other;

static int setup(void **state)
{
    memset(&live, 0, sizeof(live));
    memset(&handler, 0, sizeof(handler));
    memset(&other, 0, sizeof(other));
    return fx_setup("targets", MAX_JOBS);
}

static int teardown(void **state)
{
    return fx_teardown();
}

static void rec_call(struct rec *r, bgcopy_job *job, void *user)
{
    assert_true(r->n < MAX_CALLS);
    assert_hr_equal(bgcopy_job_get_id(job, &r->id[r->n]), BGCOPY_S_OK);
    r->t_us[r->n] = fx_now_us();
    r->state[r->n] = fx_job_state(job);
    r->user[r->n] = user;
    r->n++;
    if (r->busy > 0) {
        bgcopy_sim_callback_busy(fx_env.sim, r->busy);
    }
}

/* user points at the struct rec to fill. */
static bgcopy_hr on_transferred(bgcopy_job *job, void *user)
{
    struct rec *r = user;
    rec_call(r, job, user);
    return r->result;
}

static bgcopy_hr on_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    struct rec *r = user;
    rec_call(r, job, user);
    return r->result;
}

static const bgcopy_callbacks recorder = {
    sizeof(bgcopy_callbacks), on_transferred, on_error, NULL, NULL, NULL};

static bgcopy_guid job_id(bgcopy_job *job)
{
    bgcopy_guid id;
    assert_hr_equal(bgcopy_job_get_id(job, &id), BGCOPY_S_OK);
    return id;
}

/* Calls of r for job. */
static int calls_for(const struct rec *r, bgcopy_job *job)
{
    bgcopy_guid id = job_id(job);
    int i, n = 0;
    for (i = 0; i < r->n; i++) {
        n += bgcopy_guid_equal(&r->id[i], &id);
    }
    return n;
}

/* Entry time (ms) of job's only call recorded in r. */
static int64_t entered_ms(const struct rec *r, bgcopy_job *job)
{
    bgcopy_guid id = job_id(job);
    int i;
    assert_int_equal(calls_for(r, job), 1);
    for (i = 0; i < r->n; i++) {
        if (bgcopy_guid_equal(&r->id[i], &id)) {
            return r->t_us[i] / 1000;
        }
    }
    return -1;
}

/* A FOREGROUND job with one 1,000-byte file served without bandwidth limit: it reaches
 * TRANSFERRED at the virtual time it is resumed. */
static bgcopy_job *quick_job_on(bgcopy_manager *mgr, const char *name)
{
    return fx_make_job_on(mgr, name, BGCOPY_JOB_PRIORITY_FOREGROUND, URL_A, name);
}

static bgcopy_job *quick_job(const char *name)
{
    return quick_job_on(fx_env.mgr, name);
}

static void start(void)
{
    fx_start_sim(0, NULL);
    fx_add_resource(URL_A, 1000, 0.0, 7);
}

static void resume_until_idle(bgcopy_job *job)
{
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(fx_env.sim), BGCOPY_S_OK);
}

/* ---- command-line helpers ------------------------------------------------------------------ */

static void guid_text(bgcopy_job *job, char *buf)
{
    bgcopy_guid id = job_id(job);
    assert_hr_equal(bgcopy_guid_to_string(&id, buf), BGCOPY_S_OK);
}

/* Sets the job's command line to /bin/sh running script (one double-quoted token) with the
 * job's GUID as $1. "@" in script stands for the scratch directory. */
static void set_script(bgcopy_job *job, const char *script)
{
    char params[2048], expanded[1500], guid[BGCOPY_GUID_STRING_SIZE], *p;
    const char *s;
    char *program = NULL, *got = NULL;

    p = expanded;
    for (s = script; *s != '\0'; s++) {
        if (*s == '@') {
            p += snprintf(p, sizeof(expanded) - (size_t)(p - expanded), "%s", fx_env.dir);
        } else {
            *p++ = *s;
        }
        assert_true((size_t)(p - expanded) < sizeof(expanded) - 1);
    }
    *p = '\0';
    guid_text(job, guid);
    snprintf(params, sizeof(params), "/bin/sh -c \"%s\" sh %s", expanded, guid);
    assert_hr_equal(bgcopy_job_set_notify_cmd_line(job, "/bin/sh", params), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_get_notify_cmd_line(job, &program, &got), BGCOPY_S_OK);
    assert_string_equal(program, "/bin/sh");
    assert_string_equal(got, params);
    bgcopy_free(program);
    bgcopy_free(got);
}

/* Appends the GUID to <dir>/ran and exits 0. */
#define SCRIPT_RECORD "echo $1 >> @/ran"
/* Appends the GUID to <dir>/ran; exits 3 unless <dir>/ok exists. */
#define SCRIPT_FAIL_UNTIL_OK "echo $1 >> @/ran; test -e @/ok || exit 3"

/* Lines of <dir>/<name> (0 when it does not exist); each must be the job's GUID. */
static int runs_of(const char *name, bgcopy_job *job)
{
    char path[600], line[128], guid[BGCOPY_GUID_STRING_SIZE];
    FILE *f;
    int n = 0;

    fx_local_path(path, sizeof(path), name);
    f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    guid_text(job, guid);
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        assert_string_equal(line, guid);
        n++;
    }
    fclose(f);
    return n;
}

static int runs(bgcopy_job *job)
{
    return runs_of("ran", job);
}

static void touch(const char *name)
{
    char path[600];
    FILE *f;
    fx_local_path(path, sizeof(path), name);
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

static void set_retry(bgcopy_job *job, uint32_t seconds)
{
    uint32_t got = 0;
    assert_hr_equal(bgcopy_job_set_minimum_retry_delay(job, seconds), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_get_minimum_retry_delay(job, &got), BGCOPY_S_OK);
    assert_int_equal(got, seconds);
}

/* ---- command line ---------------------------------------------------------------------------- */

/* No callbacks, a command line: entering TRANSFERRED runs the program exactly once with the
 * job's GUID; nothing more after an hour. The job stays TRANSFERRED (the program did not
 * complete it). */
static void test_cmdline_runs_once_on_transferred(void **state)
{
    bgcopy_job *job;
    int registered = -1;

    start();
    job = quick_job("a.bin");
    set_script(job, SCRIPT_RECORD);
    assert_hr_equal(bgcopy_job_get_notify_callbacks(job, &registered, NULL, NULL), BGCOPY_S_OK);
    assert_int_equal(registered, 0);
    assert_int_equal(runs(job), 0);
    resume_until_idle(job);
    assert_int_equal(fx_now_us(), 0);
    assert_state(job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(runs(job), 1);
    fx_advance_to_us(S(3600.0));
    assert_int_equal(runs(job), 1);
    assert_state(job, BGCOPY_JOB_STATE_TRANSFERRED);
}

/* A non-zero exit (3) runs the program again after the job's MinimumRetryDelay (60 s): not at
 * 59 s, at 60 s. The second run exits 0 (the marker file exists by then): settled, no third
 * run even 1,000 s later. */
static void test_cmdline_nonzero_exit_retried_after_retry_delay(void **state)
{
    bgcopy_job *job;
    int64_t t0;

    start();
    job = quick_job("a.bin");
    set_retry(job, RETRY);
    set_script(job, SCRIPT_FAIL_UNTIL_OK);
    resume_until_idle(job);
    t0 = fx_now_us();
    assert_int_equal(t0, 0);
    assert_int_equal(runs(job), 1);

    fx_advance_to_us(t0 + S(RETRY - 1));
    assert_int_equal(runs(job), 1);
    touch("ok");
    fx_advance_to_us(t0 + S(RETRY));
    assert_int_equal(runs(job), 2);
    assert_state(job, BGCOPY_JOB_STATE_TRANSFERRED);

    fx_advance_to_us(t0 + S(RETRY + 1000));
    assert_int_equal(runs(job), 2);
}

/* Without the marker the program keeps failing: one run per MinimumRetryDelay (at 0, 60, 120,
 * 180 s), while the job stays TRANSFERRED. */
static void test_cmdline_keeps_failing_runs_every_retry_delay(void **state)
{
    bgcopy_job *job;

    start();
    job = quick_job("a.bin");
    set_retry(job, RETRY);
    set_script(job, SCRIPT_FAIL_UNTIL_OK);
    resume_until_idle(job);
    assert_int_equal(runs(job), 1);
    fx_advance_to_us(S(RETRY * 3 - 1));
    assert_int_equal(runs(job), 3);
    fx_advance_to_us(S(RETRY * 3));
    assert_int_equal(runs(job), 4);
    assert_state(job, BGCOPY_JOB_STATE_TRANSFERRED);
}

/* A launch failure ("/nonexistent/prog") cannot be observed directly: nothing crashes, the job
 * stays TRANSFERRED, and once the command line is replaced by a working one (at 59 s, before
 * the retry is due), the working program runs by the end of the first retry delay - once. */
static void test_cmdline_launch_failure_is_retried(void **state)
{
    bgcopy_job *job;
    char *program = NULL, *params = NULL;

    start();
    job = quick_job("a.bin");
    set_retry(job, RETRY);
    assert_hr_equal(bgcopy_job_set_notify_cmd_line(job, "/nonexistent/prog", NULL), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_get_notify_cmd_line(job, &program, &params), BGCOPY_S_OK);
    assert_string_equal(program, "/nonexistent/prog");
    assert_string_equal(params, "");
    bgcopy_free(program);
    bgcopy_free(params);
    resume_until_idle(job);
    assert_state(job, BGCOPY_JOB_STATE_TRANSFERRED);

    fx_advance_to_us(S(RETRY - 1));
    assert_state(job, BGCOPY_JOB_STATE_TRANSFERRED);
    set_script(job, SCRIPT_RECORD);
    fx_advance_to_us(S(RETRY));
    assert_int_equal(runs(job), 1);
    fx_advance_to_us(S(RETRY * 20));
    assert_int_equal(runs(job), 1);
    assert_state(job, BGCOPY_JOB_STATE_TRANSFERRED);
}

/* The program does not exist when the job enters TRANSFERRED (launch failure) and appears at
 * 59 s, without any API call: the launch is retried at 60 s (MinimumRetryDelay), succeeds and
 * settles the notification. */
static void test_cmdline_launch_retried_until_program_exists(void **state)
{
    char program[600], params[1400], guid[BGCOPY_GUID_STRING_SIZE];
    bgcopy_job *job;
    FILE *f;

    start();
    job = quick_job("a.bin");
    set_retry(job, RETRY);
    fx_local_path(program, sizeof(program), "notify.sh");
    guid_text(job, guid);
    snprintf(params, sizeof(params), "\"%s\" %s", program, guid);
    assert_hr_equal(bgcopy_job_set_notify_cmd_line(job, program, params), BGCOPY_S_OK);
    resume_until_idle(job);
    assert_state(job, BGCOPY_JOB_STATE_TRANSFERRED);
    fx_advance_to_us(S(RETRY - 1));
    assert_int_equal(runs(job), 0);

    f = fopen(program, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\necho $1 >> %s/ran\n", fx_env.dir);
    fclose(f);
    assert_int_equal(chmod(program, 0700), 0);
    assert_hr_equal(bgcopy_sim_run_until_idle(fx_env.sim), BGCOPY_S_OK);
    assert_int_equal(runs(job), 0);
    fx_advance_to_us(S(RETRY));
    assert_int_equal(runs(job), 1);
    fx_advance_to_us(S(RETRY * 20));
    assert_int_equal(runs(job), 1);
}

/* A command line set after the job is already TRANSFERRED (no callbacks) still runs, once. */
static void test_cmdline_set_after_transferred_runs(void **state)
{
    bgcopy_job *job;

    start();
    job = quick_job("a.bin");
    resume_until_idle(job);
    assert_state(job, BGCOPY_JOB_STATE_TRANSFERRED);
    fx_advance_to_us(S(10.0));
    set_script(job, SCRIPT_RECORD);
    assert_int_equal(runs(job), 0); /* never inside the API call */
    assert_hr_equal(bgcopy_sim_run_until_idle(fx_env.sim), BGCOPY_S_OK);
    assert_int_equal(runs(job), 1);
    fx_advance_to_us(S(1000.0));
    assert_int_equal(runs(job), 1);
}

/* ---- flags gate ---------------------------------------------------------------------------- */

/* Flags JOB_ERROR only: entry into TRANSFERRED runs nothing. */
static void test_cmdline_not_run_without_transferred_flag(void **state)
{
    bgcopy_job *job;

    start();
    job = quick_job("a.bin");
    assert_hr_equal(bgcopy_job_set_notify_flags(job, BGCOPY_NOTIFY_JOB_ERROR), BGCOPY_S_OK);
    set_script(job, SCRIPT_RECORD);
    resume_until_idle(job);
    assert_state(job, BGCOPY_JOB_STATE_TRANSFERRED);
    fx_advance_to_us(S(1000.0));
    assert_int_equal(runs(job), 0);
}

/* Flags JOB_ERROR and a 404: the job enters ERROR and the command line runs once. */
static void test_cmdline_runs_on_error(void **state)
{
    bgcopy_job *job;

    start();
    job = fx_make_job("bad", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_404, "bad.bin");
    assert_hr_equal(bgcopy_job_set_notify_flags(job, BGCOPY_NOTIFY_JOB_ERROR), BGCOPY_S_OK);
    set_script(job, SCRIPT_RECORD);
    resume_until_idle(job);
    assert_state(job, BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(runs(job), 1);
    fx_advance_to_us(S(1000.0));
    assert_int_equal(runs(job), 1);
}

/* MODIFICATION and FILE_TRANSFERRED flags (0x18, also with FILE_RANGES 0x20) never run the
 * command line: not for the transfer, not for property changes. */
static void test_cmdline_ignores_modification_and_file_flags(void **state)
{
    bgcopy_job *job;

    start();
    job = quick_job("a.bin");
    assert_hr_equal(bgcopy_job_set_notify_flags(job, BGCOPY_NOTIFY_JOB_MODIFICATION |
                                                         BGCOPY_NOTIFY_FILE_TRANSFERRED |
                                                         BGCOPY_NOTIFY_FILE_RANGES_TRANSFERRED),
                    BGCOPY_S_OK);
    set_script(job, SCRIPT_RECORD);
    assert_hr_equal(bgcopy_job_set_description(job, "changed"), BGCOPY_S_OK);
    resume_until_idle(job);
    assert_state(job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_hr_equal(bgcopy_job_set_description(job, "changed again"), BGCOPY_S_OK);
    fx_advance_to_us(S(1000.0));
    assert_int_equal(runs(job), 0);
}

/* DISABLE (with TRANSFERRED | ERROR) suppresses the command line for both events. */
static void test_cmdline_disable_suppresses(void **state)
{
    bgcopy_job *ok, *bad;
    const uint32_t flags =
        BGCOPY_NOTIFY_DISABLE | BGCOPY_NOTIFY_JOB_TRANSFERRED | BGCOPY_NOTIFY_JOB_ERROR;

    start();
    ok = quick_job("a.bin");
    bad = fx_make_job("bad", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_404, "bad.bin");
    assert_hr_equal(bgcopy_job_set_notify_flags(ok, flags), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_notify_flags(bad, flags), BGCOPY_S_OK);
    set_script(ok, "echo $1 >> @/ran");
    set_script(bad, "echo $1 >> @/ran-bad");
    resume_until_idle(ok);
    resume_until_idle(bad);
    assert_state(ok, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_state(bad, BGCOPY_JOB_STATE_ERROR);
    fx_advance_to_us(S(1000.0));
    assert_int_equal(runs(ok), 0);
    assert_int_equal(runs_of("ran-bad", bad), 0);
}

/* ---- interaction with callbacks ------------------------------------------------------------ */

/* A JobTransferred returning S_OK: the command line does not run. */
static void test_cmdline_not_run_when_callback_succeeds(void **state)
{
    bgcopy_job *job;

    start();
    job = quick_job("a.bin");
    set_script(job, SCRIPT_RECORD);
    live.result = BGCOPY_S_OK;
    assert_hr_equal(bgcopy_job_set_notify_callbacks(job, &recorder, &live), BGCOPY_S_OK);
    resume_until_idle(job);
    assert_int_equal(live.n, 1);
    assert_int_equal(live.state[0], BGCOPY_JOB_STATE_TRANSFERRED);
    fx_advance_to_us(S(1000.0));
    assert_int_equal(live.n, 1);
    assert_int_equal(runs(job), 0);
}

/* A JobTransferred returning E_FAIL (0x80004005): the command line runs once instead, and the
 * callback is not called again for that event - not after several notify retry intervals
 * (60 s each) nor after the job's retry delay. */
static void test_failing_callback_runs_cmdline_once(void **state)
{
    bgcopy_job *job;

    start();
    job = quick_job("a.bin");
    set_retry(job, RETRY);
    set_script(job, SCRIPT_RECORD);
    live.result = BGCOPY_E_FAIL;
    assert_hr_equal(live.result, 0x80004005u);
    assert_hr_equal(bgcopy_job_set_notify_callbacks(job, &recorder, &live), BGCOPY_S_OK);
    resume_until_idle(job);
    assert_int_equal(live.n, 1);
    assert_int_equal(runs(job), 1);
    fx_advance_to_us(S(600.0));
    assert_int_equal(live.n, 1);
    assert_int_equal(runs(job), 1);
    assert_state(job, BGCOPY_JOB_STATE_TRANSFERRED);
}

/* Clears its own registration, then fails. */
static bgcopy_hr unregister_and_fail(bgcopy_job *job, void *user)
{
    struct rec *r = user;
    rec_call(r, job, user);
    assert_hr_equal(bgcopy_job_set_notify_callbacks(job, NULL, NULL), BGCOPY_S_OK);
    return BGCOPY_E_FAIL;
}

/* The callbacks are removed while their JobTransferred is in flight (a service's client that
 * goes away does that), then the call fails: the command line still runs exactly once - the
 * notification in flight counts as queued, so removing the callbacks does not queue a second
 * one. */
static void test_unregistered_in_flight_runs_cmdline_once(void **state)
{
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_job *job;

    start();
    job = quick_job("a.bin");
    set_retry(job, RETRY);
    set_script(job, SCRIPT_RECORD);
    cb.job_transferred = unregister_and_fail;
    assert_hr_equal(bgcopy_job_set_notify_callbacks(job, &cb, &live), BGCOPY_S_OK);
    resume_until_idle(job);
    assert_int_equal(live.n, 1);
    assert_int_equal(runs(job), 1);
    fx_advance_to_us(S(600.0));
    assert_int_equal(live.n, 1);
    assert_int_equal(runs(job), 1);
    assert_state(job, BGCOPY_JOB_STATE_TRANSFERRED);
}

/* A JobError returning E_FAIL on a job in ERROR: the command line runs once, JobError is not
 * called again. */
static void test_failing_job_error_runs_cmdline_once(void **state)
{
    bgcopy_job *job;

    start();
    job = fx_make_job("bad", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_404, "bad.bin");
    set_script(job, SCRIPT_RECORD);
    live.result = BGCOPY_E_FAIL;
    assert_hr_equal(bgcopy_job_set_notify_callbacks(job, &recorder, &live), BGCOPY_S_OK);
    resume_until_idle(job);
    assert_state(job, BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(live.n, 1);
    assert_int_equal(live.state[0], BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(runs(job), 1);
    fx_advance_to_us(S(600.0));
    assert_int_equal(live.n, 1);
    assert_int_equal(runs(job), 1);
}

/* ---- named handlers -------------------------------------------------------------------------- */

static void name_handler(bgcopy_job *job, const char *name)
{
    char *got = NULL;
    assert_hr_equal(bgcopy_job_set_notify_handler(job, name), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_get_notify_handler(job, &got), BGCOPY_S_OK);
    assert_string_equal(got, name);
    bgcopy_free(got);
}

/* A job naming handler "app", no live callbacks, "app" registered by its owner: JobTransferred
 * goes to the handler's callback, with the job and the handler's user pointer. */
static void test_handler_receives_job_transferred(void **state)
{
    bgcopy_job *job;

    start();
    job = quick_job("a.bin");
    name_handler(job, "app");
    assert_hr_equal(bgcopy_manager_register_notify_handler(fx_env.mgr, "app", &recorder, &handler),
                    BGCOPY_S_OK);
    resume_until_idle(job);
    assert_int_equal(handler.n, 1);
    assert_int_equal(calls_for(&handler, job), 1);
    assert_ptr_equal(handler.user[0], &handler);
    assert_int_equal(handler.state[0], BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(handler.t_us[0], 0);
    fx_advance_to_us(S(1000.0));
    assert_int_equal(handler.n, 1);
}

/* JobError goes to the handler too. */
static void test_handler_receives_job_error(void **state)
{
    bgcopy_job *job;

    start();
    job = fx_make_job("bad", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_404, "bad.bin");
    name_handler(job, "app");
    assert_hr_equal(bgcopy_manager_register_notify_handler(fx_env.mgr, "app", &recorder, &handler),
                    BGCOPY_S_OK);
    resume_until_idle(job);
    assert_state(job, BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(handler.n, 1);
    assert_int_equal(handler.state[0], BGCOPY_JOB_STATE_ERROR);
}

/* The application goes away (its manager is closed, which ends its registration) while a
 * second job reaches TRANSFERRED: that notification is owed. A new manager of the same user on
 * the same simulation registers "app" again: the owed JobTransferred arrives exactly once, at
 * once (no virtual time passes); the first job, already notified, is not notified again. */
static void test_handler_owed_delivered_on_reregistration(void **state)
{
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_job *first, *second;
    int64_t t;

    start();
    first = quick_job("first.bin");
    second = quick_job("second.bin");
    name_handler(first, "app");
    name_handler(second, "app");
    assert_hr_equal(bgcopy_manager_register_notify_handler(fx_env.mgr, "app", &recorder, &handler),
                    BGCOPY_S_OK);
    resume_until_idle(first);
    assert_int_equal(calls_for(&handler, first), 1);

    bgcopy_manager_close(fx_env.mgr);
    fx_env.mgr = NULL;
    fx_advance_to_us(S(100.0));
    resume_until_idle(second);
    assert_state(second, BGCOPY_JOB_STATE_TRANSFERRED);
    fx_advance_to_us(S(500.0));
    assert_int_equal(handler.n, 1);

    mo.sim = fx_env.sim;
    mo.user = "alice";
    assert_hr_equal(bgcopy_manager_open(&mo, &fx_env.mgr), BGCOPY_S_OK);
    t = fx_now_us();
    assert_hr_equal(bgcopy_manager_register_notify_handler(fx_env.mgr, "app", &recorder, &other),
                    BGCOPY_S_OK);
    assert_int_equal(other.n, 0); /* never inside the API call */
    assert_hr_equal(bgcopy_sim_run_until_idle(fx_env.sim), BGCOPY_S_OK);
    assert_int_equal(fx_now_us(), t);
    assert_int_equal(other.n, 1);
    assert_int_equal(calls_for(&other, second), 1);
    assert_int_equal(other.t_us[0], t);
    assert_int_equal(other.state[0], BGCOPY_JOB_STATE_TRANSFERRED);
    fx_advance_to_us(S(2000.0));
    assert_int_equal(other.n, 1);
    assert_int_equal(handler.n, 1);
}

/* Same with bgcopy_manager_unregister_notify_handler instead of closing the manager. */
static void test_handler_owed_after_unregister(void **state)
{
    bgcopy_job *job;

    start();
    job = quick_job("a.bin");
    name_handler(job, "app");
    assert_hr_equal(bgcopy_manager_register_notify_handler(fx_env.mgr, "app", &recorder, &handler),
                    BGCOPY_S_OK);
    assert_hr_equal(bgcopy_manager_unregister_notify_handler(fx_env.mgr, "app"), BGCOPY_S_OK);
    resume_until_idle(job);
    fx_advance_to_us(S(300.0));
    assert_int_equal(handler.n, 0);
    assert_hr_equal(bgcopy_manager_register_notify_handler(fx_env.mgr, "app", &recorder, &handler),
                    BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(fx_env.sim), BGCOPY_S_OK);
    assert_int_equal(handler.n, 1);
    assert_int_equal(handler.t_us[0], S(300.0));
    fx_advance_to_us(S(1000.0));
    assert_int_equal(handler.n, 1);
}

/* Handler names are per user: bob's "app" is not used for alice's job naming "app"; alice's
 * notification stays owed and reaches her own "app" when she registers it. */
static void test_handler_of_another_user_not_used(void **state)
{
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_job *job;

    start();
    mo.sim = fx_env.sim;
    mo.user = "bob";
    assert_hr_equal(bgcopy_manager_open(&mo, &fx_env.mgr2), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_manager_register_notify_handler(fx_env.mgr2, "app", &recorder, &other),
                    BGCOPY_S_OK);
    job = quick_job("a.bin");
    name_handler(job, "app");
    resume_until_idle(job);
    fx_advance_to_us(S(100.0));
    assert_int_equal(other.n, 0);

    assert_hr_equal(bgcopy_manager_register_notify_handler(fx_env.mgr, "app", &recorder, &handler),
                    BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(fx_env.sim), BGCOPY_S_OK);
    assert_int_equal(handler.n, 1);
    assert_int_equal(other.n, 0);
}

/* Live callbacks take precedence over the handler. */
static void test_live_callbacks_precede_handler(void **state)
{
    bgcopy_job *job;

    start();
    job = quick_job("a.bin");
    name_handler(job, "app");
    assert_hr_equal(bgcopy_manager_register_notify_handler(fx_env.mgr, "app", &recorder, &handler),
                    BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_notify_callbacks(job, &recorder, &live), BGCOPY_S_OK);
    resume_until_idle(job);
    fx_advance_to_us(S(1000.0));
    assert_int_equal(live.n, 1);
    assert_int_equal(handler.n, 0);
}

/* A handler that takes the notification keeps the command line from running. */
static void test_handler_success_keeps_cmdline_from_running(void **state)
{
    bgcopy_job *job;

    start();
    job = quick_job("a.bin");
    name_handler(job, "app");
    set_script(job, SCRIPT_RECORD);
    assert_hr_equal(bgcopy_manager_register_notify_handler(fx_env.mgr, "app", &recorder, &handler),
                    BGCOPY_S_OK);
    resume_until_idle(job);
    fx_advance_to_us(S(1000.0));
    assert_int_equal(handler.n, 1);
    assert_int_equal(runs(job), 0);
}

/* Names: get returns the name, S_FALSE (1) and NULL when none; "" -> E_INVALIDARG; 256
 * characters accepted, 257 -> BG_E_STRING_TOO_LONG (0x80200021), for jobs and registrations;
 * unregistering a name this manager did not register -> BG_E_NOT_FOUND (0x80200001); naming a
 * handler on a CANCELLED job -> BG_E_INVALID_STATE (0x80200002). */
static void test_handler_name_checks(void **state)
{
    char long_name[258], *got;
    bgcopy_job *job, *gone;
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;

    start();
    job = fx_make_job("j", BGCOPY_JOB_PRIORITY_NORMAL, NULL, NULL);
    gone = fx_make_job("gone", BGCOPY_JOB_PRIORITY_NORMAL, NULL, NULL);

    got = (char *)"sentinel";
    assert_hr_equal(bgcopy_job_get_notify_handler(job, &got), BGCOPY_S_FALSE);
    assert_hr_equal(BGCOPY_S_FALSE, 1);
    assert_null(got);

    assert_hr_equal(bgcopy_job_set_notify_handler(job, ""), BGCOPY_E_INVALIDARG);
    memset(long_name, 'h', 257);
    long_name[257] = '\0';
    assert_hr_equal(bgcopy_job_set_notify_handler(job, long_name), 0x80200021u);
    assert_hr_equal(bgcopy_job_set_notify_handler(job, long_name), BGCOPY_E_STRING_TOO_LONG);
    assert_hr_equal(bgcopy_manager_register_notify_handler(fx_env.mgr, "", &recorder, NULL),
                    BGCOPY_E_INVALIDARG);
    assert_hr_equal(bgcopy_manager_register_notify_handler(fx_env.mgr, long_name, &recorder, NULL),
                    0x80200021u);
    long_name[256] = '\0';
    name_handler(job, long_name);
    assert_hr_equal(bgcopy_manager_register_notify_handler(fx_env.mgr, long_name, &recorder, NULL),
                    BGCOPY_S_OK);
    assert_hr_equal(bgcopy_manager_unregister_notify_handler(fx_env.mgr, long_name), BGCOPY_S_OK);

    name_handler(job, "app");
    assert_hr_equal(bgcopy_job_set_notify_handler(job, NULL), BGCOPY_S_OK);
    got = (char *)"sentinel";
    assert_hr_equal(bgcopy_job_get_notify_handler(job, &got), BGCOPY_S_FALSE);
    assert_null(got);

    assert_hr_equal(bgcopy_manager_unregister_notify_handler(fx_env.mgr, "unknown"), 0x80200001u);
    assert_hr_equal(bgcopy_manager_unregister_notify_handler(fx_env.mgr, "unknown"),
                    BGCOPY_E_NOT_FOUND);
    assert_hr_equal(bgcopy_manager_unregister_notify_handler(fx_env.mgr, ""), BGCOPY_E_INVALIDARG);

    /* A registration belongs to the manager that made it, even for the same user. */
    mo.sim = fx_env.sim;
    mo.user = "alice";
    assert_hr_equal(bgcopy_manager_open(&mo, &fx_env.mgr2), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_manager_register_notify_handler(fx_env.mgr, "app", &recorder, NULL),
                    BGCOPY_S_OK);
    assert_hr_equal(bgcopy_manager_unregister_notify_handler(fx_env.mgr2, "app"),
                    BGCOPY_E_NOT_FOUND);
    assert_hr_equal(bgcopy_manager_unregister_notify_handler(fx_env.mgr, "app"), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_manager_unregister_notify_handler(fx_env.mgr, "app"),
                    BGCOPY_E_NOT_FOUND);

    name_handler(gone, "app");
    assert_hr_equal(bgcopy_job_cancel(gone), BGCOPY_S_OK);
    assert_state(gone, BGCOPY_JOB_STATE_CANCELLED);
    assert_hr_equal(bgcopy_job_set_notify_handler(gone, "other"), 0x80200002u);
    assert_hr_equal(bgcopy_job_set_notify_handler(gone, "other"), BGCOPY_E_INVALID_STATE);
}

/* ---- four in flight across managers -------------------------------------------------------- */

/* Two managers of the same user on one simulation, five jobs split between them; every
 * JobTransferred holds its slot 50 s after returning. The limit spans the user's managers:
 * four are entered at 0 s, the fifth at 50 s. */
static void test_four_in_flight_across_managers_of_one_user(void **state)
{
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
    const int64_t expected[5] = {0, 0, 0, 0, 50000};
    bgcopy_job *jobs[5];
    char name[16];
    int i;

    start();
    mo.sim = fx_env.sim;
    mo.user = "alice";
    assert_hr_equal(bgcopy_manager_open(&mo, &fx_env.mgr2), BGCOPY_S_OK);
    live.busy = 50.0;
    for (i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "j%d.bin", i);
        jobs[i] = quick_job_on(i % 2 ? fx_env.mgr2 : fx_env.mgr, name);
        assert_hr_equal(bgcopy_job_set_notify_callbacks(jobs[i], &recorder, &live), BGCOPY_S_OK);
    }
    for (i = 0; i < 5; i++) {
        assert_hr_equal(bgcopy_job_resume(jobs[i]), BGCOPY_S_OK);
    }
    fx_advance_to_us(S(49.9));
    assert_int_equal(live.n, 4);
    for (i = 0; i < 5; i++) {
        assert_state(jobs[i], BGCOPY_JOB_STATE_TRANSFERRED);
    }
    fx_advance_to_us(S(1000.0));
    assert_int_equal(live.n, 5);
    for (i = 0; i < 5; i++) {
        assert_int_equal(entered_ms(&live, jobs[i]), expected[i]);
    }
}

/* SetNotifyCmdLine: the parameters are the whole command line and their
 * first token, split as Windows splits it, must be the program. */
static void test_cmdline_first_token_is_program(void **state)
{
    bgcopy_job *job;
    char *program = NULL, *params = NULL;

    start();
    job = fx_make_job("tok", BGCOPY_JOB_PRIORITY_FOREGROUND, URL_404, "tok.bin");
    assert_hr_equal(bgcopy_job_set_notify_cmd_line(job, "/bin/sh", "/bin/true x"),
                    BGCOPY_E_INVALIDARG);
    assert_hr_equal(bgcopy_job_set_notify_cmd_line(job, "/bin/sh", " /bin/sh x"),
                    BGCOPY_E_INVALIDARG); /* leading space: an empty first token */
    assert_hr_equal(bgcopy_job_set_notify_cmd_line(job, "/opt/my app/run", "/opt/my app/run a"),
                    BGCOPY_E_INVALIDARG); /* unquoted: the first token is "/opt/my" */
    assert_hr_equal(bgcopy_job_get_notify_cmd_line(job, &program, &params), BGCOPY_S_OK);
    assert_string_equal(program, ""); /* the rejected calls changed nothing */
    assert_string_equal(params, "");
    bgcopy_free(program);
    bgcopy_free(params);
    assert_hr_equal(
        bgcopy_job_set_notify_cmd_line(job, "/opt/my app/run", "\"/opt/my app/run\" a \"b c\""),
        BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_notify_cmd_line(job, "/bin/sh", "/bin/sh"), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_notify_cmd_line(job, "/bin/sh", ""), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_notify_cmd_line(job, NULL, NULL), BGCOPY_S_OK);
}

/* ---- the command line's environment --------------------------------------------------------- */

extern char **environ;

#define ENV_MAX 512

/* The NUL-separated entries of file `name` in the scratch directory (env -0 output). */
static int read_env_file(const char *name, char *buf, size_t size, char **entries)
{
    char path[600];
    size_t len, i;
    int n = 0;
    FILE *f;

    fx_local_path(path, sizeof(path), name);
    f = fopen(path, "rb");
    assert_non_null(f);
    len = fread(buf, 1, size - 1, f);
    assert_true(len < size - 1);
    fclose(f);
    buf[len] = '\0';
    for (i = 0; i < len; i += strlen(buf + i) + 1) {
        assert_true(n < ENV_MAX);
        entries[n++] = buf + i;
    }
    return n;
}

/* Whether entry e sets one of the variables the owner's environment defines (or PWD, which
 * /bin/sh sets itself). */
static int defined_by_owner(const char *e)
{
    static const char *const names[] = {"HOME=", "LOGNAME=", "PATH=", "SHELL=", "USER=", "PWD="};
    size_t i;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strncmp(e, names[i], strlen(names[i])) == 0) {
            return 1;
        }
    }
    return 0;
}

static int count_entry(char **entries, int n, const char *want)
{
    int i, k = 0;
    for (i = 0; i < n; i++) {
        k += strcmp(entries[i], want) == 0;
    }
    return k;
}

/* The program runs with the job owner's environment (reference §5.4: CreateProcessAsUser in
 * the owner's context), not the application's identity: the simulation's jobs belong to
 * "alice", so HOME is her home directory ("/" when the system has no such account), USER and
 * LOGNAME "alice", SHELL her login shell (/bin/sh without an account), PATH the process's; the
 * process's other variables (a marker set here) follow unchanged. The application's own HOME,
 * USER, LOGNAME and SHELL (changed here to values no owner has) do not reach the program.
 * Checked on /usr/bin/env -0's output: every entry is accounted for. */
static void test_cmdline_gets_owner_environment(void **state)
{
    static const char *const saved_names[] = {"HOME", "USER", "LOGNAME", "SHELL"};
    char *saved[4], *entries[ENV_MAX], *owner = NULL, want[5][700];
    static char buf[1 << 16];
    const char *path = getenv("PATH");
    struct passwd *pw;
    bgcopy_job *job;
    int i, n, accounted = 0, j;

    for (i = 0; i < 4; i++) {
        const char *v = getenv(saved_names[i]);
        saved[i] = v != NULL ? strdup(v) : NULL;
    }
    assert_int_equal(setenv("HOME", "/nonexistent/app-home", 1), 0);
    assert_int_equal(setenv("USER", "app-user", 1), 0);
    assert_int_equal(setenv("LOGNAME", "app-user", 1), 0);
    assert_int_equal(setenv("SHELL", "/bin/false", 1), 0);
    assert_int_equal(setenv("BGCOPY_TEST_ENV_MARK", "kept = as is", 1), 0);

    start();
    job = quick_job("env.bin");
    assert_hr_equal(bgcopy_job_get_owner(job, &owner), BGCOPY_S_OK);
    assert_string_equal(owner, "alice");
    bgcopy_free(owner);
    set_script(job, "exec /usr/bin/env -0 > @/env.txt");
    resume_until_idle(job);
    assert_state(job, BGCOPY_JOB_STATE_TRANSFERRED);
    n = read_env_file("env.txt", buf, sizeof(buf), entries);

    pw = getpwnam("alice");
    snprintf(want[0], sizeof(want[0]), "HOME=%s", pw != NULL ? pw->pw_dir : "/");
    snprintf(want[1], sizeof(want[1]), "USER=alice");
    snprintf(want[2], sizeof(want[2]), "LOGNAME=alice");
    snprintf(want[3], sizeof(want[3]), "SHELL=%s", pw != NULL ? pw->pw_shell : "/bin/sh");
    snprintf(want[4], sizeof(want[4]), "PATH=%s",
             path != NULL && path[0] != '\0' ? path : "/usr/local/bin:/usr/bin:/bin");
    for (j = 0; j < 5; j++) {
        assert_int_equal(count_entry(entries, n, want[j]), 1);
    }
    assert_int_equal(count_entry(entries, n, "BGCOPY_TEST_ENV_MARK=kept = as is"), 1);
    /* Every other entry of the process is passed on, and nothing else appears. */
    for (i = 0; environ[i] != NULL; i++) {
        if (!defined_by_owner(environ[i])) {
            assert_int_equal(count_entry(entries, n, environ[i]), 1);
            accounted++;
        }
    }
    for (i = 0; i < n; i++) {
        if (strncmp(entries[i], "PWD=", 4) == 0) {
            accounted++; /* set by /bin/sh */
        }
    }
    assert_int_equal(n, accounted + 5);

    for (i = 0; i < 4; i++) {
        if (saved[i] != NULL) {
            setenv(saved_names[i], saved[i], 1);
        } else {
            unsetenv(saved_names[i]);
        }
        free(saved[i]);
    }
    unsetenv("BGCOPY_TEST_ENV_MARK");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_cmdline_first_token_is_program),
        T(test_cmdline_gets_owner_environment),
        T(test_cmdline_runs_once_on_transferred),
        T(test_cmdline_nonzero_exit_retried_after_retry_delay),
        T(test_cmdline_keeps_failing_runs_every_retry_delay),
        T(test_cmdline_launch_failure_is_retried),
        T(test_cmdline_launch_retried_until_program_exists),
        T(test_cmdline_set_after_transferred_runs),
        T(test_cmdline_not_run_without_transferred_flag),
        T(test_cmdline_runs_on_error),
        T(test_cmdline_ignores_modification_and_file_flags),
        T(test_cmdline_disable_suppresses),
        T(test_cmdline_not_run_when_callback_succeeds),
        T(test_failing_callback_runs_cmdline_once),
        T(test_unregistered_in_flight_runs_cmdline_once),
        T(test_failing_job_error_runs_cmdline_once),
        T(test_handler_receives_job_transferred),
        T(test_handler_receives_job_error),
        T(test_handler_owed_delivered_on_reregistration),
        T(test_handler_owed_after_unregister),
        T(test_handler_of_another_user_not_used),
        T(test_live_callbacks_precede_handler),
        T(test_handler_success_keeps_cmdline_from_running),
        T(test_handler_name_checks),
        T(test_four_in_flight_across_managers_of_one_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
