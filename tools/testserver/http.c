/* tools/testserver/http.c - the HTTP/1.1 text handling of bgcopy-testserver, with no I/O.
 *
 * Parses request heads strictly enough that garbage gets a 400 (RFC 9112: request line,
 * field syntax, no obs-fold, Host required in 1.1, Content-Length/Transfer-Encoding rules) but
 * leniently where clients differ (bare LF line ends, leading empty lines). Also the Range parser
 * (RFC 9110 14.1-14.2), IMF-fixdate, percent and base64 decoding, JSON escaping and the
 * growable buffer the other parts build responses in. Every function is pure apart from heap
 * allocation; out of memory aborts the process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "testserver.h"

/* ---- allocation and buffers ------------------------------------------------------------- */

static void oom(void)
{
    fputs("bgcopy-testserver: out of memory\n", stderr);
    abort();
}

void *ts_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *ts_xcalloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (!p)
        oom();
    return p;
}

char *ts_xstrndup(const char *s, size_t n)
{
    char *p = ts_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *ts_xstrdup(const char *s)
{
    return ts_xstrndup(s, strlen(s));
}

static void buf_reserve(struct ts_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        oom();
    b->p = p;
    b->cap = cap;
}

void ts_buf_append(struct ts_buf *b, const void *data, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void ts_buf_puts(struct ts_buf *b, const char *s)
{
    ts_buf_append(b, s, strlen(s));
}

void ts_buf_printf(struct ts_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void ts_buf_json_string(struct ts_buf *b, const char *s)
{
    ts_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            ts_buf_append(b, esc, 2);
        } else if (*p < 0x20 || *p >= 0x7f) {
            ts_buf_printf(b, "\\u%04x", *p);
        } else {
            ts_buf_append(b, p, 1);
        }
    }
    ts_buf_append(b, "\"", 1);
}

void ts_buf_free(struct ts_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- small parsers ----------------------------------------------------------------------- */

bool ts_parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *ts_percent_decode(const char *s, size_t n)
{
    char *out = ts_xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) {
                free(out);
                return NULL;
            }
            int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0)) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else if (s[i] == '\0') {
            free(out);
            return NULL;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

int ts_base64_decode(const char *s, char *out, size_t cap)
{
    unsigned acc = 0;
    int bits = 0;
    size_t o = 0;
    for (; *s && *s != '='; s++) {
        int v;
        if (*s >= 'A' && *s <= 'Z')
            v = *s - 'A';
        else if (*s >= 'a' && *s <= 'z')
            v = *s - 'a' + 26;
        else if (*s >= '0' && *s <= '9')
            v = *s - '0' + 52;
        else if (*s == '+')
            v = 62;
        else if (*s == '/')
            v = 63;
        else
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 >= cap)
                return -1;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    for (; *s == '='; s++) {
    }
    if (*s)
        return -1;
    out[o] = '\0';
    return (int)o;
}

/* ---- dates ------------------------------------------------------------------------------- */

void ts_http_date(int64_t t, char out[32])
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    char tmp[96];
    time_t tt = (time_t)(t < 0 ? 0 : t > 253402300799 ? 253402300799 : t);
    if (!gmtime_r(&tt, &tm)) {
        tt = 0;
        gmtime_r(&tt, &tm);
    }
    snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
             tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
             tm.tm_sec);
    memcpy(out, tmp, 31);
    out[31] = '\0';
}

/* ---- status texts ------------------------------------------------------------------------ */

