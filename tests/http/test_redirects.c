/* Redirects (SPEC §4) over real sockets: /redirect/{n} chains, /redirect-to, /loop/{n}, the
 * --max-redirects bound and the --redirect-allow host list, which /status/3xx?location= obeys
 * too. Following redirects with real clients is in tests/raw/test_redirect_clients.py. */
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

#include <cmocka.h>

#define NO_HEADERS ((const char *const *)NULL)

static const unsigned chain_statuses[] = { 301, 302, 303, 307, 308 };
static const unsigned redirect_to_statuses[] = { 300, 301, 302, 303, 305, 307, 308 };

static void assert_redirect(struct http_response *r, long status, const char *location)
{
    assert_true(http_expect_status(r, status));
    const char *got = http_header(r, "Location");
    if (!got || strcmp(got, location) != 0)
        fail_msg("%s: Location '%s', want '%s'", r->request, got ? got : "(none)", location);
    const char *cache = http_header(r, "Cache-Control");
    if (!cache || strcmp(cache, "no-store") != 0)
        fail_msg("%s: Cache-Control '%s', want no-store", r->request, cache ? cache : "(none)");
}

static void assert_bad_parameter(struct http_response *r, const char *parameter)
{
    http_assert_bad_parameter(r, parameter);
    if (http_header(r, "Location"))
        fail_msg("%s: a refused redirect still sent Location: %s", r->request,
                 http_header(r, "Location"));
}

static void expect_redirect(void **state, const char *target, long status, const char *location)
{
    struct http_response *r = http_get(state, target);
    assert_redirect(r, status, location);
    http_response_free(r);
}

static void expect_bad_parameter(void **state, const char *target, const char *parameter)
{
    struct http_response *r = http_get(state, target);
    assert_bad_parameter(r, parameter);
    http_response_free(r);
}

static const char *server_authority(void **state)
{
    const struct server *server = *state;
    return server->url + strlen("http://");
}

/* --- /redirect/{n} --------------------------------------------------------------------------- */

static void redirect_chain_defaults_to_302_and_a_relative_location(void **state)
{
    expect_redirect(state, "/redirect/3", 302, "/redirect/2");
    expect_redirect(state, "/redirect/1", 302, "/redirect/0");
}

static void redirect_chain_sends_each_status_and_keeps_it_along(void **state)
{
    for (size_t i = 0; i < sizeof chain_statuses / sizeof chain_statuses[0]; i++) {
        char target[64], location[64];
        snprintf(target, sizeof target, "/redirect/2?status=%u", chain_statuses[i]);
        snprintf(location, sizeof location, "/redirect/1?status=%u", chain_statuses[i]);
        expect_redirect(state, target, chain_statuses[i], location);
    }
}

static void redirect_chain_absolute_uses_the_host_header(void **state)
{
    char location[128];
    snprintf(location, sizeof location, "http://%s/redirect/1?type=absolute",
             server_authority(state));
    expect_redirect(state, "/redirect/2?type=absolute", 302, location);
}

static void redirect_chain_scheme_relative_starts_with_two_slashes(void **state)
{
    char location[128];
    snprintf(location, sizeof location, "//%s/redirect/0?status=308&type=scheme-relative",
             server_authority(state));
    expect_redirect(state, "/redirect/1?status=308&type=scheme-relative", 308, location);
}

/* Every hop carries the parameters that are not the chain's own, as sent, so a chain is
 * journaled under one ?key= and answers in one ?format= (status= and type= come first,
 * written from their validated values; encoded bytes stay encoded). */
static void redirect_chain_keeps_parameters_that_are_not_its_own(void **state)
{
    expect_redirect(state, "/redirect/3?key=k1&status=307&format=json", 307,
                    "/redirect/2?status=307&key=k1&format=json");
    expect_redirect(state, "/redirect/2?status=307&cachebuster=1&x=%0D%0A", 307,
                    "/redirect/1?status=307&cachebuster=1&x=%0D%0A");
    expect_redirect(state, "/loop/2?key=k2", 302, "/loop/2/1?key=k2");
}

static void absolute_redirect_refuses_a_host_header_that_is_not_host_port(void **state)
{
    const char *bad_hosts[] = { "Host: evil.test/path", "Host: evil.test@x", "Host: a b",
                                "Host: [::1", "Host: x:99999999", "Host: x\"y" };
    for (size_t i = 0; i < sizeof bad_hosts / sizeof bad_hosts[0]; i++) {
        struct http_response *r = http_request(*state, "GET", "/redirect/2?type=absolute",
                                               (const char *[]){ bad_hosts[i], NULL }, NULL);
        assert_true(http_expect_status(r, 400));
        if (http_header(r, "Location"))
            fail_msg("%s: Location '%s' built from a bad Host", bad_hosts[i],
                     http_header(r, "Location"));
        http_response_free(r);
    }
    struct http_response *r = http_request(*state, "GET", "/redirect/1?type=absolute",
                                           (const char *[]){ "Host: [::1]:8080", NULL }, NULL);
    assert_redirect(r, 302, "http://[::1]:8080/redirect/0?type=absolute");
    http_response_free(r);
}

