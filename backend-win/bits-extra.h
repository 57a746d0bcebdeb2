/* backend-win/bits-extra.h - BITS COM interfaces that mingw-w64's headers (version 10, Debian 12)
 * do not declare, written out for C: IBackgroundCopyFile3 (BITS 3.0) and
 * IBackgroundCopyCallback3 (BITS 10.1).
 *
 * Interface ids are those of the BITS reference, Appendix A; the method order of each vtable is
 * that of the Windows SDK's bits3_0.idl and bits10_1.idl (each interface extends the previous
 * one, so its vtable starts with its parent's). Everything else comes from mingw's bits*.h,
 * which this header includes. The GUIDs are defined (not only declared) in the one source that
 * includes <initguid.h> first (guids.c).
 */
#ifndef BGCOPY_BITS_EXTRA_H
#define BGCOPY_BITS_EXTRA_H

#include <windows.h>
#include <objbase.h>
#include <bits.h>
#include <bits1_5.h>
#include <bits2_0.h>
#include <bits2_5.h>
#include <bits3_0.h>
#include <bits5_0.h>

/* ---- IBackgroundCopyFile3 : IBackgroundCopyFile2 ------------------------------------------ */

DEFINE_GUID(IID_IBackgroundCopyFile3, 0x659cdeaa, 0x489e, 0x11d9, 0xa9, 0xcd, 0x00, 0x0d, 0x56,
            0x96, 0x52, 0x51);

typedef struct IBackgroundCopyFile3 IBackgroundCopyFile3;

typedef struct IBackgroundCopyFile3Vtbl {
    /* IUnknown */
    HRESULT(STDMETHODCALLTYPE *QueryInterface)(IBackgroundCopyFile3 *This, REFIID riid, void **ppv);
    ULONG(STDMETHODCALLTYPE *AddRef)(IBackgroundCopyFile3 *This);
    ULONG(STDMETHODCALLTYPE *Release)(IBackgroundCopyFile3 *This);
    /* IBackgroundCopyFile */
    HRESULT(STDMETHODCALLTYPE *GetRemoteName)(IBackgroundCopyFile3 *This, LPWSTR *pVal);
    HRESULT(STDMETHODCALLTYPE *GetLocalName)(IBackgroundCopyFile3 *This, LPWSTR *pVal);
    HRESULT(STDMETHODCALLTYPE *GetProgress)(IBackgroundCopyFile3 *This, BG_FILE_PROGRESS *pVal);
    /* IBackgroundCopyFile2 */
    HRESULT(STDMETHODCALLTYPE *GetFileRanges)
    (IBackgroundCopyFile3 *This, DWORD *RangeCount, BG_FILE_RANGE **Ranges);
    HRESULT(STDMETHODCALLTYPE *SetRemoteName)(IBackgroundCopyFile3 *This, LPCWSTR Val);
    /* IBackgroundCopyFile3 */
    HRESULT(STDMETHODCALLTYPE *GetTemporaryName)(IBackgroundCopyFile3 *This, LPWSTR *pFilename);
    HRESULT(STDMETHODCALLTYPE *SetValidationState)(IBackgroundCopyFile3 *This, WINBOOL state);
    HRESULT(STDMETHODCALLTYPE *GetValidationState)(IBackgroundCopyFile3 *This, WINBOOL *pState);
    HRESULT(STDMETHODCALLTYPE *IsDownloadedFromPeer)(IBackgroundCopyFile3 *This, WINBOOL *pVal);
} IBackgroundCopyFile3Vtbl;

struct IBackgroundCopyFile3 {
    const IBackgroundCopyFile3Vtbl *lpVtbl;
};

/* ---- IBackgroundCopyCallback3 : IBackgroundCopyCallback2 ---------------------------------- */

DEFINE_GUID(IID_IBackgroundCopyCallback3, 0x98c97bd2, 0xe32b, 0x4ad8, 0xa5, 0x28, 0x95, 0xfd, 0x8b,
            0x16, 0xbd, 0x42);

typedef struct IBackgroundCopyCallback3 IBackgroundCopyCallback3;

typedef struct IBackgroundCopyCallback3Vtbl {
    /* IUnknown */
    HRESULT(STDMETHODCALLTYPE *QueryInterface)
    (IBackgroundCopyCallback3 *This, REFIID riid, void **ppv);
    ULONG(STDMETHODCALLTYPE *AddRef)(IBackgroundCopyCallback3 *This);
    ULONG(STDMETHODCALLTYPE *Release)(IBackgroundCopyCallback3 *This);
    /* IBackgroundCopyCallback */
    HRESULT(STDMETHODCALLTYPE *JobTransferred)
    (IBackgroundCopyCallback3 *This, IBackgroundCopyJob *pJob);
    HRESULT(STDMETHODCALLTYPE *JobError)
    (IBackgroundCopyCallback3 *This, IBackgroundCopyJob *pJob, IBackgroundCopyError *pError);
    HRESULT(STDMETHODCALLTYPE *JobModification)
    (IBackgroundCopyCallback3 *This, IBackgroundCopyJob *pJob, DWORD dwReserved);
    /* IBackgroundCopyCallback2 */
    HRESULT(STDMETHODCALLTYPE *FileTransferred)
    (IBackgroundCopyCallback3 *This, IBackgroundCopyJob *pJob, IBackgroundCopyFile *pFile);
    /* IBackgroundCopyCallback3 */
    HRESULT(STDMETHODCALLTYPE *FileRangesTransferred)
    (IBackgroundCopyCallback3 *This, IBackgroundCopyJob *job, IBackgroundCopyFile *file,
     DWORD rangeCount, const BG_FILE_RANGE ranges[]);
} IBackgroundCopyCallback3Vtbl;

struct IBackgroundCopyCallback3 {
    const IBackgroundCopyCallback3Vtbl *lpVtbl;
};

#endif /* BGCOPY_BITS_EXTRA_H */
