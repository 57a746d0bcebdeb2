/* fuzz/guid_fuzzer.c - fuzzes GUID text parsing and formatting (bgcopy_guid_from_string,
 * bgcopy_guid_to_string, bgcopy_guid_equal; core/util.c).
 *
 * The input is the text (an embedded NUL ends it). Checks:
 *   - parse -> to_string -> parse gives the same GUID, and to_string prints the canonical form:
 *     38 characters, braces, lower-case hex, hyphens after bytes 4, 6, 8 and 10;
 *   - an accepted text is the canonical form with or without braces, in either case: lowering
 *     it (and adding the braces) gives exactly the to_string output;
 *   - a refused text (E_INVALIDARG) leaves the output untouched;
 *   - the first 16 input bytes taken as a GUID survive to_string -> parse unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "bgcopy.h"
#include "fuzz-util.h"

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static void check_canonical(const char *s)
{
    size_t i;

    FZ_CHECK(strlen(s) == BGCOPY_GUID_STRING_SIZE - 1);
    FZ_CHECK(s[0] == '{' && s[37] == '}');
    for (i = 1; i < 37; i++) {
        if (i == 9 || i == 14 || i == 19 || i == 24) {
            FZ_CHECK(s[i] == '-');
        } else {
            FZ_CHECK((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_cstr(data, size);
    char buf[BGCOPY_GUID_STRING_SIZE], expect[BGCOPY_GUID_STRING_SIZE];
    bgcopy_guid g, g2, sentinel;
    size_t len = strlen(text), i;
    bgcopy_hr hr;

    memset(&sentinel, 0xA5, sizeof(sentinel));
    g = sentinel;
    hr = bgcopy_guid_from_string(text, &g);
    if (hr == BGCOPY_S_OK) {
        FZ_CHECK(bgcopy_guid_to_string(&g, buf) == BGCOPY_S_OK);
        check_canonical(buf);
        memset(&g2, 0, sizeof(g2));
        FZ_CHECK(bgcopy_guid_from_string(buf, &g2) == BGCOPY_S_OK);
        FZ_CHECK(bgcopy_guid_equal(&g, &g2));
        FZ_CHECK(memcmp(&g, &g2, sizeof(g)) == 0);
        /* The accepted text, lowered and braced, is the canonical output. */
        FZ_CHECK(len == 36 || len == 38);
        if (len == 36) {
            expect[0] = '{';
            for (i = 0; i < 36; i++) {
                expect[i + 1] = lower(text[i]);
            }
            expect[37] = '}';
            expect[38] = '\0';
        } else {
            for (i = 0; i <= 38; i++) {
                expect[i] = lower(text[i]);
            }
        }
        FZ_CHECK(strcmp(expect, buf) == 0);
        /* Without braces too. */
        buf[37] = '\0';
        FZ_CHECK(bgcopy_guid_from_string(buf + 1, &g2) == BGCOPY_S_OK);
        FZ_CHECK(bgcopy_guid_equal(&g, &g2));
    } else {
        FZ_CHECK(hr == BGCOPY_E_INVALIDARG);
        FZ_CHECK(memcmp(&g, &sentinel, sizeof(g)) == 0);
    }

    if (size >= sizeof(g.b)) {
        memcpy(g.b, data, sizeof(g.b));
        FZ_CHECK(bgcopy_guid_to_string(&g, buf) == BGCOPY_S_OK);
        check_canonical(buf);
        FZ_CHECK(bgcopy_guid_from_string(buf, &g2) == BGCOPY_S_OK);
        FZ_CHECK(bgcopy_guid_equal(&g, &g2));
    }
    FZ_CHECK(bgcopy_guid_from_string(NULL, &g) == BGCOPY_E_POINTER);
    FZ_CHECK(bgcopy_guid_from_string(text, NULL) == BGCOPY_E_POINTER);
    FZ_CHECK(bgcopy_guid_to_string(NULL, buf) == BGCOPY_E_POINTER);
    free(text);
    return 0;
}
