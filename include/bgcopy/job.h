/* bgcopy/job.h - jobs, files, error objects and notification callbacks
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

BGCOPY_EXTERN void bgcopy_job_addref(bgcopy_job *job);
/* Drops a reference. Releasing the last reference neither cancels nor
 * removes the job (it stays in the engine, as in BITS). NULL is accepted. */
BGCOPY_EXTERN void bgcopy_job_release(bgcopy_job *job);

/* ---- files --------------------------------------------------------------- */

/* IBackgroundCopyJob::AddFile. remote_url: http://, https://, file:// or an
 * absolute local path (at most 2,200 characters, no wildcards). local_name:
 * an absolute path whose directory exists and is writable.
 * Errors: E_INVALIDARG (NULL, relative local path, unsupported scheme,
 * malformed name), E_ACCESSDENIED (directory not writable),
 * BG_E_TOO_MANY_FILES_IN_JOB, BG_E_TOO_MANY_FILES (second file of an upload
 * job), BG_E_INVALID_STATE (final state). Files may be added while the job
 * transfers (they are fetched after the others) and to a TRANSFERRED job
 * (Resume then fetches them). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_add_file(bgcopy_job *job, const char *remote_url,
                                            const char *local_name);

/* IBackgroundCopyJob::AddFileSet: all files or none are added. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_add_file_set(bgcopy_job *job, uint32_t count,
                                                const bgcopy_file_info *files);

/* IBackgroundCopyJob3::AddFileWithRanges. The ranges are written back to back
 * into the local file in the order given. Errors as AddFile plus E_INVALIDARG
 * (count 0 or NULL ranges, zero length), E_NOTIMPL (not a download job),
 * BG_E_INVALID_RANGE (offset BGCOPY_LENGTH_TO_EOF), BG_E_OVERLAPPING_RANGES,
 * BG_E_TOO_MANY_RANGES_IN_FILE, BG_E_UNSUPPORTED_JOB_CONFIGURATION (the job
 * has DYNAMIC_CONTENT enabled). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_add_file_with_ranges(bgcopy_job *job, const char *remote_url,
                                                        const char *local_name, uint32_t count,
                                                        const bgcopy_file_range *ranges);

/* IBackgroundCopyJob::EnumFiles: a snapshot enumerator, files in add order. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_enum_files(bgcopy_job *job, bgcopy_file_enum **out);

/* IBackgroundCopyJob3::ReplaceRemotePrefix (download jobs only: E_NOTIMPL
 * otherwise). Case-sensitive prefix match on every file's remote name.
 * Returns S_FALSE when nothing matched. Errors: E_INVALIDARG (empty string, or
 * a resulting URL that is invalid or too long), BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_replace_remote_prefix(bgcopy_job *job, const char *old_prefix,
                                                         const char *new_prefix);

/* ---- control ------------------------------------------------------------- */

/* IBackgroundCopyJob::Resume. SUSPENDED/ERROR/TRANSIENT_ERROR -> QUEUED;
 * QUEUED, CONNECTING, TRANSFERRING unchanged (S_OK). TRANSFERRED with files
 * added since -> QUEUED. Errors: BG_E_EMPTY (no files; state unchanged),
 * BG_E_INVALID_STATE (final state). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_resume(bgcopy_job *job);

/* IBackgroundCopyJob::Suspend: any non-final state -> SUSPENDED (S_OK also
 * when already suspended). Errors: BG_E_INVALID_STATE (final state). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_suspend(bgcopy_job *job);

/* IBackgroundCopyJob::Cancel: stops any transfer, deletes every temporary
 * file of the job (never a file that existed before the job), -> CANCELLED.
 * Returns S_OK or BG_S_UNABLE_TO_DELETE_FILES. Errors: BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_cancel(bgcopy_job *job);

/* IBackgroundCopyJob::Complete: renames every fully transferred temporary
 * file to its local name (atomically, after fsync of file and directory),
 * deletes the rest, -> ACKNOWLEDGED. Returns S_OK when every file was whole,
 * BG_S_PARTIAL_COMPLETE when only some were kept, BG_S_UNABLE_TO_DELETE_FILES
 * when a temporary file could not be removed. If a rename fails the job stays
 * (TRANSFERRED) and the failure's HRESULT is returned; the files renamed so
 * far report completed = 1. Upload jobs: only in TRANSFERRED.
 * Errors: BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_complete(bgcopy_job *job);

/* ---- identity and status --------------------------------------------------- */

BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_id(bgcopy_job *job, bgcopy_guid *id);
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_type(bgcopy_job *job, bgcopy_job_type *type);
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_state(bgcopy_job *job, bgcopy_job_state *state);
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_progress(bgcopy_job *job, bgcopy_job_progress *progress);
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_times(bgcopy_job *job, bgcopy_job_times *times);
/* The owner's user name; *owner is freed with bgcopy_free. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_owner(bgcopy_job *job, char **owner);
/* Number of times the job went from transferring into an error state plus
 * each failed retry; never reset. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_error_count(bgcopy_job *job, uint32_t *count);

/* IBackgroundCopyJob::GetError: only while the job is in ERROR or
 * TRANSIENT_ERROR; otherwise BG_E_ERROR_INFORMATION_UNAVAILABLE. *err is a new
 * reference. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_error(bgcopy_job *job, bgcopy_error **err);

/* ---- properties -------------------------------------------------------------
 * Setters return BG_E_INVALID_STATE in a final state. Getters of strings hand
 * out copies freed with bgcopy_free. */

/* At most 256 characters (BG_E_STRING_TOO_LONG); NULL -> E_INVALIDARG. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_display_name(bgcopy_job *job, const char *name);
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_display_name(bgcopy_job *job, char **name);
/* At most 1,024 characters (BG_E_STRING_TOO_LONG); NULL -> E_INVALIDARG. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_description(bgcopy_job *job, const char *description);
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_description(bgcopy_job *job, char **description);
/* Undefined value -> E_NOTIMPL. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_priority(bgcopy_job *job, bgcopy_job_priority priority);
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_priority(bgcopy_job *job, bgcopy_job_priority *priority);
/* Bits outside BGCOPY_NOTIFY_ALL_VALID -> E_NOTIMPL. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_notify_flags(bgcopy_job *job, uint32_t flags);
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_notify_flags(bgcopy_job *job, uint32_t *flags);
/* Seconds; values below 5 are raised to 5. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_minimum_retry_delay(bgcopy_job *job, uint32_t seconds);
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_minimum_retry_delay(bgcopy_job *job, uint32_t *seconds);
/* Seconds; 0 makes every error fatal. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_no_progress_timeout(bgcopy_job *job, uint32_t seconds);
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_no_progress_timeout(bgcopy_job *job, uint32_t *seconds);
/* IBackgroundCopyJob4: seconds spent CONNECTING or TRANSFERRING before the
 * job fails with BG_E_MAXDOWNLOAD_TIMEOUT; 0 = no limit. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_maximum_download_time(bgcopy_job *job, uint32_t seconds);
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_maximum_download_time(bgcopy_job *job, uint32_t *seconds);

/* SetProxySettings: lists are space separated and must be NULL unless usage
 * is OVERRIDE, which needs a proxy list (E_INVALIDARG). Lists longer than
 * 32,767 characters -> BG_E_PROXY_LIST_TOO_LARGE /
 * BG_E_PROXY_BYPASS_LIST_TOO_LARGE. Undefined usage -> E_NOTIMPL. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_proxy_settings(bgcopy_job *job, bgcopy_proxy_usage usage,
                                                      const char *proxy_list,
                                                      const char *bypass_list);
/* Outputs may be NULL individually; absent lists come back as NULL. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_proxy_settings(bgcopy_job *job, bgcopy_proxy_usage *usage,
                                                      char **proxy_list, char **bypass_list);

/* IBackgroundCopyJob2::SetCredentials. user name at most 300 characters,
 * password at most 65,535. BASIC and DIGEST need both strings. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_credentials(bgcopy_job *job, bgcopy_auth_target target,
                                                   bgcopy_auth_scheme scheme, const char *user_name,
                                                   const char *password);
BGCOPY_EXTERN bgcopy_hr bgcopy_job_remove_credentials(bgcopy_job *job, bgcopy_auth_target target,
                                                      bgcopy_auth_scheme scheme);

/* IBackgroundCopyJob2::SetNotifyCmdLine. program: absolute path or NULL;
 * parameters: the whole command line (its first token is the program) or
 * NULL. Both NULL clears. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_notify_cmd_line(bgcopy_job *job, const char *program,
                                                       const char *parameters);
/* Never-set values come back as empty strings, as in BITS. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_notify_cmd_line(bgcopy_job *job, char **program,
                                                       char **parameters);

/* IBackgroundCopyJobHttpOptions. Custom headers: each line ends with CRLF,
 * at most 16,384 characters in all; NULL removes them. get returns S_FALSE and
 * NULL when none are set. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_custom_headers(bgcopy_job *job, const char *headers);
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_custom_headers(bgcopy_job *job, char **headers);
/* Bits outside the BGCOPY_SSL_* / redirect-policy set -> E_NOTIMPL. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_security_flags(bgcopy_job *job, uint32_t flags);
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_security_flags(bgcopy_job *job, uint32_t *flags);

/* IBackgroundCopyJob5::SetProperty / GetProperty.
 * Errors: BG_E_UNKNOWN_PROPERTY_ID, BG_E_READ_ONLY_PROPERTY_AFTER_RESUME
 * (DYNAMIC_CONTENT, MAX_DOWNLOAD_SIZE after the first Resume),
 * BG_E_READ_ONLY_PROPERTY_AFTER_ADDFILE (HIGH_PERFORMANCE once a file was
 * added), BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY,
 * BG_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE (0),
 * BG_E_UNSUPPORTED_JOB_CONFIGURATION (enabling DYNAMIC_CONTENT on a job with
 * a file added with ranges), E_NOTIMPL (a value the emulation does not
 * model, such as USE_STORED_CREDENTIALS for the server). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_property(bgcopy_job *job, bgcopy_job_property_id id,
                                                const bgcopy_job_property_value *value);
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_property(bgcopy_job *job, bgcopy_job_property_id id,
                                                bgcopy_job_property_value *value);

/* ---- notifications (IBackgroundCopyCallback / 2 / 3) -----------------------
 * Callbacks run on a notification thread (in simulation: from the
 * simulation's run functions), never inside the API call that caused them.
 * job, file and err are borrowed for the call. Members may be NULL: an absent
 * callback counts as returning S_OK. job_transferred, job_error and
 * file_transferred are called again later (manager option
 * notify_retry_interval) until they return S_OK. */
