/* What a browser looks at: the catalogue index, one page per code, the assets, /codes.json,
 * and /health (SPEC §10, §11).
 *
 * The index and the HTML of every /codes/{code} (in each language choice) depend only on the
 * URL, so pages_init renders them once and requests share the bytes. The pages carry no
 * inline script or style: the Content-Security-Policy below allows only /static/. */
#include "assets.h"
#include "codelist.h"
#include "render.h"
#include "endpoints.h"
#include "once.h"
#include "state.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Stricter than the explanations' policy: no <base>, forms only to this server. */
#define PAGE_POLICY \
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* The origin written into curl examples. The pages are built before any request names the
 * server's host, so static/app.js puts the page's own origin in its place. */
#define ORIGIN "http://localhost:8080"


/* Built the first time it is asked for (once.h); every later request shares the bytes. */
struct page {
    char *html;
    size_t length;
};

static struct {
    struct once index;
    struct once *codes; /* catalog_count() * LANGUAGES_COUNT, by entry then languages */
    size_t code_count;
} pages;

static void page_free(void *value)
{
    struct page *page = value;
    free(page->html);
    free(page);
}

/* A page from rendered bytes (taken over); NULL, with the bytes freed, when out of memory. */
static struct page *page_from(struct strbuf *out)
{
    struct page *page = malloc(sizeof *page);
    if (page && (page->html = strbuf_take(out, &page->length)))
        return page;
    free(page);
    strbuf_free(out);
    return NULL;
}

/* "中文 · English", or one of them, as the page's languages ask. */
static void bilingual(struct strbuf *out, enum languages languages, const char *zh, const char *en)
{
    if (strcmp(zh, en) == 0) {
        strbuf_append_html(out, en);
        return;
    }
    for (int i = 0; i < languages_count(languages); i++) {
        bool chinese = languages_at(languages, i) == LANGUAGE_ZH;
        if (i)
            strbuf_append(out, " · ");
        strbuf_printf(out, "<span lang=\"%s\">", chinese ? "zh" : "en");
        strbuf_append_html(out, chinese ? zh : en);
        strbuf_append(out, "</span>");
    }
}

/* --- the index ----------------------------------------------------------------------- */

/* Lower-case ASCII only: the filter compares bytes, and UTF-8 Chinese has no case. */
static void append_lowercase(struct strbuf *out, const char *text)
{
    size_t start = out->length;
    strbuf_append_html(out, text);
    for (size_t i = start; !out->failed && i < out->length; i++)
        out->data[i] = (char)tolower((unsigned char)out->data[i]);
}

/* What the filter box searches besides the code: reason, titles and meanings, so "rate"
 * and "限流" find 429 although neither is in its title. */
static void index_words(struct strbuf *out, const struct catalog_entry *e)
{
    const char *words[] = { e->reason,
                            e->text[LANGUAGE_ZH].title,
                            e->text[LANGUAGE_EN].title,
                            e->text[LANGUAGE_ZH].meaning,
                            e->text[LANGUAGE_EN].meaning,
                            e->source_name };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (i)
            strbuf_append(out, " ");
        append_lowercase(out, words[i]);
    }
    /* Other vendors' meanings of the number: "method failure" finds 420 too. */
    for (size_t i = 0; i < e->also_count; i++) {
        const char *also[] = { e->also[i].reason, e->also[i].text[LANGUAGE_ZH].title,
                               e->also[i].source_name };
        for (size_t j = 0; j < sizeof also / sizeof also[0]; j++) {
            strbuf_append(out, " ");
            append_lowercase(out, also[j]);
        }
    }
}

