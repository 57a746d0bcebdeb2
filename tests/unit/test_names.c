/* tests/unit/test_names.c - pins the name checks of core/names.c.
 *
 * Remote names (which URLs and paths AddFile accepts, reference 8.1), the file:// to path
 * conversion, local names against a real temporary directory, custom-header syntax (no header
 * injection, reference 8.8) and the UTF-8 character count behind the length limits. Every
 * rejection is checked for its exact HRESULT.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core-int.h"

/* Compare as unsigned 32-bit so failures print the familiar hex value. */
#define assert_hr_equal(a, b) assert_int_equal((uint32_t)(a), (uint32_t)(b))

/* Fails the test, naming the input, when got differs from expected. */
static void expect_hr(const char *what, const char *input, bgcopy_hr got, bgcopy_hr expected)
{
    if (got != expected) {
        fail_msg("%s(\"%s\") = 0x%08X, expected 0x%08X", what, input, (unsigned)(uint32_t)got,
                 (unsigned)(uint32_t)expected);
    }
}

/* ---- remote names ----------------------------------------------------------------- */

static void remote_accepts(const char *url, int expected_kind)
{
    int kind = 0;

    expect_hr("validate_remote", url, bgcopy__validate_remote(url, &kind), BGCOPY_S_OK);
    assert_int_equal(kind, expected_kind);
}

static void test_remote_accepted(void **state)
{
    (void)state;
    remote_accepts("http://example.test/a.bin", BGCOPY__URL_HTTP);
    remote_accepts("HTTPS://h:8080/x?y=1", BGCOPY__URL_HTTP);
    remote_accepts("http://[::1]:80/a", BGCOPY__URL_HTTP);
    remote_accepts("http://user:pw@h/a", BGCOPY__URL_HTTP);
    remote_accepts("http://h:65535/a%20b", BGCOPY__URL_HTTP);
    remote_accepts("http://h", BGCOPY__URL_HTTP);
    remote_accepts("file:///tmp/a", BGCOPY__URL_FILE);
    remote_accepts("file://localhost/tmp/a", BGCOPY__URL_FILE);
    remote_accepts("/tmp/a", BGCOPY__URL_FILE);
    remote_accepts("/tmp/a b", BGCOPY__URL_FILE);
    /* kind is optional */
    assert_hr_equal(bgcopy__validate_remote("/tmp/a", NULL), BGCOPY_S_OK);
}

static void test_remote_rejected(void **state)
{
    static const char *const bad[] = {
        "",
        "ftp://h/a",
        "mailto:a@b",
        "http:/x",
        "http://",
        "http:///a",
        "http://h:0/",
        "http://h:65536/",
        "http://h:/a",
        "http://h:8x/a",
        "http://h/a b",
        "http://h/a\tb",
        "http://h/%zz",
        "http://h/%2",
        "http://h/a\\b",
        "http://h/<a>",
        "http://[::1/a",
        "http://[]/a",
        "relative/path",
        "file://server/share/a",
        "file://localhost",
        "file:///tmp/a b",
        "/tmp/a*b",
        "/tmp/a?b",
        "/tmp/a\nb",
    };
    size_t i;
    int kind = 12345;

    (void)state;
    assert_hr_equal(bgcopy__validate_remote(NULL, &kind), BGCOPY_E_INVALIDARG);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_hr("validate_remote", bad[i], bgcopy__validate_remote(bad[i], &kind),
                  BGCOPY_E_INVALIDARG);
    }
    assert_int_equal(kind, 12345); /* untouched on failure */
}

/* "http://h/aaaa..." of exactly len bytes (malloc'ed). */
static char *url_of_length(size_t len)
{
    char *url = malloc(len + 1);

    assert_non_null(url);
    memset(url, 'a', len);
    memcpy(url, "http://h/", 9);
    url[len] = '\0';
    return url;
}

static void test_remote_length_limit(void **state)
{
    char *ok = url_of_length(BGCOPY__MAX_URL);
    char *too_long = url_of_length(BGCOPY__MAX_URL + 1);

    (void)state;
    assert_int_equal(BGCOPY__MAX_URL, 2200);
    assert_hr_equal(bgcopy__validate_remote(ok, NULL), BGCOPY_S_OK);
    assert_hr_equal(bgcopy__validate_remote(too_long, NULL), BGCOPY_E_INVALIDARG);
    free(ok);
    free(too_long);
}

static void path_is(const char *url, const char *expected)
{
    char *path = NULL;

    assert_hr_equal(bgcopy__file_url_to_path(url, &path), BGCOPY_S_OK);
    assert_non_null(path);
    assert_string_equal(path, expected);
    free(path);
}

static void test_file_url_to_path(void **state)
{
    char *path = (char *)"sentinel";

    (void)state;
    path_is("file:///tmp/a%20b", "/tmp/a b");
    path_is("FILE://LocalHost/tmp/%41%2f", "/tmp/A/");
    path_is("file:///tmp/a", "/tmp/a");
    path_is("/tmp/a%20b", "/tmp/a%20b"); /* plain paths are verbatim */
    assert_hr_equal(bgcopy__file_url_to_path("file:///tmp/a%00b", &path), BGCOPY_E_INVALIDARG);
    assert_null(path);
    assert_hr_equal(bgcopy__file_url_to_path("http://h/a", &path), BGCOPY_E_INVALIDARG);
    assert_hr_equal(bgcopy__file_url_to_path(NULL, &path), BGCOPY_E_INVALIDARG);
    assert_hr_equal(bgcopy__file_url_to_path("/tmp/a", NULL), BGCOPY_E_INVALIDARG);
}

