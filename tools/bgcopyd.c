/* tools/bgcopyd.c - bgcopyd, the bgcopy service: one process per user (or one for the machine,
 * --system) that owns a state directory, runs the emulated engine and serves the library's
 * BGCOPY_ENGINE_SERVICE managers over a Unix-domain socket (service/server.c).
 *
 * Usually started on demand by the library, which passes --ready-fd: bgcopyd then detaches
 * (forks, the first process exits at once, setsid) and reports on that descriptor. Run it by
 * hand in the foreground without --ready-fd. See docs/internals/service.md.
 *
 * Usage: bgcopyd [--socket PATH] [--state-dir DIR] [--idle-timeout SECONDS] [--system]
 *                [--set NAME=VALUE]... [--ready-fd N]
 *   --socket        the socket (default $BGCOPY_SERVICE_SOCKET, $XDG_RUNTIME_DIR/bgcopy/
 *                   bgcopyd.sock, /tmp/bgcopy-<uid>/bgcopyd.sock; with --system
 *                   /run/bgcopy/bgcopyd.sock)
 *   --state-dir     the state directory (default: the library's, BGCOPY_STATE_DIR ...)
 *   --idle-timeout  exit after this many seconds with no client and no active job (0: never;
 *                   default 0 in the foreground, 60 when started with --ready-fd)
 *   --system        the root service for every user (socket mode 0666, SO_PEERCRED identities)
 *   --set           an engine option, e.g. --set notify_retry_interval=5 (service/common.c)
 *   --ready-fd      report "READY <pid>" or "ERROR <hr> <busy|fatal> <text>" there, detached
 * Environment: BGCOPY_SERVICE_LOG names a file the service appends its log to (default: stderr
 * in the foreground, nothing when detached).
 *
 * Exit status: 0 after a clean stop (idle, SIGTERM, SIGINT), 1 when it could not start, 2 for
 * a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"
#include "svc.h"

static int usage(const char *msg)
{
    fprintf(stderr,
            "bgcopyd: %s\n"
            "usage: bgcopyd [--socket PATH] [--state-dir DIR] [--idle-timeout SECONDS] "
            "[--system] [--set NAME=VALUE]... [--ready-fd N]\n",
            msg);
    return 2;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    if (s == NULL || *s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    *out = strtoul(s, &end, 10);
    return errno != 0 || *end != '\0' || *out > max ? -1 : 0;
}

/* Points stdin and stdout at /dev/null, and stderr at the log file (or /dev/null). */
static void detach_stdio(void)
{
    const char *log = getenv("BGCOPY_SERVICE_LOG");
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int err = -1;

    if (log != NULL && log[0] != '\0') {
        err = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    }
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(err >= 0 ? err : null, 2);
        close(null);
    }
    if (err >= 0) {
        close(err);
    }
}

int main(int argc, char **argv)
{
    struct bgcopy__svc_server_options o;
    unsigned long v;
    int i, idle_given = 0;
    pid_t pid;

    memset(&o, 0, sizeof(o));
    o.ready_fd = -1;
    o.engine.size = sizeof(o.engine);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--system") == 0) {
            o.system = 1;
            continue;
        }
        if (next == NULL) {
            return usage("missing value");
        }
        i++;
        if (strcmp(a, "--socket") == 0) {
            o.socket = next;
        } else if (strcmp(a, "--state-dir") == 0) {
            o.state_dir = next;
        } else if (strcmp(a, "--idle-timeout") == 0) {
            if (parse_uint(next, UINT32_MAX, &v) != 0) {
                return usage("bad --idle-timeout");
            }
            o.idle_timeout = (uint32_t)v;
            idle_given = 1;
        } else if (strcmp(a, "--ready-fd") == 0) {
            if (parse_uint(next, 65535, &v) != 0) {
                return usage("bad --ready-fd");
            }
            o.ready_fd = (int)v;
        } else if (strcmp(a, "--set") == 0) {
            if (bgcopy__svc_option_set(&o.engine, next) != 0) {
                return usage("bad --set (NAME=VALUE with a known engine option)");
            }
        } else {
            return usage("unknown option");
        }
    }
    if (o.ready_fd >= 0) {
        if (!idle_given) {
            o.idle_timeout = BGCOPY__SVC_DEFAULT_IDLE;
        }
        /* Detach: the starter reaps the first process at once; the service continues in a
         * new session with no terminal. */
        pid = fork();
        if (pid < 0) {
            dprintf(o.ready_fd, "ERROR 80004005 fatal fork: %s\n", strerror(errno));
            return 1;
        }
        if (pid > 0) {
            _exit(0);
        }
        (void)setsid();
        detach_stdio();
    } else {
        const char *log = getenv("BGCOPY_SERVICE_LOG");
        if (log != NULL && log[0] != '\0' && freopen(log, "a", stderr) == NULL) {
            return usage("cannot open BGCOPY_SERVICE_LOG");
        }
    }
    return bgcopy__svc_server_run(&o);
}
