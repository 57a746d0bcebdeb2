/* tools/testserver/testserver.h - declarations shared by the parts of bgcopy-testserver.
 *
 * bgcopy-testserver is a small HTTP/1.1 server on libuv with fault injection, used by the
 * integration tests (and by users' own tests) as the server a BITS-style client downloads from.
 * It is split into four parts:
 *   http.c               pure helpers: request-head parser, Range parser, dates, percent and
 *                        base64 decoding, JSON escaping, a growable string buffer
 *   digest.c             MD5 (RFC 1321) and the HTTP Digest scheme (RFC 7616, MD5, qop=auth)
 *   faults.c             the fault rules (command line and POST /_control) and the request log
 *   conn.c, conn.h       connections: reading requests, flow-controlled paced writes of
 *                        generated or file-backed bodies, closing (with reset, stall, linger)
 *   serve.c              choosing the response: control endpoints, faults, /gen, /zero, files,
 *                        ranges
 *   bgcopy-testserver.c  options, listening socket, signals, main loop
 * Everything runs on the one loop thread; nothing here is thread-safe and nothing needs to be.
 * The tool uses only libuv and libc, never the library's internals. docs/testserver.md
 * describes the behaviour and the control protocol.
 */
#ifndef BGCOPY_TESTSERVER_H
#define BGCOPY_TESTSERVER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

/* ---- limits ----------------------------------------------------------------------------- */

#define TS_CHUNK           (256u * 1024u)      /* largest single write */
#define TS_HEADER_MAX      16384u              /* request line + headers + blank line */
#define TS_SIZE_MAX        ((uint64_t)1 << 40) /* largest /gen or /zero resource */
#define TS_CONTROL_MAX     65536u              /* largest POST /_control body */
#define TS_RANGES_MAX      1000u               /* more ranges than this: Range is ignored */
#define TS_RULES_MAX       64u                 /* fault rules held at once */
#define TS_LOG_MAX         10000u              /* request-log entries kept (oldest dropped) */
#define TS_URL_MAX         2048u               /* longest redirect target */
#define TS_GEN_LM_DEFAULT  1577836800          /* 2020-01-01T00:00:00Z: generated resources */
#define TS_WRITES_INFLIGHT 2u                  /* body writes queued at once per connection */

/* ---- growable string buffer ------------------------------------------------------------- */

/* A heap string that grows as needed; p is NUL-terminated whenever len > 0. Out of memory is
 * fatal (the process aborts with a message): every buffer the server builds is bounded. */
struct ts_buf {
    char *p;
    size_t len;
    size_t cap;
};

void ts_buf_append(struct ts_buf *b, const void *data, size_t n);
void ts_buf_puts(struct ts_buf *b, const char *s);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void ts_buf_printf(struct ts_buf *b, const char *fmt, ...);
/* Appends s as a JSON string literal (quotes included); bytes >= 0x7f and controls as \u00XX. */
void ts_buf_json_string(struct ts_buf *b, const char *s);
void ts_buf_free(struct ts_buf *b);

/* malloc/calloc/strdup that abort with a message instead of returning NULL. */
void *ts_xmalloc(size_t n);
void *ts_xcalloc(size_t count, size_t n);
char *ts_xstrdup(const char *s);
char *ts_xstrndup(const char *s, size_t n);

/* ---- HTTP parsing (http.c) ---------------------------------------------------------------- */

/* One parsed request head. The strings point into `head`, a private copy of the header section
 * that the parser NUL-terminates in place; `path` is a separate heap string (the decoded path).
 * ts_request_free releases both and zeroes the struct. */