static void index_row(struct strbuf *out, const struct catalog_entry *e)
{
    strbuf_printf(out, "<tr class=\"code-row%s\" id=\"code-%s\" data-key=\"%s\" data-words=\"",
                  e->official ? "" : " unofficial", e->key, e->key);
    index_words(out, e);
    strbuf_printf(out, "\">\n<td class=\"key\"><a href=\"/codes/%s\">%s</a></td><td lang=\"zh\">",
                  e->key, e->key);
    strbuf_append_html(out, e->text[LANGUAGE_ZH].title);
    strbuf_append(out, "</td><td lang=\"en\">");
    strbuf_append_html(out, e->text[LANGUAGE_EN].title);
    if (strcasecmp(e->reason, e->text[LANGUAGE_EN].title) != 0) {
        strbuf_append(out, " <small class=\"reason\">");
        strbuf_append_html(out, e->reason);
        strbuf_append(out, "</small>");
    }
    strbuf_printf(out, "</td><td class=\"source\"><span class=\"badge %s\" title=\"%s\">",
                  e->official ? "official" : "unofficial",
                  e->official ? "registered with IANA · 已在 IANA 注册"
                              : "not registered with IANA · 未在 IANA 注册");
    strbuf_append_html(out, e->official ? e->source_name : "unofficial · 非官方");
    strbuf_append(out, "</span>");
    if (!e->official) {
        strbuf_append(out, " <small>");
        strbuf_append_html(out, e->source_name);
        strbuf_append(out, "</small>");
    }
    strbuf_printf(out, "</td><td class=\"try\"><a href=\"/status/%s\">/status/%s</a></td></tr>\n",
                  e->key, e->key);
}

static void index_class_heading(struct strbuf *out, const struct catalog_class *k)
{
    strbuf_printf(out, "<section class=\"class-group class-%u\" id=\"%s\">\n<h2>%s ", k->digit,
                  k->range, k->range);
    strbuf_append_html(out, k->text[LANGUAGE_ZH].title);
    strbuf_append(out, " · ");
    strbuf_append_html(out, k->text[LANGUAGE_EN].title);
    strbuf_append(out, "</h2>\n<table class=\"codes\"><thead><tr><th>Code</th>"
                       "<th lang=\"zh\">中文</th><th lang=\"en\">English</th>"
                       "<th>Source · 来源</th><th>Try it · 试试</th></tr></thead><tbody>\n");
}

static void index_class_links(struct strbuf *out)
{
    strbuf_append(out, "<nav class=\"classes\">");
    unsigned current = 0;
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct catalog_class *k = catalog_class_of(catalog_at(i)->code);
        if (k->digit == current)
            continue;
        current = k->digit;
        strbuf_printf(out, "<a href=\"#%s\">%s ", k->range, k->range);
        strbuf_append_html(out, k->text[LANGUAGE_ZH].title);
        strbuf_append(out, " · ");
        strbuf_append_html(out, k->text[LANGUAGE_EN].title);
        strbuf_append(out, "</a> ");
    }
    strbuf_append(out, "</nav>\n");
}

static void *build_index(void *context)
{
    (void)context;
    struct strbuf out = { 0 };
    render_html_open(&out, "HTTP 状态码 · HTTP status codes", "zh");
    strbuf_append(&out,
                  "<h1>HTTP 状态码 · HTTP status codes</h1>\n"
                  "<p class=\"intro\"><span lang=\"zh\">每个状态码都有中英文解释。打开 "
                  "<code>/codes/N</code> 阅读说明和 curl 示例，打开 <code>/status/N</code> "
                  "真实地收到它。</span> <span lang=\"en\">Every code, explained in Chinese and "
                  "English. Open <code>/codes/N</code> to read about a code with curl examples, "
                  "<code>/status/N</code> to receive it for real.</span> "
                  "<a href=\"/codes.json\">/codes.json</a></p>\n");
    strbuf_printf(&out,
                  "<form class=\"filter\" role=\"search\" hidden>"
                  "<label for=\"filter\">筛选 · Filter</label> "
                  "<input type=\"search\" id=\"filter\" name=\"q\" autocomplete=\"off\" "
                  "placeholder=\"42, rate, 限流 …\"> "
                  "<output id=\"filter-count\" for=\"filter\">%zu</output></form>\n",
                  catalog_count());
    index_class_links(&out);
    unsigned current_class = 0;
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct catalog_entry *e = catalog_at(i);
        const struct catalog_class *k = catalog_class_of(e->code);
        if (k->digit != current_class) {
            if (current_class)
                strbuf_append(&out, "</tbody></table>\n</section>\n");
            current_class = k->digit;
            index_class_heading(&out, k);
        }
        index_row(&out, e);
    }
    if (current_class)
        strbuf_append(&out, "</tbody></table>\n</section>\n");
    strbuf_append(&out, "<p id=\"filter-empty\" class=\"note\" hidden>没有匹配的状态码 · "
                        "No code matches.</p>\n"
                        "<p class=\"more\">600–999 原样发送，用于测试客户端的健壮性 · Codes "
                        "600–999 are sent as-is for testing client robustness: "
                        "<a href=\"/status/799\">/status/799</a>.</p>\n"
                        "<script src=\"/static/app.js\" defer></script>\n");
    render_html_close(&out);
    return page_from(&out);
}

