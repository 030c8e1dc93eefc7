#include "params.h"

#include "config.h"
#include "hash.h"
#include "httpdate.h"
#include "numbers.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_LOCATION 2048
#define MAX_EXTRA_HEADERS 16
#define ONE_YEAR_S 31536000

bool params_valid_location(const char *value)
{
    size_t n = strlen(value);
    if (n == 0 || n > MAX_LOCATION)
        return false;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '\\')
            return false;
    const char *colon = strchr(value, ':');
    const char *slash = strchr(value, '/');
    bool has_scheme = colon && (!slash || colon < slash);
    if (!has_scheme)
        return true; /* relative: "/x", "x", "?q", "//host/x" */
    return strncasecmp(value, "http://", 7) == 0 || strncasecmp(value, "https://", 8) == 0;
}

/* The authority of an absolute ("http://a/...") or scheme-relative ("//a/...") location, and
 * its length; NULL for a relative reference, which stays on this server. */
static const char *location_authority(const char *location, size_t *length)
{
    const char *authority = NULL;
    if (strncmp(location, "//", 2) == 0)
        authority = location + 2;
    else if (strncasecmp(location, "http://", 7) == 0)
        authority = location + 7;
    else if (strncasecmp(location, "https://", 8) == 0)
        authority = location + 8;
    if (authority)
        *length = strcspn(authority, "/?#");
    return authority;
}

/* The host inside an authority: after the last '@' (userinfo may hold '@' and ':' but never
 * ends the authority, browsers take the last one), without the port; an IPv6 literal keeps
 * its brackets. */
static void authority_host(const char *authority, size_t length, const char **host,
                           size_t *host_length)
{
    for (size_t i = length; i > 0; i--)
        if (authority[i - 1] == '@') {
            authority += i;
            length -= i;
            break;
        }
    size_t n = 0;
    if (length && authority[0] == '[') {
        while (n < length && authority[n] != ']')
            n++;
        if (n < length)
            n++;
        /* After "[v6]" only a port may follow: "[::1]evil.test" names no host we allow. */
        if (n < length && authority[n] != ':')
            n = 0;
    } else {
        while (n < length && authority[n] != ':')
            n++;
    }
    *host = authority;
    *host_length = n;
}

/* Case-insensitive; "[::1]" and "::1" name the same IPv6 host, whichever way the flag and
 * the URL write it. */
static bool same_host(const char *allowed, const char *host, size_t host_length)
{
    size_t allowed_length = strlen(allowed);
    if (allowed_length >= 2 && allowed[0] == '[' && allowed[allowed_length - 1] == ']') {
        allowed++;
        allowed_length -= 2;
    }
    if (host_length >= 2 && host[0] == '[' && host[host_length - 1] == ']') {
        host++;
        host_length -= 2;
    }
    return allowed_length == host_length && host_length > 0 &&
           strncasecmp(allowed, host, host_length) == 0;
}

bool params_location_allowed(const struct config *config, const char *location)
{
    if (config->redirect_allow_count == 0)
        return true;
    size_t length;
    const char *authority = location_authority(location, &length);
    if (!authority)
        return true;
    const char *host;
    size_t host_length;
    authority_host(authority, length, &host, &host_length);
    /* An empty host ("https:///evil.test") is refused: browsers skip the extra slashes and
     * go to the next name, which was never compared. */
    for (size_t i = 0; host_length && i < config->redirect_allow_count; i++)
        if (same_host(config->redirect_allow[i], host, host_length))
            return true;
    return false;
}

