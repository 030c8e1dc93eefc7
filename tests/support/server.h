/* The real statusd binary as a child process, for tests that talk to it over real sockets.
 *
 * test_server_start runs $STATUSD_BINARY with `--port 0 --log off` plus the caller's arguments and
 * waits (bounded) for its first stdout line, which names the port it bound. test_server_stop sends
 * SIGTERM and waits (bounded) for the exit status: a server that does not shut down cleanly
 * fails the test group instead of lingering. */
#ifndef STATUSD_TEST_SERVER_H
#define STATUSD_TEST_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

/* How long the binary gets to print its address, and to exit after SIGTERM. */
#define SERVER_START_TIMEOUT_MS 5000
#define SERVER_STOP_TIMEOUT_MS 15000

struct server {
    pid_t pid;
    int stdout_fd;     /* kept open so the server never writes to a closed pipe */
    unsigned port;
    char url[64];      /* "http://127.0.0.1:PORT", no trailing slash */
    bool exited;
    int exit_code;     /* valid once exited: the exit status, or 128 + signal */
};

/* Starts the binary; extra_args is NULL or a NULL-terminated list ({"--max-body", "10",
 * NULL}). Returns NULL, with the reason on stderr, when it cannot be started or does not
 * announce itself in time. */
struct server *test_server_start(const char *const *extra_args);

/* Sends SIGTERM without waiting, for tests of shutdown with requests in flight. */
bool server_terminate(struct server *server);

/* Waits up to timeout_ms for the process to exit. True once it has; server->exit_code
 * then says how. */
bool server_wait(struct server *server, int timeout_ms);

/* SIGTERM, then waits up to SERVER_STOP_TIMEOUT_MS; SIGKILL after that. Frees server and
 * returns the exit code (0 is a clean shutdown), or -1 when it had to be killed. */
int test_server_stop(struct server *server);

/* cmocka group setup/teardown for a server with default flags: *state is the server. */
int server_group_setup(void **state);
int server_group_teardown(void **state);

#endif
