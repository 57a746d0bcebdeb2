/* fuzz/custom_headers_fuzzer.c - fuzzes custom-header validation (bgcopy__validate_headers,
 * core/names.c) against an independent oracle, and the public SetCustomHeaders /
 * GetCustomHeaders pair on a simulated job.
 *
 * The input is the header block (an embedded NUL ends it). The oracle splits the block at CRLF
 * (reference 8.8: each line ends with CRLF; a last line without one is accepted) and requires
 * every line to be "Name:value" with Name a non-empty RFC 7230 token and value free of control
 * bytes other than TAB; an empty line, a CR not followed by LF or a lone LF is invalid, so no
 * header can be smuggled into a request. The empty block is valid. The public API must agree
 * with the validator (E_INVALIDARG exactly when it refuses, for blocks under the 16,384
 * character limit) and hand back the same bytes it was given.
 */
#include <stdlib.h>
#include <string.h>

#include "bgcopy.h"
#include "core-int.h"
#include "fuzz-util.h"

static int token_char(unsigned char c)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    size_t i;

    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return 1;
    }
    for (i = 0; i < sizeof(extra) - 1; i++) {
        if ((unsigned char)extra[i] == c) {
            return 1;
        }
    }
    return 0;
}

/* One line [s, s + n) without its terminator. */
static int line_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n && token_char(s[i])) {
        i++;
    }
    if (i == 0 || i == n || s[i] != ':') {
        return 0;
    }
    for (i++; i < n; i++) {
        if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7F) {
            return 0; /* includes any CR or LF left inside the line */
        }
    }
    return 1;
}

static int oracle(const char *block)
{
    const unsigned char *s = (const unsigned char *)block;
    size_t len = strlen(block), start = 0, i;

    for (i = 0; i + 1 < len; i++) {
        if (s[i] == '\r' && s[i + 1] == '\n') {
            if (!line_ok(s + start, i - start)) {
                return 0;
            }
            start = i + 2;
            i++;
        }
    }
    return start == len || line_ok(s + start, len - start);
}

static bgcopy_sim *sim;
static bgcopy_manager *mgr;
static bgcopy_job *job;

static void cleanup(void)
{
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    (void)bgcopy_sim_destroy(sim);
}

static void setup(void)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;

    FZ_CHECK(bgcopy_sim_create(NULL, &sim) == BGCOPY_S_OK);
    o.sim = sim;
    o.user = "fuzz";
    FZ_CHECK(bgcopy_manager_open(&o, &mgr) == BGCOPY_S_OK);
    FZ_CHECK(bgcopy_manager_create_job(mgr, "headers", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job) ==
             BGCOPY_S_OK);
    atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *block = fz_cstr(data, size), *back = NULL;
    int valid = oracle(block);
    bgcopy_hr hr = bgcopy__validate_headers(block);

    if (job == NULL) {
        setup();
    }
    FZ_CHECK(hr == (valid ? BGCOPY_S_OK : BGCOPY_E_INVALIDARG));
    FZ_CHECK(bgcopy__validate_headers(NULL) == BGCOPY_S_OK);

    /* The public setter: rejected blocks leave the previous value in place. */
    FZ_CHECK(bgcopy_job_set_custom_headers(job, "X-Before: 1\r\n") == BGCOPY_S_OK);
    hr = bgcopy_job_set_custom_headers(job, block);
    if (strlen(block) <= BGCOPY__MAX_CUSTOM_HEADERS) {
        FZ_CHECK(hr == (valid ? BGCOPY_S_OK : BGCOPY_E_INVALIDARG));
    } else {
        FZ_CHECK(BGCOPY_FAILED(hr));
    }
    if (hr == BGCOPY_S_OK) {
        hr = bgcopy_job_get_custom_headers(job, &back);
        FZ_CHECK(BGCOPY_SUCCEEDED(hr));
        if (block[0] != '\0') {
            FZ_CHECK(hr == BGCOPY_S_OK && back != NULL && strcmp(back, block) == 0);
        }
    } else {
        FZ_CHECK(bgcopy_job_get_custom_headers(job, &back) == BGCOPY_S_OK);
        FZ_CHECK(back != NULL && strcmp(back, "X-Before: 1\r\n") == 0);
    }
    bgcopy_free(back);
    FZ_CHECK(bgcopy_job_set_custom_headers(job, NULL) == BGCOPY_S_OK);
    back = (char *)1;
    FZ_CHECK(bgcopy_job_get_custom_headers(job, &back) == BGCOPY_S_FALSE && back == NULL);
    free(block);
    return 0;
}
