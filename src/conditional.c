/* Conditional requests, ranges and caching (SPEC §7): /etag/{etag}, /cache, /cache/{s},
 * /range/{n} and /bytes/{n}.
 *
 * Every endpoint that can answer 304 builds its 200 first, body included, and only then
 * evaluates the preconditions against the validators that 200 carries. A 304 is then the
 * same reply with the same body buffer: libmicrohttpd sends the buffer's size as
 * Content-Length on a 304 and suppresses the bytes, and RFC 9110 §8.6 allows that length only
 * if it equals the 200's. */
#include "numbers.h"
#include "range.h"
#include "render.h"
#include "routes.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

/* The largest /range/{n} and /bytes/{n}: a fixed bound rather than a flag, large enough to
 * test downloads and resumption, small enough that a burst of requests cannot exhaust
 * memory. */
#define GENERATED_MAX_BYTES (10u * 1024u * 1024u)
#define GENERATED_MAX_TEXT "10485760"

/* RFC 9110 §8.8.3 allows any length; a bound keeps the tag, quoted twice in the body's note,
 * well inside the request arena. */
#define ETAG_MAX_LENGTH 128

/* Uppercase, while /range/ bytes are lowercase letters: the delimiter can never occur in a
 * part, as RFC 2046 §5.1.1 requires. */
#define BYTERANGES_BOUNDARY "STATUSD-BYTERANGES"

#define ALPHABET_LENGTH 26

/* ---- HTTP dates (RFC 9110 §5.6.7) ------------------------------------------------------- */

static const char *const day_names[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const long_day_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                              "Thursday", "Friday", "Saturday"};
static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Spelled out rather than with strftime, whose %a and %b follow the locale. */
static void http_date_format(time_t when, char out[30])
{
    struct tm utc;
    if (!gmtime_r(&when, &utc)) {
        snprintf(out, 30, "Thu, 01 Jan 1970 00:00:00 GMT");
        return;
    }
    snprintf(out, 30, "%s, %02d %s %04d %02d:%02d:%02d GMT", day_names[utc.tm_wday % 7],
             utc.tm_mday % 100, month_names[utc.tm_mon % 12], (utc.tm_year + 1900) % 10000,
             utc.tm_hour % 100, utc.tm_min % 100, utc.tm_sec % 100);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil), so
 * parsing depends on neither the TZ variable nor timegm. */
static int64_t days_from_civil(int64_t year, unsigned month, unsigned day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    unsigned year_of_era = (unsigned)(year - era * 400);
    unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + (int64_t)day_of_era - 719468;
}

