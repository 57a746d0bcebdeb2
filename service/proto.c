/* service/proto.c - frames, schemas, and the checked reader / growable writer of the bgcopyd
 * protocol (contracts in proto.h, prose in docs/internals/service.md).
 *
 * The schema table below is the protocol: every request, reply, event and event reply body is
 * one schema string. bgcopy__svc_check validates a body against its schema before anything
 * reads it, so a peer's bytes can only be decoded into fields of the expected types, with
 * string lengths, NUL terminators and array counts verified against the body's size.
 */
#include "proto.h"

#include <stdlib.h>
#include <string.h>

/* ---- schemas ------------------------------------------------------------------------------ */

/* Request and reply schemas, indexed by op. */
static const char *const request_schema[BGCOPY__OP_COUNT] = {
    [BGCOPY__OP_HELLO] = "UUUZU", /* magic, min version, max version, user, is_admin */
    [BGCOPY__OP_CLOSE] = "",
    [BGCOPY__OP_CREATE_JOB] = "SUU", /* name, type, want a handle */
    [BGCOPY__OP_GET_JOB] = "G",
    [BGCOPY__OP_ENUM_JOBS] = "U",            /* flags */
    [BGCOPY__OP_REGISTER_HANDLER] = "SUQ",   /* name, callback mask, cookie */
    [BGCOPY__OP_UNREGISTER_HANDLER] = "S",   /* name */
    [BGCOPY__OP_JOB_RELEASE] = "QQ",         /* handle, exports released */
    [BGCOPY__OP_ADD_FILES] = "Q[SS][QQ]",    /* job, (remote, local)*, (offset, length)* */
    [BGCOPY__OP_ENUM_FILES] = "Q",           /* job */
    [BGCOPY__OP_REPLACE_PREFIX] = "QSS",     /* job, old, new */
    [BGCOPY__OP_RESUME] = "Q",               /* job */
    [BGCOPY__OP_SUSPEND] = "Q",              /* job */
    [BGCOPY__OP_CANCEL] = "Q",               /* job */
    [BGCOPY__OP_COMPLETE] = "Q",             /* job */
    [BGCOPY__OP_GET_INFO] = "Q",             /* job */
    [BGCOPY__OP_GET_STRING] = "QU",          /* job, BGCOPY__STR_* */
    [BGCOPY__OP_GET_ERROR] = "Q",            /* job */
    [BGCOPY__OP_SET_PROPERTY] = "QUZZUUUQG", /* job, which, s1, s2, u, u2, job5 id, job5
                                                scalar, job5 clsid */
    [BGCOPY__OP_SET_CALLBACKS] = "QUQ",      /* job, callback mask, cookie */
    [BGCOPY__OP_GET_CALLBACKS] = "Q",        /* job */
    [BGCOPY__OP_FILE_RELEASE] = "QQ",        /* handle, exports released */
    [BGCOPY__OP_FILE_GET_STRING] = "QU",     /* file, BGCOPY__STR_FILE_* */
    [BGCOPY__OP_FILE_GET_PROGRESS] = "Q",    /* file */
    [BGCOPY__OP_FILE_GET_RANGES] = "Q",      /* file */
    [BGCOPY__OP_FILE_SET_REMOTE] = "QS",     /* file, url */
};

