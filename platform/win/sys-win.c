/* platform/win/sys-win.c - the Windows implementation of the platform seam (core/sys.h).
 *
 * What the emulated engine needs from Windows: QueryPerformanceCounter and the precise system
 * time for its clocks, SRW locks and condition variables, Win32 threads, Interlocked counters,
 * GetUserNameW, BCryptGenRandom, CreateProcessW for command-line notifications, and files
 * opened with CreateFileW. Paths and command lines arrive as UTF-8 and are converted to UTF-16
 * here; Win32 failures become HRESULT_FROM_WIN32(GetLastError()), which is exactly the HRESULT
 * the core's contracts name (ERROR_FILE_NOT_FOUND -> 0x80070002, ERROR_ACCESS_DENIED ->
 * E_ACCESSDENIED, ERROR_DISK_FULL -> 0x80070070 ...).
 *
 * Paths: the core validates local names as '/'-rooted paths, which Windows resolves against the
 * current drive ("/data/x.bin" is "C:\data\x.bin" when C: is current; under Wine, whose Z: is the
 * Unix root, it is the Unix path itself). Drive letters and UNC names are not modelled by the
 * emulated engine's name checks yet (docs/fidelity.md).
 *
 * File handles: sys.h hands out non-negative ints. A kernel HANDLE is stored as its integer
 * value: Windows guarantees that handle values fit in 32 bits ("64-bit versions of Windows use
 * 32-bit handles for interoperability"), and valid ones are small positive multiples of 4.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <windows.h>
#include <bcrypt.h>

#include "sys.h"
#include "win-int.h"

/* Seconds between 1601-01-01 and 1970-01-01, in 100 ns units. */
#define SYS_FILETIME_UNIX_EPOCH 116444736000000000LL

/* Largest chunk handed to one ReadFile / WriteFile call (their length is a DWORD). */
#define SYS_IO_CHUNK (1u << 30)

/* ---- shared helpers (win-int.h) --------------------------------------------------------- */

bgcopy_hr bgcopy__win_last_hr(void)
{
    DWORD err = GetLastError();

    return err == 0 ? BGCOPY_E_FAIL : BGCOPY_HR_FROM_WIN32(err);
}

bgcopy_hr bgcopy__win_utf16(const char *s, wchar_t **out)
{
    int n;
    wchar_t *w;

    *out = NULL;
    if (s == NULL) {
        return BGCOPY_S_OK;
    }
    n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (n <= 0) {
        return BGCOPY__WIN_E_BAD_UTF;
    }
    w = malloc((size_t)n * sizeof(*w));
    if (w == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
        free(w);
        return BGCOPY__WIN_E_BAD_UTF;
    }
    *out = w;
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__win_utf8(const wchar_t *w, char **out)
{
    int n;
    char *s;

    *out = NULL;
    if (w == NULL) {
        return BGCOPY_S_OK;
    }
    n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, -1, NULL, 0, NULL, NULL);
    if (n <= 0) {
        return BGCOPY__WIN_E_BAD_UTF;
    }
    s = malloc((size_t)n);
    if (s == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    if (WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, -1, s, n, NULL, NULL) != n) {
        free(s);
        return BGCOPY__WIN_E_BAD_UTF;
    }
    *out = s;
    return BGCOPY_S_OK;
}

/* ---- time ------------------------------------------------------------------ */

int64_t bgcopy__sys_mono_us(void)
{
    static LARGE_INTEGER freq; /* constant after boot; a racing first read stores the same */
    LARGE_INTEGER now;

    if (freq.QuadPart == 0) {
        QueryPerformanceFrequency(&freq);
    }
    QueryPerformanceCounter(&now);
    return (int64_t)(now.QuadPart / freq.QuadPart) * 1000000 +
           (int64_t)(now.QuadPart % freq.QuadPart) * 1000000 / freq.QuadPart;
}

static int64_t filetime_to_unix_us(const FILETIME *ft)
{
    int64_t t = (int64_t)(((uint64_t)ft->dwHighDateTime << 32) | ft->dwLowDateTime);

    return (t - SYS_FILETIME_UNIX_EPOCH) / 10;
}

int64_t bgcopy__sys_wall_us(void)
{
    FILETIME ft;

    GetSystemTimePreciseAsFileTime(&ft);
    return filetime_to_unix_us(&ft);
}

