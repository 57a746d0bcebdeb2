/* fuzz/cli_args_fuzzer.c - the bgcopy command line (tools/bgcopy/) run in-process on argument
 * vectors taken from the input, against a fresh simulation per input.
 *
 * Input: NUL-separated arguments after the program name (at most MAX_ARGS; the rest is
 * dropped). When the input holds two NULs in a row, what follows them is written to a scratch
 * file and every argument "@list" becomes that file's path, so /addfileset reads fuzzed text.
 *
 * This file stands in for tools/bgcopy/engine.c: cli_open opens a manager on the simulation of
 * the current input instead of on the service. Before the command runs, the simulation holds
 * jobs for the command to find: "j" (SUSPENDED, one file), "t" (TRANSFERRED from a scripted
 * resource) and two jobs both named "dup". cli_interrupted is set, so /transfer stops after
 * adding its files (and cancels its job) and /monitor returns at once; nothing waits.
 *
 * Invariants (abort() on violation):
 *   - the exit status is CLI_OK, CLI_FAIL or CLI_USAGE, or CLI_INTERRUPTED from /transfer;
 *   - CLI_USAGE writes a message starting "bgcopy" to stderr, CLI_FAIL writes something there;
 *   - with --json and CLI_OK, stdout is one or more JSON values, each valid (checked by the
 *     small validator below), so display names and descriptions with quotes, control
 *     characters or invalid UTF-8 are escaped;
 *   - the jobs made before the command are still there, in a BITS state;
 *   - after the manager is closed and every job released, the simulation can be destroyed (the
 *     command leaked no reference).
 */
#define _GNU_SOURCE /* open_memstream; stdout and stderr are assignable in glibc */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bgcopy.h"
#include "cli.h"
#include "fuzz-util.h"

#define MAX_ARGS 24

static bgcopy_sim *g_sim; /* the simulation of the current input */
static const char *g_user = "fuzz";

/* ---- the engine seam (replaces tools/bgcopy/engine.c) ----------------------------------- */

const char *cli_engine_name(void)
{
    return "simulation";
}

int cli_open(struct cli *cli)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_hr hr;

    if (cli->mgr != NULL)
        return CLI_OK;
    o.sim = g_sim;
    o.user = g_user;
    hr = bgcopy_manager_open(&o, &cli->mgr);
    if (BGCOPY_FAILED(hr)) {
        cli->mgr = NULL;
        return cli_fail(cli, "connect to BITS", hr);
    }
    return CLI_OK;
}

void cli_close(struct cli *cli)
{
    bgcopy_manager_close(cli->mgr);
    cli->mgr = NULL;
}

/* ---- a JSON validator (RFC 8259 grammar; no semantic checks) ----------------------------- */

static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static const char *value(const char *p, int depth);

static const char *string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    for (;;) {
        unsigned char c = (unsigned char)*p++;
        if (c == '"')
            return p;
        if (c < 0x20)
            return NULL; /* raw control characters (and the end of the text) are invalid */
        if (c == '\\') {
            c = (unsigned char)*p++;
            if (c == 'u') {
                int i;
                for (i = 0; i < 4; i++, p++)
                    if (!strchr("0123456789abcdefABCDEF", *p) || *p == '\0')
                        return NULL;
            } else if (!strchr("\"\\/bfnrt", c) || c == '\0') {
                return NULL;
            }
        }
    }
}

static const char *number(const char *p)
{
    const char *start;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    if (*p == '.') {
        start = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == start)
            return NULL;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        start = p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == start)
            return NULL;
    }
    return p;
}

