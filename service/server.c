/* service/server.c - bgcopyd's service loop: accepts clients on the socket, authenticates them
 * (SO_PEERCRED), runs each request through the public API of the in-process emulated engine,
 * and carries notification callbacks to the client that registered them (contract in
 * server.h, design in docs/internals/service.md).
 *
 * Threads:
 *   - the loop thread (libuv) does all socket I/O: accept, read and frame requests, write
 *     replies and events. It never takes the engine lock, so a slow engine call (an fsync in
 *     Complete) cannot stall other clients;
 *   - requests run on libuv's thread pool (uv_queue_work), at most MAX_OUTSTANDING per client at
 *     a time: beyond that the service stops reading from that client until some finish, and it
 *     also stops reading while the client leaves more than OUT_LIMIT bytes of replies unread;
 *   - notification callbacks run on the engine's notifier threads: the trampolines below queue
 *     an EVENT for the client's loop-thread writer (uv_async) and wait for the client's
 *     EVENT_REPLY, whose HRESULT they return to the engine (so BITS's retry rules hold).
 *
 * Per client (struct conn): one manager opened as the peer's user (user_is_admin for root), a
 * table of the handles it was given (each holds one API reference on a job or file, and counts
 * how often it was exported; a release names that count), and its callback registrations.
 * Handles are per connection: a client can only name objects the service gave it, and the
 * engine only gives a non-administrator its own jobs (BG_E_NOT_FOUND / E_ACCESSDENIED
 * otherwise).
 *
 * A client that sends anything the protocol does not allow (a frame of impossible length, an
 * unknown type or operation, a body that does not match its schema, a request before HELLO) is
 * disconnected. When a client goes away, its job callbacks are unregistered (the job's handler
 * or command line takes over), its manager is closed (its handlers end), the callbacks it was
 * running fail (the engine retries them or runs the command line), and its handles are
 * released - after the requests it still had running finished.
 *
 * Lock order: server lock, then connection lock; never the engine lock under either except
 * for bgcopy_job_addref (lock-free). reg_lock (registration changes) is taken before both.
 */
#define _GNU_SOURCE
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "core-int.h"
#include "idmap.h"
#include "proto.h"
#include "svc.h"

#define MAX_OUTSTANDING  8                  /* requests of one client running at once */
#define OUT_LIMIT        (4u * 1024 * 1024) /* unread reply bytes before reading pauses */
#define MAX_CONN_PER_UID 64                 /* connections one uid may hold */
#define READ_CHUNK       65536

/* ---- data ---------------------------------------------------------------------------------- */

struct conn;

/* A handle given to a client: one API reference on a job or a file. */
enum { H_JOB = 1, H_FILE = 2 };

struct handle {
    uint64_t id;
    int kind;
    void *obj; /* bgcopy_job * or bgcopy_file * */
    uint64_t exports;
};

/* A callback registration made by a client: the engine's `user` pointer for it is the id
 * (never reused), looked up in server.regs, so a trampoline never follows a freed pointer. */
enum { R_JOB = 1, R_HANDLER = 2 };

struct sreg {
    uint64_t id;
    struct conn *conn;
    struct sreg *conn_next; /* the connection's registrations */
    int kind;
    uint64_t cookie;
    bgcopy_job *job; /* R_JOB: a reference */
    char *name;      /* R_HANDLER */
};

/* A frame queued by another thread for the loop thread to write. */
struct outframe {
    struct outframe *next;
    uint8_t *buf;
    size_t len;
};

/* An event waiting for the client's answer. */
struct pending {
    struct pending *next;
    uint32_t id;
    int done;
    bgcopy_hr hr;
};

struct server;

struct conn {
    struct server *s;
    struct conn *prev, *next; /* server.conns */
    uv_pipe_t pipe;
    pthread_mutex_t lock; /* everything below not marked loop-only */
    pthread_cond_t cond;  /* event answers, events_dead */
    long refs;
    uid_t uid;
    pid_t pid;
    pthread_rwlock_t mgr_lock; /* mgr: read by requests, closed under the write lock */
    bgcopy_manager *mgr;
    /* loop thread only */
    uint8_t *in;
    size_t in_len, in_cap;
    int hello; /* 0 not yet, 1 running, 2 done */
    int outstanding;
    int paused;
    int dead; /* disconnected (set on the loop thread, read anywhere under lock) */
    int cleanup_queued;
    int close_after_write;
    /* guarded by lock */
    int cleaned;     /* handles released: nothing may be exported any more */
    int events_dead; /* registrations dropped: waiting callbacks fail */
    struct bgcopy__idmap by_id, by_obj;
    uint64_t next_handle;
    struct outframe *outq, *outq_tail;
    struct pending *events;
    uint32_t next_event;
    struct sreg *regs; /* guarded by the server lock */
};

struct server {
    uv_loop_t loop;
    uv_pipe_t listener;
    uv_async_t async;
    uv_timer_t idle_timer;
    uv_signal_t sigterm, sigint;
    pthread_mutex_t lock; /* conns, regs, next_reg */
    pthread_mutex_t reg_lock;
    struct conn *conns;
    size_t nconns;
    struct bgcopy__idmap regs;
    uint64_t next_reg;
    bgcopy_manager *base; /* the service's own manager: holds the engine and the store */
    const struct bgcopy__svc_server_options *o;
    char *socket_path;
    char *state_dir;
    uid_t uid;
    uint64_t idle_ms;
    uint64_t last_busy;
    int idle_check_running;
    int stopping;
    int listening;
    int finished;
    uint8_t read_buf[READ_CHUNK];
};

