/* sim.c - the simulation harness: virtual clock, scripted network and fault
 * rules (include/bgcopy/sim.h).
 *
 * The simulation owns one engine whose clock is sim->engine->sim_now_us. Its
 * transport answers http:// and https:// requests from the declared
 * resources, applying the first matching fault rule, and delivers bodies in
 * chunks spaced by the resource's bandwidth, all as engine timers. Running
 * the simulation pops timers in (due, arming order) order, so a scenario
 * replays identically. Notifications are dispatched after every timer, with
 * the engine lock released around callbacks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core-int.h"

#define DEFAULT_CHUNK (1024 * 1024)
#define DEFAULT_START 1767225600.0 /* 2026-01-01T00:00:00Z */
#define MAX_EVENTS    10000000u
/* Virtual time stays below 2^62 us (about 146,000 years), so the engine's timer arithmetic
 * (now plus delays of up to 2^32 s) cannot overflow int64_t. */
#define MAX_VIRTUAL_US (INT64_C(1) << 62)

struct sim_resource {
    struct sim_resource *next;
    char *url;
    uint64_t length;
    bgcopy_sim_content content;
    uint32_t seed;
    int64_t last_modified_us;
    int no_ranges;
    int no_content_length;
    int64_t latency_us;
    double bandwidth;
};

struct sim_fault {
    struct sim_fault *next;
    bgcopy_sim_fault f;
    char *url;
    uint32_t used;
};

struct bgcopy_sim {
    struct bgcopy__engine *engine;
    struct bgcopy__transport transport;
    int64_t start_wall_us;
    uint32_t chunk;
    struct sim_resource *resources;
    struct sim_fault *faults;
    int network_down;
    double busy;
    bgcopy_sim_request *requests;
    char **request_urls;
    size_t request_count, request_cap;
    unsigned char *pattern; /* chunk bytes: the last PATTERN piece generated */
    uint32_t pattern_seed;  /* ... of this seed */
    uint64_t pattern_pos;   /* ... from this offset */
    size_t pattern_len;     /* ... this many bytes (0: none yet) */
};

/* A request in flight on the scripted network. */
struct bgcopy__xfer {
    bgcopy__timer timer;
    bgcopy_sim *sim;
    const struct bgcopy__xfer_sink *sink;
    void *ctx;
    struct bgcopy__xfer_request req;
    char *url;
    int answered;
    uint64_t pos, end;
    bgcopy_sim_content content;
    uint32_t seed;
    double bandwidth;
    /* a fault that fires after `limit` bytes of this body */
    int limit_kind;
    uint64_t limit;
    uint64_t sent;
    uint64_t change_length;
    int64_t last_byte_us; /* when the response or the last body piece was delivered */
};

/* ---- content ---------------------------------------------------------------------- */

#define PATTERN_STEP 0x9E3779B97F4A7C15ULL /* added per offset */
#define PATTERN_SEED 0xD1B54A32D192ED03ULL
#define PATTERN_MIX  0xBF58476D1CE4E5B9ULL

uint8_t bgcopy_sim_pattern_byte(uint32_t seed, uint64_t offset)
{
    uint64_t x = offset * PATTERN_STEP + seed * PATTERN_SEED;
    x ^= x >> 29;
    x *= PATTERN_MIX;
    x ^= x >> 32;
    return (uint8_t)x;
}

/* Writes bytes offset .. offset + n - 1 of the PATTERN of seed to out: the same bytes as
 * bgcopy_sim_pattern_byte, with the first multiplication replaced by a running sum (the
 * products offset * PATTERN_STEP of consecutive offsets differ by PATTERN_STEP modulo 2^64):
 * 12 instructions per byte instead of about 25 (callgrind; bench/README.md). */
static void pattern_fill(unsigned char *out, uint32_t seed, uint64_t offset, size_t n)
{
    uint64_t x = offset * PATTERN_STEP + seed * PATTERN_SEED;
    size_t i;

    for (i = 0; i < n; i++) {
        uint64_t y = x ^ (x >> 29);
        y *= PATTERN_MIX;
        out[i] = (uint8_t)(y ^ (y >> 32));
        x += PATTERN_STEP;
    }
}

/* ---- resources and faults ---------------------------------------------------------------- */

static struct sim_resource *find_resource(bgcopy_sim *sim, const char *url)
{
    struct sim_resource *r;
    for (r = sim->resources; r; r = r->next)
        if (strcmp(r->url, url) == 0)
            return r;
    return NULL;
}

