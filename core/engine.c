/* engine.c - lifetime, clock and timer heap of the emulated engine, and the
 * real-mode runner and notification threads.
 *
 * An engine is one "machine": every user's jobs, the policy limits and the
 * timer heap. A simulated engine (owned by a bgcopy_sim) reads the virtual
 * clock and is driven by the simulation's run functions; a real engine reads
 * the system clock and runs two threads: the runner, which fires due timers
 * (scheduling, transfer steps, job timers), and the notifier, which calls
 * the application's callbacks with the engine lock released.
 *
 * Lifetime: the engine is reference counted. Managers and every job object an
 * application holds keep it alive; when the count reaches zero the threads
 * are stopped and everything is freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core-int.h"

/* ---- timer heap ------------------------------------------------------------------ */

static int timer_less(const bgcopy__timer *a, const bgcopy__timer *b)
{
    if (a->due != b->due)
        return a->due < b->due;
    return a->seq < b->seq;
}

static void heap_set(struct bgcopy__engine *e, size_t i, bgcopy__timer *t)
{
    e->heap[i] = t;
    t->index = i + 1;
}

static void heap_up(struct bgcopy__engine *e, size_t i)
{
    bgcopy__timer *t = e->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_less(t, e->heap[parent]))
            break;
        heap_set(e, i, e->heap[parent]);
        i = parent;
    }
    heap_set(e, i, t);
}

static void heap_down(struct bgcopy__engine *e, size_t i)
{
    bgcopy__timer *t = e->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const bgcopy__timer *best = t;
        if (l < e->heap_len && timer_less(e->heap[l], best)) {
            m = l;
            best = e->heap[l];
        }
        if (r < e->heap_len && timer_less(e->heap[r], best))
            m = r;
        if (m == i)
            break;
        heap_set(e, i, e->heap[m]);
        i = m;
    }
    heap_set(e, i, t);
}

void bgcopy__timer_init(bgcopy__timer *t, void (*fn)(struct bgcopy__engine *, bgcopy__timer *),
                        void *data, int active)
{
    memset(t, 0, sizeof(*t));
    t->fn = fn;
    t->data = data;
    t->active = active;
}

int bgcopy__timer_armed(const bgcopy__timer *t)
{
    return t->index != 0;
}

void bgcopy__timer_disarm(struct bgcopy__engine *e, bgcopy__timer *t)
{
    size_t i;
    bgcopy__timer *last;

    if (t->index == 0)
        return;
    i = t->index - 1;
    t->index = 0;
    if (t->active)
        e->active_armed--;
    last = e->heap[--e->heap_len];
    if (i == e->heap_len)
        return;
    heap_set(e, i, last);
    heap_up(e, i);
    heap_down(e, last->index - 1);
}

void bgcopy__timer_arm(struct bgcopy__engine *e, bgcopy__timer *t, int64_t due)
{
    bgcopy__timer_disarm(e, t);
    if (e->heap_len == e->heap_cap) {
        size_t cap = e->heap_cap ? e->heap_cap * 2 : 64;
        bgcopy__timer **h = realloc(e->heap, cap * sizeof(*h));
        if (h == NULL)
            abort(); /* a timer that cannot be armed would silently stall a job */
        e->heap = h;
        e->heap_cap = cap;
    }
    t->due = due;
    t->seq = ++e->timer_seq;
    if (t->active)
        e->active_armed++;
    heap_set(e, e->heap_len, t);
    e->heap_len++;
    heap_up(e, e->heap_len - 1);
    bgcopy__engine_signal(e);
}

bgcopy__timer *bgcopy__engine_next_timer(struct bgcopy__engine *e)
{
    return e->heap_len ? e->heap[0] : NULL;
}

size_t bgcopy__engine_run_due(struct bgcopy__engine *e, int64_t now)
{
    size_t n = 0;
    while (e->heap_len && e->heap[0]->due <= now) {
        bgcopy__timer *t = e->heap[0];
        bgcopy__timer_disarm(e, t);
        t->fn(e, t);
        n++;
    }
    return n;
}