static void redirect_body_links_the_target_and_counts_the_hops(void **state)
{
    struct http_response *r = http_get(state, "/redirect/3?format=json&lang=en");
    assert_true(http_expect_status(r, 302));
    json_error_t error;
    json_t *body = json_loadb(r->body, r->body_length, 0, &error);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(body, "link")),
                        "/redirect/2?format=json&lang=en");
    const char *note = json_string_value(json_object_get(json_object_get(body, "en"), "note"));
    assert_non_null(note);
    assert_non_null(strstr(note, "Hop 1 of 3"));
    json_decref(body);
    http_response_free(r);

    r = http_get(state, "/redirect/3?lang=zh");
    assert_true(http_body_contains(r, "共 3 跳"));
    assert_true(http_body_contains(r, "/redirect/2"));
    http_response_free(r);
}

static void redirect_head_has_location_and_no_body(void **state)
{
    struct http_response *r = http_request(*state, "HEAD", "/redirect/2", NO_HEADERS, NULL);
    assert_redirect(r, 302, "/redirect/1");
    assert_int_equal(r->body_length, 0);
    assert_true(r->content_length > 0);
    http_response_free(r);
}

static void redirect_zero_echoes_the_final_request(void **state)
{
    struct http_response *r = http_request(*state, "POST", "/redirect/0?status=307",
                                           (const char *[]){ "Content-Type: text/plain", NULL },
                                           "abc");
    assert_true(http_expect_status(r, 200));
    assert_string_equal(http_header(r, "Content-Type"), "application/json");
    json_error_t error;
    json_t *echo = json_loadb(r->body, r->body_length, 0, &error);
    assert_non_null(echo);
    assert_string_equal(json_string_value(json_object_get(echo, "method")), "POST");
    assert_int_equal(json_integer_value(json_object_get(echo, "body_size")), 3);
    assert_string_equal(json_string_value(json_object_get(echo, "body")), "abc");
    assert_string_equal(json_string_value(json_object_get(echo, "target")), "/redirect/0?status=307");
    json_t *args = json_object_get(echo, "args");
    assert_string_equal(json_string_value(json_object_get(args, "status")), "307");
    json_decref(echo);
    http_response_free(r);
}

static void bad_redirect_status_is_400_naming_status(void **state)
{
    const char *targets[] = { "/redirect/2?status=200", "/redirect/2?status=300",
                              "/redirect/2?status=304", "/redirect/2?status=abc",
                              "/redirect/2?status=", "/redirect/0?status=305" };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        expect_bad_parameter(state, targets[i], "status");
}

static void bad_redirect_type_is_400_naming_type(void **state)
{
    expect_bad_parameter(state, "/redirect/2?type=ABSOLUTE", "type");
    expect_bad_parameter(state, "/redirect/2?type=https", "type");
}

static void n_that_is_not_a_plain_integer_is_400_naming_n(void **state)
{
    const char *targets[] = { "/redirect/", "/redirect/abc", "/redirect/-1", "/redirect/+3",
                              "/redirect/1.5", "/redirect/0x3", "/redirect/3/x",
                              "/redirect/%203", "/redirect/99999999999999999999999" };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        expect_bad_parameter(state, targets[i], "n");
}

static void n_over_max_redirects_is_400_saying_so(void **state)
{
    expect_redirect(state, "/redirect/100", 302, "/redirect/99");
    struct http_response *r = http_get(state, "/redirect/101");
    assert_bad_parameter(r, "n");
    assert_true(http_body_contains(r, "--max-redirects"));
    http_response_free(r);
    expect_bad_parameter(state, "/loop/101", "n");
}

static int start_max_redirects_3_server(void **state)
{
    *state = test_server_start((const char *[]){ "--max-redirects", "3", NULL });
    return *state ? 0 : -1;
}

static void max_redirects_flag_bounds_chains_and_loops(void **state)
{
    expect_redirect(state, "/redirect/3", 302, "/redirect/2");
    expect_bad_parameter(state, "/redirect/4", "n");
    expect_redirect(state, "/loop/3", 302, "/loop/3/1");
    expect_bad_parameter(state, "/loop/4", "n");
}

/* --- /redirect-to ------------------------------------------------------------------------------ */

