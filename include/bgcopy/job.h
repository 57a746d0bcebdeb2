/** @file bgcopy/job.h
 * bgcopy/job.h - jobs, files, error objects and notification callbacks
 * (IBackgroundCopyJob through Job5, IBackgroundCopyJobHttpOptions,
 * IBackgroundCopyFile through File3, IBackgroundCopyError,
 * IBackgroundCopyCallback through Callback3).
 *
 * Each function mirrors one COM method: the object first, inputs next, outputs
 * last. Every function returns the HRESULT real BITS returns for the same
 * call, including for misuse: a NULL output pointer is E_INVALIDARG (or
 * E_POINTER where BITS says so), an undefined enumeration value is E_NOTIMPL,
 * a mutating call on a CANCELLED or ACKNOWLEDGED job is BG_E_INVALID_STATE.
 * A failed call leaves the job exactly as it was.
 *
 * Strings are UTF-8. Strings and arrays handed out are freed with
 * bgcopy_free(). Threads: every function may be called from any thread,
 * including from inside a notification callback for any job.
 */
#ifndef BGCOPY_JOB_H
#define BGCOPY_JOB_H

#include "bgcopy/types.h"

BGCOPY_BEGIN_DECLS

/* ---- lifetime ---------------------------------------------------------- */

/** Takes a reference on a job (IUnknown::AddRef). NULL is accepted.
 * @param job the job, or NULL. */
BGCOPY_EXTERN void bgcopy_job_addref(bgcopy_job *job);
/** Drops a reference. Releasing the last reference neither cancels nor
 * removes the job (it stays in the engine, as in BITS). NULL is accepted.
 * @param job the job, or NULL. */
BGCOPY_EXTERN void bgcopy_job_release(bgcopy_job *job);

/* ---- files --------------------------------------------------------------- */

/** IBackgroundCopyJob::AddFile. remote_url: http://, https://, file:// or an
 * absolute local path (at most 2,200 characters, no wildcards). local_name:
 * an absolute path whose directory exists and is writable.
 * Errors: E_INVALIDARG (NULL, relative local path, unsupported scheme,
 * malformed name), E_ACCESSDENIED (directory not writable),
 * BG_E_TOO_MANY_FILES_IN_JOB, BG_E_TOO_MANY_FILES (second file of an upload
 * job), BG_E_INVALID_STATE (final state). Files may be added while the job
 * transfers (they are fetched after the others) and to a TRANSFERRED job
 * (Resume then fetches them).
 * @param job the job.
 * @param remote_url the URL or path to fetch; copied.
 * @param local_name the destination path; copied.
 * @return BGCOPY_S_OK or one of the errors above. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_add_file(bgcopy_job *job, const char *remote_url,
                                            const char *local_name);

/** IBackgroundCopyJob::AddFileSet: all files or none are added. Each entry is
 * checked as by bgcopy_job_add_file before any is added; count 0 adds nothing
 * and returns S_OK.
 * @param job the job.
 * @param count number of entries in files.
 * @param files the remote and local names (borrowed for the call).
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job or files) or the first error
 *         bgcopy_job_add_file would give. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_add_file_set(bgcopy_job *job, uint32_t count,
                                                const bgcopy_file_info *files);

/** IBackgroundCopyJob3::AddFileWithRanges. The ranges are written back to back
 * into the local file in the order given. Errors as AddFile plus E_INVALIDARG
 * (count 0 or NULL ranges, zero length), E_NOTIMPL (not a download job),
 * BG_E_INVALID_RANGE (offset BGCOPY_LENGTH_TO_EOF), BG_E_OVERLAPPING_RANGES,
 * BG_E_TOO_MANY_RANGES_IN_FILE, BG_E_UNSUPPORTED_JOB_CONFIGURATION (the job
 * has DYNAMIC_CONTENT enabled).
 * @param job the job.
 * @param remote_url as for bgcopy_job_add_file.
 * @param local_name as for bgcopy_job_add_file.
 * @param count number of ranges (at least 1).
 * @param ranges the byte ranges of the remote file; copied.
 * @return BGCOPY_S_OK or one of the errors above. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_add_file_with_ranges(bgcopy_job *job, const char *remote_url,
                                                        const char *local_name, uint32_t count,
                                                        const bgcopy_file_range *ranges);

/** IBackgroundCopyJob::EnumFiles: a snapshot enumerator, files in add order.
 * @param job the job.
 * @param[out] out receives the enumerator, released with
 *             bgcopy_file_enum_release (NULL on failure).
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job or out) or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_enum_files(bgcopy_job *job, bgcopy_file_enum **out);

/** IBackgroundCopyJob3::ReplaceRemotePrefix (download jobs only: E_NOTIMPL
 * otherwise). Case-sensitive prefix match on every file's remote name.
 * Returns S_FALSE when nothing matched. Errors: E_INVALIDARG (empty string, or
 * a resulting URL that is invalid or too long), BG_E_INVALID_STATE.
 * @param job the job.
 * @param old_prefix the prefix to replace (non-empty).
 * @param new_prefix its replacement (non-empty).
 * @return BGCOPY_S_OK, BGCOPY_S_FALSE or one of the errors above. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_replace_remote_prefix(bgcopy_job *job, const char *old_prefix,
                                                         const char *new_prefix);

/* ---- control ------------------------------------------------------------- */

