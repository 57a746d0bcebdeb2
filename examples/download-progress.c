/* download-progress.c - download one URL with bgcopy and show its progress.
 *
 *   download-progress URL LOCAL_PATH
 *
 * A foreground job (the user is waiting, so it competes for bandwidth like any
 * download) on the real engine: HTTP(S) through libcurl, data in a BIT<hex>.tmp
 * file next to LOCAL_PATH until Complete renames it. The callbacks run on the
 * library's notification threads; the main thread sleeps on a condition
 * variable until JobTransferred or JobError has settled the job:
 *   - JobModification prints the progress, at most every 100 ms
 *     (BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS);
 *   - JobTransferred calls Complete, which makes LOCAL_PATH appear whole;
 *   - JobError prints the error and cancels the job (the temporary file goes).
 * Transient failures (connection refused, 503 ...) are retried every 5 s until
 * 30 s pass without progress, as BITS recommends for foreground jobs.
 *
 * Exit status: 0 when LOCAL_PATH is complete, 1 when the job failed, 2 on a
 * usage or set-up error. `make test` runs it against bgcopy-testserver
 * (tests/examples/download-progress.py).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bgcopy.h"

/* Shared between the callbacks (notification threads) and main. */
struct download {
    pthread_mutex_t lock;
    pthread_cond_t settled;
    int done;          /* 1 once JobTransferred or JobError has run */
    bgcopy_hr result;  /* Complete's HRESULT, or the job's error */
    uint64_t reported; /* bytes_transferred last printed */
};

static void settle(struct download *d, bgcopy_hr result)
{
    pthread_mutex_lock(&d->lock);
    d->result = result;
    d->done = 1;
    pthread_cond_signal(&d->settled);
    pthread_mutex_unlock(&d->lock);
}

static bgcopy_hr on_modification(bgcopy_job *job, uint32_t reserved, void *user)
{
    struct download *d = user;
    bgcopy_job_progress p;
    bgcopy_job_state state;

    if (BGCOPY_FAILED(bgcopy_job_get_progress(job, &p)) ||
        BGCOPY_FAILED(bgcopy_job_get_state(job, &state)))
        return BGCOPY_S_OK;
    pthread_mutex_lock(&d->lock);
    if (p.bytes_transferred != d->reported || p.bytes_transferred == 0) {
        d->reported = p.bytes_transferred;
        if (p.bytes_total == BGCOPY_SIZE_UNKNOWN)
            printf("%-12s %llu bytes\n", bgcopy_job_state_name(state),
                   (unsigned long long)p.bytes_transferred);
        else
            printf("%-12s %llu / %llu bytes (%.0f%%)\n", bgcopy_job_state_name(state),
                   (unsigned long long)p.bytes_transferred, (unsigned long long)p.bytes_total,
                   p.bytes_total ? 100.0 * (double)p.bytes_transferred / (double)p.bytes_total
                                 : 100.0);
        fflush(stdout);
    }
    pthread_mutex_unlock(&d->lock);
    return BGCOPY_S_OK; /* ignored for JobModification */
}

static bgcopy_hr on_transferred(bgcopy_job *job, void *user)
{
    bgcopy_job_progress p;
    bgcopy_hr hr = bgcopy_job_complete(job);

    if (BGCOPY_SUCCEEDED(bgcopy_job_get_progress(job, &p)))
        printf("TRANSFERRED  %llu bytes; Complete: 0x%08X %s\n",
               (unsigned long long)p.bytes_transferred, (unsigned)hr, bgcopy_hr_name(hr));
    settle(user, hr);
    return BGCOPY_S_OK; /* anything else and the library calls again */
}

