/* The request head, as libmicrohttpd parsed it, checked before the body is read: what
 * RFC 9110/9112 say to reject but libmicrohttpd 0.9.75 lets through, and statusd's limits. */
#include "head_check.h"

#include "config.h"
#include "numbers.h"
#include "params.h"
#include "strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Header lines libmicrohttpd 0.9.75 accepts but RFC 9110/9112 say to reject (400). */
enum head_flaw {
    HEAD_SOUND,
    HEAD_FOLDED,       /* obs-fold: a line starting with SP or HT continues the previous one */
    HEAD_BAD_NAME,     /* not a token: "Host : x", a control byte, a leading space */
    HEAD_CONTROL_BYTE, /* CR, DEL or another control byte but HT in a value */
    HEAD_CUT_AT_NUL,   /* a NUL in a value, which libmicrohttpd silently cuts there */
};

/* What the Transfer-Encoding lines say, read as one list (RFC 9112 §6.1). */
struct transfer_codings {
    bool present;
    bool last_is_chunked;   /* the final coding is chunked: the body's end can be found */
    bool chunked_not_last;  /* chunked, then another coding: framing no one can read */
    bool other;             /* a coding other than chunked (gzip, identity, ...) */
};

struct head_size {
    size_t bytes;
    unsigned content_lengths;
    struct transfer_codings transfer;
    unsigned hosts;
    const char *host; /* the first Host line's value */
    enum head_flaw flaw;
    const char *flawed_name; /* the header the flaw is in, for the 400's text */
    /* libmicrohttpd 0.9.75 parses the head in place: version, then each name, value and line
     * end in wire order, up to head_end. Its two silent rewrites show only in that layout (see
     * check_layout); previous_end is where the last piece seen ended. NULL: not checked. */
    const char *previous_end;
    const char *head_end;
};

/* True if [from, to) holds only bytes libmicrohttpd leaves between the pieces of a head: the
 * line ends and the colon it overwrote with NULs, whitespace it skipped, and `also`. */
static bool only_separators(const char *from, const char *to, const char *also)
{
    for (const char *p = from; p < to; p++)
        if (*p != '\0' && !strchr(also, *p))
            return false;
    return true;
}

/* A folded line is appended to the previous header's NAME (so "Content-Length: 0\r\n 5"
 * becomes "Content-Length5: 0", and the length a proxy saw is gone), which libmicrohttpd must
 * copy out of its read buffer: the name then lies after its own value. A NUL in a value cuts it
 * short: the rest of the value is left between its end and the next line. */
static enum head_flaw check_layout(struct head_size *size, const char *name, const char *value)
{
    uintptr_t start = (uintptr_t)size->previous_end, end = (uintptr_t)size->head_end;
    uintptr_t at_name = (uintptr_t)name, at_value = (uintptr_t)value;
    if (at_name < start || at_value < at_name + strlen(name) + 1 || at_value > end)
        return HEAD_FOLDED;
    if (!only_separators(size->previous_end, name, "\r\n \t"))
        return HEAD_CUT_AT_NUL; /* in the previous header's value */
    if (!only_separators(name + strlen(name), value, ": \t"))
        return HEAD_FOLDED;
    size->previous_end = value + strlen(value);
    return HEAD_SOUND;
}

/* A tchar of RFC 9110 §5.6.2. By hand rather than strspn() with the set: glibc's strspn
 * builds a 256-byte table on every call, which was a tenth of a Connection: close request's
 * instructions (bench/README.md "The close path"). */
static bool is_token_char(unsigned char c)
{
    static const char symbols[] = "!#$%&'*+-.^_`|~";
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && memchr(symbols, c, sizeof symbols - 1) != NULL;
}

static enum head_flaw check_header(struct head_size *size, const char *name, const char *value)
{
    if (!*name)
        return HEAD_BAD_NAME;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (!is_token_char(*p))
            return HEAD_BAD_NAME;
    for (const unsigned char *p = (const unsigned char *)value; p && *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return HEAD_CONTROL_BYTE;
    return size->head_end ? check_layout(size, name, value) : HEAD_SOUND;
}

/* Adds one Transfer-Encoding line's codings, in order, to what earlier lines said. */
static void read_transfer_codings(struct transfer_codings *t, const char *value)
{
    t->present = true;
    for (const char *p = value ? value : ""; *p;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, ",");
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == 0)
            break;
        if (t->last_is_chunked)
            t->chunked_not_last = true; /* another coding after chunked */
        t->last_is_chunked = n == 7 && strncasecmp(p, "chunked", 7) == 0;
        if (!t->last_is_chunked)
            t->other = true;
        p += n;
    }
}

