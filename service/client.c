/* service/client.c - BGCOPY_ENGINE_SERVICE: the engine table (struct bgcopy__engine_ops)
 * implemented by marshalling every call to bgcopyd over its Unix-domain socket.
 *
 * api.c validates every argument before it calls an engine entry, so each entry here only
 * encodes its (valid) arguments as one request, waits for the reply and decodes the outputs;
 * the daemon calls the same public function in its process (service/server.c). Protocol in
 * proto.h and docs/internals/service.md.
 *
 * One manager is one connection (struct conn). Objects the service hands out (jobs, files)
 * are named by per-connection handles; each handle maps to one client object, so the same job
 * seen twice through a connection is the same pointer, as in-process. Objects count how often
 * the service exported their handle; the release message carries that count, so a handle
 * exported again while its release is on the way stays valid.
 *
 * Threads:
 *   - callers: any thread sends a request (frames are written whole under wlock) and waits on
 *     its own condition variable for the reply;
 *   - the reader thread reads every frame: replies go to their waiting caller, events (the
 *     notification callbacks) to the dispatch queue. It never runs application code;
 *   - dispatch workers run the application's callbacks and send their HRESULT back. They are
 *     started on demand (at most MAX_WORKERS), so a callback that blocks does not hold up the
 *     others, and a callback may call any API function: its reply arrives through the reader.
 * The connection lives while the application holds the manager or any object from it
 * (app_refs): its last release closes it - queued events are dropped, callbacks running on
 * other threads are waited for (as in-process, where the last release stops the engine's
 * notifier threads), then the socket is shut down - and the connection is freed once no object
 * is left (user_refs: also the references callbacks and internal links hold). When that last
 * release happens inside a callback, its dispatch worker finishes the close after the
 * callback's answer went out.
 *
 * Service restarts: when the socket breaks (the service was killed, or crashed), calls in
 * flight fail with RPC_E_DISCONNECTED (getters, which are harmless to repeat, are sent again).
 * The next call reconnects - starting a new service if none answers - re-resolves every live
 * object by its job GUID (and file index), and registers the connection's callbacks and
 * handlers again, so handles keep working when the service has a store. An object whose job
 * is gone answers BG_E_NOT_FOUND.
 *
 * Starting the service: when connecting fails, bgcopyd is run (fork + exec, its stdio on
 * /dev/null) with a pipe on descriptor 3; it daemonizes and writes one line there once it
 * listens ("READY <pid>") or fails ("ERROR <hr> <busy|fatal> <text>"). The caller waits for
 * that line at most START_TIMEOUT_MS.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core-int.h"
#include "idmap.h"
#include "proto.h"
#include "svc.h"

extern char **environ;

#define START_TIMEOUT_MS 15000 /* connecting, starting the service and its answer */
#define MAX_WORKERS      32    /* dispatch threads per connection */
#define MAX_SPAWN_ARGS   50

struct conn;

struct svc_job {
    struct bgcopy_job h;
    struct conn *c;
    struct svc_job *prev, *next; /* every live job object of the connection */
    long refs;                   /* guarded by c->lock */
    uint64_t id;                 /* the service's handle, valid while gen == c->gen */
    uint64_t gen;
    uint64_t exports; /* times the service handed this handle out */
    bgcopy_guid guid;
    int lost; /* the job was not found again after a reconnect */
};

struct svc_file {
    struct bgcopy_file h;
    struct conn *c;
    struct svc_file *prev, *next;
    long refs;
    uint64_t id;
    uint64_t gen;
    uint64_t exports;
    struct svc_job *job; /* holds a reference */
    uint32_t index;      /* position in the job */
    int lost;
};

/* An error object: api.c reads context, code and protocol from the public part. */
struct svc_error {
    struct bgcopy_error e;
    struct conn *c;
    struct svc_file *file; /* holds a reference; NULL when the error names no file */
    int app;               /* handed out by GetError (counts in app_refs), not by an event */
};

struct svc_mgr {
    struct bgcopy_manager m;
    struct conn *c;
};

/* A callback registration of this connection: a job's callbacks (by GUID) or a named
 * handler. Kept until the connection ends, so an event racing a change still finds the
 * callbacks (the last ones set). */
enum { REG_JOB, REG_HANDLER };

struct reg {
    struct reg *next;
    uint64_t cookie;
    int kind;
    bgcopy_guid guid; /* REG_JOB */
    char *name;       /* REG_HANDLER */
    bgcopy_callbacks cb;
    void *user;
    int active; /* registered with the service (re-registered after a reconnect) */
};

/* A request waiting for its reply. */
struct call {
    struct call *next;
    uint32_t id;
    uint64_t gen;
    int done;       /* 1: reply in frame; -1: the connection broke */
    uint8_t *frame; /* whole frame, owned by the caller once done */
    const uint8_t *body;
    size_t body_len;
    pthread_cond_t cond;
};

/* An event waiting for a dispatch worker. Holds references on its objects. */
struct event {
    struct event *next;
    int kind;
    uint32_t id;
    uint64_t gen;
    uint64_t cookie;
    struct svc_job *job;
    struct svc_file *file;
    bgcopy_error_context err_context;
    bgcopy_hr err_code;
    const char *err_protocol; /* static "http" / "file" or NULL */
    struct svc_file *err_file;
};

/* What this connection asks for and how the service is started. */
struct settings {
    char *socket;
    char *program; /* NULL: look it up when needed; "": never start one */
    char *state_dir;
    char *user; /* requested identity, or NULL */
    int is_admin;
    uint32_t idle;
    bgcopy_manager_options engine; /* numeric engine options passed to a started service */
};

struct conn {
    pthread_mutex_t lock;   /* everything below */
    pthread_mutex_t wlock;  /* one frame on the socket at a time; fd changes under both */
    pthread_mutex_t relock; /* one reconnect at a time */
    pthread_cond_t cond;    /* worker and reader exits */
    pthread_cond_t evcond;  /* event queue */
    int fd;
    uint64_t gen; /* connection generation: +1 per (re)connect */
    int broken;   /* the socket failed; the next call reconnects */
    int closing;  /* no user reference left: shutting down */
    int reconnecting;
    pthread_t reconnector;
    pthread_t reader;
    int reader_joinable;
    struct call *calls;
    uint32_t next_id;
    struct bgcopy__idmap jobs, files; /* handle -> object, current generation */
    struct svc_job *job_list;
    struct svc_file *file_list;
    struct reg *regs;
    uint64_t next_cookie;
    struct event *evq, *evq_tail;
    int evq_len; /* events queued and not yet taken by a worker */
    int workers, idle_workers;
    int free_on_exit;    /* set by a worker that dropped the last reference */
    int finish_deferred; /* the application's last release ran on this worker */
    int shut_down;       /* closed: freed when user_refs reaches 0 */
    long user_refs;      /* the manager and every object (freeing) */
    long app_refs;       /* references the application holds (closing) */
    struct settings st;
    char *user; /* identity the service granted */
    int is_admin;
    uint32_t server_pid;
};

static const struct bgcopy__engine_ops svc_ops;

/* The connection whose dispatch worker runs on this thread (NULL elsewhere). */
static _Thread_local struct conn *worker_conn;

static void conn_user_unref(struct conn *c);
static void conn_app_unref(struct conn *c);

/* ---- small helpers -------------------------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void set_detail(const char *fmt, const char *a, const char *b)
{
    char text[512];
    snprintf(text, sizeof(text), fmt, a, b);
    bgcopy__set_open_detail(text);
}

/* Writes all of buf; returns 0 or -1 (errno set). Never raises SIGPIPE. */
static int send_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads exactly len bytes; deadline_ms < 0 waits forever. Returns 0, or -1 (EOF, error or
 * timeout). */
