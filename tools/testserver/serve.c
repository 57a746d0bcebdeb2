/* tools/testserver/serve.c - what bgcopy-testserver answers to a request it has read.
 *
 * ts_dispatch looks at the complete request (head and body) and fills in the connection's
 * response: a control endpoint (never faulted, never logged), or - after merging the matching
 * fault rules and adding a request-log entry - an injected 407, 401, redirect or status, a
 * 405, or a resource: /gen/<size>, /zero/<size> or a file under --root, with Range, If-Range,
 * multipart/byteranges and 416 handled here. Precedence of the faults: proxy_auth, auth, then
 * redirect, then status, then the resource; size, ignore_ranges, bad_range, lm and lm_bump
 * shape the resource response, and the body faults (no_content_length, overlong, rate,
 * reset_after, stall_after) are applied by ts_start_response to whatever response was chosen.
 * Sending is conn.c's job.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#include "conn.h"

/* Sets a text body. */
static void set_text(struct ts_conn *c, int status, const char *text)
{
    struct resp *r = &c->r;
    r->status = status;
    r->ctype = "text/plain";
    r->kind = SRC_MEM;
    ts_buf_free(&r->mem);
    ts_buf_puts(&r->mem, text);
    r->size = r->mem.len;
}

/* ---- dispatch ---------------------------------------------------------------------------- */

/* Answers `status` with a short text body and closes the connection afterwards; used for
 * requests that cannot be parsed or read. */
void ts_respond_error(struct ts_conn *c, int status)
{
    struct ts_request *rq = &c->rq;
    char text[96];
    ts_resp_reset(c);
    c->discard = true;
    c->in_len = 0;
    c->r.log_seq =
        ts_log_add(&c->srv->log, c->id, ts_conn_now(c) - c->srv->start_ms,
                   rq->method ? rq->method : "-", rq->target ? rq->target : "-", rq->range);
    snprintf(text, sizeof(text), "%d %s\n", status, ts_status_text(status));
    set_text(c, status, text);
    c->r.close_after = true;
    rq->keep_alive = false;
    ts_start_response(c, NULL);
}

static bool basic_ok(const char *hdr, const char *userpass)
{
    char decoded[512];
    if (!hdr || strncasecmp(hdr, "Basic", 5) != 0 || (hdr[5] != ' ' && hdr[5] != '\t'))
        return false;
    hdr += 5;
    while (*hdr == ' ' || *hdr == '\t')
        hdr++;
    return ts_base64_decode(hdr, decoded, sizeof(decoded)) >= 0 && strcmp(decoded, userpass) == 0;
}

/* Checks the credentials hdr (Authorization or Proxy-Authorization, NULL when absent) against
 * userpass with the Basic or Digest scheme. When they do not pass, adds the challenge header
 * `challenge_name` and answers `status` (401 or 407); returns false then. */
static bool check_credentials(struct ts_conn *c, const char *hdr, const char *userpass, bool digest,
                              const char *realm, const char *challenge_name, int status)
{
    struct ts_request *rq = &c->rq;
    struct resp *r = &c->r;
    bool ok = digest ? ts_digest_ok(hdr, userpass, realm, c->srv->nonce, rq->method, rq->target)
                     : basic_ok(hdr, userpass);
    if (ok)
        return true;
    ts_buf_printf(&r->hdrs, "%s: ", challenge_name);
    if (digest)
        ts_digest_challenge(&r->hdrs, realm, c->srv->nonce);
    else
        ts_buf_printf(&r->hdrs, "Basic realm=\"%s\"", realm);
    ts_buf_puts(&r->hdrs, "\r\n");
    set_text(c, status,
             status == 407 ? "proxy authentication required\n" : "authentication required\n");
    return false;
}

