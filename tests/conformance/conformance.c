/* tests/conformance/conformance.c - the conformance scenarios, written once against the public
 * API and run on any engine: the emulated one (Linux, ctest), the native one over the system's
 * BITS (Windows, or Wine on Linux: `make wine-smoke`), and the emulated one of a Windows build.
 *
 *   bgcopy-conformance --engine emulated|native --dir DIR [--base URL] [--trace FILE]
 *                      [--known FILE] [--scenario NAME]...
 *
 * DIR is a writable directory in the engine's own path syntax (C:\... or Z:\... for BITS, /...
 * for the emulated engine); URL the bgcopy-testserver to download from (http://127.0.0.1:PORT);
 * without it the HTTP scenarios are skipped. Scenarios: download (HTTP download, JobTransferred,
 * Complete, byte comparison), http404 (ERROR with BG_E_HTTP_ERROR(404) and the remote-file
 * context), rules (API rules without a transfer: BG_E_EMPTY, GetJob, EnumJobs, defaults, Job5
 * and File3 properties, final-state rules), localfile (a download from a local path).
 *
 * Every step is a check with the value real BITS gives (from the reference: what the emulated
 * engine implements) and a line of the trace: "scenario.key = value", with nothing
 * run-specific in it (no GUIDs, times, ports or directories), so traces of two engines compare
 * line by line (compare.py). When the native engine runs under Wine, whose BITS is partial, a
 * check listed in the --known file (wine-known.txt: key, tab, reason) that differs is reported
 * as skipped with its reason instead of failed. The last line is "N passed, N failed, N skipped";
 * the exit status is 0 when nothing failed.
 */
#if !defined(_WIN32) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700 /* nanosleep, realpath */
#endif

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <time.h>
#endif

#include "bgcopy.h"

#define DOWNLOAD_SIZE     100000u
#define SETTLE_TIMEOUT_MS 60000
#define NOTIFY_TIMEOUT_MS 10000
#define MAX_KNOWN         128

struct known {
    char key[96];
    char reason[256];
};

struct run {
    bgcopy_manager *mgr;
    int native;
    int wine; /* the native engine is Wine's BITS: the known list applies */
    const char *base;
    const char *dir;
    FILE *trace;
    const char *scenario;
    char self[1024]; /* this program's absolute path */
    struct known known[MAX_KNOWN];
    int known_count;
    int passed, failed, skipped;
};

/* Notifications seen by the callbacks (any thread). */
struct seen {
    atomic_int transferred;
    atomic_int error;
    atomic_int error_code; /* HRESULT of the last JobError */
};

/* ---- portability -------------------------------------------------------------------------- */

static void sleep_ms(int ms)
{
#ifdef _WIN32
    Sleep((DWORD)ms);
#else
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
#endif
}

/* 1 when this program runs under Wine (ntdll exports wine_get_version). */
static int under_wine(void)
{
#ifdef _WIN32
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");

    return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
#else
    return 0;
#endif
}

/* The absolute path of this program (a file that exists, for a notification command line), or
 * "" when it cannot be told. */
static void self_path(char *out, size_t size, const char *argv0)
{
#ifdef _WIN32
    DWORD n = GetModuleFileNameA(NULL, out, (DWORD)size);

    (void)argv0;
    if (n == 0 || n >= size) {
        out[0] = '\0';
    }
#else
    char *p = realpath(argv0, NULL);

    snprintf(out, size, "%s", p != NULL ? p : "");
    free(p);
#endif
}

/* dir + separator + name, in the directory's own syntax. */
static void join(char *out, size_t size, const char *dir, const char *name)
{
    char sep = strchr(dir, '\\') != NULL ? '\\' : '/';

    snprintf(out, size, "%s%c%s", dir, sep, name);
}

/* ---- checks and the trace ---------------------------------------------------------------- */

static const char *known_reason(const struct run *r, const char *key)
{
    int i;

    for (i = 0; i < r->known_count; i++) {
        if (strcmp(r->known[i].key, key) == 0) {
            return r->known[i].reason;
        }
    }
    return NULL;
}