/* --- /codes/{code} ------------------------------------------------------------------- */

static void example_html(struct strbuf *out, enum languages languages, const char *command,
                         const char *statuses, const char *en, const char *zh)
{
    strbuf_append(out, "<figure class=\"example\"><pre><code class=\"cmd\" data-statuses=\"");
    strbuf_append_html(out, statuses);
    strbuf_append(out, "\">");
    strbuf_append_html(out, command);
    strbuf_append(out, "</code></pre>\n<figcaption><span class=\"statuses\">");
    /* "401 200" reads as "→ 401 → 200": what curl -i prints, in order. */
    for (const char *p = statuses; *p; p++)
        strbuf_printf(out, "%s%c", p == statuses || p[-1] == ' ' ? "→ " : "", *p);
    strbuf_append(out, "</span> ");
    bilingual(out, languages, zh, en);
    strbuf_append(out, "</figcaption></figure>\n");
}

static void live_link_html(struct strbuf *out, enum languages languages, const char *url,
                           const char *en, const char *zh)
{
    strbuf_append(out, "<li><a href=\"");
    strbuf_append_html(out, url);
    strbuf_append(out, "\"><code>");
    strbuf_append_html(out, url);
    strbuf_append(out, "</code></a> ");
    bilingual(out, languages, zh, en);
    strbuf_append(out, "</li>\n");
}

/* The statuses `curl -i /status/{code}` prints: the interim 1xx before the final 200, the
 * 426 of a 101 asked without Upgrade. */
static void plain_statuses(const struct catalog_entry *e, char *out, size_t size)
{
    if (e->code == 101)
        snprintf(out, size, "426");
    else if (e->code < 200)
        snprintf(out, size, "%u 200", e->code);
    else
        snprintf(out, size, "%u", e->code);
}

static void code_examples(struct strbuf *out, enum languages languages,
                          const struct catalog_entry *e)
{
    char command[160], statuses[32];
    strbuf_append(out, "<section class=\"examples\">\n<h2>");
    bilingual(out, languages, "用 curl 试试", "Try it with curl");
    strbuf_append(out, "</h2>\n");
    snprintf(command, sizeof command, "curl -i " ORIGIN "/status/%s", e->key);
    plain_statuses(e, statuses, sizeof statuses);
    example_html(out, languages, command, statuses,
                 "-i shows the status line and the headers before the body",
                 "-i 在正文之前显示状态行和响应头");
    if (e->code < 200 && e->code != 101) {
        snprintf(command, sizeof command, "curl -i '" ORIGIN "/status/%u?then=404'", e->code);
        snprintf(statuses, sizeof statuses, "%u 404", e->code);
        example_html(out, languages, command, statuses, "then= picks the final status",
                     "then= 指定最终状态");
    }
    if (status_is_redirect(e->code)) {
        snprintf(command, sizeof command, "curl -iL " ORIGIN "/status/%u", e->code);
        snprintf(statuses, sizeof statuses, "%u 200", e->code);
        example_html(out, languages, command, statuses, "-L follows Location to /status/200",
                     "-L 跟随 Location 到 /status/200");
        snprintf(command, sizeof command, "curl -iL -d 'name=value' '" ORIGIN
                 "/redirect/1?status=%u'", e->code);
        bool keeps = status_keeps_method(e->code);
        example_html(out, languages, command, statuses,
                     keeps ? "a POST: the echo at the end shows it arrived as POST, body kept "
                             "(-X POST would force POST on every hop whatever the code)"
                           : "a POST: the echo at the end shows it arrived as GET, as curl and "
                             "browsers do (-X POST would force POST on every hop)",
                     keeps ? "POST 请求：末尾的回显显示它仍以 POST 到达，请求体保留"
                             "（-X POST 会无视状态码在每一跳都强制 POST）"
                           : "POST 请求：末尾的回显显示它以 GET 到达，curl 和浏览器都这样做"
                             "（-X POST 会在每一跳都强制 POST）");
    }
    for (size_t i = 0; i < e->example_count; i++)
        example_html(out, languages, e->examples[i].command, e->examples[i].statuses,
                     e->examples[i].why[LANGUAGE_EN], e->examples[i].why[LANGUAGE_ZH]);
    strbuf_append(out, "</section>\n");
}

