/* core-int.h - private header of the core: the emulated engine's data model
 * and the seams between its modules.
 *
 * Modules (one concept per file):
 *   api.c        public entry points: argument checks, dispatch through the
 *                engine table (struct bgcopy__engine_ops)
 *   emu.c        the emulated engine's implementation of that table
 *   engine.c     engine lifetime, clock, timer heap, real-mode runner thread
 *   statemachine.c  the BITS job state-transition table
 *   sched.c      scheduler: foreground concurrency, one background job,
 *                strict priority, round robin
 *   policy.c     the MaxInternetBandwidth group policy (rate caps, blocks)
 *   transfer.c   the download protocol (HEAD, ranged GETs, temp files)
 *   timers.c     retry / no-progress / max-download / inactivity timers
 *   notify.c     notification queue and dispatch
 *   transport-file.c  file:// and absolute-path remote names
 *   sim.c        the simulation harness and its scripted transport
 *   names.c      URL and local-name validation
 *   cmdline.c    splitting a Windows command line into argv
 *   util.c       strings, GUIDs, FILETIME, enum names
 *   store.c      the SQLite job store of a state directory (persistence)
 *
 * Locking: one mutex per engine (engine->lock) guards every engine, job and
 * file field. Public calls take it; the runner thread takes it to run due
 * timers. Callbacks are always invoked with it released.
 */
#ifndef BGCOPY_CORE_INT_H
#define BGCOPY_CORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bgcopy.h"
#include "sys.h"

/* Limits and defaults (reference §1.3, §5.4, §6, §7, §8.1, §8.8). */
#define BGCOPY__MAX_DISPLAY_NAME               256
#define BGCOPY__MAX_DESCRIPTION                1024
#define BGCOPY__MAX_URL                        2200
#define BGCOPY__MAX_LOCAL_PATH                 4095
#define BGCOPY__MAX_PROXY_LIST                 32767
#define BGCOPY__MAX_CUSTOM_HEADERS             16383 /* 16,384 characters including the NUL */
#define BGCOPY__MAX_USER_NAME                  300
#define BGCOPY__MAX_PASSWORD                   65535
#define BGCOPY__MAX_CMD_PROGRAM                4095
#define BGCOPY__MAX_CMD_PARAMETERS             4000
#define BGCOPY__DEFAULT_RETRY_DELAY            600u
#define BGCOPY__MIN_RETRY_DELAY                5u
#define BGCOPY__DEFAULT_NO_PROGRESS            1209600u
#define BGCOPY__DEFAULT_MAX_DOWNLOAD           7776000u
#define BGCOPY__DEFAULT_INACTIVITY             7776000u
#define BGCOPY__DEFAULT_JOBS_PER_USER          60u
#define BGCOPY__DEFAULT_JOBS_PER_MACHINE       300u
#define BGCOPY__DEFAULT_FILES_PER_JOB          200u
#define BGCOPY__DEFAULT_RANGES_PER_FILE        500u
#define BGCOPY__DEFAULT_TIME_SLICE             300u
#define BGCOPY__DEFAULT_NOTIFY_RETRY           60u
#define BGCOPY__DEFAULT_NOTIFY_IN_FLIGHT       4u
#define BGCOPY__DEFAULT_HTTP_STALL             60u /* s without a byte: ERROR_WINHTTP_TIMEOUT */
#define BGCOPY__DEFAULT_MIN_NOTIFY_INTERVAL_MS 500u
#define BGCOPY__DEFAULT_CHECKPOINT_BYTES       (8ULL * 1024 * 1024)
#define BGCOPY__DEFAULT_CHECKPOINT_MS          2000u
#define BGCOPY__MAX_RANGE_REQUEST              (2ULL * 1024 * 1024 * 1024) /* 2 GiB per GET */
#define BGCOPY__US                             1000000LL
#define BGCOPY__NOTIFIER_THREADS               8 /* notification pool of a real-mode engine */

struct bgcopy__engine;
struct emu_job;
struct emu_file;

/* ---- generic object headers -------------------------------------------------
 * The public handle types are defined here; an engine embeds them in its own
 * objects and recovers the container from `impl`. */

struct bgcopy__engine_ops;
struct bgcopy__job_info;
struct bgcopy__prop_value;

struct bgcopy_manager {
    const struct bgcopy__engine_ops *ops;
    struct bgcopy__engine *engine;
    char *user;
    int is_admin;
};

struct bgcopy_job {
    const struct bgcopy__engine_ops *ops;
    void *impl;
};

struct bgcopy_file {
    const struct bgcopy__engine_ops *ops;
    void *impl;
};

struct bgcopy_error {
    const struct bgcopy__engine_ops *ops;
    volatile long refs;
    struct emu_job *job;   /* holds a user reference on the job */
    struct emu_file *file; /* NULL when the error concerns no file */
    bgcopy_error_context context;
    bgcopy_hr code;
    const char *protocol; /* "http", "file" or NULL */
    void *impl;           /* native engine: its IBackgroundCopyError (job, file unused) */
};

struct bgcopy_job_enum {
    volatile long refs;
    bgcopy_job **items; /* each holds a reference */
    uint32_t count;
    uint32_t pos;
};

struct bgcopy_file_enum {
    volatile long refs;
    bgcopy_file **items;
    uint32_t count;
    uint32_t pos;
};

/* The engine table: the public API is implemented once in api.c, which
 * validates arguments and calls through this table. Entries receive
 * validated arguments (non-NULL outputs, known enum values, length-checked
 * strings) and return the HRESULT to hand back. */
