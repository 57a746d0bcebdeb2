/* test_http_integration.c - the HTTP transport (backend-curl/) and the engine's download protocol
 * (core/transfer.c) end to end against real servers on 127.0.0.1, on the real clock.
 *
 * Three servers, each started by the test that needs it (per-test setup) with a temporary
 * configuration in a scratch directory, and stopped by its pid (SIGTERM + waitpid) in the
 * per-test teardown, which cmocka runs even when the test failed:
 *   - bgcopy-testserver (tools/): every fault the issue lists (ignored ranges, missing
 *     Content-Length, 4xx/5xx, reset and stall after N bytes, wrong Content-Range, changing
 *     Last-Modified or size, redirects, Basic and Digest auth, throttling, overlong bodies).
 *     Its request log (GET /_log) pins the request pattern: HEAD first, then
 *     Range: bytes=<checkpoint>-<last>. It also plays the forward proxy of the job's proxy
 *     settings (it serves absolute-form requests and logs their target as sent, and asks for
 *     proxy credentials with 407); the environment-proxy test starts a second one as the origin.
 *   - nginx (Debian nginx-light), an independent range-correct server: a 64 MiB file, and
 *     `max_ranges 0` for a server without range support. An access log with $http_range shows
 *     the ranged GETs.
 *   - python3: `-m http.server` (no range support at all), a tiny http.server subclass that
 *     records one request header per request (the custom-headers test: the testserver does not
 *     log headers), and an HTTPS server (ssl module, a self-signed certificate made by the
 *     openssl tool) that redirects to the testserver over plain HTTP.
 * Each test checks the final state, the HRESULT and error context (GetError) and, for a
 * completed file, that it is byte-identical to its source (the testserver's /gen pattern, byte
 * i = (i*131 + seed*7 + 7) & 0xFF, or the file on disk). "Bad input" tests check that URLs and
 * custom headers with CR/LF are rejected with E_INVALIDARG before anything goes on the wire.
 *
 * Waiting: the job callbacks (JobTransferred, JobError, JobModification) bump a generation
 * counter under a mutex and signal a condition variable; the test re-checks the job after each
 * signal, with a 30 s deadline that only matters if something hangs. Stall cases use the manager
 * option http_stall_timeout = 2; retry cases MinimumRetryDelay = 5 (the minimum), and only one
 * test waits for a retry timer. Starting nginx and `python3 -m http.server` waits (at most 10 s)
 * until they accept connections; the testserver and our python script print their port.
 *
 * Paths of the servers come from the environment (set by tests/integration/CMakeLists.txt):
 * BGCOPY_TESTSERVER, BGCOPY_NGINX, BGCOPY_PYTHON, BGCOPY_OPENSSL. A test whose server (or tool)
 * is unavailable is skipped. The proxy tests set http_proxy, no_proxy and the like (cleared at
 * the start, by those tests and by the teardown) only while no request is in flight.
 * BGCOPY_TEST_FILTER=<glob> runs a subset.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bgcopy.h"
#include "testhttp.h"

#define assert_hr(expected, actual) assert_int_equal((uint32_t)(expected), (uint32_t)(actual))

#define WAIT_SECONDS 30
#define MAX_JOBS     8
#define MAX_ENTRIES  64
#define STATE_BIT(s) (1u << (s))
#define FINAL_MASK                                                                 \
    (STATE_BIT(BGCOPY_JOB_STATE_TRANSFERRED) | STATE_BIT(BGCOPY_JOB_STATE_ERROR) | \
     STATE_BIT(BGCOPY_JOB_STATE_TRANSIENT_ERROR))

extern char **environ;

/* Paths of the programs, and the run's scratch directory (removed at the end). */
static const char *testserver_path, *nginx_path, *python_path, *openssl_path;
static char run_dir[512];

/* ---- waiting for callbacks -------------------------------------------------------------- */

struct waiter {
    pthread_mutex_t m;
    pthread_cond_t c;
    unsigned generation; /* bumped by every callback */
    int transferred;     /* JobTransferred calls */
    int errors;          /* JobError calls */
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

static int counter_value(struct waiter *w, int *counter)
{
    int v;
    pthread_mutex_lock(&w->m);
    v = *counter;
    pthread_mutex_unlock(&w->m);
    return v;
}

/* A condition on a job, re-checked after every callback. */
typedef int (*job_pred)(bgcopy_job *job, void *arg);

/* Waits until pred(job, arg) holds; fails the test (naming what) after WAIT_SECONDS. */
static void wait_until(struct waiter *w, bgcopy_job *job, job_pred pred, void *arg,
                       const char *what)
{
    struct timespec d;
    int timed_out = 0;

    clock_gettime(CLOCK_REALTIME, &d);
    d.tv_sec += WAIT_SECONDS;
    for (;;) {
        unsigned gen;
        pthread_mutex_lock(&w->m);
        gen = w->generation;
        pthread_mutex_unlock(&w->m);
        if (pred(job, arg))
            return;
        if (timed_out)
            fail_msg("still waiting for %s after %d s", what, WAIT_SECONDS);
        pthread_mutex_lock(&w->m);
        while (w->generation == gen && !timed_out)
            timed_out = pthread_cond_timedwait(&w->c, &w->m, &d) != 0;
        pthread_mutex_unlock(&w->m);
    }
}

static int state_in_mask(bgcopy_job *job, void *arg)
{
    bgcopy_job_state st = BGCOPY_JOB_STATE_QUEUED;
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_state(job, &st));
    return (*(const unsigned *)arg & STATE_BIT(st)) != 0;
}

static int transferred_at_least(bgcopy_job *job, void *arg)
{
    bgcopy_job_progress p;
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_progress(job, &p));
    return p.bytes_transferred >= *(const uint64_t *)arg;
}

static bgcopy_job_state job_state(bgcopy_job *job)
{
    bgcopy_job_state st = BGCOPY_JOB_STATE_QUEUED;
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_state(job, &st));
    return st;
}

/* Waits until the job is in one of the states of mask; returns that state. */
static bgcopy_job_state wait_states(struct waiter *w, bgcopy_job *job, unsigned mask)
{
    wait_until(w, job, state_in_mask, &mask, "a job state");
    return job_state(job);
}

/* Waits until want_state's JobError callback (if it has one) has been counted: the callback
 * runs on a notifier thread after the state change, so the state alone may be seen first. */
static int saw_job_error(bgcopy_job *job, void *arg)
{
    struct waiter *w = arg;
    return counter_value(w, &w->errors) >= 1;
}

static void wait_job_error_callback(struct waiter *w, bgcopy_job *job)
{
    wait_until(w, job, saw_job_error, w, "the JobError callback");
}

/* Waits for a final-ish state (TRANSFERRED, ERROR, TRANSIENT_ERROR) and checks it is want. */
static void wait_outcome(struct waiter *w, bgcopy_job *job, bgcopy_job_state want)
{
    assert_int_equal(want, wait_states(w, job, FINAL_MASK));
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- processes ----------------------------------------------------------------------------- */

static void stop_process(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGTERM);
        while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
            ;
        *pid = -1;
    }
}

/* A TCP socket bound to 127.0.0.1 on a free port (listening when backlog > 0). */
static int bound_socket(int backlog, int *out_port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        (backlog > 0 && listen(fd, backlog) != 0) ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    *out_port = ntohs(a.sin_port);
    return fd;
}

/* Spawns argv with stdout to out_fd (-1: /dev/null) and stderr to err_path. Returns the pid or
 * -1. */
static pid_t spawn(char *const argv[], int out_fd, const char *err_path)
{
    posix_spawn_file_actions_t fa;
    pid_t pid = -1;
    int rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    else
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

/* Spawns argv (a server that prints "listening 127.0.0.1:<port>" first) and reads the port.
 * Returns 0, or -1 (then nothing is left running). */
static int start_announcing(char *const argv[], const char *err_path, pid_t *pid, int *port)
{
    int fds[2];
    char line[128];
    size_t len = 0;
    struct pollfd p;
    double deadline = now_s() + 10;
    const char *colon;

    *pid = -1;
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    *pid = spawn(argv, fds[1], err_path);
    close(fds[1]);
    if (*pid < 0) {
        close(fds[0]);
        return -1;
    }
    p.fd = fds[0];
    p.events = POLLIN;
    while (len + 1 < sizeof(line) && memchr(line, '\n', len) == NULL) {
        ssize_t n;
        int left = (int)((deadline - now_s()) * 1000);
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        n = read(fds[0], line + len, sizeof(line) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fds[0]); /* nothing else is written to stdout */
    line[len] = '\0';
    colon = strrchr(line, ':');
    if (strncmp(line, "listening 127.0.0.1:", 20) != 0 || colon == NULL ||
        (*port = atoi(colon + 1)) <= 0) {
        stop_process(pid);
        return -1;
    }
    return 0;
}

/* Spawns argv, in which the string "PORT" is replaced by a free port (and "CONF" by conf_path
 * after conf_fn wrote the configuration for that port), then waits until it accepts
 * connections on 127.0.0.1. A port taken in the meantime is retried. Returns 0, or -1. */
static int start_on_free_port(char *argv[], void (*conf_fn)(int port, void *arg), void *conf_arg,
                              const char *err_path, pid_t *pid, int *port)
{
    char port_s[16];
    int attempt, slot = -1, i;

    *pid = -1;
    for (i = 0; argv[i] != NULL; i++)
        if (strcmp(argv[i], "PORT") == 0)
            slot = i;
    for (attempt = 0; attempt < 5; attempt++) {
        struct timespec pause = {0, 10 * 1000 * 1000};
        int fd = bound_socket(0, port);

        if (fd < 0)
            return -1;
        close(fd); /* free again for the server */
        snprintf(port_s, sizeof(port_s), "%d", *port);
        if (slot >= 0)
            argv[slot] = port_s;
        if (conf_fn)
            conf_fn(*port, conf_arg);
        *pid = spawn(argv, -1, err_path);
        if (slot >= 0)
            argv[slot] = (char *)"PORT";
        if (*pid < 0)
            return -1;
        for (i = 0; i < 1000; i++) { /* 10 s */
            int c = th_connect_local(*port);
            if (c >= 0) {
                close(c);
                return 0;
            }
            if (waitpid(*pid, NULL, WNOHANG) == *pid) {
                *pid = -1; /* exited: the port was taken, or a bad configuration */
                break;
            }
            nanosleep(&pause, NULL);
        }
        stop_process(pid);
    }
    return -1;
}

/* ---- files ------------------------------------------------------------------------------------
 */

static unsigned char gen_byte(uint64_t i, unsigned seed)
{
    return (unsigned char)((i * 131u + (uint64_t)seed * 7u + 7u) & 0xFF);
}

/* Writes size bytes of the /gen pattern of seed to path. */
static void write_gen_file(const char *path, uint64_t size, unsigned seed)
{
    static unsigned char buf[1 << 16];
    FILE *f = fopen(path, "wb");
    uint64_t at = 0;

    assert_non_null(f);
    while (at < size) {
        size_t n = size - at < sizeof(buf) ? (size_t)(size - at) : sizeof(buf), i;
        for (i = 0; i < n; i++)
            buf[i] = gen_byte(at + i, seed);
        assert_int_equal(n, fwrite(buf, 1, n, f));
        at += n;
    }
    assert_int_equal(0, fclose(f));
}

/* Fails the test unless path holds exactly size bytes of the /gen pattern of seed. */
static void assert_gen_file(const char *path, uint64_t size, unsigned seed)
{
    static unsigned char buf[1 << 16];
    FILE *f = fopen(path, "rb");
    uint64_t at = 0;
    size_t n, i;

    if (f == NULL)
        fail_msg("cannot open %s", path);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        for (i = 0; i < n; i++)
            if (buf[i] != gen_byte(at + i, seed)) {
                fclose(f);
                fail_msg("%s: byte %llu is 0x%02x, expected 0x%02x", path,
                         (unsigned long long)(at + i), buf[i], gen_byte(at + i, seed));
            }
        at += n;
    }
    fclose(f);
    if (at != size)
        fail_msg("%s: %llu bytes, expected %llu", path, (unsigned long long)at,
                 (unsigned long long)size);
}

static int64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(0, fclose(f));
}