static const char *const reply_schema[BGCOPY__OP_COUNT] = {
    /* hr, version, service pid, user, is_admin, state directory */
    [BGCOPY__OP_HELLO] = "IUUZUZ",
    [BGCOPY__OP_CLOSE] = "I",
    [BGCOPY__OP_CREATE_JOB] = "IGQ", /* hr, id, job */
    [BGCOPY__OP_GET_JOB] = "IQ",
    [BGCOPY__OP_ENUM_JOBS] = "I[QG]", /* (job, id)* */
    [BGCOPY__OP_REGISTER_HANDLER] = "I",
    [BGCOPY__OP_UNREGISTER_HANDLER] = "I",
    [BGCOPY__OP_JOB_RELEASE] = "I",
    [BGCOPY__OP_ADD_FILES] = "I",
    [BGCOPY__OP_ENUM_FILES] = "I[QU]", /* (file, index)* */
    [BGCOPY__OP_REPLACE_PREFIX] = "I",
    [BGCOPY__OP_RESUME] = "I",
    [BGCOPY__OP_SUSPEND] = "I",
    [BGCOPY__OP_CANCEL] = "I",
    [BGCOPY__OP_COMPLETE] = "I",
    /* hr, then struct bgcopy__job_info in declaration order: id, type, state, priority,
     * progress (total, transferred, files total, files transferred), times (creation,
     * modification, completion), error count, notify flags, retry delay, no-progress timeout,
     * maximum download time, proxy usage, security flags, cost flags, dynamic content, high
     * performance, on demand, maximum download size, minimum notification interval,
     * notification CLSID, has custom headers */
    [BGCOPY__OP_GET_INFO] = "IGUUUQQUUQQQUUUUUUUUUUUQUGU",
    [BGCOPY__OP_GET_STRING] = "IZ",
    [BGCOPY__OP_GET_ERROR] = "IUIZQU", /* hr, context, code, protocol, file, file index */
    [BGCOPY__OP_SET_PROPERTY] = "I",
    [BGCOPY__OP_SET_CALLBACKS] = "I",
    [BGCOPY__OP_GET_CALLBACKS] = "IUUQ", /* hr, registered, registered by this client, cookie */
    [BGCOPY__OP_FILE_RELEASE] = "I",
    [BGCOPY__OP_FILE_GET_STRING] = "IZ",
    [BGCOPY__OP_FILE_GET_PROGRESS] = "IQQU", /* hr, total, transferred, completed */
    [BGCOPY__OP_FILE_GET_RANGES] = "I[QQ]",
    [BGCOPY__OP_FILE_SET_REMOTE] = "I",
};

/* Every event carries the same fields: cookie, job, job id, file (0: none), file index, error
 * context, error code, error protocol, error file (0: none), error file index. */
#define EVENT_SCHEMA "QQGQUUIZQU"

const char *bgcopy__svc_schema(int type, int op)
{
    switch (type) {
    case BGCOPY__SVC_REQUEST:
        return op > 0 && op < BGCOPY__OP_COUNT ? request_schema[op] : NULL;
    case BGCOPY__SVC_REPLY:
        return op > 0 && op < BGCOPY__OP_COUNT ? reply_schema[op] : NULL;
    case BGCOPY__SVC_EVENT:
        return op > 0 && op < BGCOPY__SVC_EV_COUNT ? EVENT_SCHEMA : NULL;
    case BGCOPY__SVC_EVENT_REPLY:
        return op > 0 && op < BGCOPY__SVC_EV_COUNT ? "I" : NULL;
    default:
        return NULL;
    }
}

/* ---- frames ------------------------------------------------------------------------------- */

uint32_t bgcopy__svc_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)bgcopy__svc_le32(p) | (uint64_t)bgcopy__svc_le32(p + 4) << 32;
}

int bgcopy__svc_frame(const uint8_t *buf, size_t avail, struct bgcopy__svc_header *h,
                      const uint8_t **body, size_t *body_len, size_t *consumed)
{
    uint32_t n;

    if (avail < 4) {
        return 0;
    }
    n = bgcopy__svc_le32(buf);
    if (n < BGCOPY__SVC_HEADER || n > BGCOPY__SVC_MAX_FRAME) {
        return -1;
    }
    if (avail - 4 < n) {
        return 0;
    }
    h->type = buf[4];
    h->op = buf[5];
    h->flags = (uint16_t)(buf[6] | buf[7] << 8);
    h->id = bgcopy__svc_le32(buf + 8);
    *body = buf + 4 + BGCOPY__SVC_HEADER;
    *body_len = n - BGCOPY__SVC_HEADER;
    *consumed = 4 + (size_t)n;
    return 1;
}

/* ---- checking ------------------------------------------------------------------------------ */

/* Minimum encoded size of one letter. */
static size_t letter_min(char c)
{
    switch (c) {
    case 'U':
    case 'I':
    case 'S':
    case 'Z':
        return 4;
    case 'Q':
        return 8;
    case 'G':
        return 16;
    default:
        return 0;
    }
}

