/* tests/unit/test_service.c - bgcopyd and BGCOPY_ENGINE_SERVICE (service/).
 *
 * Registered twice, like the other real-mode tests (tests/helpers/svcmode.h): unit_service runs
 * in-process, service_service through a bgcopyd the test starts on demand in its own runtime
 * and state directories and stops by pid at exit.
 *
 * Both modes (the same assertions, so every engine entry is pinned to answer the same through
 * the socket as in-process): every property round trip, the HRESULTs the engine (not api.c)
 * decides - BG_E_INVALID_STATE, BG_E_EMPTY, E_NOTIMPL, BG_E_TOO_MANY_FILES, the Job5 rules,
 * S_FALSE with NULL -, files, ranges, enumerators, error objects, callback registration read
 * back, one object per job.
 *
 * Service mode only:
 *   - two client processes (this program run as a child) see and change the same job;
 *   - a job created and resumed by a process that exits at once reaches TRANSFERRED;
 *   - a client that vanishes inside its callback: the service survives and runs the job's
 *     command line instead;
 *   - four notifications in flight per user across two processes of that user;
 *   - frames that break the protocol (impossible lengths, garbage, requests before HELLO, a
 *     wrong version, unknown handles, truncation, a client gone mid-call) and a client that
 *     floods requests without reading: the offender is disconnected or held back, everyone
 *     else is served, the service keeps its pid;
 *   - SIGKILL of the service: the next call starts a new one transparently, which loads the
 *     jobs from the store; killed in the middle of an HTTP download (bgcopy-testserver), the
 *     transfer goes on from its checkpoint and the callbacks are registered again;
 *   - a second instance for the same socket, or for the same state directory, refuses to
 *     start; an idle service exits;
 *   - identity: a system-wide root service and a client run as `nobody` (setpriv) that cannot
 *     see or touch root's job, nor enumerate all users, whose files are created as nobody,
 *     who cannot write where nobody may not nor read what nobody may not, and whose command
 *     line runs as nobody (skipped unless root with setpriv);
 *   - a scripted fake service pins the client's side: a call in flight when the service goes
 *     is RPC_E_DISCONNECTED, a getter is sent again after a transparent reconnect that
 *     re-resolves the handle by job GUID.
 * Waits use condition variables, pipes or process exits with generous deadlines that only
 * matter if something hangs. BGCOPY_TEST_FILTER=<glob> runs a subset.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bgcopy.h"
#include "proto.h"
#include "svc.h"
#include "svcmode.h"

extern char **environ;

#define assert_hr(expected, actual) assert_int_equal((uint32_t)(expected), (uint32_t)(actual))

#define DEADLINE_S 30

static char dir[512];
static char self_exe[PATH_MAX];

/* ---- helpers --------------------------------------------------------------------------------- */

static void write_file(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    size_t i;
    assert_non_null(f);
    for (i = 0; i < n; i++) {
        fputc((int)((i * 131u + 7u) & 0xFF), f);
    }
    assert_int_equal(0, fclose(f));
}

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

static bgcopy_manager *open_manager(void)
{
    bgcopy_manager *mgr = NULL;
    assert_hr(BGCOPY_S_OK, fx_manager_open(NULL, &mgr));
    return mgr;
}

static bgcopy_job *new_job(bgcopy_manager *mgr, const char *name, bgcopy_guid *id)
{
    bgcopy_job *job = NULL;
    assert_hr(BGCOPY_S_OK,
              bgcopy_manager_create_job(mgr, name, BGCOPY_JOB_TYPE_DOWNLOAD, id, &job));
    return job;
}

static bgcopy_job_state state_of(bgcopy_job *job)
{
    bgcopy_job_state s = BGCOPY_JOB_STATE_QUEUED;
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_state(job, &s));
    return s;
}

static void guid_text(const bgcopy_guid *g, char *buf)
{
    assert_hr(BGCOPY_S_OK, bgcopy_guid_to_string(g, buf));
}

/* A signalled counter. */
struct waiter {
    pthread_mutex_t m;
    pthread_cond_t c;
    int transferred;
    int errors;
    bgcopy_hr error_code;
    bgcopy_error_context error_context;
    char error_file[600];
};

static void waiter_init(struct waiter *w)
{
    memset(w, 0, sizeof(*w));
    pthread_mutex_init(&w->m, NULL);
    pthread_cond_init(&w->c, NULL);
}

static int wait_count(struct waiter *w, const int *v, int target)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += DEADLINE_S;
    pthread_mutex_lock(&w->m);
    while (*v < target && pthread_cond_timedwait(&w->c, &w->m, &ts) == 0) {
    }
    pthread_mutex_unlock(&w->m);
    return *v >= target;
}

/* Waits until JobTransferred or JobError came. */
static int wait_either(struct waiter *w)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += DEADLINE_S;
    pthread_mutex_lock(&w->m);
    while (w->transferred + w->errors == 0 && pthread_cond_timedwait(&w->c, &w->m, &ts) == 0) {
    }
    pthread_mutex_unlock(&w->m);
    return w->transferred + w->errors > 0;
}

static bgcopy_hr on_transferred(bgcopy_job *job, void *user)
{
    struct waiter *w = user;
    pthread_mutex_lock(&w->m);
    w->transferred++;
    pthread_cond_broadcast(&w->c);
    pthread_mutex_unlock(&w->m);
    return BGCOPY_S_OK;
}

static bgcopy_hr on_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    struct waiter *w = user;
    bgcopy_file *f = NULL;
    char *name = NULL;

    pthread_mutex_lock(&w->m);
    (void)bgcopy_error_get_error(err, &w->error_context, &w->error_code);
    if (BGCOPY_SUCCEEDED(bgcopy_error_get_file(err, &f)) &&
        BGCOPY_SUCCEEDED(bgcopy_file_get_local_name(f, &name))) {
        snprintf(w->error_file, sizeof(w->error_file), "%s", name);
    }
    bgcopy_free(name);
    bgcopy_file_release(f);
    w->errors++;
    pthread_cond_broadcast(&w->c);
    pthread_mutex_unlock(&w->m);
    return BGCOPY_S_OK;
}

/* ---- child processes ---------------------------------------------------------------------------
 * This program run with "child-<mode>" arguments (see child_main). */

struct child {
    pid_t pid;
    FILE *out;   /* the child's stdout, unbuffered: poll() on its descriptor tells all */
    int out_eof; /* out reached its end (split_wait) */
    int in;      /* the child's stdin */
};

/* Starts this program (optionally under `setpriv` options) with args; envp NULL: ours. */
static void spawn_child(struct child *ch, const char *const *prefix, const char *const *args)
{
    posix_spawn_file_actions_t fa;
    char *argv[32];
    int to[2], from[2];
    size_t n = 0, i;

    for (i = 0; prefix != NULL && prefix[i] != NULL; i++) {
        argv[n++] = (char *)prefix[i];
    }
    argv[n++] = self_exe;
    for (i = 0; args[i] != NULL; i++) {
        argv[n++] = (char *)args[i];
    }
    argv[n] = NULL;
    assert_int_equal(0, pipe2(to, O_CLOEXEC));
    assert_int_equal(0, pipe2(from, O_CLOEXEC));
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, to[0], 0);
    posix_spawn_file_actions_adddup2(&fa, from[1], 1);
    assert_int_equal(0, posix_spawn(&ch->pid, argv[0], &fa, NULL, argv, environ));
    posix_spawn_file_actions_destroy(&fa);
    close(to[0]);
    close(from[1]);
    ch->in = to[1];
    ch->out = fdopen(from[0], "r");
    ch->out_eof = 0;
    if (ch->out != NULL) {
        setvbuf(ch->out, NULL, _IONBF, 0); /* no line hidden in a buffer from poll() */
    }
    assert_non_null(ch->out);
    setvbuf(ch->out, NULL, _IONBF, 0); /* nothing read ahead of what poll() sees */
}

/* The child's next output line (without the newline); fails the test after the deadline. */
static void child_line(struct child *ch, char *buf, size_t size)
{
    struct pollfd p = {fileno(ch->out), POLLIN, 0};
    assert_int_equal(1, poll(&p, 1, DEADLINE_S * 1000));
    assert_non_null(fgets(buf, (int)size, ch->out));
    buf[strcspn(buf, "\n")] = '\0';
}

static void child_say(struct child *ch, const char *line)
{
    assert_true(write(ch->in, line, strlen(line)) == (ssize_t)strlen(line));
}

/* Waits for the child's exit status (killing it after the deadline). */
static int child_wait(struct child *ch)
{
    int status = -1, waited;

    for (waited = 0; waited < DEADLINE_S * 1000; waited += 10) {
        if (waitpid(ch->pid, &status, WNOHANG) == ch->pid) {
            break;
        }
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    }
    if (waited >= DEADLINE_S * 1000) {
        kill(ch->pid, SIGKILL);
        waitpid(ch->pid, &status, 0);
    }
    fclose(ch->out);
    close(ch->in);
    return status;
}

/* ---- fixture -----------------------------------------------------------------------------------
 */

static int group_setup(void **state)
{
    char cwd[400];
    ssize_t n;

    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        return -1;
    }
    snprintf(dir, sizeof(dir), "%s/service-XXXXXX", cwd);
    if (mkdtemp(dir) == NULL || chmod(dir, 0755) != 0) {
        return -1;
    }
    n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
    if (n <= 0) {
        return -1;
    }
    self_exe[n] = '\0';
    return fx_service_mode() ? fx_service_prepare() : 0;
}

static int group_teardown(void **state)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ==== both modes
 * ====================================================================================== */