static int recv_all(int fd, uint8_t *buf, size_t len, int64_t deadline_ms)
{
    while (len > 0) {
        ssize_t n;
        if (deadline_ms >= 0) {
            struct pollfd p = {fd, POLLIN, 0};
            int64_t left = deadline_ms - now_ms();
            if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
                if (left > 0 && errno == EINTR) {
                    continue;
                }
                return -1;
            }
        }
        n = recv(fd, buf, len, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads one frame (malloc'ed, whole frame) whose body matches its schema. Returns 0, or -1
 * for EOF, an error, a timeout or a malformed frame. */
static int read_frame(int fd, int64_t deadline_ms, uint8_t **frame, struct bgcopy__svc_header *h,
                      const uint8_t **body, size_t *body_len)
{
    uint8_t prefix[4];
    uint32_t n;
    uint8_t *buf;
    size_t consumed;

    if (recv_all(fd, prefix, 4, deadline_ms) != 0) {
        return -1;
    }
    n = bgcopy__svc_le32(prefix);
    if (n < BGCOPY__SVC_HEADER || n > BGCOPY__SVC_MAX_FRAME) {
        return -1;
    }
    buf = malloc(4 + (size_t)n);
    if (buf == NULL) {
        return -1;
    }
    memcpy(buf, prefix, 4);
    if (recv_all(fd, buf + 4, n, deadline_ms) != 0 ||
        bgcopy__svc_frame(buf, 4 + (size_t)n, h, body, body_len, &consumed) != 1 ||
        !bgcopy__svc_check(*body, *body_len, bgcopy__svc_schema(h->type, h->op))) {
        free(buf);
        return -1;
    }
    *frame = buf;
    return 0;
}

/* ---- objects --------------------------------------------------------------------------------
 * All with c->lock held. */

static int job_valid(const struct conn *c, const struct svc_job *j)
{
    return !j->lost && j->id != 0 && j->gen == c->gen;
}

static int file_valid(const struct conn *c, const struct svc_file *f)
{
    return !f->lost && f->id != 0 && f->gen == c->gen;
}

/* The object for a job handle received now (a new reference, the application's when app is
 * set), created on first sight. NULL for handle 0, when closing, or out of memory. */
static struct svc_job *adopt_job(struct conn *c, uint64_t id, const bgcopy_guid *guid, int app)
{
    struct svc_job *j;

    if (id == 0 || c->closing) {
        return NULL;
    }
    j = bgcopy__idmap_get(&c->jobs, id);
    if (j != NULL) {
        j->refs++;
        j->exports++;
        c->app_refs += app;
        return j;
    }
    j = calloc(1, sizeof(*j));
    if (j == NULL) {
        return NULL;
    }
    if (bgcopy__idmap_put(&c->jobs, id, j) != 0) {
        free(j);
        return NULL;
    }
    j->h.ops = &svc_ops;
    j->h.impl = j;
    j->c = c;
    j->refs = 1;
    j->id = id;
    j->gen = c->gen;
    j->exports = 1;
    j->guid = *guid;
    j->next = c->job_list;
    if (c->job_list != NULL) {
        c->job_list->prev = j;
    }
    c->job_list = j;
    c->user_refs++;
    c->app_refs += app;
    return j;
}

/* The object for a file handle of job received now (a new reference, the application's when
 * app is set). */
static struct svc_file *adopt_file(struct conn *c, uint64_t id, struct svc_job *job, uint32_t index,
                                   int app)
{
    struct svc_file *f;

    if (id == 0 || job == NULL || c->closing) {
        return NULL;
    }
    f = bgcopy__idmap_get(&c->files, id);
    if (f != NULL) {
        f->refs++;
        f->exports++;
        c->app_refs += app;
        return f;
    }
    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return NULL;
    }
    if (bgcopy__idmap_put(&c->files, id, f) != 0) {
        free(f);
        return NULL;
    }
    f->h.ops = &svc_ops;
    f->h.impl = f;
    f->c = c;
    f->refs = 1;
    f->id = id;
    f->gen = c->gen;
    f->exports = 1;
    f->job = job;
    job->refs++;
    f->index = index;
    f->next = c->file_list;
    if (c->file_list != NULL) {
        c->file_list->prev = f;
    }
    c->file_list = f;
    c->user_refs++;
    c->app_refs += app;
    return f;
}

/* ---- writing frames -------------------------------------------------------------------------- */

/* Sends a finished frame on the socket of generation gen. Returns 0, or -1 when that socket
 * is gone or the write failed (the connection is then marked broken). */
static void mark_broken(struct conn *c, uint64_t gen);

static int send_frame(struct conn *c, const struct bgcopy__svc_wr *w, uint64_t gen)
{
    int rc = -1;

    pthread_mutex_lock(&c->wlock);
    if (c->gen == gen && c->fd >= 0) {
        rc = send_all(c->fd, w->buf, w->len);
    }
    pthread_mutex_unlock(&c->wlock);
    if (rc != 0) {
        mark_broken(c, gen);
    }
    return rc;
}

/* A one-way message (a release or an event reply) on generation gen; dropped when that
 * connection is gone, since the service forgot everything of it. */
static void send_oneway(struct conn *c, int type, int op, uint64_t a, uint64_t b, bgcopy_hr hr,
                        uint32_t id, uint64_t gen)
{
    struct bgcopy__svc_wr w;

    bgcopy__svc_wr_begin(&w, type, op, type == BGCOPY__SVC_REQUEST ? BGCOPY__SVC_NOREPLY : 0, id);
    if (type == BGCOPY__SVC_REQUEST) {
        bgcopy__svc_wr_u64(&w, a);
        bgcopy__svc_wr_u64(&w, b);
    } else {
        bgcopy__svc_wr_hr(&w, hr);
    }
    if (bgcopy__svc_wr_end(&w) == 0) {
        (void)send_frame(c, &w, gen);
        bgcopy__svc_wr_free(&w);
    }
}

/* ---- releasing objects ---------------------------------------------------------------------- */

static void job_unref(struct svc_job *j)
{
    struct conn *c = j->c;
    uint64_t id = 0, n = 0, gen;

    pthread_mutex_lock(&c->lock);
    if (--j->refs > 0) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    if (j->prev != NULL) {
        j->prev->next = j->next;
    } else {
        c->job_list = j->next;
    }
    if (j->next != NULL) {
        j->next->prev = j->prev;
    }
    if (job_valid(c, j)) {
        (void)bgcopy__idmap_del(&c->jobs, j->id);
        id = j->id;
        n = j->exports;
    }
    gen = c->gen;
    pthread_mutex_unlock(&c->lock);
    if (id != 0) {
        send_oneway(c, BGCOPY__SVC_REQUEST, BGCOPY__OP_JOB_RELEASE, id, n, 0, 0, gen);
    }
    free(j);
    conn_user_unref(c);
}

static void file_unref(struct svc_file *f)
{
    struct conn *c = f->c;
    uint64_t id = 0, n = 0, gen;
    struct svc_job *job = f->job;

    pthread_mutex_lock(&c->lock);
    if (--f->refs > 0) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    if (f->prev != NULL) {
        f->prev->next = f->next;
    } else {
        c->file_list = f->next;
    }
    if (f->next != NULL) {
        f->next->prev = f->prev;
    }
    if (file_valid(c, f)) {
        (void)bgcopy__idmap_del(&c->files, f->id);
        id = f->id;
        n = f->exports;
    }
    gen = c->gen;
    pthread_mutex_unlock(&c->lock);
    if (id != 0) {
        send_oneway(c, BGCOPY__SVC_REQUEST, BGCOPY__OP_FILE_RELEASE, id, n, 0, 0, gen);
    }
    free(f);
    job_unref(job);
    conn_user_unref(c);
}

/* ---- the reader thread and events ------------------------------------------------------------ */

/* Fails every call of generation gen and marks that generation broken (once). */
static void mark_broken(struct conn *c, uint64_t gen)
{
    struct call *k;
    int fd = -1;

    pthread_mutex_lock(&c->lock);
    if (c->gen == gen && !c->broken) {
        c->broken = 1;
        fd = c->fd;
        for (k = c->calls; k != NULL; k = k->next) {
            if (k->gen == gen && k->done == 0) {
                k->done = -1;
                pthread_cond_signal(&k->cond);
            }
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (fd >= 0) {
        shutdown(fd, SHUT_RDWR); /* wakes the reader; the descriptor is closed on reconnect */
    }
}

static void *worker_main(void *arg);

/* Queues an event for the dispatch workers, starting one unless an idle worker is left for it.
 * Each idle worker takes one queued event, so a worker is started whenever the queue holds more
 * events than there are idle workers: counting idle workers alone would let two events queued
 * before a signalled worker wakes share that one worker, and a callback that blocks would then
 * hold back the other (fewer callbacks in flight than the engine allows). Lock held. */
static void queue_event(struct conn *c, struct event *ev)
{
    pthread_t t;
    pthread_attr_t attr;

    if (c->evq_tail != NULL) {
        c->evq_tail->next = ev;
    } else {
        c->evq = ev;
    }
    c->evq_tail = ev;
    c->evq_len++;
    if (c->evq_len <= c->idle_workers || c->workers >= MAX_WORKERS) {
        pthread_cond_signal(&c->evcond);
        return;
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, worker_main, c) == 0) {
        c->workers++;
    } else {
        pthread_cond_signal(&c->evcond); /* a busy worker takes it later */
    }
    pthread_attr_destroy(&attr);
}

static const char *static_protocol(const char *p)
{
    if (p == NULL) {
        return NULL;
    }
    return strcmp(p, "http") == 0 ? "http" : strcmp(p, "file") == 0 ? "file" : NULL;
}

/* An EVENT frame (checked): takes references on its objects and queues it. */
static void take_event(struct conn *c, const struct bgcopy__svc_header *h, const uint8_t *body,
                       size_t len, uint64_t gen)
{
    struct bgcopy__svc_rd r;
    struct event *ev = calloc(1, sizeof(*ev));
    uint64_t job_id, file_id, err_file_id;
    uint32_t file_index, err_file_index;
    bgcopy_guid guid;

    if (ev == NULL) {
        return; /* the service's callback waits: it ends with the connection */
    }
    bgcopy__svc_rd_init(&r, body, len);
    ev->kind = h->op;
    ev->id = h->id;
    ev->gen = gen;
    ev->cookie = bgcopy__svc_rd_u64(&r);
    job_id = bgcopy__svc_rd_u64(&r);
    guid = bgcopy__svc_rd_guid(&r);
    file_id = bgcopy__svc_rd_u64(&r);
    file_index = bgcopy__svc_rd_u32(&r);
    ev->err_context = (bgcopy_error_context)bgcopy__svc_rd_u32(&r);
    ev->err_code = bgcopy__svc_rd_hr(&r);
    ev->err_protocol = static_protocol(bgcopy__svc_rd_str(&r));
    err_file_id = bgcopy__svc_rd_u64(&r);
    err_file_index = bgcopy__svc_rd_u32(&r);

    pthread_mutex_lock(&c->lock);
    ev->job = adopt_job(c, job_id, &guid, 0);
    if (ev->job != NULL) {
        ev->file = adopt_file(c, file_id, ev->job, file_index, 0);
        ev->err_file = adopt_file(c, err_file_id, ev->job, err_file_index, 0);
    }
    if (ev->job == NULL) {
        pthread_mutex_unlock(&c->lock);
        free(ev);
        return;
    }
    queue_event(c, ev);
    pthread_mutex_unlock(&c->lock);
}

struct reader_arg {
    struct conn *c;
    int fd;
    uint64_t gen;
};

static void *reader_main(void *arg)
{
    struct reader_arg a = *(struct reader_arg *)arg;
    struct conn *c = a.c;
    struct bgcopy__svc_header h;
    const uint8_t *body;
    size_t len;
    uint8_t *frame;
    struct call *k;

    free(arg);
    while (read_frame(a.fd, -1, &frame, &h, &body, &len) == 0) {
        if (h.type == BGCOPY__SVC_REPLY) {
            pthread_mutex_lock(&c->lock);
            for (k = c->calls; k != NULL; k = k->next) {
                if (k->id == h.id && k->gen == a.gen && k->done == 0) {
                    break;
                }
            }
            if (k != NULL) {
                k->frame = frame;
                k->body = body;
                k->body_len = len;
                k->done = 1;
                pthread_cond_signal(&k->cond);
                frame = NULL;
            }
            pthread_mutex_unlock(&c->lock);
            free(frame); /* a reply nobody waits for */
        } else if (h.type == BGCOPY__SVC_EVENT) {
            take_event(c, &h, body, len, a.gen);
            free(frame);
        } else {
            free(frame);
            break; /* a service never sends anything else */
        }
    }
    mark_broken(c, a.gen);
    return NULL;
}

/* Starts the reader of generation gen on fd. Lock not held. Returns 0 or -1. */
static int start_reader(struct conn *c, int fd, uint64_t gen)
{
    struct reader_arg *a = malloc(sizeof(*a));

    if (a == NULL) {
        return -1;
    }
    a->c = c;
    a->fd = fd;
    a->gen = gen;
    if (pthread_create(&c->reader, NULL, reader_main, a) != 0) {
        free(a);
        return -1;
    }
    c->reader_joinable = 1;
    return 0;
}

/* ---- calls --------------------------------------------------------------------------------- */

/* A request: the object whose handle comes first (job or file, or none) and an encoder for the
 * remaining fields. */
struct request {
    int op;
    struct svc_job *job;
    struct svc_file *file;
    void (*encode)(struct bgcopy__svc_wr *w, const void *ctx);
    const void *ctx;
    int retry;        /* harmless to send again after the connection broke */
    int no_reconnect; /* fail instead of reconnecting (close) */
};

/* A reply: the frame and a reader positioned after its HRESULT. */
struct reply {
    uint8_t *frame;
    struct bgcopy__svc_rd rd;
};

static bgcopy_hr reconnect(struct conn *c);

/* Waits until no reconnect runs on another thread, then reconnects when broken. */
static bgcopy_hr ensure_connected(struct conn *c, int no_reconnect)
{
    for (;;) {
        int broken, other;

        pthread_mutex_lock(&c->lock);
        broken = c->broken;
        other = c->reconnecting && !pthread_equal(c->reconnector, pthread_self());
        if (c->reconnecting && !other) {
            pthread_mutex_unlock(&c->lock);
            return broken ? BGCOPY_E_RPC_DISCONNECTED : BGCOPY_S_OK;
        }
        pthread_mutex_unlock(&c->lock);
        if (other) {
            pthread_mutex_lock(&c->relock); /* wait for it */
            pthread_mutex_unlock(&c->relock);
            continue;
        }
        if (!broken) {
            return BGCOPY_S_OK;
        }
        if (no_reconnect) {
            return BGCOPY_E_RPC_DISCONNECTED;
        }
        return reconnect(c);
    }
}

static void nothing(struct bgcopy__svc_wr *w, const void *ctx)
{
}

/* Sends rq and waits for its reply. Returns the reply's HRESULT (out holds the frame, to be
 * freed by the caller, only when the call got a reply), BG_E_NOT_FOUND for an object lost in a
 * service restart, RPC_E_DISCONNECTED when the connection broke (after one new attempt for
 * requests marked retry, and for any request that could not be sent at all), or E_OUTOFMEMORY /
 * E_INVALIDARG (a request above the frame limit). */
static bgcopy_hr call(struct conn *c, const struct request *rq, struct reply *out)
{
    int attempt;

    out->frame = NULL;
    for (attempt = 0; attempt < 3; attempt++) {
        struct bgcopy__svc_wr w;
        struct call k;
        bgcopy_hr hr = ensure_connected(c, rq->no_reconnect);
        uint64_t gen;
        struct call **pp;
        int sent;

        if (BGCOPY_FAILED(hr)) {
            return hr;
        }
        memset(&k, 0, sizeof(k));
        bgcopy__svc_wr_begin(&w, BGCOPY__SVC_REQUEST, rq->op, 0, 0);
        pthread_mutex_lock(&c->lock);
        if (c->broken) {
            pthread_mutex_unlock(&c->lock);
            bgcopy__svc_wr_free(&w);
            continue;
        }
        if (rq->job != NULL) {
            if (!job_valid(c, rq->job)) {
                pthread_mutex_unlock(&c->lock);
                bgcopy__svc_wr_free(&w);
                return BGCOPY_E_NOT_FOUND;
            }
            bgcopy__svc_wr_u64(&w, rq->job->id);
        } else if (rq->file != NULL) {
            if (!file_valid(c, rq->file)) {
                pthread_mutex_unlock(&c->lock);
                bgcopy__svc_wr_free(&w);
                return BGCOPY_E_NOT_FOUND;
            }
            bgcopy__svc_wr_u64(&w, rq->file->id);
        }
        (rq->encode ? rq->encode : nothing)(&w, rq->ctx);
        if (bgcopy__svc_wr_end(&w) != 0) {
            pthread_mutex_unlock(&c->lock);
            /* Too large for one frame (an enormous AddFileSet), or out of memory. */
            return w.failed == BGCOPY__SVC_WR_TOO_LARGE ? BGCOPY_E_INVALIDARG
                                                        : BGCOPY_E_OUTOFMEMORY;
        }
        if (++c->next_id == 0) {
            c->next_id = 1;
        }
        k.id = c->next_id;
        k.gen = gen = c->gen;
        pthread_cond_init(&k.cond, NULL);
        k.next = c->calls;
        c->calls = &k;
        pthread_mutex_unlock(&c->lock);
        bgcopy__svc_wr_set_id(&w, k.id);

        sent = send_frame(c, &w, gen) == 0; /* a failure marks the call failed */
        bgcopy__svc_wr_free(&w);

        pthread_mutex_lock(&c->lock);
        while (k.done == 0) {
            pthread_cond_wait(&k.cond, &c->lock);
        }
        for (pp = &c->calls; *pp != &k; pp = &(*pp)->next) {
        }
        *pp = k.next;
        pthread_mutex_unlock(&c->lock);
        pthread_cond_destroy(&k.cond);
        if (k.done > 0) {
            out->frame = k.frame;
            bgcopy__svc_rd_init(&out->rd, k.body, k.body_len);
            return bgcopy__svc_rd_hr(&out->rd);
        }
        /* The connection broke. A request that never left, or one the service answers the
         * same way twice, is sent again on a new connection; others report the break. */
        if (sent && !rq->retry) {
            return BGCOPY_E_RPC_DISCONNECTED;
        }
    }
    return BGCOPY_E_RPC_DISCONNECTED;
}

/* call() for requests whose reply carries only the HRESULT. */
static bgcopy_hr call_hr(struct conn *c, const struct request *rq)
{
    struct reply r;
    bgcopy_hr hr = call(c, rq, &r);

    free(r.frame);
    return hr;
}

/* ---- dispatch workers -------------------------------------------------------------------------
 */

static struct reg *find_cookie(struct conn *c, uint64_t cookie)
{
    struct reg *g;

    for (g = c->regs; g != NULL; g = g->next) {
        if (g->cookie == cookie) {
            return g;
        }
    }
    return NULL;
}

static void error_release(bgcopy_error *e);

/* Runs one event: the registered callback, then its HRESULT back to the service. */
static void run_event(struct conn *c, struct event *ev)
{
    bgcopy_callbacks cb;
    void *user = NULL;
    struct reg *g;
    struct svc_error *err = NULL;
    bgcopy_hr hr = BGCOPY_E_FAIL;
    int found;

    memset(&cb, 0, sizeof(cb));
    pthread_mutex_lock(&c->lock);
    g = find_cookie(c, ev->cookie);
    found = g != NULL;
    if (found) {
        cb = g->cb;
        user = g->user;
    }
    pthread_mutex_unlock(&c->lock);

    if (found) {
        switch (ev->kind) {
        case BGCOPY__SVC_EV_JOB_TRANSFERRED:
            hr = cb.job_transferred ? cb.job_transferred(&ev->job->h, user) : BGCOPY_S_OK;
            break;
        case BGCOPY__SVC_EV_JOB_ERROR:
            err = calloc(1, sizeof(*err));
            if (err == NULL) {
                hr = BGCOPY_E_OUTOFMEMORY; /* the service calls again later */
                break;
            }
            err->e.ops = &svc_ops;
            err->e.refs = 1;
            err->c = c;
            err->e.context = ev->err_context;
            err->e.code = ev->err_code;
            err->e.protocol = ev->err_protocol;
            err->file = ev->err_file;
            ev->err_file = NULL; /* the error object owns it now */
            hr = cb.job_error ? cb.job_error(&ev->job->h, &err->e, user) : BGCOPY_S_OK;
            error_release(&err->e);
            break;
        case BGCOPY__SVC_EV_JOB_MODIFICATION:
            hr = cb.job_modification ? cb.job_modification(&ev->job->h, 0, user) : BGCOPY_S_OK;
            break;
        case BGCOPY__SVC_EV_FILE_TRANSFERRED:
            hr = cb.file_transferred && ev->file != NULL
                     ? cb.file_transferred(&ev->job->h, &ev->file->h, user)
                     : BGCOPY_S_OK;
            break;
        default:
            break;
        }
    }
    /* The answer goes first: releasing the objects may end the connection. */
    send_oneway(c, BGCOPY__SVC_EVENT_REPLY, ev->kind, 0, 0, hr, ev->id, ev->gen);
    if (ev->err_file != NULL) {
        file_unref(ev->err_file);
    }
    if (ev->file != NULL) {
        file_unref(ev->file);
    }
    job_unref(ev->job);
    free(ev);
}

static void conn_free(struct conn *c);

static void conn_finish(struct conn *c);

/* Releases what a queued event holds, without running it. */
static void drop_event(struct event *ev)
{
    if (ev->err_file != NULL) {
        file_unref(ev->err_file);
    }
    if (ev->file != NULL) {
        file_unref(ev->file);
    }
    job_unref(ev->job);
    free(ev);
}

static void *worker_main(void *arg)
{
    struct conn *c = arg;
    struct event *ev;
    int closing;

    worker_conn = c;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (c->evq == NULL && !c->closing) {
            c->idle_workers++;
            pthread_cond_wait(&c->evcond, &c->lock);
            c->idle_workers--;
        }
        ev = c->evq;
        if (ev == NULL) {
            break;
        }
        c->evq = ev->next;
        c->evq_len--;
        if (c->evq == NULL) {
            c->evq_tail = NULL;
        }
        closing = c->closing;
        pthread_mutex_unlock(&c->lock);
        if (closing) {
            drop_event(ev); /* the application let go: no callback any more */
        } else {
            run_event(c, ev);
        }
        if (c->finish_deferred) {
            /* The application's last release ran inside that callback. */
            c->finish_deferred = 0;
            conn_finish(c);
        }
        if (c->free_on_exit) {
            /* This worker dropped the last reference and is the only thread left. */
            conn_free(c);
            return NULL;
        }
        pthread_mutex_lock(&c->lock);
    }
    c->workers--;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* ---- connection lifetime ------------------------------------------------------------------------
 */

static void settings_free(struct settings *st)
{
    free(st->socket);
    free(st->program);
    free(st->state_dir);
    free(st->user);
}

static void conn_free(struct conn *c)
{
    struct reg *g, *next;

    if (c->fd >= 0) {
        close(c->fd);
    }
    for (g = c->regs; g != NULL; g = next) {
        next = g->next;
        free(g->name);
        free(g);
    }
    bgcopy__idmap_free(&c->jobs);
    bgcopy__idmap_free(&c->files);
    settings_free(&c->st);
    free(c->user);
    pthread_cond_destroy(&c->evcond);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->relock);
    pthread_mutex_destroy(&c->wlock);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Frees c now, or - on a dispatch worker of c - when that worker is done. */
static void conn_free_here(struct conn *c)
{
    if (worker_conn == c) {
        c->free_on_exit = 1;
    } else {
        conn_free(c);
    }
}

/* Closes c (closing is set): waits for the callbacks running on other threads, shuts the socket
 * down (the service drops everything of this connection), joins the reader, and frees c when no
 * object is left. */
static void conn_finish(struct conn *c)
{
    int self_worker = worker_conn == c;
    long left;

    pthread_mutex_lock(&c->lock);
    while (c->workers > (self_worker ? 1 : 0)) {
        pthread_cond_wait(&c->cond, &c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_lock(&c->wlock);
    if (c->fd >= 0) {
        shutdown(c->fd, SHUT_RDWR);
    }
    pthread_mutex_unlock(&c->wlock);
    if (c->reader_joinable) {
        pthread_join(c->reader, NULL);
        c->reader_joinable = 0;
    }
    pthread_mutex_lock(&c->lock);
    c->shut_down = 1;
    left = c->user_refs;
    pthread_mutex_unlock(&c->lock);
    if (left == 0) {
        conn_free_here(c);
    }
}

/* The application released one of its references; the last one closes the connection. */
static void conn_app_unref(struct conn *c)
{
    long left;

    pthread_mutex_lock(&c->lock);
    left = --c->app_refs;
    if (left == 0) {
        c->closing = 1;
        pthread_cond_broadcast(&c->evcond);
    }
    pthread_mutex_unlock(&c->lock);
    if (left != 0) {
        return;
    }
    if (worker_conn == c) {
        c->finish_deferred = 1; /* after this callback's answer */
        return;
    }
    conn_finish(c);
}

/* An object (or the manager) went; the last one frees a closed connection. */
static void conn_user_unref(struct conn *c)
{
    long left;
    int done;

    pthread_mutex_lock(&c->lock);
    left = --c->user_refs;
    done = c->shut_down;
    pthread_mutex_unlock(&c->lock);
    if (left == 0 && done) {
        conn_free_here(c);
    }
}

/* ---- starting the service -----------------------------------------------------------------------
 */

static int executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* bgcopyd beside the code of this library: the shared library's directory, or the program's
 * when the library is linked in statically; same directory, ../bin, ../../bin (a multiarch
 * libdir), ../libexec; else where `make install` put it (BGCOPY_INSTALLED_BGCOPYD). */
static char *find_program(void)
{
    static const char *const rel[] = {"/bgcopyd", "/../bin/bgcopyd", "/../../bin/bgcopyd",
                                      "/../libexec/bgcopyd", "/../libexec/bgcopy/bgcopyd"};
    Dl_info info;
    char self[4096], cand[4200], *slash;
    const char *where = NULL;
    ssize_t n;
    size_t i;

    if (dladdr((void *)&bgcopy__svc_open, &info) != 0 && info.dli_fname != NULL &&
        info.dli_fname[0] == '/') {
        where = info.dli_fname;
    } else if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
        self[n] = '\0';
        where = self;
    }
    if (where == NULL || strlen(where) >= sizeof(self)) {
        goto installed;
    }
    if (where != self) {
        memcpy(self, where, strlen(where) + 1);
    }
    slash = strrchr(self, '/');
    if (slash == NULL) {
        goto installed;
    }
    *slash = '\0';
    for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        snprintf(cand, sizeof(cand), "%s%s", self, rel[i]);
        if (executable(cand)) {
            return strdup(cand);
        }
    }
installed:
#ifdef BGCOPY_INSTALLED_BGCOPYD
    if (executable(BGCOPY_INSTALLED_BGCOPYD)) {
        return strdup(BGCOPY_INSTALLED_BGCOPYD);
    }
#endif
    return NULL;
}

/* Closes every descriptor from `from` up (in a forked child: async-signal-safe). */
static void close_from(int from, int max_fd)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)from, ~0u, 0u) == 0) {
        return;
    }
