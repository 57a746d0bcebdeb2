/** @file bgcopy/manager.h
 * bgcopy/manager.h - the manager: opening an engine, creating, finding and
 * enumerating jobs (IBackgroundCopyManager).
 *
 * A manager is one user's connection to an engine. The emulated engine is a
 * "machine": it holds every user's jobs and applies the per-user and
 * per-machine limits. A manager opened on a simulation (options.sim) attaches
 * to the simulation's engine, so several managers with different user names
 * on one simulation behave like several users of one Windows machine. A
 * manager opened without a simulation owns a private engine that runs on its
 * own thread with the real clock.
 *
 * Threads: every function here may be called from any thread, including from
 * inside a notification callback.
 */
#ifndef BGCOPY_MANAGER_H
#define BGCOPY_MANAGER_H

#include "bgcopy/types.h"
#include "bgcopy/job.h"

BGCOPY_BEGIN_DECLS

/** Which engine a manager drives. */
typedef enum bgcopy_engine_kind {
    BGCOPY_ENGINE_DEFAULT = 0,  /**< native on Windows (emulated with a sim), else emulated */
    BGCOPY_ENGINE_EMULATED = 1, /**< the portable engine of this library */
    BGCOPY_ENGINE_NATIVE = 2,   /**< the real BITS over COM (Windows only) */
    /** The emulated engine run by bgcopyd, the per-user service, reached over a local socket
     * (POSIX only; E_NOTIMPL elsewhere): jobs outlive the process, every process of the user
     * sees them. The service is started on demand. See docs/internals/service.md. */
    BGCOPY_ENGINE_SERVICE = 3
} bgcopy_engine_kind;

/** Options for bgcopy_manager_open. Initialise with
 * BGCOPY_MANAGER_OPTIONS_INIT; every field left 0 / NULL takes the BITS
 * default named in its comment. */
