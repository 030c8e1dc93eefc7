#include "render.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The fixed words around the catalogue's texts, per language. */
struct labels {
    const char *heading;
    const char *meaning;
    const char *persistence;
    const char *temporary;
    const char *permanent;
    const char *redirect_temporary;
    const char *redirect_permanent;
    const char *advice;
    const char *note;
    const char *headers;
    const char *next;
    const char *class_name;
    const char *source;
    const char *official;
    const char *unofficial;
    const char *no_entry;
    const char *interim;
    const char *more;
};

static const struct labels labels[LANGUAGE_COUNT] = {
    [LANGUAGE_EN] = {
        .heading = "English",
        .meaning = "Meaning",
        .persistence = "Temporary or permanent",
        .temporary = "temporary: the same request may succeed later",
        .permanent = "permanent: repeating the same request will not change the answer",
        .redirect_temporary = "temporary: the target may change, so keep using the original URL",
        .redirect_permanent = "permanent: use the new URL from now on (update links and bookmarks)",
        .advice = "What to do next",
        .note = "This response",
        .headers = "Headers sent on purpose",
        .next = "Next",
        .class_name = "Class",
        .source = "Defined by",
        .official = "registered with IANA",
        .unofficial = "not registered with IANA",
        .no_entry = "This code is not registered with IANA and statusd's catalogue has no entry for "
                    "it; this is what its class means.",
        .interim = "Sent first as an interim response",
        .more = "curl examples and a live try-it panel",
    },
    [LANGUAGE_ZH] = {
        .heading = "中文",
        .meaning = "含义",
        .persistence = "暂时还是永久",
        .temporary = "暂时：同样的请求稍后可能成功",
        .permanent = "永久：原样重复请求不会得到不同的结果",
        .redirect_temporary = "暂时：目标以后可能改变，请继续使用原来的网址",
        .redirect_permanent = "永久：今后改用新网址（并更新链接和书签）",
        .advice = "下一步",
        .note = "本次响应",
        .headers = "特意发送的响应头",
        .next = "前往",
        .class_name = "类别",
        .source = "定义于",
        .official = "已在 IANA 注册",
        .unofficial = "未在 IANA 注册",
        .no_entry = "这个状态码未在 IANA 注册，statusd 的目录中也没有它；以下是它所属类别的含义。",
        .interim = "先作为临时响应发送",
        .more = "curl 示例与在线试用",
    },
};

/* What the body explains: the entry's text, or its class's when the catalogue has none. */
struct subject {
    unsigned code;
    const char *key;
    const char *reason;
    const struct catalog_entry *entry;
    const struct catalog_class *class;
};

static struct subject subject_of(const struct reply *reply, char *key, size_t key_size)
{
    struct subject s = { .code = reply->explained_code, .entry = reply->entry };
    s.class = catalog_class_of(s.code);
    if (s.entry) {
        s.key = s.entry->key;
        s.reason = s.entry->reason;
    } else {
        snprintf(key, key_size, "%u", s.code);
        s.key = key;
        s.reason = s.class ? s.class->text[LANGUAGE_EN].title : "Unknown";
    }
    return s;
}

static const struct catalog_text *subject_text(const struct subject *s, enum language l)
{
    return s->entry ? &s->entry->text[l] : &s->class->text[l];
}

static const char *why_of(const struct reply *reply, const struct subject *s, const char *name,
                          enum language l)
{
    if (reply->location_why[l] && strcasecmp(name, "Location") == 0)
        return reply->location_why[l];
    const struct catalog_header *h = catalog_header(s->entry, name);
    return h ? h->why[l] : NULL;
}

/* The reply's own persistence, else its entry's; PERSISTENCE_NONE when there is nothing to
 * say (an uncatalogued code, 2xx, 304). */
static enum persistence persistence_of(const struct reply *reply, const struct subject *s)
{
    if (reply->persistence != PERSISTENCE_NONE)
        return reply->persistence;
    return s->entry ? s->entry->persistence : PERSISTENCE_NONE;
}

