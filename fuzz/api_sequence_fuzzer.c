/* fuzz/api_sequence_fuzzer.c - a stateful target: the input bytes drive a sequence of public API
 * calls and simulation events on a fresh simulation, and invariants are checked after every step
 * and inside every notification callback.
 *
 * The scenario: one simulation (64 KiB chunks) with two managers (users "alice" and "bob"), a
 * few scripted resources (a small file, a large slow one, one without Range support, one without
 * Content-Length, one with latency, an empty one, a missing one) plus a real local source file
 * (file:// URL and plain path) and a missing one. Each job gets its own directory holding two
 * files that existed before the job ("keep" and "f3"; f3 is also a destination name). Each byte
 * of input selects an operation and its arguments: create jobs, add files (with and without
 * ranges), resume / suspend / cancel / complete, set priority, notify flags, retry delay,
 * no-progress timeout, maximum download time, Job5 properties, remote names, callbacks (which
 * record every call and may complete, cancel, suspend or resume the job, or stay busy), named
 * handlers, command lines, advance virtual time (sometimes by a raw double), run until idle,
 * add or clear faults, change, remove or re-add resources, take the network down.
 *
 * Invariants (abort() on violation, so libFuzzer reports the input):
 *   - every job's state is one of the 9 BITS states;
 *   - every observed state change is reachable in the reference 1.4 transition table (copied
 *     here independently of core/statemachine.c) through engine events only - START, CONNECTED,
 *     TRANSIENT, FATAL, PREEMPT, ALL_DONE, RETRY, and the inactivity CANCEL once 90 days passed
 *     since the job was created - plus the application event of the call just made on that job
 *     (a SUSPENDED job never starts by itself; CANCELLED and ACKNOWLEDGED are final);
 *   - the HRESULTs job.h promises: BG_E_INVALID_STATE for control calls on a final job;
 *     Suspend -> SUSPENDED, Cancel -> CANCELLED with S_OK, Complete -> ACKNOWLEDGED with S_OK
 *     exactly when every file was transferred (BG_S_PARTIAL_COMPLETE otherwise), Resume of a job
 *     without files -> BG_E_EMPTY, GetError succeeds exactly in ERROR and TRANSIENT_ERROR;
 *   - bytes transferred <= bytes total when the total is known; files transferred <= total;
 *   - once a job is final no BIT*.tmp file remains in its directory, and the files that existed
 *     before the job are never deleted;
 *   - callbacks run only from the simulation's run functions, never inside an API call; never
 *     for a job the test saw ACKNOWLEDGED or CANCELLED; never through callbacks that were
 *     cleared or a handler that was unregistered; JobTransferred only in TRANSFERRED, JobError
 *     only in ERROR; the user pointer is the one registered;
 *   - virtual time never goes backwards; run_until_idle terminates (no runaway scenario);
 *   - descriptors 0-2 stay open on the files they were (the library closes only its own);
 *   - after releasing every object the simulation can be destroyed (no leaked reference);
 *   - determinism: the input is run twice, each time in a fresh simulation and directory, and
 *     the two traces (a hash of every HRESULT, observed state, progress, callback and clock
 *     reading) are identical.
 * A scenario ends early once it has made 100,000 requests and callbacks, or after 1 s of real
 * time (the second run then stops at the same point); long advances run in slices so the
 * budgets are checked in between. That keeps every input fast: a 5-second retry delay against
 * a dead server, or a command line that cannot start, for 90 virtual days is millions of steps.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bgcopy.h"
#include "fuzz-util.h"

#define MAX_JOBS    6
#define MAX_STEPS   80
#define NRES        7 /* scripted http resources */
#define NURLS       10
#define INACTIVITY  (90.0 * 86400.0)
#define CHUNK       (64u * 1024u)
#define SLICE       3600.0 /* first slice of a long advance, seconds */
#define MAX_SLICE   (4 * SLICE)
#define WORK_BUDGET 100000u /* requests + callbacks per run before the scenario ends */
#define WALL_BUDGET 1.0     /* seconds of real time for the first run */

/* ---- the reference 1.4 transition table (independent copy) ------------------------------ */

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
    NS = BGCOPY_JOB_STATE_COUNT
};

/* Events; the first group is the engine's, the second the application's. */
enum {
    EV_START,      /* scheduler picks the job: Q -> C */
    EV_CONNECTED,  /* C -> T */
    EV_TRANSIENT,  /* recoverable failure in an action state -> TE */
    EV_FATAL,      /* fatal failure or timeout in an action state -> E */
    EV_PREEMPT,    /* time slice, priority: C, T -> Q */
    EV_ALL_DONE,   /* T -> TD */
    EV_RETRY,      /* MinimumRetryDelay elapsed: TE -> Q */
    EV_INACTIVITY, /* JobInactivityTimeout: non-final -> CA */
    EV_RESUME,     /* S, E, TE, TD -> Q; Q, C, T unchanged */
    EV_SUSPEND,    /* non-final -> S */
    EV_CANCEL,     /* non-final -> CA */
    EV_COMPLETE,   /* non-final -> AK */
    EV_COUNT
};

#define BIT(ev) (1u << (ev))
#define ENGINE_MASK                                                                            \
    (BIT(EV_START) | BIT(EV_CONNECTED) | BIT(EV_TRANSIENT) | BIT(EV_FATAL) | BIT(EV_PREEMPT) | \
     BIT(EV_ALL_DONE) | BIT(EV_RETRY))

static int is_final(int s)
{
    return s == AK || s == CA;
}

/* The state ev leads to from s, or -1. */
static int next_state(int s, int ev)
{
    switch (ev) {
    case EV_START:
        return s == Q ? C : -1;
    case EV_CONNECTED:
        return s == C ? T : -1;
    case EV_TRANSIENT:
        return s == Q || s == C || s == T ? TE : -1;
    case EV_FATAL:
        return s == Q || s == C || s == T || s == TE ? E : -1;
    case EV_PREEMPT:
        return s == C || s == T ? Q : -1;
    case EV_ALL_DONE:
        return s == T ? TD : -1;
    case EV_RETRY:
        return s == TE ? Q : -1;
    case EV_INACTIVITY:
    case EV_CANCEL:
        return is_final(s) ? -1 : CA;
    case EV_RESUME:
        return s == S || s == E || s == TE || s == TD ? Q : (s == Q || s == C || s == T ? s : -1);
    case EV_SUSPEND:
        return is_final(s) ? -1 : S;
    case EV_COMPLETE:
        return is_final(s) ? -1 : AK;
    default:
        return -1;
    }
}

