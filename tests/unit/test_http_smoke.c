/* test_http_smoke.c - the HTTP transport (backend-curl/) end to end, on the real clock: a
 * real-mode manager downloads from `python3 -m http.server` started on 127.0.0.1 by the test.
 *
 * Python's server answers HEAD with the size but ignores Range, so it exercises the engine's
 * range rules over a real socket: a NORMAL job fails with BG_E_INSUFFICIENT_RANGE_SUPPORT and
 * a FOREGROUND job under 2 GiB accepts the whole body. A missing file gives the 404 HRESULT, a
 * port nobody listens on a transient ERROR_WINHTTP_CANNOT_CONNECT, and a peer that accepts but
 * never answers a transient ERROR_WINHTTP_TIMEOUT after the manager's http_stall_timeout. A job
 * cancelled with a request in flight exercises the transport's abort path.
 *
 * A scripted peer (a thread of this test answering one request per connection) pins what goes
 * on the wire (HEAD then a ranged GET, HTTP/1.1, the User-Agent, custom headers) and the three
 * redirect policies. An HTTPS server (python3's ssl module with a self-signed certificate made
 * by the openssl tool) pins the certificate errors and the security flags that relax them.
 *
 * Waiting: the callbacks signal a condition variable; each wait has a 30 s deadline that only
 * matters if something hangs. Starting a server waits (at most 10 s) until it accepts
 * connections. Tests needing python3 (or openssl) are skipped when it cannot be started.
 * BGCOPY_TEST_FILTER=<glob> runs a subset. Registered twice: in-process (unit_http_smoke) and
 * through bgcopyd (service_http_smoke, tests/helpers/svcmode.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bgcopy.h"
#include "svcmode.h"

#define assert_hr(expected, actual) assert_int_equal((uint32_t)(expected), (uint32_t)(actual))

#define FILE_SIZE (3u * 1024 * 1024)

extern char **environ;

static char dir[512]; /* absolute scratch directory; the server serves dir/www */
static pid_t server = -1;
static pid_t tls_server = -1; /* test_https_certificates; stopped in teardown too */
static int port;              /* python's http.server */
static int have_python;       /* 0: the tests that need python3 are skipped */

/* ---- waiting for callbacks -------------------------------------------------------------- */

struct waiter {
    pthread_mutex_t m;
    pthread_cond_t c;
    unsigned generation; /* bumped by every callback */
    int transferred;
    int errors;
};

static void bump(struct waiter *w, int *counter)
{
    pthread_mutex_lock(&w->m);
    if (counter)
        (*counter)++;
    w->generation++;
    pthread_cond_broadcast(&w->c);
    pthread_mutex_unlock(&w->m);
}

static bgcopy_hr on_transferred(bgcopy_job *job, void *user)
{
    struct waiter *w = user;
    bump(w, &w->transferred);
    return BGCOPY_S_OK;
}

static bgcopy_hr on_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    struct waiter *w = user;
    bump(w, &w->errors);
    return BGCOPY_S_OK;
}

static bgcopy_hr on_modification(bgcopy_job *job, uint32_t reserved, void *user)
{
    bump(user, NULL);
    return BGCOPY_S_OK;
}

static void init_waiter(struct waiter *w)
{
    memset(w, 0, sizeof(*w));
    pthread_mutex_init(&w->m, NULL);
    pthread_cond_init(&w->c, NULL);
}

static void free_waiter(struct waiter *w)
{
    pthread_mutex_destroy(&w->m);
    pthread_cond_destroy(&w->c);
}

static struct timespec deadline_in(int seconds)
{
    struct timespec d;
    clock_gettime(CLOCK_REALTIME, &d);
    d.tv_sec += seconds;
    return d;
}

/* Waits until *counter is non-zero; fails the test after 30 s. */
static void wait_for(struct waiter *w, int *counter)
{
    struct timespec d = deadline_in(30);
    pthread_mutex_lock(&w->m);
    while (*counter == 0 && pthread_cond_timedwait(&w->c, &w->m, &d) == 0)
        ;
    pthread_mutex_unlock(&w->m);
    assert_true(*counter > 0);
}

/* Waits until the job's state is one of `mask` (bit 1 << state), re-checked after every
 * callback; returns it. Fails the test after 30 s. */