static int is_http(const char *url)
{
    int kind = 0;
    return BGCOPY_SUCCEEDED(bgcopy__validate_remote(url, &kind)) && kind == BGCOPY__URL_HTTP;
}

bgcopy_hr bgcopy_sim_add_resource(bgcopy_sim *sim, const bgcopy_sim_resource *res)
{
    struct sim_resource *r;
    if (sim == NULL || res == NULL || res->size < sizeof(size_t) + sizeof(char *) ||
        res->url == NULL || !is_http(res->url))
        return BGCOPY_E_INVALIDARG;
    if (res->content != BGCOPY_SIM_CONTENT_PATTERN && res->content != BGCOPY_SIM_CONTENT_ZERO)
        return BGCOPY_E_INVALIDARG;
    r = find_resource(sim, res->url);
    if (r == NULL) {
        r = bgcopy__calloc(1, sizeof(*r));
        if (r == NULL || (r->url = bgcopy__strdup(res->url)) == NULL) {
            free(r);
            return BGCOPY_E_OUTOFMEMORY;
        }
        r->next = sim->resources;
        sim->resources = r;
    }
    r->length = res->length;
    r->content = res->content;
    r->seed = res->seed;
    r->last_modified_us =
        res->last_modified > 0 ? (int64_t)llround(res->last_modified * 1e6) : sim->start_wall_us;
    r->no_ranges = res->no_ranges;
    r->no_content_length = res->no_content_length;
    r->latency_us = (int64_t)llround(res->latency * 1e6);
    r->bandwidth = res->bandwidth;
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy_sim_change_resource(bgcopy_sim *sim, const char *url, uint64_t new_length,
                                     double last_modified)
{
    struct sim_resource *r;
    if (sim == NULL || url == NULL)
        return BGCOPY_E_INVALIDARG;
    r = find_resource(sim, url);
    if (r == NULL)
        return BGCOPY_E_NOT_FOUND;
    r->length = new_length;
    r->last_modified_us = (int64_t)llround(last_modified * 1e6);
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy_sim_remove_resource(bgcopy_sim *sim, const char *url)
{
    struct sim_resource **pp;
    if (sim == NULL || url == NULL)
        return BGCOPY_E_INVALIDARG;
    for (pp = &sim->resources; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->url, url) == 0) {
            struct sim_resource *r = *pp;
            *pp = r->next;
            free(r->url);
            free(r);
            return BGCOPY_S_OK;
        }
    }
    return BGCOPY_E_NOT_FOUND;
}

bgcopy_hr bgcopy_sim_add_fault(bgcopy_sim *sim, const bgcopy_sim_fault *fault)
{
    struct sim_fault *f, **pp;
    if (sim == NULL || fault == NULL || fault->size < sizeof(size_t) + sizeof(int))
        return BGCOPY_E_INVALIDARG;
    if (fault->kind < BGCOPY_SIM_FAULT_HTTP_STATUS || fault->kind > BGCOPY_SIM_FAULT_DISK_FULL)
        return BGCOPY_E_INVALIDARG;
    if (fault->kind == BGCOPY_SIM_FAULT_HTTP_STATUS && (fault->status < 100 || fault->status > 599))
        return BGCOPY_E_INVALIDARG;
    f = bgcopy__calloc(1, sizeof(*f));
    if (f == NULL)
        return BGCOPY_E_OUTOFMEMORY;
    memcpy(&f->f, fault, fault->size < sizeof(f->f) ? fault->size : sizeof(f->f));
    if (fault->url && (f->url = bgcopy__strdup(fault->url)) == NULL) {
        free(f);
        return BGCOPY_E_OUTOFMEMORY;
    }
    f->f.url = f->url;
    for (pp = &sim->faults; *pp; pp = &(*pp)->next)
        ;
    *pp = f;
    return BGCOPY_S_OK;
}

void bgcopy_sim_clear_faults(bgcopy_sim *sim)
{
    if (sim == NULL)
        return;
    while (sim->faults) {
        struct sim_fault *f = sim->faults;
        sim->faults = f->next;
        free(f->url);
        free(f);
    }
}

void bgcopy_sim_set_network_up(bgcopy_sim *sim, int up)
{
    if (sim)
        sim->network_down = !up;
}

/* The first rule matching this request, consumed (count) on match. Body
 * faults match only GETs. */