typedef struct bgcopy_manager_options {
    size_t size;               /**< sizeof(bgcopy_manager_options), set by the INIT macro */
    bgcopy_engine_kind engine; /**< The engine to drive (default: BGCOPY_ENGINE_DEFAULT). */
    /** Run on this simulation (virtual clock, scripted network) instead of the
     * real clock and network. Borrowed: the simulation must outlive the
     * manager. */
    bgcopy_sim *sim;
    /** The user the manager acts as (owner of the jobs it creates). NULL: the
     * name of the calling process's user. */
    const char *user;
    /** Whether this user is an administrator: the group-policy count limits
     * do not apply to administrators (reference §7). 0 = no. */
    int user_is_admin;
    /* Group-policy limits (0 = the Windows default). */
    uint32_t max_jobs_per_user;      /**< MaxJobsPerUser, default 60 */
    uint32_t max_jobs_per_machine;   /**< MaxJobsPerMachine, default 300 */
    uint32_t max_files_per_job;      /**< MaxFilesPerJob, default 200 */
    uint32_t max_ranges_per_file;    /**< MaxRangesPerFile, default 500 */
    uint32_t job_inactivity_timeout; /**< JobInactivityTimeout in s, default 90 days */
    uint32_t max_download_time;      /**< MaxDownloadTime policy in s, default 90 days */
    /** Round-robin time slice for background jobs of equal priority, in
     * seconds (undocumented by Microsoft; default 300, see docs/fidelity.md). */
    uint32_t time_slice;
    /** Delay before a JobTransferred / JobError / FileTransferred callback that
     * did not return S_OK is called again, in seconds (default 60). */
    uint32_t notify_retry_interval;
    /** Notifications in flight at once per user across all of that user's
     * jobs and managers (default 4, as in BITS). */
    uint32_t notify_max_in_flight;
    /* On a simulation the engine is created by the first manager opened on
     * it: later managers share that engine and its limits. */

    /** HTTP(S) transfers of the real engine: seconds without a single byte
     * received (connecting has its own 60 s limit) before the request fails with
     * HRESULT_FROM_WIN32(ERROR_WINHTTP_TIMEOUT), a transient error (default
     * 60). Like the limits above, the first manager of an engine sets it. */
    uint32_t http_stall_timeout;

    /** The state directory: where the engine keeps its store (bgcopy.db, an
     * SQLite database) so jobs survive the process, a crash and a reboot, as
     * BITS keeps its queue. NULL: the BGCOPY_STATE_DIR environment variable,
     * else $XDG_STATE_HOME/bgcopy, else $HOME/.local/state/bgcopy.
     * BGCOPY_STATE_MEMORY keeps jobs in this process only. Managers of one
     * process that name the same directory share one engine; another process
     * holding the directory's engine lock makes bgcopy_manager_open fail with
     * BGCOPY_E_WIN32_SERVICE_ALREADY_RUNNING. A simulation (sim set) persists only when this
     * field names a directory (the variable and the defaults are ignored). */
    const char *state_dir;
    /** Progress checkpoints of a running transfer: written when
     * checkpoint_bytes bytes (default 8 MiB) arrived or checkpoint_ms
     * milliseconds (default 2000) passed since the last one, and always on a
     * state change. UINT64_MAX / UINT32_MAX turn that trigger off. */
    uint64_t checkpoint_bytes;
    /** Checkpoint interval in milliseconds (default 2000; see checkpoint_bytes). */
    uint32_t checkpoint_ms;

    /** BGCOPY_ENGINE_SERVICE only (ignored otherwise). The service's socket. NULL: the
     * BGCOPY_SERVICE_SOCKET environment variable, else $XDG_RUNTIME_DIR/bgcopy/bgcopyd.sock,
     * else /tmp/bgcopy-UID/bgcopyd.sock, UID the effective user id (a directory the library creates
     * with mode 0700 and refuses when it is a symlink, another user's, or open to others). */
    const char *service_socket;
    /** The bgcopyd program started when no service answers. NULL: the BGCOPY_SERVICE_PROGRAM
     * environment variable, else bgcopyd beside the library or program (same directory,
     * ../bin, ../libexec). "" never starts one: opening fails with
     * HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE) when no service answers. */
    const char *service_program;
    /** Seconds a service started by this manager stays up with no client and no active job
     * before it exits. 0: the BGCOPY_SERVICE_IDLE environment variable, else 60. Like the
     * limits above, these and the other engine options reach the service only when this
     * manager starts it. */
    uint32_t service_idle_timeout;

    /* MaxInternetBandwidth group policy (reference §7): a cap on the download rate of
     * background (HIGH, NORMAL, LOW) jobs; FOREGROUND jobs are never throttled. Rates are in
     * Kbps (1 Kbps = 1,000 bits = 125 bytes per second); a rate of 1 is raised to the
     * 2 Kbps minimum BITS honours. Hours are whole hours of the engine's clock: local time
     * for a real engine, UTC of the simulation's wall clock (bgcopy_sim_options
     * start_wall_time) on a simulation. Like the limits above, the first manager of an
     * engine sets the policy. */

    /** 1: the policy applies; 0 (default): background jobs use all the bandwidth there is.
     * Any other value: E_INVALIDARG. */
    int bandwidth_policy;
    /** The cap inside the window, in Kbps. 0 blocks background jobs: each one in QUEUED,
     * CONNECTING or TRANSFERRING goes to TRANSIENT_ERROR with BG_E_BLOCKED_BY_POLICY
     * (context GENERAL_QUEUE_MANAGER) and back to QUEUED when the window ends (not on the
     * MinimumRetryDelay timer, and without counting an error). */
    uint32_t bandwidth_kbps;
    /** First hour of the window (0-23; more: E_INVALIDARG). */
    uint32_t bandwidth_start_hour;
    /** Hour the window ends (0-23, exclusive; 9 to 17 is 09:00-16:59). Equal to
     * bandwidth_start_hour: the window is the whole day. */
    uint32_t bandwidth_end_hour;
    /** The cap outside the window, in Kbps (0 blocks, as above), or
     * BGCOPY_BANDWIDTH_UNLIMITED for none. */
    uint32_t bandwidth_outside_kbps;
} bgcopy_manager_options;

