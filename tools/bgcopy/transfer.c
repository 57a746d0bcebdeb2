/* tools/bgcopy/transfer.c - /transfer: bitsadmin's synchronous transfer.
 *
 *   bgcopy /transfer <name> [/download|/upload|/upload-reply] [/priority P] [/dynamic]
 *          [/description TEXT] [/minretrydelay S] [/noprogresstimeout S]
 *          [/notifycmdline PROGRAM PARAMETERS]
 *          <remote> <local> [<remote> <local> ...]
 *
 * Creates the job, adds every pair in one AddFileSet, resumes it and shows its progress until
 * it leaves the transfer: TRANSFERRED -> Complete, "Transfer complete.", exit 0; ERROR -> the
 * error block, Cancel, exit 1. Transient errors are shown and waited through, as bitsadmin
 * does. Anything that fails before the job runs (a bad name, a refused file, Resume) cancels
 * the job again, so a failed /transfer leaves nothing behind. SIGINT/SIGTERM while the job
 * runs leave it queued (bitsadmin's Ctrl+C) and exit 130; before it runs they cancel it.
 *
 * Progress: on a terminal a one-line bar redrawn ten times a second; otherwise bitsadmin's
 * two status lines whenever the state or file count changes, and at most once a second while
 * bytes move. The job is polled every 20 ms through the public API (the same calls work over
 * the service).
 *
 * /description, /minretrydelay and /noprogresstimeout (PowerShell's -Description,
 * -RetryInterval and -RetryTimeout) and /notifycmdline are bgcopy's. With /notifycmdline the
 * job gets SetNotifyCmdLine(PROGRAM, PARAMETERS) before it is resumed, with every "%JOBID%" in
 * PARAMETERS replaced by the job's {GUID}. When the job is TRANSFERRED and its command line is to
 * run, /transfer gives the program one second to complete (or cancel) the job itself, as BITS
 * expects of a notification program, before it calls Complete.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define POLL_MS       20
#define REDRAW_MS     100
#define PLAIN_MS      1000
#define NOTIFY_WAIT_S 1.0

static const char *const type_words[] = {"download", "upload", "upload-reply"};
static const char *const priority_words[] = {"FOREGROUND", "HIGH", "NORMAL", "LOW"};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* params with every %JOBID% replaced by guid (a new string), or NULL when out of memory. */
static char *substitute_jobid(const char *params, const char *guid)
{
    static const char token[] = "%JOBID%";
    size_t n = 0, tl = sizeof(token) - 1, gl = strlen(guid);
    const char *p;
    char *out, *w;

    for (p = params; (p = strstr(p, token)) != NULL; p += tl)
        n++;
    out = malloc(strlen(params) + n * gl + 1);
    if (out == NULL)
        return NULL;
    for (w = out, p = params; *p;) {
        if (strncmp(p, token, tl) == 0) {
            memcpy(w, guid, gl);
            w += gl;
            p += tl;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
    return out;
}

/* "12.3 MiB" style sizes for the bar. */
static void human(double v, char *buf, size_t size)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%.0f B", v);
    else
        snprintf(buf, size, "%.1f %s", v, units[u]);
}

static int percent(const bgcopy_job_progress *p)
{
    if (p->bytes_total == BGCOPY_SIZE_UNKNOWN)
        return -1;
    if (p->bytes_total == 0)
        return p->files_transferred == p->files_total ? 100 : 0;
    if (p->bytes_transferred >= p->bytes_total)
        return 100;
    return (int)((double)p->bytes_transferred * 100.0 / (double)p->bytes_total);
}

/* bitsadmin's two status lines. */
static void status_lines(struct cli *cli, const char *name, bgcopy_job_type type,
                         bgcopy_job_state state, bgcopy_job_priority prio,
                         const bgcopy_job_progress *p)
{
    char total[32], pct[16] = "";
    int pc = percent(p);

    if (p->bytes_total == BGCOPY_SIZE_UNKNOWN)
        snprintf(total, sizeof(total), "UNKNOWN");
    else
        snprintf(total, sizeof(total), "%llu", (unsigned long long)p->bytes_total);
    if (pc >= 0)
        snprintf(pct, sizeof(pct), " (%d%%)", pc);
    cli_line(cli, "DISPLAY: '%s' TYPE: %s STATE: %s", name, bgcopy_job_type_name(type),
             bgcopy_job_state_name(state));
    cli_line(cli, "PRIORITY: %s FILES: %u / %u BYTES: %llu / %s%s", bgcopy_job_priority_name(prio),
             (unsigned)p->files_transferred, (unsigned)p->files_total,
             (unsigned long long)p->bytes_transferred, total, pct);
}

static int term_width(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
        return ws.ws_col;
    return 80;
}

/* The fraction of the job done, 0..1: bytes when the job's size is known; else, while some
 * file's size is still unknown, whole files plus the share of the file in progress. */
static double fraction_done(bgcopy_job *job, const bgcopy_job_progress *p)
{
    bgcopy_file_enum *fe = NULL;
    bgcopy_file *f;
    uint32_t fetched;
    double units = 0;
    int current = 1;

    if (p->bytes_total != BGCOPY_SIZE_UNKNOWN) {
        int pc = percent(p);
        return p->bytes_total == 0 ? pc / 100.0
                                   : (double)p->bytes_transferred / (double)p->bytes_total;
    }
    if (p->files_total == 0 || BGCOPY_FAILED(bgcopy_job_enum_files(job, &fe)))
        return 0;
    while (bgcopy_file_enum_next(fe, 1, &f, &fetched) == BGCOPY_S_OK && fetched == 1) {
        bgcopy_file_progress fp = {BGCOPY_SIZE_UNKNOWN, 0, 0};
        bgcopy_file_get_progress(f, &fp);
        bgcopy_file_release(f);
        if (fp.bytes_total != BGCOPY_SIZE_UNKNOWN && fp.bytes_transferred >= fp.bytes_total) {
            units += 1;
        } else if (current && fp.bytes_total != BGCOPY_SIZE_UNKNOWN && fp.bytes_total > 0) {
            units += (double)fp.bytes_transferred / (double)fp.bytes_total;
            current = 0;
        } else {
            current = 0;
        }
    }
    bgcopy_file_enum_release(fe);
    return units / p->files_total;
}

/* The terminal bar: "[#####.....]  45%  45.0 MiB / 100.0 MiB  12.3 MiB/s  file 2/3  STATE".
 * The fields have fixed widths so the bar does not jump while the numbers change. */
static void draw_bar(bgcopy_job *job, bgcopy_job_state state, const bgcopy_job_progress *p,
                     double rate, bgcopy_hr transient)
{
    char done[32], total[32], speed[32], tail[160], bar[64];
    int width = term_width(), pc, barw, fill, i;
    double frac = fraction_done(job, p);

    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    pc = (int)(frac * 100.0);
    human((double)p->bytes_transferred, done, sizeof(done));
    if (p->bytes_total == BGCOPY_SIZE_UNKNOWN)
        snprintf(total, sizeof(total), "?");
    else
        human((double)p->bytes_total, total, sizeof(total));
    human(rate, speed, sizeof(speed));
    if (state == BGCOPY_JOB_STATE_TRANSIENT_ERROR)
        snprintf(tail, sizeof(tail), "%10s / %-10s  file %u/%u  TRANSIENT_ERROR 0x%08x, retrying",
                 done, total, (unsigned)p->files_transferred, (unsigned)p->files_total,
                 (unsigned)transient);
    else
        snprintf(tail, sizeof(tail), "%10s / %-10s %10s/s  file %u/%u  %s", done, total, speed,
                 (unsigned)(p->files_transferred + (p->files_transferred < p->files_total)),
                 (unsigned)p->files_total, bgcopy_job_state_name(state));
    barw = width - 80 + 30;
    if (barw > 40)
        barw = 40;
    if (barw < 10)
        barw = 0;
    fill = (int)(frac * barw);
    for (i = 0; i < barw; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[barw] = '\0';
    if (barw > 0)
        printf("\r[%s] %3d%% %s\033[K", bar, pc, tail);
    else
        printf("\r%3d%% %s\033[K", pc, tail);
    fflush(stdout);
}

/* The code of the job's current error, or S_OK. */
static bgcopy_hr current_error(bgcopy_job *job)
{
    bgcopy_error *err = NULL;
    bgcopy_error_context ctx;
    bgcopy_hr code = BGCOPY_S_OK;
    if (BGCOPY_SUCCEEDED(bgcopy_job_get_error(job, &err))) {
        bgcopy_error_get_error(err, &ctx, &code);
        bgcopy_error_release(err);
    }
    return code;
}

static void print_error_of(struct cli *cli, bgcopy_job *job)
{
    bgcopy_error *err = NULL;
    if (BGCOPY_SUCCEEDED(bgcopy_job_get_error(job, &err))) {
        cli_print_error_block(cli, err);
        bgcopy_error_release(err);
    }
}

/* Whether a notification command line will run when the job is TRANSFERRED. */
static int notify_program_pending(bgcopy_job *job)
{
    char *prog = NULL, *params = NULL;
    uint32_t flags = 0;
    int yes = 0;

    if (BGCOPY_SUCCEEDED(bgcopy_job_get_notify_flags(job, &flags)) &&
        (flags & BGCOPY_NOTIFY_JOB_TRANSFERRED) && !(flags & BGCOPY_NOTIFY_DISABLE) &&
        BGCOPY_SUCCEEDED(bgcopy_job_get_notify_cmd_line(job, &prog, &params)))
        yes = prog != NULL && prog[0] != '\0';
    bgcopy_free(prog);
    bgcopy_free(params);
    return yes;
}

/* Options of /transfer, read before anything is created. */
struct transfer_opts {
    const char *name;
    bgcopy_job_type type;
    int priority; /* -1: the job's default */
    int dynamic;
    const char *description;
    const char *notify_program, *notify_params;
    int has_retry, has_noprogress;
    uint32_t retry, noprogress;
    int npairs;
    char **pairs;
};

static int parse_transfer(struct cli *cli, int argc, char **argv, struct transfer_opts *o)
{
    int i, t;
    const char *v;

    memset(o, 0, sizeof(*o));
    o->priority = -1;
    /* Options may stand before or after the name (bitsadmin puts them after it, GNU habit
     * before); the first argument that is not an option is the name, the next one starts
     * the file pairs. */
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            if (o->name == NULL && i < argc)
                o->name = argv[i++];
            break;
        }
        for (t = 0; t < 3; t++)
            if (cli_is_option(a, type_words[t], NULL))
                break;
        if (t < 3) {
            o->type = (bgcopy_job_type)t;
        } else if (cli_is_option(a, "priority", &v)) {
            if (v == NULL && ++i >= argc)
                return cli_usage(cli, "/priority needs FOREGROUND, HIGH, NORMAL or LOW");
            o->priority = cli_parse_word(cli, v ? v : argv[i], priority_words, 4, "priority");
            if (o->priority < 0)
                return CLI_USAGE;
        } else if (cli_is_option(a, "dynamic", NULL)) {
            o->dynamic = 1;
        } else if (cli_is_option(a, "description", &v)) {
            if (v == NULL && ++i >= argc)
                return cli_usage(cli, "/description needs a text");
            o->description = v ? v : argv[i];
        } else if (cli_is_option(a, "minretrydelay", &v)) {
            if (v == NULL && ++i >= argc)
                return cli_usage(cli, "/minretrydelay needs a number of seconds");
            if (cli_parse_u32(cli, v ? v : argv[i], 0, "number of seconds", &o->retry) != 0)
                return CLI_USAGE;
            o->has_retry = 1;
        } else if (cli_is_option(a, "noprogresstimeout", &v)) {
            if (v == NULL && ++i >= argc)
                return cli_usage(cli, "/noprogresstimeout needs a number of seconds");
            if (cli_parse_u32(cli, v ? v : argv[i], 0, "number of seconds", &o->noprogress) != 0)
                return CLI_USAGE;
            o->has_noprogress = 1;
        } else if (cli_is_option(a, "notifycmdline", NULL)) {
            if (i + 2 >= argc)
                return cli_usage(cli, "/notifycmdline needs a program and its parameters");
            o->notify_program = argv[++i];
            o->notify_params = argv[++i];
        } else if (cli_is_option(a, "aclflags", NULL)) {
            fprintf(stderr, "bgcopy /transfer: /aclflags is not supported: the emulated engine "
                            "does not copy SMB ACLs (docs/fidelity.md).\n");
            return CLI_FAIL;
        } else if (cli_looks_like_switch(a) && (a[0] == '-' || strchr(a + 1, '/') == NULL)) {
            /* "/word" where an option may stand: bitsadmin's options all come before the
             * file pairs, so this is a misspelt switch, not a local path. */
            return cli_usage(cli, "unknown switch '%s'", a);
        } else if (o->name == NULL) {
            o->name = a;
        } else {
            break;
        }
    }
    if (o->name == NULL)
        return cli_usage(cli, "the job needs a display name");
    o->pairs = argv + i;
    o->npairs = (argc - i) / 2;
    if (argc - i < 2)
        return cli_usage(cli, "at least one <remote> <local> pair is needed");
    if ((argc - i) % 2 != 0)
        return cli_usage(cli, "'%s' has no local name: files come in <remote> <local> pairs",
                         argv[argc - 1]);
    return 0;
}

