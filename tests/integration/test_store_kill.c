/* test_store_kill.c - crash safety of the job store (core/store.c): SIGKILL at random instants
 * of a real download, and during Complete, then reopen; nothing may be lost, duplicated or
 * presented as complete too early.
 *
 * The process killed is store_kill_child (its header describes its modes and the lines it
 * prints); it opens a real-mode manager on an explicit state directory with small checkpoints
 * (256 KiB / 100 ms) and downloads from bgcopy-testserver (--root with files of random bytes),
 * started by each test on 127.0.0.1 and stopped by pid in the teardown.
 *
 * test_kill_loop_download: 6 files of 1 MiB served at 1 MiB/s (the whole job takes about 6 s
 * undisturbed). The child is started again and again and killed with SIGKILL: the first 8 runs
 * right after (0-300 us) a step it reported (manager open, EnumJobs, CreateJob, AddFileSet,
 * Resume: the kill lands in the next step), the later ones 20-600 ms after it was spawned; at
 * least 20 kills, and on until a kill came after the job was TRANSFERRED (at most 150). Choices
 * come from a PRNG whose seed is printed (BGCOPY_KILL_SEED=<n> repeats them; the timing does
 * not repeat exactly). At every start the child reports the jobs it finds, and the test asserts:
 * at most one job ever (no duplicate); once a job's creation is known (the child printed its
 * GUID, or found it) the same job is found at every later start (never lost); it has 0 or 6
 * files (AddFileSet is all or nothing, and a checkpoint must not drop files); its bytes
 * transferred never go down between starts (a checkpoint is never lost); a job once TRANSFERRED
 * stays so, with every byte. Between kills no local file exists (nothing partial presented as
 * complete) and the download directory holds only BIT*.tmp files, at most 6. A last run
 * Completes the job; then every file is byte-identical to its source, no BIT*.tmp is left, and a
 * manager opened here on the state directory opens cleanly and finds no job. Printed: where the
 * kills landed, and from the testserver's request log the body bytes sent in total, hence the
 * bytes fetched again because of the kills.
 *
 * test_kill_during_complete: 50 small files (1-64 KiB). Round 0 runs to the end undisturbed
 * (and times Complete and the open). In each of 16 more rounds (fresh directories) the child
 * transfers the job and calls Complete, and is killed right after the k-th file appeared under
 * its local name (Complete renames in add order; k spread over 0..50 across the rounds, 0
 * meaning as soon as it announced Complete), plus 0-200 us; in every other round the next open
 * (which finishes the interrupted Complete) is killed too, at a random instant. After every kill
 * each local file that exists is byte-identical to its source; after a final verify run (which
 * Completes a job still TRANSFERRED) all 50 are, no BIT*.tmp is left and the store holds no job.
 * The number of files renamed at each kill is printed.
 *
 * Environment (tests/integration/CMakeLists.txt): BGCOPY_TESTSERVER, BGCOPY_STORE_KILL_CHILD;
 * without them the tests are skipped. The run's files are removed when every test passed.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bgcopy.h"
#include "testhttp.h"

#define assert_hr(expected, actual) assert_int_equal((uint32_t)(expected), (uint32_t)(actual))

/* The kill loop. */
#define LOOP_FILES      6
#define LOOP_FILE_SIZE  (1024 * 1024)
#define LOOP_RATE       "1048576" /* bytes per second, per response */
#define MIN_KILLS       20
#define MAX_KILLS       150
#define EARLY_RUNS      8   /* runs killed right after a step of the child's set-up */
#define EARLY_JITTER_US 300 /* ... at most this long after it */
#define KILL_MIN_MS     20
#define KILL_MAX_MS     600

/* Kills during Complete. */
#define COMPLETE_FILES   50
#define COMPLETE_ROUNDS  16
#define RENAME_JITTER_US 200

/* Any single wait; only matters when something hangs. */
#define WAIT_SECONDS 60

extern char **environ;

static const char *testserver_path, *child_path;
static char run_dir[512];
static uint64_t prng_state;

/* ---- small helpers ------------------------------------------------------------------------- */