struct ts_request {
    char *head;
    const char *method;              /* token, e.g. "GET" */
    const char *target;              /* raw request target, e.g. "/gen/10?seed=1" */
    char *path;                      /* percent-decoded path part of target, starts with '/' */
    const char *query;               /* raw query after '?', or "" */
    int minor;                       /* HTTP/1.<minor> */
    const char *range;               /* Range value, NULL if absent */
    bool range_repeated;             /* more than one Range header: the ranges are ignored */
    const char *if_range;            /* If-Range value or NULL */
    const char *authorization;       /* Authorization value or NULL */
    const char *proxy_authorization; /* Proxy-Authorization value or NULL */
    bool keep_alive; /* connection persists after the response (version + Connection) */
    bool chunked;    /* Transfer-Encoding: chunked */
    bool has_length; /* Content-Length present */
    uint64_t content_length;
    bool expect_continue; /* Expect: 100-continue */
};

/* Finds the end of the header section in buf[0..len). Returns the length of the section
 * including its final empty line (CRLF CRLF, or bare LF LF), or 0 if it is not complete yet.
 * Leading empty lines (allowed before a request line) are part of the section. */
size_t ts_find_head_end(const char *buf, size_t len);

/* False when what buf[0..len) holds of the first line (after leading empty lines) cannot be
 * the start of an HTTP request line "method SP target SP HTTP/d.d" - or, once the line is
 * complete, is not one. Lets garbage (a TLS hello, binary junk) be refused at once instead of
 * waiting for a blank line that never comes. */
bool ts_request_line_plausible(const char *buf, size_t len);

/* Parses the header section buf[0..len) (as delimited by ts_find_head_end) into *rq, which it
 * initialises; rq->head becomes an owned copy. Returns 0, or the HTTP status to answer with
 * (400 malformed, 501 unsupported transfer coding or method too long, 505 version, 417
 * expectation); on error *rq holds whatever was parsed so far and must still be freed. */
int ts_parse_request(const char *buf, size_t len, struct ts_request *rq);
void ts_request_free(struct ts_request *rq);

/* One satisfiable byte range, inclusive bounds: first <= last < size. */
struct ts_range {
    uint64_t first;
    uint64_t last;
};

enum ts_range_result {
    TS_RANGE_IGNORE,        /* invalid syntax or too many ranges: serve the whole body */
    TS_RANGE_OK,            /* *out holds *n >= 1 satisfiable ranges, in request order */
    TS_RANGE_UNSATISFIABLE, /* valid syntax, nothing satisfiable: 416 */
};

/* Parses a Range header value against a representation of `size` bytes (RFC 9110 14.1).
 * Unsatisfiable specs in a set are dropped; ranges are neither merged nor reordered. On
 * TS_RANGE_OK *out is a heap array the caller frees. */
enum ts_range_result ts_parse_ranges(const char *value, uint64_t size, struct ts_range **out,
                                     size_t *n);

/* Formats unix time t (clamped to years 1970..9999) as an IMF-fixdate
 * ("Sun, 06 Nov 1994 08:49:37 GMT", always 29 characters) into out. */
void ts_http_date(int64_t t, char out[32]);

/* Decodes %XX escapes of s[0..n) into a new heap string. Returns NULL (nothing allocated) for a
 * malformed escape or an encoded NUL. '+' is kept as is. */
char *ts_percent_decode(const char *s, size_t n);

/* Decodes standard base64 (with or without padding) of s into out (capacity cap, NUL-terminated).
 * Returns the decoded length, or -1 for bad input or too small a buffer. */
int ts_base64_decode(const char *s, char *out, size_t cap);

/* Parses a decimal uint64 that must span all of s[0..n); false on junk or overflow. */
bool ts_parse_u64(const char *s, size_t n, uint64_t *out);

/* The reason phrase of an HTTP status ("Partial Content"), or "Unknown". */
const char *ts_status_text(int status);

/* ---- MD5 and Digest authentication (digest.c) ------------------------------------------- */

/* MD5 of data[0..n) as 32 lower-case hex digits and a NUL, into out. */
void ts_md5_hex(const void *data, size_t n, char out[33]);

