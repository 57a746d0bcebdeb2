/* core/names.c - validation of the names a job is given: remote URLs, local paths and custom
 * HTTP headers, plus the UTF-8 character count the length limits are measured in.
 *
 * BITS does no escape processing: a remote name must already be a legal URL, so these checks
 * reject rather than repair (reference 8.1). Accepted remote names are http:// and https://
 * URLs, file:/// (or file://localhost/) URLs and plain absolute paths; SMB hosts are not
 * reachable here. Local names must be absolute paths to a file in an existing, writable
 * directory. Custom headers must be CRLF-terminated "Name: value" lines with no bare CR or LF,
 * so nothing can be smuggled into a request. Every function is pure apart from the file-system
 * look-ups of bgcopy__validate_local, and thread-safe.
 */
#include <stdlib.h>
#include <string.h>

#include "core-int.h"

/* ---- character classes ------------------------------------------------------- */

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* C0 controls and DEL. */
static int is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7F;
}

/* RFC 7230 tchar: the characters of an HTTP token (header field name). */
static int is_tchar(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Characters allowed in a reg-name host besides pct-encodings: unreserved and sub-delims, plus
 * non-ASCII bytes (an IDN host, converted by the transport). */
static int is_host_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c >= 0x80 ||
           (c != '\0' && strchr("-._~!$&'()*+,;=%", c) != NULL);
}

/* 1 when s starts with prefix, ASCII case-insensitively. */
static int has_prefix_nocase(const char *s, const char *prefix)
{
    for (; *prefix != '\0'; s++, prefix++) {
        unsigned char a = (unsigned char)*s, b = (unsigned char)*prefix;

        if (a >= 'A' && a <= 'Z') {
            a = (unsigned char)(a - 'A' + 'a');
        }
        if (a != b) {
            return 0;
        }
    }
    return 1;
}

/* ---- remote names --------------------------------------------------------------- */

/* A URL must already be legal: no spaces or controls, none of the characters that can never
 * appear in a URL, and every '%' starts a %XX escape. */
static int url_chars_ok(const char *url)
{
    const unsigned char *p;

    for (p = (const unsigned char *)url; *p != '\0'; p++) {
        if (*p <= 0x20 || *p == 0x7F || *p == '\\' || *p == '"' || *p == '<' || *p == '>') {
            return 0;
        }
        if (*p == '%') {
            if (bgcopy__hex_value(p[1]) < 0 || bgcopy__hex_value(p[2]) < 0) {
                return 0;
            }
            p += 2;
        }
    }
    return 1;
}

/* A plain absolute file path: no controls and no wildcards (BITS rejects '*' and '?'). */
static int path_chars_ok(const char *path)
{
    const unsigned char *p;

    if (path[0] != '/') {
        return 0;
    }
    for (p = (const unsigned char *)path; *p != '\0'; p++) {
        if (is_control(*p) || *p == '*' || *p == '?') {
            return 0;
        }
    }
    return 1;
}

/* Checks an optional ":port" in [p, end): 1-65535, digits only. */
static int port_ok(const char *p, const char *end)
{
    unsigned long port = 0;

    if (p == end) {
        return 1;
    }
    if (*p != ':' || ++p == end) {
        return 0; /* something other than a port, or an empty one */
    }
    for (; p < end; p++) {
        if (!is_digit((unsigned char)*p)) {
            return 0;
        }
        port = port * 10 + (unsigned long)(*p - '0');
        if (port > 65535) {
            return 0;
        }
    }
    return port >= 1;
}

/* Checks the authority [p, end) of an http(s) URL: [userinfo@]host[:port], where host is a
 * non-empty reg-name or IPv4 address, or an IPv6 literal in brackets. */
