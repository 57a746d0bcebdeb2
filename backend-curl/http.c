/* http.c - the HTTP(S) transport of the emulated engine: libcurl's multi_socket API driven by a
 * libuv loop on one I/O thread per transport (that is, per real-mode engine).
 *
 * The engine's download protocol (core/transfer.c) asks for HEADs and ranged GETs through
 * struct bgcopy__transport (core/core-int.h); this file sends them and reports the response
 * head, the body and the end through the engine's struct bgcopy__xfer_sink.
 *
 * Threads and locks.
 *   - start() and abort() are called by the engine with the engine lock (e->lock) held, from
 *     any engine thread. They never block on I/O and never touch curl or the loop: start()
 *     copies everything the request needs out of the request and its job (job fields may only
 *     be read under the engine lock) into a new xfer, queues a START command and wakes the
 *     I/O thread with uv_async_send(); abort() sets xfer->aborted (guarded by the engine lock)
 *     and queues an ABORT command. The command queue has its own mutex (qlock).
 *   - The I/O thread owns the loop, the multi handle, every easy handle and every xfer once
 *     queued. It is the only thread that frees an xfer.
 *   - Sink callbacks run on the I/O thread with the engine lock held: the thread takes
 *     e->lock, checks xfer->aborted (then it calls nothing and leaves the xfer to the ABORT
 *     command that is already queued), calls the sink, releases the lock. It never holds
 *     qlock while taking e->lock: the lock order is engine lock -> qlock.
 *   - When on_response returns non-zero or on_data fails, the engine has forgotten the xfer
 *     (it will not abort it): the transport ends the request (the write callback fails, curl
 *     reports the transfer done, the easy handle is removed) and frees the xfer, calling
 *     nothing more. After on_done the xfer is freed likewise.
 *
 * Request: HEAD = CURLOPT_NOBODY; GET with CURLOPT_RANGE "first-last" when ranged; HTTP/1.1;
 * the job's custom headers, credentials, proxy settings and security flags (redirect policy,
 * certificate checks) applied as described at build_request(). The response head is parsed
 * here (http-parse.c) from CURLOPT_HEADERFUNCTION; on_response is delivered once, at the first
 * body byte or, for HEAD and empty bodies, when the transfer ends. Body bytes are batched into
 * a 32 KiB buffer per xfer (curl hands them over in pieces of at most 16 KiB), so the engine
 * takes its lock and writes once per 32 KiB. Why not larger: Linux gives a buffered write of
 * an aligned 2^n pages a page-cache folio of that order, and folios above order 3 (32 KiB) are
 * "costly" allocations; on the benchmark VM (6.18, ext4, free page reporting to the host) a
 * 1 GiB download written in aligned 64 KiB..1 MiB pieces cost up to twice the CPU and time,
 * all in the kernel's copy into those folios, while 16 KiB, 32 KiB or unaligned 100 KiB pieces
 * ran at curl's and wget2's speed (bench/results-http.md, bench/README.md).
 * Stalls end the request with ERROR_WINHTTP_TIMEOUT once no byte (head or body) arrived for the
 * engine's http_stall_timeout: a clock per request, started when the request is sent (curl's
 * PRETRANSFER time) and reset by every byte received. One libuv timer per transport checks the
 * clocks: it is armed for the earliest deadline and, since bytes only move deadlines later, it
 * is never re-armed on data; when it fires it fails what expired and re-arms for the next. A
 * waiting request thus costs one wake-up per stall period, where curl's own LOW_SPEED options
 * (used before) woke the thread twice a second for every request.
 * MaxInternetBandwidth (core/policy.c) paces the body of a background job's GET: the cap when
 * the request starts, with a burst of one receive buffer (itself no larger than a second's worth,
 * at least 1 KiB). Bytes that would run ahead are refused with CURL_WRITEFUNC_PAUSE (curl keeps
 * them and stops reading the socket) and let in by a second libuv timer when their time comes.
 * curl's CURLOPT_MAX_RECV_SPEED_LARGE is not used: on loopback it reads whatever the socket
 * holds in one go (up to 100 buffers), so a 2 MB body capped at 100 kB/s arrived in 20 ms.
 *
 * No polling: an idle transport blocks in uv_run. The thread starts on the first start() and
 * stops in destroy(). curl_global_init runs once per process (uv_once); curl_global_cleanup
 * is never called, since other parts of the process may still use libcurl.
 */
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "http-int.h"

#define BODY_BATCH      (32 * 1024)   /* bytes handed to on_data at once */
#define RECV_BUFFER     (512L * 1024) /* CURLOPT_BUFFERSIZE for large bodies */
#define MIN_RECV_BUFFER (16L * 1024)  /* ... and for HEAD and small ranges */
#define MAX_REDIRECTS   10L
#define CONNECT_TIMEOUT 60L /* seconds */
#define USER_AGENT      "Microsoft BITS/7.8 bgcopy/0.1"
#define PROXY_ENV       0 /* PRECONFIG / AUTODETECT: curl's environment proxies */
#define PROXY_OFF       1 /* NO_PROXY */
#define PROXY_SET       2 /* OVERRIDE: an explicit proxy */

struct http_transport;

/* A command for the I/O thread. START and ABORT nodes live inside their xfer and the STOP node
 * inside the transport, so queueing never allocates. */
enum { CMD_START = 1, CMD_ABORT, CMD_STOP };
struct cmd {
    struct cmd *next;
    int kind;
    struct bgcopy__xfer *x;
};

/* What to send, copied from the request and its job by start() (engine lock held); read only
 * by the I/O thread afterwards. Strings are owned. */
struct http_desc {
    char *url;
    int head;
    int has_range;
    char range[48];   /* "first-last" */
    long recv_buffer; /* CURLOPT_BUFFERSIZE */
    char *headers;    /* the job's custom headers (CRLF-terminated lines) or NULL */
    char *user, *password;
    long auth; /* CURLAUTH_* mask; 0: no server credentials */
    char *proxy_user, *proxy_password;
    long proxy_auth;
    int proxy_mode; /* PROXY_* */
    char *proxy;    /* PROXY_SET: "host:port" or "http://host:port" */
    char *noproxy;  /* PROXY_SET: curl's comma-separated bypass list */
    int verify_peer, verify_host, revocation;
    int follow;                  /* follow redirects */
    const char *redir_protocols; /* static string */
    long stall_seconds;
    curl_off_t max_recv; /* bytes per second (MaxInternetBandwidth policy); 0: no cap */
};

struct bgcopy__xfer {
    /* set by start(), then read-only */
    struct bgcopy__engine *engine;
    const struct bgcopy__xfer_sink *sink;
    void *ctx;
    struct http_desc d;
    struct cmd start_cmd, abort_cmd;

    /* engine lock */
    int aborted;

