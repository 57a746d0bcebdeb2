/* tests/unit/test_statemachine.c - pins the job state-transition table of core/statemachine.c.
 *
 * The expected table below is written independently from reference §1.4 (and the state
 * classes of §1.2): every (event, state) cell, including the cells where BITS has no
 * transition (-1). Cells the reference does not state word for word are explained where they
 * are written. The helpers bgcopy__job_state_is_final / _is_active and the event names are
 * checked too, as is the handling of out-of-range inputs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core-int.h"

/* Short names for the states, as in the reference's tables. */
enum {
    Q = BGCOPY_JOB_STATE_QUEUED,
    C = BGCOPY_JOB_STATE_CONNECTING,
    T = BGCOPY_JOB_STATE_TRANSFERRING,
    S = BGCOPY_JOB_STATE_SUSPENDED,
    E = BGCOPY_JOB_STATE_ERROR,
    TE = BGCOPY_JOB_STATE_TRANSIENT_ERROR,
    TD = BGCOPY_JOB_STATE_TRANSFERRED,
    AK = BGCOPY_JOB_STATE_ACKNOWLEDGED,
    CA = BGCOPY_JOB_STATE_CANCELLED,
    NONE = -1
};

/* One row per event, in the order of bgcopy__job_event; columns are states 0..8. */
struct row {
    bgcopy__job_event ev;
    const char *name; /* expected bgcopy__job_event_name */
    int to[BGCOPY_JOB_STATE_COUNT];
};

/* clang-format off */
static const struct row expected[BGCOPY__EV_COUNT] = {
    /*                                   QUEUED CONN  TRANSF SUSP ERROR TRANS_E TRANSFD ACK   CANCEL */
    /* Resume: SUSPENDED/ERROR/TRANSIENT_ERROR -> QUEUED; QUEUED/CONNECTING/TRANSFERRING
     * unchanged; TRANSFERRED (files added) -> QUEUED; final states: BG_E_INVALID_STATE. */
    {BGCOPY__EV_RESUME,    "RESUME",    {Q,    C,    T,     Q,   Q,    Q,      Q,      NONE, NONE}},
    /* Suspend: any non-final -> SUSPENDED (already suspended stays). */
    {BGCOPY__EV_SUSPEND,   "SUSPEND",   {S,    S,    S,     S,   S,    S,      S,      NONE, NONE}},
    /* Cancel (and the inactivity scavenger): any non-final -> CANCELLED. */
    {BGCOPY__EV_CANCEL,    "CANCEL",    {CA,   CA,   CA,    CA,  CA,   CA,     CA,     NONE, NONE}},
    /* Complete (download jobs): any non-final -> ACKNOWLEDGED. */
    {BGCOPY__EV_COMPLETE,  "COMPLETE",  {AK,   AK,   AK,    AK,  AK,   AK,     AK,     NONE, NONE}},
    /* The scheduler picks a QUEUED job. */
    {BGCOPY__EV_START,     "START",     {C,    NONE, NONE,  NONE, NONE, NONE,  NONE,   NONE, NONE}},
    /* CONNECTING, connection OK -> TRANSFERRING. */
    {BGCOPY__EV_CONNECTED, "CONNECTED", {NONE, T,    NONE,  NONE, NONE, NONE,  NONE,   NONE, NONE}},
    /* Recoverable error in a running job (QUEUED: network lost). A TRANSIENT_ERROR job
     * stays where it is: on a network loss it keeps its own error (reconnect requeues every
     * TRANSIENT_ERROR job "regardless of error code"), so there is no TE -> TE transition. */
    {BGCOPY__EV_TRANSIENT, "TRANSIENT", {TE,   TE,   TE,    NONE, NONE, NONE,  NONE,   NONE, NONE}},
    /* Fatal error in any action state (QUEUED, CONNECTING, TRANSFERRING, TRANSIENT_ERROR:
     * NoProgressTimeout expiry, retry delay > NoProgressTimeout). */
    {BGCOPY__EV_FATAL,     "FATAL",     {E,    E,    E,     NONE, NONE, E,     NONE,   NONE, NONE}},
    /* A running job goes back to QUEUED: end of its time slice, preemption by a higher
     * priority (§2.1: strict priority preemption of the active job), owner logoff. */
    {BGCOPY__EV_PREEMPT,   "PREEMPT",   {NONE, Q,    Q,     NONE, NONE, NONE,  NONE,   NONE, NONE}},
    /* Last byte of the last file: only from TRANSFERRING (a CONNECTING job first succeeds
     * into TRANSFERRING). */
    {BGCOPY__EV_ALL_DONE,  "ALL_DONE",  {NONE, NONE, TD,    NONE, NONE, NONE,  NONE,   NONE, NONE}},
    /* MinimumRetryDelay elapsed in TRANSIENT_ERROR -> QUEUED. */
    {BGCOPY__EV_RETRY,     "RETRY",     {NONE, NONE, NONE,  NONE, NONE, Q,     NONE,   NONE, NONE}},
};
/* clang-format on */

