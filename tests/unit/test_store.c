/* test_store.c - persistence: the SQLite store of a state directory (core/store.c).
 *
 * Each test runs one or more "lives" of an engine on the simulation harness with a
 * state_dir: a life opens a simulation whose wall clock starts where the test says, opens a
 * manager on the state directory, does something, and ends by closing everything (the
 * engine writes a last checkpoint and releases the store). The next life sees what the
 * store kept. Wall time between lives is set through the simulation's start time, so
 * "91 days later" costs nothing. Damaged, foreign and newer databases are written with
 * SQLite directly. The default-directory rules are checked on real-mode managers.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "bgcopy.h"
#include "core-int.h"

#define assert_hr_equal(a, b) assert_int_equal((uint32_t)(a), (uint32_t)(b))

#define DAY    86400.0
#define T0     1798761600.0 /* 2027-01-01T00:00:00Z */
#define URL_A  "http://example.test/a.bin"
#define URL_B  "http://example.test/b.bin"
#define SIZE_A (3u * 1024 * 1024 + 17)
#define SIZE_B (200u * 1024)
#define SEED_A 7
#define SEED_B 9

static char root[512];  /* scratch directory of the test binary */
static char state[600]; /* the state directory of the current test */
static char dl[600];    /* where downloads go */
static int test_no;

/* One life of the engine. */
typedef struct life {
    bgcopy_sim *sim;
    bgcopy_manager *mgr;
} life;

static void path_in(char *buf, size_t n, const char *dir, const char *name)
{
    int r = snprintf(buf, n, "%s/%s", dir, name);
    assert_true(r > 0 && (size_t)r < n);
}

static void add_resources(bgcopy_sim *sim, double bandwidth)
{
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    r.url = URL_A;
    r.length = SIZE_A;
    r.seed = SEED_A;
    r.bandwidth = bandwidth;
    r.last_modified = T0 - DAY;
    assert_hr_equal(bgcopy_sim_add_resource(sim, &r), BGCOPY_S_OK);
    r.url = URL_B;
    r.length = SIZE_B;
    r.seed = SEED_B;
    assert_hr_equal(bgcopy_sim_add_resource(sim, &r), BGCOPY_S_OK);
}

/* Starts a life at wall time `wall`; the network serves A and B at `bandwidth` bytes/s. */
static bgcopy_hr begin_life(life *l, double wall, double bandwidth)
{
    bgcopy_sim_options so = BGCOPY_SIM_OPTIONS_INIT;
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_hr hr;

    so.start_wall_time = wall;
    so.chunk_size = 64 * 1024;
    assert_hr_equal(bgcopy_sim_create(&so, &l->sim), BGCOPY_S_OK);
    add_resources(l->sim, bandwidth);
    mo.sim = l->sim;
    mo.user = "alice";
    mo.state_dir = state;
    mo.checkpoint_bytes = 256 * 1024;
    mo.checkpoint_ms = UINT32_MAX;
    hr = bgcopy_manager_open(&mo, &l->mgr);
    if (BGCOPY_FAILED(hr)) {
        assert_hr_equal(bgcopy_sim_destroy(l->sim), BGCOPY_S_OK);
        l->sim = NULL;
        l->mgr = NULL;
    }
    return hr;
}

static void open_life(life *l, double wall, double bandwidth)
{
    bgcopy_hr hr = begin_life(l, wall, bandwidth);
    if (BGCOPY_FAILED(hr))
        print_error("open failed: 0x%08X %s\n", (unsigned)hr, bgcopy_manager_open_detail());
    assert_hr_equal(hr, BGCOPY_S_OK);
}

static void end_life(life *l)
{
    bgcopy_manager_close(l->mgr);
    assert_hr_equal(bgcopy_sim_destroy(l->sim), BGCOPY_S_OK);
    l->mgr = NULL;
    l->sim = NULL;
}

static bgcopy_job *new_job(life *l, const char *name, int with_b, bgcopy_guid *id)
{
    bgcopy_job *job;
    char local[700];

    assert_hr_equal(bgcopy_manager_create_job(l->mgr, name, BGCOPY_JOB_TYPE_DOWNLOAD, id, &job),
                    BGCOPY_S_OK);
    path_in(local, sizeof(local), dl, "a.bin");
    assert_hr_equal(bgcopy_job_add_file(job, URL_A, local), BGCOPY_S_OK);
    if (with_b) {
        path_in(local, sizeof(local), dl, "b.bin");
        assert_hr_equal(bgcopy_job_add_file(job, URL_B, local), BGCOPY_S_OK);
    }
    return job;
}

static bgcopy_job *find_job(life *l, const bgcopy_guid *id)
{
    bgcopy_job *job = NULL;
    assert_hr_equal(bgcopy_manager_get_job(l->mgr, id, &job), BGCOPY_S_OK);
    return job;
}

static bgcopy_job_state state_of(bgcopy_job *job)
{
    bgcopy_job_state s;
    assert_hr_equal(bgcopy_job_get_state(job, &s), BGCOPY_S_OK);
    return s;
}

static uint64_t bytes_of(bgcopy_job *job)
{
    bgcopy_job_progress p;
    assert_hr_equal(bgcopy_job_get_progress(job, &p), BGCOPY_S_OK);
    return p.bytes_transferred;
}

static bgcopy_file *file_at(bgcopy_job *job, uint32_t index)
{
    bgcopy_file_enum *e;
    bgcopy_file *f = NULL;
    uint32_t got = 0;
    assert_hr_equal(bgcopy_job_enum_files(job, &e), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_file_enum_skip(e, index), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_file_enum_next(e, 1, &f, &got), BGCOPY_S_OK);
    bgcopy_file_enum_release(e);
    return f;
}

