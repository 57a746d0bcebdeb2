/* tools/bgcopy/props.c - the /get... and /set... switches: one row per job property the
 * engine has, read or written through the public API.
 *
 * Getters print the bare value (bitsadmin's form; with /rawreturn without a newline, with
 * --json as {"id": ..., "<property>": value}). Setters check every argument before they call
 * the library, so a bad number or word changes nothing, and print one confirmation line.
 * Switches of bitsadmin for features the engine does not model (SMB ACL flags, upload
 * replies, client certificates, helper tokens, peer caching, HTTP methods, ownership) answer
 * with the reason instead of pretending.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

enum prop {
    P_STATE,
    P_ERROR,
    P_ERRORCOUNT,
    P_BYTESTOTAL,
    P_BYTESTRANSFERRED,
    P_FILESTOTAL,
    P_FILESTRANSFERRED,
    P_CREATIONTIME,
    P_MODIFICATIONTIME,
    P_COMPLETIONTIME,
    P_DISPLAYNAME,
    P_DESCRIPTION,
    P_TYPE,
    P_PRIORITY,
    P_OWNER,
    P_NOTIFYFLAGS,
    P_NOTIFYINTERFACE,
    P_NOTIFYCMDLINE,
    P_NOTIFYHANDLER,
    P_MINRETRYDELAY,
    P_NOPROGRESSTIMEOUT,
    P_MAXDOWNLOADTIME,
    P_PROXYUSAGE,
    P_PROXYLIST,
    P_PROXYBYPASSLIST,
    P_CUSTOMHEADERS,
    P_SECURITYFLAGS,
    P_TEMPORARYNAME,
    P_PROPERTY,
    P_COUNT
};

/* Property name (the switch without "get"/"set") and its JSON key. */
static const struct {
    const char *name;
    const char *key;
    const char *label; /* for "Unable to get <label>" */
} props[P_COUNT] = {
    {"state", "state", "state"},
    {"error", "error", "error"},
    {"errorcount", "error_count", "error count"},
    {"bytestotal", "bytes_total", "bytes total"},
    {"bytestransferred", "bytes_transferred", "bytes transferred"},
    {"filestotal", "files_total", "files total"},
    {"filestransferred", "files_transferred", "files transferred"},
    {"creationtime", "creation_time", "creation time"},
    {"modificationtime", "modification_time", "modification time"},
    {"completiontime", "completion_time", "completion time"},
    {"displayname", "display_name", "display name"},
    {"description", "description", "description"},
    {"type", "type", "type"},
    {"priority", "priority", "priority"},
    {"owner", "owner", "owner"},
    {"notifyflags", "notify_flags", "notification flags"},
    {"notifyinterface", "notify_interface", "notification interface"},
    {"notifycmdline", "notify_cmd_line", "notification command line"},
    {"notifyhandler", "notify_handler", "notification handler"},
    {"minretrydelay", "min_retry_delay", "minimum retry delay"},
    {"noprogresstimeout", "no_progress_timeout", "no progress timeout"},
    {"maxdownloadtime", "max_download_time", "maximum download time"},
    {"proxyusage", "proxy_usage", "proxy usage"},
    {"proxylist", "proxy_list", "proxy list"},
    {"proxybypasslist", "proxy_bypass_list", "proxy bypass list"},
    {"customheaders", "custom_headers", "custom headers"},
    {"securityflags", "security_flags", "security flags"},
    {"temporaryname", "temporary_name", "temporary name"},
    {"property", "value", "property"},
};

static const char *const priority_words[] = {"FOREGROUND", "HIGH", "NORMAL", "LOW"};
static const char *const proxy_words[] = {"PRECONFIG", "NO_PROXY", "OVERRIDE", "AUTODETECT"};
static const char *const target_words[] = {NULL, "SERVER", "PROXY"};
static const char *const scheme_words[] = {NULL,   "BASIC",     "DIGEST",
                                           "NTLM", "NEGOTIATE", "PASSPORT"};

/* BITS_JOB_PROPERTY_ID names accepted by /getproperty and /setproperty (index = id). */
static const char *const property_words[] = {NULL,
                                             "COST_FLAGS",
                                             "NOTIFICATION_CLSID",
                                             "DYNAMIC_CONTENT",
                                             "HIGH_PERFORMANCE",
                                             "MAX_DOWNLOAD_SIZE",
                                             NULL,
                                             "USE_STORED_CREDENTIALS",
                                             NULL,
                                             "MINIMUM_NOTIFICATION_INTERVAL_MS",
                                             "ON_DEMAND_MODE"};
