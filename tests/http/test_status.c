/* /status/{code} over real sockets (SPEC §2, §3): every catalogued code with its headers and
 * body, the codes outside the catalogue, lists and weights, and every parameter. The codes
 * come from the catalogue itself, so a code added there is tested here without an edit. */
#include "catalog.h"
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
#include <time.h>

#include <cmocka.h>

/* Loops over every code report each mismatch and fail once at the end, rather than stopping
 * at the first: one run then shows every broken entry, and whether they share a cause. */
#define CHECK(condition, ...)                                                                  \
    do {                                                                                       \
        if (!(condition)) {                                                                    \
            print_error(__VA_ARGS__);                                                          \
            print_error("\n");                                                                 \
            failures++;                                                                        \
        }                                                                                      \
    } while (0)

#define NO_HEADERS ((const char *const *)NULL)

static void assert_transfer_ok(const struct http_response *r)
{
    if (r->result != 0)
        fail_msg("transfer failed: %s", r->error);
}


/* GET /status/{key} for a catalogue entry. */
static struct http_response *get_entry(void **state, const struct catalog_entry *e)
{
    char target[64];
    snprintf(target, sizeof target, "/status/%s", e->key);
    return http_get(state, target);
}

static bool sends_interim(unsigned code)
{
    return code >= 100 && code < 200 && code != 101;
}

/* What the client sees as the final status for /status/{code} without parameters (§3). */
static long final_status(unsigned code)
{
    if (code == 101)
        return 426; /* no Upgrade in the request */
    return sends_interim(code) ? 200 : (long)code;
}

static bool has_no_body(long status)
{
    return status == 204 || status == 205 || status == 304;
}

/* --- every catalogued code ------------------------------------------------------------------- */

static void every_catalogued_code_is_sent_with_its_status(void **state)
{
    size_t failures = 0;
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct catalog_entry *e = catalog_at(i);
        struct http_response *r = get_entry(state, e);
        CHECK(r->result == 0, "%s: transfer failed: %s", e->key, r->error);
        CHECK(r->status == final_status(e->code), "%s: final status %ld, want %ld", e->key,
              r->status, final_status(e->code));
        if (sends_interim(e->code))
            CHECK(http_interim(r, e->code), "%s: no interim %u response before the final one",
                  e->key, e->code);
        if (e->code == 101)
            CHECK(http_header_lists(r, "Upgrade", "websocket"),
                  "101 without Upgrade: the 426 lacks 'Upgrade: websocket'");
        http_response_free(r);
    }
    assert_int_equal(failures, 0);
}

static void every_catalogued_code_carries_its_catalogue_headers(void **state)
{
    size_t failures = 0;
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct catalog_entry *e = catalog_at(i);
        struct http_response *r = get_entry(state, e);
        /* A 1xx's headers belong to the interim response that goes on the wire first. */
        const struct http_head *interim = sends_interim(e->code) ? http_interim(r, e->code)
                                                                 : NULL;
        for (size_t h = 0; h < e->header_count; h++) {
            const struct catalog_header *want = &e->headers[h];
            const char *got = interim ? http_head_header(interim, want->name)
                                      : http_header(r, want->name);
            CHECK(got, "%s: header %s missing", e->key, want->name);
            if (got && !strchr(want->value, '{'))
                CHECK(strcmp(got, want->value) == 0, "%s: %s is '%s', want '%s'", e->key,
                      want->name, got, want->value);
        }
        http_response_free(r);
    }
    assert_int_equal(failures, 0);
}

static void every_catalogued_code_has_a_true_content_length(void **state)
{
    size_t failures = 0;
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct catalog_entry *e = catalog_at(i);
        struct http_response *r = get_entry(state, e);
        long status = final_status(e->code);
        if (status == 204) {
            /* RFC 9110 §8.6: a server must not send Content-Length in a 204. */
            CHECK(r->content_length == -1, "204: Content-Length %lld sent", r->content_length);
        } else if (status == 205) {
            CHECK(r->content_length == 0, "205: Content-Length %lld, want 0", r->content_length);
        } else if (status != 304) {
            CHECK(r->content_length == (long long)r->body_length,
                  "%s: Content-Length %lld but %zu body bytes", e->key, r->content_length,
                  r->body_length);
        }
        if (has_no_body(status))
            CHECK(r->body_length == 0, "%s: %zu body bytes, want none", e->key, r->body_length);
        else
            CHECK(r->body_length > 0, "%s: empty body", e->key);
        http_response_free(r);
    }
    assert_int_equal(failures, 0);
}