/* Every setter and getter of a job round-trips; the engine's own refusals come back exactly. */
static void test_properties_round_trip(void **state)
{
    bgcopy_manager *mgr = open_manager();
    bgcopy_guid id, got_id, clsid;
    bgcopy_job *job = new_job(mgr, "props", &id), *gone = NULL;
    bgcopy_job_property_value v;
    bgcopy_proxy_usage usage;
    char *s = NULL, *s2 = NULL, local[600];
    uint32_t u;
    bgcopy_job_priority prio;
    bgcopy_job_type type;
    bgcopy_job_progress p;
    bgcopy_job_times times;

    assert_hr(BGCOPY_S_OK, bgcopy_job_get_id(job, &got_id));
    assert_true(bgcopy_guid_equal(&id, &got_id));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_type(job, &type));
    assert_int_equal(BGCOPY_JOB_TYPE_DOWNLOAD, type);
    assert_int_equal(BGCOPY_JOB_STATE_SUSPENDED, state_of(job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_times(job, &times));
    assert_true(times.creation_time > 0);
    assert_int_equal(0, times.transfer_completion_time);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_progress(job, &p));
    assert_int_equal(0, p.files_total);
    assert_int_equal(0, p.bytes_total);

    assert_hr(BGCOPY_S_OK, bgcopy_job_get_owner(job, &s));
    assert_string_equal(bgcopy_manager_user(mgr), s);
    bgcopy_free(s);

    assert_hr(BGCOPY_S_OK, bgcopy_job_set_display_name(job, "renamed \xc3\xa9"));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_display_name(job, &s));
    assert_string_equal("renamed \xc3\xa9", s);
    bgcopy_free(s);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_description(job, &s));
    assert_string_equal("", s);
    bgcopy_free(s);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_description(job, "a description"));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_description(job, &s));
    assert_string_equal("a description", s);
    bgcopy_free(s);

    assert_hr(BGCOPY_S_OK, bgcopy_job_set_priority(job, BGCOPY_JOB_PRIORITY_LOW));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_priority(job, &prio));
    assert_int_equal(BGCOPY_JOB_PRIORITY_LOW, prio);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_flags(job, 0x3Bu));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_notify_flags(job, &u));
    assert_int_equal(0x3B, u);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_minimum_retry_delay(job, 2)); /* raised to 5 */
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_minimum_retry_delay(job, &u));
    assert_int_equal(5, u);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_no_progress_timeout(job, 77));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_no_progress_timeout(job, &u));
    assert_int_equal(77, u);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_maximum_download_time(job, 3600));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_maximum_download_time(job, &u));
    assert_int_equal(3600, u);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_security_flags(job, BGCOPY_SSL_IGNORE_UNKNOWN_CA));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_security_flags(job, &u));
    assert_int_equal(BGCOPY_SSL_IGNORE_UNKNOWN_CA, u);

    /* Proxy lists: absent ones come back NULL. */
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_proxy_settings(job, &usage, &s, &s2));
    assert_int_equal(BGCOPY_PROXY_USAGE_PRECONFIG, usage);
    assert_null(s);
    assert_null(s2);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_OVERRIDE,
                                                         "http://proxy:3128", "<local>"));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_proxy_settings(job, &usage, &s, &s2));
    assert_int_equal(BGCOPY_PROXY_USAGE_OVERRIDE, usage);
    assert_string_equal("http://proxy:3128", s);
    assert_string_equal("<local>", s2);
    bgcopy_free(s);
    bgcopy_free(s2);

    /* Credentials: removing twice is S_OK then S_FALSE. */
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_SERVER,
                                                      BGCOPY_AUTH_SCHEME_BASIC, "u", "p"));
    assert_hr(BGCOPY_S_OK, bgcopy_job_remove_credentials(job, BGCOPY_AUTH_TARGET_SERVER,
                                                         BGCOPY_AUTH_SCHEME_BASIC));
    assert_hr(BGCOPY_S_FALSE, bgcopy_job_remove_credentials(job, BGCOPY_AUTH_TARGET_SERVER,
                                                            BGCOPY_AUTH_SCHEME_BASIC));

    /* Custom headers and handler name: S_FALSE and NULL while absent. */
    s = (char *)1;
    assert_hr(BGCOPY_S_FALSE, bgcopy_job_get_custom_headers(job, &s));
    assert_null(s);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_custom_headers(job, "X-A: 1\r\n"));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_custom_headers(job, &s));
    assert_string_equal("X-A: 1\r\n", s);
    bgcopy_free(s);
    s = (char *)1;
    assert_hr(BGCOPY_S_FALSE, bgcopy_job_get_notify_handler(job, &s));
    assert_null(s);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_handler(job, "h1"));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_notify_handler(job, &s));
    assert_string_equal("h1", s);
    bgcopy_free(s);

    /* Command line: never set -> empty strings. */
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_notify_cmd_line(job, &s, &s2));
    assert_string_equal("", s);
    assert_string_equal("", s2);
    bgcopy_free(s);
    bgcopy_free(s2);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_cmd_line(job, "/bin/true", "/bin/true x"));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_notify_cmd_line(job, &s, &s2));
    assert_string_equal("/bin/true", s);
    assert_string_equal("/bin/true x", s2);
    bgcopy_free(s);
    bgcopy_free(s2);

    /* Job5 properties, each kind of value. */
    memset(&clsid, 0x5A, sizeof(clsid));
    memset(&v, 0, sizeof(v));
    v.clsid = clsid;
    assert_hr(BGCOPY_S_OK,
              bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_NOTIFICATION_CLSID, &v));
    memset(&v, 0, sizeof(v));
    assert_hr(BGCOPY_S_OK,
              bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_NOTIFICATION_CLSID, &v));
    assert_true(bgcopy_guid_equal(&clsid, &v.clsid));
    v.uint64 = 123456789012ULL;
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &v));
    memset(&v, 0, sizeof(v));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &v));
    assert_int_equal(123456789012ULL, v.uint64);
    v.enable = 1;
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE, &v));
    assert_hr(BGCOPY_E_NOTIMPL, bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_ON_DEMAND_MODE,
                                                        &v)); /* the engine's answer */
    v.dword = 1234;
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_property(
                               job, BGCOPY_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, &v));
    memset(&v, 0, sizeof(v));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_property(
                               job, BGCOPY_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, &v));
    assert_int_equal(1234, v.dword);
    v.target = BGCOPY_AUTH_TARGET_SERVER;
    assert_hr(BGCOPY_E_USE_STORED_CREDENTIALS_NOT_SUPPORTED,
              bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_USE_STORED_CREDENTIALS, &v));

    /* After a file, HIGH_PERFORMANCE is read-only; after Resume, MAX_DOWNLOAD_SIZE is. */
    path_in(local, sizeof(local), "props.bin");
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file(job, "http://127.0.0.1:9/props", local));
    v.enable = 0;
    assert_hr(BGCOPY_E_READ_ONLY_PROPERTY_AFTER_ADDFILE,
              bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE, &v));

    /* Final state: setters refuse, getters still answer through the same handle. */
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    assert_int_equal(BGCOPY_JOB_STATE_CANCELLED, state_of(job));
    assert_hr(BGCOPY_E_INVALID_STATE, bgcopy_job_set_display_name(job, "x"));
    assert_hr(BGCOPY_E_INVALID_STATE, bgcopy_job_cancel(job));
    assert_hr(BGCOPY_E_INVALID_STATE, bgcopy_job_resume(job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_display_name(job, &s));
    assert_string_equal("renamed \xc3\xa9", s);
    bgcopy_free(s);
    /* It left the queue: GetJob no longer finds it. */
    assert_hr(BGCOPY_E_NOT_FOUND, bgcopy_manager_get_job(mgr, &id, &gone));
    assert_null(gone);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
}

/* The engine's refusals for job types and empty jobs, and GetJob / EnumJobs identity. */
static void test_engine_rules_and_identity(void **state)
{
    bgcopy_manager *mgr = open_manager();
    bgcopy_job *up = NULL, *job, *again = NULL, *listed[8];
    bgcopy_guid id, up_id;
    bgcopy_job_enum *en = NULL;
    bgcopy_file_info two[2];
    char a[600], b[600];
    uint32_t n = 0, fetched = 0, i;
    int seen = 0;

    job = new_job(mgr, "rules", &id);
    assert_hr(BGCOPY_E_EMPTY, bgcopy_job_resume(job));
    assert_hr(BGCOPY_S_OK, bgcopy_manager_get_job(mgr, &id, &again));
    assert_ptr_equal(job, again); /* one object per job, as in-process */
    bgcopy_job_release(again);

    assert_hr(BGCOPY_S_OK,
              bgcopy_manager_create_job(mgr, "up", BGCOPY_JOB_TYPE_UPLOAD, &up_id, &up));
    path_in(a, sizeof(a), "up-a");
    path_in(b, sizeof(b), "up-b");
    two[0].remote_name = "http://127.0.0.1:9/a";
    two[0].local_name = a;
    two[1].remote_name = "http://127.0.0.1:9/b";
    two[1].local_name = b;
    assert_hr(BGCOPY_E_TOO_MANY_FILES, bgcopy_job_add_file_set(up, 2, two));
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file(up, two[0].remote_name, a));
    assert_hr(BGCOPY_E_NOTIMPL, bgcopy_job_resume(up));
    assert_hr(BGCOPY_E_INVALID_STATE, bgcopy_job_complete(up));

    assert_hr(BGCOPY_S_OK, bgcopy_manager_enum_jobs(mgr, 0, &en));
    assert_hr(BGCOPY_S_OK, bgcopy_job_enum_get_count(en, &n));
    assert_true(n >= 2 && n <= 8);
    assert_hr(BGCOPY_S_OK, bgcopy_job_enum_next(en, n, listed, &fetched));
    assert_int_equal(n, fetched);
    for (i = 0; i < fetched; i++) {
        seen += listed[i] == job;
        seen += (listed[i] == up) * 2;
        bgcopy_job_release(listed[i]);
    }
    assert_int_equal(3, seen);
    bgcopy_job_enum_release(en);

    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(up));
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    bgcopy_job_release(up);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
}

/* Files: a set, a file with ranges, the enumerator, names, progress, ranges read back,
 * SetRemoteName and ReplaceRemotePrefix (S_FALSE when nothing matches). */