/* Whether `to` is reachable from `from` through zero or more events of mask. */
static int reachable(int from, int to, unsigned mask)
{
    int seen[NS] = {0}, stack[NS], top = 0, ev;

    seen[from] = 1;
    stack[top++] = from;
    while (top > 0) {
        int s = stack[--top];

        if (s == to) {
            return 1;
        }
        for (ev = 0; ev < EV_COUNT; ev++) {
            int n = (mask & BIT(ev)) ? next_state(s, ev) : -1;

            if (n >= 0 && !seen[n]) {
                seen[n] = 1;
                stack[top++] = n;
            }
        }
    }
    return 0;
}

/* ---- the run ---------------------------------------------------------------------------- */

struct fjob {
    bgcopy_job *job;      /* our reference, NULL once released for good */
    bgcopy_job *handle;   /* identity for callbacks (kept after release, for look-ups) */
    int mgr;              /* 0 alice, 1 bob */
    int upload;           /* an upload job (the emulation cannot run those) */
    int state;            /* last observed */
    int final_seen;       /* observed ACKNOWLEDGED or CANCELLED */
    unsigned allowed;     /* application events since the last observation */
    double created;       /* virtual time of creation */
    uint8_t cb_mode;      /* behaviour of its callbacks */
    int cb_registered;    /* job callbacks currently set */
    int names_handler;    /* set_notify_handler("h") in effect */
    uint32_t files_total; /* last observed */
    uint32_t files_transferred;
    char dir[600];
};

struct run {
    char root[512];
    bgcopy_sim *sim;
    bgcopy_manager *mgr[2];
    struct fjob jobs[MAX_JOBS];
    int njobs;
    char urls[NURLS][700];
    int handler_registered; /* alice's handler "h" */
    uint8_t handler_mode;
    int handler_tag;  /* its user pointer is &handler_tag */
    int in_api;       /* inside a library call made by the test */
    int in_sim;       /* inside bgcopy_sim_advance / run_until_idle */
    double last_now;  /* virtual clock at the last reading */
    uint64_t hash;    /* FNV-1a of the trace */
    int callbacks;    /* callbacks seen (bounds recursion of callback actions) */
    int exhausted;    /* a budget ran out: the scenario ends */
    int replaying;    /* the second run: stops where the first one did */
    long checkpoints; /* budget checks so far */
    double wall_start;
    int std_ok[3]; /* descriptors 0-2 were open at the start, with this identity */
    struct stat std_st[3];
};

/* FZ_VERBOSE=1 in the environment prints the operations, state changes and callbacks. */
static int verbose = -1;

static void trace(struct run *r, uint64_t v)
{
    int i;

    for (i = 0; i < 8; i++) {
        r->hash ^= (v >> (8 * i)) & 0xFF;
        r->hash *= 0x100000001B3ULL;
    }
}

static void check_clock(struct run *r)
{
    double now = bgcopy_sim_now(r->sim);

    FZ_CHECK(now == now);
    FZ_CHECK(now >= r->last_now);
    r->last_now = now;
    trace(r, (uint64_t)llround(now * 1e3));
}

static int exists(const char *dir, const char *name)
{
    char p[800];
    struct stat st;

    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

/* The files that existed before the job are still there; once final, no BIT*.tmp remains. */
static void check_dir(const struct fjob *fj, int final)
{
    DIR *d;
    struct dirent *de;

    FZ_CHECK(exists(fj->dir, "keep"));
    FZ_CHECK(exists(fj->dir, "f3"));
    if (!final) {
        return;
    }
    d = opendir(fj->dir);
    FZ_CHECK(d != NULL);
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        int temp =
            n >= 7 && strncmp(de->d_name, "BIT", 3) == 0 && strcmp(de->d_name + n - 4, ".tmp") == 0;

        if (temp) {
            fprintf(stderr, "final job left %s/%s\n", fj->dir, de->d_name);
        }
        FZ_CHECK(!temp);
    }
    closedir(d);
}

/* Reads job i's state and progress and checks them against the last observation. */
static void observe(struct run *r, int i)
{
    struct fjob *fj = &r->jobs[i];
    bgcopy_job_state s = (bgcopy_job_state)-1;
    bgcopy_job_progress p;
    unsigned mask = ENGINE_MASK | fj->allowed;

    if (fj->job == NULL) {
        return;
    }
    r->in_api++;
    FZ_CHECK(bgcopy_job_get_state(fj->job, &s) == BGCOPY_S_OK);
    FZ_CHECK(bgcopy_job_get_progress(fj->job, &p) == BGCOPY_S_OK);
    r->in_api--;
    FZ_CHECK((int)s >= 0 && (int)s < NS);
    if (bgcopy_sim_now(r->sim) - fj->created >= INACTIVITY) {
        mask |= BIT(EV_INACTIVITY);
    }
    if (!reachable(fj->state, (int)s, mask)) {
        fprintf(stderr, "job %d: %s -> %s not reachable (events 0x%x)\n", i,
                bgcopy_job_state_name((bgcopy_job_state)fj->state), bgcopy_job_state_name(s), mask);
    }
    FZ_CHECK(reachable(fj->state, (int)s, mask));
    FZ_CHECK(!fj->final_seen || (int)s == fj->state);
    if (p.bytes_total != BGCOPY_SIZE_UNKNOWN) {
        FZ_CHECK(p.bytes_transferred <= p.bytes_total);
    }
    FZ_CHECK(p.files_transferred <= p.files_total);
    if (verbose && (int)s != fj->state) {
        fprintf(stderr, "  t=%.3f job %d: %s -> %s\n", bgcopy_sim_now(r->sim), i,
                bgcopy_job_state_name((bgcopy_job_state)fj->state), bgcopy_job_state_name(s));
    }
    fj->state = (int)s;
    fj->allowed = 0;
    fj->files_total = p.files_total;
    fj->files_transferred = p.files_transferred;
    if (is_final(fj->state)) {
        fj->final_seen = 1;
    }
    check_dir(fj, fj->final_seen);
    trace(r, (uint64_t)i << 56 | (uint64_t)s << 48 | (uint64_t)p.files_total << 16 |
                 p.files_transferred);
    trace(r, p.bytes_total);
    trace(r, p.bytes_transferred);
}