/* Reads a whole small file into a malloc'd string (NULL when missing). */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal((size_t)n, fread(s, 1, (size_t)n, f));
    s[n] = '\0';
    fclose(f);
    return s;
}

/* ---- proxy environment ---------------------------------------------------------------------- */

/* The variables libcurl's environment proxies read (PRECONFIG / AUTODETECT). main() clears them
 * before any thread exists; the PRECONFIG tests set some with setenv while no request is in
 * flight (the transport reads them when a request starts) and clear them again, in the test and
 * in the teardown. */
static const char *const proxy_vars[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                         "all_proxy",  "ALL_PROXY",  "no_proxy",    "NO_PROXY"};

static void clear_proxy_env(void)
{
    size_t i;
    for (i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++)
        unsetenv(proxy_vars[i]);
}

/* ---- the fixture -------------------------------------------------------------------------- */

enum server_kind { SRV_NONE, SRV_TESTSERVER, SRV_NGINX, SRV_PYTHON, SRV_PYTHON_HEADERS };

static struct fixture {
    char dir[600]; /* this test's directory (server files and downloads) */
    pid_t server;
    int port;
    pid_t server2; /* a second server some tests start (origin, TLS redirector), or -1 */
    int port2;
    bgcopy_manager *mgr;
    struct waiter *w; /* this test's; callbacks get it as their user pointer */
    bgcopy_job *jobs[MAX_JOBS];
    int njobs;
} fx;

/* Every test's waiter, never freed (setup_with says why). */
static struct waiter *retired[128];
static size_t retired_count;

/* A path inside the test's directory. */
static const char *path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", fx.dir, name);
    return buf;
}

static void nginx_conf(int port, void *arg)
{
    char path[700], text[8192];
    const char *d = fx.dir;

    snprintf(text, sizeof(text),
             "daemon off;\n"
             "master_process off;\n"
             "worker_processes 1;\n"
             "error_log %s/err.log;\n"
             "pid %s/nginx.pid;\n"
             "events { worker_connections 64; }\n"
             "http {\n"
             "    log_format ranges '$request_method $uri \"$http_range\" $status';\n"
             "    access_log %s/access.log ranges;\n"
             "    client_body_temp_path %s/client_body;\n"
             "    proxy_temp_path %s/proxy;\n"
             "    fastcgi_temp_path %s/fastcgi;\n"
             "    uwsgi_temp_path %s/uwsgi;\n"
             "    scgi_temp_path %s/scgi;\n"
             "    default_type application/octet-stream;\n"
             "    sendfile on;\n"
             "    server {\n"
             "        listen 127.0.0.1:%d;\n"
             "        root %s/www;\n"
             "        location /noranges/ { max_ranges 0; }\n"
             "    }\n"
             "}\n",
             d, d, d, d, d, d, d, d, port, d);
    write_text(path_in(path, sizeof(path), "nginx.conf"), text);
}

/* Records each request's method, path and X-Bgcopy-Test header in argv[2], serves argv[1]. */
static const char headers_server_py[] =
    "import http.server, os, sys\n"
    "class H(http.server.SimpleHTTPRequestHandler):\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "    def note(self):\n"
    "        with open(sys.argv[2], 'a') as f:\n"
    "            f.write('%s %s [%s] [%s]\\n' % (self.command, self.path,\n"
    "                    self.headers.get('X-Bgcopy-Test', '-'),\n"
    "                    self.headers.get('X-Second', '-')))\n"
    "    def do_HEAD(self):\n"
    "        self.note()\n"
    "        super().do_HEAD()\n"
    "    def do_GET(self):\n"
    "        self.note()\n"
    "        super().do_GET()\n"
    "os.chdir(sys.argv[1])\n"
    "s = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
    "print('listening 127.0.0.1:%d' % s.server_address[1], flush=True)\n"
    "s.serve_forever()\n";

/* Starts the server of the test; 0, or -1 when it cannot be run. */
static int start_server(enum server_kind kind)
{
    char www[700], err[700], conf[700], log[700];

    path_in(www, sizeof(www), "www");
    path_in(err, sizeof(err), "server.err");
    switch (kind) {
    case SRV_TESTSERVER: {
        char *argv[] = {(char *)testserver_path, "--port", "0", "--log", NULL};
        if (testserver_path == NULL)
            return -1;
        return start_announcing(argv, err, &fx.server, &fx.port);
    }
    case SRV_NGINX: {
        char *argv[] = {(char *)nginx_path, "-p", fx.dir, "-c", conf, NULL};
        if (nginx_path == NULL || access(nginx_path, X_OK) != 0)
            return -1;
        path_in(conf, sizeof(conf), "nginx.conf");
        return start_on_free_port(argv, nginx_conf, NULL, err, &fx.server, &fx.port);
    }
    case SRV_PYTHON: {
        char *argv[] = {(char *)python_path, "-m", "http.server", "--bind", "127.0.0.1",
                        "--directory",       www,  "PORT",        NULL};
        if (python_path == NULL)
            return -1;
        return start_on_free_port(argv, NULL, NULL, err, &fx.server, &fx.port);
    }
    case SRV_PYTHON_HEADERS: {
        char *argv[] = {(char *)python_path, "-c", (char *)headers_server_py, www, log, NULL};
        if (python_path == NULL)
            return -1;
        path_in(log, sizeof(log), "headers.log");
        return start_announcing(argv, err, &fx.server, &fx.port);
    }
    default:
        return 0;
    }
}

static int setup_with(enum server_kind kind)
{
    static int counter;
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    char www[700];

    /* A fresh waiter per test. The previous one is kept, never destroyed: a callback of the
     * previous test's engine may still be running when its teardown returns (a callback holds a
     * job reference, and the engine stops only when that is released, on the callback's own
     * thread), so its mutex must stay valid and its counters must not be this test's. */
    if (retired_count >= sizeof(retired) / sizeof(retired[0]))
        return -1;
    fx.w = calloc(1, sizeof(*fx.w));
    if (fx.w == NULL)
        return -1;
    pthread_mutex_init(&fx.w->m, NULL);
    pthread_cond_init(&fx.w->c, NULL);
    retired[retired_count++] = fx.w;
    fx.server = -1;
    fx.port = 0;
    fx.server2 = -1;
    fx.port2 = 0;
    fx.mgr = NULL;
    fx.njobs = 0;
    snprintf(fx.dir, sizeof(fx.dir), "%s/t%02d", run_dir, ++counter);
    if (mkdir(fx.dir, 0700) != 0 || mkdir(path_in(www, sizeof(www), "www"), 0700) != 0)
        return -1;
    if (start_server(kind) != 0) {
        print_message("server %d not available: test skipped\n", (int)kind);
        fx.server = -1;
    }
    o.http_stall_timeout = 2;
    return bgcopy_manager_open(&o, &fx.mgr) == BGCOPY_S_OK ? 0 : -1;
}

static int setup_none(void **state)
{
    return setup_with(SRV_NONE);
}
static int setup_testserver(void **state)
{
    return setup_with(SRV_TESTSERVER);
}
static int setup_nginx(void **state)
{
    return setup_with(SRV_NGINX);
}
static int setup_python(void **state)
{
    return setup_with(SRV_PYTHON);
}
static int setup_python_headers(void **state)
{
    return setup_with(SRV_PYTHON_HEADERS);
}

/* Cancels and releases every job, closes the manager (stopping the engine and its I/O thread)
 * and stops the server. Runs after failed tests too. */
static int teardown(void **state)
{
    int i;
    for (i = 0; i < fx.njobs; i++) {
        (void)bgcopy_job_cancel(fx.jobs[i]); /* BG_E_INVALID_STATE when already final */
        bgcopy_job_release(fx.jobs[i]);
    }
    fx.njobs = 0;
    bgcopy_manager_close(fx.mgr);
    fx.mgr = NULL;
    stop_process(&fx.server);
    stop_process(&fx.server2);
    clear_proxy_env();
    fx.w = NULL; /* kept in retired[]: see setup_with */
    return 0;
}

/* The test's server must be running: make test installs nginx and python3, so a server that
 * cannot start is a failure, not a skip - unless BGCOPY_TEST_ALLOW_MISSING_SERVERS is set (for
 * running the suite by hand on a machine without them). */
static void need_server(void)
{
    if (fx.server >= 0)
        return;
    if (getenv("BGCOPY_TEST_ALLOW_MISSING_SERVERS") != NULL)
        skip();
    fail_msg("the test's server could not be started (see the message above); set "
             "BGCOPY_TEST_ALLOW_MISSING_SERVERS=1 to skip such tests instead");
}

/* Starts a second bgcopy-testserver (fx.server2 on fx.port2, stopped by the teardown). */
static void start_second_testserver(void)
{
    char err[700];
    char *argv[] = {(char *)testserver_path, "--port", "0", "--log", NULL};
    assert_int_equal(0, start_announcing(argv, path_in(err, sizeof(err), "server2.err"),
                                         &fx.server2, &fx.port2));
}

/* ---- a minimal HTTP client for the testserver's control endpoints ---------------------------- */

/* th_call to the test's server. */
static char *http_call(const char *method, const char *target, const char *body, int *status)
{
    return th_call(fx.port, method, target, body, status);
}

/* Adds one fault rule ("key=value" pairs separated by newlines). */
static void ts_rule(const char *rule)
{
    int status = 0;
    char *text = http_call("POST", "/_control", rule, &status);
    if (status != 200)
        fail_msg("POST /_control %s: %d %s", rule, status, text);
    free(text);
}

static void ts_reset_rules(void)
{
    int status = 0;
    free(http_call("POST", "/_control/reset", NULL, &status));
    assert_int_equal(200, status);
}

struct entry {
    char method[16];
    char path[256];
    char range[64]; /* "" when the request had no Range */
    int status;
    uint64_t bytes;
    char state[16];
};

