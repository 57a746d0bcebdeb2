/* emu.c - the emulated engine's implementation of the engine table: jobs,
 * files and error objects, with BITS's state rules and defaults.
 *
 * api.c has already validated arguments (pointers, enum ranges, string
 * lengths, name syntax); this file applies the rules that depend on the job:
 * its state (BG_E_INVALID_STATE in final states), its type, the policy
 * limits, and it performs Resume / Suspend / Cancel / Complete. Every entry
 * takes the engine lock for its whole duration and never calls back into
 * the application (notifications are queued, see notify.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core-int.h"

#define LOCK(e)   bgcopy__mutex_lock((e)->lock)
#define UNLOCK(e) bgcopy__mutex_unlock((e)->lock)

/* ---- references ------------------------------------------------------------------- */

struct emu_job *bgcopy__job_from_handle(bgcopy_job *h)
{
    return (struct emu_job *)h->impl;
}

static struct emu_file *file_from_handle(bgcopy_file *h)
{
    return (struct emu_file *)h->impl;
}

static void free_file(struct emu_file *f)
{
    free(f->remote);
    free(f->local);
    free(f->temp);
    free(f->ranges);
    free(f);
}

static void free_job(struct emu_job *job)
{
    uint32_t i;
    int t, s;

    for (i = 0; i < job->file_count; i++)
        free_file(job->files[i]);
    free(job->files);
    free(job->name);
    free(job->description);
    free(job->owner);
    free(job->cmd_program);
    free(job->cmd_parameters);
    free(job->handler_name);
    free(job->proxy_list);
    free(job->proxy_bypass);
    free(job->custom_headers);
    for (t = 0; t < 3; t++)
        for (s = 0; s < 6; s++) {
            free(job->creds[t][s].user);
            free(job->creds[t][s].password);
        }
    free(job);
}

/* Frees job once nothing refers to it. Lock held. */
static void maybe_free_job(struct emu_job *job)
{
    uint32_t i;
    /* user_refs are raised without the lock (bgcopy_job_addref from any thread, e.g. a
     * callback): read atomically. */
    if (job->in_engine || bgcopy__atomic_get(&job->user_refs) != 0 || job->internal_refs != 0)
        return;
    for (i = 0; i < job->file_count; i++)
        if (bgcopy__atomic_get(&job->files[i]->user_refs) != 0)
            return;
    free_job(job);
}

void bgcopy__job_user_ref(struct emu_job *job)
{
    if (bgcopy__atomic_inc(&job->user_refs) == 1)
        bgcopy__engine_retain(job->engine);
}

/* The count is decremented under the lock: dropped outside it, a thread that
 * frees the job under the lock (maybe_free_job after the last internal
 * reference, e.g. a notifier finishing a callback) could see 0 and free the
 * job before this thread locks to do the same (use after free). */
void bgcopy__job_user_unref(struct emu_job *job)
{
    struct bgcopy__engine *e = job->engine;
    long left;
    LOCK(e);
    left = bgcopy__atomic_dec(&job->user_refs);
    if (left == 0)
        maybe_free_job(job);
    UNLOCK(e);
    if (left == 0)
        bgcopy__engine_release(e);
}

void bgcopy__job_internal_unref(struct emu_job *job)
{
    job->internal_refs--;
    maybe_free_job(job);
}

void bgcopy__job_leave_engine(struct emu_job *job)
{
    struct bgcopy__engine *e = job->engine;
    if (job->in_engine) {
        if (job->prev)
            job->prev->next = job->next;
        else
            e->jobs_head = job->next;
        if (job->next)
            job->next->prev = job->prev;
        else
            e->jobs_tail = job->prev;
        job->prev = job->next = NULL;
        job->in_engine = 0;
    }
    maybe_free_job(job);
}

static void emu_job_addref(bgcopy_job *h)
{
    bgcopy__job_user_ref(bgcopy__job_from_handle(h));
}

static void emu_job_release(bgcopy_job *h)
{
    bgcopy__job_user_unref(bgcopy__job_from_handle(h));
}

static void emu_file_addref(bgcopy_file *h)
{
    struct emu_file *f = file_from_handle(h);
    if (bgcopy__atomic_inc(&f->user_refs) == 1)
        bgcopy__job_user_ref(f->job);
}

static void emu_file_release(bgcopy_file *h)
{
    struct emu_file *f = file_from_handle(h);
    if (bgcopy__atomic_dec(&f->user_refs) == 0)
        bgcopy__job_user_unref(f->job);
}

/* ---- state changes ------------------------------------------------------------------ */

void bgcopy__job_touch(struct emu_job *job)
{
    job->modification_time = bgcopy__engine_filetime(job->engine);
    bgcopy__timers_activity(job);
}

void bgcopy__job_clear_error(struct emu_job *job)
{
    job->has_error = 0;
    job->error_context = BGCOPY_ERROR_CONTEXT_NONE;
    job->error_code = BGCOPY_S_OK;
    job->error_file = NULL;
    job->error_protocol = NULL;
}

void bgcopy__job_set_error(struct emu_job *job, struct emu_file *file, bgcopy_hr hr,
                           bgcopy_error_context ctx, const char *protocol)
{
    job->has_error = 1;
    job->error_file = file;
    job->error_code = hr;
    job->error_context = ctx;
    job->error_protocol = protocol;
}

void bgcopy__job_apply(struct emu_job *job, bgcopy__job_event ev)
{
    struct bgcopy__engine *e = job->engine;
    bgcopy_job_state from = job->state;
    int to = bgcopy__job_next_state(from, ev);

    if (to < 0) {
        /* The engine asked for a transition BITS does not have: a bug. */
        fprintf(stderr, "bgcopy: illegal transition %s --%s-->\n", bgcopy_job_state_name(from),
                bgcopy__job_event_name(ev));
        abort();
    }
    if (bgcopy__job_state_is_active(from) && !bgcopy__job_state_is_active((bgcopy_job_state)to))
        bgcopy__transfer_abort(job);
    job->state = (bgcopy_job_state)to;
    if (from == BGCOPY_JOB_STATE_TRANSIENT_ERROR)
        job->policy_blocked = 0; /* Resume, Suspend, Cancel, Complete or the policy's retry */
    if (to == BGCOPY_JOB_STATE_QUEUED && ev != BGCOPY__EV_PREEMPT)
        job->queue_seq = ++e->queue_seq;
    if (to == BGCOPY_JOB_STATE_TRANSFERRING)
        bgcopy__job_clear_error(job);
    job->modification_time = bgcopy__engine_filetime(e);
    bgcopy__timers_state_changed(job, from, ev);

    if (bgcopy__job_state_is_final(job->state)) {
        bgcopy__notify_drop_job(job);
        bgcopy__timers_stop_all(job);
        if (job->user && job->user->job_count)
            job->user->job_count--;
        if (e->job_count)
            e->job_count--;
    } else if (job->state == BGCOPY_JOB_STATE_TRANSFERRED) {
        job->transfer_completion_time = job->modification_time;
        bgcopy__notify_event(job, BGCOPY__NOTE_JOB_TRANSFERRED, NULL);
    } else if (job->state == BGCOPY_JOB_STATE_ERROR) {
        bgcopy__notify_event(job, BGCOPY__NOTE_JOB_ERROR, NULL);
    } else if (job->state != from) {
        bgcopy__notify_modified(job);
    }
    if (from == BGCOPY_JOB_STATE_TRANSFERRED)
        job->owed_transferred = 0;
    if (from == BGCOPY_JOB_STATE_ERROR)
        job->owed_error = 0;
    if (job->state == BGCOPY_JOB_STATE_QUEUED || bgcopy__job_state_is_active(from))
        bgcopy__engine_kick(e);
    /* Every state change is persisted (a final state deletes the job's rows), except the
     * entries into CONNECTING and TRANSFERRING: the store turns those back into QUEUED at
     * load, which the last write already says, and progress reaches it by checkpoints. A
     * failed write is retried by the next save, which writes the whole job. */
    if (!bgcopy__job_state_is_active(job->state))
        (void)bgcopy__store_save(job);
}

