/* tests/helpers/testhttp.c - the client of testhttp.h, on plain sockets. */
#define _GNU_SOURCE /* SOCK_CLOEXEC */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "testhttp.h"

int th_connect_local(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

char *th_call(int port, const char *method, const char *target, const char *body, int *status)
{
    char head[1024];
    struct timeval tv = {10, 0};
    size_t cap = 1 << 16, len = 0, blen = body ? strlen(body) : 0;
    char *buf = malloc(cap), *sep;
    int fd = th_connect_local(port), n;

    assert_non_null(buf);
    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    n = snprintf(head, sizeof(head),
                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                 "Content-Length: %zu\r\n\r\n",
                 method, target, blen);
    assert_int_equal(n, write(fd, head, (size_t)n));
    if (blen)
        assert_int_equal((ssize_t)blen, write(fd, body, blen));
    for (;;) {
        ssize_t r;
        if (len + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        r = read(fd, buf + len, cap - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        assert_true(r >= 0);
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    assert_int_equal(1, sscanf(buf, "HTTP/1.1 %d", status));
    sep = strstr(buf, "\r\n\r\n");
    assert_non_null(sep);
    memmove(buf, sep + 4, strlen(sep + 4) + 1);
    return buf;
}
