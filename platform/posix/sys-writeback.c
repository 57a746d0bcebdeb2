/* platform/posix/sys-writeback.c - bgcopy__fs_start_writeback (core/sys.h): asks the kernel to
 * start writing a range of a file to disk without waiting for it, so the fsync at Complete finds
 * little left to do and the disk works while the network does. On Linux this is
 * sync_file_range(SYNC_FILE_RANGE_WRITE); elsewhere a no-op (the kernel's own writeback runs
 * later, and the fsync at Complete waits for whatever is left).
 *
 * It is a file of its own because sync_file_range needs _GNU_SOURCE, which the rest of the
 * POSIX seam does not define (it would switch strerror_r and others to their GNU forms).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>

#include "sys.h"

void bgcopy__fs_start_writeback(int fd, uint64_t offset, uint64_t len)
{
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
    /* a hint: failures (EINVAL on file systems without it, EIO) change nothing, fsync reports */
    (void)sync_file_range(fd, (off64_t)offset, (off64_t)len, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd;
    (void)offset;
    (void)len;
#endif
}
