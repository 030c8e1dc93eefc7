/* /anything[/...], /headers, /ip, /user-agent (SPEC §5): JSON of what arrived.
 *
 * Request bytes only ever reach the body, and only through jansson, which escapes them. Since
 * jansson refuses strings that are not UTF-8, text from the request is made valid first: a
 * byte that is not part of a UTF-8 sequence (or is NUL) is shown as the four characters \xNN,
 * and a body that is not UTF-8 text is sent whole as base64. */
#include "render.h"
#include "base64.h"
#include "coding.h"
#include "config.h"
#include "httplist.h"
#include "echo.h"
#include "endpoints.h"
#include "urlencode.h"
#include "utf8.h"
#include "strbuf.h"
#include "numbers.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- text from the request, made safe for JSON --------------------------------------- */

/* Text for JSON: well-formed UTF-8 without NUL (a NUL-holding body is sent as base64). */
static bool is_utf8_text(const char *bytes, size_t length)
{
    return utf8_valid(bytes, length) && !memchr(bytes, '\0', length);
}

/* bytes as a NUL-terminated UTF-8 string (malloc'ed), with every byte that is not text shown
 * as \xNN; NULL when out of memory. */
static char *text_with_escapes(const char *bytes, size_t length)
{
    static const char hex[] = "0123456789abcdef";
    struct strbuf out = { 0 };
    const unsigned char *p = (const unsigned char *)bytes;
    for (size_t i = 0; i < length;) {
        uint32_t code;
        size_t n = utf8_decode(p + i, length - i, &code);
        if (n && code != 0) { /* NUL is escaped too: it would end the C string */
            strbuf_append_bytes(&out, p + i, n);
            i += n;
            continue;
        }
        char escaped[4] = { '\\', 'x', hex[p[i] >> 4], hex[p[i] & 0xf] };
        strbuf_append_bytes(&out, escaped, sizeof escaped);
        i++;
    }
    size_t taken;
    return strbuf_take(&out, &taken); /* NULL if any append failed */
}

/* A JSON string of request text; NULL when out of memory. */
json_t *echo_json_text(const char *bytes, size_t length)
{
    if (is_utf8_text(bytes, length))
        return json_stringn(bytes, length);
    char *text = text_with_escapes(bytes, length);
    json_t *value = text ? json_string(text) : NULL;
    free(text);
    return value;
}

json_t *echo_base64(const char *bytes, size_t length)
{
    size_t out_length = base64_encoded_length(length, true);
    char *out = malloc(out_length + 1);
    if (!out)
        return NULL;
    base64_encode((const unsigned char *)bytes, length, false, true, out);
    json_t *value = json_stringn(out, out_length);
    free(out);
    return value;
}

/* Adds key: value to object; a key seen before collects its values in an array, in arrival
 * order. Takes value over (NULL: out of memory). */
static bool add_repeatable(json_t *object, const char *key, size_t key_length, json_t *value)
{
    if (!value)
        return false;
    char *clean_key = text_with_escapes(key, key_length);
    if (!clean_key) {
        json_decref(value);
        return false;
    }
    bool ok;
    json_t *existing = json_object_get(object, clean_key);
    if (!existing)
        ok = json_object_set_new(object, clean_key, value) == 0;
    else if (json_is_array(existing))
        ok = json_array_append_new(existing, value) == 0;
    else {
        json_t *list = json_array();
        ok = list && json_array_append(list, existing) == 0 &&
             json_array_append_new(list, value) == 0 &&
             json_object_set_new(object, clean_key, list) == 0;
        if (!list)
            json_decref(value);
        else if (!ok)
            json_decref(list);
    }
    free(clean_key);
    return ok;
}

/* --- what arrived -------------------------------------------------------------------- */

/* Characters kept as they are in the echoed URL (RFC 3986 unreserved); the path keeps its
 * sub-delimiters too. Everything else is percent-encoded again. */
static void append_percent_encoded(struct strbuf *out, const char *text, const char *also_keep)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p) || strchr(also_keep, *p))
            strbuf_append_bytes(out, p, 1);
        else
            strbuf_printf(out, "%%%c%c", hex[*p >> 4], hex[*p & 0xf]);
    }
}

struct collected {
    json_t *object;
    struct strbuf *url; /* the query is appended here too, when not NULL */
    bool query_started;
    bool canonical_names;
    bool failed;
};

/* "content-TYPE" → "Content-Type": header names are case-insensitive, so repeats sent with
 * different cases land under one key. */
