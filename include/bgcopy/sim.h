/** @file bgcopy/sim.h
 * bgcopy/sim.h - the simulation harness: a virtual clock and a scripted
 * network, so callback logic can be tested deterministically and fast.
 *
 * A simulation owns one emulated engine (a "machine"). Managers opened with
 * options.sim attach to it. Nothing runs in the background: time moves only
 * when the test calls bgcopy_sim_advance / bgcopy_sim_run_until_idle, and
 * every event (scheduling, transfer steps, timers, callbacks) happens at its
 * virtual time, ties broken by the order in which events were scheduled, so
 * the same test gives the same trace on every run.
 *
 * The scripted network serves http:// and https:// URLs from resources the
 * test declares, with fault rules applied per request. file:// URLs and
 * absolute paths are read from the real file system. Local (destination)
 * files are real files: use a temporary directory.
 *
 * Threads: a simulation and its managers must be used from one thread.
 */
#ifndef BGCOPY_SIM_H
#define BGCOPY_SIM_H

#include "bgcopy/types.h"

BGCOPY_BEGIN_DECLS

/** Options for bgcopy_sim_create. Initialise with BGCOPY_SIM_OPTIONS_INIT. */
typedef struct bgcopy_sim_options {
    size_t size; /**< sizeof(bgcopy_sim_options) */
    /** Wall-clock time at virtual time 0, in Unix seconds (0: 2026-01-01T00:00:00Z).
     * Job times and Last-Modified values are derived from it. */
    double start_wall_time;
    /** Largest piece of body delivered per transfer step, in bytes (0: 1 MiB).
     * Smaller pieces give finer progress reports. */
    uint32_t chunk_size;
} bgcopy_sim_options;

/** Initialiser of bgcopy_sim_options: size set, every other field 0. */
#define BGCOPY_SIM_OPTIONS_INIT            \
    {                                      \
        sizeof(bgcopy_sim_options), 0.0, 0 \
    }

/** How a resource's bytes are generated. PATTERN: byte i is
 * bgcopy_sim_pattern_byte(seed, i), written for real. ZERO: all bytes 0,
 * written as holes where the file system allows, so a 3 GiB resource costs
 * no real time or disk. */
typedef enum bgcopy_sim_content {
    BGCOPY_SIM_CONTENT_PATTERN = 0, /**< byte i is bgcopy_sim_pattern_byte(seed, i) */
    BGCOPY_SIM_CONTENT_ZERO = 1     /**< all bytes 0, written as holes */
} bgcopy_sim_content;

/** A resource the scripted network serves (bgcopy_sim_add_resource).
 * Initialise with BGCOPY_SIM_RESOURCE_INIT. */
typedef struct bgcopy_sim_resource {
    size_t size;                /**< sizeof(bgcopy_sim_resource) */
    const char *url;            /**< http:// or https:// URL; copied */
    uint64_t length;            /**< entity size in bytes */
    bgcopy_sim_content content; /**< how the bytes are generated */
    uint32_t seed;              /**< PATTERN seed */
    double last_modified;       /**< Unix seconds; 0: the simulation's start time */
    int no_ranges;              /**< 1: ignore Range and answer 200 with the whole body */
    int no_content_length;      /**< 1: omit Content-Length (dynamic content) */
    double latency;             /**< seconds before each response starts */
    double bandwidth;           /**< bytes per second; 0: unlimited */
} bgcopy_sim_resource;

/** Initialiser of bgcopy_sim_resource: size set, PATTERN content, the rest 0. */
#define BGCOPY_SIM_RESOURCE_INIT                                                                 \
    {                                                                                            \
        sizeof(bgcopy_sim_resource), NULL, 0, BGCOPY_SIM_CONTENT_PATTERN, 0, 0.0, 0, 0, 0.0, 0.0 \
    }

/** Fault kinds. Each rule applies to requests for its URL (NULL: any URL),
 * to the next `count` matching requests (0: every request until removed). */
