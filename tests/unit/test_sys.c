/* tests/unit/test_sys.c - pins the behaviour of the platform seam (core/sys.h).
 *
 * Runs against the real operating system in a fresh directory ./sys-XXXXXX created under the
 * current working directory and removed afterwards. Error paths are checked against the exact
 * HRESULT values Windows reports, since the engine records them as job errors unchanged.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"

/* Compare as unsigned 32-bit so failures print the familiar hex value. */
#define assert_hr_equal(a, b) assert_int_equal((uint32_t)(a), (uint32_t)(b))

#define GIB ((uint64_t)1 << 30)

static char tmpdir[64];

/* tmpdir/name in buf (buf holds at least 256 bytes). */
static char *tpath(char *buf, const char *name)
{
    snprintf(buf, 256, "%.63s/%.160s", tmpdir, name);
    return buf;
}

static int group_setup(void **state)
{
    strcpy(tmpdir, "./sys-XXXXXX");
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

/* The directory is flat, apart from empty subdirectories. */
static int group_teardown(void **state)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char p[256];

    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            remove(tpath(p, e->d_name));
        }
    }
    closedir(d);
    return rmdir(tmpdir);
}

/* Creates tmpdir/name holding len bytes of data; returns an fd open read-write. */
static int make_file(const char *name, const void *data, size_t len)
{
    char p[256];
    int fd = -1;

    assert_hr_equal(bgcopy__fs_create_excl(tpath(p, name), &fd), BGCOPY_S_OK);
    assert_true(fd >= 0);
    if (len > 0) {
        assert_hr_equal(bgcopy__fs_pwrite(fd, data, len, 0), BGCOPY_S_OK);
    }
    return fd;
}

