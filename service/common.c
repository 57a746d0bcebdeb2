/* service/common.c - socket location and checks, connecting and listening on paths of any
 * length, peer user names, and engine options on bgcopyd's command line (contracts in svc.h).
 * Shared by the library's service client and the daemon.
 */
#define _GNU_SOURCE
#include "svc.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sys.h"

/* ---- where the socket lives --------------------------------------------------------------- */

static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *p = malloc(na + nb + 1);

    if (p != NULL) {
        memcpy(p, a, na);
        memcpy(p + na, b, nb + 1);
    }
    return p;
}

char *bgcopy__svc_socket_path(const char *option)
{
    const char *v = option;
    char fallback[64];

    if (v == NULL || v[0] == '\0') {
        v = getenv("BGCOPY_SERVICE_SOCKET");
    }
    if (v != NULL && v[0] != '\0') {
        return strdup(v);
    }
    v = getenv("XDG_RUNTIME_DIR");
    if (v != NULL && v[0] == '/') {
        return join(v, "/bgcopy/bgcopyd.sock");
    }
    snprintf(fallback, sizeof(fallback), "/tmp/bgcopy-%lu/bgcopyd.sock", (unsigned long)geteuid());
    return strdup(fallback);
}

bgcopy_hr bgcopy__svc_check_dir(const char *socket_path, int create, char *detail, size_t size)
{
    const char *slash = strrchr(socket_path, '/');
    char *dir;
    struct stat st;
    bgcopy_hr hr = BGCOPY_S_OK;
    uid_t me = geteuid();

    if (slash == NULL || slash == socket_path) {
        snprintf(detail, size, "%s: the service socket needs an absolute path in a directory",
                 socket_path);
        return BGCOPY_E_INVALIDARG;
    }
    dir = strndup(socket_path, (size_t)(slash - socket_path));
    if (dir == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    if (create && mkdir(dir, 0700) != 0 && errno != EEXIST) {
        hr = bgcopy__sys_hr_from_errno(errno);
        snprintf(detail, size, "%s: cannot create the service directory: %s", dir, strerror(errno));
        goto out;
    }
    if (lstat(dir, &st) != 0) {
        hr = errno == ENOENT ? BGCOPY_E_WIN32_PATH_NOT_FOUND : bgcopy__sys_hr_from_errno(errno);
        snprintf(detail, size, "%s: %s", dir, strerror(errno));
        goto out;
    }
    if (!S_ISDIR(st.st_mode)) {
        hr = BGCOPY_E_ACCESSDENIED;
        snprintf(detail, size, "%s: not a directory (a symlink or another file is refused)", dir);
    } else if (st.st_uid == me && me != 0 && (st.st_mode & 077) != 0) {
        hr = BGCOPY_E_ACCESSDENIED;
        snprintf(detail, size, "%s: mode %03o gives other users access (0700 needed)", dir,
                 (unsigned)(st.st_mode & 0777));
    } else if (st.st_uid != me && st.st_uid != 0) {
        hr = BGCOPY_E_ACCESSDENIED;
        snprintf(detail, size, "%s: owned by uid %lu, not by this user or root", dir,
                 (unsigned long)st.st_uid);
    } else if (st.st_uid == 0 && (st.st_mode & 022) != 0) {
        hr = BGCOPY_E_ACCESSDENIED;
        snprintf(detail, size, "%s: mode %03o lets others than root write to it", dir,
                 (unsigned)(st.st_mode & 0777));
    }
out:
    free(dir);
    return hr;
}

/* ---- sockets ------------------------------------------------------------------------------ */

/* Fills addr for path. A path too long for sun_path is reached through /proc/self/fd/<n>/ of
 * its directory, opened into *dirfd (closed by the caller; -1 when not needed). Returns the
 * address length, or 0 with errno set. */
static socklen_t address_of(const char *path, struct sockaddr_un *addr, int *dirfd)
{
    size_t n = strlen(path);
    const char *slash;
    char *dir;

    *dirfd = -1;
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (n < sizeof(addr->sun_path)) {
        memcpy(addr->sun_path, path, n + 1);
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    slash = strrchr(path, '/');
    if (slash == NULL) {
        errno = ENAMETOOLONG;
        return 0;
    }
    dir = strndup(path, (size_t)(slash - path) + 1);
    if (dir == NULL) {
        errno = ENOMEM;
        return 0;
    }
    *dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (*dirfd < 0) {
        return 0;
    }
    n = (size_t)snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", *dirfd,
                         slash + 1);
    if (n >= sizeof(addr->sun_path)) {
        close(*dirfd);
        *dirfd = -1;
        errno = ENAMETOOLONG;
        return 0;
    }
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

int bgcopy__svc_connect(const char *path)
{
    struct sockaddr_un addr;
    int dirfd, fd, err;
    socklen_t len = address_of(path, &addr, &dirfd);

    if (len == 0) {
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        while (connect(fd, (struct sockaddr *)&addr, len) != 0) {
            if (errno == EINTR) {
                continue;
            }
            err = errno;
            close(fd);
            fd = -1;
            errno = err;
            break;
        }
    }
    if (dirfd >= 0) {
        err = errno;
        close(dirfd);
        errno = err;
    }
    return fd;
}

int bgcopy__svc_listen(const char *path, unsigned mode)
{
    struct sockaddr_un addr;
    int dirfd, fd, err = 0;
    socklen_t len = address_of(path, &addr, &dirfd);

    if (len == 0) {
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, len) != 0 || chmod(path, (mode_t)mode) != 0 ||
        listen(fd, 128) != 0) {
        err = errno;
        if (fd >= 0) {
            close(fd);
        }
        fd = -1;
    }
    if (dirfd >= 0) {
        close(dirfd);
    }
    errno = err;
    return fd;
}

/* ---- identity ------------------------------------------------------------------------------- */

char *bgcopy__svc_user_name(uid_t uid)
{
    struct passwd pw, *found = NULL;
    size_t size = 1024;
    char *buf = NULL, *grown, *name = NULL, fallback[32];
    int err;

    for (;;) {
        grown = realloc(buf, size);
        if (grown == NULL) {
            free(buf);
            return NULL;
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
    } else {
        snprintf(fallback, sizeof(fallback), "uid:%lu", (unsigned long)uid);
        name = strdup(fallback);
    }
    free(buf);
    return name;
}

/* ---- engine options on the command line ------------------------------------------------------ */

#define U32_OPTION(f)                                             \
    {                                                             \
#f, offsetof(bgcopy_manager_options, f), sizeof(uint32_t) \
    }
#define U64_OPTION(f)                                             \
    {                                                             \
#f, offsetof(bgcopy_manager_options, f), sizeof(uint64_t) \
    }

static const struct option_field {
    const char *name;
    size_t offset;
    size_t size;
} option_fields[] = {
    U32_OPTION(max_jobs_per_user),
    U32_OPTION(max_jobs_per_machine),
    U32_OPTION(max_files_per_job),
    U32_OPTION(max_ranges_per_file),
    U32_OPTION(job_inactivity_timeout),
    U32_OPTION(max_download_time),
    U32_OPTION(time_slice),
    U32_OPTION(notify_retry_interval),
    U32_OPTION(notify_max_in_flight),
    U32_OPTION(http_stall_timeout),
    U64_OPTION(checkpoint_bytes),
    U32_OPTION(checkpoint_ms),
    U32_OPTION(bandwidth_policy), /* an int, of uint32_t's size on every supported target */
    U32_OPTION(bandwidth_kbps),
    U32_OPTION(bandwidth_start_hour),
    U32_OPTION(bandwidth_end_hour),
    U32_OPTION(bandwidth_outside_kbps),
};

#define OPTION_COUNT (sizeof(option_fields) / sizeof(option_fields[0]))

static uint64_t field_value(const bgcopy_manager_options *o, const struct option_field *f)
{
    const char *p = (const char *)o + f->offset;
    uint32_t v32;
    uint64_t v64;

    if (f->size == sizeof(uint32_t)) {
        memcpy(&v32, p, sizeof(v32));
        return v32;
    }
    memcpy(&v64, p, sizeof(v64));
    return v64;
}

size_t bgcopy__svc_option_args(const bgcopy_manager_options *o, char **args, size_t max)
{
    size_t i, n = 0;
    char buf[96];

    for (i = 0; i < OPTION_COUNT && n < max; i++) {
        uint64_t v = field_value(o, &option_fields[i]);
        if (v == 0) {
            continue;
        }
        snprintf(buf, sizeof(buf), "%s=%llu", option_fields[i].name, (unsigned long long)v);
        args[n] = strdup(buf);
        if (args[n] != NULL) {
            n++;
        }
    }
    return n;
}

int bgcopy__svc_option_set(bgcopy_manager_options *o, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    size_t i;
    char *end;
    unsigned long long v;

    if (eq == NULL || eq[1] < '0' || eq[1] > '9') {
        return -1;
    }
    errno = 0;
    v = strtoull(eq + 1, &end, 10);
    if (errno != 0 || *end != '\0') {
        return -1;
    }
    for (i = 0; i < OPTION_COUNT; i++) {
        const struct option_field *f = &option_fields[i];
        if (strlen(f->name) != (size_t)(eq - assignment) ||
            strncmp(f->name, assignment, (size_t)(eq - assignment)) != 0) {
            continue;
        }
        if (f->size == sizeof(uint32_t)) {
            uint32_t v32 = (uint32_t)v;
            if (v > UINT32_MAX) {
                return -1;
            }
            memcpy((char *)o + f->offset, &v32, sizeof(v32));
        } else {
            uint64_t v64 = v;
            memcpy((char *)o + f->offset, &v64, sizeof(v64));
        }
        return 0;
    }
    return -1;
}