/** IBackgroundCopyJob::Resume. SUSPENDED/ERROR/TRANSIENT_ERROR -> QUEUED;
 * QUEUED, CONNECTING, TRANSFERRING unchanged (S_OK). TRANSFERRED with files
 * added since -> QUEUED. Errors: BG_E_EMPTY (no files; state unchanged),
 * BG_E_INVALID_STATE (final state).
 * @param job the job.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job), E_NOTIMPL (upload jobs, not
 *         emulated yet) or one of the errors above. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_resume(bgcopy_job *job);

/** IBackgroundCopyJob::Suspend: any non-final state -> SUSPENDED (S_OK also
 * when already suspended). Errors: BG_E_INVALID_STATE (final state).
 * @param job the job.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job) or BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_suspend(bgcopy_job *job);

/** IBackgroundCopyJob::Cancel: stops any transfer, deletes every temporary
 * file of the job (never a file that existed before the job), -> CANCELLED.
 * Returns S_OK or BG_S_UNABLE_TO_DELETE_FILES. Errors: BG_E_INVALID_STATE.
 * @param job the job.
 * @return BGCOPY_S_OK, BGCOPY_S_UNABLE_TO_DELETE_FILES, E_INVALIDARG (NULL
 *         job) or BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_cancel(bgcopy_job *job);

/** IBackgroundCopyJob::Complete: renames every fully transferred temporary
 * file to its local name (atomically, after fsync of file and directory),
 * deletes the rest, -> ACKNOWLEDGED. Returns S_OK when every file was whole,
 * BG_S_PARTIAL_COMPLETE when only some were kept, BG_S_UNABLE_TO_DELETE_FILES
 * when a temporary file could not be removed. If a rename fails the job stays
 * (TRANSFERRED) and the failure's HRESULT is returned; the files renamed so
 * far report completed = 1. Upload jobs: only in TRANSFERRED.
 * Errors: BG_E_INVALID_STATE.
 * @param job the job.
 * @return one of the codes above, or E_INVALIDARG (NULL job). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_complete(bgcopy_job *job);

/* ---- identity and status --------------------------------------------------- */

