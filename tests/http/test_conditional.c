/* Conditional requests, ranges and caching over real sockets (SPEC §7): /etag/{etag},
 * /cache, /cache/{s}, /range/{n} and /bytes/{n}. */
#include "http.h"
#include "server.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#define NO_HEADERS ((const char *const *)NULL)
#define FUTURE_DATE "Sun, 06 Nov 2095 08:49:37 GMT"
#define PAST_DATE "Sun, 06 Nov 1994 08:49:37 GMT"

static struct http_response *get_with2(void **state, const char *target, const char *header1,
                                       const char *header2)
{
    return http_request(*state, "GET", target, (const char *[]){header1, header2, NULL}, NULL);
}

static void expect_status(struct http_response *r, long status)
{
    if (!http_expect_status(r, status))
        fail_msg("%s: expected %ld", r->request, status);
}

static void expect_header(const struct http_response *r, const char *name, const char *value)
{
    const char *got = http_header(r, name);
    if (!got || strcmp(got, value) != 0)
        fail_msg("%s: %s is %s, expected %s", r->request, name, got ? got : "(absent)", value);
}

/* Sends target with header; the status must be want. */
static void expect_status_with(void **state, const char *target, const char *header, long want)
{
    struct http_response *r = http_get_with(state, target, header);
    expect_status(r, want);
    http_response_free(r);
}

/* A 400 whose body names the refused parameter. */
static void expect_bad_parameter(void **state, const char *target, const char *parameter)
{
    struct http_response *r = http_get(state, target);
    http_assert_bad_parameter(r, parameter); /* '?seed=' quoted, a path segment braced ({n}) */
    http_response_free(r);
}

/* ---- /etag/{etag} ---- */

static void etag_200_carries_the_quoted_tag_and_no_cache(void **state)
{
    struct http_response *r = http_get(state, "/etag/abc");
    expect_status(r, 200);
    expect_header(r, "ETag", "\"abc\"");
    expect_header(r, "Cache-Control", "no-cache");
    assert_true(http_body_contains(r, "\"abc\""));
    http_response_free(r);
}

static void if_none_match_same_tag_is_304_repeating_etag_cache_control_and_vary(void **state)
{
    struct http_response *full = http_get(state, "/etag/abc");
    struct http_response *r = http_get_with(state, "/etag/abc", "If-None-Match: \"abc\"");
    expect_status(full, 200);
    expect_status(r, 304);
    assert_int_equal(r->body_length, 0);
    expect_header(r, "ETag", "\"abc\"");
    expect_header(r, "Cache-Control", http_header(full, "Cache-Control"));
    expect_header(r, "Vary", http_header(full, "Vary"));
    assert_null(http_header(r, "Content-Type"));
    /* RFC 9110 §8.6: a Content-Length on a 304 must be the 200's. */
    assert_int_equal(r->content_length, (long long)full->body_length);
    http_response_free(full);
    http_response_free(r);
}

static void if_none_match_list_holding_the_tag_is_304(void **state)
{
    expect_status_with(state, "/etag/abc", "If-None-Match: \"x\", \"abc\" ,\"y\"", 304);
}

static void if_none_match_star_is_304(void **state)
{
    expect_status_with(state, "/etag/abc", "If-None-Match: *", 304);
}

static void if_none_match_weak_tag_matches_by_weak_comparison(void **state)
{
    expect_status_with(state, "/etag/abc", "If-None-Match: W/\"abc\"", 304);
}

static void if_none_match_other_tag_is_200(void **state)
{
    struct http_response *r = http_get_with(state, "/etag/abc", "If-None-Match: \"abd\", W/\"ab\"");
    expect_status(r, 200);
    expect_header(r, "ETag", "\"abc\"");
    assert_true(r->body_length > 0);
    http_response_free(r);
}

static void if_none_match_in_a_second_field_line_counts(void **state)
{
    struct http_response *r =
        get_with2(state, "/etag/abc", "If-None-Match: \"x\"", "If-None-Match: \"abc\"");
    expect_status(r, 304);
    http_response_free(r);
}