/* ---- clock -------------------------------------------------------------------------- */

int64_t bgcopy__engine_now(const struct bgcopy__engine *e)
{
    return e->sim ? e->sim_now_us : bgcopy__sys_mono_us();
}

int64_t bgcopy__engine_wall(const struct bgcopy__engine *e)
{
    return e->sim ? e->sim_wall_origin_us + e->sim_now_us : bgcopy__sys_wall_us();
}

bgcopy_filetime bgcopy__engine_filetime(const struct bgcopy__engine *e)
{
    int64_t us = bgcopy__engine_wall(e);
    return (bgcopy_filetime)(us * 10) + BGCOPY_FILETIME_UNIX_EPOCH * 10000000ULL;
}

/* ---- scheduling pass --------------------------------------------------------------- */

static void sched_timer_fn(struct bgcopy__engine *e, bgcopy__timer *t)
{
    bgcopy__sched_run(e);
}

static void note_timer_fn(struct bgcopy__engine *e, bgcopy__timer *t)
{
    /* Nothing to do here: a simulated engine dispatches due notifications
     * after every timer it runs; this timer only makes the simulation's clock
     * stop at the notification's due time. */
}

void bgcopy__engine_kick(struct bgcopy__engine *e)
{
    if (!bgcopy__timer_armed(&e->sched_timer))
        bgcopy__timer_arm(e, &e->sched_timer, bgcopy__engine_now(e));
}

void bgcopy__engine_signal(struct bgcopy__engine *e)
{
    if (e->wake)
        bgcopy__cond_signal(e->wake);
}

struct bgcopy__transport *bgcopy__engine_transport_for(struct bgcopy__engine *e, const char *url)
{
    size_t i;
    for (i = 0; i < e->transport_count; i++) {
        struct bgcopy__transport *tp = e->transports[i];
        if (tp->accepts(tp, url))
            return tp;
    }
    return NULL;
}

/* ---- real-mode threads ------------------------------------------------------------ */

static void runner_main(void *arg)
{
    struct bgcopy__engine *e = arg;
    bgcopy__mutex_lock(e->lock);
    while (!e->stop) {
        bgcopy__timer *next;
        bgcopy__engine_run_due(e, bgcopy__sys_mono_us());
        next = bgcopy__engine_next_timer(e);
        if (e->stop)
            break;
        bgcopy__cond_wait_until(e->wake, e->lock, next ? next->due : -1);
    }
    bgcopy__mutex_unlock(e->lock);
}

static void engine_free(struct bgcopy__engine *e);

static int is_notifier(const struct bgcopy__engine *e, uintptr_t self)
{
    size_t i;
    for (i = 0; i < e->notifier_count; i++)
        if (e->notifier_ids[i] == self)
            return 1;
    return 0;
}

/* One thread of the notification pool: delivers due notifications, one at a
 * time, with the engine lock released around each callback. The pool has
 * more threads than one user may have notifications in flight, so a user
 * whose four callbacks block does not stall another user's. */
static void notifier_main(void *arg)
{
    struct bgcopy__engine *e = arg;
    uintptr_t self = bgcopy__thread_self();
    size_t i;

    bgcopy__mutex_lock(e->lock);
    while (!e->stop) {
        int64_t due;
        if (bgcopy__notify_dispatch(e) > 0)
            continue;
        due = bgcopy__notify_next_due(e);
        if (e->stop)
            break;
        bgcopy__cond_wait_until(e->note_wake, e->lock, due == INT64_MAX ? -1 : due);
    }
    bgcopy__mutex_unlock(e->lock);
    if (e->self_destroy == self) {
        /* The last reference was dropped by a callback on this thread: finish
         * the shutdown here, since a thread cannot join itself. */
        bgcopy__thread_join(e->runner);
        for (i = 0; i < e->notifier_count; i++) {
            if (e->notifier_ids[i] == self)
                bgcopy__thread_detach(e->notifiers[i]);
            else
                bgcopy__thread_join(e->notifiers[i]);
        }
        engine_free(e);
    }
}