static bgcopy_job_state wait_for_states(struct waiter *w, bgcopy_job *job, unsigned mask)
{
    struct timespec d = deadline_in(30);
    bgcopy_job_state st = BGCOPY_JOB_STATE_QUEUED;
    int timed_out = 0;

    for (;;) {
        unsigned gen;
        pthread_mutex_lock(&w->m);
        gen = w->generation;
        pthread_mutex_unlock(&w->m);
        assert_hr(BGCOPY_S_OK, bgcopy_job_get_state(job, &st));
        if ((mask & (1u << st)) != 0)
            return st;
        if (timed_out)
            fail_msg("job still in state %d after 30 s", (int)st);
        pthread_mutex_lock(&w->m);
        while (w->generation == gen && !timed_out)
            timed_out = pthread_cond_timedwait(&w->c, &w->m, &d) != 0;
        pthread_mutex_unlock(&w->m);
    }
}

static void wait_for_state(struct waiter *w, bgcopy_job *job, bgcopy_job_state want)
{
    assert_int_equal(want, wait_for_states(w, job, 1u << want));
}

/* ---- sockets and the server ------------------------------------------------------------- */

/* A TCP socket bound to 127.0.0.1 on a free port (listening when backlog > 0). */
static int bound_socket(int backlog, int *out_port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        (backlog > 0 && listen(fd, backlog) != 0) ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    *out_port = ntohs(a.sin_port);
    return fd;
}

static int can_connect(int p)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

    if (fd < 0)
        return 0;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)p);
    ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static void stop_process(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGTERM);
        while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
            ;
        *pid = -1;
    }
}

static void stop_server(void)
{
    stop_process(&server);
}

/* Runs argv (searched in PATH, output discarded) and waits for it. Returns its exit status,
 * or -1 when it could not be run. */
static int run_quiet(char *const argv[])
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int rc, status = 0;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Starts a server: argv with the string "PORT" replaced by a free port, output discarded.
 * Waits until it accepts connections on 127.0.0.1:*out_port. Returns 0 and *pid, or -1 when it
 * cannot be run (after a few ports were tried). */
static int start_process(char *argv[], pid_t *pid, int *out_port)
{
    char port_s[16];
    int attempt, slot = -1, i;

    for (i = 0; argv[i] != NULL; i++)
        if (strcmp(argv[i], "PORT") == 0)
            slot = i;
    if (slot < 0)
        return -1;
    for (attempt = 0; attempt < 5; attempt++) {
        posix_spawn_file_actions_t fa;
        struct timespec pause = {0, 20 * 1000 * 1000};
        int fd = bound_socket(0, out_port), rc;

        if (fd < 0)
            return -1;
        close(fd); /* free again: the server binds it (a race with other programs is retried) */
        snprintf(port_s, sizeof(port_s), "%d", *out_port);
        argv[slot] = port_s;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        rc = posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        argv[slot] = (char *)"PORT";
        if (rc != 0) {
            *pid = -1;
            return -1;
        }
        for (i = 0; i < 500; i++) { /* 10 s */
            if (can_connect(*out_port))
                return 0;
            if (waitpid(*pid, NULL, WNOHANG) == *pid) {
                *pid = -1; /* exited: port taken, or no python */
                break;
            }
            nanosleep(&pause, NULL);
        }
        stop_process(pid);
    }
    return -1;
}

/* python3 -m http.server on a free port serving dir/www. */
static int start_server(void)
{
    char www[600];
    char *argv[] = {"python3",     "-m", "http.server", "--bind", "127.0.0.1",
                    "--directory", www,  "PORT",        NULL};
    snprintf(www, sizeof(www), "%s/www", dir);
    return start_process(argv, &server, &port);
}