/* Cancels a job that /transfer gives up on; reports a failure to cancel. */
static void abandon(struct cli *cli, bgcopy_job *job)
{
    bgcopy_hr hr = bgcopy_job_cancel(job);
    if (BGCOPY_FAILED(hr) && hr != BGCOPY_E_INVALID_STATE)
        cli_fail(cli, "cancel job", hr);
}

/* Creates, configures, fills and resumes the job. On failure the job is canceled. */
static int start_job(struct cli *cli, const struct transfer_opts *o, bgcopy_job **out, char *guid)
{
    bgcopy_file_info *files;
    bgcopy_job *job = NULL;
    bgcopy_guid id;
    bgcopy_hr hr;
    int i, rc = CLI_OK;

    *out = NULL;
    files = calloc((size_t)o->npairs, sizeof(*files));
    if (files == NULL)
        return cli_fail(cli, "add file", BGCOPY_E_OUTOFMEMORY);
    for (i = 0; i < o->npairs; i++) {
        files[i].remote_name = o->pairs[2 * i];
        files[i].local_name = o->pairs[2 * i + 1];
    }
    hr = bgcopy_manager_create_job(cli->mgr, o->name, o->type, &id, &job);
    if (BGCOPY_FAILED(hr)) {
        free(files);
        return cli_fail(cli, "create job", hr);
    }
    cli_guid_text(&id, guid);
    if (o->priority >= 0 &&
        BGCOPY_FAILED(hr = bgcopy_job_set_priority(job, (bgcopy_job_priority)o->priority))) {
        rc = cli_fail(cli, "set priority", hr);
    } else if (o->dynamic) {
        bgcopy_job_property_value pv;
        memset(&pv, 0, sizeof(pv));
        pv.enable = 1;
        hr = bgcopy_job_set_property(job, BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT, &pv);
        if (BGCOPY_FAILED(hr))
            rc = cli_fail(cli, "set dynamic content", hr);
    }
    if (rc == CLI_OK && o->has_retry &&
        BGCOPY_FAILED(hr = bgcopy_job_set_minimum_retry_delay(job, o->retry)))
        rc = cli_fail(cli, "set minimum retry delay", hr);
    if (rc == CLI_OK && o->has_noprogress &&
        BGCOPY_FAILED(hr = bgcopy_job_set_no_progress_timeout(job, o->noprogress)))
        rc = cli_fail(cli, "set no progress timeout", hr);
    if (rc == CLI_OK && o->description &&
        BGCOPY_FAILED(hr = bgcopy_job_set_description(job, o->description)))
        rc = cli_fail(cli, "set description", hr);
    if (rc == CLI_OK && o->notify_program) {
        char *params = substitute_jobid(o->notify_params, guid);
        hr = params ? bgcopy_job_set_notify_cmd_line(job, o->notify_program, params)
                    : BGCOPY_E_OUTOFMEMORY;
        free(params);
        if (BGCOPY_FAILED(hr))
            rc = cli_fail(cli, "set notification command line", hr);
    }
    if (rc == CLI_OK &&
        BGCOPY_FAILED(hr = bgcopy_job_add_file_set(job, (uint32_t)o->npairs, files)))
        rc = cli_fail(cli, "add file", hr);
    if (rc == CLI_OK && cli_interrupted)
        rc = CLI_INTERRUPTED;
    if (rc == CLI_OK && BGCOPY_FAILED(hr = bgcopy_job_resume(job)))
        rc = cli_fail(cli, "resume job", hr);
    free(files);
    if (rc != CLI_OK) {
        abandon(cli, job);
        bgcopy_job_release(job);
        return rc;
    }
    *out = job;
    return CLI_OK;
}