static void code_live_links(struct strbuf *out, enum languages languages,
                            const struct catalog_entry *e)
{
    char url[96], en[96];
    strbuf_append(out, "<section class=\"live\">\n<h2>");
    bilingual(out, languages, "在浏览器中打开", "Open it in this browser");
    strbuf_append(out, "</h2>\n<ul>\n");
    snprintf(url, sizeof url, "/status/%s", e->key);
    snprintf(en, sizeof en, "the real %u, explained", e->code);
    live_link_html(out, languages, url, en, "真实的响应，附带说明");
    snprintf(url, sizeof url, "/status/%s?format=json", e->key);
    live_link_html(out, languages, url, "as JSON", "JSON 格式");
    if (e->code < 200 && e->code != 101) {
        snprintf(url, sizeof url, "/status/%u?then=404", e->code);
        live_link_html(out, languages, url, "then a final 404", "随后是最终的 404");
    }
    if (status_is_redirect(e->code)) {
        snprintf(url, sizeof url, "/status/%u?location=/anything", e->code);
        live_link_html(out, languages, url, "to the echo of your request", "跳到请求回显");
        snprintf(url, sizeof url, "/redirect/3?status=%u", e->code);
        live_link_html(out, languages, url, "three hops, then the echo", "三跳之后是回显");
        snprintf(url, sizeof url, "/loop/3?status=%u", e->code);
        live_link_html(out, languages, url, "a loop the browser must give up on",
                       "浏览器必须放弃的循环");
    }
    for (size_t i = 0; i < e->link_count; i++)
        live_link_html(out, languages, e->links[i].url, e->links[i].why[LANGUAGE_EN],
                       e->links[i].why[LANGUAGE_ZH]);
    strbuf_append(out, "</ul>\n</section>\n");
}

/* What fetch() can and cannot show for this code, said before the user presses Send. */
static void tryit_caveat(struct strbuf *out, enum languages languages,
                         const struct catalog_entry *e)
{
    const char *en = NULL, *zh = NULL;
    if (e->code >= 300 && e->code < 400 && e->code != 304) {
        en = "fetch() follows redirects by itself; with \"follow\" unticked it asks for "
             "redirect: 'manual' and gets an opaque answer: no status, no Location, on purpose "
             "(the Fetch standard hides redirects from scripts). curl -i shows them.";
        zh = "fetch() 会自行跟随重定向；不勾选“跟随”时使用 redirect: 'manual'，得到的是不透明响应："
             "看不到状态码和 Location（Fetch 标准有意对脚本隐藏重定向）。用 curl -i 可以看到。";
    } else if (e->code < 200) {
        en = "Browsers never hand interim 1xx responses to scripts: fetch() sees the final one.";
        zh = "浏览器从不把临时的 1xx 响应交给脚本：fetch() 只能看到最终响应。";
    } else if (e->code == 407) {
        en = "Chromium refuses a 407 from a server that is not its proxy: fetch() fails.";
        zh = "Chromium 拒绝来自非代理服务器的 407：fetch() 会失败。";
    }
    if (!en)
        return;
    strbuf_append(out, "<p class=\"note\">");
    bilingual(out, languages, zh, en);
    strbuf_append(out, "</p>\n");
}