/* Copies the JSON string value of "key" in line (up to eol) into out; "" for null. */
static void json_field(const char *line, const char *eol, const char *key, char *out, size_t size)
{
    char pat[32];
    const char *p, *end;
    size_t n;

    out[0] = '\0';
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    p = strstr(line, pat);
    if (p == NULL || p > eol)
        return;
    p += strlen(pat);
    if (*p != '"')
        return; /* null */
    end = strchr(p + 1, '"');
    if (end == NULL || end > eol)
        return;
    n = (size_t)(end - p - 1);
    if (n >= size)
        n = size - 1;
    memcpy(out, p + 1, n);
    out[n] = '\0';
}

static uint64_t json_number(const char *line, const char *eol, const char *key)
{
    char pat[32];
    const char *p;

    snprintf(pat, sizeof(pat), "\"%s\":", key);
    p = strstr(line, pat);
    if (p == NULL || p > eol)
        return 0;
    return strtoull(p + strlen(pat), NULL, 10);
}

/* Reads the request log of the testserver on port into e[] (oldest first); returns the
 * count. */
static int ts_log_at(int port, struct entry *e, int max)
{
    int status = 0, n = 0;
    char *text = th_call(port, "GET", "/_log", NULL, &status), *line = text;

    assert_int_equal(200, status);
    while (*line && n < max) {
        char *eol = strchr(line, '\n');
        if (eol == NULL)
            eol = line + strlen(line);
        json_field(line, eol, "method", e[n].method, sizeof(e[n].method));
        json_field(line, eol, "path", e[n].path, sizeof(e[n].path));
        json_field(line, eol, "range", e[n].range, sizeof(e[n].range));
        json_field(line, eol, "state", e[n].state, sizeof(e[n].state));
        e[n].status = (int)json_number(line, eol, "status");
        e[n].bytes = json_number(line, eol, "bytes");
        n++;
        line = *eol ? eol + 1 : eol;
    }
    free(text);
    return n;
}

/* The request log of the test's server. */
static int ts_log(struct entry *e, int max)
{
    return ts_log_at(fx.port, e, max);
}

/* Fails unless entry e is method path with the given Range ("" for none). */
static void assert_entry(const struct entry *e, const char *method, const char *path,
                         const char *range)
{
    if (strcmp(e->method, method) != 0 || strcmp(e->path, path) != 0 ||
        strcmp(e->range, range) != 0)
        fail_msg("request log: got %s %s [%s], expected %s %s [%s]", e->method, e->path, e->range,
                 method, path, range);
}

static void range_text(char *buf, size_t size, uint64_t first, uint64_t last)
{
    snprintf(buf, size, "bytes=%llu-%llu", (unsigned long long)first, (unsigned long long)last);
}

/* ---- job helpers --------------------------------------------------------------------------- */

static void url_for(char *buf, size_t size, int port, const char *path)
{
    snprintf(buf, size, "http://127.0.0.1:%d%s", port, path);
}

/* A download job (recorded for the teardown) with callbacks into fx.w-> */
static bgcopy_job *new_job(bgcopy_job_priority priority)
{
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_job *job = NULL;

    assert_true(fx.njobs < MAX_JOBS);
    assert_hr(BGCOPY_S_OK, bgcopy_manager_create_job(fx.mgr, "http integration",
                                                     BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job));
    fx.jobs[fx.njobs++] = job;
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_priority(job, priority));
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_flags(job, BGCOPY_NOTIFY_JOB_TRANSFERRED |
                                                                BGCOPY_NOTIFY_JOB_ERROR |
                                                                BGCOPY_NOTIFY_JOB_MODIFICATION));
    cb.job_transferred = on_transferred;
    cb.job_error = on_error;
    cb.job_modification = on_modification;
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(job, &cb, fx.w));
    return job;
}

/* Adds http://127.0.0.1:<port><path> -> <test dir>/<local>. */
static void add_file(bgcopy_job *job, int port, const char *path, const char *local)
{
    char url[512], dst[700];
    url_for(url, sizeof(url), port, path);
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file(job, url, path_in(dst, sizeof(dst), local)));
}

/* A job with one file from the test's server, resumed. */
static bgcopy_job *start_job(bgcopy_job_priority priority, const char *path, const char *local)
{
    bgcopy_job *job = new_job(priority);
    add_file(job, fx.port, path, local);
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    return job;
}

static void assert_job_error(bgcopy_job *job, bgcopy_error_context want_ctx, bgcopy_hr want_code)
{
    bgcopy_error *err = NULL;
    bgcopy_error_context ctx;
    bgcopy_hr code;
    char *protocol = NULL;

    assert_hr(BGCOPY_S_OK, bgcopy_job_get_error(job, &err));
    assert_hr(BGCOPY_S_OK, bgcopy_error_get_error(err, &ctx, &code));
    assert_hr(want_code, code);
    assert_int_equal(want_ctx, ctx);
    assert_hr(BGCOPY_S_OK, bgcopy_error_get_protocol(err, &protocol));
    assert_string_equal("http", protocol);
    bgcopy_free(protocol);
    bgcopy_error_release(err);
}

/* TRANSFERRED, no error information, every byte counted; then Complete. */
static void assert_transferred_and_complete(bgcopy_job *job, uint64_t total, uint32_t files)
{
    bgcopy_job_progress p;
    bgcopy_error *err = NULL;

    assert_int_equal(BGCOPY_JOB_STATE_TRANSFERRED, job_state(job));
    assert_hr(BGCOPY_E_ERROR_INFORMATION_UNAVAILABLE, bgcopy_job_get_error(job, &err));
    assert_null(err);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_progress(job, &p));
    assert_int_equal(total, p.bytes_total);
    assert_int_equal(total, p.bytes_transferred);
    assert_int_equal(files, p.files_total);
    assert_int_equal(files, p.files_transferred);
    assert_hr(BGCOPY_S_OK, bgcopy_job_complete(job));
    assert_int_equal(BGCOPY_JOB_STATE_ACKNOWLEDGED, job_state(job));
}

static uint64_t bytes_transferred(bgcopy_job *job)
{
    bgcopy_job_progress p;
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_progress(job, &p));
    return p.bytes_transferred;
}

/* The first file of job (a new reference). */
static bgcopy_file *first_file(bgcopy_job *job)
{
    bgcopy_file_enum *fe = NULL;
    bgcopy_file *f = NULL;
    assert_hr(BGCOPY_S_OK, bgcopy_job_enum_files(job, &fe));
    assert_hr(BGCOPY_S_OK, bgcopy_file_enum_next(fe, 1, &f, NULL));
    bgcopy_file_enum_release(fe);
    return f;
}

static char *remote_name(bgcopy_job *job)
{
    bgcopy_file *f = first_file(job);
    char *name = NULL;
    assert_hr(BGCOPY_S_OK, bgcopy_file_get_remote_name(f, &name));
    bgcopy_file_release(f);
    return name;
}

static int64_t temp_file_size(bgcopy_job *job)
{
    bgcopy_file *f = first_file(job);
    char *name = NULL;
    int64_t size;
    assert_hr(BGCOPY_S_OK, bgcopy_file_get_temporary_name(f, &name));
    size = file_size(name);
    bgcopy_free(name);
    bgcopy_file_release(f);
    return size;
}

/* ---- bgcopy-testserver ------------------------------------------------------------------------
 */

/* HEAD, then one GET for the whole file; the file is identical. */
static void test_ts_happy_path(void **state)
{
    const uint64_t size = 3000001;
    struct entry e[MAX_ENTRIES];
    char dst[700], range[64];
    bgcopy_job *job;

    need_server();
    job = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/gen/3000001?seed=5", "happy.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_int_equal(0, counter_value(fx.w, &fx.w->errors));
    assert_transferred_and_complete(job, size, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "happy.bin"), size, 5);

    assert_int_equal(2, ts_log(e, MAX_ENTRIES));
    assert_entry(&e[0], "HEAD", "/gen/3000001?seed=5", "");
    assert_int_equal(200, e[0].status);
    range_text(range, sizeof(range), 0, size - 1);
    assert_entry(&e[1], "GET", "/gen/3000001?seed=5", range);
    assert_int_equal(206, e[1].status);
    assert_int_equal(size, e[1].bytes);
}

/* Three files: fetched one after the other in add order, each HEAD then GET. */
static void test_ts_multi_file_in_add_order(void **state)
{
    static const char *const paths[3] = {"/gen/70000?seed=1", "/gen/1?seed=2",
                                         "/gen/1200000?seed=3"};
    static const uint64_t sizes[3] = {70000, 1, 1200000};
    struct entry e[MAX_ENTRIES];
    char dst[700], name[32], range[64];
    bgcopy_job *job;
    int i;

    need_server();
    job = new_job(BGCOPY_JOB_PRIORITY_NORMAL);
    for (i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "multi%d.bin", i);
        add_file(job, fx.port, paths[i], name);
    }
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, sizes[0] + sizes[1] + sizes[2], 3);
    assert_int_equal(6, ts_log(e, MAX_ENTRIES));
    for (i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "multi%d.bin", i);
        assert_gen_file(path_in(dst, sizeof(dst), name), sizes[i], (unsigned)i + 1);
        assert_entry(&e[2 * i], "HEAD", paths[i], "");
        range_text(range, sizeof(range), 0, sizes[i] - 1);
        assert_entry(&e[2 * i + 1], "GET", paths[i], range);
    }
}

/* The server answers 200 with the whole body: fatal for a NORMAL job, nothing written. */
static void test_ts_ignore_ranges_normal(void **state)
{
    bgcopy_job *job;

    need_server();
    ts_rule("ignore_ranges=1");
    job = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/gen/200000", "noranges.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT);
    wait_job_error_callback(fx.w, job);
    assert_int_equal(1, counter_value(fx.w, &fx.w->errors));
    assert_int_equal(0, bytes_transferred(job));
}

/* A FOREGROUND job for a file under 2 GiB accepts the whole body of the 200. */
static void test_ts_ignore_ranges_foreground(void **state)
{
    struct entry e[MAX_ENTRIES];
    char dst[700];
    bgcopy_job *job;

    need_server();
    ts_rule("ignore_ranges=1");
    job = start_job(BGCOPY_JOB_PRIORITY_FOREGROUND, "/gen/2500000?seed=4", "fg.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, 2500000, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "fg.bin"), 2500000, 4);
    assert_int_equal(2, ts_log(e, MAX_ENTRIES));
    assert_entry(&e[1], "GET", "/gen/2500000?seed=4", "bytes=0-2499999");
    assert_int_equal(200, e[1].status);
}

/* No Content-Length on the HEAD: the size is unknown. */
static void test_ts_missing_content_length(void **state)
{
    bgcopy_job *job;

    need_server();
    ts_rule("no_content_length=1");
    job = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/gen/5000", "nolength.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_MISSING_FILE_SIZE);
}

/* 503 twice: the first TRANSIENT_ERROR is retried at once by Resume, the second by the retry
 * timer (MinimumRetryDelay 5 s, real time: the only test that waits for it). */
