/* What a browser looks at: the catalogue index, one page per code, the assets, /codes.json,
 * and /health (SPEC §10, §11). */
#include "assets.h"
#include "render.h"
#include "routes.h"

#include <stdlib.h>
#include <string.h>

/* Built once at start-up (pages_init); every request shares the bytes. */
static struct {
    char *index;
    size_t index_length;
} pages;

static void index_row(struct strbuf *out, const struct catalog_entry *e)
{
    strbuf_printf(out, "<tr%s><td><a href=\"/codes/%s\">%s</a></td><td>", e->official ? "" :
                  " class=\"unofficial\"", e->key, e->key);
    strbuf_append_html(out, e->reason);
    strbuf_append(out, "</td><td lang=\"zh\">");
    strbuf_append_html(out, e->text[LANGUAGE_ZH].title);
    strbuf_append(out, "</td><td lang=\"en\">");
    strbuf_append_html(out, e->text[LANGUAGE_EN].title);
    strbuf_printf(out, "</td><td><a href=\"/status/%s\">/status/%s</a></td></tr>\n", e->key,
                  e->key);
}

bool pages_init(void)
{
    struct strbuf out = { 0 };
    render_html_open(&out, "HTTP status codes · HTTP 状态码", "zh");
    strbuf_append(&out, "<h1>HTTP 状态码 · HTTP status codes</h1>\n"
                        "<p>Every code, explained in 中文 and English. Open <code>/codes/N</code> "
                        "to read about a code, <code>/status/N</code> to receive it for real. "
                        "Machine-readable: <a href=\"/codes.json\">/codes.json</a>.</p>\n");
    unsigned current_class = 0;
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct catalog_entry *e = catalog_at(i);
        const struct catalog_class *k = catalog_class_of(e->code);
        if (k->digit != current_class) {
            if (current_class)
                strbuf_append(&out, "</tbody></table>\n</section>\n");
            current_class = k->digit;
            strbuf_printf(&out, "<section id=\"%s\">\n<h2>%s ", k->range, k->range);
            strbuf_append_html(&out, k->text[LANGUAGE_ZH].title);
            strbuf_append(&out, " · ");
            strbuf_append_html(&out, k->text[LANGUAGE_EN].title);
            strbuf_append(&out, "</h2>\n<table class=\"codes\"><thead><tr><th>Code</th>"
                                "<th>Reason</th><th>中文</th><th>English</th><th>Try it</th>"
                                "</tr></thead><tbody>\n");
        }
        index_row(&out, e);
    }
    if (current_class)
        strbuf_append(&out, "</tbody></table>\n</section>\n");
    strbuf_append(&out, "<p>Codes 600–999 are sent as-is for testing client robustness: "
                        "<a href=\"/status/799\">/status/799</a>. "
                        "600–999 原样发送，用于测试客户端的健壮性。</p>\n");
    render_html_close(&out);
    pages.index = strbuf_take(&out, &pages.index_length);
    return pages.index != NULL;
}

void pages_free(void)
{
    free(pages.index);
    pages.index = NULL;
}

void pages_index(struct request *request, struct reply *reply)
{
    (void)request;
    reply->status = 200;
    reply->body = pages.index;
    reply->body_length = pages.index_length;
    reply->content_type = "text/html; charset=utf-8";
    reply_set_header(reply, "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
}

void pages_codes_json(struct request *request, struct reply *reply)
{
    (void)request;
    reply->status = 200;
    reply->body = catalog_json(&reply->body_length);
    reply->content_type = "application/json";
}

void pages_health(struct request *request, struct reply *reply)
{
    (void)request;
    reply->status = 200;
    reply->body = "ok\n";
    reply->body_length = 3;
    reply->content_type = "text/plain; charset=utf-8";
}

void pages_static(struct request *request, struct reply *reply)
{
    const struct asset *asset = asset_find(request->tail);
    if (!asset) {
        reply_error(reply, request, 404,
                    request_printf(request, "There is no asset called %s.", request->tail),
                    request_printf(request, "没有名为 %s 的静态文件。", request->tail));
        reply->link = "/";
        return;
    }
    reply->status = 200;
    reply->body = (const char *)asset->data;
    reply->body_length = asset->size;
    reply->content_type = asset_content_type(asset->name);
    /* Assets change only with the binary; an hour spares browsers a request per page. */
    reply->cache_control = "public, max-age=3600";
}

/* /codes/{code}: the explanation at 200, with commands to try the real thing. */
void pages_code(struct request *request, struct reply *reply)
{
    unsigned code = 0, sub = 0;
    const char *dot = strchr(request->tail, '.');
    char *end;
    code = (unsigned)strtoul(request->tail, &end, 10);
    if (dot && end == dot)
        sub = (unsigned)strtoul(dot + 1, &end, 10);
    if (*end || end == request->tail || !catalog_find(code, sub) ||
        strspn(request->tail, "0123456789.") != strlen(request->tail)) {
        reply_error(reply, request, 404,
                    request_printf(request, "The catalogue has no code '%s'; the index lists them all.",
                                   request->tail),
                    request_printf(request, "目录中没有状态码 '%s'；首页列出了全部状态码。",
                                   request->tail));
        reply->link = "/";
        return;
    }
    reply_explain(reply, request, code, sub);
    reply->status = 200;
    reply->headers_described_only = true;
    const char *host = request_header(request, "Host");
    if (!host || strpbrk(host, " \"'<>\\`$") || strlen(host) > 255)
        host = "localhost:8080";
    const char *key = catalog_find(code, sub)->key;
    reply->note[LANGUAGE_EN] = request_printf(
        request, "Try it: curl -i http://%s/status/%s (add -L to follow redirects, -X POST to send another method).",
        host, key);
    reply->note[LANGUAGE_ZH] = request_printf(
        request, "试一试：curl -i http://%s/status/%s（加 -L 跟随重定向，加 -X POST 换用其他方法）。",
        host, key);
    reply->link = request_printf(request, "/status/%s", key);
}
