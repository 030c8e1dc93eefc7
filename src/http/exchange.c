#include "exchange.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *const fault_names[FAULT_COUNT] = {
    [FAULT_NONE] = NULL,
    [FAULT_RESET] = "fault-reset",
    [FAULT_CLOSE] = "fault-close",
    [FAULT_HANG] = "fault-hang",
    [FAULT_HEADERS_ONLY] = "fault-headers-only",
    [FAULT_TRUNCATE] = "fault-truncate",
    [FAULT_BAD_CHUNK] = "fault-bad-chunk",
    [FAULT_GARBAGE] = "fault-garbage",
};

const char *const protocol_names[PROTOCOL_COUNT] = { "h1", "h2" };

const char *const method_names[METHOD_COUNT] = {
    [METHOD_GET] = "GET",         [METHOD_HEAD] = "HEAD",     [METHOD_POST] = "POST",
    [METHOD_PUT] = "PUT",         [METHOD_PATCH] = "PATCH",   [METHOD_DELETE] = "DELETE",
    [METHOD_OPTIONS] = "OPTIONS", [METHOD_OTHER] = NULL,
};

enum method method_from_name(const char *name)
{
    /* Methods are case-sensitive (RFC 9110 §9.1): "get" is not GET. */
    for (int m = 0; m < METHOD_OTHER; m++)
        if (strcmp(name, method_names[m]) == 0)
            return (enum method)m;
    return METHOD_OTHER;
}

const char *request_header(const struct request *request, const char *name)
{
    if (request->authority && strcasecmp(name, "Host") == 0)
        return request->authority;
    size_t length;
    return request->transport->lookup(request, REQUEST_HEADER, name, &length);
}

const char *request_query_n(const struct request *request, const char *name, size_t *length)
{
    if (request->no_query)
        return NULL;
    return request->transport->lookup(request, REQUEST_QUERY, name, length);
}

const char *request_query(const struct request *request, const char *name)
{
    size_t length;
    return request_query_n(request, name, &length);
}

/* A visitor that sees the target's authority in place of the Host header's value. */
struct authority_visit {
    request_visitor visit;
    void *context;
    const char *authority;
};

static bool visit_with_authority(void *context, const char *name, const char *value)
{
    const struct authority_visit *v = context;
    return v->visit(v->context, name, strcasecmp(name, "Host") == 0 ? v->authority : value);
}

void request_each(const struct request *request, enum request_field field,
                  request_visitor visit, void *context)
{
    if (field == REQUEST_QUERY && request->no_query)
        return;
    if (field == REQUEST_HEADER && request->authority) {
        struct authority_visit v = { visit, context, request->authority };
        request->transport->each(request, field, visit_with_authority, &v);
        return;
    }
    request->transport->each(request, field, visit, context);
}

size_t request_head_size(const struct request *request)
{
    return request->transport->head_size(request);
}

bool request_raw_head(const struct request *request, struct strbuf *out)
{
    return request->transport->raw_head && request->transport->raw_head(request, out);
}

const char *request_printf(struct request *request, const char *format, ...)
{
    size_t room = sizeof request->arena - request->arena_used;
    char *out = request->arena + request->arena_used;
    va_list args;
    va_start(args, format);
    int n = vsnprintf(out, room, format, args);
    va_end(args);
    if (n < 0 || (size_t)n >= room)
        return NULL;
    request->arena_used += (size_t)n + 1;
    return out;
}

bool request_is_http10(const struct request *request)
{
    return strcmp(request->version, "HTTP/1.0") == 0;
}

const char *request_method_as_get(const struct request *request)
{
    return request->method_id == METHOD_HEAD ? "GET" : request->method;
}