/* What a notifier thread is started with: its slot in e->notifiers, so that
 * notifier_ids[i] is the id of the thread whose handle is notifiers[i] (the
 * self-destroy path of notifier_main joins by that pairing; the order in
 * which the threads happen to start says nothing about it). */
struct notifier_arg {
    struct bgcopy__engine *e;
    size_t index;
};

static void notifier_entry(void *arg)
{
    struct notifier_arg a = *(struct notifier_arg *)arg;
    struct bgcopy__engine *e = a.e;
    free(arg);
    /* Record this thread's id before any callback can run on it. */
    bgcopy__mutex_lock(e->lock);
    e->notifier_ids[a.index] = bgcopy__thread_self();
    e->notifier_started++;
    bgcopy__mutex_unlock(e->lock);
    notifier_main(e);
}

/* Stops the threads (lock not held) and waits for them. */
static void stop_threads(struct bgcopy__engine *e)
{
    size_t i;
    bgcopy__mutex_lock(e->lock);
    e->stop = 1;
    bgcopy__cond_broadcast(e->wake);
    bgcopy__cond_broadcast(e->note_wake);
    bgcopy__mutex_unlock(e->lock);
    if (e->runner)
        bgcopy__thread_join(e->runner);
    for (i = 0; i < e->notifier_count; i++)
        bgcopy__thread_join(e->notifiers[i]);
    e->runner = NULL;
    e->notifier_count = 0;
}

/* ---- lifetime ------------------------------------------------------------------------ */

static uint32_t or_default(uint32_t v, uint32_t def)
{
    return v ? v : def;
}

static void engine_free(struct bgcopy__engine *e)
{
    struct emu_job *j, *next;
    struct emu_user *u, *unext;
    size_t i;

    for (j = e->jobs_head; j; j = next) {
        next = j->next;
        /* A transport's I/O thread may still be running and reads the request's
         * aborted flag under the lock. */
        bgcopy__mutex_lock(e->lock);
        bgcopy__transfer_abort(j);
        /* A last checkpoint: the next engine continues from here. (Everything else was
         * written when it changed.) */
        (void)bgcopy__store_save_progress(j);
        bgcopy__mutex_unlock(e->lock);
        bgcopy__timers_stop_all(j);
        j->in_engine = 0;
        j->prev = j->next = NULL;
        bgcopy__job_leave_engine(j);
    }
    bgcopy__notify_free_all(e);
    for (u = e->users; u; u = unext) {
        unext = u->next;
        free(u->name);
        free(u);
    }
    for (i = 0; i < e->transport_count; i++)
        if (e->transports[i]->destroy)
            e->transports[i]->destroy(e->transports[i]);
    free(e->heap);
    if (e->wake)
        bgcopy__cond_free(e->wake);
    if (e->note_wake)
        bgcopy__cond_free(e->note_wake);
    bgcopy__store_close(e->store);
    free(e->state_key);
    bgcopy__mutex_free(e->lock);
    free(e);
}

