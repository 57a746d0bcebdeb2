/* tools/bgcopy-testserver.c - entry point of bgcopy-testserver, the HTTP/1.1 test server with
 * fault injection that the integration tests download from.
 *
 * Parses the options, binds 127.0.0.1:<port> (port 0 picks a free one), prints exactly one line
 * "listening 127.0.0.1:<port>" on stdout and flushes it, then runs the libuv loop until SIGTERM
 * or SIGINT, when it closes the listener and every connection and exits 0. The connections are
 * in tools/testserver/conn.c; docs/testserver.md is the manual.
 *
 * Exit status: 0 after a signal (and for --help and --md5), 1 for a startup error (bad option, root
 * not a directory, port in use).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testserver/testserver.h"

static const char usage[] =
    "usage: bgcopy-testserver [--port N] [--root DIR] [--log] [fault flags]\n"
    "\n"
    "  --port N      listen on 127.0.0.1:N (default 0: a free port)\n"
    "  --root DIR    serve the files under DIR (GET/HEAD /<path>)\n"
    "  --log         log every request to stderr\n"
    "  --md5 TEXT    print the MD5 of TEXT (hex) and exit (a self-check)\n"
    "\n"
    "Always available: /gen/<size>[?seed=N] (byte i = (i*131 + seed*7 + 7) & 0xFF),\n"
    "/zero/<size>; sizes up to 2^40, optional k/m/g/t suffix (binary).\n"
    "Control: GET|POST /_control, POST /_control/reset, GET /_log, POST /_log/reset.\n"
    "\n"
    "Fault flags (one rule applying to every request; --key=value or --key value):\n"
    "  --ignore-ranges --no-content-length --bad-range --lm-bump   (booleans)\n"
    "  --status S --reset-after N --stall-after N --lm SECONDS --redirect URL\n"
    "  --redirect-status S --auth USER:PASS --auth-scheme basic|digest\n"
    "  --proxy-auth USER:PASS --proxy-auth-scheme basic|digest --size N\n"
    "  --rate BYTES_PER_S --overlong N\n"
    "  scope: --count N --path PREFIX --method M\n"
    "See docs/testserver.md.\n";

static struct ts_server srv;

static void on_signal(uv_signal_t *h, int signum)
{
    (void)signum;
    if (srv.stopping)
        return;
    srv.stopping = true;
    uv_close((uv_handle_t *)&srv.listener, NULL);
    uv_close((uv_handle_t *)&srv.sigterm, NULL);
    uv_close((uv_handle_t *)&srv.sigint, NULL);
    ts_conn_close_all(&srv);
    (void)h;
}

static void on_connection(uv_stream_t *server, int status)
{
    (void)server;
    if (status < 0) {
        fprintf(stderr, "bgcopy-testserver: accept: %s\n", uv_strerror(status));
        return;
    }
    ts_conn_accept(&srv);
}

/* Parses argv. Returns 0, or 1 after printing an error. --help (the usage) and --md5 (a digest)
 * print their answer and set *help: nothing is served then. */