int32_t bgcopy__sys_utc_offset(int64_t wall_us)
{
    __time64_t t = (__time64_t)(wall_us / 1000000);
    struct tm tm;

    if (_localtime64_s(&tm, &t) != 0)
        return 0;
    return (int32_t)(_mkgmtime64(&tm) - t);
}

/* ---- locks and threads ------------------------------------------------------ */

struct bgcopy__mutex {
    SRWLOCK lock;
};

struct bgcopy__cond {
    CONDITION_VARIABLE cv;
};

struct bgcopy__thread {
    HANDLE handle;
    void (*fn)(void *);
    void *arg;
};

bgcopy__mutex *bgcopy__mutex_new(void)
{
    bgcopy__mutex *m = malloc(sizeof(*m));

    if (m != NULL) {
        InitializeSRWLock(&m->lock);
    }
    return m;
}

void bgcopy__mutex_free(bgcopy__mutex *m)
{
    free(m); /* an SRW lock needs no destruction */
}

void bgcopy__mutex_lock(bgcopy__mutex *m)
{
    AcquireSRWLockExclusive(&m->lock);
}

void bgcopy__mutex_unlock(bgcopy__mutex *m)
{
    ReleaseSRWLockExclusive(&m->lock);
}

bgcopy__cond *bgcopy__cond_new(void)
{
    bgcopy__cond *c = malloc(sizeof(*c));

    if (c != NULL) {
        InitializeConditionVariable(&c->cv);
    }
    return c;
}

void bgcopy__cond_free(bgcopy__cond *c)
{
    free(c);
}

void bgcopy__cond_signal(bgcopy__cond *c)
{
    WakeConditionVariable(&c->cv);
}

void bgcopy__cond_broadcast(bgcopy__cond *c)
{
    WakeAllConditionVariable(&c->cv);
}

/* The deadline is turned into a relative timeout in whole milliseconds, rounded up so the wait
 * never ends before it; a timeout or a spurious wake-up just returns (the caller rechecks). */
void bgcopy__cond_wait_until(bgcopy__cond *c, bgcopy__mutex *m, int64_t deadline_us)
{
    DWORD ms = INFINITE;

    if (deadline_us >= 0) {
        int64_t left = deadline_us - bgcopy__sys_mono_us();
        int64_t left_ms = left <= 0 ? 0 : (left + 999) / 1000;

        ms = left_ms >= (int64_t)INFINITE ? INFINITE - 1 : (DWORD)left_ms;
    }
    SleepConditionVariableSRW(&c->cv, &m->lock, ms, 0);
}

static DWORD WINAPI thread_main(LPVOID p)
{
    bgcopy__thread *t = p;

    t->fn(t->arg);
    return 0;
}

