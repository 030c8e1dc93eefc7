/* httpbin's small utilities, under httpbin's names (README "Coming from httpbin"):
 * /response-headers, the fixed documents (/html, /json, /xml, /robots.txt, /deny,
 * /encoding/utf8), /links/{n}/{offset}, /base64/{value}, /uuid, /hostname and /unstable.
 *
 * The fixed documents are files in static/httpbin/, compiled into the binary like every other
 * asset (the plain-text ones end in .text: scripts/embed.py leaves .txt files out). */
#include "assets.h"
#include "base64.h"
#include "config.h"
#include "echo.h"
#include "endpoints.h"
#include "hash.h"
#include "numbers.h"
#include "params.h"
#include "strbuf.h"
#include "utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* /links/{n}: as many as go-httpbin allows, enough for any crawler test. */
#define LINKS_MAX 256
/* /base64/{value}: the decoded bytes are at most this many (the encoded text is longer). */
#define BASE64_MAX_DECODED 8192

/* The parameters every URL reads (server.c); not names of headers or cookies. */
static bool is_common_parameter(const char *name)
{
    return strcmp(name, "format") == 0 || strcmp(name, "lang") == 0 ||
           strcmp(name, "delay") == 0;
}

/* --- /response-headers ------------------------------------------------------------------ */

struct asked_headers {
    struct reply *reply;
    json_t *listed;
    const char *bad;  /* the first name refused */
    const char *why;
    size_t count;
    char expose[1024];
    bool failed;
};

#define RESPONSE_HEADERS_MAX 16

static bool add_asked_header(void *context, const char *name, const char *value)
{
    struct asked_headers *a = context;
    if (is_common_parameter(name))
        return true;
    if (++a->count > RESPONSE_HEADERS_MAX) {
        a->bad = name;
        a->why = "more than 16 headers";
        return false;
    }
    /* The same check as ?h=, and as there, a second header of one name is added beside the
     * first, so ?X=1&X=2 sends X twice. */
    if (!params_set_client_header(a->reply, name, value ? value : "", false, &a->why)) {
        a->bad = name;
        return false;
    }
    /* Listed as httpbin lists them: a name seen twice holds an array of its values. */
    json_t *text = echo_json_text(value, strlen(value));
    json_t *existing = json_object_get(a->listed, name);
    bool ok;
    if (!text)
        ok = false;
    else if (!existing)
        ok = json_object_set_new(a->listed, name, text) == 0;
    else if (json_is_array(existing))
        ok = json_array_append_new(existing, text) == 0;
    else
        ok = json_object_set_new(a->listed, name, json_pack("[O,o]", existing, text)) == 0;
    size_t used = strlen(a->expose);
    snprintf(a->expose + used, sizeof a->expose - used, ", %s", name);
    a->failed |= !ok;
    return ok;
}

void httpbin_response_headers(struct request *request, struct reply *reply)
{
    struct asked_headers a = { .reply = reply, .listed = json_object() };
    if (!a.listed) {
        echo_send_json(request, reply, NULL);
        return;
    }
    request_each(request, REQUEST_QUERY, add_asked_header, &a);
    if (a.bad) {
        json_decref(a.listed);
        /* The name is quoted only when it is one a header could have: the check refused it
         * because it may hold anything. */
        const char *shown = params_valid_token(a.bad) ? a.bad : "(not a header name)";
        reply_bad_parameter(reply, request, shown,
                            request_printf(request,
                                           "Name=Value pairs that make response headers, "
                                           "checked as ?h= is (refused: %s)",
                                           a.why),
                            "Name=Value 形式的响应头，检查规则与 ?h= 相同（名称须为合法 token，"
                            "值须为非空的可打印字符、不得含控制字符，且不得是 Content-Length "
                            "等影响报文分帧的头，最多 16 个）");
        return;
    }
    if (a.failed) {
        json_decref(a.listed);
        echo_send_json(request, reply, NULL);
        return;
    }
    echo_send_json(request, reply, a.listed);
    if (a.count) /* browser scripts may read the headers they asked for */
        reply_set_header(reply, "Access-Control-Expose-Headers",
                         request_printf(request, "%s%s", EXPOSED_HEADERS, a.expose));
}

/* --- fixed documents --------------------------------------------------------------------- */

/* A file of static/httpbin/ as the whole body, with the type given (assets.c knows only the
 * types the site's own pages use). */
