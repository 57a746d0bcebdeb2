/* tests/helpers/svcmode.h - run the real-mode tests in-process or through bgcopyd.
 *
 * The real-mode tests open their managers with fx_manager_open. Normally that is
 * bgcopy_manager_open; with BGCOPY_TEST_SERVICE=1 in the environment (CMake registers the tests
 * a second time that way, as service_<module>) it opens BGCOPY_ENGINE_SERVICE managers instead,
 * so the same assertions run against the service. On first use in service mode the helper
 * isolates the test: XDG_RUNTIME_DIR and BGCOPY_STATE_DIR default to directories under the
 * working directory (CTest's scratch directory; a state directory there is emptied, so each run
 * starts without the last run's jobs), the process becomes a child subreaper so the
 * service it starts stays its child, and at exit the service is stopped by pid and reaped, and
 * its log (BGCOPY_SERVICE_LOG, emptied when the helper prepares) is checked for sanitizer
 * reports (which fail the test).
 */
#ifndef BGCOPY_TESTS_SVCMODE_H
#define BGCOPY_TESTS_SVCMODE_H

#include <sys/types.h>

#include "bgcopy.h"

/* 1 when the tests run through the service. */
int fx_service_mode(void);

/* bgcopy_manager_open with options (NULL: defaults), engine BGCOPY_ENGINE_SERVICE in service
 * mode. */
bgcopy_hr fx_manager_open(const bgcopy_manager_options *options, bgcopy_manager **out);

/* Prepares service mode without opening anything (directories, subreaper, exit handler);
 * idempotent. Returns 0, or -1 when a directory cannot be made. */
int fx_service_prepare(void);

/* The socket path the service of this test uses (malloc'ed), and its pid from the pid file
 * beside the socket, or -1 when no service runs. */
char *fx_service_socket(void);
pid_t fx_service_pid(void);

/* Stops the running service: SIGTERM, waits up to 10 s (then SIGKILL) and reaps it. Returns
 * its wait status, or -1 when none ran. */
int fx_service_stop(void);

/* SIGKILLs the running service and reaps it. Returns 0, or -1 when none ran. */
int fx_service_kill(void);

/* Waits (up to seconds) until process pid is gone and reaps it when it is our child.
 * Returns 0 when it is gone. */
int fx_wait_gone(pid_t pid, double seconds);

#endif /* BGCOPY_TESTS_SVCMODE_H */