void bgcopy__job_progress(const struct emu_job *job, bgcopy_job_progress *p)
{
    uint32_t i;
    memset(p, 0, sizeof(*p));
    p->files_total = job->file_count;
    for (i = 0; i < job->file_count; i++) {
        const struct emu_file *f = job->files[i];
        if (f->bytes_total == BGCOPY_SIZE_UNKNOWN || p->bytes_total == BGCOPY_SIZE_UNKNOWN)
            p->bytes_total = BGCOPY_SIZE_UNKNOWN;
        else
            p->bytes_total += f->bytes_total;
        p->bytes_transferred += f->bytes_transferred;
        if (f->transferred)
            p->files_transferred++;
    }
}

void bgcopy__job_delete_temps(struct emu_job *job, int only_unfinished, int *failed)
{
    uint32_t i;
    bgcopy__act act;
    if (BGCOPY_FAILED(bgcopy__sys_act_begin(job->owner, 0, &act))) {
        *failed = 1; /* as its owner or not at all */
        return;
    }
    for (i = 0; i < job->file_count; i++) {
        struct emu_file *f = job->files[i];
        if (!f->temp_exists || (only_unfinished && f->transferred && !f->completed))
            continue;
        if (BGCOPY_FAILED(bgcopy__fs_unlink(f->temp)))
            *failed = 1;
        else
            f->temp_exists = 0;
    }
    bgcopy__sys_act_end(&act);
}

/* ---- manager operations ---------------------------------------------------------- */

static bgcopy_job *handle_out(struct emu_job *job)
{
    bgcopy__job_user_ref(job);
    return &job->handle;
}

struct emu_job *bgcopy__job_alloc(struct bgcopy__engine *e, const char *owner, const char *name)
{
    struct emu_job *job = bgcopy__calloc(1, sizeof(*job));

    if (job == NULL)
        return NULL;
    job->user = bgcopy__user_get(e, owner);
    if (job->user == NULL || (job->name = bgcopy__strdup(name)) == NULL ||
        (job->owner = bgcopy__strdup(owner)) == NULL) {
        free_job(job);
        return NULL;
    }
    job->handle.ops = &bgcopy__emu_ops;
    job->handle.impl = job;
    job->engine = e;
    job->type = BGCOPY_JOB_TYPE_DOWNLOAD;
    job->state = BGCOPY_JOB_STATE_SUSPENDED;
    job->priority = BGCOPY_JOB_PRIORITY_NORMAL;
    job->notify_flags = BGCOPY_NOTIFY_JOB_TRANSFERRED | BGCOPY_NOTIFY_JOB_ERROR;
    job->retry_delay = BGCOPY__DEFAULT_RETRY_DELAY;
    job->no_progress_timeout = BGCOPY__DEFAULT_NO_PROGRESS;
    job->max_download_time = e->max_download_policy;
    job->proxy_usage = BGCOPY_PROXY_USAGE_PRECONFIG;
    job->cost_flags = BGCOPY_COST_STATE_TRANSFER_ALWAYS;
    job->min_notify_interval_ms = BGCOPY__DEFAULT_MIN_NOTIFY_INTERVAL_MS;
    job->creation_time = job->modification_time = bgcopy__engine_filetime(e);
    job->active_since_us = -1;
    /* No temp file open yet. (calloc left 0 here, so cancelling a job that never started
     * closed descriptor 0 - found by fuzz/api_sequence_fuzzer.c.) */
    job->xfer_fd = -1;
    bgcopy__job_clear_error(job);
    bgcopy__timers_init(job);
    bgcopy__notify_init(job);
    return job;
}

void bgcopy__job_free_unattached(struct emu_job *job)
{
    free_job(job);
}

void bgcopy__job_attach(struct emu_job *job)
{
    struct bgcopy__engine *e = job->engine;

    job->in_engine = 1;
    job->prev = e->jobs_tail;
    if (e->jobs_tail)
        e->jobs_tail->next = job;
    else
        e->jobs_head = job;
    e->jobs_tail = job;
    job->user->job_count++;
    e->job_count++;
}

static bgcopy_hr emu_create_job(bgcopy_manager *mgr, const char *name, bgcopy_job_type type,
                                bgcopy_guid *id, bgcopy_job **out)
{
    struct bgcopy__engine *e = mgr->engine;
    struct emu_job *job;
    struct emu_user *user;
    bgcopy_hr hr = BGCOPY_S_OK;

    LOCK(e);
    user = bgcopy__user_get(e, mgr->user);
    if (user == NULL) {
        hr = BGCOPY_E_OUTOFMEMORY;
        goto out;
    }
    if (!mgr->is_admin && user->job_count >= e->max_jobs_per_user) {
        hr = BGCOPY_E_TOO_MANY_JOBS_PER_USER;
        goto out;
    }
    if (!mgr->is_admin && e->job_count >= e->max_jobs_per_machine) {
        hr = BGCOPY_E_TOO_MANY_JOBS_PER_MACHINE;
        goto out;
    }
    job = bgcopy__job_alloc(e, mgr->user, name);
    if (job == NULL) {
        hr = BGCOPY_E_OUTOFMEMORY;
        goto out;
    }
    if (BGCOPY_FAILED(hr = bgcopy__new_guid(&job->id))) {
        free_job(job);
        goto out;
    }
    job->type = type;
    job->owner_admin = mgr->is_admin;
    bgcopy__timers_activity(job);
    /* CreateJob returns S_OK only once the job is in the store. */
    if (BGCOPY_FAILED(hr = bgcopy__store_save(job))) {
        bgcopy__timers_stop_all(job);
        free_job(job);
        goto out;
    }
    bgcopy__job_attach(job);

    if (id)
        *id = job->id;
    if (out)
        *out = handle_out(job);
out:
    UNLOCK(e);
    return hr;
}