static bool is_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static bool parse_digits(const char **p, int count, int *value)
{
    int v = 0;
    for (int i = 0; i < count; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *value = v;
    *p += count;
    return true;
}

static bool parse_literal(const char **p, const char *literal)
{
    size_t n = strlen(literal);
    if (strncmp(*p, literal, n) != 0)
        return false;
    *p += n;
    return true;
}

/* One of names (case-sensitive: RFC 9110 §5.6.7 says the formats are). */
static bool parse_name(const char **p, const char *const *names, int count, int *index)
{
    for (int i = 0; i < count; i++)
        if (parse_literal(p, names[i])) {
            *index = i;
            return true;
        }
    return false;
}

struct date_parts {
    int year, month, day, hour, minute, second; /* month 1-12 */
};

static bool parse_time_of_day(const char **p, struct date_parts *d)
{
    return parse_digits(p, 2, &d->hour) && parse_literal(p, ":") &&
           parse_digits(p, 2, &d->minute) && parse_literal(p, ":") &&
           parse_digits(p, 2, &d->second);
}

static bool parse_month(const char **p, struct date_parts *d)
{
    int index;
    if (!parse_name(p, month_names, 12, &index))
        return false;
    d->month = index + 1;
    return true;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static bool parse_imf_fixdate(const char *p, struct date_parts *d)
{
    int weekday;
    return parse_name(&p, day_names, 7, &weekday) && parse_literal(&p, ", ") &&
           parse_digits(&p, 2, &d->day) && parse_literal(&p, " ") && parse_month(&p, d) &&
           parse_literal(&p, " ") && parse_digits(&p, 4, &d->year) && parse_literal(&p, " ") &&
           parse_time_of_day(&p, d) && parse_literal(&p, " GMT") && *p == '\0';
}

/* "Sunday, 06-Nov-94 08:49:37 GMT" (obsolete RFC 850 form). */
static bool parse_rfc850_date(const char *p, struct date_parts *d, time_t now)
{
    int weekday, two_digit_year;
    if (!(parse_name(&p, long_day_names, 7, &weekday) && parse_literal(&p, ", ") &&
          parse_digits(&p, 2, &d->day) && parse_literal(&p, "-") && parse_month(&p, d) &&
          parse_literal(&p, "-") && parse_digits(&p, 2, &two_digit_year) &&
          parse_literal(&p, " ") && parse_time_of_day(&p, d) && parse_literal(&p, " GMT") &&
          *p == '\0'))
        return false;
    /* RFC 9110 §5.6.7: a year more than 50 years ahead is the most recent past one with the
     * same last two digits. */
    struct tm utc;
    int current_year = gmtime_r(&now, &utc) ? utc.tm_year + 1900 : 2000;
    d->year = current_year / 100 * 100 + two_digit_year;
    if (d->year > current_year + 50)
        d->year -= 100;
    return true;
}

/* "Sun Nov  6 08:49:37 1994" (obsolete asctime form). */
static bool parse_asctime_date(const char *p, struct date_parts *d)
{
    int weekday;
    if (!(parse_name(&p, day_names, 7, &weekday) && parse_literal(&p, " ") && parse_month(&p, d) &&
          parse_literal(&p, " ")))
        return false;
    if (*p == ' ') {
        p++;
        if (!parse_digits(&p, 1, &d->day))
            return false;
    } else if (!parse_digits(&p, 2, &d->day)) {
        return false;
    }
    return parse_literal(&p, " ") && parse_time_of_day(&p, d) && parse_literal(&p, " ") &&
           parse_digits(&p, 4, &d->year) && *p == '\0';
}

static bool date_parts_valid(const struct date_parts *d)
{
    static const int month_days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d->month < 1 || d->month > 12 || d->day < 1 || d->day > month_days[d->month - 1])
        return false;
    if (d->month == 2 && d->day == 29 && !is_leap_year(d->year))
        return false;
    /* 60 is a leap second, which the grammar admits. */
    return d->hour <= 23 && d->minute <= 59 && d->second <= 60;
}

/* Any of the three forms a recipient must accept (RFC 9110 §5.6.7). */
static bool http_date_parse(const char *text, time_t *when)
{
    struct date_parts d = {0};
    if (!text)
        return false;
    if (!parse_imf_fixdate(text, &d) && !parse_rfc850_date(text, &d, time(NULL)) &&
        !parse_asctime_date(text, &d))
        return false;
    if (!date_parts_valid(&d))
        return false;
    int64_t days = days_from_civil(d.year, (unsigned)d.month, (unsigned)d.day);
    *when = (time_t)(days * 86400 + d.hour * 3600 + d.minute * 60 + d.second);
    return true;
}

/* When /cache and /range were last modified: the first time anyone asked, in whole seconds,
 * because HTTP dates have no fractions and a Last-Modified that moved would defeat
 * If-Modified-Since. */
static time_t first_use_time;
static pthread_once_t first_use_once = PTHREAD_ONCE_INIT;

static void record_first_use(void)
{
    first_use_time = time(NULL);
}

static time_t last_modified_time(void)
{
    pthread_once(&first_use_once, record_first_use);
    return first_use_time;
}

/* ---- Entity tags (RFC 9110 §8.8.3) --------------------------------------------------------- */

/* etagc, without obs-text: a tag that reaches a header must be plainly visible. */
static bool is_etag_character(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x7e);
}

static bool etag_opaque_is_valid(const char *tag)
{
    size_t n = strlen(tag);
    if (n == 0 || n > ETAG_MAX_LENGTH)
        return false;
    for (const unsigned char *p = (const unsigned char *)tag; *p; p++)
        if (!is_etag_character(*p))
            return false;
    return true;
}

