/* store.c - the persistent job store: one SQLite database per state directory.
 *
 * BITS keeps its queue across reboots; this module does the same for the
 * emulated engine. The state directory (mode 0700) holds
 *
 *   bgcopy.db     the database (mode 0600, WAL journal), schema below
 *   engine.lock   an advisory lock held by the one engine that owns the store
 *
 * What is kept: every job property BITS keeps across a reboot, its files
 * (names, temp name, progress checkpoint, ranges), its error record and
 * count, times, notify flags, command line, the persisted handler name,
 * credentials, the notifications still owed, and the timer stamps as wall
 * time (retry due, no-progress due, last activity) so that time that passed
 * while no process ran still counts. Not kept: callback pointers.
 *
 * Write discipline (all with the engine lock held, one transaction each):
 * bgcopy__store_save after creation, every API change and every state change;
 * bgcopy__store_progress for checkpoints (rate-limited by bytes and time); the
 * temp name is written before its file is created (so a crash in between
 * leaves no orphan); a job's rows are deleted only after its temp files were
 * renamed or deleted. bgcopy__store_load repairs what a crash can leave (see
 * its comment).
 *
 * Checkpoints do not fsync the temp file. A killed process loses nothing the
 * kernel has; after a power cut a checkpoint may claim bytes that never
 * reached the disk, and the loader then finds the temp file shorter than the
 * checkpoint and restarts that file from byte 0. That relies on the file
 * system never showing a file size that covers unwritten data after a crash
 * (ext4 data=ordered, XFS, btrfs keep to this): a crash can cost progress,
 * never correctness. Complete fsyncs every file before renaming it.
 *
 * Errors: store failures map to HRESULTs (disk full, write fault, ...); a
 * database that is not ours, damaged or newer is refused at open with a
 * message naming the file (bgcopy_manager_open_detail) and never modified.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core-int.h"

/* 'bgcp' in the database header: tells our database from another program's. */
#define STORE_APPLICATION_ID 0x62676370
/* Schema versions: the index of the last migration applied (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 1

struct bgcopy__store {
    sqlite3 *db;
    char *path; /* the database file */
    int lock_fd;
    sqlite3_stmt *upsert_job;
    sqlite3_stmt *upsert_file;
    sqlite3_stmt *delete_job;
    sqlite3_stmt *delete_files;
    sqlite3_stmt *delete_creds;
    sqlite3_stmt *insert_cred;
    uint64_t next_seq; /* creation order of the next new job */
};

/* ---- schema --------------------------------------------------------------------------------
 * Migration i (1-based) takes a database from user_version i-1 to i. Version 1 is the first
 * schema. A later version appends a step; the steps already shipped never change. */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
    /* 1 */
    "CREATE TABLE jobs ("
    " id BLOB PRIMARY KEY NOT NULL," /* 16-byte GUID */
    " seq INTEGER NOT NULL,"         /* creation order */
    " queue_seq INTEGER NOT NULL,"   /* round-robin order */
    " type INTEGER NOT NULL, state INTEGER NOT NULL, priority INTEGER NOT NULL,"
    " name TEXT NOT NULL, description TEXT, owner TEXT NOT NULL, owner_admin INTEGER NOT NULL,"
    " notify_flags INTEGER NOT NULL, cmd_program TEXT, cmd_parameters TEXT, handler TEXT,"
    " retry_delay INTEGER NOT NULL, no_progress_timeout INTEGER NOT NULL,"
    " max_download_time INTEGER NOT NULL,"
    " proxy_usage INTEGER NOT NULL, proxy_list TEXT, proxy_bypass TEXT, custom_headers TEXT,"
    " security_flags INTEGER NOT NULL, cost_flags INTEGER NOT NULL,"
    " dynamic_content INTEGER NOT NULL, high_performance INTEGER NOT NULL,"
    " on_demand INTEGER NOT NULL, max_download_size INTEGER NOT NULL,"
    " min_notify_interval_ms INTEGER NOT NULL, notification_clsid BLOB NOT NULL,"
    " resumed_once INTEGER NOT NULL,"
    " creation_time INTEGER NOT NULL, modification_time INTEGER NOT NULL,"
    " completion_time INTEGER NOT NULL,"
    " has_error INTEGER NOT NULL, error_context INTEGER NOT NULL, error_code INTEGER NOT NULL,"
    " error_file INTEGER NOT NULL," /* file index, -1 for none */
    " error_protocol TEXT, error_count INTEGER NOT NULL,"
    " owed_transferred INTEGER NOT NULL, owed_error INTEGER NOT NULL,"
    " completing INTEGER NOT NULL,"  /* Complete was renaming files */
    " retry_due_wall INTEGER,"       /* Unix us; NULL: no retry timer */
    " no_progress_due_wall INTEGER," /* Unix us; NULL: no no-progress window */
    " no_progress_expired INTEGER NOT NULL,"
    " active_us INTEGER NOT NULL,"         /* time active since the last Resume */
    " last_activity_wall INTEGER NOT NULL" /* Unix us */
    ");"
    "CREATE TABLE files ("
    " job BLOB NOT NULL REFERENCES jobs(id) ON DELETE CASCADE, idx INTEGER NOT NULL,"
    " remote TEXT NOT NULL, local TEXT NOT NULL, temp TEXT NOT NULL,"
    " temp_exists INTEGER NOT NULL,"
    " bytes_total INTEGER NOT NULL, bytes_transferred INTEGER NOT NULL,"
    " transferred INTEGER NOT NULL, completed INTEGER NOT NULL,"
    " remote_size INTEGER NOT NULL, remote_mtime_us INTEGER NOT NULL,"
    " range_index INTEGER NOT NULL, range_done INTEGER NOT NULL,"
    " ranges BLOB," /* 16 bytes per range: offset, length, little-endian */
    " PRIMARY KEY (job, idx)) WITHOUT ROWID;"
    "CREATE TABLE credentials ("
    " job BLOB NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
    " target INTEGER NOT NULL, scheme INTEGER NOT NULL, user TEXT, password TEXT,"
    " PRIMARY KEY (job, target, scheme)) WITHOUT ROWID;"};

