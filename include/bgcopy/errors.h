/** @file bgcopy/errors.h
 * bgcopy/errors.h - bgcopy_hr: HRESULT codes with Windows' numeric values.
 *
 * Every bgcopy call returns a bgcopy_hr, a 32-bit HRESULT whose values are exactly those
 * Windows and BITS use (BGCOPY_E_INVALID_STATE is 0x80200002, BGCOPY_E_HTTP_ERROR(404) is
 * 0x80190194), so traces from the emulation and from real BITS compare directly. This header
 * defines the type, the SUCCEEDED/FAILED and facility helpers, the single table
 * BGCOPY_HR_TABLE of every code bgcopy knows (constant, Windows name, value, message), one
 * BGCOPY_<SYM> constant per table row, and the functions that map a code to its name and text.
 */
#ifndef BGCOPY_ERRORS_H
#define BGCOPY_ERRORS_H

#include <stddef.h>
#include <stdint.h>

#include "bgcopy/export.h"

/** An HRESULT: bit 31 set means failure; bits 16-26 hold the facility (7 = Win32,
 * 0x19 = HTTP status, 0x20 = BITS); the low 16 bits hold the code. */
typedef int32_t bgcopy_hr;

/** True when hr is a success code (S_OK, S_FALSE, BG_S_*): severity bit clear.
 * @param hr a bgcopy_hr. */
#define BGCOPY_SUCCEEDED(hr) ((bgcopy_hr)(hr) >= 0)

/** True when hr is a failure code: severity bit set.
 * @param hr a bgcopy_hr. */
#define BGCOPY_FAILED(hr) ((bgcopy_hr)(hr) < 0)

/** The `BG_E_HTTP_ERROR_<status>` code for any HTTP status: 0x80190000 + status.
 * BGCOPY_E_HTTP_ERROR(404) == BGCOPY_E_HTTP_ERROR_404 == 0x80190194.
 * @param status an HTTP status code (100-599). */
#define BGCOPY_E_HTTP_ERROR(status) ((bgcopy_hr)(0x80190000u + (uint32_t)(status)))

/** HRESULT_FROM_WIN32: a Win32 error code as an HRESULT. 0 (ERROR_SUCCESS) stays 0; a positive
 * code becomes 0x80070000 | (code & 0xFFFF); like the Windows macro, a value that is already
 * an HRESULT (negative as int32) is returned unchanged. Evaluates code more than once.
 * @param code a Win32 error code (ERROR_*). */
#define BGCOPY_HR_FROM_WIN32(code)                                  \
    ((bgcopy_hr)(uint32_t)(code) <= 0 ? (bgcopy_hr)(uint32_t)(code) \
                                      : (bgcopy_hr)(0x80070000u | (0xFFFFu & (uint32_t)(code))))

/** True when hr is an HTTP status HRESULT: severity bit set, facility 0x19, reserved and
 * customer bits clear (i.e.\ the upper 16 bits are exactly 0x8019).
 * @param hr a bgcopy_hr. */
#define BGCOPY_HR_IS_HTTP(hr) ((0xFFFF0000u & (uint32_t)(hr)) == 0x80190000u)

/** The HTTP status carried by an HTTP HRESULT (its low 16 bits), as an int. Only meaningful when
 * BGCOPY_HR_IS_HTTP(hr).
 * @param hr an HTTP-facility bgcopy_hr. */
#define BGCOPY_HR_HTTP_STATUS(hr) ((int)(0xFFFFu & (uint32_t)(hr)))

/** BGCOPY_HR_TABLE(X): every code bgcopy knows, one row each:
 *
 *     X(SYM, "WindowsName", 0xVALUEu, "Message.")
 *
 * SYM          constant suffix; the row defines BGCOPY_<SYM> below.
 * WindowsName  the name Windows headers use ("BG_E_INVALID_STATE",
 *              "HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)"); returned by bgcopy_hr_name().
 * VALUE        the Windows value, eight hex digits, unsigned literal.
 * Message      one English sentence for users, paraphrased (not Microsoft's text); returned
 *              by bgcopy_hr_message().
 *
 * BITS rows use the BITS name without its "BG_" prefix as SYM (BG_E_EMPTY -> BGCOPY_E_EMPTY),
 * except BG_E_PENDING (0x80200032), whose SYM keeps the prefix (BGCOPY_BG_E_PENDING) because
 * BGCOPY_E_PENDING is the generic COM E_PENDING (0x8000000A). Values are unique. Rows are
 * grouped by source and ascending within a group; order carries no meaning.
 *
 * Editing: change the table, then run `python3 tools/gen-errors.py include/bgcopy/errors.h` to
 * regenerate the constant block that follows it (`--check` reports a stale block).
 * @param X a macro taking (SYM, WindowsName, VALUE, Message), expanded once per row. */