/* "Temporary or permanent" in words that fit the class: a redirect does not "succeed later",
 * it tells the client which URL to keep using. NULL for nothing to say. */
static const char *persistence_text(const struct labels *w, const struct reply *reply,
                                    const struct subject *s)
{
    enum persistence p = persistence_of(reply, s);
    if (p == PERSISTENCE_NONE)
        return NULL;
    if (s->code / 100 == 3)
        return p == PERSISTENCE_TEMPORARY ? w->redirect_temporary : w->redirect_permanent;
    return p == PERSISTENCE_TEMPORARY ? w->temporary : w->permanent;
}

static void source_line(struct strbuf *out, const struct subject *s)
{
    strbuf_append(out, s->entry->source_name);
    if (s->entry->source_section)
        strbuf_printf(out, " §%s", s->entry->source_section);
}

static void render_text(struct strbuf *out, enum languages languages, const struct reply *reply,
                        const struct subject *s)
{
    int count = languages_count(languages);
    strbuf_printf(out, "%u %s\n", s->code, s->reason);
    for (int i = 0; reply->note_first && i < count; i++)
        if (reply->note[languages_at(languages, i)])
            strbuf_printf(out, "%s%s\n", i ? "" : "\n", reply->note[languages_at(languages, i)]);
    for (int i = 0; i < count; i++) {
        enum language l = languages_at(languages, i);
        const struct labels *w = &labels[l];
        const struct catalog_text *t = subject_text(s, l);
        strbuf_printf(out, "\n== %s ==\n%s %s\n", w->heading, s->key, t->title);
        if (!s->entry)
            strbuf_printf(out, "%s\n", w->no_entry);
        if (s->class)
            strbuf_printf(out, "%s: %s %s\n", w->class_name, s->class->range,
                          s->class->text[l].title);
        if (s->entry) {
            strbuf_printf(out, "%s: ", w->source);
            source_line(out, s);
            strbuf_printf(out, " (%s) %s\n", s->entry->official ? w->official : w->unofficial,
                          s->entry->source_url);
        }
        if (reply->interim)
            strbuf_printf(out, "%s: %u\n", w->interim, reply->interim);
        strbuf_printf(out, "%s: %s\n", w->meaning, t->meaning);
        const char *persistence = persistence_text(w, reply, s);
        if (persistence)
            strbuf_printf(out, "%s: %s\n", w->persistence, persistence);
        strbuf_printf(out, "%s: %s\n", w->advice, t->advice);
        if (reply->note[l] && !reply->note_first)
            strbuf_printf(out, "%s: %s\n", w->note, reply->note[l]);
    }
    if (reply->header_count) {
        strbuf_append(out, "\n");
        for (int i = 0; i < count; i++)
            strbuf_printf(out, "%s%s", i ? " / " : "", labels[languages_at(languages, i)].headers);
        strbuf_append(out, ":\n");
        for (size_t h = 0; h < reply->header_count; h++) {
            strbuf_printf(out, "  %s: %s\n", reply->headers[h].name, reply->headers[h].value);
            for (int i = 0; i < count; i++) {
                const char *why = why_of(reply, s, reply->headers[h].name, languages_at(languages, i));
                if (why)
                    strbuf_printf(out, "    %s\n", why);
            }
        }
    }
    if (reply->link) {
        strbuf_append(out, "\n");
        for (int i = 0; i < count; i++)
            strbuf_printf(out, "%s%s", i ? " / " : "", labels[languages_at(languages, i)].next);
        strbuf_printf(out, ": %s\n", reply->link);
    }
}

void render_html_open(struct strbuf *out, const char *title, const char *language)
{
    strbuf_printf(out,
                  "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<meta name=\"color-scheme\" content=\"light dark\">\n"
                  "<title>",
                  language);
    strbuf_append_html(out, title);
    strbuf_append(out, " · statusd</title>\n"
                       "<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">\n"
                       "<link rel=\"stylesheet\" href=\"/static/style.css\">\n</head>\n<body>\n"
                       "<header class=\"bar\"><a class=\"home\" href=\"/\">statusd</a> "
                       "<span class=\"tagline\">HTTP 状态码 · HTTP status codes</span></header>\n"
                       "<main>\n");
}

