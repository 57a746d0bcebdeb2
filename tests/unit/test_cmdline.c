/* tests/unit/test_cmdline.c - pins the command-line splitting of core/cmdline.c.
 *
 * SetNotifyCmdLine's Parameters string is a whole Windows command line (reference 5.4); the
 * engine splits it into argv the way the Microsoft C runtime would. The cases are the
 * documented Microsoft examples, program names with spaces, white space at either end, empty
 * and unterminated quotes, a line of the maximum length, UTF-8 text, and the error paths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core-int.h"

/* Compare as unsigned 32-bit so failures print the familiar hex value. */
#define assert_hr_equal(a, b) assert_int_equal((uint32_t)(a), (uint32_t)(b))

/* Splits line and checks the result is exactly the NULL-terminated list of strings that
 * follows it (no strings: argc 0). */
static void expect_split(const char *line, ...)
{
    const char *want[64];
    const char *s;
    char **argv = NULL;
    int argc = -1, n = 0, i;
    va_list ap;

    va_start(ap, line);
    while ((s = va_arg(ap, const char *)) != NULL) {
        assert_true(n < 64);
        want[n++] = s;
    }
    va_end(ap);

    assert_hr_equal(bgcopy__cmdline_split(line, &argv, &argc), BGCOPY_S_OK);
    assert_non_null(argv);
    if (argc != n) {
        fail_msg("split(\"%s\"): argc %d, expected %d", line, argc, n);
    }
    for (i = 0; i < n; i++) {
        if (strcmp(argv[i], want[i]) != 0) {
            fail_msg("split(\"%s\"): argv[%d] = \"%s\", expected \"%s\"", line, i, argv[i],
                     want[i]);
        }
    }
    assert_null(argv[argc]);
    free(argv);
}

/* The argument examples Microsoft documents for the C runtime. Their lines start with an
 * argument, so a program name "p" is put in front here. */
static void test_microsoft_examples(void **state)
{
    expect_split("p \"abc\" d e", "p", "abc", "d", "e", NULL);
    expect_split("p a\\\\\\b d\"e f\"g h", "p", "a\\\\\\b", "de fg", "h", NULL);
    expect_split("p a\\\\\\\"b c d", "p", "a\\\"b", "c", "d", NULL);
    expect_split("p a\\\\\\\\\"b c\" d e", "p", "a\\\\b c", "d", "e", NULL);
    /* "" while quoting is a literal '"' and quoting goes on (Visual C++ 2008 and later). */
    expect_split("p a\"b\"\" c d", "p", "ab\" c d", NULL);
}

/* The same lines as whole command lines: their first word is the program name, which has no
 * escapes, so only the lines whose first word has no quote or backslash-quote agree. */
static void test_microsoft_examples_whole_line(void **state)
{
    expect_split("\"abc\" d e", "abc", "d", "e", NULL);
    expect_split("a\\\\\\b d\"e f\"g h", "a\\\\\\b", "de fg", "h", NULL);
    expect_split("a\\\\\\\"b c d", "a\\\\\\\"b", "c", "d", NULL);
    expect_split("a\\\\\\\\\"b c\" d e", "a\\\\\\\\\"b", "c d e", NULL);
    expect_split("a\"b\"\" c d", "a\"b\"\"", "c", "d", NULL);
}

static void test_double_quotes(void **state)
{
    expect_split("p \"a\"\"b\"", "p", "a\"b", NULL);
    expect_split("p \"\"\"\"", "p", "\"", NULL);         /* open, "", close */
    expect_split("p \"a b c\"\"", "p", "a b c\"", NULL); /* unterminated after "" */
    expect_split("p \"a\" \"\" b", "p", "a", "", "b", NULL);
    expect_split("p \"\"a", "p", "a", NULL); /* an empty quoted part is nothing */
    /* Escaped quote before "": the escape wins, then "" toggles twice. */
    expect_split("p \"a\\\"\"\" b", "p", "a\"\" b", NULL);
    /* 2n backslashes then "" while quoting: n backslashes and a literal quote. */
    expect_split("p \"a\\\\\"\"b\"", "p", "a\\\"b", NULL);
}

