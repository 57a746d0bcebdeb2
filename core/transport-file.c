/* transport-file.c - remote names that are local files: file:// URLs and
 * absolute paths, which BITS accepts as remote names (reference §8.1).
 *
 * It answers the engine's HEAD and ranged GET requests the way a
 * range-correct HTTP server would: HEAD gives the size and modification
 * time; a GET gives 206 with the Content-Range asked for and streams the
 * bytes in 1 MiB pieces. A missing source is HRESULT_FROM_WIN32
 * (ERROR_FILE_NOT_FOUND) in the remote-file context, which BITS treats as
 * fatal. Every callback runs from an engine timer (never from inside
 * start), so the engine sees the same sequence of events as from a network
 * transport, in virtual time under a simulation.
 */
#include <stdlib.h>
#include <string.h>

#include "core-int.h"

#define PIECE (1024 * 1024)

struct bgcopy__xfer {
    bgcopy__timer timer;
    struct bgcopy__engine *engine;
    const struct bgcopy__xfer_sink *sink;
    void *ctx;
    char *path;
    char *owner; /* the job's owner, whose rights the source is read with */
    int head;
    int has_range;
    uint64_t first, last;
    uint64_t pos, end; /* bytes still to send: [pos, end) */
    int fd;
    int answered;
    void *buf;
};

static int file_accepts(struct bgcopy__transport *tp, const char *url)
{
    int kind = 0;
    return BGCOPY_SUCCEEDED(bgcopy__validate_remote(url, &kind)) && kind == BGCOPY__URL_FILE;
}

static void xfer_free(struct bgcopy__xfer *x)
{
    if (x->fd >= 0)
        bgcopy__fs_close(x->fd);
    free(x->path);
    free(x->owner);
    free(x->buf);
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
    struct bgcopy__xfer_response r;
    bgcopy__stat st;
    bgcopy__act act;
    bgcopy_hr hr = bgcopy__sys_act_begin(x->owner, 0, &act); /* as the job's owner */

    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy__fs_stat(x->path, &st);
    if (BGCOPY_SUCCEEDED(hr) && !st.exists)
        hr = BGCOPY_E_WIN32_FILE_NOT_FOUND;
    else if (BGCOPY_SUCCEEDED(hr) && !st.is_regular)
        hr = BGCOPY_E_ACCESSDENIED;
    if (BGCOPY_SUCCEEDED(hr) && !x->head)
        hr = bgcopy__fs_open(x->path, 0, &x->fd);
    bgcopy__sys_act_end(&act);
    if (BGCOPY_FAILED(hr)) {
        finish(x, hr, BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
        return;
    }
    memset(&r, 0, sizeof(r));
    r.last_modified_us = st.mtime_us;
    r.cr_total = BGCOPY_SIZE_UNKNOWN;
    if (x->head) {
        r.status = 200;
        r.content_length = st.size;
        x->pos = x->end = 0;
    } else if (!x->has_range) {
        r.status = 200;
        r.content_length = st.size;
        x->pos = 0;
        x->end = st.size;
    } else if (x->first >= st.size) {
        r.status = 416;
        r.content_length = 0;
        r.has_content_range = 1;
        r.cr_first = r.cr_last = 0;
        r.cr_total = st.size;
        x->pos = x->end = 0;
    } else {
        uint64_t last = x->last < st.size ? x->last : st.size - 1;
        r.status = 206;
        r.has_content_range = 1;
        r.cr_first = x->first;
        r.cr_last = last;
        r.cr_total = st.size;
        r.content_length = last - x->first + 1;
        x->pos = x->first;
        x->end = last + 1;
    }
    x->answered = 1;
    if (x->sink->on_response(x->ctx, &r) != 0) {
        xfer_free(x); /* the engine stopped the request */
        return;
    }
    if (r.status == 416)
        x->pos = x->end;
    bgcopy__timer_arm(x->engine, &x->timer, bgcopy__engine_now(x->engine));
}

static void step(struct bgcopy__engine *e, bgcopy__timer *t)
{
    struct bgcopy__xfer *x = t->data;
    size_t want, got = 0;
    bgcopy_hr hr;

    if (!x->answered) {
        answer(x);
        return;
    }
    if (x->pos >= x->end) {
        finish(x, BGCOPY_S_OK, BGCOPY_ERROR_CONTEXT_NONE);
        return;
    }
    if (x->buf == NULL && (x->buf = malloc(PIECE)) == NULL) {
        finish(x, BGCOPY_E_OUTOFMEMORY, BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER);
        return;
    }
    want = x->end - x->pos < PIECE ? (size_t)(x->end - x->pos) : PIECE;
    hr = bgcopy__fs_pread(x->fd, x->buf, want, x->pos, &got);
    if (BGCOPY_FAILED(hr)) {
        finish(x, hr, BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
        return;
    }
    if (got == 0) {
        /* The source shrank under us: end early; the engine sees a short
         * body and its next HEAD notices the change. */
        finish(x, BGCOPY_S_OK, BGCOPY_ERROR_CONTEXT_NONE);
        return;
    }
    x->pos += got;
    if (BGCOPY_FAILED(x->sink->on_data(x->ctx, x->buf, got))) {
        xfer_free(x);
        return;
    }
    bgcopy__timer_arm(e, t, bgcopy__engine_now(e));
}

static bgcopy_hr file_start(struct bgcopy__transport *tp, struct bgcopy__engine *e,
                            const struct bgcopy__xfer_request *req,
                            const struct bgcopy__xfer_sink *sink, void *ctx,
                            struct bgcopy__xfer **out)
{
    struct bgcopy__xfer *x = bgcopy__calloc(1, sizeof(*x));
    bgcopy_hr hr;

    if (x == NULL)
        return BGCOPY_E_OUTOFMEMORY;
    x->fd = -1;
    hr = bgcopy__file_url_to_path(req->url, &x->path);
    if (BGCOPY_FAILED(hr)) {
        free(x);
        return hr;
    }
    if (req->job != NULL && (x->owner = bgcopy__strdup(req->job->owner)) == NULL) {
        free(x->path);
        free(x);
        return BGCOPY_E_OUTOFMEMORY;
    }
    x->engine = e;
    x->sink = sink;
    x->ctx = ctx;
    x->head = req->head;
    x->has_range = req->has_range;
    x->first = req->first;
    x->last = req->last;
    bgcopy__timer_init(&x->timer, step, x, 1);
    bgcopy__timer_arm(e, &x->timer, bgcopy__engine_now(e));
    *out = x;
    return BGCOPY_S_OK;
}

static void file_abort(struct bgcopy__transport *tp, struct bgcopy__xfer *x)
{
    bgcopy__timer_disarm(x->engine, &x->timer);
    xfer_free(x);
}

static void file_destroy(struct bgcopy__transport *tp)
{
    free(tp);
}

struct bgcopy__transport *bgcopy__transport_file_new(void)
{
    struct bgcopy__transport *tp = bgcopy__calloc(1, sizeof(*tp));
    if (tp == NULL)
        return NULL;
    tp->name = "file";
    tp->protocol = "file";
    tp->accepts = file_accepts;
    tp->start = file_start;
    tp->abort = file_abort;
    tp->destroy = file_destroy;
    return tp;
}
