/* tests/unit/test_statemachine.c - pins the job state-transition table of core/statemachine.c.
 *
 * The expected table below is written independently from reference §1.4 (and the state
 * classes of §1.2): every (event, state) cell, including the cells where BITS has no
 * transition (-1). Cells the reference does not state word for word are explained where they
 * are written. The helpers bgcopy__job_state_is_final / _is_active and the event names are
 * checked too, as is the handling of out-of-range inputs.
 *
 * The method-legality table (reference §1.5, bgcopy__job_call_check) is pinned the same way: every
 * (call, state) cell against rules written here from the reference, then every cell through the
 * public API, on a job brought into that state on the simulation harness, so the engine's calls
 * are shown to consult the table.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core-int.h"

/* Short names for the states, as in the reference's tables. */
enum {
    Q = BGCOPY_JOB_STATE_QUEUED,
    C = BGCOPY_JOB_STATE_CONNECTING,
    T = BGCOPY_JOB_STATE_TRANSFERRING,
    S = BGCOPY_JOB_STATE_SUSPENDED,
    E = BGCOPY_JOB_STATE_ERROR,
    TE = BGCOPY_JOB_STATE_TRANSIENT_ERROR,
    TD = BGCOPY_JOB_STATE_TRANSFERRED,
    AK = BGCOPY_JOB_STATE_ACKNOWLEDGED,
    CA = BGCOPY_JOB_STATE_CANCELLED,
    NONE = -1
};

/* One row per event, in the order of bgcopy__job_event; columns are states 0..8. */
struct row {
    bgcopy__job_event ev;
    const char *name; /* expected bgcopy__job_event_name */
    int to[BGCOPY_JOB_STATE_COUNT];
};

/* clang-format off */
static const struct row expected[BGCOPY__EV_COUNT] = {
    /*                                   QUEUED CONN  TRANSF SUSP ERROR TRANS_E TRANSFD ACK   CANCEL */
    /* Resume: SUSPENDED/ERROR/TRANSIENT_ERROR -> QUEUED; QUEUED/CONNECTING/TRANSFERRING
     * unchanged; TRANSFERRED (files added) -> QUEUED; final states: BG_E_INVALID_STATE. */
    {BGCOPY__EV_RESUME,    "RESUME",    {Q,    C,    T,     Q,   Q,    Q,      Q,      NONE, NONE}},
    /* Suspend: any non-final -> SUSPENDED (already suspended stays). */
    {BGCOPY__EV_SUSPEND,   "SUSPEND",   {S,    S,    S,     S,   S,    S,      S,      NONE, NONE}},
    /* Cancel (and the inactivity scavenger): any non-final -> CANCELLED. */
    {BGCOPY__EV_CANCEL,    "CANCEL",    {CA,   CA,   CA,    CA,  CA,   CA,     CA,     NONE, NONE}},
    /* Complete (download jobs): any non-final -> ACKNOWLEDGED. */
    {BGCOPY__EV_COMPLETE,  "COMPLETE",  {AK,   AK,   AK,    AK,  AK,   AK,     AK,     NONE, NONE}},
    /* The scheduler picks a QUEUED job. */
    {BGCOPY__EV_START,     "START",     {C,    NONE, NONE,  NONE, NONE, NONE,  NONE,   NONE, NONE}},
    /* CONNECTING, connection OK -> TRANSFERRING. */
    {BGCOPY__EV_CONNECTED, "CONNECTED", {NONE, T,    NONE,  NONE, NONE, NONE,  NONE,   NONE, NONE}},
    /* Recoverable error in a running job (QUEUED: network lost). A TRANSIENT_ERROR job
     * stays where it is: on a network loss it keeps its own error (reconnect requeues every
     * TRANSIENT_ERROR job "regardless of error code"), so there is no TE -> TE transition. */
    {BGCOPY__EV_TRANSIENT, "TRANSIENT", {TE,   TE,   TE,    NONE, NONE, NONE,  NONE,   NONE, NONE}},
    /* Fatal error in any action state (QUEUED, CONNECTING, TRANSFERRING, TRANSIENT_ERROR:
     * NoProgressTimeout expiry, retry delay > NoProgressTimeout). */
    {BGCOPY__EV_FATAL,     "FATAL",     {E,    E,    E,     NONE, NONE, E,     NONE,   NONE, NONE}},
    /* A running job goes back to QUEUED: end of its time slice, preemption by a higher
     * priority (§2.1: strict priority preemption of the active job), owner logoff. */
    {BGCOPY__EV_PREEMPT,   "PREEMPT",   {NONE, Q,    Q,     NONE, NONE, NONE,  NONE,   NONE, NONE}},
    /* Last byte of the last file: only from TRANSFERRING (a CONNECTING job first succeeds
     * into TRANSFERRING). */
    {BGCOPY__EV_ALL_DONE,  "ALL_DONE",  {NONE, NONE, TD,    NONE, NONE, NONE,  NONE,   NONE, NONE}},
    /* MinimumRetryDelay elapsed in TRANSIENT_ERROR -> QUEUED. */
    {BGCOPY__EV_RETRY,     "RETRY",     {NONE, NONE, NONE,  NONE, NONE, Q,     NONE,   NONE, NONE}},
};
/* clang-format on */