static void canonical_header_name(char *name)
{
    bool start = true;
    for (char *p = name; *p; p++) {
        if (*p >= 'a' && *p <= 'z' && start)
            *p = (char)(*p - 'a' + 'A');
        else if (*p >= 'A' && *p <= 'Z' && !start)
            *p = (char)(*p - 'A' + 'a');
        start = *p == '-';
    }
}

static bool collect_value(void *cls, const char *key,
                                     const char *value)
{
    struct collected *c = cls;
    if (c->url) {
        strbuf_append(c->url, c->query_started ? "&" : "?");
        c->query_started = true;
        append_percent_encoded(c->url, key, "");
        if (value) {
            strbuf_append(c->url, "=");
            append_percent_encoded(c->url, value, "");
        }
    }
    const char *v = value ? value : "";
    if (c->canonical_names) {
        char *name = strdup(key);
        if (!name) {
            c->failed = true;
            return false;
        }
        canonical_header_name(name);
        c->failed = !add_repeatable(c->object, name, strlen(name), echo_json_text(v, strlen(v)));
        free(name);
    } else {
        c->failed = !add_repeatable(c->object, key, strlen(key), echo_json_text(v, strlen(v)));
    }
    return !c->failed;
}

/* The request's headers (or query parameters) as an object; NULL when out of memory. */
static json_t *collect(const struct request *request, enum request_field kind,
                       struct strbuf *url)
{
    struct collected c = { .object = json_object(), .url = url,
                           .canonical_names = kind == REQUEST_HEADER };
    if (!c.object)
        return NULL;
    request_each(request, kind, collect_value, &c);
    if (c.failed) {
        json_decref(c.object);
        return NULL;
    }
    return c.object;
}

/* The client's address; an IPv4 client of a dual-stack socket is shown as 127.0.0.1, not
 * ::ffff:127.0.0.1. */
static json_t *client_origin(const struct request *request)
{
    char text[INET6_ADDRSTRLEN];
    request_client_address(request, text, sizeof text);
    return strcmp(text, "-") != 0 ? json_string(text) : json_null();
}

/* Whether the request's Content-Type names type (parameters ignored, case-insensitive), or a
 * type with the structured suffix given ("+json"). */
static bool content_type_is(const struct request *request, const char *type, const char *suffix)
{
    const char *value = request_header(request, "Content-Type");
    if (!value)
        return false;
    value += strspn(value, " \t");
    size_t length = strcspn(value, "; \t");
    size_t suffix_length = suffix ? strlen(suffix) : 0;
    return (length == strlen(type) && strncasecmp(value, type, length) == 0) ||
           (suffix && length > suffix_length &&
            strncasecmp(value + length - suffix_length, suffix, suffix_length) == 0);
}

/* The body parsed as a form: an object, repeated names as arrays; NULL when out of memory. */
json_t *echo_parse_form(const char *body, size_t length)
{
    json_t *form = json_object();
    char *copy = malloc(length + 1);
    if (!form || !copy)
        goto fail;
    memcpy(copy, body, length);
    for (size_t start = 0; start < length;) {
        char *field = copy + start;
        char *amp = memchr(field, '&', length - start);
        size_t field_length = amp ? (size_t)(amp - field) : length - start;
        start += field_length + 1;
        if (field_length == 0)
            continue;
        char *equals = memchr(field, '=', field_length);
        size_t name_length = equals ? (size_t)(equals - field) : field_length;
        char *value = equals ? equals + 1 : field + field_length;
        size_t value_length = equals ? field_length - name_length - 1 : 0;
        name_length = url_decode(field, name_length, true);
        value_length = url_decode(value, value_length, true);
        if (!add_repeatable(form, field, name_length, echo_json_text(value, value_length)))
            goto fail;
    }
    free(copy);
    return form;
fail:
    free(copy);
    json_decref(form);
    return NULL;
}

