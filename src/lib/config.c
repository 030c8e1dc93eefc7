#include "config.h"

#include "numbers.h"
#include "redis_url.h"

#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* One row per flag: the flag, its environment twin, and how to read its value. The help text
 * and the parser both come from this table, so they cannot disagree. */
enum option_kind { KIND_STRING, KIND_UNSIGNED, KIND_SECONDS_MS, KIND_BYTES, KIND_LOG, KIND_HOST_LIST,
                   KIND_STATE, KIND_SWITCH };

struct option_row {
    const char *flag;
    const char *env;
    enum option_kind kind;
    uint64_t min, max;
    const char *value_name;
    const char *help;
    /* Where the value goes in struct config, and how wide that field is; width 0 for the
     * kinds that fill several fields themselves (KIND_HOST_LIST, KIND_STATE). */
    size_t offset, width;
};
#define FIELD(member) offsetof(struct config, member), sizeof(((struct config *)0)->member)

static const struct option_row rows[] = {
    { "host", "STATUSD_HOST", KIND_STRING, 0, 0, "ADDR",
      "address to listen on (default 127.0.0.1; 0.0.0.0 = all IPv4, :: = all IPv6 and IPv4; "
      "ignored under systemd socket activation)",
      FIELD(host) },
    { "port", "STATUSD_PORT", KIND_UNSIGNED, 0, 65535, "N", "TCP port (default 8080; 0 picks a free one)",
      FIELD(port) },
    { "threads", "STATUSD_THREADS", KIND_UNSIGNED, 1, 256, "N",
      "worker threads (default: one per CPU core)",
      FIELD(threads) },
    { "max-delay", "STATUSD_MAX_DELAY", KIND_SECONDS_MS, 0, 86400000, "S",
      "longest ?delay= accepted, in seconds (default 120)",
      FIELD(max_delay_ms) },
    { "max-body", "STATUSD_MAX_BODY", KIND_BYTES, 0, UINT64_MAX / 2, "BYTES",
      "largest request body accepted, 413 beyond (default 1048576)",
      FIELD(max_body) },
    { "max-header-bytes", "STATUSD_MAX_HEADER_BYTES", KIND_BYTES, 1024, 1048576, "BYTES",
      "largest request head: request line 414, header section 431 beyond (default 16384)",
      FIELD(max_header_bytes) },
    { "timeout", "STATUSD_TIMEOUT", KIND_UNSIGNED, 1, 86400, "S",
      "seconds a connection may stay idle or stall mid-request (default 30)",
      FIELD(timeout_s) },
    { "log", "STATUSD_LOG", KIND_LOG, 0, 0, "text|json|off", "access log format (default text)",
      FIELD(log_format) },
    { "max-keys", "STATUSD_MAX_KEYS", KIND_UNSIGNED, 1, 10000000, "N",
      "keys kept by /sequence, /flaky, /ratelimit and /journal; least recent go first (default 10000)",
      FIELD(max_keys) },
    { "state-ttl", "STATUSD_STATE_TTL", KIND_SECONDS_MS, 0, 604800000, "S",
      "seconds a key unused is kept (default 3600)",
      FIELD(state_ttl_ms) },
    { "max-redirects", "STATUSD_MAX_REDIRECTS", KIND_UNSIGNED, 1, 100000, "N",
      "longest /redirect/{n} and /loop/{n} (default 100)",
      FIELD(max_redirects) },
    { "redirect-allow", "STATUSD_REDIRECT_ALLOW", KIND_HOST_LIST, 0, 0, "HOST",
      "repeatable: absolute redirect targets may only name these hosts (env: comma-separated)" },
    { "tls-cert", "STATUSD_TLS_CERT", KIND_STRING, 0, 0, "FILE",
      "serve HTTPS with this PEM certificate (chain); needs --tls-key",
      FIELD(tls_cert) },
    { "tls-key", "STATUSD_TLS_KEY", KIND_STRING, 0, 0, "FILE",
      "the PEM private key for --tls-cert",
      FIELD(tls_key) },
    { "max-connections", "STATUSD_MAX_CONNECTIONS", KIND_UNSIGNED, 0, 1000000, "N",
      "connections open at once; more are accepted and closed at once (default 0: as many as "
      "file descriptors allow, at most 20000)",
      FIELD(max_connections) },
    { "max-connections-per-ip", "STATUSD_MAX_CONNECTIONS_PER_IP", KIND_UNSIGNED, 0, 1000000, "N",
      "connections open at once from one client address; more are closed at once (default 0: "
      "no limit)",
      FIELD(max_connections_per_ip) },
    { "http2", "STATUSD_HTTP2", KIND_SWITCH, 0, 1, "[=on|off]",
      "HTTP/2 on the same port: h2c with prior knowledge, or ALPN h2 with TLS (default on)",
      FIELD(http2) },
    { "h2-max-streams", "STATUSD_H2_MAX_STREAMS", KIND_UNSIGNED, 1, 10000, "N",
      "concurrent HTTP/2 streams per connection (default 100)",
      FIELD(h2_max_streams) },
    /* Shared state for replicas (state_redis.c); checked by apply_state_option. */
    { "state", "STATUSD_STATE", KIND_STATE, 0, 0, "URL",
      "where /sequence, /flaky, /ratelimit and /journal keep state: memory (default), "
      "redis://HOST:PORT[/DB] or unix:/PATH[?db=N]; password from STATUSD_REDIS_PASSWORD" },
    { "state-timeout", "STATUSD_STATE_TIMEOUT", KIND_STATE, 1, 60000, "S",
      "longest wait for Redis per request, in seconds (default 0.2); then 503" },
    { "state-prefix", "STATUSD_STATE_PREFIX", KIND_STATE, 0, 0, "TEXT",
      "prefix of every Redis key, so fleets can share one Redis (default statusd:v1:)" },
    /* A switch: the flag alone is on, --flag=off (or 0, false, no) is off; its environment
     * twin reads 1/true/yes/on or 0/false/no/off. Off by default, as go-httpbin: a host name says where a test ran,
     * which a public instance should not tell. */
    { "expose-hostname", "STATUSD_EXPOSE_HOSTNAME", KIND_SWITCH, 0, 1, "",
      "let /hostname answer with this machine's host name (default off)",
      FIELD(expose_hostname) },
};
#define ROW_COUNT (sizeof rows / sizeof rows[0])