struct bgcopy__engine_ops {
    const char *name;
    bgcopy_hr (*create_job)(bgcopy_manager *mgr, const char *name, bgcopy_job_type type,
                            bgcopy_guid *id, bgcopy_job **job);
    bgcopy_hr (*get_job)(bgcopy_manager *mgr, const bgcopy_guid *id, bgcopy_job **out);
    bgcopy_hr (*enum_jobs)(bgcopy_manager *mgr, uint32_t flags, bgcopy_job_enum **out);
    void (*close)(bgcopy_manager *mgr);
    bgcopy_hr (*register_handler)(bgcopy_manager *mgr, const char *name, const bgcopy_callbacks *cb,
                                  void *user);
    bgcopy_hr (*unregister_handler)(bgcopy_manager *mgr, const char *name);

    void (*job_addref)(bgcopy_job *job);
    void (*job_release)(bgcopy_job *job);
    bgcopy_hr (*add_files)(bgcopy_job *job, uint32_t count, const bgcopy_file_info *files,
                           uint32_t range_count, const bgcopy_file_range *ranges);
    bgcopy_hr (*enum_files)(bgcopy_job *job, bgcopy_file_enum **out);
    bgcopy_hr (*replace_remote_prefix)(bgcopy_job *job, const char *old_prefix,
                                       const char *new_prefix);
    bgcopy_hr (*resume)(bgcopy_job *job);
    bgcopy_hr (*suspend)(bgcopy_job *job);
    bgcopy_hr (*cancel)(bgcopy_job *job);
    bgcopy_hr (*complete)(bgcopy_job *job);
    /* Reads every scalar property at once (under the lock). */
    bgcopy_hr (*get_info)(bgcopy_job *job, struct bgcopy__job_info *info);
    bgcopy_hr (*get_string)(bgcopy_job *job, int which, char **out);
    bgcopy_hr (*get_error)(bgcopy_job *job, bgcopy_error **err);
    /* Property setters: `which` selects the property (BGCOPY__PROP_*). */
    bgcopy_hr (*set_property)(bgcopy_job *job, int which, const struct bgcopy__prop_value *v);
    bgcopy_hr (*set_callbacks)(bgcopy_job *job, const bgcopy_callbacks *cb, void *user);
    bgcopy_hr (*get_callbacks)(bgcopy_job *job, int *registered, bgcopy_callbacks *cb, void **user);

    void (*file_addref)(bgcopy_file *file);
    void (*file_release)(bgcopy_file *file);
    bgcopy_hr (*file_get_string)(bgcopy_file *file, int which, char **out);
    bgcopy_hr (*file_get_progress)(bgcopy_file *file, bgcopy_file_progress *p);
    bgcopy_hr (*file_get_ranges)(bgcopy_file *file, uint32_t *count, bgcopy_file_range **r);
    bgcopy_hr (*file_set_remote_name)(bgcopy_file *file, const char *url);

    void (*error_release)(bgcopy_error *err);
    bgcopy_hr (*error_get_file)(bgcopy_error *err, bgcopy_file **file);

    /* Optional entries: NULL makes api.c take the generic path named. */
    /* Fills only the field of *info at byte offset `field` (offsetof(struct bgcopy__job_info,
     * ...)): for an engine where each property costs a call of its own (native). An engine sets
     * get_info or this, not both. */
    bgcopy_hr (*get_info_field)(bgcopy_job *job, size_t field, struct bgcopy__job_info *info);
    /* An error object's texts (which: BGCOPY__ERR_TEXT_*); NULL: api.c derives them from the
     * object's code, context and protocol fields. */
    bgcopy_hr (*error_get_text)(bgcopy_error *err, int which, uint32_t language_id, char **text);
    /* IBackgroundCopyManager::GetErrorDescription; NULL: bgcopy_hr_message(). */
    bgcopy_hr (*describe_hr)(bgcopy_manager *mgr, bgcopy_hr hr, uint32_t language_id, char **text);
    /* 1: the engine is the real BITS, which judges remote and local names and notification
     * command lines itself (drive letters, UNC names); api.c then checks only that they are
     * not NULL, and leaves the rest to it. */
    int os_checks_names;
};

/* Texts of an error object for error_get_text. */
enum { BGCOPY__ERR_TEXT_DESCRIPTION = 1, BGCOPY__ERR_TEXT_CONTEXT, BGCOPY__ERR_TEXT_PROTOCOL };

/* Everything scalar about a job, read in one locked step. */
struct bgcopy__job_info {
    bgcopy_guid id;
    bgcopy_job_type type;
    bgcopy_job_state state;
    bgcopy_job_priority priority;
    bgcopy_job_progress progress;
    bgcopy_job_times times;
    uint32_t error_count;
    uint32_t notify_flags;
    uint32_t retry_delay;
    uint32_t no_progress_timeout;
    uint32_t max_download_time;
    bgcopy_proxy_usage proxy_usage;
    uint32_t security_flags;
    uint32_t cost_flags;
    int dynamic_content;
    int high_performance;
    int on_demand;
    uint64_t max_download_size; /* 0: not set */
    uint32_t min_notify_interval_ms;
    bgcopy_guid notification_clsid;
    int has_custom_headers;
};

/* String properties for get_string / file_get_string. */
enum {
    BGCOPY__STR_DISPLAY_NAME = 1,
    BGCOPY__STR_DESCRIPTION,
    BGCOPY__STR_OWNER,
    BGCOPY__STR_PROXY_LIST,
    BGCOPY__STR_PROXY_BYPASS,
    BGCOPY__STR_CUSTOM_HEADERS,
    BGCOPY__STR_CMD_PROGRAM,
    BGCOPY__STR_CMD_PARAMETERS,
    BGCOPY__STR_FILE_REMOTE,
    BGCOPY__STR_FILE_LOCAL,
    BGCOPY__STR_FILE_TEMP,
    BGCOPY__STR_HANDLER
};