    /* I/O thread only */
    struct bgcopy__xfer *prev, *next; /* t->live */
    CURL *easy;
    struct curl_slist *header_list;
    struct bgcopy__http_head head;
    int responded;           /* on_response was delivered */
    int stopped;             /* a sink said stop: the engine forgot this xfer */
    int abort_seen;          /* saw aborted: the queued ABORT command frees the xfer */
    bgcopy_hr local_failure; /* why a callback of ours ended the request itself, or S_OK */
    uv_loop_t *loop;         /* the I/O thread's loop, for uv_now() */
    int stall_clock;         /* the stall clock runs (the request was sent) */
    uint64_t started_ms;     /* uv_now() when the request went to curl */
    uint64_t last_rx_ms;     /* uv_now() when the last byte arrived (or the clock started) */
    char *final_url;
    unsigned char *buf;
    size_t buf_len;
    struct http_transport *owner; /* the transport whose live list holds x */
    int pace_started;             /* d.max_recv: the first body byte arrived ... */
    uint64_t pace_start_ms;       /* ... at this uv_now() */
    uint64_t pace_bytes;          /* body bytes let in since */
    uint64_t pace_resume_ms;      /* paused until then (uv_now() scale); 0: not paused */
};

/* A socket curl asked us to watch. */
struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    struct http_transport *t;
    struct sock_ctx *prev, *next;
};

struct http_transport {
    struct bgcopy__transport tp;

    /* qlock */
    bgcopy__mutex *qlock;
    struct cmd *qhead, *qtail;
    int running; /* the I/O thread exists (set by start() under both locks) */
    struct cmd stop_cmd;

    bgcopy__thread *thread;

    /* the I/O thread (initialised by the first start() before the thread exists) */
    uv_loop_t loop;
    uv_async_t async;
    uv_timer_t timer;
    uv_timer_t stall_timer; /* the earliest stall deadline of the live requests */
    uv_timer_t pace_timer;  /* the earliest end of a bandwidth pause of the live requests */
    CURLM *multi;
    struct sock_ctx *socks;
    struct bgcopy__xfer *live; /* xfers the I/O thread has taken and not freed */
    int closing;               /* teardown: socket and timer callbacks do nothing */
};

/* ---- process-wide libcurl state ---------------------------------------------------------- */

static uv_once_t curl_once = UV_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;
static long curl_features;
static int curl_openssl; /* CURLINFO_SSL_VERIFYRESULT uses OpenSSL's X509_V_* numbers */

static int has_prefix(const char *s, const char *prefix)
{
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static void curl_init_once(void)
{
    const curl_version_info_data *info;

    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (curl_init_rc != CURLE_OK)
        return;
    info = curl_version_info(CURLVERSION_NOW);
    curl_features = info->features;
    curl_openssl =
        has_prefix(info->ssl_version, "OpenSSL") || has_prefix(info->ssl_version, "LibreSSL") ||
        has_prefix(info->ssl_version, "BoringSSL") || has_prefix(info->ssl_version, "quictls");
}

/* ---- small helpers ------------------------------------------------------------------------- */

static char *dup_or_null(const char *s, int *oom)
{
    char *d;
    if (s == NULL)
        return NULL;
    d = bgcopy__strdup(s);
    if (d == NULL)
        *oom = 1;
    return d;
}

/* Frees a secret after overwriting it. */
static void free_secret(char *s)
{
    if (s != NULL) {
        volatile char *p = s;
        while (*p)
            *p++ = '\0';
        free(s);
    }
}

static void desc_free(struct http_desc *d)
{
    free(d->url);
    free(d->headers);
    free(d->user);
    free_secret(d->password);
    free(d->proxy_user);
    free_secret(d->proxy_password);
    free(d->proxy);
    free(d->noproxy);
}

static void xfer_free(struct bgcopy__xfer *x)
{
    desc_free(&x->d);
    curl_slist_free_all(x->header_list);
    free(x->final_url);
    free(x->buf);
    free(x);
}

/* ---- command queue (qlock) --------------------------------------------------------------- */

static void push_cmd(struct http_transport *t, struct cmd *c)
{
    bgcopy__mutex_lock(t->qlock);
    c->next = NULL;
    if (t->qtail)
        t->qtail->next = c;
    else
        t->qhead = c;
    t->qtail = c;
    bgcopy__mutex_unlock(t->qlock);
    uv_async_send(&t->async);
}

/* ---- job options -> request description (engine lock held) ------------------------------ */

/* The credentials of one target: the most secure scheme set (NEGOTIATE, NTLM, DIGEST, BASIC,
 * among those this libcurl supports) gives user and password; every set scheme with the same
 * user and password joins the CURLAUTH mask, so BASIC and DIGEST with the same account let
 * the server choose. PASSPORT has no curl equivalent and is ignored. NULL user and password
 * (implicit credentials, NTLM / NEGOTIATE only) become the empty user, which curl's Negotiate
 * takes as "use the Kerberos ticket cache". */
static int pick_credentials(const struct emu_job *job, int target, char **user, char **password,
                            long *mask)
{
    static const int order[] = {BGCOPY_AUTH_SCHEME_NEGOTIATE, BGCOPY_AUTH_SCHEME_NTLM,
                                BGCOPY_AUTH_SCHEME_DIGEST, BGCOPY_AUTH_SCHEME_BASIC};
    long bits[6] = {0};
    const struct emu_cred *chosen = NULL;
    int oom = 0;
    size_t i;

    bits[BGCOPY_AUTH_SCHEME_BASIC] = (long)CURLAUTH_BASIC;
    bits[BGCOPY_AUTH_SCHEME_DIGEST] = (long)CURLAUTH_DIGEST;
    if (curl_features & CURL_VERSION_NTLM)
        bits[BGCOPY_AUTH_SCHEME_NTLM] = (long)CURLAUTH_NTLM;
    if (curl_features & CURL_VERSION_SPNEGO)
        bits[BGCOPY_AUTH_SCHEME_NEGOTIATE] = (long)CURLAUTH_NEGOTIATE;
    *mask = 0;
    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        const struct emu_cred *c = &job->creds[target][order[i]];
        if (!c->set || bits[order[i]] == 0)
            continue;
        if (chosen == NULL)
            chosen = c;
        if (((c->user == NULL && chosen->user == NULL) ||
             (c->user && chosen->user && strcmp(c->user, chosen->user) == 0)) &&
            ((c->password == NULL && chosen->password == NULL) ||
             (c->password && chosen->password && strcmp(c->password, chosen->password) == 0)))
            *mask |= bits[order[i]];
    }
    if (chosen == NULL)
        return 0;
    *user = dup_or_null(chosen->user ? chosen->user : "", &oom);
    *password = dup_or_null(chosen->password ? chosen->password : "", &oom);
    return oom ? -1 : 0;
}

static int is_https(const char *url)
{
    static const char s[] = "https://";
    size_t i;
    for (i = 0; i < sizeof(s) - 1; i++) {
        char c = url[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != s[i])
            return 0;
    }
    return 1;
}

/* 1 when the n bytes at a equal b, ignoring ASCII case. */
static int eq_nocase_n(const char *a, size_t n, const char *b)
{
    size_t i;
    if (strlen(b) != n)
        return 0;
    for (i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != b[i])
            return 0;
    }
    return 1;
}

