/* transfer.c - the download protocol of the emulated engine, independent of
 * the transport that moves the bytes.
 *
 * For each file in add order (reference §8.2):
 *   1. HEAD for the size and Last-Modified. A missing size is
 *      BG_E_MISSING_FILE_SIZE unless the job has dynamic content. If size or
 *      date differ from what the previous attempt saw, the file restarts
 *      from byte 0.
 *   2. Ranged GETs of at most 2 GiB each, written into BIT<hex>.tmp beside
 *      the destination. A 206 must carry the Content-Range asked for. A 200
 *      (the server ignored Range) is BG_E_INSUFFICIENT_RANGE_SUPPORT, except
 *      for a FOREGROUND job fetching a whole file under 2 GiB from byte 0,
 *      which accepts the full body.
 *   3. When every byte is in, the file is transferred (FileTransferred) and
 *      the next file starts; after the last one the job is TRANSFERRED.
 * A redirect followed under BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT makes the
 * final URL the file's remote name (reference §8.4). An entity that changes
 * between the HEAD and the GET more than MAX_ENTITY_CHANGES times in a row
 * (no byte written in between) is a transient BG_E_REMOTE_FILE_CHANGED, so a
 * server whose answers never agree is retried after the retry delay instead
 * of being asked HEAD + GET in a tight loop.
 * Failures are classified transient (TRANSIENT_ERROR, retried) or fatal
 * (ERROR) with the HRESULT and error context BITS reports.
 *
 * Runs on the engine thread with the lock held. Transport callbacks never
 * start a new request themselves: the next step runs from job->step_timer.
 */
#include <stdlib.h>
#include <string.h>

#include "core-int.h"

static void step_fn(struct bgcopy__engine *e, bgcopy__timer *t);

/* While a GET writes, every WRITEBACK_CHUNK bytes behind it are handed to the disk at once
 * (bgcopy__fs_start_writeback), so that Complete's fsync has little left to wait for. */
#define WRITEBACK_CHUNK ((uint64_t)8 << 20)

/* Restarts in a row of one file whose size or date differed between a HEAD and the GET after
 * it (say, load-balanced servers with different file dates) before the attempt fails. */
#define MAX_ENTITY_CHANGES 3

/* ---- classification (reference §4.4) ----------------------------------------------- */

int bgcopy__http_status_is_transient(int status)
{
    if (status >= 300 && status < 400)
        return !(status <= 305 || status == 307);
    if (status >= 400 && status < 500)
        return status == 408 || status == 409;
    if (status >= 500 && status < 600)
        return !(status == 501 || status == 505);
    return 1; /* 1xx, 2xx other than the expected ones, unknown codes */
}

int bgcopy__hr_is_transient(bgcopy_hr hr)
{
    if (BGCOPY_HR_IS_HTTP(hr))
        return bgcopy__http_status_is_transient((int)BGCOPY_HR_HTTP_STATUS(hr));
    switch (hr) {
    case BGCOPY_E_WINHTTP_TIMEOUT:
    case BGCOPY_E_WINHTTP_NAME_NOT_RESOLVED:
    case BGCOPY_E_WINHTTP_CANNOT_CONNECT:
    case BGCOPY_E_WINHTTP_CONNECTION_ERROR:
    case BGCOPY_E_WINHTTP_INVALID_SERVER_RESPONSE:
    case BGCOPY_E_WINHTTP_SECURE_FAILURE:
    case BGCOPY_E_WINHTTP_RESEND_REQUEST:
    case BGCOPY_E_WINHTTP_INTERNAL_ERROR:
    case BGCOPY_E_NETWORK_DISCONNECTED:
    case BGCOPY_E_CONNECT_FAILURE:
    case BGCOPY_E_CONNECTION_CLOSED:
    case BGCOPY_E_WIN32_CAN_NOT_COMPLETE:
    case BGCOPY_E_WIN32_BUSY:
    case BGCOPY_E_WIN32_LOCK_VIOLATION:
        return 1;
    default:
        return 0;
    }
}

/* ---- helpers ------------------------------------------------------------------------- */

static struct emu_file *next_unfinished(struct emu_job *job)
{
    uint32_t i;
    for (i = 0; i < job->file_count; i++)
        if (!job->files[i]->transferred)
            return job->files[i];
    return NULL;
}

static void close_fd(struct emu_job *job)
{
    if (job->xfer_fd >= 0) {
        bgcopy__fs_close(job->xfer_fd);
        job->xfer_fd = -1;
    }
}

