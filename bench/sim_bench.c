/* sim_bench.c - cost of the simulation harness (include/bgcopy/sim.h): full job lifecycles per
 * second, and the wall time of 90-day scenarios played in virtual time. Run by bench/run.sh
 * (`make bench`), one measurement per process.
 *
 *   sim_bench lifecycles DIR COUNT SIZE
 *       COUNT lifecycles, one after the other, on one simulation and one manager (an
 *       administrator, so the job limits never apply): CreateJob, AddFile (a simulated
 *       http:// resource of SIZE bytes of PATTERN content -> DIR/outNNN.bin), Resume,
 *       bgcopy_sim_run_until_idle, check TRANSFERRED, Complete (rename into DIR; no fsync),
 *       release. Every BATCH lifecycles the BATCH files made are deleted; that clean-up is
 *       left out of the time and CPU figures (it is the benchmark's work, not the library's).
 *       DIR is where the real local files go: on tmpfs it measures the engine and the
 *       file-system calls, on a disk it adds the cost of the metadata journal.
 *       Prints: lifecycles= seconds= per_s= us_per= user_us_per= sys_us_per=
 *   sim_bench idle90 DIR COUNT
 *       COUNT scenarios, each on a fresh simulation: a job with one file is created and left
 *       SUSPENDED; the clock is advanced one virtual day at a time until the 90-day
 *       inactivity timeout has cancelled it (a final state; the handle reads CANCELLED).
 *   sim_bench retry90 DIR COUNT
 *       The same, but the job is Resumed against a network that is down: it is retried
 *       every MinimumRetryDelay (600 s) until the NoProgressTimeout (14 days) puts it in
 *       ERROR, where it stays until the inactivity timeout cancels it.
 *       Both print: scenarios= seconds= us_per= cancelled_day= requests= (the virtual day on
 *       which the job was found cancelled, and the requests the scripted network answered,
 *       for the last scenario).
 * Exits 0 on success, 1 with a message on stderr when a call fails or a state is not the one
 * expected. Measures; asserts no time.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bgcopy.h"

#define URL   "http://sim.bench.test/resource.bin"
#define DAY   (86400.0)
#define BATCH 1000 /* lifecycles between two clean-ups of the local files */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(int sys)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (sys)
        return (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

static void check(bgcopy_hr hr, const char *what)
{
    if (BGCOPY_FAILED(hr)) {
        fprintf(stderr, "sim_bench: %s failed: 0x%08X\n", what, (unsigned)hr);
        exit(1);
    }
}

static void expect_state(bgcopy_job *job, bgcopy_job_state want, const char *when)
{
    bgcopy_job_state st = BGCOPY_JOB_STATE_QUEUED;
    check(bgcopy_job_get_state(job, &st), "GetState");
    if (st != want) {
        fprintf(stderr, "sim_bench: %s: job is %s, expected %s\n", when, bgcopy_job_state_name(st),
                bgcopy_job_state_name(want));
        exit(1);
    }
}

/* A simulation with one resource of `size` bytes and an administrator's manager on it. */
static void open_sim(uint64_t size, bgcopy_sim **sim, bgcopy_manager **mgr)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;

    check(bgcopy_sim_create(NULL, sim), "bgcopy_sim_create");
    o.sim = *sim;
    o.user = "bench";
    o.user_is_admin = 1;
    o.state_dir = BGCOPY_STATE_MEMORY;
    check(bgcopy_manager_open(&o, mgr), "bgcopy_manager_open");
    r.url = URL;
    r.length = size;
    r.seed = 1;
    check(bgcopy_sim_add_resource(*sim, &r), "bgcopy_sim_add_resource");
}

static void close_sim(bgcopy_sim *sim, bgcopy_manager *mgr)
{
    bgcopy_manager_close(mgr);
    check(bgcopy_sim_destroy(sim), "bgcopy_sim_destroy");
}

/* Deletes DIR/out000.bin .. DIR/out<n-1>.bin. */
static void clean_up(const char *dir, long n)
{
    char path[4200];
    long k;

    for (k = 0; k < n; k++) {
        snprintf(path, sizeof(path), "%s/out%03ld.bin", dir, k);
        if (unlink(path) != 0) {
            perror("sim_bench: unlink");
            exit(1);
        }
    }
}