#define BGCOPY_HR_TABLE(X)                                                                         \
    /* Generic COM / Win32 HRESULTs. */                                                            \
    X(S_OK, "S_OK", 0x00000000u, "The operation completed successfully.")                          \
    X(S_FALSE, "S_FALSE", 0x00000001u,                                                             \
      "The operation succeeded but produced a false, empty or partial result.")                    \
    X(E_NOTIMPL, "E_NOTIMPL", 0x80004001u, "The requested operation is not implemented.")          \
    X(E_NOINTERFACE, "E_NOINTERFACE", 0x80004002u,                                                 \
      "The object does not support the requested interface.")                                      \
    X(E_POINTER, "E_POINTER", 0x80004003u, "A required pointer argument was NULL or invalid.")     \
    X(E_ABORT, "E_ABORT", 0x80004004u, "The operation was aborted.")                               \
    X(E_FAIL, "E_FAIL", 0x80004005u, "The operation failed for an unspecified reason.")            \
    X(E_UNEXPECTED, "E_UNEXPECTED", 0x8000FFFFu, "An unexpected internal failure occurred.")       \
    X(E_RPC_DISCONNECTED, "RPC_E_DISCONNECTED", 0x80010108u,                                       \
      "The object invoked has disconnected from its clients (the service went away).")             \
    X(E_ACCESSDENIED, "E_ACCESSDENIED", 0x80070005u,                                               \
      "Access to the job, file or resource was denied.")                                           \
    X(E_OUTOFMEMORY, "E_OUTOFMEMORY", 0x8007000Eu,                                                 \
      "There was not enough memory to complete the operation.")                                    \
    X(E_INVALIDARG, "E_INVALIDARG", 0x80070057u, "One or more arguments are not valid.")           \
    X(E_PENDING, "E_PENDING", 0x8000000Au,                                                         \
      "The data needed to complete the operation is not available yet.")                           \
    /* HRESULT_FROM_WIN32(ERROR_*) codes reported by the emulation. */                             \
    X(E_WIN32_FILE_NOT_FOUND, "HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)", 0x80070002u,             \
      "The specified file does not exist.")                                                        \
    X(E_WIN32_PATH_NOT_FOUND, "HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND)", 0x80070003u,             \
      "The specified path does not exist.")                                                        \
    X(E_WIN32_INVALID_DATA, "HRESULT_FROM_WIN32(ERROR_INVALID_DATA)", 0x8007000Du,                 \
      "The data is invalid.")                                                                      \
    X(E_WIN32_WRITE_FAULT, "HRESULT_FROM_WIN32(ERROR_WRITE_FAULT)", 0x8007001Du,                   \
      "The storage device could not be written to.")                                               \
    X(E_WIN32_READ_FAULT, "HRESULT_FROM_WIN32(ERROR_READ_FAULT)", 0x8007001Eu,                     \
      "The storage device could not be read from.")                                                \
    X(E_WIN32_LOCK_VIOLATION, "HRESULT_FROM_WIN32(ERROR_LOCK_VIOLATION)", 0x80070021u,             \
      "Part of the file is locked by another process.")                                            \
    X(E_WIN32_HANDLE_DISK_FULL, "HRESULT_FROM_WIN32(ERROR_HANDLE_DISK_FULL)", 0x80070027u,         \
      "The disk filled up while the file was being written.")                                      \
    X(E_WIN32_FILE_EXISTS, "HRESULT_FROM_WIN32(ERROR_FILE_EXISTS)", 0x80070050u,                   \
      "A file with that name already exists.")                                                     \
    X(E_WIN32_DISK_FULL, "HRESULT_FROM_WIN32(ERROR_DISK_FULL)", 0x80070070u,                       \
      "There is not enough free space on the disk.")                                               \
    X(E_WIN32_INVALID_NAME, "HRESULT_FROM_WIN32(ERROR_INVALID_NAME)", 0x8007007Bu,                 \
      "The file name, directory name or volume label has an invalid syntax.")                      \
    X(E_WIN32_BUSY, "HRESULT_FROM_WIN32(ERROR_BUSY)", 0x800700AAu,                                 \
      "The requested resource is busy.")                                                           \
    X(E_WIN32_ALREADY_EXISTS, "HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS)", 0x800700B7u,             \
      "The file or object to be created already exists.")                                          \
    X(E_WIN32_FILENAME_EXCED_RANGE, "HRESULT_FROM_WIN32(ERROR_FILENAME_EXCED_RANGE)", 0x800700CEu, \
      "The file name or path is too long.")                                                        \
    X(E_WIN32_CAN_NOT_COMPLETE, "HRESULT_FROM_WIN32(ERROR_CAN_NOT_COMPLETE)", 0x800703EBu,         \
      "The operation could not be completed, for example because no network route exists.")        \
    X(E_WIN32_SERVICE_REQUEST_TIMEOUT, "HRESULT_FROM_WIN32(ERROR_SERVICE_REQUEST_TIMEOUT)",        \
      0x8007041Du, "The service did not respond to the start request in time.")                    \
    X(E_WIN32_SERVICE_ALREADY_RUNNING, "HRESULT_FROM_WIN32(ERROR_SERVICE_ALREADY_RUNNING)",        \
      0x80070420u, "An instance of the service is already running.")                               \
    X(E_WIN32_SERVICE_NOT_ACTIVE, "HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE)", 0x80070426u,     \
      "The service has not been started.")                                                         \
    X(E_WIN32_REVISION_MISMATCH, "HRESULT_FROM_WIN32(ERROR_REVISION_MISMATCH)", 0x8007051Au,       \
      "Indicates two revision levels are incompatible.")                                           \
    X(E_WIN32_RESOURCE_LANG_NOT_FOUND, "HRESULT_FROM_WIN32(ERROR_RESOURCE_LANG_NOT_FOUND)",        \
      0x80070717u, "No message text is available for the requested language.")                     \
    /* WinHTTP errors: HRESULT_FROM_WIN32(ERROR_WINHTTP_*), codes 12000 + n. */                    \
    X(E_WINHTTP_TIMEOUT, "HRESULT_FROM_WIN32(ERROR_WINHTTP_TIMEOUT)", 0x80072EE2u,                 \
      "The network operation timed out.")                                                          \
    X(E_WINHTTP_INTERNAL_ERROR, "HRESULT_FROM_WIN32(ERROR_WINHTTP_INTERNAL_ERROR)", 0x80072EE4u,   \
      "The HTTP stack encountered an internal error.")                                             \
    X(E_WINHTTP_INVALID_URL, "HRESULT_FROM_WIN32(ERROR_WINHTTP_INVALID_URL)", 0x80072EE5u,         \
      "The URL is not valid.")                                                                     \
    X(E_WINHTTP_UNRECOGNIZED_SCHEME, "HRESULT_FROM_WIN32(ERROR_WINHTTP_UNRECOGNIZED_SCHEME)",      \
      0x80072EE6u, "The URL uses a scheme that is not supported.")                                 \
    X(E_WINHTTP_NAME_NOT_RESOLVED, "HRESULT_FROM_WIN32(ERROR_WINHTTP_NAME_NOT_RESOLVED)",          \
      0x80072EE7u, "The server name could not be resolved.")                                       \
    X(E_WINHTTP_CANNOT_CONNECT, "HRESULT_FROM_WIN32(ERROR_WINHTTP_CANNOT_CONNECT)", 0x80072EFDu,   \
      "A connection to the server could not be established.")                                      \
    X(E_WINHTTP_CONNECTION_ERROR, "HRESULT_FROM_WIN32(ERROR_WINHTTP_CONNECTION_ERROR)",            \
      0x80072EFEu, "The connection to the server was reset or ended unexpectedly.")                \
    X(E_WINHTTP_RESEND_REQUEST, "HRESULT_FROM_WIN32(ERROR_WINHTTP_RESEND_REQUEST)", 0x80072F00u,   \
      "The request has to be sent again, for example after a redirect or an authentication step.") \
    X(E_WINHTTP_SECURE_CERT_DATE_INVALID,                                                          \
      "HRESULT_FROM_WIN32(ERROR_WINHTTP_SECURE_CERT_DATE_INVALID)", 0x80072F05u,                   \
      "The server certificate has expired or is not yet valid.")                                   \
    X(E_WINHTTP_SECURE_CERT_CN_INVALID,                                                            \
      "HRESULT_FROM_WIN32(ERROR_WINHTTP_SECURE_CERT_CN_INVALID)", 0x80072F06u,                     \
      "The server certificate does not match the host name.")                                      \
    X(E_WINHTTP_SECURE_INVALID_CA, "HRESULT_FROM_WIN32(ERROR_WINHTTP_SECURE_INVALID_CA)",          \
      0x80072F0Du, "The server certificate chain does not end in a trusted root authority.")       \
    X(E_WINHTTP_SECURE_CERT_REV_FAILED,                                                            \
      "HRESULT_FROM_WIN32(ERROR_WINHTTP_SECURE_CERT_REV_FAILED)", 0x80072F19u,                     \
      "The revocation status of the server certificate could not be checked.")                     \
    X(E_WINHTTP_INVALID_SERVER_RESPONSE,                                                           \
      "HRESULT_FROM_WIN32(ERROR_WINHTTP_INVALID_SERVER_RESPONSE)", 0x80072F78u,                    \
      "The server sent a response that could not be parsed.")                                      \
    X(E_WINHTTP_REDIRECT_FAILED, "HRESULT_FROM_WIN32(ERROR_WINHTTP_REDIRECT_FAILED)", 0x80072F7Cu, \
      "An HTTP redirect could not be followed.")                                                   \
    X(E_WINHTTP_SECURE_CERT_REVOKED, "HRESULT_FROM_WIN32(ERROR_WINHTTP_SECURE_CERT_REVOKED)",      \
      0x80072F8Au, "The server certificate has been revoked.")                                     \
    X(E_WINHTTP_SECURE_FAILURE, "HRESULT_FROM_WIN32(ERROR_WINHTTP_SECURE_FAILURE)", 0x80072F8Fu,   \
      "The secure (TLS) connection failed, usually because the server certificate was rejected.")  \
    /* BITS success codes (facility 0x20), reference 4.1. */                                       \
    X(S_ERROR_CONTEXT_NONE, "BG_S_ERROR_CONTEXT_NONE", 0x00200006u,                                \
      "No error has occurred, so there is no error context.")                                      \
    X(S_PARTIAL_COMPLETE, "BG_S_PARTIAL_COMPLETE", 0x00200017u,                                    \
      "Only the files that finished transferring were kept; the rest were deleted.")               \
    X(S_UNABLE_TO_DELETE_FILES, "BG_S_UNABLE_TO_DELETE_FILES", 0x0020001Au,                        \
      "The job finished, but some of its temporary files could not be deleted.")                   \
    X(S_PROXY_CHANGED, "BG_S_PROXY_CHANGED", 0x0020002Au, "The proxy server in use has changed.")  \
    X(S_OVERRIDDEN_BY_POLICY, "BG_S_OVERRIDDEN_BY_POLICY", 0x00200055u,                            \
      "The setting was saved, but a Group Policy setting takes precedence over it.")               \
    /* BITS error codes (facility 0x20), reference 4.2; 0x2F-0x3D are old-header only. */          \
    X(E_NOT_FOUND, "BG_E_NOT_FOUND", 0x80200001u, "The requested job or item was not found.")      \
    X(E_INVALID_STATE, "BG_E_INVALID_STATE", 0x80200002u,                                          \
      "The requested action is not allowed in the current job state.")                             \
    X(E_EMPTY, "BG_E_EMPTY", 0x80200003u, "The job has no files to transfer.")                     \
    X(E_FILE_NOT_AVAILABLE, "BG_E_FILE_NOT_AVAILABLE", 0x80200004u,                                \
      "The error is not associated with a particular file.")                                       \
    X(E_PROTOCOL_NOT_AVAILABLE, "BG_E_PROTOCOL_NOT_AVAILABLE", 0x80200005u,                        \
      "The error is not associated with a transfer protocol.")                                     \
    X(E_ERROR_CONTEXT_UNKNOWN, "BG_E_ERROR_CONTEXT_UNKNOWN", 0x80200007u,                          \
      "The origin of the error is unknown.")                                                       \
    X(E_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, "BG_E_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER",           \
      0x80200008u, "The error was raised by the transfer queue manager itself.")                   \
    X(E_ERROR_CONTEXT_LOCAL_FILE, "BG_E_ERROR_CONTEXT_LOCAL_FILE", 0x80200009u,                    \
      "The error occurred while the local file was being processed.")                              \
    X(E_ERROR_CONTEXT_REMOTE_FILE, "BG_E_ERROR_CONTEXT_REMOTE_FILE", 0x8020000Au,                  \
      "The error occurred while the remote file was being processed.")                             \
    X(E_ERROR_CONTEXT_GENERAL_TRANSPORT, "BG_E_ERROR_CONTEXT_GENERAL_TRANSPORT", 0x8020000Bu,      \
      "The error occurred in the network transport layer.")                                        \
    X(E_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION, "BG_E_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION", \
      0x8020000Cu, "The error occurred while the application was being notified.")                 \
    X(E_DESTINATION_LOCKED, "BG_E_DESTINATION_LOCKED", 0x8020000Du,                                \
      "The destination volume is locked, for example by a disk check.")                            \
    X(E_VOLUME_CHANGED, "BG_E_VOLUME_CHANGED", 0x8020000Eu,                                        \
      "The destination volume was replaced by a different one.")                                   \
    X(E_ERROR_INFORMATION_UNAVAILABLE, "BG_E_ERROR_INFORMATION_UNAVAILABLE", 0x8020000Fu,          \
      "The job has no error information because no error has occurred.")                           \
    X(E_NETWORK_DISCONNECTED, "BG_E_NETWORK_DISCONNECTED", 0x80200010u,                            \
      "No network connection is available; the job will retry when one appears.")                  \
    X(E_MISSING_FILE_SIZE, "BG_E_MISSING_FILE_SIZE", 0x80200011u,                                  \
      "The server did not report the size of the file, so it cannot be transferred.")              \
    X(E_INSUFFICIENT_HTTP_SUPPORT, "BG_E_INSUFFICIENT_HTTP_SUPPORT", 0x80200012u,                  \
      "The server does not support the required HTTP/1.1 features.")                               \
    X(E_INSUFFICIENT_RANGE_SUPPORT, "BG_E_INSUFFICIENT_RANGE_SUPPORT", 0x80200013u,                \
      "The server or a proxy does not support HTTP range requests.")                               \
    X(E_REMOTE_NOT_SUPPORTED, "BG_E_REMOTE_NOT_SUPPORTED", 0x80200014u,                            \
      "Using the transfer service from a remote machine is not supported.")                        \
    X(E_NEW_OWNER_DIFF_MAPPING, "BG_E_NEW_OWNER_DIFF_MAPPING", 0x80200015u,                        \
      "The new owner's drive mapping differs from the previous owner's.")                          \
    X(E_NEW_OWNER_NO_FILE_ACCESS, "BG_E_NEW_OWNER_NO_FILE_ACCESS", 0x80200016u,                    \
      "The new owner cannot access the job's temporary files.")                                    \
    X(E_PROXY_LIST_TOO_LARGE, "BG_E_PROXY_LIST_TOO_LARGE", 0x80200018u,                            \
      "The proxy server list is too long.")                                                        \
    X(E_PROXY_BYPASS_LIST_TOO_LARGE, "BG_E_PROXY_BYPASS_LIST_TOO_LARGE", 0x80200019u,              \
      "The proxy bypass list is too long.")                                                        \
    X(E_INVALID_SERVER_RESPONSE, "BG_E_INVALID_SERVER_RESPONSE", 0x8020001Bu,                      \
      "The server sent a response that is not valid for the request.")                             \
    X(E_TOO_MANY_FILES, "BG_E_TOO_MANY_FILES", 0x8020001Cu,                                        \
      "An upload job can contain only one file.")                                                  \
    X(E_LOCAL_FILE_CHANGED, "BG_E_LOCAL_FILE_CHANGED", 0x8020001Du,                                \
      "The local file changed while it was being uploaded.")                                       \
    X(E_ERROR_CONTEXT_REMOTE_APPLICATION, "BG_E_ERROR_CONTEXT_REMOTE_APPLICATION", 0x8020001Eu,    \
      "The error was reported by the server application that received the upload.")                \
    X(E_SESSION_NOT_FOUND, "BG_E_SESSION_NOT_FOUND", 0x8020001Fu,                                  \
      "The upload server does not know the upload session.")                                       \
    X(E_TOO_LARGE, "BG_E_TOO_LARGE", 0x80200020u,                                                  \
      "The upload or reply is larger than the configured limit allows.")                           \
    X(E_STRING_TOO_LONG, "BG_E_STRING_TOO_LONG", 0x80200021u,                                      \
      "A string argument is longer than the maximum allowed length.")                              \
    X(E_CLIENT_SERVER_PROTOCOL_MISMATCH, "BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH", 0x80200022u,      \
      "The client and the upload server share no common protocol version.")                        \
    X(E_SERVER_EXECUTE_ENABLE, "BG_E_SERVER_EXECUTE_ENABLE", 0x80200023u,                          \
      "The upload directory on the server allows scripts or executables to run.")                  \
    X(E_NO_PROGRESS, "BG_E_NO_PROGRESS", 0x80200024u,                                              \
      "The job is not making progress; the server may be misconfigured.")                          \
    X(E_USERNAME_TOO_LARGE, "BG_E_USERNAME_TOO_LARGE", 0x80200025u, "The user name is too long.")  \
    X(E_PASSWORD_TOO_LARGE, "BG_E_PASSWORD_TOO_LARGE", 0x80200026u, "The password is too long.")   \
    X(E_INVALID_AUTH_TARGET, "BG_E_INVALID_AUTH_TARGET", 0x80200027u,                              \
      "The authentication target is not valid.")                                                   \
    X(E_INVALID_AUTH_SCHEME, "BG_E_INVALID_AUTH_SCHEME", 0x80200028u,                              \
      "The authentication scheme is not valid.")                                                   \
    X(E_FILE_NOT_FOUND, "BG_E_FILE_NOT_FOUND", 0x80200029u,                                        \
      "The specified file is not part of the job.")                                                \
    X(E_INVALID_RANGE, "BG_E_INVALID_RANGE", 0x8020002Bu,                                          \
      "A byte range is not valid or lies beyond the end of the file.")                             \
    X(E_OVERLAPPING_RANGES, "BG_E_OVERLAPPING_RANGES", 0x8020002Cu,                                \
      "Two or more of the requested byte ranges overlap.")                                         \
    X(E_CONNECT_FAILURE, "BG_E_CONNECT_FAILURE", 0x8020002Du,                                      \
      "A connection to the server could not be established.")                                      \
    X(E_CONNECTION_CLOSED, "BG_E_CONNECTION_CLOSED", 0x8020002Eu,                                  \
      "The connection was closed before the transfer finished.")                                   \
    X(E_KEEP_ALIVE_FAILURE, "BG_E_KEEP_ALIVE_FAILURE", 0x8020002Fu,                                \
      "A persistent connection was closed by the server unexpectedly.")                            \
    X(E_MESSAGE_LENGTH_LIMIT_EXCEEDED, "BG_E_MESSAGE_LENGTH_LIMIT_EXCEEDED", 0x80200030u,          \
      "A message exceeded the maximum allowed length.")                                            \
    X(E_NAME_RESOLUTION_FAILURE, "BG_E_NAME_RESOLUTION_FAILURE", 0x80200031u,                      \
      "The server host name could not be resolved.")                                               \
    X(BG_E_PENDING, "BG_E_PENDING", 0x80200032u,                                                   \
      "An internal asynchronous request is still pending.")                                        \
    X(E_PIPELINE_FAILURE, "BG_E_PIPELINE_FAILURE", 0x80200033u,                                    \
      "A pipelined HTTP request failed.")                                                          \
    X(E_PROTOCOL_ERROR, "BG_E_PROTOCOL_ERROR", 0x80200034u,                                        \
      "The server response violated the protocol.")                                                \
    X(E_PROXY_NAME_RESOLUTION_FAILURE, "BG_E_PROXY_NAME_RESOLUTION_FAILURE", 0x80200035u,          \
      "The proxy server name could not be resolved.")                                              \
    X(E_RECEIVE_FAILURE, "BG_E_RECEIVE_FAILURE", 0x80200036u,                                      \
      "A complete response was not received from the server.")                                     \
    X(E_REQUEST_CANCELED, "BG_E_REQUEST_CANCELED", 0x80200037u, "The request was canceled.")       \
    X(E_SECURE_CHANNEL_FAILURE, "BG_E_SECURE_CHANNEL_FAILURE", 0x80200038u,                        \
      "A secure (TLS) connection to the server could not be set up.")                              \
    X(E_SEND_FAILURE, "BG_E_SEND_FAILURE", 0x80200039u,                                            \
      "The request could not be sent to the server.")                                              \
    X(E_SERVER_PROTOCOL_VIOLATION, "BG_E_SERVER_PROTOCOL_VIOLATION", 0x8020003Au,                  \
      "The server sent a response that is not valid HTTP.")                                        \
    X(E_TIMEOUT, "BG_E_TIMEOUT", 0x8020003Bu,                                                      \
      "The operation did not finish within the allowed time.")                                     \
    X(E_TRUST_FAILURE, "BG_E_TRUST_FAILURE", 0x8020003Cu,                                          \
      "The server certificate could not be validated.")                                            \
    X(E_UNKNOWN_ERROR, "BG_E_UNKNOWN_ERROR", 0x8020003Du, "An unknown error occurred.")            \
    X(E_BLOCKED_BY_POLICY, "BG_E_BLOCKED_BY_POLICY", 0x8020003Eu,                                  \
      "Group Policy does not allow background transfers at this time.")                            \
    X(E_INVALID_PROXY_INFO, "BG_E_INVALID_PROXY_INFO", 0x8020003Fu,                                \
      "The proxy list or proxy bypass list is not valid.")                                         \
    X(E_INVALID_CREDENTIALS, "BG_E_INVALID_CREDENTIALS", 0x80200040u,                              \
      "The credentials are not in a valid format.")                                                \
    X(E_INVALID_HASH_ALGORITHM, "BG_E_INVALID_HASH_ALGORITHM", 0x80200041u,                        \
      "The hash algorithm is not supported.")                                                      \
    X(E_RECORD_DELETED, "BG_E_RECORD_DELETED", 0x80200042u, "The peer cache record was deleted.")  \
    X(E_COMMIT_IN_PROGRESS, "BG_E_COMMIT_IN_PROGRESS", 0x80200043u,                                \
      "The peer cache record is being updated by another operation.")                              \
    X(E_DISCOVERY_IN_PROGRESS, "BG_E_DISCOVERY_IN_PROGRESS", 0x80200044u,                          \
      "Peer discovery is already in progress.")                                                    \
    X(E_UPNP_ERROR, "BG_E_UPNP_ERROR", 0x80200045u,                                                \
      "An error occurred while talking to the Internet gateway device.")                           \
    X(E_TEST_OPTION_BLOCKED_DOWNLOAD, "BG_E_TEST_OPTION_BLOCKED_DOWNLOAD", 0x80200046u,            \
      "A test option blocked the download.")                                                       \
    X(E_PEERCACHING_DISABLED, "BG_E_PEERCACHING_DISABLED", 0x80200047u,                            \
      "Peer caching is disabled.")                                                                 \
    X(E_BUSYCACHERECORD, "BG_E_BUSYCACHERECORD", 0x80200048u, "The peer cache record is in use.")  \
    X(E_TOO_MANY_JOBS_PER_USER, "BG_E_TOO_MANY_JOBS_PER_USER", 0x80200049u,                        \
      "The user already has the maximum number of jobs allowed.")                                  \
    X(E_TOO_MANY_JOBS_PER_MACHINE, "BG_E_TOO_MANY_JOBS_PER_MACHINE", 0x80200050u,                  \
      "The machine already has the maximum number of jobs allowed.")                               \
    X(E_TOO_MANY_FILES_IN_JOB, "BG_E_TOO_MANY_FILES_IN_JOB", 0x80200051u,                          \
      "The job already contains the maximum number of files allowed.")                             \
    X(E_TOO_MANY_RANGES_IN_FILE, "BG_E_TOO_MANY_RANGES_IN_FILE", 0x80200052u,                      \
      "The file already has the maximum number of byte ranges allowed.")                           \
    X(E_VALIDATION_FAILED, "BG_E_VALIDATION_FAILED", 0x80200053u,                                  \
      "The application rejected the downloaded content as not valid.")                             \
    X(E_MAXDOWNLOAD_TIMEOUT, "BG_E_MAXDOWNLOAD_TIMEOUT", 0x80200054u,                              \
      "The job did not finish within its maximum download time.")                                  \
    X(E_TOKEN_REQUIRED, "BG_E_TOKEN_REQUIRED", 0x80200056u,                                        \
      "The job needs a helper token that has not been provided.")                                  \
    X(E_UNKNOWN_PROPERTY_ID, "BG_E_UNKNOWN_PROPERTY_ID", 0x80200057u,                              \
      "The property identifier is not known.")                                                     \
    X(E_READ_ONLY_PROPERTY, "BG_E_READ_ONLY_PROPERTY", 0x80200058u, "The property is read-only.")  \
    X(E_BLOCKED_BY_COST_TRANSFER_POLICY, "BG_E_BLOCKED_BY_COST_TRANSFER_POLICY", 0x80200059u,      \
      "The job's cost policy does not allow transfers on the current network.")                    \
    X(E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY,                                                 \
      "BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY", 0x80200060u,                               \
      "The property can be set only on download jobs.")                                            \
    X(E_READ_ONLY_PROPERTY_AFTER_ADDFILE, "BG_E_READ_ONLY_PROPERTY_AFTER_ADDFILE", 0x80200061u,    \
      "The property cannot be changed once a file has been added to the job.")                     \
    X(E_READ_ONLY_PROPERTY_AFTER_RESUME, "BG_E_READ_ONLY_PROPERTY_AFTER_RESUME", 0x80200062u,      \
      "The property cannot be changed once the job has been resumed.")                             \
    X(E_MAX_DOWNLOAD_SIZE_INVALID_VALUE, "BG_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE", 0x80200063u,      \
      "The maximum download size must be greater than zero.")                                      \
    X(E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED, "BG_E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED", 0x80200064u,      \
      "The download exceeded the job's maximum download size.")                                    \
    X(E_STANDBY_MODE, "BG_E_STANDBY_MODE", 0x80200065u,                                            \
      "The transfer is paused while the machine is in standby or power-saving mode.")              \
    X(E_USE_STORED_CREDENTIALS_NOT_SUPPORTED, "BG_E_USE_STORED_CREDENTIALS_NOT_SUPPORTED",         \
      0x80200066u, "Stored credentials can be used only for proxy authentication.")                \
    X(E_BLOCKED_BY_BATTERY_POLICY, "BG_E_BLOCKED_BY_BATTERY_POLICY", 0x80200067u,                  \
      "The transfer is paused while the machine runs on battery power.")                           \
    X(E_BLOCKED_BY_BATTERY_SAVER, "BG_E_BLOCKED_BY_BATTERY_SAVER", 0x80200068u,                    \
      "The transfer is paused while battery saver is on.")                                         \
    X(E_WATCHDOG_TIMEOUT, "BG_E_WATCHDOG_TIMEOUT", 0x80200069u,                                    \
      "An internal operation took longer than expected.")                                          \
    X(E_APP_PACKAGE_NOT_FOUND, "BG_E_APP_PACKAGE_NOT_FOUND", 0x8020006Au,                          \
      "No application package matches the job owner or the caller.")                               \
    X(E_APP_PACKAGE_SCENARIO_NOT_SUPPORTED, "BG_E_APP_PACKAGE_SCENARIO_NOT_SUPPORTED",             \
      0x8020006Bu, "Use by packaged applications is not supported on this device.")                \
    X(E_DATABASE_CORRUPT, "BG_E_DATABASE_CORRUPT", 0x8020006Cu,                                    \
      "The job database is corrupt and will be repaired on restart.")                              \
    X(E_RANDOM_ACCESS_NOT_SUPPORTED, "BG_E_RANDOM_ACCESS_NOT_SUPPORTED", 0x8020006Du,              \
      "On-demand (random access) transfer is not supported for this job or server.")               \
    X(E_BLOCKED_BY_BACKGROUND_ACCESS_POLICY, "BG_E_BLOCKED_BY_BACKGROUND_ACCESS_POLICY",           \
      0x8020006Eu, "The owning application is not allowed to transfer in the background.")         \
    X(E_BLOCKED_BY_GAME_MODE, "BG_E_BLOCKED_BY_GAME_MODE", 0x8020006Fu,                            \
      "The transfer is paused while another application is in game mode.")                         \
    X(E_BLOCKED_BY_SYSTEM_POLICY, "BG_E_BLOCKED_BY_SYSTEM_POLICY", 0x80200070u,                    \
      "The transfer is paused because system resources are constrained.")                          \
    X(E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD, "BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD",       \
      0x80200071u, "The action is not supported for jobs that use a custom HTTP method.")          \
    X(E_UNSUPPORTED_JOB_CONFIGURATION, "BG_E_UNSUPPORTED_JOB_CONFIGURATION", 0x80200072u,          \
      "The action is not supported with the job's current configuration.")                         \
    X(E_REMOTE_FILE_CHANGED, "BG_E_REMOTE_FILE_CHANGED", 0x80200073u,                              \
      "The remote file changed during the transfer; resume the job to retry.")                     \
    X(E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED,                                                 \
      "BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED", 0x80200074u,                               \
      "The server certificate validation callback is registered but no longer available.")         \
    X(E_READ_ONLY_WHEN_JOB_ACTIVE, "BG_E_READ_ONLY_WHEN_JOB_ACTIVE", 0x80200075u,                  \
      "The action is allowed only while the job is suspended, in error or transferred.")           \
    X(E_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK,                                                 \
      "BG_E_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK", 0x80200076u,                               \
      "The application's server certificate callback rejected the certificate.")                   \
    /* Legacy QMgr (BITS 1.0 group API) codes, reference 4.2 (never returned by bgcopy). */        \
    X(E_QM_INVALID_STATE, "QM_E_INVALID_STATE", 0x81001001u,                                       \
      "The legacy QMgr group is in a state that does not allow the operation.")                    \
    X(E_QM_SERVICE_UNAVAILABLE, "QM_E_SERVICE_UNAVAILABLE", 0x81001002u,                           \
      "The legacy QMgr service is not available.")                                                 \
    X(E_QM_DOWNLOADER_UNAVAILABLE, "QM_E_DOWNLOADER_UNAVAILABLE", 0x81001003u,                     \
      "The legacy QMgr downloader is not available.")                                              \
    X(E_QM_ITEM_NOT_FOUND, "QM_E_ITEM_NOT_FOUND", 0x81001004u,                                     \
      "The legacy QMgr item was not found.")                                                       \
    /* HTTP status HRESULTs (facility 0x19, 0x80190000 + status), reference 4.3. */                \
    X(E_HTTP_ERROR_100, "BG_E_HTTP_ERROR_100", 0x80190064u,                                        \
      "The server returned HTTP status 100 (Continue): the server sent an interim response "       \
      "where a final one was expected.")                                                           \
    X(E_HTTP_ERROR_101, "BG_E_HTTP_ERROR_101", 0x80190065u,                                        \
      "The server returned HTTP status 101 (Switching Protocols): the server tried to switch to "  \
      "a different protocol.")                                                                     \
    X(E_HTTP_ERROR_200, "BG_E_HTTP_ERROR_200", 0x801900C8u,                                        \
      "The server returned HTTP status 200 (OK): the response did not follow the expected "        \
      "protocol; resuming the job may help.")                                                      \
    X(E_HTTP_ERROR_201, "BG_E_HTTP_ERROR_201", 0x801900C9u,                                        \
      "The server returned HTTP status 201 (Created): the server created a resource instead of "   \
      "returning the requested content.")                                                          \
    X(E_HTTP_ERROR_202, "BG_E_HTTP_ERROR_202", 0x801900CAu,                                        \
      "The server returned HTTP status 202 (Accepted): the request was accepted but has not "      \
      "been processed yet.")                                                                       \
    X(E_HTTP_ERROR_203, "BG_E_HTTP_ERROR_203", 0x801900CBu,                                        \
      "The server returned HTTP status 203 (Non-Authoritative Information): the response was "     \
      "altered by an intermediary rather than sent by the origin server.")                         \
    X(E_HTTP_ERROR_204, "BG_E_HTTP_ERROR_204", 0x801900CCu,                                        \
      "The server returned HTTP status 204 (No Content): the server returned no content for the "  \
      "request.")                                                                                  \
    X(E_HTTP_ERROR_205, "BG_E_HTTP_ERROR_205", 0x801900CDu,                                        \
      "The server returned HTTP status 205 (Reset Content): the response did not follow the "      \
      "expected protocol; resuming the job may help.")                                             \
    X(E_HTTP_ERROR_206, "BG_E_HTTP_ERROR_206", 0x801900CEu,                                        \
      "The server returned HTTP status 206 (Partial Content): the server returned a partial "      \
      "response that was not expected.")                                                           \
    X(E_HTTP_ERROR_300, "BG_E_HTTP_ERROR_300", 0x8019012Cu,                                        \
      "The server returned HTTP status 300 (Multiple Choices): the URL refers to several "         \
      "possible resources.")                                                                       \
    X(E_HTTP_ERROR_301, "BG_E_HTTP_ERROR_301", 0x8019012Du,                                        \
      "The server returned HTTP status 301 (Moved Permanently): the resource has moved to a new "  \
      "permanent URL.")                                                                            \
    X(E_HTTP_ERROR_302, "BG_E_HTTP_ERROR_302", 0x8019012Eu,                                        \
      "The server returned HTTP status 302 (Found): the resource is temporarily available at "     \
      "another URL.")                                                                              \
    X(E_HTTP_ERROR_303, "BG_E_HTTP_ERROR_303", 0x8019012Fu,                                        \
      "The server returned HTTP status 303 (See Other): the response must be fetched from "        \
      "another URL.")                                                                              \
    X(E_HTTP_ERROR_304, "BG_E_HTTP_ERROR_304", 0x80190130u,                                        \
      "The server returned HTTP status 304 (Not Modified): the response did not follow the "       \
      "expected protocol; resuming the job may help.")                                             \
    X(E_HTTP_ERROR_305, "BG_E_HTTP_ERROR_305", 0x80190131u,                                        \
      "The server returned HTTP status 305 (Use Proxy): the resource must be accessed through a "  \
      "proxy.")                                                                                    \
    X(E_HTTP_ERROR_307, "BG_E_HTTP_ERROR_307", 0x80190133u,                                        \
      "The server returned HTTP status 307 (Temporary Redirect): the resource is temporarily at "  \
      "another URL and must be requested with the same method.")                                   \
    X(E_HTTP_ERROR_400, "BG_E_HTTP_ERROR_400", 0x80190190u,                                        \
      "The server returned HTTP status 400 (Bad Request): the server could not understand the "    \
      "request.")                                                                                  \
    X(E_HTTP_ERROR_401, "BG_E_HTTP_ERROR_401", 0x80190191u,                                        \
      "The server returned HTTP status 401 (Unauthorized): the server requires authentication "    \
      "or rejected the credentials.")                                                              \
    X(E_HTTP_ERROR_402, "BG_E_HTTP_ERROR_402", 0x80190192u,                                        \
      "The server returned HTTP status 402 (Payment Required): the server requires payment "       \
      "before granting access.")                                                                   \
    X(E_HTTP_ERROR_403, "BG_E_HTTP_ERROR_403", 0x80190193u,                                        \
      "The server returned HTTP status 403 (Forbidden): the server refused access to the "         \
      "resource.")                                                                                 \
    X(E_HTTP_ERROR_404, "BG_E_HTTP_ERROR_404", 0x80190194u,                                        \
      "The server returned HTTP status 404 (Not Found): the requested URL does not exist on the "  \
      "server.")                                                                                   \
    X(E_HTTP_ERROR_405, "BG_E_HTTP_ERROR_405", 0x80190195u,                                        \
      "The server returned HTTP status 405 (Method Not Allowed): the server does not allow this "  \
      "HTTP method for the URL.")                                                                  \
    X(E_HTTP_ERROR_406, "BG_E_HTTP_ERROR_406", 0x80190196u,                                        \
      "The server returned HTTP status 406 (Not Acceptable): the server has no representation "    \
      "matching the request's Accept headers.")                                                    \
    X(E_HTTP_ERROR_407, "BG_E_HTTP_ERROR_407", 0x80190197u,                                        \
      "The server returned HTTP status 407 (Proxy Authentication Required): the proxy requires "   \
      "authentication or rejected the credentials.")                                               \
    X(E_HTTP_ERROR_408, "BG_E_HTTP_ERROR_408", 0x80190198u,                                        \
      "The server returned HTTP status 408 (Request Timeout): the server timed out waiting for "   \
      "the request.")                                                                              \
    X(E_HTTP_ERROR_409, "BG_E_HTTP_ERROR_409", 0x80190199u,                                        \
      "The server returned HTTP status 409 (Conflict): the request conflicts with the current "    \
      "state of the resource.")                                                                    \
    X(E_HTTP_ERROR_410, "BG_E_HTTP_ERROR_410", 0x8019019Au,                                        \
      "The server returned HTTP status 410 (Gone): the resource has been permanently removed "     \
      "from the server.")                                                                          \
    X(E_HTTP_ERROR_411, "BG_E_HTTP_ERROR_411", 0x8019019Bu,                                        \
      "The server returned HTTP status 411 (Length Required): the server requires a "              \
      "Content-Length header.")                                                                    \
    X(E_HTTP_ERROR_412, "BG_E_HTTP_ERROR_412", 0x8019019Cu,                                        \
      "The server returned HTTP status 412 (Precondition Failed): a precondition in the request "  \
      "headers was not met.")                                                                      \
    X(E_HTTP_ERROR_413, "BG_E_HTTP_ERROR_413", 0x8019019Du,                                        \
      "The server returned HTTP status 413 (Request Entity Too Large): the request body is "       \
      "larger than the server accepts.")                                                           \
    X(E_HTTP_ERROR_414, "BG_E_HTTP_ERROR_414", 0x8019019Eu,                                        \
      "The server returned HTTP status 414 (Request-URI Too Long): the URL is longer than the "    \
      "server accepts.")                                                                           \
    X(E_HTTP_ERROR_415, "BG_E_HTTP_ERROR_415", 0x8019019Fu,                                        \
      "The server returned HTTP status 415 (Unsupported Media Type): the server does not accept "  \
      "the content type of the request.")                                                          \
    X(E_HTTP_ERROR_416, "BG_E_HTTP_ERROR_416", 0x801901A0u,                                        \
      "The server returned HTTP status 416 (Requested Range Not Satisfiable): the requested "      \
      "byte range lies outside the resource.")                                                     \
    X(E_HTTP_ERROR_417, "BG_E_HTTP_ERROR_417", 0x801901A1u,                                        \
      "The server returned HTTP status 417 (Expectation Failed): the server cannot meet the "      \
      "request's Expect header.")                                                                  \
    X(E_HTTP_ERROR_449, "BG_E_HTTP_ERROR_449", 0x801901C1u,                                        \
      "The server returned HTTP status 449 (Retry With): the server asks for the request to be "   \
      "retried with more information.")                                                            \
    X(E_HTTP_ERROR_500, "BG_E_HTTP_ERROR_500", 0x801901F4u,                                        \
      "The server returned HTTP status 500 (Internal Server Error): the server failed while "      \
      "processing the request.")                                                                   \
    X(E_HTTP_ERROR_501, "BG_E_HTTP_ERROR_501", 0x801901F5u,                                        \
      "The server returned HTTP status 501 (Not Implemented): the server does not support the "    \
      "requested function.")                                                                       \
    X(E_HTTP_ERROR_502, "BG_E_HTTP_ERROR_502", 0x801901F6u,                                        \
      "The server returned HTTP status 502 (Bad Gateway): a gateway or proxy received an "         \
      "invalid response from the upstream server.")                                                \
    X(E_HTTP_ERROR_503, "BG_E_HTTP_ERROR_503", 0x801901F7u,                                        \
      "The server returned HTTP status 503 (Service Unavailable): the server is overloaded or "    \
      "down for maintenance; try again later.")                                                    \
    X(E_HTTP_ERROR_504, "BG_E_HTTP_ERROR_504", 0x801901F8u,                                        \
      "The server returned HTTP status 504 (Gateway Timeout): a gateway or proxy timed out "       \
      "waiting for the upstream server.")                                                          \
    X(E_HTTP_ERROR_505, "BG_E_HTTP_ERROR_505", 0x801901F9u,                                        \
      "The server returned HTTP status 505 (HTTP Version Not Supported): the server does not "     \
      "support the HTTP version of the request.")                                                  \
    /* Event-log message IDs of bitsmsg.h, reference 4.2 (never returned by bgcopy). */            \
    X(E_MC_JOB_CANCELLED, "BITS_MC_JOB_CANCELLED", 0x80194000u,                                    \
      "Event: a user cancelled the job.")                                                          \
    X(E_MC_FILE_DELETION_FAILED, "BITS_MC_FILE_DELETION_FAILED", 0x80194001u,                      \
      "Event: a temporary file of the cancelled or completed job could not be deleted.")           \
    X(E_MC_FILE_DELETION_FAILED_MORE, "BITS_MC_FILE_DELETION_FAILED_MORE", 0x80194002u,            \
      "Event: more temporary files of the job could not be deleted.")                              \
    X(E_MC_JOB_PROPERTY_CHANGE, "BITS_MC_JOB_PROPERTY_CHANGE", 0x80194003u,                        \
      "Event: an administrator changed a property of the job.")                                    \
    X(E_MC_JOB_TAKE_OWNERSHIP, "BITS_MC_JOB_TAKE_OWNERSHIP", 0x80194004u,                          \
      "Event: an administrator took ownership of the job.")                                        \
    X(E_MC_JOB_SCAVENGED, "BITS_MC_JOB_SCAVENGED", 0x80194005u,                                    \
      "Event: the job was cancelled after being inactive for the inactivity timeout.")             \
    X(E_MC_JOB_NOTIFICATION_FAILURE, "BITS_MC_JOB_NOTIFICATION_FAILURE", 0x80194006u,              \
      "Event: the job's notification failed; it will be tried again later.")                       \
    X(E_MC_STATE_FILE_CORRUPT, "BITS_MC_STATE_FILE_CORRUPT", 0x80194007u,                          \
      "Event: the job list was corrupt and has been cleared.")                                     \
    X(E_MC_FAILED_TO_START, "BITS_MC_FAILED_TO_START", 0x80194008u,                                \
      "Event: the service failed to start.")                                                       \
    X(E_MC_FATAL_IGD_ERROR, "BITS_MC_FATAL_IGD_ERROR", 0x80194009u,                                \
      "Event: a fatal error from the Internet gateway device; bandwidth is no longer measured "    \
      "there.")                                                                                    \
    X(E_MC_PEERCACHING_PORT, "BITS_MC_PEERCACHING_PORT", 0x8019400Au,                              \
      "Event: the peer-caching port is blocked by the firewall.")                                  \
    X(E_MC_WSD_PORT, "BITS_MC_WSD_PORT", 0x8019400Bu,                                              \
      "Event: the Web Services for Devices port is blocked by the firewall.")                      \
    /* end of BGCOPY_HR_TABLE */