void render_html_close(struct strbuf *out)
{
    strbuf_append(out, "</main>\n<footer class=\"foot\"><a href=\"/\">全部状态码 · every code</a> · "
                       "<a href=\"/codes.json\">/codes.json</a></footer>\n</body>\n</html>\n");
}

/* One label per language shown, in their order: "中文 · English". */
static void html_labels(struct strbuf *out, enum languages languages,
                        const char *const by_language[LANGUAGE_COUNT])
{
    for (int i = 0; i < languages_count(languages); i++)
        strbuf_printf(out, "%s%s", i ? " · " : "", by_language[languages_at(languages, i)]);
}
#define LABEL(field)                                                                          \
    (const char *const[LANGUAGE_COUNT])                                                       \
    {                                                                                         \
        [LANGUAGE_ZH] = labels[LANGUAGE_ZH].field, [LANGUAGE_EN] = labels[LANGUAGE_EN].field \
    }

static const char *language_tag(enum language l)
{
    return l == LANGUAGE_ZH ? "zh" : "en";
}

/* Class, source, registration: one line under the heading. */
static void html_meta(struct strbuf *out, enum languages languages, const struct reply *reply,
                      const struct subject *s)
{
    strbuf_append(out, "<p class=\"meta\">");
    /* A browser shows no status line: say which one this page came with. */
    if (!reply->headers_described_only)
        strbuf_printf(out, "<span class=\"sent\">HTTP %u</span> · ", reply->status);
    if (s->class) {
        strbuf_printf(out, "<span class=\"range\">%s</span> ", s->class->range);
        for (int i = 0; i < languages_count(languages); i++) {
            strbuf_append(out, i ? " · " : "");
            strbuf_append_html(out, s->class->text[languages_at(languages, i)].title);
        }
    }
    if (s->entry) {
        strbuf_append(out, " · <a class=\"source\" href=\"");
        strbuf_append_html(out, s->entry->source_url);
        strbuf_append(out, "\">");
        struct strbuf source = { 0 };
        source_line(&source, s);
        strbuf_append_html(out, source.data ? source.data : "");
        strbuf_free(&source);
        strbuf_printf(out, "</a> · <span class=\"badge %s\">",
                      s->entry->official ? "official" : "unofficial");
        if (s->entry->official)
            html_labels(out, languages, LABEL(official));
        else
            html_labels(out, languages, LABEL(unofficial));
        strbuf_append(out, "</span>");
    } else {
        /* Every registered code is catalogued, so an uncatalogued one is unregistered. */
        strbuf_append(out, " · <span class=\"badge unofficial\">");
        html_labels(out, languages, LABEL(unofficial));
        strbuf_append(out, "</span>");
    }
    strbuf_append(out, "</p>\n");
}

/* One language's explanation: meaning, permanence, advice and this response's note. */
static void html_language(struct strbuf *out, enum language l, const struct reply *reply,
                          const struct subject *s)
{
    const struct labels *w = &labels[l];
    const struct catalog_text *t = subject_text(s, l);
    strbuf_printf(out, "<section class=\"language\" lang=\"%s\">\n<h2>", language_tag(l));
    strbuf_append_html(out, t->title);
    strbuf_append(out, "</h2>\n");
    if (!s->entry)
        strbuf_printf(out, "<p class=\"note\">%s</p>\n", w->no_entry);
    strbuf_append(out, "<dl>\n");
    if (reply->interim)
        strbuf_printf(out, "<dt>%s</dt><dd><strong>%u</strong></dd>\n", w->interim, reply->interim);
    strbuf_printf(out, "<dt>%s</dt><dd>", w->meaning);
    strbuf_append_html(out, t->meaning);
    strbuf_append(out, "</dd>\n");
    const char *persistence = persistence_text(w, reply, s);
    if (persistence)
        strbuf_printf(out, "<dt>%s</dt><dd>%s</dd>\n", w->persistence, persistence);
    strbuf_printf(out, "<dt>%s</dt><dd>", w->advice);
    strbuf_append_html(out, t->advice);
    strbuf_append(out, "</dd>\n");
    if (reply->note[l] && !reply->note_first) {
        strbuf_printf(out, "<dt>%s</dt><dd class=\"note\">", w->note);
        strbuf_append_html(out, reply->note[l]);
        strbuf_append(out, "</dd>\n");
    }
    strbuf_append(out, "</dl>\n</section>\n");
}

