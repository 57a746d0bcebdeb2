/** @file bgcopy/types.h
 * bgcopy/types.h - BITS enumerations, constants and plain structures.
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

/** A manager: one user's connection to an engine (IBackgroundCopyManager).
 * Opaque; opened with bgcopy_manager_open, closed with bgcopy_manager_close. */
typedef struct bgcopy_manager bgcopy_manager;
/** A job (IBackgroundCopyJob). Opaque and reference counted: a pointer handed
 * out by a function is owned by the caller, who drops it with
 * bgcopy_job_release; a pointer passed to a callback is borrowed for the
 * duration of the call (take a reference with bgcopy_job_addref to keep it). */
typedef struct bgcopy_job bgcopy_job;
/** A file of a job (IBackgroundCopyFile). Opaque and reference counted like
 * bgcopy_job (bgcopy_file_addref, bgcopy_file_release). */
typedef struct bgcopy_file bgcopy_file;
/** An error object (IBackgroundCopyError). Opaque and reference counted like
 * bgcopy_job (bgcopy_error_addref, bgcopy_error_release). */
typedef struct bgcopy_error bgcopy_error;
/** A snapshot enumerator of jobs (IEnumBackgroundCopyJobs). Opaque; owned by
 * the caller, dropped with bgcopy_job_enum_release. */
typedef struct bgcopy_job_enum bgcopy_job_enum;
/** A snapshot enumerator of a job's files (IEnumBackgroundCopyFiles). Opaque;
 * owned by the caller, dropped with bgcopy_file_enum_release. */
typedef struct bgcopy_file_enum bgcopy_file_enum;
/** A simulation: virtual clock and scripted network (bgcopy/sim.h). Opaque;
 * created with bgcopy_sim_create, destroyed with bgcopy_sim_destroy. */
typedef struct bgcopy_sim bgcopy_sim;

/** A GUID in the byte order of its canonical text form
 * {00112233-4455-6677-8899-aabbccddeeff} -> b[0] = 0x00 ... b[15] = 0xff. */
typedef struct bgcopy_guid {
    uint8_t b[16]; /**< The 16 bytes, in text order. */
} bgcopy_guid;

/** Length of "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" plus the terminating NUL. */
#define BGCOPY_GUID_STRING_SIZE 39

/** Times are FILETIME values: 100-nanosecond intervals since 1601-01-01 UTC,
 * as in BG_JOB_TIMES. 0 means "not set" (e.g.\ TransferCompletionTime of a job
 * that never reached TRANSFERRED). */
typedef uint64_t bgcopy_filetime;

/** Seconds between 1601-01-01 and 1970-01-01. */
#define BGCOPY_FILETIME_UNIX_EPOCH 11644473600ULL

/** BG_SIZE_UNKNOWN: a size that is not known (yet). */
#define BGCOPY_SIZE_UNKNOWN UINT64_MAX
/** BG_LENGTH_TO_EOF: a range that extends to the end of the file. */
#define BGCOPY_LENGTH_TO_EOF UINT64_MAX

/** BG_JOB_TYPE */
typedef enum bgcopy_job_type {
    BGCOPY_JOB_TYPE_DOWNLOAD = 0,    /**< Download: any number of files. */
    BGCOPY_JOB_TYPE_UPLOAD = 1,      /**< Upload: exactly one file. */
    BGCOPY_JOB_TYPE_UPLOAD_REPLY = 2 /**< Upload, then download the server's reply. */
} bgcopy_job_type;

/** BG_JOB_STATE */
typedef enum bgcopy_job_state {
    BGCOPY_JOB_STATE_QUEUED = 0,          /**< Runnable, waiting for the scheduler. */
    BGCOPY_JOB_STATE_CONNECTING = 1,      /**< Connecting to the server. */
    BGCOPY_JOB_STATE_TRANSFERRING = 2,    /**< Moving bytes. */
    BGCOPY_JOB_STATE_SUSPENDED = 3,       /**< Paused; every new job starts here. */
    BGCOPY_JOB_STATE_ERROR = 4,           /**< Fatal error; not retried until Resume. */
    BGCOPY_JOB_STATE_TRANSIENT_ERROR = 5, /**< Recoverable error; retried after a delay. */
    BGCOPY_JOB_STATE_TRANSFERRED = 6,     /**< All files transferred; Complete is due. */
    BGCOPY_JOB_STATE_ACKNOWLEDGED = 7,    /**< Final: Complete succeeded. */
    BGCOPY_JOB_STATE_CANCELLED = 8        /**< Final: cancelled. */
} bgcopy_job_state;