static void skip_whitespace(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

/* Reads one entity-tag at *p: its opaque part (quotes included) as [start, start+length).
 * A request may use obs-text (bytes over 0x7f) in a tag it compares. */
static bool read_entity_tag(const char **p, bool *weak, const char **start, size_t *length)
{
    const char *s = *p;
    *weak = strncmp(s, "W/", 2) == 0;
    if (*weak)
        s += 2;
    if (*s != '"')
        return false;
    const char *opaque = s++;
    while (is_etag_character((unsigned char)*s) || (unsigned char)*s >= 0x80)
        s++;
    if (*s != '"')
        return false;
    s++;
    *start = opaque;
    *length = (size_t)(s - opaque);
    *p = s;
    return true;
}

/* Whether an If-Match / If-None-Match value ("*" or a list of entity-tags) names etag, a
 * strong tag with its quotes. Weak comparison ignores W/; strong comparison never matches a
 * weak tag (RFC 9110 §8.8.3.2). A malformed value matches nothing. */
static bool tag_list_matches(const char *value, const char *etag, bool weak_comparison)
{
    const char *p = value;
    skip_whitespace(&p);
    if (*p == '*') {
        p++;
        skip_whitespace(&p);
        return *p == '\0';
    }
    bool matched = false;
    size_t etag_length = strlen(etag);
    for (;;) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return matched;
        bool weak;
        const char *opaque;
        size_t length;
        if (!read_entity_tag(&p, &weak, &opaque, &length))
            return false;
        if ((weak_comparison || !weak) && length == etag_length &&
            memcmp(opaque, etag, length) == 0)
            matched = true;
        skip_whitespace(&p);
        if (*p != ',' && *p != '\0')
            return false;
    }
}

/* A field may be sent several times, which means the same as one comma-joined list
 * (RFC 9110 §5.3); libmicrohttpd's lookup sees only the first, so every one is visited. */
struct tag_search {
    const char *field;
    const char *etag;
    bool weak_comparison;
    bool present;
    bool matched;
};

static enum MHD_Result visit_tag_field(void *context, enum MHD_ValueKind kind, const char *name,
                                       const char *value)
{
    (void)kind;
    struct tag_search *search = context;
    if (strcasecmp(name, search->field) != 0 || !value)
        return MHD_YES;
    search->present = true;
    if (search->etag && tag_list_matches(value, search->etag, search->weak_comparison))
        search->matched = true;
    return MHD_YES;
}

static struct tag_search search_tag_field(const struct request *request, const char *field,
                                          const char *etag, bool weak_comparison)
{
    struct tag_search search = {field, etag, weak_comparison, false, false};
    MHD_get_connection_values(request->connection, MHD_HEADER_KIND, visit_tag_field, &search);
    return search;
}

/* ---- Preconditions (RFC 9110 §13.2.2) ------------------------------------------------------ */

/* What a representation can be validated with: a strong ETag (quoted) and a Last-Modified,
 * 0 when it has none. */
struct validators {
    const char *etag;
    time_t last_modified;
};

enum precondition {
    PRECONDITION_PASSED,       /* send the selected representation */
    PRECONDITION_NOT_MODIFIED, /* 304 */
    PRECONDITION_FAILED,       /* 412 */
};

static bool header_date(const struct request *request, const char *field, time_t *when)
{
    return http_date_parse(request_header(request, field), when);
}

/* The steps of RFC 9110 §13.2.2 in their order; every route here is GET or HEAD, so a false
 * If-None-Match is a 304, never a 412. */
static enum precondition precondition_evaluate(const struct request *request,
                                               const struct validators *v)
{
    time_t date;
    struct tag_search if_match = search_tag_field(request, "If-Match", v->etag, false);
    if (if_match.present) {
        if (!if_match.matched)
            return PRECONDITION_FAILED;
    } else if (v->last_modified && header_date(request, "If-Unmodified-Since", &date)) {
        if (v->last_modified > date)
            return PRECONDITION_FAILED;
    }
    struct tag_search if_none_match = search_tag_field(request, "If-None-Match", v->etag, true);
    if (if_none_match.present)
        return if_none_match.matched ? PRECONDITION_NOT_MODIFIED : PRECONDITION_PASSED;
    if (v->last_modified && header_date(request, "If-Modified-Since", &date) &&
        v->last_modified <= date)
        return PRECONDITION_NOT_MODIFIED;
    return PRECONDITION_PASSED;
}

/* A Last-Modified is a strong validator only once a second has passed since it
 * (RFC 9110 §8.8.2.2): within the same second the representation could still have changed. */
