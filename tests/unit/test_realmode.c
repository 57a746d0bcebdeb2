/* test_realmode.c - the emulated engine on the real clock: its runner and
 * notifier threads, with the local-file transport.
 *
 * A manager opened without a simulation owns an engine running on two
 * threads. These tests copy real files through it and wait for the
 * JobTransferred callback on a condition variable (with a generous deadline
 * that only matters if the engine hangs); nothing sleeps to wait.
 * Registered twice: in-process (unit_realmode) and through bgcopyd (service_realmode, see
 * tests/helpers/svcmode.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bgcopy.h"
#include "svcmode.h"

#define assert_hr(expected, actual) assert_int_equal((uint32_t)(expected), (uint32_t)(actual))

static char dir[512];

struct waiter {
    pthread_mutex_t m;
    pthread_cond_t c;
    int transferred;
    int errors;
    bgcopy_hr complete_hr;
    int complete_in_callback;
    pthread_t callback_thread;
};

static bgcopy_hr on_transferred(bgcopy_job *job, void *user)
{
    struct waiter *w = user;
    bgcopy_hr hr = BGCOPY_S_OK;
    if (w->complete_in_callback)
        hr = bgcopy_job_complete(job);
    pthread_mutex_lock(&w->m);
    w->callback_thread = pthread_self();
    w->complete_hr = hr;
    w->transferred++;
    pthread_cond_broadcast(&w->c);
    pthread_mutex_unlock(&w->m);
    return BGCOPY_S_OK;
}

static bgcopy_hr on_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    struct waiter *w = user;
    pthread_mutex_lock(&w->m);
    w->errors++;
    pthread_cond_broadcast(&w->c);
    pthread_mutex_unlock(&w->m);
    return BGCOPY_S_OK;
}

/* Waits until *counter is non-zero; fails the test after 30 s. */
static void wait_for(struct waiter *w, int *counter)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    pthread_mutex_lock(&w->m);
    while (*counter == 0) {
        if (pthread_cond_timedwait(&w->c, &w->m, &deadline) != 0)
            break;
    }
    pthread_mutex_unlock(&w->m);
    assert_true(*counter > 0);
}

static void write_source(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    size_t i;
    assert_non_null(f);
    for (i = 0; i < n; i++)
        fputc((int)((i * 131u + 7u) & 0xFF), f);
    fclose(f);
}