/* Settable properties for set_property. */
enum {
    BGCOPY__PROP_DISPLAY_NAME = 1,
    BGCOPY__PROP_DESCRIPTION,
    BGCOPY__PROP_PRIORITY,
    BGCOPY__PROP_NOTIFY_FLAGS,
    BGCOPY__PROP_RETRY_DELAY,
    BGCOPY__PROP_NO_PROGRESS,
    BGCOPY__PROP_MAX_DOWNLOAD_TIME,
    BGCOPY__PROP_PROXY,
    BGCOPY__PROP_CREDENTIALS,
    BGCOPY__PROP_REMOVE_CREDENTIALS,
    BGCOPY__PROP_CMD_LINE,
    BGCOPY__PROP_CUSTOM_HEADERS,
    BGCOPY__PROP_SECURITY_FLAGS,
    BGCOPY__PROP_JOB5,   /* Job5 property: v->job5_id, v->job5 */
    BGCOPY__PROP_HANDLER /* persisted handler name: v->s1 (NULL clears) */
};

struct bgcopy__prop_value {
    const char *s1;
    const char *s2;
    uint32_t u;
    uint32_t u2;
    int i;
    bgcopy_job_property_id job5_id;
    bgcopy_job_property_value job5;
};

/* ---- timers -------------------------------------------------------------------
 * Intrusive deadline-heap entries. `fn` runs on the engine's thread with the
 * lock held. Active timers represent work in progress (transfer steps,
 * scheduling, notification dispatch); passive ones wait for a later time
 * (retry delay, timeouts). bgcopy_sim_run_until_idle stops when no active
 * timer is armed. Ties break by arming order (seq). */
typedef struct bgcopy__timer bgcopy__timer;
struct bgcopy__timer {
    int64_t due;
    uint64_t seq;
    size_t index; /* heap position + 1; 0 when not armed */
    int active;
    void (*fn)(struct bgcopy__engine *e, bgcopy__timer *t);
    void *data;
};

void bgcopy__timer_init(bgcopy__timer *t, void (*fn)(struct bgcopy__engine *, bgcopy__timer *),
                        void *data, int active);
/* Arms (or re-arms) t at absolute monotonic time due (microseconds). */
void bgcopy__timer_arm(struct bgcopy__engine *e, bgcopy__timer *t, int64_t due);
void bgcopy__timer_disarm(struct bgcopy__engine *e, bgcopy__timer *t);
int bgcopy__timer_armed(const bgcopy__timer *t);

/* ---- transports ------------------------------------------------------------------ */

struct bgcopy__xfer;

struct bgcopy__xfer_request {
    const char *url;
    int head; /* 1: HEAD; 0: GET */
    int has_range;
    uint64_t first;
    uint64_t last;             /* inclusive */
    const struct emu_job *job; /* options: headers, proxy, credentials, flags */
};

struct bgcopy__xfer_response {
    int status;              /* HTTP status (200 / 206 for local files) */
    uint64_t content_length; /* BGCOPY_SIZE_UNKNOWN when absent */
    int has_content_range;
    uint64_t cr_first, cr_last, cr_total; /* cr_total BGCOPY_SIZE_UNKNOWN for '*' */
    int64_t last_modified_us;             /* Unix epoch; INT64_MIN when absent */
    const char *etag;                     /* may be NULL */
    const char *final_url;                /* URL after redirects, NULL when none */
};

/* Callbacks from a transport to the engine, always with the engine lock
 * held: on the engine's thread (file and simulated transports, from engine
 * timers), or on a transport's own I/O thread, which takes the lock around
 * each call and skips the call when the request was aborted (the HTTP
 * transport). Never from inside start(). on_response returns 0 to continue
 * with the body, non-zero to stop (the transport then ends the request
 * without calling on_done).
 * on_data: data NULL means len zero bytes. A non-S_OK return from on_data
 * stops the request likewise. on_done reports the end of the body (S_OK)
 * or a failure with its HRESULT and error context. After abort, or after
 * a stop, no callback follows. */
struct bgcopy__xfer_sink {
    int (*on_response)(void *ctx, const struct bgcopy__xfer_response *r);
    bgcopy_hr (*on_data)(void *ctx, const void *data, size_t len);
    void (*on_done)(void *ctx, bgcopy_hr hr, bgcopy_error_context context);
};

/* A transport. start() and abort() are called with the engine lock held,
 * from any engine thread; they must not block on I/O. After abort(), or
 * after a sink callback returned stop / on_done ran, the engine never uses
 * the xfer again and the transport frees it (possibly later, on its own
 * thread). destroy() is called without the lock, after every request was
 * aborted, when the engine is freed. */
struct bgcopy__transport {
    const char *name;
    const char *protocol; /* "http" or "file", for IBackgroundCopyError::GetProtocol */
    void *state;
    /* 1 when this transport serves url. */
    int (*accepts)(struct bgcopy__transport *tp, const char *url);
    bgcopy_hr (*start)(struct bgcopy__transport *tp, struct bgcopy__engine *e,
                       const struct bgcopy__xfer_request *req, const struct bgcopy__xfer_sink *sink,
                       void *ctx, struct bgcopy__xfer **out);
    void (*abort)(struct bgcopy__transport *tp, struct bgcopy__xfer *x);
    void (*destroy)(struct bgcopy__transport *tp);
};