bgcopy_hr bgcopy__thread_start(bgcopy__thread **out, void (*fn)(void *), void *arg)
{
    bgcopy__thread *t = malloc(sizeof(*t));

    *out = NULL;
    if (t == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    t->fn = fn;
    t->arg = arg;
    t->handle = CreateThread(NULL, 0, thread_main, t, 0, NULL);
    if (t->handle == NULL) {
        DWORD err = GetLastError();

        free(t);
        return (err == ERROR_NOT_ENOUGH_MEMORY || err == ERROR_OUTOFMEMORY) ? BGCOPY_E_OUTOFMEMORY
                                                                            : BGCOPY_E_FAIL;
    }
    *out = t;
    return BGCOPY_S_OK;
}

void bgcopy__thread_join(bgcopy__thread *t)
{
    if (t == NULL) {
        return;
    }
    WaitForSingleObject(t->handle, INFINITE);
    CloseHandle(t->handle);
    free(t);
}

void bgcopy__thread_detach(bgcopy__thread *t)
{
    if (t == NULL) {
        return;
    }
    CloseHandle(t->handle); /* the thread object lives on until the thread exits */
    free(t);
}

uintptr_t bgcopy__thread_self(void)
{
    return (uintptr_t)GetCurrentThreadId(); /* never 0, unique among live threads */
}

static SRWLOCK global_lock = SRWLOCK_INIT;

void bgcopy__sys_global_lock(void)
{
    AcquireSRWLockExclusive(&global_lock);
}

void bgcopy__sys_global_unlock(void)
{
    ReleaseSRWLockExclusive(&global_lock);
}

long bgcopy__atomic_inc(volatile long *p)
{
    return InterlockedIncrement(p);
}

long bgcopy__atomic_dec(volatile long *p)
{
    return InterlockedDecrement(p);
}

long bgcopy__atomic_get(volatile long *p)
{
    return InterlockedCompareExchange(p, 0, 0);
}

/* ---- acting as a job's owner ------------------------------------------------------------
 * Only a POSIX system-wide bgcopyd does that (platform/posix/sys-act.c); there is no service
 * on Windows, where the real BITS is the service. */

bgcopy_hr bgcopy__sys_act_as_owners(void)
{
    return BGCOPY_E_NOTIMPL;
}

bgcopy_hr bgcopy__sys_act_begin(const char *owner, int program, bgcopy__act *act)
{
    (void)owner;
    (void)program;
    act->active = 0;
    return BGCOPY_S_OK;
}

void bgcopy__sys_act_end(bgcopy__act *act)
{
    act->active = 0;
}

/* ---- identity --------------------------------------------------------------- */

/* GetUserNameW; "unknown" when Windows cannot tell (the POSIX seam's "uid:<n>" has no
 * counterpart). NULL only when out of memory. */
char *bgcopy__sys_user_name(void)
{
    wchar_t buf[257]; /* UNLEN + 1 */
    DWORD len = (DWORD)(sizeof(buf) / sizeof(buf[0]));
    char *name = NULL;

    if (GetUserNameW(buf, &len) && buf[0] != L'\0' &&
        BGCOPY_SUCCEEDED(bgcopy__win_utf8(buf, &name))) {
        return name;
    }
    name = malloc(sizeof("unknown"));
    if (name != NULL) {
        memcpy(name, "unknown", sizeof("unknown"));
    }
    return name;
}

bgcopy_hr bgcopy__sys_random(void *buf, size_t len)
{
    unsigned char *p = buf;

    while (len > 0) {
        ULONG chunk = len > SYS_IO_CHUNK ? SYS_IO_CHUNK : (ULONG)len;

        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, p, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
            return BGCOPY_E_FAIL;
        }
        p += chunk;
        len -= chunk;
    }
    return BGCOPY_S_OK;
}

/* ---- processes -------------------------------------------------------------- */

/* A growing UTF-8 buffer for the command line. */
struct cmdbuf {
    char *s;
    size_t len, cap;
    int oom;
};

static void cmd_put(struct cmdbuf *b, char c, size_t times)
{
    if (b->oom) {
        return;
    }
    if (b->len + times + 1 > b->cap) {
        size_t cap = (b->cap + times + 1) * 2;
        char *s = realloc(b->s, cap);

        if (s == NULL) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    memset(b->s + b->len, c, times);
    b->len += times;
    b->s[b->len] = '\0';
}

/* Appends one argument quoted so that the Microsoft C runtime's parser (core/cmdline.c models
 * it) gives it back unchanged: quotes when it is empty or holds white space or a quote, each
 * backslash run before a quote (or the closing quote) doubled, quotes escaped. */
static void cmd_put_arg(struct cmdbuf *b, const char *arg)
{
    size_t slashes = 0;

    if (arg[0] != '\0' && strpbrk(arg, " \t\n\v\"") == NULL) {
        for (; *arg != '\0'; arg++) {
            cmd_put(b, *arg, 1);
        }
        return;
    }
    cmd_put(b, '"', 1);
    for (; *arg != '\0'; arg++) {
        if (*arg == '\\') {
            slashes++;
            continue;
        }
        if (*arg == '"') {
            cmd_put(b, '\\', slashes * 2 + 1);
        } else {
            cmd_put(b, '\\', slashes);
        }
        slashes = 0;
        cmd_put(b, *arg, 1);
    }
    cmd_put(b, '\\', slashes * 2);
    cmd_put(b, '"', 1);
}

/* An inheritable duplicate of a standard handle, or NULL when there is none. */
static HANDLE inheritable_std(DWORD which)
{
    HANDLE h = GetStdHandle(which), dup = NULL;

    if (h == NULL || h == INVALID_HANDLE_VALUE) {
        return NULL;
    }
    if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &dup, 0, TRUE,
                         DUPLICATE_SAME_ACCESS)) {
        return NULL;
    }
    return dup;
}

/* argv[0] follows the C runtime's program-name rule (quoted when it holds white space; a quote
 * in it cannot be represented: E_INVALIDARG), the other arguments the general rule. The child
 * gets NUL as stdin and duplicates of this process's stdout and stderr; like any CreateProcess
 * with handle inheritance it also inherits handles the application itself made inheritable. */