static int token_char(char c)
{
    return c != '\0' && c != ' ' && c != '\t' && c != ';';
}

/* BITS proxy list -> the proxy for one URL (contract in http-int.h). */
bgcopy_hr bgcopy__http_pick_proxy(const char *list, int https, char **out)
{
    const char *p = list;

    *out = NULL;
    while (p && *p) {
        const char *start, *eq, *server;
        size_t len;

        while (*p && !token_char(*p))
            p++;
        start = p;
        while (token_char(*p))
            p++;
        len = (size_t)(p - start);
        if (len == 0)
            break;
        eq = memchr(start, '=', len);
        server = start;
        if (eq != NULL) {
            size_t slen = (size_t)(eq - start);
            int is_http = eq_nocase_n(start, slen, "http");
            int is_https_entry = eq_nocase_n(start, slen, "https");
            if (!is_http && !is_https_entry)
                return BGCOPY_E_INVALID_PROXY_INFO;
            if (is_https_entry != https)
                continue;
            server = eq + 1;
            len -= slen + 1;
        }
        if (len == 0 || memchr(server, '=', len) != NULL)
            return BGCOPY_E_INVALID_PROXY_INFO;
        {
            const char *sep = NULL;
            size_t i;
            for (i = 0; i + 2 < len; i++) {
                if (server[i] == ':' && server[i + 1] == '/' && server[i + 2] == '/') {
                    sep = server + i;
                    break;
                }
            }
            if (sep != NULL) {
                size_t slen = (size_t)(sep - server);
                if (!(eq_nocase_n(server, slen, "http") || eq_nocase_n(server, slen, "https")) ||
                    len == slen + 3)
                    return BGCOPY_E_INVALID_PROXY_INFO;
            }
        }
        *out = malloc(len + 1);
        if (*out == NULL)
            return BGCOPY_E_OUTOFMEMORY;
        memcpy(*out, server, len);
        (*out)[len] = '\0';
        return BGCOPY_S_OK;
    }
    return BGCOPY_E_INVALID_PROXY_INFO;
}

/* BITS bypass list -> curl's NOPROXY list (contract in http-int.h). */
/* A character of a bypass-list entry: a comma also separates, since it would split the entry
 * in curl's comma-separated list. */
static int bypass_char(char c)
{
    return token_char(c) && c != ',';
}

