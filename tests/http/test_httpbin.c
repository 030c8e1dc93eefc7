/* httpbin's names and shapes over real sockets (README "Coming from httpbin"): the
 * method-named echoes, the JSON of accepted credentials, /response-headers, the fixed
 * documents, /links, /base64, /uuid, /hostname and /unstable, with the bad input each
 * refuses. */
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
#include <unistd.h>

#include <cmocka.h>

#define JSON_ACCEPT ((const char *const[]){ "Accept: application/json", NULL })

/* The body as JSON; fails unless the response is a 200 of application/json. */
static json_t *json_of(const struct http_response *r)
{
    assert_true(http_expect_status(r, 200));
    const char *type = http_header(r, "Content-Type");
    if (!type || strcmp(type, "application/json") != 0)
        fail_msg("%s: Content-Type '%s', want application/json", r->request, type ? type : "-");
    json_error_t error;
    json_t *value = json_loadb(r->body, r->body_length, 0, &error);
    if (!value)
        fail_msg("%s: not JSON (%s):\n%s", r->request, error.text, r->body);
    return value;
}

static json_t *get_json(void **state, const char *target, const char *const *headers)
{
    struct http_response *r = http_request(*state, "GET", target, headers, NULL);
    json_t *value = json_of(r);
    http_response_free(r);
    return value;
}

static const char *text_of(const json_t *object, const char *key)
{
    const char *value = json_string_value(json_object_get(object, key));
    if (!value)
        fail_msg("no string \"%s\" in the JSON", key);
    return value;
}

static void assert_bad(void **state, const char *target, const char *parameter)
{
    struct http_response *r = http_get(state, target);
    http_assert_bad_parameter(r, parameter);
    http_response_free(r);
}

/* --- /get, /post, /put, /patch, /delete --------------------------------------------------- */

static void get_echoes_httpbins_four_fields_with_an_absolute_url(void **state)
{
    const struct server *server = *state;
    json_t *echo = get_json(state, "/get?a=1&b=%C3%A9", NULL);
    assert_string_equal(text_of(json_object_get(echo, "args"), "a"), "1");
    assert_string_equal(text_of(json_object_get(echo, "args"), "b"), "é");
    assert_string_equal(text_of(json_object_get(echo, "headers"), "Host"), server->url + 7);
    assert_string_equal(text_of(echo, "origin"), "127.0.0.1");
    char url[128];
    snprintf(url, sizeof url, "%s/get?a=1&b=%%C3%%A9", server->url);
    assert_string_equal(text_of(echo, "url"), url);
    assert_int_equal(json_object_size(echo), 4);
    json_decref(echo);
}

static void method_named_echoes_answer_their_method_only(void **state)
{
    static const char *const methods[] = { "POST", "PUT", "PATCH", "DELETE" };
    static const char *const paths[] = { "/post", "/put", "/patch", "/delete" };
    for (size_t i = 0; i < 4; i++) {
        struct http_response *r =
            http_request(*state, methods[i], paths[i],
                         (const char *[]){ "Content-Type: application/json", NULL },
                         "{\"k\": [1, \"中\"]}");
        json_t *echo = json_of(r);
        http_response_free(r);
        assert_string_equal(text_of(echo, "method"), methods[i]);
        assert_string_equal(text_of(echo, "data"), "{\"k\": [1, \"中\"]}");
        json_t *parsed = json_object_get(echo, "json");
        assert_int_equal(json_integer_value(json_array_get(json_object_get(parsed, "k"), 0)), 1);
        assert_true(json_is_object(json_object_get(echo, "files")));
        assert_true(json_is_object(json_object_get(echo, "form")));
        json_decref(echo);
        /* Any other method: 405 naming the one this URL takes. */
        r = http_request(*state, "GET", paths[i], NULL, NULL);
        assert_true(http_expect_status(r, 405));
        assert_true(http_header_lists(r, "Allow", methods[i]));
        assert_false(http_header_lists(r, "Allow", "GET"));
        http_response_free(r);
    }
    struct http_response *r = http_request(*state, "POST", "/get", NULL, "x");
    assert_true(http_expect_status(r, 405));
    assert_true(http_header_lists(r, "Allow", "GET"));
    http_response_free(r);
}