static void if_match_other_tag_is_412(void **state)
{
    struct http_response *r = http_get_with(state, "/etag/abc", "If-Match: \"xyz\"");
    expect_status(r, 412);
    assert_true(http_body_contains(r, "412"));
    http_response_free(r);
}

static void if_match_same_tag_is_200(void **state)
{
    expect_status_with(state, "/etag/abc", "If-Match: \"zzz\", \"abc\"", 200);
}

static void if_match_star_is_200(void **state)
{
    expect_status_with(state, "/etag/abc", "If-Match: *", 200);
}

static void if_match_weak_tag_fails_strong_comparison(void **state)
{
    expect_status_with(state, "/etag/abc", "If-Match: W/\"abc\"", 412);
}

static void if_match_is_evaluated_before_if_none_match(void **state)
{
    struct http_response *r =
        get_with2(state, "/etag/abc", "If-Match: \"other\"", "If-None-Match: \"abc\"");
    expect_status(r, 412);
    http_response_free(r);
    r = get_with2(state, "/etag/abc", "If-Match: \"abc\"", "If-None-Match: \"abc\"");
    expect_status(r, 304);
    http_response_free(r);
}

static void etag_with_a_quote_space_or_too_many_characters_is_400(void **state)
{
    expect_bad_parameter(state, "/etag/a%22b", "etag");
    expect_bad_parameter(state, "/etag/a%20b", "etag");
    expect_bad_parameter(state, "/etag/a%01b", "etag");
    char target[256] = "/etag/";
    memset(target + 6, 'x', 129);
    target[6 + 129] = '\0';
    expect_bad_parameter(state, target, "etag");
    target[6 + 128] = '\0';
    struct http_response *r = http_get(state, target);
    expect_status(r, 200);
    http_response_free(r);
}

static void etag_head_has_the_get_s_length_and_no_body(void **state)
{
    struct http_response *g = http_get(state, "/etag/abc");
    struct http_response *h = http_request(*state, "HEAD", "/etag/abc", NO_HEADERS, NULL);
    expect_status(h, 200);
    assert_int_equal(h->body_length, 0);
    assert_int_equal(h->content_length, (long long)g->body_length);
    http_response_free(g);
    http_response_free(h);
}

/* ---- /cache ---- */

static void cache_carries_last_modified_etag_and_no_cache(void **state)
{
    struct http_response *r = http_get(state, "/cache");
    expect_status(r, 200);
    assert_non_null(http_header(r, "Last-Modified"));
    assert_non_null(http_header(r, "ETag"));
    expect_header(r, "Cache-Control", "no-cache");
    http_response_free(r);
}

static void cache_if_modified_since_in_the_past_is_200(void **state)
{
    expect_status_with(state, "/cache", "If-Modified-Since: " PAST_DATE, 200);
}

static void cache_if_modified_since_in_the_future_is_304(void **state)
{
    struct http_response *full = http_get(state, "/cache");
    struct http_response *r = http_get_with(state, "/cache", "If-Modified-Since: " FUTURE_DATE);
    expect_status(r, 304);
    assert_int_equal(r->body_length, 0);
    expect_header(r, "ETag", http_header(full, "ETag"));
    expect_header(r, "Cache-Control", "no-cache");
    assert_int_equal(r->content_length, (long long)full->body_length);
    http_response_free(full);
    http_response_free(r);
}

static void cache_if_modified_since_equal_to_last_modified_is_304(void **state)
{
    struct http_response *full = http_get(state, "/cache");
    char header[96];
    snprintf(header, sizeof header, "If-Modified-Since: %s", http_header(full, "Last-Modified"));
    expect_status_with(state, "/cache", header, 304);
    http_response_free(full);
}

static void cache_if_modified_since_in_obsolete_formats_is_understood(void **state)
{
    expect_status_with(state, "/cache", "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT", 200);
    expect_status_with(state, "/cache", "If-Modified-Since: Sun Nov  6 08:49:37 2095", 304);
    expect_status_with(state, "/cache", "If-Modified-Since: Sun Nov  6 08:49:37 1994", 200);
}