/* A form that tryit.js submits with fetch(); hidden until the script shows it, so a browser
 * without scripts shows no dead button. */
static void code_tryit(struct strbuf *out, enum languages languages, const struct catalog_entry *e)
{
    bool redirect = e->code >= 300 && e->code < 400 && e->code != 304;
    strbuf_printf(out, "<section class=\"tryit\" id=\"tryit\" hidden>\n<h2>");
    bilingual(out, languages, "用 fetch() 试试", "Try it with fetch()");
    strbuf_append(out, "</h2>\n");
    tryit_caveat(out, languages, e);
    strbuf_printf(out,
                  "<form class=\"tryit-form\">\n"
                  "<label>Method <select name=\"method\"><option>GET</option><option>POST</option>"
                  "<option>PUT</option><option>DELETE</option><option>HEAD</option></select>"
                  "</label>\n"
                  "<label class=\"url\">URL <input name=\"url\" value=\"/status/%s\" "
                  "spellcheck=\"false\" autocomplete=\"off\"></label>\n"
                  "<label>Accept <select name=\"accept\"><option>text/plain</option>"
                  "<option>application/json</option><option>text/html</option></select></label>\n"
                  "<label><input type=\"checkbox\" name=\"follow\"%s> ",
                  e->key, redirect ? "" : " checked");
    bilingual(out, languages, "跟随重定向", "follow redirects");
    strbuf_append(out, "</label>\n<button type=\"submit\">");
    bilingual(out, languages, "发送", "Send");
    strbuf_append(out, "</button>\n</form>\n"
                       "<div class=\"tryit-result\" aria-live=\"polite\"></div>\n"
                       "<p class=\"more\">");
    bilingual(out, languages,
              "脚本能读到这些响应头，是因为 statusd 在 Access-Control-Expose-Headers 中列出了它们；"
              "加上 Access-Control-Allow-Origin: *，任何来源的页面都能读到。",
              "A script can read these headers because statusd names them in "
              "Access-Control-Expose-Headers; with Access-Control-Allow-Origin: * a page on "
              "any origin can.");
    strbuf_append(out, "</p>\n</section>\n");
}

/* IIS sub-statuses: the code's page lists and links them; each sub-status links back. */
static void code_sub_statuses(struct strbuf *out, enum languages languages, unsigned code,
                              unsigned sub)
{
    if (sub) {
        const struct catalog_entry *parent = catalog_find(code, 0);
        strbuf_append(out, "<p class=\"parent\">");
        bilingual(out, languages, "IIS 子状态码，所属状态码：", "An IIS sub-status of");
        strbuf_printf(out, " <a href=\"/codes/%u\"><code>%u</code> ", code, code);
        strbuf_append_html(out, parent ? parent->reason : catalog_reason(code));
        strbuf_append(out, "</a></p>\n");
        return;
    }
    const struct catalog_entry *first = catalog_find(code, 0);
    size_t start = first ? (size_t)(first - catalog_at(0)) + 1 : catalog_count();
    if (start >= catalog_count() || catalog_at(start)->code != code)
        return;
    strbuf_append(out, "<section class=\"subs\">\n<h2>");
    bilingual(out, languages, "IIS 子状态码", "IIS sub-statuses");
    strbuf_append(out, "</h2>\n<p>");
    char zh[320], en[320];
    snprintf(zh, sizeof zh,
             "IIS 在日志和详细错误页中用小数点后的数字说明更具体的原因，客户端收到的仍是 %u。"
             "statusd 接受 %u.N 和 %u-N 两种写法，%u.0 即 %u 本身。",
             code, code, code, code, code);
    snprintf(en, sizeof en,
             "IIS names a more specific cause after a dot in its logs and detailed error pages; "
             "the client still receives %u. statusd takes both %u.N and %u-N, and %u.0 is %u "
             "itself.",
             code, code, code, code, code);
    bilingual(out, languages, zh, en);
    strbuf_append(out, "</p>\n<ul>\n");
    for (size_t i = start; i < catalog_count() && catalog_at(i)->code == code; i++) {
        const struct catalog_entry *s = catalog_at(i);
        strbuf_printf(out, "<li><a href=\"/codes/%s\"><code>%s</code></a> ", s->key, s->key);
        bilingual(out, languages, s->text[LANGUAGE_ZH].title, s->text[LANGUAGE_EN].title);
        strbuf_append(out, "</li>\n");
    }
    strbuf_append(out, "</ul>\n</section>\n");
}