#endif
    for (; from < max_fd; from++) {
        close(from);
    }
}

enum { SPAWN_READY, SPAWN_BUSY, SPAWN_FAILED };

/* Runs bgcopyd and waits (until deadline_ms) for its READY or ERROR line. Returns
 * SPAWN_READY, SPAWN_BUSY (another instance holds the socket: try connecting again) or
 * SPAWN_FAILED with *hr and the open detail set. */
static int spawn_service(const struct settings *st, const char *program, int64_t deadline_ms,
                         bgcopy_hr *hr)
{
    char *argv[MAX_SPAWN_ARGS + 1], *opts[24], idle[16], line[600];
    size_t nopts, i, argc = 0, got = 0;
    int pfd[2], status, max_fd = 1024, rc = SPAWN_FAILED;
    pid_t pid;
    long open_max = sysconf(_SC_OPEN_MAX);

    if (open_max > 0 && open_max < 65536) {
        max_fd = (int)open_max;
    }
    snprintf(idle, sizeof(idle), "%u", (unsigned)st->idle);
    argv[argc++] = (char *)program;
    argv[argc++] = "--socket";
    argv[argc++] = st->socket;
    argv[argc++] = "--idle-timeout";
    argv[argc++] = idle;
    argv[argc++] = "--ready-fd";
    argv[argc++] = "3";
    if (st->state_dir != NULL) {
        argv[argc++] = "--state-dir";
        argv[argc++] = st->state_dir;
    }
    nopts = bgcopy__svc_option_args(&st->engine, opts, sizeof(opts) / sizeof(opts[0]));
    for (i = 0; i < nopts && argc + 2 < MAX_SPAWN_ARGS; i++) {
        argv[argc++] = "--set";
        argv[argc++] = opts[i];
    }
    argv[argc] = NULL;

    *hr = BGCOPY_E_FAIL;
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        *hr = bgcopy__sys_hr_from_errno(errno);
        goto out;
    }
    pid = fork();
    if (pid < 0) {
        *hr = bgcopy__sys_hr_from_errno(errno);
        close(pfd[0]);
        close(pfd[1]);
        goto out;
    }
    if (pid == 0) {
        /* Only async-signal-safe calls from here to exec. */
        int devnull = open("/dev/null", O_RDWR);
        sigset_t none;
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0 ||
            dup2(pfd[1], 3) < 0 || fcntl(3, F_SETFD, 0) != 0) {
            _exit(127);
        }
        close_from(4, max_fd);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(program, argv, environ);
        _exit(127);
    }
    close(pfd[1]);
    /* bgcopyd forks at once and its first process exits: reap it. */
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    while (got < sizeof(line) - 1) {
        struct pollfd p = {pfd[0], POLLIN, 0};
        int64_t left = deadline_ms - now_ms();
        ssize_t n;
        if (left <= 0) {
            *hr = BGCOPY_E_WIN32_SERVICE_REQUEST_TIMEOUT;
            set_detail("%s: no answer from the service started for %s", program, st->socket);
            break;
        }
        if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
            break;
        }
        n = read(pfd[0], line + got, sizeof(line) - 1 - got);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
        if (memchr(line, '\n', got) != NULL) {
            break;
        }
    }
    close(pfd[0]);
    line[got] = '\0';
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, "READY ", 6) == 0) {
        rc = SPAWN_READY;
    } else if (strncmp(line, "ERROR ", 6) == 0) {
        char kind[8] = "";
        unsigned long code = 0;
        int used = 0;
        if (sscanf(line + 6, "%lx %7s %n", &code, kind, &used) >= 2) {
            *hr = (bgcopy_hr)(uint32_t)code;
            rc = strcmp(kind, "busy") == 0 ? SPAWN_BUSY : SPAWN_FAILED;
            set_detail("%s%s", "bgcopyd: ", line + 6 + used);
        }
    } else if (*hr != BGCOPY_E_WIN32_SERVICE_REQUEST_TIMEOUT) {
        *hr = BGCOPY_E_WIN32_SERVICE_NOT_ACTIVE;
        set_detail("%s: the service could not be started (it exited without a word; see %s)",
                   program, "BGCOPY_SERVICE_LOG");
    }
