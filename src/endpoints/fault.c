/* /fault/{kind}: connections broken on purpose, each producing exactly the client-side error
 * it names (SPEC §9). The handler only says which fault; the daemon's wire module
 * (wire.c) carries it out once any delay is over, and response.c stops a truncated body
 * halfway. */
#include "config.h"
#include "endpoints.h"
#include "numbers.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* A complete status line and headers, then a chunk whose size is not hex: curl fails with
 * "invalid chunk" (exit 56 in 7.88). */
static const char bad_chunk[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                "Transfer-Encoding: chunked\r\nServer: statusd/" STATUSD_VERSION
                                "\r\n\r\nZZ\r\nthis is not a chunk\r\n";
/* Not HTTP at all: curl reports "unsupported HTTP version" / weird server reply (exit 1 or 8). */
static const char garbage[] = "\x16\x03\x01 NOT HTTP \x00\xff garbage bytes, 不是 HTTP\r\n\r\n";
static const char truncated_text[] =
    "This body promised more bytes in Content-Length than it sends. "
    "这个响应体在 Content-Length 中承诺的字节比实际发送的多。\n";

/* HTTP/2's error codes (RFC 9113 §7), for ?code= on the faults that reset a stream or end
 * the connection; the index is the code. */
static const char *const h2_error_names[] = {
    "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
    "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
    "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
};
#define H2_ERROR_COUNT (sizeof h2_error_names / sizeof h2_error_names[0])

/* ?code=CANCEL or ?code=8: false with a 400 for anything else. HTTP/1.1 has no such code:
 * there the fault is the TCP reset or close it always was. */
static bool read_error_code(struct request *request, struct reply *reply)
{
    const char *code = request_query(request, "code");
    if (!code)
        return true;
    uint64_t number;
    for (size_t i = 0; i < H2_ERROR_COUNT; i++)
        if (strcasecmp(code, h2_error_names[i]) == 0) {
            reply->fault_code = (uint32_t)i;
            reply->fault_code_set = true;
            return true;
        }
    if (parse_uint(code, UINT32_MAX, &number)) {
        reply->fault_code = (uint32_t)number; /* unknown codes are allowed (RFC 9113 §7) */
        reply->fault_code_set = true;
        return true;
    }
    reply->fault = FAULT_NONE;
    reply_bad_parameter(reply, request, "code",
                        "an HTTP/2 error code: a number, or NO_ERROR, PROTOCOL_ERROR, "
                        "INTERNAL_ERROR, FLOW_CONTROL_ERROR, REFUSED_STREAM, CANCEL, "
                        "ENHANCE_YOUR_CALM, HTTP_1_1_REQUIRED, ... (RFC 9113 section 7)",
                        "HTTP/2 错误码：数字，或 NO_ERROR、PROTOCOL_ERROR、INTERNAL_ERROR、"
                        "FLOW_CONTROL_ERROR、REFUSED_STREAM、CANCEL、ENHANCE_YOUR_CALM、"
                        "HTTP_1_1_REQUIRED 等（RFC 9113 第 7 节）");
    return false;
}

void fault_handle(struct request *request, struct reply *reply)
{
    const char *kind = request->tail;
    if (strcmp(kind, "reset") == 0) {
        reply->fault = FAULT_RESET;
        read_error_code(request, reply);
    } else if (strcmp(kind, "close") == 0 || strcmp(kind, "goaway") == 0) {
        reply->fault = FAULT_CLOSE;
        read_error_code(request, reply);
    } else if (strcmp(kind, "headers-only") == 0) {
        reply->fault = FAULT_HEADERS_ONLY;
        /* HTTP/2 sends the head and then waits itself; HTTP/1.1 hangs (SPEC §9's hang). */
        if (request->protocol == PROTOCOL_H1)
            reply->delay_ms = request->config->max_delay_ms;
    } else if (strcmp(kind, "bad-chunk") == 0) {
        reply->fault = FAULT_BAD_CHUNK;
        reply->body = bad_chunk;
        reply->body_length = sizeof bad_chunk - 1;
    } else if (strcmp(kind, "garbage") == 0) {
        reply->fault = FAULT_GARBAGE;
        reply->body = garbage;
        reply->body_length = sizeof garbage - 1;
    } else if (strcmp(kind, "hang") == 0) {
        /* Suspended connections are not watched for disconnects (docs/libmicrohttpd.md §4),
         * so the hang lasts until --max-delay; the client's own timeout ends it sooner on its
         * side. */
        reply->fault = FAULT_HANG;
        reply->delay_ms = request->config->max_delay_ms;
    } else if (strcmp(kind, "truncate") == 0) {
        reply->status = 200;
        reply->fault = FAULT_TRUNCATE;
        reply->content_type = "text/plain; charset=utf-8";
        reply->body = truncated_text; /* Content-Length promises all of it; half is sent */
        reply->body_length = sizeof truncated_text - 1;
    } else {
        reply_bad_parameter(reply, request, "{kind}",
                            "reset, close, goaway, truncate, bad-chunk, garbage, hang or "
                            "headers-only",
                            "reset、close、goaway、truncate、bad-chunk、garbage、hang 或 "
                            "headers-only");
    }
}
