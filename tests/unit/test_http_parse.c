/* test_http_parse.c - the HTTP transport's response-head parser (backend-curl/http-parse.c).
 *
 * Pins exact results for the values the download protocol trusts: Content-Length (junk,
 * signs, overflow, lists), Content-Range (valid forms, inverted or out-of-total ranges,
 * overflow, the unsatisfied form only for 416), Last-Modified (the three HTTP date formats),
 * and the head as a whole (status lines, only the final block after redirects and interim
 * answers, folded and duplicate headers, Transfer-Encoding). Invalid values must come out as
 * "absent" so the engine fails the file cleanly. Also the job's proxy and bypass lists as
 * the transport hands them to curl (backend-curl/http.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../backend-curl/http-int.h"

#define SIZE_UNKNOWN BGCOPY_SIZE_UNKNOWN

/* ---- Content-Length ------------------------------------------------------------------------ */

static int cl(const char *v, uint64_t *out)
{
    *out = 12345;
    return bgcopy__http_parse_content_length(v, strlen(v), out);
}

static void test_content_length_valid(void **state)
{
    uint64_t n;
    assert_int_equal(0, cl("0", &n));
    assert_int_equal(0, n);
    assert_int_equal(0, cl("  123\t", &n));
    assert_int_equal(123, n);
    assert_int_equal(0, cl("007", &n));
    assert_int_equal(7, n);
    assert_int_equal(0, cl("18446744073709551615", &n));
    assert_true(n == UINT64_MAX);
    assert_int_equal(0, cl("5, 5", &n)); /* a list of one repeated value */
    assert_int_equal(5, n);
    assert_int_equal(0, cl("5,5,5", &n));
    assert_int_equal(5, n);
}

static void test_content_length_invalid(void **state)
{
    static const char *const bad[] = {"",
                                      "   ",
                                      "-1",
                                      "+5",
                                      "12a",
                                      "a12",
                                      "0x10",
                                      "1 2",
                                      "1.0",
                                      "18446744073709551616", /* 2^64 */
                                      "99999999999999999999999",
                                      "5,6",
                                      "5,",
                                      ",5",
                                      "5,,5"};
    size_t i;
    uint64_t n;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (cl(bad[i], &n) != -1)
            fail_msg("Content-Length \"%s\" accepted as %llu", bad[i], (unsigned long long)n);
    }
}

/* ---- Content-Range -------------------------------------------------------------------------- */

struct cr {
    int rc;
    uint64_t first, last, total;
    int unsatisfied;
};

static struct cr crange(const char *v)
{
    struct cr r = {0, 7, 7, 7, 7};
    r.rc =
        bgcopy__http_parse_content_range(v, strlen(v), &r.first, &r.last, &r.total, &r.unsatisfied);
    return r;
}

static void test_content_range_valid(void **state)
{
    struct cr r = crange("bytes 0-99/100");
    assert_int_equal(0, r.rc);
    assert_int_equal(0, r.first);
    assert_int_equal(99, r.last);
    assert_int_equal(100, r.total);
    assert_int_equal(0, r.unsatisfied);

    r = crange("  BYTES  5-5/6 ");
    assert_int_equal(0, r.rc);
    assert_int_equal(5, r.first);
    assert_int_equal(5, r.last);
    assert_int_equal(6, r.total);

    r = crange("bytes 1048576-2097151/*");
    assert_int_equal(0, r.rc);
    assert_int_equal(1048576, r.first);
    assert_int_equal(2097151, r.last);
    assert_true(r.total == SIZE_UNKNOWN);

    r = crange("bytes 0-18446744073709551613/18446744073709551614");
    assert_int_equal(0, r.rc);
    assert_true(r.last == UINT64_MAX - 2);
    assert_true(r.total == UINT64_MAX - 1);

    r = crange("bytes */4096");
    assert_int_equal(0, r.rc);
    assert_int_equal(1, r.unsatisfied);
    assert_int_equal(0, r.first);
    assert_int_equal(0, r.last);
    assert_int_equal(4096, r.total);
}