/** Number of job states (0 to 8). */
#define BGCOPY_JOB_STATE_COUNT 9

/** BG_JOB_PRIORITY */
typedef enum bgcopy_job_priority {
    BGCOPY_JOB_PRIORITY_FOREGROUND = 0, /**< Full speed; foreground jobs run concurrently. */
    BGCOPY_JOB_PRIORITY_HIGH = 1,       /**< Highest background priority. */
    BGCOPY_JOB_PRIORITY_NORMAL = 2,     /**< Background; the default. */
    BGCOPY_JOB_PRIORITY_LOW = 3         /**< Lowest background priority. */
} bgcopy_job_priority;

/** BG_ERROR_CONTEXT */
typedef enum bgcopy_error_context {
    /** No error. */
    BGCOPY_ERROR_CONTEXT_NONE = 0,
    /** The origin of the error is unknown. */
    BGCOPY_ERROR_CONTEXT_UNKNOWN = 1,
    /** Raised by the queue manager itself (policy, timeouts). */
    BGCOPY_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER = 2,
    /** Failure while notifying the application. */
    BGCOPY_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION = 3,
    /** A problem with the local file. */
    BGCOPY_ERROR_CONTEXT_LOCAL_FILE = 4,
    /** A problem with the remote file or server. */
    BGCOPY_ERROR_CONTEXT_REMOTE_FILE = 5,
    /** A transport failure not specific to the remote file (proxy). */
    BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT = 6,
    /** The server application that received an upload failed. */
    BGCOPY_ERROR_CONTEXT_REMOTE_APPLICATION = 7,
    /** The server-certificate validation callback rejected the certificate. */
    BGCOPY_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK = 8
} bgcopy_error_context;

/** BG_JOB_PROXY_USAGE */
typedef enum bgcopy_proxy_usage {
    BGCOPY_PROXY_USAGE_PRECONFIG = 0, /**< The system's proxy settings (the default). */
    BGCOPY_PROXY_USAGE_NO_PROXY = 1,  /**< Connect directly. */
    BGCOPY_PROXY_USAGE_OVERRIDE = 2,  /**< The job's proxy list and bypass list. */
    BGCOPY_PROXY_USAGE_AUTODETECT = 3 /**< Detect the proxy automatically. */
} bgcopy_proxy_usage;

/** BG_AUTH_TARGET */
typedef enum bgcopy_auth_target {
    BGCOPY_AUTH_TARGET_SERVER = 1, /**< BG_AUTH_TARGET_SERVER */
    BGCOPY_AUTH_TARGET_PROXY = 2   /**< BG_AUTH_TARGET_PROXY */
} bgcopy_auth_target;

/** BG_AUTH_SCHEME */
typedef enum bgcopy_auth_scheme {
    BGCOPY_AUTH_SCHEME_BASIC = 1,     /**< BG_AUTH_SCHEME_BASIC */
    BGCOPY_AUTH_SCHEME_DIGEST = 2,    /**< BG_AUTH_SCHEME_DIGEST */
    BGCOPY_AUTH_SCHEME_NTLM = 3,      /**< BG_AUTH_SCHEME_NTLM */
    BGCOPY_AUTH_SCHEME_NEGOTIATE = 4, /**< BG_AUTH_SCHEME_NEGOTIATE */
    BGCOPY_AUTH_SCHEME_PASSPORT = 5   /**< BG_AUTH_SCHEME_PASSPORT */
} bgcopy_auth_scheme;

/** @name Notify flags
 * Notify flags (BG_NOTIFY_*). The default of a new job is 0x3.
 * @{ */
/** BG_NOTIFY_JOB_TRANSFERRED: call job_transferred. */
#define BGCOPY_NOTIFY_JOB_TRANSFERRED 0x0001u
/** BG_NOTIFY_JOB_ERROR: call job_error. */
#define BGCOPY_NOTIFY_JOB_ERROR 0x0002u
/** BG_NOTIFY_DISABLE: no notification at all. */
#define BGCOPY_NOTIFY_DISABLE 0x0004u
/** BG_NOTIFY_JOB_MODIFICATION: call job_modification. */
#define BGCOPY_NOTIFY_JOB_MODIFICATION 0x0008u
/** BG_NOTIFY_FILE_TRANSFERRED: call file_transferred. */
#define BGCOPY_NOTIFY_FILE_TRANSFERRED 0x0010u
/** BG_NOTIFY_FILE_RANGES_TRANSFERRED: call file_ranges_transferred. */
#define BGCOPY_NOTIFY_FILE_RANGES_TRANSFERRED 0x0020u
/** Every defined notify flag. */
#define BGCOPY_NOTIFY_ALL_VALID 0x003Fu
/** @} */

