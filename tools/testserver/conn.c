/* tools/testserver/conn.c - one HTTP/1.1 connection of bgcopy-testserver, from accept to close.
 *
 * A connection reads a request head into a fixed TS_HEADER_MAX buffer (a larger head gets 431),
 * reads and discards the body (or keeps it, for POST /_control), hands the request to serve.c,
 * which chooses the response, and sends that response. Bodies are never
 * built in memory: a cursor walks the body (multipart part headers, data ranges, trailer,
 * overlong bytes) and each write takes at most TS_CHUNK bytes of it, with at most
 * TS_WRITES_INFLIGHT writes queued; the next chunk is produced when a write completes. Generated
 * data is written straight from shared read-only buffers (the /gen pattern repeats every 256
 * bytes); file data is pread into a per-write buffer on the loop thread. A rate limit paces the
 * writes with the connection's timer.
 *
 * Memory per connection is bounded: the struct (input buffer, two write slots) plus, while a
 * file is being served, two TS_CHUNK read buffers, plus a control body of at most
 * TS_CONTROL_MAX. Connection states:
 *   HEAD     reading a request head         BODY     reading (discarding) a request body
 *   RESPOND  sending a response; input is buffered (pipelining) until the buffer is full
 *   STALLED  stall_after fired: nothing more is sent, input is discarded until the peer closes
 *   LINGER   after a response with "Connection: close": write side shut down, input discarded
 *            until EOF or 2 s, so the peer reads the response before it sees a reset
 *   CLOSING  uv_close called; the struct is freed once both handles (tcp, timer) are closed
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
#if defined(__linux__)
#include <sys/ioctl.h>
#include <linux/sockios.h>
#endif

#include "conn.h"

/* Shared read-only body sources. genbuf[k] = (k * 131) & 0xFF; any /gen chunk of at most
 * TS_CHUNK bytes is a window of it (see gen_shift). */
static uint8_t genbuf[TS_CHUNK + 256];
static uint8_t zerobuf[TS_CHUNK];
static uint8_t xbuf[TS_CHUNK];
static unsigned inv131; /* 131^-1 mod 256 */
static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";

static void process_input(struct ts_conn *c);
static void pump(struct ts_conn *c);

void ts_conn_global_init(void)
{
    for (size_t k = 0; k < sizeof(genbuf); k++)
        genbuf[k] = (uint8_t)((k * 131u) & 0xffu);
    memset(xbuf, 'X', sizeof(xbuf));
    for (unsigned x = 1; x < 256; x += 2)
        if (((x * 131u) & 0xffu) == 1u)
            inv131 = x;
}

/* Byte i of /gen/<n>?seed=s is (i*131 + s*7 + 7) & 0xFF = genbuf[(i + shift) & 0xFF]. */
unsigned ts_gen_shift(uint64_t seed)
{
    unsigned c0 = (unsigned)((seed * 7u + 7u) & 0xffu);
    return (c0 * inv131) & 0xffu;
}

uint64_t ts_conn_now(const struct ts_conn *c)
{
    return uv_now(c->srv->loop);
}

/* ---- closing ----------------------------------------------------------------------------- */

static void resp_free(struct resp *r)
{
    ts_buf_free(&r->hdrs);
    ts_buf_free(&r->head);
    ts_buf_free(&r->mem);
    if (r->fd >= 0)
        close(r->fd);
    if (r->ranges != &r->one)
        free(r->ranges);
    memset(r, 0, sizeof(*r));
    r->fd = -1;
}

static void conn_free(struct ts_conn *c)
{
    struct ts_server *srv = c->srv;
    resp_free(&c->r);
    ts_request_free(&c->rq);
    ts_buf_free(&c->body);
    for (unsigned i = 0; i < TS_WRITES_INFLIGHT; i++)
        free(c->slots[i].fbuf);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
}

static void on_handle_close(uv_handle_t *h)
{
    struct ts_conn *c = h->data;
    if (--c->handles_open == 0)
        conn_free(c);
}

/* Writes the finished (or aborted) request to the stderr log when --log is on. */
static void log_stderr(struct ts_conn *c, const struct ts_log_entry *e)
{
    if (!c->srv->log_stderr || !e)
        return;
    fprintf(stderr,
            "bgcopy-testserver: conn=%" PRIu64 " %s %s range=%s status=%d bytes=%" PRIu64 " %s\n",
            e->conn, e->method, e->target, e->range ? e->range : "-", e->status, e->bytes,
            e->state);
}