/* splitmix64: the test's only source of randomness, seeded once (the seed is printed). */
static uint64_t rnd(void)
{
    uint64_t z = (prng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static uint64_t rnd_between(uint64_t lo, uint64_t hi)
{
    return lo + rnd() % (hi - lo + 1);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void make_dir(const char *path)
{
    if (mkdir(path, 0700) != 0)
        fail_msg("mkdir %s: %s", path, strerror(errno));
}

/* Writes size random bytes to path. */
static void write_random_file(const char *path, size_t size)
{
    unsigned char buf[4096];
    FILE *f = fopen(path, "wb");
    size_t at = 0;

    if (f == NULL)
        fail_msg("cannot create %s", path);
    while (at < size) {
        size_t n = size - at < sizeof(buf) ? size - at : sizeof(buf), i;
        for (i = 0; i < n; i += 8) {
            uint64_t r = rnd();
            memcpy(buf + i, &r, n - i < 8 ? n - i : 8);
        }
        assert_int_equal(n, fwrite(buf, 1, n, f));
        at += n;
    }
    assert_int_equal(0, fclose(f));
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Fails the test unless a and b have the same bytes (what names what a is). */
static void assert_same_file(const char *a, const char *b, const char *what)
{
    static unsigned char ba[1 << 16], bb[1 << 16];
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    uint64_t at = 0;

    if (fa == NULL || fb == NULL)
        fail_msg("%s: cannot open %s or %s", what, a, b);
    for (;;) {
        size_t na = fread(ba, 1, sizeof(ba), fa), nb = fread(bb, 1, sizeof(bb), fb), i;
        size_t n = na < nb ? na : nb;
        for (i = 0; i < n; i++)
            if (ba[i] != bb[i]) {
                fclose(fa);
                fclose(fb);
                fail_msg("%s: %s differs from its source at byte %llu", what, a,
                         (unsigned long long)(at + i));
            }
        if (na != nb) {
            fclose(fa);
            fclose(fb);
            fail_msg("%s: %s is %s than its source (%llu bytes in common)", what, a,
                     na < nb ? "shorter" : "longer", (unsigned long long)(at + n));
        }
        if (na == 0)
            break;
        at += na;
    }
    fclose(fa);
    fclose(fb);
}

/* Entries of dir: *temps receives how many are BIT*.tmp names. Returns the total count. */
static int count_entries(const char *dir, int *temps)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    *temps = 0;
    if (d == NULL)
        fail_msg("opendir %s: %s", dir, strerror(errno));
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        n++;
        if (len > 7 && strncmp(de->d_name, "BIT", 3) == 0 &&
            strcmp(de->d_name + len - 4, ".tmp") == 0)
            (*temps)++;
    }
    closedir(d);
    return n;
}

/* ---- processes ----------------------------------------------------------------------------- */

static void stop_process(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGTERM);
        while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
            ;
        *pid = -1;
    }
}

/* Spawns argv with stdout to a new pipe (*out_fd: its read end) and stderr appended to
 * err_path. Returns the pid, or -1. */
static pid_t spawn_piped(char *const argv[], const char *err_path, int *out_fd)
{
    posix_spawn_file_actions_t fa;
    pid_t pid = -1;
    int fds[2], rc;

    *out_fd = -1;
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return -1;
    }
    *out_fd = fds[0];
    return pid;
}

/* ---- the fixture -------------------------------------------------------------------------- */

static struct fixture {
    char dir[600]; /* this test's directory */
    char www[700]; /* the served files */
    pid_t server;
    int port;
} fx;

/* Starts bgcopy-testserver on fx.www with the extra arguments (NULL-terminated, at most 4);
 * returns 0, or -1. */