static void test_content_range_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "bytes",
        "bytes ",
        "bytes 10-5/100",  /* last < first */
        "bytes 0-100/100", /* total <= last */
        "bytes 0-99/99",
        "bytes 0-0/0",
        "bytes=0-99/100",
        "bytes0-99/100",
        "items 0-99/100",
        "bytes 0-99",
        "bytes 0-99/",
        "bytes -5/100",
        "bytes 5-/100",
        "bytes 0-99/100x",
        "bytes 0-99/100 200",
        "bytes 0 - 99/100",
        "bytes +0-99/100",
        "bytes 0-18446744073709551616/*", /* 2^64 */
        "bytes 18446744073709551616-1/*",
        "bytes 0-99/18446744073709551616",
        "bytes 0-18446744073709551615/*",  /* no total can exceed UINT64_MAX */
        "bytes 0-99/18446744073709551615", /* a total of UINT64_MAX reads as "unknown" */
        "bytes */18446744073709551615",
        "bytes */",
        "bytes */*",
        "bytes */-1",
        "bytes 0-99,200-299/1000",
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cr r = crange(bad[i]);
        if (r.rc != -1)
            fail_msg("Content-Range \"%s\" accepted", bad[i]);
    }
}

/* ---- dates -------------------------------------------------------------------------------- */

static int64_t date(const char *v)
{
    return bgcopy__http_parse_date(v, strlen(v));
}

static void test_dates(void **state)
{
    const int64_t t = 784111777LL * 1000000; /* Sun, 06 Nov 1994 08:49:37 GMT */

    assert_true(date("Sun, 06 Nov 1994 08:49:37 GMT") == t);    /* RFC 1123 */
    assert_true(date("Sunday, 06-Nov-94 08:49:37 GMT") == t);   /* RFC 850 */
    assert_true(date("Sun Nov  6 08:49:37 1994") == t);         /* asctime */
    assert_true(date("  Sun, 06 Nov 1994 08:49:37 GMT ") == t); /* white space around */
    assert_true(date("Thu, 01 Jan 1970 00:00:00 GMT") == 0);
    assert_true(date("Wed, 21 Oct 2026 07:28:00 GMT") == 1792567680LL * 1000000);
    assert_true(date("") == INT64_MIN);
    assert_true(date("yesterday") == INT64_MIN);
    assert_true(date("Sun, 06 Nov 1994 08:49:37 GMT and a very long tail that is not part of "
                     "any date format at all, just to pass the length limit of the parser") ==
                INT64_MIN);
}

/* ---- whole heads ---------------------------------------------------------------------------- */

/* Feeds the CRLF-separated lines of block (each line given with its CRLF) and returns the
 * response. */
static struct bgcopy__xfer_response head_of(struct bgcopy__http_head *h, const char *block)
{
    struct bgcopy__xfer_response r;
    const char *p = block;

    bgcopy__http_head_init(h);
    while (*p) {
        const char *end = strstr(p, "\r\n");
        size_t len = end ? (size_t)(end - p) + 2 : strlen(p);
        bgcopy__http_head_line(h, p, len);
        p += len;
    }
    bgcopy__http_head_response(h, &r);
    return r;
}

static struct bgcopy__http_head h; /* large: not on the stack */

static void test_head_206(void **state)
{
    struct bgcopy__xfer_response r = head_of(&h, "HTTP/1.1 206 Partial Content\r\n"
                                                 "Server: nginx\r\n"
                                                 "content-LENGTH: 100\r\n"
                                                 "Content-Range: bytes 100-199/1000\r\n"
                                                 "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                                                 "ETag: \"5f3-abc\"\r\n"
                                                 "\r\n");
    assert_int_equal(206, r.status);
    assert_int_equal(100, r.content_length);
    assert_int_equal(1, r.has_content_range);
    assert_int_equal(100, r.cr_first);
    assert_int_equal(199, r.cr_last);
    assert_int_equal(1000, r.cr_total);
    assert_true(r.last_modified_us == 784111777LL * 1000000);
    assert_string_equal("\"5f3-abc\"", r.etag);
    assert_null(r.final_url);
}

static void test_head_nothing_known(void **state)
{
    struct bgcopy__xfer_response r = head_of(&h, "HTTP/1.0 200 OK\r\n"
                                                 "Content-Type: text/html\r\n"
                                                 "no colon here\r\n"
                                                 "\r\n");
    assert_int_equal(200, r.status);
    assert_true(r.content_length == SIZE_UNKNOWN);
    assert_int_equal(0, r.has_content_range);
    assert_true(r.cr_total == SIZE_UNKNOWN);
    assert_true(r.last_modified_us == INT64_MIN);
    assert_null(r.etag);
}

static void test_head_status_lines(void **state)
{
    assert_int_equal(404, head_of(&h, "HTTP/1.1 404 Not Found\r\n\r\n").status);
    assert_int_equal(200, head_of(&h, "HTTP/2 200\r\n\r\n").status);
    assert_int_equal(416, head_of(&h, "HTTP/1.1 416\r\n\r\n").status);
    assert_int_equal(0, head_of(&h, "HTTP/1.1 20\r\n\r\n").status);
    assert_int_equal(0, head_of(&h, "HTTP/1.1 2000 Big\r\n\r\n").status);
    assert_int_equal(0, head_of(&h, "HTTP/1.1 abc\r\n\r\n").status);
    assert_int_equal(0, head_of(&h, "HTTP/ 200\r\n\r\n").status);
    assert_int_equal(0, head_of(&h, "HTTP/1.1 099 Low\r\n\r\n").status);
    assert_int_equal(0, head_of(&h, "Content-Length: 5\r\n\r\n").status);
}