static void print_help(FILE *out)
{
    fprintf(out, "Usage: statusd [OPTION]...\n"
                 "An HTTP server that demonstrates every HTTP status code, in 中文 and English.\n\n");
    for (size_t i = 0; i < ROW_COUNT; i++) {
        char left[64];
        const char *name = rows[i].value_name;
        snprintf(left, sizeof left, "--%s%s%s", rows[i].flag, *name && *name != '[' ? " " : "",
                 rows[i].value_name);
        fprintf(out, "  %-28s %s\n  %-28s   env: %s\n", left, rows[i].help, "", rows[i].env);
    }
    fprintf(out, "  %-28s %s\n  %-28s %s\n\nFlags win over environment variables.\n"
                 "Example: statusd --port 0   then   curl -i http://127.0.0.1:PORT/status/418\n",
            "--version", "print the version and exit", "--help", "print this help and exit");
}

/* "a.example,b.example" (environment) or one host per flag. Hosts are kept as given; the
 * comparison with a target's host is case-insensitive. */
static bool add_redirect_hosts(struct config *config, const char *text)
{
    static char storage[4096];
    static size_t used;
    size_t n = strlen(text);
    if (n == 0 || used + n + 1 > sizeof storage)
        return false;
    char *copy = memcpy(storage + used, text, n + 1);
    used += n + 1;
    /* A list as people write one ("a.com, b.org"): spaces and tabs around each name go. */
    for (char *host = strtok(copy, ","); host; host = strtok(NULL, ",")) {
        host += strspn(host, " \t");
        size_t length = strlen(host);
        while (length && (host[length - 1] == ' ' || host[length - 1] == '\t'))
            host[--length] = '\0';
        if (config->redirect_allow_count == CONFIG_MAX_REDIRECT_HOSTS || !*host ||
            strpbrk(host, " \t/\\@?#"))
            return false;
        config->redirect_allow[config->redirect_allow_count++] = host;
    }
    return true;
}

