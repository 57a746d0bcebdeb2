/* bgcopy/types.h - BITS enumerations, constants and plain structures.
 *
 * Every enumeration carries the numeric values BITS uses (BG_JOB_STATE,
 * BG_JOB_PRIORITY, BG_ERROR_CONTEXT, notify flags ...), so a trace produced by
 * the emulation compares number for number with one from Windows. Structures
 * mirror BG_JOB_PROGRESS, BG_FILE_PROGRESS, BG_JOB_TIMES and BG_FILE_RANGE with
 * the same field meanings. Nothing here allocates; everything is plain data.
 */
#ifndef BGCOPY_TYPES_H
#define BGCOPY_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "bgcopy/export.h"
#include "bgcopy/errors.h"

BGCOPY_BEGIN_DECLS

/* Opaque objects. Jobs, files, errors and enumerators are reference counted:
 * a pointer handed out by a function is owned by the caller, who drops it with
 * the matching _release. A pointer passed to a callback is borrowed for the
 * duration of the call (take a reference with _addref to keep it). */
typedef struct bgcopy_manager bgcopy_manager;
typedef struct bgcopy_job bgcopy_job;
typedef struct bgcopy_file bgcopy_file;
typedef struct bgcopy_error bgcopy_error;
typedef struct bgcopy_job_enum bgcopy_job_enum;
typedef struct bgcopy_file_enum bgcopy_file_enum;
typedef struct bgcopy_sim bgcopy_sim;

/* A GUID in the byte order of its canonical text form
 * {00112233-4455-6677-8899-aabbccddeeff} -> b[0] = 0x00 ... b[15] = 0xff. */
typedef struct bgcopy_guid {
    uint8_t b[16];
} bgcopy_guid;

/* Length of "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" plus the terminating NUL. */
#define BGCOPY_GUID_STRING_SIZE 39

/* Times are FILETIME values: 100-nanosecond intervals since 1601-01-01 UTC,
 * as in BG_JOB_TIMES. 0 means "not set" (e.g. TransferCompletionTime of a job
 * that never reached TRANSFERRED). */
typedef uint64_t bgcopy_filetime;

/* Seconds between 1601-01-01 and 1970-01-01. */
#define BGCOPY_FILETIME_UNIX_EPOCH 11644473600ULL

/* BG_SIZE_UNKNOWN / BG_LENGTH_TO_EOF. */
#define BGCOPY_SIZE_UNKNOWN  UINT64_MAX
#define BGCOPY_LENGTH_TO_EOF UINT64_MAX

/* BG_JOB_TYPE */
typedef enum bgcopy_job_type {
    BGCOPY_JOB_TYPE_DOWNLOAD = 0,
    BGCOPY_JOB_TYPE_UPLOAD = 1,
    BGCOPY_JOB_TYPE_UPLOAD_REPLY = 2
} bgcopy_job_type;

/* BG_JOB_STATE */
typedef enum bgcopy_job_state {
    BGCOPY_JOB_STATE_QUEUED = 0,
    BGCOPY_JOB_STATE_CONNECTING = 1,
    BGCOPY_JOB_STATE_TRANSFERRING = 2,
    BGCOPY_JOB_STATE_SUSPENDED = 3,
    BGCOPY_JOB_STATE_ERROR = 4,
    BGCOPY_JOB_STATE_TRANSIENT_ERROR = 5,
    BGCOPY_JOB_STATE_TRANSFERRED = 6,
    BGCOPY_JOB_STATE_ACKNOWLEDGED = 7,
    BGCOPY_JOB_STATE_CANCELLED = 8
} bgcopy_job_state;

#define BGCOPY_JOB_STATE_COUNT 9

/* BG_JOB_PRIORITY */
typedef enum bgcopy_job_priority {
    BGCOPY_JOB_PRIORITY_FOREGROUND = 0,
    BGCOPY_JOB_PRIORITY_HIGH = 1,
    BGCOPY_JOB_PRIORITY_NORMAL = 2,
    BGCOPY_JOB_PRIORITY_LOW = 3
} bgcopy_job_priority;

/* BG_ERROR_CONTEXT */
typedef enum bgcopy_error_context {
    BGCOPY_ERROR_CONTEXT_NONE = 0,
    BGCOPY_ERROR_CONTEXT_UNKNOWN = 1,
    BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER = 2,
    BGCOPY_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION = 3,
    BGCOPY_ERROR_CONTEXT_LOCAL_FILE = 4,
    BGCOPY_ERROR_CONTEXT_REMOTE_FILE = 5,
    BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT = 6,
    BGCOPY_ERROR_CONTEXT_REMOTE_APPLICATION = 7,
    BGCOPY_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK = 8
} bgcopy_error_context;

