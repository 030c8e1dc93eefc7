/* Authentication over real sockets (SPEC §6): Basic, hidden Basic, Digest, Bearer, proxy
 * authentication and /forbidden, with the notes that tell missing credentials from wrong
 * ones. Credentials are written by hand here (base64 of "user:passwd" ...), so the test sees
 * exactly what goes on the wire; the Digest handshake is left to libcurl. */
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

/* base64 of what the comment says */
#define USER_PASSWD "Basic dXNlcjpwYXNzd2Q=" /* user:passwd */
#define USER_WRONG "Basic dXNlcjp3cm9uZw=="  /* user:wrong */
#define BOB_PASSWD "Basic Ym9iOnBhc3N3ZA=="  /* bob:passwd */
#define U_P_COLON_Q "Basic dTpwOnE="         /* u:p:q */
#define CHINESE_USER "Basic 55So5oi3OnB3"    /* 用户:pw */

#define MISSING_NOTE "No credentials were sent"
#define WRONG_NOTE "Wrong credentials"

/* The transfer worked and the status is want; says what came instead when not. */
static void assert_status(const struct http_response *r, long want)
{
    if (r->result != 0)
        fail_msg("transfer failed: %s", r->error);
    if (r->status != want)
        fail_msg("status %ld, expected %ld; body:\n%.600s", r->status, want,
                 r->body ? r->body : "");
}

static void assert_body_has(const struct http_response *r, const char *text)
{
    if (!http_body_contains(r, text))
        fail_msg("the body lacks \"%s\":\n%.1200s", text, r->body ? r->body : "");
}

static void assert_body_lacks(const struct http_response *r, const char *text)
{
    if (http_body_contains(r, text))
        fail_msg("the body holds \"%s\":\n%.1200s", text, r->body ? r->body : "");
}

/* One GET, then its status, freeing the response. */
static long status_of(void **state, const char *target, const char *header)
{
    struct http_response *r = header ? http_get_with(state, target, header) : http_get(state, target);
    long status = r->result == 0 ? r->status : -1;
    http_response_free(r);
    return status;
}

/* A 400 whose body names the parameter as the server quotes it. */
static void assert_bad_parameter(void **state, const char *target, const char *parameter)
{
    struct http_response *r = http_get(state, target);
    http_assert_bad_parameter(r, parameter); /* 'token' for ?token=, {user} for a segment */
    http_response_free(r);
}

static size_t discard(char *data, size_t size, size_t count, void *cls)
{
    (void)data;
    (void)cls;
    return size * count;
}

/* A GET through libcurl's own Digest handshake (challenge, then credentials): the status of
 * the last response, -1 when the transfer failed. */
static long digest_status(void **state, const char *target, const char *user_password)
{
    const struct server *server = *state;
    char url[512];
    snprintf(url, sizeof url, "%s%s", server->url, target);
    CURL *easy = curl_easy_init();
    assert_non_null(easy);
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST);
    curl_easy_setopt(easy, CURLOPT_USERPWD, user_password);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, (long)HTTP_TIMEOUT_S);
    long status = -1;
    if (curl_easy_perform(easy) == CURLE_OK)
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(easy);
    return status;
}

/* --- Basic ----------------------------------------------------------------------------- */

static void basic_auth_with_right_credentials_is_200_naming_the_user(void **state)
{
    /* Asked for text by name: the bilingual sentence. */
    struct http_response *r =
        http_get_with(state, "/basic-auth/user/passwd?format=text", "Authorization: " USER_PASSWD);
    assert_status(r, 200);
    assert_body_has(r, "Authenticated: user 'user'");
    assert_body_has(r, "认证成功");
    assert_null(http_header(r, "WWW-Authenticate"));
    http_response_free(r);
    /* No format named (libcurl sends no Accept): httpbin's JSON, as httpbin clients expect. */
    r = http_get_with(state, "/basic-auth/user/passwd", "Authorization: " USER_PASSWD);
    assert_status(r, 200);
    assert_body_has(r, "\"authenticated\": true");
    assert_body_has(r, "\"user\": \"user\"");
    http_response_free(r);
}

