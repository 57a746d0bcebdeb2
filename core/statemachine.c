/* statemachine.c - the BITS job state-transition table.
 *
 * Every state change of an emulated job goes through this table
 * (bgcopy__job_apply asserts that the event is legal), so the set of
 * transitions the engine can make is exactly the set written here. Rows are
 * events, columns are states, cells are the resulting state or -1 where BITS
 * has no such transition (reference §1.4). The table is data, not code: the
 * unit tests walk it cell by cell.
 */
#include "core-int.h"

#define Q  BGCOPY_JOB_STATE_QUEUED
#define C  BGCOPY_JOB_STATE_CONNECTING
#define T  BGCOPY_JOB_STATE_TRANSFERRING
#define S  BGCOPY_JOB_STATE_SUSPENDED
#define E  BGCOPY_JOB_STATE_ERROR
#define TE BGCOPY_JOB_STATE_TRANSIENT_ERROR
#define TD BGCOPY_JOB_STATE_TRANSFERRED
#define AK BGCOPY_JOB_STATE_ACKNOWLEDGED
#define CA BGCOPY_JOB_STATE_CANCELLED
#define NO (-1)

/* clang-format off */
static const signed char transitions[BGCOPY__EV_COUNT][BGCOPY_JOB_STATE_COUNT] = {
    /*                    QUEUED CONNECT TRANSF SUSPEND ERROR TRANSIE TRANSFD ACK  CANCEL */
    /* RESUME    */      { Q,     C,      T,     Q,      Q,    Q,      Q,      NO,  NO },
    /* SUSPEND   */      { S,     S,      S,     S,      S,    S,      S,      NO,  NO },
    /* CANCEL    */      { CA,    CA,     CA,    CA,     CA,   CA,     CA,     NO,  NO },
    /* COMPLETE  */      { AK,    AK,     AK,    AK,     AK,   AK,     AK,     NO,  NO },
    /* START     */      { C,     NO,     NO,    NO,     NO,   NO,     NO,     NO,  NO },
    /* CONNECTED */      { NO,    T,      NO,    NO,     NO,   NO,     NO,     NO,  NO },
    /* TRANSIENT */      { TE,    TE,     TE,    NO,     NO,   NO,     NO,     NO,  NO },
    /* FATAL     */      { E,     E,      E,     NO,     NO,   E,      NO,     NO,  NO },
    /* PREEMPT   */      { NO,    Q,      Q,     NO,     NO,   NO,     NO,     NO,  NO },
    /* ALL_DONE  */      { NO,    NO,     TD,    NO,     NO,   NO,     NO,     NO,  NO },
    /* RETRY     */      { NO,    NO,     NO,    NO,     NO,   Q,      NO,     NO,  NO },
};
/* clang-format on */

/* Method legality by state (reference §1.5): OK, or BG_E_INVALID_STATE (IS). Every call listed
 * fails in CANCELLED and ACKNOWLEDGED; Complete of an upload or upload-reply job is allowed in
 * TRANSFERRED only. AddFile in TRANSFERRED is allowed (life-cycle page); in the final states
 * it is INFERRED (Appendix D item 3). */
#define OK BGCOPY_S_OK
#define IS BGCOPY_E_INVALID_STATE
/* clang-format off */
static const bgcopy_hr legality[BGCOPY__CALL_COUNT][BGCOPY_JOB_STATE_COUNT] = {
    /*                       QUEUED CONNECT TRANSF SUSPEND ERROR TRANSIE TRANSFD ACK CANCEL */
    /* ADD_FILES         */ { OK,    OK,     OK,    OK,     OK,   OK,     OK,     IS,  IS },
    /* REPLACE_PREFIX    */ { OK,    OK,     OK,    OK,     OK,   OK,     OK,     IS,  IS },
    /* RESUME            */ { OK,    OK,     OK,    OK,     OK,   OK,     OK,     IS,  IS },
    /* SUSPEND           */ { OK,    OK,     OK,    OK,     OK,   OK,     OK,     IS,  IS },
    /* CANCEL            */ { OK,    OK,     OK,    OK,     OK,   OK,     OK,     IS,  IS },
    /* COMPLETE          */ { OK,    OK,     OK,    OK,     OK,   OK,     OK,     IS,  IS },
    /* COMPLETE_UPLOAD   */ { IS,    IS,     IS,    IS,     IS,   IS,     OK,     IS,  IS },
    /* SET_PROPERTY      */ { OK,    OK,     OK,    OK,     OK,   OK,     OK,     IS,  IS },
    /* SET_CALLBACKS     */ { OK,    OK,     OK,    OK,     OK,   OK,     OK,     IS,  IS },
    /* SET_REMOTE_NAME   */ { OK,    OK,     OK,    OK,     OK,   OK,     OK,     IS,  IS },
};
/* clang-format on */
#undef OK
#undef IS

bgcopy_hr bgcopy__job_call_check(bgcopy__job_call op, bgcopy_job_state s)
{
    if ((int)op < 0 || op >= BGCOPY__CALL_COUNT || (int)s < 0 || (int)s >= BGCOPY_JOB_STATE_COUNT)
        return BGCOPY_E_UNEXPECTED;
    return legality[op][s];
}

static const char *const event_names[BGCOPY__EV_COUNT] = {
    "RESUME",    "SUSPEND", "CANCEL",  "COMPLETE", "START", "CONNECTED",
    "TRANSIENT", "FATAL",   "PREEMPT", "ALL_DONE", "RETRY",
};

int bgcopy__job_next_state(bgcopy_job_state from, bgcopy__job_event ev)
{
    if ((int)ev < 0 || ev >= BGCOPY__EV_COUNT || (int)from < 0 ||
        (int)from >= BGCOPY_JOB_STATE_COUNT)
        return -1;
    return transitions[ev][from];
}

const char *bgcopy__job_event_name(bgcopy__job_event ev)
{
    if ((int)ev < 0 || ev >= BGCOPY__EV_COUNT)
        return NULL;
    return event_names[ev];
}

int bgcopy__job_state_is_final(bgcopy_job_state s)
{
    return s == BGCOPY_JOB_STATE_ACKNOWLEDGED || s == BGCOPY_JOB_STATE_CANCELLED;
}

int bgcopy__job_state_is_active(bgcopy_job_state s)
{
    return s == BGCOPY_JOB_STATE_CONNECTING || s == BGCOPY_JOB_STATE_TRANSFERRING;
}