struct bgcopy__transport *bgcopy__transport_file_new(void);
/* http:// and https:// over libcurl + libuv (backend-curl/http.c); real engines only. */
struct bgcopy__transport *bgcopy__transport_http_new(void);

/* ---- emulated engine objects ---------------------------------------------------- */

struct emu_file {
    struct bgcopy_file handle;
    volatile long user_refs;
    struct emu_job *job;
    uint32_t index;
    char *remote;
    char *local;
    char *temp;           /* BIT<hex>.tmp path beside local */
    int temp_exists;      /* created by this job and not yet removed */
    uint64_t bytes_total; /* BGCOPY_SIZE_UNKNOWN until known */
    uint64_t bytes_transferred;
    int transferred;         /* every byte is in the temp file */
    int completed;           /* renamed to local by Complete */
    uint64_t remote_size;    /* last seen entity size, SIZE_UNKNOWN if none */
    int64_t remote_mtime_us; /* last seen Last-Modified, INT64_MIN if none */
    uint32_t range_count;    /* 0: whole file */
    bgcopy_file_range *ranges;
    uint32_t range_index; /* range being fetched */
    uint64_t range_done;  /* bytes of that range already fetched */
    int transferred_notified;
    uint32_t entity_changes; /* restarts because the entity changed between HEAD and GET,
                                with no byte written since (transfer.c) */
    uint64_t saved_bytes;    /* bytes_transferred at the last store write (store.c) */
};

struct emu_cred {
    int set;
    char *user;
    char *password;
};

struct emu_user; /* per-user notification accounting (notify.c) */

struct emu_job {
    struct bgcopy_job handle;
    struct bgcopy__engine *engine;
    volatile long user_refs;
    int in_engine; /* listed in engine->jobs */
    struct emu_job *prev, *next;

    bgcopy_guid id;
    bgcopy_job_type type;
    bgcopy_job_state state;
    bgcopy_job_priority priority;
    char *name;
    char *description;
    char *owner;
    struct emu_user *user;
    int owner_admin;    /* the creating manager was an administrator */
    long internal_refs; /* notifications in flight (lock held) */

    uint32_t notify_flags;
    int cb_registered;
    bgcopy_callbacks cb;
    void *cb_user;
    char *cmd_program;
    char *cmd_parameters;
    char *handler_name; /* persisted handler this job names, or NULL */

    uint32_t retry_delay;
    uint32_t no_progress_timeout;
    uint32_t max_download_time;
    bgcopy_proxy_usage proxy_usage;
    char *proxy_list;
    char *proxy_bypass;
    struct emu_cred creds[3][6]; /* [target][scheme] */
    char *custom_headers;
    uint32_t security_flags;
    uint32_t cost_flags;
    int dynamic_content;
    int high_performance;
    int on_demand;
    uint64_t max_download_size;
    uint32_t min_notify_interval_ms;
    bgcopy_guid notification_clsid;
    int resumed_once;
    int policy_blocked; /* TRANSIENT_ERROR because MaxInternetBandwidth is 0 (policy.c) */

    struct emu_file **files;
    uint32_t file_count;
    uint32_t file_cap;

    bgcopy_filetime creation_time;
    bgcopy_filetime modification_time;
    bgcopy_filetime transfer_completion_time;

    /* error record, valid while has_error */
    int has_error;
    bgcopy_error_context error_context;
    bgcopy_hr error_code;
    struct emu_file *error_file;
    const char *error_protocol;
    uint32_t error_count;

    /* scheduling */
    uint64_t queue_seq; /* round-robin order among equal priorities */
    bgcopy__timer slice_timer;
    /* transfer in progress */
    struct bgcopy__xfer *xfer;
    struct bgcopy__transport *xfer_tp;
    struct emu_file *xfer_file;
    int xfer_head;
    uint64_t xfer_offset; /* where the current GET writes in the temp file */
    uint64_t xfer_expect; /* bytes the current GET should deliver */
    uint64_t xfer_got;
    int xfer_fd;
    int xfer_full_body;       /* accepted a 200 for a ranged request */
    int in_sink;              /* inside a transport callback: abort must only detach */
    bgcopy__timer step_timer; /* starts the next request outside transport callbacks */

    /* timers */
    bgcopy__timer retry_timer;
    bgcopy__timer no_progress_timer;
    int no_progress_expired;
    bgcopy__timer max_download_timer;
    int64_t active_since_us; /* start of the current CONNECTING/TRANSFERRING span, -1 */
    int64_t active_accum_us; /* time spent active since the last Resume */
    bgcopy__timer inactivity_timer;
    int64_t last_activity_us;

    /* notifications */
    int owed_transferred; /* JobTransferred not yet delivered with S_OK */
    int owed_error;
    int mod_pending;
    int64_t last_mod_us;
    bgcopy__timer mod_timer;
    int file_notify_busy; /* a FileTransferred of this job is in flight */
    unsigned notifying;   /* bit 1 << kind: a notification of that kind is being delivered */

    /* store (store.c) */
    uint64_t store_seq;  /* creation order in the store; 0: not stored */
    int completing;      /* Complete is renaming files (rolled forward after a crash) */
    uint64_t ckpt_bytes; /* bytes received since the last checkpoint */
    int64_t ckpt_us;     /* engine time of the last checkpoint */
};

/* A named notification handler registered by a manager (the counterpart of
 * BITS's notification CLSID): jobs name it, the name persists with the job,
 * the callbacks live as long as the registration. */
struct emu_handler {
    struct emu_handler *next;
    char *name;
    char *owner;
    bgcopy_manager *mgr;
    bgcopy_callbacks cb;
    void *user;
};