static void send_document(struct request *request, struct reply *reply, const char *name,
                          const char *content_type)
{
    const struct asset *asset = asset_find(name);
    if (!asset) { /* a build without the file: a packaging mistake, said plainly */
        reply_error(reply, request, 500,
                    request_printf(request, "The document %s is missing from this build.", name),
                    request_printf(request, "此构建中缺少文档 %s。", name));
        return;
    }
    reply->status = 200;
    reply->body = (const char *)asset->data;
    reply->body_length = asset->size;
    reply->content_type = content_type;
    if (strncmp(content_type, "text/html", 9) == 0)
        reply_set_header(reply, "Content-Security-Policy",
                         "default-src 'self'; frame-ancestors 'none'");
}

void httpbin_html(struct request *request, struct reply *reply)
{
    send_document(request, reply, "httpbin/page.html", "text/html; charset=utf-8");
}

void httpbin_json(struct request *request, struct reply *reply)
{
    send_document(request, reply, "httpbin/document.json", "application/json");
}

void httpbin_xml(struct request *request, struct reply *reply)
{
    send_document(request, reply, "httpbin/document.xml", "application/xml");
}

void httpbin_robots(struct request *request, struct reply *reply)
{
    send_document(request, reply, "httpbin/robots.text", "text/plain; charset=utf-8");
}

void httpbin_deny(struct request *request, struct reply *reply)
{
    send_document(request, reply, "httpbin/deny.text", "text/plain; charset=utf-8");
}

void httpbin_utf8(struct request *request, struct reply *reply)
{
    send_document(request, reply, "httpbin/utf8.html", "text/html; charset=utf-8");
}

/* --- /links/{n}/{offset} ----------------------------------------------------------------- */