/** IBackgroundCopyJob::GetId.
 * @param job the job.
 * @param[out] id receives the job's GUID.
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL job or id). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_id(bgcopy_job *job, bgcopy_guid *id);
/** IBackgroundCopyJob::GetType.
 * @param job the job.
 * @param[out] type receives the job type.
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL job or type). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_type(bgcopy_job *job, bgcopy_job_type *type);
/** IBackgroundCopyJob::GetState.
 * @param job the job.
 * @param[out] state receives the current state.
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL job or state). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_state(bgcopy_job *job, bgcopy_job_state *state);
/** IBackgroundCopyJob::GetProgress.
 * @param job the job.
 * @param[out] progress receives the byte and file counts (see
 *             bgcopy_job_progress).
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL job or progress). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_progress(bgcopy_job *job, bgcopy_job_progress *progress);
/** IBackgroundCopyJob::GetTimes.
 * @param job the job.
 * @param[out] times receives the creation, modification and transfer
 *             completion times.
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL job or times). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_times(bgcopy_job *job, bgcopy_job_times *times);
/** The owner's user name; *owner is freed with bgcopy_free.
 * @param job the job.
 * @param[out] owner receives a copy of the owner's name.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job or owner) or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_owner(bgcopy_job *job, char **owner);
/** Number of times the job went from transferring into an error state plus
 * each failed retry; never reset.
 * @param job the job.
 * @param[out] count receives the count.
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL job or count). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_error_count(bgcopy_job *job, uint32_t *count);

/** IBackgroundCopyJob::GetError: only while the job is in ERROR or
 * TRANSIENT_ERROR; otherwise BG_E_ERROR_INFORMATION_UNAVAILABLE. *err is a new
 * reference.
 * @param job the job.
 * @param[out] err receives the error object, released with
 *             bgcopy_error_release (NULL on failure).
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job or err),
 *         BG_E_ERROR_INFORMATION_UNAVAILABLE or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_error(bgcopy_job *job, bgcopy_error **err);

/* ---- properties -------------------------------------------------------------
 * Setters return BG_E_INVALID_STATE in a final state. Getters of strings hand
 * out copies freed with bgcopy_free. */

