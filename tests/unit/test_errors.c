/* tests/unit/test_errors.c - pins bgcopy_hr values, names, messages and formatting.
 *
 * Every constant must carry the exact Windows value (reference/bits-reference.md 4.1-4.3 and
 * the Windows SDK's winerror.h/winhttp.h numbering), so traces from the emulation and from real
 * BITS compare. The BITS list below is transcribed independently of BGCOPY_HR_TABLE; the table
 * itself is iterated through the X-macro to check its invariants.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgcopy/errors.h"

/* Compare as unsigned 32-bit so failures print the familiar hex value. */
#define assert_hr_equal(a, b) assert_int_equal((uint32_t)(a), (uint32_t)(b))

struct row {
    bgcopy_hr constant;
    const char *sym;
    const char *name;
    uint32_t value;
    const char *message;
};

static const struct row table[] = {
#define X(sym, name, value, msg) {BGCOPY_##sym, #sym, name, value, msg},
    BGCOPY_HR_TABLE(X)
#undef X
};
#define TABLE_ROWS (sizeof(table) / sizeof(table[0]))

struct named_value {
    const char *name;
    uint32_t value;
};

/* Every BITS code of reference 4.1 and 4.2, in the reference's order. */
static const struct named_value bits_codes[] = {
    {"BG_S_ERROR_CONTEXT_NONE", 0x00200006u},
    {"BG_S_PARTIAL_COMPLETE", 0x00200017u},
    {"BG_S_UNABLE_TO_DELETE_FILES", 0x0020001Au},
    {"BG_S_PROXY_CHANGED", 0x0020002Au},
    {"BG_S_OVERRIDDEN_BY_POLICY", 0x00200055u},
    {"BG_E_NOT_FOUND", 0x80200001u},
    {"BG_E_INVALID_STATE", 0x80200002u},
    {"BG_E_EMPTY", 0x80200003u},
    {"BG_E_FILE_NOT_AVAILABLE", 0x80200004u},
    {"BG_E_PROTOCOL_NOT_AVAILABLE", 0x80200005u},
    {"BG_E_ERROR_CONTEXT_UNKNOWN", 0x80200007u},
    {"BG_E_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER", 0x80200008u},
    {"BG_E_ERROR_CONTEXT_LOCAL_FILE", 0x80200009u},
    {"BG_E_ERROR_CONTEXT_REMOTE_FILE", 0x8020000Au},
    {"BG_E_ERROR_CONTEXT_GENERAL_TRANSPORT", 0x8020000Bu},
    {"BG_E_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION", 0x8020000Cu},
    {"BG_E_DESTINATION_LOCKED", 0x8020000Du},
    {"BG_E_VOLUME_CHANGED", 0x8020000Eu},
    {"BG_E_ERROR_INFORMATION_UNAVAILABLE", 0x8020000Fu},
    {"BG_E_NETWORK_DISCONNECTED", 0x80200010u},
    {"BG_E_MISSING_FILE_SIZE", 0x80200011u},
    {"BG_E_INSUFFICIENT_HTTP_SUPPORT", 0x80200012u},
    {"BG_E_INSUFFICIENT_RANGE_SUPPORT", 0x80200013u},
    {"BG_E_REMOTE_NOT_SUPPORTED", 0x80200014u},
    {"BG_E_NEW_OWNER_DIFF_MAPPING", 0x80200015u},
    {"BG_E_NEW_OWNER_NO_FILE_ACCESS", 0x80200016u},
    {"BG_E_PROXY_LIST_TOO_LARGE", 0x80200018u},
    {"BG_E_PROXY_BYPASS_LIST_TOO_LARGE", 0x80200019u},
    {"BG_E_INVALID_SERVER_RESPONSE", 0x8020001Bu},
    {"BG_E_TOO_MANY_FILES", 0x8020001Cu},
    {"BG_E_LOCAL_FILE_CHANGED", 0x8020001Du},
    {"BG_E_ERROR_CONTEXT_REMOTE_APPLICATION", 0x8020001Eu},
    {"BG_E_SESSION_NOT_FOUND", 0x8020001Fu},
    {"BG_E_TOO_LARGE", 0x80200020u},
    {"BG_E_STRING_TOO_LONG", 0x80200021u},
    {"BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH", 0x80200022u},
    {"BG_E_SERVER_EXECUTE_ENABLE", 0x80200023u},
    {"BG_E_NO_PROGRESS", 0x80200024u},
    {"BG_E_USERNAME_TOO_LARGE", 0x80200025u},
    {"BG_E_PASSWORD_TOO_LARGE", 0x80200026u},
    {"BG_E_INVALID_AUTH_TARGET", 0x80200027u},
    {"BG_E_INVALID_AUTH_SCHEME", 0x80200028u},
    {"BG_E_FILE_NOT_FOUND", 0x80200029u},
    {"BG_E_INVALID_RANGE", 0x8020002Bu},
    {"BG_E_OVERLAPPING_RANGES", 0x8020002Cu},
    {"BG_E_CONNECT_FAILURE", 0x8020002Du},
    {"BG_E_CONNECTION_CLOSED", 0x8020002Eu},
    {"BG_E_KEEP_ALIVE_FAILURE", 0x8020002Fu},
    {"BG_E_MESSAGE_LENGTH_LIMIT_EXCEEDED", 0x80200030u},
    {"BG_E_NAME_RESOLUTION_FAILURE", 0x80200031u},
    {"BG_E_PENDING", 0x80200032u},
    {"BG_E_PIPELINE_FAILURE", 0x80200033u},
    {"BG_E_PROTOCOL_ERROR", 0x80200034u},
    {"BG_E_PROXY_NAME_RESOLUTION_FAILURE", 0x80200035u},
    {"BG_E_RECEIVE_FAILURE", 0x80200036u},
    {"BG_E_REQUEST_CANCELED", 0x80200037u},
    {"BG_E_SECURE_CHANNEL_FAILURE", 0x80200038u},
    {"BG_E_SEND_FAILURE", 0x80200039u},
    {"BG_E_SERVER_PROTOCOL_VIOLATION", 0x8020003Au},
    {"BG_E_TIMEOUT", 0x8020003Bu},
    {"BG_E_TRUST_FAILURE", 0x8020003Cu},
    {"BG_E_UNKNOWN_ERROR", 0x8020003Du},
    {"BG_E_BLOCKED_BY_POLICY", 0x8020003Eu},
    {"BG_E_INVALID_PROXY_INFO", 0x8020003Fu},
    {"BG_E_INVALID_CREDENTIALS", 0x80200040u},
    {"BG_E_INVALID_HASH_ALGORITHM", 0x80200041u},
    {"BG_E_RECORD_DELETED", 0x80200042u},
    {"BG_E_COMMIT_IN_PROGRESS", 0x80200043u},
    {"BG_E_DISCOVERY_IN_PROGRESS", 0x80200044u},
    {"BG_E_UPNP_ERROR", 0x80200045u},
    {"BG_E_TEST_OPTION_BLOCKED_DOWNLOAD", 0x80200046u},
    {"BG_E_PEERCACHING_DISABLED", 0x80200047u},
    {"BG_E_BUSYCACHERECORD", 0x80200048u},
    {"BG_E_TOO_MANY_JOBS_PER_USER", 0x80200049u},
    {"BG_E_TOO_MANY_JOBS_PER_MACHINE", 0x80200050u},
    {"BG_E_TOO_MANY_FILES_IN_JOB", 0x80200051u},
    {"BG_E_TOO_MANY_RANGES_IN_FILE", 0x80200052u},
    {"BG_E_VALIDATION_FAILED", 0x80200053u},
    {"BG_E_MAXDOWNLOAD_TIMEOUT", 0x80200054u},
    {"BG_E_TOKEN_REQUIRED", 0x80200056u},
    {"BG_E_UNKNOWN_PROPERTY_ID", 0x80200057u},
    {"BG_E_READ_ONLY_PROPERTY", 0x80200058u},
    {"BG_E_BLOCKED_BY_COST_TRANSFER_POLICY", 0x80200059u},
    {"BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY", 0x80200060u},
    {"BG_E_READ_ONLY_PROPERTY_AFTER_ADDFILE", 0x80200061u},
    {"BG_E_READ_ONLY_PROPERTY_AFTER_RESUME", 0x80200062u},
    {"BG_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE", 0x80200063u},
    {"BG_E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED", 0x80200064u},
    {"BG_E_STANDBY_MODE", 0x80200065u},
    {"BG_E_USE_STORED_CREDENTIALS_NOT_SUPPORTED", 0x80200066u},
    {"BG_E_BLOCKED_BY_BATTERY_POLICY", 0x80200067u},
    {"BG_E_BLOCKED_BY_BATTERY_SAVER", 0x80200068u},
    {"BG_E_WATCHDOG_TIMEOUT", 0x80200069u},
    {"BG_E_APP_PACKAGE_NOT_FOUND", 0x8020006Au},
    {"BG_E_APP_PACKAGE_SCENARIO_NOT_SUPPORTED", 0x8020006Bu},
    {"BG_E_DATABASE_CORRUPT", 0x8020006Cu},
    {"BG_E_RANDOM_ACCESS_NOT_SUPPORTED", 0x8020006Du},
    {"BG_E_BLOCKED_BY_BACKGROUND_ACCESS_POLICY", 0x8020006Eu},
    {"BG_E_BLOCKED_BY_GAME_MODE", 0x8020006Fu},
    {"BG_E_BLOCKED_BY_SYSTEM_POLICY", 0x80200070u},
    {"BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD", 0x80200071u},
    {"BG_E_UNSUPPORTED_JOB_CONFIGURATION", 0x80200072u},
    {"BG_E_REMOTE_FILE_CHANGED", 0x80200073u},
    {"BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED", 0x80200074u},
    {"BG_E_READ_ONLY_WHEN_JOB_ACTIVE", 0x80200075u},
    {"BG_E_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK", 0x80200076u},
};