static uint64_t file_size(const char *name)
{
    char p[256];
    bgcopy__stat st;

    assert_hr_equal(bgcopy__fs_stat(tpath(p, name), &st), BGCOPY_S_OK);
    assert_int_equal(st.exists, 1);
    return st.size;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- time ------------------------------------------------------------------ */

static void test_mono_clock(void **state)
{
    int64_t start = bgcopy__sys_mono_us(), prev = start, now;
    int i;

    for (i = 0; i < 100000; i++) {
        now = bgcopy__sys_mono_us();
        assert_true(now >= prev);
        prev = now;
    }
    sleep_us(10000);
    now = bgcopy__sys_mono_us();
    assert_true(now - start >= 10000);
    assert_true(now - start < 10 * 1000000);
}

static void test_wall_clock(void **state)
{
    int64_t now = bgcopy__sys_wall_us();
    int64_t t = (int64_t)time(NULL);

    assert_true(now > (int64_t)1577836800 * 1000000); /* 2020-01-01 */
    assert_true(now < (int64_t)4102444800 * 1000000); /* 2100-01-01 */
    assert_true(now / 1000000 >= t - 5 && now / 1000000 <= t + 5);
}

/* ---- files ------------------------------------------------------------------ */

static void test_create_excl_twice(void **state)
{
    char p[256];
    int fd = make_file("excl", NULL, 0), fd2 = -1;

    assert_hr_equal(bgcopy__fs_create_excl(tpath(p, "excl"), &fd2), 0x80070050u);
    bgcopy__fs_close(fd);
    assert_int_equal(file_size("excl"), 0);
}

/* In a directory that does not exist: ERROR_PATH_NOT_FOUND, as CreateFile says, not ENOENT's
 * ERROR_FILE_NOT_FOUND. */
static void test_create_excl_missing_directory(void **state)
{
    char p[256];
    int fd = -1;

    assert_hr_equal(bgcopy__fs_create_excl(tpath(p, "no-such-dir/f"), &fd), 0x80070003u);
    assert_int_equal(fd, -1);
}

static void test_open(void **state)
{
    char p[256];
    int fd = -1;
    size_t got = 0;
    char c;

    assert_hr_equal(bgcopy__fs_open(tpath(p, "missing"), 0, &fd), 0x80070002u);
    assert_hr_equal(bgcopy__fs_open(tpath(p, "missing/x"), 1, &fd), 0x80070002u);
    /* A directory is not a file, read-only or not. */
    assert_hr_equal(bgcopy__fs_open(tmpdir, 0, &fd), 0x80070005u);
    assert_hr_equal(bgcopy__fs_open(tmpdir, 1, &fd), 0x80070005u);

    fd = make_file("open", "xyz", 3);
    bgcopy__fs_close(fd);
    fd = -1;
    assert_hr_equal(bgcopy__fs_open(tpath(p, "open"), 0, &fd), BGCOPY_S_OK);
    assert_true(fd >= 0);
    assert_hr_equal(bgcopy__fs_pread(fd, &c, 1, 2, &got), BGCOPY_S_OK);
    assert_int_equal(got, 1);
    assert_int_equal(c, 'z');
    /* Writing through a read-only descriptor: EBADF -> ERROR_GEN_FAILURE. */
    assert_hr_equal(bgcopy__fs_pwrite(fd, "a", 1, 0), 0x8007001Fu);
    bgcopy__fs_close(fd);
    /* A path below a regular file: ENOTDIR. */
    assert_hr_equal(bgcopy__fs_open(tpath(p, "open/x"), 0, &fd), 0x80070003u);
}

static void test_pwrite_pread(void **state)
{
    static const char hello[] = "hello, world";
    char buf[64];
    size_t got = 99;
    int fd = make_file("rw", hello, 12);

    assert_hr_equal(bgcopy__fs_pwrite(fd, hello, 5, 5000), BGCOPY_S_OK);
    assert_int_equal(file_size("rw"), 5005);

    memset(buf, 'x', sizeof(buf));
    assert_hr_equal(bgcopy__fs_pread(fd, buf, 12, 0, &got), BGCOPY_S_OK);
    assert_int_equal(got, 12);
    assert_memory_equal(buf, hello, 12);
    /* The gap reads as zeros. */
    assert_hr_equal(bgcopy__fs_pread(fd, buf, 4, 12, &got), BGCOPY_S_OK);
    assert_int_equal(got, 4);
    assert_memory_equal(buf, "\0\0\0\0", 4);
    /* A read across the end is short, one at the end gives 0. */
    assert_hr_equal(bgcopy__fs_pread(fd, buf, sizeof(buf), 5000, &got), BGCOPY_S_OK);
    assert_int_equal(got, 5);
    assert_memory_equal(buf, "hello", 5);
    got = 99;
    assert_hr_equal(bgcopy__fs_pread(fd, buf, sizeof(buf), 5005, &got), BGCOPY_S_OK);
    assert_int_equal(got, 0);
    assert_hr_equal(bgcopy__fs_pread(fd, buf, sizeof(buf), 1u << 20, &got), BGCOPY_S_OK);
    assert_int_equal(got, 0);

    assert_hr_equal(bgcopy__fs_fsync(fd), BGCOPY_S_OK);
    assert_hr_equal(bgcopy__fs_truncate(fd, 5), BGCOPY_S_OK);
    assert_int_equal(file_size("rw"), 5);
    bgcopy__fs_close(fd);
}

static void read_byte_at(int fd, uint64_t offset, unsigned char expect)
{
    unsigned char c = 0xAA;
    size_t got = 0;

    assert_hr_equal(bgcopy__fs_pread(fd, &c, 1, offset, &got), BGCOPY_S_OK);
    assert_int_equal(got, 1);
    assert_int_equal(c, expect);
}

static void test_write_zeros_sparse(void **state)
{
    char p[256], buf[10];
    struct stat st;
    size_t got = 0;
    int fd = make_file("sparse", "0123456789", 10);

    assert_hr_equal(bgcopy__fs_write_zeros(fd, 10, 3 * GIB - 10), BGCOPY_S_OK);
    assert_int_equal(file_size("sparse"), 3 * GIB);
    assert_int_equal(stat(tpath(p, "sparse"), &st), 0);
    assert_int_equal((uint64_t)st.st_size, 3 * GIB);
    assert_true((uint64_t)st.st_blocks * 512 < ((uint64_t)16 << 20));

    read_byte_at(fd, 10, 0);
    read_byte_at(fd, GIB, 0);
    read_byte_at(fd, 3 * GIB - 1, 0);
    assert_hr_equal(bgcopy__fs_pread(fd, buf, 10, 0, &got), BGCOPY_S_OK);
    assert_int_equal(got, 10);
    assert_memory_equal(buf, "0123456789", 10);
    assert_hr_equal(bgcopy__fs_pread(fd, buf, 10, 3 * GIB, &got), BGCOPY_S_OK);
    assert_int_equal(got, 0);

    bgcopy__fs_close(fd);
    assert_hr_equal(bgcopy__fs_unlink(p), BGCOPY_S_OK);
}

static void test_write_zeros_inside(void **state)
{
    unsigned char data[100], buf[128], expect[128];
    size_t got = 0;
    int fd;

    memset(data, 'A', sizeof(data));
    fd = make_file("zeros", data, sizeof(data));

    /* Entirely inside the data: just that span, the size is unchanged. */
    assert_hr_equal(bgcopy__fs_write_zeros(fd, 20, 30), BGCOPY_S_OK);
    assert_int_equal(file_size("zeros"), 100);
    memset(expect, 'A', 100);
    memset(expect + 20, 0, 30);
    assert_hr_equal(bgcopy__fs_pread(fd, buf, sizeof(buf), 0, &got), BGCOPY_S_OK);
    assert_int_equal(got, 100);
    assert_memory_equal(buf, expect, 100);

    /* An empty range changes nothing, even past the end. */
    assert_hr_equal(bgcopy__fs_write_zeros(fd, 500, 0), BGCOPY_S_OK);
    assert_int_equal(file_size("zeros"), 100);

    /* Straddling the end: the inside part is overwritten, the file grows to the range's end. */
    assert_hr_equal(bgcopy__fs_write_zeros(fd, 90, 20), BGCOPY_S_OK);
    assert_int_equal(file_size("zeros"), 110);
    memset(expect + 90, 0, 20);
    assert_hr_equal(bgcopy__fs_pread(fd, buf, sizeof(buf), 0, &got), BGCOPY_S_OK);
    assert_int_equal(got, 110);
    assert_memory_equal(buf, expect, 110);

    /* More than one 64 KiB block inside the data. */
    assert_hr_equal(bgcopy__fs_pwrite(fd, data, 10, 200000), BGCOPY_S_OK);
    assert_hr_equal(bgcopy__fs_write_zeros(fd, 0, 200005), BGCOPY_S_OK);
    assert_int_equal(file_size("zeros"), 200010);
    assert_hr_equal(bgcopy__fs_pread(fd, buf, 10, 199998, &got), BGCOPY_S_OK);
    assert_int_equal(got, 10);
    assert_memory_equal(buf, "\0\0\0\0\0\0\0AAA", 10);
    read_byte_at(fd, 0, 0);
    read_byte_at(fd, 70000, 0);
    read_byte_at(fd, 200009, 'A');
    bgcopy__fs_close(fd);
}

static void test_stat(void **state)
{
    char p[256];
    bgcopy__stat st;
    int fd;

    memset(&st, 0xFF, sizeof(st));
    assert_hr_equal(bgcopy__fs_stat(tpath(p, "missing"), &st), BGCOPY_S_OK);
    assert_int_equal(st.exists, 0);

    fd = make_file("statme", "abcd", 4);
    bgcopy__fs_close(fd);
    assert_hr_equal(bgcopy__fs_stat(tpath(p, "statme"), &st), BGCOPY_S_OK);
    assert_int_equal(st.exists, 1);
    assert_int_equal(st.is_regular, 1);
    assert_int_equal(st.is_dir, 0);
    assert_int_equal(st.size, 4);

    /* A path below a regular file (ENOTDIR) is missing too. */
    memset(&st, 0xFF, sizeof(st));
    assert_hr_equal(bgcopy__fs_stat(tpath(p, "statme/x"), &st), BGCOPY_S_OK);
    assert_int_equal(st.exists, 0);

    assert_hr_equal(bgcopy__fs_stat(tmpdir, &st), BGCOPY_S_OK);
    assert_int_equal(st.exists, 1);
    assert_int_equal(st.is_dir, 1);
    assert_int_equal(st.is_regular, 0);
}

static void test_unlink(void **state)
{
    char p[256];
    bgcopy__stat st;
    int fd;

    assert_hr_equal(bgcopy__fs_unlink(tpath(p, "missing")), BGCOPY_S_OK);
    fd = make_file("gone", "x", 1);
    bgcopy__fs_close(fd);
    assert_hr_equal(bgcopy__fs_unlink(tpath(p, "gone")), BGCOPY_S_OK);
    assert_hr_equal(bgcopy__fs_stat(p, &st), BGCOPY_S_OK);
    assert_int_equal(st.exists, 0);
    assert_hr_equal(bgcopy__fs_unlink(p), BGCOPY_S_OK);
}

static void test_rename(void **state)
{
    char from[256], to[256], buf[8];
    bgcopy__stat st;
    size_t got = 0;
    int fd;

    fd = make_file("ren-a", "AAA", 3);
    bgcopy__fs_close(fd);
    fd = make_file("ren-b", "BBBBB", 5);
    bgcopy__fs_close(fd);

    assert_hr_equal(bgcopy__fs_rename(tpath(from, "ren-a"), tpath(to, "ren-b")), BGCOPY_S_OK);
    assert_hr_equal(bgcopy__fs_stat(from, &st), BGCOPY_S_OK);
    assert_int_equal(st.exists, 0);
    assert_int_equal(file_size("ren-b"), 3);
    assert_hr_equal(bgcopy__fs_open(to, 0, &fd), BGCOPY_S_OK);
    assert_hr_equal(bgcopy__fs_pread(fd, buf, sizeof(buf), 0, &got), BGCOPY_S_OK);
    assert_int_equal(got, 3);
    assert_memory_equal(buf, "AAA", 3);
    bgcopy__fs_close(fd);

    /* The source is gone now. */
    assert_hr_equal(bgcopy__fs_rename(from, to), 0x80070002u);
}

static void test_fsync_parent(void **state)
{
    char p[256];
    int fd = make_file("durable", "d", 1);

    assert_hr_equal(bgcopy__fs_fsync(fd), BGCOPY_S_OK);
    bgcopy__fs_close(fd);
    assert_hr_equal(bgcopy__fs_fsync_parent(tpath(p, "durable")), BGCOPY_S_OK);
    assert_hr_equal(bgcopy__fs_fsync_parent("no-slash"), BGCOPY_S_OK);     /* "." */
    assert_hr_equal(bgcopy__fs_fsync_parent("/no-slash"), BGCOPY_S_OK);    /* "/" */
    assert_hr_equal(bgcopy__fs_fsync_parent(tpath(p, "x/")), BGCOPY_S_OK); /* tmpdir */
    assert_hr_equal(bgcopy__fs_fsync_parent(tpath(p, "nodir/file")), 0x80070002u);
    assert_hr_equal(bgcopy__fs_fsync_parent(tpath(p, "durable/file")), 0x80070003u);
}

static void test_set_mtime(void **state)
{
    char p[256];
    bgcopy__stat st;
    struct stat s;
    const int64_t t = (int64_t)1600000000 * 1000000 + 123456;
    int fd = make_file("mtime", "m", 1);

    bgcopy__fs_close(fd);
    assert_hr_equal(bgcopy__fs_set_mtime(tpath(p, "mtime"), t), BGCOPY_S_OK);
    assert_hr_equal(bgcopy__fs_stat(p, &st), BGCOPY_S_OK);
    assert_int_equal(st.mtime_us / 1000000, 1600000000);
    assert_int_equal(stat(p, &s), 0);
    assert_int_equal(s.st_atime, 1600000000);
    assert_int_equal(s.st_mtime, 1600000000);

    /* Before the epoch: seconds round towards minus infinity. */
    assert_hr_equal(bgcopy__fs_set_mtime(p, -1500000), BGCOPY_S_OK);
    assert_int_equal(stat(p, &s), 0);
    assert_int_equal(s.st_mtime, -2);

    assert_hr_equal(bgcopy__fs_set_mtime(tpath(p, "missing"), t), 0x80070002u);
}

static void test_dir_writable(void **state)
{
    char p[256];
    int fd = make_file("plain", NULL, 0);

    bgcopy__fs_close(fd);
    assert_hr_equal(bgcopy__fs_dir_writable(tpath(p, "missing")), 0x80070003u);
    assert_hr_equal(bgcopy__fs_dir_writable(tpath(p, "plain")), 0x80070003u);
    assert_hr_equal(bgcopy__fs_dir_writable(tpath(p, "plain/x")), 0x80070003u);
    assert_hr_equal(bgcopy__fs_dir_writable(tmpdir), BGCOPY_S_OK);

    /* root may write anywhere, so the read-only case is checked for other users only. */
    assert_int_equal(mkdir(tpath(p, "ro"), 0500), 0);
    if (geteuid() != 0) {
        assert_hr_equal(bgcopy__fs_dir_writable(p), 0x80070005u);
    }
}

static void test_hr_from_errno(void **state)
{
    assert_hr_equal(bgcopy__sys_hr_from_errno(0), 0x00000000u);
    assert_hr_equal(bgcopy__sys_hr_from_errno(ENOENT), 0x80070002u);
    assert_hr_equal(bgcopy__sys_hr_from_errno(ENOTDIR), 0x80070003u);
    assert_hr_equal(bgcopy__sys_hr_from_errno(EACCES), 0x80070005u);
    assert_hr_equal(bgcopy__sys_hr_from_errno(EPERM), 0x80070005u);
    assert_hr_equal(bgcopy__sys_hr_from_errno(EROFS), 0x80070005u);
    assert_hr_equal(bgcopy__sys_hr_from_errno(EISDIR), 0x80070005u);
    assert_hr_equal(bgcopy__sys_hr_from_errno(ENOSPC), 0x80070070u);
    assert_hr_equal(bgcopy__sys_hr_from_errno(EDQUOT), 0x80070070u);
    assert_hr_equal(bgcopy__sys_hr_from_errno(EEXIST), 0x80070050u);
    assert_hr_equal(bgcopy__sys_hr_from_errno(ENAMETOOLONG), 0x800700CEu);
    assert_hr_equal(bgcopy__sys_hr_from_errno(EBUSY), 0x800700AAu);
    assert_hr_equal(bgcopy__sys_hr_from_errno(ETXTBSY), 0x800700AAu);
    assert_hr_equal(bgcopy__sys_hr_from_errno(ENOMEM), 0x8007000Eu);
    assert_hr_equal(bgcopy__sys_hr_from_errno(EIO), 0x8007001Du);
    assert_hr_equal(bgcopy__sys_hr_from_errno(EINVAL), 0x80070057u);
    assert_hr_equal(bgcopy__sys_hr_from_errno(EXDEV), 0x8007001Fu);
    assert_hr_equal(bgcopy__sys_hr_from_errno(EBADF), 0x8007001Fu);
}

/* ---- identity --------------------------------------------------------------- */

static void test_user_name(void **state)
{
    char *name = bgcopy__sys_user_name();

    assert_non_null(name);
    assert_true(name[0] != '\0');
    free(name);
}

static void test_random(void **state)
{
    static const unsigned char zero[32];
    unsigned char a[32], b[32];

    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    assert_hr_equal(bgcopy__sys_random(a, sizeof(a)), BGCOPY_S_OK);
    assert_hr_equal(bgcopy__sys_random(b, sizeof(b)), BGCOPY_S_OK);
    assert_true(memcmp(a, zero, sizeof(a)) != 0);
    assert_true(memcmp(a, b, sizeof(a)) != 0);
    assert_hr_equal(bgcopy__sys_random(a, 0), BGCOPY_S_OK);
}

/* ---- locks and threads ------------------------------------------------------ */

#define INCREMENTS 100000

static void inc_many(void *arg)
{
    volatile long *counter = arg;
    int i;

    for (i = 0; i < INCREMENTS; i++) {
        bgcopy__atomic_inc(counter);
    }
}

static void test_atomic_threads(void **state)
{
    volatile long counter = 0;
    bgcopy__thread *t = NULL;

    assert_hr_equal(bgcopy__thread_start(&t, inc_many, (void *)&counter), BGCOPY_S_OK);
    assert_non_null(t);
    inc_many((void *)&counter);
    bgcopy__thread_join(t);
    assert_int_equal(counter, 2 * INCREMENTS);

    assert_int_equal(bgcopy__atomic_inc(&counter), 2 * INCREMENTS + 1);
    assert_int_equal(bgcopy__atomic_dec(&counter), 2 * INCREMENTS);
    counter = 0;
    assert_int_equal(bgcopy__atomic_dec(&counter), -1);
    assert_int_equal(bgcopy__atomic_get(&counter), -1);
}

static void test_cond_timeout(void **state)
{
    bgcopy__mutex *m = bgcopy__mutex_new();
    bgcopy__cond *c = bgcopy__cond_new();
    int64_t start, deadline, end;
    int waits = 0;

    assert_non_null(m);
    assert_non_null(c);
    bgcopy__mutex_lock(m);

    /* A deadline already passed returns at once. */
    start = bgcopy__sys_mono_us();
    bgcopy__cond_wait_until(c, m, start - 1000);
    assert_true(bgcopy__sys_mono_us() - start < 1000000);

    /* 20 ms ahead on the monotonic scale: returns after the deadline, without spinning (a
     * condition on the wrong clock would return at once, again and again). */
    start = bgcopy__sys_mono_us();
    deadline = start + 20000;
    do {
        bgcopy__cond_wait_until(c, m, deadline);
        waits++;
        end = bgcopy__sys_mono_us();
    } while (end < deadline && waits < 1000);
    assert_true(end >= deadline);
    assert_true(waits <= 3);
    assert_true(end - start < 5 * 1000000);

    bgcopy__mutex_unlock(m);
    bgcopy__cond_free(c);
    bgcopy__mutex_free(m);
}

struct waker {
    bgcopy__mutex *m;
    bgcopy__cond *c;
    int flag;
    int woken;
};

static void set_flag_and_signal(void *arg)
{
    struct waker *w = arg;

    bgcopy__mutex_lock(w->m);
    w->flag = 1;
    bgcopy__cond_signal(w->c);
    bgcopy__mutex_unlock(w->m);
}

/* Waits for flag under a 10 s deadline; woken counts the waits that saw it. */
static void wait_flag(void *arg)
{
    struct waker *w = arg;
    int64_t deadline = bgcopy__sys_mono_us() + 10 * 1000000;

    bgcopy__mutex_lock(w->m);
    while (!w->flag && bgcopy__sys_mono_us() < deadline) {
        bgcopy__cond_wait_until(w->c, w->m, deadline);
    }
    if (w->flag) {
        w->woken++;
    }
    bgcopy__mutex_unlock(w->m);
}

static void test_cond_signal(void **state)
{
    struct waker w = {bgcopy__mutex_new(), bgcopy__cond_new(), 0, 0};
    bgcopy__thread *t = NULL, *t2 = NULL;
    int64_t start;

    assert_non_null(w.m);
    assert_non_null(w.c);

    /* Signal: the thread can take the mutex only once the main thread waits. */
    bgcopy__mutex_lock(w.m);
    assert_hr_equal(bgcopy__thread_start(&t, set_flag_and_signal, &w), BGCOPY_S_OK);
    start = bgcopy__sys_mono_us();
    while (!w.flag && bgcopy__sys_mono_us() - start < 10 * 1000000) {
        bgcopy__cond_wait_until(w.c, w.m, -1);
    }
    assert_int_equal(w.flag, 1);
    assert_true(bgcopy__sys_mono_us() - start < 5 * 1000000);
    bgcopy__mutex_unlock(w.m);
    bgcopy__thread_join(t);

    /* Broadcast wakes every waiter long before their deadline. */
    w.flag = 0;
    start = bgcopy__sys_mono_us();
    assert_hr_equal(bgcopy__thread_start(&t, wait_flag, &w), BGCOPY_S_OK);
    assert_hr_equal(bgcopy__thread_start(&t2, wait_flag, &w), BGCOPY_S_OK);
    sleep_us(20000);
    bgcopy__mutex_lock(w.m);
    w.flag = 1;
    bgcopy__cond_broadcast(w.c);
    bgcopy__mutex_unlock(w.m);
    bgcopy__thread_join(t);
    bgcopy__thread_join(t2);
    assert_int_equal(w.woken, 2);
    assert_true(bgcopy__sys_mono_us() - start < 5 * 1000000);

    bgcopy__cond_free(w.c);
    bgcopy__mutex_free(w.m);
}

static void record_self(void *arg)
{
    uintptr_t *id = arg;

    id[0] = bgcopy__thread_self();
    id[1] = bgcopy__thread_self();
}

static void test_thread_self(void **state)
{
    uintptr_t main_id = bgcopy__thread_self(), other[2] = {0, 0};
    bgcopy__thread *t = NULL;

    assert_hr_equal(bgcopy__thread_start(&t, record_self, other), BGCOPY_S_OK);
    bgcopy__thread_join(t);
    assert_true(main_id != 0);
    assert_true(other[0] != 0);
    assert_true(other[0] != main_id);
    assert_true(other[0] == other[1]);
    assert_true(bgcopy__thread_self() == main_id);
}

/* ---- processes --------------------------------------------------------------- */

/* Runs argv (argv[0] is also the program) and returns its exit code; fails on launch errors. */
static int run_ok(char *const argv[])
{
    int code = -1;

    assert_hr_equal(bgcopy__sys_run(argv[0], argv, &code), BGCOPY_S_OK);
    return code;
}

static void test_run_exit_codes(void **state)
{
    char *t[] = {"/bin/true", NULL};
    char *f[] = {"/bin/false", NULL};
    char *seven[] = {"/bin/sh", "-c", "exit 7", NULL};
    char *big[] = {"/bin/sh", "-c", "exit 255", NULL};

    assert_int_equal(run_ok(t), 0);
    assert_int_equal(run_ok(f), 1);
    assert_int_equal(run_ok(seven), 7);
    assert_int_equal(run_ok(big), 255);
}

static void test_run_missing(void **state)
{
    char p[256];
    char *argv[] = {p, NULL};
    int code = 99;

    tpath(p, "no-such-program");
    assert_hr_equal(bgcopy__sys_run(p, argv, &code), BGCOPY_E_WIN32_FILE_NOT_FOUND);
    assert_hr_equal(bgcopy__sys_run(p, argv, &code), 0x80070002u);
    assert_int_equal(code, 0);
    /* A path through a regular file: ERROR_PATH_NOT_FOUND. */
    strcpy(p, "/bin/true/x");
    assert_hr_equal(bgcopy__sys_run(p, argv, &code), BGCOPY_E_WIN32_PATH_NOT_FOUND);
}

/* A script that would exit 0 if it ran, without execute permission: E_ACCESSDENIED (even for
 * root, which needs at least one execute bit). A directory is refused the same way. */
static void test_run_not_executable(void **state)
{
    static const char script[] = "#!/bin/sh\nexit 0\n";
    char p[256];
    char *argv[] = {p, NULL};
    int fd, code = 99;

    fd = make_file("not-executable", script, sizeof(script) - 1);
    bgcopy__fs_close(fd);
    tpath(p, "not-executable");
    assert_int_equal(chmod(p, 0644), 0);
    assert_hr_equal(bgcopy__sys_run(p, argv, &code), BGCOPY_E_ACCESSDENIED);
    assert_hr_equal(bgcopy__sys_run(p, argv, &code), 0x80070005u);
    assert_int_equal(code, 0);

    assert_hr_equal(bgcopy__sys_run(tmpdir, argv, &code), BGCOPY_E_ACCESSDENIED);
}

/* Executable, but neither a binary nor a #! script: HRESULT_FROM_WIN32(ERROR_BAD_EXE_FORMAT),
 * not a shell fallback. */
static void test_run_bad_format(void **state)
{
    static const char junk[] = "\x01\x02\x03 not a program\n";
    char p[256];
    char *argv[] = {p, NULL};
    int fd, code = 99;

    fd = make_file("bad-format", junk, sizeof(junk) - 1);
    bgcopy__fs_close(fd);
    tpath(p, "bad-format");
    assert_int_equal(chmod(p, 0755), 0);
    assert_hr_equal(bgcopy__sys_run(p, argv, &code), 0x800700C1u);
    assert_int_equal(code, 0);
}

/* Killed by a signal: 128 + the signal number - also when the caller ignores and blocks that
 * signal, since the child starts with default signal handling. */
static void test_run_killed_by_signal(void **state)
{
    char *term[] = {"/bin/sh", "-c", "kill -TERM $$", NULL};
    char *kill9[] = {"/bin/sh", "-c", "kill -KILL $$", NULL};
    struct sigaction ign, old_act;
    sigset_t block, old_mask;

    assert_int_equal(run_ok(term), 128 + SIGTERM);
    assert_int_equal(run_ok(term), 143);
    assert_int_equal(run_ok(kill9), 128 + SIGKILL);

    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    assert_int_equal(sigaction(SIGTERM, &ign, &old_act), 0);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    assert_int_equal(sigprocmask(SIG_BLOCK, &block, &old_mask), 0);
    assert_int_equal(run_ok(term), 128 + SIGTERM);
    assert_int_equal(sigprocmask(SIG_SETMASK, &old_mask, NULL), 0);
    assert_int_equal(sigaction(SIGTERM, &old_act, NULL), 0);
}

/* Reads tmpdir/name into buf (NUL-terminated). */
static void read_back(const char *name, char *buf, size_t size)
{
    char p[256];
    size_t got = 0;
    int fd = -1;

    assert_hr_equal(bgcopy__fs_open(tpath(p, name), 0, &fd), BGCOPY_S_OK);
    assert_hr_equal(bgcopy__fs_pread(fd, buf, size - 1, 0, &got), BGCOPY_S_OK);
    buf[got] = '\0';
    bgcopy__fs_close(fd);
}

/* Arguments arrive exactly as given: no shell, no splitting, no expansion. */
static void test_run_arguments(void **state)
{
    char script[512], out[256], p[256];
    char *argv[] = {"/bin/sh", "-c",    script, "sh",          "a b", "c\"d",
                    "",        "$HOME", "*",    "\xc3\xa9 \\", NULL};

    snprintf(script, sizeof(script), "printf \"%%s|\" \"$@\" > '%s'", tpath(p, "args.out"));
    assert_int_equal(run_ok(argv), 0);
    read_back("args.out", out, sizeof(out));
    assert_string_equal(out, "a b|c\"d||$HOME|*|\xc3\xa9 \\|");
}

/* stdin is /dev/null (immediate end of file); the environment is the caller's. */
static void test_run_stdin_environment(void **state)
{
    char *eof[] = {"/bin/sh", "-c", "if read x; then exit 3; else exit 4; fi", NULL};
    char *env[] = {"/bin/sh", "-c", "test \"$BGCOPY_TEST_RUN\" = 'x y'", NULL};

    assert_int_equal(run_ok(eof), 4);
    assert_int_equal(setenv("BGCOPY_TEST_RUN", "x y", 1), 0);
    assert_int_equal(run_ok(env), 0);
    assert_int_equal(unsetenv("BGCOPY_TEST_RUN"), 0);
    assert_int_equal(run_ok(env), 1);
}

/* The owner's environment of a notification program (bgcopy__sys_owner_environ). fresh (a
 * service acting as the owner): exactly HOME, LOGNAME, PATH, SHELL and USER, from the owner's
 * account ("root": its passwd entry) or, for an account-less "uid:4242", HOME=/ and
 * SHELL=/bin/sh; PATH is the login default, never the caller's. Not fresh: the same identity
 * variables, the caller's PATH and every other variable of the caller. */
static void test_owner_environ(void **state)
{
    struct passwd *pw = getpwnam("root");
    char home[600], shell[600], **env = NULL, *saved_path = NULL;
    size_t n, i;
    int mark = 0, path = 0, own_home = 0;

    assert_non_null(pw);
    assert_non_null(getenv("PATH"));
    saved_path = strdup(getenv("PATH"));
    assert_non_null(saved_path);
    snprintf(home, sizeof(home), "HOME=%s", pw->pw_dir);
    snprintf(shell, sizeof(shell), "SHELL=%s", pw->pw_shell[0] ? pw->pw_shell : "/bin/sh");
    assert_int_equal(setenv("BGCOPY_TEST_OWNER_ENV", "1", 1), 0);
    assert_int_equal(setenv("PATH", "/opt/app/bin:/usr/bin:/bin", 1), 0);

    assert_hr_equal(bgcopy__sys_owner_environ("root", 1, &env), BGCOPY_S_OK);
    assert_non_null(env);
    for (n = 0; env[n] != NULL; n++)
        ;
    assert_int_equal(n, 5);
    assert_string_equal(env[0], home);
    assert_string_equal(env[1], "LOGNAME=root");
    assert_string_equal(env[2], "PATH=/usr/local/bin:/usr/bin:/bin");
    assert_string_equal(env[3], shell);
    assert_string_equal(env[4], "USER=root");
    bgcopy__sys_environ_free(env);

    assert_hr_equal(bgcopy__sys_owner_environ("uid:4242", 1, &env), BGCOPY_S_OK);
    for (n = 0; env[n] != NULL; n++)
        ;
    assert_int_equal(n, 5);
    assert_string_equal(env[0], "HOME=/");
    assert_string_equal(env[1], "LOGNAME=uid:4242");
    assert_string_equal(env[3], "SHELL=/bin/sh");
    assert_string_equal(env[4], "USER=uid:4242");
    bgcopy__sys_environ_free(env);

    assert_hr_equal(bgcopy__sys_owner_environ("uid:4242", 0, &env), BGCOPY_S_OK);
    for (i = 0; env[i] != NULL; i++) {
        mark += strcmp(env[i], "BGCOPY_TEST_OWNER_ENV=1") == 0;
        path += strncmp(env[i], "PATH=", 5) == 0;
        own_home += strncmp(env[i], "HOME=", 5) == 0;
    }
    assert_string_equal(env[0], "HOME=/");
    assert_string_equal(env[2], "PATH=/opt/app/bin:/usr/bin:/bin");
    assert_int_equal(mark, 1);
    assert_int_equal(path, 1);
    assert_int_equal(own_home, 1);
    bgcopy__sys_environ_free(env);

    env = (char **)&env;
    assert_hr_equal(bgcopy__sys_owner_environ(NULL, 1, &env), BGCOPY_E_INVALIDARG);
    assert_null(env);
    assert_int_equal(unsetenv("BGCOPY_TEST_OWNER_ENV"), 0);
    assert_int_equal(setenv("PATH", saved_path, 1), 0);
    free(saved_path);
}

/* bgcopy__sys_run_as with fresh set: the program's whole environment is the owner's five
 * variables (/bin/sh adds PWD only); with fresh 0 a variable of the caller reaches it. */
static void test_run_as_owner_environment(void **state)
{
    char out[700], cmd[800], buf[4096];
    char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    size_t len;
    int code = -1, n = 0;
    char *p;
    FILE *f;

    snprintf(out, sizeof(out), "%s/env.out", tmpdir);
    snprintf(cmd, sizeof(cmd), "exec /usr/bin/env > '%s'", out);
    assert_int_equal(setenv("BGCOPY_TEST_OWNER_ENV", "2", 1), 0);
    assert_hr_equal(bgcopy__sys_run_as("/bin/sh", argv, "uid:4242", 1, &code), BGCOPY_S_OK);
    assert_int_equal(code, 0);
    f = fopen(out, "r");
    assert_non_null(f);
    len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';
    for (p = strtok(buf, "\n"); p != NULL; p = strtok(NULL, "\n")) {
        if (strncmp(p, "PWD=", 4) == 0) {
            continue;
        }
        assert_true(strcmp(p, "HOME=/") == 0 || strcmp(p, "LOGNAME=uid:4242") == 0 ||
                    strcmp(p, "PATH=/usr/local/bin:/usr/bin:/bin") == 0 ||
                    strcmp(p, "SHELL=/bin/sh") == 0 || strcmp(p, "USER=uid:4242") == 0);
        n++;
    }
    assert_int_equal(n, 5);

    snprintf(cmd, sizeof(cmd), "test \"$BGCOPY_TEST_OWNER_ENV\" = 2 && test \"$USER\" = uid:4242");
    assert_hr_equal(bgcopy__sys_run_as("/bin/sh", argv, "uid:4242", 0, &code), BGCOPY_S_OK);
    assert_int_equal(code, 0);
    assert_hr_equal(bgcopy__sys_run_as("/bin/sh", argv, NULL, 0, &code), BGCOPY_E_INVALIDARG);
    assert_int_equal(unsetenv("BGCOPY_TEST_OWNER_ENV"), 0);
}

static void test_run_invalid_args(void **state)
{
    char *argv[] = {"/bin/true", NULL};
    char *empty[] = {NULL};
    int code = 99;

    assert_hr_equal(bgcopy__sys_run(NULL, argv, &code), BGCOPY_E_INVALIDARG);
    assert_hr_equal(bgcopy__sys_run("/bin/true", NULL, &code), BGCOPY_E_INVALIDARG);
    assert_hr_equal(bgcopy__sys_run("/bin/true", empty, &code), BGCOPY_E_INVALIDARG);
    assert_hr_equal(bgcopy__sys_run("/bin/true", argv, NULL), BGCOPY_E_INVALIDARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mono_clock),
        cmocka_unit_test(test_wall_clock),
        cmocka_unit_test(test_create_excl_twice),
        cmocka_unit_test(test_create_excl_missing_directory),
        cmocka_unit_test(test_open),
        cmocka_unit_test(test_pwrite_pread),
        cmocka_unit_test(test_write_zeros_sparse),
        cmocka_unit_test(test_write_zeros_inside),
        cmocka_unit_test(test_stat),
        cmocka_unit_test(test_unlink),
        cmocka_unit_test(test_rename),
        cmocka_unit_test(test_fsync_parent),
        cmocka_unit_test(test_set_mtime),
        cmocka_unit_test(test_dir_writable),
        cmocka_unit_test(test_hr_from_errno),
        cmocka_unit_test(test_user_name),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_atomic_threads),
        cmocka_unit_test(test_cond_timeout),
        cmocka_unit_test(test_cond_signal),
        cmocka_unit_test(test_thread_self),
        cmocka_unit_test(test_run_exit_codes),
        cmocka_unit_test(test_run_missing),
        cmocka_unit_test(test_run_not_executable),
        cmocka_unit_test(test_run_bad_format),
        cmocka_unit_test(test_run_killed_by_signal),
        cmocka_unit_test(test_run_arguments),
        cmocka_unit_test(test_run_stdin_environment),
        cmocka_unit_test(test_run_invalid_args),
        cmocka_unit_test(test_owner_environ),
        cmocka_unit_test(test_run_as_owner_environment),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
