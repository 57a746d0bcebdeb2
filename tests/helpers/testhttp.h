/* tests/helpers/testhttp.h - a minimal HTTP/1.1 client for tests that talk to a server they
 * started on 127.0.0.1 (bgcopy-testserver's control endpoints and request log): one request per
 * connection, the whole response read until the server closes. Failures end the CMocka test.
 */
#ifndef BGCOPY_TEST_TESTHTTP_H
#define BGCOPY_TEST_TESTHTTP_H

/* A TCP connection to 127.0.0.1:port (blocking, close-on-exec), or -1. */
int th_connect_local(int port);

/* Sends `method target` with body (NULL: none) and "Connection: close", reads the response
 * (10-s receive timeout) and returns its body, malloc'ed and NUL-terminated; *status receives
 * the status code. A socket error or a reply that is not HTTP/1.1 fails the test. */
char *th_call(int port, const char *method, const char *target, const char *body, int *status);

#endif /* BGCOPY_TEST_TESTHTTP_H */