/* A number two vendors use differently (420: Twitter, Spring): the first meaning is the
 * page's article; each other one follows with its source and the URL that explains it. */
static void code_other_meanings(struct strbuf *out, enum languages languages,
                                const struct catalog_entry *e)
{
    if (!e->also_count)
        return;
    strbuf_append(out, "<section class=\"vendors\">\n<h2>");
    bilingual(out, languages, "同一数字的其他含义", "Other meanings of this number");
    strbuf_append(out, "</h2>\n<p>");
    char zh[200], en[200];
    snprintf(zh, sizeof zh, "上面是 %s 的含义。用 ?vendor= 选择 /status/%s 的正文说明哪一种：%s。",
             e->vendor, e->key, e->vendors);
    snprintf(en, sizeof en, "The meaning above is %s's. ?vendor= picks which one the body of "
             "/status/%s explains: %s.", e->vendor, e->key, e->vendors);
    bilingual(out, languages, zh, en);
    strbuf_append(out, "</p>\n");
    for (size_t i = 0; i < e->also_count; i++) {
        const struct catalog_entry *m = &e->also[i];
        strbuf_printf(out, "<article class=\"vendor\" id=\"vendor-%s\">\n<h3><code>%s</code> ",
                      m->vendor, m->key);
        strbuf_append_html(out, m->reason);
        strbuf_append(out, " · ");
        strbuf_append_html(out, m->source_name);
        strbuf_append(out, "</h3>\n");
        for (int l = 0; l < languages_count(languages); l++) {
            enum language language = languages_at(languages, l);
            const struct catalog_text *t = &m->text[language];
            strbuf_printf(out, "<div lang=\"%s\"><p><strong>", language == LANGUAGE_ZH ? "zh" : "en");
            strbuf_append_html(out, t->title);
            strbuf_append(out, "</strong></p>\n<p>");
            strbuf_append_html(out, t->meaning);
            strbuf_append(out, "</p>\n<p>");
            strbuf_append_html(out, t->advice);
            strbuf_append(out, "</p></div>\n");
        }
        strbuf_append(out, "<p><a class=\"source\" href=\"");
        strbuf_append_html(out, m->source_url);
        strbuf_append(out, "\">");
        strbuf_append_html(out, m->source_name);
        if (m->source_section) {
            strbuf_append(out, " §");
            strbuf_append_html(out, m->source_section);
        }
        strbuf_printf(out, "</a> · <a href=\"/status/%s?vendor=%s\"><code>/status/%s?vendor=%s"
                           "</code></a></p>\n</article>\n",
                      m->key, m->vendor, m->key, m->vendor);
    }
    strbuf_append(out, "</section>\n");
}

struct code_page_build {
    const struct catalog_entry *entry;
    enum languages languages;
};

