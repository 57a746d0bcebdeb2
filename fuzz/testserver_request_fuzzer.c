/* fuzz/testserver_request_fuzzer.c - the text handling of bgcopy-testserver (tools/testserver/
 * http.c and faults.c), which parses whatever a client sends it: request heads, Range values,
 * percent and base64 escapes, and fault rules from the command line or POST /_control.
 *
 * The first input byte picks the parser, the rest is its text:
 *   0 request head: ts_find_head_end, ts_request_line_plausible, ts_parse_request;
 *   1 Range value against a size read from the next 8 bytes;
 *   2 percent decoding;   3 base64 decoding;   4 fault rules (decoded or literal) and matching;
 *   5 IMF-fixdate formatting of a 64-bit time;
 *   6 Digest authentication (digest.c): NUL-separated user, password, method, uri, cnonce, then
 *     a raw Authorization value.
 * Checks (abort() on violation):
 *   - a head ts_parse_request accepts was judged plausible, ends where ts_find_head_end says,
 *     has a token method, a target that is a substring of the head, a decoded path starting
 *     with '/', HTTP/1.<digit>, and never both chunked and a Content-Length;
 *   - accepted ranges are 1..TS_RANGES_MAX pairs with first <= last < size; UNSATISFIABLE only
 *     for a syntactically valid value;
 *   - percent decoding never yields NUL, is no longer than its input, and decoding the %XX
 *     encoding of its output gives the output again;
 *   - base64 output re-encoded (unpadded) and decoded again gives the same bytes;
 *   - a refused fault rule leaves an error message and the rule count unchanged; an accepted
 *     one adds exactly one rule (none when it holds no key); formatting and matching work on
 *     whatever was accepted, and only keys some rule set are active;
 *   - dates are 29 characters of the form "Www, DD Mmm YYYY HH:MM:SS GMT";
 *   - a Digest answer computed here from RFC 7616's formula (with MD5 from ts_md5_hex) is
 *     accepted, and refused once its response digit, user name or method changes; a raw value
 *     is checked without crashing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz-util.h"
#include "testserver.h"

static int is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void fuzz_head(const char *text, size_t len)
{
    struct ts_request rq;
    size_t end = ts_find_head_end(text, len);
    const char *m;
    int status;

    if (end == 0)
        return;
    FZ_CHECK(end <= len);
    status = ts_parse_request(text, end, &rq);
    if (status == 0) {
        FZ_CHECK(ts_request_line_plausible(text, end));
        FZ_CHECK(rq.head != NULL && rq.method != NULL && rq.method[0] != '\0');
        for (m = rq.method; *m; m++)
            FZ_CHECK(is_tchar((unsigned char)*m));
        FZ_CHECK(rq.target != NULL && rq.target[0] != '\0');
        FZ_CHECK(rq.path != NULL && rq.path[0] == '/');
        FZ_CHECK(rq.query != NULL);
        FZ_CHECK(rq.minor >= 0 && rq.minor <= 9); /* HTTP/1.x: x > 1 is served as 1.1 */
        FZ_CHECK(!(rq.chunked && rq.has_length));
    } else {
        FZ_CHECK(status == 400 || status == 417 || status == 501 || status == 505 || status == 431);
    }
    ts_request_free(&rq);
}

static void fuzz_ranges(const uint8_t *data, size_t size)
{
    struct ts_range *r = NULL;
    uint64_t total = 0;
    size_t n = 0, i;
    char *value;
    enum ts_range_result res;

    for (i = 0; i < 8 && i < size; i++)
        total = total << 8 | data[i];
    total &= TS_SIZE_MAX * 2 - 1; /* sizes up to twice the largest resource */
    value = fz_cstr(data + i, size - i);
    res = ts_parse_ranges(value, total, &r, &n);
    if (res == TS_RANGE_OK) {
        FZ_CHECK(n >= 1 && n <= TS_RANGES_MAX && r != NULL);
        for (i = 0; i < n; i++)
            FZ_CHECK(r[i].first <= r[i].last && r[i].last < total);
        free(r);
    } else {
        FZ_CHECK(res == TS_RANGE_IGNORE || res == TS_RANGE_UNSATISFIABLE);
        FZ_CHECK(strncasecmp(value, "bytes", 5) == 0 || res == TS_RANGE_IGNORE);
    }
    free(value);
}