static int start_testserver(const char *a1, const char *a2)
{
    char err[700], line[128];
    char *argv[] = {
        (char *)testserver_path, "--port", "0", "--root", fx.www, (char *)a1, (char *)a2, NULL};
    size_t len = 0;
    double deadline = now_s() + 10;
    struct pollfd p;
    int fd;
    const char *colon;

    snprintf(err, sizeof(err), "%s/server.err", fx.dir);
    fx.server = spawn_piped(argv, err, &fd);
    if (fx.server < 0)
        return -1;
    p.fd = fd;
    p.events = POLLIN;
    while (len + 1 < sizeof(line) && memchr(line, '\n', len) == NULL) {
        ssize_t n;
        int left = (int)((deadline - now_s()) * 1000);
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        n = read(fd, line + len, sizeof(line) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd); /* nothing else is written to stdout */
    line[len] = '\0';
    colon = strrchr(line, ':');
    if (strncmp(line, "listening 127.0.0.1:", 20) != 0 || colon == NULL ||
        (fx.port = atoi(colon + 1)) <= 0) {
        stop_process(&fx.server);
        return -1;
    }
    return 0;
}

static int setup(void **state)
{
    static int counter;

    fx.server = -1;
    fx.port = 0;
    snprintf(fx.dir, sizeof(fx.dir), "%s/t%02d", run_dir, ++counter);
    snprintf(fx.www, sizeof(fx.www), "%s/www", fx.dir);
    if (mkdir(fx.dir, 0700) != 0 || mkdir(fx.www, 0700) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    stop_process(&fx.server);
    return 0;
}

static void need_programs(void)
{
    if (testserver_path == NULL || child_path == NULL) {
        print_message("BGCOPY_TESTSERVER or BGCOPY_STORE_KILL_CHILD not set: test skipped\n");
        skip();
    }
}

/* ---- the testserver's request log ------------------------------------------------------------ */

static char *http_get(const char *target)
{
    int status = 0;
    char *body = th_call(fx.port, "GET", target, NULL, &status);
    assert_int_equal(200, status);
    return body;
}

struct traffic {
    int heads, gets;
    uint64_t get_bytes; /* body bytes the server wrote for GETs */
};

/* Sums the request log (one JSON object per line; the fields are written in a fixed order). */
static struct traffic server_traffic(void)
{
    struct traffic t = {0, 0, 0};
    char *log = http_get("/_log"), *line, *save = NULL;

    for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *b = strstr(line, "\"bytes\":");
        if (strstr(line, "\"method\":\"HEAD\"")) {
            t.heads++;
        } else if (strstr(line, "\"method\":\"GET\"")) {
            assert_non_null(b);
            t.gets++;
            t.get_bytes += strtoull(b + 8, NULL, 10);
        }
    }
    free(log);
    return t;
}

/* ---- one run of the child -------------------------------------------------------------------- */

struct child {
    pid_t pid;
    int fd;
    double spawned; /* now_s() at spawn */
    char buf[16384];
    size_t len, parsed;
    int eof, killed, status;
    /* what it printed */
    int opened, have_start, created, added, resumed, transferred, completing, completed, have_end;
    unsigned start_count, start_files, end_count;
    unsigned long long start_bytes;
    char start_id[64], start_state[32], created_id[64];
    unsigned completed_hr;
    double completed_us, opened_at, completing_at;
    char error[512];
};

static void child_parse_line(struct child *c, const char *l)
{
    if (strcmp(l, "opened") == 0) {
        c->opened = 1;
        c->opened_at = now_s();
    } else if (strncmp(l, "start count=", 12) == 0) {
        const char *p;
        c->have_start = 1;
        c->start_count = (unsigned)strtoul(l + 12, NULL, 10);
        if ((p = strstr(l, " id=")) != NULL)
            sscanf(p, " id=%63s state=%31s files=%u bytes=%llu", c->start_id, c->start_state,
                   &c->start_files, &c->start_bytes);
    } else if (strncmp(l, "created id=", 11) == 0) {
        c->created = 1;
        snprintf(c->created_id, sizeof(c->created_id), "%s", l + 11);
    } else if (strcmp(l, "added") == 0) {
        c->added = 1;
    } else if (strcmp(l, "resumed") == 0) {
        c->resumed = 1;
    } else if (strcmp(l, "transferred") == 0) {
        c->transferred = 1;
    } else if (strcmp(l, "completing") == 0) {
        c->completing = 1;
        c->completing_at = now_s();
    } else if (strncmp(l, "completed hr=", 13) == 0) {
        c->completed = 1;
        sscanf(l, "completed hr=0x%x us=%lf", &c->completed_hr, &c->completed_us);
    } else if (strncmp(l, "end count=", 10) == 0) {
        c->have_end = 1;
        c->end_count = (unsigned)strtoul(l + 10, NULL, 10);
    } else if (strncmp(l, "error ", 6) == 0) {
        snprintf(c->error, sizeof(c->error), "%s", l + 6);
    } else {
        snprintf(c->error, sizeof(c->error), "unexpected line: %s", l);
    }
}

/* Reads what the child wrote until `deadline` (now_s() time), until *flag is set (flag may be
 * NULL), or until end of file. */
static void child_pump(struct child *c, double deadline, const int *flag)
{
    struct pollfd p;

    p.fd = c->fd;
    p.events = POLLIN;
    while (!c->eof && !(flag && *flag)) {
        double left = deadline - now_s();
        int r;
        ssize_t n;
        if (left <= 0)
            return;
        r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue; /* timed out: re-check the deadline */
        if (c->len + 1 >= sizeof(c->buf))
            fail_msg("the child wrote more than %zu bytes", sizeof(c->buf));
        n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            c->eof = 1;
            break;
        }
        c->len += (size_t)n;
        c->buf[c->len] = '\0';
        for (;;) {
            char *nl = strchr(c->buf + c->parsed, '\n');
            if (nl == NULL)
                break;
            *nl = '\0';
            child_parse_line(c, c->buf + c->parsed);
            c->parsed = (size_t)(nl + 1 - c->buf);
        }
    }
}