static bgcopy_hr on_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    bgcopy_error_context context;
    bgcopy_hr code = BGCOPY_E_FAIL;
    char *text = NULL;

    bgcopy_error_get_error(err, &context, &code);
    bgcopy_error_get_error_description(err, 0x409, &text);
    fprintf(stderr, "ERROR        0x%08X %s (context %s): %s\n", (unsigned)code,
            bgcopy_hr_name(code) ? bgcopy_hr_name(code) : "?", bgcopy_error_context_name(context),
            text ? text : "");
    bgcopy_free(text);
    bgcopy_job_cancel(job);
    settle(user, code);
    return BGCOPY_S_OK;
}

/* Fails with a message naming the call. */
static int check(bgcopy_hr hr, const char *what)
{
    char msg[256];

    if (BGCOPY_SUCCEEDED(hr))
        return 1;
    bgcopy_hr_format(hr, msg, sizeof(msg));
    fprintf(stderr, "download-progress: %s: %s\n", what, msg);
    return 0;
}

int main(int argc, char **argv)
{
    struct download d = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, BGCOPY_S_OK, 0};
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_job_property_value interval;
    bgcopy_manager *mgr = NULL;
    bgcopy_job *job = NULL;
    char local[4096];
    int ok = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: download-progress URL LOCAL_PATH\n");
        return 2;
    }
    /* BITS wants an absolute local name. */
    if (argv[2][0] == '/') {
        snprintf(local, sizeof(local), "%s", argv[2]);
    } else {
        char cwd[2048];
        if (getcwd(cwd, sizeof(cwd)) == NULL) {
            perror("getcwd");
            return 2;
        }
        snprintf(local, sizeof(local), "%s/%s", cwd, argv[2]);
    }

    if (!check(bgcopy_manager_open(NULL, &mgr), "bgcopy_manager_open")) {
        fprintf(stderr, "%s\n", bgcopy_manager_open_detail());
        return 2;
    }
    printf("bgcopy %s: %s -> %s\n", bgcopy_version(), argv[1], local);
    interval.dword = 100;
    cb.job_transferred = on_transferred;
    cb.job_error = on_error;
    cb.job_modification = on_modification;
    if (!check(bgcopy_manager_create_job(mgr, "download-progress", BGCOPY_JOB_TYPE_DOWNLOAD, NULL,
                                         &job),
               "CreateJob") ||
        !check(bgcopy_job_add_file(job, argv[1], local), "AddFile") ||
        !check(bgcopy_job_set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND), "SetPriority") ||
        !check(bgcopy_job_set_minimum_retry_delay(job, 5), "SetMinimumRetryDelay") ||
        !check(bgcopy_job_set_no_progress_timeout(job, 30), "SetNoProgressTimeout") ||
        !check(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS,
                                       &interval),
               "SetProperty") ||
        !check(bgcopy_job_set_notify_flags(job, BGCOPY_NOTIFY_JOB_TRANSFERRED |
                                                    BGCOPY_NOTIFY_JOB_ERROR |
                                                    BGCOPY_NOTIFY_JOB_MODIFICATION),
               "SetNotifyFlags") ||
        !check(bgcopy_job_set_notify_callbacks(job, &cb, &d), "SetNotifyInterface") ||
        !check(bgcopy_job_resume(job), "Resume")) {
        if (job != NULL)
            bgcopy_job_cancel(job);
        goto out;
    }

    pthread_mutex_lock(&d.lock);
    while (!d.done)
        pthread_cond_wait(&d.settled, &d.lock);
    ok = d.result == BGCOPY_S_OK;
    pthread_mutex_unlock(&d.lock);

out:
    if (job != NULL) {
        /* Before exiting, clear the callbacks (BITS: SetNotifyInterface(NULL)). A job that
         * already ended (ACKNOWLEDGED, CANCELLED) refuses with BG_E_INVALID_STATE: fine. */
        bgcopy_job_set_notify_callbacks(job, NULL, NULL);
        bgcopy_job_release(job);
    }
    bgcopy_manager_close(mgr);
    printf("%s\n", ok ? "done" : "failed");
    return ok ? 0 : 1;
}
