/* statusd's routes over HTTP/2: the second transport of the route table. Each HTTP/2 request
 * becomes a struct request (read through its own struct request_transport), is decided by the
 * same route_decide() as an HTTP/1.1 one, and its reply goes out through the same
 * response_from_reply() as the HTTP/2 answers of h2.h. main.c registers h2_serve_acceptor
 * with the daemon when --http2 is on (the default). */
#ifndef STATUSD_H2_SERVE_H
#define STATUSD_H2_SERVE_H

#include "server.h"

extern const struct server_acceptor h2_serve_acceptor;

#endif
