/* tools/bgcopy/jobref.c - finding the job a command names: by {GUID} (GetJob) or by display
 * name (enumerating the user's jobs; a name shared by several jobs is ambiguous and refused with
 * the candidates listed). Opens the manager through cli_open on first use.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Whether text has the shape "{...}" (so it names a GUID, not a display name). */
static int braced(const char *text)
{
    size_t n = strlen(text);
    return n >= 2 && text[0] == '{' && text[n - 1] == '}';
}

int cli_find_job(struct cli *cli, const char *arg, bgcopy_job **job)
{
    bgcopy_job_enum *e = NULL;
    bgcopy_job *found[8];
    bgcopy_job *j;
    bgcopy_guid id;
    bgcopy_hr hr;
    uint32_t matches = 0, i, fetched;
    int rc;

    *job = NULL;
    if (braced(arg)) {
        if (strlen(arg) != BGCOPY_GUID_STRING_SIZE - 1 ||
            BGCOPY_FAILED(bgcopy_guid_from_string(arg, &id))) {
            return cli_usage(cli,
                             "'%s' is not a valid job GUID ({xxxxxxxx-xxxx-xxxx-xxxx-"
                             "xxxxxxxxxxxx})",
                             arg);
        }
        if ((rc = cli_open(cli)) != CLI_OK)
            return rc;
        hr = bgcopy_manager_get_job(cli->mgr, &id, job);
        if (hr == BGCOPY_E_NOT_FOUND) {
            fprintf(stderr, "Unable to find job %s - 0x%08x\n%s\n", arg, (unsigned)hr,
                    bgcopy_hr_message(hr));
            return CLI_FAIL;
        }
        if (BGCOPY_FAILED(hr))
            return cli_fail(cli, "find job", hr);
        return CLI_OK;
    }

    if ((rc = cli_open(cli)) != CLI_OK)
        return rc;
    hr = bgcopy_manager_enum_jobs(cli->mgr, 0, &e);
    if (BGCOPY_FAILED(hr))
        return cli_fail(cli, "enumerate jobs", hr);
    for (;;) {
        char *name = NULL;
        hr = bgcopy_job_enum_next(e, 1, &j, &fetched);
        if (hr != BGCOPY_S_OK || fetched == 0)
            break;
        if (BGCOPY_SUCCEEDED(bgcopy_job_get_display_name(j, &name)) && strcmp(name, arg) == 0) {
            if (matches < sizeof(found) / sizeof(found[0])) {
                found[matches] = j;
                j = NULL;
            }
            matches++;
        }
        bgcopy_free(name);
        bgcopy_job_release(j);
    }
    bgcopy_job_enum_release(e);
    if (BGCOPY_FAILED(hr)) {
        for (i = 0; i < matches && i < 8; i++)
            bgcopy_job_release(found[i]);
        return cli_fail(cli, "enumerate jobs", hr);
    }
    if (matches == 1) {
        *job = found[0];
        return CLI_OK;
    }
    if (matches == 0) {
        fprintf(stderr, "Unable to find job named '%s' - 0x%08x\n%s\n", arg,
                (unsigned)BGCOPY_E_NOT_FOUND, bgcopy_hr_message(BGCOPY_E_NOT_FOUND));
        return CLI_FAIL;
    }
    fprintf(stderr, "The job name '%s' is ambiguous: %u jobs have it. Name the job by its GUID:\n",
            arg, (unsigned)matches);
    for (i = 0; i < matches && i < 8; i++) {
        char guid[BGCOPY_GUID_STRING_SIZE];
        cli_job_guid(found[i], guid);
        fprintf(stderr, "%s\n", guid);
        bgcopy_job_release(found[i]);
    }
    if (matches > 8)
        fprintf(stderr, "(and %u more; bgcopy /list shows them all)\n", (unsigned)(matches - 8));
    return CLI_FAIL;
}
