/* /status/{code}: the core (SPEC §2, §3). */
#include "codelist.h"
#include "httplist.h"
#include "numbers.h"
#include "params.h"
#include "mhd_response.h"
#include "endpoints.h"
#include "status_cache.h"
#include "websocket.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_FINAL_AFTER_INTERIM 200

static const char *const codelist_errors_en[] = {
    [CODELIST_SYNTAX] = "a three-digit code (e.g. 404), an IIS sub-status (403.4, or 500-13 as "
                        "older IIS documents write it), a list (200,500) or a weighted list "
                        "(200:9,500:1)",
    [CODELIST_RANGE] = "codes from 100 to 999",
    [CODELIST_TOO_MANY] = "at most 64 codes in a list",
    [CODELIST_WEIGHT] = "weights that are decimal numbers from 0 to 1000000000 (200:9)",
    [CODELIST_ZERO_WEIGHTS] = "weights that are not all 0",
};
static const char *const codelist_errors_zh[] = {
    [CODELIST_SYNTAX] = "三位数字的状态码（如 404）、IIS 子状态码（403.4，或旧版 IIS 文档写法 500-13）、"
                        "列表（200,500）或带权重的列表（200:9,500:1）",
    [CODELIST_RANGE] = "100 到 999 之间的状态码",
    [CODELIST_TOO_MANY] = "列表中最多 64 个状态码",
    [CODELIST_WEIGHT] = "0 到 1000000000 之间的十进制数作为权重（200:9）",
    [CODELIST_ZERO_WEIGHTS] = "不全为 0 的权重",
};

/* Picks the code to send from the path, or fills reply with a 400 and returns NULL. */
static const struct code_choice *pick_code(struct request *request, struct reply *reply,
                                           struct code_list *list)
{
    size_t bad_item;
    enum codelist_error error = codelist_parse(request->tail, list, &bad_item);
    if (error != CODELIST_OK) {
        reply_bad_parameter(reply, request, "{code}", codelist_errors_en[error],
                            codelist_errors_zh[error]);
        return NULL;
    }
    if (list->count == 1)
        return &list->items[0];
    const char *seed_text = request_query(request, "seed");
    uint64_t seed;
    if (seed_text && !parse_uint(seed_text, UINT64_MAX, &seed)) {
        reply_bad_parameter(reply, request, "seed", "an integer from 0 to 18446744073709551615",
                            "0 到 18446744073709551615 之间的整数");
        return NULL;
    }
    double random = seed_text ? codelist_seeded_random(request->tail, seed) : codelist_random();
    return codelist_pick(list, random);
}

static bool check_sub_status(struct request *request, struct reply *reply,
                             const struct code_choice *choice)
{
    if (!choice->sub || catalog_find(choice->code, choice->sub))
        return true;
    const char *known = catalog_subs_list(choice->code);
    if (*known)
        reply_bad_parameter(reply, request, "{code}",
                            request_printf(request, "the known sub-statuses of %u: %s",
                                           choice->code, known),
                            request_printf(request, "%u 已知的子状态码：%s", choice->code, known));
    else
        reply_bad_parameter(reply, request, "{code}",
                            request_printf(request, "%u without a sub-status (it has none)",
                                           choice->code),
                            request_printf(request, "不带子状态码的 %u（它没有子状态码）",
                                           choice->code));
    return false;
}

/* The parameters that change headers (SPEC §2). Any of them makes the reply one of a kind,
 * so it is built for this request instead of coming from the cache. */
static const char *const header_parameters[] = {
    "location", "retry_after", "scheme", "realm", "allow", "then",
};

static bool has_header_parameters(struct request *request)
{
    for (size_t i = 0; i < sizeof header_parameters / sizeof header_parameters[0]; i++)
        if (request_query(request, header_parameters[i]))
            return true;
    return params_has_extra_headers(request);
}

