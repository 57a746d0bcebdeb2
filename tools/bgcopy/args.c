/* tools/bgcopy/args.c - reading the command line: option names in their bitsadmin ("/name")
 * and GNU ("--name", "--name=value") spellings, numbers and enumeration words.
 *
 * Matching is case-insensitive, as bitsadmin's is. A number is a decimal string of digits
 * (hexadecimal "0x..." where flags are expected) that fits its type; anything else - signs,
 * spaces, trailing text, overflow - is a usage error, never silently truncated.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

int cli_is_option(const char *arg, const char *name, const char **value)
{
    size_t n = strlen(name);
    const char *p;

    if (value != NULL)
        *value = NULL;
    if (arg[0] == '/')
        p = arg + 1;
    else if (arg[0] == '-' && arg[1] == '-')
        p = arg + 2;
    else if (arg[0] == '-')
        p = arg + 1;
    else
        return 0;
    if (strncasecmp(p, name, n) != 0)
        return 0;
    if (p[n] == '\0')
        return 1;
    if (value != NULL && ((arg[0] == '-' && p[n] == '=') || (arg[0] == '/' && p[n] == ':'))) {
        *value = p + n + 1;
        return 1;
    }
    return 0;
}

int cli_looks_like_switch(const char *arg)
{
    const char *p;

    if (strcmp(arg, "/?") == 0 || strcmp(arg, "-?") == 0 || strcmp(arg, "-h") == 0)
        return 1;
    if (arg[0] == '/')
        p = arg + 1;
    else if (arg[0] == '-' && arg[1] == '-')
        p = arg + 2;
    else
        return 0;
    if (!isalpha((unsigned char)*p))
        return 0;
    for (; *p && *p != '=' && *p != ':'; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return 0;
    return 1;
}

int cli_usage(struct cli *cli, const char *fmt, ...)
{
    const struct cli_command *c = cli->cmd ? cli_find_command(cli->cmd) : NULL;
    va_list ap;

    if (cli->cmd != NULL)
        fprintf(stderr, "bgcopy /%s: ", cli->cmd);
    else
        fputs("bgcopy: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (c != NULL)
        fprintf(stderr, "Usage: bgcopy /%s %s\n", c->name, c->synopsis);
    fputs("Try 'bgcopy /help' for the list of switches.\n", stderr);
    return CLI_USAGE;
}

int cli_check_args(struct cli *cli, int argc, char **argv, int min, int max)
{
    if (argc < min)
        return cli_usage(cli, "missing argument%s (%d given, %d needed)", min - argc > 1 ? "s" : "",
                         argc, min);
    if (max >= 0 && argc > max) {
        if (cli_looks_like_switch(argv[max]))
            return cli_usage(cli, "unknown switch '%s'", argv[max]);
        return cli_usage(cli, "too many arguments (%d given, at most %d): '%s'", argc, max,
                         argv[max]);
    }
    return 0;
}

int cli_parse_u64(struct cli *cli, const char *arg, uint64_t max, int allow_hex, const char *what,
                  uint64_t *out)
{
    const char *p = arg;
    int base = 10;
    unsigned long long v;
    char *end;

    if (allow_hex && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
        if (!isxdigit((unsigned char)*p))
            goto bad;
    } else if (!isdigit((unsigned char)*p)) {
        goto bad;
    }
    errno = 0;
    v = strtoull(p, &end, base);
    if (errno != 0 || *end != '\0' || v > max)
        goto bad;
    *out = (uint64_t)v;
    return 0;
bad:
    return cli_usage(cli, "'%s' is not a valid %s (a %snumber from 0 to %llu)", arg, what,
                     allow_hex ? "decimal or 0x-hexadecimal " : "decimal ",
                     (unsigned long long)max);
}

int cli_parse_u32(struct cli *cli, const char *arg, int allow_hex, const char *what, uint32_t *out)
{
    uint64_t v = 0;
    int rc = cli_parse_u64(cli, arg, UINT32_MAX, allow_hex, what, &v);
    if (rc == 0)
        *out = (uint32_t)v;
    return rc;
}

int cli_parse_word(struct cli *cli, const char *word, const char *const *names, int count,
                   const char *what)
{
    char list[256];
    size_t used = 0;
    int i;

    for (i = 0; i < count; i++)
        if (names[i] != NULL && strcasecmp(word, names[i]) == 0)
            return i;
    list[0] = '\0';
    for (i = 0; i < count; i++) {
        if (names[i] == NULL)
            continue;
        used +=
            (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", used ? "|" : "", names[i]);
        if (used >= sizeof(list))
            break;
    }
    cli_usage(cli, "'%s' is not a valid %s (%s)", word, what, list);
    return -1;
}
