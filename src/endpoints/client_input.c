/* Codes that depend on what the client sends (SPEC §8): /upload (100, 411, 413, 415, 417 and
 * the SHA-256 of the body), /method/{list} (405 + Allow) and /negotiate/{types} (406).
 *
 * Every refusal of an upload is decided from the head alone, in the precheck, so the body is
 * never read: with Expect: 100-continue the client is told before it sends a byte. */
#include "config.h"
#include "httplist.h"
#include "numbers.h"
#include "params.h"
#include "endpoints.h"
#include "strbuf.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bounds that keep a list, its Allow header and the notes repeating it inside the request's
 * arena (REQUEST_ARENA_SIZE). */
#define LIST_MAX_ITEMS 16
#define LIST_MAX_BYTES 1024
/* "type/subtype", each an RFC 9110 token of at most 64 bytes (params_valid_token). */
#define MEDIA_TYPE_MAX 129

/* --- comma-separated lists of methods or media types ----------------------------------- */

/* One item of a list, pointing into the text it came from (not NUL-terminated). */
struct span {
    const char *start;
    size_t length;
};

struct item_list {
    struct span items[LIST_MAX_ITEMS];
    size_t count;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool span_equals(struct span item, const char *text, bool ignore_case)
{
    if (strlen(text) != item.length)
        return false;
    return ignore_case ? strncasecmp(item.start, text, item.length) == 0
                       : strncmp(item.start, text, item.length) == 0;
}

static bool list_has(const struct item_list *list, const char *text, bool ignore_case)
{
    for (size_t i = 0; i < list->count; i++)
        if (span_equals(list->items[i], text, ignore_case))
            return true;
    return false;
}

/* Copies an item so a validator or a matcher can read it as a string. */
static bool span_copy(struct span item, char *out, size_t size)
{
    if (item.length >= size)
        return false;
    memcpy(out, item.start, item.length);
    out[item.length] = '\0';
    return true;
}

/* Splits "a,b, c" into items, spaces around each ignored (RFC 9110 §5.6.1 lists), an exact
 * repeat dropped. False for an empty list or item, more than LIST_MAX_ITEMS items, more than
 * LIST_MAX_BYTES bytes, or an item valid() refuses. */
static bool list_parse(const char *text, bool (*valid)(const char *), struct item_list *list)
{
    list->count = 0;
    if (!text || strlen(text) > LIST_MAX_BYTES || httplist_has_empty_element(text))
        return false;
    struct httplist_item element;
    for (const char *p = text; httplist_next(&p, &element);) {
        struct span item = { element.start, element.length };
        char copy[MEDIA_TYPE_MAX + 1];
        if (!span_copy(item, copy, sizeof copy) || !valid(copy))
            return false;
        if (!list_has(list, copy, false)) {
            if (list->count == LIST_MAX_ITEMS)
                return false;
            list->items[list->count++] = item;
        }
    }
    return true;
}

/* "a, b, c" in the arena, for Allow, Accept-Post and the notes; NULL when the arena is full. */
static const char *list_join(struct request *request, const struct item_list *list)
{
    char joined[LIST_MAX_ITEMS * (MEDIA_TYPE_MAX + 2) + 1];
    size_t used = 0;
    joined[0] = '\0';
    for (size_t i = 0; i < list->count; i++) {
        int n = snprintf(joined + used, sizeof joined - used, "%s%.*s", i ? ", " : "",
                         (int)list->items[i].length, list->items[i].start);
        if (n < 0 || (size_t)n >= sizeof joined - used)
            return NULL;
        used += (size_t)n;
    }
    return request_printf(request, "%s", joined);
}

/* "type/subtype" with both halves tokens. Wildcards are ranges, not types: refused. */
static bool is_media_type(const char *text)
{
    const char *slash = strchr(text, '/');
    if (!slash || (size_t)(slash - text) > 64)
        return false;
    char type[65];
    memcpy(type, text, (size_t)(slash - text));
    type[slash - text] = '\0';
    const char *subtype = slash + 1;
    return params_valid_token(type) && params_valid_token(subtype) && strcmp(type, "*") != 0 &&
           strcmp(subtype, "*") != 0;
}

/* A note that repeats request data may not fit the arena; the fixed text then stands in. */
static const char *or_fixed(const char *formatted, const char *fixed)
{
    return formatted ? formatted : fixed;
}

/* --- /upload ------------------------------------------------------------------------------ */

struct upload_rules {
    bool has_max;
    uint64_t max;
    bool require_length;
    struct item_list accepted; /* empty: any Content-Type */
};

/* The query parameters of /upload; false with a 400 naming the bad one. */
static bool upload_rules_read(struct request *request, struct reply *reply,
                              struct upload_rules *rules)
{
    *rules = (struct upload_rules){ 0 };
    uint64_t max_body = request->config->max_body;
    const char *max = request_query(request, "max");
    if (max) {
        if (!parse_uint(max, max_body, &rules->max)) {
            reply_bad_parameter(
                reply, request, "max",
                or_fixed(request_printf(request, "a byte count from 0 to %llu (--max-body)",
                                        (unsigned long long)max_body),
                         "a byte count from 0 to --max-body"),
                or_fixed(request_printf(request, " 0 到 %llu 之间的字节数（--max-body）",
                                        (unsigned long long)max_body),
                         " 0 到 --max-body 之间的字节数"));
            return false;
        }
        rules->has_max = true;
    }
    const char *require_length = request_query(request, "require_length");
    if (require_length) {
        if (strcmp(require_length, "0") != 0 && strcmp(require_length, "1") != 0) {
            reply_bad_parameter(reply, request, "require_length", "0 or 1", " 0 或 1");
            return false;
        }
        rules->require_length = require_length[0] == '1';
    }
    const char *accept = request_query(request, "accept");
    if (accept && !list_parse(accept, is_media_type, &rules->accepted)) {
        reply_bad_parameter(reply, request, "accept",
                            "1 to 16 comma-separated media types (type/subtype, no wildcards), "
                            "as in application/json,text/plain",
                            "1 到 16 个以逗号分隔的媒体类型（type/subtype，不含通配符），"
                            "例如 application/json,text/plain");
        return false;
    }
    return true;
}

/* Chunked framing is the only way a body comes without a length (RFC 9112 §6.3); the server
 * refuses a request that has both. */
static bool body_is_chunked(const struct request *request)
{
    return request_header(request, "Transfer-Encoding") != NULL &&
           request_header(request, "Content-Length") == NULL;
}

static bool expects_continue(const struct request *request)
{
    const char *expect = request_header(request, "Expect");
    return expect && strcasecmp(expect, "100-continue") == 0;
}

/* Whether Content-Type, without its parameters (charset, boundary), is one of the list. */
static bool content_type_accepted(const char *content_type, const struct item_list *accepted)
{
    if (!content_type)
        return false;
    while (is_space(*content_type))
        content_type++;
    struct span type = { content_type, strcspn(content_type, "; \t") };
    char copy[MEDIA_TYPE_MAX + 1];
    return span_copy(type, copy, sizeof copy) && list_has(accepted, copy, true);
}

static void refuse_too_large(struct request *request, struct reply *reply, uint64_t size,
                             uint64_t max)
{
    reply_error(reply, request, 413,
                or_fixed(request_printf(request,
                                        "The body is %llu bytes; /upload?max=%llu accepts at "
                                        "most %llu. It was not read.",
                                        (unsigned long long)size, (unsigned long long)max,
                                        (unsigned long long)max),
                         "The body is larger than ?max= allows. It was not read."),
                or_fixed(request_printf(request,
                                        "消息体有 %llu 字节；/upload?max=%llu 最多接受 %llu "
                                        "字节，未读取。",
                                        (unsigned long long)size, (unsigned long long)max,
                                        (unsigned long long)max),
                         "消息体超过了 ?max= 的上限，未读取。"));
}

static void refuse_media_type(struct request *request, struct reply *reply,
                              const struct item_list *accepted)
{
    const char *sent = request_header(request, "Content-Type");
    const char *list = list_join(request, accepted);
    reply_explain(reply, request, 415, 0);
    /* Accept-Post and Accept-Patch say what this resource takes (RFC 9110 §15.5.16); both
     * carry the list, as any upload method gets the same check. */
    if (list) {
        reply_set_header(reply, "Accept-Post", list);
        reply_set_header(reply, "Accept-Patch", list);
    }
    const char *what_en = "A body without Content-Type";
    const char *what_zh = "没有 Content-Type 的消息体";
    if (sent) {
        what_en = or_fixed(request_printf(request, "Content-Type %s", sent), "This Content-Type");
        what_zh = or_fixed(request_printf(request, "Content-Type 为 %s 的消息体", sent),
                           "此 Content-Type 的消息体");
    }
    bool put = request->method_id == METHOD_PUT;
    reply->note[LANGUAGE_EN] = or_fixed(
        request_printf(request, "%s is not accepted here; send one of: %s.%s", what_en,
                       list ? list : "the types in ?accept=",
                       put ? " PUT has no header that lists accepted types (Accept-Post and "
                             "Accept-Patch are for POST and PATCH), so this note does." : ""),
        "This Content-Type is not one of those in ?accept=.");
    reply->note[LANGUAGE_ZH] = or_fixed(
        request_printf(request, "此处不接受%s；请发送以下类型之一：%s。%s", what_zh,
                       list ? list : "?accept= 中的类型",
                       put ? "PUT 没有列出可接受类型的响应头（Accept-Post 和 Accept-Patch 只用于 "
                             "POST 和 PATCH），因此在这里说明。" : ""),
        "此 Content-Type 不在 ?accept= 之列。");
}

bool client_input_upload_precheck(struct request *request, struct reply *reply)
{
    struct upload_rules rules;
    if (!upload_rules_read(request, reply, &rules))
        return false;
    const char *length = request_header(request, "Content-Length");
    uint64_t declared;
    if (rules.has_max && length && parse_uint(length, UINT64_MAX, &declared) &&
        declared > rules.max) {
        refuse_too_large(request, reply, declared, rules.max);
        return false;
    }
    if (rules.require_length && body_is_chunked(request)) {
        reply_error(reply, request, 411,
                    "?require_length=1 asks for a Content-Length; this body is chunked "
                    "(Transfer-Encoding: chunked), so its size is unknown until its end. It was "
                    "not read.",
                    "?require_length=1 要求 Content-Length；此消息体是分块传输的（Transfer-Encoding: "
                    "chunked），读完之前不知道大小。未读取。");
        return false;
    }
    if (rules.accepted.count &&
        !content_type_accepted(request_header(request, "Content-Type"),
                               &rules.accepted)) {
        refuse_media_type(request, reply, &rules.accepted);
        return false;
    }
    /* A chunked body announces no size: the read loop counts it against this. */
    if (rules.has_max)
        request->body_limit = rules.max;
    return true;
}

/* The body's SHA-256 in lowercase hex, in the arena; NULL on failure. */
static const char *body_sha256(struct request *request)
{
    unsigned char digest[32];
    const char *body = request->body ? request->body : "";
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, body, request->body_length, digest) < 0)
        return NULL;
    char hex[2 * sizeof digest + 1];
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return request_printf(request, "%s", hex);
}