static int same_content(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int ca, cb, same = fa && fb;
    while (same) {
        ca = fgetc(fa);
        cb = fgetc(fb);
        if (ca != cb)
            same = 0;
        if (ca == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static int group_setup(void **state)
{
    char cwd[256], path[600];

    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return -1;
    snprintf(dir, sizeof(dir), "%s/http-smoke-XXXXXX", cwd);
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/www", dir);
    if (mkdir(path, 0700) != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/www/big.bin", dir);
    {
        FILE *f = fopen(path, "wb");
        size_t i;
        if (f == NULL)
            return -1;
        for (i = 0; i < FILE_SIZE; i++)
            fputc((int)(((i * 131u + 7u) ^ (i >> 13)) & 0xFF), f);
        if (fclose(f) != 0)
            return -1;
    }
    have_python = start_server() == 0;
    return 0;
}

static int group_teardown(void **state)
{
    char cmd[600];
    stop_server();
    stop_process(&tls_server);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static bgcopy_manager *open_manager(void)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL;
    o.http_stall_timeout = 2;
    assert_hr(BGCOPY_S_OK, fx_manager_open(&o, &mgr));
    return mgr;
}

/* A job with one file url -> dir/<local>, callbacks into w, at the given priority. */
static bgcopy_job *make_job(bgcopy_manager *mgr, struct waiter *w, const char *url,
                            const char *local, bgcopy_job_priority priority)
{
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_job *job = NULL;
    char dst[700];

    snprintf(dst, sizeof(dst), "%s/%s", dir, local);
    assert_hr(BGCOPY_S_OK,
              bgcopy_manager_create_job(mgr, "http smoke", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file(job, url, dst));
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_priority(job, priority));
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_flags(job, BGCOPY_NOTIFY_JOB_TRANSFERRED |
                                                                BGCOPY_NOTIFY_JOB_ERROR |
                                                                BGCOPY_NOTIFY_JOB_MODIFICATION));
    cb.job_transferred = on_transferred;
    cb.job_error = on_error;
    cb.job_modification = on_modification;
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(job, &cb, w));
    return job;
}

static void assert_job_error(bgcopy_job *job, bgcopy_error_context want_ctx, bgcopy_hr want_code)
{
    bgcopy_error *err = NULL;
    bgcopy_error_context ctx;
    bgcopy_hr code;

    assert_hr(BGCOPY_S_OK, bgcopy_job_get_error(job, &err));
    assert_hr(BGCOPY_S_OK, bgcopy_error_get_error(err, &ctx, &code));
    assert_hr(want_code, code);
    assert_int_equal(want_ctx, ctx);
    bgcopy_error_release(err);
}

static void url_for(char *buf, size_t size, int p, const char *path)
{
    snprintf(buf, size, "http://127.0.0.1:%d/%s", p, path);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_normal_job_needs_ranges(void **state)
{
    bgcopy_manager *mgr;
    bgcopy_job *job;
    bgcopy_job_state st;
    bgcopy_job_progress p;
    struct waiter w;
    char url[128];

    if (!have_python)
        skip();
    init_waiter(&w);
    mgr = open_manager();
    url_for(url, sizeof(url), port, "big.bin");
    job = make_job(mgr, &w, url, "normal.bin", BGCOPY_JOB_PRIORITY_NORMAL);
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_for(&w, &w.errors);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_state(job, &st));
    assert_int_equal(BGCOPY_JOB_STATE_ERROR, st);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT);
    /* the HEAD told the size */
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_progress(job, &p));
    assert_int_equal(FILE_SIZE, p.bytes_total);
    assert_int_equal(0, p.bytes_transferred);
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    free_waiter(&w);
}

static void test_foreground_job_takes_whole_body(void **state)
{
    bgcopy_manager *mgr;
    bgcopy_job *job;
    bgcopy_job_state st;
    bgcopy_job_progress p;
    struct waiter w;
    char url[128], src[700], dst[700];

    if (!have_python)
        skip();
    init_waiter(&w);
    mgr = open_manager();
    url_for(url, sizeof(url), port, "big.bin");
    job = make_job(mgr, &w, url, "foreground.bin", BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_for(&w, &w.transferred);
    assert_int_equal(0, w.errors);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_state(job, &st));
    assert_int_equal(BGCOPY_JOB_STATE_TRANSFERRED, st);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_progress(job, &p));
    assert_int_equal(FILE_SIZE, p.bytes_total);
    assert_int_equal(FILE_SIZE, p.bytes_transferred);
    assert_int_equal(1, p.files_transferred);
    assert_hr(BGCOPY_S_OK, bgcopy_job_complete(job));
    snprintf(src, sizeof(src), "%s/www/big.bin", dir);
    snprintf(dst, sizeof(dst), "%s/foreground.bin", dir);
    assert_true(same_content(src, dst));
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    free_waiter(&w);
}

