/* service/svc.h - what the service client (client.c, in the library) and the daemon
 * (server.c, bgcopyd) share besides the wire protocol: where the socket lives and how its
 * directory is checked, connecting to and listening on paths of any length, the user names the
 * service gives peers, and how engine options travel on bgcopyd's command line.
 *
 * POSIX only (Unix-domain sockets). Every function is thread-safe.
 */
#ifndef BGCOPY_SERVICE_SVC_H
#define BGCOPY_SERVICE_SVC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bgcopy.h"

/* The system-wide service's socket (bgcopyd --system). */
#define BGCOPY__SVC_SYSTEM_SOCKET "/run/bgcopy/bgcopyd.sock"
/* Default idle period of a service, seconds. */
#define BGCOPY__SVC_DEFAULT_IDLE 60u

/* The socket path: option when non-NULL, else $BGCOPY_SERVICE_SOCKET, else
 * $XDG_RUNTIME_DIR/bgcopy/bgcopyd.sock, else /tmp/bgcopy-<euid>/bgcopyd.sock. malloc'ed;
 * NULL when out of memory. */
char *bgcopy__svc_socket_path(const char *option);

/* Makes sure the directory holding socket_path is safe to use, creating it (mode 0700, the
 * last component only) when create is set and it is missing. Safe means: a real directory
 * (not a symlink), owned either by the effective uid with no group or other access, or by
 * root and writable by root only (a system directory such as /run/bgcopy). Errors, with a
 * one-line explanation in detail: E_ACCESSDENIED (unsafe), HRESULT_FROM_WIN32
 * (ERROR_PATH_NOT_FOUND) (missing and not created), other file-system HRESULTs. */
bgcopy_hr bgcopy__svc_check_dir(const char *socket_path, int create, char *detail, size_t size);

/* Connects a blocking, close-on-exec stream socket to path (any length: long paths go through
 * /proc/self/fd of their directory). Returns the descriptor, or -1 with errno set. */
int bgcopy__svc_connect(const char *path);

/* Binds a listening, non-blocking, close-on-exec socket at path with the given permission
 * bits (the socket file is created with exactly that mode). Returns the descriptor, or -1 with
 * errno set. */
int bgcopy__svc_listen(const char *path, unsigned mode);

/* The name the service gives uid: its passwd name, else "uid:<n>" (as bgcopy__sys_user_name
 * does for the calling process). malloc'ed; NULL when out of memory. */
char *bgcopy__svc_user_name(uid_t uid);

/* Engine options on bgcopyd's command line: "--set name=value", one per non-zero numeric
 * option of o (limits, timeouts, checkpoints). bgcopy__svc_option_args writes at most max
 * "name=value" strings into args (each malloc'ed) and returns how many. */
size_t bgcopy__svc_option_args(const bgcopy_manager_options *o, char **args, size_t max);
/* Applies one "name=value" to o. Returns 0, or -1 for an unknown name or a bad number. */
int bgcopy__svc_option_set(bgcopy_manager_options *o, const char *assignment);

#endif /* BGCOPY_SERVICE_SVC_H */