static char *temp_of(bgcopy_job *job, uint32_t index)
{
    bgcopy_file *f = file_at(job, index);
    char *name = NULL;
    assert_hr_equal(bgcopy_file_get_temporary_name(f, &name), BGCOPY_S_OK);
    bgcopy_file_release(f);
    return name;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* 1 when path holds exactly the PATTERN bytes of seed, length n. */
static int has_pattern(const char *path, uint32_t seed, uint64_t n)
{
    FILE *f = fopen(path, "rb");
    uint64_t i;
    int ok = f != NULL;
    for (i = 0; ok && i < n; i++)
        if (fgetc(f) != bgcopy_sim_pattern_byte(seed, i))
            ok = 0;
    if (ok && fgetc(f) != EOF)
        ok = 0;
    if (f)
        fclose(f);
    return ok;
}

/* Number of BIT*.tmp files in the download directory. */
static int temp_files_left(void)
{
    char cmd[800];
    FILE *p;
    int n = -1;
    snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c '^BIT.*\\.tmp$'", dl);
    p = popen(cmd, "r");
    assert_non_null(p);
    if (fscanf(p, "%d", &n) != 1)
        n = -1;
    pclose(p);
    return n;
}

static void db_path(char *buf, size_t n)
{
    path_in(buf, n, state, "bgcopy.db");
}

/* Runs SQL on the store directly (no engine may have it open). */
static void db_exec(const char *sql)
{
    sqlite3 *db;
    char path[700];
    db_path(path, sizeof(path));
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
}

static long long db_count(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    char path[700];
    long long n = -1;
    db_path(path, sizeof(path));
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* ---- fixture ----------------------------------------------------------------------------- */

static int group_setup(void **s)
{
    char cwd[256];
    (void)s;
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return -1;
    if ((size_t)snprintf(root, sizeof(root), "%s/store-XXXXXX", cwd) >= sizeof(root))
        return -1;
    return mkdtemp(root) ? 0 : -1;
}

static int group_teardown(void **s)
{
    char cmd[600];
    (void)s;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static int setup(void **s)
{
    (void)s;
    test_no++;
    snprintf(state, sizeof(state), "%s/t%d/state", root, test_no);
    snprintf(dl, sizeof(dl), "%s/t%d/dl", root, test_no);
    if (bgcopy__fs_mkdir_private(dl) != BGCOPY_S_OK)
        return -1;
    return 0;
}

/* ---- round trips ------------------------------------------------------------------------- */

static void test_properties_survive(void **s)
{
    life l;
    bgcopy_job *job;
    bgcopy_guid id;
    bgcopy_job_times t1, t2;
    bgcopy_file_range ranges[2] = {{10, 100}, {5000, BGCOPY_LENGTH_TO_EOF}};
    bgcopy_file_range *got_ranges = NULL;
    bgcopy_job_property_value v;
    bgcopy_proxy_usage usage;
    uint32_t u, count;
    bgcopy_job_priority prio;
    char *str, *str2, local[700];
    struct stat st;
    (void)s;

    open_life(&l, T0, 0);
    job = new_job(&l, "nightly", 1, &id);
    path_in(local, sizeof(local), dl, "c.bin");
    assert_hr_equal(bgcopy_job_add_file_with_ranges(job, URL_A, local, 2, ranges), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_description(job, "kept across restarts"), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_priority(job, BGCOPY_JOB_PRIORITY_HIGH), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_notify_flags(job, 0x0B), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_minimum_retry_delay(job, 77), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_no_progress_timeout(job, 8888), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_maximum_download_time(job, 9999), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_OVERRIDE,
                                                  "http://proxy:3128", "<local>"),
                    BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_custom_headers(job, "X-One: 1\r\nX-Two: 2\r\n"), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_security_flags(job, 0x0001), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_notify_cmd_line(job, "/bin/echo", "/bin/echo done"),
                    BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_notify_handler(job, "updater"), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_SERVER,
                                               BGCOPY_AUTH_SCHEME_BASIC, "bob", "s3cret"),
                    BGCOPY_S_OK);
    memset(&v, 0, sizeof(v));
    v.dword = 1234;
    assert_hr_equal(
        bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, &v),
        BGCOPY_S_OK);
    memset(&v, 0, sizeof(v));
    v.uint64 = 123456789;
    assert_hr_equal(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &v),
                    BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_get_times(job, &t1), BGCOPY_S_OK);
    bgcopy_job_release(job);
    end_life(&l);

    /* The store is private to the user. */
    assert_int_equal(stat(state, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    path_in(local, sizeof(local), state, "bgcopy.db");
    assert_int_equal(stat(local, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* Credentials are kept, in that 0600 database only (docs/fidelity.md). */
    assert_int_equal(db_count("SELECT count(*) FROM credentials WHERE user = 'bob' AND "
                              "password = 's3cret'"),
                     1);

    open_life(&l, T0 + 3600, 0);
    job = find_job(&l, &id);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_SUSPENDED);
    assert_hr_equal(bgcopy_job_get_display_name(job, &str), BGCOPY_S_OK);
    assert_string_equal(str, "nightly");
    bgcopy_free(str);
    assert_hr_equal(bgcopy_job_get_description(job, &str), BGCOPY_S_OK);
    assert_string_equal(str, "kept across restarts");
    bgcopy_free(str);
    assert_hr_equal(bgcopy_job_get_owner(job, &str), BGCOPY_S_OK);
    assert_string_equal(str, "alice");
    bgcopy_free(str);
    assert_hr_equal(bgcopy_job_get_priority(job, &prio), BGCOPY_S_OK);
    assert_int_equal(prio, BGCOPY_JOB_PRIORITY_HIGH);
    assert_hr_equal(bgcopy_job_get_notify_flags(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 0x0B);
    assert_hr_equal(bgcopy_job_get_minimum_retry_delay(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 77);
    assert_hr_equal(bgcopy_job_get_no_progress_timeout(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 8888);
    assert_hr_equal(bgcopy_job_get_maximum_download_time(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 9999);
    assert_hr_equal(bgcopy_job_get_proxy_settings(job, &usage, &str, &str2), BGCOPY_S_OK);
    assert_int_equal(usage, BGCOPY_PROXY_USAGE_OVERRIDE);
    assert_string_equal(str, "http://proxy:3128");
    assert_string_equal(str2, "<local>");
    bgcopy_free(str);
    bgcopy_free(str2);
    assert_hr_equal(bgcopy_job_get_custom_headers(job, &str), BGCOPY_S_OK);
    assert_string_equal(str, "X-One: 1\r\nX-Two: 2\r\n");
    bgcopy_free(str);
    assert_hr_equal(bgcopy_job_get_security_flags(job, &u), BGCOPY_S_OK);
    assert_int_equal(u, 0x0001);
    assert_hr_equal(bgcopy_job_get_notify_cmd_line(job, &str, &str2), BGCOPY_S_OK);
    assert_string_equal(str, "/bin/echo");
    assert_string_equal(str2, "/bin/echo done");
    bgcopy_free(str);
    bgcopy_free(str2);
    assert_hr_equal(bgcopy_job_get_notify_handler(job, &str), BGCOPY_S_OK);
    assert_string_equal(str, "updater");
    bgcopy_free(str);
    assert_hr_equal(
        bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, &v),
        BGCOPY_S_OK);
    assert_int_equal(v.dword, 1234);
    assert_hr_equal(bgcopy_job_get_property(job, BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &v),
                    BGCOPY_S_OK);
    assert_true(v.uint64 == 123456789);
    {
        struct emu_job *ej = bgcopy__job_from_handle(job);
        struct emu_cred *c = &ej->creds[BGCOPY_AUTH_TARGET_SERVER][BGCOPY_AUTH_SCHEME_BASIC];
        assert_true(c->set);
        assert_string_equal(c->user, "bob");
        assert_string_equal(c->password, "s3cret");
    }
    assert_hr_equal(bgcopy_job_get_times(job, &t2), BGCOPY_S_OK);
    assert_true(t2.creation_time == t1.creation_time);
    assert_true(t2.modification_time == t1.modification_time);
    {
        bgcopy_file_enum *e;
        bgcopy_file *f = file_at(job, 2);
        assert_hr_equal(bgcopy_job_enum_files(job, &e), BGCOPY_S_OK);
        assert_hr_equal(bgcopy_file_enum_get_count(e, &count), BGCOPY_S_OK);
        assert_int_equal(count, 3);
        bgcopy_file_enum_release(e);
        assert_hr_equal(bgcopy_file_get_file_ranges(f, &count, &got_ranges), BGCOPY_S_OK);
        assert_int_equal(count, 2);
        assert_true(got_ranges[0].initial_offset == 10 && got_ranges[0].length == 100);
        assert_true(got_ranges[1].initial_offset == 5000 &&
                    got_ranges[1].length == BGCOPY_LENGTH_TO_EOF);
        bgcopy_free(got_ranges);
        assert_hr_equal(bgcopy_file_get_remote_name(f, &str), BGCOPY_S_OK);
        assert_string_equal(str, URL_A);
        bgcopy_free(str);
        bgcopy_file_release(f);
    }
    /* Removing credentials is persisted too. */
    assert_hr_equal(
        bgcopy_job_remove_credentials(job, BGCOPY_AUTH_TARGET_SERVER, BGCOPY_AUTH_SCHEME_BASIC),
        BGCOPY_S_OK);
    assert_int_equal(db_count("SELECT count(*) FROM credentials"), 0);
    bgcopy_job_release(job);
    end_life(&l);
}

/* A job in each non-final state comes back in the state BITS gives it after a restart. */
static void test_each_state_survives(void **s)
{
    life l;
    bgcopy_job *susp, *queued, *xfer, *transient, *err, *done, *cancelled, *completed;
    bgcopy_guid id_susp, id_queued, id_xfer, id_transient, id_err, id_done, id_c1, id_c2;
    bgcopy_sim_fault f = BGCOPY_SIM_FAULT_INIT;
    bgcopy_error *e;
    bgcopy_error_context ctx;
    bgcopy_hr code;
    uint32_t n;
    uint64_t mid;
    char local[700];
    (void)s;

    open_life(&l, T0, 1024 * 1024);
    susp = new_job(&l, "suspended", 0, &id_susp);

    f.url = URL_B;
    f.status = 404;
    assert_hr_equal(bgcopy_sim_add_fault(l.sim, &f), BGCOPY_S_OK);
    assert_hr_equal(
        bgcopy_manager_create_job(l.mgr, "404", BGCOPY_JOB_TYPE_DOWNLOAD, &id_err, &err),
        BGCOPY_S_OK);
    path_in(local, sizeof(local), dl, "e.bin");
    assert_hr_equal(bgcopy_job_add_file(err, URL_B, local), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(err), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(l.sim), BGCOPY_S_OK);
    assert_int_equal(state_of(err), BGCOPY_JOB_STATE_ERROR);
    bgcopy_sim_clear_faults(l.sim);

    /* Finished and then completed / cancelled: they leave the store. */
    assert_hr_equal(
        bgcopy_manager_create_job(l.mgr, "done", BGCOPY_JOB_TYPE_DOWNLOAD, &id_done, &done),
        BGCOPY_S_OK);
    path_in(local, sizeof(local), dl, "d.bin");
    assert_hr_equal(bgcopy_job_add_file(done, URL_B, local), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(done), BGCOPY_S_OK);
    assert_hr_equal(
        bgcopy_manager_create_job(l.mgr, "completed", BGCOPY_JOB_TYPE_DOWNLOAD, &id_c1, &completed),
        BGCOPY_S_OK);
    path_in(local, sizeof(local), dl, "c1.bin");
    assert_hr_equal(bgcopy_job_add_file(completed, URL_B, local), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(completed), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(l.sim), BGCOPY_S_OK);
    assert_int_equal(state_of(done), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_hr_equal(bgcopy_job_complete(completed), BGCOPY_S_OK);
    cancelled = new_job(&l, "cancelled", 0, &id_c2);
    assert_hr_equal(bgcopy_job_cancel(cancelled), BGCOPY_S_OK);

    /* Transient error: 503 with a 600 s retry delay. */
    f.url = NULL;
    f.status = 503;
    assert_hr_equal(bgcopy_sim_add_fault(l.sim, &f), BGCOPY_S_OK);
    transient = new_job(&l, "transient", 0, &id_transient);
    assert_hr_equal(bgcopy_job_resume(transient), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(l.sim, 1), BGCOPY_S_OK);
    assert_int_equal(state_of(transient), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    bgcopy_sim_clear_faults(l.sim);

    /* Mid-transfer: A at 1 MiB/s for 1.5 s. */
    xfer = new_job(&l, "transferring", 0, &id_xfer);
    assert_hr_equal(bgcopy_job_set_priority(xfer, BGCOPY_JOB_PRIORITY_FOREGROUND), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(xfer), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(l.sim, 1.5), BGCOPY_S_OK);
    assert_int_equal(state_of(xfer), BGCOPY_JOB_STATE_TRANSFERRING);
    mid = bytes_of(xfer);
    assert_true(mid > 0 && mid < SIZE_A);

    /* Queued: resumed, and not yet picked by the scheduler (no virtual time passes). */
    assert_hr_equal(
        bgcopy_manager_create_job(l.mgr, "queued", BGCOPY_JOB_TYPE_DOWNLOAD, &id_queued, &queued),
        BGCOPY_S_OK);
    path_in(local, sizeof(local), dl, "q.bin");
    assert_hr_equal(bgcopy_job_add_file(queued, URL_B, local), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_priority(queued, BGCOPY_JOB_PRIORITY_LOW), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(queued), BGCOPY_S_OK);
    assert_int_equal(state_of(queued), BGCOPY_JOB_STATE_QUEUED);

    bgcopy_job_release(susp);
    bgcopy_job_release(queued);
    bgcopy_job_release(xfer);
    bgcopy_job_release(transient);
    bgcopy_job_release(err);
    bgcopy_job_release(done);
    bgcopy_job_release(cancelled);
    bgcopy_job_release(completed);
    end_life(&l);
    assert_int_equal(db_count("SELECT count(*) FROM jobs"), 6);

    /* 100 s later: nothing has run in between. */
    open_life(&l, T0 + 1.5 + 100, 1024 * 1024);
    susp = find_job(&l, &id_susp);
    queued = find_job(&l, &id_queued);
    xfer = find_job(&l, &id_xfer);
    transient = find_job(&l, &id_transient);
    err = find_job(&l, &id_err);
    done = find_job(&l, &id_done);
    assert_hr_equal(bgcopy_manager_get_job(l.mgr, &id_c1, &completed), BGCOPY_E_NOT_FOUND);
    assert_hr_equal(bgcopy_manager_get_job(l.mgr, &id_c2, &cancelled), BGCOPY_E_NOT_FOUND);

    assert_int_equal(state_of(susp), BGCOPY_JOB_STATE_SUSPENDED);
    assert_int_equal(state_of(queued), BGCOPY_JOB_STATE_QUEUED);
    assert_int_equal(state_of(xfer), BGCOPY_JOB_STATE_QUEUED); /* TRANSFERRING -> QUEUED */
    assert_true(bytes_of(xfer) >= mid - 256 * 1024 && bytes_of(xfer) <= mid);
    assert_int_equal(state_of(transient), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(state_of(done), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(state_of(err), BGCOPY_JOB_STATE_ERROR);
    assert_hr_equal(bgcopy_job_get_error(err, &e), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_error_get_error(e, &ctx, &code), BGCOPY_S_OK);
    assert_int_equal(ctx, BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
    assert_hr_equal(code, BGCOPY_E_HTTP_ERROR(404));
    {
        bgcopy_file *ef = NULL;
        char *name;
        assert_hr_equal(bgcopy_error_get_file(e, &ef), BGCOPY_S_OK);
        assert_hr_equal(bgcopy_file_get_remote_name(ef, &name), BGCOPY_S_OK);
        assert_string_equal(name, URL_B);
        bgcopy_free(name);
        bgcopy_file_release(ef);
    }
    bgcopy_error_release(e);
    assert_hr_equal(bgcopy_job_get_error_count(err, &n), BGCOPY_S_OK);
    assert_int_equal(n, 1);

    /* The transfer continues from its checkpoint: the first GET starts there. */
    {
        uint64_t at = bytes_of(xfer);
        const bgcopy_sim_request *req;
        size_t i, nreq;
        int seen = 0;
        assert_hr_equal(bgcopy_sim_advance(l.sim, 1), BGCOPY_S_OK);
        nreq = bgcopy_sim_requests(l.sim, &req);
        for (i = 0; i < nreq && !seen; i++)
            if (strcmp(req[i].method, "GET") == 0 && strcmp(req[i].url, URL_A) == 0) {
                assert_true(req[i].has_range);
                assert_true(req[i].range_first == at);
                seen = 1;
            }
        assert_true(seen);
    }
    /* The retry delay kept its wall-clock due time: 600 s after the error, 100 s of which
     * passed while nothing ran (and 1 s above). */
    assert_hr_equal(bgcopy_sim_advance(l.sim, 497), BGCOPY_S_OK);
    assert_int_equal(state_of(transient), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_hr_equal(bgcopy_sim_advance(l.sim, 3), BGCOPY_S_OK);
    assert_int_not_equal(state_of(transient), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_hr_equal(bgcopy_sim_run_until_idle(l.sim), BGCOPY_S_OK);
    assert_int_equal(state_of(xfer), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_hr_equal(bgcopy_job_complete(xfer), BGCOPY_S_OK);
    path_in(local, sizeof(local), dl, "a.bin");
    assert_true(has_pattern(local, SEED_A, SIZE_A));
    assert_hr_equal(bgcopy_job_complete(done), BGCOPY_S_OK);
    path_in(local, sizeof(local), dl, "d.bin");
    assert_true(has_pattern(local, SEED_B, SIZE_B));

    bgcopy_job_release(susp);
    bgcopy_job_release(queued);
    bgcopy_job_release(xfer);
    bgcopy_job_release(transient);
    bgcopy_job_release(err);
    bgcopy_job_release(done);
    end_life(&l);
    assert_int_equal(db_count("SELECT count(*) FROM jobs"), 4);
    assert_int_equal(db_count("SELECT count(*) FROM files WHERE job NOT IN (SELECT id FROM jobs)"),
                     0);
}

/* ---- time that passed while nothing ran --------------------------------------------------- */

static void partial_suspended_job(life *l, bgcopy_guid *id, char **temp)
{
    bgcopy_job *job = new_job(l, "idle", 0, id);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(l->sim, 1), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_suspend(job), BGCOPY_S_OK);
    assert_true(bytes_of(job) > 0);
    *temp = temp_of(job, 0);
    assert_true(file_size(*temp) > 0);
    bgcopy_job_release(job);
}

static void test_inactivity_counts_closed_time(void **s)
{
    life l;
    bgcopy_guid id;
    bgcopy_job *job;
    char *temp;
    (void)s;

    /* 91 days with no process: the job is cancelled at open, its temp file deleted. */
    open_life(&l, T0, 1024 * 1024);
    partial_suspended_job(&l, &id, &temp);
    end_life(&l);
    open_life(&l, T0 + 1 + 91 * DAY, 1024 * 1024);
    assert_hr_equal(bgcopy_manager_get_job(l.mgr, &id, &job), BGCOPY_E_NOT_FOUND);
    assert_int_equal(file_size(temp), -1);
    assert_int_equal(temp_files_left(), 0);
    end_life(&l);
    assert_int_equal(db_count("SELECT count(*) FROM jobs"), 0);
    bgcopy_free(temp);

    /* 89 days closed: the job is there; two more days running cancel it (90 days in all). */
    open_life(&l, T0 + 100 * DAY, 1024 * 1024);
    partial_suspended_job(&l, &id, &temp);
    end_life(&l);
    open_life(&l, T0 + 100 * DAY + 1 + 89 * DAY, 1024 * 1024);
    job = find_job(&l, &id);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_SUSPENDED);
    assert_true(file_size(temp) > 0);
    assert_hr_equal(bgcopy_sim_advance(l.sim, DAY - 10), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_SUSPENDED);
    assert_hr_equal(bgcopy_sim_advance(l.sim, 20), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_CANCELLED);
    assert_int_equal(file_size(temp), -1);
    bgcopy_job_release(job);
    end_life(&l);
    bgcopy_free(temp);
}

static void test_no_progress_counts_closed_time(void **s)
{
    life l;
    bgcopy_guid id;
    bgcopy_job *job;
    bgcopy_sim_fault f = BGCOPY_SIM_FAULT_INIT;
    bgcopy_error *e;
    bgcopy_error_context ctx;
    bgcopy_hr code;
    (void)s;

    open_life(&l, T0, 0);
    f.status = 503;
    assert_hr_equal(bgcopy_sim_add_fault(l.sim, &f), BGCOPY_S_OK);
    job = new_job(&l, "stuck", 0, &id);
    assert_hr_equal(bgcopy_job_set_no_progress_timeout(job, 1000), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(l.sim, 1), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    bgcopy_job_release(job);
    end_life(&l);

    /* 2,000 s later (the server still failing) the 1,000 s window has closed: the job goes
     * to ERROR keeping its last error, without waiting another retry delay. */
    open_life(&l, T0 + 2001, 0);
    assert_hr_equal(bgcopy_sim_add_fault(l.sim, &f), BGCOPY_S_OK);
    job = find_job(&l, &id);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_hr_equal(bgcopy_sim_advance(l.sim, 1), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    assert_hr_equal(bgcopy_job_get_error(job, &e), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_error_get_error(e, &ctx, &code), BGCOPY_S_OK);
    assert_hr_equal(code, BGCOPY_E_HTTP_ERROR(503));
    assert_int_equal(ctx, BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
    bgcopy_error_release(e);
    bgcopy_job_release(job);
    end_life(&l);
}

static int transferred_calls;

static bgcopy_hr refuse_transferred(bgcopy_job *job, void *user)
{
    (void)user;
    (void)job;
    transferred_calls++;
    return BGCOPY_E_FAIL;
}

static bgcopy_hr accept_transferred(bgcopy_job *job, void *user)
{
    (void)user;
    transferred_calls += 100;
    return bgcopy_job_complete(job);
}

/* A JobTransferred the application never acknowledged with S_OK is still owed after a
 * restart, and reaches the persisted handler once the application registers it. */
static void test_owed_notification_survives(void **s)
{
    life l;
    bgcopy_guid id;
    bgcopy_job *job;
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    char local[700];
    (void)s;

    open_life(&l, T0, 0);
    cb.job_transferred = refuse_transferred;
    assert_hr_equal(bgcopy_manager_register_notify_handler(l.mgr, "app", &cb, NULL), BGCOPY_S_OK);
    job = new_job(&l, "owed", 0, &id);
    assert_hr_equal(bgcopy_job_set_notify_handler(job, "app"), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(l.sim, 5), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(transferred_calls, 1);
    bgcopy_job_release(job);
    end_life(&l);

    open_life(&l, T0 + 3600, 0);
    cb.job_transferred = accept_transferred;
    assert_hr_equal(bgcopy_manager_register_notify_handler(l.mgr, "app", &cb, NULL), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(l.sim, 1), BGCOPY_S_OK);
    assert_int_equal(transferred_calls, 101);
    assert_hr_equal(bgcopy_manager_get_job(l.mgr, &id, &job), BGCOPY_E_NOT_FOUND);
    end_life(&l);
    path_in(local, sizeof(local), dl, "a.bin");
    assert_true(has_pattern(local, SEED_A, SIZE_A));
}

static int error_calls;

/* The error a persisted JobError sees: the 404 of URL_B, in the REMOTE_FILE context. */
static void check_404(bgcopy_error *err)
{
    bgcopy_error_context ctx;
    bgcopy_hr code;
    assert_hr_equal(bgcopy_error_get_error(err, &ctx, &code), BGCOPY_S_OK);
    assert_int_equal(ctx, BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
    assert_hr_equal(code, BGCOPY_E_HTTP_ERROR(404));
}

static bgcopy_hr refuse_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    (void)user;
    (void)job;
    check_404(err);
    error_calls++;
    return BGCOPY_E_FAIL;
}

static bgcopy_hr accept_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    (void)user;
    check_404(err);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    error_calls += 100;
    return BGCOPY_S_OK;
}

/* The JobError counterpart of test_owed_notification_survives: a JobError the persisted
 * handler refused (E_FAIL at 0 s) is still owed after a restart an hour later and reaches the
 * handler, with the job's 404 error, as soon as it is registered again; the handler's S_OK
 * settles it, which is persisted too: a third life's handler is not called, and the job is
 * still in ERROR. */
static void test_owed_job_error_survives(void **s)
{
    life l;
    bgcopy_guid id;
    bgcopy_job *job;
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_sim_fault f = BGCOPY_SIM_FAULT_INIT;
    char local[700];
    (void)s;

    error_calls = 0;
    open_life(&l, T0, 0);
    cb.job_error = refuse_error;
    assert_hr_equal(bgcopy_manager_register_notify_handler(l.mgr, "app", &cb, NULL), BGCOPY_S_OK);
    f.url = URL_B;
    f.status = 404;
    assert_hr_equal(bgcopy_sim_add_fault(l.sim, &f), BGCOPY_S_OK);
    assert_hr_equal(
        bgcopy_manager_create_job(l.mgr, "owed error", BGCOPY_JOB_TYPE_DOWNLOAD, &id, &job),
        BGCOPY_S_OK);
    path_in(local, sizeof(local), dl, "e.bin");
    assert_hr_equal(bgcopy_job_add_file(job, URL_B, local), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_notify_handler(job, "app"), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(l.sim, 5), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(error_calls, 1);
    bgcopy_job_release(job);
    end_life(&l);

    open_life(&l, T0 + 3600, 0);
    cb.job_error = accept_error;
    assert_hr_equal(bgcopy_sim_advance(l.sim, 1), BGCOPY_S_OK);
    assert_int_equal(error_calls, 1); /* owed, but no target yet */
    assert_hr_equal(bgcopy_manager_register_notify_handler(l.mgr, "app", &cb, NULL), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(l.sim, 1), BGCOPY_S_OK);
    assert_int_equal(error_calls, 101);
    assert_hr_equal(bgcopy_sim_advance(l.sim, 600), BGCOPY_S_OK);
    assert_int_equal(error_calls, 101);
    end_life(&l);

    open_life(&l, T0 + 7200, 0);
    assert_hr_equal(bgcopy_manager_register_notify_handler(l.mgr, "app", &cb, NULL), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(l.sim, 600), BGCOPY_S_OK);
    assert_int_equal(error_calls, 101);
    job = find_job(&l, &id);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    bgcopy_job_release(job);
    end_life(&l);
}

/* What SIGKILL leaves of the store: a copy of the database and its WAL taken while the engine
 * runs (no write is in progress between two calls on the simulation's thread). */
static void snapshot_store(const char *to)
{
    char cmd[5000];
    snprintf(cmd, sizeof(cmd),
             "rm -rf '%s' && mkdir -p '%s' && cp '%s/bgcopy.db' '%s/' && "
             "{ [ ! -e '%s/bgcopy.db-wal' ] || cp '%s/bgcopy.db-wal' '%s/'; }",
             to, to, state, to, state, state, to);
    assert_int_equal(system(cmd), 0);
}

static void restore_store(const char *from)
{
    char cmd[5000];
    snprintf(cmd, sizeof(cmd),
             "rm -f '%s/bgcopy.db' '%s/bgcopy.db-wal' '%s/bgcopy.db-shm' && "
             "cp '%s'/* '%s/'",
             state, state, state, from, state);
    assert_int_equal(system(cmd), 0);
}

/* A checkpoint of one file (or a temp file's creation) writes that file's row: the job's other
 * files and its credentials must still be there when the process dies before a full write. */
static void test_crash_after_partial_write_keeps_every_file(void **s)
{
    life l;
    bgcopy_guid id;
    bgcopy_job *job;
    bgcopy_file_progress fp;
    bgcopy_file *f;
    char snap[700], la[700], lb[700];
    (void)s;

    snprintf(snap, sizeof(snap), "%s/../snapshot", state);
    open_life(&l, T0, 1024 * 1024);
    job = new_job(&l, "two files", 1, &id);
    assert_hr_equal(bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_SERVER,
                                               BGCOPY_AUTH_SCHEME_BASIC, "bob", "pw"),
                    BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    /* File A (3 MiB at 1 MiB/s) done, B under way: the last writes were of one file each. */
    assert_hr_equal(bgcopy_sim_advance(l.sim, 3.1), BGCOPY_S_OK);
    f = file_at(job, 0);
    assert_hr_equal(bgcopy_file_get_progress(f, &fp), BGCOPY_S_OK);
    bgcopy_file_release(f);
    assert_true(fp.bytes_transferred == SIZE_A);
    snapshot_store(snap);
    bgcopy_job_release(job);
    end_life(&l);
    restore_store(snap);
    assert_int_equal(db_count("SELECT count(*) FROM files"), 2);
    assert_int_equal(db_count("SELECT count(*) FROM credentials"), 1);

    open_life(&l, T0 + 10, 0);
    job = find_job(&l, &id);
    {
        bgcopy_file_enum *e;
        uint32_t n;
        assert_hr_equal(bgcopy_job_enum_files(job, &e), BGCOPY_S_OK);
        assert_hr_equal(bgcopy_file_enum_get_count(e, &n), BGCOPY_S_OK);
        assert_int_equal(n, 2);
        bgcopy_file_enum_release(e);
    }
    f = file_at(job, 0);
    assert_hr_equal(bgcopy_file_get_progress(f, &fp), BGCOPY_S_OK);
    bgcopy_file_release(f);
    assert_true(fp.bytes_transferred == SIZE_A);
    assert_hr_equal(bgcopy_sim_run_until_idle(l.sim), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
    end_life(&l);
    path_in(la, sizeof(la), dl, "a.bin");
    path_in(lb, sizeof(lb), dl, "b.bin");
    assert_true(has_pattern(la, SEED_A, SIZE_A));
    assert_true(has_pattern(lb, SEED_B, SIZE_B));
    assert_int_equal(temp_files_left(), 0);
}

/* ---- temp files against checkpoints ---------------------------------------------------------- */

/* A job mid-transfer, closed: returns its id, temp name and checkpointed bytes. */
static uint64_t interrupted_job(bgcopy_guid *id, char **temp)
{
    life l;
    bgcopy_job *job;
    uint64_t at;

    open_life(&l, T0, 1024 * 1024);
    job = new_job(&l, "interrupted", 0, id);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_advance(l.sim, 1.5), BGCOPY_S_OK);
    *temp = temp_of(job, 0);
    bgcopy_job_release(job);
    end_life(&l);
    at = (uint64_t)db_count("SELECT bytes_transferred FROM files");
    assert_true(at > 0 && at < SIZE_A);
    assert_int_equal(file_size(*temp), (long long)at);
    return at;
}

static void finish_and_check(const bgcopy_guid *id, uint64_t expect_start)
{
    life l;
    bgcopy_job *job;
    char local[700];

    open_life(&l, T0 + 10, 0);
    job = find_job(&l, id);
    assert_true(bytes_of(job) == expect_start);
    assert_hr_equal(bgcopy_sim_run_until_idle(l.sim), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    assert_hr_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
    end_life(&l);
    path_in(local, sizeof(local), dl, "a.bin");
    assert_true(has_pattern(local, SEED_A, SIZE_A));
    assert_int_equal(temp_files_left(), 0);
}

static void test_extra_bytes_are_cut(void **s)
{
    bgcopy_guid id;
    char *temp;
    uint64_t at = interrupted_job(&id, &temp);
    FILE *f = fopen(temp, "ab");
    (void)s;
    /* Bytes written after the last checkpoint (here: junk) are not trusted. */
    assert_non_null(f);
    fputs("junk past the checkpoint", f);
    fclose(f);
    {
        life l;
        open_life(&l, T0 + 5, 0);
        assert_int_equal(file_size(temp), (long long)at);
        end_life(&l);
    }
    finish_and_check(&id, at);
    bgcopy_free(temp);
}

static void test_missing_temp_restarts_file(void **s)
{
    bgcopy_guid id;
    char *temp;
    (void)s;
    interrupted_job(&id, &temp);
    assert_int_equal(unlink(temp), 0);
    finish_and_check(&id, 0);
    bgcopy_free(temp);
}

static void test_short_temp_restarts_file(void **s)
{
    bgcopy_guid id;
    char *temp;
    uint64_t at;
    (void)s;
    at = interrupted_job(&id, &temp);
    assert_int_equal(truncate(temp, (off_t)(at / 2)), 0);
    finish_and_check(&id, 0);
    bgcopy_free(temp);
}

/* The temp name is in the store before its file exists: a file created just before a crash
 * (no checkpoint yet) belongs to the job, and goes when the job is cancelled. */
static void test_no_orphan_after_crash_before_checkpoint(void **s)
{
    life l;
    bgcopy_guid id;
    bgcopy_job *job;
    char *temp;
    FILE *f;
    (void)s;

    open_life(&l, T0, 0);
    job = new_job(&l, "fresh", 0, &id);
    temp = temp_of(job, 0);
    bgcopy_job_release(job);
    end_life(&l);
    /* What a crash right after the temp file's creation leaves. */
    db_exec("UPDATE files SET temp_exists = 1");
    f = fopen(temp, "wb");
    assert_non_null(f);
    fputs("partial", f);
    fclose(f);

    open_life(&l, T0 + 1, 0);
    assert_int_equal(file_size(temp), 0);
    job = find_job(&l, &id);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    assert_int_equal(file_size(temp), -1);
    bgcopy_job_release(job);
    end_life(&l);
    assert_int_equal(temp_files_left(), 0);
    bgcopy_free(temp);
}

/* A crash while Complete renamed the files: the next open finishes it. */
static void test_interrupted_complete_rolls_forward(void **s)
{
    life l;
    bgcopy_guid id;
    bgcopy_job *job;
    char *ta, *tb, la[700], lb[700];
    (void)s;

    open_life(&l, T0, 0);
    job = new_job(&l, "two", 1, &id);
    assert_hr_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_sim_run_until_idle(l.sim), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_TRANSFERRED);
    ta = temp_of(job, 0);
    tb = temp_of(job, 1);
    bgcopy_job_release(job);
    end_life(&l);

    /* Complete had written its intent and renamed the first file when the process died. */
    path_in(la, sizeof(la), dl, "a.bin");
    path_in(lb, sizeof(lb), dl, "b.bin");
    db_exec("UPDATE jobs SET completing = 1");
    assert_int_equal(rename(ta, la), 0);

    open_life(&l, T0 + 1, 0);
    assert_hr_equal(bgcopy_manager_get_job(l.mgr, &id, &job), BGCOPY_E_NOT_FOUND);
    end_life(&l);
    assert_true(has_pattern(la, SEED_A, SIZE_A));
    assert_true(has_pattern(lb, SEED_B, SIZE_B));
    assert_int_equal(file_size(tb), -1);
    assert_int_equal(temp_files_left(), 0);
    assert_int_equal(db_count("SELECT count(*) FROM jobs"), 0);
    bgcopy_free(ta);
    bgcopy_free(tb);
}

/* ---- one engine per store -------------------------------------------------------------------- */

static void test_second_engine_is_refused(void **s)
{
    life l, l2;
    pid_t pid;
    int status;
    (void)s;

    open_life(&l, T0, 0);
    /* In this process (another simulation on the same directory). */
    assert_hr_equal(begin_life(&l2, T0, 0), BGCOPY_E_WIN32_SERVICE_ALREADY_RUNNING);
    assert_non_null(strstr(bgcopy_manager_open_detail(), state));
    assert_non_null(strstr(bgcopy_manager_open_detail(), "another process"));
    /* In another process. */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
        bgcopy_manager *m = NULL;
        mo.state_dir = state;
        _exit(bgcopy_manager_open(&mo, &m) == BGCOPY_E_WIN32_SERVICE_ALREADY_RUNNING ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    end_life(&l);
    /* Released with the engine. */
    open_life(&l, T0, 0);
    end_life(&l);
}

/* ---- bad databases -----------------------------------------------------------------------------
 */

/* Opening must fail with hr, name the database, and leave its bytes alone. */
static void expect_refused(bgcopy_hr hr, const char *words)
{
    life l;
    char path[700];
    char *before, *after;
    size_t n1, n2;

    db_path(path, sizeof(path));
    before = slurp(path, &n1);
    assert_hr_equal(begin_life(&l, T0, 0), hr);
    assert_non_null(strstr(bgcopy_manager_open_detail(), path));
    if (words && strstr(bgcopy_manager_open_detail(), words) == NULL)
        fail_msg("detail \"%s\" lacks \"%s\"", bgcopy_manager_open_detail(), words);
    after = slurp(path, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(before, after, n1);
    free(before);
    free(after);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void make_store_with_a_job(void)
{
    life l;
    bgcopy_guid id;
    bgcopy_job *job;
    open_life(&l, T0, 0);
    job = new_job(&l, "victim", 1, &id);
    bgcopy_job_release(job);
    end_life(&l);
}

static void test_garbage_file_is_refused(void **s)
{
    char path[700], junk[8192];
    size_t i;
    (void)s;
    assert_int_equal(bgcopy__fs_mkdir_private(state), BGCOPY_S_OK);
    for (i = 0; i < sizeof(junk); i++)
        junk[i] = (char)(i * 7 + 3);
    db_path(path, sizeof(path));
    write_file(path, junk, sizeof(junk));
    expect_refused(BGCOPY_E_DATABASE_CORRUPT, "not a bgcopy database");
}

static void test_truncated_database_is_refused(void **s)
{
    char path[700];
    size_t n;
    char *data;
    (void)s;
    make_store_with_a_job();
    db_exec("PRAGMA wal_checkpoint(TRUNCATE)");
    db_path(path, sizeof(path));
    data = slurp(path, &n);
    assert_true(n > 4 * 4096);
    write_file(path, data, n / 2 + 100); /* cut in the middle of a page */
    free(data);
    expect_refused(BGCOPY_E_DATABASE_CORRUPT, NULL);
}

static void test_foreign_database_is_refused(void **s)
{
    (void)s;
    assert_int_equal(bgcopy__fs_mkdir_private(state), BGCOPY_S_OK);
    db_exec("CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup')");
    expect_refused(BGCOPY_E_WIN32_INVALID_DATA, "another program");
}

static void test_newer_schema_is_refused(void **s)
{
    (void)s;
    make_store_with_a_job();
    db_exec("PRAGMA user_version = 99");
    expect_refused(BGCOPY_E_WIN32_REVISION_MISMATCH, "schema version 99 is newer");
}

static void test_damaged_record_is_refused(void **s)
{
    (void)s;
    make_store_with_a_job();
    db_exec("UPDATE jobs SET state = 42");
    expect_refused(BGCOPY_E_DATABASE_CORRUPT, "damaged");
    db_exec("UPDATE jobs SET state = 1; UPDATE files SET ranges = x'0102'");
    expect_refused(BGCOPY_E_DATABASE_CORRUPT, "damaged");
    /* A temp name the library never makes (another directory, another shape) is never
     * truncated, renamed or deleted on the record's word. */
    db_exec("UPDATE files SET ranges = NULL, temp = '/etc/BIT0000.tmp', temp_exists = 1");
    expect_refused(BGCOPY_E_DATABASE_CORRUPT, "damaged");
    db_exec("UPDATE files SET temp = substr(local, 1, length(local) - 5) || 'notes.txt'");
    expect_refused(BGCOPY_E_DATABASE_CORRUPT, "damaged");
}

/* ---- the first schema --------------------------------------------------------------------- */

/* tests/fixtures/store-v1.sql is a database written by schema version 1, kept as SQL text.
 * Every later version must open it (migrating it) with its jobs intact. */
static void test_schema_v1_fixture_opens(void **s)
{
    life l;
    bgcopy_job_enum *e;
    bgcopy_job *job = NULL;
    uint32_t count, got;
    char *sql, *name, path[700];
    size_t n;
    bgcopy_job_progress p;
    (void)s;

    assert_int_equal(bgcopy__fs_mkdir_private(state), BGCOPY_S_OK);
    sql = slurp(BGCOPY_SOURCE_DIR "/tests/fixtures/store-v1.sql", &n);
    sql[n] = '\0';
    db_exec(sql);
    free(sql);
    db_path(path, sizeof(path));
    assert_int_equal(chmod(path, 0600), 0);

    open_life(&l, T0 + 10, 0);
    assert_hr_equal(bgcopy_manager_enum_jobs(l.mgr, 0, &e), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_enum_get_count(e, &count), BGCOPY_S_OK);
    assert_int_equal(count, 2);
    assert_hr_equal(bgcopy_job_enum_next(e, 1, &job, &got), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_get_display_name(job, &name), BGCOPY_S_OK);
    assert_string_equal(name, "fixture suspended");
    bgcopy_free(name);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_SUSPENDED);
    assert_hr_equal(bgcopy_job_get_progress(job, &p), BGCOPY_S_OK);
    assert_int_equal(p.files_total, 2);
    bgcopy_job_release(job);
    assert_hr_equal(bgcopy_job_enum_next(e, 1, &job, &got), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_job_get_display_name(job, &name), BGCOPY_S_OK);
    assert_string_equal(name, "fixture error");
    bgcopy_free(name);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_ERROR);
    {
        bgcopy_error *err;
        bgcopy_error_context ctx;
        bgcopy_hr code;
        assert_hr_equal(bgcopy_job_get_error(job, &err), BGCOPY_S_OK);
        assert_hr_equal(bgcopy_error_get_error(err, &ctx, &code), BGCOPY_S_OK);
        assert_hr_equal(code, BGCOPY_E_HTTP_ERROR(404));
        assert_int_equal(ctx, BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
        bgcopy_error_release(err);
    }
    bgcopy_job_release(job);
    bgcopy_job_enum_release(e);
    end_life(&l);
}

/* ---- where the store lives ------------------------------------------------------------------- */

static int exists(const char *dir, const char *name)
{
    char p[800];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

static void open_close_real(const char *option)
{
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *m = NULL;
    mo.state_dir = option;
    if (bgcopy_manager_open(&mo, &m) != BGCOPY_S_OK)
        fail_msg("open: %s", bgcopy_manager_open_detail());
    bgcopy_manager_close(m);
}

static void test_default_directory(void **s)
{
    char a[700], b[700], c[700], d[700];
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *m = NULL;
    (void)s;

    snprintf(a, sizeof(a), "%s/env-dir", state);
    snprintf(b, sizeof(b), "%s/xdg", state);
    snprintf(c, sizeof(c), "%s/home", state);
    snprintf(d, sizeof(d), "%s/option", state);

    setenv("BGCOPY_STATE_DIR", a, 1);
    open_close_real(NULL);
    assert_true(exists(a, "bgcopy.db"));
    open_close_real(d); /* the option wins over the variable */
    assert_true(exists(d, "bgcopy.db"));

    unsetenv("BGCOPY_STATE_DIR");
    setenv("XDG_STATE_HOME", b, 1);
    open_close_real(NULL);
    assert_true(exists(b, "bgcopy/bgcopy.db"));

    unsetenv("XDG_STATE_HOME");
    setenv("HOME", c, 1);
    open_close_real(NULL);
    assert_true(exists(c, ".local/state/bgcopy/bgcopy.db"));

    /* An empty option is a mistake, not "the default". */
    mo.state_dir = "";
    assert_hr_equal(bgcopy_manager_open(&mo, &m), BGCOPY_E_INVALIDARG);
    /* A state directory that cannot be created: the detail names it. */
    mo.state_dir = "/proc/bgcopy-cannot-be-here";
    assert_true(BGCOPY_FAILED(bgcopy_manager_open(&mo, &m)));
    assert_non_null(strstr(bgcopy_manager_open_detail(), "/proc/bgcopy-cannot-be-here"));

    if (old_home)
        setenv("HOME", old_home, 1);
    free(old_home);
    setenv("BGCOPY_STATE_DIR", BGCOPY_STATE_MEMORY, 1);
}

/* Real mode: a job created by one manager is there for the next one of the same directory
 * after the engine was shut down, and jobs of a ":memory:" engine are not. */
static void test_real_engine_reloads(void **s)
{
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *m = NULL;
    bgcopy_job *job;
    bgcopy_guid id;
    char local[700];
    (void)s;

    mo.state_dir = state;
    assert_hr_equal(bgcopy_manager_open(&mo, &m), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_manager_create_job(m, "real", BGCOPY_JOB_TYPE_DOWNLOAD, &id, &job),
                    BGCOPY_S_OK);
    path_in(local, sizeof(local), dl, "r.bin");
    assert_hr_equal(bgcopy_job_add_file(job, "http://127.0.0.1:9/r.bin", local), BGCOPY_S_OK);
    bgcopy_job_release(job);
    bgcopy_manager_close(m);

    assert_hr_equal(bgcopy_manager_open(&mo, &m), BGCOPY_S_OK);
    assert_hr_equal(bgcopy_manager_get_job(m, &id, &job), BGCOPY_S_OK);
    assert_int_equal(state_of(job), BGCOPY_JOB_STATE_SUSPENDED);
    assert_hr_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    bgcopy_job_release(job);
    bgcopy_manager_close(m);
    assert_int_equal(db_count("SELECT count(*) FROM jobs"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_properties_survive, setup),
        cmocka_unit_test_setup(test_each_state_survives, setup),
        cmocka_unit_test_setup(test_inactivity_counts_closed_time, setup),
        cmocka_unit_test_setup(test_no_progress_counts_closed_time, setup),
        cmocka_unit_test_setup(test_owed_notification_survives, setup),
        cmocka_unit_test_setup(test_owed_job_error_survives, setup),
        cmocka_unit_test_setup(test_crash_after_partial_write_keeps_every_file, setup),
        cmocka_unit_test_setup(test_extra_bytes_are_cut, setup),
        cmocka_unit_test_setup(test_missing_temp_restarts_file, setup),
        cmocka_unit_test_setup(test_short_temp_restarts_file, setup),
        cmocka_unit_test_setup(test_no_orphan_after_crash_before_checkpoint, setup),
        cmocka_unit_test_setup(test_interrupted_complete_rolls_forward, setup),
        cmocka_unit_test_setup(test_second_engine_is_refused, setup),
        cmocka_unit_test_setup(test_garbage_file_is_refused, setup),
        cmocka_unit_test_setup(test_truncated_database_is_refused, setup),
        cmocka_unit_test_setup(test_foreign_database_is_refused, setup),
        cmocka_unit_test_setup(test_newer_schema_is_refused, setup),
        cmocka_unit_test_setup(test_damaged_record_is_refused, setup),
        cmocka_unit_test_setup(test_schema_v1_fixture_opens, setup),
        cmocka_unit_test_setup(test_default_directory, setup),
        cmocka_unit_test_setup(test_real_engine_reloads, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
