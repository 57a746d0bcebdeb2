/* backend-win/guids.c - the one definition of every BITS interface id and class id the native
 * engine uses (IID_IBackgroundCopyJob ..., CLSID_BackgroundCopyManager).
 *
 * mingw-w64's libuuid does not carry the BITS GUIDs, so they are defined here: <initguid.h>
 * turns the DEFINE_GUID lines of the headers included after it into definitions. The Windows
 * and COM headers come first so that only the BITS GUIDs are defined in this file.
 */
#include <windows.h>
#include <objbase.h>

#include <initguid.h>

#include "bits-extra.h"