/* Forgets the request in flight. Inside a transport callback the transport
 * ends the request itself (the callback's return value says stop). */
static void detach(struct emu_job *job)
{
    if (job->xfer && !job->in_sink)
        job->xfer_tp->abort(job->xfer_tp, job->xfer);
    job->xfer = NULL;
    job->xfer_tp = NULL;
    close_fd(job);
}

void bgcopy__transfer_abort(struct emu_job *job)
{
    detach(job);
    bgcopy__timer_disarm(job->engine, &job->step_timer);
    job->xfer_file = NULL;
}

static void schedule_step(struct emu_job *job, int head)
{
    job->xfer_head = head;
    bgcopy__timer_arm(job->engine, &job->step_timer, bgcopy__engine_now(job->engine));
}

/* Records a failure and moves the job to TRANSIENT_ERROR or ERROR. A
 * transient failure is fatal when NoProgressTimeout is 0, when the retry
 * delay exceeds it, or after it expired (reference §6). */
static void fail(struct emu_job *job, struct emu_file *file, bgcopy_hr hr, bgcopy_error_context ctx,
                 int transient)
{
    const char *protocol = NULL;
    if (file) {
        struct bgcopy__transport *tp = bgcopy__engine_transport_for(job->engine, file->remote);
        protocol = tp ? tp->protocol : NULL;
    }
    bgcopy__transfer_abort(job);
    bgcopy__job_set_error(job, file, hr, ctx, protocol);
    job->error_count++;
    if (transient && job->no_progress_timeout != 0 &&
        job->retry_delay <= job->no_progress_timeout && !job->no_progress_expired)
        bgcopy__job_apply(job, BGCOPY__EV_TRANSIENT);
    else
        bgcopy__job_apply(job, BGCOPY__EV_FATAL);
}

static void fail_hr(struct emu_job *job, struct emu_file *file, bgcopy_hr hr,
                    bgcopy_error_context ctx)
{
    fail(job, file, hr, ctx, bgcopy__hr_is_transient(hr));
}

/* An HTTP status that ends the attempt. 407 is a proxy's answer, not the file's: context
 * GENERAL_TRANSPORT, as for a proxy refusing CONNECT (backend-curl/http-error.c). */
static void fail_status(struct emu_job *job, struct emu_file *file, int status)
{
    fail(job, file, BGCOPY_E_HTTP_ERROR(status),
         status == 407 ? BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT : BGCOPY_ERROR_CONTEXT_REMOTE_FILE,
         bgcopy__http_status_is_transient(status));
}

static uint64_t range_len(const struct emu_file *f, uint32_t i)
{
    const bgcopy_file_range *r = &f->ranges[i];
    if (r->length != BGCOPY_LENGTH_TO_EOF)
        return r->length;
    return f->remote_size - r->initial_offset;
}

static uint64_t job_bytes_total(const struct emu_job *job)
{
    bgcopy_job_progress p;
    bgcopy__job_progress(job, &p);
    return p.bytes_total;
}

/* Resets a file to byte 0 (its remote size or date changed). */
static void restart_file(struct emu_file *f)
{
    f->bytes_transferred = 0;
    f->range_index = 0;
    f->range_done = 0;
    if (f->temp_exists) {
        bgcopy__act act;
        int fd;
        if (BGCOPY_SUCCEEDED(bgcopy__sys_act_begin(f->job->owner, 0, &act)) &&
            BGCOPY_SUCCEEDED(bgcopy__fs_open(f->temp, 1, &fd))) {
            (void)bgcopy__fs_truncate(fd, 0);
            bgcopy__fs_close(fd);
        }
        bgcopy__sys_act_end(&act);
    }
    (void)bgcopy__store_save_file(f->job, f);
}

/* Opens (creating on first use) the temp file of f, as the job's owner (a system-wide
 * service: core/sys.h). */
static bgcopy_hr open_temp(struct emu_job *job, struct emu_file *f)
{
    bgcopy__act act;
    bgcopy_hr hr = bgcopy__sys_act_begin(job->owner, 0, &act);
    int tries;

    if (BGCOPY_FAILED(hr))
        return hr;
    if (f->temp_exists) {
        hr = bgcopy__fs_open(f->temp, 1, &job->xfer_fd);
        bgcopy__sys_act_end(&act);
        return hr;
    }
    for (tries = 0; tries < 64; tries++) {
        /* Write-ahead: the store learns the name before the file exists, so a crash right
         * after the creation leaves a file the next open knows about, not an orphan. */
        f->temp_exists = 1;
        hr = bgcopy__store_save_file(job, f);
        if (BGCOPY_SUCCEEDED(hr))
            hr = bgcopy__fs_create_excl(f->temp, &job->xfer_fd);
        if (BGCOPY_FAILED(hr))
            f->temp_exists = 0;
        if (hr != BGCOPY_E_WIN32_FILE_EXISTS)
            break;
        bgcopy__temp_name_draw(f->temp); /* name taken: draw another */
    }
    bgcopy__sys_act_end(&act);
    return hr;
}

