/* /redirect/{n}, /redirect-to, /loop/{n} (SPEC §4).
 *
 * Every redirect goes through send_redirect: the catalogue's headers for the code, then the
 * Location and the body's link to it, so a 307 from here looks like a 307 from /status/307.
 * Request bytes reach the Location only after params_valid_location (redirect-to) or as the
 * Host header checked by valid_host_header (type=absolute); the rest is built from numbers. */
#include "config.h"
#include "numbers.h"
#include "params.h"
#include "endpoints.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_REDIRECT_STATUS 302
/* The query every hop of a chain or loop carries along (kept_parameters). */
#define KEPT_SIZE 1024

struct status_choice {
    const unsigned *codes;
    size_t count;
    const char *accepted_en;
    const char *accepted_zh;
};

static const unsigned chain_codes[] = { 301, 302, 303, 307, 308 };
static const struct status_choice chain_statuses = {
    chain_codes, sizeof chain_codes / sizeof chain_codes[0],
    "301, 302, 303, 307 or 308 (default 302)", "301、302、303、307 或 308（默认 302）",
};

/* 300 and 305 make sense for one hop to a chosen target, not in an endless chain. */
static const unsigned single_codes[] = { 300, 301, 302, 303, 305, 307, 308 };
static const struct status_choice single_statuses = {
    single_codes, sizeof single_codes / sizeof single_codes[0],
    "300, 301, 302, 303, 305, 307 or 308 (default 302)",
    "300、301、302、303、305、307 或 308（默认 302）",
};

enum target_type { TARGET_RELATIVE, TARGET_ABSOLUTE, TARGET_SCHEME_RELATIVE, TARGET_TYPE_COUNT };
static const char *const target_type_names[TARGET_TYPE_COUNT] = {
    [TARGET_RELATIVE] = "relative",
    [TARGET_ABSOLUTE] = "absolute",
    [TARGET_SCHEME_RELATIVE] = "scheme-relative",
};

/* ?status=: one of choice's codes, DEFAULT_REDIRECT_STATUS when absent. 0 with a 400 in reply
 * when it is something else. */
static unsigned redirect_status(struct request *request, struct reply *reply,
                                const struct status_choice *choice)
{
    const char *text = request_query(request, "status");
    if (!text)
        return DEFAULT_REDIRECT_STATUS;
    uint64_t code;
    if (parse_uint(text, 999, &code))
        for (size_t i = 0; i < choice->count; i++)
            if (choice->codes[i] == code)
                return (unsigned)code;
    reply_bad_parameter(reply, request, "status", choice->accepted_en, choice->accepted_zh);
    return 0;
}

/* ?type= of /redirect/{n}. False with a 400 in reply. */
static bool redirect_type(struct request *request, struct reply *reply, enum target_type *type)
{
    const char *text = request_query(request, "type");
    *type = TARGET_RELATIVE;
    if (!text)
        return true;
    for (int t = 0; t < TARGET_TYPE_COUNT; t++)
        if (strcmp(text, target_type_names[t]) == 0) {
            *type = (enum target_type)t;
            return true;
        }
    reply_bad_parameter(reply, request, "type", "relative, absolute or scheme-relative",
                        "relative、absolute 或 scheme-relative");
    return false;
}

/* {n} of /redirect/{n} and /loop/{n}: a plain decimal integer from minimum to
 * --max-redirects. False with a 400 in reply that says which rule was broken. */
static bool parse_hops(struct request *request, struct reply *reply, const char *text,
                       uint64_t minimum, uint64_t *n)
{
    unsigned max = request->config->max_redirects;
    if (!parse_uint(text, UINT64_MAX, n) || *n < minimum) {
        reply_bad_parameter(
            reply, request, "{n}",
            request_printf(request, "a plain decimal integer from %llu to %u (--max-redirects), "
                                    "as in /redirect/3", (unsigned long long)minimum, max),
            request_printf(request, "%llu 到 %u 之间的十进制整数（--max-redirects），如 /redirect/3",
                           (unsigned long long)minimum, max));
        return false;
    }
    if (*n > max) {
        reply_bad_parameter(
            reply, request, "{n}",
            request_printf(request, "at most %u hops (--max-redirects); %llu is more than this "
                                    "server is configured to send", max, (unsigned long long)*n),
            request_printf(request, "最多 %u 跳（--max-redirects）；%llu 超过了本服务器的设定",
                           max, (unsigned long long)*n));
        return false;
    }
    return true;
}

/* "http://host:port" or "//host:port" from the Host header, for type=absolute and
 * scheme-relative; NULL with a 400 in reply when the header is missing or not host[:port]. */