int cli_cmd_transfer(struct cli *cli, int argc, char **argv)
{
    struct transfer_opts o;
    bgcopy_job *job = NULL;
    bgcopy_job_state state, last_state = (bgcopy_job_state)-1;
    bgcopy_job_progress p, last_p = {0, 0, 0, 0};
    bgcopy_job_priority prio = BGCOPY_JOB_PRIORITY_NORMAL;
    char guid[BGCOPY_GUID_STRING_SIZE];
    double last_draw = 0, last_plain = 0, rate = 0, rate_t = 0, transferred_at = 0;
    uint64_t rate_bytes = 0;
    bgcopy_hr hr, transient = BGCOPY_S_OK;
    int tty = isatty(STDOUT_FILENO), rc, bar_shown = 0;

    if ((rc = parse_transfer(cli, argc, argv, &o)) != 0)
        return rc;
    if ((rc = cli_open(cli)) != CLI_OK)
        return rc;
    cli_catch_signals();
    cli_banner(cli);
    if ((rc = start_job(cli, &o, &job, guid)) != CLI_OK)
        return rc;
    rate_t = now_s();

    for (;;) {
        double t = now_s();
        int changed;

        if (cli_interrupted) {
            if (bar_shown)
                fputc('\n', stdout);
            fflush(stdout);
            fprintf(stderr,
                    "Transfer interrupted. The job %s stays in the queue: 'bgcopy /info %s "
                    "/verbose' shows it, 'bgcopy /cancel %s' removes it.\n",
                    guid, guid, guid);
            rc = CLI_INTERRUPTED;
            break;
        }
        hr = bgcopy_job_get_state(job, &state);
        if (BGCOPY_SUCCEEDED(hr))
            hr = bgcopy_job_get_progress(job, &p);
        if (BGCOPY_SUCCEEDED(hr))
            hr = bgcopy_job_get_priority(job, &prio);
        if (BGCOPY_FAILED(hr)) {
            rc = cli_fail(cli, "read job", hr);
            break;
        }
        if (state == BGCOPY_JOB_STATE_TRANSIENT_ERROR && state != last_state)
            transient = current_error(job);
        if (t - rate_t >= 0.5) {
            double inst = (double)(p.bytes_transferred - rate_bytes) / (t - rate_t);
            if (p.bytes_transferred < rate_bytes)
                inst = 0;
            rate = rate == 0 ? inst : 0.5 * rate + 0.5 * inst;
            rate_bytes = p.bytes_transferred;
            rate_t = t;
        }
        changed = state != last_state || p.files_transferred != last_p.files_transferred ||
                  p.files_total != last_p.files_total;
        if (state == BGCOPY_JOB_STATE_TRANSFERRED || state == BGCOPY_JOB_STATE_ERROR ||
            state == BGCOPY_JOB_STATE_ACKNOWLEDGED || state == BGCOPY_JOB_STATE_CANCELLED) {
            if (bar_shown) {
                fputs("\r\033[K", stdout);
                bar_shown = 0;
            }
        } else if (tty) {
            if (changed || t - last_draw >= REDRAW_MS / 1000.0) {
                draw_bar(job, state, &p, rate, transient);
                bar_shown = 1;
                last_draw = t;
            }
        } else if (changed || (p.bytes_transferred != last_p.bytes_transferred &&
                               t - last_plain >= PLAIN_MS / 1000.0)) {
            status_lines(cli, o.name, o.type, state, prio, &p);
            if (state == BGCOPY_JOB_STATE_TRANSIENT_ERROR && state != last_state)
                print_error_of(cli, job);
            fflush(stdout);
            last_plain = t;
        }
        last_p = p;

        if (state == BGCOPY_JOB_STATE_ERROR) {
            status_lines(cli, o.name, o.type, state, prio, &p);
            print_error_of(cli, job);
            fflush(stdout);
            abandon(cli, job);
            fprintf(stderr, "Unable to complete transfer: the job failed and was canceled.\n");
            rc = CLI_FAIL;
            break;
        }
        if (state == BGCOPY_JOB_STATE_CANCELLED) {
            status_lines(cli, o.name, o.type, state, prio, &p);
            fprintf(stderr, "Unable to complete transfer: the job was canceled.\n");
            rc = CLI_FAIL;
            break;
        }
        if (state == BGCOPY_JOB_STATE_TRANSFERRED) {
            if (transferred_at == 0)
                transferred_at = t;
            /* A notification program gets its chance to complete the job first. */
            if (t - transferred_at < NOTIFY_WAIT_S && notify_program_pending(job)) {
                last_state = state;
                sleep_ms(POLL_MS);
                continue;
            }
            hr = bgcopy_job_complete(job);
            if (hr == BGCOPY_E_INVALID_STATE &&
                BGCOPY_SUCCEEDED(bgcopy_job_get_state(job, &state)) &&
                state == BGCOPY_JOB_STATE_ACKNOWLEDGED)
                hr = BGCOPY_S_OK; /* the notification program completed it meanwhile */
            if (BGCOPY_FAILED(hr)) {
                rc = cli_fail(cli, "complete job", hr);
                fprintf(stderr,
                        "The files are transferred and kept in the job %s; fix the problem and "
                        "run 'bgcopy /complete %s', or 'bgcopy /cancel %s'.\n",
                        guid, guid, guid);
                break;
            }
            state = BGCOPY_JOB_STATE_TRANSFERRED;
        }
        if (state == BGCOPY_JOB_STATE_TRANSFERRED || state == BGCOPY_JOB_STATE_ACKNOWLEDGED) {
            status_lines(cli, o.name, o.type, BGCOPY_JOB_STATE_TRANSFERRED, prio, &p);
            cli_line(cli, "Transfer complete.");
            rc = CLI_OK;
            break;
        }
        last_state = state;
        sleep_ms(POLL_MS);
    }
    bgcopy_job_release(job);
    return rc;
}
