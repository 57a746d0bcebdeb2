/* tools/bgcopy/jobcmds.c - the job commands of bgcopy: /create, /addfile, /addfileset,
 * /addfilewithranges, /resume, /suspend, /cancel, /complete, /reset, /list, /info, /monitor,
 * /listfiles, /replaceremoteprefix and /setremotename.
 *
 * Each command checks its whole command line before it changes anything, then makes one
 * library call (or, for /addfileset, one all-or-nothing AddFileSet), so a wrong argument
 * never leaves a job half-changed. Output lines follow bitsadmin (reference 11.1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char *const type_words[] = {"download", "upload", "upload-reply"};

int cli_cmd_create(struct cli *cli, int argc, char **argv)
{
    bgcopy_job_type type = BGCOPY_JOB_TYPE_DOWNLOAD;
    bgcopy_job *job = NULL;
    bgcopy_guid id;
    char guid[BGCOPY_GUID_STRING_SIZE];
    const char *name = NULL;
    bgcopy_hr hr;
    int i, rc, t;

    for (i = 0; i < argc; i++) {
        for (t = 0; t < 3; t++)
            if (cli_is_option(argv[i], type_words[t], NULL))
                break;
        if (t < 3)
            type = (bgcopy_job_type)t;
        else if (cli_looks_like_switch(argv[i]))
            return cli_usage(cli, "unknown switch '%s'", argv[i]);
        else if (name == NULL)
            name = argv[i];
        else
            return cli_usage(cli, "too many arguments: '%s'", argv[i]);
    }
    if (name == NULL)
        return cli_usage(cli, "the job needs a display name");
    if ((rc = cli_open(cli)) != CLI_OK)
        return rc;
    hr = bgcopy_manager_create_job(cli->mgr, name, type, &id, &job);
    if (BGCOPY_FAILED(hr))
        return cli_fail(cli, "create job", hr);
    bgcopy_job_release(job);
    cli_guid_text(&id, guid);
    if (cli->json) {
        cli_json_begin_object(NULL);
        cli_json_string("id", guid);
        cli_json_string("display_name", name);
        cli_json_string("type", bgcopy_job_type_name(type));
        cli_json_end_object();
        cli_json_finish();
    } else if (cli->rawreturn) {
        fputs(guid, stdout);
    } else {
        cli_banner(cli);
        cli_line(cli, "created job %s", guid);
    }
    return CLI_OK;
}

/* Runs fn on the job named by argv[0] after checking the argument count. */
static int with_job(struct cli *cli, int argc, char **argv, int min, int max, bgcopy_job **job)
{
    int rc;
    if ((rc = cli_check_args(cli, argc, argv, min, max)) != 0)
        return rc;
    return cli_find_job(cli, argv[0], job);
}

int cli_cmd_addfile(struct cli *cli, int argc, char **argv)
{
    bgcopy_job *job;
    bgcopy_hr hr;
    int rc;

    if ((rc = with_job(cli, argc, argv, 3, 3, &job)) != CLI_OK)
        return rc;
    hr = bgcopy_job_add_file(job, argv[1], argv[2]);
    bgcopy_job_release(job);
    if (BGCOPY_FAILED(hr))
        return cli_fail(cli, "add file", hr);
    cli_banner(cli);
    cli_line(cli, "Added %s -> %s to job.", argv[1], argv[2]);
    return CLI_OK;
}

/* Splits one line of an /addfileset file into at most max tokens: space- or tab-separated,
 * "double quotes" group a name with spaces. Returns the count, -1 for an unterminated quote
 * or too many tokens. The line is modified in place. */
static int split_tokens(char *line, char **tok, int max)
{
    int n = 0;
    char *p = line, *w;

    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '\r' || *p == '\n')
            return n;
        if (n == max)
            return -1;
        if (*p == '"') {
            tok[n++] = ++p;
            w = strchr(p, '"');
            if (w == NULL)
                return -1;
            *w = '\0';
            p = w + 1;
            if (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                return -1;
        } else {
            tok[n++] = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                p++;
            if (*p == '\0')
                return n;
            *p++ = '\0';
        }
    }
}

