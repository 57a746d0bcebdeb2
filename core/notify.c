/* notify.c - the notification queue and its dispatcher (reference §5).
 *
 * The engine queues a notification when a job enters TRANSFERRED or ERROR,
 * when a file finishes, and (coalesced by the job's minimum notification
 * interval) when the job is modified. The dispatcher delivers them:
 *   - gated by the job's notify flags (DISABLE suppresses everything);
 *   - JobTransferred / JobError / FileTransferred before JobModification;
 *   - FileTransferred serialized per job and ahead of JobTransferred;
 *   - at most notify_max_in_flight (4) callbacks in flight per user;
 *   - JobTransferred / JobError / FileTransferred that do not return S_OK
 *     are called again after notify_retry seconds, while the job is still
 *     in the state they announce;
 *   - at least once: if no callback is registered when JobTransferred or
 *     JobError is due, the notification is owed and delivered when one is
 *     registered.
 * Callbacks are invoked with the engine lock released, holding an internal
 * reference on the job so it stays valid even if the callback completes or
 * cancels it. A real engine dispatches on its notifier thread; a simulated
 * one from the simulation's run functions, in virtual time.
 */
#include <stdlib.h>
#include <string.h>

#include "core-int.h"

#define LOCK(e)   bgcopy__mutex_lock((e)->lock)
#define UNLOCK(e) bgcopy__mutex_unlock((e)->lock)

struct busy_slot {
    bgcopy__timer timer;
    struct emu_user *user;
    struct busy_slot *next;
};

struct emu_user *bgcopy__user_get(struct bgcopy__engine *e, const char *name)
{
    struct emu_user *u;
    for (u = e->users; u; u = u->next)
        if (strcmp(u->name, name) == 0)
            return u;
    u = bgcopy__calloc(1, sizeof(*u));
    if (u == NULL || (u->name = bgcopy__strdup(name)) == NULL) {
        free(u);
        return NULL;
    }
    u->next = e->users;
    e->users = u;
    return u;
}

static uint32_t flag_for(int kind)
{
    switch (kind) {
    case BGCOPY__NOTE_JOB_TRANSFERRED:
        return BGCOPY_NOTIFY_JOB_TRANSFERRED;
    case BGCOPY__NOTE_JOB_ERROR:
        return BGCOPY_NOTIFY_JOB_ERROR;
    case BGCOPY__NOTE_FILE_TRANSFERRED:
        return BGCOPY_NOTIFY_FILE_TRANSFERRED;
    default:
        return BGCOPY_NOTIFY_JOB_MODIFICATION;
    }
}

static int enabled(const struct emu_job *job, int kind)
{
    if (job->notify_flags & BGCOPY_NOTIFY_DISABLE)
        return 0;
    return (job->notify_flags & flag_for(kind)) != 0;
}

/* ---- targets ---------------------------------------------------------------------
 * A notification goes to the job's live callbacks; without them, to the
 * named handler the job designates, if its owner registered one; without
 * either (or after they failed), JobTransferred and JobError run the job's
 * notification command line. */

enum { TARGET_NONE, TARGET_CALLBACK, TARGET_HANDLER, TARGET_CMDLINE };

static struct emu_handler *find_handler(struct bgcopy__engine *e, const struct emu_job *job)
{
    struct emu_handler *h;
    if (job->handler_name == NULL)
        return NULL;
    for (h = e->handlers; h; h = h->next)
        if (strcmp(h->name, job->handler_name) == 0 && strcmp(h->owner, job->owner) == 0)
            return h;
    return NULL;
}

static int urgent_job_kind(int kind)
{
    return kind == BGCOPY__NOTE_JOB_TRANSFERRED || kind == BGCOPY__NOTE_JOB_ERROR;
}

/* Whether the job has a callback target (live callbacks or a live handler). */
static int has_callback(struct bgcopy__engine *e, const struct emu_job *job)
{
    return job->cb_registered || find_handler(e, job) != NULL;
}

static int has_target(struct bgcopy__engine *e, const struct emu_job *job, int kind)
{
    return has_callback(e, job) || (urgent_job_kind(kind) && job->cmd_program != NULL);
}

