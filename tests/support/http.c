#include "http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* cmocka needs these before it, and only them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* One request and the response it is filling in. */
struct transfer {
    CURL *easy;
    struct curl_slist *header_list;
    struct http_response *response;
    size_t body_capacity;
    char error[CURL_ERROR_SIZE];
    char *url;
};

struct http_async {
    CURLM *multi;
    struct transfer *transfer;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    /* curl_global_init is not thread-safe; the easy API would call it lazily otherwise. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "http: curl_global_init failed\n");
        abort();
    }
}

static void *checked(void *pointer)
{
    /* A test helper has no sensible way to go on without memory. */
    if (!pointer) {
        fprintf(stderr, "http: out of memory\n");
        abort();
    }
    return pointer;
}

static char *copy_trimmed(const char *start, const char *end)
{
    while (start < end && (*start == ' ' || *start == '\t'))
        start++;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
                           end[-1] == '\n'))
        end--;
    size_t n = (size_t)(end - start);
    char *copy = checked(malloc(n + 1));
    memcpy(copy, start, n);
    copy[n] = '\0';
    return copy;
}

/* libcurl hands over every header line of every head, 1xx included, status lines too. */
static size_t on_header(char *data, size_t size, size_t count, void *cls)
{
    struct http_response *r = cls;
    size_t n = size * count;
    const char *end = data + n;
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        r->heads = checked(realloc(r->heads, (r->head_count + 1) * sizeof *r->heads));
        struct http_head *head = &r->heads[r->head_count++];
        *head = (struct http_head){ 0 };
        const char *space = memchr(data, ' ', n);
        head->status = space ? strtol(space + 1, NULL, 10) : 0;
        return n;
    }
    const char *colon = memchr(data, ':', n);
    if (!colon || r->head_count == 0)
        return n; /* the blank line that ends a head */
    struct http_head *head = &r->heads[r->head_count - 1];
    head->headers = checked(realloc(head->headers,
                                    (head->header_count + 1) * sizeof *head->headers));
    head->headers[head->header_count++] = (struct http_header){
        .name = copy_trimmed(data, colon),
        .value = copy_trimmed(colon + 1, end),
    };
    return n;
}

static size_t on_body(char *data, size_t size, size_t count, void *cls)
{
    struct transfer *t = cls;
    struct http_response *r = t->response;
    size_t n = size * count;
    if (r->body_length + n + 1 > t->body_capacity) {
        size_t capacity = t->body_capacity ? t->body_capacity : 4096;
        while (capacity < r->body_length + n + 1)
            capacity *= 2;
        r->body = checked(realloc(r->body, capacity));
        t->body_capacity = capacity;
    }
    memcpy(r->body + r->body_length, data, n);
    r->body_length += n;
    r->body[r->body_length] = '\0';
    return n;
}

static struct transfer *transfer_new(const struct server *server, const char *method,
                                     const char *target, const char *const *headers,
                                     const char *body)
{
    pthread_once(&curl_once, curl_init_once);
    struct transfer *t = checked(calloc(1, sizeof *t));
    t->response = checked(calloc(1, sizeof *t->response));
    t->response->content_length = -1;
    /* Until the transfer reports otherwise, e.g. when a deadline cuts it off. */
    t->response->result = CURLE_OPERATION_TIMEDOUT;
    size_t request_length = strlen(method) + strlen(target) + 2;
    t->response->request = checked(malloc(request_length));
    snprintf(t->response->request, request_length, "%s %s", method, target);
    t->response->body = checked(calloc(1, 1));
    t->body_capacity = 1;
    t->easy = checked(curl_easy_init());
    size_t url_length = strlen(server->url) + strlen(target) + 1;
    t->url = checked(malloc(url_length));
    snprintf(t->url, url_length, "%s%s", server->url, target);
    for (size_t i = 0; headers && headers[i]; i++)
        t->header_list = checked(curl_slist_append(t->header_list, headers[i]));

    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, t->url);
    /* A proxy from the environment would put another server between test and binary. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)HTTP_TIMEOUT_S);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)HTTP_TIMEOUT_S);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    /* Bytes exactly as the server sent them, so Content-Length can be checked against them. */
    curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t->response);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->header_list);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    }
    return t;
}