int cli_cmd_addfileset(struct cli *cli, int argc, char **argv)
{
    bgcopy_file_info *files = NULL;
    bgcopy_job *job = NULL;
    char **lines = NULL, buf[16384];
    size_t count = 0, cap = 0, nlines = 0, i;
    unsigned long lineno = 0;
    FILE *f;
    bgcopy_hr hr;
    int rc;

    if ((rc = cli_check_args(cli, argc, argv, 2, 2)) != 0)
        return rc;
    f = fopen(argv[1], "r");
    if (f == NULL) {
        fprintf(stderr, "bgcopy /addfileset: cannot read '%s': %s\n", argv[1], strerror(errno));
        return CLI_FAIL;
    }
    rc = CLI_OK;
    while (fgets(buf, sizeof(buf), f) != NULL) {
        char *copy, *tok[3];
        int n;
        lineno++;
        if (strchr(buf, '\n') == NULL && !feof(f)) {
            fprintf(stderr, "bgcopy /addfileset: %s:%lu: line too long\n", argv[1], lineno);
            rc = CLI_USAGE;
            break;
        }
        copy = strdup(buf);
        if (copy == NULL) {
            rc = CLI_FAIL;
            break;
        }
        n = split_tokens(copy, tok, 3);
        if (n == 0 || tok[0][0] == '#') {
            free(copy);
            continue;
        }
        if (n != 2) {
            fprintf(stderr, "bgcopy /addfileset: %s:%lu: expected '<remote> <local>'\n", argv[1],
                    lineno);
            free(copy);
            rc = CLI_USAGE;
            break;
        }
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            bgcopy_file_info *nf = realloc(files, ncap * sizeof(*nf));
            char **nl = nf ? realloc(lines, ncap * sizeof(*nl)) : NULL;
            if (nf)
                files = nf;
            if (nl)
                lines = nl;
            if (nf == NULL || nl == NULL) {
                free(copy);
                rc = CLI_FAIL;
                break;
            }
            cap = ncap;
        }
        lines[nlines++] = copy;
        files[count].remote_name = tok[0];
        files[count].local_name = tok[1];
        count++;
    }
    if (ferror(f) && rc == CLI_OK) {
        fprintf(stderr, "bgcopy /addfileset: error reading '%s'\n", argv[1]);
        rc = CLI_FAIL;
    }
    fclose(f);
    if (rc == CLI_OK && count == 0) {
        fprintf(stderr, "bgcopy /addfileset: '%s' lists no files\n", argv[1]);
        rc = CLI_USAGE;
    }
    if (rc == CLI_OK)
        rc = cli_find_job(cli, argv[0], &job);
    if (rc == CLI_OK) {
        hr = bgcopy_job_add_file_set(job, (uint32_t)count, files);
        if (BGCOPY_FAILED(hr)) {
            rc = cli_fail(cli, "add file set", hr);
        } else {
            cli_banner(cli);
            cli_line(cli, "Added %lu file(s) to job.", (unsigned long)count);
        }
    }
    bgcopy_job_release(job);
    for (i = 0; i < nlines; i++)
        free(lines[i]);
    free(lines);
    free(files);
    return rc;
}

/* Parses "off:len,off:len,off:eof" into a new array (every item must be there: "1:2,,"
 * is refused). */