bgcopy_hr bgcopy__sys_run(const char *program, char *const argv[], int *exit_code)
{
    struct cmdbuf b = {NULL, 0, 0, 0};
    wchar_t *wprogram = NULL, *wcmd = NULL;
    SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, TRUE};
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    DWORD attr, code = 0;
    bgcopy_hr hr;
    size_t i;

    if (exit_code != NULL) {
        *exit_code = 0;
    }
    if (program == NULL || argv == NULL || argv[0] == NULL || exit_code == NULL ||
        strchr(argv[0], '"') != NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    hr = bgcopy__win_utf16(program, &wprogram);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    attr = GetFileAttributesW(wprogram);
    if (attr == INVALID_FILE_ATTRIBUTES) {
        hr = bgcopy__win_last_hr();
        goto out;
    }
    if (attr & FILE_ATTRIBUTE_DIRECTORY) {
        hr = BGCOPY_E_ACCESSDENIED; /* what CreateProcess reports for a directory */
        goto out;
    }

    if (argv[0][0] == '\0' || strpbrk(argv[0], " \t") != NULL) {
        cmd_put(&b, '"', 1);
        for (i = 0; argv[0][i] != '\0'; i++) {
            cmd_put(&b, argv[0][i], 1);
        }
        cmd_put(&b, '"', 1);
    } else {
        for (i = 0; argv[0][i] != '\0'; i++) {
            cmd_put(&b, argv[0][i], 1);
        }
    }
    for (i = 1; argv[i] != NULL; i++) {
        cmd_put(&b, ' ', 1);
        cmd_put_arg(&b, argv[i]);
    }
    if (b.oom) {
        hr = BGCOPY_E_OUTOFMEMORY;
        goto out;
    }
    hr = bgcopy__win_utf16(b.s, &wcmd);
    if (BGCOPY_FAILED(hr)) {
        goto out;
    }

    memset(&si, 0, sizeof(si));
    si.cb = sizeof(si);
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
                               OPEN_EXISTING, 0, NULL);
    if (si.hStdInput == INVALID_HANDLE_VALUE) {
        si.hStdInput = NULL;
    }
    si.hStdOutput = inheritable_std(STD_OUTPUT_HANDLE);
    si.hStdError = inheritable_std(STD_ERROR_HANDLE);
    if (!CreateProcessW(wprogram, wcmd, NULL, NULL, TRUE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi)) {
        hr = bgcopy__win_last_hr();
    } else {
        WaitForSingleObject(pi.hProcess, INFINITE);
        if (!GetExitCodeProcess(pi.hProcess, &code)) {
            hr = bgcopy__win_last_hr();
        }
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
        *exit_code = (int)code;
    }
    if (si.hStdInput != NULL) {
        CloseHandle(si.hStdInput);
    }
    if (si.hStdOutput != NULL) {
        CloseHandle(si.hStdOutput);
    }
    if (si.hStdError != NULL) {
        CloseHandle(si.hStdError);
    }
out:
    free(b.s);
    free(wcmd);
    free(wprogram);
    return hr;
}

/* The engine on Windows runs in the owner's own process: the program gets this process's
 * environment, as bgcopy__sys_run gives it. */
bgcopy_hr bgcopy__sys_run_as(const char *program, char *const argv[], const char *owner, int fresh,
                             int *exit_code)
{
    (void)fresh;
    if (owner == NULL) {
        if (exit_code != NULL) {
            *exit_code = 0;
        }
        return BGCOPY_E_INVALIDARG;
    }
    return bgcopy__sys_run(program, argv, exit_code);
}

bgcopy_hr bgcopy__sys_owner_environ(const char *owner, int fresh, char ***out)
{
    (void)owner;
    (void)fresh;
    *out = NULL;
    return BGCOPY_E_NOTIMPL;
}

void bgcopy__sys_environ_free(char **env)
{
    (void)env;
}

/* ---- files ------------------------------------------------------------------ */

static HANDLE fd_handle(int fd)
{
    return (HANDLE)(intptr_t)fd;
}

