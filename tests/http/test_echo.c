/* Echo (SPEC §5) over real sockets: /anything[/...], /headers, /ip, /user-agent answer JSON of
 * what arrived, and nothing a client sends breaks that JSON or reaches a response header. */
#include "http.h"
#include "server.h"

#include <curl/curl.h>
#include <jansson.h>
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

/* The response body as JSON; fails the test when it is not JSON or not application/json. */
static json_t *echo_json(const struct http_response *r)
{
    const char *type = http_header(r, "Content-Type");
    if (!type || strcmp(type, "application/json") != 0)
        fail_msg("%s: Content-Type '%s', want application/json", r->request,
                 type ? type : "(none)");
    json_error_t error;
    json_t *echo = json_loadb(r->body, r->body_length, 0, &error);
    if (!echo)
        fail_msg("%s: body is not JSON (%s):\n%s", r->request, error.text, r->body);
    return echo;
}

static json_t *request_echo(void **state, const char *method, const char *target,
                            const char *const *headers, const char *body)
{
    struct http_response *r = http_request(*state, method, target, headers, body);
    assert_true(http_expect_status(r, 200));
    json_t *echo = echo_json(r);
    http_response_free(r);
    return echo;
}

static const char *field(const json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

/* --- a body with any bytes, which http_request (strlen) cannot send ------------------------- */

struct collected_body {
    char *data;
    size_t length;
};

static size_t collect_body(char *data, size_t size, size_t count, void *userdata)
{
    struct collected_body *body = userdata;
    size_t n = size * count;
    char *grown = realloc(body->data, body->length + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + body->length, data, n);
    body->data = grown;
    body->length += n;
    body->data[body->length] = '\0';
    return n;
}

static json_t *post_bytes(void **state, const char *target, const unsigned char *bytes,
                          size_t length)
{
    const struct server *server = *state;
    char url[256];
    snprintf(url, sizeof url, "%s%s", server->url, target);
    struct collected_body body = { 0 };
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    CURL *easy = curl_easy_init();
    assert_non_null(easy);
    assert_non_null(headers);
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, bytes);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)length);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, (long)HTTP_TIMEOUT_S);
    CURLcode result = curl_easy_perform(easy);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    assert_int_equal(result, CURLE_OK);
    assert_int_equal(status, 200);
    json_error_t error;
    json_t *echo = json_loadb(body.data, body.length, 0, &error);
    free(body.data);
    assert_non_null(echo);
    return echo;
}

static size_t base64_decode(const char *text, unsigned char *out, size_t size)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 0;
    uint32_t bits = 0;
    int count = 0;
    for (const char *p = text; *p && *p != '='; p++) {
        const char *at = strchr(alphabet, *p);
        assert_non_null(at);
        bits = bits << 6 | (uint32_t)(at - alphabet);
        count += 6;
        if (count >= 8) {
            count -= 8;
            assert_true(n < size);
            out[n++] = (unsigned char)(bits >> count);
        }
    }
    return n;
}

/* --- /anything ------------------------------------------------------------------------------- */

