/* http-parse.c - the HTTP response-head parser of the HTTP(S) transport.
 *
 * curl hands every header line of every response (interim 1xx answers, redirects, the proxy's
 * CONNECT answer, the final response, trailers) to the transport's CURLOPT_HEADERFUNCTION;
 * http.c feeds them here and turns the result into the engine's struct bgcopy__xfer_response
 * when the body starts or the transfer ends. Only the values the download protocol needs are
 * kept: status, Content-Length, Content-Range, Last-Modified and ETag. Values that are
 * malformed, overflow or contradict themselves are reported as absent, so the engine fails the
 * file with BG_E_MISSING_FILE_SIZE or BG_E_INVALID_SERVER_RESPONSE instead of trusting them.
 * The rules are in http-int.h. Pure functions on caller-owned state; any thread.
 */
#include <string.h>
#include <time.h>

#include "http-int.h"

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Trims optional white space from both ends of [*v, *v + *len). */
static void trim(const char **v, size_t *len)
{
    while (*len > 0 && is_ows((*v)[0])) {
        (*v)++;
        (*len)--;
    }
    while (*len > 0 && is_ows((*v)[*len - 1]))
        (*len)--;
}

static int equal_nocase(const char *a, size_t alen, const char *b)
{
    size_t i;
    if (alen != strlen(b))
        return 0;
    for (i = 0; i < alen; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* Parses the decimal number at s[*pos..) (at least one digit). Returns 0 and advances *pos, or
 * -1 on no digit or overflow past UINT64_MAX. */
static int parse_u64(const char *s, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = *pos;

    if (i >= len || !is_digit(s[i]))
        return -1;
    for (; i < len && is_digit(s[i]); i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *pos = i;
    *out = v;
    return 0;
}

int bgcopy__http_parse_content_length(const char *v, size_t len, uint64_t *out)
{
    uint64_t value = 0;
    int have = 0;
    size_t start = 0;

    /* A comma-separated list is accepted when every element is the same number (RFC 9110
     * section 8.6); anything else is invalid. */
    while (start <= len) {
        size_t end = start, pos = 0, elen;
        const char *e;
        uint64_t n;

        while (end < len && v[end] != ',')
            end++;
        e = v + start;
        elen = end - start;
        trim(&e, &elen);
        if (parse_u64(e, elen, &pos, &n) != 0 || pos != elen)
            return -1;
        if (have && n != value)
            return -1;
        value = n;
        have = 1;
        start = end + 1;
    }
    *out = value;
    return 0;
}

int bgcopy__http_parse_content_range(const char *v, size_t len, uint64_t *first, uint64_t *last,
                                     uint64_t *total, int *unsatisfied)
{
    size_t pos = 5;
    uint64_t a = 0, b = 0, t = BGCOPY_SIZE_UNKNOWN;

    trim(&v, &len);
    if (len < 5 || !equal_nocase(v, 5, "bytes"))
        return -1;
    if (pos >= len || !is_ows(v[pos]))
        return -1;
    while (pos < len && is_ows(v[pos]))
        pos++;
    if (pos < len && v[pos] == '*') {
        /* "bytes <star>/<total>": the answer to an unsatisfiable range (416). */
        pos++;
        if (pos >= len || v[pos] != '/')
            return -1;
        pos++;
        if (parse_u64(v, len, &pos, &t) != 0 || pos != len || t == BGCOPY_SIZE_UNKNOWN)
            return -1;
        *first = 0;
        *last = 0;
        *total = t;
        *unsatisfied = 1;
        return 0;
    }
    if (parse_u64(v, len, &pos, &a) != 0)
        return -1;
    if (pos >= len || v[pos] != '-')
        return -1;
    pos++;
    if (parse_u64(v, len, &pos, &b) != 0)
        return -1;
    if (pos >= len || v[pos] != '/')
        return -1;
    pos++;
    if (pos < len && v[pos] == '*') {
        pos++;
        t = BGCOPY_SIZE_UNKNOWN;
    } else if (parse_u64(v, len, &pos, &t) != 0 || t == BGCOPY_SIZE_UNKNOWN) {
        return -1; /* a total of 2^64-1 could not be told from "unknown" */
    }
    if (pos != len)
        return -1;
    if (b < a)
        return -1;
    if (t != BGCOPY_SIZE_UNKNOWN && t <= b)
        return -1;
    if (t == BGCOPY_SIZE_UNKNOWN && b == UINT64_MAX)
        return -1;
    *first = a;
    *last = b;
    *total = t;
    *unsatisfied = 0;
    return 0;
}

int64_t bgcopy__http_parse_date(const char *v, size_t len)
{
    char buf[128];
    time_t t;

    trim(&v, &len);
    if (len == 0 || len >= sizeof(buf))
        return INT64_MIN;
    memcpy(buf, v, len);
    buf[len] = '\0';
    t = curl_getdate(buf, NULL);
    if (t == (time_t)-1 || (int64_t)t > INT64_MAX / BGCOPY__US ||
        (int64_t)t < INT64_MIN / BGCOPY__US + 1)
        return INT64_MIN;
    return (int64_t)t * BGCOPY__US;
}

void bgcopy__http_head_init(struct bgcopy__http_head *h)
{
    h->status = 0;
    h->blank_seen = 0;
    h->has_transfer_encoding = 0;
    h->cl_state = 0;
    h->content_length = 0;
    h->cr_state = 0;
    h->cr_unsatisfied = 0;
    h->cr_first = h->cr_last = 0;
    h->cr_total = BGCOPY_SIZE_UNKNOWN;
    h->lm_state = 0;
    h->last_modified_us = INT64_MIN;
    h->etag_state = 0;
    h->etag[0] = '\0';
    h->pending_len = 0;
    h->pending_overflow = 0;
}

/* Parses "HTTP/<version> <3 digits>[ <reason>]". Returns the status or 0. */
static int parse_status_line(const char *s, size_t len)
{
    size_t i = 5;
    int code;

    while (i < len && !is_ows(s[i]))
        i++;
    if (i == 5 || i >= len)
        return 0;
    while (i < len && is_ows(s[i]))
        i++;
    if (len - i < 3 || !is_digit(s[i]) || !is_digit(s[i + 1]) || !is_digit(s[i + 2]))
        return 0;
    if (len - i > 3 && !is_ows(s[i + 3]))
        return 0;
    code = (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
    return code >= 100 ? code : 0;
}

/* A header seen a second time must repeat the first value; otherwise the value is invalid. */
static void merge_u64(int *state, uint64_t *slot, int ok, uint64_t v)
{
    if (!ok)
        *state = -1;
    else if (*state == 0) {
        *state = 1;
        *slot = v;
    } else if (*state == 1 && *slot != v)
        *state = -1;
}

/* Interprets the complete (unfolded) header in h->pending. */
/* An entity tag holds no control characters (RFC 9110 etagc: %x21, %x23-7E and obs-text, plus
 * the quotes and W/ prefix); a value with CR, LF, NUL or other controls is refused, so it can
 * never be sent back in a header. */
static int etag_chars_ok(const char *v, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7F)
            return 0;
    }
    return 1;
}

static void flush_pending(struct bgcopy__http_head *h)
{
    const char *line = h->pending, *colon, *v;
    size_t len = h->pending_len, nlen, vlen;
    int overflow = h->pending_overflow;

    h->pending_len = 0;
    h->pending_overflow = 0;
    if (len == 0)
        return;
    colon = memchr(line, ':', len);
    if (colon == NULL)
        return;
    nlen = (size_t)(colon - line);
    v = colon + 1;
    vlen = len - nlen - 1;
    trim(&v, &vlen);

    if (equal_nocase(line, nlen, "content-length")) {
        uint64_t n = 0;
        int ok = !overflow && bgcopy__http_parse_content_length(v, vlen, &n) == 0;
        merge_u64(&h->cl_state, &h->content_length, ok, n);
    } else if (equal_nocase(line, nlen, "content-range")) {
        uint64_t a = 0, b = 0, t = 0;
        int u = 0;
        int ok = !overflow && bgcopy__http_parse_content_range(v, vlen, &a, &b, &t, &u) == 0;
        if (!ok) {
            h->cr_state = -1;
        } else if (h->cr_state == 0) {
            h->cr_state = 1;
            h->cr_first = a;
            h->cr_last = b;
            h->cr_total = t;
            h->cr_unsatisfied = u;
        } else if (h->cr_state == 1 && (h->cr_first != a || h->cr_last != b || h->cr_total != t ||
                                        h->cr_unsatisfied != u)) {
            h->cr_state = -1;
        }
    } else if (equal_nocase(line, nlen, "last-modified")) {
        int64_t t = overflow ? INT64_MIN : bgcopy__http_parse_date(v, vlen);
        if (t == INT64_MIN) {
            h->lm_state = -1;
        } else if (h->lm_state == 0) {
            h->lm_state = 1;
            h->last_modified_us = t;
        } else if (h->lm_state == 1 && h->last_modified_us != t) {
            h->lm_state = -1;
        }
    } else if (equal_nocase(line, nlen, "etag")) {
        if (h->etag_state == 0) {
            if (overflow || vlen > BGCOPY__HTTP_MAX_ETAG || !etag_chars_ok(v, vlen)) {
                h->etag_state = -1;
            } else {
                memcpy(h->etag, v, vlen);
                h->etag[vlen] = '\0';
                h->etag_state = 1;
            }
        }
    } else if (equal_nocase(line, nlen, "transfer-encoding")) {
        h->has_transfer_encoding = 1;
    }
}

/* Appends s to the pending header, marking overflow when it does not fit. */
static void append_pending(struct bgcopy__http_head *h, const char *s, size_t len)
{
    size_t room = BGCOPY__HTTP_MAX_LINE - h->pending_len;
    if (len > room) {
        len = room;
        h->pending_overflow = 1;
    }
    memcpy(h->pending + h->pending_len, s, len);
    h->pending_len += len;
    h->pending[h->pending_len] = '\0';
}

void bgcopy__http_head_line(struct bgcopy__http_head *h, const char *line, size_t len)
{
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len == 0) {
        flush_pending(h);
        h->blank_seen = 1;
        return;
    }
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        /* A new response (interim, redirect, CONNECT answer or final) starts: forget the
         * previous block entirely. */
        bgcopy__http_head_init(h);
        h->status = parse_status_line(line, len);
        return;
    }
    if (is_ows(line[0])) {
        /* obs-fold: the line continues the previous header, joined by one space. */
        trim(&line, &len);
        if (h->pending_len > 0 && len > 0) {
            append_pending(h, " ", 1);
            append_pending(h, line, len);
        }
        return;
    }
    flush_pending(h);
    append_pending(h, line, len);
}

void bgcopy__http_head_response(struct bgcopy__http_head *h, struct bgcopy__xfer_response *r)
{
    flush_pending(h);
    memset(r, 0, sizeof(*r));
    r->status = h->status;
    r->content_length =
        h->cl_state == 1 && !h->has_transfer_encoding ? h->content_length : BGCOPY_SIZE_UNKNOWN;
    r->cr_total = BGCOPY_SIZE_UNKNOWN;
    if (h->cr_state == 1 && (!h->cr_unsatisfied || h->status == 416)) {
        r->has_content_range = 1;
        r->cr_first = h->cr_first;
        r->cr_last = h->cr_last;
        r->cr_total = h->cr_total;
    }
    r->last_modified_us = h->lm_state == 1 ? h->last_modified_us : INT64_MIN;
    r->etag = h->etag_state == 1 ? h->etag : NULL;
    r->final_url = NULL;
}