/** EnumJobs flag (BG_JOB_ENUM_ALL_USERS). */
#define BGCOPY_JOB_ENUM_ALL_USERS 0x0001u

/** @name HTTP security flags
 * HTTP security flags (IBackgroundCopyJobHttpOptions::SetSecurityFlags).
 * @{ */
/** BG_SSL_ENABLE_CRL_CHECK */
#define BGCOPY_SSL_ENABLE_CRL_CHECK 0x0001u
/** BG_SSL_IGNORE_CERT_CN_INVALID */
#define BGCOPY_SSL_IGNORE_CERT_CN_INVALID 0x0002u
/** BG_SSL_IGNORE_CERT_DATE_INVALID */
#define BGCOPY_SSL_IGNORE_CERT_DATE_INVALID 0x0004u
/** BG_SSL_IGNORE_UNKNOWN_CA */
#define BGCOPY_SSL_IGNORE_UNKNOWN_CA 0x0008u
/** BG_SSL_IGNORE_CERT_WRONG_USAGE */
#define BGCOPY_SSL_IGNORE_CERT_WRONG_USAGE 0x0010u
/** BG_HTTP_REDIRECT_POLICY_MASK: the bits holding the redirect policy. */
#define BGCOPY_HTTP_REDIRECT_POLICY_MASK 0x0700u
/** BG_HTTP_REDIRECT_POLICY_ALLOW_SILENT */
#define BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_SILENT 0x0000u
/** BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT */
#define BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_REPORT 0x0100u
/** BG_HTTP_REDIRECT_POLICY_DISALLOW */
#define BGCOPY_HTTP_REDIRECT_POLICY_DISALLOW 0x0200u
/** BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP */
#define BGCOPY_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP 0x0800u
/** @} */

/** BITS_JOB_PROPERTY_ID (IBackgroundCopyJob5::SetProperty). */
typedef enum bgcopy_job_property_id {
    /** BITS_JOB_PROPERTY_ID_COST_FLAGS: transfer policy (BGCOPY_COST_STATE_*). */
    BGCOPY_JOB_PROPERTY_ID_COST_FLAGS = 1,
    /** BITS_JOB_PROPERTY_NOTIFICATION_CLSID: the notification COM class. */
    BGCOPY_JOB_PROPERTY_NOTIFICATION_CLSID = 2,
    /** BITS_JOB_PROPERTY_DYNAMIC_CONTENT: the server may omit Content-Length. */
    BGCOPY_JOB_PROPERTY_DYNAMIC_CONTENT = 3,
    /** BITS_JOB_PROPERTY_HIGH_PERFORMANCE */
    BGCOPY_JOB_PROPERTY_HIGH_PERFORMANCE = 4,
    /** BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE: bytes a file may have at most. */
    BGCOPY_JOB_PROPERTY_MAX_DOWNLOAD_SIZE = 5,
    /** BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS */
    BGCOPY_JOB_PROPERTY_USE_STORED_CREDENTIALS = 7,
    /** BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS: JobModification rate limit. */
    BGCOPY_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS = 9,
    /** BITS_JOB_PROPERTY_ON_DEMAND_MODE */
    BGCOPY_JOB_PROPERTY_ON_DEMAND_MODE = 10
} bgcopy_job_property_id;

/** BITS_JOB_PROPERTY_VALUE. Which member is meaningful depends on the id:
 * dword for COST_FLAGS and MINIMUM_NOTIFICATION_INTERVAL_MS, clsid for
 * NOTIFICATION_CLSID, enable for DYNAMIC_CONTENT, HIGH_PERFORMANCE and
 * ON_DEMAND_MODE, uint64 for MAX_DOWNLOAD_SIZE, target for
 * USE_STORED_CREDENTIALS. */
typedef union bgcopy_job_property_value {
    uint32_t dword;            /**< COST_FLAGS, MINIMUM_NOTIFICATION_INTERVAL_MS */
    bgcopy_guid clsid;         /**< NOTIFICATION_CLSID */
    int enable;                /**< DYNAMIC_CONTENT, HIGH_PERFORMANCE, ON_DEMAND_MODE */
    uint64_t uint64;           /**< MAX_DOWNLOAD_SIZE */
    bgcopy_auth_target target; /**< USE_STORED_CREDENTIALS */
} bgcopy_job_property_value;

