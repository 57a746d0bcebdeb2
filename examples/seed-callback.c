/* seed-callback.c - the IBackgroundCopyCallback example from the BITS
 * documentation, ported to bgcopy and run on the simulation harness.
 *
 * The callbacks are the documentation's, line for line in intent:
 *   - JobTransferred completes the job and returns S_OK;
 *   - JobError, on BG_E_INSUFFICIENT_RANGE_SUPPORT, looks at the failing
 *     file's BytesTotal: unknown (dynamic content) or over 2 GB -> leave the
 *     job in ERROR and report it; otherwise switch the job to FOREGROUND and
 *     Resume (a foreground job may fetch a file under 2 GB without ranges);
 *   - JobModification reads the display name, progress and state.
 * Three servers that ignore Range exercise the three branches:
 *   1. size unknown: HEAD refused and no Content-Length -> stays ERROR;
 *   2. a 3 GiB file -> stays ERROR;
 *   3. a 1 MiB file -> FOREGROUND, Resume, TRANSFERRED, Complete.
 * Exit status 0 when each job ends as the documentation says it should.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgcopy.h"

#define TWO_GB 2147483648ULL

static int modifications;

static bgcopy_hr job_transferred(bgcopy_job *job, void *user)
{
    bgcopy_hr hr = bgcopy_job_complete(job);
    if (BGCOPY_FAILED(hr)) {
        /* BITS could not rename one or more temporary files (see
         * bgcopy_job_complete); the job stays TRANSFERRED. */
        fprintf(stderr, "Complete failed: 0x%08X\n", (unsigned)hr);
    }
    return BGCOPY_S_OK; /* anything else makes BITS call again */
}

static bgcopy_hr job_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    bgcopy_error_context context;
    bgcopy_hr code = BGCOPY_S_OK;
    int is_error = 1;

    bgcopy_error_get_error(err, &context, &code);
    if (code == BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT) {
        bgcopy_file *file = NULL;
        bgcopy_file_progress progress;
        if (BGCOPY_SUCCEEDED(bgcopy_error_get_file(err, &file)) &&
            BGCOPY_SUCCEEDED(bgcopy_file_get_progress(file, &progress))) {
            if (progress.bytes_total == BGCOPY_SIZE_UNKNOWN) {
                /* Dynamic content: changing the priority does not help. */
            } else if (progress.bytes_total > TWO_GB) {
                /* Over 2 GB ranges are required whatever the priority. */
            } else {
                bgcopy_job_set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND);
                bgcopy_job_resume(job);
                is_error = 0;
            }
        }
        bgcopy_file_release(file);
    }
    if (is_error) {
        char *name = NULL, *description = NULL;
        bgcopy_job_get_display_name(job, &name);
        bgcopy_error_get_error_description(err, 0x409, &description);
        if (name && description)
            printf("  JobError: %s: 0x%08X %s\n", name, (unsigned)code, description);
        bgcopy_free(name);
        bgcopy_free(description);
    }
    return BGCOPY_S_OK;
}

static bgcopy_hr job_modification(bgcopy_job *job, uint32_t reserved, void *user)
{
    char *name = NULL;
    bgcopy_job_progress progress;
    bgcopy_job_state state;
    if (BGCOPY_SUCCEEDED(bgcopy_job_get_display_name(job, &name))) {
        if (BGCOPY_SUCCEEDED(bgcopy_job_get_progress(job, &progress)) &&
            BGCOPY_SUCCEEDED(bgcopy_job_get_state(job, &state)))
            modifications++; /* use progress and state here */
        bgcopy_free(name);
    }
    return BGCOPY_S_OK;
}

/* Runs one job against url and returns its final state. */
static bgcopy_job_state run_case(bgcopy_manager *mgr, bgcopy_sim *sim, const char *name,
                                 const char *url, const char *dir)
{
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_job *job;
    bgcopy_job_state state;
    char local[256];

    snprintf(local, sizeof(local), "%s/%s.bin", dir, name);
    cb.job_transferred = job_transferred;
    cb.job_error = job_error;
    cb.job_modification = job_modification;
    if (BGCOPY_FAILED(bgcopy_manager_create_job(mgr, name, BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job)))
        exit(2);
    bgcopy_job_add_file(job, url, local);
    bgcopy_job_set_notify_flags(job, BGCOPY_NOTIFY_JOB_TRANSFERRED | BGCOPY_NOTIFY_JOB_ERROR |
                                         BGCOPY_NOTIFY_JOB_MODIFICATION);
    bgcopy_job_set_notify_callbacks(job, &cb, NULL);
    bgcopy_job_resume(job);
    bgcopy_sim_run_until_idle(sim);
    bgcopy_job_get_state(job, &state);
    printf("%-8s -> %s\n", name, bgcopy_job_state_name(state));
    if (state != BGCOPY_JOB_STATE_ACKNOWLEDGED)
        bgcopy_job_cancel(job);
    bgcopy_job_release(job);
    remove(local);
    return state;
}

int main(void)
{
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    bgcopy_sim_fault head_refused = BGCOPY_SIM_FAULT_INIT;
    bgcopy_manager *mgr;
    bgcopy_sim *sim;
    char dir[] = "/tmp/bgcopy-seed-XXXXXX";
    int ok;

    if (mkdtemp(dir) == NULL)
        return 2;
    if (BGCOPY_FAILED(bgcopy_sim_create(NULL, &sim)))
        return 2;
    r.no_ranges = 1; /* every server here ignores Range */

    r.url = "http://dynamic.example.test/feed";
    r.length = 70000;
    r.no_content_length = 1;
    bgcopy_sim_add_resource(sim, &r);
    head_refused.kind = BGCOPY_SIM_FAULT_HTTP_STATUS;
    head_refused.url = r.url;
    head_refused.status = 405;
    head_refused.count = 1;
    bgcopy_sim_add_fault(sim, &head_refused);

    r.url = "http://big.example.test/image.iso";
    r.length = 3ULL << 30;
    r.content = BGCOPY_SIM_CONTENT_ZERO;
    r.no_content_length = 0;
    bgcopy_sim_add_resource(sim, &r);

    r.url = "http://small.example.test/update.bin";
    r.length = 1 << 20;
    r.content = BGCOPY_SIM_CONTENT_PATTERN;
    bgcopy_sim_add_resource(sim, &r);

    mo.sim = sim;
    if (BGCOPY_FAILED(bgcopy_manager_open(&mo, &mgr)))
        return 2;
    ok = run_case(mgr, sim, "dynamic", "http://dynamic.example.test/feed", dir) ==
             BGCOPY_JOB_STATE_ERROR &&
         run_case(mgr, sim, "big", "http://big.example.test/image.iso", dir) ==
             BGCOPY_JOB_STATE_ERROR &&
         run_case(mgr, sim, "small", "http://small.example.test/update.bin", dir) ==
             BGCOPY_JOB_STATE_ACKNOWLEDGED;
    printf("%s (%d JobModification calls)\n", ok ? "OK" : "FAILED", modifications);
    bgcopy_manager_close(mgr);
    bgcopy_sim_destroy(sim);
    remove(dir);
    return ok ? 0 : 1;
}