static void test_files_and_ranges(void **state)
{
    bgcopy_manager *mgr = open_manager();
    bgcopy_job *job = new_job(mgr, "files", NULL);
    bgcopy_file_range ranges[2] = {{100, 50}, {1000, BGCOPY_LENGTH_TO_EOF}}, *got = NULL;
    bgcopy_file_info set[2];
    bgcopy_file_enum *en = NULL;
    bgcopy_file *files[3], *clone_first = NULL;
    bgcopy_file_enum *clone = NULL;
    bgcopy_file_progress fp;
    char a[600], b[600], c[600], *s = NULL;
    uint32_t n = 0, fetched = 0, count = 0;

    path_in(a, sizeof(a), "fa");
    path_in(b, sizeof(b), "fb");
    path_in(c, sizeof(c), "fc");
    set[0].remote_name = "http://127.0.0.1:9/old/a";
    set[0].local_name = a;
    set[1].remote_name = "http://127.0.0.1:9/old/b";
    set[1].local_name = b;
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file_set(job, 2, set));
    assert_hr(BGCOPY_S_OK,
              bgcopy_job_add_file_with_ranges(job, "http://127.0.0.1:9/r", c, 2, ranges));
    assert_hr(BGCOPY_E_OVERLAPPING_RANGES,
              bgcopy_job_add_file_with_ranges(job, "http://127.0.0.1:9/r", c, 2,
                                              (bgcopy_file_range[]){{0, 10}, {5, 10}}));

    assert_hr(BGCOPY_S_OK, bgcopy_job_enum_files(job, &en));
    assert_hr(BGCOPY_S_OK, bgcopy_file_enum_get_count(en, &n));
    assert_int_equal(3, n);
    assert_hr(BGCOPY_S_OK, bgcopy_file_enum_clone(en, &clone));
    assert_hr(BGCOPY_S_OK, bgcopy_file_enum_next(en, 3, files, &fetched));
    assert_int_equal(3, fetched);
    assert_hr(BGCOPY_S_OK, bgcopy_file_enum_next(clone, 1, &clone_first, NULL));
    assert_ptr_equal(files[0], clone_first); /* one object per file */
    bgcopy_file_release(clone_first);
    bgcopy_file_enum_release(clone);
    bgcopy_file_enum_release(en);

    assert_hr(BGCOPY_S_OK, bgcopy_file_get_local_name(files[1], &s));
    assert_string_equal(b, s);
    bgcopy_free(s);
    assert_hr(BGCOPY_S_OK, bgcopy_file_get_temporary_name(files[0], &s));
    assert_int_equal(0, strncmp(s, dir, strlen(dir)));
    assert_non_null(strstr(s, "/BIT"));
    bgcopy_free(s);
    assert_hr(BGCOPY_S_OK, bgcopy_file_get_progress(files[2], &fp));
    assert_int_equal(BGCOPY_SIZE_UNKNOWN, fp.bytes_total); /* a to-EOF range */
    assert_int_equal(0, fp.bytes_transferred);
    assert_int_equal(0, fp.completed);
    assert_hr(BGCOPY_S_OK, bgcopy_file_get_file_ranges(files[2], &count, &got));
    assert_int_equal(2, count);
    assert_int_equal(100, got[0].initial_offset);
    assert_int_equal(50, got[0].length);
    assert_int_equal(BGCOPY_LENGTH_TO_EOF, got[1].length);
    bgcopy_free(got);
    got = (bgcopy_file_range *)1;
    assert_hr(BGCOPY_S_OK, bgcopy_file_get_file_ranges(files[0], &count, &got));
    assert_int_equal(0, count);
    assert_null(got);

    assert_hr(BGCOPY_S_OK, bgcopy_file_set_remote_name(files[1], "http://127.0.0.1:9/new/b"));
    assert_hr(BGCOPY_S_OK, bgcopy_file_get_remote_name(files[1], &s));
    assert_string_equal("http://127.0.0.1:9/new/b", s);
    bgcopy_free(s);
    assert_hr(BGCOPY_S_FALSE,
              bgcopy_job_replace_remote_prefix(job, "http://nowhere/", "http://x/"));
    assert_hr(BGCOPY_S_OK, bgcopy_job_replace_remote_prefix(job, "http://127.0.0.1:9/old/",
                                                            "http://127.0.0.1:9/moved/"));
    assert_hr(BGCOPY_S_OK, bgcopy_file_get_remote_name(files[0], &s));
    assert_string_equal("http://127.0.0.1:9/moved/a", s);
    bgcopy_free(s);

    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    bgcopy_job_release(job); /* the files keep it */
    assert_hr(BGCOPY_S_OK, bgcopy_file_get_remote_name(files[2], &s));
    assert_string_equal("http://127.0.0.1:9/r", s);
    bgcopy_free(s);
    bgcopy_file_release(files[0]);
    bgcopy_file_release(files[1]);
    bgcopy_file_release(files[2]);
    bgcopy_manager_close(mgr);
}

/* A job that fails: the error object (context, code, protocol, file), JobError delivered, and
 * BG_E_ERROR_INFORMATION_UNAVAILABLE once resumed away from ERROR; the callbacks read back. */
static void test_error_object_and_callbacks(void **state)
{
    bgcopy_manager *mgr = open_manager();
    bgcopy_job *job = new_job(mgr, "error", NULL);
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT, back = BGCOPY_CALLBACKS_INIT;
    bgcopy_error *err = NULL;
    bgcopy_error_context ctx;
    bgcopy_file *f = NULL;
    bgcopy_hr code;
    struct waiter w;
    char src[600], dst[600], *s = NULL;
    int registered = 0;
    void *user = NULL;

    waiter_init(&w);
    path_in(src, sizeof(src), "missing.src");
    path_in(dst, sizeof(dst), "missing.bin");
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file(job, src, dst));
    assert_hr(BGCOPY_E_ERROR_INFORMATION_UNAVAILABLE, bgcopy_job_get_error(job, &err));
    assert_null(err);

    assert_hr(BGCOPY_S_OK, bgcopy_job_get_notify_callbacks(job, &registered, NULL, NULL));
    assert_int_equal(0, registered);
    cb.job_transferred = on_transferred;
    cb.job_error = on_error;
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(job, &cb, &w));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_notify_callbacks(job, &registered, &back, &user));
    assert_int_equal(1, registered);
    assert_ptr_equal(on_transferred, back.job_transferred);
    assert_ptr_equal(on_error, back.job_error);
    assert_null(back.job_modification);
    assert_ptr_equal(&w, user);

    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    assert_true(wait_count(&w, &w.errors, 1));
    assert_int_equal(BGCOPY_ERROR_CONTEXT_REMOTE_FILE, w.error_context);
    assert_hr(BGCOPY_E_WIN32_FILE_NOT_FOUND, w.error_code);
    assert_string_equal(dst, w.error_file);

    assert_int_equal(BGCOPY_JOB_STATE_ERROR, state_of(job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_error(job, &err));
    assert_hr(BGCOPY_S_OK, bgcopy_error_get_error(err, &ctx, &code));
    assert_int_equal(BGCOPY_ERROR_CONTEXT_REMOTE_FILE, ctx);
    assert_hr(BGCOPY_E_WIN32_FILE_NOT_FOUND, code);
    assert_hr(BGCOPY_S_OK, bgcopy_error_get_protocol(err, &s));
    assert_string_equal("file", s);
    bgcopy_free(s);
    assert_hr(BGCOPY_S_OK, bgcopy_error_get_error_description(err, 1033, &s));
    assert_string_equal(bgcopy_hr_message(BGCOPY_E_WIN32_FILE_NOT_FOUND), s);
    bgcopy_free(s);
    assert_hr(BGCOPY_S_OK, bgcopy_error_get_file(err, &f));
    assert_hr(BGCOPY_S_OK, bgcopy_file_get_local_name(f, &s));
    assert_string_equal(dst, s);
    bgcopy_free(s);
    bgcopy_file_release(f);

    /* Cleared: registered 0 again. */
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(job, NULL, NULL));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_notify_callbacks(job, &registered, NULL, NULL));
    assert_int_equal(0, registered);

    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    /* The error object outlives the job's state and keeps its file readable. */
    assert_hr(BGCOPY_S_OK, bgcopy_error_get_file(err, &f));
    bgcopy_file_release(f);
    bgcopy_error_release(err);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
}

/* ==== service mode only
 * ================================================================================= */

#define SERVICE_ONLY()            \
    do {                          \
        if (!fx_service_mode()) { \
            skip();               \
        }                         \
    } while (0)

/* Opens a service manager in a child (the environment selects the socket). */
static bgcopy_manager *child_open(void)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL;
    o.engine = BGCOPY_ENGINE_SERVICE;
    if (bgcopy_manager_open(&o, &mgr) != BGCOPY_S_OK) {
        printf("open failed: %s\n", bgcopy_manager_open_detail());
        exit(2);
    }
    return mgr;
}

/* Two processes: the child creates a job and names it; the parent finds it by GUID, checks the
 * name and renames it; the child reads the new name through its own handle. */
static void test_two_processes_share_a_job(void **state)
{
    const char *args[] = {"child-share", NULL};
    struct child ch;
    char line[256], *s = NULL;
    bgcopy_guid id;
    bgcopy_job *job = NULL;
    bgcopy_manager *mgr;

    SERVICE_ONLY();
    mgr = open_manager();
    spawn_child(&ch, NULL, args);
    child_line(&ch, line, sizeof(line));
    assert_hr(BGCOPY_S_OK, bgcopy_guid_from_string(line, &id));
    assert_hr(BGCOPY_S_OK, bgcopy_manager_get_job(mgr, &id, &job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_display_name(job, &s));
    assert_string_equal("made by the child", s);
    bgcopy_free(s);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_display_name(job, "renamed by the parent"));
    child_say(&ch, "go\n");
    child_line(&ch, line, sizeof(line));
    assert_string_equal("renamed by the parent", line);
    assert_int_equal(0, child_wait(&ch));
    /* The child's description, set just before it left. */
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_description(job, &s));
    assert_string_equal("the child was here", s);
    bgcopy_free(s);
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
}

static int child_share(void)
{
    bgcopy_manager *mgr = child_open();
    bgcopy_job *job = NULL;
    bgcopy_guid id;
    char text[BGCOPY_GUID_STRING_SIZE], line[64], *s = NULL;

    if (bgcopy_manager_create_job(mgr, "made by the child", BGCOPY_JOB_TYPE_DOWNLOAD, &id, &job) !=
        BGCOPY_S_OK) {
        return 3;
    }
    bgcopy_guid_to_string(&id, text);
    printf("%s\n", text);
    fflush(stdout);
    if (fgets(line, sizeof(line), stdin) == NULL ||
        bgcopy_job_get_display_name(job, &s) != BGCOPY_S_OK) {
        return 4;
    }
    printf("%s\n", s);
    fflush(stdout);
    bgcopy_free(s);
    if (bgcopy_job_set_description(job, "the child was here") != BGCOPY_S_OK) {
        return 5;
    }
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    return 0;
}

/* A process creates a job, resumes it and exits at once: the service carries it to
 * TRANSFERRED, and this process, registering afterwards, still gets JobTransferred. */