static int lifecycles(const char *dir, long count, uint64_t size)
{
    bgcopy_sim *sim;
    bgcopy_manager *mgr;
    double t = 0, user = 0, sys = 0, t0, u0, s0;
    long i = 0, k;

    open_sim(size, &sim, &mgr);
    while (i < count) {
        long n = count - i < BATCH ? count - i : BATCH;
        t0 = now_s();
        u0 = cpu_s(0);
        s0 = cpu_s(1);
        for (k = 0; k < n; k++) {
            char path[4200];
            bgcopy_job *job;
            snprintf(path, sizeof(path), "%s/out%03ld.bin", dir, k);
            check(bgcopy_manager_create_job(mgr, "lifecycle", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job),
                  "CreateJob");
            check(bgcopy_job_add_file(job, URL, path), "AddFile");
            check(bgcopy_job_resume(job), "Resume");
            check(bgcopy_sim_run_until_idle(sim), "bgcopy_sim_run_until_idle");
            expect_state(job, BGCOPY_JOB_STATE_TRANSFERRED, "after run_until_idle");
            check(bgcopy_job_complete(job), "Complete");
            bgcopy_job_release(job);
        }
        t += now_s() - t0;
        user += cpu_s(0) - u0;
        sys += cpu_s(1) - s0;
        clean_up(dir, n);
        i += n;
    }
    printf("lifecycles=%ld seconds=%.4f per_s=%.0f us_per=%.3f user_us_per=%.3f "
           "sys_us_per=%.3f\n",
           count, t, (double)count / t, t * 1e6 / (double)count, user * 1e6 / (double)count,
           sys * 1e6 / (double)count);
    close_sim(sim, mgr);
    return 0;
}

/* One 90-day scenario; returns the virtual day on which the job was found cancelled. */
static double scenario(const char *path, int resume, size_t *requests)
{
    const bgcopy_sim_request *log;
    bgcopy_sim *sim;
    bgcopy_manager *mgr;
    bgcopy_job *job;
    bgcopy_job_state st = BGCOPY_JOB_STATE_SUSPENDED;
    double day = 0;

    open_sim(4096, &sim, &mgr);
    check(bgcopy_manager_create_job(mgr, "left alone", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job),
          "CreateJob");
    check(bgcopy_job_add_file(job, URL, path), "AddFile");
    if (resume) {
        bgcopy_sim_set_network_up(sim, 0);
        check(bgcopy_job_resume(job), "Resume");
    }
    while (st != BGCOPY_JOB_STATE_CANCELLED) {
        if (day > 400) {
            fprintf(stderr, "sim_bench: job not cancelled after %.0f days\n", day);
            exit(1);
        }
        check(bgcopy_sim_advance(sim, DAY), "bgcopy_sim_advance");
        day += 1;
        check(bgcopy_job_get_state(job, &st), "GetState");
    }
    *requests = bgcopy_sim_requests(sim, &log);
    bgcopy_job_release(job);
    close_sim(sim, mgr);
    return day;
}

static int scenarios(const char *path, long count, int resume)
{
    double t0, t, day = 0;
    size_t requests = 0;
    long i;

    t0 = now_s();
    for (i = 0; i < count; i++)
        day = scenario(path, resume, &requests);
    t = now_s() - t0;
    printf("scenarios=%ld seconds=%.4f us_per=%.1f cancelled_day=%.0f requests=%zu\n", count, t,
           t * 1e6 / (double)count, day, requests);
    return 0;
}

int main(int argc, char **argv)
{
    char path[4096];
    long count;

    if (argc < 4) {
        fprintf(stderr, "usage: sim_bench lifecycles DIR COUNT SIZE\n"
                        "       sim_bench idle90|retry90 DIR COUNT\n");
        return 2;
    }
    if ((size_t)snprintf(path, sizeof(path), "%s/out.bin", argv[2]) >= sizeof(path)) {
        fprintf(stderr, "sim_bench: DIR too long\n");
        return 2;
    }
    count = strtol(argv[3], NULL, 10);
    if (count <= 0) {
        fprintf(stderr, "sim_bench: bad COUNT\n");
        return 2;
    }
    if (strcmp(argv[1], "lifecycles") == 0 && argc == 5)
        return lifecycles(argv[2], count, strtoull(argv[4], NULL, 10));
    if (strcmp(argv[1], "idle90") == 0)
        return scenarios(path, count, 0);
    if (strcmp(argv[1], "retry90") == 0)
        return scenarios(path, count, 1);
    fprintf(stderr, "sim_bench: unknown mode %s\n", argv[1]);
    return 2;
}