/** IBackgroundCopyJob::SetDisplayName. At most 256 characters
 * (BG_E_STRING_TOO_LONG); NULL -> E_INVALIDARG.
 * @param job the job.
 * @param name the new display name; copied.
 * @return BGCOPY_S_OK, E_INVALIDARG, BG_E_STRING_TOO_LONG or
 *         BG_E_INVALID_STATE (final state). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_display_name(bgcopy_job *job, const char *name);
/** IBackgroundCopyJob::GetDisplayName.
 * @param job the job.
 * @param[out] name receives a copy, freed with bgcopy_free.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job or name) or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_display_name(bgcopy_job *job, char **name);
/** IBackgroundCopyJob::SetDescription. At most 1,024 characters
 * (BG_E_STRING_TOO_LONG); NULL -> E_INVALIDARG.
 * @param job the job.
 * @param description the new description; copied.
 * @return BGCOPY_S_OK, E_INVALIDARG, BG_E_STRING_TOO_LONG or
 *         BG_E_INVALID_STATE (final state). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_description(bgcopy_job *job, const char *description);
/** IBackgroundCopyJob::GetDescription.
 * @param job the job.
 * @param[out] description receives a copy, freed with bgcopy_free.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job or description) or
 *         E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_description(bgcopy_job *job, char **description);
/** IBackgroundCopyJob::SetPriority. Undefined value -> E_NOTIMPL.
 * @param job the job.
 * @param priority the new priority.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job), E_NOTIMPL or
 *         BG_E_INVALID_STATE (final state). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_priority(bgcopy_job *job, bgcopy_job_priority priority);
/** IBackgroundCopyJob::GetPriority.
 * @param job the job.
 * @param[out] priority receives the priority.
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL job or priority). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_priority(bgcopy_job *job, bgcopy_job_priority *priority);
/** IBackgroundCopyJob::SetNotifyFlags. Bits outside BGCOPY_NOTIFY_ALL_VALID
 * -> E_NOTIMPL.
 * @param job the job.
 * @param flags BGCOPY_NOTIFY_* bits.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job), E_NOTIMPL or
 *         BG_E_INVALID_STATE (final state). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_notify_flags(bgcopy_job *job, uint32_t flags);
/** IBackgroundCopyJob::GetNotifyFlags.
 * @param job the job.
 * @param[out] flags receives the BGCOPY_NOTIFY_* bits.
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL job or flags). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_notify_flags(bgcopy_job *job, uint32_t *flags);
/** IBackgroundCopyJob::SetMinimumRetryDelay. Seconds; values below 5 are
 * raised to 5.
 * @param job the job.
 * @param seconds the delay before a TRANSIENT_ERROR job is retried.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job) or BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_minimum_retry_delay(bgcopy_job *job, uint32_t seconds);
/** IBackgroundCopyJob::GetMinimumRetryDelay.
 * @param job the job.
 * @param[out] seconds receives the delay in seconds.
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL job or seconds). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_minimum_retry_delay(bgcopy_job *job, uint32_t *seconds);
/** IBackgroundCopyJob::SetNoProgressTimeout. Seconds; 0 makes every error
 * fatal.
 * @param job the job.
 * @param seconds how long a job may go without progress before it fails.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job) or BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_no_progress_timeout(bgcopy_job *job, uint32_t seconds);
/** IBackgroundCopyJob::GetNoProgressTimeout.
 * @param job the job.
 * @param[out] seconds receives the timeout in seconds.
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL job or seconds). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_no_progress_timeout(bgcopy_job *job, uint32_t *seconds);
/** IBackgroundCopyJob4: seconds spent CONNECTING or TRANSFERRING before the
 * job fails with BG_E_MAXDOWNLOAD_TIMEOUT; 0 = no limit.
 * @param job the job.
 * @param seconds the limit.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job) or BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_maximum_download_time(bgcopy_job *job, uint32_t seconds);
/** IBackgroundCopyJob4::GetMaximumDownloadTime.
 * @param job the job.
 * @param[out] seconds receives the limit (0 = no limit).
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL job or seconds). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_maximum_download_time(bgcopy_job *job, uint32_t *seconds);

/** SetProxySettings: lists are space separated and must be NULL unless usage
 * is OVERRIDE, which needs a proxy list (E_INVALIDARG). Lists longer than
 * 32,767 characters -> BG_E_PROXY_LIST_TOO_LARGE /
 * BG_E_PROXY_BYPASS_LIST_TOO_LARGE. Undefined usage -> E_NOTIMPL.
 * @param job the job.
 * @param usage how the job finds its proxy.
 * @param proxy_list the proxies (OVERRIDE only, non-empty); copied.
 * @param bypass_list the hosts reached directly (OVERRIDE only) or NULL;
 *                    copied.
 * @return BGCOPY_S_OK, one of the errors above or BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_proxy_settings(bgcopy_job *job, bgcopy_proxy_usage usage,
                                                      const char *proxy_list,
                                                      const char *bypass_list);
/** GetProxySettings. The list outputs may be NULL individually; absent lists
 * come back as NULL. Lists are freed with bgcopy_free.
 * @param job the job.
 * @param[out] usage receives the usage (required).
 * @param[out] proxy_list receives a copy of the proxy list, or NULL.
 * @param[out] bypass_list receives a copy of the bypass list, or NULL.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job or usage) or E_OUTOFMEMORY
 *         (then no list is handed out). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_proxy_settings(bgcopy_job *job, bgcopy_proxy_usage *usage,
                                                      char **proxy_list, char **bypass_list);

/** IBackgroundCopyJob2::SetCredentials. user name at most 300 characters,
 * password at most 65,535. BASIC and DIGEST need both strings.
 * @param job the job.
 * @param target server or proxy (else BG_E_INVALID_AUTH_TARGET).
 * @param scheme the scheme (else BG_E_INVALID_AUTH_SCHEME).
 * @param user_name the user name, or NULL; copied.
 * @param password the password, or NULL; copied.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job; BASIC or DIGEST without both
 *         strings), BG_E_INVALID_AUTH_TARGET, BG_E_INVALID_AUTH_SCHEME,
 *         BG_E_USERNAME_TOO_LARGE, BG_E_PASSWORD_TOO_LARGE or
 *         BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_credentials(bgcopy_job *job, bgcopy_auth_target target,
                                                   bgcopy_auth_scheme scheme, const char *user_name,
                                                   const char *password);
/** IBackgroundCopyJob2::RemoveCredentials.
 * @param job the job.
 * @param target server or proxy.
 * @param scheme the scheme whose credentials are removed.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job), BG_E_INVALID_AUTH_TARGET,
 *         BG_E_INVALID_AUTH_SCHEME or BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_remove_credentials(bgcopy_job *job, bgcopy_auth_target target,
                                                      bgcopy_auth_scheme scheme);

/** IBackgroundCopyJob2::SetNotifyCmdLine. program: absolute path or NULL;
 * parameters: the whole command line (its first token is the program) or
 * NULL. Both NULL clears.
 * @param job the job.
 * @param program the program to run; copied.
 * @param parameters the command line (only with a program); copied.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job, relative program, parameters
 *         without a program or whose first token is not the program),
 *         BG_E_STRING_TOO_LONG or BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_notify_cmd_line(bgcopy_job *job, const char *program,
                                                       const char *parameters);
/** IBackgroundCopyJob2::GetNotifyCmdLine. Never-set values come back as empty
 * strings, as in BITS.
 * @param job the job.
 * @param[out] program receives a copy of the program, freed with bgcopy_free.
 * @param[out] parameters receives a copy of the parameters, freed with
 *             bgcopy_free.
 * @return BGCOPY_S_OK, E_INVALIDARG (any argument NULL) or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_notify_cmd_line(bgcopy_job *job, char **program,
                                                       char **parameters);

/** IBackgroundCopyJobHttpOptions. Custom headers: each line ends with CRLF,
 * at most 16,384 characters in all; NULL removes them. get returns S_FALSE and
 * NULL when none are set.
 * @param job the job.
 * @param headers the header lines, or NULL; copied.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job, malformed headers),
 *         BG_E_STRING_TOO_LONG or BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_custom_headers(bgcopy_job *job, const char *headers);
/** IBackgroundCopyJobHttpOptions::GetCustomHeaders.
 * @param job the job.
 * @param[out] headers receives a copy, freed with bgcopy_free; NULL when none
 *             are set.
 * @return BGCOPY_S_OK, BGCOPY_S_FALSE (none set), E_INVALIDARG (NULL job or
 *         headers) or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_custom_headers(bgcopy_job *job, char **headers);
/** IBackgroundCopyJobHttpOptions::SetSecurityFlags. Bits outside the
 * BGCOPY_SSL_* / redirect-policy set -> E_NOTIMPL.
 * @param job the job.
 * @param flags BGCOPY_SSL_* and BGCOPY_HTTP_REDIRECT_POLICY_* bits.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job), E_NOTIMPL or
 *         BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_security_flags(bgcopy_job *job, uint32_t flags);
/** IBackgroundCopyJobHttpOptions::GetSecurityFlags.
 * @param job the job.
 * @param[out] flags receives the flags.
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL job or flags). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_security_flags(bgcopy_job *job, uint32_t *flags);

/** IBackgroundCopyJob5::SetProperty / GetProperty.
 * Errors: BG_E_UNKNOWN_PROPERTY_ID, BG_E_READ_ONLY_PROPERTY_AFTER_RESUME
 * (DYNAMIC_CONTENT, MAX_DOWNLOAD_SIZE after the first Resume),
 * BG_E_READ_ONLY_PROPERTY_AFTER_ADDFILE (HIGH_PERFORMANCE once a file was
 * added), BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY,
 * BG_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE (0),
 * BG_E_UNSUPPORTED_JOB_CONFIGURATION (enabling DYNAMIC_CONTENT on a job with
 * a file added with ranges), E_NOTIMPL (a value the emulation does not
 * model, such as USE_STORED_CREDENTIALS for the server).
 * @param job the job.
 * @param id the property.
 * @param value the new value (the member the id selects); copied.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job or value), one of the errors
 *         above or BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_property(bgcopy_job *job, bgcopy_job_property_id id,
                                                const bgcopy_job_property_value *value);
/** IBackgroundCopyJob5::GetProperty.
 * @param job the job.
 * @param id the property.
 * @param[out] value receives the value in the member the id selects (the rest
 *             zeroed).
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job or value),
 *         BG_E_UNKNOWN_PROPERTY_ID or E_NOTIMPL (USE_STORED_CREDENTIALS). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_property(bgcopy_job *job, bgcopy_job_property_id id,
                                                bgcopy_job_property_value *value);

/* ---- notifications (IBackgroundCopyCallback / 2 / 3) ----------------------- */