/* Whether mgr may see job: its owner, or an administrator. */
static int visible(const bgcopy_manager *mgr, const struct emu_job *job)
{
    return mgr->is_admin || strcmp(job->owner, mgr->user) == 0;
}

static bgcopy_hr emu_get_job(bgcopy_manager *mgr, const bgcopy_guid *id, bgcopy_job **out)
{
    struct bgcopy__engine *e = mgr->engine;
    struct emu_job *job;
    bgcopy_hr hr = BGCOPY_E_NOT_FOUND;

    LOCK(e);
    for (job = e->jobs_head; job; job = job->next) {
        if (bgcopy_guid_equal(&job->id, id) && visible(mgr, job)) {
            *out = handle_out(job);
            hr = BGCOPY_S_OK;
            break;
        }
    }
    UNLOCK(e);
    return hr;
}

static bgcopy_hr emu_enum_jobs(bgcopy_manager *mgr, uint32_t flags, bgcopy_job_enum **out)
{
    struct bgcopy__engine *e = mgr->engine;
    struct bgcopy_job_enum *en;
    struct emu_job *job;
    int all = (flags & BGCOPY_JOB_ENUM_ALL_USERS) != 0;
    uint32_t n = 0;

    if (all && !mgr->is_admin)
        return BGCOPY_E_ACCESSDENIED;
    en = bgcopy__calloc(1, sizeof(*en));
    if (en == NULL)
        return BGCOPY_E_OUTOFMEMORY;
    en->refs = 1;
    LOCK(e);
    for (job = e->jobs_head; job; job = job->next)
        if (all || strcmp(job->owner, mgr->user) == 0)
            n++;
    en->items = bgcopy__calloc(n ? n : 1, sizeof(*en->items));
    if (en->items == NULL) {
        UNLOCK(e);
        free(en);
        return BGCOPY_E_OUTOFMEMORY;
    }
    for (job = e->jobs_head; job; job = job->next)
        if (all || strcmp(job->owner, mgr->user) == 0)
            en->items[en->count++] = handle_out(job);
    UNLOCK(e);
    *out = en;
    return BGCOPY_S_OK;
}

static void free_handler(struct emu_handler *h)
{
    free(h->name);
    free(h->owner);
    free(h);
}

/* Registers (or replaces: the last registration wins) a named handler for
 * this manager's user, then delivers what jobs naming it are owed. */
static bgcopy_hr emu_register_handler(bgcopy_manager *mgr, const char *name,
                                      const bgcopy_callbacks *cb, void *user)
{
    struct bgcopy__engine *e = mgr->engine;
    struct emu_handler *h;

    LOCK(e);
    for (h = e->handlers; h; h = h->next)
        if (strcmp(h->name, name) == 0 && strcmp(h->owner, mgr->user) == 0)
            break;
    if (h == NULL) {
        h = bgcopy__calloc(1, sizeof(*h));
        if (h == NULL || (h->name = bgcopy__strdup(name)) == NULL ||
            (h->owner = bgcopy__strdup(mgr->user)) == NULL) {
            if (h)
                free_handler(h);
            UNLOCK(e);
            return BGCOPY_E_OUTOFMEMORY;
        }
        h->next = e->handlers;
        e->handlers = h;
    }
    h->mgr = mgr;
    h->cb = *cb;
    h->user = user;
    bgcopy__notify_handler_registered(e, h);
    UNLOCK(e);
    return BGCOPY_S_OK;
}

/* Removes this manager's registrations matching name (all when name is
 * NULL). Lock held. Returns the number removed. */
static int drop_handlers(struct bgcopy__engine *e, bgcopy_manager *mgr, const char *name)
{
    struct emu_handler **pp = &e->handlers;
    int n = 0;
    while (*pp) {
        struct emu_handler *h = *pp;
        if (h->mgr == mgr && (name == NULL || strcmp(h->name, name) == 0)) {
            *pp = h->next;
            free_handler(h);
            n++;
        } else {
            pp = &h->next;
        }
    }
    return n;
}

static bgcopy_hr emu_unregister_handler(bgcopy_manager *mgr, const char *name)
{
    struct bgcopy__engine *e = mgr->engine;
    int n;
    LOCK(e);
    n = drop_handlers(e, mgr, name);
    UNLOCK(e);
    return n ? BGCOPY_S_OK : BGCOPY_E_NOT_FOUND;
}

static void emu_close(bgcopy_manager *mgr)
{
    struct bgcopy__engine *e = mgr->engine;
    LOCK(e);
    (void)drop_handlers(e, mgr, NULL); /* registrations end with their manager */
    UNLOCK(e);
    free(mgr->user);
    free(mgr);
    bgcopy__engine_release(e);
}

/* ---- files ---------------------------------------------------------------------- */

void bgcopy__temp_name_draw(char *temp)
{
    char *base = strrchr(temp, '/') + 1;
    uint16_t r = 0;
    (void)bgcopy__sys_random(&r, sizeof(r));
    snprintf(base, sizeof("BITXXXX.tmp"), "BIT%04X.tmp", (unsigned)r);
}

/* A temporary name BIT<4 hex>.tmp beside local (not yet created). */
static char *temp_name_for(const char *local)
{
    size_t dirlen = (size_t)(strrchr(local, '/') - local) + 1;
    char *p = malloc(dirlen + sizeof("BITXXXX.tmp"));
    if (p == NULL)
        return NULL;
    memcpy(p, local, dirlen);
    memcpy(p + dirlen, "BITXXXX.tmp", sizeof("BITXXXX.tmp"));
    bgcopy__temp_name_draw(p);
    return p;
}

struct emu_file *bgcopy__file_alloc(struct emu_job *job)
{
    struct emu_file *f = bgcopy__calloc(1, sizeof(*f));

    if (f == NULL)
        return NULL;
    f->handle.ops = &bgcopy__emu_ops;
    f->handle.impl = f;
    f->job = job;
    f->bytes_total = BGCOPY_SIZE_UNKNOWN;
    f->remote_size = BGCOPY_SIZE_UNKNOWN;
    f->remote_mtime_us = INT64_MIN;
    return f;
}

void bgcopy__file_free(struct emu_file *f)
{
    free_file(f);
}

bgcopy_hr bgcopy__job_reserve_files(struct emu_job *job, uint32_t more)
{
    uint32_t cap = job->file_cap ? job->file_cap : 4;
    struct emu_file **nf;

    if (job->file_count + more <= job->file_cap)
        return BGCOPY_S_OK;
    while (cap < job->file_count + more)
        cap *= 2;
    nf = realloc(job->files, cap * sizeof(*nf));
    if (nf == NULL)
        return BGCOPY_E_OUTOFMEMORY;
    job->files = nf;
    job->file_cap = cap;
    return BGCOPY_S_OK;
}