/* BEGIN GENERATED CONSTANTS: written by tools/gen-errors.py from BGCOPY_HR_TABLE. */
/** S_OK: The operation completed successfully. */
#define BGCOPY_S_OK ((bgcopy_hr)0x00000000u)
/** S_FALSE: The operation succeeded but produced a false, empty or partial result. */
#define BGCOPY_S_FALSE ((bgcopy_hr)0x00000001u)
/** E_NOTIMPL: The requested operation is not implemented. */
#define BGCOPY_E_NOTIMPL ((bgcopy_hr)0x80004001u)
/** E_NOINTERFACE: The object does not support the requested interface. */
#define BGCOPY_E_NOINTERFACE ((bgcopy_hr)0x80004002u)
/** E_POINTER: A required pointer argument was NULL or invalid. */
#define BGCOPY_E_POINTER ((bgcopy_hr)0x80004003u)
/** E_ABORT: The operation was aborted. */
#define BGCOPY_E_ABORT ((bgcopy_hr)0x80004004u)
/** E_FAIL: The operation failed for an unspecified reason. */
#define BGCOPY_E_FAIL ((bgcopy_hr)0x80004005u)
/** E_UNEXPECTED: An unexpected internal failure occurred. */
#define BGCOPY_E_UNEXPECTED ((bgcopy_hr)0x8000FFFFu)
/** RPC_E_DISCONNECTED: The object invoked has disconnected from its clients (the service went
 * away). */