/* The headers with the catalogue's reason for each, in every language shown. */
static void html_headers(struct strbuf *out, enum languages languages, const struct reply *reply,
                         const struct subject *s)
{
    strbuf_append(out, "<section class=\"headers\">\n<h2>");
    html_labels(out, languages, LABEL(headers));
    if (reply->headers_described_only)
        strbuf_printf(out, " <small>(<code>/status/%s</code>)</small>", s->key);
    strbuf_append(out, "</h2>\n<table>\n");
    for (size_t h = 0; h < reply->header_count; h++) {
        strbuf_append(out, "<tr><th scope=\"row\"><code>");
        strbuf_append_html(out, reply->headers[h].name);
        strbuf_append(out, "</code></th><td><code class=\"value\">");
        strbuf_append_html(out, reply->headers[h].value);
        strbuf_append(out, "</code>");
        for (int i = 0; i < languages_count(languages); i++) {
            enum language l = languages_at(languages, i);
            const char *why = why_of(reply, s, reply->headers[h].name, l);
            if (why) {
                strbuf_printf(out, "<p class=\"why\" lang=\"%s\">", language_tag(l));
                strbuf_append_html(out, why);
                strbuf_append(out, "</p>");
            }
        }
        strbuf_append(out, "</td></tr>\n");
    }
    strbuf_append(out, "</table>\n</section>\n");
}

static void html_article(struct strbuf *out, enum languages languages, const struct reply *reply,
                         const struct subject *s)
{
    strbuf_printf(out, "<article class=\"explanation class-%u\">\n", s->code / 100);
    strbuf_printf(out, "<h1><span class=\"code\">%s</span> ", s->key);
    strbuf_append_html(out, s->reason);
    strbuf_append(out, "</h1>\n");
    for (int i = 0; reply->note_first && i < languages_count(languages); i++) {
        enum language l = languages_at(languages, i);
        if (!reply->note[l])
            continue;
        strbuf_printf(out, "<p class=\"note first\" lang=\"%s\"><strong>", language_tag(l));
        strbuf_append_html(out, reply->note[l]);
        strbuf_append(out, "</strong></p>\n");
    }
    html_meta(out, languages, reply, s);
    strbuf_printf(out, "<div class=\"languages languages-%d\">\n", languages_count(languages));
    for (int i = 0; i < languages_count(languages); i++)
        html_language(out, languages_at(languages, i), reply, s);
    strbuf_append(out, "</div>\n");
    if (reply->header_count)
        html_headers(out, languages, reply, s);
    if (reply->link) {
        strbuf_append(out, "<p class=\"next\">");
        html_labels(out, languages, LABEL(next));
        strbuf_append(out, ": <a href=\"");
        strbuf_append_html(out, reply->link);
        strbuf_append(out, "\">");
        strbuf_append_html(out, reply->link);
        strbuf_append(out, "</a></p>\n");
    }
    strbuf_append(out, "</article>\n");
}

void render_html_article(struct strbuf *out, enum languages languages, const struct reply *reply)
{
    char key[16];
    struct subject s = subject_of(reply, key, sizeof key);
    html_article(out, languages, reply, &s);
}