static const char *const state_names[BGCOPY_JOB_STATE_COUNT] = {
    "QUEUED",          "CONNECTING",  "TRANSFERRING", "SUSPENDED", "ERROR",
    "TRANSIENT_ERROR", "TRANSFERRED", "ACKNOWLEDGED", "CANCELLED"};

static void test_table_rows_cover_every_event(void **state)
{
    int i;

    (void)state;
    assert_int_equal(BGCOPY__EV_COUNT, 11);
    assert_int_equal(BGCOPY_JOB_STATE_COUNT, 9);
    for (i = 0; i < BGCOPY__EV_COUNT; i++) {
        assert_int_equal(expected[i].ev, i);
    }
}

static void test_every_cell(void **state)
{
    int i, s, mismatches = 0;

    (void)state;
    for (i = 0; i < BGCOPY__EV_COUNT; i++) {
        for (s = 0; s < BGCOPY_JOB_STATE_COUNT; s++) {
            int got = bgcopy__job_next_state((bgcopy_job_state)s, expected[i].ev);

            if (got != expected[i].to[s]) {
                print_error("%s --%s--> %d, expected %d\n", state_names[s], expected[i].name, got,
                            expected[i].to[s]);
                mismatches++;
            }
        }
    }
    assert_int_equal(mismatches, 0);
}

static void test_final_states_accept_no_event(void **state)
{
    static const bgcopy_job_state finals[] = {BGCOPY_JOB_STATE_ACKNOWLEDGED,
                                              BGCOPY_JOB_STATE_CANCELLED};
    size_t f;
    int ev;

    (void)state;
    for (f = 0; f < sizeof(finals) / sizeof(finals[0]); f++) {
        for (ev = 0; ev < BGCOPY__EV_COUNT; ev++) {
            assert_int_equal(bgcopy__job_next_state(finals[f], (bgcopy__job_event)ev), -1);
        }
    }
}

/* Every non-final state can be left by Cancel and by Suspend (or stays SUSPENDED), so no
 * state is a dead end apart from the two final ones. */
static void test_non_final_states_can_be_cancelled(void **state)
{
    int s;

    (void)state;
    for (s = 0; s < BGCOPY_JOB_STATE_COUNT; s++) {
        int final = s == AK || s == CA;

        assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)s, BGCOPY__EV_CANCEL),
                         final ? -1 : CA);
        assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)s, BGCOPY__EV_SUSPEND),
                         final ? -1 : S);
    }
}

static void test_state_is_final(void **state)
{
    static const int want[BGCOPY_JOB_STATE_COUNT] = {0, 0, 0, 0, 0, 0, 0, 1, 1};
    int s;

    (void)state;
    for (s = 0; s < BGCOPY_JOB_STATE_COUNT; s++) {
        assert_int_equal(bgcopy__job_state_is_final((bgcopy_job_state)s) != 0, want[s]);
    }
    assert_int_equal(bgcopy__job_state_is_final(BGCOPY_JOB_STATE_ACKNOWLEDGED), 1);
    assert_int_equal(bgcopy__job_state_is_final(BGCOPY_JOB_STATE_CANCELLED), 1);
    assert_int_equal(bgcopy__job_state_is_final((bgcopy_job_state)9), 0);
    assert_int_equal(bgcopy__job_state_is_final((bgcopy_job_state)-1), 0);
}

