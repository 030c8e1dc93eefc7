/* /status/{code}: the core (SPEC §2, §3). */
#include "base64.h"
#include "codelist.h"
#include "config.h"
#include "httplist.h"
#include "numbers.h"
#include "params.h"
#include "range.h"
#include "mhd_response.h"
#include "endpoints.h"
#include "status_cache.h"
#include "websocket.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_FINAL_AFTER_INTERIM 200

static const char *const codelist_errors_en[] = {
    [CODELIST_SYNTAX] = "a three-digit code (e.g. 404), an IIS sub-status (403.4, or 500-13 as "
                        "older IIS documents write it), a range (500-504), a list (200,500-504) "
                        "or a weighted list (200:9,500:1, 200,500-504:3)",
    [CODELIST_RANGE] = "codes from 100 to 999",
    [CODELIST_TOO_MANY] = "at most 64 codes in a list",
    [CODELIST_WEIGHT] = "weights that are decimal numbers from 0 to 1000000000 (200:9)",
    [CODELIST_ZERO_WEIGHTS] = "weights that are not all 0",
};
static const char *const codelist_errors_zh[] = {
    [CODELIST_SYNTAX] = "三位数字的状态码（如 404）、IIS 子状态码（403.4，或旧版 IIS 文档写法 500-13）、"
                        "范围（500-504）、列表（200,500-504）或带权重的列表（200:9,500:1、"
                        "200,500-504:3）",
    [CODELIST_RANGE] = "100 到 999 之间的状态码",
    [CODELIST_TOO_MANY] = "列表中最多 64 个状态码",
    [CODELIST_WEIGHT] = "0 到 1000000000 之间的十进制数作为权重（200:9）",
    [CODELIST_ZERO_WEIGHTS] = "不全为 0 的权重",
};

/* Picks the code to send from the path into *picked, or fills reply with a 400 and returns
 * false. */
static bool pick_code(struct request *request, struct reply *reply, struct code_choice *picked)
{
    struct code_list list;
    size_t bad_item;
    enum codelist_error error = codelist_parse(request->tail, &list, &bad_item);
    if (error != CODELIST_OK) {
        reply_bad_parameter(reply, request, "{code}", codelist_errors_en[error],
                            codelist_errors_zh[error]);
        return false;
    }
    if (list.count == 1 && list.items[0].last == list.items[0].code) {
        *picked = list.items[0];
        return true;
    }
    const char *seed_text = request_query(request, "seed");
    uint64_t seed;
    if (seed_text && !parse_uint(seed_text, UINT64_MAX, &seed)) {
        reply_bad_parameter(reply, request, "seed", "an integer from 0 to 18446744073709551615",
                            "0 到 18446744073709551615 之间的整数");
        return false;
    }
    double random = seed_text ? codelist_seeded_random(request->tail, seed) : codelist_random();
    *picked = codelist_pick(&list, random);
    return true;
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
    else if (choice->sub >= 100 && strchr(request->tail, '-'))
        /* "504-500": a range written downward reads as IIS's dash spelling of 504.500. */
        reply_bad_parameter(reply, request, "{code}",
                            request_printf(request, "%u without a sub-status (it has none), or "
                                           "a range that goes upward (%u-%u, not %u-%u)",
                                           choice->code, choice->sub, choice->code,
                                           choice->code, choice->sub),
                            request_printf(request, "不带子状态码的 %u（它没有子状态码），或从小到大"
                                           "的范围（%u-%u，而不是 %u-%u）",
                                           choice->code, choice->sub, choice->code,
                                           choice->code, choice->sub));
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
    "location", "retry_after", "scheme", "realm", "allow", "then", "link",
};

/* The parameters that replace the body (README "Make it return exactly this"). */
static const char *const body_parameters[] = {
    "body", "body_base64", "content_type", "vendor",
};