static void basic_auth_without_credentials_is_401_saying_they_are_missing(void **state)
{
    struct http_response *r = http_get(state, "/basic-auth/user/passwd");
    assert_status(r, 401);
    assert_string_equal(http_header(r, "WWW-Authenticate"), "Basic realm=\"statusd\"");
    assert_body_has(r, MISSING_NOTE);
    assert_body_has(r, "未发送凭据");
    assert_body_lacks(r, WRONG_NOTE);
    http_response_free(r);
}

static void basic_auth_with_wrong_password_says_wrong_and_never_echoes_it(void **state)
{
    struct http_response *r =
        http_get_with(state, "/basic-auth/user/passwd", "Authorization: " USER_WRONG);
    assert_status(r, 401);
    assert_string_equal(http_header(r, "WWW-Authenticate"), "Basic realm=\"statusd\"");
    assert_body_has(r, WRONG_NOTE);
    assert_body_has(r, "password sent for user 'user'");
    assert_body_has(r, "凭据错误");
    assert_body_lacks(r, MISSING_NOTE);
    assert_body_lacks(r, "wrong'");
    assert_body_lacks(r, "'wrong");
    http_response_free(r);
}

static void basic_auth_with_wrong_user_names_the_user_tried(void **state)
{
    struct http_response *r =
        http_get_with(state, "/basic-auth/user/passwd", "Authorization: " BOB_PASSWD);
    assert_status(r, 401);
    assert_body_has(r, "user 'bob' is not the user this URL expects");
    http_response_free(r);
}

static void basic_auth_scheme_is_case_insensitive(void **state)
{
    assert_int_equal(
        status_of(state, "/basic-auth/user/passwd", "Authorization: basic dXNlcjpwYXNzd2Q="), 200);
    assert_int_equal(
        status_of(state, "/basic-auth/user/passwd", "Authorization: BASIC dXNlcjpwYXNzd2Q="), 200);
    assert_int_equal(
        status_of(state, "/basic-auth/user/passwd", "Authorization: Basicx dXNlcjpwYXNzd2Q="), 401);
}

static void basic_auth_splits_at_the_first_colon_so_passwords_may_hold_colons(void **state)
{
    assert_int_equal(status_of(state, "/basic-auth/u/p:q", "Authorization: " U_P_COLON_Q), 200);
    /* The same bytes read as user "u:p" would not match user "u". */
    assert_int_equal(status_of(state, "/basic-auth/u:p/q", "Authorization: " U_P_COLON_Q), 401);
}

static void basic_auth_accepts_a_utf8_user(void **state)
{
    struct http_response *r =
        http_get_with(state, "/basic-auth/%E7%94%A8%E6%88%B7/pw", "Authorization: " CHINESE_USER);
    assert_status(r, 200);
    assert_body_has(r, "用户");
    http_response_free(r);
}

static void basic_auth_with_invalid_base64_is_401_and_the_server_lives_on(void **state)
{
    static const char *const garbage[] = {
        "Authorization: Basic !!!notbase64",
        "Authorization: Basic dXNlcg==",        /* "user": no colon */
        "Authorization: Basic dXNlcjpwYXNzd2Q", /* padding missing */
        "Authorization: Basic ====",
        "Authorization: Basic",
        "Authorization: Basic dXNlcjpwYXNzd2Q=dXNl",
    };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        struct http_response *r = http_get_with(state, "/basic-auth/user/passwd", garbage[i]);
        assert_status(r, 401);
        assert_body_has(r, WRONG_NOTE);
        http_response_free(r);
    }
    assert_int_equal(status_of(state, "/health", NULL), 200);
}

static void basic_auth_with_another_scheme_is_401(void **state)
{
    struct http_response *r =
        http_get_with(state, "/basic-auth/user/passwd", "Authorization: Bearer abc");
    assert_status(r, 401);
    assert_body_has(r, "another scheme than Basic");
    http_response_free(r);
}

