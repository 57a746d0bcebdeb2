/* tools/testserver/faults.c - fault rules and the request log of bgcopy-testserver.
 *
 * A rule is a set of fault keys (status=503, reset_after=100, ...) with an optional scope: a
 * path prefix (path=/gen/), a method (method=GET) and a use count (count=N: only the next N
 * matching requests). The command-line fault flags make one rule; each POST /_control adds
 * one. For every request, all matching rules are merged in the order they were added, a later
 * rule overriding an earlier one key by key, and each counted rule used loses one use (a rule
 * with none left is removed). Requests to /_control and /_log never reach this code.
 *
 * The request log keeps the last TS_LOG_MAX requests in a ring indexed by sequence number, so
 * a connection can update "its" entry by seq without holding a pointer that the ring might
 * recycle underneath it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "testserver.h"

/* ---- keys -------------------------------------------------------------------------------- */

enum key_type {
    KT_BOOL,
    KT_U64,     /* any uint64; "off" = off */
    KT_U64_POS, /* rate: > 0; 0 or "off" = off */
    KT_STATUS,  /* 200..599; 0 or "off" = off */
    KT_REDIR,   /* 301 302 303 307 308 */
    KT_LM,      /* unix seconds, 0..253402300799 */
    KT_URL,     /* redirect target */
    KT_AUTH,    /* user:pass */
    KT_SCHEME,  /* basic or digest */
    KT_SIZE,    /* 0..TS_SIZE_MAX */
    KT_COUNT,   /* scope: >= 1 */
    KT_PATH,    /* scope: starts with '/' */
    KT_METHOD,  /* scope: token */
};

struct key_def {
    const char *name;
    uint32_t bit; /* 0 for the scope keys */
    enum key_type type;
};