/** @name Cost states
 * BITS_COST_STATE_* bits and composite transfer policies.
 * @{ */
/** BITS_COST_STATE_UNRESTRICTED */
#define BGCOPY_COST_STATE_UNRESTRICTED 0x00000001u
/** BITS_COST_STATE_CAPPED_USAGE_UNKNOWN */
#define BGCOPY_COST_STATE_CAPPED_USAGE_UNKNOWN 0x00000002u
/** BITS_COST_STATE_BELOW_CAP */
#define BGCOPY_COST_STATE_BELOW_CAP 0x00000004u
/** BITS_COST_STATE_NEAR_CAP */
#define BGCOPY_COST_STATE_NEAR_CAP 0x00000008u
/** BITS_COST_STATE_OVERCAP_CHARGED */
#define BGCOPY_COST_STATE_OVERCAP_CHARGED 0x00000010u
/** BITS_COST_STATE_OVERCAP_THROTTLED */
#define BGCOPY_COST_STATE_OVERCAP_THROTTLED 0x00000020u
/** BITS_COST_STATE_USAGE_BASED */
#define BGCOPY_COST_STATE_USAGE_BASED 0x00000040u
/** BITS_COST_STATE_ROAMING */
#define BGCOPY_COST_STATE_ROAMING 0x00000080u
/** BITS_COST_OPTION_IGNORE_CONGESTION */
#define BGCOPY_COST_OPTION_IGNORE_CONGESTION 0x80000000u
/** BITS_COST_STATE_RESERVED */
#define BGCOPY_COST_STATE_RESERVED 0x40000000u
/** BITS_COST_STATE_TRANSFER_ALWAYS (composite policy) */
#define BGCOPY_COST_STATE_TRANSFER_ALWAYS 0x800000FFu
/** BITS_COST_STATE_TRANSFER_NOT_ROAMING (composite policy) */
#define BGCOPY_COST_STATE_TRANSFER_NOT_ROAMING 0x8000007Fu
/** BITS_COST_STATE_TRANSFER_NO_SURCHARGE (composite policy) */
#define BGCOPY_COST_STATE_TRANSFER_NO_SURCHARGE 0x8000006Fu
/** BITS_COST_STATE_TRANSFER_STANDARD (composite policy) */
#define BGCOPY_COST_STATE_TRANSFER_STANDARD 0x80000067u
/** BITS_COST_STATE_TRANSFER_UNRESTRICTED (composite policy) */
#define BGCOPY_COST_STATE_TRANSFER_UNRESTRICTED 0x80000021u
/** @} */

/** BG_JOB_PROGRESS. bytes_total is BGCOPY_SIZE_UNKNOWN while any file's size is
 * unknown, and 0 for a job without files. */
typedef struct bgcopy_job_progress {
    uint64_t bytes_total;       /**< BytesTotal of all files. */
    uint64_t bytes_transferred; /**< BytesTransferred of all files. */
    uint32_t files_total;       /**< FilesTotal: files in the job. */
    uint32_t files_transferred; /**< FilesTransferred: files transferred so far. */
} bgcopy_job_progress;

/** BG_FILE_PROGRESS. completed is 1 once the file is available under its
 * local name (renamed by Complete). */
typedef struct bgcopy_file_progress {
    uint64_t bytes_total;       /**< BytesTotal; BGCOPY_SIZE_UNKNOWN while unknown. */
    uint64_t bytes_transferred; /**< BytesTransferred. */
    int completed;              /**< Completed: 1 once renamed to the local name. */
} bgcopy_file_progress;

/** BG_JOB_TIMES */
typedef struct bgcopy_job_times {
    bgcopy_filetime creation_time;            /**< CreationTime. */
    bgcopy_filetime modification_time;        /**< ModificationTime. */
    bgcopy_filetime transfer_completion_time; /**< TransferCompletionTime; 0 = not set. */
} bgcopy_job_times;

/** BG_JOB_REPLY_PROGRESS */
typedef struct bgcopy_reply_progress {
    uint64_t bytes_total;       /**< BytesTotal of the reply. */
    uint64_t bytes_transferred; /**< BytesTransferred of the reply. */
} bgcopy_reply_progress;