static int authority_ok(const char *p, const char *end)
{
    const char *at = NULL, *q;

    for (q = p; q < end; q++) {
        if (*q == '@') {
            at = q; /* userinfo is accepted; the host follows the last '@' */
        }
    }
    if (at != NULL) {
        p = at + 1;
    }
    if (p < end && *p == '[') {
        for (q = p + 1; q < end && *q != ']'; q++) {
            if (bgcopy__hex_value((unsigned char)*q) < 0 && *q != ':' && *q != '.') {
                return 0;
            }
        }
        if (q == end || q == p + 1) {
            return 0; /* unterminated or empty literal */
        }
        return port_ok(q + 1, end);
    }
    for (q = p; q < end && *q != ':'; q++) {
        if (!is_host_char((unsigned char)*q)) {
            return 0;
        }
    }
    if (q == p) {
        return 0; /* empty host */
    }
    return port_ok(q, end);
}

/* Checks the part of an http(s) URL after "scheme://". */
static int http_rest_ok(const char *rest)
{
    const char *end = rest + strcspn(rest, "/?#");

    return authority_ok(rest, end);
}

/* The path of a file:// URL (after "file://" and an optional "localhost"), or NULL when the
 * URL names another host or has no absolute path. */
static const char *file_url_path(const char *url)
{
    const char *rest = url + strlen("file://");

    if (has_prefix_nocase(rest, "localhost")) {
        rest += strlen("localhost");
    }
    return rest[0] == '/' ? rest : NULL;
}

/* Validates a remote name (see core-int.h). kind may be NULL. The length limit is in bytes. */
bgcopy_hr bgcopy__validate_remote(const char *url, int *kind)
{
    int k = 0;

    if (url == NULL || url[0] == '\0' || strlen(url) > BGCOPY__MAX_URL) {
        return BGCOPY_E_INVALIDARG;
    }
    if (has_prefix_nocase(url, "http://") || has_prefix_nocase(url, "https://")) {
        if (url_chars_ok(url) && http_rest_ok(strstr(url, "://") + 3)) {
            k = BGCOPY__URL_HTTP;
        }
    } else if (has_prefix_nocase(url, "file://")) {
        const char *path = file_url_path(url);

        if (path != NULL && url_chars_ok(url) && path_chars_ok(path)) {
            k = BGCOPY__URL_FILE;
        }
    } else if (path_chars_ok(url)) {
        k = BGCOPY__URL_FILE;
    }
    if (k == 0) {
        return BGCOPY_E_INVALIDARG;
    }
    if (kind != NULL) {
        *kind = k;
    }
    return BGCOPY_S_OK;
}

/* *path receives the local path of a remote name of kind BGCOPY__URL_FILE: a file:// URL has
 * its prefix (and "localhost") removed and %XX escapes decoded; an absolute path is copied
 * verbatim. Errors: E_INVALIDARG (NULL arguments, not a valid file name, an escape decoding to
 * NUL), E_OUTOFMEMORY. *path is NULL on failure. */
