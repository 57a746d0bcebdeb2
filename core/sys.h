/* sys.h - the platform seam of the core.
 *
 * core/ includes no operating-system header. Everything it needs from the
 * platform - clocks, threads, locks, files, the user's name, random bytes -
 * is declared here and implemented once per platform (platform/posix/ today,
 * platform/win/ later). Functions that can fail return a bgcopy_hr with the
 * HRESULT Windows would report for the same failure (ENOENT ->
 * HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND), EACCES -> E_ACCESSDENIED, ENOSPC
 * -> HRESULT_FROM_WIN32(ERROR_DISK_FULL), ...), so the engine can record them
 * as job errors unchanged.
 *
 * Threads: every function is safe to call from any thread.
 */
#ifndef BGCOPY_SYS_H
#define BGCOPY_SYS_H

#include <stddef.h>
#include <stdint.h>

#include "bgcopy/errors.h"

/* ---- time ------------------------------------------------------------------ */

/* Monotonic time in microseconds from an arbitrary origin. */
int64_t bgcopy__sys_mono_us(void);
/* Wall-clock time in microseconds since the Unix epoch. */
int64_t bgcopy__sys_wall_us(void);
/* Offset of local time from UTC at wall time wall_us (Unix microseconds), in seconds east of
 * UTC (3600 for UTC+1); 0 when the time zone is unknown. */
int32_t bgcopy__sys_utc_offset(int64_t wall_us);

/* ---- locks and threads ------------------------------------------------------ */

typedef struct bgcopy__mutex bgcopy__mutex;
typedef struct bgcopy__cond bgcopy__cond;
typedef struct bgcopy__thread bgcopy__thread;

/* Creation returns NULL when out of memory. A mutex is not recursive. */
bgcopy__mutex *bgcopy__mutex_new(void);
void bgcopy__mutex_free(bgcopy__mutex *m);
void bgcopy__mutex_lock(bgcopy__mutex *m);
void bgcopy__mutex_unlock(bgcopy__mutex *m);

bgcopy__cond *bgcopy__cond_new(void);
void bgcopy__cond_free(bgcopy__cond *c);
void bgcopy__cond_signal(bgcopy__cond *c);
void bgcopy__cond_broadcast(bgcopy__cond *c);
/* Waits until signalled or until the monotonic deadline (bgcopy__sys_mono_us
 * scale) passes; deadline_us < 0 waits without limit. m must be locked. */
void bgcopy__cond_wait_until(bgcopy__cond *c, bgcopy__mutex *m, int64_t deadline_us);

/* Starts fn(arg) on a new thread. Errors: E_OUTOFMEMORY, E_FAIL. */
bgcopy_hr bgcopy__thread_start(bgcopy__thread **out, void (*fn)(void *), void *arg);
/* Waits for the thread to end and frees it. */
void bgcopy__thread_join(bgcopy__thread *t);
/* Called by a thread on itself as it ends: no one will join it; its
 * resources are freed when it exits. */
void bgcopy__thread_detach(bgcopy__thread *t);
/* An identifier of the calling thread, unique among live threads. */
uintptr_t bgcopy__thread_self(void);

/* One process-wide lock, usable without initialisation (for lazily created
 * process-wide objects). Not recursive. */
void bgcopy__sys_global_lock(void);
void bgcopy__sys_global_unlock(void);

/* Atomic counters (sequentially consistent). Both return the new value. */
long bgcopy__atomic_inc(volatile long *p);
long bgcopy__atomic_dec(volatile long *p);
/* The current value (a sequentially consistent load: counters another thread may change
 * without the engine lock are read with it, never plainly). */
long bgcopy__atomic_get(volatile long *p);

/* ---- identity --------------------------------------------------------------- */

/* The name of the user running this process (malloc'ed; NULL when out of
 * memory). Falls back to "uid:<n>" when the user has no name. */
char *bgcopy__sys_user_name(void);

/* Fills buf with len cryptographically random bytes. Errors: E_FAIL. */
bgcopy_hr bgcopy__sys_random(void *buf, size_t len);