static void test_backslashes(void **state)
{
    expect_split("p C:\\dir\\ x", "p", "C:\\dir\\", "x", NULL);
    expect_split("p \"C:\\dir\\\\\" x", "p", "C:\\dir\\", "x", NULL);
    expect_split("p \"C:\\dir\\\" x", "p", "C:\\dir\" x", NULL); /* odd: the quote escaped */
    expect_split("p \\\\\\\\", "p", "\\\\\\\\", NULL);           /* trailing: literal */
    expect_split("p \\\"", "p", "\"", NULL);
    expect_split("p \\\\\"", "p", "\\", NULL); /* 2 + quote: 1 and an open quote */
}

/* argv[0] is not escaped: quotes delimit it, backslashes are literal. */
static void test_program_name(void **state)
{
    expect_split("\"/opt/my app/run\" x", "/opt/my app/run", "x", NULL);
    expect_split("\"C:\\Program Files\\app.exe\" -v", "C:\\Program Files\\app.exe", "-v", NULL);
    expect_split("/bin/prog", "/bin/prog", NULL);
    expect_split("\"/bin/prog\"", "/bin/prog", NULL);
    expect_split("C:\\dir\\\"x y\" z", "C:\\dir\\\"x", "y z", NULL);
    expect_split("\"C:\\dir\\\"x y", "C:\\dir\\", "x", "y", NULL);  /* no escape in argv[0] */
    expect_split("\"a b\"c d", "a b", "c", "d", NULL);              /* next arg at once */
    expect_split("\"unterminated name", "unterminated name", NULL); /* to the end */
    expect_split("\"\" x", "", "x", NULL);
    expect_split("a\"b c\" d", "a\"b", "c d", NULL); /* a later quote is literal in argv[0] */
}

static void test_white_space(void **state)
{
    expect_split("p\ta\t\tb", "p", "a", "b", NULL);
    expect_split("p \t a \t b", "p", "a", "b", NULL);
    expect_split("p a b   ", "p", "a", "b", NULL);
    expect_split("p a\t \t", "p", "a", NULL);
    expect_split("p \"a\tb\"", "p", "a\tb", NULL);
    expect_split("p \"  \"", "p", "  ", NULL);
    /* Leading white space is not skipped: argv[0] is empty, as on Windows. */
    expect_split(" p a", "", "p", "a", NULL);
    expect_split("\t\"/bin/x\" a", "", "/bin/x", "a", NULL);
    expect_split("   ", "", NULL);
}

static void test_empty(void **state)
{
    char **argv = NULL;
    int argc = -1;

    assert_hr_equal(bgcopy__cmdline_split("", &argv, &argc), BGCOPY_S_OK);
    assert_int_equal(argc, 0);
    assert_non_null(argv);
    assert_null(argv[0]);
    free(argv);
}

static void test_empty_argument(void **state)
{
    expect_split("a \"\"", "a", "", NULL);
    expect_split("a \"\" \"\"", "a", "", "", NULL);
    expect_split("a \"\"  ", "a", "", NULL);
    expect_split("a \"", "a", "", NULL); /* a lone quote opens an empty argument */
}