static void anything_echoes_method_url_and_args(void **state)
{
    json_t *echo = request_echo(state, "GET", "/anything?x=1&x=2&y=%C3%A9&flag", NO_HEADERS, NULL);
    assert_string_equal(field(echo, "method"), "GET");
    /* "url" is absolute, as httpbin's; "target" is the path and query alone. */
    char url[256];
    snprintf(url, sizeof url, "%s/anything?x=1&x=2&y=%%C3%%A9&flag", ((struct server *)*state)->url);
    assert_string_equal(field(echo, "url"), url);
    assert_string_equal(field(echo, "target"), "/anything?x=1&x=2&y=%C3%A9&flag");
    json_t *args = json_object_get(echo, "args");
    json_t *x = json_object_get(args, "x");
    assert_true(json_is_array(x));
    assert_int_equal(json_array_size(x), 2);
    assert_string_equal(json_string_value(json_array_get(x, 0)), "1");
    assert_string_equal(json_string_value(json_array_get(x, 1)), "2");
    assert_string_equal(field(args, "y"), "é");
    assert_string_equal(field(args, "flag"), "");
    assert_string_equal(field(echo, "origin"), "127.0.0.1");
    assert_string_equal(field(echo, "body"), "");
    assert_int_equal(json_integer_value(json_object_get(echo, "body_size")), 0);
    assert_true(json_is_null(json_object_get(echo, "json")));
    /* httpbin's shape: "form" and "files" are objects, empty when the body is no form. */
    assert_true(json_is_object(json_object_get(echo, "form")));
    assert_int_equal(json_object_size(json_object_get(echo, "form")), 0);
    assert_true(json_is_object(json_object_get(echo, "files")));
    assert_string_equal(field(echo, "data"), "");
    json_decref(echo);
}

static void anything_deep_path_is_echoed(void **state)
{
    json_t *echo = request_echo(state, "GET", "/anything/deep/path/x%20y?q=1", NO_HEADERS, NULL);
    assert_string_equal(field(echo, "target"), "/anything/deep/path/x%20y?q=1");
    json_decref(echo);
}

/* Echo is data: JSON for every client but a browser, which gets a table (SPEC §1, §5). */
static void anything_is_json_unless_html_is_asked_for(void **state)
{
    const char *const accepts[] = { "Accept: text/plain", "Accept: */*", "Accept: application/json" };
    for (size_t i = 0; i < sizeof accepts / sizeof accepts[0]; i++) {
        struct http_response *r = http_request(*state, "GET", "/anything",
                                               (const char *[]){ accepts[i], NULL }, NULL);
        assert_true(http_expect_status(r, 200));
        json_decref(echo_json(r));
        assert_string_equal(http_header(r, "Cache-Control"), "no-store");
        http_response_free(r);
    }
    struct http_response *r = http_request(*state, "GET", "/anything",
                                           (const char *[]){ "Accept: text/html", NULL }, NULL);
    assert_true(http_expect_status(r, 200));
    assert_non_null(strstr(http_header(r, "Content-Type"), "text/html"));
    assert_non_null(strstr(r->body, "<th>method</th>"));
    http_response_free(r);
}

static void anything_format_html_is_an_escaped_table(void **state)
{
    struct http_response *r = http_request(*state, "GET", "/anything?format=html&q=%3Cscript%3E",
                                           NO_HEADERS, NULL);
    assert_true(http_expect_status(r, 200));
    assert_string_equal(http_header(r, "Content-Type"), "text/html; charset=utf-8");
    assert_true(http_body_contains(r, "<table>"));
    assert_true(http_body_contains(r, "&lt;script&gt;"));
    assert_false(http_body_contains(r, "<script>"));
    http_response_free(r);
}

static void anything_parses_a_json_body(void **state)
{
    json_t *echo = request_echo(state, "POST", "/anything",
                                (const char *[]){ "Content-Type: application/json; charset=utf-8",
                                                  NULL },
                                "{\"a\":[1,2],\"b\":\"\xc3\xa9\"}");
    assert_string_equal(field(echo, "method"), "POST");
    assert_string_equal(field(echo, "body_encoding"), "utf-8");
    assert_string_equal(field(echo, "body"), "{\"a\":[1,2],\"b\":\"\xc3\xa9\"}");
    json_t *parsed = json_object_get(echo, "json");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(parsed, "a"), 1)), 2);
    assert_string_equal(field(parsed, "b"), "\xc3\xa9");
    json_decref(echo);
}

static void anything_shows_invalid_json_as_null(void **state)
{
    json_t *echo = request_echo(state, "PUT", "/anything",
                                (const char *[]){ "Content-Type: application/json", NULL },
                                "{oops");
    assert_true(json_is_null(json_object_get(echo, "json")));
    assert_string_equal(field(echo, "body"), "{oops");
    json_decref(echo);
}