/* Picks the target for note n and copies the callbacks to use. */
static int resolve(struct bgcopy__engine *e, const struct bgcopy__note *n, bgcopy_callbacks *cb,
                   void **user)
{
    const struct emu_job *job = n->job;
    struct emu_handler *h;
    if (!n->cmdline_only) {
        if (job->cb_registered) {
            *cb = job->cb;
            *user = job->cb_user;
            return TARGET_CALLBACK;
        }
        if ((h = find_handler(e, job)) != NULL) {
            *cb = h->cb;
            *user = h->user;
            return TARGET_HANDLER;
        }
    }
    if (urgent_job_kind(n->kind) && job->cmd_program != NULL)
        return TARGET_CMDLINE;
    return TARGET_NONE;
}

/* Keeps the simulation's clock moving to the next due notification: an
 * active timer when one is due now (work in progress), a passive one for a
 * retry that waits for a later time. */
static void rearm(struct bgcopy__engine *e)
{
    int64_t due;
    if (e->sim == NULL) {
        if (e->note_wake != NULL) /* NULL while the store loads, before the threads start */
            bgcopy__cond_signal(e->note_wake);
        return;
    }
    bgcopy__timer_disarm(e, &e->note_timer);
    due = bgcopy__notify_next_due(e);
    if (due == INT64_MAX)
        return;
    e->note_timer.active = due <= bgcopy__engine_now(e);
    bgcopy__timer_arm(e, &e->note_timer, due);
}

static void enqueue(struct bgcopy__engine *e, struct emu_job *job, int kind, struct emu_file *file,
                    int64_t due, uint32_t attempts)
{
    struct bgcopy__note *n = bgcopy__calloc(1, sizeof(*n)), **pp;
    if (n == NULL)
        return; /* owed flags keep JobTransferred / JobError for a later registration */
    n->kind = kind;
    n->job = job;
    n->file = file;
    n->due = due;
    n->seq = ++e->note_seq;
    n->attempts = attempts;
    for (pp = &e->notes; *pp; pp = &(*pp)->next)
        ;
    *pp = n;
    rearm(e);
}

static int queued(struct bgcopy__engine *e, const struct emu_job *job, int kind)
{
    const struct bgcopy__note *n;
    for (n = e->notes; n; n = n->next)
        if (n->job == job && n->kind == kind)
            return 1;
    return 0;
}

static void mod_timer_fn(struct bgcopy__engine *e, bgcopy__timer *t)
{
    struct emu_job *job = t->data;
    job->mod_pending = 0;
    if (bgcopy__job_state_is_final(job->state) || !has_callback(e, job) ||
        !enabled(job, BGCOPY__NOTE_JOB_MODIFICATION))
        return;
    job->last_mod_us = bgcopy__engine_now(e);
    enqueue(e, job, BGCOPY__NOTE_JOB_MODIFICATION, NULL, job->last_mod_us, 0);
}

void bgcopy__notify_init(struct emu_job *job)
{
    bgcopy__timer_init(&job->mod_timer, mod_timer_fn, job, 1);
    job->last_mod_us = INT64_MIN / 2;
}

/* The job entered TRANSFERRED or ERROR: a JobModification still pending
 * would announce that very transition, which JobTransferred / JobError
 * announce instead (reference §5.2); it is dropped (BITS may drop
 * modifications). */
static void drop_modifications(struct emu_job *job)
{
    struct bgcopy__engine *e = job->engine;
    struct bgcopy__note **pp = &e->notes;

    bgcopy__timer_disarm(e, &job->mod_timer);
    job->mod_pending = 0;
    while (*pp) {
        struct bgcopy__note *n = *pp;
        if (n->job == job && n->kind == BGCOPY__NOTE_JOB_MODIFICATION) {
            *pp = n->next;
            free(n);
        } else {
            pp = &n->next;
        }
    }
    rearm(e);
}