static void post_form_fills_form_and_leaves_data_empty(void **state)
{
    struct http_response *r = http_request(
        *state, "POST", "/post",
        (const char *[]){ "Content-Type: application/x-www-form-urlencoded", NULL },
        "name=%E4%BD%A0%E5%A5%BD&n=1&n=2");
    json_t *echo = json_of(r);
    http_response_free(r);
    json_t *form = json_object_get(echo, "form");
    assert_string_equal(text_of(form, "name"), "你好");
    assert_int_equal(json_array_size(json_object_get(form, "n")), 2);
    assert_string_equal(text_of(echo, "data"), "");
    assert_true(json_is_null(json_object_get(echo, "json")));
    json_decref(echo);
}

/* --- credentials as httpbin answers them -------------------------------------------------- */

static void accepted_credentials_in_json_are_httpbins_object(void **state)
{
    /* user:passwd */
    const char *basic = "Authorization: Basic dXNlcjpwYXNzd2Q=";
    const char *const with_json[] = { basic, "Accept: application/json", NULL };
    static const char *const urls[] = { "/basic-auth/user/passwd", "/hidden-basic-auth/user/passwd" };
    for (size_t i = 0; i < 2; i++) {
        json_t *answer = get_json(state, urls[i], with_json);
        assert_true(json_is_true(json_object_get(answer, "authenticated")));
        assert_string_equal(text_of(answer, "user"), "user");
        assert_int_equal(json_object_size(answer), 2);
        json_decref(answer);
    }
    json_t *answer = get_json(state, "/bearer?format=json",
                              (const char *const[]){ "Authorization: Bearer t0k3n", NULL });
    assert_true(json_is_true(json_object_get(answer, "authenticated")));
    assert_string_equal(text_of(answer, "token"), "t0k3n");
    json_decref(answer);
}

static void accepted_credentials_as_text_stay_the_bilingual_sentence(void **state)
{
    struct http_response *r = http_request(
        *state, "GET", "/basic-auth/user/passwd",
        (const char *[]){ "Authorization: Basic dXNlcjpwYXNzd2Q=", "Accept: text/plain", NULL },
        NULL);
    assert_true(http_expect_status(r, 200));
    assert_string_equal(http_header(r, "Content-Type"), "text/plain; charset=utf-8");
    assert_true(http_body_contains(r, "Authenticated: user 'user'"));
    assert_true(http_body_contains(r, "认证成功"));
    http_response_free(r);
    /* A refusal in JSON stays statusd's explanation, not httpbin's object. */
    r = http_request(*state, "GET", "/basic-auth/user/passwd", JSON_ACCEPT, NULL);
    assert_true(http_expect_status(r, 401));
    assert_false(http_body_contains(r, "\"authenticated\""));
    http_response_free(r);
}

/* --- /response-headers --------------------------------------------------------------------- */

static void response_headers_sends_and_lists_each_pair_repeats_included(void **state)
{
    struct http_response *r = http_get(state, "/response-headers?X-One=1&X-Two=a%20b&X-One=2");
    json_t *listed = json_of(r);
    assert_int_equal(http_header_count(r, "X-One"), 2);
    assert_string_equal(http_header(r, "X-Two"), "a b");
    assert_true(http_header_lists(r, "Access-Control-Expose-Headers", "X-Two"));
    json_t *one = json_object_get(listed, "X-One");
    assert_int_equal(json_array_size(one), 2);
    assert_string_equal(json_string_value(json_array_get(one, 1)), "2");
    assert_string_equal(text_of(listed, "X-Two"), "a b");
    json_decref(listed);
    http_response_free(r);
}

static void response_headers_refuses_what_h_refuses(void **state)
{
    /* CR LF in a value, a framing header, a name that is not a token, an empty value. */
    static const char *const refused[] = {
        "/response-headers?X-A=1%0d%0aSet-Cookie:%20evil=1",
        "/response-headers?X-A=%0a",
        "/response-headers?Content-Length=5",
        "/response-headers?Transfer-Encoding=chunked",
        "/response-headers?X-A=",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        struct http_response *r = http_get(state, refused[i]);
        assert_true(http_expect_status(r, 400));
        assert_null(http_header(r, "Set-Cookie"));
        assert_null(http_header(r, "X-A"));
        http_response_free(r);
    }
    assert_bad(state, "/response-headers?X-A=1%0d%0aX-B:2", "X-A");
    struct http_response *r = http_get(state, "/response-headers?Bad%20Name=1");
    assert_true(http_expect_status(r, 400));
    assert_true(http_body_contains(r, "(not a header name)"));
    http_response_free(r);
}