static void cache_invalid_if_modified_since_is_ignored(void **state)
{
    expect_status_with(state, "/cache", "If-Modified-Since: tomorrow", 200);
    expect_status_with(state, "/cache", "If-Modified-Since: Sun, 31 Feb 2095 08:49:37 GMT", 200);
}

static void cache_if_none_match_takes_precedence_over_if_modified_since(void **state)
{
    struct http_response *r =
        get_with2(state, "/cache", "If-None-Match: \"stale\"", "If-Modified-Since: " FUTURE_DATE);
    expect_status(r, 200);
    http_response_free(r);
}

static void cache_etag_revalidates_to_304(void **state)
{
    struct http_response *full = http_get(state, "/cache");
    char header[128];
    snprintf(header, sizeof header, "If-None-Match: %s", http_header(full, "ETag"));
    expect_status_with(state, "/cache", header, 304);
    http_response_free(full);
}

static void cache_etag_differs_between_representations(void **state)
{
    struct http_response *text = http_get(state, "/cache");
    struct http_response *json = http_get(state, "/cache?format=json");
    assert_string_not_equal(http_header(text, "ETag"), http_header(json, "ETag"));
    http_response_free(text);
    http_response_free(json);
}

static void cache_if_unmodified_since_before_last_modified_is_412(void **state)
{
    expect_status_with(state, "/cache", "If-Unmodified-Since: " PAST_DATE, 412);
    expect_status_with(state, "/cache", "If-Unmodified-Since: " FUTURE_DATE, 200);
}

/* ---- /cache/{s} ---- */

static void cache_for_30_is_public_max_age_30(void **state)
{
    struct http_response *r = http_get(state, "/cache/30");
    expect_status(r, 200);
    expect_header(r, "Cache-Control", "public, max-age=30");
    assert_int_equal(http_header_count(r, "Cache-Control"), 1);
    http_response_free(r);
}

static void cache_for_non_number_or_over_a_year_is_400(void **state)
{
    expect_bad_parameter(state, "/cache/abc", "s");
    expect_bad_parameter(state, "/cache/-1", "s");
    expect_bad_parameter(state, "/cache/31536001", "s");
    struct http_response *r = http_get(state, "/cache/31536000");
    expect_status(r, 200);
    http_response_free(r);
}

/* ---- /range/{n} ---- */

static void range_without_range_is_the_whole_alphabet_with_accept_ranges(void **state)
{
    struct http_response *r = http_get(state, "/range/30");
    expect_status(r, 200);
    assert_int_equal(r->body_length, 30);
    assert_memory_equal(r->body, "abcdefghijklmnopqrstuvwxyzabcd", 30);
    expect_header(r, "Accept-Ranges", "bytes");
    expect_header(r, "ETag", "\"range-30\"");
    expect_header(r, "Content-Type", "application/octet-stream");
    http_response_free(r);
}

static void range_single_is_206_with_content_range(void **state)
{
    struct http_response *r = http_get_with(state, "/range/100", "Range: bytes=27-29");
    expect_status(r, 206);
    assert_int_equal(r->body_length, 3);
    assert_memory_equal(r->body, "bcd", 3);
    expect_header(r, "Content-Range", "bytes 27-29/100");
    expect_header(r, "ETag", "\"range-100\"");
    http_response_free(r);
}

static void range_suffix_is_the_last_bytes(void **state)
{
    struct http_response *r = http_get_with(state, "/range/26", "Range: bytes=-5");
    expect_status(r, 206);
    assert_int_equal(r->body_length, 5);
    assert_memory_equal(r->body, "vwxyz", 5);
    expect_header(r, "Content-Range", "bytes 21-25/26");
    http_response_free(r);
}

/* The part of a multipart/byteranges body after "--boundary\r\n": its head and payload. */
struct part {
    char content_range[64];
    char content_type[64];
    const char *payload;
    size_t payload_length;
};

