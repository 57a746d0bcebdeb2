/* timers.c - the per-job timers of BITS (reference §6).
 *
 *   retry        MinimumRetryDelay after entering TRANSIENT_ERROR -> QUEUED.
 *   no-progress  NoProgressTimeout from the first transient error; any byte
 *                transferred disarms it; on expiry a job in TRANSIENT_ERROR
 *                goes to ERROR keeping its last error (and JobError fires).
 *   max-download MaximumDownloadTime counts only time spent CONNECTING or
 *                TRANSFERRING since the last Resume; on expiry -> ERROR with
 *                BG_E_MAXDOWNLOAD_TIMEOUT.
 *   inactivity   JobInactivityTimeout (policy, default 90 days) after the
 *                last activity (an API change or transferred bytes) -> the
 *                job is cancelled and its temporary files deleted.
 *
 * All deadlines are on the engine's monotonic clock (virtual in a
 * simulation). Lock held everywhere.
 */
#include "core-int.h"

static int64_t secs(uint32_t s)
{
    return (int64_t)s * BGCOPY__US;
}

static void retry_fn(struct bgcopy__engine *e, bgcopy__timer *t)
{
    struct emu_job *job = t->data;
    if (job->state == BGCOPY_JOB_STATE_TRANSIENT_ERROR)
        bgcopy__job_apply(job, BGCOPY__EV_RETRY);
}

static void no_progress_fn(struct bgcopy__engine *e, bgcopy__timer *t)
{
    struct emu_job *job = t->data;
    job->no_progress_expired = 1;
    if (job->state == BGCOPY_JOB_STATE_TRANSIENT_ERROR)
        bgcopy__job_apply(job, BGCOPY__EV_FATAL);
}

static void max_download_fn(struct bgcopy__engine *e, bgcopy__timer *t)
{
    struct emu_job *job = t->data;
    if (!bgcopy__job_state_is_active(job->state))
        return;
    bgcopy__transfer_abort(job);
    bgcopy__job_set_error(job, NULL, BGCOPY_E_MAXDOWNLOAD_TIMEOUT,
                          BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, NULL);
    job->error_count++;
    bgcopy__job_apply(job, BGCOPY__EV_FATAL);
}

static void inactivity_fn(struct bgcopy__engine *e, bgcopy__timer *t)
{
    struct emu_job *job = t->data;
    int64_t due = job->last_activity_us + secs(e->inactivity_timeout);

    if (bgcopy__job_state_is_final(job->state))
        return;
    if (due > bgcopy__engine_now(e)) {
        bgcopy__timer_arm(e, t, due); /* there was activity since it was armed */
        return;
    }
    (void)bgcopy__job_cancel_locked(job);
}

void bgcopy__timers_init(struct emu_job *job)
{
    bgcopy__timer_init(&job->retry_timer, retry_fn, job, 0);
    bgcopy__timer_init(&job->no_progress_timer, no_progress_fn, job, 0);
    bgcopy__timer_init(&job->max_download_timer, max_download_fn, job, 0);
    bgcopy__timer_init(&job->inactivity_timer, inactivity_fn, job, 0);
    bgcopy__timer_init(&job->slice_timer, bgcopy__sched_slice_expired, job, 0);
}

void bgcopy__timers_stop_all(struct emu_job *job)
{
    struct bgcopy__engine *e = job->engine;
    bgcopy__timer_disarm(e, &job->retry_timer);
    bgcopy__timer_disarm(e, &job->no_progress_timer);
    bgcopy__timer_disarm(e, &job->max_download_timer);
    bgcopy__timer_disarm(e, &job->inactivity_timer);
    bgcopy__timer_disarm(e, &job->slice_timer);
    bgcopy__timer_disarm(e, &job->step_timer);
    bgcopy__timer_disarm(e, &job->mod_timer);
}

