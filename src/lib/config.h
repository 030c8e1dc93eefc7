/* Command-line flags and their environment twins (STATUSD_PORT for --port, ...; flags win). */
#ifndef STATUSD_CONFIG_H
#define STATUSD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_format { LOG_TEXT, LOG_JSON, LOG_OFF };

#define CONFIG_MAX_REDIRECT_HOSTS 32

struct config {
    const char *host;
    unsigned port;
    unsigned threads;
    uint64_t max_delay_ms;
    uint64_t max_body;
    size_t max_header_bytes;
    unsigned timeout_s;
    enum log_format log_format;
    unsigned max_redirects;
    size_t max_keys;
    uint64_t state_ttl_ms;
    /* --redirect-allow HOST, repeatable: the only hosts absolute redirect targets may name
     * (none given: any host). */
    const char *redirect_allow[CONFIG_MAX_REDIRECT_HOSTS];
    size_t redirect_allow_count;
    bool redirect_allow_from_flags;
    /* PEM files for HTTPS; both or neither (config_parse checks). */
    const char *tls_cert;
    const char *tls_key;
    /* 0: no limit of one's own (--max-connections then follows the descriptor limit). */
    unsigned max_connections;
    unsigned max_connections_per_ip;
    /* Shared state for replicas (state.h): NULL or "memory" for the in-process store, else
     * a Redis address (state_redis.h); how long a request may wait for it; the prefix of
     * every key statusd writes there. */
    const char *state_url;
    uint64_t state_timeout_ms;
    const char *state_prefix;
    /* HTTP/2 beside HTTP/1.1 on the same port (h2c with prior knowledge on a plain port, ALPN
     * "h2" with TLS); --http2=off leaves the port to libmicrohttpd alone. */
    bool http2;
    unsigned h2_max_streams; /* SETTINGS_MAX_CONCURRENT_STREAMS */
    /* --expose-hostname: /hostname names this machine (go-httpbin's flag of the same name). */
    bool expose_hostname;
};

enum config_result { CONFIG_RUN, CONFIG_EXIT_OK, CONFIG_EXIT_USAGE };

/* Fills config from defaults, then the environment, then argv. Prints --help, --version or
 * the error (naming the flag or variable and what it accepts) itself. */
enum config_result config_parse(struct config *config, int argc, char **argv);

#endif