/* Marks the current log entry finished with `state` (a static string). */
static void log_finish(struct ts_conn *c, const char *state)
{
    struct ts_log_entry *e = ts_log_get(&c->srv->log, c->r.log_seq);
    if (!c->r.log_seq)
        return;
    c->r.log_seq = 0;
    if (!e)
        return;
    e->bytes = c->r.acked;
    e->state = state;
    log_stderr(c, e);
}

/* Closes the connection now (no lingering). Idempotent. */
static void conn_close(struct ts_conn *c)
{
    if (c->state == CS_CLOSING)
        return;
    if (c->state == CS_RESPOND || c->state == CS_STALLED)
        log_finish(c, "aborted");
    c->state = CS_CLOSING;
    uv_close((uv_handle_t *)&c->timer, on_handle_close);
    uv_close((uv_handle_t *)&c->tcp, on_handle_close);
}

/* Closes with a TCP reset (SO_LINGER 0). */
static void conn_reset(struct ts_conn *c)
{
    if (c->state == CS_CLOSING)
        return;
    c->state = CS_CLOSING;
    uv_close((uv_handle_t *)&c->timer, on_handle_close);
    if (uv_tcp_close_reset(&c->tcp, on_handle_close) != 0)
        uv_close((uv_handle_t *)&c->tcp, on_handle_close);
}

void ts_conn_close_all(struct ts_server *srv)
{
    for (struct ts_conn *c = srv->conns; c; c = c->next)
        conn_close(c);
}

static void on_linger_timeout(uv_timer_t *t)
{
    conn_close(t->data);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct ts_conn *c = req->data;
    if (status < 0)
        conn_close(c);
}

/* ---- reading ----------------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct ts_conn *c = h->data;
    if (c->state == CS_STALLED || c->state == CS_LINGER || c->discard)
        c->in_len = 0;
    *buf = uv_buf_init(c->in + c->in_len, (unsigned)(sizeof(c->in) - c->in_len));
}

static void stop_reading(struct ts_conn *c)
{
    if (c->reading && c->state != CS_CLOSING)
        uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void start_reading(struct ts_conn *c)
{
    if (c->reading || c->peer_eof || c->state == CS_CLOSING)
        return;
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
        c->reading = true;
    else
        conn_close(c);
}

static void begin_linger(struct ts_conn *c)
{
    c->state = CS_LINGER;
    c->in_len = 0;
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) != 0 || c->peer_eof) {
        conn_close(c);
        return;
    }
    uv_timer_start(&c->timer, on_linger_timeout, LINGER_MS, 0);
    start_reading(c);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct ts_conn *c = s->data;
    if (c->state == CS_CLOSING || nread == 0)
        return;
    if (nread == UV_ENOBUFS) {
        stop_reading(c);
        return;
    }
    if (nread < 0) {
        if (nread != UV_EOF) {
            conn_close(c);
            return;
        }
        c->peer_eof = true;
        stop_reading(c);
        if (c->state == CS_HEAD)
            process_input(c);
        else if (c->state != CS_RESPOND)
            conn_close(c);
        return;
    }
    if (c->state == CS_STALLED || c->state == CS_LINGER || c->discard) {
        c->in_len = 0;
        return;
    }
    c->in_len += (size_t)nread;
    if (c->state == CS_HEAD || c->state == CS_BODY)
        process_input(c);
    else if (c->in_len == sizeof(c->in))
        stop_reading(c); /* pipelined input waits for the response to finish */
}

/* ---- responses: building ----------------------------------------------------------------- */

void ts_resp_reset(struct ts_conn *c)
{
    resp_free(&c->r);
    c->r.status = 200;
    c->r.ctype = "text/plain";
    c->r.ranges = &c->r.one;
}

/* Formats part k's header (k < nranges) or, for k == nranges, the closing boundary. */
static size_t part_text(const struct resp *r, size_t k, char out[PART_TEXT])
{
    int n;
    if (k >= r->nranges)
        return (size_t)snprintf(out, PART_TEXT, "\r\n--%s--\r\n", r->boundary);
    uint64_t first = r->ranges[k].first + (r->bad_range ? 1 : 0);
    uint64_t last = r->ranges[k].last + (r->bad_range ? 1 : 0);
    n = snprintf(out, PART_TEXT,
                 "%s--%s\r\nContent-Type: application/octet-stream\r\n"
                 "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n\r\n",
                 k ? "\r\n" : "", r->boundary, first, last, r->size);
    return n > 0 ? (size_t)n : 0;
}