/* ---- acting as a job's owner ------------------------------------------------
 * A system-wide service (bgcopyd --system: root, serving every user) creates and renames each
 * job's files, reads its local sources and runs its notification command line as the job's
 * owner. The switch is per thread (platform/posix/sys-act.c); until bgcopy__sys_act_as_owners
 * was called, begin and end do nothing, so a normal process is unaffected. */

typedef struct bgcopy__act {
    int active; /* the thread acts as another user until bgcopy__sys_act_end */
} bgcopy__act;

/* Turns acting as owners on for the whole process; called once by bgcopyd --system before
 * any job is touched. Errors: E_ACCESSDENIED (not root), E_NOTIMPL (no per-thread
 * credentials on this platform). */
bgcopy_hr bgcopy__sys_act_as_owners(void);

/* Until bgcopy__sys_act_end(act), file operations of the calling thread are checked and
 * files created as user `owner` (its uid, primary group and supplementary groups; "uid:<n>"
 * names an account-less uid n, with group n); with program set, the real ids too, so that a
 * program started meanwhile runs as owner and cannot regain root. Does nothing (act->active
 * 0) when acting as owners is off or owner is root. Errors: E_ACCESSDENIED when owner cannot
 * be resolved or switched to (the caller refuses the operation; act is then inactive). */
bgcopy_hr bgcopy__sys_act_begin(const char *owner, int program, bgcopy__act *act);
void bgcopy__sys_act_end(bgcopy__act *act);

/* ---- processes ------------------------------------------------------------- */

/* Runs program with argv (argv[0] first, NULL-terminated) without a shell
 * (no search path, no expansion), with the calling process's environment,
 * stdin from /dev/null, stdout/stderr inherited and default signal handling,
 * and waits for it to exit. *exit_code receives its exit status (128 + the
 * signal number if a signal killed it). Errors: the HRESULT of the launch
 * failure (HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) when program does not
 * exist, E_ACCESSDENIED when it is not a regular file or not executable,
 * HRESULT_FROM_WIN32(ERROR_BAD_EXE_FORMAT) when it is not a program, ...);
 * nothing is run then. Blocks the calling thread until the program ends. */
bgcopy_hr bgcopy__sys_run(const char *program, char *const argv[], int *exit_code);

/* bgcopy__sys_run for a notification program of a job owned by `owner` (reference §5.4:
 * BITS starts it with CreateProcessAsUser in the owner's context), with the environment
 * bgcopy__sys_owner_environ(owner, fresh) gives; fresh is set when the calling thread acts as
 * another user (a system-wide service: bgcopy__sys_act_begin made act->active). Windows keeps
 * the process's environment there (its engine runs in the owner's own process). Errors: those
 * of bgcopy__sys_run, E_INVALIDARG (owner NULL), E_OUTOFMEMORY. */
bgcopy_hr bgcopy__sys_run_as(const char *program, char *const argv[], const char *owner, int fresh,
                             int *exit_code);

/* The environment of a notification program of owner (POSIX): HOME from the owner's account
 * ("/" without one: "uid:<n>" owners, unknown names), USER and LOGNAME the owner's name,
 * SHELL its login shell (/bin/sh without one), PATH the calling process's when fresh is 0 and
 * it has one, else /usr/local/bin:/usr/bin:/bin. With fresh 0 every other variable of the
 * calling process follows; with fresh set nothing else (the service's own variables are not
 * the owner's). *out receives a NULL-terminated array, freed with bgcopy__sys_environ_free
 * (which frees the five entries made here; the others are borrowed from the process's
 * environment, so it must not change until then). Errors: E_INVALIDARG (owner NULL),
 * E_OUTOFMEMORY; E_NOTIMPL on Windows. */
bgcopy_hr bgcopy__sys_owner_environ(const char *owner, int fresh, char ***out);
void bgcopy__sys_environ_free(char **env);

/* ---- files -------------------------------------------------------------------
 * Paths are UTF-8. A file handle is an opaque non-negative integer. */

typedef struct bgcopy__stat {
    int exists;
    int is_dir;
    int is_regular;
    uint64_t size;
    int64_t mtime_us; /* Unix epoch, microseconds */
} bgcopy__stat;