static void test_job_outlives_its_process(void **state)
{
    char src[600], dst[600], line[256];
    const char *args[] = {"child-resume", src, dst, NULL};
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    struct child ch;
    struct waiter w;
    bgcopy_guid id;
    bgcopy_job *job = NULL;
    bgcopy_manager *mgr;

    SERVICE_ONLY();
    waiter_init(&w);
    path_in(src, sizeof(src), "outlive.src");
    path_in(dst, sizeof(dst), "outlive.bin");
    write_file(src, 2 * 1024 * 1024 + 5);
    spawn_child(&ch, NULL, args);
    child_line(&ch, line, sizeof(line));
    assert_int_equal(0, child_wait(&ch)); /* gone before the parent looks */
    assert_hr(BGCOPY_S_OK, bgcopy_guid_from_string(line, &id));

    mgr = open_manager();
    assert_hr(BGCOPY_S_OK, bgcopy_manager_get_job(mgr, &id, &job));
    cb.job_transferred = on_transferred;
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(job, &cb, &w));
    assert_true(wait_count(&w, &w.transferred, 1));
    assert_int_equal(BGCOPY_JOB_STATE_TRANSFERRED, state_of(job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_complete(job));
    assert_int_equal(0, access(dst, F_OK));
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
}

static int child_resume(const char *src, const char *dst)
{
    bgcopy_manager *mgr = child_open();
    bgcopy_job *job = NULL;
    bgcopy_guid id;
    char text[BGCOPY_GUID_STRING_SIZE];

    if (bgcopy_manager_create_job(mgr, "orphan", BGCOPY_JOB_TYPE_DOWNLOAD, &id, &job) !=
            BGCOPY_S_OK ||
        bgcopy_job_add_file(job, src, dst) != BGCOPY_S_OK ||
        bgcopy_job_resume(job) != BGCOPY_S_OK) {
        return 3;
    }
    bgcopy_guid_to_string(&id, text);
    printf("%s\n", text);
    fflush(stdout);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    return 0;
}

/* The child registers a JobTransferred callback that kills its own process; the job also has a
 * command line. When the job transfers, the child dies inside the callback: the service
 * survives and runs the command line instead (reference §5.4: a failed callback hands the
 * notification to the command line). */
static void test_client_vanishes_inside_callback(void **state)
{
    char src[600], dst[600], fifo[600], params[1400], line[256], text[BGCOPY_GUID_STRING_SIZE];
    const char *args[] = {"child-vanish", text, NULL};
    struct child ch;
    struct pollfd p;
    bgcopy_manager *mgr;
    bgcopy_guid id;
    bgcopy_job *job;
    pid_t service;
    int fd, status;
    ssize_t n;

    SERVICE_ONLY();
    mgr = open_manager();
    service = fx_service_pid();
    assert_true(service > 0);
    path_in(src, sizeof(src), "vanish.src");
    path_in(dst, sizeof(dst), "vanish.bin");
    path_in(fifo, sizeof(fifo), "vanish.fifo");
    write_file(src, 300000);
    assert_int_equal(0, mkfifo(fifo, 0600));
    fd = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(fd >= 0);

    job = new_job(mgr, "vanish", &id);
    guid_text(&id, text);
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file(job, src, dst));
    snprintf(params, sizeof(params), "/bin/sh -c \"echo $1 > %s\" sh %s", fifo, text);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_cmd_line(job, "/bin/sh", params));

    spawn_child(&ch, NULL, args);
    child_line(&ch, line, sizeof(line));
    assert_string_equal("ready", line);
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));

    status = child_wait(&ch);
    assert_true(WIFEXITED(status));
    assert_int_equal(7, WEXITSTATUS(status)); /* died inside the callback */

    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    assert_int_equal(1, poll(&p, 1, DEADLINE_S * 1000));
    n = read(fd, line, sizeof(line) - 1);
    assert_true(n > 0);
    line[n] = '\0';
    line[strcspn(line, "\n")] = '\0';
    assert_string_equal(text, line);
    close(fd);

    assert_int_equal(service, fx_service_pid());
    assert_int_equal(BGCOPY_JOB_STATE_TRANSFERRED, state_of(job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_complete(job));
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
}

static bgcopy_hr die_inside(bgcopy_job *job, void *user)
{
    _exit(7);
}

static int child_vanish(const char *guid_text_arg)
{
    bgcopy_manager *mgr = child_open();
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_job *job = NULL;
    bgcopy_guid id;
    char line[16];

    cb.job_transferred = die_inside;
    if (bgcopy_guid_from_string(guid_text_arg, &id) != BGCOPY_S_OK ||
        bgcopy_manager_get_job(mgr, &id, &job) != BGCOPY_S_OK ||
        bgcopy_job_set_notify_callbacks(job, &cb, NULL) != BGCOPY_S_OK) {
        return 3;
    }
    printf("ready\n");
    fflush(stdout);
    while (fgets(line, sizeof(line), stdin) != NULL) {
    }
    return 4; /* the callback never came */
}

/* ---- four in flight per user, across processes ----------------------------------------------- */

#define SPLIT_JOBS 6

static struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    int entered, permits;
} split;

static bgcopy_hr parent_blocking(bgcopy_job *job, void *user)
{
    pthread_mutex_lock(&split.m);
    split.entered++;
    pthread_cond_broadcast(&split.c);
    while (split.permits == 0) {
        pthread_cond_wait(&split.c, &split.m);
    }
    split.permits--;
    pthread_mutex_unlock(&split.m);
    return BGCOPY_S_OK;
}

/* Waits until this process's and the child's callbacks together entered `target` times (the
 * child prints one line per entry), at most `seconds` of real time; returns the total reached.
 * Once the child has closed its output (it exits when its callbacks returned), its side is
 * final and the wait goes on for this process's callbacks alone: poll() would report the end
 * of file at once on every turn. */
static int split_wait(struct child *ch, int *child_entered, int target, double seconds)
{
    struct timespec start, now;
    char line[128];

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct pollfd p = {fileno(ch->out), POLLIN, 0};
        int total;
        pthread_mutex_lock(&split.m);
        total = split.entered + *child_entered;
        pthread_mutex_unlock(&split.m);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (total >= target ||
            (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 >=
                seconds) {
            return total;
        }
        if (ch->out_eof) {
            nanosleep(&(struct timespec){0, 10000000L}, NULL);
        } else if (poll(&p, 1, 10) == 1) {
            if (fgets(line, sizeof(line), ch->out) == NULL) {
                ch->out_eof = 1;
            } else if (strncmp(line, "entered", 7) == 0) {
                (*child_entered)++;
            }
        }
    }
}

/* Six TRANSFERRED jobs of one user: this process registers callbacks that block on three, a
 * second process of the same user on the other three. At most four callbacks are inside at
 * once across both processes; the fifth enters only after one returns (the engine counts per
 * user, whichever process registered). */
static void test_four_in_flight_across_processes(void **state)
{
    char src[600], dst[600], name[32], text[3][BGCOPY_GUID_STRING_SIZE];
    const char *args[] = {"child-block", text[0], text[1], text[2], NULL};
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_job *jobs[SPLIT_JOBS];
    bgcopy_manager *mgr;
    struct child ch;
    bgcopy_guid id;
    char line[64];
    int i, waited, child_entered = 0;

    SERVICE_ONLY();
    memset(&split, 0, sizeof(split));
    pthread_mutex_init(&split.m, NULL);
    pthread_cond_init(&split.c, NULL);
    mgr = open_manager();
    path_in(src, sizeof(src), "split.src");
    write_file(src, 20000);
    for (i = 0; i < SPLIT_JOBS; i++) {
        snprintf(name, sizeof(name), "split%d.bin", i);
        path_in(dst, sizeof(dst), name);
        jobs[i] = new_job(mgr, name, &id);
        if (i >= 3) {
            guid_text(&id, text[i - 3]);
        }
        assert_hr(BGCOPY_S_OK, bgcopy_job_add_file(jobs[i], src, dst));
        assert_hr(BGCOPY_S_OK, bgcopy_job_resume(jobs[i]));
    }
    /* Every job TRANSFERRED, with nobody to tell yet (JobTransferred is owed). */
    for (i = 0, waited = 0; i < SPLIT_JOBS && waited < DEADLINE_S * 1000; waited += 10) {
        if (state_of(jobs[i]) == BGCOPY_JOB_STATE_TRANSFERRED) {
            i++;
        } else {
            nanosleep(&(struct timespec){0, 10000000L}, NULL);
        }
    }
    assert_int_equal(SPLIT_JOBS, i);

    spawn_child(&ch, NULL, args); /* registers on jobs 3-5; its callbacks may start at once */
    for (;;) {
        child_line(&ch, line, sizeof(line));
        if (strcmp(line, "ready") == 0) {
            break;
        }
        assert_string_equal("entered", line);
        child_entered++;
    }
    cb.job_transferred = parent_blocking;
    for (i = 0; i < 3; i++) {
        assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(jobs[i], &cb, NULL));
    }
    assert_int_equal(4, split_wait(&ch, &child_entered, 4, DEADLINE_S));
    /* Two are due, no slot is free: give them a fair chance to (wrongly) enter. */
    assert_int_equal(4, split_wait(&ch, &child_entered, 5, 0.3));

    /* One returns (the parent's if one is inside, else the child's): the fifth enters. */
    pthread_mutex_lock(&split.m);
    if (split.entered > 0) {
        split.permits++;
        pthread_cond_broadcast(&split.c);
    } else {
        child_say(&ch, "go\n");
    }
    pthread_mutex_unlock(&split.m);
    assert_int_equal(5, split_wait(&ch, &child_entered, 5, DEADLINE_S));
    assert_int_equal(5, split_wait(&ch, &child_entered, 6, 0.3));

    /* Everyone may go. */
    pthread_mutex_lock(&split.m);
    split.permits += SPLIT_JOBS;
    pthread_cond_broadcast(&split.c);
    pthread_mutex_unlock(&split.m);
    for (i = 0; i < 3; i++) {
        child_say(&ch, "go\n");
    }
    assert_int_equal(SPLIT_JOBS, split_wait(&ch, &child_entered, SPLIT_JOBS, DEADLINE_S));
    pthread_mutex_lock(&split.m);
    assert_int_equal(3, split.entered);
    pthread_mutex_unlock(&split.m);
    assert_int_equal(3, child_entered);
    assert_int_equal(0, child_wait(&ch)); /* it leaves once its three callbacks returned */
    for (i = 0; i < SPLIT_JOBS; i++) {
        assert_hr(BGCOPY_S_OK, bgcopy_job_complete(jobs[i]));
        bgcopy_job_release(jobs[i]);
    }
    bgcopy_manager_close(mgr);
}

static struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    int returned;
} block = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

/* Announces itself, then waits for one "go" line from the parent. */
static bgcopy_hr child_blocking(bgcopy_job *job, void *user)
{
    char line[16];

    pthread_mutex_lock(&block.m);
    printf("entered\n");
    fflush(stdout);
    pthread_mutex_unlock(&block.m);
    if (fgets(line, sizeof(line), stdin) == NULL) {
        line[0] = '\0';
    }
    pthread_mutex_lock(&block.m);
    block.returned++;
    pthread_cond_broadcast(&block.c);
    pthread_mutex_unlock(&block.m);
    return BGCOPY_S_OK;
}