static void fuzz_percent(const char *text, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = ts_percent_decode(text, len), *enc, *again;
    size_t n, i;

    if (out == NULL)
        return;
    n = strlen(out);
    FZ_CHECK(n <= len);
    enc = malloc(n * 3 + 1);
    FZ_CHECK(enc != NULL);
    for (i = 0; i < n; i++) {
        enc[i * 3] = '%';
        enc[i * 3 + 1] = hex[(unsigned char)out[i] >> 4];
        enc[i * 3 + 2] = hex[(unsigned char)out[i] & 15];
    }
    enc[n * 3] = '\0';
    again = ts_percent_decode(enc, n * 3);
    FZ_CHECK(again != NULL && strcmp(again, out) == 0);
    free(again);
    free(enc);
    free(out);
}

static void fuzz_base64(const char *text)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[512], again[512], enc[700];
    int n = ts_base64_decode(text, out, sizeof(out)), m, i, k = 0;

    if (n < 0)
        return;
    FZ_CHECK((size_t)n < sizeof(out));
    for (i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)out[i] << 16;
        int left = n - i;
        if (left > 1)
            v |= (uint32_t)(unsigned char)out[i + 1] << 8;
        if (left > 2)
            v |= (unsigned char)out[i + 2];
        enc[k++] = b64[v >> 18 & 63];
        enc[k++] = b64[v >> 12 & 63];
        if (left > 1)
            enc[k++] = b64[v >> 6 & 63];
        if (left > 2)
            enc[k++] = b64[v & 63];
    }
    enc[k] = '\0';
    m = ts_base64_decode(enc, again, sizeof(again));
    FZ_CHECK(m == n && memcmp(again, out, (size_t)n) == 0);
}

/* Whether text[0..len) holds nothing but separators and blanks. */
static int blank(const char *text, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (!strchr("\n\r& \t", text[i]) || text[i] == '\0')
            return 0;
    return 1;
}

static void fuzz_faults(const uint8_t *data, size_t size)
{
    struct ts_faultset *fs = calloc(1, sizeof(*fs));
    struct ts_buf err = {0}, fmt = {0}, names = {0};
    struct ts_faults f;
    size_t start = 1, i, before;
    int rc;

    if (size == 0) {
        free(fs);
        return;
    }
    FZ_CHECK(fs != NULL);
    ts_faults_reset(fs);
    /* Several rules, separated by 0xff bytes; the first byte's low bit picks decoding. */
    for (i = 1; i <= size; i++) {
        if (i < size && data[i] != 0xff)
            continue;
        before = fs->nrules;
        err.len = 0;
        rc = ts_faults_add(fs, (const char *)data + start, i - start, data[0] & 1, &err);
        if (rc == 0) {
            /* One rule, or none when the text holds no key at all. */
            FZ_CHECK(fs->nrules == before + 1 ||
                     (fs->nrules == before && blank((const char *)data + start, i - start)));
        } else {
            FZ_CHECK(rc == -1 && err.len > 0 && fs->nrules == before);
        }
        start = i + 1;
    }
    ts_faults_format(fs, &fmt);
    memset(&f, 0, sizeof(f));
    ts_faults_match(fs, (data[0] & 2) ? "HEAD" : "GET", "/gen/100", &f);
    ts_faults_names(ts_faults_active(&f), &names, data[0] & 4);
    FZ_CHECK((ts_faults_active(&f) & ~f.set) == 0);
    ts_buf_free(&names);
    ts_buf_free(&fmt);
    ts_buf_free(&err);
    ts_faults_reset(fs);
    free(fs);
}

static void fuzz_date(const uint8_t *data, size_t size)
{
    static const char *const days = "Sun,Mon,Tue,Wed,Thu,Fri,Sat,";
    char out[32];
    int64_t t = 0;
    size_t i;

    for (i = 0; i < 8 && i < size; i++)
        t = (int64_t)((uint64_t)t << 8 | data[i]);
    ts_http_date(t, out);
    FZ_CHECK(strlen(out) == 29);
    FZ_CHECK(out[3] == ',' && strstr(days, (char[]){out[0], out[1], out[2], ',', 0}) != NULL);
    FZ_CHECK(out[4] == ' ' && out[7] == ' ' && out[11] == ' ' && out[16] == ' ' && out[19] == ':' &&
             out[22] == ':' && out[25] == ' ' && strcmp(out + 26, "GMT") == 0);
}