static const struct key_def keys[] = {
    {"ignore_ranges", TS_F_IGNORE_RANGES, KT_BOOL},
    {"no_content_length", TS_F_NO_CONTENT_LENGTH, KT_BOOL},
    {"status", TS_F_STATUS, KT_STATUS},
    {"reset_after", TS_F_RESET_AFTER, KT_U64},
    {"stall_after", TS_F_STALL_AFTER, KT_U64},
    {"bad_range", TS_F_BAD_RANGE, KT_BOOL},
    {"lm_bump", TS_F_LM_BUMP, KT_BOOL},
    {"lm", TS_F_LM, KT_LM},
    {"redirect", TS_F_REDIRECT, KT_URL},
    {"redirect_status", TS_F_REDIRECT_STATUS, KT_REDIR},
    {"auth", TS_F_AUTH, KT_AUTH},
    {"rate", TS_F_RATE, KT_U64_POS},
    {"overlong", TS_F_OVERLONG, KT_U64_POS},
    {"auth_scheme", TS_F_AUTH_SCHEME, KT_SCHEME},
    {"proxy_auth", TS_F_PROXY_AUTH, KT_AUTH},
    {"proxy_auth_scheme", TS_F_PROXY_AUTH_SCHEME, KT_SCHEME},
    {"size", TS_F_SIZE, KT_SIZE},
    {"count", 0, KT_COUNT},
    {"path", 0, KT_PATH},
    {"method", 0, KT_METHOD},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key_def *find_key(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

int ts_faults_key_kind(const char *key)
{
    char name[32];
    size_t n = strlen(key);
    if (n >= sizeof(name))
        return -1;
    for (size_t i = 0; i <= n; i++)
        name[i] = key[i] == '-' ? '_' : key[i];
    const struct key_def *k = find_key(name);
    return !k ? -1 : k->type == KT_BOOL ? 1 : 0;
}

static void rule_free(struct ts_rule *r)
{
    free(r->path);
    free(r->method);
    free(r->redirect_owned);
    free(r->auth_owned);
    free(r->proxy_auth_owned);
    memset(r, 0, sizeof(*r));
}

static void rule_defaults(struct ts_rule *r)
{
    memset(r, 0, sizeof(*r));
    r->f.redirect_status = 302;
    r->f.reset_after = TS_NONE;
    r->f.stall_after = TS_NONE;
}

static bool printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* Applies key=value to *r. Returns 0 or -1 with a message in *err. */
static int apply_pair(struct ts_rule *r, const char *key, const char *value, bool has_value,
                      struct ts_buf *err)
{
    const struct key_def *k = find_key(key);
    uint64_t n = 0;
    bool off = has_value && strcmp(value, "off") == 0;

    if (!k) {
        ts_buf_printf(err, "unknown key '%s'\n", key);
        return -1;
    }
    if (!has_value && k->type != KT_BOOL) {
        ts_buf_printf(err, "key '%s' needs a value\n", key);
        return -1;
    }
    bool numeric = k->type == KT_U64 || k->type == KT_U64_POS || k->type == KT_STATUS ||
                   k->type == KT_REDIR || k->type == KT_LM || k->type == KT_COUNT ||
                   k->type == KT_SIZE;
    if (numeric && !off && !ts_parse_u64(value, strlen(value), &n)) {
        ts_buf_printf(err, "key '%s': '%s' is not a number\n", key, value);
        return -1;
    }
    r->f.set |= k->bit;
    switch (k->type) {
    case KT_BOOL: {
        bool on;
        if (!has_value || strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0 ||
            strcasecmp(value, "yes") == 0 || strcasecmp(value, "on") == 0)
            on = true;
        else if (strcmp(value, "0") == 0 || strcasecmp(value, "false") == 0 ||
                 strcasecmp(value, "no") == 0 || off)
            on = false;
        else {
            ts_buf_printf(err, "key '%s': '%s' is not a boolean\n", key, value);
            return -1;
        }
        if (k->bit == TS_F_IGNORE_RANGES)
            r->f.ignore_ranges = on;
        else if (k->bit == TS_F_NO_CONTENT_LENGTH)
            r->f.no_content_length = on;
        else if (k->bit == TS_F_BAD_RANGE)
            r->f.bad_range = on;
        else
            r->f.lm_bump = on;
        return 0;
    }
    case KT_U64:
        if (k->bit == TS_F_RESET_AFTER)
            r->f.reset_after = off ? TS_NONE : n;
        else
            r->f.stall_after = off ? TS_NONE : n;
        return 0;
    case KT_U64_POS:
        if (k->bit == TS_F_RATE)
            r->f.rate = off ? 0 : n;
        else
            r->f.overlong = off ? 0 : n;
        return 0;
    case KT_STATUS:
        if (!off && n != 0 && (n < 200 || n > 599)) {
            ts_buf_printf(err, "status must be 200..599 (or off)\n");
            return -1;
        }
        r->f.status = off ? 0 : (int)n;
        return 0;
    case KT_REDIR:
        if (off)
            n = 302;
        if (n != 301 && n != 302 && n != 303 && n != 307 && n != 308) {
            ts_buf_printf(err, "redirect_status must be 301, 302, 303, 307 or 308\n");
            return -1;
        }
        r->f.redirect_status = (int)n;
        return 0;
    case KT_LM:
        if (!off && n > 253402300799u) {
            ts_buf_printf(err, "lm must be unix seconds before year 10000\n");
            return -1;
        }
        r->f.has_lm = !off;
        r->f.lm = off ? 0 : (int64_t)n;
        return 0;
    case KT_URL:
        free(r->redirect_owned);
        r->redirect_owned = NULL;
        r->f.redirect = NULL;
        if (off || !*value)
            return 0;
        if (strlen(value) > TS_URL_MAX || !printable(value) || strchr(value, ' ')) {
            ts_buf_printf(err, "redirect must be a URL of at most %u printable characters\n",
                          TS_URL_MAX);
            return -1;
        }
        r->redirect_owned = ts_xstrdup(value);
        r->f.redirect = r->redirect_owned;
        return 0;
    case KT_AUTH: {
        bool proxy = k->bit == TS_F_PROXY_AUTH;
        char **owned = proxy ? &r->proxy_auth_owned : &r->auth_owned;
        const char **slot = proxy ? &r->f.proxy_auth : &r->f.auth;
        free(*owned);
        *owned = NULL;
        *slot = NULL;
        if (off || !*value)
            return 0;
        if (!strchr(value, ':') || strlen(value) > 255 || !printable(value)) {
            ts_buf_printf(err, "%s must be user:pass (at most 255 printable characters)\n",
                          k->name);
            return -1;
        }
        *owned = ts_xstrdup(value);
        *slot = *owned;
        return 0;
    }
    case KT_SCHEME: {
        bool digest;
        if (off || strcasecmp(value, "basic") == 0)
            digest = false;
        else if (strcasecmp(value, "digest") == 0)
            digest = true;
        else {
            ts_buf_printf(err, "%s must be basic or digest\n", k->name);
            return -1;
        }
        if (k->bit == TS_F_AUTH_SCHEME)
            r->f.auth_digest = digest;
        else
            r->f.proxy_digest = digest;
        return 0;
    }
    case KT_SIZE:
        if (!off && n > TS_SIZE_MAX) {
            ts_buf_printf(err, "size must be at most 2^40 (or off)\n");
            return -1;
        }
        r->f.has_size = !off;
        r->f.size = off ? 0 : n;
        return 0;
    case KT_COUNT:
        if (off || n == 0) {
            r->count = r->remaining = 0;
            return 0;
        }
        r->count = r->remaining = n;
        return 0;
    case KT_PATH:
        free(r->path);
        r->path = NULL;
        if (off || !*value)
            return 0;
        if (value[0] != '/' || !printable(value)) {
            ts_buf_printf(err, "path must be a prefix starting with '/'\n");
            return -1;
        }
        r->path = ts_xstrdup(value);
        return 0;
    case KT_METHOD:
        free(r->method);
        r->method = NULL;
        if (off || !*value)
            return 0;
        if (strlen(value) > 15 || !printable(value) || strchr(value, ' ')) {
            ts_buf_printf(err, "method must be a token such as GET or HEAD\n");
            return -1;
        }
        r->method = ts_xstrdup(value);
        return 0;
    }
    return 0;
}

/* Removes the counted rules that have no use left. Not done when the last use is consumed,
 * because the merged faults of that request may still borrow the rule's strings; every entry
 * point below purges first instead, and no request is being dispatched then. */
static void purge(struct ts_faultset *fs)
{
    size_t o = 0;
    for (size_t i = 0; i < fs->nrules; i++) {
        if (fs->rules[i].count && fs->rules[i].remaining == 0)
            rule_free(&fs->rules[i]);
        else
            fs->rules[o++] = fs->rules[i];
    }
    fs->nrules = o;
}

int ts_faults_add(struct ts_faultset *fs, const char *text, size_t len, bool decode,
                  struct ts_buf *err)
{
    struct ts_rule r;
    bool scoped = false;
    const char *seps = decode ? "\n\r&" : "\n";
    size_t i = 0;

    purge(fs);
    if (memchr(text, '\0', len) != NULL) {
        /* strchr(seps, '\0') would match: refuse rather than split at the NUL. */
        ts_buf_puts(err, "NUL byte in the fault rules\n");
        return -1;
    }
    rule_defaults(&r);
    while (i < len) {
        size_t j = i;
        while (j < len && !strchr(seps, text[j]))
            j++;
        const char *pair = text + i;
        size_t plen = j - i;
        i = j + 1;
        while (plen && (*pair == ' ' || *pair == '\t'))
            pair++, plen--;
        while (plen && (pair[plen - 1] == ' ' || pair[plen - 1] == '\t'))
            plen--;
        if (plen == 0)
            continue;
        const char *eq = memchr(pair, '=', plen);
        size_t klen = eq ? (size_t)(eq - pair) : plen;
        char *key = ts_xstrndup(pair, klen);
        for (char *c = key; *c; c++)
            if (*c == '-')
                *c = '_';
        char *value = NULL;
        if (eq) {
            const char *v = eq + 1;
            size_t vlen = plen - klen - 1;
            value = decode ? ts_percent_decode(v, vlen) : ts_xstrndup(v, vlen);
            if (!value) {
                ts_buf_printf(err, "key '%s': bad percent-encoding\n", key);
                free(key);
                free(value);
                goto fail;
            }
        }
        int rc = apply_pair(&r, key, value ? value : "", eq != NULL, err);
        const struct key_def *k = find_key(key);
        scoped = scoped || (k && k->bit == 0);
        free(key);
        free(value);
        if (rc < 0)
            goto fail;
    }
    if (r.f.set == 0) {
        if (scoped) {
            ts_buf_puts(err, "count, path and method need a fault key in the same request\n");
            goto fail;
        }
        rule_free(&r);
        return 0;
    }
    if (fs->nrules >= TS_RULES_MAX) {
        ts_buf_printf(err, "too many rules (at most %u); POST /_control/reset first\n",
                      TS_RULES_MAX);
        goto fail;
    }
    r.id = ++fs->next_id;
    fs->rules[fs->nrules++] = r;
    return 0;
fail:
    rule_free(&r);
    return -1;
}

void ts_faults_reset(struct ts_faultset *fs)
{
    for (size_t i = 0; i < fs->nrules; i++)
        rule_free(&fs->rules[i]);
    fs->nrules = 0;
    fs->lm_bump_count = 0;
}

/* Appends " key=value" for key k of rule r. */
static void format_key(const struct ts_rule *r, const struct key_def *k, struct ts_buf *out)
{
    const struct ts_faults *f = &r->f;
    ts_buf_printf(out, " %s=", k->name);
    switch (k->bit) {
    case TS_F_IGNORE_RANGES:
        ts_buf_puts(out, f->ignore_ranges ? "1" : "0");
        break;
    case TS_F_NO_CONTENT_LENGTH:
        ts_buf_puts(out, f->no_content_length ? "1" : "0");
        break;
    case TS_F_BAD_RANGE:
        ts_buf_puts(out, f->bad_range ? "1" : "0");
        break;
    case TS_F_LM_BUMP:
        ts_buf_puts(out, f->lm_bump ? "1" : "0");
        break;
    case TS_F_STATUS:
        if (f->status)
            ts_buf_printf(out, "%d", f->status);
        else
            ts_buf_puts(out, "off");
        break;
    case TS_F_REDIRECT_STATUS:
        ts_buf_printf(out, "%d", f->redirect_status);
        break;
    case TS_F_RESET_AFTER:
    case TS_F_STALL_AFTER: {
        uint64_t v = k->bit == TS_F_RESET_AFTER ? f->reset_after : f->stall_after;
        if (v == TS_NONE)
            ts_buf_puts(out, "off");
        else
            ts_buf_printf(out, "%" PRIu64, v);
        break;
    }
    case TS_F_LM:
        if (f->has_lm)
            ts_buf_printf(out, "%" PRId64, f->lm);
        else
            ts_buf_puts(out, "off");
        break;
    case TS_F_REDIRECT:
        ts_buf_puts(out, f->redirect ? f->redirect : "off");
        break;
    case TS_F_AUTH:
        ts_buf_puts(out, f->auth ? f->auth : "off");
        break;
    case TS_F_PROXY_AUTH:
        ts_buf_puts(out, f->proxy_auth ? f->proxy_auth : "off");
        break;
    case TS_F_AUTH_SCHEME:
        ts_buf_puts(out, f->auth_digest ? "digest" : "basic");
        break;
    case TS_F_PROXY_AUTH_SCHEME:
        ts_buf_puts(out, f->proxy_digest ? "digest" : "basic");
        break;
    case TS_F_SIZE:
        if (f->has_size)
            ts_buf_printf(out, "%" PRIu64, f->size);
        else
            ts_buf_puts(out, "off");
        break;
    case TS_F_RATE:
    case TS_F_OVERLONG: {
        uint64_t v = k->bit == TS_F_RATE ? f->rate : f->overlong;
        if (v)
            ts_buf_printf(out, "%" PRIu64, v);
        else
            ts_buf_puts(out, "off");
        break;
    }
    }
}

void ts_faults_format(struct ts_faultset *fs, struct ts_buf *out)
{
    purge(fs);
    if (fs->nrules == 0) {
        ts_buf_puts(out, "no rules\n");
        return;
    }
    for (size_t i = 0; i < fs->nrules; i++) {
        const struct ts_rule *r = &fs->rules[i];
        ts_buf_printf(out, "rule %u:", r->id);
        for (size_t k = 0; k < NKEYS; k++)
            if (keys[k].bit & r->f.set)
                format_key(r, &keys[k], out);
        if (r->count)
            ts_buf_printf(out, " count=%" PRIu64 " remaining=%" PRIu64, r->count, r->remaining);
        if (r->path)
            ts_buf_printf(out, " path=%s", r->path);
        if (r->method)
            ts_buf_printf(out, " method=%s", r->method);
        ts_buf_puts(out, "\n");
    }
}

void ts_faults_match(struct ts_faultset *fs, const char *method, const char *path,
                     struct ts_faults *out)
{
    purge(fs);
    memset(out, 0, sizeof(*out));
    out->redirect_status = 302;
    out->reset_after = TS_NONE;
    out->stall_after = TS_NONE;
    for (size_t i = 0; i < fs->nrules; i++) {
        struct ts_rule *r = &fs->rules[i];
        const struct ts_faults *f = &r->f;
        if (r->path && strncmp(path, r->path, strlen(r->path)) != 0)
            continue;
        if (r->method && strcmp(method, r->method) != 0)
            continue;
        if (r->count && r->remaining == 0)
            continue;
        out->set |= f->set;
        if (f->set & TS_F_IGNORE_RANGES)
            out->ignore_ranges = f->ignore_ranges;
        if (f->set & TS_F_NO_CONTENT_LENGTH)
            out->no_content_length = f->no_content_length;
        if (f->set & TS_F_STATUS)
            out->status = f->status;
        if (f->set & TS_F_RESET_AFTER)
            out->reset_after = f->reset_after;
        if (f->set & TS_F_STALL_AFTER)
            out->stall_after = f->stall_after;
        if (f->set & TS_F_BAD_RANGE)
            out->bad_range = f->bad_range;
        if (f->set & TS_F_LM_BUMP)
            out->lm_bump = f->lm_bump;
        if (f->set & TS_F_LM) {
            out->has_lm = f->has_lm;
            out->lm = f->lm;
        }
        if (f->set & TS_F_REDIRECT)
            out->redirect = f->redirect;
        if (f->set & TS_F_REDIRECT_STATUS)
            out->redirect_status = f->redirect_status;
        if (f->set & TS_F_AUTH)
            out->auth = f->auth;
        if (f->set & TS_F_AUTH_SCHEME)
            out->auth_digest = f->auth_digest;
        if (f->set & TS_F_PROXY_AUTH)
            out->proxy_auth = f->proxy_auth;
        if (f->set & TS_F_PROXY_AUTH_SCHEME)
            out->proxy_digest = f->proxy_digest;
        if (f->set & TS_F_SIZE) {
            out->has_size = f->has_size;
            out->size = f->size;
        }
        if (f->set & TS_F_RATE)
            out->rate = f->rate;
        if (f->set & TS_F_OVERLONG)
            out->overlong = f->overlong;
        if (r->count)
            r->remaining--;
    }
}

uint32_t ts_faults_active(const struct ts_faults *f)
{
    uint32_t a = 0;
    if (f->ignore_ranges)
        a |= TS_F_IGNORE_RANGES;
    if (f->no_content_length)
        a |= TS_F_NO_CONTENT_LENGTH;
    if (f->status)
        a |= TS_F_STATUS;
    if (f->reset_after != TS_NONE)
        a |= TS_F_RESET_AFTER;
    if (f->stall_after != TS_NONE)
        a |= TS_F_STALL_AFTER;
    if (f->bad_range)
        a |= TS_F_BAD_RANGE;
    if (f->lm_bump)
        a |= TS_F_LM_BUMP;
    if (f->has_lm)
        a |= TS_F_LM;
    if (f->redirect)
        a |= TS_F_REDIRECT | (f->set & TS_F_REDIRECT_STATUS);
    if (f->auth)
        a |= TS_F_AUTH | (f->set & TS_F_AUTH_SCHEME);
    if (f->proxy_auth)
        a |= TS_F_PROXY_AUTH | (f->set & TS_F_PROXY_AUTH_SCHEME);
    if (f->has_size)
        a |= TS_F_SIZE;
    if (f->rate)
        a |= TS_F_RATE;
    if (f->overlong)
        a |= TS_F_OVERLONG;
    return a;
}

void ts_faults_names(uint32_t set, struct ts_buf *out, bool json)
{
    bool first = true;
    if (json)
        ts_buf_puts(out, "[");
    for (size_t k = 0; k < NKEYS; k++) {
        if (!(keys[k].bit & set))
            continue;
        if (!first)
            ts_buf_puts(out, ",");
        first = false;
        if (json)
            ts_buf_printf(out, "\"%s\"", keys[k].name);
        else
            ts_buf_puts(out, keys[k].name);
    }
    if (json)
        ts_buf_puts(out, "]");
}

/* ---- request log ------------------------------------------------------------------------- */

static void entry_free(struct ts_log_entry *e)
{
    free(e->method);
    free(e->target);
    free(e->range);
    memset(e, 0, sizeof(*e));
}

void ts_log_init(struct ts_log *log)
{
    log->ring = ts_xcalloc(TS_LOG_MAX, sizeof(*log->ring));
    log->next_seq = 1;
    log->first_seq = 1;
}

void ts_log_clear(struct ts_log *log)
{
    for (size_t i = 0; i < TS_LOG_MAX; i++)
        entry_free(&log->ring[i]);
    log->first_seq = log->next_seq;
}

/* A copy of s cut to at most max bytes. */
static char *dup_cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    return ts_xstrndup(s, n < max ? n : max);
}

uint64_t ts_log_add(struct ts_log *log, uint64_t conn, uint64_t time_ms, const char *method,
                    const char *target, const char *range)
{
    uint64_t seq = log->next_seq++;
    struct ts_log_entry *e = &log->ring[seq % TS_LOG_MAX];
    entry_free(e);
    if (seq >= TS_LOG_MAX && log->first_seq < seq - TS_LOG_MAX + 1)
        log->first_seq = seq - TS_LOG_MAX + 1;
    e->seq = seq;
    e->conn = conn;
    e->time_ms = time_ms;
    e->method = dup_cut(method, 64);
    e->target = dup_cut(target, 1024);
    e->range = range ? dup_cut(range, 1024) : NULL;
    e->state = "sending";
    return seq;
}

struct ts_log_entry *ts_log_get(struct ts_log *log, uint64_t seq)
{
    if (seq == 0 || seq < log->first_seq || seq >= log->next_seq)
        return NULL;
    struct ts_log_entry *e = &log->ring[seq % TS_LOG_MAX];
    return e->seq == seq ? e : NULL;
}

void ts_log_format(const struct ts_log *log, struct ts_buf *out)
{
    for (uint64_t seq = log->first_seq; seq < log->next_seq; seq++) {
        const struct ts_log_entry *e = &log->ring[seq % TS_LOG_MAX];
        if (e->seq != seq)
            continue;
        ts_buf_printf(
            out,
            "{\"seq\":%" PRIu64 ",\"conn\":%" PRIu64 ",\"time_ms\":%" PRIu64 ",\"method\":", e->seq,
            e->conn, e->time_ms);
        ts_buf_json_string(out, e->method);
        ts_buf_puts(out, ",\"path\":");
        ts_buf_json_string(out, e->target);
        ts_buf_puts(out, ",\"range\":");
        if (e->range)
            ts_buf_json_string(out, e->range);
        else
            ts_buf_puts(out, "null");
        ts_buf_printf(out, ",\"status\":%d,\"bytes\":%" PRIu64 ",\"state\":\"%s\",\"faults\":",
                      e->status, e->bytes, e->state);
        ts_faults_names(e->faults, out, true);
        ts_buf_puts(out, "}\n");
    }
}
