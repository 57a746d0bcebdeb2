/* fuzz/http_head_fuzzer.c - fuzzes the HTTP response-head parser of the curl transport
 * (backend-curl/http-parse.c, declared in backend-curl/http-int.h): status lines, Content-Length,
 * Content-Range, Last-Modified, ETag, obsolete line folding and repeated headers.
 *
 * Byte 0 of the input picks the mode, the rest is the data:
 *   0-3  a header stream: the data is split into lines after each LF (a last line may lack it)
 *        and fed to bgcopy__http_head_line, then bgcopy__http_head_response. Checks: the status
 *        is 0 or 100-999; a Content-Range reported satisfies first <= last < total (or an
 *        unknown total), except a 416's "bytes <star>/<total>", reported as 0-0/<total>; the ETag
 * holds no control character and fits BGCOPY__HTTP_MAX_ETAG; a Last-Modified is whole seconds.
 * Metamorphic: when the stream starts with a status line, prefixing it with a whole redirect block
 * (status, headers, blank line) changes nothing, since a status line starts afresh. 4    a
 * Content-Length value, against an independent oracle (RFC 9110 8.6: digits, OWS around, a comma
 * list of equal values; no overflow past 2^64-1). 5    a Content-Range value, against an
 * independent oracle of the grammar in http-int.h. 6    round trips: numbers from the data
 * formatted as "Content-Length: n" and "Content-Range: bytes a-b/t" and an RFC 1123 date of a time
 * from the data come back exactly. 7    a Last-Modified value: the result is INT64_MIN or a whole
 * number of seconds.
 */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz-util.h"
#include "http-int.h"

/* ---- oracles ---------------------------------------------------------------------------- */

static int ows(char c)
{
    return c == ' ' || c == '\t';
}

