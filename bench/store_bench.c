/* store_bench.c - the measurements of the job store (core/store.c): the bgcopy side of
 * bench/store_bench.sh (`make bench-store`), which runs it and writes bench/results-store.md.
 *
 *   store_bench populate STATE_DIR COUNT DOWNLOAD_DIR
 *       Creates COUNT download jobs through the public API in STATE_DIR (an administrator
 *       manager with the job limits raised to COUNT), each with one file
 *       (http://127.0.0.1:9/f<i>.bin -> DOWNLOAD_DIR/f<i>.bin; nothing is transferred: the jobs
 *       stay SUSPENDED), then closes the manager.
 *       Prints: jobs=N create_s=T (CreateJob + AddFile for all) close_s=T
 *   store_bench open STATE_DIR
 *       Times bgcopy_manager_open on STATE_DIR (the store is opened and every job loaded),
 *       counts the jobs (EnumJobs), closes.
 *       Prints: open_s=T jobs=N rss_before_kib=K rss_after_kib=K hwm_kib=K enum_s=T close_s=T
 *       (VmRSS before the open and after it, and the peak VmHWM, from /proc/self/status)
 *   store_bench download MODE STATE_DIR URL OUTPUT
 *       One FOREGROUND download (Resume, wait for JobTransferred, Complete) with the store in
 *       MODE: on (checkpoints at their defaults, 8 MiB / 2 s), off (checkpoint_bytes =
 *       UINT64_MAX, checkpoint_ms = UINT32_MAX: only state changes are written) or memory
 *       (state_dir ":memory:", no store; STATE_DIR is ignored).
 *       Prints: transferred_s=T complete_s=T bytes=N user_s=T sys_s=T
 *
 * Exit status 0 on success, 1 on a failure (with the HRESULT on stderr), 2 on bad usage.
 * Waits at most 600 s for any event.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bgcopy.h"
#include "jobwait.h"

#define WAIT_SECONDS 600

/* A field of /proc/self/status in KiB ("VmRSS", "VmHWM"), or -1. */
static long proc_status_kib(const char *field)
{
    char line[256];
    size_t n = strlen(field);
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

static int fail_hr(const char *what, bgcopy_hr hr)
{
    fprintf(stderr, "store_bench: %s failed: 0x%08X %s\n", what, (unsigned)hr,
            bgcopy_manager_open_detail());
    return 1;
}

static int populate(const char *state_dir, long count, const char *dl_dir)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL;
    char remote[64], local[1024];
    double t0, t1, t2;
    bgcopy_hr hr;
    long i;

    o.state_dir = state_dir;
    o.user_is_admin = 1;
    o.max_jobs_per_user = (uint32_t)count;
    o.max_jobs_per_machine = (uint32_t)count;
    if ((hr = bgcopy_manager_open(&o, &mgr)) != BGCOPY_S_OK)
        return fail_hr("open", hr);
    t0 = jw_now();
    for (i = 0; i < count; i++) {
        bgcopy_job *job = NULL;
        char name[32];
        snprintf(name, sizeof(name), "bench job %ld", i);
        snprintf(remote, sizeof(remote), "http://127.0.0.1:9/f%ld.bin", i);
        snprintf(local, sizeof(local), "%s/f%ld.bin", dl_dir, i);
        if ((hr = bgcopy_manager_create_job(mgr, name, BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job)) !=
            BGCOPY_S_OK) {
            bgcopy_manager_close(mgr);
            return fail_hr("CreateJob", hr);
        }
        hr = bgcopy_job_add_file(job, remote, local);
        bgcopy_job_release(job);
        if (hr != BGCOPY_S_OK) {
            bgcopy_manager_close(mgr);
            return fail_hr("AddFile", hr);
        }
    }
    t1 = jw_now();
    bgcopy_manager_close(mgr);
    t2 = jw_now();
    printf("jobs=%ld create_s=%.3f close_s=%.3f\n", count, t1 - t0, t2 - t1);
    return 0;
}

