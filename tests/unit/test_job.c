/* tests/unit/test_job.c - pins the job API through the public functions.
 *
 * Defaults of a new job (reference §1.3, §1.10), Resume / Suspend / Cancel / Complete and the
 * final states (§1.4, §1.5), argument validation of every setter (§2.1, §2.2, §5.1, §5.4, §6,
 * §8.1, §8.5, §8.8, §8.10), that a failed call leaves the job exactly as it was, the group
 * policy limits (§7), per-user visibility and the enumerators, file objects, manager opening
 * and the GUID helpers. Managers run on the simulation harness, so time is virtual; local
 * names live in a temporary directory made under the current working directory.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bgcopy.h"

/* HRESULTs compare as unsigned 32-bit, so failures print the familiar hex value. */
#define assert_hr(got, want) assert_int_equal((uint32_t)(got), (uint32_t)(want))

/* 2026-01-01T00:00:00Z (the simulation's default start) as a FILETIME. */
#define DEFAULT_START_FILETIME ((1767225600ULL + 11644473600ULL) * 10000000ULL)

#define URL_A "http://example.test/a.bin"
#define URL_B "http://example.test/b.bin"
#define URL_C "https://example.test/dir/c.bin"

/* ---- fixture --------------------------------------------------------------------- */

struct fx {
    char dir[PATH_MAX]; /* absolute temporary directory */
    bgcopy_sim *sim;
    bgcopy_manager *mgr; /* user "alice", default limits */
};

/* Removes everything in dir (one level of subdirectories) and dir itself. */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            char path[PATH_MAX + 256];
            struct stat st;

            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
                continue;
            }
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                remove_tree(path);
            } else {
                (void)unlink(path);
            }
        }
        closedir(d);
    }
    (void)rmdir(dir);
}

static bgcopy_manager *open_manager(bgcopy_sim *sim, const char *user, int admin)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL;

    o.sim = sim;
    o.user = user;
    o.user_is_admin = admin;
    assert_hr(bgcopy_manager_open(&o, &mgr), BGCOPY_S_OK);
    assert_non_null(mgr);
    return mgr;
}

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    char cwd[PATH_MAX];

    if (fx == NULL || getcwd(cwd, sizeof(cwd)) == NULL) {
        free(fx);
        return -1;
    }
    if ((size_t)snprintf(fx->dir, sizeof(fx->dir), "%s/test_job.XXXXXX", cwd) >= sizeof(fx->dir) ||
        mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    if (bgcopy_sim_create(NULL, &fx->sim) != BGCOPY_S_OK) {
        remove_tree(fx->dir);
        free(fx);
        return -1;
    }
    fx->mgr = open_manager(fx->sim, "alice", 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    bgcopy_hr hr;

    bgcopy_manager_close(fx->mgr);
    /* Fails (E_UNEXPECTED) when a test leaked a job, file or enumerator reference. */
    hr = bgcopy_sim_destroy(fx->sim);
    remove_tree(fx->dir);
    free(fx);
    if (hr != BGCOPY_S_OK) {
        print_error("bgcopy_sim_destroy = 0x%08X (leaked references)\n", (unsigned)(uint32_t)hr);
        return -1;
    }
    return 0;
}

/* dir/name into buf. */
static const char *local_path(const struct fx *fx, const char *name, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s/%s", fx->dir, name);

    assert_true(n > 0 && (size_t)n < size);
    return buf;
}

static bgcopy_job *new_job(bgcopy_manager *mgr, const char *name, bgcopy_job_type type,
                           bgcopy_guid *id)
{
    bgcopy_job *job = NULL;

    assert_hr(bgcopy_manager_create_job(mgr, name, type, id, &job), BGCOPY_S_OK);
    assert_non_null(job);
    return job;
}

static bgcopy_job_state job_state(bgcopy_job *job)
{
    bgcopy_job_state s = (bgcopy_job_state)-1;

    assert_hr(bgcopy_job_get_state(job, &s), BGCOPY_S_OK);
    return s;
}

static uint32_t files_total(bgcopy_job *job)
{
    bgcopy_job_progress p;

    assert_hr(bgcopy_job_get_progress(job, &p), BGCOPY_S_OK);
    return p.files_total;
}

static void assert_string_prop(bgcopy_hr hr, char *got, const char *want)
{
    assert_hr(hr, BGCOPY_S_OK);
    assert_non_null(got);
    assert_string_equal(got, want);
    bgcopy_free(got);
}

static char *repeat_char(char c, size_t n)
{
    char *s = malloc(n + 1);

    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static uint32_t enum_job_count(bgcopy_manager *mgr, uint32_t flags)
{
    bgcopy_job_enum *e = NULL;
    uint32_t n = 0;

    assert_hr(bgcopy_manager_enum_jobs(mgr, flags, &e), BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_get_count(e, &n), BGCOPY_S_OK);
    bgcopy_job_enum_release(e);
    return n;
}

/* 1 when the manager's (flags) enumeration lists a job with this id. */
static int enum_lists(bgcopy_manager *mgr, uint32_t flags, const bgcopy_guid *id)
{
    bgcopy_job_enum *e = NULL;
    bgcopy_job *j = NULL;
    uint32_t n = 0, i, fetched = 0;
    int found = 0;

    assert_hr(bgcopy_manager_enum_jobs(mgr, flags, &e), BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_get_count(e, &n), BGCOPY_S_OK);
    for (i = 0; i < n; i++) {
        bgcopy_guid g;

        assert_hr(bgcopy_job_enum_next(e, 1, &j, &fetched), BGCOPY_S_OK);
        assert_int_equal(fetched, 1);
        assert_hr(bgcopy_job_get_id(j, &g), BGCOPY_S_OK);
        found |= bgcopy_guid_equal(&g, id);
        bgcopy_job_release(j);
    }
    assert_hr(bgcopy_job_enum_next(e, 1, &j, &fetched), BGCOPY_S_FALSE);
    assert_int_equal(fetched, 0);
    bgcopy_job_enum_release(e);
    return found;
}

/* ---- snapshots: everything the getters report ------------------------------------ */

struct snap {
    bgcopy_guid id;
    bgcopy_job_type type;
    bgcopy_job_state state;
    bgcopy_job_priority priority;
    uint32_t notify_flags, retry_delay, no_progress, max_download, security_flags, error_count;
    bgcopy_job_progress progress;
    bgcopy_job_times times;
    bgcopy_proxy_usage proxy_usage;
    char *proxy_list, *bypass_list;
    char *name, *description, *owner;
    bgcopy_hr headers_hr;
    char *headers;
    char *cmd_program, *cmd_parameters;
    int registered;
    uint32_t file_count;
    char *first_remote;
    bgcopy_job_property_value cost, dynamic, high_perf, max_size, interval;
};

static void take_snap(bgcopy_job *job, struct snap *s)
{
    bgcopy_file_enum *fe = NULL;

    memset(s, 0, sizeof(*s));
    assert_hr(bgcopy_job_get_id(job, &s->id), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_type(job, &s->type), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_state(job, &s->state), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_priority(job, &s->priority), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_notify_flags(job, &s->notify_flags), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_minimum_retry_delay(job, &s->retry_delay), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_no_progress_timeout(job, &s->no_progress), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_maximum_download_time(job, &s->max_download), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_security_flags(job, &s->security_flags), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_error_count(job, &s->error_count), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_progress(job, &s->progress), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_times(job, &s->times), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_proxy_settings(job, &s->proxy_usage, &s->proxy_list, &s->bypass_list),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_display_name(job, &s->name), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_description(job, &s->description), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_owner(job, &s->owner), BGCOPY_S_OK);
    s->headers_hr = bgcopy_job_get_custom_headers(job, &s->headers);
    assert_true(s->headers_hr == BGCOPY_S_OK || s->headers_hr == BGCOPY_S_FALSE);
    assert_hr(bgcopy_job_get_notify_cmd_line(job, &s->cmd_program, &s->cmd_parameters),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_notify_callbacks(job, &s->registered, NULL, NULL), BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_files(job, &fe), BGCOPY_S_OK);
    assert_hr(bgcopy_file_enum_get_count(fe, &s->file_count), BGCOPY_S_OK);
    if (s->file_count > 0) {
        bgcopy_file *f = NULL;

        assert_hr(bgcopy_file_enum_next(fe, 1, &f, NULL), BGCOPY_S_OK);
        assert_hr(bgcopy_file_get_remote_name(f, &s->first_remote), BGCOPY_S_OK);
        bgcopy_file_release(f);
    }
    bgcopy_file_enum_release(fe);
    assert_hr(bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_ID_COST_FLAGS, &s->cost),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, &s->dynamic),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE, &s->high_perf),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &s->max_size),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS,
                                      &s->interval),
              BGCOPY_S_OK);
}

static void free_snap(struct snap *s)
{
    bgcopy_free(s->proxy_list);
    bgcopy_free(s->bypass_list);
    bgcopy_free(s->name);
    bgcopy_free(s->description);
    bgcopy_free(s->owner);
    bgcopy_free(s->headers);
    bgcopy_free(s->cmd_program);
    bgcopy_free(s->cmd_parameters);
    bgcopy_free(s->first_remote);
    memset(s, 0, sizeof(*s));
}

static void assert_str_same(const char *what, const char *a, const char *b)
{
    if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0)) {
        fail_msg("%s changed: \"%s\" -> \"%s\"", what, a ? a : "(null)", b ? b : "(null)");
    }
}

static void assert_snap_equal(const struct snap *a, const struct snap *b)
{
    assert_true(bgcopy_guid_equal(&a->id, &b->id));
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->priority, b->priority);
    assert_int_equal(a->notify_flags, b->notify_flags);
    assert_int_equal(a->retry_delay, b->retry_delay);
    assert_int_equal(a->no_progress, b->no_progress);
    assert_int_equal(a->max_download, b->max_download);
    assert_int_equal(a->security_flags, b->security_flags);
    assert_int_equal(a->error_count, b->error_count);
    assert_int_equal(a->progress.bytes_total, b->progress.bytes_total);
    assert_int_equal(a->progress.bytes_transferred, b->progress.bytes_transferred);
    assert_int_equal(a->progress.files_total, b->progress.files_total);
    assert_int_equal(a->progress.files_transferred, b->progress.files_transferred);
    assert_int_equal(a->times.creation_time, b->times.creation_time);
    assert_int_equal(a->times.modification_time, b->times.modification_time);
    assert_int_equal(a->times.transfer_completion_time, b->times.transfer_completion_time);
    assert_int_equal(a->proxy_usage, b->proxy_usage);
    assert_str_same("proxy list", a->proxy_list, b->proxy_list);
    assert_str_same("bypass list", a->bypass_list, b->bypass_list);
    assert_str_same("display name", a->name, b->name);
    assert_str_same("description", a->description, b->description);
    assert_str_same("owner", a->owner, b->owner);
    assert_hr(a->headers_hr, b->headers_hr);
    assert_str_same("custom headers", a->headers, b->headers);
    assert_str_same("notify program", a->cmd_program, b->cmd_program);
    assert_str_same("notify parameters", a->cmd_parameters, b->cmd_parameters);
    assert_int_equal(a->registered, b->registered);
    assert_int_equal(a->file_count, b->file_count);
    assert_str_same("first remote name", a->first_remote, b->first_remote);
    assert_int_equal(a->cost.dword, b->cost.dword);
    assert_int_equal(a->dynamic.enable, b->dynamic.enable);
    assert_int_equal(a->high_perf.enable, b->high_perf.enable);
    assert_int_equal(a->max_size.uint64, b->max_size.uint64);
    assert_int_equal(a->interval.dword, b->interval.dword);
}

/* ---- defaults -------------------------------------------------------------------- */

