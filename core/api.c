/* core/api.c - the public entry points of the manager, job, file, error and enumerator objects.
 *
 * Every function checks its arguments the way BITS does (NULL objects and outputs, undefined
 * enumeration values, string lengths, names) and returns BITS' HRESULT for a bad call; valid
 * calls are dispatched through the engine table of the object (struct bgcopy__engine_ops), so
 * an engine only ever sees validated arguments. Nothing here knows an engine's state or takes
 * its lock: error objects are read directly because their fields never change, and the
 * enumerators are plain snapshots implemented fully here. Pointer outputs (strings, objects)
 * are cleared first, so a failed call never leaves a stale pointer behind.
 *
 * Threads: every function may be called from any thread; thread safety of job, file and
 * manager calls is the engine's. An enumerator must not be used by two threads at once.
 */
#include <stdlib.h>
#include <string.h>

#include "core-int.h"

/* Largest `size` accepted for a versioned options struct: anything beyond is taken to be an
 * uninitialised field rather than a newer header's larger struct. */
#define SIZE_FIELD_MAX 4096u

/* Security flags SetSecurityFlags accepts: the SSL bits, the redirect policy, HTTPS->HTTP. */
#define SECURITY_FLAGS_VALID                                                         \
    (BGCOPY_SSL_ENABLE_CRL_CHECK | BGCOPY_SSL_IGNORE_CERT_CN_INVALID |               \
     BGCOPY_SSL_IGNORE_CERT_DATE_INVALID | BGCOPY_SSL_IGNORE_UNKNOWN_CA |            \
     BGCOPY_SSL_IGNORE_CERT_WRONG_USAGE | BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_REPORT | \
     BGCOPY_HTTP_REDIRECT_POLICY_DISALLOW | BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP)

/* ---- shared helpers ------------------------------------------------------------ */

/* Copies a caller's versioned struct (whose first member is its size_t size) into a zeroed,
 * full-size dst: min(size, dst_size) bytes, then sets dst's size to dst_size. Errors:
 * E_INVALIDARG when the caller's size is below min_size or above SIZE_FIELD_MAX. */
static bgcopy_hr copy_versioned(const void *src, void *dst, size_t dst_size, size_t min_size)
{
    size_t size;

    memcpy(&size, src, sizeof(size));
    if (size < min_size || size > SIZE_FIELD_MAX) {
        return BGCOPY_E_INVALIDARG;
    }
    memset(dst, 0, dst_size);
    memcpy(dst, src, size < dst_size ? size : dst_size);
    memcpy(dst, &dst_size, sizeof(dst_size));
    return BGCOPY_S_OK;
}

/* How every getter that hands out a string starts: *out is cleared when out is given; returns
 * 1 when the object and out are both present (else the call fails with E_INVALIDARG). */
static int string_out_ok(const void *object, char **out)
{
    if (out != NULL) {
        *out = NULL;
    }
    return object != NULL && out != NULL;
}

/* The GetErrorDescription pattern: E_INVALIDARG when object or text is NULL or language_id is
 * 0; else a copy of message (E_OUTOFMEMORY). */
static bgcopy_hr describe(const void *object, uint32_t language_id, const char *message,
                          char **text)
{
    if (!string_out_ok(object, text) || language_id == 0) {
        return BGCOPY_E_INVALIDARG;
    }
    return bgcopy__dup_out(message, text);
}

/* too_long when s (if given) is longer than max characters, else S_OK. */
static bgcopy_hr check_length(const char *s, size_t max, bgcopy_hr too_long)
{
    return s != NULL && bgcopy__utf8_len(s) > max ? too_long : BGCOPY_S_OK;
}

/* ---- manager ---------------------------------------------------------------------- */

/* Detail of the calling thread's last failed bgcopy_manager_open. */
static _Thread_local char open_detail[512];

void bgcopy__set_open_detail(const char *text)
{
    size_t n = text != NULL ? strlen(text) : 0;
    if (n >= sizeof(open_detail))
        n = sizeof(open_detail) - 1;
    if (n > 0)
        memcpy(open_detail, text, n);
    open_detail[n] = '\0';
}

const char *bgcopy_manager_open_detail(void)
{
    return open_detail;
}

bgcopy_hr bgcopy_manager_open(const bgcopy_manager_options *options, bgcopy_manager **out)
{
    bgcopy_manager_options o;
    struct bgcopy__engine *e;
    bgcopy_manager *mgr = NULL;
    bgcopy_hr hr = BGCOPY_S_OK;

    if (out == NULL) {
        return BGCOPY_E_POINTER;
    }
    *out = NULL;
    open_detail[0] = '\0';
    if (options == NULL) {
        memset(&o, 0, sizeof(o));
        o.size = sizeof(o);
    } else {
        hr = copy_versioned(options, &o, sizeof(o),
                            offsetof(bgcopy_manager_options, engine) + sizeof(o.engine));
        if (BGCOPY_FAILED(hr)) {
            return hr;
        }
    }
    /* MaxInternetBandwidth policy: an on/off switch and whole hours of the day. */
    if ((o.bandwidth_policy != 0 && o.bandwidth_policy != 1) || o.bandwidth_start_hour > 23 ||
        o.bandwidth_end_hour > 23) {
        return BGCOPY_E_INVALIDARG;
    }
    switch (o.engine) {
    case BGCOPY_ENGINE_DEFAULT:
#ifdef BGCOPY__HAVE_NATIVE
        if (o.sim == NULL) {
            return bgcopy__native_open(&o, out); /* real BITS is the default where it exists */
        }
#endif
        break;
    case BGCOPY_ENGINE_EMULATED:
        break;
    case BGCOPY_ENGINE_NATIVE:
#ifdef BGCOPY__HAVE_NATIVE
        return bgcopy__native_open(&o, out);
#else
        return BGCOPY_E_NOTIMPL; /* no BITS on this platform */
#endif
    case BGCOPY_ENGINE_SERVICE:
        /* bgcopyd (service/client.c). A simulation stays in-process. */
        if (o.sim != NULL || (o.user != NULL && o.user[0] == '\0') ||
            (o.state_dir != NULL && o.state_dir[0] == '\0')) {
            return BGCOPY_E_INVALIDARG;
        }
#if defined(_WIN32)
        return BGCOPY_E_NOTIMPL;
#else
        return bgcopy__svc_open(&o, out);
#endif
    default:
        return BGCOPY_E_INVALIDARG;
    }
    if ((o.user != NULL && o.user[0] == '\0') || (o.state_dir != NULL && o.state_dir[0] == '\0')) {
        return BGCOPY_E_INVALIDARG;
    }

    hr = BGCOPY_E_OUTOFMEMORY;
    if (o.sim != NULL) {
        e = bgcopy__sim_engine(o.sim, &o, &hr);
    } else {
        e = bgcopy__engine_shared(&o, &hr);
    }
    if (e == NULL) {
        return BGCOPY_FAILED(hr) ? hr : BGCOPY_E_OUTOFMEMORY;
    }
    mgr = bgcopy__calloc(1, sizeof(*mgr));
    if (mgr == NULL) {
        goto oom;
    }
    mgr->user = o.user != NULL ? bgcopy__strdup(o.user) : bgcopy__sys_user_name();
    if (mgr->user == NULL) {
        goto oom;
    }
    mgr->ops = &bgcopy__emu_ops;
    mgr->engine = e;
    mgr->is_admin = o.user_is_admin != 0;
    *out = mgr;
    return BGCOPY_S_OK;

oom:
    free(mgr);
    bgcopy__engine_release(e);
    return BGCOPY_E_OUTOFMEMORY;
}