/* One step: traces "scenario.key = actual" and checks it against expected. */
static int check(struct run *r, const char *key, const char *actual, const char *expected)
{
    char full[128];
    const char *reason;

    snprintf(full, sizeof(full), "%s.%s", r->scenario, key);
    if (r->trace != NULL) {
        fprintf(r->trace, "%s = %s\n", full, actual);
        fflush(r->trace);
    }
    if (strcmp(actual, expected) == 0) {
        printf("ok    %s = %s\n", full, actual);
        r->passed++;
        return 1;
    }
    reason = r->wine ? known_reason(r, full) : NULL;
    if (reason != NULL) {
        printf("skip  %s = %s (BITS: %s) - Wine: %s\n", full, actual, expected, reason);
        r->skipped++;
        return 0;
    }
    printf("FAIL  %s = %s, expected %s\n", full, actual, expected);
    r->failed++;
    return 0;
}

/* A check whose value is built with printf. */
static int checkf(struct run *r, const char *key, const char *expected, const char *fmt, ...)
{
    char actual[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(actual, sizeof(actual), fmt, ap);
    va_end(ap);
    return check(r, key, actual, expected);
}

/* A scenario (or a part) the run cannot do at all: one skipped line with the reason. */
static void skip_all(struct run *r, const char *what, const char *reason)
{
    printf("skip  %s.%s - %s\n", r->scenario, what, reason);
    r->skipped++;
}

/* "0x80200003 BG_E_EMPTY" */
static const char *hr_text(bgcopy_hr hr, char *buf, size_t size)
{
    const char *name = bgcopy_hr_name(hr);

    snprintf(buf, size, "0x%08X %s", (unsigned)hr, name != NULL ? name : "?");
    return buf;
}

static int check_hr(struct run *r, const char *key, bgcopy_hr actual, bgcopy_hr expected)
{
    char a[96], e[96];

    return check(r, key, hr_text(actual, a, sizeof(a)), hr_text(expected, e, sizeof(e)));
}

static const char *size_text(uint64_t v, char *buf, size_t size)
{
    if (v == BGCOPY_SIZE_UNKNOWN) {
        snprintf(buf, size, "UNKNOWN");
    } else {
        snprintf(buf, size, "%llu", (unsigned long long)v);
    }
    return buf;
}

static bgcopy_job_state state_of(bgcopy_job *job)
{
    bgcopy_job_state s = (bgcopy_job_state)-1;

    if (BGCOPY_FAILED(bgcopy_job_get_state(job, &s))) {
        return (bgcopy_job_state)-1;
    }
    return s;
}

static const char *state_text(bgcopy_job_state s)
{
    const char *name = bgcopy_job_state_name(s);

    return name != NULL ? name : "(GetState failed)";
}

static void check_state(struct run *r, const char *key, bgcopy_job *job, bgcopy_job_state want)
{
    check(r, key, state_text(state_of(job)), state_text(want));
}

/* Polls until the job leaves QUEUED / CONNECTING / TRANSFERRING (or the timeout). The states
 * passed through depend on timing, so they are checked against the allowed set, not traced. */
static bgcopy_job_state settle(struct run *r, bgcopy_job *job)
{
    int waited = 0, odd = 0;
    bgcopy_job_state s = state_of(job);

    while ((s == BGCOPY_JOB_STATE_QUEUED || s == BGCOPY_JOB_STATE_CONNECTING ||
            s == BGCOPY_JOB_STATE_TRANSFERRING) &&
           waited < SETTLE_TIMEOUT_MS) {
        sleep_ms(20);
        waited += 20;
        s = state_of(job);
        if (s == BGCOPY_JOB_STATE_SUSPENDED) {
            odd = 1; /* must never happen on its own */
        }
    }
    check(r, "transit_states", odd ? "unexpected SUSPENDED" : "QUEUED/CONNECTING/TRANSFERRING",
          "QUEUED/CONNECTING/TRANSFERRING");
    return s;
}

/* Waits up to NOTIFY_TIMEOUT_MS for *counter to become non-zero. */
static int wait_counter(atomic_int *counter)
{
    int waited = 0;

    while (atomic_load(counter) == 0 && waited < NOTIFY_TIMEOUT_MS) {
        sleep_ms(20);
        waited += 20;
    }
    return atomic_load(counter) != 0;
}

/* ---- callbacks ---------------------------------------------------------------------------- */

static bgcopy_hr on_transferred(bgcopy_job *job, void *user)
{
    struct seen *s = user;

    (void)job;
    atomic_fetch_add(&s->transferred, 1);
    return BGCOPY_S_OK;
}

static bgcopy_hr on_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    struct seen *s = user;
    bgcopy_error_context ctx;
    bgcopy_hr code = 0;

    (void)job;
    if (BGCOPY_SUCCEEDED(bgcopy_error_get_error(err, &ctx, &code))) {
        atomic_store(&s->error_code, code);
    }
    atomic_fetch_add(&s->error, 1);
    return BGCOPY_S_OK;
}

