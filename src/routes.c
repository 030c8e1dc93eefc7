#include "routes.h"

#include <stdio.h>
#include <string.h>

#define METHODS_UPLOAD (METHOD_BIT(METHOD_POST) | METHOD_BIT(METHOD_PUT) | METHOD_BIT(METHOD_PATCH))
#define OWN_OPTIONS ROUTE_OWN_OPTIONS
#define KEEPS_BODY ROUTE_KEEPS_BODY

/* Checked in order; the first match wins, so an exact "/cache" comes before "/cache/". */
static const struct route routes[] = {
    /* pattern              match         methods         flags                    handler */
    { "/status/",           MATCH_PREFIX, METHODS_ANY,    OWN_OPTIONS,             status_handle },
    { "/",                  MATCH_EXACT,  METHODS_READ,   0,                       pages_index },
    { "/codes.json",        MATCH_EXACT,  METHODS_READ,   0,                       pages_codes_json },
    { "/codes/",            MATCH_PREFIX, METHODS_READ,   0,                       pages_code },
    { "/static/",           MATCH_PREFIX, METHODS_READ,   0,                       pages_static },
    { "/favicon.ico",       MATCH_EXACT,  METHODS_READ,   0,                       pages_favicon },
    { "/health",            MATCH_EXACT,  METHODS_READ,   0,                       pages_health },
    { "/ready",             MATCH_EXACT,  METHODS_READ,   0,                       pages_ready },
    { "/redirect/",         MATCH_PREFIX, METHODS_ANY,    KEEPS_BODY,              redirects_chain },
    { "/redirect-to",       MATCH_EXACT,  METHODS_ANY,    0,                       redirects_to },
    { "/loop/",             MATCH_PREFIX, METHODS_ANY,    0,                       redirects_loop },
    { "/anything",          MATCH_EXACT,  METHODS_ANY,    OWN_OPTIONS | KEEPS_BODY, echo_anything },
    { "/anything/",         MATCH_PREFIX, METHODS_ANY,    OWN_OPTIONS | KEEPS_BODY, echo_anything },
    { "/headers",           MATCH_EXACT,  METHODS_READ,   0,                       echo_headers },
    { "/ip",                MATCH_EXACT,  METHODS_READ,   0,                       echo_ip },
    { "/user-agent",        MATCH_EXACT,  METHODS_READ,   0,                       echo_user_agent },
    { "/basic-auth/",       MATCH_PREFIX, METHODS_READ,   0,                       auth_basic },
    { "/hidden-basic-auth/", MATCH_PREFIX, METHODS_READ,  0,                       auth_hidden_basic },
    { "/digest-auth/",      MATCH_PREFIX, METHODS_READ,   0,                       auth_digest },
    { "/bearer",            MATCH_EXACT,  METHODS_READ,   0,                       auth_bearer },
    { "/proxy-auth/",       MATCH_PREFIX, METHODS_READ,   0,                       auth_proxy },
    { "/forbidden",         MATCH_EXACT,  METHODS_READ,   0,                       auth_forbidden },
    { "/etag/",             MATCH_PREFIX, METHODS_READ,   0,                       conditional_etag },
    { "/cache",             MATCH_EXACT,  METHODS_READ,   0,                       conditional_cache },
    { "/cache/",            MATCH_PREFIX, METHODS_READ,   0,                       conditional_cache_for },
    { "/range/",            MATCH_PREFIX, METHODS_READ,   0,                       conditional_range },
    { "/bytes/",            MATCH_PREFIX, METHODS_READ,   0,                       conditional_bytes },
    { "/upload",            MATCH_EXACT,  METHODS_UPLOAD, KEEPS_BODY,              client_input_upload,
      client_input_upload_precheck },
    { "/delay/",            MATCH_PREFIX, METHODS_ANY,    0,                       timing_delay },
    { "/drip",              MATCH_EXACT,  METHODS_READ,   0,                       timing_drip },
    { "/sequence/",         MATCH_PREFIX, METHODS_ANY,    0,                       stateful_sequence },
    { "/flaky/",            MATCH_PREFIX, METHODS_ANY,    0,                       stateful_flaky },
    { "/ratelimit/",        MATCH_PREFIX, METHODS_ANY,    0,                       stateful_ratelimit },
    { "/journal",           MATCH_EXACT,  METHODS_READ,   0,                       stateful_journal },
    { "/fault/",            MATCH_PREFIX, METHODS_ANY,    0,                       fault_handle },
    { "/method/",           MATCH_PREFIX, METHODS_ANY,    OWN_OPTIONS,             client_input_method },
    { "/negotiate/",        MATCH_PREFIX, METHODS_READ,   0,                       client_input_negotiate },
};

const struct route *route_find(const char *path, const char **tail)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const struct route *r = &routes[i];
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
    reply_set_header(reply, "Access-Control-Allow-Methods",
                     "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    const char *asked = request_header(request, "Access-Control-Request-Headers");
    reply_set_header(reply, "Access-Control-Allow-Headers", asked && *asked ? asked : "*");
    reply_set_header(reply, "Access-Control-Max-Age", "600");
}

void route_dispatch(struct request *request, struct reply *reply)
{
    const char *tail;
    const struct route *route = route_find(request->path, &tail);
    if (request->method_id == METHOD_OPTIONS &&
        request_header(request, "Access-Control-Request-Method")) {
        answer_preflight(request, reply);
        return;
    }
    if (!route) {
        const char *en = request_printf(request, "There is no page at %s.", request->path);
        const char *zh = request_printf(request, "%s 没有对应的页面。", request->path);
        reply_error(reply, request, 404, en, zh);
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
                                   request->method),
                    request_printf(request, "%s 不接受 %s 方法。", route->pattern,
                                   request->method));
        reply_set_header(reply, "Allow", request_printf(request, "%s",
                                                        route_allow(route, allow, sizeof allow)));
        return;
    }
    route->handler(request, reply);
}