static void basic_auth_bad_path_parts_are_400_naming_them(void **state)
{
    assert_bad_parameter(state, "/basic-auth/onlyuser", "pass");
    assert_bad_parameter(state, "/basic-auth/", "user");
    assert_bad_parameter(state, "/basic-auth//passwd", "user");
    assert_bad_parameter(state, "/basic-auth/user/", "pass");
    assert_bad_parameter(state, "/basic-auth/user/pa/ss", "pass");
    assert_bad_parameter(state, "/basic-auth/us%01er/passwd", "user");
    assert_bad_parameter(state, "/basic-auth/user/%FF%FE", "pass");
    char target[256] = "/basic-auth/";
    memset(target + strlen(target), 'u', 129);
    strcat(target, "/passwd");
    assert_bad_parameter(state, target, "user");
}

static void basic_auth_401_as_json_parses_and_holds_the_note(void **state)
{
    struct http_response *r =
        http_get_with(state, "/basic-auth/user/passwd", "Accept: application/json");
    assert_status(r, 401);
    json_error_t error;
    json_t *root = json_loads(r->body, 0, &error);
    if (!root)
        fail_msg("not JSON (%s):\n%.600s", error.text, r->body);
    assert_int_equal(json_integer_value(json_object_get(root, "status")), 401);
    const char *en = json_string_value(json_object_get(json_object_get(root, "en"), "note"));
    const char *zh = json_string_value(json_object_get(json_object_get(root, "zh"), "note"));
    assert_non_null(en);
    assert_non_null(zh);
    assert_non_null(strstr(en, MISSING_NOTE));
    assert_non_null(strstr(zh, "未发送凭据"));
    json_decref(root);
    http_response_free(r);
}

static void basic_auth_head_is_401_with_the_challenge_and_no_body(void **state)
{
    struct http_response *r =
        http_request(*state, "HEAD", "/basic-auth/user/passwd", NO_HEADERS, NULL);
    assert_status(r, 401);
    assert_non_null(http_header(r, "WWW-Authenticate"));
    assert_int_equal(r->body_length, 0);
    http_response_free(r);
}

/* --- hidden Basic ---------------------------------------------------------------------- */

static void hidden_basic_auth_refuses_with_404_and_no_challenge(void **state)
{
    struct http_response *r = http_get(state, "/hidden-basic-auth/user/passwd");
    assert_status(r, 404);
    assert_null(http_header(r, "WWW-Authenticate"));
    assert_body_has(r, MISSING_NOTE);
    http_response_free(r);
    r = http_get_with(state, "/hidden-basic-auth/user/passwd", "Authorization: " USER_WRONG);
    assert_status(r, 404);
    assert_null(http_header(r, "WWW-Authenticate"));
    assert_body_has(r, WRONG_NOTE);
    http_response_free(r);
}

static void hidden_basic_auth_with_right_credentials_is_200(void **state)
{
    assert_int_equal(
        status_of(state, "/hidden-basic-auth/user/passwd", "Authorization: " USER_PASSWD), 200);
}

/* --- proxy ----------------------------------------------------------------------------- */

static void proxy_auth_without_credentials_is_407_with_proxy_authenticate(void **state)
{
    struct http_response *r = http_get(state, "/proxy-auth/user/passwd");
    assert_status(r, 407);
    assert_string_equal(http_header(r, "Proxy-Authenticate"), "Basic realm=\"statusd-proxy\"");
    assert_null(http_header(r, "WWW-Authenticate"));
    assert_body_has(r, "no Proxy-Authorization header");
    http_response_free(r);
}

static void proxy_auth_checks_proxy_authorization_not_authorization(void **state)
{
    assert_int_equal(
        status_of(state, "/proxy-auth/user/passwd", "Proxy-Authorization: " USER_PASSWD), 200);
    assert_int_equal(status_of(state, "/proxy-auth/user/passwd", "Authorization: " USER_PASSWD),
                     407);
    struct http_response *r =
        http_get_with(state, "/proxy-auth/user/passwd", "Proxy-Authorization: " USER_WRONG);
    assert_status(r, 407);
    assert_body_has(r, WRONG_NOTE);
    http_response_free(r);
}

