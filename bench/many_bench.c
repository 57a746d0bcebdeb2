/* many_bench.c - many small transfers through bgcopy's public API: the bgcopy side of the
 * "many transfers" benchmark of bench/run.sh (`make bench`), measured next to
 * `curl --parallel` and `aria2c -i` on the same files.
 *
 *   many_bench [--state-dir DIR] jobs N BASE_URL OUT_DIR
 *       N FOREGROUND jobs of one file each, all Resumed at once (foreground jobs run
 *       concurrently): BASE_URL/fNNN.bin -> OUT_DIR/fNNN.bin for NNN = 000 .. N-1.
 *   many_bench [--state-dir DIR] files N BASE_URL OUT_DIR
 *       One FOREGROUND job of those N files (a job transfers its files one after the other,
 *       in the order added).
 *
 * The manager is opened as an administrator with max_jobs_per_user / max_jobs_per_machine
 * raised to N + 10 (an administrator is not bound by them anyway; both are set so the run
 * does not depend on that rule). The state directory is ":memory:" unless --state-dir names
 * one (which must be new or empty: the store then writes a transaction per job change, the
 * cost this benchmark shows). Every job gets JobTransferred and JobError callbacks; the main
 * thread waits on a condition variable until every job is TRANSFERRED, then Completes each
 * (which fsyncs and renames its files). The soft limit on open files is raised to the hard
 * one (each transfer holds a socket and a temporary file).
 *
 * Prints one line of key=value pairs:
 *   setup_s     creating the jobs and adding the files
 *   transfer_s  first Resume to the last JobTransferred
 *   complete_s  Complete of every job
 *   total_s     setup + transfer + complete (manager open and close are not included; the
 *               process's wall time, measured outside, includes them)
 * Exits 0 when every file arrived and every Complete returned S_OK; 1 with the job's state
 * and error on stderr otherwise. Waits at most 600 s.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bgcopy.h"

#define WAIT_SECONDS 600

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long transferred, errored;

static bgcopy_hr on_transferred(bgcopy_job *job, void *user)
{
    pthread_mutex_lock(&lock);
    transferred++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    return BGCOPY_S_OK;
}

static bgcopy_hr on_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    pthread_mutex_lock(&lock);
    errored++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    return BGCOPY_S_OK;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void report(bgcopy_job *job, const char *what, bgcopy_hr hr)
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
    fprintf(stderr, "many_bench: %s: 0x%08X (job %s, error 0x%08X context %d)\n", what,
            (unsigned)hr, bgcopy_job_state_name(st), (unsigned)code, (int)ctx);
}

int main(int argc, char **argv)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_manager *mgr = NULL;
    bgcopy_job **jobs = NULL;
    struct rlimit rl;
    struct timespec deadline;
    double t0, t1, t2, t3;
    long n, njobs, nfiles, i, k, done = 0;
    int argi = 1, rc = 1, timed_out = 0;
    const char *mode, *base, *outdir;
    bgcopy_hr hr;

    o.state_dir = BGCOPY_STATE_MEMORY;
    if (argc > 2 && strcmp(argv[1], "--state-dir") == 0) {
        o.state_dir = argv[2];
        argi = 3;
    }
    if (argc - argi != 4 || (n = strtol(argv[argi + 1], NULL, 10)) <= 0 || n > 100000 ||
        (strcmp(argv[argi], "jobs") != 0 && strcmp(argv[argi], "files") != 0)) {
        fprintf(stderr, "usage: many_bench [--state-dir DIR] jobs|files N BASE_URL OUT_DIR\n");
        return 2;
    }
    mode = argv[argi];
    base = argv[argi + 2];
    outdir = argv[argi + 3];
    njobs = strcmp(mode, "jobs") == 0 ? n : 1;
    nfiles = strcmp(mode, "jobs") == 0 ? 1 : n;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    o.user_is_admin = 1;
    o.max_jobs_per_user = (uint32_t)njobs + 10;
    o.max_jobs_per_machine = (uint32_t)njobs + 10;
    o.max_files_per_job = (uint32_t)nfiles > 200 ? (uint32_t)nfiles : 0;
    if ((hr = bgcopy_manager_open(&o, &mgr)) != BGCOPY_S_OK) {
        fprintf(stderr, "many_bench: bgcopy_manager_open: 0x%08X %s\n", (unsigned)hr,
                bgcopy_manager_open_detail());
        return 1;
    }
    jobs = calloc((size_t)njobs, sizeof(*jobs));
    if (jobs == NULL)
        goto out;
    cb.job_transferred = on_transferred;
    cb.job_error = on_error;

    t0 = now_s();
    for (i = 0; i < njobs; i++) {
        if ((hr = bgcopy_manager_create_job(mgr, "many_bench", BGCOPY_JOB_TYPE_DOWNLOAD, NULL,
                                            &jobs[i])) != BGCOPY_S_OK ||
            (hr = bgcopy_job_set_priority(jobs[i], BGCOPY_JOB_PRIORITY_FOREGROUND)) !=
                BGCOPY_S_OK ||
            (hr = bgcopy_job_set_notify_callbacks(jobs[i], &cb, NULL)) != BGCOPY_S_OK) {
            report(jobs[i], "setting up a job", hr);
            goto out;
        }
        for (k = 0; k < nfiles; k++) {
            char url[1024], local[4096];
            long idx = njobs > 1 ? i : k;
            snprintf(url, sizeof(url), "%s/f%03ld.bin", base, idx);
            snprintf(local, sizeof(local), "%s/f%03ld.bin", outdir, idx);
            if ((hr = bgcopy_job_add_file(jobs[i], url, local)) != BGCOPY_S_OK) {
                report(jobs[i], "AddFile", hr);
                goto out;
            }
        }
    }
    t1 = now_s();
    for (i = 0; i < njobs; i++)
        if ((hr = bgcopy_job_resume(jobs[i])) != BGCOPY_S_OK) {
            report(jobs[i], "Resume", hr);
            goto out;
        }
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += WAIT_SECONDS;
    pthread_mutex_lock(&lock);
    while (transferred < njobs && errored == 0 && !timed_out)
        timed_out = pthread_cond_timedwait(&cond, &lock, &deadline) != 0;
    pthread_mutex_unlock(&lock);
    t2 = now_s();
    if (transferred < njobs) {
        for (i = 0; i < njobs; i++) {
            bgcopy_job_state st;
            if (bgcopy_job_get_state(jobs[i], &st) == BGCOPY_S_OK &&
                st != BGCOPY_JOB_STATE_TRANSFERRED) {
                report(jobs[i], timed_out ? "timed out" : "a job failed", BGCOPY_S_OK);
                break;
            }
        }
        goto out;
    }
    for (i = 0; i < njobs; i++) {
        if ((hr = bgcopy_job_complete(jobs[i])) != BGCOPY_S_OK) {
            report(jobs[i], "Complete", hr);
            goto out;
        }
        done++;
    }
    t3 = now_s();
    printf("setup_s=%.4f transfer_s=%.4f complete_s=%.4f total_s=%.4f\n", t1 - t0, t2 - t1, t3 - t2,
           t3 - t0);
    rc = 0;
out:
    if (jobs != NULL) {
        for (i = 0; i < njobs; i++) {
            if (jobs[i] != NULL && i >= done)
                (void)bgcopy_job_cancel(jobs[i]);
            bgcopy_job_release(jobs[i]);
        }
        free(jobs);
    }
    bgcopy_manager_close(mgr);
    return rc;
}