/* "json": the body parsed when it is declared JSON and parses, else null. */
static json_t *parsed_json(const struct request *request, const char *body, size_t length)
{
    if (!content_type_is(request, "application/json", "+json"))
        return json_null();
    json_error_t error;
    json_t *value = json_loadb(body, length, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    return value ? value : json_null();
}

/* "form": the body's fields when it is a form, else {} (httpbin's shape: an object always). */
static json_t *parsed_form(const struct request *request, const char *body, size_t length)
{
    if (!content_type_is(request, "application/x-www-form-urlencoded", NULL))
        return json_object();
    return echo_parse_form(body, length);
}

/* "data", httpbin's name for the body: "" for a form (its fields are in "form"), the text
 * itself, or a data: URL of base64 for bytes that are not text (as httpbin shows them). */
static json_t *httpbin_data(const struct request *request, const char *body, size_t length)
{
    if (content_type_is(request, "application/x-www-form-urlencoded", NULL))
        return json_string("");
    if (is_utf8_text(body, length))
        return json_stringn(body, length);
    json_t *encoded = echo_base64(body, length);
    json_t *value = encoded ? json_sprintf("data:application/octet-stream;base64,%s",
                                           json_string_value(encoded))
                            : NULL;
    json_decref(encoded);
    return value;
}

/* The path and query as a URL: MHD hands both over decoded, so they are encoded again. */
static bool url_path(struct strbuf *url, const struct request *request)
{
    append_percent_encoded(url, request->path, "/!$&'()*+,;=:@");
    return !strbuf_failed(url);
}

/* "url" as httpbin gives it: absolute, from the scheme the request came over and the Host it
 * named (request bytes, so percent-encoded like the path); "localhost" when an HTTP/1.0
 * request named none. */
static json_t *absolute_url(const struct request *request, const char *target)
{
    const char *host = request_header(request, "Host");
    struct strbuf url = { 0 };
    strbuf_append(&url, request->tls ? "https://" : "http://");
    append_percent_encoded(&url, host && *host ? host : "localhost", ":[]");
    strbuf_append(&url, target);
    json_t *value = strbuf_failed(&url) ? NULL : json_stringn(url.data, url.length);
    strbuf_free(&url);
    return value;
}

static bool set(json_t *object, const char *key, json_t *value)
{
    return value && json_object_set_new(object, key, value) == 0;
}

/* The request body as the handler echoes it: decoded when it came in a content coding. */
struct echo_body {
    const char *bytes;
    size_t length;
    char *owned;          /* the decoded bytes, malloc'ed */
    const char *decoded;  /* the Content-Encoding undone, NULL when none was */
};

/* The most codings one body may stack ("gzip, br"): more is refused as unknown. */
#define MAX_STACKED_CODINGS 4

/* Undoes the request's Content-Encoding (RFC 9110 §8.4: codings are listed in the order they
 * were applied, so they are undone from the last). False with reply filled when it cannot be:
 * 415 for a coding statusd does not know, with Accept-Encoding naming those it does (RFC 9110
 * §15.5.16); 400 for data that is not what it claims; 413 when it decodes to more than
 * --max-body, the limit the undecoded body had too (a small "bomb" would otherwise grow to
 * any size). */
static bool decode_body(struct request *request, struct reply *reply, struct echo_body *out)
{
    *out = (struct echo_body){ request->body ? request->body : "",
                               request->body ? request->body_length : 0, NULL, NULL };
    const char *header = request_header(request, "Content-Encoding");
    if (!header || out->length == 0)
        return true;
    enum coding codings[MAX_STACKED_CODINGS];
    size_t count = 0;
    struct httplist_item item;
    const char *cursor = header;
    bool known = true;
    while (known && httplist_next(&cursor, &item)) {
        enum coding coding;
        known = count < MAX_STACKED_CODINGS &&
                coding_from_name(item.start, item.length, &coding);
        if (known && coding != CODING_IDENTITY)
            codings[count++] = coding;
    }
    if (!known) {
        reply_error(reply, request, 415,
                    "The body's Content-Encoding is not one statusd can decode (at most 4 "
                    "stacked); Accept-Encoding lists those it can.",
                    "消息体的 Content-Encoding 不是 statusd 能解码的编码（最多叠加 4 层）；"
                    "Accept-Encoding 列出了可解码的编码。");
        reply_set_header(reply, "Accept-Encoding", CODING_LIST);
        return false;
    }
    uint64_t limit = request->config->max_body;
    for (size_t i = count; i-- > 0;) {
        char *decoded;
        size_t decoded_length;
        enum coding_decoded result =
            coding_decompress(codings[i], out->bytes, out->length,
                              limit > SIZE_MAX ? SIZE_MAX : (size_t)limit, &decoded,
                              &decoded_length);
        free(out->owned);
        out->owned = NULL;
        if (result == CODING_TOO_LARGE) {
            reply_error(reply, request, 413,
                        request_printf(request, "The body decodes to more than --max-body "
                                       "(%llu bytes); decoding stopped there.",
                                       (unsigned long long)limit),
                        request_printf(request, "消息体解码后超过 --max-body（%llu 字节）；"
                                       "解码在此处停止。", (unsigned long long)limit));
            return false;
        }
        if (result == CODING_CORRUPT) {
            reply_error(reply, request, 400,
                        request_printf(request, "The body is not valid %s data, though "
                                       "Content-Encoding says so.", coding_names[codings[i]]),
                        request_printf(request, "Content-Encoding 声明为 %s，但消息体不是有效的 "
                                       "%s 数据。", coding_names[codings[i]],
                                       coding_names[codings[i]]));
            return false;
        }
        if (result != CODING_DECODED) {
            reply_error(reply, request, 500, "The body could not be decoded (out of memory).",
                        "无法解码消息体（内存不足）。");
            return false;
        }
        out->owned = decoded;
        out->bytes = decoded ? decoded : "";
        out->length = decoded_length;
    }
    out->decoded = count ? header : NULL;
    return true;
}

/* Everything about the request, in the order a reader looks for it; NULL when out of
 * memory. method: the one the body names. */
static json_t *describe_request(const struct request *request, const char *method,
                                const struct echo_body *sent)
{
    const char *body = sent->bytes;
    size_t length = sent->length;
    bool text = is_utf8_text(body, length);
    struct strbuf url = { 0 };
    json_t *echo = json_object();
    /* The query parameters make both "url" and "args", which comes after it. */
    json_t *args = url_path(&url, request) ? collect(request, REQUEST_QUERY, &url) : NULL;
    /* "url" is absolute, as httpbin's; "target" is the same path and query alone. */
    bool ok = echo && args && !strbuf_failed(&url) &&
              set(echo, "method", echo_json_text(method, strlen(method))) &&
              set(echo, "url", absolute_url(request, url.data)) &&
              set(echo, "target", json_stringn(url.data, url.length));
    strbuf_free(&url);
    if (!ok) {
        json_decref(args);
        json_decref(echo);
        return NULL;
    }
    ok = set(echo, "args", args) && /* takes args over, even when it fails */
         set(echo, "headers", collect(request, REQUEST_HEADER, NULL)) &&
         set(echo, "origin", client_origin(request)) &&
         set(echo, "body", text ? json_stringn(body, length) : echo_base64(body, length)) &&
         set(echo, "body_encoding", json_string(text ? "utf-8" : "base64")) &&
         set(echo, "body_size", json_integer((json_int_t)length)) &&
         set(echo, "data", httpbin_data(request, body, length)) &&
         /* multipart bodies are not taken apart: their bytes are in "data" and "body" */
         set(echo, "files", json_object()) &&
         set(echo, "body_decoded_from",
             sent->decoded ? echo_json_text(sent->decoded, strlen(sent->decoded))
                           : json_null()) &&
         set(echo, "json", parsed_json(request, body, length)) &&
         set(echo, "form", parsed_form(request, body, length));
    if (!ok) {
        json_decref(echo);
        return NULL;
    }
    return echo;
}

/* --- sending it ---------------------------------------------------------------------- */

/* Nested objects are tables up to this depth; deeper values are shown as JSON text. */
#define HTML_TABLE_DEPTH 2

static void html_value(struct strbuf *out, const json_t *value, int depth)
{
    if (json_is_string(value)) {
        strbuf_append(out, "<code>");
        strbuf_append_html(out, json_string_value(value));
        strbuf_append(out, "</code>");
        return;
    }
    if (json_is_object(value) && json_object_size(value) && depth < HTML_TABLE_DEPTH) {
        const char *key;
        json_t *item;
        strbuf_append(out, "<table>\n");
        json_object_foreach((json_t *)value, key, item) {
            strbuf_append(out, "<tr><th>");
            strbuf_append_html(out, key);
            strbuf_append(out, "</th><td>");
            html_value(out, item, depth + 1);
            strbuf_append(out, "</td></tr>\n");
        }
        strbuf_append(out, "</table>");
        return;
    }
    char *json = json_dumps(value, JSON_INDENT(2) | JSON_ENCODE_ANY);
    strbuf_append(out, "<pre>");
    strbuf_append_html(out, json ? json : "");
    strbuf_append(out, "</pre>");
    free(json);
}

char *echo_render_html(const json_t *echo, size_t *length)
{
    struct strbuf out = { 0 };
    render_html_open(&out, "Echo · 回显", "en");
    strbuf_append(&out, "<h1>Echo · 回显</h1>\n<p>What this request carried, as the server "
                        "received it. · 本次请求携带的内容，即服务器收到的样子。</p>\n");
    html_value(&out, echo, 0);
    strbuf_append(&out, "\n");
    render_html_close(&out);
    return strbuf_take(&out, length);
}

char *echo_render_json(const json_t *echo, size_t *length)
{
    size_t size = json_dumpb(echo, NULL, 0, JSON_INDENT(2));
    char *text = size ? malloc(size + 1) : NULL;
    if (!text || json_dumpb(echo, text, size, JSON_INDENT(2)) != size) {
        free(text);
        return NULL;
    }
    text[size] = '\n'; /* so a terminal prompt after `curl URL` starts on its own line */
    *length = size + 1;
    return text;
}

bool echo_send_json(struct request *request, struct reply *reply, json_t *answer)
{
    size_t length = 0;
    char *body = answer ? echo_render_json(answer, &length) : NULL;
    json_decref(answer);
    if (!body) {
        reply_error(reply, request, 500, "The answer could not be built (out of memory).",
                    "无法生成答复（内存不足）。");
        return false;
    }
    reply->status = 200;
    reply->owned_body = body;
    reply->body = body;
    reply->body_length = length;
    reply->content_type = "application/json";
    return true;
}

/* Sends echo (taken over) as JSON: it is data, not an explanation, so a client asking for
 * text gets JSON too. A browser (Accept: text/html, or ?format=html) gets a table a person
 * can read, so /redirect/5 in an address bar ends on a readable page. */
static void send_echo(struct request *request, struct reply *reply, json_t *echo)
{
    bool html = request->format == FORMAT_HTML;
    size_t length = 0;
    char *body = NULL;
    if (echo)
        body = html ? echo_render_html(echo, &length) : echo_render_json(echo, &length);
    json_decref(echo);
    if (!body) {
        reply_error(reply, request, 500, "The echo could not be built (out of memory).",
                    "无法生成回显（内存不足）。");
        return;
    }
    reply->status = 200;
    /* HTML or JSON by Accept: a cache must keep one per Accept (RFC 9110 §12.5.5). */
    reply_set_header(reply, "Vary", "Accept");
    reply->owned_body = body;
    reply->body = body;
    reply->body_length = length;
    if (html) {
        reply->content_type = "text/html; charset=utf-8";
        reply_set_header(reply, "Content-Security-Policy",
                         "default-src 'self'; frame-ancestors 'none'");
    } else {
        reply->content_type = "application/json";
    }
}

void echo_anything(struct request *request, struct reply *reply)
{
    struct echo_body body;
    if (!decode_body(request, reply, &body))
        return;
    send_echo(request, reply, describe_request(request, request->method, &body));
    free(body.owned);
}

/* /gzip, /deflate, /brotli, /zstd: the echo, sent in that coding whatever Accept-Encoding
 * says (the URL asked for it), with httpbin's flag ("gzipped": true, ...) beside it. Unlike
 * /anything, a HEAD gets GET's body (its method named GET): what these URLs show is the
 * coded body, and HEAD must announce GET's Content-Length (RFC 9110 §9.3.2). */
static void send_coded_echo(struct request *request, struct reply *reply, enum coding coding,
                            const char *flag)
{
    struct echo_body body = { "", 0, NULL, NULL };
    json_t *echo = describe_request(request, request_method_as_get(request), &body);
    if (echo && json_object_set_new(echo, flag, json_true()) != 0) {
        json_decref(echo);
        echo = NULL;
    }
    send_echo(request, reply, echo);
    if (reply->status == 200)
        reply->coding = coding;
}

void echo_gzip(struct request *request, struct reply *reply)
{
    send_coded_echo(request, reply, CODING_GZIP, "gzipped");
}

void echo_deflate(struct request *request, struct reply *reply)
{
    send_coded_echo(request, reply, CODING_DEFLATE, "deflated");
}

void echo_brotli(struct request *request, struct reply *reply)
{
    send_coded_echo(request, reply, CODING_BR, "brotli");
}

void echo_zstd(struct request *request, struct reply *reply)
{
    send_coded_echo(request, reply, CODING_ZSTD, "zstd");
}

/* /post, /put, /patch, /delete: httpbin's method-named echoes; the route table answers 405
 * with Allow for any other method. The same fields as /anything. */
void echo_by_method(struct request *request, struct reply *reply)
{
    echo_anything(request, reply);
}

/* /get: httpbin's four fields only (args, headers, origin, url). Naming no method, it
 * answers HEAD exactly as GET. */
void echo_get(struct request *request, struct reply *reply)
{
    struct strbuf target = { 0 };
    json_t *args = url_path(&target, request) ? collect(request, REQUEST_QUERY, &target) : NULL;
    json_t *echo = json_object();
    if (!echo || !args || strbuf_failed(&target)) {
        json_decref(args);
        json_decref(echo);
        strbuf_free(&target);
        send_echo(request, reply, NULL);
        return;
    }
    bool ok = set(echo, "args", args) && /* takes args over, even when it fails */
         set(echo, "headers", collect(request, REQUEST_HEADER, NULL)) &&
         set(echo, "origin", client_origin(request)) &&
         set(echo, "url", absolute_url(request, target.data));
    strbuf_free(&target);
    if (!ok) {
        json_decref(echo);
        echo = NULL;
    }
    send_echo(request, reply, echo);
}

void echo_headers(struct request *request, struct reply *reply)
{
    json_t *headers = collect(request, REQUEST_HEADER, NULL);
    send_echo(request, reply, headers ? json_pack("{s:o}", "headers", headers) : NULL);
}

void echo_ip(struct request *request, struct reply *reply)
{
    json_t *origin = client_origin(request);
    send_echo(request, reply, origin ? json_pack("{s:o}", "origin", origin) : NULL);
}

void echo_user_agent(struct request *request, struct reply *reply)
{
    const char *agent = request_header(request, "User-Agent");
    json_t *value = agent ? echo_json_text(agent, strlen(agent)) : json_null();
    send_echo(request, reply, value ? json_pack("{s:o}", "user-agent", value) : NULL);
}

/* --- /stream/{n}: the echo as n JSON lines --------------------------------------------- */

#define STREAM_LINES_MAX 100 /* httpbin's bound */

/* The lines, made at once (at most 100 small echoes) and sent one per piece: each line is its
 * own chunk on HTTP/1.1, so a client reading line by line sees them arrive apart. */
struct line_stream {
    char *text;
    size_t length;
};

static size_t next_line(void *context, uint64_t position, char *buffer, size_t max,
                        uint64_t *wait_us)
{
    (void)wait_us;
    const struct line_stream *s = context;
    if (position >= s->length)
        return REPLY_STREAM_END;
    const char *start = s->text + position;
    const char *newline = memchr(start, '\n', s->length - (size_t)position);
    size_t n = newline ? (size_t)(newline - start) + 1 : s->length - (size_t)position;
    if (n > max)
        n = max;
    memcpy(buffer, start, n);
    return n;
}

static void free_line_stream(void *context)
{
    struct line_stream *s = context;
    free(s->text);
    free(s);
}

void echo_stream(struct request *request, struct reply *reply)
{
    uint64_t n;
    if (!parse_uint(request->tail, STREAM_LINES_MAX, &n)) {
        reply_bad_parameter(reply, request, "{n}", "a number of lines from 0 to 100",
                            "行数，0 到 100");
        return;
    }
    struct strbuf lines = { 0 };
    struct echo_body body = { "", 0, NULL, NULL };
    json_t *echo = describe_request(request, request->method, &body);
    bool ok = echo != NULL;
    for (uint64_t i = 0; ok && i < n; i++) {
        ok = json_object_set_new(echo, "id", json_integer((json_int_t)i)) == 0;
        char *line = ok ? json_dumps(echo, JSON_COMPACT) : NULL;
        ok = line != NULL;
        if (ok) {
            strbuf_append(&lines, line);
            strbuf_append(&lines, "\n");
        }
        free(line);
    }
    json_decref(echo);
    struct line_stream *s = ok && !strbuf_failed(&lines) ? malloc(sizeof *s) : NULL;
    if (!s) {
        strbuf_free(&lines);
        reply_error(reply, request, 500, "The echo could not be built (out of memory).",
                    "无法生成回显（内存不足）。");
        return;
    }
    s->text = strbuf_take(&lines, &s->length);
    reply->status = 200;
    reply->content_type = "application/x-ndjson";
    reply->stream = (struct reply_stream){ REPLY_LENGTH_UNKNOWN, next_line, s, free_line_stream };
}