void httpbin_links(struct request *request, struct reply *reply)
{
    /* {n} or {n}/{offset}; offset 0 when absent. */
    char n_text[16] = "", offset_text[16] = "0";
    const char *slash = strchr(request->tail, '/');
    size_t n_length = slash ? (size_t)(slash - request->tail) : strlen(request->tail);
    uint64_t n = 0, offset = 0;
    bool n_ok = n_length > 0 && n_length < sizeof n_text;
    if (n_ok) {
        memcpy(n_text, request->tail, n_length);
        n_ok = parse_uint(n_text, LINKS_MAX, &n) && n >= 1;
    }
    if (!n_ok) {
        reply_bad_parameter(reply, request, "{n}", "a number of links from 1 to 256",
                            "1 到 256 之间的链接数");
        return;
    }
    if (slash) {
        bool offset_ok = strlen(slash + 1) < sizeof offset_text && !strchr(slash + 1, '/');
        if (offset_ok) {
            strcpy(offset_text, slash + 1);
            offset_ok = parse_uint(offset_text, LINKS_MAX, &offset) && offset < n;
        }
        if (!offset_ok) {
            reply_bad_parameter(reply, request, "{offset}",
                                request_printf(request,
                                               "the index of the current page, from 0 to %llu "
                                               "({n} - 1)",
                                               (unsigned long long)(n - 1)),
                                request_printf(request, "当前页的序号，0 到 %llu（{n} - 1）",
                                               (unsigned long long)(n - 1)));
            return;
        }
    }
    struct strbuf out = { 0 };
    strbuf_printf(&out,
                  "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<title>Links %llu of %llu · 链接 %llu / %llu</title>\n</head>\n<body>\n"
                  "<p>Page %llu of %llu pages that link each other; the current one is plain "
                  "text. · 互相链接的 %llu 个页面中的第 %llu 个；当前页不是链接。</p>\n<p>",
                  (unsigned long long)offset, (unsigned long long)n,
                  (unsigned long long)offset, (unsigned long long)n,
                  (unsigned long long)offset, (unsigned long long)n,
                  (unsigned long long)n, (unsigned long long)offset);
    for (uint64_t i = 0; i < n; i++) {
        if (i == offset)
            strbuf_printf(&out, "%llu ", (unsigned long long)i);
        else
            strbuf_printf(&out, "<a href=\"/links/%llu/%llu\">%llu</a> ",
                          (unsigned long long)n, (unsigned long long)i, (unsigned long long)i);
    }
    strbuf_append(&out, "</p>\n</body>\n</html>\n");
    size_t length;
    char *body = strbuf_take(&out, &length);
    if (!body) {
        reply_error(reply, request, 500, "The page could not be built (out of memory).",
                    "无法生成页面（内存不足）。");
        return;
    }
    reply->status = 200;
    reply->owned_body = body;
    reply->body = body;
    reply->body_length = length;
    reply->content_type = "text/html; charset=utf-8";
    reply_set_header(reply, "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
}

/* --- /base64/{value} --------------------------------------------------------------------- */

/* Decodes text (padding optional; '=' only at the end, at most two) into out; the decoded
 * length, or -1 when text is not base64 or decodes to more than max bytes. Leftover bits
 * that are not zero are refused too (RFC 4648 §3.5): they mean the text was cut or mangled. */
static long base64_decode(const char *text, unsigned char *out, size_t max)
{
    size_t length = strlen(text);
    size_t padding = 0;
    while (padding < 2 && length > 0 && text[length - 1] == '=') {
        length--;
        padding++;
    }
    if (length == 0 || length % 4 == 1 || (padding && (length + padding) % 4 != 0))
        return -1;
    size_t written = 0;
    if (!base64_decode_digits(text, length, out, max, &written))
        return -1;
    return (long)written;
}

/* go-httpbin's /base64/encode/{value}: the value in the URL-safe alphabet, unpadded, so the
 * answer can go straight back into /base64/{value}. */
static void base64_encode_reply(struct request *request, struct reply *reply, const char *text)
{
    size_t length = strlen(text);
    if (length > BASE64_MAX_DECODED) {
        reply_bad_parameter(reply, request, "{value}", "at most 8192 bytes to encode",
                            "最多 8192 字节的待编码内容");
        return;
    }
    char *out = malloc(base64_encoded_length(length, false) + 1);
    if (!out) {
        reply_error(reply, request, 500, "No memory to encode the value.",
                    "没有足够内存来编码该值。");
        return;
    }
    size_t o = base64_encode((const unsigned char *)text, length, true, false, out);
    reply->status = 200;
    reply->owned_body = out;
    reply->body = out;
    reply->body_length = o;
    reply->content_type = "text/plain; charset=utf-8";
}

void httpbin_base64(struct request *request, struct reply *reply)
{
    /* go-httpbin's spellings: /base64/decode/{value} is /base64/{value}, and
     * /base64/encode/{value} encodes. Base64 text that itself starts with "encode/" or
     * "decode/" is read as the verb: send it as /base64/decode/encode/... */
    const char *value = request->tail;
    if (strncmp(value, "encode/", 7) == 0) {
        base64_encode_reply(request, reply, value + 7);
        return;
    }
    if (strncmp(value, "decode/", 7) == 0)
        value += 7;
    unsigned char *decoded = malloc(BASE64_MAX_DECODED);
    long length = decoded ? base64_decode(value, decoded, BASE64_MAX_DECODED) : -1;
    if (!decoded) {
        reply_error(reply, request, 500, "No memory to decode the value.",
                    "没有足够内存来解码该值。");
        return;
    }
    if (length < 0) {
        free(decoded);
        reply_bad_parameter(reply, request, "{value}",
                            "base64 text (standard +/ or URL-safe -_ alphabet, '=' padding "
                            "optional) of at most 8192 bytes, such as "
                            "/base64/SGVsbG8sIOS4lueVjA",
                            "base64 文本（标准字母表 +/ 或 URL 安全字母表 -_，可省略 '=' 填充），"
                            "解码后最多 8192 字节，例如 /base64/SGVsbG8sIOS4lueVjA");
        return;
    }
    reply->status = 200;
    reply->owned_body = (char *)decoded;
    reply->body = (const char *)decoded;
    reply->body_length = (size_t)length;
    /* Text when it is text; bytes that are not UTF-8 are not labelled as something they are
     * not. */
    reply->content_type = utf8_valid((const char *)decoded, (size_t)length)
                              ? "text/plain; charset=utf-8"
                              : "application/octet-stream";
}

/* --- /uuid ------------------------------------------------------------------------------- */

/* RFC 9562: version 4 is 122 random bits; version 7 starts with the Unix time in milliseconds
 * (48 bits), so its UUIDs sort by creation time, and the rest is random. */
static bool make_uuid(unsigned version, char out[37])
{
    unsigned char bytes[16];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
        return false;
    if (version == 7) {
        struct timespec now;
        if (clock_gettime(CLOCK_REALTIME, &now) != 0)
            return false;
        uint64_t ms = (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
        for (int i = 0; i < 6; i++)
            bytes[i] = (unsigned char)(ms >> (8 * (5 - i)));
    }
    bytes[6] = (unsigned char)((bytes[6] & 0x0F) | (version << 4));
    bytes[8] = (unsigned char)((bytes[8] & 0x3F) | 0x80); /* the RFC 9562 variant, 10xx */
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[bytes[i] >> 4];
        *o++ = hex[bytes[i] & 15];
    }
    *o = '\0';
    return true;
}

void httpbin_uuid(struct request *request, struct reply *reply)
{
    const char *version_text = request_query(request, "version");
    unsigned version = 4;
    if (version_text) {
        if (strcmp(version_text, "4") != 0 && strcmp(version_text, "7") != 0) {
            reply_bad_parameter(reply, request, "version",
                                "4 (random, the default) or 7 (time-ordered)",
                                "4（随机，默认）或 7（按时间排序）");
            return;
        }
        version = (unsigned)(version_text[0] - '0');
    }
    char uuid[37];
    if (!make_uuid(version, uuid)) {
        reply_error(reply, request, 500, "The system's random source failed.",
                    "系统的随机数来源出错。");
        return;
    }
    echo_send_json(request, reply, json_pack("{s:s}", "uuid", uuid));
}

/* --- /hostname --------------------------------------------------------------------------- */

void httpbin_hostname(struct request *request, struct reply *reply)
{
    if (!request->config || !request->config->expose_hostname) {
        reply_error(reply, request, 404,
                    "/hostname is off on this server: a host name tells where a test ran, "
                    "which a shared instance should keep to itself. Start statusd with "
                    "--expose-hostname (or STATUSD_EXPOSE_HOSTNAME=1) to turn it on.",
                    "本服务器关闭了 /hostname：主机名会透露测试在哪台机器上运行，共享的实例"
                    "不应公开。用 --expose-hostname（或 STATUSD_EXPOSE_HOSTNAME=1）启动 statusd "
                    "即可开启。");
        reply->note_first = true;
        return;
    }
    char name[256];
    if (gethostname(name, sizeof name) != 0) {
        reply_error(reply, request, 500,
                    request_printf(request, "The host name could not be read: %s.",
                                   strerror(errno)),
                    "无法读取主机名。");
        return;
    }
    name[sizeof name - 1] = '\0';
    echo_send_json(request, reply,
                   json_pack("{s:o}", "hostname", echo_json_text(name, strlen(name))));
}

/* --- /unstable --------------------------------------------------------------------------- */

/* A probability written as a decimal from 0 to 1 ("0", "1", "0.25", ".5"); no exponent, sign
 * or spaces, at most 6 decimals. */
static bool parse_rate(const char *text, double *rate)
{
    const char *p = text;
    double whole = 0;
    if (*p == '0' || *p == '1')
        whole = *p++ - '0';
    else if (*p != '.')
        return false;
    double fraction = 0, scale = 1;
    if (*p == '.') {
        p++;
        int digits = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (++digits > 6)
                return false;
            scale /= 10;
            fraction += (*p - '0') * scale;
        }
        if (digits == 0)
            return false;
    }
    if (*p || whole + fraction > 1.0)
        return false;
    *rate = whole + fraction;
    return true;
}