static void test_ts_503_retried(void **state)
{
    struct entry e[MAX_ENTRIES];
    char dst[700];
    bgcopy_job *job;
    uint32_t count = 0;
    double failed_at, elapsed;
    int n;

    need_server();
    ts_rule("status=503\ncount=2");
    job = new_job(BGCOPY_JOB_PRIORITY_NORMAL);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_minimum_retry_delay(job, 5));
    add_file(job, fx.port, "/gen/100000?seed=7", "retry.bin");
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR(503));

    /* Resume retries at once (the state is QUEUED when it returns): the second 503 */
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    assert_int_not_equal(BGCOPY_JOB_STATE_TRANSIENT_ERROR, job_state(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    failed_at = now_s();
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR(503));
    assert_int_equal(0, counter_value(fx.w, &fx.w->errors)); /* transient: no JobError */

    /* TRANSIENT_ERROR until the retry timer fires */
    assert_int_equal(
        BGCOPY_JOB_STATE_TRANSFERRED,
        wait_states(fx.w, job,
                    STATE_BIT(BGCOPY_JOB_STATE_TRANSFERRED) | STATE_BIT(BGCOPY_JOB_STATE_ERROR)));
    /* failed_at is when this thread saw TRANSIENT_ERROR, which can lag the engine's own
     * transition under a sanitizer; an immediate retry would come in well under 1 s. */
    elapsed = now_s() - failed_at;
    if (elapsed < 3.5 || elapsed > 15)
        fail_msg("retried %.2f s after the second 503; MinimumRetryDelay is 5 s", elapsed);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_error_count(job, &count));
    assert_int_equal(2, count);
    assert_transferred_and_complete(job, 100000, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "retry.bin"), 100000, 7);
    n = ts_log(e, MAX_ENTRIES);
    assert_int_equal(4, n);
    assert_int_equal(503, e[0].status);
    assert_int_equal(503, e[1].status);
    assert_entry(&e[2], "HEAD", "/gen/100000?seed=7", "");
    assert_entry(&e[3], "GET", "/gen/100000?seed=7", "bytes=0-99999");
}

/* A status answered to every request: the job's state and HRESULT. */
static void status_case(const char *rule, const char *path, bgcopy_job_state want_state,
                        bgcopy_hr want_code)
{
    bgcopy_job *job;

    need_server();
    if (rule)
        ts_rule(rule);
    job = start_job(BGCOPY_JOB_PRIORITY_NORMAL, path, "status.bin");
    wait_outcome(fx.w, job, want_state);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, want_code);
    if (want_state == BGCOPY_JOB_STATE_ERROR)
        wait_job_error_callback(fx.w, job);
    assert_int_equal(want_state == BGCOPY_JOB_STATE_ERROR ? 1 : 0,
                     counter_value(fx.w, &fx.w->errors));
    assert_int_equal(0, bytes_transferred(job));
}

static void test_ts_404_fatal(void **state)
{
    /* a real 404: /gen/ with a size that is not a number */
    status_case(NULL, "/gen/nothing", BGCOPY_JOB_STATE_ERROR, BGCOPY_E_HTTP_ERROR(404));
}

static void test_ts_403_fatal(void **state)
{
    status_case("status=403", "/gen/1000", BGCOPY_JOB_STATE_ERROR, BGCOPY_E_HTTP_ERROR(403));
}

static void test_ts_500_transient(void **state)
{
    status_case("status=500", "/gen/1000", BGCOPY_JOB_STATE_TRANSIENT_ERROR,
                BGCOPY_E_HTTP_ERROR(500));
}

/* The connection is reset after N body bytes: TRANSIENT_ERROR with N bytes kept; Resume (no
 * wait for the retry delay) asks for exactly the rest. */
static void test_ts_reset_then_resume_from_checkpoint(void **state)
{
    const uint64_t size = 4000000, cut = 1500000;
    struct entry e[MAX_ENTRIES];
    char dst[700], range[64];
    bgcopy_job *job;
    uint64_t checkpoint;
    int n;

    need_server();
    ts_rule("reset_after=1500000\nmethod=GET\ncount=1");
    job = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/gen/4000000?seed=11", "reset.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_WINHTTP_CONNECTION_ERROR);
    checkpoint = bytes_transferred(job);
    /* the server waits until the client has every byte before resetting, and the transport
     * hands the engine what arrived before the failure */
    assert_int_equal(cut, checkpoint);
    assert_int_equal((int64_t)cut, temp_file_size(job));

    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, size, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "reset.bin"), size, 11);

    n = ts_log(e, MAX_ENTRIES);
    assert_int_equal(4, n);
    assert_entry(&e[1], "GET", "/gen/4000000?seed=11", "bytes=0-3999999");
    assert_string_equal("reset", e[1].state);
    assert_int_equal(cut, e[1].bytes);
    assert_entry(&e[2], "HEAD", "/gen/4000000?seed=11", "");
    range_text(range, sizeof(range), checkpoint, size - 1);
    assert_entry(&e[3], "GET", "/gen/4000000?seed=11", range);
    assert_int_equal(size - checkpoint, e[3].bytes);
}

/* The server stops sending mid-body: TRANSIENT_ERROR ERROR_WINHTTP_TIMEOUT once no byte came for
 * http_stall_timeout (2 s). */
static void test_ts_stall_times_out(void **state)
{
    bgcopy_job *job;
    double t0, elapsed;

    need_server();
    ts_rule("stall_after=100000\nmethod=GET");
    t0 = now_s();
    job = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/gen/1000000", "stall.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    elapsed = now_s() - t0;
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_WINHTTP_TIMEOUT);
    if (elapsed < 1.9 || elapsed > 4.0)
        fail_msg("stall detected after %.2f s; http_stall_timeout is 2 s", elapsed);
    assert_int_equal(100000, bytes_transferred(job));
}

/* Content-Range one byte off: the server's answer is invalid, a fatal error. */
static void test_ts_wrong_content_range(void **state)
{
    bgcopy_job *job;

    need_server();
    ts_rule("bad_range=1");
    job = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/gen/50000", "badrange.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_INVALID_SERVER_RESPONSE);
    assert_int_equal(0, bytes_transferred(job));
}

/* Last-Modified changes (lm_bump) after part of the file was fetched: the file restarts from
 * byte 0. transfer.c compares size and date at the HEAD (against the previous attempt) and at
 * each GET (against the HEAD), and restarts the file on any difference: so while the date keeps
 * moving every GET starts at 0 and is dropped at its head, and once it is stable the file
 * completes. With lm_bump on 4 responses: HEAD(+1) restarts the file, GET(+2) differs from its
 * HEAD, HEAD(+3), GET(+4) again, then HEAD and GET with the base date: done. */
static void test_ts_last_modified_change_restarts(void **state)
{
    const uint64_t size = 3000000;
    struct entry e[MAX_ENTRIES];
    char dst[700];
    bgcopy_job *job;
    int n, i;

    need_server();
    ts_rule("reset_after=1000000\nmethod=GET\ncount=1");
    job = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/gen/3000000?seed=13", "lm.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_int_equal(1000000, bytes_transferred(job));

    ts_rule("lm_bump=1\ncount=4");
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, size, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "lm.bin"), size, 13);

    n = ts_log(e, MAX_ENTRIES);
    assert_int_equal(8, n); /* HEAD, GET (reset), then 3 x (HEAD, GET) */
    for (i = 2; i < n; i += 2) {
        assert_entry(&e[i], "HEAD", "/gen/3000000?seed=13", "");
        /* every GET after the change starts at 0, not at the 1000000 checkpoint */
        assert_entry(&e[i + 1], "GET", "/gen/3000000?seed=13", "bytes=0-2999999");
    }
    assert_string_equal("done", e[7].state);
    assert_int_equal(size, e[7].bytes);
}

/* A server whose Last-Modified changes on every response (lm_bump for good): each GET
 * disagrees with its HEAD. After 3 restarts in a row without a byte written the attempt fails
 * with a transient BG_E_REMOTE_FILE_CHANGED (before this limit the engine asked HEAD + GET in a
 * tight loop forever). Once the server is consistent again a Resume completes the file. */
static void test_ts_last_modified_never_stable(void **state)
{
    const uint64_t size = 2000000;
    struct entry e[MAX_ENTRIES];
    char dst[700];
    bgcopy_job *job;
    int n, i;

    need_server();
    ts_rule("lm_bump=1");
    job = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/gen/2000000?seed=14", "lm2.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_REMOTE_FILE_CHANGED);
    assert_int_equal(0, bytes_transferred(job));
    n = ts_log(e, MAX_ENTRIES);
    assert_int_equal(8, n); /* the first try and 3 restarts */
    for (i = 0; i < n; i += 2) {
        assert_entry(&e[i], "HEAD", "/gen/2000000?seed=14", "");
        assert_entry(&e[i + 1], "GET", "/gen/2000000?seed=14", "bytes=0-1999999");
    }

    ts_reset_rules();
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, size, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "lm2.bin"), size, 14);
}

/* A redirect under a policy: the outcome and the remote name afterwards. */
static bgcopy_job *redirect_case(uint32_t policy, bgcopy_job_state want, const char *local)
{
    bgcopy_job *job;

    need_server();
    ts_rule("redirect=/gen/40000?seed=21\npath=/r/");
    job = new_job(BGCOPY_JOB_PRIORITY_NORMAL);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_security_flags(job, policy));
    add_file(job, fx.port, "/r/file", local);
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, want);
    return job;
}

static void test_ts_redirect_silent(void **state)
{
    char url[256], dst[700], *name;
    bgcopy_job *job =
        redirect_case(BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_SILENT, BGCOPY_JOB_STATE_TRANSFERRED, "s");

    url_for(url, sizeof(url), fx.port, "/r/file");
    name = remote_name(job); /* followed, the name is kept */
    assert_string_equal(url, name);
    bgcopy_free(name);
    assert_transferred_and_complete(job, 40000, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "s"), 40000, 21);
}

static void test_ts_redirect_report(void **state)
{
    char url[256], dst[700], *name;
    bgcopy_job *job =
        redirect_case(BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_REPORT, BGCOPY_JOB_STATE_TRANSFERRED, "r");

    url_for(url, sizeof(url), fx.port, "/gen/40000?seed=21");
    name = remote_name(job); /* followed, the name is the final URL */
    assert_string_equal(url, name);
    bgcopy_free(name);
    assert_transferred_and_complete(job, 40000, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "r"), 40000, 21);
}

static void test_ts_redirect_disallow(void **state)
{
    char url[256], *name;
    bgcopy_job *job =
        redirect_case(BGCOPY_HTTP_REDIRECT_POLICY_DISALLOW, BGCOPY_JOB_STATE_ERROR, "d");

    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR(302));
    url_for(url, sizeof(url), fx.port, "/r/file");
    name = remote_name(job);
    assert_string_equal(url, name);
    bgcopy_free(name);
}

