/* http-error.c - maps a failed curl transfer to the HRESULT and error context BITS reports.
 *
 * BITS runs over WinHTTP, so transport failures surface as HRESULT_FROM_WIN32
 * (ERROR_WINHTTP_*) codes; core/transfer.c (bgcopy__hr_is_transient) then decides transient
 * or fatal. The table:
 *
 *   COULDNT_RESOLVE_HOST                  NAME_NOT_RESOLVED      REMOTE_FILE
 *   COULDNT_RESOLVE_PROXY                 NAME_NOT_RESOLVED      GENERAL_TRANSPORT
 *   COULDNT_CONNECT                       CANNOT_CONNECT         REMOTE_FILE (GENERAL_TRANSPORT
 *                                                                when an explicit proxy is used)
 *   OPERATION_TIMEDOUT (connect, stall)   TIMEOUT                REMOTE_FILE
 *   RECV/SEND_ERROR, PARTIAL_FILE,        CONNECTION_ERROR       REMOTE_FILE
 *   GOT_NOTHING
 *   WEIRD_SERVER_REPLY,                   INVALID_SERVER_RESPONSE REMOTE_FILE
 *   BAD_CONTENT_ENCODING
 *   TOO_MANY_REDIRECTS, UNSUPPORTED_      REDIRECT_FAILED        REMOTE_FILE
 *   PROTOCOL (a redirect to a scheme the policy refuses, e.g. HTTPS -> HTTP)
 *   UNSUPPORTED_PROTOCOL with no redirect INVALID_SERVER_RESPONSE REMOTE_FILE
 *   followed (info->redirects 0): curl refused a reply without an HTTP/1.x status line
 *   ("Received HTTP/0.9 when not allowed", "Unsupported HTTP version"), e.g. bytes a server
 *   sent past its Content-Length read as the next response on a reused connection
 *   URL_MALFORMAT                         INVALID_URL            REMOTE_FILE
 *   PEER_FAILED_VERIFICATION              with the chain unchecked (IGNORE_UNKNOWN_CA): only the
 *                                         host name can have failed -> SECURE_CERT_CN_INVALID;
 *                                         else by the OpenSSL verify result: unknown issuer /
 *                                         self-signed -> SECURE_INVALID_CA; expired / not yet
 *                                         valid -> SECURE_CERT_DATE_INVALID; host name
 *                                         mismatch (or curl's own host check, result OK) ->
 *                                         SECURE_CERT_CN_INVALID; revoked ->
 *                                         SECURE_CERT_REVOKED; CRL unavailable ->
 *                                         SECURE_CERT_REV_FAILED; else SECURE_FAILURE
 *   SSL_ISSUER_ERROR                      SECURE_INVALID_CA
 *   SSL_INVALIDCERTSTATUS, SSL_CRL_BADFILE SECURE_CERT_REV_FAILED
 *   other SSL errors (handshake, ciphers) SECURE_FAILURE
 *   a proxy refusing CONNECT with a 4xx/5xx (CURLINFO_HTTP_CONNECTCODE): BG_E_HTTP_ERROR_<code>
 *                                         in GENERAL_TRANSPORT (407: proxy authentication)
 *   PROXY (SOCKS / proxy handshake)       CONNECTION_ERROR       GENERAL_TRANSPORT
 *   OUT_OF_MEMORY                         E_OUTOFMEMORY          REMOTE_FILE
 *   anything else                         CONNECTION_ERROR       REMOTE_FILE
 *
 * The verify-result numbers are OpenSSL's X509_V_ERR_* values (shared by LibreSSL and
 * BoringSSL); with another TLS library they are not interpreted and a verification failure is
 * SECURE_FAILURE. Pure functions; any thread.
 */
#include "http-int.h"

/* OpenSSL X509_V_ERR_* values (x509_vfy.h), written out so this file needs no OpenSSL
 * header. */
enum {
    X509_OK = 0,
    X509_UNABLE_TO_GET_ISSUER_CERT = 2,
    X509_UNABLE_TO_GET_CRL = 3,
    X509_CERT_NOT_YET_VALID = 9,
    X509_CERT_HAS_EXPIRED = 10,
    X509_CRL_NOT_YET_VALID = 11,
    X509_CRL_HAS_EXPIRED = 12,
    X509_DEPTH_ZERO_SELF_SIGNED_CERT = 18,
    X509_SELF_SIGNED_CERT_IN_CHAIN = 19,
    X509_UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20,
    X509_UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21,
    X509_CERT_REVOKED = 23,
    X509_INVALID_CA = 24,
    X509_CERT_UNTRUSTED = 27,
    X509_HOSTNAME_MISMATCH = 62,
    X509_IP_ADDRESS_MISMATCH = 64
};

