/* tests/unit/test_version.c - the version macros of bgcopy.h and bgcopy_version().
 *
 * The macros are the project's one source of the version (CMakeLists.txt reads them); these
 * tests pin that they agree with each other and with the library that is linked, and that
 * BGCOPY_VERSION_ENCODE orders versions as their numbers do.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "bgcopy.h"

/* The running library reports the version of the headers it was built with. */
static void test_runtime_matches_headers(void **state)
{
    assert_string_equal(bgcopy_version(), BGCOPY_VERSION_STRING);
    assert_ptr_equal(bgcopy_version(), bgcopy_version()); /* static storage */
}

/* The string is MAJOR.MINOR.PATCH of the three numbers. */
static void test_string_matches_numbers(void **state)
{
    char text[32];

    snprintf(text, sizeof(text), "%d.%d.%d", BGCOPY_VERSION_MAJOR, BGCOPY_VERSION_MINOR,
             BGCOPY_VERSION_PATCH);
    assert_string_equal(text, BGCOPY_VERSION_STRING);
}

/* The number is 0xMMmmpp and compares like the version. */
static void test_number_encoding(void **state)
{
    assert_int_equal(BGCOPY_VERSION_NUMBER, (BGCOPY_VERSION_MAJOR << 16) |
                                                (BGCOPY_VERSION_MINOR << 8) | BGCOPY_VERSION_PATCH);
    assert_int_equal(BGCOPY_VERSION_ENCODE(1, 2, 3), 0x010203);
    assert_true(BGCOPY_VERSION_ENCODE(0, 10, 0) > BGCOPY_VERSION_ENCODE(0, 9, 255));
    assert_true(BGCOPY_VERSION_ENCODE(1, 0, 0) > BGCOPY_VERSION_ENCODE(0, 255, 255));
#if BGCOPY_VERSION_NUMBER < BGCOPY_VERSION_ENCODE(0, 1, 0)
    fail_msg("BGCOPY_VERSION_NUMBER is not usable in #if, or the version is below 0.1.0");
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runtime_matches_headers),
        cmocka_unit_test(test_string_matches_numbers),
        cmocka_unit_test(test_number_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