/* Basic auth required: 401 without (or with wrong) credentials; the right ones transfer. */
static void test_ts_basic_auth(void **state)
{
    char dst[700];
    bgcopy_job *none, *wrong, *right;

    need_server();
    ts_rule("auth=alice:s3cret");
    none = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/gen/30000?seed=3", "auth0.bin");
    wait_outcome(fx.w, none, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(none, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR(401));

    wrong = new_job(BGCOPY_JOB_PRIORITY_NORMAL);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_credentials(wrong, BGCOPY_AUTH_TARGET_SERVER,
                                                      BGCOPY_AUTH_SCHEME_BASIC, "alice", "nope"));
    add_file(wrong, fx.port, "/gen/30000?seed=3", "auth1.bin");
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(wrong));
    wait_outcome(fx.w, wrong, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(wrong, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR(401));

    right = new_job(BGCOPY_JOB_PRIORITY_NORMAL);
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_credentials(right, BGCOPY_AUTH_TARGET_SERVER,
                                                      BGCOPY_AUTH_SCHEME_BASIC, "alice", "s3cret"));
    add_file(right, fx.port, "/gen/30000?seed=3", "auth2.bin");
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(right));
    wait_outcome(fx.w, right, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(right, 30000, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "auth2.bin"), 30000, 3);
}

/* A job with one file from the test's server and credentials (user NULL: none), resumed. */
static bgcopy_job *start_job_with_credentials(bgcopy_auth_target target, bgcopy_auth_scheme scheme,
                                              const char *user, const char *password,
                                              const char *path, const char *local)
{
    bgcopy_job *job = new_job(BGCOPY_JOB_PRIORITY_NORMAL);
    if (user != NULL)
        assert_hr(BGCOPY_S_OK, bgcopy_job_set_credentials(job, target, scheme, user, password));
    add_file(job, fx.port, path, local);
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    return job;
}

/* Fails unless the log of the server on port is exactly the n requests method path with the
 * statuses given (Range not checked), then clears it. */
static void assert_log_statuses(int port, const char *method, const char *path, int n,
                                const int *statuses)
{
    struct entry e[MAX_ENTRIES];
    int i, got = ts_log_at(port, e, MAX_ENTRIES), status = 0;

    if (got != n)
        fail_msg("request log: %d entries, expected %d", got, n);
    for (i = 0; i < n; i++) {
        if (strcmp(e[i].method, method) != 0 || strcmp(e[i].path, path) != 0 ||
            e[i].status != statuses[i])
            fail_msg("request log %d: %s %s %d, expected %s %s %d", i, e[i].method, e[i].path,
                     e[i].status, method, path, statuses[i]);
    }
    free(th_call(port, "POST", "/_log/reset", NULL, &status));
    assert_int_equal(200, status);
}

/* Digest credentials (RFC 7616, MD5, qop=auth) required. No credentials: one HEAD, 401. A wrong
 * password: libcurl answers the challenge once, 401 again. The right account under the BASIC
 * scheme: sent at once, 401. All three ERROR BG_E_HTTP_ERROR_401, context REMOTE_FILE. The right
 * DIGEST account transfers; libcurl answers the challenge of each request (a new handle each
 * time), so the HEAD and the GET each appear twice: 401, then the authenticated one. */
static void test_ts_digest_auth(void **state)
{
    static const char path[] = "/gen/300000?seed=19";
    static const int one_401[] = {401}, two_401[] = {401, 401};
    struct entry e[MAX_ENTRIES];
    char dst[700];
    bgcopy_job *job;

    need_server();
    ts_rule("auth=alice:s3cret\nauth_scheme=digest");
    job = start_job_with_credentials(0, 0, NULL, NULL, path, "digest0.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR(401));
    assert_log_statuses(fx.port, "HEAD", path, 1, one_401);

    job = start_job_with_credentials(BGCOPY_AUTH_TARGET_SERVER, BGCOPY_AUTH_SCHEME_DIGEST, "alice",
                                     "nope", path, "digest1.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR(401));
    assert_log_statuses(fx.port, "HEAD", path, 2, two_401);

    job = start_job_with_credentials(BGCOPY_AUTH_TARGET_SERVER, BGCOPY_AUTH_SCHEME_BASIC, "alice",
                                     "s3cret", path, "digest2.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_HTTP_ERROR(401));
    assert_log_statuses(fx.port, "HEAD", path, 1, one_401);

    job = start_job_with_credentials(BGCOPY_AUTH_TARGET_SERVER, BGCOPY_AUTH_SCHEME_DIGEST, "alice",
                                     "s3cret", path, "digest3.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, 300000, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "digest3.bin"), 300000, 19);
    assert_int_equal(4, ts_log(e, MAX_ENTRIES));
    assert_entry(&e[0], "HEAD", path, "");
    assert_int_equal(401, e[0].status);
    assert_entry(&e[1], "HEAD", path, "");
    assert_int_equal(200, e[1].status);
    assert_entry(&e[2], "GET", path, "bytes=0-299999");
    assert_int_equal(401, e[2].status);
    assert_entry(&e[3], "GET", path, "bytes=0-299999");
    assert_int_equal(206, e[3].status);
    assert_int_equal(300000, e[3].bytes);
}

/* The remote file shrinks between two attempts (size=N on the testserver, same Last-Modified):
 * the file restarts from byte 0 and completes with the new size. */
static void test_ts_size_change_restarts(void **state)
{
    static const char path[] = "/gen/3000000?seed=29";
    struct entry e[MAX_ENTRIES];
    char dst[700];
    bgcopy_job *job;
    bgcopy_job_progress p;

    need_server();
    ts_rule("reset_after=1000000\nmethod=GET\ncount=1");
    job = start_job(BGCOPY_JOB_PRIORITY_NORMAL, path, "size.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_WINHTTP_CONNECTION_ERROR);
    assert_int_equal(1000000, bytes_transferred(job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_progress(job, &p));
    assert_int_equal(3000000, p.bytes_total);

    ts_rule("size=2000000\npath=/gen/3000000");
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, 2000000, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "size.bin"), 2000000, 29);

    assert_int_equal(4, ts_log(e, MAX_ENTRIES));
    assert_entry(&e[1], "GET", path, "bytes=0-2999999");
    assert_string_equal("reset", e[1].state);
    assert_entry(&e[2], "HEAD", path, "");
    /* from 0, not from the 1000000 checkpoint */
    assert_entry(&e[3], "GET", path, "bytes=0-1999999");
    assert_int_equal(2000000, e[3].bytes);
}

/* A throttled download suspended mid-way continues from its checkpoint after Resume. */
static void test_ts_throttled_suspend_resume(void **state)
{
    const uint64_t size = 8u << 20;
    const uint64_t some = 1u << 20;
    struct entry e[MAX_ENTRIES];
    char dst[700], range[64];
    bgcopy_job *job;
    uint64_t checkpoint;
    int n;

    need_server();
    ts_rule("rate=4000000"); /* about 2 s for the whole file */
    job = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/gen/8m?seed=17", "throttled.bin");
    wait_until(fx.w, job, transferred_at_least, (void *)&some, "1 MiB of progress");
    assert_hr(BGCOPY_S_OK, bgcopy_job_suspend(job));
    assert_int_equal(BGCOPY_JOB_STATE_SUSPENDED, job_state(job));
    checkpoint = bytes_transferred(job); /* nothing moves while SUSPENDED */
    assert_true(checkpoint >= some && checkpoint < size);
    assert_true(temp_file_size(job) >= (int64_t)checkpoint);

    ts_reset_rules();
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, size, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "throttled.bin"), size, 17);

    n = ts_log(e, MAX_ENTRIES);
    assert_int_equal(4, n);
    assert_entry(&e[1], "GET", "/gen/8m?seed=17", "bytes=0-8388607");
    assert_entry(&e[2], "HEAD", "/gen/8m?seed=17", "");
    range_text(range, sizeof(range), checkpoint, size - 1);
    assert_entry(&e[3], "GET", "/gen/8m?seed=17", range);
}

/* Bytes past the announced end, with a Content-Length: curl reads exactly that many bytes, so
 * the job completes with the right bytes. The excess either arrives in the same read (curl
 * closes the connection) or stays on the pooled connection, where the next request reads it as
 * its reply: curl refuses that ("HTTP/0.9"), which is a transient
 * ERROR_WINHTTP_INVALID_SERVER_RESPONSE, and a Resume gets a fresh connection. */
static void test_ts_overlong_with_length(void **state)
{
    const uint64_t size = 3000000;
    char dst[700];
    bgcopy_job *job, *next;
    bgcopy_job_state st;

    need_server();
    ts_rule("overlong=5000\npath=/gen/3000000");
    job = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/gen/3000000?seed=6", "overlong.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, size, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "overlong.bin"), size, 6);

    next = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/gen/1000?seed=2", "after.bin");
    st = wait_states(fx.w, next, FINAL_MASK);
    if (st == BGCOPY_JOB_STATE_TRANSIENT_ERROR) {
        assert_job_error(next, BGCOPY_ERROR_CONTEXT_REMOTE_FILE,
                         BGCOPY_E_WINHTTP_INVALID_SERVER_RESPONSE);
        assert_hr(BGCOPY_S_OK, bgcopy_job_resume(next));
        st = wait_states(fx.w, next, FINAL_MASK);
    }
    assert_int_equal(BGCOPY_JOB_STATE_TRANSFERRED, st);
    assert_transferred_and_complete(next, 1000, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "after.bin"), 1000, 2);
}

/* Bytes past the announced end without a Content-Length (the body ends when the connection
 * closes): the engine sees more than the Content-Range announced, ERROR
 * BG_E_INVALID_SERVER_RESPONSE, and nothing past the range is in the temp file. */
static void test_ts_overlong_without_length(void **state)
{
    const uint64_t size = 3000000;
    bgcopy_job *job;
    int64_t temp;

    need_server();
    ts_rule("overlong=5000\nno_content_length=1\nmethod=GET");
    job = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/gen/3000000?seed=6", "overlong.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_INVALID_SERVER_RESPONSE);
    temp = temp_file_size(job);
    assert_true(temp >= 0 && temp <= (int64_t)size);
    assert_true(bytes_transferred(job) <= size);
}

/* Nobody listens on the port: TRANSIENT_ERROR ERROR_WINHTTP_CANNOT_CONNECT. */
/* AddFileWithRanges through the real transport: HEAD, then one ranged GET per range in the order
 * given (the last "to EOF"), and the local file holds the ranges back to back (reference 8.5). */
