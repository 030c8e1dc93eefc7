/* /cookies, /cookies/set, /cookies/delete: httpbin's cookie endpoints (README "Cookies").
 *
 * Every name and value a client asks for is checked against RFC 6265 §4.1.1 before it reaches
 * a Set-Cookie header: a name is a token, a value is cookie-octets (no space, '"', ',', ';',
 * '\' or control byte). Nothing from the request can therefore end the value early, add an
 * attribute of its own, or start another header line. The attributes come from parameters of
 * their own, each checked against the few values it accepts. */
#include "echo.h"
#include "endpoints.h"
#include "numbers.h"
#include "params.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* At most this many cookies per request, and this many bytes of Set-Cookie values for all of
 * them: the lines live in the request's scratch space (REQUEST_ARENA_SIZE, 4096 bytes), which
 * also holds the body's note, so a request asking for more gets a 400 rather than a reply
 * that does not fit. Browsers keep 4096 bytes per cookie; a test needs far less. */
#define COOKIES_MAX 10
#define COOKIES_MAX_BYTES 3072
/* RFC 6265bis caps Max-Age at 400 days; browsers clamp larger values to it. */
#define COOKIE_MAX_AGE_MAX 34560000u
#define COOKIE_PATH_MAX 256

/* --- checks ------------------------------------------------------------------------------ */