/* The challenge for 401 (WWW-Authenticate) or 407 (Proxy-Authenticate). */
/* A Digest challenge per algorithm, as separate header fields (some clients read only one
 * challenge per field). The nonce is random: this URL only shows the challenge, it never
 * checks an answer (/digest-auth does). */
static bool set_digest_challenges(struct request *request, struct reply *reply,
                                  const char *header, const char *realm)
{
    static const char *const algorithms[] = { "MD5", "SHA-256" };
    reply_remove_header(reply, header);
    for (size_t i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++) {
        const char *value = request_printf(
            request, "Digest realm=\"%s\", qop=\"auth\", algorithm=%s, nonce=\"%016llx\", "
                     "opaque=\"statusd\"",
            realm, algorithms[i], (unsigned long long)(codelist_random() * 0x1p63));
        if (!reply_add_header(reply, header, value))
            return false;
    }
    return true;
}

static bool apply_challenge(struct request *request, struct reply *reply, const char *header)
{
    const char *scheme = request_query(request, "scheme");
    const char *realm = request_query(request, "realm");
    if (!scheme && !realm)
        return true;
    if (realm && !params_valid_realm(realm)) {
        reply_bad_parameter(reply, request, "realm",
                            "1-128 printable ASCII characters without '\"' or '\\'",
                            "1 到 128 个可打印 ASCII 字符，不含 '\"' 和 '\\'");
        return false;
    }
    if (!realm)
        realm = reply->status == 407 ? "statusd-proxy" : "statusd";
    const char *value = NULL;
    if (!scheme || strcmp(scheme, "basic") == 0)
        value = request_printf(request, "Basic realm=\"%s\"", realm);
    else if (strcmp(scheme, "bearer") == 0)
        value = request_printf(request, "Bearer realm=\"%s\"", realm);
    else if (strcmp(scheme, "digest") == 0)
        /* Two challenges, MD5 first: clients take the first one they can answer, and some
         * (Python's urllib) know MD5 only; SHA-256 for the others (RFC 7616 §3.7). */
        return set_digest_challenges(request, reply, header, realm);
    else {
        reply_bad_parameter(reply, request, "scheme", "basic, bearer or digest",
                            "basic、bearer 或 digest");
        return false;
    }
    return reply_set_header(reply, header, value);
}

static bool apply_allow(struct request *request, struct reply *reply)
{
    const char *allow = request_query(request, "allow");
    if (!allow)
        return true;
    char list[256] = "";
    size_t used = 0;
    if (httplist_has_empty_element(allow))
        goto invalid;
    struct httplist_item item;
    for (const char *p = allow; httplist_next(&p, &item);) {
        char method[65];
        if (item.length >= sizeof method)
            goto invalid;
        memcpy(method, item.start, item.length);
        method[item.length] = '\0';
        if (!params_valid_token(method))
            goto invalid;
        int written = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", method);
        if (written < 0 || (size_t)written >= sizeof list - used)
            goto invalid;
        used += (size_t)written;
    }
    return reply_set_header(reply, "Allow", request_printf(request, "%s", list));
invalid:
    reply_bad_parameter(reply, request, "allow", "a comma-separated list of method names (GET,POST)",
                        "以逗号分隔的方法名列表（GET,POST）");
    return false;
}

