/* core/util.c - small pure helpers shared by the core and exported as public utilities.
 *
 * Internal: string duplication (bgcopy__strdup, bgcopy__dup_out), zeroed allocation
 * (bgcopy__calloc) and random version-4 GUIDs (bgcopy__new_guid). Public: bgcopy_free, GUID
 * text conversion and comparison, the names of the BITS enumerations as bitsadmin prints them,
 * FILETIME <-> Unix time conversion and the library version. Nothing here keeps state, so every
 * function is thread-safe.
 */
#include <stdlib.h>
#include <string.h>

#include "core-int.h"

/* FILETIME ticks (100 ns) per second. */
#define TICKS_PER_SECOND 10000000ULL

/* ---- allocation and strings ------------------------------------------------ */

/* A malloc'ed copy of s, or NULL when s is NULL or memory runs out. */
char *bgcopy__strdup(const char *s)
{
    size_t len;
    char *copy;

    if (s == NULL) {
        return NULL;
    }
    len = strlen(s) + 1;
    copy = malloc(len);
    if (copy != NULL) {
        memcpy(copy, s, len);
    }
    return copy;
}

/* *out receives a malloc'ed copy of s (NULL for NULL s). Returns S_OK, or E_OUTOFMEMORY with
 * *out NULL. out must not be NULL. */
bgcopy_hr bgcopy__dup_out(const char *s, char **out)
{
    *out = NULL;
    if (s == NULL) {
        return BGCOPY_S_OK;
    }
    *out = bgcopy__strdup(s);
    return *out != NULL ? BGCOPY_S_OK : BGCOPY_E_OUTOFMEMORY;
}

/* Zeroed memory for n objects of size bytes (overflow-checked by calloc). A zero-sized request
 * still returns a unique pointer, so NULL always means "out of memory". */
void *bgcopy__calloc(size_t n, size_t size)
{
    if (n == 0 || size == 0) {
        n = 1;
        size = 1;
    }
    return calloc(n, size);
}

void bgcopy_free(void *p)
{
    free(p);
}

/* ---- GUIDs ------------------------------------------------------------------- */

/* Fills *g with a random RFC 4122 version-4 GUID. Bytes are in canonical text order, so the
 * version nibble is the high nibble of b[6] and the variant bits (10xx) the top of b[8].
 * Errors: E_POINTER (g NULL), the failure of bgcopy__sys_random. */
bgcopy_hr bgcopy__new_guid(bgcopy_guid *g)
{
    bgcopy_hr hr;

    if (g == NULL) {
        return BGCOPY_E_POINTER;
    }
    hr = bgcopy__sys_random(g->b, sizeof(g->b));
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    g->b[6] = (uint8_t)((g->b[6] & 0x0Fu) | 0x40u);
    g->b[8] = (uint8_t)((g->b[8] & 0x3Fu) | 0x80u);
    return BGCOPY_S_OK;
}

/* Byte index at which each hyphen of "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" follows. */
static int hyphen_after(size_t byte)
{
    return byte == 3 || byte == 5 || byte == 7 || byte == 9;
}

bgcopy_hr bgcopy_guid_to_string(const bgcopy_guid *guid, char *buf)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    char *p = buf;

    if (guid == NULL || buf == NULL) {
        return BGCOPY_E_POINTER;
    }
    *p++ = '{';
    for (i = 0; i < sizeof(guid->b); i++) {
        *p++ = digits[guid->b[i] >> 4];
        *p++ = digits[guid->b[i] & 0x0Fu];
        if (hyphen_after(i)) {
            *p++ = '-';
        }
    }
    *p++ = '}';
    *p = '\0';
    return BGCOPY_S_OK;
}

