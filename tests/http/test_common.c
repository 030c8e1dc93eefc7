/* What every URL shares (SPEC §1) and the pages around /status (§10, §11), over real sockets:
 * negotiation, language, OPTIONS and CORS, unknown paths, ?delay=, request limits, and the
 * daemon's concurrency and shutdown. Tests that need other flags start their own server. */
#include "catalog.h"
#include "http.h"
#include "server.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define NO_HEADERS ((const char *const *)NULL)


static void assert_content_type(const struct http_response *r, const char *want)
{
    const char *type = http_header(r, "Content-Type");
    if (!type || strcmp(type, want) != 0)
        fail_msg("%s: Content-Type '%s', want '%s'", r->request, type ? type : "(none)", want);
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static const struct catalog_entry *entry_200(void)
{
    const struct catalog_entry *e = catalog_find(200, 0);
    assert_non_null(e);
    return e;
}

/* --- representation -------------------------------------------------------------------------- */

static void accept_json_gives_the_explanation_as_json(void **state)
{
    struct http_response *r = http_get_with(state, "/status/404", "Accept: application/json");
    assert_true(http_expect_status(r, 404));
    assert_content_type(r, "application/json");
    json_error_t error;
    json_t *root = json_loadb(r->body, r->body_length, 0, &error);
    if (!root)
        fail_msg("not JSON (%s at line %d):\n%s", error.text, error.line, r->body);
    assert_true(json_is_object(root));
    assert_int_equal(json_integer_value(json_object_get(root, "status")), 404);
    assert_string_equal(json_string_value(json_object_get(root, "code")), "404");
    assert_string_equal(json_string_value(json_object_get(root, "reason")), "Not Found");
    const struct catalog_entry *e = catalog_find(404, 0);
    json_t *zh = json_object_get(root, "zh"), *en = json_object_get(root, "en");
    assert_true(json_is_object(zh));
    assert_true(json_is_object(en));
    assert_string_equal(json_string_value(json_object_get(zh, "title")),
                        e->text[LANGUAGE_ZH].title);
    assert_string_equal(json_string_value(json_object_get(en, "title")),
                        e->text[LANGUAGE_EN].title);
    assert_true(json_is_array(json_object_get(root, "headers")));
    json_decref(root);
    http_response_free(r);
}

static void json_lists_the_headers_sent_on_purpose(void **state)
{
    struct http_response *r = http_get_with(state, "/status/503?retry_after=9",
                                       "Accept: application/json");
    assert_true(http_expect_status(r, 503));
    json_t *root = json_loadb(r->body, r->body_length, 0, NULL);
    assert_non_null(root);
    json_t *headers = json_object_get(root, "headers");
    bool found = false;
    for (size_t i = 0; i < json_array_size(headers); i++) {
        json_t *h = json_array_get(headers, i);
        const char *name = json_string_value(json_object_get(h, "name"));
        if (name && strcmp(name, "Retry-After") == 0) {
            assert_string_equal(json_string_value(json_object_get(h, "value")), "9");
            found = true;
        }
    }
    assert_true(found);
    json_decref(root);
    http_response_free(r);
}

static void accept_html_gives_a_page_with_a_content_security_policy(void **state)
{
    struct http_response *r = http_get_with(state, "/status/418", "Accept: text/html");
    assert_true(http_expect_status(r, 418));
    assert_content_type(r, "text/html; charset=utf-8");
    assert_true(strncmp(r->body, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(http_header(r, "Content-Security-Policy"));
    assert_true(http_body_contains(r, catalog_find(418, 0)->text[LANGUAGE_ZH].title));
    http_response_free(r);
}

static void any_or_no_accept_gives_plain_text(void **state)
{
    static const char *const accepts[] = { "Accept: */*", "Accept:", "Accept: text/*",
                                           "Accept: image/png" };
    for (size_t i = 0; i < sizeof accepts / sizeof accepts[0]; i++) {
        struct http_response *r = http_get_with(state, "/status/200", accepts[i]);
        assert_true(http_expect_status(r, 200));
        assert_content_type(r, "text/plain; charset=utf-8");
        http_response_free(r);
    }
}

static void accept_q_values_are_honoured(void **state)
{
    struct http_response *r = http_get_with(state, "/status/200",
                                       "Accept: application/json;q=0.5, text/html");
    assert_true(http_expect_status(r, 200));
    assert_content_type(r, "text/html; charset=utf-8");
    http_response_free(r);

    r = http_get_with(state, "/status/200", "Accept: text/html;q=0, application/json");
    assert_true(http_expect_status(r, 200));
    assert_content_type(r, "application/json");
    http_response_free(r);

    r = http_get_with(state, "/status/200", "Accept: text/html;q=0.2, application/json;q=0.9");
    assert_content_type(r, "application/json");
    http_response_free(r);
}

static void format_parameter_overrides_accept(void **state)
{
    struct http_response *r = http_get_with(state, "/status/200?format=json", "Accept: text/html");
    assert_true(http_expect_status(r, 200));
    assert_content_type(r, "application/json");
    json_t *parsed = json_loadb(r->body, r->body_length, 0, NULL);
    assert_non_null(parsed);
    json_decref(parsed);
    http_response_free(r);

    r = http_get_with(state, "/status/200?format=text", "Accept: application/json");
    assert_content_type(r, "text/plain; charset=utf-8");
    http_response_free(r);
}

static void unknown_format_is_400_naming_format(void **state)
{
    struct http_response *r = http_get(state, "/status/200?format=xml");
    http_assert_bad_parameter(r, "format");
    http_response_free(r);
}

static void negotiated_responses_vary_on_accept(void **state)
{
    struct http_response *r = http_get(state, "/status/200");
    assert_true(http_header_lists(r, "Vary", "Accept"));
    assert_true(http_header_lists(r, "Vary", "Accept-Language"));
    http_response_free(r);
}

/* --- language -------------------------------------------------------------------------------- */

static void default_text_puts_chinese_before_english(void **state)
{
    const struct catalog_entry *e = entry_200();
    struct http_response *r = http_get(state, "/status/200");
    long zh = http_body_find(r, e->text[LANGUAGE_ZH].meaning);
    long en = http_body_find(r, e->text[LANGUAGE_EN].meaning);
    assert_true(zh >= 0);
    assert_true(en >= 0);
    assert_true(zh < en);
    http_response_free(r);
}

static void accept_language_english_puts_english_first(void **state)
{
    const struct catalog_entry *e = entry_200();
    struct http_response *r = http_get_with(state, "/status/200", "Accept-Language: en-US,en;q=0.9");
    long zh = http_body_find(r, e->text[LANGUAGE_ZH].meaning);
    long en = http_body_find(r, e->text[LANGUAGE_EN].meaning);
    assert_true(zh >= 0);
    assert_true(en >= 0);
    assert_true(en < zh);
    http_response_free(r);
}

static void lang_parameter_gives_one_language_only(void **state)
{
    const struct catalog_entry *e = catalog_find(404, 0);
    struct http_response *r = http_get(state, "/status/404?lang=en");
    assert_true(http_expect_status(r, 404));
    assert_true(http_body_contains(r, e->text[LANGUAGE_EN].title));
    assert_false(http_body_contains(r, e->text[LANGUAGE_ZH].title));
    assert_false(http_body_contains(r, e->text[LANGUAGE_ZH].meaning));
    http_response_free(r);

    /* The reason phrase ("404 Not Found") is English in any language; the explanation is not. */
    r = http_get(state, "/status/404?lang=zh");
    assert_true(http_expect_status(r, 404));
    assert_true(http_body_contains(r, e->text[LANGUAGE_ZH].title));
    assert_false(http_body_contains(r, e->text[LANGUAGE_EN].meaning));
    assert_false(http_body_contains(r, e->text[LANGUAGE_EN].advice));
    http_response_free(r);
}

static void unknown_lang_is_400_naming_lang(void **state)
{
    struct http_response *r = http_get(state, "/status/200?lang=fr");
    http_assert_bad_parameter(r, "lang");
    http_response_free(r);
}

/* --- OPTIONS, CORS and methods --------------------------------------------------------------- */

static void options_answers_204_with_the_path_s_allow(void **state)
{
    struct http_response *r = http_request(*state, "OPTIONS", "/health", NO_HEADERS, NULL);
    assert_true(http_expect_status(r, 204));
    assert_true(http_header_lists(r, "Allow", "GET"));
    assert_true(http_header_lists(r, "Allow", "HEAD"));
    assert_true(http_header_lists(r, "Allow", "OPTIONS"));
    assert_false(http_header_lists(r, "Allow", "POST"));
    assert_int_equal(r->body_length, 0);
    http_response_free(r);
}

static void options_on_status_is_just_another_method(void **state)
{
    struct http_response *r = http_request(*state, "OPTIONS", "/status/200", NO_HEADERS, NULL);
    assert_true(http_expect_status(r, 200));
    http_response_free(r);

    r = http_request(*state, "OPTIONS", "/status/418", NO_HEADERS, NULL);
    assert_true(http_expect_status(r, 418));
    http_response_free(r);
}

static void cors_preflight_is_204_with_the_allow_headers(void **state)
{
    struct http_response *r = http_request(
        *state, "OPTIONS", "/status/200",
        (const char *[]){ "Origin: https://example.com", "Access-Control-Request-Method: PUT",
                          "Access-Control-Request-Headers: X-Custom", NULL },
        NULL);
    assert_true(http_expect_status(r, 204));
    assert_true(http_header_lists(r, "Access-Control-Allow-Methods", "PUT"));
    assert_string_equal(http_header(r, "Access-Control-Allow-Origin"), "*");
    assert_non_null(http_header(r, "Access-Control-Allow-Headers"));
    http_response_free(r);
}

static void wrong_method_is_405_with_allow(void **state)
{
    struct http_response *r = http_request(*state, "POST", "/health", NO_HEADERS, "x");
    assert_true(http_expect_status(r, 405));
    assert_true(http_header_lists(r, "Allow", "GET"));
    assert_false(http_header_lists(r, "Allow", "POST"));
    http_response_free(r);
}

static void any_method_reaches_status(void **state)
{
    static const char *const methods[] = { "POST", "PUT", "PATCH", "DELETE", "BREW" };
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        struct http_response *r = http_request(*state, methods[i], "/status/418", NO_HEADERS,
                                               NULL);
        assert_true(http_expect_status(r, 418));
        http_response_free(r);
    }
}

/* --- pages ----------------------------------------------------------------------------------- */

static void unknown_path_is_404_in_both_languages_linking_home(void **state)
{
    const struct catalog_entry *e = catalog_find(404, 0);
    struct http_response *r = http_get(state, "/nope");
    assert_true(http_expect_status(r, 404));
    assert_true(http_body_contains(r, e->text[LANGUAGE_ZH].title));
    assert_true(http_body_contains(r, e->text[LANGUAGE_EN].title));
    assert_string_equal(http_header(r, "Cache-Control"), "no-store");
    http_response_free(r);

    r = http_get_with(state, "/nope", "Accept: application/json");
    assert_true(http_expect_status(r, 404));
    json_t *root = json_loadb(r->body, r->body_length, 0, NULL);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "link")), "/");
    json_decref(root);
    http_response_free(r);
}

