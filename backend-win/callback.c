/* backend-win/callback.c - the COM object that bridges BITS notifications to a
 * bgcopy_callbacks struct: it implements IBackgroundCopyCallback3 and, through it,
 * IBackgroundCopyCallback2 and IBackgroundCopyCallback (each vtable extends the previous one),
 * so BITS of any version can use it.
 *
 * Each method wraps the interfaces BITS passes in (job, file, error) in public handles that live
 * for the call only (borrowed by the user's callback, as the public API promises), calls the
 * user's function and returns exactly what it returned: BITS then applies its own rules (a
 * JobTransferred or JobError that does not return S_OK is called again later, or the job's
 * command line runs instead). An absent member counts as S_OK. When a handle cannot be made (out
 * of memory) the method returns E_OUTOFMEMORY without calling the user, so BITS retries.
 *
 * Threads: BITS calls the methods on RPC threads of the process's multithreaded apartment, any
 * number at once; the object is immutable after creation apart from its reference count.
 */
#include <stdlib.h>
#include <string.h>

#include "native-int.h"

/* {44062564-f14b-4b67-b5a4-bd1010d9ae03}: answered only by QueryInterface of these objects, so
 * that a notify interface BITS hands back can be recognised as one of ours. Never marshalled:
 * a caller outside the process just gets E_NOINTERFACE for it. */
static const GUID iid_self = {
    0x44062564, 0xf14b, 0x4b67, {0xb5, 0xa4, 0xbd, 0x10, 0x10, 0xd9, 0xae, 0x03}};

struct callback {
    IBackgroundCopyCallback3 iface; /* first: the COM identity */
    volatile long refs;
    bgcopy_callbacks cb;
    void *user;
};

static struct callback *callback_of(IBackgroundCopyCallback3 *iface)
{
    return (struct callback *)iface;
}