/* --state, --state-timeout, --state-prefix. Own messages: a mistyped Redis URL may hold a
 * password, which must not be echoed. */
static bool apply_state_option(struct config *config, const struct option_row *row,
                               const char *text, const char *origin)
{
    if (strcmp(row->flag, "state") == 0) {
        struct redis_address address;
        if (strcmp(text, "memory") == 0 || redis_url_parse(text, &address)) {
            config->state_url = text;
            return true;
        }
        fprintf(stderr, "statusd: %s: --state expects memory, redis://HOST:PORT[/DB] or "
                        "unix:/PATH[?db=N]%s\n", origin,
                strchr(text, '@') ? " (the password goes in STATUSD_REDIS_PASSWORD, not the URL)"
                                  : "");
        return false;
    }
    if (strcmp(row->flag, "state-timeout") == 0) {
        uint64_t ms;
        if (parse_seconds_ms(text, row->max, &ms) && ms >= row->min) {
            config->state_timeout_ms = ms;
            return true;
        }
        fprintf(stderr, "statusd: %s: '%s' is not valid for --state-timeout: expected seconds "
                        "from 0.001 to 60\n", origin, text);
        return false;
    }
    /* --state-prefix: printable ASCII without spaces, so keys stay readable in redis-cli. */
    size_t n = strlen(text);
    bool ok = n >= 1 && n <= 64;
    for (size_t i = 0; ok && i < n; i++)
        ok = text[i] > ' ' && text[i] < 0x7f;
    if (ok)
        config->state_prefix = text;
    else
        fprintf(stderr, "statusd: %s: '%s' is not valid for --state-prefix: expected 1 to 64 "
                        "printable ASCII characters without spaces\n", origin, text);
    return ok;
}

static bool apply(struct config *config, const struct option_row *row, const char *text,
                  const char *origin)
{
    if (row->kind == KIND_STATE)
        return apply_state_option(config, row, text, origin);
    uint64_t value = 0;
    bool ok = true;
    switch (row->kind) {
    case KIND_STRING:
        ok = *text != '\0';
        break;
    case KIND_SWITCH:
        value = strcmp(text, "1") == 0 || strcasecmp(text, "true") == 0 ||
                strcasecmp(text, "yes") == 0 || strcasecmp(text, "on") == 0;
        ok = value || strcmp(text, "0") == 0 || strcasecmp(text, "false") == 0 ||
             strcasecmp(text, "no") == 0 || strcasecmp(text, "off") == 0;
        break;
    case KIND_LOG:
        ok = strcmp(text, "text") == 0 || strcmp(text, "json") == 0 || strcmp(text, "off") == 0;
        break;
    case KIND_HOST_LIST:
        /* Flags win: the first --redirect-allow replaces the environment's list. */
        if (strcmp(origin, "flag") == 0 && !config->redirect_allow_from_flags) {
            config->redirect_allow_count = 0;
            config->redirect_allow_from_flags = true;
        }
        ok = add_redirect_hosts(config, text);
        break;
    case KIND_SECONDS_MS:
        ok = parse_seconds_ms(text, row->max, &value);
        break;
    default:
        ok = parse_uint(text, row->max, &value) && value >= row->min;
        break;
    }
    if (!ok) {
        fprintf(stderr, "statusd: %s: '%s' is not valid for --%s: expected ", origin, text,
                row->flag);
        if (row->kind == KIND_SECONDS_MS)
            fprintf(stderr, "seconds as a decimal number with at most 3 decimals (like 1.5), "
                            "from 0 to %" PRIu64, row->max / 1000);
        else if (row->kind == KIND_SWITCH)
            fprintf(stderr, "1, true, yes or on, or 0, false, no or off");
        else
            fprintf(stderr, "%s", row->value_name);
        if (row->kind == KIND_UNSIGNED || row->kind == KIND_BYTES)
            fprintf(stderr, " from %" PRIu64 " to %" PRIu64, row->min, row->max);
        fprintf(stderr, "\n");
        return false;
    }
    /* The row says where the value goes: a text, a switch, the log format, or a number as
     * wide as its field. */
    char *field = (char *)config + row->offset;
    if (row->kind == KIND_STRING) {
        memcpy(field, &text, sizeof text);
    } else if (row->kind == KIND_SWITCH) {
        *(bool *)field = value != 0;
    } else if (row->kind == KIND_LOG) {
        enum log_format format = text[0] == 't' ? LOG_TEXT : text[0] == 'j' ? LOG_JSON : LOG_OFF;
        memcpy(field, &format, sizeof format);
    } else if (row->width == sizeof(uint64_t)) {
        memcpy(field, &value, sizeof value);
    } else if (row->width == sizeof(unsigned)) {
        unsigned narrow = (unsigned)value; /* row->max keeps it in range */
        memcpy(field, &narrow, sizeof narrow);
    }
    return true;
}