char *bgcopy__http_noproxy(const char *list)
{
    size_t cap = list ? strlen(list) + 1 : 1, n = 0;
    char *out = malloc(cap);
    const char *p = list;

    if (out == NULL)
        return NULL;
    while (p && *p) {
        const char *start;
        size_t len;
        while (*p && !bypass_char(*p))
            p++;
        start = p;
        while (bypass_char(*p))
            p++;
        len = (size_t)(p - start);
        if (len == 0)
            break;
        if (len == 1 && start[0] == '*') {
            memcpy(out, "*", 2); /* every host: curl takes "*" only as the whole list */
            return out;
        }
        if (start[0] == '*') {
            start++;
            len--;
        }
        if (len == 7 && strncmp(start, "<local>", 7) == 0)
            continue;
        if (memchr(start, '*', len) != NULL)
            continue; /* a wildcard inside the entry ("a*b", "**"): no curl equivalent */
        if (n > 0)
            out[n++] = ',';
        memcpy(out + n, start, len);
        n += len;
    }
    out[n] = '\0';
    return out;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* 1 when ip (NUL-terminated) is an address of family af (AF_INET or AF_INET6) in the network
 * net/bits; bits > the address length never matches, 0 means the whole address. */
static int ip_in_network(int af, const char *ip, const char *net, unsigned long bits)
{
    unsigned char a[16], b[16];
    size_t len = af == AF_INET ? 4 : 16, i;

    if (bits == 0)
        bits = len * 8;
    if (bits > len * 8 || uv_inet_pton(af, ip, a) != 0 || uv_inet_pton(af, net, b) != 0)
        return 0;
    for (i = 0; i < len && bits > 0; i++, bits = bits > 8 ? bits - 8 : 0) {
        unsigned mask = bits >= 8 ? 0xFFu : (0xFFu << (8 - bits)) & 0xFFu;
        if ((a[i] ^ b[i]) & mask)
            return 0;
    }
    return 1;
}

/* NOPROXY list -> does it name host (contract in http-int.h). */
int bgcopy__http_bypassed(const char *noproxy, const char *host)
{
    char name[256], entry[256];
    unsigned char scratch[16];
    size_t nlen, i;
    int af = 0;
    const char *p = noproxy;

    if (noproxy == NULL || noproxy[0] == '\0' || host == NULL || host[0] == '\0')
        return 0;
    if (strcmp(noproxy, "*") == 0)
        return 1;
    nlen = strlen(host);
    if (host[0] == '[') {
        const char *end = strchr(host, ']');
        if (end == NULL || (size_t)(end - host - 1) >= sizeof(name))
            return 0;
        nlen = (size_t)(end - host - 1);
        memcpy(name, host + 1, nlen);
        af = AF_INET6;
    } else {
        if (nlen >= sizeof(name))
            return 0;
        memcpy(name, host, nlen);
    }
    name[nlen] = '\0';
    if (af == 0 && uv_inet_pton(AF_INET, name, scratch) == 0)
        af = AF_INET;
    if (af == 0 && nlen > 0 && name[nlen - 1] == '.')
        name[--nlen] = '\0';
    for (i = 0; af == 0 && i < nlen; i++)
        name[i] = lower(name[i]);

    while (*p) {
        const char *start;
        size_t len;
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        start = p;
        while (*p && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        len = (size_t)(p - start);
        if (len == 0 || len >= sizeof(entry))
            continue;
        memcpy(entry, start, len);
        entry[len] = '\0';
        if (af != 0) {
            char *slash = strchr(entry, '/');
            unsigned long bits = 0;
            if (slash != NULL) { /* "/0" or junk: 0, the whole address, as curl reads it */
                *slash = '\0';
                bits = strtoul(slash + 1, NULL, 10);
            }
            if (ip_in_network(af, name, entry, bits))
                return 1;
            continue;
        }
        {
            char *e = entry; /* a name: leading and trailing '.' ignored */
            if (e[len - 1] == '.')
                e[--len] = '\0';
            if (len > 0 && e[0] == '.') {
                e++;
                len--;
            }
            if (len == 0 || len > nlen)
                continue;
            for (i = 0; i < len; i++)
                e[i] = lower(e[i]);
            if (memcmp(name + (nlen - len), e, len) == 0 &&
                (len == nlen || name[nlen - len - 1] == '.'))
                return 1;
        }
    }
    return 0;
}

/* Fills d from the request and its job. Engine lock held. Errors: E_OUTOFMEMORY,
 * BG_E_INVALID_PROXY_INFO. */
static bgcopy_hr build_desc(struct http_desc *d, const struct bgcopy__engine *e,
                            const struct bgcopy__xfer_request *req)
{
    const struct emu_job *job = req->job;
    uint32_t flags = job ? job->security_flags : 0;
    int oom = 0;
    bgcopy_hr hr;

    d->url = dup_or_null(req->url, &oom);
    d->head = req->head;
    d->has_range = req->has_range;
    /* curl's receive buffer: 512 KiB for large bodies (fewer, larger reads), but no larger
     * than the body asked for (at least 16 KiB, curl's default), so that hundreds of small
     * concurrent requests do not each hold half a megabyte; HEAD needs the minimum. */
    d->recv_buffer = RECV_BUFFER;
    if (req->head)
        d->recv_buffer = MIN_RECV_BUFFER;
    else if (req->has_range && req->last >= req->first &&
             req->last - req->first < (uint64_t)RECV_BUFFER)
        d->recv_buffer = (long)(req->last - req->first + 1) < MIN_RECV_BUFFER
                             ? MIN_RECV_BUFFER
                             : (long)(req->last - req->first + 1);
    if (req->has_range) {
        /* CURLOPT_RANGE "first-last" */
        char tmp[24];
        size_t n = 0, i;
        uint64_t v;
        int part;
        for (part = 0; part < 2; part++) {
            v = part == 0 ? req->first : req->last;
            i = 0;
            do {
                tmp[i++] = (char)('0' + (int)(v % 10));
                v /= 10;
            } while (v);
            while (i)
                d->range[n++] = tmp[--i];
            if (part == 0)
                d->range[n++] = '-';
        }
        d->range[n] = '\0';
    }
    /* MaxInternetBandwidth (core/policy.c): the cap when the request starts; a GET keeps it
     * to its end (a new window or priority counts from the job's next request) */
    d->max_recv = (curl_off_t)bgcopy__policy_rate(e, job);
    if (d->max_recv > 0 && d->recv_buffer > d->max_recv)
        d->recv_buffer = d->max_recv < 1024 ? 1024 : (long)d->max_recv;
    d->stall_seconds =
        (long)(e->http_stall_timeout ? e->http_stall_timeout : BGCOPY__DEFAULT_HTTP_STALL);
    d->verify_peer = !(flags & BGCOPY_SSL_IGNORE_UNKNOWN_CA);
    d->verify_host = !(flags & BGCOPY_SSL_IGNORE_CERT_CN_INVALID);
    d->revocation = (flags & BGCOPY_SSL_ENABLE_CRL_CHECK) != 0;
    d->follow = (flags & BGCOPY_HTTP_REDIRECT_POLICY_MASK) != BGCOPY_HTTP_REDIRECT_POLICY_DISALLOW;
    d->redir_protocols =
        is_https(req->url) && !(flags & BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP)
            ? "https"
            : "http,https";
    d->proxy_mode = PROXY_ENV;
    if (oom)
        return BGCOPY_E_OUTOFMEMORY;
    if (job == NULL)
        return BGCOPY_S_OK;

    d->headers = dup_or_null(job->custom_headers, &oom);
    if (pick_credentials(job, BGCOPY_AUTH_TARGET_SERVER, &d->user, &d->password, &d->auth) != 0 ||
        pick_credentials(job, BGCOPY_AUTH_TARGET_PROXY, &d->proxy_user, &d->proxy_password,
                         &d->proxy_auth) != 0 ||
        oom)
        return BGCOPY_E_OUTOFMEMORY;
    switch (job->proxy_usage) {
    case BGCOPY_PROXY_USAGE_NO_PROXY:
        d->proxy_mode = PROXY_OFF;
        break;
    case BGCOPY_PROXY_USAGE_OVERRIDE:
        d->proxy_mode = PROXY_SET;
        hr = bgcopy__http_pick_proxy(job->proxy_list, is_https(req->url), &d->proxy);
        if (BGCOPY_FAILED(hr))
            return hr;
        d->noproxy = bgcopy__http_noproxy(job->proxy_bypass);
        if (d->noproxy == NULL)
            return BGCOPY_E_OUTOFMEMORY;
        break;
    default: /* PRECONFIG, AUTODETECT: the environment's http_proxy / https_proxy / no_proxy */
        break;
    }
    return BGCOPY_S_OK;
}

/* ---- delivering to the engine (I/O thread) ------------------------------------------------- */

/* Fills r from the parsed head; final_url is the effective URL when curl followed a redirect.
 * I/O thread, no lock, easy handle alive. */
static void make_response(struct bgcopy__xfer *x, struct bgcopy__xfer_response *r)
{
    long redirects = 0;
    char *eff = NULL;

    bgcopy__http_head_response(&x->head, r);
    if (curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &redirects) == CURLE_OK &&
        redirects > 0 && curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK &&
        eff != NULL) {
        free(x->final_url);
        x->final_url = bgcopy__strdup(eff); /* NULL when out of memory: not reported */
        r->final_url = x->final_url;
    }
}

/* Hands the batched body to the engine. I/O thread; takes and releases the engine lock.
 * Returns 1 to go on, 0 when the request must end (aborted, or the engine said stop). */
static int flush_body(struct bgcopy__xfer *x)
{
    bgcopy_hr hr;

    bgcopy__mutex_lock(x->engine->lock);
    if (x->aborted) {
        bgcopy__mutex_unlock(x->engine->lock);
        x->abort_seen = 1;
        return 0;
    }
    hr = x->sink->on_data(x->ctx, x->buf, x->buf_len);
    bgcopy__mutex_unlock(x->engine->lock);
    x->buf_len = 0;
    if (BGCOPY_FAILED(hr)) {
        x->stopped = 1;
        return 0;
    }
    return 1;
}

/* CURLOPT_HEADERFUNCTION. I/O thread, no lock. */
static size_t on_header(char *p, size_t size, size_t n, void *userdata)
{
    struct bgcopy__xfer *x = userdata;
    x->last_rx_ms = uv_now(x->loop);
    bgcopy__http_head_line(&x->head, p, size * n);
    return size * n;
}

/* CURLOPT_WRITEFUNCTION: the first call delivers on_response, then bytes are batched. Returning
 * less than given makes curl end the transfer with CURLE_WRITE_ERROR. I/O thread; takes the
 * engine lock only to call the sink. */
static void on_pace_timer(uv_timer_t *timer);

/* Arms the pace timer for due (uv_now() scale) unless it is due sooner already. I/O thread. */
static void pace_arm(struct http_transport *t, uint64_t due)
{
    uint64_t now = uv_now(&t->loop), in = due > now ? due - now : 0;

    if (!uv_is_active((uv_handle_t *)&t->pace_timer) || uv_timer_get_due_in(&t->pace_timer) > in)
        uv_timer_start(&t->pace_timer, on_pace_timer, in, 0);
}

/* MaxInternetBandwidth: whether the n body bytes curl offers must wait, keeping the body at
 * d.max_recv bytes per second since its first byte with a burst of one receive buffer. 1: x is
 * paused until pace_resume_ms (the caller returns CURL_WRITEFUNC_PAUSE); 0: they are counted in.
 * I/O thread. */
static int pace_hold(struct bgcopy__xfer *x, size_t n)
{
    uint64_t now = uv_now(x->loop), rate = (uint64_t)x->d.max_recv,
             burst = (uint64_t)x->d.recv_buffer, due;

    if (!x->pace_started) {
        x->pace_started = 1;
        x->pace_start_ms = now;
    }
    if (x->pace_bytes + n > burst) {
        due = x->pace_start_ms + (x->pace_bytes + n - burst) * 1000u / rate;
        if (due > now) {
            x->pace_resume_ms = due;
            pace_arm(x->owner, due);
            return 1;
        }
    }
    x->pace_bytes += n;
    return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *userdata)
{
    struct bgcopy__xfer *x = userdata;
    size_t total = size * n;

    x->last_rx_ms = uv_now(x->loop);
    if (x->stopped || x->abort_seen)
        return 0;
    if (!x->responded) {
        struct bgcopy__xfer_response r;
        int stop;

        make_response(x, &r);
        if (r.status == 0) {
            /* curl accepted something that was no HTTP response head */
            x->local_failure = BGCOPY_E_WINHTTP_INVALID_SERVER_RESPONSE;
            return 0;
        }
        bgcopy__mutex_lock(x->engine->lock);
        if (x->aborted) {
            bgcopy__mutex_unlock(x->engine->lock);
            x->abort_seen = 1;
            return 0;
        }
        x->responded = 1;
        stop = x->sink->on_response(x->ctx, &r);
        bgcopy__mutex_unlock(x->engine->lock);
        if (stop) {
            x->stopped = 1;
            return 0;
        }
    }
    if (x->d.max_recv > 0 && pace_hold(x, total))
        return CURL_WRITEFUNC_PAUSE;
    if (x->buf == NULL && (x->buf = malloc(BODY_BATCH)) == NULL) {
        /* the engine accepted the response: it gets E_OUTOFMEMORY from on_done */
        x->local_failure = BGCOPY_E_OUTOFMEMORY;
        return 0;
    }
    while (total > 0) {
        size_t take = BODY_BATCH - x->buf_len;
        if (take > total)
            take = total;
        memcpy(x->buf + x->buf_len, p, take);
        x->buf_len += take;
        p += take;
        total -= take;
        if (x->buf_len == BODY_BATCH && !flush_body(x))
            return 0;
    }
    return size * n;
}

static void link_live(struct http_transport *t, struct bgcopy__xfer *x)
{
    x->prev = NULL;
    x->next = t->live;
    if (t->live)
        t->live->prev = x;
    t->live = x;
}

static void unlink_live(struct http_transport *t, struct bgcopy__xfer *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else if (t->live == x)
        t->live = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->prev = x->next = NULL;
}

/* Removes and frees x's easy handle. I/O thread. */
static void detach_easy(struct http_transport *t, struct bgcopy__xfer *x)
{
    if (x->easy == NULL)
        return;
    curl_multi_remove_handle(t->multi, x->easy);
    curl_easy_cleanup(x->easy);
    x->easy = NULL;
    curl_slist_free_all(x->header_list);
    x->header_list = NULL;
}

/* 1 when curl sent x through the OVERRIDE proxy: its host (the last one, after redirects) is
 * not in the bypass list. I/O thread, easy handle alive. */
static int sent_via_proxy(const struct bgcopy__xfer *x)
{
    char *eff = NULL, *host = NULL;
    CURLU *u;
    int via = 1;

    if (x->d.proxy_mode != PROXY_SET)
        return 0;
    if (x->d.noproxy == NULL || x->d.noproxy[0] == '\0' ||
        curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &eff) != CURLE_OK || eff == NULL)
        return 1;
    u = curl_url();
    if (u != NULL && curl_url_set(u, CURLUPART_URL, eff, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        via = !bgcopy__http_bypassed(x->d.noproxy, host);
    curl_free(host);
    curl_url_cleanup(u);
    return via;
}

/* The request ended: curl reported it done with rc, or (fail_hr a failure) it failed outside
 * curl (could not be started, or the multi handle gave up) with fail_hr in fail_ctx. Delivers
 * what is owed to the engine and frees x, unless the engine aborted it: then the queued ABORT
 * command frees it. I/O thread; takes the engine lock to call the sink. */
static void finish(struct http_transport *t, struct bgcopy__xfer *x, CURLcode rc, bgcopy_hr fail_hr,
                   bgcopy_error_context fail_ctx)
{
    struct bgcopy__xfer_response r;
    struct bgcopy__http_failure_info info;
    bgcopy_hr hr = fail_hr;
    bgcopy_error_context ectx = fail_ctx;
    int have_response = 0;

    memset(&info, 0, sizeof(info));
    if (x->easy != NULL) {
        if (BGCOPY_SUCCEEDED(fail_hr) && rc == CURLE_OK && !x->responded) {
            make_response(x, &r);
            have_response = 1;
        }
        if (BGCOPY_SUCCEEDED(fail_hr) && rc != CURLE_OK) {
            long v = 0;
            info.openssl_codes = curl_openssl;
            info.chain_checked = x->d.verify_peer;
            info.via_proxy = sent_via_proxy(x);
            if (curl_easy_getinfo(x->easy, CURLINFO_SSL_VERIFYRESULT, &v) == CURLE_OK)
                info.ssl_verify_result = v;
            if (curl_easy_getinfo(x->easy, CURLINFO_HTTP_CONNECTCODE, &v) == CURLE_OK)
                info.connect_code = v;
            if (curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &v) == CURLE_OK)
                info.redirects = v;
        }
        detach_easy(t, x);
    }
    if (x->stopped) {
        unlink_live(t, x);
        xfer_free(x);
        return;
    }
    if (x->abort_seen)
        return;
    if (BGCOPY_SUCCEEDED(hr) && rc != CURLE_OK) {
        if (BGCOPY_FAILED(x->local_failure)) {
            hr = x->local_failure;
            ectx = BGCOPY_ERROR_CONTEXT_REMOTE_FILE;
        } else {
            bgcopy__http_map_error(rc, &info, &hr, &ectx);
        }
    }
    if (have_response && r.status == 0) {
        /* curl accepted something that was no HTTP response head */
        hr = BGCOPY_E_WINHTTP_INVALID_SERVER_RESPONSE;
        ectx = BGCOPY_ERROR_CONTEXT_REMOTE_FILE;
        have_response = 0;
    }

    bgcopy__mutex_lock(x->engine->lock);
    if (x->aborted) {
        bgcopy__mutex_unlock(x->engine->lock);
        x->abort_seen = 1;
        return;
    }
    if (have_response) {
        x->responded = 1;
        if (x->sink->on_response(x->ctx, &r) != 0)
            goto out;
    }
    if (x->responded && x->buf_len > 0) {
        /* bytes that arrived before the end (or the failure) are good data */
        bgcopy_hr dhr = x->sink->on_data(x->ctx, x->buf, x->buf_len);
        x->buf_len = 0;
        if (BGCOPY_FAILED(dhr))
            goto out;
    }
    if (BGCOPY_SUCCEEDED(hr))
        x->sink->on_done(x->ctx, BGCOPY_S_OK, BGCOPY_ERROR_CONTEXT_NONE);
    else
        x->sink->on_done(x->ctx, hr, ectx);
out: /* delivered, or the engine said stop: it forgot x either way */
    bgcopy__mutex_unlock(x->engine->lock);
    unlink_live(t, x);
    xfer_free(x);
}

/* When x's stall clock runs out (uv_now() scale). The clock starts once curl has sent the
 * request (connecting has its own limit, CURLOPT_CONNECTTIMEOUT); until then the deadline is
 * one stall period from now, to look again. I/O thread. */
static uint64_t stall_deadline(struct bgcopy__xfer *x, uint64_t now)
{
    uint64_t period = (uint64_t)x->d.stall_seconds * 1000u;

    if (x->pace_resume_ms != 0)
        return x->pace_resume_ms + period; /* held back by the bandwidth cap: not a stall */
    if (!x->stall_clock) {
        curl_off_t pretransfer = 0;
        if (curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer) != CURLE_OK ||
            pretransfer <= 0)
            return now + period;
        x->stall_clock = 1;
        if (x->last_rx_ms < x->started_ms + (uint64_t)pretransfer / 1000u)
            x->last_rx_ms = x->started_ms + (uint64_t)pretransfer / 1000u;
    }
    return x->last_rx_ms + period;
}