/* The library never closes or replaces a descriptor it does not own: 0, 1 and 2 are still the
 * files they were when the run started. */
static void check_std_fds(const struct run *r)
{
    struct stat st;
    int fd;

    for (fd = 0; fd < 3; fd++) {
        if (r->std_ok[fd]) {
            FZ_CHECK(fstat(fd, &st) == 0);
            FZ_CHECK(st.st_dev == r->std_st[fd].st_dev && st.st_ino == r->std_st[fd].st_ino);
        }
    }
}

static void observe_all(struct run *r)
{
    int i;

    check_std_fds(r);
    for (i = 0; i < r->njobs; i++) {
        observe(r, i);
    }
    check_clock(r);
}

/* After a successful Complete: every file that reports completed exists under its local name
 * with all its bytes. */
static void check_completed(struct run *r, struct fjob *fj)
{
    bgcopy_file_enum *e = NULL;
    bgcopy_file *file = NULL;
    uint32_t fetched = 0;

    r->in_api++;
    FZ_CHECK(bgcopy_job_enum_files(fj->job, &e) == BGCOPY_S_OK);
    while (bgcopy_file_enum_next(e, 1, &file, &fetched) == BGCOPY_S_OK && fetched == 1) {
        bgcopy_file_progress fp;
        char *local = NULL;
        struct stat st;

        FZ_CHECK(bgcopy_file_get_progress(file, &fp) == BGCOPY_S_OK);
        FZ_CHECK(bgcopy_file_get_local_name(file, &local) == BGCOPY_S_OK && local != NULL);
        if (fp.completed) {
            FZ_CHECK(stat(local, &st) == 0);
            FZ_CHECK(fp.bytes_total == BGCOPY_SIZE_UNKNOWN ||
                     fp.bytes_transferred == fp.bytes_total);
        }
        bgcopy_free(local);
        bgcopy_file_release(file);
        file = NULL;
    }
    bgcopy_file_enum_release(e);
    r->in_api--;
}

/* ---- application calls that change state ------------------------------------------------ */

enum { OP_RESUME, OP_SUSPEND, OP_CANCEL, OP_COMPLETE };

static void control(struct run *r, int i, int op)
{
    static const int events[] = {EV_RESUME, EV_SUSPEND, EV_CANCEL, EV_COMPLETE};
    struct fjob *fj = &r->jobs[i];
    int was_final, before;
    uint32_t files, done;
    bgcopy_hr hr;

    if (fj->job == NULL) {
        return;
    }
    observe(r, i);
    was_final = fj->final_seen;
    before = fj->state;
    files = fj->files_total;
    done = fj->files_transferred;
    r->in_api++;
    switch (op) {
    case OP_RESUME:
        hr = bgcopy_job_resume(fj->job);
        break;
    case OP_SUSPEND:
        hr = bgcopy_job_suspend(fj->job);
        break;
    case OP_CANCEL:
        hr = bgcopy_job_cancel(fj->job);
        break;
    default:
        hr = bgcopy_job_complete(fj->job);
        break;
    }
    r->in_api--;
    trace(r, (uint64_t)op << 32 | (uint32_t)hr);
    fj->allowed |= BIT(events[op]);
    observe(r, i);
    if (was_final) {
        FZ_CHECK(hr == BGCOPY_E_INVALID_STATE);
        return;
    }
    switch (op) {
    case OP_RESUME:
        if (files == 0) {
            FZ_CHECK(hr == BGCOPY_E_EMPTY && fj->state == before);
        } else if (fj->upload) {
            FZ_CHECK(hr == BGCOPY_E_NOTIMPL && fj->state == before);
        } else {
            FZ_CHECK(hr == BGCOPY_S_OK);
            if (before == S || before == E || before == TE) {
                FZ_CHECK(fj->state == Q);
            }
        }
        break;
    case OP_SUSPEND:
        FZ_CHECK(hr == BGCOPY_S_OK && fj->state == S);
        break;
    case OP_CANCEL:
        FZ_CHECK(hr == BGCOPY_S_OK && fj->state == CA);
        break;
    default:
        if (fj->upload && before != TD) {
            FZ_CHECK(hr == BGCOPY_E_INVALID_STATE && fj->state == before);
        } else if (BGCOPY_SUCCEEDED(hr)) {
            FZ_CHECK(fj->state == AK);
            FZ_CHECK(hr == (done == files ? BGCOPY_S_OK : BGCOPY_S_PARTIAL_COMPLETE));
            check_completed(r, fj);
        } else {
            FZ_CHECK(!is_final(fj->state)); /* a failed rename keeps the job */
        }
        break;
    }
}

/* ---- callbacks -------------------------------------------------------------------------- */

static struct run *current;

enum { CB_TRANSFERRED, CB_ERROR, CB_MODIFICATION, CB_FILE };