/* A string, or null when absent or not UTF-8 (a header may carry any byte; JSON may not). */
static json_t *json_string_or_null(const char *text)
{
    json_t *value = text ? json_string(text) : NULL;
    return value ? value : json_null();
}

/* What the server received, as JSON text ending in a newline (malloc'ed), or NULL. */
static char *upload_summary(struct request *request, const char *sha256)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int failed = 0;
    failed |= json_object_set_new(o, "method", json_string_or_null(request->method));
    failed |= json_object_set_new(o, "bytes", json_integer((json_int_t)request->body_length));
    failed |= json_object_set_new(o, "sha256", json_string(sha256));
    failed |= json_object_set_new(
        o, "content_type",
        json_string_or_null(request_header(request, "Content-Type")));
    failed |= json_object_set_new(o, "chunked", json_boolean(body_is_chunked(request)));
    failed |= json_object_set_new(o, "expect_continue", json_boolean(expects_continue(request)));
    char *text = failed ? NULL : json_dumps(o, JSON_INDENT(2));
    json_decref(o);
    if (!text)
        return NULL;
    struct strbuf out = { 0 };
    strbuf_append(&out, text);
    strbuf_append(&out, "\n");
    free(text);
    size_t length;
    return strbuf_take(&out, &length); /* NULL when an append ran out of memory */
}