/* --- fixed documents ------------------------------------------------------------------------ */

static void fixed_documents_have_their_types_and_content(void **state)
{
    static const struct {
        const char *target, *type, *contains;
    } documents[] = {
        { "/html", "text/html; charset=utf-8", "一个 HTML 页面" },
        { "/json", "application/json", "\"slideshow\"" },
        { "/xml", "application/xml", "<?xml version=\"1.0\" encoding=\"utf-8\"?>" },
        { "/robots.txt", "text/plain; charset=utf-8", "Disallow: /deny" },
        { "/deny", "text/plain; charset=utf-8", "YOU SHOULDN'T BE HERE" },
        { "/encoding/utf8", "text/html; charset=utf-8", "状态码告诉客户端请求的结果" },
    };
    for (size_t i = 0; i < sizeof documents / sizeof documents[0]; i++) {
        struct http_response *r = http_get(state, documents[i].target);
        assert_true(http_expect_status(r, 200));
        assert_string_equal(http_header(r, "Content-Type"), documents[i].type);
        if (!http_body_contains(r, documents[i].contains))
            fail_msg("%s lacks %s", documents[i].target, documents[i].contains);
        http_response_free(r);
    }
    json_t *document = get_json(state, "/json", NULL);
    assert_true(json_is_array(json_object_get(json_object_get(document, "slideshow"), "slides")));
    json_decref(document);
}

/* --- /links ------------------------------------------------------------------------------- */

static size_t count_of(const struct http_response *r, const char *text)
{
    size_t n = 0;
    for (const char *p = r->body; (p = strstr(p, text)); p += strlen(text))
        n++;
    return n;
}

static void links_page_links_every_other_page(void **state)
{
    struct http_response *r = http_get(state, "/links/5/2");
    assert_true(http_expect_status(r, 200));
    assert_string_equal(http_header(r, "Content-Type"), "text/html; charset=utf-8");
    assert_int_equal(count_of(r, "<a href="), 4);
    assert_true(http_body_contains(r, "<a href=\"/links/5/4\">4</a>"));
    assert_false(http_body_contains(r, "<a href=\"/links/5/2\">"));
    http_response_free(r);
    r = http_get(state, "/links/256");
    assert_true(http_expect_status(r, 200));
    assert_int_equal(count_of(r, "<a href="), 255);
    http_response_free(r);
}

static void links_out_of_bounds_are_400(void **state)
{
    assert_bad(state, "/links/257", "n");
    assert_bad(state, "/links/0", "n");
    assert_bad(state, "/links/99999999999999999999999", "n");
    assert_bad(state, "/links/abc/0", "n");
    assert_bad(state, "/links/5/5", "offset");
    assert_bad(state, "/links/5/-1", "offset");
    assert_bad(state, "/links/5/1/2", "offset");
}

/* --- /base64 ------------------------------------------------------------------------------ */

static void base64_decodes_standard_and_url_safe_text(void **state)
{
    struct http_response *r = http_get(state, "/base64/SGVsbG8sIOS4lueVjA==");
    assert_true(http_expect_status(r, 200));
    assert_string_equal(http_header(r, "Content-Type"), "text/plain; charset=utf-8");
    assert_string_equal(r->body, "Hello, 世界");
    http_response_free(r);
    /* Three question marks and three ">" are Pz8/Pj4+ in the standard alphabet and Pz8_Pj4- in
     * the URL-safe one (the literal is split: "??" then ">" would be a trigraph). */
    r = http_get(state, "/base64/Pz8_Pj4-");
    assert_true(http_expect_status(r, 200));
    assert_string_equal(r->body, "??" "?>>>");
    http_response_free(r);
    r = http_get(state, "/base64/Pz8%2FPj4%2B");
    assert_true(http_expect_status(r, 200));
    assert_string_equal(r->body, "??" "?>>>");
    http_response_free(r);
    /* Bytes that are not UTF-8 are not labelled as text. */
    r = http_get(state, "/base64/_w");
    assert_true(http_expect_status(r, 200));
    assert_string_equal(http_header(r, "Content-Type"), "application/octet-stream");
    assert_int_equal(r->body_length, 1);
    assert_int_equal((unsigned char)r->body[0], 0xff);
    http_response_free(r);
}

