/* tools/bgcopy/main.c - cli_main, the body of bgcopy, the bitsadmin-compatible command line.
 *
 *   bgcopy [/rawreturn] [/wrap | /nowrap] [--json] <command> [arguments]
 *
 * The command is a bitsadmin switch ("/transfer", any case) or the same word without the
 * slash ("transfer", GNU style). Global switches come before it (--json may also follow it).
 * "--help", "-h", "/?" or "/help" print the help, of a command when one is named;
 * "--version" the version. The table below lists every command with its help text.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

volatile int cli_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    cli_interrupted = 1;
}

void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

#define GETTER(n, what)                                                      \
    {                                                                        \
        "get" n, cli_cmd_get, 1, "<job>", "Prints the job's " what ".", NULL \
    }
#define SETTER(n, args, what, det)               \
    {                                            \
        "set" n, cli_cmd_set, 0, args, what, det \
    }
#define UNSUPPORTED(n)                                                                            \
    {                                                                                             \
        n, cli_cmd_unsupported, 0, "...", "bitsadmin switch the emulated engine does not model.", \
            NULL                                                                                  \
    }

const struct cli_command cli_commands[] = {
    {"transfer", cli_cmd_transfer, 0,
     "<name> [/download|/upload|/upload-reply] [/priority FOREGROUND|HIGH|NORMAL|LOW] [/dynamic] "
     "[/description <text>] [/minretrydelay <s>] [/noprogresstimeout <s>] "
     "[/notifycmdline <program> <parameters>] <remote> <local> "
     "[<remote> <local> ...]",
     "Transfers files synchronously: creates the job, adds the files, resumes it, shows its "
     "progress and completes it.",
     "Waits through transient errors. On a fatal error prints the error, cancels the job and "
     "exits 1. Ctrl+C leaves the running job in the queue and exits 130.\n"
     "/dynamic sets the DYNAMIC_CONTENT property (no Content-Length or ranges needed).\n"
     "/notifycmdline sets the notification command line; %JOBID% in the parameters becomes "
     "the job's {GUID}. The program gets one second to complete the job itself.\n"
     "Local names must be absolute paths. Use -- before the pairs when a remote name could "
     "be taken for a switch."},
    {"create", cli_cmd_create, 1, "[/download|/upload|/upload-reply] <name>",
     "Creates a job (SUSPENDED) and prints \"created job {GUID}\".", NULL},
    {"addfile", cli_cmd_addfile, 0, "<job> <remote> <local>", "Adds a file to the job.",
     "<remote> is an http://, https:// or file:// URL; <local> an absolute path."},
    {"addfileset", cli_cmd_addfileset, 0, "<job> <textfile>",
     "Adds the files listed in a text file, all or none.",
     "Each line holds \"<remote> <local>\" separated by spaces; \"double quotes\" enclose a "
     "name with spaces; lines starting with # are comments."},
    {"addfilewithranges", cli_cmd_addfilewithranges, 0, "<job> <remote> <local> <rangelist>",
     "Adds a file of which only the given ranges are downloaded.",
     "<rangelist> is offset:length[,offset:length...]; the length eof means up to the end."},
    {"resume", cli_cmd_resume, 0, "<job>", "Resumes (activates) the job.", NULL},
    {"suspend", cli_cmd_suspend, 0, "<job>", "Suspends the job.", NULL},
    {"cancel", cli_cmd_cancel, 0, "<job>", "Cancels the job and deletes its temporary files.",
     NULL},
    {"complete", cli_cmd_complete, 0, "<job>",
     "Completes the job: its transferred files appear under their local names.", NULL},
    {"reset", cli_cmd_reset, 0, "[/allusers]", "Cancels every job of the user (all users: root).",
     NULL},
    {"list", cli_cmd_list, 1, "[/allusers] [/verbose]",
     "Lists the jobs: {GUID} name STATE files bytes; /verbose prints /info /verbose for each.",
     NULL},
    {"info", cli_cmd_info, 1, "<job> [/verbose]",
     "Prints the job's state and progress; /verbose every property, its error and files.", NULL},
    {"monitor", cli_cmd_monitor, 0, "[/allusers] [/refresh <seconds>]",
     "Lists the jobs again every 5 seconds (or /refresh) until Ctrl+C.", NULL},
    {"listfiles", cli_cmd_listfiles, 0, "<job>", "Lists the job's files and their progress.", NULL},
    {"replaceremoteprefix", cli_cmd_replaceremoteprefix, 0, "<job> <old> <new>",
     "Replaces a prefix of every file's remote name (case-sensitive).", NULL},
    {"setremotename", cli_cmd_setremotename, 0, "<job> <file_index> <remote>",
     "Changes the remote name of the job's file (counting from 0).", NULL},
    GETTER("state", "state (QUEUED ... CANCELLED)"),
    {"geterror", cli_cmd_get, 1, "<job>",
     "Prints the job's error: ERROR FILE, ERROR CODE and ERROR CONTEXT.", NULL},
    GETTER("errorcount", "error count"),
    GETTER("bytestotal", "size in bytes (UNKNOWN until known)"),
    GETTER("bytestransferred", "transferred bytes"),
    GETTER("filestotal", "number of files"),
    GETTER("filestransferred", "number of transferred files"),
    GETTER("creationtime", "creation time"),
    GETTER("modificationtime", "last modification time"),
    GETTER("completiontime", "transfer completion time (UNKNOWN before)"),
    GETTER("displayname", "display name"),
    GETTER("description", "description"),
    GETTER("type", "type (DOWNLOAD, UPLOAD, UPLOAD-REPLY)"),
    GETTER("priority", "priority"),
    GETTER("owner", "owner"),
    GETTER("notifyflags", "notification flags"),
    GETTER("notifyinterface", "notification interface state (REGISTERED or UNREGISTERED)"),
    GETTER("notifycmdline", "notification command line ('program' 'parameters', or none)"),
    GETTER("notifyhandler", "named notification handler (NULL for none)"),
    GETTER("minretrydelay", "minimum retry delay in seconds"),
    GETTER("noprogresstimeout", "no-progress timeout in seconds"),
    GETTER("maxdownloadtime", "maximum download time in seconds"),
    GETTER("proxyusage", "proxy usage"),
    GETTER("proxylist", "proxy list (NULL for none)"),
    GETTER("proxybypasslist", "proxy bypass list (NULL for none)"),
    GETTER("customheaders", "custom HTTP headers (NULL for none)"),
    GETTER("securityflags", "HTTP security flags"),
    {"gettemporaryname", cli_cmd_get, 1, "<job> <file_index>",
     "Prints the temporary file name of the job's file (counting from 0).", NULL},
    {"getproperty", cli_cmd_get, 1,
     "<job> COST_FLAGS|DYNAMIC_CONTENT|HIGH_PERFORMANCE|MAX_DOWNLOAD_SIZE|NOTIFICATION_CLSID|"
     "USE_STORED_CREDENTIALS|MINIMUM_NOTIFICATION_INTERVAL_MS|ON_DEMAND_MODE",
     "Prints a job property (IBackgroundCopyJob5::GetProperty).", NULL},
    SETTER("displayname", "<job> <name>", "Sets the display name.", NULL),
    SETTER("description", "<job> <text>", "Sets the description.", NULL),
    SETTER("priority", "<job> FOREGROUND|HIGH|NORMAL|LOW", "Sets the priority.", NULL),
    SETTER("notifyflags", "<job> <flags>", "Sets the notification flags.",
           "1 transferred, 2 error, 3 both, 4 disable, 8 modification (add them up)."),
    SETTER("notifycmdline", "<job> <program> [<parameters>]",
           "Sets the program run when the job is transferred or fails.",
           "<program> is an absolute path; <parameters> is the whole command line, starting "
           "with the program (put the job's {GUID} in it). NULL for either removes it."),
    SETTER("notifyhandler", "<job> <name>|NULL",
           "Names the job's persisted notification handler (library applications).", NULL),
    SETTER("minretrydelay", "<job> <seconds>", "Sets the minimum retry delay.", NULL),
    SETTER("noprogresstimeout", "<job> <seconds>", "Sets the no-progress timeout.", NULL),
    SETTER("maxdownloadtime", "<job> <seconds>", "Sets the maximum download time.", NULL),
    SETTER("proxysettings", "<job> PRECONFIG|NO_PROXY|AUTODETECT|OVERRIDE [<list> <bypass>]",
           "Sets the proxy usage.",
           "OVERRIDE needs a comma-separated proxy list and a space-separated bypass list "
           "(NULL for none)."),
    SETTER("credentials",
           "<job> SERVER|PROXY BASIC|DIGEST|NTLM|NEGOTIATE|PASSPORT <user> "
           "<password>",
           "Sets credentials.", "NULL stands for an empty user or password."),
    {"removecredentials", cli_cmd_set, 0, "<job> SERVER|PROXY BASIC|DIGEST|NTLM|NEGOTIATE|PASSPORT",
     "Removes credentials.", NULL},
    SETTER("customheaders", "<job> <header> [<header> ...] | NULL",
           "Sets the custom HTTP headers (\"Name: value\" each); NULL removes them.", NULL),
    SETTER("securityflags", "<job> <flags>", "Sets the HTTP security flags.",
           "1 CRL check, 2 ignore wrong name, 4 ignore expired, 8 ignore unknown CA, 16 ignore "
           "wrong usage; redirects: 0 allow, 256 allow and report, 512 disallow; 2048 allow "
           "HTTPS to HTTP."),
    SETTER("property", "<job> <property> <value>",
           "Sets a job property (IBackgroundCopyJob5::SetProperty).",
           "Booleans take TRUE or FALSE, USE_STORED_CREDENTIALS SERVER or PROXY, "
           "NOTIFICATION_CLSID a {GUID}, the others a number."),
    {"help", cli_cmd_help, 0, "[<switch>]", "Prints this help, or the help of one switch.", NULL},
    UNSUPPORTED("getaclflags"),
    UNSUPPORTED("setaclflag"),
    UNSUPPORTED("getreplydata"),
    UNSUPPORTED("getreplyfilename"),
    UNSUPPORTED("setreplyfilename"),
    UNSUPPORTED("getreplyprogress"),
    UNSUPPORTED("getclientcertificate"),
    UNSUPPORTED("setclientcertificatebyid"),
    UNSUPPORTED("setclientcertificatebyname"),
    UNSUPPORTED("removeclientcertificate"),
    UNSUPPORTED("getvalidationstate"),
    UNSUPPORTED("setvalidationstate"),
    UNSUPPORTED("getpeercachingflags"),
    UNSUPPORTED("setpeercachingflags"),
    UNSUPPORTED("gethelpertokenflags"),
    UNSUPPORTED("sethelpertokenflags"),
    UNSUPPORTED("gethelpertokensid"),
    UNSUPPORTED("sethelpertoken"),
    UNSUPPORTED("gethttpmethod"),
    UNSUPPORTED("sethttpmethod"),
    UNSUPPORTED("makecustomheaderswriteonly"),
    UNSUPPORTED("takeownership"),
    UNSUPPORTED("util"),
    UNSUPPORTED("cache"),
    UNSUPPORTED("peercaching"),
    UNSUPPORTED("peers"),
    {NULL, NULL, 0, NULL, NULL, NULL},
};

const struct cli_command *cli_find_command(const char *name)
{
    const struct cli_command *c;
    for (c = cli_commands; c->name; c++)
        if (strcasecmp(c->name, name) == 0)
            return c;
    return NULL;
}

/* The command word without "/", "-" or "--"; NULL when arg is not spelt as one. */
static const char *command_word(const char *arg, int first)
{
    if (arg[0] == '/' && arg[1] != '\0')
        return arg + 1;
    if (arg[0] == '-' && arg[1] == '-' && arg[2] != '\0')
        return arg + 2;
    /* GNU style: the bare word, as the first non-global argument. */
    if (first && arg[0] != '-' && arg[0] != '\0')
        return arg;
    return NULL;
}

