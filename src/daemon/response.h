/* The one place a reply becomes a libmicrohttpd response: it renders the explanation in the
 * negotiated representation, shapes the body the status demands (none for 204, a slice for
 * 206, ...), fills in computed header values and adds the headers every response carries. */
#ifndef STATUSD_RESPONSE_H
#define STATUSD_RESPONSE_H

#include "exchange.h"

/* Builds the response for reply. *status may change (206 becomes 416 when the Range cannot
 * be satisfied). *body_length is what a GET would receive. NULL when out of memory. */
struct MHD_Response *response_build(struct request *request, struct reply *reply,
                                    uint64_t *body_length);

/* The headers every response carries (Server, CORS), whoever writes it: response_build for
 * libmicrohttpd's responses, wire.c for the ones written beside it. */
#define RESPONSE_COMMON_HEADER_COUNT 3
extern const struct reply_header response_common_headers[RESPONSE_COMMON_HEADER_COUNT];

/* Adds them to a libmicrohttpd response; false if one could not be added. */
bool response_add_common_headers(struct MHD_Response *response);

#endif