static void health_is_200(void **state)
{
    struct http_response *r = http_get(state, "/health");
    assert_true(http_expect_status(r, 200));
    assert_int_equal(r->content_length, (long long)r->body_length);
    http_response_free(r);
}

static void index_lists_every_catalogued_code(void **state)
{
    struct http_response *r = http_get(state, "/");
    assert_true(http_expect_status(r, 200));
    assert_content_type(r, "text/html; charset=utf-8");
    assert_true(http_body_contains(r, "/status/418"));
    assert_true(http_body_contains(r, "/status/451"));
    for (size_t i = 0; i < catalog_count(); i++) {
        char link[64];
        snprintf(link, sizeof link, "href=\"/codes/%s\"", catalog_at(i)->key);
        if (!http_body_contains(r, link))
            fail_msg("the index does not link %s", link);
    }
    http_response_free(r);
}

static void codes_json_has_every_catalogued_code(void **state)
{
    struct http_response *r = http_get(state, "/codes.json");
    assert_true(http_expect_status(r, 200));
    assert_content_type(r, "application/json");
    json_error_t error;
    json_t *root = json_loadb(r->body, r->body_length, 0, &error);
    if (!root)
        fail_msg("/codes.json is not JSON: %s at line %d", error.text, error.line);
    json_t *codes = json_object_get(root, "codes");
    assert_true(json_is_array(codes));
    assert_int_equal(json_array_size(codes), catalog_count());
    json_decref(root);
    http_response_free(r);
}