/* BG_JOB_PROXY_USAGE */
typedef enum bgcopy_proxy_usage {
    BGCOPY_PROXY_USAGE_PRECONFIG = 0,
    BGCOPY_PROXY_USAGE_NO_PROXY = 1,
    BGCOPY_PROXY_USAGE_OVERRIDE = 2,
    BGCOPY_PROXY_USAGE_AUTODETECT = 3
} bgcopy_proxy_usage;

/* BG_AUTH_TARGET / BG_AUTH_SCHEME */
typedef enum bgcopy_auth_target {
    BGCOPY_AUTH_TARGET_SERVER = 1,
    BGCOPY_AUTH_TARGET_PROXY = 2
} bgcopy_auth_target;

typedef enum bgcopy_auth_scheme {
    BGCOPY_AUTH_SCHEME_BASIC = 1,
    BGCOPY_AUTH_SCHEME_DIGEST = 2,
    BGCOPY_AUTH_SCHEME_NTLM = 3,
    BGCOPY_AUTH_SCHEME_NEGOTIATE = 4,
    BGCOPY_AUTH_SCHEME_PASSPORT = 5
} bgcopy_auth_scheme;

/* Notify flags (BG_NOTIFY_*). The default of a new job is 0x3. */
#define BGCOPY_NOTIFY_JOB_TRANSFERRED         0x0001u
#define BGCOPY_NOTIFY_JOB_ERROR               0x0002u
#define BGCOPY_NOTIFY_DISABLE                 0x0004u
#define BGCOPY_NOTIFY_JOB_MODIFICATION        0x0008u
#define BGCOPY_NOTIFY_FILE_TRANSFERRED        0x0010u
#define BGCOPY_NOTIFY_FILE_RANGES_TRANSFERRED 0x0020u
#define BGCOPY_NOTIFY_ALL_VALID               0x003Fu

/* EnumJobs flag (BG_JOB_ENUM_ALL_USERS). */
#define BGCOPY_JOB_ENUM_ALL_USERS 0x0001u

/* HTTP security flags (IBackgroundCopyJobHttpOptions::SetSecurityFlags). */
#define BGCOPY_SSL_ENABLE_CRL_CHECK                     0x0001u
#define BGCOPY_SSL_IGNORE_CERT_CN_INVALID               0x0002u
#define BGCOPY_SSL_IGNORE_CERT_DATE_INVALID             0x0004u
#define BGCOPY_SSL_IGNORE_UNKNOWN_CA                    0x0008u
#define BGCOPY_SSL_IGNORE_CERT_WRONG_USAGE              0x0010u
#define BGCOPY_HTTP_REDIRECT_POLICY_MASK                0x0700u
#define BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_SILENT        0x0000u
#define BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_REPORT        0x0100u
#define BGCOPY_HTTP_REDIRECT_POLICY_DISALLOW            0x0200u
#define BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP 0x0800u

/* BITS_JOB_PROPERTY_ID (IBackgroundCopyJob5::SetProperty). */
typedef enum bgcopy_job_property_id {
    BGCOPY_JOB_PROPERTY_ID_COST_FLAGS = 1,
    BGCOPY_JOB_PROPERTY_NOTIFICATION_CLSID = 2,
    BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT = 3,
    BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE = 4,
    BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE = 5,
    BGCOPY_JOB_PROPERTY_USE_STORED_CREDENTIALS = 7,
    BGCOPY_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS = 9,
    BGCOPY_JOB_PROPERTY_ON_DEMAND_MODE = 10
} bgcopy_job_property_id;

/* BITS_JOB_PROPERTY_VALUE. Which member is meaningful depends on the id:
 * dword for COST_FLAGS and MINIMUM_NOTIFICATION_INTERVAL_MS, clsid for
 * NOTIFICATION_CLSID, enable for DYNAMIC_CONTENT, HIGH_PERFORMANCE and
 * ON_DEMAND_MODE, uint64 for MAX_DOWNLOAD_SIZE, target for
 * USE_STORED_CREDENTIALS. */
typedef union bgcopy_job_property_value {
    uint32_t dword;
    bgcopy_guid clsid;
    int enable;
    uint64_t uint64;
    bgcopy_auth_target target;
} bgcopy_job_property_value;