static bool last_modified_is_strong(time_t last_modified)
{
    return time(NULL) > last_modified;
}

/* Whether If-Range lets the Range apply (RFC 9110 §13.1.5): an entity tag by strong
 * comparison, or a date equal to a strong Last-Modified. Anything else sends the whole
 * representation. */
static bool if_range_holds(const struct request *request, const struct validators *v)
{
    const char *value = request_header(request, "If-Range");
    if (!value)
        return true;
    if (value[0] == '"' || strncmp(value, "W/", 2) == 0)
        return value[0] == '"' && v->etag && strcmp(value, v->etag) == 0;
    time_t date;
    return v->last_modified && http_date_parse(value, &date) && date == v->last_modified &&
           last_modified_is_strong(v->last_modified);
}

/* ---- Reply shaping ------------------------------------------------------------------------- */

static void reply_out_of_memory(struct reply *reply, struct request *request)
{
    free(reply->owned_body);
    reply->owned_body = NULL;
    reply_error(reply, request, 500, "The server ran out of memory building this response.",
                "服务器在生成此响应时内存不足。");
}

/* The 200 explanation is rendered here rather than by response.c because a 304 for it must
 * carry the same Content-Length, so both need this very buffer. The headers already set are
 * listed in the body. */
static bool reply_render_explanation(struct reply *reply, struct request *request)
{
    if (!reply_set_header(reply, "Vary", "Accept, Accept-Language"))
        return false;
    struct strbuf out = {0};
    render_explanation(&out, request->format, request->languages, reply);
    size_t length;
    char *body = strbuf_take(&out, &length);
    if (!body)
        return false;
    reply->owned_body = body;
    reply->body = body;
    reply->body_length = length;
    reply->content_type = format_content_types[request->format];
    /* What response.c adds to the HTML explanations it renders itself. */
    return request->format != FORMAT_HTML ||
           reply_set_header(reply, "Content-Security-Policy",
                            "default-src 'self'; frame-ancestors 'none'");
}

/* The 304 for the 200 in reply (RFC 9110 §15.4.5): the ETag, Cache-Control and Vary the 200
 * carries, nothing that describes a body, and the 200's buffer for its Content-Length. */
static void reply_not_modified(struct reply *reply, struct request *request)
{
    struct reply full = *reply;
    *reply = (struct reply){.delay_ms = full.delay_ms};
    reply_explain(reply, request, 304, 0);
    const char *etag = reply_get_header(&full, "ETag");
    const char *cache_control = reply_get_header(&full, "Cache-Control");
    const char *vary = reply_get_header(&full, "Vary");
    if (etag)
        reply_set_header(reply, "ETag", etag);
    else
        reply_remove_header(reply, "ETag");
    reply_set_header(reply, "Cache-Control",
                     cache_control        ? cache_control
                     : full.cache_control ? full.cache_control
                                          : "no-store");
    if (vary)
        reply_set_header(reply, "Vary", vary);
    else
        reply_remove_header(reply, "Vary");
    reply->body = full.body;
    reply->body_length = full.body_length;
    reply->owned_body = full.owned_body;
}

static void reply_precondition_failed(struct reply *reply, struct request *request)
{
    free(reply->owned_body);
    reply->owned_body = NULL;
    reply_error(reply, request, 412,
                "If-Match (or If-Unmodified-Since) does not hold for the current "
                "representation, so the request was not applied.",
                "If-Match（或 If-Unmodified-Since）条件对当前表示不成立，因此请求未被执行。");
}

/* Turns the finished 200 in reply into a 304 or 412 when the request's preconditions say so.
 * Returns whether the 200 stands. */
static bool reply_apply_preconditions(struct reply *reply, struct request *request,
                                      const struct validators *v)
{
    switch (precondition_evaluate(request, v)) {
    case PRECONDITION_NOT_MODIFIED: reply_not_modified(reply, request); return false;
    case PRECONDITION_FAILED: reply_precondition_failed(reply, request); return false;
    case PRECONDITION_PASSED: break;
    }
    return true;
}

/* ---- /etag/{etag} -------------------------------------------------------------------------- */

