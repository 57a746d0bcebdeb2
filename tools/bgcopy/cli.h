/* tools/bgcopy/cli.h - shared declarations of the bgcopy command line.
 *
 * bgcopy is a bitsadmin-compatible command line over the public bgcopy API only (never the
 * engine's internals); it drives the per-user service bgcopyd, as bitsadmin drives BITS.
 * The program is split by concern:
 *   program.c   main(): calls cli_main
 *   main.c      cli_main: argument pre-processing (global switches, the command word), dispatch
 *   engine.c    the one function that opens the manager (fuzz/cli_args_fuzzer.c replaces it)
 *   jobref.c    job lookup by name or {GUID}
 *   args.c      option matching, numbers and enumeration words
 *   out.c       text output (banner, wrapping, bitsadmin layouts, times, errors) and JSON
 *   jobcmds.c   create, addfile*, resume/suspend/cancel/complete, reset, list, info, monitor
 *   props.c     the /get... and /set... switches
 *   transfer.c  /transfer: the synchronous transfer with its progress display
 *   help.c      /help texts
 *
 * Exit statuses: CLI_OK (0) success, CLI_FAIL (1) an operation failed (the HRESULT is
 * printed), CLI_USAGE (2) the command line itself is wrong, CLI_INTERRUPTED (130) /transfer
 * stopped by SIGINT or SIGTERM. Everything runs on the main thread.
 */
#ifndef BGCOPY_CLI_H
#define BGCOPY_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <bgcopy.h>

#define CLI_OK          0
#define CLI_FAIL        1
#define CLI_USAGE       2
#define CLI_INTERRUPTED 130

/* One run of the program: the global switches and the open manager. */
struct cli {
    int rawreturn;   /* /rawreturn: no banner, values without newline or decoration */
    int wrap;        /* 1 /wrap, 0 /nowrap, -1 default (wrap when stdout is a terminal) */
    int json;        /* --json */
    int banner_done; /* the banner was printed (or must not be) */
    const char *cmd; /* the command's canonical name ("transfer"), for messages */
    bgcopy_manager *mgr;
};

/* A command: run(cli, argc, argv) gets the arguments after the command word (--json and the
 * global switches already removed) and returns an exit status. */
struct cli_command {
    const char *name; /* canonical lower-case name without the slash */
    int (*run)(struct cli *cli, int argc, char **argv);
    int json;             /* accepts --json */
    const char *synopsis; /* "<job> <remote> <local>" */
    const char *summary;  /* one line */
    const char *details;  /* more lines for /help <switch>, or NULL */
};

/* ---- main.c ---------------------------------------------------------------------------- */

/* The whole program: reads argv (argv[0] is the program name), runs the command, returns the
 * exit status (CLI_OK, CLI_FAIL, CLI_USAGE or CLI_INTERRUPTED). Writes to stdout and stderr;
 * closes the manager it opened before returning. */
int cli_main(int argc, char **argv);

/* The command of this name (case-insensitive, without slash or dashes), or NULL. */
const struct cli_command *cli_find_command(const char *name);
/* Every command, terminated by an entry whose name is NULL. */
extern const struct cli_command cli_commands[];

/* ---- engine.c -------------------------------------------------------------------------- */

/* Opens cli->mgr (once; later calls return CLI_OK at once) on the per-user service, starting
 * it when none answers. On failure prints "Unable to connect to BITS - 0x..." with the
 * HRESULT's text and the open detail, and returns CLI_FAIL. This is the only place the
 * program chooses its engine. */
int cli_open(struct cli *cli);
/* Closes cli->mgr (NULL accepted). */
void cli_close(struct cli *cli);
/* Which engine cli_open uses, for --version ("service"). */
const char *cli_engine_name(void);

/* ---- jobref.c -------------------------------------------------------------------------- */

/* Finds the job named by arg: "{GUID}" or a display name (exact, case-sensitive). Opens the
 * manager if needed. On success *job is a new reference. Prints the reason and returns
 * CLI_FAIL for an unknown job (BG_E_NOT_FOUND), an ambiguous name (listing the candidates)
 * or a failed call, CLI_USAGE for text that starts with '{' but is not a GUID. */
int cli_find_job(struct cli *cli, const char *arg, bgcopy_job **job);

/* ---- args.c ---------------------------------------------------------------------------- */

/* Whether arg is the option name: "/name", "-name" or "--name", case-insensitive. With
 * value != NULL also "--name=VALUE" and "/name:VALUE", whose value is stored in *value
 * (else *value is set to NULL). */
int cli_is_option(const char *arg, const char *name, const char **value);
/* Whether arg looks like a switch: "/word" or "--word" with letters, digits, '-' or '_'
 * only (so "/tmp/x" is not one), or "-h", "/?". */
int cli_looks_like_switch(const char *arg);

/* Parses an unsigned decimal (or 0x hex when allow_hex) number <= max. 0 on success; on
 * error prints "bgcopy /cmd: '<arg>' is not a valid <what> (...)" and returns CLI_USAGE. */
int cli_parse_u64(struct cli *cli, const char *arg, uint64_t max, int allow_hex, const char *what,
                  uint64_t *out);
int cli_parse_u32(struct cli *cli, const char *arg, int allow_hex, const char *what, uint32_t *out);

/* Looks word up (case-insensitive) in names[0..count); returns its index, or -1 after
 * printing "'<word>' is not one of A|B|C" (the caller returns CLI_USAGE). */