static uint64_t range_len(const struct ts_range *g)
{
    return g->last - g->first + 1;
}

void ts_start_response(struct ts_conn *c, const struct ts_faults *f)
{
    struct resp *r = &c->r;
    struct ts_request *rq = &c->rq;
    bool is_head = rq->method && strcmp(rq->method, "HEAD") == 0;
    bool bodyless = r->status == 204 || r->status == 304;
    char date[32];

    if (r->kind == SRC_MEM && r->nranges == 0 && r->mem.len) {
        r->one.first = 0;
        r->one.last = r->mem.len - 1;
        r->nranges = 1;
    }
    if (bodyless)
        r->nranges = 0;
    r->body_len = 0;
    for (size_t k = 0; k < r->nranges; k++)
        r->body_len += range_len(&r->ranges[k]);
    if (r->multipart) {
        char t[PART_TEXT];
        for (size_t k = 0; k <= r->nranges; k++)
            r->body_len += part_text(r, k, t);
    }
    if (f) {
        r->omit_length = r->omit_length || f->no_content_length;
        r->extra = f->overlong;
        r->rate = f->rate;
    }
    if (!rq->keep_alive || r->omit_length || c->srv->stopping)
        r->close_after = true;

    ts_http_date((int64_t)time(NULL), date);
    ts_buf_printf(&r->head, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: bgcopy-testserver\r\n",
                  r->status, ts_status_text(r->status), date);
    if (!bodyless) {
        if (r->multipart)
            ts_buf_printf(&r->head, "Content-Type: multipart/byteranges; boundary=%s\r\n",
                          r->boundary);
        else
            ts_buf_printf(&r->head, "Content-Type: %s\r\n", r->ctype);
    }
    if (r->hdrs.len)
        ts_buf_append(&r->head, r->hdrs.p, r->hdrs.len);
    if (!r->omit_length && !bodyless)
        ts_buf_printf(&r->head, "Content-Length: %" PRIu64 "\r\n", r->body_len);
    if (r->close_after)
        ts_buf_puts(&r->head, "Connection: close\r\n");
    else if (rq->minor == 0)
        ts_buf_puts(&r->head, "Connection: keep-alive\r\n");
    ts_buf_puts(&r->head, "\r\n");

    /* what to send, and what then */
    uint64_t total = is_head || bodyless ? 0 : r->body_len + r->extra;
    r->limit = total;
    r->end = r->close_after ? END_CLOSE : END_KEEP;
    if (f && !is_head) {
        if (f->reset_after != TS_NONE && f->reset_after <= f->stall_after) {
            r->limit = f->reset_after < total ? f->reset_after : total;
            r->end = END_RESET;
        } else if (f->stall_after != TS_NONE) {
            r->limit = f->stall_after < total ? f->stall_after : total;
            r->end = END_STALL;
        }
    }
    r->phase = r->multipart ? PH_HEAD : PH_DATA;
    if (r->rate) {
        r->grain = r->rate / 20;
        if (r->grain == 0)
            r->grain = 1;
        if (r->grain > TS_CHUNK)
            r->grain = TS_CHUNK;
        r->rate_start = ts_conn_now(c);
    }
    struct ts_log_entry *e = ts_log_get(&c->srv->log, r->log_seq);
    if (e) {
        e->status = r->status;
        e->faults = r->faults;
    }
    c->state = CS_RESPOND;
    pump(c);
}

/* ---- responses: sending ------------------------------------------------------------------ */

/* Reads len bytes at off of the response's file into dst. False on error or early EOF (the
 * file shrank while it was being served). */