static void child_start(struct child *c, const char *mode, const char *state_dir,
                        const char *dl_dir, int nfiles)
{
    char base[64], n[16], err[700];
    char *argv[] = {
        (char *)child_path, (char *)mode, (char *)state_dir, (char *)dl_dir, base, n, NULL};

    memset(c, 0, sizeof(*c));
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", fx.port);
    snprintf(n, sizeof(n), "%d", nfiles);
    snprintf(err, sizeof(err), "%s/child.err", fx.dir);
    c->spawned = now_s();
    c->pid = spawn_piped(argv, err, &c->fd);
    if (c->pid < 0)
        fail_msg("cannot start %s", child_path);
}

/* Collects the rest of the output and the exit status (the child has exited or was killed). */
static void child_reap(struct child *c)
{
    child_pump(c, now_s() + WAIT_SECONDS, NULL);
    if (!c->eof)
        fail_msg("the child's output did not end");
    close(c->fd);
    c->fd = -1;
    while (waitpid(c->pid, &c->status, 0) < 0)
        if (errno != EINTR)
            fail_msg("waitpid: %s", strerror(errno));
    c->pid = -1;
}

/* SIGKILL now (unless it already exited), then reap. Returns 1 when the kill landed. */
static int child_kill(struct child *c)
{
    int st;
    pid_t r = waitpid(c->pid, &st, WNOHANG);

    if (r == 0) {
        kill(c->pid, SIGKILL);
        c->killed = 1;
    }
    if (r == c->pid) {
        c->status = st;
        c->pid = -1;
        child_pump(c, now_s() + WAIT_SECONDS, NULL);
        close(c->fd);
        c->fd = -1;
        return 0;
    }
    child_reap(c);
    return c->killed && WIFSIGNALED(c->status) && WTERMSIG(c->status) == SIGKILL;
}

/* Waits for the child to exit by itself and checks it succeeded. */
static void child_finish(struct child *c, const char *what)
{
    child_pump(c, now_s() + WAIT_SECONDS, NULL);
    if (!c->eof) {
        kill(c->pid, SIGKILL);
        child_reap(c);
        fail_msg("%s: the child did not finish in %d s", what, WAIT_SECONDS);
    }
    child_reap(c);
    if (c->error[0])
        fail_msg("%s: the child reported: %s", what, c->error);
    if (!WIFEXITED(c->status) || WEXITSTATUS(c->status) != 0)
        fail_msg("%s: the child exited with status 0x%x", what, (unsigned)c->status);
}

/* A manager opened here on state_dir (after the children are gone) finds no job. */
static void assert_store_empty(const char *state_dir)
{
    bgcopy_manager_options o = BGCOPY_MANAGER_OPTIONS_INIT;
    bgcopy_manager *mgr = NULL;
    bgcopy_job_enum *en = NULL;
    uint32_t count = 99;
    bgcopy_hr hr;

    o.state_dir = state_dir;
    hr = bgcopy_manager_open(&o, &mgr);
    if (hr != BGCOPY_S_OK)
        fail_msg("reopening %s: 0x%08X %s", state_dir, (unsigned)hr, bgcopy_manager_open_detail());
    assert_hr(BGCOPY_S_OK, bgcopy_manager_enum_jobs(mgr, 0, &en));
    assert_hr(BGCOPY_S_OK, bgcopy_job_enum_get_count(en, &count));
    assert_int_equal(0, count);
    bgcopy_job_enum_release(en);
    bgcopy_manager_close(mgr);
}