static void test_new_job_defaults(void **state)
{
    struct fx *fx = *state;
    bgcopy_guid id, got_id;
    bgcopy_job *job = new_job(fx->mgr, "job one", BGCOPY_JOB_TYPE_DOWNLOAD, &id);
    bgcopy_job_type type = (bgcopy_job_type)-1;
    bgcopy_job_priority prio = (bgcopy_job_priority)-1;
    uint32_t u = 0xDEADBEEFu;
    bgcopy_job_progress p;
    bgcopy_job_times t;
    bgcopy_error *err = (bgcopy_error *)&u;
    char *s = (char *)&u, *s2 = (char *)&u;
    bgcopy_proxy_usage usage = (bgcopy_proxy_usage)-1;
    int registered = -1;
    void *user = &u;

    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_SUSPENDED);
    assert_int_equal(job_state(job), 3);
    assert_hr(bgcopy_job_get_id(job, &got_id), BGCOPY_S_OK);
    assert_true(bgcopy_guid_equal(&id, &got_id));
    assert_hr(bgcopy_job_get_type(job, &type), BGCOPY_S_OK);
    assert_int_equal(type, BGCOPY_JOB_TYPE_DOWNLOAD);
    assert_hr(bgcopy_job_get_priority(job, &prio), BGCOPY_S_OK);
    assert_int_equal(prio, BGCOPY_JOB_PRIORITY_NORMAL);
    assert_int_equal(prio, 2);
    assert_hr(bgcopy_job_get_notify_flags(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 0x3);
    assert_hr(bgcopy_job_get_minimum_retry_delay(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 600);
    assert_hr(bgcopy_job_get_no_progress_timeout(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 1209600);
    assert_hr(bgcopy_job_get_maximum_download_time(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 7776000);

    memset(&p, 0xAB, sizeof(p));
    assert_hr(bgcopy_job_get_progress(job, &p), BGCOPY_S_OK);
    assert_int_equal(p.bytes_total, 0);
    assert_int_equal(p.bytes_transferred, 0);
    assert_int_equal(p.files_total, 0);
    assert_int_equal(p.files_transferred, 0);

    u = 77;
    assert_hr(bgcopy_job_get_error_count(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 0);
    assert_hr(bgcopy_job_get_error(job, &err), BGCOPY_E_ERROR_INFORMATION_UNAVAILABLE);
    assert_hr(bgcopy_job_get_error(job, &err), 0x8020000Fu);
    assert_null(err);

    assert_hr(bgcopy_job_get_custom_headers(job, &s), BGCOPY_S_FALSE);
    assert_hr(bgcopy_job_get_custom_headers(job, &s), 1);
    assert_null(s);

    u = 77;
    assert_hr(bgcopy_job_get_security_flags(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 0);

    s = (char *)&u;
    s2 = (char *)&u;
    assert_hr(bgcopy_job_get_proxy_settings(job, &usage, &s, &s2), BGCOPY_S_OK);
    assert_int_equal(usage, BGCOPY_PROXY_USAGE_PRECONFIG);
    assert_null(s);
    assert_null(s2);

    s = s2 = NULL;
    assert_hr(bgcopy_job_get_notify_cmd_line(job, &s, &s2), BGCOPY_S_OK);
    assert_non_null(s);
    assert_non_null(s2);
    assert_string_equal(s, "");
    assert_string_equal(s2, "");
    bgcopy_free(s);
    bgcopy_free(s2);

    assert_hr(bgcopy_job_get_description(job, &s), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, s, "");
    assert_hr(bgcopy_job_get_display_name(job, &s), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, s, "job one");
    assert_hr(bgcopy_job_get_owner(job, &s), BGCOPY_S_OK);
    assert_string_equal(s, bgcopy_manager_user(fx->mgr));
    assert_string_prop(BGCOPY_S_OK, s, "alice");

    memset(&t, 0xAB, sizeof(t));
    assert_hr(bgcopy_job_get_times(job, &t), BGCOPY_S_OK);
    assert_int_equal(t.creation_time, DEFAULT_START_FILETIME);
    assert_int_equal(t.creation_time, 134116992000000000ULL);
    assert_int_equal(t.modification_time, t.creation_time);
    assert_int_equal(t.transfer_completion_time, 0);

    assert_hr(bgcopy_job_get_notify_callbacks(job, &registered, NULL, &user), BGCOPY_S_OK);
    assert_int_equal(registered, 0);
    assert_null(user);

    bgcopy_job_release(job);
}

static void test_new_job_types(void **state)
{
    struct fx *fx = *state;
    static const bgcopy_job_type types[] = {BGCOPY_JOB_TYPE_DOWNLOAD, BGCOPY_JOB_TYPE_UPLOAD,
                                            BGCOPY_JOB_TYPE_UPLOAD_REPLY};
    size_t i;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        bgcopy_job *job = new_job(fx->mgr, "typed", types[i], NULL);
        bgcopy_job_type type = (bgcopy_job_type)-1;

        assert_hr(bgcopy_job_get_type(job, &type), BGCOPY_S_OK);
        assert_int_equal(type, types[i]);
        assert_int_equal(job_state(job), BGCOPY_JOB_STATE_SUSPENDED);
        bgcopy_job_release(job);
    }
}

/* Job times follow the simulation's wall clock: its configured start plus virtual time; a
 * setter moves the modification time only (reference §1.10). */
static void test_times_follow_simulation_clock(void **state)
{
    struct fx *fx = *state;
    bgcopy_sim_options so = BGCOPY_SIM_OPTIONS_INIT;
    bgcopy_sim *sim = NULL;
    bgcopy_manager *mgr;
    bgcopy_job *job;
    bgcopy_job_times t;
    const uint64_t start = (1000000000ULL + 11644473600ULL) * 10000000ULL;

    (void)fx;
    so.start_wall_time = 1000000000.0; /* 2001-09-09T01:46:40Z */
    assert_hr(bgcopy_sim_create(&so, &sim), BGCOPY_S_OK);
    mgr = open_manager(sim, "carol", 0);

    job = new_job(mgr, "clock", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    assert_hr(bgcopy_job_get_times(job, &t), BGCOPY_S_OK);
    assert_int_equal(t.creation_time, start);
    assert_int_equal(t.modification_time, start);
    assert_int_equal(t.transfer_completion_time, 0);

    assert_hr(bgcopy_sim_advance(sim, 10.0), BGCOPY_S_OK);
    assert_hr(bgcopy_job_set_description(job, "later"), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_times(job, &t), BGCOPY_S_OK);
    assert_int_equal(t.creation_time, start);
    assert_int_equal(t.modification_time, start + 10ULL * 10000000ULL);
    assert_int_equal(t.transfer_completion_time, 0);
    bgcopy_job_release(job);

    job = new_job(mgr, "second", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    assert_hr(bgcopy_job_get_times(job, &t), BGCOPY_S_OK);
    assert_int_equal(t.creation_time, start + 10ULL * 10000000ULL);
    assert_int_equal(t.modification_time, t.creation_time);
    bgcopy_job_release(job);

    bgcopy_manager_close(mgr);
    assert_hr(bgcopy_sim_destroy(sim), BGCOPY_S_OK);
}

/* ---- Resume ------------------------------------------------------------------------ */

static void test_resume_needs_a_file(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *job = new_job(fx->mgr, "resume", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    char path[PATH_MAX + 16];

    assert_hr(bgcopy_job_resume(job), BGCOPY_E_EMPTY);
    assert_hr(bgcopy_job_resume(job), 0x80200003u);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_SUSPENDED);

    assert_hr(bgcopy_job_add_file(job, URL_A, local_path(fx, "a.bin", path, sizeof(path))),
              BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_SUSPENDED);
    assert_hr(bgcopy_job_resume(job), BGCOPY_S_OK);
    /* Checked before the simulation runs: the scheduler has not picked the job yet. */
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_QUEUED);
    /* Resume of a QUEUED job leaves it unchanged. */
    assert_hr(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_QUEUED);
    assert_hr(bgcopy_job_suspend(job), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_SUSPENDED);
    /* Suspend of a suspended job: S_OK, still SUSPENDED. */
    assert_hr(bgcopy_job_suspend(job), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_SUSPENDED);
    bgcopy_job_release(job);
}

/* ---- final states ---------------------------------------------------------------------- */

/* Every mutating call on a job in a final state is BG_E_INVALID_STATE and changes nothing;
 * every getter still works; the job has left the queue. */
static void check_final_job(struct fx *fx, bgcopy_job *job, bgcopy_file *file,
                            bgcopy_job_state want)
{
    struct snap before, after;
    char path[PATH_MAX + 16];
    bgcopy_file_info fi;
    bgcopy_file_range r = {0, 10};
    bgcopy_job_property_value pv;
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_job *found = (bgcopy_job *)&fi;
    char *remote = NULL;

    take_snap(job, &before);
    assert_int_equal(before.state, want);

    fi.remote_name = URL_B;
    fi.local_name = local_path(fx, "late.bin", path, sizeof(path));
    assert_hr(bgcopy_job_set_display_name(job, "renamed"), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_display_name(job, "renamed"), 0x80200002u);
    assert_hr(bgcopy_job_set_description(job, "described"), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_notify_flags(job, BGCOPY_NOTIFY_JOB_TRANSFERRED),
              BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_minimum_retry_delay(job, 60), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_no_progress_timeout(job, 60), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_maximum_download_time(job, 60), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_NO_PROXY, NULL, NULL),
              BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_OVERRIDE, "proxy:8080", NULL),
              BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_SERVER, BGCOPY_AUTH_SCHEME_BASIC,
                                         "user", "password"),
              BGCOPY_E_INVALID_STATE);
    assert_hr(
        bgcopy_job_remove_credentials(job, BGCOPY_AUTH_TARGET_SERVER, BGCOPY_AUTH_SCHEME_BASIC),
        BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_notify_cmd_line(job, "/bin/true", NULL), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_notify_cmd_line(job, NULL, NULL), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_custom_headers(job, "X-A: b\r\n"), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_custom_headers(job, NULL), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_security_flags(job, BGCOPY_SSL_ENABLE_CRL_CHECK),
              BGCOPY_E_INVALID_STATE);
    memset(&pv, 0, sizeof(pv));
    pv.dword = BGCOPY_COST_STATE_TRANSFER_STANDARD;
    assert_hr(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_ID_COST_FLAGS, &pv),
              BGCOPY_E_INVALID_STATE);
    memset(&pv, 0, sizeof(pv));
    pv.dword = 1000;
    assert_hr(
        bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, &pv),
        BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_suspend(job), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_resume(job), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_cancel(job), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_complete(job), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_add_file(job, fi.remote_name, fi.local_name), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_add_file_set(job, 1, &fi), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_add_file_with_ranges(job, fi.remote_name, fi.local_name, 1, &r),
              BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_notify_callbacks(job, &cb, NULL), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_set_notify_callbacks(job, NULL, NULL), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_replace_remote_prefix(job, "http://example.test/", "http://other.test/"),
              BGCOPY_E_INVALID_STATE);
    if (file != NULL) {
        assert_hr(bgcopy_file_set_remote_name(file, "http://other.test/x.bin"),
                  BGCOPY_E_INVALID_STATE);
        assert_hr(bgcopy_file_get_remote_name(file, &remote), BGCOPY_S_OK);
        assert_string_prop(BGCOPY_S_OK, remote, URL_A);
    }

    take_snap(job, &after);
    assert_snap_equal(&before, &after);

    /* The job has left the queue. */
    assert_hr(bgcopy_manager_get_job(fx->mgr, &before.id, &found), BGCOPY_E_NOT_FOUND);
    assert_hr(bgcopy_manager_get_job(fx->mgr, &before.id, &found), 0x80200001u);
    assert_null(found);
    assert_int_equal(enum_lists(fx->mgr, 0, &before.id), 0);

    free_snap(&before);
    free_snap(&after);
}