/* The one server of this process (trampolines reach it through here). */
static struct server *the_server;

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void log_line(const char *fmt, ...)
{
    va_list ap;
    time_t t = time(NULL);
    struct tm tm;
    char stamp[32];

    localtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(stderr, "%s bgcopyd[%ld]: ", stamp, (long)getpid());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

/* ---- connection references ---------------------------------------------------------------------
 */

static void conn_ref(struct conn *c)
{
    pthread_mutex_lock(&c->lock);
    c->refs++;
    pthread_mutex_unlock(&c->lock);
}

static void conn_free(struct conn *c)
{
    struct server *s = c->s;
    struct outframe *f, *fn;

    pthread_mutex_lock(&s->lock);
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        s->conns = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    if (s->stopping && s->conns == NULL && !s->finished) {
        uv_async_send(&s->async); /* the loop thread finishes the shutdown */
    }
    pthread_mutex_unlock(&s->lock);
    for (f = c->outq; f != NULL; f = fn) {
        fn = f->next;
        free(f->buf);
        free(f);
    }
    bgcopy__idmap_free(&c->by_id);
    bgcopy__idmap_free(&c->by_obj);
    free(c->in);
    pthread_rwlock_destroy(&c->mgr_lock);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void conn_unref(struct conn *c)
{
    long left;

    pthread_mutex_lock(&c->lock);
    left = --c->refs;
    pthread_mutex_unlock(&c->lock);
    if (left == 0) {
        conn_free(c);
    }
}

/* ---- handles
 * -------------------------------------------------------------------------------------- */

static void release_obj(int kind, void *obj)
{
    if (kind == H_JOB) {
        bgcopy_job_release(obj);
    } else {
        bgcopy_file_release(obj);
    }
}

/* Gives obj (a reference, consumed) to the client: its handle, created on first export.
 * Returns 0 when the connection is being cleaned up or out of memory (obj released). */
static uint64_t export_obj(struct conn *c, int kind, void *obj)
{
    struct handle *h;
    uint64_t id = 0;
    int drop = 1;

    if (obj == NULL) {
        return 0;
    }
    pthread_mutex_lock(&c->lock);
    if (!c->cleaned) {
        h = bgcopy__idmap_get(&c->by_obj, (uintptr_t)obj);
        if (h != NULL) {
            h->exports++;
            id = h->id; /* the table already holds a reference */
        } else if ((h = calloc(1, sizeof(*h))) != NULL) {
            h->id = ++c->next_handle;
            h->kind = kind;
            h->obj = obj;
            h->exports = 1;
            if (bgcopy__idmap_put(&c->by_id, h->id, h) == 0 &&
                bgcopy__idmap_put(&c->by_obj, (uintptr_t)obj, h) == 0) {
                id = h->id;
                drop = 0;
            } else {
                (void)bgcopy__idmap_del(&c->by_id, h->id);
                free(h);
            }
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (drop) {
        release_obj(kind, obj);
    }
    return id;
}

/* The object of handle id if it is of kind, with a new reference; NULL otherwise. */
static void *handle_obj(struct conn *c, uint64_t id, int kind)
{
    struct handle *h;
    void *obj = NULL;

    pthread_mutex_lock(&c->lock);
    h = bgcopy__idmap_get(&c->by_id, id);
    if (h != NULL && h->kind == kind) {
        obj = h->obj;
        if (kind == H_JOB) {
            bgcopy_job_addref(obj);
        } else {
            bgcopy_file_addref(obj);
        }
    }
    pthread_mutex_unlock(&c->lock);
    return obj;
}

/* A client release: n exports of handle id are gone; the last one drops the reference. */
static void release_handle(struct conn *c, uint64_t id, uint64_t n, int kind)
{
    struct handle *h;
    void *obj = NULL;

    pthread_mutex_lock(&c->lock);
    h = bgcopy__idmap_get(&c->by_id, id);
    if (h != NULL && h->kind == kind) {
        h->exports = n < h->exports ? h->exports - n : 0;
        if (h->exports == 0) {
            (void)bgcopy__idmap_del(&c->by_id, id);
            (void)bgcopy__idmap_del(&c->by_obj, (uintptr_t)h->obj);
            obj = h->obj;
            free(h);
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (obj != NULL) {
        release_obj(kind, obj);
    }
}

/* The index of a file in its job (the client finds it again by job and index). */
static uint32_t file_index(bgcopy_file *f)
{
    return f->ops == &bgcopy__emu_ops ? ((struct emu_file *)f->impl)->index : 0;
}

/* ---- writing ----------------------------------------------------------------------------------
 */

static void conn_drop(struct conn *c, const char *why);

struct write_req {
    uv_write_t req;
    uint8_t *buf;
    struct conn *c;
};

static void resume_reading(struct conn *c);

static void on_written(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct conn *c = w->c;

    free(w->buf);
    free(w);
    if (status < 0) {
        conn_drop(c, uv_strerror(status));
    } else if (c->close_after_write &&
               uv_stream_get_write_queue_size((const uv_stream_t *)&c->pipe) == 0) {
        conn_drop(c, "refused");
    } else if (c->paused) {
        resume_reading(c);
    }
    conn_unref(c);
}

/* Writes a finished frame (takes buf). Loop thread. */
static void conn_write(struct conn *c, uint8_t *buf, size_t len)
{
    struct write_req *w;
    uv_buf_t b;

    if (c->dead || (w = calloc(1, sizeof(*w))) == NULL) {
        free(buf);
        return;
    }
    w->buf = buf;
    w->c = c;
    b = uv_buf_init((char *)buf, (unsigned)len);
    conn_ref(c);
    if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_written) != 0) {
        free(buf);
        free(w);
        conn_unref(c);
        conn_drop(c, "write failed");
    }
}

/* Queues a frame from any thread (takes buf). Returns 0, or -1 when the client is gone. */
static int conn_post(struct conn *c, uint8_t *buf, size_t len)
{
    struct outframe *f = malloc(sizeof(*f));

    if (f == NULL) {
        free(buf);
        return -1;
    }
    f->next = NULL;
    f->buf = buf;
    f->len = len;
    pthread_mutex_lock(&c->lock);
    if (c->cleaned) {
        pthread_mutex_unlock(&c->lock);
        free(buf);
        free(f);
        return -1;
    }
    if (c->outq_tail != NULL) {
        c->outq_tail->next = f;
    } else {
        c->outq = f;
    }
    c->outq_tail = f;
    pthread_mutex_unlock(&c->lock);
    uv_async_send(&c->s->async);
    return 0;
}

/* ---- callbacks over the socket -----------------------------------------------------------------
 */

/* Delivers one notification to the client holding registration `user`: an EVENT frame, then
 * the client's answer. Runs on an engine notifier thread, engine lock not held. Returns the
 * client's HRESULT, or E_FAIL when the registration or its client is gone (the engine then
 * retries later or runs the command line). */
static bgcopy_hr deliver(int kind, bgcopy_job *job, bgcopy_file *file, bgcopy_error *err,
                         void *user)
{
    struct server *s = the_server;
    struct sreg *r;
    struct conn *c = NULL;
    uint64_t cookie = 0, job_id, file_id = 0, err_file_id = 0;
    uint32_t file_idx = 0, err_file_idx = 0;
    bgcopy_error_context context = BGCOPY_ERROR_CONTEXT_NONE;
    bgcopy_hr code = BGCOPY_S_OK, hr = BGCOPY_E_FAIL;
    char *protocol = NULL;
    bgcopy_guid guid;
    bgcopy_file *ef = NULL;
    struct bgcopy__svc_wr w;
    struct pending p, **pp;

    pthread_mutex_lock(&s->lock);
    r = bgcopy__idmap_get(&s->regs, (uintptr_t)user);
    if (r != NULL) {
        c = r->conn;
        cookie = r->cookie;
        conn_ref(c);
    }
    pthread_mutex_unlock(&s->lock);
    if (c == NULL) {
        return BGCOPY_E_FAIL;
    }
    pthread_mutex_lock(&c->lock);
    if (c->dead) {
        /* Gone: wait until its registrations are dropped, so that the retry of this
         * notification finds the job's other targets. */
        while (!c->events_dead) {
            pthread_cond_wait(&c->cond, &c->lock);
        }
        pthread_mutex_unlock(&c->lock);
        conn_unref(c);
        return BGCOPY_E_FAIL;
    }
    pthread_mutex_unlock(&c->lock);

    (void)bgcopy_job_get_id(job, &guid);
    bgcopy_job_addref(job);
    job_id = export_obj(c, H_JOB, job);
    if (file != NULL) {
        bgcopy_file_addref(file);
        file_idx = file_index(file);
        file_id = export_obj(c, H_FILE, file);
    }
    if (err != NULL) {
        (void)bgcopy_error_get_error(err, &context, &code);
        (void)bgcopy_error_get_protocol(err, &protocol);
        if (BGCOPY_SUCCEEDED(bgcopy_error_get_file(err, &ef))) {
            err_file_idx = file_index(ef);
            err_file_id = export_obj(c, H_FILE, ef);
        }
    }

    memset(&p, 0, sizeof(p));
    pthread_mutex_lock(&c->lock);
    p.id = ++c->next_event;
    p.next = c->events;
    c->events = &p;
    pthread_mutex_unlock(&c->lock);
    bgcopy__svc_wr_begin(&w, BGCOPY__SVC_EVENT, kind, 0, p.id);
    bgcopy__svc_wr_u64(&w, cookie);
    bgcopy__svc_wr_u64(&w, job_id);
    bgcopy__svc_wr_guid(&w, &guid);
    bgcopy__svc_wr_u64(&w, file_id);
    bgcopy__svc_wr_u32(&w, file_idx);
    bgcopy__svc_wr_u32(&w, (uint32_t)context);
    bgcopy__svc_wr_hr(&w, code);
    bgcopy__svc_wr_str(&w, protocol);
    bgcopy__svc_wr_u64(&w, err_file_id);
    bgcopy__svc_wr_u32(&w, err_file_idx);
    bgcopy_free(protocol);
    if (job_id != 0 && bgcopy__svc_wr_end(&w) == 0 && conn_post(c, w.buf, w.len) == 0) {
        pthread_mutex_lock(&c->lock);
        while (!p.done && !c->events_dead) {
            pthread_cond_wait(&c->cond, &c->lock);
        }
        hr = p.done ? p.hr : BGCOPY_E_FAIL;
        pthread_mutex_unlock(&c->lock);
    } else {
        bgcopy__svc_wr_free(&w);
    }
    pthread_mutex_lock(&c->lock);
    for (pp = &c->events; *pp != &p; pp = &(*pp)->next) {
    }
    *pp = p.next;
    pthread_mutex_unlock(&c->lock);
    conn_unref(c);
    return hr;
}

static bgcopy_hr tramp_transferred(bgcopy_job *job, void *user)
{
    return deliver(BGCOPY__SVC_EV_JOB_TRANSFERRED, job, NULL, NULL, user);
}

static bgcopy_hr tramp_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    return deliver(BGCOPY__SVC_EV_JOB_ERROR, job, NULL, err, user);
}

static bgcopy_hr tramp_modification(bgcopy_job *job, uint32_t reserved, void *user)
{
    return deliver(BGCOPY__SVC_EV_JOB_MODIFICATION, job, NULL, NULL, user);
}

static bgcopy_hr tramp_file(bgcopy_job *job, bgcopy_file *file, void *user)
{
    return deliver(BGCOPY__SVC_EV_FILE_TRANSFERRED, job, file, NULL, user);
}

/* The trampolines for the members the client set. */
static bgcopy_callbacks trampolines(uint32_t mask)
{
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;

    cb.job_transferred = mask & BGCOPY__CB_JOB_TRANSFERRED ? tramp_transferred : NULL;
    cb.job_error = mask & BGCOPY__CB_JOB_ERROR ? tramp_error : NULL;
    cb.job_modification = mask & BGCOPY__CB_JOB_MODIFICATION ? tramp_modification : NULL;
    cb.file_transferred = mask & BGCOPY__CB_FILE_TRANSFERRED ? tramp_file : NULL;
    return cb;
}

/* The connection's registration for job (R_JOB) or name (R_HANDLER), created when missing,
 * with cookie. Server lock held. NULL when out of memory. */
static struct sreg *reg_for(struct server *s, struct conn *c, int kind, bgcopy_job *job,
                            const char *name, uint64_t cookie)
{
    struct sreg *r;

    for (r = c->regs; r != NULL; r = r->conn_next) {
        if (r->kind == kind && (kind == R_JOB ? r->job == job : strcmp(r->name, name) == 0)) {
            r->cookie = cookie;
            return r;
        }
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL || (kind == R_HANDLER && (r->name = strdup(name)) == NULL)) {
        free(r);
        return NULL;
    }
    r->id = ++s->next_reg;
    if (bgcopy__idmap_put(&s->regs, r->id, r) != 0) {
        free(r->name);
        free(r);
        return NULL;
    }
    r->conn = c;
    r->kind = kind;
    r->cookie = cookie;
    if (kind == R_JOB) {
        bgcopy_job_addref(job);
        r->job = job;
    }
    r->conn_next = c->regs;
    c->regs = r;
    return r;
}

/* ---- requests
 * ------------------------------------------------------------------------------------ */

struct work {
    uv_work_t req;
    struct conn *c;
    struct bgcopy__svc_header h;
    uint8_t *body;
    size_t len;
    struct bgcopy__svc_wr out; /* the reply, built on the pool thread */
    int refused;               /* HELLO failed: disconnect after the reply */
};

static bgcopy_hr do_hello(struct conn *c, struct bgcopy__svc_rd *in, struct bgcopy__svc_wr *out)
{
    struct server *s = c->s;
    uint32_t magic = bgcopy__svc_rd_u32(in);
    uint32_t vmin = bgcopy__svc_rd_u32(in);
    uint32_t vmax = bgcopy__svc_rd_u32(in);
    const char *want = bgcopy__svc_rd_str(in);
    int want_admin = bgcopy__svc_rd_u32(in) != 0;
    char *peer = bgcopy__svc_user_name(c->uid);
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL;
    bgcopy_hr hr;

    if (peer == NULL) {
        hr = BGCOPY_E_OUTOFMEMORY;
    } else if (magic != BGCOPY__SVC_MAGIC) {
        hr = BGCOPY_E_INVALIDARG;
    } else if (vmin > BGCOPY__SVC_VERSION || vmax < BGCOPY__SVC_VERSION) {
        hr = BGCOPY_E_WIN32_REVISION_MISMATCH;
    } else if (c->uid != 0 && ((want != NULL && strcmp(want, peer) != 0) || want_admin)) {
        /* Only root may act as another user or as an administrator. */
        hr = BGCOPY_E_ACCESSDENIED;
    } else {
        o.engine = BGCOPY_ENGINE_EMULATED;
        o.state_dir = s->state_dir;
        o.user = want != NULL ? want : peer;
        o.user_is_admin = c->uid == 0 && (want == NULL || want_admin);
        hr = bgcopy_manager_open(&o, &mgr);
    }
    bgcopy__svc_wr_hr(out, hr);
    bgcopy__svc_wr_u32(out, BGCOPY__SVC_VERSION);
    bgcopy__svc_wr_u32(out, (uint32_t)getpid());
    bgcopy__svc_wr_str(out, mgr != NULL ? bgcopy_manager_user(mgr) : NULL);
    bgcopy__svc_wr_u32(out, (uint32_t)o.user_is_admin);
    bgcopy__svc_wr_str(out, s->state_dir);
    if (mgr != NULL) {
        pthread_rwlock_wrlock(&c->mgr_lock);
        c->mgr = mgr;
        pthread_rwlock_unlock(&c->mgr_lock);
    }
    if (BGCOPY_FAILED(hr)) {
        log_line("refused pid %ld uid %lu: %s", (long)c->pid, (unsigned long)c->uid,
                 bgcopy_hr_name(hr));
    }
    free(peer);
    return hr;
}

/* The manager, read-locked, or NULL (closed: the lock is not held then). */
static bgcopy_manager *mgr_acquire(struct conn *c)
{
    pthread_rwlock_rdlock(&c->mgr_lock);
    if (c->mgr == NULL) {
        pthread_rwlock_unlock(&c->mgr_lock);
    }
    return c->mgr;
}

static void mgr_done(struct conn *c)
{
    pthread_rwlock_unlock(&c->mgr_lock);
}

static void close_mgr(struct conn *c)
{
    pthread_rwlock_wrlock(&c->mgr_lock);
    bgcopy_manager_close(c->mgr);
    c->mgr = NULL;
    pthread_rwlock_unlock(&c->mgr_lock);
}

/* Requests on the manager. */
static bgcopy_hr do_manager(struct conn *c, int op, struct bgcopy__svc_rd *in,
                            struct bgcopy__svc_wr *out)
{
    bgcopy_manager *mgr = mgr_acquire(c);
    bgcopy_hr hr;

    if (mgr == NULL) {
        bgcopy__svc_wr_hr(out, BGCOPY_E_INVALIDARG); /* closed: only handles remain */
        if (op == BGCOPY__OP_CREATE_JOB) {
            bgcopy_guid zero = {{0}};
            bgcopy__svc_wr_guid(out, &zero);
            bgcopy__svc_wr_u64(out, 0);
        } else if (op == BGCOPY__OP_GET_JOB) {
            bgcopy__svc_wr_u64(out, 0);
        } else if (op == BGCOPY__OP_ENUM_JOBS) {
            bgcopy__svc_wr_u32(out, 0);
        }
        return BGCOPY_E_INVALIDARG;
    }
    switch (op) {
    case BGCOPY__OP_CREATE_JOB: {
        const char *name = bgcopy__svc_rd_str(in);
        bgcopy_job_type type = (bgcopy_job_type)bgcopy__svc_rd_u32(in);
        int want = bgcopy__svc_rd_u32(in) != 0;
        bgcopy_guid id;
        bgcopy_job *job = NULL;

        memset(&id, 0, sizeof(id));
        hr = bgcopy_manager_create_job(mgr, name, type, &id, want ? &job : NULL);
        bgcopy__svc_wr_hr(out, hr);
        bgcopy__svc_wr_guid(out, &id);
        bgcopy__svc_wr_u64(out, export_obj(c, H_JOB, job));
        break;
    }
    case BGCOPY__OP_GET_JOB: {
        bgcopy_guid id = bgcopy__svc_rd_guid(in);
        bgcopy_job *job = NULL;

        hr = bgcopy_manager_get_job(mgr, &id, &job);
        bgcopy__svc_wr_hr(out, hr);
        bgcopy__svc_wr_u64(out, export_obj(c, H_JOB, job));
        break;
    }
    case BGCOPY__OP_ENUM_JOBS: {
        bgcopy_job_enum *en = NULL;
        bgcopy_job *job;
        uint32_t n = 0, got;

        hr = bgcopy_manager_enum_jobs(mgr, bgcopy__svc_rd_u32(in), &en);
        if (BGCOPY_SUCCEEDED(hr)) {
            (void)bgcopy_job_enum_get_count(en, &n);
        }
        bgcopy__svc_wr_hr(out, hr);
        bgcopy__svc_wr_u32(out, n);
        while (n > 0 && bgcopy_job_enum_next(en, 1, &job, &got) == BGCOPY_S_OK && got == 1) {
            bgcopy_guid id;
            (void)bgcopy_job_get_id(job, &id);
            bgcopy__svc_wr_u64(out, export_obj(c, H_JOB, job));
            bgcopy__svc_wr_guid(out, &id);
            n--;
        }
        bgcopy_job_enum_release(en);
        break;
    }
    case BGCOPY__OP_REGISTER_HANDLER: {
        const char *name = bgcopy__svc_rd_str(in);
        uint32_t mask = bgcopy__svc_rd_u32(in);
        uint64_t cookie = bgcopy__svc_rd_u64(in);
        struct sreg *r;
        bgcopy_callbacks cb;

        if ((mask & ~BGCOPY__CB_ALL) != 0) {
            hr = BGCOPY_E_INVALIDARG;
        } else {
            pthread_mutex_lock(&c->s->reg_lock);
            pthread_mutex_lock(&c->s->lock);
            r = reg_for(c->s, c, R_HANDLER, NULL, name, cookie);
            pthread_mutex_unlock(&c->s->lock);
            cb = trampolines(mask);
            hr = r == NULL ? BGCOPY_E_OUTOFMEMORY
                           : bgcopy_manager_register_notify_handler(mgr, name, &cb,
                                                                    (void *)(uintptr_t)r->id);
            pthread_mutex_unlock(&c->s->reg_lock);
        }
        bgcopy__svc_wr_hr(out, hr);
        break;
    }
    case BGCOPY__OP_UNREGISTER_HANDLER:
        hr = bgcopy_manager_unregister_notify_handler(mgr, bgcopy__svc_rd_str(in));
        bgcopy__svc_wr_hr(out, hr);
        break;
    default: /* CLOSE: the connection stays for the handles the client still holds */
        mgr_done(c);
        close_mgr(c);
        bgcopy__svc_wr_hr(out, BGCOPY_S_OK);
        return BGCOPY_S_OK;
    }
    mgr_done(c);
    return hr;
}

/* GET_STRING: the public getter for `which`. */
static bgcopy_hr job_string(bgcopy_job *job, uint32_t which, char **s)
{
    bgcopy_proxy_usage usage;
    char *other = NULL;
    bgcopy_hr hr;

    switch (which) {
    case BGCOPY__STR_DISPLAY_NAME:
        return bgcopy_job_get_display_name(job, s);
    case BGCOPY__STR_DESCRIPTION:
        return bgcopy_job_get_description(job, s);
    case BGCOPY__STR_OWNER:
        return bgcopy_job_get_owner(job, s);
    case BGCOPY__STR_CUSTOM_HEADERS:
        return bgcopy_job_get_custom_headers(job, s);
    case BGCOPY__STR_HANDLER:
        return bgcopy_job_get_notify_handler(job, s);
    case BGCOPY__STR_PROXY_LIST:
        return bgcopy_job_get_proxy_settings(job, &usage, s, NULL);
    case BGCOPY__STR_PROXY_BYPASS:
        return bgcopy_job_get_proxy_settings(job, &usage, NULL, s);
    case BGCOPY__STR_CMD_PROGRAM:
        hr = bgcopy_job_get_notify_cmd_line(job, s, &other);
        bgcopy_free(other);
        return hr;
    case BGCOPY__STR_CMD_PARAMETERS:
        hr = bgcopy_job_get_notify_cmd_line(job, &other, s);
        bgcopy_free(other);
        return hr;
    default:
        return BGCOPY_E_INVALIDARG;
    }
}

/* SET_PROPERTY: the public setter for `which`, with api.c's validation. */
static bgcopy_hr job_set(bgcopy_job *job, uint32_t which, struct bgcopy__svc_rd *in)
{
    const char *s1 = bgcopy__svc_rd_str(in);
    const char *s2 = bgcopy__svc_rd_str(in);
    uint32_t u = bgcopy__svc_rd_u32(in);
    uint32_t u2 = bgcopy__svc_rd_u32(in);
    bgcopy_job_property_id id = (bgcopy_job_property_id)bgcopy__svc_rd_u32(in);
    uint64_t scalar = bgcopy__svc_rd_u64(in);
    bgcopy_guid clsid = bgcopy__svc_rd_guid(in);
    bgcopy_job_property_value v;

    switch (which) {
    case BGCOPY__PROP_DISPLAY_NAME:
        return bgcopy_job_set_display_name(job, s1);
    case BGCOPY__PROP_DESCRIPTION:
        return bgcopy_job_set_description(job, s1);
    case BGCOPY__PROP_PRIORITY:
        return bgcopy_job_set_priority(job, (bgcopy_job_priority)u);
    case BGCOPY__PROP_NOTIFY_FLAGS:
        return bgcopy_job_set_notify_flags(job, u);
    case BGCOPY__PROP_RETRY_DELAY:
        return bgcopy_job_set_minimum_retry_delay(job, u);
    case BGCOPY__PROP_NO_PROGRESS:
        return bgcopy_job_set_no_progress_timeout(job, u);
    case BGCOPY__PROP_MAX_DOWNLOAD_TIME:
        return bgcopy_job_set_maximum_download_time(job, u);
    case BGCOPY__PROP_PROXY:
        return bgcopy_job_set_proxy_settings(job, (bgcopy_proxy_usage)u, s1, s2);
    case BGCOPY__PROP_CREDENTIALS:
        return bgcopy_job_set_credentials(job, (bgcopy_auth_target)u, (bgcopy_auth_scheme)u2, s1,
                                          s2);
    case BGCOPY__PROP_REMOVE_CREDENTIALS:
        return bgcopy_job_remove_credentials(job, (bgcopy_auth_target)u, (bgcopy_auth_scheme)u2);
    case BGCOPY__PROP_CMD_LINE:
        return bgcopy_job_set_notify_cmd_line(job, s1, s2);
    case BGCOPY__PROP_CUSTOM_HEADERS:
        return bgcopy_job_set_custom_headers(job, s1);
    case BGCOPY__PROP_SECURITY_FLAGS:
        return bgcopy_job_set_security_flags(job, u);
    case BGCOPY__PROP_HANDLER:
        return bgcopy_job_set_notify_handler(job, s1);
    case BGCOPY__PROP_JOB5:
        memset(&v, 0, sizeof(v));
        switch (id) {
        case BGCOPY_JOB_PROPERTY_NOTIFICATION_CLSID:
            v.clsid = clsid;
            break;
        case BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE:
            v.uint64 = scalar;
            break;
        case BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT:
        case BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE:
        case BGCOPY_JOB_PROPERTY_ON_DEMAND_MODE:
            v.enable = (int)(uint32_t)scalar;
            break;
        case BGCOPY_JOB_PROPERTY_USE_STORED_CREDENTIALS:
            v.target = (bgcopy_auth_target)(uint32_t)scalar;
            break;
        default:
            v.dword = (uint32_t)scalar;
            break;
        }
        return bgcopy_job_set_property(job, id, &v);
    default:
        return BGCOPY_E_INVALIDARG;
    }
}

/* ADD_FILES: AddFileSet, or AddFileWithRanges when ranges come (one file). */
static bgcopy_hr job_add(bgcopy_job *job, struct bgcopy__svc_rd *in)
{
    uint32_t n = bgcopy__svc_rd_u32(in), rn, i;
    bgcopy_file_info *files = calloc(n ? n : 1, sizeof(*files));
    bgcopy_file_range *ranges = NULL;
    bgcopy_hr hr = BGCOPY_E_OUTOFMEMORY;

    if (files == NULL) {
        return hr;
    }
    for (i = 0; i < n; i++) {
        files[i].remote_name = bgcopy__svc_rd_str(in);
        files[i].local_name = bgcopy__svc_rd_str(in);
    }
    rn = bgcopy__svc_rd_u32(in);
    if (rn == 0) {
        hr = bgcopy_job_add_file_set(job, n, files);
    } else if (n != 1) {
        hr = BGCOPY_E_INVALIDARG;
    } else if ((ranges = calloc(rn, sizeof(*ranges))) != NULL) {
        for (i = 0; i < rn; i++) {
            ranges[i].initial_offset = bgcopy__svc_rd_u64(in);
            ranges[i].length = bgcopy__svc_rd_u64(in);
        }
        hr = bgcopy_job_add_file_with_ranges(job, files[0].remote_name, files[0].local_name, rn,
                                             ranges);
    }
    free(ranges);
    free(files);
    return hr;
}

/* Starts acting as job's owner for the name checks of AddFile (the local directory must be
 * writable by the owner, who will own the files): a system-wide service only (core/sys.h). */
static bgcopy_hr act_as_owner(bgcopy_job *job, bgcopy__act *act)
{
    char *owner = NULL;
    bgcopy_hr hr = bgcopy_job_get_owner(job, &owner);

    act->active = 0;
    if (BGCOPY_SUCCEEDED(hr)) {
        hr = bgcopy__sys_act_begin(owner, 0, act);
    }
    bgcopy_free(owner);
    return hr;
}

/* Requests on a job. */
static bgcopy_hr do_job(struct conn *c, int op, bgcopy_job *job, struct bgcopy__svc_rd *in,
                        struct bgcopy__svc_wr *out)
{
    bgcopy_hr hr = BGCOPY_S_OK;
    bgcopy__act act;

    switch (op) {
    case BGCOPY__OP_ADD_FILES:
        hr = act_as_owner(job, &act);
        if (BGCOPY_SUCCEEDED(hr)) {
            hr = job_add(job, in);
        }
        bgcopy__sys_act_end(&act);
        bgcopy__svc_wr_hr(out, hr);
        break;
    case BGCOPY__OP_ENUM_FILES: {
        bgcopy_file_enum *en = NULL;
        bgcopy_file *f;
        uint32_t n = 0, got;

        hr = bgcopy_job_enum_files(job, &en);
        if (BGCOPY_SUCCEEDED(hr)) {
            (void)bgcopy_file_enum_get_count(en, &n);
        }
        bgcopy__svc_wr_hr(out, hr);
        bgcopy__svc_wr_u32(out, n);
        while (n > 0 && bgcopy_file_enum_next(en, 1, &f, &got) == BGCOPY_S_OK && got == 1) {
            uint32_t index = file_index(f);
            bgcopy__svc_wr_u64(out, export_obj(c, H_FILE, f));
            bgcopy__svc_wr_u32(out, index);
            n--;
        }
        bgcopy_file_enum_release(en);
        break;
    }
    case BGCOPY__OP_REPLACE_PREFIX: {
        const char *a = bgcopy__svc_rd_str(in);
        hr = bgcopy_job_replace_remote_prefix(job, a, bgcopy__svc_rd_str(in));
        bgcopy__svc_wr_hr(out, hr);
        break;
    }
    case BGCOPY__OP_RESUME:
        bgcopy__svc_wr_hr(out, hr = bgcopy_job_resume(job));
        break;
    case BGCOPY__OP_SUSPEND:
        bgcopy__svc_wr_hr(out, hr = bgcopy_job_suspend(job));
        break;
    case BGCOPY__OP_CANCEL:
        bgcopy__svc_wr_hr(out, hr = bgcopy_job_cancel(job));
        break;
    case BGCOPY__OP_COMPLETE:
        bgcopy__svc_wr_hr(out, hr = bgcopy_job_complete(job));
        break;
    case BGCOPY__OP_GET_INFO: {
        struct bgcopy__job_info info;

        memset(&info, 0, sizeof(info));
        hr = job->ops->get_info(job, &info);
        bgcopy__svc_wr_hr(out, hr);
        bgcopy__svc_wr_guid(out, &info.id);
        bgcopy__svc_wr_u32(out, (uint32_t)info.type);
        bgcopy__svc_wr_u32(out, (uint32_t)info.state);
        bgcopy__svc_wr_u32(out, (uint32_t)info.priority);
        bgcopy__svc_wr_u64(out, info.progress.bytes_total);
        bgcopy__svc_wr_u64(out, info.progress.bytes_transferred);
        bgcopy__svc_wr_u32(out, info.progress.files_total);
        bgcopy__svc_wr_u32(out, info.progress.files_transferred);
        bgcopy__svc_wr_u64(out, info.times.creation_time);
        bgcopy__svc_wr_u64(out, info.times.modification_time);
        bgcopy__svc_wr_u64(out, info.times.transfer_completion_time);
        bgcopy__svc_wr_u32(out, info.error_count);
        bgcopy__svc_wr_u32(out, info.notify_flags);
        bgcopy__svc_wr_u32(out, info.retry_delay);
        bgcopy__svc_wr_u32(out, info.no_progress_timeout);
        bgcopy__svc_wr_u32(out, info.max_download_time);
        bgcopy__svc_wr_u32(out, (uint32_t)info.proxy_usage);
        bgcopy__svc_wr_u32(out, info.security_flags);
        bgcopy__svc_wr_u32(out, info.cost_flags);
        bgcopy__svc_wr_u32(out, (uint32_t)info.dynamic_content);
        bgcopy__svc_wr_u32(out, (uint32_t)info.high_performance);
        bgcopy__svc_wr_u32(out, (uint32_t)info.on_demand);
        bgcopy__svc_wr_u64(out, info.max_download_size);
        bgcopy__svc_wr_u32(out, info.min_notify_interval_ms);
        bgcopy__svc_wr_guid(out, &info.notification_clsid);
        bgcopy__svc_wr_u32(out, (uint32_t)info.has_custom_headers);
        break;
    }
    case BGCOPY__OP_GET_STRING: {
        char *s = NULL;
        hr = job_string(job, bgcopy__svc_rd_u32(in), &s);
        bgcopy__svc_wr_hr(out, hr);
        bgcopy__svc_wr_str(out, s);
        bgcopy_free(s);
        break;
    }
    case BGCOPY__OP_GET_ERROR: {
        bgcopy_error *err = NULL;
        bgcopy_error_context context = BGCOPY_ERROR_CONTEXT_NONE;
        bgcopy_hr code = BGCOPY_S_OK;
        char *protocol = NULL;
        bgcopy_file *f = NULL;
        uint32_t index = 0;

        hr = bgcopy_job_get_error(job, &err);
        if (BGCOPY_SUCCEEDED(hr)) {
            (void)bgcopy_error_get_error(err, &context, &code);
            (void)bgcopy_error_get_protocol(err, &protocol);
            if (BGCOPY_SUCCEEDED(bgcopy_error_get_file(err, &f))) {
                index = file_index(f);
            }
            bgcopy_error_release(err);
        }
        bgcopy__svc_wr_hr(out, hr);
        bgcopy__svc_wr_u32(out, (uint32_t)context);
        bgcopy__svc_wr_hr(out, code);
        bgcopy__svc_wr_str(out, protocol);
        bgcopy__svc_wr_u64(out, export_obj(c, H_FILE, f));
        bgcopy__svc_wr_u32(out, index);
        bgcopy_free(protocol);
        break;
    }
    case BGCOPY__OP_SET_PROPERTY: {
        uint32_t which = bgcopy__svc_rd_u32(in);
        bgcopy__svc_wr_hr(out, hr = job_set(job, which, in));
        break;
    }
    case BGCOPY__OP_SET_CALLBACKS: {
        uint32_t mask = bgcopy__svc_rd_u32(in);
        uint64_t cookie = bgcopy__svc_rd_u64(in);
        struct sreg *r;
        bgcopy_callbacks cb;

        pthread_mutex_lock(&c->s->reg_lock);
        if (mask == BGCOPY__CB_CLEAR) {
            hr = bgcopy_job_set_notify_callbacks(job, NULL, NULL);
        } else if ((mask & ~BGCOPY__CB_ALL) != 0) {
            hr = BGCOPY_E_INVALIDARG;
        } else {
            pthread_mutex_lock(&c->s->lock);
            r = reg_for(c->s, c, R_JOB, job, NULL, cookie);
            pthread_mutex_unlock(&c->s->lock);
            cb = trampolines(mask);
            hr = r == NULL ? BGCOPY_E_OUTOFMEMORY
                           : bgcopy_job_set_notify_callbacks(job, &cb, (void *)(uintptr_t)r->id);
        }
        pthread_mutex_unlock(&c->s->reg_lock);
        bgcopy__svc_wr_hr(out, hr);
        break;
    }
    case BGCOPY__OP_GET_CALLBACKS: {
        int registered = 0, mine = 0;
        void *user = NULL;
        uint64_t cookie = 0;
        struct sreg *r;

        hr = bgcopy_job_get_notify_callbacks(job, &registered, NULL, &user);
        if (BGCOPY_SUCCEEDED(hr) && registered) {
            pthread_mutex_lock(&c->s->lock);
            r = bgcopy__idmap_get(&c->s->regs, (uintptr_t)user);
            if (r != NULL && r->conn == c) {
                mine = 1;
                cookie = r->cookie;
            }
            pthread_mutex_unlock(&c->s->lock);
        }
        bgcopy__svc_wr_hr(out, hr);
        bgcopy__svc_wr_u32(out, (uint32_t)registered);
        bgcopy__svc_wr_u32(out, (uint32_t)mine);
        bgcopy__svc_wr_u64(out, cookie);
        break;
    }
    default:
        hr = BGCOPY_E_INVALIDARG;
        bgcopy__svc_wr_hr(out, hr);
        break;
    }
    return hr;
}

/* Requests on a file. */
static void do_file(int op, bgcopy_file *f, struct bgcopy__svc_rd *in, struct bgcopy__svc_wr *out)
{
    bgcopy_hr hr;

    switch (op) {
    case BGCOPY__OP_FILE_GET_STRING: {
        uint32_t which = bgcopy__svc_rd_u32(in);
        char *s = NULL;
        hr = which == BGCOPY__STR_FILE_REMOTE  ? bgcopy_file_get_remote_name(f, &s)
             : which == BGCOPY__STR_FILE_LOCAL ? bgcopy_file_get_local_name(f, &s)
             : which == BGCOPY__STR_FILE_TEMP  ? bgcopy_file_get_temporary_name(f, &s)
                                               : BGCOPY_E_INVALIDARG;
        bgcopy__svc_wr_hr(out, hr);
        bgcopy__svc_wr_str(out, s);
        bgcopy_free(s);
        break;
    }
    case BGCOPY__OP_FILE_GET_PROGRESS: {
        bgcopy_file_progress p;
        memset(&p, 0, sizeof(p));
        hr = bgcopy_file_get_progress(f, &p);
        bgcopy__svc_wr_hr(out, hr);
        bgcopy__svc_wr_u64(out, p.bytes_total);
        bgcopy__svc_wr_u64(out, p.bytes_transferred);
        bgcopy__svc_wr_u32(out, (uint32_t)p.completed);
        break;
    }
    case BGCOPY__OP_FILE_GET_RANGES: {
        uint32_t n = 0, i;
        bgcopy_file_range *r = NULL;
        hr = bgcopy_file_get_file_ranges(f, &n, &r);
        bgcopy__svc_wr_hr(out, hr);
        bgcopy__svc_wr_u32(out, n);
        for (i = 0; i < n; i++) {
            bgcopy__svc_wr_u64(out, r[i].initial_offset);
            bgcopy__svc_wr_u64(out, r[i].length);
        }
        bgcopy_free(r);
        break;
    }
    default: /* FILE_SET_REMOTE */
        bgcopy__svc_wr_hr(out, bgcopy_file_set_remote_name(f, bgcopy__svc_rd_str(in)));
        break;
    }
}

/* A failure reply of op: hr and zero outputs in the shape of the op's reply schema (an unknown
 * handle: E_INVALIDARG; a reply that could not be built: E_OUTOFMEMORY). */
static void fail_reply(int op, bgcopy_hr hr, struct bgcopy__svc_wr *out)
{
    const char *p = bgcopy__svc_schema(BGCOPY__SVC_REPLY, op);

    bgcopy__svc_wr_hr(out, hr);
    for (p++; *p != '\0'; p++) {
        switch (*p) {
        case 'Q':
            bgcopy__svc_wr_u64(out, 0);
            break;
        case 'G': {
            bgcopy_guid zero = {{0}};
            bgcopy__svc_wr_guid(out, &zero);
            break;
        }
        case 'Z':
            bgcopy__svc_wr_str(out, NULL);
            break;
        case '[':
            bgcopy__svc_wr_u32(out, 0);
            p = strchr(p, ']');
            break;
        default: /* U, I */
            bgcopy__svc_wr_u32(out, 0);
            break;
        }
    }
}

/* Runs one request on a pool thread. */
static void work_run(uv_work_t *req)
{
    struct work *w = (struct work *)req;
    struct conn *c = w->c;
    struct bgcopy__svc_rd in;
    int op = w->h.op, dead;

    pthread_mutex_lock(&c->lock);
    dead = c->dead;
    pthread_mutex_unlock(&c->lock);
    if (dead) {
        return; /* the client is gone: nobody waits for the answer */
    }
    bgcopy__svc_rd_init(&in, w->body, w->len);
    bgcopy__svc_wr_begin(&w->out, BGCOPY__SVC_REPLY, op, 0, w->h.id);
    switch (op) {
    case BGCOPY__OP_HELLO:
        w->refused = BGCOPY_FAILED(do_hello(c, &in, &w->out));
        break;
    case BGCOPY__OP_CLOSE:
    case BGCOPY__OP_CREATE_JOB:
    case BGCOPY__OP_GET_JOB:
    case BGCOPY__OP_ENUM_JOBS:
    case BGCOPY__OP_REGISTER_HANDLER:
    case BGCOPY__OP_UNREGISTER_HANDLER:
        (void)do_manager(c, op, &in, &w->out);
        break;
    case BGCOPY__OP_JOB_RELEASE:
    case BGCOPY__OP_FILE_RELEASE: {
        uint64_t id = bgcopy__svc_rd_u64(&in);
        release_handle(c, id, bgcopy__svc_rd_u64(&in),
                       op == BGCOPY__OP_JOB_RELEASE ? H_JOB : H_FILE);
        bgcopy__svc_wr_hr(&w->out, BGCOPY_S_OK);
        break;
    }
    case BGCOPY__OP_FILE_GET_STRING:
    case BGCOPY__OP_FILE_GET_PROGRESS:
    case BGCOPY__OP_FILE_GET_RANGES:
    case BGCOPY__OP_FILE_SET_REMOTE: {
        bgcopy_file *f = handle_obj(c, bgcopy__svc_rd_u64(&in), H_FILE);
        if (f == NULL) {
            fail_reply(op, BGCOPY_E_INVALIDARG, &w->out);
        } else {
            do_file(op, f, &in, &w->out);
            bgcopy_file_release(f);
        }
        break;
    }
    default: {
        bgcopy_job *job = handle_obj(c, bgcopy__svc_rd_u64(&in), H_JOB);
        if (job == NULL) {
            fail_reply(op, BGCOPY_E_INVALIDARG, &w->out);
        } else {
            (void)do_job(c, op, job, &in, &w->out);
            bgcopy_job_release(job);
        }
        break;
    }
    }
    if (bgcopy__svc_wr_end(&w->out) != 0) {
        /* Out of memory or a reply over the frame limit: the plain failure instead. */
        bgcopy__svc_wr_begin(&w->out, BGCOPY__SVC_REPLY, op, 0, w->h.id);
        fail_reply(op, BGCOPY_E_OUTOFMEMORY, &w->out);
        (void)bgcopy__svc_wr_end(&w->out);
    }
}

static void queue_cleanup(struct conn *c);
static void process_input(struct conn *c);

/* Back on the loop thread: sends the reply. */
static void work_done(uv_work_t *req, int status)
{
    struct work *w = (struct work *)req;
    struct conn *c = w->c;

    c->outstanding--;
    if (w->h.op == BGCOPY__OP_HELLO && c->hello == 1) {
        c->hello = 2;
        c->close_after_write = w->refused;
    }
    if (!(w->h.flags & BGCOPY__SVC_NOREPLY) && w->out.buf != NULL && !c->dead) {
        conn_write(c, w->out.buf, w->out.len);
        w->out.buf = NULL;
    }
    bgcopy__svc_wr_free(&w->out);
    free(w->body);
    free(w);
    if (c->dead) {
        if (c->outstanding == 0) {
            queue_cleanup(c);
        }
    } else if (c->paused) {
        resume_reading(c);
    }
    conn_unref(c);
}

/* ---- reading
 * -------------------------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = handle->data;
    *buf = uv_buf_init((char *)c->s->read_buf, READ_CHUNK);
}

/* Handles one complete frame. Returns 0, or -1 after disconnecting the client. */
static int take_frame(struct conn *c, const struct bgcopy__svc_header *h, const uint8_t *body,
                      size_t len)
{
    struct work *w;
    struct pending *p;

    if (!bgcopy__svc_check(body, len, bgcopy__svc_schema(h->type, h->op))) {
        conn_drop(c, "malformed frame");
        return -1;
    }
    if (h->type == BGCOPY__SVC_EVENT_REPLY) {
        struct bgcopy__svc_rd r;
        bgcopy__svc_rd_init(&r, body, len);
        pthread_mutex_lock(&c->lock);
        for (p = c->events; p != NULL && p->id != h->id; p = p->next) {
        }
        if (p != NULL && !p->done) {
            p->hr = bgcopy__svc_rd_hr(&r);
            p->done = 1;
            pthread_cond_broadcast(&c->cond);
        }
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    if (h->type != BGCOPY__SVC_REQUEST || (h->op == BGCOPY__OP_HELLO) != (c->hello == 0)) {
        conn_drop(c, h->type != BGCOPY__SVC_REQUEST ? "unexpected frame type"
                     : c->hello == 0                ? "request before HELLO"
                                                    : "second HELLO");
        return -1;
    }
    w = calloc(1, sizeof(*w));
    if (w == NULL || (w->body = malloc(len ? len : 1)) == NULL) {
        free(w);
        conn_drop(c, "out of memory");
        return -1;
    }
    memcpy(w->body, body, len);
    w->len = len;
    w->h = *h;
    w->c = c;
    if (h->op == BGCOPY__OP_HELLO) {
        c->hello = 1; /* nothing else is read until it is answered */
    }
    conn_ref(c);
    c->outstanding++;
    if (uv_queue_work(&c->s->loop, &w->req, work_run, work_done) != 0) {
        c->outstanding--;
        conn_unref(c);
        free(w->body);
        free(w);
        conn_drop(c, "cannot queue work");
        return -1;
    }
    return 0;
}

/* Whether the client may send more now. */
static int may_read(const struct conn *c)
{
    return !c->dead && c->outstanding < MAX_OUTSTANDING && c->hello != 1 &&
           uv_stream_get_write_queue_size((const uv_stream_t *)&c->pipe) <= OUT_LIMIT;
}

/* Handles the complete frames buffered, as long as the client may send. */
static void process_input(struct conn *c)
{
    size_t off = 0, consumed, blen;
    struct bgcopy__svc_header h;
    const uint8_t *body;
    int rc = 0;

    while (may_read(c) && (rc = bgcopy__svc_frame(c->in + off, c->in_len - off, &h, &body, &blen,
                                                  &consumed)) == 1) {
        if (take_frame(c, &h, body, blen) != 0) {
            return;
        }
        off += consumed;
    }
    if (rc < 0) {
        conn_drop(c, "impossible frame length");
        return;
    }
    if (off > 0) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = stream->data;

    if (nread < 0) {
        conn_drop(c, nread == UV_EOF ? NULL : uv_strerror((int)nread));
        return;
    }
    if (nread == 0) {
        return;
    }
    if (c->in_len + (size_t)nread > c->in_cap) {
        size_t cap = c->in_cap ? c->in_cap : 4096;
        uint8_t *grown;
        while (cap < c->in_len + (size_t)nread) {
            cap *= 2;
        }
        if (cap > 4 + (size_t)BGCOPY__SVC_MAX_FRAME + READ_CHUNK ||
            (grown = realloc(c->in, cap)) == NULL) {
            conn_drop(c, "input buffer limit");
            return;
        }
        c->in = grown;
        c->in_cap = cap;
    }
    memcpy(c->in + c->in_len, buf->base, (size_t)nread);
    c->in_len += (size_t)nread;
    process_input(c);
    if (!c->dead && !may_read(c) && !c->paused) {
        uv_read_stop(stream);
        c->paused = 1;
    }
}

static void resume_reading(struct conn *c)
{
    process_input(c);
    if (!c->dead && c->paused && may_read(c)) {
        c->paused = 0;
        uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
    }
}

/* ---- disconnecting
 * ---------------------------------------------------------------------------------- */

static void on_closed(uv_handle_t *handle)
{
    conn_unref(handle->data);
}

static void start_idle_timer(struct server *s);

/* Ends a client (loop thread): no more reading or writing; its state is dropped by the
 * cleanup once its running requests finished. */
static void conn_drop(struct conn *c, const char *why)
{
    struct server *s = c->s;
    size_t left;

    if (c->dead) {
        return;
    }
    if (why != NULL) {
        log_line("client pid %ld uid %lu dropped: %s", (long)c->pid, (unsigned long)c->uid, why);
    }
    pthread_mutex_lock(&c->lock);
    c->dead = 1;
    pthread_mutex_unlock(&c->lock);
    uv_read_stop((uv_stream_t *)&c->pipe);
    uv_close((uv_handle_t *)&c->pipe, on_closed);
    pthread_mutex_lock(&s->lock);
    left = --s->nconns;
    pthread_mutex_unlock(&s->lock);
    if (c->outstanding == 0) {
        queue_cleanup(c);
    }
    if (left == 0 && !s->stopping) {
        s->last_busy = uv_now(&s->loop);
        start_idle_timer(s);
    }
}

/* Pool thread: drops what a gone client had, in the order that lets the engine fall back. */
static void cleanup_run(uv_work_t *req)
{
    struct conn *c = req->data;
    struct server *s = c->s;
    struct sreg *r, *rnext, *mine;
    struct handle **hs = NULL;
    size_t n = 0, i;

    /* 1. Job callbacks still registered by this client are removed: the job's handler or
     *    command line takes over (the engine re-queues what is owed). */
    pthread_mutex_lock(&s->reg_lock);
    pthread_mutex_lock(&s->lock);
    mine = c->regs;
    c->regs = NULL;
    pthread_mutex_unlock(&s->lock);
    for (r = mine; r != NULL; r = r->conn_next) {
        int registered = 0;
        void *user = NULL;
        if (r->kind == R_JOB &&
            BGCOPY_SUCCEEDED(bgcopy_job_get_notify_callbacks(r->job, &registered, NULL, &user)) &&
            registered && (uintptr_t)user == r->id) {
            (void)bgcopy_job_set_notify_callbacks(r->job, NULL, NULL);
        }
    }
    /* 2. Its manager closes: its named handlers end. */
    close_mgr(c);
    pthread_mutex_lock(&s->lock);
    for (r = mine; r != NULL; r = r->conn_next) {
        (void)bgcopy__idmap_del(&s->regs, r->id);
    }
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_unlock(&s->reg_lock);
    for (r = mine; r != NULL; r = rnext) {
        rnext = r->conn_next;
        if (r->job != NULL) {
            bgcopy_job_release(r->job);
        }
        free(r->name);
        free(r);
    }
    /* 3. Callbacks waiting for this client fail; 4. its handles are released. */
    pthread_mutex_lock(&c->lock);
    c->events_dead = 1;
    c->cleaned = 1;
    pthread_cond_broadcast(&c->cond);
    if (c->by_id.count > 0) {
        hs = calloc(c->by_id.count, sizeof(*hs));
    }
    for (i = 0; hs != NULL && i < c->by_id.cap; i++) {
        if (c->by_id.keys[i] != 0) {
            hs[n++] = c->by_id.vals[i];
        }
    }
    bgcopy__idmap_free(&c->by_id);
    bgcopy__idmap_free(&c->by_obj);
    pthread_mutex_unlock(&c->lock);
    for (i = 0; i < n; i++) {
        release_obj(hs[i]->kind, hs[i]->obj);
        free(hs[i]);
    }
    free(hs); /* (out of memory: the references stay, the objects with them) */
}

static void cleanup_done(uv_work_t *req, int status)
{
    struct conn *c = req->data;
    free(req);
    conn_unref(c);
}

static void queue_cleanup(struct conn *c)
{
    uv_work_t *req;

    if (c->cleanup_queued) {
        return;
    }
    c->cleanup_queued = 1;
    req = calloc(1, sizeof(*req));
    if (req == NULL) {
        log_line("out of memory: the state of client pid %ld stays", (long)c->pid);
        return;
    }
    req->data = c;
    conn_ref(c);
    if (uv_queue_work(&c->s->loop, req, cleanup_run, cleanup_done) != 0) {
        cleanup_run(req); /* on the loop thread, rather than never */
        cleanup_done(req, 0);
    }
}

/* ---- accepting
 * ---------------------------------------------------------------------------------------- */

static void on_connection(uv_stream_t *listener, int status)
{
    struct server *s = listener->data;
    struct conn *c, *o;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    uv_os_fd_t fd;
    size_t same = 0;
    const char *refuse = NULL;

    if (status < 0 || s->stopping) {
        return;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return;
    }
    c->s = s;
    c->refs = 1; /* the pipe handle */
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    pthread_rwlock_init(&c->mgr_lock, NULL);
    uv_pipe_init(&s->loop, &c->pipe, 0);
    c->pipe.data = c;
    if (uv_accept(listener, (uv_stream_t *)&c->pipe) != 0) {
        uv_close((uv_handle_t *)&c->pipe, NULL);
        pthread_rwlock_destroy(&c->mgr_lock);
        pthread_cond_destroy(&c->cond);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return;
    }
    pthread_mutex_lock(&s->lock);
    c->next = s->conns;
    if (s->conns != NULL) {
        s->conns->prev = c;
    }
    s->conns = c;
    s->nconns++;
    pthread_mutex_unlock(&s->lock);
    uv_timer_stop(&s->idle_timer);

    if (uv_fileno((uv_handle_t *)&c->pipe, &fd) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        refuse = "no peer credentials";
    } else {
        c->uid = cred.uid;
        c->pid = cred.pid;
        pthread_mutex_lock(&s->lock);
        for (o = s->conns; o != NULL; o = o->next) {
            same += o->uid == c->uid && !o->dead;
        }
        pthread_mutex_unlock(&s->lock);
        if (!s->o->system && c->uid != s->uid && c->uid != 0) {
            refuse = "another user (a per-user service serves its own user and root)";
        } else if (same > MAX_CONN_PER_UID) {
            refuse = "too many connections of this user";
        }
    }
    if (refuse != NULL) {
        conn_drop(c, refuse);
        return;
    }
    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

/* ---- idle exit and shutdown
 * ------------------------------------------------------------------------ */

static void begin_shutdown(struct server *s, const char *why);
static void finish_if_done(struct server *s);

/* Whether jobs live only in this process (no store): then the service stays while any job
 * exists, since leaving would lose it. */
static int engine_volatile(const struct server *s)
{
    return s->base->engine == NULL || s->base->engine->store == NULL;
}

struct idle_check {
    uv_work_t req;
    struct server *s;
    int busy;
};

/* Pool thread: is any job still in need of the service? QUEUED, CONNECTING, TRANSFERRING and
 * TRANSIENT_ERROR jobs are; without a store, any job is. */
static void idle_run(uv_work_t *req)
{
    struct idle_check *ic = (struct idle_check *)req;
    bgcopy_job_enum *en = NULL;
    bgcopy_job *job;
    uint32_t got;
    int any_job = 0;

    if (BGCOPY_FAILED(bgcopy_manager_enum_jobs(ic->s->base, BGCOPY_JOB_ENUM_ALL_USERS, &en))) {
        ic->busy = 1;
        return;
    }
    while (bgcopy_job_enum_next(en, 1, &job, &got) == BGCOPY_S_OK && got == 1) {
        bgcopy_job_state st = BGCOPY_JOB_STATE_SUSPENDED;
        (void)bgcopy_job_get_state(job, &st);
        any_job = 1;
        if (st == BGCOPY_JOB_STATE_QUEUED || st == BGCOPY_JOB_STATE_CONNECTING ||
            st == BGCOPY_JOB_STATE_TRANSFERRING || st == BGCOPY_JOB_STATE_TRANSIENT_ERROR) {
            ic->busy = 1;
        }
        bgcopy_job_release(job);
    }
    bgcopy_job_enum_release(en);
    if (any_job && engine_volatile(ic->s)) {
        ic->busy = 1;
    }
}

static void idle_done(uv_work_t *req, int status)
{
    struct idle_check *ic = (struct idle_check *)req;
    struct server *s = ic->s;
    uint64_t now = uv_now(&s->loop);

    pthread_mutex_lock(&s->lock);
    s->idle_check_running = 0;
    pthread_mutex_unlock(&s->lock);
    if (ic->busy || s->nconns > 0) {
        s->last_busy = now;
    } else if (now - s->last_busy >= s->idle_ms && !s->stopping) {
        begin_shutdown(s, "idle");
    }
    free(ic);
    finish_if_done(s);
}

static void on_idle_tick(uv_timer_t *t)
{
    struct server *s = t->data;
    struct idle_check *ic;

    if (s->nconns > 0 || s->stopping) {
        uv_timer_stop(t);
        return;
    }
    if (s->idle_check_running || (ic = calloc(1, sizeof(*ic))) == NULL) {
        return;
    }
    ic->s = s;
    s->idle_check_running = 1;
    if (uv_queue_work(&s->loop, &ic->req, idle_run, idle_done) != 0) {
        s->idle_check_running = 0;
        free(ic);
    }
}

static void start_idle_timer(struct server *s)
{
    uint64_t tick;

    if (s->idle_ms == 0) {
        return; /* never exits when idle */
    }
    tick = s->idle_ms / 4;
    tick = tick < 100 ? 100 : tick > 1000 ? 1000 : tick;
    uv_timer_start(&s->idle_timer, on_idle_tick, tick, tick);
}

static void finish_if_done(struct server *s)
{
    int done;

    pthread_mutex_lock(&s->lock);
    done = s->stopping && s->conns == NULL && !s->finished && !s->idle_check_running;
    if (done) {
        s->finished = 1; /* under the lock: conn_free no longer signals the async handle */
    }
    pthread_mutex_unlock(&s->lock);
    if (!done) {
        return;
    }
    uv_close((uv_handle_t *)&s->async, NULL);
    uv_close((uv_handle_t *)&s->idle_timer, NULL);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    uv_close((uv_handle_t *)&s->sigint, NULL);
}

/* Loop thread: writes the frames other threads queued; finishes a shutdown. */
static void on_async(uv_async_t *a)
{
    struct server *s = a->data;
    struct conn *c, **list = NULL;
    struct outframe *f, *next;
    size_t n = 0, i;

    /* A snapshot of the connections with frames queued, each referenced: writing may drop a
     * connection (which takes the server lock). */
    pthread_mutex_lock(&s->lock);
    for (c = s->conns; c != NULL; c = c->next) {
        n++;
    }
    list = n > 0 ? calloc(n, sizeof(*list)) : NULL;
    n = 0;
    for (c = s->conns; list != NULL && c != NULL; c = c->next) {
        conn_ref(c);
        list[n++] = c;
    }
    pthread_mutex_unlock(&s->lock);
    for (i = 0; i < n; i++) {
        c = list[i];
        pthread_mutex_lock(&c->lock);
        f = c->outq;
        c->outq = c->outq_tail = NULL;
        pthread_mutex_unlock(&c->lock);
        for (; f != NULL; f = next) {
            next = f->next;
            conn_write(c, f->buf, f->len);
            free(f);
        }
        conn_unref(c);
    }
    free(list);
    finish_if_done(s);
}

static void unlink_socket(struct server *s)
{
    if (s->listening) {
        s->listening = 0;
        uv_close((uv_handle_t *)&s->listener, NULL);
        (void)unlink(s->socket_path);
    }
}

static void begin_shutdown(struct server *s, const char *why)
{
    struct conn *c, *next;

    if (s->stopping) {
        return;
    }
    log_line("stopping (%s)", why);
    s->stopping = 1;
    unlink_socket(s);
    uv_timer_stop(&s->idle_timer);
    pthread_mutex_lock(&s->lock);
    c = s->conns;
    pthread_mutex_unlock(&s->lock);
    for (; c != NULL; c = next) {
        pthread_mutex_lock(&s->lock);
        next = c->next;
        pthread_mutex_unlock(&s->lock);
        conn_drop(c, NULL);
    }
    finish_if_done(s);
}

static void on_signal(uv_signal_t *h, int signum)
{
    begin_shutdown(h->data, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* ---- start-up
 * ------------------------------------------------------------------------------------------- */

static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(int fd, const char *fmt, ...)
{
    char line[600];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n > sizeof(line) - 2) {
        n = (int)sizeof(line) - 2;
    }
    line[n++] = '\n';
    log_line("%.*s", n - 1, line);
    if (fd >= 0) {
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
    }
}

/* Takes the socket's lock file. Another live instance: refuse. A holder on its way out (its
 * socket no longer answers): wait for it, up to 10 s. Returns the descriptor, or -1. */
static int take_lock(const char *socket_path, int ready_fd)
{
    char path[4200];
    int fd, tries, probe;

    snprintf(path, sizeof(path), "%s.lock", socket_path);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        report(ready_fd, "ERROR %08X fatal %s: %s", (unsigned)bgcopy__sys_hr_from_errno(errno),
               path, strerror(errno));
        return -1;
    }
    for (tries = 0; flock(fd, LOCK_EX | LOCK_NB) != 0; tries++) {
        probe = bgcopy__svc_connect(socket_path);
        if (probe >= 0 || tries >= 1000) {
            if (probe >= 0) {
                close(probe);
            }
            report(ready_fd, "ERROR %08X busy another bgcopyd serves %s",
                   (unsigned)BGCOPY_E_WIN32_SERVICE_ALREADY_RUNNING, socket_path);
            close(fd);
            return -1;
        }
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    }
    return fd;
}

static void write_pid_file(const char *socket_path)
{
    char path[4200], tmp[4210];
    FILE *f;

    snprintf(path, sizeof(path), "%s.pid", socket_path);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    if (f != NULL) {
        fprintf(f, "%ld\n", (long)getpid());
        if (fclose(f) == 0) {
            (void)rename(tmp, path);
        }
    }
}

static void remove_pid_file(const char *socket_path)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s.pid", socket_path);
    (void)unlink(path);
}

int bgcopy__svc_server_run(const struct bgcopy__svc_server_options *o)
{
    struct server *s = calloc(1, sizeof(*s));
    bgcopy_manager_options mo = o->engine;
    char detail[512], *me = NULL;
    int lock_fd = -1, listen_fd = -1, rc = 1, probe;
    bgcopy_hr hr;

    signal(SIGPIPE, SIG_IGN);
    if (getenv("UV_THREADPOOL_SIZE") == NULL) {
        setenv("UV_THREADPOOL_SIZE", "8", 1); /* before the pool starts */
    }
    if (s == NULL) {
        report(o->ready_fd, "ERROR %08X fatal out of memory", (unsigned)BGCOPY_E_OUTOFMEMORY);
        return 1;
    }
    the_server = s;
    s->o = o;
    s->uid = geteuid();
    s->idle_ms = (uint64_t)o->idle_timeout * 1000;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->reg_lock, NULL);
    s->socket_path = o->socket != NULL ? strdup(o->socket)
                     : o->system       ? strdup(BGCOPY__SVC_SYSTEM_SOCKET)
                                       : bgcopy__svc_socket_path(NULL);
    s->state_dir = o->state_dir != NULL ? strdup(o->state_dir) : NULL;
    if (s->socket_path == NULL || (o->state_dir != NULL && s->state_dir == NULL)) {
        report(o->ready_fd, "ERROR %08X fatal out of memory", (unsigned)BGCOPY_E_OUTOFMEMORY);
        goto out;
    }
    if (o->system && s->uid != 0) {
        report(o->ready_fd, "ERROR %08X fatal the system-wide service must run as root",
               (unsigned)BGCOPY_E_ACCESSDENIED);
        goto out;
    }
    if (o->system && BGCOPY_FAILED(hr = bgcopy__sys_act_as_owners())) {
        report(o->ready_fd, "ERROR %08X fatal cannot act as the jobs' owners", (unsigned)hr);
        goto out;
    }
    if (o->system) {
        /* /run/bgcopy: root's, readable by all so that every user reaches the socket. */
        char *slash = strrchr(s->socket_path, '/');
        if (slash != NULL && slash != s->socket_path) {
            *slash = '\0';
            (void)mkdir(s->socket_path, 0755);
            *slash = '/';
        }
    }
    hr = bgcopy__svc_check_dir(s->socket_path, !o->system, detail, sizeof(detail));
    if (BGCOPY_FAILED(hr)) {
        report(o->ready_fd, "ERROR %08X fatal %s", (unsigned)hr, detail);
        goto out;
    }
    lock_fd = take_lock(s->socket_path, o->ready_fd);
    if (lock_fd < 0) {
        goto out;
    }

    /* The engine and its store: another process holding the state directory refuses us. */
    me = bgcopy__svc_user_name(s->uid);
    mo.size = sizeof(mo);
    mo.engine = BGCOPY_ENGINE_EMULATED;
    mo.sim = NULL;
    mo.user = me;
    mo.user_is_admin = 1;
    mo.state_dir = s->state_dir;
    mo.service_socket = mo.service_program = NULL;
    hr = me == NULL ? BGCOPY_E_OUTOFMEMORY : bgcopy_manager_open(&mo, &s->base);
    if (BGCOPY_FAILED(hr)) {
        report(o->ready_fd, "ERROR %08X fatal cannot open the engine: %s", (unsigned)hr,
               bgcopy_manager_open_detail()[0] ? bgcopy_manager_open_detail()
                                               : bgcopy_hr_message(hr));
        goto out;
    }

    /* A socket file left by an instance that died: replaced. One that answers: refused. */
    probe = bgcopy__svc_connect(s->socket_path);
    if (probe >= 0) {
        close(probe);
        report(o->ready_fd, "ERROR %08X busy another bgcopyd serves %s",
               (unsigned)BGCOPY_E_WIN32_SERVICE_ALREADY_RUNNING, s->socket_path);
        goto out;
    }
    (void)unlink(s->socket_path);
    listen_fd = bgcopy__svc_listen(s->socket_path, o->system ? 0666 : 0600);
    if (listen_fd < 0) {
        report(o->ready_fd, "ERROR %08X fatal %s: cannot listen: %s",
               (unsigned)bgcopy__sys_hr_from_errno(errno), s->socket_path, strerror(errno));
        goto out;
    }

    uv_loop_init(&s->loop);
    uv_pipe_init(&s->loop, &s->listener, 0);
    s->listener.data = s;
    if (uv_pipe_open(&s->listener, listen_fd) != 0 ||
        uv_listen((uv_stream_t *)&s->listener, 128, on_connection) != 0) {
        report(o->ready_fd, "ERROR %08X fatal %s: cannot listen", (unsigned)BGCOPY_E_FAIL,
               s->socket_path);
        uv_close((uv_handle_t *)&s->listener, NULL);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
        (void)unlink(s->socket_path);
        goto out;
    }
    s->listening = 1;
    uv_async_init(&s->loop, &s->async, on_async);
    s->async.data = s;
    uv_timer_init(&s->loop, &s->idle_timer);
    s->idle_timer.data = s;
    uv_signal_init(&s->loop, &s->sigterm);
    uv_signal_init(&s->loop, &s->sigint);
    s->sigterm.data = s->sigint.data = s;
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    s->last_busy = uv_now(&s->loop);
    start_idle_timer(s);
    write_pid_file(s->socket_path);
    report(o->ready_fd, "READY %ld", (long)getpid());
    if (o->ready_fd >= 0) {
        close(o->ready_fd);
    }
    log_line("serving %s (state %s, idle %us%s)", s->socket_path,
             s->state_dir ? s->state_dir : "default", (unsigned)o->idle_timeout,
             o->system ? ", system-wide" : "");

    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_loop_close(&s->loop);
    remove_pid_file(s->socket_path);
    rc = 0;
out:
    bgcopy_manager_close(s->base);
    if (lock_fd >= 0) {
        close(lock_fd); /* after the engine (and its store) let go */
    }
    bgcopy__idmap_free(&s->regs);
    free(me);
    free(s->socket_path);
    free(s->state_dir);
    pthread_mutex_destroy(&s->reg_lock);
    pthread_mutex_destroy(&s->lock);
    free(s);
    the_server = NULL;
    return rc;
}