/** The notification callbacks of a job (IBackgroundCopyCallback,
 * IBackgroundCopyCallback2, IBackgroundCopyCallback3). Initialise with
 * BGCOPY_CALLBACKS_INIT.
 *
 * Callbacks run on a notification thread (in simulation: from the
 * simulation's run functions), never inside the API call that caused them.
 * job, file and err are borrowed for the call. Members may be NULL: an absent
 * callback counts as returning S_OK. job_transferred, job_error and
 * file_transferred are called again later (manager option
 * notify_retry_interval) until they return S_OK. user is the pointer given at
 * registration. */
typedef struct bgcopy_callbacks {
    /** sizeof(bgcopy_callbacks), set by the INIT macro. A smaller size (an older, shorter
     * struct) is accepted down to the end of job_transferred: the members beyond it count as
     * NULL. */
    size_t size;
    /** JobTransferred: the job reached TRANSFERRED (BGCOPY_NOTIFY_JOB_TRANSFERRED). */
    bgcopy_hr (*job_transferred)(bgcopy_job *job, void *user);
    /** JobError: the job reached ERROR (BGCOPY_NOTIFY_JOB_ERROR); err describes
     * the error. Never called for TRANSIENT_ERROR. */
    bgcopy_hr (*job_error)(bgcopy_job *job, bgcopy_error *err, void *user);
    /** JobModification: state, progress or a property changed
     * (BGCOPY_NOTIFY_JOB_MODIFICATION); reserved is 0; the return value is
     * ignored. */
    bgcopy_hr (*job_modification)(bgcopy_job *job, uint32_t reserved, void *user);
    /** FileTransferred (Callback2): one file finished
     * (BGCOPY_NOTIFY_FILE_TRANSFERRED). */
    bgcopy_hr (*file_transferred)(bgcopy_job *job, bgcopy_file *file, void *user);
    /** FileRangesTransferred (Callback3): ranges of a file arrived
     * (BGCOPY_NOTIFY_FILE_RANGES_TRANSFERRED); ranges is borrowed. BITS calls it only for
     * jobs in on-demand mode, which the emulated engine does not provide: never called
     * there. */
    bgcopy_hr (*file_ranges_transferred)(bgcopy_job *job, bgcopy_file *file, uint32_t count,
                                         const bgcopy_file_range *ranges, void *user);
} bgcopy_callbacks;