static void every_catalogued_code_explains_itself_in_both_languages(void **state)
{
    size_t failures = 0;
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct catalog_entry *e = catalog_at(i);
        if (has_no_body(final_status(e->code)))
            continue;
        struct http_response *r = get_entry(state, e);
        CHECK(http_body_contains(r, e->key), "%s: body does not name the code", e->key);
        CHECK(http_body_contains(r, e->text[LANGUAGE_ZH].title), "%s: body lacks zh title '%s'",
              e->key, e->text[LANGUAGE_ZH].title);
        CHECK(http_body_contains(r, e->text[LANGUAGE_EN].title), "%s: body lacks en title '%s'",
              e->key, e->text[LANGUAGE_EN].title);
        http_response_free(r);
    }
    assert_int_equal(failures, 0);
}

static void every_catalogued_code_carries_the_common_headers(void **state)
{
    size_t failures = 0;
    for (size_t i = 0; i < catalog_count(); i++) {
        const struct catalog_entry *e = catalog_at(i);
        struct http_response *r = get_entry(state, e);
        const char *cache = http_header(r, "Cache-Control");
        CHECK(cache && strcmp(cache, "no-store") == 0, "%s: Cache-Control '%s'", e->key,
              cache ? cache : "(none)");
        const char *server = http_header(r, "Server");
        CHECK(server && strncmp(server, "statusd/", 8) == 0, "%s: Server '%s'", e->key,
              server ? server : "(none)");
        const char *origin = http_header(r, "Access-Control-Allow-Origin");
        CHECK(origin && strcmp(origin, "*") == 0, "%s: Access-Control-Allow-Origin '%s'",
              e->key, origin ? origin : "(none)");
        CHECK(http_header_lists(r, "Access-Control-Expose-Headers", "Location") &&
                  http_header_lists(r, "Access-Control-Expose-Headers", "Retry-After"),
              "%s: Access-Control-Expose-Headers lacks Location or Retry-After", e->key);
        CHECK(http_header_count(r, "Content-Length") <= 1, "%s: several Content-Length",
              e->key);
        http_response_free(r);
    }
    assert_int_equal(failures, 0);
}

/* --- codes outside the catalogue, and what is not a code ------------------------------------- */

static void codes_600_to_999_are_sent_as_is_with_their_class(void **state)
{
    static const unsigned codes[] = { 600, 799, 999 };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char target[32], code[8];
        snprintf(target, sizeof target, "/status/%u", codes[i]);
        snprintf(code, sizeof code, "%u", codes[i]);
        struct http_response *r = http_get(state, target);
        assert_transfer_ok(r);
        assert_true(http_expect_status(r, codes[i]));
        assert_true(http_body_contains(r, code));
        /* The body explains the class, since the catalogue has no entry for the code. */
        const struct catalog_class *k = catalog_class_of(codes[i]);
        assert_non_null(k);
        assert_true(http_body_contains(r, k->text[LANGUAGE_EN].title));
        assert_true(http_body_contains(r, k->text[LANGUAGE_ZH].title));
        http_response_free(r);
    }
}

static void anything_but_a_code_is_400_naming_code(void **state)
{
    static const char *const bad[] = { "000", "99", "1000", "abc", "20", "2000", "-1", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char target[32];
        snprintf(target, sizeof target, "/status/%s", bad[i]);
        struct http_response *r = http_get(state, target);
        http_assert_bad_parameter(r, "code");
        http_response_free(r);
    }
}

/* --- IIS sub-statuses ------------------------------------------------------------------------ */