/* ---- steps -------------------------------------------------------------------------------- */

static const struct bgcopy__xfer_sink sink;

static void start_request(struct emu_job *job, struct emu_file *f, int head)
{
    struct bgcopy__engine *e = job->engine;
    struct bgcopy__xfer_request req;
    struct bgcopy__transport *tp = bgcopy__engine_transport_for(e, f->remote);
    bgcopy_hr hr;

    memset(&req, 0, sizeof(req));
    req.url = f->remote;
    req.head = head;
    req.job = job;
    job->xfer_file = f;
    job->xfer_head = head;
    job->xfer_got = 0;
    job->xfer_full_body = 0;
    job->xfer_fd = -1;
    if (tp == NULL) {
        fail(job, f, BGCOPY_E_WINHTTP_UNRECOGNIZED_SCHEME, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, 0);
        return;
    }
    if (!head && !job->dynamic_content) {
        uint64_t first, last;
        if (f->range_count) {
            const bgcopy_file_range *r = &f->ranges[f->range_index];
            first = r->initial_offset + f->range_done;
            last = r->initial_offset + range_len(f, f->range_index) - 1;
        } else if (f->remote_size == BGCOPY_SIZE_UNKNOWN) {
            /* The server refused HEAD: this first ranged GET learns the size
             * from Content-Range (reference §8.2, "HEAD or first GET"). */
            first = f->bytes_transferred;
            last = first + BGCOPY__MAX_RANGE_REQUEST - 1;
        } else {
            first = f->bytes_transferred;
            last = f->remote_size - 1;
        }
        if (last - first + 1 > BGCOPY__MAX_RANGE_REQUEST)
            last = first + BGCOPY__MAX_RANGE_REQUEST - 1;
        req.has_range = 1;
        req.first = first;
        req.last = last;
        job->xfer_offset = f->bytes_transferred;
        job->xfer_expect =
            f->remote_size == BGCOPY_SIZE_UNKNOWN ? BGCOPY_SIZE_UNKNOWN : last - first + 1;
    } else if (!head) {
        /* Dynamic content: no range, always from byte 0 (reference §8.3). */
        restart_file(f);
        job->xfer_offset = 0;
        job->xfer_expect = BGCOPY_SIZE_UNKNOWN;
    }
    job->xfer_tp = tp;
    hr = tp->start(tp, e, &req, &sink, job, &job->xfer);
    if (BGCOPY_FAILED(hr)) {
        job->xfer = NULL;
        fail_hr(job, f, hr, BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT);
    }
}

/* The current file has every byte. */
static void file_done(struct emu_job *job, struct emu_file *f)
{
    detach(job);
    f->transferred = 1;
    if (f->bytes_total == BGCOPY_SIZE_UNKNOWN)
        f->bytes_total = f->bytes_transferred;
    (void)bgcopy__store_save_file(job, f);
    bgcopy__notify_event(job, BGCOPY__NOTE_FILE_TRANSFERRED, f);
    bgcopy__notify_modified(job);
    schedule_step(job, 1);
}

static void step_fn(struct bgcopy__engine *e, bgcopy__timer *t)
{
    struct emu_job *job = t->data;
    struct emu_file *f;

    if (!bgcopy__job_state_is_active(job->state) || job->xfer)
        return;
    f = next_unfinished(job);
    if (f == NULL) {
        job->xfer_file = NULL;
        /* Nothing was left to fetch: CONNECTING still succeeds into TRANSFERRING first
         * (reference §1.4 has no CONNECTING -> TRANSFERRED transition). */
        if (job->state == BGCOPY_JOB_STATE_CONNECTING)
            bgcopy__job_apply(job, BGCOPY__EV_CONNECTED);
        bgcopy__job_apply(job, BGCOPY__EV_ALL_DONE);
        return;
    }
    if (job->dynamic_content) {
        start_request(job, f, 0);
        return;
    }
    if (job->xfer_head || f != job->xfer_file) {
        start_request(job, f, 1);
        return;
    }
    if (f->bytes_transferred >= f->bytes_total) {
        file_done(job, f);
        return;
    }
    start_request(job, f, 0);
}