/* --- Bearer ---------------------------------------------------------------------------- */

static void bearer_without_credentials_is_401_with_a_bare_bearer_challenge(void **state)
{
    struct http_response *r = http_get(state, "/bearer");
    assert_status(r, 401);
    assert_string_equal(http_header(r, "WWW-Authenticate"), "Bearer realm=\"statusd\"");
    assert_int_equal(http_header_count(r, "WWW-Authenticate"), 1);
    assert_body_has(r, MISSING_NOTE);
    http_response_free(r);
}

static void bearer_without_token_parameter_accepts_any_token_and_echoes_it(void **state)
{
    struct http_response *r =
        http_get_with(state, "/bearer?format=text", "Authorization: Bearer abc.DEF-123_~+/==");
    assert_status(r, 200);
    assert_body_has(r, "'abc.DEF-123_~+/=='");
    http_response_free(r);
    assert_int_equal(status_of(state, "/bearer", "Authorization: bearer lowercase-scheme"), 200);
}

static void bearer_with_token_parameter_accepts_only_that_token(void **state)
{
    assert_int_equal(status_of(state, "/bearer?token=s3cret", "Authorization: Bearer s3cret"), 200);
    struct http_response *r =
        http_get_with(state, "/bearer?token=s3cret", "Authorization: Bearer s3cre");
    assert_status(r, 401);
    assert_string_equal(http_header(r, "WWW-Authenticate"),
                        "Bearer realm=\"statusd\", error=\"invalid_token\"");
    assert_body_has(r, WRONG_NOTE);
    http_response_free(r);
    assert_int_equal(status_of(state, "/bearer?token=s3cret", "Authorization: Bearer s3cretX"),
                     401);
}

static void bearer_token_that_is_not_a_b64token_is_401_invalid_token(void **state)
{
    static const char *const bad[] = {
        "Authorization: Bearer two words", "Authorization: Bearer =abc",
        "Authorization: Bearer ab=c",      "Authorization: Bearer",
        "Authorization: Bearer a\"b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct http_response *r = http_get_with(state, "/bearer", bad[i]);
        assert_status(r, 401);
        assert_string_equal(http_header(r, "WWW-Authenticate"),
                            "Bearer realm=\"statusd\", error=\"invalid_token\"");
        http_response_free(r);
    }
}

static void bearer_with_another_scheme_is_401_without_error_code(void **state)
{
    struct http_response *r = http_get_with(state, "/bearer", "Authorization: " USER_PASSWD);
    assert_status(r, 401);
    assert_string_equal(http_header(r, "WWW-Authenticate"), "Bearer realm=\"statusd\"");
    http_response_free(r);
}

static void bearer_token_parameter_that_is_not_a_b64token_is_400(void **state)
{
    assert_bad_parameter(state, "/bearer?token=a%20b", "token");
    assert_bad_parameter(state, "/bearer?token=", "token");
}

/* --- Digest ---------------------------------------------------------------------------- */

static void digest_without_credentials_is_401_with_one_digest_challenge(void **state)
{
    struct http_response *r = http_get(state, "/digest-auth/auth/user/passwd");
    assert_status(r, 401);
    assert_int_equal(http_header_count(r, "WWW-Authenticate"), 1);
    const char *challenge = http_header(r, "WWW-Authenticate");
    assert_non_null(challenge);
    assert_int_equal(strncmp(challenge, "Digest ", 7), 0);
    assert_non_null(strstr(challenge, "realm=\"statusd\""));
    assert_non_null(strstr(challenge, "qop=\"auth\""));
    /* The registered spelling: libmicrohttpd 0.9.75's "md5" is refused by Python's urllib. */
    assert_non_null(strstr(challenge, "algorithm=MD5"));
    assert_null(strstr(challenge, "stale"));
    assert_body_has(r, MISSING_NOTE);
    http_response_free(r);
}