static void test_head_final_block_counts(void **state)
{
    /* A followed redirect and an interim answer: only the last block's values remain, even
     * those the last block does not repeat (ETag, Last-Modified). */
    struct bgcopy__xfer_response r = head_of(&h, "HTTP/1.1 302 Found\r\n"
                                                 "Location: /b\r\n"
                                                 "Content-Length: 154\r\n"
                                                 "Content-Range: bytes 0-9/10\r\n"
                                                 "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                                                 "ETag: \"old\"\r\n"
                                                 "\r\n"
                                                 "HTTP/1.1 100 Continue\r\n"
                                                 "\r\n"
                                                 "HTTP/1.1 206 Partial Content\r\n"
                                                 "Content-Length: 50\r\n"
                                                 "Content-Range: bytes 0-49/5000\r\n"
                                                 "\r\n");
    assert_int_equal(206, r.status);
    assert_int_equal(50, r.content_length);
    assert_int_equal(1, r.has_content_range);
    assert_int_equal(49, r.cr_last);
    assert_int_equal(5000, r.cr_total);
    assert_true(r.last_modified_us == INT64_MIN);
    assert_null(r.etag);
}

static void test_head_folded_headers(void **state)
{
    struct bgcopy__xfer_response r = head_of(&h, "HTTP/1.1 200 OK\r\n"
                                                 "Content-Length:\r\n"
                                                 "   4096\r\n"
                                                 "Last-Modified: Sun, 06 Nov 1994\r\n"
                                                 "\t08:49:37 GMT\r\n"
                                                 "X-Other: a\r\n"
                                                 " b\r\n"
                                                 "\r\n");
    assert_int_equal(4096, r.content_length);
    assert_true(r.last_modified_us == 784111777LL * 1000000);

    /* a fold that breaks a number inside the value makes it invalid, not a different number */
    r = head_of(&h, "HTTP/1.1 206 Partial Content\r\n"
                    "Content-Range: bytes 0-99/1\r\n"
                    " 00\r\n"
                    "\r\n");
    assert_int_equal(0, r.has_content_range);
}

static void test_head_duplicates(void **state)
{
    struct bgcopy__xfer_response r = head_of(&h, "HTTP/1.1 200 OK\r\n"
                                                 "Content-Length: 10\r\n"
                                                 "Content-Length: 10\r\n"
                                                 "ETag: \"first\"\r\n"
                                                 "ETag: \"second\"\r\n"
                                                 "\r\n");
    assert_int_equal(10, r.content_length);
    assert_string_equal("\"first\"", r.etag);

    r = head_of(&h, "HTTP/1.1 206 Partial Content\r\n"
                    "Content-Length: 10\r\n"
                    "Content-Length: 11\r\n"
                    "Content-Range: bytes 0-9/100\r\n"
                    "Content-Range: bytes 10-19/100\r\n"
                    "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                    "Last-Modified: Mon, 07 Nov 1994 08:49:37 GMT\r\n"
                    "\r\n");
    assert_true(r.content_length == SIZE_UNKNOWN);
    assert_int_equal(0, r.has_content_range);
    assert_true(r.last_modified_us == INT64_MIN);

    /* one invalid copy spoils the value even when another is fine */
    r = head_of(&h, "HTTP/1.1 206 Partial Content\r\n"
                    "Content-Length: 10\r\n"
                    "Content-Length: ten\r\n"
                    "Content-Range: bytes 0-9/100\r\n"
                    "Content-Range: bytes 9-0/100\r\n"
                    "\r\n");
    assert_true(r.content_length == SIZE_UNKNOWN);
    assert_int_equal(0, r.has_content_range);
}

static void test_head_invalid_values_are_absent(void **state)
{
    struct bgcopy__xfer_response r = head_of(&h, "HTTP/1.1 206 Partial Content\r\n"
                                                 "Content-Length: 18446744073709551616\r\n"
                                                 "Content-Range: bytes 500-100/1000\r\n"
                                                 "Last-Modified: not a date\r\n"
                                                 "\r\n");
    assert_int_equal(206, r.status);
    assert_true(r.content_length == SIZE_UNKNOWN);
    assert_int_equal(0, r.has_content_range);
    assert_true(r.cr_total == SIZE_UNKNOWN);
    assert_true(r.last_modified_us == INT64_MIN);

    r = head_of(&h, "HTTP/1.1 206 Partial Content\r\n"
                    "Content-Range: bytes 0-1000/1000\r\n"
                    "\r\n");
    assert_int_equal(0, r.has_content_range);
}

