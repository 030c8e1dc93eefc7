#include "listen.h"

#include "numbers.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* SD_LISTEN_FDS_START: systemd passes its sockets from fd 3 on. */
#define FIRST_INHERITED_FD 3
/* Certificate chains are a few KiB; the bound keeps a wrong path (a device, a log file) from
 * being read into memory whole. */
#define PEM_MAX_BYTES (1 << 20)

/* --- TLS credentials ------------------------------------------------------------------ */

/* The whole file as a string, or NULL with the reason printed, naming the flag and file. */
static char *read_pem(const char *flag, const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "statusd: cannot read --%s %s: %s\n", flag, path, strerror(errno));
        return NULL;
    }
    char *text = malloc(PEM_MAX_BYTES + 1);
    size_t length = text ? fread(text, 1, PEM_MAX_BYTES + 1, file) : 0;
    int read_error = ferror(file) ? errno : 0;
    fclose(file);
    const char *problem = !text         ? "out of memory"
                          : read_error  ? strerror(read_error)
                          : length == 0 ? "the file is empty"
                          : length > PEM_MAX_BYTES ? "the file is larger than 1 MiB"
                                                   : NULL;
    if (!problem) {
        text[length] = '\0';
        /* libmicrohttpd would only say that GnuTLS refused it; say which file is wrong. */
        if (strlen(text) != length || !strstr(text, "-----BEGIN "))
            problem = "not PEM text (no -----BEGIN line)";
    }
    if (problem) {
        fprintf(stderr, "statusd: cannot use --%s %s: %s\n", flag, path, problem);
        free(text);
        return NULL;
    }
    return text;
}

static bool read_credentials(struct listener *listener, const struct config *config)
{
    if (!config->tls_cert)
        return true; /* config_parse made sure the key is absent too */
    listener->tls_cert_pem = read_pem("tls-cert", config->tls_cert);
    if (listener->tls_cert_pem)
        listener->tls_key_pem = read_pem("tls-key", config->tls_key);
    if (!listener->tls_key_pem) {
        listener_free(listener);
        return false;
    }
    listener->mhd_flags |= MHD_USE_TLS;
    return true;
}

/* --- addresses ------------------------------------------------------------------------ */

static void describe_address(struct listener *listener, const struct sockaddr *address)
{
    char text[INET6_ADDRSTRLEN] = "?";
    if (address->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)address)->sin6_addr, text,
                  sizeof text);
        snprintf(listener->host_text, sizeof listener->host_text, "[%s]", text);
    } else {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)address)->sin_addr, text, sizeof text);
        snprintf(listener->host_text, sizeof listener->host_text, "%s", text);
    }
}

static bool resolve_host(struct listener *listener, const struct config *config)
{
    char port_text[8];
    snprintf(port_text, sizeof port_text, "%u", config->port);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV },
                    *found;
    int error = getaddrinfo(config->host, port_text, &hints, &found);
    if (error) {
        fprintf(stderr, "statusd: cannot use --host %s: %s\n", config->host, gai_strerror(error));
        return false;
    }
    memcpy(&listener->address, found->ai_addr, found->ai_addrlen);
    freeaddrinfo(found);
    const struct sockaddr *address = (const struct sockaddr *)&listener->address;
    if (address->sa_family == AF_INET6) {
        const struct in6_addr *ip = &((const struct sockaddr_in6 *)address)->sin6_addr;
        /* "::" means every address: IPv4 clients too, on the same socket (they show up as
         * ::ffff:a.b.c.d). A specific IPv6 address such as ::1 cannot take IPv4 anyway. */
        bool every_address = IN6_IS_ADDR_UNSPECIFIED(ip) || IN6_IS_ADDR_V4MAPPED(ip);
        listener->mhd_flags |= every_address ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
    }
    describe_address(listener, address);
    listener->options[0] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &listener->address };
    listener->mhd_port = (uint16_t)config->port;
    return true;
}

