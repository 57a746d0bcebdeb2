/* bgcopy-demo.c - the main job of `make demo`: a BITS download job run
 * through the simulation harness, printing every state change and callback.
 *
 * Scenario (all in virtual time, so it takes milliseconds):
 *   1. a job with two files is created (SUSPENDED) and resumed;
 *   2. the server answers 503 twice: the job goes TRANSIENT_ERROR, and is
 *      retried after its MinimumRetryDelay (60 s here);
 *   3. the connection resets half-way through the second file; the retry
 *      continues from the checkpoint with a Range request;
 *   4. JobTransferred arrives; the callback calls Complete, which renames the
 *      temporary files to their final names.
 * The program verifies the downloaded bytes and exits 0 on success.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgcopy.h"

#define CHECK(expr)                                          \
    do {                                                     \
        bgcopy_hr hr_ = (expr);                              \
        if (BGCOPY_FAILED(hr_)) {                            \
            char msg_[256];                                  \
            bgcopy_hr_format(hr_, msg_, sizeof(msg_));       \
            fprintf(stderr, "%s failed: %s\n", #expr, msg_); \
            exit(1);                                         \
        }                                                    \
    } while (0)

static bgcopy_sim *sim;
static int transferred;

static bgcopy_hr on_transferred(bgcopy_job *job, void *user)
{
    bgcopy_hr hr;
    printf("[%8.1f s] callback JobTransferred -> Complete\n", bgcopy_sim_now(sim));
    hr = bgcopy_job_complete(job);
    printf("[%8.1f s] Complete returned 0x%08X %s\n", bgcopy_sim_now(sim), (unsigned)hr,
           bgcopy_hr_name(hr));
    transferred = 1;
    return BGCOPY_S_OK;
}

static bgcopy_hr on_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    bgcopy_error_context ctx;
    bgcopy_hr code;
    bgcopy_error_get_error(err, &ctx, &code);
    printf("[%8.1f s] callback JobError: 0x%08X %s, context %s\n", bgcopy_sim_now(sim),
           (unsigned)code, bgcopy_hr_name(code), bgcopy_error_context_name(ctx));
    return BGCOPY_S_OK;
}

static bgcopy_hr on_file(bgcopy_job *job, bgcopy_file *file, void *user)
{
    char *name = NULL;
    bgcopy_file_get_remote_name(file, &name);
    printf("[%8.1f s] callback FileTransferred: %s\n", bgcopy_sim_now(sim), name);
    bgcopy_free(name);
    return BGCOPY_S_OK;
}

/* Prints the state when it changed; returns 1 then. */
static int print_state(bgcopy_job *job, bgcopy_job_state *last)
{
    bgcopy_job_state st;
    bgcopy_job_progress p;
    char total[32];
    CHECK(bgcopy_job_get_state(job, &st));
    CHECK(bgcopy_job_get_progress(job, &p));
    if (st == *last)
        return 0;
    if (p.bytes_total == BGCOPY_SIZE_UNKNOWN)
        snprintf(total, sizeof(total), "unknown");
    else
        snprintf(total, sizeof(total), "%llu", (unsigned long long)p.bytes_total);
    printf("[%8.1f s] state %-15s %llu/%s bytes, %u/%u files\n", bgcopy_sim_now(sim),
           bgcopy_job_state_name(st), (unsigned long long)p.bytes_transferred, total,
           p.files_transferred, p.files_total);
    *last = st;
    return 1;
}

static int verify(const char *path, uint32_t seed, uint64_t length)
{
    FILE *f = fopen(path, "rb");
    uint64_t i;
    int c;
    if (f == NULL)
        return 0;
    for (i = 0; (c = fgetc(f)) != EOF; i++)
        if (i >= length || (uint8_t)c != bgcopy_sim_pattern_byte(seed, i)) {
            fclose(f);
            return 0;
        }
    fclose(f);
    return i == length;
}