static void anything_parses_a_form_body(void **state)
{
    json_t *echo = request_echo(
        state, "POST", "/anything",
        (const char *[]){ "Content-Type: application/x-www-form-urlencoded", NULL },
        "a=1+2&b=%41%2b&a=3&empty=&bare&&bad=%zz");
    json_t *form = json_object_get(echo, "form");
    json_t *a = json_object_get(form, "a");
    assert_int_equal(json_array_size(a), 2);
    assert_string_equal(json_string_value(json_array_get(a, 0)), "1 2");
    assert_string_equal(json_string_value(json_array_get(a, 1)), "3");
    assert_string_equal(field(form, "b"), "A+");
    assert_string_equal(field(form, "empty"), "");
    assert_string_equal(field(form, "bare"), "");
    assert_string_equal(field(form, "bad"), "%zz");
    assert_true(json_is_null(json_object_get(echo, "json")));
    json_decref(echo);
}

static void anything_sends_a_binary_body_as_base64(void **state)
{
    unsigned char bytes[256];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)i;
    json_t *echo = post_bytes(state, "/anything", bytes, sizeof bytes);
    assert_string_equal(field(echo, "body_encoding"), "base64");
    assert_int_equal(json_integer_value(json_object_get(echo, "body_size")), 256);
    unsigned char decoded[300];
    assert_int_equal(base64_decode(field(echo, "body"), decoded, sizeof decoded), 256);
    assert_memory_equal(decoded, bytes, sizeof bytes);
    json_decref(echo);

    /* Text with a NUL is binary too: JSON could carry it, most readers of "body" could not. */
    echo = post_bytes(state, "/anything", (const unsigned char *)"a\0b", 3);
    assert_string_equal(field(echo, "body_encoding"), "base64");
    assert_string_equal(field(echo, "body"), "YQBi");
    json_decref(echo);
}

static void anything_keeps_json_valid_with_bytes_that_are_not_utf8(void **state)
{
    json_t *echo = request_echo(state, "POST", "/anything?bad=%FF%C3",
                                (const char *[]){ "X-Latin: caf\xe9", NULL }, "caf\xe9");
    assert_string_equal(field(json_object_get(echo, "args"), "bad"), "\\xff\\xc3");
    assert_string_equal(field(json_object_get(echo, "headers"), "X-Latin"), "caf\\xe9");
    assert_string_equal(field(echo, "body_encoding"), "base64");
    assert_string_equal(field(echo, "body"), "Y2Fm6Q==");
    json_decref(echo);
}

static void anything_echoes_every_method(void **state)
{
    const char *methods[] = { "PUT", "PATCH", "DELETE", "BREW", "POST" };
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        json_t *echo = request_echo(state, methods[i], "/anything/m", NO_HEADERS, NULL);
        assert_string_equal(field(echo, "method"), methods[i]);
        json_decref(echo);
    }
}

static void options_on_anything_is_echoed_not_an_allow_answer(void **state)
{
    struct http_response *r = http_request(*state, "OPTIONS", "/anything", NO_HEADERS, NULL);
    assert_true(http_expect_status(r, 200));
    assert_null(http_header(r, "Allow"));
    json_t *echo = echo_json(r);
    assert_string_equal(field(echo, "method"), "OPTIONS");
    json_decref(echo);
    http_response_free(r);
}

static void head_on_anything_has_the_headers_and_no_body(void **state)
{
    struct http_response *r = http_request(*state, "HEAD", "/anything", NO_HEADERS, NULL);
    assert_true(http_expect_status(r, 200));
    assert_string_equal(http_header(r, "Content-Type"), "application/json");
    assert_true(r->content_length > 0);
    assert_int_equal(r->body_length, 0);
    http_response_free(r);
}