static void test_missing_file_is_404(void **state)
{
    bgcopy_manager *mgr;
    bgcopy_job *job;
    bgcopy_job_state st;
    struct waiter w;
    char url[128];

    if (!have_python)
        skip();
    init_waiter(&w);
    mgr = open_manager();
    url_for(url, sizeof(url), port, "absent.bin");
    job = make_job(mgr, &w, url, "absent.bin", BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_for(&w, &w.errors);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_state(job, &st));
    assert_int_equal(BGCOPY_JOB_STATE_ERROR, st);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR(404));
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    free_waiter(&w);
}

static void test_refused_connection_is_transient(void **state)
{
    bgcopy_manager *mgr;
    bgcopy_job *job;
    struct waiter w;
    char url[128];
    int closed_port = 0;
    /* bound but not listening: connections are refused, and no one else can take the port */
    int fd = bound_socket(0, &closed_port);

    assert_true(fd >= 0);
    init_waiter(&w);
    mgr = open_manager();
    url_for(url, sizeof(url), closed_port, "big.bin");
    job = make_job(mgr, &w, url, "refused.bin", BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_for_state(&w, job, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_WINHTTP_CANNOT_CONNECT);
    assert_int_equal(0, w.errors); /* transient errors raise no JobError */
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    close(fd);
    free_waiter(&w);
}

static void test_silent_server_times_out(void **state)
{
    bgcopy_manager *mgr;
    bgcopy_job *job;
    struct waiter w;
    char url[128];
    int silent_port = 0;
    /* listening, never accepting: the connection completes, no answer ever comes */
    int fd = bound_socket(8, &silent_port);

    assert_true(fd >= 0);
    init_waiter(&w);
    mgr = open_manager(); /* http_stall_timeout 2 s */
    url_for(url, sizeof(url), silent_port, "big.bin");
    job = make_job(mgr, &w, url, "silent.bin", BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_for_state(&w, job, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_WINHTTP_TIMEOUT);
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    close(fd);
    free_waiter(&w);
}

static void test_cancel_with_request_in_flight(void **state)
{
    bgcopy_manager *mgr;
    bgcopy_job *job, *job2;
    bgcopy_job_state st;
    struct waiter w;
    char url[128];
    int silent_port = 0, i;
    int fd = bound_socket(8, &silent_port);

    assert_true(fd >= 0);
    init_waiter(&w);
    mgr = open_manager();
    url_for(url, sizeof(url), silent_port, "big.bin");
    job = make_job(mgr, &w, url, "cancelled.bin", BGCOPY_JOB_PRIORITY_FOREGROUND);
    job2 = make_job(mgr, &w, url, "left.bin", BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job2));
    for (i = 0; i < 20; i++) {
        /* Suspend after a growing delay, so the abort lands at different stages: before the
         * request started, before or after the I/O thread took it, while it waits. */
        struct timespec delay = {0, (long)i * 250 * 1000};
        assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
        nanosleep(&delay, NULL);
        assert_hr(BGCOPY_S_OK, bgcopy_job_suspend(job));
    }
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_state(job, &st));
    assert_int_equal(BGCOPY_JOB_STATE_CANCELLED, st);
    bgcopy_job_release(job);
    /* job2 still has its request in flight: closing the last manager and releasing the
     * last job stops the engine and the transport's I/O thread with it */
    bgcopy_manager_close(mgr);
    bgcopy_job_release(job2);
    close(fd);
    free_waiter(&w);
}

/* ---- a scripted peer -------------------------------------------------------------------------
 * One thread accepting connections on 127.0.0.1 and answering one request per connection
 * (Connection: close), by path:
 *   /old        302 to /new
 *   /new        a 10-byte entity "0123456789", Last-Modified 784111777 (1994-11-06); HEAD gives
 *               its size, GET honours "Range: bytes=a-b" with a 206
 *   otherwise   404
 * Every request head is appended to a log the test reads afterwards. */

#define PEER_BODY  "0123456789"
#define PEER_MTIME 784111777L

