/* backend-win/native-int.h - private header of the native engine: the public handles wrapped
 * around BITS COM interfaces, and what native.c and callback.c share.
 *
 * Every public handle of the native engine (struct bgcopy_job, bgcopy_file, bgcopy_error,
 * bgcopy_manager of core-int.h) is the first member of a small wrapper that owns one reference
 * on the BITS interface it stands for. Wrappers are reference counted on their own; releasing
 * the last reference releases the interface. Two wrappers may stand for the same BITS object
 * (each GetJob, EnumJobs or callback makes a new one); BITS is the one that holds the state.
 *
 * Threads and apartments: every interface pointer lives in the process's multithreaded
 * apartment (kept alive with CoIncrementMTAUsage from the first native manager on), so any
 * thread that has not entered a single-threaded apartment may use any wrapper. A call from an
 * STA thread gets COM's RPC_E_WRONG_THREAD (0x8001010E) back unchanged.
 */
#ifndef BGCOPY_NATIVE_INT_H
#define BGCOPY_NATIVE_INT_H

#include "core-int.h"
#include "bits-extra.h"
#include "../platform/win/win-int.h"

struct native_job {
    struct bgcopy_job pub; /* first: the public handle */
    volatile long refs;
    IBackgroundCopyJob *bits;
};

struct native_file {
    struct bgcopy_file pub;
    volatile long refs;
    IBackgroundCopyFile *bits;
};

extern const struct bgcopy__engine_ops bgcopy__native_ops;

/* Wraps a BITS interface in a new public handle (reference count 1) that takes its own
 * reference on the interface. NULL when out of memory. */
struct native_job *bgcopy__native_job_wrap(IBackgroundCopyJob *bits);
struct native_file *bgcopy__native_file_wrap(IBackgroundCopyFile *bits);
/* A new error object for a BITS error: its context and code are read once here (they never
 * change). Errors: E_OUTOFMEMORY, or the failure of IBackgroundCopyError::GetError. */
bgcopy_hr bgcopy__native_error_wrap(IBackgroundCopyError *bits, bgcopy_error **out);

/* QueryInterface for an interface of a BITS object, with the proxy blanket the native engine
 * uses (bgcopy__native_blanket). Returns the QueryInterface HRESULT (E_NOINTERFACE when the
 * system's BITS lacks that interface). */
bgcopy_hr bgcopy__native_qi(void *unknown, REFIID iid, void **out);
/* Sets impersonation level IMPERSONATE on a proxy, which BITS needs to reach the caller's
 * files; a pointer that is no proxy (or a COM without the call) is left as it is. */
void bgcopy__native_blanket(void *unknown);

/* GUID <-> bgcopy_guid (canonical text order). */
void bgcopy__native_guid_in(const bgcopy_guid *g, GUID *out);
void bgcopy__native_guid_out(const GUID *g, bgcopy_guid *out);

/* A string BITS handed out (CoTaskMemAlloc'ed UTF-16) as a malloc'ed UTF-8 copy in *out; the
 * BITS string is freed in every case. NULL in -> NULL out. */
bgcopy_hr bgcopy__native_take_string(LPWSTR w, char **out);

/* ---- callback.c ------------------------------------------------------------------------ */

/* A new COM callback object (IBackgroundCopyCallback3, 2 and 1) forwarding to cb with user;
 * reference count 1. NULL when out of memory. */
IUnknown *bgcopy__native_callback_new(const bgcopy_callbacks *cb, void *user);
/* When unknown is one of our callback objects, copies its callbacks and user and returns 1;
 * else 0 (another program's callback object, or a notification CLSID's). */
int bgcopy__native_callback_read(IUnknown *unknown, bgcopy_callbacks *cb, void **user);

#endif /* BGCOPY_NATIVE_INT_H */