/* Records the outcome and frees everything but the response, which it returns. */
static struct http_response *transfer_end(struct transfer *t, CURLcode result)
{
    struct http_response *r = t->response;
    r->result = (int)result;
    if (result != CURLE_OK)
        snprintf(r->error, sizeof r->error, "%s", t->error[0] ? t->error
                                                               : curl_easy_strerror(result));
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME, &r->total_time);
    const char *length = http_header(r, "Content-Length");
    if (length) {
        char *end;
        long long value = strtoll(length, &end, 10);
        r->content_length = *end == '\0' && end != length ? value : -2;
    }
    curl_slist_free_all(t->header_list);
    curl_easy_cleanup(t->easy);
    free(t->url);
    free(t);
    return r;
}

struct http_response *http_request(const struct server *server, const char *method,
                                   const char *target, const char *const *headers,
                                   const char *body)
{
    struct transfer *t = transfer_new(server, method, target, headers, body);
    return transfer_end(t, curl_easy_perform(t->easy));
}

static long long monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Runs the multi until no transfer is left or stop() says so; false on timeout. */
static bool drive(CURLM *multi, int timeout_ms, bool (*stop)(void *), void *cls)
{
    long long deadline = monotonic_ms() + timeout_ms;
    for (;;) {
        int running = 0;
        if (curl_multi_perform(multi, &running) != CURLM_OK)
            return false;
        if (running == 0 || (stop && stop(cls)))
            return true;
        long long left = deadline - monotonic_ms();
        if (left <= 0)
            return false;
        int ready;
        curl_multi_poll(multi, NULL, 0, left < 100 ? (int)left : 100, &ready);
    }
}

/* Collects the result of each finished transfer. */
static void harvest(CURLM *multi, struct transfer **transfers, size_t count)
{
    CURLMsg *message;
    int left;
    while ((message = curl_multi_info_read(multi, &left))) {
        if (message->msg != CURLMSG_DONE)
            continue;
        for (size_t i = 0; i < count; i++)
            if (transfers[i] && transfers[i]->easy == message->easy_handle)
                transfers[i]->response->result = (int)message->data.result;
    }
}

void http_request_parallel(const struct server *server, size_t count, const char *method,
                           const char *target, const char *const *headers,
                           struct http_response **responses)
{
    pthread_once(&curl_once, curl_init_once);
    CURLM *multi = checked(curl_multi_init());
    struct transfer **transfers = checked(calloc(count, sizeof *transfers));
    for (size_t i = 0; i < count; i++) {
        transfers[i] = transfer_new(server, method, target, headers, NULL);
        /* Each on its own connection, or they would queue behind one another. */
        curl_easy_setopt(transfers[i]->easy, CURLOPT_FRESH_CONNECT, 1L);
        curl_multi_add_handle(multi, transfers[i]->easy);
    }
    /* The per-transfer CURLOPT_TIMEOUT bounds this; the margin covers the last poll. */
    drive(multi, (HTTP_TIMEOUT_S + 2) * 1000, NULL, NULL);
    harvest(multi, transfers, count);
    for (size_t i = 0; i < count; i++) {
        curl_multi_remove_handle(multi, transfers[i]->easy);
        responses[i] = transfer_end(transfers[i], (CURLcode)transfers[i]->response->result);
    }
    free(transfers);
    curl_multi_cleanup(multi);
}

struct http_async *http_async_start(const struct server *server, const char *method,
                                    const char *target, const char *const *headers,
                                    const char *body)
{
    struct http_async *async = checked(calloc(1, sizeof *async));
    async->multi = checked(curl_multi_init());
    async->transfer = transfer_new(server, method, target, headers, body);
    curl_multi_add_handle(async->multi, async->transfer->easy);
    return async;
}

static bool has_head(void *cls)
{
    return ((struct http_async *)cls)->transfer->response->head_count > 0;
}

bool http_async_wait_head(struct http_async *async, int timeout_ms)
{
    return drive(async->multi, timeout_ms, has_head, async) && has_head(async);
}

struct http_response *http_async_finish(struct http_async *async)
{
    struct transfer *t = async->transfer;
    drive(async->multi, (HTTP_TIMEOUT_S + 2) * 1000, NULL, NULL);
    harvest(async->multi, &t, 1);
    curl_multi_remove_handle(async->multi, t->easy);
    curl_multi_cleanup(async->multi);
    free(async);
    return transfer_end(t, (CURLcode)t->response->result);
}