typedef enum bgcopy_sim_fault_kind {
    /** Answer HTTP status `status` (e.g. 503, 404) instead of the resource. */
    BGCOPY_SIM_FAULT_HTTP_STATUS = 1,
    /** Deliver `after_bytes` bytes of the body, then reset the connection. */
    BGCOPY_SIM_FAULT_RESET = 2,
    /** Deliver `after_bytes` bytes, then send nothing more: as with a real
     * server, the request fails with ERROR_WINHTTP_TIMEOUT (0x80072EE2,
     * transient, context REMOTE_FILE) once no byte came for the manager's
     * http_stall_timeout (default 60 s). */
    BGCOPY_SIM_FAULT_STALL = 3,
    /** After `after_bytes` bytes of the body, the resource changes: its length
     * becomes `new_length` and Last-Modified moves forward by one second. */
    BGCOPY_SIM_FAULT_CHANGE = 4,
    /** The host name does not resolve. */
    BGCOPY_SIM_FAULT_DNS = 5,
    /** The server refuses the connection. */
    BGCOPY_SIM_FAULT_REFUSED = 6,
    /** Writing to the local temporary file fails with "disk full" once
     * `after_bytes` bytes of this request have been written. */
    BGCOPY_SIM_FAULT_DISK_FULL = 7
} bgcopy_sim_fault_kind;

/** A fault rule (bgcopy_sim_add_fault). Initialise with BGCOPY_SIM_FAULT_INIT. */
typedef struct bgcopy_sim_fault {
    size_t size;                /**< sizeof(bgcopy_sim_fault) */
    bgcopy_sim_fault_kind kind; /**< what goes wrong */
    const char *url;            /**< copied; NULL matches every URL */
    uint32_t count;             /**< matching requests affected; 0 = unlimited */
    int status;                 /**< HTTP_STATUS */
    uint64_t after_bytes;       /**< RESET, STALL, CHANGE, DISK_FULL */
    uint64_t new_length;        /**< CHANGE */
} bgcopy_sim_fault;

/** Initialiser of bgcopy_sim_fault: size set, kind HTTP_STATUS, the rest 0 / NULL. */
#define BGCOPY_SIM_FAULT_INIT                                                    \
    {                                                                            \
        sizeof(bgcopy_sim_fault), BGCOPY_SIM_FAULT_HTTP_STATUS, NULL, 0, 0, 0, 0 \
    }

/** One request the scripted network answered, for assertions on the request
 * pattern (HEAD, then ranged GETs). */
typedef struct bgcopy_sim_request {
    char method[8];       /**< "HEAD" or "GET" */
    const char *url;      /**< borrowed from the simulation; valid until destroy */
    int has_range;        /**< 1 when the request carried a Range header */
    uint64_t range_first; /**< first byte asked for (with has_range) */
    uint64_t range_last;  /**< inclusive; BGCOPY_LENGTH_TO_EOF for "first-" */
    int status;           /**< status answered, 0 when the connection failed */
    double time;          /**< virtual time of the request */
} bgcopy_sim_request;

/** Creates a simulation. options may be NULL. Errors: E_POINTER, E_INVALIDARG
 * (size too small), E_OUTOFMEMORY.
 * @param options the options (copied), or NULL.
 * @param[out] out receives the simulation, destroyed with bgcopy_sim_destroy.
 * @return BGCOPY_S_OK or one of the errors above. */
BGCOPY_EXTERN bgcopy_hr bgcopy_sim_create(const bgcopy_sim_options *options, bgcopy_sim **out);

/** Destroys a simulation. Every manager opened on it must be closed and every
 * object released first; otherwise E_UNEXPECTED is returned and nothing is
 * freed. NULL -> S_OK.
 * @param sim the simulation, or NULL.
 * @return BGCOPY_S_OK or E_UNEXPECTED. */
BGCOPY_EXTERN bgcopy_hr bgcopy_sim_destroy(bgcopy_sim *sim);

/** Declares (or replaces) a resource. Errors: E_INVALIDARG (NULL url, not
 * http/https), E_OUTOFMEMORY.
 * @param sim the simulation.
 * @param res the resource (copied, url included).
 * @return BGCOPY_S_OK or one of the errors above (also E_INVALIDARG for a NULL
 *         argument, a size too small or an unknown content kind). */
BGCOPY_EXTERN bgcopy_hr bgcopy_sim_add_resource(bgcopy_sim *sim, const bgcopy_sim_resource *res);

/** Changes a resource now: new length and Last-Modified (Unix seconds).
 * Errors: BG_E_NOT_FOUND for an unknown URL.
 * @param sim the simulation.
 * @param url the resource's URL.
 * @param new_length its new length in bytes.
 * @param last_modified its new Last-Modified, in Unix seconds.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL sim or url) or BG_E_NOT_FOUND. */