static bgcopy_hr register_callbacks(bgcopy_job *job, struct seen *s)
{
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;

    cb.job_transferred = on_transferred;
    cb.job_error = on_error;
    return bgcopy_job_set_notify_callbacks(job, &cb, s);
}

/* ---- shared steps ------------------------------------------------------------------------ */

/* Byte i of /gen/<size> (docs/testserver.md). */
static unsigned char gen_byte(uint64_t i)
{
    return (unsigned char)((i * 131 + 7) & 0xFF);
}

/* Compares path with n bytes of the /gen pattern. */
static void check_content(struct run *r, const char *key, const char *path, uint64_t n)
{
    FILE *f = fopen(path, "rb");
    uint64_t i = 0;
    int c;

    if (f == NULL) {
        check(r, key, "cannot open", "match");
        return;
    }
    while ((c = fgetc(f)) != EOF) {
        if (i >= n || (unsigned char)c != gen_byte(i)) {
            break;
        }
        i++;
    }
    fclose(f);
    if (i == n && c == EOF) {
        check(r, key, "match", "match");
    } else {
        checkf(r, key, "match", "differs at byte %llu", (unsigned long long)i);
    }
}

static void write_gen_file(const char *path, uint64_t n)
{
    FILE *f = fopen(path, "wb");
    uint64_t i;

    if (f == NULL) {
        return; /* the transfer then fails, which the checks report */
    }
    for (i = 0; i < n; i++) {
        fputc(gen_byte(i), f);
    }
    fclose(f);
}

static void check_job_progress(struct run *r, const char *key, bgcopy_job *job,
                               const char *expected)
{
    bgcopy_job_progress p;
    char a[32], b[32];
    bgcopy_hr hr = bgcopy_job_get_progress(job, &p);

    if (BGCOPY_FAILED(hr)) {
        check_hr(r, key, hr, BGCOPY_S_OK);
        return;
    }
    checkf(r, key, expected, "bytes %s/%s files %u/%u",
           size_text(p.bytes_transferred, a, sizeof(a)), size_text(p.bytes_total, b, sizeof(b)),
           p.files_transferred, p.files_total);
}

/* The job's first file (a new reference), or NULL. */
static bgcopy_file *first_file(bgcopy_job *job)
{
    bgcopy_file_enum *e = NULL;
    bgcopy_file *f = NULL;

    if (BGCOPY_SUCCEEDED(bgcopy_job_enum_files(job, &e))) {
        if (bgcopy_file_enum_next(e, 1, &f, NULL) != BGCOPY_S_OK) {
            f = NULL;
        }
        bgcopy_file_enum_release(e);
    }
    return f;
}

