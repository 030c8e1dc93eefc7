/* /dump/request: the request as its bytes arrived, for seeing what a client or a proxy really
 * sends (README "Echo"). The transport gives the head back byte for byte when it can
 * (request_raw_head); otherwise, as over HTTP/2 whose headers arrive compressed, the head is
 * written from the parsed request: the request line, then each header in arrival order as
 * "Name: value", with CR LF line ends. X-Dump says which of the two the body is. */
#include "endpoints.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

static bool append_header(void *context, const char *name, const char *value)
{
    strbuf_printf(context, "%s: %s\r\n", name, value ? value : "");
    return true;
}

void dump_request(struct request *request, struct reply *reply)
{
    struct strbuf dump = { 0 };
    bool exact = request_raw_head(request, &dump);
    if (!exact) {
        strbuf_printf(&dump, "%s %s %s\r\n", request->method, request->target,
                      request->version);
        request_each(request, REQUEST_HEADER, append_header, &dump);
        strbuf_append(&dump, "\r\n");
    }
    /* The body follows the head, as on the wire (a chunked body decoded: the transport
     * reads the chunks). */
    if (request->body)
        strbuf_append_bytes(&dump, request->body, request->body_length);
    size_t length;
    char *body = strbuf_take(&dump, &length);
    if (!body) {
        reply_error(reply, request, 500, "The dump could not be built (out of memory).",
                    "无法生成转储（内存不足）。");
        return;
    }
    reply->status = 200;
    reply->owned_body = body;
    reply->body = body;
    reply->body_length = length;
    /* The bytes a client sent are not necessarily UTF-8: no charset is claimed. */
    reply->content_type = "text/plain";
    reply_set_header(reply, "X-Dump", exact ? "bytes-as-received" : "reconstructed");
}
