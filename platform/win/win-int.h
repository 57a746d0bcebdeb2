/* platform/win/win-int.h - helpers shared by the Windows seam (platform/win/) and the native
 * engine (backend-win/): UTF-8 <-> UTF-16 conversion and Win32 error codes as HRESULTs.
 *
 * Only Windows sources include this header (it includes <windows.h>); core/ never does.
 */
#ifndef BGCOPY_WIN_INT_H
#define BGCOPY_WIN_INT_H

#include <windows.h>

#include "bgcopy/errors.h"

/* HRESULT_FROM_WIN32(ERROR_NO_UNICODE_TRANSLATION), 0x80070459: text that is not valid UTF-8
 * (or UTF-16) cannot cross the boundary. */
#define BGCOPY__WIN_E_BAD_UTF BGCOPY_HR_FROM_WIN32(1113)

/* Converts UTF-8 s to a malloc'ed, NUL-terminated UTF-16 string in *out (NULL in -> NULL out).
 * Errors: BGCOPY__WIN_E_BAD_UTF (invalid UTF-8), E_OUTOFMEMORY; *out is NULL then. */
bgcopy_hr bgcopy__win_utf16(const char *s, wchar_t **out);

/* Converts UTF-16 w to a malloc'ed UTF-8 string in *out (NULL in -> NULL out). Errors:
 * BGCOPY__WIN_E_BAD_UTF (unpaired surrogate), E_OUTOFMEMORY; *out is NULL then. */
bgcopy_hr bgcopy__win_utf8(const wchar_t *w, char **out);

/* The calling thread's GetLastError() as an HRESULT (E_FAIL if it is 0). */
bgcopy_hr bgcopy__win_last_hr(void);

#endif /* BGCOPY_WIN_INT_H */