static void redirect_to_sends_each_allowed_status_to_the_url(void **state)
{
    expect_redirect(state, "/redirect-to?url=/status/200", 302, "/status/200");
    for (size_t i = 0; i < sizeof redirect_to_statuses / sizeof redirect_to_statuses[0]; i++) {
        char target[96];
        snprintf(target, sizeof target, "/redirect-to?url=https://example.org/x%%3Fy&status=%u",
                 redirect_to_statuses[i]);
        expect_redirect(state, target, redirect_to_statuses[i], "https://example.org/x?y");
    }
}

static void redirect_to_refuses_other_statuses(void **state)
{
    const char *statuses[] = { "200", "304", "306", "309", "399", "3o2", "" };
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        char target[64];
        snprintf(target, sizeof target, "/redirect-to?url=/x&status=%s", statuses[i]);
        expect_bad_parameter(state, target, "status");
    }
}

static void redirect_to_refuses_unsafe_targets_without_injecting(void **state)
{
    const char *targets[] = {
        "/redirect-to", "/redirect-to?url=", "/redirect-to?url=javascript:alert(1)",
        "/redirect-to?url=ftp://example.org/", "/redirect-to?url=data:text/html,x",
        "/redirect-to?url=/a%0d%0aX-Injected:%201", "/redirect-to?url=/a%0aX-Injected:1",
        "/redirect-to?url=/a%00b", "/redirect-to?url=/a%09b", "/redirect-to?url=/%C3%A9",
    };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        struct http_response *r = http_get(state, targets[i]);
        assert_bad_parameter(r, "url");
        if (http_header(r, "X-Injected"))
            fail_msg("%s: a header was injected", targets[i]);
        http_response_free(r);
    }
}

static void redirect_to_allows_any_host_when_none_are_configured(void **state)
{
    expect_redirect(state, "/redirect-to?url=https://evil.test/", 302, "https://evil.test/");
    expect_redirect(state, "/status/302?location=https://evil.test/", 302, "https://evil.test/");
}

static int start_allow_example_org_server(void **state)
{
    *state = test_server_start((const char *[]){ "--redirect-allow", "example.org",
                                            "--redirect-allow", "[::1]", NULL });
    return *state ? 0 : -1;
}

static void redirect_allow_admits_listed_hosts_and_relative_targets(void **state)
{
    expect_redirect(state, "/redirect-to?url=https://example.org/x", 302, "https://example.org/x");
    expect_redirect(state, "/redirect-to?url=http://EXAMPLE.org:8080/x&status=307", 307,
                    "http://EXAMPLE.org:8080/x");
    expect_redirect(state, "/redirect-to?url=https://user:pw@example.org/", 302,
                    "https://user:pw@example.org/");
    expect_redirect(state, "/redirect-to?url=//example.org/x", 302, "//example.org/x");
    expect_redirect(state, "/redirect-to?url=http://[::1]:8080/", 302, "http://[::1]:8080/");
    expect_redirect(state, "/redirect-to?url=/relative", 302, "/relative");
    expect_redirect(state, "/redirect-to?url=relative?x=1", 302, "relative?x=1");
    expect_redirect(state, "/status/302?location=https://example.org/", 302,
                    "https://example.org/");
    expect_redirect(state, "/status/301?location=/x", 301, "/x");
}

static void redirect_allow_refuses_other_hosts_naming_the_allowed_ones(void **state)
{
    const char *targets[] = {
        "/redirect-to?url=https://evil.test/",
        "/redirect-to?url=//evil.test/",
        "/redirect-to?url=https://example.org@evil.test/",
        "/redirect-to?url=https://example.org:1@evil.test/",
        "/redirect-to?url=https://evil.test%23@example.org/",
        "/redirect-to?url=https://example.org.evil.test/",
        "/redirect-to?url=https://sub.example.org/",
        "/redirect-to?url=https:///evil.test/",
        "/redirect-to?url=///evil.test/",
        "/redirect-to?url=https://evil.test?@example.org",
    };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        struct http_response *r = http_get(state, targets[i]);
        assert_bad_parameter(r, "url");
        if (!http_body_contains(r, "example.org"))
            fail_msg("%s: the 400 does not name the allowed host", targets[i]);
        http_response_free(r);
    }
}

static void redirect_allow_also_limits_status_location(void **state)
{
    struct http_response *r = http_get(state, "/status/302?location=https://evil.test/");
    assert_bad_parameter(r, "location");
    assert_true(http_body_contains(r, "example.org"));
    http_response_free(r);
    expect_bad_parameter(state, "/status/201?location=//evil.test/x", "location");
}

/* A target built from the Host header is the client's choice of host: the list holds for it
 * too, so "Host: evil.test" cannot make this server redirect there. */