/* Checks one callback and runs the action its mode asks for. Returns what it should return. */
static bgcopy_hr callback(bgcopy_job *job, void *user, int kind)
{
    struct run *r = current;
    struct fjob *fj = NULL;
    uint8_t mode;
    int i, via_handler = user == &r->handler_tag;
    bgcopy_hr rc;

    FZ_CHECK(r->in_sim && r->in_api == 0);
    for (i = 0; i < r->njobs; i++) {
        /* Only jobs we still hold: a released job's memory may be reused by a newer one. */
        if (r->jobs[i].job != NULL && r->jobs[i].handle == job) {
            fj = &r->jobs[i];
            break;
        }
    }
    FZ_CHECK(fj != NULL);
    FZ_CHECK(!fj->final_seen);
    FZ_CHECK(fj->job != NULL);
    if (via_handler) {
        FZ_CHECK(r->handler_registered && fj->names_handler && fj->mgr == 0);
        mode = r->handler_mode;
    } else {
        FZ_CHECK(user == fj && fj->cb_registered);
        mode = fj->cb_mode;
    }
    observe(r, i);
    FZ_CHECK(!is_final(fj->state));
    if (kind == CB_TRANSFERRED) {
        FZ_CHECK(fj->state == TD);
    } else if (kind == CB_ERROR) {
        FZ_CHECK(fj->state == E);
    }
    trace(r, 0xCB00u | (unsigned)kind << 4 | (unsigned)i);
    if (verbose) {
        fprintf(stderr, "  t=%.3f callback %d for job %d%s\n", bgcopy_sim_now(r->sim), kind, i,
                via_handler ? " (handler)" : "");
    }
    r->callbacks++;

    switch (mode & 3) {
    case 1:
        rc = BGCOPY_E_FAIL;
        break;
    case 2:
        rc = BGCOPY_S_FALSE;
        break;
    default:
        rc = BGCOPY_S_OK;
        break;
    }
    if (r->callbacks > 200) {
        return rc; /* enough: keep the scenario bounded */
    }
    switch ((mode >> 2) & 7) {
    case 1:
        if (kind == CB_TRANSFERRED) {
            control(r, i, OP_COMPLETE);
        }
        break;
    case 2:
        if (kind != CB_MODIFICATION) {
            control(r, i, OP_CANCEL);
        }
        break;
    case 3:
        control(r, i, OP_SUSPEND);
        break;
    case 4:
        if (kind == CB_ERROR) {
            control(r, i, OP_RESUME);
        }
        break;
    case 5:
        bgcopy_sim_callback_busy(r->sim, 30.0);
        break;
    case 6:
        if (kind == CB_TRANSFERRED) {
            control(r, i, OP_COMPLETE);
        } else if (kind == CB_ERROR) {
            control(r, i, OP_CANCEL);
        }
        break;
    default:
        break;
    }
    return rc;
}

static bgcopy_hr on_transferred(bgcopy_job *job, void *user)
{
    return callback(job, user, CB_TRANSFERRED);
}

static bgcopy_hr on_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    bgcopy_error_context ctx = BGCOPY_ERROR_CONTEXT_NONE;
    bgcopy_hr code = BGCOPY_S_OK;

    FZ_CHECK(err != NULL);
    current->in_api++;
    FZ_CHECK(bgcopy_error_get_error(err, &ctx, &code) == BGCOPY_S_OK);
    current->in_api--;
    FZ_CHECK((int)ctx >= 0 && (int)ctx <= 8 && BGCOPY_FAILED(code));
    trace(current, (uint64_t)ctx << 32 | (uint32_t)code);
    if (verbose) {
        fprintf(stderr, "  JobError context %d code 0x%08x\n", (int)ctx, (unsigned)code);
    }
    return callback(job, user, CB_ERROR);
}

static bgcopy_hr on_modification(bgcopy_job *job, uint32_t reserved, void *user)
{
    return callback(job, user, CB_MODIFICATION);
}

static bgcopy_hr on_file(bgcopy_job *job, bgcopy_file *file, void *user)
{
    bgcopy_file_progress fp;

    FZ_CHECK(file != NULL);
    current->in_api++;
    FZ_CHECK(bgcopy_file_get_progress(file, &fp) == BGCOPY_S_OK);
    current->in_api--;
    if (fp.bytes_total != BGCOPY_SIZE_UNKNOWN) {
        FZ_CHECK(fp.bytes_transferred <= fp.bytes_total);
    }
    return callback(job, user, CB_FILE);
}

/* The callback table for a mode: bit 5 JobTransferred + JobError, bit 6 JobModification,
 * bit 7 FileTransferred (absent members count as returning S_OK). */
static bgcopy_callbacks callbacks_for(uint8_t mode)
{
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;

    if (mode & 0x20) {
        cb.job_transferred = on_transferred;
        cb.job_error = on_error;
    }
    if (mode & 0x40) {
        cb.job_modification = on_modification;
    }
    if (mode & 0x80) {
        cb.file_transferred = on_file;
    }
    return cb;
}

/* ---- scenario set-up ---------------------------------------------------------------------- */

static const char *const res_names[NRES] = {"small",   "big",   "noranges", "nolength",
                                            "latency", "empty", "missing"};

static void add_resource(struct run *r, int k)
{
    bgcopy_sim_resource res = BGCOPY_SIM_RESOURCE_INIT;

    res.url = r->urls[k];
    res.seed = (uint32_t)k + 1;
    switch (k) {
    case 0:
        res.length = 1000;
        break;
    case 1:
        res.length = 300000;
        res.bandwidth = 100000.0;
        break;
    case 2:
        res.length = 5000;
        res.no_ranges = 1;
        break;
    case 3:
        res.length = 2000;
        res.no_content_length = 1;
        break;
    case 4:
        res.length = 20000;
        res.latency = 2.0;
        res.bandwidth = 10000.0;
        break;
    case 5:
        res.length = 0;
        break;
    default:
        return; /* "missing" is never declared: 404 */
    }
    FZ_CHECK(bgcopy_sim_add_resource(r->sim, &res) == BGCOPY_S_OK);
}

static void setup(struct run *r)
{
    bgcopy_sim_options so = BGCOPY_SIM_OPTIONS_INIT;
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
    char p[700];
    int k;

    memset(r, 0, sizeof(*r));
    r->hash = 0xCBF29CE484222325ULL;
    fz_tempdir(r->root, sizeof(r->root), "api");
    snprintf(p, sizeof(p), "%s/src.bin", r->root);
    fz_write_file(p, 3000);
    for (k = 0; k < NRES; k++) {
        snprintf(r->urls[k], sizeof(r->urls[k]), "http://fuzz.test/%s", res_names[k]);
    }
    snprintf(r->urls[NRES], sizeof(r->urls[NRES]), "file://%s/src.bin", r->root);
    snprintf(r->urls[NRES + 1], sizeof(r->urls[NRES + 1]), "%s/src.bin", r->root);
    snprintf(r->urls[NRES + 2], sizeof(r->urls[NRES + 2]), "%s/missing.bin", r->root);

    so.chunk_size = CHUNK;
    FZ_CHECK(bgcopy_sim_create(&so, &r->sim) == BGCOPY_S_OK);
    for (k = 0; k < NRES; k++) {
        add_resource(r, k);
    }
    mo.sim = r->sim;
    mo.user = "alice";
    mo.notify_retry_interval = 30;
    FZ_CHECK(bgcopy_manager_open(&mo, &r->mgr[0]) == BGCOPY_S_OK);
    mo.user = "bob";
    FZ_CHECK(bgcopy_manager_open(&mo, &r->mgr[1]) == BGCOPY_S_OK);
}