BGCOPY_EXTERN bgcopy_hr bgcopy_sim_change_resource(bgcopy_sim *sim, const char *url,
                                                   uint64_t new_length, double last_modified);

/** Removes a resource: later requests get 404.
 * @param sim the simulation.
 * @param url the resource's URL.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL sim or url) or BG_E_NOT_FOUND. */
BGCOPY_EXTERN bgcopy_hr bgcopy_sim_remove_resource(bgcopy_sim *sim, const char *url);

/** Adds a fault rule. Rules are checked in the order added; the first match
 * applies. Errors: E_INVALIDARG (unknown kind, HTTP_STATUS outside 100-599).
 * @param sim the simulation.
 * @param fault the rule (copied, url included).
 * @return BGCOPY_S_OK, one of the errors above or E_OUTOFMEMORY. */
BGCOPY_EXTERN bgcopy_hr bgcopy_sim_add_fault(bgcopy_sim *sim, const bgcopy_sim_fault *fault);

/** Removes every fault rule. NULL is accepted.
 * @param sim the simulation. */
BGCOPY_EXTERN void bgcopy_sim_clear_faults(bgcopy_sim *sim);

/** Makes the network unreachable (every connection fails as refused) or
 * reachable again.
 * @param sim the simulation.
 * @param up 0: unreachable; otherwise reachable. */
BGCOPY_EXTERN void bgcopy_sim_set_network_up(bgcopy_sim *sim, int up);

/** Virtual time in seconds since the simulation started.
 * @param sim the simulation.
 * @return the virtual time (0 before a manager was opened on it). */
BGCOPY_EXTERN double bgcopy_sim_now(const bgcopy_sim *sim);

/** Runs every event due within the next `seconds` of virtual time, then sets
 * the clock to now + seconds. Callbacks run from inside this call.
 * Errors: E_INVALIDARG (NULL sim; seconds negative, NaN, or taking virtual
 * time past 2^62 microseconds, about 146,000 years).
 * @param sim the simulation.
 * @param seconds how far to move the clock.
 * @return BGCOPY_S_OK or E_INVALIDARG. */
BGCOPY_EXTERN bgcopy_hr bgcopy_sim_advance(bgcopy_sim *sim, double seconds);

/** Runs events until nothing is in progress: no job is QUEUED, CONNECTING or
 * TRANSFERRING with work it can do now, no transfer step and no notification
 * is pending. Timers that wait for a later time (retry delays, timeouts,
 * inactivity) are not fired: advance the clock for those. Returns S_OK, or
 * E_UNEXPECTED after 10,000,000 events (a runaway scenario).
 * @param sim the simulation.
 * @return BGCOPY_S_OK, E_INVALIDARG (NULL sim) or E_UNEXPECTED. */
BGCOPY_EXTERN bgcopy_hr bgcopy_sim_run_until_idle(bgcopy_sim *sim);

/** Requests answered so far (oldest first). *out is borrowed and valid until
 * the next call into the simulation.
 * @param sim the simulation.
 * @param[out] out receives the array.
 * @return the number of requests (0 when sim or out is NULL). */
BGCOPY_EXTERN size_t bgcopy_sim_requests(const bgcopy_sim *sim, const bgcopy_sim_request **out);

/** Makes the next notification callback that is entered on this simulation
 * stay busy for `seconds` of virtual time after it returns: its notification
 * slot stays held until then. For testing the four-in-flight limit. Call it
 * from inside a callback to affect that very callback. Values that are not
 * positive, NaN or above 2^61 microseconds (about 73,000 years) are
 * ignored.
 * @param sim the simulation.
 * @param seconds virtual seconds the slot stays held. */
BGCOPY_EXTERN void bgcopy_sim_callback_busy(bgcopy_sim *sim, double seconds);

/** The byte at `offset` of a PATTERN resource with `seed`, so tests can
 * verify downloaded content.
 * @param seed the resource's seed.
 * @param offset the byte's offset.
 * @return the byte. */
BGCOPY_EXTERN uint8_t bgcopy_sim_pattern_byte(uint32_t seed, uint64_t offset);

BGCOPY_END_DECLS

#endif /* BGCOPY_SIM_H */