void client_input_upload(struct request *request, struct reply *reply)
{
    /* Only a chunked body against ?max=0 gets here too large: the read loop takes a body
     * limit of 0 as "--max-body". */
    uint64_t max;
    const char *max_text = request_query(request, "max");
    if (max_text && parse_uint(max_text, UINT64_MAX, &max) && request->body_length > max) {
        refuse_too_large(request, reply, request->body_length, max);
        return;
    }
    const char *sha256 = body_sha256(request);
    char *summary = sha256 ? upload_summary(request, sha256) : NULL;
    if (!summary) {
        reply_error(reply, request, 500, "The summary of the body could not be built.",
                    "无法生成消息体摘要。");
        return;
    }
    reply_explain(reply, request, 200, 0);
    reply->owned_body = summary;
    reply->body = summary;
    reply->body_length = strlen(summary);
    reply->content_type = "application/json";
}

/* --- /method/{list} ---------------------------------------------------------------------- */

void client_input_method(struct request *request, struct reply *reply)
{
    struct item_list methods;
    const char *allow = NULL;
    if (!list_parse(request->tail, params_valid_token, &methods) ||
        !(allow = list_join(request, &methods))) {
        reply_bad_parameter(reply, request, "{methods}",
                            "1 to 16 comma-separated method names (RFC 9110 tokens, "
                            "case-sensitive), as in /method/GET,POST",
                            "1 到 16 个以逗号分隔的方法名（RFC 9110 token，区分大小写），"
                            "例如 /method/GET,POST");
        return;
    }
    /* OPTIONS asks which methods the URL allows, as on every other route but /status/ and
     * /anything (SPEC §1): the list, plus OPTIONS itself, which is being answered. */
    if (request->method_id == METHOD_OPTIONS) {
        reply_explain(reply, request, 204, 0);
        reply_set_header(reply, "Allow",
                         list_has(&methods, "OPTIONS", false)
                             ? allow
                             : request_printf(request, "%s, OPTIONS", allow));
        return;
    }
    /* Methods are case-sensitive (RFC 9110 §9.1): "get" is not GET. A HEAD is answered as GET
     * would be (RFC 9110 §9.3.2), notes included, unless the list names HEAD itself. */
    const char *method = list_has(&methods, request->method, false)
                             ? request->method
                             : request_method_as_get(request);
    if (list_has(&methods, method, false)) {
        reply_explain(reply, request, 200, 0);
        reply->note[LANGUAGE_EN] =
            or_fixed(request_printf(request, "%s is one of the methods this URL allows (%s).",
                                    method, allow),
                     "The request's method is one this URL allows.");
        reply->note[LANGUAGE_ZH] =
            or_fixed(request_printf(request, "%s 是此 URL 允许的方法之一（%s）。",
                                    method, allow),
                     "请求的方法是此 URL 允许的方法之一。");
        return;
    }
    reply_explain(reply, request, 405, 0);
    reply_set_header(reply, "Allow", allow);
    reply->note[LANGUAGE_EN] =
        or_fixed(request_printf(request, "This URL allows only %s; the request used %s.", allow,
                                method),
                 "This URL does not allow the request's method; Allow lists those it does.");
    reply->note[LANGUAGE_ZH] =
        or_fixed(request_printf(request, "此 URL 只允许 %s；请求使用的是 %s。", allow,
                                method),
                 "此 URL 不允许请求所用的方法；Allow 列出了允许的方法。");
}

