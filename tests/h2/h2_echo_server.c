/* A test server for the HTTP/2 transport alone (src/h2), before statusd's routes are
 * connected to it: the transport with a trivial serve function, and libmicrohttpd with a
 * trivial handler for the HTTP/1.1 side, on one port, as statusd will run them.
 *
 *   h2_echo_server [--http2 on|off] [--h2-max-streams N] [--h2-preface-timeout S]
 *                  [statusd's --host, --port, --tls-cert, --tls-key, --max-body,
 *                   --max-header-bytes, --timeout]
 *
 * Prints "h2_echo_server listening on PORT" and runs until SIGTERM or SIGINT.
 *
 * HTTP/2 paths: /echo (200, JSON of the request), /interim (103 with a link, then 200),
 * /reset/N (RST_STREAM with code N), /goaway (GOAWAY NO_ERROR), /later and /later/MS (200
 * from another thread after 100 or MS ms), /big/N (200 with N bytes), /connection-headers
 * (200 with fields HTTP/2 forbids or spells differently, for the transport to fix), /bad-interim
 * (an interim status that does not exist: reset). Anything else: 404.
 * HTTP/1.1: every path answers 200 "h1 METHOD PATH". */
#include "config.h"
#include "h2.h"
#include "listen.h"
#include "numbers.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LATER_MAX_MS 10000
#define BIG_MAX_BYTES (64u << 20)

static const struct h2_field json_content_type = { "content-type", 12, "application/json", 16 };

/* --- HTTP/2 ---------------------------------------------------------------------------- */

static char *request_json(const struct h2_request *request)
{
    json_t *fields = json_array();
    for (size_t i = 0; i < request->field_count; i++) {
        const struct h2_field *field = &request->fields[i];
        json_array_append_new(fields, json_pack("[s#s#]", field->name, field->name_length,
                                                field->value, field->value_length));
    }
    json_t *root = json_pack("{sssssssssbsosssi}", "method", request->method, "path",
                             request->path, "scheme", request->scheme, "authority",
                             request->authority, "tls", request->tls, "fields", fields,
                             "protocol", "h2", "body_length", (int)request->body_length);
    if (!root)
        return NULL;
    json_object_set_new(root, "body", json_stringn(request->body, request->body_length));
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

static void respond_json(const struct h2_request *request)
{
    char *json = request_json(request);
    if (!json) {
        h2_stream_reset(request->stream, 2 /* INTERNAL_ERROR */);
        return;
    }
    /* For HEAD the transport sends this content-length and no body. */
    char length[24];
    snprintf(length, sizeof length, "%zu", strlen(json));
    const struct h2_field fields[] = { json_content_type, { "content-length", 14, length, strlen(length) } };
    h2_stream_respond(request->stream, 200, fields, 2, json, strlen(json), free, json);
}

struct later {
    struct h2_stream *stream;
    unsigned delay_ms;
};

static void *answer_later(void *argument)
{
    struct later *later = argument;
    struct timespec pause = { later->delay_ms / 1000, (long)(later->delay_ms % 1000) * 1000000 };
    nanosleep(&pause, NULL);
    static const char text[] = "later\n";
    /* false: the client reset it meanwhile; nothing else to drop here. */
    h2_stream_respond(later->stream, 200, NULL, 0, text, sizeof text - 1, NULL, NULL);
    free(later);
    return NULL;
}

/* The number after prefix in path, or false. */
static bool number_after(const char *path, const char *prefix, uint64_t max, uint64_t *value)
{
    size_t length = strlen(prefix);
    return strncmp(path, prefix, length) == 0 && parse_uint(path + length, max, value);
}

static void serve(void *app, const struct h2_request *request)
{
    (void)app;
    const char *path = request->path;
    uint64_t number;
    if (strcmp(path, "/echo") == 0 || strncmp(path, "/echo?", 6) == 0) {
        respond_json(request);
    } else if (strcmp(path, "/interim") == 0) {
        static const char link[] = "</style.css>; rel=preload; as=style";
        const struct h2_field hint = { "Link", 4, link, sizeof link - 1 };
        h2_stream_interim(request->stream, 103, &hint, 1);
        respond_json(request);
    } else if (strcmp(path, "/bad-interim") == 0) {
        h2_stream_interim(request->stream, 101, NULL, 0);
    } else if (number_after(path, "/reset/", UINT32_MAX, &number)) {
        h2_stream_reset(request->stream, (uint32_t)number);
    } else if (strcmp(path, "/goaway") == 0) {
        h2_stream_goaway(request->stream, 0);
    } else if (strcmp(path, "/later") == 0 ||
               number_after(path, "/later/", LATER_MAX_MS, &number)) {
        struct later *later = malloc(sizeof *later);
        pthread_t thread;
        if (!later) {
            h2_stream_reset(request->stream, 2);
            return;
        }
        *later = (struct later){ request->stream, path[6] ? (unsigned)number : 100 };
        if (pthread_create(&thread, NULL, answer_later, later) != 0) {
            free(later);
            h2_stream_reset(request->stream, 2);
            return;
        }
        pthread_detach(thread);
    } else if (number_after(path, "/big/", BIG_MAX_BYTES, &number)) {
        char *body = malloc(number ? number : 1);
        if (!body) {
            h2_stream_reset(request->stream, 2);
            return;
        }
        memset(body, 'x', number);
        h2_stream_respond(request->stream, 200, NULL, 0, body, number, free, body);
    } else if (strcmp(path, "/connection-headers") == 0) {
        const struct h2_field fields[] = {
            { "Connection", 10, "close", 5 },         { "Keep-Alive", 10, "timeout=5", 9 },
            { "Transfer-Encoding", 17, "chunked", 7 }, { "Upgrade", 7, "h2c", 3 },
            { "Proxy-Connection", 16, "close", 5 },   { "X-Mixed-Case", 12, "kept", 4 },
            { "Content-Length", 14, "999", 3 },
        };
        static const char text[] = "fixed\n";
        h2_stream_respond(request->stream, 200, fields, sizeof fields / sizeof fields[0], text,
                          sizeof text - 1, NULL, NULL);
    } else {
        static const char text[] = "404 未找到 Not Found\n";
        h2_stream_respond(request->stream, 404, NULL, 0, text, sizeof text - 1, NULL, NULL);
    }
}

/* --- HTTP/1.1 -------------------------------------------------------------------------- */

static enum MHD_Result on_h1_request(void *cls, struct MHD_Connection *connection,
                                     const char *url, const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **state)
{
    (void)cls;
    (void)version;
    (void)upload_data;
    if (*state == NULL) { /* the first call: answer on the second (keeps the connection) */
        *state = connection;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* bodies are not looked at */
        return MHD_YES;
    }
    char text[512];
    snprintf(text, sizeof text, "h1 %s %s\n", method, url);
    struct MHD_Response *response =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_COPY);
    if (!response)
        return MHD_NO;
    MHD_add_response_header(response, "Content-Type", "text/plain");
    enum MHD_Result result = MHD_queue_response(connection, 200, response);
    MHD_destroy_response(response);
    return result;
}

