/* notify_bench.c - throughput and latency of the threaded notification
 * dispatcher of a real-mode engine.
 *
 * 1. Latency: one job with JobModification callbacks and a minimum
 *    notification interval of 0. The bench changes a property (which is a
 *    modification), records the time, and waits for the callback, which
 *    records its entry time; repeated ROUNDS times. Reports p50, p99 and max
 *    of (callback entry - call) in microseconds.
 * 2. Throughput: JOBS jobs, each with the same callback; a producer thread
 *    changes properties as fast as it can for SECONDS seconds while the
 *    dispatcher delivers (modifications of one job coalesce while one is
 *    pending, as in BITS). Reports callbacks delivered per second.
 * Each figure is the median of RUNS runs, with min and max. Nothing here
 * asserts a time: it measures. With --kv it prints, instead of that summary,
 * one line of key=value pairs per run (run= p50_us= p99_us= max_us=
 * callbacks_per_s=) for bench/run.sh, which makes the report. With --service
 * the manager is a client of bgcopyd (BGCOPY_ENGINE_SERVICE; the socket and
 * the program come from BGCOPY_SERVICE_SOCKET / BGCOPY_SERVICE_PROGRAM): every
 * call and every callback then crosses the service's socket.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bgcopy.h"

#define ROUNDS  20000
#define JOBS    64
#define SECONDS 2.0
#define RUNS    5

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

struct shared {
    pthread_mutex_t m;
    pthread_cond_t c;
    double entered;
    long calls;
};

static bgcopy_hr on_modification(bgcopy_job *job, uint32_t reserved, void *user)
{
    struct shared *s = user;
    double t = now_us();
    pthread_mutex_lock(&s->m);
    s->entered = t;
    s->calls++;
    pthread_cond_signal(&s->c);
    pthread_mutex_unlock(&s->m);
    return BGCOPY_S_OK;
}

static void check(bgcopy_hr hr, const char *what)
{
    if (BGCOPY_FAILED(hr)) {
        fprintf(stderr, "%s failed: 0x%08X\n", what, (unsigned)hr);
        exit(1);
    }
}

static bgcopy_job *make_job(bgcopy_manager *mgr, struct shared *s)
{
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_job_property_value v;
    bgcopy_job *job;

    check(bgcopy_manager_create_job(mgr, "bench", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job), "create");
    check(bgcopy_job_set_notify_flags(job, BGCOPY_NOTIFY_JOB_MODIFICATION), "flags");
    memset(&v, 0, sizeof(v));
    v.dword = 0;
    check(bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, &v),
          "interval");
    cb.job_modification = on_modification;
    check(bgcopy_job_set_notify_callbacks(job, &cb, s), "callbacks");
    return job;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void latency_run(bgcopy_manager *mgr, double *p50, double *p99, double *max)
{
    static double lat[ROUNDS];
    struct shared s;
    bgcopy_job *job;
    int i;

    memset(&s, 0, sizeof(s));
    pthread_mutex_init(&s.m, NULL);
    pthread_cond_init(&s.c, NULL);
    job = make_job(mgr, &s);
    for (i = 0; i < ROUNDS; i++) {
        long before;
        double t0;
        pthread_mutex_lock(&s.m);
        before = s.calls;
        pthread_mutex_unlock(&s.m);
        t0 = now_us();
        check(bgcopy_job_set_description(job, (i & 1) ? "a" : "b"), "set_description");
        pthread_mutex_lock(&s.m);
        while (s.calls == before)
            pthread_cond_wait(&s.c, &s.m);
        lat[i] = s.entered - t0;
        pthread_mutex_unlock(&s.m);
    }
    check(bgcopy_job_cancel(job), "cancel");
    bgcopy_job_release(job);
    qsort(lat, ROUNDS, sizeof(lat[0]), cmp_double);
    *p50 = lat[ROUNDS / 2];
    *p99 = lat[ROUNDS * 99 / 100];
    *max = lat[ROUNDS - 1];
}

static double throughput_run(bgcopy_manager *mgr)
{
    struct shared s;
    bgcopy_job *jobs[JOBS];
    double start, elapsed;
    long calls;
    int i, k = 0;

    memset(&s, 0, sizeof(s));
    pthread_mutex_init(&s.m, NULL);
    pthread_cond_init(&s.c, NULL);
    for (i = 0; i < JOBS; i++)
        jobs[i] = make_job(mgr, &s);
    start = now_us();
    while (now_us() - start < SECONDS * 1e6) {
        check(bgcopy_job_set_description(jobs[k % JOBS], (k & 1) ? "x" : "y"), "set");
        k++;
    }
    elapsed = (now_us() - start) / 1e6;
    pthread_mutex_lock(&s.m);
    calls = s.calls;
    pthread_mutex_unlock(&s.m);
    for (i = 0; i < JOBS; i++) {
        check(bgcopy_job_cancel(jobs[i]), "cancel");
        bgcopy_job_release(jobs[i]);
    }
    return calls / elapsed;
}

static void summary(const char *what, const char *unit, double *v)
{
    qsort(v, RUNS, sizeof(v[0]), cmp_double);
    printf("%-34s median %10.1f %s  (min %.1f, max %.1f, %d runs)\n", what, v[RUNS / 2], unit, v[0],
           v[RUNS - 1], RUNS);
}

int main(int argc, char **argv)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr;
    double p50[RUNS], p99[RUNS], mx[RUNS], tput[RUNS];
    int r, i, kv = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--kv") == 0)
            kv = 1;
        else if (strcmp(argv[i], "--service") == 0)
            o.engine = BGCOPY_ENGINE_SERVICE; /* through bgcopyd (socket from the environment) */
    }
    o.max_jobs_per_user = 1000;
    o.max_jobs_per_machine = 1000;
    check(bgcopy_manager_open(&o, &mgr), "open");
    for (r = 0; r < RUNS; r++) {
        latency_run(mgr, &p50[r], &p99[r], &mx[r]);
        tput[r] = throughput_run(mgr);
        if (kv)
            printf("run=%d p50_us=%.2f p99_us=%.2f max_us=%.2f callbacks_per_s=%.0f\n", r + 1,
                   p50[r], p99[r], mx[r], tput[r]);
    }
    if (kv) {
        bgcopy_manager_close(mgr);
        return 0;
    }
    printf("bgcopy notification dispatcher (real mode, %d notifier threads)\n", 8);
    summary("latency change->callback p50", "us", p50);
    summary("latency change->callback p99", "us", p99);
    summary("latency change->callback max", "us", mx);
    summary("JobModification callbacks/s", "/s", tput);
    bgcopy_manager_close(mgr);
    return 0;
}