#define PROPERTY_WORDS ((int)(sizeof(property_words) / sizeof(property_words[0])))

static int find_prop(const char *name)
{
    int i;
    for (i = 0; i < P_COUNT; i++)
        if (strcasecmp(name, props[i].name) == 0)
            return i;
    return -1;
}

/* ---- getters ------------------------------------------------------------------------------ */

/* A getter's result: text for the terminal and the JSON form. */
struct value {
    enum { V_STRING, V_NUMBER, V_BOOL, V_NULL } kind;
    char *text; /* malloc'd; the text form */
    uint64_t number;
};

static void set_text(struct value *v, const char *s)
{
    v->text = strdup(s ? s : "");
}

static void set_number(struct value *v, uint64_t n)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)n);
    v->kind = V_NUMBER;
    v->number = n;
    set_text(v, buf);
}

static void set_size(struct value *v, uint64_t n)
{
    if (n == BGCOPY_SIZE_UNKNOWN) {
        v->kind = V_NULL;
        set_text(v, "UNKNOWN");
    } else {
        set_number(v, n);
    }
}

/* The file at index (counting from 0); BG_E_FILE_NOT_FOUND when there is none. */
static bgcopy_hr file_at(bgcopy_job *job, uint32_t index, bgcopy_file **f)
{
    bgcopy_file_enum *fe = NULL;
    uint32_t fetched = 0;
    bgcopy_hr hr = bgcopy_job_enum_files(job, &fe);

    *f = NULL;
    if (BGCOPY_SUCCEEDED(hr) && (hr = bgcopy_file_enum_skip(fe, index)) == BGCOPY_S_OK)
        hr = bgcopy_file_enum_next(fe, 1, f, &fetched);
    bgcopy_file_enum_release(fe);
    if (BGCOPY_SUCCEEDED(hr) && fetched != 1)
        hr = BGCOPY_E_FILE_NOT_FOUND;
    return hr;
}

/* Reads property p of job into v. extra: the argument after the job (file index, property
 * name), already checked. */