static int digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parses digits [s, s + n) (all of it, n > 0) into *out; -1 on anything else or overflow. */
static int number(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (n == 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (!digit(s[i])) {
            return -1;
        }
        if (v > UINT64_MAX / 10 || v * 10 > UINT64_MAX - (uint64_t)(s[i] - '0')) {
            return -1;
        }
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Strips OWS from both ends of [*s, *s + *n). */
static void strip(const char **s, size_t *n)
{
    while (*n > 0 && ows(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ows((*s)[*n - 1])) {
        (*n)--;
    }
}

static int oracle_content_length(const char *v, size_t len, uint64_t *out)
{
    size_t i = 0;
    int have = 0;

    for (;;) {
        size_t j = i;
        const char *e;
        size_t n;
        uint64_t x;

        while (j < len && v[j] != ',') {
            j++;
        }
        e = v + i;
        n = j - i;
        strip(&e, &n);
        if (number(e, n, &x) != 0 || (have && x != *out)) {
            return -1;
        }
        *out = x;
        have = 1;
        if (j == len) {
            return 0;
        }
        i = j + 1;
    }
}

/* "bytes" OWS+ ( first "-" last "/" ( total | "*" ) | "*" "/" total ), OWS around the whole. */
static int oracle_content_range(const char *v, size_t len, uint64_t *first, uint64_t *last,
                                uint64_t *total, int *unsat)
{
    static const char unit[] = "bytes";
    const char *dash, *slash, *p, *end;
    size_t i;

    strip(&v, &len);
    end = v + len;
    if (len < 6) {
        return -1;
    }
    for (i = 0; i < 5; i++) {
        if ((v[i] | 0x20) != unit[i]) {
            return -1;
        }
    }
    if (!ows(v[5])) {
        return -1;
    }
    p = v + 5;
    while (p < end && ows(*p)) {
        p++;
    }
    slash = memchr(p, '/', (size_t)(end - p));
    if (slash == NULL) {
        return -1;
    }
    if (slash - p == 1 && *p == '*') {
        if (number(slash + 1, (size_t)(end - slash - 1), total) != 0 || *total == UINT64_MAX) {
            return -1;
        }
        *first = *last = 0;
        *unsat = 1;
        return 0;
    }
    dash = memchr(p, '-', (size_t)(slash - p));
    if (dash == NULL || number(p, (size_t)(dash - p), first) != 0 ||
        number(dash + 1, (size_t)(slash - dash - 1), last) != 0) {
        return -1;
    }
    if (end - slash == 2 && slash[1] == '*') {
        *total = BGCOPY_SIZE_UNKNOWN;
        if (*last == UINT64_MAX) {
            return -1;
        }
    } else if (number(slash + 1, (size_t)(end - slash - 1), total) != 0 || *total == UINT64_MAX ||
               *total <= *last) {
        return -1;
    }
    if (*last < *first) {
        return -1;
    }
    *unsat = 0;
    return 0;
}

/* ---- header streams ---------------------------------------------------------------------- */

static void feed(struct bgcopy__http_head *h, const char *data, size_t size)
{
    size_t start = 0, i;

    for (i = 0; i < size; i++) {
        if (data[i] == '\n') {
            bgcopy__http_head_line(h, data + start, i + 1 - start);
            start = i + 1;
        }
    }
    if (start < size) {
        bgcopy__http_head_line(h, data + start, size - start);
    }
}

static void check_response(const struct bgcopy__xfer_response *r)
{
    FZ_CHECK(r->status == 0 || (r->status >= 100 && r->status <= 999));
    if (r->has_content_range) {
        FZ_CHECK(r->cr_first <= r->cr_last);
        /* A 416's "bytes <star>/<total>" is reported as 0-0/<total>, even for a total of 0. */
        FZ_CHECK(r->cr_total == BGCOPY_SIZE_UNKNOWN || r->cr_last < r->cr_total ||
                 (r->status == 416 && r->cr_first == 0 && r->cr_last == 0));
    } else {
        FZ_CHECK(r->cr_total == BGCOPY_SIZE_UNKNOWN);
    }
    if (r->etag != NULL) {
        FZ_CHECK(strlen(r->etag) <= BGCOPY__HTTP_MAX_ETAG);
        /* No control character survives into an ETag (corpus input etag-bare-cr). */
        {
            const unsigned char *c;
            for (c = (const unsigned char *)r->etag; *c; c++)
                FZ_CHECK(*c >= 0x20 && *c != 0x7F);
        }
    }
    if (r->last_modified_us != INT64_MIN) {
        FZ_CHECK(r->last_modified_us % BGCOPY__US == 0);
    }
    FZ_CHECK(r->final_url == NULL);
}

static int same_response(const struct bgcopy__xfer_response *a,
                         const struct bgcopy__xfer_response *b)
{
    return a->status == b->status && a->content_length == b->content_length &&
           a->has_content_range == b->has_content_range && a->cr_first == b->cr_first &&
           a->cr_last == b->cr_last && a->cr_total == b->cr_total &&
           a->last_modified_us == b->last_modified_us && (a->etag == NULL) == (b->etag == NULL) &&
           (a->etag == NULL || strcmp(a->etag, b->etag) == 0);
}

static void stream(const char *data, size_t size)
{
    static const char redirect[] = "HTTP/1.1 301 Moved Permanently\r\n"
                                   "Location: http://example.com/other\r\n"
                                   "Content-Length: 123\r\n"
                                   "Content-Range: bytes 0-9/10\r\n"
                                   "Last-Modified: Thu, 01 Jan 2026 00:00:00 GMT\r\n"
                                   "ETag: \"redirect\"\r\n"
                                   "\r\n";
    struct bgcopy__http_head *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    struct bgcopy__xfer_response ra, rb;

    FZ_CHECK(a != NULL && b != NULL);
    bgcopy__http_head_init(a);
    feed(a, data, size);
    bgcopy__http_head_response(a, &ra);
    check_response(&ra);
    if (size >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        bgcopy__http_head_init(b);
        feed(b, redirect, sizeof(redirect) - 1);
        feed(b, data, size);
        bgcopy__http_head_response(b, &rb);
        FZ_CHECK(same_response(&ra, &rb));
    }
    /* Asking twice gives the same answer (the pending header is flushed once). */
    bgcopy__http_head_response(a, &rb);
    FZ_CHECK(same_response(&ra, &rb));
    free(a);
    free(b);
}

/* ---- values -------------------------------------------------------------------------------- */

static void content_length(const char *v, size_t len)
{
    uint64_t got = 7, want = 9;
    int rc = bgcopy__http_parse_content_length(v, len, &got);
    int orc = oracle_content_length(v, len, &want);

    FZ_CHECK(rc == orc);
    if (rc == 0) {
        FZ_CHECK(got == want);
    } else {
        FZ_CHECK(got == 7); /* untouched on failure */
    }
}

static void content_range(const char *v, size_t len)
{
    uint64_t f = 1, l = 2, t = 3, of = 0, ol = 0, ot = 0;
    int u = 5, ou = 0;
    int rc = bgcopy__http_parse_content_range(v, len, &f, &l, &t, &u);
    int orc = oracle_content_range(v, len, &of, &ol, &ot, &ou);

    if (rc != orc) {
        fprintf(stderr, "Content-Range '%.*s': parser %d, oracle %d\n", (int)len, v, rc, orc);
    }
    FZ_CHECK(rc == orc);
    if (rc == 0) {
        FZ_CHECK(f == of && l == ol && t == ot && u == ou);
    }
}

/* Formats numbers and a date taken from the data and parses them back. */
static void round_trips(fz_reader *rd)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct bgcopy__http_head h;
    struct bgcopy__xfer_response r;
    uint64_t n = fz_u64(rd), a = fz_u64(rd), b = fz_u64(rd), t = fz_u64(rd), x;
    int64_t secs = (int64_t)(fz_u64(rd) % 253402300800ULL); /* 1970 .. 9999 */
    time_t tt = (time_t)secs;
    struct tm tm;
    char line[256];

    /* a <= b < t < 2^64 - 1 */
    if (a > b) {
        x = a;
        a = b;
        b = x;
    }
    if (b >= UINT64_MAX - 1) {
        b = UINT64_MAX - 2;
        a = a > b ? b : a;
    }
    if (t <= b || t == UINT64_MAX) {
        t = b + 1;
    }
    FZ_CHECK(gmtime_r(&tt, &tm) != NULL);

    bgcopy__http_head_init(&h);
    snprintf(line, sizeof(line), "HTTP/1.1 206 Partial Content\r\n");
    bgcopy__http_head_line(&h, line, strlen(line));
    snprintf(line, sizeof(line), "content-LENGTH:\t%llu \r\n", (unsigned long long)n);
    bgcopy__http_head_line(&h, line, strlen(line));
    snprintf(line, sizeof(line), "Content-Range: bytes %llu-%llu/%llu\r\n", (unsigned long long)a,
             (unsigned long long)b, (unsigned long long)t);
    bgcopy__http_head_line(&h, line, strlen(line));
    snprintf(line, sizeof(line), "Last-Modified: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
             days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
    bgcopy__http_head_line(&h, line, strlen(line));
    bgcopy__http_head_line(&h, "\r\n", 2);
    bgcopy__http_head_response(&h, &r);
    check_response(&r);
    FZ_CHECK(r.status == 206);
    FZ_CHECK(r.content_length == n);
    FZ_CHECK(r.has_content_range && r.cr_first == a && r.cr_last == b && r.cr_total == t);
    if (r.last_modified_us != secs * BGCOPY__US) {
        fprintf(stderr, "date %lld came back as %lld us\n", (long long)secs,
                (long long)r.last_modified_us);
    }
    FZ_CHECK(r.last_modified_us == secs * BGCOPY__US);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *v = (const char *)data + 1;
    size_t len = size > 0 ? size - 1 : 0;
    fz_reader rd;
    int64_t t;

    if (size == 0) {
        return 0;
    }
    switch (data[0] & 7) {
    case 4:
        content_length(v, len);
        break;
    case 5:
        content_range(v, len);
        break;
    case 6:
        fz_reader_init(&rd, data + 1, len);
        round_trips(&rd);
        break;
    case 7:
        t = bgcopy__http_parse_date(v, len);
        FZ_CHECK(t == INT64_MIN || t % BGCOPY__US == 0);
        break;
    default:
        stream(v, len);
        break;
    }
    return 0;
}