/* The stall timer: requests whose clock ran out end with ERROR_WINHTTP_TIMEOUT; the timer is
 * armed again for the earliest remaining deadline. I/O thread. */
static void on_stall_timer(uv_timer_t *timer)
{
    struct http_transport *t = timer->data;
    uint64_t now = uv_now(&t->loop), next = UINT64_MAX;
    struct bgcopy__xfer *x, *after;

    if (t->closing)
        return;
    for (x = t->live; x; x = after) {
        uint64_t due;
        after = x->next;
        if (x->easy == NULL)
            continue;
        due = stall_deadline(x, now);
        if (due <= now) {
            x->local_failure = BGCOPY_E_WINHTTP_TIMEOUT;
            finish(t, x, CURLE_OPERATION_TIMEDOUT, BGCOPY_S_OK, BGCOPY_ERROR_CONTEXT_NONE);
        } else if (due < next) {
            next = due;
        }
    }
    if (next != UINT64_MAX)
        uv_timer_start(&t->stall_timer, on_stall_timer, next - now, 0);
}

/* The pace timer: paused requests whose time came are let go on (curl delivers the bytes it
 * kept to on_body again, which may pause them anew); the timer is armed again for the earliest
 * remaining pause. I/O thread. */
static void on_pace_timer(uv_timer_t *timer)
{
    struct http_transport *t = timer->data;
    uint64_t now = uv_now(&t->loop);
    struct bgcopy__xfer *x, *after;

    if (t->closing)
        return;
    for (x = t->live; x; x = after) {
        after = x->next;
        if (x->easy == NULL || x->pace_resume_ms == 0)
            continue;
        if (x->pace_resume_ms <= now) {
            x->pace_resume_ms = 0;
            (void)curl_easy_pause(x->easy, CURLPAUSE_CONT);
        } else {
            pace_arm(t, x->pace_resume_ms);
        }
    }
}

