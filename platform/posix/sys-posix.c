/* platform/posix/sys-posix.c - the POSIX implementation of the platform seam (core/sys.h).
 *
 * Everything the core needs from a POSIX system lives here: monotonic and wall clocks, pthread
 * mutexes, conditions (on CLOCK_MONOTONIC) and threads, atomic counters, the user's name, random
 * bytes, running a program (posix_spawn), and file operations. Every errno failure is turned into
 * the HRESULT Windows would report for it by bgcopy__sys_hr_from_errno(), so the engine records the
 * same codes on every platform.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64 /* 64-bit off_t on 32-bit systems too */
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__) || defined(__FreeBSD__)
#define BGCOPY_HAVE_GETRANDOM 1
#include <sys/random.h>
#endif

#include "sys.h"

/* HRESULT_FROM_WIN32(ERROR_GEN_FAILURE): "A device attached to the system is not functioning",
 * 0x8007001F - the code for errno values that have no closer Windows counterpart. */
#define SYS_E_GEN_FAILURE BGCOPY_HR_FROM_WIN32(31)

/* The largest value an off_t can hold (off_t is a signed 32- or 64-bit integer). */
#define SYS_OFF_MAX \
    ((uint64_t)(sizeof(off_t) >= sizeof(int64_t) ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX))

#ifdef __APPLE__
#define SYS_ST_MTIM(st) ((st)->st_mtimespec)
#else
#define SYS_ST_MTIM(st) ((st)->st_mtim)
#endif

/* ---- time ------------------------------------------------------------------ */

static int64_t timespec_us(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000 + (int64_t)(ts->tv_nsec / 1000);
}

int64_t bgcopy__sys_mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return timespec_us(&ts);
}

int64_t bgcopy__sys_wall_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return timespec_us(&ts);
}

int32_t bgcopy__sys_utc_offset(int64_t wall_us)
{
    time_t t = (time_t)(wall_us / 1000000);
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL)
        return 0;
    return (int32_t)tm.tm_gmtoff;
}

/* ---- locks and threads ------------------------------------------------------ */

struct bgcopy__mutex {
    pthread_mutex_t m;
};

struct bgcopy__cond {
    pthread_cond_t c;
};

struct bgcopy__thread {
    pthread_t th;
    void (*fn)(void *);
    void *arg;
};