static bool has_header_parameters(struct request *request)
{
    for (size_t i = 0; i < sizeof body_parameters / sizeof body_parameters[0]; i++)
        if (request_query(request, body_parameters[i]))
            return true;
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
struct link_collect {
    struct reply *reply;
    const char *refused; /* the first value refused */
};

static bool collect_link(void *context, const char *name, const char *value)
{
    struct link_collect *c = context;
    if (strcmp(name, "link") != 0)
        return true;
    /* A Link field value (RFC 8288 §3): "<target>" and parameters; nothing that could end
     * the field or start another. */
    bool ok = value && value[0] == '<' && strchr(value, '>') &&
              c->reply->interim_link_count < REPLY_MAX_INTERIM_LINKS;
    for (const unsigned char *p = (const unsigned char *)value; ok && *p; p++)
        ok = *p >= 0x20 && *p != 0x7f;
    if (!ok) {
        c->refused = value ? value : "";
        return false;
    }
    c->reply->interim_links[c->reply->interim_link_count++] = value;
    return true;
}

/* ?link=</static/style.css>; rel=preload; as=style, repeatable: the Link fields the 103
 * carries instead of the catalogue's. False with a 400 naming the bad one. */
static bool read_interim_links(struct request *request, struct reply *reply)
{
    struct link_collect c = { reply, NULL };
    request_each(request, REQUEST_QUERY, collect_link, &c);
    if (!c.refused)
        return true;
    reply->interim = 0;
    reply->interim_link_count = 0;
    reply_bad_parameter(reply, request, "link",
                        "a Link field value like </static/style.css>; rel=preload; as=style "
                        "(at most 8, no control characters)",
                        "Link 字段值，例如 </static/style.css>; rel=preload; as=style"
                        "（最多 8 个，不含控制字符）");
    return false;
}

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
    return code != 103 || read_interim_links(request, reply);
}