static struct sim_fault *match_fault(bgcopy_sim *sim, const struct bgcopy__xfer_request *req)
{
    struct sim_fault *f;
    for (f = sim->faults; f; f = f->next) {
        int body = f->f.kind == BGCOPY_SIM_FAULT_RESET || f->f.kind == BGCOPY_SIM_FAULT_STALL ||
                   f->f.kind == BGCOPY_SIM_FAULT_CHANGE || f->f.kind == BGCOPY_SIM_FAULT_DISK_FULL;
        if (f->f.count && f->used >= f->f.count)
            continue;
        if (f->url && strcmp(f->url, req->url) != 0)
            continue;
        if (body && req->head)
            continue;
        f->used++;
        return f;
    }
    return NULL;
}

/* ---- transport -------------------------------------------------------------------------- */

static void log_request(bgcopy_sim *sim, struct bgcopy__xfer *x, int status)
{
    bgcopy_sim_request *rq;
    if (sim->request_count == sim->request_cap) {
        size_t cap = sim->request_cap ? sim->request_cap * 2 : 64;
        bgcopy_sim_request *n = realloc(sim->requests, cap * sizeof(*n));
        char **u;
        if (n == NULL)
            return;
        sim->requests = n;
        u = realloc(sim->request_urls, cap * sizeof(*u));
        if (u == NULL)
            return;
        sim->request_urls = u;
        sim->request_cap = cap;
    }
    rq = &sim->requests[sim->request_count];
    memset(rq, 0, sizeof(*rq));
    strcpy(rq->method, x->req.head ? "HEAD" : "GET");
    sim->request_urls[sim->request_count] = bgcopy__strdup(x->url);
    rq->has_range = x->req.has_range;
    rq->range_first = x->req.first;
    rq->range_last = x->req.last;
    rq->status = status;
    rq->time = (double)sim->engine->sim_now_us / 1e6;
    sim->request_count++;
}

static void xfer_free(struct bgcopy__xfer *x)
{
    free(x->url);
    free(x);
}

static void finish(struct bgcopy__xfer *x, bgcopy_hr hr, bgcopy_error_context ctx)
{
    const struct bgcopy__xfer_sink *sink = x->sink;
    void *sctx = x->ctx;
    xfer_free(x);
    sink->on_done(sctx, hr, ctx);
}

