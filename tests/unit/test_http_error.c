/* test_http_error.c - how a failed curl transfer becomes a BITS error
 * (backend-curl/http-error.c), and whether the engine then retries it (core/transfer.c,
 * bgcopy__hr_is_transient).
 *
 * Pins the CURLcode -> WinHTTP HRESULT table with its error contexts (REMOTE_FILE, or
 * GENERAL_TRANSPORT for proxy failures), the certificate-failure split by OpenSSL verify
 * result, and the transient/fatal classification chosen in docs/fidelity.md: DNS, connect,
 * timeout, reset and TLS handshake failures are retried; certificate validation, revocation,
 * redirect and URL failures are fatal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../backend-curl/http-int.h"

#define assert_hr(expected, actual) assert_int_equal((uint32_t)(expected), (uint32_t)(actual))

static void expect(CURLcode rc, const struct bgcopy__http_failure_info *info, bgcopy_hr want,
                   bgcopy_error_context want_ctx)
{
    bgcopy_hr hr = 0;
    bgcopy_error_context ctx = BGCOPY_ERROR_CONTEXT_NONE;
    bgcopy__http_map_error(rc, info, &hr, &ctx);
    if ((uint32_t)hr != (uint32_t)want || ctx != want_ctx)
        fail_msg("CURLcode %d: got 0x%08X context %d, want 0x%08X context %d", (int)rc,
                 (unsigned)hr, (int)ctx, (unsigned)want, (int)want_ctx);
}

static void test_transport_failures(void **state)
{
    const bgcopy_error_context R = BGCOPY_ERROR_CONTEXT_REMOTE_FILE;
    const bgcopy_error_context T = BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT;

    expect(CURLE_COULDNT_RESOLVE_HOST, NULL, BGCOPY_E_WINHTTP_NAME_NOT_RESOLVED, R);
    expect(CURLE_COULDNT_RESOLVE_PROXY, NULL, BGCOPY_E_WINHTTP_NAME_NOT_RESOLVED, T);
    expect(CURLE_COULDNT_CONNECT, NULL, BGCOPY_E_WINHTTP_CANNOT_CONNECT, R);
    expect(CURLE_OPERATION_TIMEDOUT, NULL, BGCOPY_E_WINHTTP_TIMEOUT, R);
    expect(CURLE_RECV_ERROR, NULL, BGCOPY_E_WINHTTP_CONNECTION_ERROR, R);
    expect(CURLE_SEND_ERROR, NULL, BGCOPY_E_WINHTTP_CONNECTION_ERROR, R);
    expect(CURLE_PARTIAL_FILE, NULL, BGCOPY_E_WINHTTP_CONNECTION_ERROR, R);
    expect(CURLE_GOT_NOTHING, NULL, BGCOPY_E_WINHTTP_CONNECTION_ERROR, R);
    expect(CURLE_WEIRD_SERVER_REPLY, NULL, BGCOPY_E_WINHTTP_INVALID_SERVER_RESPONSE, R);
    expect(CURLE_BAD_CONTENT_ENCODING, NULL, BGCOPY_E_WINHTTP_INVALID_SERVER_RESPONSE, R);
    expect(CURLE_TOO_MANY_REDIRECTS, NULL, BGCOPY_E_WINHTTP_REDIRECT_FAILED, R);
    expect(CURLE_UNSUPPORTED_PROTOCOL, NULL, BGCOPY_E_WINHTTP_REDIRECT_FAILED, R);
    {
        /* no redirect followed: curl refused a reply that was not HTTP/1.x (HTTP/0.9) */
        struct bgcopy__http_failure_info info = {0};
        expect(CURLE_UNSUPPORTED_PROTOCOL, &info, BGCOPY_E_WINHTTP_INVALID_SERVER_RESPONSE, R);
        info.redirects = 1; /* a redirect to a scheme the policy refuses */
        expect(CURLE_UNSUPPORTED_PROTOCOL, &info, BGCOPY_E_WINHTTP_REDIRECT_FAILED, R);
    }
    expect(CURLE_URL_MALFORMAT, NULL, BGCOPY_E_WINHTTP_INVALID_URL, R);
    expect(CURLE_OUT_OF_MEMORY, NULL, BGCOPY_E_OUTOFMEMORY, R);
    expect(CURLE_PROXY, NULL, BGCOPY_E_WINHTTP_CONNECTION_ERROR, T);
    /* anything else */
    expect(CURLE_WRITE_ERROR, NULL, BGCOPY_E_WINHTTP_CONNECTION_ERROR, R);
    expect(CURLE_HTTP2, NULL, BGCOPY_E_WINHTTP_CONNECTION_ERROR, R);
}