/* Parses "<n>[kKmMgGtT]" (binary multiples) up to TS_SIZE_MAX. */
static bool parse_size(const char *s, uint64_t *out)
{
    size_t n = strlen(s);
    unsigned shift = 0;
    if (n > 1) {
        switch (s[n - 1]) {
        case 'k':
        case 'K':
            shift = 10;
            break;
        case 'm':
        case 'M':
            shift = 20;
            break;
        case 'g':
        case 'G':
            shift = 30;
            break;
        case 't':
        case 'T':
            shift = 40;
            break;
        default:
            break;
        }
        if (shift)
            n--;
    }
    uint64_t v;
    if (!ts_parse_u64(s, n, &v) || v > (TS_SIZE_MAX >> shift))
        return false;
    *out = v << shift;
    return true;
}

/* Finds key=value in an &-separated query; returns the value's length or -1. */
static int query_get(const char *q, const char *key, const char **value)
{
    size_t kl = strlen(key);
    while (*q) {
        size_t len = strcspn(q, "&");
        if (len > kl && strncmp(q, key, kl) == 0 && q[kl] == '=') {
            *value = q + kl + 1;
            return (int)(len - kl - 1);
        }
        q += len;
        if (*q)
            q++;
    }
    return -1;
}

/* Opens the file for path under --root. Returns 0 with *fd and *st, or an HTTP status. */
static int open_under_root(struct ts_server *srv, const char *path, int *fd, struct stat *st)
{
    struct ts_buf full = {0};
    int status = 404;
    char *real = NULL;

    ts_buf_append(&full, srv->root, srv->root_len);
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        size_t len = strcspn(p, "/");
        if (len == 0)
            break;
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            status = 403;
            goto out;
        }
        if (!(len == 1 && p[0] == '.')) {
            ts_buf_puts(&full, "/");
            ts_buf_append(&full, p, len);
        }
        p += len;
    }
    real = realpath(full.p, NULL);
    if (!real) {
        status = errno == EACCES ? 403 : 404;
        goto out;
    }
    if (strncmp(real, srv->root, srv->root_len) != 0 ||
        (real[srv->root_len] != '/' && real[srv->root_len] != '\0')) {
        status = 403; /* a symbolic link leads out of the root */
        goto out;
    }
    *fd = open(real, O_RDONLY | O_CLOEXEC);
    if (*fd < 0) {
        status = errno == EACCES ? 403 : 404;
        goto out;
    }
    if (fstat(*fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(*fd);
        *fd = -1;
        status = 403; /* directories and special files are not served */
        goto out;
    }
    status = 0;
out:
    free(real);
    ts_buf_free(&full);
    return status;
}

/* If-Range: a strong entity tag equal to ours, or exactly our Last-Modified date. */
static bool if_range_matches(const char *v, const char *etag, const char *lm)
{
    if (v[0] == 'W' && v[1] == '/')
        return false;
    return strcmp(v, v[0] == '"' ? etag : lm) == 0;
}