static void sub_status_403_4_is_403_explaining_403_4(void **state)
{
    struct http_response *r = http_get(state, "/status/403.4");
    assert_transfer_ok(r);
    assert_true(http_expect_status(r, 403));
    assert_true(http_body_contains(r, "403.4"));
    const struct catalog_entry *e = catalog_find(403, 4);
    assert_non_null(e);
    assert_true(http_body_contains(r, e->text[LANGUAGE_EN].title));
    http_response_free(r);
}

static void unknown_sub_status_is_400_listing_the_known_ones(void **state)
{
    struct http_response *r = http_get(state, "/status/403.99");
    http_assert_bad_parameter(r, "code");
    assert_true(http_body_contains(r, "403.1"));
    assert_true(http_body_contains(r, "403.17"));
    http_response_free(r);
}

static void sub_status_of_a_code_without_any_is_400(void **state)
{
    struct http_response *r = http_get(state, "/status/200.5");
    http_assert_bad_parameter(r, "code");
    http_response_free(r);
}

/* --- lists and weights ----------------------------------------------------------------------- */

static void list_with_seed_picks_the_same_code_every_time(void **state)
{
    struct http_response *first = http_get(state, "/status/200,500?seed=7");
    struct http_response *second = http_get(state, "/status/200,500?seed=7");
    assert_transfer_ok(first);
    assert_transfer_ok(second);
    assert_true(first->status == 200 || first->status == 500);
    assert_true(http_expect_status(first, second->status));
    http_response_free(first);
    http_response_free(second);
}

static void list_weight_0_is_never_picked(void **state)
{
    for (int i = 0; i < 10; i++) {
        struct http_response *r = http_get(state, "/status/200:0,503:1");
        assert_transfer_ok(r);
        assert_true(http_expect_status(r, 503));
        /* The picked code carries its own headers (§1: same code, same headers). */
        assert_non_null(http_header(r, "Retry-After"));
        http_response_free(r);
    }
}

static void list_with_all_weights_0_is_400(void **state)
{
    struct http_response *r = http_get(state, "/status/200:0,500:0");
    http_assert_bad_parameter(r, "code");
    http_response_free(r);
}

static void list_pick_depends_on_the_seed(void **state)
{
    bool seen_200 = false, seen_500 = false;
    for (int seed = 0; seed <= 50; seed++) {
        char target[64];
        snprintf(target, sizeof target, "/status/200,500?seed=%d", seed);
        struct http_response *r = http_get(state, target);
        assert_transfer_ok(r);
        if (r->status == 200)
            seen_200 = true;
        else if (r->status == 500)
            seen_500 = true;
        else
            fail_msg("seed %d picked %ld, not in the list", seed, r->status);
        http_response_free(r);
    }
    assert_true(seen_200);
    assert_true(seen_500);
}

static void bad_seed_is_400_naming_seed(void **state)
{
    struct http_response *r = http_get(state, "/status/200,500?seed=abc");
    http_assert_bad_parameter(r, "seed");
    http_response_free(r);
}

/* --- location= ------------------------------------------------------------------------------- */

static void status_302_has_location_and_links_it(void **state)
{
    struct http_response *r = http_get(state, "/status/302");
    assert_true(http_expect_status(r, 302));
    assert_string_equal(http_header(r, "Location"), "/status/200");
    assert_true(http_body_contains(r, "/status/200"));
    http_response_free(r);

    r = http_get(state, "/status/302?location=/somewhere/else");
    assert_true(http_expect_status(r, 302));
    assert_string_equal(http_header(r, "Location"), "/somewhere/else");
    assert_int_equal(http_header_count(r, "Location"), 1);
    assert_true(http_body_contains(r, "/somewhere/else"));
    http_response_free(r);

    r = http_get_with(state, "/status/302?location=https://example.com/x", "Accept: text/html");
    assert_true(http_expect_status(r, 302));
    assert_string_equal(http_header(r, "Location"), "https://example.com/x");
    assert_true(http_body_contains(r, "href=\"https://example.com/x\""));
    http_response_free(r);
}