static const char job_columns[] =
    "id, seq, queue_seq, type, state, priority, name, description, owner, owner_admin,"
    " notify_flags, cmd_program, cmd_parameters, handler, retry_delay, no_progress_timeout,"
    " max_download_time, proxy_usage, proxy_list, proxy_bypass, custom_headers, security_flags,"
    " cost_flags, dynamic_content, high_performance, on_demand, max_download_size,"
    " min_notify_interval_ms, notification_clsid, resumed_once, creation_time,"
    " modification_time, completion_time, has_error, error_context, error_code, error_file,"
    " error_protocol, error_count, owed_transferred, owed_error, completing, retry_due_wall,"
    " no_progress_due_wall, no_progress_expired, active_us, last_activity_wall";
#define JOB_COLUMN_COUNT 47

static const char file_columns[] =
    "job, idx, remote, local, temp, temp_exists, bytes_total, bytes_transferred, transferred,"
    " completed, remote_size, remote_mtime_us, range_index, range_done, ranges";
#define FILE_COLUMN_COUNT 15

/* ---- errors ---------------------------------------------------------------------------------- */

static void detail(const char *path, const char *what, const char *more)
{
    char text[512];
    snprintf(text, sizeof(text), "%s: %s%s%s", path, what, more ? ": " : "", more ? more : "");
    bgcopy__set_open_detail(text);
}

/* The HRESULT for an SQLite result code met while writing or reading. */
static bgcopy_hr hr_from_sqlite(int rc)
{
    switch (rc & 0xFF) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return BGCOPY_S_OK;
    case SQLITE_NOMEM:
        return BGCOPY_E_OUTOFMEMORY;
    case SQLITE_FULL:
        return BGCOPY_E_WIN32_DISK_FULL;
    case SQLITE_IOERR:
        return BGCOPY_E_WIN32_WRITE_FAULT;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
        return BGCOPY_E_ACCESSDENIED;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return BGCOPY_E_WIN32_LOCK_VIOLATION;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
        return BGCOPY_E_DATABASE_CORRUPT;
    default:
        return BGCOPY_E_FAIL;
    }
}

int bgcopy__store_available(void)
{
    return 1;
}

/* ---- open ------------------------------------------------------------------------------------ */

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int pragma_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Whether the database holds no table at all (new, or an empty file). */
static int count_tables(sqlite3 *db, int64_t *n)
{
    return pragma_int(db, "SELECT count(*) FROM sqlite_master", n);
}

/* Applies the migrations after version `from`, each in its own transaction. */
static int migrate(sqlite3 *db, int64_t from)
{
    int64_t v;
    int rc;
    for (v = from; v < STORE_SCHEMA_VERSION; v++) {
        char sql[64];
        if ((rc = exec(db, "BEGIN IMMEDIATE")) != SQLITE_OK)
            return rc;
        rc = exec(db, migrations[v]);
        if (rc == SQLITE_OK && v == 0) {
            snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", STORE_APPLICATION_ID);
            rc = exec(db, sql);
        }
        if (rc == SQLITE_OK) {
            snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", (int)(v + 1));
            rc = exec(db, sql);
        }
        if (rc == SQLITE_OK)
            rc = exec(db, "COMMIT");
        if (rc != SQLITE_OK) {
            exec(db, "ROLLBACK");
            return rc;
        }
    }
    return SQLITE_OK;
}

/* Checks that the database is ours, sound, and not newer; creates or migrates the schema. */
static bgcopy_hr check_and_migrate(struct bgcopy__store *s)
{
    int64_t app = 0, version = 0, tables = 0;
    sqlite3_stmt *st;
    int rc;
    char more[96];

    /* Reading the header is the first read: a file that is not a database fails here. */
    rc = pragma_int(s->db, "PRAGMA application_id", &app);
    if (rc == SQLITE_OK)
        rc = pragma_int(s->db, "PRAGMA user_version", &version);
    if (rc == SQLITE_OK)
        rc = count_tables(s->db, &tables);
    if (rc != SQLITE_OK) {
        detail(s->path, "not a bgcopy database, or damaged", sqlite3_errstr(rc));
        return BGCOPY_E_DATABASE_CORRUPT;
    }
    if (tables == 0 && app == 0 && version == 0) {
        rc = migrate(s->db, 0);
        if (rc != SQLITE_OK) {
            detail(s->path, "cannot create the schema", sqlite3_errstr(rc));
            return hr_from_sqlite(rc);
        }
        return BGCOPY_S_OK;
    }
    if (app != STORE_APPLICATION_ID) {
        snprintf(more, sizeof(more), "application id 0x%08llX, expected 0x%08X",
                 (unsigned long long)(uint32_t)app, STORE_APPLICATION_ID);
        detail(s->path, "an SQLite database of another program", more);
        return BGCOPY_E_WIN32_INVALID_DATA;
    }
    if (version > STORE_SCHEMA_VERSION) {
        snprintf(more, sizeof(more), "schema version %lld is newer than this library's %d",
                 (long long)version, STORE_SCHEMA_VERSION);
        detail(s->path, "written by a newer bgcopy", more);
        return BGCOPY_E_WIN32_REVISION_MISMATCH;
    }
    if (version < 1) {
        detail(s->path, "not a bgcopy database, or damaged", "no schema version");
        return BGCOPY_E_DATABASE_CORRUPT;
    }
    /* A cheap structural check: damaged pages, truncation, broken indexes. */
    rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const char *r = (const char *)sqlite3_column_text(st, 0);
            if (r == NULL || strcmp(r, "ok") != 0) {
                detail(s->path, "the database is damaged", r);
                sqlite3_finalize(st);
                return BGCOPY_E_DATABASE_CORRUPT;
            }
            rc = SQLITE_OK;
        }
        sqlite3_finalize(st);
    }
    if (rc != SQLITE_OK) {
        detail(s->path, "the database is damaged", sqlite3_errstr(rc));
        return BGCOPY_E_DATABASE_CORRUPT;
    }
    rc = migrate(s->db, version);
    if (rc != SQLITE_OK) {
        detail(s->path, "cannot migrate the schema", sqlite3_errstr(rc));
        return hr_from_sqlite(rc);
    }
    return BGCOPY_S_OK;
}