static int child_block(char **guids)
{
    bgcopy_manager *mgr = child_open();
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_job *jobs[3];
    bgcopy_guid id;
    struct timespec ts;
    int i, ok;

    cb.job_transferred = child_blocking;
    for (i = 0; i < 3; i++) {
        if (bgcopy_guid_from_string(guids[i], &id) != BGCOPY_S_OK ||
            bgcopy_manager_get_job(mgr, &id, &jobs[i]) != BGCOPY_S_OK ||
            bgcopy_job_set_notify_callbacks(jobs[i], &cb, NULL) != BGCOPY_S_OK) {
            return 3;
        }
    }
    printf("ready\n");
    fflush(stdout);
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += DEADLINE_S;
    pthread_mutex_lock(&block.m);
    while (block.returned < 3 && pthread_cond_timedwait(&block.c, &block.m, &ts) == 0) {
    }
    ok = block.returned == 3;
    pthread_mutex_unlock(&block.m);
    for (i = 0; i < 3; i++) {
        bgcopy_job_release(jobs[i]);
    }
    bgcopy_manager_close(mgr);
    return ok ? 0 : 4;
}

/* ---- raw protocol
 * ---------------------------------------------------------------------------------- */

static int raw_connect(void)
{
    char *sock = fx_service_socket();
    int fd;

    assert_non_null(sock);
    fd = bgcopy__svc_connect(sock);
    free(sock);
    assert_true(fd >= 0);
    return fd;
}

static void raw_send(int fd, const void *buf, size_t len)
{
    assert_int_equal((ssize_t)len, send(fd, buf, len, MSG_NOSIGNAL));
}

static void raw_send_frame(int fd, struct bgcopy__svc_wr *w)
{
    assert_int_equal(0, bgcopy__svc_wr_end(w));
    raw_send(fd, w->buf, w->len);
    bgcopy__svc_wr_free(w);
}

static void raw_hello(int fd, uint32_t vmin, uint32_t vmax)
{
    struct bgcopy__svc_wr w;
    bgcopy__svc_wr_begin(&w, BGCOPY__SVC_REQUEST, BGCOPY__OP_HELLO, 0, 1);
    bgcopy__svc_wr_u32(&w, BGCOPY__SVC_MAGIC);
    bgcopy__svc_wr_u32(&w, vmin);
    bgcopy__svc_wr_u32(&w, vmax);
    bgcopy__svc_wr_str(&w, NULL);
    bgcopy__svc_wr_u32(&w, 0);
    raw_send_frame(fd, &w);
}

/* Reads one frame into buf; returns its body length, or -1 at EOF (the service hung up). */
static ssize_t raw_read(int fd, uint8_t *buf, size_t size, struct bgcopy__svc_header *h,
                        const uint8_t **body)
{
    size_t got = 0, consumed, blen;
    struct pollfd p = {fd, POLLIN, 0};

    for (;;) {
        ssize_t n;
        int rc = bgcopy__svc_frame(buf, got, h, body, &blen, &consumed);
        assert_true(rc >= 0);
        if (rc == 1) {
            return (ssize_t)blen;
        }
        assert_int_equal(1, poll(&p, 1, DEADLINE_S * 1000));
        assert_true(got < size);
        n = recv(fd, buf + got, size - got, 0);
        if (n <= 0) {
            return -1;
        }
        got += (size_t)n;
    }
}

/* The service closes the connection (after any frames already sent). */
static void assert_hung_up(int fd)
{
    uint8_t buf[4096];
    struct pollfd p = {fd, POLLIN, 0};
    ssize_t n;

    do {
        assert_int_equal(1, poll(&p, 1, DEADLINE_S * 1000));
        n = recv(fd, buf, sizeof(buf), 0);
    } while (n > 0);
    assert_true(n == 0 || errno == ECONNRESET);
    close(fd);
}

/* A normal client is served (and the service kept its pid). */
static void assert_service_fine(pid_t pid)
{
    bgcopy_manager *mgr = open_manager();
    bgcopy_job *job = new_job(mgr, "still fine", NULL);
    assert_int_equal(BGCOPY_JOB_STATE_SUSPENDED, state_of(job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    assert_int_equal(pid, fx_service_pid());
}

static void test_malformed_frames(void **state)
{
    uint8_t buf[4096], garbage[512];
    const uint8_t *body;
    struct bgcopy__svc_header h;
    struct bgcopy__svc_wr w;
    struct bgcopy__svc_rd r;
    bgcopy_manager *mgr;
    pid_t pid;
    ssize_t n;
    size_t i;
    int fd;

    SERVICE_ONLY();
    mgr = open_manager(); /* the service runs */
    pid = fx_service_pid();
    assert_true(pid > 0);

    /* A length prefix above the maximum, one below the header: disconnected at once. */
    fd = raw_connect();
    raw_send(fd, "\xff\xff\xff\x7f", 4);
    assert_hung_up(fd);
    fd = raw_connect();
    raw_send(fd, "\x03\x00\x00\x00\x01\x02\x03", 7);
    assert_hung_up(fd);

    /* Garbage. */
    for (i = 0; i < sizeof(garbage); i++) {
        garbage[i] = (uint8_t)(i * 37u + 11u);
    }
    garbage[0] = 0x40; /* a plausible length, then nonsense */
    garbage[1] = garbage[2] = garbage[3] = 0;
    fd = raw_connect();
    raw_send(fd, garbage, sizeof(garbage));
    assert_hung_up(fd);

    /* A request before HELLO. */
    fd = raw_connect();
    bgcopy__svc_wr_begin(&w, BGCOPY__SVC_REQUEST, BGCOPY__OP_RESUME, 0, 9);
    bgcopy__svc_wr_u64(&w, 1);
    raw_send_frame(fd, &w);
    assert_hung_up(fd);

    /* A version range the service does not speak: REVISION_MISMATCH, then hung up. */
    fd = raw_connect();
    raw_hello(fd, 7, 9);
    n = raw_read(fd, buf, sizeof(buf), &h, &body);
    assert_true(n > 0);
    assert_int_equal(BGCOPY__SVC_REPLY, h.type);
    bgcopy__svc_rd_init(&r, body, (size_t)n);
    assert_hr(BGCOPY_E_WIN32_REVISION_MISMATCH, bgcopy__svc_rd_hr(&r));
    assert_hung_up(fd);

    /* After HELLO: an unknown handle is E_INVALIDARG and the connection stays; a body that
     * does not match its schema, or an unknown operation, ends it. */
    fd = raw_connect();
    raw_hello(fd, 1, 1);
    n = raw_read(fd, buf, sizeof(buf), &h, &body);
    assert_true(n > 0);
    bgcopy__svc_rd_init(&r, body, (size_t)n);
    assert_hr(BGCOPY_S_OK, bgcopy__svc_rd_hr(&r));
    bgcopy__svc_wr_begin(&w, BGCOPY__SVC_REQUEST, BGCOPY__OP_GET_INFO, 0, 2);
    bgcopy__svc_wr_u64(&w, 424242);
    raw_send_frame(fd, &w);
    n = raw_read(fd, buf, sizeof(buf), &h, &body);
    assert_true(n > 0);
    assert_int_equal(2, h.id);
    assert_true(bgcopy__svc_check(body, (size_t)n,
                                  bgcopy__svc_schema(BGCOPY__SVC_REPLY, BGCOPY__OP_GET_INFO)));
    bgcopy__svc_rd_init(&r, body, (size_t)n);
    assert_hr(BGCOPY_E_INVALIDARG, bgcopy__svc_rd_hr(&r));
    bgcopy__svc_wr_begin(&w, BGCOPY__SVC_REQUEST, BGCOPY__OP_GET_INFO, 0, 3);
    bgcopy__svc_wr_u32(&w, 5); /* a u32 where a u64 belongs */
    raw_send_frame(fd, &w);
    assert_hung_up(fd);
    fd = raw_connect();
    raw_hello(fd, 1, 1);
    assert_true(raw_read(fd, buf, sizeof(buf), &h, &body) > 0);
    bgcopy__svc_wr_begin(&w, BGCOPY__SVC_REQUEST, 200, 0, 2);
    raw_send_frame(fd, &w);
    assert_hung_up(fd);

    /* Truncated: half a frame, then gone. Mid-call: a request, then gone before the reply. */
    fd = raw_connect();
    raw_hello(fd, 1, 1);
    assert_true(raw_read(fd, buf, sizeof(buf), &h, &body) > 0);
    raw_send(fd, "\x40\x00\x00\x00\x01\x03", 6);
    close(fd);
    fd = raw_connect();
    raw_hello(fd, 1, 1);
    assert_true(raw_read(fd, buf, sizeof(buf), &h, &body) > 0);
    bgcopy__svc_wr_begin(&w, BGCOPY__SVC_REQUEST, BGCOPY__OP_CREATE_JOB, 0, 2);
    bgcopy__svc_wr_str(&w, "left behind");
    bgcopy__svc_wr_u32(&w, BGCOPY_JOB_TYPE_DOWNLOAD);
    bgcopy__svc_wr_u32(&w, 1);
    raw_send_frame(fd, &w);
    close(fd);

    assert_service_fine(pid);
    bgcopy_manager_close(mgr);
}

/* A client sends a flood of requests and never reads its replies: the service stops reading
 * from it (at most MAX_OUTSTANDING requests running, at most 4 MiB of replies queued), so the
 * flooder's socket fills up long before the 64 MiB it tries to send; meanwhile another client
 * is served normally, and after the flooder leaves too. */
static void test_flood_does_not_stall_others(void **state)
{
    uint8_t buf[4096], *batch;
    const uint8_t *body;
    struct bgcopy__svc_header h;
    struct bgcopy__svc_wr w;
    size_t sent = 0, len, per, i;
    pid_t pid;
    int fd, blocked = 0;

    SERVICE_ONLY();
    {
        bgcopy_manager *mgr = open_manager(); /* the service runs */
        bgcopy_manager_close(mgr);
    }
    pid = fx_service_pid();
    fd = raw_connect();
    raw_hello(fd, 1, 1);
    assert_true(raw_read(fd, buf, sizeof(buf), &h, &body) > 0);
    bgcopy__svc_wr_begin(&w, BGCOPY__SVC_REQUEST, BGCOPY__OP_GET_INFO, 0, 7);
    bgcopy__svc_wr_u64(&w, 99);
    assert_int_equal(0, bgcopy__svc_wr_end(&w));
    len = w.len;
    per = 65536 / len;
    batch = malloc(per * len);
    assert_non_null(batch);
    for (i = 0; i < per; i++) {
        memcpy(batch + i * len, w.buf, len);
    }
    bgcopy__svc_wr_free(&w);
    assert_int_equal(0, fcntl(fd, F_SETFL, O_NONBLOCK));
    while (sent < 64u * 1024 * 1024) {
        ssize_t n =
            send(fd, batch + sent % (per * len), per * len - sent % (per * len), MSG_NOSIGNAL);
        if (n < 0) {
            assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
            blocked = 1;
            break;
        }
        sent += (size_t)n;
    }
    free(batch);
    assert_int_equal(1, blocked); /* held back by the service */
    assert_true(sent > 0);
    /* Meanwhile another client gets its answers. */
    assert_service_fine(pid);
    close(fd);
    assert_service_fine(pid);
}

/* SIGKILL: the next call starts a new service transparently; the job persisted in the store is
 * found again by its GUID, so the old handle keeps working, with its properties. */
static void test_service_killed_and_restarted(void **state)
{
    bgcopy_manager *mgr;
    bgcopy_job *job, *job2;
    pid_t before, after;
    char *name = NULL;

    SERVICE_ONLY();
    mgr = open_manager();
    job = new_job(mgr, "before the kill", NULL);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_description(job, "kept"));
    before = fx_service_pid();
    assert_true(before > 0);
    assert_int_equal(0, fx_service_kill());

    job2 = new_job(mgr, "after the kill", NULL); /* reconnects, starting a new service */
    after = fx_service_pid();
    assert_true(after > 0);
    assert_true(after != before);
    assert_int_equal(BGCOPY_JOB_STATE_SUSPENDED, state_of(job2));
    assert_int_equal(BGCOPY_JOB_STATE_SUSPENDED, state_of(job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_description(job, &name));
    assert_string_equal("kept", name);
    bgcopy_free(name);
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job2));
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    bgcopy_job_release(job2);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
}