/* ---- test 1: kills during a multi-file download ---------------------------------------------- */

/* Where a kill landed: the last step the child reported. */
enum { PH_OPEN, PH_CREATE, PH_ADD, PH_RESUME, PH_TRANSFER, PH_DONE, PH_COUNT };

static void test_kill_loop_download(void **state)
{
    char state_dir[700], dl[700], src[800], dst[800];
    char known_id[64] = "";
    unsigned long long last_bytes = 0, total = (unsigned long long)LOOP_FILES * LOOP_FILE_SIZE;
    int kills = 0, runs = 0, transferred = 0, killed_after_transferred = 0, i;
    int phase[PH_COUNT] = {0}, k_early = 0, job_files = 0, temps, entries;
    double t0 = now_s();
    struct traffic tr;
    struct child c;

    need_programs();
    for (i = 0; i < LOOP_FILES; i++) {
        snprintf(src, sizeof(src), "%s/f%d.bin", fx.www, i);
        write_random_file(src, LOOP_FILE_SIZE);
    }
    if (start_testserver("--rate", LOOP_RATE) != 0)
        fail_msg("bgcopy-testserver did not start");
    snprintf(state_dir, sizeof(state_dir), "%s/state", fx.dir);
    snprintf(dl, sizeof(dl), "%s/dl", fx.dir);
    make_dir(dl);

    while (kills < MAX_KILLS && (kills < MIN_KILLS || !killed_after_transferred)) {
        int early = runs < EARLY_RUNS, saw_transferred;
        runs++;
        child_start(&c, "run", state_dir, dl, LOOP_FILES);
        if (early) {
            /* Right after a step the child reported (plus up to EARLY_JITTER_US): inside the
             * next one, which can be EnumJobs, CreateJob, AddFileSet, Resume or the first
             * requests. Only steps this run will take are chosen. */
            const int *steps[5];
            int n = 0;
            steps[n++] = &c.opened;
            steps[n++] = &c.have_start;
            if (!known_id[0])
                steps[n++] = &c.created;
            if (job_files == 0)
                steps[n++] = &c.added;
            steps[n++] = &c.resumed;
            /* (A step done by a run killed before it could say so is not taken again: the
             * wait for it ends after 5 s.) */
            child_pump(&c, now_s() + 5, steps[rnd_between(0, (uint64_t)n - 1)]);
            child_pump(&c, now_s() + (double)rnd_between(0, EARLY_JITTER_US) / 1e6, NULL);
        } else {
            child_pump(&c, c.spawned + (double)rnd_between(KILL_MIN_MS, KILL_MAX_MS) / 1e3, NULL);
        }
        saw_transferred = transferred;
        if (!child_kill(&c))
            fail_msg("run %d: the child exited before the kill (status 0x%x): %s", runs,
                     (unsigned)c.status, c.error[0] ? c.error : "no error line");
        kills++;
        if (c.error[0])
            fail_msg("run %d: the child reported: %s", runs, c.error);

        /* What this run found at its start. */
        if (c.have_start) {
            if (c.start_count > 1)
                fail_msg("run %d: %u jobs in the store (a duplicate)", runs, c.start_count);
            if (known_id[0] && c.start_count != 1)
                fail_msg("run %d: job %s was lost", runs, known_id);
            if (c.start_count == 1) {
                if (known_id[0] && strcmp(known_id, c.start_id) != 0)
                    fail_msg("run %d: found job %s instead of %s", runs, c.start_id, known_id);
                if (!known_id[0]) /* created before a kill, before it could say so */
                    snprintf(known_id, sizeof(known_id), "%s", c.start_id);
                if (c.start_files != 0 && c.start_files != LOOP_FILES)
                    fail_msg("run %d: the job has %u files (AddFileSet is all or nothing)", runs,
                             c.start_files);
                if (c.start_bytes < last_bytes)
                    fail_msg("run %d: %llu bytes transferred at open, %llu at the previous one",
                             runs, c.start_bytes, last_bytes);
                last_bytes = c.start_bytes;
                if (saw_transferred && strcmp(c.start_state, "TRANSFERRED") != 0)
                    fail_msg("run %d: the job was TRANSFERRED, now %s", runs, c.start_state);
                if (strcmp(c.start_state, "TRANSFERRED") == 0) {
                    transferred = 1;
                    if (c.start_bytes != total)
                        fail_msg("run %d: TRANSFERRED with %llu of %llu bytes", runs, c.start_bytes,
                                 total);
                }
            }
        }
        if (c.created) {
            if (known_id[0])
                fail_msg("run %d: created %s while %s exists", runs, c.created_id, known_id);
            snprintf(known_id, sizeof(known_id), "%s", c.created_id);
        }
        if (c.added || (c.have_start && c.start_files == LOOP_FILES))
            job_files = LOOP_FILES;
        /* Where the kill landed, as far as the output tells. */
        if (early)
            k_early++;
        if (c.transferred || (c.have_start && strcmp(c.start_state, "TRANSFERRED") == 0))
            phase[PH_DONE]++;
        else if (c.resumed)
            phase[PH_TRANSFER]++;
        else if (c.added || (c.have_start && c.start_files == LOOP_FILES))
            phase[PH_RESUME]++;
        else if (c.created || (c.have_start && c.start_count == 1))
            phase[PH_ADD]++;
        else if (c.have_start)
            phase[PH_CREATE]++;
        else
            phase[PH_OPEN]++;
        if (c.transferred)
            transferred = 1;
        if (transferred) /* reached before this run, at its start, or during it */
            killed_after_transferred = 1;

        /* Nothing is presented as complete before Complete. */
        for (i = 0; i < LOOP_FILES; i++) {
            snprintf(dst, sizeof(dst), "%s/f%d.bin", dl, i);
            if (exists(dst))
                fail_msg("after kill %d: %s exists before Complete", kills, dst);
        }
        entries = count_entries(dl, &temps);
        if (entries != temps || temps > LOOP_FILES)
            fail_msg("after kill %d: %d entries, %d BIT*.tmp files in %s", kills, entries, temps,
                     dl);
    }
    if (!known_id[0])
        fail_msg("no job was ever created in %d runs", runs);

    /* The last run: to the end, then Complete. */
    child_start(&c, "final", state_dir, dl, LOOP_FILES);
    child_finish(&c, "the final run");
    runs++;
    assert_true(c.have_start);
    assert_int_equal(1, c.start_count);
    assert_string_equal(known_id, c.start_id);
    if (c.start_bytes < last_bytes)
        fail_msg("final run: %llu bytes transferred at open, %llu before", c.start_bytes,
                 last_bytes);
    assert_false(c.created);
    assert_true(c.completed);
    assert_hr(BGCOPY_S_OK, c.completed_hr);
    assert_true(c.have_end);
    assert_int_equal(0, c.end_count);

    for (i = 0; i < LOOP_FILES; i++) {
        snprintf(src, sizeof(src), "%s/f%d.bin", fx.www, i);
        snprintf(dst, sizeof(dst), "%s/f%d.bin", dl, i);
        assert_same_file(dst, src, "after Complete");
    }
    entries = count_entries(dl, &temps);
    assert_int_equal(0, temps);
    assert_int_equal(LOOP_FILES, entries);
    assert_store_empty(state_dir);

    tr = server_traffic();
    print_message("kill loop: %d kills in %d runs (%d aimed at the set-up steps), %.1f s; job %s\n",
                  kills, runs, k_early, now_s() - t0, known_id);
    print_message("kill loop: kills in open/load %d, before CreateJob returned %d, between "
                  "CreateJob and AddFileSet %d, before Resume %d, transferring %d, after "
                  "TRANSFERRED %d\n",
                  phase[PH_OPEN], phase[PH_CREATE], phase[PH_ADD], phase[PH_RESUME],
                  phase[PH_TRANSFER], phase[PH_DONE]);
    print_message("kill loop: %d HEAD, %d GET; %llu body bytes sent for %llu bytes of files: "
                  "%llu re-fetched (%.1f %%, %.0f bytes per kill)\n",
                  tr.heads, tr.gets, (unsigned long long)tr.get_bytes, total,
                  (unsigned long long)(tr.get_bytes - total),
                  100.0 * (double)(tr.get_bytes - total) / (double)total,
                  (double)(tr.get_bytes - total) / kills);
    assert_true(tr.get_bytes >= total);
}