/* Writes "b=excluded.b, c=excluded.c, ..." for every column of the comma-separated list
 * cols but the first (the key) into buf; returns the length snprintf would have written. */
static int update_set_list(char *buf, size_t size, const char *cols)
{
    const char *c = strchr(cols, ',');
    int n = 0;

    while (c != NULL) {
        const char *name = c + 1, *end;
        while (*name == ' ')
            name++;
        end = strchr(name, ',');
        c = end;
        if (end == NULL)
            end = name + strlen(name);
        n += snprintf(buf + n, (size_t)n < size ? size - (size_t)n : 0, "%s%.*s=excluded.%.*s",
                      n ? "," : "", (int)(end - name), name, (int)(end - name), name);
    }
    return n;
}

static int prepare(struct bgcopy__store *s)
{
    char sql[4096];
    int rc, i, n;

    /* An upsert, not INSERT OR REPLACE: REPLACE deletes the old row first, and the delete
     * cascades to the job's files and credentials, which a save of one file's checkpoint
     * would not write back. */
    n = snprintf(sql, sizeof(sql), "INSERT INTO jobs (%s) VALUES (", job_columns);
    for (i = 0; i < JOB_COLUMN_COUNT; i++)
        n += snprintf(sql + n, sizeof(sql) - (size_t)n, i ? ",?" : "?");
    n += snprintf(sql + n, sizeof(sql) - (size_t)n, ") ON CONFLICT (id) DO UPDATE SET ");
    n += update_set_list(sql + n, sizeof(sql) - (size_t)n, job_columns);
    if ((size_t)n >= sizeof(sql))
        return SQLITE_NOMEM;
    rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->upsert_job, NULL);
    if (rc != SQLITE_OK)
        return rc;
    n = snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO files (%s) VALUES (", file_columns);
    for (i = 0; i < FILE_COLUMN_COUNT; i++)
        n += snprintf(sql + n, sizeof(sql) - (size_t)n, i ? ",?" : "?");
    snprintf(sql + n, sizeof(sql) - (size_t)n, ")");
    rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->upsert_file, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(s->db, "DELETE FROM jobs WHERE id = ?", -1,
                                SQLITE_PREPARE_PERSISTENT, &s->delete_job, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(s->db, "DELETE FROM files WHERE job = ?", -1,
                                SQLITE_PREPARE_PERSISTENT, &s->delete_files, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(s->db, "DELETE FROM credentials WHERE job = ?", -1,
                                SQLITE_PREPARE_PERSISTENT, &s->delete_creds, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(s->db,
                                "INSERT INTO credentials (job, target, scheme, user, password)"
                                " VALUES (?, ?, ?, ?, ?)",
                                -1, SQLITE_PREPARE_PERSISTENT, &s->insert_cred, NULL);
    return rc;
}

void bgcopy__store_close(struct bgcopy__store *s)
{
    if (s == NULL)
        return;
    sqlite3_finalize(s->upsert_job);
    sqlite3_finalize(s->upsert_file);
    sqlite3_finalize(s->delete_job);
    sqlite3_finalize(s->delete_files);
    sqlite3_finalize(s->delete_creds);
    sqlite3_finalize(s->insert_cred);
    if (s->db)
        sqlite3_close_v2(s->db);
    if (s->lock_fd >= 0)
        bgcopy__fs_close(s->lock_fd);
    free(s->path);
    free(s);
}

bgcopy_hr bgcopy__store_open(const char *dir, struct bgcopy__store **out)
{
    struct bgcopy__store *s;
    size_t n = strlen(dir);
    char *lock_path = NULL;
    bgcopy__stat st;
    bgcopy_hr hr = BGCOPY_E_OUTOFMEMORY;
    int rc, fd;

    *out = NULL;
    s = bgcopy__calloc(1, sizeof(*s));
    if (s == NULL)
        return BGCOPY_E_OUTOFMEMORY;
    s->lock_fd = -1;
    s->path = malloc(n + sizeof("/bgcopy.db"));
    lock_path = malloc(n + sizeof("/engine.lock"));
    if (s->path == NULL || lock_path == NULL)
        goto fail;
    memcpy(s->path, dir, n);
    memcpy(s->path + n, "/bgcopy.db", sizeof("/bgcopy.db"));
    memcpy(lock_path, dir, n);
    memcpy(lock_path + n, "/engine.lock", sizeof("/engine.lock"));

    hr = bgcopy__fs_lock(lock_path, &s->lock_fd);
    if (hr == BGCOPY_E_WIN32_LOCK_VIOLATION) {
        detail(dir, "another process runs the engine of this state directory", NULL);
        hr = BGCOPY_E_WIN32_SERVICE_ALREADY_RUNNING;
        goto fail;
    }
    if (BGCOPY_FAILED(hr)) {
        detail(lock_path, "cannot create the engine lock", bgcopy_hr_message(hr));
        goto fail;
    }
    /* Create the database file ourselves so that it is 0600 from the start (SQLite gives its
     * -wal and -shm files the database file's mode). */
    hr = bgcopy__fs_stat(s->path, &st);
    if (BGCOPY_SUCCEEDED(hr) && !st.exists) {
        hr = bgcopy__fs_create_excl(s->path, &fd);
        if (BGCOPY_SUCCEEDED(hr))
            bgcopy__fs_close(fd);
    } else if (BGCOPY_SUCCEEDED(hr) && !st.is_regular) {
        hr = BGCOPY_E_WIN32_INVALID_DATA;
        detail(s->path, "not a regular file", NULL);
        goto fail;
    } else if (BGCOPY_SUCCEEDED(hr)) {
        hr = bgcopy__fs_make_private(s->path);
    }
    if (BGCOPY_FAILED(hr)) {
        detail(s->path, "cannot create the database", bgcopy_hr_message(hr));
        goto fail;
    }
    rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        detail(s->path, "cannot open the database", sqlite3_errstr(rc));
        hr = rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT ? BGCOPY_E_DATABASE_CORRUPT
                                                         : hr_from_sqlite(rc);
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    hr = check_and_migrate(s);
    if (BGCOPY_FAILED(hr))
        goto fail;
    /* WAL: a crash at any instant leaves either the old or the new transaction. NORMAL
     * syncs the log at checkpoints: a killed process loses nothing; a power cut may lose
     * the last transactions but never corrupts the database. */
    rc = exec(s->db, "PRAGMA journal_mode = WAL");
    if (rc == SQLITE_OK)
        rc = exec(s->db, "PRAGMA synchronous = NORMAL");
    if (rc == SQLITE_OK)
        rc = exec(s->db, "PRAGMA foreign_keys = ON");
    if (rc == SQLITE_OK)
        rc = prepare(s);
    if (rc != SQLITE_OK) {
        detail(s->path, "cannot prepare the database", sqlite3_errmsg(s->db));
        hr = hr_from_sqlite(rc);
        goto fail;
    }
    {
        int64_t seq = 0;
        if (pragma_int(s->db, "SELECT coalesce(max(seq), 0) FROM jobs", &seq) == SQLITE_OK)
            s->next_seq = (uint64_t)seq + 1;
    }
    free(lock_path);
    *out = s;
    return BGCOPY_S_OK;
fail:
    free(lock_path);
    bgcopy__store_close(s);
    return BGCOPY_FAILED(hr) ? hr : BGCOPY_E_FAIL;
}

/* ---- writing --------------------------------------------------------------------------------- */

static int64_t mono_to_wall(const struct bgcopy__engine *e, int64_t mono_us)
{
    return mono_us - bgcopy__engine_now(e) + bgcopy__engine_wall(e);
}

static int64_t wall_to_mono(const struct bgcopy__engine *e, int64_t wall_us)
{
    return wall_us - bgcopy__engine_wall(e) + bgcopy__engine_now(e);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_id(sqlite3_stmt *st, int i, const struct emu_job *job)
{
    sqlite3_bind_blob(st, i, job->id.b, sizeof(job->id.b), SQLITE_STATIC);
}

static int step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int write_job_row(struct bgcopy__store *s, struct emu_job *job)
{
    struct bgcopy__engine *e = job->engine;
    sqlite3_stmt *st = s->upsert_job;
    int64_t now = bgcopy__engine_now(e);
    int64_t active = job->active_accum_us;
    int i = 1;

    if (job->active_since_us >= 0)
        active += now - job->active_since_us;
    if (job->store_seq == 0)
        job->store_seq = s->next_seq++;
    bind_id(st, i++, job);
    sqlite3_bind_int64(st, i++, (int64_t)job->store_seq);
    sqlite3_bind_int64(st, i++, (int64_t)job->queue_seq);
    sqlite3_bind_int(st, i++, (int)job->type);
    sqlite3_bind_int(st, i++, (int)job->state);
    sqlite3_bind_int(st, i++, (int)job->priority);
    bind_text(st, i++, job->name);
    bind_text(st, i++, job->description);
    bind_text(st, i++, job->owner);
    sqlite3_bind_int(st, i++, job->owner_admin);
    sqlite3_bind_int64(st, i++, job->notify_flags);
    bind_text(st, i++, job->cmd_program);
    bind_text(st, i++, job->cmd_parameters);
    bind_text(st, i++, job->handler_name);
    sqlite3_bind_int64(st, i++, job->retry_delay);
    sqlite3_bind_int64(st, i++, job->no_progress_timeout);
    sqlite3_bind_int64(st, i++, job->max_download_time);
    sqlite3_bind_int(st, i++, (int)job->proxy_usage);
    bind_text(st, i++, job->proxy_list);
    bind_text(st, i++, job->proxy_bypass);
    bind_text(st, i++, job->custom_headers);
    sqlite3_bind_int64(st, i++, job->security_flags);
    sqlite3_bind_int64(st, i++, job->cost_flags);
    sqlite3_bind_int(st, i++, job->dynamic_content);
    sqlite3_bind_int(st, i++, job->high_performance);
    sqlite3_bind_int(st, i++, job->on_demand);
    sqlite3_bind_int64(st, i++, (int64_t)job->max_download_size);
    sqlite3_bind_int64(st, i++, job->min_notify_interval_ms);
    sqlite3_bind_blob(st, i++, job->notification_clsid.b, sizeof(job->notification_clsid.b),
                      SQLITE_STATIC);
    sqlite3_bind_int(st, i++, job->resumed_once);
    sqlite3_bind_int64(st, i++, (int64_t)job->creation_time);
    sqlite3_bind_int64(st, i++, (int64_t)job->modification_time);
    sqlite3_bind_int64(st, i++, (int64_t)job->transfer_completion_time);
    sqlite3_bind_int(st, i++, job->has_error);
    sqlite3_bind_int(st, i++, (int)job->error_context);
    sqlite3_bind_int64(st, i++, (int64_t)(uint32_t)job->error_code);
    sqlite3_bind_int64(st, i++, job->error_file ? (int64_t)job->error_file->index : -1);
    bind_text(st, i++, job->error_protocol);
    sqlite3_bind_int64(st, i++, job->error_count);
    sqlite3_bind_int(st, i++, job->owed_transferred);
    sqlite3_bind_int(st, i++, job->owed_error);
    sqlite3_bind_int(st, i++, job->completing);
    if (bgcopy__timer_armed(&job->retry_timer))
        sqlite3_bind_int64(st, i++, mono_to_wall(e, job->retry_timer.due));
    else
        sqlite3_bind_null(st, i++);
    if (bgcopy__timer_armed(&job->no_progress_timer))
        sqlite3_bind_int64(st, i++, mono_to_wall(e, job->no_progress_timer.due));
    else
        sqlite3_bind_null(st, i++);
    sqlite3_bind_int(st, i++, job->no_progress_expired);
    sqlite3_bind_int64(st, i++, active);
    sqlite3_bind_int64(st, i++, mono_to_wall(e, job->last_activity_us));
    return step_reset(st);
}

static int write_file_row(struct bgcopy__store *s, struct emu_file *f)
{
    sqlite3_stmt *st = s->upsert_file;
    unsigned char *blob = NULL;
    int i = 1, rc;
    uint32_t r;

    if (f->range_count) {
        blob = malloc((size_t)f->range_count * 16);
        if (blob == NULL)
            return SQLITE_NOMEM;
        for (r = 0; r < f->range_count; r++) {
            int b;
            for (b = 0; b < 8; b++) {
                blob[r * 16 + b] = (unsigned char)(f->ranges[r].initial_offset >> (8 * b));
                blob[r * 16 + 8 + b] = (unsigned char)(f->ranges[r].length >> (8 * b));
            }
        }
    }
    bind_id(st, i++, f->job);
    sqlite3_bind_int64(st, i++, f->index);
    bind_text(st, i++, f->remote);
    bind_text(st, i++, f->local);
    bind_text(st, i++, f->temp);
    sqlite3_bind_int(st, i++, f->temp_exists);
    sqlite3_bind_int64(st, i++, (int64_t)f->bytes_total);
    sqlite3_bind_int64(st, i++, (int64_t)f->bytes_transferred);
    sqlite3_bind_int(st, i++, f->transferred);
    sqlite3_bind_int(st, i++, f->completed);
    sqlite3_bind_int64(st, i++, (int64_t)f->remote_size);
    sqlite3_bind_int64(st, i++, f->remote_mtime_us);
    sqlite3_bind_int64(st, i++, f->range_index);
    sqlite3_bind_int64(st, i++, (int64_t)f->range_done);
    if (blob)
        sqlite3_bind_blob(st, i++, blob, (int)(f->range_count * 16), SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i++);
    rc = step_reset(st);
    free(blob);
    return rc;
}

static int write_creds(struct bgcopy__store *s, struct emu_job *job)
{
    int t, k, rc;

    bind_id(s->delete_creds, 1, job);
    rc = step_reset(s->delete_creds);
    for (t = 0; t < 3 && rc == SQLITE_OK; t++)
        for (k = 0; k < 6 && rc == SQLITE_OK; k++) {
            const struct emu_cred *c = &job->creds[t][k];
            if (!c->set)
                continue;
            bind_id(s->insert_cred, 1, job);
            sqlite3_bind_int(s->insert_cred, 2, t);
            sqlite3_bind_int(s->insert_cred, 3, k);
            bind_text(s->insert_cred, 4, c->user);
            bind_text(s->insert_cred, 5, c->password);
            rc = step_reset(s->insert_cred);
        }
    return rc;
}

static bgcopy_hr save(struct emu_job *job, struct emu_file *only, int with_creds)
{
    struct bgcopy__store *s = job->engine->store;
    uint32_t i;
    int rc;

    if (s == NULL)
        return BGCOPY_S_OK;
    rc = exec(s->db, "BEGIN IMMEDIATE");
    if (rc == SQLITE_OK)
        rc = write_job_row(s, job);
    for (i = 0; i < job->file_count && rc == SQLITE_OK; i++)
        if (only == NULL || job->files[i] == only)
            rc = write_file_row(s, job->files[i]);
    if (rc == SQLITE_OK && with_creds)
        rc = write_creds(s, job);
    if (rc == SQLITE_OK)
        rc = exec(s->db, "COMMIT");
    if (rc != SQLITE_OK) {
        exec(s->db, "ROLLBACK");
        return hr_from_sqlite(rc);
    }
    for (i = 0; i < job->file_count; i++)
        if (only == NULL || job->files[i] == only)
            job->files[i]->saved_bytes = job->files[i]->bytes_transferred;
    job->ckpt_bytes = 0;
    job->ckpt_us = bgcopy__engine_now(job->engine);
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__store_save(struct emu_job *job)
{
    if (bgcopy__job_state_is_final(job->state))
        return bgcopy__store_forget(job);
    return save(job, NULL, 1);
}

bgcopy_hr bgcopy__store_save_progress(struct emu_job *job)
{
    uint32_t i;
    for (i = 0; i < job->file_count; i++)
        if (job->files[i]->saved_bytes != job->files[i]->bytes_transferred)
            return bgcopy__store_save(job);
    return BGCOPY_S_OK;
}

bgcopy_hr bgcopy__store_save_file(struct emu_job *job, struct emu_file *f)
{
    if (bgcopy__job_state_is_final(job->state))
        return BGCOPY_S_OK;
    return save(job, f, 0);
}

void bgcopy__store_progress(struct emu_job *job, struct emu_file *f, uint64_t len)
{
    struct bgcopy__engine *e = job->engine;
    int64_t now;

    if (e->store == NULL)
        return;
    job->ckpt_bytes += len;
    now = bgcopy__engine_now(e);
    if (job->ckpt_bytes >= e->checkpoint_bytes ||
        (e->checkpoint_ms != UINT32_MAX && now - job->ckpt_us >= (int64_t)e->checkpoint_ms * 1000))
        (void)save(job, f, 0); /* a failed checkpoint is retried at the next one */
}

bgcopy_hr bgcopy__store_forget(struct emu_job *job)
{
    struct bgcopy__store *s = job->engine->store;
    int rc;

    if (s == NULL || job->store_seq == 0)
        return BGCOPY_S_OK;
    /* Files and credentials go with the job (ON DELETE CASCADE). */
    bind_id(s->delete_job, 1, job);
    rc = step_reset(s->delete_job);
    if (rc == SQLITE_OK)
        job->store_seq = 0;
    return hr_from_sqlite(rc);
}

/* ---- loading --------------------------------------------------------------------------------- */

static char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? bgcopy__strdup((const char *)t) : NULL;
}

static void col_guid(sqlite3_stmt *st, int i, bgcopy_guid *g)
{
    const void *b = sqlite3_column_blob(st, i);
    memset(g, 0, sizeof(*g));
    if (b && sqlite3_column_bytes(st, i) == (int)sizeof(g->b))
        memcpy(g->b, b, sizeof(g->b));
}

/* A loaded value that cannot be right: the row is damaged. */
#define CHECK(cond)                           \
    do {                                      \
        if (!(cond))                          \
            return BGCOPY_E_DATABASE_CORRUPT; \
    } while (0)

static bgcopy_hr read_job(struct bgcopy__engine *e, sqlite3_stmt *st, struct emu_job **out,
                          int64_t *error_file, int64_t *retry_wall, int64_t *np_wall,
                          int64_t *activity_wall)
{
    struct emu_job *job;
    const char *owner = (const char *)sqlite3_column_text(st, 8);
    const char *name = (const char *)sqlite3_column_text(st, 6);
    const char *proto;
    int i = 0;

    *out = NULL;
    CHECK(owner != NULL && name != NULL && sqlite3_column_bytes(st, 0) == 16);
    job = bgcopy__job_alloc(e, owner, name);
    if (job == NULL)
        return BGCOPY_E_OUTOFMEMORY;
    *out = job;
    col_guid(st, i++, &job->id);
    job->store_seq = (uint64_t)sqlite3_column_int64(st, i++);
    job->queue_seq = (uint64_t)sqlite3_column_int64(st, i++);
    job->type = (bgcopy_job_type)sqlite3_column_int(st, i++);
    job->state = (bgcopy_job_state)sqlite3_column_int(st, i++);
    job->priority = (bgcopy_job_priority)sqlite3_column_int(st, i++);
    i++; /* name */
    job->description = col_text(st, i++);
    i++; /* owner */
    job->owner_admin = sqlite3_column_int(st, i++);
    job->notify_flags = (uint32_t)sqlite3_column_int64(st, i++);
    job->cmd_program = col_text(st, i++);
    job->cmd_parameters = col_text(st, i++);
    job->handler_name = col_text(st, i++);
    job->retry_delay = (uint32_t)sqlite3_column_int64(st, i++);
    job->no_progress_timeout = (uint32_t)sqlite3_column_int64(st, i++);
    job->max_download_time = (uint32_t)sqlite3_column_int64(st, i++);
    job->proxy_usage = (bgcopy_proxy_usage)sqlite3_column_int(st, i++);
    job->proxy_list = col_text(st, i++);
    job->proxy_bypass = col_text(st, i++);
    job->custom_headers = col_text(st, i++);
    job->security_flags = (uint32_t)sqlite3_column_int64(st, i++);
    job->cost_flags = (uint32_t)sqlite3_column_int64(st, i++);
    job->dynamic_content = sqlite3_column_int(st, i++);
    job->high_performance = sqlite3_column_int(st, i++);
    job->on_demand = sqlite3_column_int(st, i++);
    job->max_download_size = (uint64_t)sqlite3_column_int64(st, i++);
    job->min_notify_interval_ms = (uint32_t)sqlite3_column_int64(st, i++);
    col_guid(st, i++, &job->notification_clsid);
    job->resumed_once = sqlite3_column_int(st, i++);
    job->creation_time = (bgcopy_filetime)sqlite3_column_int64(st, i++);
    job->modification_time = (bgcopy_filetime)sqlite3_column_int64(st, i++);
    job->transfer_completion_time = (bgcopy_filetime)sqlite3_column_int64(st, i++);
    job->has_error = sqlite3_column_int(st, i++);
    job->error_context = (bgcopy_error_context)sqlite3_column_int(st, i++);
    job->error_code = (bgcopy_hr)(uint32_t)sqlite3_column_int64(st, i++);
    *error_file = sqlite3_column_int64(st, i++);
    proto = (const char *)sqlite3_column_text(st, i++);
    job->error_protocol = proto == NULL                ? NULL
                          : strcmp(proto, "http") == 0 ? "http"
                          : strcmp(proto, "file") == 0 ? "file"
                                                       : NULL;
    job->error_count = (uint32_t)sqlite3_column_int64(st, i++);
    job->owed_transferred = sqlite3_column_int(st, i++);
    job->owed_error = sqlite3_column_int(st, i++);
    job->completing = sqlite3_column_int(st, i++);
    *retry_wall =
        sqlite3_column_type(st, i) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(st, i);
    i++;
    *np_wall = sqlite3_column_type(st, i) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(st, i);
    i++;
    job->no_progress_expired = sqlite3_column_int(st, i++);
    job->active_accum_us = sqlite3_column_int64(st, i++);
    *activity_wall = sqlite3_column_int64(st, i++);

    CHECK(job->type >= BGCOPY_JOB_TYPE_DOWNLOAD && job->type <= BGCOPY_JOB_TYPE_UPLOAD_REPLY);
    CHECK(job->state >= BGCOPY_JOB_STATE_QUEUED && job->state <= BGCOPY_JOB_STATE_CANCELLED);
    CHECK(job->priority >= BGCOPY_JOB_PRIORITY_FOREGROUND &&
          job->priority <= BGCOPY_JOB_PRIORITY_LOW);
    CHECK(job->error_context <= BGCOPY_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK);
    CHECK(job->proxy_usage <= BGCOPY_PROXY_USAGE_AUTODETECT);
    return BGCOPY_S_OK;
}

/* A stored temp name is what bgcopy__temp_name_draw makes: BIT<4 upper-case hex>.tmp in the
 * directory of the absolute local name. Anything else (a damaged or forged record) is refused
 * before the loader truncates, renames or deletes it. */
static int temp_name_sane(const char *local, const char *temp)
{
    const char *ls = strrchr(local, '/'), *ts = strrchr(temp, '/');
    int i;

    if (local[0] != '/' || ls == NULL || ts == NULL || ls - local != ts - temp ||
        memcmp(local, temp, (size_t)(ls - local)) != 0 || strlen(ts + 1) != 11 ||
        memcmp(ts + 1, "BIT", 3) != 0 || strcmp(ts + 8, ".tmp") != 0)
        return 0;
    for (i = 4; i < 8; i++)
        if (!((ts[i] >= '0' && ts[i] <= '9') || (ts[i] >= 'A' && ts[i] <= 'F')))
            return 0;
    return 1;
}

static bgcopy_hr read_file(struct emu_job *job, sqlite3_stmt *st)
{
    struct emu_file *f;
    const void *blob;
    int n, i = 1;
    uint32_t r;

    CHECK(sqlite3_column_int64(st, i) == (int64_t)job->file_count);
    CHECK(sqlite3_column_text(st, 2) && sqlite3_column_text(st, 3) && sqlite3_column_text(st, 4));
    if (BGCOPY_FAILED(bgcopy__job_reserve_files(job, 1)))
        return BGCOPY_E_OUTOFMEMORY;
    f = bgcopy__file_alloc(job);
    if (f == NULL)
        return BGCOPY_E_OUTOFMEMORY;
    f->index = job->file_count;
    job->files[job->file_count++] = f;
    i++;
    f->remote = col_text(st, i++);
    f->local = col_text(st, i++);
    f->temp = col_text(st, i++);
    if (f->remote == NULL || f->local == NULL || f->temp == NULL)
        return BGCOPY_E_OUTOFMEMORY;
    f->temp_exists = sqlite3_column_int(st, i++);
    f->bytes_total = (uint64_t)sqlite3_column_int64(st, i++);
    f->bytes_transferred = (uint64_t)sqlite3_column_int64(st, i++);
    f->transferred = sqlite3_column_int(st, i++);
    f->completed = sqlite3_column_int(st, i++);
    f->remote_size = (uint64_t)sqlite3_column_int64(st, i++);
    f->remote_mtime_us = sqlite3_column_int64(st, i++);
    f->range_index = (uint32_t)sqlite3_column_int64(st, i++);
    f->range_done = (uint64_t)sqlite3_column_int64(st, i++);
    blob = sqlite3_column_blob(st, i);
    n = sqlite3_column_bytes(st, i);
    CHECK(n % 16 == 0);
    CHECK(temp_name_sane(f->local, f->temp));
    if (n > 0) {
        const unsigned char *b = blob;
        f->range_count = (uint32_t)(n / 16);
        f->ranges = malloc((size_t)n / 16 * sizeof(*f->ranges));
        if (f->ranges == NULL)
            return BGCOPY_E_OUTOFMEMORY;
        for (r = 0; r < f->range_count; r++) {
            int k;
            f->ranges[r].initial_offset = 0;
            f->ranges[r].length = 0;
            for (k = 7; k >= 0; k--) {
                f->ranges[r].initial_offset = (f->ranges[r].initial_offset << 8) | b[r * 16 + k];
                f->ranges[r].length = (f->ranges[r].length << 8) | b[r * 16 + 8 + k];
            }
        }
        CHECK(f->range_index <= f->range_count);
    }
    CHECK(f->bytes_total == BGCOPY_SIZE_UNKNOWN || f->bytes_transferred <= f->bytes_total);
    f->saved_bytes = f->bytes_transferred;
    return BGCOPY_S_OK;
}

/* Reads job's files and credentials with the two statements of bgcopy__store_load. */
static bgcopy_hr read_children(sqlite3_stmt *files, sqlite3_stmt *creds, struct emu_job *job)
{
    sqlite3_stmt *st = files;
    int rc;
    bgcopy_hr hr = BGCOPY_S_OK;

    bind_id(st, 1, job);
    while (BGCOPY_SUCCEEDED(hr) && (rc = sqlite3_step(st)) == SQLITE_ROW)
        hr = read_file(job, st);
    sqlite3_reset(st);
    if (BGCOPY_FAILED(hr))
        return hr;
    if (rc != SQLITE_DONE)
        return hr_from_sqlite(rc);

    st = creds;
    bind_id(st, 1, job);
    while (BGCOPY_SUCCEEDED(hr) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int t = sqlite3_column_int(st, 0), k = sqlite3_column_int(st, 1);
        struct emu_cred *c;
        if (t < 0 || t >= 3 || k < 0 || k >= 6) {
            hr = BGCOPY_E_DATABASE_CORRUPT;
            break;
        }
        c = &job->creds[t][k];
        free(c->user);
        free(c->password);
        c->set = 1;
        c->user = col_text(st, 2);
        c->password = col_text(st, 3);
    }
    sqlite3_reset(st);
    if (BGCOPY_SUCCEEDED(hr) && rc != SQLITE_DONE)
        hr = hr_from_sqlite(rc);
    return hr;
}

/* Resets a file to byte 0: its temp file is missing or shorter than its checkpoint. */
static void restart_loaded_file(struct emu_file *f, int exists)
{
    f->bytes_transferred = 0;
    f->saved_bytes = 0;
    f->range_index = 0;
    f->range_done = 0;
    f->transferred = 0;
    f->remote_size = BGCOPY_SIZE_UNKNOWN;
    f->remote_mtime_us = INT64_MIN;
    if (f->range_count == 0)
        f->bytes_total = BGCOPY_SIZE_UNKNOWN;
    if (!exists)
        f->temp_exists = 0;
}

/* Brings a file's temp file in line with its checkpoint: extra bytes (written after the
 * last checkpoint) are cut off; a missing or shorter file restarts the file. Returns 1 when
 * a transferred file had to restart. */
static int repair_temp(struct emu_file *f)
{
    bgcopy__stat st;
    int fd, restarted = 0;

    if (f->completed || !f->temp_exists)
        return 0;
    if (BGCOPY_FAILED(bgcopy__fs_stat(f->temp, &st)) || !st.exists || !st.is_regular) {
        restarted = f->transferred;
        if (f->bytes_transferred > 0 || f->transferred)
            restart_loaded_file(f, 0);
        f->temp_exists = 0;
        return restarted;
    }
    if (st.size == f->bytes_transferred)
        return 0;
    if (st.size < f->bytes_transferred) {
        restarted = f->transferred;
        restart_loaded_file(f, 1);
    }
    if (BGCOPY_SUCCEEDED(bgcopy__fs_open(f->temp, 1, &fd))) {
        (void)bgcopy__fs_truncate(fd, f->bytes_transferred);
        (void)bgcopy__fs_fsync(fd);
        bgcopy__fs_close(fd);
    }
    return restarted;
}

/* Finishes a Complete that a crash interrupted: transferred files still in their temp
 * files are renamed, the others' temp files deleted. Returns 0 when a rename failed (the
 * job then stays TRANSFERRED for the application to try again). */
static int roll_forward_complete(struct emu_job *job)
{
    uint32_t i;
    for (i = 0; i < job->file_count; i++) {
        struct emu_file *f = job->files[i];
        bgcopy__stat st;
        if (!f->temp_exists || f->completed)
            continue;
        if (BGCOPY_FAILED(bgcopy__fs_stat(f->temp, &st)) || !st.exists) {
            /* Renamed before the crash, or never created. */
            f->temp_exists = 0;
            f->completed = f->transferred;
            continue;
        }
        if (f->transferred) {
            if (BGCOPY_FAILED(bgcopy__fs_rename(f->temp, f->local)))
                return 0;
            (void)bgcopy__fs_fsync_parent(f->local);
            if (f->remote_mtime_us != INT64_MIN)
                (void)bgcopy__fs_set_mtime(f->local, f->remote_mtime_us);
            f->completed = 1;
        } else {
            (void)bgcopy__fs_unlink(f->temp);
        }
        f->temp_exists = 0;
    }
    return 1;
}

static void delete_temps(struct emu_job *job)
{
    int failed = 0;
    bgcopy__job_delete_temps(job, 0, &failed);
}

/* Decides what becomes of a loaded job; returns 1 when it joins the engine. */
static int revive(struct bgcopy__engine *e, struct emu_job *job, int64_t error_file,
                  int64_t retry_wall, int64_t np_wall, int64_t activity_wall)
{
    int64_t wall = bgcopy__engine_wall(e), now = bgcopy__engine_now(e);
    int64_t idle = wall - activity_wall;
    int changed = 0, restarted = 0;
    uint32_t i;

    if (job->completing) {
        if (roll_forward_complete(job)) {
            (void)bgcopy__store_forget(job);
            return 0;
        }
        job->completing = 0;
        changed = 1;
    }
    if (bgcopy__job_state_is_final(job->state)) {
        delete_temps(job);
        (void)bgcopy__store_forget(job);
        return 0;
    }
    /* Time that passed while nothing ran counts: past the inactivity timeout, the job is
     * cancelled now, as the running engine would have done. */
    if (idle >= (int64_t)e->inactivity_timeout * BGCOPY__US) {
        delete_temps(job);
        (void)bgcopy__store_forget(job);
        return 0;
    }
    if (idle < 0)
        idle = 0; /* the clock went back: no time passed */
    job->last_activity_us = now - idle;
    bgcopy__timer_arm(e, &job->inactivity_timer,
                      job->last_activity_us + (int64_t)e->inactivity_timeout * BGCOPY__US);

    if (error_file >= 0 && (uint64_t)error_file < job->file_count)
        job->error_file = job->files[error_file];
    for (i = 0; i < job->file_count; i++)
        restarted |= repair_temp(job->files[i]);
    if (restarted || (job->state == BGCOPY_JOB_STATE_TRANSFERRED && job->file_count > 0 &&
                      !job->files[0]->transferred)) {
        /* A file the job had finished lost its bytes: it is fetched again. */
        if (job->state == BGCOPY_JOB_STATE_TRANSFERRED) {
            job->state = BGCOPY_JOB_STATE_QUEUED;
            job->owed_transferred = 0;
        }
        changed = 1;
    }
    switch (job->state) {
    case BGCOPY_JOB_STATE_CONNECTING:
    case BGCOPY_JOB_STATE_TRANSFERRING:
        /* The transfer stopped with the process: the job waits for its turn again. */
        job->state = BGCOPY_JOB_STATE_QUEUED;
        changed = 1;
        break;
    case BGCOPY_JOB_STATE_TRANSIENT_ERROR:
        /* The retry delay runs on wall time: past it, the job is retried at once. */
        bgcopy__timer_arm(e, &job->retry_timer,
                          retry_wall == INT64_MIN ? now : wall_to_mono(e, retry_wall));
        break;
    default:
        break;
    }
    if (np_wall != INT64_MIN && !job->no_progress_expired &&
        (job->state == BGCOPY_JOB_STATE_TRANSIENT_ERROR || job->state == BGCOPY_JOB_STATE_QUEUED))
        bgcopy__timer_arm(e, &job->no_progress_timer, wall_to_mono(e, np_wall));
    if (job->queue_seq > e->queue_seq)
        e->queue_seq = job->queue_seq;
    if (changed)
        (void)bgcopy__store_save(job);
    return 1;
}

bgcopy_hr bgcopy__store_load(struct bgcopy__engine *e)
{
    struct bgcopy__store *s = e->store;
    sqlite3_stmt *st = NULL, *files = NULL, *creds = NULL;
    char sql[1024];
    bgcopy_hr hr = BGCOPY_S_OK;
    struct emu_job *job = NULL;
    int rc;

    snprintf(sql, sizeof(sql), "SELECT %s FROM jobs ORDER BY seq", job_columns);
    rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        snprintf(sql, sizeof(sql), "SELECT %s FROM files WHERE job = ? ORDER BY idx", file_columns);
        rc = sqlite3_prepare_v2(s->db, sql, -1, &files, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(
            s->db, "SELECT target, scheme, user, password FROM credentials WHERE job = ?", -1,
            &creds, NULL);
    if (rc != SQLITE_OK) {
        detail(s->path, "cannot read the jobs", sqlite3_errmsg(s->db));
        sqlite3_finalize(st);
        sqlite3_finalize(files);
        return hr_from_sqlite(rc);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t error_file, retry_wall, np_wall, activity_wall;
        hr = read_job(e, st, &job, &error_file, &retry_wall, &np_wall, &activity_wall);
        if (BGCOPY_SUCCEEDED(hr))
            hr = read_children(files, creds, job);
        if (BGCOPY_FAILED(hr))
            break;
        if (revive(e, job, error_file, retry_wall, np_wall, activity_wall)) {
            bgcopy__job_attach(job);
            if (job->state == BGCOPY_JOB_STATE_QUEUED)
                bgcopy__engine_kick(e);
        } else {
            bgcopy__timers_stop_all(job);
            bgcopy__job_free_unattached(job);
        }
        job = NULL;
    }
    sqlite3_finalize(st);
    sqlite3_finalize(files);
    sqlite3_finalize(creds);
    if (BGCOPY_SUCCEEDED(hr) && rc != SQLITE_DONE)
        hr = hr_from_sqlite(rc);
    if (BGCOPY_FAILED(hr)) {
        if (job) {
            bgcopy__timers_stop_all(job);
            bgcopy__job_free_unattached(job);
        }
        detail(s->path,
               hr == BGCOPY_E_DATABASE_CORRUPT ? "a job record is damaged" : "cannot read the jobs",
               bgcopy_hr_message(hr));
        return hr;
    }
    /* What was owed before the restart is delivered again (at least once). */
    for (job = e->jobs_head; job; job = job->next)
        bgcopy__notify_owed(job);
    return BGCOPY_S_OK;
}