/* A GET or HEAD of /gen, /zero or a file; faults f already matched. */
static void serve_resource(struct ts_conn *c, const struct ts_faults *f)
{
    struct ts_server *srv = c->srv;
    struct ts_request *rq = &c->rq;
    struct resp *r = &c->r;
    const char *path = rq->path;
    int64_t lm = TS_GEN_LM_DEFAULT;
    char etag[96], lmdate[32];
    uint64_t size;

    if (strncmp(path, "/gen/", 5) == 0 || strncmp(path, "/zero/", 6) == 0) {
        bool gen = path[1] == 'g';
        uint64_t seed = 0;
        const char *v = NULL;
        int vl = query_get(rq->query, "seed", &v);
        if (!parse_size(path + (gen ? 5 : 6), &size)) {
            set_text(c, 404, "no such resource (size must be at most 2^40)\n");
            return;
        }
        if (f->has_size)
            size = f->size; /* the resource "changed size" */
        if (gen && vl >= 0 && !ts_parse_u64(v, (size_t)vl, &seed)) {
            set_text(c, 400, "seed must be a decimal number\n");
            return;
        }
        r->kind = gen ? SRC_GEN : SRC_ZERO;
        r->gen_shift = ts_gen_shift(seed);
        snprintf(etag, sizeof(etag), "\"%s%" PRIx64 "-%" PRIx64, gen ? "g" : "z", size,
                 gen ? seed : 0);
    } else if (srv->root) {
        struct stat st;
        int st_code = open_under_root(srv, path, &r->fd, &st);
        if (st_code) {
            set_text(c, st_code, st_code == 403 ? "forbidden\n" : "not found\n");
            return;
        }
        r->kind = SRC_FILE;
        size = (uint64_t)st.st_size;
        lm = (int64_t)st.st_mtime;
        snprintf(etag, sizeof(etag), "\"f%" PRIx64 "-%" PRIx64, (uint64_t)st.st_ino, size);
    } else {
        set_text(c, 404, "not found\n");
        return;
    }
    if (f->has_lm)
        lm = f->lm;
    if (f->lm_bump)
        lm += (int64_t)++srv->faults.lm_bump_count;
    snprintf(etag + strlen(etag), sizeof(etag) - strlen(etag), "-%" PRIx64 "\"", (uint64_t)lm);
    ts_http_date(lm, lmdate);
    r->size = size;
    r->ctype = "application/octet-stream";
    r->bad_range = f->bad_range;
    ts_buf_printf(&r->hdrs, "Accept-Ranges: bytes\r\nLast-Modified: %s\r\nETag: %s\r\n", lmdate,
                  etag);

    enum ts_range_result rr = TS_RANGE_IGNORE;
    struct ts_range *ranges = NULL;
    size_t n = 0;
    if (rq->range && !rq->range_repeated && !f->ignore_ranges &&
        (!rq->if_range || if_range_matches(rq->if_range, etag, lmdate)))
        rr = ts_parse_ranges(rq->range, size, &ranges, &n);
    if (rr == TS_RANGE_UNSATISFIABLE) {
        ts_buf_free(&r->hdrs);
        ts_buf_printf(&r->hdrs, "Content-Range: bytes */%" PRIu64 "\r\n", size);
        if (r->fd >= 0)
            close(r->fd);
        r->fd = -1;
        set_text(c, 416, "range not satisfiable\n");
        return;
    }
    r->status = 200;
    if (rr == TS_RANGE_IGNORE) {
        r->nranges = size ? 1 : 0;
        r->one.first = 0;
        r->one.last = size ? size - 1 : 0;
        return;
    }
    r->status = 206;
    r->ranges = ranges;
    r->nranges = n;
    if (n == 1) {
        ts_buf_printf(&r->hdrs, "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n",
                      ranges[0].first + (f->bad_range ? 1 : 0),
                      ranges[0].last + (f->bad_range ? 1 : 0), size);
    } else {
        uint64_t x = ++srv->boundary_counter * 0x9e3779b97f4a7c15u ^ srv->start_ms;
        r->multipart = true;
        snprintf(r->boundary, sizeof(r->boundary), "bgcopy-%016" PRIx64, x);
    }
}