/* The legacy QMgr codes and the event-log message IDs reference 4.2 lists "for completeness":
 * BGCOPY_E_QM_<rest> for QM_E_<rest>, BGCOPY_E_MC_<rest> for BITS_MC_<rest>. */
static const struct named_value legacy_codes[] = {
    {"QM_E_INVALID_STATE", 0x81001001u},
    {"QM_E_SERVICE_UNAVAILABLE", 0x81001002u},
    {"QM_E_DOWNLOADER_UNAVAILABLE", 0x81001003u},
    {"QM_E_ITEM_NOT_FOUND", 0x81001004u},
    {"BITS_MC_JOB_CANCELLED", 0x80194000u},
    {"BITS_MC_FILE_DELETION_FAILED", 0x80194001u},
    {"BITS_MC_FILE_DELETION_FAILED_MORE", 0x80194002u},
    {"BITS_MC_JOB_PROPERTY_CHANGE", 0x80194003u},
    {"BITS_MC_JOB_TAKE_OWNERSHIP", 0x80194004u},
    {"BITS_MC_JOB_SCAVENGED", 0x80194005u},
    {"BITS_MC_JOB_NOTIFICATION_FAILURE", 0x80194006u},
    {"BITS_MC_STATE_FILE_CORRUPT", 0x80194007u},
    {"BITS_MC_FAILED_TO_START", 0x80194008u},
    {"BITS_MC_FATAL_IGD_ERROR", 0x80194009u},
    {"BITS_MC_PEERCACHING_PORT", 0x8019400Au},
    {"BITS_MC_WSD_PORT", 0x8019400Bu},
};

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void test_exact_values(void **state)
{
    (void)state;
    assert_true(BGCOPY_E_INVALID_STATE == (bgcopy_hr)0x80200002u);
    assert_hr_equal(BGCOPY_E_INVALID_STATE, 0x80200002u);
    assert_hr_equal(BGCOPY_E_NOT_FOUND, 0x80200001u);
    assert_hr_equal(BGCOPY_E_EMPTY, 0x80200003u);
    assert_hr_equal(BGCOPY_E_FILE_NOT_AVAILABLE, 0x80200004u);
    assert_hr_equal(BGCOPY_E_PROTOCOL_NOT_AVAILABLE, 0x80200005u);
    assert_hr_equal(BGCOPY_S_ERROR_CONTEXT_NONE, 0x00200006u);
    assert_hr_equal(BGCOPY_E_ERROR_CONTEXT_REMOTE_FILE, 0x8020000Au);
    assert_hr_equal(BGCOPY_E_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION, 0x8020000Cu);
    assert_hr_equal(BGCOPY_E_ERROR_CONTEXT_REMOTE_APPLICATION, 0x8020001Eu);
    assert_hr_equal(BGCOPY_E_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK, 0x80200076u);
    assert_hr_equal(BGCOPY_E_ERROR_INFORMATION_UNAVAILABLE, 0x8020000Fu);
    assert_hr_equal(BGCOPY_E_NETWORK_DISCONNECTED, 0x80200010u);
    assert_hr_equal(BGCOPY_E_MISSING_FILE_SIZE, 0x80200011u);
    assert_hr_equal(BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT, 0x80200013u);
    assert_hr_equal(BGCOPY_S_PARTIAL_COMPLETE, 0x00200017u);
    assert_hr_equal(BGCOPY_S_UNABLE_TO_DELETE_FILES, 0x0020001Au);
    assert_hr_equal(BGCOPY_E_INVALID_SERVER_RESPONSE, 0x8020001Bu);
    assert_hr_equal(BGCOPY_E_TOO_MANY_FILES, 0x8020001Cu);
    assert_hr_equal(BGCOPY_E_LOCAL_FILE_CHANGED, 0x8020001Du);
    assert_hr_equal(BGCOPY_E_STRING_TOO_LONG, 0x80200021u);
    assert_hr_equal(BGCOPY_E_SERVER_EXECUTE_ENABLE, 0x80200023u);
    assert_hr_equal(BGCOPY_E_SERVER_EXECUTE_ENABLED, 0x80200023u);
    assert_hr_equal(BGCOPY_E_NO_PROGRESS, 0x80200024u);
    assert_hr_equal(BGCOPY_E_INVALID_RANGE, 0x8020002Bu);
    assert_hr_equal(BGCOPY_E_OVERLAPPING_RANGES, 0x8020002Cu);
    assert_hr_equal(BGCOPY_BG_E_PENDING, 0x80200032u);
    assert_hr_equal(BGCOPY_E_BLOCKED_BY_POLICY, 0x8020003Eu);
    assert_hr_equal(BGCOPY_E_TOO_MANY_JOBS_PER_USER, 0x80200049u);
    assert_hr_equal(BGCOPY_E_TOO_MANY_JOBS_PER_MACHINE, 0x80200050u);
    assert_hr_equal(BGCOPY_E_TOO_MANY_FILES_IN_JOB, 0x80200051u);
    assert_hr_equal(BGCOPY_E_TOO_MANY_RANGES_IN_FILE, 0x80200052u);
    assert_hr_equal(BGCOPY_E_MAXDOWNLOAD_TIMEOUT, 0x80200054u);
    assert_hr_equal(BGCOPY_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY, 0x80200060u);
    assert_hr_equal(BGCOPY_E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED, 0x80200064u);
    assert_hr_equal(BGCOPY_E_REMOTE_FILE_CHANGED, 0x80200073u);

    assert_hr_equal(BGCOPY_S_OK, 0x00000000u);
    assert_hr_equal(BGCOPY_S_FALSE, 0x00000001u);
    assert_hr_equal(BGCOPY_E_NOTIMPL, 0x80004001u);
    assert_hr_equal(BGCOPY_E_NOINTERFACE, 0x80004002u);
    assert_hr_equal(BGCOPY_E_POINTER, 0x80004003u);
    assert_hr_equal(BGCOPY_E_ABORT, 0x80004004u);
    assert_hr_equal(BGCOPY_E_FAIL, 0x80004005u);
    assert_hr_equal(BGCOPY_E_PENDING, 0x8000000Au);
    assert_hr_equal(BGCOPY_E_UNEXPECTED, 0x8000FFFFu);
    assert_hr_equal(BGCOPY_E_ACCESSDENIED, 0x80070005u);
    assert_hr_equal(BGCOPY_E_OUTOFMEMORY, 0x8007000Eu);
    assert_hr_equal(BGCOPY_E_INVALIDARG, 0x80070057u);

    assert_hr_equal(BGCOPY_E_WINHTTP_NAME_NOT_RESOLVED, 0x80072EE7u);
    assert_hr_equal(BGCOPY_E_WINHTTP_INVALID_SERVER_RESPONSE, 0x80072F78u);
    assert_hr_equal(BGCOPY_E_WIN32_CAN_NOT_COMPLETE, 0x800703EBu);
    assert_hr_equal(BGCOPY_E_WIN32_RESOURCE_LANG_NOT_FOUND, 0x80070717u);

    assert_true(BGCOPY_E_HTTP_ERROR(404) == (bgcopy_hr)0x80190194u);
    assert_hr_equal(BGCOPY_E_HTTP_ERROR(404), 0x80190194u);
    assert_hr_equal(BGCOPY_E_HTTP_ERROR_404, 0x80190194u);
    assert_hr_equal(BGCOPY_E_HTTP_ERROR_100, 0x80190064u);
    assert_hr_equal(BGCOPY_E_HTTP_ERROR_307, 0x80190133u);
    assert_hr_equal(BGCOPY_E_HTTP_ERROR_416, 0x801901A0u);
    assert_hr_equal(BGCOPY_E_HTTP_ERROR_449, 0x801901C1u);
    assert_hr_equal(BGCOPY_E_HTTP_ERROR_505, 0x801901F9u);
}