static void location_parameter_sets_the_201_location(void **state)
{
    struct http_response *r = http_get(state, "/status/201");
    assert_true(http_expect_status(r, 201));
    assert_string_equal(http_header(r, "Location"), "/anything/created");
    http_response_free(r);

    r = http_get(state, "/status/201?location=/made/here");
    assert_true(http_expect_status(r, 201));
    assert_string_equal(http_header(r, "Location"), "/made/here");
    http_response_free(r);
}

static void bad_location_is_400_and_never_reaches_a_header(void **state)
{
    static const char *const targets[] = {
        "/status/302?location=javascript:alert(1)",
        "/status/302?location=/a%20b",
        "/status/302?location=/a%0d%0aX-Injected:%20yes",
        "/status/302?location=/a%0aX-Injected:%20yes",
    };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        struct http_response *r = http_get(state, targets[i]);
        http_assert_bad_parameter(r, "location");
        assert_null(http_header(r, "X-Injected"));
        assert_null(http_header(r, "Location"));
        http_response_free(r);
    }
}

/* --- retry_after= ---------------------------------------------------------------------------- */

static void retry_after_sets_seconds_on_503_and_429(void **state)
{
    static const char *const targets[] = { "/status/503?retry_after=120",
                                           "/status/429?retry_after=120" };
    for (size_t i = 0; i < 2; i++) {
        struct http_response *r = http_get(state, targets[i]);
        assert_true(http_expect_status(r, i == 0 ? 503 : 429));
        assert_string_equal(http_header(r, "Retry-After"), "120");
        assert_int_equal(http_header_count(r, "Retry-After"), 1);
        http_response_free(r);
    }
}

static void retry_after_date_is_an_http_date_that_many_seconds_ahead(void **state)
{
    time_t before = time(NULL);
    struct http_response *r = http_get(state, "/status/503?retry_after=date:60");
    time_t after = time(NULL);
    assert_true(http_expect_status(r, 503));
    const char *value = http_header(r, "Retry-After");
    assert_non_null(value);
    size_t n = strlen(value);
    assert_true(n > 4 && strcmp(value + n - 4, " GMT") == 0);
    /* IMF-fixdate (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT". */
    struct tm when = { 0 };
    const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &when);
    assert_non_null(end);
    assert_int_equal(*end, '\0');
    time_t at = timegm(&when);
    assert_in_range(at, before + 59, after + 61);
    http_response_free(r);
}

static void retry_after_is_added_to_413(void **state)
{
    struct http_response *r = http_get(state, "/status/413?retry_after=30");
    assert_true(http_expect_status(r, 413));
    assert_string_equal(http_header(r, "Retry-After"), "30");
    assert_true(http_header_lists(r, "Connection", "close"));
    http_response_free(r);
}

static void bad_retry_after_is_400(void **state)
{
    static const char *const targets[] = { "/status/503?retry_after=-1",
                                           "/status/503?retry_after=abc",
                                           "/status/503?retry_after=date:x" };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        struct http_response *r = http_get(state, targets[i]);
        http_assert_bad_parameter(r, "retry_after");
        assert_null(http_header(r, "Retry-After"));
        http_response_free(r);
    }
}

/* --- scheme= and realm= ---------------------------------------------------------------------- */

static void status_401_challenges_basic_by_default(void **state)
{
    struct http_response *r = http_get(state, "/status/401");
    assert_true(http_expect_status(r, 401));
    assert_string_equal(http_header(r, "WWW-Authenticate"), "Basic realm=\"statusd\"");
    http_response_free(r);
}

static void scheme_and_realm_choose_the_401_challenge(void **state)
{
    struct http_response *r = http_get(state, "/status/401?scheme=bearer");
    assert_true(http_expect_status(r, 401));
    const char *value = http_header(r, "WWW-Authenticate");
    assert_non_null(value);
    assert_true(strncmp(value, "Bearer ", 7) == 0);
    http_response_free(r);

    r = http_get(state, "/status/401?scheme=digest");
    assert_true(http_expect_status(r, 401));
    value = http_header(r, "WWW-Authenticate");
    assert_non_null(value);
    assert_true(strncmp(value, "Digest ", 7) == 0);
    assert_non_null(strstr(value, "nonce=\""));
    assert_non_null(strstr(value, "realm=\"statusd\""));
    http_response_free(r);

    r = http_get(state, "/status/401?realm=x");
    assert_true(http_expect_status(r, 401));
    assert_string_equal(http_header(r, "WWW-Authenticate"), "Basic realm=\"x\"");
    http_response_free(r);
}