static void test_proxy_failures(void **state)
{
    struct bgcopy__http_failure_info info = {0};

    info.via_proxy = 1;
    expect(CURLE_COULDNT_CONNECT, &info, BGCOPY_E_WINHTTP_CANNOT_CONNECT,
           BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT);
    /* the proxy refused CONNECT: its status, in the transport context */
    info.connect_code = 407;
    expect(CURLE_COULDNT_CONNECT, &info, BGCOPY_E_HTTP_ERROR(407),
           BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT);
    info.connect_code = 502;
    expect(CURLE_RECV_ERROR, &info, BGCOPY_E_HTTP_ERROR(502),
           BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT);
    /* a successful CONNECT says nothing */
    info.connect_code = 200;
    info.via_proxy = 0;
    expect(CURLE_RECV_ERROR, &info, BGCOPY_E_WINHTTP_CONNECTION_ERROR,
           BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
}

static void expect_cert(long verify_result, bgcopy_hr want)
{
    struct bgcopy__http_failure_info info = {0};
    info.openssl_codes = 1;
    info.chain_checked = 1;
    info.ssl_verify_result = verify_result;
    expect(CURLE_PEER_FAILED_VERIFICATION, &info, want, BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
}

static void test_certificate_failures(void **state)
{
    struct bgcopy__http_failure_info info = {0};

    expect_cert(0, BGCOPY_E_WINHTTP_SECURE_CERT_CN_INVALID);    /* curl's own host check */
    expect_cert(2, BGCOPY_E_WINHTTP_SECURE_INVALID_CA);         /* no issuer cert */
    expect_cert(18, BGCOPY_E_WINHTTP_SECURE_INVALID_CA);        /* self-signed */
    expect_cert(19, BGCOPY_E_WINHTTP_SECURE_INVALID_CA);        /* self-signed in chain */
    expect_cert(20, BGCOPY_E_WINHTTP_SECURE_INVALID_CA);        /* issuer not local */
    expect_cert(21, BGCOPY_E_WINHTTP_SECURE_INVALID_CA);        /* leaf unverifiable */
    expect_cert(9, BGCOPY_E_WINHTTP_SECURE_CERT_DATE_INVALID);  /* not yet valid */
    expect_cert(10, BGCOPY_E_WINHTTP_SECURE_CERT_DATE_INVALID); /* expired */
    expect_cert(62, BGCOPY_E_WINHTTP_SECURE_CERT_CN_INVALID);   /* host name mismatch */
    expect_cert(64, BGCOPY_E_WINHTTP_SECURE_CERT_CN_INVALID);   /* IP mismatch */
    expect_cert(23, BGCOPY_E_WINHTTP_SECURE_CERT_REVOKED);
    expect_cert(3, BGCOPY_E_WINHTTP_SECURE_CERT_REV_FAILED);  /* CRL unavailable */
    expect_cert(12, BGCOPY_E_WINHTTP_SECURE_CERT_REV_FAILED); /* CRL expired */
    expect_cert(7, BGCOPY_E_WINHTTP_SECURE_FAILURE);          /* bad signature */

    /* with the chain unchecked (BG_SSL_IGNORE_UNKNOWN_CA) only the host name can fail */
    info.openssl_codes = 1;
    info.ssl_verify_result = 1;
    expect(CURLE_PEER_FAILED_VERIFICATION, &info, BGCOPY_E_WINHTTP_SECURE_CERT_CN_INVALID,
           BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
    /* another TLS library: the verify result is not interpreted */
    info.openssl_codes = 0;
    info.chain_checked = 1;
    info.ssl_verify_result = 18;
    expect(CURLE_PEER_FAILED_VERIFICATION, &info, BGCOPY_E_WINHTTP_SECURE_FAILURE,
           BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
    expect(CURLE_PEER_FAILED_VERIFICATION, NULL, BGCOPY_E_WINHTTP_SECURE_FAILURE,
           BGCOPY_ERROR_CONTEXT_REMOTE_FILE);

    expect(CURLE_SSL_ISSUER_ERROR, NULL, BGCOPY_E_WINHTTP_SECURE_INVALID_CA,
           BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
    expect(CURLE_SSL_INVALIDCERTSTATUS, NULL, BGCOPY_E_WINHTTP_SECURE_CERT_REV_FAILED,
           BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
    expect(CURLE_SSL_CONNECT_ERROR, NULL, BGCOPY_E_WINHTTP_SECURE_FAILURE,
           BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
    expect(CURLE_SSL_CIPHER, NULL, BGCOPY_E_WINHTTP_SECURE_FAILURE,
           BGCOPY_ERROR_CONTEXT_REMOTE_FILE);
}

static void test_transient_or_fatal(void **state)
{
    static const bgcopy_hr transient[] = {BGCOPY_E_WINHTTP_NAME_NOT_RESOLVED,
                                          BGCOPY_E_WINHTTP_CANNOT_CONNECT,
                                          BGCOPY_E_WINHTTP_TIMEOUT,
                                          BGCOPY_E_WINHTTP_CONNECTION_ERROR,
                                          BGCOPY_E_WINHTTP_INVALID_SERVER_RESPONSE,
                                          BGCOPY_E_WINHTTP_SECURE_FAILURE,
                                          BGCOPY_E_HTTP_ERROR(502),
                                          BGCOPY_E_HTTP_ERROR(503)};
    static const bgcopy_hr fatal[] = {BGCOPY_E_WINHTTP_SECURE_INVALID_CA,
                                      BGCOPY_E_WINHTTP_SECURE_CERT_CN_INVALID,
                                      BGCOPY_E_WINHTTP_SECURE_CERT_DATE_INVALID,
                                      BGCOPY_E_WINHTTP_SECURE_CERT_REV_FAILED,
                                      BGCOPY_E_WINHTTP_SECURE_CERT_REVOKED,
                                      BGCOPY_E_WINHTTP_REDIRECT_FAILED,
                                      BGCOPY_E_WINHTTP_INVALID_URL,
                                      BGCOPY_E_OUTOFMEMORY,
                                      BGCOPY_E_INVALID_PROXY_INFO,
                                      BGCOPY_E_HTTP_ERROR(407),
                                      BGCOPY_E_HTTP_ERROR(302)};
    size_t i;

    for (i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
        if (!bgcopy__hr_is_transient(transient[i]))
            fail_msg("0x%08X should be transient", (unsigned)transient[i]);
    for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        if (bgcopy__hr_is_transient(fatal[i]))
            fail_msg("0x%08X should be fatal", (unsigned)fatal[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transport_failures),
        cmocka_unit_test(test_proxy_failures),
        cmocka_unit_test(test_certificate_failures),
        cmocka_unit_test(test_transient_or_fatal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
