/* download_bench.c - one download through bgcopy's public API, timed: the bgcopy side of
 * bench/http_bench.sh (`make bench-http`), which runs it against nginx next to curl and wget2.
 *
 * What it does is what an application does: open a real-mode manager (no simulation), create a
 * download job, set FOREGROUND priority, add the file, Resume, wait for JobTransferred (a
 * callback signalling a condition variable, no polling), Complete (which fsyncs the file and
 * renames it into place). With --resume-on-transient it also waits for the job to enter
 * TRANSIENT_ERROR (JobModification callbacks), prints the checkpoint (bytes transferred at the
 * failure) and Resumes at once: the "bytes re-fetched after an interruption" measurement.
 * With --service the manager is BGCOPY_ENGINE_SERVICE: the download runs in bgcopyd (socket and
 * program from the environment, see docs/internals/service.md) and this process only waits for
 * the callback (bench/service_bench.sh).
 *
 *   download_bench [--service] [--resume-on-transient] URL OUTPUT
 *
 * Prints one line of key=value pairs on stdout:
 *   transferred_s  seconds from Resume to JobTransferred
 *   complete_s     seconds Complete took (fsync + rename)
 *   bytes          bytes transferred
 *   checkpoint     bytes transferred when the job entered TRANSIENT_ERROR (-1: never)
 *   user_s sys_s   CPU seconds of this process (all threads), from getrusage
 * Exits 0 when the file was transferred and completed, 1 otherwise (with the HRESULT on
 * stderr). Waits at most 300 s for any event.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bgcopy.h"
#include "jobwait.h"

#define WAIT_SECONDS 300

static void report_error(bgcopy_job *job)
{
    bgcopy_error *err = NULL;
    bgcopy_error_context ctx = BGCOPY_ERROR_CONTEXT_NONE;
    bgcopy_hr code = BGCOPY_S_OK;

    if (bgcopy_job_get_error(job, &err) == BGCOPY_S_OK) {
        (void)bgcopy_error_get_error(err, &ctx, &code);
        bgcopy_error_release(err);
    }
    fprintf(stderr, "download_bench: job in state %s, error 0x%08X context %d\n",
            bgcopy_job_state_name(jw_state(job)), (unsigned)code, (int)ctx);
}

int main(int argc, char **argv)
{
    const unsigned done_mask = 1u << BGCOPY_JOB_STATE_TRANSFERRED | 1u << BGCOPY_JOB_STATE_ERROR;
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL;
    bgcopy_job *job = NULL;
    bgcopy_job_progress p;
    struct rusage ru;
    long long checkpoint = -1;
    double t0, t_transferred, t_complete;
    int resume_on_transient = 0, argi = 1, rc = 1, st;
    uint32_t flags = BGCOPY_NOTIFY_JOB_TRANSFERRED | BGCOPY_NOTIFY_JOB_ERROR;
    bgcopy_hr hr;

    if (argi < argc && strcmp(argv[argi], "--service") == 0) {
        o.engine = BGCOPY_ENGINE_SERVICE;
        argi++;
    }
    if (argi < argc && strcmp(argv[argi], "--resume-on-transient") == 0) {
        resume_on_transient = 1;
        flags |= BGCOPY_NOTIFY_JOB_MODIFICATION;
        argi++;
    }
    if (argc - argi != 2) {
        fprintf(stderr, "usage: download_bench [--service] [--resume-on-transient] URL OUTPUT\n");
        return 2;
    }
    jw_callbacks(&cb);
    if ((hr = bgcopy_manager_open(&o, &mgr)) != BGCOPY_S_OK ||
        (hr = bgcopy_manager_create_job(mgr, "download_bench", BGCOPY_JOB_TYPE_DOWNLOAD, NULL,
                                        &job)) != BGCOPY_S_OK ||
        (hr = bgcopy_job_set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND)) != BGCOPY_S_OK ||
        (hr = bgcopy_job_set_notify_flags(job, flags)) != BGCOPY_S_OK ||
        (hr = bgcopy_job_set_notify_callbacks(job, &cb, NULL)) != BGCOPY_S_OK ||
        (hr = bgcopy_job_add_file(job, argv[argi], argv[argi + 1])) != BGCOPY_S_OK) {
        fprintf(stderr, "download_bench: setting up the job failed: 0x%08X\n", (unsigned)hr);
        goto out;
    }
    t0 = jw_now();
    if ((hr = bgcopy_job_resume(job)) != BGCOPY_S_OK) {
        fprintf(stderr, "download_bench: Resume failed: 0x%08X\n", (unsigned)hr);
        goto out;
    }
    if (resume_on_transient) {
        st = jw_wait(job, done_mask | 1u << BGCOPY_JOB_STATE_TRANSIENT_ERROR, WAIT_SECONDS);
        if (st == BGCOPY_JOB_STATE_TRANSIENT_ERROR) {
            /* nothing moves in TRANSIENT_ERROR: this is the checkpoint */
            (void)bgcopy_job_get_progress(job, &p);
            checkpoint = (long long)p.bytes_transferred;
            report_error(job);
            (void)bgcopy_job_resume(job); /* retry at once */
        }
    }
    st = jw_wait(job, done_mask, WAIT_SECONDS);
    t_transferred = jw_now();
    if (st != BGCOPY_JOB_STATE_TRANSFERRED) {
        report_error(job);
        goto out;
    }
    (void)bgcopy_job_get_progress(job, &p);
    if ((hr = bgcopy_job_complete(job)) != BGCOPY_S_OK) {
        fprintf(stderr, "download_bench: Complete returned 0x%08X\n", (unsigned)hr);
        goto out;
    }
    t_complete = jw_now();
    getrusage(RUSAGE_SELF, &ru);
    printf("transferred_s=%.3f complete_s=%.3f bytes=%llu checkpoint=%lld user_s=%.3f "
           "sys_s=%.3f\n",
           t_transferred - t0, t_complete - t_transferred, (unsigned long long)p.bytes_transferred,
           checkpoint, (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
    rc = 0;
out:
    if (job != NULL && rc != 0)
        (void)bgcopy_job_cancel(job);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    return rc;
}
