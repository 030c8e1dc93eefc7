/* "Request this, expect that" in one line, over libcurl, for tests of the real binary:
 *
 *     struct http_response *r = http_request(server, "GET", "/status/302",
 *                                            (const char *[]){ "Accept: application/json", NULL },
 *                                            NULL);
 *     assert_int_equal(r->status, 302);
 *     assert_string_equal(http_header(r, "Location"), "/status/200");
 *     http_response_free(r);
 *
 * Redirects are never followed, HEAD is sent as a real HEAD (no body read), every other
 * method as given; each transfer gives up after HTTP_TIMEOUT_S. Interim 1xx responses are
 * kept apart from the final one, so a test can see both. */
#ifndef STATUSD_TEST_HTTP_H
#define STATUSD_TEST_HTTP_H

#include "server.h"

#include <stdbool.h>
#include <stddef.h>

#define HTTP_TIMEOUT_S 10

struct http_header {
    char *name;
    char *value;
};

/* One response head as received: an interim 1xx or the final response. */
struct http_head {
    long status;
    struct http_header *headers;
    size_t header_count;
};

struct http_response {
    char *request;            /* "GET /status/200", for failure messages */
    int result;               /* CURLcode: 0 unless the transfer failed */
    char error[256];          /* libcurl's message when result != 0 */
    long status;              /* the final status, 0 when none arrived */
    struct http_head *heads;  /* every head in arrival order; the final one is last */
    size_t head_count;
    char *body;               /* NUL-terminated for string checks; body_length is exact */
    size_t body_length;
    long long content_length; /* the final head's Content-Length, -1 when it has none */
    double total_time;        /* seconds from start to the last byte */
};

/* headers: NULL or a NULL-terminated list of "Name: value" lines ("Accept:" removes libcurl's
 * default Accept). body: NULL, or bytes sent as the request body (strlen). target: the path
 * and query, already percent-encoded. Never NULL: a failed transfer has result != 0. */
struct http_response *http_request(const struct server *server, const char *method,
                                   const char *target, const char *const *headers,
                                   const char *body);

/* GET target, with no extra header or with one: *state is the cmocka group state that
 * server_group_setup() filled with the server. */
struct http_response *http_get(void **state, const char *target);
struct http_response *http_get_with(void **state, const char *target, const char *header);

/* Sends count copies of one request at once on separate connections (curl multi) and waits
 * for all of them; responses[i] receives each. */
void http_request_parallel(const struct server *server, size_t count, const char *method,
                           const char *target, const char *const *headers,
                           struct http_response **responses);

/* A request that runs in the background, for tests that act while it is in flight. */
struct http_async;
struct http_async *http_async_start(const struct server *server, const char *method,
                                    const char *target, const char *const *headers,
                                    const char *body);
/* Drives the transfer until at least one response head (interim or final) has arrived. */
bool http_async_wait_head(struct http_async *async, int timeout_ms);
/* Drives it to the end and returns its response; frees async. */
struct http_response *http_async_finish(struct http_async *async);

void http_response_free(struct http_response *response);

/* The final head's first header called name (case-insensitive), or NULL. */
const char *http_header(const struct http_response *response, const char *name);
/* How many times the final head carries name. */
size_t http_header_count(const struct http_response *response, const char *name);
/* Whether the final head's header name, a comma-separated list, has item (case-insensitive;
 * parameters after ';' are part of the item). False when the header is absent. */
bool http_header_lists(const struct http_response *response, const char *name,
                       const char *item);

/* The interim head with status code, or NULL when none arrived. */
const struct http_head *http_interim(const struct http_response *response, long code);
const char *http_head_header(const struct http_head *head, const char *name);

/* Whether the transfer succeeded with status want; when not, says why on stderr (the request,
 * the status or libcurl's error, the start of the body), for assert_true(). */
bool http_expect_status(const struct http_response *response, long want);

/* Fails the test unless r is a 400 whose body names parameter as the server quotes it
 * ('code'): every refused parameter must be named (SPEC §1). */
void http_assert_bad_parameter(const struct http_response *r, const char *parameter);

/* Whether the body contains text (byte comparison; the body may hold UTF-8). */
bool http_body_contains(const struct http_response *response, const char *text);
/* Byte offset of text in the body, or -1. */
long http_body_find(const struct http_response *response, const char *text);

#endif