static void echo_never_reflects_the_request_into_headers(void **state)
{
    struct http_response *r = http_request(
        *state, "GET", "/anything?h=X-Evil:zq-marker&location=/zq-marker",
        (const char *[]){ "X-Reflect: zq-marker", "Origin: https://zq-marker.test", NULL }, NULL);
    assert_true(http_expect_status(r, 200));
    const struct http_head *head = &r->heads[r->head_count - 1];
    for (size_t i = 0; i < head->header_count; i++) {
        const struct http_header *h = &head->headers[i];
        if (strstr(h->name, "zq-marker") || strstr(h->value, "zq-marker") ||
            strcasecmp(h->name, "X-Evil") == 0 || strcasecmp(h->name, "Location") == 0)
            fail_msg("request bytes reached response header %s: %s", h->name, h->value);
    }
    assert_true(http_body_contains(r, "zq-marker")); /* the body does echo them */
    http_response_free(r);
}

/* --- /headers, /ip, /user-agent ------------------------------------------------------------- */

static void headers_shows_custom_headers_repeats_as_a_list(void **state)
{
    json_t *echo = request_echo(state, "GET", "/headers",
                                (const char *[]){ "X-Custom: hello", "x-repeat: one",
                                                  "X-Repeat: two", NULL },
                                NULL);
    assert_int_equal(json_object_size(echo), 1);
    json_t *headers = json_object_get(echo, "headers");
    assert_string_equal(field(headers, "X-Custom"), "hello");
    json_t *repeat = json_object_get(headers, "X-Repeat");
    assert_int_equal(json_array_size(repeat), 2);
    assert_string_equal(json_string_value(json_array_get(repeat, 0)), "one");
    assert_string_equal(json_string_value(json_array_get(repeat, 1)), "two");
    json_decref(echo);
}

static void ip_shows_the_client_address(void **state)
{
    json_t *echo = request_echo(state, "GET", "/ip", NO_HEADERS, NULL);
    assert_int_equal(json_object_size(echo), 1);
    assert_string_equal(field(echo, "origin"), "127.0.0.1");
    json_decref(echo);
}

static void user_agent_shows_the_user_agent(void **state)
{
    json_t *echo = request_echo(state, "GET", "/user-agent",
                                (const char *[]){ "User-Agent: statusd-test/1.0 \"q\"", NULL },
                                NULL);
    assert_string_equal(field(echo, "user-agent"), "statusd-test/1.0 \"q\"");
    json_decref(echo);
    echo = request_echo(state, "GET", "/user-agent", (const char *[]){ "User-Agent:", NULL },
                        NULL);
    assert_true(json_is_null(json_object_get(echo, "user-agent")));
    json_decref(echo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(anything_echoes_method_url_and_args),
        cmocka_unit_test(anything_deep_path_is_echoed),
        cmocka_unit_test(anything_is_json_unless_html_is_asked_for),
        cmocka_unit_test(anything_format_html_is_an_escaped_table),
        cmocka_unit_test(anything_parses_a_json_body),
        cmocka_unit_test(anything_shows_invalid_json_as_null),
        cmocka_unit_test(anything_parses_a_form_body),
        cmocka_unit_test(anything_sends_a_binary_body_as_base64),
        cmocka_unit_test(anything_keeps_json_valid_with_bytes_that_are_not_utf8),
        cmocka_unit_test(anything_echoes_every_method),
        cmocka_unit_test(options_on_anything_is_echoed_not_an_allow_answer),
        cmocka_unit_test(head_on_anything_has_the_headers_and_no_body),
        cmocka_unit_test(echo_never_reflects_the_request_into_headers),
        cmocka_unit_test(headers_shows_custom_headers_repeats_as_a_list),
        cmocka_unit_test(ip_shows_the_client_address),
        cmocka_unit_test(user_agent_shows_the_user_agent),
    };
    return cmocka_run_group_tests_name("echo", tests, server_group_setup, server_group_teardown);
}