typedef struct bgcopy_callbacks {
    size_t size; /* sizeof(bgcopy_callbacks), set by the INIT macro */
    bgcopy_hr (*job_transferred)(bgcopy_job *job, void *user);
    bgcopy_hr (*job_error)(bgcopy_job *job, bgcopy_error *err, void *user);
    bgcopy_hr (*job_modification)(bgcopy_job *job, uint32_t reserved, void *user);
    bgcopy_hr (*file_transferred)(bgcopy_job *job, bgcopy_file *file, void *user);
    bgcopy_hr (*file_ranges_transferred)(bgcopy_job *job, bgcopy_file *file, uint32_t count,
                                         const bgcopy_file_range *ranges, void *user);
} bgcopy_callbacks;

#define BGCOPY_CALLBACKS_INIT                                  \
    {                                                          \
        sizeof(bgcopy_callbacks), NULL, NULL, NULL, NULL, NULL \
    }

/* SetNotifyInterface. callbacks NULL clears the registration; otherwise the
 * struct is copied (user is passed back to every callback). The last setter
 * wins. Registering on a job that is already TRANSFERRED or ERROR delivers
 * that notification (at least once). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_notify_callbacks(bgcopy_job *job,
                                                        const bgcopy_callbacks *callbacks,
                                                        void *user);
/* GetNotifyInterface: S_OK with *registered 0 when none is set; callbacks and
 * user may be NULL. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_notify_callbacks(bgcopy_job *job, int *registered,
                                                        bgcopy_callbacks *callbacks, void **user);

/* Names the persisted notification handler of this job (see
 * bgcopy_manager_register_notify_handler); NULL clears. The name, unlike the
 * callbacks pointer, stays with the job. Errors: E_INVALIDARG (empty name),
 * BG_E_STRING_TOO_LONG (over 256 characters), BG_E_INVALID_STATE. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_set_notify_handler(bgcopy_job *job, const char *name);
/* S_FALSE and NULL when the job names no handler. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_get_notify_handler(bgcopy_job *job, char **name);

/* ---- error objects (IBackgroundCopyError) ----------------------------------- */