static void answer(struct bgcopy__xfer *x)
{
    bgcopy_sim *sim = x->sim;
    struct bgcopy__engine *e = sim->engine;
    struct sim_fault *fault = NULL;
    struct sim_resource *res;
    struct bgcopy__xfer_response r;

    if (sim->network_down) {
        log_request(sim, x, 0);
        finish(x, BGCOPY_E_WINHTTP_CANNOT_CONNECT, BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
        return;
    }
    fault = match_fault(sim, &x->req);
    if (fault && fault->f.kind == BGCOPY_SIM_FAULT_DNS) {
        log_request(sim, x, 0);
        finish(x, BGCOPY_E_WINHTTP_NAME_NOT_RESOLVED, BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
        return;
    }
    if (fault && fault->f.kind == BGCOPY_SIM_FAULT_REFUSED) {
        log_request(sim, x, 0);
        finish(x, BGCOPY_E_WINHTTP_CANNOT_CONNECT, BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
        return;
    }
    memset(&r, 0, sizeof(r));
    r.last_modified_us = INT64_MIN;
    r.cr_total = BGCOPY_SIZE_UNKNOWN;
    res = find_resource(sim, x->url);
    if (fault && fault->f.kind == BGCOPY_SIM_FAULT_HTTP_STATUS) {
        r.status = fault->f.status;
        r.content_length = 0;
    } else if (res == NULL) {
        r.status = 404;
        r.content_length = 0;
    } else {
        r.last_modified_us = res->last_modified_us;
        x->content = res->content;
        x->seed = res->seed;
        x->bandwidth = res->bandwidth;
        r.content_length = res->no_content_length ? BGCOPY_SIZE_UNKNOWN : res->length;
        if (x->req.head) {
            r.status = 200;
        } else if (!x->req.has_range || res->no_ranges) {
            r.status = 200;
            x->pos = 0;
            x->end = res->length;
        } else if (x->req.first >= res->length) {
            r.status = 416;
            r.content_length = 0;
            r.has_content_range = 1;
            r.cr_total = res->length;
        } else {
            uint64_t last = x->req.last < res->length ? x->req.last : res->length - 1;
            r.status = 206;
            r.has_content_range = 1;
            r.cr_first = x->req.first;
            r.cr_last = last;
            r.cr_total = res->length;
            r.content_length = last - x->req.first + 1;
            x->pos = x->req.first;
            x->end = last + 1;
        }
        if (fault && !x->req.head && x->end > x->pos) {
            x->limit_kind = fault->f.kind;
            x->limit = fault->f.after_bytes;
            x->change_length = fault->f.new_length;
        }
    }
    log_request(sim, x, r.status);
    x->answered = 1;
    x->last_byte_us = bgcopy__engine_now(e);
    if (x->sink->on_response(x->ctx, &r) != 0) {
        xfer_free(x);
        return;
    }
    if (x->req.head || r.status < 200 || r.status >= 300)
        x->pos = x->end = 0;
    bgcopy__timer_arm(e, &x->timer, bgcopy__engine_now(e));
}

/* A stalled request's wait is over: ERROR_WINHTTP_TIMEOUT, transient, as the HTTP
 * transport reports a stall. */
static void stall_expired(struct bgcopy__engine *e, bgcopy__timer *t)
{
    (void)e;
    finish(t->data, BGCOPY_E_WINHTTP_TIMEOUT, BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
}

static void body_step(struct bgcopy__engine *e, bgcopy__timer *t)
{
    struct bgcopy__xfer *x = t->data;
    bgcopy_sim *sim = x->sim;
    uint64_t n, rate;
    double bandwidth;
    bgcopy_hr hr;

    if (!x->answered) {
        answer(x);
        return;
    }
    if (x->limit_kind && x->sent >= x->limit) {
        struct sim_resource *res;
        switch (x->limit_kind) {
        case BGCOPY_SIM_FAULT_STALL:
            /* Nothing more is sent. As in the HTTP transport, the request ends when no byte
             * came for the engine's http_stall_timeout: a passive wait, so
             * bgcopy_sim_run_until_idle returns while it runs. */
            bgcopy__timer_init(t, stall_expired, x, 0);
            bgcopy__timer_arm(e, t, x->last_byte_us + (int64_t)e->http_stall_timeout * BGCOPY__US);
            return;
        case BGCOPY_SIM_FAULT_DISK_FULL:
            finish(x, BGCOPY_E_WIN32_DISK_FULL, BGCOPY_ERROR_CONTEXT_LOCAL_FILE);
            return;
        case BGCOPY_SIM_FAULT_CHANGE:
            res = find_resource(sim, x->url);
            if (res) {
                res->length = x->change_length;
                res->last_modified_us += BGCOPY__US;
            }
            /* the replaced file ends this connection */
            finish(x, BGCOPY_E_WINHTTP_CONNECTION_ERROR, BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
            return;
        default:
            finish(x, BGCOPY_E_WINHTTP_CONNECTION_ERROR, BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
            return;
        }
    }
    if (x->pos >= x->end) {
        finish(x, BGCOPY_S_OK, BGCOPY_ERROR_CONTEXT_NONE);
        return;
    }
    n = x->end - x->pos;
    if (n > sim->chunk)
        n = sim->chunk;
    if (x->limit_kind && x->limit - x->sent < n)
        n = x->limit - x->sent;
    /* MaxInternetBandwidth (policy.c): the slower of the resource and the policy, in pieces of
     * at most a second's worth so that a new cap (window, priority) applies within a second */
    rate = bgcopy__policy_rate(e, x->req.job);
    bandwidth = x->bandwidth;
    if (rate > 0) {
        if (bandwidth <= 0 || (double)rate < bandwidth)
            bandwidth = (double)rate;
        if (n > rate)
            n = rate;
    }
    if (x->content == BGCOPY_SIM_CONTENT_PATTERN) {
        /* The same piece again (the same resource fetched by another job) is not generated
         * again: on_data only reads the buffer. */
        if (sim->pattern_len < n || sim->pattern_seed != x->seed || sim->pattern_pos != x->pos) {
            pattern_fill(sim->pattern, x->seed, x->pos, (size_t)n);
            sim->pattern_seed = x->seed;
            sim->pattern_pos = x->pos;
            sim->pattern_len = (size_t)n;
        }
        hr = x->sink->on_data(x->ctx, sim->pattern, (size_t)n);
    } else {
        hr = x->sink->on_data(x->ctx, NULL, (size_t)n);
    }
    if (BGCOPY_FAILED(hr)) {
        xfer_free(x);
        return;
    }
    x->pos += n;
    x->sent += n;
    x->last_byte_us = bgcopy__engine_now(e);
    bgcopy__timer_arm(e, t,
                      bgcopy__engine_now(e) +
                          (bandwidth > 0 ? (int64_t)llround((double)n / bandwidth * 1e6) : 0));
}

static int sim_accepts(struct bgcopy__transport *tp, const char *url)
{
    return is_http(url);
}

static bgcopy_hr sim_start(struct bgcopy__transport *tp, struct bgcopy__engine *e,
                           const struct bgcopy__xfer_request *req,
                           const struct bgcopy__xfer_sink *sink, void *ctx,
                           struct bgcopy__xfer **out)
{
    bgcopy_sim *sim = tp->state;
    struct bgcopy__xfer *x = bgcopy__calloc(1, sizeof(*x));
    struct sim_resource *res;

    if (x == NULL || (x->url = bgcopy__strdup(req->url)) == NULL) {
        free(x);
        return BGCOPY_E_OUTOFMEMORY;
    }
    x->sim = sim;
    x->sink = sink;
    x->ctx = ctx;
    x->req = *req;
    x->req.url = x->url;
    bgcopy__timer_init(&x->timer, body_step, x, 1);
    res = find_resource(sim, req->url);
    bgcopy__timer_arm(e, &x->timer, bgcopy__engine_now(e) + (res ? res->latency_us : 0));
    *out = x;
    return BGCOPY_S_OK;
}

static void sim_abort(struct bgcopy__transport *tp, struct bgcopy__xfer *x)
{
    bgcopy_sim *sim = tp->state;
    bgcopy__timer_disarm(sim->engine, &x->timer);
    xfer_free(x);
}

struct bgcopy__transport *bgcopy__sim_transport(bgcopy_sim *sim)
{
    return &sim->transport;
}

/* ---- lifetime -------------------------------------------------------------------------- */

bgcopy_hr bgcopy_sim_create(const bgcopy_sim_options *options, bgcopy_sim **out)
{
    bgcopy_sim_options o = BGCOPY_SIM_OPTIONS_INIT;
    bgcopy_sim *sim;

    if (out == NULL)
        return BGCOPY_E_POINTER;
    if (options) {
        if (options->size < sizeof(size_t) || options->size > 4096)
            return BGCOPY_E_INVALIDARG;
        memcpy(&o, options, options->size < sizeof(o) ? options->size : sizeof(o));
    }
    sim = bgcopy__calloc(1, sizeof(*sim));
    if (sim == NULL)
        return BGCOPY_E_OUTOFMEMORY;
    sim->start_wall_us =
        (int64_t)llround((o.start_wall_time > 0 ? o.start_wall_time : DEFAULT_START) * 1e6);
    sim->chunk = o.chunk_size ? o.chunk_size : DEFAULT_CHUNK;
    sim->pattern = malloc(sim->chunk);
    if (sim->pattern == NULL) {
        free(sim);
        return BGCOPY_E_OUTOFMEMORY;
    }
    sim->transport.name = "sim";
    sim->transport.protocol = "http";
    sim->transport.state = sim;
    sim->transport.accepts = sim_accepts;
    sim->transport.start = sim_start;
    sim->transport.abort = sim_abort;
    sim->transport.destroy = NULL; /* owned by the simulation */
    *out = sim;
    return BGCOPY_S_OK;
}

struct bgcopy__engine *bgcopy__sim_engine(bgcopy_sim *sim, const bgcopy_manager_options *o,
                                          bgcopy_hr *hr)
{
    if (sim->engine == NULL) {
        /* A simulation persists only in a directory its first manager names. */
        const char *dir = o->state_dir;
        if (dir != NULL &&
            (dir[0] == '\0' || strcmp(dir, BGCOPY_STATE_MEMORY) == 0 || !bgcopy__store_available()))
            dir = NULL;
        sim->engine = bgcopy__engine_new(o, sim, dir, hr);
        if (sim->engine == NULL)
            return NULL;
        sim->engine->sim_wall_origin_us = sim->start_wall_us;
    }
    bgcopy__engine_retain(sim->engine);
    *hr = BGCOPY_S_OK;
    return sim->engine;
}

int64_t bgcopy__sim_wall_origin(const struct bgcopy_sim *sim)
{
    return sim->start_wall_us;
}

bgcopy_hr bgcopy_sim_destroy(bgcopy_sim *sim)
{
    size_t i;
    if (sim == NULL)
        return BGCOPY_S_OK;
    if (sim->engine) {
        if (sim->engine->refs != 1)
            return BGCOPY_E_UNEXPECTED;
        bgcopy__engine_release(sim->engine);
    }
    while (sim->resources) {
        struct sim_resource *r = sim->resources;
        sim->resources = r->next;
        free(r->url);
        free(r);
    }
    bgcopy_sim_clear_faults(sim);
    for (i = 0; i < sim->request_count; i++)
        free(sim->request_urls[i]);
    free(sim->request_urls);
    free(sim->requests);
    free(sim->pattern);
    free(sim);
    return BGCOPY_S_OK;
}

/* ---- running ------------------------------------------------------------------------- */

double bgcopy_sim_now(const bgcopy_sim *sim)
{
    return sim && sim->engine ? (double)sim->engine->sim_now_us / 1e6 : 0.0;
}

/* Runs the earliest timer if it is due by `limit`; returns 0 when none is. */
static int run_one(struct bgcopy__engine *e, int64_t limit)
{
    bgcopy__timer *t;
    bgcopy__mutex_lock(e->lock);
    t = bgcopy__engine_next_timer(e);
    if (t == NULL || t->due > limit) {
        bgcopy__mutex_unlock(e->lock);
        return 0;
    }
    if (t->due > e->sim_now_us)
        e->sim_now_us = t->due;
    bgcopy__timer_disarm(e, t);
    t->fn(e, t);
    bgcopy__notify_dispatch(e);
    bgcopy__mutex_unlock(e->lock);
    return 1;
}

bgcopy_hr bgcopy_sim_advance(bgcopy_sim *sim, double seconds)
{
    struct bgcopy__engine *e;
    int64_t target;
    if (sim == NULL || seconds < 0 || seconds != seconds || seconds * 1e6 > (double)MAX_VIRTUAL_US)
        return BGCOPY_E_INVALIDARG;
    e = sim->engine;
    if (e == NULL)
        return BGCOPY_S_OK;
    /* Found by fuzz/api_sequence_fuzzer.c: a huge `seconds` overflowed llround and moved the
     * clock backwards. */
    if (seconds * 1e6 > (double)(MAX_VIRTUAL_US - e->sim_now_us))
        return BGCOPY_E_INVALIDARG;
    target = e->sim_now_us + (int64_t)llround(seconds * 1e6);
    while (run_one(e, target))
        ;
    bgcopy__mutex_lock(e->lock);
    e->sim_now_us = target;
    bgcopy__notify_dispatch(e);
    bgcopy__mutex_unlock(e->lock);
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy_sim_run_until_idle(bgcopy_sim *sim)
{
    struct bgcopy__engine *e;
    uint32_t n = 0;
    if (sim == NULL)
        return BGCOPY_E_INVALIDARG;
    e = sim->engine;
    if (e == NULL)
        return BGCOPY_S_OK;
    for (;;) {
        size_t active;
        bgcopy__mutex_lock(e->lock);
        active = e->active_armed;
        bgcopy__mutex_unlock(e->lock);
        if (active == 0)
            return BGCOPY_S_OK;
        if (++n > MAX_EVENTS)
            return BGCOPY_E_UNEXPECTED;
        run_one(e, INT64_MAX);
    }
}

size_t bgcopy_sim_requests(const bgcopy_sim *sim, const bgcopy_sim_request **out)
{
    size_t i;
    if (sim == NULL || out == NULL)
        return 0;
    for (i = 0; i < sim->request_count; i++)
        sim->requests[i].url = sim->request_urls[i];
    *out = sim->requests;
    return sim->request_count;
}

void bgcopy_sim_callback_busy(bgcopy_sim *sim, double seconds)
{
    /* Found by fuzz/api_sequence_fuzzer.c: a huge value overflowed the conversion to
     * microseconds in notify.c. At most half the virtual time range, so now + busy fits. */
    if (sim && seconds > 0 && seconds * 1e6 <= (double)(MAX_VIRTUAL_US / 2))
        sim->busy = seconds;
}

double bgcopy__sim_take_busy(bgcopy_sim *sim)
{
    double b = sim->busy;
    sim->busy = 0;
    return b;
}