void bgcopy__transfer_start(struct emu_job *job)
{
    job->xfer_fd = -1;
    if (job->step_timer.fn == NULL)
        bgcopy__timer_init(&job->step_timer, step_fn, job, 1);
    schedule_step(job, 1);
}

/* ---- transport callbacks -------------------------------------------------------------- */

/* HEAD answered: learn size and date; restart the file if they changed. */
static int on_head(struct emu_job *job, struct emu_file *f, const struct bgcopy__xfer_response *r)
{
    uint64_t total;
    uint32_t i;

    if ((r->status == 405 || r->status == 501) && f->range_count == 0) {
        /* HEAD not supported: the first ranged GET will tell the size. */
        f->remote_size = BGCOPY_SIZE_UNKNOWN;
        return 0;
    }
    if (r->status != 200) {
        detach(job);
        fail_status(job, f, r->status);
        return 1;
    }
    if (r->content_length == BGCOPY_SIZE_UNKNOWN) {
        detach(job);
        fail(job, f, BGCOPY_E_MISSING_FILE_SIZE, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, 0);
        return 1;
    }
    if (f->remote_size != BGCOPY_SIZE_UNKNOWN &&
        (f->remote_size != r->content_length || f->remote_mtime_us != r->last_modified_us))
        restart_file(f);
    f->remote_size = r->content_length;
    f->remote_mtime_us = r->last_modified_us;
    if (f->range_count) {
        total = 0;
        for (i = 0; i < f->range_count; i++) {
            const bgcopy_file_range *rg = &f->ranges[i];
            if (rg->initial_offset >= f->remote_size ||
                (rg->length != BGCOPY_LENGTH_TO_EOF &&
                 rg->length > f->remote_size - rg->initial_offset)) {
                detach(job);
                fail(job, f, BGCOPY_E_INVALID_RANGE, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, 0);
                return 1;
            }
            total += range_len(f, i);
        }
        f->bytes_total = total;
    } else {
        f->bytes_total = f->remote_size;
    }
    if (job->max_download_size && job_bytes_total(job) != BGCOPY_SIZE_UNKNOWN &&
        job_bytes_total(job) > job->max_download_size) {
        detach(job);
        fail(job, f, BGCOPY_E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, 0);
        return 1;
    }
    bgcopy__notify_modified(job);
    return 0;
}

/* Answer to the size-probing GET (the server refused HEAD): a 206 gives
 * the size in its Content-Range; a 200 means Range was ignored, and its
 * Content-Length (if any) gives the size. Returns 1 when the request stops. */
static int on_probe(struct emu_job *job, struct emu_file *f, const struct bgcopy__xfer_response *r)
{
    bgcopy_hr fatal = BGCOPY_S_OK;

    if (r->status == 206) {
        if (!r->has_content_range || r->cr_total == BGCOPY_SIZE_UNKNOWN)
            fatal = BGCOPY_E_MISSING_FILE_SIZE;
        else if (r->cr_first != job->xfer_offset || r->cr_last < r->cr_first ||
                 r->cr_last >= r->cr_total)
            fatal = BGCOPY_E_INVALID_SERVER_RESPONSE;
        if (fatal == BGCOPY_S_OK && f->bytes_transferred > 0 &&
            (f->bytes_total != r->cr_total || f->remote_mtime_us != r->last_modified_us)) {
            /* Resuming, but the entity changed: start the file over. */
            detach(job);
            restart_file(f);
            schedule_step(job, 1);
            return 1;
        }
        if (fatal == BGCOPY_S_OK) {
            f->remote_size = r->cr_total;
            f->bytes_total = r->cr_total;
            job->xfer_expect = r->cr_last - r->cr_first + 1;
        }
    } else if (r->status == 200) {
        if (r->content_length != BGCOPY_SIZE_UNKNOWN)
            f->bytes_total = r->content_length;
        if (r->content_length != BGCOPY_SIZE_UNKNOWN &&
            job->priority == BGCOPY_JOB_PRIORITY_FOREGROUND &&
            r->content_length < BGCOPY__MAX_RANGE_REQUEST && f->bytes_transferred == 0) {
            f->remote_size = r->content_length;
            job->xfer_full_body = 1;
            job->xfer_offset = 0;
            job->xfer_expect = r->content_length;
        } else {
            fatal = BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT;
        }
    } else {
        detach(job);
        fail_status(job, f, r->status);
        return 1;
    }
    if (fatal != BGCOPY_S_OK) {
        detach(job);
        fail(job, f, fatal, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, 0);
        return 1;
    }
    f->remote_mtime_us = r->last_modified_us;
    bgcopy__notify_modified(job);
    return 0;
}