static bool header_value_is_safe(const char *value)
{
    /* RFC 9110 §5.5: field values are visible characters, spaces and tabs. Tabs are refused
     * too: nothing from a request that is not plainly visible reaches a header. */
    if (!value || !*value)
        return false;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

enum reply_kind reply_kind(const struct reply *reply)
{
    if (reply->upgrade_handler)
        return REPLY_UPGRADE;
    if (reply->fault != FAULT_NONE)
        return REPLY_FAULT;
    if (reply->shared)
        return REPLY_SHARED;
    if (reply->digest_fail)
        return REPLY_CHALLENGE;
    if (reply->stream.next)
        return REPLY_STREAM;
    return reply->body || reply->owned_body ? REPLY_BODY : REPLY_EXPLANATION;
}

bool reply_set_header(struct reply *reply, const char *name, const char *value)
{
    if (!value) { /* request_printf ran out of the arena: the header would be missing */
        reply->failed = true;
        return false;
    }
    if (!header_value_is_safe(value))
        return false;
    for (size_t i = 0; i < reply->header_count; i++)
        if (strcasecmp(reply->headers[i].name, name) == 0) {
            reply->headers[i].value = value;
            return true;
        }
    if (reply->header_count == REPLY_MAX_HEADERS) {
        reply->failed = true;
        return false;
    }
    reply->headers[reply->header_count++] = (struct reply_header){ name, value };
    return true;
}

bool reply_add_header(struct reply *reply, const char *name, const char *value)
{
    if (!value || reply->header_count == REPLY_MAX_HEADERS) {
        reply->failed = true;
        return false;
    }
    if (!header_value_is_safe(value))
        return false;
    reply->headers[reply->header_count++] = (struct reply_header){ name, value };
    return true;
}

bool reply_add_trailer(struct reply *reply, const char *name, const char *value)
{
    if (!value || reply->trailer_count == REPLY_MAX_TRAILERS) {
        reply->failed = true;
        return false;
    }
    if (!header_value_is_safe(value))
        return false;
    reply->trailers[reply->trailer_count++] = (struct reply_header){ name, value };
    return true;
}

bool reply_shape_active(const struct reply_shape *shape)
{
    return shape->rate || shape->chunk || shape->abort;
}

const char *reply_get_header(const struct reply *reply, const char *name)
{
    for (size_t i = 0; i < reply->header_count; i++)
        if (strcasecmp(reply->headers[i].name, name) == 0)
            return reply->headers[i].value;
    return NULL;
}

void reply_remove_header(struct reply *reply, const char *name)
{
    for (size_t i = 0; i < reply->header_count; i++)
        if (strcasecmp(reply->headers[i].name, name) == 0) {
            memmove(&reply->headers[i], &reply->headers[i + 1],
                    (reply->header_count - i - 1) * sizeof reply->headers[0]);
            reply->header_count--;
            return;
        }
}

/* Every method statusd knows but the request's: the Allow of a 405 (SPEC §2). GET and HEAD
 * go together, so that a HEAD is answered with GET's headers and Content-Length
 * (RFC 9110 §9.3.2), and an Allow never offers HEAD where GET is refused. */
/* Every method but the request's, one list per method, made once: the value needs no
 * request scratch space, so a page or the 408 can explain a code without a request. */
static char allow_lists[METHOD_COUNT][128];
static pthread_once_t allow_lists_once = PTHREAD_ONCE_INIT;

static void make_allow_lists(void)
{
    for (int request_method = 0; request_method < METHOD_COUNT; request_method++) {
        bool reading = request_method == METHOD_GET || request_method == METHOD_HEAD;
        char *list = allow_lists[request_method];
        for (int m = 0; m < METHOD_OTHER; m++) {
            if (m == request_method || (reading && (m == METHOD_GET || m == METHOD_HEAD)))
                continue;
            if (list[0])
                strcat(list, ", ");
            strcat(list, method_names[m]);
        }
    }
}

static const char *allow_all_but(const struct request *request)
{
    pthread_once(&allow_lists_once, make_allow_lists);
    return allow_lists[request ? request->method_id : METHOD_GET];
}

void reply_explain(struct reply *reply, struct request *request, unsigned code, unsigned sub)
{
    reply->status = code;
    reply->explained_code = code;
    reply->entry = catalog_find(code, sub);
    const struct catalog_entry *entry = reply->entry;
    for (size_t i = 0; entry && i < entry->header_count; i++) {
        const struct catalog_header *h = &entry->headers[i];
        const char *value = h->value;
        if (strcmp(value, "{methods}") == 0)
            value = allow_all_but(request);
        reply_set_header(reply, h->name, value);
    }
}

void reply_error(struct reply *reply, struct request *request, unsigned status,
                 const char *note_en, const char *note_zh)
{
    *reply = (struct reply){ 0 };
    reply_explain(reply, request, status, 0);
    reply->note[LANGUAGE_EN] = note_en;
    reply->note[LANGUAGE_ZH] = note_zh;
}

void reply_bad_parameter(struct reply *reply, struct request *request, const char *parameter,
                         const char *accepted_en, const char *accepted_zh)
{
    /* "{n}" names a path segment (/redirect/{n}), anything else a query parameter (?n=). */
    bool segment = parameter[0] == '{';
    const char *en = request_printf(request, segment ? "The path segment %s is not valid: it "
                                                       "accepts %s."
                                                     : "Parameter '%s' is not valid: it accepts %s.",
                                    parameter, accepted_en);
    /* A space between Han characters and Latin letters or digits ("为 0 到"), none before
     * more Han ("为三位数字"). */
    const char *gap = (unsigned char)accepted_zh[0] < 0x80 ? " " : "";
    const char *zh = request_printf(request, segment ? "路径段 %s 无效：可接受的值为%s%s。"
                                                     : "参数 '%s' 无效：可接受的值为%s%s。",
                                    parameter, gap, accepted_zh);
    reply_error(reply, request, 400, en ? en : "A parameter is not valid.",
                zh ? zh : "参数无效。");
    /* The one line that helps goes before ~1.5 KB of what 400 means in general. */
    reply->note_first = true;
}

const char *request_client_address(const struct request *request, char *out, size_t size)
{
    return address_text(request->transport->client(request), out, size);
}

const char *address_text(const struct sockaddr *a, char *out, size_t size)
{
    snprintf(out, size, "-");
    if (!a)
        return out;
    if (a->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, out, (socklen_t)size);
    } else if (a->sa_family == AF_INET6) {
        const struct in6_addr *v6 = &((const struct sockaddr_in6 *)a)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(v6)) /* dual stack: show 127.0.0.1, not ::ffff:127.0.0.1 */
            inet_ntop(AF_INET, &v6->s6_addr[12], out, (socklen_t)size);
        else
            inet_ntop(AF_INET6, v6, out, (socklen_t)size);
    }
    return out;
}
