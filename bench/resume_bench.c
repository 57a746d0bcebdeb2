/* resume_bench.c - a download interrupted at half way and finished: the bgcopy side of the
 * "resume" benchmark of bench/run.sh (`make bench`), which counts what the server sent.
 *
 *   resume_bench suspend URL OUTPUT
 *       One FOREGROUND job (state ":memory:"). When at least half of the file has arrived
 *       (progress read every millisecond) the job is Suspended, then Resumed, and finished:
 *       an interruption inside one process.
 *   resume_bench kill STATE_DIR URL OUTPUT
 *       A child process opens a manager on STATE_DIR (new or empty), creates the job,
 *       Resumes it and, at half way, kills itself with SIGKILL: no shutdown, no last
 *       checkpoint, exactly what a crash or `kill -9` leaves. The parent then opens the same
 *       state directory (the store repairs the job: temp file trimmed to its last
 *       checkpoint, TRANSFERRING -> QUEUED, which runs again at once), finds the job, waits
 *       for TRANSFERRED and Completes it.
 *   resume_bench reset URL OUTPUT
 *       The server is expected to reset the connection at half way (bgcopy-testserver
 *       reset_after); the job goes to TRANSIENT_ERROR and is Resumed at once instead of
 *       after the retry delay.
 *
 * Prints one line of key=value pairs:
 *   size           bytes of the file
 *   at_interrupt   bytes transferred when the job was interrupted (as the job reported
 *                  them; for kill, the child's last reading before SIGKILL)
 * Where the transfer started again is in the server's request log (the Range of the next
 * GET), which bench/resume_bench.sh reads.
 *   seconds        wall time of the whole download
 * Exits 0 when the file was transferred and completed; 1 with a message otherwise. Waits
 * at most 300 s for any step.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bgcopy.h"

#define WAIT_SECONDS 300

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec t;
    t.tv_sec = ms / 1000;
    t.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&t, &t) != 0)
        ;
}

static void fail(bgcopy_job *job, const char *what, bgcopy_hr hr)
{
    bgcopy_error *err = NULL;
    bgcopy_error_context ctx = BGCOPY_ERROR_CONTEXT_NONE;
    bgcopy_hr code = BGCOPY_S_OK;
    bgcopy_job_state st = BGCOPY_JOB_STATE_QUEUED;

    if (job != NULL) {
        (void)bgcopy_job_get_state(job, &st);
        if (bgcopy_job_get_error(job, &err) == BGCOPY_S_OK) {
            (void)bgcopy_error_get_error(err, &ctx, &code);
            bgcopy_error_release(err);
        }
    }
    fprintf(stderr, "resume_bench: %s: 0x%08X (job %s, error 0x%08X context %d)\n", what,
            (unsigned)hr, bgcopy_job_state_name(st), (unsigned)code, (int)ctx);
    exit(1);
}

static void check(bgcopy_job *job, bgcopy_hr hr, const char *what)
{
    if (BGCOPY_FAILED(hr))
        fail(job, what, hr);
}

static bgcopy_manager *open_manager(const char *state_dir)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL;
    bgcopy_hr hr;

    o.state_dir = state_dir;
    if ((hr = bgcopy_manager_open(&o, &mgr)) != BGCOPY_S_OK) {
        fprintf(stderr, "resume_bench: bgcopy_manager_open(%s): 0x%08X %s\n", state_dir,
                (unsigned)hr, bgcopy_manager_open_detail());
        exit(1);
    }
    return mgr;
}

static bgcopy_job *new_job(bgcopy_manager *mgr, const char *url, const char *out)
{
    bgcopy_job *job = NULL;
    check(NULL,
          bgcopy_manager_create_job(mgr, "resume_bench", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job),
          "CreateJob");
    check(job, bgcopy_job_set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND), "SetPriority");
    check(job, bgcopy_job_add_file(job, url, out), "AddFile");
    return job;
}

static bgcopy_job_progress progress(bgcopy_job *job)
{
    bgcopy_job_progress p;
    check(job, bgcopy_job_get_progress(job, &p), "GetProgress");
    return p;
}

static bgcopy_job_state state(bgcopy_job *job)
{
    bgcopy_job_state st;
    check(job, bgcopy_job_get_state(job, &st), "GetState");
    return st;
}

/* Polls every millisecond until the job has at least half its bytes or is in one of the
 * states of mask (1 << state); returns the state then. */
static bgcopy_job_state wait_half(bgcopy_job *job, unsigned mask, uint64_t *bytes)
{
    double until = now_s() + WAIT_SECONDS;
    for (;;) {
        bgcopy_job_progress p = progress(job);
        bgcopy_job_state st = state(job);
        *bytes = p.bytes_transferred;
        if (mask & (1u << st))
            return st;
        if (p.bytes_total != BGCOPY_SIZE_UNKNOWN && p.bytes_transferred * 2 >= p.bytes_total)
            return st;
        if (now_s() > until)
            fail(job, "timed out before half way", BGCOPY_S_OK);
        sleep_ms(1);
    }
}