/** bandwidth_outside_kbps value: no cap outside the window. */
#define BGCOPY_BANDWIDTH_UNLIMITED UINT32_MAX

/** state_dir value for an engine without a store. */
#define BGCOPY_STATE_MEMORY ":memory:"

/** Initialiser of bgcopy_manager_options: size set, every other field 0 / NULL. */
#define BGCOPY_MANAGER_OPTIONS_INIT                                                                \
    {                                                                                              \
        sizeof(bgcopy_manager_options), BGCOPY_ENGINE_DEFAULT, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, \
            0, 0, 0, NULL, 0, 0, NULL, NULL, 0, 0, 0, 0, 0, 0                                      \
    }

/** Opens a manager.
 * options: may be NULL for all defaults. On success *out receives a manager
 * the caller closes with bgcopy_manager_close.
 * Opening the first manager of a state directory loads its store: jobs that
 * were CONNECTING or TRANSFERRING are QUEUED again, temp files are trimmed to
 * their last checkpoint, jobs past the inactivity timeout are cancelled.
 * Errors: E_POINTER (out NULL), E_INVALIDARG (options->size too small, unknown
 * engine, empty state_dir; sim or user set for the native engine), E_NOTIMPL
 * (NATIVE requested where BITS does not exist), E_OUTOFMEMORY; from the native
 * engine, the COM HRESULT (0x80070422 when the BITS service is disabled); from
 * the store (bgcopy_manager_open_detail names the file):
 * BG_E_DATABASE_CORRUPT (not a database, truncated, damaged),
 * HRESULT_FROM_WIN32(ERROR_INVALID_DATA) (an SQLite database of another
 * program), HRESULT_FROM_WIN32(ERROR_REVISION_MISMATCH) (written by a newer
 * bgcopy), HRESULT_FROM_WIN32(ERROR_SERVICE_ALREADY_RUNNING) (another
 * process runs the engine of this state directory), E_ACCESSDENIED and the
 * other file-system HRESULTs (the directory cannot be created or used); from
 * BGCOPY_ENGINE_SERVICE: HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE) (no service answers
 * and none may be started), HRESULT_FROM_WIN32(ERROR_SERVICE_REQUEST_TIMEOUT) (the service
 * started did not answer in time), E_ACCESSDENIED (an unsafe socket directory, or an identity
 * the service refuses), HRESULT_FROM_WIN32(ERROR_REVISION_MISMATCH) (a service speaking
 * another protocol version), and the store's errors from the service it started.
 * @param options the options (copied), or NULL.
 * @param[out] out receives the manager (NULL on failure).
 * @return BGCOPY_S_OK or one of the errors above. */
BGCOPY_EXTERN bgcopy_hr bgcopy_manager_open(const bgcopy_manager_options *options,
                                            bgcopy_manager **out);

/** The detail of the last bgcopy_manager_open that failed on the calling
 * thread: one line naming the file or directory involved and what is wrong
 * with it (for example "/home/u/.local/state/bgcopy/bgcopy.db: schema
 * version 7 is newer than this library's 1"), for the user to read. "" when
 * that call gave no detail, or no call failed. Borrowed: valid until the
 * calling thread's next bgcopy_manager_open.
 * @return the detail text, never NULL. */
BGCOPY_EXTERN const char *bgcopy_manager_open_detail(void);

/** Closes a manager. Jobs are not cancelled: they belong to the engine, as
 * BITS jobs outlive the process that made them. Job, file, error and
 * enumerator objects the caller still holds stay fully usable and keep the
 * engine alive until they are released. NULL is accepted. A notification
 * callback that is running when the last reference goes away keeps running
 * (it holds a reference to its job); the engine stops when it returns. So
 * the data a callback's user pointer names must stay valid until the
 * callback can no longer run, not merely until this call returns.
 * @param mgr the manager, or NULL. */