static void test_state_is_active(void **state)
{
    static const int want[BGCOPY_JOB_STATE_COUNT] = {0, 1, 1, 0, 0, 0, 0, 0, 0};
    int s;

    (void)state;
    for (s = 0; s < BGCOPY_JOB_STATE_COUNT; s++) {
        assert_int_equal(bgcopy__job_state_is_active((bgcopy_job_state)s) != 0, want[s]);
    }
    assert_int_equal(bgcopy__job_state_is_active(BGCOPY_JOB_STATE_CONNECTING), 1);
    assert_int_equal(bgcopy__job_state_is_active(BGCOPY_JOB_STATE_TRANSFERRING), 1);
    assert_int_equal(bgcopy__job_state_is_active((bgcopy_job_state)9), 0);
    assert_int_equal(bgcopy__job_state_is_active((bgcopy_job_state)-1), 0);
}

/* The state an event leads to is active exactly for START and CONNECTED (and Resume of an
 * already active job, which leaves it unchanged). */
static void test_active_targets(void **state)
{
    int i, s;

    (void)state;
    for (i = 0; i < BGCOPY__EV_COUNT; i++) {
        for (s = 0; s < BGCOPY_JOB_STATE_COUNT; s++) {
            int to = bgcopy__job_next_state((bgcopy_job_state)s, (bgcopy__job_event)i);

            if (to >= 0 && bgcopy__job_state_is_active((bgcopy_job_state)to)) {
                int ok = i == BGCOPY__EV_START || i == BGCOPY__EV_CONNECTED ||
                         (i == BGCOPY__EV_RESUME && to == s);

                if (!ok) {
                    fail_msg("%s --%s--> %s enters an active state", state_names[s],
                             expected[i].name, state_names[to]);
                }
            }
        }
    }
}

static void test_event_names(void **state)
{
    int i;

    (void)state;
    for (i = 0; i < BGCOPY__EV_COUNT; i++) {
        const char *name = bgcopy__job_event_name((bgcopy__job_event)i);

        assert_non_null(name);
        assert_string_equal(name, expected[i].name);
    }
    assert_null(bgcopy__job_event_name(BGCOPY__EV_COUNT));
    assert_null(bgcopy__job_event_name((bgcopy__job_event)(BGCOPY__EV_COUNT + 1)));
    assert_null(bgcopy__job_event_name((bgcopy__job_event)-1));
    assert_null(bgcopy__job_event_name((bgcopy__job_event)1000));
}

static void test_out_of_range_inputs(void **state)
{
    int i, s;

    (void)state;
    /* Unknown states, every event. */
    for (i = 0; i < BGCOPY__EV_COUNT; i++) {
        assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)-1, (bgcopy__job_event)i), -1);
        assert_int_equal(
            bgcopy__job_next_state((bgcopy_job_state)BGCOPY_JOB_STATE_COUNT, (bgcopy__job_event)i),
            -1);
        assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)100, (bgcopy__job_event)i), -1);
    }
    /* Unknown events, every state. */
    for (s = 0; s < BGCOPY_JOB_STATE_COUNT; s++) {
        assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)s, BGCOPY__EV_COUNT), -1);
        assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)s, (bgcopy__job_event)-1), -1);
        assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)s, (bgcopy__job_event)255), -1);
    }
    assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)-1, (bgcopy__job_event)-1), -1);
}

/* ---- method legality by state (reference §1.5) ------------------------------------------------
 */

static const char *const op_names[BGCOPY__CALL_COUNT] = {
    "ADD_FILES", "REPLACE_REMOTE_PREFIX", "RESUME",       "SUSPEND",       "CANCEL",
    "COMPLETE",  "COMPLETE_UPLOAD",       "SET_PROPERTY", "SET_CALLBACKS", "SET_REMOTE_NAME"};