out:
    for (i = 0; i < nopts; i++) {
        free(opts[i]);
    }
    return rc;
}

/* ---- connecting --------------------------------------------------------------------------------
 */

/* Sends HELLO on fd and reads the answer (before any reader thread exists). Returns S_OK with
 * the granted identity stored in c, the service's refusal, or RPC_E_DISCONNECTED when the
 * service went away meanwhile. */
static bgcopy_hr hello(struct conn *c, int fd, int64_t deadline_ms)
{
    struct bgcopy__svc_wr w;
    struct bgcopy__svc_header h;
    struct bgcopy__svc_rd r;
    const uint8_t *body;
    size_t len;
    uint8_t *frame;
    bgcopy_hr hr;
    uint32_t version;
    const char *user;

    bgcopy__svc_wr_begin(&w, BGCOPY__SVC_REQUEST, BGCOPY__OP_HELLO, 0, 1);
    bgcopy__svc_wr_u32(&w, BGCOPY__SVC_MAGIC);
    bgcopy__svc_wr_u32(&w, BGCOPY__SVC_VERSION);
    bgcopy__svc_wr_u32(&w, BGCOPY__SVC_VERSION);
    bgcopy__svc_wr_str(&w, c->st.user);
    bgcopy__svc_wr_u32(&w, (uint32_t)c->st.is_admin);
    if (bgcopy__svc_wr_end(&w) != 0) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    if (send_all(fd, w.buf, w.len) != 0) {
        bgcopy__svc_wr_free(&w);
        return BGCOPY_E_RPC_DISCONNECTED;
    }
    bgcopy__svc_wr_free(&w);
    if (read_frame(fd, deadline_ms, &frame, &h, &body, &len) != 0) {
        return BGCOPY_E_RPC_DISCONNECTED;
    }
    if (h.type != BGCOPY__SVC_REPLY || h.op != BGCOPY__OP_HELLO) {
        free(frame);
        return BGCOPY_E_RPC_DISCONNECTED;
    }
    bgcopy__svc_rd_init(&r, body, len);
    hr = bgcopy__svc_rd_hr(&r);
    version = bgcopy__svc_rd_u32(&r);
    c->server_pid = bgcopy__svc_rd_u32(&r);
    user = bgcopy__svc_rd_str(&r);
    c->is_admin = bgcopy__svc_rd_u32(&r) != 0;
    if (BGCOPY_SUCCEEDED(hr) && (version != BGCOPY__SVC_VERSION || user == NULL)) {
        hr = BGCOPY_E_WIN32_REVISION_MISMATCH;
    }
    if (BGCOPY_SUCCEEDED(hr)) {
        char *copy = strdup(user);
        if (copy == NULL) {
            hr = BGCOPY_E_OUTOFMEMORY;
        } else {
            free(c->user);
            c->user = copy;
        }
    } else {
        set_detail("%s: the service refused the connection (%s)", c->st.socket, bgcopy_hr_name(hr));
    }
    free(frame);
    return hr;
}