static void digest_sha256_challenge_names_sha256(void **state)
{
    struct http_response *r = http_get(state, "/digest-auth/auth/user/passwd/SHA-256");
    assert_status(r, 401);
    assert_int_equal(http_header_count(r, "WWW-Authenticate"), 1);
    assert_non_null(strstr(http_header(r, "WWW-Authenticate"), "algorithm=SHA-256"));
    http_response_free(r);
}

static void digest_401_as_json_lists_the_challenge_it_sends(void **state)
{
    struct http_response *r =
        http_get_with(state, "/digest-auth/auth/user/passwd/SHA-256", "Accept: application/json");
    assert_status(r, 401);
    assert_int_equal(http_header_count(r, "WWW-Authenticate"), 1);
    json_error_t error;
    json_t *root = json_loads(r->body, 0, &error);
    if (!root)
        fail_msg("not JSON (%s):\n%.600s", error.text, r->body);
    json_t *headers = json_object_get(root, "headers");
    assert_int_equal(json_array_size(headers), 1);
    json_t *challenge = json_array_get(headers, 0);
    assert_string_equal(json_string_value(json_object_get(challenge, "name")), "WWW-Authenticate");
    const char *value = json_string_value(json_object_get(challenge, "value"));
    assert_non_null(value);
    assert_int_equal(strncmp(value, "Digest realm=\"statusd\"", 22), 0);
    assert_non_null(strstr(value, "algorithm=SHA-256"));
    json_decref(root);
    http_response_free(r);
}

static void digest_with_right_password_is_200_for_md5_and_sha256(void **state)
{
    assert_int_equal(digest_status(state, "/digest-auth/auth/user/passwd", "user:passwd"), 200);
    assert_int_equal(digest_status(state, "/digest-auth/auth/user/passwd/MD5", "user:passwd"), 200);
    assert_int_equal(digest_status(state, "/digest-auth/auth/user/passwd/SHA-256", "user:passwd"),
                     200);
}

static void digest_with_wrong_password_or_user_is_401(void **state)
{
    assert_int_equal(digest_status(state, "/digest-auth/auth/user/passwd", "user:wrong"), 401);
    assert_int_equal(digest_status(state, "/digest-auth/auth/user/passwd/SHA-256", "bob:passwd"),
                     401);
}

static void digest_with_a_nonce_this_server_never_issued_is_401_stale(void **state)
{
    struct http_response *r = http_get_with(
        state, "/digest-auth/auth/user/passwd",
        "Authorization: Digest username=\"user\", realm=\"statusd\", "
        "nonce=\"0000000000000000000000000000000000000000\", " /* MD5 length, not made here */
        "uri=\"/digest-auth/auth/user/passwd\", qop=auth, nc=00000001, cnonce=\"abc\", "
        "response=\"00000000000000000000000000000000\", opaque=\"x\", algorithm=MD5");
    assert_status(r, 401);
    const char *challenge = http_header(r, "WWW-Authenticate");
    assert_non_null(challenge);
    assert_non_null(strstr(challenge, "stale"));
    assert_body_has(r, "stale");
    http_response_free(r);
}

static void digest_with_basic_credentials_is_401_saying_they_are_unreadable(void **state)
{
    struct http_response *r =
        http_get_with(state, "/digest-auth/auth/user/passwd", "Authorization: " USER_PASSWD);
    assert_status(r, 401);
    assert_int_equal(strncmp(http_header(r, "WWW-Authenticate"), "Digest ", 7), 0);
    assert_body_has(r, "no Digest credentials");
    http_response_free(r);
}

static void digest_qop_auth_int_is_400_explaining_the_limit(void **state)
{
    struct http_response *r = http_get(state, "/digest-auth/auth-int/user/passwd");
    assert_status(r, 400);
    assert_body_has(r, "{qop}");
    assert_body_has(r, "libmicrohttpd");
    http_response_free(r);
    assert_bad_parameter(state, "/digest-auth/other/user/passwd", "qop");
}

static void digest_bad_algorithm_is_400_naming_algorithm(void **state)
{
    assert_bad_parameter(state, "/digest-auth/auth/user/passwd/SHA-512", "algorithm");
    assert_bad_parameter(state, "/digest-auth/auth/user/passwd/", "algorithm");
    assert_bad_parameter(state, "/digest-auth/auth/user/passwd/MD5/x", "algorithm");
    assert_int_equal(status_of(state, "/digest-auth/auth/user/passwd/sha-256", NULL), 401);
}

