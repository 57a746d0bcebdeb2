/* backend-win/native.c - the native engine: the engine table (struct bgcopy__engine_ops) over
 * the system's BITS COM server, so on Windows the public API drives the real BITS.
 *
 * api.c validates arguments as for every engine (NULL outputs, enumeration values, lengths),
 * except the names BITS judges itself (os_checks_names); what reaches this file is translated
 * call for call: UTF-8 strings to UTF-16 and back, bgcopy_guid to GUID, FILETIME to
 * bgcopy_filetime, and the method's HRESULT returned unchanged. An interface the system's BITS
 * does not offer (Job5 before Windows 8, File3 before Vista, all of Job5 under Wine) makes the
 * calls that need it return the QueryInterface failure, E_NOINTERFACE.
 *
 * Objects: see native-int.h (wrappers of BITS interfaces). Enumerators are read completely when
 * made (EnumJobs / EnumFiles, GetCount, Next) into the snapshot enumerators api.c implements.
 * Named notification handlers are an emulated-engine feature (BITS' counterpart is the
 * NOTIFICATION_CLSID property, passed through by set_property): E_NOTIMPL here.
 *
 * Threads: every entry may run on any thread outside a single-threaded apartment (native-int.h);
 * the file keeps no state of its own besides the process's MTA usage cookie.
 */
#include <stdlib.h>
#include <string.h>

#include "native-int.h"

#define FIELD(f) offsetof(struct bgcopy__job_info, f)

struct native_manager {
    struct bgcopy_manager pub; /* first: the public handle */
    IBackgroundCopyManager *bits;
};

static struct native_job *job_of(bgcopy_job *job)
{
    return (struct native_job *)job;
}

static struct native_file *file_of(bgcopy_file *file)
{
    return (struct native_file *)file;
}

static struct native_manager *manager_of(bgcopy_manager *mgr)
{
    return (struct native_manager *)mgr;
}

/* ---- helpers --------------------------------------------------------------------------- */

void bgcopy__native_blanket(void *unknown)
{
    /* Fails with E_NOINTERFACE for an object in this apartment (no proxy): nothing to do. */
    (void)CoSetProxyBlanket((IUnknown *)unknown, RPC_C_AUTHN_DEFAULT, RPC_C_AUTHZ_DEFAULT,
                            COLE_DEFAULT_PRINCIPAL, RPC_C_AUTHN_LEVEL_DEFAULT,
                            RPC_C_IMP_LEVEL_IMPERSONATE, NULL, EOAC_DEFAULT);
}

bgcopy_hr bgcopy__native_qi(void *unknown, REFIID iid, void **out)
{
    HRESULT hr = IUnknown_QueryInterface((IUnknown *)unknown, iid, out);

    if (SUCCEEDED(hr)) {
        bgcopy__native_blanket(*out);
    } else {
        *out = NULL;
    }
    return (bgcopy_hr)hr;
}

void bgcopy__native_guid_in(const bgcopy_guid *g, GUID *out)
{
    const uint8_t *b = g->b;
    int i;

    out->Data1 = (DWORD)b[0] << 24 | (DWORD)b[1] << 16 | (DWORD)b[2] << 8 | b[3];
    out->Data2 = (WORD)(b[4] << 8 | b[5]);
    out->Data3 = (WORD)(b[6] << 8 | b[7]);
    for (i = 0; i < 8; i++) {
        out->Data4[i] = b[8 + i];
    }
}

void bgcopy__native_guid_out(const GUID *g, bgcopy_guid *out)
{
    uint8_t *b = out->b;
    int i;

    b[0] = (uint8_t)(g->Data1 >> 24);
    b[1] = (uint8_t)(g->Data1 >> 16);
    b[2] = (uint8_t)(g->Data1 >> 8);
    b[3] = (uint8_t)g->Data1;
    b[4] = (uint8_t)(g->Data2 >> 8);
    b[5] = (uint8_t)g->Data2;
    b[6] = (uint8_t)(g->Data3 >> 8);
    b[7] = (uint8_t)g->Data3;
    for (i = 0; i < 8; i++) {
        b[8 + i] = g->Data4[i];
    }
}

bgcopy_hr bgcopy__native_take_string(LPWSTR w, char **out)
{
    bgcopy_hr hr = bgcopy__win_utf8(w, out);

    CoTaskMemFree(w);
    return hr;
}

static bgcopy_filetime filetime_of(const FILETIME *ft)
{
    return ((uint64_t)ft->dwHighDateTime << 32) | ft->dwLowDateTime;
}

/* Two UTF-8 arguments as UTF-16 (either may be NULL). On failure neither is allocated. */
static bgcopy_hr wide2(const char *a, wchar_t **wa, const char *b, wchar_t **wb)
{
    bgcopy_hr hr = bgcopy__win_utf16(a, wa);

    *wb = NULL;
    if (BGCOPY_SUCCEEDED(hr)) {
        hr = bgcopy__win_utf16(b, wb);
        if (BGCOPY_FAILED(hr)) {
            free(*wa);
            *wa = NULL;
        }
    }
    return hr;
}

/* ---- wrappers -------------------------------------------------------------------------- */

struct native_job *bgcopy__native_job_wrap(IBackgroundCopyJob *bits)
{
    struct native_job *j = bgcopy__calloc(1, sizeof(*j));

    if (j == NULL) {
        return NULL;
    }
    j->pub.ops = &bgcopy__native_ops;
    j->pub.impl = j;
    j->refs = 1;
    j->bits = bits;
    IBackgroundCopyJob_AddRef(bits);
    bgcopy__native_blanket(bits);
    return j;
}

struct native_file *bgcopy__native_file_wrap(IBackgroundCopyFile *bits)
{
    struct native_file *f = bgcopy__calloc(1, sizeof(*f));

    if (f == NULL) {
        return NULL;
    }
    f->pub.ops = &bgcopy__native_ops;
    f->pub.impl = f;
    f->refs = 1;
    f->bits = bits;
    IBackgroundCopyFile_AddRef(bits);
    bgcopy__native_blanket(bits);
    return f;
}