/* 101 (SPEC §3): a WebSocket handshake switches; without Upgrade, 426 says how to ask. */
static void explain_switch(struct request *request, struct reply *reply)
{
    if (request->protocol == PROTOCOL_H2) {
        reply_error(reply, request, 426,
                    "HTTP/2 cannot switch protocols: 101 and WebSocket's Upgrade handshake exist "
                    "only in HTTP/1.1 (RFC 9113 section 8.6). Ask again over HTTP/1.1, e.g. "
                    "curl --http1.1, or websocat ws://HOST/status/101.",
                    "HTTP/2 不能切换协议：101 和 WebSocket 的 Upgrade 握手只存在于 HTTP/1.1"
                    "（RFC 9113 第 8.6 节）。请改用 HTTP/1.1 重新请求，例如 curl --http1.1，"
                    "或 websocat ws://HOST/status/101。");
        return;
    }
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

/* Decodes base64 with or without its '=' padding, in either alphabet (a URL carries the
 * URL-safe one more easily), into out (room for max bytes). False for anything else: a
 * foreign character, padding in the middle, a lone last digit, or bits left over. */
static bool base64_decode(const char *text, size_t length, unsigned char *out, size_t max,
                          size_t *out_length)
{
    while (length > 0 && text[length - 1] == '=')
        length--;
    return base64_decode_digits(text, length, out, max, out_length);
}

/* ?body= / ?body_base64= and ?content_type=: the user's bytes instead of the explanation.
 * False with a 400 when one is refused. The body is copied: a 206 slices it, and the
 * response frees it. */
static bool apply_body(struct request *request, struct reply *reply)
{
    size_t text_length = 0, encoded_length = 0, type_length = 0;
    const char *text = request_query_n(request, "body", &text_length);
    const char *encoded = request_query_n(request, "body_base64", &encoded_length);
    const char *type = request_query_n(request, "content_type", &type_length);
    if (!text && !encoded && !type)
        return true;
    if (text && encoded) {
        reply_bad_parameter(reply, request, "body_base64",
                            "either body= (text) or body_base64= (bytes), not both",
                            "body=（文本）或 body_base64=（字节）二者之一，不能同时使用");
        return false;
    }
    if (!text && !encoded) {
        reply_bad_parameter(reply, request, "content_type",
                            "a media type together with body= or body_base64= (the type of the "
                            "body you give; the explanation keeps its own)",
                            "与 body= 或 body_base64= 一起使用的媒体类型（说明你给出的正文的类型；"
                            "状态说明保持自己的类型）");
        return false;
    }
    if (type && (type_length != strlen(type) || !params_valid_media_type(type))) {
        reply_bad_parameter(reply, request, "content_type",
                            "a media type such as text/csv or application/json; charset=utf-8: "
                            "type/subtype and ;name=value parameters, printable ASCII, no CR, LF "
                            "or other control bytes, at most 256 bytes",
                            "媒体类型，如 text/csv 或 application/json; charset=utf-8：type/subtype "
                            "加 ;name=value 参数，须为可打印 ASCII，不含 CR、LF 等控制字符，最长 256 字节");
        return false;
    }
    if (!status_has_content(reply->status)) {
        reply_error(reply, request, 400,
                    request_printf(request,
                                   "Status %u never carries content (RFC 9110 sections 6.4.1, "
                                   "15.3.5, 15.3.6, 15.4.5): body= and body_base64= cannot be "
                                   "sent with it. Leave them out, or pick a status that has a "
                                   "body.",
                                   reply->status),
                    request_printf(request,
                                   "状态码 %u 从不携带内容（RFC 9110 第 6.4.1、15.3.5、15.3.6、"
                                   "15.4.5 节）：不能与 body= 或 body_base64= 一起发送。请去掉它们，"
                                   "或换一个带正文的状态码。",
                                   reply->status));
        reply->note_first = true;
        return false;
    }
    uint64_t max = request->config->max_body;
    /* Decoded base64 is 3/4 of its text: compare what it will be, before decoding it. */
    uint64_t size = text ? text_length : encoded_length / 4 * 3 + (encoded_length % 4) * 3 / 4;
    if (size > max) {
        const char *parameter = text ? "body" : "body_base64";
        reply_bad_parameter(
            reply, request, parameter,
            request_printf(request, "a body of at most %" PRIu64 " bytes (--max-body); this one "
                           "has %" PRIu64, max, size),
            request_printf(request, "最多 %" PRIu64 " 字节的正文（--max-body）；这个有 %" PRIu64
                           " 字节", max, size));
        return false;
    }
    char *copy = malloc(size + 1);
    if (!copy) {
        reply->failed = true;
        return false;
    }
    size_t length = text_length;
    if (text) {
        memcpy(copy, text, text_length);
    } else if (!base64_decode(encoded, encoded_length, (unsigned char *)copy, (size_t)size,
                              &length)) {
        free(copy);
        reply_bad_parameter(reply, request, "body_base64",
                            "base64 (RFC 4648, standard or URL-safe alphabet, '=' padding "
                            "optional)",
                            "base64 编码（RFC 4648，标准或 URL 安全字母表，'=' 填充可省略）");
        return false;
    }
    reply->owned_body = copy;
    reply->body = copy;
    reply->body_length = length;
    reply->content_type = type ? type : text ? "text/plain; charset=utf-8"
                                             : "application/octet-stream";
    return true;
}

/* A 206 with the user's body: the first range the Range header asks for, or the whole body
 * without one, with Content-Range saying which bytes these are. False with a 416 when no
 * range can be met. */
static bool slice_user_body(struct request *request, struct reply *reply)
{
    if (reply->status != 206 || !reply->owned_body)
        return true;
    struct byte_range ranges[RANGE_MAX];
    size_t count;
    uint64_t full = reply->body_length;
    enum range_result result =
        range_parse(request_header(request, "Range"), full, ranges, &count);
    uint64_t first = 0, last = full ? full - 1 : 0;
    if (result == RANGE_UNSATISFIABLE || (result != RANGE_SATISFIABLE && full == 0)) {
        free(reply->owned_body);
        reply_error(reply, request, 416,
                    "The Range header asks for bytes beyond the end of the body you gave.",
                    "Range 请求头要求的字节超出了你给出的正文的末尾。");
        reply_set_header(reply, "Content-Range",
                         request_printf(request, "bytes */%" PRIu64, full));
        return false;
    }
    if (result == RANGE_SATISFIABLE) { /* the first range only, as for the explanation */
        first = ranges[0].first;
        last = ranges[0].last;
    }
    memmove(reply->owned_body, reply->owned_body + first, (size_t)(last - first + 1));
    reply->body_length = (size_t)(last - first + 1);
    return reply_set_header(reply, "Content-Range",
                            request_printf(request, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
                                           first, last, full));
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

/* ?vendor=: which vendor's meaning of the number the body explains (420 is Twitter's Enhance
 * Your Calm or Spring's Method Failure). The headers the catalogue gives the first meaning
 * (RFC 7725's Link for 451) go with it. False with a 400 naming the vendors there are. */
static bool apply_vendor(struct request *request, struct reply *reply, unsigned code,
                         unsigned sub)
{
    const char *vendor = request_query(request, "vendor");
    if (!vendor)
        return true;
    const struct catalog_entry *meaning = catalog_find_vendor(code, sub, vendor);
    if (meaning) {
        const struct catalog_entry *first = reply->entry;
        for (size_t i = 0; meaning != first && first && i < first->header_count; i++)
            reply_remove_header(reply, first->headers[i].name);
        reply->entry = meaning;
        return true;
    }
    const struct catalog_entry *entry = catalog_find(code, sub);
    if (entry && entry->vendors) {
        reply_bad_parameter(reply, request, "vendor",
                            request_printf(request, "a vendor that gives %u a meaning: %s",
                                           code, entry->vendors),
                            request_printf(request, "赋予 %u 含义的厂商之一：%s", code,
                                           entry->vendors));
        return false;
    }
    reply_bad_parameter(reply, request, "vendor",
                        request_printf(request, "no value for %u, which has one meaning only "
                                       "(420, 451 and 499, for instance, have several)", code),
                        request_printf(request, "空：%u 只有一种含义（例如 420、451 和 499 有多种）",
                                       code));
    return false;
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
        if (!apply_vendor(request, reply, code, choice->sub))
            return;
    }
    if (reply->status == 400 && code != 400)
        return; /* a refused parameter or Upgrade: the 400 stands as it is */
    if (!apply_header_parameters(request, reply))
        return;
    if (!apply_body(request, reply) || !slice_user_body(request, reply))
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
    /* The same answer once more, frozen for HTTP/2; without it (out of memory) HTTP/2
     * renders per request, as it would anyway. */
    struct reply again = { 0 };
    struct response neutral;
    build_reply(b->request, &again, b->choice);
    entry->frozen = NULL;
    if (response_from_reply(b->request, &again, &neutral)) {
        entry->frozen = response_freeze(&neutral);
        response_release(&neutral);
    }
    free(again.owned_body);
    return entry;
}

/* The shared response for a request without header parameters, built by the same code as any
 * other reply the first time it is needed. NULL when it cannot be built. */
static struct status_cache_entry *cached_response(struct request *request,
                                                  const struct code_choice *choice)
{
    /* The coding is part of the key; a refusal of ?encoding= (400, 406) is never cached. */
    enum coding coding;
    enum response_encoding encoding = response_encoding(request, &coding);
    if (encoding != ENCODING_NOT_ASKED && encoding != ENCODING_NEGOTIATED)
        return NULL;
    struct once *slot =
        status_cache_slot(choice->code, choice->sub, request->format, request->languages,
                          status_cache_coding(encoding == ENCODING_NEGOTIATED, coding));
    if (!slot)
        return NULL;
    struct cache_build build = { request, choice };
    return once_get(slot, build_cache_entry, status_cache_entry_free, &build);
}

void status_handle(struct request *request, struct reply *reply)
{
    struct code_choice picked;
    if (!pick_code(request, reply, &picked) || !check_sub_status(request, reply, &picked))
        return;
    const struct code_choice *choice = &picked;
    unsigned code = choice->code;
    /* A 1xx to HTTP/1.0 sends no interim, so its body differs from the cached one. */
    bool plain = !has_header_parameters(request) && code != 405 && code != 101 &&
                 !(code < 200 && request_is_http10(request)) &&
                 !(code == 206 && request_header(request, "Range")) &&
                 /* a shaped body, or a drawn delay's Server-Timing, is this request's own */
                 !reply_shape_active(&reply->shape) && !reply_get_header(reply, "Server-Timing");
    struct status_cache_entry *entry = plain ? cached_response(request, choice) : NULL;
    /* libmicrohttpd's prebuilt response for HTTP/1.1, the frozen one for HTTP/2. */
    if (entry && request->protocol == PROTOCOL_H1) {
        reply->shared = entry->response;
        reply->shared_length = entry->body_length;
    } else if (entry) {
        reply->shared_response = entry->frozen;
    }
    if (reply->shared || reply->shared_response) {
        bool interim = code < 200;
        reply->status = interim ? DEFAULT_FINAL_AFTER_INTERIM : code;
        reply->interim = interim ? code : 0;
        return;
    }
    build_reply(request, reply, choice);
}