static void check_file_progress(struct run *r, const char *key, bgcopy_job *job,
                                const char *expected)
{
    bgcopy_file *f = first_file(job);
    bgcopy_file_progress p;
    char a[32], b[32];

    if (f == NULL) {
        check(r, key, "no file", expected);
        return;
    }
    if (BGCOPY_SUCCEEDED(bgcopy_file_get_progress(f, &p))) {
        checkf(r, key, expected, "bytes %s/%s completed %d",
               size_text(p.bytes_transferred, a, sizeof(a)), size_text(p.bytes_total, b, sizeof(b)),
               p.completed);
    } else {
        check(r, key, "GetProgress failed", expected);
    }
    bgcopy_file_release(f);
}

/* A transfer job from remote to local, taken to a settled state. Returns the job (or NULL
 * after a failed step). */
static bgcopy_job *start_transfer(struct run *r, const char *name, const char *remote,
                                  const char *local, struct seen *seen)
{
    bgcopy_job *job = NULL;
    bgcopy_guid id;
    uint32_t flags = 0;
    bgcopy_hr hr;

    if (!check_hr(r, "create_job",
                  bgcopy_manager_create_job(r->mgr, name, BGCOPY_JOB_TYPE_DOWNLOAD, &id, &job),
                  BGCOPY_S_OK)) {
        return NULL;
    }
    check_state(r, "new_state", job, BGCOPY_JOB_STATE_SUSPENDED);
    hr = bgcopy_job_get_notify_flags(job, &flags);
    checkf(r, "notify_flags", "S_OK 0x3", "%s 0x%X", BGCOPY_SUCCEEDED(hr) ? "S_OK" : "FAILED",
           flags);
    check_job_progress(r, "new_progress", job, "bytes 0/0 files 0/0");
    check_hr(r, "set_callbacks", register_callbacks(job, seen), BGCOPY_S_OK);
    {
        bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
        void *user = NULL;
        int registered = 0;

        hr = bgcopy_job_get_notify_callbacks(job, &registered, &cb, &user);
        checkf(r, "get_callbacks", "0x00000000 S_OK registered 1 ours 1",
               "%s registered %d ours %d", hr_text(hr, (char[96]){0}, 96), registered,
               user == seen && cb.job_transferred == on_transferred);
    }
    check_hr(r, "add_file", bgcopy_job_add_file(job, remote, local), BGCOPY_S_OK);
    check_file_progress(r, "added_file_progress", job, "bytes 0/UNKNOWN completed 0");
    check_hr(r, "resume", bgcopy_job_resume(job), BGCOPY_S_OK);
    return job;
}

/* ---- scenarios --------------------------------------------------------------------------- */

/* download: a 100,000-byte file from the test server, JobTransferred, Complete, the bytes. */
static void scenario_download(struct run *r)
{
    struct seen seen = {0, 0, 0};
    char remote[512], local[1024];
    bgcopy_error *err = NULL;
    bgcopy_job *job;

    snprintf(remote, sizeof(remote), "%s/gen/%u", r->base, DOWNLOAD_SIZE);
    join(local, sizeof(local), r->dir, "download.bin");
    remove(local);
    job = start_transfer(r, "conformance download", remote, local, &seen);
    if (job == NULL) {
        return;
    }
    check(r, "settled_state", state_text(settle(r, job)), "TRANSFERRED");
    check(r, "callback_job_transferred",
          wait_counter(&seen.transferred) ? "delivered" : "not delivered", "delivered");
    check_job_progress(r, "transferred_progress", job, "bytes 100000/100000 files 1/1");
    check_file_progress(r, "transferred_file_progress", job, "bytes 100000/100000 completed 0");
    check_hr(r, "get_error_after_success", bgcopy_job_get_error(job, &err),
             BGCOPY_E_ERROR_INFORMATION_UNAVAILABLE);
    bgcopy_error_release(err);
    check_hr(r, "complete", bgcopy_job_complete(job), BGCOPY_S_OK);
    check_state(r, "completed_state", job, BGCOPY_JOB_STATE_ACKNOWLEDGED);
    check_content(r, "content", local, DOWNLOAD_SIZE);
    check_hr(r, "complete_again", bgcopy_job_complete(job), BGCOPY_E_INVALID_STATE);
    check_hr(r, "cancel_after_complete", bgcopy_job_cancel(job), BGCOPY_E_INVALID_STATE);
    bgcopy_job_release(job);
    remove(local);
}