static int parse_args(int argc, char **argv, int *port, const char **root, bool *help)
{
    struct ts_buf faults = {0}, err = {0};
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "bgcopy-testserver: unexpected argument '%s'\n%s", a, usage);
            goto out;
        }
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        char name[40];
        if (nlen == 0 || nlen >= sizeof(name)) {
            fprintf(stderr, "bgcopy-testserver: unknown option '%s'\n", a);
            goto out;
        }
        for (size_t k = 0; k < nlen; k++)
            name[k] = a[2 + k] == '-' ? '_' : a[2 + k];
        name[nlen] = '\0';
        if (strcmp(name, "help") == 0) {
            *help = true;
            fputs(usage, stdout);
            rc = 0;
            goto out;
        }
        if (strcmp(name, "log") == 0 && !eq) {
            srv.log_stderr = true;
            continue;
        }
        if (strcmp(name, "md5") == 0) {
            char hex[33];
            const char *text = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
            if (!text) {
                fprintf(stderr, "bgcopy-testserver: option '%s' needs a value\n", a);
                goto out;
            }
            ts_md5_hex(text, strlen(text), hex);
            printf("%s\n", hex);
            *help = true; /* done: exit 0 without serving */
            rc = 0;
            goto out;
        }
        int kind = ts_faults_key_kind(name);
        bool known = kind >= 0 || strcmp(name, "port") == 0 || strcmp(name, "root") == 0;
        if (!known) {
            fprintf(stderr, "bgcopy-testserver: unknown option '%s'\n%s", a, usage);
            goto out;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value && kind != 1) {
            if (i + 1 >= argc) {
                fprintf(stderr, "bgcopy-testserver: option '%s' needs a value\n", a);
                goto out;
            }
            value = argv[++i];
        }
        if (strcmp(name, "port") == 0) {
            uint64_t p;
            if (!ts_parse_u64(value, strlen(value), &p) || p > 65535) {
                fprintf(stderr, "bgcopy-testserver: bad port '%s'\n", value);
                goto out;
            }
            *port = (int)p;
        } else if (strcmp(name, "root") == 0) {
            *root = value;
        } else {
            if (value && strchr(value, '\n')) {
                fprintf(stderr, "bgcopy-testserver: bad value for '%s'\n", a);
                goto out;
            }
            ts_buf_printf(&faults, "%s%s%s\n", name, value ? "=" : "", value ? value : "");
        }
    }
    if (faults.len && ts_faults_add(&srv.faults, faults.p, faults.len, false, &err) != 0) {
        fprintf(stderr, "bgcopy-testserver: %s", err.p);
        goto out;
    }
    rc = 0;
out:
    ts_buf_free(&faults);
    ts_buf_free(&err);
    return rc;
}

int main(int argc, char **argv)
{
    int port = 0, rc = 1, err;
    const char *root = NULL;
    bool help = false;
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int blen = sizeof(bound);

    signal(SIGPIPE, SIG_IGN);
    ts_conn_global_init();
    ts_log_init(&srv.log);
    if (parse_args(argc, argv, &port, &root, &help) != 0 || help) {
        rc = help ? 0 : 1;
        goto out;
    }
    if (root) {
        struct stat st;
        srv.root = realpath(root, NULL);
        if (!srv.root || stat(srv.root, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "bgcopy-testserver: --root %s: not a directory\n", root);
            goto out;
        }
        srv.root_len = strlen(srv.root);
        if (srv.root_len == 1)
            srv.root_len = 0; /* "/": every absolute real path is inside */
    }

    srv.loop = uv_default_loop();
    srv.start_ms = uv_now(srv.loop);
    {
        /* the Digest nonce: unpredictable enough for a test server, fixed for its lifetime */
        char seed[64];
        int n = snprintf(seed, sizeof(seed), "%llu:%d:%p", (unsigned long long)uv_hrtime(),
                         (int)uv_os_getpid(), (void *)&srv);
        ts_md5_hex(seed, (size_t)n, srv.nonce);
    }
    uv_tcp_init(srv.loop, &srv.listener);
    uv_ip4_addr("127.0.0.1", port, &addr);
    if ((err = uv_tcp_bind(&srv.listener, (const struct sockaddr *)&addr, 0)) != 0 ||
        (err = uv_listen((uv_stream_t *)&srv.listener, 511, on_connection)) != 0 ||
        (err = uv_tcp_getsockname(&srv.listener, (struct sockaddr *)&bound, &blen)) != 0) {
        fprintf(stderr, "bgcopy-testserver: cannot listen on 127.0.0.1:%d: %s\n", port,
                uv_strerror(err));
        uv_close((uv_handle_t *)&srv.listener, NULL);
        uv_run(srv.loop, UV_RUN_DEFAULT);
        goto out;
    }
    uv_signal_init(srv.loop, &srv.sigterm);
    uv_signal_init(srv.loop, &srv.sigint);
    uv_signal_start(&srv.sigterm, on_signal, SIGTERM);
    uv_signal_start(&srv.sigint, on_signal, SIGINT);

    printf("listening 127.0.0.1:%d\n", ntohs(((struct sockaddr_in *)&bound)->sin_port));
    fflush(stdout);

    uv_run(srv.loop, UV_RUN_DEFAULT);
    rc = 0;
out:
    if (srv.loop)
        uv_loop_close(srv.loop);
    ts_faults_reset(&srv.faults);
    ts_log_clear(&srv.log);
    free(srv.log.ring);
    free(srv.root);
    return rc;
}