/* Checks one field of letter c at *pos; advances it. Returns 1 when it fits. */
static int check_field(const uint8_t *b, size_t len, size_t *pos, char c)
{
    size_t need = letter_min(c);
    uint32_t n;

    if (need == 0 || len - *pos < need) {
        return 0;
    }
    if (c != 'S' && c != 'Z') {
        *pos += need;
        return 1;
    }
    n = bgcopy__svc_le32(b + *pos);
    *pos += 4;
    if (c == 'Z' && n == BGCOPY__SVC_NULL_LEN) {
        return 1;
    }
    if (n >= len - *pos || b[*pos + n] != '\0' || memchr(b + *pos, '\0', n) != NULL) {
        return 0; /* n + 1 bytes must remain, NUL-terminated, with no NUL inside */
    }
    *pos += (size_t)n + 1;
    return 1;
}

int bgcopy__svc_check(const uint8_t *body, size_t len, const char *schema)
{
    size_t pos = 0;
    const char *s;

    if (schema == NULL) {
        return 0;
    }
    for (s = schema; *s != '\0'; s++) {
        if (*s == '[') {
            const char *end = strchr(s, ']'), *e;
            size_t min = 0;
            uint32_t count, i;

            if (end == NULL || end == s + 1 || len - pos < 4) {
                return 0;
            }
            for (e = s + 1; e < end; e++) {
                if (*e == '[' || letter_min(*e) == 0) {
                    return 0;
                }
                min += letter_min(*e);
            }
            count = bgcopy__svc_le32(body + pos);
            pos += 4;
            /* Cheap bound first, so a huge count fails without looping. */
            if ((uint64_t)count * min > len - pos) {
                return 0;
            }
            for (i = 0; i < count; i++) {
                for (e = s + 1; e < end; e++) {
                    if (!check_field(body, len, &pos, *e)) {
                        return 0;
                    }
                }
            }
            s = end;
        } else if (!check_field(body, len, &pos, *s)) {
            return 0;
        }
    }
    return pos == len;
}

/* ---- reader -------------------------------------------------------------------------------- */

void bgcopy__svc_rd_init(struct bgcopy__svc_rd *r, const uint8_t *body, size_t len)
{
    r->p = body;
    r->len = len;
    r->pos = 0;
    r->bad = 0;
}

/* Whether n more bytes can be read; sets bad otherwise. */
static int rd_has(struct bgcopy__svc_rd *r, size_t n)
{
    if (r->bad || r->len - r->pos < n) {
        r->bad = 1;
        return 0;
    }
    return 1;
}

uint32_t bgcopy__svc_rd_u32(struct bgcopy__svc_rd *r)
{
    uint32_t v;

    if (!rd_has(r, 4)) {
        return 0;
    }
    v = bgcopy__svc_le32(r->p + r->pos);
    r->pos += 4;
    return v;
}

uint64_t bgcopy__svc_rd_u64(struct bgcopy__svc_rd *r)
{
    uint64_t v;

    if (!rd_has(r, 8)) {
        return 0;
    }
    v = le64(r->p + r->pos);
    r->pos += 8;
    return v;
}

bgcopy_hr bgcopy__svc_rd_hr(struct bgcopy__svc_rd *r)
{
    return (bgcopy_hr)bgcopy__svc_rd_u32(r);
}

bgcopy_guid bgcopy__svc_rd_guid(struct bgcopy__svc_rd *r)
{
    bgcopy_guid g;

    memset(&g, 0, sizeof(g));
    if (rd_has(r, sizeof(g.b))) {
        memcpy(g.b, r->p + r->pos, sizeof(g.b));
        r->pos += sizeof(g.b);
    }
    return g;
}

const char *bgcopy__svc_rd_str(struct bgcopy__svc_rd *r)
{
    uint32_t n = bgcopy__svc_rd_u32(r);
    const char *s;

    if (r->bad || n == BGCOPY__SVC_NULL_LEN) {
        return NULL;
    }
    if (!rd_has(r, (size_t)n + 1) || r->p[r->pos + n] != '\0') {
        r->bad = 1;
        return NULL;
    }
    s = (const char *)r->p + r->pos;
    r->pos += (size_t)n + 1;
    return s;
}