static void realm_with_a_quote_is_400(void **state)
{
    struct http_response *r = http_get(state, "/status/401?realm=a%22b");
    http_assert_bad_parameter(r, "realm");
    assert_null(http_header(r, "WWW-Authenticate"));
    http_response_free(r);
}

static void unknown_scheme_is_400(void **state)
{
    struct http_response *r = http_get(state, "/status/401?scheme=ntlm");
    http_assert_bad_parameter(r, "scheme");
    http_response_free(r);
}

static void status_407_has_proxy_authenticate(void **state)
{
    struct http_response *r = http_get(state, "/status/407");
    assert_true(http_expect_status(r, 407));
    const char *value = http_header(r, "Proxy-Authenticate");
    assert_non_null(value);
    assert_true(strncmp(value, "Basic ", 6) == 0);
    assert_null(http_header(r, "WWW-Authenticate"));
    http_response_free(r);

    r = http_get(state, "/status/407?scheme=bearer&realm=corp");
    assert_true(http_expect_status(r, 407));
    assert_string_equal(http_header(r, "Proxy-Authenticate"), "Bearer realm=\"corp\"");
    http_response_free(r);
}

/* --- allow= ---------------------------------------------------------------------------------- */

static void status_405_allow_lists_methods_other_than_the_request_s(void **state)
{
    static const char *const methods[] = { "GET", "POST", "PUT", "DELETE" };
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        struct http_response *r = http_request(*state, methods[i], "/status/405", NO_HEADERS,
                                               NULL);
        assert_true(http_expect_status(r, 405));
        assert_non_null(http_header(r, "Allow"));
        assert_false(http_header_lists(r, "Allow", methods[i]));
        assert_true(http_header_lists(r, "Allow", strcmp(methods[i], "GET") ? "GET" : "POST"));
        http_response_free(r);
    }
}

static void allow_parameter_overrides_the_405_allow(void **state)
{
    struct http_response *r = http_get(state, "/status/405?allow=GET,POST");
    assert_true(http_expect_status(r, 405));
    assert_true(http_header_lists(r, "Allow", "GET"));
    assert_true(http_header_lists(r, "Allow", "POST"));
    assert_false(http_header_lists(r, "Allow", "PUT"));
    assert_int_equal(http_header_count(r, "Allow"), 1);
    http_response_free(r);
}

/* --- h= -------------------------------------------------------------------------------------- */

static void h_adds_the_header_and_exposes_it(void **state)
{
    struct http_response *r = http_get(state, "/status/200?h=X-Test:yes&h=X-Other:%20two");
    assert_true(http_expect_status(r, 200));
    assert_string_equal(http_header(r, "X-Test"), "yes");
    assert_string_equal(http_header(r, "X-Other"), "two");
    assert_true(http_header_lists(r, "Access-Control-Expose-Headers", "X-Test"));
    assert_true(http_header_lists(r, "Access-Control-Expose-Headers", "X-Other"));
    assert_true(http_header_lists(r, "Access-Control-Expose-Headers", "Location"));
    assert_int_equal(http_header_count(r, "Access-Control-Expose-Headers"), 1);
    http_response_free(r);
}

