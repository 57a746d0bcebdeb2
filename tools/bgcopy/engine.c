/* tools/bgcopy/engine.c - where the command line meets the engine: opening and closing the
 * manager (finding a job is in jobref.c).
 *
 * cli_open is the only function that chooses an engine: the per-user service bgcopyd
 * (BGCOPY_ENGINE_SERVICE), started on demand by the library, as bitsadmin talks to the BITS
 * service. So jobs keep transferring after the bgcopy process that queued them exits, and any
 * number of bgcopy processes of the user work at once. The service's socket is
 * BGCOPY_SERVICE_SOCKET, else $XDG_RUNTIME_DIR/bgcopy/bgcopyd.sock, else
 * /tmp/bgcopy-<uid>/bgcopyd.sock; a service started by bgcopy keeps its jobs in the default
 * state directory (BGCOPY_STATE_DIR, else $XDG_STATE_HOME/bgcopy, else
 * ~/.local/state/bgcopy). See docs/internals/service.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

const char *cli_engine_name(void)
{
    return "service";
}

int cli_open(struct cli *cli)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_hr hr;
    const char *detail;

    if (cli->mgr != NULL)
        return CLI_OK;
    o.engine = BGCOPY_ENGINE_SERVICE;
    /* root is the administrator: the per-user job limits do not apply and /allusers works,
     * as for an elevated bitsadmin. */
    o.user_is_admin = geteuid() == 0;
    hr = bgcopy_manager_open(&o, &cli->mgr);
    if (BGCOPY_FAILED(hr)) {
        cli->mgr = NULL;
        detail = bgcopy_manager_open_detail();
        cli_fail(cli, "connect to BITS", hr);
        if (detail != NULL && detail[0] != '\0')
            fprintf(stderr, "%s\n", detail);
        if (hr == BGCOPY_E_WIN32_SERVICE_ALREADY_RUNNING)
            fprintf(stderr, "Another process runs the engine of this state directory itself "
                            "(not through bgcopyd); run the command again when it has "
                            "finished.\n");
        return CLI_FAIL;
    }
    return CLI_OK;
}

void cli_close(struct cli *cli)
{
    bgcopy_manager_close(cli->mgr);
    cli->mgr = NULL;
}