#define BGCOPY_E_RPC_DISCONNECTED ((bgcopy_hr)0x80010108u)
/** E_ACCESSDENIED: Access to the job, file or resource was denied. */
#define BGCOPY_E_ACCESSDENIED ((bgcopy_hr)0x80070005u)
/** E_OUTOFMEMORY: There was not enough memory to complete the operation. */
#define BGCOPY_E_OUTOFMEMORY ((bgcopy_hr)0x8007000Eu)
/** E_INVALIDARG: One or more arguments are not valid. */
#define BGCOPY_E_INVALIDARG ((bgcopy_hr)0x80070057u)
/** E_PENDING: The data needed to complete the operation is not available yet. */
#define BGCOPY_E_PENDING ((bgcopy_hr)0x8000000Au)
/** HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND): The specified file does not exist. */
#define BGCOPY_E_WIN32_FILE_NOT_FOUND ((bgcopy_hr)0x80070002u)
/** HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND): The specified path does not exist. */
#define BGCOPY_E_WIN32_PATH_NOT_FOUND ((bgcopy_hr)0x80070003u)
/** HRESULT_FROM_WIN32(ERROR_INVALID_DATA): The data is invalid. */
#define BGCOPY_E_WIN32_INVALID_DATA ((bgcopy_hr)0x8007000Du)
/** HRESULT_FROM_WIN32(ERROR_WRITE_FAULT): The storage device could not be written to. */
#define BGCOPY_E_WIN32_WRITE_FAULT ((bgcopy_hr)0x8007001Du)
/** HRESULT_FROM_WIN32(ERROR_READ_FAULT): The storage device could not be read from. */
#define BGCOPY_E_WIN32_READ_FAULT ((bgcopy_hr)0x8007001Eu)
/** HRESULT_FROM_WIN32(ERROR_LOCK_VIOLATION): Part of the file is locked by another process. */
#define BGCOPY_E_WIN32_LOCK_VIOLATION ((bgcopy_hr)0x80070021u)
/** HRESULT_FROM_WIN32(ERROR_HANDLE_DISK_FULL): The disk filled up while the file was being
 * written. */