static int parse_ranges(struct cli *cli, const char *text, bgcopy_file_range **out, uint32_t *count)
{
    char *copy = strdup(text), *item, *next;
    bgcopy_file_range *r = NULL;
    uint32_t n = 0, cap = 0;
    int rc = 0;

    if (copy == NULL)
        return CLI_FAIL;
    for (item = copy; item != NULL; item = next) {
        char *colon;
        uint64_t off, len;
        next = strchr(item, ',');
        if (next != NULL)
            *next++ = '\0';
        colon = strchr(item, ':');
        if (colon == NULL) {
            rc = cli_usage(cli, "'%s' is not a range (offset:length or offset:eof)", item);
            break;
        }
        *colon = '\0';
        if ((rc = cli_parse_u64(cli, item, UINT64_MAX, 0, "range offset", &off)) != 0)
            break;
        if (strcasecmp(colon + 1, "eof") == 0)
            len = BGCOPY_LENGTH_TO_EOF;
        else if ((rc = cli_parse_u64(cli, colon + 1, UINT64_MAX, 0, "range length", &len)) != 0)
            break;
        if (n == cap) {
            uint32_t ncap = cap ? cap * 2 : 8;
            bgcopy_file_range *nr = realloc(r, ncap * sizeof(*nr));
            if (nr == NULL) {
                rc = CLI_FAIL;
                break;
            }
            r = nr;
            cap = ncap;
        }
        r[n].initial_offset = off;
        r[n].length = len;
        n++;
    }
    free(copy);
    if (rc != 0) {
        free(r);
        return rc;
    }
    *out = r;
    *count = n;
    return 0;
}

int cli_cmd_addfilewithranges(struct cli *cli, int argc, char **argv)
{
    bgcopy_file_range *ranges = NULL;
    bgcopy_job *job;
    uint32_t n = 0;
    bgcopy_hr hr;
    int rc;

    if ((rc = cli_check_args(cli, argc, argv, 4, 4)) != 0)
        return rc;
    if ((rc = parse_ranges(cli, argv[3], &ranges, &n)) != 0)
        return rc;
    if ((rc = cli_find_job(cli, argv[0], &job)) != CLI_OK) {
        free(ranges);
        return rc;
    }
    hr = bgcopy_job_add_file_with_ranges(job, argv[1], argv[2], n, ranges);
    bgcopy_job_release(job);
    free(ranges);
    if (BGCOPY_FAILED(hr))
        return cli_fail(cli, "add file", hr);
    cli_banner(cli);
    cli_line(cli, "Added %s -> %s (%u range%s) to job.", argv[1], argv[2], (unsigned)n,
             n == 1 ? "" : "s");
    return CLI_OK;
}

/* The four state commands share one shape. */
static int state_command(struct cli *cli, int argc, char **argv, bgcopy_hr (*fn)(bgcopy_job *job),
                         const char *what, const char *done)
{
    bgcopy_job *job;
    bgcopy_hr hr;
    int rc;

    if ((rc = with_job(cli, argc, argv, 1, 1, &job)) != CLI_OK)
        return rc;
    hr = fn(job);
    bgcopy_job_release(job);
    if (BGCOPY_FAILED(hr))
        return cli_fail(cli, what, hr);
    cli_banner(cli);
    if (hr == BGCOPY_S_PARTIAL_COMPLETE)
        cli_line(cli,
                 "Job partially completed: only the files transferred in full were kept "
                 "(0x%08x).",
                 (unsigned)hr);
    else if (hr == BGCOPY_S_UNABLE_TO_DELETE_FILES)
        cli_line(cli, "%s Some temporary files could not be deleted (0x%08x).", done, (unsigned)hr);
    else
        cli_line(cli, "%s", done);
    return CLI_OK;
}

int cli_cmd_resume(struct cli *cli, int argc, char **argv)
{
    return state_command(cli, argc, argv, bgcopy_job_resume, "resume job", "Job resumed.");
}

int cli_cmd_suspend(struct cli *cli, int argc, char **argv)
{
    return state_command(cli, argc, argv, bgcopy_job_suspend, "suspend job", "Job suspended.");
}

int cli_cmd_cancel(struct cli *cli, int argc, char **argv)
{
    return state_command(cli, argc, argv, bgcopy_job_cancel, "cancel job", "Job canceled.");
}

int cli_cmd_complete(struct cli *cli, int argc, char **argv)
{
    return state_command(cli, argc, argv, bgcopy_job_complete, "complete job", "Job completed.");
}