static HRESULT STDMETHODCALLTYPE cb_query_interface(IBackgroundCopyCallback3 *This, REFIID riid,
                                                    void **ppv)
{
    if (ppv == NULL) {
        return E_POINTER;
    }
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IBackgroundCopyCallback) ||
        IsEqualIID(riid, &IID_IBackgroundCopyCallback2) ||
        IsEqualIID(riid, &IID_IBackgroundCopyCallback3) || IsEqualIID(riid, &iid_self)) {
        *ppv = This;
        This->lpVtbl->AddRef(This);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE cb_add_ref(IBackgroundCopyCallback3 *This)
{
    return (ULONG)bgcopy__atomic_inc(&callback_of(This)->refs);
}

static ULONG STDMETHODCALLTYPE cb_release(IBackgroundCopyCallback3 *This)
{
    struct callback *c = callback_of(This);
    long n = bgcopy__atomic_dec(&c->refs);

    if (n == 0) {
        free(c);
    }
    return (ULONG)n;
}

static HRESULT STDMETHODCALLTYPE cb_job_transferred(IBackgroundCopyCallback3 *This,
                                                    IBackgroundCopyJob *pJob)
{
    struct callback *c = callback_of(This);
    struct native_job *j;
    bgcopy_hr hr;

    if (c->cb.job_transferred == NULL) {
        return S_OK;
    }
    j = bgcopy__native_job_wrap(pJob);
    if (j == NULL) {
        return E_OUTOFMEMORY;
    }
    hr = c->cb.job_transferred(&j->pub, c->user);
    bgcopy_job_release(&j->pub);
    return (HRESULT)hr;
}

static HRESULT STDMETHODCALLTYPE cb_job_error(IBackgroundCopyCallback3 *This,
                                              IBackgroundCopyJob *pJob,
                                              IBackgroundCopyError *pError)
{
    struct callback *c = callback_of(This);
    struct native_job *j;
    bgcopy_error *err = NULL;
    bgcopy_hr hr;

    if (c->cb.job_error == NULL) {
        return S_OK;
    }
    hr = bgcopy__native_error_wrap(pError, &err);
    if (BGCOPY_FAILED(hr)) {
        return (HRESULT)hr;
    }
    j = bgcopy__native_job_wrap(pJob);
    if (j == NULL) {
        bgcopy_error_release(err);
        return E_OUTOFMEMORY;
    }
    hr = c->cb.job_error(&j->pub, err, c->user);
    bgcopy_error_release(err);
    bgcopy_job_release(&j->pub);
    return (HRESULT)hr;
}

static HRESULT STDMETHODCALLTYPE cb_job_modification(IBackgroundCopyCallback3 *This,
                                                     IBackgroundCopyJob *pJob, DWORD dwReserved)
{
    struct callback *c = callback_of(This);
    struct native_job *j;
    bgcopy_hr hr;

    if (c->cb.job_modification == NULL) {
        return S_OK;
    }
    j = bgcopy__native_job_wrap(pJob);
    if (j == NULL) {
        return E_OUTOFMEMORY;
    }
    hr = c->cb.job_modification(&j->pub, dwReserved, c->user);
    bgcopy_job_release(&j->pub);
    return (HRESULT)hr;
}

/* The job and file of a file notification as handles; 0 when out of memory. */
static int wrap_pair(IBackgroundCopyJob *job, IBackgroundCopyFile *file, struct native_job **j,
                     struct native_file **f)
{
    *j = bgcopy__native_job_wrap(job);
    *f = *j != NULL ? bgcopy__native_file_wrap(file) : NULL;
    if (*f == NULL) {
        if (*j != NULL) {
            bgcopy_job_release(&(*j)->pub);
        }
        return 0;
    }
    return 1;
}

static HRESULT STDMETHODCALLTYPE cb_file_transferred(IBackgroundCopyCallback3 *This,
                                                     IBackgroundCopyJob *pJob,
                                                     IBackgroundCopyFile *pFile)
{
    struct callback *c = callback_of(This);
    struct native_job *j;
    struct native_file *f;
    bgcopy_hr hr;

    if (c->cb.file_transferred == NULL) {
        return S_OK;
    }
    if (!wrap_pair(pJob, pFile, &j, &f)) {
        return E_OUTOFMEMORY;
    }
    hr = c->cb.file_transferred(&j->pub, &f->pub, c->user);
    bgcopy_file_release(&f->pub);
    bgcopy_job_release(&j->pub);
    return (HRESULT)hr;
}

/* The ranges are copied into bgcopy_file_range form for the call. */
static HRESULT STDMETHODCALLTYPE cb_file_ranges_transferred(IBackgroundCopyCallback3 *This,
                                                            IBackgroundCopyJob *job,
                                                            IBackgroundCopyFile *file,
                                                            DWORD rangeCount,
                                                            const BG_FILE_RANGE ranges[])
{
    struct callback *c = callback_of(This);
    bgcopy_file_range *r = NULL;
    struct native_job *j;
    struct native_file *f;
    bgcopy_hr hr;
    DWORD i;

    if (c->cb.file_ranges_transferred == NULL) {
        return S_OK;
    }
    if (rangeCount > 0) {
        r = bgcopy__calloc(rangeCount, sizeof(*r));
        if (r == NULL) {
            return E_OUTOFMEMORY;
        }
        for (i = 0; i < rangeCount; i++) {
            r[i].initial_offset = ranges[i].InitialOffset;
            r[i].length = ranges[i].Length;
        }
    }
    if (!wrap_pair(job, file, &j, &f)) {
        free(r);
        return E_OUTOFMEMORY;
    }
    hr = c->cb.file_ranges_transferred(&j->pub, &f->pub, rangeCount, r, c->user);
    bgcopy_file_release(&f->pub);
    bgcopy_job_release(&j->pub);
    free(r);
    return (HRESULT)hr;
}

static const IBackgroundCopyCallback3Vtbl callback_vtbl = {
    cb_query_interface, cb_add_ref,          cb_release,          cb_job_transferred,
    cb_job_error,       cb_job_modification, cb_file_transferred, cb_file_ranges_transferred,
};

IUnknown *bgcopy__native_callback_new(const bgcopy_callbacks *cb, void *user)
{
    struct callback *c = bgcopy__calloc(1, sizeof(*c));

    if (c == NULL) {
        return NULL;
    }
    c->iface.lpVtbl = &callback_vtbl;
    c->refs = 1;
    c->cb = *cb;
    c->user = user;
    return (IUnknown *)&c->iface;
}

int bgcopy__native_callback_read(IUnknown *unknown, bgcopy_callbacks *cb, void **user)
{
    IBackgroundCopyCallback3 *self = NULL;
    struct callback *c;

    if (FAILED(IUnknown_QueryInterface(unknown, &iid_self, (void **)&self))) {
        return 0;
    }
    c = callback_of(self);
    *cb = c->cb;
    *user = c->user;
    self->lpVtbl->Release(self);
    return 1;
}