/* Checks an Authorization (or Proxy-Authorization) value against the Digest scheme with
 * algorithm MD5 and qop=auth: username and realm as given, our nonce and opaque, nc, cnonce,
 * a uri that names this request (its target or, for an absolute-form target, the path and
 * query of it), and response = MD5(MD5(user:realm:pass):nonce:nc:cnonce:auth:MD5(method:uri)).
 * `userpass` is "user:pass" (the user has no ':'). False for a missing or malformed value,
 * another scheme, or any mismatch. */
bool ts_digest_ok(const char *hdr, const char *userpass, const char *realm, const char *nonce,
                  const char *method, const char *target);

/* Appends the challenge `Digest realm="<realm>", qop="auth", algorithm=MD5, nonce="<nonce>",
 * opaque="..."` (the value of WWW-Authenticate or Proxy-Authenticate, without CRLF). */
void ts_digest_challenge(struct ts_buf *out, const char *realm, const char *nonce);

/* ---- faults and the request log (faults.c) ------------------------------------------------ */

/* Fault keys. A rule lists the keys it sets; a later matching rule overrides an earlier one
 * key by key (so `status=off` in a later rule cancels an earlier status). */
enum {
    TS_F_IGNORE_RANGES = 1u << 0,
    TS_F_NO_CONTENT_LENGTH = 1u << 1,
    TS_F_STATUS = 1u << 2,
    TS_F_RESET_AFTER = 1u << 3,
    TS_F_STALL_AFTER = 1u << 4,
    TS_F_BAD_RANGE = 1u << 5,
    TS_F_LM_BUMP = 1u << 6,
    TS_F_LM = 1u << 7,
    TS_F_REDIRECT = 1u << 8,
    TS_F_REDIRECT_STATUS = 1u << 9,
    TS_F_AUTH = 1u << 10,
    TS_F_RATE = 1u << 11,
    TS_F_OVERLONG = 1u << 12,
    TS_F_AUTH_SCHEME = 1u << 13,
    TS_F_PROXY_AUTH = 1u << 14,
    TS_F_PROXY_AUTH_SCHEME = 1u << 15,
    TS_F_SIZE = 1u << 16,
};

#define TS_NONE UINT64_MAX /* reset_after/stall_after: off */

/* The effective faults for one request. Strings borrow from the rules: valid only until the
 * rules change (they are used while dispatching the request, never later). */
struct ts_faults {
    uint32_t set; /* keys that some matching rule set (on or off) */
    bool ignore_ranges;
    bool no_content_length;
    bool bad_range;
    bool lm_bump;
    int status;           /* 0 = off */
    int redirect_status;  /* 302 unless set */
    uint64_t reset_after; /* TS_NONE = off */
    uint64_t stall_after; /* TS_NONE = off */
    bool has_lm;
    int64_t lm;
    const char *redirect;   /* NULL = off */
    const char *auth;       /* "user:pass", NULL = off */
    bool auth_digest;       /* auth_scheme=digest (else Basic) */
    const char *proxy_auth; /* "user:pass", NULL = off */
    bool proxy_digest;      /* proxy_auth_scheme=digest (else Basic) */
    uint64_t rate;          /* bytes per second, 0 = off */
    uint64_t overlong;      /* extra bytes, 0 = off */
    bool has_size;          /* size=N: /gen and /zero resources have `size` bytes */
    uint64_t size;
};

struct ts_rule {
    unsigned id;
    struct ts_faults f;
    uint64_t count;     /* 0 = every matching request; else how many it was limited to */
    uint64_t remaining; /* requests left when count > 0 */
    char *path;         /* path prefix scope, NULL = all */
    char *method;       /* method scope, NULL = all */
    char *redirect_owned;
    char *auth_owned;
    char *proxy_auth_owned;
};

/* One request-log entry. Strings are owned by the entry. */
struct ts_log_entry {
    uint64_t seq;
    uint64_t conn;
    uint64_t time_ms; /* since the server started */
    char *method;
    char *target;
    char *range; /* NULL when the request had none */
    int status;
    uint64_t bytes;    /* body bytes sent (written to the socket) */
    const char *state; /* static: "sending", "done", "reset", "stalled", "aborted" */
    uint32_t faults;   /* fault keys applied */
};