static const char *target_origin(struct request *request, struct reply *reply,
                                 enum target_type type)
{
    const char *host = request_header(request, "Host");
    if (!host || !params_valid_host(host)) {
        reply_error(reply, request, 400,
                    "type=absolute and type=scheme-relative build the target from the Host "
                    "header, which is missing or not host[:port] (letters, digits, '-', '.', "
                    "'_', or an IPv6 literal in brackets, then an optional port).",
                    "type=absolute 和 type=scheme-relative 用 Host 请求头构造目标地址，但它缺失或不是 "
                    "host[:port] 形式（字母、数字、'-'、'.'、'_'，或方括号中的 IPv6 地址，可带端口）。");
        return NULL;
    }
    const char *scheme = "";
    if (type == TARGET_ABSOLUTE)
        scheme = request->tls ? "https:" : "http:";
    const char *origin = request_printf(request, "%s//%s", scheme, host);
    /* The Host header is the client's to choose: under --redirect-allow, a target built from
     * it is held to the same list as location= and url=, or "Host: evil.test" would make this
     * server redirect anywhere. */
    if (origin && !params_location_allowed(request->config, origin)) {
        params_refuse_location_host(request, reply, "Host");
        return NULL;
    }
    return origin;
}

/* The reply for a redirect to target: the code's catalogue headers, Location and the body's
 * link. False with a 500 in reply when target could not be built (arena full). */
static bool send_redirect(struct request *request, struct reply *reply, unsigned status,
                          const char *target)
{
    reply_explain(reply, request, status, 0);
    if (!target || !reply_set_header(reply, "Location", target)) {
        reply_error(reply, request, 500, "The redirect target could not be built.",
                    "无法构造重定向目标。");
        return false;
    }
    reply->link = target;
    /* The catalogue's sentence describes /status/3xx's default target, not this route's. */
    reply->location_why[LANGUAGE_EN] = request_printf(
        request, "Where the client goes next: %s, the next hop this route chose.", target);
    reply->location_why[LANGUAGE_ZH] = request_printf(
        request, "客户端下一步要去的地址：%s，即本路由选定的下一跳。", target);
    return true;
}

/* What a client does with the method and body on the next hop, per code (RFC 9110 §15.4). */
static const char *method_fate(unsigned status, enum language language)
{
    bool en = language == LANGUAGE_EN;
    switch (status) {
    case 303:
        return en ? "The client must follow with GET (or HEAD), dropping the body."
                  : "客户端必须改用 GET（或 HEAD）继续，并丢弃消息体。";
    case 307:
    case 308:
        return en ? "The client must repeat the same method with the same body."
                  : "客户端必须以相同的方法和消息体重发请求。";
    default:
        return en ? "Most clients turn a POST into a GET here, a historical practice RFC 9110 "
                    "allows; 307 and 308 forbid it."
                  : "多数客户端会在此把 POST 改为 GET，这是 RFC 9110 允许的历史做法；307 和 308 禁止这样做。";
    }
}

/* The query that travels along a chain or a loop, so that every hop is recorded under the
 * same ?key= and answers in the same ?format=: status= and type= written from their validated
 * values, then every other parameter as the client sent it (still percent-encoded). Only
 * visible ASCII travels: a parameter with any other byte is left out, so no request byte can
 * break the Location header. type NULL: a loop, which has none. NULL when it would not fit. */
static const char *kept_parameters(struct request *request, unsigned status, const char *type)
{
    char kept[KEPT_SIZE];
    int used = 0;
    kept[0] = '\0';
    if (request_query(request, "status"))
        used = snprintf(kept, sizeof kept, "?status=%u", status);
    if (type && request_query(request, "type") && used >= 0 && (size_t)used < sizeof kept)
        used += snprintf(kept + used, sizeof kept - (size_t)used, "%ctype=%s", used ? '&' : '?',
                         type);
    const char *query = request->target ? strchr(request->target, '?') : NULL;
    for (const char *p = query; p && *p && used >= 0 && (size_t)used < sizeof kept;) {
        p++; /* past '?' or '&' */
        size_t n = strcspn(p, "&#");
        size_t name = strcspn(p, "=&#");
        bool own = (name == 6 && strncmp(p, "status", 6) == 0) ||
                   (name == 4 && strncmp(p, "type", 4) == 0);
        bool visible = n > 0;
        for (size_t i = 0; i < n; i++)
            visible &= p[i] > 0x20 && p[i] < 0x7f;
        if (!own && visible)
            used += snprintf(kept + used, sizeof kept - (size_t)used, "%c%.*s", used ? '&' : '?',
                             (int)n, p);
        p += n;
        if (*p == '#')
            break;
    }
    if (used < 0 || (size_t)used >= sizeof kept)
        return NULL;
    return request_printf(request, "%s", kept);
}

/* The 400 for a query too long to travel along a chain or loop. */
static void refuse_long_query(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 400,
                "The query is too long to carry along every hop (at most 1024 bytes).",
                "查询字符串太长，无法在每一跳中保留（最多 1024 字节）。");
}