struct bgcopy__engine *bgcopy__engine_new(const bgcopy_manager_options *o, struct bgcopy_sim *sim,
                                          const char *state_dir, bgcopy_hr *hr)
{
    struct bgcopy__engine *e = bgcopy__calloc(1, sizeof(*e));
    struct bgcopy__transport *tp;
    size_t i;

    *hr = BGCOPY_E_OUTOFMEMORY;
    if (e == NULL)
        return NULL;
    e->refs = 1;
    e->sim = sim;
    e->lock = bgcopy__mutex_new();
    if (e->lock == NULL) {
        free(e);
        return NULL;
    }
    e->max_jobs_per_user = or_default(o->max_jobs_per_user, BGCOPY__DEFAULT_JOBS_PER_USER);
    e->max_jobs_per_machine = or_default(o->max_jobs_per_machine, BGCOPY__DEFAULT_JOBS_PER_MACHINE);
    e->max_files_per_job = or_default(o->max_files_per_job, BGCOPY__DEFAULT_FILES_PER_JOB);
    e->max_ranges_per_file = or_default(o->max_ranges_per_file, BGCOPY__DEFAULT_RANGES_PER_FILE);
    e->inactivity_timeout = or_default(o->job_inactivity_timeout, BGCOPY__DEFAULT_INACTIVITY);
    e->max_download_policy = or_default(o->max_download_time, BGCOPY__DEFAULT_MAX_DOWNLOAD);
    e->time_slice = or_default(o->time_slice, BGCOPY__DEFAULT_TIME_SLICE);
    e->notify_retry = or_default(o->notify_retry_interval, BGCOPY__DEFAULT_NOTIFY_RETRY);
    e->notify_max_in_flight = or_default(o->notify_max_in_flight, BGCOPY__DEFAULT_NOTIFY_IN_FLIGHT);
    e->http_stall_timeout = or_default(o->http_stall_timeout, BGCOPY__DEFAULT_HTTP_STALL);
    e->checkpoint_bytes =
        o->checkpoint_bytes ? o->checkpoint_bytes : BGCOPY__DEFAULT_CHECKPOINT_BYTES;
    e->checkpoint_ms = or_default(o->checkpoint_ms, BGCOPY__DEFAULT_CHECKPOINT_MS);
    bgcopy__policy_init(e, o);
    bgcopy__timer_init(&e->sched_timer, sched_timer_fn, NULL, 1);
    bgcopy__timer_init(&e->note_timer, note_timer_fn, NULL, 1);

    if (sim) {
        tp = bgcopy__sim_transport(sim);
        if (tp == NULL)
            goto fail;
        e->transports[e->transport_count++] = tp;
    }
    if (!sim) {
        /* Real engines reach HTTP servers; simulated ones keep the scripted network. */
        tp = bgcopy__transport_http_new();
        if (tp == NULL)
            goto fail;
        e->transports[e->transport_count++] = tp;
    }
    tp = bgcopy__transport_file_new();
    if (tp == NULL)
        goto fail;
    e->transports[e->transport_count++] = tp;

    if (state_dir != NULL) {
        if (sim)
            e->sim_wall_origin_us = bgcopy__sim_wall_origin(sim);
        *hr = bgcopy__fs_mkdir_private(state_dir);
        if (BGCOPY_FAILED(*hr)) {
            char text[512];
            snprintf(text, sizeof(text), "%s: cannot create the state directory: %s", state_dir,
                     bgcopy_hr_message(*hr));
            bgcopy__set_open_detail(text);
            goto fail;
        }
        *hr = bgcopy__store_open(state_dir, &e->store);
        if (BGCOPY_FAILED(*hr))
            goto fail;
        /* No thread runs yet: the lock is taken for the functions' contract only. */
        bgcopy__mutex_lock(e->lock);
        *hr = bgcopy__store_load(e);
        bgcopy__mutex_unlock(e->lock);
        if (BGCOPY_FAILED(*hr))
            goto fail;
    }

    if (!sim) {
        e->wake = bgcopy__cond_new();
        e->note_wake = bgcopy__cond_new();
        if (e->wake == NULL || e->note_wake == NULL)
            goto fail;
        *hr = bgcopy__thread_start(&e->runner, runner_main, e);
        if (BGCOPY_FAILED(*hr))
            goto fail;
        for (i = 0; i < BGCOPY__NOTIFIER_THREADS; i++) {
            struct notifier_arg *a = bgcopy__calloc(1, sizeof(*a));
            *hr = BGCOPY_E_OUTOFMEMORY;
            if (a != NULL) {
                a->e = e;
                a->index = i;
                *hr = bgcopy__thread_start(&e->notifiers[i], notifier_entry, a);
            }
            if (BGCOPY_FAILED(*hr)) {
                free(a);
                stop_threads(e);
                goto fail;
            }
            e->notifier_count++;
        }
    }
    *hr = BGCOPY_S_OK;
    return e;
fail:
    if (*hr == BGCOPY_S_OK)
        *hr = BGCOPY_E_OUTOFMEMORY;
    engine_free(e);
    return NULL;
}