/* Connects to the service and greets it, starting one when none answers. Returns S_OK with
 * *fd_out, or the failure with the open detail set. */
static bgcopy_hr connect_service(struct conn *c, int *fd_out)
{
    int64_t deadline = now_ms() + START_TIMEOUT_MS;
    char detail[512], *program = NULL;
    bgcopy_hr hr;
    int fd, err;

    for (;;) {
        hr = bgcopy__svc_check_dir(c->st.socket, 1, detail, sizeof(detail));
        if (BGCOPY_FAILED(hr) && hr != BGCOPY_E_WIN32_PATH_NOT_FOUND) {
            bgcopy__set_open_detail(detail);
            break;
        }
        fd = BGCOPY_SUCCEEDED(hr) ? bgcopy__svc_connect(c->st.socket) : -1;
        err = BGCOPY_SUCCEEDED(hr) ? errno : ENOENT;
        if (fd >= 0) {
            hr = hello(c, fd, deadline);
            if (BGCOPY_SUCCEEDED(hr)) {
                *fd_out = fd;
                break;
            }
            close(fd);
            if (hr != BGCOPY_E_RPC_DISCONNECTED) {
                break; /* refused: identity, version */
            }
            /* The service was on its way out: start another. */
        } else if (err != ENOENT && err != ECONNREFUSED) {
            hr = bgcopy__sys_hr_from_errno(err);
            set_detail("%s: cannot connect: %s", c->st.socket, strerror(err));
            break;
        }
        if (now_ms() >= deadline) {
            hr = BGCOPY_E_WIN32_SERVICE_REQUEST_TIMEOUT;
            set_detail("%s: %s", c->st.socket, "no service answered in time");
            break;
        }
        if (c->st.program != NULL && c->st.program[0] == '\0') {
            hr = BGCOPY_E_WIN32_SERVICE_NOT_ACTIVE;
            set_detail("%s: %s", c->st.socket, "no service listens (and none may be started)");
            break;
        }
        if (program == NULL) {
            const char *env = getenv("BGCOPY_SERVICE_PROGRAM");
            program = c->st.program != NULL        ? strdup(c->st.program)
                      : env != NULL && env[0] != 0 ? strdup(env)
                                                   : find_program();
            if (program == NULL) {
                hr = BGCOPY_E_WIN32_SERVICE_NOT_ACTIVE;
                set_detail("%s: %s", c->st.socket,
                           "no service listens and bgcopyd was not found (set "
                           "BGCOPY_SERVICE_PROGRAM)");
                break;
            }
        }
        switch (spawn_service(&c->st, program, deadline, &hr)) {
        case SPAWN_READY:
            continue;
        case SPAWN_BUSY:
            sleep_ms(20); /* another instance is starting or leaving */
            continue;
        default:
            break;
        }
        break;
    }
    free(program);
    return hr;
}

/* ---- reconnecting ------------------------------------------------------------------------------
 */

static bgcopy_hr get_job_raw(struct conn *c, const bgcopy_guid *guid, uint64_t *id);

/* Re-resolves one job object after a reconnect (its handle in the new service). */
static void remap_job(struct conn *c, struct svc_job *j)
{
    uint64_t id = 0;
    bgcopy_hr hr = get_job_raw(c, &j->guid, &id);

    pthread_mutex_lock(&c->lock);
    if (BGCOPY_SUCCEEDED(hr) && bgcopy__idmap_put(&c->jobs, id, j) == 0) {
        j->id = id;
        j->gen = c->gen;
        j->exports = 1;
    } else if (hr == BGCOPY_E_NOT_FOUND || hr == BGCOPY_E_OUTOFMEMORY) {
        j->lost = 1;
    }
    pthread_mutex_unlock(&c->lock);
}

static void encode_guid(struct bgcopy__svc_wr *w, const void *ctx)
{
    bgcopy__svc_wr_guid(w, ctx);
}

static void encode_u32(struct bgcopy__svc_wr *w, const void *ctx)
{
    bgcopy__svc_wr_u32(w, *(const uint32_t *)ctx);
}

/* Re-resolves a file object: its job's file at the same index. */
static void remap_file(struct conn *c, struct svc_file *f)
{
    struct request rq = {BGCOPY__OP_ENUM_FILES, f->job, NULL, NULL, NULL, 1, 0};
    struct reply r;
    bgcopy_hr hr = call(c, &rq, &r);
    uint32_t n, i, index;
    uint64_t id, found = 0;

    if (BGCOPY_SUCCEEDED(hr)) {
        n = bgcopy__svc_rd_u32(&r.rd);
        for (i = 0; i < n; i++) {
            id = bgcopy__svc_rd_u64(&r.rd);
            index = bgcopy__svc_rd_u32(&r.rd);
            if (index == f->index && found == 0) {
                found = id;
            } else {
                send_oneway(c, BGCOPY__SVC_REQUEST, BGCOPY__OP_FILE_RELEASE, id, 1, 0, 0, c->gen);
            }
        }
    }
    free(r.frame);
    pthread_mutex_lock(&c->lock);
    if (found != 0 && bgcopy__idmap_put(&c->files, found, f) == 0) {
        f->id = found;
        f->gen = c->gen;
        f->exports = 1;
    } else if (hr != BGCOPY_E_RPC_DISCONNECTED) {
        f->lost = 1;
    }
    pthread_mutex_unlock(&c->lock);
}

struct handler_args {
    const char *name;
    uint32_t mask;
    uint64_t cookie;
};

static void encode_handler(struct bgcopy__svc_wr *w, const void *ctx)
{
    const struct handler_args *a = ctx;
    bgcopy__svc_wr_str(w, a->name);
    bgcopy__svc_wr_u32(w, a->mask);
    bgcopy__svc_wr_u64(w, a->cookie);
}

struct callbacks_args {
    uint64_t job; /* raw handle (remapping) */
    uint32_t mask;
    uint64_t cookie;
};

static void encode_callbacks(struct bgcopy__svc_wr *w, const void *ctx)
{
    const struct callbacks_args *a = ctx;
    if (a->job != 0) {
        bgcopy__svc_wr_u64(w, a->job);
    }
    bgcopy__svc_wr_u32(w, a->mask);
    bgcopy__svc_wr_u64(w, a->cookie);
}

static uint32_t callback_mask(const bgcopy_callbacks *cb)
{
    return (cb->job_transferred ? BGCOPY__CB_JOB_TRANSFERRED : 0) |
           (cb->job_error ? BGCOPY__CB_JOB_ERROR : 0) |
           (cb->job_modification ? BGCOPY__CB_JOB_MODIFICATION : 0) |
           (cb->file_transferred ? BGCOPY__CB_FILE_TRANSFERRED : 0);
}