/* CRT errno values (used by code shared with backends) mapped as the POSIX seam maps them. */
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
        return BGCOPY_E_WIN32_DISK_FULL;
    case EEXIST:
        return BGCOPY_E_WIN32_FILE_EXISTS;
    case ENAMETOOLONG:
        return BGCOPY_E_WIN32_FILENAME_EXCED_RANGE;
    case EBUSY:
        return BGCOPY_E_WIN32_BUSY;
    case ENOMEM:
        return BGCOPY_E_OUTOFMEMORY;
    case EIO:
        return BGCOPY_E_WIN32_WRITE_FAULT;
    case EINVAL:
        return BGCOPY_E_INVALIDARG;
    default:
        return BGCOPY_HR_FROM_WIN32(31); /* ERROR_GEN_FAILURE */
    }
}

/* Opens path with CreateFileW: every share mode (so another holder can still read, and the
 * file can be renamed or deleted while open, as on POSIX), no inheritance. */
static bgcopy_hr open_handle(const char *path, DWORD access, DWORD disposition, DWORD flags,
                             HANDLE *out)
{
    wchar_t *w;
    bgcopy_hr hr = bgcopy__win_utf16(path, &w);
    HANDLE h;

    *out = INVALID_HANDLE_VALUE;
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    h = CreateFileW(w, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                    disposition, flags, NULL);
    hr = h == INVALID_HANDLE_VALUE ? bgcopy__win_last_hr() : BGCOPY_S_OK;
    free(w);
    *out = h;
    return hr;
}

/* Mode 0600 has no direct counterpart: the file inherits its directory's ACL. */
bgcopy_hr bgcopy__fs_create_excl(const char *path, int *fd)
{
    HANDLE h;
    bgcopy_hr hr =
        open_handle(path, GENERIC_READ | GENERIC_WRITE, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, &h);

    if (BGCOPY_SUCCEEDED(hr)) {
        *fd = (int)(intptr_t)h;
    }
    return hr;
}

/* A directory cannot be opened without FILE_FLAG_BACKUP_SEMANTICS: CreateFileW refuses it with
 * ERROR_ACCESS_DENIED, the E_ACCESSDENIED the contract asks for. */
bgcopy_hr bgcopy__fs_open(const char *path, int write, int *fd)
{
    HANDLE h;
    bgcopy_hr hr = open_handle(path, write ? GENERIC_READ | GENERIC_WRITE : GENERIC_READ,
                               OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, &h);

    if (BGCOPY_SUCCEEDED(hr)) {
        *fd = (int)(intptr_t)h;
    }
    return hr;
}

void bgcopy__fs_close(int fd)
{
    CloseHandle(fd_handle(fd));
}

static void set_offset(OVERLAPPED *ov, uint64_t offset)
{
    memset(ov, 0, sizeof(*ov));
    ov->Offset = (DWORD)offset;
    ov->OffsetHigh = (DWORD)(offset >> 32);
}

bgcopy_hr bgcopy__fs_pwrite(int fd, const void *buf, size_t len, uint64_t offset)
{
    const unsigned char *p = buf;

    if (len > UINT64_MAX - offset) {
        return BGCOPY_E_INVALIDARG;
    }
    while (len > 0) {
        DWORD chunk = len > SYS_IO_CHUNK ? SYS_IO_CHUNK : (DWORD)len, done = 0;
        OVERLAPPED ov;

        set_offset(&ov, offset);
        if (!WriteFile(fd_handle(fd), p, chunk, &done, &ov)) {
            return bgcopy__win_last_hr();
        }
        if (done == 0) {
            return BGCOPY_E_WIN32_WRITE_FAULT; /* no progress: a device error */
        }
        p += done;
        len -= done;
        offset += done;
    }
    return BGCOPY_S_OK;
}

static bgcopy_hr file_size(int fd, uint64_t *size)
{
    LARGE_INTEGER li;

    if (!GetFileSizeEx(fd_handle(fd), &li)) {
        return bgcopy__win_last_hr();
    }
    *size = (uint64_t)li.QuadPart;
    return BGCOPY_S_OK;
}

static const unsigned char zero_block[64 * 1024];

/* The part past the end of the file is made by extending it (SetFileInformationByHandle),
 * which reads as zeros; NTFS allocates that space (it is not marked sparse), unlike the POSIX
 * seam's ftruncate hole. */