/* Each reference 4.1/4.2 code has a row with that value, that name, and the documented SYM. */
static void test_reference_bits_codes(void **state)
{
    size_t i;
    size_t j;

    (void)state;
    assert_int_equal(sizeof(bits_codes) / sizeof(bits_codes[0]), 106);
    for (i = 0; i < sizeof(bits_codes) / sizeof(bits_codes[0]); i++) {
        const struct row *found = NULL;
        const char *name = bgcopy_hr_name((bgcopy_hr)bits_codes[i].value);

        assert_non_null(name);
        assert_string_equal(name, bits_codes[i].name);
        for (j = 0; j < TABLE_ROWS; j++) {
            if (strcmp(table[j].name, bits_codes[i].name) == 0) {
                found = &table[j];
            }
        }
        assert_non_null(found);
        assert_hr_equal(found->constant, bits_codes[i].value);
        if (strcmp(found->name, "BG_E_PENDING") == 0) {
            assert_string_equal(found->sym, "BG_E_PENDING"); /* E_PENDING is the COM code */
        } else {
            assert_string_equal(found->sym, found->name + 3); /* name without "BG_" */
        }
    }
}

static void test_reference_legacy_codes(void **state)
{
    size_t i, j;

    (void)state;
    assert_int_equal(sizeof(legacy_codes) / sizeof(legacy_codes[0]), 16);
    assert_hr_equal(BGCOPY_E_QM_ITEM_NOT_FOUND, 0x81001004u);
    assert_hr_equal(BGCOPY_E_MC_JOB_SCAVENGED, 0x80194005u);
    for (i = 0; i < sizeof(legacy_codes) / sizeof(legacy_codes[0]); i++) {
        const struct row *found = NULL;
        const char *name = legacy_codes[i].name;
        char sym[64];

        assert_string_equal(bgcopy_hr_name((bgcopy_hr)legacy_codes[i].value), name);
        for (j = 0; j < TABLE_ROWS; j++) {
            if (strcmp(table[j].name, name) == 0) {
                found = &table[j];
            }
        }
        assert_non_null(found);
        assert_hr_equal(found->constant, legacy_codes[i].value);
        if (starts_with(name, "QM_E_")) {
            snprintf(sym, sizeof(sym), "E_QM_%s", name + 5);
        } else {
            assert_true(starts_with(name, "BITS_MC_"));
            snprintf(sym, sizeof(sym), "E_MC_%s", name + 8);
        }
        assert_string_equal(found->sym, sym);
    }
}