int cli_parse_word(struct cli *cli, const char *word, const char *const *names, int count,
                   const char *what);

/* Prints "bgcopy /cmd: <message>" and the command's synopsis to stderr; returns CLI_USAGE. */
int cli_usage(struct cli *cli, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Checks that argc lies in [min, max] (max < 0: no limit); else cli_usage. 0 when fine. */
int cli_check_args(struct cli *cli, int argc, char **argv, int min, int max);

/* ---- out.c ----------------------------------------------------------------------------- */

/* Prints the banner unless /rawreturn or --json (once per run). */
void cli_banner(struct cli *cli);
/* Prints one output line (fmt without the newline), wrapped to the terminal width when
 * wrapping is on. */
void cli_line(struct cli *cli, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Prints a value of a getter: with /rawreturn without newline, else as a line. */
void cli_value(struct cli *cli, const char *text);

/* Prints "Unable to <what> - 0x%08x" and the HRESULT's text to stderr; returns CLI_FAIL. */
int cli_fail(struct cli *cli, const char *what, bgcopy_hr hr);

/* Formats a GUID in upper case with braces into buf (BGCOPY_GUID_STRING_SIZE bytes). */
void cli_guid_text(const bgcopy_guid *id, char *buf);
/* The job's GUID as text (upper case); "{?}" when it cannot be read. */
void cli_job_guid(bgcopy_job *job, char *buf);
/* FILETIME as bitsadmin prints it (local time, "12/17/2002 1:21:17 PM"); "UNKNOWN" for 0. */
void cli_time_text(bgcopy_filetime ft, char *buf, size_t size);
/* FILETIME as ISO 8601 UTC ("2002-12-17T13:21:17Z") for JSON; buf empty for 0. */
void cli_time_iso(bgcopy_filetime ft, char *buf, size_t size);

/* The /list line of a job: "{GUID} name STATE f / F b / B|UNKNOWN". */
int cli_print_list_line(struct cli *cli, bgcopy_job *job);
/* The /info /verbose block of a job (reference 11.1 layout). */
int cli_print_info(struct cli *cli, bgcopy_job *job);
/* The ERROR FILE / ERROR CODE / ERROR CONTEXT block of err (reference 3.2) on out. */
void cli_print_error_block(struct cli *cli, bgcopy_error *err);

/* ---- JSON (out.c) ---------------------------------------------------------------------- */

/* A streaming JSON writer on stdout: containers nest, commas and indentation are automatic.
 * Keys are passed to the value functions (NULL inside arrays). Strings are written as valid
 * JSON even when the input is not valid UTF-8 (bad bytes become U+FFFD). */
void cli_json_begin_object(const char *key);
void cli_json_end_object(void);
void cli_json_begin_array(const char *key);
void cli_json_end_array(void);
void cli_json_string(const char *key, const char *value); /* NULL -> null */
void cli_json_u64(const char *key, uint64_t value);
void cli_json_bool(const char *key, int value);
void cli_json_null(const char *key);
/* Ends the document (a final newline). */
void cli_json_finish(void);

/* The job as a JSON object (every property; the /info --json document). */
int cli_json_job(struct cli *cli, const char *key, bgcopy_job *job, int verbose);
/* The job's error as a JSON object, or null when it has none. */
void cli_json_error(const char *key, bgcopy_job *job);

/* ---- commands ---------------------------------------------------------------------------- */

int cli_cmd_create(struct cli *cli, int argc, char **argv);
int cli_cmd_addfile(struct cli *cli, int argc, char **argv);
int cli_cmd_addfileset(struct cli *cli, int argc, char **argv);
int cli_cmd_addfilewithranges(struct cli *cli, int argc, char **argv);
int cli_cmd_resume(struct cli *cli, int argc, char **argv);
int cli_cmd_suspend(struct cli *cli, int argc, char **argv);
int cli_cmd_cancel(struct cli *cli, int argc, char **argv);
int cli_cmd_complete(struct cli *cli, int argc, char **argv);
int cli_cmd_reset(struct cli *cli, int argc, char **argv);
int cli_cmd_list(struct cli *cli, int argc, char **argv);
int cli_cmd_info(struct cli *cli, int argc, char **argv);
int cli_cmd_monitor(struct cli *cli, int argc, char **argv);
int cli_cmd_listfiles(struct cli *cli, int argc, char **argv);
int cli_cmd_replaceremoteprefix(struct cli *cli, int argc, char **argv);
int cli_cmd_setremotename(struct cli *cli, int argc, char **argv);
int cli_cmd_transfer(struct cli *cli, int argc, char **argv);
int cli_cmd_help(struct cli *cli, int argc, char **argv);

/* props.c: one function serves every /get... and every /set... switch; it looks the
 * property up by cli->cmd. */
int cli_cmd_get(struct cli *cli, int argc, char **argv);
int cli_cmd_set(struct cli *cli, int argc, char **argv);
/* Switches bitsadmin has that the engine does not model: prints why, returns CLI_FAIL. */
int cli_cmd_unsupported(struct cli *cli, int argc, char **argv);

/* help.c */
void cli_print_help(FILE *out);
int cli_print_command_help(FILE *out, const char *name);
void cli_print_version(void);

/* Set by the SIGINT/SIGTERM handler of /transfer and /monitor. */
extern volatile int cli_interrupted;
void cli_catch_signals(void);

#endif /* BGCOPY_CLI_H */