/* http404: the server answers 404; ERROR with BG_E_HTTP_ERROR(404), context REMOTE_FILE, the
 * error names the file; JobError; Cancel. */
static void scenario_http404(struct run *r)
{
    struct seen seen = {0, 0, 0};
    char remote[512], local[1024], *name = NULL, *protocol = NULL;
    bgcopy_error *err = NULL;
    bgcopy_file *file = NULL;
    bgcopy_error_context ctx = BGCOPY_ERROR_CONTEXT_NONE;
    bgcopy_hr code = 0, hr;
    bgcopy_job *job;

    snprintf(remote, sizeof(remote), "%s/missing/file.bin", r->base);
    join(local, sizeof(local), r->dir, "missing.bin");
    job = start_transfer(r, "conformance 404", remote, local, &seen);
    if (job == NULL) {
        return;
    }
    check(r, "settled_state", state_text(settle(r, job)), "ERROR");
    hr = bgcopy_job_get_error(job, &err);
    if (check_hr(r, "get_error", hr, BGCOPY_S_OK)) {
        char a[96];

        bgcopy_error_get_error(err, &ctx, &code);
        checkf(r, "error", "context 5 code 0x80190194 BG_E_HTTP_ERROR_404", "context %d code %s",
               (int)ctx, hr_text(code, a, sizeof(a)));
        hr = bgcopy_error_get_file(err, &file);
        if (check_hr(r, "error_get_file", hr, BGCOPY_S_OK)) {
            bgcopy_file_get_remote_name(file, &name);
            check(r, "error_file_is_remote",
                  name != NULL && strcmp(name, remote) == 0 ? "yes" : "no", "yes");
            bgcopy_free(name);
            bgcopy_file_release(file);
        }
        hr = bgcopy_error_get_protocol(err, &protocol);
        checkf(r, "error_protocol", "0x00000000 S_OK http", "%s %s", hr_text(hr, (char[96]){0}, 96),
               protocol != NULL ? protocol : "(null)");
        bgcopy_free(protocol);
        bgcopy_error_release(err);
    }
    check(r, "callback_job_error", wait_counter(&seen.error) ? "delivered" : "not delivered",
          "delivered");
    if (atomic_load(&seen.error) != 0) {
        checkf(r, "callback_job_error_code", "0x80190194", "0x%08X",
               (unsigned)atomic_load(&seen.error_code));
    }
    check_hr(r, "cancel", bgcopy_job_cancel(job), BGCOPY_S_OK);
    check_state(r, "cancelled_state", job, BGCOPY_JOB_STATE_CANCELLED);
    check_hr(r, "cancel_again", bgcopy_job_cancel(job), BGCOPY_E_INVALID_STATE);
    bgcopy_job_release(job);
    remove(local);
}