void bgcopy__notify_event(struct emu_job *job, int kind, struct emu_file *file)
{
    struct bgcopy__engine *e = job->engine;
    if (kind == BGCOPY__NOTE_JOB_TRANSFERRED || kind == BGCOPY__NOTE_JOB_ERROR)
        drop_modifications(job);
    if (!enabled(job, kind))
        return;
    if (kind == BGCOPY__NOTE_JOB_TRANSFERRED)
        job->owed_transferred = 1;
    if (kind == BGCOPY__NOTE_JOB_ERROR)
        job->owed_error = 1;
    if (!has_target(e, job, kind))
        return; /* owed: delivered when a target appears */
    enqueue(e, job, kind, file, bgcopy__engine_now(e), 0);
}

void bgcopy__notify_modified(struct emu_job *job)
{
    struct bgcopy__engine *e = job->engine;
    int64_t now, due;
    if (job->mod_pending || !has_callback(e, job) || !enabled(job, BGCOPY__NOTE_JOB_MODIFICATION))
        return;
    now = bgcopy__engine_now(e);
    due = job->last_mod_us + (int64_t)job->min_notify_interval_ms * 1000;
    job->mod_pending = 1;
    bgcopy__timer_arm(e, &job->mod_timer, due > now ? due : now);
}

void bgcopy__notify_registered(struct emu_job *job)
{
    struct bgcopy__engine *e = job->engine;
    int64_t now = bgcopy__engine_now(e);
    if (job->state == BGCOPY_JOB_STATE_TRANSFERRED && enabled(job, BGCOPY__NOTE_JOB_TRANSFERRED)) {
        job->owed_transferred = 1;
        if (!queued(e, job, BGCOPY__NOTE_JOB_TRANSFERRED))
            enqueue(e, job, BGCOPY__NOTE_JOB_TRANSFERRED, NULL, now, 0);
    }
    if (job->state == BGCOPY_JOB_STATE_ERROR && enabled(job, BGCOPY__NOTE_JOB_ERROR)) {
        job->owed_error = 1;
        if (!queued(e, job, BGCOPY__NOTE_JOB_ERROR))
            enqueue(e, job, BGCOPY__NOTE_JOB_ERROR, NULL, now, 0);
    }
}

/* A target appeared or changed: what is owed is queued - unless a delivery of it is in
 * flight, whose failure queues it again for the job's targets of then (so removing the
 * callbacks during their call does not run the command line twice). New callbacks
 * (bgcopy__notify_registered) get it again regardless: at least once. */
void bgcopy__notify_owed(struct emu_job *job)
{
    struct bgcopy__engine *e = job->engine;
    int64_t now = bgcopy__engine_now(e);
    if (job->owed_transferred && job->state == BGCOPY_JOB_STATE_TRANSFERRED &&
        enabled(job, BGCOPY__NOTE_JOB_TRANSFERRED) &&
        has_target(e, job, BGCOPY__NOTE_JOB_TRANSFERRED) &&
        !(job->notifying & (1u << BGCOPY__NOTE_JOB_TRANSFERRED)) &&
        !queued(e, job, BGCOPY__NOTE_JOB_TRANSFERRED))
        enqueue(e, job, BGCOPY__NOTE_JOB_TRANSFERRED, NULL, now, 0);
    if (job->owed_error && job->state == BGCOPY_JOB_STATE_ERROR &&
        enabled(job, BGCOPY__NOTE_JOB_ERROR) && has_target(e, job, BGCOPY__NOTE_JOB_ERROR) &&
        !(job->notifying & (1u << BGCOPY__NOTE_JOB_ERROR)) &&
        !queued(e, job, BGCOPY__NOTE_JOB_ERROR))
        enqueue(e, job, BGCOPY__NOTE_JOB_ERROR, NULL, now, 0);
}

void bgcopy__notify_handler_registered(struct bgcopy__engine *e, const struct emu_handler *h)
{
    struct emu_job *job;
    for (job = e->jobs_head; job; job = job->next)
        if (job->handler_name && strcmp(job->handler_name, h->name) == 0 &&
            strcmp(job->owner, h->owner) == 0)
            bgcopy__notify_owed(job);
}

void bgcopy__notify_drop_job(struct emu_job *job)
{
    struct bgcopy__engine *e = job->engine;
    struct bgcopy__note **pp = &e->notes;
    while (*pp) {
        struct bgcopy__note *n = *pp;
        if (n->job == job) {
            *pp = n->next;
            free(n);
        } else {
            pp = &n->next;
        }
    }
    bgcopy__timer_disarm(e, &job->mod_timer);
    job->mod_pending = 0;
    job->owed_transferred = job->owed_error = 0;
    rearm(e);
}