struct peer {
    int fd;
    int port;
    pthread_t thread;
    pthread_mutex_t m;
    char log[16384];
    size_t log_len;
};

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

static void peer_answer(int c, const char *req)
{
    char method[16] = "", path[256] = "", resp[512];
    const char *range;
    unsigned long a = 0, b = sizeof(PEER_BODY) - 2;
    int n = 0;

    if (sscanf(req, "%15s %255s", method, path) != 2)
        return;
    if (strcmp(path, "/old") == 0) {
        n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 302 Found\r\nLocation: /new\r\nContent-Length: 5\r\n"
                     "Connection: close\r\n\r\nmoved");
    } else if (strcmp(path, "/new") != 0) {
        n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    } else if (strcmp(method, "HEAD") == 0) {
        n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n"
                     "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nConnection: close\r\n\r\n",
                     (unsigned)(sizeof(PEER_BODY) - 1));
    } else if ((range = strstr(req, "\r\nRange: bytes=")) != NULL &&
               sscanf(range, "\r\nRange: bytes=%lu-%lu", &a, &b) == 2 && a <= b &&
               b < sizeof(PEER_BODY) - 1) {
        n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 206 Partial Content\r\nContent-Length: %lu\r\n"
                     "Content-Range: bytes %lu-%lu/%u\r\n"
                     "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nConnection: close\r\n\r\n"
                     "%.*s",
                     b - a + 1, a, b, (unsigned)(sizeof(PEER_BODY) - 1), (int)(b - a + 1),
                     PEER_BODY + a);
    } else {
        n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\n"
                     "Content-Range: bytes */%u\r\nConnection: close\r\n\r\n",
                     (unsigned)(sizeof(PEER_BODY) - 1));
    }
    if (n > 0)
        write_all(c, resp, (size_t)n);
}

static void *peer_main(void *arg)
{
    struct peer *p = arg;
    for (;;) {
        char req[4096];
        size_t len = 0;
        int c = accept(p->fd, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            break; /* shut down */
        }
        while (len + 1 < sizeof(req)) {
            ssize_t r = read(c, req + len, sizeof(req) - 1 - len);
            if (r <= 0)
                break;
            len += (size_t)r;
            req[len] = '\0';
            if (strstr(req, "\r\n\r\n") != NULL)
                break;
        }
        req[len] = '\0';
        pthread_mutex_lock(&p->m);
        if (p->log_len + len + 1 < sizeof(p->log)) {
            memcpy(p->log + p->log_len, req, len);
            p->log_len += len;
            p->log[p->log_len] = '\0';
        }
        pthread_mutex_unlock(&p->m);
        peer_answer(c, req);
        close(c);
    }
    return NULL;
}

static void peer_start(struct peer *p)
{
    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->m, NULL);
    p->fd = bound_socket(16, &p->port);
    assert_true(p->fd >= 0);
    assert_int_equal(0, pthread_create(&p->thread, NULL, peer_main, p));
}

static void peer_stop(struct peer *p)
{
    shutdown(p->fd, SHUT_RDWR); /* wakes accept() */
    pthread_join(p->thread, NULL);
    close(p->fd);
    pthread_mutex_destroy(&p->m);
}

/* 1 when the peer's log contains text. */
static int peer_saw(struct peer *p, const char *text)
{
    int found;
    pthread_mutex_lock(&p->m);
    found = strstr(p->log, text) != NULL;
    pthread_mutex_unlock(&p->m);
    return found;
}

static char *remote_name(bgcopy_job *job)
{
    bgcopy_file_enum *fe = NULL;
    bgcopy_file *f = NULL;
    char *name = NULL;
    assert_hr(BGCOPY_S_OK, bgcopy_job_enum_files(job, &fe));
    assert_hr(BGCOPY_S_OK, bgcopy_file_enum_next(fe, 1, &f, NULL));
    assert_hr(BGCOPY_S_OK, bgcopy_file_get_remote_name(f, &name));
    bgcopy_file_release(f);
    bgcopy_file_enum_release(fe);
    return name;
}