static void digest_bad_path_parts_are_400_naming_them(void **state)
{
    assert_bad_parameter(state, "/digest-auth/auth/user", "pass");
    assert_bad_parameter(state, "/digest-auth/auth//passwd", "user");
}

/* --- 403 ------------------------------------------------------------------------------- */

static void forbidden_is_403_explaining_why_not_401(void **state)
{
    struct http_response *r = http_get(state, "/forbidden");
    assert_status(r, 403);
    assert_null(http_header(r, "WWW-Authenticate"));
    assert_body_has(r, "403 and not 401");
    assert_body_has(r, "而不是 401");
    http_response_free(r);
    assert_int_equal(status_of(state, "/forbidden", "Authorization: " USER_PASSWD), 403);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(basic_auth_with_right_credentials_is_200_naming_the_user),
        cmocka_unit_test(basic_auth_without_credentials_is_401_saying_they_are_missing),
        cmocka_unit_test(basic_auth_with_wrong_password_says_wrong_and_never_echoes_it),
        cmocka_unit_test(basic_auth_with_wrong_user_names_the_user_tried),
        cmocka_unit_test(basic_auth_scheme_is_case_insensitive),
        cmocka_unit_test(basic_auth_splits_at_the_first_colon_so_passwords_may_hold_colons),
        cmocka_unit_test(basic_auth_accepts_a_utf8_user),
        cmocka_unit_test(basic_auth_with_invalid_base64_is_401_and_the_server_lives_on),
        cmocka_unit_test(basic_auth_with_another_scheme_is_401),
        cmocka_unit_test(basic_auth_bad_path_parts_are_400_naming_them),
        cmocka_unit_test(basic_auth_401_as_json_parses_and_holds_the_note),
        cmocka_unit_test(basic_auth_head_is_401_with_the_challenge_and_no_body),
        cmocka_unit_test(hidden_basic_auth_refuses_with_404_and_no_challenge),
        cmocka_unit_test(hidden_basic_auth_with_right_credentials_is_200),
        cmocka_unit_test(proxy_auth_without_credentials_is_407_with_proxy_authenticate),
        cmocka_unit_test(proxy_auth_checks_proxy_authorization_not_authorization),
        cmocka_unit_test(bearer_without_credentials_is_401_with_a_bare_bearer_challenge),
        cmocka_unit_test(bearer_without_token_parameter_accepts_any_token_and_echoes_it),
        cmocka_unit_test(bearer_with_token_parameter_accepts_only_that_token),
        cmocka_unit_test(bearer_token_that_is_not_a_b64token_is_401_invalid_token),
        cmocka_unit_test(bearer_with_another_scheme_is_401_without_error_code),
        cmocka_unit_test(bearer_token_parameter_that_is_not_a_b64token_is_400),
        cmocka_unit_test(digest_without_credentials_is_401_with_one_digest_challenge),
        cmocka_unit_test(digest_sha256_challenge_names_sha256),
        cmocka_unit_test(digest_401_as_json_lists_the_challenge_it_sends),
        cmocka_unit_test(digest_with_right_password_is_200_for_md5_and_sha256),
        cmocka_unit_test(digest_with_wrong_password_or_user_is_401),
        cmocka_unit_test(digest_with_a_nonce_this_server_never_issued_is_401_stale),
        cmocka_unit_test(digest_with_basic_credentials_is_401_saying_they_are_unreadable),
        cmocka_unit_test(digest_qop_auth_int_is_400_explaining_the_limit),
        cmocka_unit_test(digest_bad_algorithm_is_400_naming_algorithm),
        cmocka_unit_test(digest_bad_path_parts_are_400_naming_them),
        cmocka_unit_test(forbidden_is_403_explaining_why_not_401),
    };
    return cmocka_run_group_tests_name("auth", tests, server_group_setup, server_group_teardown);
}