/** Initialiser of bgcopy_callbacks: size set, every callback NULL. */
#define BGCOPY_CALLBACKS_INIT                                  \
    {                                                          \
        sizeof(bgcopy_callbacks), NULL, NULL, NULL, NULL, NULL \
    }

/** SetNotifyInterface. callbacks NULL clears the registration; otherwise the
 * struct is copied (user is passed back to every callback). The last setter
 * wins. Registering on a job that is already TRANSFERRED or ERROR delivers
 * that notification (at least once).
 * @param job the job.
 * @param callbacks the callbacks (size set), or NULL.
 * @param user passed back to every callback; not dereferenced.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL job, callbacks->size below the end of
 *         job_transferred or above 4096; the previous registration stays) or
 *         BG_E_INVALID_STATE (final state). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_notify_callbacks(bgcopy_job *job,
                                                        const bgcopy_callbacks *callbacks,
                                                        void *user);
/** GetNotifyInterface: S_OK with *registered 0 when none is set; callbacks and
 * user may be NULL.
 * @param job the job.
 * @param[out] registered receives 1 when callbacks are registered, else 0.
 * @param[in,out] callbacks NULL, or a struct whose size the caller sets; that
 *                many bytes receive the registered callbacks.
 * @param[out] user NULL, or receives the registered user pointer.
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL job or registered,
 *         callbacks->size too small). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_notify_callbacks(bgcopy_job *job, int *registered,
                                                        bgcopy_callbacks *callbacks, void **user);

/** Names the persisted notification handler of this job (see
 * bgcopy_manager_register_notify_handler); NULL clears. The name, unlike the
 * callbacks pointer, stays with the job. Errors: E_INVALIDARG (empty name),
 * BG_E_STRING_TOO_LONG (over 256 characters), BG_E_INVALID_STATE.
 * @param job the job.
 * @param name the handler's name, or NULL; copied.
 * @return BGCOPY_S_OK or one of the errors above. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_notify_handler(bgcopy_job *job, const char *name);
/** S_FALSE and NULL when the job names no handler.
 * @param job the job.
 * @param[out] name receives a copy of the name, freed with bgcopy_free.
 * @return BGCOPY_S_OK, BGCOPY_S_FALSE, E_INVALIDARG (NULL job or name) or
 *         E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_notify_handler(bgcopy_job *job, char **name);

/* ---- error objects (IBackgroundCopyError) ----------------------------------- */