/* Per-user accounting. */
struct emu_user {
    struct emu_user *next;
    char *name;
    uint32_t job_count; /* non-final jobs */
    uint32_t in_flight; /* notifications being delivered */
};

/* A notification waiting for delivery. */
enum {
    BGCOPY__NOTE_FILE_TRANSFERRED = 0,
    BGCOPY__NOTE_JOB_TRANSFERRED = 1,
    BGCOPY__NOTE_JOB_ERROR = 2,
    BGCOPY__NOTE_JOB_MODIFICATION = 3
};

struct bgcopy__note {
    struct bgcopy__note *next;
    int kind;
    int cmdline_only;      /* the callback failed: only the command line runs now */
    struct emu_job *job;   /* holds a user reference */
    struct emu_file *file; /* FILE_TRANSFERRED */
    int64_t due;
    uint64_t seq;
    uint32_t attempts;
};

struct bgcopy__engine {
    bgcopy__mutex *lock;
    volatile long refs;
    int closing;

    /* clock: simulated engines read sim_now; real ones the system clock */
    struct bgcopy_sim *sim;
    int64_t sim_now_us;
    int64_t sim_wall_origin_us;

    /* policy */
    uint32_t max_jobs_per_user;
    uint32_t max_jobs_per_machine;
    uint32_t max_files_per_job;
    uint32_t max_ranges_per_file;
    uint32_t inactivity_timeout;
    uint32_t max_download_policy;
    uint32_t time_slice;
    uint32_t notify_retry;
    uint32_t notify_max_in_flight;
    uint32_t http_stall_timeout; /* seconds without a byte before a request times out */

    /* MaxInternetBandwidth policy (policy.c); rates in bytes per second */
    int bw_policy;          /* the policy applies */
    uint64_t bw_rate_in;    /* cap inside the window; 0 blocks */
    uint64_t bw_rate_out;   /* cap outside the window; 0 blocks; UINT64_MAX: none */
    uint32_t bw_start_hour; /* window [start, end) in hours of the engine's clock */
    uint32_t bw_end_hour;   /* == start: the whole day */
    bgcopy__timer bw_timer; /* the next full hour, while the window matters */

    /* persistence: NULL for an engine without a store */
    struct bgcopy__store *store;
    uint64_t checkpoint_bytes;
    uint32_t checkpoint_ms;
    char *state_key;                      /* resolved state directory or ":memory:" (real) */
    struct bgcopy__engine *registry_next; /* real engines of this process, by state_key */

    /* jobs, oldest first */
    struct emu_job *jobs_head, *jobs_tail;
    uint32_t job_count; /* non-final jobs */
    uint64_t queue_seq;
    struct emu_user *users;

    /* timer heap */
    bgcopy__timer **heap;
    size_t heap_len, heap_cap;
    uint64_t timer_seq;
    size_t active_armed;
    bgcopy__timer sched_timer;

    /* transports, first match wins */
    struct bgcopy__transport *transports[4];
    size_t transport_count;

    /* notifications */
    struct bgcopy__note *notes;
    struct emu_handler *handlers;
    uint64_t note_seq;
    bgcopy__timer note_timer; /* simulated engines: dispatch when due */
    void *busy_slots;         /* simulated callbacks held busy (notify.c) */

    /* real-mode runner and notification thread */
    bgcopy__cond *wake;
    bgcopy__thread *runner;
    bgcopy__cond *note_wake;
    bgcopy__thread *notifiers[BGCOPY__NOTIFIER_THREADS];
    uintptr_t notifier_ids[BGCOPY__NOTIFIER_THREADS];
    size_t notifier_count;
    size_t notifier_started;
    int stop;
    uintptr_t self_destroy; /* the notifier thread that dropped the last reference */
    int resurrected;        /* see bgcopy__engine_shared */
};

/* ---- engine.c ---------------------------------------------------------------- */

/* A new engine. state_dir: the directory of its store (created if missing), or NULL for
 * none. Errors in *hr: those of bgcopy_manager_open. */
struct bgcopy__engine *bgcopy__engine_new(const bgcopy_manager_options *o, struct bgcopy_sim *sim,
                                          const char *state_dir, bgcopy_hr *hr);
/* The real-mode engine of the state directory o names (see bgcopy_manager_options.state_dir),
 * created and loaded on first use, shared by every manager of this process that names the
 * same directory; with a new reference. */
struct bgcopy__engine *bgcopy__engine_shared(const bgcopy_manager_options *o, bgcopy_hr *hr);
void bgcopy__engine_retain(struct bgcopy__engine *e);
void bgcopy__engine_release(struct bgcopy__engine *e);
int64_t bgcopy__engine_now(const struct bgcopy__engine *e);
int64_t bgcopy__engine_wall(const struct bgcopy__engine *e);
bgcopy_filetime bgcopy__engine_filetime(const struct bgcopy__engine *e);
/* Asks for a scheduling pass (coalesced, runs as an active timer). */
void bgcopy__engine_kick(struct bgcopy__engine *e);
/* Runs every timer due at or before `now`; returns the number run. The lock
 * is held by the caller. */
size_t bgcopy__engine_run_due(struct bgcopy__engine *e, int64_t now);
/* The earliest armed timer, or NULL. */
bgcopy__timer *bgcopy__engine_next_timer(struct bgcopy__engine *e);
/* Wakes the real-mode runner after the heap changed. */
void bgcopy__engine_signal(struct bgcopy__engine *e);
struct bgcopy__transport *bgcopy__engine_transport_for(struct bgcopy__engine *e, const char *url);
extern const struct bgcopy__engine_ops bgcopy__emu_ops;
/* Sets the text bgcopy_manager_open_detail returns on the calling thread
 * (truncated to 511 bytes; NULL clears it). */
