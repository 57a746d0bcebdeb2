/* tools/bgcopy/out.c - everything bgcopy prints: the banner, wrapped lines, the bitsadmin
 * layouts (the /list line, the /info /verbose block, the error block), times, failure
 * messages, and the JSON writer behind --json.
 *
 * Text goes to stdout, failure messages ("Unable to ... - 0x...") to stderr. Wrapping follows
 * bitsadmin: long lines break at the last space that fits the terminal width (a word longer
 * than the width is cut); by default only when stdout is a terminal, always with /wrap
 * (80 columns when there is no terminal), never with /nowrap. JSON is written as it is
 * produced, to stdout, two-space indented.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* English (United States): bitsadmin's texts are English, so are the descriptions. */
#define LANG_EN_US 0x409

void cli_banner(struct cli *cli)
{
    if (cli->banner_done || cli->rawreturn || cli->json) {
        cli->banner_done = 1;
        return;
    }
    cli->banner_done = 1;
    printf("BITSADMIN version 3.0 [ bgcopy %s ]\n"
           "BITS administration utility.\n"
           "(bgcopy: an emulation of BITS; not Microsoft software.)\n\n",
           bgcopy_version());
}

/* The wrap width, or 0 for no wrapping. */
static int wrap_width(const struct cli *cli)
{
    struct winsize ws;
    int tty = isatty(STDOUT_FILENO);

    if (cli->wrap == 0 || (cli->wrap < 0 && !tty))
        return 0;
    if (tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

static void put_wrapped(const char *text, int width)
{
    size_t limit, len;

    if (width <= 0) {
        fputs(text, stdout);
        fputc('\n', stdout);
        return;
    }
    limit = (size_t)width - 1; /* bitsadmin leaves the last column free */
    len = strlen(text);
    while (len > limit) {
        size_t cut = limit, skip = 0;
        while (cut > 0 && text[cut] != ' ')
            cut--;
        if (cut == 0)
            cut = limit; /* one word longer than the line: cut it */
        else
            skip = 1;
        fwrite(text, 1, cut, stdout);
        fputc('\n', stdout);
        text += cut + skip;
        len -= cut + skip;
    }
    fputs(text, stdout);
    fputc('\n', stdout);
}

void cli_line(struct cli *cli, const char *fmt, ...)
{
    char small[1024], *buf = small;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(small)) {
        buf = malloc((size_t)n + 1);
        if (buf == NULL)
            return;
        va_start(ap, fmt);
        vsnprintf(buf, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    put_wrapped(buf, wrap_width(cli));
    if (buf != small)
        free(buf);
}

void cli_value(struct cli *cli, const char *text)
{
    if (cli->rawreturn)
        fputs(text, stdout);
    else
        cli_line(cli, "%s", text);
}

int cli_fail(struct cli *cli, const char *what, bgcopy_hr hr)
{
    (void)cli;
    fflush(stdout);
    fprintf(stderr, "Unable to %s - 0x%08x\n%s\n", what, (unsigned)hr, bgcopy_hr_message(hr));
    return CLI_FAIL;
}

void cli_guid_text(const bgcopy_guid *id, char *buf)
{
    char *p;
    bgcopy_guid_to_string(id, buf);
    for (p = buf; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
}

void cli_job_guid(bgcopy_job *job, char *buf)
{
    bgcopy_guid id;
    if (BGCOPY_SUCCEEDED(bgcopy_job_get_id(job, &id)))
        cli_guid_text(&id, buf);
    else
        strcpy(buf, "{?}");
}

void cli_time_text(bgcopy_filetime ft, char *buf, size_t size)
{
    time_t t;
    struct tm tm;
    int hour;

    if (ft == 0) {
        snprintf(buf, size, "UNKNOWN");
        return;
    }
    t = (time_t)bgcopy_filetime_to_unix(ft);
    if (localtime_r(&t, &tm) == NULL) {
        snprintf(buf, size, "UNKNOWN");
        return;
    }
    hour = tm.tm_hour % 12;
    snprintf(buf, size, "%d/%d/%d %d:%02d:%02d %s", tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900,
             hour == 0 ? 12 : hour, tm.tm_min, tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM");
}

void cli_time_iso(bgcopy_filetime ft, char *buf, size_t size)
{
    time_t t;
    struct tm tm;

    buf[0] = '\0';
    if (ft == 0)
        return;
    t = (time_t)bgcopy_filetime_to_unix(ft);
    if (gmtime_r(&t, &tm) != NULL)
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *state_name(bgcopy_job_state s)
{
    const char *n = bgcopy_job_state_name(s);
    return n ? n : "UNKNOWN";
}

static const char *proxy_usage_name(bgcopy_proxy_usage u)
{
    switch (u) {
    case BGCOPY_PROXY_USAGE_PRECONFIG:
        return "PRECONFIG";
    case BGCOPY_PROXY_USAGE_NO_PROXY:
        return "NO_PROXY";
    case BGCOPY_PROXY_USAGE_OVERRIDE:
        return "OVERRIDE";
    case BGCOPY_PROXY_USAGE_AUTODETECT:
        return "AUTODETECT";
    }
    return "UNKNOWN";
}

static void size_text(uint64_t v, char *buf, size_t size)
{
    if (v == BGCOPY_SIZE_UNKNOWN)
        snprintf(buf, size, "UNKNOWN");
    else
        snprintf(buf, size, "%llu", (unsigned long long)v);
}

int cli_print_list_line(struct cli *cli, bgcopy_job *job)
{
    char guid[BGCOPY_GUID_STRING_SIZE], total[32];
    char *name = NULL;
    bgcopy_job_state state = BGCOPY_JOB_STATE_CANCELLED;
    bgcopy_job_progress p = {0, 0, 0, 0};
    bgcopy_hr hr;

    cli_job_guid(job, guid);
    hr = bgcopy_job_get_display_name(job, &name);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_state(job, &state);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_progress(job, &p);
    if (BGCOPY_FAILED(hr)) {
        bgcopy_free(name);
        return cli_fail(cli, "read job", hr);
    }
    size_text(p.bytes_total, total, sizeof(total));
    cli_line(cli, "%s %s %s %u / %u %llu / %s", guid, name, state_name(state),
             (unsigned)p.files_transferred, (unsigned)p.files_total,
             (unsigned long long)p.bytes_transferred, total);
    bgcopy_free(name);
    return CLI_OK;
}

/* The file an error concerns, as "remote -> local"; NULL when it concerns none. */
static char *error_file_text(bgcopy_error *err)
{
    bgcopy_file *f = NULL;
    char *remote = NULL, *local = NULL, *text = NULL;

    if (BGCOPY_FAILED(bgcopy_error_get_file(err, &f)) || f == NULL)
        return NULL;
    if (BGCOPY_SUCCEEDED(bgcopy_file_get_remote_name(f, &remote)) &&
        BGCOPY_SUCCEEDED(bgcopy_file_get_local_name(f, &local))) {
        size_t n = strlen(remote) + strlen(local) + 5;
        text = malloc(n);
        if (text)
            snprintf(text, n, "%s -> %s", remote, local);
    }
    bgcopy_free(remote);
    bgcopy_free(local);
    bgcopy_file_release(f);
    return text;
}

void cli_print_error_block(struct cli *cli, bgcopy_error *err)
{
    bgcopy_error_context ctx = BGCOPY_ERROR_CONTEXT_UNKNOWN;
    bgcopy_hr code = BGCOPY_E_FAIL;
    char *desc = NULL, *cdesc = NULL, *file;

    bgcopy_error_get_error(err, &ctx, &code);
    file = error_file_text(err);
    if (file != NULL)
        cli_line(cli, "ERROR FILE:    %s", file);
    bgcopy_error_get_error_description(err, LANG_EN_US, &desc);
    bgcopy_error_get_error_context_description(err, LANG_EN_US, &cdesc);
    cli_line(cli, "ERROR CODE:    0x%08x - %s", (unsigned)code,
             desc ? desc : bgcopy_hr_message(code));
    cli_line(cli, "ERROR CONTEXT: 0x%08x - %s", (unsigned)ctx, cdesc ? cdesc : "");
    free(file);
    bgcopy_free(desc);
    bgcopy_free(cdesc);
}

/* Prints "LABEL: first line" and any further CRLF- or LF-separated lines of text alone. */
static void print_multiline(struct cli *cli, const char *label, const char *text)
{
    const char *p = text, *nl;
    int first = 1;

    while (*p) {
        size_t n;
        nl = strchr(p, '\n');
        n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (first)
            cli_line(cli, "%s: %.*s", label, (int)n, p);
        else if (n > 0)
            cli_line(cli, "%.*s", (int)n, p);
        first = 0;
        p = nl ? nl + 1 : p + strlen(p);
    }
    if (first)
        cli_line(cli, "%s: NULL", label);
}

/* The per-file word of /info: WORKING until all of the file's bytes are in. */
static const char *file_word(const bgcopy_file_progress *fp)
{
    if (fp->completed)
        return "COMPLETED";
    if (fp->bytes_total != BGCOPY_SIZE_UNKNOWN && fp->bytes_transferred == fp->bytes_total)
        return "TRANSFERRED";
    return "WORKING";
}

int cli_print_info(struct cli *cli, bgcopy_job *job)
{
    char guid[BGCOPY_GUID_STRING_SIZE], total[32], t1[64], t2[64];
    char *name = NULL, *owner = NULL, *desc = NULL, *plist = NULL, *pbypass = NULL;
    char *prog = NULL, *params = NULL, *headers = NULL;
    bgcopy_job_state state;
    bgcopy_job_type type;
    bgcopy_job_priority prio;
    bgcopy_job_progress p;
    bgcopy_job_times times;
    bgcopy_proxy_usage usage;
    bgcopy_error *err = NULL;
    bgcopy_file_enum *fe = NULL;
    bgcopy_file *f;
    uint32_t flags, retry, noprog, errors, fetched;
    int registered = 0;
    bgcopy_hr hr;

    cli_job_guid(job, guid);
    hr = bgcopy_job_get_display_name(job, &name);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_type(job, &type);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_state(job, &state);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_owner(job, &owner);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_priority(job, &prio);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_progress(job, &p);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_times(job, &times);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_notify_callbacks(job, &registered, NULL, NULL);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_notify_flags(job, &flags);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_minimum_retry_delay(job, &retry);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_no_progress_timeout(job, &noprog);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_error_count(job, &errors);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_proxy_settings(job, &usage, &plist, &pbypass);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_description(job, &desc);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_notify_cmd_line(job, &prog, &params);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_custom_headers(job, &headers);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_enum_files(job, &fe);
    if (BGCOPY_FAILED(hr)) {
        cli_fail(cli, "read job", hr);
        goto out;
    }

    size_text(p.bytes_total, total, sizeof(total));
    cli_line(cli, "GUID: %s DISPLAY: '%s'", guid, name);
    cli_line(cli, "TYPE: %s STATE: %s OWNER: %s", bgcopy_job_type_name(type), state_name(state),
             owner);
    cli_line(cli, "PRIORITY: %s FILES: %u / %u BYTES: %llu / %s", bgcopy_job_priority_name(prio),
             (unsigned)p.files_transferred, (unsigned)p.files_total,
             (unsigned long long)p.bytes_transferred, total);
    cli_time_text(times.creation_time, t1, sizeof(t1));
    cli_time_text(times.modification_time, t2, sizeof(t2));
    cli_line(cli, "CREATION TIME: %s MODIFICATION TIME: %s", t1, t2);
    cli_time_text(times.transfer_completion_time, t1, sizeof(t1));
    cli_line(cli, "COMPLETION TIME: %s ACL FLAGS:", t1);
    cli_line(cli, "NOTIFY INTERFACE: %s NOTIFICATION FLAGS: %u",
             registered ? "REGISTERED" : "UNREGISTERED", (unsigned)flags);
    cli_line(cli, "RETRY DELAY: %u NO PROGRESS TIMEOUT: %u ERROR COUNT: %u", (unsigned)retry,
             (unsigned)noprog, (unsigned)errors);
    cli_line(cli, "PROXY USAGE: %s PROXY LIST: %s PROXY BYPASS LIST: %s", proxy_usage_name(usage),
             plist ? plist : "NULL", pbypass ? pbypass : "NULL");
    if (BGCOPY_SUCCEEDED(bgcopy_job_get_error(job, &err))) {
        cli_print_error_block(cli, err);
        bgcopy_error_release(err);
    }
    cli_line(cli, "DESCRIPTION:%s%s", desc[0] ? " " : "", desc);
    cli_line(cli, "JOB FILES:");
    while (bgcopy_file_enum_next(fe, 1, &f, &fetched) == BGCOPY_S_OK && fetched == 1) {
        bgcopy_file_progress fp = {0, 0, 0};
        char *remote = NULL, *local = NULL, ftotal[32];
        bgcopy_file_get_progress(f, &fp);
        bgcopy_file_get_remote_name(f, &remote);
        bgcopy_file_get_local_name(f, &local);
        size_text(fp.bytes_total, ftotal, sizeof(ftotal));
        cli_line(cli, "        %llu / %s %s %s -> %s", (unsigned long long)fp.bytes_transferred,
                 ftotal, file_word(&fp), remote ? remote : "", local ? local : "");
        bgcopy_free(remote);
        bgcopy_free(local);
        bgcopy_file_release(f);
    }
    if (prog != NULL && prog[0] != '\0')
        cli_line(cli, "NOTIFICATION COMMAND LINE: '%s' '%s'", prog, params ? params : "");
    else
        cli_line(cli, "NOTIFICATION COMMAND LINE: none");
    print_multiline(cli, "CUSTOM HEADERS", headers ? headers : "");
out:
    bgcopy_file_enum_release(fe);
    bgcopy_free(name);
    bgcopy_free(owner);
    bgcopy_free(desc);
    bgcopy_free(plist);
    bgcopy_free(pbypass);
    bgcopy_free(prog);
    bgcopy_free(params);
    bgcopy_free(headers);
    return BGCOPY_FAILED(hr) ? CLI_FAIL : CLI_OK;
}

/* ---- JSON ------------------------------------------------------------------------------- */

static struct {
    int depth;
    int first[32]; /* per level: nothing written yet in this container */
} js;

static void js_indent(void)
{
    int i;
    for (i = 0; i < js.depth; i++)
        fputs("  ", stdout);
}

/* Writes s as a JSON string literal; bytes that are not valid UTF-8 become U+FFFD. */
static void js_quote(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    fputc('"', stdout);
    while (*p) {
        unsigned char c = *p;
        int len = 0, i;
        if (c == '"' || c == '\\') {
            fputc('\\', stdout);
            fputc(c, stdout);
            p++;
            continue;
        }
        if (c < 0x20) {
            switch (c) {
            case '\n':
                fputs("\\n", stdout);
                break;
            case '\r':
                fputs("\\r", stdout);
                break;
            case '\t':
                fputs("\\t", stdout);
                break;
            default:
                printf("\\u%04x", c);
            }
            p++;
            continue;
        }
        if (c < 0x80) {
            fputc(c, stdout);
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4;
        for (i = 1; i < len; i++)
            if ((p[i] & 0xC0) != 0x80)
                len = 0;
        /* Overlong 3/4-byte forms, surrogates and code points above U+10FFFF. */
        if (len == 3 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)))
            len = 0;
        if (len == 4 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)))
            len = 0;
        if (len == 0) {
            fputs("\\ufffd", stdout);
            p++;
            continue;
        }
        fwrite(p, 1, (size_t)len, stdout);
        p += len;
    }
    fputc('"', stdout);
}

static void js_key(const char *key)
{
    if (js.depth > 0) {
        if (!js.first[js.depth])
            fputc(',', stdout);
        fputc('\n', stdout);
        js.first[js.depth] = 0;
        js_indent();
    }
    if (key != NULL) {
        js_quote(key);
        fputs(": ", stdout);
    }
}

static void js_open(const char *key, char c)
{
    js_key(key);
    fputc(c, stdout);
    if (js.depth < 31)
        js.depth++;
    js.first[js.depth] = 1;
}

static void js_close(char c)
{
    int empty = js.first[js.depth];
    if (js.depth > 0)
        js.depth--;
    if (!empty) {
        fputc('\n', stdout);
        js_indent();
    }
    fputc(c, stdout);
}

void cli_json_begin_object(const char *key)
{
    js_open(key, '{');
}
void cli_json_end_object(void)
{
    js_close('}');
}
void cli_json_begin_array(const char *key)
{
    js_open(key, '[');
}
void cli_json_end_array(void)
{
    js_close(']');
}

void cli_json_string(const char *key, const char *value)
{
    js_key(key);
    if (value == NULL)
        fputs("null", stdout);
    else
        js_quote(value);
}

void cli_json_u64(const char *key, uint64_t value)
{
    js_key(key);
    printf("%llu", (unsigned long long)value);
}

void cli_json_bool(const char *key, int value)
{
    js_key(key);
    fputs(value ? "true" : "false", stdout);
}

void cli_json_null(const char *key)
{
    js_key(key);
    fputs("null", stdout);
}

void cli_json_finish(void)
{
    fputc('\n', stdout);
    js.depth = 0;
}

static void json_size(const char *key, uint64_t v)
{
    if (v == BGCOPY_SIZE_UNKNOWN)
        cli_json_null(key);
    else
        cli_json_u64(key, v);
}

static void json_time(const char *key, bgcopy_filetime ft)
{
    char buf[64];
    cli_time_iso(ft, buf, sizeof(buf));
    cli_json_string(key, buf[0] ? buf : NULL);
}

static void json_hr(const char *key, bgcopy_hr hr)
{
    char buf[16];
    snprintf(buf, sizeof(buf), "0x%08x", (unsigned)hr);
    cli_json_string(key, buf);
}

void cli_json_error(const char *key, bgcopy_job *job)
{
    bgcopy_error *err = NULL;
    bgcopy_error_context ctx = BGCOPY_ERROR_CONTEXT_UNKNOWN;
    bgcopy_hr code = BGCOPY_E_FAIL;
    bgcopy_file *f = NULL;
    char *desc = NULL, *cdesc = NULL;

    if (BGCOPY_FAILED(bgcopy_job_get_error(job, &err))) {
        cli_json_null(key);
        return;
    }
    bgcopy_error_get_error(err, &ctx, &code);
    bgcopy_error_get_error_description(err, LANG_EN_US, &desc);
    bgcopy_error_get_error_context_description(err, LANG_EN_US, &cdesc);
    cli_json_begin_object(key);
    json_hr("code", code);
    cli_json_string("name", bgcopy_hr_name(code));
    cli_json_string("message", desc);
    cli_json_u64("context", (uint64_t)ctx);
    cli_json_string("context_name", bgcopy_error_context_name(ctx));
    cli_json_string("context_message", cdesc);
    if (BGCOPY_SUCCEEDED(bgcopy_error_get_file(err, &f)) && f != NULL) {
        char *remote = NULL, *local = NULL;
        bgcopy_file_get_remote_name(f, &remote);
        bgcopy_file_get_local_name(f, &local);
        cli_json_begin_object("file");
        cli_json_string("remote_name", remote);
        cli_json_string("local_name", local);
        cli_json_end_object();
        bgcopy_free(remote);
        bgcopy_free(local);
        bgcopy_file_release(f);
    } else {
        cli_json_null("file");
    }
    cli_json_end_object();
    bgcopy_free(desc);
    bgcopy_free(cdesc);
    bgcopy_error_release(err);
}

static void json_files(bgcopy_job *job)
{
    bgcopy_file_enum *fe = NULL;
    bgcopy_file *f;
    uint32_t fetched;

    cli_json_begin_array("files");
    if (BGCOPY_SUCCEEDED(bgcopy_job_enum_files(job, &fe))) {
        while (bgcopy_file_enum_next(fe, 1, &f, &fetched) == BGCOPY_S_OK && fetched == 1) {
            bgcopy_file_progress fp = {BGCOPY_SIZE_UNKNOWN, 0, 0};
            char *remote = NULL, *local = NULL, *tmp = NULL;
            bgcopy_file_range *ranges = NULL;
            uint32_t nranges = 0, i;
            bgcopy_file_get_progress(f, &fp);
            bgcopy_file_get_remote_name(f, &remote);
            bgcopy_file_get_local_name(f, &local);
            if (BGCOPY_FAILED(bgcopy_file_get_temporary_name(f, &tmp)))
                tmp = NULL;
            bgcopy_file_get_file_ranges(f, &nranges, &ranges);
            cli_json_begin_object(NULL);
            cli_json_string("remote_name", remote);
            cli_json_string("local_name", local);
            json_size("bytes_total", fp.bytes_total);
            cli_json_u64("bytes_transferred", fp.bytes_transferred);
            cli_json_bool("completed", fp.completed);
            cli_json_string("temporary_name", tmp);
            if (nranges > 0) {
                cli_json_begin_array("ranges");
                for (i = 0; i < nranges; i++) {
                    cli_json_begin_object(NULL);
                    cli_json_u64("offset", ranges[i].initial_offset);
                    json_size("length", ranges[i].length);
                    cli_json_end_object();
                }
                cli_json_end_array();
            }
            cli_json_end_object();
            bgcopy_free(remote);
            bgcopy_free(local);
            bgcopy_free(tmp);
            bgcopy_free(ranges);
            bgcopy_file_release(f);
        }
        bgcopy_file_enum_release(fe);
    }
    cli_json_end_array();
}

int cli_json_job(struct cli *cli, const char *key, bgcopy_job *job, int verbose)
{
    char guid[BGCOPY_GUID_STRING_SIZE];
    char *name = NULL;
    bgcopy_job_state state;
    bgcopy_job_type type;
    bgcopy_job_priority prio;
    bgcopy_job_progress p;
    bgcopy_hr hr;

    cli_job_guid(job, guid);
    hr = bgcopy_job_get_display_name(job, &name);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_type(job, &type);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_state(job, &state);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_priority(job, &prio);
    if (BGCOPY_SUCCEEDED(hr))
        hr = bgcopy_job_get_progress(job, &p);
    if (BGCOPY_FAILED(hr)) {
        bgcopy_free(name);
        return cli_fail(cli, "read job", hr);
    }
    cli_json_begin_object(key);
    cli_json_string("id", guid);
    cli_json_string("display_name", name);
    cli_json_string("type", bgcopy_job_type_name(type));
    cli_json_string("state", state_name(state));
    cli_json_string("priority", bgcopy_job_priority_name(prio));
    cli_json_u64("files_transferred", p.files_transferred);
    cli_json_u64("files_total", p.files_total);
    cli_json_u64("bytes_transferred", p.bytes_transferred);
    json_size("bytes_total", p.bytes_total);
    bgcopy_free(name);
    if (verbose) {
        char *owner = NULL, *desc = NULL, *plist = NULL, *pbypass = NULL, *prog = NULL;
        char *params = NULL, *headers = NULL, *handler = NULL;
        bgcopy_job_times t = {0, 0, 0};
        bgcopy_proxy_usage usage = BGCOPY_PROXY_USAGE_PRECONFIG;
        uint32_t u = 0;
        int registered = 0;

        bgcopy_job_get_owner(job, &owner);
        cli_json_string("owner", owner);
        bgcopy_job_get_description(job, &desc);
        cli_json_string("description", desc);
        bgcopy_job_get_times(job, &t);
        json_time("creation_time", t.creation_time);
        json_time("modification_time", t.modification_time);
        json_time("completion_time", t.transfer_completion_time);
        bgcopy_job_get_notify_callbacks(job, &registered, NULL, NULL);
        cli_json_bool("notify_interface", registered);
        if (BGCOPY_SUCCEEDED(bgcopy_job_get_notify_flags(job, &u)))
            cli_json_u64("notify_flags", u);
        if (BGCOPY_SUCCEEDED(bgcopy_job_get_notify_cmd_line(job, &prog, &params)) && prog &&
            prog[0]) {
            cli_json_begin_object("notify_cmd_line");
            cli_json_string("program", prog);
            cli_json_string("parameters", params);
            cli_json_end_object();
        } else {
            cli_json_null("notify_cmd_line");
        }
        if (bgcopy_job_get_notify_handler(job, &handler) != BGCOPY_S_OK)
            handler = NULL;
        cli_json_string("notify_handler", handler);
        if (BGCOPY_SUCCEEDED(bgcopy_job_get_minimum_retry_delay(job, &u)))
            cli_json_u64("min_retry_delay", u);
        if (BGCOPY_SUCCEEDED(bgcopy_job_get_no_progress_timeout(job, &u)))
            cli_json_u64("no_progress_timeout", u);
        if (BGCOPY_SUCCEEDED(bgcopy_job_get_maximum_download_time(job, &u)))
            cli_json_u64("max_download_time", u);
        if (BGCOPY_SUCCEEDED(bgcopy_job_get_error_count(job, &u)))
            cli_json_u64("error_count", u);
        bgcopy_job_get_proxy_settings(job, &usage, &plist, &pbypass);
        cli_json_string("proxy_usage", proxy_usage_name(usage));
        cli_json_string("proxy_list", plist);
        cli_json_string("proxy_bypass_list", pbypass);
        if (bgcopy_job_get_custom_headers(job, &headers) != BGCOPY_S_OK)
            headers = NULL;
        cli_json_string("custom_headers", headers);
        if (BGCOPY_SUCCEEDED(bgcopy_job_get_security_flags(job, &u)))
            cli_json_u64("security_flags", u);
        cli_json_error("error", job);
        json_files(job);
        bgcopy_free(owner);
        bgcopy_free(desc);
        bgcopy_free(plist);
        bgcopy_free(pbypass);
        bgcopy_free(prog);
        bgcopy_free(params);
        bgcopy_free(headers);
        bgcopy_free(handler);
    }
    cli_json_end_object();
    return CLI_OK;
}