static void h_with_control_bytes_or_framing_headers_is_400(void **state)
{
    static const char *const targets[] = {
        "/status/200?h=X-Test:a%0d%0aX-Injected:%20yes",
        "/status/200?h=X-Test:a%0aX-Injected:%20yes",
        "/status/200?h=X-Test:a%01b",
        "/status/200?h=Content-Length:5",
        "/status/200?h=Transfer-Encoding:chunked",
        "/status/200?h=X%20Test:yes",
        "/status/200?h=NoColon",
    };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        struct http_response *r = http_get(state, targets[i]);
        http_assert_bad_parameter(r, "h");
        assert_null(http_header(r, "X-Injected"));
        assert_null(http_header(r, "X-Test"));
        assert_null(http_header(r, "Transfer-Encoding"));
        assert_int_equal(http_header_count(r, "Content-Length"), 1);
        assert_int_equal(r->content_length, (long long)r->body_length);
        http_response_free(r);
    }
}

/* A NUL cannot be carried in a header value; cutting the value short at it would send
 * something the client did not ask for, so it is refused like any other control byte. */
static void nul_byte_in_h_or_location_is_400_not_truncated(void **state)
{
    struct http_response *r = http_get(state, "/status/200?h=X-Test:a%00b");
    http_assert_bad_parameter(r, "h");
    assert_null(http_header(r, "X-Test"));
    http_response_free(r);

    r = http_get(state, "/status/302?location=/a%00b");
    http_assert_bad_parameter(r, "location");
    assert_null(http_header(r, "Location"));
    http_response_free(r);
}

/* --- 206 and ranges -------------------------------------------------------------------------- */

/* The whole explanation a 206 slices, and its length. */
static struct http_response *full_206(void **state)
{
    struct http_response *r = http_get_with(state, "/status/206", "Range: bytes=0-");
    assert_true(http_expect_status(r, 206));
    char want[64];
    snprintf(want, sizeof want, "bytes 0-%zu/%zu", r->body_length - 1, r->body_length);
    assert_string_equal(http_header(r, "Content-Range"), want);
    return r;
}

static void status_206_without_range_sends_the_first_half(void **state)
{
    struct http_response *full = full_206(state);
    size_t n = full->body_length;
    struct http_response *r = http_get(state, "/status/206");
    assert_true(http_expect_status(r, 206));
    char want[64];
    snprintf(want, sizeof want, "bytes 0-%zu/%zu", n / 2 - 1, n);
    assert_string_equal(http_header(r, "Content-Range"), want);
    assert_int_equal(r->body_length, n / 2);
    assert_int_equal(r->content_length, (long long)(n / 2));
    assert_memory_equal(r->body, full->body, n / 2);
    http_response_free(r);
    http_response_free(full);
}

static void status_206_with_range_sends_that_range(void **state)
{
    struct http_response *full = full_206(state);
    size_t n = full->body_length;
    struct http_response *r = http_get_with(state, "/status/206", "Range: bytes=0-9");
    assert_true(http_expect_status(r, 206));
    assert_int_equal(r->body_length, 10);
    assert_int_equal(r->content_length, 10);
    char want[64];
    snprintf(want, sizeof want, "bytes 0-9/%zu", n);
    assert_string_equal(http_header(r, "Content-Range"), want);
    assert_memory_equal(r->body, full->body, 10);
    http_response_free(r);
    http_response_free(full);
}

/* Content-Range must name the bytes actually sent, wherever the range starts. */
static void status_206_content_range_names_the_range_sent(void **state)
{
    struct http_response *full = full_206(state);
    size_t n = full->body_length;
    char want[64];
    struct http_response *r = http_get_with(state, "/status/206", "Range: bytes=10-19");
    assert_true(http_expect_status(r, 206));
    assert_int_equal(r->body_length, 10);
    assert_memory_equal(r->body, full->body + 10, 10);
    snprintf(want, sizeof want, "bytes 10-19/%zu", n);
    assert_string_equal(http_header(r, "Content-Range"), want);
    http_response_free(r);

    r = http_get_with(state, "/status/206", "Range: bytes=-5");
    assert_true(http_expect_status(r, 206));
    assert_int_equal(r->body_length, 5);
    assert_memory_equal(r->body, full->body + n - 5, 5);
    snprintf(want, sizeof want, "bytes %zu-%zu/%zu", n - 5, n - 1, n);
    assert_string_equal(http_header(r, "Content-Range"), want);
    http_response_free(r);
    http_response_free(full);
}

