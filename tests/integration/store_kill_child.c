/* store_kill_child.c - the process that tests/integration/test_store_kill.c kills with SIGKILL.
 *
 * It does what an application does across restarts: open a real-mode manager on a state
 * directory (small checkpoints: 256 KiB or 100 ms), look its job up by enumerating the jobs
 * (so a job whose creation committed just before a kill is found even though this process never
 * learned its GUID), create the job only when there is none, add its files when it has none,
 * Resume, and wait. It reports each step on stdout as one line written with a single write(2)
 * (so a line the parent reads is never torn, and nothing is lost in a stdio buffer at the kill):
 *
 *   opened                                     bgcopy_manager_open returned S_OK
 *   start count=N [id=G state=S files=F bytes=B]  jobs found at open (the first one described)
 *   created id=G                               CreateJob returned S_OK
 *   added                                      AddFileSet of all the files returned S_OK
 *   resumed                                    Resume returned S_OK
 *   transferred                                the job reached TRANSFERRED
 *   completing                                 Complete is being called now
 *   completed hr=H us=T                        Complete returned H after T microseconds
 *   end count=N                                jobs enumerated after Complete (or at once)
 *   error <text>                               something unexpected; exit status 2
 *
 *   store_kill_child MODE STATE_DIR DOWNLOAD_DIR BASE_URL NFILES
 *
 * Files: BASE_URL/f<i>.bin is downloaded to DOWNLOAD_DIR/f<i>.bin, i = 0..NFILES-1.
 * MODE:
 *   run     never Completes: after TRANSFERRED it waits until killed (exit 3 after 120 s)
 *   final   Completes the job once TRANSFERRED, prints "end", exits 0
 *   verify  creates nothing: a job left TRANSFERRED is Completed, no job at all is fine; any
 *           other state is an error. Prints "end" and exits 0
 * Exit status: 0 done, 2 an error (reported on stdout), 3 the wait timed out.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bgcopy.h"
#include "jobwait.h"

#define WAIT_SECONDS 120
#define MAX_FILES    64

/* Writes one line to stdout with a single write(2). */
static void say(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (write(1, line, (size_t)n) != n)
        _exit(2);
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* The number of jobs of this user; *first receives the oldest one (a new reference) or NULL. */
static bgcopy_hr find_jobs(bgcopy_manager *mgr, uint32_t *count, bgcopy_job **first)
{
    bgcopy_job_enum *en = NULL;
    uint32_t fetched = 0;
    bgcopy_hr hr;

    *first = NULL;
    *count = 0;
    hr = bgcopy_manager_enum_jobs(mgr, 0, &en);
    if (hr == BGCOPY_S_OK)
        hr = bgcopy_job_enum_get_count(en, count);
    if (hr == BGCOPY_S_OK && *count > 0) {
        hr = bgcopy_job_enum_next(en, 1, first, &fetched);
        if (hr == BGCOPY_S_OK && fetched != 1)
            hr = BGCOPY_E_FAIL;
    }
    bgcopy_job_enum_release(en);
    return hr;
}

static void describe(const char *prefix, uint32_t count, bgcopy_job *job)
{
    char id[BGCOPY_GUID_STRING_SIZE] = "";
    bgcopy_guid g;
    bgcopy_job_progress p;

    if (job == NULL) {
        say("%s count=%u", prefix, count);
        return;
    }
    memset(&p, 0, sizeof(p));
    (void)bgcopy_job_get_id(job, &g);
    (void)bgcopy_guid_to_string(&g, id);
    (void)bgcopy_job_get_progress(job, &p);
    say("%s count=%u id=%s state=%s files=%u bytes=%llu", prefix, count, id,
        bgcopy_job_state_name(jw_state(job)), p.files_total,
        (unsigned long long)p.bytes_transferred);
}

static void report_error_state(bgcopy_job *job)
{
    bgcopy_error *err = NULL;
    bgcopy_error_context ctx = BGCOPY_ERROR_CONTEXT_NONE;
    bgcopy_hr code = BGCOPY_S_OK;

    if (bgcopy_job_get_error(job, &err) == BGCOPY_S_OK) {
        (void)bgcopy_error_get_error(err, &ctx, &code);
        bgcopy_error_release(err);
    }
    say("error job in state %s, error 0x%08X context %s", bgcopy_job_state_name(jw_state(job)),
        (unsigned)code, bgcopy_error_context_name(ctx));
}

/* Completes *job and checks that no job is left; returns the exit status (0 or 2). *job is
 * released. */
static int complete_job(bgcopy_manager *mgr, bgcopy_job **job)
{
    double t0 = now_us();
    uint32_t count = 0;
    bgcopy_hr hr;

    say("completing");
    hr = bgcopy_job_complete(*job);
    say("completed hr=0x%08X us=%.0f", (unsigned)hr, now_us() - t0);
    bgcopy_job_release(*job);
    *job = NULL;
    if (hr != BGCOPY_S_OK)
        return 2;
    if ((hr = find_jobs(mgr, &count, job)) != BGCOPY_S_OK) {
        say("error EnumJobs 0x%08X", (unsigned)hr);
        return 2;
    }
    say("end count=%u", count);
    return count == 0 ? 0 : 2;
}

int main(int argc, char **argv)
{
    static const char *const proxy_vars[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                             "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_manager *mgr = NULL;
    bgcopy_job *job = NULL;
    bgcopy_job_progress p;
    bgcopy_file_info files[MAX_FILES];
    char remote[MAX_FILES][512], local[MAX_FILES][512];
    const char *mode, *state_dir, *dl_dir, *base;
    int nfiles, rc = 2, st;
    uint32_t count = 0, i;
    bgcopy_hr hr;

    if (argc != 6 || (nfiles = atoi(argv[5])) <= 0 || nfiles > MAX_FILES) {
        fprintf(
            stderr,
            "usage: store_kill_child run|final|verify STATE_DIR DOWNLOAD_DIR BASE_URL NFILES\n");
        return 2;
    }
    mode = argv[1];
    state_dir = argv[2];
    dl_dir = argv[3];
    base = argv[4];
    if (strcmp(mode, "run") != 0 && strcmp(mode, "final") != 0 && strcmp(mode, "verify") != 0) {
        fprintf(stderr, "store_kill_child: unknown mode %s\n", mode);
        return 2;
    }
    /* The loopback server must be reached directly. */
    for (i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++)
        unsetenv(proxy_vars[i]);
    for (i = 0; i < (uint32_t)nfiles; i++) {
        snprintf(remote[i], sizeof(remote[i]), "%s/f%u.bin", base, i);
        snprintf(local[i], sizeof(local[i]), "%s/f%u.bin", dl_dir, i);
        files[i].remote_name = remote[i];
        files[i].local_name = local[i];
    }

    o.state_dir = state_dir;
    o.checkpoint_bytes = 256 * 1024;
    o.checkpoint_ms = 100;
    hr = bgcopy_manager_open(&o, &mgr);
    if (hr != BGCOPY_S_OK) {
        say("error open 0x%08X %s", (unsigned)hr, bgcopy_manager_open_detail());
        return 2;
    }
    say("opened");
    if ((hr = find_jobs(mgr, &count, &job)) != BGCOPY_S_OK) {
        say("error EnumJobs 0x%08X", (unsigned)hr);
        goto out;
    }
    describe("start", count, job);
    if (count > 1) {
        say("error %u jobs in the store, expected at most 1", count);
        goto out;
    }

    if (strcmp(mode, "verify") == 0) {
        if (job != NULL) {
            if (jw_state(job) != BGCOPY_JOB_STATE_TRANSFERRED) {
                report_error_state(job);
                goto out;
            }
            goto complete;
        }
        say("end count=0");
        rc = 0;
        goto out;
    }

    if (job == NULL) {
        bgcopy_guid g;
        char id[BGCOPY_GUID_STRING_SIZE];
        hr = bgcopy_manager_create_job(mgr, "store-kill", BGCOPY_JOB_TYPE_DOWNLOAD, &g, &job);
        if (hr != BGCOPY_S_OK) {
            say("error CreateJob 0x%08X", (unsigned)hr);
            goto out;
        }
        (void)bgcopy_guid_to_string(&g, id);
        say("created id=%s", id);
    }
    /* Every run: a kill may have come between CreateJob and these. */
    if ((hr = bgcopy_job_set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND)) != BGCOPY_S_OK) {
        say("error SetPriority 0x%08X", (unsigned)hr);
        goto out;
    }
    if ((hr = bgcopy_job_get_progress(job, &p)) != BGCOPY_S_OK) {
        say("error GetProgress 0x%08X", (unsigned)hr);
        goto out;
    }
    if (p.files_total == 0) {
        if ((hr = bgcopy_job_add_file_set(job, (uint32_t)nfiles, files)) != BGCOPY_S_OK) {
            say("error AddFileSet 0x%08X", (unsigned)hr);
            goto out;
        }
        say("added");
    } else if (p.files_total != (uint32_t)nfiles) {
        /* AddFileSet adds all files or none. */
        say("error the job has %u files, expected 0 or %d", p.files_total, nfiles);
        goto out;
    }
    jw_callbacks(&cb);
    if ((hr = bgcopy_job_set_notify_flags(job,
                                          BGCOPY_NOTIFY_JOB_TRANSFERRED | BGCOPY_NOTIFY_JOB_ERROR |
                                              BGCOPY_NOTIFY_JOB_MODIFICATION)) != BGCOPY_S_OK ||
        (hr = bgcopy_job_set_notify_callbacks(job, &cb, NULL)) != BGCOPY_S_OK) {
        say("error setting the callbacks 0x%08X", (unsigned)hr);
        goto out;
    }
    if ((hr = bgcopy_job_resume(job)) != BGCOPY_S_OK) {
        say("error Resume 0x%08X", (unsigned)hr);
        goto out;
    }
    say("resumed");
    st = jw_wait(job, 1u << BGCOPY_JOB_STATE_TRANSFERRED | 1u << BGCOPY_JOB_STATE_ERROR,
                 WAIT_SECONDS);
    if (st < 0) {
        say("error timed out in state %s", bgcopy_job_state_name(jw_state(job)));
        rc = 3;
        goto out;
    }
    if (st != BGCOPY_JOB_STATE_TRANSFERRED) {
        report_error_state(job);
        goto out;
    }
    say("transferred");
    if (strcmp(mode, "run") == 0) {
        sleep(WAIT_SECONDS); /* until killed */
        say("error not killed");
        rc = 3;
        goto out;
    }

complete:
    rc = complete_job(mgr, &job);
out:
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    return rc;
}