/* rules: what real BITS answers without transferring anything. */
static void scenario_rules(struct run *r)
{
    bgcopy_job *job = NULL, *again = NULL;
    bgcopy_job_enum *e = NULL;
    bgcopy_guid id, id2;
    bgcopy_job_priority prio = (bgcopy_job_priority)-1;
    bgcopy_job_property_value v;
    uint32_t u = 0, count = 0, i;
    char *s = NULL, remote[1024], local[1024];
    bgcopy_file *f;
    bgcopy_hr hr;
    int listed = 0;

    if (!check_hr(r, "create_job",
                  bgcopy_manager_create_job(r->mgr, "conformance rules", BGCOPY_JOB_TYPE_DOWNLOAD,
                                            &id, &job),
                  BGCOPY_S_OK)) {
        return;
    }
    check_hr(r, "resume_empty", bgcopy_job_resume(job), BGCOPY_E_EMPTY);
    check_state(r, "state_after_resume_empty", job, BGCOPY_JOB_STATE_SUSPENDED);

    hr = bgcopy_manager_get_job(r->mgr, &id, &again);
    if (check_hr(r, "get_job", hr, BGCOPY_S_OK)) {
        hr = bgcopy_job_get_id(again, &id2);
        check(r, "get_job_same_id",
              BGCOPY_SUCCEEDED(hr) && bgcopy_guid_equal(&id, &id2) ? "yes" : "no", "yes");
        bgcopy_job_release(again);
    }
    hr = bgcopy_manager_enum_jobs(r->mgr, 0, &e);
    if (check_hr(r, "enum_jobs", hr, BGCOPY_S_OK)) {
        bgcopy_job_enum_get_count(e, &count);
        for (i = 0; i < count; i++) {
            bgcopy_job *it = NULL;

            if (bgcopy_job_enum_next(e, 1, &it, NULL) == BGCOPY_S_OK) {
                listed |=
                    BGCOPY_SUCCEEDED(bgcopy_job_get_id(it, &id2)) && bgcopy_guid_equal(&id, &id2);
                bgcopy_job_release(it);
            }
        }
        check(r, "enum_jobs_lists_job", listed ? "yes" : "no", "yes");
        bgcopy_job_enum_release(e);
    }

    hr = bgcopy_job_get_priority(job, &prio);
    checkf(r, "priority", "0x00000000 S_OK NORMAL", "%s %s", hr_text(hr, (char[96]){0}, 96),
           BGCOPY_SUCCEEDED(hr) ? bgcopy_job_priority_name(prio) : "-");
    hr = bgcopy_job_get_minimum_retry_delay(job, &u);
    checkf(r, "minimum_retry_delay", "S_OK 600", "%s %u", BGCOPY_SUCCEEDED(hr) ? "S_OK" : "FAIL",
           u);
    hr = bgcopy_job_get_no_progress_timeout(job, &u);
    checkf(r, "no_progress_timeout", "S_OK 1209600", "%s %u",
           BGCOPY_SUCCEEDED(hr) ? "S_OK" : "FAIL", u);
    check_hr(r, "set_notify_flags_invalid", bgcopy_job_set_notify_flags(job, 0x40),
             BGCOPY_E_NOTIMPL);
    hr = bgcopy_job_get_custom_headers(job, &s);
    checkf(r, "custom_headers_unset", "0x00000001 S_FALSE (null)", "%s %s",
           hr_text(hr, (char[96]){0}, 96), s != NULL ? s : "(null)");
    bgcopy_free(s);
    s = NULL;
    check_hr(r, "set_display_name", bgcopy_job_set_display_name(job, "renamed"), BGCOPY_S_OK);
    hr = bgcopy_job_get_display_name(job, &s);
    checkf(r, "display_name", "renamed", "%s", BGCOPY_SUCCEEDED(hr) && s != NULL ? s : "-");
    bgcopy_free(s);
    s = NULL;
    check_hr(r, "suspend", bgcopy_job_suspend(job), BGCOPY_S_OK);

    /* Job2::SetNotifyCmdLine passes through (program only: its parameters' first token would
     * have to repeat the program in the platform's own quoting). */
    check_hr(r, "set_notify_cmd_line", bgcopy_job_set_notify_cmd_line(job, r->self, NULL),
             BGCOPY_S_OK);
    {
        char *program = NULL, *parameters = NULL;

        hr = bgcopy_job_get_notify_cmd_line(job, &program, &parameters);
        checkf(r, "notify_cmd_line", "0x00000000 S_OK program=self", "%s program=%s",
               hr_text(hr, (char[96]){0}, 96),
               program == NULL                 ? "(null)"
               : strcmp(program, r->self) == 0 ? "self"
                                               : program);
        bgcopy_free(program);
        bgcopy_free(parameters);
    }

    /* Job5's NOTIFICATION_CLSID (GUID_NULL clears it). */
    memset(&v, 0, sizeof(v));
    check_hr(r, "set_notification_clsid",
             bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_NOTIFICATION_CLSID, &v), BGCOPY_S_OK);

    /* IBackgroundCopyJob5 (BITS 5.0): a system without it answers E_NOINTERFACE. */
    hr = bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_ID_COST_FLAGS, &v);
    checkf(r, "job5_cost_flags", "0x00000000 S_OK 0x800000FF", "%s 0x%08X",
           hr_text(hr, (char[96]){0}, 96), BGCOPY_SUCCEEDED(hr) ? (unsigned)v.dword : 0u);

    /* IBackgroundCopyFile3 (BITS 3.0): GetTemporaryName. */
    join(remote, sizeof(remote), r->dir, "rules-source.bin");
    join(local, sizeof(local), r->dir, "rules.bin");
    write_gen_file(remote, 16);
    check_hr(r, "add_local_file", bgcopy_job_add_file(job, remote, local), BGCOPY_S_OK);
    f = first_file(job);
    if (f != NULL) {
        hr = bgcopy_file_get_temporary_name(f, &s);
        check_hr(r, "file3_temporary_name", hr, BGCOPY_S_OK);
        bgcopy_free(s);
        s = NULL;
        bgcopy_file_release(f);
    } else {
        check(r, "file3_temporary_name", "no file", "0x00000000 S_OK");
    }

    check_hr(r, "cancel", bgcopy_job_cancel(job), BGCOPY_S_OK);
    check_state(r, "cancelled_state", job, BGCOPY_JOB_STATE_CANCELLED);
    check_hr(r, "cancel_again", bgcopy_job_cancel(job), BGCOPY_E_INVALID_STATE);
    check_hr(r, "set_notify_flags_final", bgcopy_job_set_notify_flags(job, 0x3),
             BGCOPY_E_INVALID_STATE);
    bgcopy_job_release(job);
    remove(remote);
    remove(local);
}