static void test_ts_file_with_ranges(void **state)
{
    static const bgcopy_file_range ranges[3] = {
        {5000, 700}, {0, 100}, {9000, BGCOPY_LENGTH_TO_EOF}};
    static const uint64_t first[3] = {5000, 0, 9000}, len[3] = {700, 100, 1000};
    struct entry e[MAX_ENTRIES];
    unsigned char buf[2000];
    char url[512], dst[700], range[64];
    bgcopy_job *job;
    FILE *f;
    size_t got, at = 0;
    int i;
    uint64_t k;

    need_server();
    job = new_job(BGCOPY_JOB_PRIORITY_NORMAL);
    url_for(url, sizeof(url), fx.port, "/gen/10000?seed=44");
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file_with_ranges(
                               job, url, path_in(dst, sizeof(dst), "ranges.bin"), 3, ranges));
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, 1800, 1);

    assert_int_equal(4, ts_log(e, MAX_ENTRIES));
    assert_entry(&e[0], "HEAD", "/gen/10000?seed=44", "");
    for (i = 0; i < 3; i++) {
        range_text(range, sizeof(range), first[i], first[i] + len[i] - 1);
        assert_entry(&e[i + 1], "GET", "/gen/10000?seed=44", range);
        assert_int_equal(206, e[i + 1].status);
    }
    f = fopen(dst, "rb");
    assert_non_null(f);
    got = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_int_equal(1800, got);
    for (i = 0; i < 3; i++)
        for (k = 0; k < len[i]; k++, at++)
            if (buf[at] != gen_byte(first[i] + k, 44))
                fail_msg("byte %zu (range %d, offset %llu) differs", at, i,
                         (unsigned long long)(first[i] + k));
}

/* DYNAMIC_CONTENT through the real transport, from a server that sends no Content-Length (which
 * without the property is MISSING_FILE_SIZE, test_ts_missing_content_length): at FOREGROUND
 * priority the body is read to the end of the response and the file completes byte for byte. */
static void test_ts_dynamic_content(void **state)
{
    bgcopy_job_property_value v;
    struct entry e[MAX_ENTRIES];
    char dst[700];
    bgcopy_job *job;
    int n;

    need_server();
    ts_rule("no_content_length=1");
    job = new_job(BGCOPY_JOB_PRIORITY_FOREGROUND);
    memset(&v, 0, sizeof(v));
    v.enable = 1;
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, &v));
    add_file(job, fx.port, "/gen/300000?seed=21", "dynamic.bin");
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, 300000, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "dynamic.bin"), 300000, 21);
    n = ts_log(e, MAX_ENTRIES);
    assert_true(n >= 1);
    /* No HEAD is needed: a single whole-body GET without Range. */
    assert_entry(&e[n - 1], "GET", "/gen/300000?seed=21", "");
    assert_int_equal(200, e[n - 1].status);
}

/* ---- local file failures through the real transport ------------------------------------- */

/* The destination directory disappears between AddFile and the transfer: creating the temporary
 * file fails, so the job goes to ERROR with context LOCAL_FILE and the code Windows gives for a
 * missing directory, and nothing is written anywhere. */
static void test_ts_destination_directory_removed(void **state)
{
    char dir[700], dst[760], url[512];
    bgcopy_job *job;

    need_server();
    path_in(dir, sizeof(dir), "gone");
    assert_int_equal(0, mkdir(dir, 0700));
    snprintf(dst, sizeof(dst), "%s/f.bin", dir);
    job = new_job(BGCOPY_JOB_PRIORITY_NORMAL);
    url_for(url, sizeof(url), fx.port, "/gen/5000?seed=3");
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file(job, url, dst));
    assert_int_equal(0, rmdir(dir));
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_LOCAL_FILE, BGCOPY_E_WIN32_PATH_NOT_FOUND);
    assert_int_equal(-1, file_size(dir));
    assert_int_equal(0, bytes_transferred(job));

    /* The directory comes back: Resume retries the file from zero and it completes. */
    assert_int_equal(0, mkdir(dir, 0700));
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, 5000, 1);
    assert_gen_file(dst, 5000, 3);
    assert_int_equal(0, unlink(dst));
    assert_int_equal(0, rmdir(dir));
}

/* A write fails half way (the process's file-size limit, RLIMIT_FSIZE, makes pwrite fail with
 * EFBIG - a real write error of the real data path; ENOSPC takes the same path): ERROR with
 * context LOCAL_FILE, no local file appears, and the temporary file holds no byte past the
 * limit. Once the limit is lifted, Resume continues from the checkpoint and the file completes
 * byte for byte. */
static void test_ts_write_failure_then_resume(void **state)
{
    const uint64_t size = 4000000, limit = 1500000;
    struct rlimit old, lim;
    void (*old_handler)(int);
    char dst[700];
    bgcopy_job *job;

    need_server();
    assert_int_equal(0, getrlimit(RLIMIT_FSIZE, &old));
    lim = old;
    lim.rlim_cur = (rlim_t)limit;
    old_handler = signal(SIGXFSZ, SIG_IGN); /* EFBIG instead of the signal */
    assert_int_equal(0, setrlimit(RLIMIT_FSIZE, &lim));
    job = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/gen/4000000?seed=11", "fsize.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_ERROR);
    assert_int_equal(0, setrlimit(RLIMIT_FSIZE, &old));
    signal(SIGXFSZ, old_handler);

    assert_job_error(job, BGCOPY_ERROR_CONTEXT_LOCAL_FILE, 0x8007001Fu /* ERROR_GEN_FAILURE */);
    assert_int_equal(-1, file_size(path_in(dst, sizeof(dst), "fsize.bin")));
    assert_true(temp_file_size(job) <= (int64_t)limit);
    assert_true(bytes_transferred(job) <= limit);

    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, size, 1);
    assert_gen_file(dst, size, 11);
}

static void test_connection_refused(void **state)
{
    bgcopy_job *job;
    int port = 0;
    /* bound but not listening: connections are refused and no one else can take the port */
    int fd = bound_socket(0, &port);

    assert_true(fd >= 0);
    job = new_job(BGCOPY_JOB_PRIORITY_NORMAL);
    add_file(job, port, "/gen/1000", "refused.bin");
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    close(fd);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_WINHTTP_CANNOT_CONNECT);
    assert_int_equal(0, counter_value(fx.w, &fx.w->errors));
}

/* ---- proxies: bgcopy-testserver as a forward proxy -------------------------------------------
 *
 * The testserver serves absolute-form requests ("GET http://127.0.0.1:<p>/gen/... HTTP/1.1") by
 * their path and logs the target as sent, so a request that went through it is told apart from
 * a direct one by its log entry. The origin in the URL is a port where nothing listens (bound,
 * not listening, held for the test): a transfer that completes can only have gone through the
 * proxy. */

/* A job for http://127.0.0.1:<port><path> with the proxy settings (usage PRECONFIG: none set),
 * resumed. */
static bgcopy_job *start_proxy_job(bgcopy_proxy_usage usage, const char *list, const char *bypass,
                                   int port, const char *path, const char *local)
{
    bgcopy_job *job = new_job(BGCOPY_JOB_PRIORITY_NORMAL);
    if (usage != BGCOPY_PROXY_USAGE_PRECONFIG)
        assert_hr(BGCOPY_S_OK, bgcopy_job_set_proxy_settings(job, usage, list, bypass));
    add_file(job, port, path, local);
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    return job;
}

/* The log of the testserver on port holds exactly HEAD, then the ranged GET of the whole file,
 * both for target (absolute through a proxy, origin-form direct), answered 200 and 206; the log
 * is cleared afterwards. */
static void assert_head_get(int port, const char *target, uint64_t size)
{
    struct entry e[MAX_ENTRIES];
    char range[64];
    int status = 0;

    assert_int_equal(2, ts_log_at(port, e, MAX_ENTRIES));
    assert_entry(&e[0], "HEAD", target, "");
    assert_int_equal(200, e[0].status);
    range_text(range, sizeof(range), 0, size - 1);
    assert_entry(&e[1], "GET", target, range);
    assert_int_equal(206, e[1].status);
    assert_int_equal(size, e[1].bytes);
    free(th_call(port, "POST", "/_log/reset", NULL, &status));
    assert_int_equal(200, status);
}

/* OVERRIDE: the file comes through the listed proxy; a bypass list that does not name the host
 * changes nothing; one that does (or holds a lone '*') sends the request straight to the (dead)
 * origin: TRANSIENT_ERROR ERROR_WINHTTP_CANNOT_CONNECT in context REMOTE_FILE, and the proxy
 * sees nothing. A proxy that refuses the connection is the same code in context
 * GENERAL_TRANSPORT. */
