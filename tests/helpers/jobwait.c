/* tests/helpers/jobwait.c - the waiter of jobwait.h: a generation counter bumped by every
 * callback, and a condition variable the waiter sleeps on between two reads of the state.
 */
#define _POSIX_C_SOURCE 200809L
#include "jobwait.h"

#include <pthread.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static unsigned generation; /* bumped by every callback */

static void wake(void)
{
    pthread_mutex_lock(&lock);
    generation++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

static bgcopy_hr on_transferred(bgcopy_job *job, void *user)
{
    (void)job;
    (void)user;
    wake();
    return BGCOPY_S_OK;
}

static bgcopy_hr on_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    (void)job;
    (void)err;
    (void)user;
    wake();
    return BGCOPY_S_OK;
}

static bgcopy_hr on_modification(bgcopy_job *job, uint32_t reserved, void *user)
{
    (void)job;
    (void)reserved;
    (void)user;
    wake();
    return BGCOPY_S_OK;
}

void jw_callbacks(bgcopy_callbacks *cb)
{
    cb->job_transferred = on_transferred;
    cb->job_error = on_error;
    cb->job_modification = on_modification;
}

bgcopy_job_state jw_state(bgcopy_job *job)
{
    bgcopy_job_state st = BGCOPY_JOB_STATE_QUEUED;
    (void)bgcopy_job_get_state(job, &st);
    return st;
}

int jw_wait(bgcopy_job *job, unsigned mask, int seconds)
{
    struct timespec d;
    int timed_out = 0;

    clock_gettime(CLOCK_REALTIME, &d);
    d.tv_sec += seconds;
    for (;;) {
        unsigned gen;
        bgcopy_job_state st;
        pthread_mutex_lock(&lock);
        gen = generation;
        pthread_mutex_unlock(&lock);
        st = jw_state(job);
        if (mask & (1u << st))
            return (int)st;
        if (timed_out)
            return -1;
        pthread_mutex_lock(&lock);
        while (generation == gen && !timed_out)
            timed_out = pthread_cond_timedwait(&cond, &lock, &d) != 0;
        pthread_mutex_unlock(&lock);
    }
}

double jw_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