static struct emu_file *new_file(struct emu_job *job, const bgcopy_file_info *info,
                                 uint32_t range_count, const bgcopy_file_range *ranges)
{
    struct emu_file *f = bgcopy__file_alloc(job);
    uint32_t i;

    if (f == NULL)
        return NULL;
    f->remote = bgcopy__strdup(info->remote_name);
    f->local = bgcopy__strdup(info->local_name);
    f->temp = f->local ? temp_name_for(f->local) : NULL;
    if (range_count) {
        f->ranges = malloc(range_count * sizeof(*ranges));
        if (f->ranges) {
            memcpy(f->ranges, ranges, range_count * sizeof(*ranges));
            f->range_count = range_count;
            f->bytes_total = 0;
            for (i = 0; i < range_count; i++) {
                if (ranges[i].length == BGCOPY_LENGTH_TO_EOF) {
                    f->bytes_total = BGCOPY_SIZE_UNKNOWN;
                    break;
                }
                f->bytes_total += ranges[i].length;
            }
        }
    }
    if (f->remote == NULL || f->local == NULL || f->temp == NULL ||
        (range_count && f->ranges == NULL)) {
        free_file(f);
        return NULL;
    }
    return f;
}

static bgcopy_hr emu_add_files(bgcopy_job *h, uint32_t count, const bgcopy_file_info *files,
                               uint32_t range_count, const bgcopy_file_range *ranges)
{
    struct emu_job *job = bgcopy__job_from_handle(h);
    struct bgcopy__engine *e = job->engine;
    struct emu_file **added = NULL;
    bgcopy_hr hr = BGCOPY_S_OK;
    uint32_t i, n = 0;

    LOCK(e);
    if (BGCOPY_FAILED(hr = bgcopy__job_call_check(BGCOPY__CALL_ADD_FILES, job->state)))
        goto out;
    if (range_count && job->type != BGCOPY_JOB_TYPE_DOWNLOAD) {
        hr = BGCOPY_E_NOTIMPL;
        goto out;
    }
    if (job->type != BGCOPY_JOB_TYPE_DOWNLOAD && job->file_count + count > 1) {
        hr = BGCOPY_E_TOO_MANY_FILES;
        goto out;
    }
    if (range_count && job->dynamic_content) {
        hr = BGCOPY_E_UNSUPPORTED_JOB_CONFIGURATION;
        goto out;
    }
    if (!job->owner_admin && range_count > e->max_ranges_per_file) {
        hr = BGCOPY_E_TOO_MANY_RANGES_IN_FILE;
        goto out;
    }
    if (!job->owner_admin && job->file_count + count > e->max_files_per_job) {
        hr = BGCOPY_E_TOO_MANY_FILES_IN_JOB;
        goto out;
    }
    if (count == 0)
        goto out;
    if (BGCOPY_FAILED(hr = bgcopy__job_reserve_files(job, count)))
        goto out;
    added = bgcopy__calloc(count, sizeof(*added));
    if (added == NULL) {
        hr = BGCOPY_E_OUTOFMEMORY;
        goto out;
    }
    for (n = 0; n < count; n++) {
        added[n] = new_file(job, &files[n], range_count, ranges);
        if (added[n] == NULL) {
            hr = BGCOPY_E_OUTOFMEMORY;
            goto out;
        }
    }
    for (i = 0; i < count; i++) {
        added[i]->index = job->file_count;
        job->files[job->file_count++] = added[i];
    }
    bgcopy__job_touch(job);
    /* AddFile returns S_OK only once the files are in the store. */
    if (BGCOPY_FAILED(hr = bgcopy__store_save(job))) {
        job->file_count -= count;
        goto out;
    }
    n = 0; /* now owned by the job */
    bgcopy__notify_modified(job);
out:
    for (i = 0; i < n; i++)
        if (added[i])
            free_file(added[i]);
    free(added);
    UNLOCK(e);
    return hr;
}

static bgcopy_hr emu_enum_files(bgcopy_job *h, bgcopy_file_enum **out)
{
    struct emu_job *job = bgcopy__job_from_handle(h);
    struct bgcopy__engine *e = job->engine;
    struct bgcopy_file_enum *en = bgcopy__calloc(1, sizeof(*en));
    uint32_t i;

    if (en == NULL)
        return BGCOPY_E_OUTOFMEMORY;
    en->refs = 1;
    LOCK(e);
    en->items = bgcopy__calloc(job->file_count ? job->file_count : 1, sizeof(*en->items));
    if (en->items == NULL) {
        UNLOCK(e);
        free(en);
        return BGCOPY_E_OUTOFMEMORY;
    }
    for (i = 0; i < job->file_count; i++) {
        emu_file_addref(&job->files[i]->handle);
        en->items[en->count++] = &job->files[i]->handle;
    }
    UNLOCK(e);
    *out = en;
    return BGCOPY_S_OK;
}

static bgcopy_hr emu_replace_remote_prefix(bgcopy_job *h, const char *old_prefix,
                                           const char *new_prefix)
{
    struct emu_job *job = bgcopy__job_from_handle(h);
    struct bgcopy__engine *e = job->engine;
    size_t olen = strlen(old_prefix), nlen = strlen(new_prefix);
    char **names = NULL;
    uint32_t i, matched = 0;
    bgcopy_hr hr = BGCOPY_S_OK;

    LOCK(e);
    if (job->type != BGCOPY_JOB_TYPE_DOWNLOAD) {
        hr = BGCOPY_E_NOTIMPL;
        goto out;
    }
    if (BGCOPY_FAILED(hr = bgcopy__job_call_check(BGCOPY__CALL_REPLACE_REMOTE_PREFIX, job->state)))
        goto out;
    names = bgcopy__calloc(job->file_count ? job->file_count : 1, sizeof(*names));
    if (names == NULL) {
        hr = BGCOPY_E_OUTOFMEMORY;
        goto out;
    }
    /* Build and validate every new name first: all or nothing. */
    for (i = 0; i < job->file_count; i++) {
        const char *r = job->files[i]->remote;
        size_t rlen = strlen(r);
        int kind;
        if (job->files[i]->transferred || strncmp(r, old_prefix, olen) != 0)
            continue;
        names[i] = malloc(nlen + rlen - olen + 1);
        if (names[i] == NULL) {
            hr = BGCOPY_E_OUTOFMEMORY;
            goto out;
        }
        memcpy(names[i], new_prefix, nlen);
        memcpy(names[i] + nlen, r + olen, rlen - olen + 1);
        if (BGCOPY_FAILED(bgcopy__validate_remote(names[i], &kind))) {
            hr = BGCOPY_E_INVALIDARG;
            goto out;
        }
        matched++;
    }
    if (matched == 0) {
        hr = BGCOPY_S_FALSE;
        goto out;
    }
    if (bgcopy__job_state_is_active(job->state))
        bgcopy__job_apply(job, BGCOPY__EV_PREEMPT);
    for (i = 0; i < job->file_count; i++) {
        if (names[i] == NULL)
            continue;
        free(job->files[i]->remote);
        job->files[i]->remote = names[i];
        names[i] = NULL;
        /* Progress is kept: as for SetRemoteName, the next HEAD restarts the
         * file only if size or date differ (reference §8.4). */
    }
    bgcopy__job_touch(job);
    (void)bgcopy__store_save(job);
    bgcopy__notify_modified(job);
out:
    if (names)
        for (i = 0; i < job->file_count; i++)
            free(names[i]);
    free(names);
    UNLOCK(e);
    return hr;
}