/* cookie-octet, RFC 6265 §4.1.1: US-ASCII visible characters but '"', ',', ';' and '\'. */
static bool is_cookie_octet(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
           (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

static bool valid_cookie_value(const char *value, size_t length)
{
    for (size_t i = 0; i < length; i++)
        if (!is_cookie_octet((unsigned char)value[i]))
            return false;
    return true;
}

/* path-value, RFC 6265 §4.1.1: any CHAR but controls and ';'. Absolute ('/...'), as a path
 * that does not start with '/' is replaced by the default path anyway (§5.2.4). */
static bool valid_cookie_path(const char *path)
{
    size_t length = strlen(path);
    if (length == 0 || length > COOKIE_PATH_MAX || path[0] != '/')
        return false;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        if (*p < 0x21 || *p > 0x7E || *p == ';')
            return false;
    return true;
}

static void refuse_name(struct reply *reply, struct request *request, const char *what)
{
    reply_bad_parameter(reply, request, what,
                        "a cookie name: an RFC 6265 token of 1 to 64 letters, digits and "
                        "!#$%&'*+-.^_`|~ (no space, '=', ';', ',', quote or control byte)",
                        "Cookie 名：1 到 64 个字符的 RFC 6265 token，只含字母、数字和 "
                        "!#$%&'*+-.^_`|~（不得含空格、'='、';'、','、引号或控制字符）");
}

static void refuse_value(struct reply *reply, struct request *request, const char *what)
{
    reply_bad_parameter(reply, request, what,
                        "a cookie value of RFC 6265 cookie-octets: visible ASCII without space, "
                        "'\"', ',', ';', '\\' or control bytes such as CR and LF (percent-encode "
                        "anything else yourself)",
                        "由 RFC 6265 cookie-octet 组成的 Cookie 值：可见 ASCII 字符，不得含空格、"
                        "'\"'、','、';'、'\\' 以及 CR、LF 等控制字符（其他字符请自行百分号编码）");
}

/* --- the attributes ---------------------------------------------------------------------- */

struct cookie_attributes {
    const char *path;
    bool secure;
    bool http_only;
    const char *same_site; /* "Lax", "Strict", "None" or NULL */
    bool has_max_age;
    uint64_t max_age;
};

/* The parameters that set attributes, and those every URL reads: none of them is a cookie. */
static bool is_reserved_parameter(const char *name)
{
    static const char *const reserved[] = { "secure", "httponly", "samesite", "max_age", "path",
                                            "format", "lang", "delay" };
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(name, reserved[i]) == 0)
            return true;
    return false;
}

/* A query parameter by name, present even without '=' ("?secure"): request_query cannot
 * tell that from an absent one. */
struct query_find {
    const char *name;
    bool present;
    const char *value; /* NULL for a bare name */
};

static bool find_parameter(void *context, const char *name, const char *value)
{
    struct query_find *f = context;
    if (strcmp(name, f->name) != 0)
        return true;
    f->present = true;
    f->value = value;
    return false;
}

/* ?secure, ?secure=1|true: on; ?secure=0|false or absent: off. False for anything else. */
static bool read_switch(struct request *request, const char *name, bool *on)
{
    struct query_find f = { .name = name };
    request_each(request, REQUEST_QUERY, find_parameter, &f);
    *on = f.present && (!f.value || !*f.value || strcmp(f.value, "1") == 0 ||
                        strcasecmp(f.value, "true") == 0);
    return !f.present || *on || strcmp(f.value, "0") == 0 || strcasecmp(f.value, "false") == 0;
}

/* The attribute parameters; false with a 400 in reply. */
static bool read_attributes(struct request *request, struct reply *reply,
                            struct cookie_attributes *attributes)
{
    *attributes = (struct cookie_attributes){ .path = "/" };
    if (!read_switch(request, "secure", &attributes->secure)) {
        reply_bad_parameter(reply, request, "secure", "nothing, 1, true, 0 or false",
                            "空、1、true、0 或 false");
        return false;
    }
    if (!read_switch(request, "httponly", &attributes->http_only)) {
        reply_bad_parameter(reply, request, "httponly", "nothing, 1, true, 0 or false",
                            "空、1、true、0 或 false");
        return false;
    }
    const char *same_site = request_query(request, "samesite");
    if (same_site) {
        static const char *const accepted[] = { "Lax", "Strict", "None" };
        for (size_t i = 0; i < 3; i++)
            if (strcasecmp(same_site, accepted[i]) == 0)
                attributes->same_site = accepted[i];
        if (!attributes->same_site) {
            reply_bad_parameter(reply, request, "samesite", "Lax, Strict or None",
                                "Lax、Strict 或 None");
            return false;
        }
        /* Browsers drop a SameSite=None cookie that is not Secure: say so rather than set a
         * cookie that silently never arrives. */
        if (strcmp(attributes->same_site, "None") == 0 && !attributes->secure) {
            reply_bad_parameter(reply, request, "samesite",
                                "None only together with secure (browsers drop a SameSite=None "
                                "cookie that is not Secure); or Lax, or Strict",
                                "None 只能与 secure 同用（浏览器会丢弃没有 Secure 的 "
                                "SameSite=None Cookie）；或 Lax、Strict");
            return false;
        }
    }
    const char *max_age = request_query(request, "max_age");
    if (max_age) {
        if (!parse_uint(max_age, COOKIE_MAX_AGE_MAX, &attributes->max_age)) {
            reply_bad_parameter(reply, request, "max_age",
                                "whole seconds from 0 to 34560000 (400 days, the most browsers "
                                "keep a cookie)",
                                "0 到 34560000 的整数秒（400 天，浏览器保存 Cookie 的上限）");
            return false;
        }
        attributes->has_max_age = true;
    }
    const char *path = request_query(request, "path");
    if (path) {
        if (!valid_cookie_path(path)) {
            reply_bad_parameter(reply, request, "path",
                                "a path starting with '/', 1 to 256 visible ASCII characters "
                                "without ';'",
                                "以 '/' 开头、1 到 256 个不含 ';' 的可见 ASCII 字符的路径");
            return false;
        }
        attributes->path = path;
    }
    return true;
}

/* --- Set-Cookie -------------------------------------------------------------------------- */

/* The bytes a Set-Cookie value takes beyond "name=value": the longest Max-Age or Expires
 * part counted whatever it is. */
static size_t attributes_length(const struct cookie_attributes *a)
{
    return strlen("; Path=") + strlen(a->path) +
           strlen("; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT") + strlen("; Secure") +
           strlen("; HttpOnly") + strlen("; SameSite=Strict") + 1;
}

/* Adds "Set-Cookie: name=value; Path=...; ..." (both already checked); expire: a deletion. */
static bool add_set_cookie(struct request *request, struct reply *reply, const char *name,
                           const char *value, const struct cookie_attributes *a, bool expire)
{
    char max_age[64] = "";
    if (expire)
        snprintf(max_age, sizeof max_age, "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    else if (a->has_max_age)
        snprintf(max_age, sizeof max_age, "; Max-Age=%llu", (unsigned long long)a->max_age);
    const char *line = request_printf(request, "%s=%s; Path=%s%s%s%s%s%s", name, value, a->path,
                                      max_age, a->secure ? "; Secure" : "",
                                      a->http_only ? "; HttpOnly" : "",
                                      a->same_site ? "; SameSite=" : "",
                                      a->same_site ? a->same_site : "");
    return reply_add_header(reply, "Set-Cookie", line);
}

/* The 302 to /cookies that ends /cookies/set and /cookies/delete, so a browser shows what it
 * now sends. Headers are added after this (reply_explain starts the reply afresh). */
static void redirect_to_cookies(struct request *request, struct reply *reply, size_t count,
                                bool deleted)
{
    reply_explain(reply, request, 302, 0);
    reply_set_header(reply, "Location", "/cookies");
    reply->link = "/cookies";
    reply->location_why[LANGUAGE_EN] = "/cookies shows the cookies the client now sends.";
    reply->location_why[LANGUAGE_ZH] = "/cookies 会显示客户端现在发送的 Cookie。";
    reply->note[LANGUAGE_EN] =
        request_printf(request, "%zu cookie%s %s with Set-Cookie.", count, count == 1 ? "" : "s",
                       deleted ? "expired (deleted)" : "set");
    reply->note[LANGUAGE_ZH] = request_printf(request, "已通过 Set-Cookie %s %zu 个 Cookie。",
                                              deleted ? "使其过期（删除）" : "设置", count);
}

/* --- /cookies/set ------------------------------------------------------------------------ */

struct cookie_walk {
    struct request *request;
    struct reply *reply;
    const struct cookie_attributes *attributes;
    bool expire;       /* /cookies/delete */
    size_t count;
    size_t bytes;
    bool refused;      /* reply holds a 400 */
};

static void refuse_too_many(struct cookie_walk *w)
{
    reply_error(w->reply, w->request, 400,
                request_printf(w->request,
                               "Too many cookies in one request: at most %d, and %d bytes of "
                               "Set-Cookie values (names, values and attributes) together.",
                               COOKIES_MAX, COOKIES_MAX_BYTES),
                request_printf(w->request,
                               "一次请求中的 Cookie 太多：最多 %d 个，Set-Cookie 的值（名称、值和"
                               "属性）合计最多 %d 字节。",
                               COOKIES_MAX, COOKIES_MAX_BYTES));
    w->refused = true;
}

/* Checks one name and value; false with a 400 in w->reply. what_name/what_value: how the
 * refusal names them. */
static bool take_cookie(struct cookie_walk *w, const char *name, const char *value,
                        size_t value_length, const char *what_name, const char *what_value)
{
    if (!params_valid_token(name)) {
        refuse_name(w->reply, w->request, what_name);
        w->refused = true;
        return false;
    }
    if (!valid_cookie_value(value, value_length)) {
        refuse_value(w->reply, w->request, what_value);
        w->refused = true;
        return false;
    }
    w->bytes += strlen(name) + 1 + value_length + attributes_length(w->attributes);
    if (++w->count > COOKIES_MAX || w->bytes > COOKIES_MAX_BYTES) {
        refuse_too_many(w);
        return false;
    }
    return true;
}

/* First pass: check every cookie parameter, so nothing is set unless all are good. */
static bool check_parameter(void *context, const char *name, const char *value)
{
    struct cookie_walk *w = context;
    if (is_reserved_parameter(name))
        return true;
    /* /cookies/delete?name=anything: the value is not sent, so it is not judged. */
    const char *v = value && !w->expire ? value : "";
    /* The name is quoted in the refusal; an unprintable one is described instead. */
    const char *what = params_valid_token(name) ? name : "(cookie name)";
    return take_cookie(w, name, v, strlen(v), what, what);
}

/* Second pass: add the Set-Cookie lines. */
static bool set_parameter(void *context, const char *name, const char *value)
{
    struct cookie_walk *w = context;
    if (is_reserved_parameter(name))
        return true;
    return add_set_cookie(w->request, w->reply, name, w->expire ? "" : (value ? value : ""),
                          w->attributes, w->expire);
}

/* Walks the query twice (check all, then set all); /cookies/delete uses names only. */
static void set_from_query(struct request *request, struct reply *reply, bool expire)
{
    struct cookie_attributes attributes;
    if (!read_attributes(request, reply, &attributes))
        return;
    struct cookie_walk w = { .request = request, .reply = reply, .attributes = &attributes,
                             .expire = expire };
    request_each(request, REQUEST_QUERY, check_parameter, &w);
    if (w.refused)
        return;
    if (w.count == 0) {
        reply_bad_parameter(reply, request, "name",
                            expire ? "at least one cookie name to delete: ?name"
                                   : "at least one cookie: ?name=value",
                            expire ? "至少一个要删除的 Cookie 名：?name"
                                   : "至少一个 Cookie：?name=value");
        return;
    }
    redirect_to_cookies(request, reply, w.count, expire);
    request_each(request, REQUEST_QUERY, set_parameter, &w);
}

void cookies_set(struct request *request, struct reply *reply)
{
    /* /cookies/set?name=value... (the route's exact match), or /cookies/set/{name}/{value}. */
    if (*request->tail == '\0') {
        set_from_query(request, reply, false);
        return;
    }
    const char *slash = strchr(request->tail, '/');
    if (!slash || strchr(slash + 1, '/')) {
        reply_bad_parameter(reply, request, "{name}/{value}",
                            "exactly two path segments, /cookies/set/{name}/{value} (a value "
                            "may not hold '/': use ?name=value)",
                            "恰好两个路径段：/cookies/set/{name}/{value}（值中不能有 '/'，"
                            "请改用 ?name=value）");
        return;
    }
    const char *name = request_printf(request, "%.*s", (int)(slash - request->tail),
                                      request->tail);
    const char *value = slash + 1;
    struct cookie_attributes attributes;
    if (!read_attributes(request, reply, &attributes))
        return;
    struct cookie_walk w = { .request = request, .reply = reply, .attributes = &attributes };
    if (!name || !take_cookie(&w, name, value, strlen(value), "{name}", "{value}"))
        return;
    redirect_to_cookies(request, reply, 1, false);
    add_set_cookie(request, reply, name, value, &attributes, false);
}

void cookies_set_query(struct request *request, struct reply *reply)
{
    set_from_query(request, reply, false);
}

void cookies_delete(struct request *request, struct reply *reply)
{
    set_from_query(request, reply, true);
}

/* --- /cookies ---------------------------------------------------------------------------- */

struct cookie_list {
    json_t *cookies;
    bool failed;
};

/* One Cookie header: "a=1; b=2". Pairs without '=' are kept with an empty value; later
 * repeats of a name replace earlier ones, as httpbin shows them. */
static bool add_cookie_header(void *context, const char *name, const char *value)
{
    struct cookie_list *list = context;
    if (strcasecmp(name, "Cookie") != 0 || !value)
        return true;
    for (const char *p = value; *p;) {
        p += strspn(p, " \t;");
        if (!*p)
            break;
        size_t pair = strcspn(p, ";");
        size_t end = pair;
        while (end && (p[end - 1] == ' ' || p[end - 1] == '\t'))
            end--;
        const char *equals = memchr(p, '=', end);
        size_t name_length = equals ? (size_t)(equals - p) : end;
        while (name_length && (p[name_length - 1] == ' ' || p[name_length - 1] == '\t'))
            name_length--;
        const char *v = equals ? equals + 1 : p + end;
        size_t v_length = (size_t)(p + end - v);
        /* Shown as the bytes arrived, made safe for JSON by echo_json_text. */
        json_t *key = echo_json_text(p, name_length);
        json_t *text = echo_json_text(v, v_length);
        if (!key || !text || json_object_set_new(list->cookies, json_string_value(key), text)) {
            if (!key)
                json_decref(text);
            json_decref(key);
            list->failed = true;
            return false;
        }
        json_decref(key);
        p += pair;
    }
    return true;
}

void cookies_list(struct request *request, struct reply *reply)
{
    struct cookie_list list = { .cookies = json_object() };
    if (list.cookies)
        request_each(request, REQUEST_HEADER, add_cookie_header, &list);
    json_t *answer = list.cookies && !list.failed ? json_pack("{s:O}", "cookies", list.cookies)
                                                  : NULL;
    json_decref(list.cookies);
    if (echo_send_json(request, reply, answer))
        reply_set_header(reply, "Vary", "Cookie");
}