/* Every live request fails with hr (the multi handle refused to go on: out of memory, or a
 * socket callback failure made curl abort all transfers). I/O thread. */
static void fail_all(struct http_transport *t, bgcopy_hr hr)
{
    struct bgcopy__xfer *x = t->live, *next;
    for (; x; x = next) {
        next = x->next;
        if (x->easy != NULL)
            finish(t, x, CURLE_OK, hr, BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT);
    }
}

/* Drains curl's completion messages. I/O thread. */
static void check_done(struct http_transport *t)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(t->multi, &left)) != NULL) {
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        char *priv = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        /* msg is invalid once the handle is removed: only the copies are used below */
        if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) == CURLE_OK && priv != NULL)
            finish(t, (struct bgcopy__xfer *)priv, rc, BGCOPY_S_OK, BGCOPY_ERROR_CONTEXT_NONE);
    }
}

/* After curl_multi_socket_action: completions, then a multi-level failure (out of memory, or
 * a socket callback failure that made curl abandon every transfer) fails what is left. */
static void after_action(struct http_transport *t, CURLMcode mc)
{
    check_done(t);
    if (mc != CURLM_OK && mc != CURLM_BAD_SOCKET)
        fail_all(t, BGCOPY_E_OUTOFMEMORY);
}

/* ---- libuv <-> curl glue (I/O thread) ----------------------------------------------------- */

static void on_sock_closed(uv_handle_t *h)
{
    free(h->data);
}

static void close_sock(struct http_transport *t, struct sock_ctx *sc)
{
    if (sc->prev)
        sc->prev->next = sc->next;
    else
        t->socks = sc->next;
    if (sc->next)
        sc->next->prev = sc->prev;
    uv_poll_stop(&sc->poll);
    uv_close((uv_handle_t *)&sc->poll, on_sock_closed);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct sock_ctx *sc = h->data;
    struct http_transport *t = sc->t;
    int flags = 0, running = 0;
    CURLMcode mc;

    if (status < 0) {
        flags = CURL_CSELECT_ERR;
    } else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    /* may close sc (CURL_POLL_REMOVE): not used afterwards */
    mc = curl_multi_socket_action(t->multi, sc->fd, flags, &running);
    after_action(t, mc);
}

/* CURLMOPT_SOCKETFUNCTION: one uv_poll per socket, attached with curl_multi_assign. Returns
 * -1 when out of memory, which makes curl fail every transfer of the multi handle. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct http_transport *t = userp;
    struct sock_ctx *sc = socketp;
    int events = 0;

    if (t->closing)
        return 0;
    if (what == CURL_POLL_REMOVE) {
        if (sc != NULL) {
            close_sock(t, sc);
            curl_multi_assign(t->multi, s, NULL);
        }
        return 0;
    }
    if (sc == NULL) {
        sc = bgcopy__calloc(1, sizeof(*sc));
        if (sc == NULL)
            return -1;
        if (uv_poll_init_socket(&t->loop, &sc->poll, s) != 0) {
            free(sc);
            return -1;
        }
        sc->fd = s;
        sc->t = t;
        sc->poll.data = sc;
        sc->next = t->socks;
        if (t->socks)
            t->socks->prev = sc;
        t->socks = sc;
        curl_multi_assign(t->multi, s, sc);
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    if (uv_poll_start(&sc->poll, events, on_poll) != 0)
        return -1;
    return 0;
}

static void on_timeout(uv_timer_t *timer)
{
    struct http_transport *t = timer->data;
    int running = 0;
    CURLMcode mc = curl_multi_socket_action(t->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    after_action(t, mc);
}

/* CURLMOPT_TIMERFUNCTION: (re)arms the single one-shot timer; never acts from here. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct http_transport *t = userp;

    if (t->closing)
        return 0;
    if (timeout_ms < 0)
        uv_timer_stop(&t->timer);
    else
        uv_timer_start(&t->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---- requests (I/O thread) ------------------------------------------------------------------ */

