/* /fault/{kind}: connections broken on purpose, each producing exactly the client-side error
 * it names (SPEC §9). The handler only says which fault; the daemon's wire module
 * (wire.c) carries it out once any delay is over, and response.c stops a truncated body
 * halfway. */
#include "config.h"
#include "endpoints.h"

#include <string.h>

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

void fault_handle(struct request *request, struct reply *reply)
{
    const char *kind = request->tail;
    if (strcmp(kind, "reset") == 0) {
        reply->fault = FAULT_RESET;
    } else if (strcmp(kind, "close") == 0) {
        reply->fault = FAULT_CLOSE;
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
                            "reset, close, truncate, bad-chunk, garbage or hang",
                            "reset、close、truncate、bad-chunk、garbage 或 hang");
    }
}