/* The next NUL-terminated field of [*p, end) with every character outside [A-Za-z0-9._~/-]
 * dropped, or fallback when nothing is left. Advances *p past the field. */
static char *field(const uint8_t **p, const uint8_t *end, const char *fallback)
{
    char *out = malloc((size_t)(end - *p) + strlen(fallback) + 1);
    size_t n = 0;

    FZ_CHECK(out != NULL);
    for (; *p < end && **p != 0; (*p)++)
        if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~/-", **p) !=
            NULL)
            out[n++] = (char)**p;
    if (*p < end)
        (*p)++;
    out[n] = '\0';
    if (n == 0)
        strcpy(out, fallback);
    return out;
}

/* MD5 hex of the parts joined by ':'. */
static void md5_colons(char out[33], const char *const *parts, size_t n)
{
    struct ts_buf b = {0};
    size_t i;
    for (i = 0; i < n; i++)
        ts_buf_printf(&b, "%s%s", i ? ":" : "", parts[i]);
    ts_md5_hex(b.p ? b.p : "", b.len, out);
    ts_buf_free(&b);
}

static void fuzz_digest(const uint8_t *data, size_t size)
{
    static const char realm[] = "bgcopy", nonce[] = "0123456789abcdef", nc[] = "00000001";
    const uint8_t *p = data, *end = data + size;
    char *user = field(&p, end, "u"), *pass = field(&p, end, "p"), *method = field(&p, end, "GET");
    char *uri = field(&p, end, "/"), *cnonce = field(&p, end, "c"), *raw, *userpass, *tail;
    char ha1[33], ha2[33], resp[33];
    struct ts_buf hdr = {0};
    const char *a1[3] = {user, realm, pass}, *a2[2] = {method, uri};
    const char *kd[6] = {ha1, nonce, nc, cnonce, "auth", ha2};

    if (uri[0] != '/')
        uri[0] = '/';
    raw = fz_cstr(p, (size_t)(end - p));
    userpass = malloc(strlen(user) + strlen(pass) + 2);
    FZ_CHECK(userpass != NULL);
    sprintf(userpass, "%s:%s", user, pass);
    md5_colons(ha1, a1, 3);
    md5_colons(ha2, a2, 2);
    md5_colons(resp, kd, 6);
    ts_buf_printf(&hdr,
                  "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
                  "qop=auth, nc=%s, cnonce=\"%s\", response=\"%s\", algorithm=MD5",
                  user, realm, nonce, uri, nc, cnonce, resp);
    FZ_CHECK(ts_digest_ok(hdr.p, userpass, realm, nonce, method, uri));
    /* A wrong method changes HA2; a wrong digit the response. */
    FZ_CHECK(!ts_digest_ok(hdr.p, userpass, realm, nonce, "BREW", uri));
    tail = strstr(hdr.p, "response=\"") + 10;
    *tail = *tail == '0' ? '1' : '0';
    FZ_CHECK(!ts_digest_ok(hdr.p, userpass, realm, nonce, method, uri));
    *tail = resp[0];
    FZ_CHECK(ts_digest_ok(hdr.p, userpass, realm, nonce, method, uri));
    userpass[0] = userpass[0] == 'x' ? 'y' : 'x';
    FZ_CHECK(!ts_digest_ok(hdr.p, userpass, realm, nonce, method, uri));
    (void)ts_digest_ok(raw, "u:p", realm, nonce, "GET", "/x");

    ts_buf_free(&hdr);
    free(userpass);
    free(raw);
    free(user);
    free(pass);
    free(method);
    free(uri);
    free(cnonce);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;

    if (size == 0)
        return 0;
    switch (data[0] % 7) {
    case 0:
        fuzz_head((const char *)data + 1, size - 1);
        break;
    case 1:
        fuzz_ranges(data + 1, size - 1);
        break;
    case 2:
        fuzz_percent((const char *)data + 1, size - 1);
        break;
    case 3:
        text = fz_cstr(data + 1, size - 1);
        fuzz_base64(text);
        free(text);
        break;
    case 4:
        fuzz_faults(data + 1, size - 1);
        break;
    case 5:
        fuzz_date(data + 1, size - 1);
        break;
    default:
        fuzz_digest(data + 1, size - 1);
        break;
    }
    return 0;
}