static void teardown(struct run *r)
{
    int i;

    for (i = 0; i < r->njobs; i++) {
        bgcopy_job_release(r->jobs[i].job);
    }
    bgcopy_manager_close(r->mgr[0]);
    bgcopy_manager_close(r->mgr[1]);
    FZ_CHECK(bgcopy_sim_destroy(r->sim) == BGCOPY_S_OK);
    fz_rmtree(r->root);
}

/* ---- operations ------------------------------------------------------------------------- */

static int pick_job(struct run *r, fz_reader *rd)
{
    uint8_t b = fz_u8(rd);

    return r->njobs > 0 ? b % r->njobs : -1;
}

static void op_create(struct run *r, fz_reader *rd)
{
    uint8_t b = fz_u8(rd);
    struct fjob *fj;
    char name[16], p[800];
    bgcopy_hr hr;

    if (r->njobs == MAX_JOBS) {
        return;
    }
    fj = &r->jobs[r->njobs];
    memset(fj, 0, sizeof(*fj));
    fj->mgr = b & 1;
    fj->upload = (b & 0x0E) == 0x0E;
    fj->state = S;
    fj->created = bgcopy_sim_now(r->sim);
    snprintf(p, sizeof(p), "%s/j%d", r->root, r->njobs); /* (not straight into r: -Wrestrict) */
    FZ_CHECK(strlen(p) < sizeof(fj->dir));
    memcpy(fj->dir, p, strlen(p) + 1);
    FZ_CHECK(mkdir(fj->dir, 0700) == 0);
    snprintf(p, sizeof(p), "%s/keep", fj->dir);
    fz_write_file(p, 7);
    snprintf(p, sizeof(p), "%s/f3", fj->dir);
    fz_write_file(p, 11);
    snprintf(name, sizeof(name), "j%d", r->njobs);
    r->in_api++;
    hr = bgcopy_manager_create_job(r->mgr[fj->mgr], name,
                                   fj->upload ? BGCOPY_JOB_TYPE_UPLOAD : BGCOPY_JOB_TYPE_DOWNLOAD,
                                   NULL, &fj->job);
    r->in_api--;
    FZ_CHECK(hr == BGCOPY_S_OK && fj->job != NULL);
    fj->handle = fj->job;
    r->njobs++;
    observe(r, r->njobs - 1);
    FZ_CHECK(fj->state == S);
}

static void local_name(const struct fjob *fj, uint8_t b, char *buf, size_t size)
{
    snprintf(buf, size, "%s/f%d", fj->dir, b % 4);
}

static void op_add_file(struct run *r, fz_reader *rd, int with_ranges)
{
    static const bgcopy_file_range table[] = {{0, 100},
                                              {100, 50},
                                              {1000, BGCOPY_LENGTH_TO_EOF},
                                              {50, 10},
                                              {0, BGCOPY_LENGTH_TO_EOF},
                                              {2000, 500},
                                              {999, 1},
                                              {400000, 10},
                                              {0, 0},
                                              {60000, 10000}};
    int i = pick_job(r, rd);
    uint8_t u = fz_u8(rd), l = fz_u8(rd), n = fz_u8(rd);
    bgcopy_file_range ranges[3];
    struct fjob *fj;
    char local[700];
    uint32_t count = 0, k;
    bgcopy_hr hr;

    if (i < 0 || r->jobs[i].job == NULL) {
        return;
    }
    fj = &r->jobs[i];
    local_name(fj, l, local, sizeof(local));
    observe(r, i);
    r->in_api++;
    if (with_ranges) {
        count = 1 + n % 3;
        for (k = 0; k < count; k++) {
            ranges[k] = table[(n / 3 + 7 * k + u) % (sizeof(table) / sizeof(table[0]))];
        }
        hr = bgcopy_job_add_file_with_ranges(fj->job, r->urls[u % NURLS], local, count, ranges);
    } else {
        hr = bgcopy_job_add_file(fj->job, r->urls[u % NURLS], local);
    }
    r->in_api--;
    trace(r, 0xADD0000u | (uint32_t)hr);
    if (fj->final_seen) {
        /* Every name here is valid, so only a malformed range list (checked first, like any
         * argument) may give another error than BG_E_INVALID_STATE. */
        FZ_CHECK(hr == BGCOPY_E_INVALID_STATE ||
                 (with_ranges && (hr == BGCOPY_E_INVALIDARG || hr == BGCOPY_E_INVALID_RANGE ||
                                  hr == BGCOPY_E_OVERLAPPING_RANGES)));
    }
    observe(r, i);
}