/* Starts bgcopy-testserver on 127.0.0.1 (generated resources, paced at rate bytes/s); returns
 * its pid and port, or -1 when it cannot run. */
static pid_t start_testserver(const char *rate, int *port)
{
    const char *prog = getenv("BGCOPY_TESTSERVER");
    char *argv[] = {(char *)prog, "--port", "0", "--rate", (char *)rate, NULL};
    posix_spawn_file_actions_t fa;
    char line[128];
    size_t len = 0;
    struct pollfd p;
    pid_t pid;
    int fds[2];
    const char *colon;

    if (prog == NULL || pipe2(fds, O_CLOEXEC) != 0) {
        return -1;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    if (posix_spawn(&pid, prog, &fa, NULL, argv, environ) != 0) {
        pid = -1;
    }
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    p.fd = fds[0];
    p.events = POLLIN;
    while (pid > 0 && len + 1 < sizeof(line) && memchr(line, '\n', len) == NULL) {
        ssize_t n;
        if (poll(&p, 1, 10000) <= 0 ||
            (n = read(fds[0], line + len, sizeof(line) - 1 - len)) <= 0) {
            break;
        }
        len += (size_t)n;
    }
    close(fds[0]);
    line[len] = '\0';
    colon = strrchr(line, ':');
    if (pid > 0 && (strncmp(line, "listening 127.0.0.1:", 20) != 0 || colon == NULL ||
                    (*port = atoi(colon + 1)) <= 0)) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        pid = -1;
    }
    return pid;
}

static uint64_t job_bytes(bgcopy_job *job)
{
    bgcopy_job_progress p;
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_progress(job, &p));
    return p.bytes_transferred;
}

/* The service is SIGKILLed in the middle of an HTTP download (24 MiB served at 4 MiB/s,
 * checkpoints every 1 MiB / 100 ms). The next call starts a new service, which loads the job
 * from the store and goes on from the last checkpoint (the bytes the client sees after the
 * restart are at least half of those before the kill: not from zero); the callbacks this client
 * registered are registered again, so JobTransferred arrives; the file is byte-exact. */
static void test_service_killed_mid_transfer(void **state)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_manager *mgr;
    bgcopy_job *job;
    struct waiter w;
    char url[128], dst[600];
    uint64_t before = 0, after, i;
    pid_t server, first;
    int port = 0, waited, c;
    FILE *f;

    SERVICE_ONLY();
    server = start_testserver("4194304", &port);
    if (server < 0) {
        skip();
    }
    waiter_init(&w);
    (void)fx_service_stop(); /* a service started with the checkpoints below */
    o.checkpoint_bytes = 1024 * 1024;
    o.checkpoint_ms = 100;
    assert_hr(BGCOPY_S_OK, fx_manager_open(&o, &mgr));
    first = fx_service_pid();
    job = new_job(mgr, "killed mid-transfer", NULL);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/gen/24m", port);
    path_in(dst, sizeof(dst), "mid.bin");
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file(job, url, dst));
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND));
    cb.job_transferred = on_transferred;
    cb.job_error = on_error;
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(job, &cb, &w));
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    for (waited = 0; waited < DEADLINE_S * 1000 && before < 8u * 1024 * 1024; waited += 20) {
        nanosleep(&(struct timespec){0, 20000000L}, NULL); /* polling progress */
        before = job_bytes(job);
    }
    assert_true(before >= 8u * 1024 * 1024);
    assert_true(before < 24u * 1024 * 1024);
    assert_int_equal(0, fx_service_kill());

    after = job_bytes(job); /* a new service, the job loaded from the store */
    print_message("killed at %llu bytes, resumed from %llu\n", (unsigned long long)before,
                  (unsigned long long)after);
    assert_true(fx_service_pid() > 0 && fx_service_pid() != first);
    assert_true(after >= before / 2);
    assert_true(wait_count(&w, &w.transferred, 1));
    assert_int_equal(0, w.errors);
    assert_int_equal(24u * 1024 * 1024, job_bytes(job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_complete(job));
    f = fopen(dst, "rb");
    assert_non_null(f);
    for (i = 0; (c = fgetc(f)) != EOF; i++) {
        if (c != (int)((i * 131 + 7) & 0xFF)) {
            break;
        }
    }
    fclose(f);
    assert_int_equal(24u * 1024 * 1024, i);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
}

/* Runs bgcopyd by hand on the test's socket; returns its READY / ERROR line. */
static void run_bgcopyd(char *line, size_t size, const char *extra)
{
    const char *prog = getenv("BGCOPY_SERVICE_PROGRAM");
    char *sock = fx_service_socket(), cmd[2000];
    FILE *p;

    assert_non_null(prog);
    assert_non_null(sock);
    snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' %s --ready-fd 3 3>&1 >/dev/null 2>&1", prog,
             sock, extra);
    free(sock);
    p = popen(cmd, "r");
    assert_non_null(p);
    line[0] = '\0';
    if (fgets(line, (int)size, p) == NULL) {
        line[0] = '\0';
    }
    line[strcspn(line, "\n")] = '\0';
    pclose(p);
}

/* A second bgcopyd on the same socket refuses to start (the socket's lock); on another socket
 * but the same state directory too (the store's engine lock): a client that would start it
 * gets HRESULT_FROM_WIN32(ERROR_SERVICE_ALREADY_RUNNING) with the reason. */
static void test_second_instance_refused(void **state)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr, *other = NULL;
    char line[600], extra[1500], run[600], sock[700];
    const char *statedir = getenv("BGCOPY_STATE_DIR");
    pid_t pid;

    SERVICE_ONLY();
    mgr = open_manager();
    pid = fx_service_pid();
    run_bgcopyd(line, sizeof(line), "");
    assert_int_equal(0, strncmp(line, "ERROR 80070420 busy ", 20));

    assert_non_null(statedir);
    path_in(run, sizeof(run), "other-run");
    assert_int_equal(0, mkdir(run, 0700));
    snprintf(sock, sizeof(sock), "%s/bgcopyd.sock", run);
    snprintf(extra, sizeof(extra), "--socket '%s' --state-dir '%s'", sock, statedir);
    run_bgcopyd(line, sizeof(line), extra);
    assert_int_equal(0, strncmp(line, "ERROR 80070420 fatal ", 21));
    o.engine = BGCOPY_ENGINE_SERVICE;
    o.service_socket = sock;
    o.state_dir = statedir;
    assert_hr(BGCOPY_E_WIN32_SERVICE_ALREADY_RUNNING, bgcopy_manager_open(&o, &other));
    assert_null(other);
    assert_non_null(strstr(bgcopy_manager_open_detail(), "bgcopyd: "));
    assert_service_fine(pid);
    bgcopy_manager_close(mgr);
}

/* A service with a 1 s idle period and no job exits once its last client left; the next open
 * starts another. */
static void test_idle_service_exits(void **state)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr;
    pid_t first;

    SERVICE_ONLY();
    (void)fx_service_stop(); /* a fresh service, started with the idle period below */
    o.service_idle_timeout = 1;
    assert_hr(BGCOPY_S_OK, fx_manager_open(&o, &mgr));
    first = fx_service_pid();
    assert_true(first > 0);
    bgcopy_manager_close(mgr);
    assert_int_equal(0, fx_wait_gone(first, DEADLINE_S));
    assert_int_equal(-1, fx_service_pid());
    assert_hr(BGCOPY_S_OK, fx_manager_open(NULL, &mgr));
    assert_true(fx_service_pid() > 0);
    assert_true(fx_service_pid() != first);
    bgcopy_manager_close(mgr);
}

/* ---- identity: a system-wide service and a client run as nobody ---------------------------------
 */

static int have_setpriv(void)
{
    return access("/usr/bin/setpriv", X_OK) == 0 && getpwnam("nobody") != NULL;
}

/* Root runs bgcopyd --system on a socket in a directory every user can reach. A client running
 * as nobody: cannot see or touch root's job nor enumerate all users; its downloads are created,
 * renamed and owned as nobody; it cannot add a file into a directory only root may write, nor
 * read a source only root may read; its command line runs as nobody. Root sees both users'
 * jobs. */
