/* Codes that depend on what the client sends (SPEC §8), over libcurl: /upload's SHA-256 echo
 * and refusals, /method/{list} and /negotiate/{types}. The wire details (100 Continue before or
 * instead of the body, closed connections, chunked bodies) are in
 * tests/raw/test_client_input_wire.py. */
#include "http.h"
#include "server.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define OFFER_JSON_CSV "/negotiate/application/json,text/csv?lang=en"
#define SHA256_OF_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static struct http_response *send_with(void **state, const char *method, const char *target,
                                       const char *header, const char *body)
{
    return http_request(*state, method, target, (const char *[]){ header, NULL }, body);
}


static void assert_header(const struct http_response *r, const char *name, const char *want)
{
    const char *value = http_header(r, name);
    if (!value || strcmp(value, want) != 0)
        fail_msg("%s: %s is '%s', want '%s'", r->request, name, value ? value : "(none)", want);
}

static void assert_body_has(const struct http_response *r, const char *text)
{
    if (!http_body_contains(r, text))
        fail_msg("%s: the body lacks '%s':\n%s", r->request, text, r->body);
}

/* The /upload summary of a 200, parsed; the caller json_decref()s it. */
static json_t *upload_summary(const struct http_response *r)
{
    assert_true(http_expect_status(r, 200));
    assert_header(r, "Content-Type", "application/json");
    json_error_t error;
    json_t *summary = json_loadb(r->body, r->body_length, 0, &error);
    if (!summary)
        fail_msg("%s: the body is not JSON (%s):\n%s", r->request, error.text, r->body);
    return summary;
}

static const char *summary_string(json_t *summary, const char *key)
{
    const char *value = json_string_value(json_object_get(summary, key));
    if (!value)
        fail_msg("the summary has no string '%s'", key);
    return value;
}

static void sha256_hex(const char *data, size_t length, char hex[65])
{
    unsigned char digest[32];
    assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, data, length, digest), 0);
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

/* --- /upload success ------------------------------------------------------------------- */

static void upload_echoes_size_and_sha256_of_abc(void **state)
{
    struct http_response *r = send_with(state, "POST", "/upload", "Content-Type: text/plain",
                                        "abc");
    json_t *summary = upload_summary(r);
    assert_string_equal(summary_string(summary, "sha256"), SHA256_OF_ABC);
    assert_int_equal(json_integer_value(json_object_get(summary, "bytes")), 3);
    assert_string_equal(summary_string(summary, "method"), "POST");
    assert_string_equal(summary_string(summary, "content_type"), "text/plain");
    assert_true(json_is_false(json_object_get(summary, "chunked")));
    assert_true(json_is_false(json_object_get(summary, "expect_continue")));
    json_decref(summary);
    http_response_free(r);
}

static void upload_echoes_sha256_of_100_kilobytes(void **state)
{
    size_t length = 100 * 1024;
    char *body = malloc(length + 1);
    assert_non_null(body);
    for (size_t i = 0; i < length; i++)
        body[i] = (char)('a' + (i * 7 + i / 1000) % 26);
    body[length] = '\0';
    char want[65];
    sha256_hex(body, length, want);
    struct http_response *r = send_with(state, "PUT", "/upload", "Content-Type: text/plain",
                                        body);
    json_t *summary = upload_summary(r);
    assert_string_equal(summary_string(summary, "sha256"), want);
    assert_int_equal(json_integer_value(json_object_get(summary, "bytes")), length);
    assert_string_equal(summary_string(summary, "method"), "PUT");
    json_decref(summary);
    http_response_free(r);
    free(body);
}

