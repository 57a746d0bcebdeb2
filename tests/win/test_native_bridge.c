/* tests/win/test_native_bridge.c - the native engine's parts that need no BITS service, checked
 * on Windows (or under Wine, `make wine-smoke`): the COM callback object that bridges BITS
 * notifications to bgcopy_callbacks, the UTF-8/UTF-16 and GUID conversions, and the options the
 * native engine refuses.
 *
 * The callback object is driven the way BITS drives it, through its vtable, with small fake
 * IBackgroundCopyJob / IBackgroundCopyError / IBackgroundCopyFile objects. Wine's BITS only
 * ever calls JobTransferred, so this is where JobError, JobModification, FileTransferred and
 * FileRangesTransferred are pinned: each forwards to the user's function with handles wired to
 * the objects BITS passed, and returns exactly what that function returned. Every reference it
 * takes on BITS' objects is given back.
 *
 * Plain C (CMocka is not available for mingw-w64): one line per check, then
 * "N passed, N failed"; exit status 0 when nothing failed.
 */
#include <stdio.h>
#include <string.h>

#include "native-int.h"

static int passed, failed;

static void check(int ok, const char *what)
{
    printf("%s  %s\n", ok ? "ok  " : "FAIL", what);
    if (ok) {
        passed++;
    } else {
        failed++;
    }
}

/* ---- fake BITS objects ----------------------------------------------------------------- */

struct fake {
    void *vtbl;
    long refs;
};