static bool file_read(struct resp *r, char *dst, size_t len, uint64_t off)
{
    while (len) {
        ssize_t n = pread(r->fd, dst, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        dst += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return true;
}

/* Fills slot `s` with the head (if not sent yet) and up to `budget` body bytes from the
 * cursor. Returns the body bytes placed, or -1 if the file could not be read. */
static int64_t fill_slot(struct ts_conn *c, struct wslot *s, uint64_t budget)
{
    struct resp *r = &c->r;
    size_t text_used = 0, fbuf_used = 0;
    uint64_t total = 0;
    char t[PART_TEXT];

    s->nbufs = 0;
    if (!r->head_sent) {
        s->bufs[s->nbufs++] = uv_buf_init(r->head.p, (unsigned)r->head.len);
        r->head_sent = true;
    }
    while (total < budget && s->nbufs < SLOT_BUFS + 1 && r->phase != PH_DONE) {
        uint64_t want = budget - total;
        if (r->phase == PH_HEAD || r->phase == PH_TRAIL) {
            size_t k = r->phase == PH_HEAD ? r->part : r->nranges;
            size_t len = part_text(r, k, t);
            uint64_t n = len - r->pos;
            if (n > want)
                n = want;
            if (n > SLOT_TEXT - text_used)
                n = SLOT_TEXT - text_used;
            if (n == 0)
                break;
            memcpy(s->text + text_used, t + r->pos, (size_t)n);
            s->bufs[s->nbufs++] = uv_buf_init(s->text + text_used, (unsigned)n);
            text_used += (size_t)n;
            r->pos += n;
            total += n;
            if (r->pos == len) {
                r->pos = 0;
                r->phase = r->phase == PH_HEAD ? PH_DATA : PH_EXTRA;
            }
        } else if (r->phase == PH_DATA) {
            if (r->part >= r->nranges) {
                r->phase = r->multipart ? PH_TRAIL : PH_EXTRA;
                continue;
            }
            const struct ts_range *g = &r->ranges[r->part];
            uint64_t n = range_len(g) - r->pos, off = g->first + r->pos;
            char *p;
            if (n > want)
                n = want;
            if (n > TS_CHUNK)
                n = TS_CHUNK;
            switch (r->kind) {
            case SRC_MEM:
                p = r->mem.p + off;
                break;
            case SRC_GEN:
                p = (char *)genbuf + ((off + r->gen_shift) & 0xffu);
                break;
            case SRC_ZERO:
                p = (char *)zerobuf;
                break;
            case SRC_FILE:
            default:
                if (!s->fbuf)
                    s->fbuf = ts_xmalloc(TS_CHUNK);
                if (n > TS_CHUNK - fbuf_used)
                    n = TS_CHUNK - fbuf_used;
                if (n == 0)
                    goto out;
                p = s->fbuf + fbuf_used;
                if (!file_read(r, p, (size_t)n, off))
                    return -1;
                fbuf_used += (size_t)n;
                break;
            }
            s->bufs[s->nbufs++] = uv_buf_init(p, (unsigned)n);
            r->pos += n;
            total += n;
            if (r->pos == range_len(g)) {
                r->pos = 0;
                r->part++;
                if (r->multipart)
                    r->phase = PH_HEAD;
            }
            if (r->multipart && r->phase == PH_HEAD && r->part >= r->nranges)
                r->phase = PH_TRAIL;
        } else { /* PH_EXTRA */
            uint64_t n = r->extra - r->pos;
            if (n > want)
                n = want;
            if (n > TS_CHUNK)
                n = TS_CHUNK;
            if (n == 0) {
                r->phase = PH_DONE;
                break;
            }
            s->bufs[s->nbufs++] = uv_buf_init((char *)xbuf, (unsigned)n);
            r->pos += n;
            total += n;
        }
    }
out:
    return (int64_t)total;
}

static void on_write(uv_write_t *req, int status);

static void on_pace_timer(uv_timer_t *t)
{
    pump(t->data);
}

/* Bytes the rate limit allows now (at most one grain); 0 with *wait_ms set when none. The
 * budget grows by `rate` bytes per second from the start of the body, plus one grain up front,
 * so a response of B bytes takes about (B - grain) / rate seconds. */
static uint64_t rate_allowance(struct ts_conn *c, uint64_t *wait_ms)
{
    struct resp *r = &c->r;
    double elapsed = (double)(ts_conn_now(c) - r->rate_start);
    double allowed = (double)r->rate * elapsed / 1000.0 + (double)r->grain;
    if (allowed >= (double)r->produced + 1.0) {
        double a = allowed - (double)r->produced;
        return a < (double)r->grain ? (uint64_t)a : r->grain;
    }
    /* wait until a whole grain is allowed again */
    double due = (double)r->produced * 1000.0 / (double)r->rate - elapsed;
    *wait_ms = due < 1.0 ? 1 : (uint64_t)due + 1;
    return 0;
}

static void drain_then_reset(uv_timer_t *t);

/* The response is complete (or cut at its fault point) and every write has finished. */
static void finish(struct ts_conn *c)
{
    struct resp *r = &c->r;
    static const char *const names[] = {"done", "done", "reset", "stalled"};
    log_finish(c, names[r->end]);
    switch (r->end) {
    case END_RESET:
        r->drain_start = ts_conn_now(c);
        uv_timer_start(&c->timer, drain_then_reset, 0, 0);
        return;
    case END_STALL:
        c->state = CS_STALLED;
        c->in_len = 0;
        if (c->peer_eof)
            conn_close(c);
        else
            start_reading(c);
        return;
    case END_CLOSE:
        begin_linger(c);
        return;
    case END_KEEP:
        ts_resp_reset(c);
        ts_request_free(&c->rq);
        ts_buf_free(&c->body);
        c->state = CS_HEAD;
        process_input(c);
        return;
    }
}

/* reset_after: wait (up to DRAIN_MS) until the peer acknowledged every byte, so it has the
 * N bytes before the reset arrives, then reset. */
static void drain_then_reset(uv_timer_t *t)
{
    struct ts_conn *c = t->data;
#if defined(SIOCOUTQ)
    uv_os_fd_t fd;
    int pending = 0;
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0 && ioctl(fd, SIOCOUTQ, &pending) == 0 &&
        pending > 0 && ts_conn_now(c) - c->r.drain_start < DRAIN_MS) {
        uv_timer_start(&c->timer, drain_then_reset, 1, 0);
        return;
    }
#else
    if (ts_conn_now(c) - c->r.drain_start < 50) {
        uv_timer_start(&c->timer, drain_then_reset, 10, 0);
        return;
    }
#endif
    conn_reset(c);
}

static void pump(struct ts_conn *c)
{
    struct resp *r = &c->r;
    unsigned max_inflight = r->rate ? 1 : TS_WRITES_INFLIGHT;

    if (c->state != CS_RESPOND)
        return;
    while (c->inflight < max_inflight && (!r->head_sent || r->produced < r->limit)) {
        uint64_t budget = r->limit - r->produced, wait_ms = 0;
        if (budget > TS_CHUNK)
            budget = TS_CHUNK;
        if (r->rate && budget) {
            uint64_t allow = rate_allowance(c, &wait_ms);
            if (allow == 0 && r->head_sent) {
                uv_timer_start(&c->timer, on_pace_timer, wait_ms, 0);
                return;
            }
            if (budget > allow)
                budget = allow;
        }
        struct wslot *s = NULL;
        for (unsigned i = 0; i < TS_WRITES_INFLIGHT && !s; i++)
            if (!c->slots[i].busy)
                s = &c->slots[i];
        int64_t n = fill_slot(c, s, budget);
        if (n < 0) {
            conn_close(c);
            return;
        }
        if (s->nbufs == 0) {
            /* the cursor ended early: nothing more will come */
            r->limit = r->produced;
            break;
        }
        r->produced += (uint64_t)n;
        s->body_bytes = (uint64_t)n;
        s->busy = true;
        s->c = c;
        s->req.data = s;
        c->inflight++;
        if (uv_write(&s->req, (uv_stream_t *)&c->tcp, s->bufs, s->nbufs, on_write) != 0) {
            s->busy = false;
            c->inflight--;
            conn_close(c);
            return;
        }
    }
    if (c->inflight == 0 && r->head_sent && r->produced >= r->limit)
        finish(c);
}

static void on_write(uv_write_t *req, int status)
{
    struct wslot *s = req->data;
    struct ts_conn *c = s->c;
    s->busy = false;
    c->inflight--;
    if (c->state == CS_CLOSING)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    c->r.acked += s->body_bytes;
    struct ts_log_entry *e = ts_log_get(&c->srv->log, c->r.log_seq);
    if (e)
        e->bytes = c->r.acked;
    pump(c);
}

static void on_continue_written(uv_write_t *req, int status)
{
    (void)req;
    (void)status;
}

/* ---- request input ----------------------------------------------------------------------- */

static int hexdigit_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Removes the first n bytes of the input buffer, keeping them in the control body if wanted. */
static void eat(struct ts_conn *c, size_t n, bool body)
{
    if (body && c->collect && !c->body_too_large) {
        if (c->body.len + n > TS_CONTROL_MAX)
            c->body_too_large = true;
        else
            ts_buf_append(&c->body, c->in, n);
    }
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

/* Consumes body bytes from the input buffer. Returns 1 when the body is complete, 0 when more
 * is needed, -1 for a malformed chunked body. */
static int consume_body(struct ts_conn *c)
{
    for (;;) {
        switch (c->bm) {
        case BM_NONE:
            return 1;
        case BM_LENGTH:
        case BM_CHUNK_DATA: {
            size_t n = c->in_len;
            if (n > c->body_left)
                n = (size_t)c->body_left;
            eat(c, n, true);
            c->body_left -= n;
            if (c->body_left)
                return 0;
            if (c->bm == BM_LENGTH)
                return 1;
            c->bm = BM_CHUNK_END;
            break;
        }
        case BM_CHUNK_END:
            if (c->in_len == 0)
                return 0;
            if (c->in[0] == '\n') {
                eat(c, 1, false);
            } else if (c->in[0] == '\r') {
                if (c->in_len < 2)
                    return 0;
                if (c->in[1] != '\n')
                    return -1;
                eat(c, 2, false);
            } else {
                return -1;
            }
            c->bm = BM_CHUNK_SIZE;
            break;
        case BM_CHUNK_SIZE:
        case BM_TRAILER: {
            char *nl = memchr(c->in, '\n', c->in_len);
            if (!nl)
                return c->in_len >= CHUNK_LINE ? -1 : 0;
            size_t len = (size_t)(nl - c->in) + 1;
            if (c->bm == BM_TRAILER) {
                bool empty = len == 1 || (len == 2 && c->in[0] == '\r');
                eat(c, len, false);
                if (empty)
                    return 1;
                break;
            }
            uint64_t size = 0;
            size_t i = 0;
            for (; i < len && hexdigit_value(c->in[i]) >= 0; i++) {
                if (i >= 15)
                    return -1;
                size = size * 16 + (uint64_t)hexdigit_value(c->in[i]);
            }
            if (i == 0 || (c->in[i] != ';' && c->in[i] != '\r' && c->in[i] != '\n' &&
                           c->in[i] != ' ' && c->in[i] != '\t'))
                return -1;
            eat(c, len, false);
            c->body_left = size;
            c->bm = size ? BM_CHUNK_DATA : BM_TRAILER;
            break;
        }
        }
    }
}

/* Runs the request state machine over the buffered input. */
static void process_input(struct ts_conn *c)
{
    while (c->state == CS_HEAD || c->state == CS_BODY) {
        if (c->state == CS_HEAD) {
            size_t end = ts_find_head_end(c->in, c->in_len);
            if (!end) {
                if (!ts_request_line_plausible(c->in, c->in_len)) {
                    ts_respond_error(c, 400);
                } else if (c->in_len >= sizeof(c->in)) {
                    ts_respond_error(c, 431);
                } else if (c->peer_eof) {
                    conn_close(c);
                } else {
                    start_reading(c);
                }
                return;
            }
            int st = ts_parse_request(c->in, end, &c->rq);
            eat(c, end, false);
            if (st) {
                ts_respond_error(c, st);
                return;
            }
            c->collect = strcmp(c->rq.path, "/_control") == 0;
            c->body_too_large = false;
            c->body_left = 0;
            c->bm = BM_NONE;
            if (c->rq.chunked) {
                c->bm = BM_CHUNK_SIZE;
            } else if (c->rq.content_length) {
                c->bm = BM_LENGTH;
                c->body_left = c->rq.content_length;
            }
            c->state = CS_BODY;
            if (c->bm != BM_NONE && c->rq.expect_continue && c->rq.minor >= 1) {
                uv_buf_t b = uv_buf_init((char *)continue_line, sizeof(continue_line) - 1);
                c->cont_req.data = c;
                uv_write(&c->cont_req, (uv_stream_t *)&c->tcp, &b, 1, on_continue_written);
            }
        }
        int rc = consume_body(c);
        if (rc < 0) {
            ts_respond_error(c, 400);
            return;
        }
        if (rc == 0) {
            if (c->peer_eof)
                conn_close(c);
            else
                start_reading(c);
            return;
        }
        ts_dispatch(c);
    }
    if (c->state == CS_RESPOND && c->in_len < sizeof(c->in))
        start_reading(c);
}

/* ---- accept ------------------------------------------------------------------------------ */

void ts_conn_accept(struct ts_server *srv)
{
    struct ts_conn *c = ts_xcalloc(1, sizeof(*c));
    c->srv = srv;
    c->id = ++srv->next_conn_id;
    c->r.fd = -1;
    c->r.ranges = &c->r.one;
    uv_tcp_init(srv->loop, &c->tcp);
    uv_timer_init(srv->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->handles_open = 2;
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    c->state = CS_HEAD;
    if (uv_accept((uv_stream_t *)&srv->listener, (uv_stream_t *)&c->tcp) != 0 || srv->stopping) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    start_reading(c);
}