static void base64_encode_and_decode_spellings_of_go_httpbin(void **state)
{
    /* "中" and three question marks: URL-safe, unpadded, so it goes back into /base64/. */
    struct http_response *r = http_get(state, "/base64/encode/%E4%B8%AD%3F%3F%3F");
    assert_true(http_expect_status(r, 200));
    assert_string_equal(http_header(r, "Content-Type"), "text/plain; charset=utf-8");
    assert_string_equal(r->body, "5LitPz8_");
    http_response_free(r);
    r = http_get(state, "/base64/encode/a");
    assert_true(http_expect_status(r, 200));
    assert_string_equal(r->body, "YQ");
    http_response_free(r);
    r = http_get(state, "/base64/decode/5LitPz8_");
    assert_true(http_expect_status(r, 200));
    assert_string_equal(r->body, "中??" "?");
    http_response_free(r);
    assert_bad(state, "/base64/decode/%21", "value");
}

static void base64_bad_input_is_400(void **state)
{
    static const char *const bad[] = {
        "/base64/a", "/base64/a*bc", "/base64/SGVsbG8%20", "/base64/SGVsbG8===", "/base64/S=GV",
        "/base64/SGVsbG9=" /* leftover bits that are not zero */, "/base64/%0d%0a",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_bad(state, bad[i], "value");
    /* 8193 decoded bytes: one past the limit. */
    size_t length = (8193 + 2) / 3 * 4;
    char *target = malloc(length + 16);
    assert_non_null(target);
    strcpy(target, "/base64/");
    memset(target + 8, 'A', length);
    target[8 + length] = '\0';
    assert_bad(state, target, "value");
    free(target);
}

/* --- /uuid -------------------------------------------------------------------------------- */

/* xxxxxxxx-xxxx-Vxxx-Nxxx-xxxxxxxxxxxx with lowercase hex, version V, variant 10xx. */
static void assert_uuid(const char *uuid, char version)
{
    assert_int_equal(strlen(uuid), 36);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(uuid[i], '-');
        else if (!strchr("0123456789abcdef", uuid[i]))
            fail_msg("%s: not lowercase hex at %d", uuid, i);
    }
    assert_int_equal(uuid[14], version);
    assert_non_null(strchr("89ab", uuid[19]));
}

static void uuid_is_version_4_or_7_and_never_repeats(void **state)
{
    char first[37] = "";
    for (int i = 0; i < 3; i++) {
        json_t *answer = get_json(state, "/uuid", NULL);
        assert_uuid(text_of(answer, "uuid"), '4');
        assert_string_not_equal(text_of(answer, "uuid"), first);
        snprintf(first, sizeof first, "%s", text_of(answer, "uuid"));
        json_decref(answer);
    }
    /* Version 7 begins with the Unix time in milliseconds: 48 bits of hex, now-ish. */
    json_t *answer = get_json(state, "/uuid?version=7", NULL);
    const char *uuid = text_of(answer, "uuid");
    assert_uuid(uuid, '7');
    char hex[13];
    memcpy(hex, uuid, 8);
    memcpy(hex + 8, uuid + 9, 4);
    hex[12] = '\0';
    unsigned long long ms = strtoull(hex, NULL, 16);
    unsigned long long now_ms = (unsigned long long)time(NULL) * 1000ull;
    assert_true(ms + 60000 > now_ms && ms < now_ms + 60000);
    json_decref(answer);
    assert_bad(state, "/uuid?version=1", "version");
    assert_bad(state, "/uuid?version=77", "version");
}

/* --- /hostname ---------------------------------------------------------------------------- */