static void codes_page_explains_without_sending_the_code_s_headers(void **state)
{
    const struct catalog_entry *e = catalog_find(404, 0);
    struct http_response *r = http_get(state, "/codes/404");
    assert_true(http_expect_status(r, 200));
    assert_true(http_body_contains(r, e->text[LANGUAGE_EN].meaning));
    assert_true(http_body_contains(r, "/status/404"));
    http_response_free(r);

    /* The page is about 401; a WWW-Authenticate would make a browser prompt for a password. */
    r = http_get(state, "/codes/401");
    assert_true(http_expect_status(r, 200));
    assert_null(http_header(r, "WWW-Authenticate"));
    assert_true(http_body_contains(r, "WWW-Authenticate"));
    http_response_free(r);

    r = http_get(state, "/codes/301");
    assert_true(http_expect_status(r, 200));
    assert_null(http_header(r, "Location"));
    http_response_free(r);
}

static void static_assets_are_served_and_unknown_ones_are_404(void **state)
{
    struct http_response *r = http_get(state, "/static/style.css");
    assert_true(http_expect_status(r, 200));
    const char *type = http_header(r, "Content-Type");
    assert_non_null(type);
    assert_true(strncmp(type, "text/css", 8) == 0);
    assert_true(r->body_length > 0);
    assert_int_equal(r->content_length, (long long)r->body_length);
    http_response_free(r);

    r = http_get(state, "/static/nope.css");
    assert_true(http_expect_status(r, 404));
    http_response_free(r);
}