/* Whether n waits for something other than its due time: a free slot for its
 * user, or another notification of its job. FileTransferred calls are
 * serialized per job in file order (the next file's call waits until the
 * current one returned success, even while that one waits to be retried) and
 * JobTransferred waits for all of them (reference §5.2). */
static int blocked(struct bgcopy__engine *e, const struct bgcopy__note *n)
{
    const struct bgcopy__note *m;
    if (n->job->user->in_flight >= e->notify_max_in_flight)
        return 1;
    if (n->kind != BGCOPY__NOTE_FILE_TRANSFERRED && n->kind != BGCOPY__NOTE_JOB_TRANSFERRED)
        return 0;
    if (n->job->file_notify_busy)
        return 1;
    for (m = e->notes; m; m = m->next)
        if (m != n && m->job == n->job && m->kind == BGCOPY__NOTE_FILE_TRANSFERRED &&
            (n->kind == BGCOPY__NOTE_JOB_TRANSFERRED || m->file->index < n->file->index))
            return 1;
    return 0;
}

/* Whether n may be delivered now. */
static int eligible(struct bgcopy__engine *e, const struct bgcopy__note *n, int64_t now)
{
    return n->due <= now && !blocked(e, n);
}

int64_t bgcopy__notify_next_due(struct bgcopy__engine *e)
{
    const struct bgcopy__note *n;
    int64_t now = bgcopy__engine_now(e), best = INT64_MAX;
    for (n = e->notes; n; n = n->next) {
        int64_t due = n->due;
        if (blocked(e, n))
            continue; /* the note or callback it waits for re-arms when done */
        if (due < now)
            due = now;
        if (due < best)
            best = due;
    }
    return best;
}

/* Picks the next note: due, slot free, urgent kinds first, then queue order. */
static struct bgcopy__note *pick(struct bgcopy__engine *e, int64_t now)
{
    struct bgcopy__note *n, *urgent = NULL, *modification = NULL;
    for (n = e->notes; n; n = n->next) {
        if (!eligible(e, n, now))
            continue;
        if (n->kind == BGCOPY__NOTE_JOB_MODIFICATION) {
            if (modification == NULL)
                modification = n;
        } else if (urgent == NULL) {
            urgent = n;
        }
    }
    return urgent ? urgent : modification;
}

static void unlink_note(struct bgcopy__engine *e, struct bgcopy__note *n)
{
    struct bgcopy__note **pp;
    for (pp = &e->notes; *pp; pp = &(*pp)->next)
        if (*pp == n) {
            *pp = n->next;
            return;
        }
}

/* Whether the note still announces something true. */
static int still_valid(const struct bgcopy__note *n)
{
    const struct emu_job *job = n->job;
    if (bgcopy__job_state_is_final(job->state))
        return 0;
    if (n->kind == BGCOPY__NOTE_JOB_TRANSFERRED)
        return job->state == BGCOPY_JOB_STATE_TRANSFERRED;
    if (n->kind == BGCOPY__NOTE_JOB_ERROR)
        return job->state == BGCOPY_JOB_STATE_ERROR;
    return 1;
}

static void busy_fn(struct bgcopy__engine *e, bgcopy__timer *t)
{
    struct busy_slot *b = t->data, **pp;
    for (pp = (struct busy_slot **)&e->busy_slots; *pp; pp = &(*pp)->next)
        if (*pp == b) {
            *pp = b->next;
            break;
        }
    b->user->in_flight--;
    free(b);
    rearm(e);
}

static bgcopy_hr invoke(struct emu_job *job, int kind, struct emu_file *file,
                        const bgcopy_callbacks *cb, void *user, bgcopy_error *err)
{
    bgcopy_job *h = &job->handle;
    switch (kind) {
    case BGCOPY__NOTE_JOB_TRANSFERRED:
        return cb->job_transferred ? cb->job_transferred(h, user) : BGCOPY_S_OK;
    case BGCOPY__NOTE_JOB_ERROR:
        return cb->job_error ? cb->job_error(h, err, user) : BGCOPY_S_OK;
    case BGCOPY__NOTE_FILE_TRANSFERRED:
        return cb->file_transferred ? cb->file_transferred(h, &file->handle, user) : BGCOPY_S_OK;
    default:
        return cb->job_modification ? cb->job_modification(h, 0, user) : BGCOPY_S_OK;
    }
}