/* ---- control ---------------------------------------------------------------------- */

static int all_files_transferred(const struct emu_job *job)
{
    uint32_t i;
    for (i = 0; i < job->file_count; i++)
        if (!job->files[i]->transferred)
            return 0;
    return 1;
}

static bgcopy_hr emu_resume(bgcopy_job *h)
{
    struct emu_job *job = bgcopy__job_from_handle(h);
    struct bgcopy__engine *e = job->engine;
    bgcopy_hr hr = BGCOPY_S_OK;

    LOCK(e);
    if (BGCOPY_FAILED(hr = bgcopy__job_call_check(BGCOPY__CALL_RESUME, job->state)))
        goto out;
    if (job->file_count == 0) {
        hr = BGCOPY_E_EMPTY;
        goto out;
    }
    if (job->type != BGCOPY_JOB_TYPE_DOWNLOAD) {
        /* Uploads need the BITS upload protocol, which the emulation does
         * not implement yet. */
        hr = BGCOPY_E_NOTIMPL;
        goto out;
    }
    job->resumed_once = 1;
    switch (job->state) {
    case BGCOPY_JOB_STATE_QUEUED:
    case BGCOPY_JOB_STATE_CONNECTING:
    case BGCOPY_JOB_STATE_TRANSFERRING:
        break; /* already running: unchanged */
    case BGCOPY_JOB_STATE_TRANSFERRED:
        if (all_files_transferred(job))
            break; /* nothing new to transfer: stays TRANSFERRED */
        bgcopy__job_touch(job);
        bgcopy__job_apply(job, BGCOPY__EV_RESUME);
        break;
    default:
        bgcopy__job_clear_error(job);
        bgcopy__job_touch(job);
        bgcopy__job_apply(job, BGCOPY__EV_RESUME);
        break;
    }
out:
    UNLOCK(e);
    return hr;
}

static bgcopy_hr emu_suspend(bgcopy_job *h)
{
    struct emu_job *job = bgcopy__job_from_handle(h);
    struct bgcopy__engine *e = job->engine;
    bgcopy_hr hr = BGCOPY_S_OK;

    LOCK(e);
    hr = bgcopy__job_call_check(BGCOPY__CALL_SUSPEND, job->state);
    if (BGCOPY_SUCCEEDED(hr) && job->state != BGCOPY_JOB_STATE_SUSPENDED) {
        bgcopy__job_touch(job);
        bgcopy__job_apply(job, BGCOPY__EV_SUSPEND);
    }
    UNLOCK(e);
    return hr;
}

/* Cancels job (lock held): also used by the inactivity timeout. */
bgcopy_hr bgcopy__job_cancel_locked(struct emu_job *job)
{
    int failed = 0;
    bgcopy__transfer_abort(job);
    bgcopy__job_delete_temps(job, 0, &failed);
    bgcopy__job_apply(job, BGCOPY__EV_CANCEL);
    bgcopy__job_leave_engine(job);
    return failed ? BGCOPY_S_UNABLE_TO_DELETE_FILES : BGCOPY_S_OK;
}

static bgcopy_hr emu_cancel(bgcopy_job *h)
{
    struct emu_job *job = bgcopy__job_from_handle(h);
    struct bgcopy__engine *e = job->engine;
    bgcopy_hr hr;

    LOCK(e);
    hr = bgcopy__job_call_check(BGCOPY__CALL_CANCEL, job->state);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy__job_cancel_locked(job);
    UNLOCK(e);
    return hr;
}

static bgcopy_hr commit_file_as_owner(struct emu_file *f);

/* Moves one finished temp file to its local name: fsync, rename, and give the
 * file the server's modification time; the caller fsyncs the directory. As the
 * job's owner (a system-wide service: core/sys.h). A simulation does not
 * fsync: its files are real, their durability is not what a simulated run
 * tests, and the two fsyncs were a quarter of its time. */
static bgcopy_hr commit_file(struct emu_file *f)
{
    bgcopy__act act;
    bgcopy_hr hr = bgcopy__sys_act_begin(f->job->owner, 0, &act);
    if (BGCOPY_SUCCEEDED(hr))
        hr = commit_file_as_owner(f);
    bgcopy__sys_act_end(&act);
    return hr;
}

static bgcopy_hr commit_file_as_owner(struct emu_file *f)
{
    int durable = f->job->engine->sim == NULL;
    bgcopy_hr hr;
    int fd;

    if (!f->temp_exists) {
        /* A zero-length file whose temp file was never needed. */
        hr = bgcopy__fs_create_excl(f->temp, &fd);
        if (BGCOPY_FAILED(hr))
            return hr;
        bgcopy__fs_close(fd);
        f->temp_exists = 1;
    }
    if (durable) {
        hr = bgcopy__fs_open(f->temp, 1, &fd);
        if (BGCOPY_FAILED(hr))
            return hr;
        hr = bgcopy__fs_fsync(fd);
        bgcopy__fs_close(fd);
        if (BGCOPY_FAILED(hr))
            return hr;
    }
    hr = bgcopy__fs_rename(f->temp, f->local);
    if (BGCOPY_FAILED(hr))
        return hr;
    f->temp_exists = 0;
    f->completed = 1;
    if (f->remote_mtime_us != INT64_MIN)
        (void)bgcopy__fs_set_mtime(f->local, f->remote_mtime_us);
    return BGCOPY_S_OK;
}

/* Makes Complete's renames durable: fsyncs each directory that received a file,
 * once (a job's files usually share one). Not in a simulation (commit_file). */
static void sync_directories(struct emu_job *job)
{
    uint32_t i, k;

    if (job->engine->sim != NULL)
        return;
    for (i = 0; i < job->file_count; i++) {
        const char *a = job->files[i]->local;
        size_t alen = (size_t)(strrchr(a, '/') - a);
        int seen = 0;
        if (!job->files[i]->completed)
            continue;
        for (k = 0; k < i && !seen; k++) {
            const char *b = job->files[k]->local;
            seen = job->files[k]->completed && (size_t)(strrchr(b, '/') - b) == alen &&
                   memcmp(a, b, alen) == 0;
        }
        if (!seen)
            (void)bgcopy__fs_fsync_parent(a);
    }
}