/* --- ?delay= --------------------------------------------------------------------------------- */

static void delay_waits_before_answering(void **state)
{
    struct http_response *r = http_get(state, "/status/200?delay=0.3");
    assert_true(http_expect_status(r, 200));
    /* Only a lower bound: a loaded CI machine may take longer, never shorter. The 1 ms slack
     * is for rounding in the server's clock; delay_is_never_cut_short checks it strictly. */
    if (r->total_time < 0.299)
        fail_msg("answered after %.4f s, asked for 0.3", r->total_time);
    http_response_free(r);
}

static void delay_is_never_cut_short(void **state)
{
    /* Each transfer's time includes connecting and sending, so a server that waits the full
     * delay can never be measured below it; ten tries catch a wait that is rounded down. */
    for (int i = 0; i < 10; i++) {
        struct http_response *r = http_get(state, "/status/200?delay=0.02");
        assert_true(http_expect_status(r, 200));
        if (r->total_time < 0.020)
            fail_msg("try %d: answered after %.6f s, asked for 0.020", i, r->total_time);
        http_response_free(r);
    }
}

static void bad_delay_is_400_naming_delay(void **state)
{
    static const char *const targets[] = { "/status/200?delay=abc", "/status/200?delay=-1",
                                           "/status/200?delay=999999", "/health?delay=x" };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        struct http_response *r = http_get(state, targets[i]);
        http_assert_bad_parameter(r, "delay");
        http_response_free(r);
    }
}

static int start_max_delay_1_server(void **state)
{
    *state = test_server_start((const char *[]){ "--max-delay", "1", NULL });
    return *state ? 0 : -1;
}

static void delay_over_max_delay_is_400_never_shortened(void **state)
{
    struct http_response *r = http_get(state, "/status/200?delay=2");
    http_assert_bad_parameter(r, "delay");
    /* Refused at once rather than waited for and cut short. */
    assert_true(r->total_time < 1.0);
    http_response_free(r);

    r = http_get(state, "/status/200?delay=1");
    assert_true(http_expect_status(r, 200));
    assert_true(r->total_time >= 0.99);
    http_response_free(r);
}