static void test_cancel_twice_and_cancelled_job(void **state)
{
    struct fx *fx = *state;
    char path[PATH_MAX + 16];
    bgcopy_guid other_id;
    bgcopy_job *other = new_job(fx->mgr, "other", BGCOPY_JOB_TYPE_DOWNLOAD, &other_id);
    bgcopy_job *job = new_job(fx->mgr, "to cancel", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    bgcopy_file_enum *fe = NULL;
    bgcopy_file *file = NULL;

    assert_hr(bgcopy_job_add_file(job, URL_A, local_path(fx, "a.bin", path, sizeof(path))),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_set_description(job, "kept"), BGCOPY_S_OK);
    assert_hr(bgcopy_job_set_custom_headers(job, "X-A: b\r\n"), BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_files(job, &fe), BGCOPY_S_OK);
    assert_hr(bgcopy_file_enum_next(fe, 1, &file, NULL), BGCOPY_S_OK);
    bgcopy_file_enum_release(fe);
    assert_int_equal(enum_job_count(fx->mgr, 0), 2);

    assert_hr(bgcopy_job_cancel(job), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_CANCELLED);
    assert_int_equal(job_state(job), 8);
    assert_hr(bgcopy_job_cancel(job), BGCOPY_E_INVALID_STATE);
    assert_hr(bgcopy_job_cancel(job), 0x80200002u);
    check_final_job(fx, job, file, BGCOPY_JOB_STATE_CANCELLED);

    /* The other job is untouched and still listed. */
    assert_int_equal(enum_job_count(fx->mgr, 0), 1);
    assert_int_equal(enum_lists(fx->mgr, 0, &other_id), 1);
    assert_int_equal(job_state(other), BGCOPY_JOB_STATE_SUSPENDED);
    /* Nothing was ever written. */
    assert_int_equal(access(path, F_OK), -1);

    bgcopy_file_release(file);
    bgcopy_job_release(job);
    bgcopy_job_release(other);
}

static void test_complete_twice_and_acknowledged_job(void **state)
{
    struct fx *fx = *state;
    char path[PATH_MAX + 16];
    bgcopy_job *empty = new_job(fx->mgr, "empty", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    bgcopy_job *job = new_job(fx->mgr, "to complete", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    bgcopy_file_enum *fe = NULL;
    bgcopy_file *file = NULL;
    bgcopy_file_progress fp;

    /* No file at all: every (zero) file was whole -> S_OK. */
    assert_hr(bgcopy_job_complete(empty), BGCOPY_S_OK);
    assert_int_equal(job_state(empty), BGCOPY_JOB_STATE_ACKNOWLEDGED);
    assert_hr(bgcopy_job_complete(empty), BGCOPY_E_INVALID_STATE);
    check_final_job(fx, empty, NULL, BGCOPY_JOB_STATE_ACKNOWLEDGED);

    /* One file never transferred: it is dropped -> BG_S_PARTIAL_COMPLETE. */
    assert_hr(bgcopy_job_add_file(job, URL_A, local_path(fx, "a.bin", path, sizeof(path))),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_files(job, &fe), BGCOPY_S_OK);
    assert_hr(bgcopy_file_enum_next(fe, 1, &file, NULL), BGCOPY_S_OK);
    bgcopy_file_enum_release(fe);
    assert_hr(bgcopy_job_complete(job), BGCOPY_S_PARTIAL_COMPLETE);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_ACKNOWLEDGED);
    assert_int_equal(job_state(job), 7);
    assert_hr(bgcopy_job_complete(job), 0x80200002u);
    check_final_job(fx, job, file, BGCOPY_JOB_STATE_ACKNOWLEDGED);
    assert_hr(bgcopy_file_get_progress(file, &fp), BGCOPY_S_OK);
    assert_int_equal(fp.completed, 0);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(enum_job_count(fx->mgr, 0), 0);

    bgcopy_file_release(file);
    bgcopy_job_release(job);
    bgcopy_job_release(empty);
}

/* Complete on an upload job is only legal in TRANSFERRED (reference §1.5). */
static void test_complete_upload_needs_transferred(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *job = new_job(fx->mgr, "up", BGCOPY_JOB_TYPE_UPLOAD, NULL);

    assert_hr(bgcopy_job_complete(job), BGCOPY_E_INVALID_STATE);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_SUSPENDED);
    assert_hr(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
}

/* ---- validation -------------------------------------------------------------------- */

static void test_null_arguments(void **state)
{
    struct fx *fx = *state;
    char path[PATH_MAX + 16];
    bgcopy_guid id;
    bgcopy_job *job = new_job(fx->mgr, "nulls", BGCOPY_JOB_TYPE_DOWNLOAD, &id);
    bgcopy_job *j = (bgcopy_job *)&id;
    bgcopy_job_state st;
    bgcopy_job_progress p;
    bgcopy_job_times t;
    bgcopy_job_priority prio;
    bgcopy_job_type type;
    bgcopy_proxy_usage usage;
    uint32_t u;
    char *s = NULL;
    int reg;
    bgcopy_error *err = NULL;
    bgcopy_file_enum *fe = NULL;
    bgcopy_file *file = NULL;
    bgcopy_file_range *ranges = NULL;
    bgcopy_file_info fi;
    bgcopy_job_property_value pv;
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    struct snap before, after;

    assert_hr(bgcopy_job_add_file(job, URL_A, local_path(fx, "a.bin", path, sizeof(path))),
              BGCOPY_S_OK);
    assert_hr(bgcopy_sim_advance(fx->sim, 5.0), BGCOPY_S_OK);
    take_snap(job, &before);

    /* NULL job. */
    assert_hr(bgcopy_job_get_state(NULL, &st), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_state(NULL, &st), 0x80070057u);
    assert_hr(bgcopy_job_get_progress(NULL, &p), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_times(NULL, &t), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_priority(NULL, &prio), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_display_name(NULL, &s), BGCOPY_E_INVALIDARG);
    assert_null(s);
    assert_hr(bgcopy_job_get_error(NULL, &err), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_notify_callbacks(NULL, &reg, NULL, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_display_name(NULL, "x"), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_description(NULL, "x"), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_priority(NULL, BGCOPY_JOB_PRIORITY_HIGH), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_notify_flags(NULL, 1), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_minimum_retry_delay(NULL, 60), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_no_progress_timeout(NULL, 60), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_maximum_download_time(NULL, 60), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_security_flags(NULL, 0), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_proxy_settings(NULL, BGCOPY_PROXY_USAGE_NO_PROXY, NULL, NULL),
              BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_credentials(NULL, BGCOPY_AUTH_TARGET_SERVER, BGCOPY_AUTH_SCHEME_BASIC,
                                         "u", "p"),
              BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_notify_cmd_line(NULL, "/bin/true", NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_custom_headers(NULL, "A: b\r\n"), BGCOPY_E_INVALIDARG);
    memset(&pv, 0, sizeof(pv));
    assert_hr(bgcopy_job_set_property(NULL, BGCOPY_JOB_PROPERTY_ID_COST_FLAGS, &pv),
              BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_notify_callbacks(NULL, &cb, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_resume(NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_suspend(NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_cancel(NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_complete(NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_add_file(NULL, URL_A, path), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_enum_files(NULL, &fe), BGCOPY_E_INVALIDARG);
    assert_null(fe);
    bgcopy_job_release(NULL);
    bgcopy_job_addref(NULL);

    /* NULL outputs. */
    assert_hr(bgcopy_job_get_id(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_type(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_state(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_progress(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_times(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_priority(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_notify_flags(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_minimum_retry_delay(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_no_progress_timeout(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_maximum_download_time(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_security_flags(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_error_count(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_owner(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_display_name(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_description(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_custom_headers(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_proxy_settings(job, NULL, NULL, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_notify_cmd_line(job, NULL, &s), BGCOPY_E_INVALIDARG);
    assert_null(s);
    assert_hr(bgcopy_job_get_notify_cmd_line(job, &s, NULL), BGCOPY_E_INVALIDARG);
    assert_null(s);
    assert_hr(bgcopy_job_get_error(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_notify_callbacks(job, NULL, NULL, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_ID_COST_FLAGS, NULL),
              BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_enum_files(job, NULL), BGCOPY_E_INVALIDARG);

    /* NULL inputs. */
    assert_hr(bgcopy_job_set_display_name(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_description(job, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_ID_COST_FLAGS, NULL),
              BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_add_file(job, NULL, path), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_add_file(job, URL_B, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_add_file_set(job, 1, NULL), BGCOPY_E_INVALIDARG);
    fi.remote_name = URL_B;
    fi.local_name = NULL;
    assert_hr(bgcopy_job_add_file_set(job, 1, &fi), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_B, path, 1, NULL), BGCOPY_E_INVALIDARG);

    /* Manager. */
    assert_hr(bgcopy_manager_create_job(NULL, "x", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &j),
              BGCOPY_E_INVALIDARG);
    assert_null(j);
    j = (bgcopy_job *)&id;
    assert_hr(bgcopy_manager_get_job(fx->mgr, NULL, &j), BGCOPY_E_INVALIDARG);
    assert_null(j);
    assert_hr(bgcopy_manager_get_job(fx->mgr, &id, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_manager_get_job(NULL, &id, &j), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_manager_enum_jobs(fx->mgr, 0, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_manager_enum_jobs(NULL, 0, (bgcopy_job_enum **)&j), BGCOPY_E_INVALIDARG);
    assert_null(j);

    /* File objects. */
    assert_hr(bgcopy_job_enum_files(job, &fe), BGCOPY_S_OK);
    assert_hr(bgcopy_file_enum_next(fe, 1, &file, NULL), BGCOPY_S_OK);
    bgcopy_file_enum_release(fe);
    assert_hr(bgcopy_file_get_remote_name(NULL, &s), BGCOPY_E_INVALIDARG);
    assert_null(s);
    assert_hr(bgcopy_file_get_remote_name(file, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_file_get_local_name(file, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_file_get_temporary_name(file, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_file_get_progress(file, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_file_get_progress(NULL, (bgcopy_file_progress *)&p), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_file_get_file_ranges(file, NULL, &ranges), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_file_get_file_ranges(file, &u, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_file_set_remote_name(file, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_file_set_remote_name(NULL, URL_B), BGCOPY_E_INVALIDARG);
    bgcopy_file_release(file);

    /* Enumerators. */
    assert_hr(bgcopy_job_enum_get_count(NULL, &u), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_enum_next(NULL, 1, &j, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_file_enum_get_count(NULL, &u), BGCOPY_E_INVALIDARG);

    (void)type;
    (void)usage;
    take_snap(job, &after);
    assert_snap_equal(&before, &after);
    free_snap(&before);
    free_snap(&after);
    bgcopy_job_release(job);
}

/* Every rejected call of the validation tests below, on one job: afterwards every getter reads
 * what it read before (including the modification time). */
static void test_rejected_calls_leave_job_unchanged(void **state)
{
    struct fx *fx = *state;
    char path[PATH_MAX + 16], missing[PATH_MAX + 32];
    bgcopy_job *job = new_job(fx->mgr, "stable", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    char *n257 = repeat_char('n', 257), *d1025 = repeat_char('d', 1025);
    char *u301 = repeat_char('u', 301);
    bgcopy_file_range ranges[2];
    bgcopy_file_info set[2];
    bgcopy_job_property_value pv;
    struct snap before, after;

    local_path(fx, "a.bin", path, sizeof(path));
    local_path(fx, "missing/a.bin", missing, sizeof(missing));
    assert_hr(bgcopy_job_set_display_name(job, "old name"), BGCOPY_S_OK);
    assert_hr(bgcopy_job_set_description(job, "old description"), BGCOPY_S_OK);
    assert_hr(bgcopy_job_set_custom_headers(job, "X-Old: 1\r\n"), BGCOPY_S_OK);
    assert_hr(
        bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_OVERRIDE, "old:8080", "<local>"),
        BGCOPY_S_OK);
    assert_hr(bgcopy_job_set_notify_cmd_line(job, "/bin/echo", "/bin/echo old"), BGCOPY_S_OK);
    assert_hr(bgcopy_job_add_file(job, URL_A, path), BGCOPY_S_OK);
    assert_hr(bgcopy_sim_advance(fx->sim, 10.0), BGCOPY_S_OK);
    take_snap(job, &before);

    assert_hr(bgcopy_job_set_display_name(job, n257), BGCOPY_E_STRING_TOO_LONG);
    assert_hr(bgcopy_job_set_description(job, d1025), BGCOPY_E_STRING_TOO_LONG);
    assert_hr(bgcopy_job_set_priority(job, (bgcopy_job_priority)4), BGCOPY_E_NOTIMPL);
    assert_hr(bgcopy_job_set_priority(job, (bgcopy_job_priority)-1), BGCOPY_E_NOTIMPL);
    assert_hr(bgcopy_job_set_notify_flags(job, 0x40), BGCOPY_E_NOTIMPL);
    assert_hr(bgcopy_job_set_security_flags(job, 0x1000), BGCOPY_E_NOTIMPL);
    assert_hr(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_OVERRIDE, NULL, NULL),
              BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_NO_PROXY, "p:1", NULL),
              BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_proxy_settings(job, (bgcopy_proxy_usage)4, NULL, NULL),
              BGCOPY_E_NOTIMPL);
    assert_hr(
        bgcopy_job_set_credentials(job, (bgcopy_auth_target)3, BGCOPY_AUTH_SCHEME_BASIC, "u", "p"),
        BGCOPY_E_INVALID_AUTH_TARGET);
    assert_hr(
        bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_SERVER, (bgcopy_auth_scheme)6, "u", "p"),
        BGCOPY_E_INVALID_AUTH_SCHEME);
    assert_hr(bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_SERVER, BGCOPY_AUTH_SCHEME_BASIC,
                                         u301, "p"),
              BGCOPY_E_USERNAME_TOO_LARGE);
    assert_hr(bgcopy_job_set_custom_headers(job, "A: b\r\nX: y\n"), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_notify_cmd_line(job, NULL, "x"), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_notify_cmd_line(job, "bin/true", NULL), BGCOPY_E_INVALIDARG);
    memset(&pv, 0, sizeof(pv));
    pv.dword = 1;
    assert_hr(bgcopy_job_set_property(job, (bgcopy_job_property_id)6, &pv),
              BGCOPY_E_UNKNOWN_PROPERTY_ID);
    memset(&pv, 0, sizeof(pv));
    assert_hr(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &pv),
              BGCOPY_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE);
    pv.enable = 1;
    assert_hr(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE, &pv),
              BGCOPY_E_READ_ONLY_PROPERTY_AFTER_ADDFILE);
    assert_hr(bgcopy_job_add_file(job, URL_B, "relative/b.bin"), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_add_file(job, "ftp://example.test/b.bin", path), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_add_file(job, URL_B, missing), BGCOPY_E_WIN32_PATH_NOT_FOUND);
    /* All or nothing: the first entry is fine, the second is not. */
    set[0].remote_name = URL_B;
    set[0].local_name = path;
    set[1].remote_name = "ftp://example.test/c.bin";
    set[1].local_name = path;
    assert_hr(bgcopy_job_add_file_set(job, 2, set), BGCOPY_E_INVALIDARG);
    ranges[0].initial_offset = 0;
    ranges[0].length = 100;
    ranges[1].initial_offset = 50;
    ranges[1].length = 10;
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_B, path, 2, ranges),
              BGCOPY_E_OVERLAPPING_RANGES);
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_B, path, 0, ranges), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_replace_remote_prefix(job, "", "http://x/"), BGCOPY_E_INVALIDARG);

    take_snap(job, &after);
    assert_snap_equal(&before, &after);
    assert_string_equal(after.name, "old name");
    free_snap(&before);
    free_snap(&after);
    free(n257);
    free(d1025);
    free(u301);
    bgcopy_job_release(job);
}

static void test_priority_and_flags(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *job = new_job(fx->mgr, "prio", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    bgcopy_job_priority prio;
    uint32_t u;
    int p;

    assert_hr(bgcopy_job_set_priority(job, (bgcopy_job_priority)4), BGCOPY_E_NOTIMPL);
    assert_hr(bgcopy_job_set_priority(job, (bgcopy_job_priority)4), 0x80004001u);
    assert_hr(bgcopy_job_set_priority(job, (bgcopy_job_priority)-1), BGCOPY_E_NOTIMPL);
    assert_hr(bgcopy_job_get_priority(job, &prio), BGCOPY_S_OK);
    assert_int_equal(prio, BGCOPY_JOB_PRIORITY_NORMAL);
    for (p = BGCOPY_JOB_PRIORITY_FOREGROUND; p <= BGCOPY_JOB_PRIORITY_LOW; p++) {
        assert_hr(bgcopy_job_set_priority(job, (bgcopy_job_priority)p), BGCOPY_S_OK);
        assert_hr(bgcopy_job_get_priority(job, &prio), BGCOPY_S_OK);
        assert_int_equal(prio, p);
    }

    assert_hr(bgcopy_job_set_notify_flags(job, 0x40), BGCOPY_E_NOTIMPL);
    assert_hr(bgcopy_job_get_notify_flags(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 0x3);
    assert_hr(bgcopy_job_set_notify_flags(job, 0x3F), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_notify_flags(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 0x3F);
    assert_hr(bgcopy_job_set_notify_flags(job, 0), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_notify_flags(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 0);

    assert_hr(bgcopy_job_set_security_flags(job, 0x1000), BGCOPY_E_NOTIMPL);
    assert_hr(bgcopy_job_get_security_flags(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 0);
    assert_hr(bgcopy_job_set_security_flags(job, BGCOPY_SSL_ENABLE_CRL_CHECK |
                                                     BGCOPY_HTTP_REDIRECT_POLICY_DISALLOW),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_security_flags(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 0x201);

    /* Retry delays below 5 s are raised to 5 s (reference §6). */
    assert_hr(bgcopy_job_set_minimum_retry_delay(job, 1), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_minimum_retry_delay(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 5);
    assert_hr(bgcopy_job_set_minimum_retry_delay(job, 0), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_minimum_retry_delay(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 5);
    assert_hr(bgcopy_job_set_minimum_retry_delay(job, 60), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_minimum_retry_delay(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 60);
    assert_hr(bgcopy_job_set_no_progress_timeout(job, 0), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_no_progress_timeout(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 0);
    assert_hr(bgcopy_job_set_maximum_download_time(job, 3600), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_maximum_download_time(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 3600);
    bgcopy_job_release(job);
}

static void test_string_lengths(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *job = new_job(fx->mgr, "old", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    bgcopy_job *j2 = (bgcopy_job *)fx;
    char *n256 = repeat_char('n', 256), *n257 = repeat_char('n', 257);
    char *d1024 = repeat_char('d', 1024), *d1025 = repeat_char('d', 1025);
    char *s = NULL;

    assert_hr(bgcopy_job_set_display_name(job, n257), BGCOPY_E_STRING_TOO_LONG);
    assert_hr(bgcopy_job_set_display_name(job, n257), 0x80200021u);
    assert_hr(bgcopy_job_get_display_name(job, &s), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, s, "old");
    assert_hr(bgcopy_job_set_display_name(job, n256), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_display_name(job, &s), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, s, n256);
    assert_hr(bgcopy_job_set_display_name(job, ""), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_display_name(job, &s), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, s, "");

    assert_hr(bgcopy_job_set_description(job, d1025), 0x80200021u);
    assert_hr(bgcopy_job_get_description(job, &s), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, s, "");
    assert_hr(bgcopy_job_set_description(job, d1024), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_description(job, &s), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, s, d1024);

    /* CreateJob applies the same display-name limit. */
    assert_hr(bgcopy_manager_create_job(fx->mgr, n257, BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &j2),
              BGCOPY_E_STRING_TOO_LONG);
    assert_null(j2);
    assert_int_equal(enum_job_count(fx->mgr, 0), 1);
    j2 = new_job(fx->mgr, n256, BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    bgcopy_job_release(j2);

    free(n256);
    free(n257);
    free(d1024);
    free(d1025);
    bgcopy_job_release(job);
}

static void test_create_job_validation(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *job = (bgcopy_job *)fx;
    bgcopy_guid id;

    memset(&id, 0x5A, sizeof(id));
    assert_hr(bgcopy_manager_create_job(fx->mgr, NULL, BGCOPY_JOB_TYPE_DOWNLOAD, &id, &job),
              BGCOPY_E_INVALIDARG);
    assert_null(job);
    job = (bgcopy_job *)fx;
    assert_hr(bgcopy_manager_create_job(fx->mgr, "t3", (bgcopy_job_type)3, &id, &job),
              BGCOPY_E_INVALIDARG);
    assert_null(job);
    assert_hr(bgcopy_manager_create_job(fx->mgr, "t-1", (bgcopy_job_type)-1, &id, &job),
              BGCOPY_E_INVALIDARG);
    assert_int_equal(enum_job_count(fx->mgr, 0), 0);

    /* id and job are both optional. */
    assert_hr(
        bgcopy_manager_create_job(fx->mgr, "no outputs", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, NULL),
        BGCOPY_S_OK);
    assert_hr(bgcopy_manager_create_job(fx->mgr, "id only", BGCOPY_JOB_TYPE_DOWNLOAD, &id, NULL),
              BGCOPY_S_OK);
    assert_int_equal(enum_job_count(fx->mgr, 0), 2);
    assert_hr(bgcopy_manager_get_job(fx->mgr, &id, &job), BGCOPY_S_OK);
    assert_non_null(job);
    bgcopy_job_release(job);
}

static void test_add_file_validation(void **state)
{
    struct fx *fx = *state;
    char path[PATH_MAX + 16], missing[PATH_MAX + 32];
    bgcopy_job *job = new_job(fx->mgr, "files", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);

    local_path(fx, "a.bin", path, sizeof(path));
    local_path(fx, "missing/a.bin", missing, sizeof(missing));
    assert_hr(bgcopy_job_add_file(job, URL_A, "a.bin"), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_add_file(job, URL_A, "./a.bin"), 0x80070057u);
    assert_hr(bgcopy_job_add_file(job, "ftp://example.test/a.bin", path), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_add_file(job, URL_A, missing), BGCOPY_E_WIN32_PATH_NOT_FOUND);
    assert_hr(bgcopy_job_add_file(job, URL_A, missing), 0x80070003u);
    /* The directory itself is not a file name. */
    assert_hr(bgcopy_job_add_file(job, URL_A, fx->dir), BGCOPY_E_INVALIDARG);
    assert_int_equal(files_total(job), 0);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_SUSPENDED);

    assert_hr(bgcopy_job_add_file(job, URL_A, path), BGCOPY_S_OK);
    assert_int_equal(files_total(job), 1);
    bgcopy_job_release(job);
}

static void test_ranges_validation(void **state)
{
    struct fx *fx = *state;
    char path[PATH_MAX + 16];
    bgcopy_job *job = new_job(fx->mgr, "ranges", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    bgcopy_job *up = new_job(fx->mgr, "upload", BGCOPY_JOB_TYPE_UPLOAD, NULL);
    bgcopy_file_range r[3];

    local_path(fx, "r.bin", path, sizeof(path));
    r[0].initial_offset = 0;
    r[0].length = 100;
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_A, path, 0, r), BGCOPY_E_INVALIDARG);

    r[0].length = 0;
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_A, path, 1, r), BGCOPY_E_INVALIDARG);

    r[0].initial_offset = BGCOPY_LENGTH_TO_EOF;
    r[0].length = 10;
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_A, path, 1, r), BGCOPY_E_INVALID_RANGE);
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_A, path, 1, r), 0x8020002Bu);

    r[0].initial_offset = 0;
    r[0].length = 100;
    r[1].initial_offset = 50;
    r[1].length = 10;
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_A, path, 2, r), BGCOPY_E_OVERLAPPING_RANGES);
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_A, path, 2, r), 0x8020002Cu);

    /* Two ranges sharing an offset, in either order (reference §8.5). */
    r[0].initial_offset = 100;
    r[0].length = 5;
    r[1].initial_offset = 100;
    r[1].length = 1;
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_A, path, 2, r), BGCOPY_E_OVERLAPPING_RANGES);
    r[0].length = 1;
    r[1].length = 5;
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_A, path, 2, r), BGCOPY_E_OVERLAPPING_RANGES);

    /* A to-EOF range reaches every later offset. */
    r[0].initial_offset = 0;
    r[0].length = BGCOPY_LENGTH_TO_EOF;
    r[1].initial_offset = 1000;
    r[1].length = 1;
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_A, path, 2, r), BGCOPY_E_OVERLAPPING_RANGES);
    assert_int_equal(files_total(job), 0);

    /* Adjacent ranges do not overlap. */
    r[0].initial_offset = 0;
    r[0].length = 100;
    r[1].initial_offset = 100;
    r[1].length = 10;
    assert_hr(bgcopy_job_add_file_with_ranges(up, URL_A, path, 2, r), BGCOPY_E_NOTIMPL);
    assert_hr(bgcopy_job_add_file_with_ranges(up, URL_A, path, 2, r), 0x80004001u);
    assert_int_equal(files_total(up), 0);
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_A, path, 2, r), BGCOPY_S_OK);
    assert_int_equal(files_total(job), 1);

    bgcopy_job_release(up);
    bgcopy_job_release(job);
}

static void test_proxy_validation(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *job = new_job(fx->mgr, "proxy", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    bgcopy_proxy_usage usage;
    char *pl = NULL, *bl = NULL;

    assert_hr(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_OVERRIDE, NULL, NULL),
              BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_OVERRIDE, NULL, "<local>"),
              BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_NO_PROXY, "proxy:8080", NULL),
              BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_PRECONFIG, NULL, "<local>"),
              BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_proxy_settings(job, (bgcopy_proxy_usage)4, NULL, NULL),
              BGCOPY_E_NOTIMPL);
    assert_hr(bgcopy_job_get_proxy_settings(job, &usage, &pl, &bl), BGCOPY_S_OK);
    assert_int_equal(usage, BGCOPY_PROXY_USAGE_PRECONFIG);
    assert_null(pl);
    assert_null(bl);

    assert_hr(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_OVERRIDE, "proxy:8080",
                                            "<local> *.example.test"),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_proxy_settings(job, &usage, &pl, &bl), BGCOPY_S_OK);
    assert_int_equal(usage, BGCOPY_PROXY_USAGE_OVERRIDE);
    assert_string_prop(BGCOPY_S_OK, pl, "proxy:8080");
    assert_string_prop(BGCOPY_S_OK, bl, "<local> *.example.test");
    /* A rejected call keeps the previous settings. */
    assert_hr(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_AUTODETECT, "p:1", NULL),
              BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_proxy_settings(job, &usage, NULL, &bl), BGCOPY_S_OK);
    assert_int_equal(usage, BGCOPY_PROXY_USAGE_OVERRIDE);
    assert_string_prop(BGCOPY_S_OK, bl, "<local> *.example.test");

    assert_hr(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_NO_PROXY, NULL, NULL),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_proxy_settings(job, &usage, &pl, &bl), BGCOPY_S_OK);
    assert_int_equal(usage, BGCOPY_PROXY_USAGE_NO_PROXY);
    assert_null(pl);
    assert_null(bl);
    bgcopy_job_release(job);
}

static void test_credentials_validation(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *job = new_job(fx->mgr, "creds", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    char *u300 = repeat_char('u', 300), *u301 = repeat_char('u', 301);

    assert_hr(
        bgcopy_job_set_credentials(job, (bgcopy_auth_target)3, BGCOPY_AUTH_SCHEME_BASIC, "u", "p"),
        0x80200027u);
    assert_hr(
        bgcopy_job_set_credentials(job, (bgcopy_auth_target)0, BGCOPY_AUTH_SCHEME_BASIC, "u", "p"),
        BGCOPY_E_INVALID_AUTH_TARGET);
    assert_hr(
        bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_SERVER, (bgcopy_auth_scheme)6, "u", "p"),
        0x80200028u);
    assert_hr(
        bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_PROXY, (bgcopy_auth_scheme)0, "u", "p"),
        BGCOPY_E_INVALID_AUTH_SCHEME);
    assert_hr(bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_SERVER, BGCOPY_AUTH_SCHEME_BASIC,
                                         "u", NULL),
              BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_SERVER, BGCOPY_AUTH_SCHEME_DIGEST,
                                         NULL, "p"),
              BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_SERVER, BGCOPY_AUTH_SCHEME_BASIC,
                                         u301, "p"),
              0x80200025u);
    assert_hr(bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_SERVER, BGCOPY_AUTH_SCHEME_BASIC,
                                         u300, "p"),
              BGCOPY_S_OK);
    /* Implicit credentials: NTLM with NULL user and password. */
    assert_hr(bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_PROXY, BGCOPY_AUTH_SCHEME_NTLM,
                                         NULL, NULL),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_remove_credentials(job, (bgcopy_auth_target)3, BGCOPY_AUTH_SCHEME_BASIC),
              BGCOPY_E_INVALID_AUTH_TARGET);
    assert_hr(bgcopy_job_remove_credentials(job, BGCOPY_AUTH_TARGET_SERVER, (bgcopy_auth_scheme)6),
              BGCOPY_E_INVALID_AUTH_SCHEME);
    free(u300);
    free(u301);
    bgcopy_job_release(job);
}

static void test_custom_headers(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *job = new_job(fx->mgr, "headers", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    char *s = (char *)fx;

    assert_hr(bgcopy_job_set_custom_headers(job, "A: b\r\nX: y\n"), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_custom_headers(job, &s), BGCOPY_S_FALSE);
    assert_null(s);

    assert_hr(bgcopy_job_set_custom_headers(job, "A: b\r\n"), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_custom_headers(job, &s), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, s, "A: b\r\n");

    assert_hr(bgcopy_job_set_custom_headers(job, "A: b\rX: y\r\n"), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_custom_headers(job, &s), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, s, "A: b\r\n");

    /* NULL removes them. */
    assert_hr(bgcopy_job_set_custom_headers(job, NULL), BGCOPY_S_OK);
    s = (char *)fx;
    assert_hr(bgcopy_job_get_custom_headers(job, &s), BGCOPY_S_FALSE);
    assert_null(s);
    bgcopy_job_release(job);
}

static void test_notify_cmd_line(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *job = new_job(fx->mgr, "cmd", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    char *prog = NULL, *params = NULL;

    assert_hr(bgcopy_job_set_notify_cmd_line(job, NULL, "x"), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_notify_cmd_line(job, "bin/true", NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_set_notify_cmd_line(job, "true", "true"), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_get_notify_cmd_line(job, &prog, &params), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, prog, "");
    assert_string_prop(BGCOPY_S_OK, params, "");

    assert_hr(bgcopy_job_set_notify_cmd_line(job, "/bin/true", NULL), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_notify_cmd_line(job, &prog, &params), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, prog, "/bin/true");
    assert_string_prop(BGCOPY_S_OK, params, "");

    assert_hr(bgcopy_job_set_notify_cmd_line(job, "/bin/echo", "/bin/echo done"), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_notify_cmd_line(job, &prog, &params), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, prog, "/bin/echo");
    assert_string_prop(BGCOPY_S_OK, params, "/bin/echo done");

    /* Both NULL removes the notification. */
    assert_hr(bgcopy_job_set_notify_cmd_line(job, NULL, NULL), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_notify_cmd_line(job, &prog, &params), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, prog, "");
    assert_string_prop(BGCOPY_S_OK, params, "");
    bgcopy_job_release(job);
}

static void test_set_property_rules(void **state)
{
    struct fx *fx = *state;
    char path[PATH_MAX + 16];
    bgcopy_job *job = new_job(fx->mgr, "props", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    bgcopy_job *up = new_job(fx->mgr, "props-up", BGCOPY_JOB_TYPE_UPLOAD, NULL);
    bgcopy_job_property_value v, got;

    local_path(fx, "p.bin", path, sizeof(path));
    memset(&v, 0, sizeof(v));
    v.dword = 1;
    assert_hr(bgcopy_job_set_property(job, (bgcopy_job_property_id)6, &v), 0x80200057u);
    assert_hr(bgcopy_job_set_property(job, (bgcopy_job_property_id)8, &v),
              BGCOPY_E_UNKNOWN_PROPERTY_ID);
    assert_hr(bgcopy_job_set_property(job, (bgcopy_job_property_id)0, &v),
              BGCOPY_E_UNKNOWN_PROPERTY_ID);
    assert_hr(bgcopy_job_get_property(job, (bgcopy_job_property_id)6, &got),
              BGCOPY_E_UNKNOWN_PROPERTY_ID);

    memset(&v, 0, sizeof(v));
    v.uint64 = 0;
    assert_hr(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &v), 0x80200063u);
    v.uint64 = 1000;
    assert_hr(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &v), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &got),
              BGCOPY_S_OK);
    assert_int_equal(got.uint64, 1000);

    /* HIGH_PERFORMANCE: only before the first AddFile. */
    memset(&v, 0, sizeof(v));
    v.enable = 1;
    assert_hr(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE, &v), BGCOPY_S_OK);
    /* DYNAMIC_CONTENT: only before the first Resume. */
    assert_hr(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, &v), BGCOPY_S_OK);
    assert_hr(bgcopy_job_add_file(job, URL_A, path), BGCOPY_S_OK);
    v.enable = 0;
    assert_hr(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE, &v), 0x80200061u);
    assert_hr(bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE, &got),
              BGCOPY_S_OK);
    assert_int_equal(got.enable, 1);
    /* Still allowed after AddFile, before Resume. */
    v.enable = 1;
    assert_hr(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, &v), BGCOPY_S_OK);
    assert_hr(bgcopy_job_resume(job), BGCOPY_S_OK);
    v.enable = 0;
    assert_hr(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, &v), 0x80200062u);
    assert_hr(bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, &got), BGCOPY_S_OK);
    assert_int_equal(got.enable, 1);
    memset(&v, 0, sizeof(v));
    v.uint64 = 5;
    assert_hr(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &v),
              BGCOPY_E_READ_ONLY_PROPERTY_AFTER_RESUME);
    assert_hr(bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &got),
              BGCOPY_S_OK);
    assert_int_equal(got.uint64, 1000);
    /* The read-only rule holds after a Suspend too: it is about the first Resume. */
    assert_hr(bgcopy_job_suspend(job), BGCOPY_S_OK);
    memset(&v, 0, sizeof(v));
    assert_hr(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, &v),
              BGCOPY_E_READ_ONLY_PROPERTY_AFTER_RESUME);

    /* Download-only properties on an upload job. */
    memset(&v, 0, sizeof(v));
    v.enable = 1;
    assert_hr(bgcopy_job_set_property(up, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, &v), 0x80200060u);
    assert_hr(bgcopy_job_set_property(up, BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE, &v),
              BGCOPY_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY);
    memset(&v, 0, sizeof(v));
    v.uint64 = 5;
    assert_hr(bgcopy_job_set_property(up, BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &v),
              BGCOPY_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY);
    assert_hr(bgcopy_job_get_property(up, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, &got), BGCOPY_S_OK);
    assert_int_equal(got.enable, 0);

    bgcopy_job_release(up);
    bgcopy_job_release(job);
}