bgcopy_hr bgcopy__native_error_wrap(IBackgroundCopyError *bits, bgcopy_error **out)
{
    BG_ERROR_CONTEXT context = BG_ERROR_CONTEXT_NONE;
    HRESULT code = S_OK, hr;
    bgcopy_error *err;

    *out = NULL;
    bgcopy__native_blanket(bits);
    hr = IBackgroundCopyError_GetError(bits, &context, &code);
    if (FAILED(hr)) {
        return (bgcopy_hr)hr;
    }
    err = bgcopy__calloc(1, sizeof(*err));
    if (err == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    err->ops = &bgcopy__native_ops;
    err->refs = 1;
    err->context = (bgcopy_error_context)context;
    err->code = (bgcopy_hr)code;
    err->impl = bits;
    IBackgroundCopyError_AddRef(bits);
    *out = err;
    return BGCOPY_S_OK;
}

/* Hands a job BITS returned to the caller as a new wrapper (or drops it when out is NULL). The
 * caller's reference on bits is released in every case. */
static bgcopy_hr hand_out_job(IBackgroundCopyJob *bits, bgcopy_job **out)
{
    struct native_job *j = NULL;

    if (out != NULL) {
        j = bgcopy__native_job_wrap(bits);
    }
    IBackgroundCopyJob_Release(bits);
    if (out == NULL) {
        return BGCOPY_S_OK;
    }
    if (j == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    *out = &j->pub;
    return BGCOPY_S_OK;
}

/* ---- manager --------------------------------------------------------------------------- */

/* CoIncrementMTAUsage once per process, never undone: every thread that has not entered an
 * apartment then runs in the process's MTA, which the BITS proxies and the callback objects
 * live in, for as long as any wrapper may be used. */
static bgcopy_hr keep_mta(void)
{
    static int held;
    static CO_MTA_USAGE_COOKIE cookie;
    HRESULT hr = S_OK;

    bgcopy__sys_global_lock();
    if (!held) {
        hr = CoIncrementMTAUsage(&cookie);
        held = SUCCEEDED(hr);
    }
    bgcopy__sys_global_unlock();
    return (bgcopy_hr)hr;
}

bgcopy_hr bgcopy__native_open(const bgcopy_manager_options *o, bgcopy_manager **out)
{
    struct native_manager *m;
    HRESULT hr;

    *out = NULL;
    if (o->sim != NULL || o->user != NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    hr = keep_mta();
    if (FAILED(hr)) {
        bgcopy__set_open_detail("native engine: CoIncrementMTAUsage failed");
        return (bgcopy_hr)hr;
    }
    m = bgcopy__calloc(1, sizeof(*m));
    if (m == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    m->pub.ops = &bgcopy__native_ops;
    m->pub.user = bgcopy__sys_user_name();
    if (m->pub.user == NULL) {
        free(m);
        return BGCOPY_E_OUTOFMEMORY;
    }
    hr = CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER,
                          &IID_IBackgroundCopyManager, (void **)&m->bits);
    if (FAILED(hr)) {
        bgcopy__set_open_detail("native engine: CoCreateInstance(BackgroundCopyManager) failed: "
                                "the BITS service could not be started or reached");
        free(m->pub.user);
        free(m);
        return (bgcopy_hr)hr;
    }
    bgcopy__native_blanket(m->bits);
    *out = &m->pub;
    return BGCOPY_S_OK;
}

static void native_close(bgcopy_manager *mgr)
{
    struct native_manager *m = manager_of(mgr);

    IBackgroundCopyManager_Release(m->bits);
    free(m->pub.user);
    free(m);
}

/* A job created here but not handed out (out of memory) is cancelled, so nothing is left in the
 * BITS queue that the caller cannot see. */
static bgcopy_hr native_create_job(bgcopy_manager *mgr, const char *name, bgcopy_job_type type,
                                   bgcopy_guid *id, bgcopy_job **job)
{
    struct native_manager *m = manager_of(mgr);
    IBackgroundCopyJob *bits = NULL;
    struct native_job *j = NULL;
    wchar_t *wname;
    GUID guid;
    HRESULT hr = bgcopy__win_utf16(name, &wname);

    if (FAILED(hr)) {
        return (bgcopy_hr)hr;
    }
    hr = IBackgroundCopyManager_CreateJob(m->bits, wname, (BG_JOB_TYPE)type, &guid, &bits);
    free(wname);
    if (FAILED(hr)) {
        return (bgcopy_hr)hr;
    }
    if (job != NULL) {
        j = bgcopy__native_job_wrap(bits);
        if (j == NULL) {
            IBackgroundCopyJob_Cancel(bits);
            IBackgroundCopyJob_Release(bits);
            return BGCOPY_E_OUTOFMEMORY;
        }
        *job = &j->pub;
    }
    IBackgroundCopyJob_Release(bits);
    if (id != NULL) {
        bgcopy__native_guid_out(&guid, id);
    }
    return (bgcopy_hr)hr;
}

static bgcopy_hr native_get_job(bgcopy_manager *mgr, const bgcopy_guid *id, bgcopy_job **out)
{
    IBackgroundCopyJob *bits = NULL;
    GUID guid;
    HRESULT hr;

    bgcopy__native_guid_in(id, &guid);
    hr = IBackgroundCopyManager_GetJob(manager_of(mgr)->bits, &guid, &bits);
    if (FAILED(hr)) {
        return (bgcopy_hr)hr;
    }
    return hand_out_job(bits, out);
}

static bgcopy_hr native_enum_jobs(bgcopy_manager *mgr, uint32_t flags, bgcopy_job_enum **out)
{
    IEnumBackgroundCopyJobs *e = NULL;
    bgcopy_job_enum *snap;
    ULONG count = 0;
    HRESULT hr;

    hr = IBackgroundCopyManager_EnumJobs(manager_of(mgr)->bits, flags, &e);
    if (FAILED(hr)) {
        return (bgcopy_hr)hr;
    }
    bgcopy__native_blanket(e);
    hr = IEnumBackgroundCopyJobs_GetCount(e, &count);
    snap = bgcopy__calloc(1, sizeof(*snap));
    if (SUCCEEDED(hr) && snap == NULL) {
        hr = E_OUTOFMEMORY;
    }
    if (SUCCEEDED(hr) && count > 0) {
        snap->items = bgcopy__calloc(count, sizeof(*snap->items));
        hr = snap->items == NULL ? E_OUTOFMEMORY : S_OK;
    }
    while (SUCCEEDED(hr) && snap->count < count) {
        IBackgroundCopyJob *bits = NULL;
        ULONG got = 0;

        hr = IEnumBackgroundCopyJobs_Next(e, 1, &bits, &got);
        if (hr != S_OK || got != 1) {
            break; /* S_FALSE: the list is shorter than GetCount said */
        }
        hr = hand_out_job(bits, &snap->items[snap->count]);
        if (SUCCEEDED(hr)) {
            snap->count++;
        }
    }
    IEnumBackgroundCopyJobs_Release(e);
    if (FAILED(hr)) {
        if (snap != NULL) {
            snap->refs = 1;
            bgcopy_job_enum_release(snap);
        }
        return (bgcopy_hr)hr;
    }
    snap->refs = 1;
    *out = snap;
    return BGCOPY_S_OK;
}

static bgcopy_hr native_describe_hr(bgcopy_manager *mgr, bgcopy_hr code, uint32_t language_id,
                                    char **text)
{
    LPWSTR w = NULL;
    HRESULT hr = IBackgroundCopyManager_GetErrorDescription(manager_of(mgr)->bits, (HRESULT)code,
                                                            language_id, &w);

    if (FAILED(hr)) {
        return (bgcopy_hr)hr;
    }
    return bgcopy__native_take_string(w, text);
}

static bgcopy_hr native_register_handler(bgcopy_manager *mgr, const char *name,
                                         const bgcopy_callbacks *cb, void *user)
{
    (void)mgr;
    (void)name;
    (void)cb;
    (void)user;
    return BGCOPY_E_NOTIMPL; /* BITS' counterpart: the NOTIFICATION_CLSID job property */
}

static bgcopy_hr native_unregister_handler(bgcopy_manager *mgr, const char *name)
{
    (void)mgr;
    (void)name;
    return BGCOPY_E_NOTIMPL;
}

/* ---- jobs: lifetime, files, control ------------------------------------------------------ */

static void native_job_addref(bgcopy_job *job)
{
    bgcopy__atomic_inc(&job_of(job)->refs);
}

static void native_job_release(bgcopy_job *job)
{
    struct native_job *j = job_of(job);

    if (bgcopy__atomic_dec(&j->refs) == 0) {
        IBackgroundCopyJob_Release(j->bits);
        free(j);
    }
}

static bgcopy_hr native_add_files(bgcopy_job *job, uint32_t count, const bgcopy_file_info *files,
                                  uint32_t range_count, const bgcopy_file_range *ranges)
{
    struct native_job *j = job_of(job);
    IBackgroundCopyJob3 *j3 = NULL;
    BG_FILE_INFO *info = NULL;
    BG_FILE_RANGE *r = NULL;
    HRESULT hr = S_OK;
    uint32_t i;

    info = bgcopy__calloc(count, sizeof(*info));
    if (info == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    for (i = 0; i < count && SUCCEEDED(hr); i++) {
        hr = wide2(files[i].remote_name, &info[i].RemoteName, files[i].local_name,
                   &info[i].LocalName);
    }
    if (FAILED(hr)) {
        goto out;
    }
    if (range_count == 0) {
        hr = IBackgroundCopyJob_AddFileSet(j->bits, count, info);
        goto out;
    }
    hr = bgcopy__native_qi(j->bits, &IID_IBackgroundCopyJob3, (void **)&j3);
    if (FAILED(hr)) {
        goto out;
    }
    r = bgcopy__calloc(range_count, sizeof(*r));
    if (r == NULL) {
        hr = E_OUTOFMEMORY;
        goto out;
    }
    for (i = 0; i < range_count; i++) {
        r[i].InitialOffset = ranges[i].initial_offset;
        r[i].Length = ranges[i].length;
    }
    hr = IBackgroundCopyJob3_AddFileWithRanges(j3, info[0].RemoteName, info[0].LocalName,
                                               range_count, r);
out:
    if (j3 != NULL) {
        IBackgroundCopyJob3_Release(j3);
    }
    for (i = 0; i < count; i++) {
        free(info[i].RemoteName);
        free(info[i].LocalName);
    }
    free(info);
    free(r);
    return (bgcopy_hr)hr;
}

static bgcopy_hr native_enum_files(bgcopy_job *job, bgcopy_file_enum **out)
{
    IEnumBackgroundCopyFiles *e = NULL;
    bgcopy_file_enum *snap;
    ULONG count = 0;
    HRESULT hr;

    hr = IBackgroundCopyJob_EnumFiles(job_of(job)->bits, &e);
    if (FAILED(hr)) {
        return (bgcopy_hr)hr;
    }
    bgcopy__native_blanket(e);
    hr = IEnumBackgroundCopyFiles_GetCount(e, &count);
    snap = bgcopy__calloc(1, sizeof(*snap));
    if (SUCCEEDED(hr) && snap == NULL) {
        hr = E_OUTOFMEMORY;
    }
    if (SUCCEEDED(hr) && count > 0) {
        snap->items = bgcopy__calloc(count, sizeof(*snap->items));
        hr = snap->items == NULL ? E_OUTOFMEMORY : S_OK;
    }
    while (SUCCEEDED(hr) && snap->count < count) {
        IBackgroundCopyFile *bits = NULL;
        struct native_file *f;
        ULONG got = 0;

        hr = IEnumBackgroundCopyFiles_Next(e, 1, &bits, &got);
        if (hr != S_OK || got != 1) {
            break;
        }
        f = bgcopy__native_file_wrap(bits);
        IBackgroundCopyFile_Release(bits);
        if (f == NULL) {
            hr = E_OUTOFMEMORY;
            break;
        }
        snap->items[snap->count++] = &f->pub;
    }
    IEnumBackgroundCopyFiles_Release(e);
    if (FAILED(hr)) {
        if (snap != NULL) {
            snap->refs = 1;
            bgcopy_file_enum_release(snap);
        }
        return (bgcopy_hr)hr;
    }
    snap->refs = 1;
    *out = snap;
    return BGCOPY_S_OK;
}

static bgcopy_hr native_replace_remote_prefix(bgcopy_job *job, const char *old_prefix,
                                              const char *new_prefix)
{
    IBackgroundCopyJob3 *j3 = NULL;
    wchar_t *wold, *wnew;
    HRESULT hr = bgcopy__native_qi(job_of(job)->bits, &IID_IBackgroundCopyJob3, (void **)&j3);

    if (FAILED(hr)) {
        return (bgcopy_hr)hr;
    }
    hr = wide2(old_prefix, &wold, new_prefix, &wnew);
    if (SUCCEEDED(hr)) {
        hr = IBackgroundCopyJob3_ReplaceRemotePrefix(j3, wold, wnew);
        free(wold);
        free(wnew);
    }
    IBackgroundCopyJob3_Release(j3);
    return (bgcopy_hr)hr;
}

static bgcopy_hr native_resume(bgcopy_job *job)
{
    return (bgcopy_hr)IBackgroundCopyJob_Resume(job_of(job)->bits);
}

static bgcopy_hr native_suspend(bgcopy_job *job)
{
    return (bgcopy_hr)IBackgroundCopyJob_Suspend(job_of(job)->bits);
}

static bgcopy_hr native_cancel(bgcopy_job *job)
{
    return (bgcopy_hr)IBackgroundCopyJob_Cancel(job_of(job)->bits);
}

static bgcopy_hr native_complete(bgcopy_job *job)
{
    return (bgcopy_hr)IBackgroundCopyJob_Complete(job_of(job)->bits);
}

/* ---- jobs: properties --------------------------------------------------------------------- */

/* IBackgroundCopyJob5::GetProperty. */
static HRESULT job5_get(struct native_job *j, BITS_JOB_PROPERTY_ID id, BITS_JOB_PROPERTY_VALUE *v)
{
    IBackgroundCopyJob5 *j5 = NULL;
    HRESULT hr = bgcopy__native_qi(j->bits, &IID_IBackgroundCopyJob5, (void **)&j5);

    if (SUCCEEDED(hr)) {
        memset(v, 0, sizeof(*v));
        hr = IBackgroundCopyJob5_GetProperty(j5, id, v);
        IBackgroundCopyJob5_Release(j5);
    }
    return hr;
}

/* IBackgroundCopyJobHttpOptions, the interface of custom headers and security flags. */
static HRESULT http_options(struct native_job *j, IBackgroundCopyJobHttpOptions **out)
{
    return bgcopy__native_qi(j->bits, &IID_IBackgroundCopyJobHttpOptions, (void **)out);
}

static bgcopy_hr native_get_info_field(bgcopy_job *job, size_t field, struct bgcopy__job_info *info)
{
    struct native_job *j = job_of(job);
    IBackgroundCopyJob4 *j4 = NULL;
    IBackgroundCopyJobHttpOptions *ho = NULL;
    BITS_JOB_PROPERTY_VALUE v;
    HRESULT hr;

    switch (field) {
    case FIELD(id): {
        GUID g;

        hr = IBackgroundCopyJob_GetId(j->bits, &g);
        if (SUCCEEDED(hr)) {
            bgcopy__native_guid_out(&g, &info->id);
        }
        return (bgcopy_hr)hr;
    }
    case FIELD(type): {
        BG_JOB_TYPE t = BG_JOB_TYPE_DOWNLOAD;

        hr = IBackgroundCopyJob_GetType(j->bits, &t);
        info->type = (bgcopy_job_type)t;
        return (bgcopy_hr)hr;
    }
    case FIELD(state): {
        BG_JOB_STATE s = BG_JOB_STATE_QUEUED;

        hr = IBackgroundCopyJob_GetState(j->bits, &s);
        info->state = (bgcopy_job_state)s;
        return (bgcopy_hr)hr;
    }
    case FIELD(priority): {
        BG_JOB_PRIORITY p = BG_JOB_PRIORITY_NORMAL;

        hr = IBackgroundCopyJob_GetPriority(j->bits, &p);
        info->priority = (bgcopy_job_priority)p;
        return (bgcopy_hr)hr;
    }
    case FIELD(progress): {
        BG_JOB_PROGRESS p;

        memset(&p, 0, sizeof(p));
        hr = IBackgroundCopyJob_GetProgress(j->bits, &p);
        info->progress.bytes_total = p.BytesTotal;
        info->progress.bytes_transferred = p.BytesTransferred;
        info->progress.files_total = p.FilesTotal;
        info->progress.files_transferred = p.FilesTransferred;
        return (bgcopy_hr)hr;
    }
    case FIELD(times): {
        BG_JOB_TIMES t;

        memset(&t, 0, sizeof(t));
        hr = IBackgroundCopyJob_GetTimes(j->bits, &t);
        info->times.creation_time = filetime_of(&t.CreationTime);
        info->times.modification_time = filetime_of(&t.ModificationTime);
        info->times.transfer_completion_time = filetime_of(&t.TransferCompletionTime);
        return (bgcopy_hr)hr;
    }
    case FIELD(error_count): {
        ULONG n = 0;

        hr = IBackgroundCopyJob_GetErrorCount(j->bits, &n);
        info->error_count = n;
        return (bgcopy_hr)hr;
    }
    case FIELD(notify_flags): {
        ULONG n = 0;

        hr = IBackgroundCopyJob_GetNotifyFlags(j->bits, &n);
        info->notify_flags = n;
        return (bgcopy_hr)hr;
    }
    case FIELD(retry_delay): {
        ULONG n = 0;

        hr = IBackgroundCopyJob_GetMinimumRetryDelay(j->bits, &n);
        info->retry_delay = n;
        return (bgcopy_hr)hr;
    }
    case FIELD(no_progress_timeout): {
        ULONG n = 0;

        hr = IBackgroundCopyJob_GetNoProgressTimeout(j->bits, &n);
        info->no_progress_timeout = n;
        return (bgcopy_hr)hr;
    }
    case FIELD(max_download_time): {
        ULONG n = 0;

        hr = bgcopy__native_qi(j->bits, &IID_IBackgroundCopyJob4, (void **)&j4);
        if (SUCCEEDED(hr)) {
            hr = IBackgroundCopyJob4_GetMaximumDownloadTime(j4, &n);
            IBackgroundCopyJob4_Release(j4);
        }
        info->max_download_time = n;
        return (bgcopy_hr)hr;
    }
    case FIELD(proxy_usage): {
        BG_JOB_PROXY_USAGE usage = BG_JOB_PROXY_USAGE_PRECONFIG;
        LPWSTR list = NULL, bypass = NULL;

        hr = IBackgroundCopyJob_GetProxySettings(j->bits, &usage, &list, &bypass);
        CoTaskMemFree(list);
        CoTaskMemFree(bypass);
        info->proxy_usage = (bgcopy_proxy_usage)usage;
        return (bgcopy_hr)hr;
    }
    case FIELD(security_flags): {
        ULONG n = 0;

        hr = http_options(j, &ho);
        if (SUCCEEDED(hr)) {
            hr = IBackgroundCopyJobHttpOptions_GetSecurityFlags(ho, &n);
            IBackgroundCopyJobHttpOptions_Release(ho);
        }
        info->security_flags = n;
        return (bgcopy_hr)hr;
    }
    case FIELD(cost_flags):
        hr = job5_get(j, BITS_JOB_PROPERTY_ID_COST_FLAGS, &v);
        info->cost_flags = SUCCEEDED(hr) ? v.Dword : 0;
        return (bgcopy_hr)hr;
    case FIELD(notification_clsid):
        hr = job5_get(j, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, &v);
        if (SUCCEEDED(hr)) {
            bgcopy__native_guid_out(&v.ClsID, &info->notification_clsid);
        }
        return (bgcopy_hr)hr;
    case FIELD(dynamic_content):
        hr = job5_get(j, BITS_JOB_PROPERTY_DYNAMIC_CONTENT, &v);
        info->dynamic_content = SUCCEEDED(hr) && v.Enable;
        return (bgcopy_hr)hr;
    case FIELD(high_performance):
        hr = job5_get(j, BITS_JOB_PROPERTY_HIGH_PERFORMANCE, &v);
        info->high_performance = SUCCEEDED(hr) && v.Enable;
        return (bgcopy_hr)hr;
    case FIELD(on_demand):
        hr = job5_get(j, BITS_JOB_PROPERTY_ON_DEMAND_MODE, &v);
        info->on_demand = SUCCEEDED(hr) && v.Enable;
        return (bgcopy_hr)hr;
    case FIELD(max_download_size):
        hr = job5_get(j, BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &v);
        info->max_download_size = SUCCEEDED(hr) ? v.Uint64 : 0;
        return (bgcopy_hr)hr;
    case FIELD(min_notify_interval_ms):
        hr = job5_get(j, BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, &v);
        info->min_notify_interval_ms = SUCCEEDED(hr) ? v.Dword : 0;
        return (bgcopy_hr)hr;
    default:
        return BGCOPY_E_NOTIMPL; /* a field api.c never asks for */
    }
}

/* GetProxySettings' list (which 0) or bypass list (1); an absent list is S_OK and NULL. */
static bgcopy_hr proxy_string(struct native_job *j, int which, char **out)
{
    BG_JOB_PROXY_USAGE usage;
    LPWSTR list = NULL, bypass = NULL;
    HRESULT hr = IBackgroundCopyJob_GetProxySettings(j->bits, &usage, &list, &bypass);

    if (FAILED(hr)) {
        return (bgcopy_hr)hr;
    }
    if (which == 0) {
        CoTaskMemFree(bypass);
        return bgcopy__native_take_string(list, out);
    }
    CoTaskMemFree(list);
    return bgcopy__native_take_string(bypass, out);
}

/* Job2::GetNotifyCmdLine's program (which 0) or parameters (1). */
static bgcopy_hr cmd_line_string(struct native_job *j, int which, char **out)
{
    IBackgroundCopyJob2 *j2 = NULL;
    LPWSTR program = NULL, parameters = NULL;
    HRESULT hr = bgcopy__native_qi(j->bits, &IID_IBackgroundCopyJob2, (void **)&j2);

    if (FAILED(hr)) {
        return (bgcopy_hr)hr;
    }
    hr = IBackgroundCopyJob2_GetNotifyCmdLine(j2, &program, &parameters);
    IBackgroundCopyJob2_Release(j2);
    if (FAILED(hr)) {
        return (bgcopy_hr)hr;
    }
    if (which == 0) {
        CoTaskMemFree(parameters);
        return bgcopy__native_take_string(program, out);
    }
    CoTaskMemFree(program);
    return bgcopy__native_take_string(parameters, out);
}

static bgcopy_hr native_get_string(bgcopy_job *job, int which, char **out)
{
    struct native_job *j = job_of(job);
    IBackgroundCopyJobHttpOptions *ho = NULL;
    LPWSTR w = NULL;
    HRESULT hr;

    switch (which) {
    case BGCOPY__STR_DISPLAY_NAME:
        hr = IBackgroundCopyJob_GetDisplayName(j->bits, &w);
        break;
    case BGCOPY__STR_DESCRIPTION:
        hr = IBackgroundCopyJob_GetDescription(j->bits, &w);
        break;
    case BGCOPY__STR_OWNER:
        hr = IBackgroundCopyJob_GetOwner(j->bits, &w); /* a SID string, e.g. "S-1-5-21-..." */
        break;
    case BGCOPY__STR_PROXY_LIST:
        return proxy_string(j, 0, out);
    case BGCOPY__STR_PROXY_BYPASS:
        return proxy_string(j, 1, out);
    case BGCOPY__STR_CMD_PROGRAM:
        return cmd_line_string(j, 0, out);
    case BGCOPY__STR_CMD_PARAMETERS:
        return cmd_line_string(j, 1, out);
    case BGCOPY__STR_CUSTOM_HEADERS:
        hr = http_options(j, &ho);
        if (SUCCEEDED(hr)) {
            hr = IBackgroundCopyJobHttpOptions_GetCustomHeaders(ho, &w);
            IBackgroundCopyJobHttpOptions_Release(ho);
        }
        break;
    default: /* BGCOPY__STR_HANDLER: named handlers are the emulated engine's */
        return BGCOPY_E_NOTIMPL;
    }
    if (FAILED(hr)) {
        CoTaskMemFree(w);
        return (bgcopy_hr)hr;
    }
    {
        bgcopy_hr conv = bgcopy__native_take_string(w, out);
        return BGCOPY_FAILED(conv) ? conv : (bgcopy_hr)hr; /* S_FALSE passes through */
    }
}

static bgcopy_hr native_get_error(bgcopy_job *job, bgcopy_error **err)
{
    IBackgroundCopyError *bits = NULL;
    HRESULT hr = IBackgroundCopyJob_GetError(job_of(job)->bits, &bits);

    if (FAILED(hr)) {
        return (bgcopy_hr)hr;
    }
    hr = bgcopy__native_error_wrap(bits, err);
    IBackgroundCopyError_Release(bits);
    return (bgcopy_hr)hr;
}

/* IBackgroundCopyJob5::SetProperty with the union member the property uses. */
static HRESULT job5_set(struct native_job *j, const struct bgcopy__prop_value *v)
{
    IBackgroundCopyJob5 *j5 = NULL;
    BITS_JOB_PROPERTY_VALUE value;
    HRESULT hr = bgcopy__native_qi(j->bits, &IID_IBackgroundCopyJob5, (void **)&j5);

    if (FAILED(hr)) {
        return hr;
    }
    memset(&value, 0, sizeof(value));
    switch (v->job5_id) {
    case BGCOPY_JOB_PROPERTY_NOTIFICATION_CLSID:
        bgcopy__native_guid_in(&v->job5.clsid, &value.ClsID);
        break;
    case BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT:
    case BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE:
    case BGCOPY_JOB_PROPERTY_ON_DEMAND_MODE:
        value.Enable = v->job5.enable ? TRUE : FALSE;
        break;
    case BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE:
        value.Uint64 = v->job5.uint64;
        break;
    case BGCOPY_JOB_PROPERTY_USE_STORED_CREDENTIALS:
        value.Target = (BG_AUTH_TARGET)v->job5.target;
        break;
    default: /* COST_FLAGS, MINIMUM_NOTIFICATION_INTERVAL_MS */
        value.Dword = v->job5.dword;
        break;
    }
    hr = IBackgroundCopyJob5_SetProperty(j5, (BITS_JOB_PROPERTY_ID)v->job5_id, value);
    IBackgroundCopyJob5_Release(j5);
    return hr;
}

/* Job2::SetCredentials (the password's UTF-16 copy is wiped before it is freed). */
static HRESULT set_credentials(IBackgroundCopyJob2 *j2, const struct bgcopy__prop_value *v)
{
    BG_AUTH_CREDENTIALS cred;
    wchar_t *user = NULL, *password = NULL;
    HRESULT hr = wide2(v->s1, &user, v->s2, &password);

    if (FAILED(hr)) {
        return hr;
    }
    memset(&cred, 0, sizeof(cred));
    cred.Target = (BG_AUTH_TARGET)v->u;
    cred.Scheme = (BG_AUTH_SCHEME)v->u2;
    cred.Credentials.Basic.UserName = user;
    cred.Credentials.Basic.Password = password;
    hr = IBackgroundCopyJob2_SetCredentials(j2, &cred);
    if (password != NULL) {
        SecureZeroMemory(password, wcslen(password) * sizeof(*password));
    }
    free(user);
    free(password);
    return hr;
}

static bgcopy_hr native_set_property(bgcopy_job *job, int which, const struct bgcopy__prop_value *v)
{
    struct native_job *j = job_of(job);
    IBackgroundCopyJob2 *j2 = NULL;
    IBackgroundCopyJob4 *j4 = NULL;
    IBackgroundCopyJobHttpOptions *ho = NULL;
    wchar_t *w1 = NULL, *w2 = NULL;
    HRESULT hr;

    switch (which) {
    case BGCOPY__PROP_DISPLAY_NAME:
    case BGCOPY__PROP_DESCRIPTION:
        hr = bgcopy__win_utf16(v->s1, &w1);
        if (SUCCEEDED(hr)) {
            hr = which == BGCOPY__PROP_DISPLAY_NAME
                     ? IBackgroundCopyJob_SetDisplayName(j->bits, w1)
                     : IBackgroundCopyJob_SetDescription(j->bits, w1);
        }
        break;
    case BGCOPY__PROP_PRIORITY:
        hr = IBackgroundCopyJob_SetPriority(j->bits, (BG_JOB_PRIORITY)v->u);
        break;
    case BGCOPY__PROP_NOTIFY_FLAGS:
        hr = IBackgroundCopyJob_SetNotifyFlags(j->bits, v->u);
        break;
    case BGCOPY__PROP_RETRY_DELAY:
        hr = IBackgroundCopyJob_SetMinimumRetryDelay(j->bits, v->u);
        break;
    case BGCOPY__PROP_NO_PROGRESS:
        hr = IBackgroundCopyJob_SetNoProgressTimeout(j->bits, v->u);
        break;
    case BGCOPY__PROP_MAX_DOWNLOAD_TIME:
        hr = bgcopy__native_qi(j->bits, &IID_IBackgroundCopyJob4, (void **)&j4);
        if (SUCCEEDED(hr)) {
            hr = IBackgroundCopyJob4_SetMaximumDownloadTime(j4, v->u);
            IBackgroundCopyJob4_Release(j4);
        }
        break;
    case BGCOPY__PROP_PROXY:
        hr = wide2(v->s1, &w1, v->s2, &w2);
        if (SUCCEEDED(hr)) {
            hr = IBackgroundCopyJob_SetProxySettings(j->bits, (BG_JOB_PROXY_USAGE)v->u, w1, w2);
        }
        break;
    case BGCOPY__PROP_CREDENTIALS:
    case BGCOPY__PROP_REMOVE_CREDENTIALS:
    case BGCOPY__PROP_CMD_LINE:
        hr = bgcopy__native_qi(j->bits, &IID_IBackgroundCopyJob2, (void **)&j2);
        if (FAILED(hr)) {
            break;
        }
        if (which == BGCOPY__PROP_CREDENTIALS) {
            hr = set_credentials(j2, v);
        } else if (which == BGCOPY__PROP_REMOVE_CREDENTIALS) {
            hr = IBackgroundCopyJob2_RemoveCredentials(j2, (BG_AUTH_TARGET)v->u,
                                                       (BG_AUTH_SCHEME)v->u2);
        } else {
            hr = wide2(v->s1, &w1, v->s2, &w2);
            if (SUCCEEDED(hr)) {
                hr = IBackgroundCopyJob2_SetNotifyCmdLine(j2, w1, w2);
            }
        }
        IBackgroundCopyJob2_Release(j2);
        break;
    case BGCOPY__PROP_CUSTOM_HEADERS:
    case BGCOPY__PROP_SECURITY_FLAGS:
        hr = http_options(j, &ho);
        if (FAILED(hr)) {
            break;
        }
        if (which == BGCOPY__PROP_SECURITY_FLAGS) {
            hr = IBackgroundCopyJobHttpOptions_SetSecurityFlags(ho, v->u);
        } else {
            hr = bgcopy__win_utf16(v->s1, &w1);
            if (SUCCEEDED(hr)) {
                hr = IBackgroundCopyJobHttpOptions_SetCustomHeaders(ho, w1);
            }
        }
        IBackgroundCopyJobHttpOptions_Release(ho);
        break;
    case BGCOPY__PROP_JOB5:
        hr = job5_set(j, v);
        break;
    default: /* BGCOPY__PROP_HANDLER: named handlers are the emulated engine's */
        hr = E_NOTIMPL;
        break;
    }
    free(w1);
    free(w2);
    return (bgcopy_hr)hr;
}

/* SetNotifyInterface with a new callback object; BITS keeps its own reference. */
static bgcopy_hr native_set_callbacks(bgcopy_job *job, const bgcopy_callbacks *cb, void *user)
{
    IUnknown *obj = NULL;
    HRESULT hr;

    if (cb != NULL) {
        obj = bgcopy__native_callback_new(cb, user);
        if (obj == NULL) {
            return BGCOPY_E_OUTOFMEMORY;
        }
    }
    hr = IBackgroundCopyJob_SetNotifyInterface(job_of(job)->bits, obj);
    if (obj != NULL) {
        IUnknown_Release(obj);
    }
    return (bgcopy_hr)hr;
}

/* A registered interface that is not one of ours (another program's, or none the library can
 * read) is reported as registered with no callbacks. */
static bgcopy_hr native_get_callbacks(bgcopy_job *job, int *registered, bgcopy_callbacks *cb,
                                      void **user)
{
    IUnknown *obj = NULL;
    HRESULT hr = IBackgroundCopyJob_GetNotifyInterface(job_of(job)->bits, &obj);

    if (FAILED(hr)) {
        return (bgcopy_hr)hr;
    }
    *registered = obj != NULL;
    if (obj != NULL) {
        (void)bgcopy__native_callback_read(obj, cb, user);
        IUnknown_Release(obj);
    }
    return BGCOPY_S_OK;
}

/* ---- files ----------------------------------------------------------------------------------- */

static void native_file_addref(bgcopy_file *file)
{
    bgcopy__atomic_inc(&file_of(file)->refs);
}

static void native_file_release(bgcopy_file *file)
{
    struct native_file *f = file_of(file);

    if (bgcopy__atomic_dec(&f->refs) == 0) {
        IBackgroundCopyFile_Release(f->bits);
        free(f);
    }
}

static bgcopy_hr native_file_get_string(bgcopy_file *file, int which, char **out)
{
    struct native_file *f = file_of(file);
    IBackgroundCopyFile3 *f3 = NULL;
    LPWSTR w = NULL;
    HRESULT hr;

    switch (which) {
    case BGCOPY__STR_FILE_REMOTE:
        hr = IBackgroundCopyFile_GetRemoteName(f->bits, &w);
        break;
    case BGCOPY__STR_FILE_LOCAL:
        hr = IBackgroundCopyFile_GetLocalName(f->bits, &w);
        break;
    default: /* BGCOPY__STR_FILE_TEMP */
        hr = bgcopy__native_qi(f->bits, &IID_IBackgroundCopyFile3, (void **)&f3);
        if (SUCCEEDED(hr)) {
            hr = f3->lpVtbl->GetTemporaryName(f3, &w);
            f3->lpVtbl->Release(f3);
        }
        break;
    }
    if (FAILED(hr)) {
        CoTaskMemFree(w);
        return (bgcopy_hr)hr;
    }
    return bgcopy__native_take_string(w, out);
}

static bgcopy_hr native_file_get_progress(bgcopy_file *file, bgcopy_file_progress *p)
{
    BG_FILE_PROGRESS bp;
    HRESULT hr;

    memset(&bp, 0, sizeof(bp));
    hr = IBackgroundCopyFile_GetProgress(file_of(file)->bits, &bp);
    if (SUCCEEDED(hr)) {
        p->bytes_total = bp.BytesTotal;
        p->bytes_transferred = bp.BytesTransferred;
        p->completed = bp.Completed ? 1 : 0;
    }
    return (bgcopy_hr)hr;
}

static bgcopy_hr native_file_get_ranges(bgcopy_file *file, uint32_t *count, bgcopy_file_range **r)
{
    IBackgroundCopyFile2 *f2 = NULL;
    BG_FILE_RANGE *br = NULL;
    DWORD n = 0, i;
    HRESULT hr = bgcopy__native_qi(file_of(file)->bits, &IID_IBackgroundCopyFile2, (void **)&f2);

    if (FAILED(hr)) {
        return (bgcopy_hr)hr;
    }
    hr = IBackgroundCopyFile2_GetFileRanges(f2, &n, &br);
    IBackgroundCopyFile2_Release(f2);
    if (FAILED(hr) || n == 0) {
        CoTaskMemFree(br);
        return (bgcopy_hr)hr;
    }
    *r = bgcopy__calloc(n, sizeof(**r));
    if (*r == NULL) {
        CoTaskMemFree(br);
        return BGCOPY_E_OUTOFMEMORY;
    }
    for (i = 0; i < n; i++) {
        (*r)[i].initial_offset = br[i].InitialOffset;
        (*r)[i].length = br[i].Length;
    }
    *count = n;
    CoTaskMemFree(br);
    return (bgcopy_hr)hr;
}

static bgcopy_hr native_file_set_remote_name(bgcopy_file *file, const char *url)
{
    IBackgroundCopyFile2 *f2 = NULL;
    wchar_t *w = NULL;
    HRESULT hr = bgcopy__native_qi(file_of(file)->bits, &IID_IBackgroundCopyFile2, (void **)&f2);

    if (FAILED(hr)) {
        return (bgcopy_hr)hr;
    }
    hr = bgcopy__win_utf16(url, &w);
    if (SUCCEEDED(hr)) {
        hr = IBackgroundCopyFile2_SetRemoteName(f2, w);
    }
    free(w);
    IBackgroundCopyFile2_Release(f2);
    return (bgcopy_hr)hr;
}

/* ---- error objects -------------------------------------------------------------------------- */

static void native_error_release(bgcopy_error *err)
{
    if (bgcopy__atomic_dec(&err->refs) == 0) {
        IBackgroundCopyError_Release((IBackgroundCopyError *)err->impl);
        free(err);
    }
}

static bgcopy_hr native_error_get_file(bgcopy_error *err, bgcopy_file **out)
{
    IBackgroundCopyFile *bits = NULL;
    struct native_file *f;
    HRESULT hr = IBackgroundCopyError_GetFile((IBackgroundCopyError *)err->impl, &bits);

    if (FAILED(hr)) {
        return (bgcopy_hr)hr; /* BG_E_FILE_NOT_AVAILABLE when the error names no file */
    }
    if (bits == NULL) {
        return BGCOPY_E_FILE_NOT_AVAILABLE;
    }
    f = bgcopy__native_file_wrap(bits);
    IBackgroundCopyFile_Release(bits);
    if (f == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    *out = &f->pub;
    return (bgcopy_hr)hr;
}

static bgcopy_hr native_error_get_text(bgcopy_error *err, int which, uint32_t language_id,
                                       char **text)
{
    IBackgroundCopyError *e = err->impl;
    LPWSTR w = NULL;
    HRESULT hr;

    switch (which) {
    case BGCOPY__ERR_TEXT_DESCRIPTION:
        hr = IBackgroundCopyError_GetErrorDescription(e, language_id, &w);
        break;
    case BGCOPY__ERR_TEXT_CONTEXT:
        hr = IBackgroundCopyError_GetErrorContextDescription(e, language_id, &w);
        break;
    default: /* BGCOPY__ERR_TEXT_PROTOCOL */
        hr = IBackgroundCopyError_GetProtocol(e, &w);
        break;
    }
    if (FAILED(hr)) {
        CoTaskMemFree(w);
        return (bgcopy_hr)hr;
    }
    return bgcopy__native_take_string(w, text);
}

const struct bgcopy__engine_ops bgcopy__native_ops = {
    .name = "native",
    .create_job = native_create_job,
    .get_job = native_get_job,
    .enum_jobs = native_enum_jobs,
    .close = native_close,
    .register_handler = native_register_handler,
    .unregister_handler = native_unregister_handler,
    .job_addref = native_job_addref,
    .job_release = native_job_release,
    .add_files = native_add_files,
    .enum_files = native_enum_files,
    .replace_remote_prefix = native_replace_remote_prefix,
    .resume = native_resume,
    .suspend = native_suspend,
    .cancel = native_cancel,
    .complete = native_complete,
    .get_string = native_get_string,
    .get_error = native_get_error,
    .set_property = native_set_property,
    .set_callbacks = native_set_callbacks,
    .get_callbacks = native_get_callbacks,
    .file_addref = native_file_addref,
    .file_release = native_file_release,
    .file_get_string = native_file_get_string,
    .file_get_progress = native_file_get_progress,
    .file_get_ranges = native_file_get_ranges,
    .file_set_remote_name = native_file_set_remote_name,
    .error_release = native_error_release,
    .error_get_file = native_error_get_file,
    .get_info_field = native_get_info_field,
    .error_get_text = native_error_get_text,
    .describe_hr = native_describe_hr,
    .os_checks_names = 1,
};