BGCOPY_EXTERN void bgcopy_error_addref(bgcopy_error *err);
BGCOPY_EXTERN void bgcopy_error_release(bgcopy_error *err);
BGCOPY_EXTERN bgcopy_hr bgcopy_error_get_error(bgcopy_error *err, bgcopy_error_context *context,
                                               bgcopy_hr *code);
/* BG_E_FILE_NOT_AVAILABLE (and *file NULL) when the error concerns no file. */
BGCOPY_EXTERN bgcopy_hr bgcopy_error_get_file(bgcopy_error *err, bgcopy_file **file);
/* language_id 0 -> E_INVALIDARG; any other gives English. */
BGCOPY_EXTERN bgcopy_hr bgcopy_error_get_error_description(bgcopy_error *err, uint32_t language_id,
                                                           char **text);
BGCOPY_EXTERN bgcopy_hr bgcopy_error_get_error_context_description(bgcopy_error *err,
                                                                   uint32_t language_id,
                                                                   char **text);
/* "http" or "file"; BG_E_PROTOCOL_NOT_AVAILABLE (and NULL) otherwise. */
BGCOPY_EXTERN bgcopy_hr bgcopy_error_get_protocol(bgcopy_error *err, char **protocol);

/* ---- files (IBackgroundCopyFile / File2 / File3) ---------------------------- */

BGCOPY_EXTERN void bgcopy_file_addref(bgcopy_file *file);
BGCOPY_EXTERN void bgcopy_file_release(bgcopy_file *file);
BGCOPY_EXTERN bgcopy_hr bgcopy_file_get_remote_name(bgcopy_file *file, char **name);
BGCOPY_EXTERN bgcopy_hr bgcopy_file_get_local_name(bgcopy_file *file, char **name);
BGCOPY_EXTERN bgcopy_hr bgcopy_file_get_progress(bgcopy_file *file, bgcopy_file_progress *progress);
/* File2::GetFileRanges: *ranges freed with bgcopy_free; count 0 and NULL for
 * a file added without ranges. */
BGCOPY_EXTERN bgcopy_hr bgcopy_file_get_file_ranges(bgcopy_file *file, uint32_t *count,
                                                    bgcopy_file_range **ranges);
/* File2::SetRemoteName (download jobs; E_NOTIMPL for uploads). */
BGCOPY_EXTERN bgcopy_hr bgcopy_file_set_remote_name(bgcopy_file *file, const char *remote_url);
/* File3::GetTemporaryName: full path of the BIT<hex>.tmp file. */
BGCOPY_EXTERN bgcopy_hr bgcopy_file_get_temporary_name(bgcopy_file *file, char **name);

/* IEnumBackgroundCopyFiles: same contract as the job enumerator. */
BGCOPY_EXTERN bgcopy_hr bgcopy_file_enum_next(bgcopy_file_enum *e, uint32_t count,
                                              bgcopy_file **files, uint32_t *fetched);
BGCOPY_EXTERN bgcopy_hr bgcopy_file_enum_skip(bgcopy_file_enum *e, uint32_t count);
BGCOPY_EXTERN bgcopy_hr bgcopy_file_enum_reset(bgcopy_file_enum *e);
BGCOPY_EXTERN bgcopy_hr bgcopy_file_enum_clone(bgcopy_file_enum *e, bgcopy_file_enum **out);
BGCOPY_EXTERN bgcopy_hr bgcopy_file_enum_get_count(bgcopy_file_enum *e, uint32_t *count);
BGCOPY_EXTERN void bgcopy_file_enum_release(bgcopy_file_enum *e);

BGCOPY_END_DECLS

#endif /* BGCOPY_JOB_H */