static void op_settings(struct run *r, fz_reader *rd, int which)
{
    static const uint32_t delays[] = {0, 5, 10, 60, 600, 3600};
    static const uint32_t timeouts[] = {0, 10, 60, 3600, 1209600, 86400};
    int i = pick_job(r, rd);
    uint8_t b = fz_u8(rd);
    struct fjob *fj;
    bgcopy_job_property_value v;
    bgcopy_hr hr;

    if (i < 0 || r->jobs[i].job == NULL) {
        return;
    }
    fj = &r->jobs[i];
    observe(r, i);
    r->in_api++;
    switch (which) {
    case 0:
        hr = bgcopy_job_set_priority(fj->job, (bgcopy_job_priority)(b % 5));
        break;
    case 1:
        hr = bgcopy_job_set_notify_flags(fj->job, (b & 0x80) ? b : (b & 0x3Fu));
        break;
    case 2:
        hr = bgcopy_job_set_minimum_retry_delay(fj->job, delays[b % 6]);
        break;
    case 3:
        hr = bgcopy_job_set_no_progress_timeout(fj->job, timeouts[b % 6]);
        break;
    case 4:
        hr = bgcopy_job_set_maximum_download_time(fj->job, timeouts[b % 6]);
        break;
    default:
        memset(&v, 0, sizeof(v));
        switch (b & 7) {
        case 0:
            v.enable = (b >> 3) & 1;
            hr = bgcopy_job_set_property(fj->job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, &v);
            break;
        case 1:
            v.enable = (b >> 3) & 1;
            hr = bgcopy_job_set_property(fj->job, BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE, &v);
            break;
        case 2:
            v.uint64 = (uint64_t)(b >> 4) * 700;
            hr = bgcopy_job_set_property(fj->job, BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &v);
            break;
        case 3:
            v.dword = (uint32_t)(b >> 4) * 250;
            hr = bgcopy_job_set_property(fj->job,
                                         BGCOPY_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, &v);
            break;
        default:
            v.dword = (b & 8) ? BGCOPY_COST_STATE_TRANSFER_ALWAYS : BGCOPY_COST_STATE_ROAMING;
            hr = bgcopy_job_set_property(fj->job, BGCOPY_JOB_PROPERTY_ID_COST_FLAGS, &v);
            break;
        }
        break;
    }
    r->in_api--;
    trace(r, (uint64_t)(0x5E70u + (unsigned)which) << 32 | (uint32_t)hr);
    if (fj->final_seen && which <= 4) {
        /* An undefined priority or notify flag is refused as an argument first. */
        int bad_arg = (which == 0 && b % 5 == 4) || (which == 1 && (b & 0x80));

        FZ_CHECK(hr == (bad_arg ? BGCOPY_E_NOTIMPL : BGCOPY_E_INVALID_STATE));
    }
    observe(r, i);
}

static void op_callbacks(struct run *r, fz_reader *rd)
{
    int i = pick_job(r, rd);
    uint8_t mode = fz_u8(rd);
    bgcopy_callbacks cb;
    struct fjob *fj;
    bgcopy_hr hr;

    if (i < 0 || r->jobs[i].job == NULL) {
        return;
    }
    fj = &r->jobs[i];
    observe(r, i);
    cb = callbacks_for(mode);
    r->in_api++;
    hr = bgcopy_job_set_notify_callbacks(fj->job, mode == 0xFF ? NULL : &cb, fj);
    r->in_api--;
    trace(r, 0xCBCB0000u | (uint32_t)hr);
    if (fj->final_seen) {
        FZ_CHECK(hr == BGCOPY_E_INVALID_STATE);
    } else {
        FZ_CHECK(hr == BGCOPY_S_OK);
        fj->cb_registered = mode != 0xFF;
        fj->cb_mode = mode;
    }
    observe(r, i);
}

/* Largest virtual time bgcopy_sim_advance accepts (sim.h), in microseconds. */
#define MAX_VIRTUAL_US 4611686018427387904.0 /* 2^62 */

/* Work done so far: requests the scripted network answered plus callbacks. */
static size_t work(struct run *r)
{
    const bgcopy_sim_request *rq;

    return bgcopy_sim_requests(r->sim, &rq) + (size_t)r->callbacks;
}

static double wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Checkpoint at which the first run of the current input ran out of real time, or -1. */
static long stop_at = -1;

/* A budget check, made before every operation and every slice of a long advance: whether the
 * scenario ends here. It ends once it has done more than WORK_BUDGET work, or (first run)
 * after WALL_BUDGET seconds of real time - weeks of virtual time retrying every 5 s, a failing
 * callback or command line retried for years - so one input stays well under the fuzzer's time
 * limit. The second run ends at the same checkpoint as the first, so the traces compare. */
static int should_stop(struct run *r)
{
    r->checkpoints++;
    if (work(r) > WORK_BUDGET) {
        return 1;
    }
    if (r->replaying) {
        return r->checkpoints == stop_at;
    }
    if (wall_now() - r->wall_start > WALL_BUDGET) {
        stop_at = r->checkpoints;
        return 1;
    }
    return 0;
}

static void run_sim(struct run *r, int idle, double seconds)
{
    double end = (bgcopy_sim_now(r->sim) + seconds) * 1e6, slice = SLICE;
    bgcopy_hr hr;

    /* A long advance goes in slices (advancing a + b is advancing a, then b) with the budget
     * checked in between; a slice in which nothing happened doubles the next one. */
    while (!idle && seconds > slice && end < MAX_VIRTUAL_US - 1e6) {
        size_t before = work(r);

        if (should_stop(r)) {
            r->exhausted = 1;
            return;
        }
        r->in_sim = 1;
        hr = bgcopy_sim_advance(r->sim, slice);
        r->in_sim = 0;
        FZ_CHECK(hr == BGCOPY_S_OK);
        seconds -= slice;
        slice = work(r) == before && slice < MAX_SLICE ? slice * 2 : SLICE;
    }
    r->in_sim = 1;
    hr = idle ? bgcopy_sim_run_until_idle(r->sim) : bgcopy_sim_advance(r->sim, seconds);
    r->in_sim = 0;
    trace(r, 0x5100000000ULL | (uint32_t)hr);
    if (idle) {
        FZ_CHECK(hr == BGCOPY_S_OK); /* E_UNEXPECTED would be a runaway scenario */
    } else if (seconds < 0 || seconds != seconds || end > MAX_VIRTUAL_US + 1e6) {
        FZ_CHECK(hr == BGCOPY_E_INVALIDARG);
    } else if (end < MAX_VIRTUAL_US - 1e6) {
        FZ_CHECK(hr == BGCOPY_S_OK);
    } else {
        FZ_CHECK(hr == BGCOPY_S_OK || hr == BGCOPY_E_INVALIDARG); /* rounding at the limit */
    }
}