/** BG_FILE_RANGE. length may be BGCOPY_LENGTH_TO_EOF; it must not be 0. */
typedef struct bgcopy_file_range {
    uint64_t initial_offset; /**< InitialOffset: first byte of the range. */
    uint64_t length;         /**< Length in bytes, or BGCOPY_LENGTH_TO_EOF. */
} bgcopy_file_range;

/** BG_FILE_INFO. Both names are UTF-8 and borrowed by the call they are
 * passed to. */
typedef struct bgcopy_file_info {
    const char *remote_name; /**< RemoteName: the URL. */
    const char *local_name;  /**< LocalName: the absolute local path. */
} bgcopy_file_info;

/** Frees a string or array handed out by the library (the counterpart of
 * CoTaskMemFree). NULL is accepted. Thread-safe.
 * @param p the string or array, or NULL. */
BGCOPY_EXTERN void bgcopy_free(void *p);

/** Formats a GUID as "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" (lower case) into
 * buf, which must hold BGCOPY_GUID_STRING_SIZE bytes.
 * Errors: E_POINTER when guid or buf is NULL.
 * @param guid the GUID.
 * @param[out] buf receives the NUL-terminated text.
 * @return BGCOPY_S_OK or BGCOPY_E_POINTER. */
BGCOPY_EXTERN bgcopy_hr bgcopy_guid_to_string(const bgcopy_guid *guid, char *buf);

/** Parses a GUID with or without braces, either case.
 * Errors: E_POINTER for NULL arguments, E_INVALIDARG for malformed text (out
 * is left untouched).
 * @param text the GUID text.
 * @param[out] out receives the GUID.
 * @return BGCOPY_S_OK, BGCOPY_E_POINTER or BGCOPY_E_INVALIDARG. */
BGCOPY_EXTERN bgcopy_hr bgcopy_guid_from_string(const char *text, bgcopy_guid *out);

/** Returns 1 when both GUIDs are equal, 0 otherwise.
 * @param a first GUID (two NULL pointers compare equal, NULL and a GUID do not).
 * @param b second GUID.
 * @return 1 when equal, 0 otherwise. */
BGCOPY_EXTERN int bgcopy_guid_equal(const bgcopy_guid *a, const bgcopy_guid *b);

/** Names of enumeration values as bitsadmin prints them ("TRANSFERRED",
 * "FOREGROUND", "DOWNLOAD"); NULL for values outside the enumeration.
 * Static strings; any thread.
 * @param state a job state.
 * @return "QUEUED" ... "CANCELLED", or NULL. */
BGCOPY_EXTERN const char *bgcopy_job_state_name(bgcopy_job_state state);
/** The name of a priority as bitsadmin prints it ("FOREGROUND"); NULL for
 * values outside the enumeration. Static string; any thread.
 * @param priority a priority.
 * @return "FOREGROUND", "HIGH", "NORMAL", "LOW", or NULL. */
BGCOPY_EXTERN const char *bgcopy_job_priority_name(bgcopy_job_priority priority);
/** The name of a job type as bitsadmin prints it ("DOWNLOAD"); NULL for values
 * outside the enumeration. Static string; any thread.
 * @param type a job type.
 * @return "DOWNLOAD", "UPLOAD", "UPLOAD_REPLY", or NULL. */
BGCOPY_EXTERN const char *bgcopy_job_type_name(bgcopy_job_type type);
/** The name of an error context as bitsadmin prints it; NULL for values
 * outside the enumeration. Static string; any thread.
 * @param context an error context.
 * @return the name, or NULL. */
BGCOPY_EXTERN const char *bgcopy_error_context_name(bgcopy_error_context context);

/** Converts between FILETIME and seconds since the Unix epoch: seconds to
 * FILETIME. Times before 1601 (and NaN) give 0; times past the FILETIME range
 * give UINT64_MAX.
 * @param unix_seconds seconds since 1970-01-01 UTC.
 * @return the FILETIME value. */
BGCOPY_EXTERN bgcopy_filetime bgcopy_filetime_from_unix(double unix_seconds);
/** Converts between FILETIME and seconds since the Unix epoch: FILETIME to
 * seconds. FILETIMEs before 1970 (including 0, "not set") give 0.
 * @param ft a FILETIME value.
 * @return seconds since 1970-01-01 UTC. */
BGCOPY_EXTERN double bgcopy_filetime_to_unix(bgcopy_filetime ft);

BGCOPY_END_DECLS

#endif /* BGCOPY_TYPES_H */