static void upload_of_an_empty_body_has_the_empty_sha256(void **state)
{
    struct http_response *r = send_with(state, "PATCH", "/upload", "Content-Type: text/plain",
                                        "");
    json_t *summary = upload_summary(r);
    assert_string_equal(summary_string(summary, "sha256"),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(json_integer_value(json_object_get(summary, "bytes")), 0);
    assert_string_equal(summary_string(summary, "method"), "PATCH");
    json_decref(summary);
    http_response_free(r);
}

static void upload_with_expect_continue_gets_100_then_200(void **state)
{
    struct http_response *r = http_request(
        *state, "POST", "/upload",
        (const char *[]){ "Expect: 100-continue", "Content-Type: text/plain", NULL }, "abc");
    json_t *summary = upload_summary(r);
    assert_non_null(http_interim(r, 100));
    assert_true(json_is_true(json_object_get(summary, "expect_continue")));
    assert_string_equal(summary_string(summary, "sha256"), SHA256_OF_ABC);
    json_decref(summary);
    http_response_free(r);
}

static void upload_within_max_is_accepted(void **state)
{
    struct http_response *r = send_with(state, "POST", "/upload?max=3", "Content-Type: a/b", "abc");
    json_t *summary = upload_summary(r);
    assert_string_equal(summary_string(summary, "sha256"), SHA256_OF_ABC);
    json_decref(summary);
    http_response_free(r);
}

/* --- /upload refusals ------------------------------------------------------------------ */

static void upload_over_max_is_413_and_closes(void **state)
{
    struct http_response *r = send_with(state, "POST", "/upload?max=2", "Content-Type: a/b", "abc");
    assert_true(http_expect_status(r, 413));
    assert_true(http_header_lists(r, "Connection", "close"));
    http_response_free(r);
    r = send_with(state, "POST", "/upload?max=0", "Content-Type: a/b", "a");
    assert_true(http_expect_status(r, 413));
    http_response_free(r);
}

static void upload_with_bad_parameters_is_400(void **state)
{
    static const struct {
        const char *target;
        const char *parameter;
    } cases[] = {
        { "/upload?max=abc", "max" },
        { "/upload?max=-1", "max" },
        { "/upload?max=1048577", "max" }, /* over the default --max-body of 1 MiB */
        { "/upload?require_length=yes", "require_length" },
        { "/upload?accept=json", "accept" },
        { "/upload?accept=*/*", "accept" },
        { "/upload?accept=text/plain,,a/b", "accept" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_response *r = send_with(state, "POST", cases[i].target, "Content-Type: a/b",
                                            "abc");
        http_assert_bad_parameter(r, cases[i].parameter);
        http_response_free(r);
    }
}

static void upload_refuses_other_methods_with_405(void **state)
{
    struct http_response *r = http_request(*state, "GET", "/upload", NULL, NULL);
    assert_true(http_expect_status(r, 405));
    assert_header(r, "Allow", "POST, PUT, PATCH, OPTIONS");
    http_response_free(r);
}

static void upload_refuses_an_unaccepted_type_with_415_and_accept_post(void **state)
{
    struct http_response *r = send_with(state, "POST", "/upload?accept=application/json",
                                        "Content-Type: text/plain", "abc");
    assert_true(http_expect_status(r, 415));
    assert_header(r, "Accept-Post", "application/json");
    http_response_free(r);
    r = send_with(state, "PATCH", "/upload?accept=application/json-patch%2Bjson,a/b",
                  "Content-Type: text/plain", "abc");
    assert_true(http_expect_status(r, 415));
    assert_header(r, "Accept-Patch", "application/json-patch+json, a/b");
    http_response_free(r);
}

static void upload_415_for_put_says_so_in_the_note(void **state)
{
    struct http_response *r = send_with(state, "PUT", "/upload?accept=application/json&lang=en",
                                        "Content-Type: text/plain", "abc");
    assert_true(http_expect_status(r, 415));
    assert_body_has(r, "PUT has no header that lists accepted types");
    assert_body_has(r, "application/json");
    http_response_free(r);
}

static void upload_accept_ignores_parameters_and_case(void **state)
{
    struct http_response *r = send_with(state, "POST", "/upload?accept=text/csv,application/json",
                                        "Content-Type: Application/JSON; charset=utf-8", "{}");
    json_t *summary = upload_summary(r);
    assert_string_equal(summary_string(summary, "content_type"),
                        "Application/JSON; charset=utf-8");
    json_decref(summary);
    http_response_free(r);
}

/* --- /method/{list} -------------------------------------------------------------------- */

static void method_list_refuses_other_methods_with_405_and_allow(void **state)
{
    struct http_response *r = http_request(*state, "PUT", "/method/GET,POST", NULL, "x");
    assert_true(http_expect_status(r, 405));
    assert_header(r, "Allow", "GET, POST");
    assert_int_equal(http_header_count(r, "Allow"), 1);
    http_response_free(r);
}

static void method_list_accepts_a_listed_method(void **state)
{
    struct http_response *r = http_request(*state, "POST", "/method/GET,POST?lang=en", NULL, "x");
    assert_true(http_expect_status(r, 200));
    assert_body_has(r, "POST is one of the methods this URL allows (GET, POST)");
    http_response_free(r);
}

static void method_list_is_case_sensitive(void **state)
{
    struct http_response *r = http_request(*state, "GET", "/method/get", NULL, NULL);
    assert_true(http_expect_status(r, 405));
    assert_header(r, "Allow", "get");
    http_response_free(r);
}

/* SPEC §1: OPTIONS is an ordinary method only on /status/ and /anything; on /method/ it asks
 * which methods the URL allows, as everywhere else. */
static void method_list_answers_options_with_its_allow(void **state)
{
    struct http_response *r = http_request(*state, "OPTIONS", "/method/GET", NULL, NULL);
    assert_true(http_expect_status(r, 204));
    assert_header(r, "Allow", "GET, OPTIONS");
    http_response_free(r);
    r = http_request(*state, "OPTIONS", "/method/OPTIONS,BREW", NULL, NULL);
    assert_true(http_expect_status(r, 204));
    assert_header(r, "Allow", "OPTIONS, BREW");
    http_response_free(r);
    r = http_request(*state, "BREW", "/method/OPTIONS,BREW", NULL, NULL);
    assert_true(http_expect_status(r, 200));
    http_response_free(r);
}

static void method_list_that_is_empty_or_not_tokens_is_400(void **state)
{
    static const char *const targets[] = {
        "/method/", "/method/GET,,POST", "/method/G(T", "/method/GET%0D%0AX:1", "/method/,",
        "/method/A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P,Q",
    };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        struct http_response *r = http_request(*state, "GET", targets[i], NULL, NULL);
        http_assert_bad_parameter(r, "methods");
        assert_null(http_header(r, "Allow"));
        http_response_free(r);
    }
}

/* --- /negotiate/{types} ---------------------------------------------------------------- */

static void negotiate_chooses_the_accepted_type(void **state)
{
    struct http_response *r = send_with(state, "GET", OFFER_JSON_CSV, "Accept: text/csv", NULL);
    assert_true(http_expect_status(r, 200));
    /* The body is what the response says it chose: one CSV record of the outcome. */
    assert_header(r, "Content-Type", "text/csv; charset=utf-8");
    assert_body_has(r, "status,reason,chosen,q\r\n200,OK,text/csv,1\r\n");
    http_response_free(r);
}

static void negotiate_refuses_with_406_listing_what_is_on_offer(void **state)
{
    struct http_response *r = send_with(state, "GET", OFFER_JSON_CSV, "Accept: image/png", NULL);
    assert_true(http_expect_status(r, 406));
    assert_body_has(r, "application/json, text/csv");
    http_response_free(r);
}

static void negotiate_honours_q_values(void **state)
{
    struct http_response *r = send_with(state, "GET", OFFER_JSON_CSV,
                                        "Accept: application/json;q=0.1, text/csv;q=0.9", NULL);
    assert_true(http_expect_status(r, 200));
    assert_body_has(r, "200,OK,text/csv,0.9");
    http_response_free(r);
    r = send_with(state, "GET", OFFER_JSON_CSV, "Accept: application/json;q=0, text/csv;q=0", NULL);
    assert_true(http_expect_status(r, 406));
    http_response_free(r);
}

static void negotiate_ties_and_no_accept_give_the_first_offered(void **state)
{
    static const char *const accepts[] = { "Accept:", "Accept: */*",
                                           "Accept: text/csv, application/json" };
    for (size_t i = 0; i < sizeof accepts / sizeof accepts[0]; i++) {
        struct http_response *r = send_with(state, "GET", OFFER_JSON_CSV, accepts[i], NULL);
        assert_true(http_expect_status(r, 200));
        assert_body_has(r, "Chosen: application/json");
        http_response_free(r);
    }
}

static void negotiate_wildcard_ranges_match_offered_types(void **state)
{
    struct http_response *r = send_with(state, "GET", OFFER_JSON_CSV, "Accept: text/*", NULL);
    assert_true(http_expect_status(r, 200));
    assert_body_has(r, ",text/csv,");
    http_response_free(r);
}

static void negotiate_with_bad_types_is_400(void **state)
{
    static const char *const targets[] = {
        "/negotiate/", "/negotiate/json", "/negotiate/*/*", "/negotiate/text/", "/negotiate/a/b/c",
        "/negotiate/a/b,,c/d",
    };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        struct http_response *r = http_request(*state, "GET", targets[i], NULL, NULL);
        http_assert_bad_parameter(r, "types");
        http_response_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(upload_echoes_size_and_sha256_of_abc),
        cmocka_unit_test(upload_echoes_sha256_of_100_kilobytes),
        cmocka_unit_test(upload_of_an_empty_body_has_the_empty_sha256),
        cmocka_unit_test(upload_with_expect_continue_gets_100_then_200),
        cmocka_unit_test(upload_within_max_is_accepted),
        cmocka_unit_test(upload_over_max_is_413_and_closes),
        cmocka_unit_test(upload_with_bad_parameters_is_400),
        cmocka_unit_test(upload_refuses_other_methods_with_405),
        cmocka_unit_test(upload_refuses_an_unaccepted_type_with_415_and_accept_post),
        cmocka_unit_test(upload_415_for_put_says_so_in_the_note),
        cmocka_unit_test(upload_accept_ignores_parameters_and_case),
        cmocka_unit_test(method_list_refuses_other_methods_with_405_and_allow),
        cmocka_unit_test(method_list_accepts_a_listed_method),
        cmocka_unit_test(method_list_is_case_sensitive),
        cmocka_unit_test(method_list_answers_options_with_its_allow),
        cmocka_unit_test(method_list_that_is_empty_or_not_tokens_is_400),
        cmocka_unit_test(negotiate_chooses_the_accepted_type),
        cmocka_unit_test(negotiate_refuses_with_406_listing_what_is_on_offer),
        cmocka_unit_test(negotiate_honours_q_values),
        cmocka_unit_test(negotiate_ties_and_no_accept_give_the_first_offered),
        cmocka_unit_test(negotiate_wildcard_ranges_match_offered_types),
        cmocka_unit_test(negotiate_with_bad_types_is_400),
    };
    return cmocka_run_group_tests_name("client_input", tests, server_group_setup,
                                       server_group_teardown);
}
