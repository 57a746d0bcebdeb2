/* seed-callback.c - the IBackgroundCopyCallback example from the BITS
 * documentation, ported to bgcopy and run on the simulation harness.
 *
 * The callbacks are in seed-handlers.h (JobTransferred completes the job,
 * JobError retries range failures at FOREGROUND, JobModification reads the
 * progress); seed-callback-test.c unit-tests the same handlers with CMocka.
 * This program registers them as the documentation's "Registering a COM
 * Callback" does, and clears them before it exits as that page asks.
 * Three servers that ignore Range exercise the three branches of JobError:
 *   1. size unknown: HEAD refused and no Content-Length -> stays ERROR;
 *   2. a 3 GiB file -> stays ERROR;
 *   3. a 1 MiB file -> FOREGROUND, Resume, TRANSFERRED, Complete.
 * Exit status 0 when each job ends as the documentation says it should: the
 * state, the priority, the error each JobError saw (BG_E_INSUFFICIENT_RANGE_
 * SUPPORT, 0x80200013) with the file size it read, what was reported, and
 * for the last job the bytes on disk.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgcopy.h"
#include "seed-handlers.h"

#define SMALL_SEED 11

/* Checks one expectation; prints it when it does not hold. */
static int expect(int ok, const char *job, const char *what)
{
    if (!ok)
        printf("  %s: expected %s\n", job, what);
    return ok;
}

/* Runs one job against url, leaves it in its final state, and checks it. */
static int run_case(bgcopy_manager *mgr, bgcopy_sim *sim, const char *name, const char *url,
                    const char *dir, bgcopy_job_state want_state, uint64_t want_size)
{
    struct seed_log log;
    bgcopy_job *job;
    bgcopy_job_state state;
    bgcopy_job_priority priority;
    char local[256];
    int ok;

    memset(&log, 0, sizeof(log));
    snprintf(local, sizeof(local), "%s/%s.bin", dir, name);
    if (BGCOPY_FAILED(bgcopy_manager_create_job(mgr, name, BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job)))
        exit(2);
    if (BGCOPY_FAILED(bgcopy_job_add_file(job, url, local)) ||
        BGCOPY_FAILED(seed_register(job, &log)) || BGCOPY_FAILED(bgcopy_job_resume(job)))
        exit(2);
    bgcopy_sim_run_until_idle(sim);
    bgcopy_job_get_state(job, &state);
    bgcopy_job_get_priority(job, &priority);
    printf("%-8s -> %s, %s; JobError x%d, JobModification x%d\n", name,
           bgcopy_job_state_name(state), bgcopy_job_priority_name(priority), log.errors,
           log.modifications);
    if (log.reported)
        printf("  reported: %s\n", log.report);

    ok = expect(state == want_state, name, bgcopy_job_state_name(want_state));
    ok &= expect(log.errors == 1 && log.error_code == BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT, name,
                 "one JobError with BG_E_INSUFFICIENT_RANGE_SUPPORT");
    ok &= expect(log.range_bytes == want_size, name, "JobError to read the file's size");
    ok &= expect(log.modifications > 0, name, "JobModification to read progress and state");
    if (want_state == BGCOPY_JOB_STATE_ACKNOWLEDGED) {
        FILE *f = fopen(local, "rb");
        uint64_t i = 0;
        int c = 0;

        ok &= expect(priority == BGCOPY_JOB_PRIORITY_FOREGROUND && log.foreground_retries == 1 &&
                         log.reported == 0,
                     name, "a retry at FOREGROUND, nothing reported");
        ok &= expect(log.transferred == 1 && log.complete_hr == BGCOPY_S_OK, name,
                     "JobTransferred to complete the job");
        while (f && (c = getc(f)) != EOF && c == bgcopy_sim_pattern_byte(SMALL_SEED, i))
            i++;
        ok &= expect(f && i == want_size && c == EOF, name, "the served bytes on disk");
        if (f)
            fclose(f);
    } else {
        ok &= expect(priority == BGCOPY_JOB_PRIORITY_NORMAL && log.foreground_retries == 0 &&
                         log.reported == 1 && strstr(log.report, "0x80200013") != NULL,
                     name, "no retry, the error reported");
    }

    /* Before exiting, clear the callbacks (BITS: SetNotifyInterface(NULL)); a
     * job in a final state has nothing to clear. */
    if (state != BGCOPY_JOB_STATE_ACKNOWLEDGED) {
        bgcopy_job_set_notify_callbacks(job, NULL, NULL);
        bgcopy_job_cancel(job);
    }
    bgcopy_job_release(job);
    remove(local);
    return ok;
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
    r.seed = SMALL_SEED;
    bgcopy_sim_add_resource(sim, &r);

    mo.sim = sim;
    if (BGCOPY_FAILED(bgcopy_manager_open(&mo, &mgr)))
        return 2;
    ok = run_case(mgr, sim, "dynamic", "http://dynamic.example.test/feed", dir,
                  BGCOPY_JOB_STATE_ERROR, BGCOPY_SIZE_UNKNOWN);
    ok &= run_case(mgr, sim, "big", "http://big.example.test/image.iso", dir,
                   BGCOPY_JOB_STATE_ERROR, 3ULL << 30);
    ok &= run_case(mgr, sim, "small", "http://small.example.test/update.bin", dir,
                   BGCOPY_JOB_STATE_ACKNOWLEDGED, 1 << 20);
    printf("%s\n", ok ? "OK" : "FAILED");
    bgcopy_manager_close(mgr);
    bgcopy_sim_destroy(sim);
    remove(dir);
    return ok ? 0 : 1;
}