/* Waits (polling every 2 ms) until the job is TRANSFERRED, then Completes it. */
static void finish(bgcopy_job *job)
{
    double until = now_s() + WAIT_SECONDS;
    for (;;) {
        bgcopy_job_state st = state(job);
        if (st == BGCOPY_JOB_STATE_TRANSFERRED)
            break;
        if (st == BGCOPY_JOB_STATE_ERROR || st == BGCOPY_JOB_STATE_SUSPENDED || now_s() > until)
            fail(job, "the job did not finish", BGCOPY_S_OK);
        sleep_ms(2);
    }
    check(job, bgcopy_job_complete(job), "Complete");
}

static void print(uint64_t size, uint64_t at, double seconds)
{
    printf("size=%llu at_interrupt=%llu seconds=%.3f\n", (unsigned long long)size,
           (unsigned long long)at, seconds);
}

static int run_suspend(const char *url, const char *out)
{
    bgcopy_manager *mgr = open_manager(BGCOPY_STATE_MEMORY);
    bgcopy_job *job = new_job(mgr, url, out);
    const unsigned done = 1u << BGCOPY_JOB_STATE_TRANSFERRED | 1u << BGCOPY_JOB_STATE_ERROR;
    uint64_t at;
    double t0 = now_s();

    check(job, bgcopy_job_resume(job), "Resume");
    if (wait_half(job, done, &at) != BGCOPY_JOB_STATE_TRANSFERRING)
        fail(job, "the job was not transferring at half way", BGCOPY_S_OK);
    check(job, bgcopy_job_suspend(job), "Suspend");
    at = progress(job).bytes_transferred; /* nothing moves once SUSPENDED */
    check(job, bgcopy_job_resume(job), "Resume");
    finish(job);
    print(progress(job).bytes_total, at, now_s() - t0);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    return 0;
}

static int run_reset(const char *url, const char *out)
{
    bgcopy_manager *mgr = open_manager(BGCOPY_STATE_MEMORY);
    bgcopy_job *job = new_job(mgr, url, out);
    const unsigned stop = 1u << BGCOPY_JOB_STATE_TRANSFERRED | 1u << BGCOPY_JOB_STATE_ERROR |
                          1u << BGCOPY_JOB_STATE_TRANSIENT_ERROR;
    double t0 = now_s(), until = t0 + WAIT_SECONDS;
    uint64_t at = 0;

    check(job, bgcopy_job_resume(job), "Resume");
    while (state(job) != BGCOPY_JOB_STATE_TRANSIENT_ERROR) {
        if ((stop & (1u << state(job))) || now_s() > until)
            fail(job, "the job did not enter TRANSIENT_ERROR", BGCOPY_S_OK);
        sleep_ms(1);
    }
    at = progress(job).bytes_transferred; /* nothing moves in TRANSIENT_ERROR */
    check(job, bgcopy_job_resume(job), "Resume");
    finish(job);
    print(progress(job).bytes_total, at, now_s() - t0);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    return 0;
}

static int run_kill(const char *dir, const char *url, const char *out)
{
    int fds[2], status;
    unsigned long long at = 0;
    double t0 = now_s();
    bgcopy_manager *mgr;
    bgcopy_job_enum *e;
    bgcopy_job *job = NULL;
    uint32_t count = 0;
    FILE *f;
    pid_t pid;

    if (pipe(fds) != 0)
        return 1;
    pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        /* The child: no library call was made before the fork, so it starts clean. */
        const unsigned done = 1u << BGCOPY_JOB_STATE_TRANSFERRED | 1u << BGCOPY_JOB_STATE_ERROR;
        uint64_t bytes;
        char line[64];
        int n;
        close(fds[0]);
        mgr = open_manager(dir);
        job = new_job(mgr, url, out);
        check(job, bgcopy_job_resume(job), "Resume");
        if (wait_half(job, done, &bytes) != BGCOPY_JOB_STATE_TRANSFERRING)
            fail(job, "the job was not transferring at half way", BGCOPY_S_OK);
        n = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)bytes);
        if (write(fds[1], line, (size_t)n) != n)
            _exit(1);
        raise(SIGKILL);
        _exit(1);
    }
    close(fds[1]);
    f = fdopen(fds[0], "r");
    if (f == NULL || fscanf(f, "%llu", &at) != 1) {
        fprintf(stderr, "resume_bench: the child reported nothing\n");
        return 1;
    }
    fclose(f);
    if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
        fprintf(stderr, "resume_bench: the child did not die of SIGKILL\n");
        return 1;
    }
    mgr = open_manager(dir);
    check(NULL, bgcopy_manager_enum_jobs(mgr, 0, &e), "EnumJobs");
    check(NULL, bgcopy_job_enum_get_count(e, &count), "GetCount");
    if (count != 1 || bgcopy_job_enum_next(e, 1, &job, NULL) != BGCOPY_S_OK) {
        fprintf(stderr, "resume_bench: %u jobs in the store, expected 1\n", (unsigned)count);
        return 1;
    }
    bgcopy_job_enum_release(e);
    /* The store trimmed the temp file to its checkpoint and made the job QUEUED: it runs
     * again on its own. */
    finish(job);
    print(progress(job).bytes_total, at, now_s() - t0);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "suspend") == 0)
        return run_suspend(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "reset") == 0)
        return run_reset(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "kill") == 0)
        return run_kill(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: resume_bench suspend|reset URL OUTPUT\n"
                    "       resume_bench kill STATE_DIR URL OUTPUT\n");
    return 2;
}