static const char *find_bytes(const char *from, const char *end, const char *text)
{
    size_t n = strlen(text);
    for (const char *p = from; p + n <= end; p++)
        if (memcmp(p, text, n) == 0)
            return p;
    return NULL;
}

static void copy_field(const char *head, const char *head_end, const char *name, char *out,
                       size_t size)
{
    out[0] = '\0';
    const char *at = find_bytes(head, head_end, name);
    if (!at)
        return;
    at += strlen(name);
    const char *eol = find_bytes(at, head_end + 2, "\r\n");
    size_t n = eol ? (size_t)(eol - at) : 0;
    if (n >= size)
        n = size - 1;
    memcpy(out, at, n);
    out[n] = '\0';
}

/* Splits body by boundary per RFC 9110 §14.6 / RFC 2046; returns the part count, or -1 when
 * the framing is wrong (missing CRLFs, no close delimiter, bytes after it). */
static int parse_byteranges(const char *body, size_t length, const char *boundary,
                            struct part *parts, int max)
{
    char delimiter[128], close[128];
    snprintf(delimiter, sizeof delimiter, "--%s\r\n", boundary);
    snprintf(close, sizeof close, "\r\n--%s", boundary);
    const char *end = body + length;
    if (length < strlen(delimiter) || memcmp(body, delimiter, strlen(delimiter)) != 0)
        return -1;
    const char *p = body + strlen(delimiter);
    int count = 0;
    for (;;) {
        if (count == max)
            return -1;
        const char *head_end = find_bytes(p, end, "\r\n\r\n");
        if (!head_end)
            return -1;
        struct part *part = &parts[count++];
        copy_field(p, head_end, "Content-Range: ", part->content_range, sizeof part->content_range);
        copy_field(p, head_end, "Content-Type: ", part->content_type, sizeof part->content_type);
        part->payload = head_end + 4;
        const char *next = find_bytes(part->payload, end, close);
        if (!next)
            return -1;
        part->payload_length = (size_t)(next - part->payload);
        p = next + strlen(close);
        if (end - p >= 4 && memcmp(p, "--\r\n", 4) == 0)
            return p + 4 == end ? count : -1;
        if (end - p < 2 || memcmp(p, "\r\n", 2) != 0)
            return -1;
        p += 2;
    }
}

static void range_several_is_multipart_byteranges_with_a_part_per_range(void **state)
{
    struct http_response *r = http_get_with(state, "/range/26", "Range: bytes=0-0,5-6");
    expect_status(r, 206);
    assert_null(http_header(r, "Content-Range"));
    const char *type = http_header(r, "Content-Type");
    const char *prefix = "multipart/byteranges; boundary=";
    assert_non_null(type);
    assert_int_equal(strncmp(type, prefix, strlen(prefix)), 0);
    struct part parts[4];
    int count = parse_byteranges(r->body, r->body_length, type + strlen(prefix), parts, 4);
    assert_int_equal(count, 2);
    assert_string_equal(parts[0].content_range, "bytes 0-0/26");
    assert_string_equal(parts[0].content_type, "application/octet-stream");
    assert_int_equal(parts[0].payload_length, 1);
    assert_memory_equal(parts[0].payload, "a", 1);
    assert_string_equal(parts[1].content_range, "bytes 5-6/26");
    assert_int_equal(parts[1].payload_length, 2);
    assert_memory_equal(parts[1].payload, "fg", 2);
    http_response_free(r);
}

static void range_beyond_the_end_is_416_with_content_range_star(void **state)
{
    struct http_response *r = http_get_with(state, "/range/26", "Range: bytes=30-");
    expect_status(r, 416);
    expect_header(r, "Content-Range", "bytes */26");
    http_response_free(r);
}

static void range_malformed_is_the_full_200(void **state)
{
    struct http_response *r = http_get_with(state, "/range/26", "Range: bytes=5-1");
    expect_status(r, 200);
    assert_int_equal(r->body_length, 26);
    http_response_free(r);
    r = http_get_with(state, "/range/26", "Range: pages=1-2");
    expect_status(r, 200);
    http_response_free(r);
}