static void hostname_is_off_unless_the_flag_turns_it_on(void **state)
{
    struct http_response *r = http_get(state, "/hostname");
    assert_true(http_expect_status(r, 404));
    assert_true(http_body_contains(r, "--expose-hostname"));
    assert_true(http_body_contains(r, "STATUSD_EXPOSE_HOSTNAME"));
    http_response_free(r);

    struct server *exposing = test_server_start((const char *[]){ "--expose-hostname", NULL });
    assert_non_null(exposing);
    r = http_request(exposing, "GET", "/hostname", NULL, NULL);
    json_t *answer = json_of(r);
    http_response_free(r);
    char name[256];
    assert_int_equal(gethostname(name, sizeof name), 0);
    assert_string_equal(text_of(answer, "hostname"), name);
    json_decref(answer);
    assert_int_equal(test_server_stop(exposing), 0);
}

/* --- /unstable ---------------------------------------------------------------------------- */

static long status_of(void **state, const char *target)
{
    struct http_response *r = http_get(state, target);
    long status = r->status;
    http_response_free(r);
    return status;
}

static void unstable_with_a_seed_repeats_and_rates_0_and_1_are_certain(void **state)
{
    char target[96];
    int failures = 0;
    for (int seed = 0; seed < 40; seed++) {
        snprintf(target, sizeof target, "/unstable?failure_rate=0.5&seed=%d", seed);
        long first = status_of(state, target);
        assert_true(first == 200 || first == 500);
        assert_int_equal(status_of(state, target), first); /* the same seed, the same answer */
        failures += first == 500;
    }
    /* 40 fair draws all landing on one side has probability 2^-39. */
    assert_true(failures > 0 && failures < 40);
    for (int seed = 0; seed < 10; seed++) {
        snprintf(target, sizeof target, "/unstable?failure_rate=0&seed=%d", seed);
        assert_int_equal(status_of(state, target), 200);
        snprintf(target, sizeof target, "/unstable?failure_rate=1&seed=%d", seed);
        assert_int_equal(status_of(state, target), 500);
    }
    struct http_response *r = http_get(state, "/unstable?failure_rate=1.0");
    assert_true(http_expect_status(r, 500));
    assert_true(http_body_contains(r, "/unstable"));
    http_response_free(r);
}

static void unstable_bad_rate_or_seed_is_400(void **state)
{
    static const char *const rates[] = { "1.5", "-0.1", "2", "abc", "0.5x", "1e-1", "",
                                         "0.1234567", "." };
    char target[64];
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        snprintf(target, sizeof target, "/unstable?failure_rate=%s", rates[i]);
        assert_bad(state, target, "failure_rate");
    }
    assert_bad(state, "/unstable?seed=-1", "seed");
    assert_bad(state, "/unstable?seed=18446744073709551616", "seed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_echoes_httpbins_four_fields_with_an_absolute_url),
        cmocka_unit_test(method_named_echoes_answer_their_method_only),
        cmocka_unit_test(post_form_fills_form_and_leaves_data_empty),
        cmocka_unit_test(accepted_credentials_in_json_are_httpbins_object),
        cmocka_unit_test(accepted_credentials_as_text_stay_the_bilingual_sentence),
        cmocka_unit_test(response_headers_sends_and_lists_each_pair_repeats_included),
        cmocka_unit_test(response_headers_refuses_what_h_refuses),
        cmocka_unit_test(fixed_documents_have_their_types_and_content),
        cmocka_unit_test(links_page_links_every_other_page),
        cmocka_unit_test(links_out_of_bounds_are_400),
        cmocka_unit_test(base64_decodes_standard_and_url_safe_text),
        cmocka_unit_test(base64_encode_and_decode_spellings_of_go_httpbin),
        cmocka_unit_test(base64_bad_input_is_400),
        cmocka_unit_test(uuid_is_version_4_or_7_and_never_repeats),
        cmocka_unit_test(hostname_is_off_unless_the_flag_turns_it_on),
        cmocka_unit_test(unstable_with_a_seed_repeats_and_rates_0_and_1_are_certain),
        cmocka_unit_test(unstable_bad_rate_or_seed_is_400),
    };
    return cmocka_run_group_tests_name("httpbin", tests, server_group_setup, server_group_teardown);
}
