/* core/cmdline.c - splits a Windows command line into an argv array.
 *
 * SetNotifyCmdLine takes the whole command line of the notification program as one string
 * whose first token is the program itself (reference 5.4); Windows hands that string to the new
 * process, whose C runtime splits it. On a POSIX system there is no such step - the program
 * receives an argv array - so the engine splits the string here, the way a Windows program's
 * C runtime would, before launching the program through the platform seam. The argv[0] rule is
 * the one CommandLineToArgvW and the classic Microsoft C runtime share; the "" rule is that of
 * the Visual C++ 2008 and later runtimes.
 *
 * The rules, in bytes (only space, tab, '"' and '\' are special, so UTF-8 passes through):
 *   - argv[0], the program name, is not escaped: a line starting with '"' gives everything up
 *     to the next '"' (or the end), the quotes removed; otherwise argv[0] runs to the first
 *     space or tab. Backslashes in it are literal. Whatever follows a closing quote starts the
 *     next argument, even without white space in between ("a b"c -> [a b, c]).
 *   - Leading white space is not skipped: like both Microsoft parsers, a line that starts with
 *     a space or tab has an empty argv[0], and the first word becomes argv[1].
 *   - The other arguments are separated by runs of spaces and tabs; trailing white space ends
 *     nothing. Inside an argument, 2n backslashes followed by '"' give n backslashes and toggle
 *     quoting; 2n+1 backslashes followed by '"' give n backslashes and a literal '"';
 *     backslashes not followed by '"' are literal. While quoting, "" gives a literal '"' and
 *     quoting goes on. Quoted white space belongs to the argument; an unterminated quote runs
 *     to the end of the line. An argument that is only quotes ("") is an empty argument.
 *   - The empty line gives no arguments at all (argc 0), where Windows would substitute the
 *     path of the running executable.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core-int.h"

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Scans line once. Counts the arguments into *count and the bytes their strings need (NULs
 * included) into *bytes. When argv is not NULL, also stores the strings into buf and their
 * addresses into argv (both sized from an earlier counting pass). */
static void split(const char *line, char **argv, char *buf, size_t *count, size_t *bytes)
{
    const char *p = line;
    size_t n = 0, used = 0, slashes;
    int quoted;

#define PUT(ch)               \
    do {                      \
        if (argv != NULL) {   \
            buf[used] = (ch); \
        }                     \
        used++;               \
    } while (0)
#define START()                   \
    do {                          \
        if (argv != NULL) {       \
            argv[n] = buf + used; \
        }                         \
        n++;                      \
    } while (0)

    if (*p != '\0') {
        /* argv[0]: the program name, without escapes. */
        START();
        if (*p == '"') {
            for (p++; *p != '\0' && *p != '"'; p++) {
                PUT(*p);
            }
            if (*p == '"') {
                p++;
            }
        } else {
            for (; *p != '\0' && !is_blank(*p); p++) {
                PUT(*p);
            }
        }
        PUT('\0');
    }

    for (;;) {
        while (is_blank(*p)) {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        START();
        quoted = 0;
        while (*p != '\0' && (quoted || !is_blank(*p))) {
            if (*p != '\\' && *p != '"') {
                PUT(*p);
                p++;
                continue;
            }
            for (slashes = 0; *p == '\\'; p++) {
                slashes++;
            }
            if (*p != '"') {
                for (; slashes > 0; slashes--) {
                    PUT('\\'); /* not before a quote: literal */
                }
                continue;
            }
            for (; slashes >= 2; slashes -= 2) {
                PUT('\\');
            }
            if (slashes == 1) {
                PUT('"'); /* escaped quote */
                p++;
            } else if (quoted && p[1] == '"') {
                PUT('"'); /* "" while quoting: a literal quote, quoting goes on */
                p += 2;
            } else {
                quoted = !quoted;
                p++;
            }
        }
        PUT('\0');
    }
#undef PUT
#undef START

    if (argv != NULL) {
        argv[n] = NULL;
    }
    *count = n;
    *bytes = used;
}

bgcopy_hr bgcopy__cmdline_split(const char *line, char ***argv, int *argc)
{
    size_t count, bytes, table;
    char **block;

    if (argv != NULL) {
        *argv = NULL;
    }
    if (argc != NULL) {
        *argc = 0;
    }
    if (line == NULL || argv == NULL || argc == NULL) {
        return BGCOPY_E_INVALIDARG;
    }
    split(line, NULL, NULL, &count, &bytes);
    /* count <= bytes <= 2 * strlen(line) + 1, so only the table size can overflow. */
    if (count >= (size_t)INT_MAX || count + 1 > (SIZE_MAX - bytes) / sizeof(char *)) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    table = (count + 1) * sizeof(char *);
    block = malloc(table + bytes); /* table is never 0 */
    if (block == NULL) {
        return BGCOPY_E_OUTOFMEMORY;
    }
    split(line, block, (char *)block + table, &count, &bytes);
    *argv = block;
    *argc = (int)count;
    return BGCOPY_S_OK;
}
