/* service_bench.c - API round trips through bgcopyd against the same calls in-process.
 *
 *   service_bench DIR [SECONDS]
 *
 * For each mode - in-process (a real-mode manager with its store in DIR/inproc) and service
 * (BGCOPY_ENGINE_SERVICE, its socket DIR/run/bgcopyd.sock and its store DIR/svc; the service is
 * started on demand, found by the library as usual or through BGCOPY_SERVICE_PROGRAM) - it
 * measures, each for SECONDS (default 2):
 *   get_state      bgcopy_job_get_state in a loop on one thread (a getter: one request)
 *   get_state x4   the same on 4 threads at once (total calls per second)
 *   create+cancel  CreateJob then Cancel then release (two requests; two store writes)
 * and prints one line per measurement: mode, name, calls per second, mean microseconds per call
 * (per thread). The service is left to its idle timeout (5 s); its pid is in
 * DIR/run/bgcopyd.sock.pid. Exits 1 when a call fails.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bgcopy.h"

static double seconds = 2.0;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fail(const char *what, bgcopy_hr hr)
{
    fprintf(stderr, "service_bench: %s: %s (%s)\n", what, bgcopy_hr_name(hr),
            bgcopy_manager_open_detail());
    exit(1);
}

struct loop {
    bgcopy_job *job;
    pthread_t thread;
    long calls;
    double elapsed;
};

static void *state_loop(void *arg)
{
    struct loop *l = arg;
    double start = now_s(), t;
    bgcopy_job_state st;
    bgcopy_hr hr;

    do {
        int i;
        for (i = 0; i < 100; i++) {
            hr = bgcopy_job_get_state(l->job, &st);
            if (hr != BGCOPY_S_OK) {
                fail("get_state", hr);
            }
        }
        l->calls += 100;
        t = now_s();
    } while (t - start < seconds);
    l->elapsed = t - start;
    return NULL;
}

static void states(const char *mode, bgcopy_job *job, int threads)
{
    struct loop loops[8];
    long calls = 0;
    double elapsed = 0;
    int i;

    memset(loops, 0, sizeof(loops));
    for (i = 0; i < threads; i++) {
        loops[i].job = job;
        if (pthread_create(&loops[i].thread, NULL, state_loop, &loops[i]) != 0) {
            fail("pthread_create", BGCOPY_E_FAIL);
        }
    }
    for (i = 0; i < threads; i++) {
        pthread_join(loops[i].thread, NULL);
        calls += loops[i].calls;
        elapsed += loops[i].elapsed;
    }
    elapsed /= threads;
    printf("%-10s get_state x%d     %10.0f calls/s  %8.2f us/call\n", mode, threads,
           (double)calls / elapsed, elapsed * 1e6 * threads / (double)calls);
}

static void create_cancel(const char *mode, bgcopy_manager *mgr)
{
    double start = now_s(), t;
    long calls = 0;
    bgcopy_job *job;
    bgcopy_hr hr;

    do {
        hr = bgcopy_manager_create_job(mgr, "bench", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job);
        if (hr != BGCOPY_S_OK) {
            fail("create_job", hr);
        }
        hr = bgcopy_job_cancel(job);
        if (hr != BGCOPY_S_OK) {
            fail("cancel", hr);
        }
        bgcopy_job_release(job);
        calls++;
        t = now_s();
    } while (t - start < seconds);
    printf("%-10s create+cancel   %10.0f pairs/s  %8.2f us/pair\n", mode,
           (double)calls / (t - start), (t - start) * 1e6 / (double)calls);
}

static void run(const char *mode, const bgcopy_manager_options *o)
{
    bgcopy_manager *mgr = NULL;
    bgcopy_job *job = NULL;
    bgcopy_hr hr = bgcopy_manager_open(o, &mgr);

    if (hr != BGCOPY_S_OK) {
        fail("open", hr);
    }
    hr = bgcopy_manager_create_job(mgr, "probe", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job);
    if (hr != BGCOPY_S_OK) {
        fail("create_job", hr);
    }
    states(mode, job, 1);
    states(mode, job, 4);
    create_cancel(mode, mgr);
    (void)bgcopy_job_cancel(job);
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
}

int main(int argc, char **argv)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    char inproc[600], svc[600], run_dir[600], sock[700];

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: service_bench DIR [SECONDS]\n");
        return 2;
    }
    if (argc == 3) {
        seconds = atof(argv[2]);
    }
    snprintf(inproc, sizeof(inproc), "%s/inproc", argv[1]);
    snprintf(svc, sizeof(svc), "%s/svc", argv[1]);
    snprintf(run_dir, sizeof(run_dir), "%s/run", argv[1]);
    snprintf(sock, sizeof(sock), "%s/bgcopyd.sock", run_dir);
    (void)mkdir(run_dir, 0700);

    o.state_dir = inproc;
    run("in-process", &o);

    o.engine = BGCOPY_ENGINE_SERVICE;
    o.state_dir = svc;
    o.service_socket = sock;
    o.service_idle_timeout = 5;
    run("service", &o);
    return 0;
}