/* GET/POST of /_control, /_control/reset, /_log, /_log/reset. Never faulted, never logged. */
static void serve_control(struct ts_conn *c)
{
    struct ts_server *srv = c->srv;
    struct ts_request *rq = &c->rq;
    struct resp *r = &c->r;
    bool get = strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
    bool post = strcmp(rq->method, "POST") == 0;
    const char *p = rq->path;
    struct ts_buf text = {0};
    int status = 200;

    if (strcmp(p, "/_control") == 0 && (get || post)) {
        if (post) {
            struct ts_buf in = {0}, err = {0};
            ts_buf_puts(&in, rq->query);
            ts_buf_puts(&in, "\n");
            if (c->body.len)
                ts_buf_append(&in, c->body.p, c->body.len);
            if (ts_faults_add(&srv->faults, in.p, in.len, true, &err) != 0) {
                status = 400;
                ts_buf_append(&text, err.p, err.len);
            }
            ts_buf_free(&in);
            ts_buf_free(&err);
        }
        if (status == 200)
            ts_faults_format(&srv->faults, &text);
    } else if (strcmp(p, "/_control/reset") == 0 && post) {
        ts_faults_reset(&srv->faults);
        ts_faults_format(&srv->faults, &text);
    } else if (strcmp(p, "/_log") == 0 && get) {
        ts_log_format(&srv->log, &text);
        r->ctype = "application/x-ndjson";
    } else if (strcmp(p, "/_log/reset") == 0 && post) {
        ts_log_clear(&srv->log);
        ts_buf_puts(&text, "ok\n");
    } else if (strcmp(p, "/_control") == 0 || strcmp(p, "/_log") == 0) {
        status = 405;
        ts_buf_puts(&r->hdrs, "Allow: GET, HEAD, POST\r\n");
        ts_buf_puts(&text, "use GET or POST\n");
    } else if (strcmp(p, "/_control/reset") == 0 || strcmp(p, "/_log/reset") == 0) {
        status = 405;
        ts_buf_puts(&r->hdrs, "Allow: POST\r\n");
        ts_buf_puts(&text, "use POST\n");
    } else {
        status = 404;
        ts_buf_puts(&text, "no such control endpoint\n");
    }
    r->status = status;
    r->kind = SRC_MEM;
    r->mem = text;
    r->size = text.len;
    ts_start_response(c, NULL);
}

static bool is_control_path(const char *p)
{
    return strcmp(p, "/_control") == 0 || strncmp(p, "/_control/", 10) == 0 ||
           strcmp(p, "/_log") == 0 || strncmp(p, "/_log/", 6) == 0;
}

/* The request (head and body) is in: choose the response and start sending it. */
void ts_dispatch(struct ts_conn *c)
{
    struct ts_server *srv = c->srv;
    struct ts_request *rq = &c->rq;
    struct resp *r = &c->r;
    struct ts_faults f;
    char text[128];

    ts_resp_reset(c);
    if (c->body_too_large) {
        c->rq.keep_alive = false;
        set_text(c, 413, "control body too large\n");
        ts_start_response(c, NULL);
        return;
    }
    if (is_control_path(rq->path)) {
        serve_control(c);
        return;
    }
    ts_faults_match(&srv->faults, rq->method, rq->path, &f);
    r->faults = ts_faults_active(&f);
    r->log_seq = ts_log_add(&srv->log, c->id, ts_conn_now(c) - srv->start_ms, rq->method,
                            rq->target, rq->range);
    bool get = strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
    if (f.proxy_auth && !check_credentials(c, rq->proxy_authorization, f.proxy_auth, f.proxy_digest,
                                           "bgcopy-proxy", "Proxy-Authenticate", 407)) {
        /* 407 and the challenge are set */
    } else if (f.auth && !check_credentials(c, rq->authorization, f.auth, f.auth_digest, "bgcopy",
                                            "WWW-Authenticate", 401)) {
        /* 401 and the challenge are set */
    } else if (f.redirect) {
        ts_buf_printf(&r->hdrs, "Location: %s\r\n", f.redirect);
        snprintf(text, sizeof(text), "redirected (%d)\n", f.redirect_status);
        set_text(c, f.redirect_status, text);
    } else if (f.status) {
        snprintf(text, sizeof(text), "injected status %d %s\n", f.status, ts_status_text(f.status));
        set_text(c, f.status, text);
    } else if (!get) {
        ts_buf_puts(&r->hdrs, "Allow: GET, HEAD\r\n");
        set_text(c, 405, "method not allowed\n");
    } else {
        serve_resource(c, &f);
    }
    ts_start_response(c, &f);
}