static void test_uid_isolation_system_service(void **state)
{
    static const char *const prefix[] = {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup",
                                         "--clear-groups", NULL};
    char sysdir[] = "/tmp/bgcopy-sys-XXXXXX", sock[128], statedir[600], cmd[2000], line[600];
    char text[BGCOPY_GUID_STRING_SIZE], pidline[64], path[256], fifo[256];
    const char *args[] = {"child-nobody", sock, text, sysdir, NULL};
    const char *prog = getenv("BGCOPY_SERVICE_PROGRAM");
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL;
    bgcopy_job *job, *theirs = NULL;
    bgcopy_job_enum *en = NULL;
    bgcopy_guid id, their_id;
    struct passwd *nobody = getpwnam("nobody");
    struct child ch;
    struct stat st;
    struct pollfd p;
    FILE *pp;
    long spid = -1;
    uint32_t n = 0;
    char *owner = NULL;
    int fd;
    ssize_t got;

    SERVICE_ONLY();
    if (geteuid() != 0 || !have_setpriv()) {
        skip();
    }
    assert_non_null(mkdtemp(sysdir));
    assert_int_equal(0, chmod(sysdir, 0755));
    snprintf(path, sizeof(path), "%s/src.bin", sysdir);
    write_file(path, 700000);
    assert_int_equal(0, chmod(path, 0644));
    snprintf(path, sizeof(path), "%s/secret.bin", sysdir);
    write_file(path, 1000);
    assert_int_equal(0, chmod(path, 0600));
    snprintf(path, sizeof(path), "%s/rootonly", sysdir);
    assert_int_equal(0, mkdir(path, 0755));
    snprintf(path, sizeof(path), "%s/nobody", sysdir);
    assert_int_equal(0, mkdir(path, 0755));
    assert_int_equal(0, chown(path, nobody->pw_uid, nobody->pw_gid));
    snprintf(fifo, sizeof(fifo), "%s/nobody/cmd.fifo", sysdir);
    assert_int_equal(0, mkfifo(fifo, 0600));
    assert_int_equal(0, chown(fifo, nobody->pw_uid, nobody->pw_gid));
    fd = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(fd >= 0);

    snprintf(sock, sizeof(sock), "%s/bgcopyd.sock", sysdir);
    path_in(statedir, sizeof(statedir), "system-state");
    snprintf(cmd, sizeof(cmd),
             "'%s' --system --socket '%s' --state-dir '%s' --idle-timeout 0 --ready-fd 3 "
             "3>&1 >/dev/null 2>>'%s/system.log'",
             prog, sock, statedir, dir);
    pp = popen(cmd, "r");
    assert_non_null(pp);
    assert_non_null(fgets(pidline, sizeof(pidline), pp));
    pclose(pp);
    assert_int_equal(1, sscanf(pidline, "READY %ld", &spid));

    o.engine = BGCOPY_ENGINE_SERVICE;
    o.service_socket = sock;
    o.service_program = "";
    assert_hr(BGCOPY_S_OK, bgcopy_manager_open(&o, &mgr));
    assert_string_equal("root", bgcopy_manager_user(mgr));
    job = new_job(mgr, "root's job", &id);
    guid_text(&id, text);

    spawn_child(&ch, prefix, args);
    child_line(&ch, line, sizeof(line));
    assert_string_equal("nobody", line); /* the identity the service gave it */
    child_line(&ch, line, sizeof(line));
    assert_string_equal("isolated", line);
    child_line(&ch, line, sizeof(line));
    assert_string_equal("copied", line);
    child_line(&ch, line, sizeof(line));
    assert_string_equal("denied", line);
    child_line(&ch, line, sizeof(line));
    assert_string_equal("unreadable", line);
    child_line(&ch, line, sizeof(line));
    assert_hr(BGCOPY_S_OK, bgcopy_guid_from_string(line, &their_id));
    assert_int_equal(0, child_wait(&ch));

    /* nobody's download: created and renamed as nobody. */
    snprintf(path, sizeof(path), "%s/nobody/out.bin", sysdir);
    assert_int_equal(0, stat(path, &st));
    assert_int_equal(nobody->pw_uid, st.st_uid);
    assert_int_equal(700000, st.st_size);
    /* Its command line (job their_id, TRANSFERRED) ran as nobody. */
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    assert_int_equal(1, poll(&p, 1, DEADLINE_S * 1000));
    got = read(fd, line, sizeof(line) - 1);
    assert_true(got > 0);
    line[got] = '\0';
    assert_int_equal((long)nobody->pw_uid, strtol(line, NULL, 10));
    close(fd);

    /* Root (an administrator) sees both users' jobs and may open nobody's. */
    assert_hr(BGCOPY_S_OK, bgcopy_manager_enum_jobs(mgr, BGCOPY_JOB_ENUM_ALL_USERS, &en));
    assert_hr(BGCOPY_S_OK, bgcopy_job_enum_get_count(en, &n));
    assert_int_equal(2, n);
    bgcopy_job_enum_release(en);
    assert_hr(BGCOPY_S_OK, bgcopy_manager_get_job(mgr, &their_id, &theirs));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_owner(theirs, &owner));
    assert_string_equal("nobody", owner);
    bgcopy_free(owner);
    assert_int_equal(BGCOPY_JOB_STATE_TRANSFERRED, state_of(theirs));
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(theirs)); /* its temp file removed as nobody */
    bgcopy_job_release(theirs);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_display_name(job, &owner));
    assert_string_equal("root's job", owner); /* untouched */
    bgcopy_free(owner);
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);

    assert_int_equal(0, kill((pid_t)spid, SIGTERM));
    assert_int_equal(0, fx_wait_gone((pid_t)spid, DEADLINE_S));
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sysdir);
    assert_int_equal(0, system(cmd));
}

/* Waits for JobTransferred or JobError of a job in the nobody child. */
static int child_transfer(bgcopy_job *job, struct waiter *w)
{
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;

    cb.job_transferred = on_transferred;
    cb.job_error = on_error;
    return bgcopy_job_set_notify_callbacks(job, &cb, w) == BGCOPY_S_OK &&
           bgcopy_job_resume(job) == BGCOPY_S_OK && wait_either(w);
}

/* As nobody (see test_uid_isolation_system_service); prints a line per step. */
static int child_nobody(const char *sock, const char *root_job, const char *sysdir)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL, *fake = NULL;
    bgcopy_job *job = NULL;
    bgcopy_job_enum *en = NULL;
    bgcopy_guid id;
    struct waiter w;
    char text[BGCOPY_GUID_STRING_SIZE], src[300], dst[300], params[700];
    uint32_t n = 99;

    o.engine = BGCOPY_ENGINE_SERVICE;
    o.service_socket = sock;
    o.service_program = "";
    if (bgcopy_manager_open(&o, &mgr) != BGCOPY_S_OK) {
        printf("open: %s\n", bgcopy_manager_open_detail());
        return 2;
    }
    printf("%s\n", bgcopy_manager_user(mgr));
    fflush(stdout);
    if (bgcopy_guid_from_string(root_job, &id) != BGCOPY_S_OK ||
        bgcopy_manager_get_job(mgr, &id, &job) != BGCOPY_E_NOT_FOUND || job != NULL) {
        return 3;
    }
    if (bgcopy_manager_enum_jobs(mgr, BGCOPY_JOB_ENUM_ALL_USERS, &en) != BGCOPY_E_ACCESSDENIED ||
        bgcopy_manager_enum_jobs(mgr, 0, &en) != BGCOPY_S_OK ||
        bgcopy_job_enum_get_count(en, &n) != BGCOPY_S_OK || n != 0) {
        return 4;
    }
    bgcopy_job_enum_release(en);
    o.user = "root";
    if (bgcopy_manager_open(&o, &fake) != BGCOPY_E_ACCESSDENIED || fake != NULL) {
        return 5;
    }
    o.user = NULL;
    o.user_is_admin = 1;
    if (bgcopy_manager_open(&o, &fake) != BGCOPY_E_ACCESSDENIED) {
        return 6;
    }
    printf("isolated\n");
    fflush(stdout);

    /* A download into nobody's directory. */
    waiter_init(&w);
    snprintf(src, sizeof(src), "%s/src.bin", sysdir);
    snprintf(dst, sizeof(dst), "%s/nobody/out.bin", sysdir);
    if (bgcopy_manager_create_job(mgr, "copy", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job) !=
            BGCOPY_S_OK ||
        bgcopy_job_add_file(job, src, dst) != BGCOPY_S_OK || !child_transfer(job, &w) ||
        w.transferred != 1 || bgcopy_job_complete(job) != BGCOPY_S_OK) {
        return 7;
    }
    bgcopy_job_release(job);
    printf("copied\n");
    fflush(stdout);

    /* A directory only root may write: refused for nobody. */
    snprintf(dst, sizeof(dst), "%s/rootonly/x.bin", sysdir);
    if (bgcopy_manager_create_job(mgr, "denied", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job) !=
            BGCOPY_S_OK ||
        bgcopy_job_add_file(job, src, dst) != BGCOPY_E_ACCESSDENIED ||
        bgcopy_job_cancel(job) != BGCOPY_S_OK) {
        return 8;
    }
    bgcopy_job_release(job);
    printf("denied\n");
    fflush(stdout);

    /* A source only root may read: the transfer fails as it would for nobody in-process. */
    waiter_init(&w);
    snprintf(src, sizeof(src), "%s/secret.bin", sysdir);
    snprintf(dst, sizeof(dst), "%s/nobody/secret.bin", sysdir);
    if (bgcopy_manager_create_job(mgr, "secret", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job) !=
            BGCOPY_S_OK ||
        bgcopy_job_add_file(job, src, dst) != BGCOPY_S_OK || !child_transfer(job, &w) ||
        w.errors != 1 || w.error_code != BGCOPY_E_ACCESSDENIED ||
        w.error_context != BGCOPY_ERROR_CONTEXT_REMOTE_FILE ||
        bgcopy_job_cancel(job) != BGCOPY_S_OK || access(dst, F_OK) == 0) {
        return 9;
    }
    bgcopy_job_release(job);
    printf("unreadable\n");
    fflush(stdout);

    /* A command line (no callbacks): it writes its uid into the FIFO the parent reads. */
    snprintf(src, sizeof(src), "%s/src.bin", sysdir);
    snprintf(dst, sizeof(dst), "%s/nobody/cmd.bin", sysdir);
    snprintf(params, sizeof(params), "/bin/sh -c \"id -u > %s/nobody/cmd.fifo\"", sysdir);
    if (bgcopy_manager_create_job(mgr, "nobody's job", BGCOPY_JOB_TYPE_DOWNLOAD, &id, &job) !=
            BGCOPY_S_OK ||
        bgcopy_job_add_file(job, src, dst) != BGCOPY_S_OK ||
        bgcopy_job_set_notify_cmd_line(job, "/bin/sh", params) != BGCOPY_S_OK ||
        bgcopy_job_resume(job) != BGCOPY_S_OK) {
        return 10;
    }
    bgcopy_guid_to_string(&id, text);
    printf("%s\n", text);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    return 0;
}

