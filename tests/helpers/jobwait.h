/* tests/helpers/jobwait.h - waiting for a job to reach a state, for programs that use only the
 * public API and no test framework: the benchmarks in bench/ and the SIGKILL child of
 * integration_store_kill. Callbacks installed with jw_callbacks wake jw_wait, which re-reads the
 * job's state after every callback (so no state change is missed between two reads) until the
 * state is one asked for or the time is up. Thread-safe: callbacks run on the engine's
 * notifier threads, the waiter on any thread.
 */
#ifndef BGCOPY_TEST_JOBWAIT_H
#define BGCOPY_TEST_JOBWAIT_H

#include "bgcopy.h"

/* Sets cb's job_transferred, job_error and job_modification to callbacks that only wake
 * jw_wait and return S_OK; the other members are left as they are. */
void jw_callbacks(bgcopy_callbacks *cb);

/* The job's state (QUEUED when it cannot be read). */
bgcopy_job_state jw_state(bgcopy_job *job);

/* Waits until the job's state is one of mask (1u << state); returns that state, or -1 once
 * `seconds` have passed. The job needs the callbacks of jw_callbacks and the notify flags of
 * the events that matter. */
int jw_wait(bgcopy_job *job, unsigned mask, int seconds);

/* Seconds on the monotonic clock. */
double jw_now(void);

#endif /* BGCOPY_TEST_JOBWAIT_H */