/* Every HTTP status of reference 4.3 has its own row, and no other status has one. */
static void test_reference_http_codes(void **state)
{
    static const int statuses[] = {
        100, 101, 200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304,
        305, 307, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411,
        412, 413, 414, 415, 416, 417, 449, 500, 501, 502, 503, 504, 505,
    };
    size_t i;
    size_t http_rows = 0;
    char expected[32];

    (void)state;
    for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        bgcopy_hr hr = BGCOPY_E_HTTP_ERROR(statuses[i]);

        snprintf(expected, sizeof(expected), "BG_E_HTTP_ERROR_%d", statuses[i]);
        assert_string_equal(bgcopy_hr_name(hr), expected);
        assert_true(BGCOPY_HR_IS_HTTP(hr));
        assert_int_equal(BGCOPY_HR_HTTP_STATUS(hr), statuses[i]);
    }
    for (i = 0; i < TABLE_ROWS; i++) {
        if (starts_with(table[i].sym, "E_HTTP_ERROR_")) {
            long status = strtol(table[i].sym + strlen("E_HTTP_ERROR_"), NULL, 10);

            http_rows++;
            assert_hr_equal(table[i].constant, BGCOPY_E_HTTP_ERROR(status));
            snprintf(expected, sizeof(expected), "BG_E_HTTP_ERROR_%ld", status);
            assert_string_equal(table[i].name, expected);
            snprintf(expected, sizeof(expected), "HTTP status %ld (", status);
            assert_non_null(strstr(table[i].message, expected));
        }
    }
    assert_int_equal(http_rows, sizeof(statuses) / sizeof(statuses[0]));
}