/* The rule of §1.5: every call listed fails with BG_E_INVALID_STATE (0x80200002) in CANCELLED and
 * ACKNOWLEDGED; Complete of an upload or upload-reply job only in TRANSFERRED; AddFile is allowed
 * in TRANSFERRED (life-cycle page). */
static bgcopy_hr legal(int op, int s)
{
    if (s == AK || s == CA)
        return (bgcopy_hr)0x80200002u;
    if (op == BGCOPY__CALL_COMPLETE_UPLOAD && s != TD)
        return (bgcopy_hr)0x80200002u;
    return BGCOPY_S_OK;
}

static void test_legality_every_cell(void **state)
{
    int op, s, mismatches = 0;

    (void)state;
    assert_int_equal(BGCOPY__CALL_COUNT, 10);
    for (op = 0; op < BGCOPY__CALL_COUNT; op++) {
        for (s = 0; s < BGCOPY_JOB_STATE_COUNT; s++) {
            bgcopy_hr got = bgcopy__job_call_check((bgcopy__job_call)op, (bgcopy_job_state)s);
            if ((uint32_t)got != (uint32_t)legal(op, s)) {
                print_error("%s in %s: 0x%08X\n", op_names[op], state_names[s], (unsigned)got);
                mismatches++;
            }
        }
    }
    assert_int_equal(mismatches, 0);
    /* The calls that are events are legal exactly where the transition table has a cell. */
    for (s = 0; s < BGCOPY_JOB_STATE_COUNT; s++) {
        static const struct {
            bgcopy__job_call op;
            bgcopy__job_event ev;
        } pairs[] = {{BGCOPY__CALL_RESUME, BGCOPY__EV_RESUME},
                     {BGCOPY__CALL_SUSPEND, BGCOPY__EV_SUSPEND},
                     {BGCOPY__CALL_CANCEL, BGCOPY__EV_CANCEL},
                     {BGCOPY__CALL_COMPLETE, BGCOPY__EV_COMPLETE}};
        size_t i;
        for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
            assert_int_equal(
                BGCOPY_SUCCEEDED(bgcopy__job_call_check(pairs[i].op, (bgcopy_job_state)s)),
                bgcopy__job_next_state((bgcopy_job_state)s, pairs[i].ev) >= 0);
        }
    }
    /* Out of range. */
    assert_int_equal((uint32_t)bgcopy__job_call_check(BGCOPY__CALL_COUNT, BGCOPY_JOB_STATE_QUEUED),
                     (uint32_t)BGCOPY_E_UNEXPECTED);
    assert_int_equal(
        (uint32_t)bgcopy__job_call_check((bgcopy__job_call)-1, BGCOPY_JOB_STATE_QUEUED),
        (uint32_t)BGCOPY_E_UNEXPECTED);
    assert_int_equal((uint32_t)bgcopy__job_call_check(BGCOPY__CALL_RESUME, (bgcopy_job_state)9),
                     (uint32_t)BGCOPY_E_UNEXPECTED);
    assert_int_equal((uint32_t)bgcopy__job_call_check(BGCOPY__CALL_RESUME, (bgcopy_job_state)-1),
                     (uint32_t)BGCOPY_E_UNEXPECTED);
}

#define URL_OK   "http://legal.test/ok.bin"   /* 1,000 bytes at once */
#define URL_SLOW "http://legal.test/slow.bin" /* 100,000 bytes at 1,000 B/s */
#define URL_LATE "http://legal.test/late.bin" /* answers after 100 s */
#define URL_BUSY "http://legal.test/busy.bin" /* 503: transient */
#define URL_GONE "http://legal.test/gone.bin" /* 404: fatal */

struct walk {
    char dir[PATH_MAX - 64];
    bgcopy_sim *sim;
    bgcopy_manager *mgr;
    unsigned serial;
};

static void walk_resource(struct walk *w, const char *url, uint64_t len, double bw, double latency)
{
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    r.url = url;
    r.length = len;
    r.bandwidth = bw;
    r.latency = latency;
    assert_int_equal(bgcopy_sim_add_resource(w->sim, &r), BGCOPY_S_OK);
}

