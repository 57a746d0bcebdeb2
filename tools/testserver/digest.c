/* tools/testserver/digest.c - MD5 and HTTP Digest authentication for bgcopy-testserver.
 *
 * The server has no TLS library, so MD5 (RFC 1321) is written out here: ts_md5_hex hashes a
 * buffer in one call. On top of it, the Digest scheme of RFC 7616 with algorithm MD5 and
 * qop=auth, as the `auth_scheme=digest` and `proxy_auth_scheme=digest` faults use it: the
 * challenge (WWW-Authenticate / Proxy-Authenticate) and the check of a client's Authorization /
 * Proxy-Authorization. One nonce serves the whole process (made at startup, see
 * bgcopy-testserver.c); nonce counts are not tracked, so a replayed answer is accepted - this is
 * a test server, not a gatekeeper. userhash, MD5-sess, SHA-256 and qop=auth-int are not offered
 * and are refused. Pure functions; loop thread or any other.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "testserver.h"

/* ---- MD5 (RFC 1321) ------------------------------------------------------------------------ */

/* T[i] = floor(2^32 * |sin(i + 1)|) (RFC 1321 section 3.4). */
static const uint32_t md5_t[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* Left-rotation amounts, four per round. */
static const unsigned md5_s[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

static uint32_t rotl(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

/* Processes one 64-byte block into the state h[4]. */
static void md5_block(uint32_t h[4], const unsigned char *p)
{
    uint32_t m[16], a = h[0], b = h[1], c = h[2], d = h[3];

    for (unsigned i = 0; i < 16; i++)
        m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
               (uint32_t)p[4 * i + 3] << 24;
    for (unsigned i = 0; i < 64; i++) {
        uint32_t f;
        unsigned g;
        switch (i / 16) {
        case 0:
            f = (b & c) | (~b & d);
            g = i;
            break;
        case 1:
            f = (d & b) | (~d & c);
            g = (5 * i + 1) % 16;
            break;
        case 2:
            f = b ^ c ^ d;
            g = (3 * i + 5) % 16;
            break;
        default:
            f = c ^ (b | ~d);
            g = (7 * i) % 16;
            break;
        }
        uint32_t t = d;
        d = c;
        c = b;
        b = b + rotl(a + f + md5_t[i] + m[g], md5_s[(i / 16) * 4 + i % 4]);
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
}

void ts_md5_hex(const void *data, size_t n, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    const unsigned char *p = data;
    unsigned char tail[128];
    size_t rest = n % 64, tlen;
    uint64_t bits = (uint64_t)n * 8;

    for (size_t i = 0; i + 64 <= n; i += 64)
        md5_block(h, p + i);
    /* the last partial block, the 0x80 byte, zeros, and the bit length (little-endian) */
    memset(tail, 0, sizeof(tail));
    if (rest)
        memcpy(tail, p + (n - rest), rest);
    tail[rest] = 0x80;
    tlen = rest < 56 ? 64 : 128;
    for (unsigned i = 0; i < 8; i++)
        tail[tlen - 8 + i] = (unsigned char)(bits >> (8 * i));
    md5_block(h, tail);
    if (tlen == 128)
        md5_block(h, tail + 64);
    for (unsigned i = 0; i < 16; i++) {
        unsigned char byte = (unsigned char)(h[i / 4] >> (8 * (i % 4)));
        out[2 * i] = hex[byte >> 4];
        out[2 * i + 1] = hex[byte & 15];
    }
    out[32] = '\0';
}

/* MD5 hex of parts[0..nparts) joined with ':' (the A1, A2 and KD strings of RFC 7616). */
static void md5_join(char out[33], const char *const *parts, size_t nparts)
{
    struct ts_buf b = {0};
    for (size_t i = 0; i < nparts; i++) {
        if (i)
            ts_buf_puts(&b, ":");
        ts_buf_puts(&b, parts[i]);
    }
    ts_md5_hex(b.len ? b.p : "", b.len, out);
    ts_buf_free(&b);
}

/* ---- Digest (RFC 7616) --------------------------------------------------------------------- */

#define OPAQUE "bgcopy-testserver" /* the opaque parameter, echoed back by clients */

/* The parameters of a Digest credentials value that the check looks at; each is NULL when
 * absent. They point into a private copy of the header value. */
struct digest_params {
    char *username, *realm, *nonce, *uri, *response, *algorithm, *qop, *nc, *cnonce, *opaque,
        *userhash;
};

static bool is_token_char(char c)
{
    return c && (strchr("!#$%&'*+-.^_`|~", c) || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                 (c >= 'A' && c <= 'Z'));
}

/* Parses `Digest` auth-params (RFC 9110 11.2: name = token / quoted-string, comma-separated)
 * of text, which it modifies in place. False for another scheme or bad syntax. A parameter
 * given twice is bad syntax too. */
static bool parse_params(char *text, struct digest_params *dp)
{
    static const struct {
        const char *name;
        size_t off;
    } names[] = {
        {"username", offsetof(struct digest_params, username)},
        {"realm", offsetof(struct digest_params, realm)},
        {"nonce", offsetof(struct digest_params, nonce)},
        {"uri", offsetof(struct digest_params, uri)},
        {"response", offsetof(struct digest_params, response)},
        {"algorithm", offsetof(struct digest_params, algorithm)},
        {"qop", offsetof(struct digest_params, qop)},
        {"nc", offsetof(struct digest_params, nc)},
        {"cnonce", offsetof(struct digest_params, cnonce)},
        {"opaque", offsetof(struct digest_params, opaque)},
        {"userhash", offsetof(struct digest_params, userhash)},
    };
    char *p = text;

    memset(dp, 0, sizeof(*dp));
    if (strncasecmp(p, "Digest", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
        return false;
    p += 6;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            return true;
        char *name = p;
        while (is_token_char(*p))
            p++;
        char *name_end = p;
        while (*p == ' ' || *p == '\t')
            p++;
        if (name_end == name || *p != '=')
            return false;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        char *value = p, *w = p;
        if (*p == '"') {
            p++;
            value = w = p;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                *w++ = *p++;
            }
            if (*p != '"')
                return false;
            p++;
        } else {
            while (is_token_char(*p))
                p++;
            w = p;
            if (w == value)
                return false;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p && *p != ',')
            return false;
        if (*p)
            p++;
        *name_end = '\0';
        *w = '\0';
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            if (strcasecmp(name, names[i].name) == 0) {
                char **slot = (char **)((char *)dp + names[i].off);
                if (*slot)
                    return false;
                *slot = value;
            }
        }
    }
}

/* True when uri names the request target: equal to it, or, for an absolute-form target
 * (through a proxy), to its origin-form part (path and query), which is what most clients put
 * in `uri` there. */
static bool uri_matches(const char *uri, const char *target)
{
    if (strcmp(uri, target) == 0)
        return true;
    if (strncasecmp(target, "http://", 7) != 0 && strncasecmp(target, "https://", 8) != 0)
        return false;
    const char *path = strstr(target, "://") + 3;
    path += strcspn(path, "/?");
    if (*path == '?' || !*path)
        return uri[0] == '/' && (strcmp(uri + 1, path) == 0);
    return strcmp(uri, path) == 0;
}

static bool all_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdefABCDEF", s[i]))
            return false;
    return true;
}

bool ts_digest_ok(const char *hdr, const char *userpass, const char *realm, const char *nonce,
                  const char *method, const char *target)
{
    struct digest_params dp;
    char ha1[33], ha2[33], want[33];
    bool ok = false;

    if (!hdr)
        return false;
    char *copy = ts_xstrdup(hdr);
    const char *colon = strchr(userpass, ':');
    char *user = ts_xstrndup(userpass, (size_t)(colon - userpass));
    if (!parse_params(copy, &dp) || !dp.username || !dp.realm || !dp.nonce || !dp.uri ||
        !dp.response || !dp.qop || !dp.nc || !dp.cnonce)
        goto out;
    if (dp.userhash && strcasecmp(dp.userhash, "false") != 0)
        goto out;
    if (dp.algorithm && strcasecmp(dp.algorithm, "MD5") != 0)
        goto out;
    if (dp.opaque && strcmp(dp.opaque, OPAQUE) != 0)
        goto out;
    if (strcmp(dp.username, user) != 0 || strcmp(dp.realm, realm) != 0 ||
        strcmp(dp.nonce, nonce) != 0 || strcmp(dp.qop, "auth") != 0 || !all_hex(dp.nc, 8) ||
        !*dp.cnonce || !all_hex(dp.response, 32) || !uri_matches(dp.uri, target))
        goto out;
    {
        const char *a1[] = {user, realm, colon + 1};
        md5_join(ha1, a1, 3);
    }
    {
        const char *a2[] = {method, dp.uri};
        md5_join(ha2, a2, 2);
    }
    {
        const char *kd[] = {ha1, nonce, dp.nc, dp.cnonce, "auth", ha2};
        md5_join(want, kd, 6);
    }
    ok = strcasecmp(want, dp.response) == 0;
out:
    free(copy);
    free(user);
    return ok;
}

void ts_digest_challenge(struct ts_buf *out, const char *realm, const char *nonce)
{
    ts_buf_printf(out,
                  "Digest realm=\"%s\", qop=\"auth\", algorithm=MD5, nonce=\"%s\", "
                  "opaque=\"" OPAQUE "\"",
                  realm, nonce);
}