/* Win32 and WinHTTP rows equal HRESULT_FROM_WIN32 of the SDK's decimal error numbers. */
static void test_win32_values(void **state)
{
    static const struct {
        bgcopy_hr hr;
        uint32_t win32;
    } cases[] = {
        {BGCOPY_E_ACCESSDENIED, 5},
        {BGCOPY_E_OUTOFMEMORY, 14},
        {BGCOPY_E_INVALIDARG, 87},
        {BGCOPY_E_WIN32_FILE_NOT_FOUND, 2},
        {BGCOPY_E_WIN32_PATH_NOT_FOUND, 3},
        {BGCOPY_E_WIN32_INVALID_DATA, 13},
        {BGCOPY_E_WIN32_WRITE_FAULT, 29},
        {BGCOPY_E_WIN32_READ_FAULT, 30},
        {BGCOPY_E_WIN32_LOCK_VIOLATION, 33},
        {BGCOPY_E_WIN32_HANDLE_DISK_FULL, 39},
        {BGCOPY_E_WIN32_FILE_EXISTS, 80},
        {BGCOPY_E_WIN32_DISK_FULL, 112},
        {BGCOPY_E_WIN32_INVALID_NAME, 123},
        {BGCOPY_E_WIN32_BUSY, 170},
        {BGCOPY_E_WIN32_ALREADY_EXISTS, 183},
        {BGCOPY_E_WIN32_FILENAME_EXCED_RANGE, 206},
        {BGCOPY_E_WIN32_CAN_NOT_COMPLETE, 1003},
        {BGCOPY_E_WIN32_SERVICE_REQUEST_TIMEOUT, 1053},
        {BGCOPY_E_WIN32_SERVICE_ALREADY_RUNNING, 1056},
        {BGCOPY_E_WIN32_SERVICE_NOT_ACTIVE, 1062},
        {BGCOPY_E_WIN32_REVISION_MISMATCH, 1306},
        {BGCOPY_E_WIN32_RESOURCE_LANG_NOT_FOUND, 1815},
        {BGCOPY_E_WINHTTP_TIMEOUT, 12002},
        {BGCOPY_E_WINHTTP_INTERNAL_ERROR, 12004},
        {BGCOPY_E_WINHTTP_INVALID_URL, 12005},
        {BGCOPY_E_WINHTTP_UNRECOGNIZED_SCHEME, 12006},
        {BGCOPY_E_WINHTTP_NAME_NOT_RESOLVED, 12007},
        {BGCOPY_E_WINHTTP_CANNOT_CONNECT, 12029},
        {BGCOPY_E_WINHTTP_CONNECTION_ERROR, 12030},
        {BGCOPY_E_WINHTTP_RESEND_REQUEST, 12032},
        {BGCOPY_E_WINHTTP_SECURE_CERT_DATE_INVALID, 12037},
        {BGCOPY_E_WINHTTP_SECURE_CERT_CN_INVALID, 12038},
        {BGCOPY_E_WINHTTP_SECURE_INVALID_CA, 12045},
        {BGCOPY_E_WINHTTP_SECURE_CERT_REV_FAILED, 12057},
        {BGCOPY_E_WINHTTP_INVALID_SERVER_RESPONSE, 12152},
        {BGCOPY_E_WINHTTP_REDIRECT_FAILED, 12156},
        {BGCOPY_E_WINHTTP_SECURE_CERT_REVOKED, 12170},
        {BGCOPY_E_WINHTTP_SECURE_FAILURE, 12175},
    };
    size_t i;
    size_t win32_rows = 0;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_hr_equal(cases[i].hr, BGCOPY_HR_FROM_WIN32(cases[i].win32));
    }
    for (i = 0; i < TABLE_ROWS; i++) {
        if (starts_with(table[i].name, "HRESULT_FROM_WIN32(")) {
            win32_rows++;
            assert_hr_equal((uint32_t)table[i].constant & 0xFFFF0000u, 0x80070000u);
        }
    }
    assert_int_equal(win32_rows, 35); /* 19 Win32 + 16 WinHTTP: all covered above */
}