static const struct {
    int code;
    const char *text;
} statuses[] = {
    {100, "Continue"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
};

const char *ts_status_text(int status)
{
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (statuses[i].code == status)
            return statuses[i].text;
    return "Unknown";
}

/* ---- request head ------------------------------------------------------------------------ */

size_t ts_find_head_end(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
        i++;
    for (; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

bool ts_request_line_plausible(const char *buf, size_t len)
{
    static const char version[] = "HTTP/d.d";
    size_t i = 0, n, part = 0, plen = 0;
    while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
        i++;
    const char *nl = memchr(buf + i, '\n', len - i);
    bool complete = nl != NULL;
    n = complete ? (size_t)(nl - buf) : len;
    if (complete && n > i && buf[n - 1] == '\r')
        n--;
    /* part 0: method (tchars), 1: target (visible), 2: version; each of what has arrived */
    for (; i < n; i++) {
        unsigned char ch = (unsigned char)buf[i];
        if (ch == ' ' && part < 2) {
            if (plen == 0)
                return false;
            part++;
            plen = 0;
            continue;
        }
        if (part == 0 && !is_tchar(ch))
            return false;
        if (part == 1 && (ch <= 0x20 || ch == 0x7f))
            return false;
        if (part == 2) {
            if (plen >= sizeof(version) - 1)
                return false;
            char want = version[plen];
            if (want == 'd' ? ch < '0' || ch > '9' : ch != (unsigned char)want)
                return false;
        }
        plen++;
    }
    return !complete || (part == 2 && plen == sizeof(version) - 1);
}

/* Splits the next line off *p (NUL-terminating it, dropping CR LF or LF). Returns NULL at the
 * end of the text or for a CR not followed by LF. */
static char *next_line(char **p, bool *bad)
{
    char *s = *p;
    if (!*s)
        return NULL;
    char *nl = strchr(s, '\n');
    if (!nl) {
        *bad = true;
        return NULL;
    }
    *nl = '\0';
    *p = nl + 1;
    if (nl > s && nl[-1] == '\r')
        nl[-1] = '\0';
    if (strchr(s, '\r')) {
        *bad = true;
        return NULL;
    }
    return s;
}

/* True when the comma-separated list `value` contains `token` (case-insensitive). */
static bool list_has(const char *value, const char *token)
{
    size_t tl = strlen(token);
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if ((size_t)(end - start) == tl && strncasecmp(start, token, tl) == 0)
            return true;
    }
    return false;
}

/* Splits rq->target into the decoded path and the raw query. Returns 0 or 400. */
static int split_target(struct ts_request *rq)
{
    const char *t = rq->target;
    if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) {
        t = strstr(t, "://") + 3;
        t += strcspn(t, "/?");
        if (!*t || *t == '?') {
            /* absolute-form with an empty path: the path is "/" */
            rq->path = ts_xstrdup("/");
            rq->query = *t == '?' ? t + 1 : "";
            return 0;
        }
    }
    if (*t != '/')
        return 400;
    size_t plen = strcspn(t, "?#");
    rq->path = ts_percent_decode(t, plen);
    if (!rq->path)
        return 400;
    if (t[plen] == '?') {
        char *q = (char *)t + plen + 1;
        char *hash = strchr(q, '#');
        if (hash)
            *hash = '\0';
        rq->query = q;
    } else {
        rq->query = "";
    }
    return 0;
}

int ts_parse_request(const char *buf, size_t len, struct ts_request *rq)
{
    bool bad = false, has_host = false, close = false, ka = false, has_te = false;
    memset(rq, 0, sizeof(*rq));
    rq->head = ts_xstrndup(buf, len);
    if (memchr(buf, '\0', len))
        return 400;
    char *p = rq->head;
    while (*p == '\r' || *p == '\n')
        p++;

    /* request line: method SP target SP HTTP/1.x */
    char *line = next_line(&p, &bad);
    if (!line)
        return 400;
    char *sp1 = strchr(line, ' ');
    if (!sp1 || sp1 == line)
        return 400;
    *sp1 = '\0';
    for (char *m = line; *m; m++)
        if (!is_tchar((unsigned char)*m))
            return 400;
    rq->method = line;
    char *target = sp1 + 1;
    char *sp2 = strchr(target, ' ');
    if (!sp2 || sp2 == target)
        return 400;
    *sp2 = '\0';
    for (unsigned char *c = (unsigned char *)target; *c; c++)
        if (*c <= 0x20 || *c == 0x7f)
            return 400;
    rq->target = target;
    const char *ver = sp2 + 1;
    if (strncmp(ver, "HTTP/", 5) != 0 || ver[5] < '0' || ver[5] > '9' || ver[6] != '.' ||
        ver[7] < '0' || ver[7] > '9' || ver[8] != '\0')
        return 400;
    if (ver[5] != '1')
        return 505;
    rq->minor = ver[7] - '0';
    if (strlen(rq->method) > 15)
        return 501;

    /* header fields */
    while ((line = next_line(&p, &bad)) != NULL && *line) {
        if (*line == ' ' || *line == '\t')
            return 400; /* obs-fold */
        char *colon = line;
        while (is_tchar((unsigned char)*colon))
            colon++;
        if (colon == line || *colon != ':')
            return 400;
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        char *end = v + strlen(v);
        while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        for (unsigned char *c = (unsigned char *)v; *c; c++)
            if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
                return 400;
        const char *name = line;
        if (strcasecmp(name, "host") == 0) {
            if (has_host)
                return 400;
            has_host = true;
        } else if (strcasecmp(name, "content-length") == 0) {
            uint64_t n;
            if (!ts_parse_u64(v, strlen(v), &n))
                return 400;
            if (rq->has_length && n != rq->content_length)
                return 400;
            rq->has_length = true;
            rq->content_length = n;
        } else if (strcasecmp(name, "transfer-encoding") == 0) {
            if (has_te || strcasecmp(v, "chunked") != 0)
                return has_te ? 400 : 501;
            has_te = true;
        } else if (strcasecmp(name, "connection") == 0) {
            close = close || list_has(v, "close");
            ka = ka || list_has(v, "keep-alive");
        } else if (strcasecmp(name, "range") == 0) {
            if (rq->range)
                rq->range_repeated = true;
            rq->range = v;
        } else if (strcasecmp(name, "if-range") == 0) {
            rq->if_range = v;
        } else if (strcasecmp(name, "authorization") == 0) {
            rq->authorization = v;
        } else if (strcasecmp(name, "proxy-authorization") == 0) {
            rq->proxy_authorization = v;
        } else if (strcasecmp(name, "expect") == 0) {
            if (strcasecmp(v, "100-continue") != 0)
                return 417;
            rq->expect_continue = true;
        }
    }
    if (bad || line == NULL)
        return 400;
    if (*p)
        return 400; /* text after the empty line: cannot happen with ts_find_head_end */
    if (has_te && (rq->has_length || rq->minor == 0))
        return 400;
    rq->chunked = has_te;
    if (rq->minor >= 1 && !has_host)
        return 400;
    rq->keep_alive = !close && (rq->minor >= 1 || ka);
    return split_target(rq);
}

void ts_request_free(struct ts_request *rq)
{
    free(rq->head);
    free(rq->path);
    memset(rq, 0, sizeof(*rq));
}

/* ---- ranges ------------------------------------------------------------------------------ */

/* Parses digits at *p with saturation at UINT64_MAX; false if there are none. */
static bool parse_pos(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
    }
    *p = s;
    *out = v;
    return true;
}