void conditional_etag(struct request *request, struct reply *reply)
{
    if (!etag_opaque_is_valid(request->tail)) {
        reply_bad_parameter(reply, request, "etag",
                            "1 to 128 visible ASCII characters without '\"' or spaces",
                            "1 到 128 个可见 ASCII 字符，不含 '\"' 和空格");
        return;
    }
    /* The tag is the client's choice and names the resource's state, so the text, HTML and
     * JSON variants share it; caches keep them apart by Vary. */
    const char *etag = request_printf(request, "\"%s\"", request->tail);
    reply_explain(reply, request, 200, 0);
    reply->note[LANGUAGE_EN] = request_printf(
        request,
        "This representation has the entity tag %s. Send it back in If-None-Match to get "
        "304 Not Modified; If-Match with another tag gets 412 Precondition Failed.",
        etag ? etag : "");
    reply->note[LANGUAGE_ZH] =
        request_printf(request,
                       "此表示的实体标签是 %s。在 If-None-Match 中带回它会得到 304 Not Modified；"
                       "If-Match 带其他标签则得到 412 Precondition Failed。",
                       etag ? etag : "");
    if (!etag || !reply->note[LANGUAGE_EN] || !reply->note[LANGUAGE_ZH] ||
        !reply_set_header(reply, "ETag", etag) ||
        !reply_set_header(reply, "Cache-Control", "no-cache") ||
        !reply_render_explanation(reply, request)) {
        reply_out_of_memory(reply, request);
        return;
    }
    reply_apply_preconditions(reply, request, &(struct validators){etag, 0});
}

/* ---- /cache and /cache/{s} ----------------------------------------------------------------- */

void conditional_cache(struct request *request, struct reply *reply)
{
    time_t modified = last_modified_time();
    char last_modified[30];
    http_date_format(modified, last_modified);
    /* The body depends only on the time above and the negotiated representation, so these
     * name it exactly and differ between the text, HTML and JSON variants. */
    const char *etag = request_printf(request, "\"cache-%" PRIx64 "-%d%d\"", (uint64_t)modified,
                                      (int)request->format, (int)request->languages);
    reply_explain(reply, request, 200, 0);
    reply->note[LANGUAGE_EN] =
        "This representation carries Last-Modified and an ETag, with Cache-Control: no-cache "
        "so a cache revalidates it every time: If-Modified-Since at or after Last-Modified, "
        "or If-None-Match with the ETag, gets 304 Not Modified.";
    reply->note[LANGUAGE_ZH] =
        "此表示带有 Last-Modified 和 ETag，并以 Cache-Control: no-cache 要求缓存每次都重新验证："
        "If-Modified-Since 不早于 Last-Modified，或 If-None-Match 带上该 ETag，都会得到 "
        "304 Not Modified。";
    const char *date = request_printf(request, "%s", last_modified);
    if (!etag || !date || !reply_set_header(reply, "Last-Modified", date) ||
        !reply_set_header(reply, "ETag", etag) ||
        !reply_set_header(reply, "Cache-Control", "no-cache") ||
        !reply_render_explanation(reply, request)) {
        reply_out_of_memory(reply, request);
        return;
    }
    reply_apply_preconditions(reply, request, &(struct validators){etag, modified});
}

#define ONE_YEAR_S 31536000u

void conditional_cache_for(struct request *request, struct reply *reply)
{
    uint64_t seconds;
    if (!parse_uint(request->tail, ONE_YEAR_S, &seconds)) {
        reply_bad_parameter(reply, request, "s", "whole seconds from 0 to 31536000 (one year)",
                            "0 到 31536000（一年）之间的整数秒");
        return;
    }
    reply_explain(reply, request, 200, 0);
    const char *cache_control = request_printf(request, "public, max-age=%" PRIu64, seconds);
    reply->note[LANGUAGE_EN] =
        request_printf(request,
                       "Any cache may store this response and reuse it for %" PRIu64 " seconds "
                       "without asking statusd again.",
                       seconds);
    reply->note[LANGUAGE_ZH] = request_printf(
        request, "任何缓存都可以保存此响应，并在 %" PRIu64 " 秒内直接复用而无需再次询问 statusd。",
        seconds);
    if (!cache_control || !reply_set_header(reply, "Cache-Control", cache_control))
        reply_out_of_memory(reply, request);
}

/* ---- Generated bytes: /range/{n} and /bytes/{n} -------------------------------------------- */

