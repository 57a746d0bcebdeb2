/* queue-and-collect.c - queue a download through the service, exit, and collect it later.
 *
 *   queue-and-collect queue URL LOCAL_PATH     prints the job's {GUID} and exits at once
 *   queue-and-collect collect {GUID}           waits for the job, completes it
 *
 * BITS jobs belong to a service, not to the process that made them: an
 * installer can queue a download and exit, and a later run picks the result
 * up. bgcopy's service, bgcopyd, plays that part: a manager opened with
 * BGCOPY_ENGINE_SERVICE talks to it over a Unix-domain socket, and starts it
 * when none is running (bgcopyd is found next to the library, or named by
 * BGCOPY_SERVICE_PROGRAM). The job keeps transferring in bgcopyd after
 * `queue` returns; `collect`, run any time later from another process of the
 * same user, finds it by its GUID, waits until it is TRANSFERRED (polling
 * its state twice a second: a callback would do as well) and calls Complete,
 * which makes LOCAL_PATH appear whole.
 *
 * Exit status: 0 on success; 1 when the job failed (its error is printed and
 * the job cancelled) or did not finish within 60 s; 2 on a usage or set-up
 * error. `make test` runs both halves against bgcopy-testserver
 * (tests/examples/queue-and-collect.py).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bgcopy.h"

/* The code as text ("0x80190194 BG_E_HTTP_ERROR_404: ..."), in buf. */
static const char *hr_text(bgcopy_hr hr, char *buf, size_t size)
{
    (void)bgcopy_hr_format(hr, buf, size);
    return buf;
}

static bgcopy_manager *open_service(void)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL;
    bgcopy_hr hr;

    o.engine = BGCOPY_ENGINE_SERVICE;
    hr = bgcopy_manager_open(&o, &mgr);
    if (BGCOPY_FAILED(hr)) {
        char text[256];
        fprintf(stderr, "cannot reach bgcopyd: %s (%s)\n", hr_text(hr, text, sizeof(text)),
                bgcopy_manager_open_detail());
        return NULL;
    }
    return mgr;
}

static int queue(const char *url, const char *local)
{
    bgcopy_manager *mgr = open_service();
    bgcopy_job *job = NULL;
    bgcopy_guid id;
    char guid[BGCOPY_GUID_STRING_SIZE], text[256];
    bgcopy_hr hr;

    if (mgr == NULL)
        return 2;
    hr = bgcopy_manager_create_job(mgr, "queued download", BGCOPY_JOB_TYPE_DOWNLOAD, &id, &job);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_add_file(job, url, local);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_resume(job);
    if (BGCOPY_FAILED(hr)) {
        fprintf(stderr, "cannot queue %s: %s\n", url, hr_text(hr, text, sizeof(text)));
        if (job != NULL)
            (void)bgcopy_job_cancel(job); /* nothing half-made stays queued */
    } else {
        bgcopy_guid_to_string(&id, guid);
        printf("%s\n", guid);
    }
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr); /* the job stays with bgcopyd */
    return BGCOPY_FAILED(hr) ? 1 : 0;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int collect(const char *guid_text)
{
    bgcopy_manager *mgr;
    bgcopy_job *job = NULL;
    bgcopy_guid id;
    bgcopy_job_state state = BGCOPY_JOB_STATE_QUEUED;
    char text[256];
    bgcopy_hr hr;
    int tries, rc = 1;

    if (BGCOPY_FAILED(bgcopy_guid_from_string(guid_text, &id))) {
        fprintf(stderr, "not a job id: %s\n", guid_text);
        return 2;
    }
    mgr = open_service();
    if (mgr == NULL)
        return 2;
    hr = bgcopy_manager_get_job(mgr, &id, &job);
    if (BGCOPY_FAILED(hr)) {
        fprintf(stderr, "no job %s: %s\n", guid_text, hr_text(hr, text, sizeof(text)));
        bgcopy_manager_close(mgr);
        return 1;
    }
    for (tries = 0; tries < 120; tries++) {
        if (BGCOPY_FAILED(bgcopy_job_get_state(job, &state)) ||
            state == BGCOPY_JOB_STATE_TRANSFERRED || state == BGCOPY_JOB_STATE_ERROR)
            break;
        nap_ms(500);
    }
    if (state == BGCOPY_JOB_STATE_TRANSFERRED) {
        hr = bgcopy_job_complete(job);
        printf("%s TRANSFERRED; Complete: %s\n", guid_text, hr_text(hr, text, sizeof(text)));
        rc = hr == BGCOPY_S_OK ? 0 : 1;
    } else {
        bgcopy_error *err = NULL;
        bgcopy_error_context ctx = BGCOPY_ERROR_CONTEXT_NONE;
        bgcopy_hr code = BGCOPY_S_OK;
        if (BGCOPY_SUCCEEDED(bgcopy_job_get_error(job, &err))) {
            (void)bgcopy_error_get_error(err, &ctx, &code);
            bgcopy_error_release(err);
        }
        printf("%s %s: %s, context %d\n", guid_text, bgcopy_job_state_name(state),
               hr_text(code, text, sizeof(text)), (int)ctx);
        (void)bgcopy_job_cancel(job);
    }
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "queue") == 0)
        return queue(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "collect") == 0)
        return collect(argv[2]);
    fprintf(stderr, "usage: %s queue URL LOCAL_PATH | collect {GUID}\n", argv[0]);
    return 2;
}
