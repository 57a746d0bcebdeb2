/* http-int.h - private header of the HTTP(S) transport (backend-curl/): the response-head
 * parser and the CURLcode -> HRESULT mapping, exposed so unit tests can pin them exactly.
 *
 *   http.c        the transport: one I/O thread, a libuv loop, a curl multi handle
 *   http-parse.c  the response-head parser (status line, Content-Length, Content-Range, ...)
 *   http-error.c  CURLcode -> WinHTTP HRESULT and error context
 * The transport is reached only through bgcopy__transport_http_new() in core/core-int.h.
 * Nothing here includes libuv; only <curl/curl.h> for CURLcode.
 *
 * Threads: every function here is pure (no shared state) and may run on any thread; http.c
 * calls them on its I/O thread without holding any lock.
 */
#ifndef BGCOPY_HTTP_INT_H
#define BGCOPY_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "core-int.h"

/* Longest ETag kept (bytes, without the NUL); a longer one is reported as absent. */
#define BGCOPY__HTTP_MAX_ETAG 256
/* Longest header line (after unfolding) the parser looks at; a longer Content-Length,
 * Content-Range, Last-Modified or ETag is treated as invalid. */
#define BGCOPY__HTTP_MAX_LINE 4096

/* ---- response-head parser (http-parse.c) -------------------------------------------------------
 *
 * Fed the raw header lines curl hands to CURLOPT_HEADERFUNCTION, in order, including status
 * lines and the empty line that ends each block. A status line ("HTTP/<version> <3 digits>")
 * starts a new head: everything learnt before is forgotten, so with redirects followed (and
 * 1xx interim answers) only the final block counts. Continuation lines (starting with space or
 * tab, obsolete folding) extend the previous header. Header names are case-insensitive.
 *
 * Values kept:
 *   Content-Length   digits only (optional surrounding white space); a comma list of equal
 *                    values or a repeated header with the same value is accepted; junk,
 *                    overflow past 2^64-1 or differing values make it invalid (reported as
 *                    absent). Ignored (absent) when Transfer-Encoding is present (RFC 9112).
 *   Content-Range    "bytes <first>-<last>/<total>", "bytes <first>-<last>/<star>" or
 *                    "bytes <star>/<total>" (<star> is the '*' character); "bytes" is
 *                    case-insensitive; requires first <= last and last < total < 2^64-1; duplicates
 * must agree. Anything else is invalid (reported as absent). Last-Modified    any date
 * curl_getdate() understands (RFC 1123, RFC 850, asctime), converted to microseconds since the Unix
 * epoch; duplicates must agree. ETag             the trimmed value of the first ETag header.
 */
struct bgcopy__http_head {
    int status;     /* 0 until a status line was seen */
    int blank_seen; /* the empty line ending the current block arrived */
    int has_transfer_encoding;
    int cl_state; /* 0 absent, 1 valid, -1 invalid */
    uint64_t content_length;
    int cr_state;                         /* 0 absent, 1 valid, -1 invalid */
    int cr_unsatisfied;                   /* the "bytes <star>/<total>" form */
    uint64_t cr_first, cr_last, cr_total; /* cr_total BGCOPY_SIZE_UNKNOWN for "/<star>" */
    int lm_state;                         /* 0 absent, 1 valid, -1 invalid */
    int64_t last_modified_us;
    int etag_state; /* 0 absent, 1 valid, -1 invalid (too long) */
    char etag[BGCOPY__HTTP_MAX_ETAG + 1];
    /* the header being unfolded: continuation lines append to it */
    size_t pending_len;
    int pending_overflow;
    char pending[BGCOPY__HTTP_MAX_LINE + 1];
};

/* Clears h (no status, nothing known). */
void bgcopy__http_head_init(struct bgcopy__http_head *h);

/* Feeds one raw header line (len bytes, with or without its CRLF / LF; need not be
 * NUL-terminated). Never fails: malformed lines are ignored or mark the value invalid. */
void bgcopy__http_head_line(struct bgcopy__http_head *h, const char *line, size_t len);

/* Fills r from h for the engine (struct bgcopy__xfer_response, core/core-int.h): status;
 * content_length (BGCOPY_SIZE_UNKNOWN when absent or invalid); has_content_range with
 * cr_first/cr_last/cr_total (the unsatisfied form "bytes <star>/<total>" only counts for status
 * 416, reported as 0-0/<total> like the other transports; elsewhere it is invalid);
 * last_modified_us (INT64_MIN when absent or invalid); etag (points into h, NULL when absent).
 * final_url is set to NULL: the caller fills it. */