#define BGCOPY_E_WIN32_HANDLE_DISK_FULL ((bgcopy_hr)0x80070027u)
/** HRESULT_FROM_WIN32(ERROR_FILE_EXISTS): A file with that name already exists. */
#define BGCOPY_E_WIN32_FILE_EXISTS ((bgcopy_hr)0x80070050u)
/** HRESULT_FROM_WIN32(ERROR_DISK_FULL): There is not enough free space on the disk. */
#define BGCOPY_E_WIN32_DISK_FULL ((bgcopy_hr)0x80070070u)
/** HRESULT_FROM_WIN32(ERROR_INVALID_NAME): The file name, directory name or volume label has an
 * invalid syntax. */
#define BGCOPY_E_WIN32_INVALID_NAME ((bgcopy_hr)0x8007007Bu)
/** HRESULT_FROM_WIN32(ERROR_BUSY): The requested resource is busy. */
#define BGCOPY_E_WIN32_BUSY ((bgcopy_hr)0x800700AAu)
/** HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS): The file or object to be created already exists. */
#define BGCOPY_E_WIN32_ALREADY_EXISTS ((bgcopy_hr)0x800700B7u)
/** HRESULT_FROM_WIN32(ERROR_FILENAME_EXCED_RANGE): The file name or path is too long. */
#define BGCOPY_E_WIN32_FILENAME_EXCED_RANGE ((bgcopy_hr)0x800700CEu)
/** HRESULT_FROM_WIN32(ERROR_CAN_NOT_COMPLETE): The operation could not be completed, for example
 * because no network route exists. */
#define BGCOPY_E_WIN32_CAN_NOT_COMPLETE ((bgcopy_hr)0x800703EBu)
/** HRESULT_FROM_WIN32(ERROR_SERVICE_REQUEST_TIMEOUT): The service did not respond to the start
 * request in time. */
#define BGCOPY_E_WIN32_SERVICE_REQUEST_TIMEOUT ((bgcopy_hr)0x8007041Du)
/** HRESULT_FROM_WIN32(ERROR_SERVICE_ALREADY_RUNNING): An instance of the service is already
 * running. */
#define BGCOPY_E_WIN32_SERVICE_ALREADY_RUNNING ((bgcopy_hr)0x80070420u)
/** HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE): The service has not been started. */
#define BGCOPY_E_WIN32_SERVICE_NOT_ACTIVE ((bgcopy_hr)0x80070426u)
/** HRESULT_FROM_WIN32(ERROR_REVISION_MISMATCH): Indicates two revision levels are incompatible. */
#define BGCOPY_E_WIN32_REVISION_MISMATCH ((bgcopy_hr)0x8007051Au)
/** HRESULT_FROM_WIN32(ERROR_RESOURCE_LANG_NOT_FOUND): No message text is available for the
 * requested language. */
#define BGCOPY_E_WIN32_RESOURCE_LANG_NOT_FOUND ((bgcopy_hr)0x80070717u)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_TIMEOUT): The network operation timed out. */
#define BGCOPY_E_WINHTTP_TIMEOUT ((bgcopy_hr)0x80072EE2u)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_INTERNAL_ERROR): The HTTP stack encountered an internal
 * error. */
#define BGCOPY_E_WINHTTP_INTERNAL_ERROR ((bgcopy_hr)0x80072EE4u)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_INVALID_URL): The URL is not valid. */
#define BGCOPY_E_WINHTTP_INVALID_URL ((bgcopy_hr)0x80072EE5u)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_UNRECOGNIZED_SCHEME): The URL uses a scheme that is not
 * supported. */
#define BGCOPY_E_WINHTTP_UNRECOGNIZED_SCHEME ((bgcopy_hr)0x80072EE6u)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_NAME_NOT_RESOLVED): The server name could not be resolved. */
#define BGCOPY_E_WINHTTP_NAME_NOT_RESOLVED ((bgcopy_hr)0x80072EE7u)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_CANNOT_CONNECT): A connection to the server could not be
 * established. */
#define BGCOPY_E_WINHTTP_CANNOT_CONNECT ((bgcopy_hr)0x80072EFDu)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_CONNECTION_ERROR): The connection to the server was reset or
 * ended unexpectedly. */
#define BGCOPY_E_WINHTTP_CONNECTION_ERROR ((bgcopy_hr)0x80072EFEu)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_RESEND_REQUEST): The request has to be sent again, for
 * example after a redirect or an authentication step. */
#define BGCOPY_E_WINHTTP_RESEND_REQUEST ((bgcopy_hr)0x80072F00u)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_SECURE_CERT_DATE_INVALID): The server certificate has
 * expired or is not yet valid. */
#define BGCOPY_E_WINHTTP_SECURE_CERT_DATE_INVALID ((bgcopy_hr)0x80072F05u)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_SECURE_CERT_CN_INVALID): The server certificate does not
 * match the host name. */
#define BGCOPY_E_WINHTTP_SECURE_CERT_CN_INVALID ((bgcopy_hr)0x80072F06u)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_SECURE_INVALID_CA): The server certificate chain does not
 * end in a trusted root authority. */
#define BGCOPY_E_WINHTTP_SECURE_INVALID_CA ((bgcopy_hr)0x80072F0Du)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_SECURE_CERT_REV_FAILED): The revocation status of the server
 * certificate could not be checked. */
#define BGCOPY_E_WINHTTP_SECURE_CERT_REV_FAILED ((bgcopy_hr)0x80072F19u)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_INVALID_SERVER_RESPONSE): The server sent a response that
 * could not be parsed. */
#define BGCOPY_E_WINHTTP_INVALID_SERVER_RESPONSE ((bgcopy_hr)0x80072F78u)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_REDIRECT_FAILED): An HTTP redirect could not be followed. */
#define BGCOPY_E_WINHTTP_REDIRECT_FAILED ((bgcopy_hr)0x80072F7Cu)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_SECURE_CERT_REVOKED): The server certificate has been
 * revoked. */
#define BGCOPY_E_WINHTTP_SECURE_CERT_REVOKED ((bgcopy_hr)0x80072F8Au)
/** HRESULT_FROM_WIN32(ERROR_WINHTTP_SECURE_FAILURE): The secure (TLS) connection failed, usually
 * because the server certificate was rejected. */
#define BGCOPY_E_WINHTTP_SECURE_FAILURE ((bgcopy_hr)0x80072F8Fu)
/** BG_S_ERROR_CONTEXT_NONE: No error has occurred, so there is no error context. */
#define BGCOPY_S_ERROR_CONTEXT_NONE ((bgcopy_hr)0x00200006u)
/** BG_S_PARTIAL_COMPLETE: Only the files that finished transferring were kept; the rest were
 * deleted. */
#define BGCOPY_S_PARTIAL_COMPLETE ((bgcopy_hr)0x00200017u)
/** BG_S_UNABLE_TO_DELETE_FILES: The job finished, but some of its temporary files could not be
 * deleted. */
#define BGCOPY_S_UNABLE_TO_DELETE_FILES ((bgcopy_hr)0x0020001Au)
/** BG_S_PROXY_CHANGED: The proxy server in use has changed. */
#define BGCOPY_S_PROXY_CHANGED ((bgcopy_hr)0x0020002Au)
/** BG_S_OVERRIDDEN_BY_POLICY: The setting was saved, but a Group Policy setting takes precedence
 * over it. */
#define BGCOPY_S_OVERRIDDEN_BY_POLICY ((bgcopy_hr)0x00200055u)
/** BG_E_NOT_FOUND: The requested job or item was not found. */
#define BGCOPY_E_NOT_FOUND ((bgcopy_hr)0x80200001u)
/** BG_E_INVALID_STATE: The requested action is not allowed in the current job state. */
#define BGCOPY_E_INVALID_STATE ((bgcopy_hr)0x80200002u)
/** BG_E_EMPTY: The job has no files to transfer. */
#define BGCOPY_E_EMPTY ((bgcopy_hr)0x80200003u)
/** BG_E_FILE_NOT_AVAILABLE: The error is not associated with a particular file. */
#define BGCOPY_E_FILE_NOT_AVAILABLE ((bgcopy_hr)0x80200004u)
/** BG_E_PROTOCOL_NOT_AVAILABLE: The error is not associated with a transfer protocol. */
#define BGCOPY_E_PROTOCOL_NOT_AVAILABLE ((bgcopy_hr)0x80200005u)
/** BG_E_ERROR_CONTEXT_UNKNOWN: The origin of the error is unknown. */
#define BGCOPY_E_ERROR_CONTEXT_UNKNOWN ((bgcopy_hr)0x80200007u)
/** BG_E_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER: The error was raised by the transfer queue manager
 * itself. */
