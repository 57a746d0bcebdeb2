/* tools/bgcopy/help.c - /help, /help <switch> and --version.
 *
 * The texts come from the command table in main.c, so every switch the program accepts is
 * listed and no help describes a switch that does not exist.
 */
#include <string.h>

#include "cli.h"

static void print_group(FILE *out, const char *title, int (*want)(const struct cli_command *))
{
    const struct cli_command *c;
    fprintf(out, "%s\n", title);
    for (c = cli_commands; c->name; c++)
        if (want(c))
            fprintf(out, "  /%-22s %s\n", c->name, c->summary);
    fputc('\n', out);
}

static int is_job_cmd(const struct cli_command *c)
{
    return c->run != cli_cmd_get && c->run != cli_cmd_set && c->run != cli_cmd_unsupported;
}
static int is_getter(const struct cli_command *c)
{
    return c->run == cli_cmd_get;
}
static int is_setter(const struct cli_command *c)
{
    return c->run == cli_cmd_set;
}

void cli_print_help(FILE *out)
{
    const struct cli_command *c;
    int col = 2;

    fprintf(out,
            "bgcopy %s - BITS transfers from the command line, with bitsadmin's switches.\n\n"
            "Usage: bgcopy [/rawreturn] [/wrap|/nowrap] [--json] <switch> [arguments]\n"
            "       bgcopy /help [<switch>]    bgcopy --version\n\n"
            "Switches are case-insensitive and may also be written without the slash\n"
            "(bgcopy transfer ...) or with two dashes (--priority HIGH, --priority=HIGH).\n"
            "<job> is a job's display name or its {GUID}.\n\n",
            bgcopy_version());
    print_group(out, "Jobs:", is_job_cmd);
    print_group(out, "Properties:", is_getter);
    print_group(out, "Changes:", is_setter);
    fputs("Not supported (features the emulated engine does not model):\n ", out);
    for (c = cli_commands; c->name; c++) {
        if (c->run != cli_cmd_unsupported)
            continue;
        if (col + (int)strlen(c->name) + 2 > 79) {
            fputs("\n ", out);
            col = 1;
        }
        col += fprintf(out, " /%s", c->name);
    }
    fputs("\n\n"
          "Global switches:\n"
          "  /rawreturn   no banner; values without a newline (for scripts)\n"
          "  /wrap        wrap long lines (default on a terminal)   /nowrap  never wrap\n"
          "  --json       JSON output of /list, /info, /create and the /get... switches\n\n"
          "Exit status: 0 success, 1 an operation failed, 2 a wrong command line,\n"
          "130 /transfer interrupted. See bgcopy(1).\n",
          out);
}

int cli_print_command_help(FILE *out, const char *name)
{
    const struct cli_command *c = cli_find_command(name);
    if (c == NULL)
        return -1;
    fprintf(out, "Usage: bgcopy /%s %s\n\n%s\n", c->name, c->synopsis, c->summary);
    if (c->details)
        fprintf(out, "\n%s\n", c->details);
    if (c->json)
        fputs("\n--json prints the result as JSON.\n", out);
    return 0;
}

void cli_print_version(void)
{
    printf("bgcopy %s (library %s, %s engine)\n", BGCOPY_VERSION_STRING, bgcopy_version(),
           cli_engine_name());
}
