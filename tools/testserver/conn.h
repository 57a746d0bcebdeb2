/* tools/testserver/conn.h - the connection and response structs shared by conn.c and serve.c.
 *
 * conn.c owns the connection (reading, the request state machine, sending, closing); serve.c
 * decides what to answer: it fills in struct resp (status, headers, body source, ranges) and
 * calls ts_start_response, and never touches the socket itself. Loop thread only.
 */
#ifndef BGCOPY_TESTSERVER_CONN_H
#define BGCOPY_TESTSERVER_CONN_H

#include "testserver.h"

#define SLOT_BUFS  16   /* uv_buf_t pieces per write (besides the response head) */
#define SLOT_TEXT  4096 /* multipart part headers per write */
#define PART_TEXT  256  /* one part header or the trailer */
#define LINGER_MS  2000 /* how long a closing connection waits for the peer's EOF */
#define DRAIN_MS   1000 /* how long reset_after waits for the peer to acknowledge the bytes */
#define CHUNK_LINE 1024 /* longest chunk-size line or trailer line of a chunked request */

enum conn_state { CS_HEAD, CS_BODY, CS_RESPOND, CS_STALLED, CS_LINGER, CS_CLOSING };
enum src_kind { SRC_MEM, SRC_GEN, SRC_ZERO, SRC_FILE };
enum end_action { END_KEEP, END_CLOSE, END_RESET, END_STALL };
enum phase { PH_HEAD, PH_DATA, PH_TRAIL, PH_EXTRA, PH_DONE };
enum body_mode { BM_NONE, BM_LENGTH, BM_CHUNK_SIZE, BM_CHUNK_DATA, BM_CHUNK_END, BM_TRAILER };

struct wslot {
    uv_write_t req;
    struct ts_conn *c;
    bool busy;
    uint64_t body_bytes; /* body bytes carried by this write */
    char *fbuf;          /* TS_CHUNK bytes for file data, allocated on first use */
    uv_buf_t bufs[SLOT_BUFS + 1];
    unsigned nbufs;
    char text[SLOT_TEXT];
};

/* The response being sent. */
struct resp {
    int status;
    struct ts_buf hdrs; /* resource headers, "Name: value\r\n" each */
    struct ts_buf head; /* the complete head, built by start_response */
    bool head_sent;
    const char *ctype;
    enum src_kind kind;
    struct ts_buf mem; /* SRC_MEM body */
    int fd;            /* SRC_FILE, -1 otherwise */
    unsigned gen_shift;
    uint64_t size; /* representation size */
    struct ts_range one;
    struct ts_range *ranges; /* &one or a heap array from ts_parse_ranges */
    size_t nranges;
    bool multipart;
    bool bad_range;
    char boundary[40];
    bool omit_length;
    bool close_after;
    uint64_t body_len; /* announced Content-Length */
    uint64_t extra;    /* overlong bytes after the body */
    uint64_t limit;    /* body bytes to send before `end` */
    enum end_action end;
    /* cursor */
    size_t part;
    enum phase phase;
    uint64_t pos;
    uint64_t produced; /* body bytes handed to uv_write */
    uint64_t acked;    /* body bytes whose write completed */
    /* pacing */
    uint64_t rate;
    uint64_t grain;
    uint64_t rate_start;
    /* log */
    uint64_t log_seq;
    uint32_t faults;
    uint64_t drain_start;
};

struct ts_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown_req;
    uv_write_t cont_req;
    int handles_open;
    struct ts_server *srv;
    struct ts_conn *prev, *next;
    uint64_t id;
    enum conn_state state;
    bool reading;
    bool peer_eof;
    bool discard; /* input after an error response is dropped */
    char in[TS_HEADER_MAX];
    size_t in_len;
    struct ts_request rq;
    enum body_mode bm;
    uint64_t body_left;
    bool collect; /* keep the body (control endpoint) */
    bool body_too_large;
    struct ts_buf body;
    struct resp r;
    struct wslot slots[TS_WRITES_INFLIGHT];
    unsigned inflight;
};

/* conn.c */

/* Milliseconds of the loop clock. */
uint64_t ts_conn_now(const struct ts_conn *c);
/* The offset into the shared /gen pattern for `seed` (see conn.c). */
unsigned ts_gen_shift(uint64_t seed);
/* Frees the previous response and makes c->r an empty 200 text/plain response. */
void ts_resp_reset(struct ts_conn *c);
/* Sizes the body, builds the head, applies the body faults of f (NULL: none) and starts
 * sending c->r. The connection goes on by itself from there. */
void ts_start_response(struct ts_conn *c, const struct ts_faults *f);

/* serve.c */

/* The request in c->rq (and its body in c->body) is complete: choose and start the response. */
void ts_dispatch(struct ts_conn *c);
/* Answers `status` with a short text body and closes the connection afterwards; for requests
 * that cannot be parsed or read. */
void ts_respond_error(struct ts_conn *c, int status);

#endif /* BGCOPY_TESTSERVER_CONN_H */