void bgcopy__set_open_detail(const char *text);

#ifdef _WIN32
/* backend-win/native.c: opens a manager on the system's BITS (the native engine). o has been
 * checked for its size and engine. Errors: E_INVALIDARG (o->sim or o->user set: the native
 * engine has no simulation and acts as the calling user only), the HRESULT of
 * CoIncrementMTAUsage or CoCreateInstance (0x80070422 when the BITS service is disabled),
 * E_OUTOFMEMORY. */
bgcopy_hr bgcopy__native_open(const bgcopy_manager_options *o, bgcopy_manager **out);
#define BGCOPY__HAVE_NATIVE 1
#endif

/* ---- statemachine.c ----------------------------------------------------------- */

/* Events that move a job between states (reference §1.4). */
typedef enum bgcopy__job_event {
    BGCOPY__EV_RESUME = 0, /* App Resume */
    BGCOPY__EV_SUSPEND,    /* App Suspend */
    BGCOPY__EV_CANCEL,     /* App Cancel, or inactivity timeout */
    BGCOPY__EV_COMPLETE,   /* App Complete */
    BGCOPY__EV_START,      /* scheduler picks the job */
    BGCOPY__EV_CONNECTED,  /* transport answered */
    BGCOPY__EV_TRANSIENT,  /* recoverable failure */
    BGCOPY__EV_FATAL,      /* non-recoverable failure, or a timeout */
    BGCOPY__EV_PREEMPT,    /* time slice over, or a higher priority job */
    BGCOPY__EV_ALL_DONE,   /* last byte of last file */
    BGCOPY__EV_RETRY,      /* MinimumRetryDelay elapsed */
    BGCOPY__EV_COUNT
} bgcopy__job_event;

/* Application calls whose legality depends on the job's state (reference §1.5). */
typedef enum bgcopy__job_call {
    BGCOPY__CALL_ADD_FILES = 0,         /* AddFile, AddFileSet, AddFileWithRanges */
    BGCOPY__CALL_REPLACE_REMOTE_PREFIX, /* ReplaceRemotePrefix */
    BGCOPY__CALL_RESUME,                /* Resume */
    BGCOPY__CALL_SUSPEND,               /* Suspend */
    BGCOPY__CALL_CANCEL,                /* Cancel */
    BGCOPY__CALL_COMPLETE,              /* Complete of a download job */
    BGCOPY__CALL_COMPLETE_UPLOAD,       /* Complete of an upload or upload-reply job */
    BGCOPY__CALL_SET_PROPERTY,          /* every property setter (Set*, SetProperty, credentials) */
    BGCOPY__CALL_SET_CALLBACKS,         /* SetNotifyInterface (callbacks) */
    BGCOPY__CALL_SET_REMOTE_NAME,       /* IBackgroundCopyFile2::SetRemoteName */
    BGCOPY__CALL_COUNT
} bgcopy__job_call;

/* Whether op may be called on a job in state s: S_OK, or the HRESULT the call returns
 * (BG_E_INVALID_STATE); E_UNEXPECTED for an op or state out of range. Checks that depend on
 * more than the state (no files: BG_E_EMPTY; job type: E_NOTIMPL) stay with each call. */
bgcopy_hr bgcopy__job_call_check(bgcopy__job_call op, bgcopy_job_state s);

/* The state event ev leads to from state `from`, or -1 when ev is not legal
 * there. */
int bgcopy__job_next_state(bgcopy_job_state from, bgcopy__job_event ev);
const char *bgcopy__job_event_name(bgcopy__job_event ev);
int bgcopy__job_state_is_final(bgcopy_job_state s);
int bgcopy__job_state_is_active(bgcopy_job_state s); /* CONNECTING, TRANSFERRING */

/* ---- emu.c -------------------------------------------------------------------- */

/* Applies ev to job (must be legal: aborts otherwise) and runs the
 * consequences: timers, scheduling, notifications, modification time. */
void bgcopy__job_apply(struct emu_job *job, bgcopy__job_event ev);
void bgcopy__job_touch(struct emu_job *job); /* modification time + activity */
void bgcopy__job_set_error(struct emu_job *job, struct emu_file *file, bgcopy_hr hr,
                           bgcopy_error_context ctx, const char *protocol);
void bgcopy__job_clear_error(struct emu_job *job);
void bgcopy__job_delete_temps(struct emu_job *job, int only_unfinished, int *failed);
struct emu_job *bgcopy__job_from_handle(bgcopy_job *h);
void bgcopy__job_user_ref(struct emu_job *job);
void bgcopy__job_user_unref(struct emu_job *job);
/* Drops an engine-internal reference (lock held); frees a job that left. */
void bgcopy__job_internal_unref(struct emu_job *job);
/* Cancels a non-final job: temp files deleted, CANCELLED, leaves the engine.
 * Lock held. */
bgcopy_hr bgcopy__job_cancel_locked(struct emu_job *job);
/* A new error object for the job's current error record (lock held). */
bgcopy_hr bgcopy__job_error_object(struct emu_job *job, bgcopy_error **out);
/* Removes a final-state job from the engine list (freeing it when no user
 * holds it). */
void bgcopy__job_leave_engine(struct emu_job *job);
void bgcopy__job_progress(const struct emu_job *job, bgcopy_job_progress *p);
/* A job with CreateJob's defaults for owner, not yet in the engine; NULL when out of
 * memory. Lock held. */