void redirects_chain(struct request *request, struct reply *reply)
{
    uint64_t n;
    enum target_type type;
    unsigned status;
    if (!parse_hops(request, reply, request->tail, 0, &n) ||
        !(status = redirect_status(request, reply, &chain_statuses)) ||
        !redirect_type(request, reply, &type))
        return;
    if (n == 0) {
        echo_anything(request, reply);
        return;
    }
    const char *origin = "";
    if (type != TARGET_RELATIVE && !(origin = target_origin(request, reply, type)))
        return;
    const char *kept = kept_parameters(request, status, target_type_names[type]);
    if (!kept) {
        refuse_long_query(request, reply);
        return;
    }
    const char *target = request_printf(request, "%s/redirect/%llu%s", origin,
                                        (unsigned long long)(n - 1), kept);
    if (!send_redirect(request, reply, status, target))
        return;
    reply->note[LANGUAGE_EN] = request_printf(
        request, "Hop 1 of %llu from here: next %s; /redirect/0 answers 200 with an echo of the "
                 "request that reaches it. %s", (unsigned long long)n, target,
        method_fate(status, LANGUAGE_EN));
    reply->note[LANGUAGE_ZH] = request_printf(
        request, "从这里起共 %llu 跳，这是第 1 跳：下一个是 %s；/redirect/0 以 200 回显到达它的请求。%s",
        (unsigned long long)n, target, method_fate(status, LANGUAGE_ZH));
}

void redirects_to(struct request *request, struct reply *reply)
{
    /* With its length: libmicrohttpd decodes %00 into a NUL that would cut the value short
     * instead of being refused like any other control byte. */
    size_t url_size = 0;
    const char *url = request_query_n(request, "url", &url_size);
    if (!url || strlen(url) != url_size || !params_valid_location(url)) {
        reply_bad_parameter(reply, request, "url",
                            "an http(s) URL or a relative reference, printable ASCII without "
                            "spaces or control bytes, at most 2048 bytes",
                            "http(s) 网址或相对引用，须为不含空格和控制字符的可打印 ASCII，最长 2048 字节");
        return;
    }
    if (!params_location_allowed(request->config, url)) {
        params_refuse_location_host(request, reply, "url");
        return;
    }
    unsigned status = redirect_status(request, reply, &single_statuses);
    if (!status || !send_redirect(request, reply, status, url))
        return;
    reply->note[LANGUAGE_EN] = request_printf(
        request, "One redirect, to the target given in url=. %s", method_fate(status, LANGUAGE_EN));
    reply->note[LANGUAGE_ZH] = request_printf(
        request, "一次重定向，目标是 url= 给出的地址。%s", method_fate(status, LANGUAGE_ZH));
}

/* /loop/{n} is step 0 of its cycle, /loop/{n}/{k} step k (1 to n-1); the step after n-1 is
 * /loop/{n} again, so every URL of the cycle stays under /loop/{n}. */
void redirects_loop(struct request *request, struct reply *reply)
{
    const char *slash = strchr(request->tail, '/');
    const char *n_text = slash ? request_printf(request, "%.*s", (int)(slash - request->tail),
                                                request->tail)
                               : request->tail;
    uint64_t n, step = 0;
    if (!n_text || !parse_hops(request, reply, n_text, 1, &n))
        return;
    if (slash && (!parse_uint(slash + 1, UINT64_MAX, &step) || step == 0 || step >= n)) {
        if (n == 1)
            reply_bad_parameter(reply, request, "{step}", "none: /loop/1 redirects to itself",
                                "无：/loop/1 重定向到自身");
        else
            reply_bad_parameter(
                reply, request, "{step}",
                request_printf(request, "/loop/%llu/1 to /loop/%llu/%llu", (unsigned long long)n,
                               (unsigned long long)n, (unsigned long long)(n - 1)),
                request_printf(request, "/loop/%llu/1 到 /loop/%llu/%llu", (unsigned long long)n,
                               (unsigned long long)n, (unsigned long long)(n - 1)));
        return;
    }
    unsigned status = redirect_status(request, reply, &chain_statuses);
    if (!status)
        return;
    const char *kept = kept_parameters(request, status, NULL);
    if (!kept) {
        refuse_long_query(request, reply);
        return;
    }
    const char *target =
        step + 1 < n ? request_printf(request, "/loop/%llu/%llu%s", (unsigned long long)n,
                                      (unsigned long long)(step + 1), kept)
                     : request_printf(request, "/loop/%llu%s", (unsigned long long)n, kept);
    if (!send_redirect(request, reply, status, target))
        return;
    reply->note[LANGUAGE_EN] = request_printf(
        request, "Step %llu of a cycle of %llu URLs that never ends; next %s. A client should "
                 "notice the loop and stop (curl --max-redirs, a browser's \"too many "
                 "redirects\").", (unsigned long long)(step + 1), (unsigned long long)n, target);
    reply->note[LANGUAGE_ZH] = request_printf(
        request, "由 %llu 个网址组成、永不结束的循环中的第 %llu 步；下一个是 %s。客户端应当发现循环并停止"
                 "（curl 的 --max-redirs，浏览器的“重定向次数过多”）。",
        (unsigned long long)n, (unsigned long long)(step + 1), target);
}