bgcopy__mutex *bgcopy__mutex_new(void)
{
    bgcopy__mutex *m = malloc(sizeof(*m));

    if (m == NULL) {
        return NULL;
    }
    if (pthread_mutex_init(&m->m, NULL) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

void bgcopy__mutex_free(bgcopy__mutex *m)
{
    if (m == NULL) {
        return;
    }
    pthread_mutex_destroy(&m->m);
    free(m);
}

/* A failing lock or unlock is a bug in the caller (an invalid or unowned mutex); stop at once
 * rather than run unprotected. */
void bgcopy__mutex_lock(bgcopy__mutex *m)
{
    if (pthread_mutex_lock(&m->m) != 0) {
        abort();
    }
}

void bgcopy__mutex_unlock(bgcopy__mutex *m)
{
    if (pthread_mutex_unlock(&m->m) != 0) {
        abort();
    }
}

bgcopy__cond *bgcopy__cond_new(void)
{
    bgcopy__cond *c = malloc(sizeof(*c));
    pthread_condattr_t attr;
    int err;

    if (c == NULL) {
        return NULL;
    }
    if (pthread_condattr_init(&attr) != 0) {
        free(c);
        return NULL;
    }
    err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (err == 0) {
        err = pthread_cond_init(&c->c, &attr);
    }
    pthread_condattr_destroy(&attr);
    if (err != 0) {
        free(c);
        return NULL;
    }
    return c;
}

void bgcopy__cond_free(bgcopy__cond *c)
{
    if (c == NULL) {
        return;
    }
    pthread_cond_destroy(&c->c);
    free(c);
}

void bgcopy__cond_signal(bgcopy__cond *c)
{
    pthread_cond_signal(&c->c);
}

void bgcopy__cond_broadcast(bgcopy__cond *c)
{
    pthread_cond_broadcast(&c->c);
}

void bgcopy__cond_wait_until(bgcopy__cond *c, bgcopy__mutex *m, int64_t deadline_us)
{
    struct timespec ts;

    if (deadline_us < 0) {
        pthread_cond_wait(&c->c, &m->m);
        return;
    }
    ts.tv_sec = (time_t)(deadline_us / 1000000);
    ts.tv_nsec = (long)(deadline_us % 1000000) * 1000;
    /* ETIMEDOUT and spurious wake-ups both just return; the caller rechecks its predicate. */
    pthread_cond_timedwait(&c->c, &m->m, &ts);
}

static void *thread_main(void *p)
{
    bgcopy__thread *t = p;

    t->fn(t->arg);
    return NULL;
}

/* pthread_create's EAGAIN (no resources for another thread) is reported as E_OUTOFMEMORY, as
 * Windows' CreateThread reports ERROR_NOT_ENOUGH_MEMORY; anything else is E_FAIL. */
bgcopy_hr bgcopy__thread_start(bgcopy__thread **out, void (*fn)(void *), void *arg)
{
    bgcopy__thread *t = malloc(sizeof(*t));
    int err;

    *out = NULL;
    if (t == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    t->fn = fn;
    t->arg = arg;
    err = pthread_create(&t->th, NULL, thread_main, t);
    if (err != 0) {
        free(t);
        return (err == EAGAIN || err == ENOMEM) ? BGCOPY_E_OUTOFMEMORY : BGCOPY_E_FAIL;
    }
    *out = t;
    return BGCOPY_S_OK;
}

void bgcopy__thread_join(bgcopy__thread *t)
{
    if (t == NULL) {
        return;
    }
    pthread_join(t->th, NULL);
    free(t);
}

void bgcopy__thread_detach(bgcopy__thread *t)
{
    if (t == NULL) {
        return;
    }
    pthread_detach(t->th);
    free(t);
}

/* pthread_t need not be an integer, so each thread draws a number from a process-wide counter
 * the first time it asks. Numbers are never reused, and 0 is never handed out. */
static uintptr_t thread_id_next;
static _Thread_local uintptr_t thread_id;

uintptr_t bgcopy__thread_self(void)
{
    if (thread_id == 0) {
        thread_id = __atomic_add_fetch(&thread_id_next, 1, __ATOMIC_SEQ_CST);
    }
    return thread_id;
}

long bgcopy__atomic_inc(volatile long *p)
{
    return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}

long bgcopy__atomic_dec(volatile long *p)
{
    return __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST);
}

long bgcopy__atomic_get(volatile long *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

/* ---- identity --------------------------------------------------------------- */

char *bgcopy__sys_user_name(void)
{
    uid_t uid = geteuid();
    struct passwd pw, *found = NULL;
    long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
    size_t size = (hint > 0) ? (size_t)hint : 1024;
    char *buf = NULL, *name = NULL, *grown;
    char fallback[32];
    int err;

    for (;;) {
        grown = realloc(buf, size);
        if (grown == NULL) {
            goto out; /* out of memory: NULL */
        }
        buf = grown;
        err = getpwuid_r(uid, &pw, buf, size, &found);
        if (err != ERANGE || size >= ((size_t)1 << 20)) {
            break;
        }
        size *= 2;
    }
    if (err == 0 && found != NULL && found->pw_name != NULL && found->pw_name[0] != '\0') {
        name = strdup(found->pw_name);
        goto out;
    }
    snprintf(fallback, sizeof(fallback), "uid:%lu", (unsigned long)uid);
    name = strdup(fallback);
out:
    free(buf);
    return name;
}

static int read_urandom(unsigned char *p, size_t len)
{
    int fd, ok = 0;
    ssize_t r;

    do {
        fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        return 0;
    }
    while (len > 0) {
        r = read(fd, p, len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            goto out;
        }
        p += r;
        len -= (size_t)r;
    }
    ok = 1;
out:
    close(fd);
    return ok;
}

bgcopy_hr bgcopy__sys_random(void *buf, size_t len)
{
    unsigned char *p = buf;

#ifdef BGCOPY_HAVE_GETRANDOM
    while (len > 0) {
        ssize_t r = getrandom(p, len, 0);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break; /* ENOSYS (old kernel), seccomp filters ...: use /dev/urandom */
        }
        p += r;
        len -= (size_t)r;
    }
#endif
    if (len > 0 && !read_urandom(p, len)) {
        return BGCOPY_E_FAIL;
    }
    return BGCOPY_S_OK;
}

/* ---- processes -------------------------------------------------------------- */

#ifdef __APPLE__
#include <crt_externs.h>
#define SYS_ENVIRON (*_NSGetEnviron()) /* environ is not visible to shared libraries there */
#else
extern char **environ;
#define SYS_ENVIRON environ
#endif

/* HRESULT_FROM_WIN32(ERROR_BAD_EXE_FORMAT), 0x800700C1: what CreateProcess reports for a file
 * that is not a program. */
#define SYS_E_BAD_EXE_FORMAT BGCOPY_HR_FROM_WIN32(193)

/* The HRESULT for an error number posix_spawn returned. */
static bgcopy_hr spawn_hr(int err)
{
    switch (err) {
    case ENOEXEC:
        return SYS_E_BAD_EXE_FORMAT;
    case EAGAIN: /* process limit: CreateProcess says ERROR_NOT_ENOUGH_MEMORY */
        return BGCOPY_E_OUTOFMEMORY;
    default:
        return bgcopy__sys_hr_from_errno(err);
    }
}

/* Launch failures are detected twice. The program is stat()ed first, so a missing program or
 * one that is not a regular file fails before anything is started on every system. Everything
 * else (no execute permission, not an executable format, ...) comes back from posix_spawn
 * itself: glibc 2.24 and later (a CLONE_VFORK child that reports the execve error before the
 * parent resumes), musl and the BSDs/macOS all return the exec error instead of starting a
 * child that exits with status 127.
 *
 * The child gets an empty signal mask and default dispositions for every signal, so neither
 * the blocked signals of the calling thread (an engine thread) nor an application's SIG_IGN
 * (SIGPIPE, typically) leak into it. */
static bgcopy_hr run_with(const char *program, char *const argv[], char *const envp[],
                          int *exit_code)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    sigset_t none, dflt;
    struct stat st;
    pid_t pid, r;
    int err, status;

    if (exit_code != NULL) {
        *exit_code = 0;
    }
    if (program == NULL || argv == NULL || argv[0] == NULL || exit_code == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    if (stat(program, &st) != 0) {
        return bgcopy__sys_hr_from_errno(errno);
    }
    if (!S_ISREG(st.st_mode)) {
        return BGCOPY_E_ACCESSDENIED; /* CreateProcess on a directory: ERROR_ACCESS_DENIED */
    }

    err = posix_spawn_file_actions_init(&actions);
    if (err != 0) {
        return spawn_hr(err);
    }
    err = posix_spawnattr_init(&attr);
    if (err != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return spawn_hr(err);
    }
    sigemptyset(&none);
    sigfillset(&dflt);
    sigdelset(&dflt, SIGKILL); /* cannot be changed anyway */
    sigdelset(&dflt, SIGSTOP);
    err = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (err == 0) {
        err = posix_spawnattr_setsigmask(&attr, &none);
    }
    if (err == 0) {
        err = posix_spawnattr_setsigdefault(&attr, &dflt);
    }
    if (err == 0) {
        err = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    }
    if (err == 0) {
        err = posix_spawn(&pid, program, &actions, &attr, argv, envp);
    }
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0) {
        return spawn_hr(err);
    }

    do {
        r = waitpid(pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return bgcopy__sys_hr_from_errno(errno); /* ECHILD: the application reaps children */
    }
    if (WIFEXITED(status)) {
        *exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        *exit_code = 128 + WTERMSIG(status);
    } else {
        *exit_code = 128; /* not reachable without WUNTRACED */
    }
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__sys_run(const char *program, char *const argv[], int *exit_code)
{
    return run_with(program, argv, SYS_ENVIRON, exit_code);
}

/* The login default of PATH (what login(1) and su -l give an ordinary user). */
#define SYS_OWNER_PATH "/usr/local/bin:/usr/bin:/bin"

/* Whether environment entry e sets the variable the owner's environment defines itself. */
static int owner_defined(const char *e)
{
    static const char *const names[] = {"HOME=", "LOGNAME=", "PATH=", "SHELL=", "USER="};
    size_t i;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strncmp(e, names[i], strlen(names[i])) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A malloc'ed "name=value". */
static char *env_entry(const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 2;
    char *e = malloc(n);
    if (e != NULL) {
        snprintf(e, n, "%s=%s", name, value);
    }
    return e;
}

bgcopy_hr bgcopy__sys_owner_environ(const char *owner, int fresh, char ***out)
{
    struct passwd pw, *found = NULL;
    char buf[4096], **env, **own = SYS_ENVIRON;
    const char *home = "/", *shell = "/bin/sh", *path = SYS_OWNER_PATH;
    size_t n = 0, i, k = 0;

    *out = NULL;
    if (owner == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    /* "uid:<n>" names an account-less uid: no entry, the defaults above. */
    if (strncmp(owner, "uid:", 4) != 0 && getpwnam_r(owner, &pw, buf, sizeof(buf), &found) == 0 &&
        found != NULL) {
        if (found->pw_dir != NULL && found->pw_dir[0] != '\0') {
            home = found->pw_dir;
        }
        if (found->pw_shell != NULL && found->pw_shell[0] != '\0') {
            shell = found->pw_shell;
        }
    }
    if (!fresh && own != NULL) {
        for (i = 0; own[i] != NULL; i++) {
            if (strncmp(own[i], "PATH=", 5) == 0 && own[i][5] != '\0') {
                path = own[i] + 5; /* an ordinary process keeps its search path */
            }
            n++;
        }
    }
    env = calloc(n + 6, sizeof(*env));
    if (env == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    env[k++] = env_entry("HOME", home);
    env[k++] = env_entry("LOGNAME", owner);
    env[k++] = env_entry("PATH", path);
    env[k++] = env_entry("SHELL", shell);
    env[k++] = env_entry("USER", owner);
    for (i = 0; i < 5; i++) {
        if (env[i] == NULL) {
            bgcopy__sys_environ_free(env);
            return BGCOPY_E_OUTOFMEMORY;
        }
    }
    for (i = 0; i < n; i++) {
        if (!owner_defined(own[i])) {
            env[k++] = own[i]; /* borrowed: bgcopy__sys_environ_free frees only the first five */
        }
    }
    env[k] = NULL;
    *out = env;
    return BGCOPY_S_OK;
}

void bgcopy__sys_environ_free(char **env)
{
    size_t i;
    if (env == NULL) {
        return;
    }
    for (i = 0; i < 5; i++) {
        free(env[i]);
    }
    free(env);
}

bgcopy_hr bgcopy__sys_run_as(const char *program, char *const argv[], const char *owner, int fresh,
                             int *exit_code)
{
    char **env = NULL;
    bgcopy_hr hr;

    if (exit_code != NULL) {
        *exit_code = 0;
    }
    if (owner == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    hr = bgcopy__sys_owner_environ(owner, fresh, &env);
    if (BGCOPY_SUCCEEDED(hr)) {
        hr = run_with(program, argv, env, exit_code);
    }
    bgcopy__sys_environ_free(env);
    return hr;
}

/* ---- files ------------------------------------------------------------------ */

bgcopy_hr bgcopy__sys_hr_from_errno(int err)
{
    switch (err) {
    case 0:
        return BGCOPY_S_OK;
    case ENOENT:
        return BGCOPY_E_WIN32_FILE_NOT_FOUND;
    case ENOTDIR:
        return BGCOPY_E_WIN32_PATH_NOT_FOUND;
    case EACCES:
    case EPERM:
    case EROFS:
    case EISDIR:
        return BGCOPY_E_ACCESSDENIED;
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
        return BGCOPY_E_WIN32_DISK_FULL;
    case EEXIST:
        return BGCOPY_E_WIN32_FILE_EXISTS;
    case ENAMETOOLONG:
        return BGCOPY_E_WIN32_FILENAME_EXCED_RANGE;
    case EBUSY:
#ifdef ETXTBSY
    case ETXTBSY:
#endif
        return BGCOPY_E_WIN32_BUSY;
    case ENOMEM:
        return BGCOPY_E_OUTOFMEMORY;
    case EIO:
        return BGCOPY_E_WIN32_WRITE_FAULT;
    case EINVAL:
        return BGCOPY_E_INVALIDARG;
    default:
        return SYS_E_GEN_FAILURE;
    }
}

/* True when [offset, offset + len) is addressable with off_t. */
static int range_ok(uint64_t offset, uint64_t len)
{
    return offset <= SYS_OFF_MAX && len <= SYS_OFF_MAX - offset;
}

static bgcopy_hr open_fd(const char *path, int flags, mode_t mode, int *fd)
{
    int r;

    do {
        r = open(path, flags | O_CLOEXEC, mode);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return bgcopy__sys_hr_from_errno(errno);
    }
    *fd = r;
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__fs_create_excl(const char *path, int *fd)
{
    bgcopy_hr hr = open_fd(path, O_CREAT | O_EXCL | O_RDWR, 0600, fd);
    /* With O_CREAT, ENOENT means a missing directory: CreateFile says ERROR_PATH_NOT_FOUND. */
    return hr == BGCOPY_E_WIN32_FILE_NOT_FOUND ? BGCOPY_E_WIN32_PATH_NOT_FOUND : hr;
}

/* A directory is refused with E_ACCESSDENIED (as CreateFile refuses one) even read-only, where
 * open(2) would accept it. */
bgcopy_hr bgcopy__fs_open(const char *path, int write, int *fd)
{
    struct stat st;
    int r;
    bgcopy_hr hr = open_fd(path, write ? O_RDWR : O_RDONLY, 0, &r);

    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    if (fstat(r, &st) != 0) {
        hr = bgcopy__sys_hr_from_errno(errno);
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        hr = bgcopy__sys_hr_from_errno(EISDIR);
        goto out;
    }
    *fd = r;
    return BGCOPY_S_OK;
out:
    close(r);
    return hr;
}

void bgcopy__fs_close(int fd)
{
    /* Not retried on EINTR: on Linux the descriptor is already released. */
    close(fd);
}

bgcopy_hr bgcopy__fs_pwrite(int fd, const void *buf, size_t len, uint64_t offset)
{
    const unsigned char *p = buf;
    ssize_t r;

    if (!range_ok(offset, len)) {
        return BGCOPY_E_INVALIDARG;
    }
    while (len > 0) {
        r = pwrite(fd, p, len, (off_t)offset);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return bgcopy__sys_hr_from_errno(errno);
        }
        if (r == 0) {
            return bgcopy__sys_hr_from_errno(EIO); /* no progress: treat as a device error */
        }
        p += r;
        len -= (size_t)r;
        offset += (uint64_t)r;
    }
    return BGCOPY_S_OK;
}

static const unsigned char zero_block[64 * 1024];

bgcopy_hr bgcopy__fs_write_zeros(int fd, uint64_t offset, uint64_t len)
{
    struct stat st;
    uint64_t size, end, stop, chunk;
    bgcopy_hr hr;

    if (!range_ok(offset, len)) {
        return BGCOPY_E_INVALIDARG;
    }
    if (len == 0) {
        return BGCOPY_S_OK;
    }
    if (fstat(fd, &st) != 0) {
        return bgcopy__sys_hr_from_errno(errno);
    }
    size = (uint64_t)st.st_size;
    end = offset + len;
    /* The part inside the current data is overwritten ... */
    stop = (end < size) ? end : size;
    while (offset < stop) {
        chunk = stop - offset;
        if (chunk > sizeof(zero_block)) {
            chunk = sizeof(zero_block);
        }
        hr = bgcopy__fs_pwrite(fd, zero_block, (size_t)chunk, offset);
        if (BGCOPY_FAILED(hr)) {
            return hr;
        }
        offset += chunk;
    }
    /* ... the part past the end is a hole. */
    if (end > size) {
        return bgcopy__fs_truncate(fd, end);
    }
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__fs_pread(int fd, void *buf, size_t len, uint64_t offset, size_t *got)
{
    ssize_t r;

    *got = 0;
    if (offset > SYS_OFF_MAX) {
        return BGCOPY_E_INVALIDARG;
    }
    do {
        r = pread(fd, buf, len, (off_t)offset);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return bgcopy__sys_hr_from_errno(errno);
    }
    *got = (size_t)r;
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__fs_truncate(int fd, uint64_t size)
{
    int r;

    if (size > SYS_OFF_MAX) {
        return BGCOPY_E_INVALIDARG;
    }
    do {
        r = ftruncate(fd, (off_t)size);
    } while (r < 0 && errno == EINTR);
    return (r == 0) ? BGCOPY_S_OK : bgcopy__sys_hr_from_errno(errno);
}

bgcopy_hr bgcopy__fs_fsync(int fd)
{
    int r;

    do {
        r = fsync(fd);
    } while (r < 0 && errno == EINTR);
    return (r == 0) ? BGCOPY_S_OK : bgcopy__sys_hr_from_errno(errno);
}

/* The parent of "a/b/c" is "a/b", of "/c" is "/", of "c" is ".". Trailing slashes of path are
 * ignored ("a/b/" -> "a"). */
bgcopy_hr bgcopy__fs_fsync_parent(const char *path)
{
    size_t n = strlen(path);
    char *dir = NULL;
    int fd = -1, r;
    bgcopy_hr hr;

    while (n > 1 && path[n - 1] == '/') {
        n--;
    }
    while (n > 0 && path[n - 1] != '/') {
        n--;
    }
    while (n > 1 && path[n - 1] == '/') {
        n--; /* "a//b" -> "a", but "/b" -> "/" */
    }
    dir = (n == 0) ? strdup(".") : strndup(path, n);
    if (dir == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    hr = open_fd(dir, O_RDONLY | O_DIRECTORY, 0, &fd);
    if (BGCOPY_FAILED(hr)) {
        goto out;
    }
    do {
        r = fsync(fd);
    } while (r < 0 && errno == EINTR);
    /* Some file systems cannot fsync a directory; that is not a failure of the caller's rename. */
    if (r < 0 && errno != EINVAL && errno != EROFS) {
        hr = bgcopy__sys_hr_from_errno(errno);
    }
out:
    if (fd >= 0) {
        close(fd);
    }
    free(dir);
    return hr;
}

bgcopy_hr bgcopy__fs_rename(const char *from, const char *to)
{
    return (rename(from, to) == 0) ? BGCOPY_S_OK : bgcopy__sys_hr_from_errno(errno);
}

bgcopy_hr bgcopy__fs_unlink(const char *path)
{
    if (unlink(path) == 0 || errno == ENOENT) {
        return BGCOPY_S_OK;
    }
    return bgcopy__sys_hr_from_errno(errno);
}

bgcopy_hr bgcopy__fs_set_mtime(const char *path, int64_t mtime_us)
{
    struct timespec ts[2];
    int64_t sec = mtime_us / 1000000, usec = mtime_us % 1000000;

    if (usec < 0) { /* round towards minus infinity: tv_nsec must be in [0, 1e9) */
        usec += 1000000;
        sec -= 1;
    }
    ts[0].tv_sec = (time_t)sec;
    ts[0].tv_nsec = (long)usec * 1000;
    ts[1] = ts[0];
    if (utimensat(AT_FDCWD, path, ts, 0) != 0) {
        return bgcopy__sys_hr_from_errno(errno);
    }
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__fs_stat(const char *path, bgcopy__stat *st)
{
    struct stat s;

    memset(st, 0, sizeof(*st));
    if (stat(path, &s) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return BGCOPY_S_OK;
        }
        return bgcopy__sys_hr_from_errno(errno);
    }
    st->exists = 1;
    st->is_dir = S_ISDIR(s.st_mode) ? 1 : 0;
    st->is_regular = S_ISREG(s.st_mode) ? 1 : 0;
    st->size = (s.st_size > 0) ? (uint64_t)s.st_size : 0;
    st->mtime_us = timespec_us(&SYS_ST_MTIM(&s));
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__fs_dir_writable(const char *dir)
{
    struct stat s;

    if (stat(dir, &s) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return BGCOPY_E_WIN32_PATH_NOT_FOUND;
        }
        return bgcopy__sys_hr_from_errno(errno);
    }
    if (!S_ISDIR(s.st_mode)) {
        return BGCOPY_E_WIN32_PATH_NOT_FOUND;
    }
    /* The effective ids: those a system-wide service switches to (sys-act.c). */
    if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0) {
        return BGCOPY_E_ACCESSDENIED;
    }
    return BGCOPY_S_OK;
}

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;

void bgcopy__sys_global_lock(void)
{
    if (pthread_mutex_lock(&global_lock) != 0)
        abort();
}

void bgcopy__sys_global_unlock(void)
{
    if (pthread_mutex_unlock(&global_lock) != 0)
        abort();
}

/* ---- state directory --------------------------------------------------------------------- */

bgcopy_hr bgcopy__fs_mkdir_private(const char *path)
{
    char *copy, *p;
    struct stat st;
    bgcopy_hr hr = BGCOPY_S_OK;

    if (path == NULL || path[0] == '\0')
        return BGCOPY_E_INVALIDARG;
    copy = strdup(path);
    if (copy == NULL)
        return BGCOPY_E_OUTOFMEMORY;
    /* Each missing component, parents first. */
    for (p = copy + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        if (p[-1] != '/') {
            char c = *p;
            *p = '\0';
            if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
                hr = bgcopy__sys_hr_from_errno(errno);
                break;
            }
            if (stat(copy, &st) != 0) {
                hr = bgcopy__sys_hr_from_errno(errno);
                break;
            }
            if (!S_ISDIR(st.st_mode)) {
                hr = BGCOPY_E_WIN32_PATH_NOT_FOUND;
                break;
            }
            *p = c;
        }
        if (*p == '\0')
            break;
    }
    if (BGCOPY_SUCCEEDED(hr) && chmod(path, 0700) != 0)
        hr = bgcopy__sys_hr_from_errno(errno);
    free(copy);
    return hr;
}

bgcopy_hr bgcopy__fs_realpath(const char *path, char **out)
{
    *out = realpath(path, NULL);
    return *out ? BGCOPY_S_OK : bgcopy__sys_hr_from_errno(errno);
}

bgcopy_hr bgcopy__fs_make_private(const char *path)
{
    return chmod(path, 0600) == 0 ? BGCOPY_S_OK : bgcopy__sys_hr_from_errno(errno);
}

bgcopy_hr bgcopy__fs_lock(const char *path, int *fd)
{
    int r;
    bgcopy_hr hr = open_fd(path, O_CREAT | O_RDWR, 0600, &r);

    if (BGCOPY_FAILED(hr))
        return hr;
    /* flock locks belong to the open file description, so a second open in this process
     * conflicts too (fcntl locks would not). */
    while (flock(r, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        if (err == EINTR)
            continue;
        close(r);
        return err == EWOULDBLOCK ? BGCOPY_E_WIN32_LOCK_VIOLATION : bgcopy__sys_hr_from_errno(err);
    }
    *fd = r;
    return BGCOPY_S_OK;
}

char *bgcopy__sys_home_dir(void)
{
    const char *home = getenv("HOME");
    struct passwd pw, *res = NULL;
    char buf[4096];

    if (home != NULL && home[0] == '/')
        return strdup(home);
    if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res != NULL &&
        res->pw_dir != NULL && res->pw_dir[0] == '/')
        return strdup(res->pw_dir);
    return NULL;
}
