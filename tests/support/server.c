#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 32
#define ANNOUNCEMENT "statusd listening on http://"

static long long monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Reads the first line the server prints, giving up at deadline; false on timeout or EOF. */
static bool read_first_line(int fd, char *line, size_t size, long long deadline)
{
    size_t used = 0;
    while (used + 1 < size) {
        long long left = deadline - monotonic_ms();
        if (left <= 0)
            return false;
        struct pollfd ready = { .fd = fd, .events = POLLIN };
        int n = poll(&ready, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        /* One byte at a time so nothing after the first line is consumed and lost. */
        ssize_t got = read(fd, line + used, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        if (line[used] == '\n') {
            line[used] = '\0';
            return true;
        }
        used++;
    }
    return false;
}

static bool parse_announcement(struct server *server, const char *line)
{
    if (strncmp(line, ANNOUNCEMENT, strlen(ANNOUNCEMENT)) != 0)
        return false;
    const char *colon = strrchr(line, ':');
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end != '\0' || port == 0 || port > 65535)
        return false;
    server->port = (unsigned)port;
    /* Tests connect to 127.0.0.1 whatever the server printed: --host is not under test here. */
    snprintf(server->url, sizeof server->url, "http://127.0.0.1:%u", server->port);
    return true;
}

struct server *test_server_start(const char *const *extra_args)
{
    const char *binary = getenv("STATUSD_BINARY");
    if (!binary || !*binary) {
        fprintf(stderr, "test_server_start: STATUSD_BINARY is not set\n");
        return NULL;
    }
    const char *argv[MAX_ARGS] = { binary, "--port", "0", "--log", "off" };
    size_t argc = 5;
    for (size_t i = 0; extra_args && extra_args[i]; i++) {
        if (argc + 1 >= MAX_ARGS) {
            fprintf(stderr, "test_server_start: too many arguments\n");
            return NULL;
        }
        argv[argc++] = extra_args[i];
    }
    argv[argc] = NULL;

    struct server *server = calloc(1, sizeof *server);
    int out[2];
    if (!server || pipe2(out, O_CLOEXEC) != 0) {
        perror("test_server_start");
        free(server);
        return NULL;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        perror("test_server_start: fork");
        close(out[0]);
        close(out[1]);
        free(server);
        return NULL;
    }
    if (pid == 0) {
        /* A test that crashes must not leave its server running and holding a port. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        if (dup2(out[1], STDOUT_FILENO) < 0)
            _exit(127);
        execv(binary, (char *const *)argv);
        /* Only async-signal-safe calls between fork and exec: the test may have threads. */
        static const char message[] = "test_server_start: cannot execute STATUSD_BINARY\n";
        ssize_t ignored = write(STDERR_FILENO, message, sizeof message - 1);
        (void)ignored;
        _exit(127);
    }
    close(out[1]);
    server->pid = pid;
    server->stdout_fd = out[0];

    char line[256];
    if (!read_first_line(server->stdout_fd, line, sizeof line,
                         monotonic_ms() + SERVER_START_TIMEOUT_MS) ||
        !parse_announcement(server, line)) {
        fprintf(stderr, "test_server_start: %s exited or did not announce its address in %d ms\n",
                binary, SERVER_START_TIMEOUT_MS);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(server->stdout_fd);
        free(server);
        return NULL;
    }
    return server;
}

bool server_terminate(struct server *server)
{
    return server->exited || kill(server->pid, SIGTERM) == 0;
}

bool server_wait(struct server *server, int timeout_ms)
{
    long long deadline = monotonic_ms() + timeout_ms;
    while (!server->exited) {
        int status;
        pid_t done = waitpid(server->pid, &status, WNOHANG);
        if (done == server->pid) {
            server->exited = true;
            server->exit_code = WIFEXITED(status) ? WEXITSTATUS(status)
                                                  : 128 + WTERMSIG(status);
            break;
        }
        if (done < 0 && errno != EINTR)
            return false;
        if (monotonic_ms() >= deadline)
            return false;
        /* Bounded polling: there is no portable way to wait for a child with a timeout. */
        struct timespec pause = { .tv_nsec = 10 * 1000000 };
        nanosleep(&pause, NULL);
    }
    return true;
}

int test_server_stop(struct server *server)
{
    if (!server)
        return -1;
    int result;
    server_terminate(server);
    if (server_wait(server, SERVER_STOP_TIMEOUT_MS)) {
        result = server->exit_code;
        if (result != 0)
            fprintf(stderr, "test_server_stop: statusd exited with %d after SIGTERM\n", result);
    } else {
        fprintf(stderr, "test_server_stop: statusd still running %d ms after SIGTERM; killing it\n",
                SERVER_STOP_TIMEOUT_MS);
        kill(server->pid, SIGKILL);
        waitpid(server->pid, NULL, 0);
        result = -1;
    }
    close(server->stdout_fd);
    free(server);
    return result;
}

int server_group_setup(void **state)
{
    *state = test_server_start(NULL);
    return *state ? 0 : -1;
}

int server_group_teardown(void **state)
{
    int code = test_server_stop(*state);
    *state = NULL;
    return code == 0 ? 0 : -1;
}