bgcopy_hr bgcopy__fs_write_zeros(int fd, uint64_t offset, uint64_t len)
{
    uint64_t size, end, stop, chunk;
    bgcopy_hr hr;

    if (len > UINT64_MAX - offset || offset + len > (uint64_t)INT64_MAX) {
        return BGCOPY_E_INVALIDARG;
    }
    if (len == 0) {
        return BGCOPY_S_OK;
    }
    hr = file_size(fd, &size);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    end = offset + len;
    stop = end < size ? end : size;
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
    if (end > size) {
        return bgcopy__fs_truncate(fd, end);
    }
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__fs_pread(int fd, void *buf, size_t len, uint64_t offset, size_t *got)
{
    DWORD chunk = len > SYS_IO_CHUNK ? SYS_IO_CHUNK : (DWORD)len, done = 0;
    OVERLAPPED ov;

    *got = 0;
    set_offset(&ov, offset);
    if (!ReadFile(fd_handle(fd), buf, chunk, &done, &ov)) {
        if (GetLastError() == ERROR_HANDLE_EOF) {
            return BGCOPY_S_OK; /* at or past the end: 0 bytes */
        }
        return bgcopy__win_last_hr();
    }
    *got = done;
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__fs_truncate(int fd, uint64_t size)
{
    FILE_END_OF_FILE_INFO eof;

    if (size > (uint64_t)INT64_MAX) {
        return BGCOPY_E_INVALIDARG;
    }
    eof.EndOfFile.QuadPart = (LONGLONG)size;
    if (!SetFileInformationByHandle(fd_handle(fd), FileEndOfFileInfo, &eof, sizeof(eof))) {
        return bgcopy__win_last_hr();
    }
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__fs_fsync(int fd)
{
    return FlushFileBuffers(fd_handle(fd)) ? BGCOPY_S_OK : bgcopy__win_last_hr();
}

void bgcopy__fs_start_writeback(int fd, uint64_t offset, uint64_t len)
{
    (void)fd; /* no such hint on Windows; the fsync at Complete writes everything */
    (void)offset;
    (void)len;
}

/* NTFS journals its metadata and bgcopy__fs_rename asks for MOVEFILE_WRITE_THROUGH, so there
 * is no directory to flush (FlushFileBuffers on a directory needs administrator rights). */
bgcopy_hr bgcopy__fs_fsync_parent(const char *path)
{
    (void)path;
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__fs_rename(const char *from, const char *to)
{
    wchar_t *wfrom = NULL, *wto = NULL;
    bgcopy_hr hr = bgcopy__win_utf16(from, &wfrom);

    if (BGCOPY_SUCCEEDED(hr)) {
        hr = bgcopy__win_utf16(to, &wto);
    }
    if (BGCOPY_SUCCEEDED(hr) &&
        !MoveFileExW(wfrom, wto, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
        hr = bgcopy__win_last_hr();
    }
    free(wfrom);
    free(wto);
    return hr;
}

bgcopy_hr bgcopy__fs_unlink(const char *path)
{
    wchar_t *w;
    bgcopy_hr hr = bgcopy__win_utf16(path, &w);

    if (BGCOPY_SUCCEEDED(hr) && !DeleteFileW(w)) {
        DWORD err = GetLastError();

        hr = (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND)
                 ? BGCOPY_S_OK
                 : BGCOPY_HR_FROM_WIN32(err);
    }
    free(w);
    return hr;
}

bgcopy_hr bgcopy__fs_set_mtime(const char *path, int64_t mtime_us)
{
    HANDLE h;
    FILETIME ft;
    int64_t t = mtime_us * 10 + SYS_FILETIME_UNIX_EPOCH;
    bgcopy_hr hr;

    if (t < 0) {
        t = 0; /* before 1601: the earliest FILETIME */
    }
    ft.dwLowDateTime = (DWORD)(uint64_t)t;
    ft.dwHighDateTime = (DWORD)((uint64_t)t >> 32);
    hr = open_handle(path, FILE_WRITE_ATTRIBUTES, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, &h);
    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    if (!SetFileTime(h, NULL, &ft, &ft)) {
        hr = bgcopy__win_last_hr();
    }
    CloseHandle(h);
    return hr;
}

static int is_missing(DWORD err)
{
    return err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND ||
           err == ERROR_INVALID_NAME || err == ERROR_BAD_NETPATH;
}

/* Opens the path itself (following reparse points, as stat follows symbolic links) for its
 * attributes only. */
bgcopy_hr bgcopy__fs_stat(const char *path, bgcopy__stat *st)
{
    BY_HANDLE_FILE_INFORMATION info;
    HANDLE h;
    bgcopy_hr hr;

    memset(st, 0, sizeof(*st));
    hr = open_handle(path, FILE_READ_ATTRIBUTES, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, &h);
    if (BGCOPY_FAILED(hr)) {
        int win32 = ((uint32_t)hr >> 16) == 0x8007u;

        return win32 && hr != BGCOPY__WIN_E_BAD_UTF && is_missing((DWORD)hr & 0xFFFFu) ? BGCOPY_S_OK
                                                                                       : hr;
    }
    if (!GetFileInformationByHandle(h, &info)) {
        hr = bgcopy__win_last_hr();
        CloseHandle(h);
        return hr;
    }
    st->exists = 1;
    st->is_dir = (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ? 1 : 0;
    st->is_regular = !st->is_dir && GetFileType(h) == FILE_TYPE_DISK;
    st->size = ((uint64_t)info.nFileSizeHigh << 32) | info.nFileSizeLow;
    st->mtime_us = filetime_to_unix_us(&info.ftLastWriteTime);
    CloseHandle(h);
    return BGCOPY_S_OK;
}

/* Existence and type from the attributes, write permission by opening the directory for
 * FILE_ADD_FILE (the right that creating a file in it needs). */
bgcopy_hr bgcopy__fs_dir_writable(const char *dir)
{
    wchar_t *w;
    DWORD attr;
    HANDLE h;
    bgcopy_hr hr = bgcopy__win_utf16(dir, &w);

    if (BGCOPY_FAILED(hr)) {
        return hr;
    }
    attr = GetFileAttributesW(w);
    free(w);
    if (attr == INVALID_FILE_ATTRIBUTES) {
        DWORD err = GetLastError();

        return is_missing(err) ? BGCOPY_E_WIN32_PATH_NOT_FOUND : BGCOPY_HR_FROM_WIN32(err);
    }
    if (!(attr & FILE_ATTRIBUTE_DIRECTORY)) {
        return BGCOPY_E_WIN32_PATH_NOT_FOUND;
    }
    hr = open_handle(dir, FILE_ADD_FILE, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, &h);
    if (BGCOPY_FAILED(hr)) {
        return hr; /* E_ACCESSDENIED when the right is missing */
    }
    CloseHandle(h);
    return BGCOPY_S_OK;
}

/* ---- state directory ---------------------------------------------------------------------- */

bgcopy_hr bgcopy__fs_mkdir_private(const char *path)
{
    wchar_t *w = NULL;
    bgcopy_hr hr = bgcopy__win_utf16(path, &w);
    size_t i, n;

    if (BGCOPY_FAILED(hr))
        return hr;
    /* Each missing component, parents first (Windows ACLs: the directory inherits its
     * parent's, which for a profile directory is private to the user). */
    n = wcslen(w);
    for (i = 1; i <= n && BGCOPY_SUCCEEDED(hr); i++) {
        if (i < n && w[i] != L'/' && w[i] != L'\\')
            continue;
        if (w[i - 1] == L'/' || w[i - 1] == L'\\' || w[i - 1] == L':')
            continue;
        {
            wchar_t c = w[i];
            DWORD attr;
            w[i] = 0;
            if (!CreateDirectoryW(w, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
                hr = bgcopy__win_last_hr();
            else if ((attr = GetFileAttributesW(w)) == INVALID_FILE_ATTRIBUTES ||
                     !(attr & FILE_ATTRIBUTE_DIRECTORY))
                hr = BGCOPY_E_WIN32_PATH_NOT_FOUND;
            w[i] = c;
        }
    }
    free(w);
    return hr;
}

bgcopy_hr bgcopy__fs_realpath(const char *path, char **out)
{
    wchar_t *w = NULL, full[32768];
    bgcopy_hr hr = bgcopy__win_utf16(path, &w);
    DWORD n;

    if (BGCOPY_FAILED(hr))
        return hr;
    n = GetFullPathNameW(w, (DWORD)(sizeof(full) / sizeof(full[0])), full, NULL);
    free(w);
    if (n == 0 || n >= sizeof(full) / sizeof(full[0]))
        return n == 0 ? bgcopy__win_last_hr() : BGCOPY_E_WIN32_FILENAME_EXCED_RANGE;
    return bgcopy__win_utf8(full, out);
}

char *bgcopy__sys_home_dir(void)
{
    const wchar_t *home = _wgetenv(L"USERPROFILE");
    char *out = NULL;
    if (home == NULL || home[0] == 0 || BGCOPY_FAILED(bgcopy__win_utf8(home, &out)))
        return NULL;
    return out;
}