/* The longest Parameters BITS accepts (4,000 characters), with many arguments. */
static void test_long_line(void **state)
{
    char *line = malloc(BGCOPY__MAX_CMD_PARAMETERS + 1);
    char **argv = NULL;
    int argc = -1, i;
    size_t len;

    assert_non_null(line);
    /* "prog" (4 characters), 399 arguments " aaaaaaaaa" (3,990) and " \"xyz\"" (6). */
    strcpy(line, "prog");
    len = 4;
    for (i = 0; i < 399; i++) {
        memcpy(line + len, " aaaaaaaaa", 10);
        len += 10;
    }
    memcpy(line + len, " \"xyz\"", 7);
    len += 6;
    assert_int_equal(len, BGCOPY__MAX_CMD_PARAMETERS);
    assert_int_equal(strlen(line), BGCOPY__MAX_CMD_PARAMETERS);

    assert_hr_equal(bgcopy__cmdline_split(line, &argv, &argc), BGCOPY_S_OK);
    assert_int_equal(argc, 401);
    assert_string_equal(argv[0], "prog");
    for (i = 1; i <= 399; i++) {
        assert_string_equal(argv[i], "aaaaaaaaa");
    }
    assert_string_equal(argv[400], "xyz");
    assert_null(argv[401]);
    free(argv);

    /* One 4,000-character quoted argument with spaces. */
    line[0] = '"';
    memset(line + 1, 'b', BGCOPY__MAX_CMD_PARAMETERS - 2);
    for (i = 10; i < BGCOPY__MAX_CMD_PARAMETERS - 2; i += 10) {
        line[i] = ' ';
    }
    line[BGCOPY__MAX_CMD_PARAMETERS - 1] = '"';
    line[BGCOPY__MAX_CMD_PARAMETERS] = '\0';
    assert_hr_equal(bgcopy__cmdline_split(line, &argv, &argc), BGCOPY_S_OK);
    assert_int_equal(argc, 1);
    assert_int_equal(strlen(argv[0]), BGCOPY__MAX_CMD_PARAMETERS - 2);
    assert_memory_equal(argv[0], line + 1, BGCOPY__MAX_CMD_PARAMETERS - 2);
    free(argv);
    free(line);
}

/* Bytes >= 0x80 are never special: UTF-8 passes through unchanged. */
static void test_utf8(void **state)
{
    expect_split(
        "\"/opt/\xc3\xa9t\xc3\xa9/run\" \xe6\x97\xa5\xe6\x9c\xac \"caf\xc3\xa9 cr\xc3\xa8me\"",
        "/opt/\xc3\xa9t\xc3\xa9/run", "\xe6\x97\xa5\xe6\x9c\xac", "caf\xc3\xa9 cr\xc3\xa8me", NULL);
    expect_split("p \xf0\x9f\x98\x80\\\"x", "p", "\xf0\x9f\x98\x80\"x", NULL);
    expect_split("p \xc2\xa0 x", "p", "\xc2\xa0", "x", NULL); /* NBSP is not a separator */
}

/* The result is one block: the strings lie after the pointer table. */
static void test_single_block(void **state)
{
    char **argv = NULL;
    int argc = 0;
    char *lo, *hi;

    assert_hr_equal(bgcopy__cmdline_split("p abc \"d e\"", &argv, &argc), BGCOPY_S_OK);
    assert_int_equal(argc, 3);
    lo = (char *)(argv + argc + 1);
    hi = lo + strlen("p") + strlen("abc") + strlen("d e") + 3;
    assert_true(argv[0] >= lo && argv[2] + strlen(argv[2]) < hi);
    free(argv);
}

static void test_invalid_args(void **state)
{
    char **argv = (char **)&argv;
    int argc = 5;

    assert_hr_equal(bgcopy__cmdline_split(NULL, &argv, &argc), BGCOPY_E_INVALIDARG);
    assert_null(argv);
    assert_int_equal(argc, 0);
    assert_hr_equal(bgcopy__cmdline_split("p", NULL, &argc), BGCOPY_E_INVALIDARG);
    assert_hr_equal(bgcopy__cmdline_split("p", &argv, NULL), BGCOPY_E_INVALIDARG);
    assert_null(argv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_microsoft_examples),
        cmocka_unit_test(test_microsoft_examples_whole_line),
        cmocka_unit_test(test_double_quotes),
        cmocka_unit_test(test_backslashes),
        cmocka_unit_test(test_program_name),
        cmocka_unit_test(test_white_space),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_empty_argument),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_single_block),
        cmocka_unit_test(test_invalid_args),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
