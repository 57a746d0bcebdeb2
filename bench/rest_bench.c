/* rest_bench.c - the engine at rest: memory per job and CPU used by a real-mode engine that
 * holds thousands of jobs and has nothing to do. Run by bench/run.sh (`make bench`), one
 * measurement per process.
 *
 *   rest_bench COUNT SECONDS DIR
 *
 * Opens a real-mode manager (no store: state_dir ":memory:", so the figure is the engine's
 * own; an administrator with the job limits raised), then creates COUNT download jobs of one
 * file each. Every URL points at a TCP socket of this process that listens on 127.0.0.1 and
 * never calls accept(): the kernel completes the connection, the request is sent and no
 * answer ever comes, so the one job the scheduler lets run waits on the network the way a
 * job waits on a slow server, and every other job waits in QUEUED. Local names are
 * DIR/qNNNNN.bin (DIR must exist; nothing is written there).
 *
 * Measured, in this order:
 *   1. memory after open (baseline), after creating the jobs (SUSPENDED, one file each) and
 *      after Resuming them all (QUEUED; one of them CONNECTING): resident set size from
 *      /proc/self/statm and bytes in use by malloc (glibc mallinfo2: uordblks + hblkhd).
 *      Reported per job: (after - baseline) / COUNT.
 *   2. CPU seconds (user + sys, every thread, getrusage RUSAGE_SELF) and context switches
 *      over SECONDS of doing nothing with the jobs QUEUED, then the same after Suspending
 *      them all. The main thread's own sleep costs one switch; it is subtracted. Threads
 *      that woke are listed (from /proc/self/task) with the system call they wait in, so a
 *      non-zero figure names its thread.
 * Prints one line of key=value pairs:
 *   jobs= rss_base_kib= kib_per_job_suspended= kib_per_job_queued= heap_per_job_suspended=
 *   heap_per_job_queued= (bytes) create_s= resume_s= queued_cpu_ms= queued_switches=
 *   queued_wakers= suspended_cpu_ms= suspended_switches= suspended_wakers= connecting=
 * Exits 0, or 1 with a message on stderr when a call fails.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "bgcopy.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void check(bgcopy_hr hr, const char *what)
{
    if (BGCOPY_FAILED(hr)) {
        fprintf(stderr, "rest_bench: %s failed: 0x%08X\n", what, (unsigned)hr);
        exit(1);
    }
}

/* Resident set size in bytes, or 0 when /proc is not there. */
static double rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

/* Bytes handed out by malloc, or -1 when the C library cannot say. */
static double heap_bytes(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 mi = mallinfo2();
    return (double)mi.uordblks + (double)mi.hblkhd;
#else
    return -1;
#endif
}

struct usage {
    double cpu_s;
    long switches;
};

static struct usage usage_now(void)
{
    struct rusage ru;
    struct usage u;
    getrusage(RUSAGE_SELF, &ru);
    u.cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
              (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    u.switches = ru.ru_nvcsw + ru.ru_nivcsw;
    return u;
}

#define MAX_THREADS 64

/* Context switches per thread of this process (tid, voluntary + involuntary). */
struct thread_switches {
    int n;
    long tid[MAX_THREADS];
    long count[MAX_THREADS];
};

static void thread_switches(struct thread_switches *ts)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *de;

    ts->n = 0;
    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL && ts->n < MAX_THREADS) {
        char path[300], line[256];
        long v, total = 0;
        FILE *f;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/status", de->d_name);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        while (fgets(line, sizeof(line), f))
            if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 ||
                sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
                total += v;
        fclose(f);
        ts->tid[ts->n] = strtol(de->d_name, NULL, 10);
        ts->count[ts->n] = total;
        ts->n++;
    }
    closedir(d);
}

/* What thread tid is blocked in (from /proc/self/task/TID/syscall), to tell the engine's
 * threads apart: libuv's loop (the HTTP transport's I/O thread) waits in epoll_wait, the
 * runner and the notifiers on a condition variable (futex). */
static const char *blocked_in(long tid)
{
    static char other[32];
    char path[64];
    long nr = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/self/task/%ld/syscall", tid);
    if ((f = fopen(path, "r")) != NULL) {
        if (fscanf(f, "%ld", &nr) != 1)
            nr = -1;
        fclose(f);
    }
#if defined(__x86_64__)
    switch (nr) {
    case 202:
        return "futex";
    case 232:
    case 281:
        return "epoll_wait";
    }
#endif
    snprintf(other, sizeof(other), "syscall %ld", nr);
    return other;
}

/* "tid/blocked-in:switches,..." for the threads other than the caller whose count grew, into
 * buf. */
static void wakers(const struct thread_switches *a, const struct thread_switches *b, char *buf,
                   size_t size)
{
#if defined(__linux__)
    long self = (long)gettid();
#else
    long self = -1; /* no /proc/self/task: nothing was listed */
#endif
    size_t used = 0;
    int i, j;

    buf[0] = '\0';
    for (i = 0; i < b->n; i++) {
        long before = 0;
        if (b->tid[i] == self)
            continue;
        for (j = 0; j < a->n; j++)
            if (a->tid[j] == b->tid[i])
                before = a->count[j];
        if (b->count[i] > before && used + 64 < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%ld/%s:%ld", used ? "," : "",
                                     b->tid[i], blocked_in(b->tid[i]), b->count[i] - before);
    }
    if (used == 0)
        snprintf(buf, size, "none");
}