/* Registers the connection's active callbacks and handlers with the new service. */
static void reregister(struct conn *c)
{
    struct reg *g;

    pthread_mutex_lock(&c->lock);
    for (g = c->regs; g != NULL; g = g->next) {
        struct reg copy = *g;
        uint64_t job = 0;

        if (!g->active) {
            continue;
        }
        pthread_mutex_unlock(&c->lock); /* registrations are never freed before the conn */
        if (copy.kind == REG_HANDLER) {
            struct handler_args a = {copy.name, callback_mask(&copy.cb), copy.cookie};
            struct request rq = {BGCOPY__OP_REGISTER_HANDLER, NULL, NULL, encode_handler, &a, 1, 0};
            (void)call_hr(c, &rq);
        } else if (BGCOPY_SUCCEEDED(get_job_raw(c, &copy.guid, &job))) {
            struct callbacks_args a = {job, callback_mask(&copy.cb), copy.cookie};
            struct request rq = {BGCOPY__OP_SET_CALLBACKS, NULL, NULL, encode_callbacks, &a, 1, 0};
            (void)call_hr(c, &rq);
            send_oneway(c, BGCOPY__SVC_REQUEST, BGCOPY__OP_JOB_RELEASE, job, 1, 0, 0, c->gen);
        }
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
}

static bgcopy_hr reconnect(struct conn *c)
{
    struct svc_job **jobs = NULL, *j;
    struct svc_file **files = NULL, *f;
    size_t nj = 0, nf = 0, i;
    bgcopy_hr hr = BGCOPY_S_OK;
    int fd = -1, old_fd;
    uint64_t gen;

    pthread_mutex_lock(&c->relock);
    pthread_mutex_lock(&c->lock);
    if (!c->broken || c->closing) {
        hr = c->closing ? BGCOPY_E_RPC_DISCONNECTED : BGCOPY_S_OK;
        pthread_mutex_unlock(&c->lock);
        pthread_mutex_unlock(&c->relock);
        return hr;
    }
    c->reconnecting = 1;
    c->reconnector = pthread_self();
    pthread_mutex_unlock(&c->lock);

    if (c->reader_joinable) {
        pthread_join(c->reader, NULL); /* it saw the break and left */
        c->reader_joinable = 0;
    }
    hr = connect_service(c, &fd);
    if (BGCOPY_FAILED(hr)) {
        goto out;
    }

    /* Switch to the new socket; every handle of the old one is void. Hold a reference on every
     * live object while it is resolved again. */
    pthread_mutex_lock(&c->wlock);
    pthread_mutex_lock(&c->lock);
    old_fd = c->fd;
    c->fd = fd;
    gen = ++c->gen;
    c->broken = 0;
    bgcopy__idmap_free(&c->jobs);
    bgcopy__idmap_free(&c->files);
    for (j = c->job_list; j != NULL; j = j->next) {
        nj++;
    }
    for (f = c->file_list; f != NULL; f = f->next) {
        nf++;
    }
    jobs = calloc(nj ? nj : 1, sizeof(*jobs));
    files = calloc(nf ? nf : 1, sizeof(*files));
    if (jobs != NULL && files != NULL) {
        for (j = c->job_list, i = 0; j != NULL; j = j->next) {
            j->refs++;
            jobs[i++] = j;
        }
        for (f = c->file_list, i = 0; f != NULL; f = f->next) {
            f->refs++;
            files[i++] = f;
        }
    } else {
        nj = nf = 0; /* out of memory: the objects stay void (BG_E_NOT_FOUND) */
    }
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_unlock(&c->wlock);
    if (old_fd >= 0) {
        close(old_fd);
    }
    if (start_reader(c, fd, gen) != 0) {
        mark_broken(c, gen);
        hr = BGCOPY_E_OUTOFMEMORY;
    }
    for (i = 0; i < nj; i++) {
        remap_job(c, jobs[i]);
    }
    for (i = 0; i < nf; i++) {
        remap_file(c, files[i]);
    }
    reregister(c);
out:
    pthread_mutex_lock(&c->lock);
    c->reconnecting = 0;
    if (BGCOPY_SUCCEEDED(hr) && c->broken) {
        hr = BGCOPY_E_RPC_DISCONNECTED; /* broke again while resolving */
    }
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_unlock(&c->relock);
    for (i = 0; i < nf; i++) {
        file_unref(files[i]);
    }
    for (i = 0; i < nj; i++) {
        job_unref(jobs[i]);
    }
    free(files);
    free(jobs);
    return hr;
}

/* ---- manager --------------------------------------------------------------------------------- */

static struct conn *conn_of_mgr(bgcopy_manager *mgr)
{
    return ((struct svc_mgr *)mgr)->c;
}

static bgcopy_hr settings_from(const bgcopy_manager_options *o, struct settings *st)
{
    const char *idle = getenv("BGCOPY_SERVICE_IDLE");

    memset(st, 0, sizeof(*st));
    st->socket = bgcopy__svc_socket_path(o->service_socket);
    st->program = o->service_program != NULL ? strdup(o->service_program) : NULL;
    st->state_dir = o->state_dir != NULL ? strdup(o->state_dir) : NULL;
    st->user = o->user != NULL ? strdup(o->user) : NULL;
    st->is_admin = o->user_is_admin != 0;
    st->idle = o->service_idle_timeout;
    if (st->idle == 0 && idle != NULL) {
        st->idle = (uint32_t)strtoul(idle, NULL, 10);
    }
    if (st->idle == 0) {
        st->idle = BGCOPY__SVC_DEFAULT_IDLE;
    }
    st->engine = *o; /* only its numbers are used: */
    st->engine.sim = NULL;
    st->engine.user = st->engine.state_dir = NULL;
    st->engine.service_socket = st->engine.service_program = NULL;
    if (st->socket == NULL || (o->service_program != NULL && st->program == NULL) ||
        (o->state_dir != NULL && st->state_dir == NULL) || (o->user != NULL && st->user == NULL)) {
        settings_free(st);
        return BGCOPY_E_OUTOFMEMORY;
    }
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__svc_open(const bgcopy_manager_options *o, bgcopy_manager **out)
{
    struct conn *c = calloc(1, sizeof(*c));
    struct svc_mgr *m = calloc(1, sizeof(*m));
    bgcopy_hr hr = BGCOPY_E_OUTOFMEMORY;
    int fd = -1;

    if (c == NULL || m == NULL) {
        goto fail;
    }
    hr = settings_from(o, &c->st);
    if (BGCOPY_FAILED(hr)) {
        goto fail;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->wlock, NULL);
    pthread_mutex_init(&c->relock, NULL);
    pthread_cond_init(&c->cond, NULL);
    pthread_cond_init(&c->evcond, NULL);
    c->fd = -1;
    c->gen = 1;
    hr = connect_service(c, &fd);
    if (BGCOPY_FAILED(hr)) {
        settings_free(&c->st);
        free(c->user);
        pthread_cond_destroy(&c->evcond);
        pthread_cond_destroy(&c->cond);
        pthread_mutex_destroy(&c->relock);
        pthread_mutex_destroy(&c->wlock);
        pthread_mutex_destroy(&c->lock);
        goto fail;
    }
    c->fd = fd;
    m->m.ops = &svc_ops;
    m->m.user = strdup(c->user);
    m->m.is_admin = c->is_admin;
    m->c = c;
    c->user_refs = 1;
    c->app_refs = 1;
    if (m->m.user == NULL || start_reader(c, fd, c->gen) != 0) {
        free(m->m.user);
        free(m);
        conn_free(c);
        return BGCOPY_E_OUTOFMEMORY;
    }
    *out = &m->m;
    return BGCOPY_S_OK;
fail:
    free(m);
    free(c);
    return hr;
}

struct create_args {
    const char *name;
    bgcopy_job_type type;
    int want;
};

static void encode_create(struct bgcopy__svc_wr *w, const void *ctx)
{
    const struct create_args *a = ctx;
    bgcopy__svc_wr_str(w, a->name);
    bgcopy__svc_wr_u32(w, (uint32_t)a->type);
    bgcopy__svc_wr_u32(w, (uint32_t)a->want);
}

static bgcopy_hr svc_create_job(bgcopy_manager *mgr, const char *name, bgcopy_job_type type,
                                bgcopy_guid *id, bgcopy_job **job)
{
    struct conn *c = conn_of_mgr(mgr);
    struct create_args a = {name, type, job != NULL};
    struct request rq = {BGCOPY__OP_CREATE_JOB, NULL, NULL, encode_create, &a, 0, 0};
    struct reply r;
    bgcopy_hr hr = call(c, &rq, &r);
    bgcopy_guid guid;
    uint64_t h;
    struct svc_job *j;

    if (BGCOPY_SUCCEEDED(hr)) {
        guid = bgcopy__svc_rd_guid(&r.rd);
        h = bgcopy__svc_rd_u64(&r.rd);
        if (id != NULL) {
            *id = guid;
        }
        if (job != NULL) {
            pthread_mutex_lock(&c->lock);
            j = adopt_job(c, h, &guid, 1);
            pthread_mutex_unlock(&c->lock);
            if (j == NULL) {
                hr = BGCOPY_E_OUTOFMEMORY;
            } else {
                *job = &j->h;
            }
        }
    }
    free(r.frame);
    return hr;
}

/* GET_JOB without creating an object: the raw handle (reconnects). */
static bgcopy_hr get_job_raw(struct conn *c, const bgcopy_guid *guid, uint64_t *id)
{
    struct request rq = {BGCOPY__OP_GET_JOB, NULL, NULL, encode_guid, guid, 1, 0};
    struct reply r;
    bgcopy_hr hr = call(c, &rq, &r);

    if (BGCOPY_SUCCEEDED(hr)) {
        *id = bgcopy__svc_rd_u64(&r.rd);
    }
    free(r.frame);
    return hr;
}

static bgcopy_hr svc_get_job(bgcopy_manager *mgr, const bgcopy_guid *guid, bgcopy_job **out)
{
    struct conn *c = conn_of_mgr(mgr);
    struct request rq = {BGCOPY__OP_GET_JOB, NULL, NULL, encode_guid, guid, 1, 0};
    struct reply r;
    bgcopy_hr hr = call(c, &rq, &r);
    struct svc_job *j;

    if (BGCOPY_SUCCEEDED(hr)) {
        uint64_t h = bgcopy__svc_rd_u64(&r.rd);
        pthread_mutex_lock(&c->lock);
        j = adopt_job(c, h, guid, 1);
        pthread_mutex_unlock(&c->lock);
        if (j == NULL) {
            hr = BGCOPY_E_OUTOFMEMORY;
        } else {
            *out = &j->h;
        }
    }
    free(r.frame);
    return hr;
}

static bgcopy_hr svc_enum_jobs(bgcopy_manager *mgr, uint32_t flags, bgcopy_job_enum **out)
{
    struct conn *c = conn_of_mgr(mgr);
    struct request rq = {BGCOPY__OP_ENUM_JOBS, NULL, NULL, encode_u32, &flags, 1, 0};
    struct reply r;
    bgcopy_hr hr = call(c, &rq, &r);
    struct bgcopy_job_enum *en = NULL;
    uint32_t n, i;

    if (BGCOPY_SUCCEEDED(hr)) {
        n = bgcopy__svc_rd_u32(&r.rd);
        en = calloc(1, sizeof(*en));
        if (en != NULL) {
            en->items = calloc(n ? n : 1, sizeof(*en->items));
        }
        if (en == NULL || en->items == NULL) {
            free(en);
            en = NULL;
            hr = BGCOPY_E_OUTOFMEMORY;
        } else {
            en->refs = 1;
            pthread_mutex_lock(&c->lock);
            for (i = 0; i < n; i++) {
                uint64_t h = bgcopy__svc_rd_u64(&r.rd);
                bgcopy_guid g = bgcopy__svc_rd_guid(&r.rd);
                struct svc_job *j = adopt_job(c, h, &g, 1);
                if (j != NULL) {
                    en->items[en->count++] = &j->h;
                }
            }
            pthread_mutex_unlock(&c->lock);
            *out = en;
        }
    }
    free(r.frame);
    return hr;
}

static void svc_close(bgcopy_manager *mgr)
{
    struct conn *c = conn_of_mgr(mgr);
    struct request rq = {BGCOPY__OP_CLOSE, NULL, NULL, NULL, NULL, 0, 1};
    struct reg *g;

    (void)call_hr(c, &rq);
    pthread_mutex_lock(&c->lock);
    for (g = c->regs; g != NULL; g = g->next) {
        if (g->kind == REG_HANDLER) {
            g->active = 0; /* registrations end with their manager */
        }
    }
    pthread_mutex_unlock(&c->lock);
    free(mgr->user);
    free(mgr);
    conn_user_unref(c);
    conn_app_unref(c);
}

/* The registration of kind for guid / name, created when missing (lock held); NULL when out
 * of memory. */
static struct reg *reg_for(struct conn *c, int kind, const bgcopy_guid *guid, const char *name)
{
    struct reg *g;

    for (g = c->regs; g != NULL; g = g->next) {
        if (g->kind == kind &&
            (kind == REG_JOB ? bgcopy_guid_equal(&g->guid, guid) : strcmp(g->name, name) == 0)) {
            return g;
        }
    }
    g = calloc(1, sizeof(*g));
    if (g == NULL || (kind == REG_HANDLER && (g->name = strdup(name)) == NULL)) {
        free(g);
        return NULL;
    }
    g->kind = kind;
    if (guid != NULL) {
        g->guid = *guid;
    }
    g->cookie = ++c->next_cookie;
    g->next = c->regs;
    c->regs = g;
    return g;
}

static bgcopy_hr svc_register_handler(bgcopy_manager *mgr, const char *name,
                                      const bgcopy_callbacks *cb, void *user)
{
    struct conn *c = conn_of_mgr(mgr);
    struct reg *g, old;
    struct handler_args a = {name, callback_mask(cb), 0};
    struct request rq = {BGCOPY__OP_REGISTER_HANDLER, NULL, NULL, encode_handler, &a, 0, 0};
    bgcopy_hr hr;

    pthread_mutex_lock(&c->lock);
    g = reg_for(c, REG_HANDLER, NULL, name);
    if (g == NULL) {
        pthread_mutex_unlock(&c->lock);
        return BGCOPY_E_OUTOFMEMORY;
    }
    /* Set before the request: an event may arrive before the reply. */
    old = *g;
    g->cb = *cb;
    g->user = user;
    a.cookie = g->cookie;
    pthread_mutex_unlock(&c->lock);
    hr = call_hr(c, &rq);
    pthread_mutex_lock(&c->lock);
    if (BGCOPY_SUCCEEDED(hr)) {
        g->active = 1;
    } else {
        g->cb = old.cb;
        g->user = old.user;
    }
    pthread_mutex_unlock(&c->lock);
    return hr;
}

static void encode_str(struct bgcopy__svc_wr *w, const void *ctx)
{
    bgcopy__svc_wr_str(w, ctx);
}

static bgcopy_hr svc_unregister_handler(bgcopy_manager *mgr, const char *name)
{
    struct conn *c = conn_of_mgr(mgr);
    struct request rq = {BGCOPY__OP_UNREGISTER_HANDLER, NULL, NULL, encode_str, name, 0, 0};
    bgcopy_hr hr = call_hr(c, &rq);
    struct reg *g;

    if (BGCOPY_SUCCEEDED(hr)) {
        pthread_mutex_lock(&c->lock);
        for (g = c->regs; g != NULL; g = g->next) {
            if (g->kind == REG_HANDLER && strcmp(g->name, name) == 0) {
                g->active = 0;
            }
        }
        pthread_mutex_unlock(&c->lock);
    }
    return hr;
}

/* ---- jobs --------------------------------------------------------------------------------------
 */

static struct svc_job *job_of(bgcopy_job *h)
{
    return (struct svc_job *)h->impl;
}

static void svc_job_addref(bgcopy_job *h)
{
    struct svc_job *j = job_of(h);

    pthread_mutex_lock(&j->c->lock);
    j->refs++;
    j->c->app_refs++;
    pthread_mutex_unlock(&j->c->lock);
}

static void svc_job_release(bgcopy_job *h)
{
    struct conn *c = job_of(h)->c;

    job_unref(job_of(h));
    conn_app_unref(c);
}

struct add_args {
    uint32_t count;
    const bgcopy_file_info *files;
    uint32_t range_count;
    const bgcopy_file_range *ranges;
};

static void encode_add(struct bgcopy__svc_wr *w, const void *ctx)
{
    const struct add_args *a = ctx;
    uint32_t i;

    bgcopy__svc_wr_u32(w, a->count);
    for (i = 0; i < a->count; i++) {
        bgcopy__svc_wr_str(w, a->files[i].remote_name);
        bgcopy__svc_wr_str(w, a->files[i].local_name);
    }
    bgcopy__svc_wr_u32(w, a->range_count);
    for (i = 0; i < a->range_count; i++) {
        bgcopy__svc_wr_u64(w, a->ranges[i].initial_offset);
        bgcopy__svc_wr_u64(w, a->ranges[i].length);
    }
}

static bgcopy_hr svc_add_files(bgcopy_job *h, uint32_t count, const bgcopy_file_info *files,
                               uint32_t range_count, const bgcopy_file_range *ranges)
{
    struct add_args a = {count, files, range_count, ranges};
    struct request rq = {BGCOPY__OP_ADD_FILES, job_of(h), NULL, encode_add, &a, 0, 0};

    return call_hr(job_of(h)->c, &rq);
}

static bgcopy_hr svc_enum_files(bgcopy_job *h, bgcopy_file_enum **out)
{
    struct svc_job *j = job_of(h);
    struct conn *c = j->c;
    struct request rq = {BGCOPY__OP_ENUM_FILES, j, NULL, NULL, NULL, 1, 0};
    struct reply r;
    bgcopy_hr hr = call(c, &rq, &r);
    struct bgcopy_file_enum *en = NULL;
    uint32_t n, i;

    if (BGCOPY_SUCCEEDED(hr)) {
        n = bgcopy__svc_rd_u32(&r.rd);
        en = calloc(1, sizeof(*en));
        if (en != NULL) {
            en->items = calloc(n ? n : 1, sizeof(*en->items));
        }
        if (en == NULL || en->items == NULL) {
            free(en);
            hr = BGCOPY_E_OUTOFMEMORY;
        } else {
            en->refs = 1;
            pthread_mutex_lock(&c->lock);
            for (i = 0; i < n; i++) {
                uint64_t id = bgcopy__svc_rd_u64(&r.rd);
                uint32_t index = bgcopy__svc_rd_u32(&r.rd);
                struct svc_file *f = adopt_file(c, id, j, index, 1);
                if (f != NULL) {
                    en->items[en->count++] = &f->h;
                }
            }
            pthread_mutex_unlock(&c->lock);
            *out = en;
        }
    }
    free(r.frame);
    return hr;
}

struct two_strings {
    const char *a, *b;
};

static void encode_two(struct bgcopy__svc_wr *w, const void *ctx)
{
    const struct two_strings *s = ctx;
    bgcopy__svc_wr_str(w, s->a);
    bgcopy__svc_wr_str(w, s->b);
}

static bgcopy_hr svc_replace_remote_prefix(bgcopy_job *h, const char *old_prefix,
                                           const char *new_prefix)
{
    struct two_strings s = {old_prefix, new_prefix};
    struct request rq = {BGCOPY__OP_REPLACE_PREFIX, job_of(h), NULL, encode_two, &s, 0, 0};

    return call_hr(job_of(h)->c, &rq);
}

/* A request naming only the job. */
static bgcopy_hr job_only(bgcopy_job *h, int op)
{
    struct request rq = {op, job_of(h), NULL, NULL, NULL, 0, 0};

    return call_hr(job_of(h)->c, &rq);
}

static bgcopy_hr svc_resume(bgcopy_job *h)
{
    return job_only(h, BGCOPY__OP_RESUME);
}

static bgcopy_hr svc_suspend(bgcopy_job *h)
{
    return job_only(h, BGCOPY__OP_SUSPEND);
}

static bgcopy_hr svc_cancel(bgcopy_job *h)
{
    return job_only(h, BGCOPY__OP_CANCEL);
}

static bgcopy_hr svc_complete(bgcopy_job *h)
{
    return job_only(h, BGCOPY__OP_COMPLETE);
}

static bgcopy_hr svc_get_info(bgcopy_job *h, struct bgcopy__job_info *info)
{
    struct request rq = {BGCOPY__OP_GET_INFO, job_of(h), NULL, NULL, NULL, 1, 0};
    struct reply r;
    bgcopy_hr hr = call(job_of(h)->c, &rq, &r);
    struct bgcopy__svc_rd *d = &r.rd;

    if (BGCOPY_SUCCEEDED(hr)) {
        info->id = bgcopy__svc_rd_guid(d);
        info->type = (bgcopy_job_type)bgcopy__svc_rd_u32(d);
        info->state = (bgcopy_job_state)bgcopy__svc_rd_u32(d);
        info->priority = (bgcopy_job_priority)bgcopy__svc_rd_u32(d);
        info->progress.bytes_total = bgcopy__svc_rd_u64(d);
        info->progress.bytes_transferred = bgcopy__svc_rd_u64(d);
        info->progress.files_total = bgcopy__svc_rd_u32(d);
        info->progress.files_transferred = bgcopy__svc_rd_u32(d);
        info->times.creation_time = bgcopy__svc_rd_u64(d);
        info->times.modification_time = bgcopy__svc_rd_u64(d);
        info->times.transfer_completion_time = bgcopy__svc_rd_u64(d);
        info->error_count = bgcopy__svc_rd_u32(d);
        info->notify_flags = bgcopy__svc_rd_u32(d);
        info->retry_delay = bgcopy__svc_rd_u32(d);
        info->no_progress_timeout = bgcopy__svc_rd_u32(d);
        info->max_download_time = bgcopy__svc_rd_u32(d);
        info->proxy_usage = (bgcopy_proxy_usage)bgcopy__svc_rd_u32(d);
        info->security_flags = bgcopy__svc_rd_u32(d);
        info->cost_flags = bgcopy__svc_rd_u32(d);
        info->dynamic_content = (int)bgcopy__svc_rd_u32(d);
        info->high_performance = (int)bgcopy__svc_rd_u32(d);
        info->on_demand = (int)bgcopy__svc_rd_u32(d);
        info->max_download_size = bgcopy__svc_rd_u64(d);
        info->min_notify_interval_ms = bgcopy__svc_rd_u32(d);
        info->notification_clsid = bgcopy__svc_rd_guid(d);
        info->has_custom_headers = (int)bgcopy__svc_rd_u32(d);
    }
    free(r.frame);
    return hr;
}

/* A string reply (Z): copied into *out (NULL stays NULL). */
static bgcopy_hr string_call(struct conn *c, const struct request *rq, char **out)
{
    struct reply r;
    bgcopy_hr hr = call(c, rq, &r);

    if (BGCOPY_SUCCEEDED(hr)) {
        const char *s = bgcopy__svc_rd_str(&r.rd);
        bgcopy_hr dhr = bgcopy__dup_out(s, out);
        if (BGCOPY_FAILED(dhr)) {
            hr = dhr;
        }
    }
    free(r.frame);
    return hr;
}

static bgcopy_hr svc_get_string(bgcopy_job *h, int which, char **out)
{
    uint32_t w = (uint32_t)which;
    struct request rq = {BGCOPY__OP_GET_STRING, job_of(h), NULL, encode_u32, &w, 1, 0};

    return string_call(job_of(h)->c, &rq, out);
}

static bgcopy_hr svc_get_error(bgcopy_job *h, bgcopy_error **out)
{
    struct svc_job *j = job_of(h);
    struct conn *c = j->c;
    struct request rq = {BGCOPY__OP_GET_ERROR, j, NULL, NULL, NULL, 1, 0};
    struct reply r;
    bgcopy_hr hr = call(c, &rq, &r);
    struct svc_error *err;

    if (BGCOPY_SUCCEEDED(hr)) {
        bgcopy_error_context context = (bgcopy_error_context)bgcopy__svc_rd_u32(&r.rd);
        bgcopy_hr code = bgcopy__svc_rd_hr(&r.rd);
        const char *protocol = static_protocol(bgcopy__svc_rd_str(&r.rd));
        uint64_t file = bgcopy__svc_rd_u64(&r.rd);
        uint32_t index = bgcopy__svc_rd_u32(&r.rd);

        err = calloc(1, sizeof(*err));
        if (err == NULL) {
            hr = BGCOPY_E_OUTOFMEMORY;
        } else {
            err->e.ops = &svc_ops;
            err->e.refs = 1;
            err->c = c;
            err->e.context = context;
            err->e.code = code;
            err->e.protocol = protocol;
            pthread_mutex_lock(&c->lock);
            err->file = adopt_file(c, file, j, index, 0);
            err->app = 1; /* the error object is the application's */
            c->app_refs++;
            pthread_mutex_unlock(&c->lock);
            *out = &err->e;
        }
    }
    free(r.frame);
    return hr;
}

static void encode_property(struct bgcopy__svc_wr *w, const void *ctx)
{
    const struct bgcopy__prop_value *v = ctx;
    uint64_t scalar = 0;
    bgcopy_guid clsid;

    memset(&clsid, 0, sizeof(clsid));
    switch (v->job5_id) {
    case BGCOPY_JOB_PROPERTY_NOTIFICATION_CLSID:
        clsid = v->job5.clsid;
        break;
    case BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE:
        scalar = v->job5.uint64;
        break;
    case BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT:
    case BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE:
    case BGCOPY_JOB_PROPERTY_ON_DEMAND_MODE:
        scalar = (uint32_t)v->job5.enable;
        break;
    case BGCOPY_JOB_PROPERTY_USE_STORED_CREDENTIALS:
        scalar = (uint32_t)v->job5.target;
        break;
    default:
        scalar = v->job5.dword;
        break;
    }
    bgcopy__svc_wr_str(w, v->s1);
    bgcopy__svc_wr_str(w, v->s2);
    bgcopy__svc_wr_u32(w, v->u);
    bgcopy__svc_wr_u32(w, v->u2);
    bgcopy__svc_wr_u32(w, (uint32_t)v->job5_id);
    bgcopy__svc_wr_u64(w, scalar);
    bgcopy__svc_wr_guid(w, &clsid);
}

struct property_args {
    uint32_t which;
    const struct bgcopy__prop_value *v;
};

static void encode_set_property(struct bgcopy__svc_wr *w, const void *ctx)
{
    const struct property_args *a = ctx;
    bgcopy__svc_wr_u32(w, a->which);
    encode_property(w, a->v);
}

static bgcopy_hr svc_set_property(bgcopy_job *h, int which, const struct bgcopy__prop_value *v)
{
    struct property_args a = {(uint32_t)which, v};
    struct request rq = {BGCOPY__OP_SET_PROPERTY, job_of(h), NULL, encode_set_property, &a, 0, 0};

    return call_hr(job_of(h)->c, &rq);
}

static bgcopy_hr svc_set_callbacks(bgcopy_job *h, const bgcopy_callbacks *cb, void *user)
{
    struct svc_job *j = job_of(h);
    struct conn *c = j->c;
    struct callbacks_args a = {0, cb != NULL ? callback_mask(cb) : BGCOPY__CB_CLEAR, 0};
    struct request rq = {BGCOPY__OP_SET_CALLBACKS, j, NULL, encode_callbacks, &a, 0, 0};
    struct reg *g, old;
    bgcopy_hr hr;

    pthread_mutex_lock(&c->lock);
    g = reg_for(c, REG_JOB, &j->guid, NULL);
    if (g == NULL) {
        pthread_mutex_unlock(&c->lock);
        return BGCOPY_E_OUTOFMEMORY;
    }
    /* Set before the request: the service may deliver an owed notification before its reply
     * arrives. Restored if the call fails. */
    old = *g;
    if (cb != NULL) {
        g->cb = *cb;
        g->user = user;
    }
    a.cookie = g->cookie;
    pthread_mutex_unlock(&c->lock);
    hr = call_hr(c, &rq);
    pthread_mutex_lock(&c->lock);
    if (BGCOPY_SUCCEEDED(hr)) {
        g->active = cb != NULL;
    } else {
        g->cb = old.cb;
        g->user = old.user;
    }
    pthread_mutex_unlock(&c->lock);
    return hr;
}

/* Callbacks registered by another process (or another connection of this one) come back as
 * registered, with no members and no user pointer: they are not callable here. */
static bgcopy_hr svc_get_callbacks(bgcopy_job *h, int *registered, bgcopy_callbacks *cb,
                                   void **user)
{
    struct svc_job *j = job_of(h);
    struct conn *c = j->c;
    struct request rq = {BGCOPY__OP_GET_CALLBACKS, j, NULL, NULL, NULL, 1, 0};
    struct reply r;
    bgcopy_hr hr = call(c, &rq, &r);
    struct reg *g;

    if (BGCOPY_SUCCEEDED(hr)) {
        uint32_t reg = bgcopy__svc_rd_u32(&r.rd);
        uint32_t mine = bgcopy__svc_rd_u32(&r.rd);
        uint64_t cookie = bgcopy__svc_rd_u64(&r.rd);

        *registered = reg != 0;
        if (reg && mine) {
            pthread_mutex_lock(&c->lock);
            g = find_cookie(c, cookie);
            if (g != NULL) {
                if (cb != NULL) {
                    *cb = g->cb;
                }
                if (user != NULL) {
                    *user = g->user;
                }
            }
            pthread_mutex_unlock(&c->lock);
        }
    }
    free(r.frame);
    return hr;
}

/* ---- files -------------------------------------------------------------------------------------
 */

static struct svc_file *file_of(bgcopy_file *h)
{
    return (struct svc_file *)h->impl;
}

static void svc_file_addref(bgcopy_file *h)
{
    struct svc_file *f = file_of(h);

    pthread_mutex_lock(&f->c->lock);
    f->refs++;
    f->c->app_refs++;
    pthread_mutex_unlock(&f->c->lock);
}

static void svc_file_release(bgcopy_file *h)
{
    struct conn *c = file_of(h)->c;

    file_unref(file_of(h));
    conn_app_unref(c);
}

static bgcopy_hr svc_file_get_string(bgcopy_file *h, int which, char **out)
{
    uint32_t w = (uint32_t)which;
    struct request rq = {BGCOPY__OP_FILE_GET_STRING, NULL, file_of(h), encode_u32, &w, 1, 0};

    return string_call(file_of(h)->c, &rq, out);
}

static bgcopy_hr svc_file_get_progress(bgcopy_file *h, bgcopy_file_progress *p)
{
    struct request rq = {BGCOPY__OP_FILE_GET_PROGRESS, NULL, file_of(h), NULL, NULL, 1, 0};
    struct reply r;
    bgcopy_hr hr = call(file_of(h)->c, &rq, &r);

    if (BGCOPY_SUCCEEDED(hr)) {
        p->bytes_total = bgcopy__svc_rd_u64(&r.rd);
        p->bytes_transferred = bgcopy__svc_rd_u64(&r.rd);
        p->completed = (int)bgcopy__svc_rd_u32(&r.rd);
    }
    free(r.frame);
    return hr;
}

static bgcopy_hr svc_file_get_ranges(bgcopy_file *h, uint32_t *count, bgcopy_file_range **out)
{
    struct request rq = {BGCOPY__OP_FILE_GET_RANGES, NULL, file_of(h), NULL, NULL, 1, 0};
    struct reply r;
    bgcopy_hr hr = call(file_of(h)->c, &rq, &r);
    uint32_t n, i;

    *count = 0;
    *out = NULL;
    if (BGCOPY_SUCCEEDED(hr)) {
        n = bgcopy__svc_rd_u32(&r.rd);
        if (n > 0) {
            *out = malloc((size_t)n * sizeof(**out));
            if (*out == NULL) {
                hr = BGCOPY_E_OUTOFMEMORY;
            } else {
                for (i = 0; i < n; i++) {
                    (*out)[i].initial_offset = bgcopy__svc_rd_u64(&r.rd);
                    (*out)[i].length = bgcopy__svc_rd_u64(&r.rd);
                }
                *count = n;
            }
        }
    }
    free(r.frame);
    return hr;
}

static bgcopy_hr svc_file_set_remote_name(bgcopy_file *h, const char *url)
{
    struct request rq = {BGCOPY__OP_FILE_SET_REMOTE, NULL, file_of(h), encode_str, url, 0, 0};

    return call_hr(file_of(h)->c, &rq);
}

/* ---- error objects ------------------------------------------------------------------------------
 */

static void error_release(bgcopy_error *e)
{
    struct svc_error *err = (struct svc_error *)e;
    struct conn *c = err->c;
    int app = err->app;

    if (bgcopy__atomic_dec(&e->refs) != 0) {
        return;
    }
    if (err->file != NULL) {
        file_unref(err->file);
    }
    free(err);
    if (app) {
        conn_app_unref(c);
    }
}

static bgcopy_hr svc_error_get_file(bgcopy_error *e, bgcopy_file **file)
{
    struct svc_error *err = (struct svc_error *)e;

    if (err->file == NULL) {
        *file = NULL;
        return BGCOPY_E_FILE_NOT_AVAILABLE;
    }
    svc_file_addref(&err->file->h);
    *file = &err->file->h;
    return BGCOPY_S_OK;
}

static const struct bgcopy__engine_ops svc_ops = {
    .name = "service",
    .create_job = svc_create_job,
    .get_job = svc_get_job,
    .enum_jobs = svc_enum_jobs,
    .close = svc_close,
    .register_handler = svc_register_handler,
    .unregister_handler = svc_unregister_handler,
    .job_addref = svc_job_addref,
    .job_release = svc_job_release,
    .add_files = svc_add_files,
    .enum_files = svc_enum_files,
    .replace_remote_prefix = svc_replace_remote_prefix,
    .resume = svc_resume,
    .suspend = svc_suspend,
    .cancel = svc_cancel,
    .complete = svc_complete,
    .get_info = svc_get_info,
    .get_string = svc_get_string,
    .get_error = svc_get_error,
    .set_property = svc_set_property,
    .set_callbacks = svc_set_callbacks,
    .get_callbacks = svc_get_callbacks,
    .file_addref = svc_file_addref,
    .file_release = svc_file_release,
    .file_get_string = svc_file_get_string,
    .file_get_progress = svc_file_get_progress,
    .file_get_ranges = svc_file_get_ranges,
    .file_set_remote_name = svc_file_set_remote_name,
    .error_release = error_release,
    .error_get_file = svc_error_get_file,
};