/* Appends the job's CRLF-terminated custom headers to x->header_list. */
static int add_custom_headers(struct bgcopy__xfer *x)
{
    const char *p = x->d.headers;
    char line[BGCOPY__MAX_CUSTOM_HEADERS + 1];

    while (p && *p) {
        const char *end = strstr(p, "\r\n");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        struct curl_slist *l;
        if (len > 0) {
            if (len >= sizeof(line))
                return -1;
            memcpy(line, p, len);
            line[len] = '\0';
            l = curl_slist_append(x->header_list, line);
            if (l == NULL)
                return -1;
            x->header_list = l;
        }
        p = end ? end + 2 : p + len;
    }
    return 0;
}

/* Sets x->easy up from x's description (x->header_list receives the custom headers). Returns
 * CURLE_OK, or the failure; the caller then frees the handle. I/O thread. */
static CURLcode build_request(struct bgcopy__xfer *x)
{
    const struct http_desc *d = &x->d;
    CURL *e = x->easy;
    CURLcode rc = CURLE_OK;

#define SET(opt, val)                           \
    do {                                        \
        if (rc == CURLE_OK)                     \
            rc = curl_easy_setopt(e, opt, val); \
    } while (0)

    SET(CURLOPT_PRIVATE, (void *)x);
    SET(CURLOPT_URL, d->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_USERAGENT, USER_AGENT);
    SET(CURLOPT_BUFFERSIZE, d->recv_buffer);
    SET(CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
    /* a stall is the transport's stall timer's business (on_stall_timer): no progress
     * callbacks, no LOW_SPEED timer in curl */
    SET(CURLOPT_NOPROGRESS, 1L);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, (void *)x);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, (void *)x);
    SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    if (d->head)
        SET(CURLOPT_NOBODY, 1L);
    if (d->has_range)
        SET(CURLOPT_RANGE, d->range);

    /* redirect policy (reference §8.4) */
    SET(CURLOPT_FOLLOWLOCATION, d->follow ? 1L : 0L);
    SET(CURLOPT_MAXREDIRS, MAX_REDIRECTS);
    SET(CURLOPT_REDIR_PROTOCOLS_STR, d->redir_protocols);

    /* certificate checks: on unless a security flag relaxes them */
    SET(CURLOPT_SSL_VERIFYPEER, d->verify_peer ? 1L : 0L);
    SET(CURLOPT_SSL_VERIFYHOST, d->verify_host ? 2L : 0L);
    if (rc == CURLE_OK && d->revocation) {
        /* BG_SSL_ENABLE_CRL_CHECK: the server must staple a good OCSP answer (curl cannot
         * fetch CRLs); a TLS library without support fails the request as REV_FAILED. */
        if (curl_easy_setopt(e, CURLOPT_SSL_VERIFYSTATUS, 1L) != CURLE_OK)
            rc = CURLE_SSL_INVALIDCERTSTATUS;
    }

    /* credentials */
    if (d->auth != 0) {
        SET(CURLOPT_HTTPAUTH, d->auth);
        SET(CURLOPT_USERNAME, d->user);
        SET(CURLOPT_PASSWORD, d->password);
    }
    if (d->proxy_auth != 0) {
        SET(CURLOPT_PROXYAUTH, d->proxy_auth);
        SET(CURLOPT_PROXYUSERNAME, d->proxy_user);
        SET(CURLOPT_PROXYPASSWORD, d->proxy_password);
    }

    /* proxy */
    if (d->proxy_mode == PROXY_OFF) {
        SET(CURLOPT_PROXY, "");
    } else if (d->proxy_mode == PROXY_SET) {
        SET(CURLOPT_PROXY, d->proxy);
        SET(CURLOPT_NOPROXY, d->noproxy);
    }

    if (rc == CURLE_OK && add_custom_headers(x) != 0)
        rc = CURLE_OUT_OF_MEMORY;
    if (x->header_list != NULL)
        SET(CURLOPT_HTTPHEADER, x->header_list);
#undef SET
    return rc;
}

/* START: the request goes to the multi handle; a request that cannot be built or added fails
 * at once through finish(). */
static void cmd_start(struct http_transport *t, struct bgcopy__xfer *x)
{
    CURLcode rc = CURLE_OUT_OF_MEMORY;
    CURLMcode mc;

    link_live(t, x);
    x->owner = t;
    x->loop = &t->loop;
    x->started_ms = x->last_rx_ms = uv_now(&t->loop);
    bgcopy__http_head_init(&x->head);
    x->easy = curl_easy_init();
    if (x->easy != NULL)
        rc = build_request(x);
    if (rc != CURLE_OK) {
        bgcopy_hr hr;
        bgcopy_error_context ectx;
        curl_easy_cleanup(x->easy); /* NULL is fine */
        x->easy = NULL;
        bgcopy__http_map_error(rc, NULL, &hr, &ectx);
        finish(t, x, CURLE_OK, hr, ectx);
        return;
    }
    mc = curl_multi_add_handle(t->multi, x->easy);
    if (mc != CURLM_OK) {
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
        curl_slist_free_all(x->header_list);
        x->header_list = NULL;
        finish(t, x, CURLE_OK, BGCOPY_E_OUTOFMEMORY, BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT);
        return;
    }
    {
        /* x's first deadline is a full stall period away: arm the timer for it unless it is
         * due sooner already */
        uint64_t period = (uint64_t)x->d.stall_seconds * 1000u;
        if (!uv_is_active((uv_handle_t *)&t->stall_timer) ||
            uv_timer_get_due_in(&t->stall_timer) > period)
            uv_timer_start(&t->stall_timer, on_stall_timer, period, 0);
    }
}

/* ABORT: the engine forgot x (its aborted flag is set): end the request, free it. */
static void cmd_abort(struct http_transport *t, struct bgcopy__xfer *x)
{
    detach_easy(t, x);
    unlink_live(t, x);
    xfer_free(x);
}

/* STOP: frees every request without calling the engine (it is going away), closes every poll
 * before curl_multi_cleanup (which closes the sockets), then the timer and the async handle;
 * uv_run returns once their close callbacks ran. */
static void teardown(struct http_transport *t)
{
    while (t->live != NULL) {
        struct bgcopy__xfer *x = t->live;
        detach_easy(t, x);
        unlink_live(t, x);
        xfer_free(x);
    }
    while (t->socks != NULL) {
        curl_socket_t fd = t->socks->fd;
        close_sock(t, t->socks);
        curl_multi_assign(t->multi, fd, NULL);
    }
    t->closing = 1;
    curl_multi_cleanup(t->multi);
    t->multi = NULL;
    uv_close((uv_handle_t *)&t->timer, NULL);
    uv_close((uv_handle_t *)&t->stall_timer, NULL);
    uv_close((uv_handle_t *)&t->pace_timer, NULL);
    uv_close((uv_handle_t *)&t->async, NULL);
}