/* ---- policy limits (reference §7) ---------------------------------------------------- */

static void test_jobs_per_user_limit(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *job = (bgcopy_job *)fx;
    bgcopy_guid first;
    int i;

    for (i = 0; i < 60; i++) {
        assert_hr(bgcopy_manager_create_job(fx->mgr, "many", BGCOPY_JOB_TYPE_DOWNLOAD,
                                            i == 0 ? &first : NULL, NULL),
                  BGCOPY_S_OK);
    }
    assert_hr(bgcopy_manager_create_job(fx->mgr, "61st", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job),
              BGCOPY_E_TOO_MANY_JOBS_PER_USER);
    assert_hr(bgcopy_manager_create_job(fx->mgr, "61st", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job),
              0x80200049u);
    assert_null(job);
    assert_int_equal(enum_job_count(fx->mgr, 0), 60);

    /* Only jobs in the queue count: a cancelled job frees its slot. */
    assert_hr(bgcopy_manager_get_job(fx->mgr, &first, &job), BGCOPY_S_OK);
    assert_hr(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
    assert_hr(bgcopy_manager_create_job(fx->mgr, "again", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, NULL),
              BGCOPY_S_OK);
    assert_hr(bgcopy_manager_create_job(fx->mgr, "again", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, NULL),
              BGCOPY_E_TOO_MANY_JOBS_PER_USER);
}

static void test_jobs_per_machine_limit(void **state)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_sim *sim = NULL;
    bgcopy_manager *alice = NULL, *bob, *root;
    bgcopy_job *job = (bgcopy_job *)state;
    int i;

    assert_hr(bgcopy_sim_create(NULL, &sim), BGCOPY_S_OK);
    o.sim = sim;
    o.user = "alice";
    o.max_jobs_per_machine = 5;
    assert_hr(bgcopy_manager_open(&o, &alice), BGCOPY_S_OK);
    bob = open_manager(sim, "bob", 0);
    root = open_manager(sim, "root", 1);

    for (i = 0; i < 3; i++) {
        assert_hr(bgcopy_manager_create_job(alice, "a", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, NULL),
                  BGCOPY_S_OK);
    }
    for (i = 0; i < 2; i++) {
        assert_hr(bgcopy_manager_create_job(bob, "b", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, NULL),
                  BGCOPY_S_OK);
    }
    assert_hr(bgcopy_manager_create_job(bob, "b6", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job),
              BGCOPY_E_TOO_MANY_JOBS_PER_MACHINE);
    assert_hr(bgcopy_manager_create_job(bob, "b6", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job),
              0x80200050u);
    assert_null(job);
    assert_hr(bgcopy_manager_create_job(alice, "a6", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, NULL),
              BGCOPY_E_TOO_MANY_JOBS_PER_MACHINE);
    assert_int_equal(enum_job_count(alice, 0), 3);
    assert_int_equal(enum_job_count(bob, 0), 2);

    /* Administrators are exempt. */
    assert_hr(bgcopy_manager_create_job(root, "r", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, NULL),
              BGCOPY_S_OK);
    assert_hr(bgcopy_manager_create_job(root, "r", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, NULL),
              BGCOPY_S_OK);
    assert_int_equal(enum_job_count(root, BGCOPY_JOB_ENUM_ALL_USERS), 7);

    bgcopy_manager_close(root);
    bgcopy_manager_close(bob);
    bgcopy_manager_close(alice);
    assert_hr(bgcopy_sim_destroy(sim), BGCOPY_S_OK);
}