int main(void)
{
    bgcopy_manager_options mo = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_sim_options so = BGCOPY_SIM_OPTIONS_INIT;
    bgcopy_sim_resource res = BGCOPY_SIM_RESOURCE_INIT;
    bgcopy_sim_fault fault = BGCOPY_SIM_FAULT_INIT;
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_manager *mgr;
    bgcopy_job *job;
    bgcopy_guid id;
    bgcopy_job_state last = (bgcopy_job_state)-1;
    char dir[] = "/tmp/bgcopy-demo-XXXXXX", a[128], b[128], idtext[BGCOPY_GUID_STRING_SIZE];
    int i, ok;

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(a, sizeof(a), "%s/first.bin", dir);
    snprintf(b, sizeof(b), "%s/second.bin", dir);

    so.chunk_size = 256 * 1024;
    CHECK(bgcopy_sim_create(&so, &sim));
    res.url = "http://downloads.example.test/first.bin";
    res.length = 3 * 1024 * 1024;
    res.seed = 1;
    res.bandwidth = 4.0 * 1024 * 1024; /* 4 MiB/s */
    CHECK(bgcopy_sim_add_resource(sim, &res));
    res.url = "http://downloads.example.test/second.bin";
    res.length = 5 * 1024 * 1024;
    res.seed = 2;
    CHECK(bgcopy_sim_add_resource(sim, &res));
    fault.kind = BGCOPY_SIM_FAULT_HTTP_STATUS;
    fault.status = 503;
    fault.count = 2;
    CHECK(bgcopy_sim_add_fault(sim, &fault));
    fault.kind = BGCOPY_SIM_FAULT_RESET;
    fault.url = "http://downloads.example.test/second.bin";
    fault.after_bytes = 2 * 1024 * 1024;
    fault.count = 1;
    CHECK(bgcopy_sim_add_fault(sim, &fault));

    mo.sim = sim;
    mo.user = "demo";
    CHECK(bgcopy_manager_open(&mo, &mgr));
    CHECK(bgcopy_manager_create_job(mgr, "bgcopy demo", BGCOPY_JOB_TYPE_DOWNLOAD, &id, &job));
    bgcopy_guid_to_string(&id, idtext);
    printf("created job %s\n", idtext);
    CHECK(bgcopy_job_add_file(job, "http://downloads.example.test/first.bin", a));
    CHECK(bgcopy_job_add_file(job, "http://downloads.example.test/second.bin", b));
    CHECK(bgcopy_job_set_minimum_retry_delay(job, 60));
    CHECK(bgcopy_job_set_notify_flags(job, BGCOPY_NOTIFY_JOB_TRANSFERRED | BGCOPY_NOTIFY_JOB_ERROR |
                                               BGCOPY_NOTIFY_FILE_TRANSFERRED));
    cb.job_transferred = on_transferred;
    cb.job_error = on_error;
    cb.file_transferred = on_file;
    CHECK(bgcopy_job_set_notify_callbacks(job, &cb, NULL));
    (void)print_state(job, &last);
    CHECK(bgcopy_job_resume(job));

    for (i = 0; i < 100000 && !transferred; i++) {
        if (print_state(job, &last) && last == BGCOPY_JOB_STATE_TRANSIENT_ERROR) {
            bgcopy_error *err;
            bgcopy_error_context ctx;
            bgcopy_hr code;
            if (BGCOPY_SUCCEEDED(bgcopy_job_get_error(job, &err))) {
                bgcopy_error_get_error(err, &ctx, &code);
                printf("[%8.1f s]   transient error 0x%08X %s (%s); retry in 60 s\n",
                       bgcopy_sim_now(sim), (unsigned)code, bgcopy_hr_name(code),
                       bgcopy_error_context_name(ctx));
                bgcopy_error_release(err);
            }
        }
        CHECK(bgcopy_sim_advance(sim, 0.25));
    }
    (void)print_state(job, &last);

    ok = transferred && verify(a, 1, 3 * 1024 * 1024) && verify(b, 2, 5 * 1024 * 1024);
    printf("%s: %s and %s %s the server's bytes\n", ok ? "OK" : "FAILED", a, b,
           ok ? "match" : "do not match");
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
    CHECK(bgcopy_sim_destroy(sim));
    remove(a);
    remove(b);
    remove(dir);
    return ok ? 0 : 1;
}