void bgcopy_manager_close(bgcopy_manager *mgr)
{
    if (mgr != NULL) {
        mgr->ops->close(mgr);
    }
}

bgcopy_hr bgcopy_manager_create_job(bgcopy_manager *mgr, const char *display_name,
                                    bgcopy_job_type type, bgcopy_guid *id, bgcopy_job **job)
{
    if (job != NULL) {
        *job = NULL;
    }
    if (mgr == NULL || display_name == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    if (bgcopy__utf8_len(display_name) > BGCOPY__MAX_DISPLAY_NAME) {
        return BGCOPY_E_STRING_TOO_LONG;
    }
    if ((unsigned)type > BGCOPY_JOB_TYPE_UPLOAD_REPLY) {
        return BGCOPY_E_INVALIDARG;
    }
    return mgr->ops->create_job(mgr, display_name, type, id, job);
}

bgcopy_hr bgcopy_manager_get_job(bgcopy_manager *mgr, const bgcopy_guid *id, bgcopy_job **out)
{
    if (out != NULL) {
        *out = NULL;
    }
    if (mgr == NULL || id == NULL || out == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    return mgr->ops->get_job(mgr, id, out);
}

bgcopy_hr bgcopy_manager_enum_jobs(bgcopy_manager *mgr, uint32_t flags, bgcopy_job_enum **out)
{
    if (out != NULL) {
        *out = NULL;
    }
    if (mgr == NULL || out == NULL || (flags & ~BGCOPY_JOB_ENUM_ALL_USERS) != 0) {
        return BGCOPY_E_INVALIDARG;
    }
    return mgr->ops->enum_jobs(mgr, flags, out);
}

bgcopy_hr bgcopy_manager_get_error_description(bgcopy_manager *mgr, bgcopy_hr hr,
                                               uint32_t language_id, char **text)
{
    if (mgr != NULL && mgr->ops->describe_hr != NULL) {
        if (!string_out_ok(mgr, text) || language_id == 0) {
            return BGCOPY_E_INVALIDARG;
        }
        return mgr->ops->describe_hr(mgr, hr, language_id, text);
    }
    return describe(mgr, language_id, bgcopy_hr_message(hr), text);
}

const char *bgcopy_manager_user(const bgcopy_manager *mgr)
{
    return mgr != NULL ? mgr->user : NULL;
}

/* ---- enumerators ---------------------------------------------------------------------
 * Both enumerator types are snapshots {refs, items, count, pos} that differ only in the type of
 * their items. Each operation is written once, over an enum_view of either type; what needs
 * the item type (the items' engine tables, the clone's item array) goes through the small
 * adapters below. */

/* Adds or drops a reference on items[i] of an enumerator's item array. */
typedef void (*item_fn)(const void *items, uint32_t i);

/* One enumerator seen independently of its item type. */
struct enum_view {
    void *self;          /* the enumerator; NULL when the caller passed NULL */
    size_t size;         /* sizeof(*self) */
    volatile long *refs; /* &self->refs */
    const void *items;   /* self->items: count object pointers of elem bytes each */
    uint32_t count;
    uint32_t *pos; /* &self->pos */
    size_t elem;
    item_fn addref;
    item_fn release;
    void (*adopt)(void *clone, void *items); /* clone->items = items */
};

/* The view of enumerator e (a plain variable) with its item adapters. */
#define ENUM_VIEW(e, addref, release, adopt)                                                 \
    ((e) == NULL ? (struct enum_view){0}                                                     \
                 : (struct enum_view){(e), sizeof(*(e)), &(e)->refs, (e)->items, (e)->count, \
                                      &(e)->pos, sizeof(*(e)->items), addref, release, adopt})
#define JOB_VIEW(e)  ENUM_VIEW(e, job_item_addref, job_item_release, job_enum_adopt)
#define FILE_VIEW(e) ENUM_VIEW(e, file_item_addref, file_item_release, file_enum_adopt)

static bgcopy_job *job_at(const void *items, uint32_t i)
{
    return ((bgcopy_job *const *)items)[i];
}

static void job_item_addref(const void *items, uint32_t i)
{
    job_at(items, i)->ops->job_addref(job_at(items, i));
}

static void job_item_release(const void *items, uint32_t i)
{
    job_at(items, i)->ops->job_release(job_at(items, i));
}

static void job_enum_adopt(void *clone, void *items)
{
    ((bgcopy_job_enum *)clone)->items = items;
}

static bgcopy_file *file_at(const void *items, uint32_t i)
{
    return ((bgcopy_file *const *)items)[i];
}

static void file_item_addref(const void *items, uint32_t i)
{
    file_at(items, i)->ops->file_addref(file_at(items, i));
}

static void file_item_release(const void *items, uint32_t i)
{
    file_at(items, i)->ops->file_release(file_at(items, i));
}

static void file_enum_adopt(void *clone, void *items)
{
    ((bgcopy_file_enum *)clone)->items = items;
}

static void each_item(const void *items, uint32_t n, item_fn fn)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        fn(items, i);
    }
}

/* Next: copies up to `want` items from the cursor into dst, each with a new reference, and
 * advances the cursor. S_OK when `want` items were copied, S_FALSE when fewer remained.
 * Errors: E_INVALIDARG (NULL enumerator or dst; fetched NULL with want != 1). */
static bgcopy_hr enum_next(struct enum_view v, uint32_t want, void *dst, uint32_t *fetched)
{
    uint32_t n;

    if (fetched != NULL) {
        *fetched = 0;
    }
    if (v.self == NULL || dst == NULL || (fetched == NULL && want != 1)) {
        return BGCOPY_E_INVALIDARG;
    }
    n = v.count - *v.pos;
    n = want < n ? want : n;
    if (n > 0) {
        memcpy(dst, (const char *)v.items + (size_t)*v.pos * v.elem, (size_t)n * v.elem);
        each_item(dst, n, v.addref);
    }
    *v.pos += n;
    if (fetched != NULL) {
        *fetched = n;
    }
    return n == want ? BGCOPY_S_OK : BGCOPY_S_FALSE;
}