static int same_content(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int ca, cb, same = fa && fb;
    while (same) {
        ca = fgetc(fa);
        cb = fgetc(fb);
        if (ca != cb)
            same = 0;
        if (ca == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static int setup(void **state)
{
    char cwd[256];
    (void)state;
    /* the library wants absolute paths; the build directory may be deep */
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return -1;
    if ((size_t)snprintf(dir, sizeof(dir), "%s/realmode-XXXXXX", cwd) >= sizeof(dir))
        return -1;
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void init_waiter(struct waiter *w)
{
    memset(w, 0, sizeof(*w));
    pthread_mutex_init(&w->m, NULL);
    pthread_cond_init(&w->c, NULL);
}

static void test_local_copy_completes_on_notifier_thread(void **state)
{
    bgcopy_manager *mgr;
    bgcopy_job *job;
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_job_state st;
    bgcopy_job_progress p;
    struct waiter w;
    char src[600], dst[600], url[640];

    init_waiter(&w);
    snprintf(src, sizeof(src), "%s/source.bin", dir);
    snprintf(dst, sizeof(dst), "%s/copy.bin", dir);
    snprintf(url, sizeof(url), "file://%s", src);
    write_source(src, 3 * 1024 * 1024 + 17);

    assert_hr(BGCOPY_S_OK, fx_manager_open(NULL, &mgr));
    assert_hr(BGCOPY_S_OK,
              bgcopy_manager_create_job(mgr, "real", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file(job, url, dst));
    cb.job_transferred = on_transferred;
    cb.job_error = on_error;
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(job, &cb, &w));
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_for(&w, &w.transferred);

    assert_false(pthread_equal(w.callback_thread, pthread_self()));
    assert_int_equal(0, w.errors);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_state(job, &st));
    assert_int_equal(BGCOPY_JOB_STATE_TRANSFERRED, st);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_progress(job, &p));
    assert_int_equal(3 * 1024 * 1024 + 17, p.bytes_total);
    assert_int_equal(3 * 1024 * 1024 + 17, p.bytes_transferred);
    assert_int_equal(1, p.files_transferred);
    assert_int_equal(-1, access(dst, F_OK)); /* not visible before Complete */
    assert_hr(BGCOPY_S_OK, bgcopy_job_complete(job));
    assert_true(same_content(src, dst));
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
}

static void test_complete_inside_callback_then_close(void **state)
{
    bgcopy_manager *mgr;
    bgcopy_job *job;
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_job_state st;
    struct waiter w;
    char src[600], dst[600];

    init_waiter(&w);
    w.complete_in_callback = 1;
    snprintf(src, sizeof(src), "%s/source2.bin", dir);
    snprintf(dst, sizeof(dst), "%s/copy2.bin", dir);
    write_source(src, 100000);

    assert_hr(BGCOPY_S_OK, fx_manager_open(NULL, &mgr));
    assert_hr(BGCOPY_S_OK,
              bgcopy_manager_create_job(mgr, "real2", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file(job, src, dst));
    cb.job_transferred = on_transferred;
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(job, &cb, &w));
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_for(&w, &w.transferred);
    assert_hr(BGCOPY_S_OK, w.complete_hr);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_state(job, &st));
    assert_int_equal(BGCOPY_JOB_STATE_ACKNOWLEDGED, st);
    assert_true(same_content(src, dst));
    bgcopy_manager_close(mgr); /* the job handle still keeps the engine */
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_state(job, &st));
    assert_int_equal(BGCOPY_JOB_STATE_ACKNOWLEDGED, st);
    bgcopy_job_release(job); /* last reference: the engine stops here */
}

static void test_missing_source_is_fatal(void **state)
{
    bgcopy_manager *mgr;
    bgcopy_job *job;
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    bgcopy_error *err;
    bgcopy_error_context ctx;
    bgcopy_hr code;
    struct waiter w;
    char src[600], dst[600];

    init_waiter(&w);
    snprintf(src, sizeof(src), "%s/absent.bin", dir);
    snprintf(dst, sizeof(dst), "%s/never.bin", dir);

    assert_hr(BGCOPY_S_OK, fx_manager_open(NULL, &mgr));
    assert_hr(BGCOPY_S_OK,
              bgcopy_manager_create_job(mgr, "real3", BGCOPY_JOB_TYPE_DOWNLOAD, NULL, &job));
    assert_hr(BGCOPY_S_OK, bgcopy_job_add_file(job, src, dst));
    cb.job_error = on_error;
    assert_hr(BGCOPY_S_OK, bgcopy_job_set_notify_callbacks(job, &cb, &w));
    assert_hr(BGCOPY_S_OK, bgcopy_job_resume(job));
    wait_for(&w, &w.errors);
    assert_hr(BGCOPY_S_OK, bgcopy_job_get_error(job, &err));
    assert_hr(BGCOPY_S_OK, bgcopy_error_get_error(err, &ctx, &code));
    assert_int_equal(BGCOPY_ERROR_CONTEXT_REMOTE_FILE, ctx);
    assert_hr(0x80070002, code);
    bgcopy_error_release(err);
    assert_hr(BGCOPY_S_OK, bgcopy_job_cancel(job));
    bgcopy_job_release(job);
    bgcopy_manager_close(mgr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_copy_completes_on_notifier_thread),
        cmocka_unit_test(test_complete_inside_callback_then_close),
        cmocka_unit_test(test_missing_source_is_fatal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