/* "abc...xyz" repeated, filled once as far as the largest /range/ asked so far and then only
 * read: every /range/ response is a slice of it, sent without copying. Readers only look below
 * the filled mark, the one writer only above it. */
static char alphabet_bytes[GENERATED_MAX_BYTES + ALPHABET_LENGTH];
static atomic_size_t alphabet_filled;
static pthread_mutex_t alphabet_lock = PTHREAD_MUTEX_INITIALIZER;

/* The pattern's bytes from offset to offset + length - 1 (offset + length within the bound). */
static const char *alphabet_slice(uint64_t offset, uint64_t length)
{
    size_t start = (size_t)(offset % ALPHABET_LENGTH);
    size_t needed = start + (size_t)length;
    if (atomic_load_explicit(&alphabet_filled, memory_order_acquire) < needed) {
        pthread_mutex_lock(&alphabet_lock);
        size_t filled = atomic_load_explicit(&alphabet_filled, memory_order_relaxed);
        for (size_t i = filled; i < needed; i++)
            alphabet_bytes[i] = (char)('a' + i % ALPHABET_LENGTH);
        if (needed > filled)
            atomic_store_explicit(&alphabet_filled, needed, memory_order_release);
        pthread_mutex_unlock(&alphabet_lock);
    }
    return alphabet_bytes + start;
}

static bool parse_generated_length(struct request *request, struct reply *reply, uint64_t *n)
{
    if (parse_uint(request->tail, GENERATED_MAX_BYTES, n))
        return true;
    reply_bad_parameter(reply, request, "n",
                        "a whole number of bytes from 0 to " GENERATED_MAX_TEXT " (10 MiB)",
                        "0 到 " GENERATED_MAX_TEXT "（10 MiB）之间的整数字节数");
    return false;
}

static void reply_partial_single(struct reply *reply, struct request *request,
                                 struct byte_range range, uint64_t length)
{
    uint64_t size = range.last - range.first + 1;
    reply->body = alphabet_slice(range.first, size);
    reply->body_length = (size_t)size;
    const char *content_range = request_printf(request, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
                                               range.first, range.last, length);
    if (!content_range || !reply_set_header(reply, "Content-Range", content_range))
        reply_out_of_memory(reply, request);
}

/* multipart/byteranges (RFC 9110 §14.6): each part with its own Content-Type and
 * Content-Range; the CRLF before each delimiter belongs to the delimiter. */
static char *byteranges_body(const struct byte_range *ranges, size_t count, uint64_t length,
                             size_t *body_length)
{
    struct strbuf out = {0};
    for (size_t i = 0; i < count; i++) {
        uint64_t size = ranges[i].last - ranges[i].first + 1;
        strbuf_printf(&out,
                      "--" BYTERANGES_BOUNDARY "\r\n"
                      "Content-Type: application/octet-stream\r\n"
                      "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n\r\n",
                      ranges[i].first, ranges[i].last, length);
        strbuf_append_bytes(&out, alphabet_slice(ranges[i].first, size), (size_t)size);
        strbuf_append(&out, "\r\n");
    }
    strbuf_append(&out, "--" BYTERANGES_BOUNDARY "--\r\n");
    return strbuf_take(&out, body_length);
}

static void reply_partial_multiple(struct reply *reply, struct request *request,
                                   const struct byte_range *ranges, size_t count, uint64_t length)
{
    size_t body_length;
    char *body = byteranges_body(ranges, count, length, &body_length);
    if (!body) {
        reply_out_of_memory(reply, request);
        return;
    }
    reply->owned_body = body;
    reply->body = body;
    reply->body_length = body_length;
    reply->content_type = "multipart/byteranges; boundary=" BYTERANGES_BOUNDARY;
    /* Each part has its own; RFC 9110 §14.6 leaves none for the whole. */
    reply_remove_header(reply, "Content-Range");
}

static void reply_range_not_satisfiable(struct reply *reply, struct request *request,
                                        uint64_t length)
{
    reply_error(reply, request, 416,
                "No range in the Range header starts inside this representation; "
                "Content-Range gives its length.",
                "Range 请求头中没有任何范围落在此表示之内；Content-Range 给出了它的长度。");
    const char *content_range = request_printf(request, "bytes */%" PRIu64, length);
    if (!content_range || !reply_set_header(reply, "Content-Range", content_range))
        reply_out_of_memory(reply, request);
}