struct ts_log {
    struct ts_log_entry *ring; /* TS_LOG_MAX slots, index seq % TS_LOG_MAX */
    uint64_t next_seq;         /* seq of the next entry; entries start at 1 */
    uint64_t first_seq;        /* oldest seq still held */
};

struct ts_faultset {
    struct ts_rule rules[TS_RULES_MAX];
    size_t nrules;
    unsigned next_id;
    uint64_t lm_bump_count; /* seconds added by lm_bump so far */
};

/* Parses key=value pairs and, if any fault key is present, appends them as one new rule.
 * With `decode` (the control endpoint) pairs are separated by '\n', '\r' or '&' and values are
 * percent-decoded; without it (the command line) only '\n' separates and values are literal.
 * A fault key without '=' means key=1; a NUL byte anywhere in text is refused. Returns 0, or
 * -1 with a message in *err (then nothing changed). */
int ts_faults_add(struct ts_faultset *fs, const char *text, size_t len, bool decode,
                  struct ts_buf *err);
/* For the command line: -1 if `key` (with '_' or '-') is not a fault or scope key, 1 if it is
 * a boolean fault that may stand alone, 0 if it needs a value. */
int ts_faults_key_kind(const char *key);
void ts_faults_reset(struct ts_faultset *fs);
/* Appends the human-readable settings (one "rule N: key=value ..." line per rule). */
void ts_faults_format(struct ts_faultset *fs, struct ts_buf *out);
/* Merges every rule matching (method, path) into *out, consuming one use of each counted rule.
 * A rule that runs out is removed by the next call into the fault set, so the strings *out
 * borrows stay valid until then. */
void ts_faults_match(struct ts_faultset *fs, const char *method, const char *path,
                     struct ts_faults *out);
/* The keys of *f whose effective value is "on" (a fault that will act). */
uint32_t ts_faults_active(const struct ts_faults *f);
/* Names of the keys in `set` into out: comma-separated, or a JSON array with `json`. */
void ts_faults_names(uint32_t set, struct ts_buf *out, bool json);

void ts_log_init(struct ts_log *log);
void ts_log_clear(struct ts_log *log);
/* Appends an entry in state "sending" and returns its seq (never 0). */
uint64_t ts_log_add(struct ts_log *log, uint64_t conn, uint64_t time_ms, const char *method,
                    const char *target, const char *range);
/* The entry with this seq, or NULL if it was dropped or cleared. */
struct ts_log_entry *ts_log_get(struct ts_log *log, uint64_t seq);
/* Appends all entries as JSON lines, oldest first. */
void ts_log_format(const struct ts_log *log, struct ts_buf *out);

/* ---- the server (conn.c, serve.c, bgcopy-testserver.c) ----------------------------------- */

struct ts_conn;

struct ts_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_signal_t sigterm;
    uv_signal_t sigint;
    char *root; /* realpath of --root, NULL when none */
    size_t root_len;
    bool log_stderr;
    bool stopping;
    uint64_t start_ms;
    uint64_t next_conn_id;
    uint64_t boundary_counter;
    char nonce[33];        /* the Digest nonce of this process (32 hex digits) */
    struct ts_conn *conns; /* every open connection (doubly linked) */
    struct ts_faultset faults;
    struct ts_log log;
};

/* Accepts one pending connection on the listener and starts serving it. */
void ts_conn_accept(struct ts_server *srv);
/* Closes every connection (used on SIGTERM/SIGINT); their memory is freed by close callbacks. */
void ts_conn_close_all(struct ts_server *srv);
/* Sets up the shared read-only body buffers; call once before serving. */
void ts_conn_global_init(void);

#endif /* BGCOPY_TESTSERVER_H */