/* --- limits ---------------------------------------------------------------------------------- */

/* A string of n 'a's the caller frees, appended to prefix. */
static char *padded(const char *prefix, size_t n)
{
    size_t length = strlen(prefix);
    char *text = malloc(length + n + 1);
    assert_non_null(text);
    memcpy(text, prefix, length);
    memset(text + length, 'a', n);
    text[length + n] = '\0';
    return text;
}

static void assert_big_header_is_431(void **state, size_t size)
{
    char *header = padded("X-Big: ", size);
    struct http_response *r = http_get_with(state, "/status/200", header);
    assert_true(http_expect_status(r, 431));
    http_response_free(r);
    free(header);
}

static void assert_long_url_is_414(void **state, size_t size)
{
    char *target = padded("/status/200?pad=", size);
    struct http_response *r = http_get(state, target);
    assert_true(http_expect_status(r, 414));
    http_response_free(r);
    free(target);
}

/* Just over the default --max-header-bytes of 16384. */
static void header_section_over_the_limit_is_431(void **state)
{
    assert_big_header_is_431(state, 16500);
}

/* Well past the limit, and past what fits beside a response in the connection's memory
 * (limit + 4 KiB): libmicrohttpd answers 431 itself. Sizes within a few hundred bytes of
 * that pool size get no answer at all, a libmicrohttpd 0.9.75 bug (docs/libmicrohttpd.md §3), so the
 * sizes here stay clear of that band. */
static void header_section_far_over_the_limit_is_431(void **state)
{
    assert_big_header_is_431(state, 19000);
    assert_big_header_is_431(state, 40000);
}

static void request_line_over_the_limit_is_414(void **state)
{
    assert_long_url_is_414(state, 16500);
}

static void request_line_far_over_the_limit_is_414(void **state)
{
    assert_long_url_is_414(state, 19000);
    assert_long_url_is_414(state, 40000);
}

static void server_survives_oversized_requests(void **state)
{
    /* Whatever the answer to a huge head, the next ordinary request is served. */
    char *header = padded("X-Big: ", 60000);
    http_response_free(http_get_with(state, "/status/200", header));
    free(header);
    struct http_response *r = http_get(state, "/health");
    assert_true(http_expect_status(r, 200));
    http_response_free(r);
}

static int start_max_body_10_server(void **state)
{
    *state = test_server_start((const char *[]){ "--max-body", "10", NULL });
    return *state ? 0 : -1;
}

static void body_over_max_body_is_413(void **state)
{
    struct http_response *r = http_request(*state, "POST", "/status/200", NO_HEADERS,
                                           "0123456789x");
    assert_true(http_expect_status(r, 413));
    assert_true(http_header_lists(r, "Connection", "close"));
    http_response_free(r);

    r = http_request(*state, "POST", "/status/200", NO_HEADERS, "0123456789");
    assert_true(http_expect_status(r, 200));
    http_response_free(r);
}

static void unknown_expectation_is_417(void **state)
{
    struct http_response *r = http_get_with(state, "/status/200", "Expect: something-else");
    assert_true(http_expect_status(r, 417));
    http_response_free(r);

    r = http_request(*state, "POST", "/status/200", (const char *[]){ "Expect: 100-continue",
                                                                      NULL },
                     "body");
    assert_true(http_expect_status(r, 200));
    assert_non_null(http_interim(r, 100));
    http_response_free(r);
}

/* --- the daemon ------------------------------------------------------------------------------ */

static void delayed_requests_do_not_hold_a_thread_each(void **state)
{
    enum { COUNT = 20 };
    struct http_response *responses[COUNT];
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    http_request_parallel(*state, COUNT, "GET", "/status/200?delay=0.5", NO_HEADERS,
                          responses);
    double elapsed = seconds_since(&start);
    for (size_t i = 0; i < COUNT; i++) {
        assert_true(http_expect_status(responses[i], 200));
        http_response_free(responses[i]);
    }
    /* Served one after another they would take 10 s; at once, about 0.5 s. */
    if (elapsed >= 5.0)
        fail_msg("%d requests with delay=0.5 took %.2f s: they were serialised", COUNT,
                 elapsed);
}