/* Reads /allusers and /verbose (each allowed once, in any order). */
static int list_options(struct cli *cli, int argc, char **argv, int allow_verbose, uint32_t *flags,
                        int *verbose)
{
    int i;
    *flags = 0;
    *verbose = 0;
    for (i = 0; i < argc; i++) {
        if (cli_is_option(argv[i], "allusers", NULL))
            *flags |= BGCOPY_JOB_ENUM_ALL_USERS;
        else if (allow_verbose && cli_is_option(argv[i], "verbose", NULL))
            *verbose = 1;
        else if (cli_looks_like_switch(argv[i]))
            return cli_usage(cli, "unknown switch '%s'", argv[i]);
        else
            return cli_usage(cli, "unexpected argument '%s'", argv[i]);
    }
    return 0;
}

int cli_cmd_reset(struct cli *cli, int argc, char **argv)
{
    bgcopy_job_enum *e = NULL;
    bgcopy_job *job;
    uint32_t flags, fetched, total = 0, done = 0;
    bgcopy_hr hr;
    int verbose, rc;

    if ((rc = list_options(cli, argc, argv, 0, &flags, &verbose)) != 0)
        return rc;
    if ((rc = cli_open(cli)) != CLI_OK)
        return rc;
    hr = bgcopy_manager_enum_jobs(cli->mgr, flags, &e);
    if (BGCOPY_FAILED(hr))
        return cli_fail(cli, "enumerate jobs", hr);
    cli_banner(cli);
    while (bgcopy_job_enum_next(e, 1, &job, &fetched) == BGCOPY_S_OK && fetched == 1) {
        char guid[BGCOPY_GUID_STRING_SIZE];
        cli_job_guid(job, guid);
        total++;
        hr = bgcopy_job_cancel(job);
        if (BGCOPY_SUCCEEDED(hr)) {
            done++;
            cli_line(cli, "%s canceled.", guid);
        } else {
            cli_line(cli, "%s could not be canceled - 0x%08x - %s", guid, (unsigned)hr,
                     bgcopy_hr_message(hr));
        }
        bgcopy_job_release(job);
    }
    bgcopy_job_enum_release(e);
    cli_line(cli, "%u out of %u jobs canceled.", (unsigned)done, (unsigned)total);
    return done == total ? CLI_OK : CLI_FAIL;
}

/* Prints every job of the enumeration (list lines, info blocks or JSON). Returns the count
 * or -1 after a failure message. */
static long print_jobs(struct cli *cli, uint32_t flags, int verbose)
{
    bgcopy_job_enum *e = NULL;
    bgcopy_job *job;
    uint32_t fetched;
    long n = 0;
    bgcopy_hr hr;

    hr = bgcopy_manager_enum_jobs(cli->mgr, flags, &e);
    if (BGCOPY_FAILED(hr)) {
        cli_fail(cli, "enumerate jobs", hr);
        return -1;
    }
    while (bgcopy_job_enum_next(e, 1, &job, &fetched) == BGCOPY_S_OK && fetched == 1) {
        if (cli->json)
            cli_json_job(cli, NULL, job, verbose);
        else if (verbose) {
            if (n > 0)
                cli_line(cli, "%s", "");
            cli_print_info(cli, job);
        } else
            cli_print_list_line(cli, job);
        n++;
        bgcopy_job_release(job);
    }
    bgcopy_job_enum_release(e);
    return n;
}

int cli_cmd_list(struct cli *cli, int argc, char **argv)
{
    uint32_t flags;
    int verbose, rc;
    long n;

    if ((rc = list_options(cli, argc, argv, 1, &flags, &verbose)) != 0)
        return rc;
    if ((rc = cli_open(cli)) != CLI_OK)
        return rc;
    if (cli->json) {
        cli_json_begin_object(NULL);
        cli_json_begin_array("jobs");
        n = print_jobs(cli, flags, verbose);
        cli_json_end_array();
        cli_json_u64("count", n < 0 ? 0 : (uint64_t)n);
        cli_json_end_object();
        cli_json_finish();
        return n < 0 ? CLI_FAIL : CLI_OK;
    }
    cli_banner(cli);
    n = print_jobs(cli, flags, verbose);
    if (n < 0)
        return CLI_FAIL;
    cli_line(cli, "%s", "");
    cli_line(cli, "Listed %ld job(s).", n);
    return CLI_OK;
}