static HRESULT STDMETHODCALLTYPE fake_qi(struct fake *This, REFIID riid, void **ppv)
{
    if (IsEqualIID(riid, &IID_IUnknown)) {
        *ppv = This;
        This->refs++;
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE fake_add_ref(struct fake *This)
{
    return (ULONG)++This->refs;
}

static ULONG STDMETHODCALLTYPE fake_release(struct fake *This)
{
    return (ULONG)--This->refs;
}

static HRESULT STDMETHODCALLTYPE job_get_state(IBackgroundCopyJob *This, BG_JOB_STATE *state)
{
    (void)This;
    *state = BG_JOB_STATE_TRANSFERRED;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE error_get_error(IBackgroundCopyError *This, BG_ERROR_CONTEXT *ctx,
                                                 HRESULT *code)
{
    (void)This;
    *ctx = BG_ERROR_CONTEXT_REMOTE_FILE;
    *code = (HRESULT)0x80190194;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE error_get_file(IBackgroundCopyError *This,
                                                IBackgroundCopyFile **file)
{
    (void)This;
    *file = NULL;
    return (HRESULT)BGCOPY_E_FILE_NOT_AVAILABLE;
}

static HRESULT STDMETHODCALLTYPE file_get_remote_name(IBackgroundCopyFile *This, LPWSTR *name)
{
    static const wchar_t text[] = L"http://127.0.0.1/\u00e9t\u00e9.bin";

    (void)This;
    *name = CoTaskMemAlloc(sizeof(text));
    if (*name == NULL) {
        return E_OUTOFMEMORY;
    }
    memcpy(*name, text, sizeof(text));
    return S_OK;
}

#define FAKE_UNKNOWN(type)                                                            \
    .QueryInterface = (HRESULT(STDMETHODCALLTYPE *)(type *, REFIID, void **))fake_qi, \
    .AddRef = (ULONG(STDMETHODCALLTYPE *)(type *))fake_add_ref,                       \
    .Release = (ULONG(STDMETHODCALLTYPE *)(type *))fake_release

/* Only the methods the bridge and the callbacks below use; the rest stay NULL. */
static IBackgroundCopyJobVtbl job_vtbl = {FAKE_UNKNOWN(IBackgroundCopyJob),
                                          .GetState = job_get_state};
static IBackgroundCopyErrorVtbl error_vtbl = {
    FAKE_UNKNOWN(IBackgroundCopyError), .GetError = error_get_error, .GetFile = error_get_file};
static IBackgroundCopyFileVtbl file_vtbl = {FAKE_UNKNOWN(IBackgroundCopyFile),
                                            .GetRemoteName = file_get_remote_name};

static struct fake fake_job = {&job_vtbl, 1};
static struct fake fake_error = {&error_vtbl, 1};
static struct fake fake_file = {&file_vtbl, 1};

/* ---- user callbacks: record what they were given, return a chosen HRESULT ------------- */

struct record {
    int calls;
    bgcopy_job_state state;
    bgcopy_error_context context;
    bgcopy_hr code, get_file_hr;
    uint32_t reserved, range_count;
    bgcopy_file_range ranges[2];
    char remote[128];
};

static struct record rec;
static int user_token;

static bgcopy_hr user_transferred(bgcopy_job *job, void *user)
{
    rec.calls++;
    if (user == &user_token) {
        bgcopy_job_get_state(job, &rec.state);
    }
    return (bgcopy_hr)0x80004005; /* E_FAIL: BITS is to call again later */
}

static bgcopy_hr user_error(bgcopy_job *job, bgcopy_error *err, void *user)
{
    bgcopy_file *file = NULL;

    (void)job;
    (void)user;
    rec.calls++;
    bgcopy_error_get_error(err, &rec.context, &rec.code);
    rec.get_file_hr = bgcopy_error_get_file(err, &file);
    return BGCOPY_S_OK;
}

static bgcopy_hr user_modification(bgcopy_job *job, uint32_t reserved, void *user)
{
    (void)job;
    (void)user;
    rec.calls++;
    rec.reserved = reserved;
    return BGCOPY_S_FALSE;
}

static void record_remote(bgcopy_file *file)
{
    char *name = NULL;

    if (BGCOPY_SUCCEEDED(bgcopy_file_get_remote_name(file, &name)) && name != NULL) {
        snprintf(rec.remote, sizeof(rec.remote), "%s", name);
    }
    bgcopy_free(name);
}

static bgcopy_hr user_file(bgcopy_job *job, bgcopy_file *file, void *user)
{
    (void)job;
    (void)user;
    rec.calls++;
    record_remote(file);
    return BGCOPY_E_OUTOFMEMORY;
}

static bgcopy_hr user_ranges(bgcopy_job *job, bgcopy_file *file, uint32_t count,
                             const bgcopy_file_range *ranges, void *user)
{
    (void)job;
    (void)user;
    rec.calls++;
    record_remote(file);
    rec.range_count = count;
    memcpy(rec.ranges, ranges, sizeof(rec.ranges[0]) * (count < 2 ? count : 2));
    return (bgcopy_hr)0x80070057; /* E_INVALIDARG: passed back as it is */
}

/* ---- checks ------------------------------------------------------------------------------- */

static void test_bridge(void)
{
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT, got;
    IUnknown *obj;
    IBackgroundCopyCallback3 *c3 = NULL;
    void *p = NULL, *user = NULL;
    BG_FILE_RANGE ranges[2] = {{0, 100}, {4096, BG_LENGTH_TO_EOF}};
    IBackgroundCopyJob *job = (IBackgroundCopyJob *)&fake_job;
    IBackgroundCopyFile *file = (IBackgroundCopyFile *)&fake_file;
    HRESULT hr;

    cb.job_transferred = user_transferred;
    cb.job_error = user_error;
    cb.job_modification = user_modification;
    cb.file_transferred = user_file;
    cb.file_ranges_transferred = user_ranges;
    obj = bgcopy__native_callback_new(&cb, &user_token);
    check(obj != NULL, "callback object created");
    if (obj == NULL) {
        return;
    }

    check(IUnknown_QueryInterface(obj, &IID_IBackgroundCopyCallback, &p) == S_OK && p == obj,
          "QueryInterface(IBackgroundCopyCallback) = the object");
    IUnknown_Release((IUnknown *)p);
    check(IUnknown_QueryInterface(obj, &IID_IBackgroundCopyCallback2, &p) == S_OK && p == obj,
          "QueryInterface(IBackgroundCopyCallback2) = the object");
    IUnknown_Release((IUnknown *)p);
    check(IUnknown_QueryInterface(obj, &IID_IBackgroundCopyCallback3, (void **)&c3) == S_OK &&
              (void *)c3 == (void *)obj,
          "QueryInterface(IBackgroundCopyCallback3) = the object");
    check(IUnknown_QueryInterface(obj, &IID_IBackgroundCopyJob, &p) == E_NOINTERFACE && p == NULL,
          "QueryInterface(other) = E_NOINTERFACE, NULL");

    memset(&rec, 0, sizeof(rec));
    hr = c3->lpVtbl->JobTransferred(c3, job);
    check(hr == (HRESULT)0x80004005 && rec.calls == 1,
          "JobTransferred returns the user's E_FAIL (BITS retries)");
    check(rec.state == BGCOPY_JOB_STATE_TRANSFERRED && rec.calls == 1,
          "JobTransferred: the job handle reads BITS' job (GetState)");

    memset(&rec, 0, sizeof(rec));
    hr = c3->lpVtbl->JobError(c3, job, (IBackgroundCopyError *)&fake_error);
    check(hr == S_OK, "JobError returns the user's S_OK");
    check(rec.context == BGCOPY_ERROR_CONTEXT_REMOTE_FILE && rec.code == (bgcopy_hr)0x80190194,
          "JobError: error object gives context 5, code 0x80190194");
    check(rec.get_file_hr == BGCOPY_E_FILE_NOT_AVAILABLE,
          "JobError: GetFile's BG_E_FILE_NOT_AVAILABLE passes through");

    memset(&rec, 0, sizeof(rec));
    hr = c3->lpVtbl->JobModification(c3, job, 7);
    check(hr == S_FALSE && rec.reserved == 7, "JobModification: reserved passed, S_FALSE back");

    memset(&rec, 0, sizeof(rec));
    hr = c3->lpVtbl->FileTransferred(c3, job, file);
    check(hr == E_OUTOFMEMORY && strcmp(rec.remote, "http://127.0.0.1/\xc3\xa9t\xc3\xa9.bin") == 0,
          "FileTransferred: file handle reads BITS' file (UTF-16 -> UTF-8), result passed back");

    memset(&rec, 0, sizeof(rec));
    hr = c3->lpVtbl->FileRangesTransferred(c3, job, file, 2, ranges);
    check(hr == E_INVALIDARG && rec.range_count == 2 && rec.ranges[0].initial_offset == 0 &&
              rec.ranges[0].length == 100 && rec.ranges[1].initial_offset == 4096 &&
              rec.ranges[1].length == BGCOPY_LENGTH_TO_EOF,
          "FileRangesTransferred: ranges copied, result passed back");

    memset(&got, 0, sizeof(got));
    check(bgcopy__native_callback_read(obj, &got, &user) && user == &user_token &&
              got.job_error == user_error && got.file_ranges_transferred == user_ranges,
          "our callback object is recognised and its callbacks read back");
    check(!bgcopy__native_callback_read((IUnknown *)&fake_job, &got, &user),
          "another object is not taken for ours");

    c3->lpVtbl->Release(c3);
    IUnknown_Release(obj);
    check(fake_job.refs == 1 && fake_error.refs == 1 && fake_file.refs == 1,
          "every reference taken on BITS' objects was released");
}

static void test_absent_members(void)
{
    bgcopy_callbacks cb = BGCOPY_CALLBACKS_INIT;
    IUnknown *obj = bgcopy__native_callback_new(&cb, NULL);
    IBackgroundCopyCallback3 *c3 = (IBackgroundCopyCallback3 *)obj;
    BG_FILE_RANGE r = {0, 1};
    IBackgroundCopyJob *job = (IBackgroundCopyJob *)&fake_job;
    IBackgroundCopyFile *file = (IBackgroundCopyFile *)&fake_file;

    if (obj == NULL) {
        check(0, "callback object created");
        return;
    }
    check(c3->lpVtbl->JobTransferred(c3, job) == S_OK &&
              c3->lpVtbl->JobError(c3, job, (IBackgroundCopyError *)&fake_error) == S_OK &&
              c3->lpVtbl->JobModification(c3, job, 0) == S_OK &&
              c3->lpVtbl->FileTransferred(c3, job, file) == S_OK &&
              c3->lpVtbl->FileRangesTransferred(c3, job, file, 1, &r) == S_OK,
          "absent members count as S_OK");
    IUnknown_Release(obj);
    check(fake_job.refs == 1 && fake_error.refs == 1 && fake_file.refs == 1,
          "no reference taken for absent members");
}

static void test_conversions(void)
{
    static const char utf8[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; /* e-acute, euro, emoji */
    static const wchar_t utf16[] = {0x00e9, 0x20ac, 0xd83d, 0xde00, 0};
    static const wchar_t lone[] = {0x0041, 0xd800, 0};
    bgcopy_guid g;
    wchar_t *w = NULL;
    char *s = NULL;
    GUID out;

    check(bgcopy__win_utf16(utf8, &w) == BGCOPY_S_OK && w != NULL && wcscmp(w, utf16) == 0,
          "UTF-8 -> UTF-16 (BMP and a surrogate pair)");
    free(w);
    check(bgcopy__win_utf8(utf16, &s) == BGCOPY_S_OK && s != NULL && strcmp(s, utf8) == 0,
          "UTF-16 -> UTF-8");
    free(s);
    check(bgcopy__win_utf16("bad \xff byte", &w) == (bgcopy_hr)0x80070459 && w == NULL,
          "invalid UTF-8 -> HRESULT_FROM_WIN32(ERROR_NO_UNICODE_TRANSLATION), nothing out");
    check(bgcopy__win_utf8(lone, &s) == (bgcopy_hr)0x80070459 && s == NULL,
          "unpaired surrogate -> 0x80070459, nothing out");
    check(bgcopy_guid_from_string("{4991d34b-80a1-4291-83b6-3328366b9097}", &g) == BGCOPY_S_OK,
          "GUID text parsed");
    bgcopy__native_guid_in(&g, &out);
    check(IsEqualGUID(&out, &CLSID_BackgroundCopyManager),
          "bgcopy_guid -> GUID: {4991d34b-...} is CLSID_BackgroundCopyManager");
    memset(&g, 0, sizeof(g));
    bgcopy__native_guid_out(&CLSID_BackgroundCopyManager, &g);
    {
        char text[BGCOPY_GUID_STRING_SIZE];

        bgcopy_guid_to_string(&g, text);
        check(strcmp(text, "{4991d34b-80a1-4291-83b6-3328366b9097}") == 0, "GUID -> bgcopy_guid");
    }
}

static void test_open_options(void)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *m = (bgcopy_manager *)&o;
    bgcopy_sim *sim = NULL;

    o.engine = BGCOPY_ENGINE_NATIVE;
    o.user = "someone";
    check(bgcopy_manager_open(&o, &m) == BGCOPY_E_INVALIDARG && m == NULL,
          "native engine with options.user -> E_INVALIDARG (it acts as the caller only)");
    o.user = NULL;
    if (bgcopy_sim_create(NULL, &sim) == BGCOPY_S_OK) {
        o.sim = sim;
        check(bgcopy_manager_open(&o, &m) == BGCOPY_E_INVALIDARG && m == NULL,
              "native engine with a simulation -> E_INVALIDARG");
        o.engine = BGCOPY_ENGINE_DEFAULT;
        check(bgcopy_manager_open(&o, &m) == BGCOPY_S_OK && m != NULL,
              "default engine with a simulation -> the emulated engine");
        bgcopy_manager_close(m);
        bgcopy_sim_destroy(sim);
    } else {
        check(0, "bgcopy_sim_create");
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    test_bridge();
    test_absent_members();
    test_conversions();
    test_open_options();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