void bgcopy__engine_retain(struct bgcopy__engine *e)
{
    bgcopy__atomic_inc(&e->refs);
}

/* The real-mode engines of this process, one per state directory: like the
 * BITS service, one "machine" holds all users' jobs, so the per-user and
 * per-machine limits and the four-notifications-per-user rule span every
 * manager of that directory. Guarded by the process-wide lock of the
 * platform seam. */
static struct bgcopy__engine *registry;

static void registry_remove(struct bgcopy__engine *e)
{
    struct bgcopy__engine **p;
    for (p = &registry; *p; p = &(*p)->registry_next)
        if (*p == e) {
            *p = e->registry_next;
            break;
        }
    e->registry_next = NULL;
}

/* Sleeps for about ms milliseconds. */
static void pause_ms(int ms)
{
    bgcopy__mutex *m = bgcopy__mutex_new();
    bgcopy__cond *c = bgcopy__cond_new();
    if (m && c) {
        bgcopy__mutex_lock(m);
        bgcopy__cond_wait_until(c, m, bgcopy__sys_mono_us() + ms * 1000);
        bgcopy__mutex_unlock(m);
    }
    if (c)
        bgcopy__cond_free(c);
    if (m)
        bgcopy__mutex_free(m);
}

/* The state directory o names: the option, else $BGCOPY_STATE_DIR, else
 * $XDG_STATE_HOME/bgcopy, else $HOME/.local/state/bgcopy (malloc'ed), or
 * BGCOPY_STATE_MEMORY. NULL with *hr set when none can be found. */
static char *state_dir_for(const bgcopy_manager_options *o, bgcopy_hr *hr)
{
    const char *v = o->state_dir;
    char *home, *dir;
    size_t n;

    if (v == NULL || v[0] == '\0')
        v = getenv("BGCOPY_STATE_DIR");
    if (v != NULL && v[0] != '\0')
        return bgcopy__strdup(v);
    v = getenv("XDG_STATE_HOME");
    if (v != NULL && v[0] == '/') {
        n = strlen(v);
        dir = malloc(n + sizeof("/bgcopy"));
        if (dir != NULL) {
            memcpy(dir, v, n);
            memcpy(dir + n, "/bgcopy", sizeof("/bgcopy"));
        }
        return dir;
    }
    home = bgcopy__sys_home_dir();
    if (home == NULL) {
        bgcopy__set_open_detail("no state directory: set BGCOPY_STATE_DIR, XDG_STATE_HOME or HOME");
        *hr = BGCOPY_E_WIN32_PATH_NOT_FOUND;
        return NULL;
    }
    n = strlen(home);
    dir = malloc(n + sizeof("/.local/state/bgcopy"));
    if (dir != NULL) {
        memcpy(dir, home, n);
        memcpy(dir + n, "/.local/state/bgcopy", sizeof("/.local/state/bgcopy"));
    }
    free(home);
    return dir;
}

/* The registry key of dir: its resolved absolute path (the directory is created first so
 * that it resolves), or BGCOPY_STATE_MEMORY. */
