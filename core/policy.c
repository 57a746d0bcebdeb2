/* policy.c - the MaxInternetBandwidth group policy (reference §7): a download rate cap for
 * background jobs, optionally one inside a daily window of whole hours and another outside it.
 *
 * A cap of 0 blocks background jobs: the scheduling pass (bgcopy__policy_apply, called first
 * by bgcopy__sched_run) moves each background job in QUEUED, CONNECTING or TRANSFERRING to
 * TRANSIENT_ERROR with BG_E_BLOCKED_BY_POLICY, context GENERAL_QUEUE_MANAGER. Such a job is not
 * retried by the MinimumRetryDelay timer and does not count an error (reference §1.4, §6: "not
 * timer-retried but resumed when the condition clears"); the pass that finds the cap no longer
 * 0, or the job made FOREGROUND, puts it back in QUEUED. A passive timer at every full hour of
 * the engine's clock re-runs the pass while a window is set. Other caps reach the transports
 * through bgcopy__policy_rate: the simulation spaces its body pieces by it, the HTTP transport
 * gives it to libcurl as the receive speed limit of each request.
 *
 * Hours are local time for a real engine and UTC of the simulation's wall clock on a
 * simulation (so scenarios replay the same in every time zone). Lock held throughout.
 */
#include "core-int.h"

#define HOUR_US  (3600LL * BGCOPY__US)
#define DAY_US   (24LL * HOUR_US)
#define MIN_KBPS 2u /* BITS honours about 2 Kbps at least */

/* Bytes per second of a Kbps cap (1 Kbps = 1,000 bit/s); 0 stays 0 (blocked). */
static uint64_t kbps_rate(uint32_t kbps)
{
    if (kbps == 0)
        return 0;
    if (kbps < MIN_KBPS)
        kbps = MIN_KBPS;
    return (uint64_t)kbps * 125u;
}

/* A full hour: a scheduling pass at once (not a kick), so the new cap applies before any
 * transfer step due at the same instant runs. */
static void window_timer_fn(struct bgcopy__engine *e, bgcopy__timer *t)
{
    (void)t;
    bgcopy__sched_run(e);
}

void bgcopy__policy_init(struct bgcopy__engine *e, const bgcopy_manager_options *o)
{
    bgcopy__timer_init(&e->bw_timer, window_timer_fn, NULL, 0);
    e->bw_policy = o->bandwidth_policy == 1;
    e->bw_rate_in = kbps_rate(o->bandwidth_kbps);
    e->bw_rate_out = o->bandwidth_outside_kbps == BGCOPY_BANDWIDTH_UNLIMITED
                         ? UINT64_MAX
                         : kbps_rate(o->bandwidth_outside_kbps);
    e->bw_start_hour = o->bandwidth_start_hour;
    e->bw_end_hour = o->bandwidth_end_hour;
}

/* Microseconds since midnight on the engine's clock (local time, UTC on a simulation). */
static int64_t time_of_day(const struct bgcopy__engine *e)
{
    int64_t wall = bgcopy__engine_wall(e);
    int64_t t = wall + (e->sim ? 0 : (int64_t)bgcopy__sys_utc_offset(wall) * BGCOPY__US);

    t %= DAY_US;
    return t < 0 ? t + DAY_US : t;
}

/* The cap now: UINT64_MAX for none, 0 when background jobs are blocked. */
static uint64_t cap_now(const struct bgcopy__engine *e, int64_t tod)
{
    uint32_t h = (uint32_t)(tod / HOUR_US), a = e->bw_start_hour, b = e->bw_end_hour;
    int inside;

    if (!e->bw_policy)
        return UINT64_MAX;
    if (a == b)
        inside = 1;
    else if (a < b)
        inside = h >= a && h < b;
    else
        inside = h >= a || h < b; /* the window spans midnight */
    return inside ? e->bw_rate_in : e->bw_rate_out;
}

uint64_t bgcopy__policy_rate(const struct bgcopy__engine *e, const struct emu_job *job)
{
    uint64_t cap;

    if (!e->bw_policy || job == NULL || job->priority == BGCOPY_JOB_PRIORITY_FOREGROUND)
        return 0;
    cap = cap_now(e, time_of_day(e));
    if (cap == UINT64_MAX)
        return 0;
    /* 0: the job is about to be blocked by the next scheduling pass; until then it gets the
     * least rate there is. */
    return cap ? cap : kbps_rate(MIN_KBPS);
}

void bgcopy__policy_apply(struct bgcopy__engine *e)
{
    struct emu_job *job;
    int64_t tod;
    int blocked;

    if (!e->bw_policy)
        return;
    tod = time_of_day(e);
    if (e->bw_start_hour != e->bw_end_hour)
        bgcopy__timer_arm(e, &e->bw_timer, bgcopy__engine_now(e) + (HOUR_US - tod % HOUR_US));
    blocked = cap_now(e, tod) == 0;
    for (job = e->jobs_head; job; job = job->next) {
        int background = job->priority != BGCOPY_JOB_PRIORITY_FOREGROUND;
        if (job->policy_blocked) {
            /* bgcopy__job_apply clears policy_blocked on every way out of TRANSIENT_ERROR */
            if (!blocked || !background)
                bgcopy__job_apply(job, BGCOPY__EV_RETRY);
        } else if (blocked && background &&
                   (job->state == BGCOPY_JOB_STATE_QUEUED ||
                    bgcopy__job_state_is_active(job->state))) {
            bgcopy__job_set_error(job, NULL, BGCOPY_E_BLOCKED_BY_POLICY,
                                  BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, NULL);
            job->policy_blocked = 1;
            bgcopy__job_apply(job, BGCOPY__EV_TRANSIENT);
        }
    }
}
