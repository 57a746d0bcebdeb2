/* fuzz/service_frame_fuzzer.c - fuzzes the bgcopyd wire protocol decoder (service/proto.c):
 * frame splitting (bgcopy__svc_frame), schema checking (bgcopy__svc_check) and the checked
 * reader, which together are all a service or a client does with a peer's bytes before acting
 * on them.
 *
 * Input: when byte 0 has its top bit set, bytes 1 and 2 pick a (type, op) pair and the rest is
 * one body for it (so every schema is reached without valid framing); otherwise the whole
 * input is a byte stream as a socket delivers it, split into frames.
 * Checks:
 *   - splitting: a frame is reported only when all its bytes are there, consumes 4 + its length
 *     prefix, within [4 + 8, 4 + BGCOPY__SVC_MAX_FRAME]; an impossible prefix is refused before
 *     any body is looked at;
 *   - a body accepted by its schema decodes field by field, following the schema, without the
 *     reader ever going past the body or failing, ending exactly at its end; every S string is
 *     non-NULL, every string is NUL-terminated inside the body with no NUL before its end;
 *   - re-encoding the decoded fields with the writer gives back the same bytes (round trip);
 *   - a body refused by its schema is refused again (checking is deterministic), and
 *     truncating an accepted body by one byte makes it refused.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "proto.h"

/* Decodes body along schema, re-encoding into w. */
static void walk(const uint8_t *body, size_t len, const char *schema, struct bgcopy__svc_wr *w)
{
    struct bgcopy__svc_rd r;
    const char *s, *end = NULL;

    bgcopy__svc_rd_init(&r, body, len);
    for (s = schema; *s != '\0'; s++) {
        uint32_t count = 1, i;
        const char *from = s, *to = s + 1;

        if (*s == '[') {
            end = strchr(s, ']');
            FZ_CHECK(end != NULL);
            count = bgcopy__svc_rd_u32(&r);
            bgcopy__svc_wr_u32(w, count);
            from = s + 1;
            to = end;
            s = end;
        }
        for (i = 0; i < count; i++) {
            const char *e;
            for (e = from; e < to; e++) {
                switch (*e) {
                case 'U':
                case 'I':
                    bgcopy__svc_wr_u32(w, bgcopy__svc_rd_u32(&r));
                    break;
                case 'Q':
                    bgcopy__svc_wr_u64(w, bgcopy__svc_rd_u64(&r));
                    break;
                case 'G': {
                    bgcopy_guid g = bgcopy__svc_rd_guid(&r);
                    bgcopy__svc_wr_guid(w, &g);
                    break;
                }
                case 'S':
                case 'Z': {
                    size_t before = r.pos;
                    const char *str = bgcopy__svc_rd_str(&r);
                    if (*e == 'S') {
                        FZ_CHECK(str != NULL);
                    }
                    if (str != NULL) {
                        size_t n = strlen(str);
                        FZ_CHECK((const uint8_t *)str >= body &&
                                 (const uint8_t *)str + n < body + len);
                        FZ_CHECK(before + 4 + n + 1 == r.pos);
                    } else {
                        FZ_CHECK(before + 4 == r.pos);
                    }
                    bgcopy__svc_wr_str(w, str);
                    break;
                }
                default:
                    FZ_CHECK(0); /* a letter the schema table must not hold */
                }
            }
        }
    }
    FZ_CHECK(!r.bad);
    FZ_CHECK(r.pos == len);
}

/* Checks one body of (type, op). */
static void body_case(int type, int op, const uint8_t *body, size_t len)
{
    const char *schema = bgcopy__svc_schema(type, op);
    struct bgcopy__svc_wr w;
    int ok;

    ok = bgcopy__svc_check(body, len, schema);
    FZ_CHECK(ok == bgcopy__svc_check(body, len, schema));
    if (schema == NULL) {
        FZ_CHECK(!ok);
        return;
    }
    if (!ok) {
        return;
    }
    if (len > 0) {
        FZ_CHECK(!bgcopy__svc_check(body, len - 1, schema));
    }
    bgcopy__svc_wr_begin(&w, type, op, 0, 0);
    walk(body, len, schema, &w);
    FZ_CHECK(bgcopy__svc_wr_end(&w) == 0);
    FZ_CHECK(w.len == 4 + BGCOPY__SVC_HEADER + len);
    FZ_CHECK(bgcopy__svc_le32(w.buf) == BGCOPY__SVC_HEADER + len);
    FZ_CHECK(len == 0 || memcmp(w.buf + 4 + BGCOPY__SVC_HEADER, body, len) == 0);
    bgcopy__svc_wr_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0, consumed, blen;
    struct bgcopy__svc_header h;
    const uint8_t *body;
    uint8_t *copy;
    int rc;

    if (size >= 3 && (data[0] & 0x80) != 0) {
        /* An exact-size copy, so ASan sees any read past the body. */
        copy = malloc(size - 3 ? size - 3 : 1);
        FZ_CHECK(copy != NULL);
        memcpy(copy, data + 3, size - 3);
        body_case(1 + data[1] % 4, data[2] % 32, copy, size - 3);
        free(copy);
        return 0;
    }
    while ((rc = bgcopy__svc_frame(data + off, size - off, &h, &body, &blen, &consumed)) == 1) {
        uint32_t n = bgcopy__svc_le32(data + off);
        FZ_CHECK(n >= BGCOPY__SVC_HEADER && n <= BGCOPY__SVC_MAX_FRAME);
        FZ_CHECK(consumed == 4 + (size_t)n && consumed <= size - off);
        FZ_CHECK(blen == n - BGCOPY__SVC_HEADER && body == data + off + 4 + BGCOPY__SVC_HEADER);
        copy = malloc(blen ? blen : 1);
        FZ_CHECK(copy != NULL);
        memcpy(copy, body, blen);
        body_case(h.type, h.op, copy, blen);
        free(copy);
        off += consumed;
    }
    if (rc == 0 && size - off >= 4) {
        uint32_t n = bgcopy__svc_le32(data + off);
        FZ_CHECK(n >= BGCOPY__SVC_HEADER && n <= BGCOPY__SVC_MAX_FRAME); /* just incomplete */
        FZ_CHECK(size - off - 4 < n);
    }
    if (rc < 0) {
        uint32_t n = bgcopy__svc_le32(data + off);
        FZ_CHECK(n < BGCOPY__SVC_HEADER || n > BGCOPY__SVC_MAX_FRAME);
    }
    return 0;
}