static char *state_key_for(const char *dir, bgcopy_hr *hr)
{
    char *key = NULL, text[512];

    if (strcmp(dir, BGCOPY_STATE_MEMORY) == 0)
        return bgcopy__strdup(dir);
    *hr = bgcopy__fs_mkdir_private(dir);
    if (BGCOPY_SUCCEEDED(*hr))
        *hr = bgcopy__fs_realpath(dir, &key);
    if (BGCOPY_FAILED(*hr)) {
        snprintf(text, sizeof(text), "%s: cannot create the state directory: %s", dir,
                 bgcopy_hr_message(*hr));
        bgcopy__set_open_detail(text);
        return NULL;
    }
    return key;
}

struct bgcopy__engine *bgcopy__engine_shared(const bgcopy_manager_options *o, bgcopy_hr *hr)
{
    struct bgcopy__engine *e, *old;
    char *dir, *key;

    *hr = BGCOPY_E_OUTOFMEMORY;
    dir = bgcopy__store_available() ? state_dir_for(o, hr) : bgcopy__strdup(BGCOPY_STATE_MEMORY);
    if (dir == NULL)
        return NULL;
    key = state_key_for(dir, hr);
    free(dir);
    if (key == NULL)
        return NULL;
    bgcopy__sys_global_lock();
    for (old = registry; old; old = old->registry_next)
        if (strcmp(old->state_key, key) == 0)
            break;
    if (old && bgcopy__atomic_inc(&old->refs) > 1) {
        e = old;
        *hr = BGCOPY_S_OK;
        free(key);
    } else {
        /* None yet, or the last one is shutting down (its count reached 0
         * and stays claimed by the thread that will free it). That one
         * leaves the registry now and releases its store before this one
         * opens it. */
        const char *store_dir = strcmp(key, BGCOPY_STATE_MEMORY) == 0 ? NULL : key;
        if (old) {
            old->resurrected = 1;
            registry_remove(old);
        }
        e = bgcopy__engine_new(o, NULL, store_dir, hr);
        if (e == NULL && old != NULL && *hr == BGCOPY_E_WIN32_SERVICE_ALREADY_RUNNING) {
            /* The engine on its way out still holds the store: wait (without the global
             * lock, which its release path takes) until it lets go, up to 10 s. */
            int64_t until = bgcopy__sys_mono_us() + 10 * BGCOPY__US;
            while (e == NULL && *hr == BGCOPY_E_WIN32_SERVICE_ALREADY_RUNNING &&
                   bgcopy__sys_mono_us() < until) {
                bgcopy__sys_global_unlock();
                pause_ms(2);
                bgcopy__sys_global_lock();
                e = bgcopy__engine_new(o, NULL, store_dir, hr);
            }
        }
        if (e) {
            e->state_key = key;
            e->registry_next = registry;
            registry = e;
        } else {
            free(key);
        }
    }
    bgcopy__sys_global_unlock();
    return e;
}

void bgcopy__engine_release(struct bgcopy__engine *e)
{
    if (bgcopy__atomic_dec(&e->refs) != 0)
        return;
    if (e->sim == NULL) {
        bgcopy__sys_global_lock();
        if (e->resurrected) {
            /* bgcopy__engine_shared bumped the count back from 0 while this
             * thread was on its way here; that increment does not own the
             * engine: undo it and finish the shutdown. */
            e->resurrected = 0;
            (void)bgcopy__atomic_dec(&e->refs);
        }
        registry_remove(e);
        bgcopy__sys_global_unlock();
    }
    if (e->runner) {
        /* notifier_ids is written by the notifier threads as they start
         * (under the lock), possibly only now: read it under the lock. */
        int on_notifier;
        bgcopy__mutex_lock(e->lock);
        on_notifier = is_notifier(e, bgcopy__thread_self());
        if (on_notifier) {
            e->stop = 1;
            e->self_destroy = bgcopy__thread_self();
            bgcopy__cond_broadcast(e->wake);
            bgcopy__cond_broadcast(e->note_wake);
        }
        bgcopy__mutex_unlock(e->lock);
        if (on_notifier)
            return;
        stop_threads(e);
    }
    engine_free(e);
}