static int is_help(const char *arg)
{
    return strcmp(arg, "/?") == 0 || strcmp(arg, "-?") == 0 || strcmp(arg, "-h") == 0 ||
           cli_is_option(arg, "help", NULL);
}

int cli_cmd_help(struct cli *cli, int argc, char **argv)
{
    if (cli_check_args(cli, argc, argv, 0, 1) != 0)
        return CLI_USAGE;
    if (argc == 0) {
        cli_print_help(stdout);
        return CLI_OK;
    }
    {
        const char *w = command_word(argv[0], 1);
        if (w == NULL || cli_print_command_help(stdout, w) != 0) {
            fprintf(stderr, "bgcopy /help: unknown switch '%s'\n", argv[0]);
            return CLI_USAGE;
        }
    }
    return CLI_OK;
}

int cli_main(int argc, char **argv)
{
    struct cli cli;
    const struct cli_command *cmd = NULL;
    char **rest;
    int i, n = 0, rc, dashdash = 0, help = 0;

    memset(&cli, 0, sizeof(cli));
    cli.wrap = -1;
    signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error, reported by the exit status */
    rest = calloc((size_t)argc + 1, sizeof(*rest));
    if (rest == NULL)
        return CLI_FAIL;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cmd == NULL) {
            const char *w;
            if (cli_is_option(a, "rawreturn", NULL)) {
                cli.rawreturn = 1;
                continue;
            }
            if (cli_is_option(a, "wrap", NULL)) {
                cli.wrap = 1;
                continue;
            }
            if (cli_is_option(a, "nowrap", NULL)) {
                cli.wrap = 0;
                continue;
            }
            if (cli_is_option(a, "json", NULL)) {
                cli.json = 1;
                continue;
            }
            if (cli_is_option(a, "version", NULL) || strcmp(a, "-V") == 0) {
                cli_print_version();
                free(rest);
                return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
            }
            if (is_help(a)) {
                cmd = cli_find_command("help");
                continue;
            }
            w = command_word(a, 1);
            cmd = w ? cli_find_command(w) : NULL;
            if (cmd == NULL) {
                fprintf(stderr,
                        "bgcopy: unknown switch '%s'\nTry 'bgcopy /help' for the list "
                        "of switches.\n",
                        a);
                free(rest);
                return CLI_USAGE;
            }
            continue;
        }
        if (!dashdash && strcmp(a, "--") == 0)
            dashdash = 1; /* kept: /transfer reads it too */
        if (!dashdash && cli_is_option(a, "json", NULL) && a[0] == '-') {
            cli.json = 1;
            continue;
        }
        if (!dashdash && is_help(a) && strcmp(cmd->name, "help") != 0)
            help = 1;
        rest[n++] = argv[i];
    }

    if (cmd == NULL) {
        cli_print_help(stdout);
        free(rest);
        return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
    }
    cli.cmd = cmd->name;
    if (help) {
        cli_print_command_help(stdout, cmd->name);
        free(rest);
        return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
    }
    if (cli.json && !cmd->json) {
        free(rest);
        return cli_usage(&cli, "--json applies to /list, /info, /create and the /get... switches");
    }
    rc = cmd->run(&cli, n, rest);
    cli_close(&cli);
    free(rest);
    if (fflush(stdout) != 0 && rc == CLI_OK)
        rc = CLI_FAIL;
    return rc;
}
