/* service/proto.h - the bgcopyd wire protocol: frames, message schemas, encoding and decoding.
 *
 * Shared by the client (service/client.c, in the library), the daemon (service/server.c) and
 * the fuzz target (fuzz/service_frame_fuzzer.c). Pure computation on byte buffers: no I/O, no
 * threads, no allocation except the growable writer. docs/internals/service.md describes the
 * protocol for readers; this header is its definition.
 *
 * A frame is a little-endian u32 length N followed by N bytes: an 8-byte header (u8 type,
 * u8 op, u16 flags, u32 id) and a body. 8 <= N <= BGCOPY__SVC_MAX_FRAME. The body of every
 * (type, op) pair follows a schema string (bgcopy__svc_schema), one letter per field:
 *   U  u32          Q  u64 (handles are u64, 0 = none)      I  HRESULT (u32)
 *   G  GUID (16 bytes, in bgcopy_guid byte order)
 *   S  string: u32 length L, then L bytes, then a NUL; no NUL inside the L bytes
 *   Z  nullable string: as S, or the length 0xFFFFFFFF alone for NULL
 *   [..]  array: u32 count, then count repetitions of the letters inside (no nesting)
 * A body must match its schema exactly (no trailing bytes); bgcopy__svc_check says whether it
 * does, after which the bgcopy__svc_rd_* readers decode it field by field.
 */
#ifndef BGCOPY_SERVICE_PROTO_H
#define BGCOPY_SERVICE_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "bgcopy.h"

#define BGCOPY__SVC_MAGIC     0x50434742u     /* "BGCP" read as a little-endian u32 */
#define BGCOPY__SVC_VERSION   1u              /* the only protocol version so far */
#define BGCOPY__SVC_HEADER    8u              /* type, op, flags, id */
#define BGCOPY__SVC_MAX_FRAME (1024u * 1024u) /* bytes after the length prefix */
#define BGCOPY__SVC_NULL_LEN  0xFFFFFFFFu     /* length of a NULL Z string */

/* Frame types. */
enum {
    BGCOPY__SVC_REQUEST = 1,    /* client -> service; answered by a REPLY with the same id/op */
    BGCOPY__SVC_REPLY = 2,      /* service -> client */
    BGCOPY__SVC_EVENT = 3,      /* service -> client: a notification callback to run */
    BGCOPY__SVC_EVENT_REPLY = 4 /* client -> service: the callback's HRESULT, same id */
};

/* Request flag: the service sends no reply (releases). */
#define BGCOPY__SVC_NOREPLY 0x0001u

/* Request operations (the op byte of REQUEST and REPLY frames). Each mirrors one entry of the
 * engine table (struct bgcopy__engine_ops); the schemas are in proto.c. */
enum {
    BGCOPY__OP_HELLO = 1,
    BGCOPY__OP_CLOSE,
    BGCOPY__OP_CREATE_JOB,
    BGCOPY__OP_GET_JOB,
    BGCOPY__OP_ENUM_JOBS,
    BGCOPY__OP_REGISTER_HANDLER,
    BGCOPY__OP_UNREGISTER_HANDLER,
    BGCOPY__OP_JOB_RELEASE,
    BGCOPY__OP_ADD_FILES,
    BGCOPY__OP_ENUM_FILES,
    BGCOPY__OP_REPLACE_PREFIX,
    BGCOPY__OP_RESUME,
    BGCOPY__OP_SUSPEND,
    BGCOPY__OP_CANCEL,
    BGCOPY__OP_COMPLETE,
    BGCOPY__OP_GET_INFO,
    BGCOPY__OP_GET_STRING,
    BGCOPY__OP_GET_ERROR,
    BGCOPY__OP_SET_PROPERTY,
    BGCOPY__OP_SET_CALLBACKS,
    BGCOPY__OP_GET_CALLBACKS,
    BGCOPY__OP_FILE_RELEASE,
    BGCOPY__OP_FILE_GET_STRING,
    BGCOPY__OP_FILE_GET_PROGRESS,
    BGCOPY__OP_FILE_GET_RANGES,
    BGCOPY__OP_FILE_SET_REMOTE,
    BGCOPY__OP_COUNT
};

/* Event kinds (the op byte of EVENT and EVENT_REPLY frames). */
enum {
    BGCOPY__SVC_EV_JOB_TRANSFERRED = 1,
    BGCOPY__SVC_EV_JOB_ERROR,
    BGCOPY__SVC_EV_JOB_MODIFICATION,
    BGCOPY__SVC_EV_FILE_TRANSFERRED,
    BGCOPY__SVC_EV_COUNT
};