static bgcopy_hr emu_complete(bgcopy_job *h)
{
    struct emu_job *job = bgcopy__job_from_handle(h);
    struct bgcopy__engine *e = job->engine;
    bgcopy_hr hr = BGCOPY_S_OK;
    int whole = 1, failed = 0;
    uint32_t i;

    LOCK(e);
    hr =
        bgcopy__job_call_check(job->type == BGCOPY_JOB_TYPE_DOWNLOAD ? BGCOPY__CALL_COMPLETE
                                                                     : BGCOPY__CALL_COMPLETE_UPLOAD,
                               job->state);
    if (BGCOPY_FAILED(hr))
        goto out;
    if (bgcopy__job_state_is_active(job->state))
        bgcopy__job_apply(job, BGCOPY__EV_PREEMPT);
    /* Write-ahead: a crash while files are being renamed is finished at the next open. */
    job->completing = 1;
    if (BGCOPY_FAILED(hr = bgcopy__store_save(job))) {
        job->completing = 0;
        goto out;
    }
    for (i = 0; i < job->file_count; i++) {
        struct emu_file *f = job->files[i];
        if (!f->transferred) {
            whole = 0;
            continue;
        }
        if (f->completed)
            continue;
        hr = commit_file(f);
        if (BGCOPY_FAILED(hr)) {
            /* The job stays; files renamed so far report completed. */
            sync_directories(job);
            job->completing = 0;
            bgcopy__job_touch(job);
            (void)bgcopy__store_save(job);
            goto out;
        }
    }
    sync_directories(job);
    bgcopy__job_delete_temps(job, 1, &failed);
    bgcopy__job_apply(job, BGCOPY__EV_COMPLETE);
    bgcopy__job_leave_engine(job);
    if (failed)
        hr = BGCOPY_S_UNABLE_TO_DELETE_FILES;
    else if (!whole)
        hr = BGCOPY_S_PARTIAL_COMPLETE;
    else
        hr = BGCOPY_S_OK;
out:
    UNLOCK(e);
    return hr;
}

/* ---- properties -------------------------------------------------------------------- */

static bgcopy_hr emu_get_info(bgcopy_job *h, struct bgcopy__job_info *info)
{
    struct emu_job *job = bgcopy__job_from_handle(h);
    struct bgcopy__engine *e = job->engine;

    LOCK(e);
    memset(info, 0, sizeof(*info));
    info->id = job->id;
    info->type = job->type;
    info->state = job->state;
    info->priority = job->priority;
    bgcopy__job_progress(job, &info->progress);
    info->times.creation_time = job->creation_time;
    info->times.modification_time = job->modification_time;
    info->times.transfer_completion_time = job->transfer_completion_time;
    info->error_count = job->error_count;
    info->notify_flags = job->notify_flags;
    info->retry_delay = job->retry_delay;
    info->no_progress_timeout = job->no_progress_timeout;
    info->max_download_time = job->max_download_time;
    info->proxy_usage = job->proxy_usage;
    info->security_flags = job->security_flags;
    info->cost_flags = job->cost_flags;
    info->dynamic_content = job->dynamic_content;
    info->high_performance = job->high_performance;
    info->on_demand = job->on_demand;
    info->max_download_size = job->max_download_size;
    info->min_notify_interval_ms = job->min_notify_interval_ms;
    info->notification_clsid = job->notification_clsid;
    info->has_custom_headers = job->custom_headers != NULL;
    UNLOCK(e);
    return BGCOPY_S_OK;
}

static bgcopy_hr emu_get_string(bgcopy_job *h, int which, char **out)
{
    struct emu_job *job = bgcopy__job_from_handle(h);
    struct bgcopy__engine *e = job->engine;
    const char *s = NULL;
    bgcopy_hr hr = BGCOPY_S_OK;

    LOCK(e);
    switch (which) {
    case BGCOPY__STR_DISPLAY_NAME:
        s = job->name;
        break;
    case BGCOPY__STR_DESCRIPTION:
        s = job->description ? job->description : "";
        break;
    case BGCOPY__STR_OWNER:
        s = job->owner;
        break;
    case BGCOPY__STR_PROXY_LIST:
        s = job->proxy_list;
        break;
    case BGCOPY__STR_PROXY_BYPASS:
        s = job->proxy_bypass;
        break;
    case BGCOPY__STR_CUSTOM_HEADERS:
        s = job->custom_headers;
        if (s == NULL)
            hr = BGCOPY_S_FALSE;
        break;
    case BGCOPY__STR_CMD_PROGRAM:
        s = job->cmd_program ? job->cmd_program : "";
        break;
    case BGCOPY__STR_CMD_PARAMETERS:
        s = job->cmd_parameters ? job->cmd_parameters : "";
        break;
    case BGCOPY__STR_HANDLER:
        s = job->handler_name;
        if (s == NULL)
            hr = BGCOPY_S_FALSE;
        break;
    default:
        hr = BGCOPY_E_INVALIDARG;
        break;
    }
    if (BGCOPY_SUCCEEDED(hr)) {
        bgcopy_hr dhr = bgcopy__dup_out(s, out);
        if (BGCOPY_FAILED(dhr))
            hr = dhr;
    }
    UNLOCK(e);
    return hr;
}