static bgcopy_hr read_prop(int p, bgcopy_job *job, uint32_t extra, struct value *v)
{
    bgcopy_job_progress pr;
    bgcopy_job_times t;
    bgcopy_job_state st;
    bgcopy_job_type ty;
    bgcopy_job_priority prio;
    bgcopy_proxy_usage usage;
    char *s = NULL, *s2 = NULL, buf[64];
    uint32_t u;
    int reg;
    bgcopy_hr hr;

    v->kind = V_STRING;
    switch (p) {
    case P_STATE:
        hr = bgcopy_job_get_state(job, &st);
        set_text(v, bgcopy_job_state_name(st));
        return hr;
    case P_ERRORCOUNT:
        hr = bgcopy_job_get_error_count(job, &u);
        set_number(v, u);
        return hr;
    case P_BYTESTOTAL:
    case P_BYTESTRANSFERRED:
    case P_FILESTOTAL:
    case P_FILESTRANSFERRED:
        hr = bgcopy_job_get_progress(job, &pr);
        if (p == P_BYTESTOTAL)
            set_size(v, pr.bytes_total);
        else if (p == P_BYTESTRANSFERRED)
            set_number(v, pr.bytes_transferred);
        else
            set_number(v, p == P_FILESTOTAL ? pr.files_total : pr.files_transferred);
        return hr;
    case P_CREATIONTIME:
    case P_MODIFICATIONTIME:
    case P_COMPLETIONTIME: {
        bgcopy_filetime ft;
        hr = bgcopy_job_get_times(job, &t);
        ft = p == P_CREATIONTIME       ? t.creation_time
             : p == P_MODIFICATIONTIME ? t.modification_time
                                       : t.transfer_completion_time;
        cli_time_text(ft, buf, sizeof(buf));
        set_text(v, buf);
        if (ft == 0) {
            v->kind = V_NULL;
        } else {
            /* JSON carries the ISO 8601 form in number's place: see json_value. */
            v->number = ft;
        }
        return hr;
    }
    case P_DISPLAYNAME:
        hr = bgcopy_job_get_display_name(job, &s);
        break;
    case P_DESCRIPTION:
        hr = bgcopy_job_get_description(job, &s);
        break;
    case P_OWNER:
        hr = bgcopy_job_get_owner(job, &s);
        break;
    case P_TYPE:
        hr = bgcopy_job_get_type(job, &ty);
        set_text(v, bgcopy_job_type_name(ty));
        return hr;
    case P_PRIORITY:
        hr = bgcopy_job_get_priority(job, &prio);
        set_text(v, bgcopy_job_priority_name(prio));
        return hr;
    case P_NOTIFYFLAGS:
        hr = bgcopy_job_get_notify_flags(job, &u);
        set_number(v, u);
        return hr;
    case P_NOTIFYINTERFACE:
        hr = bgcopy_job_get_notify_callbacks(job, &reg, NULL, NULL);
        v->kind = V_BOOL;
        v->number = reg != 0;
        set_text(v, reg ? "REGISTERED" : "UNREGISTERED");
        return hr;
    case P_NOTIFYCMDLINE:
        hr = bgcopy_job_get_notify_cmd_line(job, &s, &s2);
        if (BGCOPY_SUCCEEDED(hr) && s != NULL && s[0] != '\0') {
            size_t n = strlen(s) + (s2 ? strlen(s2) : 0) + 8;
            v->text = malloc(n);
            if (v->text)
                snprintf(v->text, n, "'%s' '%s'", s, s2 ? s2 : "");
            v->number = 1; /* has a command line: JSON gives program and parameters */
        } else {
            v->kind = V_NULL;
            set_text(v, "none");
        }
        bgcopy_free(s);
        bgcopy_free(s2);
        return hr;
    case P_NOTIFYHANDLER:
        hr = bgcopy_job_get_notify_handler(job, &s);
        if (hr == BGCOPY_S_FALSE || s == NULL) {
            v->kind = V_NULL;
            set_text(v, "NULL");
            bgcopy_free(s);
            return hr;
        }
        break;
    case P_MINRETRYDELAY:
        hr = bgcopy_job_get_minimum_retry_delay(job, &u);
        set_number(v, u);
        return hr;
    case P_NOPROGRESSTIMEOUT:
        hr = bgcopy_job_get_no_progress_timeout(job, &u);
        set_number(v, u);
        return hr;
    case P_MAXDOWNLOADTIME:
        hr = bgcopy_job_get_maximum_download_time(job, &u);
        set_number(v, u);
        return hr;
    case P_PROXYUSAGE:
        hr = bgcopy_job_get_proxy_settings(job, &usage, &s, &s2);
        bgcopy_free(s);
        bgcopy_free(s2);
        set_text(v, (unsigned)usage < 4 ? proxy_words[usage] : "UNKNOWN");
        return hr;
    case P_PROXYLIST:
    case P_PROXYBYPASSLIST:
        hr = bgcopy_job_get_proxy_settings(job, &usage, &s, &s2);
        if (p == P_PROXYBYPASSLIST) {
            bgcopy_free(s);
            s = s2;
        } else {
            bgcopy_free(s2);
        }
        if (BGCOPY_SUCCEEDED(hr) && s == NULL) {
            v->kind = V_NULL;
            set_text(v, "NULL");
            return hr;
        }
        break;
    case P_CUSTOMHEADERS:
        hr = bgcopy_job_get_custom_headers(job, &s);
        if (hr == BGCOPY_S_FALSE || s == NULL) {
            v->kind = V_NULL;
            set_text(v, "NULL");
            bgcopy_free(s);
            return hr;
        }
        break;
    case P_SECURITYFLAGS:
        hr = bgcopy_job_get_security_flags(job, &u);
        set_number(v, u);
        return hr;
    case P_TEMPORARYNAME: {
        bgcopy_file *f;
        hr = file_at(job, extra, &f);
        if (BGCOPY_SUCCEEDED(hr))
            hr = bgcopy_file_get_temporary_name(f, &s);
        bgcopy_file_release(f);
        break;
    }
    case P_PROPERTY: {
        bgcopy_job_property_value pv;
        memset(&pv, 0, sizeof(pv));
        hr = bgcopy_job_get_property(job, (bgcopy_job_property_id)extra, &pv);
        switch (extra) {
        case BGCOPY_JOB_PROPERTY_ID_COST_FLAGS:
            snprintf(buf, sizeof(buf), "0x%08x", (unsigned)pv.dword);
            v->kind = V_NUMBER;
            v->number = pv.dword;
            set_text(v, buf);
            return hr;
        case BGCOPY_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS:
            set_number(v, pv.dword);
            return hr;
        case BGCOPY_JOB_PROPERTY_NOTIFICATION_CLSID:
            cli_guid_text(&pv.clsid, buf);
            set_text(v, buf);
            return hr;
        case BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE:
            set_size(v, pv.uint64);
            return hr;
        case BGCOPY_JOB_PROPERTY_USE_STORED_CREDENTIALS:
            set_text(v, (unsigned)pv.target <= 2 && target_words[pv.target]
                            ? target_words[pv.target]
                            : "NONE");
            return hr;
        default:
            v->kind = V_BOOL;
            v->number = pv.enable != 0;
            set_text(v, pv.enable ? "TRUE" : "FALSE");
            return hr;
        }
    }
    default:
        return BGCOPY_E_NOTIMPL;
    }
    if (BGCOPY_SUCCEEDED(hr))
        set_text(v, s);
    bgcopy_free(s);
    return hr;
}