/* Sleeps `seconds` and reports the CPU and the context switches of every other thread. */
static void idle_window(double seconds, double *cpu_ms, long *switches, char *who, size_t size)
{
    struct thread_switches a, b;
    struct usage u0, u1;
    struct timespec ts;

    thread_switches(&a);
    u0 = usage_now();
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0)
        ;
    u1 = usage_now();
    thread_switches(&b);
    *cpu_ms = (u1.cpu_s - u0.cpu_s) * 1e3;
    *switches = u1.switches - u0.switches - 1; /* our own nanosleep */
    wakers(&a, &b, who, size);
}

/* A socket on 127.0.0.1 that listens and never accepts; returns its port. */
static int silent_listener(int *fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);

    *fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(*fd, 64) != 0 ||
        getsockname(*fd, (struct sockaddr *)&a, &len) != 0) {
        perror("rest_bench: listener");
        exit(1);
    }
    return ntohs(a.sin_port);
}

int main(int argc, char **argv)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr;
    bgcopy_job **jobs;
    bgcopy_job_state st;
    double rss0, heap0, rss1, heap1, rss2, heap2, t0, t_create, t_resume, seconds;
    double q_cpu, s_cpu;
    long q_sw, s_sw, count, i, connecting = 0;
    char q_who[512], s_who[512];
    int lfd, port;

    if (argc != 4 || (count = strtol(argv[1], NULL, 10)) <= 0 ||
        (seconds = strtod(argv[2], NULL)) <= 0) {
        fprintf(stderr, "usage: rest_bench COUNT SECONDS DIR\n");
        return 2;
    }
    port = silent_listener(&lfd);
    jobs = calloc((size_t)count, sizeof(*jobs));
    if (jobs == NULL)
        return 1;
    o.state_dir = BGCOPY_STATE_MEMORY;
    o.user_is_admin = 1;
    o.max_jobs_per_user = (uint32_t)count + 10;
    o.max_jobs_per_machine = (uint32_t)count + 10;
    check(bgcopy_manager_open(&o, &mgr), "bgcopy_manager_open");
    rss0 = rss_bytes();
    heap0 = heap_bytes();

    t0 = now_s();
    for (i = 0; i < count; i++) {
        char url[128], local[4096], name[64];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/queued/%05ld.bin", port, i);
        snprintf(local, sizeof(local), "%s/q%05ld.bin", argv[3], i);
        snprintf(name, sizeof(name), "rest %05ld", i);
        check(bgcopy_manager_create_job(mgr, name, BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &jobs[i]),
              "CreateJob");
        check(bgcopy_job_add_file(jobs[i], url, local), "AddFile");
    }
    t_create = now_s() - t0;
    rss1 = rss_bytes();
    heap1 = heap_bytes();

    t0 = now_s();
    for (i = 0; i < count; i++)
        check(bgcopy_job_resume(jobs[i]), "Resume");
    t_resume = now_s() - t0;
    /* Let the scheduler start its one background job and the request go out. */
    usleep(500000);
    for (i = 0; i < count; i++) {
        check(bgcopy_job_get_state(jobs[i], &st), "GetState");
        if (st == BGCOPY_JOB_STATE_CONNECTING || st == BGCOPY_JOB_STATE_TRANSFERRING)
            connecting++;
        else if (st != BGCOPY_JOB_STATE_QUEUED) {
            fprintf(stderr, "rest_bench: job %ld is %s\n", i, bgcopy_job_state_name(st));
            return 1;
        }
    }
    rss2 = rss_bytes();
    heap2 = heap_bytes();
    idle_window(seconds, &q_cpu, &q_sw, q_who, sizeof(q_who));

    for (i = 0; i < count; i++)
        check(bgcopy_job_suspend(jobs[i]), "Suspend");
    usleep(200000);
    idle_window(seconds, &s_cpu, &s_sw, s_who, sizeof(s_who));

    printf("jobs=%ld rss_base_kib=%.0f kib_per_job_suspended=%.3f kib_per_job_queued=%.3f "
           "heap_per_job_suspended=%.0f heap_per_job_queued=%.0f create_s=%.3f resume_s=%.3f "
           "queued_cpu_ms=%.3f queued_switches=%ld queued_wakers=%s suspended_cpu_ms=%.3f "
           "suspended_switches=%ld suspended_wakers=%s connecting=%ld\n",
           count, rss0 / 1024, (rss1 - rss0) / 1024 / (double)count,
           (rss2 - rss0) / 1024 / (double)count, heap0 < 0 ? -1 : (heap1 - heap0) / (double)count,
           heap0 < 0 ? -1 : (heap2 - heap0) / (double)count, t_create, t_resume, q_cpu, q_sw, q_who,
           s_cpu, s_sw, s_who, connecting);
    for (i = 0; i < count; i++) {
        (void)bgcopy_job_cancel(jobs[i]);
        bgcopy_job_release(jobs[i]);
    }
    free(jobs);
    bgcopy_manager_close(mgr);
    close(lfd);
    return 0;
}