/* location=, retry_after=, scheme=/realm=, allow=, h=. False when one was refused. */
static bool apply_header_parameters(struct request *request, struct reply *reply)
{
    unsigned code = reply->status;
    const char *location = request_query(request, "location");
    if (location && (reply_get_header(reply, "Location") || (code >= 300 && code < 400))) {
        if (!params_valid_location(location)) {
            reply_bad_parameter(reply, request, "location",
                                "an http(s) URL or a relative reference, printable ASCII without "
                                "spaces, at most 2048 bytes",
                                "http(s) 网址或相对引用，须为不含空格的可打印 ASCII，最长 2048 字节");
            return false;
        }
        if (!params_location_allowed(request->config, location)) {
            params_refuse_location_host(request, reply, "location");
            return false;
        }
        reply_set_header(reply, "Location", location);
    }
    const char *retry_after = request_query(request, "retry_after");
    if (retry_after) {
        const char *value = params_retry_after(request, retry_after);
        if (!value) {
            reply_bad_parameter(reply, request, "retry_after",
                                "seconds from 0 to 31536000, or date:SECONDS for an HTTP-date",
                                "0 到 31536000 之间的秒数，或 date:秒数 表示 HTTP 日期");
            return false;
        }
        reply_set_header(reply, "Retry-After", value);
    }
    if (code == 401 && !apply_challenge(request, reply, "WWW-Authenticate"))
        return false;
    if (code == 407 && !apply_challenge(request, reply, "Proxy-Authenticate"))
        return false;
    if (code == 405 && !apply_allow(request, reply))
        return false;
    return params_apply_extra_headers(request, reply);
}

/* 1xx other than 101 (SPEC §3): the interim code goes on the wire first, then a final one
 * whose body explains the interim code. */
static bool explain_interim(struct request *request, struct reply *reply, unsigned code,
                            unsigned sub)
{
    uint64_t final_code = DEFAULT_FINAL_AFTER_INTERIM;
    const char *then = request_query(request, "then");
    if (then && (!parse_uint(then, 999, &final_code) || final_code < 200)) {
        reply_bad_parameter(reply, request, "then", "a final status from 200 to 999",
                            "200 到 999 之间的最终状态码");
        return false;
    }
    reply_explain(reply, request, (unsigned)final_code, 0);
    reply->entry = catalog_find(code, sub);
    reply->explained_code = code;
    if (request_is_http10(request)) {
        /* RFC 9110 §15.2: never a 1xx to an HTTP/1.0 client. The body must not claim one was
         * sent, so it says what happened instead. */
        reply->note[LANGUAGE_EN] = request_printf(
            request,
            "No interim %u was sent: this is an HTTP/1.0 request, and a server never sends a 1xx "
            "to an HTTP/1.0 client (RFC 9110 section 15.2). Ask with HTTP/1.1 to see it.",
            code);
        reply->note[LANGUAGE_ZH] = request_printf(
            request,
            "没有发送临时响应 %u：这是 HTTP/1.0 请求，服务器从不向 HTTP/1.0 客户端发送 1xx"
            "（RFC 9110 第 15.2 节）。改用 HTTP/1.1 请求即可看到它。",
            code);
        return true;
    }
    reply->interim = code;
    return true;
}

/* 101 (SPEC §3): a WebSocket handshake switches; without Upgrade, 426 says how to ask. */
static void explain_switch(struct request *request, struct reply *reply)
{
    const char *upgrade = request_header(request, "Upgrade");
    /* Upgrade: websocket switches for real: websocket.c checks the rest of the handshake and
     * answers 101, or the refusal RFC 6455 §4.2 prescribes (400, 426 + version, 503). */
    if (websocket_upgrade_requested(upgrade)) {
        websocket_handshake(request, reply);
        return;
    }
    if (upgrade && strcasecmp(upgrade, "websocket") != 0) {
        reply_error(reply, request, 400,
                    request_printf(request, "statusd switches only to websocket, not to '%s'.",
                                   upgrade),
                    request_printf(request, "statusd 只能切换到 websocket，不能切换到 '%s'。",
                                   upgrade));
        return;
    }
    reply_error(reply, request, 426,
                "101 Switching Protocols needs a request that asks for it: send 'Connection: "
                "Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13' and a "
                "Sec-WebSocket-Key, e.g. with websocat ws://HOST/status/101.",
                "101 切换协议需要请求主动提出：发送 'Connection: Upgrade'、'Upgrade: websocket'、"
                "'Sec-WebSocket-Version: 13' 和 Sec-WebSocket-Key，例如 websocat ws://HOST/status/101。");
}