/* localfile: a download from a local path (the emulated engine's file transport, BITS' SMB /
 * local copy). */
static void scenario_localfile(struct run *r)
{
    struct seen seen = {0, 0, 0};
    char remote[1024], local[1024];
    bgcopy_job *job;

    join(remote, sizeof(remote), r->dir, "local-source.bin");
    join(local, sizeof(local), r->dir, "local-copy.bin");
    remove(local);
    write_gen_file(remote, 65536);
    job = start_transfer(r, "conformance local", remote, local, &seen);
    if (job == NULL) {
        return;
    }
    check(r, "settled_state", state_text(settle(r, job)), "TRANSFERRED");
    check(r, "callback_job_transferred",
          wait_counter(&seen.transferred) ? "delivered" : "not delivered", "delivered");
    check_hr(r, "complete", bgcopy_job_complete(job), BGCOPY_S_OK);
    check_state(r, "completed_state", job, BGCOPY_JOB_STATE_ACKNOWLEDGED);
    check_content(r, "content", local, 65536);
    bgcopy_job_release(job);
    remove(remote);
    remove(local);
}

/* ---- main -------------------------------------------------------------------------------- */

static void load_known(struct run *r, const char *path)
{
    char line[512];
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        fprintf(stderr, "bgcopy-conformance: cannot read %s\n", path);
        exit(2);
    }
    while (fgets(line, sizeof(line), f) != NULL && r->known_count < MAX_KNOWN) {
        char *tab = strchr(line, '\t'), *end;

        if (line[0] == '#' || tab == NULL) {
            continue;
        }
        *tab = '\0';
        end = tab + 1 + strcspn(tab + 1, "\r\n");
        *end = '\0';
        if (strlen(line) >= sizeof(r->known[0].key) ||
            strlen(tab + 1) >= sizeof(r->known[0].reason)) {
            fprintf(stderr, "bgcopy-conformance: %s: line too long for key %s\n", path, line);
            exit(2);
        }
        memcpy(r->known[r->known_count].key, line, strlen(line) + 1);
        memcpy(r->known[r->known_count].reason, tab + 1, strlen(tab + 1) + 1);
        r->known_count++;
    }
    fclose(f);
}

static int usage(void)
{
    fprintf(stderr, "usage: bgcopy-conformance --engine emulated|native --dir DIR [--base URL] "
                    "[--trace FILE] [--known FILE] [--scenario NAME]...\n");
    return 2;
}

