/* fuzz/cmdline_fuzzer.c - fuzzes the Windows command-line splitter of SetNotifyCmdLine
 * (bgcopy__cmdline_split, core/cmdline.c).
 *
 * The input is the command line (an embedded NUL ends it). Checks:
 *   - the result is S_OK (only E_OUTOFMEMORY could fail here), argc >= 0, argv[argc] == NULL and
 *     argv[0..argc-1] are non-NULL; argc is 0 exactly for the empty line;
 *   - every argument is derived from the line: its bytes all occur in the line and the
 *     arguments together are no longer than the line (quotes and escaping backslashes only ever
 *     disappear), and none holds a NUL by construction;
 *   - a line without '"' or '\' splits exactly like a split at runs of spaces and tabs (with an
 *     empty argv[0] when the line starts with white space);
 *   - differential: the result equals that of an independent character-at-a-time state machine
 *     written from the rules in cmdline.c (the program-name rule for argv[0]; 2n / 2n+1
 *     backslashes before '"'; "" inside quotes is a literal '"' and quoting goes on).
 */
#include <stdlib.h>
#include <string.h>

#include "core-int.h"
#include "fuzz-util.h"

/* A growable argument vector for the oracle. */
typedef struct vec {
    char **argv;
    size_t argc, cap;
    char *cur;
    size_t len, cur_cap;
    int open;
} vec;

static void put(vec *v, char c)
{
    if (v->len + 1 >= v->cur_cap) {
        v->cur_cap = v->cur_cap ? v->cur_cap * 2 : 16;
        v->cur = realloc(v->cur, v->cur_cap);
        FZ_CHECK(v->cur != NULL);
    }
    v->cur[v->len++] = c;
}

static void open_arg(vec *v)
{
    if (!v->open) {
        v->open = 1;
        v->len = 0;
    }
}

static void close_arg(vec *v)
{
    if (!v->open) {
        return;
    }
    put(v, '\0');
    if (v->argc == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        v->argv = realloc(v->argv, v->cap * sizeof(*v->argv));
        FZ_CHECK(v->argv != NULL);
    }
    v->argv[v->argc++] = v->cur;
    v->cur = NULL;
    v->cur_cap = 0;
    v->len = 0;
    v->open = 0;
}

static void oracle(const char *line, vec *v)
{
    size_t i = 0, bs = 0;
    int quoted = 0;

    memset(v, 0, sizeof(*v));
    if (line[0] == '\0') {
        return;
    }
    /* argv[0]: no escapes. */
    open_arg(v);
    if (line[0] == '"') {
        for (i = 1; line[i] != '\0' && line[i] != '"'; i++) {
            put(v, line[i]);
        }
        if (line[i] == '"') {
            i++;
        }
    } else {
        for (; line[i] != '\0' && line[i] != ' ' && line[i] != '\t'; i++) {
            put(v, line[i]);
        }
    }
    close_arg(v);

    for (; line[i] != '\0'; i++) {
        char c = line[i];

        if (c == '\\') {
            open_arg(v);
            bs++;
            continue;
        }
        if (c == '"') {
            open_arg(v);
            for (; bs >= 2; bs -= 2) {
                put(v, '\\');
            }
            if (bs == 1) {
                bs = 0;
                put(v, '"');
            } else if (quoted && line[i + 1] == '"') {
                put(v, '"');
                i++;
            } else {
                quoted = !quoted;
            }
            continue;
        }
        for (; bs > 0; bs--) {
            put(v, '\\');
        }
        if ((c == ' ' || c == '\t') && !quoted) {
            close_arg(v);
            continue;
        }
        open_arg(v);
        put(v, c);
    }
    for (; bs > 0; bs--) {
        put(v, '\\');
    }
    close_arg(v);
}

static void vec_free(vec *v)
{
    size_t i;

    for (i = 0; i < v->argc; i++) {
        free(v->argv[i]);
    }
    free(v->argv);
    free(v->cur);
}

/* Splits a line without quotes or backslashes at white space, as the splitter must. */
static void check_plain(const char *line, char **argv, int argc)
{
    size_t i = 0, start;
    int n = 0;

    if (line[0] == ' ' || line[0] == '\t') {
        FZ_CHECK(argc >= 1 && argv[0][0] == '\0');
        n = 1;
    }
    for (;;) {
        while (line[i] == ' ' || line[i] == '\t') {
            i++;
        }
        if (line[i] == '\0') {
            break;
        }
        start = i;
        while (line[i] != '\0' && line[i] != ' ' && line[i] != '\t') {
            i++;
        }
        FZ_CHECK(n < argc);
        FZ_CHECK(strlen(argv[n]) == i - start && memcmp(argv[n], line + start, i - start) == 0);
        n++;
    }
    FZ_CHECK(n == argc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = fz_cstr(data, size), **argv = NULL;
    size_t len = strlen(line), total = 0, j;
    int argc = -1, i;
    unsigned char seen[256];
    vec want;

    FZ_CHECK(bgcopy__cmdline_split(line, &argv, &argc) == BGCOPY_S_OK);
    FZ_CHECK(argv != NULL && argc >= 0);
    FZ_CHECK(argv[argc] == NULL);
    FZ_CHECK((argc == 0) == (len == 0));
    FZ_CHECK((size_t)argc <= len + 1);

    memset(seen, 0, sizeof(seen));
    for (j = 0; j < len; j++) {
        seen[(unsigned char)line[j]] = 1;
    }
    for (i = 0; i < argc; i++) {
        size_t n;

        FZ_CHECK(argv[i] != NULL);
        n = strlen(argv[i]);
        total += n;
        for (j = 0; j < n; j++) {
            FZ_CHECK(seen[(unsigned char)argv[i][j]]);
        }
    }
    FZ_CHECK(total <= len);
    if (strchr(line, '"') == NULL && strchr(line, '\\') == NULL) {
        check_plain(line, argv, argc);
    }

    oracle(line, &want);
    FZ_CHECK(want.argc == (size_t)argc);
    for (i = 0; i < argc; i++) {
        FZ_CHECK(strcmp(argv[i], want.argv[i]) == 0);
    }
    vec_free(&want);
    free(argv);

    /* NULL arguments are refused and clear the outputs. */
    argc = 5;
    argv = (char **)&line;
    FZ_CHECK(bgcopy__cmdline_split(NULL, &argv, &argc) == BGCOPY_E_INVALIDARG);
    FZ_CHECK(argv == NULL && argc == 0);
    FZ_CHECK(bgcopy__cmdline_split(line, NULL, &argc) == BGCOPY_E_INVALIDARG);
    FZ_CHECK(bgcopy__cmdline_split(line, &argv, NULL) == BGCOPY_E_INVALIDARG);
    free(line);
    return 0;
}
