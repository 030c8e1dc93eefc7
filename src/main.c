/* statusd: an HTTP server that demonstrates every HTTP status code. */
#include "accesslog.h"
#include "catalog.h"
#include "config.h"
#include "endpoints.h"
#include "route_table.h"
#include "serve.h"
#include "server.h"
#include "state.h"
#include "stall_watch.h"
#include "status_cache.h"
#include "timer.h"
#include "websocket.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

/* Thousands of delayed requests need thousands of descriptors: take the hard limit. */
static void raise_open_files_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

/* What the timer thread does besides resuming delays. */
static void on_tick(void)
{
    stall_watch_tick();
}

int main(int argc, char **argv)
{
    struct config config;
    switch (config_parse(&config, argc, argv)) {
    case CONFIG_EXIT_OK: return 0;
    case CONFIG_EXIT_USAGE: return 2;
    case CONFIG_RUN: break;
    }
    char error[512];
    if (!catalog_load(error, sizeof error)) {
        fprintf(stderr, "statusd: the status catalogue is broken: %s\n", error);
        return 1;
    }
    if (!status_cache_init() || !pages_init() || !stall_watch_init(config.timeout_s)) {
        fprintf(stderr, "statusd: out of memory at start-up\n");
        return 1;
    }
    raise_open_files_limit();
    /* Signals are taken by this thread alone (sigwait below), so every thread started from
     * here on inherits them blocked. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* After the signal mask: the Redis store starts a thread. */
    struct state_error state_error;
    if (!state_open(&config, &state_error)) {
        fprintf(stderr, "statusd: cannot open the state store: %s\n", state_error.text);
        return 1;
    }
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    /* 256 KiB of lines (about 2,500) may wait for a slow reader; beyond that they are dropped
     * and counted, never waited for. */
    if (!accesslog_init(config.log_format, STDOUT_FILENO, 256 * 1024)) {
        fprintf(stderr, "statusd: cannot start the access log writer\n");
        return 1;
    }
    if (!timer_start(on_tick)) {
        fprintf(stderr, "statusd: cannot start the timer thread\n");
        return 1;
    }
    /* The daemon knows no endpoint: it routes with this table, and what it reports goes where
     * these say. */
    routes_use(route_table, route_table_size);
    server_observe_answers(stateful_record);
    server_observe_completions(accesslog_write);
    server_observe_shutdown(websocket_shutdown);
    if (config.http2)
        server_use_acceptor(&h2_serve_acceptor); /* HTTP/2 beside HTTP/1.1 on the port */
    if (!server_start(&config)) {
        timer_stop();
        return 1;
    }
    int received;
    sigwait(&stop_signals, &received);
    fprintf(stderr, "statusd: %s received, finishing in-flight requests\n",
            received == SIGTERM ? "SIGTERM" : "SIGINT");
    server_stop();
    timer_stop();
    /* Bounded: a reader that stopped reading must not keep the process from exiting. */
    accesslog_stop(1000);
    status_cache_free();
    pages_free();
    stall_watch_free();
    state_close();
    catalog_unload();
    return 0;
}