static void test_admin_exempt_from_user_and_file_limits(void **state)
{
    struct fx *fx = *state;
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_sim *sim = NULL;
    bgcopy_manager *user = NULL, *admin;
    bgcopy_job *job;
    char path[PATH_MAX + 16];
    int i;

    assert_hr(bgcopy_sim_create(NULL, &sim), BGCOPY_S_OK);
    o.sim = sim;
    o.user = "dave";
    o.max_jobs_per_user = 2;
    o.max_files_per_job = 2;
    o.max_ranges_per_file = 1;
    assert_hr(bgcopy_manager_open(&o, &user), BGCOPY_S_OK);
    admin = open_manager(sim, "admin", 1);

    assert_hr(bgcopy_manager_create_job(user, "1", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, NULL),
              BGCOPY_S_OK);
    job = new_job(user, "2", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    assert_hr(bgcopy_manager_create_job(user, "3", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, NULL),
              BGCOPY_E_TOO_MANY_JOBS_PER_USER);
    local_path(fx, "x.bin", path, sizeof(path));
    assert_hr(bgcopy_job_add_file(job, URL_A, path), BGCOPY_S_OK);
    assert_hr(bgcopy_job_add_file(job, URL_B, path), BGCOPY_S_OK);
    assert_hr(bgcopy_job_add_file(job, URL_C, path), BGCOPY_E_TOO_MANY_FILES_IN_JOB);
    bgcopy_job_release(job);

    for (i = 0; i < 3; i++) {
        assert_hr(bgcopy_manager_create_job(admin, "a", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, NULL),
                  BGCOPY_S_OK);
    }
    job = new_job(admin, "admin files", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    assert_hr(bgcopy_job_add_file(job, URL_A, path), BGCOPY_S_OK);
    assert_hr(bgcopy_job_add_file(job, URL_B, path), BGCOPY_S_OK);
    assert_hr(bgcopy_job_add_file(job, URL_C, path), BGCOPY_S_OK);
    assert_int_equal(files_total(job), 3);
    bgcopy_job_release(job);

    bgcopy_manager_close(admin);
    bgcopy_manager_close(user);
    assert_hr(bgcopy_sim_destroy(sim), BGCOPY_S_OK);
}

static void test_files_per_job_limit(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *job = new_job(fx->mgr, "200 files", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    char path[PATH_MAX + 16], name[32], path2[PATH_MAX + 16];
    bgcopy_file_info set[2];
    int i;

    for (i = 0; i < 199; i++) {
        snprintf(name, sizeof(name), "f%03d.bin", i);
        assert_hr(bgcopy_job_add_file(job, URL_A, local_path(fx, name, path, sizeof(path))),
                  BGCOPY_S_OK);
    }
    assert_int_equal(files_total(job), 199);

    set[0].remote_name = URL_B;
    set[0].local_name = local_path(fx, "s0.bin", path, sizeof(path));
    set[1].remote_name = URL_C;
    set[1].local_name = local_path(fx, "s1.bin", path2, sizeof(path2));
    assert_hr(bgcopy_job_add_file_set(job, 2, set), BGCOPY_E_TOO_MANY_FILES_IN_JOB);
    assert_hr(bgcopy_job_add_file_set(job, 2, set), 0x80200051u);
    assert_int_equal(files_total(job), 199);

    assert_hr(bgcopy_job_add_file(job, URL_B, path), BGCOPY_S_OK);
    assert_int_equal(files_total(job), 200);
    assert_hr(bgcopy_job_add_file(job, URL_C, path2), 0x80200051u);
    assert_int_equal(files_total(job), 200);
    bgcopy_job_release(job);
}

static void test_upload_job_takes_one_file(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *up = new_job(fx->mgr, "up", BGCOPY_JOB_TYPE_UPLOAD, NULL);
    bgcopy_job *reply = new_job(fx->mgr, "reply", BGCOPY_JOB_TYPE_UPLOAD_REPLY, NULL);
    char path[PATH_MAX + 16], path2[PATH_MAX + 16];
    bgcopy_file_info set[2];

    local_path(fx, "up.bin", path, sizeof(path));
    local_path(fx, "up2.bin", path2, sizeof(path2));
    set[0].remote_name = URL_A;
    set[0].local_name = path;
    set[1].remote_name = URL_B;
    set[1].local_name = path2;
    assert_hr(bgcopy_job_add_file_set(reply, 2, set), BGCOPY_E_TOO_MANY_FILES);
    assert_int_equal(files_total(reply), 0);

    assert_hr(bgcopy_job_add_file(up, URL_A, path), BGCOPY_S_OK);
    assert_hr(bgcopy_job_add_file(up, URL_B, path2), BGCOPY_E_TOO_MANY_FILES);
    assert_hr(bgcopy_job_add_file(up, URL_B, path2), 0x8020001Cu);
    assert_int_equal(files_total(up), 1);
    bgcopy_job_release(reply);
    bgcopy_job_release(up);
}

static void test_ranges_per_file_limit(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *job = new_job(fx->mgr, "ranges", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    bgcopy_file_range *r = calloc(501, sizeof(*r));
    char path[PATH_MAX + 16];
    bgcopy_file_enum *fe = NULL;
    bgcopy_file *file = NULL;
    bgcopy_file_range *got = NULL;
    uint32_t count = 0, i;

    assert_non_null(r);
    for (i = 0; i < 501; i++) {
        r[i].initial_offset = (uint64_t)i * 10;
        r[i].length = 5;
    }
    local_path(fx, "r.bin", path, sizeof(path));
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_A, path, 501, r),
              BGCOPY_E_TOO_MANY_RANGES_IN_FILE);
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_A, path, 501, r), 0x80200052u);
    assert_int_equal(files_total(job), 0);
    assert_hr(bgcopy_job_add_file_with_ranges(job, URL_A, path, 500, r), BGCOPY_S_OK);
    assert_int_equal(files_total(job), 1);

    assert_hr(bgcopy_job_enum_files(job, &fe), BGCOPY_S_OK);
    assert_hr(bgcopy_file_enum_next(fe, 1, &file, NULL), BGCOPY_S_OK);
    assert_hr(bgcopy_file_get_file_ranges(file, &count, &got), BGCOPY_S_OK);
    assert_int_equal(count, 500);
    assert_non_null(got);
    assert_memory_equal(got, r, 500 * sizeof(*r));
    bgcopy_free(got);
    bgcopy_file_release(file);
    bgcopy_file_enum_release(fe);
    free(r);
    bgcopy_job_release(job);
}

/* ---- users and enumerators --------------------------------------------------------- */

static void test_jobs_are_per_user(void **state)
{
    struct fx *fx = *state;
    bgcopy_manager *bob = open_manager(fx->sim, "bob", 0);
    bgcopy_manager *root = open_manager(fx->sim, "root", 1);
    bgcopy_guid a1, a2, b1;
    bgcopy_job *j1 = new_job(fx->mgr, "alice 1", BGCOPY_JOB_TYPE_DOWNLOAD, &a1);
    bgcopy_job *j2 = new_job(bob, "bob 1", BGCOPY_JOB_TYPE_DOWNLOAD, &b1);
    bgcopy_job *j3 = new_job(fx->mgr, "alice 2", BGCOPY_JOB_TYPE_DOWNLOAD, &a2);
    bgcopy_job *got = (bgcopy_job *)fx;
    bgcopy_job_enum *e = (bgcopy_job_enum *)fx;
    bgcopy_job *items[4];
    uint32_t fetched = 0, i;
    char *owner = NULL;
    const bgcopy_guid *want[3];

    assert_string_equal(bgcopy_manager_user(bob), "bob");
    assert_hr(bgcopy_manager_get_job(bob, &a1, &got), BGCOPY_E_NOT_FOUND);
    assert_null(got);
    assert_hr(bgcopy_manager_get_job(fx->mgr, &b1, &got), 0x80200001u);
    assert_int_equal(enum_lists(bob, 0, &a1), 0);
    assert_int_equal(enum_lists(bob, 0, &a2), 0);
    assert_int_equal(enum_job_count(bob, 0), 1);
    assert_int_equal(enum_job_count(fx->mgr, 0), 2);

    assert_hr(bgcopy_manager_enum_jobs(bob, BGCOPY_JOB_ENUM_ALL_USERS, &e), BGCOPY_E_ACCESSDENIED);
    assert_hr(bgcopy_manager_enum_jobs(bob, BGCOPY_JOB_ENUM_ALL_USERS, &e), 0x80070005u);
    assert_null(e);
    assert_hr(bgcopy_manager_enum_jobs(fx->mgr, 0x2, &e), BGCOPY_E_INVALIDARG);
    assert_null(e);

    /* The administrator sees every user's jobs, oldest first, and only its own without the
     * flag. */
    assert_int_equal(enum_job_count(root, 0), 0);
    assert_hr(bgcopy_manager_enum_jobs(root, BGCOPY_JOB_ENUM_ALL_USERS, &e), BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_next(e, 4, items, &fetched), BGCOPY_S_FALSE);
    assert_int_equal(fetched, 3);
    want[0] = &a1;
    want[1] = &b1;
    want[2] = &a2;
    for (i = 0; i < fetched; i++) {
        bgcopy_guid g;

        assert_hr(bgcopy_job_get_id(items[i], &g), BGCOPY_S_OK);
        assert_true(bgcopy_guid_equal(&g, want[i]));
        assert_hr(bgcopy_job_get_owner(items[i], &owner), BGCOPY_S_OK);
        assert_string_prop(BGCOPY_S_OK, owner, i == 1 ? "bob" : "alice");
        bgcopy_job_release(items[i]);
    }
    bgcopy_job_enum_release(e);

    bgcopy_job_release(j1);
    bgcopy_job_release(j2);
    bgcopy_job_release(j3);
    bgcopy_manager_close(root);
    bgcopy_manager_close(bob);
}

