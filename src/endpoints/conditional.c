/* Conditional requests, ranges and caching (SPEC §7): /etag/{etag}, /cache, /cache/{s},
 * /range/{n} and /bytes/{n}.
 *
 * Every endpoint that can answer 304 builds its 200 first, body included, and only then
 * evaluates the preconditions against the validators that 200 carries. A 304 is then the
 * same reply with the same body buffer: libmicrohttpd sends the buffer's size as
 * Content-Length on a 304 and suppresses the bytes, and RFC 9110 §8.6 allows that length only
 * if it equals the 200's. */
#include "etag.h"
#include "hash.h"
#include "httpdate.h"
#include "numbers.h"
#include "range.h"
#include "render.h"
#include "response.h"
#include "endpoints.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Uppercase, while /range/ bytes are lowercase letters: the delimiter can never occur in a
 * part, as RFC 2046 §5.1.1 requires. */
#define BYTERANGES_BOUNDARY "STATUSD-BYTERANGES"

#define ALPHABET_LENGTH 26

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

/* A field may be sent several times, which means the same as one comma-joined list
 * (RFC 9110 §5.3); libmicrohttpd's lookup sees only the first, so every one is visited. */
struct tag_search {
    const char *field;
    const char *etag;
    bool weak_comparison;
    bool present;
    bool matched;
};

static bool visit_tag_field(void *context, const char *name,
                                       const char *value)
{
    struct tag_search *search = context;
    if (strcasecmp(name, search->field) != 0 || !value)
        return true;
    search->present = true;
    if (search->etag && etag_list_matches(value, search->etag, search->weak_comparison))
        search->matched = true;
    return true;
}

static struct tag_search search_tag_field(const struct request *request, const char *field,
                                          const char *etag, bool weak_comparison)
{
    struct tag_search search = {field, etag, weak_comparison, false, false};
    request_each(request, REQUEST_HEADER, visit_tag_field, &search);
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
        reply_bad_parameter(reply, request, "{etag}",
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
    char last_modified[HTTP_DATE_SIZE];
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
        reply_bad_parameter(reply, request, "{s}", "whole seconds from 0 to 31536000 (one year)",
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
    reply_bad_parameter(reply, request, "{n}",
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

/* The coding ?encoding=auto gives this response, CODING_IDENTITY when none. */
static enum coding negotiated_coding(const struct request *request)
{
    enum coding coding;
    return response_encoding(request, &coding) == ENCODING_NEGOTIATED ? coding
                                                                       : CODING_IDENTITY;
}

void conditional_range(struct request *request, struct reply *reply)
{
    uint64_t n;
    if (!parse_generated_length(request, reply, &n))
        return;
    time_t modified = last_modified_time();
    char last_modified[HTTP_DATE_SIZE];
    http_date_format(modified, last_modified);
    /* The bytes depend on n alone and never change. Coded (?encoding=auto), they are another
     * representation with a tag of its own ("range-26-gzip"), which If-None-Match and
     * If-Match are compared with, and response.c cuts the Range from the coded bytes (RFC
     * 9110 §14.1.1) instead of this handler from the plain ones. */
    enum coding coding = n ? negotiated_coding(request) : CODING_IDENTITY;
    const char *etag = coding == CODING_IDENTITY
                           ? request_printf(request, "\"range-%" PRIu64 "\"", n)
                           : request_printf(request, "\"range-%" PRIu64 "-%s\"", n,
                                            coding_names[coding]);
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
    if (reply_apply_preconditions(reply, request, &validators) && coding == CODING_IDENTITY)
        reply_apply_range(reply, request, &validators, n);
}

static void fill_random(char *out, size_t length, uint64_t seed)
{
    uint64_t state = seed;
    for (size_t i = 0; i < length; i += 8) {
        uint64_t word = hash_splitmix64(&state);
        for (size_t b = 0; b < 8 && i + b < length; b++)
            out[i + b] = (char)(unsigned char)(word >> (8 * b)); /* little-endian everywhere */
    }
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
    if ((request->method_id == METHOD_HEAD && negotiated_coding(request) == CODING_IDENTITY) ||
        n == 0) {
        /* No byte is sent: any buffer of the right length gives the right Content-Length
         * (not once coded: the coded length depends on the bytes). */
        reply->body = alphabet_slice(0, n);
        return;
    }
    char *body = malloc((size_t)n);
    if (!body) {
        reply_out_of_memory(reply, request);
        return;
    }
    fill_random(body, (size_t)n, seed_text ? seed : hash_fresh_seed());
    reply->owned_body = body;
    reply->body = body;
}