static void op_advance(struct run *r, fz_reader *rd)
{
    static const double steps[] = {0,   0.001, 0.5,  1,     2,          5,          30,   60,
                                   300, 600,   3600, 86400, 14 * 86400, 91 * 86400, 1e-7, 0.25};
    uint8_t b = fz_u8(rd);
    double s = steps[b % 16];

    if (b >= 0xF0) {
        uint64_t bits = fz_u64(rd);

        memcpy(&s, &bits, sizeof(s)); /* any double, NaN and infinities included */
    }
    run_sim(r, 0, s);
}

static void op_fault(struct run *r, fz_reader *rd)
{
    static const int statuses[] = {503, 404, 500, 408, 416, 301, 200, 401};
    uint8_t a = fz_u8(rd), b = fz_u8(rd), c = fz_u8(rd);
    bgcopy_sim_fault f = BGCOPY_SIM_FAULT_INIT;
    bgcopy_hr hr;

    f.kind = (bgcopy_sim_fault_kind)(1 + a % 7);
    f.url = (a & 0x80) ? NULL : r->urls[b % NRES];
    f.count = c % 4;
    f.status = statuses[(b >> 4) % 8];
    f.after_bytes = (uint64_t)(c >> 2) * 997;
    f.new_length = (uint64_t)(b & 0x0F) * 1500;
    hr = bgcopy_sim_add_fault(r->sim, &f);
    FZ_CHECK(hr == BGCOPY_S_OK);
}

static void op_resource(struct run *r, fz_reader *rd)
{
    uint8_t a = fz_u8(rd), b = fz_u8(rd);
    int k = a % NRES;
    bgcopy_hr hr;

    switch ((a >> 4) % 4) {
    case 0:
        hr = bgcopy_sim_change_resource(r->sim, r->urls[k], (uint64_t)b * 1234,
                                        1767225600.0 + 3600.0 * (b & 7));
        FZ_CHECK(hr == BGCOPY_S_OK || hr == BGCOPY_E_NOT_FOUND);
        break;
    case 1:
        hr = bgcopy_sim_remove_resource(r->sim, r->urls[k]);
        FZ_CHECK(hr == BGCOPY_S_OK || hr == BGCOPY_E_NOT_FOUND);
        break;
    case 2:
        add_resource(r, k);
        break;
    default:
        bgcopy_sim_set_network_up(r->sim, b & 1);
        break;
    }
}

static void op_reacquire(struct run *r, fz_reader *rd)
{
    int i = pick_job(r, rd);
    struct fjob *fj;
    bgcopy_guid id;
    bgcopy_job *again = NULL;
    bgcopy_hr hr;

    if (i < 0 || r->jobs[i].job == NULL) {
        return;
    }
    fj = &r->jobs[i];
    observe(r, i);
    r->in_api++;
    FZ_CHECK(bgcopy_job_get_id(fj->job, &id) == BGCOPY_S_OK);
    hr = bgcopy_manager_get_job(r->mgr[fj->mgr], &id, &again);
    r->in_api--;
    if (fj->final_seen) {
        /* A final job has left the queue; dropping the last reference frees it. */
        FZ_CHECK(hr == BGCOPY_E_NOT_FOUND && again == NULL);
        bgcopy_job_release(fj->job);
        fj->job = NULL;
        return;
    }
    FZ_CHECK(hr == BGCOPY_S_OK && again == fj->handle);
    bgcopy_job_release(fj->job);
    fj->job = again;
    /* The other user cannot see it. */
    r->in_api++;
    again = NULL;
    FZ_CHECK(bgcopy_manager_get_job(r->mgr[!fj->mgr], &id, &again) == BGCOPY_E_NOT_FOUND);
    r->in_api--;
    FZ_CHECK(again == NULL);
}

static void op_names(struct run *r, fz_reader *rd)
{
    static const char *const prefixes[] = {"http://fuzz.test/", "http://other.test/",
                                           "http://fuzz.test/s", "ftp://x/", "http://"};
    int i = pick_job(r, rd);
    uint8_t a = fz_u8(rd), b = fz_u8(rd);
    struct fjob *fj;
    bgcopy_file_enum *e = NULL;
    bgcopy_file *file = NULL;
    uint32_t fetched = 0;
    bgcopy_hr hr;

    if (i < 0 || r->jobs[i].job == NULL) {
        return;
    }
    fj = &r->jobs[i];
    observe(r, i);
    r->in_api++;
    if (a & 1) {
        hr = bgcopy_job_replace_remote_prefix(fj->job, prefixes[(a >> 1) % 5], prefixes[b % 5]);
    } else {
        FZ_CHECK(bgcopy_job_enum_files(fj->job, &e) == BGCOPY_S_OK);
        FZ_CHECK(bgcopy_file_enum_skip(e, (a >> 1) % 4) != BGCOPY_E_INVALIDARG);
        hr = bgcopy_file_enum_next(e, 1, &file, &fetched);
        if (hr == BGCOPY_S_OK) {
            FZ_CHECK(fetched == 1 && file != NULL);
            hr = bgcopy_file_set_remote_name(file, r->urls[b % NURLS]);
            bgcopy_file_release(file);
        }
        bgcopy_file_enum_release(e);
    }
    r->in_api--;
    trace(r, 0x4E4D0000u | (uint32_t)hr);
    observe(r, i);
}