void bgcopy__http_head_response(struct bgcopy__http_head *h, struct bgcopy__xfer_response *r);

/* Parses a Content-Length value (v, len bytes). Returns 0 and *out, or -1 when invalid. */
int bgcopy__http_parse_content_length(const char *v, size_t len, uint64_t *out);

/* Parses a Content-Range value. Returns 0 with *first, *last, *total (BGCOPY_SIZE_UNKNOWN for
 * "/<star>") and *unsatisfied = 0; or 0 with *unsatisfied = 1, *total and first = last = 0 for
 * "bytes <star>/<total>"; or -1 when invalid (syntax, overflow, last < first, total <= last). */
int bgcopy__http_parse_content_range(const char *v, size_t len, uint64_t *first, uint64_t *last,
                                     uint64_t *total, int *unsatisfied);

/* Parses an HTTP date. Returns microseconds since the Unix epoch, or INT64_MIN. */
int64_t bgcopy__http_parse_date(const char *v, size_t len);

/* ---- job proxy settings (http.c) ---------------------------------------------------------- */

/* The proxy for a URL (https: 1 for https://) from a BITS proxy list (reference §2.2):
 * entries separated by spaces (or ';'), each "[<scheme>=][<scheme>://]server[:port]" with
 * schemes http / https (case-insensitive). The first entry without "<scheme>=", or whose
 * "<scheme>=" is the URL's scheme, wins; *out receives it without the "<scheme>=" prefix
 * (malloc'ed). Errors: BG_E_INVALID_PROXY_INFO (no entry applies, an unknown scheme, an empty
 * server), E_OUTOFMEMORY; *out is NULL then. */
bgcopy_hr bgcopy__http_pick_proxy(const char *list, int https, char **out);

/* curl's CURLOPT_NOPROXY list (comma-separated) from a BITS bypass list (entries separated by
 * spaces or ';', and by ',' too, which curl would split on anyway; list may be NULL): a leading '*'
 * is dropped ("*.example.com" ->
 * ".example.com", a domain suffix for curl); a lone "*" entry bypasses every host, so the
 * result is then just "*" (curl honours "*" only as the whole list); "<local>" and entries
 * with a '*' elsewhere have no curl equivalent and are dropped. Returns a malloc'ed string,
 * possibly empty, or NULL when out of memory. */
char *bgcopy__http_noproxy(const char *list);

/* 1 when host (a URL's host part: a name, an IPv4 address, or an IPv6 address in brackets) is
 * in the NOPROXY list noproxy (NULL or "" : none), by libcurl's rules: "*" as the whole list
 * matches every host; a name entry (a leading and a trailing '.' ignored) matches the same
 * name or any name under it ("example.com" matches "www.example.com", not
 * "notexample.com"), case-insensitively; an address entry, optionally "/bits" (CIDR), matches
 * addresses in it. Entries are separated by commas and blanks. Used to tell whether curl sent a
 * request through the OVERRIDE proxy or straight to the server. */
int bgcopy__http_bypassed(const char *noproxy, const char *host);

/* ---- CURLcode -> HRESULT (http-error.c) ---------------------------------------------------- */

/* What is known about a failed transfer besides its CURLcode. */
struct bgcopy__http_failure_info {
    long ssl_verify_result; /* CURLINFO_SSL_VERIFYRESULT (OpenSSL X509_V_* code) */
    int openssl_codes;      /* ssl_verify_result uses OpenSSL's numbering */
    int chain_checked;      /* the certificate chain was verified (CURLOPT_SSL_VERIFYPEER on);
                               when off, a verification failure can only be the host name */
    int via_proxy;          /* the request was sent through an explicitly configured proxy
                               (OVERRIDE, and the host not in the bypass list) */
    long connect_code;      /* CURLINFO_HTTP_CONNECTCODE: the proxy's answer to CONNECT */
    long redirects;         /* CURLINFO_REDIRECT_COUNT: redirects followed */
};

/* Maps a failed transfer to the WinHTTP HRESULT and the error context BITS reports. The
 * table is in http-error.c. info may be NULL (nothing more is known). */
void bgcopy__http_map_error(CURLcode rc, const struct bgcopy__http_failure_info *info,
                            bgcopy_hr *hr, bgcopy_error_context *context);

#endif /* BGCOPY_HTTP_INT_H */