static const char *const state_names[BGCOPY_JOB_STATE_COUNT] = {
    "QUEUED",          "CONNECTING",  "TRANSFERRING", "SUSPENDED", "ERROR",
    "TRANSIENT_ERROR", "TRANSFERRED", "ACKNOWLEDGED", "CANCELLED"};

static void test_table_rows_cover_every_event(void **state)
{
    int i;

    (void)state;
    assert_int_equal(BGCOPY__EV_COUNT, 11);
    assert_int_equal(BGCOPY_JOB_STATE_COUNT, 9);
    for (i = 0; i < BGCOPY__EV_COUNT; i++) {
        assert_int_equal(expected[i].ev, i);
    }
}

static void test_every_cell(void **state)
{
    int i, s, mismatches = 0;

    (void)state;
    for (i = 0; i < BGCOPY__EV_COUNT; i++) {
        for (s = 0; s < BGCOPY_JOB_STATE_COUNT; s++) {
            int got = bgcopy__job_next_state((bgcopy_job_state)s, expected[i].ev);

            if (got != expected[i].to[s]) {
                print_error("%s --%s--> %d, expected %d\n", state_names[s], expected[i].name, got,
                            expected[i].to[s]);
                mismatches++;
            }
        }
    }
    assert_int_equal(mismatches, 0);
}

static void test_final_states_accept_no_event(void **state)
{
    static const bgcopy_job_state finals[] = {BGCOPY_JOB_STATE_ACKNOWLEDGED,
                                              BGCOPY_JOB_STATE_CANCELLED};
    size_t f;
    int ev;

    (void)state;
    for (f = 0; f < sizeof(finals) / sizeof(finals[0]); f++) {
        for (ev = 0; ev < BGCOPY__EV_COUNT; ev++) {
            assert_int_equal(bgcopy__job_next_state(finals[f], (bgcopy__job_event)ev), -1);
        }
    }
}

/* Every non-final state can be left by Cancel and by Suspend (or stays SUSPENDED), so no
 * state is a dead end apart from the two final ones. */
static void test_non_final_states_can_be_cancelled(void **state)
{
    int s;

    (void)state;
    for (s = 0; s < BGCOPY_JOB_STATE_COUNT; s++) {
        int final = s == AK || s == CA;

        assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)s, BGCOPY__EV_CANCEL),
                         final ? -1 : CA);
        assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)s, BGCOPY__EV_SUSPEND),
                         final ? -1 : S);
    }
}

static void test_state_is_final(void **state)
{
    static const int want[BGCOPY_JOB_STATE_COUNT] = {0, 0, 0, 0, 0, 0, 0, 1, 1};
    int s;

    (void)state;
    for (s = 0; s < BGCOPY_JOB_STATE_COUNT; s++) {
        assert_int_equal(bgcopy__job_state_is_final((bgcopy_job_state)s) != 0, want[s]);
    }
    assert_int_equal(bgcopy__job_state_is_final(BGCOPY_JOB_STATE_ACKNOWLEDGED), 1);
    assert_int_equal(bgcopy__job_state_is_final(BGCOPY_JOB_STATE_CANCELLED), 1);
    assert_int_equal(bgcopy__job_state_is_final((bgcopy_job_state)9), 0);
    assert_int_equal(bgcopy__job_state_is_final((bgcopy_job_state)-1), 0);
}