/* Appends n to the queue again. */
static void requeue(struct bgcopy__engine *e, struct bgcopy__note *n)
{
    struct bgcopy__note **pp;
    n->seq = ++e->note_seq;
    n->next = NULL;
    for (pp = &e->notes; *pp; pp = &(*pp)->next)
        ;
    *pp = n;
}

/* JobTransferred or JobError (kind) was acknowledged: no longer owed - in the store too (lock
 * held), or the next open would deliver it again. A job that reached a final state meanwhile
 * has left the store. */
static void settle(struct emu_job *job, int kind)
{
    if (kind == BGCOPY__NOTE_JOB_TRANSFERRED)
        job->owed_transferred = 0;
    else
        job->owed_error = 0;
    if (!bgcopy__job_state_is_final(job->state))
        (void)bgcopy__store_save(job);
}

/* Runs the job's notification command line for note n (lock held on entry
 * and exit; released while the program runs). Exit status 0 settles the
 * notification; a non-zero status or a failed launch runs it again after
 * the job's MinimumRetryDelay while the job is still in the announced
 * state (reference §5.4). The program is started without a shell, argv
 * split from the parameters as Windows splits a command line, with the
 * owner's environment (bgcopy__sys_run_as: HOME, USER, LOGNAME, SHELL of the
 * owner's account; only those and PATH when acting as the owner). */
static void run_cmdline(struct bgcopy__engine *e, struct bgcopy__note *n)
{
    struct emu_job *job = n->job;
    struct emu_user *user = job->user;
    char *program = bgcopy__strdup(job->cmd_program);
    char *params = job->cmd_parameters ? bgcopy__strdup(job->cmd_parameters) : NULL;
    char *owner = bgcopy__strdup(job->owner);
    char **argv = NULL, *single[2];
    int argc = 0, code = -1;
    /* Read here, under the lock: the job's strings may be replaced while the
     * program runs. */
    int copied =
        program != NULL && owner != NULL && (job->cmd_parameters == NULL || params != NULL);
    bgcopy_hr hr = BGCOPY_E_OUTOFMEMORY;

    user->in_flight++;
    job->internal_refs++;
    job->notifying |= 1u << n->kind;
    UNLOCK(e);
    if (copied) {
        if (params && params[0] != '\0') {
            hr = bgcopy__cmdline_split(params, &argv, &argc);
        } else {
            single[0] = program;
            single[1] = NULL;
            hr = BGCOPY_S_OK;
        }
        if (BGCOPY_SUCCEEDED(hr)) {
            /* As the job's owner (a system-wide service: core/sys.h); owner is a copy. */
            bgcopy__act act;
            hr = bgcopy__sys_act_begin(owner, 1, &act);
            if (BGCOPY_SUCCEEDED(hr))
                hr = bgcopy__sys_run_as(program, argv ? argv : single, owner, act.active, &code);
            bgcopy__sys_act_end(&act);
        }
    }
    free(argv);
    free(program);
    free(params);
    free(owner);
    LOCK(e);
    user->in_flight--;
    job->notifying &= ~(1u << n->kind);
    n->attempts++;
    if (BGCOPY_SUCCEEDED(hr) && code == 0) {
        settle(job, n->kind);
        free(n);
    } else if (still_valid(n)) {
        n->cmdline_only = 1;
        n->due = bgcopy__engine_now(e) + (int64_t)job->retry_delay * BGCOPY__US;
        requeue(e, n);
    } else {
        free(n);
    }
    bgcopy__job_internal_unref(job);
}

