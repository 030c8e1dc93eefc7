/* The ceiling for statusd: libmicrohttpd with nothing on top. One epoll thread, responses
 * built once at start-up, the same daemon options statusd uses (so the difference is statusd's
 * own work), returns on the first handler call and queues on the second (docs/libmicrohttpd.md §2).
 *
 * Usage: bare_mhd PORT POOL_BYTES [PATH STATUS HEADERS_FILE BODY_FILE]...
 *   POOL_BYTES is the per-connection memory pool (statusd's POOL_SIZE in src/daemon/server.c: the
 *   pool is zeroed after every keep-alive request and stays resident per connection, so the
 *   ceiling must use the same size to be one). HEADERS_FILE holds "Name: value" lines (Content-Type included) sent as they are;
 *   BODY_FILE the exact body. Any other path gets an empty 404.
 * Prints "bare_mhd listening on http://127.0.0.1:PORT" (PORT 0 picks one), stops on
 * SIGTERM or SIGINT. Built by bench/run: cc -O2 bare_mhd.c -lmicrohttpd. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define MAX_ROUTES 16

struct route {
    const char *path;
    unsigned status;
    struct MHD_Response *response;
};

static struct route routes[MAX_ROUTES];
static size_t route_count;
static struct MHD_Response *not_found;

static char *read_file(const char *name, size_t *size)
{
    FILE *f = fopen(name, "rb");
    if (!f)
        return NULL;
    char *data = NULL;
    long length;
    if (fseek(f, 0, SEEK_END) == 0 && (length = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = malloc((size_t)length + 1);
        if (data && fread(data, 1, (size_t)length, f) != (size_t)length) {
            free(data);
            data = NULL;
        }
        if (data) {
            data[length] = '\0';
            *size = (size_t)length;
        }
    }
    fclose(f);
    return data;
}

/* Adds each "Name: value" line of the file to the response. */
static int add_headers(struct MHD_Response *response, const char *file)
{
    size_t size;
    char *text = read_file(file, &size);
    if (!text)
        return 0;
    int ok = 1;
    for (char *line = strtok(text, "\r\n"); line && ok; line = strtok(NULL, "\r\n")) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        const char *value = colon + 1;
        while (*value == ' ')
            value++;
        ok = MHD_add_response_header(response, line, value) == MHD_YES;
    }
    free(text);
    return ok;
}

static int add_route(const char *path, const char *status, const char *headers,
                     const char *body_file)
{
    size_t size;
    char *body = read_file(body_file, &size); /* kept for the life of the process */
    if (!body || route_count == MAX_ROUTES)
        return 0;
    struct MHD_Response *response =
        MHD_create_response_from_buffer(size, body, MHD_RESPMEM_PERSISTENT);
    if (!response || !add_headers(response, headers))
        return 0;
    routes[route_count++] =
        (struct route){ .path = path, .status = (unsigned)atoi(status), .response = response };
    return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **context)
{
    static int first_call_marker;
    (void)cls, (void)method, (void)version, (void)upload_data;
    /* Queueing on the first call would close the connection (docs/libmicrohttpd.md §2). */
    if (*context == NULL) {
        *context = &first_call_marker;
        return MHD_YES;
    }
    *upload_data_size = 0;
    for (size_t i = 0; i < route_count; i++)
        if (strcmp(url, routes[i].path) == 0)
            return MHD_queue_response(connection, routes[i].status, routes[i].response);
    return MHD_queue_response(connection, MHD_HTTP_NOT_FOUND, not_found);
}

int main(int argc, char **argv)
{
    if (argc < 3 || (argc - 3) % 4 != 0) {
        fprintf(stderr, "usage: bare_mhd PORT POOL_BYTES [PATH STATUS HEADERS_FILE BODY_FILE]...\n");
        return 2;
    }
    for (int i = 3; i < argc; i += 4)
        if (!add_route(argv[i], argv[i + 1], argv[i + 2], argv[i + 3])) {
            fprintf(stderr, "bare_mhd: cannot load %s (%s, %s)\n", argv[i], argv[i + 2],
                    argv[i + 3]);
            return 1;
        }
    not_found = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop, NULL);
    struct sockaddr_in address = { .sin_family = AF_INET,
                                   .sin_port = htons((uint16_t)atoi(argv[1])),
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    /* statusd's daemon set-up (src/daemon/server.c) minus its callbacks: same pool, limits, TURBO. */
    struct MHD_Daemon *daemon = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        on_request, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
        MHD_OPTION_CONNECTION_LIMIT, 20000U,
        MHD_OPTION_CONNECTION_TIMEOUT, 31U,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)strtoul(argv[2], NULL, 10),
        MHD_OPTION_END);
    if (!daemon) {
        fprintf(stderr, "bare_mhd: cannot listen on port %s\n", argv[1]);
        return 1;
    }
    const union MHD_DaemonInfo *bound = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    printf("bare_mhd listening on http://127.0.0.1:%u\n", bound ? bound->port : 0U);
    fflush(stdout);
    int received;
    sigwait(&stop, &received);
    MHD_stop_daemon(daemon);
    return 0;
}