struct emu_job *bgcopy__job_alloc(struct bgcopy__engine *e, const char *owner, const char *name);
/* Links job at the end of the engine's list and counts it for its owner. */
void bgcopy__job_attach(struct emu_job *job);
/* Frees a job that was never attached (timers disarmed by the caller). */
void bgcopy__job_free_unattached(struct emu_job *job);
/* A file of job with no names yet (bytes and size unknown); NULL when out of memory. */
struct emu_file *bgcopy__file_alloc(struct emu_job *job);
void bgcopy__file_free(struct emu_file *f);
/* Grows job->files so that `more` files fit. Errors: E_OUTOFMEMORY. */
bgcopy_hr bgcopy__job_reserve_files(struct emu_job *job, uint32_t more);
/* Replaces the last path component of temp (a "BIT????.tmp" name, absolute
 * path) with a fresh random BIT<4 upper-case hex>.tmp of the same length. */
void bgcopy__temp_name_draw(char *temp);

/* ---- store.c -------------------------------------------------------------------- */

struct bgcopy__store;
/* 1 when this build has a store (core/store.c); 0 in builds without SQLite
 * (platform/win/store-none.c), where every state directory means BGCOPY_STATE_MEMORY. */
int bgcopy__store_available(void);
/* Opens (creating, migrating) the store of directory dir, which exists, and takes its
 * engine lock. On failure bgcopy_manager_open_detail names the file; errors:
 * BG_E_DATABASE_CORRUPT, HRESULT_FROM_WIN32(ERROR_INVALID_DATA) (another program's
 * database), HRESULT_FROM_WIN32(ERROR_REVISION_MISMATCH) (newer schema),
 * HRESULT_FROM_WIN32(ERROR_SERVICE_ALREADY_RUNNING) (lock held elsewhere), file errors. */
bgcopy_hr bgcopy__store_open(const char *dir, struct bgcopy__store **out);
void bgcopy__store_close(struct bgcopy__store *s);
/* Loads every stored job into e (lock held, before the engine runs) and repairs what a
 * crash left: temp files trimmed to their checkpoint (a missing or shorter one restarts its
 * file), interrupted Completes finished, jobs past the inactivity timeout cancelled with
 * their temp files, CONNECTING / TRANSFERRING jobs QUEUED, timers re-armed from their wall
 * stamps. Errors: BG_E_DATABASE_CORRUPT for a damaged record (nothing is changed then). */
bgcopy_hr bgcopy__store_load(struct bgcopy__engine *e);
/* Writes job, its files and credentials in one transaction (a job in a final state is
 * deleted instead). No-op without a store. Lock held. Errors: disk and database HRESULTs;
 * the store keeps its previous content then. */
bgcopy_hr bgcopy__store_save(struct emu_job *job);
/* Writes job when a file's progress moved since the last write (what a shutdown keeps). */
bgcopy_hr bgcopy__store_save_progress(struct emu_job *job);
/* Writes job's row and one file's row (temp name and progress). Lock held. */
bgcopy_hr bgcopy__store_save_file(struct emu_job *job, struct emu_file *f);
/* len bytes of f arrived: writes a checkpoint when the engine's byte or time threshold
 * is reached. Lock held. */
void bgcopy__store_progress(struct emu_job *job, struct emu_file *f, uint64_t len);
/* Deletes job from the store (after its temp files were renamed or deleted). */
bgcopy_hr bgcopy__store_forget(struct emu_job *job);

/* ---- sched.c -------------------------------------------------------------------- */

/* Runs one scheduling pass: starts, preempts and rotates jobs. */
void bgcopy__sched_run(struct bgcopy__engine *e);
void bgcopy__sched_slice_expired(struct bgcopy__engine *e, bgcopy__timer *t);

/* ---- policy.c -------------------------------------------------------------------- */

/* Sets up e's MaxInternetBandwidth policy from the validated options o (engine_new). */
void bgcopy__policy_init(struct bgcopy__engine *e, const bgcopy_manager_options *o);
/* The download rate cap for job now, in bytes per second; 0: no cap. FOREGROUND jobs and
 * engines without the policy have none. Lock held. */
uint64_t bgcopy__policy_rate(const struct bgcopy__engine *e, const struct emu_job *job);
/* Applies the policy to every job (from the scheduling pass, before jobs are started):
 * background jobs in QUEUED, CONNECTING or TRANSFERRING while the cap is 0 go to
 * TRANSIENT_ERROR with BG_E_BLOCKED_BY_POLICY; blocked jobs the policy lets run again
 * (window over, job made FOREGROUND) go back to QUEUED. Arms the hourly window timer. */
void bgcopy__policy_apply(struct bgcopy__engine *e);

/* ---- transfer.c ---------------------------------------------------------------- */

/* Starts (or continues) transferring job's next unfinished file. The job is
 * CONNECTING. */
void bgcopy__transfer_start(struct emu_job *job);
/* Stops any request in flight; progress is kept. */
void bgcopy__transfer_abort(struct emu_job *job);
/* Classifies an HTTP status for a download (reference §4.4): 1 transient,
 * 0 fatal. */
int bgcopy__http_status_is_transient(int status);
/* Whether a failure HRESULT from a transport is transient. */
int bgcopy__hr_is_transient(bgcopy_hr hr);

/* ---- timers.c -------------------------------------------------------------------- */

void bgcopy__timers_init(struct emu_job *job);
void bgcopy__timers_stop_all(struct emu_job *job);
/* Called on every state change, after the state was updated. */
void bgcopy__timers_state_changed(struct emu_job *job, bgcopy_job_state from, bgcopy__job_event ev);
/* MaximumDownloadTime changed: re-measures an active job's budget. */
void bgcopy__timers_max_download_changed(struct emu_job *job);
/* NoProgressTimeout changed from old_seconds: a running no-progress window
 * (started at the first transient error) ends at its start + the new value. */