size_t bgcopy__notify_dispatch(struct bgcopy__engine *e)
{
    size_t delivered = 0;
    struct bgcopy__note *n;

    while ((n = pick(e, bgcopy__engine_now(e))) != NULL) {
        struct emu_job *job = n->job;
        struct emu_user *user = job->user;
        bgcopy_callbacks cb;
        void *cb_user;
        bgcopy_error *err = NULL;
        bgcopy_hr hr;
        double busy;
        int target;

        unlink_note(e, n);
        target =
            still_valid(n) && enabled(job, n->kind) ? resolve(e, n, &cb, &cb_user) : TARGET_NONE;
        if (target == TARGET_NONE) {
            /* Stale, or owed until a target is registered again. */
            free(n);
            continue;
        }
        if (target == TARGET_CMDLINE) {
            run_cmdline(e, n);
            delivered++;
            continue;
        }
        if (n->kind == BGCOPY__NOTE_JOB_ERROR &&
            BGCOPY_FAILED(bgcopy__job_error_object(job, &err))) {
            n->due = bgcopy__engine_now(e) + (int64_t)e->notify_retry * BGCOPY__US;
            n->next = e->notes;
            e->notes = n;
            break;
        }
        user->in_flight++;
        job->internal_refs++;
        job->notifying |= 1u << n->kind;
        if (n->kind == BGCOPY__NOTE_FILE_TRANSFERRED) {
            job->file_notify_busy = 1;
            bgcopy_file_addref(&n->file->handle);
        }
        bgcopy__job_user_ref(job); /* the handle the callback sees */

        UNLOCK(e);
        hr = invoke(job, n->kind, n->file, &cb, cb_user, err);
        if (err)
            bgcopy_error_release(err);
        if (n->kind == BGCOPY__NOTE_FILE_TRANSFERRED)
            bgcopy_file_release(&n->file->handle);
        bgcopy__job_user_unref(job);
        LOCK(e);

        delivered++;
        job->notifying &= ~(1u << n->kind);
        busy = e->sim ? bgcopy__sim_take_busy(e->sim) : 0.0;
        if (busy > 0) {
            struct busy_slot *b = bgcopy__calloc(1, sizeof(*b));
            if (b) {
                b->user = user;
                bgcopy__timer_init(&b->timer, busy_fn, b, 1);
                b->next = (struct busy_slot *)e->busy_slots;
                e->busy_slots = b;
                bgcopy__timer_arm(e, &b->timer,
                                  bgcopy__engine_now(e) + (int64_t)(busy * BGCOPY__US + 0.5));
            } else {
                user->in_flight--;
            }
        } else {
            user->in_flight--;
        }
        if (n->kind == BGCOPY__NOTE_FILE_TRANSFERRED)
            job->file_notify_busy = 0;

        if (n->kind != BGCOPY__NOTE_JOB_MODIFICATION && hr != BGCOPY_S_OK &&
            !(n->kind == BGCOPY__NOTE_FILE_TRANSFERRED && BGCOPY_SUCCEEDED(hr)) && still_valid(n)) {
            /* Not accepted: call again later (reference §5.2) - or, when the
             * job has a command line, run it now instead and never call the
             * callback again for this event (§5.4). */
            n->attempts++;
            if (urgent_job_kind(n->kind) && job->cmd_program != NULL) {
                n->cmdline_only = 1;
                n->due = bgcopy__engine_now(e);
            } else {
                n->due = bgcopy__engine_now(e) + (int64_t)e->notify_retry * BGCOPY__US;
            }
            requeue(e, n);
        } else {
            if (hr == BGCOPY_S_OK && urgent_job_kind(n->kind))
                settle(job, n->kind);
            free(n);
        }
        bgcopy__job_internal_unref(job);
    }
    /* A real engine wakes another notifier only when this pass delivered something: an
     * unconditional signal here makes idle notifier threads wake each other forever. */
    if (e->sim != NULL || delivered > 0)
        rearm(e);
    return delivered;
}

void bgcopy__notify_free_all(struct bgcopy__engine *e)
{
    struct busy_slot *b, *bnext;
    while (e->notes) {
        struct bgcopy__note *n = e->notes;
        e->notes = n->next;
        free(n);
    }
    for (b = e->busy_slots; b; b = bnext) {
        bnext = b->next;
        bgcopy__timer_disarm(e, &b->timer);
        free(b);
    }
    e->busy_slots = NULL;
}