/** Takes a reference on an error object. NULL is accepted.
 * @param err the error object, or NULL. */
BGCOPY_EXTERN void bgcopy_error_addref(bgcopy_error *err);
/** Drops a reference; the last one frees the object. NULL is accepted.
 * @param err the error object, or NULL. */
BGCOPY_EXTERN void bgcopy_error_release(bgcopy_error *err);
/** IBackgroundCopyError::GetError. The fields of an error object never change.
 * @param err the error object.
 * @param[out] context receives where the error happened.
 * @param[out] code receives the error's HRESULT.
 * @return BGCOPY_S_OK or E_INVALIDARG (any argument NULL). */
BGCOPY_EXTERN bgcopy_hr bgcopy_error_get_error(bgcopy_error *err, bgcopy_error_context *context,
                                               bgcopy_hr *code);
/** BG_E_FILE_NOT_AVAILABLE (and *file NULL) when the error concerns no file.
 * @param err the error object.
 * @param[out] file receives a new reference on the file, released with
 *             bgcopy_file_release.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL err or file) or
 *         BG_E_FILE_NOT_AVAILABLE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_error_get_file(bgcopy_error *err, bgcopy_file **file);
/** IBackgroundCopyError::GetErrorDescription: the text of the error's code
 * (bgcopy_hr_message). language_id 0 -> E_INVALIDARG; any other gives English.
 * @param err the error object.
 * @param language_id a Windows LANGID such as 0x409.
 * @param[out] text receives a copy, freed with bgcopy_free.
 * @return BGCOPY_S_OK, E_INVALIDARG or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_error_get_error_description(bgcopy_error *err, uint32_t language_id,
                                                           char **text);
/** IBackgroundCopyError::GetErrorContextDescription: the text describing the
 * error's context (the message of BG_S_ERROR_CONTEXT_NONE or the matching
 * BG_E_ERROR_CONTEXT_* code). language_id 0 -> E_INVALIDARG; any other gives
 * English.
 * @param err the error object.
 * @param language_id a Windows LANGID such as 0x409.
 * @param[out] text receives a copy, freed with bgcopy_free.
 * @return BGCOPY_S_OK, E_INVALIDARG or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_error_get_error_context_description(bgcopy_error *err,
                                                                   uint32_t language_id,
                                                                   char **text);
/** "http" or "file"; BG_E_PROTOCOL_NOT_AVAILABLE (and NULL) otherwise.
 * @param err the error object.
 * @param[out] protocol receives a copy, freed with bgcopy_free.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL err or protocol),
 *         BG_E_PROTOCOL_NOT_AVAILABLE or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_error_get_protocol(bgcopy_error *err, char **protocol);

/* ---- files (IBackgroundCopyFile / File2 / File3) ---------------------------- */

/** Takes a reference on a file. NULL is accepted.
 * @param file the file, or NULL. */
BGCOPY_EXTERN void bgcopy_file_addref(bgcopy_file *file);
/** Drops a reference on a file. NULL is accepted.
 * @param file the file, or NULL. */