/* uv_async callback: runs every queued command in order. */
static void on_async(uv_async_t *a)
{
    struct http_transport *t = a->data;
    struct cmd *c;

    bgcopy__mutex_lock(t->qlock);
    c = t->qhead;
    t->qhead = t->qtail = NULL;
    bgcopy__mutex_unlock(t->qlock);
    while (c != NULL) {
        struct cmd *next = c->next;
        switch (c->kind) {
        case CMD_START:
            cmd_start(t, c->x);
            break;
        case CMD_ABORT:
            cmd_abort(t, c->x);
            break;
        case CMD_STOP:
            teardown(t);
            return; /* nothing can follow STOP */
        default:
            break;
        }
        c = next;
    }
}

static void io_main(void *arg)
{
    struct http_transport *t = arg;
    uv_run(&t->loop, UV_RUN_DEFAULT);
}

/* Creates the loop, the multi handle and the I/O thread on the first start(). Engine lock
 * held. Errors: E_OUTOFMEMORY, ERROR_WINHTTP_INTERNAL_ERROR (libcurl or libuv refused). */
static bgcopy_hr io_start(struct http_transport *t)
{
    bgcopy_hr hr = BGCOPY_E_WINHTTP_INTERNAL_ERROR;
    int loop_ok = 0, async_ok = 0, timer_ok = 0;

    uv_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return curl_init_rc == CURLE_OUT_OF_MEMORY ? BGCOPY_E_OUTOFMEMORY
                                                   : BGCOPY_E_WINHTTP_INTERNAL_ERROR;
    if (uv_loop_init(&t->loop) != 0)
        goto fail;
    loop_ok = 1;
    if (uv_async_init(&t->loop, &t->async, on_async) != 0)
        goto fail;
    async_ok = 1;
    t->async.data = t;
    if (uv_timer_init(&t->loop, &t->timer) != 0)
        goto fail;
    t->timer.data = t;
    if (uv_timer_init(&t->loop, &t->stall_timer) != 0) {
        uv_close((uv_handle_t *)&t->timer, NULL);
        goto fail;
    }
    if (uv_timer_init(&t->loop, &t->pace_timer) != 0) {
        uv_close((uv_handle_t *)&t->timer, NULL);
        uv_close((uv_handle_t *)&t->stall_timer, NULL);
        goto fail;
    }
    timer_ok = 1;
    t->stall_timer.data = t;
    t->pace_timer.data = t;
    t->multi = curl_multi_init();
    if (t->multi == NULL) {
        hr = BGCOPY_E_OUTOFMEMORY;
        goto fail;
    }
    if (curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
        curl_multi_setopt(t->multi, CURLMOPT_SOCKETDATA, (void *)t) != CURLM_OK ||
        curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
        curl_multi_setopt(t->multi, CURLMOPT_TIMERDATA, (void *)t) != CURLM_OK)
        goto fail;
    hr = bgcopy__thread_start(&t->thread, io_main, t);
    if (BGCOPY_FAILED(hr))
        goto fail;
    bgcopy__mutex_lock(t->qlock);
    t->running = 1;
    bgcopy__mutex_unlock(t->qlock);
    return BGCOPY_S_OK;

fail:
    if (t->multi != NULL)
        curl_multi_cleanup(t->multi);
    t->multi = NULL;
    if (loop_ok) {
        if (timer_ok) {
            uv_close((uv_handle_t *)&t->timer, NULL);
            uv_close((uv_handle_t *)&t->stall_timer, NULL);
            uv_close((uv_handle_t *)&t->pace_timer, NULL);
        }
        if (async_ok)
            uv_close((uv_handle_t *)&t->async, NULL);
        uv_run(&t->loop, UV_RUN_DEFAULT);
        (void)uv_loop_close(&t->loop);
    }
    return hr;
}

/* ---- the transport table ---------------------------------------------------------------- */

static int http_accepts(struct bgcopy__transport *tp, const char *url)
{
    int kind = 0;
    return BGCOPY_SUCCEEDED(bgcopy__validate_remote(url, &kind)) && kind == BGCOPY__URL_HTTP;
}

/* Engine lock held; any engine thread. Never blocks on I/O. */
static bgcopy_hr http_start(struct bgcopy__transport *tp, struct bgcopy__engine *e,
                            const struct bgcopy__xfer_request *req,
                            const struct bgcopy__xfer_sink *sink, void *ctx,
                            struct bgcopy__xfer **out)
{
    struct http_transport *t = tp->state;
    struct bgcopy__xfer *x;
    bgcopy_hr hr;

    if (!t->running) {
        hr = io_start(t);
        if (BGCOPY_FAILED(hr))
            return hr;
    }
    x = bgcopy__calloc(1, sizeof(*x));
    if (x == NULL)
        return BGCOPY_E_OUTOFMEMORY;
    hr = build_desc(&x->d, e, req);
    if (BGCOPY_FAILED(hr)) {
        xfer_free(x);
        return hr;
    }
    x->engine = e;
    x->sink = sink;
    x->ctx = ctx;
    x->start_cmd.kind = CMD_START;
    x->start_cmd.x = x;
    x->abort_cmd.kind = CMD_ABORT;
    x->abort_cmd.x = x;
    *out = x;
    push_cmd(t, &x->start_cmd);
    return BGCOPY_S_OK;
}

/* Engine lock held; any engine thread (the I/O thread too, from inside a sink for another
 * request). The I/O thread frees x when it runs the command. */
static void http_abort(struct bgcopy__transport *tp, struct bgcopy__xfer *x)
{
    struct http_transport *t = tp->state;
    x->aborted = 1;
    push_cmd(t, &x->abort_cmd);
}

/* Engine lock NOT held (the I/O thread may be waiting for it); after every request was
 * aborted. Stops and joins the I/O thread. */
static void http_destroy(struct bgcopy__transport *tp)
{
    struct http_transport *t = tp->state;
    int running;

    bgcopy__mutex_lock(t->qlock);
    running = t->running;
    bgcopy__mutex_unlock(t->qlock);
    if (running) {
        t->stop_cmd.kind = CMD_STOP;
        push_cmd(t, &t->stop_cmd);
        bgcopy__thread_join(t->thread);
        if (uv_loop_close(&t->loop) != 0)
            return; /* a handle is still open: leaking beats freeing a live loop */
    }
    bgcopy__mutex_free(t->qlock);
    free(t);
}

struct bgcopy__transport *bgcopy__transport_http_new(void)
{
    struct http_transport *t = bgcopy__calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    t->qlock = bgcopy__mutex_new();
    if (t->qlock == NULL) {
        free(t);
        return NULL;
    }
    t->tp.name = "http";
    t->tp.protocol = "http";
    t->tp.state = t;
    t->tp.accepts = http_accepts;
    t->tp.start = http_start;
    t->tp.abort = http_abort;
    t->tp.destroy = http_destroy;
    return &t->tp;
}