static int open_store(const char *state_dir)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL;
    bgcopy_job_enum *en = NULL;
    uint32_t count = 0;
    long rss_before = proc_status_kib("VmRSS"), rss_after, hwm;
    double t0, t1, t2, t3;
    bgcopy_hr hr;

    o.state_dir = state_dir;
    o.user_is_admin = 1;
    t0 = jw_now();
    hr = bgcopy_manager_open(&o, &mgr);
    t1 = jw_now();
    if (hr != BGCOPY_S_OK)
        return fail_hr("open", hr);
    rss_after = proc_status_kib("VmRSS");
    hwm = proc_status_kib("VmHWM");
    hr = bgcopy_manager_enum_jobs(mgr, 0, &en);
    if (hr == BGCOPY_S_OK)
        hr = bgcopy_job_enum_get_count(en, &count);
    bgcopy_job_enum_release(en);
    t2 = jw_now();
    bgcopy_manager_close(mgr);
    t3 = jw_now();
    if (hr != BGCOPY_S_OK)
        return fail_hr("EnumJobs", hr);
    printf("open_s=%.4f jobs=%u rss_before_kib=%ld rss_after_kib=%ld hwm_kib=%ld enum_s=%.4f "
           "close_s=%.4f\n",
           t1 - t0, count, rss_before, rss_after, hwm, t2 - t1, t3 - t2);
    return 0;
}

static int download(const char *mode, const char *state_dir, const char *url, const char *out)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_manager *mgr = NULL;
    bgcopy_job *job = NULL;
    bgcopy_job_progress p;
    struct rusage ru;
    double t0, t1, t2;
    int rc = 1, st;
    bgcopy_hr hr;

    if (strcmp(mode, "on") == 0) {
        o.state_dir = state_dir;
    } else if (strcmp(mode, "off") == 0) {
        o.state_dir = state_dir;
        o.checkpoint_bytes = UINT64_MAX;
        o.checkpoint_ms = UINT32_MAX;
    } else if (strcmp(mode, "memory") == 0) {
        o.state_dir = BGCOPY_STATE_MEMORY;
    } else {
        fprintf(stderr, "store_bench: unknown mode %s (on, off, memory)\n", mode);
        return 2;
    }
    jw_callbacks(&cb);
    if ((hr = bgcopy_manager_open(&o, &mgr)) != BGCOPY_S_OK)
        return fail_hr("open", hr);
    if ((hr = bgcopy_manager_create_job(mgr, "store_bench", BGCOPY_JOB_TYPE_DOWNLOAD, NULL,
                                        &job)) != BGCOPY_S_OK ||
        (hr = bgcopy_job_set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND)) != BGCOPY_S_OK ||
        (hr = bgcopy_job_set_notify_flags(job, BGCOPY_NOTIFY_JOB_TRANSFERRED |
                                                   BGCOPY_NOTIFY_JOB_ERROR)) != BGCOPY_S_OK ||
        (hr = bgcopy_job_set_notify_callbacks(job, &cb, NULL)) != BGCOPY_S_OK ||
        (hr = bgcopy_job_add_file(job, url, out)) != BGCOPY_S_OK) {
        fail_hr("setting up the job", hr);
        goto out;
    }
    t0 = jw_now();
    if ((hr = bgcopy_job_resume(job)) != BGCOPY_S_OK) {
        fail_hr("Resume", hr);
        goto out;
    }
    st = jw_wait(job, 1u << BGCOPY_JOB_STATE_TRANSFERRED | 1u << BGCOPY_JOB_STATE_ERROR,
                 WAIT_SECONDS);
    t1 = jw_now();
    if (st != BGCOPY_JOB_STATE_TRANSFERRED) {
        fprintf(stderr, "store_bench: the job ended in state %s\n",
                bgcopy_job_state_name(jw_state(job)));
        goto out;
    }
    (void)bgcopy_job_get_progress(job, &p);
    if ((hr = bgcopy_job_complete(job)) != BGCOPY_S_OK) {
        fail_hr("Complete", hr);
        goto out;
    }
    t2 = jw_now();
    getrusage(RUSAGE_SELF, &ru);
    printf("transferred_s=%.3f complete_s=%.3f bytes=%llu user_s=%.3f sys_s=%.3f\n", t1 - t0,
           t2 - t1, (unsigned long long)p.bytes_transferred,
           (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
    rc = 0;
out:
    if (job != NULL && rc != 0)
        (void)bgcopy_job_cancel(job);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "populate") == 0 && atol(argv[3]) > 0)
        return populate(argv[2], atol(argv[3]), argv[4]);
    if (argc == 3 && strcmp(argv[1], "open") == 0)
        return open_store(argv[2]);
    if (argc == 6 && strcmp(argv[1], "download") == 0)
        return download(argv[2], argv[3], argv[4], argv[5]);
    fprintf(stderr, "usage: store_bench populate STATE_DIR COUNT DOWNLOAD_DIR\n"
                    "       store_bench open STATE_DIR\n"
                    "       store_bench download on|off|memory STATE_DIR URL OUTPUT\n");
    return 2;
}