static void test_head_unsatisfied_range(void **state)
{
    struct bgcopy__xfer_response r = head_of(&h, "HTTP/1.1 416 Range Not Satisfiable\r\n"
                                                 "Content-Range: bytes */500\r\n"
                                                 "\r\n");
    assert_int_equal(1, r.has_content_range);
    assert_int_equal(0, r.cr_first);
    assert_int_equal(0, r.cr_last);
    assert_int_equal(500, r.cr_total);

    /* the same header on a 206 says nothing about the bytes sent */
    r = head_of(&h, "HTTP/1.1 206 Partial Content\r\n"
                    "Content-Range: bytes */500\r\n"
                    "\r\n");
    assert_int_equal(0, r.has_content_range);
    assert_true(r.cr_total == SIZE_UNKNOWN);
}

static void test_head_transfer_encoding_voids_length(void **state)
{
    struct bgcopy__xfer_response r = head_of(&h, "HTTP/1.1 200 OK\r\n"
                                                 "Transfer-Encoding: chunked\r\n"
                                                 "Content-Length: 100\r\n"
                                                 "\r\n");
    assert_true(r.content_length == SIZE_UNKNOWN);
}

static void test_head_long_lines(void **state)
{
    static char block[3 * BGCOPY__HTTP_MAX_LINE];
    struct bgcopy__xfer_response r;
    size_t n;

    /* an ETag longer than kept: absent */
    n = (size_t)snprintf(block, sizeof(block), "HTTP/1.1 200 OK\r\nETag: \"");
    memset(block + n, 'e', BGCOPY__HTTP_MAX_ETAG + 10);
    n += BGCOPY__HTTP_MAX_ETAG + 10;
    snprintf(block + n, sizeof(block) - n, "\"\r\nContent-Length: 7\r\n\r\n");
    r = head_of(&h, block);
    assert_null(r.etag);
    assert_int_equal(7, r.content_length);

    /* a Content-Length padded past the line limit: invalid, not truncated into a number */
    n = (size_t)snprintf(block, sizeof(block), "HTTP/1.1 200 OK\r\nContent-Length: 1");
    memset(block + n, '0', BGCOPY__HTTP_MAX_LINE);
    n += BGCOPY__HTTP_MAX_LINE;
    snprintf(block + n, sizeof(block) - n, "\r\n\r\n");
    r = head_of(&h, block);
    assert_true(r.content_length == SIZE_UNKNOWN);
}

static void test_head_lines_without_crlf(void **state)
{
    struct bgcopy__xfer_response r;
    bgcopy__http_head_init(&h);
    bgcopy__http_head_line(&h, "HTTP/1.1 200 OK\n", 16);
    bgcopy__http_head_line(&h, "Content-Length: 42", 18); /* not NUL-terminated use: len */
    bgcopy__http_head_response(&h, &r);
    assert_int_equal(200, r.status);
    assert_int_equal(42, r.content_length);
}

/* ---- job proxy lists ------------------------------------------------------------------------- */

static void expect_proxy(const char *list, int https, bgcopy_hr want, const char *want_proxy)
{
    char *out = (char *)"unchanged";
    bgcopy_hr hr = bgcopy__http_pick_proxy(list, https, &out);
    if ((uint32_t)hr != (uint32_t)want)
        fail_msg("proxy list \"%s\" (https %d): 0x%08X", list, https, (unsigned)hr);
    if (want_proxy == NULL)
        assert_null(out);
    else
        assert_string_equal(want_proxy, out);
    free(out);
}

static void test_proxy_list(void **state)
{
    const bgcopy_hr ok = BGCOPY_S_OK, bad = BGCOPY_E_INVALID_PROXY_INFO;

    expect_proxy("proxy:8080", 0, ok, "proxy:8080");
    expect_proxy("proxy:8080", 1, ok, "proxy:8080");
    expect_proxy("  http://proxy:3128  other:1", 0, ok, "http://proxy:3128");
    expect_proxy("http=p1:80 https=p2:443", 0, ok, "p1:80");
    expect_proxy("http=p1:80 https=p2:443", 1, ok, "p2:443");
    expect_proxy("HTTPS=p2:443;HTTP=p1:80", 0, ok, "p1:80");
    expect_proxy("https=https://p2:443 fallback:1", 0, ok, "fallback:1");
    expect_proxy("http=p1:80", 1, bad, NULL); /* nothing for https */
    expect_proxy("", 0, bad, NULL);
    expect_proxy("   ", 0, bad, NULL);
    expect_proxy("ftp=p:21", 0, bad, NULL);
    expect_proxy("http=", 0, bad, NULL);
    expect_proxy("socks5://p:1080", 0, bad, NULL);
    expect_proxy("http://", 0, bad, NULL);
    expect_proxy("http=a=b", 0, bad, NULL);
}