static void *build_code_page(void *context)
{
    const struct code_page_build *b = context;
    const struct catalog_entry *e = b->entry;
    enum languages languages = b->languages;
    struct reply reply = { 0 };
    reply_explain(&reply, NULL, e->code, e->sub); /* as a GET would see it */
    reply.status = 200;
    reply.headers_described_only = true;

    struct strbuf out = { 0 };
    char title[160];
    snprintf(title, sizeof title, "%s %s", e->key, e->reason);
    render_html_open(&out, title, languages_at(languages, 0) == LANGUAGE_ZH ? "zh" : "en");
    render_html_article(&out, languages, &reply);
    code_other_meanings(&out, languages, e);
    code_sub_statuses(&out, languages, e->code, e->sub);
    code_examples(&out, languages, e);
    code_tryit(&out, languages, e);
    code_live_links(&out, languages, e);
    strbuf_append(&out, "<script src=\"/static/app.js\" defer></script>\n"
                        "<script src=\"/static/tryit.js\" defer></script>\n");
    render_html_close(&out);
    return page_from(&out);
}

/* Built on first request, not at start-up: the pages are 30% of start-up's instructions and
 * a few MiB that most runs never show. An entry's pages sit at its catalogue position. */
static const struct page *code_page(const struct catalog_entry *e, enum languages languages)
{
    size_t position = (size_t)(e - catalog_at(0));
    if (position * LANGUAGES_COUNT >= pages.code_count)
        return NULL;
    struct code_page_build build = { e, languages };
    return once_get(&pages.codes[position * LANGUAGES_COUNT + languages], build_code_page,
                    page_free, &build);
}

bool pages_init(void)
{
    pages.codes = calloc(catalog_count() * LANGUAGES_COUNT, sizeof *pages.codes);
    if (!pages.codes)
        return false;
    pages.code_count = catalog_count() * LANGUAGES_COUNT;
    /* The index at once: every first visit opens it, and a broken page should stop start-up. */
    return once_get(&pages.index, build_index, page_free, NULL) != NULL;
}

void pages_free(void)
{
    once_clear(&pages.index, page_free);
    for (size_t i = 0; i < pages.code_count; i++)
        once_clear(&pages.codes[i], page_free);
    free(pages.codes);
    pages.codes = NULL;
    pages.code_count = 0;
}

static void send_page(struct reply *reply, const struct page *page)
{
    reply->status = 200;
    reply->body = page->html;
    reply->body_length = page->length;
    reply->content_type = "text/html; charset=utf-8";
    reply_set_header(reply, "Content-Security-Policy", PAGE_POLICY);
}

void pages_index(struct request *request, struct reply *reply)
{
    const struct page *index = once_get(&pages.index, build_index, page_free, NULL);
    if (!index) {
        reply_error(reply, request, 500, "Out of memory.", "内存不足。");
        return;
    }
    send_page(reply, index);
}

void pages_codes_json(struct request *request, struct reply *reply)
{
    (void)request;
    reply->status = 200;
    reply->body = catalog_json(&reply->body_length);
    reply->content_type = "application/json";
}

void pages_ready(struct request *request, struct reply *reply)
{
    struct state_error error;
    if (!state_ready(&error)) {
        const char *en = request_printf(request, "Not ready: the state store is unreachable "
                                                 "(%s). This process is alive; it reconnects "
                                                 "by itself.", error.text);
        const char *zh = request_printf(request, "未就绪：状态存储无法访问（%s）。本进程仍在运行，"
                                                 "会自动重新连接。", error.text);
        reply_error(reply, request, 503, en ? en : "Not ready: the state store is unreachable.",
                    zh ? zh : "未就绪：状态存储无法访问。");
            return;
    }
    const char *name = state_store_name();
    reply->status = 200;
    reply->content_type = "text/plain; charset=utf-8";
    reply->body = request_printf(request, "ready: state store %s answers\n就绪：状态存储 %s 可用\n",
                                 name, name);
    reply->body_length = reply->body ? strlen(reply->body) : 0;
    if (!reply->body)
        reply->body = "";
}

void pages_health(struct request *request, struct reply *reply)
{
    const char *ready = request_query(request, "ready");
    if (ready && strcmp(ready, "1") == 0) {
        pages_ready(request, reply);
        return;
    }
    if (ready && strcmp(ready, "0") != 0) {
        reply_bad_parameter(reply, request, "ready", "1 (readiness) or 0 (liveness)",
                            "1（就绪检查）或 0（存活检查）");
        return;
    }
    reply->status = 200;
    reply->body = "ok\n";
    reply->body_length = 3;
    reply->content_type = "text/plain; charset=utf-8";
}