static void assert_enum_item(bgcopy_job *job, const bgcopy_guid *want)
{
    bgcopy_guid g;

    assert_non_null(job);
    assert_hr(bgcopy_job_get_id(job, &g), BGCOPY_S_OK);
    assert_true(bgcopy_guid_equal(&g, want));
    bgcopy_job_release(job);
}

static void test_job_enumerator(void **state)
{
    struct fx *fx = *state;
    bgcopy_guid ids[3];
    bgcopy_job_enum *e = NULL, *c = NULL;
    bgcopy_job *items[5];
    bgcopy_job *one = NULL;
    uint32_t n = 0, fetched = 99;
    int i;

    for (i = 0; i < 3; i++) {
        assert_hr(
            bgcopy_manager_create_job(fx->mgr, "enum", BGCOPY_JOB_TYPE_DOWNLOAD, &ids[i], NULL),
            BGCOPY_S_OK);
        assert_hr(bgcopy_sim_advance(fx->sim, 1.0), BGCOPY_S_OK);
    }
    assert_hr(bgcopy_manager_enum_jobs(fx->mgr, 0, &e), BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_get_count(e, &n), BGCOPY_S_OK);
    assert_int_equal(n, 3);

    /* fetched may be NULL only for a single item; the cursor does not move. */
    assert_hr(bgcopy_job_enum_next(e, 2, items, NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_job_enum_next(e, 1, &one, NULL), BGCOPY_S_OK);
    assert_enum_item(one, &ids[0]);

    /* Past the end: S_FALSE with the number fetched. */
    assert_hr(bgcopy_job_enum_next(e, 5, items, &fetched), BGCOPY_S_FALSE);
    assert_int_equal(fetched, 2);
    assert_enum_item(items[0], &ids[1]);
    assert_enum_item(items[1], &ids[2]);
    fetched = 99;
    assert_hr(bgcopy_job_enum_next(e, 1, items, &fetched), BGCOPY_S_FALSE);
    assert_int_equal(fetched, 0);

    /* Reset, skip, clone. */
    assert_hr(bgcopy_job_enum_reset(e), BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_skip(e, 2), BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_clone(e, &c), BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_get_count(c, &n), BGCOPY_S_OK);
    assert_int_equal(n, 3);
    assert_hr(bgcopy_job_enum_next(c, 1, &one, NULL), BGCOPY_S_OK);
    assert_enum_item(one, &ids[2]);
    /* The original's cursor is its own. */
    fetched = 0;
    assert_hr(bgcopy_job_enum_next(e, 1, items, &fetched), BGCOPY_S_OK);
    assert_int_equal(fetched, 1);
    assert_enum_item(items[0], &ids[2]);
    assert_hr(bgcopy_job_enum_reset(c), BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_next(c, 3, items, &fetched), BGCOPY_S_OK);
    assert_int_equal(fetched, 3);
    for (i = 0; i < 3; i++) {
        assert_enum_item(items[i], &ids[i]);
    }
    bgcopy_job_enum_release(c);

    assert_hr(bgcopy_job_enum_reset(e), BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_skip(e, 4), BGCOPY_S_FALSE);
    assert_hr(bgcopy_job_enum_next(e, 1, items, &fetched), BGCOPY_S_FALSE);
    assert_int_equal(fetched, 0);
    assert_hr(bgcopy_job_enum_reset(e), BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_skip(e, 3), BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_skip(e, 1), BGCOPY_S_FALSE);

    /* A snapshot: a job created later is not in it. */
    assert_hr(bgcopy_manager_create_job(fx->mgr, "late", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, NULL),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_get_count(e, &n), BGCOPY_S_OK);
    assert_int_equal(n, 3);
    bgcopy_job_enum_release(e);
    assert_int_equal(enum_job_count(fx->mgr, 0), 4);
}

static void test_releasing_handles_keeps_job(void **state)
{
    struct fx *fx = *state;
    char path[PATH_MAX + 16];
    bgcopy_guid id;
    bgcopy_job *job = new_job(fx->mgr, "kept", BGCOPY_JOB_TYPE_DOWNLOAD, &id);
    bgcopy_job *again = NULL;
    char *name = NULL;

    assert_hr(bgcopy_job_add_file(job, URL_A, local_path(fx, "k.bin", path, sizeof(path))),
              BGCOPY_S_OK);
    bgcopy_job_addref(job);
    bgcopy_job_release(job);
    bgcopy_job_release(job);

    assert_hr(bgcopy_manager_get_job(fx->mgr, &id, &again), BGCOPY_S_OK);
    assert_non_null(again);
    assert_hr(bgcopy_job_get_display_name(again, &name), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, name, "kept");
    assert_int_equal(files_total(again), 1);
    assert_int_equal(job_state(again), BGCOPY_JOB_STATE_SUSPENDED);
    assert_int_equal(enum_lists(fx->mgr, 0, &id), 1);
    bgcopy_job_release(again);

    /* Closing the manager does not remove it either. */
    bgcopy_manager_close(fx->mgr);
    fx->mgr = open_manager(fx->sim, "alice", 0);
    assert_hr(bgcopy_manager_get_job(fx->mgr, &id, &again), BGCOPY_S_OK);
    assert_int_equal(files_total(again), 1);
    bgcopy_job_release(again);
}

/* ---- file objects ------------------------------------------------------------------- */

static void check_temp_name(const struct fx *fx, bgcopy_file *file)
{
    char *temp = NULL;
    size_t dirlen = strlen(fx->dir);
    regex_t re;

    assert_hr(bgcopy_file_get_temporary_name(file, &temp), BGCOPY_S_OK);
    assert_non_null(temp);
    assert_true(strncmp(temp, fx->dir, dirlen) == 0);
    assert_int_equal(temp[dirlen], '/');
    assert_int_equal(regcomp(&re, "^BIT[0-9A-F]{4}\\.tmp$", REG_EXTENDED | REG_NOSUB), 0);
    if (regexec(&re, temp + dirlen + 1, 0, NULL, 0) != 0) {
        regfree(&re);
        fail_msg("temporary name \"%s\" does not match BIT[0-9A-F]{4}.tmp", temp);
    }
    regfree(&re);
    bgcopy_free(temp);
}

static void test_file_objects(void **state)
{
    struct fx *fx = *state;
    static const char *const remotes[3] = {URL_A, URL_B, URL_C};
    static const char *const names[3] = {"one.bin", "two.bin", "three.bin"};
    char locals[3][PATH_MAX + 16];
    bgcopy_job *job = new_job(fx->mgr, "files", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    bgcopy_job_progress jp;
    bgcopy_file_enum *fe = NULL, *fc = NULL;
    bgcopy_file *files[4];
    bgcopy_file_progress fp;
    bgcopy_file_range *ranges = (bgcopy_file_range *)fx;
    uint32_t n = 0, fetched = 0, i;
    char *s = NULL;

    for (i = 0; i < 3; i++) {
        local_path(fx, names[i], locals[i], sizeof(locals[i]));
        assert_hr(bgcopy_job_add_file(job, remotes[i], locals[i]), BGCOPY_S_OK);
        if (i == 0) {
            assert_hr(bgcopy_job_get_progress(job, &jp), BGCOPY_S_OK);
            assert_int_equal(jp.bytes_total, BGCOPY_SIZE_UNKNOWN);
            assert_int_equal(jp.files_total, 1);
        }
    }
    assert_hr(bgcopy_job_get_progress(job, &jp), BGCOPY_S_OK);
    assert_int_equal(jp.bytes_total, BGCOPY_SIZE_UNKNOWN);
    assert_int_equal(jp.bytes_transferred, 0);
    assert_int_equal(jp.files_total, 3);
    assert_int_equal(jp.files_transferred, 0);

    assert_hr(bgcopy_job_enum_files(job, &fe), BGCOPY_S_OK);
    assert_hr(bgcopy_file_enum_get_count(fe, &n), BGCOPY_S_OK);
    assert_int_equal(n, 3);
    assert_hr(bgcopy_file_enum_next(fe, 4, files, &fetched), BGCOPY_S_FALSE);
    assert_int_equal(fetched, 3);
    for (i = 0; i < 3; i++) {
        assert_hr(bgcopy_file_get_remote_name(files[i], &s), BGCOPY_S_OK);
        assert_string_prop(BGCOPY_S_OK, s, remotes[i]);
        assert_hr(bgcopy_file_get_local_name(files[i], &s), BGCOPY_S_OK);
        assert_string_prop(BGCOPY_S_OK, s, locals[i]);
        memset(&fp, 0xAB, sizeof(fp));
        assert_hr(bgcopy_file_get_progress(files[i], &fp), BGCOPY_S_OK);
        assert_int_equal(fp.bytes_total, BGCOPY_SIZE_UNKNOWN);
        assert_int_equal(fp.bytes_transferred, 0);
        assert_int_equal(fp.completed, 0);
        check_temp_name(fx, files[i]);
        n = 7;
        assert_hr(bgcopy_file_get_file_ranges(files[i], &n, &ranges), BGCOPY_S_OK);
        assert_int_equal(n, 0);
        assert_null(ranges);
        /* Nothing exists on disk before a transfer. */
        assert_int_equal(access(locals[i], F_OK), -1);
    }

    /* File enumerator: reset, skip, clone. */
    assert_hr(bgcopy_file_enum_next(fe, 1, &files[3], &fetched), BGCOPY_S_FALSE);
    assert_int_equal(fetched, 0);
    assert_hr(bgcopy_file_enum_next(fe, 2, &files[3], NULL), BGCOPY_E_INVALIDARG);
    assert_hr(bgcopy_file_enum_reset(fe), BGCOPY_S_OK);
    assert_hr(bgcopy_file_enum_skip(fe, 1), BGCOPY_S_OK);
    assert_hr(bgcopy_file_enum_clone(fe, &fc), BGCOPY_S_OK);
    assert_hr(bgcopy_file_enum_next(fc, 1, &files[3], NULL), BGCOPY_S_OK);
    assert_hr(bgcopy_file_get_remote_name(files[3], &s), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, s, URL_B);
    bgcopy_file_release(files[3]);
    assert_hr(bgcopy_file_enum_skip(fc, 5), BGCOPY_S_FALSE);
    bgcopy_file_enum_release(fc);
    bgcopy_file_enum_release(fe);
    for (i = 0; i < 3; i++) {
        bgcopy_file_release(files[i]);
    }
    bgcopy_job_release(job);
}

static void test_file_ranges_read_back(void **state)
{
    struct fx *fx = *state;
    static const bgcopy_file_range given[3] = {{900, 100}, {100, 100}, {400, 100}};
    char path[PATH_MAX + 16];
    bgcopy_job *job = new_job(fx->mgr, "ranged", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    bgcopy_file_enum *fe = NULL;
    bgcopy_file *file = NULL;
    bgcopy_file_range *got = NULL;
    bgcopy_file_progress fp;
    bgcopy_job_progress jp;
    uint32_t n = 0;

    assert_hr(bgcopy_job_add_file_with_ranges(
                  job, URL_A, local_path(fx, "r.bin", path, sizeof(path)), 3, given),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_enum_files(job, &fe), BGCOPY_S_OK);
    assert_hr(bgcopy_file_enum_next(fe, 1, &file, NULL), BGCOPY_S_OK);
    bgcopy_file_enum_release(fe);

    assert_hr(bgcopy_file_get_file_ranges(file, &n, &got), BGCOPY_S_OK);
    assert_int_equal(n, 3);
    assert_non_null(got);
    /* In the order given, not sorted. */
    assert_memory_equal(got, given, sizeof(given));
    bgcopy_free(got);

    /* BytesTotal of a ranged file and of its job: the sum of the lengths (reference §8.5). */
    assert_hr(bgcopy_file_get_progress(file, &fp), BGCOPY_S_OK);
    assert_int_equal(fp.bytes_total, 300);
    assert_int_equal(fp.bytes_transferred, 0);
    assert_int_equal(fp.completed, 0);
    assert_hr(bgcopy_job_get_progress(job, &jp), BGCOPY_S_OK);
    assert_int_equal(jp.bytes_total, 300);
    assert_int_equal(jp.files_total, 1);
    check_temp_name(fx, file);

    bgcopy_file_release(file);
    bgcopy_job_release(job);
}

/* ---- manager -------------------------------------------------------------------------- */

static void test_manager_open(void **state)
{
    struct fx *fx = *state;
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = (bgcopy_manager *)fx;
    char *text = (char *)fx;

    o.sim = fx->sim;
    o.user = "eve";
    o.size = 0;
    assert_hr(bgcopy_manager_open(&o, &mgr), BGCOPY_E_INVALIDARG);
    assert_null(mgr);
    o.size = sizeof(o);
    assert_hr(bgcopy_manager_open(&o, NULL), BGCOPY_E_POINTER);
    o.engine = (bgcopy_engine_kind)7;
    mgr = (bgcopy_manager *)fx;
    assert_hr(bgcopy_manager_open(&o, &mgr), BGCOPY_E_INVALIDARG);
    assert_null(mgr);
#ifndef _WIN32
    o.engine = BGCOPY_ENGINE_NATIVE;
    mgr = (bgcopy_manager *)fx;
    assert_hr(bgcopy_manager_open(&o, &mgr), BGCOPY_E_NOTIMPL);
    assert_hr(bgcopy_manager_open(&o, &mgr), 0x80004001u);
    assert_null(mgr);
#endif
    o.engine = BGCOPY_ENGINE_EMULATED;
    assert_hr(bgcopy_manager_open(&o, &mgr), BGCOPY_S_OK);
    assert_string_equal(bgcopy_manager_user(mgr), "eve");
    bgcopy_manager_close(mgr);

    assert_hr(bgcopy_manager_get_error_description(fx->mgr, BGCOPY_E_INVALID_STATE, 0x409, &text),
              BGCOPY_S_OK);
    assert_non_null(text);
    assert_string_equal(text, bgcopy_hr_message(BGCOPY_E_INVALID_STATE));
    assert_string_equal(text, "The requested action is not allowed in the current job state.");
    bgcopy_free(text);
    text = (char *)fx;
    assert_hr(bgcopy_manager_get_error_description(fx->mgr, BGCOPY_E_INVALID_STATE, 0, &text),
              BGCOPY_E_INVALIDARG);
    assert_null(text);
    assert_hr(bgcopy_manager_get_error_description(fx->mgr, BGCOPY_E_INVALID_STATE, 0x409, NULL),
              BGCOPY_E_INVALIDARG);
    bgcopy_manager_close(NULL);
}

/* ---- GUID helpers ------------------------------------------------------------------------ */

static void test_guid_helpers(void **state)
{
    struct fx *fx = *state;
    static const char *const bad[] = {
        "",
        "{00112233-4455-6677-8899-aabbccddeeff",
        "00112233-4455-6677-8899-aabbccddeeff}",
        "00112233-4455-6677-8899-aabbccddeefg",
        "0011223-34455-6677-8899-aabbccddeeff",
        "{00112233445566778899aabbccddeeff}",
        "00112233445566778899aabbccddeeff",
        " 00112233-4455-6677-8899-aabbccddeeff",
        "{{00112233-4455-6677-8899-aabbccddeef}}",
        "00112233-4455-6677-8899-aabbccddeeff0",
    };
    bgcopy_guid g, back, untouched;
    char buf[BGCOPY_GUID_STRING_SIZE];
    bgcopy_guid id;
    bgcopy_job *job = new_job(fx->mgr, "guid", BGCOPY_JOB_TYPE_DOWNLOAD, &id);
    bgcopy_job *found = NULL;
    size_t i;

    for (i = 0; i < 16; i++) {
        g.b[i] = (uint8_t)(i * 0x11);
    }
    assert_hr(bgcopy_guid_to_string(&g, buf), BGCOPY_S_OK);
    assert_string_equal(buf, "{00112233-4455-6677-8899-aabbccddeeff}");
    assert_int_equal(strlen(buf) + 1, BGCOPY_GUID_STRING_SIZE);
    memset(&back, 0, sizeof(back));
    assert_hr(bgcopy_guid_from_string(buf, &back), BGCOPY_S_OK);
    assert_true(bgcopy_guid_equal(&g, &back));
    memset(&back, 0, sizeof(back));
    assert_hr(bgcopy_guid_from_string("00112233-4455-6677-8899-aabbccddeeff", &back), BGCOPY_S_OK);
    assert_true(bgcopy_guid_equal(&g, &back));
    memset(&back, 0, sizeof(back));
    assert_hr(bgcopy_guid_from_string("{00112233-4455-6677-8899-AABBCCDDEEFF}", &back),
              BGCOPY_S_OK);
    assert_true(bgcopy_guid_equal(&g, &back));

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&back, 0xA5, sizeof(back));
        untouched = back;
        if (bgcopy_guid_from_string(bad[i], &back) != BGCOPY_E_INVALIDARG) {
            fail_msg("guid_from_string(\"%s\") did not return E_INVALIDARG", bad[i]);
        }
        assert_memory_equal(&back, &untouched, sizeof(back));
    }
    assert_hr(bgcopy_guid_from_string(NULL, &back), BGCOPY_E_POINTER);
    assert_hr(bgcopy_guid_from_string(buf, NULL), BGCOPY_E_POINTER);
    assert_hr(bgcopy_guid_to_string(NULL, buf), BGCOPY_E_POINTER);
    assert_hr(bgcopy_guid_to_string(&g, NULL), BGCOPY_E_POINTER);

    /* A job id survives the round trip and finds the job. */
    assert_hr(bgcopy_guid_to_string(&id, buf), BGCOPY_S_OK);
    assert_hr(bgcopy_guid_from_string(buf, &back), BGCOPY_S_OK);
    assert_true(bgcopy_guid_equal(&id, &back));
    assert_hr(bgcopy_manager_get_job(fx->mgr, &back, &found), BGCOPY_S_OK);
    assert_ptr_equal(found, job);
    bgcopy_job_release(found);
    back.b[15] ^= 1;
    assert_int_equal(bgcopy_guid_equal(&id, &back), 0);
    assert_hr(bgcopy_manager_get_job(fx->mgr, &back, &found), BGCOPY_E_NOT_FOUND);
    bgcopy_job_release(job);
}

/* ---- notification callbacks registration -------------------------------------------------- */

static bgcopy_hr cb_transferred(bgcopy_job *job, void *user)
{
    (void)job;
    (void)user;
    return BGCOPY_S_OK;
}

static void test_notify_callbacks_registration(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *job = new_job(fx->mgr, "cb", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT, out = BGCOPY_CALLBACKS_INIT;
    int registered = -1, token = 0;
    void *user = NULL;

    cb.job_transferred = cb_transferred;
    assert_hr(bgcopy_job_set_notify_callbacks(job, &cb, &token), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_notify_callbacks(job, &registered, &out, &user), BGCOPY_S_OK);
    assert_int_equal(registered, 1);
    assert_ptr_equal(out.job_transferred, cb_transferred);
    assert_null(out.job_error);
    assert_ptr_equal(user, &token);

    assert_hr(bgcopy_job_set_notify_callbacks(job, NULL, NULL), BGCOPY_S_OK);
    user = &token;
    assert_hr(bgcopy_job_get_notify_callbacks(job, &registered, NULL, &user), BGCOPY_S_OK);
    assert_int_equal(registered, 0);
    assert_null(user);
    bgcopy_job_release(job);
}

/* ---- regression: a job whose files are all done when it connects -------------------------- */

struct suspend_ctx {
    int file_calls;
};

/* Suspends the job from inside FileTransferred, before the engine takes its next step. */
static bgcopy_hr cb_file_suspend(bgcopy_job *job, bgcopy_file *file, void *user)
{
    struct suspend_ctx *ctx = user;

    (void)file;
    if (ctx->file_calls++ == 0) {
        assert_hr(bgcopy_job_suspend(job), BGCOPY_S_OK);
    }
    return BGCOPY_S_OK;
}

/* The engine moves CONNECTING -> TRANSFERRING -> TRANSFERRED when, after a Resume, there is
 * nothing left to fetch (reference §1.4 has no CONNECTING -> TRANSFERRED transition). */
static void test_resume_with_every_file_done(void **state)
{
    struct fx *fx = *state;
    bgcopy_sim_resource res = BGCOPY_SIM_RESOURCE_INIT;
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    struct suspend_ctx ctx = {0};
    char path[PATH_MAX + 16];
    bgcopy_job *job = new_job(fx->mgr, "done early", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    const bgcopy_sim_request *reqs;
    size_t nreq;
    bgcopy_job_progress jp;

    res.url = URL_A;
    res.length = 1000;
    assert_hr(bgcopy_sim_add_resource(fx->sim, &res), BGCOPY_S_OK);
    assert_hr(bgcopy_job_add_file(job, URL_A, local_path(fx, "done.bin", path, sizeof(path))),
              BGCOPY_S_OK);
    cb.file_transferred = cb_file_suspend;
    assert_hr(bgcopy_job_set_notify_flags(job, BGCOPY_NOTIFY_JOB_TRANSFERRED |
                                                   BGCOPY_NOTIFY_JOB_ERROR |
                                                   BGCOPY_NOTIFY_FILE_TRANSFERRED),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_set_notify_callbacks(job, &cb, &ctx), BGCOPY_S_OK);
    assert_hr(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr(bgcopy_sim_run_until_idle(fx->sim), BGCOPY_S_OK);
    assert_int_equal(ctx.file_calls, 1);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_SUSPENDED);
    assert_hr(bgcopy_job_get_progress(job, &jp), BGCOPY_S_OK);
    assert_int_equal(jp.files_transferred, 1);
    assert_int_equal(jp.bytes_transferred, 1000);
    nreq = bgcopy_sim_requests(fx->sim, &reqs);

    assert_hr(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr(bgcopy_sim_run_until_idle(fx->sim), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_TRANSFERRED);
    /* Nothing was fetched again. */
    assert_int_equal(bgcopy_sim_requests(fx->sim, &reqs), nreq);
    assert_hr(bgcopy_job_complete(job), BGCOPY_S_OK);
    assert_int_equal(access(path, F_OK), 0);
    bgcopy_job_release(job);
}

/* ---- Resume on TRANSFERRED, Suspend from ERROR and TRANSFERRED (reference 1.4) -------------- */

/* Resume on a TRANSFERRED job with no file added since: S_OK, the job stays TRANSFERRED and is not
 * even touched (modification and completion times unchanged, nothing fetched); with a file added
 * since, Resume queues it and only the new file is fetched. */
static void test_resume_transferred_without_new_files(void **state)
{
    struct fx *fx = *state;
    bgcopy_sim_resource res = BGCOPY_SIM_RESOURCE_INIT;
    char path[PATH_MAX + 16], path2[PATH_MAX + 16];
    bgcopy_job *job = new_job(fx->mgr, "resume done", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    const bgcopy_sim_request *reqs;
    bgcopy_job_times before, after;
    bgcopy_job_progress jp;

    res.url = URL_A;
    res.length = 1000;
    assert_hr(bgcopy_sim_add_resource(fx->sim, &res), BGCOPY_S_OK);
    res.url = URL_B;
    res.length = 500;
    assert_hr(bgcopy_sim_add_resource(fx->sim, &res), BGCOPY_S_OK);
    assert_hr(bgcopy_job_add_file(job, URL_A, local_path(fx, "a.bin", path, sizeof(path))),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr(bgcopy_sim_run_until_idle(fx->sim), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(bgcopy_sim_requests(fx->sim, &reqs), 2);
    assert_hr(bgcopy_job_get_times(job, &before), BGCOPY_S_OK);
    assert_hr(bgcopy_sim_advance(fx->sim, 10.0), BGCOPY_S_OK);

    assert_hr(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_hr(bgcopy_sim_run_until_idle(fx->sim), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(bgcopy_sim_requests(fx->sim, &reqs), 2);
    assert_hr(bgcopy_job_get_times(job, &after), BGCOPY_S_OK);
    assert_int_equal(after.modification_time, before.modification_time);
    assert_int_equal(after.transfer_completion_time, before.transfer_completion_time);

    /* A file added since: Resume queues the job, only that file is fetched. */
    assert_hr(bgcopy_job_add_file(job, URL_B, local_path(fx, "b.bin", path2, sizeof(path2))),
              BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_hr(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_QUEUED);
    assert_hr(bgcopy_sim_run_until_idle(fx->sim), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(bgcopy_sim_requests(fx->sim, &reqs), 4);
    assert_string_equal(reqs[2].url, URL_B);
    assert_string_equal(reqs[3].url, URL_B);
    assert_hr(bgcopy_job_get_progress(job, &jp), BGCOPY_S_OK);
    assert_int_equal(jp.files_transferred, 2);
    assert_int_equal(jp.bytes_transferred, 1500);
    assert_hr(bgcopy_job_complete(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
}

/* Suspend from ERROR gives SUSPENDED (S_OK), the error is no longer reported, and Resume retries
 * (QUEUED, then TRANSFERRED once the server has the file); Suspend from TRANSFERRED gives
 * SUSPENDED and Resume brings the job back to TRANSFERRED without fetching anything. */
static void test_suspend_from_error_and_transferred(void **state)
{
    struct fx *fx = *state;
    bgcopy_sim_resource res = BGCOPY_SIM_RESOURCE_INIT;
    char path[PATH_MAX + 16];
    bgcopy_job *job = new_job(fx->mgr, "suspend", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    bgcopy_error *err = (bgcopy_error *)fx;
    const bgcopy_sim_request *reqs;
    uint32_t count = 0;

    assert_hr(bgcopy_job_add_file(job, URL_A, local_path(fx, "a.bin", path, sizeof(path))),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr(bgcopy_sim_run_until_idle(fx->sim), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_ERROR); /* 404: fatal */

    assert_hr(bgcopy_job_suspend(job), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_SUSPENDED);
    assert_hr(bgcopy_job_get_error(job, &err), BGCOPY_E_ERROR_INFORMATION_UNAVAILABLE);
    assert_null(err);
    assert_hr(bgcopy_job_get_error_count(job, &count), BGCOPY_S_OK);
    assert_int_equal(count, 1);
    assert_hr(bgcopy_sim_run_until_idle(fx->sim), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_SUSPENDED);

    res.url = URL_A;
    res.length = 700;
    assert_hr(bgcopy_sim_add_resource(fx->sim, &res), BGCOPY_S_OK);
    assert_hr(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_QUEUED);
    assert_hr(bgcopy_sim_run_until_idle(fx->sim), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(bgcopy_sim_requests(fx->sim, &reqs), 3); /* HEAD 404, HEAD, GET */

    assert_hr(bgcopy_job_suspend(job), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_SUSPENDED);
    assert_hr(bgcopy_job_suspend(job), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_SUSPENDED);
    assert_hr(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_QUEUED);
    assert_hr(bgcopy_sim_run_until_idle(fx->sim), BGCOPY_S_OK);
    assert_int_equal(job_state(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(bgcopy_sim_requests(fx->sim, &reqs), 3);
    assert_hr(bgcopy_job_complete(job), BGCOPY_S_OK);
    assert_int_equal(access(path, F_OK), 0);
    bgcopy_job_release(job);
}

/* ---- cost flags default (reference 8.9) ------------------------------------------------------ */

/* A new job's cost flags are BITS_COST_STATE_TRANSFER_ALWAYS (0x800000FF), for every job type, and
 * a value set can be set back to it. */
static void test_cost_flags_default(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *dl = new_job(fx->mgr, "download", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    bgcopy_job *up = new_job(fx->mgr, "upload", BGCOPY_JOB_TYPE_UPLOAD, NULL);
    bgcopy_job_property_value v;

    memset(&v, 0xAB, sizeof(v));
    assert_hr(bgcopy_job_get_property(dl, BGCOPY_JOB_PROPERTY_ID_COST_FLAGS, &v), BGCOPY_S_OK);
    assert_int_equal(v.dword, 0x800000FFu);
    assert_int_equal(v.dword, BGCOPY_COST_STATE_TRANSFER_ALWAYS);
    memset(&v, 0xAB, sizeof(v));
    assert_hr(bgcopy_job_get_property(up, BGCOPY_JOB_PROPERTY_ID_COST_FLAGS, &v), BGCOPY_S_OK);
    assert_int_equal(v.dword, 0x800000FFu);

    v.dword = BGCOPY_COST_STATE_TRANSFER_STANDARD;
    assert_hr(bgcopy_job_set_property(dl, BGCOPY_JOB_PROPERTY_ID_COST_FLAGS, &v), BGCOPY_S_OK);
    memset(&v, 0xAB, sizeof(v));
    assert_hr(bgcopy_job_get_property(dl, BGCOPY_JOB_PROPERTY_ID_COST_FLAGS, &v), BGCOPY_S_OK);
    assert_int_equal(v.dword, BGCOPY_COST_STATE_TRANSFER_STANDARD);
    v.dword = 0x800000FFu;
    assert_hr(bgcopy_job_set_property(dl, BGCOPY_JOB_PROPERTY_ID_COST_FLAGS, &v), BGCOPY_S_OK);
    memset(&v, 0xAB, sizeof(v));
    assert_hr(bgcopy_job_get_property(dl, BGCOPY_JOB_PROPERTY_ID_COST_FLAGS, &v), BGCOPY_S_OK);
    assert_int_equal(v.dword, 0x800000FFu);
    bgcopy_job_release(dl);
    bgcopy_job_release(up);
}

/* ---- over-long strings (reference 2.2, 5.4, 8.8, Appendix E) ------------------------------------
 */

/* s, then n copies of c, then tail (malloc'ed). */
static char *text_of(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
    char *s = malloc(hl + ul * n + tl + 1), *p;

    assert_non_null(s);
    memcpy(s, head, hl);
    p = s + hl;
    for (i = 0; i < n; i++, p += ul) {
        memcpy(p, unit, ul);
    }
    memcpy(p, tail, tl + 1);
    return s;
}

/* Each length limit: one character (or byte) over gives its exact HRESULT and leaves the job as
 * it was (every getter); the limit itself is accepted and read back. Notification program: 4,095
 * bytes (PATH_MAX - 1, as local names; docs/fidelity.md); parameters: 4,000 characters (not
 * bytes); proxy and bypass lists: 32,767 characters (BG_E_PROXY_LIST_TOO_LARGE 0x80200018,
 * BG_E_PROXY_BYPASS_LIST_TOO_LARGE 0x80200019); password: 65,535 characters
 * (BG_E_PASSWORD_TOO_LARGE 0x80200026); custom headers: 16,383 characters (16,384 with the NUL;
 * BG_E_STRING_TOO_LONG 0x80200021). */
static void test_over_long_strings(void **state)
{
    struct fx *fx = *state;
    bgcopy_job *job = new_job(fx->mgr, "limits", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    char *prog_max = text_of("/", "p", 4094, ""), *prog_over = text_of("/", "p", 4095, "");
    char *par_max = text_of("/bin/echo ", "x", 3990, ""),
         *par_over = text_of("/bin/echo ", "x", 3991, "");
    char *par_utf8 =
        text_of("/bin/echo ", "\xc3\xa9", 3990, ""); /* 4,000 characters, 7,990 bytes */
    char *par_utf8_over = text_of("/bin/echo ", "\xc3\xa9", 3991, "");
    char *list_max = text_of("", "l", 32767, ""), *list_over = text_of("", "l", 32768, "");
    char *pw_max = text_of("", "w", 65535, ""), *pw_over = text_of("", "w", 65536, "");
    char *hdr_max = text_of("X: ", "v", 16378, "\r\n"),
         *hdr_over = text_of("X: ", "v", 16379, "\r\n");
    char *a = NULL, *b = NULL;
    bgcopy_proxy_usage usage;
    struct snap before, after;

    assert_int_equal(strlen(prog_max), 4095);
    assert_int_equal(strlen(par_max), 4000);
    assert_int_equal(strlen(par_utf8), 7990);
    assert_int_equal(strlen(hdr_max), 16383);
    assert_hr(bgcopy_job_set_notify_cmd_line(job, "/bin/echo", "/bin/echo old"), BGCOPY_S_OK);
    assert_hr(
        bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_OVERRIDE, "old:8080", "<local>"),
        BGCOPY_S_OK);
    assert_hr(bgcopy_job_set_custom_headers(job, "X-Old: 1\r\n"), BGCOPY_S_OK);
    assert_hr(bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_SERVER, BGCOPY_AUTH_SCHEME_BASIC,
                                         "user", "old"),
              BGCOPY_S_OK);
    assert_hr(bgcopy_sim_advance(fx->sim, 5.0), BGCOPY_S_OK);
    take_snap(job, &before);

    assert_hr(bgcopy_job_set_notify_cmd_line(job, prog_over, NULL), 0x80200021u);
    assert_hr(bgcopy_job_set_notify_cmd_line(job, prog_over, NULL), BGCOPY_E_STRING_TOO_LONG);
    assert_hr(bgcopy_job_set_notify_cmd_line(job, "/bin/echo", par_over), BGCOPY_E_STRING_TOO_LONG);
    assert_hr(bgcopy_job_set_notify_cmd_line(job, "/bin/echo", par_utf8_over),
              BGCOPY_E_STRING_TOO_LONG);
    assert_hr(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_OVERRIDE, list_over, NULL),
              0x80200018u);
    assert_hr(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_OVERRIDE, "p:1", list_over),
              0x80200019u);
    assert_hr(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_OVERRIDE, list_over, list_over),
              BGCOPY_E_PROXY_LIST_TOO_LARGE);
    assert_hr(bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_SERVER, BGCOPY_AUTH_SCHEME_BASIC,
                                         "user", pw_over),
              0x80200026u);
    assert_hr(bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_PROXY, BGCOPY_AUTH_SCHEME_BASIC,
                                         "user", pw_over),
              BGCOPY_E_PASSWORD_TOO_LARGE);
    assert_hr(bgcopy_job_set_custom_headers(job, hdr_over), 0x80200021u);
    take_snap(job, &after);
    assert_snap_equal(&before, &after);
    assert_string_equal(after.cmd_parameters, "/bin/echo old");
    assert_string_equal(after.proxy_list, "old:8080");
    assert_string_equal(after.headers, "X-Old: 1\r\n");
    free_snap(&after);

    /* The limits themselves. */
    assert_hr(bgcopy_job_set_notify_cmd_line(job, prog_max, NULL), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_notify_cmd_line(job, &a, &b), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, a, prog_max);
    assert_string_prop(BGCOPY_S_OK, b, "");
    assert_hr(bgcopy_job_set_notify_cmd_line(job, "/bin/echo", par_max), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_notify_cmd_line(job, &a, &b), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, a, "/bin/echo");
    assert_string_prop(BGCOPY_S_OK, b, par_max);
    assert_hr(bgcopy_job_set_notify_cmd_line(job, "/bin/echo", par_utf8), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_notify_cmd_line(job, &a, &b), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, a, "/bin/echo");
    assert_string_prop(BGCOPY_S_OK, b, par_utf8);
    assert_hr(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_OVERRIDE, list_max, list_max),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_proxy_settings(job, &usage, &a, &b), BGCOPY_S_OK);
    assert_int_equal(usage, BGCOPY_PROXY_USAGE_OVERRIDE);
    assert_string_prop(BGCOPY_S_OK, a, list_max);
    assert_string_prop(BGCOPY_S_OK, b, list_max);
    assert_hr(bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_SERVER, BGCOPY_AUTH_SCHEME_BASIC,
                                         "user", pw_max),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_set_custom_headers(job, hdr_max), BGCOPY_S_OK);
    assert_hr(bgcopy_job_get_custom_headers(job, &a), BGCOPY_S_OK);
    assert_string_prop(BGCOPY_S_OK, a, hdr_max);

    free_snap(&before);
    free(prog_max);
    free(prog_over);
    free(par_max);
    free(par_over);
    free(par_utf8);
    free(par_utf8_over);
    free(list_max);
    free(list_over);
    free(pw_max);
    free(pw_over);
    free(hdr_max);
    free(hdr_over);
    bgcopy_job_release(job);
}

/* ---- what the emulation does not model, and state names -------------------------------------- */

/* Upload and upload-reply jobs can be made and given their file, but Resume returns E_NOTIMPL
 * (0x80004001) and leaves them SUSPENDED (no upload protocol); ON_DEMAND_MODE cannot be enabled
 * (E_NOTIMPL, no File6 random access) and stays 0; bitsadmin-style state names are upper case
 * (Appendix D item 10). */
static void test_unemulated_features_and_state_names(void **state)
{
    struct fx *fx = *state;
    static const char *const names[] = {"QUEUED",      "CONNECTING",   "TRANSFERRING",
                                        "SUSPENDED",   "ERROR",        "TRANSIENT_ERROR",
                                        "TRANSFERRED", "ACKNOWLEDGED", "CANCELLED"};
    bgcopy_job *up = new_job(fx->mgr, "up", BGCOPY_JOB_TYPE_UPLOAD, NULL);
    bgcopy_job *reply = new_job(fx->mgr, "reply", BGCOPY_JOB_TYPE_UPLOAD_REPLY, NULL);
    bgcopy_job *dl = new_job(fx->mgr, "dl", BGCOPY_JOB_TYPE_DOWNLOAD, NULL);
    char path[PATH_MAX + 16], path2[PATH_MAX + 16];
    bgcopy_job_property_value v;
    int i;

    assert_hr(bgcopy_job_add_file(up, URL_A, local_path(fx, "up.bin", path, sizeof(path))),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_add_file(reply, URL_B, local_path(fx, "re.bin", path2, sizeof(path2))),
              BGCOPY_S_OK);
    assert_hr(bgcopy_job_resume(up), 0x80004001u);
    assert_hr(bgcopy_job_resume(reply), BGCOPY_E_NOTIMPL);
    assert_hr(bgcopy_sim_run_until_idle(fx->sim), BGCOPY_S_OK);
    assert_int_equal(job_state(up), BGCOPY_JOB_STATE_SUSPENDED);
    assert_int_equal(job_state(reply), BGCOPY_JOB_STATE_SUSPENDED);

    memset(&v, 0, sizeof(v));
    v.enable = 1;
    assert_hr(bgcopy_job_set_property(dl, BGCOPY_JOB_PROPERTY_ON_DEMAND_MODE, &v),
              BGCOPY_E_NOTIMPL);
    memset(&v, 0xAB, sizeof(v));
    assert_hr(bgcopy_job_get_property(dl, BGCOPY_JOB_PROPERTY_ON_DEMAND_MODE, &v), BGCOPY_S_OK);
    assert_int_equal(v.enable, 0);

    for (i = 0; i < 9; i++) {
        assert_non_null(bgcopy_job_state_name((bgcopy_job_state)i));
        assert_string_equal(bgcopy_job_state_name((bgcopy_job_state)i), names[i]);
    }
    assert_null(bgcopy_job_state_name((bgcopy_job_state)9));
    bgcopy_job_release(up);
    bgcopy_job_release(reply);
    bgcopy_job_release(dl);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_new_job_defaults),
        T(test_new_job_types),
        T(test_cost_flags_default),
        T(test_unemulated_features_and_state_names),
        T(test_resume_transferred_without_new_files),
        T(test_suspend_from_error_and_transferred),
        T(test_times_follow_simulation_clock),
        T(test_resume_needs_a_file),
        T(test_cancel_twice_and_cancelled_job),
        T(test_complete_twice_and_acknowledged_job),
        T(test_complete_upload_needs_transferred),
        T(test_null_arguments),
        T(test_rejected_calls_leave_job_unchanged),
        T(test_priority_and_flags),
        T(test_string_lengths),
        T(test_over_long_strings),
        T(test_create_job_validation),
        T(test_add_file_validation),
        T(test_ranges_validation),
        T(test_proxy_validation),
        T(test_credentials_validation),
        T(test_custom_headers),
        T(test_notify_cmd_line),
        T(test_set_property_rules),
        T(test_jobs_per_user_limit),
        T(test_jobs_per_machine_limit),
        T(test_admin_exempt_from_user_and_file_limits),
        T(test_files_per_job_limit),
        T(test_upload_job_takes_one_file),
        T(test_ranges_per_file_limit),
        T(test_jobs_are_per_user),
        T(test_job_enumerator),
        T(test_releasing_handles_keeps_job),
        T(test_file_objects),
        T(test_file_ranges_read_back),
        T(test_manager_open),
        T(test_guid_helpers),
        T(test_notify_callbacks_registration),
        T(test_resume_with_every_file_done),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
