/* tests/helpers/fixture.c - shared fixture for the unit tests that drive the library on the
 * simulation harness: scratch directory, simulation + manager setup, resources, faults, jobs,
 * virtual-time stepping and request-log checks. Contracts are in fixture.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "fixture.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

fx_fixture fx_env;

int fx_setup(const char *prefix, int max_jobs)
{
    char rel[64];
    char cwd[400];

    memset(&fx_env, 0, sizeof(fx_env));
    fx_env.max_jobs = max_jobs < FX_JOBS_CAP ? max_jobs : FX_JOBS_CAP;
    snprintf(rel, sizeof(rel), "%s-XXXXXX", prefix);
    if (mkdtemp(rel) == NULL || getcwd(cwd, sizeof(cwd)) == NULL) {
        return -1;
    }
    snprintf(fx_env.dir, sizeof(fx_env.dir), "%s/%s", cwd, rel);
    return 0;
}

int fx_teardown(void)
{
    DIR *d;
    struct dirent *de;
    char p[800];
    int i, rc = 0;

    for (i = 0; i < fx_env.njobs; i++) {
        bgcopy_job_release(fx_env.jobs[i]);
    }
    bgcopy_manager_close(fx_env.mgr);
    bgcopy_manager_close(fx_env.mgr2);
    if (bgcopy_sim_destroy(fx_env.sim) != BGCOPY_S_OK) {
        rc = -1;
    }
    d = opendir(fx_env.dir);
    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
                snprintf(p, sizeof(p), "%s/%s", fx_env.dir, de->d_name);
                remove(p);
            }
        }
        closedir(d);
    }
    if (rmdir(fx_env.dir) != 0) {
        rc = -1;
    }
    memset(&fx_env, 0, sizeof(fx_env));
    return rc;
}

void fx_start_sim(uint32_t chunk, const bgcopy_manager_options *options)
{
    bgcopy_sim_options so = BGCOPY_SIM_OPTIONS_INIT;
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;

    if (options != NULL) {
        mo = *options;
    }
    so.chunk_size = chunk;
    assert_hr_equal(bgcopy_sim_create(&so, &fx_env.sim), BGCOPY_S_OK);
    mo.sim = fx_env.sim;
    mo.user = "alice";
    assert_hr_equal(bgcopy_manager_open(&mo, &fx_env.mgr), BGCOPY_S_OK);
}

void fx_add_resource(const char *url, uint64_t length, double bandwidth, uint32_t seed)
{
    bgcopy_sim_resource r = BGCOPY_SIM_RESOURCE_INIT;
    r.url = url;
    r.length = length;
    r.bandwidth = bandwidth;
    r.seed = seed;
    r.content = seed == 0 ? BGCOPY_SIM_CONTENT_ZERO : BGCOPY_SIM_CONTENT_PATTERN;
    assert_hr_equal(bgcopy_sim_add_resource(fx_env.sim, &r), BGCOPY_S_OK);
}

void fx_add_fault(bgcopy_sim_fault_kind kind, const char *url, uint32_t count, int status,
                  uint64_t after_bytes)
{
    bgcopy_sim_fault f = BGCOPY_SIM_FAULT_INIT;
    f.kind = kind;
    f.url = url;
    f.count = count;
    f.status = status;
    f.after_bytes = after_bytes;
    assert_hr_equal(bgcopy_sim_add_fault(fx_env.sim, &f), BGCOPY_S_OK);
}

void fx_local_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", fx_env.dir, name);
}

bgcopy_job *fx_make_job_on(bgcopy_manager *mgr, const char *name, bgcopy_job_priority priority,
                           const char *url, const char *local_name)
{
    bgcopy_job *job = NULL;
    char local[600];

    assert_true(fx_env.njobs < fx_env.max_jobs);
    assert_hr_equal(bgcopy_manager_create_job(mgr, name, BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job),
                    BGCOPY_S_OK);
    fx_env.jobs[fx_env.njobs++] = job;
    if (url != NULL) {
        fx_local_path(local, sizeof(local), local_name);
        assert_hr_equal(bgcopy_job_add_file(job, url, local), BGCOPY_S_OK);
    }
    assert_hr_equal(bgcopy_job_set_priority(job, priority), BGCOPY_S_OK);
    return job;
}

bgcopy_job *fx_make_job(const char *name, bgcopy_job_priority priority, const char *url,
                        const char *local_name)
{
    return fx_make_job_on(fx_env.mgr, name, priority, url, local_name);
}

bgcopy_job_state fx_job_state(bgcopy_job *job)
{
    bgcopy_job_state s;
    assert_hr_equal(bgcopy_job_get_state(job, &s), BGCOPY_S_OK);
    return s;
}

uint64_t fx_job_bytes(bgcopy_job *job)
{
    bgcopy_job_progress p;
    assert_hr_equal(bgcopy_job_get_progress(job, &p), BGCOPY_S_OK);
    return p.bytes_transferred;
}

int64_t fx_now_us(void)
{
    return (int64_t)llround(bgcopy_sim_now(fx_env.sim) * 1e6);
}

void fx_advance_to_us(int64_t t_us)
{
    int64_t cur = fx_now_us();
    assert_true(t_us >= cur);
    assert_hr_equal(bgcopy_sim_advance(fx_env.sim, (double)(t_us - cur) / 1e6), BGCOPY_S_OK);
    assert_int_equal(fx_now_us(), t_us);
}

size_t fx_count_requests(const char *url, const char *method)
{
    const bgcopy_sim_request *rq;
    size_t n = bgcopy_sim_requests(fx_env.sim, &rq), i, c = 0;
    for (i = 0; i < n; i++) {
        if (strcmp(rq[i].url, url) == 0 && strcmp(rq[i].method, method) == 0) {
            c++;
        }
    }
    return c;
}

bgcopy_sim_request fx_nth_request(const char *url, const char *method, size_t index)
{
    const bgcopy_sim_request *rq;
    size_t n = bgcopy_sim_requests(fx_env.sim, &rq), i, c = 0;
    for (i = 0; i < n; i++) {
        if (strcmp(rq[i].url, url) == 0 && strcmp(rq[i].method, method) == 0 && c++ == index) {
            return rq[i];
        }
    }
    fail_msg("no request #%zu %s %s", index, method, url);
    return rq[0]; /* not reached */
}

void fx_assert_get(const char *url, size_t index, double time, uint64_t first, uint64_t last,
                   int status)
{
    bgcopy_sim_request r = fx_nth_request(url, "GET", index);
    assert_int_equal((int64_t)llround(r.time * 1e6), FX_S(time));
    assert_int_equal(r.has_range, 1);
    assert_int_equal(r.range_first, first);
    assert_int_equal(r.range_last, last);
    assert_int_equal(r.status, status);
}