/* ---- local names -------------------------------------------------------------------- */

struct tmpdir {
    char path[4096];
};

static int setup_tmpdir(void **state)
{
    struct tmpdir *t = calloc(1, sizeof(*t));
    char cwd[2048];

    if (t == NULL || getcwd(cwd, sizeof(cwd)) == NULL) {
        free(t);
        return -1;
    }
    snprintf(t->path, sizeof(t->path), "%s/test_names.XXXXXX", cwd);
    if (mkdtemp(t->path) == NULL) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int teardown_tmpdir(void **state)
{
    struct tmpdir *t = *state;
    int rc = rmdir(t->path);

    free(t);
    return rc;
}

static void local_is(const struct tmpdir *t, const char *suffix, bgcopy_hr expected)
{
    char path[4200];

    snprintf(path, sizeof(path), "%s%s", t->path, suffix);
    expect_hr("validate_local", path, bgcopy__validate_local(path), expected);
}

static void test_local(void **state)
{
    const struct tmpdir *t = *state;

    local_is(t, "/f", BGCOPY_S_OK);
    local_is(t, "/", BGCOPY_E_INVALIDARG);
    local_is(t, "/missing/f", BGCOPY_E_WIN32_PATH_NOT_FOUND);
    local_is(t, "", BGCOPY_E_INVALIDARG); /* the directory itself */
    local_is(t, "/a\tb", BGCOPY_E_INVALIDARG);
    assert_hr_equal(BGCOPY_E_WIN32_PATH_NOT_FOUND, (bgcopy_hr)0x80070003u);
    assert_hr_equal(bgcopy__validate_local("rel"), BGCOPY_E_INVALIDARG);
    assert_hr_equal(bgcopy__validate_local(""), BGCOPY_E_INVALIDARG);
    assert_hr_equal(bgcopy__validate_local(NULL), BGCOPY_E_INVALIDARG);
}

static void test_local_length_limit(void **state)
{
    char *path = malloc(BGCOPY__MAX_LOCAL_PATH + 2);

    (void)state;
    assert_non_null(path);
    memset(path, 'a', BGCOPY__MAX_LOCAL_PATH + 1);
    path[0] = '/';
    path[BGCOPY__MAX_LOCAL_PATH + 1] = '\0';
    assert_hr_equal(bgcopy__validate_local(path), BGCOPY_E_INVALIDARG);
    free(path);
}

/* ---- custom headers ---------------------------------------------------------------- */

static void test_headers(void **state)
{
    static const char *const good[] = {
        "A: b\r\n", "A: b\r\nC: d\r\n", "A: b", "X-Tab:\tv\r\n", "A:", "",
    };
    static const char *const bad[] = {
        "A: b\nC: d",      "A: b\rC",    "A: b\r\n\r\n",        ": v\r\n",   "A b\r\n",
        "A : b\r\n",       "\r\n",       "A: b\r\nX-Evil: 1\n", " A: b\r\n", "A: b\x01\r\n",
        "A: b\r\n\tc\r\n", "(A): b\r\n",
    };
    size_t i;

    (void)state;
    assert_hr_equal(bgcopy__validate_headers(NULL), BGCOPY_S_OK);
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        expect_hr("validate_headers", good[i], bgcopy__validate_headers(good[i]), BGCOPY_S_OK);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_hr("validate_headers", bad[i], bgcopy__validate_headers(bad[i]),
                  BGCOPY_E_INVALIDARG);
    }
}

/* ---- UTF-8 ------------------------------------------------------------------------- */

static void test_utf8_len(void **state)
{
    (void)state;
    assert_int_equal(bgcopy__utf8_len("h\xc3\xa9llo"), 5); /* héllo */
    assert_int_equal(bgcopy__utf8_len(""), 0);
    assert_int_equal(bgcopy__utf8_len(NULL), 0);
    assert_int_equal(bgcopy__utf8_len("\xe2\x82\xac\xf0\x9f\x98\x80"), 2); /* U+20AC U+1F600 */
    /* invalid sequences count one per byte */
    assert_int_equal(bgcopy__utf8_len("\x80\x80"), 2);
    assert_int_equal(bgcopy__utf8_len("\xc3"), 1);
    assert_int_equal(bgcopy__utf8_len("\xe2\x82x"), 3);
    assert_int_equal(bgcopy__utf8_len("\xc0\xaf"), 2); /* overlong '/' */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remote_accepted),
        cmocka_unit_test(test_remote_rejected),
        cmocka_unit_test(test_remote_length_limit),
        cmocka_unit_test(test_file_url_to_path),
        cmocka_unit_test_setup_teardown(test_local, setup_tmpdir, teardown_tmpdir),
        cmocka_unit_test(test_local_length_limit),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_utf8_len),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