static void status_206_with_unsatisfiable_range_is_416_with_the_full_length(void **state)
{
    struct http_response *full = full_206(state);
    struct http_response *r = http_get_with(state, "/status/206", "Range: bytes=999999-");
    assert_true(http_expect_status(r, 416));
    /* RFC 9110 §14.4: the complete length of the selected representation, which is the
     * explanation the 206 slices, not the 416's own body. */
    char want[64];
    snprintf(want, sizeof want, "bytes */%zu", full->body_length);
    assert_string_equal(http_header(r, "Content-Range"), want);
    http_response_free(r);
    http_response_free(full);
}

/* --- 1xx then= ------------------------------------------------------------------------------- */

static void interim_then_chooses_the_final_status(void **state)
{
    struct http_response *r = http_get(state, "/status/100?then=404");
    assert_transfer_ok(r);
    assert_true(http_expect_status(r, 404));
    assert_non_null(http_interim(r, 100));
    /* The body explains the interim code it followed. */
    assert_true(http_body_contains(r, "100"));
    assert_true(http_body_contains(r, catalog_find(100, 0)->text[LANGUAGE_EN].title));
    http_response_free(r);

    r = http_get(state, "/status/103?then=201");
    assert_true(http_expect_status(r, 201));
    const struct http_head *early = http_interim(r, 103);
    assert_non_null(early);
    assert_non_null(http_head_header(early, "Link"));
    /* Same code, same headers: the final 201 has its Location. */
    assert_non_null(http_header(r, "Location"));
    http_response_free(r);
}

static void interim_then_must_be_a_final_status(void **state)
{
    static const char *const targets[] = { "/status/102?then=150", "/status/102?then=abc",
                                           "/status/102?then=1000" };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        struct http_response *r = http_get(state, targets[i]);
        http_assert_bad_parameter(r, "then");
        http_response_free(r);
    }
}

/* --- responses are built once and shared: nothing may leak between requests -------------- */

static void parameters_never_leak_into_the_next_response(void **state)
{
    struct http_response *r = http_get(state, "/status/503?retry_after=120&h=X-Test:yes");
    assert_string_equal(http_header(r, "Retry-After"), "120");
    http_response_free(r);
    r = http_get(state, "/status/503");
    assert_true(http_expect_status(r, 503));
    assert_string_equal(http_header(r, "Retry-After"), "5");
    assert_null(http_header(r, "X-Test"));
    assert_false(http_header_lists(r, "Access-Control-Expose-Headers", "X-Test"));
    http_response_free(r);

    r = http_get(state, "/status/302?location=/first");
    http_response_free(r);
    r = http_get(state, "/status/302");
    assert_string_equal(http_header(r, "Location"), "/status/200");
    assert_false(http_body_contains(r, "/first"));
    http_response_free(r);
}

static void unknown_parameters_are_ignored(void **state)
{
    struct http_response *plain = http_get(state, "/status/418");
    struct http_response *r = http_get(state, "/status/418?cachebust=12345&x=y");
    assert_true(http_expect_status(r, 418));
    assert_int_equal(r->body_length, plain->body_length);
    assert_memory_equal(r->body, plain->body, plain->body_length);
    http_response_free(r);
    http_response_free(plain);
}

/* --- HEAD ------------------------------------------------------------------------------------ */

/* HEAD has GET's status and headers (Date aside) and no body (RFC 9110 §9.3.2). */
static void assert_head_matches_get(void **state, const char *target)
{
    struct http_response *g = http_get(state, target);
    struct http_response *h = http_request(*state, "HEAD", target, NO_HEADERS, NULL);
    assert_transfer_ok(g);
    assert_transfer_ok(h);
    assert_true(http_expect_status(h, g->status));
    assert_int_equal(h->body_length, 0);
    assert_int_equal(h->content_length, (long long)g->body_length);
    const struct http_head *gh = &g->heads[g->head_count - 1];
    const struct http_head *hh = &h->heads[h->head_count - 1];
    assert_int_equal(hh->header_count, gh->header_count);
    for (size_t i = 0; i < gh->header_count; i++) {
        if (strcasecmp(gh->headers[i].name, "Date") == 0)
            continue;
        const char *value = http_header(h, gh->headers[i].name);
        if (!value)
            fail_msg("HEAD %s lacks %s", target, gh->headers[i].name);
        assert_string_equal(value, gh->headers[i].value);
    }
    http_response_free(g);
    http_response_free(h);
}