/* ---- writer --------------------------------------------------------------------------------- */

/* Makes room for n more bytes; returns a pointer to them or NULL (failed set). */
static uint8_t *wr_room(struct bgcopy__svc_wr *w, size_t n)
{
    size_t cap;
    uint8_t *grown;

    if (w->failed) {
        return NULL;
    }
    if (n > 4 + (size_t)BGCOPY__SVC_MAX_FRAME - w->len) {
        w->failed = BGCOPY__SVC_WR_TOO_LARGE;
        return NULL;
    }
    if (w->len + n > w->cap) {
        cap = w->cap ? w->cap : 128;
        while (cap < w->len + n) {
            cap *= 2;
        }
        grown = realloc(w->buf, cap);
        if (grown == NULL) {
            w->failed = BGCOPY__SVC_WR_NOMEM;
            return NULL;
        }
        w->buf = grown;
        w->cap = cap;
    }
    w->len += n;
    return w->buf + w->len - n;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void bgcopy__svc_wr_begin(struct bgcopy__svc_wr *w, int type, int op, uint16_t flags, uint32_t id)
{
    uint8_t *p;

    memset(w, 0, sizeof(*w));
    p = wr_room(w, 4 + BGCOPY__SVC_HEADER);
    if (p != NULL) {
        put_le32(p, 0);
        p[4] = (uint8_t)type;
        p[5] = (uint8_t)op;
        p[6] = (uint8_t)flags;
        p[7] = (uint8_t)(flags >> 8);
        put_le32(p + 8, id);
    }
}

void bgcopy__svc_wr_u32(struct bgcopy__svc_wr *w, uint32_t v)
{
    uint8_t *p = wr_room(w, 4);

    if (p != NULL) {
        put_le32(p, v);
    }
}

void bgcopy__svc_wr_u64(struct bgcopy__svc_wr *w, uint64_t v)
{
    uint8_t *p = wr_room(w, 8);

    if (p != NULL) {
        put_le32(p, (uint32_t)v);
        put_le32(p + 4, (uint32_t)(v >> 32));
    }
}

void bgcopy__svc_wr_hr(struct bgcopy__svc_wr *w, bgcopy_hr hr)
{
    bgcopy__svc_wr_u32(w, (uint32_t)hr);
}

void bgcopy__svc_wr_guid(struct bgcopy__svc_wr *w, const bgcopy_guid *g)
{
    uint8_t *p = wr_room(w, sizeof(g->b));

    if (p != NULL) {
        memcpy(p, g->b, sizeof(g->b));
    }
}

void bgcopy__svc_wr_str(struct bgcopy__svc_wr *w, const char *s)
{
    size_t n;
    uint8_t *p;

    if (s == NULL) {
        bgcopy__svc_wr_u32(w, BGCOPY__SVC_NULL_LEN);
        return;
    }
    n = strlen(s);
    if (n >= BGCOPY__SVC_MAX_FRAME) {
        if (!w->failed) {
            w->failed = BGCOPY__SVC_WR_TOO_LARGE;
        }
        return;
    }
    bgcopy__svc_wr_u32(w, (uint32_t)n);
    p = wr_room(w, n + 1);
    if (p != NULL) {
        memcpy(p, s, n + 1);
    }
}

int bgcopy__svc_wr_end(struct bgcopy__svc_wr *w)
{
    if (w->failed || w->buf == NULL) {
        bgcopy__svc_wr_free(w);
        if (!w->failed) {
            w->failed = BGCOPY__SVC_WR_NOMEM;
        }
        return -1;
    }
    put_le32(w->buf, (uint32_t)(w->len - 4));
    return 0;
}

void bgcopy__svc_wr_set_id(struct bgcopy__svc_wr *w, uint32_t id)
{
    if (w->buf != NULL && w->len >= 4 + BGCOPY__SVC_HEADER) {
        put_le32(w->buf + 8, id);
    }
}

void bgcopy__svc_wr_free(struct bgcopy__svc_wr *w)
{
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}