static int on_get(struct emu_job *job, struct emu_file *f, const struct bgcopy__xfer_response *r)
{
    bgcopy_hr hr;

    if (job->dynamic_content) {
        if (r->status != 200) {
            detach(job);
            fail_status(job, f, r->status);
            return 1;
        }
        f->bytes_total = r->content_length;
    } else if (job->xfer_expect == BGCOPY_SIZE_UNKNOWN) {
        if (on_probe(job, f, r))
            return 1;
    } else if ((r->status == 206 || r->status == 416) &&
               ((r->cr_total != BGCOPY_SIZE_UNKNOWN && r->cr_total != f->remote_size) ||
                (r->last_modified_us != INT64_MIN && r->last_modified_us != f->remote_mtime_us))) {
        /* The entity changed since the HEAD (size or date): start the file over
         * (reference §8.2). Checked before the range itself, which no longer
         * matches when the entity shrank. */
        detach(job);
        restart_file(f);
        f->remote_size = BGCOPY_SIZE_UNKNOWN;
        if (++f->entity_changes > MAX_ENTITY_CHANGES) {
            f->entity_changes = 0;
            fail(job, f, BGCOPY_E_REMOTE_FILE_CHANGED, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, 1);
            return 1;
        }
        schedule_step(job, 1);
        return 1;
    } else if (r->status == 206) {
        uint64_t first = job->xfer_offset, last;
        if (f->range_count)
            first = f->ranges[f->range_index].initial_offset + f->range_done;
        last = first + job->xfer_expect - 1;
        if (!r->has_content_range || r->cr_first != first || r->cr_last != last ||
            (r->content_length != BGCOPY_SIZE_UNKNOWN && r->content_length != job->xfer_expect)) {
            detach(job);
            fail(job, f, BGCOPY_E_INVALID_SERVER_RESPONSE, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, 0);
            return 1;
        }
    } else if (r->status == 200) {
        /* The server ignored Range. */
        if (f->range_count == 0 && job->priority == BGCOPY_JOB_PRIORITY_FOREGROUND &&
            f->remote_size < BGCOPY__MAX_RANGE_REQUEST && f->bytes_transferred == 0 &&
            (r->content_length == BGCOPY_SIZE_UNKNOWN || r->content_length == f->remote_size)) {
            job->xfer_full_body = 1;
            job->xfer_offset = 0;
            job->xfer_expect = f->remote_size;
        } else {
            detach(job);
            fail(job, f, BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, 0);
            return 1;
        }
    } else if (r->status == 416 && f->range_count) {
        detach(job);
        fail(job, f, BGCOPY_E_INVALID_RANGE, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, 0);
        return 1;
    } else {
        detach(job);
        fail_status(job, f, r->status >= 200 && r->status < 300 ? 200 : r->status);
        return 1;
    }
    if (job->state == BGCOPY_JOB_STATE_CONNECTING)
        bgcopy__job_apply(job, BGCOPY__EV_CONNECTED);
    hr = open_temp(job, f);
    if (BGCOPY_FAILED(hr)) {
        detach(job);
        fail(job, f, hr, BGCOPY_ERROR_CONTEXT_LOCAL_FILE, 0);
        return 1;
    }
    return 0;
}

/* A redirect was followed under BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT: the file's remote name
 * becomes the final URL (reference §8.4). Other policies keep the name. A final URL that is
 * not a valid http(s) remote name, or no memory for it, leaves the name unchanged. */
static void adopt_final_url(struct emu_job *job, struct emu_file *f, const char *final_url)
{
    int kind = 0;
    char *copy;

    if ((job->security_flags & BGCOPY_HTTP_REDIRECT_POLICY_MASK) !=
            BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_REPORT ||
        strcmp(final_url, f->remote) == 0 ||
        BGCOPY_FAILED(bgcopy__validate_remote(final_url, &kind)) || kind != BGCOPY__URL_HTTP)
        return;
    copy = bgcopy__strdup(final_url);
    if (copy == NULL)
        return;
    free(f->remote);
    f->remote = copy;
    bgcopy__notify_modified(job);
}