/* ---- test 2: kills during Complete ----------------------------------------------------------- */

/* How many of the job's local files exist; each one that does must be whole. */
static int check_local_files(const char *dl, const char *what)
{
    char src[800], dst[800];
    int i, n = 0;

    for (i = 0; i < COMPLETE_FILES; i++) {
        snprintf(src, sizeof(src), "%s/f%d.bin", fx.www, i);
        snprintf(dst, sizeof(dst), "%s/f%d.bin", dl, i);
        if (exists(dst)) {
            assert_same_file(dst, src, what);
            n++;
        }
    }
    return n;
}

/* Polls (every 20 us) until path exists or the child has exited. */
static void wait_for_file(struct child *c, const char *path)
{
    struct timespec pause = {0, 20 * 1000};
    double deadline = now_s() + WAIT_SECONDS;
    int st;

    while (!exists(path)) {
        pid_t r = waitpid(c->pid, &st, WNOHANG);
        if (r == c->pid) {
            c->status = st;
            c->pid = -1;
            child_pump(c, now_s() + WAIT_SECONDS, NULL);
            fail_msg("the child exited during Complete (status 0x%x): %s", (unsigned)st,
                     c->error[0] ? c->error : "no error line");
        }
        if (now_s() > deadline)
            fail_msg("%s did not appear in %d s", path, WAIT_SECONDS);
        nanosleep(&pause, NULL);
    }
}

