/* platform/win/store-none.c - the job store of a Windows build: none.
 *
 * core/store.c needs SQLite, which Debian does not package for mingw-w64, so a Windows build's
 * emulated engine keeps its jobs in the process only (the native engine, the default on
 * Windows, has BITS's own queue). This file gives the engine the store interface of
 * core/core-int.h with nothing behind it: bgcopy__store_available() says so, and the engine then
 * treats every state directory as BGCOPY_STATE_MEMORY (docs/fidelity.md, "Windows builds").
 */
#include "core-int.h"

int bgcopy__store_available(void)
{
    return 0;
}

bgcopy_hr bgcopy__store_open(const char *dir, struct bgcopy__store **out)
{
    (void)dir;
    *out = NULL;
    return BGCOPY_E_NOTIMPL;
}

void bgcopy__store_close(struct bgcopy__store *s)
{
    (void)s;
}

bgcopy_hr bgcopy__store_load(struct bgcopy__engine *e)
{
    (void)e;
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__store_save(struct emu_job *job)
{
    (void)job;
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__store_save_progress(struct emu_job *job)
{
    (void)job;
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__store_save_file(struct emu_job *job, struct emu_file *f)
{
    (void)job;
    (void)f;
    return BGCOPY_S_OK;
}

void bgcopy__store_progress(struct emu_job *job, struct emu_file *f, uint64_t len)
{
    (void)job;
    (void)f;
    (void)len;
}

bgcopy_hr bgcopy__store_forget(struct emu_job *job)
{
    (void)job;
    return BGCOPY_S_OK;
}
