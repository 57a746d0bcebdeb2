/* core/errors.c - names and messages for bgcopy_hr codes.
 *
 * Implements bgcopy_hr_name(), bgcopy_hr_message() and bgcopy_hr_format() from the single
 * table BGCOPY_HR_TABLE in include/bgcopy/errors.h. The table is expanded three times here: as
 * compile-time checks that each generated BGCOPY_<SYM> macro equals its row's value, as a static
 * array of {value, name, message}, and as a switch that maps a value to its array index (a
 * duplicated value in the table is therefore a "duplicate case value" compile error). Everything
 * is constant data, so all functions are pure and thread-safe.
 */
#include <stddef.h>
#include <stdio.h>

#include "bgcopy/errors.h"

/* One check per table row: the generated constant must equal the row's value. A mismatch means
 * the #define block is stale; rerun tools/gen-errors.py. C11 uses _Static_assert; older
 * compilers fall back to a negative array size. */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define X(sym, name, value, msg)                     \
    _Static_assert(BGCOPY_##sym == (bgcopy_hr)value, \
                   "BGCOPY_" #sym " differs from its BGCOPY_HR_TABLE row");
#else
#define X(sym, name, value, msg) \
    typedef char bgcopy_hr_check_##sym[(BGCOPY_##sym == (bgcopy_hr)value) ? 1 : -1];
#endif
BGCOPY_HR_TABLE(X)
#undef X

/* Index of each row in hr_entries, in table order. */
enum hr_index {
#define X(sym, name, value, msg) HR_INDEX_##sym,
    BGCOPY_HR_TABLE(X)
#undef X
};

struct hr_entry {
    bgcopy_hr value;
    const char *name;
    const char *message;
};

static const struct hr_entry hr_entries[] = {
#define X(sym, name, value, msg) {BGCOPY_##sym, name, msg},
    BGCOPY_HR_TABLE(X)
#undef X
};

/* The table row for hr, or NULL when hr has none. */
static const struct hr_entry *hr_find(bgcopy_hr hr)
{
    switch (hr) {
#define X(sym, name, value, msg) \
    case BGCOPY_##sym:           \
        return &hr_entries[HR_INDEX_##sym];
        BGCOPY_HR_TABLE(X)
#undef X
    default:
        return NULL;
    }
}

const char *bgcopy_hr_name(bgcopy_hr hr)
{
    const struct hr_entry *entry = hr_find(hr);

    if (entry != NULL) {
        return entry->name;
    }
    if (BGCOPY_HR_IS_HTTP(hr)) {
        return "BG_E_HTTP_ERROR";
    }
    return NULL;
}

const char *bgcopy_hr_message(bgcopy_hr hr)
{
    const struct hr_entry *entry = hr_find(hr);

    if (entry != NULL) {
        return entry->message;
    }
    if (BGCOPY_HR_IS_HTTP(hr)) {
        return "The server returned an HTTP error status.";
    }
    return "Unknown error.";
}

int bgcopy_hr_format(bgcopy_hr hr, char *buf, size_t size)
{
    const char *name = bgcopy_hr_name(hr);
    const char *message = bgcopy_hr_message(hr);
    unsigned long bits = (unsigned long)(uint32_t)hr;

    if (buf == NULL) {
        size = 0; /* snprintf(NULL, 0, ...) only measures */
    }
    if (name == NULL) {
        return snprintf(buf, size, "0x%08lX: %s", bits, message);
    }
    return snprintf(buf, size, "0x%08lX %s: %s", bits, name, message);
}