static void op_misc(struct run *r, fz_reader *rd)
{
    int i = pick_job(r, rd);
    uint8_t a = fz_u8(rd);
    struct fjob *fj = i >= 0 ? &r->jobs[i] : NULL;
    bgcopy_callbacks cb;
    bgcopy_error *err = NULL;
    bgcopy_job_enum *en = NULL;
    char program[700], line[720];
    uint32_t count = 0;
    int k, expect;
    bgcopy_hr hr;

    switch (a & 7) {
    case 0: /* GetError exactly in ERROR and TRANSIENT_ERROR */
        if (fj == NULL || fj->job == NULL) {
            return;
        }
        observe(r, i);
        r->in_api++;
        hr = bgcopy_job_get_error(fj->job, &err);
        r->in_api--;
        trace(r, 0xE4400000u | (uint32_t)hr);
        FZ_CHECK((hr == BGCOPY_S_OK) == (fj->state == E || fj->state == TE));
        if (hr == BGCOPY_S_OK) {
            FZ_CHECK(err != NULL);
            bgcopy_error_release(err);
        } else {
            FZ_CHECK(hr == BGCOPY_E_ERROR_INFORMATION_UNAVAILABLE && err == NULL);
        }
        break;
    case 1: /* EnumJobs lists exactly the user's non-final jobs */
        observe_all(r);
        r->in_api++;
        FZ_CHECK(bgcopy_manager_enum_jobs(r->mgr[a >> 7], 0, &en) == BGCOPY_S_OK);
        FZ_CHECK(bgcopy_job_enum_get_count(en, &count) == BGCOPY_S_OK);
        r->in_api--;
        bgcopy_job_enum_release(en);
        expect = 0;
        for (k = 0; k < r->njobs; k++) {
            if (r->jobs[k].mgr == (a >> 7) && !r->jobs[k].final_seen) {
                expect++;
            }
        }
        FZ_CHECK(count == (uint32_t)expect);
        break;
    case 2: /* a command line that cannot start: retried, never run */
        if (fj == NULL || fj->job == NULL) {
            return;
        }
        snprintf(program, sizeof(program), "%s/no-such-program", r->root);
        /* The parameters are the whole command line; their first token is the program. */
        snprintf(line, sizeof(line), "\"%s\" \"a b\" c", program);
        r->in_api++;
        hr = bgcopy_job_set_notify_cmd_line(fj->job, (a & 0x40) ? NULL : program,
                                            (a & 0x40) ? NULL : line);
        r->in_api--;
        trace(r, 0xC3D00000u | (uint32_t)hr);
        if (fj->final_seen) {
            FZ_CHECK(hr == BGCOPY_E_INVALID_STATE);
        } else {
            FZ_CHECK(hr == BGCOPY_S_OK);
        }
        observe(r, i);
        break;
    case 3: /* alice's named handler */
        cb = callbacks_for(a | 0x20);
        r->in_api++;
        if (a & 0x40) {
            hr = bgcopy_manager_register_notify_handler(r->mgr[0], "h", &cb, &r->handler_tag);
            FZ_CHECK(hr == BGCOPY_S_OK);
            r->handler_registered = 1;
            r->handler_mode = a;
        } else {
            hr = bgcopy_manager_unregister_notify_handler(r->mgr[0], "h");
            FZ_CHECK(hr == (r->handler_registered ? BGCOPY_S_OK : BGCOPY_E_NOT_FOUND));
            r->handler_registered = 0;
        }
        r->in_api--;
        break;
    case 4: /* a job names the handler, or stops naming it */
        if (fj == NULL || fj->job == NULL) {
            return;
        }
        observe(r, i);
        r->in_api++;
        hr = bgcopy_job_set_notify_handler(fj->job, (a & 0x40) ? "h" : NULL);
        r->in_api--;
        trace(r, 0x4A4D0000u | (uint32_t)hr);
        if (fj->final_seen) {
            FZ_CHECK(hr == BGCOPY_E_INVALID_STATE);
        } else if (hr == BGCOPY_S_OK) {
            fj->names_handler = (a & 0x40) != 0;
        }
        observe(r, i);
        break;
    default: /* the next callback stays busy */
        if (a & 0x80) {
            uint64_t bits = fz_u64(rd);
            double s;

            memcpy(&s, &bits, sizeof(s));
            bgcopy_sim_callback_busy(r->sim, s);
        } else {
            bgcopy_sim_callback_busy(r->sim, (double)(a >> 3));
        }
        break;
    }
}

/* Runs the whole input once in a fresh simulation; returns the trace hash. */
static uint64_t run_once(const uint8_t *data, size_t size, int replaying)
{
    struct run *r = calloc(1, sizeof(*r));
    fz_reader rd;
    uint64_t hash;
    int steps = 0, i;

    FZ_CHECK(r != NULL);
    setup(r);
    r->replaying = replaying;
    r->wall_start = wall_now();
    for (i = 0; i < 3; i++) {
        r->std_ok[i] = fstat(i, &r->std_st[i]) == 0;
    }
    current = r;
    fz_reader_init(&rd, data, size);
    while (fz_more(&rd) && steps++ < MAX_STEPS && !r->exhausted && !should_stop(r)) {
        uint8_t op = fz_u8(&rd);

        trace(r, 0x0900 | op);
        if (verbose) {
            fprintf(stderr, "step %d: op %d\n", steps, op % 22);
        }
        switch (op % 22) {
        case 0:
        case 1:
            op_create(r, &rd);
            break;
        case 2:
            op_add_file(r, &rd, 0);
            break;
        case 3:
            op_add_file(r, &rd, 1);
            break;
        case 4:
        case 5:
        case 6:
        case 7:
            i = pick_job(r, &rd);
            if (i >= 0) {
                control(r, i, op % 22 - 4);
            }
            break;
        case 8:
        case 9:
        case 10:
        case 11:
        case 12:
        case 13:
            op_settings(r, &rd, op % 22 - 8);
            break;
        case 14:
            op_callbacks(r, &rd);
            break;
        case 15:
            op_advance(r, &rd);
            break;
        case 16:
            run_sim(r, 1, 0);
            break;
        case 17:
            if (fz_u8(&rd) & 1) {
                op_fault(r, &rd);
            } else {
                bgcopy_sim_clear_faults(r->sim);
            }
            break;
        case 18:
            op_resource(r, &rd);
            break;
        case 19:
            op_reacquire(r, &rd);
            break;
        case 20:
            op_names(r, &rd);
            break;
        default:
            op_misc(r, &rd);
            break;
        }
        observe_all(r);
    }
    /* Let everything settle: whatever is in progress runs to its end. */
    run_sim(r, 1, 0);
    observe_all(r);
    current = NULL;
    hash = r->hash;
    teardown(r);
    free(r);
    return hash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t first, second;

    if (verbose < 0) {
        verbose = getenv("FZ_VERBOSE") != NULL;
    }
    stop_at = -1;
    first = run_once(data, size, 0);
    second = run_once(data, size, 1);

    if (first != second) {
        fprintf(stderr, "trace differs between two runs: %016llx vs %016llx\n",
                (unsigned long long)first, (unsigned long long)second);
    }
    FZ_CHECK(first == second);
    return 0;
}