static void test_request_shape_and_ranges(void **state)
{
    bgcopy_manager *mgr;
    bgcopy_job *job;
    struct waiter w;
    struct peer p;
    struct stat st;
    char url[128], dst[700], got[32] = "";
    FILE *f;

    peer_start(&p);
    init_waiter(&w);
    mgr = open_manager();
    url_for(url, sizeof(url), p.port, "new");
    job = make_job(mgr, &w, url, "shape.bin", BGCOPY_JOB_PRIORITY_NORMAL);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_custom_headers(job, "X-Bgcopy-Test: yes\r\n"
                                                              "X-Second: 2\r\n"));
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_for(&w, &w.transferred);
    assert_hr(BGCOPY_S_OK, bgcopy_job_complete(job));

    /* HEAD first, then a GET for exactly the missing bytes; both carry the headers */
    assert_true(peer_saw(&p, "HEAD /new HTTP/1.1\r\n"));
    assert_true(peer_saw(&p, "GET /new HTTP/1.1\r\n"));
    assert_true(peer_saw(&p, "\r\nRange: bytes=0-9\r\n"));
    assert_true(peer_saw(&p, "\r\nUser-Agent: Microsoft BITS/7.8 bgcopy/0.1\r\n"));
    assert_true(peer_saw(&p, "\r\nX-Bgcopy-Test: yes\r\nX-Second: 2\r\n"));

    snprintf(dst, sizeof(dst), "%s/shape.bin", dir);
    f = fopen(dst, "rb");
    assert_non_null(f);
    assert_non_null(fgets(got, sizeof(got), f));
    fclose(f);
    assert_string_equal(PEER_BODY, got);
    assert_int_equal(0, stat(dst, &st));
    assert_int_equal(PEER_MTIME, (long)st.st_mtime); /* Last-Modified */

    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    free_waiter(&w);
    peer_stop(&p);
}

/* A FOREGROUND job for /old under a redirect policy, resumed. */
static bgcopy_job *redirect_job(bgcopy_manager *mgr, struct waiter *w, int port_, uint32_t flags,
                                const char *local)
{
    char url[128];
    bgcopy_job *job;
    url_for(url, sizeof(url), port_, "old");
    job = make_job(mgr, w, url, local, BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_security_flags(job, flags));
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    return job;
}

static void test_redirect_policies(void **state)
{
    bgcopy_manager *mgr;
    bgcopy_job *silent, *report, *disallow;
    struct waiter ws, wr, wd;
    struct peer p;
    char old_url[128], new_url[128], *name;

    peer_start(&p);
    init_waiter(&ws);
    init_waiter(&wr);
    init_waiter(&wd);
    url_for(old_url, sizeof(old_url), p.port, "old");
    url_for(new_url, sizeof(new_url), p.port, "new");
    mgr = open_manager();
    silent = redirect_job(mgr, &ws, p.port, BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_SILENT, "silent");
    report = redirect_job(mgr, &wr, p.port, BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_REPORT, "report");
    disallow = redirect_job(mgr, &wd, p.port, BGCOPY_HTTP_REDIRECT_POLICY_DISALLOW, "disallow");
    wait_for(&ws, &ws.transferred);
    wait_for(&wr, &wr.transferred);
    wait_for(&wd, &wd.errors);

    name = remote_name(silent); /* followed, name kept */
    assert_string_equal(old_url, name);
    bgcopy_free(name);
    name = remote_name(report); /* followed, name is the final URL */
    assert_string_equal(new_url, name);
    bgcopy_free(name);
    name = remote_name(disallow); /* not followed: the 3xx is the (fatal) error */
    assert_string_equal(old_url, name);
    bgcopy_free(name);
    assert_job_error(disallow, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR(302));

    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(silent));
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(report));
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(disallow));
    bgcopy_job_release(silent);
    bgcopy_job_release(report);
    bgcopy_job_release(disallow);
    bgcopy_manager_close(mgr);
    free_waiter(&ws);
    free_waiter(&wr);
    free_waiter(&wd);
    peer_stop(&p);
}

/* ---- HTTPS ----------------------------------------------------------------------------------- */

static const char https_server_py[] =
    "import http.server, os, ssl, sys\n"
    "os.chdir(sys.argv[1])\n"
    "s = http.server.HTTPServer(('127.0.0.1', int(sys.argv[2])),\n"
    "                           http.server.SimpleHTTPRequestHandler)\n"
    "c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "c.load_cert_chain(sys.argv[3], sys.argv[4])\n"
    "s.socket = c.wrap_socket(s.socket, server_side=True)\n"
    "s.serve_forever()\n";

