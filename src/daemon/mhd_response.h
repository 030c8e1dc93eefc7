/* libmicrohttpd's side of answering (mhd_response.c): a reply, through the transport-free
 * struct response of http/response.h, becomes an MHD_Response. */
#ifndef STATUSD_MHD_RESPONSE_H
#define STATUSD_MHD_RESPONSE_H

#include "response.h"

#include <microhttpd.h>

/* Builds the response for reply. reply may change (a 206 whose Range cannot be met becomes a
 * 416). *body_length is what a GET would receive. NULL (and a log line) when it cannot be
 * built: the caller closes the connection. */
struct MHD_Response *mhd_response_build(struct request *request, struct reply *reply,
                                        uint64_t *body_length);

/* Adds the common headers (response_common_headers) to a libmicrohttpd response. */
bool response_add_common_headers(struct MHD_Response *response);

#endif