static bool measure_header(void *cls, const char *name,
                                      const char *value)
{
    struct head_size *size = cls;
    size->bytes += strlen(name) + 2 + (value ? strlen(value) : 0) + 2;
    if (strcasecmp(name, "Content-Length") == 0)
        size->content_lengths++;
    if (strcasecmp(name, "Transfer-Encoding") == 0)
        read_transfer_codings(&size->transfer, value);
    if (strcasecmp(name, "Host") == 0 && size->hosts++ == 0)
        size->host = value ? value : "";
    if (size->flaw == HEAD_SOUND) {
        size->flaw = check_header(size, name, value);
        /* A NUL is found at the line after it: then the flaw is in the header before. */
        if (size->flaw != HEAD_CUT_AT_NUL)
            size->flawed_name = name;
    }
    return true;
}

/* Where libmicrohttpd's copy of the head ends, so check_layout can read up to it; NULL when the
 * library does not say (the layout checks are then skipped). */
static const char *head_end(const struct request *r)
{
    size_t size = request_head_size(r);
    return size ? r->method + size : NULL;
}

/* The 400 for a flawed head: says what was wrong, naming the header where that is safe. */
static void refuse_flawed_head(struct request *r, struct reply *reply, enum head_flaw flaw,
                               const char *name)
{
    switch (flaw) {
    case HEAD_FOLDED:
        reply_error(reply, r, 400,
                    "A header line starts with a space or tab: obsolete line folding (RFC 9112 "
                    "§5.2), which libmicrohttpd 0.9.75 would merge into the header's name. A "
                    "proxy could read the header differently, so the request is refused.",
                    "某个头部行以空格或制表符开头：这是已废弃的折行（RFC 9112 §5.2），"
                    "libmicrohttpd 0.9.75 会把它并入头部名称。代理可能对该头部理解不同，因此拒绝该请求。");
        break;
    case HEAD_BAD_NAME:
        reply_error(reply, r, 400,
                    "A header name is not a token (RFC 9110 §5.1): it contains a space, a control "
                    "byte or a separator, as in 'Host : x' or a first header line starting with a "
                    "space.",
                    "某个头部名称不是合法的 token（RFC 9110 §5.1）：其中含有空格、控制字符或分隔符，"
                    "例如 'Host : x'，或第一个头部行以空格开头。");
        break;
    default:
        name = name ? name : "(request line)"; /* a NUL right after the HTTP version */
        reply_error(reply, r, 400,
                    request_printf(r, "The value of the header '%.64s' contains %s, which RFC "
                                      "9110 §5.5 forbids in a field value.", name,
                                   flaw == HEAD_CUT_AT_NUL ? "a NUL byte" : "a control byte"),
                    request_printf(r, "头部 '%.64s' 的值含有%s，RFC 9110 §5.5 禁止字段值中出现。",
                                   name, flaw == HEAD_CUT_AT_NUL ? " NUL 字节" : "控制字符"));
        break;
    }
}

const char *head_target_path(struct request *r, const char *url)
{
    size_t scheme = strncasecmp(url, "http://", 7) == 0    ? 7
                    : strncasecmp(url, "https://", 8) == 0 ? 8
                                                            : 0;
    if (!scheme)
        return url;
    const char *authority = url + scheme;
    const char *path = strchr(authority, '/');
    size_t length = path ? (size_t)(path - authority) : strlen(authority);
    /* An authority too long for the arena stays NULL; head_check then refuses the target. */
    r->authority = request_printf(r, "%.*s", (int)(length > 512 ? 512 : length), authority);
    r->authority_refused = !r->authority || length > 512;
    return path ? path : "/";
}

/* Host as RFC 9112 §3.2 asks: exactly one line in HTTP/1.1 (at most one in 1.0), holding
 * host[:port]; an absolute-form target's authority must be one too. False with reply filled. */
static bool check_host(struct request *r, const struct head_size *size, struct reply *reply)
{
    if (size->hosts == 0 && !request_is_http10(r)) {
        reply_error(reply, r, 400,
                    "An HTTP/1.1 request must carry a Host header (RFC 9112 §3.2); this one has "
                    "none.",
                    "HTTP/1.1 请求必须带有 Host 请求头（RFC 9112 §3.2），而此请求没有。");
        return false;
    }
    if (size->hosts > 1) {
        reply_error(reply, r, 400,
                    "The request has more than one Host header (RFC 9112 §3.2): a proxy and this "
                    "server could each pick a different one.",
                    "请求带有多个 Host 请求头（RFC 9112 §3.2）：代理和本服务器可能各取一个。");
        return false;
    }
    if (size->hosts == 1 && !params_valid_host(size->host)) {
        reply_error(reply, r, 400,
                    request_printf(r, "The Host header '%.64s' is not host[:port] (RFC 9112 §3.2): "
                                      "letters, digits, '-', '.', '_', or an IPv6 address in "
                                      "brackets, then an optional port.", size->host),
                    request_printf(r, "Host 请求头 '%.64s' 不是 host[:port] 形式（RFC 9112 §3.2）："
                                      "应为字母、数字、'-'、'.'、'_'，或方括号中的 IPv6 地址，"
                                      "可带端口。", size->host));
        return false;
    }
    if (r->authority_refused || (r->authority && !params_valid_host(r->authority))) {
        reply_error(reply, r, 400,
                    "The request target is in absolute form, but its authority is not "
                    "host[:port] (RFC 9112 §3.2.2).",
                    "请求目标是绝对形式，但其中的主机部分不是 host[:port] 形式（RFC 9112 §3.2.2）。");
        return false;
    }
    return true;
}