void http_response_free(struct http_response *response)
{
    if (!response)
        return;
    for (size_t h = 0; h < response->head_count; h++) {
        for (size_t i = 0; i < response->heads[h].header_count; i++) {
            free(response->heads[h].headers[i].name);
            free(response->heads[h].headers[i].value);
        }
        free(response->heads[h].headers);
    }
    free(response->heads);
    free(response->body);
    free(response->request);
    free(response);
}

static const struct http_head *final_head(const struct http_response *response)
{
    return response->head_count ? &response->heads[response->head_count - 1] : NULL;
}

const char *http_head_header(const struct http_head *head, const char *name)
{
    for (size_t i = 0; head && i < head->header_count; i++)
        if (strcasecmp(head->headers[i].name, name) == 0)
            return head->headers[i].value;
    return NULL;
}

const char *http_header(const struct http_response *response, const char *name)
{
    return http_head_header(final_head(response), name);
}

size_t http_header_count(const struct http_response *response, const char *name)
{
    const struct http_head *head = final_head(response);
    size_t count = 0;
    for (size_t i = 0; head && i < head->header_count; i++)
        if (strcasecmp(head->headers[i].name, name) == 0)
            count++;
    return count;
}

bool http_header_lists(const struct http_response *response, const char *name,
                       const char *item)
{
    const struct http_head *head = final_head(response);
    size_t want = strlen(item);
    /* A field may be split over several lines (RFC 9110 §5.3): look in each. */
    for (size_t i = 0; head && i < head->header_count; i++) {
        if (strcasecmp(head->headers[i].name, name) != 0)
            continue;
        const char *p = head->headers[i].value;
        while (*p) {
            while (*p == ' ' || *p == '\t' || *p == ',')
                p++;
            const char *end = strchr(p, ',');
            if (!end)
                end = p + strlen(p);
            const char *last = end;
            while (last > p && (last[-1] == ' ' || last[-1] == '\t'))
                last--;
            if ((size_t)(last - p) == want && strncasecmp(p, item, want) == 0)
                return true;
            p = end;
        }
    }
    return false;
}

const struct http_head *http_interim(const struct http_response *response, long code)
{
    for (size_t h = 0; h + 1 < response->head_count; h++)
        if (response->heads[h].status == code)
            return &response->heads[h];
    return NULL;
}

long http_body_find(const struct http_response *response, const char *text)
{
    if (!response->body)
        return -1;
    const char *found = memmem(response->body, response->body_length, text, strlen(text));
    return found ? (long)(found - response->body) : -1;
}

bool http_body_contains(const struct http_response *response, const char *text)
{
    return http_body_find(response, text) >= 0;
}

bool http_expect_status(const struct http_response *response, long want)
{
    if (response->result != 0) {
        fprintf(stderr, "%.200s: transfer failed (%s), want status %ld\n", response->request,
                response->error, want);
        return false;
    }
    if (response->status == want)
        return true;
    fprintf(stderr, "%.200s: status %ld, want %ld; body starts:\n%.*s\n", response->request,
            response->status, want, (int)(response->body_length < 600 ? response->body_length
                                                                        : 600),
            response->body);
    return false;
}

void http_assert_bad_parameter(const struct http_response *r, const char *parameter)
{
    assert_true(http_expect_status(r, 400));
    /* A query parameter is quoted ('delay'), a path segment braced ({n}). */
    char quoted[64], braced[64];
    snprintf(quoted, sizeof quoted, "'%s'", parameter);
    snprintf(braced, sizeof braced, "{%s}", parameter);
    if (!http_body_contains(r, quoted) && !http_body_contains(r, braced))
        fail_msg("%s: the 400 body does not name %s or %s:\n%s", r->request, quoted, braced,
                 r->body);
}

struct http_response *http_get(void **state, const char *target)
{
    return http_request(*state, "GET", target, NULL, NULL);
}

struct http_response *http_get_with(void **state, const char *target, const char *header)
{
    return http_request(*state, "GET", target, (const char *[]){ header, NULL }, NULL);
}