#define BGCOPY_E_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER ((bgcopy_hr)0x80200008u)
/** BG_E_ERROR_CONTEXT_LOCAL_FILE: The error occurred while the local file was being processed. */
#define BGCOPY_E_ERROR_CONTEXT_LOCAL_FILE ((bgcopy_hr)0x80200009u)
/** BG_E_ERROR_CONTEXT_REMOTE_FILE: The error occurred while the remote file was being processed. */
#define BGCOPY_E_ERROR_CONTEXT_REMOTE_FILE ((bgcopy_hr)0x8020000Au)
/** BG_E_ERROR_CONTEXT_GENERAL_TRANSPORT: The error occurred in the network transport layer. */
#define BGCOPY_E_ERROR_CONTEXT_GENERAL_TRANSPORT ((bgcopy_hr)0x8020000Bu)
/** BG_E_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION: The error occurred while the application was
 * being notified. */
#define BGCOPY_E_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION ((bgcopy_hr)0x8020000Cu)
/** BG_E_DESTINATION_LOCKED: The destination volume is locked, for example by a disk check. */
#define BGCOPY_E_DESTINATION_LOCKED ((bgcopy_hr)0x8020000Du)
/** BG_E_VOLUME_CHANGED: The destination volume was replaced by a different one. */
#define BGCOPY_E_VOLUME_CHANGED ((bgcopy_hr)0x8020000Eu)
/** BG_E_ERROR_INFORMATION_UNAVAILABLE: The job has no error information because no error has
 * occurred. */
#define BGCOPY_E_ERROR_INFORMATION_UNAVAILABLE ((bgcopy_hr)0x8020000Fu)
/** BG_E_NETWORK_DISCONNECTED: No network connection is available; the job will retry when one
 * appears. */
#define BGCOPY_E_NETWORK_DISCONNECTED ((bgcopy_hr)0x80200010u)
/** BG_E_MISSING_FILE_SIZE: The server did not report the size of the file, so it cannot be
 * transferred. */
#define BGCOPY_E_MISSING_FILE_SIZE ((bgcopy_hr)0x80200011u)
/** BG_E_INSUFFICIENT_HTTP_SUPPORT: The server does not support the required HTTP/1.1 features. */
#define BGCOPY_E_INSUFFICIENT_HTTP_SUPPORT ((bgcopy_hr)0x80200012u)
/** BG_E_INSUFFICIENT_RANGE_SUPPORT: The server or a proxy does not support HTTP range requests. */
#define BGCOPY_E_INSUFFICIENT_RANGE_SUPPORT ((bgcopy_hr)0x80200013u)
/** BG_E_REMOTE_NOT_SUPPORTED: Using the transfer service from a remote machine is not supported. */
#define BGCOPY_E_REMOTE_NOT_SUPPORTED ((bgcopy_hr)0x80200014u)
/** BG_E_NEW_OWNER_DIFF_MAPPING: The new owner's drive mapping differs from the previous owner's. */
#define BGCOPY_E_NEW_OWNER_DIFF_MAPPING ((bgcopy_hr)0x80200015u)
/** BG_E_NEW_OWNER_NO_FILE_ACCESS: The new owner cannot access the job's temporary files. */
#define BGCOPY_E_NEW_OWNER_NO_FILE_ACCESS ((bgcopy_hr)0x80200016u)
/** BG_E_PROXY_LIST_TOO_LARGE: The proxy server list is too long. */
#define BGCOPY_E_PROXY_LIST_TOO_LARGE ((bgcopy_hr)0x80200018u)
/** BG_E_PROXY_BYPASS_LIST_TOO_LARGE: The proxy bypass list is too long. */
#define BGCOPY_E_PROXY_BYPASS_LIST_TOO_LARGE ((bgcopy_hr)0x80200019u)
/** BG_E_INVALID_SERVER_RESPONSE: The server sent a response that is not valid for the request. */
#define BGCOPY_E_INVALID_SERVER_RESPONSE ((bgcopy_hr)0x8020001Bu)
/** BG_E_TOO_MANY_FILES: An upload job can contain only one file. */
#define BGCOPY_E_TOO_MANY_FILES ((bgcopy_hr)0x8020001Cu)
/** BG_E_LOCAL_FILE_CHANGED: The local file changed while it was being uploaded. */
#define BGCOPY_E_LOCAL_FILE_CHANGED ((bgcopy_hr)0x8020001Du)
/** BG_E_ERROR_CONTEXT_REMOTE_APPLICATION: The error was reported by the server application that
 * received the upload. */
#define BGCOPY_E_ERROR_CONTEXT_REMOTE_APPLICATION ((bgcopy_hr)0x8020001Eu)
/** BG_E_SESSION_NOT_FOUND: The upload server does not know the upload session. */
#define BGCOPY_E_SESSION_NOT_FOUND ((bgcopy_hr)0x8020001Fu)
/** BG_E_TOO_LARGE: The upload or reply is larger than the configured limit allows. */
#define BGCOPY_E_TOO_LARGE ((bgcopy_hr)0x80200020u)
/** BG_E_STRING_TOO_LONG: A string argument is longer than the maximum allowed length. */
#define BGCOPY_E_STRING_TOO_LONG ((bgcopy_hr)0x80200021u)
/** BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH: The client and the upload server share no common
 * protocol version. */
#define BGCOPY_E_CLIENT_SERVER_PROTOCOL_MISMATCH ((bgcopy_hr)0x80200022u)
/** BG_E_SERVER_EXECUTE_ENABLE: The upload directory on the server allows scripts or executables
 * to run. */
#define BGCOPY_E_SERVER_EXECUTE_ENABLE ((bgcopy_hr)0x80200023u)
/** BG_E_NO_PROGRESS: The job is not making progress; the server may be misconfigured. */
#define BGCOPY_E_NO_PROGRESS ((bgcopy_hr)0x80200024u)
/** BG_E_USERNAME_TOO_LARGE: The user name is too long. */
#define BGCOPY_E_USERNAME_TOO_LARGE ((bgcopy_hr)0x80200025u)
/** BG_E_PASSWORD_TOO_LARGE: The password is too long. */
#define BGCOPY_E_PASSWORD_TOO_LARGE ((bgcopy_hr)0x80200026u)
/** BG_E_INVALID_AUTH_TARGET: The authentication target is not valid. */
#define BGCOPY_E_INVALID_AUTH_TARGET ((bgcopy_hr)0x80200027u)
/** BG_E_INVALID_AUTH_SCHEME: The authentication scheme is not valid. */
#define BGCOPY_E_INVALID_AUTH_SCHEME ((bgcopy_hr)0x80200028u)
/** BG_E_FILE_NOT_FOUND: The specified file is not part of the job. */
#define BGCOPY_E_FILE_NOT_FOUND ((bgcopy_hr)0x80200029u)
/** BG_E_INVALID_RANGE: A byte range is not valid or lies beyond the end of the file. */
#define BGCOPY_E_INVALID_RANGE ((bgcopy_hr)0x8020002Bu)
/** BG_E_OVERLAPPING_RANGES: Two or more of the requested byte ranges overlap. */
#define BGCOPY_E_OVERLAPPING_RANGES ((bgcopy_hr)0x8020002Cu)
/** BG_E_CONNECT_FAILURE: A connection to the server could not be established. */
#define BGCOPY_E_CONNECT_FAILURE ((bgcopy_hr)0x8020002Du)
/** BG_E_CONNECTION_CLOSED: The connection was closed before the transfer finished. */
#define BGCOPY_E_CONNECTION_CLOSED ((bgcopy_hr)0x8020002Eu)
/** BG_E_KEEP_ALIVE_FAILURE: A persistent connection was closed by the server unexpectedly. */
#define BGCOPY_E_KEEP_ALIVE_FAILURE ((bgcopy_hr)0x8020002Fu)
/** BG_E_MESSAGE_LENGTH_LIMIT_EXCEEDED: A message exceeded the maximum allowed length. */
#define BGCOPY_E_MESSAGE_LENGTH_LIMIT_EXCEEDED ((bgcopy_hr)0x80200030u)
/** BG_E_NAME_RESOLUTION_FAILURE: The server host name could not be resolved. */
#define BGCOPY_E_NAME_RESOLUTION_FAILURE ((bgcopy_hr)0x80200031u)
/** BG_E_PENDING: An internal asynchronous request is still pending. */
#define BGCOPY_BG_E_PENDING ((bgcopy_hr)0x80200032u)
/** BG_E_PIPELINE_FAILURE: A pipelined HTTP request failed. */
#define BGCOPY_E_PIPELINE_FAILURE ((bgcopy_hr)0x80200033u)
/** BG_E_PROTOCOL_ERROR: The server response violated the protocol. */
#define BGCOPY_E_PROTOCOL_ERROR ((bgcopy_hr)0x80200034u)
/** BG_E_PROXY_NAME_RESOLUTION_FAILURE: The proxy server name could not be resolved. */
#define BGCOPY_E_PROXY_NAME_RESOLUTION_FAILURE ((bgcopy_hr)0x80200035u)
/** BG_E_RECEIVE_FAILURE: A complete response was not received from the server. */
#define BGCOPY_E_RECEIVE_FAILURE ((bgcopy_hr)0x80200036u)
/** BG_E_REQUEST_CANCELED: The request was canceled. */
#define BGCOPY_E_REQUEST_CANCELED ((bgcopy_hr)0x80200037u)
/** BG_E_SECURE_CHANNEL_FAILURE: A secure (TLS) connection to the server could not be set up. */
#define BGCOPY_E_SECURE_CHANNEL_FAILURE ((bgcopy_hr)0x80200038u)
/** BG_E_SEND_FAILURE: The request could not be sent to the server. */
#define BGCOPY_E_SEND_FAILURE ((bgcopy_hr)0x80200039u)
/** BG_E_SERVER_PROTOCOL_VIOLATION: The server sent a response that is not valid HTTP. */
#define BGCOPY_E_SERVER_PROTOCOL_VIOLATION ((bgcopy_hr)0x8020003Au)
/** BG_E_TIMEOUT: The operation did not finish within the allowed time. */
#define BGCOPY_E_TIMEOUT ((bgcopy_hr)0x8020003Bu)
/** BG_E_TRUST_FAILURE: The server certificate could not be validated. */
#define BGCOPY_E_TRUST_FAILURE ((bgcopy_hr)0x8020003Cu)
/** BG_E_UNKNOWN_ERROR: An unknown error occurred. */
#define BGCOPY_E_UNKNOWN_ERROR ((bgcopy_hr)0x8020003Du)
/** BG_E_BLOCKED_BY_POLICY: Group Policy does not allow background transfers at this time. */
#define BGCOPY_E_BLOCKED_BY_POLICY ((bgcopy_hr)0x8020003Eu)
/** BG_E_INVALID_PROXY_INFO: The proxy list or proxy bypass list is not valid. */
#define BGCOPY_E_INVALID_PROXY_INFO ((bgcopy_hr)0x8020003Fu)
/** BG_E_INVALID_CREDENTIALS: The credentials are not in a valid format. */
#define BGCOPY_E_INVALID_CREDENTIALS ((bgcopy_hr)0x80200040u)
/** BG_E_INVALID_HASH_ALGORITHM: The hash algorithm is not supported. */
#define BGCOPY_E_INVALID_HASH_ALGORITHM ((bgcopy_hr)0x80200041u)
/** BG_E_RECORD_DELETED: The peer cache record was deleted. */
#define BGCOPY_E_RECORD_DELETED ((bgcopy_hr)0x80200042u)
/** BG_E_COMMIT_IN_PROGRESS: The peer cache record is being updated by another operation. */
#define BGCOPY_E_COMMIT_IN_PROGRESS ((bgcopy_hr)0x80200043u)
/** BG_E_DISCOVERY_IN_PROGRESS: Peer discovery is already in progress. */
#define BGCOPY_E_DISCOVERY_IN_PROGRESS ((bgcopy_hr)0x80200044u)
/** BG_E_UPNP_ERROR: An error occurred while talking to the Internet gateway device. */
#define BGCOPY_E_UPNP_ERROR ((bgcopy_hr)0x80200045u)
/** BG_E_TEST_OPTION_BLOCKED_DOWNLOAD: A test option blocked the download. */
#define BGCOPY_E_TEST_OPTION_BLOCKED_DOWNLOAD ((bgcopy_hr)0x80200046u)
/** BG_E_PEERCACHING_DISABLED: Peer caching is disabled. */
#define BGCOPY_E_PEERCACHING_DISABLED ((bgcopy_hr)0x80200047u)
/** BG_E_BUSYCACHERECORD: The peer cache record is in use. */
#define BGCOPY_E_BUSYCACHERECORD ((bgcopy_hr)0x80200048u)
/** BG_E_TOO_MANY_JOBS_PER_USER: The user already has the maximum number of jobs allowed. */
#define BGCOPY_E_TOO_MANY_JOBS_PER_USER ((bgcopy_hr)0x80200049u)
/** BG_E_TOO_MANY_JOBS_PER_MACHINE: The machine already has the maximum number of jobs allowed. */
#define BGCOPY_E_TOO_MANY_JOBS_PER_MACHINE ((bgcopy_hr)0x80200050u)
/** BG_E_TOO_MANY_FILES_IN_JOB: The job already contains the maximum number of files allowed. */
#define BGCOPY_E_TOO_MANY_FILES_IN_JOB ((bgcopy_hr)0x80200051u)
/** BG_E_TOO_MANY_RANGES_IN_FILE: The file already has the maximum number of byte ranges allowed. */
#define BGCOPY_E_TOO_MANY_RANGES_IN_FILE ((bgcopy_hr)0x80200052u)
/** BG_E_VALIDATION_FAILED: The application rejected the downloaded content as not valid. */
#define BGCOPY_E_VALIDATION_FAILED ((bgcopy_hr)0x80200053u)
/** BG_E_MAXDOWNLOAD_TIMEOUT: The job did not finish within its maximum download time. */
#define BGCOPY_E_MAXDOWNLOAD_TIMEOUT ((bgcopy_hr)0x80200054u)
/** BG_E_TOKEN_REQUIRED: The job needs a helper token that has not been provided. */
#define BGCOPY_E_TOKEN_REQUIRED ((bgcopy_hr)0x80200056u)
/** BG_E_UNKNOWN_PROPERTY_ID: The property identifier is not known. */
#define BGCOPY_E_UNKNOWN_PROPERTY_ID ((bgcopy_hr)0x80200057u)
/** BG_E_READ_ONLY_PROPERTY: The property is read-only. */
#define BGCOPY_E_READ_ONLY_PROPERTY ((bgcopy_hr)0x80200058u)
/** BG_E_BLOCKED_BY_COST_TRANSFER_POLICY: The job's cost policy does not allow transfers on the
 * current network. */