/* --- /negotiate/{types} ------------------------------------------------------------------ */

/* The offered type the client prefers: highest q above 0, the first offered among equals;
 * -1 when it accepts none. */
static int negotiate_choose(const char *accept, const struct item_list *offered, double *q)
{
    int chosen = -1;
    *q = 0;
    for (size_t i = 0; i < offered->count; i++) {
        char type[MEDIA_TYPE_MAX + 1];
        if (!span_copy(offered->items[i], type, sizeof type))
            continue;
        double quality = negotiate_quality(accept, type);
        if (quality > *q) {
            *q = quality;
            chosen = (int)i;
        }
    }
    return chosen;
}

/* A 1x1 transparent PNG: what /negotiate sends when it chooses image/png. */
static const char one_pixel_png[] =
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01"
    "\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0b\x49\x44\x41\x54"
    "\x78\xda\x63\x60\x00\x02\x00\x00\x05\x00\x01\xe9\xfa\xdc\xd8\x00\x00\x00\x00\x49"
    "\x45\x4e\x44\xae\x42\x60\x82";

/* Makes the response what it says it chose (its Content-Type is the chosen type): the
 * explanation as text, HTML or JSON for those three, and for any other text/ type as text;
 * for text/csv one CSV record of the outcome; for image/png a 1x1 transparent PNG. A type
 * statusd has no content for (application/pdf, image/gif, ...) gets an empty body of that
 * type rather than bytes that would claim to be one. */