static int start_own_server(void **state)
{
    *state = test_server_start(NULL);
    return *state ? 0 : -1;
}

static void sigterm_finishes_the_request_in_flight_and_exits_0(void **state)
{
    struct server *server = *state;
    /* Expect: 100-continue makes the server answer "100" once it has the request head, so
     * SIGTERM is sent when the request is known to be in the server's hands. */
    struct http_async *async = http_async_start(
        server, "POST", "/status/200?delay=3", (const char *[]){ "Expect: 100-continue", NULL },
        "in flight");
    assert_true(http_async_wait_head(async, 5000));
    assert_true(server_terminate(server));
    struct http_response *r = http_async_finish(async);
    assert_true(http_expect_status(r, 200));
    assert_int_equal(r->content_length, (long long)r->body_length);
    http_response_free(r);
    assert_true(server_wait(server, SERVER_STOP_TIMEOUT_MS));
    assert_int_equal(server->exit_code, 0);
}

int main(void)
{
    char error[512];
    if (!catalog_load(error, sizeof error)) {
        fprintf(stderr, "catalog_load: %s\n", error);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accept_json_gives_the_explanation_as_json),
        cmocka_unit_test(json_lists_the_headers_sent_on_purpose),
        cmocka_unit_test(accept_html_gives_a_page_with_a_content_security_policy),
        cmocka_unit_test(any_or_no_accept_gives_plain_text),
        cmocka_unit_test(accept_q_values_are_honoured),
        cmocka_unit_test(format_parameter_overrides_accept),
        cmocka_unit_test(unknown_format_is_400_naming_format),
        cmocka_unit_test(negotiated_responses_vary_on_accept),
        cmocka_unit_test(default_text_puts_chinese_before_english),
        cmocka_unit_test(accept_language_english_puts_english_first),
        cmocka_unit_test(lang_parameter_gives_one_language_only),
        cmocka_unit_test(unknown_lang_is_400_naming_lang),
        cmocka_unit_test(options_answers_204_with_the_path_s_allow),
        cmocka_unit_test(options_on_status_is_just_another_method),
        cmocka_unit_test(cors_preflight_is_204_with_the_allow_headers),
        cmocka_unit_test(wrong_method_is_405_with_allow),
        cmocka_unit_test(any_method_reaches_status),
        cmocka_unit_test(unknown_path_is_404_in_both_languages_linking_home),
        cmocka_unit_test(health_is_200),
        cmocka_unit_test(index_lists_every_catalogued_code),
        cmocka_unit_test(codes_json_has_every_catalogued_code),
        cmocka_unit_test(codes_page_explains_without_sending_the_code_s_headers),
        cmocka_unit_test(static_assets_are_served_and_unknown_ones_are_404),
        cmocka_unit_test(delay_waits_before_answering),
        cmocka_unit_test(delay_is_never_cut_short),
        cmocka_unit_test(bad_delay_is_400_naming_delay),
        cmocka_unit_test_setup_teardown(delay_over_max_delay_is_400_never_shortened,
                                        start_max_delay_1_server, server_group_teardown),
        cmocka_unit_test(header_section_over_the_limit_is_431),
        cmocka_unit_test(header_section_far_over_the_limit_is_431),
        cmocka_unit_test(request_line_over_the_limit_is_414),
        cmocka_unit_test(request_line_far_over_the_limit_is_414),
        cmocka_unit_test(server_survives_oversized_requests),
        cmocka_unit_test_setup_teardown(body_over_max_body_is_413, start_max_body_10_server,
                                        server_group_teardown),
        cmocka_unit_test(unknown_expectation_is_417),
        cmocka_unit_test(delayed_requests_do_not_hold_a_thread_each),
        cmocka_unit_test_setup_teardown(sigterm_finishes_the_request_in_flight_and_exits_0,
                                        start_own_server, server_group_teardown),
    };
    int failed = cmocka_run_group_tests_name("common", tests, server_group_setup,
                                             server_group_teardown);
    catalog_unload();
    return failed;
}