void bgcopy__timers_no_progress_changed(struct emu_job *job, uint32_t old_seconds);
/* Bytes arrived: resets the no-progress timer. */
void bgcopy__timers_progress(struct emu_job *job);
/* Re-arms the inactivity timer after activity. */
void bgcopy__timers_activity(struct emu_job *job);

/* ---- notify.c -------------------------------------------------------------------- */

void bgcopy__notify_init(struct emu_job *job);
/* Queues a notification if flags and state allow it. */
void bgcopy__notify_event(struct emu_job *job, int kind, struct emu_file *file);
/* A modification happened (coalesced by the minimum interval). */
void bgcopy__notify_modified(struct emu_job *job);
/* Callbacks were (re)registered: re-queue owed notifications. */
void bgcopy__notify_registered(struct emu_job *job);
/* JobTransferred / JobError still owed to the job's targets are queued again
 * (a target appeared: callbacks, a handler, a command line). */
void bgcopy__notify_owed(struct emu_job *job);
/* A handler was registered: deliver what is owed to jobs naming it. */
void bgcopy__notify_handler_registered(struct bgcopy__engine *e, const struct emu_handler *h);
/* The job reached a final state: drop its pending notifications. */
void bgcopy__notify_drop_job(struct emu_job *job);
/* Delivers every notification that is due and has a slot, invoking
 * callbacks with the lock released. Called with the lock held; returns with
 * it held. Returns the number delivered. */
size_t bgcopy__notify_dispatch(struct bgcopy__engine *e);
/* Earliest due time of a deliverable notification (INT64_MAX if none). */
int64_t bgcopy__notify_next_due(struct bgcopy__engine *e);
struct emu_user *bgcopy__user_get(struct bgcopy__engine *e, const char *name);
void bgcopy__notify_free_all(struct bgcopy__engine *e);

/* ---- names.c ---------------------------------------------------------------------- */

enum { BGCOPY__URL_HTTP = 1, BGCOPY__URL_FILE = 2 };
/* Validates a remote name: returns S_OK and *kind, or E_INVALIDARG. */
bgcopy_hr bgcopy__validate_remote(const char *url, int *kind);
/* Turns a file:// URL or absolute path into a local path (malloc'ed). */
bgcopy_hr bgcopy__file_url_to_path(const char *url, char **path);
/* Validates a local name: absolute, no trailing slash, no NUL tricks,
 * directory exists and is writable. */
bgcopy_hr bgcopy__validate_local(const char *path);
/* Validates custom headers: CRLF-terminated "Name: value" lines, no bare CR
 * or LF (header injection). */
bgcopy_hr bgcopy__validate_headers(const char *headers);
/* UTF-8 character count (invalid sequences count one per byte). */
size_t bgcopy__utf8_len(const char *s);

/* ---- util.c ----------------------------------------------------------------------- */

char *bgcopy__strdup(const char *s);
/* Duplicates into *out (NULL in -> NULL out). */
bgcopy_hr bgcopy__dup_out(const char *s, char **out);
void *bgcopy__calloc(size_t n, size_t size);
bgcopy_hr bgcopy__new_guid(bgcopy_guid *g);
/* Value of hex digit c (either case), or -1. */
int bgcopy__hex_value(int c);

/* ---- cmdline.c -------------------------------------------------------------------- */

/* Splits a Windows command line into argv the way the Microsoft C runtime does (rules in
 * cmdline.c): argv[0] follows the program-name rule (a leading '"' runs to the next '"', no
 * escapes; otherwise to the first space or tab; leading white space gives an empty argv[0]);
 * the other arguments are separated by spaces/tabs, with the backslash-quote rules and "" as
 * a literal '"' inside quotes. The empty line gives argc 0. *argv is one malloc'ed block
 * (pointer array + strings), NULL-terminated, freed with free(); *argc the count. Errors:
 * E_INVALIDARG for NULL arguments, E_OUTOFMEMORY. */
bgcopy_hr bgcopy__cmdline_split(const char *line, char ***argv, int *argc);

/* ---- service/client.c (POSIX) ----------------------------------------------------- */

/* Opens a manager of BGCOPY_ENGINE_SERVICE: connects to bgcopyd (starting it when none
 * answers) and returns a manager whose engine table marshals every call over the socket.
 * o is the validated, full-size options copy. Errors: those of bgcopy_manager_open, and
 * HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE) (no service and none may be started),
 * HRESULT_FROM_WIN32(ERROR_SERVICE_REQUEST_TIMEOUT) (the service did not come up),
 * E_ACCESSDENIED (an unsafe socket directory, or identity refused by the service). */
bgcopy_hr bgcopy__svc_open(const bgcopy_manager_options *o, bgcopy_manager **out);

/* ---- sim.c ------------------------------------------------------------------------ */

struct bgcopy__engine *bgcopy__sim_engine(struct bgcopy_sim *sim, const bgcopy_manager_options *o,
                                          bgcopy_hr *hr);
struct bgcopy__transport *bgcopy__sim_transport(struct bgcopy_sim *sim);
/* Wall-clock time at the simulation's virtual time 0 (Unix microseconds). */
int64_t bgcopy__sim_wall_origin(const struct bgcopy_sim *sim);
/* Consumes the busy time set by bgcopy_sim_callback_busy (0 if none). */
double bgcopy__sim_take_busy(struct bgcopy_sim *sim);

#endif /* BGCOPY_CORE_INT_H */