/* Skip: moves the cursor n items on; S_FALSE (cursor at the end) when fewer remained. */
static bgcopy_hr enum_skip(struct enum_view v, uint32_t n)
{
    if (v.self == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    if (n > v.count - *v.pos) {
        *v.pos = v.count;
        return BGCOPY_S_FALSE;
    }
    *v.pos += n;
    return BGCOPY_S_OK;
}

static bgcopy_hr enum_reset(struct enum_view v)
{
    if (v.self == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    *v.pos = 0;
    return BGCOPY_S_OK;
}

static bgcopy_hr enum_get_count(struct enum_view v, uint32_t *count)
{
    if (v.self == NULL || count == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    *count = v.count;
    return BGCOPY_S_OK;
}

/* Clone: a new enumerator (refs 1) with the same items, each with a new reference, and the
 * same cursor. Returns it, or NULL with *hr E_INVALIDARG (NULL enumerator or out) or
 * E_OUTOFMEMORY. */
static void *enum_clone(struct enum_view v, const void *out, bgcopy_hr *hr)
{
    void *clone, *items = NULL;

    *hr = BGCOPY_E_INVALIDARG;
    if (v.self == NULL || out == NULL) {
        return NULL;
    }
    *hr = BGCOPY_E_OUTOFMEMORY;
    clone = malloc(v.size);
    if (clone == NULL) {
        return NULL;
    }
    if (v.count > 0) {
        items = bgcopy__calloc(v.count, v.elem);
        if (items == NULL) {
            free(clone);
            return NULL;
        }
        memcpy(items, v.items, (size_t)v.count * v.elem);
        each_item(items, v.count, v.addref);
    }
    memcpy(clone, v.self, v.size); /* count and cursor */
    v.adopt(clone, items);
    *(volatile long *)((char *)clone + ((const char *)v.refs - (const char *)v.self)) = 1;
    *hr = BGCOPY_S_OK;
    return clone;
}

/* Release: drops a reference; the last one releases every item and frees the enumerator. */
static void enum_release(struct enum_view v)
{
    if (v.self == NULL || bgcopy__atomic_dec(v.refs) != 0) {
        return;
    }
    each_item(v.items, v.count, v.release);
    free((void *)v.items);
    free(v.self);
}

bgcopy_hr bgcopy_job_enum_next(bgcopy_job_enum *e, uint32_t count, bgcopy_job **jobs,
                               uint32_t *fetched)
{
    return enum_next(JOB_VIEW(e), count, jobs, fetched);
}

bgcopy_hr bgcopy_file_enum_next(bgcopy_file_enum *e, uint32_t count, bgcopy_file **files,
                                uint32_t *fetched)
{
    return enum_next(FILE_VIEW(e), count, files, fetched);
}

bgcopy_hr bgcopy_job_enum_skip(bgcopy_job_enum *e, uint32_t count)
{
    return enum_skip(JOB_VIEW(e), count);
}

bgcopy_hr bgcopy_file_enum_skip(bgcopy_file_enum *e, uint32_t count)
{
    return enum_skip(FILE_VIEW(e), count);
}

bgcopy_hr bgcopy_job_enum_reset(bgcopy_job_enum *e)
{
    return enum_reset(JOB_VIEW(e));
}

bgcopy_hr bgcopy_file_enum_reset(bgcopy_file_enum *e)
{
    return enum_reset(FILE_VIEW(e));
}

bgcopy_hr bgcopy_job_enum_get_count(bgcopy_job_enum *e, uint32_t *count)
{
    return enum_get_count(JOB_VIEW(e), count);
}

bgcopy_hr bgcopy_file_enum_get_count(bgcopy_file_enum *e, uint32_t *count)
{
    return enum_get_count(FILE_VIEW(e), count);
}

bgcopy_hr bgcopy_job_enum_clone(bgcopy_job_enum *e, bgcopy_job_enum **out)
{
    bgcopy_hr hr;
    bgcopy_job_enum *c = enum_clone(JOB_VIEW(e), out, &hr);

    if (out != NULL) {
        *out = c;
    }
    return hr;
}

void bgcopy_job_enum_release(bgcopy_job_enum *e)
{
    enum_release(JOB_VIEW(e));
}

bgcopy_hr bgcopy_file_enum_clone(bgcopy_file_enum *e, bgcopy_file_enum **out)
{
    bgcopy_hr hr;
    bgcopy_file_enum *c = enum_clone(FILE_VIEW(e), out, &hr);

    if (out != NULL) {
        *out = c;
    }
    return hr;
}

void bgcopy_file_enum_release(bgcopy_file_enum *e)
{
    enum_release(FILE_VIEW(e));
}

/* ---- job: lifetime, files, control ------------------------------------------------------ */

void bgcopy_job_addref(bgcopy_job *job)
{
    if (job != NULL) {
        job->ops->job_addref(job);
    }
}

void bgcopy_job_release(bgcopy_job *job)
{
    if (job != NULL) {
        job->ops->job_release(job);
    }
}

/* The name checks of AddFile for one file. An engine whose BITS judges names itself only gets
 * them refused when NULL. */
static bgcopy_hr check_file_info(const bgcopy_job *job, const bgcopy_file_info *f)
{
    bgcopy_hr hr;

    if (job->ops->os_checks_names) {
        return f->remote_name == NULL || f->local_name == NULL ? BGCOPY_E_INVALIDARG : BGCOPY_S_OK;
    }
    hr = bgcopy__validate_remote(f->remote_name, NULL);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    return bgcopy__validate_local(f->local_name);
}

bgcopy_hr bgcopy_job_add_file(bgcopy_job *job, const char *remote_url, const char *local_name)
{
    bgcopy_file_info info;

    info.remote_name = remote_url;
    info.local_name = local_name;
    return bgcopy_job_add_file_set(job, 1, &info);
}

/* All or nothing: every entry is validated before the engine sees any. count 0 with a non-NULL
 * array adds nothing and returns S_OK. */
bgcopy_hr bgcopy_job_add_file_set(bgcopy_job *job, uint32_t count, const bgcopy_file_info *files)
{
    uint32_t i;
    bgcopy_hr hr;

    if (job == NULL || files == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    if (count == 0) {
        return BGCOPY_S_OK;
    }
    for (i = 0; i < count; i++) {
        hr = check_file_info(job, &files[i]);
        if (BGCOPY_FAILED(hr)) {
            return hr;
        }
    }
    return job->ops->add_files(job, count, files, 0, NULL);
}

static int range_cmp(const void *a, const void *b)
{
    const bgcopy_file_range *x = a, *y = b;

    return x->initial_offset < y->initial_offset ? -1 : x->initial_offset > y->initial_offset;
}

/* BG_FILE_RANGE checks of AddFileWithRanges, in this order: any zero length -> E_INVALIDARG;
 * an offset of BGCOPY_LENGTH_TO_EOF, or a range whose end does not fit in 64 bits ->
 * BG_E_INVALID_RANGE; then, sorted by offset, two ranges with the same offset or a range that
 * reaches into the next (a to-EOF range reaches everything after it) ->
 * BG_E_OVERLAPPING_RANGES. */
static bgcopy_hr check_ranges(uint32_t count, const bgcopy_file_range *ranges)
{
    bgcopy_file_range *sorted;
    uint32_t i;
    bgcopy_hr hr = BGCOPY_S_OK;

    for (i = 0; i < count; i++) {
        if (ranges[i].length == 0) {
            return BGCOPY_E_INVALIDARG;
        }
    }
    for (i = 0; i < count; i++) {
        const bgcopy_file_range *r = &ranges[i];

        if (r->initial_offset == BGCOPY_LENGTH_TO_EOF ||
            (r->length != BGCOPY_LENGTH_TO_EOF && r->length > UINT64_MAX - r->initial_offset)) {
            return BGCOPY_E_INVALID_RANGE;
        }
    }
    sorted = bgcopy__calloc(count, sizeof(*sorted));
    if (sorted == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    memcpy(sorted, ranges, (size_t)count * sizeof(*sorted));
    qsort(sorted, count, sizeof(*sorted), range_cmp);
    for (i = 1; i < count; i++) {
        const bgcopy_file_range *a = &sorted[i - 1], *b = &sorted[i];

        if (a->initial_offset == b->initial_offset || a->length == BGCOPY_LENGTH_TO_EOF ||
            a->length > b->initial_offset - a->initial_offset) {
            hr = BGCOPY_E_OVERLAPPING_RANGES;
            break;
        }
    }
    free(sorted);
    return hr;
}

bgcopy_hr bgcopy_job_add_file_with_ranges(bgcopy_job *job, const char *remote_url,
                                          const char *local_name, uint32_t count,
                                          const bgcopy_file_range *ranges)
{
    bgcopy_file_info info;
    bgcopy_hr hr;

    if (job == NULL || count == 0 || ranges == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    hr = check_ranges(count, ranges);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    info.remote_name = remote_url;
    info.local_name = local_name;
    hr = check_file_info(job, &info);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    return job->ops->add_files(job, 1, &info, count, ranges);
}

bgcopy_hr bgcopy_job_enum_files(bgcopy_job *job, bgcopy_file_enum **out)
{
    if (out != NULL) {
        *out = NULL;
    }
    if (job == NULL || out == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    return job->ops->enum_files(job, out);
}

bgcopy_hr bgcopy_job_replace_remote_prefix(bgcopy_job *job, const char *old_prefix,
                                           const char *new_prefix)
{
    if (job == NULL || old_prefix == NULL || new_prefix == NULL || old_prefix[0] == '\0' ||
        new_prefix[0] == '\0') {
        return BGCOPY_E_INVALIDARG;
    }
    return job->ops->replace_remote_prefix(job, old_prefix, new_prefix);
}

bgcopy_hr bgcopy_job_resume(bgcopy_job *job)
{
    return job != NULL ? job->ops->resume(job) : BGCOPY_E_INVALIDARG;
}

bgcopy_hr bgcopy_job_suspend(bgcopy_job *job)
{
    return job != NULL ? job->ops->suspend(job) : BGCOPY_E_INVALIDARG;
}

bgcopy_hr bgcopy_job_cancel(bgcopy_job *job)
{
    return job != NULL ? job->ops->cancel(job) : BGCOPY_E_INVALIDARG;
}

bgcopy_hr bgcopy_job_complete(bgcopy_job *job)
{
    return job != NULL ? job->ops->complete(job) : BGCOPY_E_INVALIDARG;
}

/* ---- job: getters ---------------------------------------------------------------------- */

/* Reads the job's scalar properties: all of them, or (an engine with get_info_field) only the
 * field at byte offset `field`. Errors: E_INVALIDARG when job or out (the caller's output, only
 * checked here) is NULL; the engine's failure. */
static bgcopy_hr read_info(bgcopy_job *job, const void *out, size_t field,
                           struct bgcopy__job_info *info)
{
    if (job == NULL || out == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    memset(info, 0, sizeof(*info));
    if (job->ops->get_info_field != NULL) {
        return job->ops->get_info_field(job, field, info);
    }
    return job->ops->get_info(job, info);
}

/* Copies one field of the job info (at offset, size bytes) into out. */
static bgcopy_hr get_info_field(bgcopy_job *job, void *out, size_t offset, size_t size)
{
    struct bgcopy__job_info info;
    bgcopy_hr hr = read_info(job, out, offset, &info);

    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    memcpy(out, (const char *)&info + offset, size);
    return BGCOPY_S_OK;
}

/* Arguments for get_info_field: out, and the offset and size of info field f. Compilation
 * fails when *out and the field differ in size. */
#define INFO_FIELD(out, f)                       \
    (out), offsetof(struct bgcopy__job_info, f), \
        sizeof(*(out)) +                         \
            0 * sizeof(char[sizeof(*(out)) == sizeof(((struct bgcopy__job_info *)0)->f) ? 1 : -1])

bgcopy_hr bgcopy_job_get_id(bgcopy_job *job, bgcopy_guid *id)
{
    return get_info_field(job, INFO_FIELD(id, id));
}

bgcopy_hr bgcopy_job_get_type(bgcopy_job *job, bgcopy_job_type *type)
{
    return get_info_field(job, INFO_FIELD(type, type));
}

bgcopy_hr bgcopy_job_get_state(bgcopy_job *job, bgcopy_job_state *state)
{
    return get_info_field(job, INFO_FIELD(state, state));
}

bgcopy_hr bgcopy_job_get_progress(bgcopy_job *job, bgcopy_job_progress *progress)
{
    return get_info_field(job, INFO_FIELD(progress, progress));
}

bgcopy_hr bgcopy_job_get_times(bgcopy_job *job, bgcopy_job_times *times)
{
    return get_info_field(job, INFO_FIELD(times, times));
}

bgcopy_hr bgcopy_job_get_error_count(bgcopy_job *job, uint32_t *count)
{
    return get_info_field(job, INFO_FIELD(count, error_count));
}

bgcopy_hr bgcopy_job_get_priority(bgcopy_job *job, bgcopy_job_priority *priority)
{
    return get_info_field(job, INFO_FIELD(priority, priority));
}

bgcopy_hr bgcopy_job_get_notify_flags(bgcopy_job *job, uint32_t *flags)
{
    return get_info_field(job, INFO_FIELD(flags, notify_flags));
}

bgcopy_hr bgcopy_job_get_minimum_retry_delay(bgcopy_job *job, uint32_t *seconds)
{
    return get_info_field(job, INFO_FIELD(seconds, retry_delay));
}

bgcopy_hr bgcopy_job_get_no_progress_timeout(bgcopy_job *job, uint32_t *seconds)
{
    return get_info_field(job, INFO_FIELD(seconds, no_progress_timeout));
}

bgcopy_hr bgcopy_job_get_maximum_download_time(bgcopy_job *job, uint32_t *seconds)
{
    return get_info_field(job, INFO_FIELD(seconds, max_download_time));
}

bgcopy_hr bgcopy_job_get_security_flags(bgcopy_job *job, uint32_t *flags)
{
    return get_info_field(job, INFO_FIELD(flags, security_flags));
}

/* A string property: *out NULL first, then the engine's answer (S_FALSE + NULL when absent,
 * for the properties that can be). */
static bgcopy_hr get_string(bgcopy_job *job, int which, char **out)
{
    return string_out_ok(job, out) ? job->ops->get_string(job, which, out) : BGCOPY_E_INVALIDARG;
}

bgcopy_hr bgcopy_job_get_owner(bgcopy_job *job, char **owner)
{
    return get_string(job, BGCOPY__STR_OWNER, owner);
}

bgcopy_hr bgcopy_job_get_display_name(bgcopy_job *job, char **name)
{
    return get_string(job, BGCOPY__STR_DISPLAY_NAME, name);
}

bgcopy_hr bgcopy_job_get_description(bgcopy_job *job, char **description)
{
    return get_string(job, BGCOPY__STR_DESCRIPTION, description);
}

bgcopy_hr bgcopy_job_get_custom_headers(bgcopy_job *job, char **headers)
{
    return get_string(job, BGCOPY__STR_CUSTOM_HEADERS, headers);
}

/* Fetches two string properties into *a and *b (each skipped when its pointer is NULL); on
 * failure neither is handed out. Returns S_OK or the first failure. */
static bgcopy_hr get_string_pair(bgcopy_job *job, int which_a, char **a, int which_b, char **b)
{
    bgcopy_hr hr = BGCOPY_S_OK;

    if (a != NULL) {
        hr = job->ops->get_string(job, which_a, a);
    }
    if (BGCOPY_SUCCEEDED(hr) && b != NULL) {
        hr = job->ops->get_string(job, which_b, b);
    }
    if (BGCOPY_FAILED(hr)) {
        if (a != NULL) {
            free(*a);
            *a = NULL;
        }
        if (b != NULL) {
            free(*b);
            *b = NULL;
        }
        return hr;
    }
    return BGCOPY_S_OK;
}

/* usage is required; either list pointer may be NULL, and an absent list comes back NULL. */
bgcopy_hr bgcopy_job_get_proxy_settings(bgcopy_job *job, bgcopy_proxy_usage *usage,
                                        char **proxy_list, char **bypass_list)
{
    struct bgcopy__job_info info;
    bgcopy_hr hr;

    if (proxy_list != NULL) {
        *proxy_list = NULL;
    }
    if (bypass_list != NULL) {
        *bypass_list = NULL;
    }
    hr = read_info(job, usage, offsetof(struct bgcopy__job_info, proxy_usage), &info);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    hr = get_string_pair(job, BGCOPY__STR_PROXY_LIST, proxy_list, BGCOPY__STR_PROXY_BYPASS,
                         bypass_list);
    if (BGCOPY_SUCCEEDED(hr)) {
        *usage = info.proxy_usage;
    }
    return hr;
}

bgcopy_hr bgcopy_job_get_notify_cmd_line(bgcopy_job *job, char **program, char **parameters)
{
    if (program != NULL) {
        *program = NULL;
    }
    if (parameters != NULL) {
        *parameters = NULL;
    }
    if (job == NULL || program == NULL || parameters == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    return get_string_pair(job, BGCOPY__STR_CMD_PROGRAM, program, BGCOPY__STR_CMD_PARAMETERS,
                           parameters);
}

bgcopy_hr bgcopy_job_get_error(bgcopy_job *job, bgcopy_error **err)
{
    if (err != NULL) {
        *err = NULL;
    }
    if (job == NULL || err == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    return job->ops->get_error(job, err);
}

/* ---- job: setters --------------------------------------------------------------------- */

static bgcopy_hr set_prop(bgcopy_job *job, int which, const struct bgcopy__prop_value *v)
{
    return job->ops->set_property(job, which, v);
}

/* A property set from one number (v.u). */
static bgcopy_hr set_prop_u(bgcopy_job *job, int which, uint32_t u)
{
    struct bgcopy__prop_value v = {0};

    if (job == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    v.u = u;
    return set_prop(job, which, &v);
}

/* A property set from one required string (v.s1) of at most max characters. */
static bgcopy_hr set_prop_text(bgcopy_job *job, int which, const char *s, size_t max)
{
    struct bgcopy__prop_value v = {0};
    bgcopy_hr hr;

    if (job == NULL || s == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    hr = check_length(s, max, BGCOPY_E_STRING_TOO_LONG);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    v.s1 = s;
    return set_prop(job, which, &v);
}

bgcopy_hr bgcopy_job_set_display_name(bgcopy_job *job, const char *name)
{
    return set_prop_text(job, BGCOPY__PROP_DISPLAY_NAME, name, BGCOPY__MAX_DISPLAY_NAME);
}

bgcopy_hr bgcopy_job_set_description(bgcopy_job *job, const char *description)
{
    return set_prop_text(job, BGCOPY__PROP_DESCRIPTION, description, BGCOPY__MAX_DESCRIPTION);
}

bgcopy_hr bgcopy_job_set_priority(bgcopy_job *job, bgcopy_job_priority priority)
{
    if (job != NULL && (unsigned)priority > BGCOPY_JOB_PRIORITY_LOW) {
        return BGCOPY_E_NOTIMPL;
    }
    return set_prop_u(job, BGCOPY__PROP_PRIORITY, (uint32_t)priority);
}

bgcopy_hr bgcopy_job_set_notify_flags(bgcopy_job *job, uint32_t flags)
{
    if (job != NULL && (flags & ~BGCOPY_NOTIFY_ALL_VALID) != 0) {
        return BGCOPY_E_NOTIMPL;
    }
    return set_prop_u(job, BGCOPY__PROP_NOTIFY_FLAGS, flags);
}

/* Passed as given: the engine raises values below 5 to 5. */
bgcopy_hr bgcopy_job_set_minimum_retry_delay(bgcopy_job *job, uint32_t seconds)
{
    return set_prop_u(job, BGCOPY__PROP_RETRY_DELAY, seconds);
}

bgcopy_hr bgcopy_job_set_no_progress_timeout(bgcopy_job *job, uint32_t seconds)
{
    return set_prop_u(job, BGCOPY__PROP_NO_PROGRESS, seconds);
}

bgcopy_hr bgcopy_job_set_maximum_download_time(bgcopy_job *job, uint32_t seconds)
{
    return set_prop_u(job, BGCOPY__PROP_MAX_DOWNLOAD_TIME, seconds);
}

bgcopy_hr bgcopy_job_set_security_flags(bgcopy_job *job, uint32_t flags)
{
    uint32_t policy = flags & BGCOPY_HTTP_REDIRECT_POLICY_MASK;

    if (job != NULL && ((flags & ~SECURITY_FLAGS_VALID) != 0 ||
                        (policy != BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_SILENT &&
                         policy != BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_REPORT &&
                         policy != BGCOPY_HTTP_REDIRECT_POLICY_DISALLOW))) {
        return BGCOPY_E_NOTIMPL;
    }
    return set_prop_u(job, BGCOPY__PROP_SECURITY_FLAGS, flags);
}

/* Usage first (E_NOTIMPL), then the lists' presence (E_INVALIDARG: both NULL unless OVERRIDE,
 * which needs a non-empty proxy list), then their lengths. */
bgcopy_hr bgcopy_job_set_proxy_settings(bgcopy_job *job, bgcopy_proxy_usage usage,
                                        const char *proxy_list, const char *bypass_list)
{
    struct bgcopy__prop_value v = {0};
    bgcopy_hr hr;

    if (job == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    if ((unsigned)usage > BGCOPY_PROXY_USAGE_AUTODETECT) {
        return BGCOPY_E_NOTIMPL;
    }
    if (usage == BGCOPY_PROXY_USAGE_OVERRIDE) {
        if (proxy_list == NULL || proxy_list[0] == '\0') {
            return BGCOPY_E_INVALIDARG;
        }
    } else if (proxy_list != NULL || bypass_list != NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    hr = check_length(proxy_list, BGCOPY__MAX_PROXY_LIST, BGCOPY_E_PROXY_LIST_TOO_LARGE);
    if (BGCOPY_SUCCEEDED(hr)) {
        hr =
            check_length(bypass_list, BGCOPY__MAX_PROXY_LIST, BGCOPY_E_PROXY_BYPASS_LIST_TOO_LARGE);
    }
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    v.u = (uint32_t)usage;
    v.s1 = proxy_list;
    v.s2 = bypass_list;
    return set_prop(job, BGCOPY__PROP_PROXY, &v);
}

/* Target (BG_E_INVALID_AUTH_TARGET), then scheme (BG_E_INVALID_AUTH_SCHEME). */
static bgcopy_hr check_auth(bgcopy_auth_target target, bgcopy_auth_scheme scheme)
{
    if (target != BGCOPY_AUTH_TARGET_SERVER && target != BGCOPY_AUTH_TARGET_PROXY) {
        return BGCOPY_E_INVALID_AUTH_TARGET;
    }
    if ((unsigned)scheme < BGCOPY_AUTH_SCHEME_BASIC ||
        (unsigned)scheme > BGCOPY_AUTH_SCHEME_PASSPORT) {
        return BGCOPY_E_INVALID_AUTH_SCHEME;
    }
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy_job_set_credentials(bgcopy_job *job, bgcopy_auth_target target,
                                     bgcopy_auth_scheme scheme, const char *user_name,
                                     const char *password)
{
    struct bgcopy__prop_value v = {0};
    bgcopy_hr hr;

    if (job == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    hr = check_auth(target, scheme);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    if ((scheme == BGCOPY_AUTH_SCHEME_BASIC || scheme == BGCOPY_AUTH_SCHEME_DIGEST) &&
        (user_name == NULL || password == NULL)) {
        return BGCOPY_E_INVALIDARG;
    }
    hr = check_length(user_name, BGCOPY__MAX_USER_NAME, BGCOPY_E_USERNAME_TOO_LARGE);
    if (BGCOPY_SUCCEEDED(hr)) {
        hr = check_length(password, BGCOPY__MAX_PASSWORD, BGCOPY_E_PASSWORD_TOO_LARGE);
    }
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    v.u = (uint32_t)target;
    v.u2 = (uint32_t)scheme;
    v.s1 = user_name;
    v.s2 = password;
    return set_prop(job, BGCOPY__PROP_CREDENTIALS, &v);
}

bgcopy_hr bgcopy_job_remove_credentials(bgcopy_job *job, bgcopy_auth_target target,
                                        bgcopy_auth_scheme scheme)
{
    struct bgcopy__prop_value v = {0};
    bgcopy_hr hr;

    if (job == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    hr = check_auth(target, scheme);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    v.u = (uint32_t)target;
    v.u2 = (uint32_t)scheme;
    return set_prop(job, BGCOPY__PROP_REMOVE_CREDENTIALS, &v);
}

/* program: NULL or an absolute path of at most BGCOPY__MAX_CMD_PROGRAM bytes; parameters: NULL
 * or at most BGCOPY__MAX_CMD_PARAMETERS characters, and only with a program. */
bgcopy_hr bgcopy_job_set_notify_cmd_line(bgcopy_job *job, const char *program,
                                         const char *parameters)
{
    struct bgcopy__prop_value v = {0};

    if (job == NULL || (program == NULL && parameters != NULL)) {
        return BGCOPY_E_INVALIDARG;
    }
    if (job->ops->os_checks_names) {
        v.s1 = program; /* BITS judges the path and the first token itself */
        v.s2 = parameters;
        return set_prop(job, BGCOPY__PROP_CMD_LINE, &v);
    }
    if (program != NULL && program[0] != '/') {
        return BGCOPY_E_INVALIDARG;
    }
    if ((program != NULL && strlen(program) > BGCOPY__MAX_CMD_PROGRAM) ||
        bgcopy__utf8_len(parameters) > BGCOPY__MAX_CMD_PARAMETERS) {
        return BGCOPY_E_STRING_TOO_LONG;
    }
    if (parameters != NULL && parameters[0] != '\0') {
        /* The parameters are the whole command line: their first token, as
         * Windows splits it, must be the program itself (reference §5.4). */
        char **argv = NULL;
        int argc = 0;
        bgcopy_hr hr = bgcopy__cmdline_split(parameters, &argv, &argc);
        int same = BGCOPY_SUCCEEDED(hr) && argc > 0 && strcmp(argv[0], program) == 0;
        free(argv);
        if (BGCOPY_FAILED(hr)) {
            return hr;
        }
        if (!same) {
            return BGCOPY_E_INVALIDARG;
        }
    }
    v.s1 = program;
    v.s2 = parameters;
    return set_prop(job, BGCOPY__PROP_CMD_LINE, &v);
}

/* NULL removes the headers. */
bgcopy_hr bgcopy_job_set_custom_headers(bgcopy_job *job, const char *headers)
{
    struct bgcopy__prop_value v = {0};
    bgcopy_hr hr;

    if (job == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    hr = check_length(headers, BGCOPY__MAX_CUSTOM_HEADERS, BGCOPY_E_STRING_TOO_LONG);
    if (BGCOPY_SUCCEEDED(hr)) {
        hr = bgcopy__validate_headers(headers);
    }
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    v.s1 = headers;
    return set_prop(job, BGCOPY__PROP_CUSTOM_HEADERS, &v);
}

/* 1 when id is a BITS_JOB_PROPERTY_ID value. */
static int known_property(bgcopy_job_property_id id)
{
    switch (id) {
    case BGCOPY_JOB_PROPERTY_ID_COST_FLAGS:
    case BGCOPY_JOB_PROPERTY_NOTIFICATION_CLSID:
    case BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT:
    case BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE:
    case BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE:
    case BGCOPY_JOB_PROPERTY_USE_STORED_CREDENTIALS:
    case BGCOPY_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS:
    case BGCOPY_JOB_PROPERTY_ON_DEMAND_MODE:
        return 1;
    default:
        return 0;
    }
}

/* The state-dependent rules (read-only after Resume / AddFile, download jobs only) and
 * USE_STORED_CREDENTIALS are the engine's. */
bgcopy_hr bgcopy_job_set_property(bgcopy_job *job, bgcopy_job_property_id id,
                                  const bgcopy_job_property_value *value)
{
    struct bgcopy__prop_value v = {0};

    if (job == NULL || value == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    if (!known_property(id)) {
        return BGCOPY_E_UNKNOWN_PROPERTY_ID;
    }
    if (id == BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE && value->uint64 == 0) {
        return BGCOPY_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE;
    }
    v.job5_id = id;
    v.job5 = *value;
    return set_prop(job, BGCOPY__PROP_JOB5, &v);
}

/* The job-info field that holds property id (a known one other than USE_STORED_CREDENTIALS). */
static size_t property_field(bgcopy_job_property_id id)
{
    switch (id) {
    case BGCOPY_JOB_PROPERTY_ID_COST_FLAGS:
        return offsetof(struct bgcopy__job_info, cost_flags);
    case BGCOPY_JOB_PROPERTY_NOTIFICATION_CLSID:
        return offsetof(struct bgcopy__job_info, notification_clsid);
    case BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT:
        return offsetof(struct bgcopy__job_info, dynamic_content);
    case BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE:
        return offsetof(struct bgcopy__job_info, high_performance);
    case BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE:
        return offsetof(struct bgcopy__job_info, max_download_size);
    case BGCOPY_JOB_PROPERTY_ON_DEMAND_MODE:
        return offsetof(struct bgcopy__job_info, on_demand);
    default: /* MINIMUM_NOTIFICATION_INTERVAL_MS */
        return offsetof(struct bgcopy__job_info, min_notify_interval_ms);
    }
}

bgcopy_hr bgcopy_job_get_property(bgcopy_job *job, bgcopy_job_property_id id,
                                  bgcopy_job_property_value *value)
{
    struct bgcopy__job_info info;
    bgcopy_hr hr;

    if (job == NULL || value == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    if (!known_property(id)) {
        return BGCOPY_E_UNKNOWN_PROPERTY_ID;
    }
    if (id == BGCOPY_JOB_PROPERTY_USE_STORED_CREDENTIALS) {
        return BGCOPY_E_NOTIMPL;
    }
    hr = read_info(job, value, property_field(id), &info);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    memset(value, 0, sizeof(*value));
    switch (id) {
    case BGCOPY_JOB_PROPERTY_ID_COST_FLAGS:
        value->dword = info.cost_flags;
        break;
    case BGCOPY_JOB_PROPERTY_NOTIFICATION_CLSID:
        value->clsid = info.notification_clsid;
        break;
    case BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT:
        value->enable = info.dynamic_content;
        break;
    case BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE:
        value->enable = info.high_performance;
        break;
    case BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE:
        value->uint64 = info.max_download_size;
        break;
    case BGCOPY_JOB_PROPERTY_ON_DEMAND_MODE:
        value->enable = info.on_demand;
        break;
    default: /* MINIMUM_NOTIFICATION_INTERVAL_MS */
        value->dword = info.min_notify_interval_ms;
        break;
    }
    return BGCOPY_S_OK;
}

/* ---- job: notification callbacks ------------------------------------------------------ */

/* The smallest bgcopy_callbacks a caller may pass: size and job_transferred. */
#define CALLBACKS_MIN_SIZE \
    (offsetof(bgcopy_callbacks, job_transferred) + sizeof(((bgcopy_callbacks *)0)->job_transferred))

/* callbacks NULL clears the registration; otherwise min(callbacks->size, sizeof) bytes are
 * taken and later members read as NULL. */
bgcopy_hr bgcopy_job_set_notify_callbacks(bgcopy_job *job, const bgcopy_callbacks *callbacks,
                                          void *user)
{
    bgcopy_callbacks cb;
    bgcopy_hr hr;

    if (job == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    if (callbacks == NULL) {
        return job->ops->set_callbacks(job, NULL, user);
    }
    hr = copy_versioned(callbacks, &cb, sizeof(cb), CALLBACKS_MIN_SIZE);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    return job->ops->set_callbacks(job, &cb, user);
}

/* registered is required; callbacks (whose size the caller sets) and user may be NULL. Only
 * min(callbacks->size, sizeof) bytes of callbacks are written, its size member kept. */
bgcopy_hr bgcopy_job_get_notify_callbacks(bgcopy_job *job, int *registered,
                                          bgcopy_callbacks *callbacks, void **user)
{
    bgcopy_callbacks cb;
    void *cb_user = NULL;
    size_t size = 0;
    bgcopy_hr hr;

    if (job == NULL || registered == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    if (callbacks != NULL) {
        size = callbacks->size;
        if (size < CALLBACKS_MIN_SIZE || size > SIZE_FIELD_MAX) {
            return BGCOPY_E_INVALIDARG;
        }
    }
    memset(&cb, 0, sizeof(cb));
    *registered = 0;
    hr = job->ops->get_callbacks(job, registered, &cb, &cb_user);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    if (callbacks != NULL) {
        cb.size = size;
        memcpy(callbacks, &cb, size < sizeof(cb) ? size : sizeof(cb));
    }
    if (user != NULL) {
        *user = cb_user;
    }
    return hr;
}

/* ---- error objects ------------------------------------------------------------------------ */

void bgcopy_error_addref(bgcopy_error *err)
{
    if (err != NULL) {
        bgcopy__atomic_inc(&err->refs);
    }
}

void bgcopy_error_release(bgcopy_error *err)
{
    if (err != NULL) {
        err->ops->error_release(err);
    }
}

/* The fields of an error object never change, so they are read without the engine. */
bgcopy_hr bgcopy_error_get_error(bgcopy_error *err, bgcopy_error_context *context, bgcopy_hr *code)
{
    if (err == NULL || context == NULL || code == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    *context = err->context;
    *code = err->code;
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy_error_get_file(bgcopy_error *err, bgcopy_file **file)
{
    if (file != NULL) {
        *file = NULL;
    }
    if (err == NULL || file == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    return err->ops->error_get_file(err, file);
}

/* An error text from the engine that has its own (native: IBackgroundCopyError); 0 when the
 * engine leaves texts to this file. */
static int engine_error_text(bgcopy_error *err, int which, uint32_t language_id, char **text,
                             bgcopy_hr *hr)
{
    if (err == NULL || err->ops->error_get_text == NULL) {
        return 0;
    }
    if (!string_out_ok(err, text) || (which != BGCOPY__ERR_TEXT_PROTOCOL && language_id == 0)) {
        *hr = BGCOPY_E_INVALIDARG;
    } else {
        *hr = err->ops->error_get_text(err, which, language_id, text);
    }
    return 1;
}

bgcopy_hr bgcopy_error_get_error_description(bgcopy_error *err, uint32_t language_id, char **text)
{
    bgcopy_hr hr;

    if (engine_error_text(err, BGCOPY__ERR_TEXT_DESCRIPTION, language_id, text, &hr)) {
        return hr;
    }
    return describe(err, language_id, err != NULL ? bgcopy_hr_message(err->code) : NULL, text);
}

/* The HRESULT whose message describes an error context (BG_S_ERROR_CONTEXT_NONE,
 * BG_E_ERROR_CONTEXT_*); an undefined context is described as UNKNOWN. */
static bgcopy_hr context_hr(bgcopy_error_context context)
{
    switch (context) {
    case BGCOPY_ERROR_CONTEXT_NONE:
        return BGCOPY_S_ERROR_CONTEXT_NONE;
    case BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER:
        return BGCOPY_E_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER;
    case BGCOPY_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION:
        return BGCOPY_E_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION;
    case BGCOPY_ERROR_CONTEXT_LOCAL_FILE:
        return BGCOPY_E_ERROR_CONTEXT_LOCAL_FILE;
    case BGCOPY_ERROR_CONTEXT_REMOTE_FILE:
        return BGCOPY_E_ERROR_CONTEXT_REMOTE_FILE;
    case BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT:
        return BGCOPY_E_ERROR_CONTEXT_GENERAL_TRANSPORT;
    case BGCOPY_ERROR_CONTEXT_REMOTE_APPLICATION:
        return BGCOPY_E_ERROR_CONTEXT_REMOTE_APPLICATION;
    case BGCOPY_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK:
        return BGCOPY_E_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK;
    case BGCOPY_ERROR_CONTEXT_UNKNOWN:
    default:
        return BGCOPY_E_ERROR_CONTEXT_UNKNOWN;
    }
}

bgcopy_hr bgcopy_error_get_error_context_description(bgcopy_error *err, uint32_t language_id,
                                                     char **text)
{
    bgcopy_hr hr;

    if (engine_error_text(err, BGCOPY__ERR_TEXT_CONTEXT, language_id, text, &hr)) {
        return hr;
    }
    return describe(err, language_id,
                    err != NULL ? bgcopy_hr_message(context_hr(err->context)) : NULL, text);
}

bgcopy_hr bgcopy_error_get_protocol(bgcopy_error *err, char **protocol)
{
    bgcopy_hr hr;

    if (engine_error_text(err, BGCOPY__ERR_TEXT_PROTOCOL, 0, protocol, &hr)) {
        return hr;
    }
    if (!string_out_ok(err, protocol)) {
        return BGCOPY_E_INVALIDARG;
    }
    if (err->protocol == NULL) {
        return BGCOPY_E_PROTOCOL_NOT_AVAILABLE;
    }
    return bgcopy__dup_out(err->protocol, protocol);
}

/* ---- files ------------------------------------------------------------------------------- */

void bgcopy_file_addref(bgcopy_file *file)
{
    if (file != NULL) {
        file->ops->file_addref(file);
    }
}

void bgcopy_file_release(bgcopy_file *file)
{
    if (file != NULL) {
        file->ops->file_release(file);
    }
}

static bgcopy_hr file_string(bgcopy_file *file, int which, char **out)
{
    return string_out_ok(file, out) ? file->ops->file_get_string(file, which, out)
                                    : BGCOPY_E_INVALIDARG;
}

bgcopy_hr bgcopy_file_get_remote_name(bgcopy_file *file, char **name)
{
    return file_string(file, BGCOPY__STR_FILE_REMOTE, name);
}

bgcopy_hr bgcopy_file_get_local_name(bgcopy_file *file, char **name)
{
    return file_string(file, BGCOPY__STR_FILE_LOCAL, name);
}

bgcopy_hr bgcopy_file_get_temporary_name(bgcopy_file *file, char **name)
{
    return file_string(file, BGCOPY__STR_FILE_TEMP, name);
}

bgcopy_hr bgcopy_file_get_progress(bgcopy_file *file, bgcopy_file_progress *progress)
{
    if (file == NULL || progress == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    return file->ops->file_get_progress(file, progress);
}

bgcopy_hr bgcopy_file_get_file_ranges(bgcopy_file *file, uint32_t *count,
                                      bgcopy_file_range **ranges)
{
    if (count != NULL) {
        *count = 0;
    }
    if (ranges != NULL) {
        *ranges = NULL;
    }
    if (file == NULL || count == NULL || ranges == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    return file->ops->file_get_ranges(file, count, ranges);
}

bgcopy_hr bgcopy_file_set_remote_name(bgcopy_file *file, const char *remote_url)
{
    bgcopy_hr hr;

    if (file == NULL || remote_url == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    if (file->ops->os_checks_names) {
        return file->ops->file_set_remote_name(file, remote_url);
    }
    hr = bgcopy__validate_remote(remote_url, NULL);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    return file->ops->file_set_remote_name(file, remote_url);
}

/* ---- persisted notification handlers ------------------------------------------------ */

#define BGCOPY__MAX_HANDLER_NAME 256

/* A handler name: non-empty, at most 256 characters. */
static bgcopy_hr check_handler_name(const char *name)
{
    if (name == NULL || name[0] == '\0') {
        return BGCOPY_E_INVALIDARG;
    }
    return check_length(name, BGCOPY__MAX_HANDLER_NAME, BGCOPY_E_STRING_TOO_LONG);
}

bgcopy_hr bgcopy_manager_register_notify_handler(bgcopy_manager *mgr, const char *name,
                                                 const bgcopy_callbacks *callbacks, void *user)
{
    bgcopy_callbacks cb;
    bgcopy_hr hr;

    if (mgr == NULL || callbacks == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    hr = check_handler_name(name);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    hr = copy_versioned(callbacks, &cb, sizeof(cb), CALLBACKS_MIN_SIZE);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    return mgr->ops->register_handler(mgr, name, &cb, user);
}

bgcopy_hr bgcopy_manager_unregister_notify_handler(bgcopy_manager *mgr, const char *name)
{
    bgcopy_hr hr;

    if (mgr == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    hr = check_handler_name(name);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    return mgr->ops->unregister_handler(mgr, name);
}

bgcopy_hr bgcopy_job_set_notify_handler(bgcopy_job *job, const char *name)
{
    struct bgcopy__prop_value v = {0};

    if (job == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    if (name != NULL) {
        bgcopy_hr hr = check_handler_name(name);
        if (BGCOPY_FAILED(hr)) {
            return hr;
        }
    }
    v.s1 = name;
    return set_prop(job, BGCOPY__PROP_HANDLER, &v);
}

bgcopy_hr bgcopy_job_get_notify_handler(bgcopy_job *job, char **name)
{
    return get_string(job, BGCOPY__STR_HANDLER, name);
}