/* BITS_COST_STATE_* bits and composite transfer policies. */
#define BGCOPY_COST_STATE_UNRESTRICTED          0x00000001u
#define BGCOPY_COST_STATE_CAPPED_USAGE_UNKNOWN  0x00000002u
#define BGCOPY_COST_STATE_BELOW_CAP             0x00000004u
#define BGCOPY_COST_STATE_NEAR_CAP              0x00000008u
#define BGCOPY_COST_STATE_OVERCAP_CHARGED       0x00000010u
#define BGCOPY_COST_STATE_OVERCAP_THROTTLED     0x00000020u
#define BGCOPY_COST_STATE_USAGE_BASED           0x00000040u
#define BGCOPY_COST_STATE_ROAMING               0x00000080u
#define BGCOPY_COST_OPTION_IGNORE_CONGESTION    0x80000000u
#define BGCOPY_COST_STATE_RESERVED              0x40000000u
#define BGCOPY_COST_STATE_TRANSFER_ALWAYS       0x800000FFu
#define BGCOPY_COST_STATE_TRANSFER_NOT_ROAMING  0x8000007Fu
#define BGCOPY_COST_STATE_TRANSFER_NO_SURCHARGE 0x8000006Fu
#define BGCOPY_COST_STATE_TRANSFER_STANDARD     0x80000067u
#define BGCOPY_COST_STATE_TRANSFER_UNRESTRICTED 0x80000021u

/* BG_JOB_PROGRESS. bytes_total is BGCOPY_SIZE_UNKNOWN while any file's size is
 * unknown, and 0 for a job without files. */
typedef struct bgcopy_job_progress {
    uint64_t bytes_total;
    uint64_t bytes_transferred;
    uint32_t files_total;
    uint32_t files_transferred;
} bgcopy_job_progress;

/* BG_FILE_PROGRESS. completed is 1 once the file is available under its
 * local name (renamed by Complete). */
typedef struct bgcopy_file_progress {
    uint64_t bytes_total;
    uint64_t bytes_transferred;
    int completed;
} bgcopy_file_progress;

/* BG_JOB_TIMES */
typedef struct bgcopy_job_times {
    bgcopy_filetime creation_time;
    bgcopy_filetime modification_time;
    bgcopy_filetime transfer_completion_time;
} bgcopy_job_times;

/* BG_JOB_REPLY_PROGRESS */
typedef struct bgcopy_reply_progress {
    uint64_t bytes_total;
    uint64_t bytes_transferred;
} bgcopy_reply_progress;

/* BG_FILE_RANGE. length may be BGCOPY_LENGTH_TO_EOF; it must not be 0. */
typedef struct bgcopy_file_range {
    uint64_t initial_offset;
    uint64_t length;
} bgcopy_file_range;

/* BG_FILE_INFO. Both names are UTF-8 and borrowed by the call they are
 * passed to. */
typedef struct bgcopy_file_info {
    const char *remote_name;
    const char *local_name;
} bgcopy_file_info;

/* Frees a string or array handed out by the library (the counterpart of
 * CoTaskMemFree). NULL is accepted. Thread-safe. */
BGCOPY_EXTERN void bgcopy_free(void *p);

/* Formats a GUID as "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" (lower case) into
 * buf, which must hold BGCOPY_GUID_STRING_SIZE bytes.
 * Errors: E_POINTER when guid or buf is NULL. */
BGCOPY_EXTERN bgcopy_hr bgcopy_guid_to_string(const bgcopy_guid *guid, char *buf);

/* Parses a GUID with or without braces, either case.
 * Errors: E_POINTER for NULL arguments, E_INVALIDARG for malformed text (out
 * is left untouched). */
BGCOPY_EXTERN bgcopy_hr bgcopy_guid_from_string(const char *text, bgcopy_guid *out);

/* Returns 1 when both GUIDs are equal, 0 otherwise. */
BGCOPY_EXTERN int bgcopy_guid_equal(const bgcopy_guid *a, const bgcopy_guid *b);

/* Names of enumeration values as bitsadmin prints them ("TRANSFERRED",
 * "FOREGROUND", "DOWNLOAD"); NULL for values outside the enumeration. */
BGCOPY_EXTERN const char *bgcopy_job_state_name(bgcopy_job_state state);
BGCOPY_EXTERN const char *bgcopy_job_priority_name(bgcopy_job_priority priority);
BGCOPY_EXTERN const char *bgcopy_job_type_name(bgcopy_job_type type);
BGCOPY_EXTERN const char *bgcopy_error_context_name(bgcopy_error_context context);

/* Converts between FILETIME and seconds since the Unix epoch. */
BGCOPY_EXTERN bgcopy_filetime bgcopy_filetime_from_unix(double unix_seconds);
BGCOPY_EXTERN double bgcopy_filetime_to_unix(bgcopy_filetime ft);

BGCOPY_END_DECLS

#endif /* BGCOPY_TYPES_H */
