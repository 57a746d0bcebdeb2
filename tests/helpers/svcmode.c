/* tests/helpers/svcmode.c - in-process or service mode for the real-mode tests (contracts in
 * svcmode.h).
 */
#define _GNU_SOURCE
#include "svcmode.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int prepared;

int fx_service_mode(void)
{
    const char *v = getenv("BGCOPY_TEST_SERVICE");
    return v != NULL && strcmp(v, "1") == 0;
}

/* Sets name to <cwd>/<sub> unless it is set; creates the directory (mode 0700). */
static int default_dir(const char *name, const char *sub)
{
    char cwd[512], path[700];
    const char *v = getenv(name);

    if (v == NULL || v[0] == '\0') {
        if (getcwd(cwd, sizeof(cwd)) == NULL) {
            return -1;
        }
        snprintf(path, sizeof(path), "%s/%s", cwd, sub);
        if (setenv(name, path, 1) != 0) {
            return -1;
        }
        v = getenv(name);
    }
    if (mkdir(v, 0700) != 0 && errno != EEXIST) {
        return -1;
    }
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int fx_wait_gone(pid_t pid, double seconds)
{
    int waited = 0, status;

    while (waited < (int)(seconds * 1000)) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD && kill(pid, 0) != 0)) {
            return 0;
        }
        sleep_ms(10);
        waited += 10;
    }
    return -1;
}

char *fx_service_socket(void)
{
    const char *v = getenv("BGCOPY_SERVICE_SOCKET");
    char *p;

    if (v != NULL && v[0] != '\0') {
        return strdup(v);
    }
    v = getenv("XDG_RUNTIME_DIR");
    if (v == NULL) {
        return NULL;
    }
    p = malloc(strlen(v) + sizeof("/bgcopy/bgcopyd.sock"));
    if (p != NULL) {
        sprintf(p, "%s/bgcopy/bgcopyd.sock", v);
    }
    return p;
}

pid_t fx_service_pid(void)
{
    char *sock = fx_service_socket(), path[800];
    FILE *f;
    long pid = -1;

    if (sock == NULL) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s.pid", sock);
    free(sock);
    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    if (fscanf(f, "%ld", &pid) != 1 || pid <= 1 || kill((pid_t)pid, 0) != 0) {
        pid = -1;
    }
    fclose(f);
    return (pid_t)pid;
}

int fx_service_stop(void)
{
    pid_t pid = fx_service_pid();
    int status = -1, waited;

    if (pid <= 0) {
        return -1;
    }
    kill(pid, SIGTERM);
    for (waited = 0; waited < 10000; waited += 10) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            return status;
        }
        if (r < 0 && kill(pid, 0) != 0) {
            return 0; /* not our child, and gone */
        }
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    (void)fx_wait_gone(pid, 10);
    return status;
}

int fx_service_kill(void)
{
    pid_t pid = fx_service_pid();

    if (pid <= 0) {
        return -1;
    }
    kill(pid, SIGKILL);
    return fx_wait_gone(pid, 10);
}

/* At exit: stop the service, reap whatever else was left, and fail when the service's log
 * holds a sanitizer report. */
static void at_exit(void)
{
    const char *log = getenv("BGCOPY_SERVICE_LOG");
    char line[1024];
    FILE *f;
    int bad = 0;

    (void)fx_service_stop();
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    if (log == NULL || (f = fopen(log, "r")) == NULL) {
        return;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, "Sanitizer") != NULL || strstr(line, "runtime error") != NULL) {
            fprintf(stderr, "service log: %s", line);
            bad = 1;
        }
    }
    fclose(f);
    if (bad) {
        fprintf(stderr, "svcmode: the service reported errors (%s)\n", log);
        _exit(1);
    }
}

/* Empties the state directory when it lies under the working directory (a test's own scratch
 * directory, never anything else): every run starts without the jobs of the last one. */
static void fresh_state(void)
{
    const char *state = getenv("BGCOPY_STATE_DIR");
    char cwd[512], cmd[1200];
    size_t n;

    if (state == NULL || getcwd(cwd, sizeof(cwd)) == NULL) {
        return;
    }
    n = strlen(cwd);
    if (strncmp(state, cwd, n) != 0 || state[n] != '/' || strchr(state, '\'') != NULL) {
        return;
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state);
    if (system(cmd) != 0) {
        return;
    }
    (void)mkdir(state, 0700);
}

int fx_service_prepare(void)
{
    const char *log;

    if (prepared) {
        return 0;
    }
    if (default_dir("XDG_RUNTIME_DIR", "svc-run") != 0 ||
        default_dir("BGCOPY_STATE_DIR", "svc-state") != 0) {
        return -1;
    }
    fresh_state();
    log = getenv("BGCOPY_SERVICE_LOG");
    if (log != NULL && log[0] != '\0') {
        (void)truncate(log, 0); /* the checks at exit concern this run only */
    }
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
    atexit(at_exit);
    prepared = 1;
    return 0;
}

bgcopy_hr fx_manager_open(const bgcopy_manager_options *options, bgcopy_manager **out)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;

    if (options != NULL) {
        o = *options;
    }
    if (fx_service_mode()) {
        if (fx_service_prepare() != 0) {
            return BGCOPY_E_FAIL;
        }
        o.engine = BGCOPY_ENGINE_SERVICE;
    }
    return bgcopy_manager_open(&o, out);
}