/* Runs the verify child to its end on the round's directories; checks everything is done. */
static void finish_round(const char *state_dir, const char *dl, int round, int *relisted)
{
    struct child c;
    int temps, entries;
    char what[64];

    snprintf(what, sizeof(what), "round %d, verify", round);
    child_start(&c, "verify", state_dir, dl, COMPLETE_FILES);
    child_finish(&c, what);
    assert_true(c.have_start);
    if (c.start_count == 1) {
        /* Killed before Complete's first write: the job is still TRANSFERRED. */
        assert_string_equal("TRANSFERRED", c.start_state);
        assert_true(c.completed);
        assert_hr(BGCOPY_S_OK, c.completed_hr);
        (*relisted)++;
    } else {
        assert_int_equal(0, c.start_count);
    }
    assert_true(c.have_end);
    assert_int_equal(0, c.end_count);
    assert_int_equal(COMPLETE_FILES, check_local_files(dl, what));
    entries = count_entries(dl, &temps);
    assert_int_equal(0, temps);
    assert_int_equal(COMPLETE_FILES, entries);
    assert_store_empty(state_dir);
}

static void test_kill_during_complete(void **state)
{
    char src[800], state_dir[700], dl[700], what[64];
    char hist[COMPLETE_ROUNDS * 8 + 1] = "";
    double complete_s, open_s, t0 = now_s();
    int i, round, relisted = 0, open_kills = 0, landed = 0, missed = 0;
    struct child c;

    need_programs();
    for (i = 0; i < COMPLETE_FILES; i++) {
        snprintf(src, sizeof(src), "%s/f%d.bin", fx.www, i);
        write_random_file(src, (size_t)rnd_between(1, 64 * 1024));
    }
    if (start_testserver(NULL, NULL) != 0)
        fail_msg("bgcopy-testserver did not start");

    /* Round 0: how long Complete and an open take here. */
    snprintf(state_dir, sizeof(state_dir), "%s/state0", fx.dir);
    snprintf(dl, sizeof(dl), "%s/dl0", fx.dir);
    make_dir(dl);
    child_start(&c, "final", state_dir, dl, COMPLETE_FILES);
    child_finish(&c, "round 0");
    assert_true(c.completed);
    assert_hr(BGCOPY_S_OK, c.completed_hr);
    complete_s = c.completed_us / 1e6;
    open_s = c.opened_at - c.spawned;
    assert_int_equal(COMPLETE_FILES, check_local_files(dl, "round 0"));
    assert_store_empty(state_dir);

    for (round = 1; round <= COMPLETE_ROUNDS; round++) {
        char last[800];
        int renamed, target;
        snprintf(state_dir, sizeof(state_dir), "%s/state%d", fx.dir, round);
        snprintf(dl, sizeof(dl), "%s/dl%d", fx.dir, round);
        make_dir(dl);
        child_start(&c, "final", state_dir, dl, COMPLETE_FILES);
        child_pump(&c, now_s() + WAIT_SECONDS, &c.completing);
        if (!c.completing)
            fail_msg("round %d: the child did not reach Complete: %s", round,
                     c.error[0] ? c.error : "no error line");
        /* Aim: right after the target-th rename (targets spread over 0..COMPLETE_FILES by
         * round), then up to RENAME_JITTER_US more. Complete renames in add order. */
        target = (int)(((round - 1) * (COMPLETE_FILES + 1)) / COMPLETE_ROUNDS);
        target += (int)rnd_between(
            0, (uint64_t)((round * (COMPLETE_FILES + 1)) / COMPLETE_ROUNDS - target - 1));
        if (target > 0) {
            snprintf(last, sizeof(last), "%s/f%d.bin", dl, target - 1);
            wait_for_file(&c, last);
        }
        child_pump(&c, now_s() + (double)rnd_between(0, RENAME_JITTER_US) / 1e6, NULL);
        if (child_kill(&c) && !c.completed)
            landed++;
        else
            missed++; /* Complete had returned */
        snprintf(what, sizeof(what), "round %d, killed in Complete", round);
        renamed = check_local_files(dl, what);
        snprintf(hist + strlen(hist), sizeof(hist) - strlen(hist), "%s%d", round > 1 ? " " : "",
                 renamed);

        if (round % 2 == 0) {
            /* Kill the open that finishes the interrupted Complete, too. */
            child_start(&c, "verify", state_dir, dl, COMPLETE_FILES);
            child_pump(&c, c.spawned + open_s * 1.5 * (double)rnd_between(0, 1000) / 1000, NULL);
            if (child_kill(&c))
                open_kills++;
            else if (c.error[0] || !WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0)
                fail_msg("round %d: the verify run failed: %s", round, c.error);
            snprintf(what, sizeof(what), "round %d, killed at reopen", round);
            (void)check_local_files(dl, what);
        }
        finish_round(state_dir, dl, round, &relisted);
    }
    print_message("kills in Complete: %d rounds of %d files, Complete takes %.1f ms undisturbed, "
                  "open %.1f ms; %d kills inside Complete, %d after it returned, %d kills of "
                  "the next open; job still listed (TRANSFERRED) at reopen %d times; %.1f s\n",
                  COMPLETE_ROUNDS, COMPLETE_FILES, complete_s * 1e3, open_s * 1e3, landed, missed,
                  open_kills, relisted, now_s() - t0);
    print_message("kills in Complete: files renamed at each kill: %s\n", hist);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill_loop_download, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_during_complete, setup, teardown),
    };
    char cwd[400], cmd[600];
    const char *seed_text = getenv("BGCOPY_KILL_SEED");
    uint64_t seed;
    int rc;

    signal(SIGPIPE, SIG_IGN);
    testserver_path = getenv("BGCOPY_TESTSERVER");
    child_path = getenv("BGCOPY_STORE_KILL_CHILD");
    seed = seed_text ? strtoull(seed_text, NULL, 10)
                     : (uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid();
    prng_state = seed;
    printf("store kill test: seed %llu (BGCOPY_KILL_SEED=%llu repeats the choices)\n",
           (unsigned long long)seed, (unsigned long long)seed);
    fflush(stdout);
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return 1;
    snprintf(run_dir, sizeof(run_dir), "%s/store-kill-XXXXXX", cwd);
    if (mkdtemp(run_dir) == NULL)
        return 1;
    if (getenv("BGCOPY_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("BGCOPY_TEST_FILTER"));
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (rc == 0) { /* keep the files of a failed run for a look */
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run_dir);
        if (system(cmd) != 0)
            rc = 1;
    }
    return rc;
}
