/* seed-handlers.h - the IBackgroundCopyCallback implementation from the BITS
 * documentation (its CNotifyInterface class) as bgcopy callbacks.
 *
 * Shared by seed-callback.c, which runs it on the simulation harness, and
 * seed-callback-test.c, which unit-tests it with CMocka: the layout of an
 * application whose notification logic lives apart from its main program.
 * Header-only (every function static) so that each example stays a single
 * compiler call.
 *
 * The handlers are the documentation's, line for line in intent:
 *   - JobTransferred completes the job and returns S_OK (anything else makes
 *     BITS call again);
 *   - JobError, on BG_E_INSUFFICIENT_RANGE_SUPPORT, looks at the failing
 *     file's BytesTotal: unknown (dynamic content) or over 2 GB -> leave the
 *     job in ERROR and report it; otherwise switch the job to FOREGROUND and
 *     Resume (a foreground job may fetch a file under 2 GB without ranges).
 *     Any other error is reported: job name and error description;
 *   - JobModification reads the display name, progress and state.
 * Where the C++ original leaves a "do something" comment, these record what
 * they saw in a struct seed_log passed as the callbacks' user pointer, so a
 * program can print it and a test can assert on it. The log is not locked:
 * it is meant for the simulation harness, where callbacks run on the thread
 * that advances the simulation; with the real engine (notification threads)
 * guard it with a mutex.
 */
#ifndef SEED_HANDLERS_H
#define SEED_HANDLERS_H

#include <stdio.h>
#include <string.h>

#include "bgcopy.h"

#define TWO_GB 2147483648ULL

/* What the handlers saw, for one job (or for every job registered with it). */
struct seed_log {
    int transferred;              /* JobTransferred calls */
    bgcopy_hr complete_hr;        /* what Complete returned in the last one */
    int errors;                   /* JobError calls */
    bgcopy_hr error_code;         /* the error of the last JobError */
    uint64_t range_bytes;         /* BytesTotal of the file of the last range failure */
    int foreground_retries;       /* range failures retried at FOREGROUND */
    int reported;                 /* errors reported (the documentation's IsError branch) */
    char report[512];             /* the last report: "<job name>: 0x<code> <description>" */
    int modifications;            /* JobModification calls that read progress and state */
    bgcopy_job_progress progress; /* progress read by the last JobModification */
    bgcopy_job_state state;       /* state read by the last JobModification */
};

static bgcopy_hr seed_job_transferred(bgcopy_job *job, void *user)
{
    struct seed_log *log = user;
    bgcopy_hr hr;

    /* Add logic that will not block the callback thread. */
    hr = bgcopy_job_complete(job);
    if (BGCOPY_FAILED(hr)) {
        /* The library could not rename one or more temporary files (see
         * bgcopy_job_complete); the job stays TRANSFERRED. */
    }
    log->transferred++;
    log->complete_hr = hr;
    return BGCOPY_S_OK; /* anything else makes the library call again */
}

static bgcopy_hr seed_job_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    struct seed_log *log = user;
    bgcopy_error_context context;
    bgcopy_hr code = BGCOPY_S_OK;
    int is_error = 1;

    bgcopy_error_get_error(err, &context, &code);
    log->errors++;
    log->error_code = code;

    /* If the proxy or server does not support the Content-Range header, the
     * job fails with BG_E_INSUFFICIENT_RANGE_SUPPORT. Switching the job to
     * foreground priority gives the content a better chance. */
    if (code == BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT) {
        bgcopy_file *file = NULL;
        bgcopy_file_progress progress;

        if (BGCOPY_SUCCEEDED(bgcopy_error_get_file(err, &file)) &&
            BGCOPY_SUCCEEDED(bgcopy_file_get_progress(file, &progress))) {
            log->range_bytes = progress.bytes_total;
            if (progress.bytes_total == BGCOPY_SIZE_UNKNOWN) {
                /* The content is dynamic: do not change the priority. Handle
                 * as an error. */
            } else if (progress.bytes_total > TWO_GB) {
                /* Ranges are required above 2 GB (they are fetched in 2 GB
                 * ranges), so switching to foreground will not help. */
            } else {
                bgcopy_job_set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND);
                bgcopy_job_resume(job);
                log->foreground_retries++;
                is_error = 0;
            }
        }
        bgcopy_file_release(file);
    }

    if (is_error) {
        char *name = NULL, *description = NULL;

        bgcopy_job_get_display_name(job, &name);
        bgcopy_error_get_error_description(err, 0x409, &description);
        if (name && description) {
            /* Do something with the job name and description. */
            snprintf(log->report, sizeof(log->report), "%s: 0x%08X %s", name, (unsigned)code,
                     description);
            log->reported++;
        }
        bgcopy_free(name);
        bgcopy_free(description);
    }
    return BGCOPY_S_OK; /* anything else makes the library call again */
}

static bgcopy_hr seed_job_modification(bgcopy_job *job, uint32_t reserved, void *user)
{
    struct seed_log *log = user;
    char *name = NULL;
    bgcopy_job_progress progress;
    bgcopy_job_state state;

    if (BGCOPY_SUCCEEDED(bgcopy_job_get_display_name(job, &name))) {
        if (BGCOPY_SUCCEEDED(bgcopy_job_get_progress(job, &progress)) &&
            BGCOPY_SUCCEEDED(bgcopy_job_get_state(job, &state))) {
            /* Do something with the progress and state information. The
             * library can send many modification callbacks: use them with
             * discretion. */
            log->modifications++;
            log->progress = progress;
            log->state = state;
        }
        bgcopy_free(name);
    }
    return BGCOPY_S_OK;
}

/* The three handlers in a bgcopy_callbacks (the CNotifyInterface object). */
static bgcopy_callbacks seed_callbacks(void)
{
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;

    cb.job_transferred = seed_job_transferred;
    cb.job_error = seed_job_error;
    cb.job_modification = seed_job_modification;
    return cb;
}

/* The registration of the documentation's "Registering a COM Callback": set
 * the callbacks, then the flags (plus JobModification, which the handlers
 * implement). log receives what the handlers see. */
static bgcopy_hr seed_register(bgcopy_job *job, struct seed_log *log)
{
    bgcopy_callbacks cb = seed_callbacks();
    bgcopy_hr hr = bgcopy_job_set_notify_callbacks(job, &cb, log);

    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_set_notify_flags(job, BGCOPY_NOTIFY_JOB_TRANSFERRED |
                                                  BGCOPY_NOTIFY_JOB_ERROR |
                                                  BGCOPY_NOTIFY_JOB_MODIFICATION);
    return hr;
}

#endif /* SEED_HANDLERS_H */