static void range_overlapping_beyond_the_length_is_the_full_200(void **state)
{
    struct http_response *r = http_get_with(state, "/range/10", "Range: bytes=0-9,0-9");
    expect_status(r, 200);
    assert_int_equal(r->body_length, 10);
    http_response_free(r);
}

static void if_range_with_another_etag_is_the_full_200(void **state)
{
    struct http_response *r =
        get_with2(state, "/range/26", "Range: bytes=0-1", "If-Range: \"range-27\"");
    expect_status(r, 200);
    assert_int_equal(r->body_length, 26);
    http_response_free(r);
}

static void if_range_with_the_etag_is_206(void **state)
{
    struct http_response *r =
        get_with2(state, "/range/26", "Range: bytes=0-1", "If-Range: \"range-26\"");
    expect_status(r, 206);
    assert_int_equal(r->body_length, 2);
    expect_header(r, "Content-Range", "bytes 0-1/26");
    http_response_free(r);
}

static void if_range_with_a_weak_etag_is_the_full_200(void **state)
{
    struct http_response *r =
        get_with2(state, "/range/26", "Range: bytes=0-1", "If-Range: W/\"range-26\"");
    expect_status(r, 200);
    http_response_free(r);
}

static void range_if_none_match_is_304_with_the_full_length(void **state)
{
    struct http_response *r = http_get_with(state, "/range/100", "If-None-Match: \"range-100\"");
    expect_status(r, 304);
    assert_int_equal(r->body_length, 0);
    assert_int_equal(r->content_length, 100);
    expect_header(r, "ETag", "\"range-100\"");
    expect_header(r, "Cache-Control", "no-store");
    http_response_free(r);
}

static void range_zero_length_is_empty_and_every_range_is_416(void **state)
{
    struct http_response *r = http_get(state, "/range/0");
    expect_status(r, 200);
    assert_int_equal(r->body_length, 0);
    http_response_free(r);
    r = http_get_with(state, "/range/0", "Range: bytes=0-");
    expect_status(r, 416);
    expect_header(r, "Content-Range", "bytes */0");
    http_response_free(r);
}

static void range_over_10_mib_or_not_a_number_is_400(void **state)
{
    expect_bad_parameter(state, "/range/99999999999", "n");
    expect_bad_parameter(state, "/range/10485761", "n");
    expect_bad_parameter(state, "/range/abc", "n");
    struct http_response *r = http_get(state, "/range/10485760");
    expect_status(r, 200);
    assert_int_equal(r->body_length, 10485760);
    assert_int_equal(r->body[10485759], 'a' + (10485759 % 26));
    http_response_free(r);
}

/* ---- /bytes/{n} ---- */

static void bytes_with_the_same_seed_are_identical(void **state)
{
    struct http_response *a = http_get(state, "/bytes/64?seed=1");
    struct http_response *b = http_get(state, "/bytes/64?seed=1");
    expect_status(a, 200);
    expect_status(b, 200);
    assert_int_equal(a->body_length, 64);
    assert_int_equal(b->body_length, 64);
    assert_memory_equal(a->body, b->body, 64);
    expect_header(a, "Content-Type", "application/octet-stream");
    http_response_free(a);
    http_response_free(b);
}

static void bytes_with_another_seed_differ(void **state)
{
    struct http_response *a = http_get(state, "/bytes/64?seed=1");
    struct http_response *b = http_get(state, "/bytes/64?seed=2");
    assert_int_equal(b->body_length, 64);
    assert_memory_not_equal(a->body, b->body, 64);
    http_response_free(a);
    http_response_free(b);
}

static void bytes_without_seed_differ_each_time(void **state)
{
    struct http_response *a = http_get(state, "/bytes/32");
    struct http_response *b = http_get(state, "/bytes/32");
    expect_status(a, 200);
    assert_int_equal(a->body_length, 32);
    assert_memory_not_equal(a->body, b->body, 32);
    http_response_free(a);
    http_response_free(b);
}