void params_refuse_location_host(struct request *request, struct reply *reply,
                                 const char *parameter)
{
    const struct config *config = request->config;
    char hosts[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < config->redirect_allow_count && used < sizeof hosts; i++) {
        int n = snprintf(hosts + used, sizeof hosts - used, "%s%s", i ? ", " : "",
                         config->redirect_allow[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    reply_bad_parameter(
        reply, request, parameter,
        request_printf(request,
                       "a relative reference, or an http(s) URL whose host is one of: %s "
                       "(--redirect-allow)", hosts),
        request_printf(request, "相对引用，或主机为以下之一的 http(s) 网址：%s（--redirect-allow）",
                       hosts));
}

const char *params_retry_after(struct request *request, const char *value)
{
    uint64_t seconds;
    bool as_date = strncmp(value, "date:", 5) == 0;
    if (!parse_uint(as_date ? value + 5 : value, ONE_YEAR_S, &seconds))
        return NULL;
    if (!as_date)
        return request_printf(request, "%llu", (unsigned long long)seconds);
    /* RFC 9110 §5.6.7 IMF-fixdate, always in GMT. */
    time_t when = time(NULL) + (time_t)seconds;
    char date[HTTP_DATE_SIZE];
    http_date_format(when, date);
    return request_printf(request, "%s", date);
}

/* tchar, RFC 9110 §5.6.2 */
static bool is_tchar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool params_read_seed(struct request *request, struct reply *reply, uint64_t *seed)
{
    const char *text = request_query(request, "seed");
    if (!text) {
        *seed = hash_fresh_seed();
        return true;
    }
    if (parse_uint(text, UINT64_MAX, seed))
        return true;
    reply_bad_parameter(reply, request, "seed", "an integer from 0 to 18446744073709551615",
                        "0 到 18446744073709551615 之间的整数");
    return false;
}

bool params_valid_token(const char *value)
{
    size_t n = strlen(value);
    if (n == 0 || n > 64)
        return false;
    for (const char *p = value; *p; p++)
        if (!is_tchar(*p))
            return false;
    return true;
}

/* Advances *p over one token; false when there is none. */
static bool skip_token(const char **p)
{
    const char *start = *p;
    while (is_tchar(**p))
        (*p)++;
    return *p > start;
}

static void skip_spaces(const char **p)
{
    while (**p == ' ')
        (*p)++;
}

bool params_valid_media_type(const char *value)
{
    size_t n = strlen(value);
    if (n > 256 || (n && value[n - 1] == ' '))
        return false;
    const char *p = value;
    if (!skip_token(&p) || *p++ != '/' || !skip_token(&p))
        return false;
    for (;;) {
        skip_spaces(&p);
        if (*p == '\0')
            return true;
        if (*p++ != ';')
            return false;
        skip_spaces(&p);
        if (!skip_token(&p) || *p++ != '=')
            return false;
        if (*p == '"') { /* quoted-string: qdtext or a backslash pair, printable ASCII */
            for (p++; *p != '"'; p++) {
                if (*p == '\\')
                    p++;
                if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                    return false; /* a control byte, CR, LF, or the end before the quote */
            }
            p++;
        } else if (!skip_token(&p)) {
            return false;
        }
    }
}

bool params_valid_realm(const char *value)
{
    size_t n = strlen(value);
    if (n == 0 || n > 128)
        return false;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
            return false;
    return true;
}

/* Headers whose value would change how the message is framed or routed: a client asking for
 * them would get a broken response, not a test of its own code. */
static bool is_reserved_header(const char *name)
{
    static const char *const reserved[] = {
        "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade",
        "TE", "Trailer", "Date", "Server", "Content-Type",
    };
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcasecmp(name, reserved[i]) == 0)
            return true;
    return false;
}

bool params_set_client_header(struct reply *reply, const char *name, const char *value,
                              bool replace, const char **why)
{
    if (!name || !params_valid_token(name) || is_reserved_header(name)) {
        *why = "the name must be a header token and not one that changes framing";
        return false;
    }
    if (!(replace ? reply_set_header : reply_add_header)(reply, name, value)) {
        *why = "the value must be printable ASCII, non-empty, without control bytes";
        return false;
    }
    return true;
}

struct extra_headers {
    struct request *request;
    struct reply *reply;
    const char *bad;   /* the first h= value refused */
    const char *why;
    size_t count;
    bool present;
    char expose[1024];
};

static bool collect_extra_header(void *cls, const char *key,
                                            const char *value)
{
    struct extra_headers *x = cls;
    if (strcmp(key, "h") != 0)
        return true;
    x->present = true;
    if (!x->reply)
        return false; /* only asked whether any is present */
    const char *colon = value ? strchr(value, ':') : NULL;
    if (!colon || ++x->count > MAX_EXTRA_HEADERS) {
        x->bad = value ? value : "";
        x->why = colon ? "more than 16 headers" : "no ':' between name and value";
        return false;
    }
    const char *name = request_printf(x->request, "%.*s", (int)(colon - value), value);
    const char *header_value = colon + 1;
    while (*header_value == ' ')
        header_value++;
    if (!params_set_client_header(x->reply, name, header_value, true, &x->why)) {
        x->bad = value;
        return false;
    }
    size_t used = strlen(x->expose);
    snprintf(x->expose + used, sizeof x->expose - used, ", %s", name);
    return true;
}

bool params_has_extra_headers(struct request *request)
{
    struct extra_headers x = { .request = request };
    if (request->no_query)
        return false;
    request_each(request, REQUEST_QUERY, collect_extra_header,
                              &x);
    return x.present;
}

bool params_apply_extra_headers(struct request *request, struct reply *reply)
{
    struct extra_headers x = { .request = request, .reply = reply };
    request_each(request, REQUEST_QUERY, collect_extra_header,
                              &x);
    if (x.bad) {
        reply_bad_parameter(reply, request, "h",
                            request_printf(request, "Name:Value pairs (refused: %s)", x.why),
                            "Name:Value 形式的响应头（名称须为合法 token，值须为可打印 ASCII，"
                            "不得含控制字符，且不得是 Content-Length 等影响报文分帧的头，最多 16 个）");
        return false;
    }
    if (x.count) /* browser scripts may read the headers they asked for */
        reply_set_header(reply, "Access-Control-Expose-Headers",
                         request_printf(request, "%s%s", EXPOSED_HEADERS, x.expose));
    return true;
}

/* host[:port] as a Host header carries it (RFC 9110 §7.2): a name or IPv4 address, or an
 * IPv6 literal in brackets, then an optional port. Anything else would let the header say
 * where the redirect goes, beyond this server. */
bool params_valid_host(const char *host)
{
    static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789-._";
    size_t length = strlen(host);
    if (length == 0 || length > PARAMS_MAX_HOST)
        return false;
    const char *p = host;
    if (*p == '[') {
        size_t inner = strspn(p + 1, "0123456789abcdefABCDEF:.");
        if (inner == 0 || p[1 + inner] != ']')
            return false;
        p += inner + 2;
    } else {
        size_t name = strspn(p, name_chars);
        if (name == 0)
            return false;
        p += name;
    }
    if (*p == ':') {
        size_t digits = strspn(p + 1, "0123456789");
        if (digits == 0 || digits > 5)
            return false;
        p += digits + 1;
    }
    return *p == '\0';
}