static void json_value(int p, bgcopy_job *job, const struct value *v)
{
    const char *key = props[p].key;

    if (p == P_NOTIFYCMDLINE && v->kind != V_NULL) {
        char *prog = NULL, *params = NULL;
        bgcopy_job_get_notify_cmd_line(job, &prog, &params);
        cli_json_begin_object(key);
        cli_json_string("program", prog);
        cli_json_string("parameters", params);
        cli_json_end_object();
        bgcopy_free(prog);
        bgcopy_free(params);
        return;
    }
    if ((p == P_CREATIONTIME || p == P_MODIFICATIONTIME || p == P_COMPLETIONTIME) &&
        v->kind != V_NULL) {
        char iso[64];
        cli_time_iso((bgcopy_filetime)v->number, iso, sizeof(iso));
        cli_json_string(key, iso);
        return;
    }
    switch (v->kind) {
    case V_NUMBER:
        cli_json_u64(key, v->number);
        break;
    case V_BOOL:
        cli_json_bool(key, (int)v->number);
        break;
    case V_NULL:
        cli_json_null(key);
        break;
    default:
        cli_json_string(key, v->text);
    }
}

/* /geterror: the error block, or the reason there is none. */
static int get_error(struct cli *cli, bgcopy_job *job)
{
    bgcopy_error *err = NULL;
    bgcopy_hr hr = bgcopy_job_get_error(job, &err);
    char guid[BGCOPY_GUID_STRING_SIZE];

    if (cli->json) {
        cli_job_guid(job, guid);
        cli_json_begin_object(NULL);
        cli_json_string("id", guid);
        cli_json_error("error", job);
        cli_json_end_object();
        cli_json_finish();
        bgcopy_error_release(err);
        return CLI_OK;
    }
    if (BGCOPY_FAILED(hr))
        return cli_fail(cli, "get error", hr);
    cli_banner(cli);
    cli_print_error_block(cli, err);
    bgcopy_error_release(err);
    return CLI_OK;
}