void httpbin_unstable(struct request *request, struct reply *reply)
{
    double rate = 0.5;
    const char *rate_text = request_query(request, "failure_rate");
    if (rate_text && !parse_rate(rate_text, &rate)) {
        reply_bad_parameter(reply, request, "failure_rate",
                            "a probability from 0 to 1, such as 0.25 (at most 6 decimals)",
                            "0 到 1 之间的概率，例如 0.25（最多 6 位小数）");
        return;
    }
    const char *seed_text = request_query(request, "seed");
    uint64_t state;
    if (seed_text) {
        if (!parse_uint(seed_text, UINT64_MAX, &state)) {
            reply_bad_parameter(reply, request, "seed", "a whole number from 0 to 2^64 - 1",
                                "0 到 2^64 - 1 之间的整数");
            return;
        }
    } else if (getrandom(&state, sizeof state, 0) != (ssize_t)sizeof state) {
        reply_error(reply, request, 500, "The system's random source failed.",
                    "系统的随机数来源出错。");
        return;
    }
    /* With ?seed= the same URL always draws the same number, so a failing test repeats. */
    double draw = hash_unit_interval(hash_splitmix64(&state));
    bool fail = draw < rate;
    reply_explain(reply, request, fail ? 500 : 200, 0);
    reply->note[LANGUAGE_EN] = request_printf(
        request, "/unstable fails with probability %g: this request drew %.6f, %s %g, so %s.%s",
        rate, draw, fail ? "below" : "not below", rate, fail ? "500" : "200",
        seed_text ? " The same ?seed= always draws the same number." : "");
    reply->note[LANGUAGE_ZH] = request_printf(
        request, "/unstable 以 %g 的概率失败：本次请求抽到 %.6f，%s %g，因此答复 %s。%s", rate,
        draw, fail ? "小于" : "不小于", rate, fail ? "500" : "200",
        seed_text ? "相同的 ?seed= 总是抽到相同的数。" : "");
}