static void head_has_get_s_status_and_headers_without_body(void **state)
{
    assert_head_matches_get(state, "/status/200");
    assert_head_matches_get(state, "/status/302");
    assert_head_matches_get(state, "/status/503?retry_after=7");
}

int main(void)
{
    char error[512];
    if (!catalog_load(error, sizeof error)) {
        fprintf(stderr, "catalog_load: %s\n", error);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_catalogued_code_is_sent_with_its_status),
        cmocka_unit_test(every_catalogued_code_carries_its_catalogue_headers),
        cmocka_unit_test(every_catalogued_code_has_a_true_content_length),
        cmocka_unit_test(every_catalogued_code_explains_itself_in_both_languages),
        cmocka_unit_test(every_catalogued_code_carries_the_common_headers),
        cmocka_unit_test(codes_600_to_999_are_sent_as_is_with_their_class),
        cmocka_unit_test(anything_but_a_code_is_400_naming_code),
        cmocka_unit_test(sub_status_403_4_is_403_explaining_403_4),
        cmocka_unit_test(unknown_sub_status_is_400_listing_the_known_ones),
        cmocka_unit_test(sub_status_of_a_code_without_any_is_400),
        cmocka_unit_test(list_with_seed_picks_the_same_code_every_time),
        cmocka_unit_test(list_weight_0_is_never_picked),
        cmocka_unit_test(list_with_all_weights_0_is_400),
        cmocka_unit_test(list_pick_depends_on_the_seed),
        cmocka_unit_test(bad_seed_is_400_naming_seed),
        cmocka_unit_test(status_302_has_location_and_links_it),
        cmocka_unit_test(location_parameter_sets_the_201_location),
        cmocka_unit_test(bad_location_is_400_and_never_reaches_a_header),
        cmocka_unit_test(retry_after_sets_seconds_on_503_and_429),
        cmocka_unit_test(retry_after_date_is_an_http_date_that_many_seconds_ahead),
        cmocka_unit_test(retry_after_is_added_to_413),
        cmocka_unit_test(bad_retry_after_is_400),
        cmocka_unit_test(status_401_challenges_basic_by_default),
        cmocka_unit_test(scheme_and_realm_choose_the_401_challenge),
        cmocka_unit_test(realm_with_a_quote_is_400),
        cmocka_unit_test(unknown_scheme_is_400),
        cmocka_unit_test(status_407_has_proxy_authenticate),
        cmocka_unit_test(status_405_allow_lists_methods_other_than_the_request_s),
        cmocka_unit_test(allow_parameter_overrides_the_405_allow),
        cmocka_unit_test(h_adds_the_header_and_exposes_it),
        cmocka_unit_test(h_with_control_bytes_or_framing_headers_is_400),
        cmocka_unit_test(nul_byte_in_h_or_location_is_400_not_truncated),
        cmocka_unit_test(status_206_without_range_sends_the_first_half),
        cmocka_unit_test(status_206_with_range_sends_that_range),
        cmocka_unit_test(status_206_content_range_names_the_range_sent),
        cmocka_unit_test(status_206_with_unsatisfiable_range_is_416_with_the_full_length),
        cmocka_unit_test(interim_then_chooses_the_final_status),
        cmocka_unit_test(interim_then_must_be_a_final_status),
        cmocka_unit_test(parameters_never_leak_into_the_next_response),
        cmocka_unit_test(unknown_parameters_are_ignored),
        cmocka_unit_test(head_has_get_s_status_and_headers_without_body),
    };
    int failed = cmocka_run_group_tests_name("status", tests, server_group_setup,
                                             server_group_teardown);
    catalog_unload();
    return failed;
}