static bgcopy_hr new_error_object(struct emu_job *job, bgcopy_error **out)
{
    bgcopy_error *err = bgcopy__calloc(1, sizeof(*err));
    if (err == NULL)
        return BGCOPY_E_OUTOFMEMORY;
    err->ops = &bgcopy__emu_ops;
    err->refs = 1;
    err->job = job;
    err->file = job->error_file;
    err->context = job->error_context;
    err->code = job->error_code;
    err->protocol = job->error_protocol;
    bgcopy__job_user_ref(job);
    *out = err;
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__job_error_object(struct emu_job *job, bgcopy_error **out)
{
    return new_error_object(job, out);
}

static bgcopy_hr emu_get_error(bgcopy_job *h, bgcopy_error **out)
{
    struct emu_job *job = bgcopy__job_from_handle(h);
    struct bgcopy__engine *e = job->engine;
    bgcopy_hr hr;

    LOCK(e);
    if (!job->has_error ||
        (job->state != BGCOPY_JOB_STATE_ERROR && job->state != BGCOPY_JOB_STATE_TRANSIENT_ERROR))
        hr = BGCOPY_E_ERROR_INFORMATION_UNAVAILABLE;
    else
        hr = new_error_object(job, out);
    UNLOCK(e);
    return hr;
}

static void emu_error_release(bgcopy_error *err)
{
    if (bgcopy__atomic_dec(&err->refs) != 0)
        return;
    bgcopy__job_user_unref(err->job);
    free(err);
}

static bgcopy_hr emu_error_get_file(bgcopy_error *err, bgcopy_file **file)
{
    if (err->file == NULL) {
        *file = NULL;
        return BGCOPY_E_FILE_NOT_AVAILABLE;
    }
    emu_file_addref(&err->file->handle);
    *file = &err->file->handle;
    return BGCOPY_S_OK;
}

/* Replaces *slot with a copy of s (NULL clears). */
static bgcopy_hr replace_string(char **slot, const char *s)
{
    char *copy = NULL;
    if (s && (copy = bgcopy__strdup(s)) == NULL)
        return BGCOPY_E_OUTOFMEMORY;
    free(*slot);
    *slot = copy;
    return BGCOPY_S_OK;
}

static bgcopy_hr set_job5(struct emu_job *job, bgcopy_job_property_id id,
                          const bgcopy_job_property_value *v)
{
    int download = job->type == BGCOPY_JOB_TYPE_DOWNLOAD;
    switch (id) {
    case BGCOPY_JOB_PROPERTY_ID_COST_FLAGS:
        job->cost_flags = v->dword;
        return BGCOPY_S_OK;
    case BGCOPY_JOB_PROPERTY_NOTIFICATION_CLSID:
        job->notification_clsid = v->clsid;
        return BGCOPY_S_OK;
    case BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT:
        if (!download)
            return BGCOPY_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY;
        if (job->resumed_once)
            return BGCOPY_E_READ_ONLY_PROPERTY_AFTER_RESUME;
        if (v->enable) {
            /* Not with file ranges (reference §8.3), as in emu_add_files. */
            uint32_t i;
            for (i = 0; i < job->file_count; i++)
                if (job->files[i]->range_count)
                    return BGCOPY_E_UNSUPPORTED_JOB_CONFIGURATION;
        }
        job->dynamic_content = v->enable != 0;
        return BGCOPY_S_OK;
    case BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE:
        if (!download)
            return BGCOPY_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY;
        if (job->file_count)
            return BGCOPY_E_READ_ONLY_PROPERTY_AFTER_ADDFILE;
        job->high_performance = v->enable != 0;
        return BGCOPY_S_OK;
    case BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE:
        if (!download)
            return BGCOPY_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY;
        if (job->resumed_once)
            return BGCOPY_E_READ_ONLY_PROPERTY_AFTER_RESUME;
        job->max_download_size = v->uint64;
        return BGCOPY_S_OK;
    case BGCOPY_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS:
        job->min_notify_interval_ms = v->dword;
        return BGCOPY_S_OK;
    case BGCOPY_JOB_PROPERTY_ON_DEMAND_MODE:
        if (!download)
            return BGCOPY_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY;
        /* Random-access (File6) transfers are not emulated. */
        return v->enable ? BGCOPY_E_NOTIMPL : BGCOPY_S_OK;
    case BGCOPY_JOB_PROPERTY_USE_STORED_CREDENTIALS:
        if (v->target != BGCOPY_AUTH_TARGET_PROXY)
            return BGCOPY_E_USE_STORED_CREDENTIALS_NOT_SUPPORTED;
        return BGCOPY_E_NOTIMPL; /* no credential store on this platform */
    default:
        return BGCOPY_E_UNKNOWN_PROPERTY_ID;
    }
}

static bgcopy_hr emu_set_property(bgcopy_job *h, int which, const struct bgcopy__prop_value *v)
{
    struct emu_job *job = bgcopy__job_from_handle(h);
    struct bgcopy__engine *e = job->engine;
    bgcopy_hr hr = BGCOPY_S_OK;
    struct emu_cred *cred;

    LOCK(e);
    if (BGCOPY_FAILED(hr = bgcopy__job_call_check(BGCOPY__CALL_SET_PROPERTY, job->state)))
        goto out;
    switch (which) {
    case BGCOPY__PROP_DISPLAY_NAME:
        hr = replace_string(&job->name, v->s1);
        break;
    case BGCOPY__PROP_DESCRIPTION:
        hr = replace_string(&job->description, v->s1);
        break;
    case BGCOPY__PROP_PRIORITY:
        if (job->priority != (bgcopy_job_priority)v->u) {
            job->priority = (bgcopy_job_priority)v->u;
            bgcopy__engine_kick(e);
        }
        break;
    case BGCOPY__PROP_NOTIFY_FLAGS:
        job->notify_flags = v->u;
        break;
    case BGCOPY__PROP_RETRY_DELAY:
        job->retry_delay = v->u < BGCOPY__MIN_RETRY_DELAY ? BGCOPY__MIN_RETRY_DELAY : v->u;
        break;
    case BGCOPY__PROP_NO_PROGRESS: {
        uint32_t old = job->no_progress_timeout;
        job->no_progress_timeout = v->u;
        bgcopy__timers_no_progress_changed(job, old);
        break;
    }
    case BGCOPY__PROP_MAX_DOWNLOAD_TIME:
        job->max_download_time = v->u;
        bgcopy__timers_max_download_changed(job);
        break;
    case BGCOPY__PROP_PROXY:
        if (BGCOPY_SUCCEEDED(hr = replace_string(&job->proxy_list, v->s1)) &&
            BGCOPY_SUCCEEDED(hr = replace_string(&job->proxy_bypass, v->s2)))
            job->proxy_usage = (bgcopy_proxy_usage)v->u;
        break;
    case BGCOPY__PROP_CREDENTIALS:
        cred = &job->creds[v->u][v->u2];
        if (BGCOPY_SUCCEEDED(hr = replace_string(&cred->user, v->s1)) &&
            BGCOPY_SUCCEEDED(hr = replace_string(&cred->password, v->s2)))
            cred->set = 1;
        break;
    case BGCOPY__PROP_REMOVE_CREDENTIALS:
        cred = &job->creds[v->u][v->u2];
        replace_string(&cred->user, NULL);
        replace_string(&cred->password, NULL);
        hr = cred->set ? BGCOPY_S_OK : BGCOPY_S_FALSE;
        cred->set = 0;
        break;
    case BGCOPY__PROP_CMD_LINE:
        if (BGCOPY_SUCCEEDED(hr = replace_string(&job->cmd_program, v->s1)))
            hr = replace_string(&job->cmd_parameters, v->s2);
        if (BGCOPY_SUCCEEDED(hr))
            bgcopy__notify_owed(job); /* a command line set after the event still runs */
        break;
    case BGCOPY__PROP_HANDLER:
        hr = replace_string(&job->handler_name, v->s1);
        if (BGCOPY_SUCCEEDED(hr))
            bgcopy__notify_owed(job);
        break;
    case BGCOPY__PROP_CUSTOM_HEADERS:
        hr = replace_string(&job->custom_headers, v->s1);
        break;
    case BGCOPY__PROP_SECURITY_FLAGS:
        job->security_flags = v->u;
        break;
    case BGCOPY__PROP_JOB5:
        hr = set_job5(job, v->job5_id, &v->job5);
        break;
    default:
        hr = BGCOPY_E_INVALIDARG;
        break;
    }
    if (BGCOPY_SUCCEEDED(hr)) {
        bgcopy__job_touch(job);
        (void)bgcopy__store_save(job);
        bgcopy__notify_modified(job);
    }
out:
    UNLOCK(e);
    return hr;
}

static bgcopy_hr emu_set_callbacks(bgcopy_job *h, const bgcopy_callbacks *cb, void *user)
{
    struct emu_job *job = bgcopy__job_from_handle(h);
    struct bgcopy__engine *e = job->engine;
    bgcopy_hr hr = BGCOPY_S_OK;

    LOCK(e);
    hr = bgcopy__job_call_check(BGCOPY__CALL_SET_CALLBACKS, job->state);
    if (BGCOPY_SUCCEEDED(hr) && cb == NULL) {
        job->cb_registered = 0;
        memset(&job->cb, 0, sizeof(job->cb));
        job->cb_user = NULL;
        bgcopy__notify_owed(job); /* a handler or command line takes over */
    } else if (BGCOPY_SUCCEEDED(hr)) {
        job->cb = *cb;
        job->cb_user = user;
        job->cb_registered = 1;
        bgcopy__notify_registered(job);
    }
    UNLOCK(e);
    return hr;
}

static bgcopy_hr emu_get_callbacks(bgcopy_job *h, int *registered, bgcopy_callbacks *cb,
                                   void **user)
{
    struct emu_job *job = bgcopy__job_from_handle(h);
    struct bgcopy__engine *e = job->engine;

    LOCK(e);
    *registered = job->cb_registered;
    if (cb)
        *cb = job->cb;
    if (user)
        *user = job->cb_user;
    UNLOCK(e);
    return BGCOPY_S_OK;
}

/* ---- file objects ------------------------------------------------------------------- */

static bgcopy_hr emu_file_get_string(bgcopy_file *h, int which, char **out)
{
    struct emu_file *f = file_from_handle(h);
    struct bgcopy__engine *e = f->job->engine;
    bgcopy_hr hr;

    LOCK(e);
    switch (which) {
    case BGCOPY__STR_FILE_REMOTE:
        hr = bgcopy__dup_out(f->remote, out);
        break;
    case BGCOPY__STR_FILE_LOCAL:
        hr = bgcopy__dup_out(f->local, out);
        break;
    case BGCOPY__STR_FILE_TEMP:
        hr = bgcopy__dup_out(f->temp, out);
        break;
    default:
        hr = BGCOPY_E_INVALIDARG;
        break;
    }
    UNLOCK(e);
    return hr;
}

static bgcopy_hr emu_file_get_progress(bgcopy_file *h, bgcopy_file_progress *p)
{
    struct emu_file *f = file_from_handle(h);
    struct bgcopy__engine *e = f->job->engine;

    LOCK(e);
    p->bytes_total = f->bytes_total;
    p->bytes_transferred = f->bytes_transferred;
    p->completed = f->completed;
    UNLOCK(e);
    return BGCOPY_S_OK;
}

static bgcopy_hr emu_file_get_ranges(bgcopy_file *h, uint32_t *count, bgcopy_file_range **r)
{
    struct emu_file *f = file_from_handle(h);
    struct bgcopy__engine *e = f->job->engine;
    bgcopy_hr hr = BGCOPY_S_OK;

    LOCK(e);
    *count = 0;
    *r = NULL;
    if (f->range_count) {
        *r = malloc(f->range_count * sizeof(**r));
        if (*r == NULL) {
            hr = BGCOPY_E_OUTOFMEMORY;
        } else {
            memcpy(*r, f->ranges, f->range_count * sizeof(**r));
            *count = f->range_count;
        }
    }
    UNLOCK(e);
    return hr;
}

static bgcopy_hr emu_file_set_remote_name(bgcopy_file *h, const char *url)
{
    struct emu_file *f = file_from_handle(h);
    struct emu_job *job = f->job;
    struct bgcopy__engine *e = job->engine;
    bgcopy_hr hr = BGCOPY_S_OK;
    char *copy;

    LOCK(e);
    if (job->type != BGCOPY_JOB_TYPE_DOWNLOAD) {
        hr = BGCOPY_E_NOTIMPL;
        goto out;
    }
    if (BGCOPY_FAILED(hr = bgcopy__job_call_check(BGCOPY__CALL_SET_REMOTE_NAME, job->state)))
        goto out;
    if (f->transferred) {
        /* Completed files are never re-fetched: the new name is recorded. */
        hr = replace_string(&f->remote, url);
        if (BGCOPY_SUCCEEDED(hr))
            (void)bgcopy__store_save(job);
        goto out;
    }
    copy = bgcopy__strdup(url);
    if (copy == NULL) {
        hr = BGCOPY_E_OUTOFMEMORY;
        goto out;
    }
    if (job->xfer_file == f && bgcopy__job_state_is_active(job->state))
        bgcopy__job_apply(job, BGCOPY__EV_PREEMPT);
    free(f->remote);
    f->remote = copy;
    /* The next attempt compares size and date with what was seen before and
     * restarts the file only if they differ (reference §8.4). */
    bgcopy__job_touch(job);
    (void)bgcopy__store_save(job);
    bgcopy__notify_modified(job);
out:
    UNLOCK(e);
    return hr;
}

const struct bgcopy__engine_ops bgcopy__emu_ops = {
    .name = "emulated",
    .create_job = emu_create_job,
    .get_job = emu_get_job,
    .enum_jobs = emu_enum_jobs,
    .close = emu_close,
    .register_handler = emu_register_handler,
    .unregister_handler = emu_unregister_handler,
    .job_addref = emu_job_addref,
    .job_release = emu_job_release,
    .add_files = emu_add_files,
    .enum_files = emu_enum_files,
    .replace_remote_prefix = emu_replace_remote_prefix,
    .resume = emu_resume,
    .suspend = emu_suspend,
    .cancel = emu_cancel,
    .complete = emu_complete,
    .get_info = emu_get_info,
    .get_string = emu_get_string,
    .get_error = emu_get_error,
    .set_property = emu_set_property,
    .set_callbacks = emu_set_callbacks,
    .get_callbacks = emu_get_callbacks,
    .file_addref = emu_file_addref,
    .file_release = emu_file_release,
    .file_get_string = emu_file_get_string,
    .file_get_progress = emu_file_get_progress,
    .file_get_ranges = emu_file_get_ranges,
    .file_set_remote_name = emu_file_set_remote_name,
    .error_release = emu_error_release,
    .error_get_file = emu_error_get_file,
};
