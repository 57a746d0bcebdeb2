/* tests/helpers/fixture.h - shared fixture for the unit tests that drive the library on the
 * simulation harness (test_sched.c, test_timers.c, test_notify.c).
 *
 * One global fixture, fx_env, holds a scratch directory created under the current working
 * directory (CTest runs each test in its own scratch directory), the simulation, the manager
 * for user "alice", an optional second manager, and the jobs a test created. fx_setup and
 * fx_teardown are meant to be called from cmocka setup/teardown functions; the other helpers
 * fail the running test (cmocka assertions) when a library call does not succeed.
 */
#ifndef BGCOPY_TESTS_FIXTURE_H
#define BGCOPY_TESTS_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "bgcopy.h"

/* Compare as unsigned 32-bit so failures print the familiar hex value. */
#define assert_hr_equal(a, b) assert_int_equal((uint32_t)(a), (uint32_t)(b))
#define assert_state(job, s)  assert_int_equal(fx_job_state(job), (s))

/* Seconds -> microseconds (rounded). */
#define FX_S(x) ((int64_t)llround((x)*1e6))

/* Capacity of fx_env.jobs; fx_setup may lower the per-test limit. */
#define FX_JOBS_CAP 16

typedef struct fx_fixture {
    char dir[512]; /* absolute path of the scratch directory */
    bgcopy_sim *sim;
    bgcopy_manager *mgr;
    bgcopy_manager *mgr2; /* a second user's manager, when a test opens one */
    bgcopy_job *jobs[FX_JOBS_CAP];
    int njobs;
    int max_jobs; /* fx_make_job* fails the test once njobs reaches this */
} fx_fixture;

extern fx_fixture fx_env;

/* Clears fx_env and creates the scratch directory "<cwd>/<prefix>-XXXXXX"; at most max_jobs
 * (<= FX_JOBS_CAP) jobs may be created through fx_make_job*. Returns 0, or -1 on failure. */
int fx_setup(const char *prefix, int max_jobs);

/* Releases every recorded job, closes both managers, destroys the simulation, removes the
 * files directly inside the scratch directory and the directory itself, and clears fx_env.
 * Returns 0, or -1 if the simulation could not be destroyed or the directory removed. */
int fx_teardown(void);

/* Creates the simulation (chunk size in bytes; 0: 1 MiB) and fx_env.mgr on it for user "alice"
 * with the given options (NULL: defaults; their sim and user fields are overridden). */
void fx_start_sim(uint32_t chunk, const bgcopy_manager_options *options);

/* Adds a simulated resource; seed 0 serves zero bytes, any other seed the PATTERN of seed. */
void fx_add_resource(const char *url, uint64_t length, double bandwidth, uint32_t seed);

/* Adds a simulated fault (see bgcopy_sim_fault). */
void fx_add_fault(bgcopy_sim_fault_kind kind, const char *url, uint32_t count, int status,
                  uint64_t after_bytes);

/* Writes "<scratch dir>/<name>" to buf (size bytes). */
void fx_local_path(char *buf, size_t size, const char *name);

/* A SUSPENDED download job created through mgr, at the given priority, with one file url ->
 * scratch/local_name (url NULL: no file). The job is recorded in fx_env.jobs and released by
 * fx_teardown. */
bgcopy_job *fx_make_job_on(bgcopy_manager *mgr, const char *name, bgcopy_job_priority priority,
                           const char *url, const char *local_name);

/* fx_make_job_on(fx_env.mgr, ...). */
bgcopy_job *fx_make_job(const char *name, bgcopy_job_priority priority, const char *url,
                        const char *local_name);

bgcopy_job_state fx_job_state(bgcopy_job *job);

/* The job's bytes_transferred. */
uint64_t fx_job_bytes(bgcopy_job *job);

/* The virtual time in microseconds (rounded). */
int64_t fx_now_us(void);

/* Advances the virtual clock to the absolute time t_us (microseconds, not in the past). */
void fx_advance_to_us(int64_t t_us);

/* Number of requests with this method for url. */
size_t fx_count_requests(const char *url, const char *method);

/* The index-th (0-based) request with this method for url; fails the test if absent. */
bgcopy_sim_request fx_nth_request(const char *url, const char *method, size_t index);

/* The index-th GET of url was sent at time (seconds, to the microsecond) with the range
 * first-last and answered with status. */
void fx_assert_get(const char *url, size_t index, double time, uint64_t first, uint64_t last,
                   int status);

#endif /* BGCOPY_TESTS_FIXTURE_H */