static void test_macros(void **state)
{
    (void)state;
    assert_true(BGCOPY_SUCCEEDED(BGCOPY_S_OK));
    assert_true(BGCOPY_SUCCEEDED(BGCOPY_S_FALSE));
    assert_true(BGCOPY_SUCCEEDED(BGCOPY_S_PARTIAL_COMPLETE));
    assert_false(BGCOPY_FAILED(BGCOPY_S_UNABLE_TO_DELETE_FILES));
    assert_true(BGCOPY_FAILED(BGCOPY_E_INVALID_STATE));
    assert_true(BGCOPY_FAILED(BGCOPY_E_HTTP_ERROR(404)));
    assert_false(BGCOPY_SUCCEEDED(BGCOPY_E_UNEXPECTED));
    assert_true(BGCOPY_FAILED(0x80000000u));
    assert_true(BGCOPY_SUCCEEDED(0x7FFFFFFF));

    assert_hr_equal(BGCOPY_HR_FROM_WIN32(0), 0);
    assert_hr_equal(BGCOPY_HR_FROM_WIN32(2), 0x80070002u);
    assert_hr_equal(BGCOPY_HR_FROM_WIN32(2u), BGCOPY_E_WIN32_FILE_NOT_FOUND);
    assert_hr_equal(BGCOPY_HR_FROM_WIN32(0x12345u), 0x80072345u); /* only low 16 bits kept */
    /* As in Windows, an argument that is already an HRESULT passes through unchanged. */
    assert_hr_equal(BGCOPY_HR_FROM_WIN32(0x80200002u), 0x80200002u);

    assert_true(BGCOPY_HR_IS_HTTP(BGCOPY_E_HTTP_ERROR_404));
    assert_true(BGCOPY_HR_IS_HTTP(0x80190258u));
    assert_false(BGCOPY_HR_IS_HTTP(0x00190194u)); /* severity bit clear */
    assert_false(BGCOPY_HR_IS_HTTP(BGCOPY_E_INVALID_STATE));
    assert_false(BGCOPY_HR_IS_HTTP(BGCOPY_E_WINHTTP_TIMEOUT));
    assert_false(BGCOPY_HR_IS_HTTP(0xA0190194u)); /* customer bit set */
    assert_int_equal(BGCOPY_HR_HTTP_STATUS(BGCOPY_E_HTTP_ERROR_404), 404);
    assert_int_equal(BGCOPY_HR_HTTP_STATUS(BGCOPY_E_HTTP_ERROR(503)), 503);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(bgcopy_hr_name(BGCOPY_E_INVALID_STATE), "BG_E_INVALID_STATE");
    assert_string_equal(bgcopy_hr_name(BGCOPY_S_PARTIAL_COMPLETE), "BG_S_PARTIAL_COMPLETE");
    assert_string_equal(bgcopy_hr_name(BGCOPY_E_SERVER_EXECUTE_ENABLED),
                        "BG_E_SERVER_EXECUTE_ENABLE");
    assert_string_equal(bgcopy_hr_name(BGCOPY_BG_E_PENDING), "BG_E_PENDING");
    assert_string_equal(bgcopy_hr_name(BGCOPY_E_PENDING), "E_PENDING");
    assert_string_equal(bgcopy_hr_name(BGCOPY_S_OK), "S_OK");
    assert_string_equal(bgcopy_hr_name(BGCOPY_E_INVALIDARG), "E_INVALIDARG");
    assert_string_equal(bgcopy_hr_name(BGCOPY_E_WIN32_FILE_NOT_FOUND),
                        "HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)");
    assert_string_equal(bgcopy_hr_name(BGCOPY_E_WINHTTP_NAME_NOT_RESOLVED),
                        "HRESULT_FROM_WIN32(ERROR_WINHTTP_NAME_NOT_RESOLVED)");
    assert_string_equal(bgcopy_hr_name(BGCOPY_E_HTTP_ERROR(404)), "BG_E_HTTP_ERROR_404");
    assert_string_equal(bgcopy_hr_name((bgcopy_hr)0x80190258u), "BG_E_HTTP_ERROR");
    assert_string_equal(bgcopy_hr_name(BGCOPY_E_HTTP_ERROR(418)), "BG_E_HTTP_ERROR");
    assert_null(bgcopy_hr_name((bgcopy_hr)0x12345678));
    assert_null(bgcopy_hr_name((bgcopy_hr)0x8020004Au)); /* unused BITS slot */
    assert_null(bgcopy_hr_name((bgcopy_hr)0xFFFFFFFFu));
}