/* Overlapping ranges could ask for many times the representation; RFC 9110 §14.2 lets a
 * server ignore such a Range, which bounds a multipart body to the length plus part heads. */
static bool ranges_fit(const struct byte_range *ranges, size_t count, uint64_t length)
{
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += ranges[i].last - ranges[i].first + 1;
    return total <= length;
}

/* Range applies to GET only (RFC 9110 §14.2); otherwise, or when If-Range does not hold or
 * the Range is malformed, the 200 already in reply stands. */
static void reply_apply_range(struct reply *reply, struct request *request,
                              const struct validators *v, uint64_t length)
{
    const char *range_field = request_header(request, "Range");
    if (request->method_id != METHOD_GET || !range_field || !if_range_holds(request, v))
        return;
    struct byte_range ranges[RANGE_MAX];
    size_t count;
    switch (range_parse(range_field, length, ranges, &count)) {
    case RANGE_IGNORED: return;
    case RANGE_UNSATISFIABLE: reply_range_not_satisfiable(reply, request, length); return;
    case RANGE_SATISFIABLE: break;
    }
    if (!ranges_fit(ranges, count, length))
        return;
    reply_explain(reply, request, 206, 0);
    if (count == 1)
        reply_partial_single(reply, request, ranges[0], length);
    else
        reply_partial_multiple(reply, request, ranges, count, length);
}

void conditional_range(struct request *request, struct reply *reply)
{
    uint64_t n;
    if (!parse_generated_length(request, reply, &n))
        return;
    time_t modified = last_modified_time();
    char last_modified[30];
    http_date_format(modified, last_modified);
    /* The bytes depend on n alone and never change. */
    const char *etag = request_printf(request, "\"range-%" PRIu64 "\"", n);
    const char *date = request_printf(request, "%s", last_modified);
    reply_explain(reply, request, 200, 0);
    reply->body = alphabet_slice(0, n);
    reply->body_length = (size_t)n;
    reply->content_type = "application/octet-stream";
    if (!etag || !date || !reply_set_header(reply, "ETag", etag) ||
        !reply_set_header(reply, "Last-Modified", date) ||
        !reply_set_header(reply, "Accept-Ranges", "bytes")) {
        reply_out_of_memory(reply, request);
        return;
    }
    struct validators validators = {etag, modified};
    if (reply_apply_preconditions(reply, request, &validators))
        reply_apply_range(reply, request, &validators, n);
}

/* splitmix64 (Steele, Lea and Flood): tiny, fast, and every seed gives a full-period stream,
 * so ?seed= reproduces the same bytes on any platform. */
static uint64_t splitmix64_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void fill_random(char *out, size_t length, uint64_t seed)
{
    uint64_t state = seed;
    for (size_t i = 0; i < length; i += 8) {
        uint64_t word = splitmix64_next(&state);
        for (size_t b = 0; b < 8 && i + b < length; b++)
            out[i + b] = (char)(unsigned char)(word >> (8 * b)); /* little-endian everywhere */
    }
}

static uint64_t unpredictable_seed(void)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) == (ssize_t)sizeof seed)
        return seed;
    /* No entropy yet (early boot): the clock still differs between requests. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

void conditional_bytes(struct request *request, struct reply *reply)
{
    uint64_t n, seed;
    if (!parse_generated_length(request, reply, &n))
        return;
    const char *seed_text = request_query(request, "seed");
    if (seed_text && !parse_uint(seed_text, UINT64_MAX, &seed)) {
        reply_bad_parameter(reply, request, "seed", "a whole number from 0 to 18446744073709551615",
                            "0 到 18446744073709551615 之间的整数");
        return;
    }
    reply_explain(reply, request, 200, 0);
    reply->content_type = "application/octet-stream";
    reply->body_length = (size_t)n;
    if (request->method_id == METHOD_HEAD || n == 0) {
        /* No byte is sent: any buffer of the right length gives the right Content-Length. */
        reply->body = alphabet_slice(0, n);
        return;
    }
    char *body = malloc((size_t)n);
    if (!body) {
        reply_out_of_memory(reply, request);
        return;
    }
    fill_random(body, (size_t)n, seed_text ? seed : unpredictable_seed());
    reply->owned_body = body;
    reply->body = body;
}