BGCOPY_EXTERN void bgcopy_manager_close(bgcopy_manager *mgr);

/** IBackgroundCopyManager::CreateJob. Creates a job in state SUSPENDED with the
 * BITS defaults (priority NORMAL, notify flags 0x3, retry delay 600 s,
 * no-progress timeout 1,209,600 s, maximum download time 7,776,000 s).
 * display_name: UTF-8, at most 256 characters. id and job are outputs; id may
 * be NULL; job may be NULL (then no reference is returned).
 * Errors: E_INVALIDARG (NULL name, unknown type), BG_E_STRING_TOO_LONG,
 * BG_E_TOO_MANY_JOBS_PER_USER, BG_E_TOO_MANY_JOBS_PER_MACHINE, E_OUTOFMEMORY.
 * Upload and upload-reply jobs are accepted by this call but cannot be
 * transferred by the emulated engine yet (Resume returns E_NOTIMPL).
 * @param mgr the manager.
 * @param display_name the job's display name; copied.
 * @param type the job type.
 * @param[out] id NULL, or receives the new job's GUID.
 * @param[out] job NULL, or receives a reference on the new job, released
 *             with bgcopy_job_release.
 * @return BGCOPY_S_OK or one of the errors above. */
BGCOPY_EXTERN bgcopy_hr bgcopy_manager_create_job(bgcopy_manager *mgr, const char *display_name,
                                                  bgcopy_job_type type, bgcopy_guid *id,
                                                  bgcopy_job **job);

/** IBackgroundCopyManager::GetJob. Errors: E_INVALIDARG (NULL id or out),
 * BG_E_NOT_FOUND (no such job of this user, or the job is in a final
 * state and has left the queue).
 * @param mgr the manager.
 * @param id the job's GUID.
 * @param[out] out receives a new reference on the job (NULL on failure).
 * @return BGCOPY_S_OK or one of the errors above. */
BGCOPY_EXTERN bgcopy_hr bgcopy_manager_get_job(bgcopy_manager *mgr, const bgcopy_guid *id,
                                               bgcopy_job **out);

/** IBackgroundCopyManager::EnumJobs. flags: 0 or BGCOPY_JOB_ENUM_ALL_USERS
 * (administrators only; others get E_ACCESSDENIED). The enumerator is a
 * snapshot taken at the call, oldest job first; final-state jobs are not
 * listed. Errors: E_INVALIDARG (NULL out, unknown flag bits).
 * @param mgr the manager.
 * @param flags 0 or BGCOPY_JOB_ENUM_ALL_USERS.
 * @param[out] out receives the enumerator, released with
 *             bgcopy_job_enum_release (NULL on failure).
 * @return BGCOPY_S_OK, E_ACCESSDENIED, E_OUTOFMEMORY or one of the errors
 *         above. */
BGCOPY_EXTERN bgcopy_hr bgcopy_manager_enum_jobs(bgcopy_manager *mgr, uint32_t flags,
                                                 bgcopy_job_enum **out);

/** IBackgroundCopyManager::GetErrorDescription. Gives the text of any HRESULT
 * (language_id 0 is rejected with E_INVALIDARG as BITS does; any other value
 * gives English). *text is freed with bgcopy_free.
 * @param mgr the manager.
 * @param hr any HRESULT.
 * @param language_id a Windows LANGID such as 0x409.
 * @param[out] text receives a copy of the text (bgcopy_hr_message).
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL mgr or text, language_id 0) or
 *         E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_manager_get_error_description(bgcopy_manager *mgr, bgcopy_hr hr,
                                                             uint32_t language_id, char **text);

/** Registers a named notification handler for this manager's user (the
 * counterpart of BITS's notification CLSID, reference §5.3). Jobs name a
 * handler with bgcopy_job_set_notify_handler; the name is kept with the job
 * while the callbacks live only as long as this registration (until
 * unregistered or the manager is closed). A job without live callbacks has
 * its notifications delivered to the handler it names; JobTransferred and
 * JobError owed while no handler was registered are delivered as soon as one
 * is (e.g. when the application starts again). Registering the same name
 * again replaces the callbacks (the last registration wins).
 * name: 1 to 256 characters. callbacks is copied; user is passed back.
 * Errors: E_INVALIDARG (NULL or empty name, NULL callbacks or a size too
 * small), BG_E_STRING_TOO_LONG, E_OUTOFMEMORY.
 * @param mgr the manager.
 * @param name the handler's name.
 * @param callbacks the callbacks (size set); copied.
 * @param user passed back to every callback; not dereferenced.
 * @return BGCOPY_S_OK or one of the errors above. */