static void expect_noproxy(const char *list, const char *want)
{
    char *out = bgcopy__http_noproxy(list);
    assert_non_null(out);
    assert_string_equal(want, out);
    free(out);
}

static void test_bypass_list(void **state)
{
    expect_noproxy(NULL, "");
    expect_noproxy("", "");
    expect_noproxy("intranet.example", "intranet.example");
    expect_noproxy("*.example.com  10.0.0.1;host", ".example.com,10.0.0.1,host");
    expect_noproxy("<local> *.corp", ".corp");
    expect_noproxy("10.* *", "*");       /* a '*' inside cannot be expressed; a lone '*' is all */
    expect_noproxy("host * other", "*"); /* curl honours "*" only as the whole list */
    expect_noproxy("<local>", "");
}

/* bgcopy__http_bypassed: libcurl's NOPROXY matching, used to tell whether a failed request went
 * through the OVERRIDE proxy. */
static void test_bypassed(void **state)
{
    static const struct {
        const char *list, *host;
        int want;
    } cases[] = {
        {NULL, "example.com", 0},
        {"", "example.com", 0},
        {"*", "anything.example", 1},
        {"*", "[::1]", 1},
        {"example.com", "example.com", 1},
        {"example.com", "EXAMPLE.Com", 1},
        {"Example.COM", "www.example.com", 1},
        {".example.com", "www.example.com", 1},
        {".example.com", "example.com", 1},
        {"example.com.", "example.com", 1},
        {"example.com", "example.com.", 1},
        {"example.com", "notexample.com", 0},
        {"example.com", "example.com.evil", 0},
        {"www.example.com", "example.com", 0},
        {"other, example.com", "a.example.com", 1},
        {"other,,  example.com ,x", "example.com", 1},
        {"other", "example.com", 0},
        {"127.0.0.1", "127.0.0.1", 1},
        {"127.0.0.1", "127.0.0.2", 0},
        {"127.0.0.0/8", "127.9.8.7", 1},
        {"10.0.0.0/8", "127.0.0.1", 0},
        {"192.168.0.0/16", "192.168.255.1", 1},
        {"192.168.0.0/17", "192.168.128.1", 0},
        {"127.0.0.1/0", "127.0.0.1", 1}, /* /0: the whole address, as curl reads it */
        {"127.0.0.1/33", "127.0.0.1", 0},
        {"localhost", "127.0.0.1", 0}, /* names never match addresses */
        {"0.0.1", "127.0.0.1", 0},     /* nor name-style suffixes of them */
        {"::1", "[::1]", 1},
        {"::1", "[::2]", 0},
        {"fd00::/8", "[fd12:3456::1]", 1},
        {"fd00::/8", "[fe80::1]", 0},
        {"2001:db8::/33", "[2001:db8:8000::1]", 0},
        {"::1", "[::1", 0},
        {"example.com", "", 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (bgcopy__http_bypassed(cases[i].list, cases[i].host) != cases[i].want)
            fail_msg("NOPROXY \"%s\", host \"%s\": expected %d",
                     cases[i].list ? cases[i].list : "(null)", cases[i].host, cases[i].want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length_valid),
        cmocka_unit_test(test_content_length_invalid),
        cmocka_unit_test(test_content_range_valid),
        cmocka_unit_test(test_content_range_invalid),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_head_206),
        cmocka_unit_test(test_head_nothing_known),
        cmocka_unit_test(test_head_status_lines),
        cmocka_unit_test(test_head_final_block_counts),
        cmocka_unit_test(test_head_folded_headers),
        cmocka_unit_test(test_head_duplicates),
        cmocka_unit_test(test_head_invalid_values_are_absent),
        cmocka_unit_test(test_head_unsatisfied_range),
        cmocka_unit_test(test_head_transfer_encoding_voids_length),
        cmocka_unit_test(test_head_long_lines),
        cmocka_unit_test(test_head_lines_without_crlf),
        cmocka_unit_test(test_proxy_list),
        cmocka_unit_test(test_bypass_list),
        cmocka_unit_test(test_bypassed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