int main(int argc, char **argv)
{
    static const char *all[] = {"download", "http404", "rules", "localfile"};
    const char *engine = NULL, *trace = NULL, *chosen[8];
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    struct run r;
    int nchosen = 0, i;
    bgcopy_hr hr;

    memset(&r, 0, sizeof(r));
    setvbuf(stdout, NULL, _IONBF, 0);
    self_path(r.self, sizeof(r.self), argv[0]);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (v == NULL) {
            return usage();
        }
        if (strcmp(a, "--engine") == 0) {
            engine = v;
        } else if (strcmp(a, "--dir") == 0) {
            r.dir = v;
        } else if (strcmp(a, "--base") == 0) {
            r.base = v;
        } else if (strcmp(a, "--trace") == 0) {
            trace = v;
        } else if (strcmp(a, "--known") == 0) {
            load_known(&r, v);
        } else if (strcmp(a, "--scenario") == 0 && nchosen < 8) {
            chosen[nchosen++] = v;
        } else {
            return usage();
        }
        i++;
    }
    if (engine == NULL || r.dir == NULL) {
        return usage();
    }
    if (strcmp(engine, "native") == 0) {
        o.engine = BGCOPY_ENGINE_NATIVE;
        r.native = 1;
    } else if (strcmp(engine, "emulated") == 0) {
        o.engine = BGCOPY_ENGINE_EMULATED;
        o.state_dir = BGCOPY_STATE_MEMORY;
    } else {
        return usage();
    }
    r.wine = r.native && under_wine();
    if (!r.native && r.self[0] != '\0' && r.self[1] == ':') {
        /* The emulated engine takes '/'-rooted names on Windows too (drive letters are not
         * modelled): C:\dir\prog.exe -> /dir/prog.exe on the current drive. */
        char *c;

        memmove(r.self, r.self + 2, strlen(r.self + 2) + 1);
        for (c = r.self; *c != '\0'; c++) {
            *c = *c == '\\' ? '/' : *c;
        }
    }
    if (nchosen == 0) {
        for (i = 0; i < 4; i++) {
            chosen[nchosen++] = all[i];
        }
    }
    if (trace != NULL) {
        r.trace = fopen(trace, "w");
        if (r.trace == NULL) {
            fprintf(stderr, "bgcopy-conformance: cannot write %s\n", trace);
            return 2;
        }
    }

    printf("engine %s%s\n", engine, r.wine ? " (Wine's BITS)" : "");
    hr = bgcopy_manager_open(&o, &r.mgr);
    if (BGCOPY_FAILED(hr)) {
        char text[256];

        bgcopy_hr_format(hr, text, sizeof(text));
        printf("FAIL  bgcopy_manager_open: %s %s\n", text, bgcopy_manager_open_detail());
        printf("0 passed, 1 failed, 0 skipped\n");
        return 1;
    }
    for (i = 0; i < nchosen; i++) {
        r.scenario = chosen[i];
        if ((strcmp(chosen[i], "download") == 0 || strcmp(chosen[i], "http404") == 0) &&
            r.base == NULL) {
            skip_all(&r, "*", "no --base URL given: the HTTP scenarios need the test server");
            continue;
        }
        if (strcmp(chosen[i], "download") == 0) {
            scenario_download(&r);
        } else if (strcmp(chosen[i], "http404") == 0) {
            scenario_http404(&r);
        } else if (strcmp(chosen[i], "rules") == 0) {
            scenario_rules(&r);
        } else if (strcmp(chosen[i], "localfile") == 0) {
            scenario_localfile(&r);
        } else {
            fprintf(stderr, "bgcopy-conformance: unknown scenario %s\n", chosen[i]);
            return 2;
        }
    }
    bgcopy_manager_close(r.mgr);
    if (r.trace != NULL) {
        fclose(r.trace);
    }
    printf("%d passed, %d failed, %d skipped\n", r.passed, r.failed, r.skipped);
    return r.failed == 0 ? 0 : 1;
}