enum config_result config_parse(struct config *config, int argc, char **argv)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    *config = (struct config){
        .host = "127.0.0.1",
        .port = 8080,
        .threads = cores > 0 ? (unsigned)cores : 1,
        .max_delay_ms = 120000,
        .max_body = 1048576,
        .max_header_bytes = 16384,
        .timeout_s = 30,
        .log_format = LOG_TEXT,
        .max_redirects = 100,
        .max_keys = 10000,
        .state_ttl_ms = 3600000,
        .state_timeout_ms = 200,
        .state_prefix = "statusd:v1:",
        .http2 = true,
        .h2_max_streams = 100,
    };
    for (size_t i = 0; i < ROW_COUNT; i++) {
        const char *text = getenv(rows[i].env);
        /* Empty is unset: compose files and shell scripts write STATUSD_PORT= to mean "none". */
        if (text && *text && !apply(config, &rows[i], text, rows[i].env))
            return CONFIG_EXIT_USAGE;
    }
    struct option long_options[ROW_COUNT + 3];
    for (size_t i = 0; i < ROW_COUNT; i++)
        long_options[i] = (struct option){ rows[i].flag,
                                           rows[i].kind == KIND_SWITCH ? optional_argument
                                                                       : required_argument,
                                           NULL, (int)i };
    long_options[ROW_COUNT] = (struct option){ "version", no_argument, NULL, 'V' };
    long_options[ROW_COUNT + 1] = (struct option){ "help", no_argument, NULL, 'h' };
    long_options[ROW_COUNT + 2] = (struct option){ 0 };
    optind = 1;
    int c;
    /* -h as well as --help: what everyone types first. */
    while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        if (c == 'V') {
            printf("statusd %s\n", STATUSD_VERSION);
            return CONFIG_EXIT_OK;
        }
        if (c == 'h') {
            print_help(stdout);
            return CONFIG_EXIT_OK;
        }
        if (c == '?' || c == ':') {
            fprintf(stderr, "statusd: %s '%s'; see statusd --help\n",
                    c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
            return CONFIG_EXIT_USAGE;
        }
        /* A switch alone is on; --http2=off says otherwise. */
        if (!apply(config, &rows[c], rows[c].kind == KIND_SWITCH && !optarg ? "1" : optarg,
                   "flag"))
            return CONFIG_EXIT_USAGE;
    }
    if (optind < argc) {
        fprintf(stderr, "statusd: unexpected argument '%s'; see statusd --help\n", argv[optind]);
        return CONFIG_EXIT_USAGE;
    }
    if (!config->tls_cert != !config->tls_key) {
        /* Half a TLS set-up would otherwise start as plain HTTP, which nobody asked for. */
        fprintf(stderr, "statusd: --%s (or %s) is required with --%s\n",
                config->tls_cert ? "tls-key" : "tls-cert",
                config->tls_cert ? "STATUSD_TLS_KEY" : "STATUSD_TLS_CERT",
                config->tls_cert ? "tls-cert" : "tls-key");
        return CONFIG_EXIT_USAGE;
    }
    return CONFIG_RUN;
}