/* Callback mask of SET_CALLBACKS / REGISTER_HANDLER: which members the client set. */
#define BGCOPY__CB_JOB_TRANSFERRED  0x1u
#define BGCOPY__CB_JOB_ERROR        0x2u
#define BGCOPY__CB_JOB_MODIFICATION 0x4u
#define BGCOPY__CB_FILE_TRANSFERRED 0x8u
#define BGCOPY__CB_ALL              0xFu
#define BGCOPY__CB_CLEAR            0x80000000u /* SET_CALLBACKS: remove the registration */

struct bgcopy__svc_header {
    uint8_t type;
    uint8_t op;
    uint16_t flags;
    uint32_t id;
};

/* Splits the next frame off buf[0..avail). Returns 1 with *h, *body / *body_len (pointing into
 * buf) and *consumed (bytes of the whole frame) set; 0 when more bytes are needed; -1 when the
 * length prefix is impossible (below the header size or above BGCOPY__SVC_MAX_FRAME). */
int bgcopy__svc_frame(const uint8_t *buf, size_t avail, struct bgcopy__svc_header *h,
                      const uint8_t **body, size_t *body_len, size_t *consumed);

/* The body schema of (type, op), or NULL when the pair does not exist. */
const char *bgcopy__svc_schema(int type, int op);

/* 1 when body[0..len) matches schema exactly, 0 otherwise. A malformed schema gives 0. */
int bgcopy__svc_check(const uint8_t *body, size_t len, const char *schema);

/* ---- reading a checked body ---------------------------------------------------------------
 * A cursor over a body that bgcopy__svc_check accepted. Each reader takes the next field;
 * reading past the end (a caller bug) yields zero / NULL and sets bad. */
struct bgcopy__svc_rd {
    const uint8_t *p;
    size_t len;
    size_t pos;
    int bad;
};

void bgcopy__svc_rd_init(struct bgcopy__svc_rd *r, const uint8_t *body, size_t len);
uint32_t bgcopy__svc_rd_u32(struct bgcopy__svc_rd *r);
uint64_t bgcopy__svc_rd_u64(struct bgcopy__svc_rd *r);
bgcopy_hr bgcopy__svc_rd_hr(struct bgcopy__svc_rd *r);
bgcopy_guid bgcopy__svc_rd_guid(struct bgcopy__svc_rd *r);
/* An S or Z string: a pointer into the body (NUL-terminated, valid as long as the body), or
 * NULL for a NULL Z string. */
const char *bgcopy__svc_rd_str(struct bgcopy__svc_rd *r);

/* ---- writing a frame ----------------------------------------------------------------------
 * A growable buffer holding one frame. bgcopy__svc_wr_begin writes the length placeholder and
 * the header; the field writers append; bgcopy__svc_wr_end fills in the length. The first
 * failure sets failed (BGCOPY__SVC_WR_NOMEM: out of memory; BGCOPY__SVC_WR_TOO_LARGE: the
 * frame would exceed BGCOPY__SVC_MAX_FRAME) and makes the rest no-ops. */
enum { BGCOPY__SVC_WR_NOMEM = 1, BGCOPY__SVC_WR_TOO_LARGE = 2 };

struct bgcopy__svc_wr {
    uint8_t *buf;
    size_t len;
    size_t cap;
    int failed;
};

void bgcopy__svc_wr_begin(struct bgcopy__svc_wr *w, int type, int op, uint16_t flags, uint32_t id);
void bgcopy__svc_wr_u32(struct bgcopy__svc_wr *w, uint32_t v);
void bgcopy__svc_wr_u64(struct bgcopy__svc_wr *w, uint64_t v);
void bgcopy__svc_wr_hr(struct bgcopy__svc_wr *w, bgcopy_hr hr);
void bgcopy__svc_wr_guid(struct bgcopy__svc_wr *w, const bgcopy_guid *g);
/* s may be NULL (a Z field). */
void bgcopy__svc_wr_str(struct bgcopy__svc_wr *w, const char *s);
/* Sets the length prefix. Returns 0, or -1 when the frame failed (w->buf is then freed and
 * failed says why). */
int bgcopy__svc_wr_end(struct bgcopy__svc_wr *w);
/* Rewrites the id of a finished frame (the client numbers a request when it sends it). */
void bgcopy__svc_wr_set_id(struct bgcopy__svc_wr *w, uint32_t id);
/* Frees the buffer (NULL-safe on a zeroed writer). */
void bgcopy__svc_wr_free(struct bgcopy__svc_wr *w);

/* Little-endian u32 at p (for the length prefix). */
uint32_t bgcopy__svc_le32(const uint8_t *p);

#endif /* BGCOPY_SERVICE_PROTO_H */