static void walk_open(struct walk *w)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_sim_options so = BGCOPY_SIM_OPTIONS_INIT;
    bgcopy_sim_fault f = BGCOPY_SIM_FAULT_INIT;

    so.chunk_size = 1000;
    assert_int_equal(bgcopy_sim_create(&so, &w->sim), BGCOPY_S_OK);
    o.sim = w->sim;
    o.user = "alice";
    assert_int_equal(bgcopy_manager_open(&o, &w->mgr), BGCOPY_S_OK);
    walk_resource(w, URL_OK, 1000, 0, 0);
    walk_resource(w, URL_SLOW, 100000, 1000.0, 0);
    walk_resource(w, URL_LATE, 1000, 0, 100.0);
    walk_resource(w, URL_BUSY, 1000, 0, 0);
    f.kind = BGCOPY_SIM_FAULT_HTTP_STATUS;
    f.url = URL_BUSY;
    f.status = 503;
    assert_int_equal(bgcopy_sim_add_fault(w->sim, &f), BGCOPY_S_OK);
}

static void walk_close(struct walk *w)
{
    bgcopy_manager_close(w->mgr);
    assert_int_equal(bgcopy_sim_destroy(w->sim), BGCOPY_S_OK); /* nothing leaked */
    w->sim = NULL;
    w->mgr = NULL;
}

/* Removes dir and the files in it (the walk makes no subdirectories). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX + 256];

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
            assert_int_equal(unlink(path), 0);
        }
    }
    closedir(d);
    assert_int_equal(rmdir(dir), 0);
}

/* A fresh local name in the walk's directory. */
static void walk_local(struct walk *w, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/f%u.bin", w->dir, w->serial++);
    assert_true(n > 0 && (size_t)n < size);
}

/* A FOREGROUND download job (so that jobs do not wait for one another) brought into state s. */
static bgcopy_job *job_in_state(struct walk *w, int s)
{
    static const char *const url_for[BGCOPY_JOB_STATE_COUNT] = {
        URL_OK, URL_LATE, URL_SLOW, URL_OK, URL_GONE, URL_BUSY, URL_OK, URL_OK, URL_OK};
    char local[PATH_MAX];
    bgcopy_job *job = NULL;
    bgcopy_job_state got = (bgcopy_job_state)-1;

    assert_int_equal(
        bgcopy_manager_create_job(w->mgr, "walk", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job),
        BGCOPY_S_OK);
    assert_int_equal(bgcopy_job_set_priority(job, BGCOPY_JOB_PRIORITY_FOREGROUND), BGCOPY_S_OK);
    walk_local(w, local, sizeof(local));
    assert_int_equal(bgcopy_job_add_file(job, url_for[s], local), BGCOPY_S_OK);
    if (s == CA) {
        assert_int_equal(bgcopy_job_cancel(job), BGCOPY_S_OK);
    } else if (s != S) {
        assert_int_equal(bgcopy_job_resume(job), BGCOPY_S_OK);
        if (s != Q)
            assert_int_equal(bgcopy_sim_advance(w->sim, 1.0), BGCOPY_S_OK);
        if (s == AK)
            assert_int_equal(bgcopy_job_complete(job), BGCOPY_S_OK);
    }
    assert_int_equal(bgcopy_job_get_state(job, &got), BGCOPY_S_OK);
    assert_int_equal(got, s);
    return job;
}