/* Transfer-Encoding as RFC 9112 §6.1 and §6.3 ask; the body of a request refused here cannot
 * be framed, so the connection is closed after the answer. Without this, libmicrohttpd 0.9.75
 * would read a body it cannot frame until the client gave up or --timeout struck. */
static bool check_transfer_codings(struct request *r, const struct transfer_codings *t,
                                   struct reply *reply)
{
    if (!t->present)
        return true;
    if (request_is_http10(r)) {
        reply_error(reply, r, 400,
                    "An HTTP/1.0 request carries Transfer-Encoding, which HTTP/1.0 does not know: "
                    "its framing cannot be trusted (RFC 9112 §6.1).",
                    "HTTP/1.0 请求带有 Transfer-Encoding，而 HTTP/1.0 没有这个头：其分帧不可信"
                    "（RFC 9112 §6.1）。");
        return false;
    }
    if (!t->last_is_chunked || t->chunked_not_last) {
        reply_error(reply, r, 400,
                    "Transfer-Encoding does not end with chunked (exactly once, last), so where "
                    "the body ends cannot be known (RFC 9112 §6.3).",
                    "Transfer-Encoding 不是以 chunked 结尾（恰好一次，且在最后），因此无法确定消息体"
                    "在哪里结束（RFC 9112 §6.3）。");
        return false;
    }
    if (t->other) {
        reply_error(reply, r, 501,
                    "The body is chunked, but also has a transfer coding this server does not "
                    "implement (only chunked is, RFC 9112 §6.1).",
                    "消息体是分块的，但还用了本服务器没有实现的传输编码（只支持 chunked，"
                    "RFC 9112 §6.1）。");
        return false;
    }
    return true;
}

bool head_check(struct request *r, const char *target, const struct config *config,
                struct reply *reply)
{
    size_t line = strlen(r->method) + 1 + strlen(target) + 1 + strlen(r->version) + 2;
    if (line > config->max_header_bytes) {
        reply_error(reply, r, 414,
                    request_printf(r, "The request line is %zu bytes; this server accepts at most %zu "
                                      "(--max-header-bytes).", line, config->max_header_bytes),
                    request_printf(r, "请求行有 %zu 字节；本服务器最多接受 %zu 字节（--max-header-bytes）。",
                                   line, config->max_header_bytes));
        reply->lean = true;
        return false;
    }
    struct head_size size = { .bytes = line, .head_end = head_end(r) };
    size.previous_end = size.head_end ? r->version + strlen(r->version) : NULL;
    /* The transport's own walk, not request_each: the lines as received, with the Host an
     * absolute-form target replaces. */
    r->transport->each(r, REQUEST_HEADER, measure_header, &size);
    if (size.bytes + 2 > config->max_header_bytes) {
        reply_error(reply, r, 431,
                    request_printf(r, "The request head is %zu bytes; this server accepts at most %zu "
                                      "(--max-header-bytes).", size.bytes + 2, config->max_header_bytes),
                    request_printf(r, "请求头部共 %zu 字节；本服务器最多接受 %zu 字节（--max-header-bytes）。",
                                   size.bytes + 2, config->max_header_bytes));
        reply->lean = true;
        return false;
    }
    /* Whatever follows the last value up to the end of the head: a NUL cut that value short. */
    if (size.flaw == HEAD_SOUND && size.head_end &&
        !only_separators(size.previous_end, size.head_end, "\r\n \t"))
        size.flaw = HEAD_CUT_AT_NUL;
    if (size.flaw != HEAD_SOUND) {
        refuse_flawed_head(r, reply, size.flaw, size.flawed_name);
        return false;
    }
    if (size.content_lengths > 1 || (size.content_lengths && size.transfer.present)) {
        reply_error(reply, r, 400,
                    "The request has more than one way to find where its body ends (several "
                    "Content-Length headers, or Content-Length with Transfer-Encoding): a proxy "
                    "and this server could disagree, which is how requests are smuggled.",
                    "请求有多种确定消息体结尾的方式（多个 Content-Length，或同时带有 Content-Length 和 "
                    "Transfer-Encoding）：代理和本服务器可能理解不一致，这正是请求走私的手法。");
        return false;
    }
    if (!check_host(r, &size, reply) || !check_transfer_codings(r, &size.transfer, reply))
        return false;
    const char *length = request_header(r, "Content-Length");
    uint64_t declared;
    if (length && parse_uint(length, UINT64_MAX, &declared) && declared > config->max_body) {
        reply_error(reply, r, 413,
                    request_printf(r, "The body would be %llu bytes; this server accepts at most %llu "
                                      "(--max-body). It was not read.",
                                   (unsigned long long)declared,
                                   (unsigned long long)config->max_body),
                    request_printf(r, "消息体将有 %llu 字节；本服务器最多接受 %llu 字节（--max-body），未读取。",
                                   (unsigned long long)declared,
                                   (unsigned long long)config->max_body));
        return false;
    }
    const char *expect = request_header(r, "Expect");
    if (expect && strcasecmp(expect, "100-continue") != 0) {
        reply_error(reply, r, 417,
                    request_printf(r, "This server meets only 'Expect: 100-continue', not '%s'.",
                                   expect),
                    request_printf(r, "本服务器只支持 'Expect: 100-continue'，不支持 '%s'。", expect));
        return false;
    }
    return true;
}