bgcopy_hr bgcopy__file_url_to_path(const char *url, char **path)
{
    const char *src;
    char *out, *dst;
    int kind = 0;
    bgcopy_hr hr;

    if (path == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    *path = NULL;
    hr = bgcopy__validate_remote(url, &kind);
    if (BGCOPY_FAILED(hr) || kind != BGCOPY__URL_FILE) {
        return BGCOPY_E_INVALIDARG;
    }
    if (url[0] == '/') {
        return bgcopy__dup_out(url, path);
    }
    src = file_url_path(url);
    out = malloc(strlen(src) + 1);
    if (out == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    for (dst = out; *src != '\0'; src++) {
        if (*src == '%') {
            /* validate_remote guaranteed two hex digits */
            int v = bgcopy__hex_value((unsigned char)src[1]) << 4 |
                    bgcopy__hex_value((unsigned char)src[2]);

            if (v == 0) {
                free(out);
                return BGCOPY_E_INVALIDARG;
            }
            *dst++ = (char)v;
            src += 2;
        } else {
            *dst++ = *src;
        }
    }
    *dst = '\0';
    *path = out;
    return BGCOPY_S_OK;
}

/* ---- local names ------------------------------------------------------------------ */

/* Validates a local name (see core-int.h). Errors: E_INVALIDARG (NULL, empty, relative, ending
 * in '/', longer than BGCOPY__MAX_LOCAL_PATH bytes, containing a control character, or naming
 * an existing directory), and from the file system HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND)
 * (directory missing), E_ACCESSDENIED (directory not writable), E_OUTOFMEMORY or any other
 * failure of bgcopy__fs_dir_writable / bgcopy__fs_stat. */
bgcopy_hr bgcopy__validate_local(const char *path)
{
    const unsigned char *p;
    const char *slash;
    size_t len;
    char *dir;
    bgcopy__stat st;
    bgcopy_hr hr;

    if (path == NULL || path[0] != '/') {
        return BGCOPY_E_INVALIDARG;
    }
    len = strlen(path);
    if (path[len - 1] == '/' || len > BGCOPY__MAX_LOCAL_PATH) {
        return BGCOPY_E_INVALIDARG;
    }
    for (p = (const unsigned char *)path; *p != '\0'; p++) {
        if (is_control(*p)) {
            return BGCOPY_E_INVALIDARG;
        }
    }
    slash = strrchr(path, '/');
    len = slash == path ? 1 : (size_t)(slash - path); /* "/name" lives in "/" */
    dir = malloc(len + 1);
    if (dir == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    memcpy(dir, path, len);
    dir[len] = '\0';
    hr = bgcopy__fs_dir_writable(dir);
    free(dir);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    hr = bgcopy__fs_stat(path, &st);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    if (st.exists && st.is_dir) {
        return BGCOPY_E_INVALIDARG;
    }
    return BGCOPY_S_OK;
}

/* ---- custom headers ------------------------------------------------------------------ */

/* Validates one header line starting at *p; on success advances *p past it (and past its CRLF
 * when present). A line is Name ':' value, Name a non-empty token, value free of controls
 * other than TAB; it ends at CRLF or at the end of the string. */
static int header_line_ok(const char **p)
{
    const unsigned char *s = (const unsigned char *)*p;
    const unsigned char *name = s;

    while (is_tchar(*s)) {
        s++;
    }
    if (s == name || *s != ':') {
        return 0;
    }
    for (s++; *s != '\0' && *s != '\r' && *s != '\n'; s++) {
        if (is_control(*s) && *s != '\t') {
            return 0;
        }
    }
    if (*s == '\r') {
        if (s[1] != '\n') {
            return 0; /* bare CR */
        }
        s += 2;
    } else if (*s == '\n') {
        return 0; /* bare LF */
    }
    *p = (const char *)s;
    return 1;
}

/* Validates custom headers (see core-int.h). NULL (remove the headers) and "" (no lines) are
 * S_OK. A last line without CRLF is accepted. Errors: E_INVALIDARG for a malformed line, an
 * empty line, or a CR or LF that is not part of a CRLF. */
bgcopy_hr bgcopy__validate_headers(const char *headers)
{
    const char *p = headers;

    if (headers == NULL) {
        return BGCOPY_S_OK;
    }
    while (*p != '\0') {
        if (!header_line_ok(&p)) {
            return BGCOPY_E_INVALIDARG;
        }
    }
    return BGCOPY_S_OK;
}

/* ---- UTF-8 ------------------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (1-4), or 0 when s does not start one. */
static size_t utf8_seq_len(const unsigned char *s)
{
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n, i;

    if (s[0] < 0x80) {
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        n = 2;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        n = 3;
        lo = s[0] == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
        hi = s[0] == 0xED ? 0x9F : 0xBF; /* no surrogates */
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4;
        lo = s[0] == 0xF0 ? 0x90 : 0x80;
        hi = s[0] == 0xF4 ? 0x8F : 0xBF; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 2; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0; /* also stops at the terminating NUL */
        }
    }
    return n;
}

/* Number of characters (code points) in s; each byte of an invalid sequence counts as one.
 * NULL counts as 0. */
size_t bgcopy__utf8_len(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t count = 0;

    if (s == NULL) {
        return 0;
    }
    while (*p != '\0') {
        size_t n = utf8_seq_len(p);

        p += n > 0 ? n : 1;
        count++;
    }
    return count;
}