/* Runs one FOREGROUND download of url with the security flags; returns the final state and
 * the error code (S_OK when none). */
static bgcopy_job_state https_job(bgcopy_manager *mgr, const char *url, uint32_t flags,
                                  const char *local, bgcopy_hr *code)
{
    /* One waiter for every call, never destroyed: a JobError or JobModification of a job this
     * call already cancelled may still be on its way (through the service, on the client's
     * callback thread) when the call returns. */
    static struct waiter w;
    static int w_ready;
    bgcopy_job *job;
    bgcopy_job_state st;

    if (!w_ready) {
        init_waiter(&w);
        w_ready = 1;
    }
    job = make_job(mgr, &w, url, local, BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_security_flags(job, flags));
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    st = wait_for_states(&w, job,
                         1u << BGCOPY_JOB_STATE_TRANSFERRED | 1u << BGCOPY_JOB_STATE_ERROR |
                             1u << BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    *code = BGCOPY_S_OK;
    if (st == BGCOPY_JOB_STATE_ERROR || st == BGCOPY_JOB_STATE_TRANSIENT_ERROR) {
        bgcopy_error *err = NULL;
        bgcopy_error_context ctx;
        assert_hr(BGCOPY_S_OK, bgcopy_job_get_error(job, &err));
        assert_hr(BGCOPY_S_OK, bgcopy_error_get_error(err, &ctx, code));
        assert_int_equal(BGCOPY_ERROR_CONTEXT_REMOTE_FILE, ctx);
        bgcopy_error_release(err);
    }
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    bgcopy_job_release(job);
    return st;
}

static void test_https_certificates(void **state)
{
    char cert[700], key[700], www[700], by_name[128], by_ip[128];
    char *gen[] = {"openssl",
                   "req",
                   "-x509",
                   "-newkey",
                   "ec",
                   "-pkeyopt",
                   "ec_paramgen_curve:prime256v1",
                   "-nodes",
                   "-keyout",
                   key,
                   "-out",
                   cert,
                   "-days",
                   "2",
                   "-subj",
                   "/CN=localhost",
                   "-addext",
                   "subjectAltName=DNS:localhost",
                   NULL};
    char *srv[] = {"python3", "-c", (char *)https_server_py, www, "PORT", cert, key, NULL};
    bgcopy_manager *mgr;
    bgcopy_hr code;
    int hport = 0;

    if (!have_python)
        skip();
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    snprintf(www, sizeof(www), "%s/www", dir);
    if (run_quiet(gen) != 0 || start_process(srv, &tls_server, &hport) != 0) {
        stop_process(&tls_server);
        skip();
    }
    snprintf(by_name, sizeof(by_name), "https://localhost:%d/big.bin", hport);
    snprintf(by_ip, sizeof(by_ip), "https://127.0.0.1:%d/big.bin", hport);
    mgr = open_manager();

    /* verification on by default: a self-signed certificate is an unknown CA (fatal) */
    assert_int_equal(BGCOPY_JOB_STATE_ERROR, https_job(mgr, by_name, 0, "tls1", &code));
    assert_hr(BGCOPY_E_WINHTTP_SECURE_INVALID_CA, code);
    assert_int_equal(BGCOPY_JOB_STATE_TRANSFERRED,
                     https_job(mgr, by_name, BGCOPY_SSL_IGNORE_UNKNOWN_CA, "tls2", &code));
    /* the name is still checked */
    assert_int_equal(BGCOPY_JOB_STATE_ERROR,
                     https_job(mgr, by_ip, BGCOPY_SSL_IGNORE_UNKNOWN_CA, "tls3", &code));
    assert_hr(BGCOPY_E_WINHTTP_SECURE_CERT_CN_INVALID, code);
    assert_int_equal(BGCOPY_JOB_STATE_TRANSFERRED,
                     https_job(mgr, by_ip,
                               BGCOPY_SSL_IGNORE_UNKNOWN_CA | BGCOPY_SSL_IGNORE_CERT_CN_INVALID,
                               "tls4", &code));
    /* revocation checking needs a stapled OCSP answer, which this server does not send */
    assert_int_equal(BGCOPY_JOB_STATE_ERROR,
                     https_job(mgr, by_name,
                               BGCOPY_SSL_IGNORE_UNKNOWN_CA | BGCOPY_SSL_ENABLE_CRL_CHECK, "tls5",
                               &code));
    assert_hr(BGCOPY_E_WINHTTP_SECURE_CERT_REV_FAILED, code);

    bgcopy_manager_close(mgr);
    stop_process(&tls_server);
}

/* MaxInternetBandwidth 0 all day (reference §7) on the real engine: a NORMAL job goes to
 * TRANSIENT_ERROR with BG_E_BLOCKED_BY_POLICY (context GENERAL_QUEUE_MANAGER) without asking
 * the server anything, counting no error; a FOREGROUND job alongside transfers. In-process the
 * manager names a state directory of its own, so it opens a fresh engine with its options; through
 * the service, the running bgcopyd is stopped first so that this manager starts one with the
 * policy, and stopped again after so the next tests get one without it. */
static void test_bandwidth_policy_zero_blocks_background(void **state)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL;
    bgcopy_job *bg, *fg;
    bgcopy_job_progress p;
    struct waiter w;
    uint32_t count = 99;
    char url[128], state_dir[600];

    if (!have_python)
        skip();
    if (fx_service_mode())
        (void)fx_service_stop();
    init_waiter(&w);
    o.http_stall_timeout = 2;
    o.bandwidth_policy = 1;
    o.bandwidth_kbps = 0;
    if (!fx_service_mode()) {
        /* a state directory of its own: a fresh engine, which this manager's options set (the
         * engine of the other tests may outlive their managers for a moment) */
        snprintf(state_dir, sizeof(state_dir), "%s/policy-state", dir);
        o.state_dir = state_dir;
    }
    assert_hr(BGCOPY_S_OK, fx_manager_open(&o, &mgr));
    url_for(url, sizeof(url), port, "big.bin");
    bg = make_job(mgr, &w, url, "blocked.bin", BGCOPY_JOB_PRIORITY_NORMAL);
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(bg));
    wait_for_state(&w, bg, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_job_error(bg, BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, BGCOPY_E_BLOCKED_BY_POLICY);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_error_count(bg, &count));
    assert_int_equal(0, count);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_progress(bg, &p));
    assert_int_equal(BGCOPY_SIZE_UNKNOWN, p.bytes_total); /* no HEAD was sent */
    assert_int_equal(0, p.bytes_transferred);

    fg = make_job(mgr, &w, url, "unblocked.bin", BGCOPY_JOB_PRIORITY_FOREGROUND);
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(fg));
    wait_for(&w, &w.transferred);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_progress(fg, &p));
    assert_int_equal(FILE_SIZE, p.bytes_transferred);
    assert_hr(BGCOPY_S_OK, bgcopy_job_complete(fg));
    assert_job_error(bg, BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, BGCOPY_E_BLOCKED_BY_POLICY);
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(bg));
    bgcopy_job_release(bg);
    bgcopy_job_release(fg);
    bgcopy_manager_close(mgr);
    free_waiter(&w);
    if (fx_service_mode())
        (void)fx_service_stop();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal_job_needs_ranges),
        cmocka_unit_test(test_foreground_job_takes_whole_body),
        cmocka_unit_test(test_missing_file_is_404),
        cmocka_unit_test(test_refused_connection_is_transient),
        cmocka_unit_test(test_silent_server_times_out),
        cmocka_unit_test(test_cancel_with_request_in_flight),
        cmocka_unit_test(test_request_shape_and_ranges),
        cmocka_unit_test(test_redirect_policies),
        cmocka_unit_test(test_https_certificates),
        cmocka_unit_test(test_bandwidth_policy_zero_blocks_background),
    };
    static const char *const proxy_vars[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                             "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    size_t i;

    /* Default proxy usage reads these: the loopback server must be reached directly. Done
     * before any thread exists. */
    for (i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++)
        unsetenv(proxy_vars[i]);
    if (getenv("BGCOPY_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("BGCOPY_TEST_FILTER"));
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