int cli_cmd_info(struct cli *cli, int argc, char **argv)
{
    bgcopy_job *job;
    int verbose = 0, rc, i, n = 0;
    char *rest[1];

    for (i = 0; i < argc; i++) {
        if (cli_is_option(argv[i], "verbose", NULL))
            verbose = 1;
        else if (n < 1 && !cli_looks_like_switch(argv[i]))
            rest[n++] = argv[i];
        else if (cli_looks_like_switch(argv[i]))
            return cli_usage(cli, "unknown switch '%s'", argv[i]);
        else
            return cli_usage(cli, "too many arguments: '%s'", argv[i]);
    }
    if ((rc = with_job(cli, n, rest, 1, 1, &job)) != CLI_OK)
        return rc;
    if (cli->json) {
        rc = cli_json_job(cli, NULL, job, 1);
        cli_json_finish();
    } else {
        cli_banner(cli);
        rc = verbose ? cli_print_info(cli, job) : cli_print_list_line(cli, job);
    }
    bgcopy_job_release(job);
    return rc;
}

int cli_cmd_monitor(struct cli *cli, int argc, char **argv)
{
    uint32_t flags = 0, refresh = 5;
    int i, rc, tty = isatty(STDOUT_FILENO);
    const char *v;

    for (i = 0; i < argc; i++) {
        if (cli_is_option(argv[i], "allusers", NULL)) {
            flags |= BGCOPY_JOB_ENUM_ALL_USERS;
        } else if (cli_is_option(argv[i], "refresh", &v)) {
            if (v == NULL && ++i >= argc)
                return cli_usage(cli, "/refresh needs a number of seconds");
            if ((rc = cli_parse_u32(cli, v ? v : argv[i], 0, "refresh interval", &refresh)) != 0)
                return rc;
            if (refresh == 0 || refresh > 86400)
                return cli_usage(cli, "the refresh interval must be 1 to 86400 seconds");
        } else if (cli_looks_like_switch(argv[i])) {
            return cli_usage(cli, "unknown switch '%s'", argv[i]);
        } else {
            return cli_usage(cli, "unexpected argument '%s'", argv[i]);
        }
    }
    if ((rc = cli_open(cli)) != CLI_OK)
        return rc;
    cli->wrap = 0; /* bitsadmin never wraps /monitor */
    cli_catch_signals();
    cli_banner(cli);
    while (!cli_interrupted) {
        struct timespec step = {0, 100 * 1000 * 1000};
        uint32_t waited;
        if (tty)
            fputs("\033[H\033[2J", stdout);
        cli_line(cli, "MONITORING BACKGROUND COPY MANAGER(%u second refresh)", (unsigned)refresh);
        if (print_jobs(cli, flags, 0) < 0)
            return CLI_FAIL;
        if (!tty)
            cli_line(cli, "%s", "");
        if (fflush(stdout) != 0)
            return CLI_FAIL;
        for (waited = 0; waited < refresh * 10 && !cli_interrupted; waited++)
            nanosleep(&step, NULL);
    }
    return CLI_OK;
}

