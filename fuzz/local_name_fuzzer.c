/* fuzz/local_name_fuzzer.c - fuzzes local-name validation (bgcopy__validate_local, core/names.c)
 * against an independent oracle written from reference 8.1 and the contract in names.c.
 *
 * Every path is built under a scratch directory made once per process, so the target only ever
 * looks at (stat, access) files it created: "<tmp>/sub/" (a directory), "<tmp>/file" (a regular
 * file, which makes "<tmp>/file/x" a path through a non-directory) and "<tmp>/sub/existing". The
 * first input byte picks the prefix ("<tmp>/", "<tmp>/sub/", "<tmp>/file/", "<tmp>" with no
 * separator, or "<tmp>/sub/existing"); the rest is appended verbatim (an embedded NUL ends it).
 * The oracle, from the C library directly:
 *   - not absolute, ends in '/', longer than 4,095 bytes or holds a control byte (< 0x20, DEL)
 *     -> E_INVALIDARG;
 *   - the directory part is missing or not a directory -> ERROR_PATH_NOT_FOUND;
 *   - other stat failures (ENAMETOOLONG, ELOOP ...) -> some failure;
 *   - not writable -> E_ACCESSDENIED;
 *   - the path is an existing directory -> E_INVALIDARG; otherwise S_OK.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core-int.h"
#include "fuzz-util.h"

static char root[512];

static void cleanup(void)
{
    fz_rmtree(root);
}

static void setup(void)
{
    char p[600];

    fz_tempdir(root, sizeof(root), "local");
    snprintf(p, sizeof(p), "%s/sub", root);
    FZ_CHECK(mkdir(p, 0700) == 0);
    snprintf(p, sizeof(p), "%s/file", root);
    fz_write_file(p, 10);
    snprintf(p, sizeof(p), "%s/sub/existing", root);
    fz_write_file(p, 1);
    atexit(cleanup);
}

/* The HRESULT the oracle expects; *exact is 0 when any failure is acceptable. */
static bgcopy_hr oracle(const char *path, int *exact)
{
    const unsigned char *p;
    const char *slash;
    size_t len = strlen(path);
    char *dir;
    struct stat st;
    bgcopy_hr hr = BGCOPY_S_OK;

    *exact = 1;
    if (path[0] != '/' || path[len - 1] == '/' || len > 4095) {
        return BGCOPY_E_INVALIDARG;
    }
    for (p = (const unsigned char *)path; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7F) {
            return BGCOPY_E_INVALIDARG;
        }
    }
    slash = strrchr(path, '/');
    dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
    FZ_CHECK(dir != NULL);
    if (stat(dir, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            hr = BGCOPY_E_WIN32_PATH_NOT_FOUND;
        } else {
            *exact = 0;
            hr = BGCOPY_E_FAIL;
        }
    } else if (!S_ISDIR(st.st_mode)) {
        hr = BGCOPY_E_WIN32_PATH_NOT_FOUND;
    } else if (access(dir, W_OK | X_OK) != 0) {
        hr = BGCOPY_E_ACCESSDENIED;
    } else if (stat(path, &st) == 0) {
        hr = S_ISDIR(st.st_mode) ? BGCOPY_E_INVALIDARG : BGCOPY_S_OK;
    } else if (errno != ENOENT && errno != ENOTDIR) {
        *exact = 0;
        hr = BGCOPY_E_FAIL;
    }
    free(dir);
    return hr;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const prefixes[] = {"/", "/sub/", "/file/", "", "/sub/existing"};
    char *tail, *path;
    size_t plen;
    int exact;
    bgcopy_hr want, got;

    if (root[0] == '\0') {
        setup();
    }
    if (size == 0) {
        FZ_CHECK(bgcopy__validate_local(NULL) == BGCOPY_E_INVALIDARG);
        FZ_CHECK(bgcopy__validate_local("") == BGCOPY_E_INVALIDARG);
        return 0;
    }
    tail = fz_cstr(data + 1, size - 1);
    plen = strlen(root) + strlen(prefixes[data[0] % 5]) + strlen(tail) + 1;
    path = malloc(plen);
    FZ_CHECK(path != NULL);
    snprintf(path, plen, "%s%s%s", root, prefixes[data[0] % 5], tail);
    /* Bit 7 of the first byte drops the root: the tail alone (relative or "/..."), checked only
     * syntactically, so nothing outside the scratch directory is looked at. */
    if ((data[0] & 0x80) && (tail[0] != '/')) {
        FZ_CHECK(bgcopy__validate_local(tail) == BGCOPY_E_INVALIDARG);
    }

    want = oracle(path, &exact);
    got = bgcopy__validate_local(path);
    if (exact) {
        if (got != want) {
            fprintf(stderr, "path '%s': validate_local 0x%08x, oracle 0x%08x\n", path,
                    (unsigned)got, (unsigned)want);
        }
        FZ_CHECK(got == want);
    } else {
        FZ_CHECK(BGCOPY_FAILED(got));
    }
    free(path);
    free(tail);
    return 0;
}
