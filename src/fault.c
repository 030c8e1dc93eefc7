#include "fault.h"

#include "config.h"
#include "routes.h"
#include "server.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A complete status line and headers, then a chunk whose size is not hex: curl fails with
 * "invalid chunk" (exit 56 in 7.88). */
static const char bad_chunk[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                "Transfer-Encoding: chunked\r\nServer: statusd/" STATUSD_VERSION
                                "\r\n\r\nZZ\r\nthis is not a chunk\r\n";
/* Not HTTP at all: curl reports "unsupported HTTP version" / weird server reply (exit 1 or 8). */
static const char garbage[] = "\x16\x03\x01 NOT HTTP \x00\xff garbage bytes, 不是 HTTP\r\n\r\n";
/* Marks a close that waited --max-delay first, for the access log (the bytes are never sent). */
static const char hang_marker[] = "";

static int connection_fd(struct request *request)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(request->connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info ? info->connect_fd : -1;
}

enum MHD_Result fault_carry_out(struct request *request, struct reply *reply)
{
    int fd = connection_fd(request);
    if (fd < 0)
        return MHD_NO;
    switch (reply->fault) {
    case FAULT_RESET: {
        /* Linger on with a zero timeout: close() sends RST instead of FIN. libmicrohttpd with
         * MHD_USE_TURBO closes without a shutdown() first (MHD-NOTES §2). */
        struct linger abort_on_close = { .l_onoff = 1, .l_linger = 0 };
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
        break;
    }
    case FAULT_RAW_THEN_CLOSE:
        server_write_raw(request->connection, reply->body, reply->body_length);
        shutdown(fd, SHUT_WR);
        break;
    case FAULT_CLOSE:
    default:
        shutdown(fd, SHUT_WR); /* FIN now, whatever libmicrohttpd does next */
        break;
    }
    return MHD_NO;
}

/* Fills a reply that answers by returning a truncated body: a callback that stops halfway. */
struct truncated_body {
    const char *text;
    size_t length;
};

static const char truncated_text[] =
    "This body promised more bytes in Content-Length than it sends. "
    "这个响应体在 Content-Length 中承诺的字节比实际发送的多。\n";
/* Initialised at compile time: every thread reads it, none writes it. */
static struct truncated_body truncated = { truncated_text, sizeof truncated_text - 1 };

static ssize_t read_truncated(void *cls, uint64_t position, char *buffer, size_t max)
{
    struct truncated_body *t = cls;
    if (position >= t->length / 2)
        return MHD_CONTENT_READER_END_WITH_ERROR; /* the promised rest never comes */
    size_t n = t->length / 2 - (size_t)position;
    if (n > max)
        n = max;
    memcpy(buffer, t->text + position, n);
    return (ssize_t)n;
}

void fault_handle(struct request *request, struct reply *reply)
{
    const char *kind = request->tail;
    if (strcmp(kind, "reset") == 0) {
        reply->fault = FAULT_RESET;
    } else if (strcmp(kind, "close") == 0) {
        reply->fault = FAULT_CLOSE;
    } else if (strcmp(kind, "bad-chunk") == 0) {
        reply->fault = FAULT_RAW_THEN_CLOSE;
        reply->body = bad_chunk;
        reply->body_length = sizeof bad_chunk - 1;
    } else if (strcmp(kind, "garbage") == 0) {
        reply->fault = FAULT_RAW_THEN_CLOSE;
        reply->body = garbage;
        reply->body_length = sizeof garbage - 1;
    } else if (strcmp(kind, "hang") == 0) {
        /* Suspended connections are not watched for disconnects (MHD-NOTES §4), so the hang
         * lasts until --max-delay; the client's own timeout ends it sooner on its side. */
        reply->fault = FAULT_CLOSE;
        reply->body = hang_marker;
        reply->delay_ms = request->config->max_delay_ms;
    } else if (strcmp(kind, "truncate") == 0) {
        reply->status = 200;
        reply->prepared = MHD_create_response_from_callback(truncated.length, 4096, read_truncated,
                                                            &truncated, NULL);
        reply->content_type = "text/plain; charset=utf-8";
        reply->body = truncated_text; /* not sent (the callback is): names the fault for the log */
        reply->body_length = truncated.length;
        if (!reply->prepared)
            reply_error(reply, request, 500, "Out of memory.", "内存不足。");
    } else {
        reply_bad_parameter(reply, request, "kind",
                            "reset, close, truncate, bad-chunk, garbage or hang",
                            "reset、close、truncate、bad-chunk、garbage 或 hang");
    }
}

const char *fault_outcome(const struct reply *reply)
{
    switch (reply->fault) {
    case FAULT_RESET:
        return "fault-reset";
    case FAULT_CLOSE:
        return reply->body == hang_marker ? "fault-hang" : "fault-close";
    case FAULT_RAW_THEN_CLOSE:
        return reply->body == bad_chunk ? "fault-bad-chunk" : "fault-garbage";
    case FAULT_NONE:
    default:
        return reply->body == truncated_text ? "fault-truncate" : NULL;
    }
}