/* Stats path (following symlinks). A missing path is S_OK with exists = 0.
 * Other failures return their HRESULT. */
bgcopy_hr bgcopy__fs_stat(const char *path, bgcopy__stat *st);

/* S_OK when the calling thread (its effective ids) may create files in directory dir;
 * E_ACCESSDENIED when not; HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND) when dir
 * does not exist or is not a directory. */
bgcopy_hr bgcopy__fs_dir_writable(const char *dir);

/* Creates path exclusively (fails with HRESULT_FROM_WIN32(ERROR_FILE_EXISTS)
 * if it exists, HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND) if its directory does
 * not), mode 0600, opened read-write. */
bgcopy_hr bgcopy__fs_create_excl(const char *path, int *fd);
/* Opens an existing file read-write (write = 1) or read-only. */
bgcopy_hr bgcopy__fs_open(const char *path, int write, int *fd);
void bgcopy__fs_close(int fd);
/* Writes all len bytes at offset (retrying short writes and EINTR). */
bgcopy_hr bgcopy__fs_pwrite(int fd, const void *buf, size_t len, uint64_t offset);
/* Makes bytes [offset, offset + len) read as zero, extending the file; where
 * the range lies past the end of the file it is extended sparsely
 * (ftruncate), so large zero regions cost no disk. */
bgcopy_hr bgcopy__fs_write_zeros(int fd, uint64_t offset, uint64_t len);
/* Reads up to len bytes at offset; *got receives the count (0 at EOF). */
bgcopy_hr bgcopy__fs_pread(int fd, void *buf, size_t len, uint64_t offset, size_t *got);
bgcopy_hr bgcopy__fs_truncate(int fd, uint64_t size);
bgcopy_hr bgcopy__fs_fsync(int fd);
/* Starts writing bytes [offset, offset + len) of fd to the disk without waiting (a hint: no
 * error is reported, and a platform without the means does nothing). */
void bgcopy__fs_start_writeback(int fd, uint64_t offset, uint64_t len);
/* fsyncs the directory that contains path (for durable renames). */
bgcopy_hr bgcopy__fs_fsync_parent(const char *path);
/* Atomically renames from -> to, replacing to. */
bgcopy_hr bgcopy__fs_rename(const char *from, const char *to);
/* Removes a file. A missing file is S_OK. */
bgcopy_hr bgcopy__fs_unlink(const char *path);
/* Sets access and modification time (Unix epoch microseconds). */
bgcopy_hr bgcopy__fs_set_mtime(const char *path, int64_t mtime_us);

/* ---- state directory ----------------------------------------------------------
 * What the store (store.c) needs beyond plain files. */

/* Creates directory path and any missing parents with mode 0700; an existing
 * directory is kept and its mode set to 0700. Errors: E_ACCESSDENIED,
 * HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND) (a component is not a directory),
 * the HRESULT of any other failure. */
bgcopy_hr bgcopy__fs_mkdir_private(const char *path);
/* The absolute, symlink-free form of an existing path (malloc'ed in *out). */
bgcopy_hr bgcopy__fs_realpath(const char *path, char **out);
/* Sets the permission bits of path to owner read/write only (0600). */
bgcopy_hr bgcopy__fs_make_private(const char *path);
/* Opens (creating, mode 0600) path and takes an exclusive advisory lock on it without
 * waiting; *fd holds the lock until bgcopy__fs_close. The lock belongs to this open file:
 * a second call in the same process on the same path fails as well. Errors:
 * HRESULT_FROM_WIN32(ERROR_LOCK_VIOLATION) when another holder has it, the HRESULT of the
 * open otherwise. */
bgcopy_hr bgcopy__fs_lock(const char *path, int *fd);
/* The calling user's home directory (malloc'ed; $HOME, else the password database), or
 * NULL when none is known. */
char *bgcopy__sys_home_dir(void);

/* Maps the calling thread's errno-style error number to an HRESULT (for
 * platform code shared with backends). */
bgcopy_hr bgcopy__sys_hr_from_errno(int err);

#endif /* BGCOPY_SYS_H */