static void redirect_allow_also_limits_targets_built_from_host(void **state)
{
    struct http_response *r =
        http_get_with(state, "/redirect/2?type=absolute", "Host: evil.test");
    assert_int_equal(r->status, 400);
    assert_null(http_header(r, "Location"));
    assert_true(http_body_contains(r, "example.org"));
    http_response_free(r);
    r = http_get_with(state, "/redirect/2?type=scheme-relative", "Host: evil.test:8080");
    assert_int_equal(r->status, 400);
    http_response_free(r);
    r = http_get_with(state, "/redirect/2?type=absolute", "Host: example.org");
    assert_int_equal(r->status, 302);
    const char *location = http_header(r, "Location");
    assert_non_null(location);
    assert_true(strncmp(location, "http://example.org/redirect/1", 29) == 0);
    http_response_free(r);
}

/* --- /loop/{n} --------------------------------------------------------------------------------- */

static void loop_1_redirects_to_itself(void **state)
{
    expect_redirect(state, "/loop/1", 302, "/loop/1");
    expect_redirect(state, "/loop/1?status=307", 307, "/loop/1?status=307");
}

static void loop_n_cycles_through_n_urls_under_itself(void **state)
{
    const char *want[] = { "/loop/3/1?status=301", "/loop/3/2?status=301", "/loop/3?status=301" };
    char target[64] = "/loop/3?status=301";
    for (size_t hop = 0; hop < 7; hop++) {
        struct http_response *r = http_get(state, target);
        assert_redirect(r, 301, want[hop % 3]);
        snprintf(target, sizeof target, "%s", http_header(r, "Location"));
        http_response_free(r);
    }
}

static void loop_with_bad_n_or_step_is_400(void **state)
{
    expect_bad_parameter(state, "/loop/0", "n");
    expect_bad_parameter(state, "/loop/x", "n");
    expect_bad_parameter(state, "/loop/", "n");
    expect_bad_parameter(state, "/loop/3/0", "step");
    expect_bad_parameter(state, "/loop/3/3", "step");
    expect_bad_parameter(state, "/loop/3/x", "step");
    expect_bad_parameter(state, "/loop/1/1", "step");
    expect_bad_parameter(state, "/loop/2?status=303x", "status");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(redirect_chain_defaults_to_302_and_a_relative_location),
        cmocka_unit_test(redirect_chain_sends_each_status_and_keeps_it_along),
        cmocka_unit_test(redirect_chain_absolute_uses_the_host_header),
        cmocka_unit_test(redirect_chain_scheme_relative_starts_with_two_slashes),
        cmocka_unit_test(redirect_chain_keeps_parameters_that_are_not_its_own),
        cmocka_unit_test(absolute_redirect_refuses_a_host_header_that_is_not_host_port),
        cmocka_unit_test(redirect_body_links_the_target_and_counts_the_hops),
        cmocka_unit_test(redirect_head_has_location_and_no_body),
        cmocka_unit_test(redirect_zero_echoes_the_final_request),
        cmocka_unit_test(bad_redirect_status_is_400_naming_status),
        cmocka_unit_test(bad_redirect_type_is_400_naming_type),
        cmocka_unit_test(n_that_is_not_a_plain_integer_is_400_naming_n),
        cmocka_unit_test(n_over_max_redirects_is_400_saying_so),
        cmocka_unit_test_setup_teardown(max_redirects_flag_bounds_chains_and_loops,
                                        start_max_redirects_3_server, server_group_teardown),
        cmocka_unit_test(redirect_to_sends_each_allowed_status_to_the_url),
        cmocka_unit_test(redirect_to_refuses_other_statuses),
        cmocka_unit_test(redirect_to_refuses_unsafe_targets_without_injecting),
        cmocka_unit_test(redirect_to_allows_any_host_when_none_are_configured),
        cmocka_unit_test_setup_teardown(redirect_allow_admits_listed_hosts_and_relative_targets,
                                        start_allow_example_org_server, server_group_teardown),
        cmocka_unit_test_setup_teardown(redirect_allow_refuses_other_hosts_naming_the_allowed_ones,
                                        start_allow_example_org_server, server_group_teardown),
        cmocka_unit_test_setup_teardown(redirect_allow_also_limits_targets_built_from_host,
                                        start_allow_example_org_server, server_group_teardown),
        cmocka_unit_test_setup_teardown(redirect_allow_also_limits_status_location,
                                        start_allow_example_org_server, server_group_teardown),
        cmocka_unit_test(loop_1_redirects_to_itself),
        cmocka_unit_test(loop_n_cycles_through_n_urls_under_itself),
        cmocka_unit_test(loop_with_bad_n_or_step_is_400),
    };
    return cmocka_run_group_tests_name("redirects", tests, server_group_setup,
                                       server_group_teardown);
}