/* Calls op on job through the public API. */
static bgcopy_hr call_op(struct walk *w, int op, bgcopy_job *job)
{
    char local[PATH_MAX];
    bgcopy_file_enum *fe = NULL;
    bgcopy_file *file = NULL;
    bgcopy_hr hr;

    switch (op) {
    case BGCOPY__CALL_ADD_FILES:
        walk_local(w, local, sizeof(local));
        return bgcopy_job_add_file(job, URL_OK, local);
    case BGCOPY__CALL_REPLACE_REMOTE_PREFIX:
        return bgcopy_job_replace_remote_prefix(job, "http://legal.test/", "http://legal.test/");
    case BGCOPY__CALL_RESUME:
        return bgcopy_job_resume(job);
    case BGCOPY__CALL_SUSPEND:
        return bgcopy_job_suspend(job);
    case BGCOPY__CALL_CANCEL:
        return bgcopy_job_cancel(job);
    case BGCOPY__CALL_COMPLETE:
        return bgcopy_job_complete(job);
    case BGCOPY__CALL_SET_PROPERTY:
        return bgcopy_job_set_display_name(job, "renamed");
    case BGCOPY__CALL_SET_CALLBACKS:
        return bgcopy_job_set_notify_callbacks(job, NULL, NULL);
    case BGCOPY__CALL_SET_REMOTE_NAME:
        assert_int_equal(bgcopy_job_enum_files(job, &fe), BGCOPY_S_OK);
        assert_int_equal(bgcopy_file_enum_next(fe, 1, &file, NULL), BGCOPY_S_OK);
        bgcopy_file_enum_release(fe);
        hr = bgcopy_file_set_remote_name(file, URL_OK);
        bgcopy_file_release(file);
        return hr;
    default:
        fail_msg("no call for %s", op_names[op]);
        return BGCOPY_E_UNEXPECTED;
    }
}

/* Every call in every state through the API: a success code (S_OK, or BG_S_PARTIAL_COMPLETE from
 * Complete) where the table allows it, its HRESULT where it does not. Complete of an upload job
 * is walked in the states an upload job reaches in the emulation (SUSPENDED, CANCELLED). */
static void test_legality_through_api(void **state)
{
    struct walk w;
    char cwd[PATH_MAX - 128];
    int op, s, mismatches = 0;
    bgcopy_job *up = NULL;

    (void)state;
    memset(&w, 0, sizeof(w));
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(w.dir, sizeof(w.dir), "%s/legality.XXXXXX", cwd);
    assert_non_null(mkdtemp(w.dir));
    for (op = 0; op < BGCOPY__CALL_COUNT; op++) {
        if (op == BGCOPY__CALL_COMPLETE_UPLOAD)
            continue;
        for (s = 0; s < BGCOPY_JOB_STATE_COUNT; s++) {
            bgcopy_job *job;
            bgcopy_hr got, want = bgcopy__job_call_check((bgcopy__job_call)op, (bgcopy_job_state)s);
            walk_open(&w);
            job = job_in_state(&w, s);
            got = call_op(&w, op, job);
            if (BGCOPY_SUCCEEDED(want) ? BGCOPY_FAILED(got) : got != want) {
                print_error("%s in %s: 0x%08X, table 0x%08X\n", op_names[op], state_names[s],
                            (unsigned)got, (unsigned)want);
                mismatches++;
            }
            (void)bgcopy_job_cancel(job);
            bgcopy_job_release(job);
            walk_close(&w);
        }
    }
    assert_int_equal(mismatches, 0);

    walk_open(&w);
    assert_int_equal(bgcopy_manager_create_job(w.mgr, "up", BGCOPY_JOB_TYPE_UPLOAD, NULL, &up),
                     BGCOPY_S_OK);
    assert_int_equal(
        (uint32_t)bgcopy_job_complete(up),
        (uint32_t)bgcopy__job_call_check(BGCOPY__CALL_COMPLETE_UPLOAD, (bgcopy_job_state)S));
    assert_int_equal((uint32_t)bgcopy_job_complete(up), 0x80200002u);
    assert_int_equal(bgcopy_job_cancel(up), BGCOPY_S_OK);
    assert_int_equal(
        (uint32_t)bgcopy_job_complete(up),
        (uint32_t)bgcopy__job_call_check(BGCOPY__CALL_COMPLETE_UPLOAD, (bgcopy_job_state)CA));
    bgcopy_job_release(up);
    walk_close(&w);
    remove_dir(w.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_rows_cover_every_event),
        cmocka_unit_test(test_every_cell),
        cmocka_unit_test(test_final_states_accept_no_event),
        cmocka_unit_test(test_non_final_states_can_be_cancelled),
        cmocka_unit_test(test_state_is_final),
        cmocka_unit_test(test_state_is_active),
        cmocka_unit_test(test_active_targets),
        cmocka_unit_test(test_event_names),
        cmocka_unit_test(test_out_of_range_inputs),
        cmocka_unit_test(test_legality_every_cell),
        cmocka_unit_test(test_legality_through_api),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