enum ts_range_result ts_parse_ranges(const char *value, uint64_t size, struct ts_range **out,
                                     size_t *n)
{
    const char *p = value;
    struct ts_range *r = NULL;
    size_t count = 0, specs = 0;

    *out = NULL;
    *n = 0;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncasecmp(p, "bytes", 5) != 0)
        return TS_RANGE_IGNORE;
    p += 5;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p++ != '=')
        return TS_RANGE_IGNORE;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        uint64_t first = 0, last = UINT64_MAX, suffix = 0;
        bool is_suffix = false;
        if (*p == '-') {
            p++;
            if (!parse_pos(&p, &suffix))
                goto ignore;
            is_suffix = true;
        } else {
            if (!parse_pos(&p, &first) || *p++ != '-')
                goto ignore;
            if (*p >= '0' && *p <= '9') {
                parse_pos(&p, &last);
                if (last < first)
                    goto ignore;
            }
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p && *p != ',')
            goto ignore;
        if (++specs > TS_RANGES_MAX)
            goto ignore;
        /* satisfiable? */
        if (is_suffix) {
            if (suffix == 0 || size == 0)
                continue;
            first = suffix >= size ? 0 : size - suffix;
            last = size - 1;
        } else {
            if (first >= size)
                continue;
            if (last >= size)
                last = size - 1;
        }
        if (!r)
            r = ts_xmalloc(sizeof(*r) * TS_RANGES_MAX);
        r[count].first = first;
        r[count].last = last;
        count++;
    }
    if (specs == 0)
        goto ignore;
    if (count == 0)
        return TS_RANGE_UNSATISFIABLE;
    *out = r;
    *n = count;
    return TS_RANGE_OK;
ignore:
    free(r);
    return TS_RANGE_IGNORE;
}