/* Where the body's "next" link points: the redirect target, the login page of a 511. */
static void set_link(struct reply *reply)
{
    const char *location = reply_get_header(reply, "Location");
    if (location)
        reply->link = location;
    else if (reply->status == 511)
        reply->link = "/basic-auth/user/passwd";
}

/* A 406 should name the representations the resource does have (RFC 9110 §15.5.7): every
 * explanation statusd sends comes in these three, chosen by Accept or ?format=. */
static void name_representations(struct reply *reply)
{
    if (reply->note[LANGUAGE_EN])
        return;
    reply->note[LANGUAGE_EN] = "Available representations: text/plain, text/html, "
                               "application/json (choose with Accept or ?format=text|html|json).";
    reply->note[LANGUAGE_ZH] = "可用的表示：text/plain、text/html、application/json"
                               "（用 Accept 或 ?format=text|html|json 选择）。";
}

/* The reply for one picked code, with this request's parameters applied. */
static void build_reply(struct request *request, struct reply *reply,
                        const struct code_choice *choice)
{
    unsigned code = choice->code;
    if (code == 101) {
        explain_switch(request, reply);
        if (reply->upgrade_handler)
            return; /* the switch carries the handshake's headers only, no parameters */
    } else if (code < 200) {
        if (!explain_interim(request, reply, code, choice->sub))
            return;
    } else {
        reply_explain(reply, request, code, choice->sub);
        if (code == 406)
            name_representations(reply);
    }
    if (reply->status == 400 && code != 400)
        return; /* a refused parameter or Upgrade: the 400 stands as it is */
    if (!apply_header_parameters(request, reply))
        return;
    set_link(reply);
}

struct cache_build {
    struct request *request;
    const struct code_choice *choice;
};

static void *build_cache_entry(void *context)
{
    struct cache_build *b = context;
    struct status_cache_entry *entry = malloc(sizeof *entry);
    if (!entry)
        return NULL;
    struct reply fresh = { 0 };
    build_reply(b->request, &fresh, b->choice);
    entry->response = mhd_response_build(b->request, &fresh, &entry->body_length);
    if (!entry->response) {
        free(entry);
        return NULL;
    }
    return entry;
}

/* The shared response for a request without header parameters, built by the same code as any
 * other reply the first time it is needed. NULL when it cannot be built. */
static struct MHD_Response *cached_response(struct request *request,
                                            const struct code_choice *choice,
                                            uint64_t *body_length)
{
    struct once *slot =
        status_cache_slot(choice->code, choice->sub, request->format, request->languages);
    if (!slot)
        return NULL;
    struct cache_build build = { request, choice };
    struct status_cache_entry *entry =
        once_get(slot, build_cache_entry, status_cache_entry_free, &build);
    if (!entry)
        return NULL;
    *body_length = entry->body_length;
    return entry->response;
}

void status_handle(struct request *request, struct reply *reply)
{
    struct code_list list;
    const struct code_choice *choice = pick_code(request, reply, &list);
    if (!choice || !check_sub_status(request, reply, choice))
        return;
    unsigned code = choice->code;
    /* A 1xx to HTTP/1.0 sends no interim, so its body differs from the cached one. */
    bool plain = !has_header_parameters(request) && code != 405 && code != 101 &&
                 !(code < 200 && request_is_http10(request)) &&
                 !(code == 206 && request_header(request, "Range")) &&
                 /* a shaped body, or a drawn delay's Server-Timing, is this request's own */
                 !reply_shape_active(&reply->shape) && !reply_get_header(reply, "Server-Timing");
    if (plain && (reply->shared = cached_response(request, choice, &reply->shared_length))) {
        bool interim = code < 200;
        reply->status = interim ? DEFAULT_FINAL_AFTER_INTERIM : code;
        reply->interim = interim ? code : 0;
        return;
    }
    build_reply(request, reply, choice);
}
