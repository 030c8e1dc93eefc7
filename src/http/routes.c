#include "routes.h"

#include "config.h"
#include "numbers.h"
#include "shaping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every method some route of statusd answers: OPTIONS * and CORS preflights list them. */
#define SERVER_METHODS "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

/* The table in use: route_table.c's, set once by routes_use() before serving. */
static const struct route *table;
static size_t table_size;

void routes_use(const struct route *routes, size_t count)
{
    table = routes;
    table_size = count;
}

const struct route *route_find(const char *path, const char **tail)
{
    for (size_t i = 0; i < table_size; i++) {
        const struct route *r = &table[i];
        size_t n = strlen(r->pattern);
        if (r->match == MATCH_EXACT ? strcmp(path, r->pattern) == 0
                                    : strncmp(path, r->pattern, n) == 0) {
            *tail = path + (r->match == MATCH_PREFIX ? n : strlen(path));
            return r;
        }
    }
    return NULL;
}

const char *route_allow(const struct route *route, char *buffer, size_t size)
{
    buffer[0] = '\0';
    size_t used = 0;
    for (int m = 0; m < METHOD_OTHER; m++) {
        /* Every route answers OPTIONS, whether or not its handler sees it. */
        if (!(route->methods & METHOD_BIT(m)) && m != METHOD_OPTIONS)
            continue;
        int n = snprintf(buffer + used, size - used, "%s%s", used ? ", " : "", method_names[m]);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    return buffer;
}

/* A CORS preflight (SPEC §1): any URL, so a browser script may call any endpoint. */
static void answer_preflight(struct request *request, struct reply *reply)
{
    reply_explain(reply, request, 204, 0);
    reply_set_header(reply, "Access-Control-Allow-Methods", SERVER_METHODS);
    const char *asked = request_header(request, "Access-Control-Request-Headers");
    reply_set_header(reply, "Access-Control-Allow-Headers", asked && *asked ? asked : "*");
    reply_set_header(reply, "Access-Control-Max-Age", "600");
}

/* The asterisk-form target "*" (RFC 9112 §3.2.4) asks about the server, not a resource: only
 * OPTIONS may use it (RFC 9110 §9.3.7), and is told every method statusd knows. */
static void answer_asterisk(struct request *request, struct reply *reply)
{
    if (request->method_id != METHOD_OPTIONS) {
        reply_error(reply, request, 400,
                    "The target '*' is only for OPTIONS, which asks what the server as a whole "
                    "supports (RFC 9112 §3.2.4).",
                    "目标 '*' 只能用于 OPTIONS，用来询问整个服务器支持什么（RFC 9112 §3.2.4）。");
        return;
    }
    reply_explain(reply, request, 204, 0);
    reply_set_header(reply, "Allow", SERVER_METHODS);
}

void route_dispatch(struct request *request, struct reply *reply)
{
    if (strcmp(request->path, "*") == 0) {
        answer_asterisk(request, reply);
        return;
    }
    const char *tail;
    const struct route *route = route_find(request->path, &tail);
    if (request->method_id == METHOD_OPTIONS &&
        request_header(request, "Access-Control-Request-Method")) {
        answer_preflight(request, reply);
        return;
    }
    if (!route) {
        const char *en = request_printf(
            request, "There is no page at %s: statusd has no such route, so asking again will "
                     "not change the answer.", request->path);
        const char *zh = request_printf(
            request, "%s 没有对应的页面：statusd 没有这个路由，再次请求也不会改变结果。",
            request->path);
        reply_error(reply, request, 404, en, zh);
        reply->persistence = PERSISTENCE_PERMANENT; /* no such route, however often asked */
        reply->link = "/";
        return;
    }
    request->tail = tail;
    if (request->method_id == METHOD_OPTIONS && !(route->flags & ROUTE_OWN_OPTIONS)) {
        char allow[96];
        reply_explain(reply, request, 204, 0);
        reply_set_header(reply, "Allow", request_printf(request, "%s",
                                                        route_allow(route, allow, sizeof allow)));
        return;
    }
    if (!(route->methods & METHOD_BIT(request->method_id))) {
        char allow[96];
        reply_error(reply, request, 405,
                    request_printf(request, "%s does not answer %s.", route->pattern,
                                   request_method_as_get(request)),
                    request_printf(request, "%s 不接受 %s 方法。", route->pattern,
                                   request_method_as_get(request)));
        reply_set_header(reply, "Allow", request_printf(request, "%s",
                                                        route_allow(route, allow, sizeof allow)));
        return;
    }
    route->handler(request, reply);
}

/* The name of the query parameter (or "path") in which position lies, in the arena. */
static const char *parameter_at(struct request *r, const char *target, const char *position)
{
    const char *query = strchr(target, '?');
    if (!query || position < query)
        return "path";
    const char *start = position;
    while (start > query + 1 && start[-1] != '&')
        start--;
    size_t length = strcspn(start, "=&");
    const char *name = request_printf(r, "%.*s", (int)(length > 64 ? 64 : length), start);
    return name ? name : "?";
}

/* ?format=, ?lang= and the Accept headers; the shaping parameters (?delay=, ?rate=, ...) on
 * every URL. False with a 400 reply. */
static bool read_common_parameters(struct request *r, struct reply *reply,
                                   struct shaping *shaping)
{
    /* Both transports decode the path and parameters and would stop at a decoded NUL, so
     * "location=/a%00b" would silently become "/a": refuse instead of guessing. */
    const char *nul = strstr(r->target, "%00");
    if (nul) {
        reply_bad_parameter(reply, r, parameter_at(r, r->target, nul),
                            "values without a NUL byte (%00)", "不含 NUL 字节（%00）的值");
        return false;
    }
    const char *format = request_query(r, "format");
    const char *lang = request_query(r, "lang");
    /* Accept and Accept-Language were negotiated when the head arrived; the parameters win. */
    if (format && !negotiate_format_name(format, &r->format)) {
        reply_bad_parameter(reply, r, "format", "text, html or json", "text、html 或 json");
        return false;
    }
    if (lang && !negotiate_language_name(lang, &r->languages)) {
        reply_bad_parameter(reply, r, "lang", "zh or en", "zh 或 en");
        return false;
    }
    return shaping_read(r, reply, shaping);
}

/* A reply that lost a header (reply.failed) is never sent as it is: a 500 says so instead,
 * and the log says which request, so the limit that was hit can be raised. */
static void replace_failed_reply(struct request *r, struct reply *reply)
{
    fprintf(stderr, "statusd: %s %s: a header of the answer did not fit (%d headers, %d bytes of "
                    "scratch space per request); answered 500 instead\n",
            r->method, r->target, REPLY_MAX_HEADERS, REQUEST_ARENA_SIZE);
    free(reply->owned_body);
    if (reply->stream.free_context)
        reply->stream.free_context(reply->stream.context);
    struct reply failed;
    reply_error(&failed, r, 500,
                "This answer could not be built whole: one of its headers did not fit. The "
                "server's log names the request.",
                "无法完整构建此应答：其中一个头部放不下。服务器日志记录了该请求。");
    *reply = failed;
}

uint64_t route_decide(struct request *request, struct reply *reply)
{
    uint64_t delay_ms = 0;
    struct shaping shaping;
    if (read_common_parameters(request, reply, &shaping)) {
        /* Before the handler, so it sees the body will be shaped; after it, because a handler
         * may start its reply afresh (reply_error). */
        shaping_apply(&shaping, reply);
        route_dispatch(request, reply);
        shaping_apply(&shaping, reply);
        delay_ms = reply->delay_ms; /* the longer of ?delay= and an endpoint's (/delay/{s}) */
    }
    if (reply->failed)
        replace_failed_reply(request, reply);
    return delay_ms;
}