BGCOPY_EXTERN void bgcopy_file_release(bgcopy_file *file);
/** IBackgroundCopyFile::GetRemoteName.
 * @param file the file.
 * @param[out] name receives a copy of the URL, freed with bgcopy_free.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL file or name) or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_file_get_remote_name(bgcopy_file *file, char **name);
/** IBackgroundCopyFile::GetLocalName.
 * @param file the file.
 * @param[out] name receives a copy of the local path, freed with bgcopy_free.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL file or name) or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_file_get_local_name(bgcopy_file *file, char **name);
/** IBackgroundCopyFile::GetProgress.
 * @param file the file.
 * @param[out] progress receives the byte counts and completed flag.
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL file or progress). */
BGCOPY_EXTERN bgcopy_hr bgcopy_file_get_progress(bgcopy_file *file, bgcopy_file_progress *progress);
/** File2::GetFileRanges: *ranges freed with bgcopy_free; count 0 and NULL for
 * a file added without ranges.
 * @param file the file.
 * @param[out] count receives the number of ranges.
 * @param[out] ranges receives a copy of the ranges.
 * @return BGCOPY_S_OK, E_INVALIDARG (any argument NULL) or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_file_get_file_ranges(bgcopy_file *file, uint32_t *count,
                                                    bgcopy_file_range **ranges);
/** File2::SetRemoteName (download jobs; E_NOTIMPL for uploads).
 * @param file the file.
 * @param remote_url the new URL, checked as by bgcopy_job_add_file; copied.
 * @return BGCOPY_S_OK, E_INVALIDARG, E_NOTIMPL or BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_file_set_remote_name(bgcopy_file *file, const char *remote_url);
/** File3::GetTemporaryName: full path of the BIT<hex>.tmp file.
 * @param file the file.
 * @param[out] name receives a copy of the path, freed with bgcopy_free.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL file or name) or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_file_get_temporary_name(bgcopy_file *file, char **name);

/** IEnumBackgroundCopyFiles: same contract as the job enumerator
 * (bgcopy_job_enum_next). Next fetches up to count files.
 * @param e the enumerator.
 * @param count how many files to fetch.
 * @param[out] files receives up to count new references.
 * @param[out] fetched receives the number fetched; may be NULL only when
 *             count is 1.
 * @return BGCOPY_S_OK (count fetched), BGCOPY_S_FALSE (fewer remained) or
 *         E_INVALIDARG. */
BGCOPY_EXTERN bgcopy_hr bgcopy_file_enum_next(bgcopy_file_enum *e, uint32_t count,
                                              bgcopy_file **files, uint32_t *fetched);
/** IEnumBackgroundCopyFiles::Skip.
 * @param e the enumerator.
 * @param count how many files to skip.
 * @return BGCOPY_S_OK, BGCOPY_S_FALSE (ran past the end) or E_INVALIDARG. */
BGCOPY_EXTERN bgcopy_hr bgcopy_file_enum_skip(bgcopy_file_enum *e, uint32_t count);
/** IEnumBackgroundCopyFiles::Reset: back to the first file.
 * @param e the enumerator.
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL e). */
BGCOPY_EXTERN bgcopy_hr bgcopy_file_enum_reset(bgcopy_file_enum *e);
/** IEnumBackgroundCopyFiles::Clone: copies the cursor.
 * @param e the enumerator.
 * @param[out] out receives the copy, released with bgcopy_file_enum_release.
 * @return BGCOPY_S_OK, E_INVALIDARG or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_file_enum_clone(bgcopy_file_enum *e, bgcopy_file_enum **out);
/** IEnumBackgroundCopyFiles::GetCount.
 * @param e the enumerator.
 * @param[out] count receives the number of files in the snapshot.
 * @return BGCOPY_S_OK or E_INVALIDARG. */
BGCOPY_EXTERN bgcopy_hr bgcopy_file_enum_get_count(bgcopy_file_enum *e, uint32_t *count);
/** Drops a reference on the enumerator; the last one releases its files.
 * NULL is accepted.
 * @param e the enumerator, or NULL. */
BGCOPY_EXTERN void bgcopy_file_enum_release(bgcopy_file_enum *e);

BGCOPY_END_DECLS

#endif /* BGCOPY_JOB_H */