static void test_messages(void **state)
{
    static const uint32_t probes[] = {
        0x00000000u, 0x12345678u, 0x80190258u, 0x8020004Au, 0xFFFFFFFFu,
        0x80000000u, 0x7FFFFFFFu, 0x80070000u, 0x80190000u, 0x8019FFFFu,
    };
    size_t i;

    (void)state;
    assert_string_equal(bgcopy_hr_message(BGCOPY_E_INVALID_STATE),
                        "The requested action is not allowed in the current job state.");
    assert_string_equal(bgcopy_hr_message(BGCOPY_E_HTTP_ERROR_404),
                        "The server returned HTTP status 404 (Not Found): "
                        "the requested URL does not exist on the server.");
    assert_string_equal(bgcopy_hr_message((bgcopy_hr)0x80190258u),
                        "The server returned an HTTP error status.");
    assert_string_equal(bgcopy_hr_message((bgcopy_hr)0x12345678), "Unknown error.");
    for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        const char *msg = bgcopy_hr_message((bgcopy_hr)probes[i]);

        assert_non_null(msg);
        assert_true(strlen(msg) > 0);
    }
}

/* Invariants of BGCOPY_HR_TABLE, iterated through the X-macro. */
static void test_table_invariants(void **state)
{
    size_t i;
    size_t j;
    size_t bits_rows = 0;

    (void)state;
    assert_int_equal(TABLE_ROWS, 211);
    for (i = 0; i < TABLE_ROWS; i++) {
        const struct row *r = &table[i];
        size_t len = strlen(r->message);
        const char *sym = starts_with(r->sym, "BG_") ? r->sym + 3 : r->sym;

        assert_hr_equal(r->constant, r->value);
        assert_true(strlen(r->name) > 0);
        assert_true(len > 1);
        assert_int_equal(r->message[len - 1], '.');
        assert_true(r->message[0] >= 'A' && r->message[0] <= 'Z');

        /* Lookups return this row's own strings. */
        assert_string_equal(bgcopy_hr_name(r->constant), r->name);
        assert_string_equal(bgcopy_hr_message(r->constant), r->message);

        /* S_ rows succeed, E_ rows fail. */
        if (starts_with(sym, "S_")) {
            assert_true(BGCOPY_SUCCEEDED(r->constant));
        } else {
            assert_true(starts_with(sym, "E_"));
            assert_true(BGCOPY_FAILED(r->constant));
        }

        if (starts_with(r->name, "BG_") && !starts_with(r->name, "BG_E_HTTP_ERROR_")) {
            bits_rows++;
            assert_int_equal((uint32_t)r->constant & 0x7FFF0000u, 0x00200000u); /* facility */
        }

        for (j = i + 1; j < TABLE_ROWS; j++) {
            assert_true(table[j].value != r->value);
            assert_true(strcmp(table[j].name, r->name) != 0);
            assert_true(strcmp(table[j].sym, r->sym) != 0);
        }
    }
    assert_int_equal(bits_rows, sizeof(bits_codes) / sizeof(bits_codes[0]));
}

