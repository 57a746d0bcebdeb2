/* fuzz/store_load_fuzzer.c - fuzzes the store loader (core/store.c): the input is the content
 * of a state directory's bgcopy.db, opened by a manager on a fresh simulation.
 *
 * The seed corpus holds real databases written by the library (a few jobs in several states,
 * with ranges, credentials and an error record), so mutations reach the record checks behind
 * SQLite's own format checks. Checks:
 *   - bgcopy_manager_open returns S_OK or one of the store's documented HRESULTs
 *     (BG_E_DATABASE_CORRUPT, HRESULT_FROM_WIN32(ERROR_INVALID_DATA), (ERROR_REVISION_MISMATCH),
 *     E_OUTOFMEMORY, or a file-system HRESULT), with a detail naming the database;
 *   - when it fails, the database file is byte for byte what it was (never a silent reset);
 *   - when it succeeds, every loaded job reads back sane: a BITS state, bytes transferred <=
 *     bytes total when known, files transferred <= files total; the engine then runs a few
 *     virtual seconds and closes without leaking a reference.
 * Paths in mutated records can name anything; the loader only touches temp names of the shape
 * BIT<hex>.tmp beside the job's own absolute local names, and the seeds' local names are in
 * directories that do not exist.
 */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bgcopy.h"
#include "fuzz-util.h"

static int hr_allowed(bgcopy_hr hr)
{
    return hr == BGCOPY_E_DATABASE_CORRUPT || hr == BGCOPY_E_WIN32_INVALID_DATA ||
           hr == BGCOPY_E_WIN32_REVISION_MISMATCH || hr == BGCOPY_E_OUTOFMEMORY ||
           ((uint32_t)hr & 0xFFFF0000u) == 0x80070000u || hr == BGCOPY_E_ACCESSDENIED ||
           hr == BGCOPY_E_FAIL;
}

static void check_jobs(bgcopy_manager *mgr)
{
    bgcopy_job_enum *e = NULL;
    bgcopy_job *job;
    uint32_t got;

    FZ_CHECK(bgcopy_manager_enum_jobs(mgr, BGCOPY_JOB_ENUM_ALL_USERS, &e) == BGCOPY_S_OK);
    while (bgcopy_job_enum_next(e, 1, &job, &got) == BGCOPY_S_OK && got == 1) {
        bgcopy_job_state st;
        bgcopy_job_progress p;
        FZ_CHECK(bgcopy_job_get_state(job, &st) == BGCOPY_S_OK);
        FZ_CHECK(st >= BGCOPY_JOB_STATE_QUEUED && st <= BGCOPY_JOB_STATE_CANCELLED);
        FZ_CHECK(bgcopy_job_get_progress(job, &p) == BGCOPY_S_OK);
        FZ_CHECK(p.bytes_total == BGCOPY_SIZE_UNKNOWN || p.bytes_transferred <= p.bytes_total);
        FZ_CHECK(p.files_transferred <= p.files_total);
        bgcopy_job_release(job);
    }
    bgcopy_job_enum_release(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[512], state[600], db[700];
    bgcopy_sim_options so = BGCOPY_SIM_OPTIONS_INIT;
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_sim *sim = NULL;
    bgcopy_manager *mgr = NULL;
    bgcopy_hr hr;
    FILE *f;

    fz_tempdir(dir, sizeof(dir), "store");
    snprintf(state, sizeof(state), "%s/state", dir);
    snprintf(db, sizeof(db), "%s/bgcopy.db", state);
    FZ_CHECK(mkdir(state, 0700) == 0);
    f = fopen(db, "wb");
    FZ_CHECK(f != NULL);
    FZ_CHECK(size == 0 || fwrite(data, 1, size, f) == size);
    FZ_CHECK(fclose(f) == 0);

    so.start_wall_time = 1798761600.0; /* the seeds' era: their jobs are not 90 days idle */
    FZ_CHECK(bgcopy_sim_create(&so, &sim) == BGCOPY_S_OK);
    mo.sim = sim;
    mo.user = "alice";
    mo.user_is_admin = 1;
    mo.state_dir = state;
    hr = bgcopy_manager_open(&mo, &mgr);
    if (hr == BGCOPY_S_OK) {
        check_jobs(mgr);
        FZ_CHECK(bgcopy_sim_advance(sim, 5) == BGCOPY_S_OK);
        check_jobs(mgr);
        bgcopy_manager_close(mgr);
    } else {
        /* Refused: named, and the file is untouched. */
        FILE *r = fopen(db, "rb");
        uint8_t *back = malloc(size + 1);
        size_t n;
        FZ_CHECK(hr_allowed(hr));
        FZ_CHECK(strstr(bgcopy_manager_open_detail(), state) != NULL);
        FZ_CHECK(r != NULL && back != NULL);
        n = fread(back, 1, size + 1, r);
        fclose(r);
        FZ_CHECK(n == size && (size == 0 || memcmp(back, data, size) == 0));
        free(back);
    }
    FZ_CHECK(bgcopy_sim_destroy(sim) == BGCOPY_S_OK);
    fz_rmtree(dir);
    return 0;
}