static int sink_response(void *ctx, const struct bgcopy__xfer_response *r)
{
    struct emu_job *job = ctx;
    struct emu_file *f = job->xfer_file;
    int stop;

    if (r->final_url != NULL)
        adopt_final_url(job, f, r->final_url);
    job->in_sink = 1;
    stop = job->xfer_head ? on_head(job, f, r) : on_get(job, f, r);
    job->in_sink = 0;
    return stop;
}

static bgcopy_hr sink_data(void *ctx, const void *data, size_t len)
{
    struct emu_job *job = ctx;
    struct emu_file *f = job->xfer_file;
    uint64_t at = job->xfer_offset + job->xfer_got;
    bgcopy_hr hr;

    job->in_sink = 1;
    if (job->xfer_head || len == 0) {
        job->in_sink = 0;
        return BGCOPY_S_OK;
    }
    if (job->xfer_expect != BGCOPY_SIZE_UNKNOWN && job->xfer_got + len > job->xfer_expect) {
        /* More body than announced: keep nothing past the range. */
        detach(job);
        fail(job, f, BGCOPY_E_INVALID_SERVER_RESPONSE, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, 0);
        job->in_sink = 0;
        return BGCOPY_E_INVALID_SERVER_RESPONSE;
    }
    hr = data ? bgcopy__fs_pwrite(job->xfer_fd, data, len, at)
              : bgcopy__fs_write_zeros(job->xfer_fd, at, len);
    if (BGCOPY_FAILED(hr)) {
        detach(job);
        fail(job, f, hr, BGCOPY_ERROR_CONTEXT_LOCAL_FILE, 0);
        job->in_sink = 0;
        return hr;
    }
    if ((job->xfer_got + len) / WRITEBACK_CHUNK != job->xfer_got / WRITEBACK_CHUNK) {
        uint64_t from = job->xfer_got / WRITEBACK_CHUNK * WRITEBACK_CHUNK;
        uint64_t to = (job->xfer_got + len) / WRITEBACK_CHUNK * WRITEBACK_CHUNK;
        bgcopy__fs_start_writeback(job->xfer_fd, job->xfer_offset + from, to - from);
    }
    job->xfer_got += len;
    f->bytes_transferred += len;
    f->entity_changes = 0;
    if (f->range_count)
        f->range_done += len;
    bgcopy__timers_progress(job);
    bgcopy__job_touch(job);
    bgcopy__store_progress(job, f, len);
    bgcopy__notify_modified(job);
    if (job->max_download_size && bgcopy__job_state_is_active(job->state)) {
        bgcopy_job_progress p;
        bgcopy__job_progress(job, &p);
        if (p.bytes_transferred > job->max_download_size) {
            detach(job);
            fail(job, f, BGCOPY_E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED, BGCOPY_ERROR_CONTEXT_REMOTE_FILE,
                 0);
            job->in_sink = 0;
            return BGCOPY_E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED;
        }
    }
    job->in_sink = 0;
    return BGCOPY_S_OK;
}

static void sink_done(void *ctx, bgcopy_hr hr, bgcopy_error_context ectx)
{
    struct emu_job *job = ctx;
    struct emu_file *f = job->xfer_file;

    job->in_sink = 1;
    job->xfer = NULL;
    close_fd(job);
    if (BGCOPY_FAILED(hr)) {
        fail_hr(job, f, hr, ectx);
    } else if (job->xfer_head) {
        /* Size known: a zero-length file needs no GET. */
        if (f->bytes_total == 0) {
            if (!f->temp_exists && BGCOPY_SUCCEEDED(open_temp(job, f)))
                close_fd(job);
            if (job->state == BGCOPY_JOB_STATE_CONNECTING)
                bgcopy__job_apply(job, BGCOPY__EV_CONNECTED);
            file_done(job, f);
        } else {
            schedule_step(job, 0);
        }
    } else if (job->dynamic_content) {
        f->bytes_total = f->bytes_transferred;
        file_done(job, f);
    } else if (job->xfer_got < job->xfer_expect) {
        /* The body ended early: the connection was lost. */
        fail(job, f, BGCOPY_E_WINHTTP_CONNECTION_ERROR, BGCOPY_ERROR_CONTEXT_REMOTE_FILE, 1);
    } else {
        if (f->range_count && f->range_done >= range_len(f, f->range_index)) {
            f->range_index++;
            f->range_done = 0;
        }
        if (f->bytes_transferred >= f->bytes_total)
            file_done(job, f);
        else
            schedule_step(job, 0);
    }
    job->in_sink = 0;
}

static const struct bgcopy__xfer_sink sink = {sink_response, sink_data, sink_done};