#define BGCOPY_E_BLOCKED_BY_COST_TRANSFER_POLICY ((bgcopy_hr)0x80200059u)
/** BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY: The property can be set only on download
 * jobs. */
#define BGCOPY_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY ((bgcopy_hr)0x80200060u)
/** BG_E_READ_ONLY_PROPERTY_AFTER_ADDFILE: The property cannot be changed once a file has been
 * added to the job. */
#define BGCOPY_E_READ_ONLY_PROPERTY_AFTER_ADDFILE ((bgcopy_hr)0x80200061u)
/** BG_E_READ_ONLY_PROPERTY_AFTER_RESUME: The property cannot be changed once the job has been
 * resumed. */
#define BGCOPY_E_READ_ONLY_PROPERTY_AFTER_RESUME ((bgcopy_hr)0x80200062u)
/** BG_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE: The maximum download size must be greater than zero. */
#define BGCOPY_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE ((bgcopy_hr)0x80200063u)
/** BG_E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED: The download exceeded the job's maximum download size. */
#define BGCOPY_E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED ((bgcopy_hr)0x80200064u)
/** BG_E_STANDBY_MODE: The transfer is paused while the machine is in standby or power-saving
 * mode. */
#define BGCOPY_E_STANDBY_MODE ((bgcopy_hr)0x80200065u)
/** BG_E_USE_STORED_CREDENTIALS_NOT_SUPPORTED: Stored credentials can be used only for proxy
 * authentication. */
#define BGCOPY_E_USE_STORED_CREDENTIALS_NOT_SUPPORTED ((bgcopy_hr)0x80200066u)
/** BG_E_BLOCKED_BY_BATTERY_POLICY: The transfer is paused while the machine runs on battery
 * power. */
#define BGCOPY_E_BLOCKED_BY_BATTERY_POLICY ((bgcopy_hr)0x80200067u)
/** BG_E_BLOCKED_BY_BATTERY_SAVER: The transfer is paused while battery saver is on. */
#define BGCOPY_E_BLOCKED_BY_BATTERY_SAVER ((bgcopy_hr)0x80200068u)
/** BG_E_WATCHDOG_TIMEOUT: An internal operation took longer than expected. */
#define BGCOPY_E_WATCHDOG_TIMEOUT ((bgcopy_hr)0x80200069u)
/** BG_E_APP_PACKAGE_NOT_FOUND: No application package matches the job owner or the caller. */
#define BGCOPY_E_APP_PACKAGE_NOT_FOUND ((bgcopy_hr)0x8020006Au)
/** BG_E_APP_PACKAGE_SCENARIO_NOT_SUPPORTED: Use by packaged applications is not supported on
 * this device. */
#define BGCOPY_E_APP_PACKAGE_SCENARIO_NOT_SUPPORTED ((bgcopy_hr)0x8020006Bu)
/** BG_E_DATABASE_CORRUPT: The job database is corrupt and will be repaired on restart. */
#define BGCOPY_E_DATABASE_CORRUPT ((bgcopy_hr)0x8020006Cu)
/** BG_E_RANDOM_ACCESS_NOT_SUPPORTED: On-demand (random access) transfer is not supported for
 * this job or server. */
#define BGCOPY_E_RANDOM_ACCESS_NOT_SUPPORTED ((bgcopy_hr)0x8020006Du)
/** BG_E_BLOCKED_BY_BACKGROUND_ACCESS_POLICY: The owning application is not allowed to transfer
 * in the background. */
#define BGCOPY_E_BLOCKED_BY_BACKGROUND_ACCESS_POLICY ((bgcopy_hr)0x8020006Eu)
/** BG_E_BLOCKED_BY_GAME_MODE: The transfer is paused while another application is in game mode. */
#define BGCOPY_E_BLOCKED_BY_GAME_MODE ((bgcopy_hr)0x8020006Fu)
/** BG_E_BLOCKED_BY_SYSTEM_POLICY: The transfer is paused because system resources are
 * constrained. */
#define BGCOPY_E_BLOCKED_BY_SYSTEM_POLICY ((bgcopy_hr)0x80200070u)
/** BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD: The action is not supported for jobs that use a
 * custom HTTP method. */
#define BGCOPY_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD ((bgcopy_hr)0x80200071u)
/** BG_E_UNSUPPORTED_JOB_CONFIGURATION: The action is not supported with the job's current
 * configuration. */
#define BGCOPY_E_UNSUPPORTED_JOB_CONFIGURATION ((bgcopy_hr)0x80200072u)
/** BG_E_REMOTE_FILE_CHANGED: The remote file changed during the transfer; resume the job to
 * retry. */
#define BGCOPY_E_REMOTE_FILE_CHANGED ((bgcopy_hr)0x80200073u)
/** BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED: The server certificate validation callback is
 * registered but no longer available. */
#define BGCOPY_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED ((bgcopy_hr)0x80200074u)
/** BG_E_READ_ONLY_WHEN_JOB_ACTIVE: The action is allowed only while the job is suspended, in
 * error or transferred. */
#define BGCOPY_E_READ_ONLY_WHEN_JOB_ACTIVE ((bgcopy_hr)0x80200075u)
/** BG_E_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK: The application's server certificate callback
 * rejected the certificate. */
#define BGCOPY_E_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK ((bgcopy_hr)0x80200076u)
/** QM_E_INVALID_STATE: The legacy QMgr group is in a state that does not allow the operation. */
#define BGCOPY_E_QM_INVALID_STATE ((bgcopy_hr)0x81001001u)
/** QM_E_SERVICE_UNAVAILABLE: The legacy QMgr service is not available. */
#define BGCOPY_E_QM_SERVICE_UNAVAILABLE ((bgcopy_hr)0x81001002u)
/** QM_E_DOWNLOADER_UNAVAILABLE: The legacy QMgr downloader is not available. */
#define BGCOPY_E_QM_DOWNLOADER_UNAVAILABLE ((bgcopy_hr)0x81001003u)
/** QM_E_ITEM_NOT_FOUND: The legacy QMgr item was not found. */
#define BGCOPY_E_QM_ITEM_NOT_FOUND ((bgcopy_hr)0x81001004u)
/** BG_E_HTTP_ERROR_100: The server returned HTTP status 100 (Continue): the server sent an
 * interim response where a final one was expected. */
#define BGCOPY_E_HTTP_ERROR_100 ((bgcopy_hr)0x80190064u)
/** BG_E_HTTP_ERROR_101: The server returned HTTP status 101 (Switching Protocols): the server
 * tried to switch to a different protocol. */
#define BGCOPY_E_HTTP_ERROR_101 ((bgcopy_hr)0x80190065u)
/** BG_E_HTTP_ERROR_200: The server returned HTTP status 200 (OK): the response did not follow
 * the expected protocol; resuming the job may help. */
#define BGCOPY_E_HTTP_ERROR_200 ((bgcopy_hr)0x801900C8u)
/** BG_E_HTTP_ERROR_201: The server returned HTTP status 201 (Created): the server created a
 * resource instead of returning the requested content. */
#define BGCOPY_E_HTTP_ERROR_201 ((bgcopy_hr)0x801900C9u)
/** BG_E_HTTP_ERROR_202: The server returned HTTP status 202 (Accepted): the request was accepted
 * but has not been processed yet. */
#define BGCOPY_E_HTTP_ERROR_202 ((bgcopy_hr)0x801900CAu)
/** BG_E_HTTP_ERROR_203: The server returned HTTP status 203 (Non-Authoritative Information): the
 * response was altered by an intermediary rather than sent by the origin server. */
#define BGCOPY_E_HTTP_ERROR_203 ((bgcopy_hr)0x801900CBu)
/** BG_E_HTTP_ERROR_204: The server returned HTTP status 204 (No Content): the server returned no
 * content for the request. */
#define BGCOPY_E_HTTP_ERROR_204 ((bgcopy_hr)0x801900CCu)
/** BG_E_HTTP_ERROR_205: The server returned HTTP status 205 (Reset Content): the response did
 * not follow the expected protocol; resuming the job may help. */
#define BGCOPY_E_HTTP_ERROR_205 ((bgcopy_hr)0x801900CDu)
/** BG_E_HTTP_ERROR_206: The server returned HTTP status 206 (Partial Content): the server
 * returned a partial response that was not expected. */
#define BGCOPY_E_HTTP_ERROR_206 ((bgcopy_hr)0x801900CEu)
/** BG_E_HTTP_ERROR_300: The server returned HTTP status 300 (Multiple Choices): the URL refers
 * to several possible resources. */
#define BGCOPY_E_HTTP_ERROR_300 ((bgcopy_hr)0x8019012Cu)
/** BG_E_HTTP_ERROR_301: The server returned HTTP status 301 (Moved Permanently): the resource
 * has moved to a new permanent URL. */
#define BGCOPY_E_HTTP_ERROR_301 ((bgcopy_hr)0x8019012Du)
/** BG_E_HTTP_ERROR_302: The server returned HTTP status 302 (Found): the resource is temporarily
 * available at another URL. */
#define BGCOPY_E_HTTP_ERROR_302 ((bgcopy_hr)0x8019012Eu)
/** BG_E_HTTP_ERROR_303: The server returned HTTP status 303 (See Other): the response must be
 * fetched from another URL. */
#define BGCOPY_E_HTTP_ERROR_303 ((bgcopy_hr)0x8019012Fu)
/** BG_E_HTTP_ERROR_304: The server returned HTTP status 304 (Not Modified): the response did not
 * follow the expected protocol; resuming the job may help. */