static void render_html(struct strbuf *out, enum languages languages, const struct reply *reply,
                        const struct subject *s)
{
    char title[160];
    snprintf(title, sizeof title, "%u %s", s->code, s->reason);
    render_html_open(out, title, language_tag(languages_at(languages, 0)));
    html_article(out, languages, reply, s);
    strbuf_printf(out, "<p class=\"more\"><a href=\"/codes/%s\">/codes/%s</a>: ", s->key, s->key);
    html_labels(out, languages, LABEL(more));
    strbuf_append(out, "</p>\n");
    render_html_close(out);
}

static json_t *text_object(const struct subject *s, const struct reply *reply, enum language l)
{
    const struct catalog_text *t = subject_text(s, l);
    json_t *o = json_pack("{s:s, s:s, s:s}", "title", t->title, "meaning", t->meaning, "advice",
                          t->advice);
    if (reply->note[l])
        json_object_set_new(o, "note", json_string(reply->note[l]));
    return o;
}

static void render_json(struct strbuf *out, enum languages languages, const struct reply *reply,
                        const struct subject *s)
{
    static const char *const persistence_names[] = { NULL, "temporary", "permanent" };
    json_t *o = json_pack("{s:i, s:s, s:i, s:s}", "status", (int)reply->status, "code", s->key,
                          "explained", (int)s->code, "reason", s->reason);
    if (!o) {
        out->failed = true;
        return;
    }
    if (reply->note_first) {
        /* The bad parameter, at the top where a reader looks first; also each language's note. */
        json_t *error = json_object();
        for (int i = 0; error && i < languages_count(languages); i++) {
            enum language l = languages_at(languages, i);
            if (reply->note[l])
                json_object_set_new(error, l == LANGUAGE_ZH ? "zh" : "en",
                                    json_string(reply->note[l]));
        }
        if (error)
            json_object_set_new(o, "error", error);
    }
    if (s->class)
        json_object_set_new(o, "class", json_string(s->class->range));
    json_object_set_new(o, "official", json_boolean(s->entry && s->entry->official));
    if (s->entry) {
        json_object_set_new(o, "source",
                            json_pack("{s:s, s:s?, s:s}", "name", s->entry->source_name,
                                      "section", s->entry->source_section, "url",
                                      s->entry->source_url));
    }
    if (s->entry || reply->persistence != PERSISTENCE_NONE) {
        enum persistence p = persistence_of(reply, s);
        json_object_set_new(o, "persistence",
                            p ? json_string(persistence_names[p]) : json_null());
    }
    if (reply->interim)
        json_object_set_new(o, "interim", json_integer(reply->interim));
    for (int i = 0; i < languages_count(languages); i++) {
        enum language l = languages_at(languages, i);
        json_object_set_new(o, l == LANGUAGE_ZH ? "zh" : "en", text_object(s, reply, l));
    }
    json_t *headers = json_array();
    for (size_t h = 0; h < reply->header_count; h++) {
        json_t *item = json_pack("{s:s, s:s}", "name", reply->headers[h].name, "value",
                                 reply->headers[h].value);
        for (int i = 0; i < languages_count(languages); i++) {
            enum language l = languages_at(languages, i);
            const char *why = why_of(reply, s, reply->headers[h].name, l);
            if (why)
                json_object_set_new(item, l == LANGUAGE_ZH ? "why_zh" : "why_en",
                                    json_string(why));
        }
        json_array_append_new(headers, item);
    }
    json_object_set_new(o, "headers", headers);
    if (reply->link)
        json_object_set_new(o, "link", json_string(reply->link));
    char *text = json_dumps(o, JSON_INDENT(2));
    json_decref(o);
    if (!text) {
        out->failed = true;
        return;
    }
    strbuf_append(out, text);
    strbuf_append(out, "\n");
    free(text);
}

void render_explanation(struct strbuf *out, enum format format, enum languages languages,
                        const struct reply *reply)
{
    char key[16];
    struct subject s = subject_of(reply, key, sizeof key);
    switch (format) {
    case FORMAT_HTML: render_html(out, languages, reply, &s); break;
    case FORMAT_JSON: render_json(out, languages, reply, &s); break;
    default: render_text(out, languages, reply, &s); break;
    }
}
