/* service/server.h - the bgcopyd service: owns a state directory's engine and serves the public
 * API to clients over a Unix-domain socket (protocol in proto.h, design in
 * docs/internals/service.md). Linked into bgcopyd (tools/bgcopyd.c) only, never into the
 * library.
 */
#ifndef BGCOPY_SERVICE_SERVER_H
#define BGCOPY_SERVICE_SERVER_H

#include <stdint.h>

#include "bgcopy.h"

struct bgcopy__svc_server_options {
    const char *socket;    /* socket path (NULL: the default of svc.h / the system socket) */
    const char *state_dir; /* NULL: the library's default (BGCOPY_STATE_DIR, XDG ...) */
    uint32_t idle_timeout; /* seconds without client and active job before exiting; 0: never */
    int system;            /* root service for every user: socket mode 0666 */
    int ready_fd;          /* descriptor to report READY / ERROR on, or -1 */
    /* Engine options (limits, timeouts, checkpoints); its pointer fields are ignored. */
    bgcopy_manager_options engine;
};

/* Runs the service until it is idle for idle_timeout, or SIGTERM / SIGINT arrive. Reports
 * start-up ("READY <pid>" or "ERROR <hr hex> busy|fatal <text>") on ready_fd when given, and
 * logs to stderr. Returns the process exit status: 0 after a clean stop, 1 when it could not
 * start (another instance serves the socket or holds the state directory, or the socket or
 * store could not be set up). */
int bgcopy__svc_server_run(const struct bgcopy__svc_server_options *o);

#endif /* BGCOPY_SERVICE_SERVER_H */