#define BGCOPY_E_HTTP_ERROR_304 ((bgcopy_hr)0x80190130u)
/** BG_E_HTTP_ERROR_305: The server returned HTTP status 305 (Use Proxy): the resource must be
 * accessed through a proxy. */
#define BGCOPY_E_HTTP_ERROR_305 ((bgcopy_hr)0x80190131u)
/** BG_E_HTTP_ERROR_307: The server returned HTTP status 307 (Temporary Redirect): the resource
 * is temporarily at another URL and must be requested with the same method. */
#define BGCOPY_E_HTTP_ERROR_307 ((bgcopy_hr)0x80190133u)
/** BG_E_HTTP_ERROR_400: The server returned HTTP status 400 (Bad Request): the server could not
 * understand the request. */
#define BGCOPY_E_HTTP_ERROR_400 ((bgcopy_hr)0x80190190u)
/** BG_E_HTTP_ERROR_401: The server returned HTTP status 401 (Unauthorized): the server requires
 * authentication or rejected the credentials. */
#define BGCOPY_E_HTTP_ERROR_401 ((bgcopy_hr)0x80190191u)
/** BG_E_HTTP_ERROR_402: The server returned HTTP status 402 (Payment Required): the server
 * requires payment before granting access. */
#define BGCOPY_E_HTTP_ERROR_402 ((bgcopy_hr)0x80190192u)
/** BG_E_HTTP_ERROR_403: The server returned HTTP status 403 (Forbidden): the server refused
 * access to the resource. */
#define BGCOPY_E_HTTP_ERROR_403 ((bgcopy_hr)0x80190193u)
/** BG_E_HTTP_ERROR_404: The server returned HTTP status 404 (Not Found): the requested URL does
 * not exist on the server. */
#define BGCOPY_E_HTTP_ERROR_404 ((bgcopy_hr)0x80190194u)
/** BG_E_HTTP_ERROR_405: The server returned HTTP status 405 (Method Not Allowed): the server
 * does not allow this HTTP method for the URL. */
#define BGCOPY_E_HTTP_ERROR_405 ((bgcopy_hr)0x80190195u)
/** BG_E_HTTP_ERROR_406: The server returned HTTP status 406 (Not Acceptable): the server has no
 * representation matching the request's Accept headers. */
#define BGCOPY_E_HTTP_ERROR_406 ((bgcopy_hr)0x80190196u)
/** BG_E_HTTP_ERROR_407: The server returned HTTP status 407 (Proxy Authentication Required): the
 * proxy requires authentication or rejected the credentials. */
#define BGCOPY_E_HTTP_ERROR_407 ((bgcopy_hr)0x80190197u)
/** BG_E_HTTP_ERROR_408: The server returned HTTP status 408 (Request Timeout): the server timed
 * out waiting for the request. */
#define BGCOPY_E_HTTP_ERROR_408 ((bgcopy_hr)0x80190198u)
/** BG_E_HTTP_ERROR_409: The server returned HTTP status 409 (Conflict): the request conflicts
 * with the current state of the resource. */
#define BGCOPY_E_HTTP_ERROR_409 ((bgcopy_hr)0x80190199u)
/** BG_E_HTTP_ERROR_410: The server returned HTTP status 410 (Gone): the resource has been
 * permanently removed from the server. */
#define BGCOPY_E_HTTP_ERROR_410 ((bgcopy_hr)0x8019019Au)
/** BG_E_HTTP_ERROR_411: The server returned HTTP status 411 (Length Required): the server
 * requires a Content-Length header. */
#define BGCOPY_E_HTTP_ERROR_411 ((bgcopy_hr)0x8019019Bu)
/** BG_E_HTTP_ERROR_412: The server returned HTTP status 412 (Precondition Failed): a
 * precondition in the request headers was not met. */
#define BGCOPY_E_HTTP_ERROR_412 ((bgcopy_hr)0x8019019Cu)
/** BG_E_HTTP_ERROR_413: The server returned HTTP status 413 (Request Entity Too Large): the
 * request body is larger than the server accepts. */
#define BGCOPY_E_HTTP_ERROR_413 ((bgcopy_hr)0x8019019Du)
/** BG_E_HTTP_ERROR_414: The server returned HTTP status 414 (Request-URI Too Long): the URL is
 * longer than the server accepts. */
#define BGCOPY_E_HTTP_ERROR_414 ((bgcopy_hr)0x8019019Eu)
/** BG_E_HTTP_ERROR_415: The server returned HTTP status 415 (Unsupported Media Type): the server
 * does not accept the content type of the request. */
#define BGCOPY_E_HTTP_ERROR_415 ((bgcopy_hr)0x8019019Fu)
/** BG_E_HTTP_ERROR_416: The server returned HTTP status 416 (Requested Range Not Satisfiable):
 * the requested byte range lies outside the resource. */
#define BGCOPY_E_HTTP_ERROR_416 ((bgcopy_hr)0x801901A0u)
/** BG_E_HTTP_ERROR_417: The server returned HTTP status 417 (Expectation Failed): the server
 * cannot meet the request's Expect header. */
#define BGCOPY_E_HTTP_ERROR_417 ((bgcopy_hr)0x801901A1u)
/** BG_E_HTTP_ERROR_449: The server returned HTTP status 449 (Retry With): the server asks for
 * the request to be retried with more information. */
#define BGCOPY_E_HTTP_ERROR_449 ((bgcopy_hr)0x801901C1u)
/** BG_E_HTTP_ERROR_500: The server returned HTTP status 500 (Internal Server Error): the server
 * failed while processing the request. */
#define BGCOPY_E_HTTP_ERROR_500 ((bgcopy_hr)0x801901F4u)
/** BG_E_HTTP_ERROR_501: The server returned HTTP status 501 (Not Implemented): the server does
 * not support the requested function. */
#define BGCOPY_E_HTTP_ERROR_501 ((bgcopy_hr)0x801901F5u)
/** BG_E_HTTP_ERROR_502: The server returned HTTP status 502 (Bad Gateway): a gateway or proxy
 * received an invalid response from the upstream server. */
#define BGCOPY_E_HTTP_ERROR_502 ((bgcopy_hr)0x801901F6u)
/** BG_E_HTTP_ERROR_503: The server returned HTTP status 503 (Service Unavailable): the server is
 * overloaded or down for maintenance; try again later. */
#define BGCOPY_E_HTTP_ERROR_503 ((bgcopy_hr)0x801901F7u)
/** BG_E_HTTP_ERROR_504: The server returned HTTP status 504 (Gateway Timeout): a gateway or
 * proxy timed out waiting for the upstream server. */
#define BGCOPY_E_HTTP_ERROR_504 ((bgcopy_hr)0x801901F8u)
/** BG_E_HTTP_ERROR_505: The server returned HTTP status 505 (HTTP Version Not Supported): the
 * server does not support the HTTP version of the request. */
#define BGCOPY_E_HTTP_ERROR_505 ((bgcopy_hr)0x801901F9u)
/** BITS_MC_JOB_CANCELLED: Event: a user cancelled the job. */
#define BGCOPY_E_MC_JOB_CANCELLED ((bgcopy_hr)0x80194000u)
/** BITS_MC_FILE_DELETION_FAILED: Event: a temporary file of the cancelled or completed job could
 * not be deleted. */
#define BGCOPY_E_MC_FILE_DELETION_FAILED ((bgcopy_hr)0x80194001u)
/** BITS_MC_FILE_DELETION_FAILED_MORE: Event: more temporary files of the job could not be
 * deleted. */
#define BGCOPY_E_MC_FILE_DELETION_FAILED_MORE ((bgcopy_hr)0x80194002u)
/** BITS_MC_JOB_PROPERTY_CHANGE: Event: an administrator changed a property of the job. */
#define BGCOPY_E_MC_JOB_PROPERTY_CHANGE ((bgcopy_hr)0x80194003u)
/** BITS_MC_JOB_TAKE_OWNERSHIP: Event: an administrator took ownership of the job. */
#define BGCOPY_E_MC_JOB_TAKE_OWNERSHIP ((bgcopy_hr)0x80194004u)
/** BITS_MC_JOB_SCAVENGED: Event: the job was cancelled after being inactive for the inactivity
 * timeout. */
#define BGCOPY_E_MC_JOB_SCAVENGED ((bgcopy_hr)0x80194005u)
/** BITS_MC_JOB_NOTIFICATION_FAILURE: Event: the job's notification failed; it will be tried
 * again later. */
#define BGCOPY_E_MC_JOB_NOTIFICATION_FAILURE ((bgcopy_hr)0x80194006u)
/** BITS_MC_STATE_FILE_CORRUPT: Event: the job list was corrupt and has been cleared. */
#define BGCOPY_E_MC_STATE_FILE_CORRUPT ((bgcopy_hr)0x80194007u)
/** BITS_MC_FAILED_TO_START: Event: the service failed to start. */
#define BGCOPY_E_MC_FAILED_TO_START ((bgcopy_hr)0x80194008u)
/** BITS_MC_FATAL_IGD_ERROR: Event: a fatal error from the Internet gateway device; bandwidth is
 * no longer measured there. */
#define BGCOPY_E_MC_FATAL_IGD_ERROR ((bgcopy_hr)0x80194009u)
/** BITS_MC_PEERCACHING_PORT: Event: the peer-caching port is blocked by the firewall. */
#define BGCOPY_E_MC_PEERCACHING_PORT ((bgcopy_hr)0x8019400Au)
/** BITS_MC_WSD_PORT: Event: the Web Services for Devices port is blocked by the firewall. */
#define BGCOPY_E_MC_WSD_PORT ((bgcopy_hr)0x8019400Bu)
/* END GENERATED CONSTANTS */

/** Both spellings exist: BG_E_SERVER_EXECUTE_ENABLE in the SDK header, BG_E_SERVER_EXECUTE_ENABLED
 * in the documentation and Wine. */
#define BGCOPY_E_SERVER_EXECUTE_ENABLED BGCOPY_E_SERVER_EXECUTE_ENABLE

BGCOPY_BEGIN_DECLS

/** bgcopy_hr_name - the Windows name of a code.
 *
 * Returns the WindowsName column of the table row whose value is hr (for example
 * "BG_E_INVALID_STATE" or "HRESULT_FROM_WIN32(ERROR_WINHTTP_TIMEOUT)"); "BG_E_HTTP_ERROR" for an
 * HTTP-facility code (BGCOPY_HR_IS_HTTP) that has no row of its own; NULL for any other code.
 * The string is static and must not be freed. Pure; safe to call from any thread.
 * @param hr any code.
 * @return the static name, or NULL. */
BGCOPY_EXTERN const char *bgcopy_hr_name(bgcopy_hr hr);

/** bgcopy_hr_message - a one-sentence English description of a code.
 *
 * Returns the Message column of the table row whose value is hr; "The server returned an HTTP
 * error status." for an HTTP-facility code without a row; "Unknown error." for any other code.
 * Never returns NULL. The string is static and must not be freed. Pure; safe to call from any
 * thread.
 * @param hr any code.
 * @return the static message, never NULL. */
BGCOPY_EXTERN const char *bgcopy_hr_message(bgcopy_hr hr);

/** bgcopy_hr_format - render a code as text for logs and error output.
 *
 * Writes `"0x%08X <name>: <message>"` into buf, for example
 * "0x80200002 BG_E_INVALID_STATE: The requested action is not allowed in the current job state."
 * (hex digits upper case); when bgcopy_hr_name(hr) is NULL the name is left out:
 * "0x12345678: Unknown error.". Behaves like snprintf: writes at most size bytes including the
 * terminating NUL (nothing when size is 0; buf may then be NULL), always NUL-terminates when
 * size > 0, and returns the length the full text needs, excluding the NUL (negative only if the
 * C library's snprintf fails). Output is truncated when the return value >= size. Touches no
 * state other than buf; safe to call from any thread.
 * @param hr any code.
 * @param[out] buf receives the text; may be NULL when size is 0.
 * @param size bytes available at buf.
 * @return the length of the full text, excluding the NUL. */
BGCOPY_EXTERN int bgcopy_hr_format(bgcopy_hr hr, char *buf, size_t size);

BGCOPY_END_DECLS

#endif /* BGCOPY_ERRORS_H */