BGCOPY_EXTERN bgcopy_hr bgcopy_manager_register_notify_handler(bgcopy_manager *mgr,
                                                               const char *name,
                                                               const bgcopy_callbacks *callbacks,
                                                               void *user);

/** Removes a registration made through this manager. Errors: E_INVALIDARG,
 * BG_E_NOT_FOUND when this manager registered no handler of that name.
 * @param mgr the manager.
 * @param name the handler's name.
 * @return BGCOPY_S_OK or one of the errors above. */
BGCOPY_EXTERN bgcopy_hr bgcopy_manager_unregister_notify_handler(bgcopy_manager *mgr,
                                                                 const char *name);

/** The user name this manager acts as (borrowed, valid until close).
 * @param mgr the manager.
 * @return the user name; NULL when mgr is NULL. */
BGCOPY_EXTERN const char *bgcopy_manager_user(const bgcopy_manager *mgr);

/** IEnumBackgroundCopyJobs. next: fetches up to count jobs into jobs[] (each a
 * new reference); fetched may be NULL only when count is 1. Returns S_OK when
 * count items were fetched, S_FALSE when fewer remained. skip: S_FALSE when it
 * ran past the end. clone copies the cursor.
 * @param e the enumerator.
 * @param count how many jobs to fetch.
 * @param[out] jobs receives up to count new references, each released with
 *             bgcopy_job_release.
 * @param[out] fetched receives the number fetched.
 * @return BGCOPY_S_OK, BGCOPY_S_FALSE or E_INVALIDARG (NULL e or jobs,
 *         fetched NULL with count other than 1). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_enum_next(bgcopy_job_enum *e, uint32_t count, bgcopy_job **jobs,
                                             uint32_t *fetched);
/** IEnumBackgroundCopyJobs::Skip.
 * @param e the enumerator.
 * @param count how many jobs to skip.
 * @return BGCOPY_S_OK, BGCOPY_S_FALSE (ran past the end; the cursor is at the
 *         end) or E_INVALIDARG (NULL e). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_enum_skip(bgcopy_job_enum *e, uint32_t count);
/** IEnumBackgroundCopyJobs::Reset: back to the first job.
 * @param e the enumerator.
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL e). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_enum_reset(bgcopy_job_enum *e);
/** IEnumBackgroundCopyJobs::Clone: a new enumerator over the same snapshot
 * with the same cursor.
 * @param e the enumerator.
 * @param[out] out receives the copy, released with bgcopy_job_enum_release.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL e or out) or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_enum_clone(bgcopy_job_enum *e, bgcopy_job_enum **out);
/** IEnumBackgroundCopyJobs::GetCount.
 * @param e the enumerator.
 * @param[out] count receives the number of jobs in the snapshot.
 * @return BGCOPY_S_OK or E_INVALIDARG (NULL e or count). */
BGCOPY_EXTERN bgcopy_hr bgcopy_job_enum_get_count(bgcopy_job_enum *e, uint32_t *count);
/** Drops a reference on the enumerator; the last one releases its jobs.
 * NULL is accepted.
 * @param e the enumerator, or NULL. */
BGCOPY_EXTERN void bgcopy_job_enum_release(bgcopy_job_enum *e);

BGCOPY_END_DECLS

#endif /* BGCOPY_MANAGER_H */