static bgcopy_hr verify_failure(const struct bgcopy__http_failure_info *info)
{
    if (info == NULL)
        return BGCOPY_E_WINHTTP_SECURE_FAILURE;
    if (!info->chain_checked)
        return BGCOPY_E_WINHTTP_SECURE_CERT_CN_INVALID; /* only the host name was checked */
    if (!info->openssl_codes)
        return BGCOPY_E_WINHTTP_SECURE_FAILURE;
    switch (info->ssl_verify_result) {
    case X509_OK:
        /* The chain verified; curl's own host-name check refused the certificate. */
        return BGCOPY_E_WINHTTP_SECURE_CERT_CN_INVALID;
    case X509_UNABLE_TO_GET_ISSUER_CERT:
    case X509_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_INVALID_CA:
    case X509_CERT_UNTRUSTED:
        return BGCOPY_E_WINHTTP_SECURE_INVALID_CA;
    case X509_CERT_NOT_YET_VALID:
    case X509_CERT_HAS_EXPIRED:
        return BGCOPY_E_WINHTTP_SECURE_CERT_DATE_INVALID;
    case X509_HOSTNAME_MISMATCH:
    case X509_IP_ADDRESS_MISMATCH:
        return BGCOPY_E_WINHTTP_SECURE_CERT_CN_INVALID;
    case X509_CERT_REVOKED:
        return BGCOPY_E_WINHTTP_SECURE_CERT_REVOKED;
    case X509_UNABLE_TO_GET_CRL:
    case X509_CRL_NOT_YET_VALID:
    case X509_CRL_HAS_EXPIRED:
        return BGCOPY_E_WINHTTP_SECURE_CERT_REV_FAILED;
    default:
        return BGCOPY_E_WINHTTP_SECURE_FAILURE;
    }
}

void bgcopy__http_map_error(CURLcode rc, const struct bgcopy__http_failure_info *info,
                            bgcopy_hr *hr, bgcopy_error_context *context)
{
    int via_proxy = info != NULL && info->via_proxy;

    *context = BGCOPY_ERROR_CONTEXT_REMOTE_FILE;
    if (info != NULL && info->connect_code >= 400 && info->connect_code <= 599) {
        /* The proxy answered CONNECT with an error status (407: it wants credentials). */
        *hr = BGCOPY_E_HTTP_ERROR(info->connect_code);
        *context = BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT;
        return;
    }
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        *hr = BGCOPY_E_WINHTTP_NAME_NOT_RESOLVED;
        break;
    case CURLE_COULDNT_RESOLVE_PROXY:
        *hr = BGCOPY_E_WINHTTP_NAME_NOT_RESOLVED;
        *context = BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT;
        break;
    case CURLE_COULDNT_CONNECT:
        *hr = BGCOPY_E_WINHTTP_CANNOT_CONNECT;
        if (via_proxy)
            *context = BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT;
        break;
    case CURLE_OPERATION_TIMEDOUT:
        *hr = BGCOPY_E_WINHTTP_TIMEOUT;
        break;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
        *hr = BGCOPY_E_WINHTTP_CONNECTION_ERROR;
        break;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
        *hr = BGCOPY_E_WINHTTP_INVALID_SERVER_RESPONSE;
        break;
    case CURLE_TOO_MANY_REDIRECTS:
        *hr = BGCOPY_E_WINHTTP_REDIRECT_FAILED;
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
        /* the request URL is always http(s): without a redirect, the reply was not HTTP/1.x */
        *hr = info != NULL && info->redirects == 0 ? BGCOPY_E_WINHTTP_INVALID_SERVER_RESPONSE
                                                   : BGCOPY_E_WINHTTP_REDIRECT_FAILED;
        break;
    case CURLE_URL_MALFORMAT:
        *hr = BGCOPY_E_WINHTTP_INVALID_URL;
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        *hr = verify_failure(info);
        break;
    case CURLE_SSL_ISSUER_ERROR:
        *hr = BGCOPY_E_WINHTTP_SECURE_INVALID_CA;
        break;
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
        *hr = BGCOPY_E_WINHTTP_SECURE_CERT_REV_FAILED;
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_USE_SSL_FAILED:
#if LIBCURL_VERSION_NUM >= 0x074d00 /* 7.77.0 */
    case CURLE_SSL_CLIENTCERT:
#endif
        *hr = BGCOPY_E_WINHTTP_SECURE_FAILURE;
        break;
#if LIBCURL_VERSION_NUM >= 0x074900 /* 7.73.0 */
    case CURLE_PROXY:
        *hr = BGCOPY_E_WINHTTP_CONNECTION_ERROR;
        *context = BGCOPY_ERROR_CONTEXT_GENERAL_TRANSPORT;
        break;
#endif
    case CURLE_OUT_OF_MEMORY:
        *hr = BGCOPY_E_OUTOFMEMORY;
        break;
    default:
        *hr = BGCOPY_E_WINHTTP_CONNECTION_ERROR;
        break;
    }
}
