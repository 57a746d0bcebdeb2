/* sched.c - the scheduler: which jobs transfer now.
 *
 * BITS rules (reference §2.1): every FOREGROUND job runs concurrently; at
 * most one background (HIGH, NORMAL, LOW) job transfers at a time alongside
 * them; a higher background priority preempts a lower one at once; jobs of
 * equal background priority share time in round-robin slices (the slice
 * length is the manager option time_slice). Order among equals is the order
 * in which jobs entered QUEUED. Dynamic-content jobs transfer only at
 * FOREGROUND priority (reference §8.3).
 *
 * Runs on the engine thread with the lock held, from the coalesced
 * scheduling timer (bgcopy__engine_kick).
 */
#include "core-int.h"

static int is_background(const struct emu_job *job)
{
    return job->priority != BGCOPY_JOB_PRIORITY_FOREGROUND;
}

static int runnable(const struct emu_job *job)
{
    if (job->state != BGCOPY_JOB_STATE_QUEUED)
        return 0;
    if (job->dynamic_content && is_background(job))
        return 0;
    return 1;
}

/* a goes before b among queued background jobs */
static int before(const struct emu_job *a, const struct emu_job *b)
{
    if (a->priority != b->priority)
        return a->priority < b->priority;
    return a->queue_seq < b->queue_seq;
}

static void start(struct bgcopy__engine *e, struct emu_job *job)
{
    bgcopy__job_apply(job, BGCOPY__EV_START);
    if (is_background(job))
        bgcopy__timer_arm(e, &job->slice_timer,
                          bgcopy__engine_now(e) + (int64_t)e->time_slice * BGCOPY__US);
    bgcopy__transfer_start(job);
}

void bgcopy__sched_run(struct bgcopy__engine *e)
{
    struct emu_job *job, *next, *current = NULL, *best = NULL;

    bgcopy__policy_apply(e); /* MaxInternetBandwidth: block or release background jobs */
    for (job = e->jobs_head; job; job = job->next)
        if (is_background(job) && bgcopy__job_state_is_active(job->state) &&
            (current == NULL || before(job, current)))
            current = job;
    /* At most one background job is active. A FOREGROUND job lowered to a
     * background priority while another background job runs makes two: the
     * one that goes first keeps running (with a fresh slice if it had none),
     * the other goes back to QUEUED. */
    for (job = e->jobs_head; job; job = job->next) {
        if (job != current && is_background(job) && bgcopy__job_state_is_active(job->state)) {
            bgcopy__timer_disarm(e, &job->slice_timer);
            bgcopy__job_apply(job, BGCOPY__EV_PREEMPT);
        }
    }
    if (current && !bgcopy__timer_armed(&current->slice_timer))
        bgcopy__timer_arm(e, &current->slice_timer,
                          bgcopy__engine_now(e) + (int64_t)e->time_slice * BGCOPY__US);
    for (job = e->jobs_head; job; job = job->next)
        if (is_background(job) && runnable(job) && (best == NULL || before(job, best)))
            best = job;
    /* A background job that is now at higher priority than the running one
     * preempts it; a running job that was raised to FOREGROUND keeps running
     * as a foreground job. */
    if (current && best && best->priority < current->priority) {
        bgcopy__timer_disarm(e, &current->slice_timer);
        bgcopy__job_apply(current, BGCOPY__EV_PREEMPT);
        current = NULL;
    }
    if (current == NULL && best)
        start(e, best);

    for (job = e->jobs_head; job; job = next) {
        next = job->next;
        if (!is_background(job) && runnable(job))
            start(e, job);
    }
}

void bgcopy__sched_slice_expired(struct bgcopy__engine *e, bgcopy__timer *t)
{
    struct emu_job *job = t->data, *other;

    if (!bgcopy__job_state_is_active(job->state) || !is_background(job))
        return;
    for (other = e->jobs_head; other; other = other->next)
        if (other != job && runnable(other) && is_background(other) &&
            other->priority == job->priority)
            break;
    if (other == NULL) {
        /* Nobody is waiting at this priority: keep the job running. */
        bgcopy__timer_arm(e, t, bgcopy__engine_now(e) + (int64_t)e->time_slice * BGCOPY__US);
        return;
    }
    /* Back of the line (a fresh queue_seq) and let the next one run. */
    bgcopy__job_apply(job, BGCOPY__EV_PREEMPT);
    job->queue_seq = ++e->queue_seq;
}