static void bytes_bad_length_or_seed_is_400(void **state)
{
    expect_bad_parameter(state, "/bytes/abc", "n");
    expect_bad_parameter(state, "/bytes/10485761", "n");
    expect_bad_parameter(state, "/bytes/8?seed=-1", "seed");
    expect_bad_parameter(state, "/bytes/8?seed=x", "seed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(etag_200_carries_the_quoted_tag_and_no_cache),
        cmocka_unit_test(if_none_match_same_tag_is_304_repeating_etag_cache_control_and_vary),
        cmocka_unit_test(if_none_match_list_holding_the_tag_is_304),
        cmocka_unit_test(if_none_match_star_is_304),
        cmocka_unit_test(if_none_match_weak_tag_matches_by_weak_comparison),
        cmocka_unit_test(if_none_match_other_tag_is_200),
        cmocka_unit_test(if_none_match_in_a_second_field_line_counts),
        cmocka_unit_test(if_match_other_tag_is_412),
        cmocka_unit_test(if_match_same_tag_is_200),
        cmocka_unit_test(if_match_star_is_200),
        cmocka_unit_test(if_match_weak_tag_fails_strong_comparison),
        cmocka_unit_test(if_match_is_evaluated_before_if_none_match),
        cmocka_unit_test(etag_with_a_quote_space_or_too_many_characters_is_400),
        cmocka_unit_test(etag_head_has_the_get_s_length_and_no_body),
        cmocka_unit_test(cache_carries_last_modified_etag_and_no_cache),
        cmocka_unit_test(cache_if_modified_since_in_the_past_is_200),
        cmocka_unit_test(cache_if_modified_since_in_the_future_is_304),
        cmocka_unit_test(cache_if_modified_since_equal_to_last_modified_is_304),
        cmocka_unit_test(cache_if_modified_since_in_obsolete_formats_is_understood),
        cmocka_unit_test(cache_invalid_if_modified_since_is_ignored),
        cmocka_unit_test(cache_if_none_match_takes_precedence_over_if_modified_since),
        cmocka_unit_test(cache_etag_revalidates_to_304),
        cmocka_unit_test(cache_etag_differs_between_representations),
        cmocka_unit_test(cache_if_unmodified_since_before_last_modified_is_412),
        cmocka_unit_test(cache_for_30_is_public_max_age_30),
        cmocka_unit_test(cache_for_non_number_or_over_a_year_is_400),
        cmocka_unit_test(range_without_range_is_the_whole_alphabet_with_accept_ranges),
        cmocka_unit_test(range_single_is_206_with_content_range),
        cmocka_unit_test(range_suffix_is_the_last_bytes),
        cmocka_unit_test(range_several_is_multipart_byteranges_with_a_part_per_range),
        cmocka_unit_test(range_beyond_the_end_is_416_with_content_range_star),
        cmocka_unit_test(range_malformed_is_the_full_200),
        cmocka_unit_test(range_overlapping_beyond_the_length_is_the_full_200),
        cmocka_unit_test(if_range_with_another_etag_is_the_full_200),
        cmocka_unit_test(if_range_with_the_etag_is_206),
        cmocka_unit_test(if_range_with_a_weak_etag_is_the_full_200),
        cmocka_unit_test(range_if_none_match_is_304_with_the_full_length),
        cmocka_unit_test(range_zero_length_is_empty_and_every_range_is_416),
        cmocka_unit_test(range_over_10_mib_or_not_a_number_is_400),
        cmocka_unit_test(bytes_with_the_same_seed_are_identical),
        cmocka_unit_test(bytes_with_another_seed_differ),
        cmocka_unit_test(bytes_without_seed_differ_each_time),
        cmocka_unit_test(bytes_bad_length_or_seed_is_400),
    };
    return cmocka_run_group_tests_name("conditional", tests, server_group_setup,
                                       server_group_teardown);
}