/* --- main ------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    struct h2_options options = H2_OPTIONS_DEFAULT;
    uint64_t number;
    /* Our own flags first; the rest goes to statusd's config_parse. */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int rest_count = 0;
    if (!rest)
        return 1;
    rest[rest_count++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(argv[i], "--http2") == 0 &&
            (strcmp(value, "on") == 0 || strcmp(value, "off") == 0)) {
            options.enabled = strcmp(value, "on") == 0;
            i++;
        } else if (strcmp(argv[i], "--h2-max-streams") == 0 &&
                   parse_uint(value, UINT32_MAX, &number)) {
            options.max_streams = (unsigned)number;
            i++;
        } else if (strcmp(argv[i], "--h2-preface-timeout") == 0 &&
                   parse_uint(value, 3600, &number)) {
            options.preface_timeout_s = (unsigned)number;
            i++;
        } else {
            rest[rest_count++] = argv[i];
        }
    }
    struct config config;
    if (config_parse(&config, rest_count, rest) != CONFIG_RUN)
        return 2;
    options.max_header_list = config.max_header_bytes;
    options.max_body = config.max_body;
    options.idle_timeout_s = config.timeout_s;

    /* Signals are taken by sigwait below; every thread started from here inherits the mask. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct listener listener;
    if (!listener_prepare(&listener, &config))
        return 1;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     (listener.mhd_flags & MHD_USE_TLS);
    /* With HTTP/2 on, libmicrohttpd gets connections from h2 only: no socket, and of the
     * listener's options only the TLS ones (options[0] is the address or socket). */
    if (options.enabled)
        flags |= MHD_USE_NO_LISTEN_SOCKET;
    else
        flags |= listener.mhd_flags;
    struct MHD_Daemon *daemon =
        MHD_start_daemon(flags, listener.mhd_port, NULL, NULL, on_h1_request, NULL,
                         MHD_OPTION_ARRAY, options.enabled ? listener.options + 1 : listener.options,
                         MHD_OPTION_CONNECTION_TIMEOUT, config.timeout_s, MHD_OPTION_END);
    if (!daemon) {
        fprintf(stderr, "h2_echo_server: libmicrohttpd did not start\n");
        return 1;
    }
    unsigned port;
    if (options.enabled) {
        int fd = h2_listen_socket(&listener);
        if (fd < 0 || !h2_start(&options, fd, listener.tls_cert_pem, listener.tls_key_pem,
                                daemon, serve, NULL))
            return 1;
        port = h2_bound_port();
    } else {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
        port = info ? info->port : 0;
    }
    printf("h2_echo_server listening on %u\n", port);
    fflush(stdout);

    int signal_number;
    sigwait(&signals, &signal_number);
    if (options.enabled)
        h2_stop(3000);
    MHD_stop_daemon(daemon);
    listener_free(&listener);
    free(rest);
    return 0;
}