static const char *members(const char *p, int depth, char close, int object)
{
    p = ws(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (object) {
            p = string(ws(p));
            if (p == NULL)
                return NULL;
            p = ws(p);
            if (*p++ != ':')
                return NULL;
        }
        p = value(p, depth + 1);
        if (p == NULL)
            return NULL;
        p = ws(p);
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

/* The end of the value starting at p (after white space), or NULL when it is not valid. */
static const char *value(const char *p, int depth)
{
    if (depth > 64)
        return NULL;
    p = ws(p);
    switch (*p) {
    case '{':
        return members(p, depth, '}', 1);
    case '[':
        return members(p, depth, ']', 0);
    case '"':
        return string(p);
    case 't':
        return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f':
        return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n':
        return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default:
        return number(p);
    }
}

/* Whether text is a sequence of one or more JSON values separated by white space. */
static int json_values(const char *text)
{
    const char *p = ws(text);
    if (*p == '\0')
        return 0;
    while (*p != '\0') {
        p = value(p, 0);
        if (p == NULL)
            return 0;
        p = ws(p);
    }
    return 1;
}

/* ---- the scenario ------------------------------------------------------------------------ */

static bgcopy_job *make_job(bgcopy_manager *m, const char *name, const char *dir,
                            const char *remote, const char *leaf)
{
    bgcopy_job *job = NULL;
    bgcopy_guid id;
    char local[512];

    FZ_CHECK(bgcopy_manager_create_job(m, name, BGCOPY_JOB_TYPE_DOWNLOAD, &id, &job) ==
             BGCOPY_S_OK);
    snprintf(local, sizeof(local), "%s/%s", dir, leaf);
    FZ_CHECK(bgcopy_job_add_file(job, remote, local) == BGCOPY_S_OK);
    return job;
}

/* Whether the arguments name /transfer (the only command that may be interrupted). */
static int names_transfer(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        while (*a == '/' || *a == '-')
            a++;
        if (strcasecmp(a, "transfer") == 0)
            return 1;
    }
    return 0;
}

/* Whether arg asks for help as main.c reads it ("/?", "-?", "-h", "/help", "--help"). */
static int is_help_arg(const char *arg)
{
    return strcmp(arg, "/?") == 0 || strcmp(arg, "-?") == 0 || strcmp(arg, "-h") == 0 ||
           cli_is_option(arg, "help", NULL);
}

/* Whether cli_main runs a command in --json mode, so that what it prints on success must be
 * JSON: --json (any spelling) among the global switches before the command word, or
 * "-json"/"--json" after it and before "--" (as main.c reads them). Help and --version print
 * text whatever the switches, and with no command at all the general help is printed. */
static int has_json(int argc, char **argv)
{
    int i, cmd_seen = 0, json = 0;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (is_help_arg(a))
            return 0;
        if (!cmd_seen) {
            if (cli_is_option(a, "version", NULL) || strcmp(a, "-V") == 0)
                return 0;
            if (cli_is_option(a, "json", NULL))
                json = 1;
            else if (!cli_is_option(a, "rawreturn", NULL) && !cli_is_option(a, "wrap", NULL) &&
                     !cli_is_option(a, "nowrap", NULL))
                cmd_seen = 1;
            continue;
        }
        if (strcmp(a, "--") == 0)
            break;
        if (a[0] == '-' && cli_is_option(a, "json", NULL))
            json = 1;
    }
    return json && cmd_seen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char url[] = "http://sim.test/t.bin";
    bgcopy_sim_resource res = BGCOPY_SIM_RESOURCE_INIT;
    bgcopy_manager *m = NULL;
    bgcopy_job *jobs[4];
    char dir[512], list[600];
    char *copy, *argv[MAX_ARGS + 2], *out_text = NULL, *err_text = NULL;
    size_t out_len = 0, err_len = 0, text_len = size, i;
    FILE *saved_out = stdout, *saved_err = stderr, *f;
    int argc = 1, rc, json, transfer;
    bgcopy_job_state st;

    /* Split off the /addfileset text at the first "\0\0". */
    for (i = 0; i + 1 < size; i++)
        if (data[i] == 0 && data[i + 1] == 0) {
            text_len = i;
            break;
        }
    fz_tempdir(dir, sizeof(dir), "cli");
    snprintf(list, sizeof(list), "%s/list.txt", dir);
    f = fopen(list, "wb");
    FZ_CHECK(f != NULL);
    if (text_len + 2 <= size)
        fwrite(data + text_len + 2, 1, size - text_len - 2, f);
    FZ_CHECK(fclose(f) == 0);

    copy = malloc(text_len + 1);
    FZ_CHECK(copy != NULL);
    memcpy(copy, data, text_len);
    copy[text_len] = '\0';
    argv[0] = (char *)"bgcopy";
    for (i = 0; i <= text_len && argc <= MAX_ARGS; i++) {
        char *a = copy + i;
        argv[argc++] = strcmp(a, "@list") == 0 ? list : a;
        i += strlen(a);
    }
    argv[argc] = NULL;
    if (text_len == 0)
        argc = 1;

    /* The simulation and the jobs the command can name. */
    FZ_CHECK(bgcopy_sim_create(NULL, &g_sim) == BGCOPY_S_OK);
    res.url = url;
    res.length = 1000;
    FZ_CHECK(bgcopy_sim_add_resource(g_sim, &res) == BGCOPY_S_OK);
    {
        bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
        o.sim = g_sim;
        o.user = g_user;
        FZ_CHECK(bgcopy_manager_open(&o, &m) == BGCOPY_S_OK);
    }
    jobs[0] = make_job(m, "j", dir, "http://sim.test/missing", "j.bin");
    jobs[1] = make_job(m, "t", dir, url, "t.bin");
    jobs[2] = make_job(m, "dup", dir, url, "d1.bin");
    jobs[3] = make_job(m, "dup", dir, url, "d2.bin");
    FZ_CHECK(bgcopy_job_resume(jobs[1]) == BGCOPY_S_OK);
    FZ_CHECK(bgcopy_sim_run_until_idle(g_sim) == BGCOPY_S_OK);
    FZ_CHECK(bgcopy_job_get_state(jobs[1], &st) == BGCOPY_S_OK &&
             st == BGCOPY_JOB_STATE_TRANSFERRED);

    /* Run the command with its output captured. */
    json = has_json(argc, argv);
    transfer = names_transfer(argc, argv);
    cli_interrupted = 1;
    stdout = open_memstream(&out_text, &out_len);
    stderr = open_memstream(&err_text, &err_len);
    FZ_CHECK(stdout != NULL && stderr != NULL);
    rc = cli_main(argc, argv);
    fclose(stdout);
    fclose(stderr);
    stdout = saved_out;
    stderr = saved_err;

    FZ_CHECK(rc == CLI_OK || rc == CLI_FAIL || rc == CLI_USAGE ||
             (rc == CLI_INTERRUPTED && transfer));
    if (rc == CLI_USAGE)
        FZ_CHECK(strncmp(err_text, "bgcopy", 6) == 0);
    if (rc == CLI_FAIL)
        FZ_CHECK(err_len > 0);
    if (rc == CLI_OK && json && out_len > 0 && !json_values(out_text)) {
        fprintf(stderr, "--json output:\n%s\n", out_text);
        FZ_CHECK(!"--json output is valid JSON");
    }
    free(out_text);
    free(err_text);

    /* The jobs are still there (unless the command cancelled or completed them), in a BITS
     * state; then everything is released and the simulation must come apart. */
    for (i = 0; i < 4; i++) {
        FZ_CHECK(bgcopy_job_get_state(jobs[i], &st) == BGCOPY_S_OK);
        FZ_CHECK(st >= BGCOPY_JOB_STATE_QUEUED && st <= BGCOPY_JOB_STATE_CANCELLED);
        (void)bgcopy_job_cancel(jobs[i]);
        bgcopy_job_release(jobs[i]);
    }
    {
        /* Jobs the command created are cancelled too, so no temporary file outlives the input. */
        bgcopy_job_enum *e = NULL;
        bgcopy_job *j;
        uint32_t fetched;
        FZ_CHECK(bgcopy_manager_enum_jobs(m, 0, &e) == BGCOPY_S_OK);
        while (bgcopy_job_enum_next(e, 1, &j, &fetched) == BGCOPY_S_OK && fetched == 1) {
            (void)bgcopy_job_cancel(j);
            bgcopy_job_release(j);
        }
        bgcopy_job_enum_release(e);
    }
    FZ_CHECK(bgcopy_sim_run_until_idle(g_sim) == BGCOPY_S_OK);
    bgcopy_manager_close(m);
    FZ_CHECK(bgcopy_sim_destroy(g_sim) == BGCOPY_S_OK);
    g_sim = NULL;
    fz_rmtree(dir);
    free(copy);
    return 0;
}