/* --- the head as it arrived (/dump/request) ------------------------------------------------
 *
 * libmicrohttpd 0.9.75 parses the head in place and leaves it in its buffer until the request
 * is done: from the method to the end of the head, every byte is as received except that the
 * two spaces of the request line, the colon after each header name and each CR and LF are
 * now NUL, and the target is percent-decoded in place (the raw target is kept apart, in
 * request->target). Whitespace around a value is untouched. So the bytes can be given back:
 * after a name, the NUL is the colon; the run of NULs that ends a line is CR LF (two) or LF
 * (one). NUL bytes of the client's own never get here (check_layout refuses them), and
 * neither do folded lines. Every step is checked against that layout, and anything else gives
 * up (false) rather than guess. */

struct raw_walk {
    const char *cursor; /* where the next header name must start, after a line end */
    const char *end;
    struct strbuf *out;
    bool broken;
};

/* Appends the line ends [from, to) holds, NULs only: one line end (between two lines) or two
 * (the last header line's and the blank line's). A CR LF left two NULs, a bare LF one; of two
 * line ends in three NULs, which was the CR LF cannot be told, and the first is taken. */
static bool append_line_ends(struct strbuf *out, const char *from, const char *to,
                             size_t lines)
{
    if (to <= from)
        return false;
    for (const char *p = from; p < to; p++)
        if (*p != '\0')
            return false;
    size_t n = (size_t)(to - from);
    if (n < lines || n > 2 * lines)
        return false;
    for (size_t crlf = n - lines; lines > 0; lines--) {
        strbuf_append(out, crlf ? "\r\n" : "\n");
        if (crlf)
            crlf--;
    }
    return true;
}

static bool raw_header(void *cls, const char *name, const char *value)
{
    struct raw_walk *w = cls;
    (void)value; /* the bytes are read from the buffer, whitespace and all */
    size_t name_length = strlen(name);
    if (name < w->cursor || name + name_length >= w->end ||
        !append_line_ends(w->out, w->cursor, name, 1)) {
        w->broken = true;
        return false;
    }
    /* name, the colon, then everything up to the NUL that was the line's CR or LF */
    const char *line_end = memchr(name + name_length + 1, '\0',
                                  (size_t)(w->end - name) - name_length - 1);
    if (!line_end) {
        w->broken = true;
        return false;
    }
    strbuf_append_bytes(w->out, name, name_length);
    strbuf_append(w->out, ":");
    strbuf_append_bytes(w->out, name + name_length + 1, (size_t)(line_end - name - name_length - 1));
    w->cursor = line_end;
    return true;
}

bool head_raw_bytes(const struct request *r, struct strbuf *out)
{
    const char *end = head_end(r);
    if (!end || !r->method || !r->version || r->version <= r->method ||
        r->version + strlen(r->version) >= end)
        return false;
    struct strbuf head = { 0 };
    /* The request line: RFC 9112 §3 puts exactly one space between its three parts, which
     * libmicrohttpd requires too; the target as sent, before percent-decoding. */
    strbuf_printf(&head, "%s %s %s", r->method, r->target, r->version);
    struct raw_walk walk = { r->version + strlen(r->version), end, &head, false };
    r->transport->each(r, REQUEST_HEADER, raw_header, &walk);
    /* The last line's end and the blank line that ends the head. */
    if (walk.broken || !append_line_ends(&head, walk.cursor, end, 2) || strbuf_failed(&head)) {
        strbuf_free(&head);
        return false;
    }
    strbuf_append_bytes(out, head.data, head.length);
    strbuf_free(&head);
    return true;
}
