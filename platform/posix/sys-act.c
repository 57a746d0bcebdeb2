/* platform/posix/sys-act.c - acting as a job's owner (contract in core/sys.h): the per-thread
 * credential switch a system-wide bgcopyd uses so that each job's files are created, read and
 * renamed, and its command line runs, as the job's owner.
 *
 * Linux keeps credentials per thread; glibc's setresuid() & co. change every thread of the
 * process (they broadcast), so the switch uses the raw system calls, which change the calling
 * thread only. The saved set-user-ID stays 0, so the thread can switch back. File operations
 * switch the effective ids only (a user cannot signal a thread whose real uid stays root);
 * programs also switch the real ids (the child of a thread with real uid 0 could setuid(0)
 * again; after exec its saved id is the owner's as well). Elsewhere acting as owners is
 * E_NOTIMPL and begin/end do nothing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include "sys.h"

#define MAX_GROUPS 256

#if defined(__linux__)

static volatile int act_enabled;
static gid_t own_groups[MAX_GROUPS]; /* the service's own supplementary groups */
static int own_ngroups;

bgcopy_hr bgcopy__sys_act_as_owners(void)
{
    int n;

    if (geteuid() != 0) {
        return BGCOPY_E_ACCESSDENIED;
    }
    n = getgroups(MAX_GROUPS, own_groups);
    own_ngroups = n > 0 ? n : 0;
    act_enabled = 1;
    return BGCOPY_S_OK;
}

/* uid, gid and groups of owner. Returns 0, or -1 when it names no usable account. */
static int resolve(const char *owner, uid_t *uid, gid_t *gid, gid_t *groups, int *ngroups)
{
    struct passwd pw, *found = NULL;
    char buf[4096], *end;
    unsigned long v;

    if (strncmp(owner, "uid:", 4) == 0) {
        errno = 0;
        v = strtoul(owner + 4, &end, 10);
        if (errno != 0 || *end != '\0' || owner[4] == '\0' || v >= (unsigned long)(uid_t)-1) {
            return -1;
        }
        *uid = (uid_t)v;
        *gid = (gid_t)v;
        *ngroups = 0;
        return 0;
    }
    if (getpwnam_r(owner, &pw, buf, sizeof(buf), &found) != 0 || found == NULL) {
        return -1;
    }
    *uid = pw.pw_uid;
    *gid = pw.pw_gid;
    if (getgrouplist(owner, pw.pw_gid, groups, ngroups) < 0) {
        *ngroups = 0; /* more than MAX_GROUPS: the primary group only */
    }
    return 0;
}

bgcopy_hr bgcopy__sys_act_begin(const char *owner, int program, bgcopy__act *act)
{
    gid_t groups[MAX_GROUPS];
    int ngroups = MAX_GROUPS;
    uid_t uid;
    gid_t gid;
    long keep = -1;

    act->active = 0;
    if (!act_enabled || owner == NULL) {
        return BGCOPY_S_OK;
    }
    if (resolve(owner, &uid, &gid, groups, &ngroups) != 0) {
        return BGCOPY_E_ACCESSDENIED;
    }
    if (uid == 0) {
        return BGCOPY_S_OK;
    }
    act->active = 1;
    if (syscall(SYS_setgroups, (size_t)ngroups, groups) != 0 ||
        syscall(SYS_setresgid, program ? (long)gid : keep, (long)gid, keep) != 0 ||
        syscall(SYS_setresuid, program ? (long)uid : keep, (long)uid, keep) != 0) {
        bgcopy__sys_act_end(act);
        return BGCOPY_E_ACCESSDENIED;
    }
    return BGCOPY_S_OK;
}

void bgcopy__sys_act_end(bgcopy__act *act)
{
    if (!act->active) {
        return;
    }
    act->active = 0;
    /* Root first (the saved id allows it), then the groups as root. A failure here would
     * leave the thread unprivileged, which refuses work rather than granting any: abort. */
    if (syscall(SYS_setresuid, 0L, 0L, -1L) != 0 || syscall(SYS_setresgid, 0L, 0L, -1L) != 0 ||
        syscall(SYS_setgroups, (size_t)own_ngroups, own_groups) != 0) {
        abort();
    }
}

#else /* no per-thread credentials */

bgcopy_hr bgcopy__sys_act_as_owners(void)
{
    return BGCOPY_E_NOTIMPL;
}

bgcopy_hr bgcopy__sys_act_begin(const char *owner, int program, bgcopy__act *act)
{
    act->active = 0;
    return BGCOPY_S_OK;
}

void bgcopy__sys_act_end(bgcopy__act *act)
{
    act->active = 0;
}

#endif