void bgcopy__timers_state_changed(struct emu_job *job, bgcopy_job_state from, bgcopy__job_event ev)
{
    struct bgcopy__engine *e = job->engine;
    int64_t now = bgcopy__engine_now(e);
    int was_active = bgcopy__job_state_is_active(from);
    int is_active = bgcopy__job_state_is_active(job->state);

    if (ev == BGCOPY__EV_RESUME) {
        /* Resume restarts the clocks: the download-time budget and the
         * no-progress window (reference §6). */
        job->active_accum_us = 0;
        job->no_progress_expired = 0;
        bgcopy__timer_disarm(e, &job->no_progress_timer);
    }
    if (was_active && !is_active) {
        if (job->active_since_us >= 0)
            job->active_accum_us += now - job->active_since_us;
        job->active_since_us = -1;
        bgcopy__timer_disarm(e, &job->max_download_timer);
        bgcopy__timer_disarm(e, &job->slice_timer);
    }
    if (!was_active && is_active) {
        job->active_since_us = now;
        if (job->max_download_time) {
            int64_t left = secs(job->max_download_time) - job->active_accum_us;
            bgcopy__timer_arm(e, &job->max_download_timer, now + (left > 0 ? left : 0));
        }
    }
    if (from == BGCOPY_JOB_STATE_TRANSIENT_ERROR)
        bgcopy__timer_disarm(e, &job->retry_timer);
    if (job->state == BGCOPY_JOB_STATE_TRANSIENT_ERROR && job->policy_blocked) {
        /* Blocked by MaxInternetBandwidth (policy.c): not a failure of the job, so no retry
         * timer and no no-progress window; the policy puts it back in QUEUED. */
        bgcopy__timer_disarm(e, &job->no_progress_timer);
    } else if (job->state == BGCOPY_JOB_STATE_TRANSIENT_ERROR) {
        bgcopy__timer_arm(e, &job->retry_timer, now + secs(job->retry_delay));
        if (!bgcopy__timer_armed(&job->no_progress_timer) && !job->no_progress_expired)
            bgcopy__timer_arm(e, &job->no_progress_timer, now + secs(job->no_progress_timeout));
    }
    if (job->state == BGCOPY_JOB_STATE_SUSPENDED || job->state == BGCOPY_JOB_STATE_ERROR ||
        job->state == BGCOPY_JOB_STATE_TRANSFERRED)
        bgcopy__timer_disarm(e, &job->no_progress_timer);
}

/* MaximumDownloadTime was set: a job that is CONNECTING or TRANSFERRING
 * measures its running budget against the new value at once (0: no limit). */
void bgcopy__timers_max_download_changed(struct emu_job *job)
{
    struct bgcopy__engine *e = job->engine;
    int64_t now = bgcopy__engine_now(e), left;

    if (!bgcopy__job_state_is_active(job->state) || job->active_since_us < 0)
        return;
    if (job->max_download_time == 0) {
        bgcopy__timer_disarm(e, &job->max_download_timer);
        return;
    }
    left = secs(job->max_download_time) - job->active_accum_us - (now - job->active_since_us);
    bgcopy__timer_arm(e, &job->max_download_timer, now + (left > 0 ? left : 0));
}

void bgcopy__timers_no_progress_changed(struct emu_job *job, uint32_t old_seconds)
{
    struct bgcopy__engine *e = job->engine;
    int64_t start;

    if (!bgcopy__timer_armed(&job->no_progress_timer))
        return;
    start = job->no_progress_timer.due - secs(old_seconds);
    bgcopy__timer_arm(e, &job->no_progress_timer, start + secs(job->no_progress_timeout));
}

void bgcopy__timers_progress(struct emu_job *job)
{
    job->no_progress_expired = 0;
    bgcopy__timer_disarm(job->engine, &job->no_progress_timer);
}

void bgcopy__timers_activity(struct emu_job *job)
{
    struct bgcopy__engine *e = job->engine;
    job->last_activity_us = bgcopy__engine_now(e);
    if (!bgcopy__timer_armed(&job->inactivity_timer))
        bgcopy__timer_arm(e, &job->inactivity_timer,
                          job->last_activity_us + secs(e->inactivity_timeout));
}