static void send_asset(struct request *request, struct reply *reply, const char *name)
{
    const struct asset *asset = asset_find(name);
    if (!asset) {
        reply_error(reply, request, 404,
                    request_printf(request, "There is no asset called %s.", name),
                    request_printf(request, "没有名为 %s 的静态文件。", name));
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

void pages_static(struct request *request, struct reply *reply)
{
    send_asset(request, reply, request->tail);
}

void pages_favicon(struct request *request, struct reply *reply)
{
    send_asset(request, reply, "favicon.svg");
}

/* The code /codes/{key} explains: a catalogued key ("404", "403.4", or the seed's spelling
 * "500-13" of a known sub-status), or any code from 100 to 999, catalogued or not, so that
 * every link to /codes/N works. *entry is NULL for an uncatalogued code. */
static bool code_of_key(const char *key, unsigned *code, const struct catalog_entry **entry)
{
    struct code_list list;
    size_t bad_item;
    if (strpbrk(key, ",:") || codelist_parse(key, &list, &bad_item) != CODELIST_OK ||
        list.count != 1 || list.items[0].last != list.items[0].code)
        return false; /* a list or a range (500-504) is no one code to explain */
    *code = list.items[0].code;
    *entry = catalog_find(list.items[0].code, list.items[0].sub);
    return *entry || !list.items[0].sub;
}

/* The text and JSON representations (and the HTML of an uncatalogued code) name the host the
 * client used in their curl line. */
static void explain_with_curl_note(struct request *request, struct reply *reply, unsigned code,
                                   const struct catalog_entry *e)
{
    reply_explain(reply, request, code, e ? e->sub : 0);
    reply->status = 200;
    reply->headers_described_only = true;
    const char *host = request_header(request, "Host");
    if (!host || strpbrk(host, " \"'<>\\`$") || strlen(host) > 255)
        host = "localhost:8080";
    const char *key = e ? e->key : request_printf(request, "%u", code);
    reply->note[LANGUAGE_EN] = request_printf(
        request,
        "Try it: curl -i http://%s/status/%s (add -L to follow redirects, -X POST to send another "
        "method).%s",
        host, key, e ? " The HTML page of this URL has more examples." : "");
    reply->note[LANGUAGE_ZH] = request_printf(
        request, "试一试：curl -i http://%s/status/%s（加 -L 跟随重定向，加 -X POST 换用其他方法）。%s",
        host, key, e ? "本网址的 HTML 页面有更多示例。" : "");
    reply->link = request_printf(request, "/status/%s", key);
}

/* /codes/{code}: the explanation at 200, with commands to try the real thing. */
void pages_code(struct request *request, struct reply *reply)
{
    unsigned code;
    const struct catalog_entry *e;
    if (!code_of_key(request->tail, &code, &e)) {
        reply_error(reply, request, 404,
                    request_printf(request,
                                   "There is no code '%s': /codes/ takes a code from 100 to 999 or a known IIS sub-status (403.4); the index lists them all.",
                                   request->tail),
                    request_printf(request, "没有状态码 '%s'：/codes/ 接受 100 到 999 之间的状态码或已知的 IIS 子状态码（403.4）；首页列出了全部状态码。",
                                   request->tail));
        reply->link = "/";
        return;
    }
    /* An uncatalogued code has no page of its own: the class's text, at 200, in any format. */
    if (!e || request->format != FORMAT_HTML) {
        explain_with_curl_note(request, reply, code, e);
        return;
    }
    const struct page *page = code_page(e, request->languages);
    if (!page) {
        reply_error(reply, request, 500, "The page for this code was not built.",
                    "这个状态码的页面没有生成。");
        return;
    }
    send_page(reply, page);
    reply_set_header(reply, "Vary", "Accept, Accept-Language");
}