/* ---- a scripted fake service: the client's side of a break -------------------------------------
 */

struct fake {
    int listen_fd;
    pthread_t thread;
    char sock[700];
    int connections;
    bgcopy_guid job_id;
};

/* Reads one request frame (blocking); returns the malloc'ed frame or NULL at EOF. */
static uint8_t *fake_read(int fd, struct bgcopy__svc_header *h, struct bgcopy__svc_rd *r)
{
    uint8_t prefix[4], *buf;
    const uint8_t *body;
    size_t blen, consumed;
    uint32_t n;

    if (recv(fd, prefix, 4, MSG_WAITALL) != 4) {
        return NULL;
    }
    n = bgcopy__svc_le32(prefix);
    buf = malloc(4 + n);
    memcpy(buf, prefix, 4);
    if (recv(fd, buf + 4, n, MSG_WAITALL) != (ssize_t)n ||
        bgcopy__svc_frame(buf, 4 + n, h, &body, &blen, &consumed) != 1) {
        free(buf);
        return NULL;
    }
    bgcopy__svc_rd_init(r, body, blen);
    return buf;
}

static void fake_reply(int fd, const struct bgcopy__svc_header *h, struct bgcopy__svc_wr *w)
{
    (void)bgcopy__svc_wr_end(w);
    (void)send(fd, w->buf, w->len, MSG_NOSIGNAL);
    bgcopy__svc_wr_free(w);
}

/* Connection 1: HELLO, CREATE_JOB (handle 5), then it hangs up on the next request (a
 * Resume: lost). Connection 2: HELLO, GET_JOB by the job's GUID (handle 8), then GET_INFO on
 * handle 8 answers state TRANSIENT_ERROR. */
static void *fake_main(void *arg)
{
    struct fake *f = arg;
    int conn;

    for (conn = 1; conn <= 2; conn++) {
        int fd = accept(f->listen_fd, NULL, NULL);
        struct bgcopy__svc_header h;
        struct bgcopy__svc_rd r;
        struct bgcopy__svc_wr w;
        uint8_t *frame;

        if (fd < 0) {
            break;
        }
        f->connections++;
        while ((frame = fake_read(fd, &h, &r)) != NULL) {
            bgcopy__svc_wr_begin(&w, BGCOPY__SVC_REPLY, h.op, 0, h.id);
            if (h.op == BGCOPY__OP_HELLO) {
                bgcopy__svc_wr_hr(&w, BGCOPY_S_OK);
                bgcopy__svc_wr_u32(&w, BGCOPY__SVC_VERSION);
                bgcopy__svc_wr_u32(&w, 4242);
                bgcopy__svc_wr_str(&w, "fake user");
                bgcopy__svc_wr_u32(&w, 0);
                bgcopy__svc_wr_str(&w, NULL);
            } else if (h.op == BGCOPY__OP_CREATE_JOB && conn == 1) {
                bgcopy__svc_wr_hr(&w, BGCOPY_S_OK);
                bgcopy__svc_wr_guid(&w, &f->job_id);
                bgcopy__svc_wr_u64(&w, 5);
            } else if (h.op == BGCOPY__OP_GET_JOB && conn == 2) {
                bgcopy_guid g = bgcopy__svc_rd_guid(&r);
                bgcopy__svc_wr_hr(&w, bgcopy_guid_equal(&g, &f->job_id) ? BGCOPY_S_OK
                                                                        : BGCOPY_E_NOT_FOUND);
                bgcopy__svc_wr_u64(&w, 8);
            } else if (h.op == BGCOPY__OP_GET_INFO && conn == 2 && bgcopy__svc_rd_u64(&r) == 8) {
                bgcopy_guid zero = {{0}};
                const char *p;
                bgcopy__svc_wr_hr(&w, BGCOPY_S_OK);
                bgcopy__svc_wr_guid(&w, &f->job_id);
                bgcopy__svc_wr_u32(&w, BGCOPY_JOB_TYPE_DOWNLOAD);
                bgcopy__svc_wr_u32(&w, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
                for (p = "UQQUUQQQUUUUUUUUUUUQUGU"; *p; p++) {
                    if (*p == 'Q') {
                        bgcopy__svc_wr_u64(&w, 0);
                    } else if (*p == 'G') {
                        bgcopy__svc_wr_guid(&w, &zero);
                    } else {
                        bgcopy__svc_wr_u32(&w, 0);
                    }
                }
            } else if (h.op == BGCOPY__OP_JOB_RELEASE || h.op == BGCOPY__OP_CLOSE) {
                if (h.op == BGCOPY__OP_CLOSE) {
                    bgcopy__svc_wr_hr(&w, BGCOPY_S_OK);
                    fake_reply(fd, &h, &w);
                } else {
                    bgcopy__svc_wr_free(&w);
                }
                free(frame);
                continue;
            } else {
                bgcopy__svc_wr_free(&w); /* anything else: hang up without an answer */
                free(frame);
                break;
            }
            fake_reply(fd, &h, &w);
            free(frame);
        }
        close(fd);
    }
    return NULL;
}

static void test_client_side_of_a_break(void **state)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL;
    bgcopy_job *job = NULL;
    bgcopy_job_state st;
    bgcopy_guid id;
    struct fake f;
    char fdir[600];

    memset(&f, 0, sizeof(f));
    memset(&f.job_id, 0x42, sizeof(f.job_id));
    path_in(fdir, sizeof(fdir), "fake");
    assert_int_equal(0, mkdir(fdir, 0700));
    snprintf(f.sock, sizeof(f.sock), "%s/fake.sock", fdir);
    f.listen_fd = bgcopy__svc_listen(f.sock, 0600);
    assert_true(f.listen_fd >= 0);
    assert_int_equal(0, fcntl(f.listen_fd, F_SETFL, 0)); /* blocking accept */
    assert_int_equal(0, pthread_create(&f.thread, NULL, fake_main, &f));

    o.engine = BGCOPY_ENGINE_SERVICE;
    o.service_socket = f.sock;
    o.service_program = "";
    assert_hr(BGCOPY_S_OK, bgcopy_manager_open(&o, &mgr));
    assert_string_equal("fake user", bgcopy_manager_user(mgr));
    assert_hr(BGCOPY_S_OK,
              bgcopy_manager_create_job(mgr, "j", BGCOPY_JOB_TYPE_DOWNLOAD, &id, &job));
    assert_true(bgcopy_guid_equal(&id, &f.job_id));
    /* The service hangs up on Resume: not repeated, the break is reported. */
    assert_hr(BGCOPY_E_RPC_DISCONNECTED, bgcopy_job_resume(job));
    /* A getter reconnects, finds the job by GUID under its new handle and answers. */
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_state(job, &st));
    assert_int_equal(BGCOPY_JOB_STATE_TRANSIENT_ERROR, st);
    assert_int_equal(2, f.connections);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    pthread_join(f.thread, NULL);
    close(f.listen_fd);

    /* Nobody listens any more and none may be started. */
    assert_hr(BGCOPY_E_WIN32_SERVICE_NOT_ACTIVE, bgcopy_manager_open(&o, &mgr));
    assert_non_null(strstr(bgcopy_manager_open_detail(), f.sock));
}

/* An unsafe socket directory (a symlink) is refused before anything connects. */
static void test_unsafe_socket_directory(void **state)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL;
    char real[600], link_dir[600], sock[700];

    path_in(real, sizeof(real), "real-run");
    path_in(link_dir, sizeof(link_dir), "link-run");
    assert_int_equal(0, mkdir(real, 0700));
    assert_int_equal(0, symlink(real, link_dir));
    snprintf(sock, sizeof(sock), "%s/bgcopyd.sock", link_dir);
    o.engine = BGCOPY_ENGINE_SERVICE;
    o.service_socket = sock;
    o.service_program = "";
    assert_hr(BGCOPY_E_ACCESSDENIED, bgcopy_manager_open(&o, &mgr));
    assert_null(mgr);
    assert_non_null(strstr(bgcopy_manager_open_detail(), "symlink"));
    /* And a simulation never goes to the service. */
    o.sim = (bgcopy_sim *)&o;
    assert_hr(BGCOPY_E_INVALIDARG, bgcopy_manager_open(&o, &mgr));
}

/* ---- main
 * ------------------------------------------------------------------------------------------ */

static int child_main(int argc, char **argv)
{
    if (strcmp(argv[1], "child-share") == 0) {
        return child_share();
    }
    if (strcmp(argv[1], "child-resume") == 0 && argc == 4) {
        return child_resume(argv[2], argv[3]);
    }
    if (strcmp(argv[1], "child-vanish") == 0 && argc == 3) {
        return child_vanish(argv[2]);
    }
    if (strcmp(argv[1], "child-block") == 0 && argc == 5) {
        return child_block(argv + 2);
    }
    if (strcmp(argv[1], "child-nobody") == 0 && argc == 5) {
        return child_nobody(argv[2], argv[3], argv[4]);
    }
    return 64;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_properties_round_trip),
        cmocka_unit_test(test_engine_rules_and_identity),
        cmocka_unit_test(test_files_and_ranges),
        cmocka_unit_test(test_error_object_and_callbacks),
        cmocka_unit_test(test_client_side_of_a_break),
        cmocka_unit_test(test_unsafe_socket_directory),
        cmocka_unit_test(test_two_processes_share_a_job),
        cmocka_unit_test(test_job_outlives_its_process),
        cmocka_unit_test(test_client_vanishes_inside_callback),
        cmocka_unit_test(test_four_in_flight_across_processes),
        cmocka_unit_test(test_malformed_frames),
        cmocka_unit_test(test_flood_does_not_stall_others),
        cmocka_unit_test(test_second_instance_refused),
        cmocka_unit_test(test_uid_isolation_system_service),
        cmocka_unit_test(test_service_killed_and_restarted),
        cmocka_unit_test(test_service_killed_mid_transfer),
        cmocka_unit_test(test_idle_service_exits),
    };

    static const char *const proxy_vars[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                             "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    size_t i;

    if (argc > 1 && strncmp(argv[1], "child-", 6) == 0) {
        return child_main(argc, argv);
    }
    /* The service started here inherits the environment: the loopback server is reached
     * directly. */
    for (i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++) {
        unsetenv(proxy_vars[i]);
    }
    signal(SIGPIPE, SIG_IGN);
    if (getenv("BGCOPY_TEST_FILTER") != NULL) {
        cmocka_set_test_filter(getenv("BGCOPY_TEST_FILTER"));
    }
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