int cli_cmd_get(struct cli *cli, int argc, char **argv)
{
    int p = find_prop(cli->cmd + 3), rc, extra_args;
    struct value v = {V_STRING, NULL, 0};
    uint32_t extra = 0;
    bgcopy_job *job;
    bgcopy_hr hr;

    if (p < 0)
        return cli_usage(cli, "unknown property");
    extra_args = (p == P_TEMPORARYNAME || p == P_PROPERTY) ? 1 : 0;
    if ((rc = cli_check_args(cli, argc, argv, 1 + extra_args, 1 + extra_args)) != 0)
        return rc;
    if (p == P_TEMPORARYNAME && (rc = cli_parse_u32(cli, argv[1], 0, "file index", &extra)) != 0)
        return rc;
    if (p == P_PROPERTY) {
        int id = cli_parse_word(cli, argv[1], property_words, PROPERTY_WORDS, "job property");
        if (id < 0)
            return CLI_USAGE;
        extra = (uint32_t)id;
    }
    if ((rc = cli_find_job(cli, argv[0], &job)) != CLI_OK)
        return rc;
    if (p == P_ERROR) {
        rc = get_error(cli, job);
        bgcopy_job_release(job);
        return rc;
    }
    hr = read_prop(p, job, extra, &v);
    if (BGCOPY_FAILED(hr)) {
        char what[64];
        snprintf(what, sizeof(what), "get %s", props[p].label);
        rc = cli_fail(cli, what, hr);
    } else if (cli->json) {
        char guid[BGCOPY_GUID_STRING_SIZE];
        cli_job_guid(job, guid);
        cli_json_begin_object(NULL);
        cli_json_string("id", guid);
        if (p == P_PROPERTY)
            cli_json_string("property", property_words[extra]);
        json_value(p, job, &v);
        cli_json_end_object();
        cli_json_finish();
    } else {
        cli_banner(cli);
        cli_value(cli, v.text ? v.text : "");
    }
    free(v.text);
    bgcopy_job_release(job);
    return rc;
}

/* ---- setters ------------------------------------------------------------------------------ */

/* "NULL" (any case) stands for no value, as in bitsadmin. */
static const char *nullable(const char *arg)
{
    return strcasecmp(arg, "NULL") == 0 ? NULL : arg;
}

/* Joins the headers into "a\r\nb\r\n". */
static char *join_headers(int n, char **h)
{
    size_t len = 1;
    char *s;
    int i;

    for (i = 0; i < n; i++)
        len += strlen(h[i]) + 2;
    s = malloc(len);
    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (i = 0; i < n; i++) {
        strcat(s, h[i]);
        strcat(s, "\r\n");
    }
    return s;
}

/* Parses the value of /setproperty for property id. */
static int parse_property_value(struct cli *cli, int id, const char *arg,
                                bgcopy_job_property_value *pv)
{
    static const char *const bool_words[] = {"FALSE", "TRUE"};
    uint64_t u64;
    int w;

    memset(pv, 0, sizeof(*pv));
    switch (id) {
    case BGCOPY_JOB_PROPERTY_ID_COST_FLAGS:
    case BGCOPY_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS:
        return cli_parse_u32(cli, arg, 1, "property value", &pv->dword);
    case BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE:
        if (cli_parse_u64(cli, arg, UINT64_MAX, 1, "size in bytes", &u64) != 0)
            return CLI_USAGE;
        pv->uint64 = u64;
        return 0;
    case BGCOPY_JOB_PROPERTY_NOTIFICATION_CLSID:
        if (BGCOPY_FAILED(bgcopy_guid_from_string(arg, &pv->clsid)))
            return cli_usage(cli, "'%s' is not a valid CLSID", arg);
        return 0;
    case BGCOPY_JOB_PROPERTY_USE_STORED_CREDENTIALS:
        w = cli_parse_word(cli, arg, target_words, 3, "target");
        if (w < 0)
            return CLI_USAGE;
        pv->target = (bgcopy_auth_target)w;
        return 0;
    default:
        w = cli_parse_word(cli, arg, bool_words, 2, "value");
        if (w < 0)
            return CLI_USAGE;
        pv->enable = w;
        return 0;
    }
}