static void send_as_chosen(struct request *request, struct reply *reply, struct span type,
                           double q)
{
    static const struct {
        const char *type;
        enum format format;
    } explained[] = { { "text/plain", FORMAT_TEXT }, { "text/html", FORMAT_HTML },
                      { "application/json", FORMAT_JSON } };
    for (size_t i = 0; i < sizeof explained / sizeof explained[0]; i++)
        if (span_equals(type, explained[i].type, true)) {
            request->format = explained[i].format; /* response.c adds Vary: Accept, ... */
            return;
        }
    const char *content_type = NULL;
    bool explanation = false;
    if (span_equals(type, "text/csv", true)) {
        content_type = "text/csv; charset=utf-8";
        /* RFC 4180: a header line, CRLF line ends. */
        reply->body = request_printf(request, "status,reason,chosen,q\r\n200,OK,%.*s,%g\r\n",
                                     (int)type.length, type.start, q);
        reply->body_length = reply->body ? strlen(reply->body) : 0;
    } else if (span_equals(type, "image/png", true)) {
        content_type = "image/png";
        reply->body = one_pixel_png;
        reply->body_length = sizeof one_pixel_png - 1;
    } else if (type.length > 5 && strncasecmp(type.start, "text/", 5) == 0) {
        explanation = true; /* text is text: the explanation, labelled as chosen */
        request->format = FORMAT_TEXT;
        content_type = request_printf(request, "%.*s; charset=utf-8", (int)type.length,
                                      type.start);
    } else {
        content_type = request_printf(request, "%.*s", (int)type.length, type.start);
        reply->body = "";
        reply->body_length = 0;
    }
    if (!content_type || (!explanation && !reply->body)) {
        reply->failed = true; /* the arena is full: a 500 rather than a mislabelled body */
        return;
    }
    /* An explanation gets response.c's Vary (Accept, Accept-Language); these bodies depend
     * on Accept alone. */
    if (!explanation)
        reply_set_header(reply, "Vary", "Accept");
    reply->content_type = content_type;
}

void client_input_negotiate(struct request *request, struct reply *reply)
{
    struct item_list offered;
    const char *list = NULL;
    if (!list_parse(request->tail, is_media_type, &offered) ||
        !(list = list_join(request, &offered))) {
        reply_bad_parameter(reply, request, "{types}",
                            "1 to 16 comma-separated media types (type/subtype, no wildcards), "
                            "as in /negotiate/application/json,text/csv",
                            "1 到 16 个以逗号分隔的媒体类型（type/subtype，不含通配符），"
                            "例如 /negotiate/application/json,text/csv");
        return;
    }
    double q;
    int chosen = negotiate_choose(request_header(request, "Accept"), &offered, &q);
    if (chosen < 0) {
        reply_explain(reply, request, 406, 0);
        reply->note[LANGUAGE_EN] =
            or_fixed(request_printf(request, "Accept matches none of the representations on "
                                             "offer: %s.", list),
                     "Accept matches none of the representations on offer.");
        reply->note[LANGUAGE_ZH] =
            or_fixed(request_printf(request, "Accept 与可提供的表示形式都不匹配：%s。", list),
                     "Accept 与可提供的表示形式都不匹配。");
        return;
    }
    struct span type = offered.items[chosen];
    reply_explain(reply, request, 200, 0);
    send_as_chosen(request, reply, type, q);
    reply->note[LANGUAGE_EN] = or_fixed(
        request_printf(request, "Chosen: %.*s (q=%g), of those on offer: %s.", (int)type.length,
                       type.start, q, list),
        "One of the representations on offer was chosen.");
    reply->note[LANGUAGE_ZH] = or_fixed(
        request_printf(request, "选中：%.*s（q=%g），可提供的有：%s。", (int)type.length,
                       type.start, q, list),
        "已从可提供的表示形式中选出一种。");
}