static void test_proxy_override(void **state)
{
    static const char path[] = "/gen/500000?seed=31";
    struct entry e[MAX_ENTRIES];
    char list[64], target[128], dst[700];
    bgcopy_job *job;
    int dport = 0, dead;

    need_server();
    dead = bound_socket(0, &dport);
    assert_true(dead >= 0);
    url_for(target, sizeof(target), dport, path);

    snprintf(list, sizeof(list), "127.0.0.1:%d", fx.port);
    job = start_proxy_job(BGCOPY_PROXY_USAGE_OVERRIDE, list, NULL, dport, path, "via.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, 500000, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "via.bin"), 500000, 31);
    assert_head_get(fx.port, target, 500000);

    /* scheme-prefixed list entries; a bypass list naming other hosts */
    snprintf(list, sizeof(list), "https=127.0.0.1:1 http=http://127.0.0.1:%d", fx.port);
    job = start_proxy_job(BGCOPY_PROXY_USAGE_OVERRIDE, list, "example.com *.invalid <local>", dport,
                          path, "via2.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, 500000, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "via2.bin"), 500000, 31);
    assert_head_get(fx.port, target, 500000);

    /* the host in the bypass list: direct, and nobody listens there */
    job = start_proxy_job(BGCOPY_PROXY_USAGE_OVERRIDE, list, "example.com;127.0.0.1", dport, path,
                          "bypass.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_WINHTTP_CANNOT_CONNECT);
    assert_int_equal(0, ts_log(e, MAX_ENTRIES));
    /* a lone '*' among other entries bypasses every host */
    job = start_proxy_job(BGCOPY_PROXY_USAGE_OVERRIDE, list, "example.com *", dport, path,
                          "bypass2.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_WINHTTP_CANNOT_CONNECT);
    assert_int_equal(0, ts_log(e, MAX_ENTRIES));

    /* the proxy refuses: a transport problem, not the file's; the origin sees nothing */
    snprintf(list, sizeof(list), "127.0.0.1:%d", dport);
    job = start_proxy_job(BGCOPY_PROXY_USAGE_OVERRIDE, list, NULL, fx.port, path, "noproxy.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSIENT_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT, BGCOPY_E_WINHTTP_CANNOT_CONNECT);
    assert_int_equal(0, ts_log(e, MAX_ENTRIES));
    assert_int_equal(0, counter_value(fx.w, &fx.w->errors)); /* transient: no JobError */
    close(dead);
}

/* PRECONFIG and AUTODETECT take the proxy from the environment as libcurl reads it: http_proxy
 * for http:// URLs (the upper-case HTTP_PROXY is not read for them, libcurl's guard against
 * CGI's HTTP_PROXY header), no_proxy or NO_PROXY naming the host means direct; NO_PROXY usage
 * ignores the environment. "Direct" cases download from a second testserver (the origin), whose
 * log shows the origin-form target while the proxy's stays empty. */
static void test_proxy_preconfig_environment(void **state)
{
    static const char path[] = "/gen/200000?seed=37";
    struct entry e[MAX_ENTRIES];
    char proxy[64], target[128], dst[700];
    bgcopy_job *job;
    int dport = 0, dead, i;
    static const struct {
        const char *var, *value;
    } direct[] = {{"no_proxy", "example.com,127.0.0.1"}, {"NO_PROXY", "127.0.0.1"}};

    need_server();
    start_second_testserver();
    dead = bound_socket(0, &dport);
    assert_true(dead >= 0);
    url_for(target, sizeof(target), dport, path);
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", fx.port);

    assert_int_equal(0, setenv("http_proxy", proxy, 1));
    job = start_proxy_job(BGCOPY_PROXY_USAGE_PRECONFIG, NULL, NULL, dport, path, "env1.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, 200000, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "env1.bin"), 200000, 37);
    assert_head_get(fx.port, target, 200000);

    job = start_proxy_job(BGCOPY_PROXY_USAGE_AUTODETECT, NULL, NULL, dport, path, "env2.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, 200000, 1);
    assert_head_get(fx.port, target, 200000);

    for (i = 0; i < 2; i++) {
        char local[32];
        snprintf(local, sizeof(local), "direct%d.bin", i);
        assert_int_equal(0, setenv(direct[i].var, direct[i].value, 1));
        job = start_proxy_job(BGCOPY_PROXY_USAGE_PRECONFIG, NULL, NULL, fx.port2, path, local);
        wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
        assert_transferred_and_complete(job, 200000, 1);
        assert_gen_file(path_in(dst, sizeof(dst), local), 200000, 37);
        assert_head_get(fx.port2, path, 200000);
        assert_int_equal(0, ts_log(e, MAX_ENTRIES));
        assert_int_equal(0, unsetenv(direct[i].var));
    }

    job = start_proxy_job(BGCOPY_PROXY_USAGE_NO_PROXY, NULL, NULL, fx.port2, path, "np.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, 200000, 1);
    assert_head_get(fx.port2, path, 200000);
    assert_int_equal(0, ts_log(e, MAX_ENTRIES));

    assert_int_equal(0, unsetenv("http_proxy"));
    assert_int_equal(0, setenv("HTTP_PROXY", proxy, 1));
    job = start_proxy_job(BGCOPY_PROXY_USAGE_PRECONFIG, NULL, NULL, fx.port2, path, "upper.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, 200000, 1);
    assert_head_get(fx.port2, path, 200000);
    assert_int_equal(0, ts_log(e, MAX_ENTRIES));
    clear_proxy_env();
    close(dead);
}

/* Proxy credentials (BG_AUTH_TARGET_PROXY) against a proxy that wants them (proxy_auth, Basic
 * or Digest): none, a wrong password, and the right account given as SERVER credentials all
 * end in ERROR BG_E_HTTP_ERROR_407 in context GENERAL_TRANSPORT (the proxy's answer, as for a
 * CONNECT refused with 407); the right account transfers. The log shows how many requests each
 * took (Basic is sent at once; Digest answers a challenge per request). */
static void proxy_credentials_case(bgcopy_auth_scheme scheme)
{
    static const char path[] = "/gen/250000?seed=41";
    int digest = scheme == BGCOPY_AUTH_SCHEME_DIGEST;
    static const int one_407[] = {407}, two_407[] = {407, 407};
    struct entry e[MAX_ENTRIES];
    char list[64], target[128], dst[700], range[64];
    bgcopy_job *job;
    int dport = 0, dead, i;
    static const struct {
        bgcopy_auth_target target;
        const char *password;
        int digest_requests; /* HEADs logged for Digest (Basic: always 1) */
    } refused[] = {
        {0, NULL, 1}, {BGCOPY_AUTH_TARGET_PROXY, "nope", 2}, {BGCOPY_AUTH_TARGET_SERVER, "pw", 1}};

    need_server();
    dead = bound_socket(0, &dport);
    assert_true(dead >= 0);
    url_for(target, sizeof(target), dport, path);
    snprintf(list, sizeof(list), "127.0.0.1:%d", fx.port);
    ts_rule(digest ? "proxy_auth=bob:pw\nproxy_auth_scheme=digest" : "proxy_auth=bob:pw");

    for (i = 0; i < 3; i++) {
        int n = digest ? refused[i].digest_requests : 1;
        job = new_job(BGCOPY_JOB_PRIORITY_NORMAL);
        assert_hr(BGCOPY_S_OK,
                  bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_OVERRIDE, list, NULL));
        if (refused[i].password != NULL)
            assert_hr(BGCOPY_S_OK, bgcopy_job_set_credentials(job, refused[i].target, scheme, "bob",
                                                              refused[i].password));
        add_file(job, dport, path, "refused.bin");
        assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
        wait_outcome(fx.w, job, BGCOPY_JOB_STATE_ERROR);
        assert_job_error(job, BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT, BGCOPY_E_HTTP_ERROR(407));
        assert_log_statuses(fx.port, "HEAD", target, n, n == 1 ? one_407 : two_407);
    }

    job = new_job(BGCOPY_JOB_PRIORITY_NORMAL);
    assert_hr(BGCOPY_S_OK,
              bgcopy_job_set_proxy_settings(job, BGCOPY_PROXY_USAGE_OVERRIDE, list, NULL));
    assert_hr(BGCOPY_S_OK,
              bgcopy_job_set_credentials(job, BGCOPY_AUTH_TARGET_PROXY, scheme, "bob", "pw"));
    add_file(job, dport, path, "proxyauth.bin");
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, 250000, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "proxyauth.bin"), 250000, 41);
    if (!digest) {
        assert_head_get(fx.port, target, 250000);
    } else {
        assert_int_equal(4, ts_log(e, MAX_ENTRIES));
        range_text(range, sizeof(range), 0, 250000 - 1);
        assert_entry(&e[0], "HEAD", target, "");
        assert_int_equal(407, e[0].status);
        assert_entry(&e[1], "HEAD", target, "");
        assert_int_equal(200, e[1].status);
        assert_entry(&e[2], "GET", target, range);
        assert_int_equal(407, e[2].status);
        assert_entry(&e[3], "GET", target, range);
        assert_int_equal(206, e[3].status);
        assert_int_equal(250000, e[3].bytes);
    }
    close(dead);
}

static void test_proxy_credentials_basic(void **state)
{
    proxy_credentials_case(BGCOPY_AUTH_SCHEME_BASIC);
}

static void test_proxy_credentials_digest(void **state)
{
    proxy_credentials_case(BGCOPY_AUTH_SCHEME_DIGEST);
}

/* ---- HTTPS -> HTTP redirect ----------------------------------------------------------------- */

/* An HTTPS server (python3's ssl module, a self-signed certificate made by the openssl tool)
 * that answers every HEAD and GET with 302 to argv[3] and records "METHOD path" lines in
 * argv[4]. */
static const char tls_redirector_py[] =
    "import http.server, ssl, sys\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "    def answer(self):\n"
    "        with open(sys.argv[4], 'a') as f:\n"
    "            f.write('%s %s\\n' % (self.command, self.path))\n"
    "        self.send_response(302)\n"
    "        self.send_header('Location', sys.argv[3])\n"
    "        self.send_header('Content-Length', '0')\n"
    "        self.end_headers()\n"
    "    do_HEAD = answer\n"
    "    do_GET = answer\n"
    "s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
    "c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "c.load_cert_chain(sys.argv[1], sys.argv[2])\n"
    "s.socket = c.wrap_socket(s.socket, server_side=True)\n"
    "print('listening 127.0.0.1:%d' % s.server_address[1], flush=True)\n"
    "s.serve_forever()\n";

/* Runs argv to the end with its output discarded; its exit status, or -1. */
static int run_quiet(char *const argv[])
{
    char err[700];
    pid_t pid = spawn(argv, -1, path_in(err, sizeof(err), "tool.err"));
    int status;

    if (pid < 0)
        return -1;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A job for the https URL with the security flags (the certificate checks relaxed for the
 * self-signed certificate, plus the redirect policy), resumed. */
static bgcopy_job *start_https_job(const char *url, uint32_t policy, const char *local)
{
    char dst[700];
    bgcopy_job *job = new_job(BGCOPY_JOB_PRIORITY_NORMAL);

    assert_hr(BGCOPY_S_OK,
              bgcopy_job_set_security_flags(job, BGCOPY_SSL_IGNORE_UNKNOWN_CA |
                                                     BGCOPY_SSL_IGNORE_CERT_CN_INVALID | policy));
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file(job, url, path_in(dst, sizeof(dst), local)));
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    return job;
}

/* An HTTPS URL redirected to plain HTTP (the testserver). Without
 * BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP the redirect is refused: ERROR
 * ERROR_WINHTTP_REDIRECT_FAILED in context REMOTE_FILE after the HEAD, and the HTTP server sees
 * nothing. With it, the file comes from the HTTP server (HEAD and GET each redirected), and
 * under ALLOW_SILENT the remote name stays the HTTPS URL. */
static void test_https_to_http_redirect(void **state)
{
    static const char path[] = "/gen/600000?seed=43";
    struct entry e[MAX_ENTRIES];
    char cert[700], key[700], err[700], log[700], http_url[128], https_url[128], dst[700];
    char *gen[] = {(char *)openssl_path,
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
                   NULL};
    char *srv[] = {
        (char *)python_path, "-c", (char *)tls_redirector_py, cert, key, http_url, log, NULL};
    char *text, *name;
    bgcopy_job *job;

    need_server();
    if (openssl_path == NULL || python_path == NULL)
        skip();
    path_in(cert, sizeof(cert), "cert.pem");
    path_in(key, sizeof(key), "key.pem");
    path_in(log, sizeof(log), "tls.log");
    url_for(http_url, sizeof(http_url), fx.port, path);
    if (run_quiet(gen) != 0 ||
        start_announcing(srv, path_in(err, sizeof(err), "tls.err"), &fx.server2, &fx.port2) != 0)
        skip();
    snprintf(https_url, sizeof(https_url), "https://127.0.0.1:%d/file.bin", fx.port2);

    job = start_https_job(https_url, 0, "refused.bin"); /* ALLOW_SILENT */
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(job, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_WINHTTP_REDIRECT_FAILED);
    assert_int_equal(0, ts_log(e, MAX_ENTRIES));
    text = read_text(log);
    assert_non_null(text);
    assert_string_equal("HEAD /file.bin\n", text);
    free(text);

    job = start_https_job(https_url, BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP, "down.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    name = remote_name(job);
    assert_string_equal(https_url, name);
    bgcopy_free(name);
    assert_transferred_and_complete(job, 600000, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "down.bin"), 600000, 43);
    assert_head_get(fx.port, path, 600000);
    text = read_text(log);
    assert_non_null(text);
    assert_string_equal("HEAD /file.bin\nHEAD /file.bin\nGET /file.bin\n", text);
    free(text);
}

/* ---- python3: custom headers, and a server without range support ------------------------- */

static void test_python_custom_headers_on_every_request(void **state)
{
    const uint64_t size = 100000;
    char src[700], dst[700], log[700], *text;
    bgcopy_job *job;

    need_server();
    write_gen_file(path_in(src, sizeof(src), "www/h.bin"), size, 8);
    job = new_job(BGCOPY_JOB_PRIORITY_FOREGROUND); /* http.server ignores Range */
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_custom_headers(job, "X-Bgcopy-Test: hello world\r\n"
                                                              "X-Second: 2\r\n"));
    add_file(job, fx.port, "/h.bin", "h.bin");
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, size, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "h.bin"), size, 8);
    text = read_text(path_in(log, sizeof(log), "headers.log"));
    assert_non_null(text);
    assert_string_equal("HEAD /h.bin [hello world] [2]\n"
                        "GET /h.bin [hello world] [2]\n",
                        text);
    free(text);
}

static void test_python_no_ranges(void **state)
{
    const uint64_t size = 1500000;
    char src[700], dst[700];
    bgcopy_job *normal, *fg;

    need_server();
    write_gen_file(path_in(src, sizeof(src), "www/p.bin"), size, 9);
    normal = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/p.bin", "p-normal.bin");
    wait_outcome(fx.w, normal, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(normal, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT);
    assert_int_equal(0, bytes_transferred(normal));

    fg = start_job(BGCOPY_JOB_PRIORITY_FOREGROUND, "/p.bin", "p-fg.bin");
    wait_outcome(fx.w, fg, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(fg, size, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "p-fg.bin"), size, 9);
}

/* ---- nginx --------------------------------------------------------------------------------- */

/* nginx's access log after stopping it (every finished request is logged by then). */
static char *nginx_log_after_stop(void)
{
    char log[700];
    stop_process(&fx.server);
    return read_text(path_in(log, sizeof(log), "access.log"));
}

static void test_nginx_64m_ranged(void **state)
{
    const uint64_t size = 64u << 20;
    char src[700], dst[700], want[256], *log;
    bgcopy_job *job;

    need_server();
    write_gen_file(path_in(src, sizeof(src), "www/big.bin"), size, 33);
    job = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/big.bin", "big.bin");
    wait_outcome(fx.w, job, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(job, size, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "big.bin"), size, 33);
    log = nginx_log_after_stop();
    assert_non_null(log);
    snprintf(want, sizeof(want), "HEAD /big.bin \"-\" 200\nGET /big.bin \"bytes=0-%llu\" 206\n",
             (unsigned long long)(size - 1));
    assert_string_equal(want, log);
    free(log);
}

/* `max_ranges 0`: nginx ignores Range. */
static void test_nginx_max_ranges_0(void **state)
{
    const uint64_t size = 3000000;
    char src[700], dst[700], *log;
    bgcopy_job *normal, *fg;

    need_server();
    assert_int_equal(0, mkdir(path_in(src, sizeof(src), "www/noranges"), 0700));
    write_gen_file(path_in(src, sizeof(src), "www/noranges/n.bin"), size, 34);
    normal = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/noranges/n.bin", "n-normal.bin");
    wait_outcome(fx.w, normal, BGCOPY_JOB_STATE_ERROR);
    assert_job_error(normal, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT);

    fg = start_job(BGCOPY_JOB_PRIORITY_FOREGROUND, "/noranges/n.bin", "n-fg.bin");
    wait_outcome(fx.w, fg, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_transferred_and_complete(fg, size, 1);
    assert_gen_file(path_in(dst, sizeof(dst), "n-fg.bin"), size, 34);
    log = nginx_log_after_stop();
    assert_non_null(log);
    assert_non_null(strstr(log, "GET /noranges/n.bin \"bytes=0-2999999\" 200\n"));
    free(log);
}

/* ---- bad input ----------------------------------------------------------------------------- */

static void test_bad_urls_rejected(void **state)
{
    static const char *const urls[] = {
        "http://127.0.0.1:1/a\r\nX-Injected: 1",
        "http://127.0.0.1:1/a\nb",
        "http://127.0.0.1:1/a\rb",
        "http://127.0.0.1:1/a b",
        "http://127.0.0.1:1/a\tb",
        "http://127.0.0.1 :1/a",
        "http://exa mple.com/",
        "gopher://127.0.0.1/a",
        "http:///nohost",
        "http://127.0.0.1:99999/a",
    };
    char dst[700];
    bgcopy_job *job = new_job(BGCOPY_JOB_PRIORITY_NORMAL);
    bgcopy_job_progress p;
    size_t i;

    path_in(dst, sizeof(dst), "bad.bin");
    for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
        if (bgcopy_job_add_file(job, urls[i], dst) != BGCOPY_E_INVALIDARG)
            fail_msg("AddFile accepted %s", urls[i]);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_progress(job, &p));
    assert_int_equal(0, p.files_total);
    assert_hr(BGCOPY_E_EMPTY, bgcopy_job_resume(job));
}

static void test_header_injection_rejected(void **state)
{
    static const char *const bad[] = {
        "X-A: 1\nHost: evil\r\n",            /* bare LF */
        "X-A: 1\rHost: evil\r\n",            /* bare CR */
        "X-A: 1\r\n\r\nGET /x HTTP/1.1\r\n", /* an empty line ends the head */
        "X-A: 1\r\nnot a header\r\n",        /* no colon */
        "X-A: 1\r\n Host: evil\r\n",         /* obs-fold */
        "X A: 1\r\n",                        /* space in the name */
        "X-A: 1\x01\r\n",                    /* control character */
        "\r\n",                              /* empty line */
    };
    bgcopy_job *job = new_job(BGCOPY_JOB_PRIORITY_NORMAL);
    char *got = NULL;
    size_t i;

    assert_hr(BGCOPY_S_OK, bgcopy_job_set_custom_headers(job, "X-Ok: 1\r\n"));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (bgcopy_job_set_custom_headers(job, bad[i]) != BGCOPY_E_INVALIDARG)
            fail_msg("SetCustomHeaders accepted header %zu", i);
    /* a failed call leaves the job as it was */
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_custom_headers(job, &got));
    assert_string_equal("X-Ok: 1\r\n", got);
    bgcopy_free(got);
}

/* MaxInternetBandwidth 80 Kbps (10,000 bytes/s): the HTTP transport paces a NORMAL job's body, so
 * at any moment it holds at most one receive buffer (10,000 bytes) plus 10,000 bytes per second
 * since Resume - an upper bound that a slow machine cannot break - while a FOREGROUND job of the
 * same 3,000,000 bytes is not throttled and completes. The fixture's manager is replaced by one
 * with the policy on a state directory of its own (the first manager of an engine sets the
 * policy, and the fixture's engine may outlive its manager for a moment). */
static void test_ts_bandwidth_cap(void **state)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_job *bg, *fg;
    bgcopy_job_progress p;
    double t0, elapsed;
    uint64_t got;
    const uint64_t size = 3000000;
    char state_dir[700];

    need_server();
    bgcopy_manager_close(fx.mgr);
    fx.mgr = NULL;
    o.http_stall_timeout = 2;
    o.bandwidth_policy = 1;
    o.bandwidth_kbps = 80;
    o.state_dir = path_in(state_dir, sizeof(state_dir), "state"); /* a fresh engine */
    assert_hr(BGCOPY_S_OK, bgcopy_manager_open(&o, &fx.mgr));

    t0 = now_s();
    bg = start_job(BGCOPY_JOB_PRIORITY_NORMAL, "/gen/3000000?seed=5", "capped.bin");
    usleep(3500000);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_progress(bg, &p));
    elapsed = now_s() - t0;
    assert_int_equal(BGCOPY_JOB_STATE_TRANSFERRING, job_state(bg));
    assert_int_equal(size, p.bytes_total);
    assert_true((double)p.bytes_transferred <= 10000.0 + 10000.0 * elapsed);

    fg = start_job(BGCOPY_JOB_PRIORITY_FOREGROUND, "/gen/3000000?seed=5", "free.bin");
    wait_outcome(fx.w, fg, BGCOPY_JOB_STATE_TRANSFERRED);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_progress(bg, &p));
    got = p.bytes_transferred;
    elapsed = now_s() - t0;
    assert_true((double)got <= 10000.0 + 10000.0 * elapsed);
    assert_true(got < size);
    assert_transferred_and_complete(fg, size, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ts_happy_path, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_multi_file_in_add_order, setup_testserver,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ts_ignore_ranges_normal, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_ignore_ranges_foreground, setup_testserver,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ts_missing_content_length, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_file_with_ranges, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_dynamic_content, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_destination_directory_removed, setup_testserver,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ts_write_failure_then_resume, setup_testserver,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ts_503_retried, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_404_fatal, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_403_fatal, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_500_transient, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_reset_then_resume_from_checkpoint, setup_testserver,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ts_stall_times_out, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_wrong_content_range, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_last_modified_change_restarts, setup_testserver,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ts_last_modified_never_stable, setup_testserver,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ts_bandwidth_cap, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_redirect_silent, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_redirect_report, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_redirect_disallow, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_basic_auth, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_digest_auth, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_size_change_restarts, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_throttled_suspend_resume, setup_testserver,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ts_overlong_with_length, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_ts_overlong_without_length, setup_testserver,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused, setup_none, teardown),
        cmocka_unit_test_setup_teardown(test_proxy_override, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_proxy_preconfig_environment, setup_testserver,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_proxy_credentials_basic, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_proxy_credentials_digest, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_https_to_http_redirect, setup_testserver, teardown),
        cmocka_unit_test_setup_teardown(test_python_custom_headers_on_every_request,
                                        setup_python_headers, teardown),
        cmocka_unit_test_setup_teardown(test_python_no_ranges, setup_python, teardown),
        cmocka_unit_test_setup_teardown(test_nginx_64m_ranged, setup_nginx, teardown),
        cmocka_unit_test_setup_teardown(test_nginx_max_ranges_0, setup_nginx, teardown),
        cmocka_unit_test_setup_teardown(test_bad_urls_rejected, setup_none, teardown),
        cmocka_unit_test_setup_teardown(test_header_injection_rejected, setup_none, teardown),
    };
    char cwd[400], cmd[600];
    int rc;

    /* The default proxy usage reads these: the loopback servers must be reached directly.
     * Done before any thread exists. */
    clear_proxy_env();
    signal(SIGPIPE, SIG_IGN);
    testserver_path = getenv("BGCOPY_TESTSERVER");
    nginx_path = getenv("BGCOPY_NGINX");
    python_path = getenv("BGCOPY_PYTHON");
    openssl_path = getenv("BGCOPY_OPENSSL");
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return 1;
    snprintf(run_dir, sizeof(run_dir), "%s/http-integration-XXXXXX", cwd);
    if (mkdtemp(run_dir) == NULL)
        return 1;
    if (getenv("BGCOPY_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("BGCOPY_TEST_FILTER"));
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (rc == 0) { /* keep the files of a failed run for a look */
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run_dir);
        if (system(cmd) != 0)
            rc = 1;
    }
    return rc;
}