static void test_state_is_active(void **state)
{
    static const int want[BGCOPY_JOB_STATE_COUNT] = {0, 1, 1, 0, 0, 0, 0, 0, 0};
    int s;

    (void)state;
    for (s = 0; s < BGCOPY_JOB_STATE_COUNT; s++) {
        assert_int_equal(bgcopy__job_state_is_active((bgcopy_job_state)s) != 0, want[s]);
    }
    assert_int_equal(bgcopy__job_state_is_active(BGCOPY_JOB_STATE_CONNECTING), 1);
    assert_int_equal(bgcopy__job_state_is_active(BGCOPY_JOB_STATE_TRANSFERRING), 1);
    assert_int_equal(bgcopy__job_state_is_active((bgcopy_job_state)9), 0);
    assert_int_equal(bgcopy__job_state_is_active((bgcopy_job_state)-1), 0);
}

/* The state an event leads to is active exactly for START and CONNECTED (and Resume of an
 * already active job, which leaves it unchanged). */
static void test_active_targets(void **state)
{
    int i, s;

    (void)state;
    for (i = 0; i < BGCOPY__EV_COUNT; i++) {
        for (s = 0; s < BGCOPY_JOB_STATE_COUNT; s++) {
            int to = bgcopy__job_next_state((bgcopy_job_state)s, (bgcopy__job_event)i);

            if (to >= 0 && bgcopy__job_state_is_active((bgcopy_job_state)to)) {
                int ok = i == BGCOPY__EV_START || i == BGCOPY__EV_CONNECTED ||
                         (i == BGCOPY__EV_RESUME && to == s);

                if (!ok) {
                    fail_msg("%s --%s--> %s enters an active state", state_names[s],
                             expected[i].name, state_names[to]);
                }
            }
        }
    }
}

static void test_event_names(void **state)
{
    int i;

    (void)state;
    for (i = 0; i < BGCOPY__EV_COUNT; i++) {
        const char *name = bgcopy__job_event_name((bgcopy__job_event)i);

        assert_non_null(name);
        assert_string_equal(name, expected[i].name);
    }
    assert_null(bgcopy__job_event_name(BGCOPY__EV_COUNT));
    assert_null(bgcopy__job_event_name((bgcopy__job_event)(BGCOPY__EV_COUNT + 1)));
    assert_null(bgcopy__job_event_name((bgcopy__job_event)-1));
    assert_null(bgcopy__job_event_name((bgcopy__job_event)1000));
}

static void test_out_of_range_inputs(void **state)
{
    int i, s;

    (void)state;
    /* Unknown states, every event. */
    for (i = 0; i < BGCOPY__EV_COUNT; i++) {
        assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)-1, (bgcopy__job_event)i), -1);
        assert_int_equal(
            bgcopy__job_next_state((bgcopy_job_state)BGCOPY_JOB_STATE_COUNT, (bgcopy__job_event)i),
            -1);
        assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)100, (bgcopy__job_event)i), -1);
    }
    /* Unknown events, every state. */
    for (s = 0; s < BGCOPY_JOB_STATE_COUNT; s++) {
        assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)s, BGCOPY__EV_COUNT), -1);
        assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)s, (bgcopy__job_event)-1), -1);
        assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)s, (bgcopy__job_event)255), -1);
    }
    assert_int_equal(bgcopy__job_next_state((bgcopy_job_state)-1, (bgcopy__job_event)-1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_rows_cover_every_event),
        cmocka_unit_test(test_every_cell),
        cmocka_unit_test(test_final_states_accept_no_event),
        cmocka_unit_test(test_non_final_states_can_be_cancelled),
        cmocka_unit_test(test_state_is_final),
        cmocka_unit_test(test_state_is_active),
        cmocka_unit_test(test_active_targets),
        cmocka_unit_test(test_event_names),
        cmocka_unit_test(test_out_of_range_inputs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
