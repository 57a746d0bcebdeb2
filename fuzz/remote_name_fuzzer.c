/* fuzz/remote_name_fuzzer.c - fuzzes remote-name validation (bgcopy__validate_remote) and the
 * file:// URL decoder (bgcopy__file_url_to_path) of core/names.c.
 *
 * The input is the remote name (an embedded NUL ends it). Besides memory safety, checks:
 *   - an accepted name is at most 2,200 bytes and holds no space, control or DEL byte unless it
 *     is a plain path; an http(s) name starts with its scheme, a file name with "file://" or
 *     '/' (reference 8.1);
 *   - file_url_to_path succeeds only for names of kind FILE, returns an absolute path no longer
 *     than the name, and leaves *path NULL on failure; a plain path comes back verbatim;
 *   - round trip: the decoded path, percent-encoded again byte by byte, is accepted as a
 *     file:// URL and decodes to the very same path.
 */
#include <stdlib.h>
#include <string.h>

#include "core-int.h"
#include "fuzz-util.h"

static int starts_nocase(const char *s, const char *prefix)
{
    for (; *prefix != '\0'; s++, prefix++) {
        char c = *s;

        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if (c != *prefix) {
            return 0;
        }
    }
    return 1;
}

/* Bytes kept as they are when re-encoding a path: RFC 3986 unreserved plus '/'. */
static int keep_raw(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '/';
}

/* "file://" + path with every other byte as %XX (upper or lower case hex, alternating, to
 * exercise both). malloc'ed. */
static char *encode_file_url(const char *path)
{
    static const char upper[] = "0123456789ABCDEF", lower[] = "0123456789abcdef";
    size_t len = strlen(path), i, n = 0;
    char *url = malloc(strlen("file://") + 3 * len + 1);

    FZ_CHECK(url != NULL);
    memcpy(url, "file://", 7);
    n = 7;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        const char *digits = (i & 1) ? lower : upper;

        if (keep_raw(c)) {
            url[n++] = (char)c;
        } else {
            url[n++] = '%';
            url[n++] = digits[c >> 4];
            url[n++] = digits[c & 15];
        }
    }
    url[n] = '\0';
    return url;
}

static void check_round_trip(const char *path)
{
    char *url = encode_file_url(path), *again = (char *)1;
    int kind = 0;

    if (strlen(url) <= BGCOPY__MAX_URL) {
        FZ_CHECK(bgcopy__validate_remote(url, &kind) == BGCOPY_S_OK);
        FZ_CHECK(kind == BGCOPY__URL_FILE);
        FZ_CHECK(bgcopy__file_url_to_path(url, &again) == BGCOPY_S_OK);
        FZ_CHECK(again != NULL && strcmp(again, path) == 0);
        free(again);
    } else {
        FZ_CHECK(bgcopy__validate_remote(url, &kind) == BGCOPY_E_INVALIDARG);
    }
    free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url = fz_cstr(data, size), *path = (char *)1;
    const unsigned char *p;
    int kind = -7;
    bgcopy_hr hr, hr2;

    hr = bgcopy__validate_remote(url, &kind);
    FZ_CHECK(hr == BGCOPY_S_OK || hr == BGCOPY_E_INVALIDARG);
    FZ_CHECK(bgcopy__validate_remote(url, NULL) == hr);
    if (hr == BGCOPY_S_OK) {
        FZ_CHECK(kind == BGCOPY__URL_HTTP || kind == BGCOPY__URL_FILE);
        FZ_CHECK(url[0] != '\0' && strlen(url) <= BGCOPY__MAX_URL);
        if (kind == BGCOPY__URL_HTTP) {
            FZ_CHECK(starts_nocase(url, "http://") || starts_nocase(url, "https://"));
        } else {
            FZ_CHECK(starts_nocase(url, "file://") || url[0] == '/');
        }
        for (p = (const unsigned char *)url; *p != '\0'; p++) {
            FZ_CHECK(*p >= 0x20 && *p != 0x7F);
            FZ_CHECK(*p != '*' && *p != '?' ? 1 : kind == BGCOPY__URL_HTTP);
            if (url[0] != '/') {
                FZ_CHECK(*p != ' ');
            }
        }
    } else {
        FZ_CHECK(kind == -7); /* untouched on failure */
    }

    hr2 = bgcopy__file_url_to_path(url, &path);
    if (hr2 == BGCOPY_S_OK) {
        FZ_CHECK(hr == BGCOPY_S_OK && kind == BGCOPY__URL_FILE);
        FZ_CHECK(path != NULL && path[0] == '/');
        FZ_CHECK(strlen(path) <= strlen(url));
        if (url[0] == '/') {
            FZ_CHECK(strcmp(path, url) == 0);
        }
        check_round_trip(path);
        free(path);
    } else {
        FZ_CHECK(hr2 == BGCOPY_E_INVALIDARG);
        FZ_CHECK(path == NULL);
        /* Only a file name whose escapes decode to NUL is refused after validation. */
        if (hr == BGCOPY_S_OK && kind == BGCOPY__URL_FILE) {
            FZ_CHECK(strstr(url, "%00") != NULL);
        }
    }
    FZ_CHECK(bgcopy__file_url_to_path(url, NULL) == BGCOPY_E_INVALIDARG);
    free(url);
    return 0;
}