int cli_cmd_set(struct cli *cli, int argc, char **argv)
{
    const char *name = strncmp(cli->cmd, "set", 3) == 0 ? cli->cmd + 3 : cli->cmd;
    char msg[512], *headers = NULL;
    bgcopy_job *job = NULL;
    bgcopy_hr hr;
    uint32_t u = 0;
    int rc, w = 0, w2 = 0, p = find_prop(name);
    bgcopy_job_property_value pv;
    const char *a1 = NULL, *a2 = NULL;

    /* Check every argument first. */
    if (strcmp(name, "credentials") == 0 || strcmp(name, "removecredentials") == 0) {
        int remove = name[0] == 'r';
        if ((rc = cli_check_args(cli, argc, argv, remove ? 3 : 5, remove ? 3 : 5)) != 0)
            return rc;
        if ((w = cli_parse_word(cli, argv[1], target_words, 3, "target")) < 0 ||
            (w2 = cli_parse_word(cli, argv[2], scheme_words, 6, "scheme")) < 0)
            return CLI_USAGE;
        if ((rc = cli_find_job(cli, argv[0], &job)) != CLI_OK)
            return rc;
        if (remove)
            hr = bgcopy_job_remove_credentials(job, (bgcopy_auth_target)w, (bgcopy_auth_scheme)w2);
        else
            hr = bgcopy_job_set_credentials(job, (bgcopy_auth_target)w, (bgcopy_auth_scheme)w2,
                                            nullable(argv[3]), nullable(argv[4]));
        snprintf(msg, sizeof(msg), "Credentials for %s %s %s.", target_words[w], scheme_words[w2],
                 remove ? "removed" : "set");
        goto done;
    }
    if (strcmp(name, "proxysettings") == 0) {
        if ((rc = cli_check_args(cli, argc, argv, 2, 4)) != 0)
            return rc;
        if ((w = cli_parse_word(cli, argv[1], proxy_words, 4, "proxy usage")) < 0)
            return CLI_USAGE;
        if (w == BGCOPY_PROXY_USAGE_OVERRIDE && argc != 4)
            return cli_usage(cli, "OVERRIDE needs a proxy list and a bypass list (NULL for none)");
        if (w != BGCOPY_PROXY_USAGE_OVERRIDE && argc != 2)
            return cli_usage(cli, "only OVERRIDE takes proxy and bypass lists");
        if (argc == 4) {
            char *c;
            /* The command line separates proxies with commas; the API with spaces. */
            a1 = nullable(argv[2]);
            if (a1 != NULL) {
                headers = strdup(a1);
                if (headers == NULL)
                    return CLI_FAIL;
                for (c = headers; *c; c++)
                    if (*c == ',')
                        *c = ' ';
                a1 = headers;
            }
            a2 = argv[3][0] == '\0' ? NULL : nullable(argv[3]);
        }
        if ((rc = cli_find_job(cli, argv[0], &job)) != CLI_OK) {
            free(headers);
            return rc;
        }
        hr = bgcopy_job_set_proxy_settings(job, (bgcopy_proxy_usage)w, a1, a2);
        snprintf(msg, sizeof(msg), "Proxy usage set to %s.", proxy_words[w]);
        goto done;
    }
    if (p == P_NOTIFYCMDLINE) {
        if ((rc = cli_check_args(cli, argc, argv, 2, 3)) != 0)
            return rc;
        a1 = nullable(argv[1]);
        a2 = argc == 3 ? nullable(argv[2]) : NULL;
        if ((rc = cli_find_job(cli, argv[0], &job)) != CLI_OK)
            return rc;
        hr = bgcopy_job_set_notify_cmd_line(job, a1, a2);
        if (a1 == NULL && a2 == NULL)
            snprintf(msg, sizeof(msg), "Notification command line removed.");
        else
            snprintf(msg, sizeof(msg), "Notification command line set to '%s' '%s'.",
                     a1 ? a1 : "NULL", a2 ? a2 : "NULL");
        goto done;
    }
    if (p == P_CUSTOMHEADERS) {
        if ((rc = cli_check_args(cli, argc, argv, 2, -1)) != 0)
            return rc;
        if (!(argc == 2 && nullable(argv[1]) == NULL)) {
            headers = join_headers(argc - 1, argv + 1);
            if (headers == NULL)
                return CLI_FAIL;
        }
        if ((rc = cli_find_job(cli, argv[0], &job)) != CLI_OK) {
            free(headers);
            return rc;
        }
        hr = bgcopy_job_set_custom_headers(job, headers);
        snprintf(msg, sizeof(msg), headers ? "Custom headers set." : "Custom headers removed.");
        goto done;
    }
    if (p == P_PROPERTY) {
        if ((rc = cli_check_args(cli, argc, argv, 3, 3)) != 0)
            return rc;
        if ((w = cli_parse_word(cli, argv[1], property_words, PROPERTY_WORDS, "job property")) < 0)
            return CLI_USAGE;
        if ((rc = parse_property_value(cli, w, argv[2], &pv)) != 0)
            return rc;
        if ((rc = cli_find_job(cli, argv[0], &job)) != CLI_OK)
            return rc;
        hr = bgcopy_job_set_property(job, (bgcopy_job_property_id)w, &pv);
        snprintf(msg, sizeof(msg), "Property %s set to %s.", property_words[w], argv[2]);
        goto done;
    }

    if ((rc = cli_check_args(cli, argc, argv, 2, 2)) != 0)
        return rc;
    switch (p) {
    case P_PRIORITY:
        if ((w = cli_parse_word(cli, argv[1], priority_words, 4, "priority")) < 0)
            return CLI_USAGE;
        break;
    case P_NOTIFYFLAGS:
    case P_SECURITYFLAGS:
        if ((rc = cli_parse_u32(cli, argv[1], 1, "flags value", &u)) != 0)
            return rc;
        break;
    case P_MINRETRYDELAY:
    case P_NOPROGRESSTIMEOUT:
    case P_MAXDOWNLOADTIME:
        if ((rc = cli_parse_u32(cli, argv[1], 0, "number of seconds", &u)) != 0)
            return rc;
        break;
    case P_DISPLAYNAME:
    case P_DESCRIPTION:
    case P_NOTIFYHANDLER:
        break;
    default:
        return cli_usage(cli, "unknown property");
    }
    if ((rc = cli_find_job(cli, argv[0], &job)) != CLI_OK)
        return rc;
    switch (p) {
    case P_PRIORITY:
        hr = bgcopy_job_set_priority(job, (bgcopy_job_priority)w);
        snprintf(msg, sizeof(msg), "Priority set to %s.", priority_words[w]);
        break;
    case P_NOTIFYFLAGS:
        hr = bgcopy_job_set_notify_flags(job, u);
        snprintf(msg, sizeof(msg), "Notification flags set to %u.", (unsigned)u);
        break;
    case P_SECURITYFLAGS:
        hr = bgcopy_job_set_security_flags(job, u);
        snprintf(msg, sizeof(msg), "Security flags set to %u.", (unsigned)u);
        break;
    case P_MINRETRYDELAY:
        hr = bgcopy_job_set_minimum_retry_delay(job, u);
        snprintf(msg, sizeof(msg), "Minimum retry delay set to %u.", (unsigned)u);
        break;
    case P_NOPROGRESSTIMEOUT:
        hr = bgcopy_job_set_no_progress_timeout(job, u);
        snprintf(msg, sizeof(msg), "No progress timeout set to %u.", (unsigned)u);
        break;
    case P_MAXDOWNLOADTIME:
        hr = bgcopy_job_set_maximum_download_time(job, u);
        snprintf(msg, sizeof(msg), "Maximum download time set to %u.", (unsigned)u);
        break;
    case P_DISPLAYNAME:
        hr = bgcopy_job_set_display_name(job, argv[1]);
        snprintf(msg, sizeof(msg), "Display name set to '%.400s'.", argv[1]);
        break;
    case P_DESCRIPTION:
        hr = bgcopy_job_set_description(job, argv[1]);
        snprintf(msg, sizeof(msg), "Description set to '%.400s'.", argv[1]);
        break;
    default: /* P_NOTIFYHANDLER */
        hr = bgcopy_job_set_notify_handler(job, nullable(argv[1]));
        snprintf(msg, sizeof(msg),
                 nullable(argv[1]) ? "Notification handler set to '%.400s'."
                                   : "Notification handler removed.",
                 argv[1]);
        break;
    }
done:
    bgcopy_job_release(job);
    free(headers);
    if (BGCOPY_FAILED(hr)) {
        char what[64];
        if (strcmp(name, "removecredentials") == 0)
            snprintf(what, sizeof(what), "remove credentials");
        else if (strcmp(name, "proxysettings") == 0 || strcmp(name, "credentials") == 0)
            snprintf(what, sizeof(what), "set %s",
                     name[0] == 'p' ? "proxy settings" : "credentials");
        else
            snprintf(what, sizeof(what), "set %s", props[p].label);
        return cli_fail(cli, what, hr);
    }
    cli_banner(cli);
    cli_line(cli, "%s", msg);
    return CLI_OK;
}

int cli_cmd_unsupported(struct cli *cli, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr,
            "bgcopy /%s: not supported: the emulated engine has no SMB ACL flags, upload "
            "replies, client certificates, helper tokens, peer caching, custom HTTP methods, "
            "validation states or ownership transfer (docs/fidelity.md).\n",
            cli->cmd);
    return CLI_FAIL;
}