static void test_format(void **state)
{
    char buf[160];
    char small[12];
    const char *full = "0x80200002 BG_E_INVALID_STATE: "
                       "The requested action is not allowed in the current job state.";
    int n;

    (void)state;
    n = bgcopy_hr_format(BGCOPY_E_INVALID_STATE, buf, sizeof(buf));
    assert_string_equal(buf, full);
    assert_int_equal(n, (int)strlen(full));

    n = bgcopy_hr_format(BGCOPY_E_ERROR_CONTEXT_REMOTE_FILE, buf, sizeof(buf));
    assert_string_equal(buf, "0x8020000A BG_E_ERROR_CONTEXT_REMOTE_FILE: "
                             "The error occurred while the remote file was being processed.");
    assert_int_equal(n, (int)strlen(buf));

    bgcopy_hr_format(BGCOPY_S_OK, buf, sizeof(buf));
    assert_string_equal(buf, "0x00000000 S_OK: The operation completed successfully.");

    bgcopy_hr_format((bgcopy_hr)0x80190258u, buf, sizeof(buf));
    assert_string_equal(buf, "0x80190258 BG_E_HTTP_ERROR: "
                             "The server returned an HTTP error status.");

    bgcopy_hr_format((bgcopy_hr)0x12345678, buf, sizeof(buf));
    assert_string_equal(buf, "0x12345678: Unknown error.");

    /* snprintf semantics: truncation keeps a NUL, the return value is the full length. */
    n = bgcopy_hr_format(BGCOPY_E_INVALID_STATE, small, sizeof(small));
    assert_int_equal(n, (int)strlen(full));
    assert_string_equal(small, "0x80200002 ");
    assert_int_equal(bgcopy_hr_format(BGCOPY_E_INVALID_STATE, NULL, 0), (int)strlen(full));
    assert_int_equal(bgcopy_hr_format(BGCOPY_E_INVALID_STATE, NULL, 99), (int)strlen(full));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_values),
        cmocka_unit_test(test_reference_bits_codes),
        cmocka_unit_test(test_reference_legacy_codes),
        cmocka_unit_test(test_reference_http_codes),
        cmocka_unit_test(test_win32_values),
        cmocka_unit_test(test_macros),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_table_invariants),
        cmocka_unit_test(test_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