int bgcopy__hex_value(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Accepts exactly "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (36 characters) or the same inside one
 * pair of braces, hex digits of either case; nothing before or after. */
bgcopy_hr bgcopy_guid_from_string(const char *text, bgcopy_guid *out)
{
    bgcopy_guid g;
    size_t len, i;
    const char *p;

    if (text == NULL || out == NULL) {
        return BGCOPY_E_POINTER;
    }
    len = strlen(text);
    p = text;
    if (len == 38 && text[0] == '{' && text[37] == '}') {
        p++;
    } else if (len != 36) {
        return BGCOPY_E_INVALIDARG;
    }
    for (i = 0; i < sizeof(g.b); i++) {
        int hi = bgcopy__hex_value((unsigned char)p[0]);
        int lo = hi < 0 ? -1 : bgcopy__hex_value((unsigned char)p[1]);

        if (lo < 0) {
            return BGCOPY_E_INVALIDARG;
        }
        g.b[i] = (uint8_t)(hi << 4 | lo);
        p += 2;
        if (hyphen_after(i)) {
            if (*p != '-') {
                return BGCOPY_E_INVALIDARG;
            }
            p++;
        }
    }
    *out = g;
    return BGCOPY_S_OK;
}

int bgcopy_guid_equal(const bgcopy_guid *a, const bgcopy_guid *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

/* ---- enumeration names ---------------------------------------------------------- */

/* names[value] when value indexes the table, else NULL. */
static const char *table_name(const char *const *names, size_t count, int value)
{
    if (value < 0 || (size_t)value >= count) {
        return NULL;
    }
    return names[value];
}

#define TABLE_NAME(names, value) table_name((names), sizeof(names) / sizeof((names)[0]), (value))

const char *bgcopy_job_state_name(bgcopy_job_state state)
{
    static const char *const names[] = {
        "QUEUED",          "CONNECTING",  "TRANSFERRING", "SUSPENDED", "ERROR",
        "TRANSIENT_ERROR", "TRANSFERRED", "ACKNOWLEDGED", "CANCELLED",
    };
    return TABLE_NAME(names, (int)state);
}

const char *bgcopy_job_priority_name(bgcopy_job_priority priority)
{
    static const char *const names[] = {"FOREGROUND", "HIGH", "NORMAL", "LOW"};
    return TABLE_NAME(names, (int)priority);
}

const char *bgcopy_job_type_name(bgcopy_job_type type)
{
    static const char *const names[] = {"DOWNLOAD", "UPLOAD", "UPLOAD_REPLY"};
    return TABLE_NAME(names, (int)type);
}

const char *bgcopy_error_context_name(bgcopy_error_context context)
{
    static const char *const names[] = {
        "NONE",
        "UNKNOWN",
        "GENERAL_QUEUE_MANAGER",
        "QUEUE_MANAGER_NOTIFICATION",
        "LOCAL_FILE",
        "REMOTE_FILE",
        "GENERAL_TRANSPORT",
        "REMOTE_APPLICATION",
        "SERVER_CERTIFICATE_CALLBACK",
    };
    return TABLE_NAME(names, (int)context);
}

/* ---- time ------------------------------------------------------------------------- */

/* Whole seconds and the fraction are converted separately (before the epoch offset is added)
 * so a present-day time keeps the resolution of its double. Times before 1601 (and NaN) give
 * 0; times past the FILETIME range give UINT64_MAX. */
bgcopy_filetime bgcopy_filetime_from_unix(double unix_seconds)
{
    const double epoch = (double)BGCOPY_FILETIME_UNIX_EPOCH;
    int64_t whole;
    double frac;

    if (!(unix_seconds > -epoch)) {
        return 0; /* negative FILETIME, or NaN */
    }
    if (unix_seconds >= (double)(UINT64_MAX / TICKS_PER_SECOND) - epoch) {
        return UINT64_MAX;
    }
    whole = (int64_t)unix_seconds; /* truncates toward zero; make it floor (no libm) */
    if ((double)whole > unix_seconds) {
        whole--;
    }
    frac = unix_seconds - (double)whole; /* in [0, 1) */
    return (uint64_t)(whole + (int64_t)BGCOPY_FILETIME_UNIX_EPOCH) * TICKS_PER_SECOND +
           (uint64_t)(frac * (double)TICKS_PER_SECOND + 0.5);
}

/* FILETIMEs before 1970 (including 0, "not set") give 0. */
double bgcopy_filetime_to_unix(bgcopy_filetime ft)
{
    uint64_t secs = ft / TICKS_PER_SECOND;
    uint64_t rest = ft % TICKS_PER_SECOND;

    if (secs < BGCOPY_FILETIME_UNIX_EPOCH) {
        return 0.0;
    }
    return (double)(secs - BGCOPY_FILETIME_UNIX_EPOCH) + (double)rest / (double)TICKS_PER_SECOND;
}

const char *bgcopy_version(void)
{
    return BGCOPY_VERSION_STRING;
}
