/* fuzz/proxy_lists_fuzzer.c - fuzzes the curl transport's readers of a job's proxy settings
 * (backend-curl/http.c, declared in backend-curl/http-int.h): the BITS proxy list
 * (bgcopy__http_pick_proxy), the conversion of a BITS bypass list into libcurl's NOPROXY list
 * (bgcopy__http_noproxy), and the host matching against that list (bgcopy__http_bypassed).
 *
 * Input: byte 0 is flags (bit 0: https URL), then a proxy list, a bypass list and a host name,
 * separated by NUL bytes. Checks:
 *   - pick_proxy returns S_OK with a non-empty proxy that has no "<scheme>=" prefix, no blank
 *     and no ';', and that appears in the list; or BG_E_INVALID_PROXY_INFO (or E_OUTOFMEMORY)
 *     with *out NULL;
 *   - noproxy returns a comma-separated list with no blank, no ';', no empty entry, no
 *     "<local>" and no '*' except as the whole list "*"; a list holding a lone "*" entry
 *     becomes exactly "*";
 *   - bypassed is 0 or 1; "*" bypasses every (non-empty) host, an empty list none; a name entry
 * matches itself case-insensitively and every name under it (checked by building "x." + entry).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgcopy.h"
#include "fuzz-util.h"
#include "http-int.h"

/* The next NUL-terminated field of [*p, end), malloc'ed; advances *p past it. */
static char *next_field(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *start = *p;
    char *s;

    while (*p < end && **p != 0)
        (*p)++;
    s = fz_cstr(start, (size_t)(*p - start));
    if (*p < end)
        (*p)++;
    return s;
}

/* Whether list holds "*" as one of its entries (separated by blanks, ';' or ','). */
static int lone_star(const char *list)
{
    const char *p = list;
    while (*p) {
        size_t n;
        p += strspn(p, " \t;,");
        n = strcspn(p, " \t;,");
        if (n == 1 && *p == '*')
            return 1;
        p += n;
    }
    return 0;
}

static void check_pick(const char *list, int https)
{
    char *out = (char *)1;
    bgcopy_hr hr = bgcopy__http_pick_proxy(list, https, &out);

    if (hr == BGCOPY_S_OK) {
        FZ_CHECK(out != NULL && out[0] != '\0');
        FZ_CHECK(strpbrk(out, " \t;") == NULL);
        FZ_CHECK(strstr(list, out) != NULL);
        free(out);
    } else {
        FZ_CHECK(hr == BGCOPY_E_INVALID_PROXY_INFO || hr == BGCOPY_E_OUTOFMEMORY);
        FZ_CHECK(out == NULL);
    }
}

static void check_noproxy(const char *bypass, const char *host)
{
    char *np = bgcopy__http_noproxy(bypass);
    const char *p;
    int b;

    FZ_CHECK(np != NULL);
    if (lone_star(bypass)) {
        FZ_CHECK(strcmp(np, "*") == 0);
    } else if (np[0] != '\0') {
        FZ_CHECK(np[0] != ',' && np[strlen(np) - 1] != ',' && strstr(np, ",,") == NULL);
        FZ_CHECK(strpbrk(np, " \t;*") == NULL);
        FZ_CHECK(strcmp(np, "<local>") != 0 && strncmp(np, "<local>,", 8) != 0 &&
                 strstr(np, ",<local>,") == NULL &&
                 (strlen(np) < 8 || strcmp(np + strlen(np) - 8, ",<local>") != 0));
    }

    b = bgcopy__http_bypassed(np, host);
    FZ_CHECK(b == 0 || b == 1);
    FZ_CHECK(bgcopy__http_bypassed("*", host) == (host[0] != '\0'));
    FZ_CHECK(bgcopy__http_bypassed("", host) == 0);
    FZ_CHECK(bgcopy__http_bypassed(NULL, host) == 0);

    /* Each plain name entry (letters, digits, '-' and inner dots) matches itself and a name
     * under it. */
    for (p = np; *p && strcmp(np, "*") != 0;) {
        size_t n = strcspn(p, ",");
        char entry[256], sub[300], upper[256];
        size_t i;
        int plain = n > 0 && n < sizeof(entry) && p[0] != '.' && p[n - 1] != '.';

        for (i = 0; plain && i < n; i++)
            if (!((p[i] >= 'a' && p[i] <= 'z') || p[i] == '-' || (p[i] == '.' && p[i + 1] != '.')))
                plain = 0;
        if (plain) {
            memcpy(entry, p, n);
            entry[n] = '\0';
            for (i = 0; i <= n; i++)
                upper[i] = (char)(entry[i] >= 'a' && entry[i] <= 'z' ? entry[i] - 32 : entry[i]);
            snprintf(sub, sizeof(sub), "x.%s", entry);
            FZ_CHECK(bgcopy__http_bypassed(np, entry) == 1);
            FZ_CHECK(bgcopy__http_bypassed(np, upper) == 1);
            if (strlen(sub) <= 253) /* longer is no DNS name: never matched */
                FZ_CHECK(bgcopy__http_bypassed(np, sub) == 1);
        }
        p += n;
        if (*p == ',')
            p++;
    }
    free(np);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data + (size > 0), *end = data + size;
    int https = size > 0 && (data[0] & 1);
    char *list = next_field(&p, end), *bypass = next_field(&p, end), *host = next_field(&p, end);

    check_pick(list, https);
    check_noproxy(bypass, host);
    free(list);
    free(bypass);
    free(host);
    return 0;
}