/* --- socket activation ---------------------------------------------------------------- */

/* Checks that fd 3 is what systemd promises: a listening TCP socket. */
static bool check_inherited_socket(struct listener *listener, int fd)
{
    int type = 0, listening = 0;
    socklen_t size = sizeof type;
    struct sockaddr_storage address;
    socklen_t address_size = sizeof address;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0 ||
        (size = sizeof listening,
         getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0) ||
        getsockname(fd, (struct sockaddr *)&address, &address_size) != 0) {
        fprintf(stderr, "statusd: LISTEN_FDS: fd %d is not a socket: %s\n", fd, strerror(errno));
        return false;
    }
    if (type != SOCK_STREAM || !listening ||
        (address.ss_family != AF_INET && address.ss_family != AF_INET6)) {
        fprintf(stderr, "statusd: LISTEN_FDS: fd %d is not a listening TCP socket (use "
                        "ListenStream= with an address or port)\n", fd);
        return false;
    }
    describe_address(listener, (const struct sockaddr *)&address);
    return true;
}

/* Like sd_listen_fds(1) without libsystemd: the variables are for this process only when
 * LISTEN_PID names it, and are removed so that nothing started later takes them as its own.
 * Sets *activated; false (reason printed) if systemd's socket is unusable. */
static bool take_activated_socket(struct listener *listener, bool *activated)
{
    *activated = false;
    const char *pid_text = getenv("LISTEN_PID");
    const char *count_text = getenv("LISTEN_FDS");
    uint64_t pid = 0, count = 0;
    bool for_us = pid_text && count_text && parse_uint(pid_text, INT32_MAX, &pid) &&
                  pid == (uint64_t)getpid();
    if (for_us && !parse_uint(count_text, INT32_MAX, &count)) {
        fprintf(stderr, "statusd: LISTEN_FDS='%s' is not a number of sockets\n", count_text);
        return false;
    }
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (!for_us || count == 0)
        return true;
    if (count > 1)
        fprintf(stderr, "statusd: LISTEN_FDS=%llu: serving the first socket only\n",
                (unsigned long long)count);
    int fd = FIRST_INHERITED_FD;
    if (!check_inherited_socket(listener, fd))
        return false;
    /* Whatever this process might start must not hold the socket open. */
    int fd_flags = fcntl(fd, F_GETFD);
    if (fd_flags < 0 || fcntl(fd, F_SETFD, fd_flags | FD_CLOEXEC) != 0) {
        fprintf(stderr, "statusd: LISTEN_FDS: fd %d: %s\n", fd, strerror(errno));
        return false;
    }
    listener->inherited_fd = fd;
    listener->options[0] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
    *activated = true;
    return true;
}

/* --- the listener --------------------------------------------------------------------- */

bool listener_prepare(struct listener *listener, const struct config *config)
{
    *listener = (struct listener){ .inherited_fd = -1 };
    bool activated;
    if (!take_activated_socket(listener, &activated))
        return false;
    /* Under socket activation systemd chose the address (ListenStream=, BindIPv6Only=), so
     * --host and --port have nothing left to say. */
    if (!activated && !resolve_host(listener, config))
        return false;
    if (!read_credentials(listener, config))
        return false;
    size_t n = 1;
    if (listener->tls_cert_pem) {
        listener->options[n++] =
            (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, listener->tls_cert_pem };
        listener->options[n++] =
            (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, listener->tls_key_pem };
    }
    listener->options[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
    return true;
}

const char *listener_scheme(const struct listener *listener)
{
    return listener->tls_cert_pem ? "https" : "http";
}

void listener_free(struct listener *listener)
{
    free(listener->tls_cert_pem);
    if (listener->tls_key_pem) /* a private key should not linger in freed memory */
        explicit_bzero(listener->tls_key_pem, strlen(listener->tls_key_pem));
    free(listener->tls_key_pem);
    listener->tls_cert_pem = NULL;
    listener->tls_key_pem = NULL;
}