int cli_cmd_listfiles(struct cli *cli, int argc, char **argv)
{
    bgcopy_file_enum *fe = NULL;
    bgcopy_file *f;
    bgcopy_job *job;
    uint32_t fetched, n = 0;
    bgcopy_hr hr;
    int rc;

    if ((rc = with_job(cli, argc, argv, 1, 1, &job)) != CLI_OK)
        return rc;
    hr = bgcopy_job_enum_files(job, &fe);
    bgcopy_job_release(job);
    if (BGCOPY_FAILED(hr))
        return cli_fail(cli, "list files", hr);
    cli_banner(cli);
    while (bgcopy_file_enum_next(fe, 1, &f, &fetched) == BGCOPY_S_OK && fetched == 1) {
        bgcopy_file_progress fp = {BGCOPY_SIZE_UNKNOWN, 0, 0};
        char *remote = NULL, *local = NULL, total[32];
        bgcopy_file_get_progress(f, &fp);
        bgcopy_file_get_remote_name(f, &remote);
        bgcopy_file_get_local_name(f, &local);
        if (fp.bytes_total == BGCOPY_SIZE_UNKNOWN)
            snprintf(total, sizeof(total), "UNKNOWN");
        else
            snprintf(total, sizeof(total), "%llu", (unsigned long long)fp.bytes_total);
        cli_line(cli, "%llu / %s %s %s -> %s", (unsigned long long)fp.bytes_transferred, total,
                 fp.completed ? "COMPLETED"
                 : (fp.bytes_total != BGCOPY_SIZE_UNKNOWN && fp.bytes_transferred == fp.bytes_total)
                     ? "TRANSFERRED"
                     : "WORKING",
                 remote ? remote : "", local ? local : "");
        bgcopy_free(remote);
        bgcopy_free(local);
        bgcopy_file_release(f);
        n++;
    }
    bgcopy_file_enum_release(fe);
    cli_line(cli, "%s", "");
    cli_line(cli, "Listed %u file(s).", (unsigned)n);
    return CLI_OK;
}

int cli_cmd_replaceremoteprefix(struct cli *cli, int argc, char **argv)
{
    bgcopy_job *job;
    bgcopy_hr hr;
    int rc;

    if ((rc = with_job(cli, argc, argv, 3, 3, &job)) != CLI_OK)
        return rc;
    hr = bgcopy_job_replace_remote_prefix(job, argv[1], argv[2]);
    bgcopy_job_release(job);
    if (BGCOPY_FAILED(hr))
        return cli_fail(cli, "replace remote prefix", hr);
    cli_banner(cli);
    if (hr == BGCOPY_S_FALSE)
        cli_line(cli, "No remote name starts with '%s'.", argv[1]);
    else
        cli_line(cli, "Remote prefix '%s' replaced with '%s'.", argv[1], argv[2]);
    return CLI_OK;
}

int cli_cmd_setremotename(struct cli *cli, int argc, char **argv)
{
    bgcopy_file_enum *fe = NULL;
    bgcopy_file *f = NULL;
    bgcopy_job *job;
    uint32_t index, fetched = 0;
    bgcopy_hr hr;
    int rc;

    if ((rc = cli_check_args(cli, argc, argv, 3, 3)) != 0)
        return rc;
    if ((rc = cli_parse_u32(cli, argv[1], 0, "file index", &index)) != 0)
        return rc;
    if ((rc = cli_find_job(cli, argv[0], &job)) != CLI_OK)
        return rc;
    hr = bgcopy_job_enum_files(job, &fe);
    bgcopy_job_release(job);
    if (BGCOPY_SUCCEEDED(hr) && (hr = bgcopy_file_enum_skip(fe, index)) == BGCOPY_S_OK)
        hr = bgcopy_file_enum_next(fe, 1, &f, &fetched);
    bgcopy_file_enum_release(fe);
    if (BGCOPY_SUCCEEDED(hr) && fetched != 1) {
        fprintf(stderr, "bgcopy /setremotename: the job has no file %u (files count from 0)\n",
                (unsigned)index);
        return CLI_FAIL;
    }
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_file_set_remote_name(f, argv[2]);
    bgcopy_file_release(f);
    if (BGCOPY_FAILED(hr))
        return cli_fail(cli, "set remote name", hr);
    cli_banner(cli);
    cli_line(cli, "Remote name of file %u set to %s.", (unsigned)index, argv[2]);
    return CLI_OK;
}
