/* What the daemon listens on, decided once at start-up (SPEC §11, docs/libmicrohttpd.md §7):
 *
 * - the socket systemd hands over (socket activation: LISTEN_PID is this process and
 *   LISTEN_FDS >= 1; fd 3 is used and --host/--port are ignored), or
 * - --host/--port, with "::" meaning both IPv6 and IPv4 on one socket (dual stack), and
 * - TLS when --tls-cert and --tls-key are given (their PEM text, read here).
 *
 * The result is a set of libmicrohttpd flags and options for MHD_start_daemon, so server.c
 * needs no branch of its own for any of these. */
#ifndef STATUSD_LISTEN_H
#define STATUSD_LISTEN_H

#include "config.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define LISTEN_OPTION_COUNT 4

struct listener {
    unsigned mhd_flags;  /* MHD_USE_IPv6, MHD_USE_DUAL_STACK, MHD_USE_TLS as needed */
    int inherited_fd;    /* the socket from systemd, or -1 */
    /* The port argument of MHD_start_daemon: 0 with systemd's socket, so that libmicrohttpd
     * reads the real one back from it (it does so only for 0). */
    uint16_t mhd_port;
    struct sockaddr_storage address; /* what to bind when nothing was inherited */
    char *tls_cert_pem;  /* NULL without TLS */
    char *tls_key_pem;
    /* For the listening line: "127.0.0.1", "[::]", "[::1]". */
    char host_text[INET6_ADDRSTRLEN + 2];
    /* For MHD_OPTION_ARRAY: the address or socket, the TLS credentials, MHD_OPTION_END. */
    struct MHD_OptionItem options[LISTEN_OPTION_COUNT + 1];
};

/* Fills listener from the environment (socket activation) and config. On failure prints why
 * on stderr, naming the flag, file or variable, and returns false; nothing is left to free. */
bool listener_prepare(struct listener *listener, const struct config *config);

/* "http" or "https". */
const char *listener_scheme(const struct listener *listener);

/* Frees the PEM text; call after MHD_stop_daemon (libmicrohttpd may keep pointers to it). */
void listener_free(struct listener *listener);

#endif
